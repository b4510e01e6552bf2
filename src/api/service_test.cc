// The messaging services against a real in-memory engine and a SQLite users database.
#include "api/service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "api/api_test_env.h"
#include "api/cache.h"
#include "api/message_cache.h"
#include "api/stream_consumer.h"
#include "cruddur/uuid.h"

namespace cruddur::api {
namespace {

using testing::ApiEnv;
using V = std::vector<std::string>;

class ServiceTest : public ApiEnv {
 protected:
  Outcome<CreateMessageResult> Reply(const User& from, const std::string& group,
                                     const std::string& text) {
    CreateMessageRequest req;
    req.message_group_uuid = group;
    req.message = text;
    return service_->CreateMessage(from.cognito_user_id, req);
  }
};

TEST(Utf8LengthTest, CountsCodePointsNotBytes) {
  EXPECT_EQ(Utf8Length(""), 0u);
  EXPECT_EQ(Utf8Length("abc"), 3u);
  EXPECT_EQ(Utf8Length("\xc3\xa9t\xc3\xa9"), 3u);  // "été"
  EXPECT_EQ(Utf8Length("\xf0\x9f\x98\x80"), 1u);   // one emoji, four bytes
}

TEST(HandleTest, CharsetAndLength) {
  EXPECT_TRUE(IsValidHandle("andrewbrown"));
  EXPECT_TRUE(IsValidHandle("a.b-c_9"));
  EXPECT_FALSE(IsValidHandle(""));
  EXPECT_FALSE(IsValidHandle("has space"));
  EXPECT_FALSE(IsValidHandle("x'; DROP TABLE users; --"));
  EXPECT_FALSE(IsValidHandle(std::string(65, 'a')));
}

TEST_F(ServiceTest, NewConversationShowsForBothMembersWithTheFirstMessage) {
  std::string group = Start(andrew_, "londo", "Hello Londo");
  EXPECT_TRUE(IsUuid(group));
  auto mine = service_->MessageGroups(andrew_.cognito_user_id, "");
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine.value->items.size(), 1u);
  EXPECT_EQ(mine.value->items[0].message_group_uuid, group);
  EXPECT_EQ(mine.value->items[0].other.handle, "londo");
  EXPECT_EQ(mine.value->items[0].message, "Hello Londo");
  auto theirs = service_->MessageGroups(londo_.cognito_user_id, "");
  ASSERT_TRUE(theirs.ok());
  ASSERT_EQ(theirs.value->items.size(), 1u);
  EXPECT_EQ(theirs.value->items[0].other.handle, "andrewbrown");
  EXPECT_EQ(theirs.value->items[0].other.display_name, "Andrew Brown");

  auto messages = service_->Messages(londo_.cognito_user_id, group, "");
  ASSERT_TRUE(messages.ok());
  ASSERT_EQ(messages.value->items.size(), 1u);
  EXPECT_EQ(messages.value->items[0].sender.handle, "andrewbrown");
}

TEST_F(ServiceTest, ReplyReturnsTheMessageUuidAndAppearsInOrder) {
  std::string group = Start(andrew_, "londo", "one");
  auto r = Reply(londo_, group, "two");
  ASSERT_TRUE(r.ok()) << r.error.reason;
  ASSERT_TRUE(r.value->message.has_value());
  EXPECT_EQ(r.value->message_group_uuid, group);
  EXPECT_TRUE(IsUuid(r.value->message->message_uuid));
  EXPECT_NE(r.value->message->message_uuid, londo_.uuid);  // not the original's sender uuid
  EXPECT_EQ(r.value->message->sender.handle, "londo");
  ASSERT_TRUE(Reply(andrew_, group, "three").ok());
  auto messages = service_->Messages(andrew_.cognito_user_id, group, "");
  ASSERT_TRUE(messages.ok());
  std::vector<std::string> texts;
  for (const auto& m : messages.value->items) texts.push_back(m.message);
  EXPECT_EQ(texts, (V{"one", "two", "three"}));
}

TEST_F(ServiceTest, NewConversationWithAnExistingPartnerContinuesIt) {
  std::string first = Start(andrew_, "londo", "hi");
  std::string again = Start(londo_, "andrewbrown", "hi back");
  EXPECT_EQ(again, first);
  auto groups = service_->MessageGroups(andrew_.cognito_user_id, "");
  EXPECT_EQ(groups.value->items.size(), 1u);
  auto messages = service_->Messages(andrew_.cognito_user_id, first, "");
  EXPECT_EQ(messages.value->items.size(), 2u);
}

TEST_F(ServiceTest, NonMembersCanNeitherReadNorPost) {
  std::string group = Start(andrew_, "londo", "private");
  auto read = service_->Messages(bayko_.cognito_user_id, group, "");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error.status, 404);
  EXPECT_EQ(read.error.codes, std::vector<std::string>{"message_group_not_found"});
  auto post = Reply(bayko_, group, "let me in");
  ASSERT_FALSE(post.ok());
  EXPECT_EQ(post.error.status, 404);
  // Nothing was written.
  EXPECT_EQ(service_->Messages(andrew_.cognito_user_id, group, "").value->items.size(), 1u);
}

TEST_F(ServiceTest, UnknownAndMalformedGroupsAre404) {
  auto unknown =
      service_->Messages(andrew_.cognito_user_id, "5ae290ed-55d1-47a0-bc6d-fe2bc2700399", "");
  EXPECT_EQ(unknown.error.status, 404);
  auto junk = service_->Messages(andrew_.cognito_user_id, "GRP#x", "");
  EXPECT_EQ(junk.error.status, 404);
  auto reply = Reply(andrew_, "not-a-uuid", "x");
  EXPECT_EQ(reply.error.status, 404);
}

TEST_F(ServiceTest, EveryValidationErrorIsReported) {
  CreateMessageRequest update;
  update.message_group_uuid = "";
  auto u = service_->CreateMessage("", update);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error.status, 422);
  EXPECT_EQ(u.error.codes,
            (V{"message_group_uuid_blank", "cognito_user_id_blank", "message_blank"}));

  CreateMessageRequest create;
  create.message = std::string(1025, 'x');
  auto c = service_->CreateMessage(andrew_.cognito_user_id, create);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error.status, 422);
  EXPECT_EQ(c.error.codes, (V{"user_reciever_handle_blank", "message_exceed_max_chars"}));
}

TEST_F(ServiceTest, MessageLengthCountsCharacters) {
  std::string group = Start(andrew_, "londo", "start");
  std::string e_acute = "\xc3\xa9";
  std::string max;
  for (int i = 0; i < 1024; ++i) max += e_acute;  // 1024 characters, 2048 bytes
  EXPECT_TRUE(Reply(andrew_, group, max).ok());
  auto over = Reply(andrew_, group, max + "x");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error.codes, (V{"message_exceed_max_chars"}));
  auto blank = Reply(andrew_, group, "  \n\t");
  EXPECT_EQ(blank.error.codes, (V{"message_blank"}));
}

TEST_F(ServiceTest, UnknownReceiverSelfMessageAndUnknownSubject) {
  CreateMessageRequest req;
  req.message = "hello";
  req.handle = "nobody";
  auto unknown = service_->CreateMessage(andrew_.cognito_user_id, req);
  EXPECT_EQ(unknown.error.status, 422);
  EXPECT_EQ(unknown.error.codes, (V{"user_reciever_handle_not_found"}));
  req.handle = "bad handle!";
  EXPECT_EQ(service_->CreateMessage(andrew_.cognito_user_id, req).error.status, 422);
  req.handle = "andrewbrown";
  auto self = service_->CreateMessage(andrew_.cognito_user_id, req);
  EXPECT_EQ(self.error.status, 422);
  EXPECT_EQ(self.error.codes, (V{"user_reciever_handle_self"}));
  req.handle = "londo";
  auto stranger = service_->CreateMessage("sub-of-nobody", req);
  EXPECT_EQ(stranger.error.status, 403);
  EXPECT_EQ(service_->MessageGroups("sub-of-nobody", "").error.status, 403);
  // No conversation was created by any of these.
  EXPECT_TRUE(service_->MessageGroups(andrew_.cognito_user_id, "").value->items.empty());
}

TEST_F(ServiceTest, SubjectLookupsAreCachedForTheTtlOnly) {
  auto now = std::chrono::steady_clock::now();
  UserCacheOptions options;
  options.ttl = std::chrono::seconds(10);
  options.now = [&] { return now; };
  MessagingService service(*store_, *users_, nullptr, options);
  ASSERT_TRUE(service.MessageGroups(andrew_.cognito_user_id, "").ok());
  EXPECT_EQ(service.cached_users(), 1u);
  // The sub is given to someone else: the cached answer lasts until the TTL, no longer.
  ASSERT_TRUE(users_->UpdateCognitoUserId("andrewbrown", "sub-andrew-2"));
  now += std::chrono::seconds(9);
  EXPECT_TRUE(service.MessageGroups(andrew_.cognito_user_id, "").ok());
  now += std::chrono::seconds(1);
  EXPECT_EQ(service.MessageGroups(andrew_.cognito_user_id, "").error.status, 403);
  EXPECT_TRUE(service.MessageGroups("sub-andrew-2", "").ok());
  // Unknown subjects are not cached: a user who appears is served at once.
  EXPECT_EQ(service.MessageGroups("sub-late", "").error.status, 403);
  ASSERT_TRUE(users_->UpdateCognitoUserId("bayko", "sub-late"));
  EXPECT_TRUE(service.MessageGroups("sub-late", "").ok());
  // ForgetUsers() drops everything at once.
  ASSERT_TRUE(users_->UpdateCognitoUserId("bayko", "sub-later"));
  EXPECT_TRUE(service.MessageGroups("sub-late", "").ok());
  service.ForgetUsers();
  EXPECT_EQ(service.cached_users(), 0u);
  EXPECT_EQ(service.MessageGroups("sub-late", "").error.status, 403);
}

TEST_F(ServiceTest, SubjectCacheIsBoundedAndCanBeDisabled) {
  UserCacheOptions options;
  options.max_entries = 2;
  MessagingService service(*store_, *users_, nullptr, options);
  for (const User* u : {&andrew_, &bayko_, &londo_, &andrew_, &bayko_}) {
    auto groups = service.MessageGroups(u->cognito_user_id, "");
    EXPECT_TRUE(groups.ok()) << groups.error.reason;
    EXPECT_LE(service.cached_users(), 2u);
  }
  UserCacheOptions off;
  off.ttl = std::chrono::milliseconds(0);
  MessagingService uncached(*store_, *users_, nullptr, off);
  ASSERT_TRUE(uncached.MessageGroups(andrew_.cognito_user_id, "").ok());
  EXPECT_EQ(uncached.cached_users(), 0u);
  ASSERT_TRUE(users_->UpdateCognitoUserId("andrewbrown", "sub-other"));
  EXPECT_EQ(uncached.MessageGroups(andrew_.cognito_user_id, "").error.status, 403);
}

TEST_F(ServiceTest, UsersShort) {
  auto u = service_->UsersShort("londo");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u.value->uuid, londo_.uuid);
  EXPECT_EQ(u.value->display_name, "Londo Mollari");
  EXPECT_EQ(service_->UsersShort("nobody").error.status, 404);
  EXPECT_EQ(service_->UsersShort("../etc").error.status, 400);
}

TEST_F(ServiceTest, MessagesAndGroupsPageWithCursors) {
  std::string group = Start(andrew_, "londo", "m0");
  for (int i = 1; i < 25; ++i)
    ASSERT_TRUE(Reply(i % 2 ? londo_ : andrew_, group, "m" + std::to_string(i)).ok());
  auto first = service_->Messages(andrew_.cognito_user_id, group, "", 10);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.value->items.front().message, "m15");
  EXPECT_EQ(first.value->items.back().message, "m24");
  std::vector<std::string> all;
  std::string cursor;
  do {
    auto page = service_->Messages(andrew_.cognito_user_id, group, cursor, 10);
    ASSERT_TRUE(page.ok());
    for (auto it = page.value->items.rbegin(); it != page.value->items.rend(); ++it) {
      all.push_back(it->message);
    }
    cursor = page.value->next_cursor;
  } while (!cursor.empty());
  ASSERT_EQ(all.size(), 25u);
  EXPECT_EQ(all.front(), "m24");
  EXPECT_EQ(all.back(), "m0");
  EXPECT_EQ(service_->Messages(andrew_.cognito_user_id, group, "***", 10).error.status, 400);

  // Conversations: andrew with londo and bayko; one per page.
  Start(andrew_, "bayko", "hi bayko");
  auto p1 = service_->MessageGroups(andrew_.cognito_user_id, "", 1);
  ASSERT_TRUE(p1.ok());
  ASSERT_EQ(p1.value->items.size(), 1u);
  ASSERT_FALSE(p1.value->next_cursor.empty());
  auto p2 = service_->MessageGroups(andrew_.cognito_user_id, p1.value->next_cursor, 1);
  ASSERT_TRUE(p2.ok());
  ASSERT_EQ(p2.value->items.size(), 1u);
  EXPECT_NE(p2.value->items[0].message_group_uuid, p1.value->items[0].message_group_uuid);
}

TEST_F(ServiceTest, OldConversationsAreNotHiddenByAYearFilter) {
  // A conversation whose last message is years old still lists and reads.
  std::string group = "0b8e6c1e-57a4-4b7f-9d8e-7a9a8f1b2c3d";
  UserRef a{andrew_.uuid, andrew_.display_name, andrew_.handle};
  UserRef l{londo_.uuid, londo_.display_name, londo_.handle};
  auto grp = [&](const UserRef& owner, const UserRef& other) {
    return ddb::Item{{"pk", ddb::AttributeValue::S("GRP#" + owner.uuid)},
                     {"sk", ddb::AttributeValue::S("2019-03-01T10:00:00.000000Z")},
                     {"message_group_uuid", ddb::AttributeValue::S(group)},
                     {"message", ddb::AttributeValue::S("long ago")},
                     {"user_uuid", ddb::AttributeValue::S(other.uuid)},
                     {"user_display_name", ddb::AttributeValue::S(other.display_name)},
                     {"user_handle", ddb::AttributeValue::S(other.handle)}};
  };
  store_->PutRaw(grp(a, l));
  store_->PutRaw(grp(l, a));
  store_->PutRaw({{"pk", ddb::AttributeValue::S("MSG#" + group)},
                  {"sk", ddb::AttributeValue::S("2019-03-01T10:00:00.000000Z")},
                  {"message_uuid", ddb::AttributeValue::S("9b8e6c1e-57a4-4b7f-9d8e-7a9a8f1b2c3d")},
                  {"message", ddb::AttributeValue::S("long ago")},
                  {"user_uuid", ddb::AttributeValue::S(a.uuid)},
                  {"user_display_name", ddb::AttributeValue::S(a.display_name)},
                  {"user_handle", ddb::AttributeValue::S(a.handle)}});
  auto groups = service_->MessageGroups(londo_.cognito_user_id, "");
  ASSERT_EQ(groups.value->items.size(), 1u);
  auto messages = service_->Messages(londo_.cognito_user_id, group, "");
  ASSERT_TRUE(messages.ok());
  EXPECT_EQ(messages.value->items.size(), 1u);
}

// --- with a cache ---

// A MemoryCache that can be made to fail like an unreachable Redis.
class FlakyCache : public MemoryCache {
 public:
  std::atomic<bool> down{false};
  void Check() {
    if (down.load()) throw CacheUnavailable("test: cache down");
  }
  std::optional<std::string> Get(const std::string& k) override {
    Check();
    return MemoryCache::Get(k);
  }
  void Set(const std::string& k, const std::string& v, std::chrono::seconds ttl) override {
    Check();
    MemoryCache::Set(k, v, ttl);
  }
  void Delete(const std::vector<std::string>& keys) override {
    Check();
    MemoryCache::Delete(keys);
  }
  bool CountUnread(const std::string& u, const std::string& g, const std::string& t) override {
    Check();
    return MemoryCache::CountUnread(u, g, t);
  }
  void ResetUnread(const std::string& u, const std::string& g, const std::string& t) override {
    Check();
    MemoryCache::ResetUnread(u, g, t);
  }
  std::map<std::string, std::int64_t> Unread(const std::string& u) override {
    Check();
    return MemoryCache::Unread(u);
  }
};

class CachedServiceTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    MessageCacheOptions o;
    o.log = [this](const std::string& line) { logs_.push_back(line); };
    message_cache_ = std::make_unique<MessageCache>(cache_, *store_, o);
    service_ = std::make_unique<MessagingService>(*store_, *users_, message_cache_.get());
  }
  // What the stream consumer does in `cruddur serve`: apply new messages, tell the cache.
  int Consume(CheckpointStore& checkpoints) {
    StreamConsumerOptions o;
    o.log = [](const std::string&) {};
    o.on_message = [this](const std::string& g, const std::string& t, const std::string& s) {
      message_cache_->MessageApplied(g, t, s);
    };
    StreamConsumer consumer(*client_, *store_, checkpoints, o);
    return consumer.PollOnce();
  }
  std::vector<std::string> Texts(const User& reader, const std::string& group) {
    auto page = service_->Messages(reader.cognito_user_id, group, "");
    EXPECT_TRUE(page.ok()) << page.error.reason;
    std::vector<std::string> out;
    if (page.ok()) {
      for (const auto& m : page.value->items) out.push_back(m.message);
    }
    return out;
  }
  std::string LastText(const User& user) {
    auto page = service_->MessageGroups(user.cognito_user_id, "");
    EXPECT_TRUE(page.ok());
    return page.ok() && !page.value->items.empty() ? page.value->items[0].message : "";
  }
  std::int64_t UnreadOf(const User& user, const std::string& group = "") {
    auto out = service_->Unread(user.cognito_user_id);
    EXPECT_TRUE(out.ok());
    if (!out.ok()) return -1;
    if (group.empty()) return out.value->total;
    auto it = out.value->groups.find(group);
    return it == out.value->groups.end() ? 0 : it->second;
  }

  FlakyCache cache_;
  std::unique_ptr<MessageCache> message_cache_;
  MemoryCheckpointStore checkpoints_;
  std::vector<std::string> logs_;
};

TEST_F(CachedServiceTest, SecondReadIsServedFromTheCacheUntilInvalidated) {
  std::string group = Start(andrew_, "londo", "one");
  EXPECT_EQ(Texts(londo_, group), V({"one"}));
  auto hits = message_cache_->hits();
  // Written behind the service's back (no invalidation): the cached page is still served...
  store_->CreateMessage(group, {andrew_.uuid, andrew_.display_name, andrew_.handle}, "behind");
  EXPECT_EQ(Texts(londo_, group), V({"one"}));
  EXPECT_GT(message_cache_->hits(), hits);
  EXPECT_TRUE(cache_.Get(message_cache_->MessagesKey(group)).has_value());
  // ...until a write through the service invalidates it.
  ASSERT_TRUE(Reply(londo_, group, "three").ok());
  EXPECT_EQ(Texts(londo_, group), V({"one", "behind", "three"}));
  EXPECT_EQ(Texts(andrew_, group), V({"one", "behind", "three"}));

  // The list, the same way.
  EXPECT_EQ(LastText(andrew_), "one");
  store_->ApplyMessage(group, NowTimestamp(), "moved behind");
  EXPECT_EQ(LastText(andrew_), "one");
  message_cache_->MessageWritten(group);
  EXPECT_EQ(LastText(andrew_), "moved behind");
}

TEST_F(CachedServiceTest, OnlyTheFirstDefaultPageIsCached) {
  std::string group = Start(andrew_, "londo", "m0");
  for (int i = 1; i < 25; ++i) ASSERT_TRUE(Reply(andrew_, group, "m" + std::to_string(i)).ok());
  auto first = service_->Messages(londo_.cognito_user_id, group, "");
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first.value->items.size(), 20u);
  ASSERT_FALSE(first.value->next_cursor.empty());
  auto again = service_->Messages(londo_.cognito_user_id, group, "");
  EXPECT_EQ(again.value->next_cursor, first.value->next_cursor);  // the cursor survives caching
  auto second = service_->Messages(londo_.cognito_user_id, group, first.value->next_cursor);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second.value->items.size(), 5u);
  auto five = service_->Messages(londo_.cognito_user_id, group, "", 5);
  ASSERT_TRUE(five.ok());
  EXPECT_EQ(five.value->items.size(), 5u);
  EXPECT_EQ(five.value->items.back().message, "m24");
}

TEST_F(CachedServiceTest, NonMembersGet404EvenWithAWarmCache) {
  std::string group = Start(andrew_, "londo", "private");
  EXPECT_EQ(Texts(andrew_, group), V({"private"}));
  EXPECT_EQ(Texts(andrew_, group), V({"private"}));  // warm: page and members cached
  auto read = service_->Messages(bayko_.cognito_user_id, group, "");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error.status, 404);
  auto post = Reply(bayko_, group, "let me in");
  ASSERT_FALSE(post.ok());
  EXPECT_EQ(post.error.status, 404);
  EXPECT_EQ(Texts(andrew_, group), V({"private"}));
  // An unknown group is not cached as "no members" forever.
  std::string unknown = NewUuidV4();
  EXPECT_EQ(service_->Messages(andrew_.cognito_user_id, unknown, "").error.status, 404);
  EXPECT_FALSE(cache_.Get(message_cache_->MembersKey(unknown)).has_value());
}

TEST_F(CachedServiceTest, TheStreamConsumerInvalidatesForOtherWriters) {
  std::string group = Start(andrew_, "londo", "first");
  Consume(checkpoints_);
  EXPECT_EQ(LastText(londo_), "first");
  EXPECT_EQ(Texts(londo_, group), V({"first"}));
  // Another process writes (the store directly): this one learns it from the stream only.
  store_->CreateMessage(group, {andrew_.uuid, andrew_.display_name, andrew_.handle}, "second");
  EXPECT_EQ(LastText(londo_), "first");
  EXPECT_GE(Consume(checkpoints_), 1);
  EXPECT_EQ(LastText(londo_), "second");
  EXPECT_EQ(LastText(andrew_), "second");
  EXPECT_EQ(Texts(londo_, group), V({"first", "second"}));
}

TEST_F(CachedServiceTest, UnreadCountsForTheReceiverAndResetsOnRead) {
  std::string group = Start(andrew_, "londo", "one");
  Consume(checkpoints_);
  EXPECT_EQ(UnreadOf(londo_), 1);
  EXPECT_EQ(UnreadOf(londo_, group), 1);
  EXPECT_EQ(UnreadOf(andrew_), 0);  // the sender's own message
  ASSERT_TRUE(Reply(andrew_, group, "two").ok());
  ASSERT_TRUE(Reply(andrew_, group, "three").ok());
  std::string other = Start(bayko_, "londo", "hi from bayko");
  Consume(checkpoints_);
  EXPECT_EQ(UnreadOf(londo_, group), 3);
  EXPECT_EQ(UnreadOf(londo_, other), 1);
  EXPECT_EQ(UnreadOf(londo_), 4);

  EXPECT_EQ(Texts(londo_, group).size(), 3u);  // reading resets this conversation only
  EXPECT_EQ(UnreadOf(londo_, group), 0);
  EXPECT_EQ(UnreadOf(londo_), 1);
  // New messages count again.
  ASSERT_TRUE(Reply(andrew_, group, "four").ok());
  Consume(checkpoints_);
  EXPECT_EQ(UnreadOf(londo_, group), 1);
  // The reply of the reader does not count for the reader, but does for the other member.
  ASSERT_TRUE(Reply(londo_, group, "five").ok());
  Consume(checkpoints_);
  EXPECT_EQ(UnreadOf(londo_, group), 1);
  EXPECT_EQ(UnreadOf(andrew_, group), 1);
}

TEST_F(CachedServiceTest, AReplayedStreamDoesNotCountTwice) {
  std::string group = Start(andrew_, "londo", "one");
  ASSERT_TRUE(Reply(andrew_, group, "two").ok());
  Consume(checkpoints_);
  EXPECT_EQ(UnreadOf(londo_), 2);
  MemoryCheckpointStore fresh;  // a consumer that lost its checkpoint re-reads everything
  EXPECT_GE(Consume(fresh), 2);
  EXPECT_EQ(UnreadOf(londo_), 2);
  Texts(londo_, group);
  EXPECT_EQ(UnreadOf(londo_), 0);
  MemoryCheckpointStore fresh_again;
  Consume(fresh_again);
  EXPECT_EQ(UnreadOf(londo_), 0);
}

TEST_F(CachedServiceTest, MessagesReadBeforeTheConsumerCountedThemStayRead) {
  std::string group = Start(andrew_, "londo", "one");
  EXPECT_EQ(Texts(londo_, group), V({"one"}));  // read before the consumer ran
  Consume(checkpoints_);
  EXPECT_EQ(UnreadOf(londo_), 0);
}

TEST_F(CachedServiceTest, AnUnavailableCacheFallsBackToTheStoreAndNeverServesStaleData) {
  std::string group = Start(andrew_, "londo", "one");
  EXPECT_EQ(Texts(londo_, group), V({"one"}));  // cached
  cache_.down = true;
  EXPECT_EQ(Texts(londo_, group), V({"one"}));     // from the store
  ASSERT_TRUE(Reply(andrew_, group, "two").ok());  // its invalidation fails
  EXPECT_EQ(Texts(londo_, group), V({"one", "two"}));
  EXPECT_EQ(LastText(andrew_), "one");
  auto counter = service_->Unread(londo_.cognito_user_id);
  ASSERT_TRUE(counter.ok());  // zero, not an error
  EXPECT_EQ(counter.value->total, 0);
  EXPECT_EQ(logs_.size(), 1u) << "logged once per outage";

  // Back: the stale page still in the cache is deleted before anything is read from it.
  EXPECT_TRUE(cache_.MemoryCache::Get(message_cache_->MessagesKey(group)).has_value());
  cache_.down = false;
  EXPECT_EQ(Texts(londo_, group), V({"one", "two"}));
  EXPECT_EQ(logs_.size(), 2u);
  EXPECT_NE(logs_.back().find("available again"), std::string::npos);
}

}  // namespace
}  // namespace cruddur::api
