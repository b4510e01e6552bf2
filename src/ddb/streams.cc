// DynamoDB Streams: stream records for item changes, and the Streams API (ListStreams,
// DescribeStream, GetShardIterator, GetRecords). A stream is closed (DISABLED) when UpdateTable
// disables it or enables a new one. Its records go to one open shard at a time: once that one
// reaches a rotation bound (options().stream_shard_max_records/_age), it closes and a child
// shard opens, as DynamoDB's shards roll over, so readers follow parent to child shards.
// Records live 24 hours (options().stream_retention); the background sweeper trims older ones
// and forgets closed shards left empty.
#include <fmt/format.h>

#include <algorithm>
#include <climits>

#include "ddb/engine_impl.h"
#include "ddb/error.h"
#include "ddb/value_json.h"

namespace cruddur::ddb {
namespace {

constexpr size_t kMaxRecordsBytes = 1024 * 1024;

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

ApiError TrimmedDataAccess() {
  return {400, "TrimmedDataAccessException", "The data you are trying to access has been trimmed."};
}

ApiError StreamNotFound(std::string_view arn) {
  return ApiError::ResourceNotFound(
      fmt::format("Requested resource not found: Stream: {} not found", arn));
}

void WriteKeySchemaList(JsonWriter& w, const KeySchema& k) {
  w.StartArray();
  for (int i = 0; i < (k.has_range() ? 2 : 1); ++i) {
    w.StartObject();
    WriteKey(w, "AttributeName");
    WriteString(w, i == 0 ? k.hash_name : k.range_name);
    WriteKey(w, "KeyType");
    WriteString(w, i == 0 ? "HASH" : "RANGE");
    w.EndObject();
  }
  w.EndArray();
}

void CheckLength(ConstraintErrors& errors, std::string_view field, std::string_view value,
                 size_t min, size_t max) {
  if (value.size() < min) {
    errors.Add(
        fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must have "
                    "length greater than or equal to {}",
                    value, field, min));
  } else if (value.size() > max) {
    errors.Add(
        fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must have "
                    "length less than or equal to {}",
                    value, field, max));
  }
}

// A string member the operation requires: absent is a null constraint error, and its length is
// held to [min, max].
std::optional<std::string_view> RequiredString(const Request& req, std::string_view member,
                                               std::string_view field, size_t min, size_t max,
                                               ConstraintErrors& errors) {
  auto value = req.String(member);
  if (!value)
    errors.NotNull(field);
  else
    CheckLength(errors, field, *value, min, max);
  return value;
}

}  // namespace

// --- state ---

void EngineImpl::LoadStreamState() {
  MutexLock lock(stream_mu_);
  if (auto v = storage_->Get(std::string(1, keyspace::kMeta) + "stream_seq")) {
    next_seq_ = std::max<uint64_t>(next_seq_, std::stoull(*v));
  }
  std::string prefix(1, streams::kStreamMetaSpace);
  auto it = storage_->NewIterator();
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view key = it->key();
    if (key.size() < 6) continue;
    StreamMeta m;
    for (size_t i = 1; i < 5; ++i) m.table_id = (m.table_id << 8) | static_cast<uint8_t>(key[i]);
    m.label = std::string(key.substr(5));
    if (!streams::DecodeStreamMeta(it->value(), &m)) continue;
    CountStreamRecords(m);
    stream_meta_[std::string(key)] = std::move(m);
  }
}

void EngineImpl::CountStreamRecords(StreamMeta& m) {
  std::string prefix = streams::StreamPrefix(m.table_id, m.label);
  auto it = storage_->NewIterator();
  it->SeekForPrev(keyspace::PrefixSuccessor(prefix));
  if (it->Valid() && it->key().starts_with(prefix) && it->key() != prefix) {
    m.last_seq = streams::SeqOfKey(it->key());
  }
  // The open shard's records, up to the bound that matters: whether it has any, or is full.
  uint64_t enough = std::max<uint64_t>(options_.stream_shard_max_records, 1);
  m.open_records = 0;
  for (it->Seek(streams::RecordKey(m.table_id, m.label, m.shards.back().start));
       it->Valid() && it->key().starts_with(prefix) && m.open_records < enough; it->Next()) {
    ++m.open_records;
  }
}

EngineImpl::StreamMeta& EngineImpl::EnsureStreamMetaLocked(uint32_t table_id,
                                                           const std::string& label,
                                                           std::string_view view_type,
                                                           storage::WriteBatch* batch) {
  std::string key = streams::MetaKey(table_id, label);
  auto it = stream_meta_.find(key);
  if (it != stream_meta_.end()) return it->second;
  StreamMeta m;
  m.table_id = table_id;
  m.label = label;
  m.view = streams::ViewTypeFromText(view_type);
  m.start_seq = next_seq_;
  // The first shard opened with the stream.
  auto created = static_cast<int64_t>(streams::LabelTime(label) * 1000);
  m.shards = {{next_seq_, 0, created > 0 ? created : NowMs(), 0}};
  std::string value = streams::EncodeStreamMeta(m);
  if (batch) {
    batch->Put(key, value);
  } else {
    storage::WriteBatch own;
    own.Put(key, value);
    storage_->Write(own);
  }
  return stream_meta_.emplace(key, std::move(m)).first->second;
}

bool EngineImpl::ShardDue(const StreamMeta& m, int64_t now_ms) const {
  if (m.open_records == 0) return false;  // an empty shard stays open: no shard is empty
  uint64_t max_records = options_.stream_shard_max_records;
  int64_t max_age = options_.stream_shard_max_age.count();
  return (max_records > 0 && m.open_records >= max_records) ||
         (max_age > 0 && now_ms - m.shards.back().created_ms >= max_age);
}

void EngineImpl::RotateShardLocked(StreamMeta& m, int64_t now_ms, storage::WriteBatch& batch) {
  uint64_t parent = m.shards.back().start;
  m.shards.back().end = m.last_seq;
  m.shards.push_back({next_seq_, 0, now_ms, parent});
  m.open_records = 0;
  batch.Put(streams::MetaKey(m.table_id, m.label), streams::EncodeStreamMeta(m));
}

void EngineImpl::RotateDueShards() {
  if (options_.stream_shard_max_age.count() <= 0) return;
  std::vector<std::string> enabled;  // meta keys of the tables' current streams
  {
    ReaderLock lock(tables_mu_);
    for (const auto& [_, t] : tables_) {
      auto schema = t->schema();
      if (schema->stream.enabled && !schema->stream_label.empty()) {
        enabled.push_back(streams::MetaKey(schema->id, schema->stream_label));
      }
    }
  }
  int64_t now = NowMs();
  MutexLock lock(stream_mu_);
  for (const std::string& key : enabled) {
    auto it = stream_meta_.find(key);
    if (it == stream_meta_.end() || !ShardDue(it->second, now)) continue;
    StreamMeta rotated = it->second;  // applied once written
    storage::WriteBatch batch;
    RotateShardLocked(rotated, now, batch);
    storage_->Write(batch);
    it->second = std::move(rotated);
  }
}

std::vector<std::pair<const ItemChange*, streams::Record>> EngineImpl::StreamRecordsFor(
    const std::vector<const ItemChange*>& changes, ChangeOrigin origin) const {
  std::vector<std::pair<const ItemChange*, streams::Record>> out;
  for (const ItemChange* c : changes) {
    const TableSchema& schema = *c->schema;
    if (!schema.stream.enabled || schema.stream_label.empty()) continue;
    if (!c->old_item && !c->new_item) continue;                                // delete of nothing
    if (c->old_item && c->new_item && *c->old_item == *c->new_item) continue;  // no change
    streams::Record r;
    r.event = !c->old_item  ? streams::EventName::kInsert
              : c->new_item ? streams::EventName::kModify
                            : streams::EventName::kRemove;
    r.view = streams::ViewTypeFromText(schema.stream.view_type);
    r.by_service = origin == ChangeOrigin::kTimeToLive;
    r.created_ms = NowMs();
    r.event_id = streams::NewEventId();
    r.keys = KeyOf(schema, nullptr, c->new_item ? *c->new_item : *c->old_item);
    bool new_image =
        r.view == streams::ViewType::kNewImage || r.view == streams::ViewType::kNewAndOldImages;
    bool old_image =
        r.view == streams::ViewType::kOldImage || r.view == streams::ViewType::kNewAndOldImages;
    if (new_image) r.new_image = c->new_item;
    if (old_image) r.old_image = c->old_item;
    out.emplace_back(c, std::move(r));
  }
  return out;
}

std::vector<EngineImpl::StreamInfo> EngineImpl::StreamsOf(
    const std::shared_ptr<const TableSchema>& schema, bool live) {
  std::vector<StreamInfo> out;
  MutexLock lock(stream_mu_);
  if (live && !schema->stream_label.empty()) {
    EnsureStreamMetaLocked(schema->id, schema->stream_label, schema->stream.view_type, nullptr);
  }
  std::string prefix = streams::TablePrefix(streams::kStreamMetaSpace, schema->id);
  for (auto it = stream_meta_.lower_bound(prefix);
       it != stream_meta_.end() && it->first.starts_with(prefix); ++it) {
    StreamInfo info;
    info.schema = schema;
    info.meta = it->second;
    info.enabled = live && schema->stream.enabled && it->second.label == schema->stream_label;
    info.arn = streams::FormatStreamArn(options_.region, options_.account_id, schema->name,
                                        it->second.label);
    out.push_back(std::move(info));
  }
  return out;
}

EngineImpl::StreamInfo EngineImpl::RequireStream(std::string_view arn) {
  auto parsed = streams::ParseStreamArn(arn);
  if (!parsed) throw ApiError::Validation(fmt::format("Invalid StreamArn: {}", arn));
  if (auto table = FindTable(parsed->table_name)) {
    for (auto& info : StreamsOf(table->schema(), /*live=*/true)) {
      if (info.meta.label == parsed->label) return info;
    }
  }
  for (const RetiredTable& retired : RetiredTables()) {
    if (retired.schema->name != parsed->table_name) continue;
    for (auto& info : StreamsOf(retired.schema, /*live=*/false)) {
      if (info.meta.label == parsed->label) return info;
    }
  }
  throw StreamNotFound(arn);
}

std::optional<EngineImpl::RetiredTable> EngineImpl::RetireTable(const TableSchema& schema,
                                                                storage::WriteBatch& batch,
                                                                bool ensure_stream) {
  if (schema.stream_label.empty()) return std::nullopt;
  if (ensure_stream) {
    // The latest stream has metadata even if no record was ever written to it.
    MutexLock lock(stream_mu_);
    EnsureStreamMetaLocked(schema.id, schema.stream_label, schema.stream.view_type, &batch);
  }
  double now = EpochSeconds();
  batch.Put(keyspace::RetiredTableKey(schema.id),
            fmt::format("{}|{}", now, SerializeSchema(schema)));
  return RetiredTable{std::make_shared<const TableSchema>(schema), now};
}

void EngineImpl::AddRetiredTable(std::optional<RetiredTable> retired) {
  if (!retired) return;
  MutexLock lock(retired_mu_);
  uint32_t id = retired->schema->id;
  retired_tables_[id] = std::move(*retired);
}

std::vector<EngineImpl::RetiredTable> EngineImpl::RetiredTables() {
  std::vector<RetiredTable> out;
  MutexLock lock(retired_mu_);
  for (const auto& [_, retired] : retired_tables_) out.push_back(retired);
  return out;
}

void EngineImpl::LoadRetiredTables() {
  MutexLock lock(retired_mu_);
  std::string prefix(1, keyspace::kRetiredTable);
  auto it = storage_->NewIterator();
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view value = it->value();
    size_t bar = value.find('|');
    if (bar == std::string_view::npos) continue;
    try {
      RetiredTable retired;
      retired.deleted_at = std::stod(std::string(value.substr(0, bar)));
      retired.schema =
          std::make_shared<const TableSchema>(DeserializeSchema(value.substr(bar + 1)));
      retired_tables_[retired.schema->id] = std::move(retired);
    } catch (const std::exception& e) {
      // A record that cannot be read keeps nothing from opening: its streams are forgotten.
      fmt::print(stderr, "cruddur: a deleted table's stream record cannot be read: {}\n", e.what());
    }
  }
}

uint64_t EngineImpl::TrimmedSeqLocked(const StreamMeta& m) const {
  // The latest trim point: the caller's copy of the metadata may be older.
  auto it = stream_meta_.find(streams::MetaKey(m.table_id, m.label));
  return it == stream_meta_.end() ? m.trimmed_seq : it->second.trimmed_seq;
}

// --- ListStreams ---

void EngineImpl::ListStreams(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  auto table_name = req.String("TableName");
  if (table_name) errors.CheckName("tableName", *table_name);
  auto limit = LimitParam(req, 100, errors);
  auto start = req.String("ExclusiveStartStreamArn");
  if (start) CheckLength(errors, "exclusiveStartStreamArn", *start, 37, 1024);
  errors.ThrowIfAny();
  if (start && !streams::ParseStreamArn(*start)) {
    throw ApiError::Validation(fmt::format("Invalid ExclusiveStartStreamArn: {}", *start));
  }

  std::vector<StreamInfo> all;
  // Deleted tables' streams are listed too, DISABLED, while DynamoDB keeps them.
  for (const RetiredTable& retired : RetiredTables()) {
    if (table_name && retired.schema->name != *table_name) continue;
    for (auto& info : StreamsOf(retired.schema, /*live=*/false)) all.push_back(std::move(info));
  }
  std::vector<std::shared_ptr<Table>> tables;
  if (table_name) {
    auto t = FindTable(*table_name);
    if (!t && all.empty()) throw TableNotFound(*table_name);
    if (t) tables.push_back(std::move(t));
  } else {
    tables = AllTables();
  }
  for (const auto& t : tables) {
    for (auto& info : StreamsOf(t->schema(), /*live=*/true)) all.push_back(std::move(info));
  }
  std::sort(all.begin(), all.end(),
            [](const StreamInfo& a, const StreamInfo& b) { return a.arn < b.arn; });

  size_t max = limit ? static_cast<size_t>(*limit) : 100;
  w.StartObject();
  WriteKey(w, "Streams");
  w.StartArray();
  size_t n = 0;
  std::string last;
  bool more = false;
  for (const auto& info : all) {
    if (start && info.arn <= *start) continue;
    if (n == max) {
      more = true;
      break;
    }
    w.StartObject();
    WriteKey(w, "StreamArn");
    WriteString(w, info.arn);
    WriteKey(w, "TableName");
    WriteString(w, info.schema->name);
    WriteKey(w, "StreamLabel");
    WriteString(w, info.meta.label);
    w.EndObject();
    last = info.arn;
    ++n;
  }
  w.EndArray();
  if (more) {
    WriteKey(w, "LastEvaluatedStreamArn");
    WriteString(w, last);
  }
  w.EndObject();
}

// --- DescribeStream ---

namespace {

// The index of the stream's shard `id`; nullopt when it has no such shard (or no longer).
std::optional<size_t> FindShard(const streams::StreamMeta& m, std::string_view id) {
  for (size_t i = 0; i < m.shards.size(); ++i) {
    if (streams::ShardId(m.shards[i].start, m.label) == id) return i;
  }
  return std::nullopt;
}

// A closed shard's EndingSequenceNumber (its last record); nullopt while it is open. The last
// shard of a disabled stream is closed too, at the stream's last record.
std::optional<uint64_t> ShardEnding(const streams::StreamMeta& m, size_t i, bool enabled) {
  if (i + 1 < m.shards.size()) return m.shards[i].end;
  if (enabled) return std::nullopt;
  return std::max(m.shards[i].start, m.last_seq);
}

ApiError ShardNotFound(std::string_view id) {
  return ApiError::ResourceNotFound(
      fmt::format("Requested resource not found: Shard does not exist: {}", id));
}

// ShardFilter {Type: CHILD_SHARDS, ShardId}: the parent shard whose children to list. Both
// members are optional in DynamoDB's model, but a filter lacking one names no children.
std::optional<std::string> ParseShardFilter(const Request& req, ConstraintErrors& errors) {
  const JsonValue* filter = req.Object("ShardFilter");
  if (!filter) return std::nullopt;
  auto type = Request::StringOf(*filter, "Type");
  auto shard = Request::StringOf(*filter, "ShardId");
  if (type) errors.CheckEnum("shardFilter.type", *type, {"CHILD_SHARDS"});
  if (shard) CheckLength(errors, "shardFilter.shardId", *shard, 28, 65);
  errors.ThrowIfAny();
  if (!type) throw ApiError::Validation("ShardFilter must have a Type: CHILD_SHARDS");
  if (!shard) throw ApiError::Validation("ShardFilter of Type CHILD_SHARDS must have a ShardId");
  return std::string(*shard);
}

void WriteShard(JsonWriter& w, const streams::StreamMeta& m, size_t i, bool enabled) {
  const streams::Shard& shard = m.shards[i];
  w.StartObject();
  WriteKey(w, "ShardId");
  WriteString(w, streams::ShardId(shard.start, m.label));
  WriteKey(w, "SequenceNumberRange");
  w.StartObject();
  WriteKey(w, "StartingSequenceNumber");
  WriteString(w, streams::SeqText(shard.start));
  if (auto ending = ShardEnding(m, i, enabled)) {
    WriteKey(w, "EndingSequenceNumber");
    WriteString(w, streams::SeqText(*ending));
  }
  w.EndObject();
  if (shard.parent != 0) {
    WriteKey(w, "ParentShardId");
    WriteString(w, streams::ShardId(shard.parent, m.label));
  }
  w.EndObject();
}

}  // namespace

void EngineImpl::DescribeStream(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  auto arn = RequiredString(req, "StreamArn", "streamArn", 37, 1024, errors);
  auto limit = LimitParam(req, 100, errors);
  auto start_shard = req.String("ExclusiveStartShardId");
  if (start_shard) CheckLength(errors, "exclusiveStartShardId", *start_shard, 28, 65);
  std::optional<std::string> parent = ParseShardFilter(req, errors);
  errors.ThrowIfAny();

  StreamInfo info = RequireStream(*arn);
  const StreamMeta& m = info.meta;
  // The shards to list, oldest first (shard ids sort as their start sequence numbers).
  std::vector<size_t> listed;
  std::optional<size_t> parent_index;
  if (parent && !(parent_index = FindShard(m, *parent))) throw ShardNotFound(*parent);
  for (size_t i = 0; i < m.shards.size(); ++i) {
    if (parent_index && m.shards[i].parent != m.shards[*parent_index].start) continue;
    if (start_shard && streams::ShardId(m.shards[i].start, m.label) <= *start_shard) continue;
    listed.push_back(i);
  }
  size_t max = limit ? static_cast<size_t>(*limit) : 100;

  w.StartObject();
  WriteKey(w, "StreamDescription");
  w.StartObject();
  WriteKey(w, "StreamArn");
  WriteString(w, info.arn);
  WriteKey(w, "StreamLabel");
  WriteString(w, m.label);
  WriteKey(w, "StreamStatus");
  WriteString(w, info.enabled ? "ENABLED" : "DISABLED");
  WriteKey(w, "StreamViewType");
  WriteString(w, streams::ViewTypeText(m.view));
  WriteKey(w, "CreationRequestDateTime");
  w.Double(streams::LabelTime(m.label));
  WriteKey(w, "TableName");
  WriteString(w, info.schema->name);
  WriteKey(w, "KeySchema");
  WriteKeySchemaList(w, info.schema->key);
  WriteKey(w, "Shards");
  w.StartArray();
  for (size_t n = 0; n < listed.size() && n < max; ++n) WriteShard(w, m, listed[n], info.enabled);
  w.EndArray();
  if (listed.size() > max) {
    WriteKey(w, "LastEvaluatedShardId");
    WriteString(w, streams::ShardId(m.shards[listed[max - 1]].start, m.label));
  }
  w.EndObject();
  w.EndObject();
}

// --- GetShardIterator ---

void EngineImpl::GetShardIterator(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  auto arn = RequiredString(req, "StreamArn", "streamArn", 37, 1024, errors);
  auto shard = RequiredString(req, "ShardId", "shardId", 28, 65, errors);
  auto type = req.String("ShardIteratorType");
  if (!type) {
    errors.NotNull("shardIteratorType");
  } else {
    errors.CheckEnum("shardIteratorType", *type,
                     {"TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"});
  }
  auto seq_text = req.String("SequenceNumber");
  if (seq_text) CheckLength(errors, "sequenceNumber", *seq_text, 21, 40);
  errors.ThrowIfAny();
  bool needs_seq = *type == "AT_SEQUENCE_NUMBER" || *type == "AFTER_SEQUENCE_NUMBER";
  if (needs_seq && !seq_text) {
    throw ApiError::Validation(
        fmt::format("Must specify a SequenceNumber with ShardIteratorType {}", *type));
  }
  if (!needs_seq && seq_text) {
    throw ApiError::Validation(
        fmt::format("Cannot specify a SequenceNumber with ShardIteratorType {}", *type));
  }
  std::optional<uint64_t> seq;
  if (seq_text) {
    seq = streams::ParseSeq(*seq_text);
    if (!seq) throw ApiError::Validation(fmt::format("Invalid SequenceNumber: {}", *seq_text));
  }

  StreamInfo info = RequireStream(*arn);
  auto index = FindShard(info.meta, *shard);
  if (!index) throw ShardNotFound(*shard);
  const streams::Shard& found = info.meta.shards[*index];
  std::optional<uint64_t> ending = ShardEnding(info.meta, *index, info.enabled);
  if (seq && (*seq < found.start || (ending && *seq > *ending))) {
    throw ApiError::Validation(
        fmt::format("Invalid SequenceNumber {} for shard {}: it is not a sequence number of "
                    "that shard",
                    *seq_text, *shard));
  }
  streams::ShardIterator it{info.arn, 0, NowMs(), found.start};
  {
    MutexLock lock(stream_mu_);
    uint64_t trimmed = TrimmedSeqLocked(info.meta);
    if (*type == "TRIM_HORIZON") {
      it.position = std::max(found.start, trimmed + 1);
    } else if (*type == "LATEST") {
      it.position = ending ? *ending + 1 : next_seq_;
    } else {
      if (*seq <= trimmed) throw TrimmedDataAccess();
      it.position = *type == "AT_SEQUENCE_NUMBER" ? *seq : *seq + 1;
    }
  }
  w.StartObject();
  WriteKey(w, "ShardIterator");
  WriteString(w, streams::FormatIterator(it));
  w.EndObject();
}

// --- GetRecords ---

namespace {

void WriteStreamRecord(JsonWriter& w, const streams::Record& r, uint64_t seq, size_t size,
                       const std::string& region) {
  w.StartObject();
  WriteKey(w, "eventID");
  WriteString(w, r.event_id);
  WriteKey(w, "eventName");
  WriteString(w, streams::EventNameText(r.event));
  WriteKey(w, "eventVersion");
  WriteString(w, "1.1");
  WriteKey(w, "eventSource");
  WriteString(w, "aws:dynamodb");
  WriteKey(w, "awsRegion");
  WriteString(w, region);
  WriteKey(w, "dynamodb");
  w.StartObject();
  WriteKey(w, "ApproximateCreationDateTime");
  w.Int64(r.created_ms / 1000);
  WriteKey(w, "Keys");
  WriteItem(w, r.keys);
  if (r.new_image) {
    WriteKey(w, "NewImage");
    WriteItem(w, *r.new_image);
  }
  if (r.old_image) {
    WriteKey(w, "OldImage");
    WriteItem(w, *r.old_image);
  }
  WriteKey(w, "SequenceNumber");
  WriteString(w, streams::SeqText(seq));
  WriteKey(w, "SizeBytes");
  w.Uint64(size);
  WriteKey(w, "StreamViewType");
  WriteString(w, streams::ViewTypeText(r.view));
  w.EndObject();
  if (r.by_service) {
    WriteKey(w, "userIdentity");
    w.StartObject();
    WriteKey(w, "PrincipalId");
    WriteString(w, "dynamodb.amazonaws.com");
    WriteKey(w, "Type");
    WriteString(w, "Service");
    w.EndObject();
  }
  w.EndObject();
}

// The index of the iterator's shard: the one it names, or (an iterator of version 1) the last
// one starting at or before its position.
std::optional<size_t> IteratorShard(const streams::StreamMeta& m,
                                    const streams::ShardIterator& it) {
  for (size_t i = m.shards.size(); i-- > 0;) {
    if (it.shard_start != 0 ? m.shards[i].start == it.shard_start
                            : m.shards[i].start <= it.position) {
      return i;
    }
  }
  return std::nullopt;
}

}  // namespace

void EngineImpl::GetRecords(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  auto text = RequiredString(req, "ShardIterator", "shardIterator", 1, 2048, errors);
  auto limit = LimitParam(req, 1000, errors);
  errors.ThrowIfAny();
  auto iterator = streams::ParseIterator(*text);
  if (!iterator) throw ApiError::Validation("Invalid ShardIterator");
  int64_t now = NowMs();
  if (now - iterator->issued_ms > options_.shard_iterator_lifetime.count()) {
    throw ApiError(400, "ExpiredIteratorException",
                   "The provided iterator exceeds the maximum age allowed.");
  }
  // The stream's shards are read before the records: a shard seen closed has all its records
  // stored (rotation and numbering happen under stream_mu_, the latter through the write).
  StreamInfo info = RequireStream(iterator->arn);
  {
    MutexLock lock(stream_mu_);
    if (iterator->position <= TrimmedSeqLocked(info.meta)) throw TrimmedDataAccess();
  }
  auto index = IteratorShard(info.meta, *iterator);
  if (!index && iterator->shard_start < info.meta.shards.front().start) {
    throw TrimmedDataAccess();  // its shard was trimmed away with its last records
  }
  if (!index) throw ApiError::Validation("Invalid ShardIterator");
  std::optional<uint64_t> ending = ShardEnding(info.meta, *index, info.enabled);
  uint64_t stop = *index + 1 < info.meta.shards.size() ? *ending + 1 : UINT64_MAX;

  size_t max = limit ? static_cast<size_t>(*limit) : 1000;
  std::string prefix = streams::StreamPrefix(info.meta.table_id, info.meta.label);
  auto it = storage_->NewIterator();
  it->Seek(streams::RecordKey(info.meta.table_id, info.meta.label, iterator->position));
  uint64_t next = iterator->position;
  size_t count = 0, bytes = 0;
  auto in_shard = [&] {
    return it->Valid() && it->key().starts_with(prefix) && streams::SeqOfKey(it->key()) < stop;
  };
  w.StartObject();
  WriteKey(w, "Records");
  w.StartArray();
  for (; in_shard(); it->Next()) {
    if (count == max || bytes >= kMaxRecordsBytes) break;
    streams::Record r;
    if (!streams::DecodeRecord(it->value(), &r)) {
      throw ApiError::InternalServer("corrupt stream record in storage");
    }
    uint64_t seq = streams::SeqOfKey(it->key());
    size_t size = streams::RecordSize(r);
    WriteStreamRecord(w, r, seq, size, options_.region);
    next = seq + 1;
    ++count;
    bytes += size;
  }
  bool at_end = !in_shard();
  w.EndArray();
  // A closed shard read to its end has no next iterator: that is how readers learn it is done
  // (and go on to its child).
  if (!ending || !at_end) {
    WriteKey(w, "NextShardIterator");
    uint64_t shard_start = info.meta.shards[*index].start;
    WriteString(w, streams::FormatIterator({info.arn, next, now, shard_start}));
  }
  w.EndObject();
}

// --- retention ---

void EngineImpl::TrimStreams() {
  int64_t cutoff = NowMs() - options_.stream_retention.count();
  std::vector<StreamMeta> metas;
  {
    MutexLock lock(stream_mu_);
    for (const auto& [_, m] : stream_meta_) metas.push_back(m);
  }
  // Tables are read after the metadata: a stream whose table is missing now was deleted.
  std::map<uint32_t, std::shared_ptr<const TableSchema>> schemas;
  {
    ReaderLock lock(tables_mu_);
    for (const auto& [_, t] : tables_) {
      auto s = t->schema();
      schemas[s->id] = s;
    }
  }
  // A deleted table's streams are kept for the retention period after its deletion.
  std::map<uint32_t, double> retired_at;
  for (const RetiredTable& retired : RetiredTables()) {
    retired_at[retired.schema->id] = retired.deleted_at;
  }
  for (const StreamMeta& m : metas) {
    std::string prefix = streams::StreamPrefix(m.table_id, m.label);
    auto schema = schemas.find(m.table_id);
    auto retired = retired_at.find(m.table_id);
    bool table_gone =
        schema == schemas.end() &&
        (retired == retired_at.end() || retired->second * 1000 < static_cast<double>(cutoff));
    bool current = schema != schemas.end() && schema->second->stream.enabled &&
                   schema->second->stream_label == m.label;
    storage::WriteBatch batch;
    uint64_t trimmed = m.trimmed_seq;
    bool records_left = false;
    auto it = storage_->NewIterator();
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      streams::Record r;
      bool old = !streams::DecodeRecord(it->value(), &r) || r.created_ms < cutoff;
      if (!old && !table_gone) {
        records_left = true;
        break;
      }
      batch.Delete(it->key());
      trimmed = std::max(trimmed, streams::SeqOfKey(it->key()));
    }
    // A closed stream with nothing left, created before the retention window, is forgotten.
    bool forget = table_gone || (!current && !records_left &&
                                 streams::LabelTime(m.label) * 1000 < static_cast<double>(cutoff));
    bool prune = m.shards.size() > 1 && m.shards.front().end <= trimmed;
    if (batch.empty() && !forget && !prune) continue;
    MutexLock lock(stream_mu_);
    std::string key = streams::MetaKey(m.table_id, m.label);
    auto entry = stream_meta_.find(key);
    if (entry == stream_meta_.end()) continue;
    if (forget && !current) {
      batch.Delete(key);
      storage_->Write(batch);
      stream_meta_.erase(entry);
    } else {
      StreamMeta updated = entry->second;
      updated.trimmed_seq = trimmed;
      // Closed shards whose records are all trimmed are no longer listed (their children
      // still name them as parent, as DynamoDB's do).
      auto& shards = updated.shards;
      while (shards.size() > 1 && shards.front().end <= trimmed) shards.erase(shards.begin());
      batch.Put(key, streams::EncodeStreamMeta(updated));
      storage_->Write(batch);
      entry->second = std::move(updated);
    }
  }
  // A deleted table is forgotten with its last stream.
  for (const auto& [id, deleted_at] : retired_at) {
    std::string prefix = streams::TablePrefix(streams::kStreamMetaSpace, id);
    {
      MutexLock lock(stream_mu_);
      auto it = stream_meta_.lower_bound(prefix);
      if (it != stream_meta_.end() && it->first.starts_with(prefix)) continue;
    }
    storage::WriteBatch batch;
    batch.Delete(keyspace::RetiredTableKey(id));
    storage_->Write(batch);
    MutexLock lock(retired_mu_);
    retired_tables_.erase(id);
  }
}

}  // namespace cruddur::ddb
