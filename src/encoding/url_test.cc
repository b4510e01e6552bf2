#include "encoding/url.h"

#include <gtest/gtest.h>

namespace cruddur::encoding {
namespace {

TEST(SplitTarget, SplitsAtTheFirstQuestionMark) {
  TargetParts t = SplitTarget("/a/b?x=1?y");
  EXPECT_EQ(t.path, "/a/b");
  EXPECT_EQ(t.query, "x=1?y");
  EXPECT_EQ(SplitTarget("/a").query, std::nullopt);
  EXPECT_EQ(SplitTarget("/a?").query, "");
}

TEST(QueryPairs, KeepsOrderAndRawText) {
  auto pairs = QueryPairs("b=2&&a&c=x%20y+z&=v&b=3");
  ASSERT_EQ(pairs.size(), 5u);
  EXPECT_EQ(pairs[0], QueryPair("b", "2"));
  EXPECT_EQ(pairs[1], QueryPair("a", ""));
  EXPECT_EQ(pairs[2], QueryPair("c", "x%20y+z"));
  EXPECT_EQ(pairs[3], QueryPair("", "v"));
  EXPECT_EQ(pairs[4], QueryPair("b", "3"));
  EXPECT_TRUE(QueryPairs("").empty());
  EXPECT_TRUE(QueryPairs("&&").empty());
}

TEST(DecodeQuery, DecodesFormStyle) {
  auto q = DecodeQuery("cursor=a%2Bb+c&limit=5&x=a=b");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->size(), 3u);
  EXPECT_EQ((*q)[0].first, "cursor");
  EXPECT_EQ((*q)[0].second, "a+b c");
  EXPECT_EQ((*q)[1].second, "5");
  EXPECT_EQ((*q)[2].second, "a=b");  // only the first '=' separates
}

TEST(DecodeQuery, RefusesAMalformedEscapeInANameOrValue) {
  EXPECT_EQ(DecodeQuery("a=%zz"), std::nullopt);
  EXPECT_EQ(DecodeQuery("%4=1"), std::nullopt);
}

TEST(SplitAuthority, HostPortAndUserinfo) {
  Authority a = SplitAuthority("user:p@ss@cache.example:6380");
  EXPECT_TRUE(a.error.empty());
  EXPECT_EQ(a.userinfo, "user:p@ss");  // the last '@' ends the userinfo
  EXPECT_EQ(a.host, "cache.example");
  EXPECT_EQ(a.port, "6380");

  a = SplitAuthority("example.com");
  EXPECT_EQ(a.userinfo, std::nullopt);
  EXPECT_EQ(a.host, "example.com");
  EXPECT_EQ(a.port, std::nullopt);

  a = SplitAuthority("h:");
  EXPECT_EQ(a.host, "h");
  EXPECT_EQ(a.port, "");  // present but empty: callers decide
}

TEST(SplitAuthority, BracketedIpv6) {
  Authority a = SplitAuthority("[::1]:9000");
  EXPECT_TRUE(a.error.empty());
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, "9000");
  a = SplitAuthority("app:pw@[fe80::1]");
  EXPECT_EQ(a.userinfo, "app:pw");
  EXPECT_EQ(a.host, "fe80::1");
  EXPECT_EQ(a.port, std::nullopt);
  EXPECT_EQ(SplitAuthority("[::1").error, "unterminated '['");
  EXPECT_EQ(SplitAuthority("[::1]x").error, "unexpected text after ']'");
}

}  // namespace
}  // namespace cruddur::encoding
