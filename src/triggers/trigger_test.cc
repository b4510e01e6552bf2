// The JSON of triggers (event, partial batch response, on-failure record, definitions) and the
// runner's delivery rules against the embedded engine, with a handler that records its calls.
#include "triggers/trigger.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/dynamodb_client.h"
#include "ddb/engine.h"
#include "triggers/runner.h"

namespace cruddur::triggers {
namespace {

constexpr const char* kArn =
    "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-01-01T00:00:00.000";

rapidjson::Document Parse(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str());
  return d;
}

EventRecord Record(const std::string& seq, const std::string& value = "x") {
  rapidjson::Document d = Parse(R"({"eventID": "e)" + seq +
                                R"(", "eventName": "INSERT", "eventVersion": "1.1",
      "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
      "dynamodb": {"ApproximateCreationDateTime": 1700000000, "Keys": {"pk": {"S": ")" +
                                value + R"("}}, "SequenceNumber": ")" + seq +
                                R"(", "SizeBytes": 9, "StreamViewType": "KEYS_ONLY"}})");
  return MakeEventRecord(d, kArn);
}

TEST(EventTest, RecordsGetTheStreamArnAndKeepEverythingElse) {
  EventRecord r = Record("100000000000000000007");
  EXPECT_EQ(r.sequence_number, "100000000000000000007");
  EXPECT_EQ(r.created_s, 1700000000);
  rapidjson::Document event = Parse(BuildEvent({&r, &r}));
  ASSERT_TRUE(event.IsObject());
  ASSERT_EQ(event["Records"].Size(), 2u);
  const auto& first = event["Records"][0];
  EXPECT_STREQ(first["eventSourceARN"].GetString(), kArn);
  EXPECT_STREQ(first["eventName"].GetString(), "INSERT");
  EXPECT_STREQ(first["eventVersion"].GetString(), "1.1");
  EXPECT_STREQ(first["dynamodb"]["Keys"]["pk"]["S"].GetString(), "x");
  EXPECT_EQ(first["dynamodb"]["SizeBytes"].GetInt(), 9);
}

TEST(EventTest, BatchResponsesFollowLambdasRules) {
  EventRecord a = Record("101"), b = Record("102"), c = Record("103");
  std::vector<const EventRecord*> batch{&a, &b, &c};
  for (const char* success : {"", "null", "{}", R"({"batchItemFailures": null})",
                              R"({"batchItemFailures": []})", "\"done\"", "not json"}) {
    BatchResponse r = ParseBatchResponse(success, batch);
    EXPECT_FALSE(r.complete_failure) << success;
    EXPECT_FALSE(r.first_failed) << success;
  }
  BatchResponse partial = ParseBatchResponse(
      R"({"batchItemFailures": [{"itemIdentifier": "103"}, {"itemIdentifier": "102"}]})", batch);
  EXPECT_FALSE(partial.complete_failure);
  ASSERT_TRUE(partial.first_failed);
  EXPECT_EQ(*partial.first_failed, 1u);  // the lowest sequence number reported
  for (const char* failure : {R"({"batchItemFailures": [{"itemIdentifier": ""}]})",
                              R"({"batchItemFailures": [{"itemIdentifier": null}]})",
                              R"({"batchItemFailures": [{"ItemIdentifier": "102"}]})",
                              R"({"batchItemFailures": [{"itemIdentifier": "999"}]})",
                              R"({"batchItemFailures": "102"})"}) {
    EXPECT_TRUE(ParseBatchResponse(failure, batch).complete_failure) << failure;
  }
}

TEST(EventTest, OnFailureRecordHasLambdasShape) {
  EventRecord a = Record("101"), b = Record("102");
  FailureContext c{"RetryAttemptsExhausted",
                   3,
                   200,
                   "Unhandled",
                   "exited with status 1",
                   "arn:aws:lambda:us-east-1:000000000000:function:f",
                   "shardId-1",
                   kArn};
  rapidjson::Document d = Parse(OnFailureRecord(c, {&a, &b}, 1700000001234));
  ASSERT_TRUE(d.IsObject());
  EXPECT_STREQ(d["requestContext"]["condition"].GetString(), "RetryAttemptsExhausted");
  EXPECT_EQ(d["requestContext"]["approximateInvokeCount"].GetInt(), 3);
  EXPECT_EQ(std::string(d["requestContext"]["requestId"].GetString()).size(), 36u);
  EXPECT_EQ(d["responseContext"]["statusCode"].GetInt(), 200);
  EXPECT_STREQ(d["responseContext"]["functionError"].GetString(), "Unhandled");
  EXPECT_STREQ(d["version"].GetString(), "1.0");
  EXPECT_STREQ(d["timestamp"].GetString(), "2023-11-14T22:13:21.234Z");
  const auto& info = d["DDBStreamBatchInfo"];
  EXPECT_STREQ(info["shardId"].GetString(), "shardId-1");
  EXPECT_STREQ(info["startSequenceNumber"].GetString(), "101");
  EXPECT_STREQ(info["endSequenceNumber"].GetString(), "102");
  EXPECT_STREQ(info["approximateArrivalOfFirstRecord"].GetString(), "2023-11-14T22:13:20Z");
  EXPECT_EQ(info["batchSize"].GetInt(), 2);
  EXPECT_STREQ(info["streamArn"].GetString(), kArn);
  EXPECT_EQ(d["payload"]["Records"].Size(), 2u);
}

TEST(DefinitionTest, JsonRoundTripAndLambdasRanges) {
  TriggerDefinition t;
  t.uuid = "u";
  t.table = "t";
  t.command = "cat";
  t.batch_size = 7;
  t.maximum_retry_attempts = 2;
  t.bisect_batch_on_function_error = true;
  t.report_batch_item_failures = true;
  t.on_failure = "/tmp/f";
  t.filter.AddPattern(R"({"eventName": ["INSERT"]})");
  EXPECT_NO_THROW(t.Validate());
  rapidjson::Document d = Parse(DefinitionToJson(t));
  TriggerDefinition back = DefinitionFromJson(d);
  EXPECT_EQ(DefinitionToJson(back), DefinitionToJson(t));
  EXPECT_EQ(back.batch_size, 7);
  EXPECT_TRUE(back.report_batch_item_failures);
  EXPECT_FALSE(back.filter.empty());

  auto invalid = [&](const std::function<void(TriggerDefinition&)>& change) {
    TriggerDefinition bad = t;
    change(bad);
    return [bad] { bad.Validate(); };
  };
  EXPECT_THROW(invalid([](auto& x) { x.batch_size = 10001; })(), std::invalid_argument);
  EXPECT_THROW(invalid([](auto& x) { x.maximum_batching_window_s = 301; })(),
               std::invalid_argument);
  EXPECT_THROW(invalid([](auto& x) { x.maximum_retry_attempts = -2; })(), std::invalid_argument);
  EXPECT_THROW(invalid([](auto& x) { x.starting_position = "AT_TIMESTAMP"; })(),
               std::invalid_argument);
  EXPECT_THROW(invalid([](auto& x) { x.url = "http://x"; })(), std::invalid_argument);
}

// --- the runner ---

// Records the calls; fails a batch holding a record whose key is in `poison`; `answer` is the
// response to give.
class FakeHandler : public Handler {
 public:
  Invocation Invoke(const std::string& event) override {
    rapidjson::Document d = Parse(event);
    std::vector<std::string> keys;
    bool poisoned = false;
    for (const auto& r : d["Records"].GetArray()) {
      keys.emplace_back(r["dynamodb"]["Keys"]["pk"]["S"].GetString());
      if (poison.count(keys.back())) poisoned = true;
    }
    calls->push_back(keys);
    Invocation result;
    result.status_code = 200;
    result.ok = !poisoned;
    result.error = poisoned ? "poisoned" : "";
    result.response = answer ? answer(d) : "";
    return result;
  }
  std::shared_ptr<std::vector<std::vector<std::string>>> calls =
      std::make_shared<std::vector<std::vector<std::string>>>();
  std::set<std::string> poison;
  std::function<std::string(const rapidjson::Document&)> answer;
};

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ddb::EngineOptions options;
    options.in_memory = true;
    engine_ = ddb::Engine::Open(options);
    client_ = std::make_unique<client::InProcessClient>(*engine_);
    client_->Call("CreateTable", R"({"TableName": "events",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
        "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"}})");
  }
  void Put(const std::string& pk, const std::string& kind = "a") {
    client_->Call("PutItem", R"({"TableName": "events", "Item": {"pk": {"S": ")" + pk +
                                 R"("}, "kind": {"S": ")" + kind + R"("}}})");
  }
  // Polls until nothing is left to do (retries back off, so this waits them out).
  void Drain(TriggerRunner& runner) {
    for (int i = 0; i < 200; ++i) {
      runner.PollOnce();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  TriggerDefinition Definition() {
    TriggerDefinition t;
    t.uuid = "u";
    t.table = "events";
    t.command = "unused";
    return t;
  }
  RunnerOptions Quiet() {
    RunnerOptions o;
    o.log = [](const std::string&) {};
    return o;
  }

  std::unique_ptr<ddb::Engine> engine_;
  std::unique_ptr<client::InProcessClient> client_;
  api::MemoryCheckpointStore checkpoints_;
};

TEST_F(RunnerTest, BatchesInOrderThenCheckpointed) {
  for (const char* pk : {"a", "b", "c", "d", "e"}) Put(pk);
  auto handler = std::make_unique<FakeHandler>();
  auto calls = handler->calls;
  TriggerDefinition t = Definition();
  t.batch_size = 2;
  TriggerRunner runner(*client_, t, checkpoints_, Quiet(), std::move(handler));
  EXPECT_EQ(runner.PollOnce(), 5);
  EXPECT_EQ(*calls, (std::vector<std::vector<std::string>>{{"a", "b"}, {"c", "d"}, {"e"}}));
  EXPECT_EQ(runner.PollOnce(), 0);
  EXPECT_EQ(calls->size(), 3u);
  EXPECT_EQ(runner.stats().delivered, 5u);
}

TEST_F(RunnerTest, BisectionIsolatesThePoisonRecord) {
  for (const char* pk : {"a", "b", "c", "d"}) Put(pk);
  auto handler = std::make_unique<FakeHandler>();
  handler->poison = {"c"};
  auto calls = handler->calls;
  TriggerDefinition t = Definition();
  t.bisect_batch_on_function_error = true;
  t.maximum_retry_attempts = 0;
  TriggerRunner runner(*client_, t, checkpoints_, Quiet(), std::move(handler));
  Drain(runner);
  EXPECT_EQ(*calls, (std::vector<std::vector<std::string>>{
                        {"a", "b", "c", "d"}, {"a", "b"}, {"c", "d"}, {"c"}, {"d"}}));
  EXPECT_EQ(runner.stats().discarded, 1u);
  EXPECT_EQ(runner.stats().delivered, 3u);
}

TEST_F(RunnerTest, RetriesStopAtMaximumRetryAttempts) {
  Put("a");
  Put("b");
  auto handler = std::make_unique<FakeHandler>();
  handler->poison = {"a"};
  auto calls = handler->calls;
  TriggerDefinition t = Definition();
  t.maximum_retry_attempts = 2;
  TriggerRunner runner(*client_, t, checkpoints_, Quiet(), std::move(handler));
  for (int i = 0; i < 40 && runner.stats().discarded == 0; ++i) {
    runner.PollOnce();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // The call and two retries, of the whole batch (no bisection): both records given up on.
  EXPECT_EQ(calls->size(), 3u);
  EXPECT_EQ(runner.stats().discarded, 2u);
  Put("c");
  runner.PollOnce();
  EXPECT_EQ(calls->back(), std::vector<std::string>{"c"});
}

TEST_F(RunnerTest, PartialBatchResponseRetriesFromTheReportedRecord) {
  for (const char* pk : {"a", "b", "c"}) Put(pk);
  auto handler = std::make_unique<FakeHandler>();
  auto calls = handler->calls;
  int answered = 0;
  handler->answer = [&answered](const rapidjson::Document& event) -> std::string {
    if (answered++ > 0) return "";
    std::string seq = event["Records"][1]["dynamodb"]["SequenceNumber"].GetString();
    return R"({"batchItemFailures": [{"itemIdentifier": ")" + seq + R"("}]})";
  };
  TriggerDefinition t = Definition();
  t.report_batch_item_failures = true;
  TriggerRunner runner(*client_, t, checkpoints_, Quiet(), std::move(handler));
  Drain(runner);
  EXPECT_EQ(*calls, (std::vector<std::vector<std::string>>{{"a", "b", "c"}, {"b", "c"}}));
  EXPECT_EQ(runner.stats().delivered, 3u);
}

TEST_F(RunnerTest, FilteredRecordsAreSkippedAndCheckpointed) {
  Put("a", "keep");
  Put("b", "drop");
  Put("c", "keep");
  auto handler = std::make_unique<FakeHandler>();
  auto calls = handler->calls;
  TriggerDefinition t = Definition();
  t.filter.AddPattern(R"({"dynamodb": {"NewImage": {"kind": {"S": ["keep"]}}}})");
  TriggerRunner runner(*client_, t, checkpoints_, Quiet(), std::move(handler));
  EXPECT_EQ(runner.PollOnce(), 3);
  EXPECT_EQ(*calls, (std::vector<std::vector<std::string>>{{"a", "c"}}));
  EXPECT_EQ(runner.stats().filtered, 1u);
  Put("d", "drop");
  EXPECT_EQ(runner.PollOnce(), 1);  // done with, though not delivered
  EXPECT_EQ(calls->size(), 1u);
}

TEST_F(RunnerTest, RecordsOlderThanTheMaximumAgeGoToTheOnFailureFile) {
  Put("a");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // older than 0 s, surely
  auto handler = std::make_unique<FakeHandler>();
  auto calls = handler->calls;
  TriggerDefinition t = Definition();
  t.maximum_record_age_s = 0;
  t.on_failure = ::testing::TempDir() + "/record-age.jsonl";
  std::remove(t.on_failure.c_str());
  TriggerRunner runner(*client_, t, checkpoints_, Quiet(), std::move(handler));
  EXPECT_EQ(runner.PollOnce(), 1);
  EXPECT_TRUE(calls->empty());
  EXPECT_EQ(runner.stats().discarded, 1u);
  std::ifstream in(t.on_failure);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  rapidjson::Document d = Parse(line);
  EXPECT_STREQ(d["requestContext"]["condition"].GetString(), "RecordAgeExceeded");
  EXPECT_EQ(d["requestContext"]["approximateInvokeCount"].GetInt(), 0);
  EXPECT_EQ(d["DDBStreamBatchInfo"]["batchSize"].GetInt(), 1);
}

// The reader under the runner (api::StreamConsumer with a RecordsHandler).
TEST_F(RunnerTest, ReaderHandsOverBatchesBeyondOneGetRecordsPageAndRereadsWhatIsNotDone) {
  for (int i = 0; i < 1500; ++i) Put("k" + std::to_string(i));
  std::vector<std::size_t> sizes;
  std::vector<std::string> firsts;
  bool hold_back = true;
  api::StreamConsumerOptions options;
  options.batch_size = 1200;
  options.log = [](const std::string&) {};
  api::StreamConsumer reader(
      *client_, "events", checkpoints_,
      [&](const api::StreamBatch& batch, std::size_t& done) {
        sizes.push_back(batch.records.size());
        firsts.emplace_back((*batch.records[0])["dynamodb"]["Keys"]["pk"]["S"].GetString());
        // The first time, only 10 records are done: the rest come again.
        done = hold_back ? 10 : batch.records.size();
        hold_back = false;
      },
      options);
  EXPECT_EQ(reader.PollOnce(), 10);
  EXPECT_EQ(reader.PollOnce(), 1490);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1200, 1200, 290}));
  EXPECT_EQ(firsts, (std::vector<std::string>{"k0", "k10", "k1210"}));
  EXPECT_EQ(reader.PollOnce(), 0);
}

TEST_F(RunnerTest, LatestStartsAfterWhatTheStreamHolds) {
  Put("old");
  EXPECT_EQ(CheckpointAtLatest(*client_, "events", checkpoints_), 1);
  Put("new");
  auto handler = std::make_unique<FakeHandler>();
  auto calls = handler->calls;
  TriggerRunner runner(*client_, Definition(), checkpoints_, Quiet(), std::move(handler));
  runner.PollOnce();
  EXPECT_EQ(*calls, (std::vector<std::vector<std::string>>{{"new"}}));
}

}  // namespace
}  // namespace cruddur::triggers
