#include "ddb/capacity.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "ddb/error.h"

namespace cruddur::ddb {

namespace {

class Steady final : public Clock {
 public:
  double Now() const override {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

// A partition's limits are hard: it keeps no more than one second of its units.
constexpr double kPartitionBurstSeconds = 1;
// On-demand maximums throttle what exceeds them; they keep no burst either.
constexpr double kOnDemandBurstSeconds = 1;
// Partition buckets of keys no longer in use are dropped past this many.
constexpr size_t kMaxPartitionBuckets = 10000;

constexpr std::string_view kTableMessage =
    "The level of configured provisioned throughput for the table was exceeded. Consider "
    "increasing your provisioning level with the UpdateTable API.";
constexpr std::string_view kIndexMessage =
    "The level of configured provisioned throughput for one or more global secondary indexes of "
    "the table was exceeded. Consider increasing your provisioning level for the "
    "under-provisioned global secondary indexes with the UpdateTable API.";
constexpr std::string_view kMaxOnDemandMessage =
    "Throughput exceeds the maximum OnDemandThroughput configured on table or index";
constexpr std::string_view kOnDemandTableMessage =
    "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically "
    "scaling your table or index so please try again shortly. If exceptions persist, check if you "
    "have a hot key: "
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html";
constexpr std::string_view kOnDemandIndexMessage =
    "Throughput exceeds the current capacity for one or more global secondary indexes. DynamoDB "
    "is automatically scaling your index so please try again shortly.";

}  // namespace

std::shared_ptr<Clock> SteadyClock() { return std::make_shared<Steady>(); }

double Capacity::total() const {
  double t = table;
  for (const auto& [_, u] : global_indexes) t += u;
  for (const auto& [_, u] : local_indexes) t += u;
  return t;
}

double ReadUnits(size_t bytes, bool consistent) {
  double units = std::max<double>(1, std::ceil(static_cast<double>(bytes) / 4096.0));
  return consistent ? units : units / 2;
}

double WriteUnits(size_t bytes) {
  return std::max<double>(1, std::ceil(static_cast<double>(bytes) / 1024.0));
}

// --- TokenBucket ---

void TokenBucket::Configure(double rate, double burst_seconds, double now) {
  double capacity = rate * std::max(1.0, burst_seconds);
  if (!configured_) {
    configured_ = true;
    rate_ = rate;
    capacity_ = capacity;
    tokens_ = capacity;
    last_ = now;
    return;
  }
  if (rate == rate_ && capacity == capacity_) return;
  Refill(now);  // at the old rate up to now
  rate_ = rate;
  capacity_ = capacity;
  tokens_ = std::min(tokens_, capacity_);
}

void TokenBucket::Refill(double now) {
  if (now > last_) {
    tokens_ = std::min(capacity_, tokens_ + (now - last_) * rate_);
    last_ = now;
  }
}

double TokenBucket::Available(double now) {
  Refill(now);
  return tokens_;
}

// (A hair above zero still counts as empty: times are sums of doubles.)
bool TokenBucket::Empty(double now) { return Available(now) < 1e-9; }

bool TokenBucket::Full(double now) const {
  return !configured_ || tokens_ + std::max(0.0, now - last_) * rate_ >= capacity_;
}

void TokenBucket::Take(double units, double now) {
  Refill(now);
  tokens_ -= units;
}

// --- TableMeter ---

void TableMeter::Admit(const TableSchema& schema, const std::string& arn, Access access,
                       const IndexSchema* index, std::string_view partition, double now,
                       const ThrottleSettings& settings) {
  std::lock_guard lock(mu_);
  const bool write = access == Access::kWrite;
  auto check = [&](const std::string& name, const ProvisionedThroughput& provisioned,
                   const OnDemandThroughput& on_demand) {
    double rate = 0, burst = settings.burst_seconds;
    ThrottleLimit limit = ThrottleLimit::kProvisioned;
    if (!schema.pay_per_request) {
      rate = static_cast<double>(write ? provisioned.write_capacity_units
                                       : provisioned.read_capacity_units);
    } else if (auto max = write ? on_demand.max_write : on_demand.max_read; max && *max > 0) {
      rate = static_cast<double>(*max);
      burst = kOnDemandBurstSeconds;
      limit = ThrottleLimit::kMaxOnDemand;
    }
    if (rate <= 0) return;
    Buckets& b = buckets_[name];
    TokenBucket& bucket = write ? b.write : b.read;
    bucket.Configure(rate, burst, now);
    if (bucket.Empty(now)) Throttle(schema, arn, name, access, limit);
  };
  const bool gsi_read = !write && index && index->global;
  if (gsi_read) {
    check(index->name, index->throughput, index->on_demand);
  } else {
    check("", schema.throughput, schema.on_demand);
  }
  if (write) {
    for (const auto& i : schema.indexes) {
      if (i.global) check(i.name, i.throughput, i.on_demand);
    }
  }
  if (partition.empty()) return;
  std::string key = gsi_read ? index->name : std::string();
  key.push_back('\0');
  key.append(partition);
  auto it = partitions_.find(key);
  if (it == partitions_.end()) {
    DropIdlePartitions(now);
    it = partitions_.emplace(std::move(key), Buckets{}).first;
  }
  TokenBucket& bucket = write ? it->second.write : it->second.read;
  bucket.Configure(write ? settings.partition_write_units : settings.partition_read_units,
                   kPartitionBurstSeconds, now);
  if (bucket.Empty(now)) {
    Throttle(schema, arn, gsi_read ? index->name : std::string(), access, ThrottleLimit::kKeyRange);
  }
}

void TableMeter::Throttle(const TableSchema& schema, const std::string& arn,
                          const std::string& index, Access access, ThrottleLimit limit) {
  const bool write = access == Access::kWrite;
  Totals& totals = TotalsOf(index);
  ++(write ? totals.throttled_writes : totals.throttled_reads);
  std::string_view limit_name =
      limit == ThrottleLimit::kProvisioned   ? "ProvisionedThroughputExceeded"
      : limit == ThrottleLimit::kMaxOnDemand ? "MaxOnDemandThroughputExceeded"
                                             : "KeyRangeThroughputExceeded";
  std::string reason = fmt::format("{}{}{}", index.empty() ? "Table" : "Index",
                                   write ? "Write" : "Read", limit_name);
  std::string resource = index.empty() ? arn : arn + "/index/" + index;
  // Table and index names (and so ARNs) hold only [a-zA-Z0-9_.-]: nothing to escape.
  std::string reasons =
      fmt::format(R"("ThrottlingReasons":[{{"reason":"{}","resource":"{}"}}])", reason, resource);
  // On-demand tables are throttled with ThrottlingException, provisioned ones with
  // ProvisionedThroughputExceededException (DynamoDB's TransactionCanceledException reasons list
  // both with these messages).
  if (limit == ThrottleLimit::kMaxOnDemand) {
    throw ApiError::Throttling(std::string(kMaxOnDemandMessage)).with_extra_json(reasons);
  }
  if (schema.pay_per_request) {
    throw ApiError::Throttling(
        std::string(index.empty() ? kOnDemandTableMessage : kOnDemandIndexMessage))
        .with_extra_json(reasons);
  }
  throw ApiError::ProvisionedThroughputExceeded(
      std::string(index.empty() ? kTableMessage : kIndexMessage))
      .with_extra_json(reasons);
}

void TableMeter::DropIdlePartitions(double now) {
  if (partitions_.size() < kMaxPartitionBuckets) return;
  std::erase_if(partitions_,
                [&](auto& p) { return p.second.read.Full(now) && p.second.write.Full(now); });
}

void TableMeter::Totals::Count(Access access, double units) {
  (access == Access::kWrite ? write_units : read_units).fetch_add(units, std::memory_order_relaxed);
}

TableMeter::Totals& TableMeter::TotalsOf(const std::string& index) {
  return index.empty() ? table_totals_ : totals_[index];
}

void TableMeter::Consume(const Capacity& c, std::string_view partition, const IndexSchema* index,
                         bool throttled_buckets, double now) {
  table_totals_.Count(c.access, c.table);
  // The common case, a table without indexes and not throttled, takes no lock.
  if (!throttled_buckets && c.local_indexes.empty() && c.global_indexes.empty()) return;
  std::lock_guard lock(mu_);
  const bool write = c.access == Access::kWrite;
  auto count = [&](const std::string& name, double units) { totals_[name].Count(c.access, units); };
  auto take = [&](auto& buckets, std::string_view name, double units) {
    auto it = buckets.find(name);
    if (it != buckets.end()) (write ? it->second.write : it->second.read).Take(units, now);
  };
  // Local secondary indexes share the table's throughput; global ones have their own.
  double table_units = c.table;
  for (const auto& [name, units] : c.local_indexes) {
    count(name, units);
    table_units += units;
  }
  for (const auto& [name, units] : c.global_indexes) count(name, units);
  if (!throttled_buckets) return;
  take(buckets_, "", table_units);
  for (const auto& [name, units] : c.global_indexes) take(buckets_, name, units);
  if (partition.empty()) return;
  const bool gsi_read = !write && index && index->global;
  std::string key = gsi_read ? index->name : std::string();
  key.push_back('\0');
  key.append(partition);
  double units = table_units;
  if (gsi_read) {
    auto it = c.global_indexes.find(index->name);
    units = it == c.global_indexes.end() ? 0 : it->second;
  }
  take(partitions_, key, units);
}

std::vector<CapacityUsage> TableMeter::Usage(const std::string& table) const {
  auto usage_of = [&](const std::string& index, const Totals& t) {
    return CapacityUsage{.table = table,
                         .index = index,
                         .read_units = t.read_units.load(),
                         .write_units = t.write_units.load(),
                         .throttled_reads = t.throttled_reads.load(),
                         .throttled_writes = t.throttled_writes.load()};
  };
  std::vector<CapacityUsage> usage{usage_of("", table_totals_)};  // the table's, even when idle
  std::lock_guard lock(mu_);
  for (const auto& [index, t] : totals_) usage.push_back(usage_of(index, t));
  return usage;
}

}  // namespace cruddur::ddb
