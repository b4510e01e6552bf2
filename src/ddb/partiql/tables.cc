// The key schemas of the tables PartiQL statements name, from DescribeTable.
#include "ddb/partiql/translate.h"

namespace cruddur::ddb::partiql {

const TableInfo& Tables::Get(const std::string& name) {
  auto it = cache_.find(name);
  if (it != cache_.end()) return it->second;
  std::string body;
  {
    JsonBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    Key(w, "TableName");
    Str(w, name);
    w.EndObject();
    body = Written(buf);
  }
  std::string response;
  try {
    response = execute_("DescribeTable", body);
  } catch (const ApiError& e) {
    if (e.type() == "ResourceNotFoundException") throw ApiError::ResourceNotFound();
    throw;
  }
  JsonDocument doc = ParseJson(response);
  const JsonValue& table = doc["Table"];
  std::map<std::string, std::string> types;
  for (const auto& d : table["AttributeDefinitions"].GetArray()) {
    types[d["AttributeName"].GetString()] = d["AttributeType"].GetString();
  }
  auto read_key = [&](const JsonValue& schema) {
    KeySchema k;
    for (const auto& e : schema.GetArray()) {
      std::string attr = e["AttributeName"].GetString();
      bool hash = std::string_view(e["KeyType"].GetString()) == "HASH";
      if (hash && !k.hash.empty()) {
        k.more_hash.push_back({attr, types[attr]});
      } else if (hash) {
        k.hash = attr;
        k.hash_type = types[attr];
      } else if (!k.range.empty()) {
        k.more_range.push_back({attr, types[attr]});
      } else {
        k.range = attr;
        k.range_type = types[attr];
      }
    }
    return k;
  };
  TableInfo info;
  info.key = read_key(table["KeySchema"]);
  for (const char* member : {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"}) {
    if (!table.HasMember(member)) continue;
    for (const auto& index : table[member].GetArray()) {
      std::string index_name = index["IndexName"].GetString();
      info.indexes[index_name] = read_key(index["KeySchema"]);
      if (std::string_view(member) == "GlobalSecondaryIndexes") info.gsis.insert(index_name);
      const JsonValue& projection = index["Projection"];
      if (std::string_view(projection["ProjectionType"].GetString()) == "ALL") continue;
      std::vector<std::string>& holds = info.partial_indexes[index_name];
      for (const JsonValue* schema : {&table["KeySchema"], &index["KeySchema"]}) {
        for (const auto& e : schema->GetArray()) holds.emplace_back(e["AttributeName"].GetString());
      }
      if (projection.HasMember("NonKeyAttributes")) {
        for (const auto& a : projection["NonKeyAttributes"].GetArray()) {
          holds.emplace_back(a.GetString());
        }
      }
    }
  }
  return cache_.emplace(name, std::move(info)).first->second;
}

}  // namespace cruddur::ddb::partiql
