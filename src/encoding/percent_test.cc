#include "encoding/percent.h"

#include <gtest/gtest.h>

namespace cruddur::encoding {
namespace {

TEST(PercentDecode, DecodesEitherCaseOfHex) {
  EXPECT_EQ(PercentDecode("a%2Fb%2fc"), "a/b/c");
  EXPECT_EQ(PercentDecode("%C3%A9%c3%a9"), "\xc3\xa9\xc3\xa9");
  EXPECT_EQ(PercentDecode("%00"), std::string(1, '\0'));
  EXPECT_EQ(PercentDecode(""), "");
}

TEST(PercentDecode, DecodesOnlyOnce) { EXPECT_EQ(PercentDecode("%252e"), "%2e"); }

TEST(PercentDecode, RefusesMalformedEscapes) {
  for (const char* bad : {"%", "%4", "a%", "%zz", "%4g", "%g4", "ab%2", "%%41", "% 41"}) {
    EXPECT_EQ(PercentDecode(bad), std::nullopt) << bad;
  }
}

TEST(PercentDecode, KeepsMalformedEscapesWhenAsked) {
  PercentDecoding keep{.keep_malformed = true};
  EXPECT_EQ(PercentDecode("%", keep), "%");
  EXPECT_EQ(PercentDecode("100%", keep), "100%");
  EXPECT_EQ(PercentDecode("%zz%41", keep), "%zzA");
  EXPECT_EQ(PercentDecode("%4", keep), "%4");
  EXPECT_EQ(PercentDecode("%%41", keep), "%A");
}

TEST(PercentDecode, PlusIsASpaceOnlyInQueryStrings) {
  EXPECT_EQ(PercentDecode("a+b%2B"), "a+b+");
  EXPECT_EQ(PercentDecode("a+b%2B", {.plus_is_space = true}), "a b+");
}

TEST(PercentEncode, KeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(PercentEncode("aZ09-_.~"), "aZ09-_.~");
  EXPECT_EQ(PercentEncode("1.2.3.4/32 a+b=c&d"), "1.2.3.4%2F32%20a%2Bb%3Dc%26d");
  EXPECT_EQ(PercentEncode("\xc3\xa9"), "%C3%A9");  // upper-case hex, byte by byte
  EXPECT_EQ(PercentEncode(std::string_view("\0\x7f", 2)), "%00%7F");
}

// SigV4 (AWS's "Create a canonical request"): a space is %20, never '+'; '~' is not encoded;
// '/' is kept in the canonical URI and encoded in query names and values.
TEST(PercentEncode, FollowsSigV4UriEncoding) {
  EXPECT_EQ(PercentEncode("a b~c*d"), "a%20b~c%2Ad");
  EXPECT_EQ(PercentEncode("/a b/c", {.keep_slash = true}), "/a%20b/c");
  EXPECT_EQ(PercentEncode("/a b/c"), "%2Fa%20b%2Fc");
  // Paths are encoded twice by services other than S3: "%20" becomes "%2520".
  EXPECT_EQ(PercentEncode("/a%20b", {.keep_slash = true}), "/a%2520b");
}

TEST(PercentEncode, DecodesBackToEveryByte) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  EXPECT_EQ(PercentDecode(PercentEncode(all)), all);
  EXPECT_EQ(PercentDecode(PercentEncode(all), {.plus_is_space = true}), all);
}

}  // namespace
}  // namespace cruddur::encoding
