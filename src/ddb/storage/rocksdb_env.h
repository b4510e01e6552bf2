// The Env and FileSystem OpenRocksDbStorage opens a data dir with (issue 21: start-up of a new
// data dir and the idle footprint of a persistent server).
#pragma once

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace cruddur::ddb::storage {

// Env::Default() with background threads started by the first job scheduled on their pool
// (a flush or compaction), not when a DB opens or asks for them: an idle server runs neither.
// The pools are the process's, as with Env::Default() itself.
rocksdb::Env* LazyThreadsEnv();

// The default FileSystem, with two kinds of sync left out:
// - every sync while HoldSyncs() is on: OpenRocksDbStorage turns it on while DB::Open creates a
//   brand-new data dir (RocksDB syncs each of its ~10 creation steps: IDENTITY, MANIFEST, CURRENT,
//   OPTIONS and the directory, twice over), then makes the dir durable in one pass
//   (SyncCreatedDataDir). With Options::fsync nothing is acknowledged before that pass; a dir
//   left unfinished by a crash holds no data, and OpenRocksDbStorage recreates it. Without, the
//   pass runs beside the first requests (that mode promises nothing across a power loss).
// - the syncs of OPTIONS files and of their renames: RocksDB writes one at every open and
//   SetOptions but never reads it back to open or recover (a lost one is rewritten at the next
//   open), so its durability buys nothing.
class DataDirFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  DataDirFileSystem();

  const char* Name() const override { return "cruddur.DataDirFileSystem"; }

  void HoldSyncs(bool hold) { holding_.store(hold, std::memory_order_release); }
  bool holding() const { return holding_.load(std::memory_order_acquire); }

  // Syncs of WAL files that went to the disk (not held back) since the FileSystem was made.
  uint64_t wal_syncs() const { return wal_syncs_.load(std::memory_order_relaxed); }
  void CountWalSync() { wal_syncs_.fetch_add(1, std::memory_order_relaxed); }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* file,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& options,
                                 std::unique_ptr<rocksdb::FSDirectory>* dir,
                                 rocksdb::IODebugContext* dbg) override;

 private:
  std::atomic<bool> holding_{false};
  std::atomic<uint64_t> wal_syncs_{0};
};

// An Env for one data dir: LazyThreadsEnv()'s thread pools with `fs` for its files.
std::unique_ptr<rocksdb::Env> NewDataDirEnv(const std::shared_ptr<rocksdb::FileSystem>& fs);

// Makes a data dir that was just created with syncs held durable: writes back and syncs the
// files an open reads (CURRENT, IDENTITY, MANIFEST-*), then the directory. Throws
// std::runtime_error on an I/O error.
void SyncCreatedDataDir(const std::string& dir);

// Takes the pages of [begin, end) (rounded inwards to whole pages) of a read-only file mapping,
// such as code, out of this process's memory; the page cache keeps them, and one used again is
// mapped back by a minor fault. A page the process holds a private copy of (a debugger's
// breakpoint, a uprobe) is kept, and nothing is done when /proc/self/pagemap cannot tell those
// apart. Returns the bytes that were mapped and are not anymore.
size_t UnmapFilePages(uintptr_t begin, uintptr_t end);

}  // namespace cruddur::ddb::storage
