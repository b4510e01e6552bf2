// Consumed capacity and throttling: the units a request consumes as DynamoDB computes them, the
// running totals per table and index, and the opt-in token buckets that throttle a table at its
// provisioned (or on-demand maximum) throughput, with DynamoDB's burst capacity.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ddb/engine.h"
#include "ddb/table_schema.h"

namespace cruddur::ddb {

// std::chrono::steady_clock (Clock is declared in engine.h).
std::shared_ptr<Clock> SteadyClock();
// A clock that moves only when told (tests).
class ManualClock final : public Clock {
 public:
  double Now() const override { return now_.load(); }
  void Advance(double seconds) { now_ = now_.load() + seconds; }

 private:
  std::atomic<double> now_{1000};
};

// A request consumes either read or write units, never both (AWS support, as quoted in
// guregu/dynamo#112; transactional operations report which).
enum class Access { kRead, kWrite };

// Capacity units consumed by one request on one table, as DynamoDB computes them.
struct Capacity {
  double table = 0;
  std::map<std::string, double> global_indexes;
  std::map<std::string, double> local_indexes;
  Access access = Access::kRead;
  double total() const;
};

// Read units for `bytes` read: 4 KB units, rounded up, at least 1; eventually consistent reads
// cost half.
double ReadUnits(size_t bytes, bool consistent);
// Write units for an item of `bytes`: 1 KB units, rounded up, at least 1.
double WriteUnits(size_t bytes);

// Units per second with unused units kept up to `burst_seconds` of them (DynamoDB keeps up to 300
// seconds of unused read and write capacity). Starts full. A request is admitted while any unit
// is left and then takes what it consumed, which may leave the bucket in debt.
class TokenBucket {
 public:
  void Configure(double rate, double burst_seconds, double now);
  bool Empty(double now);
  bool Full(double now) const;  // holds all it can (an idle bucket)
  void Take(double units, double now);
  double Available(double now);

 private:
  void Refill(double now);
  bool configured_ = false;
  double rate_ = 0, capacity_ = 0, tokens_ = 0, last_ = 0;
};

// Why a request was throttled: DynamoDB's ThrottlingReason limit types.
enum class ThrottleLimit { kProvisioned, kMaxOnDemand, kKeyRange };

struct ThrottleSettings {
  double burst_seconds = 300;
  // DynamoDB's per-partition limits (one partition key value's units a second).
  double partition_read_units = 3000;
  double partition_write_units = 1000;
};

// The running totals and the buckets of one table and its indexes. Thread-safe.
class TableMeter {
 public:
  // Throws the throttling error DynamoDB answers with when the table, a GSI the request uses
  // (every GSI for a write: a GSI that cannot keep up throttles the table's writes) or the
  // partition key `partition` (may be empty: none) has no units left. `index`: the index a read
  // uses (null: the table).
  void Admit(const TableSchema& schema, const std::string& arn, Access access,
             const IndexSchema* index, std::string_view partition, double now,
             const ThrottleSettings& settings);
  // Counts the units and, when `throttled_buckets`, takes them from the buckets at time `now`
  // (unused otherwise).
  void Consume(const Capacity& capacity, std::string_view partition, const IndexSchema* index,
               bool throttled_buckets, double now);
  std::vector<CapacityUsage> Usage(const std::string& table) const;

 private:
  struct Buckets {
    TokenBucket read, write;
  };
  // Atomic so that the table's own totals are counted without the lock (every request counts).
  struct Totals {
    std::atomic<double> read_units{0}, write_units{0};
    std::atomic<uint64_t> throttled_reads{0}, throttled_writes{0};
    void Count(Access access, double units);
  };
  // Empty `index`: the table.
  [[noreturn]] void Throttle(const TableSchema& schema, const std::string& arn,
                             const std::string& index, Access access, ThrottleLimit limit);
  void DropIdlePartitions(double now);

  Totals& TotalsOf(const std::string& index);  // REQUIRES: mu_ held for an index

  Totals table_totals_;
  mutable std::mutex mu_;
  std::map<std::string, Totals> totals_;  // by index name
  std::map<std::string, Buckets, std::less<>> buckets_;
  std::map<std::string, Buckets, std::less<>> partitions_;  // by index name + 0 + key
};

}  // namespace cruddur::ddb
