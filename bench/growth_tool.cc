// Grows the benchmark table through the engine and measures it in-process (bench/growth.sh).
//
// usage:
//   growth_tool load DIR FROM TO
//       Opens the engine on DIR (RocksDB), creates table "bench" (pk S, sk S) and the items
//       bench/wrk/*.lua ask for if missing, then writes items FROM..TO-1 with BatchWriteItem
//       (25 items per request, as a client would). Item i is in partition "conv-<i / 20>" with
//       sort key "msg-<i % 20>": conversations of 20 messages, the shape of the Query workload.
//   growth_tool load-direct DIR FROM TO
//       The same items, written much faster below the engine's JSON layer: the table is created
//       through the engine, then each item is stored as PutItem would store it for this table
//       (no index, no stream): key by ItemStorageKey, value by EncodeItem, through the Storage
//       layer in batches of 1000. The new partitions are written in storage-key order (the
//       partition hash first), so RocksDB's flushed files do not overlap and are moved down the
//       levels without being rewritten. The table's item count and size are counted by the
//       engine when something first asks for them (DescribeTable), as after any restart.
//   growth_tool settle DIR [full]
//       Opens DIR with the engine's RocksDB options, flushes the memtable and waits until RocksDB
//       reports no pending or running compaction or flush, as a table that has been serving for
//       a while would be; prints the LSM shape. growth.sh runs it after each load, before
//       measuring, so that a bulk load's compaction backlog is not timed as Query cost.
//       With `full`, first compacts everything into the last level (an experiment: a serving
//       table usually keeps up to 3 level-0 files, below the compaction trigger of 4).
//       SETTLE_RESULT seconds=.. l0_files=.. levels=<files per level> sst_mb=..
//   growth_tool measure DIR ITEMS [QUERIES] [PUTS]
//       Opens the engine on DIR; runs QUERIES (default 20000) Query calls, each of one random
//       partition of the first ITEMS items (20 items per answer), timing each; then PUTS
//       (default 20000) PutItem calls of new items, timing each. Prints one line:
//       GROWTH_RESULT items=.. query_p50_us=.. query_p99_us=.. query_mean_us=.. put_ops=..
//       put_p50_us=.. put_p99_us=.. open_ms=.. query_cpu_p50_us=.. query_cpu_p99_us=..
//       put_cpu_us=.. raw_query_cpu_p50_us=.. hot_query_cpu_p50_us=.. (the *_cpu_* values: CPU
//       time of the calling thread, robust to other load). Two more Query series separate what
//       the table's size costs from what a bigger working set costs:
//         raw_*: raw RocksDB (opened read-only beside the engine, with the engine's options)
//                doing the storage part of the same Queries: Seek to the partition and
//                20 x Next, on the same random partitions;
//         hot_*: the engine's Query over the first 500 partitions only (the first 10,000 items:
//                the whole table at the smallest step), a working set of the same size at every
//                step, as a chat service's recent conversations are.
//       The three series run interleaved in 5 blocks; their CPU p50s are the median of the
//       blocks' p50s, so that a few seconds of other load on the machine hit all three alike.
//       In each block an untimed pass over the 500 partitions precedes the hot series: the
//       uniform series just before it pushes the hot set's blocks out of the block cache,
//       which a working set that stays hot does not suffer.
// Everything goes through Engine::Execute with DynamoDB JSON, as the wire server calls it.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <rocksdb/db.h>

#include "bench_item.h"
#include "ddb/engine.h"
#include "ddb/error.h"
#include "ddb/item_codec.h"
#include "ddb/storage/rocksdb_options.h"
#include "ddb/storage/storage.h"
#include "ddb/table.h"
#include "ddb/table_schema.h"
#include "ddb/value.h"

namespace {

using cruddur::bench::ItemJson;

using cruddur::ddb::Engine;
using cruddur::ddb::EngineOptions;
using Clock = std::chrono::steady_clock;

constexpr int kPerPartition = 20;

// CPU time of this thread, in µs: unlike wall time, it does not grow when other processes take
// the machine's cores (the machine these runs share is busy).
double ThreadCpuUs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}
constexpr int kBatch = 25;  // BatchWriteItem's maximum

std::string PartitionKey(uint64_t partition) { return "conv-" + std::to_string(partition); }
std::string Pk(uint64_t i) { return PartitionKey(i / kPerPartition); }
std::string Sk(uint64_t i) {
  char sk[16];
  std::snprintf(sk, sizeof sk, "msg-%02d", static_cast<int>(i % kPerPartition));
  return sk;
}

std::unique_ptr<Engine> OpenEngine(const std::string& dir) {
  EngineOptions o;
  o.data_dir = dir;
  o.ttl_sweep_interval = std::chrono::milliseconds(0);
  return Engine::Open(o);
}

void EnsureTable(Engine& e) {
  std::string tables = e.Execute("ListTables", "{}");
  if (tables.find("\"bench\"") != std::string::npos) return;
  e.Execute("CreateTable",
            R"({"TableName":"bench","AttributeDefinitions":[{"AttributeName":"pk",)"
            R"("AttributeType":"S"},{"AttributeName":"sk","AttributeType":"S"}],"KeySchema":[)"
            R"({"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],)"
            R"("BillingMode":"PAY_PER_REQUEST"})");
  // What bench/wrk/query.lua and get_item.lua ask for (as bench/seed.py seeds it).
  for (int i = 0; i < kPerPartition; ++i) {
    e.Execute("PutItem", R"({"TableName":"bench","Item":)" + ItemJson("query", Sk(i)) + "}");
  }
  e.Execute("PutItem", R"({"TableName":"bench","Item":)" + ItemJson("get", "item") + "}");
}

int Load(const std::string& dir, uint64_t from, uint64_t to) {
  auto engine = OpenEngine(dir);
  EnsureTable(*engine);
  const auto start = Clock::now();
  std::string req;
  for (uint64_t i = from; i < to;) {
    req = R"({"RequestItems":{"bench":[)";
    for (int k = 0; k < kBatch && i < to; ++k, ++i) {
      if (k) req += ',';
      req += R"({"PutRequest":{"Item":)" + ItemJson(Pk(i), Sk(i)) + "}}";
    }
    req += "]}}";
    std::string resp = engine->Execute("BatchWriteItem", req);
    if (resp.find(R"("UnprocessedItems":{})") == std::string::npos) {
      std::fprintf(stderr, "growth_tool: unexpected BatchWriteItem answer: %s\n", resp.c_str());
      return 1;
    }
  }
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("LOAD_RESULT items=%llu seconds=%.2f items_per_s=%.0f\n",
              static_cast<unsigned long long>(to - from), s, (to - from) / std::max(s, 1e-9));
  return 0;
}

int LoadDirect(const std::string& dir, uint64_t from, uint64_t to) {
  namespace ddb = cruddur::ddb;
  {
    auto engine = OpenEngine(dir);
    EnsureTable(*engine);
  }  // closed: the data dir's lock is free for the Storage below
  const auto start = Clock::now();
  auto store = ddb::storage::OpenRocksDbStorage(dir, ddb::storage::Options{});
  const auto schema_json = store->Get(ddb::keyspace::CatalogKey("bench"));
  if (!schema_json) throw std::runtime_error("table bench is not in the catalog");
  const ddb::TableSchema schema = ddb::DeserializeSchema(*schema_json);
  if (!schema.indexes.empty()) throw std::runtime_error("table bench has indexes");

  ddb::Item item;
  item["message"] = ddb::AttributeValue::S(
      "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod");
  item["user_handle"] = ddb::AttributeValue::S("andrewbrown");
  item["created_at"] = ddb::AttributeValue::S("2024-01-01T00:00:00.000000+00:00");

  // The step's partitions (whole ones; the first and last may be partial), in storage-key order.
  const uint64_t first_p = from / kPerPartition, last_p = (to + kPerPartition - 1) / kPerPartition;
  std::vector<std::pair<std::string, uint64_t>> partitions;
  partitions.reserve(last_p - first_p);
  for (uint64_t p = first_p; p < last_p; ++p) {
    item["pk"] = ddb::AttributeValue::S(PartitionKey(p));
    item["sk"] = ddb::AttributeValue::S(Sk(0));
    partitions.emplace_back(ddb::ItemStorageKey(schema, item), p);
  }
  std::sort(partitions.begin(), partitions.end());

  ddb::storage::WriteBatch batch;
  uint64_t written = 0;
  for (const auto& [_, p] : partitions) {
    item["pk"] = ddb::AttributeValue::S(PartitionKey(p));
    const uint64_t lo = std::max(from, p * kPerPartition);
    const uint64_t hi = std::min(to, (p + 1) * kPerPartition);
    for (uint64_t i = lo; i < hi; ++i) {
      item["sk"] = ddb::AttributeValue::S(Sk(i));
      batch.Put(ddb::ItemStorageKey(schema, item), ddb::EncodeItem(item));
      ++written;
    }
    if (batch.size() >= 1000) {
      store->Write(batch);
      batch = ddb::storage::WriteBatch();
    }
  }
  if (!batch.empty()) store->Write(batch);
  store.reset();  // close (as the engine would) inside the timed part
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("LOAD_RESULT items=%llu seconds=%.2f items_per_s=%.0f mode=direct\n",
              static_cast<unsigned long long>(written), s, written / std::max(s, 1e-9));
  return written == to - from ? 0 : 1;
}

uint64_t IntProperty(rocksdb::DB& db, const std::string& name) {
  uint64_t v = 0;
  if (!db.GetIntProperty(name, &v)) throw std::runtime_error("no RocksDB property " + name);
  return v;
}

int Settle(const std::string& dir, bool full) {
  const auto start = Clock::now();
  rocksdb::DB* raw = nullptr;
  rocksdb::Status st = rocksdb::DB::Open(cruddur::ddb::storage::RocksDbOptions(), dir, &raw);
  if (!st.ok()) throw std::runtime_error("open " + dir + ": " + st.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  st = db->Flush(rocksdb::FlushOptions());
  if (!st.ok()) throw std::runtime_error("flush: " + st.ToString());
  if (full) {
    st = db->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr);
    if (!st.ok()) throw std::runtime_error("compact: " + st.ToString());
  }
  // RocksDB 7.8 has no WaitForCompact: poll until nothing is pending or running.
  while (IntProperty(*db, "rocksdb.compaction-pending") != 0 ||
         IntProperty(*db, "rocksdb.num-running-compactions") != 0 ||
         IntProperty(*db, "rocksdb.num-running-flushes") != 0 ||
         IntProperty(*db, "rocksdb.mem-table-flush-pending") != 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::string levels;
  for (int l = 0; l < db->NumberLevels(); ++l) {
    std::string n;
    db->GetProperty("rocksdb.num-files-at-level" + std::to_string(l), &n);
    levels += (l ? "," : "") + n;
  }
  const double sst_mb = IntProperty(*db, "rocksdb.total-sst-files-size") / 1048576.0;
  const std::string l0 = levels.substr(0, levels.find(','));
  db->Close();
  db.reset();
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("SETTLE_RESULT seconds=%.2f l0_files=%s levels=%s sst_mb=%.1f\n", s, l0.c_str(),
              levels.c_str(), sst_mb);
  return 0;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(p * (v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

// Raw RocksDB doing the storage part of a Query: Seek to the partition, 20 x Next. Opened
// read-only beside the engine (a read-only instance takes no lock; nothing writes during the
// Query phase), with the engine's options and a block cache of its own.
class RawReader {
 public:
  explicit RawReader(const std::string& dir) {
    namespace ddb = cruddur::ddb;
    rocksdb::DB* raw = nullptr;
    rocksdb::Status st = rocksdb::DB::OpenForReadOnly(ddb::storage::RocksDbOptions(), dir, &raw);
    if (!st.ok()) throw std::runtime_error("rocksdb open: " + st.ToString());
    db_.reset(raw);
    std::string schema_json;
    st = db_->Get(rocksdb::ReadOptions(), ddb::keyspace::CatalogKey("bench"), &schema_json);
    if (!st.ok()) throw std::runtime_error("table bench is not in the catalog");
    table_id_ = ddb::DeserializeSchema(schema_json).id;
  }
  ~RawReader() { db_->Close().PermitUncheckedError(); }

  size_t Query(uint64_t partition) {
    namespace ddb = cruddur::ddb;
    const std::string prefix =
        ddb::PartitionPrefix(table_id_, 0, ddb::AttributeValue::S(PartitionKey(partition)));
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    size_t n = 0, bytes = 0;
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      bytes += it->key().size() + it->value().size();
      ++n;
    }
    if (n != kPerPartition) throw std::runtime_error("raw: a partition does not hold 20 items");
    return bytes;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  uint32_t table_id_ = 0;
};

// The Query series run in this many interleaved blocks (raw, engine, engine over the hot set,
// then again), so that a disturbance of a few seconds on this shared machine hits the three
// series alike; each series' CPU p50 is the median of its blocks' p50s.
constexpr int kBlocks = 5;

double MedianOfBlocks(const std::vector<std::vector<double>>& blocks) {
  std::vector<double> p50s;
  for (const auto& b : blocks) p50s.push_back(Percentile(b, 0.50));
  return Percentile(p50s, 0.50);
}

int Measure(const std::string& dir, uint64_t items, int queries, int puts) {
  const uint64_t partitions = std::max<uint64_t>(1, items / kPerPartition);
  const auto open_start = Clock::now();
  auto engine = OpenEngine(dir);
  const double open_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - open_start).count();
  auto raw = std::make_unique<RawReader>(dir);
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<uint64_t> pick(0, partitions - 1);
  // The hot set: the first 500 partitions (the first 10,000 items).
  const uint64_t hot_partitions = std::min<uint64_t>(partitions, 500);
  std::uniform_int_distribution<uint64_t> pick_hot(0, hot_partitions - 1);
  auto query = [&](uint64_t p) {
    std::string req = R"({"TableName":"bench","KeyConditionExpression":"pk = :pk",)"
                      R"("ExpressionAttributeValues":{":pk":{"S":")" +
                      PartitionKey(p) + R"("}}})";
    return engine->Execute("Query", req);
  };
  // Sanity, and a short warm-up (the first calls after opening load index and filter blocks).
  if (query(pick(rng)).find(R"("Count":20)") == std::string::npos) {
    std::fprintf(stderr, "growth_tool: a partition does not hold 20 items\n");
    return 1;
  }
  for (int i = 0; i < std::min(queries / 10, 2000); ++i) {
    query(pick(rng));
    query(pick_hot(rng));
    raw->Query(pick(rng));
  }

  std::vector<double> q_us, q_cpu;
  q_us.reserve(queries);
  q_cpu.reserve(queries);
  std::vector<std::vector<double>> raw_blocks(kBlocks), engine_blocks(kBlocks), hot_blocks(kBlocks);
  const int per_block = std::max(1, queries / kBlocks);
  for (int b = 0; b < kBlocks; ++b) {
    std::vector<uint64_t> ps(per_block), hot(per_block);
    for (auto& p : ps) p = pick(rng);
    for (auto& p : hot) p = pick_hot(rng);
    for (uint64_t p : ps) {  // raw RocksDB, on the partitions the engine reads next
      const double c0 = ThreadCpuUs();
      raw->Query(p);
      raw_blocks[b].push_back(ThreadCpuUs() - c0);
    }
    for (uint64_t p : ps) {
      const double c0 = ThreadCpuUs();
      const auto t0 = Clock::now();
      std::string r = query(p);
      q_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      q_cpu.push_back(ThreadCpuUs() - c0);
      engine_blocks[b].push_back(q_cpu.back());
      if (r.size() < 1000) {
        std::fprintf(stderr, "growth_tool: short Query answer for %s\n", PartitionKey(p).c_str());
        return 1;
      }
    }
    for (uint64_t p = 0; p < hot_partitions; ++p) query(p);  // the set is hot again
    for (uint64_t p : hot) {
      const double c0 = ThreadCpuUs();
      query(p);
      hot_blocks[b].push_back(ThreadCpuUs() - c0);
    }
  }
  raw.reset();
  double q_mean = 0;
  for (double v : q_us) q_mean += v;
  q_mean /= std::max<size_t>(1, q_us.size());

  // New partition keys each time (inserts), unique per run.
  const std::string tag =
      std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  std::vector<double> p_us;
  p_us.reserve(puts);
  const auto put_start = Clock::now();
  const double put_cpu_start = ThreadCpuUs();
  for (int i = 0; i < puts; ++i) {
    std::string req = R"({"TableName":"bench","Item":)" +
                      ItemJson("put-" + tag + "-" + std::to_string(i), "msg") + "}";
    const auto t0 = Clock::now();
    engine->Execute("PutItem", req);
    p_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  const double put_s = std::chrono::duration<double>(Clock::now() - put_start).count();
  const double put_cpu_us = (ThreadCpuUs() - put_cpu_start) / std::max(puts, 1);

  std::printf(
      "GROWTH_RESULT items=%llu query_p50_us=%.1f query_p99_us=%.1f query_mean_us=%.1f "
      "put_ops=%.0f put_p50_us=%.1f put_p99_us=%.1f open_ms=%.1f query_cpu_p50_us=%.1f "
      "query_cpu_p99_us=%.1f put_cpu_us=%.1f raw_query_cpu_p50_us=%.1f "
      "hot_query_cpu_p50_us=%.1f\n",
      static_cast<unsigned long long>(items), Percentile(q_us, 0.50), Percentile(q_us, 0.99),
      q_mean, puts / std::max(put_s, 1e-9), Percentile(p_us, 0.50), Percentile(p_us, 0.99), open_ms,
      MedianOfBlocks(engine_blocks), Percentile(q_cpu, 0.99), put_cpu_us,
      MedianOfBlocks(raw_blocks), MedianOfBlocks(hot_blocks));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "load" && argc == 5) {
      return Load(argv[2], std::stoull(argv[3]), std::stoull(argv[4]));
    }
    if (cmd == "load-direct" && argc == 5) {
      return LoadDirect(argv[2], std::stoull(argv[3]), std::stoull(argv[4]));
    }
    if (cmd == "settle" && (argc == 3 || (argc == 4 && std::string(argv[3]) == "full"))) {
      return Settle(argv[2], argc == 4);
    }
    if (cmd == "measure" && argc >= 4 && argc <= 6) {
      return Measure(argv[2], std::stoull(argv[3]), argc > 4 ? std::stoi(argv[4]) : 20000,
                     argc > 5 ? std::stoi(argv[5]) : 20000);
    }
    std::fprintf(stderr,
                 "usage: growth_tool load DIR FROM TO\n"
                 "       growth_tool load-direct DIR FROM TO\n"
                 "       growth_tool settle DIR [full]\n"
                 "       growth_tool measure DIR ITEMS [QUERIES] [PUTS]\n");
    return 2;
  } catch (const cruddur::ddb::ApiError& e) {
    std::fprintf(stderr, "growth_tool: %s\n", e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "growth_tool: %s\n", e.what());
  }
  return 1;
}
