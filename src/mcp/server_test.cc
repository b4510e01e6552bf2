#include "mcp/server.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cruddur::mcp {
namespace {

// Records every call and answers from a script: the table "missing" does not exist.
class FakeClient : public client::DynamoDbClient {
 public:
  std::string Call(std::string_view operation, std::string_view request_json) override {
    calls.emplace_back(std::string(operation) + " " + std::string(request_json));
    if (request_json.find("\"missing\"") != std::string_view::npos) {
      throw ddb::ApiError(400, "ResourceNotFoundException", "Requested resource not found");
    }
    if (operation == "ListTables") return R"({"TableNames":["cruddur-messages","t"]})";
    if (operation == "DescribeTable") {
      return R"({"Table":{"TableName":"x","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"ItemCount":3}})";
    }
    return "{}";
  }
  std::vector<std::string> calls;
};

ddb::JsonDocument ParseAnswer(const std::optional<std::string>& answer) {
  EXPECT_TRUE(answer.has_value());
  ddb::JsonDocument d;
  d.Parse(answer ? answer->c_str() : "null");
  EXPECT_FALSE(d.HasParseError()) << *answer;
  return d;
}

int ErrorCode(const std::optional<std::string>& answer) {
  ddb::JsonDocument d = ParseAnswer(answer);
  return d.HasMember("error") ? d["error"]["code"].GetInt() : 0;
}

std::string Request(int id, const std::string& method, const std::string& params = "{}") {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" + method +
         R"(","params":)" + params + "}";
}

class McpServerTest : public ::testing::Test {
 protected:
  FakeClient ddb_;
  Server server_{ddb_, ServerOptions{}};
};

TEST_F(McpServerTest, MalformedMessagesGetJsonRpcErrors) {
  EXPECT_EQ(ErrorCode(server_.Handle("{not json")), kParseError);
  EXPECT_EQ(ErrorCode(server_.Handle("[1,2]")), kInvalidRequest);
  EXPECT_EQ(ErrorCode(server_.Handle(R"({"jsonrpc":"1.0","id":1,"method":"ping"})")),
            kInvalidRequest);
  EXPECT_EQ(ErrorCode(server_.Handle(R"({"jsonrpc":"2.0","id":{},"method":"ping"})")),
            kInvalidRequest);
  EXPECT_EQ(ErrorCode(server_.Handle(Request(1, "frob"))), kMethodNotFound);
  EXPECT_EQ(ErrorCode(server_.Handle(Request(1, "tools/call", "[]"))), kInvalidParams);
}

TEST_F(McpServerTest, ErrorsCarryTheRequestId) {
  ddb::JsonDocument d = ParseAnswer(server_.Handle(R"({"jsonrpc":"2.0","id":"a-7","method":"x"})"));
  EXPECT_STREQ(d["id"].GetString(), "a-7");
}

TEST_F(McpServerTest, NotificationsAndResponsesAreNotAnswered) {
  EXPECT_FALSE(server_.Handle(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
  EXPECT_FALSE(server_.Handle(R"({"jsonrpc":"2.0","id":5,"result":{}})"));
  EXPECT_TRUE(ddb_.calls.empty());
}

TEST_F(McpServerTest, InitializeAnswersTheClientsVersionWhenSupported) {
  for (std::string version : {"2024-11-05", "2025-03-26", "2025-06-18"}) {
    ddb::JsonDocument d = ParseAnswer(
        server_.Handle(Request(1, "initialize", R"({"protocolVersion":")" + version + "\"}")));
    EXPECT_EQ(d["result"]["protocolVersion"].GetString(), version);
    EXPECT_TRUE(d["result"]["capabilities"].HasMember("tools"));
  }
  ddb::JsonDocument d =
      ParseAnswer(server_.Handle(Request(1, "initialize", R"({"protocolVersion":"1999-01-01"})")));
  EXPECT_STREQ(d["result"]["protocolVersion"].GetString(), "2025-06-18");
}

TEST_F(McpServerTest, ToolArgumentsGoToTheOperationAsTheRequest) {
  ddb::JsonDocument d = ParseAnswer(server_.Handle(
      Request(2, "tools/call",
              R"({"name":"put_item","arguments":{"TableName":"t","Item":{"pk":{"S":"a"}}}})")));
  ASSERT_EQ(ddb_.calls.size(), 1u);
  EXPECT_EQ(ddb_.calls[0], R"(PutItem {"TableName":"t","Item":{"pk":{"S":"a"}}})");
  EXPECT_STREQ(d["result"]["content"][0]["text"].GetString(), "{}");
  EXPECT_FALSE(d["result"].HasMember("isError"));
}

TEST_F(McpServerTest, DynamoDbErrorsAreToolResultsWithIsError) {
  ddb::JsonDocument d = ParseAnswer(server_.Handle(Request(
      3, "tools/call", R"({"name":"describe_table","arguments":{"TableName":"missing"}})")));
  EXPECT_TRUE(d["result"]["isError"].GetBool());
  EXPECT_STREQ(
      d["result"]["content"][0]["text"].GetString(),
      R"({"__type":"ResourceNotFoundException","message":"Requested resource not found"})");
  EXPECT_EQ(ErrorCode(server_.Handle(Request(4, "tools/call", R"({"name":"drop_everything"})"))),
            kInvalidParams);
}

TEST_F(McpServerTest, ReadOnlyHidesAndRefusesWrites) {
  FakeClient fake;
  Server read_only(fake, ServerOptions{.read_only = true});
  ddb::JsonDocument all = ParseAnswer(server_.Handle(Request(1, "tools/list")));
  ddb::JsonDocument some = ParseAnswer(read_only.Handle(Request(1, "tools/list")));
  EXPECT_EQ(all["result"]["tools"].Size(), 10u);
  EXPECT_EQ(some["result"]["tools"].Size(), 7u);
  EXPECT_EQ(ErrorCode(read_only.Handle(Request(2, "tools/call", R"({"name":"delete_item"})"))),
            kInvalidParams);
  ddb::JsonDocument insert = ParseAnswer(read_only.Handle(Request(
      3, "tools/call",
      R"({"name":"execute_partiql","arguments":{"Statement":"  insert INTO t VALUE {'a':1}"}})")));
  EXPECT_TRUE(insert["result"]["isError"].GetBool());
  EXPECT_TRUE(fake.calls.empty());
  read_only.Handle(
      Request(4, "tools/call",
              R"({"name":"execute_partiql","arguments":{"Statement":"select * from t"}})"));
  ASSERT_EQ(fake.calls.size(), 1u);
  EXPECT_EQ(fake.calls[0].rfind("ExecuteStatement ", 0), 0u);
}

TEST_F(McpServerTest, ResourcesDescribeTablesAndTheMessagePatterns) {
  ddb::JsonDocument list = ParseAnswer(server_.Handle(Request(1, "resources/list")));
  ASSERT_EQ(list["result"]["resources"].Size(), 2u);
  EXPECT_STREQ(list["result"]["resources"][0]["uri"].GetString(),
               "dynamodb://table/cruddur-messages");
  ddb::JsonDocument read = ParseAnswer(server_.Handle(
      Request(2, "resources/read", R"({"uri":"dynamodb://table/cruddur-messages"})")));
  ddb::JsonDocument model;
  model.Parse(read["result"]["contents"][0]["text"].GetString());
  EXPECT_EQ(model["AccessPatterns"].Size(), 4u);
  EXPECT_EQ(model["ItemCount"].GetInt(), 3);
  ddb::JsonDocument other =
      ParseAnswer(server_.Handle(Request(3, "resources/read", R"({"uri":"dynamodb://table/t"})")));
  model.Parse(other["result"]["contents"][0]["text"].GetString());
  EXPECT_FALSE(model.HasMember("AccessPatterns"));
  EXPECT_EQ(ErrorCode(server_.Handle(
                Request(4, "resources/read", R"({"uri":"dynamodb://table/missing"})"))),
            kResourceNotFound);
  EXPECT_EQ(ErrorCode(server_.Handle(Request(5, "resources/read", R"({"uri":"file:///etc"})"))),
            kResourceNotFound);
}

http::Request Post(const std::string& body, const std::string& auth,
                   const std::string& session = "") {
  http::Request request;
  request.method = "POST";
  request.target = "/mcp";
  request.body = body;
  if (!auth.empty()) request.headers.Add("Authorization", auth);
  if (!session.empty()) request.headers.Add("Mcp-Session-Id", session);
  return request;
}

TEST_F(McpServerTest, HttpNeedsTheBearerTokenAndASession) {
  const std::string token = "secret-token";
  std::string init = Request(1, "initialize", R"({"protocolVersion":"2025-06-18"})");
  EXPECT_EQ(server_.HandleHttp(Post(init, ""), token).status, 401);
  EXPECT_EQ(server_.HandleHttp(Post(init, "Bearer secret-tokeX"), token).status, 401);
  EXPECT_EQ(server_.HandleHttp(Post(init, "Basic secret-token"), token).status, 401);
  http::Response ok = server_.HandleHttp(Post(init, "Bearer secret-token"), token);
  ASSERT_EQ(ok.status, 200);
  std::string session(ok.headers.Get("Mcp-Session-Id"));
  ASSERT_FALSE(session.empty());
  std::string list = Request(2, "tools/list");
  EXPECT_EQ(server_.HandleHttp(Post(list, "Bearer secret-token"), token).status, 400);
  EXPECT_EQ(server_.HandleHttp(Post(list, "Bearer secret-token", "other"), token).status, 404);
  EXPECT_EQ(server_.HandleHttp(Post(list, "Bearer secret-token", session), token).status, 200);
  EXPECT_EQ(server_
                .HandleHttp(Post(R"({"jsonrpc":"2.0","method":"notifications/initialized"})",
                                 "Bearer secret-token", session),
                            token)
                .status,
            202);
  http::Request get = Post("", "Bearer secret-token", session);
  get.method = "GET";
  EXPECT_EQ(server_.HandleHttp(get, token).status, 405);
  http::Request end = Post("", "Bearer secret-token", session);
  end.method = "DELETE";
  EXPECT_EQ(server_.HandleHttp(end, token).status, 200);
  EXPECT_EQ(server_.HandleHttp(Post(list, "Bearer secret-token", session), token).status, 404);
}

}  // namespace
}  // namespace cruddur::mcp
