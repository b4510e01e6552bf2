// RocksDB-only behaviour: persistence across reopen, the data-dir lock, crash durability, and
// the making of a new data dir.
//
// Cross-process tests re-run this test binary as the child (fork + exec of /proc/self/exe with
// a --gtest_filter selecting a RocksDbChildProcess test), so the child starts with a clean
// RocksDB instead of a forked copy of the parent's background threads and locks.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/table.h>
#include <rocksdb/table_properties.h>
#include <rocksdb/utilities/options_util.h>

#include "ddb/storage/rocksdb_env.h"
#include "ddb/storage/rocksdb_options.h"
#include "ddb/storage/storage.h"
#include "ddb/storage/test_util.h"
#include "log/log.h"

namespace cruddur::ddb::storage {
namespace {

constexpr char kChildDirEnv[] = "CRUDDUR_STORAGE_TEST_CHILD_DIR";
constexpr char kChildFdEnv[] = "CRUDDUR_STORAGE_TEST_CHILD_FD";
// Set (to anything): the child opens its storage with Options::deferred_wal, or Options::fsync.
constexpr char kChildDeferredEnv[] = "CRUDDUR_STORAGE_TEST_CHILD_DEFERRED";
constexpr char kChildFsyncEnv[] = "CRUDDUR_STORAGE_TEST_CHILD_FSYNC";
constexpr int kChildSawLock = 42;
constexpr int kChildExitedUnclosed = 43;

std::string Key(const char* prefix, int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%s/%08d", prefix, i);
  return buf;
}

// The WAL files of a data dir, oldest first (RocksDB's file numbers are zero-padded).
std::vector<std::string> WalFiles(const std::string& dir) {
  std::vector<std::string> wals;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".log") wals.push_back(entry.path());
  }
  std::sort(wals.begin(), wals.end());
  return wals;
}

// What the log says while it lives; the default log again once it is gone, however the test
// ends (a log left writing to a destroyed stream would fail the tests after it).
class CapturedLog {
 public:
  CapturedLog() { log::Configure({.stream = &out_}); }
  ~CapturedLog() { log::Configure({}); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

// One Put, written as its own batch.
void PutOne(Storage& db, const std::string& key, const std::string& value) {
  WriteBatch batch;
  batch.Put(key, value);
  db.Write(batch);
}

std::string ItemValue(int i) { return "item-" + std::to_string(i) + std::string(100, 'v'); }

// Starts this binary running only `test`, with the given extra environment; returns its pid.
// Everything the child needs is built before fork(), which is then followed only by
// async-signal-safe calls.
pid_t SpawnChild(const std::string& test, const std::vector<std::string>& env_extra) {
  const std::string filter = "--gtest_filter=RocksDbChildProcess." + test;
  std::vector<std::string> env_strings = env_extra;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  char self[] = "/proc/self/exe";
  std::string filter_arg = filter;
  char* argv[] = {self, filter_arg.data(), nullptr};

  const pid_t pid = fork();
  if (pid == 0) {
    const int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, STDOUT_FILENO);  // keep the parent's test log readable
    execve(self, argv, envp.data());
    _exit(127);
  }
  return pid;
}

int WaitExitCode(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

TEST(RocksDbStorage, ReopenKeepsWrites) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  {
    auto db = OpenRocksDbStorage(path, Options{});
    WriteBatch batch;
    batch.Put("a", "1");
    batch.Put("b", "2");
    batch.Put("c", "3");
    db->Write(batch);
    WriteBatch second;
    second.Delete("b");
    second.Put("a", "1'");
    db->Write(second);
  }
  auto db = OpenRocksDbStorage(path, Options{.fsync = true});
  EXPECT_EQ(db->Get("a"), "1'");
  EXPECT_EQ(db->Get("b"), std::nullopt);
  EXPECT_EQ(db->Get("c"), "3");
  WriteBatch third;
  third.Put("d", "4");
  db->Write(third);  // synced write path
  db.reset();
  db = OpenRocksDbStorage(path, Options{});
  EXPECT_EQ(db->Get("d"), "4");
}

// A damaged WAL record ends the replay there (RocksDB's point-in-time recovery): the writes before
// it are kept, those after it dropped, and our log says so (RocksDB itself tells only its LOG).
TEST(RocksDbStorage, DamagedWalRecordIsLoggedWithWhatRecoveryDropped) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  constexpr int kItems = 2000;
  const std::string value(1000, 'v');
  {
    auto db = OpenRocksDbStorage(path, Options{});
    for (int i = 0; i < kItems; ++i) PutOne(*db, Key("item", i), value);
  }
  const std::vector<std::string> wals = WalFiles(path);
  ASSERT_FALSE(wals.empty());
  const std::string& wal = wals.back();
  const auto size = static_cast<off_t>(std::filesystem::file_size(wal));
  ASSERT_GT(size, off_t{kItems} * 1000);
  {
    const int fd = ::open(wal.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    const std::string damage(16, 'X');
    ASSERT_EQ(::pwrite(fd, damage.data(), damage.size(), size / 2), ssize_t{16});
    ::close(fd);
  }
  std::unique_ptr<Storage> db;
  std::string logged;
  {
    CapturedLog log;
    db = OpenRocksDbStorage(path, Options{});
    logged = log.text();
  }
  EXPECT_EQ(db->Get(Key("item", 0)), value);
  EXPECT_EQ(db->Get(Key("item", kItems - 1)), std::nullopt);
  int kept = 0;
  for (int i = 0; i < kItems; ++i) kept += db->Get(Key("item", i)).has_value() ? 1 : 0;
  EXPECT_GT(kept, kItems / 4);
  EXPECT_LT(kept, kItems * 3 / 4);
  EXPECT_NE(logged.find("error storage WAL recovery stopped at a damaged or incomplete record"),
            std::string::npos)
      << logged;
  EXPECT_NE(logged.find(std::filesystem::path(wal).filename().string() + ": dropping "),
            std::string::npos)
      << logged;
  // The recovered state is on disk: the next open has nothing to say.
  PutOne(*db, "after", "1");
  db.reset();
  {
    CapturedLog again;
    db = OpenRocksDbStorage(path, Options{});
    EXPECT_EQ(again.text(), "");
  }
  EXPECT_EQ(db->Get("after"), "1");
  EXPECT_EQ(db->Get(Key("item", 0)), value);
}

// The row cache keeps values Gets found in table files: once a value is cached, a newer write in
// the memtable still wins and a deleted key stays deleted, also after a reopen puts the newer
// values in a table file of their own (a new cache), with the cache on and off.
TEST(RocksDbStorage, RowCacheNeverAnswersWithAnOverwrittenValue) {
  for (const char* row_cache_mb : {"32", "0"}) {
    SCOPED_TRACE(std::string("CRUDDUR_ROW_CACHE_MB=") + row_cache_mb);
    setenv("CRUDDUR_ROW_CACHE_MB", row_cache_mb, 1);
    TempDir dir;
    const std::string path = dir.path() + "/db";
    {
      auto db = OpenRocksDbStorage(path, Options{});
      PutOne(*db, "a", "1");
      PutOne(*db, "b", "1");
    }
    auto db = OpenRocksDbStorage(path, Options{});  // recovery flushed the WAL: a table file
    ASSERT_EQ(db->Get("a"), "1");                   // now cached
    ASSERT_EQ(db->Get("b"), "1");
    PutOne(*db, "a", "2");
    WriteBatch del;
    del.Delete("b");
    db->Write(del);
    EXPECT_EQ(db->Get("a"), "2");  // from the memtable
    EXPECT_EQ(db->Get("b"), std::nullopt);
    db.reset();
    db = OpenRocksDbStorage(path, Options{});  // the newer values in a table file of their own
    EXPECT_EQ(db->Get("a"), "2");
    EXPECT_EQ(db->Get("b"), std::nullopt);
    PutOne(*db, "a", "3");
    EXPECT_EQ(db->Get("a"), "3");
  }
  unsetenv("CRUDDUR_ROW_CACHE_MB");
}

// A partition prefix (storage.h's kPartitionPrefixBytes), its hash's last byte `hash`.
std::string Partition(char hash) {
  std::string p(kPartitionPrefixBytes, '\x02');
  p[0] = kPartitionKeyspace;
  p.back() = hash;
  return p;
}

// Partition iterators skip table files by their prefix filters and do not bound themselves to
// the prefix: with each partition's keys spread over two table files and the memtable (next to
// files and a memtable without them), each still reads exactly its keys, forward and back.
TEST(RocksDbStorage, PartitionIteratorsReadAcrossTableFilesAndMemtable) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  const std::string partitions[3] = {Partition('\x10'), Partition('\x11'), Partition('\x12')};
  std::vector<std::string> expected[3];
  auto write_round = [&](Storage& db, int round, std::initializer_list<int> which) {
    for (int p : which) {
      for (int i = 0; i < 4; ++i) {
        // Rounds interleave in key order: sk-<i><round>.
        expected[p].push_back(partitions[p] + "sk-" + std::to_string(i) + std::to_string(round));
        PutOne(db, expected[p].back(), ItemValue(i));
      }
    }
  };
  {
    auto db = OpenRocksDbStorage(path, Options{});
    write_round(*db, 0, {0, 2});
  }
  {
    auto db = OpenRocksDbStorage(path, Options{});  // flushed the WAL: a table file
    write_round(*db, 1, {0, 1});
  }
  auto db = OpenRocksDbStorage(path, Options{});  // a second table file
  write_round(*db, 2, {1, 2});                    // and the memtable
  size_t table_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    table_files += entry.path().extension() == ".sst";
  }
  ASSERT_GE(table_files, 2u);
  for (int p = 0; p < 3; ++p) {
    SCOPED_TRACE(p);
    std::sort(expected[p].begin(), expected[p].end());
    const std::string& prefix = partitions[p];
    std::vector<std::string> forward, backward;
    auto it = db->NewPartitionIterator(prefix);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      forward.emplace_back(it->key());
    }
    EXPECT_EQ(forward, expected[p]);
    for (it->SeekForPrev(prefix + "\xff"); it->Valid() && it->key().starts_with(prefix);
         it->Prev()) {
      backward.emplace_back(it->key());
    }
    EXPECT_EQ(backward, std::vector<std::string>(expected[p].rbegin(), expected[p].rend()));
    // From an exclusive start key in the middle, both ways.
    it->Seek(expected[p][5]);
    ASSERT_TRUE(it->Valid());
    it->Next();
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->key(), expected[p][6]);
    it->SeekForPrev(expected[p][5]);
    ASSERT_TRUE(it->Valid());
    it->Prev();
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->key(), expected[p][4]);
  }
}

TEST(RocksDbStorage, SecondOpenInSameProcessFailsClearly) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  auto db = OpenRocksDbStorage(path, Options{});
  try {
    OpenRocksDbStorage(path, Options{});
    FAIL() << "second open succeeded";
  } catch (const DataDirLockedError& e) {
    EXPECT_NE(std::string(e.what()).find("data dir " + path + " is in use"), std::string::npos)
        << e.what();
  }
  // The first handle is unaffected.
  PutOne(*db, "k", "v");
  EXPECT_EQ(db->Get("k"), "v");
}

TEST(RocksDbStorage, OpenFromAnotherProcessFailsClearly) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  auto db = OpenRocksDbStorage(path, Options{});
  const pid_t pid = SpawnChild("ExpectLocked", {std::string(kChildDirEnv) + "=" + path});
  ASSERT_GT(pid, 0);
  EXPECT_EQ(WaitExitCode(pid), kChildSawLock) << "the child did not get DataDirLockedError";
}

TEST(RocksDbStorage, UnopenablePathFailsWithReason) {
  TempDir dir;
  const std::string file = dir.path() + "/not-a-dir";
  std::FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  try {
    OpenRocksDbStorage(file + "/db", Options{});
    FAIL() << "open under a regular file succeeded";
  } catch (const DataDirLockedError&) {
    FAIL() << "misreported as a lock error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open data dir"), std::string::npos) << e.what();
  }
}

// Sets the size of every file in dir whose name starts with `prefix` to `size` bytes.
void TruncateFiles(const std::string& dir, std::string_view prefix, uintmax_t size) {
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().starts_with(prefix)) {
      std::filesystem::resize_file(entry.path(), size);
    }
  }
}

uintmax_t WalBytes(const std::string& dir) {
  uintmax_t bytes = 0;
  for (const std::string& wal : WalFiles(dir)) bytes += std::filesystem::file_size(wal);
  return bytes;
}

// A new data dir's files are synced once, after DB::Open made them: a power loss before that
// can leave CURRENT naming a MANIFEST whose bytes never reached the disk. Such a dir holds no
// data, and the next open makes it anew.
TEST(RocksDbStorage, UnfinishedCreationIsMadeAnew) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  OpenRocksDbStorage(path, Options{}).reset();
  TruncateFiles(path, "MANIFEST-", 0);
  TruncateFiles(path, "IDENTITY", 0);
  auto db = OpenRocksDbStorage(path, Options{});
  PutOne(*db, "a", "1");
  db.reset();
  EXPECT_EQ(OpenRocksDbStorage(path, Options{})->Get("a"), "1");
}

// Without fsync the creation's sync pass runs on a thread beside the first writes (with fsync,
// before the open returns): a storage written and closed at once, while the pass may still run,
// closes cleanly and reopens with its writes, in both modes.
TEST(RocksDbStorage, NewDirWrittenAndClosedAtOnceReopens) {
  for (const bool fsync : {false, true}) {
    SCOPED_TRACE(fsync ? "fsync" : "no fsync");
    TempDir dir;
    const std::string path = dir.path() + "/db";
    Options options;
    options.fsync = fsync;
    auto db = OpenRocksDbStorage(path, options);
    PutOne(*db, "a", "1");
    db.reset();
    db = OpenRocksDbStorage(path, options);
    EXPECT_EQ(db->Get("a"), "1");
  }
}

// The same damage with data in the dir is an error, and the data stays where it was.
TEST(RocksDbStorage, UnopenableDirWithDataIsLeftAlone) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  {
    auto db = OpenRocksDbStorage(path, Options{});
    PutOne(*db, "a", "1");
  }
  const uintmax_t wal_bytes = WalBytes(path);
  ASSERT_GT(wal_bytes, 0u);
  TruncateFiles(path, "MANIFEST-", 0);
  {
    CapturedLog logged;
    try {
      OpenRocksDbStorage(path, Options{});
      FAIL() << "opened a dir whose MANIFEST is empty";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("cannot open data dir"), std::string::npos) << e.what();
    }
    EXPECT_EQ(logged.text(), "");  // the failure is the exception's to tell, once
  }
  EXPECT_EQ(WalBytes(path), wal_bytes);
}

// RocksDB's flush and compaction threads start with the first job, not when a data dir opens.
TEST(RocksDbStorage, PoolThreadsStartWithTheFirstFlush) {
  TempDir dir;
  const pid_t pid = SpawnChild("IdleThenFlush", {std::string(kChildDirEnv) + "=" + dir.path()});
  ASSERT_GT(pid, 0);
  EXPECT_EQ(WaitExitCode(pid), 0);
}

// Reads 4-byte acknowledgements until EOF; returns them in order.
std::vector<int> ReadAcks(int fd, pid_t child, int kill_after, int kill_delay_us) {
  std::vector<int> acks;
  char buf[4];
  size_t have = 0;
  bool killed = false;
  for (;;) {
    const ssize_t n = read(fd, buf + have, sizeof(buf) - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    have += static_cast<size_t>(n);
    if (have < sizeof(buf)) continue;
    int index;
    std::memcpy(&index, buf, sizeof(index));
    acks.push_back(index);
    have = 0;
    if (!killed && static_cast<int>(acks.size()) >= kill_after) {
      usleep(static_cast<useconds_t>(kill_delay_us));  // land somewhere inside a later write
      kill(child, SIGKILL);
      killed = true;
    }
  }
  return acks;
}

// With deferred_wal the child acknowledges its writes in groups, each after one FlushWal(), as
// `ddb serve` answers a turn's requests: what was acknowledged survives all the same, with fsync
// (one sync per group) as without.
TEST(RocksDbStorage, AcknowledgedWritesSurviveKill9) {
  std::random_device seed_source;
  const unsigned seed = seed_source();
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  for (int round = 0; round < 6; ++round) {
    const bool deferred = round % 2 == 1;
    const bool fsync = round >= 4;
    SCOPED_TRACE(std::string(deferred ? "deferred WAL" : "WAL written by every write") +
                 (fsync ? ", fsync" : ""));
    TempDir dir;
    const std::string path = dir.path() + "/db";
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    std::vector<std::string> env = {std::string(kChildDirEnv) + "=" + path,
                                    std::string(kChildFdEnv) + "=" + std::to_string(fds[1])};
    if (deferred) env.push_back(std::string(kChildDeferredEnv) + "=1");
    if (fsync) env.push_back(std::string(kChildFsyncEnv) + "=1");
    const pid_t pid = SpawnChild("WriteUntilKilled", env);
    ASSERT_GT(pid, 0);
    close(fds[1]);
    const int kill_after = 1 + static_cast<int>(rng() % 1500);
    const std::vector<int> acks = ReadAcks(fds[0], pid, kill_after, static_cast<int>(rng() % 3000));
    close(fds[0]);
    ASSERT_EQ(WaitExitCode(pid), -SIGKILL) << "child ended on its own after " << acks.size();
    ASSERT_GE(static_cast<int>(acks.size()), kill_after);
    for (size_t i = 0; i < acks.size(); ++i) ASSERT_EQ(acks[i], static_cast<int>(i));

    auto db = OpenRocksDbStorage(path, Options{});
    const int last_acked = acks.back();
    for (int i = 0; i <= last_acked; ++i) {
      ASSERT_EQ(db->Get(Key("item", i)), ItemValue(i)) << "acked write " << i << " lost";
      ASSERT_EQ(db->Get(Key("index", i)), std::to_string(i));
    }
    // Beyond the acks the in-flight batches may or may not be there, but each one atomically,
    // and what survives is a prefix of the write sequence.
    const std::optional<std::string> counter = db->Get("counter");
    ASSERT_TRUE(counter.has_value());
    const int recovered = std::stoi(*counter);
    ASSERT_GE(recovered, last_acked);
    for (int i = last_acked + 1; i <= recovered + 2; ++i) {
      const bool item = db->Get(Key("item", i)).has_value();
      const bool index = db->Get(Key("index", i)).has_value();
      ASSERT_EQ(item, index) << "batch " << i << " half applied";
      ASSERT_EQ(item, i <= recovered) << "batch " << i;
    }
  }
}

// A deferred WAL holds a write until FlushWal(): a process that ends without closing its storage
// keeps what was flushed and loses what was not (so `ddb serve` must flush before it answers),
// with fsync too. Without deferred_wal, every write is in the OS when Write returns.
TEST(RocksDbStorage, DeferredWalKeepsWritesOnceFlushed) {
  for (const bool deferred : {false, true}) {
    for (const bool fsync : {false, true}) {
      SCOPED_TRACE(std::string(deferred ? "deferred WAL" : "WAL written by every write") +
                   (fsync ? ", fsync" : ""));
      TempDir dir;
      const std::string path = dir.path() + "/db";
      std::vector<std::string> env = {std::string(kChildDirEnv) + "=" + path};
      if (deferred) env.push_back(std::string(kChildDeferredEnv) + "=1");
      if (fsync) env.push_back(std::string(kChildFsyncEnv) + "=1");
      const pid_t pid = SpawnChild("WriteThenExit", env);
      ASSERT_GT(pid, 0);
      ASSERT_EQ(WaitExitCode(pid), kChildExitedUnclosed);
      auto db = OpenRocksDbStorage(path, Options{});
      EXPECT_EQ(db->Get("flushed"), "1");
      EXPECT_EQ(db->Get("buffered"), deferred ? std::nullopt : std::optional<std::string>("2"));
    }
  }
}

// With fsync a deferred WAL is synced by FlushWal(), once for all the writes before it, where
// each write syncs it without deferral; without fsync nothing syncs it. (What a sync makes
// survive, a power loss, cannot be shown here; WalSyncs() counts the syncs that reached the
// file system.)
TEST(RocksDbStorage, FsyncWithADeferredWalSyncsOncePerFlush) {
  struct Case {
    bool fsync, deferred;
    uint64_t after_writes, after_flush;
  };
  for (const Case& c : {Case{true, true, 0, 1}, Case{true, false, 5, 5}, Case{false, true, 0, 0},
                        Case{false, false, 0, 0}}) {
    SCOPED_TRACE(std::string(c.fsync ? "fsync, " : "no fsync, ") +
                 (c.deferred ? "deferred WAL" : "WAL written by every write"));
    TempDir dir;
    auto db = OpenRocksDbStorage(dir.path() + "/db",
                                 Options{.fsync = c.fsync, .deferred_wal = c.deferred});
    const uint64_t base = db->WalSyncs();
    for (int i = 0; i < 5; ++i) PutOne(*db, Key("item", i), "v");
    EXPECT_EQ(db->WalSyncs() - base, c.after_writes);
    db->FlushWal();
    EXPECT_EQ(db->WalSyncs() - base, c.after_flush);
    db->FlushWal();  // no write since: nothing to sync
    EXPECT_EQ(db->WalSyncs() - base, c.after_flush);
    PutOne(*db, "one more", "v");
    db->FlushWal();
    EXPECT_EQ(db->WalSyncs() - base, c.after_flush + (c.fsync ? 1 : 0));
  }
}

// The memtable size the data dir runs with now, from the newest OPTIONS file (RocksDB writes one
// on open and on every SetOptions).
size_t PersistedWriteBufferSize(const std::string& path) {
  rocksdb::DBOptions db_options;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  const rocksdb::Status status =
      rocksdb::LoadLatestOptions(rocksdb::ConfigOptions(), path, &db_options, &families);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return families.empty() ? 0 : families[0].options.write_buffer_size;
}

TEST(RocksDbStorage, MemtablesStartSmallAndGrowOnceWrittenTo) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  const size_t full = RocksDbOptions().write_buffer_size;
  auto db = OpenRocksDbStorage(path, Options{});
  EXPECT_LT(PersistedWriteBufferSize(path), full);
  WriteBatch small;
  small.Put("a", "1");
  db->Write(small);
  EXPECT_LT(PersistedWriteBufferSize(path), full);  // one small write is not load
  db.reset();
  db = OpenRocksDbStorage(path, Options{});  // a small WAL to replay: small again
  EXPECT_LT(PersistedWriteBufferSize(path), full);
  for (int i = 0; i < 3000; ++i) {  // ~3 MB
    PutOne(*db, Key("item", i), std::string(1000, 'v'));
  }
  EXPECT_EQ(PersistedWriteBufferSize(path), full);
  db.reset();
  // The 3 MB of WAL are replayed into full-size memtables, and nothing was lost.
  db = OpenRocksDbStorage(path, Options{});
  EXPECT_EQ(PersistedWriteBufferSize(path), full);
  EXPECT_EQ(db->Get("a"), "1");
  EXPECT_EQ(db->Get(Key("item", 2999)), std::string(1000, 'v'));
}

// Whether this process maps the page at `address` (the present bit of its pagemap entry).
bool Mapped(const volatile void* address) {
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  uint64_t entry = 0;
  const auto offset = static_cast<off_t>(reinterpret_cast<uintptr_t>(address) / page * 8);
  const bool read = fd >= 0 && pread(fd, &entry, sizeof(entry), offset) == sizeof(entry);
  if (fd >= 0) close(fd);
  return read && (entry >> 63) != 0;
}

TEST(UnmapFilePages, UnmapsWholePagesOfTheFileAndKeepsPrivateCopies) {
  TempDir dir;
  const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  constexpr size_t kPages = 8;
  const std::string path = dir.path() + "/code";
  {
    std::ofstream file(path, std::ios::binary);
    for (size_t i = 0; i < kPages; ++i) file << std::string(page, static_cast<char>('a' + i));
  }
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  void* map = mmap(nullptr, kPages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  close(fd);
  ASSERT_NE(map, MAP_FAILED);
  auto* bytes = static_cast<volatile char*>(map);
  for (size_t i = 0; i < kPages; ++i) ASSERT_EQ(bytes[i * page], static_cast<char>('a' + i));
  bytes[3 * page] = 'X';  // a page of its own, as a debugger's breakpoint makes
  const auto begin = reinterpret_cast<uintptr_t>(map);
  // The first and last pages are not whole in the range: kept, as the copy is.
  EXPECT_EQ(UnmapFilePages(begin + 1, begin + kPages * page - 1), (kPages - 3) * page);
  for (size_t i = 0; i < kPages; ++i) {
    EXPECT_EQ(Mapped(bytes + i * page), i == 0 || i == 3 || i == kPages - 1) << "page " << i;
  }
  EXPECT_EQ(bytes[3 * page], 'X');
  EXPECT_EQ(bytes[5 * page], 'f');  // mapped back from the file
  EXPECT_EQ(UnmapFilePages(begin, begin), 0u);
  munmap(map, kPages * page);
}

// A server unmaps RocksDB's code once started (storage.h): what runs again maps back.
TEST(RocksDbStorage, WorksAfterItsCodeIsUnmapped) {
#if !CRUDDUR_ROCKSDB_TEXT_SECTION
  GTEST_SKIP() << "not linked with ddb/storage/rocksdb_text.ld";
#endif
  TempDir dir;
  const std::string path = dir.path() + "/db";
  auto db = OpenRocksDbStorage(path, Options{});
  PutOne(*db, "a", "1");
  EXPECT_GT(UnmapRocksDbCode(), size_t{1} << 20);  // opening ran megabytes of it
  PutOne(*db, "b", "2");
  EXPECT_EQ(db->Get("a"), "1");
  EXPECT_EQ(db->Get("b"), "2");
  EXPECT_GT(UnmapRocksDbCode(), 0u);  // the code of that write and those reads
  db.reset();
  db = OpenRocksDbStorage(path, Options{});
  EXPECT_EQ(db->Get("b"), "2");
}

// Servers release the code on their wait thread's ticks once the process idles, once per busy
// spell (storage.h).
TEST(RocksDbStorage, IdleCodeReleaseWaitsForAnIdlePeriod) {
#if !CRUDDUR_ROCKSDB_TEXT_SECTION
  GTEST_SKIP() << "not linked with ddb/storage/rocksdb_text.ld";
#endif
  TempDir dir;
  auto db = OpenRocksDbStorage(dir.path() + "/db", Options{});
  PutOne(*db, "a", "1");
  IdleCodeRelease release;
  // RocksDB's background threads may still be busy after the open (slow under sanitizers), so
  // the first idle period can come a few ticks later: tick as the server's wait thread does.
  auto tick_until_released = [&release] {
    for (int tick = 0; tick < 200; ++tick) {
      if (const size_t released = release.Tick(); released > 0) return released;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return size_t{0};
  };
  EXPECT_EQ(release.Tick(), 0u);                      // the first tick only starts the period
  EXPECT_GT(tick_until_released(), size_t{1} << 20);  // a period with no work: opening's code goes
  EXPECT_EQ(release.Tick(), 0u);                      // already released
  // A busy period (over 2 ms of CPU) releases nothing, though the write mapped code back.
  const std::clock_t start = std::clock();  // the process's CPU time
  for (int i = 0; std::clock() - start < CLOCKS_PER_SEC / 50; ++i) {
    PutOne(*db, "k" + std::to_string(i), "v");
  }
  EXPECT_EQ(release.Tick(), 0u);
  EXPECT_GT(tick_until_released(), 0u);  // then the next idle period releases it again
  EXPECT_EQ(db->Get("k0"), "v");
}

// Memtables are flushed several at a time (RocksDbOptions()): writes waiting in full memtables,
// each with its own WAL file, are read like any others and are all replayed by a reopen.
TEST(RocksDbStorage, WritesInUnflushedFullMemtablesAreReadAndReplayed) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  constexpr int kItems = 24000;  // ~24 MB: more than one full memtable
  const std::string value(1000, 'v');
  auto check = [&](Storage& db) {
    for (int i = 0; i < kItems; i += 997) EXPECT_EQ(db.Get(Key("item", i)), value) << i;
    auto iter = db.NewIterator();
    int seen = 0;
    for (iter->Seek("item/"); iter->Valid() && iter->key().starts_with("item/"); iter->Next()) {
      ASSERT_EQ(iter->key(), Key("item", seen));
      ++seen;
    }
    EXPECT_EQ(seen, kItems);
  };
  auto db = OpenRocksDbStorage(path, Options{});
  for (int i = 0; i < kItems; i += 100) {
    WriteBatch batch;
    for (int j = i; j < i + 100; ++j) batch.Put(Key("item", j), value);
    db->Write(batch);
  }
  ASSERT_GE(db->IntProperty("rocksdb.num-immutable-mem-table").value_or(0), 1U);
  check(*db);
  db.reset();
  db = OpenRocksDbStorage(path, Options{});
  check(*db);
}

// ... and garbage after an older WAL's last record (as a failed append on a full disk leaves) is
// dropped, but the next WAL follows on from the record before it, so it is replayed, and our log
// says that too.
TEST(RocksDbStorage, DamagedTailOfAnOlderWalIsDroppedAndTheNextReplayed) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  constexpr int kItems = 24000;  // more than one full memtable, so more than one WAL
  const std::string value(1000, 'v');
  {
    auto db = OpenRocksDbStorage(path, Options{});
    for (int i = 0; i < kItems; i += 100) {
      WriteBatch batch;
      for (int j = i; j < i + 100; ++j) batch.Put(Key("item", j), value);
      db->Write(batch);
    }
  }
  const std::vector<std::string> wals = WalFiles(path);
  ASSERT_GE(wals.size(), 2u);
  std::ofstream(wals.front(), std::ios::app) << std::string(64, '\x5a');
  std::unique_ptr<Storage> db;
  std::string logged;
  {
    CapturedLog log;
    db = OpenRocksDbStorage(path, Options{});
    logged = log.text();
  }
  int kept = 0;
  for (int i = 0; i < kItems; ++i) kept += db->Get(Key("item", i)) == value ? 1 : 0;
  EXPECT_EQ(kept, kItems);
  EXPECT_NE(logged.find("warn storage WAL recovery dropped a damaged or incomplete record; the "
                        "writes after it follow on from those before it and were replayed"),
            std::string::npos)
      << logged;
  EXPECT_NE(logged.find(std::filesystem::path(wals.front()).filename().string() + ": dropping "),
            std::string::npos)
      << logged;
  EXPECT_EQ(logged.find("stopped"), std::string::npos) << logged;
}

// The compression of each table file of a closed data dir, by its table properties.
std::vector<std::string> TableCompressions(const std::string& path) {
  rocksdb::Options options = RocksDbOptions();
  options.create_if_missing = false;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status status = rocksdb::DB::OpenForReadOnly(options, path, &raw);
  EXPECT_TRUE(status.ok()) << status.ToString();
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::TablePropertiesCollection tables;
  if (db) {
    EXPECT_TRUE(db->GetPropertiesOfAllTables(&tables).ok());
  }
  std::vector<std::string> compressions;
  for (const auto& [file, properties] : tables)
    compressions.push_back(properties->compression_name);
  std::sort(compressions.begin(), compressions.end());
  return compressions;
}

// A data dir written before table files were LZ4 (with Snappy, RocksDB's default) opens and
// reads with today's options, which write new table files in LZ4.
TEST(RocksDbStorage, DataDirWrittenWithSnappyStaysReadable) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  {
    rocksdb::Options old = RocksDbOptions();
    old.compression = rocksdb::kSnappyCompression;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(old, path, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), Key("old", i), ItemValue(i)).ok());
    }
    ASSERT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
  }
  ASSERT_EQ(TableCompressions(path), std::vector<std::string>{"Snappy"});
  {
    auto db = OpenRocksDbStorage(path, Options{});
    for (int i = 0; i < 100; ++i) EXPECT_EQ(db->Get(Key("old", i)), ItemValue(i)) << i;
    for (int i = 0; i < 100; ++i) PutOne(*db, Key("new", i), ItemValue(i));
  }
  auto db = OpenRocksDbStorage(path, Options{});  // flushed the new writes' WAL: a table file
  EXPECT_EQ(TableCompressions(path), (std::vector<std::string>{"LZ4", "Snappy"}));
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(db->Get(Key("old", i)), ItemValue(i)) << i;
    EXPECT_EQ(db->Get(Key("new", i)), ItemValue(i)) << i;
  }
  auto iter = db->NewIterator();
  int seen = 0;
  for (iter->Seek("new/"); iter->Valid() && iter->key() < "old0"; iter->Next()) ++seen;
  EXPECT_EQ(seen, 200);
}

size_t BlockCacheCapacity() {
  const rocksdb::Options options = RocksDbOptions();
  const auto* table = options.table_factory->GetOptions<rocksdb::BlockBasedTableOptions>();
  return table != nullptr && table->block_cache ? table->block_cache->GetCapacity() : 0;
}

TEST(RocksDbOptions, BlockCacheIs64MbUnlessTheEnvironmentSaysOtherwise) {
  unsetenv("CRUDDUR_BLOCK_CACHE_MB");
  EXPECT_EQ(BlockCacheCapacity(), size_t{64} << 20);
  setenv("CRUDDUR_BLOCK_CACHE_MB", "256", 1);
  EXPECT_EQ(BlockCacheCapacity(), size_t{256} << 20);
  for (const char* bad : {"", "0", "12x", "-5"}) {
    setenv("CRUDDUR_BLOCK_CACHE_MB", bad, 1);
    EXPECT_EQ(BlockCacheCapacity(), size_t{64} << 20) << "value \"" << bad << '"';
  }
  unsetenv("CRUDDUR_BLOCK_CACHE_MB");
}

size_t RowCacheCapacity() {
  const rocksdb::Options options = RocksDbOptions();
  return options.row_cache ? options.row_cache->GetCapacity() : 0;
}

TEST(RocksDbOptions, RowCacheIs32MbUnlessTheEnvironmentSaysOtherwise) {
  unsetenv("CRUDDUR_ROW_CACHE_MB");
  EXPECT_EQ(RowCacheCapacity(), size_t{32} << 20);
  setenv("CRUDDUR_ROW_CACHE_MB", "128", 1);
  EXPECT_EQ(RowCacheCapacity(), size_t{128} << 20);
  setenv("CRUDDUR_ROW_CACHE_MB", "0", 1);  // none
  EXPECT_EQ(RocksDbOptions().row_cache, nullptr);
  for (const char* bad : {"", "12x", "-5", "-0", "1048576"}) {
    setenv("CRUDDUR_ROW_CACHE_MB", bad, 1);
    EXPECT_EQ(RowCacheCapacity(), size_t{32} << 20) << "value \"" << bad << '"';
  }
  unsetenv("CRUDDUR_ROW_CACHE_MB");
}

// Registered only in a child spawned by the tests above (kChildDirEnv set), so a normal run
// neither lists nor skips them.
class ExpectLockedChild : public ::testing::Test {
  void TestBody() override {
    try {
      OpenRocksDbStorage(std::getenv(kChildDirEnv), Options{});
      FAIL() << "opened a locked data dir";
    } catch (const DataDirLockedError& e) {
      ASSERT_NE(std::string(e.what()).find("in use by another process"), std::string::npos)
          << e.what();
      std::_Exit(kChildSawLock);  // an exit status no empty or failed run gives
    }
  }
};

class WriteUntilKilledChild : public ::testing::Test {
  void TestBody() override {
    const char* fd_text = std::getenv(kChildFdEnv);
    ASSERT_NE(fd_text, nullptr);
    const int fd = std::atoi(fd_text);
    const bool deferred = std::getenv(kChildDeferredEnv) != nullptr;
    const bool fsync = std::getenv(kChildFsyncEnv) != nullptr;
    auto db = OpenRocksDbStorage(std::getenv(kChildDirEnv),
                                 Options{.fsync = fsync, .deferred_wal = deferred});
    int acked = 0;
    int next_flush = 0;
    for (int i = 0; i < 1000000; ++i) {
      WriteBatch batch;
      batch.Put(Key("item", i), ItemValue(i));
      batch.Put(Key("index", i), std::to_string(i));
      batch.Put("counter", std::to_string(i));
      db->Write(batch);
      // Deferred: groups of 1 to 5 writes, each acknowledged after the FlushWal() that ends it.
      if (deferred && i < next_flush) continue;
      next_flush = i + 1 + i % 5;
      db->FlushWal();
      // Acknowledge only after Write (and FlushWal) returned: the parent may rely on it now.
      for (; acked <= i; ++acked) {
        ASSERT_EQ(write(fd, &acked, sizeof(acked)), static_cast<ssize_t>(sizeof(acked)));
      }
    }
  }
};

// Writes "flushed", FlushWal(), then "buffered", and ends without closing the storage (no
// destructor runs), as a crash would.
class WriteThenExitChild : public ::testing::Test {
  void TestBody() override {
    const bool deferred = std::getenv(kChildDeferredEnv) != nullptr;
    const bool fsync = std::getenv(kChildFsyncEnv) != nullptr;
    auto db = OpenRocksDbStorage(std::getenv(kChildDirEnv),
                                 Options{.fsync = fsync, .deferred_wal = deferred});
    PutOne(*db, "flushed", "1");
    db->FlushWal();
    PutOne(*db, "buffered", "2");
    std::_Exit(kChildExitedUnclosed);
  }
};

// The threads of RocksDB's pools in this process ("rocksdb:low", "rocksdb:high", ...).
int PoolThreads() {
  int threads = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name.starts_with("rocksdb:")) ++threads;
  }
  return threads;
}

class IdleThenFlushChild : public ::testing::Test {
  void TestBody() override {
    alarm(60);  // a flush that never runs ends the child instead of hanging the test
    const std::string dir = std::getenv(kChildDirEnv);
    OpenRocksDbStorage(dir + "/idle", Options{}).reset();
    EXPECT_EQ(PoolThreads(), 0);
    // A flush needs its pool's thread: the engine's options on a raw DB, to ask for one.
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(RocksDbOptions(), dir + "/flushed", &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    EXPECT_EQ(PoolThreads(), 0);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "a", "1").ok());
    ASSERT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
    EXPECT_GT(PoolThreads(), 0);
    std::vector<rocksdb::LiveFileMetaData> files;
    db->GetLiveFilesMetaData(&files);
    EXPECT_EQ(files.size(), 1u);
  }
};

[[maybe_unused]] const bool kChildTestsRegistered = [] {
  if (std::getenv(kChildDirEnv) == nullptr) return false;
  ::testing::RegisterTest("RocksDbChildProcess", "ExpectLocked", nullptr, nullptr, __FILE__,
                          __LINE__, []() -> ::testing::Test* { return new ExpectLockedChild; });
  ::testing::RegisterTest("RocksDbChildProcess", "WriteUntilKilled", nullptr, nullptr, __FILE__,
                          __LINE__, []() -> ::testing::Test* { return new WriteUntilKilledChild; });
  ::testing::RegisterTest("RocksDbChildProcess", "WriteThenExit", nullptr, nullptr, __FILE__,
                          __LINE__, []() -> ::testing::Test* { return new WriteThenExitChild; });
  ::testing::RegisterTest("RocksDbChildProcess", "IdleThenFlush", nullptr, nullptr, __FILE__,
                          __LINE__, []() -> ::testing::Test* { return new IdleThenFlushChild; });
  return true;
}();

}  // namespace
}  // namespace cruddur::ddb::storage
