// The JSON types the engine speaks: requests are parsed into rapidjson documents, responses are
// written with one rapidjson writer.
#pragma once

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

// rapidjson's error for `text` read as one JSON value with valid UTF-8 (kParseErrorNone when it
// is one), or kParseErrorTermination when it nests arrays and objects deeper than `max_depth`.
// Reads iteratively and builds nothing: run it before building a document from untrusted text,
// since building is iterative but freeing a document recurses once per level.
rapidjson::ParseErrorCode CheckJson(std::string_view text, int max_depth);

}  // namespace cruddur::ddb
