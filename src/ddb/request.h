// Reading a DynamoDB request body: typed access to members with DynamoDB's validation messages,
// and the "N validation errors detected: ..." collector DynamoDB uses for constraint violations.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/json.h"

namespace cruddur::ddb {

// Collects constraint violations ("Value 'x' at 'tableName' failed to satisfy constraint: ...")
// and throws them together as one ValidationException, worded as DynamoDB words it.
class ConstraintErrors {
 public:
  void Add(std::string violation) { errors_.push_back(std::move(violation)); }
  // "Value null at 'field' failed to satisfy constraint: Member must not be null"
  void NotNull(std::string_view field);
  // Checks a table or index name's length (1..255) and pattern ([a-zA-Z0-9_.-]+, or an ARN),
  // after the shape validator has applied each operation's own bounds.
  void CheckName(std::string_view field, std::string_view value);
  // Value of an enum member not in `allowed`.
  void CheckEnum(std::string_view field, std::string_view value,
                 const std::vector<std::string_view>& allowed);
  void CheckRange(std::string_view field, int64_t value, int64_t min, int64_t max);
  // A list of `size` elements outside min..max ("Value '[]' at 'field' ...", as DynamoDB shows
  // any list). Returns whether it was within.
  bool CheckListLength(std::string_view field, size_t size, size_t min, size_t max);
  bool empty() const { return errors_.empty(); }
  // Throws when any violation was added.
  void ThrowIfAny() const;

 private:
  std::vector<std::string> errors_;
};

// Whether `s` is a table or index name's text: one or more of [a-zA-Z0-9_.-] (no length check).
bool IsTableNameText(std::string_view s);

// A top-level member the operation requires is absent: "The parameter 'TableName' is required
// but was not present in the request".
[[noreturn]] void ThrowRequired(std::string_view member);

// The SerializationException DynamoDB's deserializer throws for a member of the wrong JSON type
// ("NUMBER_VALUE cannot be converted to String", "Unexpected field type", ...); each returns
// normally when `v` has the type.
void ExpectJsonString(const JsonValue& v);
void ExpectJsonInteger(const JsonValue& v);  // an integral number (a fraction is truncated)
void ExpectJsonBool(const JsonValue& v);
void ExpectJsonObject(const JsonValue& v);
void ExpectJsonArray(const JsonValue& v);

class Request;
// The request's Limit, when given: 1 to `max`, else a violation added to `errors`.
std::optional<int64_t> LimitParam(const Request& req, int64_t max, ConstraintErrors& errors);
// The request's TableName: required (its length and pattern are the shape validator's).
std::string_view TableNameParam(const Request& req, ConstraintErrors& errors);
// The request's TableName: required, its length and pattern added to `errors` (CheckName) for
// the operations that check them again.
std::string_view CheckedTableName(const Request& req, ConstraintErrors& errors);

// The request body, parsed. Member accessors return null/nullopt when the member is absent and
// throw SerializationException when it has the wrong JSON type (as DynamoDB's deserializer does).
class Request {
 public:
  explicit Request(std::string_view body);  // throws SerializationException on malformed JSON
  // Parses a body as a client sent it, without throwing: ok() says whether it is one JSON
  // object of valid UTF-8 nested no deeper than `max_depth` (refused while parsing, so that
  // nothing walks a deeper document recursively). `body` must outlive the request.
  Request(std::string_view body, int max_depth);
  // The document points into this object's own buffer.
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  const JsonValue& root() const { return doc_; }
  bool ok() const { return ok_; }
  // The text this request was parsed from.
  std::string_view body() const { return body_; }
  const JsonValue* Get(std::string_view name) const { return Member(doc_, name); }
  std::optional<std::string_view> String(std::string_view name) const {
    return StringOf(doc_, name);
  }
  std::optional<bool> Bool(std::string_view name) const { return BoolOf(doc_, name); }
  std::optional<int64_t> Int(std::string_view name) const { return IntOf(doc_, name); }
  const JsonValue* Object(std::string_view name) const { return ObjectOf(doc_, name); }
  const JsonValue* Array(std::string_view name) const { return ArrayOf(doc_, name); }

  static const JsonValue* Member(const JsonValue& obj, std::string_view name);
  static std::optional<std::string_view> StringOf(const JsonValue& obj, std::string_view name);
  static std::optional<bool> BoolOf(const JsonValue& obj, std::string_view name);
  static std::optional<int64_t> IntOf(const JsonValue& obj, std::string_view name);
  // A JSON number as an integer member reads it: a fraction truncated toward zero, a value
  // beyond int64's range held at its bound (converting it as it is would be undefined).
  static int64_t IntegerOf(const JsonValue& number);
  static const JsonValue* ObjectOf(const JsonValue& obj, std::string_view name);
  static const JsonValue* ArrayOf(const JsonValue& obj, std::string_view name);

 private:
  // The parsed values live in this buffer first, so that a typical request costs no heap chunk
  // (rapidjson's default first chunk is a 64 KB malloc); bigger ones continue on the heap.
  alignas(8) char pool_buffer_[4096];
  rapidjson::MemoryPoolAllocator<> pool_{pool_buffer_, sizeof pool_buffer_};
  // The parser's working stack comes from malloc through this stateless allocator (without
  // one, each document would allocate its own allocator object).
  inline static rapidjson::CrtAllocator parse_stack_allocator;
  JsonDocument doc_{&pool_, 1024, &parse_stack_allocator};
  std::string_view body_;
  bool ok_ = true;
};

inline std::string_view View(const JsonValue& v) {
  return std::string_view(v.GetString(), v.GetStringLength());
}

}  // namespace cruddur::ddb
