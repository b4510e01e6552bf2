// Tags: TagResource, UntagResource, ListTagsOfResource (and CreateTable's Tags, via ParseTags).
#include <fmt/format.h>

#include "ddb/engine_impl.h"
#include "ddb/error.h"

namespace cruddur::ddb {
namespace {

constexpr size_t kMaxTagsPerResource = 50;

// "arn:aws:dynamodb:<region>:<account>:table/<name>" -> the table, else DynamoDB's error.
std::shared_ptr<Table> TableOfArn(EngineImpl& engine, std::string_view arn) {
  std::string prefix = fmt::format("arn:aws:dynamodb:{}:{}:table/", engine.options().region,
                                   engine.options().account_id);
  std::shared_ptr<Table> table;
  if (arn.starts_with(prefix) && arn.find('/', prefix.size()) == std::string_view::npos) {
    table = engine.FindTable(arn.substr(prefix.size()));
  }
  if (!table) {
    // DynamoDB's own spelling ("ResourcArn").
    throw ApiError::ResourceNotFound(
        fmt::format("Requested resource not found: ResourcArn: {} not found", arn));
  }
  return table;
}

std::string_view ArnParam(const Request& req, ConstraintErrors& errors) {
  auto arn = req.String("ResourceArn");
  if (!arn) ThrowRequired("ResourceArn");
  if (arn->empty() || arn->size() > 1283) {
    errors.Add(
        fmt::format("Value '{}' at 'resourceArn' failed to satisfy constraint: Member "
                    "must have length {} than or equal to {}",
                    *arn, arn->empty() ? "greater" : "less", arn->empty() ? 1 : 1283));
  }
  return *arn;
}

}  // namespace

std::map<std::string, std::string> ParseTags(const JsonValue& list, std::string_view field) {
  ConstraintErrors errors;
  std::map<std::string, std::string> tags;
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    std::string member = fmt::format("{}.{}.member", field, i + 1);
    auto key = Request::StringOf(list[i], "Key");
    auto value = Request::StringOf(list[i], "Value");
    if (!key) errors.NotNull(member + ".key");
    if (!value) errors.NotNull(member + ".value");
    if (key && (key->empty() || key->size() > 128)) {
      errors.Add(
          fmt::format("Value '{}' at '{}.key' failed to satisfy constraint: Member must "
                      "have length {} than or equal to {}",
                      *key, member, key->empty() ? "greater" : "less", key->empty() ? 1 : 128));
    }
    if (value && value->size() > 256) {
      errors.Add(
          fmt::format("Value '{}' at '{}.value' failed to satisfy constraint: Member must "
                      "have length less than or equal to 256",
                      *value, member));
    }
    if (key && value) tags[std::string(*key)] = std::string(*value);
  }
  errors.ThrowIfAny();
  return tags;
}

void EngineImpl::TagResource(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  std::string_view arn = ArnParam(req, errors);
  const JsonValue* list = req.Array("Tags");
  if (!list) ThrowRequired("Tags");
  errors.ThrowIfAny();
  auto tags = ParseTags(*list, "tags");
  std::lock_guard lock(catalog_mu_);
  auto table = TableOfArn(*this, arn);
  auto schema = std::make_shared<TableSchema>(*table->schema());
  for (auto& [k, v] : tags) schema->tags[k] = v;
  if (schema->tags.size() > kMaxTagsPerResource) {
    throw ApiError::Validation(fmt::format(
        "One or more parameter values were invalid: The number of tags exceeds the limit of {}",
        kMaxTagsPerResource));
  }
  SaveSchema(*schema);
  table->set_schema(schema);
  w.StartObject();
  w.EndObject();
}

void EngineImpl::UntagResource(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  std::string_view arn = ArnParam(req, errors);
  const JsonValue* keys = req.Array("TagKeys");
  if (!keys) ThrowRequired("TagKeys");
  errors.ThrowIfAny();
  std::lock_guard lock(catalog_mu_);
  auto table = TableOfArn(*this, arn);
  auto schema = std::make_shared<TableSchema>(*table->schema());
  for (const auto& k : keys->GetArray()) {
    if (!k.IsString()) throw ApiError::Serialization("Unexpected field type");
    schema->tags.erase(k.GetString());
  }
  SaveSchema(*schema);
  table->set_schema(schema);
  w.StartObject();
  w.EndObject();
}

void EngineImpl::ListTagsOfResource(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  std::string_view arn = ArnParam(req, errors);
  errors.ThrowIfAny();
  auto schema = TableOfArn(*this, arn)->schema();
  // All of a table's tags fit in one page (at most 50), so there is never a NextToken.
  w.StartObject();
  WriteKey(w, "Tags");
  w.StartArray();
  for (const auto& [k, v] : schema->tags) {
    w.StartObject();
    WriteKey(w, "Key");
    WriteString(w, k);
    WriteKey(w, "Value");
    WriteString(w, v);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace cruddur::ddb
