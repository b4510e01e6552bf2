#include "ddb/key_codec.h"

#include <cstdint>
#include <cstring>
#include <utility>

#include "ddb/md5.h"

// Format (persisted: do not change without a migration).
//
// S and B: the bytes with 0x00 escaped as 0x00 0xFF, then the terminator 0x00 0x01. The
// terminator sorts below any continuation (an escaped 0x00 or any other byte), so a string sorts
// before every string it is a proper prefix of, and no encoding is a prefix of another.
//
// N: one sign byte: 0x01 negative, 0x02 zero, 0x03 positive. Zero ends there. Otherwise one
// exponent byte (exponent() + 129, which is 0..255 for DynamoDB's range), then the significant
// digits in pairs, one byte per pair: 1 + 10*d1 + d2 (1..100), an odd last digit paired with 0,
// then the terminator 0x00. For negative numbers the exponent byte is inverted (255 - e), each
// pair byte is 101 - b and the terminator is 0xFF, so larger magnitudes sort first. Digits never
// end in 0, so a padded pair decodes unambiguously.

namespace cruddur::ddb {

namespace {

constexpr uint8_t kNegative = 0x01;
constexpr uint8_t kZero = 0x02;
constexpr uint8_t kPositive = 0x03;
constexpr int kExponentBias = 129;

bool DecodeBytes(std::string_view* in, std::string* out) {
  out->clear();
  const std::string_view s = *in;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\0') {
      out->push_back(s[i]);
      continue;
    }
    if (i + 1 >= s.size()) return false;
    const char next = s[i + 1];
    if (next == '\xFF') {
      out->push_back('\0');
      ++i;
    } else if (next == '\x01') {
      in->remove_prefix(i + 2);
      return true;
    } else {
      return false;
    }
  }
  return false;
}

void EncodeNumber(const Number& n, std::string* out) {
  if (n.is_zero()) {
    out->push_back(static_cast<char>(kZero));
    return;
  }
  const bool neg = n.negative();
  const std::string& d = n.digits();
  out->reserve(out->size() + 3 + (d.size() + 1) / 2);
  out->push_back(static_cast<char>(neg ? kNegative : kPositive));
  const int e = n.exponent() + kExponentBias;
  out->push_back(static_cast<char>(neg ? 255 - e : e));
  for (size_t i = 0; i < d.size(); i += 2) {
    const int pair = (d[i] - '0') * 10 + (i + 1 < d.size() ? d[i + 1] - '0' : 0);
    out->push_back(static_cast<char>(neg ? 100 - pair : pair + 1));
  }
  out->push_back(static_cast<char>(neg ? 0xFF : 0x00));
}

bool DecodeNumber(std::string_view* in, Number* out) {
  const std::string_view s = *in;
  if (s.empty()) return false;
  const uint8_t sign = static_cast<uint8_t>(s[0]);
  if (sign == kZero) {
    *out = Number();
    in->remove_prefix(1);
    return true;
  }
  if (sign != kNegative && sign != kPositive) return false;
  const bool neg = sign == kNegative;
  if (s.size() < 2) return false;
  const uint8_t eb = static_cast<uint8_t>(s[1]);
  const int exponent = (neg ? 255 - eb : eb) - kExponentBias;
  const uint8_t terminator = neg ? 0xFF : 0x00;
  std::string digits;
  size_t i = 2;
  for (;; ++i) {
    if (i >= s.size()) return false;
    const uint8_t b = static_cast<uint8_t>(s[i]);
    if (b == terminator) break;
    if (b < 1 || b > 100) return false;
    const int pair = neg ? 100 - b : b - 1;
    digits.push_back(static_cast<char>('0' + pair / 10));
    digits.push_back(static_cast<char>('0' + pair % 10));
  }
  if (!digits.empty() && digits.back() == '0') digits.pop_back();  // odd-length padding
  // Only canonical encodings: 1..38 digits, no leading or trailing zero.
  if (digits.empty() || digits.size() > 38 || digits.front() == '0' || digits.back() == '0') {
    return false;
  }
  *out = Number::FromParts(neg, std::move(digits), exponent);
  in->remove_prefix(i + 1);
  return true;
}

}  // namespace

void EncodeKeyBytes(std::string_view s, std::string* out) {
  out->reserve(out->size() + s.size() + 2);
  // Runs without a 0x00 are appended whole; each 0x00 becomes 0x00 0xFF.
  while (!s.empty()) {
    const auto* zero = static_cast<const char*>(std::memchr(s.data(), '\0', s.size()));
    const size_t run = zero ? static_cast<size_t>(zero - s.data()) : s.size();
    out->append(s.data(), run);
    if (!zero) break;
    out->append("\0\xFF", 2);
    s.remove_prefix(run + 1);
  }
  out->append("\0\x01", 2);
}

void EncodeKeyValue(const AttributeValue& v, std::string* out) {
  switch (v.type) {
    case ValueType::kS:
    case ValueType::kB:
      EncodeKeyBytes(v.bytes, out);
      break;
    case ValueType::kN:
      EncodeNumber(v.number, out);
      break;
    default:
      break;  // REQUIRES: v is S, N or B (key attributes are validated before encoding)
  }
}

std::string NumberHashForm(const Number& n) {
  if (n.is_zero()) return std::string(1, '\x80');
  std::string digits = n.digits();
  int exponent = n.exponent();  // value = 0.<digits> * 10^exponent
  // Align to base 100: an odd decimal exponent gets a leading zero digit.
  if (exponent % 2 != 0) {
    digits.insert(digits.begin(), '0');
    ++exponent;
  }
  if (digits.size() % 2 != 0) digits.push_back('0');
  const int e100 = exponent / 2;
  const size_t pairs = digits.size() / 2;
  std::string out;
  out.reserve(pairs + 2);
  out.push_back(static_cast<char>(n.negative() ? 63 - e100 : 0xC0 + e100));
  for (size_t i = 0; i < digits.size(); i += 2) {
    const int pair = (digits[i] - '0') * 10 + (digits[i + 1] - '0');
    out.push_back(static_cast<char>(n.negative() ? 101 - pair : pair + 1));
  }
  if (n.negative() && pairs < 20) out.push_back(static_cast<char>(102));
  return out;
}

uint64_t PartitionKeyHashOfBytes(std::string_view bytes) {
  // The items of a batch or transaction mostly share their partition key, and one write may hash
  // its key more than once: the last key hashed on this thread is remembered, so that its MD5
  // (about a quarter of a microsecond) is computed once. Trivially destructible: no TLS guard.
  struct LastHash {
    uint64_t hash;
    size_t size;  // kNone: nothing remembered yet
    char bytes[64];
  };
  static constexpr size_t kNone = ~size_t{0};
  thread_local LastHash last{0, kNone, {}};
  if (bytes.size() == last.size && std::memcmp(bytes.data(), last.bytes, bytes.size()) == 0) {
    return last.hash;
  }
  Md5 md5;
  md5.Update("Outliers");
  md5.Update(bytes);
  const std::array<uint8_t, 16> digest = md5.Final();
  uint64_t h = 0;
  for (int i = 0; i < 8; ++i) h = h << 8 | digest[i];
  if (bytes.size() <= sizeof(last.bytes)) {
    std::memcpy(last.bytes, bytes.data(), bytes.size());
    last.size = bytes.size();
    last.hash = h;
  }
  return h;
}

uint64_t PartitionKeyHash(const AttributeValue& v) {
  if (v.type == ValueType::kN) return PartitionKeyHashOfBytes(NumberHashForm(v.number));
  return PartitionKeyHashOfBytes(v.bytes);
}

bool DecodeKeyValue(ValueType type, std::string_view* in, AttributeValue* out) {
  switch (type) {
    case ValueType::kS:
    case ValueType::kB: {
      std::string bytes;
      std::string_view rest = *in;
      if (!DecodeBytes(&rest, &bytes)) return false;
      *out = type == ValueType::kS ? AttributeValue::S(std::move(bytes))
                                   : AttributeValue::B(std::move(bytes));
      *in = rest;
      return true;
    }
    case ValueType::kN: {
      Number n;
      std::string_view rest = *in;
      if (!DecodeNumber(&rest, &n)) return false;
      *out = AttributeValue::N(std::move(n));
      *in = rest;
      return true;
    }
    default:
      return false;
  }
}

}  // namespace cruddur::ddb
