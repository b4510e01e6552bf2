// Injected faults (`--faults` on `ddb serve` and `serve`): rules that make chosen DynamoDB
// requests fail as DynamoDB can fail them, on demand and repeatably. A rule matches requests by
// operation, table and partition key prefix, applies a `Count` of times or with a seeded
// `Probability`, and does one thing: return a given error (DynamoDB's type, status and message),
// add latency, drop the connection after the write committed (the ambiguous outcome), or leave
// part of a batch unprocessed. Rules are managed through a control API at its own target on the
// DynamoDB endpoint (src/wire/README.md, "Fault injection"). Every injected fault is logged and
// counted.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/thread_annotations.h"

namespace cruddur::wire {

enum class FaultAction { kError, kLatency, kDropAfterCommit, kPartialBatch };

struct FaultRule {
  std::string id;                // "fault-1", ...
  std::string operation;         // "" matches every operation
  std::string table;             // "" matches every table
  std::string key_prefix;        // "" matches every item: a prefix of the partition key's value
  std::optional<int64_t> count;  // applications left; unset: no limit
  double probability = 1.0;
  uint64_t seed = 0;
  FaultAction action = FaultAction::kError;
  std::string error;       // kError: the DynamoDB error type
  std::string message;     // kError: the message ("" = DynamoDB's own for the type)
  int64_t latency_ms = 0;  // kLatency
  int64_t applied = 0;
  std::mt19937_64 random;  // seeded with `seed`: one draw per matching request
};

class FaultInjector {
 public:
  // The X-Amz-Target prefix of the control API: CruddurFaults_20261203.<Op>.
  static constexpr std::string_view kTargetPrefix = "CruddurFaults_20261203";

  // Runs one DynamoDB operation (`execute` runs it for real) with the rules applied: throws the
  // ddb::ApiError of an error rule before anything runs, sleeps for latency rules, withholds part
  // of a batch, and sets *drop_connection when the caller must drop the connection instead of
  // answering (the operation has run). `execute` also answers DescribeTable when a rule needs a
  // table's partition key name. Thread-safe.
  using Execute = std::function<std::string(std::string_view operation, std::string_view body)>;
  std::string Run(std::string_view operation, std::string_view body, const Execute& execute,
                  bool* drop_connection);

  // The control API: AddFaultRule, ListFaultRules, ClearFaultRules. Returns the JSON answer;
  // throws ddb::ApiError (ValidationException for a bad rule, UnknownOperationException).
  std::string Control(std::string_view operation, std::string_view body);

  // Faults injected since start, in all and by kind ("error:InternalServerError", "latency",
  // "drop_after_commit", "partial_batch"): for /metrics.
  uint64_t InjectedTotal() const;
  std::map<std::string, uint64_t> InjectedByKind() const;

 private:
  struct Decision {
    int64_t latency_ms = 0;
    std::optional<FaultRule> fault;  // the error/drop/partial rule that fired (a copy)
  };
  // The rules that fire for this request (counted and logged); `pks` gets the partition key
  // names of its tables when a rule has a key prefix.
  Decision Decide(std::string_view operation, std::string_view body, const Execute& execute,
                  std::map<std::string, std::string>* pks);

  std::atomic<size_t> rule_count_{0};  // requests skip everything while there is no rule
  mutable Mutex mu_;
  std::vector<FaultRule> rules_ GUARDED_BY(mu_);
  uint64_t next_id_ GUARDED_BY(mu_) = 1;
  std::map<std::string, uint64_t> injected_ GUARDED_BY(mu_);
};

}  // namespace cruddur::wire
