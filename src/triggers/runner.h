// Runs stream triggers (trigger.h) as Lambda's DynamoDB event source mapping runs a function:
//   - records are read in order, shard after shard (a child after its parent), by the same
//     reader as pattern D (api::StreamConsumer), from the trigger's own checkpoint, so a restart
//     resumes after the last record done: at least once, in order per partition key;
//   - FilterCriteria drops records no pattern matches (checkpointed with the rest);
//   - a batch holds up to BatchSize records (and at most 6 MB of event), and waits up to
//     MaximumBatchingWindowInSeconds to fill;
//   - a batch that fails is retried (backing off from 200 ms to 10 s), blocking its shard, until
//     it succeeds, MaximumRetryAttempts retries are spent, or its oldest record is older than
//     MaximumRecordAgeInSeconds; with BisectBatchOnFunctionError it is first split in halves
//     (which spends no retry) until the failing record is alone; a discarded batch is appended
//     to the on-failure file as one JSON line (trigger.h's OnFailureRecord);
//   - with ReportBatchItemFailures the handler's answer checkpoints the records before the
//     lowest sequence number it reports, and the batch is retried from there.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/stream_consumer.h"
#include "client/dynamodb_client.h"
#include "common/thread_annotations.h"
#include "triggers/invoke.h"
#include "triggers/trigger.h"

namespace cruddur::triggers {

struct RunnerOptions {
  // Added to a command handler's environment (when not set already), e.g. AWS_ENDPOINT_URL of
  // the server running it, so the handler can call DynamoDB back.
  std::map<std::string, std::string> handler_env;
  std::function<void(const std::string&)> log;  // default: stderr
  std::chrono::milliseconds poll_interval{200};
};

class TriggerRunner {
 public:
  struct Stats {
    std::uint64_t invocations = 0;
    std::uint64_t delivered = 0;  // records in batches that succeeded
    std::uint64_t filtered = 0;   // records dropped by FilterCriteria
    std::uint64_t discarded = 0;  // records given up on (sent to the on-failure file)
  };

  // `checkpoints` must outlive the runner; `handler` null: built from the definition.
  TriggerRunner(client::DynamoDbClient& ddb, TriggerDefinition definition,
                api::CheckpointStore& checkpoints, RunnerOptions options = {},
                std::unique_ptr<Handler> handler = nullptr);
  ~TriggerRunner();
  TriggerRunner(const TriggerRunner&) = delete;
  TriggerRunner& operator=(const TriggerRunner&) = delete;

  // One pass over what the stream holds now (REQUIRES: not started); returns records done.
  int PollOnce();
  void Start();
  void Stop();
  Stats stats() const;
  const TriggerDefinition& definition() const { return definition_; }

 private:
  // The retry state of one shard's head batch.
  struct ShardState {
    std::string attempt_key;  // first sequence number and size of the batch being retried
    int attempts = 0;         // failed invocations of it
    std::string bisect_end;   // while bisecting: the last record of the batch that failed
    std::size_t cap = 0;      // while bisecting: the batch size at most
    std::string window_seq;   // the first record of the batch waiting for its window
    std::chrono::steady_clock::time_point window_start{}, retry_at{};
    std::string last_error;
    int last_status = 0;
  };

  // One call's records as events, and whether the filter keeps each.
  struct Records {
    std::vector<EventRecord> events;
    std::vector<bool> match;
  };
  // The batch to deliver: matching records from the first, up to the size cap and 6 MB, within
  // the records being bisected.
  struct Batch {
    std::vector<const EventRecord*> items;
    std::vector<std::size_t> index;  // of each item in Records
    std::size_t end = 0;             // the index after the last item
    std::size_t cap = 0;
  };

  // The RecordsHandler: counts in `done` the leading records finished with.
  void Handle(const api::StreamBatch& batch, std::size_t& done);
  Records Prepare(const api::StreamBatch& batch) const;
  // Gives up on the records from `first` older than MaximumRecordAgeInSeconds; returns the
  // index after them (`first` when there are none).
  std::size_t DiscardExpired(const api::StreamBatch& batch, const Records& r, std::size_t first,
                             ShardState& st);
  Batch Collect(const Records& r, std::size_t first, const ShardState& st) const;
  // MaximumBatchingWindowInSeconds: true while a batch short of its size waits for more.
  bool AwaitWindow(ShardState& st, const Batch& b, std::chrono::steady_clock::time_point now) const;
  // After an invocation: how many records are done (success, partial success, bisection, retry).
  std::size_t Respond(const api::StreamBatch& batch, ShardState& st, Batch& b, std::size_t first,
                      Invocation result);
  // A failure spending a retry: discards the batch once they are spent.
  std::size_t Retry(const api::StreamBatch& batch, ShardState& st, const Batch& b,
                    std::size_t first);
  // Gives up on `records` (appending them to the on-failure file, if any).
  void Discard(const std::string& shard_id, const std::string& stream_arn,
               const std::vector<const EventRecord*>& records, const std::string& condition,
               const ShardState& state);
  void Log(const std::string& line) const;

  client::DynamoDbClient& ddb_;
  TriggerDefinition definition_;
  RunnerOptions options_;
  std::unique_ptr<Handler> handler_;
  std::map<std::string, ShardState> shards_;  // touched by the polling thread only
  std::atomic<std::uint64_t> invocations_{0}, delivered_{0}, filtered_{0}, discarded_{0};
  std::unique_ptr<api::StreamConsumer> reader_;
};

// Every trigger of a data dir, each with its own runner and locked checkpoint; follows
// triggers.json as `cruddur ddb trigger add/remove` change it (checked every second).
class TriggerManager {
 public:
  TriggerManager(client::DynamoDbClient& ddb, std::filesystem::path data_dir,
                 RunnerOptions options = {});
  ~TriggerManager();  // Stop()s
  // Starts the runners of the triggers defined now, and the thread that follows the file.
  // Returns how many run. Throws std::runtime_error for an unreadable triggers.json.
  int Start();
  void Stop();

 private:
  void Sync();  // starts new triggers, stops removed ones
  void Log(const std::string& line) const;

  struct Running {
    std::unique_ptr<api::FileCheckpointStore> checkpoints;
    std::unique_ptr<TriggerRunner> runner;
  };
  client::DynamoDbClient& ddb_;
  TriggerStore store_;
  RunnerOptions options_;
  std::map<std::string, Running> running_;  // by UUID; by Start, Stop and thread_, in turn
  std::filesystem::file_time_type seen_{};
  Mutex mutex_;
  std::condition_variable_any wake_;
  bool stop_ GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

// `cruddur ddb trigger add --starting-position LATEST`: moves the new trigger's checkpoint past
// every record the table's stream holds now. Returns how many records it skipped.
int CheckpointAtLatest(client::DynamoDbClient& ddb, const std::string& table,
                       api::CheckpointStore& checkpoints);

}  // namespace cruddur::triggers
