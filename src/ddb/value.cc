#include "ddb/value.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>

namespace cruddur::ddb {

namespace {

struct ValueTypeNames {
  std::string_view name;       // on the wire
  std::string_view long_name;  // in DynamoDB's operand-type messages
};

// Indexed by ValueType: one entry per enumerator, in its order.
constexpr std::array<ValueTypeNames, 10> kValueTypeNames = {{
    {"S", "STRING"},
    {"N", "NUMBER"},
    {"B", "BINARY"},
    {"BOOL", "BOOLEAN"},
    {"NULL", "NULL"},
    {"M", "MAP"},
    {"L", "LIST"},
    {"SS", "SS"},
    {"NS", "NS"},
    {"BS", "BS"},
}};
static_assert(kValueTypeNames.size() == static_cast<std::size_t>(ValueType::kBS) + 1);

const ValueTypeNames& NamesOf(ValueType t) {
  static constexpr ValueTypeNames kNone;
  const auto i = static_cast<std::size_t>(t);
  return i < kValueTypeNames.size() ? kValueTypeNames[i] : kNone;
}

}  // namespace

std::string_view TypeName(ValueType t) { return NamesOf(t).name; }

std::string_view LongTypeName(ValueType t) { return NamesOf(t).long_name; }

// The factories name the members they set; the rest keep their defaults (value.h).
AttributeValue AttributeValue::S(std::string s) {
  return {.type = ValueType::kS, .bytes = std::move(s)};
}
AttributeValue AttributeValue::N(Number n) {
  return {.type = ValueType::kN, .number = std::move(n)};
}
AttributeValue AttributeValue::N(std::string_view text) { return N(Number::Parse(text)); }
AttributeValue AttributeValue::B(std::string bytes) {
  return {.type = ValueType::kB, .bytes = std::move(bytes)};
}
AttributeValue AttributeValue::Bool(bool b) { return {.type = ValueType::kBool, .boolean = b}; }
AttributeValue AttributeValue::Null() { return {.type = ValueType::kNull, .boolean = true}; }
AttributeValue AttributeValue::M(Item m) { return {.type = ValueType::kM, .map = std::move(m)}; }
AttributeValue AttributeValue::L(List l) { return {.type = ValueType::kL, .list = std::move(l)}; }
AttributeValue AttributeValue::SS(std::vector<std::string> s) {
  return {.type = ValueType::kSS, .strings = std::move(s)};
}
AttributeValue AttributeValue::NS(std::vector<Number> n) {
  return {.type = ValueType::kNS, .numbers = std::move(n)};
}
AttributeValue AttributeValue::BS(std::vector<std::string> b) {
  return {.type = ValueType::kBS, .strings = std::move(b)};
}

namespace {

// Sets hold no duplicates, so equal sizes plus "every element of a is in b" means equal sets.
template <typename T>
bool SameSet(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  if (a.size() <= 8) {
    for (const T& x : a) {
      if (std::find(b.begin(), b.end(), x) == b.end()) return false;
    }
    return true;
  }
  std::vector<const T*> pa, pb;
  pa.reserve(a.size());
  pb.reserve(b.size());
  for (const T& x : a) pa.push_back(&x);
  for (const T& x : b) pb.push_back(&x);
  auto less = [](const T* x, const T* y) { return *x < *y; };
  std::sort(pa.begin(), pa.end(), less);
  std::sort(pb.begin(), pb.end(), less);
  for (size_t i = 0; i < pa.size(); ++i) {
    if (!(*pa[i] == *pb[i])) return false;
  }
  return true;
}

// DynamoDB stores a number in base-100 digit pairs aligned on even powers of ten, plus one byte
// (and one more for a negative sign); zero takes one byte. This is the rule dynalite measured
// against DynamoDB's consumed capacity: 1 + ceil(n/2) + (n even and leading exponent even) + neg.
size_t NumberSize(const Number& n) {
  if (n.is_zero()) return 1;
  // Leading digit's power of ten, and the trailing digit's.
  const int top = n.exponent() - 1;
  const int bottom = top - static_cast<int>(n.digits().size()) + 1;
  auto floor_half = [](int x) { return x >= 0 ? x / 2 : -((-x + 1) / 2); };
  const int pairs = floor_half(top) - floor_half(bottom) + 1;
  return 1 + static_cast<size_t>(pairs) + (n.negative() ? 1 : 0);
}

}  // namespace

int64_t Utf16Length(std::string_view s) {
  int64_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;  // a lead byte
    if (c >= 0xF0) ++n;           // a 4-byte sequence is a surrogate pair
  }
  return n;
}

bool operator==(const AttributeValue& a, const AttributeValue& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case ValueType::kS:
    case ValueType::kB:
      return a.bytes == b.bytes;
    case ValueType::kN:
      return a.number == b.number;
    case ValueType::kBool:
      return a.boolean == b.boolean;
    case ValueType::kNull:
      return true;
    case ValueType::kM:
      return a.map == b.map;
    case ValueType::kL:
      return a.list == b.list;
    case ValueType::kSS:
    case ValueType::kBS:
      return SameSet(a.strings, b.strings);
    case ValueType::kNS:
      return SameSet(a.numbers, b.numbers);
  }
  return false;
}

size_t NumberStorageSize(const Number& n) { return NumberSize(n); }

bool KeyValueFits(const AttributeValue& v, bool partition_key) {
  size_t size = v.type == ValueType::kN ? AttributeValueSize(v) : v.bytes.size();
  return size <= (partition_key ? kMaxPartitionKeySize : kMaxSortKeySize);
}

size_t AttributeValueSize(const AttributeValue& v) {
  switch (v.type) {
    case ValueType::kS:
    case ValueType::kB:
      return v.bytes.size();
    case ValueType::kN:
      return NumberSize(v.number);
    case ValueType::kBool:
    case ValueType::kNull:
      return 1;
    case ValueType::kSS:
    case ValueType::kBS: {
      size_t s = 0;
      for (const std::string& x : v.strings) s += x.size();
      return s;
    }
    case ValueType::kNS: {
      size_t s = 0;
      for (const Number& x : v.numbers) s += NumberSize(x);
      return s;
    }
    // M and L: 3 bytes of overhead plus 1 byte per element (dynalite's measured rule).
    case ValueType::kM:
      return 3 + v.map.size() + ItemSize(v.map);
    case ValueType::kL: {
      size_t s = 3 + v.list.size();
      for (const AttributeValue& x : v.list) s += AttributeValueSize(x);
      return s;
    }
  }
  return 0;
}

size_t ItemSize(const Item& item) {
  size_t s = 0;
  for (const auto& [name, value] : item) s += name.size() + AttributeValueSize(value);
  return s;
}

}  // namespace cruddur::ddb
