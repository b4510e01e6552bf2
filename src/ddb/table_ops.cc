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

constexpr std::string_view kInvalid = "One or more parameter values were invalid: ";

// "[a, b]", the list form DynamoDB's messages use.
template <typename Range, typename Name>
std::string NameList(const Range& items, Name name) {
  std::string out = "[";
  for (const auto& i : items) out += (out.size() > 1 ? ", " : "") + std::string(name(i));
  return out + "]";
}

std::string DefinitionNames(const std::vector<AttributeDefinition>& defs) {
  return NameList(defs, [](const AttributeDefinition& d) { return d.name; });
}

// Key attribute names (KeySchemaAttributeName) are 1 to 255 bytes of UTF-8.
void CheckKeyAttributeName(ConstraintErrors& errors, const std::string& field,
                           std::string_view name) {
  if (name.empty() || name.size() > 255) {
    errors.Add(fmt::format(
        "Value '{}' at '{}' failed to satisfy constraint: Member must have length {}", name, field,
        name.empty() ? "greater than or equal to 1" : "less than or equal to 255"));
  }
}

// A KeySchema list as given, before DynamoDB's structural checks.
struct KeyElement {
  std::string name, type;
};
struct KeyNames {
  std::string hash, range;
};

std::vector<KeyElement> ParseKeySchema(const JsonValue& list, std::string_view field,
                                       ConstraintErrors& errors) {
  std::vector<KeyElement> keys;
  if (list.Size() < 1 || list.Size() > 2) {
    errors.Add(
        fmt::format("Value '[]' at '{}' failed to satisfy constraint: Member must have "
                    "length {} than or equal to {}",
                    field, list.Size() < 1 ? "greater" : "less", list.Size() < 1 ? 1 : 2));
    return keys;
  }
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    std::string member = fmt::format("{}.{}.member", field, i + 1);
    auto name = Request::StringOf(list[i], "AttributeName");
    auto type = Request::StringOf(list[i], "KeyType");
    if (!name) {
      errors.NotNull(member + ".attributeName");
    } else {
      CheckKeyAttributeName(errors, member + ".attributeName", *name);
    }
    if (!type) {
      errors.NotNull(member + ".keyType");
    } else {
      errors.CheckEnum(member + ".keyType", *type, {"HASH", "RANGE"});
    }
    keys.push_back({std::string(name.value_or("")), std::string(type.value_or(""))});
  }
  return keys;
}

// The structural KeySchema checks: HASH first, then an optional RANGE of another name.
KeyNames CheckKeyOrder(const std::vector<KeyElement>& keys) {
  KeyNames k;
  if (keys.empty()) return k;
  if (keys[0].type != "HASH") {
    throw ApiError::Validation(
        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
  }
  k.hash = keys[0].name;
  if (keys.size() > 1) {
    if (keys[1].type != "RANGE") {
      throw ApiError::Validation(
          "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
    }
    if (keys[1].name == k.hash) {
      throw ApiError::Validation(
          "Both the Hash Key and the Range Key element in the KeySchema have the same name");
    }
    k.range = keys[1].name;
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

// A secondary index of a CreateTable (or an UpdateTable Create) request, as parsed; its semantic
// checks come later, after those of the whole request (DynamoDB's order).
struct IndexRequest {
  IndexSchema ix;
  std::vector<KeyElement> keys;
  const JsonValue* projection = nullptr;
  const JsonValue* throughput = nullptr;
};

IndexRequest ParseIndex(const JsonValue& e, const std::string& member, bool global,
                        ConstraintErrors& errors) {
  IndexRequest r;
  r.ix.global = global;
  auto name = Request::StringOf(e, "IndexName");
  if (!name) {
    errors.NotNull(member + ".indexName");
  } else {
    errors.CheckName(member + ".indexName", *name);
    r.ix.name = std::string(*name);
  }
  if (const JsonValue* ks = Request::ArrayOf(e, "KeySchema")) {
    r.keys = ParseKeySchema(*ks, member + ".keySchema", errors);
  } else {
    errors.NotNull(member + ".keySchema");
  }
  r.projection = Request::ObjectOf(e, "Projection");
  if (!r.projection) {
    errors.NotNull(member + ".projection");
  } else if (auto type = Request::StringOf(*r.projection, "ProjectionType")) {
    errors.CheckEnum(member + ".projection.projectionType", *type, {"ALL", "KEYS_ONLY", "INCLUDE"});
  }
  r.throughput = global ? Request::ObjectOf(e, "ProvisionedThroughput") : nullptr;
  if (r.throughput) {
    r.ix.throughput = ParseThroughput(*r.throughput, member + ".provisionedThroughput", errors);
  }
  return r;
}

// The Projection's semantic checks (its shape was checked by ParseIndex).
void ApplyProjection(const JsonValue& p, IndexSchema& ix) {
  auto type = Request::StringOf(p, "ProjectionType");
  const JsonValue* non_key = Request::ArrayOf(p, "NonKeyAttributes");
  if (!type) throw ApiError::Validation(fmt::format("{}Unknown ProjectionType: null", kInvalid));
  if (*type == "INCLUDE") {
    ix.projection = ProjectionType::kInclude;
    if (!non_key) {
      throw ApiError::Validation(fmt::format(
          "{}ProjectionType is INCLUDE, but NonKeyAttributes is not specified", kInvalid));
    }
    std::set<std::string> seen;
    for (const auto& a : non_key->GetArray()) {
      if (!a.IsString()) throw ApiError::Serialization("Unexpected field type");
      if (!seen.insert(a.GetString()).second) {
        throw ApiError::Validation(
            fmt::format("{}Duplicate element in NonKeyAttributes: {}", kInvalid, a.GetString()));
      }
      ix.non_key_attributes.emplace_back(a.GetString());
    }
    return;
  }
  if (non_key) {
    throw ApiError::Validation(
        fmt::format("{}ProjectionType is {}, but NonKeyAttributes is specified", kInvalid, *type));
  }
  ix.projection = *type == "KEYS_ONLY" ? ProjectionType::kKeysOnly : ProjectionType::kAll;
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

void CheckKeysDefined(const std::vector<std::string>& keys,
                      const std::vector<AttributeDefinition>& defs) {
  for (const auto& k : keys) {
    bool defined = std::any_of(defs.begin(), defs.end(),
                               [&](const AttributeDefinition& d) { return d.name == k; });
    if (!defined) {
      throw ApiError::Validation(fmt::format(
          "{}Some index key attributes are not defined in AttributeDefinitions. Keys: {}, "
          "AttributeDefinitions: {}",
          kInvalid, NameList(keys, [](const std::string& s) { return s; }), DefinitionNames(defs)));
    }
  }
}

// CreateTable with secondary indexes: AttributeDefinitions must name exactly the key attributes of
// the table and its indexes (`used`, each once), checked before any index's own rules.
void CheckDefinitionsMatchKeys(const std::vector<AttributeDefinition>& defs,
                               const std::vector<std::string>& used) {
  std::vector<std::string> missing;
  for (const auto& u : used) {
    if (std::none_of(defs.begin(), defs.end(),
                     [&](const AttributeDefinition& d) { return d.name == u; })) {
      missing.push_back(u);
    }
  }
  if (defs.size() > used.size()) {
    throw ApiError::Validation(fmt::format(
        "{}Some AttributeDefinitions are not used. AttributeDefinitions: {}, keys used: {}",
        kInvalid, DefinitionNames(defs), NameList(used, [](const std::string& s) { return s; })));
  }
  if (!missing.empty()) CheckKeysDefined(missing, defs);
}

std::vector<AttributeDefinition> ParseAttributeDefinitions(const JsonValue& list,
                                                           ConstraintErrors& errors) {
  std::vector<AttributeDefinition> defs;
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    std::string member = fmt::format("attributeDefinitions.{}.member", i + 1);
    auto name = Request::StringOf(list[i], "AttributeName");
    auto type = Request::StringOf(list[i], "AttributeType");
    if (!name) {
      errors.NotNull(member + ".attributeName");
    } else {
      CheckKeyAttributeName(errors, member + ".attributeName", *name);
    }
    if (!type) {
      errors.NotNull(member + ".attributeType");
    } else {
      errors.CheckEnum(member + ".attributeType", *type, {"B", "N", "S"});
    }
    if (name && type) defs.push_back({std::string(*name), ScalarTypeOf(*type)});
  }
  return defs;
}

void CheckNoDuplicateDefinitions(const std::vector<AttributeDefinition>& defs) {
  std::set<std::string> seen;
  for (const auto& d : defs) {
    if (!seen.insert(d.name).second) {
      throw ApiError::Validation("Attribute Name is duplicated: " + d.name);
    }
  }
}

// StreamSpecification of CreateTable/UpdateTable, with DynamoDB's checks.
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
    throw ApiError::Validation(fmt::format(
        "{}{}", kInvalid,
        creating ? "Table is being created with a stream enabled, UpdateViewType is required"
                 : "If stream is being enabled then UpdateViewType is required"));
  }
  if (!*enabled && view) {
    throw ApiError::Validation(fmt::format(
        "{}{}", kInvalid,
        creating ? "Table is being created with a stream disabled, UpdateViewType should not be "
                   "specified"
                 : "If stream is being disabled, then UpdateViewType must not be specified"));
  }
  return {*enabled, *enabled ? std::string(*view) : std::string()};
}

// A stable uuid-shaped id for `seed` (FNV-1a), for the AWS managed key of an account and region.
std::string StableUuid(std::string_view seed) {
  uint64_t a = 14695981039346656037ULL, b = 1099511628211ULL * 31;
  for (unsigned char c : seed) {
    a = (a ^ c) * 1099511628211ULL;
    b = (b ^ c) * 1099511628211ULL + 7;
  }
  return fmt::format("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
                     0x8000 | ((b >> 48) & 0x3fff), b & 0xffffffffffffULL);
}

// SSESpecification: the KMS key ARN to encrypt with, or empty for DynamoDB's own key. Refuses what
// DynamoDB refuses. There is no KMS here: a key given by ARN or id is recorded as given, the AWS
// managed key (alias/aws/dynamodb, or no key named) gets a stable ARN, and any other alias is not
// found, as KMS would answer for an alias that does not exist.
std::optional<std::string> ParseSse(const JsonValue& spec, const std::string& region,
                                    const std::string& account) {
  ConstraintErrors errors;
  auto enabled = Request::BoolOf(spec, "Enabled");
  auto type = Request::StringOf(spec, "SSEType");
  auto key = Request::StringOf(spec, "KMSMasterKeyId");
  if (type) errors.CheckEnum("sSESpecification.sSEType", *type, {"AES256", "KMS"});
  errors.ThrowIfAny();
  if (enabled == false && type) {
    throw ApiError::Validation(
        fmt::format("{}SSEType can not be specified if Enabled is false", kInvalid));
  }
  if (enabled == false && key) {
    throw ApiError::Validation(
        fmt::format("{}KMSMasterKeyId can not be specified if Enabled is false", kInvalid));
  }
  if (type == "AES256") {
    throw ApiError::Validation(fmt::format("{}SSEType AES256 is not supported", kInvalid));
  }
  if (key && type != "KMS") {
    throw ApiError::Validation(
        fmt::format("{}SSEType KMS is required if KMSMasterKeyId is specified", kInvalid));
  }
  if (!enabled.value_or(type.has_value())) return std::nullopt;
  std::string kms = fmt::format("arn:aws:kms:{}:{}:", region, account);
  std::string_view k = key.value_or("alias/aws/dynamodb");
  if (k == "alias/aws/dynamodb" || k == kms + "alias/aws/dynamodb") {
    return kms + "key/" + StableUuid(kms + "alias/aws/dynamodb");
  }
  if (k.starts_with("arn:") && k.find(":key/") != std::string_view::npos) return std::string(k);
  if (k.starts_with("alias/") || k.starts_with("arn:")) {
    std::string alias = k.starts_with("arn:") ? std::string(k) : kms + std::string(k);
    throw ApiError::Validation(fmt::format(
        "KMS validation error: com.amazonaws.services.kms.model.NotFoundException: Alias {} is "
        "not found. (Service: AWSKMS; Status Code: 400; Error Code: NotFoundException; Request "
        "ID: {}; Proxy: null)",
        alias, NewUuid()));
  }
  return kms + "key/" + std::string(k);
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

  MutexLock lock(catalog_mu_);
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
    WriterLock tl(tables_mu_);
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
    MutexLock lock(catalog_mu_);
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
      throw ApiError::Validation(
          "Resource cannot be deleted as it is currently protected against "
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
      WriterLock tl(tables_mu_);
      tables_.erase(tables_.find(*name));
    }
  }
  auto schema = table->schema();
  EnsureStats(*table);
  w.StartObject();
  WriteKey(w, "TableDescription");
  WriteDeletingTableDescription(w, *schema, table->Stats(), options_.region, options_.account_id);
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
    ReaderLock lock(tables_mu_);
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

namespace {

// One GlobalSecondaryIndexUpdates entry.
struct GsiUpdate {
  enum class Kind { kCreate, kUpdate, kDelete } kind = Kind::kCreate;
  std::string index_name;
  IndexRequest create;               // kCreate
  ProvisionedThroughput throughput;  // kUpdate
};

// UpdateTable's request, after the checks DynamoDB makes before it looks the table up.
struct UpdateTableRequest {
  std::string name;
  std::optional<std::string> billing;
  const JsonValue* throughput = nullptr;
  ProvisionedThroughput pt;
  bool has_definitions = false;
  std::vector<AttributeDefinition> definitions;
  std::vector<GsiUpdate> gsi_updates;
  std::optional<StreamSpecification> stream;
  std::optional<bool> deletion_protection;
  std::optional<std::string> table_class;
  bool has_sse = false;
  std::optional<std::string> sse_key_arn;  // empty optional: DynamoDB's own key
  std::string sse_key_id;                  // KMSMasterKeyId as given
};

// "At least one of ... is required", naming UpdateTable's change members as DynamoDB does today
// (leaving out those the request has).
[[noreturn]] void ThrowNothingToUpdate(const Request& req) {
  static const std::pair<const char*, const char*> kMembers[] = {
      {"ProvisionedThroughput", "ProvisionedThroughput"},
      {"BillingMode", "BillingMode"},
      {"UpdateStreamEnabled", "StreamSpecification"},
      {"GlobalSecondaryIndexUpdates", "GlobalSecondaryIndexUpdates"},
      {"SSESpecification", "SSESpecification"},
      {"ReplicaUpdates", "ReplicaUpdates"},
      {"MultiAccountReplicaReady", "MultiAccountReplicaReady"},
      {"ReplicaTransitRoleArn", "ReplicaTransitRoleArn"},
      {"MultiRegionConsistency", "MultiRegionConsistency"},
      {"DeletionProtectionEnabled", "DeletionProtectionEnabled"},
      {"OnDemandThroughput", "OnDemandThroughput"},
      {"WarmThroughput", "WarmThroughput"},
      {"TableClass", "TableClass"}};
  std::vector<std::string> names;
  for (const auto& [name, member] : kMembers) {
    if (std::string_view(member) == "GlobalSecondaryIndexUpdates" || !req.Get(member)) {
      names.emplace_back(name);
    }
  }
  std::string list;
  for (size_t i = 0; i < names.size(); ++i) {
    list += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  }
  throw ApiError::Validation(fmt::format("At least one of {} is required", list));
}

UpdateTableRequest ParseUpdateTable(const Request& req, const std::string& region,
                                    const std::string& account) {
  UpdateTableRequest u;
  ConstraintErrors errors;
  auto name = req.String("TableName");
  if (!name)
    ThrowRequired("TableName");
  else
    errors.CheckName("tableName", *name);
  u.name = std::string(*name);
  if (auto billing = req.String("BillingMode")) {
    errors.CheckEnum("billingMode", *billing, {"PROVISIONED", "PAY_PER_REQUEST"});
    u.billing = std::string(*billing);
  }
  u.throughput = req.Object("ProvisionedThroughput");
  if (u.throughput) u.pt = ParseThroughput(*u.throughput, "provisionedThroughput", errors);
  if (const JsonValue* defs = req.Array("AttributeDefinitions")) {
    u.has_definitions = true;
    u.definitions = ParseAttributeDefinitions(*defs, errors);
  }
  const JsonValue* gsi = req.Array("GlobalSecondaryIndexUpdates");
  std::vector<int> actions;
  for (rapidjson::SizeType i = 0; gsi && i < gsi->Size(); ++i) {
    const JsonValue& e = (*gsi)[i];
    std::string member = fmt::format("globalSecondaryIndexUpdates.{}.member", i + 1);
    const JsonValue* create = Request::ObjectOf(e, "Create");
    const JsonValue* update = Request::ObjectOf(e, "Update");
    const JsonValue* del = Request::ObjectOf(e, "Delete");
    actions.push_back(!!create + !!update + !!del);
    GsiUpdate g;
    if (create) {
      g.create = ParseIndex(*create, member + ".create", true, errors);
      g.index_name = g.create.ix.name;
    } else if (update || del) {
      g.kind = update ? GsiUpdate::Kind::kUpdate : GsiUpdate::Kind::kDelete;
      std::string field = member + (update ? ".update" : ".delete");
      auto ix_name = Request::StringOf(update ? *update : *del, "IndexName");
      if (!ix_name) errors.NotNull(field + ".indexName");
      g.index_name = std::string(ix_name.value_or(""));
      if (update) {
        if (const JsonValue* t = Request::ObjectOf(*update, "ProvisionedThroughput")) {
          g.throughput = ParseThroughput(*t, field + ".provisionedThroughput", errors);
        } else {
          errors.NotNull(field + ".provisionedThroughput");
        }
      }
    }
    u.gsi_updates.push_back(std::move(g));
  }
  const JsonValue* stream = req.Object("StreamSpecification");
  u.deletion_protection = req.Bool("DeletionProtectionEnabled");
  if (auto tc = req.String("TableClass")) {
    errors.CheckEnum("tableClass", *tc, {"STANDARD", "STANDARD_INFREQUENT_ACCESS"});
    u.table_class = std::string(*tc);
  }
  const JsonValue* sse = req.Object("SSESpecification");
  errors.ThrowIfAny();

  bool replicas = req.Get("ReplicaUpdates") != nullptr;
  int changes = !!u.billing + !!u.throughput + !u.gsi_updates.empty() + !!stream +
                u.deletion_protection.has_value() + u.table_class.has_value() + !!sse + replicas;
  if (changes == 0) ThrowNothingToUpdate(req);
  if (gsi && gsi->Size() == 0) {
    throw ApiError::Validation(
        fmt::format("{}List of GlobalSecondaryIndexUpdates is empty", kInvalid));
  }
  if (replicas) {
    throw ApiError::Validation(fmt::format(
        "{}ReplicaUpdates is not supported: this server has one region ({}), so a table cannot "
        "have replicas in other regions",
        kInvalid, region));
  }
  if (stream) u.stream = ParseStreamSpecification(*stream, /*creating=*/false);
  if (sse) {
    u.has_sse = true;
    u.sse_key_arn = ParseSse(*sse, region, account);
    u.sse_key_id = std::string(Request::StringOf(*sse, "KMSMasterKeyId").value_or(""));
  }
  std::set<std::string> indexes;
  bool index_create_delete = false;
  for (size_t i = 0; i < u.gsi_updates.size(); ++i) {
    if (actions[i] == 0) {
      throw ApiError::Validation(fmt::format(
          "{}One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, "
          "GlobalSecondaryIndexUpdate.Delete must not be null",
          kInvalid));
    }
    if (actions[i] > 1) {
      throw ApiError::Validation(
          fmt::format("{}Only one global secondary index action is allowed per "
                      "GlobalSecondaryIndexUpdate object",
                      kInvalid));
    }
    if (!indexes.insert(u.gsi_updates[i].index_name).second) {
      throw ApiError::Validation(
          fmt::format("{}Only one global secondary index update per index is allowed "
                      "simultaneously. Index: {}",
                      kInvalid, u.gsi_updates[i].index_name));
    }
    index_create_delete |= u.gsi_updates[i].kind != GsiUpdate::Kind::kUpdate;
  }
  // UpdateTable makes one kind of change at a time (DynamoDB names SSE, then TableClass, then
  // DeletionProtection); BillingMode and GSI Updates may accompany others.
  for (auto [present, what] :
       {std::pair{!!sse, "Server-Side Encryption modification"},
        std::pair{u.table_class.has_value(), "TableClass modification"},
        std::pair{u.deletion_protection.has_value(), "DeletionProtection modification"}}) {
    if (present && changes > 1) {
      throw ApiError::Validation(
          fmt::format("{}{} must be the only operation in the request", kInvalid, what));
    }
  }
  if (stream && u.throughput) {
    throw ApiError::Validation(
        fmt::format("{}You cannot modify stream status while updating table IOPS", kInvalid));
  }
  if (index_create_delete && u.throughput) {
    throw ApiError::Validation(
        fmt::format("{}You cannot create or delete index while updating table IOPS", kInvalid));
  }
  if (index_create_delete && stream) {
    throw ApiError::Validation(
        fmt::format("{}You cannot create or delete index while changing stream status", kInvalid));
  }
  return u;
}

std::string ThroughputUnchanged(std::string_view what, const ProvisionedThroughput& cur,
                                const ProvisionedThroughput& req) {
  return fmt::format(
      "The provisioned throughput for the {0} will not change. The requested value equals the "
      "current value. Current ReadCapacityUnits provisioned for {1}: {2}. Requested "
      "ReadCapacityUnits: {3}. Current WriteCapacityUnits provisioned for {1}: {4}. Requested "
      "WriteCapacityUnits: {5}. Refer to the Amazon DynamoDB Developer Guide for current limits "
      "and how to request higher limits.",
      what, what == "table" ? std::string("the table") : std::string(what), cur.read_capacity_units,
      req.read_capacity_units, cur.write_capacity_units, req.write_capacity_units);
}

void SetThroughput(ProvisionedThroughput& cur, const ProvisionedThroughput& pt, double now) {
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

void ApplyBillingAndThroughput(const UpdateTableRequest& u, TableSchema& schema, double now) {
  bool to_ppr = u.billing == "PAY_PER_REQUEST";
  if ((to_ppr && u.throughput) || (!u.billing && u.throughput && schema.pay_per_request)) {
    throw ApiError::Validation(
        fmt::format("{}Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                    "BillingMode is PAY_PER_REQUEST",
                    kInvalid));
  }
  if (u.billing == "PROVISIONED" && !u.throughput) {
    throw ApiError::Validation(fmt::format(
        "{}ProvisionedThroughput must be specified when BillingMode is PROVISIONED", kInvalid));
  }
  if (u.throughput && !schema.pay_per_request &&
      schema.throughput.read_capacity_units == u.pt.read_capacity_units &&
      schema.throughput.write_capacity_units == u.pt.write_capacity_units) {
    throw ApiError::Validation(ThroughputUnchanged("table", schema.throughput, u.pt));
  }
  if (u.billing) {
    schema.pay_per_request = to_ppr;
    if (to_ppr) {
      schema.throughput = {};
      for (auto& ix : schema.indexes) ix.throughput = {};
    }
  }
  if (u.throughput) SetThroughput(schema.throughput, u.pt, now);
}

// GlobalSecondaryIndexUpdates: the created indexes' names, and the deleted indexes.
struct IndexChanges {
  std::vector<std::string> created;
  std::vector<IndexSchema> deleted;
};

// status_until: when new and deleted indexes end CREATING/DELETING (0: no delayed statuses).
IndexChanges ApplyIndexUpdates(const UpdateTableRequest& u, bool was_ppr, double status_until,
                               TableSchema& schema) {
  IndexChanges changes;
  size_t online = std::count_if(u.gsi_updates.begin(), u.gsi_updates.end(), [](const GsiUpdate& g) {
    return g.kind != GsiUpdate::Kind::kUpdate;
  });
  if (online > 1) {
    throw ApiError::LimitExceeded(
        "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously "
        "per table");
  }
  std::set<std::string> throughput_given;
  for (const GsiUpdate& g : u.gsi_updates) {
    auto it = std::find_if(schema.indexes.begin(), schema.indexes.end(),
                           [&](const IndexSchema& e) { return e.name == g.index_name; });
    if (g.kind == GsiUpdate::Kind::kCreate) {
      if (it != schema.indexes.end()) {
        throw ApiError::Validation("Attempting to create an index which already exists");
      }
      if (!u.has_definitions) {
        throw ApiError::Validation(fmt::format(
            "{}AttributeDefinitions is not specified for index: {}", kInvalid, g.index_name));
      }
      IndexSchema ix = g.create.ix;
      KeyNames kn = CheckKeyOrder(g.create.keys);
      std::vector<std::string> keys = {kn.hash};
      if (!kn.range.empty()) keys.push_back(kn.range);
      CheckKeysDefined(keys, u.definitions);
      ApplyProjection(*g.create.projection, ix);
      if (!schema.pay_per_request && !g.create.throughput) {
        throw ApiError::Validation(fmt::format(
            "{}ProvisionedThroughput must be specified for index: {}", kInvalid, ix.name));
      }
      if (schema.pay_per_request && g.create.throughput) {
        throw ApiError::Validation(
            fmt::format("{}ProvisionedThroughput should not be specified for index: {} when "
                        "BillingMode is PAY_PER_REQUEST",
                        kInvalid, ix.name));
      }
      if (std::count_if(schema.indexes.begin(), schema.indexes.end(),
                        [](const IndexSchema& e) { return e.global; }) >= 20) {
        throw ApiError::LimitExceeded(
            "Subscriber limit exceeded: Number of global secondary indexes exceeds per-table "
            "limit of 20");
      }
      // Index ids are never reused within a table, so entries of a deleted index can never
      // show up in a new one.
      if (schema.last_index_id == 255) {
        throw ApiError::LimitExceeded("Too many indexes created on this table");
      }
      // An attribute the table already defines keeps its type: DynamoDB ignores a redefinition.
      std::map<std::string, ValueType> types;
      for (const auto& d : schema.attribute_definitions) types[d.name] = d.type;
      for (const auto& k : keys) {
        if (types.count(k)) continue;
        for (const auto& d : u.definitions) {
          if (d.name != k) continue;
          types[k] = d.type;
          schema.attribute_definitions.push_back(d);
          break;
        }
      }
      ix.id = ++schema.last_index_id;
      ix.key = TypedKey(kn, types);
      ix.status = "CREATING";
      ix.status_until = status_until;
      changes.created.push_back(ix.name);
      schema.indexes.push_back(std::move(ix));
      continue;
    }
    if (it == schema.indexes.end()) {
      throw ApiError::ResourceNotFound(fmt::format(
          "Requested resource not found: Index {} for table {}", g.index_name, schema.name));
    }
    if (!it->global) {
      throw ApiError::Validation(
          fmt::format("Cannot {} an index that is not a GlobalSecondaryIndex: {}",
                      g.kind == GsiUpdate::Kind::kDelete ? "delete" : "update", g.index_name));
    }
    if (g.kind == GsiUpdate::Kind::kDelete) {
      changes.deleted.push_back(*it);
      if (status_until > 0) {
        IndexSchema gone = *it;
        gone.status = "DELETING";
        gone.status_until = status_until;
        schema.deleting_indexes.push_back(std::move(gone));
      }
      schema.indexes.erase(it);
      continue;
    }
    if (schema.pay_per_request) {
      throw ApiError::Validation(
          fmt::format("{}Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for "
                      "index: {} when BillingMode is PAY_PER_REQUEST",
                      kInvalid, g.index_name));
    }
    if (!was_ppr && it->throughput.read_capacity_units == g.throughput.read_capacity_units &&
        it->throughput.write_capacity_units == g.throughput.write_capacity_units) {
      throw ApiError::Validation(
          ThroughputUnchanged("index " + g.index_name, it->throughput, g.throughput));
    }
    SetThroughput(it->throughput, g.throughput, 0);
    throughput_given.insert(g.index_name);
  }
  // Leaving PAY_PER_REQUEST, every GSI needs its throughput in the same request.
  if (was_ppr && !schema.pay_per_request) {
    for (const auto& ix : schema.indexes) {
      if (ix.global && ix.status != "CREATING" && !throughput_given.count(ix.name)) {
        throw ApiError::Validation(fmt::format(
            "{}ProvisionedThroughput must be specified for index: {}", kInvalid, ix.name));
      }
    }
  }
  // DynamoDB keeps only the definitions some key still uses.
  std::erase_if(schema.attribute_definitions, [&](const AttributeDefinition& d) {
    if (schema.key.IsKeyAttribute(d.name)) return false;
    return std::none_of(schema.indexes.begin(), schema.indexes.end(),
                        [&](const IndexSchema& ix) { return ix.key.IsKeyAttribute(d.name); });
  });
  return changes;
}

}  // namespace

void EngineImpl::UpdateTable(const Request& req, JsonWriter& w) {
  UpdateTableRequest u = ParseUpdateTable(req, options_.region, options_.account_id);
  MutexLock lock(catalog_mu_);
  auto table = FindTable(u.name);
  if (!table) {
    throw ApiError::ResourceNotFound(
        fmt::format("Requested resource not found: Table: {} not found", u.name));
  }
  double now = Now();
  if (std::string_view status = table->schema()->StatusAt(now); status != "ACTIVE") {
    throw TableInUse(status, u.name);
  }
  auto schema = std::make_shared<TableSchema>(*table->schema());
  schema->ResolveAt(now);
  bool was_ppr = schema->pay_per_request;
  ApplyBillingAndThroughput(u, *schema, now);
  IndexChanges index_changes =
      ApplyIndexUpdates(u, was_ppr, DelaysTransientStatuses() ? TransientUntil(now) : 0, *schema);
  if (u.stream) {
    if (u.stream->enabled == schema->stream.enabled) {
      throw ApiError::Validation(fmt::format("{}: TableName: {}",
                                             u.stream->enabled
                                                 ? "Table already has an enabled stream"
                                                 : "Table has no stream to disable",
                                             schema->name));
    }
    if (u.stream->enabled) {
      schema->stream = *u.stream;
      schema->stream_label = StreamLabel(now);
    } else {
      schema->stream.enabled = false;  // the closed stream keeps reporting its view type
    }
  }
  std::string old_sse_key = schema->sse_kms_key_arn;
  if (u.has_sse) {
    if (!u.sse_key_arn && old_sse_key.empty()) {
      throw ApiError::Validation(fmt::format("{}Table is already encrypted by default", kInvalid));
    }
    if (u.sse_key_arn && !old_sse_key.empty() && u.sse_key_id == old_sse_key) {
      throw ApiError::Validation(
          fmt::format("{}Table is already encrypted with given KMSMasterKeyId. Use "
                      "KMSMasterKeyId parameter if you want to change Master Key",
                      kInvalid));
    }
    schema->sse_kms_key_arn = u.sse_key_arn.value_or(std::string());
  }
  if (u.deletion_protection) schema->deletion_protection = *u.deletion_protection;
  if (u.table_class) schema->table_class = *u.table_class;
  if (DelaysTransientStatuses()) {
    schema->transient_status = "UPDATING";
    schema->transient_until = TransientUntil(now);
  }

  SaveSchema(*schema);
  table->set_schema(schema);
  for (const auto& ix : index_changes.deleted) {
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
  if (u.has_sse) {
    // DynamoDB answers an SSE change while it is under way, still naming the old key.
    response_schema->sse_updating = true;
    response_schema->sse_kms_key_arn = old_sse_key;
  }
  if (!index_changes.created.empty()) {
    for (const auto& ix_name : index_changes.created) {
      BackfillIndex(table, *schema->FindIndex(ix_name));
    }
  }
  // With delayed transient states, new indexes turn ACTIVE when their status_until passes.
  if (!index_changes.created.empty() && !DelaysTransientStatuses()) {
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
