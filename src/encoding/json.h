// Small JSON helpers shared by the layers that build or read JSON outside the engine's hot paths
// (the engine has its own writer in ddb/value_json.h). RapidJSON, header-only.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>

namespace cruddur::encoding {

using JsonTextWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// The text `write(writer)` writes.
template <typename F>
std::string WriteJson(F&& write) {
  rapidjson::StringBuffer buffer;
  JsonTextWriter writer(buffer);
  write(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// The text of one JSON object whose members `members(writer)` writes.
template <typename F>
std::string WriteJsonObject(F&& members) {
  return WriteJson([&](JsonTextWriter& w) {
    w.StartObject();
    members(w);
    w.EndObject();
  });
}

// `"name": "value"` inside an object being written.
void WriteStringField(JsonTextWriter& w, std::string_view name, std::string_view value);

// The compact text of `value`.
std::string JsonText(const rapidjson::Value& value);

// The string member `name` of `object`; "" when `object` is not an object or the member is
// missing or not a string.
std::string StringMember(const rapidjson::Value& object, std::string_view name);

// `text` as a quoted JSON string: '"', '\\' and control characters escaped (\n, \r, \t, else
// \u00xx), every other byte as it is.
void AppendJsonString(std::string& out, std::string_view text);
std::string JsonString(std::string_view text);

}  // namespace cruddur::encoding
