#include "ddb/table_schema.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

#include "ddb/error.h"
#include "ddb/java_set_order.h"
#include "ddb/value_json.h"
#include "encoding/enum_names.h"

namespace cruddur::ddb {
namespace {

ValueType ScalarType(std::string_view s) {
  if (s == "N") return ValueType::kN;
  if (s == "B") return ValueType::kB;
  return ValueType::kS;
}

// Both directions of ProjectionType's wire names; one entry per enumerator.
constexpr std::array<encoding::EnumName<ProjectionType>, 3> kProjectionNames = {{
    {ProjectionType::kAll, "ALL"},
    {ProjectionType::kKeysOnly, "KEYS_ONLY"},
    {ProjectionType::kInclude, "INCLUDE"},
}};
static_assert(kProjectionNames.back().value == ProjectionType::kInclude);

std::string_view ProjectionName(ProjectionType p) { return encoding::NameOf(kProjectionNames, p); }

ProjectionType ProjectionFromName(std::string_view s) {
  return encoding::ValueNamed(kProjectionNames, s).value_or(ProjectionType::kAll);
}

void Key(JsonWriter& w, std::string_view k) { w.Key(k.data(), static_cast<unsigned>(k.size())); }
void Str(JsonWriter& w, std::string_view s) { w.String(s.data(), static_cast<unsigned>(s.size())); }

// Every HASH element, then every RANGE element: the order CreateTable accepted them in.
void WriteKeySchema(JsonWriter& w, const KeySchema& k) {
  w.StartArray();
  for (bool hash : {true, false}) {
    for (const KeyAttribute& a : hash ? k.HashAttributes() : k.RangeAttributes()) {
      w.StartObject();
      WriteMember(w, "AttributeName", a.name);
      WriteMember(w, "KeyType", hash ? "HASH" : "RANGE");
      w.EndObject();
    }
  }
  w.EndArray();
}

void WriteThroughput(JsonWriter& w, const ProvisionedThroughput& t, bool describe) {
  w.StartObject();
  if (describe && t.last_increase_time > 0) {
    WriteMember(w, "LastIncreaseDateTime", t.last_increase_time);
  }
  if (describe && t.last_decrease_time > 0) {
    WriteMember(w, "LastDecreaseDateTime", t.last_decrease_time);
  }
  if (describe) WriteMember(w, "NumberOfDecreasesToday", t.DecreasesOn(EpochSeconds()));
  WriteMember(w, "ReadCapacityUnits", t.read_capacity_units);
  WriteMember(w, "WriteCapacityUnits", t.write_capacity_units);
  w.EndObject();
}

void WriteProjection(JsonWriter& w, const IndexSchema& ix) {
  w.StartObject();
  WriteMember(w, "ProjectionType", ProjectionName(ix.projection));
  if (ix.projection == ProjectionType::kInclude) {
    // Sorted by name, as DynamoDB describes them (ack-api-quirks dynamodb DDB-TABLE-125).
    std::vector<std::string> names = ix.non_key_attributes;
    std::sort(names.begin(), names.end());
    Key(w, "NonKeyAttributes");
    w.StartArray();
    for (const auto& a : names) Str(w, a);
    w.EndArray();
  }
  w.EndObject();
}

void WriteOnDemand(JsonWriter& w, const OnDemandThroughput& t) {
  if (t.empty()) return;
  Key(w, "OnDemandThroughput");
  w.StartObject();
  if (t.max_read) WriteMember(w, "MaxReadRequestUnits", *t.max_read);
  if (t.max_write) WriteMember(w, "MaxWriteRequestUnits", *t.max_write);
  w.EndObject();
}

void WriteWarm(JsonWriter& w, const WarmThroughput& t, WarmReport report) {
  if (report == WarmReport::kOmitted) return;
  Key(w, "WarmThroughput");
  w.StartObject();
  WriteMember(w, "ReadUnitsPerSecond", t.read);
  WriteMember(w, "WriteUnitsPerSecond", t.write);
  WriteMember(w, "Status", report == WarmReport::kUpdating ? "UPDATING" : "ACTIVE");
  w.EndObject();
}

void WriteBillingModeSummary(JsonWriter& w, const TableSchema& s) {
  if (s.pay_per_request_since <= 0) return;
  Key(w, "BillingModeSummary");
  w.StartObject();
  WriteMember(w, "BillingMode", s.pay_per_request ? "PAY_PER_REQUEST" : "PROVISIONED");
  // (ack-api-quirks dynamodb DDB-TABLE-033, -060)
  if (!s.billing_summary_pending) {
    WriteMember(w, "LastUpdateToPayPerRequestDateTime", s.pay_per_request_since);
  }
  w.EndObject();
}

ProvisionedThroughput ReadThroughput(const JsonValue& v) {
  ProvisionedThroughput t;
  t.read_capacity_units = v["r"].GetInt64();
  t.write_capacity_units = v["w"].GetInt64();
  t.last_increase_time = v["li"].GetDouble();
  t.last_decrease_time = v["ld"].GetDouble();
  t.decreases_today = v["dt"].GetInt64();
  return t;
}

void PersistThroughput(JsonWriter& w, const ProvisionedThroughput& t) {
  w.StartObject();
  WriteMember(w, "r", t.read_capacity_units);
  WriteMember(w, "w", t.write_capacity_units);
  WriteMember(w, "li", t.last_increase_time);
  WriteMember(w, "ld", t.last_decrease_time);
  WriteMember(w, "dt", t.decreases_today);
  w.EndObject();
}

// OnDemandThroughput and WarmThroughput in the catalog: {"r":..,"w":..}, an absent member left
// out. Both are absent in catalogs written before they existed.
void PersistReadWrite(JsonWriter& w, std::optional<int64_t> read, std::optional<int64_t> write) {
  w.StartObject();
  if (read) WriteMember(w, "r", *read);
  if (write) WriteMember(w, "w", *write);
  w.EndObject();
}

// The "r" and "w" of the object `member` of `parent`, each nullopt where absent.
std::pair<std::optional<int64_t>, std::optional<int64_t>> ReadReadWrite(const JsonValue& parent,
                                                                        const char* member) {
  if (!parent.HasMember(member) || !parent[member].IsObject()) return {};
  const JsonValue& v = parent[member];
  auto field = [&v](const char* name) -> std::optional<int64_t> {
    if (v.HasMember(name) && v[name].IsInt64()) return v[name].GetInt64();
    return std::nullopt;
  };
  return {field("r"), field("w")};
}

OnDemandThroughput ReadOnDemand(const JsonValue& parent) {
  auto [read, write] = ReadReadWrite(parent, "odt");
  return {read, write};
}

WarmThroughput ReadWarm(const JsonValue& parent) {
  WarmThroughput t;
  auto [read, write] = ReadReadWrite(parent, "warm");
  return {read.value_or(t.read), write.value_or(t.write)};
}

// The capacity settings a table and each of its indexes have: "throughput", "odt", "warm".
template <typename TableOrIndex>
void PersistCapacity(JsonWriter& w, const TableOrIndex& x) {
  Key(w, "throughput");
  PersistThroughput(w, x.throughput);
  Key(w, "odt");
  PersistReadWrite(w, x.on_demand.max_read, x.on_demand.max_write);
  Key(w, "warm");
  PersistReadWrite(w, x.warm.read, x.warm.write);
}

template <typename TableOrIndex>
void ReadCapacity(const JsonValue& v, TableOrIndex& x) {
  x.throughput = ReadThroughput(v["throughput"]);
  x.on_demand = ReadOnDemand(v);
  x.warm = ReadWarm(v);
}

void PersistKey(JsonWriter& w, const KeySchema& k) {
  w.StartObject();
  WriteMember(w, "h", k.hash_name);
  WriteMember(w, "ht", TypeName(k.hash_type));
  WriteMember(w, "r", k.range_name);
  WriteMember(w, "rt", TypeName(k.range_type));
  // A multi-attribute key's further attributes; absent otherwise, so that single-attribute
  // schemas persist exactly as before.
  for (const auto* more : {&k.more_hash, &k.more_range}) {
    if (more->empty()) continue;
    Key(w, more == &k.more_hash ? "mh" : "mr");
    w.StartArray();
    for (const KeyAttribute& a : *more) {
      w.StartArray();
      Str(w, a.name);
      Str(w, TypeName(a.type));
      w.EndArray();
    }
    w.EndArray();
  }
  w.EndObject();
}

KeySchema ReadKey(const JsonValue& v) {
  KeySchema k;
  k.hash_name = v["h"].GetString();
  k.hash_type = ScalarType(v["ht"].GetString());
  k.range_name = v["r"].GetString();
  k.range_type = ScalarType(v["rt"].GetString());
  for (auto* more : {&k.more_hash, &k.more_range}) {
    const char* name = more == &k.more_hash ? "mh" : "mr";
    if (!v.HasMember(name)) continue;
    for (const auto& a : v[name].GetArray()) {
      more->push_back({a[0].GetString(), ScalarType(a[1].GetString())});
    }
  }
  return k;
}

// Contributor insights as the member "insights", once they have ever been configured.
void PersistInsights(JsonWriter& w, const ContributorInsights& ci) {
  if (ci.last_update <= 0) return;
  Key(w, "insights");
  w.StartObject();
  WriteMember(w, "settled", ci.settled);
  WriteMember(w, "mode", ci.mode);
  WriteMember(w, "rules_created", ci.rules_created);
  WriteMember(w, "last_update", ci.last_update);
  WriteMember(w, "until", ci.until);
  WriteMember(w, "failed", ci.failed);
  w.EndObject();
}

// Absent in catalogs written before contributor insights, and for those never configured.
ContributorInsights ReadInsights(const JsonValue& v) {
  ContributorInsights ci;
  auto m = v.FindMember("insights");
  if (m == v.MemberEnd() || !m->value.IsObject()) return ci;
  const JsonValue& o = m->value;
  auto str = [&](const char* name, std::string* out) {
    if (auto f = o.FindMember(name); f != o.MemberEnd() && f->value.IsString()) {
      *out = f->value.GetString();
    }
  };
  auto num = [&](const char* name, double* out) {
    if (auto f = o.FindMember(name); f != o.MemberEnd() && f->value.IsNumber()) {
      *out = f->value.GetDouble();
    }
  };
  str("settled", &ci.settled);
  str("mode", &ci.mode);
  num("rules_created", &ci.rules_created);
  num("last_update", &ci.last_update);
  num("until", &ci.until);
  if (auto f = o.FindMember("failed"); f != o.MemberEnd() && f->value.IsBool()) {
    ci.failed = f->value.GetBool();
  }
  return ci;
}

void PersistIndex(JsonWriter& w, const IndexSchema& ix) {
  w.StartObject();
  WriteMember(w, "name", ix.name);
  WriteMember(w, "id", ix.id);
  WriteMember(w, "global", ix.global);
  Key(w, "key");
  PersistKey(w, ix.key);
  WriteMember(w, "projection", ProjectionName(ix.projection));
  Key(w, "non_key");
  w.StartArray();
  for (const auto& a : ix.non_key_attributes) Str(w, a);
  w.EndArray();
  PersistCapacity(w, ix);
  WriteMember(w, "status", ix.status);
  WriteMember(w, "status_until", ix.status_until);
  if (ix.backfill_at > 0) WriteMember(w, "backfill_at", ix.backfill_at);
  PersistInsights(w, ix.insights);
  w.EndObject();
}

IndexSchema ReadIndex(const JsonValue& v) {
  IndexSchema ix;
  ix.name = v["name"].GetString();
  ix.id = static_cast<uint8_t>(v["id"].GetUint());
  ix.global = v["global"].GetBool();
  ix.key = ReadKey(v["key"]);
  ix.projection = ProjectionFromName(v["projection"].GetString());
  for (const auto& a : v["non_key"].GetArray()) ix.non_key_attributes.emplace_back(a.GetString());
  ReadCapacity(v, ix);
  ix.status = v["status"].GetString();
  // Absent in catalogs written before transient states could be delayed.
  if (v.HasMember("status_until") && v["status_until"].IsNumber()) {
    ix.status_until = v["status_until"].GetDouble();
  }
  if (v.HasMember("backfill_at") && v["backfill_at"].IsNumber()) {
    ix.backfill_at = v["backfill_at"].GetDouble();
  }
  ix.insights = ReadInsights(v);
  return ix;
}

// Whether a transient state set to end at `until` (0: no set end) still holds at `now`.
bool Pending(double until, double now) { return until <= 0 || now < until; }

}  // namespace

std::vector<KeyAttribute> KeySchema::HashAttributes() const {
  std::vector<KeyAttribute> out{{hash_name, hash_type}};
  out.insert(out.end(), more_hash.begin(), more_hash.end());
  return out;
}

std::vector<KeyAttribute> KeySchema::RangeAttributes() const {
  std::vector<KeyAttribute> out;
  if (has_range()) out.push_back({range_name, range_type});
  out.insert(out.end(), more_range.begin(), more_range.end());
  return out;
}

bool KeySchema::IsKeyAttribute(const std::string& name) const {
  if (name == hash_name || (has_range() && name == range_name)) return true;
  auto named = [&](const KeyAttribute& a) { return a.name == name; };
  return std::any_of(more_hash.begin(), more_hash.end(), named) ||
         std::any_of(more_range.begin(), more_range.end(), named);
}

KeySchemaNames CheckGlobalIndexKeySchema(const std::vector<KeySchemaElement>& elements) {
  constexpr std::string_view kInvalid = "One or more parameter values were invalid: ";
  if (elements.front().type != "HASH") {
    throw ApiError::Validation(
        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
  }
  KeySchemaNames names;
  for (const KeySchemaElement& e : elements) {
    if (e.type == "HASH" && !names.range.empty()) {
      throw ApiError::Validation(fmt::format(
          "{}All HASH key attributes must precede RANGE key attributes in the KeySchema",
          kInvalid));
    }
    (e.type == "HASH" ? names.hash : names.range).push_back(e.name);
  }
  for (const auto* role : {&names.hash, &names.range}) {
    if (role->size() > kMaxKeyAttributesPerRole) {
      throw ApiError::Validation(
          fmt::format("{}The KeySchema exceeds the maximum allowed number of {} key attributes",
                      kInvalid, role == &names.hash ? "HASH" : "RANGE"));
    }
  }
  std::set<std::string_view> seen;
  for (const KeySchemaElement& e : elements) {
    if (seen.insert(e.name).second) continue;
    // The one-HASH-one-RANGE key keeps the message it always had.
    if (elements.size() == 2 && names.range.size() == 1) {
      throw ApiError::Validation(
          "Both the Hash Key and the Range Key element in the KeySchema have the same name");
    }
    throw ApiError::Validation("The KeySchema contains multiple key attributes with the same name");
  }
  return names;
}

double EpochSeconds() {
  using namespace std::chrono;
  return static_cast<double>(
             duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count()) /
         1000.0;
}

WarmThroughput EffectiveWarm(const WarmThroughput& recorded, bool pay_per_request,
                             const ProvisionedThroughput& provisioned) {
  WarmThroughput floor = pay_per_request ? kOnDemandInitialWarm
                                         : WarmThroughput{provisioned.read_capacity_units,
                                                          provisioned.write_capacity_units};
  return {std::max(recorded.read, floor.read), std::max(recorded.write, floor.write)};
}

std::string_view IndexSchema::StatusAt(double now) const {
  if (status == "ACTIVE" || !Pending(status_until, now)) return "ACTIVE";
  return status;
}

bool IndexSchema::AllocatingAt(double now) const {
  return backfill_at > 0 && now < backfill_at && StatusAt(now) == "CREATING";
}

std::string_view ContributorInsights::StatusAt(double now) const {
  if (until > 0 && Pending(until, now)) return settled == "DISABLED" ? "DISABLING" : "ENABLING";
  return settled;
}

std::string_view TableSchema::StatusAt(double now) const {
  if (transient_status.empty() || !Pending(transient_until, now)) return "ACTIVE";
  return transient_status;
}

bool TableSchema::IndexesChangingAt(double now) const {
  auto changing = [now](const IndexSchema& ix) { return ix.StatusAt(now) != "ACTIVE"; };
  return std::any_of(indexes.begin(), indexes.end(), changing) ||
         std::any_of(deleting_indexes.begin(), deleting_indexes.end(), changing);
}

bool TableSchema::DeletedBy(double now) const {
  return transient_status == "DELETING" && !Pending(transient_until, now);
}

void TableSchema::ResolveAt(double now) {
  if (!transient_status.empty() && !Pending(transient_until, now)) {
    transient_status.clear();
    transient_until = 0;
    transient_cause.clear();
  }
  for (auto& ix : indexes) {
    if (ix.status_until > 0 && !Pending(ix.status_until, now)) {
      ix.status = "ACTIVE";
      ix.status_until = 0;
      ix.backfill_at = 0;
    }
  }
  std::erase_if(deleting_indexes,
                [now](const IndexSchema& ix) { return !Pending(ix.status_until, now); });
}

const IndexSchema* TableSchema::FindIndex(std::string_view index_name) const {
  for (const auto& ix : indexes) {
    if (ix.name == index_name) return &ix;
  }
  return nullptr;
}

std::string TableSchema::Arn(const std::string& region, const std::string& account) const {
  return fmt::format("arn:aws:dynamodb:{}:{}:table/{}", region, account, name);
}

std::string SerializeSchema(const TableSchema& s) {
  JsonBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteMember(w, "name", s.name);
  WriteMember(w, "id", s.id);
  WriteMember(w, "table_id", s.table_id);
  Key(w, "key");
  PersistKey(w, s.key);
  Key(w, "attrs");
  w.StartArray();
  for (const auto& a : s.attribute_definitions) {
    w.StartArray();
    Str(w, a.name);
    Str(w, TypeName(a.type));
    w.EndArray();
  }
  w.EndArray();
  Key(w, "indexes");
  w.StartArray();
  for (const auto& ix : s.indexes) PersistIndex(w, ix);
  w.EndArray();
  WriteMember(w, "last_index_id", s.last_index_id);
  WriteMember(w, "ppr", s.pay_per_request);
  WriteMember(w, "ppr_since", s.pay_per_request_since);
  PersistCapacity(w, s);
  WriteMember(w, "created", s.creation_time);
  WriteMember(w, "stream_enabled", s.stream.enabled);
  WriteMember(w, "stream_view", s.stream.view_type);
  WriteMember(w, "stream_label", s.stream_label);
  WriteMember(w, "ttl_attr", s.ttl_attribute);
  if (s.ttl_updated > 0) WriteMember(w, "ttl_updated", s.ttl_updated);
  Key(w, "tags");
  w.StartObject();
  for (const auto& [k, v] : s.tags) WriteMember(w, k, v);
  w.EndObject();
  WriteMember(w, "deletion_protection", s.deletion_protection);
  WriteMember(w, "table_class", s.table_class);
  WriteMember(w, "table_class_updated", s.table_class_updated);
  if (s.deletion_protection_updated > 0) {
    WriteMember(w, "deletion_protection_updated", s.deletion_protection_updated);
  }
  if (!s.table_class_switches.empty()) {
    Key(w, "table_class_switches");
    w.StartArray();
    for (double t : s.table_class_switches) w.Double(t);
    w.EndArray();
  }
  WriteMember(w, "table_class_given", s.table_class_given);
  WriteMember(w, "sse_kms_key", s.sse_kms_key_arn);
  WriteMember(w, "transient_status", s.transient_status);
  WriteMember(w, "transient_until", s.transient_until);
  if (!s.transient_cause.empty()) WriteMember(w, "transient_cause", s.transient_cause);
  Key(w, "deleting_indexes");
  w.StartArray();
  for (const auto& ix : s.deleting_indexes) PersistIndex(w, ix);
  w.EndArray();
  if (s.restore) {
    Key(w, "restore");
    w.StartArray();
    Str(w, s.restore->source_backup_arn);
    Str(w, s.restore->source_table_arn);
    w.Double(s.restore->restore_time);
    w.EndArray();
  }
  PersistInsights(w, s.insights);
  w.EndObject();
  return buf.GetString();
}

TableSchema DeserializeSchema(std::string_view json) {
  JsonDocument d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) throw std::runtime_error("corrupt table catalog entry");
  TableSchema s;
  s.name = d["name"].GetString();
  s.id = d["id"].GetUint();
  s.table_id = d["table_id"].GetString();
  s.key = ReadKey(d["key"]);
  for (const auto& a : d["attrs"].GetArray()) {
    s.attribute_definitions.push_back({a[0].GetString(), ScalarType(a[1].GetString())});
  }
  for (const auto& v : d["indexes"].GetArray()) s.indexes.push_back(ReadIndex(v));
  s.last_index_id = static_cast<uint8_t>(d["last_index_id"].GetUint());
  s.pay_per_request = d["ppr"].GetBool();
  ReadCapacity(d, s);
  s.creation_time = d["created"].GetDouble();
  // Absent in catalogs written before it was recorded: PAY_PER_REQUEST since creation.
  if (d.HasMember("ppr_since") && d["ppr_since"].IsNumber()) {
    s.pay_per_request_since = d["ppr_since"].GetDouble();
  } else if (s.pay_per_request) {
    s.pay_per_request_since = s.creation_time;
  }
  s.stream.enabled = d["stream_enabled"].GetBool();
  s.stream.view_type = d["stream_view"].GetString();
  s.stream_label = d["stream_label"].GetString();
  // Absent in catalogs written before TTL existed.
  if (d.HasMember("ttl_attr") && d["ttl_attr"].IsString()) {
    s.ttl_attribute = d["ttl_attr"].GetString();
  }
  if (d.HasMember("ttl_updated") && d["ttl_updated"].IsNumber()) {
    s.ttl_updated = d["ttl_updated"].GetDouble();
  }
  // Absent in catalogs written before tags existed.
  if (d.HasMember("tags") && d["tags"].IsObject()) {
    for (const auto& m : d["tags"].GetObject()) {
      if (m.value.IsString()) s.tags[m.name.GetString()] = m.value.GetString();
    }
  }
  s.deletion_protection = d["deletion_protection"].GetBool();
  s.table_class = d["table_class"].GetString();
  // Absent in catalogs written before it was recorded.
  if (d.HasMember("table_class_updated") && d["table_class_updated"].IsNumber()) {
    s.table_class_updated = d["table_class_updated"].GetDouble();
  }
  if (d.HasMember("deletion_protection_updated") && d["deletion_protection_updated"].IsNumber()) {
    s.deletion_protection_updated = d["deletion_protection_updated"].GetDouble();
  }
  if (d.HasMember("table_class_switches") && d["table_class_switches"].IsArray()) {
    for (const auto& t : d["table_class_switches"].GetArray()) {
      if (t.IsNumber()) s.table_class_switches.push_back(t.GetDouble());
    }
  }
  if (d.HasMember("table_class_given") && d["table_class_given"].IsBool()) {
    s.table_class_given = d["table_class_given"].GetBool();
  }
  // Absent in catalogs written before SSE was recorded.
  if (d.HasMember("sse_kms_key") && d["sse_kms_key"].IsString()) {
    s.sse_kms_key_arn = d["sse_kms_key"].GetString();
  }
  // Absent in catalogs written before transient states could be delayed.
  if (d.HasMember("transient_status") && d["transient_status"].IsString() &&
      d.HasMember("transient_until") && d["transient_until"].IsNumber()) {
    s.transient_status = d["transient_status"].GetString();
    s.transient_until = d["transient_until"].GetDouble();
    if (d.HasMember("transient_cause") && d["transient_cause"].IsString()) {
      s.transient_cause = d["transient_cause"].GetString();
    }
  }
  if (d.HasMember("deleting_indexes") && d["deleting_indexes"].IsArray()) {
    for (const auto& v : d["deleting_indexes"].GetArray()) {
      s.deleting_indexes.push_back(ReadIndex(v));
    }
  }
  if (d.HasMember("restore") && d["restore"].IsArray() && d["restore"].Size() == 3) {
    const auto& r = d["restore"];
    if (r[0].IsString() && r[1].IsString() && r[2].IsNumber()) {
      s.restore = RestoreSummary{r[0].GetString(), r[1].GetString(), r[2].GetDouble()};
    }
  }
  s.insights = ReadInsights(d);
  return s;
}

void WriteTableDescription(JsonWriter& w, const TableSchema& s, const std::string& status,
                           const std::vector<TableStats>& stats, const std::string& region,
                           const std::string& account) {
  auto stat = [&](size_t id) { return id < stats.size() ? stats[id] : TableStats{}; };
  std::string arn = s.Arn(region, account);
  w.StartObject();
  // Sorted by name, as DynamoDB describes them (ack-api-quirks dynamodb DDB-TABLE-125).
  std::vector<AttributeDefinition> definitions = s.attribute_definitions;
  std::sort(
      definitions.begin(), definitions.end(),
      [](const AttributeDefinition& a, const AttributeDefinition& b) { return a.name < b.name; });
  Key(w, "AttributeDefinitions");
  w.StartArray();
  for (const auto& a : definitions) {
    w.StartObject();
    WriteMember(w, "AttributeName", a.name);
    WriteMember(w, "AttributeType", TypeName(a.type));
    w.EndObject();
  }
  w.EndArray();
  WriteMember(w, "TableName", s.name);
  Key(w, "KeySchema");
  WriteKeySchema(w, s.key);
  WriteMember(w, "TableStatus", status);
  WriteMember(w, "CreationDateTime", s.creation_time);
  Key(w, "ProvisionedThroughput");
  WriteThroughput(w, s.throughput, true);
  WriteMember(w, "TableSizeBytes", stat(0).size_bytes);
  WriteMember(w, "ItemCount", stat(0).item_count);
  WriteMember(w, "TableArn", arn);
  WriteMember(w, "TableId", s.table_id);
  WriteBillingModeSummary(w, s);
  double now = EpochSeconds();
  // Deleted GSIs still reported as DELETING (transient_status_delay).
  std::vector<const IndexSchema*> deleting;
  for (const auto& ix : s.deleting_indexes) {
    if (Pending(ix.status_until, now)) deleting.push_back(&ix);
  }
  for (bool global : {false, true}) {
    std::vector<const IndexSchema*> listed;
    for (const auto& ix : s.indexes) {
      if (ix.global == global) listed.push_back(&ix);
    }
    if (global) listed.insert(listed.end(), deleting.begin(), deleting.end());
    if (listed.empty()) continue;
    Key(w, global ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes");
    w.StartArray();
    for (const IndexSchema* index : listed) {
      const IndexSchema& ix = *index;
      w.StartObject();
      WriteMember(w, "IndexName", ix.name);
      Key(w, "KeySchema");
      WriteKeySchema(w, ix.key);
      Key(w, "Projection");
      WriteProjection(w, ix);
      if (global) {
        // A table's own indexes are created with it, without Backfilling (API reference,
        // GlobalSecondaryIndexDescription); indexes added by UpdateTable backfill.
        bool with_table = status == "CREATING";
        std::string_view ix_status = with_table ? "CREATING" : ix.StatusAt(now);
        WriteMember(w, "IndexStatus", ix_status);
        if (ix_status == "CREATING" && !with_table) {
          WriteMember(w, "Backfilling", !ix.backfill_pending && !ix.AllocatingAt(now));
        }
        Key(w, "ProvisionedThroughput");
        WriteThroughput(w, ix.throughput, true);
        WriteOnDemand(w, ix.on_demand);
        WriteWarm(w, EffectiveWarm(ix.warm, s.pay_per_request, ix.throughput), ix.warm_report);
      }
      // An index whose backfill has not begun holds nothing yet.
      const bool unfilled = ix.backfill_pending || ix.AllocatingAt(now);
      WriteMember(w, "IndexSizeBytes", unfilled ? 0 : stat(ix.id).size_bytes);
      WriteMember(w, "ItemCount", unfilled ? 0 : stat(ix.id).item_count);
      WriteMember(w, "IndexArn", arn + "/index/" + ix.name);
      w.EndObject();
    }
    w.EndArray();
  }
  if (s.stream.enabled) {
    Key(w, "StreamSpecification");
    w.StartObject();
    WriteMember(w, "StreamEnabled", true);
    WriteMember(w, "StreamViewType", s.stream.view_type);
    w.EndObject();
  }
  if (!s.stream_label.empty()) {
    WriteMember(w, "LatestStreamLabel", s.stream_label);
    WriteMember(w, "LatestStreamArn", arn + "/stream/" + s.stream_label);
  }
  if (!s.sse_kms_key_arn.empty() || s.sse_updating) {
    // As DynamoDB describes it: an UpdateTable that changes SSE answers UPDATING with the old
    // key (none when the table had DynamoDB's own key).
    Key(w, "SSEDescription");
    w.StartObject();
    WriteMember(w, "Status", s.sse_updating ? "UPDATING" : "ENABLED");
    if (!s.sse_kms_key_arn.empty()) {
      WriteMember(w, "SSEType", "KMS");
      WriteMember(w, "KMSMasterKeyArn", s.sse_kms_key_arn);
    }
    w.EndObject();
  }
  // Absent for a table never given a class (ack-api-quirks dynamodb DDB-TABLE-058, -177), and
  // present once CreateTable names one, STANDARD too (DDB-TABLE-026).
  if (s.table_class != "STANDARD" || s.table_class_updated > 0 || s.table_class_given) {
    Key(w, "TableClassSummary");
    w.StartObject();
    WriteMember(w, "TableClass", s.table_class);
    if (s.table_class_updated > 0) WriteMember(w, "LastUpdateDateTime", s.table_class_updated);
    w.EndObject();
  }
  // Only while the restore is in progress: from the first ACTIVE answer on, nothing marks the
  // table as restored (DynamoDB's answers recorded in 2026: ack-api-quirks dynamodb
  // DDB-TABLE-216).
  if (s.restore && status == "CREATING") {
    Key(w, "RestoreSummary");
    w.StartObject();
    if (!s.restore->source_backup_arn.empty()) {
      WriteMember(w, "SourceBackupArn", s.restore->source_backup_arn);
    }
    WriteMember(w, "SourceTableArn", s.restore->source_table_arn);
    WriteMember(w, "RestoreDateTime", s.restore->restore_time);
    WriteMember(w, "RestoreInProgress", true);
    w.EndObject();
  }
  WriteMember(w, "DeletionProtectionEnabled", s.deletion_protection);
  WriteOnDemand(w, s.on_demand);
  WriteWarm(w, EffectiveWarm(s.warm, s.pay_per_request, s.throughput), s.warm_report);
  w.EndObject();
}

void WriteDeletingTableDescription(JsonWriter& w, const TableSchema& s,
                                   const std::vector<TableStats>& stats, const std::string& region,
                                   const std::string& account) {
  TableStats table = stats.empty() ? TableStats{} : stats[0];
  w.StartObject();
  WriteMember(w, "TableName", s.name);
  WriteMember(w, "TableStatus", "DELETING");
  Key(w, "ProvisionedThroughput");
  WriteThroughput(w, s.throughput, true);
  WriteMember(w, "TableSizeBytes", table.size_bytes);
  WriteMember(w, "ItemCount", table.item_count);
  WriteMember(w, "TableArn", s.Arn(region, account));
  WriteMember(w, "TableId", s.table_id);
  WriteBillingModeSummary(w, s);
  w.EndObject();
}

void CheckGsiProjects(const std::string& index, const std::vector<std::string>& missing) {
  if (missing.empty()) return;
  throw ApiError::Validation(
      fmt::format("One or more parameter values were invalid: Global secondary index {} does not "
                  "project [{}]",
                  index, fmt::join(JavaHashSetOrder(missing), ", ")));
}

void CheckFilterProjects(const std::string& index, const std::vector<std::string>& missing) {
  if (missing.empty()) return;
  throw ApiError::Validation(
      fmt::format("One or more parameter values were invalid: Secondary index {} does not "
                  "project one or more filter attributes: [{}]",
                  index, fmt::join(JavaHashSetOrder(missing), ", ")));
}

void CheckKeyValueNotEmpty(const std::string& name, const AttributeValue& v,
                           const std::string* index) {
  if (v.type == ValueType::kN || !v.bytes.empty()) return;
  const char* kind = v.type == ValueType::kS ? "string" : "binary";
  if (index) {
    throw ApiError::Validation(fmt::format(
        "One or more parameter values are not valid. A value specified for a secondary index "
        "key is not supported. The AttributeValue for a key attribute cannot contain an "
        "empty {} value. IndexName: {}, IndexKey: {}",
        kind, *index, name));
  }
  throw ApiError::Validation(fmt::format(
      "One or more parameter values are not valid. The AttributeValue for a key attribute "
      "cannot contain an empty {} value. Key: {}",
      kind, name));
}

}  // namespace cruddur::ddb
