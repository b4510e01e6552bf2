// Control plane: CreateTable, DeleteTable, DescribeTable, ListTables, UpdateTable,
// DescribeEndpoints, DescribeLimits.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <set>

#include "ddb/engine_impl.h"
#include "ddb/error.h"
#include "ddb/item_codec.h"

namespace cruddur::ddb {
namespace {

double Now() {
  using namespace std::chrono;
  return static_cast<double>(
             duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count()) /
         1000.0;
}

std::string NewUuid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xffff,
                     b >> 48, b & 0xffffffffffffULL);
}

std::string StreamLabel(double now) {
  auto secs = static_cast<time_t>(now);
  int millis = static_cast<int>((now - static_cast<double>(secs)) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

ValueType ScalarTypeOf(std::string_view s) {
  if (s == "N") return ValueType::kN;
  if (s == "B") return ValueType::kB;
  return ValueType::kS;
}

// Reads a KeySchema list into (hash, range) names, with DynamoDB's checks.
struct KeyNames {
  std::string hash, range;
};

KeyNames ParseKeySchema(const JsonValue& list, std::string_view field, ConstraintErrors& errors) {
  KeyNames k;
  if (list.Size() < 1 || list.Size() > 2) {
    errors.Add(
        fmt::format("Value '[]' at '{}' failed to satisfy constraint: Member must have "
                    "length {} than or equal to {}",
                    field, list.Size() < 1 ? "greater" : "less", list.Size() < 1 ? 1 : 2));
    return k;
  }
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    const auto& e = list[i];
    std::string member = fmt::format("{}.{}.member", field, i + 1);
    auto name = Request::StringOf(e, "AttributeName");
    auto type = Request::StringOf(e, "KeyType");
    if (!name) errors.NotNull(member + ".attributeName");
    if (!type) {
      errors.NotNull(member + ".keyType");
    } else {
      errors.CheckEnum(member + ".keyType", *type, {"HASH", "RANGE"});
    }
    if (!name || !type) continue;
    if (i == 0) {
      if (*type != "HASH") {
        throw ApiError::Validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH "
            "key type");
      }
      k.hash = std::string(*name);
    } else {
      if (*type != "RANGE") {
        throw ApiError::Validation(
            "Invalid KeySchema: The second KeySchemaElement is not a "
            "RANGE key type");
      }
      k.range = std::string(*name);
      if (k.range == k.hash) {
        throw ApiError::Validation(
            "Both the Hash Key and the Range Key element in the KeySchema "
            "have the same name");
      }
    }
  }
  return k;
}

ProvisionedThroughput ParseThroughput(const JsonValue& v, std::string_view field,
                                      ConstraintErrors& errors) {
  ProvisionedThroughput t;
  auto r = Request::IntOf(v, "ReadCapacityUnits");
  auto w = Request::IntOf(v, "WriteCapacityUnits");
  if (!r) errors.NotNull(std::string(field) + ".readCapacityUnits");
  if (!w) errors.NotNull(std::string(field) + ".writeCapacityUnits");
  if (r) errors.CheckRange(std::string(field) + ".readCapacityUnits", *r, 1, 40000000000LL);
  if (w) errors.CheckRange(std::string(field) + ".writeCapacityUnits", *w, 1, 40000000000LL);
  t.read_capacity_units = r.value_or(0);
  t.write_capacity_units = w.value_or(0);
  return t;
}

void ParseProjection(const JsonValue* p, std::string_view field, IndexSchema& ix,
                     ConstraintErrors& errors) {
  if (!p) {
    errors.NotNull(std::string(field) + ".projection");
    return;
  }
  auto type = Request::StringOf(*p, "ProjectionType");
  const JsonValue* non_key = Request::ArrayOf(*p, "NonKeyAttributes");
  std::string_view t = type.value_or("");
  if (type) {
    errors.CheckEnum(std::string(field) + ".projection.projectionType", *type,
                     {"ALL", "KEYS_ONLY", "INCLUDE"});
  }
  if (t == "INCLUDE") {
    ix.projection = ProjectionType::kInclude;
    if (!non_key) {
      throw ApiError::Validation(
          "One or more parameter values were invalid: ProjectionType is "
          "INCLUDE, but NonKeyAttributes is not specified");
    }
    std::set<std::string> seen;
    for (const auto& a : non_key->GetArray()) {
      if (!a.IsString()) throw ApiError::Serialization("Unexpected field type");
      if (!seen.insert(a.GetString()).second) {
        throw ApiError::Validation(fmt::format(
            "One or more parameter values were invalid: Duplicate attributes found in the "
            "NonKeyAttributes of index {}",
            ix.name));
      }
      ix.non_key_attributes.emplace_back(a.GetString());
    }
  } else {
    if (non_key) {
      throw ApiError::Validation(fmt::format(
          "One or more parameter values were invalid: ProjectionType is {}, but NonKeyAttributes "
          "is specified",
          t.empty() ? "ALL" : t));
    }
    ix.projection = t == "KEYS_ONLY" ? ProjectionType::kKeysOnly : ProjectionType::kAll;
  }
}

// Resolves key names to typed KeySchema using the attribute definitions.
KeySchema TypedKey(const KeyNames& names, const std::map<std::string, ValueType>& definitions) {
  KeySchema k;
  k.hash_name = names.hash;
  k.range_name = names.range;
  if (auto it = definitions.find(names.hash); it != definitions.end()) k.hash_type = it->second;
  if (!names.range.empty()) {
    if (auto it = definitions.find(names.range); it != definitions.end()) {
      k.range_type = it->second;
    }
  }
  return k;
}

void CheckKeysDefined(const std::vector<std::string>& key_names,
                      const std::map<std::string, ValueType>& definitions) {
  std::vector<std::string> missing;
  for (const auto& n : key_names) {
    if (!definitions.count(n)) missing.push_back(n);
  }
  if (missing.empty()) return;
  std::string keys, defs;
  for (size_t i = 0; i < key_names.size(); ++i) keys += (i ? ", " : "") + key_names[i];
  size_t i = 0;
  for (const auto& [n, _] : definitions) defs += (i++ ? ", " : "") + n;
  throw ApiError::Validation(fmt::format(
      "One or more parameter values were invalid: Some index key attributes are not defined in "
      "AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
      keys, defs));
}

std::map<std::string, ValueType> ParseAttributeDefinitions(const JsonValue& list,
                                                           ConstraintErrors& errors,
                                                           std::vector<AttributeDefinition>* out) {
  std::map<std::string, ValueType> defs;
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    std::string member = fmt::format("attributeDefinitions.{}.member", i + 1);
    auto name = Request::StringOf(list[i], "AttributeName");
    auto type = Request::StringOf(list[i], "AttributeType");
    if (!name) errors.NotNull(member + ".attributeName");
    if (!type) {
      errors.NotNull(member + ".attributeType");
    } else {
      errors.CheckEnum(member + ".attributeType", *type, {"B", "N", "S"});
    }
    if (!name || !type) continue;
    if (!defs.emplace(std::string(*name), ScalarTypeOf(*type)).second) {
      throw ApiError::Validation("Cannot have two attributes with the same name");
    }
    out->push_back({std::string(*name), ScalarTypeOf(*type)});
  }
  return defs;
}

// StreamSpecification of CreateTable/UpdateTable, with DynamoDB's checks (CreateTable also
// refuses a view type on a disabled stream).
StreamSpecification ParseStreamSpecification(const JsonValue& stream, bool creating) {
  ConstraintErrors errors;
  auto enabled = Request::BoolOf(stream, "StreamEnabled");
  auto view = Request::StringOf(stream, "StreamViewType");
  if (!enabled) errors.NotNull("streamSpecification.streamEnabled");
  if (view) {
    errors.CheckEnum("streamSpecification.streamViewType", *view,
                     {"NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"});
  }
  errors.ThrowIfAny();
  if (*enabled && !view) {
    throw ApiError::Validation(
        "One or more parameter values were invalid: StreamViewType is "
        "required when StreamEnabled is true");
  }
  if (creating && !*enabled && view) {
    throw ApiError::Validation(
        "One or more parameter values were invalid: StreamViewType "
        "cannot be specified when StreamEnabled is false");
  }
  return {*enabled, *enabled ? std::string(*view) : std::string()};
}

// DynamoDB's refusal to change a table that is not ACTIVE, e.g. "Attempt to change a resource
// which is still in use: Table is being created: orders".
ApiError TableInUse(std::string_view status, std::string_view table) {
  std::string_view doing = status == "CREATING"   ? "created"
                           : status == "DELETING" ? "deleted"
                                                  : "updated";
  return ApiError::ResourceInUse(fmt::format(
      "Attempt to change a resource which is still in use: Table is being {}: {}", doing, table));
}

}  // namespace

void EngineImpl::CreateTable(const Request& req, JsonWriter& w) {
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
  KeyNames key_names;
  if (key_schema) key_names = ParseKeySchema(*key_schema, "keySchema", errors);
  errors.ThrowIfAny();

  auto schema = std::make_shared<TableSchema>();
  schema->name = std::string(*name);
  auto defs = ParseAttributeDefinitions(*attr_defs, errors, &schema->attribute_definitions);
  errors.ThrowIfAny();

  bool ppr = billing && *billing == "PAY_PER_REQUEST";
  if (ppr && throughput) {
    throw ApiError::Validation(
        "One or more parameter values were invalid: Neither "
        "ReadCapacityUnits nor WriteCapacityUnits can be specified when "
        "BillingMode is PAY_PER_REQUEST");
  }
  if (!ppr && !throughput) {
    throw ApiError::Validation(
        "One or more parameter values were invalid: ReadCapacityUnits and "
        "WriteCapacityUnits must both be specified when BillingMode is "
        "PROVISIONED");
  }
  schema->pay_per_request = ppr;
  schema->throughput = pt;

  std::vector<std::string> key_list = {key_names.hash};
  if (!key_names.range.empty()) key_list.push_back(key_names.range);
  CheckKeysDefined(key_list, defs);
  schema->key = TypedKey(key_names, defs);
  std::set<std::string> used_attrs(key_list.begin(), key_list.end());

  // Secondary indexes.
  std::set<std::string> index_names;
  for (bool global : {false, true}) {
    const JsonValue* list = req.Array(global ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes");
    if (!list) continue;
    std::string field = global ? "globalSecondaryIndexes" : "localSecondaryIndexes";
    if (list->Size() == 0) {
      throw ApiError::Validation(
          fmt::format("One or more parameter values were invalid: List of {} is empty",
                      global ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes"));
    }
    if (!global && list->Size() > 5) {
      throw ApiError::Validation(
          "One or more parameter values were invalid: Number of "
          "LocalSecondaryIndexes exceeds per-table limit of 5");
    }
    if (global && list->Size() > 20) {
      throw ApiError::Validation(
          "One or more parameter values were invalid: GlobalSecondaryIndex "
          "count exceeds the per-table limit of 20");
    }
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      const JsonValue& e = (*list)[i];
      std::string member = fmt::format("{}.{}.member", field, i + 1);
      IndexSchema ix;
      ix.global = global;
      ix.id = ++schema->last_index_id;
      auto ix_name = Request::StringOf(e, "IndexName");
      if (!ix_name)
        errors.NotNull(member + ".indexName");
      else
        errors.CheckName(member + ".indexName", *ix_name);
      const JsonValue* ks = Request::ArrayOf(e, "KeySchema");
      if (!ks) errors.NotNull(member + ".keySchema");
      errors.ThrowIfAny();
      ix.name = std::string(*ix_name);
      KeyNames kn = ParseKeySchema(*ks, member + ".keySchema", errors);
      ParseProjection(Request::ObjectOf(e, "Projection"), member, ix, errors);
      const JsonValue* ipt = Request::ObjectOf(e, "ProvisionedThroughput");
      if (global && ipt)
        ix.throughput = ParseThroughput(*ipt, member + ".provisionedThroughput", errors);
      errors.ThrowIfAny();
      if (!index_names.insert(ix.name).second) {
        throw ApiError::Validation(fmt::format(
            "One or more parameter values were invalid: Duplicate index name: {}", ix.name));
      }
      std::vector<std::string> ix_keys = {kn.hash};
      if (!kn.range.empty()) ix_keys.push_back(kn.range);
      CheckKeysDefined(ix_keys, defs);
      used_attrs.insert(ix_keys.begin(), ix_keys.end());
      if (!global) {
        if (!schema->key.has_range()) {
          throw ApiError::Validation(
              "One or more parameter values were invalid: Table KeySchema "
              "does not have a range key, which is required when "
              "specifying a LocalSecondaryIndex");
        }
        if (kn.range.empty()) {
          throw ApiError::Validation(fmt::format(
              "One or more parameter values were invalid: Index KeySchema does not have a range "
              "key for index: {}",
              ix.name));
        }
        if (kn.hash != schema->key.hash_name) {
          throw ApiError::Validation(fmt::format(
              "One or more parameter values were invalid: Index KeySchema does not have the same "
              "leading hash key as table KeySchema for index: {}. index hash key: {}, table hash "
              "key: {}",
              ix.name, kn.hash, schema->key.hash_name));
        }
      } else if (ppr && ipt) {
        throw ApiError::Validation(fmt::format(
            "One or more parameter values were invalid: ProvisionedThroughput should not be "
            "specified for index: {} when BillingMode is PAY_PER_REQUEST",
            ix.name));
      } else if (!ppr && !ipt) {
        throw ApiError::Validation(fmt::format(
            "One or more parameter values were invalid: ProvisionedThroughput must be specified "
            "for index: {}",
            ix.name));
      }
      ix.key = TypedKey(kn, defs);
      schema->indexes.push_back(std::move(ix));
    }
  }
  if (used_attrs.size() != defs.size()) {
    throw ApiError::Validation(
        "One or more parameter values were invalid: Number of attributes "
        "in KeySchema does not exactly match number of attributes defined "
        "in AttributeDefinitions");
  }

  if (const JsonValue* stream = req.Object("StreamSpecification")) {
    schema->stream = ParseStreamSpecification(*stream, /*creating=*/true);
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

void EngineImpl::DeleteTable(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  auto name = req.String("TableName");
  if (!name)
    ThrowRequired("TableName");
  else
    errors.CheckName("tableName", *name);
  errors.ThrowIfAny();
  std::shared_ptr<Table> table;
  bool already_deleting = false;
  {
    std::lock_guard lock(catalog_mu_);
    table = FindTable(*name);
    if (!table) {
      throw ApiError::ResourceNotFound(
          fmt::format("Requested resource not found: Table: {} not found", *name));
    }
    auto current = table->schema();
    double now = Now();
    std::string_view status = current->StatusAt(now);
    // DeleteTable API reference: CREATING or UPDATING -> ResourceInUseException; "If table is
    // already in the DELETING state, no error is returned."
    already_deleting = status == "DELETING";
    if (!already_deleting && status != "ACTIVE") throw TableInUse(status, *name);
    if (!already_deleting && current->deletion_protection) {
      throw ApiError::Validation("Resource cannot be deleted as it is currently protected against "
                                 "deletion. Disable deletion protection first.");
    }
    if (already_deleting) {
      // Reported again below; its data is already gone.
    } else if (DelaysTransientStatuses()) {
      // Stays listed as DELETING until the delay has passed (FindTable then drops it).
      auto deleting = std::make_shared<TableSchema>(*current);
      deleting->ResolveAt(now);
      deleting->transient_status = "DELETING";
      deleting->transient_until = TransientUntil(now);
      SaveSchema(*deleting);
      table->set_schema(deleting);
    } else {
      storage::WriteBatch batch;
      batch.Delete(keyspace::CatalogKey(*name));
      storage_->Write(batch);
      std::unique_lock tl(tables_mu_);
      tables_.erase(tables_.find(*name));
    }
  }
  auto schema = table->schema();
  EnsureStats(*table);
  w.StartObject();
  WriteKey(w, "TableDescription");
  WriteTableDescription(w, *schema, "DELETING", table->Stats(), options_.region,
                        options_.account_id);
  w.EndObject();
  if (!already_deleting) DeleteTableData(schema->id);
}

void EngineImpl::DeleteTableData(uint32_t table_id) {
  std::string prefix = keyspace::IndexPrefix(table_id, 0);
  prefix.pop_back();
  auto it = storage_->NewIterator();
  storage::WriteBatch batch;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    batch.Delete(it->key());
    if (batch.size() >= 1000) {
      storage_->Write(batch);
      batch = storage::WriteBatch();
    }
  }
  if (!batch.empty()) storage_->Write(batch);
}

void EngineImpl::DescribeTable(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  auto name = req.String("TableName");
  if (!name)
    ThrowRequired("TableName");
  else
    errors.CheckName("tableName", *name);
  errors.ThrowIfAny();
  auto table = FindTable(*name);
  if (!table) {
    throw ApiError::ResourceNotFound(
        fmt::format("Requested resource not found: Table: {} not found", *name));
  }
  EnsureStats(*table);
  auto schema = table->schema();
  w.StartObject();
  WriteKey(w, "Table");
  WriteTableDescription(w, *schema, std::string(schema->StatusAt(Now())), table->Stats(),
                        options_.region, options_.account_id);
  w.EndObject();
}

void EngineImpl::ListTables(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  auto limit = req.Int("Limit");
  auto start = req.String("ExclusiveStartTableName");
  if (limit) errors.CheckRange("limit", *limit, 1, 100);
  if (start) errors.CheckName("exclusiveStartTableName", *start);
  errors.ThrowIfAny();
  size_t max = static_cast<size_t>(limit.value_or(100));
  std::vector<std::string> names;
  bool more = false;
  {
    std::shared_lock lock(tables_mu_);
    double now = Now();
    auto it = start ? tables_.upper_bound(*start) : tables_.begin();
    for (; it != tables_.end(); ++it) {
      if (it->second->schema()->DeletedBy(now)) continue;  // deleted; FindTable drops it later
      if (names.size() == max) {
        more = true;
        break;
      }
      names.push_back(it->first);
    }
  }
  w.StartObject();
  WriteKey(w, "TableNames");
  w.StartArray();
  for (const auto& n : names) WriteString(w, n);
  w.EndArray();
  if (more) {
    WriteKey(w, "LastEvaluatedTableName");
    WriteString(w, names.back());
  }
  w.EndObject();
}

void EngineImpl::UpdateTable(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  auto name = req.String("TableName");
  if (!name)
    ThrowRequired("TableName");
  else
    errors.CheckName("tableName", *name);
  auto billing = req.String("BillingMode");
  if (billing) errors.CheckEnum("billingMode", *billing, {"PROVISIONED", "PAY_PER_REQUEST"});
  const JsonValue* throughput = req.Object("ProvisionedThroughput");
  ProvisionedThroughput pt;
  if (throughput) pt = ParseThroughput(*throughput, "provisionedThroughput", errors);
  const JsonValue* gsi_updates = req.Array("GlobalSecondaryIndexUpdates");
  const JsonValue* stream = req.Object("StreamSpecification");
  auto deletion_protection = req.Bool("DeletionProtectionEnabled");
  auto table_class = req.String("TableClass");
  if (table_class) {
    errors.CheckEnum("tableClass", *table_class, {"STANDARD", "STANDARD_INFREQUENT_ACCESS"});
  }
  errors.ThrowIfAny();
  if (!billing && !throughput && !gsi_updates && !stream && !deletion_protection && !table_class &&
      !req.Get("SSESpecification") && !req.Get("ReplicaUpdates")) {
    throw ApiError::Validation(
        "At least one of ProvisionedThroughput, BillingMode, "
        "UpdateStreamEnabled, GlobalSecondaryIndexUpdates or "
        "SSESpecification or ReplicaUpdates is required");
  }

  std::lock_guard lock(catalog_mu_);
  auto table = FindTable(*name);
  if (!table) {
    throw ApiError::ResourceNotFound(
        fmt::format("Requested resource not found: Table: {} not found", *name));
  }
  double now = Now();
  if (std::string_view status = table->schema()->StatusAt(now); status != "ACTIVE") {
    throw TableInUse(status, *name);
  }
  auto schema = std::make_shared<TableSchema>(*table->schema());
  schema->ResolveAt(now);
  if (billing) {
    bool ppr = *billing == "PAY_PER_REQUEST";
    if (ppr && throughput) {
      throw ApiError::Validation(
          "One or more parameter values were invalid: Neither "
          "ReadCapacityUnits nor WriteCapacityUnits can be specified when "
          "BillingMode is PAY_PER_REQUEST");
    }
    if (!ppr && schema->pay_per_request && !throughput) {
      throw ApiError::Validation(
          "One or more parameter values were invalid: ProvisionedThroughput "
          "must be specified when BillingMode is PROVISIONED");
    }
    schema->pay_per_request = ppr;
    if (ppr) {
      schema->throughput = {};
      for (auto& ix : schema->indexes) ix.throughput = {};
    }
  }
  if (throughput) {
    if (schema->pay_per_request) {
      throw ApiError::Validation(
          "One or more parameter values were invalid: Neither "
          "ReadCapacityUnits nor WriteCapacityUnits can be specified when "
          "BillingMode is PAY_PER_REQUEST");
    }
    auto& cur = schema->throughput;
    if (!billing && cur.read_capacity_units == pt.read_capacity_units &&
        cur.write_capacity_units == pt.write_capacity_units && !gsi_updates) {
      throw ApiError::Validation(fmt::format(
          "The provisioned throughput for the table will not change. The requested value equals "
          "the current value. Current ReadCapacityUnits provisioned for the table: {}. Requested "
          "ReadCapacityUnits: {}. Current WriteCapacityUnits provisioned for the table: {}. "
          "Requested WriteCapacityUnits: {}. Refer to the Amazon DynamoDB Developer Guide for "
          "current limits and how to request higher limits.",
          cur.read_capacity_units, pt.read_capacity_units, cur.write_capacity_units,
          pt.write_capacity_units));
    }
    if (pt.read_capacity_units > cur.read_capacity_units ||
        pt.write_capacity_units > cur.write_capacity_units) {
      cur.last_increase_time = now;
    }
    if (pt.read_capacity_units < cur.read_capacity_units ||
        pt.write_capacity_units < cur.write_capacity_units) {
      cur.last_decrease_time = now;
      cur.decreases_today++;
    }
    cur.read_capacity_units = pt.read_capacity_units;
    cur.write_capacity_units = pt.write_capacity_units;
  }

  std::map<std::string, ValueType> defs;
  for (const auto& d : schema->attribute_definitions) defs[d.name] = d.type;
  if (const JsonValue* new_defs = req.Array("AttributeDefinitions")) {
    std::vector<AttributeDefinition> parsed;
    auto m = ParseAttributeDefinitions(*new_defs, errors, &parsed);
    errors.ThrowIfAny();
    for (const auto& [n, t] : m) {
      auto it = defs.find(n);
      if (it != defs.end() && it->second != t) {
        throw ApiError::Validation(fmt::format(
            "One or more parameter values were invalid: Type mismatch for attribute {}", n));
      }
      if (it == defs.end()) {
        defs[n] = t;
        schema->attribute_definitions.push_back({n, t});
      }
    }
  }

  std::vector<std::string> created;
  std::vector<IndexSchema> deleted;
  if (gsi_updates) {
    for (rapidjson::SizeType i = 0; i < gsi_updates->Size(); ++i) {
      const JsonValue& u = (*gsi_updates)[i];
      std::string member = fmt::format("globalSecondaryIndexUpdates.{}.member", i + 1);
      if (const JsonValue* c = Request::ObjectOf(u, "Create")) {
        IndexSchema ix;
        ix.global = true;
        auto ix_name = Request::StringOf(*c, "IndexName");
        const JsonValue* ks = Request::ArrayOf(*c, "KeySchema");
        if (!ix_name)
          errors.NotNull(member + ".create.indexName");
        else
          errors.CheckName(member + ".create.indexName", *ix_name);
        if (!ks) errors.NotNull(member + ".create.keySchema");
        errors.ThrowIfAny();
        ix.name = std::string(*ix_name);
        KeyNames kn = ParseKeySchema(*ks, member + ".create.keySchema", errors);
        ParseProjection(Request::ObjectOf(*c, "Projection"), member + ".create", ix, errors);
        const JsonValue* ipt = Request::ObjectOf(*c, "ProvisionedThroughput");
        if (ipt)
          ix.throughput = ParseThroughput(*ipt, member + ".create.provisionedThroughput", errors);
        errors.ThrowIfAny();
        if (schema->FindIndex(ix.name)) {
          throw ApiError::Validation(fmt::format(
              "One or more parameter values were invalid: Index with name: {} already exists",
              ix.name));
        }
        std::vector<std::string> ix_keys = {kn.hash};
        if (!kn.range.empty()) ix_keys.push_back(kn.range);
        CheckKeysDefined(ix_keys, defs);
        if (!schema->pay_per_request && !ipt) {
          throw ApiError::Validation(fmt::format(
              "One or more parameter values were invalid: ProvisionedThroughput must be "
              "specified for index: {}",
              ix.name));
        }
        if (schema->pay_per_request && ipt) {
          throw ApiError::Validation(fmt::format(
              "One or more parameter values were invalid: ProvisionedThroughput should not be "
              "specified for index: {} when BillingMode is PAY_PER_REQUEST",
              ix.name));
        }
        size_t gsis = 0;
        for (const auto& e : schema->indexes) gsis += e.global;
        if (gsis >= 20) {
          throw ApiError::LimitExceeded(
              "Subscriber limit exceeded: The number of global "
              "secondary indexes exceeds the limit of 20");
        }
        // Index ids are never reused within a table, so entries of a deleted index can never
        // show up in a new one.
        if (schema->last_index_id == 255) {
          throw ApiError::LimitExceeded("Too many indexes created on this table");
        }
        ix.id = ++schema->last_index_id;
        ix.key = TypedKey(kn, defs);
        ix.status = "CREATING";
        if (DelaysTransientStatuses()) ix.status_until = TransientUntil(now);
        created.push_back(ix.name);
        schema->indexes.push_back(std::move(ix));
      } else if (const JsonValue* d = Request::ObjectOf(u, "Delete")) {
        auto ix_name = Request::StringOf(*d, "IndexName");
        if (!ix_name) errors.NotNull(member + ".delete.indexName");
        errors.ThrowIfAny();
        auto it =
            std::find_if(schema->indexes.begin(), schema->indexes.end(),
                         [&](const IndexSchema& e) { return e.global && e.name == *ix_name; });
        if (it == schema->indexes.end()) {
          throw ApiError::ResourceNotFound(
              fmt::format("Requested resource not found: Index: {} not found", *ix_name));
        }
        deleted.push_back(*it);
        if (DelaysTransientStatuses()) {
          IndexSchema gone = *it;
          gone.status = "DELETING";
          gone.status_until = TransientUntil(now);
          schema->deleting_indexes.push_back(std::move(gone));
        }
        schema->indexes.erase(it);
      } else if (const JsonValue* up = Request::ObjectOf(u, "Update")) {
        auto ix_name = Request::StringOf(*up, "IndexName");
        const JsonValue* ipt = Request::ObjectOf(*up, "ProvisionedThroughput");
        if (!ix_name) errors.NotNull(member + ".update.indexName");
        if (!ipt) errors.NotNull(member + ".update.provisionedThroughput");
        errors.ThrowIfAny();
        auto t = ParseThroughput(*ipt, member + ".update.provisionedThroughput", errors);
        errors.ThrowIfAny();
        auto it =
            std::find_if(schema->indexes.begin(), schema->indexes.end(),
                         [&](const IndexSchema& e) { return e.global && e.name == *ix_name; });
        if (it == schema->indexes.end()) {
          throw ApiError::ResourceNotFound(
              fmt::format("Requested resource not found: Index: {} not found", *ix_name));
        }
        it->throughput.read_capacity_units = t.read_capacity_units;
        it->throughput.write_capacity_units = t.write_capacity_units;
      } else {
        throw ApiError::Validation(
            "One or more parameter values were invalid: One of "
            "GlobalSecondaryIndexUpdate actions must be specified");
      }
    }
  }

  if (stream) {
    StreamSpecification spec = ParseStreamSpecification(*stream, /*creating=*/false);
    if (spec.enabled) {
      if (schema->stream.enabled) {
        throw ApiError::Validation(fmt::format(
            "Table already has an enabled stream: {}",
            schema->Arn(options_.region, options_.account_id) + "/stream/" + schema->stream_label));
      }
      schema->stream = spec;
      schema->stream_label = StreamLabel(now);
    } else {
      if (!schema->stream.enabled) {
        throw ApiError::Validation(
            "Table already has no stream enabled");  // DynamoDB: disabling a disabled stream
      }
      schema->stream.enabled = false;  // the closed stream keeps reporting its view type
    }
  }
  if (deletion_protection) schema->deletion_protection = *deletion_protection;
  if (table_class) schema->table_class = std::string(*table_class);
  if (DelaysTransientStatuses()) {
    schema->transient_status = "UPDATING";
    schema->transient_until = TransientUntil(now);
  }

  SaveSchema(*schema);
  table->set_schema(schema);
  for (const auto& ix : deleted) {
    std::string prefix = keyspace::IndexPrefix(schema->id, ix.id);
    auto it = storage_->NewIterator();
    storage::WriteBatch batch;
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      batch.Delete(it->key());
    }
    if (!batch.empty()) storage_->Write(batch);
    table->AddStats(ix.id, -table->Stats()[ix.id].item_count, -table->Stats()[ix.id].size_bytes);
  }
  std::shared_ptr<TableSchema> response_schema = std::make_shared<TableSchema>(*schema);
  if (!created.empty()) {
    for (const auto& ix_name : created) BackfillIndex(table, *schema->FindIndex(ix_name));
  }
  // With delayed transient states, new indexes turn ACTIVE when their status_until passes.
  if (!created.empty() && !DelaysTransientStatuses()) {
    auto active = std::make_shared<TableSchema>(*schema);
    for (auto& ix : active->indexes) ix.status = "ACTIVE";
    SaveSchema(*active);
    table->set_schema(active);
  }
  EnsureStats(*table);
  w.StartObject();
  WriteKey(w, "TableDescription");
  WriteTableDescription(w, *response_schema, "UPDATING", table->Stats(), options_.region,
                        options_.account_id);
  w.EndObject();
}

void EngineImpl::BackfillIndex(const std::shared_ptr<Table>& table, const IndexSchema& index) {
  // The schema with the new index is already published, so writes from now on maintain it;
  // each existing item is re-read under its key lock so no concurrent write is missed.
  auto schema = table->schema();
  std::string prefix = keyspace::IndexPrefix(schema->id, 0);
  auto it = storage_->NewIterator();
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string key(it->key());
    auto guard = locks_.LockKey(key);
    auto item = LoadItem(key);
    if (!item) continue;
    auto ix_key = IndexStorageKey(*schema, index, *item);
    if (!ix_key) continue;
    Item projected = ProjectIntoIndex(*schema, index, *item);
    storage::WriteBatch batch;
    batch.Put(*ix_key, EncodeItem(projected));
    storage_->Write(batch);
    if (table->stats_known()) {
      table->AddStats(index.id, 1, static_cast<int64_t>(ItemSize(projected)));
    }
  }
}

void EngineImpl::DescribeEndpoints(const Request&, JsonWriter& w) {
  w.StartObject();
  WriteKey(w, "Endpoints");
  w.StartArray();
  w.StartObject();
  WriteKey(w, "Address");
  // Over HTTP the wire layer answers with the Host the client used; in process there is no
  // address to name but this machine's, and never AWS's (where an SDK would send data).
  WriteString(w, "localhost");
  WriteKey(w, "CachePeriodInMinutes");
  w.Int(1440);
  w.EndObject();
  w.EndArray();
  w.EndObject();
}

void EngineImpl::DescribeLimits(const Request&, JsonWriter& w) {
  w.StartObject();
  WriteKey(w, "AccountMaxReadCapacityUnits");
  w.Int(80000);
  WriteKey(w, "AccountMaxWriteCapacityUnits");
  w.Int(80000);
  WriteKey(w, "TableMaxReadCapacityUnits");
  w.Int(40000);
  WriteKey(w, "TableMaxWriteCapacityUnits");
  w.Int(40000);
  w.EndObject();
}

}  // namespace cruddur::ddb
