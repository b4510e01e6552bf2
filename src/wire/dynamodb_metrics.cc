#include "wire/dynamodb_metrics.h"

#include <functional>
#include <vector>

#include "wire/faults.h"

namespace cruddur::wire {

DynamoDbMetrics::DynamoDbMetrics(ddb::Engine& engine) : engine_(engine) {
  registry_.Add([this](metrics::TextWriter& w) { WriteRequestFamilies(w); });
  registry_.Add([this](metrics::TextWriter& w) { WriteStorageFamilies(w); });
}

void DynamoDbMetrics::AddInjectedFaults(const FaultInjector& faults) {
  registry_.Add([&faults](metrics::TextWriter& w) {
    constexpr std::string_view kName = "cruddur_dynamodb_injected_faults_total";
    w.Family(kName, "counter",
             "Faults injected by --faults rules, by kind (error:<Type>, latency, "
             "drop_after_commit, partial_batch).");
    for (const auto& [kind, count] : faults.InjectedByKind()) {
      metrics::Label labels[] = {{"kind", kind}};
      w.Sample(kName, labels, static_cast<double>(count));
    }
  });
}

bool DynamoDbMetrics::IsThrottlingError(std::string_view type) {
  return type == "ProvisionedThroughputExceededException" || type == "ThrottlingException" ||
         type == "RequestLimitExceeded";
}

void DynamoDbMetrics::Record(const Outcome& o) {
  std::string_view table = o.stats != nullptr ? std::string_view(o.stats->table) : "";
  PerOperation& m = by_operation_.Get({table, o.operation});
  m.requests.Increment();
  bool throttled = IsThrottlingError(o.error_type) || (o.stats != nullptr && o.stats->throttled);
  if (throttled) m.throttled.Increment();
  if (o.status >= 500) {
    m.system_errors.Increment();
  } else if (o.status >= 400) {
    // CloudWatch counts these two apart from UserErrors.
    if (o.error_type == "ConditionalCheckFailedException") {
      m.conditional_check_failed.Increment();
    } else if (!throttled) {
      m.user_errors.Increment();
    }
  } else {
    m.latency.Observe(o.seconds);
  }
  if (o.stats == nullptr) return;
  if (o.stats->returned_items > 0) {
    m.returned_items.Increment(static_cast<double>(o.stats->returned_items));
  }
  for (const ddb::RequestStats::Consumed& c : o.stats->consumed) {
    PerOperation& on_table = c.table == table ? m : by_operation_.Get({c.table, o.operation});
    if (c.read_units > 0) on_table.read_units.Increment(c.read_units);
    if (c.write_units > 0) on_table.write_units.Increment(c.write_units);
  }
}

void DynamoDbMetrics::WriteRequestFamilies(metrics::TextWriter& w) const {
  using Field = const metrics::Counter PerOperation::*;
  struct Family {
    std::string_view name;
    std::string_view help;
    Field field;
  };
  static const Family kCounters[] = {
      {"cruddur_dynamodb_requests_total", "Requests answered, any outcome.",
       &PerOperation::requests},
      {"cruddur_dynamodb_user_errors_total",
       "Requests answered with a 4xx other than ConditionalCheckFailedException and throttling "
       "(CloudWatch's UserErrors).",
       &PerOperation::user_errors},
      {"cruddur_dynamodb_system_errors_total",
       "Requests answered with a 5xx (CloudWatch's SystemErrors).", &PerOperation::system_errors},
      {"cruddur_dynamodb_conditional_check_failed_requests_total",
       "Requests answered ConditionalCheckFailedException (CloudWatch's "
       "ConditionalCheckFailedRequests).",
       &PerOperation::conditional_check_failed},
      {"cruddur_dynamodb_throttled_requests_total",
       "Requests throttled (CloudWatch's ThrottledRequests).", &PerOperation::throttled},
      {"cruddur_dynamodb_consumed_read_capacity_units_total",
       "Read capacity units consumed (CloudWatch's ConsumedReadCapacityUnits).",
       &PerOperation::read_units},
      {"cruddur_dynamodb_consumed_write_capacity_units_total",
       "Write capacity units consumed (CloudWatch's ConsumedWriteCapacityUnits).",
       &PerOperation::write_units},
      {"cruddur_dynamodb_returned_items_total",
       "Items returned by Query and Scan (CloudWatch's ReturnedItemCount).",
       &PerOperation::returned_items},
  };
  for (const Family& family : kCounters) {
    w.Family(family.name, "counter", family.help);
    by_operation_.ForEach([&](const std::vector<std::string>& values, const PerOperation& m) {
      metrics::Label labels[] = {{"table", values[0]}, {"operation", values[1]}};
      w.Sample(family.name, labels, (m.*family.field).value());
    });
  }
  constexpr std::string_view kLatency = "cruddur_dynamodb_successful_request_latency_seconds";
  w.Family(kLatency, "histogram",
           "Time to answer successful requests (CloudWatch's SuccessfulRequestLatency).");
  by_operation_.ForEach([&](const std::vector<std::string>& values, const PerOperation& m) {
    metrics::Label labels[] = {{"table", values[0]}, {"operation", values[1]}};
    w.Histogram(kLatency, labels, m.latency.snapshot());
  });
}

void DynamoDbMetrics::WriteStorageFamilies(metrics::TextWriter& w) const {
  std::vector<ddb::TableFigures> tables = engine_.Tables();
  w.Family("cruddur_dynamodb_table_items", "gauge",
           "Items in the table (approximate, as DescribeTable's ItemCount).");
  for (const auto& t : tables) {
    metrics::Label labels[] = {{"table", t.name}};
    w.Sample("cruddur_dynamodb_table_items", labels, static_cast<double>(t.item_count));
  }
  w.Family("cruddur_dynamodb_table_size_bytes", "gauge",
           "Bytes of the table's items (approximate, as DescribeTable's TableSizeBytes).");
  for (const auto& t : tables) {
    metrics::Label labels[] = {{"table", t.name}};
    w.Sample("cruddur_dynamodb_table_size_bytes", labels, static_cast<double>(t.size_bytes));
  }
  ddb::StorageFigures s = engine_.Storage();
  if (!s.persistent) return;
  auto gauge = [&w](std::string_view name, std::string_view help, std::uint64_t value) {
    w.Family(name, "gauge", help);
    w.Sample(name, {}, static_cast<double>(value));
  };
  gauge("cruddur_rocksdb_memtable_bytes", "Bytes in RocksDB's memtables (active and immutable).",
        s.memtable_bytes);
  gauge("cruddur_rocksdb_live_sst_bytes", "Bytes of RocksDB's live SST files.", s.live_sst_bytes);
  gauge("cruddur_rocksdb_pending_compaction_bytes",
        "Bytes RocksDB estimates compaction must rewrite to settle its levels.",
        s.pending_compaction_bytes);
  gauge("cruddur_rocksdb_running_compactions", "RocksDB compactions running now.",
        s.running_compactions);
  // What an operator alerts on: writes refused until RocksDB recovers (logged as it happens).
  gauge("cruddur_rocksdb_writes_stopped",
        "1 while an I/O error (a full disk) has stopped writes, until RocksDB recovers from it.",
        s.writes_stopped ? 1 : 0);
  // With --fsync: the writes made over this count are the writes that share each sync.
  w.Family("cruddur_rocksdb_wal_syncs_total", "counter",
           "Syncs of RocksDB's write-ahead log to the disk (with --fsync).");
  w.Sample("cruddur_rocksdb_wal_syncs_total", {}, static_cast<double>(s.wal_syncs));
}

}  // namespace cruddur::wire
