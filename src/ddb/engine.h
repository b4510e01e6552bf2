// The embedded DynamoDB engine. Its request model is DynamoDB's own JSON: an operation name (the
// X-Amz-Target suffix, e.g. "PutItem") and a JSON body, answered with a JSON body. The same call
// serves the in-process client and the wire server, so both behave alike.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cruddur::ddb {

// Monotonic seconds. The engine reads the time of its token buckets only through it, so tests can
// set it by hand (ddb/capacity.h has SteadyClock and ManualClock).
class Request;  // ddb/request.h

class Clock {
 public:
  virtual ~Clock() = default;
  virtual double Now() const = 0;
};

// Consumed capacity units and throttled requests of a table or one of its indexes, counted since
// the table was created or the engine opened.
struct CapacityUsage {
  std::string table;
  std::string index;  // empty: the table itself
  double read_units = 0, write_units = 0;
  uint64_t throttled_reads = 0, throttled_writes = 0;
};

struct EngineOptions {
  std::string data_dir;    // RocksDB files live here unless in_memory
  bool in_memory = false;  // keep nothing on disk
  bool fsync = false;      // sync every write to disk (power-loss durability)
  // Writes leave their WAL records in a buffer until FlushWal() (storage.h,
  // Options::deferred_wal), which with fsync syncs them too. For a server that calls FlushWal()
  // before its answers leave.
  bool deferred_wal = false;
  // The root of the local S3 that exports write to and imports read from: s3://bucket/key is
  // <s3_dir>/bucket/key. Empty: <data_dir>/s3, or (in memory) a directory of this process's
  // own under the temp dir.
  std::string s3_dir;
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  // How often the background sweeper deletes expired TTL items and trims old stream records;
  // zero: no background thread (expired items and old stream records then stay).
  std::chrono::milliseconds ttl_sweep_interval{std::chrono::seconds(5)};
  // DynamoDB Streams keeps records 24 hours; shard iterators expire after 15 minutes.
  std::chrono::milliseconds stream_retention{std::chrono::hours(24)};
  std::chrono::milliseconds shard_iterator_lifetime{std::chrono::minutes(15)};
  // Shard rotation: a stream's open shard is closed and a child shard opened once it holds
  // stream_shard_max_records records or is stream_shard_max_age old (and holds a record), so
  // that readers which follow parent and child shards are exercised. DynamoDB closes a stream's
  // shards about every 4 hours, and splits them with the table's partitions under load (the
  // record bound stands in for that). Zero turns a bound off.
  std::chrono::milliseconds stream_shard_max_age{std::chrono::hours(4)};
  uint64_t stream_shard_max_records = 100000;
  // How long tables stay CREATING/UPDATING/DELETING and new or deleted GSIs CREATING/DELETING
  // (as DynamoDB Local's -delayTransientStatuses), so that applications' waiters are exercised.
  // Zero: every change is ACTIVE (or gone) at once.
  std::chrono::milliseconds transient_status_delay{0};
  // Throttling (opt-in): every table at its provisioned throughput (or on-demand maximum) and
  // DynamoDB's per-partition limits. Without it, only tables tagged cruddur:throttle=on are; with
  // it, all but those tagged cruddur:throttle=off.
  bool throttle = false;
  // How many seconds of unused throughput a table keeps for bursts (DynamoDB: 300).
  double burst_seconds = 300;
  // The time of the token buckets; null: the steady clock.
  std::shared_ptr<Clock> clock;
  // The length of a day of point-in-time recovery's RecoveryPeriodInDays (tests shorten it to
  // see the recovery window trimmed).
  std::chrono::milliseconds recovery_period_day{std::chrono::hours(24)};
  // An INCREMENTAL_EXPORT's period is 15 minutes to 24 hours long, as DynamoDB's; `ddb serve
  // --min-incremental-export-period` (and tests) shorten the least, so that a local test need
  // not wait a quarter of an hour for its period.
  std::chrono::milliseconds incremental_export_min_period{std::chrono::minutes(15)};
  std::chrono::milliseconds incremental_export_max_period{std::chrono::hours(24)};
  // After a change of a table's TTL, DynamoDB refuses another for about 31 minutes (recorded in
  // 2026: refused at 1,811.6 s, accepted at 1,871.7 s). Zero: no such interval, as DynamoDB
  // Local (`ddb serve --ttl-cooldown 0`).
  std::chrono::milliseconds ttl_update_cooldown{std::chrono::minutes(31)};
  // DynamoDB's limits on how often a table may change: DeletionProtection and a resource policy
  // once in 15 s, TableClass twice in 30 days, a table's or GSI's throughput decreased 4 times a
  // UTC day and then once an hour. False: none (`ddb serve --no-update-limits`), as DynamoDB Local.
  bool update_limits = true;
  // Test hook: called by TransactWriteItems while it holds its items (registered as pending and
  // locked, before its conditions are checked), so tests can meet a transaction in flight.
  std::function<void()> transaction_hook;
  // Test hook: called by TransactGetItems once its items are registered as pending reads, before
  // it reads them, so tests can write to them while it is in flight.
  std::function<void()> transact_get_hook;
};

// What one request did, for the DynamoDB endpoint's metrics (CloudWatch's per-table figures).
// Filled by Execute on the thread where a RequestStatsScope is open.
struct RequestStats {
  // The first existing table the request named ("" for none: ListTables, a missing table, a
  // request refused before its table was looked up). Never a name that is not a table, so
  // metric labels stay bounded.
  std::string table;
  struct Consumed {
    std::string table;
    double read_units = 0;
    double write_units = 0;
  };
  std::vector<Consumed> consumed;   // capacity units consumed, per table
  std::int64_t returned_items = 0;  // items a Query or Scan returned (ReturnedItemCount)
  bool throttled = false;           // see RecordThrottledRequest
};

class RequestStatsScope {
 public:
  explicit RequestStatsScope(RequestStats& stats);
  ~RequestStatsScope();
  RequestStatsScope(const RequestStatsScope&) = delete;
  RequestStatsScope& operator=(const RequestStatsScope&) = delete;

 private:
  RequestStats* previous_;
};

// Who signed the request running on this thread (`ddb serve --auth`): the IAM principal whose
// access the table's resource-based policy decides (ops/access_ops.cc). Without one (no --auth,
// the in-process client, the CLI) policies are stored but not evaluated: there is no identity.
struct Caller {
  std::string principal_arn;  // arn:aws:iam::<account>:user/<name>, a role, ...
  std::string account;        // the principal's 12-digit account
  std::string source_ip;      // aws:SourceIp; empty when unknown
};

// Makes `caller` the caller of the operations run on this thread until the scope ends.
class CallerScope {
 public:
  explicit CallerScope(const Caller& caller);
  ~CallerScope();
  CallerScope(const CallerScope&) = delete;
  CallerScope& operator=(const CallerScope&) = delete;

 private:
  const Caller* previous_;
};
// The Caller of the request running on this thread (CallerScope), or null.
const Caller* CurrentCaller();

// Counts the request running on this thread as throttled (CloudWatch's ThrottledRequests), for
// a throttle that answers without an error (BatchWriteItem's UnprocessedItems). Requests
// answered ProvisionedThroughputExceededException, ThrottlingException or RequestLimitExceeded
// are counted without it. Does nothing outside a RequestStatsScope.
void RecordThrottledRequest();

// Sizes for metrics, read when scraped.
struct TableFigures {
  std::string name;
  std::int64_t item_count = 0;  // as DescribeTable's ItemCount (approximate)
  std::int64_t size_bytes = 0;  // as DescribeTable's TableSizeBytes
};
struct StorageFigures {
  bool persistent = false;                     // RocksDB; the figures below are 0 in memory
  std::uint64_t memtable_bytes = 0;            // rocksdb.cur-size-all-mem-tables
  std::uint64_t pending_compaction_bytes = 0;  // rocksdb.estimate-pending-compaction-bytes
  std::uint64_t live_sst_bytes = 0;            // rocksdb.live-sst-files-size
  std::uint64_t running_compactions = 0;       // rocksdb.num-running-compactions
  std::uint64_t wal_syncs = 0;                 // Storage::WalSyncs(): syncs of the WAL so far
  bool writes_stopped = false;                 // Storage::WritesStopped(): by an I/O error
};

class Engine {
 public:
  // Opens the storage. Throws std::runtime_error with a readable reason on failure.
  static std::unique_ptr<Engine> Open(const EngineOptions& options);
  virtual ~Engine() = default;

  // Runs one operation. Returns the response body (JSON). Throws ApiError (ddb/error.h) for
  // every DynamoDB error, including UnknownOperationException and SerializationException.
  // Thread-safe: call from any number of threads.
  virtual std::string Execute(std::string_view operation, std::string_view request_json) = 0;
  // Execute for a body the caller has parsed already (the wire layer does, to check its JSON
  // before authenticating): the same answer, without a second parse.
  virtual std::string ExecuteParsed(std::string_view operation, const Request& request);

  // Whether Execute runs `operation` (metric labels name only these).
  virtual bool KnowsOperation(std::string_view operation) const {
    (void)operation;
    return false;
  }
  virtual std::vector<TableFigures> Tables() { return {}; }
  virtual StorageFigures Storage() { return {}; }
  // The capacity units each table and index consumed and the requests throttled, by table then
  // index (for metrics and `cruddur ddb stats`).
  virtual std::vector<CapacityUsage> ConsumedCapacity() { return {}; }
  // With EngineOptions::deferred_wal: every write made so far survives a crash of the process
  // (with fsync, a power loss) once this returns (one WAL write, and one sync, for all of them).
  // A no-op otherwise. Throws std::runtime_error on an I/O error. Thread-safe.
  virtual void FlushWal() {}
};

}  // namespace cruddur::ddb
