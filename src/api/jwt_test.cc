#include "api/jwt.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/auth.h"
#include "api/jwks.h"
#include "api/jwt_test_util.h"

namespace cruddur::api {
namespace {

using namespace std::chrono_literals;
using testing::B64;
using testing::OtherTestKey;
using testing::RawToken;
using testing::SignedToken;
using testing::TestKey;

constexpr std::int64_t kNow = 1700000000;
constexpr const char* kIssuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TeSt";
constexpr const char* kClient = "client123";
constexpr const char* kHeader = R"({"kid":"key-1","alg":"RS256"})";

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// A JSON object from raw JSON member values; members set to "" are left out.
using Members = std::vector<std::pair<std::string, std::string>>;
std::string Object(const Members& members) {
  std::string out = "{";
  for (const auto& [name, value] : members) {
    if (value.empty()) continue;
    if (out.size() > 1) out += ",";
    out += Quote(name) + ":" + value;
  }
  return out + "}";
}

// A Cognito access token's claims, with `overrides` replacing (or, with "", removing) members.
std::string AccessClaims(const std::map<std::string, std::string>& overrides = {}) {
  Members members = {{"sub", Quote("5d3c-sub")},
                     {"iss", Quote(kIssuer)},
                     {"client_id", Quote(kClient)},
                     {"token_use", Quote("access")},
                     {"scope", Quote("aws.cognito.signin.user.admin")},
                     {"auth_time", std::to_string(kNow - 10)},
                     {"exp", std::to_string(kNow + 3600)},
                     {"iat", std::to_string(kNow - 10)},
                     {"jti", Quote("j")},
                     {"username", Quote("andrewbrown")}};
  for (auto& [name, value] : members) {
    if (auto it = overrides.find(name); it != overrides.end()) value = it->second;
  }
  for (const auto& [name, value] : overrides) {
    bool present = false;
    for (const auto& m : members) present = present || m.first == name;
    if (!present) members.emplace_back(name, value);
  }
  return Object(members);
}

std::string IdClaims(const std::map<std::string, std::string>& overrides = {}) {
  std::map<std::string, std::string> all = {{"client_id", ""},
                                            {"token_use", Quote("id")},
                                            {"aud", Quote(kClient)},
                                            {"username", ""},
                                            {"cognito:username", Quote("andrewbrown")}};
  for (const auto& [name, value] : overrides) all[name] = value;
  return AccessClaims(all);
}

class JwtTest : public ::testing::Test {
 protected:
  JwtTest() {
    JwkSet keys;
    keys.Add("key-1", TestKey());
    JwtExpectations expect;
    expect.issuer = kIssuer;
    expect.client_id = kClient;
    auth_ = std::make_unique<JwtAuthenticator>(
        std::make_shared<StaticKeyProvider>(std::move(keys)), expect,
        [] { return std::chrono::system_clock::time_point(std::chrono::seconds(kNow)); });
  }

  AuthResult Check(const std::string& token) { return auth_->AuthenticateToken(token); }
  AuthResult CheckClaims(const std::string& payload) {
    return Check(SignedToken(TestKey(), kHeader, payload));
  }

  std::unique_ptr<JwtAuthenticator> auth_;
};

// ---- base64url ----------------------------------------------------------------------------------

TEST(Base64UrlTest, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    std::string encoded = Base64UrlEncode(bytes);
    EXPECT_EQ(encoded.find_first_of("=+/"), std::string::npos);
    auto decoded = Base64UrlDecode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, bytes);
    bytes.push_back(static_cast<char>(i * 37 + 250));
  }
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
}

TEST(Base64UrlTest, DecodeIsStrict) {
  EXPECT_EQ(Base64UrlDecode("QQ"), "A");
  EXPECT_FALSE(Base64UrlDecode("QR").has_value());    // non-zero leftover bits
  EXPECT_FALSE(Base64UrlDecode("QQ==").has_value());  // padding
  EXPECT_FALSE(Base64UrlDecode("a+b/").has_value());  // standard alphabet
  EXPECT_FALSE(Base64UrlDecode("QUJD Q").has_value());
  EXPECT_FALSE(Base64UrlDecode("QUJDR").has_value());  // length 1 mod 4
  EXPECT_EQ(Base64UrlDecode(""), "");
}

// ---- keys ---------------------------------------------------------------------------------------

TEST(RsaKeyTest, PemAndJwkComponentsRoundTrip) {
  const RsaKey& key = TestKey();
  EXPECT_TRUE(key.has_private());
  EXPECT_EQ(key.bits(), 2048);
  RsaKey from_private = RsaKey::FromPem(key.PrivatePem());
  EXPECT_TRUE(from_private.has_private());
  RsaKey from_public = RsaKey::FromPem(key.PublicPem());
  EXPECT_FALSE(from_public.has_private());
  RsaKey from_jwk = RsaKey::FromJwkComponents(key.ModulusB64Url(), key.ExponentB64Url());
  EXPECT_EQ(key.ExponentB64Url(), "AQAB");
  EXPECT_EQ(from_jwk.Thumbprint(), key.Thumbprint());
  EXPECT_EQ(from_public.Thumbprint(), key.Thumbprint());

  std::string signature = key.SignRs256("hello");
  EXPECT_EQ(signature.size(), 256u);
  EXPECT_TRUE(from_jwk.VerifyRs256("hello", signature));
  EXPECT_FALSE(from_jwk.VerifyRs256("hellO", signature));
  EXPECT_FALSE(OtherTestKey().VerifyRs256("hello", signature));
  EXPECT_THROW(from_public.SignRs256("x"), std::logic_error);
}

TEST(RsaKeyTest, Rfc7638ThumbprintExample) {
  RsaKey key = RsaKey::FromJwkComponents(
      "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
      "BJECPe"
      "bWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY"
      "368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0"
      "fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
      "AQAB");
  EXPECT_EQ(key.Thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST(RsaKeyTest, RejectsShortAndNonRsaKeys) {
  EXPECT_THROW(RsaKey::Generate(1024), std::invalid_argument);
  EVP_PKEY* small = EVP_RSA_gen(1024);
  ASSERT_NE(small, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, small);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  EVP_PKEY_free(small);
  EXPECT_THROW(RsaKey::FromPem(pem), std::invalid_argument);

  EVP_PKEY* ec = EVP_EC_gen("P-256");
  ASSERT_NE(ec, nullptr);
  bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, ec);
  size = BIO_get_mem_data(bio, &data);
  std::string ec_pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  EVP_PKEY_free(ec);
  EXPECT_THROW(RsaKey::FromPem(ec_pem), std::invalid_argument);
  EXPECT_THROW(RsaKey::FromPem("not a pem"), std::invalid_argument);
  EXPECT_THROW(RsaKey::FromJwkComponents("***", "AQAB"), std::invalid_argument);
  EXPECT_THROW(RsaKey::FromJwkComponents(TestKey().ModulusB64Url(), "Ag"),  // e = 2
               std::invalid_argument);
}

// ---- valid tokens -------------------------------------------------------------------------------

TEST_F(JwtTest, AcceptsAnAccessToken) {
  AuthResult result = CheckClaims(AccessClaims());
  ASSERT_TRUE(result.ok()) << result.reason;
  EXPECT_EQ(result.identity.sub, "5d3c-sub");
  EXPECT_EQ(result.identity.username, "andrewbrown");
  EXPECT_EQ(result.identity.token_use, "access");
  EXPECT_EQ(result.http_status(), 200);
}

TEST_F(JwtTest, AcceptsAnIdTokenWithAudStringOrArray) {
  AuthResult result = CheckClaims(IdClaims());
  ASSERT_TRUE(result.ok()) << result.reason;
  EXPECT_EQ(result.identity.username, "andrewbrown");
  EXPECT_EQ(result.identity.token_use, "id");
  result = CheckClaims(IdClaims({{"aud", R"(["other","client123"])"}}));
  EXPECT_TRUE(result.ok()) << result.reason;
}

TEST_F(JwtTest, AcceptsFractionalDatesAndTheLeeway) {
  EXPECT_TRUE(CheckClaims(AccessClaims({{"exp", std::to_string(kNow - 59)}})).ok());
  EXPECT_TRUE(CheckClaims(AccessClaims({{"exp", "1700003600.5"}})).ok());
  EXPECT_TRUE(CheckClaims(AccessClaims({{"nbf", std::to_string(kNow + 59)}})).ok());
  EXPECT_TRUE(CheckClaims(AccessClaims({{"iat", ""}})).ok());  // iat is optional
}

// ---- claims -------------------------------------------------------------------------------------

TEST_F(JwtTest, RejectsExpiredTokens) {
  AuthResult result = CheckClaims(AccessClaims({{"exp", std::to_string(kNow - 61)}}));
  EXPECT_EQ(result.error, AuthError::kExpired);
  EXPECT_EQ(result.http_status(), 401);
  EXPECT_EQ(result.reason, "token has expired");
  EXPECT_EQ(CheckClaims(AccessClaims({{"exp", ""}})).error, AuthError::kMissingClaim);
  EXPECT_EQ(CheckClaims(AccessClaims({{"exp", "\"soon\""}})).error, AuthError::kMissingClaim);
  EXPECT_EQ(CheckClaims(AccessClaims({{"exp", "1e300"}})).error, AuthError::kMissingClaim);
}

TEST_F(JwtTest, RejectsTokensNotValidYet) {
  EXPECT_EQ(CheckClaims(AccessClaims({{"nbf", std::to_string(kNow + 61)}})).error,
            AuthError::kNotYetValid);
  EXPECT_EQ(CheckClaims(AccessClaims({{"iat", std::to_string(kNow + 3000)}})).error,
            AuthError::kNotYetValid);
  EXPECT_EQ(CheckClaims(AccessClaims({{"nbf", "null"}})).error, AuthError::kMissingClaim);
}

TEST_F(JwtTest, RejectsAnotherIssuer) {
  std::string other = Quote("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other");
  EXPECT_EQ(CheckClaims(AccessClaims({{"iss", other}})).error, AuthError::kWrongIssuer);
  EXPECT_EQ(CheckClaims(AccessClaims({{"iss", ""}})).error, AuthError::kMissingClaim);
}

TEST_F(JwtTest, RejectsAnotherClient) {
  EXPECT_EQ(CheckClaims(AccessClaims({{"client_id", Quote("evil")}})).error,
            AuthError::kWrongAudience);
  EXPECT_EQ(CheckClaims(AccessClaims({{"client_id", ""}})).error, AuthError::kWrongAudience);
  // An access token's aud is not its client id (Cognito access tokens have no aud).
  EXPECT_EQ(CheckClaims(AccessClaims({{"client_id", ""}, {"aud", Quote(kClient)}})).error,
            AuthError::kWrongAudience);
  EXPECT_EQ(CheckClaims(IdClaims({{"aud", Quote("evil")}})).error, AuthError::kWrongAudience);
  EXPECT_EQ(CheckClaims(IdClaims({{"aud", R"(["evil"])"}})).error, AuthError::kWrongAudience);
  // An id token's client_id claim does not count for it.
  EXPECT_EQ(CheckClaims(IdClaims({{"aud", ""}, {"client_id", Quote(kClient)}})).error,
            AuthError::kWrongAudience);
}

TEST_F(JwtTest, RejectsOtherTokenUses) {
  EXPECT_EQ(CheckClaims(AccessClaims({{"token_use", Quote("refresh")}})).error,
            AuthError::kWrongTokenUse);
  EXPECT_EQ(CheckClaims(AccessClaims({{"token_use", ""}})).error, AuthError::kMissingClaim);
}

TEST_F(JwtTest, RequiresASub) {
  EXPECT_EQ(CheckClaims(AccessClaims({{"sub", ""}})).error, AuthError::kMissingClaim);
  EXPECT_EQ(CheckClaims(AccessClaims({{"sub", "\"\""}})).error, AuthError::kMissingClaim);
  EXPECT_EQ(CheckClaims(AccessClaims({{"sub", "42"}})).error, AuthError::kMissingClaim);
}

TEST(JwtExpectationsTest, TokenKindsCanBeRestricted) {
  JwtExpectations expect;
  expect.issuer = kIssuer;
  expect.client_id = kClient;
  expect.accept_id_tokens = false;
  JwtClaims claims;
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(kNow));
  EXPECT_EQ(api::CheckClaims(IdClaims(), expect, now, claims).error, AuthError::kWrongTokenUse);
  EXPECT_TRUE(api::CheckClaims(AccessClaims(), expect, now, claims).ok());
}

// ---- header and signature -----------------------------------------------------------------------

TEST_F(JwtTest, RejectsAlgNone) {
  std::string payload = AccessClaims();
  AuthResult result = Check(RawToken(R"({"kid":"key-1","alg":"none"})", payload, ""));
  EXPECT_EQ(result.error, AuthError::kUnsupportedAlg);
  // Some libraries accepted "None"/"NONE" or a missing signature segment.
  EXPECT_EQ(Check(RawToken(R"({"kid":"key-1","alg":"None"})", payload, "x")).error,
            AuthError::kUnsupportedAlg);
  EXPECT_EQ(Check(B64(R"({"kid":"key-1","alg":"none"})") + "." + B64(payload) + ".").error,
            AuthError::kUnsupportedAlg);
  EXPECT_EQ(Check(RawToken(R"({"kid":"key-1"})", payload, "x")).error, AuthError::kMalformedToken);
}

TEST_F(JwtTest, RejectsHs256SignedWithThePublicKey) {
  // The classic confusion: an HMAC "signed" with the server's public key as the secret.
  std::string secret = TestKey().PublicPem();
  std::string input = B64(R"({"kid":"key-1","alg":"HS256"})") + "." + B64(AccessClaims());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_size);
  std::string token = input + "." + B64(std::string(reinterpret_cast<char*>(mac), mac_size));
  EXPECT_EQ(Check(token).error, AuthError::kUnsupportedAlg);
  // Even when the attacker also swaps the header's alg for RS256, the MAC is not a signature.
  std::string input2 = B64(kHeader) + "." + B64(AccessClaims());
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input2.data()), input2.size(), mac, &mac_size);
  EXPECT_EQ(Check(input2 + "." + B64(std::string(reinterpret_cast<char*>(mac), mac_size))).error,
            AuthError::kBadSignature);
  for (const char* alg : {"RS512", "PS256", "ES256", "HS512"}) {
    std::string header = std::string(R"({"kid":"key-1","alg":")") + alg + "\"}";
    EXPECT_EQ(Check(SignedToken(TestKey(), header, AccessClaims())).error,
              AuthError::kUnsupportedAlg)
        << alg;
  }
}

TEST_F(JwtTest, RequiresAKnownKid) {
  EXPECT_EQ(Check(SignedToken(TestKey(), R"({"alg":"RS256"})", AccessClaims())).error,
            AuthError::kMissingKid);
  EXPECT_EQ(Check(SignedToken(TestKey(), R"({"alg":"RS256","kid":""})", AccessClaims())).error,
            AuthError::kMissingKid);
  EXPECT_EQ(Check(SignedToken(TestKey(), R"({"alg":"RS256","kid":7})", AccessClaims())).error,
            AuthError::kMissingKid);
  AuthResult result =
      Check(SignedToken(TestKey(), R"({"alg":"RS256","kid":"key-2"})", AccessClaims()));
  EXPECT_EQ(result.error, AuthError::kUnknownKid);
  EXPECT_EQ(result.http_status(), 401);
}

TEST_F(JwtTest, RejectsAnotherKeysSignature) {
  EXPECT_EQ(Check(SignedToken(OtherTestKey(), kHeader, AccessClaims())).error,
            AuthError::kBadSignature);
}

TEST_F(JwtTest, RejectsTamperedTokens) {
  std::string token = SignedToken(TestKey(), kHeader, AccessClaims());
  ASSERT_TRUE(Check(token).ok());
  std::size_t first = token.find('.');
  std::size_t second = token.find('.', first + 1);
  // Another sub with the original signature.
  std::string forged = token.substr(0, first + 1) +
                       B64(AccessClaims({{"sub", Quote("someone-else")}})) + token.substr(second);
  EXPECT_EQ(Check(forged).error, AuthError::kBadSignature);
  // One bit of the signature flipped.
  std::string signature = *Base64UrlDecode(token.substr(second + 1));
  signature[100] = static_cast<char>(signature[100] ^ 1);
  EXPECT_EQ(Check(token.substr(0, second + 1) + B64(signature)).error, AuthError::kBadSignature);
  // A truncated signature.
  EXPECT_EQ(Check(token.substr(0, second + 1) + B64(signature.substr(0, 255))).error,
            AuthError::kBadSignature);
  // No signature at all.
  EXPECT_EQ(Check(token.substr(0, second + 1)).error, AuthError::kBadSignature);
}

TEST_F(JwtTest, RejectsMalformedTokens) {
  std::string token = SignedToken(TestKey(), kHeader, AccessClaims());
  std::size_t first = token.find('.');
  EXPECT_EQ(Check("").error, AuthError::kMalformedToken);
  EXPECT_EQ(Check("abc").error, AuthError::kMalformedToken);
  EXPECT_EQ(Check(token.substr(0, token.rfind('.'))).error, AuthError::kMalformedToken);  // 2
  EXPECT_EQ(Check(token + ".e30").error, AuthError::kMalformedToken);                     // 4
  EXPECT_EQ(Check(token + ".").error, AuthError::kMalformedToken);
  std::string bad_b64 = token;
  bad_b64[first + 3] = '*';
  EXPECT_EQ(Check(bad_b64).error, AuthError::kMalformedToken);
  EXPECT_EQ(Check(token + "=").error, AuthError::kMalformedToken);
  EXPECT_EQ(Check(std::string(kMaxTokenBytes + 1, 'a')).error, AuthError::kMalformedToken);
  // A big claim pushes a correctly signed token over the limit.
  std::string huge =
      SignedToken(TestKey(), kHeader, AccessClaims({{"pad", Quote(std::string(9000, 'x'))}}));
  AuthResult result = Check(huge);
  EXPECT_EQ(result.error, AuthError::kMalformedToken);
  EXPECT_NE(result.reason.find("8192"), std::string::npos);
}

TEST_F(JwtTest, RejectsBadJson) {
  auto signed_with = [&](std::string_view header, std::string_view payload) {
    return Check(SignedToken(TestKey(), header, payload)).error;
  };
  EXPECT_EQ(signed_with(kHeader, "not json"), AuthError::kMalformedToken);
  EXPECT_EQ(signed_with(kHeader, "[1,2]"), AuthError::kMalformedToken);
  EXPECT_EQ(signed_with(kHeader, AccessClaims() + "x"), AuthError::kMalformedToken);
  EXPECT_EQ(signed_with("[]", AccessClaims()), AuthError::kMalformedToken);
  EXPECT_EQ(signed_with(R"({"kid":"key-1","alg":"RS256","alg":"none"})", AccessClaims()),
            AuthError::kMalformedToken);
  EXPECT_EQ(signed_with(R"({"kid":"key-1","alg":"RS256","crit":["exp"]})", AccessClaims()),
            AuthError::kMalformedToken);
  // A second "sub" would make the identity ambiguous.
  std::string payload = AccessClaims();
  payload.insert(1, R"("sub":"admin",)");
  EXPECT_EQ(signed_with(kHeader, payload), AuthError::kMalformedToken);
  EXPECT_EQ(signed_with(kHeader, "{\"sub\":\"\xff\"}"), AuthError::kMalformedToken);
  // Deep nesting is handled without recursion.
  EXPECT_EQ(signed_with(kHeader, std::string(3000, '[')), AuthError::kMalformedToken);
}

TEST(SignJwtTest, UsesCognitosHeader) {
  std::string token = SignJwt(TestKey(), "kid-9", R"({"sub":"x"})");
  ParsedJwt parsed;
  ASSERT_TRUE(ParseJwt(token, parsed).ok());
  EXPECT_EQ(parsed.kid, "kid-9");
  EXPECT_EQ(parsed.payload_json, R"({"sub":"x"})");
  EXPECT_EQ(*Base64UrlDecode(token.substr(0, token.find('.'))), R"({"kid":"kid-9","alg":"RS256"})");
  EXPECT_TRUE(TestKey().VerifyRs256(parsed.signing_input, parsed.signature));
}

TEST(AuthErrorTest, NamesAndStatuses) {
  EXPECT_EQ(AuthErrorName(AuthError::kUnknownKid), "unknown_kid");
  EXPECT_EQ(AuthErrorName(AuthError::kKeysUnavailable), "keys_unavailable");
  EXPECT_EQ(AuthErrorHttpStatus(AuthError::kExpired), 401);
  EXPECT_EQ(AuthErrorHttpStatus(AuthError::kKeysUnavailable), 503);
  EXPECT_EQ(AuthErrorHttpStatus(AuthError::kOk), 200);
}

}  // namespace
}  // namespace cruddur::api
