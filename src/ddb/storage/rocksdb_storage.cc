// Persistent Storage on RocksDB.
//
// Durability: every Write goes through the WAL (never disabled), so a batch survives kill -9 once
// its record is in the OS page cache: when Write returns, or with Options::deferred_wal once
// FlushWal() has run after it; Options::fsync also syncs the WAL for power-loss durability (each
// Write, or each FlushWal() of a deferred WAL). Iterators read RocksDB's implicit snapshot, taken
// when the iterator is made (no explicit Snapshot: taking one locks the DB mutex per Query).
#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/thread_annotations.h"
#include "ddb/storage/rocksdb_env.h"
#include "ddb/storage/rocksdb_options.h"
#include "ddb/storage/storage.h"
#include "log/log.h"

namespace cruddur::ddb::storage {
namespace {

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view ToView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

[[noreturn]] void Fail(const std::string& what, const rocksdb::Status& status) {
  throw std::runtime_error(what + ": " + status.ToString());
}

// RocksDB reports a held LOCK file as an IOError mentioning the lock ("While lock file: ...
// Resource temporarily unavailable" from another process, "lock hold by current process" from
// this one).
bool IsLockError(const rocksdb::Status& status) {
  if (!status.IsIOError()) return false;
  const std::string text = status.ToString();
  return text.find("lock file") != std::string::npos ||
         text.find("lock hold") != std::string::npos || text.find("/LOCK") != std::string::npos;
}

// The megabytes in the environment variable `name` (a whole number under 2^20; 0 only when
// `zero_allowed`), else `default_mb`; as bytes.
size_t CacheBytes(const char* name, size_t default_mb, bool zero_allowed) {
  if (const char* env = std::getenv(name)) {
    char* end = nullptr;
    const unsigned long long mb = std::strtoull(env, &end, 10);
    if (end != env && *end == '\0' && *env != '-' && (mb > 0 || zero_allowed) &&
        mb < (1ULL << 20)) {
      return static_cast<size_t>(mb) << 20;
    }
  }
  return default_mb << 20;
}

// 64 MB unless CRUDDUR_BLOCK_CACHE_MB says otherwise. The cache holds uncompressed blocks, ~10x
// the table files' size for the benchmark's items, so it cannot hold a big table anyway; a
// bigger one only pays when the hot set fits (bench/growth_findings.md: 512 MB cut Query CPU at
// 1M items from 20 to 16 us, for 125 MB more RSS, and did not help at 10M).
size_t BlockCacheBytes() { return CacheBytes("CRUDDUR_BLOCK_CACHE_MB", 64, false); }

// 32 MB unless CRUDDUR_ROW_CACHE_MB says otherwise (0: none). RocksDB's row cache keeps the
// values that Gets found in table files: a GetItem of an item already read skips the table
// file's index and block search (engine_bench GetItem from a table file 1.86 -> 1.14 us, and
// over HTTP persistent GetItem 7.0-7.7 -> 6.4-6.7 us of server CPU). It costs a Get that misses
// it ~0.15 us (the entry is inserted), and a write's old-item read of a new key a lookup per
// table file it checks (PutItem +1.5-3%; bench/persistent_findings.md). Filled only by reads:
// an idle server's RSS is unchanged, and ~80k items of the benchmark's size fit.
size_t RowCacheBytes() { return CacheBytes("CRUDDUR_ROW_CACHE_MB", 32, true); }

// An idle server starts with memtables of this size and RocksDbOptions()'s once this much has been
// written: a memtable's whole-key bloom (memtable_prefix_bloom_size_ratio of it, zeroed when the
// memtable is made) and the WAL's preallocation (1.1x) scale with write_buffer_size, so the full
// 32 MB cost ~0.7 MB of RSS and a 35 MB fallocate before the first write (issue 21).
constexpr size_t kIdleWriteBufferBytes = size_t{4} << 20;
constexpr uint64_t kGrowAfterBytes = uint64_t{1} << 20;

// What a data dir holds, from one listing of its files.
struct DirContents {
  bool has_current = false;  // RocksDB's CURRENT: else opening it creates a new database
  uint64_t wal_bytes = 0;    // write-ahead log, which opening the dir replays into memtables
  size_t table_files = 0;    // table (and blob) files, where flushed data lives

  bool HoldsNoData() const { return wal_bytes == 0 && table_files == 0; }
};

DirContents ReadDirContents(const std::string& dir) {
  DirContents contents;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const auto& path = entry.path();
    const auto extension = path.extension();
    if (path.filename() == "CURRENT") {
      contents.has_current = true;
    } else if (extension == ".log") {
      contents.wal_bytes += entry.file_size(ec);
    } else if (extension == ".sst" || extension == ".ldb" || extension == ".blob") {
      ++contents.table_files;
    }
  }
  return contents;
}

// Opening a dir reads every table file's metadata; below this many files one thread does it
// (RocksDB's default 16 threads are made, and end, even for none).
constexpr size_t kParallelOpenTableFiles = 16;

// Whether `key` starts with a partition prefix (storage.h's kPartitionPrefixBytes): item and
// index entry keys do; other keys have none.
bool HasPartitionPrefix(std::string_view key) {
  return key.size() >= kPartitionPrefixBytes && key[0] == kPartitionKeyspace;
}

// The partition prefix of an item or index entry key; other keys have none. Its bloom filters let a
// Query's Seek skip every memtable and table file that holds nothing of the partition. The name is
// stored in table files: a file written with another extractor (or none) is read without its prefix
// filter.
class PartitionPrefixExtractor final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "cruddur.PartitionPrefix.v1"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), kPartitionPrefixBytes);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return HasPartitionPrefix(std::string_view(key.data(), key.size()));
  }
};

}  // namespace

// The static initializers of a RocksDB archive linked with its .init_array renamed (CMake's
// CRUDDUR_LAZY_ROCKSDB_INIT): ld bounds that section with these symbols; weak, they are null
// when RocksDB is linked as is.
// NOLINTBEGIN(bugprone-reserved-identifier,readability-identifier-naming): ld's names for them
extern "C" {
extern void (*const __start_cruddur_rocksdb_init[])() __attribute__((weak, visibility("hidden")));
extern void (*const __stop_cruddur_rocksdb_init[])() __attribute__((weak, visibility("hidden")));
}
// NOLINTEND(bugprone-reserved-identifier,readability-identifier-naming)

void InitRocksDb() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (__start_cruddur_rocksdb_init == nullptr) return;
    for (auto* init = __start_cruddur_rocksdb_init; init != __stop_cruddur_rocksdb_init; ++init) {
      (*init)();
    }
  });
}

rocksdb::Options RocksDbOptions() {
  InitRocksDb();
  rocksdb::Options options;
  options.create_if_missing = true;
  // Its pools' threads start with the first flush or compaction (an idle server has none).
  options.env = LazyThreadsEnv();
  // Sized for a small-item OLTP workload on a 2-core machine.
  options.IncreaseParallelism(2);
  options.max_background_jobs = 2;
  options.compaction_style = rocksdb::kCompactionStyleLevel;
  options.level_compaction_dynamic_level_bytes = true;
  options.bytes_per_sync = 1 << 20;
  // Memtables of 32 MB, flushed four at a time into one L0 file: a memtable insert (a skiplist
  // search with a cache miss per level, the persistent write's biggest cost) is cheaper in four
  // small skiplists than in one big one (four of 16 MB measured ~20% less CPU per written item
  // than one of 64 MB), while an L0 file holds 128 MB of memtable. Every L0->base compaction
  // rewrites the whole base level (the partition hash leads every key, so each L0 file spans all of
  // it), so bigger L0 files mean fewer such rewrites: 32 MB instead of 16 cut compaction CPU 43%
  // and a persistent BatchWriteItem's server CPU 11% at 3.9M items (bench/writes_findings.md). A
  // Get or Query checks up to 6 memtables' blooms; peak memtable memory is 192 MB (6 x 32).
  options.write_buffer_size = size_t{32} << 20;
  options.min_write_buffer_number_to_merge = 4;
  options.max_write_buffer_number = 6;
  // LZ4 compresses the benchmark's items smaller than Snappy (table files 202 -> 154 MB at 10M
  // items) and faster: flushes and compactions, which compress every byte they write, spend 7-13%
  // less CPU per written item (bench/persistent_findings.md). Snappy (the default) where a RocksDB
  // build lacks LZ4. A table file records its compression: Snappy files stay readable.
  const auto supported = rocksdb::GetSupportedCompressions();
  options.compression =
      std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) != supported.end()
          ? rocksdb::kLZ4Compression
          : rocksdb::kSnappyCompression;
  options.keep_log_file_num = 3;  // RocksDB's info LOG files, not the WAL
  // No periodic statistics: the dump to the info LOG (every 10 min, and the first at once, on the
  // timer thread while the DB opens) and the in-memory history (which keeps nothing without a
  // Statistics object) each ran code an idle server otherwise keeps out of its RSS (issue 21).
  options.stats_dump_period_sec = 0;
  options.stats_persist_period_sec = 0;
  // Whole-key bloom in the memtable helps point Gets on recent writes; its partition prefixes
  // let a Query skip a memtable without the partition.
  options.memtable_whole_key_filtering = true;
  options.memtable_prefix_bloom_size_ratio = 0.02;
  options.prefix_extractor = std::make_shared<PartitionPrefixExtractor>();

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(BlockCacheBytes());
  if (const size_t row_cache = RowCacheBytes(); row_cache > 0) {
    options.row_cache = rocksdb::NewLRUCache(row_cache);
  }
  // Whole keys (for Gets) and partition prefixes (for a Query's Seek) in one filter. Iterators
  // over more than one partition read in total order, without the prefix filter.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.whole_key_filtering = true;
  // Index and filter blocks stay in the table readers, not the block cache: a compacted file's
  // index is bigger than one shard of a 64 MB sharded cache, so caching it meant re-reading
  // and decompressing it on every lookup (a 90x slowdown at a million items).
  table.cache_index_and_filter_blocks = false;
  // Those indexes are read whole when the database opens: 16 KB blocks and an uncompressed
  // index make them 4x smaller, halving the open time of a 10M-item data dir (Query and PutItem
  // unchanged; bench/growth_findings.md).
  table.block_size = 16 * 1024;
  table.enable_index_compression = false;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

namespace {

// Every read's options. Storage writes only Puts and Deletes (WriteBatch has no range delete), so
// no memtable or table file holds a range tombstone: reads skip looking for them (a memtable's
// range tombstone iterator on each Get and iterator Refresh, the merging iterator's checks).
const rocksdb::ReadOptions& BaseReadOptions() {
  static const rocksdb::ReadOptions kOptions = [] {
    rocksdb::ReadOptions read;
    read.ignore_range_deletions = true;
    return read;
  }();
  return kOptions;
}

// How an iterator reads: in total order (any range of keys), or within one partition prefix
// (RocksDB's prefix seek: a Seek skips memtables and table files whose prefix bloom filter says
// they hold nothing of the target's partition). Past the partition a prefix iterator's order is
// undefined, which Storage::NewPartitionIterator allows (its caller stops at the partition's
// end); it does not set prefix_same_as_start, whose prefix comparison on every Next only repeats
// the caller's (issue 21: -1% of a 20-item Query's instructions).
enum class ReadMode { kTotalOrder, kPartition };

rocksdb::ReadOptions ReadOptionsFor(ReadMode mode) {
  rocksdb::ReadOptions read = BaseReadOptions();
  if (mode == ReadMode::kTotalOrder) read.total_order_seek = true;
  return read;
}

// Idle RocksDB iterators, reused by NewIterator. Making one (a merging iterator over every
// memtable and table file, in an arena of its own) and destroying it cost about a third of a
// 20-item Query's RocksDB time; Refresh() of an idle one only moves it to the latest sequence
// number while no flush or compaction has changed the files (and rebuilds it when one has).
class IteratorPool {
 public:
  // At most this many idle iterators of each mode: one per worker thread covers `ddb serve`.
  static constexpr size_t kMaxIdle = 16;

  // An iterator reading the DB as of now, without ReadOptions::snapshot (the same point-in-time
  // view an explicit snapshot gives, without the DB mutex).
  std::unique_ptr<rocksdb::Iterator> Take(rocksdb::DB* db, ReadMode mode) {
    std::unique_ptr<rocksdb::Iterator> iter;
    {
      MutexLock lock(mu_);
      auto& idle = idle_[static_cast<int>(mode)];
      if (!idle.empty()) {
        iter = std::move(idle.back());
        idle.pop_back();
      }
    }
    if (iter && iter->Refresh().ok()) return iter;
    iter.reset();
    return std::unique_ptr<rocksdb::Iterator>(db->NewIterator(ReadOptionsFor(mode)));
  }

  void Give(std::unique_ptr<rocksdb::Iterator> iter, ReadMode mode) {
    if (!iter->status().ok()) return;
    MutexLock lock(mu_);
    auto& idle = idle_[static_cast<int>(mode)];
    if (idle.size() < kMaxIdle) idle.push_back(std::move(iter));
  }

  // Destroys the idle iterators, which pin the memtables and table files they were made over.
  void Clear() {
    std::vector<std::unique_ptr<rocksdb::Iterator>> dropped[2];
    MutexLock lock(mu_);
    dropped[0].swap(idle_[0]);
    dropped[1].swap(idle_[1]);
    lock.Unlock();  // destroy outside the lock
  }

 private:
  Mutex mu_;
  std::vector<std::unique_ptr<rocksdb::Iterator>> idle_[2] GUARDED_BY(mu_);  // by ReadMode
};

// Empties the pool when a flush or compaction has made the idle iterators' files obsolete, so
// that an idle server does not keep a flushed memtable or compacted-away files alive.
class IteratorPoolReset final : public rocksdb::EventListener {
 public:
  explicit IteratorPoolReset(std::shared_ptr<IteratorPool> pool) : pool_(std::move(pool)) {}
  void OnFlushCompleted(rocksdb::DB*, const rocksdb::FlushJobInfo&) override { pool_->Clear(); }
  void OnCompactionCompleted(rocksdb::DB*, const rocksdb::CompactionJobInfo&) override {
    pool_->Clear();
  }

 private:
  std::shared_ptr<IteratorPool> pool_;
};

// The error of a write that reached a file already broken by an earlier error (the WAL after a
// failed append): an echo of that error, not a new one.
bool IsBrokenFileEcho(const rocksdb::Status& status) {
  if (!status.IsIOError()) return false;
  const std::string text = status.ToString();
  return text.find("Writer has previous error") != std::string::npos ||
         text.find("Seen error. Skip writing buffer") != std::string::npos;
}

// Whether RocksDB has stopped writes after an I/O error, shared by the storage and the listener
// below (which RocksDB tells).
struct WriteStop {
  std::atomic<bool> stopped{false};
  Mutex mu;
  std::string reason GUARDED_BY(mu);  // the error that stopped them
};

// Keeps a full disk recoverable. A WAL write that fails (ENOSPC) leaves that WAL file broken and
// stops RocksDB's writes; for a full disk RocksDB then checks the free space every 5 s and, once
// there is room, writes the memtables (with every write the broken file held) out to table files
// and opens a new WAL. Two things would turn that into a fatal error, which only a restart ends:
//   - a write or WAL flush that reaches the broken file (one racing the failure on the other
//     worker) fails with the file's "previous error" message, a plain I/O error that RocksDB
//     classes as fatal: such echoes of an error already reported are dropped here (the write that
//     met one still fails);
//   - a WAL flush during the recovery, whose error would fail it: FlushWal refuses while `stopped`
//     is set, from the error until RocksDB reports the recovery done.
class WriteStopListener final : public rocksdb::EventListener {
 public:
  explicit WriteStopListener(std::shared_ptr<WriteStop> stop) : stop_(std::move(stop)) {}

  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* error) override {
    if (IsBrokenFileEcho(*error)) {
      *error = rocksdb::Status::OK();
      return;
    }
    const std::string text = error->ToString();
    const bool fatal = error->severity() >= rocksdb::Status::Severity::kFatalError;
    if (reason != rocksdb::BackgroundErrorReason::kWriteCallback &&
        reason != rocksdb::BackgroundErrorReason::kMemTable &&
        error->severity() < rocksdb::Status::Severity::kHardError) {
      return;  // a flush or compaction that will be retried; writes go on
    }
    {
      MutexLock lock(stop_->mu);
      stop_->reason = text;
    }
    stop_->stopped.store(true, std::memory_order_release);
    log::Error("storage",
               fatal ? "writes stopped by an I/O error RocksDB cannot recover from: restart the "
                       "server once its cause is fixed"
                     : "writes stopped by an I/O error until RocksDB recovers from it (a full "
                       "disk: within 5 s of there being room)",
               {{"reason", text}});
  }

  void OnErrorRecoveryEnd(const rocksdb::BackgroundErrorRecoveryInfo& info) override {
    if (!info.new_bg_error.ok()) return;  // RocksDB tries again
    stop_->stopped.store(false, std::memory_order_release);
    if (info.old_bg_error.ok()) return;  // ReopenBrokenWal's Resume(), which says so itself
    log::Info("storage", "writes resumed: the memtables are on disk and a new WAL is open",
              {{"after", info.old_bg_error.ToString()}});
  }

 private:
  std::shared_ptr<WriteStop> stop_;
};

class RocksDbIterator final : public Iterator {
 public:
  // `partition`: kPartition's prefix (kPartitionPrefixBytes); empty for kTotalOrder.
  RocksDbIterator(rocksdb::DB* db, IteratorPool* pool, std::string partition)
      : db_(db),
        pool_(pool),
        mode_(partition.empty() ? ReadMode::kTotalOrder : ReadMode::kPartition),
        partition_(std::move(partition)),
        iter_(pool->Take(db, mode_)) {}
  ~RocksDbIterator() override { pool_->Give(std::move(iter_), mode_); }
  RocksDbIterator(const RocksDbIterator&) = delete;
  RocksDbIterator& operator=(const RocksDbIterator&) = delete;

  void Seek(std::string_view target) override {
    InPartitionOf(target);
    iter_->Seek(ToSlice(target));
    Moved();
  }
  void SeekForPrev(std::string_view target) override {
    InPartitionOf(target);
    iter_->SeekForPrev(ToSlice(target));
    Moved();
  }
  bool Valid() const override { return valid_; }
  void Next() override {
    iter_->Next();
    Moved();
  }
  void Prev() override {
    iter_->Prev();
    Moved();
  }
  std::string_view key() const override { return ToView(iter_->key()); }
  std::string_view value() const override { return ToView(iter_->value()); }

 private:
  // A partition iterator seeks only within its prefix; a target outside it (a reverse Query's
  // bound just past the partition, should a key encoding end in 0xFF bytes) makes it a total
  // order iterator, since the prefix filters would look up the wrong partition.
  void InPartitionOf(std::string_view target) {
    if (mode_ == ReadMode::kTotalOrder || target.starts_with(partition_)) return;
    pool_->Give(std::move(iter_), mode_);
    mode_ = ReadMode::kTotalOrder;
    iter_ = pool_->Take(db_, mode_);
  }

  // Notes where a move left the iterator, so that Valid() (asked once or twice per entry) is not
  // another chain of virtual calls into RocksDB's iterators. An invalid iterator may mean "end"
  // or an I/O error; only the latter is thrown.
  void Moved() {
    valid_ = iter_->Valid();
    if (!valid_ && !iter_->status().ok()) Fail("storage iterator failed", iter_->status());
  }

  rocksdb::DB* db_;
  IteratorPool* pool_;
  ReadMode mode_;
  std::string partition_;
  std::unique_ptr<rocksdb::Iterator> iter_;
  bool valid_ = false;  // iter_->Valid() after the last move
};

// Past every keyspace of the engine's (ddb/table.h, ddb/streams.h): ReopenBrokenWal's tombstone.
constexpr std::string_view kWalSwitchKey =
    "\xff"
    "cruddur.wal-switch";

class RocksDbStorage final : public Storage {
 public:
  // full_write_buffer: the write_buffer_size to grow to after kGrowAfterBytes of writes (0: the
  // DB already runs with it).
  RocksDbStorage(std::unique_ptr<rocksdb::Env> env, std::shared_ptr<DataDirFileSystem> fs,
                 std::unique_ptr<rocksdb::DB> db, std::shared_ptr<IteratorPool> pool,
                 std::shared_ptr<WriteStop> stop, const Options& options, size_t full_write_buffer)
      : env_(std::move(env)),
        fs_(std::move(fs)),
        db_(std::move(db)),
        pool_(std::move(pool)),
        stop_(std::move(stop)),
        deferred_wal_(db_->GetDBOptions().manual_wal_flush),
        sync_wal_(options.fsync),
        full_write_buffer_(full_write_buffer) {
    // A deferred WAL is synced by FlushWal(), once for all the writes before it.
    write_options_.sync = sync_wal_ && !deferred_wal_;
    write_options_.disableWAL = false;
  }
  ~RocksDbStorage() override {
    if (creation_sync_.joinable()) creation_sync_.join();
    if (deferred_wal_) db_->FlushWAL(sync_wal_).PermitUncheckedError();  // (Close() would write)
    // Close() reports errors that the destructor would swallow; nothing useful to do with them
    // here, the WAL already holds every acknowledged write.
    pool_->Clear();  // iterators go before their DB
    db_->Close().PermitUncheckedError();
  }

  bool Read(std::string_view key, const std::function<void(std::string_view)>& read) override {
    rocksdb::PinnableSlice value;  // pins the block (or memtable) holding it: no copy
    const rocksdb::Status status =
        db_->Get(BaseReadOptions(), db_->DefaultColumnFamily(), ToSlice(key), &value);
    if (status.IsNotFound()) return false;
    if (!status.ok()) Fail("storage read failed", status);
    read(std::string_view(value.data(), value.size()));
    return true;
  }

  void MultiRead(const std::vector<std::string_view>& keys,
                 const std::function<void(size_t, std::string_view)>& read) override {
    if (keys.size() >= 2 && InOnePartition(keys)) {
      ReadPartition(keys, read);
      return;
    }
    MultiGet(keys, read);
  }

  void Write(const WriteBatch& batch) override {
    if (batch.empty()) return;
    // Sized up front: growing the batch's buffer through its appends cost a few reallocations.
    size_t bytes = 32;
    for (const WriteBatch::Op& op : batch.ops()) {
      bytes += op.key.size() + (op.value ? op.value->size() : 0) + 16;
    }
    rocksdb::WriteBatch rocks_batch(bytes);
    for (const WriteBatch::Op& op : batch.ops()) {
      const rocksdb::Status status =
          op.value ? rocks_batch.Put(op.key, *op.value) : rocks_batch.Delete(op.key);
      if (!status.ok()) Fail("storage batch rejected", status);
    }
    rocksdb::Status status = db_->Write(write_options_, &rocks_batch);
    // A write that fails on the WAL applies nothing: once a new WAL is open it can run again.
    if (!status.ok() && ReopenBrokenWal(status)) status = db_->Write(write_options_, &rocks_batch);
    if (!status.ok()) Fail("storage write failed", status);
    if (full_write_buffer_ != 0) GrowWithLoad(rocks_batch.GetDataSize());
  }

  // A write's WAL record is in RocksDB's buffer before its sequence number is published (and
  // before any reader can see it), so a flush started after reading the latest sequence number
  // covers every write up to it: a caller that saw a write (its own or another's) finds it
  // covered by wal_flushed_ or flushes it. With fsync the flush syncs the WAL too (FlushWAL(true)
  // writes the buffer, then syncs every WAL file up to the current one): the writes of all the
  // answers of a turn share one sync, and a flush whose writes an earlier one (the other
  // worker's) already covered makes none.
  void FlushWal() override {
    if (!deferred_wal_) return;
    const rocksdb::SequenceNumber latest = db_->GetLatestSequenceNumber();
    rocksdb::SequenceNumber flushed = wal_flushed_.load(std::memory_order_acquire);
    if (latest <= flushed) return;
    if (stop_->stopped.load(std::memory_order_acquire)) {
      MutexLock lock(stop_->mu);
      throw std::runtime_error("storage writes stopped (" + stop_->reason + ")");
    }
    rocksdb::Status status = db_->FlushWAL(sync_wal_);
    // The writes the broken WAL held are in table files once it is reopened.
    if (!status.ok() && ReopenBrokenWal(status)) status = db_->FlushWAL(sync_wal_);
    if (!status.ok()) {
      Fail(sync_wal_ ? "storage WAL sync failed" : "storage WAL write failed", status);
    }
    while (flushed < latest &&
           !wal_flushed_.compare_exchange_weak(flushed, latest, std::memory_order_acq_rel)) {
    }
  }

  // Runs the sync pass of the data dir just created (SyncCreatedDataDir) on a thread of its own;
  // a failure is logged: the DB itself is open and works.
  void SyncCreationLater(const std::string& dir) {
    creation_sync_ = std::thread([dir] {
      try {
        SyncCreatedDataDir(dir);
      } catch (const std::exception& e) {
        log::Warn("storage", "the new data dir could not be synced to disk",
                  {{"dir", dir}, {"reason", e.what()}});
      }
    });
  }

  std::unique_ptr<Iterator> NewIterator() override {
    return std::make_unique<RocksDbIterator>(db_.get(), pool_.get(), std::string());
  }

  std::unique_ptr<Iterator> NewPartitionIterator(std::string_view partition) override {
    if (!HasPartitionPrefix(partition)) return NewIterator();
    return std::make_unique<RocksDbIterator>(
        db_.get(), pool_.get(), std::string(partition.substr(0, kPartitionPrefixBytes)));
  }

  uint64_t WalSyncs() override { return fs_->wal_syncs(); }
  bool WritesStopped() override { return stop_->stopped.load(std::memory_order_acquire); }

  std::optional<uint64_t> IntProperty(std::string_view name) override {
    uint64_t value = 0;
    if (!db_->GetIntProperty(rocksdb::Slice(name.data(), name.size()), &value)) return std::nullopt;
    return value;
  }

 private:
  // Keys that all start with one partition prefix (a batch or transaction writing items of one
  // partition key, or a bulk load of one) are first looked for with one iterator over that
  // partition: its Seek probes each memtable's and table file's prefix filter once, where
  // MultiGet probes every key's whole-key filter in each of them (9% of a persistent 25-item
  // BatchWriteItem), so a new partition costs one Seek that finds nothing. Existing items next
  // to each other are found by stepping through the partition; from the first key more than a
  // few items further on, the rest go to MultiGet, which finds items spread over a big partition
  // faster than a Seek each (bench/engine_bench.cc's BM_MultiRead).
  static bool InOnePartition(const std::vector<std::string_view>& keys) {
    if (!HasPartitionPrefix(keys.front())) return false;
    const std::string_view prefix = keys.front().substr(0, kPartitionPrefixBytes);
    return std::all_of(keys.begin(), keys.end(),
                       [&](std::string_view k) { return k.starts_with(prefix); });
  }

  void ReadPartition(const std::vector<std::string_view>& keys,
                     const std::function<void(size_t, std::string_view)>& read) {
    constexpr int kMaxSteps = 2;  // Next()s toward a key before leaving the rest to MultiGet
    std::vector<size_t> order(keys.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
    const std::string_view prefix = keys.front().substr(0, kPartitionPrefixBytes);
    size_t done = 0;  // keys of `order` settled by the iterator
    {
      RocksDbIterator it(db_.get(), pool_.get(), std::string(prefix));
      it.Seek(keys[order.front()]);
      for (; done < order.size(); ++done) {
        const size_t i = order[done];
        for (int steps = 0;
             steps < kMaxSteps && it.Valid() && it.key().starts_with(prefix) && it.key() < keys[i];
             ++steps) {
          it.Next();
        }
        // Past the partition's last item, no later key is present.
        if (!it.Valid() || !it.key().starts_with(prefix)) return;
        if (it.key() < keys[i]) break;
        if (it.key() == keys[i]) read(i, it.value());
      }
    }
    if (done == order.size()) return;
    std::vector<std::string_view> rest;
    rest.reserve(order.size() - done);
    for (size_t n = done; n < order.size(); ++n) rest.push_back(keys[order[n]]);
    MultiGet(rest, [&](size_t n, std::string_view value) { read(order[done + n], value); });
  }

  void MultiGet(const std::vector<std::string_view>& keys,
                const std::function<void(size_t, std::string_view)>& read) {
    std::vector<rocksdb::Slice> slices;
    slices.reserve(keys.size());
    for (std::string_view k : keys) slices.push_back(ToSlice(k));
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    db_->MultiGet(BaseReadOptions(), db_->DefaultColumnFamily(), keys.size(), slices.data(),
                  values.data(), statuses.data());
    for (size_t i = 0; i < keys.size(); ++i) {
      if (statuses[i].IsNotFound()) continue;
      if (!statuses[i].ok()) Fail("storage read failed", statuses[i]);
      read(i, std::string_view(values[i].data(), values[i].size()));
    }
  }

  // RocksDB's recovery from a full disk (WriteStopListener) opens a new WAL only when the memtable
  // holds something to write out. When the WAL broke with the memtable empty (its first append
  // after a switch failed), the recovered DB keeps the broken file, and every write fails with
  // its "previous error" although RocksDB reports no error. A tombstone of a key that no keyspace
  // uses, put in the memtable alone (no WAL), gives a Resume() something to write out: its switch
  // of memtables, in recovery, retries the old WAL's buffer and opens a new WAL (outside recovery
  // the switch gives up on the broken file). Everything the old WAL held is then in table files.
  // Tried at most once per kReopenInterval (a disk still full fails it). True when it worked:
  // `status`'s operation can run again.
  bool ReopenBrokenWal(const rocksdb::Status& status) {
    if (!IsBrokenFileEcho(status) || stop_->stopped.load(std::memory_order_acquire)) return false;
    MutexLock lock(reopen_mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (now < next_reopen_) return false;
    next_reopen_ = now + kReopenInterval;
    rocksdb::WriteOptions memtable_only;
    memtable_only.disableWAL = true;
    rocksdb::WriteBatch marker;
    if (!marker.Delete(ToSlice(kWalSwitchKey)).ok() || !db_->Write(memtable_only, &marker).ok() ||
        !db_->Resume().ok()) {
      return false;
    }
    log::Info("storage", "a new WAL replaces the one an I/O error broke");
    return true;
  }

  // Gives the memtables their full size once the server is written to (the current memtable
  // grows too; its bloom stays small until it is flushed). Once: later writes skip it.
  void GrowWithLoad(size_t bytes) {
    if (grown_.load(std::memory_order_relaxed)) return;
    if (written_.fetch_add(bytes, std::memory_order_relaxed) + bytes < kGrowAfterBytes) return;
    if (grown_.exchange(true)) return;
    // A failure leaves the small memtables: slower writes, nothing lost.
    db_->SetOptions({{"write_buffer_size", std::to_string(full_write_buffer_)}})
        .PermitUncheckedError();
  }

  std::unique_ptr<rocksdb::Env> env_;      // the DB's files and threads: outlives it
  std::shared_ptr<DataDirFileSystem> fs_;  // env_'s; counts the WAL's syncs
  std::unique_ptr<rocksdb::DB> db_;
  std::shared_ptr<IteratorPool> pool_;
  std::shared_ptr<WriteStop> stop_;  // WriteStopListener's
  static constexpr std::chrono::milliseconds kReopenInterval{100};
  Mutex reopen_mutex_;  // ReopenBrokenWal's
  std::chrono::steady_clock::time_point next_reopen_ GUARDED_BY(reopen_mutex_);
  rocksdb::WriteOptions write_options_;
  const bool deferred_wal_;  // opened with manual_wal_flush (Options::deferred_wal)
  const bool sync_wal_;      // Options::fsync: by each Write, or by FlushWal() when deferred
  // Every write up to it is in the OS (and on the disk with sync_wal_).
  std::atomic<rocksdb::SequenceNumber> wal_flushed_{0};
  const size_t full_write_buffer_;
  std::atomic<uint64_t> written_{0};
  std::atomic<bool> grown_{false};
  std::thread creation_sync_;  // SyncCreationLater()
};

// What RocksDB's info LOG (<dir>/LOG) said while DB::Open recovered. A damaged or incomplete WAL
// record ends the replay there (kPointInTimeRecovery, RocksDB's default, as PostgreSQL's recovery
// ends at its first bad record) unless the next record follows on from the one before it; what
// it drops, RocksDB tells only its LOG. Normal opens warn of nothing.
struct OpenReport {
  std::vector<std::string> warnings;
  std::optional<uint64_t> replay_stopped_at;  // the sequence number the replay stopped before
};

// The info LOG, keeping the open's OpenReport.
class OpenLogger final : public rocksdb::LoggerWrapper {
 public:
  explicit OpenLogger(std::shared_ptr<rocksdb::Logger> file)
      : LoggerWrapper(file.get()), file_(std::move(file)) {}

  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (opening_.load(std::memory_order_acquire) && level < rocksdb::InfoLogLevel::HEADER_LEVEL &&
        (level >= rocksdb::InfoLogLevel::WARN_LEVEL ||
         std::strstr(format, kReplayStopped) != nullptr)) {
      Keep(level, format, ap);
    }
    LoggerWrapper::Logv(level, format, ap);
  }

  // Stops keeping; returns what the open said.
  OpenReport EndOpen() {
    opening_.store(false, std::memory_order_release);
    MutexLock lock(mu_);
    return std::move(report_);
  }

 private:
  static constexpr const char* kReplayStopped = "Point in time recovered to log #";

  void Keep(rocksdb::InfoLogLevel level, const char* format, va_list ap) {
    std::array<char, 1024> text{};
    va_list copy;
    va_copy(copy, ap);
    std::vsnprintf(text.data(), text.size(), format, copy);  // NOLINT(*-vararg): RocksDB's
    va_end(copy);
    std::string_view line(text.data());
    if (line.starts_with('[')) {  // RocksDB's ROCKS_LOG_* put "[source.cc:line] " first
      if (const size_t end = line.find("] "); end != std::string_view::npos) {
        line.remove_prefix(end + 2);
      }
    }
    MutexLock lock(mu_);
    if (level >= rocksdb::InfoLogLevel::WARN_LEVEL) {
      report_.warnings.emplace_back(line);
    } else if (const size_t seq = line.find(" seq #"); seq != std::string_view::npos) {
      report_.replay_stopped_at = std::strtoull(line.data() + seq + 6, nullptr, 10);
    }
  }

  std::shared_ptr<rocksdb::Logger> file_;
  std::atomic<bool> opening_{true};
  Mutex mu_;
  OpenReport report_ GUARDED_BY(mu_);
};

// Writes an open's report to our log; `db` is the opened database, or null.
void LogOpenReport(const std::string& dir, const OpenReport& report, rocksdb::DB* db) {
  bool wal_told = false;
  for (const std::string& warning : report.warnings) {
    if (warning.starts_with("DB::Open() failed")) continue;  // the caller tells the failure
    const bool wal = warning.find(": dropping ") != std::string::npos;
    if (wal && wal_told) continue;  // the first is the damaged record; the rest follow from it
    wal_told = wal_told || wal;
    if (!wal || db == nullptr) {
      log::Warn("storage", "RocksDB warned while opening the data dir",
                {{"rocksdb", warning}, {"data_dir", dir}});
    } else if (report.replay_stopped_at &&
               db->GetLatestSequenceNumber() < *report.replay_stopped_at) {
      log::Error("storage",
                 "WAL recovery stopped at a damaged or incomplete record: the data dir holds the "
                 "writes before it, those after it are lost (a power loss before the WAL was "
                 "synced, a full disk or a damaged disk)",
                 {{"rocksdb", warning}, {"data_dir", dir}});
    } else {
      log::Warn("storage",
                "WAL recovery dropped a damaged or incomplete record; the writes after it follow "
                "on from those before it and were replayed",
                {{"rocksdb", warning}, {"data_dir", dir}});
    }
  }
}

// DB::Open, with the syncs of a brand-new database's creation held back to one pass at its end
// (DataDirFileSystem); with `defer_sync`, the pass is left to the caller (SyncCreationLater).
// Sets *created when it made the database.
rocksdb::Status OpenDb(const rocksdb::Options& options, const std::string& dir, bool create,
                       bool defer_sync, DataDirFileSystem& fs, std::unique_ptr<rocksdb::DB>* db,
                       bool* created) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Options opening = options;
  std::shared_ptr<OpenLogger> logger;
  // Without a LOG file (an unwritable dir), DB::Open makes do without, as it would itself.
  if (std::shared_ptr<rocksdb::Logger> file;
      rocksdb::CreateLoggerFromOptions(dir, opening, &file).ok()) {
    logger = std::make_shared<OpenLogger>(std::move(file));
    opening.info_log = logger;
  }
  fs.HoldSyncs(create);
  rocksdb::Status status = rocksdb::DB::Open(opening, dir, &raw);
  fs.HoldSyncs(false);
  db->reset(raw);
  if (logger) LogOpenReport(dir, logger->EndOpen(), raw);
  if (!status.ok() || !create) return status;
  *created = true;
  if (defer_sync) return status;
  try {
    SyncCreatedDataDir(dir);
  } catch (const std::exception& e) {
    db->reset();
    return rocksdb::Status::IOError(e.what());
  }
  return status;
}

[[noreturn]] void FailOpen(const std::string& dir, const rocksdb::Status& status) {
  if (IsLockError(status)) {
    const bool this_process = status.ToString().find("current process") != std::string::npos;
    throw DataDirLockedError(
        "data dir " + dir + " is in use " +
        (this_process ? "(already open in this process" : "by another process (lock held") +
        " on " + dir + "/LOCK): " + status.ToString());
  }
  Fail("cannot open data dir " + dir, status);
}

}  // namespace

std::unique_ptr<Storage> OpenRocksDbStorage(const std::string& dir, const Options& options) {
  const DirContents contents = ReadDirContents(dir);
  auto fs = std::make_shared<DataDirFileSystem>();
  std::unique_ptr<rocksdb::Env> env = NewDataDirEnv(fs);
  rocksdb::Options rocks_options = RocksDbOptions();
  rocks_options.env = env.get();
  rocks_options.manual_wal_flush = options.deferred_wal;
  if (contents.table_files < kParallelOpenTableFiles) rocks_options.max_file_opening_threads = 1;
  size_t full_write_buffer = 0;
  // A restart with a big WAL keeps the full size, or recovery would flush it in small pieces.
  if (rocks_options.write_buffer_size > kIdleWriteBufferBytes &&
      contents.wal_bytes < kIdleWriteBufferBytes / 2) {
    full_write_buffer = rocks_options.write_buffer_size;
    rocks_options.write_buffer_size = kIdleWriteBufferBytes;
  }
  auto pool = std::make_shared<IteratorPool>();
  rocks_options.listeners.push_back(std::make_shared<IteratorPoolReset>(pool));
  auto stop = std::make_shared<WriteStop>();
  rocks_options.listeners.push_back(std::make_shared<WriteStopListener>(stop));
  std::unique_ptr<rocksdb::DB> db;
  // Without fsync the creation's sync pass runs beside the first requests, off the start-up's
  // path (it waits on the disk for 3-14 ms): that mode promises that acknowledged writes survive a
  // crash of the process, which loses nothing the page cache holds, not a power loss. With fsync
  // it ends before the first write can be acknowledged.
  const bool defer_sync = !options.fsync;
  bool created = false;
  rocksdb::Status status =
      OpenDb(rocks_options, dir, !contents.has_current, defer_sync, *fs, &db, &created);
  // A dir that cannot be opened and holds no data: a creation a crash interrupted before its
  // sync pass (or one whose metadata was lost with nothing in it). Made anew, nothing is lost;
  // DestroyDB takes the dir's lock, and leaves files that are not RocksDB's.
  if (!status.ok() && !IsLockError(status) && contents.has_current && contents.HoldsNoData()) {
    const rocksdb::Status destroyed = rocksdb::DestroyDB(dir, rocks_options);
    if (destroyed.ok() || IsLockError(destroyed)) {
      status = destroyed.ok() ? OpenDb(rocks_options, dir, true, defer_sync, *fs, &db, &created)
                              : destroyed;
    }
  }
  if (!status.ok()) FailOpen(dir, status);
  auto storage =
      std::make_unique<RocksDbStorage>(std::move(env), fs, std::move(db), std::move(pool),
                                       std::move(stop), options, full_write_buffer);
  if (created && defer_sync) storage->SyncCreationLater(dir);
  return storage;
}

}  // namespace cruddur::ddb::storage
