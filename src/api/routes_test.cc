// The HTTP routes, called as the server calls them (Routes::Handle), over the real service.
#include "api/routes.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>

#include "api/api_test_env.h"
#include "api/cache.h"
#include "api/message_cache.h"
#include "cruddur/uuid.h"

namespace cruddur::api {
namespace {

using testing::ApiEnv;

class RoutesTest : public ApiEnv {
 protected:
  void SetUp() override {
    ApiEnv::SetUp();
    RoutesOptions options;
    options.allowed_origins = {"http://localhost:3000/", "http://localhost:4567"};
    options.health_checks = {{"dynamodb", [this] { return healthy_ ? "" : "down"; }}};
    options.log = [](const std::string&) {};
    routes_ = std::make_unique<Routes>(*service_, auth_, options);
  }

  http::Response Send(const std::string& method, const std::string& target,
                      const std::string& token = "", const std::string& body = "",
                      const std::string& origin = "") {
    http::Request r;
    r.method = method;
    r.target = target;
    if (!token.empty()) r.headers.Add("Authorization", "Bearer " + token);
    if (!origin.empty()) r.headers.Add("Origin", origin);
    if (!body.empty()) r.headers.Add("Content-Type", "application/json");
    r.body = body;
    return routes_->Handle(r);
  }
  static rapidjson::Document Body(const http::Response& r) {
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    EXPECT_FALSE(d.HasParseError()) << r.body;
    return d;
  }
  // POSTs a new conversation; returns its uuid.
  std::string Start(const User& from, const std::string& handle, const std::string& text) {
    auto r = Send("POST", "/api/messages", from.cognito_user_id,
                  R"({"handle":")" + handle + R"(","message":")" + text + R"("})");
    EXPECT_EQ(r.status, 200) << r.body;
    auto d = Body(r);
    return d.IsObject() && d.HasMember("message_group_uuid") ? d["message_group_uuid"].GetString()
                                                             : "";
  }

  bool healthy_ = true;
  std::unique_ptr<Routes> routes_;
};

TEST_F(RoutesTest, ConversationRoundTripWithTheOriginalShapes) {
  std::string group = Start(andrew_, "londo", "Hello Londo");
  ASSERT_TRUE(IsUuid(group));

  auto groups = Send("GET", "/api/message_groups", londo_.cognito_user_id);
  ASSERT_EQ(groups.status, 200) << groups.body;
  EXPECT_EQ(groups.headers.Get("Content-Type"), "application/json");
  auto g = Body(groups);
  ASSERT_TRUE(g.IsArray());
  ASSERT_EQ(g.Size(), 1u);
  EXPECT_STREQ(g[0]["uuid"].GetString(), group.c_str());
  EXPECT_STREQ(g[0]["handle"].GetString(), "andrewbrown");
  EXPECT_STREQ(g[0]["display_name"].GetString(), "Andrew Brown");
  EXPECT_STREQ(g[0]["message"].GetString(), "Hello Londo");
  EXPECT_TRUE(g[0].HasMember("created_at"));
  EXPECT_EQ(g[0]["unread"].GetInt64(), 0);  // no cache in this fixture: nothing counted
  EXPECT_EQ(g[0].MemberCount(), 6u);
  EXPECT_FALSE(groups.headers.Has("X-Next-Cursor"));

  auto reply = Send("POST", "/api/messages", londo_.cognito_user_id,
                    R"({"message_group_uuid":")" + group + R"(","message":"Hi Andrew"})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto rb = Body(reply);
  EXPECT_STREQ(rb["message_group_uuid"].GetString(), group.c_str());
  EXPECT_TRUE(IsUuid(rb["uuid"].GetString()));
  EXPECT_NE(std::string(rb["uuid"].GetString()), londo_.uuid);
  EXPECT_STREQ(rb["handle"].GetString(), "londo");
  EXPECT_STREQ(rb["display_name"].GetString(), "Londo Mollari");
  EXPECT_STREQ(rb["message"].GetString(), "Hi Andrew");
  EXPECT_TRUE(rb.HasMember("created_at"));

  auto messages = Send("GET", "/api/messages/" + group, andrew_.cognito_user_id);
  ASSERT_EQ(messages.status, 200) << messages.body;
  auto m = Body(messages);
  ASSERT_TRUE(m.IsArray());
  ASSERT_EQ(m.Size(), 2u);
  EXPECT_STREQ(m[0]["message"].GetString(), "Hello Londo");
  EXPECT_STREQ(m[1]["message"].GetString(), "Hi Andrew");
  EXPECT_STREQ(m[1]["uuid"].GetString(), rb["uuid"].GetString());
  EXPECT_EQ(m[0].MemberCount(), 5u);

  // A HEAD is answered like the GET (the server drops the body).
  EXPECT_EQ(Send("HEAD", "/api/messages/" + group, andrew_.cognito_user_id).status, 200);
}

TEST_F(RoutesTest, EveryRouteButHealthNeedsAToken) {
  for (auto [method, target] : {std::pair{"GET", "/api/message_groups"},
                                {"GET", "/api/messages/5ae290ed-55d1-47a0-bc6d-fe2bc2700399"},
                                {"POST", "/api/messages"},
                                {"GET", "/api/users/@londo/short"}}) {
    auto none = Send(method, target, "", method == std::string("POST") ? "{" : "");
    EXPECT_EQ(none.status, 401) << target;
    EXPECT_TRUE(Body(none).HasMember("error")) << none.body;
    EXPECT_NE(none.headers.Get("WWW-Authenticate"), "");
    EXPECT_EQ(Send(method, target, "bad").status, 401) << target;
  }
  auto health = Send("GET", "/api/health");
  EXPECT_EQ(health.status, 200);
  auto h = Body(health);
  EXPECT_TRUE(h["success"].GetBool());
  EXPECT_STREQ(h["checks"]["dynamodb"].GetString(), "ok");
  healthy_ = false;
  EXPECT_EQ(Send("GET", "/api/health").status, 503);
}

TEST_F(RoutesTest, NonMembersGet404ForReadAndPost) {
  std::string group = Start(andrew_, "londo", "secret");
  auto read = Send("GET", "/api/messages/" + group, bayko_.cognito_user_id);
  EXPECT_EQ(read.status, 404);
  auto post = Send("POST", "/api/messages", bayko_.cognito_user_id,
                   R"({"message_group_uuid":")" + group + R"(","message":"intrude"})");
  EXPECT_EQ(post.status, 404);
  EXPECT_EQ(Body(Send("GET", "/api/message_groups", bayko_.cognito_user_id)).Size(), 0u);
  auto stranger = Send("GET", "/api/message_groups", "sub-nobody");
  EXPECT_EQ(stranger.status, 403);
  EXPECT_TRUE(Body(stranger).HasMember("error"));
}

TEST_F(RoutesTest, ValidationErrorsAre422ListsOfTheOriginalCodes) {
  auto r = Send("POST", "/api/messages", andrew_.cognito_user_id, R"({"message":""})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body, R"(["user_reciever_handle_blank","message_blank"])");
  r = Send("POST", "/api/messages", andrew_.cognito_user_id,
           R"({"message_group_uuid":"","message":")" + std::string(1025, 'x') + R"("})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body, R"(["message_group_uuid_blank","message_exceed_max_chars"])");
  r = Send("POST", "/api/messages", andrew_.cognito_user_id,
           R"({"handle":"nobody","message":"x"})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body, R"(["user_reciever_handle_not_found"])");
  r = Send("POST", "/api/messages", andrew_.cognito_user_id,
           R"({"handle":"andrewbrown","message":"me"})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body, R"(["user_reciever_handle_self"])");
}

TEST_F(RoutesTest, MalformedBodiesAre400) {
  for (const std::string& body :
       std::vector<std::string>{"", "{", "[1,2]", "\"text\"", R"({"message": 5, "handle":"londo"})",
                                R"({"message":"x","handle":["londo"]})", "{\"message\":\"\xff\"}",
                                std::string(100000, '[')}) {
    auto r = Send("POST", "/api/messages", andrew_.cognito_user_id, body);
    EXPECT_EQ(r.status, 400) << body.substr(0, 40) << " -> " << r.body;
    EXPECT_TRUE(Body(r).HasMember("error"));
  }
}

TEST_F(RoutesTest, PathParametersAreValidated) {
  EXPECT_EQ(Send("GET", "/api/messages/not-a-uuid", andrew_.cognito_user_id).status, 404);
  EXPECT_EQ(Send("GET", "/api/messages/%zz", andrew_.cognito_user_id).status, 400);
  EXPECT_EQ(
      Send("GET", "/api/messages/5ae290ed-55d1-47a0-bc6d-fe2bc2700399", andrew_.cognito_user_id)
          .status,
      404);
  auto user = Send("GET", "/api/users/@londo/short", andrew_.cognito_user_id);
  ASSERT_EQ(user.status, 200);
  auto u = Body(user);
  EXPECT_STREQ(u["uuid"].GetString(), londo_.uuid.c_str());
  EXPECT_STREQ(u["handle"].GetString(), "londo");
  EXPECT_STREQ(u["display_name"].GetString(), "Londo Mollari");
  EXPECT_EQ(u.MemberCount(), 3u);
  EXPECT_EQ(Send("GET", "/api/users/@nobody/short", andrew_.cognito_user_id).status, 404);
  EXPECT_EQ(Send("GET", "/api/users/@bad%20handle/short", andrew_.cognito_user_id).status, 400);
}

TEST_F(RoutesTest, UnknownRoutesAndMethods) {
  EXPECT_EQ(Send("GET", "/api/nothing", andrew_.cognito_user_id).status, 404);
  EXPECT_EQ(Send("GET", "/", andrew_.cognito_user_id).status, 404);
  auto r = Send("DELETE", "/api/messages", andrew_.cognito_user_id);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.Get("Allow"), "OPTIONS, POST");
  EXPECT_EQ(Send("POST", "/api/message_groups", andrew_.cognito_user_id, "{}").status, 405);
  EXPECT_EQ(Send("GET", "/api/messages", andrew_.cognito_user_id).status, 405);
  http::Request big;
  big.method = "POST";
  big.target = "/api/messages";
  EXPECT_EQ(routes_->TooLarge(big).status, 413);
}

// Every route of src/api/README.md's table (and routes.h), with a member's token: each resolves
// to its handler, and the route table holds exactly these patterns.
TEST_F(RoutesTest, EveryDocumentedRouteResolves) {
  std::string group = Start(andrew_, "londo", "Hello Londo");
  struct Documented {
    std::string_view pattern;
    std::string method, target, body;
  };
  const std::vector<Documented> documented = {
      {"/api/health", "GET", "/api/health", ""},
      {"/api/message_groups", "GET", "/api/message_groups?limit=5", ""},
      {"/api/messages", "POST", "/api/messages",
       R"({"message_group_uuid":")" + group + R"(","message":"again"})"},
      {"/api/messages/counter", "GET", "/api/messages/counter", ""},
      {"/api/messages/{group}", "GET", "/api/messages/" + group, ""},
      {"/api/users/@{handle}/short", "GET", "/api/users/@londo/short", ""},
  };
  std::vector<std::string_view> patterns;
  for (const auto& d : documented) {
    auto r = Send(d.method, d.target, andrew_.cognito_user_id, d.body);
    EXPECT_EQ(r.status, 200) << d.method << " " << d.target << " -> " << r.body;
    patterns.push_back(d.pattern);
  }
  auto table = Routes::RoutePatterns();
  std::sort(patterns.begin(), patterns.end());
  std::sort(table.begin(), table.end());
  EXPECT_EQ(table, patterns);
}

TEST_F(RoutesTest, PatternsMatchWholeSegmentsWithoutTrailingSlashes) {
  std::string group = Start(andrew_, "londo", "Hello Londo");
  const std::string& token = andrew_.cognito_user_id;
  for (const std::string& target : std::vector<std::string>{
           "/api/health/", "/api/message_groups/", "/api/messages/", "/api/messages/" + group + "/",
           "/api/messages/" + group + "/x", "/api/users/@/short", "/api/users/@londo/short/",
           "/api/users/@londo", "/api//message_groups", "/api/message_groupsx"}) {
    EXPECT_EQ(Send("GET", target, token).status, 404) << target;
    EXPECT_EQ(Send("OPTIONS", target).status, 404) << target;
  }
  // The handle runs up to "/short", so an encoded '/' in it is a bad handle, not another route.
  EXPECT_EQ(Send("GET", "/api/users/@lon%2Fdo/short", token).status, 400);
  // The counter is not taken for a group uuid; a percent-encoded path is decoded first.
  EXPECT_EQ(Send("GET", "/api/messages/%63ounter", token).status, 200);
  EXPECT_EQ(Send("GET", "/api/messages/" + group + "?limit=1&limit=x", token).status, 200);
  // Preflight and HEAD follow the route's method.
  for (auto [target, allow] : {std::pair{"/api/health", "OPTIONS, GET, HEAD"},
                               {"/api/messages", "OPTIONS, POST"},
                               {"/api/messages/counter", "OPTIONS, GET, HEAD"},
                               {"/api/users/@londo/short", "OPTIONS, GET, HEAD"}}) {
    auto pre = Send("OPTIONS", target);
    EXPECT_EQ(pre.status, 204) << target;
    EXPECT_EQ(pre.headers.Get("Allow"), allow) << target;
    auto wrong = Send("PUT", target, token);
    EXPECT_EQ(wrong.status, 405) << target;
    EXPECT_EQ(wrong.headers.Get("Allow"), allow) << target;
  }
  EXPECT_EQ(Send("HEAD", "/api/users/@londo/short", token).status, 200);
  EXPECT_EQ(Send("HEAD", "/api/messages", token).status, 405);
}

TEST_F(RoutesTest, CorsForTheConfiguredOriginsOnly) {
  auto pre = Send("OPTIONS", "/api/messages", "", "", "http://localhost:3000");
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(pre.headers.Get("Access-Control-Allow-Origin"), "http://localhost:3000");
  EXPECT_EQ(pre.headers.Get("Access-Control-Allow-Methods"), "OPTIONS, GET, HEAD, POST");
  EXPECT_EQ(pre.headers.Get("Access-Control-Allow-Headers"), "Authorization, Content-Type");
  auto get =
      Send("GET", "/api/message_groups", andrew_.cognito_user_id, "", "http://localhost:4567");
  EXPECT_EQ(get.headers.Get("Access-Control-Allow-Origin"), "http://localhost:4567");
  EXPECT_NE(get.headers.Get("Access-Control-Expose-Headers").find("X-Next-Cursor"),
            std::string::npos);
  auto evil = Send("OPTIONS", "/api/messages", "", "", "http://evil.example");
  EXPECT_FALSE(evil.headers.Has("Access-Control-Allow-Origin"));
  auto unauth = Send("GET", "/api/message_groups", "", "", "http://localhost:3000");
  EXPECT_EQ(unauth.status, 401);  // errors carry CORS too, so the page can read the reason
  EXPECT_EQ(unauth.headers.Get("Access-Control-Allow-Origin"), "http://localhost:3000");
}

TEST_F(RoutesTest, ListsPageWithTheNextCursorInAHeader) {
  std::string group = Start(andrew_, "londo", "m0");
  for (int i = 1; i < 5; ++i) {
    auto r = Send(
        "POST", "/api/messages", andrew_.cognito_user_id,
        R"({"message_group_uuid":")" + group + R"(","message":"m)" + std::to_string(i) + R"("})");
    ASSERT_EQ(r.status, 200);
  }
  std::vector<std::string> seen;
  std::string target = "/api/messages/" + group + "?limit=2";
  for (int pages = 0; pages < 10; ++pages) {
    auto r = Send("GET", target, andrew_.cognito_user_id);
    ASSERT_EQ(r.status, 200) << r.body;
    auto d = Body(r);
    for (int i = static_cast<int>(d.Size()) - 1; i >= 0; --i)
      seen.push_back(d[i]["message"].GetString());
    std::string next(r.headers.Get("X-Next-Cursor"));
    if (next.empty()) break;
    std::string link(r.headers.Get("Link"));
    ASSERT_EQ(link.rfind("</api/messages/" + group + "?cursor=", 0), 0u) << link;
    // Follow the Link header (its cursor is percent-encoded).
    target = link.substr(1, link.find('>') - 1) + "&limit=2";
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"m4", "m3", "m2", "m1", "m0"}));
  EXPECT_EQ(Send("GET", "/api/message_groups?limit=0", andrew_.cognito_user_id).status, 400);
  EXPECT_EQ(Send("GET", "/api/message_groups?cursor=%2A%2A", andrew_.cognito_user_id).status, 400);
}

class CachedRoutesTest : public RoutesTest {
 protected:
  void SetUp() override {
    RoutesTest::SetUp();
    message_cache_ = std::make_unique<MessageCache>(cache_, *store_);
    service_ = std::make_unique<MessagingService>(*store_, *users_, message_cache_.get());
    RoutesOptions options;
    options.log = [](const std::string&) {};
    routes_ = std::make_unique<Routes>(*service_, auth_, options);
  }
  MemoryCache cache_;
  std::unique_ptr<MessageCache> message_cache_;
};

TEST_F(CachedRoutesTest, CounterCountsUnreadMessagesAndListsShowThem) {
  auto empty = Send("GET", "/api/messages/counter", londo_.cognito_user_id);
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_EQ(empty.body, R"({"count":0,"groups":{}})");

  std::string group = Start(andrew_, "londo", "Hello Londo");
  auto page = service_->Messages(andrew_.cognito_user_id, group, "");
  ASSERT_TRUE(page.ok());
  // What the stream consumer reports for the message.
  message_cache_->MessageApplied(group, page.value->items[0].created_at, andrew_.uuid);

  auto counter = Send("GET", "/api/messages/counter", londo_.cognito_user_id);
  ASSERT_EQ(counter.status, 200);
  EXPECT_EQ(counter.body, R"({"count":1,"groups":{")" + group + R"(":1}})");
  EXPECT_EQ(Send("GET", "/api/messages/counter", andrew_.cognito_user_id).body,
            R"({"count":0,"groups":{}})");
  auto groups = Body(Send("GET", "/api/message_groups", londo_.cognito_user_id));
  ASSERT_EQ(groups.Size(), 1u);
  EXPECT_EQ(groups[0]["unread"].GetInt64(), 1);

  EXPECT_EQ(Send("GET", "/api/messages/" + group, londo_.cognito_user_id).status, 200);
  EXPECT_EQ(Send("GET", "/api/messages/counter", londo_.cognito_user_id).body,
            R"({"count":0,"groups":{}})");
  groups = Body(Send("GET", "/api/message_groups", londo_.cognito_user_id));
  EXPECT_EQ(groups[0]["unread"].GetInt64(), 0);

  EXPECT_EQ(Send("GET", "/api/messages/counter").status, 401);
  EXPECT_EQ(Send("POST", "/api/messages/counter", londo_.cognito_user_id).status, 405);
  EXPECT_EQ(Send("GET", "/api/messages/counter", "sub-nobody").status, 403);
}

}  // namespace
}  // namespace cruddur::api
