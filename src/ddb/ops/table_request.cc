// Parsing and checks shared by CreateTable and UpdateTable (ddb/table_request.h).
#include "ddb/ops/table_request.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "common/random.h"

namespace cruddur::ddb {

double Now() {
  using namespace std::chrono;
  return static_cast<double>(
             duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count()) /
         1000.0;
}

std::string NewUuid() {
  FastRandom& random = ThreadRandom();
  uint64_t a = random(), b = random();
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

namespace {

// An element of KeySchema or AttributeDefinitions, {"AttributeName": .., `type_member`: ..}, with
// the constraint errors of each at `member` (e.g. "keySchema.1.member"); nullopt where null.
struct NamedType {
  std::optional<std::string_view> name, type;
};

NamedType ParseNamedType(const JsonValue& element, const std::string& member,
                         std::string_view type_member, std::string_view type_field,
                         const std::vector<std::string_view>& types, ConstraintErrors& errors) {
  NamedType e{Request::StringOf(element, "AttributeName"), Request::StringOf(element, type_member)};
  if (!e.name) {
    errors.NotNull(member + ".attributeName");
  } else {
    CheckKeyAttributeName(errors, member + ".attributeName", *e.name);
  }
  if (!e.type) {
    errors.NotNull(fmt::format("{}.{}", member, type_field));
  } else {
    errors.CheckEnum(fmt::format("{}.{}", member, type_field), *e.type, types);
  }
  return e;
}

}  // namespace

std::vector<KeyElement> ParseKeySchema(const JsonValue& list, std::string_view field,
                                       ConstraintErrors& errors, size_t max_size) {
  std::vector<KeyElement> keys;
  if (!errors.CheckListLength(field, list.Size(), 1, max_size)) return keys;
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    auto [name, type] = ParseNamedType(list[i], fmt::format("{}.{}.member", field, i + 1),
                                       "KeyType", "keyType", {"HASH", "RANGE"}, errors);
    keys.push_back({std::string(name.value_or("")), std::string(type.value_or(""))});
  }
  return keys;
}

KeyNames CheckKeyOrder(const std::vector<KeyElement>& keys, bool global) {
  KeyNames k;
  if (keys.empty()) return k;
  if (global) {
    KeySchemaNames names = CheckGlobalIndexKeySchema(keys);
    k.hash = names.hash.front();
    k.more_hash.assign(names.hash.begin() + 1, names.hash.end());
    if (!names.range.empty()) {
      k.range = names.range.front();
      k.more_range.assign(names.range.begin() + 1, names.range.end());
    }
    return k;
  }
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
    r.keys = ParseKeySchema(*ks, member + ".keySchema", errors, global ? SIZE_MAX : 2);
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
  if (global) {
    r.on_demand = ParseThroughputSetting(e, "OnDemandThroughput");
    r.warm = ParseThroughputSetting(e, "WarmThroughput");
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
  for (auto [more_names, more] :
       {std::pair{&names.more_hash, &k.more_hash}, std::pair{&names.more_range, &k.more_range}}) {
    for (const auto& n : *more_names) {
      auto it = definitions.find(n);
      more->push_back({n, it != definitions.end() ? it->second : ValueType::kS});
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
    auto [name, type] =
        ParseNamedType(list[i], fmt::format("attributeDefinitions.{}.member", i + 1),
                       "AttributeType", "attributeType", {"B", "N", "S"}, errors);
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
                     // DynamoDB's order (ack-api-quirks dynamodb DDB-TABLE-035).
                     {"OLD_IMAGE", "KEYS_ONLY", "NEW_AND_OLD_IMAGES", "NEW_IMAGE"});
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

namespace {

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

}  // namespace

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

void CheckTableClass(std::string_view table_class) {
  if (table_class != "STANDARD" && table_class != "STANDARD_INFREQUENT_ACCESS") {
    throw ApiError::Validation(
        "Invalid table-class parameter provided. Please try again with a valid table-class "
        "value: [STANDARD, STANDARD_INFREQUENT_ACCESS].");
  }
}

// DynamoDB's refusal to change a table that is not ACTIVE, e.g. "Attempt to change a resource
// which is still in use: Table is being created: orders".
ApiError TableInUse(std::string_view status, std::string_view table) {
  std::string_view doing = status == "CREATING"   ? "created"
                           : status == "DELETING" ? "deleted"
                                                  : "updated";
  return ResourceInUse(fmt::format("Table is being {}: {}", doing, table));
}

ApiError ResourceInUse(std::string_view what) {
  return ApiError::ResourceInUse(
      fmt::format("Attempt to change a resource which is still in use: {}", what));
}

ApiError IndexesInUse() {
  return ResourceInUse("Cannot delete table while indexes are being created, updated, or deleted.");
}

std::optional<ThroughputSetting> ParseThroughputSetting(const JsonValue& obj,
                                                        std::string_view name) {
  const JsonValue* v = Request::ObjectOf(obj, name);
  if (!v) return std::nullopt;
  bool odt = name == "OnDemandThroughput";
  return ThroughputSetting{
      Request::IntOf(*v, odt ? "MaxReadRequestUnits" : "ReadUnitsPerSecond"),
      Request::IntOf(*v, odt ? "MaxWriteRequestUnits" : "WriteUnitsPerSecond")};
}

namespace {

// "table", or "index gsi1", as DynamoDB's throughput messages name what they refuse.
std::string SubjectOf(std::string_view index) {
  return index.empty() ? std::string("table") : fmt::format("index {}", index);
}

[[noreturn]] void ThrowAboveTableMax(std::string_view member, std::string_view setting,
                                     std::string_view subject, bool read,
                                     const std::string& region) {
  throw ApiError::LimitExceeded(fmt::format(
      "Subscriber limit exceeded: Requested {} for {} for {} exceeds TableMax{}CapacityUnits of "
      "the account in region {}",
      member, setting, subject, read ? "Read" : "Write", region));
}

}  // namespace

void CheckOnDemand(const ThroughputSetting& odt, std::string_view index, bool pay_per_request,
                   bool updating, const std::string& region) {
  const std::pair<const std::optional<int64_t>&, std::string_view> members[] = {
      {odt.read, "MaxReadRequestUnits"}, {odt.write, "MaxWriteRequestUnits"}};
  for (const auto& [value, member] : members) {
    if (!value) continue;
    if (!pay_per_request) {
      // (DynamoDB words CreateTable's refusal a little differently from UpdateTable's.)
      throw ApiError::Validation(fmt::format(
          "{}{} for OnDemandThroughput cannot be specified when {}BillingMode is PROVISIONED{}",
          kInvalid, member, updating ? "the table " : "table ", updating ? "" : "."));
    }
  }
  // DynamoDB names an index in its OnDemandThroughput messages as "index : gsi1" (recorded in
  // 2026: ack-api-quirks dynamodb DDB-TABLE-128, -154).
  const std::string subject = index.empty() ? "table" : fmt::format("index : {}", index);
  for (const auto& [value, member] : members) {
    if (value && *value < 1 && !(updating && *value == -1)) {
      throw ApiError::Validation(
          fmt::format("{}Requested {} for OnDemandThroughput for {} is outside of valid range",
                      kInvalid, member, subject));
    }
  }
  for (const auto& [value, member] : members) {
    if (value && *value > kTableMaxCapacityUnits) {
      ThrowAboveTableMax(member, "OnDemandThroughput", subject, member == "MaxReadRequestUnits",
                         region);
    }
  }
}

OnDemandThroughput MergeOnDemand(const OnDemandThroughput& current, const ThroughputSetting& odt) {
  OnDemandThroughput merged = current;
  auto apply = [](std::optional<int64_t>& to, const std::optional<int64_t>& value) {
    if (!value) return;
    if (*value == -1) {
      to.reset();
    } else {
      to = *value;
    }
  };
  apply(merged.max_read, odt.read);
  apply(merged.max_write, odt.write);
  return merged;
}

WarmThroughput WarmAtCreate(const ThroughputSetting& warm, std::string_view index,
                            bool pay_per_request, const ProvisionedThroughput& provisioned,
                            const std::string& region) {
  WarmThroughput floor = EffectiveWarm({}, pay_per_request, provisioned);
  WarmThroughput asked{warm.read.value_or(floor.read), warm.write.value_or(floor.write)};
  std::string subject = SubjectOf(index);
  for (bool read : {true, false}) {
    int64_t value = read ? asked.read : asked.write;
    if (value >= (read ? floor.read : floor.write)) continue;
    std::string_view member = read ? "ReadUnitsPerSecond" : "WriteUnitsPerSecond";
    if (pay_per_request) {
      throw ApiError::Validation(fmt::format(
          "{}Requested {} for WarmThroughput for {} is lower than initial throughput for "
          "OnDemand. See: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/"
          "on-demand-capacity-mode.html#on-demand-capacity-mode-initial",
          kInvalid, member, subject));
    }
    throw ApiError::Validation(
        fmt::format("{}Requested {} for WarmThroughput for {} is lower than {}CapacityUnits of "
                    "ProvisionedThroughput",
                    kInvalid, member, subject, read ? "Read" : "Write"));
  }
  if (asked.read > kTableMaxCapacityUnits) {
    ThrowAboveTableMax("ReadUnitsPerSecond", "WarmThroughput", subject, true, region);
  }
  if (asked.write > kTableMaxCapacityUnits) {
    ThrowAboveTableMax("WriteUnitsPerSecond", "WarmThroughput", subject, false, region);
  }
  return asked;
}

WarmThroughput WarmIncrease(const ThroughputSetting& warm, std::string_view index,
                            const WarmThroughput& current, const std::string& region) {
  WarmThroughput asked{warm.read.value_or(current.read), warm.write.value_or(current.write)};
  std::string subject = SubjectOf(index);
  for (bool read : {true, false}) {
    if ((read ? asked.read : asked.write) >= (read ? current.read : current.write)) continue;
    throw ApiError::Validation(fmt::format(
        "{}Requested {} for WarmThroughput for {} is lower than current WarmThroughput, "
        "decreasing WarmThroughput is not supported",
        kInvalid, read ? "ReadUnitsPerSecond" : "WriteUnitsPerSecond", subject));
  }
  if (asked.read > kTableMaxCapacityUnits) {
    ThrowAboveTableMax("ReadUnitsPerSecond", "WarmThroughput", subject, true, region);
  }
  if (asked.write > kTableMaxCapacityUnits) {
    ThrowAboveTableMax("WriteUnitsPerSecond", "WarmThroughput", subject, false, region);
  }
  return asked;
}

}  // namespace cruddur::ddb
