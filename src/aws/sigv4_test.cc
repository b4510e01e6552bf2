#include "aws/sigv4.h"

#include <gtest/gtest.h>

#include "aws/sigv4_test_util.h"
#include "encoding/hex.h"

namespace cruddur::aws {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// The credentials and time of AWS's published SigV4 test suite (aws-sig-v4-test-suite).
constexpr char kAccessKey[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::chrono::system_clock::time_point SuiteTime() { return *ParseAmzDate("20150830T123600Z"); }

http::Request SuiteRequest(std::string method, std::string target) {
  http::Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.headers.Add("Host", "example.amazonaws.com");
  return request;
}

std::string SignatureOf(const http::Request& request) {
  std::string_view auth = request.headers.Get("Authorization");
  return std::string(auth.substr(auth.find("Signature=") + 10));
}

// The signature of `request` signed with the test suite's credentials, region and time.
std::string SuiteSignature(http::Request request) {
  Sign(request, {kAccessKey, kSecret, ""}, "us-east-1", "service", SuiteTime());
  return SignatureOf(request);
}

TEST(SigV4, SigningKeyMatchesTheAwsDocumentationExample) {
  EXPECT_EQ(encoding::HexEncode(SigningKey(kSecret, "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4, GetVanilla) {
  http::Request request = SuiteRequest("GET", "/");
  Sign(request, {kAccessKey, kSecret, ""}, "us-east-1", "service", SuiteTime());
  EXPECT_EQ(request.headers.Get("X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(request.headers.Get("Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  std::string canonical = CanonicalRequest(request, {"host", "x-amz-date"}, kEmptySha256);
  EXPECT_EQ(canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n" +
                std::string(kEmptySha256));
  EXPECT_EQ(Sha256Hex(canonical),
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
}

TEST(SigV4, GetVanillaQueryOrderKeyCase) {
  EXPECT_EQ(SuiteSignature(SuiteRequest("GET", "/?Param2=value2&Param1=value1")),
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4, PostVanilla) {
  EXPECT_EQ(SuiteSignature(SuiteRequest("POST", "/")),
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST(SigV4, GetUtf8) {
  EXPECT_EQ(SuiteSignature(SuiteRequest("GET", "/\xE1\x88\xB4")),
            "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
}

TEST(SigV4, PostXWwwFormUrlencoded) {
  http::Request request = SuiteRequest("POST", "/");
  request.headers.Add("Content-Type", "application/x-www-form-urlencoded");
  request.body = "Param1=value1";
  Sign(request, {kAccessKey, kSecret, ""}, "us-east-1", "service", SuiteTime());
  std::string canonical =
      CanonicalRequest(request, {"content-type", "host", "x-amz-date"}, Sha256Hex(request.body));
  EXPECT_EQ(canonical,
            "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\n"
            "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "content-type;host;x-amz-date\n"
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  EXPECT_EQ(StringToSign("20150830T123600Z", CredentialScope("20150830", "us-east-1", "service"),
                         canonical),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281");
  EXPECT_EQ(request.headers.Get("Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, "
            "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

TEST(SigV4, CanonicalRequestNormalisesPathAndHeaderValues) {
  http::Request request = SuiteRequest("GET", "/./a//b/../c/?b=2&a=x%20y&a=1");
  request.headers.Add("My-Header1", "  value1   with  spaces ");
  request.headers.Add("my-header1", "second");
  std::string canonical = CanonicalRequest(request, {"host", "my-header1"}, "UNSIGNED-PAYLOAD");
  EXPECT_EQ(canonical,
            "GET\n/a/c/\na=1&a=x%20y&b=2\nhost:example.amazonaws.com\n"
            "my-header1:value1 with spaces,second\n\nhost;my-header1\nUNSIGNED-PAYLOAD");
}

TEST(SigV4, SessionTokenIsSentAndSigned) {
  http::Request request = SuiteRequest("GET", "/");
  Sign(request, {kAccessKey, kSecret, "TOKEN"}, "us-east-1", "service", SuiteTime());
  EXPECT_EQ(request.headers.Get("X-Amz-Security-Token"), "TOKEN");
  EXPECT_NE(request.headers.Get("Authorization").find("host;x-amz-date;x-amz-security-token"),
            std::string_view::npos);
}

TEST(SigV4, AmzDateRoundTrip) {
  EXPECT_EQ(AmzDate(SuiteTime()), "20150830T123600Z");
  EXPECT_FALSE(ParseAmzDate("2015-08-30T12:36:00Z"));
  EXPECT_FALSE(ParseAmzDate("20151330T123600Z"));
}

TEST(SigV4, ParseAuthorization) {
  auto parsed = ParseAuthorization(
      "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/dynamodb/aws4_request, "
      "SignedHeaders=Host;x-amz-date, Signature=abc");
  ASSERT_TRUE(parsed.authorization);
  EXPECT_EQ(parsed.authorization->access_key_id, "AK");
  EXPECT_EQ(parsed.authorization->region, "us-east-1");
  EXPECT_EQ(parsed.authorization->service, "dynamodb");
  EXPECT_EQ(parsed.authorization->signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
  EXPECT_EQ(parsed.authorization->signature, "abc");

  auto incomplete = ParseAuthorization("AWS4-HMAC-SHA256 Credential=AK/x");
  EXPECT_FALSE(incomplete.authorization);
  EXPECT_EQ(incomplete.error.type, "IncompleteSignatureException");
  EXPECT_EQ(incomplete.error.message,
            "Authorization header requires 'Signature' parameter. Authorization header requires "
            "'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=AK/x");
}

// --- Verifier ---

std::map<std::string, std::string> Secrets() { return {{"AKID", "SECRET"}}; }

TEST(SigV4Verifier, DefaultModeNeedsOnlyWellFormedCredentials) {
  Verifier verifier;
  EXPECT_FALSE(verifier.verifies_signatures());
  http::Request request = SignedListTables(SuiteTime(), "anything", "whatever");
  EXPECT_FALSE(verifier.Verify(request, SuiteTime() + std::chrono::hours(24 * 365)));

  http::Request missing;
  missing.method = "POST";
  missing.target = "/";
  auto error = verifier.Verify(missing, SuiteTime());
  ASSERT_TRUE(error);
  EXPECT_EQ(error->type, "MissingAuthenticationTokenException");
  EXPECT_EQ(error->message, "Request is missing Authentication Token");

  missing.headers.Add("Authorization", "Bearer abc");
  EXPECT_EQ(verifier.Verify(missing, SuiteTime())->type, "MissingAuthenticationTokenException");

  http::Request incomplete;
  incomplete.headers.Add("Authorization", "AWS4-HMAC-SHA256 Signature=b");
  error = verifier.Verify(incomplete, SuiteTime());
  ASSERT_TRUE(error);
  EXPECT_EQ(error->type, "IncompleteSignatureException");
  EXPECT_EQ(error->message,
            "Authorization header requires 'Credential' parameter. Authorization header requires "
            "'SignedHeaders' parameter. Authorization header requires existence of either a "
            "'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Signature=b");
}

TEST(SigV4Verifier, DefaultModeWordsEachFlawOfTheHeader) {
  Verifier verifier;
  auto verify = [&](std::string_view authorization, std::string_view date_header) {
    http::Request request;
    request.method = "POST";
    request.target = "/";
    request.headers.Add("Authorization", authorization);
    if (!date_header.empty()) request.headers.Add(date_header, "20240101T000000Z");
    return verifier.Verify(request, SuiteTime());
  };
  const std::string whole =
      "AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/dynamodb/aws4_request, "
      "SignedHeaders=host;x-amz-date, Signature=00";
  EXPECT_FALSE(verify(whole, "X-Amz-Date"));
  EXPECT_FALSE(verify(whole, "Date"));
  EXPECT_FALSE(verify(whole + ", , Extra=1", "x-amz-date"));

  auto error = verify(whole, "");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->type, "IncompleteSignatureException");
  EXPECT_EQ(error->message,
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
            "header. Authorization=" +
                whole);

  error = verify(whole + ", junk", "X-Amz-Date");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->type, "IncompleteSignatureException");
  EXPECT_EQ(error->message,
            "'junk' not a valid key=value pair (missing equal-sign) in Authorization header: '" +
                whole + ", junk'.");

  // Items end at white space as at commas: separated by spaces alone they are whole, and a value
  // cut by a space leaves its rest as an item without an equal sign.
  EXPECT_FALSE(
      verify("AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/dynamodb/aws4_request "
             "SignedHeaders=host;x-amz-date Signature=00",
             "X-Amz-Date"));
  const std::string cut =
      "AWS4-HMAC-SHA256 Credential=AK /20240101/us-east-1/dynamodb/aws4_request, "
      "SignedHeaders=host;x-amz-date, Signature=00";
  error = verify(cut, "X-Amz-Date");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->message,
            "'/20240101/us-east-1/dynamodb/aws4_request' not a valid key=value pair (missing "
            "equal-sign) in Authorization header: '" +
                cut + "'.");

  // An empty value is a missing one; the last of a repeated key counts.
  error = verify("AWS4-HMAC-SHA256 Credential=, SignedHeaders=host, Signature=00", "X-Amz-Date");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->message,
            "Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256 "
            "Credential=, SignedHeaders=host, Signature=00");
  error = verify(whole + ", Signature=", "X-Amz-Date");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->message, "Authorization header requires 'Signature' parameter. Authorization=" +
                                whole + ", Signature=");
}

TEST(SigV4Verifier, AcceptsAValidSignature) {
  Verifier verifier(Secrets());
  EXPECT_TRUE(verifier.verifies_signatures());
  http::Request request = SignedListTables(SuiteTime(), "AKID", "SECRET");
  EXPECT_FALSE(verifier.Verify(request, SuiteTime() + seconds(30)));
  EXPECT_FALSE(verifier.Verify(request, SuiteTime() - minutes(14)));
}

TEST(SigV4Verifier, RejectsAnUnknownKey) {
  Verifier verifier(Secrets());
  auto error = verifier.Verify(SignedListTables(SuiteTime(), "OTHER", "SECRET"), SuiteTime());
  ASSERT_TRUE(error);
  EXPECT_EQ(error->type, "UnrecognizedClientException");
  EXPECT_EQ(error->message, "The security token included in the request is invalid.");
}

TEST(SigV4Verifier, RejectsAWrongSecretOrATamperedBody) {
  Verifier verifier(Secrets());
  auto error = verifier.Verify(SignedListTables(SuiteTime(), "AKID", "WRONG"), SuiteTime());
  ASSERT_TRUE(error);
  EXPECT_EQ(error->type, "InvalidSignatureException");
  EXPECT_EQ(error->message.rfind(
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method. Consult the service "
                "documentation for details.\n\nThe Canonical String for this request should have "
                "been\n'POST\n/\n\n",
                0),
            0u)
      << error->message;

  http::Request tampered = SignedListTables(SuiteTime(), "AKID", "SECRET");
  tampered.body = R"({"Limit":1})";
  EXPECT_EQ(verifier.Verify(tampered, SuiteTime())->type, "InvalidSignatureException");
}

TEST(SigV4Verifier, RejectsStaleAndFutureDates) {
  Verifier verifier(Secrets());
  http::Request request = SignedListTables(SuiteTime(), "AKID", "SECRET");
  auto error = verifier.Verify(request, SuiteTime() + minutes(20));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->type, "InvalidSignatureException");
  EXPECT_EQ(error->message,
            "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z "
            "(20150830T125600Z - 15 min.)");
  error = verifier.Verify(request, SuiteTime() - minutes(16));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->message,
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123500Z "
            "(20150830T122000Z + 15 min.)");
}

TEST(SigV4Verifier, ChecksDateFormatHostAndScope) {
  Verifier verifier(Secrets());
  http::Request request = SignedListTables(SuiteTime(), "AKID", "SECRET");
  request.headers.Set("X-Amz-Date", "201");
  EXPECT_EQ(verifier.Verify(request, SuiteTime())->message,
            "Date must be in ISO-8601 'basic format'. Got '201'. See "
            "http://en.wikipedia.org/wiki/ISO_8601");

  http::Request no_host = SignedListTables(SuiteTime(), "AKID", "SECRET");
  no_host.headers.Set("Authorization",
                      "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/dynamodb/aws4_request, "
                      "SignedHeaders=x-amz-date, Signature=00");
  EXPECT_EQ(verifier.Verify(no_host, SuiteTime())->message,
            "'Host' must be a 'SignedHeader' in the AWS Authorization.");

  http::Request scope = SignedListTables(SuiteTime(), "AKID", "SECRET");
  scope.headers.Set("Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKID/20150831/us-east-1/s3/aws4, "
                    "SignedHeaders=host;x-amz-date, Signature=00");
  auto error = verifier.Verify(scope, SuiteTime());
  ASSERT_TRUE(error);
  EXPECT_EQ(error->type, "InvalidSignatureException");
  EXPECT_EQ(error->message,
            "Credential should be scoped to correct service: 'dynamodb'. Credential should be "
            "scoped with a valid terminator: 'aws4_request', not 'aws4'. Date in Credential scope "
            "does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != "
            "'20150830', from '20150830T123600Z'.");

  http::Request short_credential = SignedListTables(SuiteTime(), "AKID", "SECRET");
  short_credential.headers.Set(
      "Authorization", "AWS4-HMAC-SHA256 Credential=a/b/c/d, SignedHeaders=host, Signature=00");
  error = verifier.Verify(short_credential, SuiteTime());
  ASSERT_TRUE(error);
  EXPECT_EQ(error->type, "IncompleteSignatureException");
  EXPECT_EQ(error->message,
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            "keyid/date/region/service/term, got 'a/b/c/d'");
}

}  // namespace
}  // namespace cruddur::aws

namespace cruddur::aws {
namespace {

// Found by fuzzing: far-off years overflowed the clock, and month 00 read as December.
TEST(ParseAmzDateTest, SaturatesFarOffYearsAndRefusesMonthZero) {
  using Clock = std::chrono::system_clock;
  EXPECT_EQ(ParseAmzDate("30000101T000000Z"), Clock::time_point::max());
  EXPECT_EQ(ParseAmzDate("00000101T000000Z"), Clock::time_point::min());
  EXPECT_FALSE(ParseAmzDate("20150001T000000Z"));
  EXPECT_TRUE(ParseAmzDate("20150830T123600Z"));
}

}  // namespace
}  // namespace cruddur::aws
