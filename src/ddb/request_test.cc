// Request's parse of a body as a client sent it (the wire layer's one parse of each request).
#include "ddb/request.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "ddb/error.h"

namespace cruddur::ddb {
namespace {

constexpr int kDepth = 1000;

TEST(RequestTest, ParsesAnObjectAndLeavesTheBodyAsItWas) {
  const std::string body = R"({"TableName":"t","Key":{"pk":{"S":"a\"b\\c\u00e9\n"}},"Limit":7})";
  // NOLINTNEXTLINE(performance-unnecessary-copy-initialization): what `body` must still equal
  const std::string copy = body;
  Request req(body, kDepth);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req.body(), body);
  EXPECT_EQ(body, copy);  // parsed in place in a copy, not in the caller's text
  EXPECT_EQ(req.String("TableName"), "t");
  EXPECT_EQ(req.Int("Limit"), 7);
  const JsonValue* key = req.Object("Key");
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(View((*key)["pk"]["S"]), "a\"b\\c\xc3\xa9\n");
}

TEST(RequestTest, BuildsWhatTheThrowingParseBuilds) {
  const std::string body =
      " \t{\"Item\":{\"n\":{\"N\":\"1.50\"},\"l\":{\"L\":[true,null,-3,1e3,\"x\"]}},"
      "\"e\":{},\"a\":[]}\r\n";
  Request checked(body, kDepth);
  Request plain(body);
  ASSERT_TRUE(checked.ok());
  EXPECT_TRUE(checked.root() == plain.root());
}

// Integer members (Limit, Segment, capacity units) given any JSON number: truncated toward zero,
// and held at int64's bounds beyond them (a plain conversion of 1e30 is undefined behaviour).
TEST(RequestTest, IntegerMembersReadAnyJsonNumberDefined) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  const std::pair<const char*, int64_t> cases[] = {
      {"7", 7},
      {"-7", -7},
      {"2.9", 2},
      {"-2.9", -2},
      {"1E2", 100},
      {"3000000000", 3000000000},
      {"9223372036854775807", kMax},
      {"9223372036854775808", kMax},  // past int64: rapidjson reads it as a uint64
      {"18446744073709551616", kMax},
      {"1e30", kMax},
      {"1.11111e282", kMax},
      {"-9223372036854775808", kMin},
      {"-9223372036854775809", kMin},
      {"-1e30", kMin},
  };
  for (const auto& [text, expected] : cases) {
    Request req(std::string(R"({"Limit":)") + text + "}", kDepth);
    ASSERT_TRUE(req.ok()) << text;
    EXPECT_EQ(req.Int("Limit"), expected) << text;
  }
}

TEST(RequestTest, AnEmptyBodyIsAnEmptyObject) {
  Request req("", kDepth);
  EXPECT_TRUE(req.ok());
  EXPECT_TRUE(req.root().IsObject());
  EXPECT_EQ(req.root().MemberCount(), 0u);
}

TEST(RequestTest, RefusesWhatIsNotOneJsonObject) {
  for (const char* body :
       {"[]", "\"x\"", "1", "null", "{", "{\"a\":}", "{} x", "{}{}", "{\"a\":1,}", "{'a':1}",
        "\xef\xbb\xbf{}",  // a byte order mark
        "{\"a\":\"\x1f\"}"}) {
    EXPECT_FALSE(Request(body, kDepth).ok()) << body;
  }
}

TEST(RequestTest, ANulEndsTheText) {
  // Within a string it is an unescaped control character; after the object, the end.
  EXPECT_FALSE(Request(std::string_view("{\"a\":\"x\0y\"}", 11), kDepth).ok());
  EXPECT_FALSE(Request(std::string_view("{\"a\"\0:1}", 8), kDepth).ok());
  Request trailing(std::string_view("{\"a\":1}\0", 8), kDepth);
  ASSERT_TRUE(trailing.ok());
  EXPECT_EQ(trailing.Int("a"), 1);
}

TEST(RequestTest, ChecksUtf8OnlyWhereThereIsSome) {
  EXPECT_TRUE(Request("{\"a\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}", kDepth).ok());
  EXPECT_FALSE(Request("{\"a\":\"\xff\"}", kDepth).ok());
  EXPECT_FALSE(Request("{\"\xc3\":1}", kDepth).ok());          // a truncated sequence in a name
  EXPECT_FALSE(Request("{\"a\":\"\xc0\xaf\"}", kDepth).ok());  // an overlong encoding
}

// The in-place parse scans strings 16 bytes at a time up to the first byte that needs handling
// ('"', '\\', below 0x20). Every ASCII byte at every position of names and values of 1 to 40
// bytes, alone or after an escape (so that the text moves down as it is copied), must come out
// as the reference parse (the copying one, no block scan) reads it: a raw byte below 0x20 is
// refused wherever it is, as JSON says.
TEST(RequestTest, EveryAsciiByteAtEveryPositionOfAString) {
  auto quoted = [](const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else {
        out += c;  // a control character raw: the body is not JSON
      }
    }
    return out + "\"";
  };
  for (size_t len = 1; len <= 40; ++len) {
    for (size_t pos = 0; pos < len; ++pos) {
      for (int b = 1; b < 0x80; ++b) {
        std::string text(len, 'a');
        text[pos] = static_cast<char>(b);
        for (const std::string& prefix : {std::string(), std::string("\\n")}) {
          const std::string q = quoted(text);
          const std::string value = "\"" + prefix + q.substr(1);
          const std::string body = "{" + q + ":" + value + ",\"zz_list\":[" + value + ",\"" +
                                   prefix + "z\"],\"zz_n\":1}";
          Request req(body, kDepth);
          const bool raw_control = b < 0x20;
          ASSERT_EQ(req.ok(), !raw_control) << "len " << len << " pos " << pos << " byte " << b;
          if (raw_control) {
            EXPECT_THROW(Request{body}, ApiError);
            continue;
          }
          const std::string decoded = (prefix.empty() ? "" : "\n") + text;
          const JsonValue* got = Request::Member(req.root(), text);
          ASSERT_NE(got, nullptr) << "len " << len << " pos " << pos << " byte " << b;
          ASSERT_EQ(View(*got), decoded) << "len " << len << " pos " << pos << " byte " << b;
          ASSERT_TRUE(req.root() == Request(body).root())
              << "len " << len << " pos " << pos << " byte " << b;
        }
      }
    }
  }
}

TEST(RequestTest, RefusesNestingDeeperThanTheLimit) {
  EXPECT_TRUE(Request(R"({"a":{"b":[{}]}})", 4).ok());
  EXPECT_FALSE(Request(R"({"a":{"b":[{}]}})", 3).ok());
  EXPECT_FALSE(Request(R"({"a":[[[[1]]]]})", 4).ok());
  std::string deep = "{\"a\":" + std::string(5000, '[') + std::string(5000, ']') + "}";
  EXPECT_FALSE(Request(deep, kDepth).ok());
}

TEST(RequestTest, TheThrowingParseStillThrows) {
  EXPECT_THROW(Request("[1]"), ApiError);
  EXPECT_THROW(Request("{"), ApiError);
}

}  // namespace
}  // namespace cruddur::ddb
