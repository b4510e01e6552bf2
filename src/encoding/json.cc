#include "encoding/json.h"

#include "encoding/hex.h"

namespace cruddur::encoding {

void WriteStringField(JsonTextWriter& w, std::string_view name, std::string_view value) {
  w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

std::string JsonText(const rapidjson::Value& value) {
  return WriteJson([&](JsonTextWriter& w) { value.Accept(w); });
}

std::string StringMember(const rapidjson::Value& object, std::string_view name) {
  if (!object.IsObject()) return {};
  // A key built from the view: FindMember(const char*) would run strlen over it.
  rapidjson::Value key(rapidjson::StringRef(name.data(), name.size()));
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

namespace {

// The short escape of `c`, or null when it has none.
const char* ShortEscape(unsigned char c) {
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    default:
      return nullptr;
  }
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view text) {
  out.push_back('"');
  for (unsigned char c : text) {
    if (const char* escape = ShortEscape(c)) {
      out.append(escape);
    } else if (c < 0x20) {
      out.append("\\u00");
      AppendHexByte(out, c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
}

std::string JsonString(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

}  // namespace cruddur::encoding
