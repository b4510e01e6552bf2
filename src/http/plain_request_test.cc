#include "http/plain_request.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/plain_request_test_util.h"

namespace cruddur::http {
namespace {

constexpr std::size_t kHeaderLimit = 8 * 1024;
constexpr std::size_t kBodyLimit = 1024;

struct Read {
  std::size_t taken = 0;
  bool keep_alive = false;
  std::size_t header_bytes = 0;
  Request request;
};

Read ReadPlain(std::string_view bytes, std::size_t header_limit = kHeaderLimit,
               std::size_t body_limit = kBodyLimit) {
  Read r;
  r.taken =
      ReadPlainRequest(bytes, header_limit, body_limit, r.request, &r.keep_alive, &r.header_bytes);
  return r;
}

constexpr std::string_view kPutItem =
    "POST / HTTP/1.1\r\n"
    "Host: 127.0.0.1:8000\r\n"
    "X-Amz-Target: DynamoDB_20120810.PutItem\r\n"
    "Content-Type: application/x-amz-json-1.0\r\n"
    "Authorization: AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=00\r\n"
    "Content-Length: 17\r\n"
    "\r\n"
    "{\"TableName\":\"t\"}";

TEST(PlainRequestTest, ReadsAWholeRequest) {
  Read r = ReadPlain(kPutItem);
  ASSERT_EQ(r.taken, kPutItem.size());
  EXPECT_EQ(r.header_bytes, kPutItem.size() - 17);
  EXPECT_EQ(r.request.method, "POST");
  EXPECT_EQ(r.request.target, "/");
  EXPECT_EQ(r.request.version, 11);
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(r.request.body, "{\"TableName\":\"t\"}");
  std::vector<std::pair<std::string, std::string>> expected = {
      {"Host", "127.0.0.1:8000"},
      {"X-Amz-Target", "DynamoDB_20120810.PutItem"},
      {"Content-Type", "application/x-amz-json-1.0"},
      {"Authorization",
       "AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/dynamodb/aws4_request, "
       "SignedHeaders=host;x-amz-date, Signature=00"},
      {"Content-Length", "17"}};
  EXPECT_EQ(FieldsOf(r.request), expected);
}

TEST(PlainRequestTest, TakesOnlyTheFirstOfPipelinedRequests) {
  std::string two = std::string(kPutItem) + "GET /x HTTP/1.1\r\n\r\n";
  Read r = ReadPlain(two);
  EXPECT_EQ(r.taken, kPutItem.size());
  Read next = ReadPlain(std::string_view(two).substr(r.taken));
  EXPECT_EQ(next.taken, 19u);
  EXPECT_EQ(next.request.method, "GET");
  EXPECT_EQ(next.request.target, "/x");
  EXPECT_TRUE(next.request.body.empty());
}

TEST(PlainRequestTest, TrimsValuesAndKeepsTabsInside) {
  Read r = ReadPlain("GET / HTTP/1.1\r\nA: \t x\ty \t\r\nB:\r\nC:   \r\n\r\n");
  ASSERT_NE(r.taken, 0u);
  std::vector<std::pair<std::string, std::string>> expected = {{"A", "x\ty"}, {"B", ""}, {"C", ""}};
  EXPECT_EQ(FieldsOf(r.request), expected);
}

// Every byte value at every position of a field name and of a value, long enough for the 16-byte
// scans and their tails: read exactly when it is one this reader takes, and then as Beast does.
TEST(PlainRequestTest, EveryByteAtEveryPositionOfANameAndAValue) {
  auto name_byte = [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  };
  auto value_byte = [](unsigned char c) { return (c >= 0x20 && c < 0x7f) || c == '\t'; };
  constexpr std::size_t kLength = 40;
  for (int b = 0; b < 256; ++b) {
    const auto c = static_cast<char>(b);
    for (std::size_t at = 0; at < kLength; ++at) {
      std::string name(kLength, 'n');
      name[at] = c;
      const std::string in_name = "GET / HTTP/1.1\r\n" + name + ": v\r\n\r\n";
      // A colon ends the name early: the rest of it starts the value.
      const bool name_read = name_byte(static_cast<unsigned char>(b)) || (b == ':' && at > 0);
      Comparison cn = CompareWithBeast(in_name, kHeaderLimit, kBodyLimit);
      EXPECT_EQ(cn.plain, name_read) << "byte " << b << " at " << at << " of a name";
      EXPECT_EQ(cn.difference, "") << "byte " << b << " at " << at << " of a name";

      std::string value(kLength, 'v');
      value[at] = c;
      const std::string in_value = "GET / HTTP/1.1\r\nX: " + value + "\r\n\r\n";
      Comparison cv = CompareWithBeast(in_value, kHeaderLimit, kBodyLimit);
      EXPECT_EQ(cv.plain, value_byte(static_cast<unsigned char>(b)))
          << "byte " << b << " at " << at << " of a value";
      EXPECT_EQ(cv.difference, "") << "byte " << b << " at " << at << " of a value";
    }
  }
}

TEST(PlainRequestTest, KeepAliveAsBeastDecides) {
  struct Case {
    std::string_view version, connection;
    bool keep_alive;
  };
  for (const Case& c :
       std::vector<Case>{{"1.1", "", true},
                         {"1.1", "Connection: close\r\n", false},
                         {"1.1", "Connection: Keep-Alive\r\n", true},
                         {"1.0", "", false},
                         {"1.0", "Connection: keep-alive\r\n", true},
                         {"1.0", "Connection: CLOSE\r\n", false},
                         // HTTP/1.0 asks only for keep-alive.
                         {"1.0", "Connection: close\r\nConnection: keep-alive\r\n", true},
                         {"1.1", "Connection: keep-alive\r\nConnection: close\r\n", false}}) {
    std::string request =
        "GET / HTTP/" + std::string(c.version) + "\r\n" + std::string(c.connection) + "\r\n";
    Read r = ReadPlain(request);
    ASSERT_EQ(r.taken, request.size()) << request;
    EXPECT_EQ(r.keep_alive, c.keep_alive) << request;
    EXPECT_EQ(r.request.version, c.version == "1.1" ? 11 : 10);
  }
}

TEST(PlainRequestTest, DeclinesWhatItDoesNotRead) {
  const std::string head = "POST / HTTP/1.1\r\nHost: h\r\n";
  const std::vector<std::string> declined = {
      "",
      "POST / HTTP/1.1\r\nHost: h\r\n",        // the header is not whole
      head + "Content-Length: 5\r\n\r\nabcd",  // nor the body
      head + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      head + "Expect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
      head + "Upgrade: websocket\r\n\r\n",
      head + "Proxy-Connection: close\r\n\r\n",
      head + "Connection: keep-alive, Upgrade\r\n\r\n",
      head + "Connection: \r\n\r\n",
      head + "Content-Length: 1\r\nContent-Length: 1\r\n\r\nx",
      head + "Content-Length: 1,1\r\n\r\nx",
      head + "Content-Length: +1\r\n\r\nx",
      head + "Content-Length: \r\n\r\n",
      head + "Content-Length: 1234567890123456789\r\n\r\n",
      head + "Content-Length: 1025\r\n\r\n" + std::string(1025, 'x'),  // over the body limit
      head + "X: a\r\n b\r\n\r\n",                                     // obs-fold
      head + "X: a\r\n\tb\r\n\r\n",
      head + "X: a\n\r\n",  // a bare LF
      head + "X: a\rb\r\n\r\n",
      head + "X : a\r\n\r\n",
      head + ": a\r\n\r\n",
      head + "X/Y: a\r\n\r\n",
      head + "X: caf\xc3\xa9\r\n\r\n",
      head + "X: a\x7f\r\n\r\n",
      head + "X: a\x01\r\n\r\n",
      head + "\r\r\n",
      "post / HTTP/1.1\r\n\r\n",
      "POST  / HTTP/1.1\r\n\r\n",
      "POST /\xc3\xa9 HTTP/1.1\r\n\r\n",
      "POST / HTTP/1.2\r\n\r\n",
      "POST / HTTP/2.0\r\n\r\n",
      "POST / HTTP/1.1 \r\n\r\n",
      "POST / http/1.1\r\n\r\n",
      "\r\nPOST / HTTP/1.1\r\n\r\n",
  };
  for (const std::string& bytes : declined) {
    Read r;
    r.request.method = "stale";
    r.request.headers.Add("stale", "x");
    r.request.body = "stale";
    r.taken = ReadPlainRequest(bytes, kHeaderLimit, kBodyLimit, r.request, &r.keep_alive,
                               &r.header_bytes);
    EXPECT_EQ(r.taken, 0u) << bytes;
    // Cleared for Beast's parser, which reads the same bytes next.
    EXPECT_TRUE(r.request.method.empty() && r.request.headers.empty() && r.request.body.empty())
        << bytes;
  }
}

TEST(PlainRequestTest, DeclinesAHeaderOverTheLimit) {
  const std::string request = "GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n";
  EXPECT_EQ(ReadPlain(request, request.size()).taken, request.size());
  EXPECT_EQ(ReadPlain(request, request.size() - 1).taken, 0u);
  // The limit is on the header alone.
  const std::string with_body = "GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
  EXPECT_EQ(ReadPlain(with_body, with_body.size() - 3).taken, with_body.size());
}

// Requests built from parts that are plain, nearly plain or not, then mutated a byte at a time:
// wherever ReadPlainRequest reads one, Beast must read it too, to the same request.
TEST(PlainRequestTest, ReadsWhatBeastReadsToTheSameRequest) {
  std::mt19937 rng(20261206);
  auto pick = [&rng](const std::vector<std::string>& from) -> const std::string& {
    return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng)];
  };
  auto chance = [&rng](int percent) {
    return std::uniform_int_distribution<int>(0, 99)(rng) < percent;
  };
  // Each part is usually one a plain request has, sometimes one it has not.
  auto part = [&](const std::vector<std::string>& plain_parts,
                  const std::vector<std::string>& odd_parts) -> const std::string& {
    return chance(85) ? pick(plain_parts) : pick(odd_parts);
  };
  const std::vector<std::string> methods = {"POST", "GET", "PUT", "HEAD", "DELETE", "OPTIONS"};
  const std::vector<std::string> odd_methods = {"post", "M-SEARCH", "GET\t", ""};
  const std::vector<std::string> targets = {"/",          "/api/messages?x=1&y=%20", "*", "/a#b",
                                            "http://h/p", "/~!$'()*+,;=:@"};
  const std::vector<std::string> odd_targets = {"", "/caf\xc3\xa9", "/a b", "/\x7f"};
  const std::vector<std::string> versions = {"HTTP/1.1", "HTTP/1.0"};
  const std::vector<std::string> odd_versions = {"HTTP/1.2", "HTTP/2.0", "HTTP/1.1 ",
                                                 "HTTP/11",  "HTTP/0.9", "http/1.1"};
  const std::vector<std::string> fields = {
      "Host: 127.0.0.1\r\n",
      "Content-Type: application/x-amz-json-1.0\r\n",
      "X-Amz-Target: DynamoDB_20120810.GetItem\r\n",
      "Authorization: AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/dynamodb/aws4_request, "
      "SignedHeaders=host;x-amz-date, Signature=00\r\n",
      "User-Agent: Boto3/1.26.27 Python/3.11.2 Linux/6.1 Botocore/1.29.27\r\n",
      "Connection: keep-alive\r\n",
      "Connection: close\r\n",
      "connection: Close\r\n",
      "X-Empty:\r\n",
      "X-Spaces:  \t a b \t \r\n",
      "X_Under.Dot: v\r\n",
      "X-Long: " + std::string(300, 'v') + "\r\n",
  };
  const std::vector<std::string> odd_fields = {
      "Connection: upgrade\r\n",
      "Connection: keep-alive, close\r\n",
      "Content-Length: 1,1\r\n",
      "Content-Length: 0\r\n",
      "content-length:2000\r\n",
      "Transfer-Encoding: chunked\r\n",
      "Upgrade: h2c\r\n",
      "Expect: 100-continue\r\n",
      "Proxy-Connection: keep-alive\r\n",
      "X-Fold: a\r\n b\r\n",
      "X!#$%&'*+^`|~: tchar\r\n",
      "X-Utf8: caf\xc3\xa9\r\n",
      "X-Bare-LF: a\n",
      "X-Control: a\x01b\r\n",
  };
  const std::vector<std::string> noise = {"\r", "\n",   " ",    "\t",       ":",
                                          ",",  "\x7f", "\x80", "\x01",     "a",
                                          "A",  "0",    "\r\n", "\r\n\r\n", std::string(1, '\0')};
  std::size_t plain = 0;
  std::size_t beast_only = 0;
  constexpr int kRequests = 100000;
  for (int i = 0; i < kRequests; ++i) {
    std::string request = part(methods, odd_methods) + " " + part(targets, odd_targets) + " " +
                          part(versions, odd_versions) + "\r\n";
    for (int n = std::uniform_int_distribution<int>(0, 6)(rng); n > 0; --n) {
      request += part(fields, odd_fields);
    }
    std::string body(std::uniform_int_distribution<std::size_t>(0, 12)(rng), 'b');
    if (!body.empty() || chance(30)) {
      std::size_t length = chance(85) ? body.size() : body.size() + 1;
      request +=
          (chance(50) ? "Content-Length: " : "content-length:00") + std::to_string(length) + "\r\n";
    }
    request += "\r\n" + body;
    if (chance(30)) request += "GET / HTTP/1.1\r\n\r\n";  // pipelined
    for (int m = chance(40) ? std::uniform_int_distribution<int>(1, 3)(rng) : 0; m > 0; --m) {
      std::size_t at = std::uniform_int_distribution<std::size_t>(0, request.size())(rng);
      switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
        case 0:
          request.insert(at, pick(noise));
          break;
        case 1:
          if (at < request.size()) request.erase(at, 1);
          break;
        case 2:
          if (at < request.size()) request[at] = pick(noise)[0];
          break;
        default:
          request.resize(at);  // cut short
          break;
      }
    }

    const Comparison c = CompareWithBeast(request, kHeaderLimit, kBodyLimit);
    if (!c.plain) {
      if (c.beast) ++beast_only;
      continue;
    }
    ++plain;
    EXPECT_EQ(c.difference, "") << request;
  }
  // Both sides were exercised: many requests read here, many left to Beast.
  EXPECT_GT(plain, kRequests / 5u);
  EXPECT_GT(beast_only, kRequests / 20u);
  std::printf("%zu of %d requests read here, %zu more by Beast alone\n", plain, kRequests,
              beast_only);
}

}  // namespace
}  // namespace cruddur::http
