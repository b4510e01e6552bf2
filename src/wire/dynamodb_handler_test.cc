#include "wire/dynamodb_handler.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "aws/sigv4_test_util.h"
#include "http/server.h"
#include "wire/console.h"
#include "wire/content_coding.h"

namespace cruddur::wire {
namespace {

// Records calls and answers by operation name; some names make it throw.
class FakeEngine : public ddb::Engine {
 public:
  std::string Execute(std::string_view operation, std::string_view request_json) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      calls.emplace_back(std::string(operation), std::string(request_json));
      const ddb::Caller* caller = ddb::CurrentCaller();
      callers.push_back(
          caller ? caller->principal_arn + " " + caller->account + " " + caller->source_ip : "");
    }
    if (operation == "ListTables") return R"({"TableNames":[]})";
    if (operation == "BatchGetItem") return BigResponse();
    if (operation == "GetItem") throw ddb::ApiError::ResourceNotFound();
    if (operation == "PutItem") {
      throw ddb::ApiError::ConditionalCheckFailed().with_extra_json(R"("Item":{"pk":{"S":"a"}})");
    }
    if (operation == "Query") throw ddb::ApiError::Validation("bad \"quote\"\nnext line");
    if (operation == "Scan")
      throw ddb::ApiError::Serialization("NUMBER_VALUE cannot be converted to String");
    if (operation == "DeleteItem") throw std::runtime_error("disk on fire");
    if (operation == "UpdateItem") throw 42;
    if (operation.substr(0, 8) == "Streams.") throw ddb::ApiError::UnknownOperation();
    return "{}";
  }

  std::vector<std::pair<std::string, std::string>> calls;
  std::vector<std::string> callers;  // "<principal ARN> <account> <source IP>" of each call

  // 4,096 bytes: the smallest response DynamoDB compresses.
  static std::string BigResponse() {
    std::string head = R"({"Responses":{"t":[{"v":{"S":")";
    std::string tail = R"("}}]}})";
    return head + std::string(4096 - head.size() - tail.size(), 'x') + tail;
  }

 private:
  std::mutex mutex_;
};

constexpr char kAuth[] =
    "AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=abc";

// A DynamoPost with an X-Amz-Date and an Authorization field that no server checks here.
http::Request DynamoRequest(const std::string& target, std::string body = "{}") {
  http::Request request = aws::DynamoPost(target, std::move(body));
  request.headers.Add("X-Amz-Date", "20240101T000000Z");
  request.headers.Add("Authorization", kAuth);
  return request;
}

class WireTest : public ::testing::Test {
 protected:
  FakeEngine engine_;
  DynamoDbHandler handler_{engine_};
};

TEST_F(WireTest, DispatchesTheTargetOperationToTheEngine) {
  http::Response response =
      handler_.Handle(DynamoRequest("DynamoDB_20120810.ListTables", R"({"Limit":5})"));
  ASSERT_EQ(engine_.calls.size(), 1u);
  EXPECT_EQ(engine_.calls[0].first, "ListTables");
  EXPECT_EQ(engine_.calls[0].second, R"({"Limit":5})");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"TableNames":[]})");
  EXPECT_EQ(response.headers.Get("Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(response.headers.Get("x-amz-crc32"), "1315925753");  // zlib.crc32 of the body
  std::string_view id = response.headers.Get("x-amzn-RequestId");
  EXPECT_EQ(id.size(), 52u);
  EXPECT_EQ(id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), std::string::npos);
  EXPECT_NE(handler_.Handle(DynamoRequest("DynamoDB_20120810.ListTables"))
                .headers.Get("x-amzn-RequestId"),
            id);
}

// Request ids are 52 characters of A-Z and 0-9, each from 6 random bits taken modulo 36 (as the
// ids have always been spread): every character appears at every position, nothing else does,
// and the letters, '0' and '1' (2 of 64 bit patterns each) come twice as often as '2'-'9'.
TEST(RequestIdTest, EveryCharacterEverywhereWithTheModulo36Spread) {
  constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  constexpr int kIds = 4000;
  std::vector<std::array<int, 256>> seen(kRequestIdLength, std::array<int, 256>{});
  std::array<long, 256> total{};
  for (int n = 0; n < kIds; ++n) {
    char id[kRequestIdLength + 1];
    id[kRequestIdLength] = '!';  // not written
    FillRequestId(id);
    ASSERT_EQ(id[kRequestIdLength], '!');
    for (std::size_t i = 0; i < kRequestIdLength; ++i) {
      const auto c = static_cast<unsigned char>(id[i]);
      ASSERT_NE(kAlphabet.find(static_cast<char>(c)), std::string_view::npos) << int{c};
      ++seen[i][c];
      ++total[c];
    }
  }
  for (std::size_t i = 0; i < kRequestIdLength; ++i) {
    for (char c : kAlphabet) EXPECT_GT(seen[i][static_cast<unsigned char>(c)], 0) << i << c;
  }
  const double samples = double{kIds} * kRequestIdLength;
  for (char c : kAlphabet) {
    const double expected = samples * ((c >= '2' && c <= '9') ? 1 : 2) / 64;
    EXPECT_NEAR(total[static_cast<unsigned char>(c)], expected, expected * 0.1) << c;
  }
}

TEST_F(WireTest, StreamsTargetIsPrefixed) {
  http::Response response =
      handler_.Handle(DynamoRequest("DynamoDBStreams_20120810.DescribeStream"));
  ASSERT_EQ(engine_.calls.size(), 1u);
  EXPECT_EQ(engine_.calls[0].first, "Streams.DescribeStream");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.body, R"({"__type":"com.amazon.coral.service#UnknownOperationException"})");
}

TEST_F(WireTest, CruddurTargetIsPrefixed) {
  http::Response response = handler_.Handle(DynamoRequest("Cruddur_20261203.DescribeTableStats"));
  EXPECT_EQ(response.status, 200);
  ASSERT_EQ(engine_.calls.size(), 1u);
  EXPECT_EQ(engine_.calls[0].first, "Cruddur.DescribeTableStats");
}

TEST_F(WireTest, MissingOrUnknownTargetIsUnknownOperation) {
  for (std::string target : {"", "DynamoDB_20120810", "DynamoDB_20111205.ListTables",
                             "Dynamo.ListTables", "DynamoDB_20120810.", "DynamoDB_20120810.a.b"}) {
    http::Response response = handler_.Handle(DynamoRequest(target));
    EXPECT_EQ(response.status, 400) << target;
    EXPECT_EQ(response.body, R"({"__type":"com.amazon.coral.service#UnknownOperationException"})")
        << target;
    EXPECT_EQ(response.headers.Get("x-amz-crc32"), "1368724161");
  }
  EXPECT_TRUE(engine_.calls.empty());
}

TEST_F(WireTest, MissingAuthorizationIsRejected) {
  http::Request request = DynamoRequest("DynamoDB_20120810.ListTables");
  http::Request bare = aws::BareRequest("POST");
  for (const auto& field : request.headers) {
    if (field.name != "Authorization") bare.headers.Add(field.name, field.value);
  }
  bare.body = "{}";
  http::Response response = handler_.Handle(bare);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.body,
            R"({"__type":"com.amazon.coral.service#MissingAuthenticationTokenException",)"
            R"("message":"Request is missing Authentication Token"})");
  EXPECT_TRUE(engine_.calls.empty());
}

TEST_F(WireTest, MalformedJsonIsASerializationException) {
  for (std::string body : {"{", "not json", "[1,2]", "{\"a\":1}x", "\"str\""}) {
    http::Response response = handler_.Handle(DynamoRequest("DynamoDB_20120810.ListTables", body));
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_EQ(response.body, R"({"__type":"com.amazon.coral.service#SerializationException"})")
        << body;
  }
  // Empty bodies pass the JSON check but fail after authentication.
  http::Response empty = handler_.Handle(DynamoRequest("DynamoDB_20120810.ListTables", ""));
  EXPECT_EQ(empty.body, R"({"__type":"com.amazon.coral.service#SerializationException"})");
  EXPECT_TRUE(engine_.calls.empty());
}

TEST_F(WireTest, EngineErrorsBecomeTheDynamoDbEnvelope) {
  http::Response not_found = handler_.Handle(DynamoRequest("DynamoDB_20120810.GetItem"));
  EXPECT_EQ(not_found.status, 400);
  EXPECT_EQ(not_found.body,
            R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",)"
            R"("message":"Requested resource not found"})");
  EXPECT_EQ(not_found.headers.Get("Content-Type"), "application/x-amz-json-1.0");

  http::Response conditional = handler_.Handle(DynamoRequest("DynamoDB_20120810.PutItem"));
  EXPECT_EQ(conditional.body,
            R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",)"
            R"("message":"The conditional request failed","Item":{"pk":{"S":"a"}}})");

  http::Response validation = handler_.Handle(DynamoRequest("DynamoDB_20120810.Query"));
  EXPECT_EQ(validation.body, R"({"__type":"com.amazon.coral.validate#ValidationException",)"
                             R"("message":"bad \"quote\"\nnext line"})");

  http::Response serialization = handler_.Handle(DynamoRequest("DynamoDB_20120810.Scan"));
  EXPECT_EQ(serialization.body, R"({"__type":"com.amazon.coral.service#SerializationException",)"
                                R"("Message":"NUMBER_VALUE cannot be converted to String"})");
}

// Each error type's namespace and message member as DynamoDB's own answers spell them.
TEST(ErrorBody, NamespaceAndMessageMemberPerType) {
  struct Case {
    ddb::ApiError error;
    std::string body;
  };
  std::vector<Case> cases = {
      {ddb::ApiError::Validation("v"),
       R"({"__type":"com.amazon.coral.validate#ValidationException","message":"v"})"},
      {ddb::ApiError::Serialization("s"),
       R"({"__type":"com.amazon.coral.service#SerializationException","Message":"s"})"},
      {ddb::ApiError::AccessDenied("a"),
       R"({"__type":"com.amazon.coral.service#AccessDeniedException","Message":"a"})"},
      {ddb::ApiError::UnrecognizedClient("u"),
       R"({"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"u"})"},
      {ddb::ApiError::InvalidSignature("i"),
       R"({"__type":"com.amazon.coral.service#InvalidSignatureException","message":"i"})"},
      {ddb::ApiError(400, "IncompleteSignatureException", "c"),
       R"({"__type":"com.amazon.coral.service#IncompleteSignatureException","message":"c"})"},
      {ddb::ApiError::MissingAuthenticationToken("m"),
       R"({"__type":"com.amazon.coral.service#MissingAuthenticationTokenException",)"
       R"("message":"m"})"},
      {ddb::ApiError::UnknownOperation(),
       R"({"__type":"com.amazon.coral.service#UnknownOperationException"})"},
      {ddb::ApiError::ResourceNotFound(),
       R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",)"
       R"("message":"Requested resource not found"})"},
      {ddb::ApiError::ResourceInUse("r"),
       R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceInUseException","message":"r"})"},
      {ddb::ApiError::TransactionCanceled("t").with_extra_json(R"("CancellationReasons":[])"),
       R"({"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException",)"
       R"("Message":"t","CancellationReasons":[]})"},
  };
  for (const Case& c : cases) EXPECT_EQ(ErrorBody(c.error), c.body) << c.error.type();
}

TEST_F(WireTest, UnexpectedExceptionsAreInternalServerErrors) {
  for (std::string op : {"DeleteItem", "UpdateItem"}) {
    http::Response response = handler_.Handle(DynamoRequest("DynamoDB_20120810." + op));
    EXPECT_EQ(response.status, 500);
    EXPECT_EQ(response.body, R"({"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError",)"
                             R"("message":"Internal server error"})");
  }
}

TEST_F(WireTest, GetOfTheRootIsTheHealthAnswer) {
  for (std::string target : {"/", "/?probe=1"}) {
    http::Response response = handler_.Handle(aws::BareRequest("GET", target));
    EXPECT_EQ(response.status, 200) << target;
    EXPECT_EQ(response.body, "healthy: dynamodb.us-east-1.amazonaws.com ");
    EXPECT_EQ(response.headers.Get("x-amz-crc32"), "3128867991");
  }
  // Other paths are not (ScyllaDB's test_health_only_works_for_root_path, run against
  // DynamoDB, sees a 4xx for each).
  for (std::string target : {"/abc", "/-", "/index.htm", "/health", "/ping"}) {
    http::Response response = handler_.Handle(aws::BareRequest("GET", target));
    EXPECT_EQ(response.status, 404) << target;
    EXPECT_EQ(response.body, "<UnknownOperationException/>\n");
  }
}

http::Request Get(std::string target) {
  http::Request request;
  request.method = "GET";
  request.target = std::move(target);
  return request;
}

TEST_F(WireTest, ConsoleIsServedOnlyWhenEnabled) {
  // Off (the default): /console is a path DynamoDB does not know.
  EXPECT_EQ(handler_.Handle(Get("/console")).body, "<UnknownOperationException/>\n");

  WireOptions options;
  options.console = true;
  DynamoDbHandler with_console(engine_, options);
  std::string index;
  for (const ConsoleFile& file : EmbeddedConsoleFiles()) {
    if (std::string_view(file.path) == "index.html") index = file.content();
  }
  ASSERT_FALSE(index.empty());
  for (std::string target : {"/console", "/console/", "/console?table=x", "/console/index.html"}) {
    http::Response page = with_console.Handle(Get(target));
    EXPECT_EQ(page.status, 200) << target;
    EXPECT_EQ(page.body, index) << target;
    EXPECT_EQ(page.headers.Get("Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(page.headers.Get("Content-Security-Policy").find("script-src 'self'"),
              std::string_view::npos);
  }
  // Every embedded file by its name; nothing else under /console.
  for (const ConsoleFile& file : EmbeddedConsoleFiles()) {
    EXPECT_EQ(with_console.Handle(Get(std::string("/console/") + file.path)).body, file.content());
  }
  for (std::string target : {"/console/nope.js", "/console/../console/index.html",
                             "/console/%69ndex.html", "/console//index.html"}) {
    EXPECT_EQ(with_console.Handle(Get(target)).status, 404) << target;
  }
  // The health answer and the API are unchanged.
  EXPECT_EQ(with_console.Handle(Get("/")).body, "healthy: dynamodb.us-east-1.amazonaws.com ");
  EXPECT_EQ(with_console.Handle(Get("/consoles")).body, "<UnknownOperationException/>\n");
  EXPECT_EQ(with_console.Handle(DynamoRequest("DynamoDB_20120810.ListTables")).status, 200);
  http::Request post = Get("/console");
  post.method = "POST";
  EXPECT_EQ(with_console.Handle(post).body, handler_.Handle(post).body);  // not the page
}

TEST_F(WireTest, NonJsonRequestsGetUnknownOperation404) {
  http::Request put = DynamoRequest("DynamoDB_20120810.ListTables");
  put.method = "PUT";
  http::Request xml = DynamoRequest("DynamoDB_20120810.ListTables");
  xml.headers.Set("Content-Type", "application/xml");
  for (const http::Request* request : {&put, &xml}) {
    http::Response response = handler_.Handle(*request);
    EXPECT_EQ(response.status, 404);
    EXPECT_EQ(response.body, "<UnknownOperationException/>\n");
    EXPECT_EQ(response.headers.Get("x-amz-crc32"), "3552371480");
  }
  // Content-Type parameters and application/json are accepted.
  http::Request with_charset = DynamoRequest("DynamoDB_20120810.ListTables");
  with_charset.headers.Set("Content-Type", "application/x-amz-json-1.0; charset=utf-8");
  EXPECT_EQ(handler_.Handle(with_charset).status, 200);
  http::Request json = DynamoRequest("DynamoDB_20120810.ListTables");
  json.headers.Set("Content-Type", "application/json");
  http::Response json_response = handler_.Handle(json);
  EXPECT_EQ(json_response.status, 200);
  EXPECT_EQ(json_response.headers.Get("Content-Type"), "application/json");
}

TEST_F(WireTest, CorsPreflightIsDynamoDbsAnswer) {
  // DynamoDB's preflight answer (captured 2020-10-15): the request's headers and method echoed,
  // four exposed headers, a two-day max age, and no body, Content-Type or CRC.
  http::Request preflight = aws::BareRequest("OPTIONS");
  preflight.headers.Add("Origin", "http://localhost:3000");
  preflight.headers.Add("Access-Control-Request-Headers", "content-type,x-amz-target");
  preflight.headers.Add("Access-Control-Request-Method", "POST");
  http::Response response = handler_.Handle(preflight);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "");
  EXPECT_EQ(response.headers.Get("x-amzn-RequestId").size(), 52u);
  EXPECT_EQ(response.headers.Get("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(response.headers.Get("Access-Control-Allow-Headers"), "content-type,x-amz-target");
  EXPECT_EQ(response.headers.Get("Access-Control-Allow-Methods"), "POST");
  EXPECT_EQ(response.headers.Get("Access-Control-Expose-Headers"),
            "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date");
  EXPECT_EQ(response.headers.Get("Access-Control-Max-Age"), "172800");
  EXPECT_FALSE(response.headers.Has("Content-Type"));
  EXPECT_FALSE(response.headers.Has("x-amz-crc32"));
  EXPECT_TRUE(engine_.calls.empty());
}

TEST_F(WireTest, CorsFieldsOnOtherAnswersOnlyWithAnOrigin) {
  // ScyllaDB's test_cors.py (run against DynamoDB): with an Origin, every answer allows any
  // origin and exposes headers, and only the preflight carries Max-Age and the Allow lists;
  // without one, no answer has a CORS field.
  http::Request post = DynamoRequest("DynamoDB_20120810.ListTables");
  http::Request get = aws::BareRequest("GET");
  http::Request error = DynamoRequest("DynamoDB_20120810.GetItem");
  for (http::Request* request : {&post, &get, &error}) {
    http::Response plain = handler_.Handle(*request);
    for (const auto& field : plain.headers) {
      EXPECT_NE(field.name.rfind("Access-Control-", 0), 0u) << request->method << field.name;
    }
    request->headers.Add("Origin", "http://example.com");
    request->headers.Add("Access-Control-Request-Method", "dog");
    http::Response cors = handler_.Handle(*request);
    EXPECT_EQ(cors.headers.Get("Access-Control-Allow-Origin"), "*") << request->method;
    EXPECT_EQ(cors.headers.Get("Access-Control-Expose-Headers"),
              "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date");
    EXPECT_FALSE(cors.headers.Has("Access-Control-Max-Age"));
    EXPECT_FALSE(cors.headers.Has("Access-Control-Allow-Methods"));
  }
  // OPTIONS without an Origin is no preflight: DynamoDB's 404 (dynalite's tests).
  http::Request options = aws::BareRequest("OPTIONS");
  EXPECT_EQ(handler_.Handle(options).status, 404);
}

// --- Compressed requests and responses ---

std::uint32_t Crc32Of(std::string_view bytes) {
  return static_cast<std::uint32_t>(
      crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

TEST_F(WireTest, CompressedRequestBodiesAreDecoded) {
  for (ContentCoding coding : {ContentCoding::kGzip, ContentCoding::kDeflate}) {
    http::Request request =
        DynamoRequest("DynamoDB_20120810.ListTables", Compress(R"({"Limit":5})", coding));
    request.headers.Add("Content-Encoding", CodingName(coding));
    http::Response response = handler_.Handle(request);
    EXPECT_EQ(response.status, 200) << CodingName(coding);
    ASSERT_FALSE(engine_.calls.empty());
    EXPECT_EQ(engine_.calls.back().second, R"({"Limit":5})");
  }
  // The decoded body goes through the usual checks.
  http::Request not_json =
      DynamoRequest("DynamoDB_20120810.ListTables", Compress("not json", ContentCoding::kGzip));
  not_json.headers.Add("Content-Encoding", "gzip");
  EXPECT_EQ(handler_.Handle(not_json).body,
            R"({"__type":"com.amazon.coral.service#SerializationException"})");
}

TEST_F(WireTest, BrokenCompressedBodiesAre500sThatSayWhy) {
  // DynamoDB answers a body that is not the gzip it claims, and an unknown coding, with a 500
  // (ScyllaDB's test_compressed_request.py, run against DynamoDB); the message is ours.
  http::Request plain = DynamoRequest("DynamoDB_20120810.ListTables", R"({"Limit":5})");
  plain.headers.Add("Content-Encoding", "gzip");
  http::Response response = handler_.Handle(plain);
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body,
            R"({"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError",)"
            R"("message":"Request body is not valid gzip data (Content-Encoding: gzip): )"
            R"(incorrect header check"})");
  EXPECT_EQ(response.headers.Get("x-amz-crc32"), std::to_string(Crc32Of(response.body)));

  http::Request garbage = DynamoRequest("DynamoDB_20120810.ListTables", R"({"Limit":5})");
  garbage.headers.Add("Content-Encoding", "garbage");
  http::Response unknown = handler_.Handle(garbage);
  EXPECT_EQ(unknown.status, 500);
  EXPECT_NE(unknown.body.find("Unsupported Content-Encoding 'garbage'"), std::string::npos);
  EXPECT_TRUE(engine_.calls.empty());
}

TEST_F(WireTest, CompressedBodiesDecodeTo16MbAtMost) {
  std::string big = R"({"TableName":")" + std::string(16 * 1024 * 1024, 'x') + R"("})";
  http::Request request =
      DynamoRequest("DynamoDB_20120810.ListTables", Compress(big, ContentCoding::kGzip));
  request.headers.Add("Content-Encoding", "gzip");
  http::Response response = handler_.Handle(request);
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(response.body, R"({"__type":"com.amazon.coral.service#RequestEntityTooLarge",)"
                           R"("message":"Request entity too large"})");
  EXPECT_TRUE(engine_.calls.empty());
}

TEST_F(WireTest, ResponsesFrom4KbAreCompressedWhenAccepted) {
  http::Request request = DynamoRequest("DynamoDB_20120810.BatchGetItem");
  request.headers.Add("Accept-Encoding", "gzip, deflate");
  http::Response response = handler_.Handle(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.Get("Content-Encoding"), "gzip");
  std::string decoded;
  ASSERT_FALSE(DecodeBody("gzip", response.body, 1 << 20, &decoded));
  EXPECT_EQ(decoded, FakeEngine::BigResponse());
  // The CRC is over the compressed bytes, as DynamoDB computes it (ScyllaDB's test_crc.py).
  EXPECT_EQ(response.headers.Get("x-amz-crc32"), std::to_string(Crc32Of(response.body)));

  request.headers.Set("Accept-Encoding", "deflate");
  http::Response deflated = handler_.Handle(request);
  EXPECT_EQ(deflated.headers.Get("Content-Encoding"), "deflate");
  ASSERT_FALSE(DecodeBody("deflate", deflated.body, 1 << 20, &decoded));
  EXPECT_EQ(decoded, FakeEngine::BigResponse());

  // Small responses, and clients that do not ask, get the body as it is.
  http::Request small = DynamoRequest("DynamoDB_20120810.ListTables");
  small.headers.Add("Accept-Encoding", "gzip");
  EXPECT_FALSE(handler_.Handle(small).headers.Has("Content-Encoding"));
  http::Request identity = DynamoRequest("DynamoDB_20120810.BatchGetItem");
  identity.headers.Add("Accept-Encoding", "identity");
  http::Response plain = handler_.Handle(identity);
  EXPECT_FALSE(plain.headers.Has("Content-Encoding"));
  EXPECT_EQ(plain.body, FakeEngine::BigResponse());

  // Only the last Accept-Encoding field counts (as DynamoDB).
  http::Request twice = DynamoRequest("DynamoDB_20120810.BatchGetItem");
  twice.headers.Add("Accept-Encoding", "gzip");
  twice.headers.Add("Accept-Encoding", "identity");
  EXPECT_FALSE(handler_.Handle(twice).headers.Has("Content-Encoding"));
}

TEST_F(WireTest, TooLargeAnswer) {
  http::Response response = handler_.TooLarge(http::Request{});
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(response.body, R"({"__type":"com.amazon.coral.service#RequestEntityTooLarge",)"
                           R"("message":"Request entity too large"})");
}

// --- With --auth: signatures are verified ---

std::chrono::system_clock::time_point Noon() { return *aws::ParseAmzDate("20240601T120000Z"); }

// Options that verify signatures by AKID/SECRET, on a clock stopped at Noon().
WireOptions AuthAtNoon() {
  WireOptions options;
  options.credentials = {{"AKID", "SECRET"}};
  options.clock = [] { return Noon(); };
  return options;
}

TEST(WireAuth, VerifiesSignaturesWhenCredentialsAreConfigured) {
  FakeEngine engine;
  DynamoDbHandler handler(engine, AuthAtNoon());

  EXPECT_EQ(handler.Handle(aws::SignedListTables(Noon(), "AKID", "SECRET")).status, 200);

  http::Response unknown = handler.Handle(aws::SignedListTables(Noon(), "OTHER", "SECRET"));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.body, R"({"__type":"com.amazon.coral.service#UnrecognizedClientException",)"
                          R"("message":"The security token included in the request is invalid."})");

  http::Response wrong = handler.Handle(aws::SignedListTables(Noon(), "AKID", "WRONG"));
  EXPECT_NE(wrong.body.find(R"({"__type":"com.amazon.coral.service#InvalidSignatureException",)"
                            R"("message":"The request signature we calculated does not match)"),
            std::string::npos)
      << wrong.body;

  http::Response expired =
      handler.Handle(aws::SignedListTables(Noon() - std::chrono::hours(1), "AKID", "SECRET"));
  EXPECT_EQ(
      expired.body,
      R"({"__type":"com.amazon.coral.service#InvalidSignatureException",)"
      R"("message":"Signature expired: 20240601T110000Z is now earlier than 20240601T114500Z )"
      R"j((20240601T120000Z - 15 min.)"})j");
  EXPECT_EQ(engine.calls.size(), 1u);
}

TEST(WireAuth, CompressedBodiesAreVerifiedAsSent) {
  // SDKs compress the body, then sign it (botocore signs the gzip bytes).
  FakeEngine engine;
  DynamoDbHandler handler(engine, AuthAtNoon());
  http::Request request = aws::DynamoPost("DynamoDB_20120810.ListTables",
                                          Compress(R"({"Limit":5})", ContentCoding::kGzip));
  request.headers.Add("Content-Encoding", "gzip");
  aws::Sign(request, {"AKID", "SECRET", ""}, "us-east-1", "dynamodb", Noon());
  http::Response response = handler.Handle(request);
  EXPECT_EQ(response.status, 200) << response.body;
  ASSERT_EQ(engine.calls.size(), 1u);
  EXPECT_EQ(engine.calls[0].second, R"({"Limit":5})");
}

TEST(WireAuth, RequestsRunAsTheirKeysPrincipal) {
  FakeEngine engine;
  WireOptions options = AuthAtNoon();
  options.credentials["CAROL"] = "CAROLSECRET";
  options.principals = {{"AKID", "arn:aws:iam::000000000000:user/AKID"},
                        {"CAROL", "arn:aws:iam::111122223333:role/reader"}};
  DynamoDbHandler handler(engine, options);
  http::Request request = aws::SignedListTables(Noon(), "CAROL", "CAROLSECRET");
  request.remote_address = "192.0.2.4";
  EXPECT_EQ(handler.Handle(request).status, 200);
  EXPECT_EQ(handler.Handle(aws::SignedListTables(Noon(), "AKID", "SECRET")).status, 200);
  ASSERT_EQ(engine.callers.size(), 2u);
  EXPECT_EQ(engine.callers[0], "arn:aws:iam::111122223333:role/reader 111122223333 192.0.2.4");
  EXPECT_EQ(engine.callers[1], "arn:aws:iam::000000000000:user/AKID 000000000000 ");
  EXPECT_EQ(ddb::CurrentCaller(), nullptr);  // the scope ended with the request

  // Without principals (no --auth) requests run without a Caller.
  FakeEngine open_engine;
  DynamoDbHandler open(open_engine);
  EXPECT_EQ(open.Handle(aws::SignedListTables(Noon(), "ANY", "KEY")).status, 200);
  EXPECT_EQ(open_engine.callers, std::vector<std::string>{""});
}

// --- Over the network, through http::Server ---

TEST(WireServer, EndToEndOverHttp) {
  FakeEngine engine;
  DynamoDbHandler handler(engine);
  http::ServerOptions options;
  options.threads = 2;
  handler.Configure(options);
  EXPECT_EQ(options.body_limit, 16u * 1024 * 1024);
  http::Server server(options, handler.AsHandler());
  server.Start();

  namespace bhttp = boost::beast::http;
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket socket(ioc);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), server.port()});
  boost::beast::flat_buffer buffer;

  bhttp::request<bhttp::string_body> request(bhttp::verb::post, "/", 11);
  request.set(bhttp::field::host, "127.0.0.1");
  request.set(bhttp::field::content_type, "application/x-amz-json-1.0");
  request.set("X-Amz-Target", "DynamoDB_20120810.ListTables");
  request.set("X-Amz-Date", "20240101T000000Z");
  request.set(bhttp::field::authorization, kAuth);
  request.body() = "{}";
  request.prepare_payload();
  bhttp::write(socket, request);
  bhttp::response<bhttp::string_body> response;
  bhttp::read(socket, buffer, response);
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), R"({"TableNames":[]})");
  EXPECT_EQ(response["x-amz-crc32"], "1315925753");
  EXPECT_EQ(response["Content-Type"], "application/x-amz-json-1.0");
  // DynamoDB's own fields (boto3's ResponseMetadata of real answers).
  EXPECT_EQ(response["Server"], "Server");
  EXPECT_EQ(response["Date"].size(), 29u);  // "Thu, 15 Oct 2020 03:47:01 GMT"
  EXPECT_EQ(response["Connection"], "keep-alive");

  // Over 16 MB, announced by Content-Length: answered without reading the body.
  std::string huge_head =
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"
      "X-Amz-Target: DynamoDB_20120810.BatchWriteItem\r\nContent-Length: 16777217\r\n\r\n";
  boost::asio::write(socket, boost::asio::buffer(huge_head));
  bhttp::response<bhttp::string_body> too_large;
  bhttp::read(socket, buffer, too_large);
  EXPECT_EQ(too_large.result_int(), 413);
  EXPECT_EQ(too_large.body(), R"({"__type":"com.amazon.coral.service#RequestEntityTooLarge",)"
                              R"("message":"Request entity too large"})");
  EXPECT_EQ(engine.calls.size(), 1u);
}

TEST(WireServer, HeadersOver16KbAreABare400) {
  FakeEngine engine;
  DynamoDbHandler handler(engine);
  http::ServerOptions options;
  options.threads = 1;
  handler.Configure(options);
  http::Server server(options, handler.AsHandler());
  server.Start();
  namespace bhttp = boost::beast::http;
  auto send = [&](const std::string& bytes) {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket socket(ioc);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), server.port()});
    boost::asio::write(socket, boost::asio::buffer(bytes));
    boost::beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> response;
    bhttp::read(socket, buffer, response);
    return response;
  };
  auto fits =
      send("GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(15 * 1024, 'a') + "\r\n\r\n");
  EXPECT_EQ(fits.result_int(), 200);
  EXPECT_EQ(fits.body(), "healthy: dynamodb.us-east-1.amazonaws.com ");
  auto long_field =
      send("GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(17 * 1024, 'a') + "\r\n\r\n");
  EXPECT_EQ(long_field.result_int(), 400);
  EXPECT_EQ(long_field.body(), "");
  EXPECT_EQ(long_field["Server"], "Server");
  EXPECT_FALSE(long_field.keep_alive());
  auto long_target = send("GET /" + std::string(17000, 'x') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(long_target.result_int(), 400);
  EXPECT_TRUE(engine.calls.empty());
}

TEST(WireErrorBody, OmitsEmptyMessages) {
  EXPECT_EQ(ErrorBody(ddb::ApiError::UnknownOperation()),
            R"({"__type":"com.amazon.coral.service#UnknownOperationException"})");
  EXPECT_EQ(ErrorBody(ddb::ApiError(400, "X", "control\x01")),
            R"({"__type":"com.amazonaws.dynamodb.v20120810#X","message":"control\u0001"})");
}

}  // namespace
}  // namespace cruddur::wire
