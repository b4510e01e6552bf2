// The DynamoDB endpoint's GET /metrics: CloudWatch's DynamoDB metrics, per table and operation,
// as Prometheus families (metrics/metrics.h):
//   cruddur_dynamodb_requests_total                        every request, any outcome
//   cruddur_dynamodb_successful_request_latency_seconds   SuccessfulRequestLatency (histogram)
//   cruddur_dynamodb_user_errors_total                     UserErrors: 4xx, except the two below
//   cruddur_dynamodb_system_errors_total                   SystemErrors: 5xx
//   cruddur_dynamodb_conditional_check_failed_requests_total  ConditionalCheckFailedRequests
//   cruddur_dynamodb_throttled_requests_total              ThrottledRequests
//   cruddur_dynamodb_consumed_read_capacity_units_total    ConsumedReadCapacityUnits
//   cruddur_dynamodb_consumed_write_capacity_units_total   ConsumedWriteCapacityUnits
//   cruddur_dynamodb_returned_items_total                  ReturnedItemCount (Query, Scan)
// labelled {table, operation}: the table is one that exists ("" when the request named none or
// a missing one), the operation one the engine runs ("" otherwise), so the label sets stay
// bounded. Read when scraped: cruddur_dynamodb_table_items / _table_size_bytes per table, and
// RocksDB's memtable, SST, pending-compaction bytes and running compactions; with fault
// injection on (--faults), cruddur_dynamodb_injected_faults_total by kind.
#pragma once

#include <string>
#include <string_view>

#include "ddb/engine.h"
#include "metrics/metrics.h"

namespace cruddur::wire {

class FaultInjector;

class DynamoDbMetrics {
 public:
  // `engine` must outlive this: sizes are read from it when scraped.
  explicit DynamoDbMetrics(ddb::Engine& engine);

  struct Outcome {
    std::string_view operation;   // "" when not an operation the engine runs
    std::string_view error_type;  // DynamoDB's error type; "" on success
    int status = 200;
    double seconds = 0;
    const ddb::RequestStats* stats = nullptr;
  };
  // Thread-safe, lock-free once a thread has seen the table and operation.
  void Record(const Outcome& outcome);
  // Adds cruddur_dynamodb_injected_faults_total{kind} read from `faults` (which must outlive
  // this). Call before the first Render.
  void AddInjectedFaults(const FaultInjector& faults);
  // The text exposition.
  std::string Render() const { return registry_.Render(); }

  // Error types CloudWatch counts as ThrottledRequests rather than UserErrors.
  static bool IsThrottlingError(std::string_view type);

 private:
  struct PerOperation {
    metrics::Counter requests, user_errors, system_errors, conditional_check_failed, throttled;
    metrics::Counter read_units, write_units, returned_items;
    metrics::Histogram latency;
  };
  void WriteRequestFamilies(metrics::TextWriter& w) const;
  void WriteStorageFamilies(metrics::TextWriter& w) const;

  ddb::Engine& engine_;
  metrics::LabelledSet<PerOperation> by_operation_;  // {table, operation}
  metrics::Registry registry_;
};

}  // namespace cruddur::wire
