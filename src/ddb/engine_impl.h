// The engine's implementation, shared by the operation files (ops/*.cc, streams.cc, ttl.cc).
// Private to src/ddb.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/thread_annotations.h"
#include "ddb/capacity.h"
#include "ddb/engine.h"
#include "ddb/error.h"
#include "ddb/expression/expression.h"
#include "ddb/json.h"
#include "ddb/request.h"
#include "ddb/storage/storage.h"
#include "ddb/streams.h"
#include "ddb/table.h"
#include "ddb/value.h"
#include "ddb/value_json.h"

namespace cruddur::ddb {

// Per-key locks for read-modify-write operations: the storage key hashes to one of a fixed set
// of mutexes. Several keys are always locked in stripe order, so transactions cannot deadlock.
// 1024 stripes: a few workers rarely meet on one, and 4096 cost 120 KB more of every idle
// server's RSS (the mutexes are written when the engine is built; issue 21).
class KeyLocks {
 public:
  static constexpr size_t kStripes = 1024;
  size_t Stripe(std::string_view storage_key) const;

  class Guard {
   public:
    Guard(KeyLocks* locks, std::vector<size_t> stripes);
    Guard(Guard&&) = default;
    ~Guard();

   private:
    KeyLocks* locks_;
    std::vector<size_t> stripes_;
  };
  Guard Lock(std::vector<size_t> stripes);
  Guard LockKey(std::string_view storage_key) { return Lock({Stripe(storage_key)}); }

 private:
  std::array<std::mutex, kStripes> mutexes_;
};

// The items of the TransactWriteItems in flight. As on DynamoDB, a transaction or a single-item
// write that meets one of them is refused (TransactionConflict) rather than made to wait. And
// those of the TransactGetItems in flight (Read), which any write meeting them cancels.
class PendingTransactions {
 public:
  // Registers the storage keys of a transaction unless one is already pending; returns the
  // indexes of the keys that are (nothing registered then). The keys are kept as views: their
  // text must outlive the registration (until Release).
  std::vector<size_t> Register(const std::vector<std::string_view>& keys);
  void Release(const std::vector<std::string_view>& keys);
  bool IsPending(std::string_view key);

  // The items of a TransactGetItems in flight, registered for its scope. A write that meets
  // one (NoteWrite) cancels the read, not itself: AWS, "Transaction conflict handling": "An item
  // within a TransactGetItems request is part of an ongoing TransactWriteItems, BatchWriteItem,
  // PutItem, UpdateItem, or DeleteItem request".
  class Read {
   public:
    Read(PendingTransactions* pending, std::vector<std::string_view> keys);
    Read(const Read&) = delete;
    Read& operator=(const Read&) = delete;
    ~Read();
    // The indexes of the keys written since the read was registered.
    std::vector<size_t> Conflicts();

   private:
    friend class PendingTransactions;
    PendingTransactions* pending_;
    std::vector<std::string_view> keys_;
    std::vector<bool> written_;  // under pending_->mu_
  };
  // A write of `key` is under way: the reads in flight on it are cancelled.
  void NoteWrite(std::string_view key);

  // Registration for a scope: Release at the end.
  class Guard {
   public:
    Guard(PendingTransactions* pending, std::vector<std::string_view> keys)
        : pending_(pending), keys_(std::move(keys)) {}
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    ~Guard() { pending_->Release(keys_); }

   private:
    PendingTransactions* pending_;
    std::vector<std::string_view> keys_;
  };

 private:
  std::atomic<size_t> count_{0};  // keys registered: single writes skip the map while zero
  Mutex mu_;
  std::set<std::string_view> keys_ GUARDED_BY(mu_);  // the registered transactions' own text
  std::atomic<size_t> read_count_{0};  // keys of reads in flight: writes skip the map while zero
  std::multimap<std::string, std::pair<Read*, size_t>, std::less<>> reads_ GUARDED_BY(mu_);
};

// "Transaction is ongoing for the item": DynamoDB's message for a conflict, as a
// TransactionConflictException and as a CancellationReason.
inline constexpr std::string_view kTransactionConflictMessage =
    "Transaction is ongoing for the item";

enum class ReturnCapacity { kNone, kTotal, kIndexes };

// One item change: the item before (loaded under the key's lock) and after (nullopt: deleted).
struct ItemChange {
  std::shared_ptr<Table> table;
  std::shared_ptr<const TableSchema> schema;
  std::string storage_key;
  std::optional<Item> old_item;
  std::optional<Item> new_item;
  // Set instead of old_item when nothing needs the old item's attributes, only its ItemSize
  // (a PutItem/DeleteItem without condition, ReturnValues, index or stream): the stored bytes
  // are then measured, not decoded.
  std::optional<size_t> old_size;

  bool had_old() const { return old_item.has_value() || old_size.has_value(); }
  size_t OldSize() const { return old_size ? *old_size : (old_item ? ItemSize(*old_item) : 0); }
};

// Whether a write to the table needs the old item's attributes whatever the request asks: its
// index entries and stream records are made from them.
inline bool NeedsOldItem(const TableSchema& schema) {
  return !schema.indexes.empty() || schema.stream.enabled;
}

struct ExportJob;    // ops/export_ops.cc
struct AccessCheck;  // ops/access_ops.cc
namespace s3 {
class ExportWriter;  // ddb/s3_layout.h
}
struct ImportJob;
// One backup, as its record (0x06 <arn>) keeps it.
struct Backup {
  std::string arn, name, type;  // type: USER or SYSTEM
  std::string status;           // CREATING while its items are copied, then AVAILABLE
  double created = 0, expiry = 0, available_at = 0;  // epoch seconds; expiry 0: never
  uint32_t snapshot = 0;
  int64_t items = 0, bytes = 0;
  std::string schema;  // the source table's SerializeSchema
};
// The transient_until of a table being restored: CREATING (and out of the stored catalog) until
// its restore ends.
inline constexpr double kRestoringUntil = 1e18;
// A table's point-in-time recovery state (0x09 <table id>).
struct RecoveryState {
  int64_t period_days = 35;
  uint32_t base = 0;    // snapshot id of the base: the table as of base_ms
  int64_t base_ms = 0;  // every logged change at or before it is in the base
  int64_t enabled_ms = 0;
  // Of a deleted table, whose base and log are kept for its recovery period: when it was deleted
  // (epoch ms; 0 while it exists) and its SerializeSchema.
  int64_t deleted_ms = 0;
  std::string schema;
};
// A table's recovery base and log as one storage snapshot saw them, with its state then.
struct RecoveryView {
  RecoveryState state;
  std::shared_ptr<storage::Iterator> it;
};

// Who made a change: stream records of TTL deletions name the DynamoDB service as the user.
enum class ChangeOrigin { kUser, kTimeToLive };

class EngineImpl final : public Engine {
 public:
  EngineImpl(EngineOptions options, std::unique_ptr<storage::Storage> storage);
  ~EngineImpl() override;
  // Starts the TTL/stream-retention sweeper thread (when options().ttl_sweep_interval > 0).
  void StartBackground();
  std::string Execute(std::string_view operation, std::string_view request_json) override;
  std::string ExecuteParsed(std::string_view operation, const Request& req) override;
  bool KnowsOperation(std::string_view operation) const override;
  std::vector<TableFigures> Tables() override;
  StorageFigures Storage() override;

  // Control plane (ops/table_ops.cc).
  void CreateTable(const Request& req, JsonWriter& w);
  void DeleteTable(const Request& req, JsonWriter& w);
  void DescribeTable(const Request& req, JsonWriter& w);
  void ListTables(const Request& req, JsonWriter& w);
  void UpdateTable(const Request& req, JsonWriter& w);
  void DescribeEndpoints(const Request& req, JsonWriter& w);
  void DescribeLimits(const Request& req, JsonWriter& w);
  // Tags (ops/tag_ops.cc).
  void TagResource(const Request& req, JsonWriter& w);
  void UntagResource(const Request& req, JsonWriter& w);
  void ListTagsOfResource(const Request& req, JsonWriter& w);

  // Items (ops/item_ops.cc).
  void PutItem(const Request& req, JsonWriter& w);
  void GetItem(const Request& req, JsonWriter& w);
  void UpdateItem(const Request& req, JsonWriter& w);
  void DeleteItem(const Request& req, JsonWriter& w);

  // Reads of many items (ops/query_ops.cc).
  void Query(const Request& req, JsonWriter& w);
  void Scan(const Request& req, JsonWriter& w);

  // Batches and transactions (ops/batch_ops.cc, ops/transact_ops.cc).
  void BatchGetItem(const Request& req, JsonWriter& w);
  void BatchWriteItem(const Request& req, JsonWriter& w);
  void TransactWriteItems(const Request& req, JsonWriter& w);
  void TransactGetItems(const Request& req, JsonWriter& w);

  // Time to live (ttl.cc).
  void UpdateTimeToLive(const Request& req, JsonWriter& w);
  void DescribeTimeToLive(const Request& req, JsonWriter& w);
  // Deletes every item whose TTL attribute is a past epoch second (not older than 5 years), each
  // under its key lock, with REMOVE stream records by the service. Returns the number deleted.
  size_t SweepExpiredItems();

  // CloudWatch Contributor Insights: their state and rules (ops/insights_ops.cc).
  void UpdateContributorInsights(const Request& req, JsonWriter& w);
  void DescribeContributorInsights(const Request& req, JsonWriter& w);
  void ListContributorInsights(const Request& req, JsonWriter& w);

  // Export and import in S3's layout on a local directory (ops/export_ops.cc).
  void ExportTableToPointInTime(const Request& req, JsonWriter& w);
  void DescribeExport(const Request& req, JsonWriter& w);
  void ListExports(const Request& req, JsonWriter& w);
  void ImportTable(const Request& req, JsonWriter& w);
  void DescribeImport(const Request& req, JsonWriter& w);
  void ListImports(const Request& req, JsonWriter& w);

  // Resource-based policies, stored and returned (ops/policy_ops.cc), and evaluated for the
  // requests of a Caller (ops/access_ops.cc).
  void PutResourcePolicy(const Request& req, JsonWriter& w);
  void GetResourcePolicy(const Request& req, JsonWriter& w);
  void DeleteResourcePolicy(const Request& req, JsonWriter& w);
  // Throws the AccessDeniedException IAM answers when the thread's Caller (CallerScope) may not
  // run `operation` with this request on the resources it names; nothing without a Caller.
  void Authorize(std::string_view operation, const Request& req);
  // On-demand backups (ops/backup_ops.cc).
  void CreateBackup(const Request& req, JsonWriter& w);
  void DescribeBackup(const Request& req, JsonWriter& w);
  void ListBackups(const Request& req, JsonWriter& w);
  void DeleteBackup(const Request& req, JsonWriter& w);
  void RestoreTableFromBackup(const Request& req, JsonWriter& w);
  // Point-in-time recovery (ops/pitr_ops.cc).
  void UpdateContinuousBackups(const Request& req, JsonWriter& w);
  void DescribeContinuousBackups(const Request& req, JsonWriter& w);
  void RestoreTableToPointInTime(const Request& req, JsonWriter& w);
  // Whether the table has point-in-time recovery enabled (for ExportTableToPointInTime).
  static bool PointInTimeRecoveryEnabled(const Table& table) {
    return table.point_in_time_recovery();
  }
  // Rolls each recovery base forward to the start of its table's recovery period, dropping the
  // log entries it absorbs (the background sweep).
  void TrimRecoveryLogs();

  // DynamoDB Streams (streams.cc), dispatched as "Streams.<Op>".
  void ListStreams(const Request& req, JsonWriter& w);
  void DescribeStream(const Request& req, JsonWriter& w);
  void GetShardIterator(const Request& req, JsonWriter& w);
  void GetRecords(const Request& req, JsonWriter& w);
  // Deletes stream records older than the retention, and those of deleted tables.
  void TrimStreams();

  // --- shared machinery ---
  // The table a TableName names: its name or its ARN (ResolveTableName); null when there is none.
  std::shared_ptr<Table> FindTable(std::string_view name);
  // FindTable for the operations on a table's settings, tags and policy: a table whose restore is
  // still in progress is answered as missing, as DynamoDB answers them until the restore is done
  // (ack-api-quirks dynamodb DDB-TABLE-217; DescribeTable and DeleteTable see it CREATING).
  std::shared_ptr<Table> FindSettledTable(std::string_view name);
  // The backup whose restore into table `name` is still in progress; nullopt when none is.
  std::optional<std::string> RestoringInto(std::string_view name);
  // Every table at this moment, to work on outside tables_mu_.
  std::vector<std::shared_ptr<Table>> AllTables();
  // A TableName's table name: the name itself, or the name in the table's ARN
  // (arn:aws:dynamodb:<region>:<account>:table/<name>), which is checked as DynamoDB checks a
  // ResourceArn (ddb/table_arn.h); an index or stream ARN names no table (ValidationException).
  std::string_view ResolveTableName(std::string_view name_or_arn) const;
  // DynamoDB's ResourceNotFoundException for a TableName that names no table: "Requested resource
  // not found: Table: <name> not found", the name taken out of an ARN (ack-api-quirks dynamodb
  // DDB-TABLE-072).
  ApiError TableNotFound(std::string_view name_or_arn) const;
  // Throws ResourceNotFoundException as DynamoDB words it for data-plane operations (also for
  // a table still CREATING or already DELETING).
  std::shared_ptr<Table> RequireTable(std::string_view name);

  // Loads an item by storage key (nullopt when absent).
  std::optional<Item> LoadItem(const std::string& storage_key);
  // The ItemSize of the item at a storage key, read without decoding it (nullopt when absent).
  std::optional<size_t> LoadItemSize(const std::string& storage_key);
  // Sets each change's old_item (attributes[i]) or only its old_size (when nothing needs more),
  // read in one storage MultiRead; left empty for an absent item.
  void LoadOldItems(const std::vector<ItemChange*>& changes, const std::vector<bool>& attributes);
  // Adds the change's puts/deletes (item and every index entry) to `batch` and the index write
  // units to `capacity`.
  void AddChange(const ItemChange& change, storage::WriteBatch* batch, Capacity* capacity);
  // Adds the stream records of the changes that really change an item on tables with an enabled
  // stream (numbered under the stream mutex, held through the write so sequence numbers are in
  // commit order), writes the batch, then updates the tables' statistics for the changes.
  void Commit(storage::WriteBatch& batch, const std::vector<const ItemChange*>& changes,
              ChangeOrigin origin = ChangeOrigin::kUser);

  // --- capacity (engine.cc) ---
  // Whether the table is throttled: EngineOptions::throttle, unless its cruddur:throttle tag says
  // otherwise ("on" / "off").
  bool Throttles(const TableSchema& schema) const;
  // The partition a request on the item (or key) `item` of the table uses, for the per-partition
  // limits; empty when the table is not throttled (nothing needs it then).
  std::string ThrottlePartition(const TableSchema& schema, const Item& item) const;
  // Throws DynamoDB's throttling error when a throttled table (or the GSI a read uses, or any GSI
  // for a write, or the partition) has no units left for the request.
  void AdmitRequest(Table& table, Access access, const IndexSchema* index = nullptr,
                    std::string_view partition = {});
  // Counts the units a request consumed, and takes them from the buckets of a throttled table.
  void ConsumeCapacity(Table& table, const Capacity& c, const IndexSchema* index = nullptr,
                       std::string_view partition = {});
  std::vector<CapacityUsage> ConsumedCapacity() override;
  void FlushWal() override { storage_->FlushWal(); }
  // "Cruddur.DescribeTableStats" (cruddur's own target on the DynamoDB endpoint): the units a
  // table and its indexes consumed and the requests throttled.
  void DescribeTableStats(const Request& req, JsonWriter& w);

  // ConsumedCapacity's members. Transactional operations (`split`) also say whether the units
  // were read or write units (ReadCapacityUnits/WriteCapacityUnits), as DynamoDB does only for
  // them.
  void WriteConsumedCapacity(JsonWriter& w, const std::string& table, const Capacity& c,
                             ReturnCapacity mode, bool split = false);
  // Adds what the request consumed on a table to the thread's RequestStats (if any), as read
  // or write units by the operation running (ConsumeCapacity calls it).
  void CountConsumed(std::string_view table_name_or_arn, const Capacity& c);
  // Names the table the request works on in the thread's RequestStats (the first one wins).
  static void NoteRequestTable(const std::string& name);
  // Adds items a Query/Scan returned to the thread's RequestStats (if any).
  void CountReturnedItems(std::int64_t items);
  // "ConsumedCapacity": [{...} per table] of the batch and transaction operations (nothing
  // when `mode` is NONE).
  void WriteConsumedCapacityList(JsonWriter& w, const std::map<std::string, Capacity>& per_table,
                                 ReturnCapacity mode, bool split = false);

  storage::Storage& store() { return *storage_; }
  KeyLocks& locks() { return locks_; }
  PendingTransactions& pending_transactions() { return pending_; }
  const EngineOptions& options() const { return options_; }

 private:
  // Validates, authorizes and runs one parsed request through its operation's member function.
  std::string Run(void (EngineImpl::*handler)(const Request&, JsonWriter&),
                  std::string_view operation, const Request& req);
  void LoadCatalog();
  // Checks the data format (the 0x00 "format" key), migrating format 1 (table.h) and stamping
  // the current one. Throws std::runtime_error for a format this version does not know.
  void OpenDataFormat();
  // Moves every format-1 key (0x02 space) to its format-2 key, in batches that each delete the
  // old keys they write anew, so an interrupted migration resumes where it stopped. Keys of
  // tables or indexes no longer in the catalog (left by an interrupted delete) are dropped.
  void MigrateFormat1();
  // ItemCount/TableSizeBytes of a table reopened from disk are counted by one background scan
  // (started on first need), so DescribeTable never waits on a large table; like DynamoDB's,
  // the figures are approximate until then.
  void EnsureStats(Table& table);
  void CountStats(Table& table);
  void SaveSchema(const TableSchema& schema) REQUIRES(catalog_mu_);
  // Gives `table` a copy of its schema that `change` has edited, saved to the catalog first. An
  // exception from `change` leaves the table as it was.
  void ChangeSchema(Table& table, const std::function<void(TableSchema&)>& change)
      REQUIRES(catalog_mu_);
  void DeleteTableData(uint32_t table_id);
  // Whether changes stay transient for options().transient_status_delay, and until when.
  bool DelaysTransientStatuses() const { return options_.transient_status_delay.count() > 0; }
  double TransientUntil(double now) const;
  // Drops `table` from the catalog once its delayed DeleteTable has finished (if still listed).
  void FinishDeleting(const std::shared_ptr<Table>& table);
  // FinishDeleting for every table whose DeleteTable has finished (the background sweep).
  void FinishDeletedTables();
  void BackfillIndex(const std::shared_ptr<Table>& table, const IndexSchema& index);

  // --- export and import (ops/export_ops.cc) ---
  struct Transfers;        // the jobs, their worker threads and the S3 root directory
  Transfers& transfers();  // loaded from storage on first use
  // Joins the export/import workers (they stop early): before the storage closes.
  void StopTransfers();
  void SaveJob(std::string_view kind, std::string_view arn, const std::string& json);
  // The local S3's root directory (said on stderr once when it is a temp dir).
  const std::filesystem::path& S3Root();
  void DeleteImportedTable(const std::string& import_arn);
  // The end (epoch ms) of the past second an export reads, or nullopt for now; throws
  // DynamoDB's errors for a table without point-in-time recovery or a time outside its window.
  std::optional<int64_t> ExportUntil(const std::shared_ptr<Table>& table,
                                     std::optional<double> export_time, double now);
  // Writes the export: the table as `snapshot` sees it, or as it was before `until_ms`.
  void RunExport(ExportJob job, const std::string& id, const TableSchema& schema,
                 std::shared_ptr<storage::Iterator> snapshot, std::optional<int64_t> until_ms);
  // Writes an INCREMENTAL_EXPORT's lines: each item changed in [from_ms, to_ms), with its image
  // at from_ms (rebuilt under `past`, which the caller deletes) and at to_ms.
  void WriteIncrementalExport(const ExportJob& job, const TableSchema& schema,
                              s3::ExportWriter& writer, std::string& past);
  void RunImport(ImportJob job);
  // Writes one imported item as PutItem would (validated; indexes and stream records).
  void ImportItem(const std::shared_ptr<Table>& table, Item item);
  std::once_flag transfers_once_;
  // The storage key of a resource policy (ops/policy_ops.cc).
  std::string PolicyKey(std::string_view arn);
  void CheckPolicyInterval(std::string_view arn, const std::string& key, double now)
      REQUIRES(catalog_mu_);
  // The policy document of a table (`stream_label` empty) or of its stream; nullopt for none.
  std::optional<std::string> StoredResourcePolicy(const TableSchema& schema,
                                                  std::string_view stream_label);
  // The checks Authorize makes for one request (ops/access_ops.cc).
  std::vector<AccessCheck> AccessChecks(std::string_view operation, const Request& req);
  std::vector<AccessCheck> PartiqlAccessChecks(std::string_view operation, const Request& req);
  void Decide(const Caller& caller, const AccessCheck& check);
  std::shared_ptr<Transfers> transfers_;
  // --- backups and point-in-time recovery (ops/backup_ops.cc, ops/pitr_ops.cc) ---
  // Loads the backups and recovery states; drops what a crash left half made (backups still
  // CREATING, snapshots no record names, data of tables the catalog does not list).
  void LoadBackups();
  void LoadRecovery();
  // Deletes the keys of `space` (0x05, 0x07, 0x08) whose 4-byte id after the space byte is not
  // in `keep`.
  void DropUnreferenced(char space, const std::set<uint32_t>& keep);
  // Writes the index entries of the table's items; returns its statistics by storage id.
  std::vector<TableStats> BuildIndexes(const TableSchema& schema);
  void SaveBackup(const Backup& b);
  uint32_t NewSnapshotId();
  // Copies the items under `prefix` as `it` sees them to the same keys under `to` (a table's
  // index 0 to a snapshot, or back); returns {items, bytes}.
  std::pair<int64_t, int64_t> CopyRange(storage::Iterator& it, const std::string& prefix,
                                        const std::string& to);
  void DeleteRange(const std::string& prefix);
  // A backup of `table` taken now (a storage snapshot: one point in the commit order).
  Backup TakeBackup(const std::shared_ptr<Table>& table, std::string name, std::string type);
  // TakeBackup in two steps: the record (CREATING, saved) and the storage snapshot, taken in
  // the request; then the copy, which makes it AVAILABLE (on a background worker).
  Backup StartBackup(const std::shared_ptr<Table>& table, std::string name, std::string type,
                     std::shared_ptr<storage::Iterator>& snapshot);
  Backup FinishBackup(Backup b, uint32_t table_id, storage::Iterator& snapshot);
  // Runs `work` on a thread of its own (backups and restores being made); StopBackupWork stops
  // them early and joins them, before the storage closes.
  void StartBackupWork(std::function<void()> work);
  void StopBackupWork();
  // Throws when the engine is stopping (checked by long copies between batches).
  void ThrowIfStopping() const;
  // Creates a table from `schema` (name, keys, indexes, settings; the rest is assigned), which
  // stays CREATING, invisible to reads and writes and out of the stored catalog, while `fill`
  // writes its items (index 0, raw item bytes, under the prefix it is given) on a background
  // worker, which then builds its indexes and statistics and makes it ACTIVE (or CREATING for the
  // transient delay). Returns its schema as created (CREATING).
  std::shared_ptr<const TableSchema> RestoreTable(const std::shared_ptr<TableSchema>& schema,
                                                  std::function<void(const std::string&)> fill);
  // The restore's background part: fill, indexes, then the table in the catalog. A failure
  // drops the table.
  void FinishRestore(const std::shared_ptr<Table>& table,
                     const std::function<void(const std::string&)>& fill);
  // Whether a table restored from the backup `arn` is still being created (CREATING).
  bool RestoringFrom(const std::string& arn);
  // Writes the table's items as they were before `until_ms` (epoch ms: the recovery base plus
  // the logged changes committed before it) under `prefix`, each under the rest of its key after
  // IndexPrefix(table, 0). E.g. into keyspace::SnapshotPrefix(NewSnapshotId()) to read a past
  // state (then DeleteRange it). Throws InternalServerError without point-in-time recovery.
  void FillFromRecovery(uint32_t table_id, int64_t until_ms, const std::string& prefix);
  // The same from a view pinned earlier (PinRecovery), so a later change of the state (disabled,
  // trimmed) does not change what is restored.
  void FillFromRecovery(const RecoveryView& view, uint32_t table_id, int64_t until_ms,
                        const std::string& prefix);
  // The table's recovery state and a storage snapshot of its base and log (InternalServerError
  // when it has none).
  RecoveryView PinRecovery(uint32_t table_id);
  // The recovery state kept for a deleted table named `name` (the last one deleted): its table
  // id, or nullopt.
  std::optional<std::pair<uint32_t, RecoveryState>> DeletedTableRecovery(std::string_view name);
  // Calls `fn` for each change of the table's recovery log committed in [from_ms, to_ms), in
  // commit order: its time, its key after IndexPrefix(table, 0), its new item (encoded) or
  // nullopt for a delete.
  using LoggedChangeFn =
      std::function<void(int64_t ms, std::string_view key, std::optional<std::string_view> item)>;
  void ForEachLoggedChange(uint32_t table_id, int64_t from_ms, int64_t to_ms,
                           const LoggedChangeFn& fn);
  // Appends the changes to tables with point-in-time recovery to their recovery logs (in the
  // commit's batch). REQUIRES: the changes' key locks held.
  void AddRecoveryLog(const std::vector<const ItemChange*>& changes, storage::WriteBatch& batch);
  // DeleteTable of a table with point-in-time recovery: a SYSTEM backup of it as it is now.
  void BackUpDeletedTable(const std::shared_ptr<Table>& table);
  // Forgets the table's recovery state, base and log.
  void DropRecovery(uint32_t table_id) REQUIRES(recovery_mu_);

  void SaveRecoveryState(uint32_t table_id, const RecoveryState& state);

  Mutex backup_mu_;
  std::map<std::string, Backup> backups_ GUARDED_BY(backup_mu_);  // by ARN
  uint32_t next_snapshot_id_ GUARDED_BY(backup_mu_) = 1;
  // Serialises enabling, disabling, trimming and reading recovery state.
  Mutex recovery_mu_;
  std::map<uint32_t, RecoveryState> recovery_ GUARDED_BY(recovery_mu_);  // by table id
  std::atomic<uint64_t> recovery_seq_{1};
  std::atomic<int64_t> recovery_last_ms_{0};
  // The threads of jobs run in the background (backups, restores, exports, imports).
  struct Workers {
    struct Worker {
      std::thread thread;
      std::shared_ptr<std::atomic<bool>> done;
    };
    std::vector<Worker> threads;
    // Starts `job` on a thread of its own, first joining the threads of finished jobs (a thread
    // not joined keeps its stack).
    void Start(std::function<void()> job);
  };
  // Workers of backups and restores being made (StartBackupWork).
  Mutex backup_work_mu_;
  Workers backup_work_ GUARDED_BY(backup_work_mu_);
  std::atomic<bool> backup_stopping_{false};

  // --- streams (streams.cc) ---
  using StreamMeta = streams::StreamMeta;
  struct StreamInfo {                           // a stream as DescribeStream reports it
    std::shared_ptr<const TableSchema> schema;  // of its table, or of the deleted table
    StreamMeta meta;
    bool enabled = false;
    std::string arn;
  };
  void LoadStreamState();
  // Sets the stream's last_seq and open_records from its stored records.
  void CountStreamRecords(StreamMeta& m);
  // The stream's metadata, created (start = the next sequence number) and added to `batch` (or
  // written at once when batch is null) the first time the stream is seen. REQUIRES: stream_mu_.
  StreamMeta& EnsureStreamMetaLocked(uint32_t table_id, const std::string& label,
                                     std::string_view view_type, storage::WriteBatch* batch)
      REQUIRES(stream_mu_);
  // Whether the stream's open shard has reached a rotation bound (EngineOptions).
  bool ShardDue(const StreamMeta& m, int64_t now_ms) const;
  // Closes the open shard and opens its child at the next sequence number; adds the metadata to
  // `batch`. REQUIRES: stream_mu_.
  void RotateShardLocked(StreamMeta& m, int64_t now_ms, storage::WriteBatch& batch)
      REQUIRES(stream_mu_);
  // Rotates the open shards of enabled streams that reached the time bound without a write.
  void RotateDueShards();
  // Resolves a StreamArn parameter: ValidationException when malformed, ResourceNotFoundException
  // when no such stream exists.
  StreamInfo RequireStream(std::string_view arn);
  uint64_t TrimmedSeqLocked(const StreamMeta& m) const REQUIRES(stream_mu_);
  // The streams of a table (`live`), or of a deleted one, whose streams are all DISABLED.
  std::vector<StreamInfo> StreamsOf(const std::shared_ptr<const TableSchema>& schema, bool live);
  // Tables deleted while they had streams: DynamoDB keeps the streams, DISABLED and readable, for
  // 24 hours (DeleteTable reference). Kept under keyspace::kRetiredTable until TrimStreams has
  // forgotten their last stream.
  struct RetiredTable {
    std::shared_ptr<const TableSchema> schema;
    double deleted_at = 0;  // epoch seconds
  };
  // Adds the record of `schema` as retired to `batch` if the table ever had a stream, and returns
  // it, for AddRetiredTable once `batch` is written; `ensure_stream`: with the metadata of its
  // latest stream (not while the engine opens, before LoadStreamState).
  std::optional<RetiredTable> RetireTable(const TableSchema& schema, storage::WriteBatch& batch,
                                          bool ensure_stream);
  void AddRetiredTable(std::optional<RetiredTable> retired);
  std::vector<RetiredTable> RetiredTables();
  void LoadRetiredTables();
  Mutex retired_mu_;
  std::map<uint32_t, RetiredTable> retired_tables_ GUARDED_BY(retired_mu_);
  // The stream records for the changes (empty when no change is recorded).
  std::vector<std::pair<const ItemChange*, streams::Record>> StreamRecordsFor(
      const std::vector<const ItemChange*>& changes, ChangeOrigin origin) const;
  void BackgroundLoop();

  Mutex stream_mu_;  // held from numbering stream records through their storage write
  uint64_t next_seq_ GUARDED_BY(stream_mu_) = 1;
  std::map<std::string, StreamMeta> stream_meta_ GUARDED_BY(stream_mu_);  // by MetaKey

  Mutex background_mu_;
  std::condition_variable_any background_cv_;
  bool stopping_ GUARDED_BY(background_mu_) = false;
  std::thread background_;
  std::once_flag stats_once_;
  std::thread stats_thread_;
  std::atomic<bool> stats_stop_{false};

  EngineOptions options_;
  std::shared_ptr<Clock> clock_;
  ThrottleSettings throttle_settings_;
  std::unique_ptr<storage::Storage> storage_;
  KeyLocks locks_;
  PendingTransactions pending_;
  Mutex catalog_mu_ ACQUIRED_BEFORE(tables_mu_);  // serialises control-plane changes
  // When each resource policy (by its storage key) last changed, epoch seconds: DynamoDB refuses
  // another change within 15 s. Not kept across restarts, which outlast the interval.
  std::map<std::string, double> policy_changed_ GUARDED_BY(catalog_mu_);
  SharedMutex tables_mu_;
  std::map<std::string, std::shared_ptr<Table>, std::less<>> tables_ GUARDED_BY(tables_mu_);
  uint32_t next_table_id_ GUARDED_BY(catalog_mu_) = 1;

  // ClientRequestTokens of TransactWriteItems seen in the last 10 minutes: the same token with
  // the same request succeeds again without writing; with another request it is refused.
  struct TokenEntry {
    std::string request;
    std::chrono::steady_clock::time_point expires;
  };
  Mutex tokens_mu_;
  std::map<std::string, TokenEntry> tokens_ GUARDED_BY(tokens_mu_);
};

// The refusal of an operation of a feature cruddur cannot provide honestly (global tables,
// Kinesis streaming destinations, contributor insights, replica auto scaling), naming the
// feature; nullopt for any other operation (ops/policy_ops.cc).
std::optional<std::string> UnsupportedFeature(std::string_view operation);
// The legacy global tables' operations (version 2017.11.29), answered as DynamoDB answers them
// in 2026, when none can be created (ack-api-quirks dynamodb DDB-GLOBALTABLE-002/004): Create and
// an UpdateGlobalTable Create refused, ListGlobalTables empty, every other GlobalTableNotFound.
// The answer (ListGlobalTables'), or nullopt for any other operation; throws the others' errors.
std::optional<std::string> LegacyGlobalTables(std::string_view operation,
                                              std::string_view request_json);
// DynamoDB's refusal of another account's table by the policy operations and
// RestoreTableToPointInTime (policy_ops.cc).
ApiError ForeignAccountError();

// Marks the operations run on this thread as those of a PartiQL statement (their actions are
// dynamodb:PartiQLSelect, ...) until the scope ends.
class PartiqlScope {
 public:
  PartiqlScope();
  ~PartiqlScope();
  PartiqlScope(const PartiqlScope&) = delete;
  PartiqlScope& operator=(const PartiqlScope&) = delete;
  static bool Active();

 private:
  bool previous_;
};

// --- request helpers shared by the operation files ---

// The schema of a table restored as `target` from `source` (a backup's table, or the table of a
// point-in-time restore), with the request's overrides (BillingModeOverride,
// ProvisionedThroughputOverride, GlobalSecondaryIndexOverride, LocalSecondaryIndexOverride,
// SSESpecificationOverride) applied; what a restore does not bring (streams, TTL, tags,
// deletion protection, point-in-time recovery, table class, contributor insights) left out.
std::shared_ptr<TableSchema> RestoredSchema(const Request& req, const TableSchema& source,
                                            std::string_view target, const EngineOptions& options);
// Errors of the backup operations.
ApiError TableNotFoundError(std::string_view table);
ApiError TableAlreadyExistsError(std::string_view table);

ReturnCapacity ParseReturnCapacity(const Request& req, ConstraintErrors& errors);
// ReturnItemCollectionMetrics: true for SIZE.
bool ParseReturnItemCollectionMetrics(const Request& req, ConstraintErrors& errors);
// An item collection (the items of one partition key) is what a table with local secondary
// indexes limits in size; DynamoDB reports ItemCollectionMetrics only for such tables.
bool HasItemCollections(const TableSchema& schema);
// {"ItemCollectionKey": {<partition key of `item`>}, "SizeEstimateRangeGB": [0.0, 1.0]}: the
// estimate DynamoDB gives for a collection far below its 10 GB limit.
void WriteItemCollectionMetrics(JsonWriter& w, const TableSchema& schema, const Item& item);
// "ItemCollectionMetrics": {"<table>": [one entry per write]} of BatchWriteItem and
// TransactWriteItems, for the writes (table, key) to tables with item collections; nothing when
// there are none.
void WriteItemCollectionMetricsMap(
    JsonWriter& w, const std::vector<std::pair<std::shared_ptr<const TableSchema>, Item>>& writes);
// Validates a Key parameter against the table's key schema: exactly the key attributes, with
// the schema's types ("The provided key element does not match the schema").
void ValidateKeyParam(const TableSchema& schema, const Item& key);
// Validates the key attributes of a whole item (PutItem): present, typed, non-empty, in size.
void ValidateItemKeys(const TableSchema& schema, const Item& item);
// Where an item checked by ValidateIndexKeys comes from: written whole (PutItem's words for an
// empty index key) or made by an update expression (UpdateItem's own words for it).
enum class IndexKeySource { kPut, kUpdate };
// Validates the index key attributes an item carries (type and non-empty), DynamoDB's messages.
// With `mismatch`, the first type mismatch is stored there instead of thrown (a transaction
// cancels on it, with the action's ValidationError) while an empty value still throws.
void ValidateIndexKeys(const TableSchema& schema, const Item& item,
                       IndexKeySource source = IndexKeySource::kPut,
                       std::optional<std::string>* mismatch = nullptr);
// Throws when ExpressionAttributeNames/Values are given but none of the request's expression
// members is ("ExpressionAttributeValues can only be specified when using expressions: X and Y
// are null").
void CheckSubstitutionsNeedExpressions(const Request& req,
                                       std::initializer_list<std::string_view> expression_members);
// A Tags list ([{Key, Value}], CreateTable and TagResource), validated as DynamoDB does.
std::map<std::string, std::string> ParseTags(const JsonValue& list);
// Reads the request's ExpressionAttributeNames/Values.
expr::Substitutions ParseSubstitutions(const Request& req);

inline void WriteKey(JsonWriter& w, std::string_view k) { WriteJsonString(w, k); }
inline void WriteString(JsonWriter& w, std::string_view s) { WriteJsonString(w, s); }

}  // namespace cruddur::ddb
