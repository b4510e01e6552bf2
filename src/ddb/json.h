// The JSON types the engine speaks: requests are parsed into rapidjson documents, responses are
// written with one rapidjson writer.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/error/error.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace cruddur::ddb {

using JsonValue = rapidjson::Value;
using JsonDocument = rapidjson::Document;
using JsonBuffer = rapidjson::StringBuffer;
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// The member `name` of `obj`, or null when `obj` is not an object or has no such member or has it
// as JSON null (DynamoDB treats a null member as absent). rapidjson's FindMember would take a
// string_view's data as a C string and run strlen over it (past its end, if not terminated).
inline const JsonValue* MemberValue(const JsonValue& obj, std::string_view name) {
  if (!obj.IsObject()) return nullptr;
  for (const auto& m : obj.GetObject()) {
    if (m.name.GetStringLength() == name.size() &&
        std::memcmp(m.name.GetString(), name.data(), name.size()) == 0) {
      return m.value.IsNull() ? nullptr : &m.value;
    }
  }
  return nullptr;
}

// A rapidjson reader handler that passes every event on to `inner` and refuses (the reader stops
// with kParseErrorTermination) arrays and objects nested deeper than `max_depth`: CheckJson's
// with a handler that builds nothing, Request's with the document it builds.
template <typename Inner>
class DepthLimited {
 public:
  DepthLimited(Inner& inner, int max_depth) : inner_(inner), max_depth_(max_depth) {}

  bool Null() { return inner_.Null(); }
  bool Bool(bool b) { return inner_.Bool(b); }
  bool Int(int i) { return inner_.Int(i); }
  bool Uint(unsigned i) { return inner_.Uint(i); }
  bool Int64(int64_t i) { return inner_.Int64(i); }
  bool Uint64(uint64_t i) { return inner_.Uint64(i); }
  bool Double(double d) { return inner_.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return inner_.RawNumber(s, n, copy);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return inner_.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return inner_.Key(s, n, copy); }
  bool StartObject() { return ++depth_ <= max_depth_ && inner_.StartObject(); }
  bool EndObject(rapidjson::SizeType members) {
    --depth_;
    return inner_.EndObject(members);
  }
  bool StartArray() { return ++depth_ <= max_depth_ && inner_.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) {
    --depth_;
    return inner_.EndArray(elements);
  }

 private:
  Inner& inner_;
  int max_depth_;
  int depth_ = 0;
};

// rapidjson's error for `text` read as one JSON value with valid UTF-8 (kParseErrorNone when it
// is one), or kParseErrorTermination when it nests arrays and objects deeper than `max_depth`.
// Reads iteratively and builds nothing: run it before building a document from untrusted text,
// since building is iterative but freeing a document recurses once per level.
rapidjson::ParseErrorCode CheckJson(std::string_view text, int max_depth);

}  // namespace cruddur::ddb
