// DynamoDB Streams through the engine's public request model, in memory and on RocksDB.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "ddb/engine.h"
#include "ddb/engine_test_util.h"
#include "ddb/error.h"
#include "ddb/storage/storage.h"
#include "ddb/streams.h"

namespace cruddur::ddb {
namespace {

using rapidjson::Document;

class StreamsTest : public EachStorageTest {
 protected:
  // Creates table `name` (pk S hash, sk S range) with a stream of `view`; returns its ARN.
  std::string CreateTable(const std::string& name, const std::string& view) {
    Document d = Call("CreateTable", R"({"TableName":")" + name + R"(",
      "BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
                              {"AttributeName":"sk","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},
                   {"AttributeName":"sk","KeyType":"RANGE"}],
      "StreamSpecification":{"StreamEnabled":true,"StreamViewType":")" +
                                         view + R"("}})");
    return d["TableDescription"]["LatestStreamArn"].GetString();
  }
  void Put(const std::string& table, const std::string& pk, const std::string& v) {
    Call("PutItem", R"({"TableName":")" + table + R"(","Item":{"pk":{"S":")" + pk +
                        R"("},"sk":{"S":"s"},"v":{"S":")" + v + R"("}}})");
  }
  void Delete(const std::string& table, const std::string& pk) {
    Call("DeleteItem",
         R"({"TableName":")" + table + R"(","Key":{"pk":{"S":")" + pk + R"("},"sk":{"S":"s"}}})");
  }
  std::string ShardOf(const std::string& arn) {
    Document d = Call("Streams.DescribeStream", R"({"StreamArn":")" + arn + R"("})");
    return d["StreamDescription"]["Shards"][0]["ShardId"].GetString();
  }
  // The stream's first shard's iterator of `type`.
  std::string Iterator(const std::string& arn, const std::string& type,
                       const std::string& seq = "") {
    return ShardIterator(arn, ShardOf(arn), type, seq);
  }
  Document Describe(const std::string& arn, const std::string& more = "") {
    return Call("Streams.DescribeStream", R"({"StreamArn":")" + arn + "\"" + more + "}");
  }
  // The shard's iterator of `type` (given the shard, not the stream's first one).
  std::string ShardIterator(const std::string& arn, const std::string& shard,
                            const std::string& type, const std::string& seq = "") {
    std::string body = R"({"StreamArn":")" + arn + R"(","ShardId":")" + shard +
                       R"(","ShardIteratorType":")" + type + "\"";
    if (!seq.empty()) body += R"(,"SequenceNumber":")" + seq + "\"";
    return Call("Streams.GetShardIterator", body + "}")["ShardIterator"].GetString();
  }
  // The partition keys of a shard's records from TRIM_HORIZON to its end (or, when open, to
  // the stream's end); `closed`: whether the last answer had no NextShardIterator.
  std::vector<std::string> ReadShard(const std::string& arn, const std::string& shard,
                                     bool* closed = nullptr, int limit = 2) {
    std::vector<std::string> keys;
    std::string it = ShardIterator(arn, shard, "TRIM_HORIZON");
    for (;;) {
      Document d = Records(it, limit);
      for (const auto& r : d["Records"].GetArray()) {
        keys.push_back(r["dynamodb"]["Keys"]["pk"]["S"].GetString());
      }
      if (!d.HasMember("NextShardIterator") || d["Records"].Empty()) {
        if (closed) *closed = !d.HasMember("NextShardIterator");
        return keys;
      }
      it = d["NextShardIterator"].GetString();
    }
  }
  // Opens the engine with shards of `max_records` records at most, creates table "tab" with a
  // KEYS_ONLY stream and puts items k0 to k<writes - 1>; returns the stream's ARN.
  std::string StreamWithShards(int max_records, int writes) {
    options_.stream_shard_max_records = max_records;
    Open();
    std::string arn = CreateTable("tab", "KEYS_ONLY");
    for (int i = 0; i < writes; ++i) Put("tab", "k" + std::to_string(i), "v");
    return arn;
  }
  Document Records(const std::string& iterator, int limit = 0) {
    std::string body = R"({"ShardIterator":")" + iterator + "\"";
    if (limit) body += ",\"Limit\":" + std::to_string(limit);
    return Call("Streams.GetRecords", body + "}");
  }
};

TEST_P(StreamsTest, InsertModifyRemoveWithImages) {
  Open();
  std::string arn = CreateTable("tab", "NEW_AND_OLD_IMAGES");
  Put("tab", "a", "1");
  Put("tab", "a", "1");  // identical: no record
  Put("tab", "a", "2");
  Delete("tab", "a");
  Delete("tab", "a");  // missing: no record
  Call("UpdateItem", R"({"TableName":"tab","Key":{"pk":{"S":"b"},"sk":{"S":"s"}}})");

  Document d = Records(Iterator(arn, "TRIM_HORIZON"));
  const auto& recs = d["Records"];
  ASSERT_EQ(recs.Size(), 4u);
  EXPECT_STREQ(recs[0]["eventName"].GetString(), "INSERT");
  EXPECT_STREQ(recs[1]["eventName"].GetString(), "MODIFY");
  EXPECT_STREQ(recs[2]["eventName"].GetString(), "REMOVE");
  EXPECT_STREQ(recs[3]["eventName"].GetString(), "INSERT");
  const auto& insert = recs[0]["dynamodb"];
  EXPECT_FALSE(insert.HasMember("OldImage"));
  EXPECT_STREQ(insert["NewImage"]["v"]["S"].GetString(), "1");
  EXPECT_STREQ(insert["Keys"]["pk"]["S"].GetString(), "a");
  EXPECT_EQ(insert["Keys"].MemberCount(), 2u);
  EXPECT_STREQ(insert["StreamViewType"].GetString(), "NEW_AND_OLD_IMAGES");
  EXPECT_GT(insert["SizeBytes"].GetInt(), 0);
  EXPECT_GT(insert["ApproximateCreationDateTime"].GetInt64(), 1600000000);
  const auto& modify = recs[1]["dynamodb"];
  EXPECT_STREQ(modify["OldImage"]["v"]["S"].GetString(), "1");
  EXPECT_STREQ(modify["NewImage"]["v"]["S"].GetString(), "2");
  const auto& remove = recs[2]["dynamodb"];
  EXPECT_STREQ(remove["OldImage"]["v"]["S"].GetString(), "2");
  EXPECT_FALSE(remove.HasMember("NewImage"));
  std::string previous;
  std::set<std::string> ids;
  for (const auto& r : recs.GetArray()) {
    std::string seq = r["dynamodb"]["SequenceNumber"].GetString();
    EXPECT_EQ(seq.size(), 21u);
    EXPECT_EQ(seq.find_first_not_of("0123456789"), std::string::npos);
    EXPECT_LT(previous, seq);
    previous = seq;
    EXPECT_STREQ(r["eventSource"].GetString(), "aws:dynamodb");
    EXPECT_STREQ(r["eventVersion"].GetString(), "1.1");
    EXPECT_STREQ(r["awsRegion"].GetString(), "us-east-1");
    EXPECT_FALSE(r.HasMember("userIdentity"));
    ids.insert(r["eventID"].GetString());
  }
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_TRUE(d.HasMember("NextShardIterator"));  // the stream is open
}

TEST_P(StreamsTest, ViewTypesKeepTheirImages) {
  Open();
  for (std::string view : {"KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE"}) {
    std::string table = "t_" + view;
    std::string arn = CreateTable(table, view);
    Put(table, "a", "1");
    Put(table, "a", "2");
    Document d = Records(Iterator(arn, "TRIM_HORIZON"));
    ASSERT_EQ(d["Records"].Size(), 2u) << view;
    const auto& modify = d["Records"][1]["dynamodb"];
    EXPECT_EQ(modify.HasMember("NewImage"), view == "NEW_IMAGE") << view;
    EXPECT_EQ(modify.HasMember("OldImage"), view == "OLD_IMAGE") << view;
    EXPECT_STREQ(modify["StreamViewType"].GetString(), view.c_str());
    EXPECT_TRUE(modify.HasMember("Keys"));
  }
}

TEST_P(StreamsTest, NoRecordsWithoutStream) {
  Open();
  Call("CreateTable", R"({"TableName":"plain","BillingMode":"PAY_PER_REQUEST",
    "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
    "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}]})");
  Call("PutItem", R"({"TableName":"plain","Item":{"pk":{"S":"a"}}})");
  Document d = Call("Streams.ListStreams", R"({"TableName":"plain"})");
  EXPECT_EQ(d["Streams"].Size(), 0u);
}

TEST_P(StreamsTest, IteratorTypesAndPaging) {
  Open();
  std::string arn = CreateTable("tab", "KEYS_ONLY");
  for (int i = 0; i < 5; ++i) Put("tab", "k" + std::to_string(i), "v");
  std::string latest = Iterator(arn, "LATEST");
  Put("tab", "k5", "v");

  Document all = Records(Iterator(arn, "TRIM_HORIZON"));
  ASSERT_EQ(all["Records"].Size(), 6u);
  std::string seq2 = all["Records"][2]["dynamodb"]["SequenceNumber"].GetString();

  Document after_latest = Records(latest);
  ASSERT_EQ(after_latest["Records"].Size(), 1u);
  EXPECT_STREQ(after_latest["Records"][0]["dynamodb"]["Keys"]["pk"]["S"].GetString(), "k5");

  Document at = Records(Iterator(arn, "AT_SEQUENCE_NUMBER", seq2), 1);
  ASSERT_EQ(at["Records"].Size(), 1u);
  EXPECT_EQ(at["Records"][0]["dynamodb"]["SequenceNumber"].GetString(), seq2);
  Document after = Records(Iterator(arn, "AFTER_SEQUENCE_NUMBER", seq2), 1);
  ASSERT_EQ(after["Records"].Size(), 1u);
  EXPECT_STREQ(after["Records"][0]["dynamodb"]["Keys"]["pk"]["S"].GetString(), "k3");

  // Paging two at a time visits every record once, in order; then the open shard stays readable.
  std::string it = Iterator(arn, "TRIM_HORIZON");
  std::vector<std::string> keys;
  for (int page = 0; page < 4; ++page) {
    Document d = Records(it, 2);
    for (const auto& r : d["Records"].GetArray()) {
      keys.push_back(r["dynamodb"]["Keys"]["pk"]["S"].GetString());
    }
    ASSERT_TRUE(d.HasMember("NextShardIterator"));
    it = d["NextShardIterator"].GetString();
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"k0", "k1", "k2", "k3", "k4", "k5"}));
  Put("tab", "k6", "v");
  Document more = Records(it);
  ASSERT_EQ(more["Records"].Size(), 1u);
  EXPECT_STREQ(more["Records"][0]["dynamodb"]["Keys"]["pk"]["S"].GetString(), "k6");
}

TEST_P(StreamsTest, DescribeListAndReenable) {
  Open();
  std::string arn = CreateTable("tab", "NEW_IMAGE");
  Document desc = Call("Streams.DescribeStream", R"({"StreamArn":")" + arn + R"("})");
  const auto& sd = desc["StreamDescription"];
  EXPECT_STREQ(sd["StreamStatus"].GetString(), "ENABLED");
  EXPECT_STREQ(sd["StreamViewType"].GetString(), "NEW_IMAGE");
  EXPECT_STREQ(sd["TableName"].GetString(), "tab");
  EXPECT_STREQ(sd["KeySchema"][1]["KeyType"].GetString(), "RANGE");
  EXPECT_GT(sd["CreationRequestDateTime"].GetDouble(), 1600000000);
  ASSERT_EQ(sd["Shards"].Size(), 1u);
  std::string shard = sd["Shards"][0]["ShardId"].GetString();
  EXPECT_GE(shard.size(), 28u);
  EXPECT_LE(shard.size(), 65u);
  EXPECT_FALSE(sd["Shards"][0]["SequenceNumberRange"].HasMember("EndingSequenceNumber"));
  Put("tab", "a", "1");
  std::string it = Iterator(arn, "TRIM_HORIZON");

  Call("UpdateTable", R"({"TableName":"tab","StreamSpecification":{"StreamEnabled":false}})");
  desc = Call("Streams.DescribeStream", R"({"StreamArn":")" + arn + R"("})");
  EXPECT_STREQ(desc["StreamDescription"]["StreamStatus"].GetString(), "DISABLED");
  EXPECT_STREQ(desc["StreamDescription"]["StreamViewType"].GetString(), "NEW_IMAGE");
  EXPECT_TRUE(desc["StreamDescription"]["Shards"][0]["SequenceNumberRange"].HasMember(
      "EndingSequenceNumber"));
  Put("tab", "b", "1");  // not recorded: the stream is closed
  Document d = Records(it);
  EXPECT_EQ(d["Records"].Size(), 1u);
  EXPECT_FALSE(d.HasMember("NextShardIterator"));  // closed shard read to its end

  usleep(2000);  // stream labels have millisecond precision
  Document t = Call("UpdateTable", R"({"TableName":"tab","StreamSpecification":
    {"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"}})");
  std::string arn2 = t["TableDescription"]["LatestStreamArn"].GetString();
  EXPECT_NE(arn, arn2);
  Put("tab", "c", "1");
  Document l = Call("Streams.ListStreams", R"({"TableName":"tab"})");
  ASSERT_EQ(l["Streams"].Size(), 2u);
  Document page = Call("Streams.ListStreams", R"({"Limit":1})");
  ASSERT_EQ(page["Streams"].Size(), 1u);
  std::string last = page["LastEvaluatedStreamArn"].GetString();
  Document rest = Call("Streams.ListStreams", R"({"ExclusiveStartStreamArn":")" + last + R"("})");
  ASSERT_EQ(rest["Streams"].Size(), 1u);
  EXPECT_FALSE(rest.HasMember("LastEvaluatedStreamArn"));
  EXPECT_EQ(ReadShard(arn2, ShardOf(arn2)), std::vector<std::string>{"c"});
}

TEST_P(StreamsTest, Errors) {
  Open();
  std::string arn = CreateTable("tab", "KEYS_ONLY");
  std::string shard = ShardOf(arn);
  EXPECT_EQ(CallError("Streams.DescribeStream",
                      R"({"StreamArn":"sdfadfsdfnlfkajakfgjalksfgklasjklasdjfklasdfasdfg"})")
                .type(),
            "ValidationException");
  std::string missing =
      "arn:aws:dynamodb:us-east-1:000000000000:table/tab/stream/2000-01-01T00:00:00.000";
  EXPECT_EQ(CallError("Streams.DescribeStream", R"({"StreamArn":")" + missing + R"("})").type(),
            "ResourceNotFoundException");
  auto iterator_error = [&](const std::string& shard_id, const std::string& type,
                            const std::string& seq) {
    std::string body = R"({"StreamArn":")" + arn + R"(","ShardId":")" + shard_id +
                       R"(","ShardIteratorType":")" + type + "\"";
    if (!seq.empty()) body += R"(,"SequenceNumber":")" + seq + "\"";
    return CallError("Streams.GetShardIterator", body + "}").type();
  };
  EXPECT_EQ(iterator_error("shardId-00000000000000000000-deadbeef", "LATEST", ""),
            "ResourceNotFoundException");
  EXPECT_EQ(iterator_error(shard, "AT_SEQUENCE_NUMBER", ""), "ValidationException");
  EXPECT_EQ(iterator_error(shard, "AFTER_SEQUENCE_NUMBER", ""), "ValidationException");
  EXPECT_EQ(iterator_error(shard, "LATEST", "100000000000000000001"), "ValidationException");
  EXPECT_EQ(iterator_error(shard, "TRIM_HORIZON", "100000000000000000001"), "ValidationException");
  EXPECT_EQ(iterator_error(shard, "bulle", ""), "ValidationException");
  EXPECT_EQ(iterator_error(shard, "AT_SEQUENCE_NUMBER", "sdfsafglldfngjdafnasdflgnaldklkafdsgklna"),
            "ValidationException");
  ApiError bad =
      CallError("Streams.GetRecords", R"({"ShardIterator":"sdfsdfsgagaddafgagasgasgasdfa"})");
  EXPECT_EQ(bad.type(), "ValidationException");
  EXPECT_EQ(bad.message(), "Invalid ShardIterator");
  EXPECT_EQ(CallError("Streams.GetRecords",
                      R"({"ShardIterator":")" + Iterator(arn, "LATEST") + R"(","Limit":1001})")
                .type(),
            "ValidationException");
  EXPECT_EQ(CallError("Streams.ListStreams", R"({"Limit":0})").type(), "ValidationException");
  EXPECT_EQ(CallError("Streams.ListStreams", R"({"TableName":"nope"})").type(),
            "ResourceNotFoundException");
  EXPECT_EQ(CallError("Streams.Nope", "{}").type(), "UnknownOperationException");
  // A stream of a deleted table is DISABLED, not gone (DeletedTablesStreamStaysReadable).
  Call("DeleteTable", R"({"TableName":"tab"})");
  EXPECT_STREQ(Describe(arn)["StreamDescription"]["StreamStatus"].GetString(), "DISABLED");
}

// DeleteTable reference: the stream of a deleted table goes DISABLED and is deleted after 24
// hours; meanwhile it is listed and its records are read. A new table of the same name has a
// stream of its own beside it.
TEST_P(StreamsTest, DeletedTablesStreamStaysReadable) {
  Open();
  std::string arn = CreateTable("tab", "KEYS_ONLY");
  Put("tab", "a", "1");
  Call("DeleteTable", R"({"TableName":"tab"})");
  Document d = Describe(arn);
  EXPECT_STREQ(d["StreamDescription"]["StreamStatus"].GetString(), "DISABLED");
  EXPECT_STREQ(d["StreamDescription"]["TableName"].GetString(), "tab");
  EXPECT_STREQ(d["StreamDescription"]["KeySchema"][1]["AttributeName"].GetString(), "sk");
  bool closed = false;
  EXPECT_EQ(ReadShard(arn, ShardOf(arn), &closed), std::vector<std::string>{"a"});
  EXPECT_TRUE(closed);
  Document listed = Call("Streams.ListStreams", R"({"TableName":"tab"})");
  ASSERT_EQ(listed["Streams"].Size(), 1u);
  EXPECT_EQ(std::string(listed["Streams"][0]["StreamArn"].GetString()), arn);

  usleep(2000);  // stream labels have millisecond precision
  std::string arn2 = CreateTable("tab", "KEYS_ONLY");
  Put("tab", "b", "1");
  EXPECT_EQ(Call("Streams.ListStreams", R"({"TableName":"tab"})")["Streams"].Size(), 2u);
  EXPECT_EQ(ReadShard(arn, ShardOf(arn)), std::vector<std::string>{"a"});
  EXPECT_EQ(ReadShard(arn2, ShardOf(arn2)), std::vector<std::string>{"b"});
  EXPECT_STREQ(Describe(arn2)["StreamDescription"]["StreamStatus"].GetString(), "ENABLED");
}

// ... for the retention period after the deletion, then it is forgotten, with the table.
TEST_P(StreamsTest, DeletedTablesStreamIsForgottenAfterRetention) {
  options_.stream_retention = std::chrono::milliseconds(1000);
  options_.ttl_sweep_interval = std::chrono::milliseconds(20);
  Open();
  std::string arn = CreateTable("tab", "KEYS_ONLY");
  Put("tab", "a", "1");
  Call("DeleteTable", R"({"TableName":"tab"})");
  EXPECT_EQ(Call("Streams.ListStreams", "{}")["Streams"].Size(), 1u);
  usleep(1200 * 1000);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    try {
      engine_->Execute("Streams.DescribeStream", R"({"StreamArn":")" + arn + R"("})");
      usleep(20 * 1000);
    } catch (const ApiError& e) {
      EXPECT_EQ(e.type(), "ResourceNotFoundException");
      gone = true;
    }
  }
  EXPECT_TRUE(gone);
  EXPECT_EQ(Call("Streams.ListStreams", "{}")["Streams"].Size(), 0u);
  EXPECT_EQ(CallError("Streams.ListStreams", R"({"TableName":"tab"})").type(),
            "ResourceNotFoundException");
}

TEST_P(StreamsTest, ExpiredIterator) {
  options_.shard_iterator_lifetime = std::chrono::milliseconds(50);
  Open();
  std::string arn = CreateTable("tab", "KEYS_ONLY");
  std::string it = Iterator(arn, "TRIM_HORIZON");
  usleep(120 * 1000);
  ApiError e = CallError("Streams.GetRecords", R"({"ShardIterator":")" + it + R"("})");
  EXPECT_EQ(e.type(), "ExpiredIteratorException");
  EXPECT_EQ(e.message(), "The provided iterator exceeds the maximum age allowed.");
}

TEST_P(StreamsTest, RetentionTrimsOldRecords) {
  options_.stream_retention = std::chrono::milliseconds(1000);
  options_.ttl_sweep_interval = std::chrono::milliseconds(20);
  Open();
  std::string arn = CreateTable("tab", "KEYS_ONLY");
  Put("tab", "old", "1");
  std::string horizon = Iterator(arn, "TRIM_HORIZON");
  Document first = Records(horizon);
  ASSERT_EQ(first["Records"].Size(), 1u);
  std::string old_seq = first["Records"][0]["dynamodb"]["SequenceNumber"].GetString();
  usleep(1500 * 1000);  // the record ages past retention; the sweeper trims it
  Put("tab", "new", "1");
  ApiError e = CallError("Streams.GetRecords", R"({"ShardIterator":")" + horizon + R"("})");
  EXPECT_EQ(e.type(), "TrimmedDataAccessException");
  EXPECT_EQ(CallError("Streams.GetShardIterator",
                      R"({"StreamArn":")" + arn + R"(","ShardId":")" + ShardOf(arn) +
                          R"(","ShardIteratorType":"AT_SEQUENCE_NUMBER","SequenceNumber":")" +
                          old_seq + R"("})")
                .type(),
            "TrimmedDataAccessException");
  EXPECT_EQ(ReadShard(arn, ShardOf(arn)), std::vector<std::string>{"new"});
}

TEST_P(StreamsTest, BatchAndTransactionWritesAreRecordedInOrder) {
  Open();
  std::string arn = CreateTable("tab", "NEW_IMAGE");
  Call("BatchWriteItem", R"({"RequestItems":{"tab":[
    {"PutRequest":{"Item":{"pk":{"S":"a"},"sk":{"S":"s"}}}},
    {"PutRequest":{"Item":{"pk":{"S":"b"},"sk":{"S":"s"}}}}]}})");
  Call("TransactWriteItems", R"({"TransactItems":[
    {"Put":{"TableName":"tab","Item":{"pk":{"S":"c"},"sk":{"S":"s"}}}},
    {"Delete":{"TableName":"tab","Key":{"pk":{"S":"a"},"sk":{"S":"s"}}}}]})");
  Document d = Records(Iterator(arn, "TRIM_HORIZON"));
  ASSERT_EQ(d["Records"].Size(), 4u);
  EXPECT_STREQ(d["Records"][2]["eventName"].GetString(), "INSERT");
  EXPECT_STREQ(d["Records"][3]["eventName"].GetString(), "REMOVE");
}

// With a record bound of 3, seven writes make three shards: two closed ones of three records
// and an open one, each the child of the one before, their ranges in order and apart.
TEST_P(StreamsTest, RotationByRecordCountMakesALineage) {
  std::string arn = StreamWithShards(3, 7);
  Document d = Describe(arn);
  const auto& shards = d["StreamDescription"]["Shards"];
  ASSERT_EQ(shards.Size(), 3u);
  EXPECT_FALSE(shards[0].HasMember("ParentShardId"));
  EXPECT_STREQ(shards[1]["ParentShardId"].GetString(), shards[0]["ShardId"].GetString());
  EXPECT_STREQ(shards[2]["ParentShardId"].GetString(), shards[1]["ShardId"].GetString());
  EXPECT_FALSE(shards[2]["SequenceNumberRange"].HasMember("EndingSequenceNumber"));
  EXPECT_FALSE(d["StreamDescription"].HasMember("LastEvaluatedShardId"));
  std::vector<std::string> all;
  for (unsigned i = 0; i < 3; ++i) {
    std::string id = shards[i]["ShardId"].GetString();
    bool closed = false;
    std::vector<std::string> keys = ReadShard(arn, id, &closed);
    EXPECT_EQ(keys.size(), i < 2 ? 3u : 1u) << id;
    EXPECT_EQ(closed, i < 2) << id;  // a closed shard read to its end: no NextShardIterator
    Document first = Records(ShardIterator(arn, id, "TRIM_HORIZON"), 1);
    std::string start = shards[i]["SequenceNumberRange"]["StartingSequenceNumber"].GetString();
    EXPECT_LE(start, std::string(first["Records"][0]["dynamodb"]["SequenceNumber"].GetString()));
    if (i < 2) {
      // The ending sequence number is the shard's last record, below the child's start.
      std::string end = shards[i]["SequenceNumberRange"]["EndingSequenceNumber"].GetString();
      Document last = Records(ShardIterator(arn, id, "AT_SEQUENCE_NUMBER", end));
      ASSERT_EQ(last["Records"].Size(), 1u);
      EXPECT_EQ(std::string(last["Records"][0]["dynamodb"]["Keys"]["pk"]["S"].GetString()),
                keys.back());
      EXPECT_LT(
          end,
          std::string(shards[i + 1]["SequenceNumberRange"]["StartingSequenceNumber"].GetString()));
    }
    all.insert(all.end(), keys.begin(), keys.end());
  }
  EXPECT_EQ(all, (std::vector<std::string>{"k0", "k1", "k2", "k3", "k4", "k5", "k6"}));
}

// A reader in the middle of the open shard when it closes reads the rest of it, learns that it
// is done, and finds its child with ShardFilter.
TEST_P(StreamsTest, ReaderFollowsAShardThatClosesUnderIt) {
  options_.stream_shard_max_records = 3;
  Open();
  std::string arn = CreateTable("tab", "KEYS_ONLY");
  Put("tab", "a", "v");
  Put("tab", "b", "v");
  std::string parent = ShardOf(arn);
  Document page = Records(ShardIterator(arn, parent, "TRIM_HORIZON"));
  ASSERT_EQ(page["Records"].Size(), 2u);
  std::string it = page["NextShardIterator"].GetString();
  std::string latest = ShardIterator(arn, parent, "LATEST");
  for (std::string k : {"c", "d", "e"}) Put("tab", k, "v");  // c fills the shard, d opens a child
  page = Records(it);
  ASSERT_EQ(page["Records"].Size(), 1u);
  EXPECT_STREQ(page["Records"][0]["dynamodb"]["Keys"]["pk"]["S"].GetString(), "c");
  // The shard's last record, and with it the news that the shard is done.
  EXPECT_FALSE(page.HasMember("NextShardIterator"));
  // LATEST taken while open sees the record that filled the shard, then the end.
  page = Records(latest);
  ASSERT_EQ(page["Records"].Size(), 1u);
  EXPECT_FALSE(page.HasMember("NextShardIterator"));

  Document children =
      Describe(arn, R"(,"ShardFilter":{"Type":"CHILD_SHARDS","ShardId":")" + parent + R"("})");
  const auto& shards = children["StreamDescription"]["Shards"];
  ASSERT_EQ(shards.Size(), 1u);
  EXPECT_STREQ(shards[0]["ParentShardId"].GetString(), parent.c_str());
  std::string child = shards[0]["ShardId"].GetString();
  EXPECT_EQ(ReadShard(arn, child), (std::vector<std::string>{"d", "e"}));
  // The open shard has no children yet.
  Document none =
      Describe(arn, R"(,"ShardFilter":{"Type":"CHILD_SHARDS","ShardId":")" + child + R"("})");
  EXPECT_EQ(none["StreamDescription"]["Shards"].Size(), 0u);
  // LATEST on a closed shard: nothing, and no next iterator.
  page = Records(ShardIterator(arn, parent, "LATEST"));
  EXPECT_EQ(page["Records"].Size(), 0u);
  EXPECT_FALSE(page.HasMember("NextShardIterator"));
}

TEST_P(StreamsTest, ShardFilterValidation) {
  options_.stream_shard_max_records = 1;
  Open();
  std::string arn = CreateTable("tab", "KEYS_ONLY");
  Put("tab", "a", "v");
  std::string shard = ShardOf(arn);
  auto error = [&](const std::string& filter) {
    return CallError("Streams.DescribeStream",
                     R"({"StreamArn":")" + arn + R"(","ShardFilter":)" + filter + "}");
  };
  ApiError bad_type = error(R"({"Type":"PARENT_SHARDS","ShardId":")" + shard + R"("})");
  EXPECT_EQ(bad_type.type(), "ValidationException");
  EXPECT_EQ(bad_type.message(),
            "1 validation error detected: Value 'PARENT_SHARDS' at 'shardFilter.type' failed to "
            "satisfy constraint: Member must satisfy enum value set: [CHILD_SHARDS]");
  ApiError short_id = error(R"({"Type":"CHILD_SHARDS","ShardId":"shardId-1"})");
  EXPECT_EQ(short_id.message(),
            "1 validation error detected: Value 'shardId-1' at 'shardFilter.shardId' failed to "
            "satisfy constraint: Member must have length greater than or equal to 28");
  EXPECT_EQ(error(R"({"ShardId":")" + shard + R"("})").type(), "ValidationException");
  EXPECT_EQ(error(R"({"Type":"CHILD_SHARDS"})").type(), "ValidationException");
  EXPECT_EQ(error(R"("CHILD_SHARDS")").type(), "SerializationException");
  ApiError missing =
      error(R"({"Type":"CHILD_SHARDS","ShardId":"shardId-00000000000000000000-deadbeef"})");
  EXPECT_EQ(missing.type(), "ResourceNotFoundException");
  EXPECT_EQ(missing.message(),
            "Requested resource not found: Shard does not exist: "
            "shardId-00000000000000000000-deadbeef");
}

TEST_P(StreamsTest, DescribeStreamPagesThroughShards) {
  std::string arn = StreamWithShards(1, 5);
  std::vector<std::string> paged;
  std::string start;
  for (int page = 0; page < 10; ++page) {
    std::string more = R"(,"Limit":2)";
    if (!start.empty()) more += R"(,"ExclusiveStartShardId":")" + start + "\"";
    Document d = Describe(arn, more);
    const auto& sd = d["StreamDescription"];
    EXPECT_LE(sd["Shards"].Size(), 2u);
    for (const auto& s : sd["Shards"].GetArray()) paged.push_back(s["ShardId"].GetString());
    if (!sd.HasMember("LastEvaluatedShardId")) break;
    start = sd["LastEvaluatedShardId"].GetString();
    EXPECT_EQ(start, paged.back());
  }
  Document all = Describe(arn);
  std::vector<std::string> ids;
  for (const auto& s : all["StreamDescription"]["Shards"].GetArray()) {
    ids.push_back(s["ShardId"].GetString());
  }
  EXPECT_EQ(ids.size(), 5u);
  EXPECT_EQ(paged, ids);
}

TEST_P(StreamsTest, SequenceNumberOfAnotherShardIsRefused) {
  std::string arn = StreamWithShards(2, 3);
  Document d = Describe(arn);
  const auto& shards = d["StreamDescription"]["Shards"];
  ASSERT_EQ(shards.Size(), 2u);
  std::string parent = shards[0]["ShardId"].GetString();
  std::string child = shards[1]["ShardId"].GetString();
  std::string child_start = shards[1]["SequenceNumberRange"]["StartingSequenceNumber"].GetString();
  std::string parent_end = shards[0]["SequenceNumberRange"]["EndingSequenceNumber"].GetString();
  std::string body = R"({"StreamArn":")" + arn + R"(","ShardIteratorType":"AT_SEQUENCE_NUMBER",)";
  EXPECT_EQ(
      CallError("Streams.GetShardIterator", body + R"("ShardId":")" + parent +
                                                R"(","SequenceNumber":")" + child_start + R"("})")
          .type(),
      "ValidationException");
  EXPECT_EQ(
      CallError("Streams.GetShardIterator",
                body + R"("ShardId":")" + child + R"(","SequenceNumber":")" + parent_end + R"("})")
          .type(),
      "ValidationException");
  // After the parent's last record: nothing more, and the parent is done.
  Document after = Records(ShardIterator(arn, parent, "AFTER_SEQUENCE_NUMBER", parent_end));
  EXPECT_EQ(after["Records"].Size(), 0u);
  EXPECT_FALSE(after.HasMember("NextShardIterator"));
}

// The time bound rotates a shard that holds a record: at the next write, or (with the sweeper
// running) without one. An empty shard is never closed.
TEST_P(StreamsTest, RotationByAge) {
  options_.stream_shard_max_age = std::chrono::milliseconds(100);
  options_.stream_shard_max_records = 0;
  Open();
  std::string arn = CreateTable("tab", "KEYS_ONLY");
  usleep(150 * 1000);
  Put("tab", "a", "v");  // the first shard is older than the bound, but was empty: kept
  EXPECT_EQ(Describe(arn)["StreamDescription"]["Shards"].Size(), 1u);
  usleep(150 * 1000);
  Put("tab", "b", "v");
  Document d = Describe(arn);
  ASSERT_EQ(d["StreamDescription"]["Shards"].Size(), 2u);
  EXPECT_EQ(ReadShard(arn, d["StreamDescription"]["Shards"][1]["ShardId"].GetString()),
            std::vector<std::string>{"b"});
}

TEST_P(StreamsTest, SweeperRotatesAnIdleShard) {
  options_.stream_shard_max_age = std::chrono::milliseconds(100);
  options_.ttl_sweep_interval = std::chrono::milliseconds(20);
  Open();
  std::string arn = CreateTable("tab", "KEYS_ONLY");
  Put("tab", "a", "v");
  size_t shards = 0;
  for (int i = 0; i < 100 && shards < 2; ++i) {
    usleep(20 * 1000);
    shards = Describe(arn)["StreamDescription"]["Shards"].Size();
  }
  EXPECT_EQ(shards, 2u);
  usleep(300 * 1000);  // the child stays empty, so open
  Document d = Describe(arn);
  ASSERT_EQ(d["StreamDescription"]["Shards"].Size(), 2u);
  EXPECT_FALSE(
      d["StreamDescription"]["Shards"][1]["SequenceNumberRange"].HasMember("EndingSequenceNumber"));
}

// Retention trims the records of closed shards, and then the shards themselves; the oldest
// listed shard still names its (forgotten) parent.
TEST_P(StreamsTest, TrimmedShardsAreForgotten) {
  options_.stream_retention = std::chrono::milliseconds(1000);
  options_.ttl_sweep_interval = std::chrono::milliseconds(20);
  options_.stream_shard_max_records = 2;
  options_.stream_shard_max_age = std::chrono::milliseconds(0);
  Open();
  std::string arn = CreateTable("tab", "KEYS_ONLY");
  for (int i = 0; i < 4; ++i) Put("tab", "old" + std::to_string(i), "v");
  std::string first = ShardOf(arn);
  usleep(1500 * 1000);
  Put("tab", "new", "v");
  size_t listed = 0;
  Document d;
  for (int i = 0; i < 100; ++i) {
    d = Describe(arn);
    listed = d["StreamDescription"]["Shards"].Size();
    if (listed == 1) break;
    usleep(20 * 1000);
  }
  ASSERT_EQ(listed, 1u);
  const auto& shard = d["StreamDescription"]["Shards"][0];
  EXPECT_TRUE(shard.HasMember("ParentShardId"));
  EXPECT_NE(std::string(shard["ShardId"].GetString()), first);
  EXPECT_EQ(ReadShard(arn, shard["ShardId"].GetString()), std::vector<std::string>{"new"});
  EXPECT_EQ(
      CallError("Streams.GetShardIterator", R"({"StreamArn":")" + arn + R"(","ShardId":")" + first +
                                                R"(","ShardIteratorType":"TRIM_HORIZON"})")
          .type(),
      "ResourceNotFoundException");
}

// Disabling the stream closes its open shard at its last record.
TEST_P(StreamsTest, DisablingClosesTheOpenShard) {
  std::string arn = StreamWithShards(2, 3);
  Call("UpdateTable", R"({"TableName":"tab","StreamSpecification":{"StreamEnabled":false}})");
  Document d = Describe(arn);
  const auto& shards = d["StreamDescription"]["Shards"];
  ASSERT_EQ(shards.Size(), 2u);
  bool closed = false;
  EXPECT_EQ(ReadShard(arn, shards[1]["ShardId"].GetString(), &closed),
            std::vector<std::string>{"k2"});
  EXPECT_TRUE(closed);
  Document last =
      Records(ShardIterator(arn, shards[1]["ShardId"].GetString(), "AT_SEQUENCE_NUMBER",
                            shards[1]["SequenceNumberRange"]["EndingSequenceNumber"].GetString()));
  ASSERT_EQ(last["Records"].Size(), 1u);
}

// Reopening needs a data dir: instantiated for RocksDB only (an in-memory engine keeps nothing).
class PersistentStreamsTest : public StreamsTest {};

TEST_P(PersistentStreamsTest, SurvivesReopen) {
  Open();
  std::string arn = CreateTable("tab", "KEYS_ONLY");
  Put("tab", "a", "1");
  engine_.reset();
  Open();
  Put("tab", "b", "1");
  Document d = Records(Iterator(arn, "TRIM_HORIZON"));
  ASSERT_EQ(d["Records"].Size(), 2u);
  EXPECT_LT(std::string(d["Records"][0]["dynamodb"]["SequenceNumber"].GetString()),
            std::string(d["Records"][1]["dynamodb"]["SequenceNumber"].GetString()));
}

// A deleted table's stream is kept across a restart, as readable as before it.
TEST_P(PersistentStreamsTest, DeletedTablesStreamSurvivesReopen) {
  Open();
  std::string arn = CreateTable("tab", "KEYS_ONLY");
  Put("tab", "a", "1");
  Call("DeleteTable", R"({"TableName":"tab"})");
  engine_.reset();
  Open();
  EXPECT_STREQ(Describe(arn)["StreamDescription"]["StreamStatus"].GetString(), "DISABLED");
  EXPECT_EQ(ReadShard(arn, ShardOf(arn)), std::vector<std::string>{"a"});
  EXPECT_EQ(Call("Streams.ListStreams", "{}")["Streams"].Size(), 1u);
}

// The lineage and the open shard's record count survive a restart: the bound counts the records
// written before it.
TEST_P(PersistentStreamsTest, RotationSurvivesReopen) {
  std::string arn = StreamWithShards(3, 5);
  std::string before = Describe(arn)["StreamDescription"]["Shards"][1]["ShardId"].GetString();
  engine_.reset();
  Open();
  Put("tab", "k5", "v");  // the third record of the open shard
  Document d = Describe(arn);
  ASSERT_EQ(d["StreamDescription"]["Shards"].Size(), 2u);
  EXPECT_EQ(std::string(d["StreamDescription"]["Shards"][1]["ShardId"].GetString()), before);
  Put("tab", "k6", "v");
  d = Describe(arn);
  const auto& shards = d["StreamDescription"]["Shards"];
  ASSERT_EQ(shards.Size(), 3u);
  EXPECT_STREQ(shards[2]["ParentShardId"].GetString(), before.c_str());
  EXPECT_EQ(ReadShard(arn, before), (std::vector<std::string>{"k3", "k4", "k5"}));
  // Iterators taken before a restart still read.
  std::string it = ShardIterator(arn, shards[2]["ShardId"].GetString(), "TRIM_HORIZON");
  engine_.reset();
  Open();
  EXPECT_EQ(Records(it)["Records"].Size(), 1u);
}

// A data dir written before shard rotation has stream metadata without shards: read as one
// shard from the stream's start, which rotates on from there.
TEST_P(PersistentStreamsTest, OldMetadataIsOneShard) {
  options_.stream_shard_max_records = 2;
  Open();
  std::string arn = CreateTable("tab", "KEYS_ONLY");
  Put("tab", "a", "v");
  std::string shard = ShardOf(arn);
  engine_.reset();
  {
    auto store = storage::OpenRocksDbStorage(options_.data_dir, {});
    std::string prefix(1, streams::kStreamMetaSpace);
    auto it = store->NewIterator();
    it->Seek(prefix);
    ASSERT_TRUE(it->Valid() && it->key().starts_with(prefix));
    std::string key(it->key()), value(it->value());
    std::string old = value.substr(0, value.rfind('|'));  // "<start>|<trimmed>|<view>"
    ASSERT_EQ(std::count(old.begin(), old.end(), '|'), 2);
    it.reset();
    storage::WriteBatch batch;
    batch.Put(key, old);
    store->Write(batch);
  }
  Open();
  Document d = Describe(arn);
  ASSERT_EQ(d["StreamDescription"]["Shards"].Size(), 1u);
  EXPECT_EQ(std::string(d["StreamDescription"]["Shards"][0]["ShardId"].GetString()), shard);
  Put("tab", "b", "v");
  Put("tab", "c", "v");
  d = Describe(arn);
  ASSERT_EQ(d["StreamDescription"]["Shards"].Size(), 2u);
  EXPECT_EQ(ReadShard(arn, shard), (std::vector<std::string>{"a", "b"}));
}

// Concurrent writers on different keys while a reader follows the stream: the reader sees every
// record exactly once, in increasing sequence order (no record appears behind its position).
TEST_P(StreamsTest, ConcurrentWritersReaderSeesEveryRecordOnce) {
  Open();
  std::string arn = CreateTable("tab", "KEYS_ONLY");
  std::string it = Iterator(arn, "TRIM_HORIZON");
  constexpr int kThreads = 4, kPerThread = 100;
  std::atomic<int> done{0};
  std::vector<std::thread> writers;
  writers.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i)
        Put("tab", std::to_string(t) + "-" + std::to_string(i), "v");
      ++done;
    });
  }
  std::set<std::string> seen;
  std::string last;
  bool finished = false;
  while (!finished) {
    finished = done == kThreads;  // one more full read after the writers are done
    Document d = Records(it);
    for (const auto& r : d["Records"].GetArray()) {
      std::string seq = r["dynamodb"]["SequenceNumber"].GetString();
      EXPECT_LT(last, seq);
      last = seq;
      EXPECT_TRUE(seen.insert(r["dynamodb"]["Keys"]["pk"]["S"].GetString()).second);
    }
    it = d["NextShardIterator"].GetString();
    if (d["Records"].Size() == 1000) finished = false;
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kPerThread));
}

INSTANTIATE_TEST_SUITE_P(Storage, StreamsTest, ::testing::Values(true, false), StorageName);
INSTANTIATE_TEST_SUITE_P(Storage, PersistentStreamsTest, ::testing::Values(false), StorageName);

TEST(StreamsCodec, SequenceNumbersAndIterators) {
  EXPECT_EQ(streams::SeqText(42), "100000000000000000042");
  EXPECT_EQ(streams::ParseSeq("100000000000000000042"), 42u);
  EXPECT_FALSE(streams::ParseSeq("00000000000000000042"));
  EXPECT_FALSE(streams::ParseSeq("1000000000000000000x2"));
  std::string arn = streams::FormatStreamArn("us-east-1", "1", "tab", "2024-01-01T00:00:00.000");
  auto parsed = streams::ParseStreamArn(arn);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->table_name, "tab");
  EXPECT_EQ(parsed->label, "2024-01-01T00:00:00.000");
  auto it = streams::ParseIterator(streams::FormatIterator({arn, 7, 123456}));
  ASSERT_TRUE(it);
  EXPECT_EQ(it->arn, arn);
  EXPECT_EQ(it->position, 7u);
  EXPECT_EQ(it->issued_ms, 123456);
  EXPECT_FALSE(streams::ParseIterator(arn + "|1|zz"));
  EXPECT_DOUBLE_EQ(streams::LabelTime("1970-01-02T00:00:01.500"), 86401.5);
}

TEST(StreamsCodec, RecordRoundTrip) {
  streams::Record r;
  r.event = streams::EventName::kModify;
  r.view = streams::ViewType::kNewAndOldImages;
  r.by_service = true;
  r.created_ms = 1700000000123;
  r.event_id = streams::NewEventId();
  r.keys = {{"pk", AttributeValue::S("a")}};
  r.new_image = Item{{"pk", AttributeValue::S("a")}, {"n", AttributeValue::N("5")}};
  streams::Record back;
  ASSERT_TRUE(streams::DecodeRecord(streams::EncodeRecord(r), &back));
  EXPECT_EQ(back.event, r.event);
  EXPECT_EQ(back.view, r.view);
  EXPECT_TRUE(back.by_service);
  EXPECT_EQ(back.created_ms, r.created_ms);
  EXPECT_EQ(back.event_id, r.event_id);
  EXPECT_EQ(back.keys, r.keys);
  EXPECT_EQ(back.new_image, r.new_image);
  EXPECT_FALSE(back.old_image);
  EXPECT_FALSE(streams::DecodeRecord("garbage", &back));
}

TEST(StreamsCodec, IteratorVersionsAndShards) {
  std::string arn = streams::FormatStreamArn("us-east-1", "1", "tab", "2024-01-01T00:00:00.000");
  auto it = streams::ParseIterator(streams::FormatIterator({arn, 7, 123456, 5}));
  ASSERT_TRUE(it);
  EXPECT_EQ(it->shard_start, 5u);
  EXPECT_EQ(it->position, 7u);
  EXPECT_EQ(it->issued_ms, 123456);
  // Version 1 (before rotation): no shard start.
  auto v1 = streams::ParseIterator(arn + "|1|" + std::string(15, '0') + "7" + std::string(16, '0'));
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->position, 7u);
  EXPECT_EQ(v1->shard_start, 0u);
  EXPECT_FALSE(streams::ParseIterator(arn + "|3|" + std::string(48, '0')));
  EXPECT_FALSE(streams::ParseIterator(arn + "|2|" + std::string(32, '0')));

  std::vector<streams::Shard> shards{{1, 9, 1700000000000, 0}, {10, 0, 1700000001000, 1}};
  std::vector<streams::Shard> back;
  ASSERT_TRUE(streams::DecodeShards(streams::EncodeShards(shards), &back));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].start, 10u);
  EXPECT_EQ(back[0].end, 9u);
  EXPECT_EQ(back[1].created_ms, 1700000001000);
  EXPECT_EQ(back[1].parent, 1u);
  EXPECT_FALSE(streams::DecodeShards("1:2:3", &back));
  EXPECT_FALSE(streams::DecodeShards("1:2:3:4x", &back));

  streams::StreamMeta m;
  m.label = "1970-01-02T00:00:01.500";
  ASSERT_TRUE(streams::DecodeStreamMeta("4|2|NEW_IMAGE", &m));  // before rotation
  EXPECT_EQ(m.view, streams::ViewType::kNewImage);
  ASSERT_EQ(m.shards.size(), 1u);
  EXPECT_EQ(m.shards[0].start, 4u);
  EXPECT_EQ(m.shards[0].created_ms, 86401500);
  m.shards.push_back({20, 0, 86402000, 4});
  m.shards[0].end = 19;
  streams::StreamMeta again;
  ASSERT_TRUE(streams::DecodeStreamMeta(streams::EncodeStreamMeta(m), &again));
  EXPECT_EQ(again.trimmed_seq, 2u);
  ASSERT_EQ(again.shards.size(), 2u);
  EXPECT_EQ(again.shards[0].end, 19u);
  EXPECT_FALSE(streams::DecodeStreamMeta("4|2|NEW_IMAGE|", &again));  // no shards
  EXPECT_FALSE(streams::DecodeStreamMeta("x|2|NEW_IMAGE", &again));
}

}  // namespace
}  // namespace cruddur::ddb
