// A table's definition as CreateTable/UpdateTable set it: keys, indexes, throughput, stream.
// Persisted in the catalog (as JSON) and written out by DescribeTable.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/json.h"
#include "ddb/value.h"

namespace cruddur::ddb {

struct KeyAttribute {
  std::string name;
  ValueType type = ValueType::kS;
};

// A table's or index's key: its first HASH and first RANGE attribute here, which is the whole key
// of tables and LSIs; a GSI's multi-attribute key (up to 4 HASH then up to 4 RANGE attributes)
// continues in more_hash and more_range.
struct KeySchema {
  std::string hash_name;
  ValueType hash_type = ValueType::kS;
  std::string range_name;  // empty: no sort key
  ValueType range_type = ValueType::kS;
  std::vector<KeyAttribute> more_hash;   // the 2nd to 4th HASH attributes, in KeySchema order
  std::vector<KeyAttribute> more_range;  // the 2nd to 4th RANGE attributes, in KeySchema order
  bool has_range() const { return !range_name.empty(); }
  bool multi_attribute() const { return !more_hash.empty() || !more_range.empty(); }
  // Every HASH (or RANGE) attribute, in KeySchema order.
  std::vector<KeyAttribute> HashAttributes() const;
  std::vector<KeyAttribute> RangeAttributes() const;
  bool IsKeyAttribute(const std::string& name) const;
};

// DynamoDB's limits on a GSI's multi-attribute key (developer guide, GSI.MultiAttributeKeys).
constexpr size_t kMaxKeyAttributesPerRole = 4;

// A KeySchemaElement as a request gives it, before validation.
struct KeySchemaElement {
  std::string name, type;  // AttributeName; KeyType "HASH" or "RANGE"
};
// The attribute names of a valid KeySchema by role, in KeySchema order.
struct KeySchemaNames {
  std::vector<std::string> hash, range;
};
// DynamoDB's structural checks of a GSI's KeySchema, which may hold a multi-attribute key: HASH
// elements first, 1 to 4 of them, then up to 4 RANGE elements, no attribute twice. Throws its
// ValidationException. REQUIRES: `elements` is not empty and its KeyTypes are HASH or RANGE.
KeySchemaNames CheckGlobalIndexKeySchema(const std::vector<KeySchemaElement>& elements);

// DynamoDB's ValidationException for an empty S or B value of key attribute `name`, in the
// words for a secondary index's key when `index` names one: no key holds an empty value, so
// none may be written or looked for.
void CheckKeyValueNotEmpty(const std::string& name, const AttributeValue& v,
                           const std::string* index = nullptr);

// DynamoDB's ValidationException for a read of GSI `index` that names top-level attributes
// the index does not project (`missing`, in the order the read names them): "Global secondary
// index <index> does not project [...]" (AWS's answer quoted in localstack/localstack#478).
// Nothing when `missing` is empty.
void CheckGsiProjects(const std::string& index, const std::vector<std::string>& missing);

// A read of a partial index whose filter names `missing`, attributes the index does not hold:
// Query's words, which a keyed PartiQL SELECT shares. Nothing when `missing` is empty.
void CheckFilterProjects(const std::string& index, const std::vector<std::string>& missing);

struct ProvisionedThroughput {
  int64_t read_capacity_units = 0;
  int64_t write_capacity_units = 0;
  double last_increase_time = 0;  // epoch seconds, 0: never
  double last_decrease_time = 0;
  int64_t decreases_today = 0;  // on the UTC day of last_decrease_time

  // The decreases on the UTC day of `now` (DynamoDB's day starts at 00:00 UTC).
  int64_t DecreasesOn(double now) const {
    constexpr double kDay = 86400;
    return std::floor(last_decrease_time / kDay) == std::floor(now / kDay) ? decreases_today : 0;
  }
};

// OnDemandThroughput: the most read and write request units per second a PAY_PER_REQUEST table or
// GSI may use. An absent member: no limit. (-1 only in an UpdateTable response, for a member that
// request cleared, as DynamoDB echoes it.)
struct OnDemandThroughput {
  std::optional<int64_t> max_read, max_write;
  bool empty() const { return !max_read && !max_write; }
};

// WarmThroughput: the read and write units per second a table or GSI is ready for at once. It
// never decreases; 0: never recorded, DynamoDB's default (EffectiveWarm).
struct WarmThroughput {
  int64_t read = 0, write = 0;
};

// DynamoDB's initial throughput of an on-demand table or GSI, its WarmThroughput until raised.
constexpr WarmThroughput kOnDemandInitialWarm{12000, 4000};

// The WarmThroughput DynamoDB reports: the recorded one, at least the on-demand initial
// throughput (PAY_PER_REQUEST) or the provisioned units (PROVISIONED).
WarmThroughput EffectiveWarm(const WarmThroughput& recorded, bool pay_per_request,
                             const ProvisionedThroughput& provisioned);

// How a response describes WarmThroughput: as it is, or (CreateTable or UpdateTable asked for a
// new one) with Status UPDATING; a CreateTable response that did not ask leaves it out.
enum class WarmReport { kActive, kUpdating, kOmitted };

// kProjectionNames (table_schema.cc) names each enumerator.
enum class ProjectionType { kAll, kKeysOnly, kInclude };

// CloudWatch Contributor Insights of a table or a GSI (UpdateContributorInsights): the state
// DynamoDB keeps and describes. Rules are named, counted against the account's quota and
// described; no CloudWatch is here to receive what they would report.
struct ContributorInsights {
  // Where the last UpdateContributorInsights leads: ENABLED, DISABLED, or FAILED (the rule quota
  // was reached). Until `until` the status is ENABLING or DISABLING on the way there.
  std::string settled = "DISABLED";
  std::string mode;          // ContributorInsightsMode, empty until the first ENABLE
  double rules_created = 0;  // epoch seconds of the rules' creation: their names' suffix
  double last_update = 0;    // LastUpdateDateTime; 0: never configured
  double until = 0;          // when ENABLING or DISABLING ends (0: settled at once)
  bool failed = false;       // FAILED, or DISABLING from FAILED: FailureException is described

  // ContributorInsightsStatus at `now`.
  std::string_view StatusAt(double now) const;
};

struct IndexSchema {
  std::string name;
  uint8_t id = 0;  // storage prefix; 0 is the table itself
  bool global = true;
  KeySchema key;
  ProjectionType projection = ProjectionType::kAll;
  std::vector<std::string> non_key_attributes;   // INCLUDE only
  ProvisionedThroughput throughput;              // GSIs of PROVISIONED tables
  OnDemandThroughput on_demand;                  // GSIs of PAY_PER_REQUEST tables
  WarmThroughput warm;                           // GSIs
  WarmReport warm_report = WarmReport::kActive;  // not persisted
  std::string status = "ACTIVE";                 // CREATING while backfilling, DELETING
  // Not persisted: the UpdateTable answer that creates the index, which DynamoDB gives before
  // the backfill starts (CREATING, Backfilling false).
  bool backfill_pending = false;
  // When a CREATING/DELETING status ends (epoch seconds; 0: when the engine changes it). Set
  // with EngineOptions::transient_status_delay.
  double status_until = 0;
  // A GSI Create delayed by transient_status_delay first allocates resources until backfill_at
  // (epoch seconds; Backfilling false, the table UPDATING), then backfills until status_until
  // with the table ACTIVE again, as DynamoDB does (ack-api-quirks dynamodb DDB-TABLE-148).
  // 0: no allocation phase.
  double backfill_at = 0;

  ContributorInsights insights;  // GSIs

  // IndexStatus at `now`: `status` until status_until, then ACTIVE (or gone, for DELETING).
  std::string_view StatusAt(double now) const;
  // Whether this index is CREATING at `now` and still in its resource allocation phase.
  bool AllocatingAt(double now) const;
};

struct AttributeDefinition {
  std::string name;
  ValueType type;
};

struct StreamSpecification {
  bool enabled = false;
  std::string view_type;  // KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES
};

// A restored table's origin (RestoreTableFromBackup, RestoreTableToPointInTime), which
// DescribeTable reports as its RestoreSummary.
struct RestoreSummary {
  std::string source_backup_arn;  // empty for a point-in-time restore
  std::string source_table_arn;
  double restore_time = 0;  // epoch seconds: the backup's creation, or the point in time
};

// TableSchema::transient_cause values.
inline constexpr std::string_view kIndexChange = "index";
inline constexpr std::string_view kThroughputChange = "throughput";
inline constexpr std::string_view kStreamChange = "stream";
inline constexpr std::string_view kTableClassChange = "table_class";

struct TableSchema {
  std::string name;
  uint32_t id = 0;       // storage prefix, never reused
  std::string table_id;  // the uuid DynamoDB reports as TableId
  KeySchema key;
  std::vector<AttributeDefinition> attribute_definitions;
  std::vector<IndexSchema> indexes;  // LSIs and GSIs
  uint8_t last_index_id = 0;         // ids are never reused, so a new index never sees old entries
  bool pay_per_request = false;
  // When PAY_PER_REQUEST was last set (epoch seconds; 0: never). DescribeTable reports a
  // BillingModeSummary for every table that has been PAY_PER_REQUEST, even once switched back.
  double pay_per_request_since = 0;
  ProvisionedThroughput throughput;
  OnDemandThroughput on_demand;  // PAY_PER_REQUEST tables
  WarmThroughput warm;
  WarmReport warm_report = WarmReport::kActive;  // not persisted
  // Not persisted: CreateTable's answer and a billing switch's, whose BillingModeSummary names
  // only the BillingMode (DynamoDB adds LastUpdateToPayPerRequestDateTime later).
  bool billing_summary_pending = false;
  double creation_time = 0;  // epoch seconds
  StreamSpecification stream;
  std::string stream_label;                 // of the latest stream, empty if none ever
  std::string ttl_attribute;                // UpdateTimeToLive's AttributeName; empty: TTL disabled
  double ttl_updated = 0;                   // epoch seconds of its last change; 0: never
  std::map<std::string, std::string> tags;  // TagResource / CreateTable's Tags
  bool deletion_protection = false;
  double deletion_protection_updated = 0;  // epoch seconds of its last change; 0: never
  std::string table_class = "STANDARD";
  double table_class_updated = 0;  // epoch seconds of UpdateTable's last TableClass; 0: never
  // When UpdateTable switched the class, in the last 30 days at least (DynamoDB allows two).
  std::vector<double> table_class_switches;
  bool table_class_given = false;  // CreateTable named a TableClass: always described
  // Server-side encryption with a KMS key (SSESpecification Enabled/SSEType KMS): the key's ARN.
  // Empty: DynamoDB's own key, which DescribeTable does not describe. Recorded and described only;
  // the data at rest is this machine's disk.
  std::string sse_kms_key_arn;
  // Not persisted: an UpdateTable response whose SSE change is in progress (SSEDescription Status
  // UPDATING, still naming the old key).
  bool sse_updating = false;
  // With EngineOptions::transient_status_delay: the TableStatus CREATING, UPDATING or DELETING
  // (empty: ACTIVE) until transient_until (epoch seconds); then ACTIVE, or gone after DELETING.
  std::string transient_status;
  double transient_until = 0;
  // What keeps an UPDATING table so: kIndexChange, kThroughputChange, kStreamChange or
  // kTableClassChange (empty: not known, a catalog written before it was recorded). DynamoDB
  // admits and words its refusals of other changes after it.
  std::string transient_cause;
  // GSIs deleted by UpdateTable that DescribeTable still reports as DELETING until their
  // status_until. Already out of `indexes`: nothing reads or maintains them.
  std::vector<IndexSchema> deleting_indexes;
  std::optional<RestoreSummary> restore;  // set on restored tables
  ContributorInsights insights;           // the table's own; each GSI's is in `indexes`

  // TableStatus at `now` (ACTIVE once the transient status has ended).
  std::string_view StatusAt(double now) const;
  // Whether a GSI is CREATING, UPDATING or DELETING at `now`.
  bool IndexesChangingAt(double now) const;
  // Whether a DeleteTable delayed by transient_status_delay has finished by `now`.
  bool DeletedBy(double now) const;
  // Forgets transient states that have ended by `now` (before the schema is changed again).
  void ResolveAt(double now);

  const IndexSchema* FindIndex(std::string_view index_name) const;
  std::string Arn(const std::string& region, const std::string& account) const;
};

// The current time in epoch seconds (the clock of CreationDateTime and the transient states).
double EpochSeconds();

// Catalog persistence.
std::string SerializeSchema(const TableSchema& schema);
TableSchema DeserializeSchema(std::string_view json);  // throws std::runtime_error if corrupt

struct TableStats {
  int64_t item_count = 0;
  int64_t size_bytes = 0;
};

// The TableDescription object of CreateTable/DescribeTable/DeleteTable/UpdateTable responses.
// `stats` is indexed by storage id (0: the table, then each index's id); missing entries count 0.
void WriteTableDescription(JsonWriter& w, const TableSchema& schema, const std::string& status,
                           const std::vector<TableStats>& stats, const std::string& region,
                           const std::string& account);
// DeleteTable's TableDescription, which DynamoDB trims to the table's name, status DELETING,
// throughput, size, item count, ARN, id and billing mode summary.
void WriteDeletingTableDescription(JsonWriter& w, const TableSchema& schema,
                                   const std::vector<TableStats>& stats, const std::string& region,
                                   const std::string& account);

}  // namespace cruddur::ddb
