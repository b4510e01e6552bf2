#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <unordered_map>

#include "ddb/engine_impl.h"
#include "ddb/error.h"
#include "ddb/item_codec.h"
#include "ddb/key_codec.h"
#include "ddb/ops/table_request.h"
#include "ddb/partiql/partiql.h"
#include "ddb/shape_validator.h"
#include "ddb/table_arn.h"
#include "ddb/value_json.h"
#include "log/log.h"

namespace cruddur::ddb {

std::unique_ptr<Engine> Engine::Open(const EngineOptions& options) {
  std::unique_ptr<storage::Storage> store;
  if (options.in_memory) {
    store = storage::OpenMemoryStorage();
  } else {
    std::filesystem::create_directories(options.data_dir);
    store = storage::OpenRocksDbStorage(
        options.data_dir,
        storage::Options{.fsync = options.fsync, .deferred_wal = options.deferred_wal});
  }
  auto engine = std::make_unique<EngineImpl>(options, std::move(store));
  engine->StartBackground();
  return engine;
}

EngineImpl::EngineImpl(EngineOptions options, std::unique_ptr<storage::Storage> storage)
    : options_(std::move(options)),
      clock_(options_.clock ? options_.clock : SteadyClock()),
      storage_(std::move(storage)) {
  throttle_settings_.burst_seconds = options_.burst_seconds;
  LoadRetiredTables();
  LoadCatalog();
  OpenDataFormat();
  LoadStreamState();
  transfers();  // exports and imports of an earlier run (an interrupted import's table goes)
  LoadBackups();
}

EngineImpl::~EngineImpl() {
  StopBackupWork();
  StopTransfers();
  {
    MutexLock lock(background_mu_);
    stopping_ = true;
  }
  background_cv_.notify_all();
  if (background_.joinable()) background_.join();
  stats_stop_ = true;
  if (stats_thread_.joinable()) stats_thread_.join();
}

void EngineImpl::StartBackground() {
  if (options_.ttl_sweep_interval.count() <= 0 || background_.joinable()) return;
  background_ = std::thread([this] { BackgroundLoop(); });
}

void EngineImpl::BackgroundLoop() {
  MutexLock lock(background_mu_);
  // A failed duty (I/O error, corrupt item) is retried on the next tick; it must not take the
  // server down.
  const std::pair<std::string_view, std::function<void()>> duties[] = {
      {"TTL sweep", [this] { SweepExpiredItems(); }},
      {"stream trim", [this] { TrimStreams(); }},
      {"stream shard rotation", [this] { RotateDueShards(); }},
      {"finishing table deletions", [this] { FinishDeletedTables(); }},
      {"point-in-time recovery trim", [this] { TrimRecoveryLogs(); }}};
  for (;;) {
    auto tick = std::chrono::steady_clock::now() + options_.ttl_sweep_interval;
    while (!stopping_ && lock.WaitUntil(background_cv_, tick)) {
      // woken early (a stop, or spuriously): wait on for the tick
    }
    if (stopping_) return;
    lock.Unlock();
    for (const auto& [what, duty] : duties) {
      try {
        duty();
      } catch (const std::exception& e) {
        log::Error("engine", std::string(what) + " failed", {{"reason", e.what()}});
      }
    }
    lock.Lock();
  }
}

namespace {
using Handler = void (EngineImpl::*)(const Request&, JsonWriter&);

// The request stats of the calling thread (RequestStatsScope), and whether the operation it runs
// now writes (its capacity is write capacity).
thread_local RequestStats* t_request_stats = nullptr;
thread_local bool t_writing = false;

// The operations whose request validation refuses another region's table ARN (CheckTableArnRegion).
bool ValidatesArnRegion(std::string_view operation) {
  return operation == "DescribeTable" || operation == "DescribeTimeToLive" ||
         operation == "DescribeContinuousBackups" || operation == "DescribeContributorInsights" ||
         operation == "UpdateContinuousBackups";
}

bool IsWriteOperation(std::string_view operation) {
  return operation == "PutItem" || operation == "UpdateItem" || operation == "DeleteItem" ||
         operation == "BatchWriteItem" || operation == "TransactWriteItems";
}

const std::unordered_map<std::string_view, Handler>& Handlers() {
  static const std::unordered_map<std::string_view, Handler> kHandlers = {
      {"CreateTable", &EngineImpl::CreateTable},
      {"DeleteTable", &EngineImpl::DeleteTable},
      {"DescribeTable", &EngineImpl::DescribeTable},
      {"ListTables", &EngineImpl::ListTables},
      {"UpdateTable", &EngineImpl::UpdateTable},
      {"DescribeEndpoints", &EngineImpl::DescribeEndpoints},
      {"DescribeLimits", &EngineImpl::DescribeLimits},
      {"TagResource", &EngineImpl::TagResource},
      {"UntagResource", &EngineImpl::UntagResource},
      {"ListTagsOfResource", &EngineImpl::ListTagsOfResource},
      {"PutItem", &EngineImpl::PutItem},
      {"GetItem", &EngineImpl::GetItem},
      {"UpdateItem", &EngineImpl::UpdateItem},
      {"DeleteItem", &EngineImpl::DeleteItem},
      {"Query", &EngineImpl::Query},
      {"Scan", &EngineImpl::Scan},
      {"BatchGetItem", &EngineImpl::BatchGetItem},
      {"BatchWriteItem", &EngineImpl::BatchWriteItem},
      {"TransactWriteItems", &EngineImpl::TransactWriteItems},
      {"TransactGetItems", &EngineImpl::TransactGetItems},
      {"UpdateTimeToLive", &EngineImpl::UpdateTimeToLive},
      {"DescribeTimeToLive", &EngineImpl::DescribeTimeToLive},
      {"UpdateContributorInsights", &EngineImpl::UpdateContributorInsights},
      {"DescribeContributorInsights", &EngineImpl::DescribeContributorInsights},
      {"ListContributorInsights", &EngineImpl::ListContributorInsights},
      {"ExportTableToPointInTime", &EngineImpl::ExportTableToPointInTime},
      {"DescribeExport", &EngineImpl::DescribeExport},
      {"ListExports", &EngineImpl::ListExports},
      {"ImportTable", &EngineImpl::ImportTable},
      {"DescribeImport", &EngineImpl::DescribeImport},
      {"ListImports", &EngineImpl::ListImports},
      {"PutResourcePolicy", &EngineImpl::PutResourcePolicy},
      {"GetResourcePolicy", &EngineImpl::GetResourcePolicy},
      {"DeleteResourcePolicy", &EngineImpl::DeleteResourcePolicy},
      {"CreateBackup", &EngineImpl::CreateBackup},
      {"DescribeBackup", &EngineImpl::DescribeBackup},
      {"ListBackups", &EngineImpl::ListBackups},
      {"DeleteBackup", &EngineImpl::DeleteBackup},
      {"RestoreTableFromBackup", &EngineImpl::RestoreTableFromBackup},
      {"UpdateContinuousBackups", &EngineImpl::UpdateContinuousBackups},
      {"DescribeContinuousBackups", &EngineImpl::DescribeContinuousBackups},
      {"RestoreTableToPointInTime", &EngineImpl::RestoreTableToPointInTime},
      {"Streams.ListStreams", &EngineImpl::ListStreams},
      {"Streams.DescribeStream", &EngineImpl::DescribeStream},
      {"Streams.GetShardIterator", &EngineImpl::GetShardIterator},
      {"Streams.GetRecords", &EngineImpl::GetRecords},
      {"Cruddur.DescribeTableStats", &EngineImpl::DescribeTableStats},
  };
  return kHandlers;
}

// PartiQL statements become the operations of the table, run through Execute (they take the raw
// request, not a parsed one).
using PartiqlOp = std::string (*)(const partiql::Executor&, std::string_view);
const std::unordered_map<std::string_view, PartiqlOp>& PartiqlHandlers() {
  static const std::unordered_map<std::string_view, PartiqlOp> kPartiql = {
      {"ExecuteStatement", &partiql::ExecuteStatement},
      {"BatchExecuteStatement", &partiql::BatchExecuteStatement},
      {"ExecuteTransaction", &partiql::ExecuteTransaction}};
  return kPartiql;
}

// Marks the thread's operation as a write (or not) until the scope ends; nested operations
// (PartiQL's) restore the outer one's.
class WritingScope {
 public:
  explicit WritingScope(std::string_view operation) : previous_(t_writing) {
    t_writing = IsWriteOperation(operation);
  }
  ~WritingScope() { t_writing = previous_; }

 private:
  bool previous_;
};
}  // namespace

RequestStatsScope::RequestStatsScope(RequestStats& stats) : previous_(t_request_stats) {
  t_request_stats = &stats;
}
RequestStatsScope::~RequestStatsScope() { t_request_stats = previous_; }

void RecordThrottledRequest() {
  if (t_request_stats != nullptr) t_request_stats->throttled = true;
}

bool EngineImpl::KnowsOperation(std::string_view operation) const {
  return Handlers().contains(operation) || PartiqlHandlers().contains(operation);
}

std::string Engine::ExecuteParsed(std::string_view operation, const Request& request) {
  return Execute(operation, request.body());
}

std::string EngineImpl::ExecuteParsed(std::string_view operation, const Request& req) {
  const auto& handlers = Handlers();
  auto it = handlers.find(operation);
  // PartiQL statements take the text.
  if (it == handlers.end()) return Execute(operation, req.body());
  WritingScope writing(operation);
  return Run(it->second, operation, req);
}

std::string EngineImpl::Run(Handler handler, std::string_view operation, const Request& req) {
  ValidateShape(operation, req.root());
  if (ValidatesArnRegion(operation)) {
    if (auto name = req.String("TableName")) CheckTableArnRegion(*name, options_.region);
  }
  Authorize(operation, req);
  // A Query/Scan page is typically a few KB: start there rather than growing from 256 bytes
  // through eight reallocations (the buffer is only allocated on the first write).
  JsonBuffer buf(nullptr, 8192);
  JsonWriter w(buf);
  (this->*handler)(req, w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string EngineImpl::Execute(std::string_view operation, std::string_view request_json) {
  const auto& handlers = Handlers();
  auto it = handlers.find(operation);
  WritingScope writing(operation);
  if (it == handlers.end()) {
    const auto& partiql_handlers = PartiqlHandlers();
    auto p = partiql_handlers.find(operation);
    if (p == partiql_handlers.end()) {
      if (auto answer = LegacyGlobalTables(operation, request_json)) return *answer;
      if (auto refusal = UnsupportedFeature(operation)) throw ApiError::Validation(*refusal);
      throw ApiError::UnknownOperation();
    }
    {
      Request req(request_json);
      ValidateShape(operation, req.root());
    }
    partiql::Executor execute = [this](std::string_view op, std::string_view json) {
      return Execute(op, json);
    };
    PartiqlScope statement;  // its operations are authorized as its dynamodb:PartiQL* actions
    return p->second(execute, request_json);
  }
  Request req(request_json);
  return Run(it->second, operation, req);
}

// --- catalog ---

void EngineImpl::LoadCatalog() {
  // Only the constructor calls this; the locks cost nothing and keep the analysis whole.
  MutexLock catalog(catalog_mu_);
  WriterLock tables(tables_mu_);
  auto it = storage_->NewIterator();
  std::string prefix(1, keyspace::kCatalog);
  double now = EpochSeconds();
  std::vector<uint32_t> deleting;  // delayed DeleteTables: their data may be left
  std::vector<std::shared_ptr<TableSchema>> finished;  // ... and those whose delay has passed
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    auto schema = std::make_shared<TableSchema>(DeserializeSchema(it->value()));
    next_table_id_ = std::max(next_table_id_, schema->id + 1);
    if (schema->transient_status == "DELETING") deleting.push_back(schema->id);
    if (schema->DeletedBy(now)) {
      finished.push_back(std::move(schema));
      continue;
    }
    std::string name = schema->name;
    tables_[name] = std::make_shared<Table>(std::move(schema));
  }
  it.reset();
  for (uint32_t id : deleting) DeleteTableData(id);
  if (!finished.empty()) {
    storage::WriteBatch batch;
    std::vector<std::optional<RetiredTable>> retired;
    for (const auto& schema : finished) {
      batch.Delete(keyspace::CatalogKey(schema->name));
      retired.push_back(RetireTable(*schema, batch, /*ensure_stream=*/false));
    }
    storage_->Write(batch);
    for (auto& r : retired) AddRetiredTable(std::move(r));
  }
  std::string meta_key = std::string(1, keyspace::kMeta) + "next_table_id";
  if (auto v = storage_->Get(meta_key)) {
    next_table_id_ = std::max<uint32_t>(next_table_id_, static_cast<uint32_t>(std::stoul(*v)));
  }
}

void EngineImpl::OpenDataFormat() {
  if (auto format = storage_->Get(keyspace::FormatKey())) {
    if (*format == keyspace::kFormatVersion) return;
    throw std::runtime_error(fmt::format(
        "the data dir is in data format {}, which this cruddur cannot read (it reads format {}): "
        "use the cruddur that wrote it, or a newer one",
        *format, keyspace::kFormatVersion));
  }
  MigrateFormat1();
  storage::WriteBatch batch;
  batch.Put(keyspace::FormatKey(), keyspace::kFormatVersion);
  storage_->Write(batch);
}

void EngineImpl::MigrateFormat1() {
  // Format 1: 0x02 <table id: 4> <index id: 1> <FNV hash: 2> <partition key> <rest of the key>.
  constexpr size_t kHeader = 1 + 4 + 1 + 2;
  std::unordered_map<uint32_t, std::shared_ptr<const TableSchema>> by_id;
  {
    ReaderLock lock(tables_mu_);
    for (const auto& [_, table] : tables_) by_id[table->schema()->id] = table->schema();
  }
  const std::string old_prefix(1, keyspace::kDataFormat1);
  auto it = storage_->NewIterator();
  storage::WriteBatch batch;
  size_t moved = 0, dropped = 0;
  for (it->Seek(old_prefix); it->Valid() && it->key().starts_with(old_prefix); it->Next()) {
    const std::string_view key = it->key();
    batch.Delete(key);
    std::optional<ValueType> hash_type;
    uint32_t table_id = 0;
    uint8_t index_id = 0;
    if (key.size() > kHeader) {
      for (size_t i = 1; i <= 4; ++i) table_id = table_id << 8 | static_cast<uint8_t>(key[i]);
      index_id = static_cast<uint8_t>(key[5]);
      auto schema = by_id.find(table_id);
      if (schema != by_id.end()) {
        if (index_id == 0) hash_type = schema->second->key.hash_type;
        for (const auto& index : schema->second->indexes) {
          if (index.id == index_id) hash_type = index.key.hash_type;
        }
      }
    }
    const std::string_view rest = hash_type ? key.substr(kHeader) : std::string_view();
    std::string_view partition = rest;
    AttributeValue hash_value;
    if (hash_type && DecodeKeyValue(*hash_type, &partition, &hash_value)) {
      std::string new_key = keyspace::IndexPrefix(table_id, index_id);
      AppendEncodedKey(EncodedKey{.partition_hash = PartitionKeyHash(hash_value)}, &new_key);
      new_key.append(rest);
      batch.Put(new_key, it->value());
      ++moved;
    } else {
      ++dropped;
    }
    if (batch.size() >= 1000) {
      storage_->Write(batch);
      batch = storage::WriteBatch();
    }
  }
  if (!batch.empty()) storage_->Write(batch);
  if (moved + dropped > 0) {
    log::Info(
        "engine",
        fmt::format("migrated the data dir to data format {} (DynamoDB's scan order)",
                    keyspace::kFormatVersion),
        {{"moved", static_cast<uint64_t>(moved)}, {"dropped", static_cast<uint64_t>(dropped)}});
  }
}

void EngineImpl::SaveSchema(const TableSchema& schema) {
  storage::WriteBatch batch;
  batch.Put(keyspace::CatalogKey(schema.name), SerializeSchema(schema));
  batch.Put(std::string(1, keyspace::kMeta) + "next_table_id", std::to_string(next_table_id_));
  storage_->Write(batch);
}

void EngineImpl::ChangeSchema(Table& table, const std::function<void(TableSchema&)>& change) {
  // A table being restored enters the stored catalog only whole (FinishRestore).
  if (table.schema()->transient_until == kRestoringUntil) {
    throw TableInUse("CREATING", table.schema()->name);
  }
  auto schema = std::make_shared<TableSchema>(*table.schema());
  change(*schema);
  SaveSchema(*schema);
  table.set_schema(schema);
}

std::string_view EngineImpl::ResolveTableName(std::string_view name_or_arn) const {
  if (!name_or_arn.starts_with("arn:")) return name_or_arn;
  ArnTarget target = ParseResourceArn(name_or_arn, options_.region, options_.account_id);
  if (target.stream) {
    throw ApiError::Validation(
        fmt::format("Invalid TableArn: Invalid ResourceArn provided as input {}", name_or_arn));
  }
  return target.table;
}

namespace {

bool RestoreInProgress(const TableSchema& schema) {
  return schema.restore && schema.StatusAt(EpochSeconds()) == "CREATING";
}

}  // namespace

std::shared_ptr<Table> EngineImpl::FindSettledTable(std::string_view name) {
  auto table = FindTable(name);
  if (!table || RestoreInProgress(*table->schema())) return nullptr;
  return table;
}

std::optional<std::string> EngineImpl::RestoringInto(std::string_view name) {
  auto table = FindTable(name);
  if (!table) return std::nullopt;
  auto schema = table->schema();
  if (!RestoreInProgress(*schema)) return std::nullopt;
  return schema->restore->source_backup_arn;
}

ApiError EngineImpl::TableNotFound(std::string_view name_or_arn) const {
  return ApiError::ResourceNotFound(fmt::format("Requested resource not found: Table: {} not found",
                                                ResolveTableName(name_or_arn)));
}

std::vector<std::shared_ptr<Table>> EngineImpl::AllTables() {
  std::vector<std::shared_ptr<Table>> tables;
  ReaderLock lock(tables_mu_);
  for (const auto& [_, t] : tables_) tables.push_back(t);
  return tables;
}

std::shared_ptr<Table> EngineImpl::FindTable(std::string_view name) {
  std::shared_ptr<Table> table;
  std::string_view table_name = ResolveTableName(name);
  {
    ReaderLock lock(tables_mu_);
    auto it = tables_.find(table_name);
    if (it == tables_.end()) return nullptr;
    table = it->second;
  }
  auto schema = table->schema();
  NoteRequestTable(schema->name);
  // A delayed DeleteTable ends at the first look after its delay (or the background sweep).
  if (!schema->transient_status.empty() && schema->DeletedBy(EpochSeconds())) {
    FinishDeleting(table);
    return nullptr;
  }
  return table;
}

std::shared_ptr<Table> EngineImpl::RequireTable(std::string_view name) {
  auto t = FindTable(name);
  if (!t) throw ApiError::ResourceNotFound("Requested resource not found");
  // Reads and writes need an ACTIVE (or UPDATING) table: DynamoDB answers them as for a missing
  // table while it is being created, and (as dynalite) once its deletion has begun.
  if (auto schema = t->schema(); !schema->transient_status.empty()) {
    std::string_view status = schema->StatusAt(EpochSeconds());
    if (status == "CREATING" || status == "DELETING") {
      throw ApiError::ResourceNotFound("Requested resource not found");
    }
  }
  return t;
}

double EngineImpl::TransientUntil(double now) const {
  return now + static_cast<double>(options_.transient_status_delay.count()) / 1000.0;
}

void EngineImpl::FinishDeleting(const std::shared_ptr<Table>& table) {
  WriterLock lock(tables_mu_);
  auto it = tables_.find(table->schema()->name);
  if (it == tables_.end() || it->second != table) return;  // finished by another thread
  storage::WriteBatch batch;
  batch.Delete(keyspace::CatalogKey(it->first));
  auto retired = RetireTable(*table->schema(), batch, /*ensure_stream=*/true);
  storage_->Write(batch);
  AddRetiredTable(std::move(retired));
  tables_.erase(it);
}

void EngineImpl::FinishDeletedTables() {
  double now = EpochSeconds();
  std::vector<std::shared_ptr<Table>> finished;
  {
    ReaderLock lock(tables_mu_);
    for (const auto& [_, t] : tables_) {
      if (t->schema()->DeletedBy(now)) finished.push_back(t);
    }
  }
  for (const auto& t : finished) FinishDeleting(t);
}

void EngineImpl::EnsureStats(Table& table) {
  if (table.stats_known()) return;
  std::call_once(stats_once_, [this] {
    stats_thread_ = std::thread([this] {
      for (const auto& t : AllTables()) {
        if (stats_stop_) return;
        try {
          CountStats(*t);
        } catch (const std::exception& e) {
          log::Error("engine", "counting items failed",
                     {{"table", t->schema()->name}, {"reason", e.what()}});
        }
      }
    });
  });
}

void EngineImpl::CountStats(Table& table) {
  if (table.stats_known()) return;
  auto schema = table.schema();
  std::vector<TableStats> stats(256);
  std::string prefix = keyspace::IndexPrefix(schema->id, 0);
  prefix.pop_back();  // every index of the table
  auto it = storage_->NewIterator();
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (stats_stop_) return;
    auto index_id = static_cast<uint8_t>(it->key()[prefix.size()]);
    Item item;
    if (!DecodeItem(it->value(), &item)) continue;
    stats[index_id].item_count++;
    stats[index_id].size_bytes += static_cast<int64_t>(ItemSize(item));
  }
  table.SetStats(std::move(stats));
}

// --- items ---

std::optional<Item> EngineImpl::LoadItem(const std::string& storage_key) {
  auto bytes = storage_->Get(storage_key);
  if (!bytes) return std::nullopt;
  Item item;
  if (!DecodeItem(*bytes, &item)) throw ApiError::InternalServer("corrupt item in storage");
  return item;
}

std::optional<size_t> EngineImpl::LoadItemSize(const std::string& storage_key) {
  auto bytes = storage_->Get(storage_key);
  if (!bytes) return std::nullopt;
  size_t size = 0;
  if (!EncodedItemSize(*bytes, &size)) throw ApiError::InternalServer("corrupt item in storage");
  return size;
}

void EngineImpl::LoadOldItems(const std::vector<ItemChange*>& changes,
                              const std::vector<bool>& attributes) {
  std::vector<std::string_view> keys;
  keys.reserve(changes.size());
  for (const ItemChange* c : changes) keys.push_back(c->storage_key);
  storage_->MultiRead(keys, [&](size_t i, std::string_view bytes) {
    ItemChange& c = *changes[i];
    bool ok = true;
    if (attributes[i]) {
      ok = DecodeItem(bytes, &c.old_item.emplace());
    } else {
      ok = EncodedItemSize(bytes, &c.old_size.emplace());
    }
    if (!ok) throw ApiError::InternalServer("corrupt item in storage");
  });
}

void EngineImpl::AddChange(const ItemChange& c, storage::WriteBatch* batch, Capacity* capacity) {
  const TableSchema& schema = *c.schema;
  if (c.new_item) {
    batch->Put(c.storage_key, EncodeItem(*c.new_item));
  } else if (c.had_old()) {
    batch->Delete(c.storage_key);
  }
  for (const auto& index : schema.indexes) {
    std::optional<std::string> old_key, new_key;
    if (c.old_item) old_key = IndexStorageKey(schema, index, *c.old_item);
    if (c.new_item) new_key = IndexStorageKey(schema, index, *c.new_item);
    if (!old_key && !new_key) continue;
    double units = 0;
    if (old_key && old_key != new_key) {
      batch->Delete(*old_key);
      // Deleting an entry costs what writing it did: its size in 1 KB units.
      units += WriteUnits(ItemSize(ProjectIntoIndex(schema, index, *c.old_item)));
    }
    if (new_key) {
      Item projected = ProjectIntoIndex(schema, index, *c.new_item);
      // An entry the write leaves as it was costs the index nothing, and the response then has
      // no arm for it (DynamoDB, measured: dynamodb-conformance indexConsumedCapacity.test.ts).
      if (old_key != new_key || ProjectIntoIndex(schema, index, *c.old_item) != projected) {
        units += WriteUnits(ItemSize(projected));
        batch->Put(*new_key, EncodeItem(projected));
      }
    }
    if (capacity && units > 0) {
      auto& bucket = index.global ? capacity->global_indexes : capacity->local_indexes;
      bucket[index.name] += units;
    }
  }
}

void EngineImpl::Commit(storage::WriteBatch& batch, const std::vector<const ItemChange*>& changes,
                        ChangeOrigin origin) {
  AddRecoveryLog(changes, batch);
  auto records = StreamRecordsFor(changes, origin);
  if (records.empty()) {
    if (!batch.empty()) storage_->Write(batch);
  } else {
    // Numbering and writing under one mutex makes sequence order commit order: a reader's
    // snapshot always holds a gap-free prefix of every stream.
    MutexLock lock(stream_mu_);
    uint64_t first = next_seq_;
    // The streams' metadata as it was, restored if the write fails (nullopt: new).
    std::vector<std::pair<std::string, std::optional<StreamMeta>>> before;
    int64_t now = records.front().second.created_ms;
    for (const auto& [c, record] : records) {
      const TableSchema& schema = *c->schema;
      std::string key = streams::MetaKey(schema.id, schema.stream_label);
      if (std::none_of(before.begin(), before.end(),
                       [&](const auto& b) { return b.first == key; })) {
        auto found = stream_meta_.find(key);
        before.emplace_back(
            key, found == stream_meta_.end() ? std::nullopt : std::optional(found->second));
      }
      StreamMeta& meta =
          EnsureStreamMetaLocked(schema.id, schema.stream_label, schema.stream.view_type, &batch);
      if (ShardDue(meta, now)) RotateShardLocked(meta, now, batch);
      meta.last_seq = next_seq_;
      ++meta.open_records;
      batch.Put(streams::RecordKey(schema.id, schema.stream_label, next_seq_++),
                streams::EncodeRecord(record));
    }
    batch.Put(std::string(1, keyspace::kMeta) + "stream_seq", std::to_string(next_seq_));
    try {
      storage_->Write(batch);
    } catch (...) {
      next_seq_ = first;  // nothing was written; the numbers are free again
      for (auto& [key, meta] : before) {
        if (meta) {
          stream_meta_[key] = std::move(*meta);
        } else {
          stream_meta_.erase(key);
        }
      }
      throw;
    }
  }
  for (const ItemChange* c : changes) {
    Table& table = *c->table;
    if (!table.stats_known()) continue;
    int64_t old_size = static_cast<int64_t>(c->OldSize());
    int64_t new_size = c->new_item ? static_cast<int64_t>(ItemSize(*c->new_item)) : 0;
    table.AddStats(0, (c->new_item ? 1 : 0) - (c->had_old() ? 1 : 0), new_size - old_size);
    for (const auto& index : c->schema->indexes) {
      bool had = c->old_item && IndexStorageKey(*c->schema, index, *c->old_item);
      bool has = c->new_item && IndexStorageKey(*c->schema, index, *c->new_item);
      int64_t before =
          had ? static_cast<int64_t>(ItemSize(ProjectIntoIndex(*c->schema, index, *c->old_item)))
              : 0;
      int64_t after =
          has ? static_cast<int64_t>(ItemSize(ProjectIntoIndex(*c->schema, index, *c->new_item)))
              : 0;
      table.AddStats(index.id, (has ? 1 : 0) - (had ? 1 : 0), after - before);
    }
  }
}

// --- locks ---

size_t KeyLocks::Stripe(std::string_view storage_key) const {
  return std::hash<std::string_view>{}(storage_key) % kStripes;
}

KeyLocks::Guard::Guard(KeyLocks* locks, std::vector<size_t> stripes)
    : locks_(locks), stripes_(std::move(stripes)) {
  std::sort(stripes_.begin(), stripes_.end());
  stripes_.erase(std::unique(stripes_.begin(), stripes_.end()), stripes_.end());
  for (size_t s : stripes_) locks_->mutexes_[s].lock();
}

KeyLocks::Guard::~Guard() {
  if (!locks_) return;
  for (auto it = stripes_.rbegin(); it != stripes_.rend(); ++it) locks_->mutexes_[*it].unlock();
}

KeyLocks::Guard KeyLocks::Lock(std::vector<size_t> stripes) {
  return Guard(this, std::move(stripes));
}

std::vector<size_t> PendingTransactions::Register(const std::vector<std::string_view>& keys) {
  std::vector<size_t> conflicts;
  MutexLock lock(mu_);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys_.contains(keys[i])) conflicts.push_back(i);
  }
  if (!conflicts.empty()) return conflicts;
  for (auto k : keys) keys_.emplace(k);
  count_ += keys.size();
  return conflicts;
}

void PendingTransactions::Release(const std::vector<std::string_view>& keys) {
  MutexLock lock(mu_);
  for (auto k : keys) keys_.erase(keys_.find(k));
  count_ -= keys.size();
}

bool PendingTransactions::IsPending(std::string_view key) {
  if (count_.load() == 0) return false;
  MutexLock lock(mu_);
  return keys_.contains(key);
}

PendingTransactions::Read::Read(PendingTransactions* pending, std::vector<std::string_view> keys)
    : pending_(pending), keys_(std::move(keys)), written_(keys_.size()) {
  MutexLock lock(pending_->mu_);
  for (size_t i = 0; i < keys_.size(); ++i) {
    pending_->reads_.emplace(std::string(keys_[i]), std::pair{this, i});
  }
  pending_->read_count_ += keys_.size();
}

PendingTransactions::Read::~Read() {
  MutexLock lock(pending_->mu_);
  for (auto key : keys_) {
    auto [it, end] = pending_->reads_.equal_range(key);
    while (it != end) it = it->second.first == this ? pending_->reads_.erase(it) : std::next(it);
  }
  pending_->read_count_ -= keys_.size();
}

std::vector<size_t> PendingTransactions::Read::Conflicts() {
  std::vector<size_t> conflicts;
  MutexLock lock(pending_->mu_);
  for (size_t i = 0; i < written_.size(); ++i) {
    if (written_[i]) conflicts.push_back(i);
  }
  return conflicts;
}

void PendingTransactions::NoteWrite(std::string_view key) {
  if (read_count_.load() == 0) return;
  MutexLock lock(mu_);
  auto [it, end] = reads_.equal_range(key);
  for (; it != end; ++it) it->second.first->written_[it->second.second] = true;
}

// --- capacity ---

bool EngineImpl::Throttles(const TableSchema& schema) const {
  static const std::string kThrottleTag = "cruddur:throttle";  // found without a temporary
  auto tag = schema.tags.find(kThrottleTag);
  if (tag == schema.tags.end()) return options_.throttle;
  return tag->second == "on";
}

std::string EngineImpl::ThrottlePartition(const TableSchema& schema, const Item& item) const {
  if (!Throttles(schema)) return {};
  auto hash = item.find(schema.key.hash_name);
  if (hash == item.end()) return {};
  return PartitionPrefix(schema.id, 0, hash->second);
}

void EngineImpl::AdmitRequest(Table& table, Access access, const IndexSchema* index,
                              std::string_view partition) {
  auto schema = table.schema();
  if (!Throttles(*schema)) return;
  table.meter().Admit(*schema, schema->Arn(options_.region, options_.account_id), access, index,
                      partition, clock_->Now(), throttle_settings_);
}

void EngineImpl::ConsumeCapacity(Table& table, const Capacity& c, const IndexSchema* index,
                                 std::string_view partition) {
  auto schema = table.schema();
  // The clock is read only for throttling's token buckets: most tables have none.
  const bool throttles = Throttles(*schema);
  table.meter().Consume(c, partition, index, throttles, throttles ? clock_->Now() : 0);
  CountConsumed(schema->name, c);
}

std::vector<CapacityUsage> EngineImpl::ConsumedCapacity() {
  std::vector<CapacityUsage> usage;
  for (const auto& t : AllTables()) {
    for (auto& u : t->meter().Usage(t->schema()->name)) usage.push_back(std::move(u));
  }
  return usage;
}

void EngineImpl::DescribeTableStats(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  std::string_view name = TableNameParam(req, errors);
  errors.ThrowIfAny();
  auto table = FindTable(name);
  if (!table) throw TableNotFound(name);
  auto schema = table->schema();
  auto usage = table->meter().Usage(schema->name);
  auto write_usage = [&](const CapacityUsage& u) {
    w.StartObject();
    WriteKey(w, "ReadCapacityUnits");
    w.Double(u.read_units);
    WriteKey(w, "WriteCapacityUnits");
    w.Double(u.write_units);
    WriteKey(w, "ThrottledReadRequests");
    w.Uint64(u.throttled_reads);
    WriteKey(w, "ThrottledWriteRequests");
    w.Uint64(u.throttled_writes);
    w.EndObject();
  };
  w.StartObject();
  WriteKey(w, "TableName");
  WriteString(w, schema->name);
  WriteKey(w, "Throttling");
  w.Bool(Throttles(*schema));
  WriteKey(w, "Table");
  write_usage(usage.front());
  for (bool global : {true, false}) {
    bool any = false;
    for (const auto& index : schema->indexes) {
      if (index.global != global) continue;
      if (!any) {
        WriteKey(w, global ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes");
        w.StartObject();
        any = true;
      }
      WriteKey(w, index.name);
      auto u = std::find_if(usage.begin(), usage.end(),
                            [&](const CapacityUsage& x) { return x.index == index.name; });
      write_usage(u == usage.end() ? CapacityUsage{} : *u);
    }
    if (any) w.EndObject();
  }
  w.EndObject();
}

void EngineImpl::CountConsumed(std::string_view table_name_or_arn, const Capacity& c) {
  RequestStats* stats = t_request_stats;
  if (stats == nullptr) return;
  std::string_view table = ResolveTableName(table_name_or_arn);
  auto it = std::find_if(stats->consumed.begin(), stats->consumed.end(),
                         [&](const RequestStats::Consumed& e) { return e.table == table; });
  if (it == stats->consumed.end()) it = stats->consumed.insert(it, {std::string(table), 0, 0});
  (t_writing ? it->write_units : it->read_units) += c.total();
}

void EngineImpl::NoteRequestTable(const std::string& name) {
  if (t_request_stats != nullptr && t_request_stats->table.empty()) t_request_stats->table = name;
}

void EngineImpl::CountReturnedItems(std::int64_t items) {
  if (t_request_stats != nullptr) t_request_stats->returned_items += items;
}

std::vector<TableFigures> EngineImpl::Tables() {
  std::vector<TableFigures> figures;
  for (const auto& table : AllTables()) {
    EnsureStats(*table);
    std::vector<TableStats> stats = table->Stats();
    TableFigures f{table->schema()->name};
    if (!stats.empty()) {
      f.item_count = stats[0].item_count;
      f.size_bytes = stats[0].size_bytes;
    }
    figures.push_back(std::move(f));
  }
  return figures;
}

StorageFigures EngineImpl::Storage() {
  StorageFigures f;
  f.persistent = !options_.in_memory;
  auto property = [this](std::string_view name) { return storage_->IntProperty(name).value_or(0); };
  f.memtable_bytes = property("rocksdb.cur-size-all-mem-tables");
  f.pending_compaction_bytes = property("rocksdb.estimate-pending-compaction-bytes");
  f.live_sst_bytes = property("rocksdb.live-sst-files-size");
  f.running_compactions = property("rocksdb.num-running-compactions");
  f.wal_syncs = storage_->WalSyncs();
  f.writes_stopped = storage_->WritesStopped();
  return f;
}

void EngineImpl::WriteConsumedCapacity(JsonWriter& w, const std::string& table, const Capacity& c,
                                       ReturnCapacity mode, bool split) {
  if (mode == ReturnCapacity::kNone) return;
  auto units = [&](double n) {
    WriteKey(w, "CapacityUnits");
    w.Double(n);
    if (!split) return;
    WriteKey(w, c.access == Access::kRead ? "ReadCapacityUnits" : "WriteCapacityUnits");
    w.Double(n);
  };
  WriteKey(w, "TableName");
  WriteString(w, table);
  units(c.total());
  if (mode != ReturnCapacity::kIndexes) return;
  WriteKey(w, "Table");
  w.StartObject();
  units(c.table);
  w.EndObject();
  auto indexes = [&](std::string_view name, const std::map<std::string, double>& m) {
    if (m.empty()) return;
    WriteKey(w, name);
    w.StartObject();
    for (const auto& [index, n] : m) {
      WriteKey(w, index);
      w.StartObject();
      units(n);
      w.EndObject();
    }
    w.EndObject();
  };
  indexes("GlobalSecondaryIndexes", c.global_indexes);
  indexes("LocalSecondaryIndexes", c.local_indexes);
}

void EngineImpl::WriteConsumedCapacityList(JsonWriter& w,
                                           const std::map<std::string, Capacity>& per_table,
                                           ReturnCapacity mode, bool split) {
  if (mode == ReturnCapacity::kNone) return;
  WriteKey(w, "ConsumedCapacity");
  w.StartArray();
  for (const auto& [name, capacity] : per_table) {
    w.StartObject();
    WriteConsumedCapacity(w, name, capacity, mode, split);
    w.EndObject();
  }
  w.EndArray();
}

ReturnCapacity ParseReturnCapacity(const Request& req, ConstraintErrors& errors) {
  auto v = req.String("ReturnConsumedCapacity");
  if (!v) return ReturnCapacity::kNone;
  errors.CheckEnum("returnConsumedCapacity", *v, {"INDEXES", "TOTAL", "NONE"});
  if (*v == "TOTAL") return ReturnCapacity::kTotal;
  if (*v == "INDEXES") return ReturnCapacity::kIndexes;
  return ReturnCapacity::kNone;
}

bool ParseReturnItemCollectionMetrics(const Request& req, ConstraintErrors& errors) {
  auto v = req.String("ReturnItemCollectionMetrics");
  if (!v) return false;
  errors.CheckEnum("returnItemCollectionMetrics", *v, {"SIZE", "NONE"});
  return *v == "SIZE";
}

bool HasItemCollections(const TableSchema& schema) {
  for (const auto& index : schema.indexes) {
    if (!index.global) return true;
  }
  return false;
}

void WriteItemCollectionMetrics(JsonWriter& w, const TableSchema& schema, const Item& item) {
  w.StartObject();
  WriteKey(w, "ItemCollectionKey");
  w.StartObject();
  if (auto it = item.find(schema.key.hash_name); it != item.end()) {
    WriteKey(w, it->first);
    WriteAttributeValue(w, it->second);
  }
  w.EndObject();
  WriteKey(w, "SizeEstimateRangeGB");
  w.StartArray();
  w.Double(0.0);
  w.Double(1.0);
  w.EndArray();
  w.EndObject();
}

void WriteItemCollectionMetricsMap(
    JsonWriter& w, const std::vector<std::pair<std::shared_ptr<const TableSchema>, Item>>& writes) {
  std::map<std::string, std::vector<const std::pair<std::shared_ptr<const TableSchema>, Item>*>>
      per_table;
  for (const auto& write : writes) {
    if (HasItemCollections(*write.first)) per_table[write.first->name].push_back(&write);
  }
  if (per_table.empty()) return;
  WriteKey(w, "ItemCollectionMetrics");
  w.StartObject();
  for (const auto& [name, entries] : per_table) {
    WriteKey(w, name);
    w.StartArray();
    for (const auto* e : entries) WriteItemCollectionMetrics(w, *e->first, e->second);
    w.EndArray();
  }
  w.EndObject();
}

// --- key validation ---

namespace {

void CheckKeyValueSize(const std::string& name, const AttributeValue& v, bool hash) {
  CheckKeyValueNotEmpty(name, v);
  if (hash && !KeyValueFits(v, true)) {
    throw ApiError::Validation(
        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum "
        "size limit of2048 bytes");
  }
  if (!hash && !KeyValueFits(v, false)) {
    throw ApiError::Validation(
        "One or more parameter values were invalid: Aggregated size of all range keys has "
        "exceeded the size limit of 1024 bytes");
  }
}

}  // namespace

void ValidateKeyParam(const TableSchema& schema, const Item& key) {
  const KeySchema& ks = schema.key;
  size_t expected = ks.has_range() ? 2 : 1;
  auto hash = key.find(ks.hash_name);
  bool ok = key.size() == expected && hash != key.end() && hash->second.type == ks.hash_type;
  if (ok && ks.has_range()) {
    auto range = key.find(ks.range_name);
    ok = range != key.end() && range->second.type == ks.range_type;
  }
  if (!ok) throw ApiError::Validation("The provided key element does not match the schema");
  CheckKeyValueSize(ks.hash_name, hash->second, true);
  if (ks.has_range()) CheckKeyValueSize(ks.range_name, key.at(ks.range_name), false);
}

void ValidateItemKeys(const TableSchema& schema, const Item& item) {
  auto check = [&](const std::string& name, ValueType type, bool hash) {
    auto it = item.find(name);
    if (it == item.end()) {
      throw ApiError::Validation(fmt::format(
          "One or more parameter values were invalid: Missing the key {} in the item", name));
    }
    if (it->second.type != type) {
      throw ApiError::Validation(fmt::format(
          "One or more parameter values were invalid: Type mismatch for key {} expected: {} "
          "actual: {}",
          name, TypeName(type), TypeName(it->second.type)));
    }
    CheckKeyValueSize(name, it->second, hash);
  };
  check(schema.key.hash_name, schema.key.hash_type, true);
  if (schema.key.has_range()) check(schema.key.range_name, schema.key.range_type, false);
}

namespace {

// One index's key attributes in `item`: of the type the index declares, not empty, not too long.
// A type mismatch is stored in `mismatch` where the caller collects it, else thrown.
void ValidateIndexKey(const IndexSchema& index, const Item& item, IndexKeySource source,
                      std::optional<std::string>* mismatch) {
  std::vector<std::pair<KeyAttribute, bool>> keys;  // every key attribute, and whether HASH
  for (const KeyAttribute& a : index.key.HashAttributes()) keys.emplace_back(a, true);
  for (const KeyAttribute& a : index.key.RangeAttributes()) keys.emplace_back(a, false);
  for (const auto& [attribute, is_hash] : keys) {
    const std::string* name = &attribute.name;
    ValueType type = attribute.type;
    auto it = item.find(*name);
    if (it == item.end()) continue;
    if (it->second.type != type) {
      std::string message = fmt::format(
          "One or more parameter values were invalid: Type mismatch for Index Key {} Expected: "
          "{} Actual: {} IndexName: {}",
          *name, TypeName(type), TypeName(it->second.type), index.name);
      if (!mismatch) throw ApiError::Validation(message);
      if (!*mismatch) *mismatch = std::move(message);
      continue;
    }
    if (source == IndexKeySource::kUpdate && type != ValueType::kN && it->second.bytes.empty()) {
      throw ApiError::Validation(fmt::format(
          "One or more parameter values are not valid. The update expression attempted to "
          "update a secondary index key to a value that is not supported. The AttributeValue "
          "for a key attribute cannot contain an empty {} value.",
          type == ValueType::kS ? "string" : "binary"));
    }
    CheckKeyValueNotEmpty(*name, it->second, &index.name);
    // An index key is held to the table's key size limits, with the same words (DynamoDB
    // refuses a GSI partition key over 2,048 bytes with the table's hashkey message).
    CheckKeyValueSize(*name, it->second, is_hash);
  }
}

}  // namespace

void ValidateIndexKeys(const TableSchema& schema, const Item& item, IndexKeySource source,
                       std::optional<std::string>* mismatch) {
  // The global indexes are checked before the local ones: of a GSI and an LSI sharing a key
  // attribute, DynamoDB names the GSI (nubo-db/dynamodb-conformance's exact messages, which
  // DynamoDB passed in 2026).
  for (bool global : {true, false}) {
    for (const auto& index : schema.indexes) {
      if (index.global == global) ValidateIndexKey(index, item, source, mismatch);
    }
  }
}

void CheckSubstitutionsNeedExpressions(const Request& req,
                                       std::initializer_list<std::string_view> members) {
  for (const auto& m : members) {
    if (req.Get(m)) return;
  }
  if (req.Get("ExpressionAttributeNames")) {
    throw ApiError::Validation(
        "ExpressionAttributeNames can only be specified when using expressions");
  }
  if (!req.Get("ExpressionAttributeValues")) return;
  std::string list;
  size_t i = 0;
  for (const auto& m : members) {
    if (i) list += i + 1 == members.size() ? " and " : ", ";
    list += m;
    ++i;
  }
  throw ApiError::Validation(fmt::format(
      "ExpressionAttributeValues can only be specified when using expressions: {} {} null", list,
      members.size() == 1 ? "is" : "are"));
}

expr::Substitutions ParseSubstitutions(const Request& req) {
  return expr::Substitutions::Parse(req.Object("ExpressionAttributeNames"),
                                    req.Object("ExpressionAttributeValues"));
}

}  // namespace cruddur::ddb
