// ExpressionAttributeNames / ExpressionAttributeValues, and PathToString.
#include <cctype>

#include "ddb/error.h"
#include "ddb/expression/expression.h"
#include "ddb/value_json.h"

namespace cruddur::ddb::expr {
namespace {

// "#name" / ":value": the sigil then one or more letters, digits or underscores.
bool ValidKey(std::string_view key, char sigil) {
  if (key.size() < 2 || key[0] != sigil) return false;
  for (size_t i = 1; i < key.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(key[i]);
    if (!std::isalnum(c) && c != '_') return false;
  }
  return true;
}

// Calls `each(key, value)` for every member of `map` (the request's `member`), after DynamoDB's
// checks of the map and of each key (`sigil`, then a name). False when the map is absent or null.
template <typename Each>
bool ForEachSubstitution(const JsonValue* map, std::string_view member, char sigil, Each each) {
  if (!map || map->IsNull()) return false;
  if (!map->IsObject()) {
    throw ApiError::Serialization("Start of structure or map found where not expected");
  }
  if (map->MemberCount() == 0) {
    throw ApiError::Validation(std::string(member) + " must not be empty");
  }
  for (auto it = map->MemberBegin(); it != map->MemberEnd(); ++it) {
    std::string key(it->name.GetString(), it->name.GetStringLength());
    if (!ValidKey(key, sigil)) {
      throw ApiError::Validation(std::string(member) +
                                 " contains invalid key: Syntax error; key: \"" + key + "\"");
    }
    each(key, it->value);
  }
  return true;
}

std::string JoinUnused(const std::vector<std::string>& order,
                       const std::set<std::string, std::less<>>& used) {
  std::string out;
  for (const std::string& k : order) {
    if (used.count(k)) continue;
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

}  // namespace

std::string PathToString(const Path& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i].is_index()) {
      // Appended piecewise: "[" + to_string(...) trips GCC 12's -Wrestrict false positive at -O3.
      out += '[';
      out += std::to_string(path[i].index);
      out += ']';
    } else {
      if (i > 0) out += ".";
      out += path[i].name;
    }
  }
  return out;
}

Substitutions Substitutions::Parse(const JsonValue* names, const JsonValue* values) {
  Substitutions s;
  s.has_names_ = ForEachSubstitution(
      names, "ExpressionAttributeNames", '#', [&](const std::string& key, const JsonValue& value) {
        if (!value.IsString()) {
          throw ApiError::Serialization("NUMBER_VALUE cannot be converted to String");
        }
        if (s.names_.emplace(key, std::string(value.GetString(), value.GetStringLength())).second) {
          s.name_order_.push_back(key);
        }
      });
  s.has_values_ = ForEachSubstitution(
      values, "ExpressionAttributeValues", ':',
      [&](const std::string& key, const JsonValue& value) {
        AttributeValue v;
        try {
          v = ParseAttributeValue(value);
        } catch (const ApiError& e) {
          if (e.type() != "ValidationException") throw;
          throw ApiError::Validation("ExpressionAttributeValues contains invalid value: " +
                                     e.message() + " for key " + key);
        }
        if (s.values_.emplace(key, std::move(v)).second) s.value_order_.push_back(key);
      });
  return s;
}

void Substitutions::CheckAllUsed() const {
  std::string unused = JoinUnused(name_order_, used_names_);
  if (!unused.empty()) {
    throw ApiError::Validation(
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {" + unused + "}");
  }
  unused = JoinUnused(value_order_, used_values_);
  if (!unused.empty()) {
    throw ApiError::Validation(
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {" + unused +
        "}");
  }
}

const std::string* Substitutions::FindName(std::string_view token) {
  auto it = names_.find(token);
  if (it == names_.end()) return nullptr;
  if (!used_names_.count(token)) used_names_.emplace(token);
  return &it->second;
}

const AttributeValue* Substitutions::FindValue(std::string_view token) {
  auto it = values_.find(token);
  if (it == values_.end()) return nullptr;
  if (!used_values_.count(token)) used_values_.emplace(token);
  return &it->second;
}

const std::string& Substitutions::Name(std::string_view token, std::string_view kind) {
  const std::string* name = FindName(token);
  if (!name) {
    throw ApiError::Validation(
        "Invalid " + std::string(kind) +
        ": An expression attribute name used in the document path is not defined; attribute "
        "name: " +
        std::string(token));
  }
  return *name;
}

const AttributeValue& Substitutions::Value(std::string_view token, std::string_view kind) {
  const AttributeValue* value = FindValue(token);
  if (!value) {
    throw ApiError::Validation(
        "Invalid " + std::string(kind) +
        ": An expression attribute value used in expression is not defined; attribute value: " +
        std::string(token));
  }
  return *value;
}

}  // namespace cruddur::ddb::expr
