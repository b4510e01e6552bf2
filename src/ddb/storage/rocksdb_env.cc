#include "ddb/storage/rocksdb_env.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "ddb/storage/storage.h"

namespace cruddur::ddb::storage {
namespace {

using rocksdb::Env;
using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;

// The thread counts asked of each of the process's pools, and whether their threads run yet.
struct LazyPools {
  std::mutex mu;
  int wanted[Env::Priority::TOTAL] = {};
  std::atomic<bool> started[Env::Priority::TOTAL] = {};
};

LazyPools& Pools() {
  static LazyPools pools;
  return pools;
}

class LazyPoolEnv final : public rocksdb::EnvWrapper {
 public:
  explicit LazyPoolEnv(Env* target) : EnvWrapper(target) { UseTargetFiles(); }
  explicit LazyPoolEnv(std::unique_ptr<Env> target) : EnvWrapper(std::move(target)) {
    UseTargetFiles();
  }

  const char* Name() const override { return "cruddur.LazyThreadsEnv"; }

  void SetBackgroundThreads(int number, Priority pri) override {
    Want(number, pri, /*exactly=*/true);
  }
  void IncBackgroundThreadsIfNeeded(int number, Priority pri) override {
    Want(number, pri, /*exactly=*/false);
  }
  // The asked count, before the threads start too: RocksDB sends flushes to the LOW pool when
  // the HIGH one has no threads.
  int GetBackgroundThreads(Priority pri) override {
    LazyPools& pools = Pools();
    std::lock_guard lock(pools.mu);
    return std::max(pools.wanted[pri], target()->GetBackgroundThreads(pri));
  }
  void Schedule(void (*function)(void*), void* arg, Priority pri, void* tag,
                void (*unschedule)(void*)) override {
    Start(pri);
    target()->Schedule(function, arg, pri, tag, unschedule);
  }

 private:
  // RocksDB takes an Env's files from GetFileSystem(): the target's FileSystem itself, not
  // EnvWrapper's adapter that goes back through the Env's legacy file calls.
  void UseTargetFiles() {
    file_system_ = target()->GetFileSystem();
    system_clock_ = target()->GetSystemClock();
  }

  void Want(int number, Priority pri, bool exactly) {
    LazyPools& pools = Pools();
    std::lock_guard lock(pools.mu);
    pools.wanted[pri] = exactly ? number : std::max(pools.wanted[pri], number);
    if (!pools.started[pri].load(std::memory_order_relaxed)) return;
    if (exactly) {
      target()->SetBackgroundThreads(number, pri);
    } else {
      target()->IncBackgroundThreadsIfNeeded(number, pri);
    }
  }

  void Start(Priority pri) {
    LazyPools& pools = Pools();
    if (pools.started[pri].load(std::memory_order_acquire)) return;
    std::lock_guard lock(pools.mu);
    if (pools.started[pri].load(std::memory_order_relaxed)) return;
    if (pools.wanted[pri] > 0) target()->IncBackgroundThreadsIfNeeded(pools.wanted[pri], pri);
    pools.started[pri].store(true, std::memory_order_release);
  }
};

std::string_view BaseName(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool IsOptionsFile(std::string_view path) { return BaseName(path).starts_with("OPTIONS-"); }

// RocksDB names its WAL files <number>.log (its info log is LOG, and LOG.old.<time>).
bool IsWalFile(std::string_view path) { return BaseName(path).ends_with(".log"); }

// A file whose syncs do nothing while its FileSystem holds them (fs), or never (fs null: an
// OPTIONS file). A WAL file's syncs that do reach the disk are counted (DataDirFileSystem's
// wal_syncs()).
class HeldSyncFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  HeldSyncFile(std::unique_ptr<rocksdb::FSWritableFile> file, DataDirFileSystem* fs, bool wal)
      : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs), wal_(wal) {}

  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    return Held() ? IOStatus::OK() : Counted(target()->Sync(options, dbg));
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    return Held() ? IOStatus::OK() : Counted(target()->Fsync(options, dbg));
  }

 private:
  bool Held() const { return fs_ == nullptr || fs_->holding(); }
  IOStatus Counted(IOStatus status) {
    if (wal_ && status.ok()) fs_->CountWalSync();
    return status;
  }
  DataDirFileSystem* fs_;
  const bool wal_;
};

class HeldSyncDirectory final : public rocksdb::FSDirectoryWrapper {
 public:
  HeldSyncDirectory(std::unique_ptr<rocksdb::FSDirectory> dir, const DataDirFileSystem* fs)
      : FSDirectoryWrapper(std::move(dir)), fs_(fs) {}

  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    return fs_->holding() ? IOStatus::OK() : FSDirectoryWrapper::Fsync(options, dbg);
  }
  IOStatus FsyncWithDirOptions(const IOOptions& options, IODebugContext* dbg,
                               const rocksdb::DirFsyncOptions& why) override {
    const bool options_renamed =
        why.reason == rocksdb::DirFsyncOptions::kFileRenamed && IsOptionsFile(why.renamed_new_name);
    if (fs_->holding() || options_renamed) return IOStatus::OK();
    return FSDirectoryWrapper::FsyncWithDirOptions(options, dbg, why);
  }

 private:
  const DataDirFileSystem* fs_;
};

[[noreturn]] void FailErrno(const std::string& what, const std::string& path) {
  throw std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

// The files an open reads: a crash must not leave them behind their directory entries. (The
// new WAL is empty: its entry is enough, and --fsync's writes sync it and the dir themselves.)
bool NeededToOpen(std::string_view name) {
  return name == "CURRENT" || name == "IDENTITY" || name.starts_with("MANIFEST-");
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void SyncPath(const std::string& path, int flags) {
  Fd fd(::open(path.c_str(), flags | O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) FailErrno("cannot open", path);
  if (::fsync(fd.get()) != 0) FailErrno("cannot sync", path);
}

// Bits of a /proc/self/pagemap entry.
constexpr uint64_t kPagePresent = uint64_t{1} << 63;
constexpr uint64_t kPageSwapped = uint64_t{1} << 62;
constexpr uint64_t kPageFileOrShared = uint64_t{1} << 61;

bool IsPresent(uint64_t entry) { return (entry & kPagePresent) != 0; }

// A /proc/self/pagemap entry of a page this process holds a copy of its own of (an anonymous
// page, present or swapped out): in a file mapping, one written to since it was mapped.
bool IsPrivateCopy(uint64_t entry) {
  return (entry & kPageSwapped) != 0 || (IsPresent(entry) && (entry & kPageFileOrShared) == 0);
}

}  // namespace

rocksdb::Env* LazyThreadsEnv() {
  static LazyPoolEnv* env = new LazyPoolEnv(Env::Default());  // lives as long as the pools
  return env;
}

DataDirFileSystem::DataDirFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}

IOStatus DataDirFileSystem::NewWritableFile(const std::string& name,
                                            const rocksdb::FileOptions& options,
                                            std::unique_ptr<rocksdb::FSWritableFile>* file,
                                            IODebugContext* dbg) {
  IOStatus status = target()->NewWritableFile(name, options, file, dbg);
  if (!status.ok()) return status;
  // Files made after the creation are the plain ones, but for the WALs, whose syncs are counted;
  // the tables' writes go unwrapped.
  const bool wal = IsWalFile(name);
  if (IsOptionsFile(name)) {
    *file = std::make_unique<HeldSyncFile>(std::move(*file), nullptr, false);
  } else if (holding() || wal) {
    *file = std::make_unique<HeldSyncFile>(std::move(*file), this, wal);
  }
  return status;
}

IOStatus DataDirFileSystem::NewDirectory(const std::string& name, const IOOptions& options,
                                         std::unique_ptr<rocksdb::FSDirectory>* dir,
                                         IODebugContext* dbg) {
  IOStatus status = target()->NewDirectory(name, options, dir, dbg);
  if (status.ok()) *dir = std::make_unique<HeldSyncDirectory>(std::move(*dir), this);
  return status;
}

std::unique_ptr<rocksdb::Env> NewDataDirEnv(const std::shared_ptr<rocksdb::FileSystem>& fs) {
  return std::make_unique<LazyPoolEnv>(rocksdb::NewCompositeEnv(fs));
}

void SyncCreatedDataDir(const std::string& dir) {
  std::vector<std::pair<std::string, Fd>> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file() || !NeededToOpen(entry.path().filename().native())) continue;
    const std::string path = entry.path().string();
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) FailErrno("cannot open", path);
    // Writeback of every file first, so that the first fdatasync's journal commit covers the
    // blocks of all of them and the others find little left to do.
    ::sync_file_range(fd.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
    files.emplace_back(path, std::move(fd));
  }
  for (const auto& [path, fd] : files) {
    if (::fdatasync(fd.get()) != 0) FailErrno("cannot sync", path);
  }
  // Their entries. (Not the dir's own in its parent: RocksDB never synced that either.)
  SyncPath(dir, O_DIRECTORY);
}

size_t UnmapFilePages(uintptr_t begin, uintptr_t end) {
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  begin = (begin + page - 1) & ~(page - 1);
  end &= ~(page - 1);
  if (end <= begin) return 0;
  const size_t pages = (end - begin) / page;
  std::vector<uint64_t> entries(pages);
  const Fd pagemap(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
  const auto bytes = static_cast<ssize_t>(pages * sizeof(uint64_t));
  if (pagemap.get() < 0 || ::pread(pagemap.get(), entries.data(), static_cast<size_t>(bytes),
                                   static_cast<off_t>(begin / page * sizeof(uint64_t))) != bytes) {
    return 0;
  }
  size_t unmapped = 0;
  size_t run = 0;  // the first page of the run of pages to unmap that ends at a kept page
  size_t run_present = 0;
  for (size_t i = 0; i <= pages; ++i) {
    if (i < pages && !IsPrivateCopy(entries[i])) {
      run_present += IsPresent(entries[i]) ? 1 : 0;
      continue;
    }
    // NOLINTNEXTLINE(performance-no-int-to-ptr): page arithmetic is on addresses as integers
    void* first = reinterpret_cast<void*>(begin + run * page);
    if (i > run && run_present > 0 && ::madvise(first, (i - run) * page, MADV_DONTNEED) == 0) {
      unmapped += run_present * page;
    }
    run = i + 1;
    run_present = 0;
  }
  return unmapped;
}

// RocksDB's code, when the binary is linked with ddb/storage/rocksdb_text.ld; weak, they are
// null otherwise.
// NOLINTBEGIN(bugprone-reserved-identifier,readability-identifier-naming): ld's names for them
extern "C" {
extern const char __start_cruddur_rocksdb_text[] __attribute__((weak, visibility("hidden")));
extern const char __stop_cruddur_rocksdb_text[] __attribute__((weak, visibility("hidden")));
}
// NOLINTEND(bugprone-reserved-identifier,readability-identifier-naming)

size_t UnmapRocksDbCode() {
  if (__start_cruddur_rocksdb_text == nullptr) return 0;
  return UnmapFilePages(reinterpret_cast<uintptr_t>(__start_cruddur_rocksdb_text),
                        reinterpret_cast<uintptr_t>(__stop_cruddur_rocksdb_text));
}

size_t IdleCodeRelease::Tick() {
  // Under 2 ms of CPU since the last tick (of all threads, RocksDB's background ones included).
  constexpr long long kIdleCpuNs = 2'000'000;
  timespec now{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  const long long cpu_ns = now.tv_sec * 1'000'000'000LL + now.tv_nsec;
  const bool idle = last_cpu_ns_ >= 0 && cpu_ns - last_cpu_ns_ < kIdleCpuNs;
  last_cpu_ns_ = cpu_ns;
  if (!idle) {
    mapped_ = true;
    return 0;
  }
  if (!mapped_) return 0;
  mapped_ = false;
  return UnmapRocksDbCode();
}

}  // namespace cruddur::ddb::storage
