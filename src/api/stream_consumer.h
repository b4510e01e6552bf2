// Access pattern D without a Lambda: reads the messages table's DynamoDB stream through the same
// DynamoDbClient the rest of cruddur uses (embedded engine or any endpoint) and moves both
// members' group items to each new message (MessageStore::ApplyMessageItem). The same reader,
// given a RecordsHandler instead of a MessageStore, runs the stream triggers (src/triggers/).
//
// Unlike the original Lambda (original-system.md, section 8.9) it handles every record of a
// batch, never lets an older message overwrite a newer one (ApplyMessage's conditional moves),
// and checkpoints the last processed sequence number of each shard, so a restart resumes
// AFTER_SEQUENCE_NUMBER: nothing is skipped; a record may be applied twice only after a crash
// between applying it and saving the checkpoint, which is harmless (Apply is idempotent).
//
// Stream topology: DescribeTable -> LatestStreamArn -> DescribeStream (paged) -> shards; a child
// shard is read only after its parent is finished (no NextShardIterator), so per-group order is
// kept across shard splits and rotations. A finished shard's children are found at once with
// DescribeStream's ShardFilter (CHILD_SHARDS), and read from their start; the whole list is
// read again every topology_refresh, and checkpoint entries of shards it no longer has (trimmed
// away) are dropped. When the table's latest stream changes (stream re-enabled, table
// re-created), the consumer follows the new stream from its beginning.
#pragma once

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <rapidjson/document.h>

#include "client/dynamodb_client.h"
#include "common/thread_annotations.h"
#include "cruddur/messages.h"

namespace cruddur::api {

struct ShardCheckpoint {
  std::string sequence_number;  // the last record processed; "" = none yet
  bool finished = false;        // read to its end (a closed shard)
};

struct StreamCheckpoint {
  std::string stream_arn;                         // "" = no stream seen yet
  std::map<std::string, ShardCheckpoint> shards;  // by shard id
};

// Where the consumer keeps its position. Save() must be atomic: after a crash Load() returns
// either the previous or the new checkpoint, never a mix.
class CheckpointStore {
 public:
  virtual ~CheckpointStore() = default;
  virtual StreamCheckpoint Load() = 0;
  virtual void Save(const StreamCheckpoint& checkpoint) = 0;
};

class MemoryCheckpointStore : public CheckpointStore {
 public:
  StreamCheckpoint Load() override;
  void Save(const StreamCheckpoint& checkpoint) override;
  int saves() const;

 private:
  mutable Mutex mutex_;
  StreamCheckpoint checkpoint_ GUARDED_BY(mutex_);
  int saves_ GUARDED_BY(mutex_) = 0;
};

// FileCheckpointStore::Lock found the checkpoint held by another consumer.
class CheckpointLockedError : public std::runtime_error {
 public:
  CheckpointLockedError(const std::string& message, std::string holder)
      : std::runtime_error(message), holder_(std::move(holder)) {}
  // "process 1234 (cruddur serve)", or "another process" when the lock file names nobody.
  const std::string& holder() const { return holder_; }

 private:
  std::string holder_;
};

// A JSON file, e.g. <data-dir>/stream-checkpoint.json:
//   {"stream_arn": "...", "shards": {"<shard id>": {"sequence_number": "...", "finished": false}}}
// written to "<path>.tmp", fsynced, then renamed over the file (and the directory fsynced).
class FileCheckpointStore : public CheckpointStore {
 public:
  explicit FileCheckpointStore(std::filesystem::path path) : path_(std::move(path)) {}
  ~FileCheckpointStore() override;  // releases the lock
  FileCheckpointStore(const FileCheckpointStore&) = delete;
  FileCheckpointStore& operator=(const FileCheckpointStore&) = delete;

  // One checkpoint, one consumer: two would overwrite each other's position. Takes an exclusive
  // lock on "<path>.lock" for this store's lifetime — an open file description lock, so it
  // conflicts between stores of one process too and the kernel drops it when the holder dies —
  // and writes "<pid> <holder>" into that file (e.g. "1234 cruddur serve") for the message of
  // the consumer it refuses. The file stays after release: removing it would race with a
  // consumer that has just opened it. Throws CheckpointLockedError when another store holds the
  // lock, std::runtime_error when the lock file cannot be opened.
  void Lock(const std::string& holder);
  std::filesystem::path lock_path() const;
  // A missing file is an empty checkpoint. Throws std::runtime_error for an unreadable or
  // malformed file (rather than silently starting over).
  StreamCheckpoint Load() override;
  // Throws std::runtime_error with the reason when the file cannot be written.
  void Save(const StreamCheckpoint& checkpoint) override;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int lock_fd_ = -1;
};

std::string CheckpointToJson(const StreamCheckpoint& checkpoint);
// Throws std::runtime_error when `json` is not a checkpoint.
StreamCheckpoint CheckpointFromJson(std::string_view json);

// One shard's records, in stream order, as GetRecords returned them.
struct StreamBatch {
  std::string stream_arn;
  std::string shard_id;
  std::vector<const rapidjson::Value*> records;
};

// Handles a batch: counts in `done` the leading records it is finished with (they are
// checkpointed); the others are read again, from the first one not done, on a later poll (so a
// handler can wait for more records, or retry). When it throws, the `done` records before the
// failure are checkpointed and the exception ends the poll.
using RecordsHandler = std::function<void(const StreamBatch& batch, std::size_t& done)>;

struct StreamConsumerOptions {
  std::chrono::milliseconds idle_backoff{200};       // after a poll that found nothing
  std::chrono::milliseconds error_backoff{1000};     // after a failed poll
  std::chrono::milliseconds topology_refresh{5000};  // re-read the table's stream and shards
  int batch_size = 100;  // records per handler call (1-10000; GetRecords pages of 1000 at most)
  std::function<void(const std::string&)> log;  // default: stderr
  // Called after each message record is applied, with the message's group uuid, time (sort
  // key) and sender uuid — e.g. to invalidate caches and count unread messages. It may see a
  // record again after a restart or a failure (it throwing makes the batch be retried).
  std::function<void(const std::string& group_uuid, const std::string& sent_at,
                     const std::string& sender_uuid)>
      on_message;
};

class StreamConsumer {
 public:
  struct Stats {
    std::uint64_t records = 0;   // stream records processed (any kind)
    std::uint64_t messages = 0;  // message records applied
    std::uint64_t moved = 0;     // group items moved
    std::uint64_t errors = 0;    // failed polls
    // Records fetched from the stream and not yet applied (0 between batches).
    std::uint64_t lag_records = 0;
    // The age of the last record applied when it was applied (Lambda's IteratorAge); 0 once a
    // poll finds the shard caught up.
    double lag_seconds = 0;
  };

  // All references must outlive the consumer. The checkpoint is loaded on the first poll.
  StreamConsumer(client::DynamoDbClient& ddb, MessageStore& store, CheckpointStore& checkpoints,
                 StreamConsumerOptions options = {});
  // A reader of `table`'s stream that hands its records to `handler` (on_message is not used).
  StreamConsumer(client::DynamoDbClient& ddb, std::string table, CheckpointStore& checkpoints,
                 RecordsHandler handler, StreamConsumerOptions options = {});
  ~StreamConsumer();  // Stop()s
  StreamConsumer(const StreamConsumer&) = delete;
  StreamConsumer& operator=(const StreamConsumer&) = delete;

  // Reads what the stream holds now, every readable shard up to its current end, processing at
  // most `max_records` records; saves the checkpoint after every batch. Returns the number of
  // records processed. Throws (ddb::ApiError, http::TransportError, ...) when the stream or the
  // table cannot be read; what was processed before the failure is checkpointed.
  // REQUIRES: not running (Start()ed) — the background loop calls it itself.
  int PollOnce(int max_records = INT_MAX);

  // Runs PollOnce in a background thread until Stop(): idle_backoff after an empty poll,
  // error_backoff (logged) after a failure.
  void Start();
  // Stops the thread after its current batch. Idempotent.
  void Stop();

  Stats stats() const;

 private:
  struct Shard {
    std::string id;
    std::string parent;
  };

  void EnsureLoaded();
  // Re-reads the latest stream ARN and its shards; returns false when the table has no stream.
  bool RefreshTopology();
  // One DescribeStream page of the checkpoint's stream, from after `start` ("" = first), of the
  // children of `parent` only when not "" (ShardFilter CHILD_SHARDS): appends its shards,
  // returns its LastEvaluatedShardId.
  std::string DescribeShards(const std::string& start, const std::string& parent,
                             std::vector<Shard>* shards);
  // Drops checkpoint entries of shards no longer listed (trimmed away).
  void ForgetUnlistedShards();
  // Adds the children of a shard read to its end to shards_.
  void DiscoverChildren(const std::string& parent);
  bool ParentDone(const Shard& shard) const;
  // Reads one shard until caught up, finished, a batch not all done, or `budget` is spent;
  // returns records processed.
  int ReadShard(const Shard& shard, int budget);
  // Appends up to `want` records of the shard to `batch` (several GetRecords pages); returns false
  // when the shard is closed and read to its end.
  bool ReadRecords(const Shard& shard, int want, std::vector<rapidjson::Document>& pages,
                   StreamBatch& batch);
  // Moves the shard's checkpoint past the first `done` records of `batch`.
  void Advance(ShardCheckpoint& cp, const StreamBatch& batch, std::size_t done);
  std::string NewIterator(const std::string& shard_id);
  // Applies one record from GetRecords; returns true when it was a message.
  bool ProcessRecord(const rapidjson::Value& record);
  // Sets lag_seconds_ from the record's ApproximateCreationDateTime.
  void NoteRecordAge(const rapidjson::Value& stream_record);
  void Log(const std::string& line) const;
  void Run();

  client::DynamoDbClient& ddb_;
  MessageStore* store_ = nullptr;  // pattern D; null for a reader with its own handler
  std::string table_;
  CheckpointStore& checkpoints_;
  RecordsHandler handler_;
  StreamConsumerOptions options_;

  // Poll state: touched only by the thread that polls.
  bool loaded_ = false;
  StreamCheckpoint checkpoint_;
  std::vector<Shard> shards_;
  std::map<std::string, std::string> iterators_;  // shard id -> next iterator
  std::chrono::steady_clock::time_point next_refresh_{};
  bool warned_no_stream_ = false;

  std::atomic<std::uint64_t> records_{0}, messages_{0}, moved_{0}, errors_{0}, lag_records_{0};
  std::atomic<double> lag_seconds_{0};

  Mutex mutex_;
  std::condition_variable_any wake_;
  bool stop_ GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace cruddur::api
