// Transaction conflicts as DynamoDB reports them: a TransactWriteItems is paused while it holds
// its items (EngineOptions::transaction_hook), and other requests meet it in flight.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>

#include "ddb/engine.h"
#include "ddb/engine_test_util.h"
#include "ddb/error.h"

namespace cruddur::ddb {
namespace {

constexpr const char* kPutA =
    R"j({"Put":{"TableName":"txt","Item":{"pk":{"S":"a"},"v":{"S":"first"}}}})j";
constexpr const char* kPutB =
    R"j({"Put":{"TableName":"txt","Item":{"pk":{"S":"b"},"v":{"S":"first"}}}})j";

class TransactConflictTest : public EachStorageTest {
 protected:
  void SetUp() override {
    EachStorageTest::SetUp();
    // The first transaction to reach its hook while `pause_` is set waits there until released.
    options_.transaction_hook = [this] {
      if (!pause_.exchange(false)) return;
      held_.set_value();
      release_.get_future().wait();
    };
    Open();
    Call("CreateTable", R"j({"TableName":"txt","BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}]})j");
    Call("PutItem", R"j({"TableName":"txt","Item":{"pk":{"S":"a"},"v":{"S":"before"}}})j");
  }
  void TearDown() override {
    if (in_flight_.valid()) in_flight_.get();
    EachStorageTest::TearDown();
  }

  // Starts a TransactWriteItems putting items a and b, and returns once it holds them.
  void StartTransactionOnAB() {
    pause_ = true;
    in_flight_ = std::async(std::launch::async, [this] {
      Call("TransactWriteItems",
           std::string(R"j({"TransactItems":[)j") + kPutA + "," + kPutB + "]}");
    });
    held_.get_future().wait();
  }
  void FinishTransaction() {
    release_.set_value();
    in_flight_.get();
  }
  std::string ValueOf(const char* pk) {
    auto d = Call("GetItem", std::string(R"j({"TableName":"txt","Key":{"pk":{"S":")j") + pk +
                                 R"j("}},"ConsistentRead":true})j");
    return d.HasMember("Item") ? d["Item"]["v"]["S"].GetString() : "";
  }

  std::atomic<bool> pause_{false};
  std::promise<void> held_;
  std::promise<void> release_;
  std::future<void> in_flight_;
};

TEST_P(TransactConflictTest, TransactionMeetingAnotherIsCancelledWithTransactionConflict) {
  StartTransactionOnAB();
  auto e = CallError("TransactWriteItems", R"j({"TransactItems":[
    {"Put":{"TableName":"txt","Item":{"pk":{"S":"c"},"v":{"S":"second"}}}},
    {"Update":{"TableName":"txt","Key":{"pk":{"S":"b"}},"UpdateExpression":"SET v = :v",
      "ExpressionAttributeValues":{":v":{"S":"second"}}}}]})j");
  FinishTransaction();
  EXPECT_EQ(e.type(), "TransactionCanceledException");
  EXPECT_EQ(e.message(),
            "Transaction cancelled, please refer cancellation reasons for specific reasons "
            "[None, TransactionConflict]");
  rapidjson::Document reasons;
  reasons.Parse(("{" + e.extra_json() + "}").c_str());
  ASSERT_TRUE(reasons.HasMember("CancellationReasons"));
  const auto& list = reasons["CancellationReasons"];
  ASSERT_EQ(list.Size(), 2u);
  EXPECT_STREQ(list[0]["Code"].GetString(), "None");
  EXPECT_FALSE(list[0].HasMember("Message"));
  EXPECT_STREQ(list[1]["Code"].GetString(), "TransactionConflict");
  EXPECT_STREQ(list[1]["Message"].GetString(), "Transaction is ongoing for the item");
  // The cancelled transaction wrote nothing; the first one all it wrote.
  EXPECT_EQ(ValueOf("c"), "");
  EXPECT_EQ(ValueOf("a"), "first");
  EXPECT_EQ(ValueOf("b"), "first");
}

TEST_P(TransactConflictTest, SingleWritesToAnItemInFlightGetTransactionConflictException) {
  StartTransactionOnAB();
  const std::string writes[][2] = {
      {"PutItem", R"j({"TableName":"txt","Item":{"pk":{"S":"a"},"v":{"S":"plain"}}})j"},
      {"UpdateItem", R"j({"TableName":"txt","Key":{"pk":{"S":"b"}},"UpdateExpression":"SET v = :v",
        "ExpressionAttributeValues":{":v":{"S":"plain"}}})j"},
      {"DeleteItem", R"j({"TableName":"txt","Key":{"pk":{"S":"a"}}})j"}};
  for (const auto& [op, body] : writes) {
    auto e = CallError(op, body);
    EXPECT_EQ(e.type(), "TransactionConflictException") << op;
    EXPECT_EQ(e.http_status(), 400);
    EXPECT_EQ(e.message(), "Transaction is ongoing for the item") << op;
  }
  // GetItem is not refused: it reads the item as last committed.
  EXPECT_EQ(ValueOf("a"), "before");
  // Nor is a write to another item.
  Call("PutItem", R"j({"TableName":"txt","Item":{"pk":{"S":"z"},"v":{"S":"plain"}}})j");
  FinishTransaction();
  EXPECT_EQ(ValueOf("a"), "first");
  EXPECT_EQ(ValueOf("b"), "first");
  EXPECT_EQ(ValueOf("z"), "plain");
  // Once it has committed, the items take writes again.
  Call("PutItem", R"j({"TableName":"txt","Item":{"pk":{"S":"a"},"v":{"S":"after"}}})j");
  EXPECT_EQ(ValueOf("a"), "after");
}

TEST_P(TransactConflictTest, TransactGetOfAnItemInFlightIsCancelled) {
  StartTransactionOnAB();
  auto e = CallError("TransactGetItems", R"j({"TransactItems":[
    {"Get":{"TableName":"txt","Key":{"pk":{"S":"a"}}}},
    {"Get":{"TableName":"txt","Key":{"pk":{"S":"z"}}}}]})j");
  FinishTransaction();
  EXPECT_EQ(e.type(), "TransactionCanceledException");
  EXPECT_EQ(e.message(),
            "Transaction cancelled, please refer cancellation reasons for specific reasons "
            "[TransactionConflict, None]");
  auto d = Call("TransactGetItems", R"j({"TransactItems":[
    {"Get":{"TableName":"txt","Key":{"pk":{"S":"a"}}}}]})j");
  EXPECT_STREQ(d["Responses"][0]["Item"]["v"]["S"].GetString(), "first");
}

TEST_P(TransactConflictTest, ACancelledOrFailedTransactionReleasesItsItems) {
  // A transaction cancelled by its condition leaves no item pending.
  auto e = CallError("TransactWriteItems", R"j({"TransactItems":[
    {"Put":{"TableName":"txt","Item":{"pk":{"S":"a"}},"ConditionExpression":"attribute_not_exists(pk)"}}]})j");
  EXPECT_EQ(e.type(), "TransactionCanceledException");
  Call("PutItem", R"j({"TableName":"txt","Item":{"pk":{"S":"a"},"v":{"S":"free"}}})j");
  Call("TransactWriteItems", std::string(R"j({"TransactItems":[)j") + kPutA + "]}");
  EXPECT_EQ(ValueOf("a"), "first");
}

TEST_P(TransactConflictTest, RacingTransactionsNeverHalfApply) {
  // Pairs of threads race transactions that each move one unit between the shared item and their
  // own; every race ends with both applied in some order or one of them cancelled, whole.
  Call("PutItem", R"j({"TableName":"txt","Item":{"pk":{"S":"shared"},"n":{"N":"0"}}})j");
  constexpr int kThreads = 4, kRounds = 500;
  std::atomic<int> applied{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string own = "own" + std::to_string(t);
      std::string body = R"j({"TransactItems":[
        {"Update":{"TableName":"txt","Key":{"pk":{"S":"shared"}},"UpdateExpression":"ADD n :one",
          "ExpressionAttributeValues":{":one":{"N":"1"}}}},
        {"Update":{"TableName":"txt","Key":{"pk":{"S":")j" +
                         own + R"j("}},"UpdateExpression":"ADD n :one",
          "ExpressionAttributeValues":{":one":{"N":"1"}}}}]})j";
      for (int i = 0; i < kRounds; ++i) {
        try {
          engine_->Execute("TransactWriteItems", body);
          ++applied;
        } catch (const ApiError& e) {
          ASSERT_EQ(e.type(), "TransactionCanceledException");
          ASSERT_NE(e.extra_json().find("TransactionConflict"), std::string::npos);
          ++conflicts;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(applied + conflicts, kThreads * kRounds);
  RecordProperty("conflicts", conflicts.load());
  auto shared = Call("GetItem", R"j({"TableName":"txt","Key":{"pk":{"S":"shared"}}})j");
  EXPECT_EQ(std::stoi(shared["Item"]["n"]["N"].GetString()), applied.load());
  int own_total = 0;
  for (int t = 0; t < kThreads; ++t) {
    auto d = Call("GetItem", R"j({"TableName":"txt","Key":{"pk":{"S":"own)j" + std::to_string(t) +
                                 R"j("}}})j");
    if (d.HasMember("Item")) own_total += std::stoi(d["Item"]["n"]["N"].GetString());
  }
  EXPECT_EQ(own_total, applied.load());
}

INSTANTIATE_TEST_SUITE_P(Storage, TransactConflictTest, ::testing::Values(true, false),
                         StorageName);

}  // namespace
}  // namespace cruddur::ddb
