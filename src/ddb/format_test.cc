// The data dir's format: a format-1 dir (2-byte FNV partition hash, keys in space 0x02) is
// migrated on open to format 2 (DynamoDB's partition hash, space 0x05); unknown formats are
// refused.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "ddb/engine.h"
#include "ddb/engine_test_util.h"
#include "ddb/storage/storage.h"
#include "ddb/table.h"

namespace cruddur::ddb {
namespace {

class DataFormatTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = FreshTestDir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Engine> OpenEngine() {
    EngineOptions options;
    options.data_dir = dir_.string();
    options.ttl_sweep_interval = std::chrono::milliseconds(0);
    return Engine::Open(options);
  }
  std::unique_ptr<storage::Storage> OpenStorage() {
    return storage::OpenRocksDbStorage(dir_.string(), storage::Options{});
  }

  std::filesystem::path dir_;
};

TEST_F(DataFormatTest, Format1DataDirIsMigrated) {
  const std::string scan_table = R"({"TableName":"tab"})";
  const std::string scan_index = R"({"TableName":"tab","IndexName":"by-g"})";
  const std::string query = R"({"TableName":"tab","KeyConditionExpression":"pk = :p",)"
                            R"("ExpressionAttributeValues":{":p":{"N":"3"}}})";
  std::string table_before, index_before, query_before;
  {
    auto engine = OpenEngine();
    engine->Execute("CreateTable", R"j({"TableName":"tab","BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"N"},
        {"AttributeName":"sk","AttributeType":"S"},{"AttributeName":"g","AttributeType":"B"}],
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
      "GlobalSecondaryIndexes":[{"IndexName":"by-g","KeySchema":[
        {"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}]})j");
    for (int i = 0; i < 40; ++i) {
      const char* const kGroups[] = {"AA==", "AQ==", "Ag=="};
      const std::string g =
          i % 4 == 0 ? "" : R"(,"g":{"B":")" + std::string(kGroups[i % 3]) + "\"}";
      engine->Execute("PutItem", R"({"TableName":"tab","Item":{"pk":{"N":")" +
                                     std::to_string(i % 7 - 3) + R"("},"sk":{"S":"s)" +
                                     std::to_string(i) + "\"}" + g + "}}");
    }
    table_before = engine->Execute("Scan", scan_table);
    index_before = engine->Execute("Scan", scan_index);
    query_before = engine->Execute("Query", query);
  }
  // Rewrite the dir as format 1 left it: the same keys in space 0x02 with a 2-byte hash (its
  // value does not matter to the migration), no format key; plus an entry of a table id the
  // catalog does not have (an interrupted DeleteTable).
  size_t entries = 0;
  {
    auto store = OpenStorage();
    auto it = store->NewIterator();
    storage::WriteBatch batch;
    const std::string data(1, keyspace::kData);
    for (it->Seek(data); it->Valid() && it->key().starts_with(data); it->Next()) {
      const std::string_view key = it->key();
      std::string old_key(1, keyspace::kDataFormat1);
      old_key.append(key.substr(1, 5));
      old_key.append("\xAB\xCD");
      old_key.append(key.substr(6 + keyspace::kPartitionHashBytes));
      batch.Put(old_key, it->value());
      batch.Delete(key);
      ++entries;
    }
    batch.Put(std::string("\x02\x00\x00\x00\xFF\x00\x12\x34orphan\x00\x01", 16), "x");
    batch.Delete(keyspace::FormatKey());
    store->Write(batch);
  }
  ASSERT_GT(entries, 40u);  // the items and their index entries
  {
    auto engine = OpenEngine();
    EXPECT_EQ(engine->Execute("Scan", scan_table), table_before);
    EXPECT_EQ(engine->Execute("Scan", scan_index), index_before);
    EXPECT_EQ(engine->Execute("Query", query), query_before);
    EXPECT_NE(engine
                  ->Execute("GetItem", R"({"TableName":"tab","Key":{"pk":{"N":"-3"},)"
                                       R"("sk":{"S":"s0"}}})")
                  .find("\"Item\""),
              std::string::npos);
  }
  auto store = OpenStorage();
  EXPECT_EQ(store->Get(keyspace::FormatKey()), std::string(keyspace::kFormatVersion));
  auto it = store->NewIterator();
  it->Seek(std::string(1, keyspace::kDataFormat1));
  EXPECT_TRUE(!it->Valid() || it->key()[0] != keyspace::kDataFormat1) << "format-1 keys remain";
  size_t now = 0;
  const std::string data(1, keyspace::kData);
  for (it->Seek(data); it->Valid() && it->key().starts_with(data); it->Next()) ++now;
  EXPECT_EQ(now, entries);  // the orphan was dropped
}

TEST_F(DataFormatTest, NewDataDirIsStampedAndUnknownFormatRefused) {
  OpenEngine().reset();
  {
    auto store = OpenStorage();
    EXPECT_EQ(store->Get(keyspace::FormatKey()), std::string(keyspace::kFormatVersion));
    storage::WriteBatch batch;
    batch.Put(keyspace::FormatKey(), "7");
    store->Write(batch);
  }
  try {
    OpenEngine();
    ADD_FAILURE() << "a data dir of format 7 was opened";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("data format 7"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cruddur::ddb
