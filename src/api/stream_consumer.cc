#include "api/stream_consumer.h"

#include <fcntl.h>
#include <unistd.h>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "ddb/error.h"
#include "ddb/value_json.h"
#include "encoding/json.h"
#include "log/log.h"

namespace cruddur::api {
namespace {

using client::ParseResponse;
using encoding::StringMember;
using encoding::WriteJsonObject;
using encoding::WriteStringField;
using Writer = encoding::JsonTextWriter;

void WriteAll(int fd, const std::string& data, const std::string& what) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("cannot write " + what + ": " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

// --- checkpoints ---

std::string CheckpointToJson(const StreamCheckpoint& c) {
  return WriteJsonObject([&](Writer& w) {
    WriteStringField(w, "stream_arn", c.stream_arn);
    w.Key("shards");
    w.StartObject();
    for (const auto& [id, shard] : c.shards) {
      w.Key(id.c_str(), static_cast<rapidjson::SizeType>(id.size()));
      w.StartObject();
      WriteStringField(w, "sequence_number", shard.sequence_number);
      w.Key("finished");
      w.Bool(shard.finished);
      w.EndObject();
    }
    w.EndObject();
  });
}

StreamCheckpoint CheckpointFromJson(std::string_view json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("stream_arn") ||
      !d["stream_arn"].IsString() || !d.HasMember("shards") || !d["shards"].IsObject()) {
    throw std::runtime_error("not a stream checkpoint");
  }
  StreamCheckpoint c;
  c.stream_arn = d["stream_arn"].GetString();
  const rapidjson::Value& shards = d["shards"];  // const iterators (clang, C++20 ==)
  for (const auto& m : shards.GetObject()) {
    if (!m.value.IsObject()) throw std::runtime_error("not a stream checkpoint");
    ShardCheckpoint s;
    s.sequence_number = StringMember(m.value, "sequence_number");
    auto f = m.value.FindMember("finished");
    s.finished = f != m.value.MemberEnd() && f->value.IsBool() && f->value.GetBool();
    c.shards.emplace(m.name.GetString(), std::move(s));
  }
  return c;
}

StreamCheckpoint MemoryCheckpointStore::Load() {
  MutexLock lock(mutex_);
  return checkpoint_;
}

void MemoryCheckpointStore::Save(const StreamCheckpoint& checkpoint) {
  MutexLock lock(mutex_);
  checkpoint_ = checkpoint;
  ++saves_;
}

int MemoryCheckpointStore::saves() const {
  MutexLock lock(mutex_);
  return saves_;
}

StreamCheckpoint FileCheckpointStore::Load() {
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec)) return {};
  std::ifstream in(path_, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path_.string());
  std::stringstream text;
  text << in.rdbuf();
  try {
    return CheckpointFromJson(text.str());
  } catch (const std::exception& e) {
    throw std::runtime_error(path_.string() + ": " + e.what() +
                             " (delete it to re-read the stream from its beginning)");
  }
}

void FileCheckpointStore::Save(const StreamCheckpoint& checkpoint) {
  // Write a sibling, make it durable, then rename it over the old file: a crash leaves either
  // the old checkpoint or the new one.
  const std::string tmp = path_.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp + ": " + std::strerror(errno));
  try {
    WriteAll(fd, CheckpointToJson(checkpoint) + "\n", tmp);
    if (::fsync(fd) != 0)
      throw std::runtime_error("cannot sync " + tmp + ": " + std::strerror(errno));
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    throw std::runtime_error("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  std::filesystem::path dir = path_.parent_path().empty() ? "." : path_.parent_path();
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);  // best effort: the rename itself is already atomic
    ::close(dfd);
  }
}

FileCheckpointStore::~FileCheckpointStore() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // closing the description releases its lock
}

std::filesystem::path FileCheckpointStore::lock_path() const {
  std::filesystem::path p = path_;
  p += ".lock";
  return p;
}

void FileCheckpointStore::Lock(const std::string& holder) {
  if (lock_fd_ >= 0) return;
  const std::string path = lock_path().string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;  // l_start = l_len = 0: the whole file
  if (::fcntl(fd, F_OFD_SETLK, &lock) != 0) {
    int error = errno;
    if (error != EAGAIN && error != EACCES) {
      ::close(fd);
      throw std::runtime_error("cannot lock " + path + ": " + std::strerror(error));
    }
    // The holder wrote "<pid> <what>" right after taking the lock.
    char text[512];
    ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
    ::close(fd);
    std::string line(text, n > 0 ? static_cast<std::size_t>(n) : 0);
    line = line.substr(0, line.find('\n'));
    std::size_t space = line.find(' ');
    std::string who = "another process";
    if (space != std::string::npos && space > 0 && line.find_first_not_of("0123456789") == space) {
      who = "process " + line.substr(0, space) + " (" + line.substr(space + 1) + ")";
    }
    throw CheckpointLockedError("the stream checkpoint " + path_.string() + " is in use by " + who,
                                who);
  }
  std::string line = std::to_string(::getpid()) + " " + holder + "\n";
  try {
    if (::ftruncate(fd, 0) != 0) {
      throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
    }
    WriteAll(fd, line, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  lock_fd_ = fd;
}

// --- the consumer ---

StreamConsumer::StreamConsumer(client::DynamoDbClient& ddb, MessageStore& store,
                               CheckpointStore& checkpoints, StreamConsumerOptions options)
    : StreamConsumer(ddb, store.table(), checkpoints, nullptr, std::move(options)) {
  store_ = &store;
  handler_ = [this](const StreamBatch& batch, std::size_t& done) {
    for (const rapidjson::Value* record : batch.records) {
      if (ProcessRecord(*record)) ++messages_;
      ++done;
    }
  };
}

StreamConsumer::StreamConsumer(client::DynamoDbClient& ddb, std::string table,
                               CheckpointStore& checkpoints, RecordsHandler handler,
                               StreamConsumerOptions options)
    : ddb_(ddb),
      table_(std::move(table)),
      checkpoints_(checkpoints),
      handler_(std::move(handler)),
      options_(std::move(options)) {
  options_.batch_size = std::clamp(options_.batch_size, 1, 10000);
}

StreamConsumer::~StreamConsumer() { Stop(); }

void StreamConsumer::Log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    log::Warn("stream", line);
  }
}

StreamConsumer::Stats StreamConsumer::stats() const {
  return {records_.load(), messages_.load(),    moved_.load(),
          errors_.load(),  lag_records_.load(), lag_seconds_.load()};
}

void StreamConsumer::EnsureLoaded() {
  if (loaded_) return;
  checkpoint_ = checkpoints_.Load();
  loaded_ = true;
}

bool StreamConsumer::RefreshTopology() {
  auto table = ParseResponse(ddb_.Call("DescribeTable", WriteJsonObject([&](Writer& w) {
                                         WriteStringField(w, "TableName", table_);
                                       })));
  std::string arn;
  if (table.HasMember("Table")) arn = StringMember(table["Table"], "LatestStreamArn");
  if (arn.empty()) {
    if (!warned_no_stream_) {
      Log("table " + table_ +
          (store_ ? " has no stream: group items will not follow new messages "
                    "(enable a NEW_IMAGE stream on it)"
                  : " has no stream: nothing to read until one is enabled"));
      warned_no_stream_ = true;
    }
    shards_.clear();
    return false;
  }
  warned_no_stream_ = false;
  if (arn != checkpoint_.stream_arn) {
    if (!checkpoint_.stream_arn.empty()) Log("following the table's new stream " + arn);
    checkpoint_ = StreamCheckpoint{arn, {}};
    iterators_.clear();
    checkpoints_.Save(checkpoint_);
  }
  std::vector<Shard> shards;
  std::string start;
  do {
    start = DescribeShards(start, "", &shards);
  } while (!start.empty());
  shards_ = std::move(shards);
  ForgetUnlistedShards();
  return true;
}

std::string StreamConsumer::DescribeShards(const std::string& start, const std::string& parent,
                                           std::vector<Shard>* shards) {
  auto d = ParseResponse(ddb_.Call("Streams.DescribeStream", WriteJsonObject([&](Writer& w) {
                                     WriteStringField(w, "StreamArn", checkpoint_.stream_arn);
                                     if (!start.empty())
                                       WriteStringField(w, "ExclusiveStartShardId", start);
                                     if (!parent.empty()) {
                                       w.Key("ShardFilter");
                                       w.StartObject();
                                       WriteStringField(w, "Type", "CHILD_SHARDS");
                                       WriteStringField(w, "ShardId", parent);
                                       w.EndObject();
                                     }
                                   })));
  if (!d.HasMember("StreamDescription")) return {};
  const auto& desc = d["StreamDescription"];
  if (desc.HasMember("Shards") && desc["Shards"].IsArray()) {
    for (const auto& s : desc["Shards"].GetArray()) {
      shards->push_back({StringMember(s, "ShardId"), StringMember(s, "ParentShardId")});
    }
  }
  return StringMember(desc, "LastEvaluatedShardId");
}

void StreamConsumer::ForgetUnlistedShards() {
  // Shards trimmed away (24 hours after their records) are done with: their entries would
  // only grow the checkpoint.
  bool forgot = false;
  for (auto it = checkpoint_.shards.begin(); it != checkpoint_.shards.end();) {
    bool listed = std::any_of(shards_.begin(), shards_.end(),
                              [&](const Shard& s) { return s.id == it->first; });
    if (listed) {
      ++it;
    } else {
      iterators_.erase(it->first);
      it = checkpoint_.shards.erase(it);
      forgot = true;
    }
  }
  if (forgot) checkpoints_.Save(checkpoint_);
}

void StreamConsumer::DiscoverChildren(const std::string& parent) {
  // DescribeStream's ShardFilter lists just the children; a server without it (an error)
  // makes the next poll list every shard instead.
  std::vector<Shard> children;
  try {
    std::string start;
    do {
      start = DescribeShards(start, parent, &children);
    } while (!start.empty());
  } catch (const ddb::ApiError&) {
    next_refresh_ = {};
    return;
  } catch (const std::exception&) {
    next_refresh_ = {};  // found by the next full listing, after this poll's failure
    throw;
  }
  for (Shard& child : children) {
    bool known = std::any_of(shards_.begin(), shards_.end(),
                             [&](const Shard& s) { return s.id == child.id; });
    if (!known) shards_.push_back(std::move(child));
  }
}

bool StreamConsumer::ParentDone(const Shard& shard) const {
  if (shard.parent.empty()) return true;
  bool parent_listed = std::any_of(shards_.begin(), shards_.end(),
                                   [&](const Shard& s) { return s.id == shard.parent; });
  if (!parent_listed) return true;  // trimmed away: nothing left to read in it
  auto it = checkpoint_.shards.find(shard.parent);
  return it != checkpoint_.shards.end() && it->second.finished;
}

std::string StreamConsumer::NewIterator(const std::string& shard_id) {
  const ShardCheckpoint& cp = checkpoint_.shards[shard_id];
  auto d =
      ParseResponse(ddb_.Call("Streams.GetShardIterator", WriteJsonObject([&](Writer& w) {
                                WriteStringField(w, "StreamArn", checkpoint_.stream_arn);
                                WriteStringField(w, "ShardId", shard_id);
                                if (cp.sequence_number.empty()) {
                                  WriteStringField(w, "ShardIteratorType", "TRIM_HORIZON");
                                } else {
                                  WriteStringField(w, "ShardIteratorType", "AFTER_SEQUENCE_NUMBER");
                                  WriteStringField(w, "SequenceNumber", cp.sequence_number);
                                }
                              })));
  std::string it = StringMember(d, "ShardIterator");
  if (it.empty()) throw std::runtime_error("GetShardIterator returned no iterator");
  return it;
}

bool StreamConsumer::ProcessRecord(const rapidjson::Value& record) {
  if (StringMember(record, "eventName") == "REMOVE") return false;
  auto db = record.FindMember("dynamodb");
  if (db == record.MemberEnd() || !db->value.IsObject()) return false;
  const auto& data = db->value;
  auto keys = data.FindMember("Keys");
  ddb::Item key_item;
  if (keys != data.MemberEnd()) key_item = ddb::ParseItem(keys->value);
  auto pk = key_item.find("pk");
  if (pk == key_item.end() || pk->second.type != ddb::ValueType::kS ||
      !pk->second.bytes.starts_with("MSG#")) {
    return false;  // group items move too: their own records are ignored
  }
  ddb::Item image;
  auto new_image = data.FindMember("NewImage");
  if (new_image != data.MemberEnd()) {
    image = ddb::ParseItem(new_image->value);
  } else {
    // A KEYS_ONLY stream: read the message itself.
    auto got = ParseResponse(ddb_.Call("GetItem", WriteJsonObject([&](Writer& w) {
                                         WriteStringField(w, "TableName", table_);
                                         w.Key("Key");
                                         ddb::WriteItem(w, key_item);
                                         w.Key("ConsistentRead");
                                         w.Bool(true);
                                       })));
    if (!got.HasMember("Item")) return false;  // deleted since
    image = ddb::ParseItem(got["Item"]);
  }
  moved_ += static_cast<std::uint64_t>(store_->ApplyMessageItem(image));
  if (options_.on_message) {
    auto text = [&](const char* name) {
      auto it = image.find(name);
      return it != image.end() && it->second.type == ddb::ValueType::kS ? it->second.bytes
                                                                        : std::string();
    };
    std::string pk_text = text("pk");
    if (pk_text.starts_with("MSG#")) {
      options_.on_message(pk_text.substr(4), text("sk"), text("user_uuid"));
    }
  }
  return true;
}

void StreamConsumer::NoteRecordAge(const rapidjson::Value& stream_record) {
  auto it = stream_record.FindMember("ApproximateCreationDateTime");
  if (it == stream_record.MemberEnd() || !it->value.IsNumber()) return;
  double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  lag_seconds_ = std::max(0.0, now - it->value.GetDouble());
}

bool StreamConsumer::ReadRecords(const Shard& shard, int want,
                                 std::vector<rapidjson::Document>& pages, StreamBatch& batch) {
  ShardCheckpoint& cp = checkpoint_.shards[shard.id];
  for (int expired_retries = 0; static_cast<int>(batch.records.size()) < want;) {
    auto found = iterators_.find(shard.id);
    std::string iterator = found != iterators_.end() ? found->second : NewIterator(shard.id);
    iterators_.erase(shard.id);  // used up; the answer's NextShardIterator replaces it
    int limit = std::min(1000, want - static_cast<int>(batch.records.size()));
    std::string response;
    try {
      response = ddb_.Call("Streams.GetRecords", WriteJsonObject([&](Writer& w) {
                             WriteStringField(w, "ShardIterator", iterator);
                             w.Key("Limit");
                             w.Int(limit);
                           }));
    } catch (const ddb::ApiError& e) {
      if (e.type() == "ExpiredIteratorException" && expired_retries++ < 2) continue;
      if (e.type() == "TrimmedDataAccessException" && batch.records.empty()) {
        Log("stream records of shard " + shard.id + " after " + cp.sequence_number +
            " were trimmed before being processed; resuming at the oldest record left");
        cp.sequence_number.clear();
        checkpoints_.Save(checkpoint_);
        continue;
      }
      throw;
    }
    rapidjson::Document& d = pages.emplace_back(ParseResponse(response));
    std::size_t before = batch.records.size();
    if (d.HasMember("Records") && d["Records"].IsArray()) {
      for (const auto& record : d["Records"].GetArray()) batch.records.push_back(&record);
    }
    std::string next = StringMember(d, "NextShardIterator");
    if (next.empty()) return false;  // a closed shard read to its end
    iterators_[shard.id] = std::move(next);
    if (batch.records.size() == before) break;  // caught up
  }
  return true;
}

void StreamConsumer::Advance(ShardCheckpoint& cp, const StreamBatch& batch, std::size_t done) {
  for (std::size_t i = 0; i < done && i < batch.records.size(); ++i) {
    const rapidjson::Value& record = *batch.records[i];
    std::string seq;
    if (record.HasMember("dynamodb")) {
      seq = StringMember(record["dynamodb"], "SequenceNumber");
      NoteRecordAge(record["dynamodb"]);
    }
    if (!seq.empty()) cp.sequence_number = seq;
    ++records_;
    if (lag_records_ > 0) --lag_records_;
  }
}

int StreamConsumer::ReadShard(const Shard& shard, int budget) {
  int processed = 0;
  ShardCheckpoint* cp = &checkpoint_.shards[shard.id];
  while (processed < budget) {
    std::vector<rapidjson::Document> pages;  // own the records of `batch`
    StreamBatch batch{checkpoint_.stream_arn, shard.id, {}};
    bool open = ReadRecords(shard, std::min(options_.batch_size, budget - processed), pages, batch);
    lag_records_ = batch.records.size();  // fetched, not yet applied
    std::size_t done = 0;
    if (!batch.records.empty()) {
      try {
        handler_(batch, done);
      } catch (...) {
        // Keep what this batch already did; the next poll re-reads from the first record not done.
        Advance(*cp, batch, done);
        if (done > 0) checkpoints_.Save(checkpoint_);
        iterators_.erase(shard.id);
        throw;
      }
    }
    Advance(*cp, batch, done);
    processed += static_cast<int>(done);
    if (done < batch.records.size()) {
      if (done > 0) checkpoints_.Save(checkpoint_);
      iterators_.erase(shard.id);  // the rest again, from the checkpoint, on a later poll
      return processed;
    }
    if (!open) {
      cp->finished = true;  // a closed shard read to its end
      checkpoints_.Save(checkpoint_);
      DiscoverChildren(shard.id);  // readable now
      return processed;
    }
    if (done > 0) checkpoints_.Save(checkpoint_);
    if (batch.records.empty()) {  // caught up
      lag_seconds_ = 0;
      return processed;
    }
  }
  return processed;
}

int StreamConsumer::PollOnce(int max_records) {
  EnsureLoaded();
  auto now = std::chrono::steady_clock::now();
  if (checkpoint_.stream_arn.empty() || shards_.empty() || now >= next_refresh_) {
    try {
      if (!RefreshTopology()) {
        next_refresh_ = now + options_.topology_refresh;
        return 0;
      }
    } catch (const ddb::ApiError& e) {
      if (e.type() != "ResourceNotFoundException") throw;
      // No table (yet): nothing to follow.
      shards_.clear();
      return 0;
    }
    next_refresh_ = now + options_.topology_refresh;
  }
  int processed = 0;
  try {
    // By index and by copy: a shard read to its end adds its children to shards_, which are
    // read in this same poll.
    for (std::size_t i = 0; i < shards_.size() && processed < max_records; ++i) {
      Shard shard = shards_[i];
      if (checkpoint_.shards[shard.id].finished || !ParentDone(shard)) continue;
      processed += ReadShard(shard, max_records - processed);
    }
  } catch (const ddb::ApiError& e) {
    if (e.type() == "ResourceNotFoundException") {
      // The stream (or table) went away: start over from DescribeTable on the next poll.
      shards_.clear();
      iterators_.clear();
    }
    throw;
  }
  return processed;
}

void StreamConsumer::Start() {
  MutexLock lock(mutex_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void StreamConsumer::Stop() {
  {
    MutexLock lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void StreamConsumer::Run() {
  for (;;) {
    std::chrono::milliseconds wait{0};
    try {
      if (PollOnce(options_.batch_size * 10) == 0) wait = options_.idle_backoff;
    } catch (const ddb::ApiError& e) {
      ++errors_;
      iterators_.clear();  // re-read from the checkpoint
      Log("poll failed (retrying): " + e.type() + ": " + e.what());
      wait = options_.error_backoff;
    } catch (const std::exception& e) {
      ++errors_;
      iterators_.clear();
      Log(std::string("poll failed (retrying): ") + e.what());
      wait = options_.error_backoff;
    }
    MutexLock lock(mutex_);
    auto until = std::chrono::steady_clock::now() + wait;
    while (!stop_ && wait.count() > 0 && lock.WaitUntil(wake_, until)) {
      // woken early (a stop, or spuriously): wait on for the backoff
    }
    if (stop_) return;
  }
}

}  // namespace cruddur::api
