// Pattern D through the real stream consumer: against the embedded engine (in-process client)
// and against the DynamoDB wire endpoint over HTTP.
#include "api/stream_consumer.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <thread>

#include "api/api_test_env.h"
#include "http/server.h"
#include "wire/dynamodb_handler.h"

namespace cruddur::api {
namespace {

using testing::ApiEnv;

class StreamConsumerTest : public ApiEnv {
 protected:
  StreamConsumerOptions Quiet() {
    StreamConsumerOptions o;
    o.log = [this](const std::string& line) { logs_.push_back(line); };
    o.idle_backoff = std::chrono::milliseconds(10);
    o.error_backoff = std::chrono::milliseconds(10);
    return o;
  }
  void Reply(const User& from, const std::string& group, const std::string& text) {
    CreateMessageRequest req;
    req.message_group_uuid = group;
    req.message = text;
    ASSERT_TRUE(service_->CreateMessage(from.cognito_user_id, req).ok());
  }
  // The group as `user` lists it.
  MessageGroup GroupOf(const User& user) {
    auto page = service_->MessageGroups(user.cognito_user_id, "");
    EXPECT_TRUE(page.ok());
    EXPECT_EQ(page.value->items.size(), 1u);
    return page.value->items.empty() ? MessageGroup{} : page.value->items[0];
  }
  std::string LastMessageTime(const User& user, const std::string& group) {
    auto page = service_->Messages(user.cognito_user_id, group, "");
    return page.value->items.back().created_at;
  }

  std::vector<std::string> logs_;
};

TEST(CheckpointTest, JsonRoundTripAndAtomicFile) {
  StreamCheckpoint c{"arn:aws:dynamodb:us-east-1:0:table/t/stream/x",
                     {{"shardId-1", {"100000000000000000042", false}}, {"shardId-0", {"", true}}}};
  StreamCheckpoint back = CheckpointFromJson(CheckpointToJson(c));
  EXPECT_EQ(back.stream_arn, c.stream_arn);
  EXPECT_EQ(back.shards["shardId-1"].sequence_number, "100000000000000000042");
  EXPECT_TRUE(back.shards["shardId-0"].finished);
  EXPECT_THROW(CheckpointFromJson("{"), std::runtime_error);

  testing::TempDir dir;
  FileCheckpointStore file(dir.path() / "stream-checkpoint.json");
  EXPECT_TRUE(file.Load().stream_arn.empty());  // missing file: start from the beginning
  file.Save(c);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "stream-checkpoint.json.tmp"));
  EXPECT_EQ(FileCheckpointStore(file.path()).Load().shards.size(), 2u);
  std::ofstream(file.path()) << "garbage";
  EXPECT_THROW(file.Load(), std::runtime_error);
}

TEST(CheckpointTest, OneConsumerHoldsTheLockAndIsNamedToTheNext) {
  testing::TempDir dir;
  const auto path = dir.path() / "stream-checkpoint.json";
  auto first = std::make_unique<FileCheckpointStore>(path);
  first->Lock("cruddur serve");
  std::ifstream in(first->lock_path());
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, std::to_string(::getpid()) + " cruddur serve\n");

  FileCheckpointStore second(path);
  try {
    second.Lock("cruddur stream-worker");
    ADD_FAILURE() << "a second consumer took the held checkpoint";
  } catch (const CheckpointLockedError& e) {
    const std::string holder = "process " + std::to_string(::getpid()) + " (cruddur serve)";
    EXPECT_EQ(e.holder(), holder);
    EXPECT_EQ(std::string(e.what()),
              "the stream checkpoint " + path.string() + " is in use by " + holder);
  }
  first.reset();  // released with its store (and by the kernel when a process dies)
  second.Lock("cruddur stream-worker");
  EXPECT_THROW(FileCheckpointStore(path).Lock("x"), CheckpointLockedError);
}

TEST_F(StreamConsumerTest, GroupItemsFollowTheNewestMessageForBothMembers) {
  std::string group = Start(andrew_, "londo", "first");
  Reply(londo_, group, "second");
  Reply(andrew_, group, "third");
  // Before the consumer runs, the group items still show the first message.
  EXPECT_EQ(GroupOf(londo_).message, "first");

  MemoryCheckpointStore checkpoints;
  StreamConsumer consumer(*client_, *store_, checkpoints, Quiet());
  // 3 puts of the new conversation + 2 replies, then the moves the consumer made itself
  // (REMOVE + INSERT of group items), which it reads and ignores.
  EXPECT_GE(consumer.PollOnce(), 5);
  EXPECT_EQ(consumer.stats().messages, 3u);
  EXPECT_EQ(GroupOf(londo_).message, "third");
  EXPECT_EQ(GroupOf(andrew_).message, "third");
  EXPECT_EQ(GroupOf(andrew_).created_at, LastMessageTime(andrew_, group));
  EXPECT_EQ(GroupOf(andrew_).other.handle, "londo");  // the rest of the item is kept

  EXPECT_EQ(consumer.PollOnce(), 0);  // caught up
  EXPECT_EQ(consumer.stats().messages, 3u);
  EXPECT_FALSE(checkpoints.Load().shards.begin()->second.sequence_number.empty());
}

TEST_F(StreamConsumerTest, AnOlderMessageNeverOverwritesANewerOne) {
  std::string group = Start(andrew_, "londo", "first");
  Reply(londo_, group, "newest");
  MemoryCheckpointStore checkpoints;
  StreamConsumer consumer(*client_, *store_, checkpoints, Quiet());
  consumer.PollOnce();
  std::string newest = GroupOf(andrew_).created_at;
  // Replaying an older message (a repeat, or out-of-order delivery) changes nothing.
  EXPECT_EQ(store_->ApplyMessage(group, "2020-01-01T00:00:00.000000Z", "old"), 0);
  EXPECT_EQ(store_->ApplyMessage(group, newest, "newest"), 0);
  EXPECT_EQ(GroupOf(andrew_).message, "newest");
  // A fresh consumer with no checkpoint re-reads everything: still the newest.
  MemoryCheckpointStore empty;
  StreamConsumer again(*client_, *store_, empty, Quiet());
  again.PollOnce();
  EXPECT_EQ(GroupOf(londo_).message, "newest");
  EXPECT_EQ(GroupOf(londo_).created_at, newest);
}

TEST_F(StreamConsumerTest, RestartMidStreamResumesAfterTheCheckpoint) {
  std::string group = Start(andrew_, "bayko", "m0");
  for (int i = 1; i < 10; ++i) Reply(i % 2 ? bayko_ : andrew_, group, "m" + std::to_string(i));
  // 3 records for the new conversation + 9 replies.
  const std::filesystem::path path = dir_.path() / "stream-checkpoint.json";
  {
    FileCheckpointStore checkpoints(path);
    StreamConsumer first(*client_, *store_, checkpoints, Quiet());
    EXPECT_EQ(first.PollOnce(5), 5);  // stop after 5 records
  }
  StreamCheckpoint saved = FileCheckpointStore(path).Load();
  ASSERT_EQ(saved.shards.size(), 1u);
  std::string after_first = saved.shards.begin()->second.sequence_number;
  ASSERT_FALSE(after_first.empty());
  EXPECT_EQ(GroupOf(bayko_).message, "m2");  // the messages among the first 5 records

  FileCheckpointStore checkpoints(path);
  StreamConsumer second(*client_, *store_, checkpoints, Quiet());
  // Exactly the 7 remaining message records first (nothing repeated, nothing skipped).
  EXPECT_EQ(second.PollOnce(7), 7);
  EXPECT_EQ(second.stats().messages, 7u);
  EXPECT_EQ(GroupOf(bayko_).message, "m9");
  EXPECT_EQ(GroupOf(andrew_).message, "m9");
  EXPECT_GT(FileCheckpointStore(path).Load().shards.begin()->second.sequence_number, after_first);
}

TEST_F(StreamConsumerTest, BackgroundThreadKeepsUpAndStopsCleanly) {
  MemoryCheckpointStore checkpoints;
  StreamConsumer consumer(*client_, *store_, checkpoints, Quiet());
  consumer.Start();
  std::string group = Start(andrew_, "londo", "a");
  Reply(londo_, group, "b");
  Reply(andrew_, group, "c");
  for (int i = 0; i < 500 && GroupOf(londo_).message != "c"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(GroupOf(londo_).message, "c");
  consumer.Stop();
  consumer.Stop();  // idempotent
  EXPECT_EQ(consumer.stats().errors, 0u);
}

TEST_F(StreamConsumerTest, FollowsANewStreamAfterTheOldShardCloses) {
  MemoryCheckpointStore checkpoints;
  StreamConsumerOptions options = Quiet();
  options.topology_refresh = std::chrono::milliseconds(0);  // re-read the stream every poll
  StreamConsumer consumer(*client_, *store_, checkpoints, options);
  std::string group = Start(andrew_, "londo", "before");
  consumer.PollOnce();
  std::string old_arn = checkpoints.Load().stream_arn;
  const std::string table = store_->table();
  client_->Call("UpdateTable", R"({"TableName":")" + table +
                                   R"(","StreamSpecification":{"StreamEnabled":false}})");
  client_->Call("UpdateTable", R"({"TableName":")" + table +
                                   R"(","StreamSpecification":{"StreamEnabled":true,)"
                                   R"("StreamViewType":"NEW_IMAGE"}})");
  Reply(londo_, group, "after");
  consumer.PollOnce();
  EXPECT_NE(checkpoints.Load().stream_arn, old_arn);
  EXPECT_EQ(GroupOf(andrew_).message, "after");
  EXPECT_EQ(consumer.stats().errors, 0u);
}

// With the engine's shards rotating every 3 records, the consumer reads each closed shard to its
// end, then its child (found with ShardFilter), and applies every message exactly once — also
// across a restart from its checkpoint in the middle of the lineage.
class RotatingStreamConsumerTest : public StreamConsumerTest {
 protected:
  RotatingStreamConsumerTest() { engine_options_.stream_shard_max_records = 3; }
  size_t ShardCount() {
    std::string arn = checkpoints_.Load().stream_arn;
    std::string out = client_->Call("Streams.DescribeStream", R"({"StreamArn":")" + arn + R"("})");
    size_t n = 0;
    for (size_t at = out.find("\"ShardId\""); at != std::string::npos;
         at = out.find("\"ShardId\"", at + 1)) {
      ++n;
    }
    return n;
  }
  MemoryCheckpointStore checkpoints_;
};

TEST_F(RotatingStreamConsumerTest, FollowsShardsAcrossRotationsApplyingEachMessageOnce) {
  std::string group = Start(andrew_, "bayko", "m0");
  std::uint64_t applied = 0;
  {
    StreamConsumer first(*client_, *store_, checkpoints_, Quiet());
    first.PollOnce();
    for (int i = 1; i < 12; ++i) Reply(i % 2 ? bayko_ : andrew_, group, "m" + std::to_string(i));
    first.PollOnce(7);  // stops in the middle of the lineage
    applied = first.stats().messages;
  }
  EXPECT_GT(ShardCount(), 5u);  // 12 messages, their group-item moves: many rotations
  StreamConsumer second(*client_, *store_, checkpoints_, Quiet());
  for (int i = 1; i < 4; ++i) Reply(andrew_, group, "late" + std::to_string(i));
  while (second.PollOnce() > 0) {
  }
  applied += second.stats().messages;
  EXPECT_EQ(applied, 15u);  // m0..m11 and late1..late3, none twice
  EXPECT_EQ(GroupOf(bayko_).message, "late3");
  EXPECT_EQ(second.stats().errors, 0u);
  StreamCheckpoint saved = checkpoints_.Load();
  EXPECT_EQ(saved.shards.size(), ShardCount());  // one entry per listed shard
  size_t finished = 0;
  for (const auto& [id, shard] : saved.shards) finished += shard.finished ? 1 : 0;
  EXPECT_EQ(finished, saved.shards.size() - 1);  // all but the open one
}

// A server without ShardFilter (DynamoDB Local, older emulators) refuses it: the consumer then
// lists every shard on its next poll, and still reads each child after its parent.
class NoShardFilterClient : public client::DynamoDbClient {
 public:
  explicit NoShardFilterClient(client::DynamoDbClient& inner) : inner_(inner) {}
  std::string Call(std::string_view operation, std::string_view request_json) override {
    if (request_json.find("ShardFilter") != std::string_view::npos) {
      ++refused;
      throw ddb::ApiError::Validation("Unexpected field ShardFilter");
    }
    return inner_.Call(operation, request_json);
  }
  int refused = 0;

 private:
  client::DynamoDbClient& inner_;
};

TEST_F(RotatingStreamConsumerTest, ListsEveryShardWhenShardFilterIsRefused) {
  NoShardFilterClient old_server(*client_);
  StreamConsumerOptions options = Quiet();
  options.topology_refresh = std::chrono::hours(1);  // only the fallback lists the shards again
  StreamConsumer consumer(old_server, *store_, checkpoints_, options);
  std::string group = Start(andrew_, "bayko", "m0");
  consumer.PollOnce();  // lists the shards there are now
  for (int i = 1; i < 6; ++i) Reply(bayko_, group, "m" + std::to_string(i));
  for (int poll = 0; poll < 20 && GroupOf(andrew_).message != "m5"; ++poll) consumer.PollOnce();
  EXPECT_EQ(GroupOf(andrew_).message, "m5");
  EXPECT_EQ(consumer.stats().messages, 6u);
  EXPECT_GT(old_server.refused, 0);
  EXPECT_EQ(consumer.stats().errors, 0u);
}

TEST_F(StreamConsumerTest, WaitsQuietlyForATableWithoutAStream) {
  MessageStore other(*client_, "no-such-table");
  MemoryCheckpointStore checkpoints;
  StreamConsumer consumer(*client_, other, checkpoints, Quiet());
  EXPECT_EQ(consumer.PollOnce(), 0);
}

TEST_F(StreamConsumerTest, ReadsTheStreamOverTheWireProtocol) {
  // The same engine served over HTTP, as `cruddur ddb serve` does; writes and the consumer go
  // through the HTTP client.
  wire::DynamoDbHandler handler(*engine_);
  http::ServerOptions options;
  options.threads = 2;
  handler.Configure(options);
  http::Server server(options, handler.AsHandler());
  server.Start();
  client::HttpClient http("http://127.0.0.1:" + std::to_string(server.port()), "us-east-1",
                          {"AKIDTEST", "secret", ""});
  MessageStore remote_store(http);
  MessagingService remote(remote_store, *users_);

  CreateMessageRequest req;
  req.handle = "londo";
  req.message = "over http";
  auto created = remote.CreateMessage(andrew_.cognito_user_id, req);
  ASSERT_TRUE(created.ok());
  CreateMessageRequest reply;
  reply.message_group_uuid = created.value->message_group_uuid;
  reply.message = "reply over http";
  ASSERT_TRUE(remote.CreateMessage(londo_.cognito_user_id, reply).ok());

  MemoryCheckpointStore checkpoints;
  StreamConsumer consumer(http, remote_store, checkpoints, Quiet());
  EXPECT_GE(consumer.PollOnce(), 4);
  EXPECT_EQ(consumer.stats().messages, 2u);
  auto groups = remote.MessageGroups(andrew_.cognito_user_id, "");
  ASSERT_EQ(groups.value->items.size(), 1u);
  EXPECT_EQ(groups.value->items[0].message, "reply over http");
  server.Stop();
}

}  // namespace
}  // namespace cruddur::api
