#include "triggers/runner.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

namespace cruddur::triggers {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxEventBytes = 6 * 1024 * 1024;  // Lambda's synchronous payload limit

bool SeqLess(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// arn:aws:lambda:<region>:<account>:function:cruddur-trigger-<uuid>, from the stream's ARN.
std::string FunctionArn(const std::string& stream_arn, const std::string& uuid) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    std::size_t colon = stream_arn.find(':', start);
    if (colon == std::string::npos) break;
    parts.push_back(stream_arn.substr(start, colon - start));
    start = colon + 1;
  }
  std::string region = parts.size() > 3 ? parts[3] : "", account = parts.size() > 4 ? parts[4] : "";
  return "arn:aws:lambda:" + region + ":" + account + ":function:cruddur-trigger-" + uuid;
}

// Appends one line and syncs it: the records are checkpointed past right after.
void AppendLine(const std::string& path, const std::string& line) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  std::string text = line + "\n";
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string why = std::strerror(errno);
      ::close(fd);
      throw std::runtime_error("cannot write " + path + ": " + why);
    }
    done += static_cast<std::size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
}

std::unique_ptr<Handler> MakeHandler(const TriggerDefinition& t, const RunnerOptions& o) {
  std::chrono::seconds timeout(t.timeout_s);
  if (!t.command.empty())
    return std::make_unique<CommandHandler>(t.command, timeout, o.handler_env);
  return std::make_unique<UrlHandler>(t.url, timeout);
}

}  // namespace

TriggerRunner::TriggerRunner(client::DynamoDbClient& ddb, TriggerDefinition definition,
                             api::CheckpointStore& checkpoints, RunnerOptions options,
                             std::unique_ptr<Handler> handler)
    : ddb_(ddb),
      definition_(std::move(definition)),
      options_(std::move(options)),
      handler_(handler ? std::move(handler) : MakeHandler(definition_, options_)) {
  api::StreamConsumerOptions reader;
  reader.batch_size = definition_.batch_size;
  reader.idle_backoff = options_.poll_interval;
  reader.log = [this](const std::string& line) { Log(line); };
  reader_ = std::make_unique<api::StreamConsumer>(
      ddb_, definition_.table, checkpoints,
      [this](const api::StreamBatch& batch, std::size_t& done) { Handle(batch, done); }, reader);
}

TriggerRunner::~TriggerRunner() { Stop(); }

int TriggerRunner::PollOnce() { return reader_->PollOnce(); }
void TriggerRunner::Start() { reader_->Start(); }
void TriggerRunner::Stop() { reader_->Stop(); }

TriggerRunner::Stats TriggerRunner::stats() const {
  return {invocations_.load(), delivered_.load(), filtered_.load(), discarded_.load()};
}

void TriggerRunner::Log(const std::string& line) const {
  std::string text = "trigger " + definition_.uuid + " (" + definition_.table + "): " + line;
  if (options_.log) {
    options_.log(text);
  } else {
    std::fprintf(stderr, "cruddur %s\n", text.c_str());
  }
}

void TriggerRunner::Discard(const std::string& shard_id, const std::string& stream_arn,
                            const std::vector<const EventRecord*>& records,
                            const std::string& condition, const ShardState& state) {
  Log("gave up on " + std::to_string(records.size()) + " record(s) " +
      records.front()->sequence_number + ".." + records.back()->sequence_number + " (" + condition +
      (state.last_error.empty() ? "" : ": " + state.last_error) + ")" +
      (definition_.on_failure.empty() ? "; no on-failure destination: dropped"
                                      : "; recorded in " + definition_.on_failure));
  if (!definition_.on_failure.empty()) {
    FailureContext c;
    c.condition = condition;
    c.approximate_invoke_count = state.attempts;
    c.status_code = state.last_status;
    c.function_error = state.attempts > 0 ? "Unhandled" : "";
    c.error_message = state.last_error;
    c.function_arn = FunctionArn(stream_arn, definition_.uuid);
    c.shard_id = shard_id;
    c.stream_arn = stream_arn;
    AppendLine(definition_.on_failure, OnFailureRecord(c, records, NowMs()));
  }
  discarded_ += records.size();
}

TriggerRunner::Records TriggerRunner::Prepare(const api::StreamBatch& batch) const {
  Records r;
  r.events.reserve(batch.records.size());
  for (const rapidjson::Value* record : batch.records) {
    r.events.push_back(MakeEventRecord(*record, batch.stream_arn));
    bool matches = true;
    if (!definition_.filter.empty()) {
      rapidjson::Document d;  // as the handler would see it, eventSourceARN included
      d.Parse(r.events.back().json.c_str());
      matches = definition_.filter.Matches(d);
    }
    r.match.push_back(matches);
  }
  return r;
}

std::size_t TriggerRunner::DiscardExpired(const api::StreamBatch& batch, const Records& r,
                                          std::size_t first, ShardState& st) {
  if (definition_.maximum_record_age_s < 0) return first;
  double oldest_allowed = static_cast<double>(NowMs()) / 1000 - definition_.maximum_record_age_s;
  std::vector<const EventRecord*> expired;
  std::size_t upto = first;
  for (std::size_t i = first; i < r.events.size() && r.events[i].created_s < oldest_allowed; ++i) {
    if (r.match[i]) expired.push_back(&r.events[i]);
    upto = i + 1;
  }
  if (expired.empty()) return first;
  Discard(batch.shard_id, batch.stream_arn, expired, "RecordAgeExceeded", st);
  st = ShardState{};
  return upto;
}

TriggerRunner::Batch TriggerRunner::Collect(const Records& r, std::size_t first,
                                            const ShardState& st) const {
  Batch b;
  b.cap = st.cap ? st.cap : static_cast<std::size_t>(definition_.batch_size);
  b.end = first;
  std::size_t bytes = 0;
  for (std::size_t i = first; i < r.events.size() && b.items.size() < b.cap; ++i) {
    const EventRecord& e = r.events[i];
    if (!st.bisect_end.empty() && SeqLess(st.bisect_end, e.sequence_number)) break;
    if (!r.match[i]) continue;
    if (!b.items.empty() && bytes + e.json.size() + 16 > kMaxEventBytes) break;
    b.items.push_back(&e);
    b.index.push_back(i);
    bytes += e.json.size() + 1;
    b.end = i + 1;
  }
  return b;
}

bool TriggerRunner::AwaitWindow(ShardState& st, const Batch& b, Clock::time_point now) const {
  if (definition_.maximum_batching_window_s == 0 || b.items.size() >= b.cap ||
      !st.bisect_end.empty()) {
    st.window_seq.clear();
    return false;
  }
  if (st.window_seq != b.items.front()->sequence_number) {
    st.window_seq = b.items.front()->sequence_number;
    st.window_start = now;
  }
  if (now - st.window_start < std::chrono::seconds(definition_.maximum_batching_window_s)) {
    return true;
  }
  st.window_seq.clear();
  return false;
}

std::size_t TriggerRunner::Respond(const api::StreamBatch& batch, ShardState& st, Batch& b,
                                   std::size_t first, Invocation result) {
  st.last_status = result.status_code;
  std::size_t failed_at = b.items.size();  // the first item not done
  bool complete_failure = !result.ok;
  if (result.ok && definition_.report_batch_item_failures) {
    BatchResponse answer = ParseBatchResponse(result.response, b.items);
    if (answer.complete_failure) {
      complete_failure = true;
      result.error = "batchItemFailures names a record that is not in the batch (or none)";
    } else if (answer.first_failed) {
      failed_at = *answer.first_failed;
      result.error = "batchItemFailures reported " + b.items[failed_at]->sequence_number;
    }
  }
  if (!complete_failure && failed_at == b.items.size()) {
    delivered_ += b.items.size();
    st.attempts = 0;
    st.retry_at = {};
    return b.end;
  }
  st.last_error = result.error;
  if (complete_failure && definition_.bisect_batch_on_function_error && b.items.size() > 1) {
    // Split in two and retry the halves at once; this spends no retry.
    st.cap = (b.items.size() + 1) / 2;
    st.bisect_end = b.items.back()->sequence_number;
    Log("batch of " + std::to_string(b.items.size()) + " failed (" + result.error + "): bisecting");
    return first;
  }
  // Partial success: the records before the first failure are done; the rest is retried.
  if (failed_at > 0 && failed_at < b.items.size()) {
    delivered_ += failed_at;
    b.items.erase(b.items.begin(), b.items.begin() + static_cast<std::ptrdiff_t>(failed_at));
    first = b.index[failed_at];
    if (st.attempt_key != b.items.front()->sequence_number) {
      st.attempt_key = b.items.front()->sequence_number;
      st.attempts = 0;
    }
  }
  return Retry(batch, st, b, first);
}

std::size_t TriggerRunner::Retry(const api::StreamBatch& batch, ShardState& st, const Batch& b,
                                 std::size_t first) {
  ++st.attempts;
  if (definition_.maximum_retry_attempts >= 0 && st.attempts > definition_.maximum_retry_attempts) {
    Discard(batch.shard_id, batch.stream_arn, b.items, "RetryAttemptsExhausted", st);
    ShardState fresh;  // still bisecting, if it was
    fresh.cap = st.cap;
    fresh.bisect_end = st.bisect_end;
    st = fresh;
    return b.end;
  }
  auto backoff = std::chrono::milliseconds(200) * (1 << std::min(st.attempts - 1, 6));
  st.retry_at =
      Clock::now() + std::min<std::chrono::milliseconds>(backoff, std::chrono::seconds(10));
  Log("batch of " + std::to_string(b.items.size()) + " from " + b.items.front()->sequence_number +
      " failed (" + st.last_error + "); retry " + std::to_string(st.attempts));
  return first;
}

void TriggerRunner::Handle(const api::StreamBatch& batch, std::size_t& done) {
  ShardState& st = shards_[batch.shard_id];
  Records r = Prepare(batch);
  auto finish = [&](std::size_t upto) {
    for (std::size_t i = 0; i < upto; ++i) filtered_ += r.match[i] ? 0 : 1;
    done = upto;
  };
  std::size_t first = 0;  // records no pattern matches before it are done with
  while (first < r.events.size() && !r.match[first]) ++first;
  if (first == r.events.size()) return finish(first);
  const std::string& head = r.events[first].sequence_number;
  if (!st.bisect_end.empty() && SeqLess(st.bisect_end, head)) {
    st.bisect_end.clear();  // past the records that failed: whole batches again
    st.cap = 0;
  }
  if (st.attempt_key != head) {
    st.attempt_key = head;
    st.attempts = 0;
    st.last_error.clear();
  }
  if (std::size_t after = DiscardExpired(batch, r, first, st); after != first) {
    return finish(after);
  }
  auto now = Clock::now();
  if (now < st.retry_at) return finish(first);
  Batch b = Collect(r, first, st);
  if (AwaitWindow(st, b, now)) return finish(first);
  Invocation result = handler_->Invoke(BuildEvent(b.items));
  ++invocations_;
  finish(Respond(batch, st, b, first, std::move(result)));
}

// --- the manager ---

TriggerManager::TriggerManager(client::DynamoDbClient& ddb, std::filesystem::path data_dir,
                               RunnerOptions options)
    : ddb_(ddb), store_(std::move(data_dir)), options_(std::move(options)) {}

TriggerManager::~TriggerManager() { Stop(); }

void TriggerManager::Log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::fprintf(stderr, "cruddur triggers: %s\n", line.c_str());
  }
}

int TriggerManager::Start() {
  store_.Load();  // an unreadable file stops the start with its reason
  Sync();
  MutexLock lock(mutex_);
  stop_ = false;
  thread_ = std::thread([this] {
    for (;;) {
      {
        MutexLock wait(mutex_);
        auto until = Clock::now() + std::chrono::seconds(1);
        while (!stop_ && wait.WaitUntil(wake_, until)) {
        }
        if (stop_) return;
      }
      Sync();
    }
  });
  return static_cast<int>(running_.size());
}

void TriggerManager::Stop() {
  {
    MutexLock lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& [_, r] : running_) r.runner->Stop();
  running_.clear();
}

void TriggerManager::Sync() {
  std::error_code ec;
  auto mtime = std::filesystem::last_write_time(store_.path(), ec);
  if (ec) mtime = {};
  if (mtime == seen_ && mtime != std::filesystem::file_time_type{}) return;
  std::vector<TriggerDefinition> defined;
  try {
    defined = store_.Load();
  } catch (const std::exception& e) {
    Log(std::string(e.what()) + " (triggers keep running as they were)");
    return;
  }
  seen_ = mtime;
  for (auto it = running_.begin(); it != running_.end();) {
    bool kept = std::any_of(defined.begin(), defined.end(),
                            [&](const TriggerDefinition& t) { return t.uuid == it->first; });
    if (kept) {
      ++it;
      continue;
    }
    it->second.runner->Stop();
    Log("trigger " + it->first + " removed: stopped");
    it = running_.erase(it);
  }
  for (const TriggerDefinition& t : defined) {
    if (running_.contains(t.uuid)) continue;
    Running r;
    std::filesystem::create_directories(store_.CheckpointPath(t.uuid).parent_path(), ec);
    r.checkpoints = std::make_unique<api::FileCheckpointStore>(store_.CheckpointPath(t.uuid));
    try {
      r.checkpoints->Lock("trigger " + t.uuid);
      r.runner = std::make_unique<TriggerRunner>(ddb_, t, *r.checkpoints, options_);
    } catch (const std::exception& e) {
      Log("trigger " + t.uuid + " not started: " + e.what());
      continue;
    }
    r.runner->Start();
    Log("trigger " + t.uuid + " on " + t.table + " -> " + t.HandlerText());
    running_.emplace(t.uuid, std::move(r));
  }
}

int CheckpointAtLatest(client::DynamoDbClient& ddb, const std::string& table,
                       api::CheckpointStore& checkpoints) {
  api::StreamConsumerOptions options;
  options.batch_size = 10000;
  options.log = [](const std::string&) {};
  api::StreamConsumer skipper(
      ddb, table, checkpoints,
      [](const api::StreamBatch& batch, std::size_t& done) { done = batch.records.size(); },
      options);
  return skipper.PollOnce(INT_MAX);
}

}  // namespace cruddur::triggers
