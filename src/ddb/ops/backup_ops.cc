// On-demand backups: CreateBackup, DescribeBackup, ListBackups, DeleteBackup and
// RestoreTableFromBackup; and what point-in-time recovery (pitr_ops.cc) shares with them: the
// snapshots of a table's items and the restore of a table from items.
//
// A backup is a copy of the table's items (0x07 <snapshot id> ..., table.h) read through one
// storage snapshot, so it holds exactly the commits before one point of the commit order, and
// nothing done to the table afterwards changes it. Its indexes are rebuilt from the items when
// it is restored, so the backup holds the table's settings (its schema) and its items only.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "common/random.h"
#include "ddb/engine_impl.h"
#include "ddb/error.h"
#include "ddb/item_codec.h"
#include "ddb/ops/table_request.h"
#include "ddb/s3_layout.h"
#include "ddb/table_arn.h"
#include "log/log.h"

namespace cruddur::ddb {
namespace {

constexpr size_t kBatchOps = 1000;
// A SYSTEM backup (of a deleted table with point-in-time recovery) is kept 35 days.
constexpr double kSystemBackupSeconds = 35 * 86400.0;

void AppendUint32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

std::string BackupKey(std::string_view arn) {
  std::string k(1, keyspace::kBackup);
  k.append(arn);
  return k;
}

std::string NextSnapshotKey() { return std::string(1, keyspace::kMeta) + "next_snapshot_id"; }

// The 4-byte big-endian id after a key's space byte.
uint32_t IdOfKey(std::string_view key) {
  uint32_t id = 0;
  for (size_t i = 1; i <= 4 && i < key.size(); ++i) id = id << 8 | static_cast<uint8_t>(key[i]);
  return id;
}

// `"name": "value"` inside an object being written.
void WriteStringMember(JsonWriter& w, std::string_view name, std::string_view value) {
  WriteKey(w, name);
  WriteString(w, value);
}

std::string SerializeBackup(const Backup& b) {
  JsonBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  for (const auto& [k, v] : {std::pair<std::string_view, const std::string*>{"arn", &b.arn},
                             {"name", &b.name},
                             {"type", &b.type},
                             {"status", &b.status},
                             {"schema", &b.schema}}) {
    WriteStringMember(w, k, *v);
  }
  for (const auto& [k, v] : {std::pair<std::string_view, double>{"created", b.created},
                             {"expiry", b.expiry},
                             {"available_at", b.available_at}}) {
    WriteKey(w, k);
    w.Double(v);
  }
  for (const auto& [k, v] : {std::pair<std::string_view, int64_t>{"snapshot", b.snapshot},
                             {"items", b.items},
                             {"bytes", b.bytes}}) {
    WriteKey(w, k);
    w.Int64(v);
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::optional<Backup> DeserializeBackup(std::string_view json) {
  JsonDocument d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  Backup b;
  for (const auto& [k, v] : {std::pair<const char*, std::string*>{"arn", &b.arn},
                             {"name", &b.name},
                             {"type", &b.type},
                             {"status", &b.status},
                             {"schema", &b.schema}}) {
    if (!d.HasMember(k) || !d[k].IsString()) return std::nullopt;
    *v = d[k].GetString();
  }
  for (const auto& [k, v] : {std::pair<const char*, double*>{"created", &b.created},
                             {"expiry", &b.expiry},
                             {"available_at", &b.available_at}}) {
    if (!d.HasMember(k) || !d[k].IsNumber()) return std::nullopt;
    *v = d[k].GetDouble();
  }
  if (!d.HasMember("snapshot") || !d["snapshot"].IsUint() || !d.HasMember("items") ||
      !d["items"].IsInt64() || !d.HasMember("bytes") || !d["bytes"].IsInt64()) {
    return std::nullopt;
  }
  b.snapshot = d["snapshot"].GetUint();
  b.items = d["items"].GetInt64();
  b.bytes = d["bytes"].GetInt64();
  return b;
}

// The backup's epoch milliseconds as its ARN carries them (".../backup/<14 digits>-<8 hex>"),
// which orders ListBackups.
int64_t BackupArnMillis(std::string_view arn) {
  auto at = arn.rfind("/backup/");
  if (at == std::string_view::npos) return 0;
  int64_t ms = 0;
  for (size_t i = at + 8; i < arn.size() && arn[i] >= '0' && arn[i] <= '9'; ++i) {
    ms = ms * 10 + (arn[i] - '0');
  }
  return ms;
}

std::string_view BackupStatusAt(const Backup& b, double now) {
  if (b.status == "AVAILABLE" && now < b.available_at) return "CREATING";
  return b.status;
}

ApiError BackupNotFound(std::string_view arn) {
  return {400, "BackupNotFoundException", fmt::format("Backup not found: {}", arn)};
}

// A backup still being made cannot be deleted or restored (DeleteBackup and
// RestoreTableFromBackup API reference: "The backup is either being created, deleted or restored
// to a table").
ApiError BackupInUse(std::string_view arn) {
  return {400, "BackupInUseException", fmt::format("Backup is being created: {}", arn)};
}

// A backup feeds one restore at a time: until the restored table is ACTIVE, another restore
// or its deletion is refused, in DynamoDB's words (recorded in 2026: ack-api-quirks dynamodb
// DDB-BACKUP-010; `what` tells which).
ApiError BackupRestoring(std::string_view arn, std::string_view what) {
  return {400, "BackupInUseException", fmt::format("{}: {}", what, arn)};
}

// A restore into a table whose own restore from a backup is still in progress, before any check
// of the backup (DynamoDB's answer recorded in 2026: ack-api-quirks dynamodb DDB-TABLE-219).
ApiError TargetBeingRestored(std::string_view table, std::string_view backup_arn) {
  return {400, "TableInUseException",
          fmt::format("Table: {} is already being restored from backup: {}", table, backup_arn)};
}

// DynamoDB keeps a SYSTEM backup until it expires (recorded in 2026: ack-api-quirks dynamodb
// DDB-BACKUP-015; how it prints the time is not recorded: ISO 8601 here).
ApiError SystemBackupNotDeletable(const Backup& b) {
  return ApiError::Validation(fmt::format(
      "Invalid Request: User is not allowed to delete the system backup with arn {}. It will "
      "automatically expire on {}",
      b.arn, s3::IsoTimeSeconds(b.expiry)));
}

// A BackupArn that is no backup's ARN at all (a table's, not an ARN) is "Invalid Backup ARN", one
// of another partition or service "Invalid Request: BackupArn is not valid" (DynamoDB's answers
// recorded in 2026: ack-api-quirks dynamodb DDB-BACKUP-012, DDB-TABLE-273).
void CheckBackupArn(std::string_view arn) {
  size_t table = arn.find(":table/");
  size_t backup = arn.rfind("/backup/");
  if (!arn.starts_with("arn:") || table == std::string_view::npos ||
      backup == std::string_view::npos || backup < table) {
    throw ApiError::Validation("Invalid Backup ARN");
  }
  if (!arn.starts_with("arn:aws:dynamodb:")) {
    throw ApiError::Validation("Invalid Request: BackupArn is not valid");
  }
}

// The ARN a backup is kept under here, of the BackupArn `arn` names: DynamoDB finds a backup by
// its account, table and id, whatever region the ARN says, and another account's is
// AccessDeniedException (recorded in 2026: ack-api-quirks dynamodb DDB-BACKUP-012).
std::string LocalBackupArn(std::string_view arn, const EngineOptions& options) {
  CheckBackupArn(arn);
  if (ScopeOfArn(arn).account != options.account_id) {
    throw ApiError::AccessDenied("Access is denied");
  }
  return WithArnRegion(arn, options.region);
}

// The TableDescription of `schema`, parsed, to copy its members into a backup's description.
JsonDocument DescriptionOf(const TableSchema& schema, const EngineOptions& options) {
  JsonBuffer buf;
  JsonWriter w(buf);
  WriteTableDescription(w, schema, "ACTIVE", {}, options.region, options.account_id);
  JsonDocument d;
  d.Parse(buf.GetString(), buf.GetSize());
  return d;
}

void CopyMember(JsonWriter& w, const JsonValue& from, std::string_view name,
                std::string_view as = {}) {
  if (const JsonValue* v = MemberValue(from, name)) {
    WriteKey(w, as.empty() ? name : as);
    v->Accept(w);
  }
}

// The backup's own members of BackupDetails and BackupSummary.
void WriteBackupMembers(JsonWriter& w, const Backup& b, std::string_view status) {
  WriteStringMember(w, "BackupArn", b.arn);
  WriteStringMember(w, "BackupName", b.name);
  WriteKey(w, "BackupCreationDateTime");
  w.Double(b.created);
  if (b.expiry > 0) {
    WriteKey(w, "BackupExpiryDateTime");
    w.Double(b.expiry);
  }
  WriteStringMember(w, "BackupStatus", status);
  WriteStringMember(w, "BackupType", b.type);
  WriteKey(w, "BackupSizeBytes");
  w.Int64(b.bytes);
}

void WriteBackupDetails(JsonWriter& w, const Backup& b, std::string_view status) {
  w.StartObject();
  WriteBackupMembers(w, b, status);
  w.EndObject();
}

// {"BackupDetails", "SourceTableDetails", "SourceTableFeatureDetails"} of DescribeBackup and
// DeleteBackup.
void WriteBackupDescription(JsonWriter& w, const Backup& b, std::string_view status,
                            const EngineOptions& options) {
  TableSchema source = DeserializeSchema(b.schema);
  JsonDocument d = DescriptionOf(source, options);
  w.StartObject();
  WriteKey(w, "BackupDetails");
  WriteBackupDetails(w, b, status);
  WriteKey(w, "SourceTableDetails");
  w.StartObject();
  CopyMember(w, d, "TableName");
  CopyMember(w, d, "TableId");
  CopyMember(w, d, "TableArn");
  WriteKey(w, "TableSizeBytes");
  w.Int64(b.bytes);
  CopyMember(w, d, "KeySchema");
  CopyMember(w, d, "CreationDateTime", "TableCreationDateTime");
  WriteKey(w, "ProvisionedThroughput");
  w.StartObject();
  WriteKey(w, "ReadCapacityUnits");
  w.Int64(source.throughput.read_capacity_units);
  WriteKey(w, "WriteCapacityUnits");
  w.Int64(source.throughput.write_capacity_units);
  w.EndObject();
  CopyMember(w, d, "OnDemandThroughput");
  WriteKey(w, "ItemCount");
  w.Int64(b.items);
  WriteStringMember(w, "BillingMode", source.pay_per_request ? "PAY_PER_REQUEST" : "PROVISIONED");
  w.EndObject();
  WriteKey(w, "SourceTableFeatureDetails");
  w.StartObject();
  for (std::string_view list : {"LocalSecondaryIndexes", "GlobalSecondaryIndexes"}) {
    const JsonValue* indexes = MemberValue(d, list);
    if (!indexes) continue;
    WriteKey(w, list);
    w.StartArray();
    for (const auto& ix : indexes->GetArray()) {
      w.StartObject();
      CopyMember(w, ix, "IndexName");
      CopyMember(w, ix, "KeySchema");
      CopyMember(w, ix, "Projection");
      CopyMember(w, ix, "ProvisionedThroughput");
      CopyMember(w, ix, "OnDemandThroughput");
      w.EndObject();
    }
    w.EndArray();
  }
  CopyMember(w, d, "StreamSpecification", "StreamDescription");
  if (!source.ttl_attribute.empty()) {
    WriteKey(w, "TimeToLiveDescription");
    w.StartObject();
    WriteStringMember(w, "TimeToLiveStatus", "ENABLED");
    WriteStringMember(w, "AttributeName", source.ttl_attribute);
    w.EndObject();
  }
  CopyMember(w, d, "SSEDescription");
  w.EndObject();
  w.EndObject();
}

void WriteBackupSummary(JsonWriter& w, const Backup& b, double now, const EngineOptions& options) {
  TableSchema source = DeserializeSchema(b.schema);
  w.StartObject();
  WriteStringMember(w, "TableName", source.name);
  WriteStringMember(w, "TableId", source.table_id);
  WriteStringMember(w, "TableArn", source.Arn(options.region, options.account_id));
  WriteBackupMembers(w, b, BackupStatusAt(b, now));
  w.EndObject();
}

std::optional<double> TimeParam(const Request& req, std::string_view name) {
  const JsonValue* v = req.Get(name);
  if (!v || !v->IsNumber()) return std::nullopt;
  return v->GetDouble();
}

// Whether an index override entry describes `ix`: the same KeySchema (names and key types, in
// order) and Projection (type and NonKeyAttributes, in any order).
bool OverrideMatches(const JsonValue& entry, const IndexSchema& ix) {
  std::vector<std::pair<std::string, std::string>> keys, wanted;
  for (const auto& a : ix.key.HashAttributes()) keys.emplace_back(a.name, "HASH");
  for (const auto& a : ix.key.RangeAttributes()) keys.emplace_back(a.name, "RANGE");
  if (const JsonValue* list = Request::ArrayOf(entry, "KeySchema")) {
    for (const auto& e : list->GetArray()) {
      wanted.emplace_back(Request::StringOf(e, "AttributeName").value_or(""),
                          Request::StringOf(e, "KeyType").value_or(""));
    }
  }
  IndexSchema projected;
  if (const JsonValue* p = Request::ObjectOf(entry, "Projection")) ApplyProjection(*p, projected);
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  return keys == wanted && projected.projection == ix.projection &&
         sorted(projected.non_key_attributes) == sorted(ix.non_key_attributes);
}

// The throughput of a GSI override entry `name` on a restored table that is `pay_per_request`
// (`billing`: BillingModeOverride, if given), in DynamoDB's words (recorded in 2026:
// ack-api-quirks dynamodb DDB-TABLE-280; the refusal without a BillingModeOverride is not
// recorded: worded as the table's).
ProvisionedThroughput OverrideThroughput(const JsonValue& entry, std::string_view name,
                                         bool pay_per_request,
                                         std::optional<std::string_view> billing) {
  const JsonValue* pt = Request::ObjectOf(entry, "ProvisionedThroughput");
  if (pay_per_request && pt) {
    throw ApiError::Validation(
        fmt::format("Invalid Request: Cannot override ProvisionedThroughput {} for index {}",
                    billing ? "if BillingMode is overridden to PAY_PER_REQUEST"
                            : "unless BillingMode is PROVISIONED",
                    name));
  }
  if (pay_per_request) return {};
  if (!pt) {
    throw ApiError::Validation(
        fmt::format("Invalid Request: Must specify provisioned throughput for index {}", name));
  }
  ConstraintErrors errors;
  ProvisionedThroughput throughput = ParseThroughput(*pt, "provisionedThroughput", errors);
  errors.ThrowIfAny();
  return throughput;
}

// The indexes of one kind (`global`) an override list keeps of the source's: each entry names
// an index of the source by its KeySchema and Projection, and may rename it (DynamoDB's rules,
// recorded in 2026: ack-api-quirks dynamodb DDB-TABLE-273, DDB-TABLE-280). A source index of the
// entry's name is taken first, when it matches.
void KeepIndexes(const JsonValue* list, bool global, const TableSchema& source,
                 bool pay_per_request, std::optional<std::string_view> billing, TableSchema& out) {
  if (!list) return;
  std::erase_if(out.indexes, [&](const IndexSchema& ix) { return ix.global == global; });
  std::set<std::string> taken;
  for (const auto& entry : list->GetArray()) {
    std::string name(Request::StringOf(entry, "IndexName").value_or(""));
    const IndexSchema* found = nullptr;
    for (const auto& ix : source.indexes) {
      if (ix.global != global || taken.contains(ix.name) || !OverrideMatches(entry, ix)) continue;
      if (!found || ix.name == name) found = &ix;
    }
    if (!found) {
      throw ApiError::Validation(
          fmt::format("Invalid Request: Index {} does not match a secondary index that existed in "
                      "the source table and cannot be created during the restore operation",
                      name));
    }
    taken.insert(found->name);
    IndexSchema kept = *found;
    kept.name = name;
    if (global) kept.throughput = OverrideThroughput(entry, name, pay_per_request, billing);
    out.indexes.push_back(std::move(kept));
  }
}

}  // namespace

ApiError TableNotFoundError(std::string_view table) {
  return {400, "TableNotFoundException", fmt::format("Table not found: {}", table)};
}

ApiError TableAlreadyExistsError(std::string_view table) {
  return {400, "TableAlreadyExistsException", fmt::format("Table already exists: {}", table)};
}

std::shared_ptr<TableSchema> RestoredSchema(const Request& req, const TableSchema& source,
                                            std::string_view target, const EngineOptions& options) {
  auto s = std::make_shared<TableSchema>();
  s->name = std::string(target);
  s->key = source.key;
  s->attribute_definitions = source.attribute_definitions;
  s->indexes = source.indexes;
  s->last_index_id = source.last_index_id;
  s->pay_per_request = source.pay_per_request;
  s->throughput = source.throughput;
  s->on_demand = source.on_demand;
  s->warm = source.warm;
  // The table class is not restored: the restored table is STANDARD (ack-api-quirks dynamodb
  // DDB-TABLE-215).
  s->sse_kms_key_arn = source.sse_kms_key_arn;
  // Contributor insights are not restored, as a table's CloudWatch settings are not.
  for (auto& ix : s->indexes) {
    ix.status = "ACTIVE";
    ix.status_until = 0;
    ix.backfill_at = 0;
    ix.insights = {};
  }
  ConstraintErrors errors;
  auto billing = req.String("BillingModeOverride");
  if (billing) {
    errors.CheckEnum("billingModeOverride", *billing, {"PROVISIONED", "PAY_PER_REQUEST"});
    errors.ThrowIfAny();
    s->pay_per_request = *billing == "PAY_PER_REQUEST";
  }
  KeepIndexes(req.Array("GlobalSecondaryIndexOverride"), true, source, s->pay_per_request, billing,
              *s);
  KeepIndexes(req.Array("LocalSecondaryIndexOverride"), false, source, s->pay_per_request, billing,
              *s);
  const JsonValue* pt = req.Object("ProvisionedThroughputOverride");
  if (pt) s->throughput = ParseThroughput(*pt, "provisionedThroughputOverride", errors);
  errors.ThrowIfAny();
  // The throughput override goes with a PROVISIONED table, and BillingModeOverride PROVISIONED
  // with it, in DynamoDB's words (recorded in 2026: ack-api-quirks dynamodb DDB-TABLE-273).
  if (pt && s->pay_per_request) {
    throw ApiError::Validation(
        billing ? "Invalid Request: Cannot override ProvisionedThroughput if BillingMode is "
                  "overridden to PAY_PER_REQUEST"
                : "Invalid Request: Cannot override ProvisionedThroughput unless BillingMode is "
                  "PROVISIONED");
  }
  if (billing == "PROVISIONED" && !pt) {
    throw ApiError::Validation(
        "Invalid Request: Must override ProvisionedThroughput if BillingMode is overridden to "
        "PROVISIONED");
  }
  // OnDemandThroughputOverride: the maxima it gives replace the source's, for an on-demand table
  // only (DynamoDB's answers recorded in 2026: ack-api-quirks dynamodb DDB-TABLE-273, -280, -281,
  // -405).
  if (const JsonValue* odt = req.Object("OnDemandThroughputOverride")) {
    const std::optional<int64_t> read = Request::IntOf(*odt, "MaxReadRequestUnits");
    const std::optional<int64_t> write = Request::IntOf(*odt, "MaxWriteRequestUnits");
    if ((read || write) && !s->pay_per_request) {
      throw ApiError::Validation(
          "Invalid Request: Cannot override MaxReadRequestUnits for OnDemandThroughput unless "
          "BillingModeOverride is PAY_PER_REQUEST");
    }
    for (const auto& [value, member] :
         {std::pair{read, "MaxReadRequestUnits"}, std::pair{write, "MaxWriteRequestUnits"}}) {
      if (value && *value < 1) {
        throw ApiError::Validation(fmt::format(
            "Invalid Request: Requested {} for OnDemandThroughput is outside of valid range",
            member));
      }
    }
    if (read) s->on_demand.max_read = read;
    if (write) s->on_demand.max_write = write;
  }
  if (s->pay_per_request) {
    s->throughput = {};
    for (auto& ix : s->indexes) ix.throughput = {};
  } else {
    s->on_demand = {};
    for (auto& ix : s->indexes) {
      if (ix.global && ix.throughput.read_capacity_units == 0) ix.throughput = s->throughput;
    }
  }
  if (const JsonValue* sse = req.Object("SSESpecificationOverride")) {
    s->sse_kms_key_arn = ParseSse(*sse, options.region, options.account_id).value_or(std::string());
  }
  return s;
}

// --- machinery ---

void EngineImpl::SaveBackup(const Backup& b) {
  storage::WriteBatch batch;
  batch.Put(BackupKey(b.arn), SerializeBackup(b));
  storage_->Write(batch);
}

uint32_t EngineImpl::NewSnapshotId() {
  MutexLock lock(backup_mu_);
  uint32_t id = next_snapshot_id_++;
  storage::WriteBatch batch;
  batch.Put(NextSnapshotKey(), std::to_string(next_snapshot_id_));
  storage_->Write(batch);
  return id;
}

std::pair<int64_t, int64_t> EngineImpl::CopyRange(storage::Iterator& it, const std::string& prefix,
                                                  const std::string& to) {
  int64_t items = 0, bytes = 0;
  storage::WriteBatch batch;
  std::string key;
  for (it.Seek(prefix); it.Valid() && it.key().starts_with(prefix); it.Next()) {
    key = to;
    key.append(it.key().substr(prefix.size()));
    batch.Put(key, it.value());
    size_t size = 0;
    if (EncodedItemSize(it.value(), &size)) bytes += static_cast<int64_t>(size);
    ++items;
    if (batch.size() >= kBatchOps) {
      ThrowIfStopping();
      storage_->Write(batch);
      batch = storage::WriteBatch();
    }
  }
  if (!batch.empty()) storage_->Write(batch);
  return {items, bytes};
}

void EngineImpl::ThrowIfStopping() const {
  if (backup_stopping_) throw std::runtime_error("the server stopped");
}

void EngineImpl::Workers::Start(std::function<void()> job) {
  std::erase_if(threads, [](Worker& w) {
    if (!*w.done) return false;
    w.thread.join();
    return true;
  });
  auto done = std::make_shared<std::atomic<bool>>(false);
  threads.push_back({std::thread([job = std::move(job), done] {
                       // A job handles its own failures; one it did not foresee (its cleanup
                       // failing too, on a full disk) must not end the process.
                       try {
                         job();
                       } catch (const std::exception& e) {
                         log::Error("engine", "a background job failed", {{"reason", e.what()}});
                       }
                       *done = true;
                     }),
                     done});
}

void EngineImpl::StartBackupWork(std::function<void()> work) {
  MutexLock lock(backup_work_mu_);
  // A thread started after StopBackupWork would never be joined.
  if (backup_stopping_) throw ApiError::InternalServer("the server is stopping");
  backup_work_.Start(std::move(work));
}

void EngineImpl::StopBackupWork() {
  std::vector<Workers::Worker> workers;
  {
    MutexLock lock(backup_work_mu_);
    backup_stopping_ = true;
    workers.swap(backup_work_.threads);
  }
  for (auto& w : workers) w.thread.join();
}

void EngineImpl::DeleteRange(const std::string& prefix) {
  auto it = storage_->NewIterator();
  storage::WriteBatch batch;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    batch.Delete(it->key());
    if (batch.size() >= kBatchOps) {
      storage_->Write(batch);
      batch = storage::WriteBatch();
    }
  }
  if (!batch.empty()) storage_->Write(batch);
}

Backup EngineImpl::TakeBackup(const std::shared_ptr<Table>& table, std::string name,
                              std::string type) {
  std::shared_ptr<storage::Iterator> it;
  Backup b = StartBackup(table, std::move(name), std::move(type), it);
  return FinishBackup(std::move(b), table->schema()->id, *it);
}

Backup EngineImpl::StartBackup(const std::shared_ptr<Table>& table, std::string name,
                               std::string type, std::shared_ptr<storage::Iterator>& snapshot) {
  auto schema = table->schema();
  Backup b;
  b.name = std::move(name);
  b.type = std::move(type);
  b.snapshot = NewSnapshotId();
  // The snapshot point: every commit before it is in the backup, none after.
  snapshot = storage_->NewIterator();
  // A later backup has a later time (ListBackups' order, and the ARN's).
  static std::atomic<int64_t> last_ms{0};
  auto ms = static_cast<int64_t>(EpochSeconds() * 1000);
  int64_t last = last_ms.load(), next = 0;
  do {
    next = std::max(ms, last + 1);
  } while (!last_ms.compare_exchange_weak(last, next));
  ms = next;
  b.created = static_cast<double>(ms) / 1000;
  // A SYSTEM backup's id ends in zeros (DynamoDB's, recorded in 2026: ack-api-quirks dynamodb
  // DDB-BACKUP-015); the milliseconds above keep it unique.
  const uint32_t suffix = b.type == "SYSTEM" ? 0 : static_cast<uint32_t>(ThreadRandom()());
  b.arn = fmt::format("{}/backup/{:014d}-{:08x}", schema->Arn(options_.region, options_.account_id),
                      ms, suffix);
  b.status = "CREATING";
  b.schema = SerializeSchema(*schema);
  SaveBackup(b);  // a crash before AVAILABLE: LoadBackups drops it
  MutexLock lock(backup_mu_);
  backups_[b.arn] = b;
  return b;
}

Backup EngineImpl::FinishBackup(Backup b, uint32_t table_id, storage::Iterator& snapshot) {
  std::tie(b.items, b.bytes) =
      CopyRange(snapshot, keyspace::IndexPrefix(table_id, 0), keyspace::SnapshotPrefix(b.snapshot));
  b.status = "AVAILABLE";
  b.available_at = TransientUntil(b.created);
  SaveBackup(b);
  MutexLock lock(backup_mu_);
  backups_[b.arn] = b;
  return b;
}

void EngineImpl::BackUpDeletedTable(const std::shared_ptr<Table>& table) {
  // DynamoDB keeps a deleted table with point-in-time recovery as a SYSTEM backup for 35 days.
  Backup b = TakeBackup(table, table->schema()->name + "$DeletedTableBackup", "SYSTEM");
  b.expiry = b.created + kSystemBackupSeconds;
  SaveBackup(b);
  {
    MutexLock lock(backup_mu_);
    backups_[b.arn] = b;
  }
  // Its recovery base and log stay for its recovery period, for RestoreTableToPointInTime to any
  // time before the deletion (TrimRecoveryLogs drops them once the period has passed it).
  table->set_point_in_time_recovery(false);
  // Every commit that logged before the flag was cleared has written once each stripe was free.
  for (size_t s = 0; s < KeyLocks::kStripes; ++s) locks_.Lock({s});
  MutexLock lock(recovery_mu_);
  auto found = recovery_.find(table->schema()->id);
  if (found == recovery_.end()) return;
  found->second.deleted_ms = static_cast<int64_t>(std::floor(EpochSeconds() * 1000));
  found->second.schema = SerializeSchema(*table->schema());
  SaveRecoveryState(table->schema()->id, found->second);
}

std::vector<TableStats> EngineImpl::BuildIndexes(const TableSchema& schema) {
  std::vector<TableStats> stats(256);
  const std::string prefix = keyspace::IndexPrefix(schema.id, 0);
  auto it = storage_->NewIterator();
  storage::WriteBatch batch;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    Item item;
    if (!DecodeItem(it->value(), &item)) throw ApiError::InternalServer("corrupt item in backup");
    stats[0].item_count++;
    stats[0].size_bytes += static_cast<int64_t>(ItemSize(item));
    for (const auto& index : schema.indexes) {
      auto key = IndexStorageKey(schema, index, item);
      if (!key) continue;
      Item projected = ProjectIntoIndex(schema, index, item);
      stats[index.id].item_count++;
      stats[index.id].size_bytes += static_cast<int64_t>(ItemSize(projected));
      batch.Put(*key, EncodeItem(projected));
    }
    if (batch.size() >= kBatchOps) {
      storage_->Write(batch);
      batch = storage::WriteBatch();
    }
  }
  if (!batch.empty()) storage_->Write(batch);
  return stats;
}

std::shared_ptr<const TableSchema> EngineImpl::RestoreTable(
    const std::shared_ptr<TableSchema>& schema, std::function<void(const std::string&)> fill) {
  std::shared_ptr<Table> table;
  {
    MutexLock lock(catalog_mu_);
    if (FindTable(schema->name)) {
      if (auto into = RestoringInto(schema->name); into && !into->empty()) {
        throw TargetBeingRestored(schema->name, *into);
      }
      throw TableAlreadyExistsError(schema->name);
    }
    schema->id = next_table_id_++;
    schema->table_id = NewUuid();
    schema->creation_time = Now();
    if (schema->pay_per_request) schema->pay_per_request_since = schema->creation_time;
    // Listed as CREATING (so the name is taken and reads and writes refused) but not in the
    // stored catalog until its items are in: a crash meanwhile leaves no half table
    // (LoadBackups drops the data of tables the catalog does not list).
    schema->transient_status = "CREATING";
    schema->transient_until = kRestoringUntil;
    storage::WriteBatch batch;
    batch.Put(std::string(1, keyspace::kMeta) + "next_table_id", std::to_string(next_table_id_));
    storage_->Write(batch);
    table = std::make_shared<Table>(schema);
    table->SetStats({});  // known (empty) until the restore counts them: nothing scans it
    WriterLock tl(tables_mu_);
    tables_[schema->name] = table;
  }
  StartBackupWork([this, table, fill = std::move(fill)] { FinishRestore(table, fill); });
  return schema;
}

void EngineImpl::FinishRestore(const std::shared_ptr<Table>& table,
                               const std::function<void(const std::string&)>& fill) {
  auto schema = table->schema();
  try {
    fill(keyspace::IndexPrefix(schema->id, 0));
    std::vector<TableStats> stats = BuildIndexes(*schema);
    auto done = std::make_shared<TableSchema>(*schema);
    done->transient_status.clear();
    done->transient_until = 0;
    if (DelaysTransientStatuses()) {
      done->transient_status = "CREATING";
      done->transient_until = TransientUntil(Now());
    }
    MutexLock lock(catalog_mu_);
    SaveSchema(*done);
    table->SetStats(std::move(stats));
    table->set_schema(done);
  } catch (const std::exception& e) {
    if (backup_stopping_) return;  // the next start drops what is not in the catalog
    fmt::print(stderr, "cruddur: restoring table {} failed: {}\n", schema->name, e.what());
    {
      WriterLock tl(tables_mu_);
      tables_.erase(schema->name);
    }
    try {
      DeleteTableData(schema->id);
    } catch (const std::exception& cleanup) {
      // Not in the stored catalog: the next start drops its data.
      fmt::print(stderr, "cruddur: dropping restored table {}'s data failed: {}\n", schema->name,
                 cleanup.what());
    }
  }
}

bool EngineImpl::RestoringFrom(const std::string& arn) {
  double now = Now();
  ReaderLock lock(tables_mu_);
  for (const auto& [_, table] : tables_) {
    auto schema = table->schema();
    if (schema->restore && schema->restore->source_backup_arn == arn &&
        schema->StatusAt(now) == "CREATING") {
      return true;
    }
  }
  return false;
}

void EngineImpl::LoadBackups() {
  std::vector<Backup> unfinished;
  {
    MutexLock lock(backup_mu_);
    if (auto v = storage_->Get(NextSnapshotKey())) {
      next_snapshot_id_ = static_cast<uint32_t>(std::stoul(*v));
    }
    auto it = storage_->NewIterator();
    const std::string prefix(1, keyspace::kBackup);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      auto b = DeserializeBackup(it->value());
      if (!b) continue;
      if (b->status == "AVAILABLE") {
        backups_[b->arn] = *b;
      } else {
        unfinished.push_back(*b);
      }
    }
  }
  for (const auto& b : unfinished) {
    storage::WriteBatch batch;
    batch.Delete(BackupKey(b.arn));
    storage_->Write(batch);
  }
  LoadRecovery();
  // Drop what no record names: snapshots, recovery logs, table data.
  std::set<uint32_t> snapshots, logged, tables;
  {
    MutexLock lock(backup_mu_);
    for (const auto& [_, b] : backups_) snapshots.insert(b.snapshot);
  }
  {
    MutexLock lock(recovery_mu_);
    for (const auto& [id, state] : recovery_) {
      snapshots.insert(state.base);
      logged.insert(id);
    }
  }
  {
    ReaderLock lock(tables_mu_);
    for (const auto& [_, t] : tables_) tables.insert(t->schema()->id);
  }
  DropUnreferenced(keyspace::kSnapshot, snapshots);
  DropUnreferenced(keyspace::kRecoveryLog, logged);
  DropUnreferenced(keyspace::kData, tables);
}

void EngineImpl::DropUnreferenced(char space, const std::set<uint32_t>& keep) {
  std::vector<uint32_t> orphans;
  {
    auto it = storage_->NewIterator();
    std::string at(1, space);
    for (it->Seek(at); it->Valid() && it->key().size() >= 5 && it->key()[0] == space;) {
      uint32_t id = IdOfKey(it->key());
      if (!keep.contains(id)) orphans.push_back(id);
      if (id == UINT32_MAX) break;
      at.resize(1);
      AppendUint32(at, id + 1);
      it->Seek(at);
    }
  }
  for (uint32_t id : orphans) {
    std::string prefix(1, space);
    AppendUint32(prefix, id);
    DeleteRange(prefix);
  }
}

// --- operations ---

void EngineImpl::CreateBackup(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  std::string_view name = TableNameParam(req, errors);
  auto backup_name = req.String("BackupName");
  errors.ThrowIfAny();
  auto table = FindTable(name);
  if (!table) throw TableNotFoundError(ResolveTableName(name));
  // DynamoDB does not know a table still being created here; it backs up an UPDATING or
  // DELETING one (recorded in 2026: ack-api-quirks dynamodb DDB-BACKUP-001).
  auto schema = table->schema();
  if (schema->StatusAt(Now()) == "CREATING") throw TableNotFoundError(ResolveTableName(name));
  std::shared_ptr<storage::Iterator> snapshot;
  Backup b = StartBackup(table, std::string(backup_name.value_or("")), "USER", snapshot);
  w.StartObject();
  WriteKey(w, "BackupDetails");
  // As DynamoDB answers CreateBackup, while the backup is being made.
  WriteBackupDetails(w, b, "CREATING");
  w.EndObject();
  StartBackupWork([this, b, snapshot, id = schema->id] {
    try {
      FinishBackup(b, id, *snapshot);
    } catch (const std::exception& e) {
      // Left CREATING: the next start drops it. A failure while running is said and dropped.
      if (backup_stopping_) return;
      fmt::print(stderr, "cruddur: backup {} failed: {}\n", b.arn, e.what());
      {
        MutexLock lock(backup_mu_);
        backups_.erase(b.arn);
      }
      try {
        storage::WriteBatch batch;
        batch.Delete(BackupKey(b.arn));
        storage_->Write(batch);
        DeleteRange(keyspace::SnapshotPrefix(b.snapshot));
      } catch (const std::exception& cleanup) {
        // What the same failure (a full disk) leaves, still CREATING, the next start drops.
        fmt::print(stderr, "cruddur: dropping backup {} failed: {}\n", b.arn, cleanup.what());
      }
    }
  });
}

void EngineImpl::DescribeBackup(const Request& req, JsonWriter& w) {
  std::string arn(req.String("BackupArn").value_or(""));
  std::string key = LocalBackupArn(arn, options_);
  std::optional<Backup> b;
  {
    MutexLock lock(backup_mu_);
    if (auto it = backups_.find(key); it != backups_.end()) b = it->second;
  }
  if (!b) throw BackupNotFound(arn);
  double now = EpochSeconds();
  b->arn = arn;  // DynamoDB echoes the ARN as given (DDB-BACKUP-012)
  w.StartObject();
  WriteKey(w, "BackupDescription");
  WriteBackupDescription(w, *b, BackupStatusAt(*b, now), options_);
  w.EndObject();
}

void EngineImpl::ListBackups(const Request& req, JsonWriter& w) {
  std::optional<std::string> table_name;
  if (auto t = req.String("TableName")) table_name = std::string(ResolveTableName(*t));
  auto lower = TimeParam(req, "TimeRangeLowerBound");
  auto upper = TimeParam(req, "TimeRangeUpperBound");
  if (lower && upper && *lower > *upper) {
    // DynamoDB's words (recorded in 2026: ack-api-quirks dynamodb DDB-BACKUP-014).
    throw ApiError::Validation(fmt::format(
        "{}Time range lower bound must be less than or equal to upper bound", kInvalid));
  }
  std::string type(req.String("BackupType").value_or("USER"));
  size_t limit = static_cast<size_t>(req.Int("Limit").value_or(100));
  std::optional<std::pair<int64_t, std::string>> start;
  if (auto s = req.String("ExclusiveStartBackupArn")) {
    // DynamoDB's words (recorded in 2026: ack-api-quirks dynamodb DDB-BACKUP-012, DDB-TABLE-442).
    if (ScopeOfArn(*s).region != options_.region) {
      throw ApiError::Validation(
          "Invalid Request: The supplied ExclusiveStartBackupArn does not match the region");
    }
    start.emplace(BackupArnMillis(*s), std::string(*s));
  }
  // Oldest first; a page starts after ExclusiveStartBackupArn's place in that order.
  std::vector<std::pair<std::pair<int64_t, std::string>, Backup>> matching;
  {
    MutexLock lock(backup_mu_);
    for (const auto& [arn, b] : backups_) {
      if (type != "ALL" && b.type != type) continue;
      // TimeRangeLowerBound is inclusive, TimeRangeUpperBound exclusive (API reference).
      if ((lower && b.created < *lower) || (upper && b.created >= *upper)) continue;
      if (table_name &&
          !arn.starts_with(fmt::format("arn:aws:dynamodb:{}:{}:table/{}/backup/", options_.region,
                                       options_.account_id, *table_name))) {
        continue;
      }
      std::pair<int64_t, std::string> order{BackupArnMillis(arn), arn};
      if (start && order <= *start) continue;
      matching.emplace_back(std::move(order), b);
    }
  }
  std::sort(matching.begin(), matching.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  double now = EpochSeconds();
  w.StartObject();
  WriteKey(w, "BackupSummaries");
  w.StartArray();
  for (size_t i = 0; i < matching.size() && i < limit; ++i) {
    WriteBackupSummary(w, matching[i].second, now, options_);
  }
  w.EndArray();
  if (matching.size() > limit) {
    WriteStringMember(w, "LastEvaluatedBackupArn", matching[limit - 1].second.arn);
  }
  w.EndObject();
}

void EngineImpl::DeleteBackup(const Request& req, JsonWriter& w) {
  std::string arn(req.String("BackupArn").value_or(""));
  std::string key = LocalBackupArn(arn, options_);
  std::optional<Backup> b;
  const bool restoring = RestoringFrom(key);  // before backup_mu_: it takes tables_mu_
  {
    MutexLock lock(backup_mu_);
    if (auto it = backups_.find(key); it != backups_.end()) {
      if (it->second.type == "SYSTEM") throw SystemBackupNotDeletable(it->second);
      if (BackupStatusAt(it->second, EpochSeconds()) != "AVAILABLE") throw BackupInUse(arn);
      if (restoring) throw BackupRestoring(arn, "Backup is being used to restore table");
      b = it->second;
      backups_.erase(it);
    }
  }
  if (!b) throw BackupNotFound(arn);
  storage::WriteBatch batch;
  batch.Delete(BackupKey(key));
  storage_->Write(batch);
  DeleteRange(keyspace::SnapshotPrefix(b->snapshot));
  b->arn = arn;
  w.StartObject();
  WriteKey(w, "BackupDescription");
  WriteBackupDescription(w, *b, "DELETED", options_);
  w.EndObject();
}

void EngineImpl::RestoreTableFromBackup(const Request& req, JsonWriter& w) {
  std::string target(req.String("TargetTableName").value_or(""));
  std::string arn(req.String("BackupArn").value_or(""));
  // Another region's backup is a cross-region restore, which DynamoDB does only with an
  // SSESpecificationOverride (recorded in 2026: ack-api-quirks dynamodb DDB-TABLE-274); cruddur
  // has one region, which does not hold that backup.
  if (LocalBackupArn(arn, options_) != arn) {
    if (!req.Object("SSESpecificationOverride")) {
      throw ApiError::Validation(
          "Invalid Request: sseSpecificationOverride must be provided for cross-region restores");
    }
    throw BackupNotFound(arn);
  }
  if (auto into = RestoringInto(target); into && !into->empty()) {
    throw TargetBeingRestored(target, *into);
  }
  std::optional<Backup> b;
  std::shared_ptr<storage::Iterator> snapshot;
  const bool restoring = RestoringFrom(arn);  // before backup_mu_: it takes tables_mu_
  {
    MutexLock lock(backup_mu_);
    if (auto it = backups_.find(arn); it != backups_.end()) b = it->second;
    if (b && BackupStatusAt(*b, EpochSeconds()) != "AVAILABLE") throw BackupInUse(arn);
    if (b && restoring) {
      throw BackupRestoring(arn, "Backup is being used to restore another table");
    }
    // Taken before DeleteBackup can drop the backup's items (under backup_mu_).
    if (b) snapshot = storage_->NewIterator();
  }
  if (!b) throw BackupNotFound(arn);
  TableSchema source = DeserializeSchema(b->schema);
  auto schema = RestoredSchema(req, source, target, options_);
  schema->restore =
      RestoreSummary{b->arn, source.Arn(options_.region, options_.account_id), b->created};
  const std::string from = keyspace::SnapshotPrefix(b->snapshot);
  auto restored = RestoreTable(schema, [this, snapshot, from](const std::string& prefix) {
    CopyRange(*snapshot, from, prefix);
  });
  w.StartObject();
  WriteKey(w, "TableDescription");
  WriteTableDescription(w, *restored, "CREATING", {}, options_.region, options_.account_id);
  w.EndObject();
}

}  // namespace cruddur::ddb
