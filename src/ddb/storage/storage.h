// The engine's view of durable storage: an ordered byte-string key-value store with atomic
// multi-key writes and consistent iteration. Two implementations: RocksDB (persistent) and an
// in-memory map.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cruddur::ddb::storage {

// An atomic group of puts and deletes: all of it is applied, or none.
class WriteBatch {
 public:
  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }

  struct Op {
    std::string key;
    std::optional<std::string> value;  // nullopt: delete
  };
  const std::vector<Op>& ops() const { return ops_; }

 private:
  std::vector<Op> ops_;
};

// Iterates keys in unsigned byte order over a consistent point-in-time view. An iterator is
// used by one thread at a time and must be destroyed before the Storage that made it. It holds
// no lock: its thread may Write meanwhile (the iterator keeps seeing its snapshot).
class Iterator {
 public:
  virtual ~Iterator() = default;
  // Positions at the first key >= target.
  virtual void Seek(std::string_view target) = 0;
  // Positions at the last key <= target.
  virtual void SeekForPrev(std::string_view target) = 0;
  virtual bool Valid() const = 0;
  virtual void Next() = 0;
  virtual void Prev() = 0;
  // REQUIRES: Valid(). The views stay valid until the iterator moves.
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
};

// All methods are safe to call from many threads at once.
class Storage {
 public:
  virtual ~Storage() = default;

  // Calls `read` with the value of `key`, valid only during the call (the storage's own bytes,
  // not a copy); returns false, without calling it, when the key is absent.
  virtual bool Read(std::string_view key, const std::function<void(std::string_view)>& read) = 0;

  // Read() of each of `keys`: calls `read(i, value)` for each present keys[i], in no particular
  // order. Callers that need the keys as of one moment hold their locks (the engine's writes do):
  // RocksDB may read some with an iterator over their partition and the others a moment later.
  // RocksDB looks the keys up together (MultiGet: one pass over the memtables' and table files'
  // filters for all of them; one partition's keys: one prefix filter probe per file), which is
  // cheaper than a Read each.
  virtual void MultiRead(const std::vector<std::string_view>& keys,
                         const std::function<void(size_t, std::string_view)>& read) {
    for (size_t i = 0; i < keys.size(); ++i) {
      Read(keys[i], [&](std::string_view v) { read(i, v); });
    }
  }

  // Returns a copy of the value, or nullopt when the key is absent.
  std::optional<std::string> Get(std::string_view key) {
    std::optional<std::string> value;
    Read(key, [&value](std::string_view v) { value.emplace(v); });
    return value;
  }

  // Applies the batch atomically. When it returns, the write is durable against a process crash
  // (and against power loss when the storage was opened with fsync), unless the storage was
  // opened with deferred_wal: then only once FlushWal() has run after it. Throws
  // std::runtime_error on an I/O error; then nothing of the batch was applied.
  virtual void Write(const WriteBatch& batch) = 0;

  // With deferred_wal: hands every write made so far (whether this thread made it or only saw
  // it) to the OS, so that they survive a crash of the process, and with fsync syncs them to the
  // disk too; one WAL write (and one sync) for all the writes since the last call, nothing when
  // there were none. A no-op otherwise. Throws std::runtime_error on an I/O error (the writes it
  // covers may then be lost in a crash).
  virtual void FlushWal() {}

  // An iterator over a snapshot taken now; later writes are not seen. Drop iterators promptly:
  // a live one pins its snapshot's data (memory, or versions RocksDB cannot compact away).
  virtual std::unique_ptr<Iterator> NewIterator() = 0;

  // An iterator like NewIterator()'s for reading the keys that start with `partition`, which
  // starts with a partition prefix (kPartitionPrefixBytes, see below). It may skip data that
  // holds no key of that prefix (RocksDB: the prefix bloom filters of the memtables and table
  // files), so it reads only the keys of that prefix; past them it may end (Valid() false) or go
  // on, and the caller stops at the end of its partition. A Query's iterator.
  virtual std::unique_ptr<Iterator> NewPartitionIterator(std::string_view partition) {
    (void)partition;
    return NewIterator();
  }

  // Syncs of the write-ahead log that reached the disk since the storage was opened (0 in memory),
  // for metrics: with fsync, at most one per Write, or one per FlushWal() that had writes to
  // cover.
  virtual uint64_t WalSyncs() { return 0; }
  // Whether an I/O error (a full disk) has stopped writes until the storage recovers from it.
  virtual bool WritesStopped() { return false; }

  // A RocksDB integer property (e.g. "rocksdb.cur-size-all-mem-tables"), for metrics; nullopt
  // for storage that has none (in memory) or a property it does not know.
  virtual std::optional<uint64_t> IntProperty(std::string_view name) {
    (void)name;
    return std::nullopt;
  }
};

// Every storage key of one partition of a table or index starts with the same
// kPartitionPrefixBytes bytes: keyspace kPartitionKeyspace, the table id (4 bytes), the index id
// (1) and the partition hash (8) (ddb/table.h's layout, which checks these numbers).
constexpr char kPartitionKeyspace = '\x05';
constexpr size_t kPartitionPrefixBytes = 14;

struct Options {
  // Sync the WAL on every write, or on every FlushWal() (power-loss durability).
  bool fsync = false;
  // Write() leaves its WAL record in a buffer, and FlushWal() hands what is buffered to the OS in
  // one write (with fsync, and one sync). A server that calls FlushWal() before its answers leave
  // (once for all the answers of a turn) acknowledges only writes that survive a crash (with
  // fsync, a power loss), and makes one WAL write (and one sync) where it made one per request.
  bool deferred_wal = false;
};

// Thrown by OpenRocksDbStorage when another process (or another Storage in this process)
// holds the data dir, so callers can tell "server already running" from real failures.
class DataDirLockedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An in-memory store (nothing persists). It is a persistent (path-copying) balanced tree whose
// root is swapped on each write: NewIterator() is an O(1) snapshot that stays consistent for the
// iterator's life, iterators hold no lock (a thread may Write while holding iterators). While a
// snapshot is alive, writes copy the O(log n) nodes of their paths and readers and writers never
// wait for each other beyond a pointer copy; while none is, a write changes the tree in place and
// a reader starting meanwhile waits for it. Writers are serialised.
std::unique_ptr<Storage> OpenMemoryStorage();
// Opens (creating if needed) a RocksDB database in `dir`. Throws std::runtime_error with a
// readable reason on failure; DataDirLockedError when the directory is locked by another
// process or by another open Storage.
std::unique_ptr<Storage> OpenRocksDbStorage(const std::string& dir, const Options& options);

// For a server to call once it has opened its data dir and started: takes RocksDB's code out of
// the process's memory. Most of what RocksDB ran by then (DB::Open, recovery, options) does not
// run again, yet stays mapped, with the 64 KB around each page of it the kernel maps in one fault:
// ~4 MB of an idle server's RSS (issue 21). The page cache keeps the pages; code that runs again
// (writes, reads, flushes) is mapped back by a minor fault. Needs the binary linked with
// ddb/storage/rocksdb_text.ld (else does nothing). Returns the bytes no longer mapped.
size_t UnmapRocksDbCode();

// Calls UnmapRocksDbCode() when the server idles, so the release is not on the first answers'
// path (right after start-up they would map much of it back at once): Tick() it every period
// from one thread. A tick that ends a whole period in which the process used almost no CPU
// releases the code, once per busy spell.
class IdleCodeRelease {
 public:
  // Returns the bytes released by this tick (0 when busy, or already released).
  size_t Tick();

 private:
  long long last_cpu_ns_ = -1;  // the process's CPU time at the last tick
  bool mapped_ = true;          // code may have been mapped back since the last release
};

}  // namespace cruddur::ddb::storage
