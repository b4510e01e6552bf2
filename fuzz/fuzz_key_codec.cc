// Fuzzes the order-preserving key encoding (and the binary item codec and number arithmetic it
// relies on). The first byte picks a mode:
//   byte % 3 == 0: arbitrary bytes into DecodeKeyValue (a partition key then a sort key, as a
//                  storage key holds them) and DecodeItem: never crash; whatever decodes must
//                  re-encode to exactly the bytes consumed.
//   byte % 3 == 1: two keys (type + value each) built from the input: encode/decode round trip,
//                  the byte order of the encodings is DynamoDB's order of the values, no
//                  encoding is a prefix of another, composite (hash, range) keys order as pairs.
//   byte % 3 == 2: number arithmetic: a + b == b + a, (a + b) - b == a, sign(a - b) == a <=> b.
#include <fuzzer/FuzzedDataProvider.h>

#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "ddb/error.h"
#include "ddb/item_codec.h"
#include "ddb/key_codec.h"
#include "ddb/number.h"
#include "ddb/value.h"
#include "deep_mutator.h"
#include "fuzz_util.h"

namespace cruddur::ddb {
namespace {

constexpr ValueType kKeyTypes[] = {ValueType::kS, ValueType::kN, ValueType::kB};

std::strong_ordering CompareBytes(std::string_view a, std::string_view b) {
  int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
  if (c != 0) return c < 0 ? std::strong_ordering::less : std::strong_ordering::greater;
  return a.size() <=> b.size();
}

// DynamoDB's order of two key values of the same type.
std::strong_ordering CompareKeys(const AttributeValue& a, const AttributeValue& b) {
  if (a.type == ValueType::kN) return a.number <=> b.number;
  return CompareBytes(a.bytes, b.bytes);
}

std::string Encode(const AttributeValue& v) {
  std::string out;
  EncodeKeyValue(v, &out);
  return out;
}

std::string Hex(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

// A number from the input: as DynamoDB text when it parses, else from raw digits and a valid
// exponent (so both common and extreme values are reached).
std::optional<Number> ConsumeNumber(FuzzedDataProvider& in) {
  if (in.ConsumeBool()) {
    std::string text = in.ConsumeRandomLengthString(64);
    try {
      return Number::Parse(text);
    } catch (const ApiError&) {
      return std::nullopt;
    }
  }
  bool negative = in.ConsumeBool();
  int exponent = in.ConsumeIntegralInRange(-129, 126);
  std::string digits;
  for (size_t n = in.ConsumeIntegralInRange<size_t>(1, 38); n > 0 && in.remaining_bytes(); --n) {
    digits.push_back(static_cast<char>('0' + in.ConsumeIntegralInRange(0, 9)));
  }
  // Leading zeros lower the exponent (FromParts strips them): keep the value in range.
  size_t first = digits.find_first_not_of('0');
  if (first != std::string::npos && exponent - static_cast<int>(first) < -129) return std::nullopt;
  return Number::FromParts(negative, digits, exponent);
}

std::optional<AttributeValue> ConsumeKey(FuzzedDataProvider& in, ValueType type) {
  switch (type) {
    case ValueType::kS:
      return AttributeValue::S(in.ConsumeRandomLengthString(64));
    case ValueType::kB:
      return AttributeValue::B(in.ConsumeRandomLengthString(64));
    default: {
      std::optional<Number> n = ConsumeNumber(in);
      if (!n) return std::nullopt;
      return AttributeValue::N(*n);
    }
  }
}

void DecodeArbitrary(std::string_view data) {
  if (data.empty()) return;
  ValueType hash_type = kKeyTypes[static_cast<uint8_t>(data[0]) % 3];
  ValueType range_type = kKeyTypes[static_cast<uint8_t>(data[0]) / 3 % 3];
  std::string_view in = data.substr(1);
  for (ValueType type : {hash_type, range_type}) {
    std::string_view before = in;
    AttributeValue v;
    if (!DecodeKeyValue(type, &in, &v)) break;
    fuzz::Check(v.type == type, "DecodeKeyValue returned another type");
    std::string_view consumed = before.substr(0, before.size() - in.size());
    fuzz::Check(Encode(v) == consumed, "decoded key does not re-encode to the bytes consumed",
                Hex(consumed) + " -> " + Hex(Encode(v)));
  }
  Item item;
  if (DecodeItem(data, &item)) {
    Item again;
    fuzz::Check(DecodeItem(EncodeItem(item), &again) && again == item,
                "DecodeItem(EncodeItem(x)) != x", Hex(data));
  }
}

void CheckPair(const AttributeValue& a, const AttributeValue& b) {
  std::string ea = Encode(a), eb = Encode(b);
  for (const auto* v : {&a, &b}) {
    std::string e = Encode(*v);
    std::string_view in = e;
    AttributeValue back;
    fuzz::Check(DecodeKeyValue(v->type, &in, &back) && in.empty() && back == *v,
                "key round trip failed", Hex(e));
  }
  fuzz::Check(CompareBytes(ea, eb) == CompareKeys(a, b), "encoding order differs from key order",
              Hex(ea) + " vs " + Hex(eb));
  if (CompareKeys(a, b) != 0) {
    fuzz::Check(!ea.starts_with(eb) && !eb.starts_with(ea), "an encoding is a prefix of another",
                Hex(ea) + " vs " + Hex(eb));
  }
}

void RoundTripAndOrder(FuzzedDataProvider& in) {
  ValueType hash_type = kKeyTypes[in.ConsumeIntegralInRange(0, 2)];
  ValueType range_type = kKeyTypes[in.ConsumeIntegralInRange(0, 2)];
  auto h1 = ConsumeKey(in, hash_type), r1 = ConsumeKey(in, range_type);
  auto h2 = ConsumeKey(in, hash_type), r2 = ConsumeKey(in, range_type);
  if (!h1 || !r1 || !h2 || !r2) return;
  CheckPair(*h1, *h2);
  CheckPair(*r1, *r2);
  // Composite keys: ordered by partition key, then sort key.
  std::string k1 = Encode(*h1) + Encode(*r1), k2 = Encode(*h2) + Encode(*r2);
  std::strong_ordering want = CompareKeys(*h1, *h2);
  if (want == 0) want = CompareKeys(*r1, *r2);
  fuzz::Check(CompareBytes(k1, k2) == want, "composite key order differs",
              Hex(k1) + " vs " + Hex(k2));
}

void Arithmetic(FuzzedDataProvider& in) {
  auto a = ConsumeNumber(in), b = ConsumeNumber(in);
  if (!a || !b) return;
  fuzz::Check(Number::Parse(a->text()) == *a, "a number does not parse back from its text",
              a->text());
  std::optional<Number> sum, difference;
  try {
    sum = *a + *b;
    fuzz::Check(*b + *a == *sum, "a + b != b + a", a->text() + " + " + b->text());
  } catch (const ApiError&) {
  }
  try {
    difference = *a - *b;
    std::strong_ordering sign = difference->is_zero()    ? std::strong_ordering::equal
                                : difference->negative() ? std::strong_ordering::less
                                                         : std::strong_ordering::greater;
    fuzz::Check(sign == (*a <=> *b), "sign(a - b) differs from a <=> b",
                a->text() + " - " + b->text() + " = " + difference->text());
  } catch (const ApiError&) {
  }
  if (sum) {
    try {
      fuzz::Check(*sum - *b == *a, "(a + b) - b != a",
                  a->text() + " + " + b->text() + " = " + sum->text());
    } catch (const ApiError&) {
    }
  }
}

}  // namespace
}  // namespace cruddur::ddb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  try {
    switch (data[0] % 3) {
      case 0:
        cruddur::ddb::DecodeArbitrary(
            std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
        break;
      case 1: {
        FuzzedDataProvider in(data + 1, size - 1);
        cruddur::ddb::RoundTripAndOrder(in);
        break;
      }
      default: {
        FuzzedDataProvider in(data + 1, size - 1);
        cruddur::ddb::Arithmetic(in);
        break;
      }
    }
  } catch (const std::exception& e) {
    cruddur::fuzz::Fail("unexpected exception", e.what());
  }
  return 0;
}

// Long and repeated encodings and digits (deep_mutator.h: a slice repeated or nested many
// times, the mode byte kept) a third of the time, libFuzzer's own mutations else.
extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  return cruddur::fuzz::MutateGenericInput(data, size, max_size, seed, 1);
}
