// Contract tests, run against both Storage implementations.
#include "ddb/storage/storage.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iterator>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ddb/storage/test_util.h"
#include "testing/expect_cases.h"

namespace cruddur::ddb::storage {
namespace {

using std::string_literals::operator""s;
using test_util::ExpectCases;

enum class Kind { kMemory, kRocksDb };

class StorageTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    if (GetParam() == Kind::kMemory) {
      db_ = OpenMemoryStorage();
    } else {
      dir_ = std::make_unique<TempDir>();
      db_ = OpenRocksDbStorage(dir_->path() + "/db", Options{});
    }
  }
  void TearDown() override {
    db_.reset();  // before the directory goes
    dir_.reset();
  }

  // RocksDB: closes and opens the store again, which writes what the memtables held into a
  // table file. In memory: nothing (the store would be gone).
  void Reopen() {
    if (GetParam() != Kind::kRocksDb) return;
    db_.reset();
    db_ = OpenRocksDbStorage(dir_->path() + "/db", Options{});
  }

  void Put(std::string_view key, std::string_view value) {
    WriteBatch batch;
    batch.Put(key, value);
    db_->Write(batch);
  }
  void Delete(std::string_view key) {
    WriteBatch batch;
    batch.Delete(key);
    db_->Write(batch);
  }
  // Every (key, value) of a fresh iterator, forward.
  std::vector<std::pair<std::string, std::string>> Dump() {
    std::vector<std::pair<std::string, std::string>> out;
    auto it = db_->NewIterator();
    for (it->Seek(""); it->Valid(); it->Next()) out.emplace_back(it->key(), it->value());
    return out;
  }

  // Random batches of keys from `random_key` against a std::map model; every 20 rounds checks
  // forward and backward iteration, Seek, SeekForPrev and Get at random keys.
  template <typename KeyFn>
  void ExpectMatchesModelUnderRandomBatches(std::mt19937& rng, KeyFn random_key);
  // Random batches with snapshots (iterators) kept for a few writes and dropped out of order.
  template <typename KeyFn>
  void ExpectSnapshotsStayExactUnderRandomWrites(std::mt19937& rng, KeyFn random_key);

  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<Storage> db_;
};

TEST_P(StorageTest, PutGetDelete) {
  EXPECT_EQ(db_->Get("k"), std::nullopt);
  Put("k", "v1");
  EXPECT_EQ(db_->Get("k"), "v1");
  Put("k", "v2");
  EXPECT_EQ(db_->Get("k"), "v2");
  Delete("k");
  EXPECT_EQ(db_->Get("k"), std::nullopt);
  Delete("never-existed");  // deleting an absent key is not an error
  EXPECT_EQ(db_->Get("never-existed"), std::nullopt);
}

// Read hands the value to its callback once, in place; an absent key calls nothing.
TEST_P(StorageTest, ReadCallsBackOnlyForAPresentKey) {
  Put("k", "value");
  Put("l", "");
  int calls = 0;
  std::string seen;
  EXPECT_TRUE(db_->Read("k", [&](std::string_view v) {
    ++calls;
    seen = v;
  }));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen, "value");
  EXPECT_TRUE(db_->Read("l", [&](std::string_view v) {
    ++calls;
    seen = v;
  }));
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(seen, "");
  EXPECT_FALSE(db_->Read("kk", [&](std::string_view) { ++calls; }));
  Delete("k");
  EXPECT_FALSE(db_->Read("k", [&](std::string_view) { ++calls; }));
  EXPECT_EQ(calls, 2);
}

TEST_P(StorageTest, MultiReadCallsBackForEachPresentKey) {
  Put("a", "1");
  Put("c", "3");
  Put("e", "");
  const std::string long_value(5000, 'v');
  Put("f", long_value);
  // Unsorted, with absent keys and a repeat.
  const std::vector<std::string_view> keys = {"e", "b", "a", "f", "zz", "a", "c"};
  std::map<size_t, std::string> seen;
  db_->MultiRead(keys, [&](size_t i, std::string_view v) {
    EXPECT_TRUE(seen.emplace(i, std::string(v)).second) << "twice: " << i;
  });
  const std::map<size_t, std::string> expected = {
      {0, ""}, {2, "1"}, {3, long_value}, {5, "1"}, {6, "3"}};
  EXPECT_EQ(seen, expected);
  db_->MultiRead({}, [&](size_t, std::string_view) { ADD_FAILURE() << "no keys, no calls"; });
}

// A partition prefix (storage.h's kPartitionPrefixBytes: keyspace, table, index, hash).
std::string PartitionOf(char hash_byte) {
  std::string p(kPartitionPrefixBytes, '\x01');
  p[0] = kPartitionKeyspace;
  p.back() = hash_byte;
  return p;
}

// MultiRead of keys of one partition (RocksDB reads them with one partition iterator) finds
// exactly what Read finds: items in table files and in the memtable, deleted ones, keys before,
// between and after the partition's items, repeats, and neighbouring partitions' items.
TEST_P(StorageTest, MultiReadOfOnePartitionAgreesWithRead) {
  const std::string p1 = PartitionOf('\x11');
  std::mt19937 rng(7);
  auto sort_key = [&] {
    std::string k(1 + rng() % 6, '\0');
    for (char& c : k) c = static_cast<char>("\x00\x01m\xfe\xff"[rng() % 5]);
    return k;
  };
  std::vector<std::string> written;  // of p1, present or deleted
  auto write_round = [&](int items) {
    for (int i = 0; i < items; ++i) {
      const std::string key = p1 + sort_key();
      if (rng() % 4 == 0 && !written.empty()) {
        Delete(written[rng() % written.size()]);
      } else {
        Put(key, "v" + std::to_string(i) + key);
        written.push_back(key);
      }
      Put(PartitionOf('\x10') + sort_key(), "before");  // the neighbours on both sides
      Put(PartitionOf('\x12') + sort_key(), "after");
    }
  };
  write_round(300);
  Reopen();         // those in a table file
  write_round(60);  // and these in the memtable, some deleting or replacing the first ones
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> keys;
    const size_t n = 2 + rng() % 30;
    for (size_t i = 0; i < n; ++i) {
      keys.push_back(rng() % 3 == 0 || i == 0 ? p1 + sort_key() : written[rng() % written.size()]);
    }
    if (round % 10 == 0) keys.push_back(keys.front());  // a repeat
    if (round % 7 == 0) keys.push_back(p1);             // the partition's own prefix
    const std::vector<std::string_view> views(keys.begin(), keys.end());
    std::map<size_t, std::string> seen;
    db_->MultiRead(views, [&](size_t i, std::string_view v) {
      EXPECT_TRUE(seen.emplace(i, std::string(v)).second) << "twice: " << i;
    });
    std::map<size_t, std::string> expected;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (auto v = db_->Get(keys[i])) expected.emplace(i, *v);
    }
    ASSERT_EQ(seen, expected) << "round " << round;
  }
  // A partition that holds nothing, and keys of two partitions at once.
  std::vector<std::string> keys = {PartitionOf('\x20') + "a", PartitionOf('\x20') + "b"};
  db_->MultiRead({keys[0], keys[1]}, [&](size_t, std::string_view) { ADD_FAILURE(); });
  const std::string both[] = {written.front(), PartitionOf('\x20') + "a"};
  size_t calls = 0;
  db_->MultiRead({both[0], both[1]}, [&](size_t i, std::string_view v) {
    ++calls;
    EXPECT_EQ(i, 0u);
    EXPECT_EQ(std::optional<std::string>(std::string(v)), db_->Get(both[0]));
  });
  EXPECT_EQ(calls, db_->Get(both[0]) ? 1u : 0u);
}

TEST_P(StorageTest, EmptyValueIsNotAbsentAndBinaryIsPreserved) {
  Put("empty", "");
  EXPECT_EQ(db_->Get("empty"), ""s);
  const std::string key = "a\0b\xff"s;
  const std::string value = "\0\x01\xfe\xff\0"s;
  Put(key, value);
  EXPECT_EQ(db_->Get(key), value);
  EXPECT_EQ(db_->Get("a"), std::nullopt);  // the embedded NUL is part of the key
  EXPECT_EQ(db_->Get("a\0b"s), std::nullopt);
}

TEST_P(StorageTest, LargeValue) {
  std::string big(3 << 20, 'x');
  big[12345] = '\0';
  Put("big", big);
  EXPECT_EQ(db_->Get("big"), big);
}

TEST_P(StorageTest, BatchAppliesOpsInOrder) {
  Put("gone", "old");
  WriteBatch batch;
  batch.Put("a", "1");
  batch.Delete("a");
  batch.Delete("b");
  batch.Put("b", "2");
  batch.Put("c", "x");
  batch.Put("c", "3");
  batch.Delete("gone");
  EXPECT_EQ(batch.size(), 7u);
  EXPECT_FALSE(batch.empty());
  db_->Write(batch);
  EXPECT_EQ(db_->Get("a"), std::nullopt);
  EXPECT_EQ(db_->Get("b"), "2");
  EXPECT_EQ(db_->Get("c"), "3");
  EXPECT_EQ(db_->Get("gone"), std::nullopt);
}

TEST_P(StorageTest, EmptyBatchIsANoOp) {
  WriteBatch batch;
  EXPECT_TRUE(batch.empty());
  db_->Write(batch);
  EXPECT_TRUE(Dump().empty());
}

TEST_P(StorageTest, IterationIsUnsignedByteOrder) {
  // Shuffled insertion of keys whose order depends on bytes 0x00, 0x7f, 0x80 and 0xff and on
  // prefixes.
  const std::vector<std::string> sorted = {
      ""s,      "\0"s,    "\0\0"s,     "\0\xff"s, "\x01"s,   "a"s,         "a\0"s,
      "a\0\0"s, "a\x01"s, "a\x7f"s,    "a\x80"s,  "a\xff"s,  "a\xff\xff"s, "b"s,
      "\x7f"s,  "\x80"s,  "\xfe\xff"s, "\xff"s,   "\xff\0"s, "\xff\xff"s,  "\xff\xff\xff"s};
  std::vector<std::string> shuffled = sorted;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(7));
  for (const std::string& k : shuffled) Put(k, "v" + k);

  std::vector<std::string> forward;
  auto it = db_->NewIterator();
  for (it->Seek(""); it->Valid(); it->Next()) {
    forward.emplace_back(it->key());
    EXPECT_EQ(it->value(), "v" + std::string(it->key()));
  }
  EXPECT_EQ(forward, sorted);

  std::vector<std::string> backward;
  for (it->SeekForPrev("\xff\xff\xff\xff"s); it->Valid(); it->Prev()) {
    backward.emplace_back(it->key());
  }
  EXPECT_EQ(backward, std::vector<std::string>(sorted.rbegin(), sorted.rend()));
}

TEST_P(StorageTest, EmptyStoreIteratorIsInvalid) {
  auto it = db_->NewIterator();
  it->Seek("");
  EXPECT_FALSE(it->Valid());
  it->SeekForPrev("\xff\xff"s);
  EXPECT_FALSE(it->Valid());
}

TEST_P(StorageTest, SeekAndSeekForPrevAtEdges) {
  for (const char* k : {"b", "d", "f"}) Put(k, k);
  auto it = db_->NewIterator();

  // Where a seek lands: the key there, or "(invalid)".
  auto landing = [&] { return it->Valid() ? std::string(it->key()) : std::string("(invalid)"); };
  const std::pair<std::string, std::string> kSeeks[] = {
      {"a", "b"},              // before the first
      {"b", "b"},              // exact
      {"c", "d"},              // between
      {"f\0"s, "(invalid)"}};  // just past the last
  ExpectCases(
      [&](const std::string& target) {
        it->Seek(target);
        return landing();
      },
      kSeeks);
  const std::pair<std::string, std::string> kSeeksForPrev[] = {
      {"a", "(invalid)"},  // before the first
      {"b", "b"},          // exact
      {"c", "b"},          // between
      {"d\0"s, "d"},
      {"zzz", "f"}};  // past the last
  ExpectCases(
      [&](const std::string& target) {
        it->SeekForPrev(target);
        return landing();
      },
      kSeeksForPrev);

  // Stepping off either end invalidates; re-seeking recovers.
  it->Seek("b");
  it->Prev();
  EXPECT_FALSE(it->Valid());
  it->SeekForPrev("f");
  it->Next();
  EXPECT_FALSE(it->Valid());
  it->Seek("e");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "f");
}

TEST_P(StorageTest, DirectionChanges) {
  for (const char* k : {"a", "b", "c", "d"}) Put(k, k);
  auto it = db_->NewIterator();
  it->Seek("b");
  it->Next();
  EXPECT_EQ(it->key(), "c");
  it->Prev();
  EXPECT_EQ(it->key(), "b");
  it->Prev();
  EXPECT_EQ(it->key(), "a");
  it->Next();
  it->Next();
  it->Next();
  EXPECT_EQ(it->key(), "d");
  it->Prev();
  EXPECT_EQ(it->key(), "c");
}

TEST_P(StorageTest, SnapshotIsolation) {
  Put("a", "1");
  Put("b", "1");
  Put("c", "1");
  auto it = db_->NewIterator();
  // Writes on the same thread while the iterator lives: must neither block nor be seen.
  Put("a", "2");
  Delete("b");
  Put("bb", "new");
  Put("d", "new");

  std::vector<std::pair<std::string, std::string>> seen;
  for (it->Seek(""); it->Valid(); it->Next()) seen.emplace_back(it->key(), it->value());
  const std::vector<std::pair<std::string, std::string>> before = {
      {"a", "1"}, {"b", "1"}, {"c", "1"}};
  EXPECT_EQ(seen, before);
  it->SeekForPrev("z");
  EXPECT_EQ(it->key(), "c");

  const std::vector<std::pair<std::string, std::string>> after = {
      {"a", "2"}, {"bb", "new"}, {"c", "1"}, {"d", "new"}};
  EXPECT_EQ(Dump(), after);  // a new iterator sees everything
  EXPECT_EQ(db_->Get("b"), std::nullopt);
}

TEST_P(StorageTest, KeyAndValueViewsSurviveLaterWrites) {
  Put("k", "original");
  auto it = db_->NewIterator();
  it->Seek("k");
  ASSERT_TRUE(it->Valid());
  const std::string_view value = it->value();
  Put("k", "overwritten");
  Delete("k");
  EXPECT_EQ(value, "original");
}

// 1 to `max_ops` random puts and deletes of keys from `random_key`, applied to `model` as well
// (the std::map the store is checked against).
template <typename KeyFn>
WriteBatch RandomBatch(std::mt19937& rng, int max_ops, KeyFn random_key,
                       std::map<std::string, std::string>& model) {
  WriteBatch batch;
  const int ops = 1 + static_cast<int>(rng() % static_cast<unsigned>(max_ops));
  for (int i = 0; i < ops; ++i) {
    std::string k = random_key();
    if (rng() % 3 == 0) {
      batch.Delete(k);
      model.erase(k);
    } else {
      std::string v = std::to_string(rng());
      batch.Put(k, v);
      model[k] = v;
    }
  }
  return batch;
}

template <typename KeyFn>
void StorageTest::ExpectMatchesModelUnderRandomBatches(std::mt19937& rng, KeyFn random_key) {
  std::map<std::string, std::string> model;
  for (int round = 0; round < 400; ++round) {
    db_->Write(RandomBatch(rng, 8, random_key, model));
    if (round % 20 != 0) continue;

    auto it = db_->NewIterator();
    std::map<std::string, std::string> forward;
    for (it->Seek(""); it->Valid(); it->Next()) forward.emplace(it->key(), it->value());
    ASSERT_EQ(forward, model);
    size_t backward = 0;
    auto expected = model.rbegin();
    for (it->SeekForPrev(std::string(64, '\xff')); it->Valid(); it->Prev(), ++expected) {
      ASSERT_NE(expected, model.rend());
      ASSERT_EQ(it->key(), expected->first);
      ++backward;
    }
    ASSERT_EQ(backward, model.size());
    for (int probe = 0; probe < 50; ++probe) {
      const std::string target = random_key();
      it->Seek(target);
      auto lb = model.lower_bound(target);
      ASSERT_EQ(it->Valid(), lb != model.end());
      if (it->Valid()) {
        ASSERT_EQ(it->key(), lb->first);
      }
      it->SeekForPrev(target);
      auto ub = model.upper_bound(target);
      ASSERT_EQ(it->Valid(), ub != model.begin());
      if (it->Valid()) {
        ASSERT_EQ(it->key(), std::prev(ub)->first);
      }
      ASSERT_EQ(db_->Get(target),
                model.count(target) ? std::optional(model[target]) : std::nullopt);
    }
  }
}

TEST_P(StorageTest, MatchesStdMapUnderRandomBatches) {
  std::mt19937 rng(12345);
  ExpectMatchesModelUnderRandomBatches(rng, [&] {
    // Short keys over a small alphabet including 0x00 and 0xff: many collisions and prefixes.
    static const char kAlphabet[] = {'\0', '\x01', 'a', 'b', '\x7f', '\x80', '\xff'};
    std::string k(1 + rng() % 4, '\0');
    for (char& c : k) c = kAlphabet[rng() % sizeof(kAlphabet)];
    return k;
  });
}

// Keys of 0 to 20 bytes that mostly follow one template (an item key's layout: keyspace, table
// id, index id, partition hash, ...) and differ from it in random bytes, before, at and past
// the 16 bytes that the in-memory tree's nodes keep inline: long equal prefixes, keys that are
// prefixes of others, trailing zero bytes, bytes >= 0x80 and the empty key.
std::string KeyNearTemplate(std::mt19937& rng) {
  static const char kTemplate[] =
      "\x05\x00\x00\x00\x01\x00\x80\x00\xff\x7f\x00\x01\x80\xfe\x00\x00xy\xff\x00";
  static const char kAlphabet[] = {'\0', '\x01', '\x7f', '\x80', '\xff'};
  std::string k(rng() % 21, '\0');
  for (size_t i = 0; i < k.size(); ++i) {
    k[i] = rng() % 6 == 0 ? kAlphabet[rng() % sizeof(kAlphabet)] : kTemplate[i];
  }
  return k;
}

TEST_P(StorageTest, MatchesStdMapWithKeysAroundTheInlinePrefix) {
  std::mt19937 rng(4242);
  ExpectMatchesModelUnderRandomBatches(rng, [&] { return KeyNearTemplate(rng); });
}

TEST_P(StorageTest, OrdersKeysThatDifferOnlyNearSixteenBytes) {
  const std::string x15(15, 'x'), x16(16, 'x'), ff16(16, '\xff');
  // In unsigned byte order.
  const std::vector<std::string> sorted = {
      ""s,           "\0"s,   "\0\0"s,     "\x01"s,       x15,           x15 + "\0"s,
      x15 + "\0\0"s, x16,     x16 + "\0"s, x16 + "\x01"s, x16 + "x"s,    x16 + "\x80"s,
      x15 + "\x80"s, "\x80"s, ff16,        ff16 + "\0"s,  ff16 + "\xff"s};
  ASSERT_TRUE(std::is_sorted(sorted.begin(), sorted.end()));
  std::vector<std::string> shuffled = sorted;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(9));
  for (const std::string& k : shuffled) Put(k, "v" + k);
  std::vector<std::pair<std::string, std::string>> expected;
  for (const std::string& k : sorted) expected.emplace_back(k, "v" + k);
  EXPECT_EQ(Dump(), expected);
  auto it = db_->NewIterator();
  for (size_t i = 0; i < sorted.size(); ++i) {
    EXPECT_EQ(db_->Get(sorted[i]), "v" + sorted[i]);
    it->Seek(sorted[i]);
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->key(), sorted[i]);
    it->SeekForPrev(sorted[i]);
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->key(), sorted[i]);
  }
  // Absent keys between them: a prefix of a present key (or the key plus a byte) must not match.
  EXPECT_EQ(db_->Get(x16 + "\0\0"s), std::nullopt);
  EXPECT_EQ(db_->Get(std::string(14, 'x')), std::nullopt);
  it->Seek(x16 + "\0\0"s);
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), x16 + "\x01"s);
  it->SeekForPrev(x15 + "\x01"s);
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), x15 + "\0\0"s);
  Delete(x16);
  Delete("");
  EXPECT_EQ(db_->Get(x16), std::nullopt);
  EXPECT_EQ(db_->Get(x16 + "\0"s), "v" + x16 + "\0"s);
  EXPECT_EQ(db_->Get(""), std::nullopt);
  EXPECT_EQ(Dump().size(), sorted.size() - 2);
}

// Writes while no snapshot is alive may change the in-memory tree in place; writes while some
// are alive must not change what they see. Random batches over many keys, with snapshots kept
// for a few writes and dropped out of order, so both kinds of write follow each other.
template <typename KeyFn>
void StorageTest::ExpectSnapshotsStayExactUnderRandomWrites(std::mt19937& rng, KeyFn random_key) {
  std::map<std::string, std::string> model;
  struct Kept {
    std::unique_ptr<Iterator> it;
    std::map<std::string, std::string> expected;
    int drop_after;
  };
  std::vector<Kept> kept;
  auto check = [](Iterator& it, const std::map<std::string, std::string>& expected) {
    std::map<std::string, std::string> seen;
    for (it.Seek(""); it.Valid(); it.Next()) seen.emplace(it.key(), it.value());
    return seen == expected;
  };
  for (int round = 0; round < 3000; ++round) {
    db_->Write(RandomBatch(rng, 6, random_key, model));
    if (rng() % 10 == 0) {
      kept.push_back({db_->NewIterator(), model, round + 1 + static_cast<int>(rng() % 20)});
    }
    for (size_t i = 0; i < kept.size();) {
      if (kept[i].drop_after > round) {
        ++i;
        continue;
      }
      ASSERT_TRUE(check(*kept[i].it, kept[i].expected)) << "snapshot of round " << round;
      kept.erase(kept.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if (round % 100 == 0) {
      auto now = db_->NewIterator();
      ASSERT_TRUE(check(*now, model)) << "round " << round;
    }
  }
  kept.clear();
  auto now = db_->NewIterator();
  EXPECT_TRUE(check(*now, model));
  for (const auto& [k, v] : model) EXPECT_EQ(db_->Get(k), v);
}

TEST_P(StorageTest, SnapshotsKeptAcrossRandomWritesStayExact) {
  std::mt19937 rng(777);
  ExpectSnapshotsStayExactUnderRandomWrites(rng, [&] { return "k" + std::to_string(rng() % 500); });
}

// The same with keys around the in-memory tree's inline prefix: path copying carries each
// node's prefix along with its entry.
TEST_P(StorageTest, SnapshotsStayExactWithKeysAroundTheInlinePrefix) {
  std::mt19937 rng(778);
  ExpectSnapshotsStayExactUnderRandomWrites(rng, [&] { return KeyNearTemplate(rng); });
}

// Tens of thousands of keys grow the in-memory tree several levels deep (nodes split at every
// level, the root too) and deleting them all shrinks it back (nodes merge, emptied ones go, the
// root gives way to its only child): the store matches a std::map all along, in both directions
// and from seeks, with snapshots alive over some writes (which then copy what they change).
TEST_P(StorageTest, MatchesStdMapAsTheTreeGrowsAndShrinks) {
  std::mt19937 rng(2112);
  std::map<std::string, std::string> model;
  auto random_key = [&] { return "k" + std::to_string(rng() % 60000); };
  auto check = [&](Iterator& it, const std::map<std::string, std::string>& expected) {
    std::vector<std::pair<std::string, std::string>> seen;
    for (it.Seek(""); it.Valid(); it.Next()) seen.emplace_back(it.key(), it.value());
    if (seen !=
        std::vector<std::pair<std::string, std::string>>(expected.begin(), expected.end())) {
      return false;
    }
    auto back = expected.rbegin();
    for (it.SeekForPrev("\xff"); it.Valid(); it.Prev(), ++back) {
      if (back == expected.rend() || it.key() != back->first) return false;
    }
    return back == expected.rend();
  };
  auto check_seeks = [&](Iterator& it) {
    for (int probe = 0; probe < 30; ++probe) {
      const std::string target = random_key() + (rng() % 2 ? "" : "~");
      it.Seek(target);
      auto lb = model.lower_bound(target);
      ASSERT_EQ(it.Valid(), lb != model.end()) << target;
      if (it.Valid()) {
        ASSERT_EQ(it.key(), lb->first);
      }
      it.SeekForPrev(target);
      auto ub = model.upper_bound(target);
      ASSERT_EQ(it.Valid(), ub != model.begin()) << target;
      if (it.Valid()) {
        ASSERT_EQ(it.key(), std::prev(ub)->first);
      }
    }
  };
  std::unique_ptr<Iterator> kept;
  std::map<std::string, std::string> kept_model;
  auto write_round = [&](int round, bool growing) {
    WriteBatch batch;
    const int ops = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < ops; ++i) {
      if (!growing && !model.empty()) {
        // Mostly deletes of present keys, from anywhere in the order.
        auto it = model.lower_bound(random_key());
        if (it == model.end()) it = model.begin();
        batch.Delete(it->first);
        model.erase(it);
        continue;
      }
      std::string k = random_key();
      if (rng() % 5 == 0) {
        batch.Delete(k);
        model.erase(k);
      } else {
        std::string v = std::to_string(rng());
        batch.Put(k, v);
        model[k] = std::move(v);
      }
    }
    db_->Write(batch);
    if (round % 97 == 0) {
      if (kept) {
        ASSERT_TRUE(check(*kept, kept_model)) << "snapshot kept until round " << round;
      }
      kept.reset();
      if (rng() % 2 == 0) {
        kept = db_->NewIterator();
        kept_model = model;
      }
    }
    if (round % 150 == 0) {
      auto now = db_->NewIterator();
      ASSERT_TRUE(check(*now, model)) << "round " << round;
      check_seeks(*now);
    }
  };
  int round = 0;
  while (model.size() < 30000) ASSERT_NO_FATAL_FAILURE(write_round(round++, true));
  while (!model.empty()) ASSERT_NO_FATAL_FAILURE(write_round(round++, false));
  kept.reset();
  auto now = db_->NewIterator();
  EXPECT_TRUE(check(*now, model));
  now->Seek("");
  EXPECT_FALSE(now->Valid());
  Put("again", "1");
  EXPECT_EQ(db_->Get("again"), "1");
  EXPECT_EQ(Dump().size(), 1u);
}

TEST_P(StorageTest, ManySequentialKeys) {
  constexpr int kKeys = 20000;
  for (int i = 0; i < kKeys; i += 100) {
    WriteBatch batch;
    for (int j = i; j < i + 100; ++j) {
      char key[16];
      std::snprintf(key, sizeof(key), "k%08d", j);
      batch.Put(key, std::to_string(j));
    }
    db_->Write(batch);
  }
  // Delete every third key, then check count and order.
  for (int i = 0; i < kKeys; i += 3) {
    char key[16];
    std::snprintf(key, sizeof(key), "k%08d", i);
    Delete(key);
  }
  int count = 0;
  std::string last;
  auto it = db_->NewIterator();
  for (it->Seek("k"); it->Valid(); it->Next(), ++count) {
    ASSERT_GT(it->key(), last);
    last = it->key();
    ASSERT_NE(std::stoi(std::string(it->value())) % 3, 0);
  }
  EXPECT_EQ(count, kKeys - (kKeys + 2) / 3);
}

// The same over a tree several levels deep: each batch puts (or deletes) a pair of keys far apart
// in the order, with one value, while readers iterate and read; every snapshot holds both keys
// of a pair or neither, with equal values. Writes then alternate between copying the paths a
// reader may see and changing the tree in place, with splits and merges among them.
TEST_P(StorageTest, ConcurrentReadersSeeWholeBatchesInADeepTree) {
  constexpr int kPairs = 3000;
  auto a = [](int i) { return "a" + std::to_string(i); };
  auto b = [](int i) { return "b" + std::to_string(i); };
  {
    WriteBatch fill;
    for (int i = 0; i < kPairs; i += 2) {
      fill.Put(a(i), "0");
      fill.Put(b(i), "0");
    }
    db_->Write(fill);
  }
  std::atomic<bool> done{false};
  std::thread writer([&] {
    std::mt19937 rng(31);
    for (int round = 1; round <= 4000; ++round) {
      const int i = static_cast<int>(rng() % kPairs);
      WriteBatch batch;
      if (rng() % 3 == 0) {
        batch.Delete(a(i));
        batch.Delete(b(i));
      } else {
        const std::string v = std::to_string(round);
        batch.Put(a(i), v);
        batch.Put(b(i), v);
      }
      db_->Write(batch);
    }
    done = true;
  });
  auto reader = [&] {
    std::mt19937 rng(std::hash<std::thread::id>()(std::this_thread::get_id()));
    int checks = 0;
    while (!done || checks < 5) {
      auto it = db_->NewIterator();
      std::map<std::string, std::string> as;
      it->Seek("a");
      for (; it->Valid() && it->key() < "b"; it->Next()) as.emplace(it->key(), it->value());
      size_t bs = 0;
      for (; it->Valid(); it->Next(), ++bs) {
        const auto pair = as.find("a" + std::string(it->key().substr(1)));
        ASSERT_NE(pair, as.end()) << it->key();
        ASSERT_EQ(pair->second, it->value()) << it->key();
      }
      ASSERT_EQ(bs, as.size());
      const int i = static_cast<int>(rng() % kPairs);
      db_->Get(a(i));  // point reads beside the iterators
      ++checks;
    }
  };
  std::thread reader1(reader);
  reader();
  reader1.join();
  writer.join();
}

// A batch is seen whole or not at all by iterators taken concurrently with the writer.
TEST_P(StorageTest, ConcurrentReadersSeeWholeBatches) {
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 1; i <= 2000; ++i) {
      WriteBatch batch;
      const std::string v = std::to_string(i);
      batch.Put("x", v);
      batch.Put("y", v);
      batch.Put("z", v);
      db_->Write(batch);
    }
    done = true;
  });
  int checks = 0;
  while (!done || checks < 10) {
    auto it = db_->NewIterator();
    std::vector<std::string> values;
    for (it->Seek("x"); it->Valid(); it->Next()) values.emplace_back(it->value());
    if (!values.empty()) {
      ASSERT_EQ(values.size(), 3u);
      ASSERT_EQ(values[0], values[1]);
      ASSERT_EQ(values[1], values[2]);
    }
    ++checks;
  }
  writer.join();
  EXPECT_EQ(db_->Get("x"), "2000");
}

TEST_P(StorageTest, ConcurrencySmoke) {
  constexpr int kWriters = 4;
  constexpr int kPerWriter = 1500;
  std::atomic<int> writers_done{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i) {
        const std::string key = "w" + std::to_string(w) + "/" + std::to_string(i);
        WriteBatch batch;
        batch.Put(key, std::to_string(i));
        if (i % 2 == 1) {  // delete every other key again, one step later
          batch.Delete("w" + std::to_string(w) + "/" + std::to_string(i - 1));
        }
        db_->Write(batch);
        if (db_->Get(key) != std::to_string(i)) failed = true;  // read-your-writes
      }
      ++writers_done;
    });
  }
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&] {
      while (writers_done < kWriters) {
        auto it = db_->NewIterator();
        std::string last;
        bool first = true;
        for (it->Seek(""); it->Valid(); it->Next()) {
          if (!first && !(last < it->key())) failed = true;
          last = it->key();
          first = false;
        }
        for (it->SeekForPrev("\xff"s); it->Valid(); it->Prev()) {
          if (it->key() > last) failed = true;
          last = it->key();
        }
        db_->Get("w0/1");
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(failed);
  std::map<std::string, std::string> expected;
  for (int w = 0; w < kWriters; ++w) {
    for (int i = 1; i < kPerWriter; i += 2) {
      expected["w" + std::to_string(w) + "/" + std::to_string(i)] = std::to_string(i);
    }
  }
  const auto dump = Dump();
  const std::map<std::string, std::string> actual(dump.begin(), dump.end());
  EXPECT_EQ(actual, expected);
}

// Threads that keep iterators across their own and others' writes: each snapshot reads the same
// twice, and includes everything its thread wrote before taking it.
TEST_P(StorageTest, LongLivedIteratorsStayStableUnderConcurrentWrites) {
  constexpr int kThreads = 6;
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string prefix = "t" + std::to_string(t) + "/";
      for (int i = 0; i < 150; ++i) {
        WriteBatch batch;
        batch.Put(prefix + std::to_string(1000 + i), std::to_string(i));
        db_->Write(batch);
        auto it = db_->NewIterator();
        std::vector<std::string> first;
        for (it->Seek(""); it->Valid(); it->Next()) first.emplace_back(it->key());
        WriteBatch more;  // written while `it` lives, on the same thread
        more.Put(prefix + "extra" + std::to_string(i), "x");
        more.Delete(prefix + std::to_string(1000 + i));
        db_->Write(more);
        std::vector<std::string> second;
        for (it->Seek(""); it->Valid(); it->Next()) second.emplace_back(it->key());
        int mine = 0;
        for (const std::string& k : first) mine += k.starts_with(prefix) ? 1 : 0;
        if (first != second || mine != 2 * i + 1) failed = true;  // i+1 numbered, i extras
        WriteBatch restore;
        restore.Put(prefix + std::to_string(1000 + i), std::to_string(i));
        db_->Write(restore);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(failed);
  EXPECT_EQ(Dump().size(), static_cast<size_t>(kThreads * 150 * 2));
}

TEST_P(StorageTest, PartitionIteratorReadsItsPartitionBothWays) {
  const std::string a = PartitionOf('\x10') + "pk-a", b = PartitionOf('\x20') + "pk-b";
  Put(a + "/1", "a1");
  Put(a + "/2", "a2");
  Put(b + "/1", "b1");
  Put("\x01"s + "catalog", "x");
  // The last key of the partition's prefix, for a reverse read from past it.
  Put(PartitionOf('\x10') + "\xff\xff", "end");
  auto it = db_->NewPartitionIterator(a);
  std::vector<std::string> forward;
  for (it->Seek(a); it->Valid() && it->key().starts_with(a); it->Next()) {
    forward.emplace_back(it->value());
  }
  EXPECT_EQ(forward, (std::vector<std::string>{"a1", "a2"}));
  it->SeekForPrev(a + "/3");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "a2");
  // A target past the partition's prefix (the successor of its last hash byte) still finds the
  // prefix's last key.
  it->SeekForPrev(PartitionOf('\x11'));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "end");
  // A partition without keys.
  auto empty = db_->NewPartitionIterator(PartitionOf('\x15') + "pk-c");
  empty->Seek(PartitionOf('\x15') + "pk-c");
  EXPECT_TRUE(!empty->Valid() || !empty->key().starts_with(PartitionOf('\x15')));
}

// Storage may reuse the iterators it made (RocksDB keeps idle ones): a new one still sees every
// write made before it, and none made after it.
TEST_P(StorageTest, EachNewIteratorSeesTheWritesBeforeIt) {
  const std::string p = PartitionOf('\x30') + "pk";
  for (int i = 0; i < 50; ++i) {
    Put(p + std::to_string(100 + i), std::to_string(i));
    auto all = db_->NewIterator();
    auto partition = db_->NewPartitionIterator(p);
    Put(p + std::to_string(100 + i) + "-later", "x");
    Delete(p + std::to_string(100 + i) + "-later");
    int seen = 0, seen_in_partition = 0;
    for (all->Seek(p); all->Valid() && all->key().starts_with(p); all->Next()) ++seen;
    for (partition->Seek(p); partition->Valid() && partition->key().starts_with(p);
         partition->Next()) {
      ++seen_in_partition;
    }
    ASSERT_EQ(seen, i + 1);
    ASSERT_EQ(seen_in_partition, i + 1);
  }
}

// The keys a partition iterator reads from Seek(p) forward, and back from the last key before
// `last`, stopping, as a Query does, at the first key outside `p`.
std::vector<std::string> ReadForward(Storage& db, const std::string& p) {
  std::vector<std::string> keys;
  auto it = db.NewPartitionIterator(p);
  for (it->Seek(p); it->Valid() && it->key().starts_with(p); it->Next())
    keys.emplace_back(it->key());
  return keys;
}
std::vector<std::string> ReadBackward(Storage& db, const std::string& p, const std::string& last) {
  std::vector<std::string> keys;
  auto it = db.NewPartitionIterator(p);
  it->SeekForPrev(last);
  while (it->Valid() && it->key() >= last) it->Prev();  // as Query: `last` is exclusive
  for (; it->Valid() && it->key().starts_with(p); it->Prev()) {
    keys.emplace_back(it->key());
  }
  return keys;
}

// Partitions at both edges of the partition key space (hash bytes 0x00 and 0xff) and between
// other keyspaces: each reads exactly its own keys both ways, also when a neighbour's keys are
// interleaved by key order right next to it.
TEST_P(StorageTest, PartitionIteratorAtTheEdgesOfTheKeySpace) {
  const std::string first = PartitionOf('\x00'), last = PartitionOf('\xff');
  const std::string middle = PartitionOf('\x80');
  Put("\x04"s + "before", "x");  // the keyspace before partitions
  Put("\x06"s + "after", "x");   // and after them
  std::vector<std::string> expected[3];
  const std::string* partitions[3] = {&first, &middle, &last};
  for (int i = 0; i < 5; ++i) {
    for (int p = 0; p < 3; ++p) {
      expected[p].push_back(*partitions[p] + "sk-" + std::to_string(i));
      Put(expected[p].back(), "v");
    }
  }
  // The neighbours of the middle partition's prefix, one byte either way.
  Put(PartitionOf('\x7f') + "\xff", "x");
  Put(PartitionOf('\x81'), "x");
  for (int p = 0; p < 3; ++p) {
    SCOPED_TRACE(p);
    EXPECT_EQ(ReadForward(*db_, *partitions[p]), expected[p]);
    std::vector<std::string> backward(expected[p].rbegin(), expected[p].rend());
    EXPECT_EQ(ReadBackward(*db_, *partitions[p], *partitions[p] + "\xff"), backward);
    // From past the partition (a reverse Query without an upper bound on the sort key).
    const std::string past =
        p == 2 ? std::string(1, kPartitionKeyspace + 1) : PartitionOf(p == 0 ? '\x01' : '\x81');
    EXPECT_EQ(ReadBackward(*db_, *partitions[p], past), backward);
  }
}

// A reused iterator (RocksDB keeps idle ones) reads the latest data: writes and deletes made
// between its uses, in the middle of a partition being read both ways.
TEST_P(StorageTest, ReusedPartitionIteratorSeesLaterWritesBothWays) {
  const std::string p = PartitionOf('\x40');
  std::vector<std::string> keys;
  for (int round = 0; round < 20; ++round) {
    keys.push_back(p + "sk-" + std::to_string(100 + round));
    Put(keys.back(), "v");
    if (round % 3 == 2) {  // and a delete from the middle
      Delete(keys[keys.size() / 2]);
      keys.erase(keys.begin() + static_cast<std::ptrdiff_t>(keys.size() / 2));
    }
    ASSERT_EQ(ReadForward(*db_, p), keys);
    ASSERT_EQ(ReadBackward(*db_, p, p + "\xff"),
              std::vector<std::string>(keys.rbegin(), keys.rend()));
  }
}

INSTANTIATE_TEST_SUITE_P(Both, StorageTest, ::testing::Values(Kind::kMemory, Kind::kRocksDb),
                         [](const auto& info) {
                           return info.param == Kind::kMemory ? "Memory" : "RocksDb";
                         });

}  // namespace
}  // namespace cruddur::ddb::storage
