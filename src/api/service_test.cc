// The messaging services against a real in-memory engine and a SQLite users database.
#include "api/service.h"

#include <gtest/gtest.h>

#include "api/api_test_env.h"
#include "cruddur/uuid.h"

namespace cruddur::api {
namespace {

using testing::ApiEnv;
using V = std::vector<std::string>;

class ServiceTest : public ApiEnv {
 protected:
  // A new conversation from `from` to `to_handle`; returns its uuid.
  std::string Start(const User& from, const std::string& to_handle, const std::string& text) {
    CreateMessageRequest req;
    req.handle = to_handle;
    req.message = text;
    auto out = service_->CreateMessage(from.cognito_user_id, req);
    EXPECT_TRUE(out.ok()) << out.error.reason;
    return out.ok() ? out.value->message_group_uuid : "";
  }
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

}  // namespace
}  // namespace cruddur::api
