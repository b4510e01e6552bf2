// Time to live through the engine's public request model: settings, and the sweeper deleting
// expired items with REMOVE stream records by the DynamoDB service.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "ddb/engine.h"
#include "ddb/engine_test_util.h"
#include "ddb/error.h"

namespace cruddur::ddb {
namespace {

using rapidjson::Document;

int64_t Now() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

class TtlTest : public EachStorageTest {
 protected:
  void CreateTable(bool stream) {
    std::string spec = stream ? R"(,"StreamSpecification":{"StreamEnabled":true,
      "StreamViewType":"NEW_AND_OLD_IMAGES"})"
                              : "";
    Call("CreateTable", R"({"TableName":"tab","BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}])" +
                            spec + "}");
  }

  Document Update(bool enabled, const std::string& attribute) {
    return Call("UpdateTimeToLive", R"({"TableName":"tab","TimeToLiveSpecification":{"Enabled":)" +
                                        std::string(enabled ? "true" : "false") +
                                        R"(,"AttributeName":")" + attribute + R"("}})");
  }
  ApiError UpdateError(bool enabled, const std::string& attribute) {
    return CallError("UpdateTimeToLive",
                     R"({"TableName":"tab","TimeToLiveSpecification":{"Enabled":)" +
                         std::string(enabled ? "true" : "false") + R"(,"AttributeName":")" +
                         attribute + R"("}})");
  }
  bool Exists(const std::string& pk) {
    return Call("GetItem", R"({"TableName":"tab","Key":{"pk":{"S":")" + pk + R"("}}})")
        .HasMember("Item");
  }
};

TEST_P(TtlTest, EnableDescribeDisable) {
  options_.ttl_update_cooldown = std::chrono::milliseconds(0);  // changes one after another
  Open();
  CreateTable(false);
  Document d = Call("DescribeTimeToLive", R"({"TableName":"tab"})");
  EXPECT_STREQ(d["TimeToLiveDescription"]["TimeToLiveStatus"].GetString(), "DISABLED");
  EXPECT_FALSE(d["TimeToLiveDescription"].HasMember("AttributeName"));

  ApiError e = UpdateError(false, "expires");
  EXPECT_EQ(e.type(), "ValidationException");
  EXPECT_EQ(e.message(), "TimeToLive is already disabled");

  d = Update(true, "expires");
  EXPECT_TRUE(d["TimeToLiveSpecification"]["Enabled"].GetBool());
  EXPECT_STREQ(d["TimeToLiveSpecification"]["AttributeName"].GetString(), "expires");
  d = Call("DescribeTimeToLive", R"({"TableName":"tab"})");
  EXPECT_STREQ(d["TimeToLiveDescription"]["TimeToLiveStatus"].GetString(), "ENABLED");
  EXPECT_STREQ(d["TimeToLiveDescription"]["AttributeName"].GetString(), "expires");

  EXPECT_EQ(UpdateError(true, "expires").message(), "TimeToLive is already enabled");
  EXPECT_EQ(UpdateError(true, "other").message(),
            "TimeToLive is active on a different AttributeName: current AttributeName is expires");
  EXPECT_EQ(UpdateError(false, "other").message(),
            "TimeToLive is active on a different AttributeName: current AttributeName is expires");
  d = Update(false, "expires");
  EXPECT_FALSE(d["TimeToLiveSpecification"]["Enabled"].GetBool());
  d = Call("DescribeTimeToLive", R"({"TableName":"tab"})");
  EXPECT_STREQ(d["TimeToLiveDescription"]["TimeToLiveStatus"].GetString(), "DISABLED");
  // DescribeTable does not report TTL, and the table is otherwise unchanged.
  d = Call("DescribeTable", R"({"TableName":"tab"})");
  EXPECT_STREQ(d["Table"]["TableName"].GetString(), "tab");
}

TEST_P(TtlTest, ValidationAndMissingTable) {
  Open();
  CreateTable(false);
  EXPECT_EQ(CallError("UpdateTimeToLive", R"({"TableName":"nope","TimeToLiveSpecification":
    {"Enabled":true,"AttributeName":"x"}})")
                .type(),
            "ResourceNotFoundException");
  EXPECT_EQ(CallError("DescribeTimeToLive", R"({"TableName":"nope"})").type(),
            "ResourceNotFoundException");
  ApiError e = CallError("UpdateTimeToLive", R"({"TableName":"tab"})");
  EXPECT_EQ(e.type(), "ValidationException");
  EXPECT_NE(e.message().find("timeToLiveSpecification"), std::string::npos) << e.message();
  e = CallError("UpdateTimeToLive",
                R"({"TableName":"tab","TimeToLiveSpecification":{"Enabled":true}})");
  EXPECT_NE(e.message().find("timeToLiveSpecification.attributeName"), std::string::npos);
  e = CallError("UpdateTimeToLive",
                R"({"TableName":"tab","TimeToLiveSpecification":{"AttributeName":"x"}})");
  EXPECT_NE(e.message().find("timeToLiveSpecification.enabled"), std::string::npos);
  e = UpdateError(true, "");
  EXPECT_NE(e.message().find("length greater than or equal to 1"), std::string::npos);
  e = UpdateError(true, std::string(256, 'x'));
  EXPECT_NE(e.message().find("length less than or equal to 255"), std::string::npos);
  EXPECT_EQ(CallError("UpdateTimeToLive", R"({"TableName":"tab","TimeToLiveSpecification":
    {"Enabled":"yes","AttributeName":"x"}})")
                .type(),
            "SerializationException");
}

// DynamoDB's interval between TTL changes (the default options): what the request asks is checked
// first, then the interval since the table's last change; other tables have their own.
TEST_P(TtlTest, ChangeWithinTheIntervalIsRefused) {
  Open();
  CreateTable(false);
  Update(true, "expires");
  const std::string interval =
      "Time to live has been modified multiple times within a fixed interval";
  ApiError e = UpdateError(false, "expires");
  EXPECT_EQ(e.type(), "ValidationException");
  EXPECT_EQ(e.message(), interval);
  EXPECT_EQ(UpdateError(true, "expires").message(), "TimeToLive is already enabled");
  EXPECT_EQ(UpdateError(false, "other").message(),
            "TimeToLive is active on a different AttributeName: current AttributeName is expires");
  Document d = Call("DescribeTimeToLive", R"({"TableName":"tab"})");
  EXPECT_STREQ(d["TimeToLiveDescription"]["TimeToLiveStatus"].GetString(), "ENABLED");
  Call("CreateTable", R"({"TableName":"tab2","BillingMode":"PAY_PER_REQUEST",
    "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
    "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}]})");
  Call("UpdateTimeToLive",
       R"({"TableName":"tab2","TimeToLiveSpecification":{"Enabled":true,"AttributeName":"e"}})");
}

TEST_P(TtlTest, ChangeAfterTheIntervalIsApplied) {
  options_.ttl_update_cooldown = std::chrono::milliseconds(50);
  Open();
  CreateTable(false);
  Update(true, "expires");
  usleep(120 * 1000);
  Update(false, "expires");
  usleep(120 * 1000);
  Update(true, "other");
  Document d = Call("DescribeTimeToLive", R"({"TableName":"tab"})");
  EXPECT_STREQ(d["TimeToLiveDescription"]["AttributeName"].GetString(), "other");
}

// Reopening needs a data dir: instantiated for RocksDB only (an in-memory engine keeps nothing).
class PersistentTtlTest : public TtlTest {};

TEST_P(PersistentTtlTest, SettingSurvivesReopen) {
  Open();
  CreateTable(false);
  Update(true, "expires");
  engine_.reset();
  Open();
  Document d = Call("DescribeTimeToLive", R"({"TableName":"tab"})");
  EXPECT_STREQ(d["TimeToLiveDescription"]["AttributeName"].GetString(), "expires");
  // The last change's time is kept too: the interval goes on across the restart.
  EXPECT_EQ(UpdateError(false, "expires").message(),
            "Time to live has been modified multiple times within a fixed interval");
}

TEST_P(TtlTest, SweeperDeletesExpiredItemsWithServiceRecords) {
  options_.ttl_sweep_interval = std::chrono::milliseconds(20);
  Open();
  CreateTable(true);
  int64_t now = Now();
  auto put = [&](const std::string& pk, const std::string& extra) {
    Call("PutItem", R"({"TableName":"tab","Item":{"pk":{"S":")" + pk + "\"}" + extra + "}}");
  };
  put("expired", R"(,"exp":{"N":")" + std::to_string(now - 60) + R"("})");
  put("future", R"(,"exp":{"N":")" + std::to_string(now + 3600) + R"("})");
  put("string", R"(,"exp":{"S":")" + std::to_string(now - 60) + R"("})");
  put("ancient", R"(,"exp":{"N":")" + std::to_string(now - 6LL * 365 * 24 * 3600) + R"("})");
  put("none", "");
  usleep(100 * 1000);
  EXPECT_TRUE(Exists("expired"));  // TTL not enabled yet
  Update(true, "exp");
  for (int i = 0; i < 200 && Exists("expired"); ++i) usleep(10 * 1000);
  EXPECT_FALSE(Exists("expired"));
  for (std::string pk : {"future", "string", "ancient", "none"}) EXPECT_TRUE(Exists(pk)) << pk;

  std::string arn =
      Call("DescribeTable", R"({"TableName":"tab"})")["Table"]["LatestStreamArn"].GetString();
  Document desc = Call("Streams.DescribeStream", R"({"StreamArn":")" + arn + R"("})");
  std::string shard = desc["StreamDescription"]["Shards"][0]["ShardId"].GetString();
  std::string it = Call("Streams.GetShardIterator",
                        R"({"StreamArn":")" + arn + R"(","ShardId":")" + shard +
                            R"(","ShardIteratorType":"TRIM_HORIZON"})")["ShardIterator"]
                       .GetString();
  Document d = Call("Streams.GetRecords", R"({"ShardIterator":")" + it + R"("})");
  ASSERT_EQ(d["Records"].Size(), 6u);
  const auto& r = d["Records"][5];
  EXPECT_STREQ(r["eventName"].GetString(), "REMOVE");
  EXPECT_STREQ(r["dynamodb"]["Keys"]["pk"]["S"].GetString(), "expired");
  EXPECT_TRUE(r["dynamodb"].HasMember("OldImage"));
  EXPECT_STREQ(r["userIdentity"]["Type"].GetString(), "Service");
  EXPECT_STREQ(r["userIdentity"]["PrincipalId"].GetString(), "dynamodb.amazonaws.com");
  EXPECT_FALSE(d["Records"][0].HasMember("userIdentity"));
}

TEST_P(TtlTest, DisabledTtlDeletesNothing) {
  options_.ttl_sweep_interval = std::chrono::milliseconds(20);
  options_.ttl_update_cooldown = std::chrono::milliseconds(0);
  Open();
  CreateTable(false);
  Update(true, "exp");
  Update(false, "exp");
  Call("PutItem", R"({"TableName":"tab","Item":{"pk":{"S":"a"},"exp":{"N":")" +
                      std::to_string(Now() - 10) + R"("}}})");
  usleep(150 * 1000);
  EXPECT_TRUE(Exists("a"));
}

INSTANTIATE_TEST_SUITE_P(Storage, TtlTest, ::testing::Values(true, false), StorageName);
INSTANTIATE_TEST_SUITE_P(Storage, PersistentTtlTest, ::testing::Values(false), StorageName);

}  // namespace
}  // namespace cruddur::ddb
