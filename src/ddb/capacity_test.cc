// Token buckets and throttling against a hand-moved clock: exact, never timed.
#include "ddb/capacity.h"

#include <gtest/gtest.h>

#include <string>

#include "ddb/engine_test_util.h"

namespace cruddur::ddb {
namespace {

TEST(TokenBucketTest, StartsFullAndRefillsAtItsRate) {
  TokenBucket b;
  b.Configure(5, 300, 0);
  EXPECT_DOUBLE_EQ(b.Available(0), 1500);
  b.Take(1500, 0);
  EXPECT_TRUE(b.Empty(0));
  EXPECT_DOUBLE_EQ(b.Available(0.2), 1);
  EXPECT_FALSE(b.Empty(0.2));
  // Unused units are kept only up to the burst window.
  EXPECT_DOUBLE_EQ(b.Available(10000), 1500);
}

TEST(TokenBucketTest, DebtIsPaidBackBeforeTheNextRequest) {
  TokenBucket b;
  b.Configure(1, 1, 0);
  b.Take(4, 0);  // a 4-unit item admitted with 1 unit left
  EXPECT_TRUE(b.Empty(2.5));
  EXPECT_FALSE(b.Empty(3.5));
}

TEST(TokenBucketTest, ANewRateKeepsTheUnitsLeftWithinTheNewBurst) {
  TokenBucket b;
  b.Configure(10, 300, 0);
  b.Take(2990, 0);
  b.Configure(1, 5, 0);  // UpdateTable to 1 unit a second
  EXPECT_DOUBLE_EQ(b.Available(0), 5);
  b.Configure(1, 5, 0);  // the same again changes nothing
  EXPECT_DOUBLE_EQ(b.Available(0), 5);
}

class ThrottleTest : public ::testing::Test {
 protected:
  void Open(bool throttle, double burst_seconds = 300) {
    EngineOptions options;
    options.in_memory = true;
    options.ttl_sweep_interval = std::chrono::milliseconds(0);
    options.throttle = throttle;
    options.burst_seconds = burst_seconds;
    options.clock = clock_;
    engine_ = Engine::Open(options);
  }
  // A table keyed by pk (and its GSI gix keyed by g, when `gsi`).
  void CreateTable(const std::string& extra, bool gsi = false) {
    std::string g = gsi ? R"(,{"AttributeName":"g","AttributeType":"S"})" : "";
    CallEngine(*engine_, "CreateTable",
               R"({"TableName":"tbl","AttributeDefinitions":[{"AttributeName":"pk",
                   "AttributeType":"S"})" +
                   g + R"(],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],)" + extra + "}");
  }
  void Provisioned(int rcu, int wcu, int gsi_wcu = 0) {
    std::string extra = R"("ProvisionedThroughput":{"ReadCapacityUnits":)" + std::to_string(rcu) +
                        R"(,"WriteCapacityUnits":)" + std::to_string(wcu) + "}";
    if (gsi_wcu) {
      extra += R"(,"GlobalSecondaryIndexes":[{"IndexName":"gix","KeySchema":[{"AttributeName":"g",
               "KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"},
               "ProvisionedThroughput":{"ReadCapacityUnits":100,"WriteCapacityUnits":)" +
               std::to_string(gsi_wcu) + "}}]";
    }
    CreateTable(extra, gsi_wcu > 0);
  }
  // Puts items pk=<prefix><n> until one is throttled; returns how many were accepted.
  int PutUntilThrottled(const std::string& prefix, const std::string& more = "",
                        ApiError* error = nullptr) {
    for (int n = 0; n < 100000; ++n) {
      try {
        engine_->Execute("PutItem", R"({"TableName":"tbl","Item":{"pk":{"S":")" + prefix +
                                        std::to_string(n) + R"("})" + more + "}}");
      } catch (const ApiError& e) {
        if (error) *error = e;
        return n;
      }
    }
    return -1;
  }
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  std::unique_ptr<Engine> engine_;
};

TEST_F(ThrottleTest, AProvisionedTableTakesItsBurstThenItsRate) {
  Open(true);
  Provisioned(5, 5);
  ApiError error = ApiError::InternalServer();
  EXPECT_EQ(PutUntilThrottled("a", "", &error), 1500);  // 300 s x 5 WCU of burst
  EXPECT_EQ(error.type(), "ProvisionedThroughputExceededException");
  EXPECT_EQ(error.message(),
            "The level of configured provisioned throughput for the table was exceeded. Consider "
            "increasing your provisioning level with the UpdateTable API.");
  EXPECT_EQ(error.extra_json(),
            R"("ThrottlingReasons":[{"reason":"TableWriteProvisionedThroughputExceeded",)"
            R"("resource":"arn:aws:dynamodb:us-east-1:000000000000:table/tbl"}])");
  clock_->Advance(2);  // 10 units
  EXPECT_EQ(PutUntilThrottled("b"), 10);
  clock_->Advance(0.2);
  EXPECT_EQ(PutUntilThrottled("c"), 1);
  // Reads have their own bucket.
  CallEngine(*engine_, "GetItem", R"({"TableName":"tbl","Key":{"pk":{"S":"a1"}}})");
}

TEST_F(ThrottleTest, WithoutThrottlingNothingIsRefusedButUnitsAreCounted) {
  Open(false, 1);
  Provisioned(1, 1);
  EXPECT_EQ(PutUntilThrottled("a", "", nullptr), -1);
  auto usage = engine_->ConsumedCapacity();
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0].table, "tbl");
  EXPECT_DOUBLE_EQ(usage[0].write_units, 100000);
  EXPECT_EQ(usage[0].throttled_writes, 0u);
}

TEST_F(ThrottleTest, TheTagTurnsThrottlingOnForOneTable) {
  Open(false, 1);
  Provisioned(2, 2);
  CallEngine(*engine_, "TagResource",
             R"({"ResourceArn":"arn:aws:dynamodb:us-east-1:000000000000:table/tbl",
                 "Tags":[{"Key":"cruddur:throttle","Value":"on"}]})");
  EXPECT_EQ(PutUntilThrottled("a"), 2);
  auto usage = engine_->ConsumedCapacity();
  EXPECT_EQ(usage[0].throttled_writes, 1u);
  EXPECT_DOUBLE_EQ(usage[0].write_units, 2);
}

TEST_F(ThrottleTest, AnEmptyGsiThrottlesTheTablesWrites) {
  Open(true, 1);
  Provisioned(100, 100, 3);
  ApiError error = ApiError::InternalServer();
  EXPECT_EQ(PutUntilThrottled("a", R"(,"g":{"S":"x"})", &error), 3);
  EXPECT_EQ(error.type(), "ProvisionedThroughputExceededException");
  EXPECT_NE(error.message().find("one or more global secondary indexes"), std::string::npos);
  EXPECT_NE(error.extra_json().find("IndexWriteProvisionedThroughputExceeded"), std::string::npos);
  EXPECT_NE(error.extra_json().find("table/tbl/index/gix"), std::string::npos);
}

TEST_F(ThrottleTest, OnDemandTablesStopAtTheirMaximumWithThrottlingException) {
  Open(true);
  CreateTable(R"("BillingMode":"PAY_PER_REQUEST","OnDemandThroughput":{"MaxWriteRequestUnits":4})");
  ApiError error = ApiError::InternalServer();
  EXPECT_EQ(PutUntilThrottled("a", "", &error), 4);  // no burst beyond one second
  EXPECT_EQ(error.type(), "ThrottlingException");
  EXPECT_EQ(error.message(),
            "Throughput exceeds the maximum OnDemandThroughput configured on table or index");
  EXPECT_NE(error.extra_json().find("TableWriteMaxOnDemandThroughputExceeded"), std::string::npos);
}

TEST_F(ThrottleTest, OnePartitionKeyTakesAtMost1000WriteUnitsASecond) {
  Open(true);
  CreateTable(R"("BillingMode":"PAY_PER_REQUEST")");
  std::string put = R"({"TableName":"tbl","Item":{"pk":{"S":"hot"}}})";
  int accepted = 0;
  try {
    for (; accepted < 5000; ++accepted) engine_->Execute("PutItem", put);
  } catch (const ApiError& e) {
    EXPECT_EQ(e.type(), "ThrottlingException");
    EXPECT_NE(e.extra_json().find("TableWriteKeyRangeThroughputExceeded"), std::string::npos);
  }
  EXPECT_EQ(accepted, 1000);
  // Another partition key is not held back.
  CallEngine(*engine_, "PutItem", R"({"TableName":"tbl","Item":{"pk":{"S":"cold"}}})");
}

TEST_F(ThrottleTest, BatchWriteItemLeavesTheThrottledWritesUnprocessed) {
  Open(true, 1);
  Provisioned(5, 3);
  std::string items;
  for (int i = 0; i < 5; ++i) {
    items += std::string(i ? "," : "") + R"({"PutRequest":{"Item":{"pk":{"S":"k)" +
             std::to_string(i) + R"("}}}})";
  }
  auto r =
      CallEngine(*engine_, "BatchWriteItem",
                 R"({"RequestItems":{"tbl":[)" + items + R"(]},"ReturnConsumedCapacity":"TOTAL"})");
  ASSERT_TRUE(r["UnprocessedItems"].HasMember("tbl"));
  ASSERT_EQ(r["UnprocessedItems"]["tbl"].Size(), 2u);
  EXPECT_STREQ(r["UnprocessedItems"]["tbl"][0]["PutRequest"]["Item"]["pk"]["S"].GetString(), "k3");
  EXPECT_DOUBLE_EQ(r["ConsumedCapacity"][0]["CapacityUnits"].GetDouble(), 3);
  // Nothing left at all: the whole batch fails.
  ApiError e =
      CallEngineError(*engine_, "BatchWriteItem", R"({"RequestItems":{"tbl":[)" + items + "]}}");
  EXPECT_EQ(e.type(), "ProvisionedThroughputExceededException");
}

TEST_F(ThrottleTest, BatchGetItemLeavesTheThrottledKeysUnprocessed) {
  Open(true, 1);
  Provisioned(1, 100);
  for (int i = 0; i < 3; ++i) {
    CallEngine(*engine_, "PutItem",
               R"({"TableName":"tbl","Item":{"pk":{"S":"k)" + std::to_string(i) + R"("}}})");
  }
  // Eventually consistent reads cost half a unit: two fit in one unit.
  auto r = CallEngine(*engine_, "BatchGetItem",
                      R"({"RequestItems":{"tbl":{"Keys":[{"pk":{"S":"k0"}},{"pk":{"S":"k1"}},
                          {"pk":{"S":"k2"}}],"ProjectionExpression":"pk"}}})");
  EXPECT_EQ(r["Responses"]["tbl"].Size(), 2u);
  ASSERT_EQ(r["UnprocessedKeys"]["tbl"]["Keys"].Size(), 1u);
  EXPECT_STREQ(r["UnprocessedKeys"]["tbl"]["Keys"][0]["pk"]["S"].GetString(), "k2");
  EXPECT_STREQ(r["UnprocessedKeys"]["tbl"]["ProjectionExpression"].GetString(), "pk");
}

TEST_F(ThrottleTest, AThrottledTransactionIsCancelledWithItsReason) {
  Open(true, 1);
  Provisioned(5, 1);
  PutUntilThrottled("a");
  ApiError e =
      CallEngineError(*engine_, "TransactWriteItems",
                      R"({"TransactItems":[{"Put":{"TableName":"tbl","Item":{"pk":{"S":"x"}}}}]})");
  EXPECT_EQ(e.type(), "TransactionCanceledException");
  EXPECT_NE(e.extra_json().find(R"("Code":"ProvisionedThroughputExceeded")"), std::string::npos)
      << e.extra_json();
}

TEST_F(ThrottleTest, TableStatsReportUnitsPerTableAndIndex) {
  Open(false);
  Provisioned(5, 5, 5);
  CallEngine(*engine_, "PutItem", R"({"TableName":"tbl","Item":{"pk":{"S":"a"},"g":{"S":"x"}}})");
  CallEngine(*engine_, "GetItem",
             R"({"TableName":"tbl","Key":{"pk":{"S":"a"}},"ConsistentRead":true})");
  CallEngine(*engine_, "Query",
             R"({"TableName":"tbl","IndexName":"gix","KeyConditionExpression":"g = :g",
                                    "ExpressionAttributeValues":{":g":{"S":"x"}}})");
  auto r = CallEngine(*engine_, "Cruddur.DescribeTableStats", R"({"TableName":"tbl"})");
  EXPECT_DOUBLE_EQ(r["Table"]["WriteCapacityUnits"].GetDouble(), 1);
  EXPECT_DOUBLE_EQ(r["Table"]["ReadCapacityUnits"].GetDouble(), 1);
  EXPECT_DOUBLE_EQ(r["GlobalSecondaryIndexes"]["gix"]["WriteCapacityUnits"].GetDouble(), 1);
  EXPECT_DOUBLE_EQ(r["GlobalSecondaryIndexes"]["gix"]["ReadCapacityUnits"].GetDouble(), 0.5);
  EXPECT_FALSE(r["Throttling"].GetBool());
  EXPECT_EQ(
      CallEngineError(*engine_, "Cruddur.DescribeTableStats", R"({"TableName":"nope"})").type(),
      "ResourceNotFoundException");
}

}  // namespace
}  // namespace cruddur::ddb
