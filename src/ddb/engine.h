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

namespace cruddur::ddb {

struct EngineOptions {
  std::string data_dir;    // RocksDB files live here unless in_memory
  bool in_memory = false;  // keep nothing on disk
  bool fsync = false;      // sync every write to disk (power-loss durability)
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
  // Test hook: called by TransactWriteItems while it holds its items (registered as pending and
  // locked, before its conditions are checked), so tests can meet a transaction in flight.
  std::function<void()> transaction_hook;
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
};

}  // namespace cruddur::ddb
