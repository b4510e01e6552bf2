// In-process benchmark: the engine's PutItem, GetItem and Query against raw RocksDB doing the
// same storage work on the same bytes, to show what the engine itself costs.
//
// Four layers, each on the same keys and values (the engine's own key and item encodings):
//   Raw/...     rocksdb::DB with the engine's own options (storage::RocksDbOptions): Put of the
//               encoded key and item, Get, Seek + 20 x Next.
//   Storage/... the engine's Storage interface (RocksDB or in-memory) plus the item codec: what
//               any engine must at least do (encode/decode items, write/read/iterate).
//   Json/...    the JSON work alone: parse the request and its AttributeValues, write the answer.
//   Engine/...  Engine::Execute(op, json): everything (JSON in and out, validation, key locks,
//               the read-before-write of PutItem, statistics, capacity accounting).
// The Arg is the backend: 0 = RocksDB, 1 = in-memory (Raw has RocksDB only).
//
// The write benchmarks of bench/writes.sh (BM_Batch_*, BM_Txn_*) count items, not requests:
//   BM_Batch_Engine    BatchWriteItem of 25 new items (one new partition per request).
//   BM_Txn_Engine      TransactWriteItems of 10 new items (Put, one new partition per request).
//   BM_Batch_Storage   the same 25 items encoded and written in one Storage WriteBatch.
//   BM_Batch_Raw       the same 25 encoded keys and items in one rocksdb::WriteBatch.
// BM_BigMemory_* (issue 21) are the in-memory Storage work of PutItem, GetItem and Query on
// stores of 10k and 1M items: `engine_bench --benchmark_filter=BigMemory`.
// BM_MultiRead is Storage::MultiRead of 10 keys on RocksDB (the old items of a batch or
// transaction), of a new partition, of neighbouring or spread items of a big one, or of ten
// partitions: `engine_bench --benchmark_filter=MultiRead`.
//
// usage: engine_bench [Google Benchmark flags]; bench/engine.sh runs it and writes the table.
#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "bench_item.h"
#include "ddb/engine.h"
#include "ddb/item_codec.h"
#include "ddb/json.h"
#include "ddb/key_codec.h"
#include "ddb/storage/rocksdb_options.h"
#include "ddb/storage/storage.h"
#include "ddb/table.h"
#include "ddb/table_schema.h"
#include "ddb/value.h"
#include "ddb/value_json.h"

namespace {

using cruddur::bench::ItemJson;

using namespace cruddur::ddb;  // NOLINT: a benchmark file, every name is the engine's
namespace fs = std::filesystem;

constexpr int kBackgroundItems = 10000;  // one-item partitions, so that no store is tiny
constexpr int kQueryItems = 20;
// Reads go round a fixed, scrambled list of many keys (GetItem: background items; Query:
// partitions of 20 items), the same list for every layer. One key read over and over made the
// result depend on where that key's path happened to lie in memory: the same binary's Storage
// GetItem measured 1.3 to 2.2 us in four runs, raw RocksDB's Get 0.9 to 1.4 us.
constexpr int kGetKeys = 1024;
constexpr int kQueryPartitions = 64;

// The partition keys of the seeded items: background item n, Query partition n.
std::string BackgroundPk(int n) { return "bg-" + std::to_string(n); }
std::string QueryPartitionPk(int n) { return "query-" + std::to_string(n); }
// The i-th key of the read lists: strides coprime with the list sizes visit every entry.
std::string GetPk(int i) { return BackgroundPk(i * 7919 % kBackgroundItems); }
std::string QueryPk(int i) { return QueryPartitionPk(i * 29 % kQueryPartitions); }

std::string PutRequest(std::string_view pk, std::string_view sk) {
  return R"({"TableName":"bench","Item":)" + ItemJson(pk, sk) + "}";
}

std::string GetRequest(std::string_view pk) {
  return R"({"TableName":"bench","Key":{"pk":{"S":")" + std::string(pk) +
         R"("},"sk":{"S":"msg"}}})";
}
std::string QueryRequest(std::string_view pk) {
  return R"({"TableName":"bench","KeyConditionExpression":"pk = :pk",)"
         R"("ExpressionAttributeValues":{":pk":{"S":")" +
         std::string(pk) + R"("}}})";
}
const char kCreateTable[] =
    R"({"TableName":"bench","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},)"
    R"({"AttributeName":"sk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk",)"
    R"("KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],)"
    R"("BillingMode":"PAY_PER_REQUEST"})";

Item ParseItemJson(const std::string& json) {
  JsonDocument doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) throw std::runtime_error("bad item JSON");
  return ParseItem(doc);
}

rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }

// The key schema of kCreateTable's table (the engine's first table id, so the same key length),
// for the stores that encode keys themselves.
TableSchema BenchSchema() {
  TableSchema schema;
  schema.name = "bench";
  schema.id = 1;
  schema.key = KeySchema{"pk", ValueType::kS, "sk", ValueType::kS};
  return schema;
}

// The storage key of the bench table's item (pk, sk).
std::string BenchKey(const TableSchema& schema, const std::string& pk, std::string_view sk) {
  Item k;
  k.emplace("pk", AttributeValue::S(pk));
  k.emplace("sk", AttributeValue::S(std::string(sk)));
  return ItemStorageKey(schema, k);
}

// xorshift64: a fixed pseudo-random sequence, the same in every build.
uint64_t XorShift(uint64_t& x) {
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return x;
}

// One store per layer (engine and Storage on each backend, raw RocksDB), seeded identically.
struct Layers {
  std::unique_ptr<Engine> engine[2];             // 0: RocksDB, 1: in-memory
  std::unique_ptr<storage::Storage> storage[2];  // 0: RocksDB, 1: in-memory
  std::unique_ptr<rocksdb::DB> raw;

  fs::path dir;

  Layers(const fs::path& d, const TableSchema& schema) : dir(d) {
    OpenRocksDb();
    EngineOptions eo;
    eo.in_memory = true;
    eo.ttl_sweep_interval = std::chrono::milliseconds(0);
    engine[1] = Engine::Open(eo);
    storage[1] = storage::OpenMemoryStorage();
    rocksdb::Status st;
    for (auto& e : engine) e->Execute("CreateTable", kCreateTable);

    auto put_everywhere = [&](const std::string& pk, const std::string& sk) {
      std::string json = ItemJson(pk, sk);
      for (auto& e : engine) e->Execute("PutItem", R"({"TableName":"bench","Item":)" + json + "}");
      Item item = ParseItemJson(json);
      std::string key = ItemStorageKey(schema, item);
      std::string value = EncodeItem(item);
      storage::WriteBatch batch;
      batch.Put(key, value);
      for (auto& s : storage) s->Write(batch);
      st = raw->Put(rocksdb::WriteOptions(), ToSlice(key), ToSlice(value));
      if (!st.ok()) throw std::runtime_error("rocksdb put: " + st.ToString());
    };
    char sk[16];
    for (int p = 0; p < kQueryPartitions; ++p) {
      for (int i = 0; i < kQueryItems; ++i) {
        std::snprintf(sk, sizeof sk, "msg-%02d", i);
        put_everywhere(QueryPartitionPk(p), sk);
      }
    }
    for (int i = 0; i < kBackgroundItems; ++i) put_everywhere(BackgroundPk(i), "msg");
    // Sanity: the engine answers what the other layers read.
    std::string q = engine[0]->Execute("Query", QueryRequest(QueryPk(kQueryPartitions - 1)));
    if (q.find(R"("Count":20)") == std::string::npos) throw std::runtime_error("Query: " + q);
    std::string g = engine[0]->Execute("GetItem", GetRequest(GetPk(kGetKeys - 1)));
    if (g.find(R"("Item")") == std::string::npos) throw std::runtime_error("GetItem: " + g);
  }
  ~Layers() {
    for (auto& e : engine) e.reset();
    for (auto& s : storage) s.reset();
    CloseRaw();
  }

  // Closes and reopens the three RocksDB stores. Opening replays the write-ahead log and
  // flushes it, so afterwards every item is in a table file (read through the bloom filter,
  // the index and the block cache), as most of a table that has served for a while is.
  void Reopen() {
    engine[0].reset();
    storage[0].reset();
    CloseRaw();
    OpenRocksDb();
  }

 private:
  void OpenRocksDb() {
    EngineOptions eo;
    eo.data_dir = (dir / "engine").string();
    eo.ttl_sweep_interval = std::chrono::milliseconds(0);
    engine[0] = Engine::Open(eo);
    storage[0] = storage::OpenRocksDbStorage((dir / "storage").string(), storage::Options{});
    rocksdb::DB* db = nullptr;
    rocksdb::Status st = rocksdb::DB::Open(storage::RocksDbOptions(), (dir / "raw").string(), &db);
    if (!st.ok()) throw std::runtime_error("rocksdb open: " + st.ToString());
    raw.reset(db);
  }
  void CloseRaw() {
    if (raw) raw->Close().PermitUncheckedError();
    raw.reset();
  }
};

// Identical sets of stores: the PutItem benchmarks write to `write` only, so the read
// benchmarks see the same 11,280 items in every layer whatever order the benchmarks run in (a
// store that had taken the puts of earlier repetitions would have a bigger memtable to search).
// `read` keeps its items in RocksDB's memtable, as just after they were written; `flushed` was
// reopened, so its items are in a table file.
struct Stores {
  fs::path root;
  TableSchema schema = BenchSchema();  // for the key encoding of the non-engine layers
  std::unique_ptr<Layers> read, flushed, write;
  // The read lists (GetPk, QueryPk) in the form each layer takes.
  std::vector<std::string> get_requests, query_requests;  // Engine
  std::vector<Item> get_key_items;                        // Storage (encodes the key)
  std::vector<std::string> get_keys, query_prefixes;      // Raw; Storage's Seek

  Stores() {
    char tmpl[] = "/tmp/engine-bench.XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    root = tmpl;
    read = std::make_unique<Layers>(root / "read", schema);
    flushed = std::make_unique<Layers>(root / "flushed", schema);
    flushed->Reopen();
    write = std::make_unique<Layers>(root / "write", schema);
    for (int i = 0; i < kGetKeys; ++i) {
      get_requests.push_back(GetRequest(GetPk(i)));
      Item k;
      k.emplace("pk", AttributeValue::S(GetPk(i)));
      k.emplace("sk", AttributeValue::S("msg"));
      get_keys.push_back(ItemStorageKey(schema, k));
      get_key_items.push_back(std::move(k));
    }
    for (int i = 0; i < kQueryPartitions; ++i) {
      query_requests.push_back(QueryRequest(QueryPk(i)));
      query_prefixes.push_back(PartitionPrefix(QueryPk(i)));
    }
  }
  ~Stores() {
    read.reset();
    flushed.reset();
    write.reset();
    std::error_code ec;
    fs::remove_all(root, ec);
  }

  // The storage key prefix of the partition `pk` (for Seek).
  std::string PartitionPrefix(std::string_view pk) const {
    return cruddur::ddb::PartitionPrefix(schema.id, 0, AttributeValue::S(std::string(pk)));
  }
};

// Opened by the first benchmark that runs (any order), closed and removed by main().
std::unique_ptr<Stores> stores;

Stores& S() {
  if (!stores) stores = std::make_unique<Stores>();
  return *stores;
}

// The read benchmarks' Arg: 0 = RocksDB with the items in the memtable, 1 = in-memory,
// 2 = RocksDB with the items in a table file.
Layers& ReadLayers(int64_t arg) { return arg == 2 ? *S().flushed : *S().read; }
int Backend(int64_t arg) { return arg == 1 ? 1 : 0; }

// A new partition key per iteration, as bench/wrk/put_item.lua does (a fresh insert each time).
std::string NextPk(std::string_view layer) {
  static uint64_t n = 0;
  std::string pk = "put-";
  pk += layer;
  pk += '-';
  pk += std::to_string(++n);
  return pk;
}

// The items of a 25-item batch (or a 10-item transaction): one partition, sort keys msg-01...
constexpr int kBatchItems = 25;
constexpr int kTxnItems = 10;

std::string SortKey(int i) {
  char sk[16];
  std::snprintf(sk, sizeof sk, "msg-%02d", i);
  return sk;
}

// Byte for byte what bench/wrk/batch_write_item.lua sends.
std::string BatchWriteRequest(std::string_view pk) {
  std::string req = R"({"RequestItems":{"bench":[)";
  for (int i = 1; i <= kBatchItems; ++i) {
    if (i > 1) req += ',';
    req += R"({"PutRequest":{"Item":)" + ItemJson(pk, SortKey(i)) + "}}";
  }
  return req + "]}}";
}

// Byte for byte what bench/wrk/transact_write_items.lua sends.
std::string TransactWriteRequest(std::string_view pk) {
  std::string req = R"({"TransactItems":[)";
  for (int i = 1; i <= kTxnItems; ++i) {
    if (i > 1) req += ',';
    req += R"({"Put":{"TableName":"bench","Item":)" + ItemJson(pk, SortKey(i)) + "}}";
  }
  return req + "]}";
}

// --- Engine::Execute -----------------------------------------------------------------------

void BM_Engine_PutItem(benchmark::State& state) {
  Engine& e = *S().write->engine[state.range(0)];
  for (auto _ : state) {
    std::string req = PutRequest(NextPk("engine"), "msg");
    benchmark::DoNotOptimize(e.Execute("PutItem", req));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Engine_GetItem(benchmark::State& state) {
  Engine& e = *ReadLayers(state.range(0)).engine[Backend(state.range(0))];
  const std::vector<std::string>& requests = S().get_requests;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(e.Execute("GetItem", requests[i++ % kGetKeys]));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Engine_Query(benchmark::State& state) {
  Engine& e = *ReadLayers(state.range(0)).engine[Backend(state.range(0))];
  const std::vector<std::string>& requests = S().query_requests;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(e.Execute("Query", requests[i++ % kQueryPartitions]));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Batch_Engine(benchmark::State& state) {
  Engine& e = *S().write->engine[state.range(0)];
  for (auto _ : state) {
    std::string answer = e.Execute("BatchWriteItem", BatchWriteRequest(NextPk("batch-engine")));
    if (answer != R"({"UnprocessedItems":{}})") state.SkipWithError(answer.c_str());
  }
  state.SetItemsProcessed(state.iterations() * kBatchItems);
}

void BM_Txn_Engine(benchmark::State& state) {
  Engine& e = *S().write->engine[state.range(0)];
  for (auto _ : state) {
    std::string answer = e.Execute("TransactWriteItems", TransactWriteRequest(NextPk("txn")));
    if (answer != "{}") state.SkipWithError(answer.c_str());
  }
  state.SetItemsProcessed(state.iterations() * kTxnItems);
}

// --- Storage interface + item codec (no JSON) -------------------------------------------------

void BM_Storage_PutItem(benchmark::State& state) {
  Stores& s = S();
  storage::Storage& st = *s.write->storage[state.range(0)];
  Item item = ParseItemJson(ItemJson("x", "msg"));
  for (auto _ : state) {
    item["pk"].bytes = NextPk("storage");
    storage::WriteBatch batch;
    batch.Put(ItemStorageKey(s.schema, item), EncodeItem(item));
    st.Write(batch);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Batch_Storage(benchmark::State& state) {
  Stores& s = S();
  storage::Storage& st = *s.write->storage[state.range(0)];
  std::vector<Item> items;
  for (int i = 1; i <= kBatchItems; ++i) items.push_back(ParseItemJson(ItemJson("x", SortKey(i))));
  for (auto _ : state) {
    std::string pk = NextPk("batch-storage");
    storage::WriteBatch batch;
    for (Item& item : items) {
      item["pk"].bytes = pk;
      batch.Put(ItemStorageKey(s.schema, item), EncodeItem(item));
    }
    st.Write(batch);
  }
  state.SetItemsProcessed(state.iterations() * kBatchItems);
}

void BM_Storage_GetItem(benchmark::State& state) {
  Stores& s = S();
  storage::Storage& st = *ReadLayers(state.range(0)).storage[Backend(state.range(0))];
  size_t i = 0;
  for (auto _ : state) {
    auto bytes = st.Get(ItemStorageKey(s.schema, s.get_key_items[i++ % kGetKeys]));
    Item item;
    if (!bytes || !DecodeItem(*bytes, &item)) state.SkipWithError("GetItem: not found");
    benchmark::DoNotOptimize(item);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Storage_Query(benchmark::State& state) {
  Stores& s = S();
  storage::Storage& st = *ReadLayers(state.range(0)).storage[Backend(state.range(0))];
  size_t i = 0;
  for (auto _ : state) {
    const std::string& prefix = s.query_prefixes[i++ % kQueryPartitions];
    auto it = st.NewPartitionIterator(prefix);  // as the engine's Query
    int n = 0;
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      Item item;
      if (!DecodeItem(it->value(), &item)) state.SkipWithError("corrupt item");
      benchmark::DoNotOptimize(item);
      ++n;
    }
    if (n != kQueryItems) state.SkipWithError("Query: wrong item count");
  }
  state.SetItemsProcessed(state.iterations());
}

// --- the JSON work alone ------------------------------------------------------------------

void BM_Json_PutItem(benchmark::State& state) {
  for (auto _ : state) {
    std::string req = PutRequest(NextPk("json"), "msg");
    JsonDocument doc;
    doc.Parse(req.data(), req.size());
    Item item = ParseItem(doc["Item"]);
    benchmark::DoNotOptimize(item);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Json_GetItem(benchmark::State& state) {
  Item item = ParseItemJson(ItemJson(GetPk(0), "msg"));
  const std::string request = GetRequest(GetPk(0));
  for (auto _ : state) {
    JsonDocument doc;
    doc.Parse(request.data(), request.size());
    Item key = ParseItem(doc["Key"]);
    JsonBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("Item");
    WriteItem(w, item);
    w.EndObject();
    benchmark::DoNotOptimize(key);
    benchmark::DoNotOptimize(buf.GetString());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Json_Query(benchmark::State& state) {
  std::vector<Item> items(kQueryItems, ParseItemJson(ItemJson(QueryPk(0), "msg-00")));
  const std::string request = QueryRequest(QueryPk(0));
  for (auto _ : state) {
    JsonDocument doc;
    doc.Parse(request.data(), request.size());
    Item values = ParseItem(doc["ExpressionAttributeValues"]);
    JsonBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("Items");
    w.StartArray();
    for (const Item& item : items) WriteItem(w, item);
    w.EndArray();
    w.Key("Count");
    w.Int(kQueryItems);
    w.Key("ScannedCount");
    w.Int(kQueryItems);
    w.EndObject();
    benchmark::DoNotOptimize(values);
    benchmark::DoNotOptimize(buf.GetString());
  }
  state.SetItemsProcessed(state.iterations());
}

// --- raw RocksDB on the same bytes --------------------------------------------------------

void BM_Raw_Put(benchmark::State& state) {
  Stores& s = S();
  // The same value bytes for every key: RocksDB does not look inside values.
  const std::string value = EncodeItem(ParseItemJson(ItemJson("put-raw-1000000", "msg")));
  EncodedKey ek;
  EncodeKeyValue(AttributeValue::S("msg"), &ek.range);
  const std::string prefix = keyspace::IndexPrefix(s.schema.id, 0);
  rocksdb::WriteOptions wo;
  for (auto _ : state) {
    // The key bytes the engine would write (key codec + partition hash: tens of ns).
    ek.hash.clear();
    EncodeKeyValue(AttributeValue::S(NextPk("raw")), &ek.hash);
    std::string key = prefix;
    AppendEncodedKey(ek, &key);
    rocksdb::Status st = s.write->raw->Put(wo, ToSlice(key), ToSlice(value));
    if (!st.ok()) state.SkipWithError(st.ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Batch_Raw(benchmark::State& state) {
  Stores& s = S();
  const std::string value = EncodeItem(ParseItemJson(ItemJson("put-raw-1000000", "msg-01")));
  std::vector<EncodedKey> keys(kBatchItems);
  for (int i = 0; i < kBatchItems; ++i) {
    EncodeKeyValue(AttributeValue::S(SortKey(i + 1)), &keys[i].range);
  }
  const std::string prefix = keyspace::IndexPrefix(s.schema.id, 0);
  rocksdb::WriteOptions wo;
  for (auto _ : state) {
    // The key bytes the engine would write, partition hash included (spread as the engine's).
    AttributeValue pk = AttributeValue::S(NextPk("batch-raw"));
    std::string hash;
    EncodeKeyValue(pk, &hash);
    const uint64_t partition_hash = PartitionKeyHash(pk);
    rocksdb::WriteBatch batch;
    for (EncodedKey& ek : keys) {
      ek.partition_hash = partition_hash;
      ek.hash = hash;
      std::string key = prefix;
      AppendEncodedKey(ek, &key);
      batch.Put(ToSlice(key), ToSlice(value));
    }
    rocksdb::Status st = s.write->raw->Write(wo, &batch);
    if (!st.ok()) state.SkipWithError(st.ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * kBatchItems);
}

void BM_Raw_Get(benchmark::State& state) {
  Stores& s = S();
  rocksdb::DB& raw = *ReadLayers(state.range(0)).raw;
  rocksdb::ReadOptions ro;
  size_t i = 0;
  for (auto _ : state) {
    const std::string& key = s.get_keys[i++ % kGetKeys];
    rocksdb::PinnableSlice value;
    rocksdb::Status st = raw.Get(ro, raw.DefaultColumnFamily(), ToSlice(key), &value);
    if (!st.ok()) state.SkipWithError(st.ToString().c_str());
    benchmark::DoNotOptimize(value.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Raw_Iterate20(benchmark::State& state) {
  Stores& s = S();
  rocksdb::DB& raw = *ReadLayers(state.range(0)).raw;
  size_t i = 0;
  for (auto _ : state) {
    const rocksdb::Slice p = ToSlice(s.query_prefixes[i++ % kQueryPartitions]);
    std::unique_ptr<rocksdb::Iterator> it(raw.NewIterator(rocksdb::ReadOptions()));
    int n = 0;
    size_t bytes = 0;
    for (it->Seek(p); it->Valid() && it->key().starts_with(p); it->Next()) {
      bytes += it->key().size() + it->value().size();
      ++n;
    }
    benchmark::DoNotOptimize(bytes);
    if (n != kQueryItems) state.SkipWithError("Iterate20: wrong item count");
  }
  state.SetItemsProcessed(state.iterations());
}

// --- big in-memory tables (issue 21: the in-memory tree's lookup cost) ------------------------
//
// The Storage work of PutItem (Read of the old item, then Write), GetItem and Query (Seek + 20
// items) on in-memory stores of Arg items, with the engine's key and item bytes: a put or get
// goes to a random partition, so at 1M items most of its path is out of the CPU caches, as in a
// server that has taken millions of new items. The stores are made once per size and kept.
constexpr int kBigQueryItems = 20;

struct BigTable {
  std::unique_ptr<storage::Storage> storage = storage::OpenMemoryStorage();
  std::vector<std::string> keys;  // of its items (Query: of its partitions), scrambled
  std::string value;              // every item's bytes (the benchmark item)
  TableSchema schema = BenchSchema();
  uint64_t next_put = 0;

  // `items` items in partitions of `per_partition` items (sort keys msg-01...).
  BigTable(int64_t items, int per_partition) {
    Item item = ParseItemJson(ItemJson("x", "msg"));
    value = EncodeItem(item);
    for (int64_t n = 0; n < items / per_partition; ++n) {
      std::string pk = "seed-" + std::to_string(n);
      storage::WriteBatch batch;
      for (int i = 0; i < per_partition; ++i) {
        batch.Put(Key(pk, per_partition == 1 ? "msg" : SortKey(i + 1)), value);
      }
      storage->Write(batch);
      keys.push_back(per_partition == 1
                         ? Key(pk, "msg")
                         : cruddur::ddb::PartitionPrefix(schema.id, 0, AttributeValue::S(pk)));
    }
    // A fixed pseudo-random order (a stride coprime with the count would keep the tree's order).
    uint64_t x = 88172645463325252ULL;
    for (size_t i = keys.size(); i > 1; --i) std::swap(keys[i - 1], keys[XorShift(x) % i]);
  }

  std::string Key(const std::string& pk, std::string_view sk) const {
    return BenchKey(schema, pk, sk);
  }
};

BigTable& Big(int64_t items, int per_partition) {
  static std::map<std::pair<int64_t, int>, std::unique_ptr<BigTable>> tables;
  auto& table = tables[{items, per_partition}];
  if (!table) table = std::make_unique<BigTable>(items, per_partition);
  return *table;
}

// PutItem's storage work for a new partition key: the Read of the old item (absent), then the
// Write. The table grows by the iterations (fixed, so that every build adds the same items).
// Arg 1 = 1: an iterator is alive meanwhile (a concurrent Query), so writes copy the nodes they
// share with its version.
void BM_BigMemory_PutItem(benchmark::State& state) {
  BigTable& t = Big(state.range(0), 1);
  std::unique_ptr<storage::Iterator> alive;
  if (state.range(1) == 1) alive = t.storage->NewIterator();
  for (auto _ : state) {
    const std::string key = t.Key("put-" + std::to_string(++t.next_put), "msg");
    if (t.storage->Read(key, [](std::string_view) {})) state.SkipWithError("PutItem: key exists");
    storage::WriteBatch batch;
    batch.Put(key, t.value);
    t.storage->Write(batch);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_BigMemory_GetItem(benchmark::State& state) {
  BigTable& t = Big(state.range(0), 1);
  size_t i = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    const std::string& key = t.keys[i++ % t.keys.size()];
    if (!t.storage->Read(key, [&](std::string_view v) { bytes += v.size(); })) {
      state.SkipWithError("GetItem: not found");
    }
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(state.iterations());
}

void BM_BigMemory_Query(benchmark::State& state) {
  BigTable& t = Big(state.range(0), kBigQueryItems);
  size_t i = 0;
  for (auto _ : state) {
    const std::string& prefix = t.keys[i++ % t.keys.size()];
    auto it = t.storage->NewPartitionIterator(prefix);
    int n = 0;
    size_t bytes = 0;
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      bytes += it->value().size();
      ++n;
    }
    benchmark::DoNotOptimize(bytes);
    if (n != kBigQueryItems) state.SkipWithError("Query: wrong item count");
  }
  state.SetItemsProcessed(state.iterations());
}

// Storage::MultiRead of 10 keys (a 10-item transaction's or a batch's old items) on RocksDB, the
// items in table files: one partition of 20,000 items and 2,000 partitions of 10. Arg: 0 = ten
// keys of a partition that holds nothing (new items), 1 = ten neighbouring items of the big
// partition, 2 = ten items spread over it, 3 = ten keys of ten small partitions (MultiGet).
struct MultiReadStore {
  static constexpr int kBig = 20000;
  static constexpr int kSmall = 2000;
  fs::path dir;
  std::unique_ptr<storage::Storage> storage;
  TableSchema schema = BenchSchema();

  MultiReadStore() {
    char tmpl[] = "/tmp/engine-bench-multiread.XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir = tmpl;
    const std::string value = EncodeItem(ParseItemJson(ItemJson("x", "msg")));
    {
      auto st = storage::OpenRocksDbStorage((dir / "db").string(), storage::Options{});
      storage::WriteBatch batch;
      for (int i = 0; i < kBig; ++i) batch.Put(Key("big", i), value);
      st->Write(batch);
      for (int p = 0; p < kSmall; ++p) {
        storage::WriteBatch small;
        for (int i = 0; i < 10; ++i) small.Put(Key("small-" + std::to_string(p), i), value);
        st->Write(small);
      }
    }
    storage = storage::OpenRocksDbStorage((dir / "db").string(), storage::Options{});  // flushed
  }
  ~MultiReadStore() {
    storage.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string Key(const std::string& pk, int i) const {
    char sk[16];
    std::snprintf(sk, sizeof sk, "k-%06d", i);
    return BenchKey(schema, pk, sk);
  }
};

void BM_MultiRead(benchmark::State& state) {
  static MultiReadStore m;
  const int64_t mode = state.range(0);
  uint64_t x = 88172645463325252ULL;
  std::vector<std::string> keys(10);
  std::vector<std::string_view> views(10);
  int64_t found = 0;
  uint64_t n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const uint64_t r = XorShift(x);
    for (int i = 0; i < 10; ++i) {
      switch (mode) {
        case 0:
          keys[i] = m.Key("new-" + std::to_string(++n), i);
          break;
        case 1:
          keys[i] = m.Key("big", static_cast<int>(r % (MultiReadStore::kBig - 10)) + i);
          break;
        case 2:
          keys[i] = m.Key("big", static_cast<int>((r + i * 1999) % MultiReadStore::kBig));
          break;
        default:
          keys[i] = m.Key("small-" + std::to_string((r + i * 7) % MultiReadStore::kSmall), i);
      }
      views[i] = keys[i];
    }
    state.ResumeTiming();
    m.storage->MultiRead(views, [&](size_t, std::string_view) { ++found; });
  }
  if (found != (mode == 0 ? 0 : 10 * state.iterations())) state.SkipWithError("wrong items");
  state.SetItemsProcessed(state.iterations() * 10);
}

// RocksDB backend (0) and in-memory (1).
BENCHMARK(BM_Engine_PutItem)->Arg(0)->Arg(1);
BENCHMARK(BM_Engine_GetItem)->Arg(0)->Arg(1)->Arg(2);
BENCHMARK(BM_Engine_Query)->Arg(0)->Arg(1)->Arg(2);
BENCHMARK(BM_Storage_PutItem)->Arg(0)->Arg(1);
BENCHMARK(BM_Storage_GetItem)->Arg(0)->Arg(1)->Arg(2);
BENCHMARK(BM_Storage_Query)->Arg(0)->Arg(1)->Arg(2);
BENCHMARK(BM_Json_PutItem);
BENCHMARK(BM_Json_GetItem);
BENCHMARK(BM_Json_Query);
BENCHMARK(BM_Raw_Put);
BENCHMARK(BM_Raw_Get)->Arg(0)->Arg(2);
BENCHMARK(BM_Raw_Iterate20)->Arg(0)->Arg(2);
// bench/writes.sh's (bench/engine.sh leaves them out).
BENCHMARK(BM_Batch_Engine)->Arg(0)->Arg(1);
BENCHMARK(BM_Txn_Engine)->Arg(0)->Arg(1);
BENCHMARK(BM_Batch_Storage)->Arg(0)->Arg(1);
BENCHMARK(BM_Batch_Raw);
BENCHMARK(BM_MultiRead)->Arg(0)->Arg(1)->Arg(2)->Arg(3);
// Issue 21's (not bench/engine.sh's): 10k items (small) and 1M (big); PutItem's second Arg 1
// keeps an iterator alive.
BENCHMARK(BM_BigMemory_PutItem)
    ->Args({10000, 0})
    ->Args({1 << 20, 0})
    ->Args({1 << 20, 1})
    ->Iterations(200000);
BENCHMARK(BM_BigMemory_GetItem)->Arg(10000)->Arg(1 << 20);
BENCHMARK(BM_BigMemory_Query)->Arg(10000)->Arg(1 << 20);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  stores.reset();  // closes the stores and removes their temporary directory
  return 0;
}
