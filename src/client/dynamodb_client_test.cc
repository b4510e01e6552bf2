// Both transports through the one interface: the same calls must give the same answers, whether
// the engine runs in this process or behind the wire server. Retries are checked against a
// scripted fake server.
#include "client/dynamodb_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/crc.hpp>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include "http/server.h"
#include "http/server_test_util.h"
#include "testing/thrown_by.h"
#include "wire/dynamodb_handler.h"

namespace cruddur::client {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<ddb::Engine> MemoryEngine() {
  ddb::EngineOptions options;
  options.in_memory = true;
  return ddb::Engine::Open(options);
}

// The wire server over an in-memory engine, on 127.0.0.1 and a free port.
struct WireServer {
  explicit WireServer(wire::WireOptions options = {}) : engine(MemoryEngine()) {
    handler = std::make_unique<wire::DynamoDbHandler>(*engine, std::move(options));
    http::ServerOptions server_options = http::TestOptions();
    handler->Configure(server_options);
    server = std::make_unique<http::Server>(server_options, handler->AsHandler());
    server->Start();
  }
  ~WireServer() { server->Stop(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()); }

  std::unique_ptr<ddb::Engine> engine;
  std::unique_ptr<wire::DynamoDbHandler> handler;
  std::unique_ptr<http::Server> server;
};

const aws::Credentials kTestCredentials{"AKIDTEST", "test-secret", ""};

// The ApiError `call` throws; a test failure (and an empty error) when it throws none.
template <typename Call>
ddb::ApiError ApiErrorOf(Call&& call) {
  return test_util::ThrownBy(std::forward<Call>(call), ddb::ApiError(0, "", ""));
}

// One line per call: the response, or the error as type/status/message/extra.
std::string Outcome(DynamoDbClient& client, std::string_view op, std::string_view body) {
  try {
    std::string response = client.Call(op, body);
    // Times and the table's generated id are all that may differ between two engines.
    response =
        std::regex_replace(response, std::regex(R"re(("\w*DateTime"):[0-9.eE+-]+)re"), "$1:0");
    return std::regex_replace(response, std::regex(R"re(("TableId"):"[^"]*")re"), "$1:\"id\"");
  } catch (const ddb::ApiError& e) {
    return "error " + std::to_string(e.http_status()) + " " + e.type() + " [" + e.message() +
           "] {" + e.extra_json() + "}";
  }
}

std::vector<std::string> RunSequence(DynamoDbClient& client) {
  std::vector<std::string> out;
  auto call = [&](std::string_view op, std::string_view body) {
    out.push_back(Outcome(client, op, body));
  };
  call("CreateTable", R"j({"TableName":"messages","BillingMode":"PAY_PER_REQUEST",
    "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
                            {"AttributeName":"sk","AttributeType":"S"}],
    "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}]})j");
  call("PutItem", R"j({"TableName":"messages","Item":{"pk":{"S":"GRP#1"},"sk":{"S":"2023-01-01"},
    "message":{"S":"hello"},"n":{"N":"1.50"}}})j");
  call("PutItem", R"j({"TableName":"messages","Item":{"pk":{"S":"GRP#1"},"sk":{"S":"2023-01-02"},
    "message":{"S":"world \"quoted\" ünïcode"}}})j");
  call("GetItem",
       R"j({"TableName":"messages","Key":{"pk":{"S":"GRP#1"},"sk":{"S":"2023-01-01"}}})j");
  call("GetItem", R"j({"TableName":"messages","Key":{"pk":{"S":"GRP#1"},"sk":{"S":"missing"}}})j");
  call("Query", R"j({"TableName":"messages",
    "KeyConditionExpression":"pk = :pk AND begins_with(sk, :year)",
    "ExpressionAttributeValues":{":pk":{"S":"GRP#1"},":year":{"S":"2023"}}})j");
  // Errors: conditional check with the old item attached, validation, missing table, unknown op.
  call("PutItem", R"j({"TableName":"messages","Item":{"pk":{"S":"GRP#1"},"sk":{"S":"2023-01-01"}},
    "ConditionExpression":"attribute_not_exists(pk)",
    "ReturnValuesOnConditionCheckFailure":"ALL_OLD"})j");
  call("PutItem", R"j({"TableName":"messages","Item":{"pk":{"S":"GRP#1"}}})j");
  call("GetItem", R"j({"TableName":"nope","Key":{"pk":{"S":"x"},"sk":{"S":"y"}}})j");
  call("Frobnicate", R"j({})j");
  call("ListTables", R"j({})j");
  return out;
}

TEST(DynamoDbClient, BothTransportsAnswerTheSameSequenceAlike) {
  auto engine = MemoryEngine();
  InProcessClient in_process(*engine);
  std::vector<std::string> local = RunSequence(in_process);

  WireServer remote;
  HttpClient http(remote.url(), "us-east-1", kTestCredentials);
  std::vector<std::string> wire = RunSequence(http);

  ASSERT_EQ(local.size(), wire.size());
  for (std::size_t i = 0; i < local.size(); ++i) EXPECT_EQ(local[i], wire[i]) << "call " << i;

  // And the answers are the right ones.
  EXPECT_NE(local[0].find(R"("TableName":"messages")"), std::string::npos) << local[0];
  EXPECT_EQ(local[1], "{}");
  EXPECT_NE(local[3].find(R"("message":{"S":"hello"})"), std::string::npos) << local[3];
  EXPECT_EQ(local[4], "{}");
  EXPECT_NE(local[5].find(R"("Count":2)"), std::string::npos) << local[5];
  EXPECT_LT(local[5].find("2023-01-01"), local[5].find("2023-01-02"));  // sort key order
  EXPECT_EQ(local[6].rfind("error 400 ConditionalCheckFailedException [The conditional request "
                           "failed] {\"Item\":",
                           0),
            0u)
      << local[6];
  EXPECT_EQ(local[7].rfind("error 400 ValidationException [", 0), 0u) << local[7];
  EXPECT_EQ(local[8].rfind("error 400 ResourceNotFoundException [", 0), 0u) << local[8];
  EXPECT_EQ(local[9].rfind("error 400 UnknownOperationException", 0), 0u) << local[9];
  EXPECT_EQ(local[10], R"({"TableNames":["messages"]})");
}

TEST(DynamoDbClient, SignaturesAreVerifiedByAnAuthServer) {
  wire::WireOptions options;
  options.credentials = {{"AKIDTEST", "test-secret"}};
  WireServer server(options);

  HttpClient right(server.url(), "us-east-1", kTestCredentials);
  EXPECT_EQ(right.Call("ListTables", "{}"), R"({"TableNames":[]})");

  HttpClient wrong_secret(server.url(), "us-east-1", {"AKIDTEST", "not-the-secret", ""});
  ddb::ApiError e = ApiErrorOf([&] { wrong_secret.Call("ListTables", "{}"); });
  EXPECT_EQ(e.type(), "InvalidSignatureException");
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_NE(e.message().find("signature we calculated does not match"), std::string::npos)
      << e.message();

  HttpClient unknown_key(server.url(), "us-east-1", {"AKIDOTHER", "test-secret", ""});
  EXPECT_EQ(ApiErrorOf([&] { unknown_key.Call("ListTables", "{}"); }).type(),
            "UnrecognizedClientException");
}

// --- A scripted fake DynamoDB: answers from a list, then repeats the last answer. ---

std::string Crc32(std::string_view body) {
  boost::crc_32_type crc;
  crc.process_bytes(body.data(), body.size());
  return std::to_string(crc.checksum());
}

http::Response Answer(int status, std::string body, bool with_crc = true) {
  http::Response response;
  response.status = status;
  response.headers.Add("Content-Type", "application/x-amz-json-1.0");
  if (with_crc) response.headers.Add("x-amz-crc32", Crc32(body));
  response.body = std::move(body);
  return response;
}

http::Response ErrorAnswer(int status, std::string_view type, std::string_view message) {
  return Answer(status, R"({"__type":"com.amazonaws.dynamodb.v20120810#)" + std::string(type) +
                            R"(","message":")" + std::string(message) + R"("})");
}

class FakeDynamoDb {
 public:
  explicit FakeDynamoDb(std::vector<http::Response> script)
      : script_(std::move(script)),
        server_(http::TestOptions(), [this](const http::Request& r) { return Handle(r); }) {
    server_.Start();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  int calls() const { return calls_.load(); }
  std::vector<http::Request> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  http::Response Handle(const http::Request& request) {
    {
      std::lock_guard lock(mutex_);
      seen_.push_back(request);
    }
    std::size_t i = static_cast<std::size_t>(calls_++);
    return script_[std::min(i, script_.size() - 1)];
  }

  std::vector<http::Response> script_;
  std::atomic<int> calls_{0};
  mutable std::mutex mutex_;
  std::vector<http::Request> seen_;
  http::Server server_;  // last: stops before the members its handler uses go away
};

// Options whose sleeps are recorded instead of slept.
struct RecordingOptions {
  RecordingOptions() {
    options.sleep = [this](std::chrono::milliseconds d) { sleeps.push_back(d); };
  }
  HttpClientOptions options;
  std::vector<std::chrono::milliseconds> sleeps;
};

void ExpectFullJitter(const std::vector<std::chrono::milliseconds>& sleeps) {
  for (std::size_t i = 0; i < sleeps.size(); ++i) {
    EXPECT_GE(sleeps[i].count(), 0);
    EXPECT_LE(sleeps[i].count(), std::min<long long>(50LL << i, 20000)) << "retry " << i;
  }
}

TEST(HttpClientRequests, AreSignedJson10PostsWithTheOperationTarget) {
  FakeDynamoDb fake({Answer(200, "{}")});
  HttpClientOptions options;
  options.clock = [] { return std::chrono::system_clock::time_point(1440938160s); };
  HttpClient client(fake.url(), "us-west-2", {"AKIDTEST", "secret", "session-token"}, options);
  EXPECT_EQ(client.Call("ListTables", R"({"Limit":1})"), "{}");
  EXPECT_EQ(client.Call("Streams.GetRecords", R"({"ShardIterator":"x"})"), "{}");
  EXPECT_EQ(client.Call("Cruddur.DescribeTableStats", R"({"TableName":"t"})"), "{}");

  std::vector<http::Request> seen = fake.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/");
  EXPECT_EQ(seen[0].body, R"({"Limit":1})");
  EXPECT_EQ(seen[0].headers.Get("X-Amz-Target"), "DynamoDB_20120810.ListTables");
  EXPECT_EQ(seen[1].headers.Get("X-Amz-Target"), "DynamoDBStreams_20120810.GetRecords");
  EXPECT_EQ(seen[2].headers.Get("X-Amz-Target"), "Cruddur_20261203.DescribeTableStats");
  EXPECT_EQ(seen[0].headers.Get("Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(seen[0].headers.Get("X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(seen[0].headers.Get("X-Amz-Security-Token"), "session-token");
  std::string_view authorization = seen[0].headers.Get("Authorization");
  EXPECT_EQ(authorization.rfind(
                "AWS4-HMAC-SHA256 Credential=AKIDTEST/20150830/us-west-2/dynamodb/aws4_request, "
                "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "
                "Signature=",
                0),
            0u)
      << authorization;
}

TEST(HttpClientRetries, ServerErrorsAreRetriedThenSucceed) {
  FakeDynamoDb fake({ErrorAnswer(500, "InternalServerError", "Internal server error"),
                     Answer(503, "<html>busy</html>"), Answer(200, R"({"TableNames":[]})")});
  RecordingOptions recording;
  HttpClient client(fake.url(), "us-east-1", kTestCredentials, recording.options);
  EXPECT_EQ(client.Call("ListTables", "{}"), R"({"TableNames":[]})");
  EXPECT_EQ(fake.calls(), 3);
  EXPECT_EQ(recording.sleeps.size(), 2u);
  ExpectFullJitter(recording.sleeps);
}

TEST(HttpClientRetries, ServerErrorsGiveUpAfterThreeAttempts) {
  FakeDynamoDb fake({ErrorAnswer(500, "InternalServerError", "Internal server error")});
  RecordingOptions recording;
  HttpClient client(fake.url(), "us-east-1", kTestCredentials, recording.options);
  ddb::ApiError e = ApiErrorOf([&] { client.Call("ListTables", "{}"); });
  EXPECT_EQ(e.type(), "InternalServerError");
  EXPECT_EQ(e.http_status(), 500);
  EXPECT_EQ(e.message(), "Internal server error");
  EXPECT_EQ(fake.calls(), 3);
}

TEST(HttpClientRetries, ThrottlingIsRetriedUpToTenAttempts) {
  std::vector<http::Response> script(
      9, ErrorAnswer(400, "ProvisionedThroughputExceededException", "slow down"));
  script.push_back(Answer(200, "{}"));
  FakeDynamoDb fake(script);
  RecordingOptions recording;
  HttpClient client(fake.url(), "us-east-1", kTestCredentials, recording.options);
  EXPECT_EQ(client.Call("PutItem", "{}"), "{}");
  EXPECT_EQ(fake.calls(), 10);
  EXPECT_EQ(recording.sleeps.size(), 9u);
  ExpectFullJitter(recording.sleeps);
}

TEST(HttpClientRetries, EndlessThrottlingFailsWithTheServersError) {
  for (const char* type : {"ThrottlingException", "RequestLimitExceeded"}) {
    FakeDynamoDb fake({ErrorAnswer(400, type, "Rate exceeded")});
    RecordingOptions recording;
    HttpClient client(fake.url(), "us-east-1", kTestCredentials, recording.options);
    ddb::ApiError e = ApiErrorOf([&] { client.Call("Query", "{}"); });
    EXPECT_EQ(e.type(), type);
    EXPECT_EQ(e.message(), "Rate exceeded");
    EXPECT_EQ(fake.calls(), 10) << type;
  }
}

TEST(HttpClientRetries, ClientErrorsAreNeverRetried) {
  FakeDynamoDb fake({ErrorAnswer(400, "ValidationException",
                                 "One or more parameter values were "
                                 "invalid"),
                     Answer(200, "{}")});
  RecordingOptions recording;
  HttpClient client(fake.url(), "us-east-1", kTestCredentials, recording.options);
  EXPECT_THROW(client.Call("PutItem", "{}"), ddb::ApiError);
  EXPECT_EQ(fake.calls(), 1);
  EXPECT_TRUE(recording.sleeps.empty());
}

TEST(HttpClientRetries, EveryAttemptIsSignedAfresh) {
  FakeDynamoDb fake({ErrorAnswer(500, "InternalServerError", ""), Answer(200, "{}")});
  RecordingOptions recording;
  auto now = std::chrono::system_clock::time_point(1440938160s);
  recording.options.clock = [&now] { return now += 1s; };
  HttpClient client(fake.url(), "us-east-1", kTestCredentials, recording.options);
  client.Call("ListTables", "{}");
  std::vector<http::Request> seen = fake.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_NE(seen[0].headers.Get("X-Amz-Date"), seen[1].headers.Get("X-Amz-Date"));
  EXPECT_NE(seen[0].headers.Get("Authorization"), seen[1].headers.Get("Authorization"));
}

TEST(HttpClientRetries, Crc32MismatchIsRetriedThenATransportError) {
  http::Response corrupt = Answer(200, R"({"TableNames":[]})", false);
  corrupt.headers.Add("x-amz-crc32", "12345");
  FakeDynamoDb fake({corrupt});
  RecordingOptions recording;
  HttpClient client(fake.url(), "us-east-1", kTestCredentials, recording.options);
  http::TransportError e =
      test_util::ThrownBy([&] { client.Call("ListTables", "{}"); }, http::TransportError(""));
  EXPECT_NE(std::string(e.what()).find("x-amz-crc32"), std::string::npos) << e.what();
  EXPECT_EQ(fake.calls(), 3);

  FakeDynamoDb no_crc({Answer(200, "{}", false)});  // the header is optional
  HttpClient plain(no_crc.url(), "us-east-1", kTestCredentials, recording.options);
  EXPECT_EQ(plain.Call("ListTables", "{}"), "{}");
}

TEST(HttpClientRetries, ConnectionFailuresAreRetriedThenATransportError) {
  std::uint16_t port = http::ClosedPort();
  RecordingOptions recording;
  HttpClient client("http://127.0.0.1:" + std::to_string(port), "us-east-1", kTestCredentials,
                    recording.options);
  EXPECT_THROW(client.Call("ListTables", "{}"), http::TransportError);
  EXPECT_EQ(recording.sleeps.size(), 2u);  // three attempts
}

TEST(HttpClientRetries, RealSleepsStayWithinTheBackoffCap) {
  FakeDynamoDb fake({ErrorAnswer(500, "InternalServerError", ""), Answer(200, "{}")});
  HttpClient client(fake.url(), "us-east-1", kTestCredentials);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(client.Call("ListTables", "{}"), "{}");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);  // one sleep of at most 50 ms
}

// --- Error bodies ---

TEST(ErrorFromResponse, ReadsTypeMessageAndExtraMembers) {
  ddb::ApiError e = ErrorFromResponse(
      400, R"({"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
               "message":"Transaction cancelled","CancellationReasons":[{"Code":"None"}]})");
  EXPECT_EQ(e.http_status(), 400);
  EXPECT_EQ(e.type(), "TransactionCanceledException");
  EXPECT_EQ(e.message(), "Transaction cancelled");
  EXPECT_EQ(e.extra_json(), R"("CancellationReasons":[{"Code":"None"}])");

  ddb::ApiError serialization =
      ErrorFromResponse(400, R"({"__type":"com.amazon.coral.service#SerializationException",
                                 "Message":"Start of structure or map found where not expected."})");
  EXPECT_EQ(serialization.type(), "SerializationException");
  EXPECT_EQ(serialization.message(), "Start of structure or map found where not expected.");
  EXPECT_EQ(serialization.extra_json(), "");

  EXPECT_EQ(ErrorFromResponse(400, R"({"__type":"ValidationException"})").type(),
            "ValidationException");
}

TEST(ErrorFromResponse, NonJsonBodiesStillGiveAType) {
  ddb::ApiError unknown = ErrorFromResponse(404, "<UnknownOperationException/>\n");
  EXPECT_EQ(unknown.type(), "UnknownOperationException");
  EXPECT_EQ(unknown.http_status(), 404);
  ddb::ApiError gateway = ErrorFromResponse(502, "Bad Gateway");
  EXPECT_EQ(gateway.type(), "InternalServerError");
  EXPECT_EQ(gateway.message(), "HTTP 502: Bad Gateway");
  EXPECT_EQ(ErrorFromResponse(503, "").type(), "ServiceUnavailable");
  EXPECT_EQ(ErrorFromResponse(403, "{}").type(), "UnknownError");
}

TEST(ThrottlingErrors, AreRecognised) {
  EXPECT_TRUE(IsThrottlingError("ProvisionedThroughputExceededException"));
  EXPECT_TRUE(IsThrottlingError("ThrottlingException"));
  EXPECT_TRUE(IsThrottlingError("RequestLimitExceeded"));
  EXPECT_FALSE(IsThrottlingError("ValidationException"));
  EXPECT_FALSE(IsThrottlingError("ConditionalCheckFailedException"));
}

// A client that fails its first calls with the given errors, then answers.
class FlakyClient : public DynamoDbClient {
 public:
  explicit FlakyClient(std::vector<ddb::ApiError> errors) : errors_(std::move(errors)) {}
  std::string Call(std::string_view, std::string_view) override {
    if (calls_++ < errors_.size()) throw errors_[calls_ - 1];
    return "{}";
  }
  std::size_t calls_ = 0;

 private:
  std::vector<ddb::ApiError> errors_;
};

TEST(RetryingClient, RetriesServerErrorsAndThrottlingButNotClientErrors) {
  std::vector<std::chrono::milliseconds> sleeps;
  auto sleep = [&](std::chrono::milliseconds d) { sleeps.push_back(d); };
  FlakyClient flaky(
      {ddb::ApiError::InternalServer(), ddb::ApiError(400, "ThrottlingException", "slow down")});
  RetryingClient retrying(flaky, RetryPolicy{}, sleep);
  EXPECT_EQ(retrying.Call("PutItem", "{}"), "{}");
  EXPECT_EQ(flaky.calls_, 3u);
  EXPECT_EQ(sleeps.size(), 2u);

  FlakyClient refused({ddb::ApiError::ConditionalCheckFailed()});
  RetryingClient once(refused, RetryPolicy{}, sleep);
  EXPECT_THROW(once.Call("PutItem", "{}"), ddb::ApiError);
  EXPECT_EQ(refused.calls_, 1u);
}

// DynamoDB cancels a transaction whose table is out of capacity with TransactionCanceledException
// and ProvisionedThroughputExceeded reasons: retried like throttling. A condition failure among
// the reasons is the caller's to handle.
TEST(RetryingClient, RetriesATransactionCancelledOnlyForThrottling) {
  auto cancelled = [](std::string codes) {
    return ddb::ApiError(400, "TransactionCanceledException", "Transaction cancelled")
        .with_extra_json(R"("CancellationReasons":[)" + codes + "]");
  };
  auto sleep = [](std::chrono::milliseconds) {};
  FlakyClient throttled({cancelled(R"({"Code":"None"},{"Code":"ProvisionedThroughputExceeded"})"),
                         cancelled(R"({"Code":"ThrottlingError"})")});
  RetryingClient retrying(throttled, RetryPolicy{}, sleep);
  EXPECT_EQ(retrying.Call("TransactWriteItems", "{}"), "{}");
  EXPECT_EQ(throttled.calls_, 3u);

  FlakyClient conflict(
      {cancelled(R"({"Code":"ConditionalCheckFailed"},{"Code":"ProvisionedThroughputExceeded"})")});
  RetryingClient once(conflict, RetryPolicy{}, sleep);
  EXPECT_THROW(once.Call("TransactWriteItems", "{}"), ddb::ApiError);
  EXPECT_EQ(conflict.calls_, 1u);
}

// A dropped connection after several throttled attempts still gets its own retries.
TEST(RetryingClient, ThrottledAttemptsLeaveTransientRetriesIntact) {
  std::vector<ddb::ApiError> errors(8, ddb::ApiError(400, "ThrottlingException", "slow down"));
  errors.push_back(ddb::ApiError::InternalServer());
  FlakyClient flaky(errors);
  RetryingClient retrying(flaky, RetryPolicy{}, [](std::chrono::milliseconds) {});
  EXPECT_EQ(retrying.Call("PutItem", "{}"), "{}");
  EXPECT_EQ(flaky.calls_, 10u);
}

TEST(HttpClientRetries, AWriteWhoseAnswerIsDroppedIsRetriedAndDetectedByItsCondition) {
  wire::FaultInjector faults;
  wire::WireOptions options;
  options.faults = &faults;
  WireServer server(options);
  RecordingOptions recording;
  HttpClient client(server.url(), "us-east-1", kTestCredentials, recording.options);
  client.Call("CreateTable", R"j({"TableName":"msgs","BillingMode":"PAY_PER_REQUEST",
    "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
    "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}]})j");
  // The control API through the client ("CruddurFaults.<Op>").
  std::string rule =
      client.Call("CruddurFaults.AddFaultRule",
                  R"j({"Action":"DropAfterCommit","Operation":"PutItem","Count":1})j");
  EXPECT_NE(rule.find(R"("RuleId":"fault-1")"), std::string::npos) << rule;
  // The first attempt commits and its connection is reset; the retry meets its own write.
  try {
    client.Call("PutItem", R"j({"TableName":"msgs","Item":{"pk":{"S":"m1"},"v":{"S":"x"}},
      "ConditionExpression":"attribute_not_exists(pk)",
      "ReturnValuesOnConditionCheckFailure":"ALL_OLD"})j");
    ADD_FAILURE() << "the retry should have met the committed write";
  } catch (const ddb::ApiError& e) {
    EXPECT_EQ(e.type(), "ConditionalCheckFailedException");
    EXPECT_NE(e.extra_json().find(R"("v":{"S":"x"})"), std::string::npos) << e.extra_json();
  }
  EXPECT_EQ(faults.InjectedTotal(), 1u);
  EXPECT_EQ(faults.InjectedByKind().at("drop_after_commit"), 1u);
  EXPECT_EQ(client.Call("Scan", R"j({"TableName":"msgs","Select":"COUNT"})j"),
            R"({"Count":1,"ScannedCount":1})");
}

}  // namespace
}  // namespace cruddur::client
