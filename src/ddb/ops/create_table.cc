// CreateTable, in three steps: ParseCreateTable (the request's shape, every constraint violation
// reported together), ValidateCreateTable (DynamoDB's semantic checks, in its order) and
// BuildSchema (the new table's TableSchema, with the checks of each index); then the table is
// registered under the catalog lock.
#include <fmt/format.h>

#include <set>

#include "ddb/engine_impl.h"
#include "ddb/error.h"
#include "ddb/ops/table_request.h"

namespace cruddur::ddb {
namespace {

// A CreateTable request, as parsed.
struct CreateTableRequest {
  std::string name;
  std::optional<std::string> billing;
  const JsonValue* throughput = nullptr;
  ProvisionedThroughput pt;
  std::vector<KeyElement> keys;
  std::vector<AttributeDefinition> definitions;
  const JsonValue* lists[2] = {nullptr, nullptr};  // LocalSecondaryIndexes, GlobalSecondaryIndexes
  std::vector<IndexRequest> indexes;
  std::optional<ThroughputSetting> on_demand, warm;
  bool pay_per_request() const { return billing == "PAY_PER_REQUEST"; }
  bool has_indexes() const { return lists[0] || lists[1]; }
};

CreateTableRequest ParseCreateTable(const Request& req) {
  CreateTableRequest r;
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
  r.name = std::string(*name);
  if (auto billing = req.String("BillingMode")) {
    errors.CheckEnum("billingMode", *billing, {"PROVISIONED", "PAY_PER_REQUEST"});
    r.billing = std::string(*billing);
  }
  r.throughput = req.Object("ProvisionedThroughput");
  if (r.throughput) r.pt = ParseThroughput(*r.throughput, "provisionedThroughput", errors);
  r.keys = ParseKeySchema(*key_schema, "keySchema", errors);
  r.definitions = ParseAttributeDefinitions(*attr_defs, errors);
  r.lists[0] = req.Array("LocalSecondaryIndexes");
  r.lists[1] = req.Array("GlobalSecondaryIndexes");
  for (bool global : {false, true}) {
    const JsonValue* list = r.lists[global];
    if (!list) continue;
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      std::string member = fmt::format(
          "{}.{}.member", global ? "globalSecondaryIndexes" : "localSecondaryIndexes", i + 1);
      r.indexes.push_back(ParseIndex((*list)[i], member, global, errors));
    }
  }
  r.on_demand = ParseThroughputSetting(req.root(), "OnDemandThroughput");
  r.warm = ParseThroughputSetting(req.root(), "WarmThroughput");
  errors.ThrowIfAny();
  return r;
}

// The checks of the whole request, in DynamoDB's order, before those of each index (BuildSchema).
void ValidateCreateTable(const CreateTableRequest& r, const std::string& region) {
  CheckNoDuplicateDefinitions(r.definitions);
  bool ppr = r.pay_per_request();
  if (ppr && r.throughput) {
    throw ApiError::Validation(
        fmt::format("{}Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                    "BillingMode is PAY_PER_REQUEST",
                    kInvalid));
  }
  if (!ppr && !r.throughput) {
    throw ApiError::Validation(
        fmt::format("{}ReadCapacityUnits and WriteCapacityUnits must both be specified when "
                    "BillingMode is PROVISIONED",
                    kInvalid));
  }
  const std::vector<AttributeDefinition>& defs = r.definitions;
  // Without indexes DynamoDB compares counts first: [pk HASH, pk RANGE] with only pk defined has
  // "no definition" rather than the same-name error.
  if (!r.has_indexes() && defs.size() < r.keys.size()) {
    throw ApiError::Validation("Invalid KeySchema: Some index key attribute have no definition");
  }
  if (!r.has_indexes() && defs.size() > r.keys.size()) {
    throw ApiError::Validation(
        fmt::format("{}Number of attributes in KeySchema does not exactly match number of "
                    "attributes defined in AttributeDefinitions",
                    kInvalid));
  }
  KeyNames key_names = CheckKeyOrder(r.keys);
  std::vector<std::string> used = {key_names.hash};
  if (!key_names.range.empty()) used.push_back(key_names.range);
  if (!r.has_indexes()) CheckKeysDefined(used, defs);
  for (bool global : {false, true}) {
    const JsonValue* list = r.lists[global];
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
  if (r.has_indexes()) {
    for (const auto& ix : r.indexes) {
      for (const auto& k : ix.keys) {
        if (std::find(used.begin(), used.end(), k.name) == used.end()) used.push_back(k.name);
      }
    }
    CheckDefinitionsMatchKeys(defs, used);
  }
  if (r.on_demand) CheckOnDemand(*r.on_demand, "", ppr, /*updating=*/false, region);
}

// A new GSI's OnDemandThroughput and WarmThroughput, checked; its WarmThroughput is reported (as
// being raised) in the CreateTable response only when asked for.
void ApplyIndexThroughputSettings(IndexRequest& r, bool ppr, const std::string& region) {
  if (r.on_demand) {
    CheckOnDemand(*r.on_demand, r.ix.name, ppr, /*updating=*/false, region);
    r.ix.on_demand = MergeOnDemand({}, *r.on_demand);
  }
  r.ix.warm =
      WarmAtCreate(r.warm.value_or(ThroughputSetting{}), r.ix.name, ppr, r.ix.throughput, region);
  r.ix.warm_report = r.warm ? WarmReport::kUpdating : WarmReport::kOmitted;
}

// An index's own checks (its key schema, its projection, LSI rules, GSI throughput), then the
// index as the schema holds it.
void AddIndex(IndexRequest& r, bool ppr, const std::map<std::string, ValueType>& types,
              std::set<std::string>& index_names, TableSchema& schema, const std::string& region) {
  IndexSchema& ix = r.ix;
  KeyNames kn = CheckKeyOrder(r.keys, ix.global);
  ApplyProjection(*r.projection, ix);
  if (!index_names.insert(ix.name).second) {
    throw ApiError::Validation(fmt::format("{}Duplicate index name: {}", kInvalid, ix.name));
  }
  if (!ix.global) {
    if (!schema.key.has_range()) {
      throw ApiError::Validation(
          fmt::format("{}Table KeySchema does not have a range key, which is required when "
                      "specifying a LocalSecondaryIndex",
                      kInvalid));
    }
    if (kn.range.empty()) {
      throw ApiError::Validation(fmt::format(
          "{}Index KeySchema does not have a range key for index: {}", kInvalid, ix.name));
    }
    if (kn.hash != schema.key.hash_name) {
      throw ApiError::Validation(fmt::format(
          "{}Index KeySchema does not have the same leading hash key as table KeySchema for "
          "index: {}. index hash key: {}, table hash key: {}",
          kInvalid, ix.name, kn.hash, schema.key.hash_name));
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
  if (ix.global) ApplyIndexThroughputSettings(r, ppr, region);
  ix.id = ++schema.last_index_id;
  ix.key = TypedKey(kn, types);
  schema.indexes.push_back(std::move(ix));
}

// The new table's schema from a validated request; the settings parsed here last (streams, SSE,
// tags, table class) are checked after the indexes, as DynamoDB checks them.
std::shared_ptr<TableSchema> BuildSchema(const Request& req, CreateTableRequest& r,
                                         const EngineOptions& options) {
  auto schema = std::make_shared<TableSchema>();
  schema->name = r.name;
  schema->attribute_definitions = r.definitions;
  schema->pay_per_request = r.pay_per_request();
  schema->throughput = r.pt;
  std::map<std::string, ValueType> types;
  for (const auto& d : r.definitions) types[d.name] = d.type;
  schema->key = TypedKey(CheckKeyOrder(r.keys), types);
  std::set<std::string> index_names;
  for (auto& ix : r.indexes) {
    AddIndex(ix, r.pay_per_request(), types, index_names, *schema, options.region);
  }
  if (r.on_demand) schema->on_demand = MergeOnDemand({}, *r.on_demand);
  schema->warm = WarmAtCreate(r.warm.value_or(ThroughputSetting{}), "", r.pay_per_request(), r.pt,
                              options.region);
  schema->warm_report = r.warm ? WarmReport::kUpdating : WarmReport::kOmitted;

  if (const JsonValue* stream = req.Object("StreamSpecification")) {
    schema->stream = ParseStreamSpecification(*stream, /*creating=*/true);
  }
  if (const JsonValue* sse = req.Object("SSESpecification")) {
    schema->sse_kms_key_arn =
        ParseSse(*sse, options.region, options.account_id).value_or(std::string());
  }
  if (auto dp = req.Bool("DeletionProtectionEnabled")) schema->deletion_protection = *dp;
  if (const JsonValue* tags = req.Array("Tags")) schema->tags = ParseTags(*tags);
  if (auto tc = req.String("TableClass")) {
    CheckTableClass(*tc);
    schema->table_class = std::string(*tc);
    schema->table_class_given = true;
  }
  return schema;
}

}  // namespace

void EngineImpl::CreateTable(const Request& req, JsonWriter& w) {
  CreateTableRequest parsed = ParseCreateTable(req);
  ValidateCreateTable(parsed, options_.region);
  std::shared_ptr<TableSchema> schema = BuildSchema(req, parsed, options_);

  MutexLock lock(catalog_mu_);
  schema->creation_time = Now();
  if (schema->pay_per_request) schema->pay_per_request_since = schema->creation_time;
  if (auto existing = FindTable(schema->name)) {
    // A restore target, until its restore is done (ack-api-quirks dynamodb DDB-TABLE-219).
    if (RestoringInto(schema->name)) {
      throw ApiError::ResourceInUse("Table is being used: " + schema->name);
    }
    // "Table already exists" in every state but CREATING, DELETING included (DynamoDB's answers
    // recorded in 2026: ack-api-quirks dynamodb DDB-TABLE-005/006).
    if (existing->schema()->StatusAt(schema->creation_time) == "CREATING") {
      throw TableInUse("CREATING", schema->name);
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
  // The response describes WarmThroughput as asked for; the table itself has it ACTIVE.
  TableSchema response = *schema;
  response.billing_summary_pending = true;
  schema->warm_report = WarmReport::kActive;
  for (auto& ix : schema->indexes) ix.warm_report = WarmReport::kActive;
  SaveSchema(*schema);
  auto table = std::make_shared<Table>(schema);
  table->SetStats({});
  {
    WriterLock tl(tables_mu_);
    tables_[schema->name] = table;
  }
  NoteRequestTable(schema->name);
  w.StartObject();
  WriteKey(w, "TableDescription");
  WriteTableDescription(w, response, "CREATING", {}, options_.region, options_.account_id);
  w.EndObject();
}

}  // namespace cruddur::ddb
