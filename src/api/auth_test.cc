#include "api/auth.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/jwt_test_util.h"

namespace cruddur::api {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "cruddur-auth-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Sets (or unsets, with nullptr) an environment variable for one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

rapidjson::Document PayloadOf(const std::string& token) {
  std::size_t first = token.find('.');
  std::size_t second = token.find('.', first + 1);
  std::string json = *Base64UrlDecode(token.substr(first + 1, second - first - 1));
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  return doc;
}

// ---- Bearer header ------------------------------------------------------------------------------

TEST(BearerTest, AcceptsExactlyBearerAndOneToken) {
  for (const char* header : {"Bearer abc.def.ghi", "bearer abc.def.ghi", "BEARER   abc.def.ghi",
                             "  Bearer\tabc.def.ghi  "}) {
    std::string_view token;
    AuthResult result = ExtractBearerToken(header, token);
    EXPECT_TRUE(result.ok()) << header;
    EXPECT_EQ(token, "abc.def.ghi") << header;
  }
}

TEST(BearerTest, EverythingElseIsA401) {
  std::string_view token;
  EXPECT_EQ(ExtractBearerToken("", token).error, AuthError::kMissingToken);
  EXPECT_EQ(ExtractBearerToken("   ", token).error, AuthError::kMissingToken);
  for (const char* header :
       {"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc", "Bearer a b",
        "Bearer a.b.c extra words", "abc.def.ghi", "Bearerabc.def.ghi", "Bearer a\x01"}) {
    AuthResult result = ExtractBearerToken(header, token);
    EXPECT_EQ(result.error, AuthError::kBadScheme) << header;
    EXPECT_EQ(result.http_status(), 401) << header;
  }
}

TEST(BearerTest, WwwAuthenticate) {
  std::string_view token;
  EXPECT_EQ(ExtractBearerToken("", token).WwwAuthenticate(), "Bearer realm=\"cruddur\"");
  AuthResult result;
  result.error = AuthError::kMalformedToken;
  result.reason = "token header has no \"kid\"";
  EXPECT_EQ(result.WwwAuthenticate(),
            "Bearer realm=\"cruddur\", error=\"invalid_token\", "
            "error_description=\"token header has no \\\"kid\\\"\"");
  EXPECT_NE(ExtractBearerToken("Basic x", token).WwwAuthenticate().find("invalid_request"),
            std::string::npos);
}

// ---- development key ----------------------------------------------------------------------------

TEST(DevSigningKeyTest, IsCreatedOnceWithMode0600) {
  TempDir dir;
  fs::path data_dir = dir.path() / "data";  // does not exist yet
  DevSigningKey key = DevSigningKey::LoadOrCreate(data_dir);
  fs::path file = data_dir / kDevSigningKeyFile;
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(key.key().bits(), 2048);
  EXPECT_EQ(key.kid(), key.key().Thumbprint());

  DevSigningKey again = DevSigningKey::LoadOrCreate(data_dir);
  EXPECT_EQ(again.kid(), key.kid());
  EXPECT_EQ(again.key().PrivatePem(), key.key().PrivatePem());
  // No temporary files are left behind.
  int files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(data_dir)) ++files;
  EXPECT_EQ(files, 1);
}

TEST(DevSigningKeyTest, ConcurrentCreatorsAgree) {
  TempDir dir;
  std::vector<std::string> kids(4);
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] { kids[i] = DevSigningKey::LoadOrCreate(dir.path()).kid(); });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(std::set<std::string>(kids.begin(), kids.end()).size(), 1u);
}

TEST(DevSigningKeyTest, RefusesUnsafeOrBrokenFiles) {
  TempDir dir;
  DevSigningKey::LoadOrCreate(dir.path());
  fs::path file = dir.path() / kDevSigningKeyFile;
  ASSERT_EQ(chmod(file.c_str(), 0644), 0);
  try {
    DevSigningKey::LoadOrCreate(dir.path());
    ADD_FAILURE() << "a world-readable key was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos) << e.what();
  }
  ASSERT_EQ(chmod(file.c_str(), 0600), 0);
  { std::ofstream(file, std::ios::trunc) << "garbage"; }
  EXPECT_THROW(DevSigningKey::LoadOrCreate(dir.path()), std::runtime_error);
  // A public key cannot sign.
  { std::ofstream(file, std::ios::trunc) << testing::TestKey().PublicPem(); }
  EXPECT_THROW(DevSigningKey::LoadOrCreate(dir.path()), std::exception);
}

TEST(DevSigningKeyTest, MintsCognitoLikeAccessTokens) {
  TempDir dir;
  DevSigningKey key = DevSigningKey::LoadOrCreate(dir.path());
  auto now = std::chrono::system_clock::time_point(1700000000s);
  std::string token = key.MintToken("sub-123", "andrewbrown", 3600s, now);
  ParsedJwt parsed;
  ASSERT_TRUE(ParseJwt(token, parsed).ok());
  EXPECT_EQ(parsed.kid, key.kid());
  rapidjson::Document claims = PayloadOf(token);
  EXPECT_STREQ(claims["sub"].GetString(), "sub-123");
  EXPECT_STREQ(claims["username"].GetString(), "andrewbrown");
  EXPECT_STREQ(claims["iss"].GetString(), "cruddur-dev");
  EXPECT_STREQ(claims["client_id"].GetString(), "cruddur-dev-client");
  EXPECT_STREQ(claims["token_use"].GetString(), "access");
  EXPECT_EQ(claims["iat"].GetInt64(), 1700000000);
  EXPECT_EQ(claims["exp"].GetInt64(), 1700003600);
  EXPECT_NE(claims["jti"].GetString(),
            std::string(PayloadOf(key.MintToken("s", "u", 1s, now))["jti"].GetString()));
  EXPECT_THROW(key.MintToken("", "u", 1s), std::invalid_argument);
  EXPECT_THROW(key.MintToken("s", "u", 0s), std::invalid_argument);
}

TEST(DevSigningKeyTest, TokensVerifyAgainstTheDevAuthenticator) {
  TempDir dir;
  AuthConfig config;
  config.data_dir = dir.path();
  auto auth = MakeAuthenticator(config);
  DevSigningKey key = DevSigningKey::LoadOrCreate(dir.path());  // the same key
  AuthResult result = auth->Authenticate("Bearer " + key.MintToken("sub-1", "bayko", 60s));
  ASSERT_TRUE(result.ok()) << result.reason;
  EXPECT_EQ(result.identity.sub, "sub-1");
  EXPECT_EQ(result.identity.username, "bayko");

  auto expired = key.MintToken("sub-1", "bayko", 60s, std::chrono::system_clock::now() - 2h);
  EXPECT_EQ(auth->Authenticate("Bearer " + expired).error, AuthError::kExpired);
  // A token from another data dir's key is not trusted.
  TempDir other;
  DevSigningKey stranger = DevSigningKey::LoadOrCreate(other.path());
  EXPECT_EQ(auth->Authenticate("Bearer " + stranger.MintToken("sub-1", "bayko", 60s)).error,
            AuthError::kUnknownKid);
  // Garbage never throws.
  EXPECT_EQ(auth->Authenticate("Bearer a.b.c").error, AuthError::kMalformedToken);
  EXPECT_EQ(auth->Authenticate("Bearer x y").error, AuthError::kBadScheme);
}

// ---- verified-token cache -----------------------------------------------------------------------

// A key set tests can rotate.
class MutableKeyProvider : public KeyProvider {
 public:
  explicit MutableKeyProvider(JwkSet keys) : keys_(std::move(keys)) {}
  KeyLookup Find(std::string_view kid) override {
    std::lock_guard lock(mutex_);
    KeyLookup lookup;
    if (const RsaKey* key = keys_.Find(kid)) lookup.key = *key;
    return lookup;
  }
  void Set(JwkSet keys) {
    std::lock_guard lock(mutex_);
    keys_ = std::move(keys);
  }

 private:
  std::mutex mutex_;
  JwkSet keys_;
};

struct CacheFixture {
  explicit CacheFixture(std::size_t size = kDefaultVerifiedTokenCacheSize)
      : key(RsaKey::Generate(2048)),
        keys(std::make_shared<MutableKeyProvider>(key.PublicJwks())),
        auth(
            keys, DevExpectations(), [this] { return now; }, size) {}
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  DevSigningKey key;
  std::shared_ptr<MutableKeyProvider> keys;
  JwtAuthenticator auth;
};

TEST(TokenCacheTest, CachedTokenStillExpiresAtExp) {
  CacheFixture f;
  const auto minted = f.now;
  const std::string token = f.key.MintToken("sub-1", "bayko", 60s, minted);
  ASSERT_TRUE(f.auth.AuthenticateToken(token).ok());
  EXPECT_EQ(f.auth.cached_tokens(), 1u);
  // Served from the cache while valid (exp + the 60 s leeway), exactly like a fresh check.
  f.now = minted + 120s;
  AuthResult again = f.auth.AuthenticateToken(token);
  ASSERT_TRUE(again.ok()) << again.reason;
  EXPECT_EQ(again.identity.sub, "sub-1");
  EXPECT_EQ(again.identity.username, "bayko");
  EXPECT_EQ(again.identity.token_use, "access");
  f.now = minted + 122s;
  EXPECT_EQ(f.auth.AuthenticateToken(token).error, AuthError::kExpired);
  EXPECT_EQ(f.auth.cached_tokens(), 0u);
  EXPECT_EQ(f.auth.AuthenticateToken(token).error, AuthError::kExpired);
}

TEST(TokenCacheTest, TamperedTokenIsRejectedAfterTheOriginalWasCached) {
  CacheFixture f;
  const std::string token = f.key.MintToken("sub-1", "bayko", 60s, f.now);
  ASSERT_TRUE(f.auth.AuthenticateToken(token).ok());
  const std::size_t first_dot = token.find('.');
  const std::size_t second_dot = token.find('.', first_dot + 1);
  // One byte changed in the payload, then in the signature (away from the last character, whose
  // unused bits would make it a malformed token rather than a bad signature).
  for (std::size_t pos : {first_dot + 5, second_dot + 10}) {
    std::string tampered = token;
    tampered[pos] = tampered[pos] == 'A' ? 'B' : 'A';
    AuthResult result = f.auth.AuthenticateToken(tampered);
    EXPECT_FALSE(result.ok()) << "position " << pos;
    EXPECT_TRUE(result.error == AuthError::kBadSignature ||
                result.error == AuthError::kMalformedToken)
        << AuthErrorName(result.error);
  }
  // A prefix or an extension of a cached token is not it either.
  EXPECT_FALSE(f.auth.AuthenticateToken(token + "A").ok());
  EXPECT_FALSE(f.auth.AuthenticateToken(token.substr(0, token.size() - 1)).ok());
  EXPECT_FALSE(f.auth.Authenticate("Bearer " + token + " x").ok());
  // Rejections are never cached; the original still works.
  EXPECT_EQ(f.auth.cached_tokens(), 1u);
  EXPECT_TRUE(f.auth.AuthenticateToken(token).ok());
}

TEST(TokenCacheTest, RejectedTokensAreNotCached) {
  CacheFixture f;
  auto expired = f.key.MintToken("sub-1", "bayko", 60s, f.now - 2h);
  EXPECT_EQ(f.auth.AuthenticateToken(expired).error, AuthError::kExpired);
  DevSigningKey stranger(RsaKey::Generate(2048));
  EXPECT_EQ(f.auth.AuthenticateToken(stranger.MintToken("sub-1", "bayko", 60s, f.now)).error,
            AuthError::kUnknownKid);
  EXPECT_EQ(f.auth.cached_tokens(), 0u);
}

TEST(TokenCacheTest, KeyRotationThatDropsTheKidInvalidatesCachedTokens) {
  CacheFixture f;
  const std::string token = f.key.MintToken("sub-1", "bayko", 60s, f.now);
  ASSERT_TRUE(f.auth.AuthenticateToken(token).ok());
  DevSigningKey next(RsaKey::Generate(2048));
  f.keys->Set(next.PublicJwks());  // the old kid is gone
  EXPECT_EQ(f.auth.AuthenticateToken(token).error, AuthError::kUnknownKid);
  EXPECT_EQ(f.auth.cached_tokens(), 0u);
  // Same kid, different key material (a forged set): never accepted from the cache.
  JwkSet forged;
  forged.Add(f.key.kid(), next.key());
  f.keys->Set(forged);
  EXPECT_EQ(f.auth.AuthenticateToken(token).error, AuthError::kBadSignature);
  // Restored: verified again and cached again.
  f.keys->Set(f.key.PublicJwks());
  EXPECT_TRUE(f.auth.AuthenticateToken(token).ok());
  EXPECT_EQ(f.auth.cached_tokens(), 1u);
}

TEST(TokenCacheTest, IsBounded) {
  CacheFixture f(3);
  for (int i = 0; i < 10; ++i) {
    const std::string sub = "sub-" + std::to_string(i);
    AuthResult result = f.auth.AuthenticateToken(f.key.MintToken(sub, "u", 60s, f.now));
    ASSERT_TRUE(result.ok()) << result.reason;
    EXPECT_EQ(result.identity.sub, sub);
    EXPECT_LE(f.auth.cached_tokens(), 3u);
  }
  CacheFixture off(0);
  ASSERT_TRUE(off.auth.AuthenticateToken(off.key.MintToken("s", "u", 60s, off.now)).ok());
  EXPECT_EQ(off.auth.cached_tokens(), 0u);
}

TEST(TokenCacheTest, ConcurrentUseIsSafe) {
  CacheFixture f(4);
  std::vector<std::string> tokens;
  tokens.reserve(6);
  for (int i = 0; i < 6; ++i) {
    tokens.push_back(f.key.MintToken("sub-" + std::to_string(i), "u", 60s, f.now));
  }
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const std::size_t k = static_cast<std::size_t>(i + t) % tokens.size();
        AuthResult r = f.auth.AuthenticateToken(tokens[k]);
        if (!r.ok() || r.identity.sub != "sub-" + std::to_string(k)) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

// ---- configuration ------------------------------------------------------------------------------

TEST(AuthConfigTest, DevelopmentWithoutAUserPool) {
  ScopedEnv pool("AWS_COGNITO_USER_POOL_ID", nullptr);
  AuthConfig config = AuthConfig::FromEnvironment("/tmp/x");
  EXPECT_EQ(config.mode, AuthConfig::Mode::kDevelopment);
  EXPECT_EQ(config.data_dir, fs::path("/tmp/x"));
  EXPECT_NO_THROW(config.Validate());
}

TEST(AuthConfigTest, CognitoFromTheEnvironment) {
  ScopedEnv pool("AWS_COGNITO_USER_POOL_ID", "ca-central-1_AbC123");
  ScopedEnv client("AWS_COGNITO_USER_POOL_CLIENT_ID", "5ujnc7lc");
  ScopedEnv region("AWS_DEFAULT_REGION", "us-east-1");
  AuthConfig config = AuthConfig::FromEnvironment("/tmp/x");
  EXPECT_EQ(config.mode, AuthConfig::Mode::kCognito);
  EXPECT_EQ(config.region, "ca-central-1");  // the pool's region
  EXPECT_EQ(config.client_id, "5ujnc7lc");
  EXPECT_EQ(config.Issuer(), "https://cognito-idp.ca-central-1.amazonaws.com/ca-central-1_AbC123");
  EXPECT_EQ(config.JwksSource(),
            "https://cognito-idp.ca-central-1.amazonaws.com/ca-central-1_AbC123/.well-known/"
            "jwks.json");
  EXPECT_NO_THROW(config.Validate());
  EXPECT_EQ(AuthConfig::FromEnvironment("/tmp/x", "/etc/jwks.json").JwksSource(), "/etc/jwks.json");
}

TEST(AuthConfigTest, CognitoNeedsAClientIdAndARegion) {
  ScopedEnv pool("AWS_COGNITO_USER_POOL_ID", "PoolWithoutRegion");
  ScopedEnv client("AWS_COGNITO_USER_POOL_CLIENT_ID", nullptr);
  ScopedEnv region("AWS_REGION", nullptr);
  ScopedEnv default_region("AWS_DEFAULT_REGION", nullptr);
  AuthConfig config = AuthConfig::FromEnvironment("/tmp/x");
  EXPECT_THROW(config.Validate(), std::invalid_argument);
  config.client_id = "c";
  EXPECT_THROW(config.Validate(), std::invalid_argument);  // no region
  config.region = "eu-west-1";
  EXPECT_NO_THROW(config.Validate());
  config.user_pool_id = "x/../../evil";
  EXPECT_THROW(config.Validate(), std::invalid_argument);
}

TEST(AuthConfigTest, CognitoModeVerifiesAgainstTheJwks) {
  TempDir dir;
  fs::path jwks = dir.path() / "jwks.json";
  const RsaKey& key = testing::TestKey();
  JwkSet set;
  set.Add("cognito-kid", key);
  { std::ofstream(jwks) << set.ToJson(); }

  AuthConfig config;
  config.mode = AuthConfig::Mode::kCognito;
  config.region = "us-east-1";
  config.user_pool_id = "us-east-1_TeSt";
  config.client_id = "app-client";
  config.jwks_source = jwks.string();
  auto auth = MakeAuthenticator(config);
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  std::string claims = R"({"sub":"cog-sub","iss":")" + config.Issuer() +
                       R"(","client_id":"app-client","token_use":"access","username":"u","exp":)" +
                       std::to_string(now + 600) + R"(,"iat":)" + std::to_string(now) + "}";
  AuthResult result = auth->Authenticate("Bearer " + SignJwt(key, "cognito-kid", claims));
  ASSERT_TRUE(result.ok()) << result.reason;
  EXPECT_EQ(result.identity.sub, "cog-sub");

  // A development token is not accepted in Cognito mode.
  DevSigningKey dev = DevSigningKey::LoadOrCreate(dir.path());
  EXPECT_FALSE(auth->Authenticate("Bearer " + dev.MintToken("s", "u", 60s)).ok());
}

TEST(AuthConfigTest, CognitoModeStartsOffline) {
  AuthConfig config;
  config.mode = AuthConfig::Mode::kCognito;
  config.region = "us-east-1";
  config.user_pool_id = "us-east-1_TeSt";
  config.client_id = "app-client";
  config.jwks_source = "http://127.0.0.1:1/jwks.json";  // nothing listens on port 1
  std::unique_ptr<Authenticator> auth;
  ASSERT_NO_THROW(auth = MakeAuthenticator(config));
  std::string token = SignJwt(testing::TestKey(), "k", R"({"sub":"x"})");
  AuthResult result = auth->Authenticate("Bearer " + token);
  EXPECT_EQ(result.error, AuthError::kKeysUnavailable);
  EXPECT_EQ(result.http_status(), 503);
}

}  // namespace
}  // namespace cruddur::api
