// The messaging access patterns against a real in-memory engine (through the in-process client).
#include "cruddur/messages.h"

#include <gtest/gtest.h>

#include "cruddur/seed.h"
#include "ddb/engine.h"
#include "ddb/error.h"

namespace cruddur {
namespace {

class MessagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ddb::EngineOptions options;
    options.in_memory = true;
    options.ttl_sweep_interval = std::chrono::milliseconds(0);
    engine_ = ddb::Engine::Open(options);
    client_ = std::make_unique<client::InProcessClient>(*engine_);
    store_ = std::make_unique<MessageStore>(*client_);
    store_->CreateTable();
  }

  std::unique_ptr<ddb::Engine> engine_;
  std::unique_ptr<client::InProcessClient> client_;
  std::unique_ptr<MessageStore> store_;
  UserRef andrew_{"11111111-1111-4111-8111-111111111111", "Andrew Brown", "andrewbrown"};
  UserRef bayko_{"22222222-2222-4222-8222-222222222222", "Andrew Bayko", "bayko"};
  UserRef londo_{"33333333-3333-4333-8333-333333333333", "Londo Mollari", "londo"};
};

TEST(TimestampTest, FixedWidthAndSortable) {
  using namespace std::chrono;
  auto t =
      sys_days{year{2023} / 3 / 20} + hours{22} + minutes{52} + seconds{11} + microseconds{123456};
  EXPECT_EQ(FormatTimestamp(t), "2023-03-20T22:52:11.123456Z");
  EXPECT_LT(FormatTimestamp(t), FormatTimestamp(t + microseconds{1}));
  EXPECT_EQ(FormatTimestamp(sys_days{year{2024} / 1 / 1}), "2024-01-01T00:00:00.000000Z");
}

TEST_F(MessagesTest, SeedThenReadNewestPageInOrderAndPageBack) {
  SeedResult seeded = Seed(*client_, store_->table(), andrew_, bayko_, {});
  const long n = static_cast<long>(SeedConversation().size());
  ASSERT_EQ(seeded.messages, n);

  auto page = store_->ListMessages(std::string(kSeedGroupUuid), {});
  ASSERT_EQ(page.items.size(), 20u);
  // Reading order: oldest of the newest twenty first, the last line of the script last.
  EXPECT_EQ(page.items.back().message, SeedConversation().back());
  EXPECT_EQ(page.items.front().message, SeedConversation()[n - 20]);
  for (size_t i = 1; i < page.items.size(); ++i) {
    EXPECT_LT(page.items[i - 1].created_at, page.items[i].created_at);
  }
  EXPECT_EQ(page.items.back().sender.handle, n % 2 == 0 ? "bayko" : "andrewbrown");

  // Paging back reaches every message exactly once, and no timestamp lies in the future.
  long seen = static_cast<long>(page.items.size());
  std::string cursor = page.next_cursor;
  while (!cursor.empty()) {
    auto older = store_->ListMessages(std::string(kSeedGroupUuid), {.cursor = cursor});
    ASSERT_FALSE(older.items.empty());
    EXPECT_LT(older.items.back().created_at, page.items.front().created_at);
    seen += static_cast<long>(older.items.size());
    page = older;
    cursor = older.next_cursor;
  }
  EXPECT_EQ(seen, n);
  EXPECT_EQ(page.items.front().message, SeedConversation().front());
}

TEST_F(MessagesTest, FiltersBySinceYearAndBefore) {
  Seed(*client_, store_->table(), andrew_, bayko_, {});
  auto all = store_->ListMessages(std::string(kSeedGroupUuid), {.limit = 100});
  ASSERT_EQ(all.items.size(), 100u);
  const std::string& pivot = all.items[50].created_at;
  auto since = store_->ListMessages(std::string(kSeedGroupUuid), {.since = pivot, .limit = 100});
  ASSERT_EQ(since.items.size(), 50u);
  EXPECT_EQ(since.items.front().created_at, pivot);
  EXPECT_TRUE(since.next_cursor.empty());
  auto before = store_->ListMessages(std::string(kSeedGroupUuid), {.before = pivot, .limit = 5});
  ASSERT_EQ(before.items.size(), 5u);
  EXPECT_EQ(before.items.back().created_at, all.items[49].created_at);
  auto year = store_->ListMessages(std::string(kSeedGroupUuid), {.year = "1999"});
  EXPECT_TRUE(year.items.empty());
  EXPECT_THROW(store_->ListMessages(std::string(kSeedGroupUuid), {.year = "99"}),
               std::invalid_argument);
  EXPECT_THROW(store_->ListMessages(std::string(kSeedGroupUuid), {.cursor = "%%%"}),
               std::invalid_argument);
}

TEST_F(MessagesTest, NewConversationReplyAndPatternD) {
  std::string group = store_->CreateMessageGroup(andrew_, londo_, "Hello Londo");
  EXPECT_EQ(store_->Members(group), (std::vector<std::string>{andrew_.uuid, londo_.uuid}));
  EXPECT_EQ(store_->FindConversation(andrew_.uuid, londo_.uuid), group);
  EXPECT_EQ(store_->FindConversation(londo_.uuid, andrew_.uuid), group);
  EXPECT_FALSE(store_->FindConversation(andrew_.uuid, bayko_.uuid));
  auto londo_groups = store_->ListMessageGroups(londo_.uuid, "");
  ASSERT_EQ(londo_groups.items.size(), 1u);
  EXPECT_EQ(londo_groups.items[0].other.handle, "andrewbrown");
  EXPECT_EQ(londo_groups.items[0].message, "Hello Londo");

  Message reply = store_->CreateMessage(group, londo_, "Greetings");
  Message later = store_->CreateMessage(group, andrew_, "How are you?");
  auto messages = store_->ListMessages(group, {});
  ASSERT_EQ(messages.items.size(), 3u);
  EXPECT_EQ(messages.items[1].message, "Greetings");
  EXPECT_EQ(messages.items[2].sender.handle, "andrewbrown");

  // Pattern D, newest first, then an older one (must not win), then the same one again.
  EXPECT_EQ(store_->ApplyMessage(group, later.created_at, later.message), 2);
  EXPECT_EQ(store_->ApplyMessage(group, reply.created_at, reply.message), 0);
  EXPECT_EQ(store_->ApplyMessage(group, later.created_at, later.message), 0);
  for (const auto* user : {&andrew_, &londo_}) {
    auto g = store_->FindGroup(user->uuid, group);
    ASSERT_TRUE(g);
    EXPECT_EQ(g->message, "How are you?");
    EXPECT_EQ(g->created_at, later.created_at);
  }
  EXPECT_FALSE(store_->FindGroup(bayko_.uuid, group));
  // Still one group item per member (moved, not copied).
  EXPECT_EQ(store_->ListMessageGroups(andrew_.uuid, "").items.size(), 1u);
}

TEST_F(MessagesTest, SameMicrosecondMessagesDoNotOverwrite) {
  std::string group = store_->CreateMessageGroup(andrew_, bayko_, "first");
  for (int i = 0; i < 50; ++i) store_->CreateMessage(group, andrew_, "m" + std::to_string(i));
  auto page = store_->ListMessages(group, {.limit = 100});
  EXPECT_EQ(page.items.size(), 51u);
}

TEST_F(MessagesTest, LargeSeedSpreadsOverGroups) {
  long last_done = 0;
  SeedResult r = Seed(*client_, store_->table(), andrew_, bayko_,
                      {.total_messages = 1000, .progress = [&](long done, long total) {
                         EXPECT_EQ(total, 1000);
                         EXPECT_GE(done, last_done);
                         last_done = done;
                       }});
  EXPECT_EQ(r.messages, 1000);
  EXPECT_EQ(last_done, 1000);
  EXPECT_GT(r.groups, 9);
}

}  // namespace
}  // namespace cruddur
