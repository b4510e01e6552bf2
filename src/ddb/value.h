// DynamoDB attribute values (S, N, B, BOOL, NULL, M, L, SS, NS, BS) and items.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/number.h"

namespace cruddur::ddb {

// Do not reorder: the numeric values are persisted by the item codec.
// kValueTypeNames (value.cc) names each enumerator, in this order.
enum class ValueType : uint8_t {
  kS = 0,
  kN = 1,
  kB = 2,
  kBool = 3,
  kNull = 4,
  kM = 5,
  kL = 6,
  kSS = 7,
  kNS = 8,
  kBS = 9
};

// The type's name on the wire: "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS".
std::string_view TypeName(ValueType t);
// The name in DynamoDB's operand-type messages: "STRING", "NUMBER", "BINARY", "BOOLEAN", "NULL",
// "MAP", "LIST"; the sets keep their wire names.
std::string_view LongTypeName(ValueType t);

struct AttributeValue;
using Item = std::map<std::string, AttributeValue>;  // also the value of an M
using List = std::vector<AttributeValue>;

struct AttributeValue {
  ValueType type = ValueType::kNull;
  // S: the text. B: the raw (decoded) bytes. Unused otherwise.
  std::string bytes;
  // N: the number.
  Number number;
  // BOOL: the value. NULL: always true.
  bool boolean = true;
  // SS and BS: the elements (raw bytes for BS), in the order given, without duplicates.
  std::vector<std::string> strings;
  // NS: the elements, in the order given, without duplicates.
  std::vector<Number> numbers;
  // M and L.
  Item map;
  List list;

  static AttributeValue S(std::string s);
  static AttributeValue N(Number n);
  static AttributeValue N(std::string_view text);  // throws like Number::Parse
  static AttributeValue B(std::string bytes);
  static AttributeValue Bool(bool b);
  static AttributeValue Null();
  static AttributeValue M(Item m);
  static AttributeValue L(List l);
  static AttributeValue SS(std::vector<std::string> v);
  static AttributeValue NS(std::vector<Number> v);
  static AttributeValue BS(std::vector<std::string> v);

  bool is_set() const {
    return type == ValueType::kSS || type == ValueType::kNS || type == ValueType::kBS;
  }
  // The types DynamoDB orders (<, BETWEEN, sort keys), the only ones a key attribute holds.
  bool is_ordered() const {
    return type == ValueType::kS || type == ValueType::kN || type == ValueType::kB;
  }
};

// The length DynamoDB (a Java service) gives a string: UTF-16 code units of its UTF-8 text, so
// a character outside the Basic Multilingual Plane counts 2 (size() in expressions, and the
// request parameters' length limits).
int64_t Utf16Length(std::string_view s);

// DynamoDB equality: same type and value; sets compare as sets (order does not matter); numbers
// compare numerically.
bool operator==(const AttributeValue& a, const AttributeValue& b);

// DynamoDB's item size: for each attribute, the UTF-8 length of its name plus the size of its
// value, counted as DynamoDB counts it (numbers by significant digits, M/L overhead, ...).
size_t AttributeValueSize(const AttributeValue& v);
size_t NumberStorageSize(const Number& n);  // a number's part of the item size
size_t ItemSize(const Item& item);

constexpr size_t kMaxItemSize = 400 * 1024;
// The aggregate size of the items in one TransactWriteItems request.
constexpr size_t kMaxTransactionSize = 4 * 1024 * 1024;
constexpr size_t kMaxPartitionKeySize = 2048;
constexpr size_t kMaxSortKeySize = 1024;
// Whether a key value is within DynamoDB's key size limit (2,048 bytes for a partition key, 1,024
// for a sort key; a string counts its UTF-8 bytes).
bool KeyValueFits(const AttributeValue& v, bool partition_key);

}  // namespace cruddur::ddb
