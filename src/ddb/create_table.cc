// CreateTable.
#include <fmt/format.h>

#include <set>

#include "ddb/engine_impl.h"
#include "ddb/error.h"
#include "ddb/table_request.h"

namespace cruddur::ddb {

void EngineImpl::CreateTable(const Request& req, JsonWriter& w) {
  // Parse: every constraint violation of the request, reported together.
  ConstraintErrors errors;
  auto name = req.String("TableName");
  const JsonValue* key_schema = req.Array("KeySchema");
  const JsonValue* attr_defs = req.Array("AttributeDefinitions");
  if (!name)
    ThrowRequired("TableName");
  else
    errors.CheckName("tableName", *name);
  if (!attr_defs) ThrowRequired("AttributeDefinitions");
  if (!key_schema) ThrowRequired("KeySchema");
  auto billing = req.String("BillingMode");
  if (billing) errors.CheckEnum("billingMode", *billing, {"PROVISIONED", "PAY_PER_REQUEST"});
  const JsonValue* throughput = req.Object("ProvisionedThroughput");
  ProvisionedThroughput pt;
  if (throughput) pt = ParseThroughput(*throughput, "provisionedThroughput", errors);
  std::vector<KeyElement> table_keys = ParseKeySchema(*key_schema, "keySchema", errors);
  std::vector<AttributeDefinition> defs = ParseAttributeDefinitions(*attr_defs, errors);
  const JsonValue* lists[2] = {req.Array("LocalSecondaryIndexes"),
                               req.Array("GlobalSecondaryIndexes")};
  std::vector<IndexRequest> indexes;
  for (bool global : {false, true}) {
    const JsonValue* list = lists[global];
    if (!list) continue;
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      std::string member = fmt::format(
          "{}.{}.member", global ? "globalSecondaryIndexes" : "localSecondaryIndexes", i + 1);
      indexes.push_back(ParseIndex((*list)[i], member, global, errors));
    }
  }
  errors.ThrowIfAny();

  // Validate, in DynamoDB's order.
  CheckNoDuplicateDefinitions(defs);
  bool ppr = billing && *billing == "PAY_PER_REQUEST";
  if (ppr && throughput) {
    throw ApiError::Validation(
        fmt::format("{}Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                    "BillingMode is PAY_PER_REQUEST",
                    kInvalid));
  }
  if (!ppr && !throughput) {
    throw ApiError::Validation(
        fmt::format("{}ReadCapacityUnits and WriteCapacityUnits must both be specified when "
                    "BillingMode is PROVISIONED",
                    kInvalid));
  }
  bool has_indexes = lists[0] || lists[1];
  // Without indexes DynamoDB compares counts first: [pk HASH, pk RANGE] with only pk defined has
  // "no definition" rather than the same-name error.
  if (!has_indexes && defs.size() < table_keys.size()) {
    throw ApiError::Validation("Invalid KeySchema: Some index key attribute have no definition");
  }
  if (!has_indexes && defs.size() > table_keys.size()) {
    throw ApiError::Validation(
        fmt::format("{}Number of attributes in KeySchema does not exactly match number of "
                    "attributes defined in AttributeDefinitions",
                    kInvalid));
  }
  KeyNames key_names = CheckKeyOrder(table_keys);
  std::vector<std::string> used = {key_names.hash};
  if (!key_names.range.empty()) used.push_back(key_names.range);
  if (!has_indexes) CheckKeysDefined(used, defs);
  for (bool global : {false, true}) {
    const JsonValue* list = lists[global];
    if (!list) continue;
    if (list->Size() == 0) {
      throw ApiError::Validation(
          fmt::format("{}List of {} is empty", kInvalid,
                      global ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes"));
    }
    if (!global && list->Size() > 5) {
      throw ApiError::Validation(
          fmt::format("{}Number of LocalSecondaryIndexes exceeds per-table limit of 5", kInvalid));
    }
    if (global && list->Size() > 20) {
      throw ApiError::Validation(
          fmt::format("{}GlobalSecondaryIndex count exceeds the per-table limit of 20", kInvalid));
    }
  }
  if (has_indexes) {
    for (const auto& r : indexes) {
      for (const auto& k : r.keys) {
        if (std::find(used.begin(), used.end(), k.name) == used.end()) used.push_back(k.name);
      }
    }
    CheckDefinitionsMatchKeys(defs, used);
  }

  auto schema = std::make_shared<TableSchema>();
  schema->name = std::string(*name);
  schema->attribute_definitions = defs;
  schema->pay_per_request = ppr;
  schema->throughput = pt;
  std::map<std::string, ValueType> types;
  for (const auto& d : defs) types[d.name] = d.type;
  schema->key = TypedKey(key_names, types);
  std::set<std::string> index_names;
  for (auto& r : indexes) {
    IndexSchema& ix = r.ix;
    KeyNames kn = CheckKeyOrder(r.keys);
    ApplyProjection(*r.projection, ix);
    if (!index_names.insert(ix.name).second) {
      throw ApiError::Validation(fmt::format("{}Duplicate index name: {}", kInvalid, ix.name));
    }
    if (!ix.global) {
      if (!schema->key.has_range()) {
        throw ApiError::Validation(
            fmt::format("{}Table KeySchema does not have a range key, which is required when "
                        "specifying a LocalSecondaryIndex",
                        kInvalid));
      }
      if (kn.range.empty()) {
        throw ApiError::Validation(fmt::format(
            "{}Index KeySchema does not have a range key for index: {}", kInvalid, ix.name));
      }
      if (kn.hash != schema->key.hash_name) {
        throw ApiError::Validation(fmt::format(
            "{}Index KeySchema does not have the same leading hash key as table KeySchema for "
            "index: {}. index hash key: {}, table hash key: {}",
            kInvalid, ix.name, kn.hash, schema->key.hash_name));
      }
    } else if (ppr && r.throughput) {
      throw ApiError::Validation(
          fmt::format("{}ProvisionedThroughput should not be specified for index: {} when "
                      "BillingMode is PAY_PER_REQUEST",
                      kInvalid, ix.name));
    } else if (!ppr && !r.throughput) {
      throw ApiError::Validation(
          fmt::format("{}ProvisionedThroughput is not specified for index: {}", kInvalid, ix.name));
    }
    ix.id = ++schema->last_index_id;
    ix.key = TypedKey(kn, types);
    schema->indexes.push_back(std::move(ix));
  }

  if (const JsonValue* stream = req.Object("StreamSpecification")) {
    schema->stream = ParseStreamSpecification(*stream, /*creating=*/true);
  }
  if (const JsonValue* sse = req.Object("SSESpecification")) {
    schema->sse_kms_key_arn =
        ParseSse(*sse, options_.region, options_.account_id).value_or(std::string());
  }
  if (auto dp = req.Bool("DeletionProtectionEnabled")) schema->deletion_protection = *dp;
  if (const JsonValue* tags = req.Array("Tags")) schema->tags = ParseTags(*tags);
  if (auto tc = req.String("TableClass")) {
    errors.CheckEnum("tableClass", *tc, {"STANDARD", "STANDARD_INFREQUENT_ACCESS"});
    errors.ThrowIfAny();
    schema->table_class = std::string(*tc);
  }

  std::lock_guard lock(catalog_mu_);
  schema->creation_time = Now();
  if (auto existing = FindTable(schema->name)) {
    // The name of a table still being deleted is not free yet (as DynamoDB answers it).
    if (existing->schema()->StatusAt(schema->creation_time) == "DELETING") {
      throw TableInUse("DELETING", schema->name);
    }
    throw ApiError::ResourceInUse("Table already exists: " + schema->name);
  }
  if (DelaysTransientStatuses()) {
    schema->transient_status = "CREATING";
    schema->transient_until = TransientUntil(schema->creation_time);
  }
  if (schema->stream.enabled) schema->stream_label = StreamLabel(schema->creation_time);
  schema->id = next_table_id_++;
  schema->table_id = NewUuid();
  SaveSchema(*schema);
  auto table = std::make_shared<Table>(schema);
  table->SetStats({});
  {
    std::unique_lock tl(tables_mu_);
    tables_[schema->name] = table;
  }
  w.StartObject();
  WriteKey(w, "TableDescription");
  WriteTableDescription(w, *schema, "CREATING", {}, options_.region, options_.account_id);
  w.EndObject();
}

}  // namespace cruddur::ddb
