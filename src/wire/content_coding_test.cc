#include "wire/content_coding.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace cruddur::wire {
namespace {

using std::string_literals::operator""s;

// {"Limit":5} as Python's gzip.compress(mtime=0) and zlib.compress write it.
const std::string kGzipLimit5 =
    "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xab\x56\xf2\xc9\xcc\xcd\x2c\x51\xb2\x32\xad\x05\x00"
    "\x49\x01\xa4\x6c\x0b\x00\x00\x00"s;
const std::string kZlibLimit5 =
    "\x78\x9c\xab\x56\xf2\xc9\xcc\xcd\x2c\x51\xb2\x32\xad\x05\x00\x16\x6e\x03\xab"s;

const char* Name(ContentCoding coding) {
  return coding == ContentCoding::kGzip      ? "gzip"
         : coding == ContentCoding::kDeflate ? "deflate"
                                             : "identity";
}

// Every case of ScyllaDB's test_compressed_response_accept_encodings, which was run against
// DynamoDB: what DynamoDB compresses with for each Accept-Encoding value.
TEST(ChooseResponseCoding, AnswersAsDynamoDbDoes) {
  const std::vector<std::pair<std::string, ContentCoding>> cases = {
      {"gzip", ContentCoding::kGzip},
      {"deflate", ContentCoding::kDeflate},
      {"identity", ContentCoding::kIdentity},
      {"", ContentCoding::kIdentity},
      {"br", ContentCoding::kIdentity},
      {"zstd", ContentCoding::kIdentity},
      {"compress", ContentCoding::kIdentity},
      {"x-gzip", ContentCoding::kIdentity},
      {"gzip, deflate", ContentCoding::kGzip},
      {"br, identity, deflate, gzip", ContentCoding::kDeflate},
      {"GZIP, identity", ContentCoding::kGzip},
      {"dog, gzip ,, cat", ContentCoding::kGzip},
      {"gzip;q=0.8, deflate;q=0.5", ContentCoding::kGzip},
      {"br, gzip;q=0, deflate; q = 0.5 , identity;q=0", ContentCoding::kDeflate},
      {"*", ContentCoding::kGzip},
      {"*, deflate;q=0.5", ContentCoding::kGzip},
      {"*, deflate", ContentCoding::kDeflate},
      {"*, identity", ContentCoding::kGzip},
      {"*, gzip;q=0.5", ContentCoding::kDeflate},
      {"gzip ;q=0", ContentCoding::kIdentity},
      {"identity;q=0", ContentCoding::kIdentity},
      {"*;q=0", ContentCoding::kIdentity},
      {"*;q=0.5,identity", ContentCoding::kGzip},
      {"gzip;q=0.5,identity;q=0.8", ContentCoding::kGzip},
      {"br;q=0.8,identity;q=0.5,*;q=0", ContentCoding::kIdentity},
      {"\"gzip\"", ContentCoding::kIdentity},
      {"gzip br", ContentCoding::kIdentity},
      {"gzip:q=1", ContentCoding::kIdentity},
      {"deflate;q=0.5, gzip;q=31", ContentCoding::kGzip},
      {"gzip;q=31,deflate;q=51", ContentCoding::kGzip},
      {"deflate;q=0.5, gzip;q=0.2", ContentCoding::kDeflate},
      {"deflate;q=0.5, gzip;q=1;q=0.2", ContentCoding::kGzip},
      {"deflate;q=0.5,gzip;q=0.", ContentCoding::kDeflate},
      {"deflate;q=0.5,gzip;q=0.x", ContentCoding::kGzip},
      {"deflate;q=-0.5,gzip;q=0.2", ContentCoding::kGzip},
      {"gzip;nq=1;q=0 ", ContentCoding::kIdentity},
      {"gzip;q=0, gzip;q=1, gzip;q=0", ContentCoding::kGzip},
      {"br,identity;q=0.5,gzip;q=0.0001", ContentCoding::kGzip},
  };
  for (const auto& [accept, expected] : cases) {
    EXPECT_STREQ(Name(ChooseResponseCoding(accept)), Name(expected)) << accept;
  }
}

TEST(DecodeBody, ReadsWhatOtherEncodersWrote) {
  std::string out;
  EXPECT_FALSE(DecodeBody("gzip", kGzipLimit5, 1024, &out));
  EXPECT_EQ(out, R"({"Limit":5})");
  EXPECT_FALSE(DecodeBody("x-gzip", kGzipLimit5, 1024, &out));
  EXPECT_EQ(out, R"({"Limit":5})");
  EXPECT_FALSE(DecodeBody(" Deflate ", kZlibLimit5, 1024, &out));
  EXPECT_EQ(out, R"({"Limit":5})");
  EXPECT_FALSE(DecodeBody("identity", "plain", 1024, &out));
  EXPECT_EQ(out, "plain");
}

TEST(DecodeBody, RoundTripsWhatCompressWrites) {
  std::string big;
  for (int i = 0; i < 20000; ++i) big += std::to_string(i * 7919 % 10007) + ",";
  for (ContentCoding coding : {ContentCoding::kGzip, ContentCoding::kDeflate}) {
    std::string compressed = Compress(big, coding);
    EXPECT_LT(compressed.size(), big.size() / 2) << Name(coding);
    std::string out;
    EXPECT_FALSE(DecodeBody(CodingName(coding), compressed, big.size(), &out)) << Name(coding);
    EXPECT_EQ(out, big) << Name(coding);
  }
  // Codings listed in the order applied: deflate first, then gzip.
  std::string twice = Compress(Compress(big, ContentCoding::kDeflate), ContentCoding::kGzip);
  std::string out;
  EXPECT_FALSE(DecodeBody("deflate, gzip", twice, big.size(), &out));
  EXPECT_EQ(out, big);
}

TEST(DecodeBody, ConcatenatedGzipMembersAreOneBody) {
  // RFC 1952 allows it; DynamoDB accepts it (Alternator's test_gzip_request_two_gzips).
  std::string two =
      Compress("{\"Lim", ContentCoding::kGzip) + Compress("it\":5}", ContentCoding::kGzip);
  std::string out;
  EXPECT_FALSE(DecodeBody("gzip", two, 1024, &out));
  EXPECT_EQ(out, R"({"Limit":5})");
}

TEST(DecodeBody, BrokenDataSaysWhatIsWrong) {
  struct Case {
    std::string encoding, body, reason;
  };
  const std::vector<Case> cases = {
      {"gzip", R"({"Limit":5})",
       "Request body is not valid gzip data (Content-Encoding: gzip): incorrect header check"},
      {"gzip", kGzipLimit5.substr(0, kGzipLimit5.size() - 1),
       "Request body is not valid gzip data (Content-Encoding: gzip): the data ends early"},
      {"gzip", kGzipLimit5 + "junk",
       "Request body is not valid gzip data (Content-Encoding: gzip): unexpected bytes after "
       "the end of the compressed data"},
      {"gzip", "",
       "Request body is not valid gzip data (Content-Encoding: gzip): the body is empty"},
      {"deflate", kGzipLimit5,
       "Request body is not valid deflate data (Content-Encoding: deflate): incorrect header "
       "check"},
      {"garbage", kGzipLimit5,
       "Unsupported Content-Encoding 'garbage' (supported: gzip, "
       "deflate, identity)"},
      {"gzip, br", kGzipLimit5,
       "Unsupported Content-Encoding 'br' (supported: gzip, deflate, identity)"},
  };
  for (const Case& c : cases) {
    std::string out;
    auto failure = DecodeBody(c.encoding, c.body, 1024, &out);
    ASSERT_TRUE(failure) << c.encoding << " " << c.reason;
    EXPECT_FALSE(failure->too_large);
    EXPECT_EQ(failure->reason, c.reason);
  }
}

TEST(DecodeBody, StopsAtTheSizeLimit) {
  std::string zeros(5 * 1024 * 1024, '0');
  std::string bomb = Compress(zeros, ContentCoding::kGzip);
  ASSERT_LT(bomb.size(), 10u * 1024);
  std::string out;
  auto failure = DecodeBody("gzip", bomb, 1024 * 1024, &out);
  ASSERT_TRUE(failure);
  EXPECT_TRUE(failure->too_large);
  EXPECT_FALSE(DecodeBody("gzip", bomb, zeros.size(), &out));  // exactly at the limit: fine
  EXPECT_EQ(out.size(), zeros.size());
}

TEST(Compress, IdentityIsUnchangedAndNamesAreTheTokens) {
  EXPECT_EQ(Compress("abc", ContentCoding::kIdentity), "abc");
  EXPECT_EQ(CodingName(ContentCoding::kGzip), "gzip");
  EXPECT_EQ(CodingName(ContentCoding::kDeflate), "deflate");
  EXPECT_EQ(Compress("abc", ContentCoding::kGzip).substr(0, 2), "\x1f\x8b");
}

}  // namespace
}  // namespace cruddur::wire
