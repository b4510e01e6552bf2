// Transaction conflicts as DynamoDB reports them: a TransactWriteItems is paused while it holds
// its items (EngineOptions::transaction_hook), a TransactGetItems once it has registered its
// (transact_get_hook), and other requests meet them in flight.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <atomic>
#include <functional>
#include <future>
#include <optional>
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
    options_.transaction_hook = [this] { Pause(); };
    options_.transact_get_hook = [this] { Pause(); };
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

  // The first transaction to reach its hook while `pause_` is set waits there until released.
  void Pause() {
    if (!pause_.exchange(false)) return;
    held_.set_value();
    release_.get_future().wait();
  }
  // Runs `op` on another thread and returns once it is paused at its hook.
  void StartPaused(std::function<void()> op) {
    held_ = {};
    release_ = {};
    pause_ = true;
    in_flight_ = std::async(std::launch::async, std::move(op));
    held_.get_future().wait();
  }
  // Starts a TransactWriteItems putting items a and b, and returns once it holds them.
  void StartTransactionOnAB() {
    StartPaused([this] {
      Call("TransactWriteItems",
           std::string(R"j({"TransactItems":[)j") + kPutA + "," + kPutB + "]}");
    });
  }
  void FinishTransaction() {
    release_.set_value();
    in_flight_.get();
  }
  // Starts a TransactGetItems of items a and z (`request` its request), returns once it has
  // registered them; FinishTransaction then gives its answer or error.
  void StartTransactGetOfAZ(std::string op = "TransactGetItems",
                            std::string request = R"j({"TransactItems":[
      {"Get":{"TableName":"txt","Key":{"pk":{"S":"a"}}}},
      {"Get":{"TableName":"txt","Key":{"pk":{"S":"z"}}}}]})j") {
    get_answer_.reset();
    get_error_.reset();
    StartPaused([this, op, request] {
      try {
        get_answer_ = engine_->Execute(op, request);
      } catch (const ApiError& e) {
        get_error_ = e;
      }
    });
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
  std::optional<std::string> get_answer_;
  std::optional<ApiError> get_error_;
};

// AWS, "Transaction conflict handling in DynamoDB": "An item within a TransactGetItems request is
// part of an ongoing TransactWriteItems, BatchWriteItem, PutItem, UpdateItem, or DeleteItem
// request" is a conflict, and TransactionCanceledException's reference: "There is an ongoing
// TransactGetItems operation that conflicts with a concurrent PutItem, UpdateItem, DeleteItem or
// TransactWriteItems request. In this case the TransactGetItems operation fails". The write goes
// on; the read is cancelled.
TEST_P(TransactConflictTest, WritesMeetingATransactGetInFlightSucceedAndCancelIt) {
  const std::string writes[][2] = {
      {"PutItem", R"j({"TableName":"txt","Item":{"pk":{"S":"a"},"v":{"S":"put"}}})j"},
      {"UpdateItem", R"j({"TableName":"txt","Key":{"pk":{"S":"a"}},"UpdateExpression":"SET v = :v",
        "ExpressionAttributeValues":{":v":{"S":"update"}}})j"},
      {"DeleteItem", R"j({"TableName":"txt","Key":{"pk":{"S":"a"}}})j"},
      {"TransactWriteItems", std::string(R"j({"TransactItems":[)j") + kPutA + "]}"},
      {"BatchWriteItem", R"j({"RequestItems":{"txt":[
        {"PutRequest":{"Item":{"pk":{"S":"a"},"v":{"S":"batch"}}}}]}})j"}};
  const char* after[] = {"put", "update", "", "first", "batch"};
  for (size_t i = 0; i < std::size(writes); ++i) {
    const auto& [op, body] = writes[i];
    StartTransactGetOfAZ();
    engine_->Execute(op, body);  // not refused
    FinishTransaction();
    ASSERT_TRUE(get_error_) << op;
    EXPECT_EQ(get_error_->type(), "TransactionCanceledException") << op;
    EXPECT_EQ(get_error_->message(),
              "Transaction cancelled, please refer cancellation reasons for specific reasons "
              "[TransactionConflict, None]")
        << op;
    EXPECT_EQ(ValueOf("a"), after[i]) << op;
  }
}

TEST_P(TransactConflictTest, TransactGetInFlightIsNotCancelledByReadsOrOtherItems) {
  // "If an ongoing TransactWriteItems or TransactGetItems operation conflicts with a concurrent
  // GetItem request, both operations can succeed."
  StartTransactGetOfAZ();
  EXPECT_EQ(ValueOf("a"), "before");
  Call("PutItem", R"j({"TableName":"txt","Item":{"pk":{"S":"b"},"v":{"S":"other"}}})j");
  Call("TransactWriteItems", std::string(R"j({"TransactItems":[)j") + kPutB + "]}");
  FinishTransaction();
  ASSERT_FALSE(get_error_) << get_error_->message();
  rapidjson::Document d;
  d.Parse(get_answer_->c_str());
  EXPECT_STREQ(d["Responses"][0]["Item"]["v"]["S"].GetString(), "before");
  EXPECT_FALSE(d["Responses"][1].HasMember("Item"));
  // Its items are released: a later write and read meet nothing.
  Call("PutItem", R"j({"TableName":"txt","Item":{"pk":{"S":"a"},"v":{"S":"later"}}})j");
  StartTransactGetOfAZ();
  FinishTransaction();
  EXPECT_FALSE(get_error_);
}

// BatchWriteItem is not among the requests that conflict with an ongoing TransactWriteItems
// ("Transaction conflict handling in DynamoDB" lists PutItem, UpdateItem, DeleteItem and
// TransactWriteItems), TransactionConflictException is not among BatchWriteItem's errors, and
// its UnprocessedItems are for throughput or internal failures: its put waits for the
// transaction, each of its writes being serializable on its own ("Isolation levels").
TEST_P(TransactConflictTest, BatchWriteMeetingATransactionWaitsAndLandsAfterIt) {
  StartTransactionOnAB();
  auto batch = std::async(std::launch::async, [this] {
    return engine_->Execute("BatchWriteItem", R"j({"RequestItems":{"txt":[
      {"PutRequest":{"Item":{"pk":{"S":"a"},"v":{"S":"batch"}}}},
      {"PutRequest":{"Item":{"pk":{"S":"y"},"v":{"S":"batch"}}}}]}})j");
  });
  EXPECT_EQ(batch.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  FinishTransaction();
  rapidjson::Document d;
  d.Parse(batch.get().c_str());
  EXPECT_EQ(d["UnprocessedItems"].MemberCount(), 0u);
  EXPECT_EQ(ValueOf("a"), "batch");  // after the transaction's "first"
  EXPECT_EQ(ValueOf("b"), "first");
  EXPECT_EQ(ValueOf("y"), "batch");
}

// PartiQL's ExecuteTransaction runs as one TransactWriteItems or TransactGetItems, and
// ExecuteStatement's writes as single-item writes: they meet transactions in flight alike.
TEST_P(TransactConflictTest, PartiQLTransactionsMeetTransactionsInFlight) {
  StartTransactionOnAB();
  auto write = CallError("ExecuteTransaction", R"j({"TransactStatements":[
    {"Statement":"UPDATE txt SET v = 'partiql' WHERE pk = 'c'"},
    {"Statement":"UPDATE txt SET v = 'partiql' WHERE pk = 'b'"}]})j");
  auto read = CallError("ExecuteTransaction", R"j({"TransactStatements":[
    {"Statement":"SELECT * FROM txt WHERE pk = 'a'"}]})j");
  auto single = CallError("ExecuteStatement",
                          R"j({"Statement":"UPDATE txt SET v = 'partiql' WHERE pk = 'a'"})j");
  FinishTransaction();
  EXPECT_EQ(write.type(), "TransactionCanceledException");
  EXPECT_EQ(write.message(),
            "Transaction cancelled, please refer cancellation reasons for specific reasons "
            "[None, TransactionConflict]");
  EXPECT_EQ(read.type(), "TransactionCanceledException");
  EXPECT_EQ(read.message(),
            "Transaction cancelled, please refer cancellation reasons for specific reasons "
            "[TransactionConflict]");
  EXPECT_EQ(single.type(), "TransactionConflictException");
  EXPECT_EQ(ValueOf("a"), "first");
  EXPECT_EQ(ValueOf("b"), "first");
  // A read ExecuteTransaction in flight is cancelled by a write to its item.
  StartTransactGetOfAZ("ExecuteTransaction", R"j({"TransactStatements":[
    {"Statement":"SELECT * FROM txt WHERE pk = 'a'"},
    {"Statement":"SELECT * FROM txt WHERE pk = 'z'"}]})j");
  Call("PutItem", R"j({"TableName":"txt","Item":{"pk":{"S":"a"},"v":{"S":"put"}}})j");
  FinishTransaction();
  ASSERT_TRUE(get_error_);
  EXPECT_EQ(get_error_->type(), "TransactionCanceledException");
  EXPECT_EQ(get_error_->message(),
            "Transaction cancelled, please refer cancellation reasons for specific reasons "
            "[TransactionConflict, None]");
}

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
