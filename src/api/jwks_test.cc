#include "api/jwks.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/auth.h"
#include "api/jwt_test_util.h"
#include "http/server.h"
#include "http/server_test_util.h"

namespace cruddur::api {
namespace {

using namespace std::chrono_literals;
using testing::OtherTestKey;
using testing::TestKey;
namespace fs = std::filesystem;

std::string JwksWith(const std::vector<std::pair<std::string, const RsaKey*>>& keys) {
  JwkSet set;
  for (const auto& [kid, key] : keys) set.Add(kid, *key);
  return set.ToJson();
}

// A clock the test moves by hand.
struct FakeClock {
  std::shared_ptr<std::atomic<std::int64_t>> ms = std::make_shared<std::atomic<std::int64_t>>(0);
  std::function<std::chrono::steady_clock::time_point()> Fn() const {
    auto counter = ms;
    return [counter] {
      return std::chrono::steady_clock::time_point(std::chrono::milliseconds(counter->load()));
    };
  }
  void Advance(std::chrono::milliseconds d) const { *ms += d.count(); }
  // A provider's options, with this clock as its time.
  JwksProviderOptions Options() const {
    JwksProviderOptions options;
    options.now = Fn();
    return options;
  }
};

fs::path TempDir() {
  std::string pattern = (fs::temp_directory_path() / "cruddur-jwks-XXXXXX").string();
  char* made = mkdtemp(pattern.data());
  if (made == nullptr) throw std::runtime_error("mkdtemp failed");
  return made;
}

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// ---- JwkSet -------------------------------------------------------------------------------------

TEST(JwkSetTest, ParsesRsaSigningKeysAndSkipsTheRest) {
  const RsaKey& key = TestKey();
  std::string n = key.ModulusB64Url();
  std::string doc = R"({"keys":[
    {"alg":"RS256","e":"AQAB","kid":"a","kty":"RSA","n":")" +
                    n + R"(","use":"sig"},
    {"e":"AQAB","kid":"b","kty":"RSA","n":")" +
                    n + R"("},
    {"kty":"EC","kid":"c","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x"},
    {"alg":"RS256","e":"AQAB","kid":"d","kty":"RSA","n":")" +
                    n + R"(","use":"enc"},
    {"alg":"RS512","e":"AQAB","kid":"e","kty":"RSA","n":")" +
                    n + R"("},
    {"alg":"RS256","e":"AQAB","kid":"f","kty":"RSA","n":"AQAB"},
    {"alg":"RS256","e":"AQAB","kty":"RSA","n":")" +
                    n + R"("},
    {"alg":"RS256","e":"AQAB","kid":"a","kty":"RSA","n":")" +
                    OtherTestKey().ModulusB64Url() +
                    R"("},
    "junk"]})";
  JwkSet set = JwkSet::Parse(doc);
  EXPECT_EQ(set.size(), 2u);
  ASSERT_NE(set.Find("a"), nullptr);
  EXPECT_EQ(set.Find("a")->Thumbprint(), key.Thumbprint());  // the first "a" wins
  EXPECT_NE(set.Find("b"), nullptr);
  for (const char* kid : {"c", "d", "e", "f", ""}) EXPECT_EQ(set.Find(kid), nullptr) << kid;
}

TEST(JwkSetTest, RejectsDocumentsWithoutKeys) {
  EXPECT_THROW(JwkSet::Parse("not json"), std::invalid_argument);
  EXPECT_THROW(JwkSet::Parse("[]"), std::invalid_argument);
  EXPECT_THROW(JwkSet::Parse(R"({"keys":{}})"), std::invalid_argument);
  EXPECT_TRUE(JwkSet::Parse(R"({"keys":[]})").empty());
}

TEST(JwkSetTest, ToJsonRoundTrips) {
  std::string json = JwksWith({{"k1", &TestKey()}, {"k2", &OtherTestKey()}});
  EXPECT_NE(json.find(R"("alg":"RS256","e":"AQAB","kid":"k1","kty":"RSA","n":")"),
            std::string::npos);
  EXPECT_EQ(json.find("BEGIN"), std::string::npos);
  JwkSet back = JwkSet::Parse(json);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back.Find("k2")->Thumbprint(), OtherTestKey().Thumbprint());
  EXPECT_FALSE(back.Find("k1")->has_private());
}

TEST(CognitoUrlsTest, IssuerAndJwksUrl) {
  EXPECT_EQ(CognitoIssuer("us-east-1", "us-east-1_AbC"),
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC");
  EXPECT_EQ(CognitoJwksUrl("us-east-1", "us-east-1_AbC"),
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC/.well-known/jwks.json");
}

// ---- JwksProvider with a fake source ------------------------------------------------------------

struct FakeSource {
  std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
  std::shared_ptr<std::string> doc = std::make_shared<std::string>();
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<bool>> failing = std::make_shared<std::atomic<bool>>(false);

  void Set(std::string text) const {
    std::lock_guard lock(*mutex);
    *doc = std::move(text);
  }
  JwksProvider::Fetcher Fetcher() const {
    FakeSource self = *this;
    return [self] {
      ++*self.calls;
      if (*self.failing) throw std::runtime_error("connection refused");
      std::lock_guard lock(*self.mutex);
      return *self.doc;
    };
  }
};

TEST(JwksProviderTest, LoadsLazilyAndCaches) {
  FakeSource source;
  source.Set(JwksWith({{"k1", &TestKey()}}));
  FakeClock clock;
  JwksProviderOptions options = clock.Options();
  JwksProvider provider("fake", source.Fetcher(), options);
  EXPECT_EQ(*source.calls, 0);  // nothing happens before the first token
  for (int i = 0; i < 5; ++i) {
    KeyLookup lookup = provider.Find("k1");
    ASSERT_TRUE(lookup.key.has_value());
    EXPECT_TRUE(lookup.error.empty());
  }
  EXPECT_EQ(*source.calls, 1);
  EXPECT_EQ(provider.load_attempts(), 1);
}

TEST(JwksProviderTest, RefreshesOnUnknownKidAtMostOncePerInterval) {
  FakeSource source;
  source.Set(JwksWith({{"k1", &TestKey()}}));
  FakeClock clock;
  JwksProviderOptions options = clock.Options();
  options.min_refresh_interval = 30s;
  JwksProvider provider("fake", source.Fetcher(), options);
  ASSERT_TRUE(provider.Find("k1").key.has_value());

  // The pool rotates in k2.
  source.Set(JwksWith({{"k1", &TestKey()}, {"k2", &OtherTestKey()}}));
  clock.Advance(10s);
  KeyLookup lookup = provider.Find("k2");  // too soon after the first load
  EXPECT_FALSE(lookup.key.has_value());
  EXPECT_TRUE(lookup.error.empty());
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(provider.Find("garbage-kid").key.has_value());
  EXPECT_EQ(*source.calls, 1);

  clock.Advance(20s);
  lookup = provider.Find("k2");
  ASSERT_TRUE(lookup.key.has_value());
  EXPECT_EQ(lookup.key->Thumbprint(), OtherTestKey().Thumbprint());
  EXPECT_EQ(*source.calls, 2);

  // Unknown kids cannot make it fetch in a loop.
  for (int i = 0; i < 20; ++i) provider.Find("nope-" + std::to_string(i));
  EXPECT_EQ(*source.calls, 2);
  clock.Advance(31s);
  provider.Find("nope");
  EXPECT_EQ(*source.calls, 3);
}

TEST(JwksProviderTest, FailedLoadsReportAnErrorAndKeepOldKeys) {
  FakeSource source;
  *source.failing = true;
  FakeClock clock;
  JwksProviderOptions options = clock.Options();
  JwksProvider provider("https://example/jwks.json", source.Fetcher(), options);
  KeyLookup lookup = provider.Find("k1");
  EXPECT_FALSE(lookup.key.has_value());
  EXPECT_NE(lookup.error.find("connection refused"), std::string::npos) << lookup.error;
  EXPECT_NE(lookup.error.find("https://example/jwks.json"), std::string::npos);
  provider.Find("k1");  // retried only after the interval
  EXPECT_EQ(*source.calls, 1);
  EXPECT_FALSE(provider.Find("k1").error.empty());

  // The network comes back.
  *source.failing = false;
  source.Set(JwksWith({{"k1", &TestKey()}}));
  clock.Advance(31s);
  lookup = provider.Find("k1");
  ASSERT_TRUE(lookup.key.has_value()) << lookup.error;

  // A failed refresh keeps serving the keys it has.
  *source.failing = true;
  clock.Advance(31s);
  lookup = provider.Find("k2");
  EXPECT_FALSE(lookup.key.has_value());
  EXPECT_TRUE(lookup.error.empty());  // the set is loaded; k2 just is not in it
  EXPECT_TRUE(provider.Find("k1").key.has_value());
  EXPECT_EQ(*source.calls, 3);

  // A document that is not a JWKS counts as a failure too.
  FakeSource bad;
  bad.Set("<html>");
  JwksProvider bad_provider("bad", bad.Fetcher(), options);
  EXPECT_NE(bad_provider.Find("k1").error.find("not valid JSON"), std::string::npos);
}

TEST(JwksProviderTest, CountsLoadsByResultForMetrics) {
  FakeSource source;
  source.Set(JwksWith({{"k1", &TestKey()}}));
  FakeClock clock;
  JwksProviderOptions options;
  options.now = clock.Fn();
  JwksProvider provider("fake", source.Fetcher(), options);
  JwksLoadCounts before = JwksLoads();
  provider.Find("k1");
  provider.Find("k1");  // known: no load
  *source.failing = true;
  clock.Advance(31s);
  provider.Find("k2");
  JwksLoadCounts after = JwksLoads();
  EXPECT_EQ(after.succeeded - before.succeeded, 1u);
  EXPECT_EQ(after.failed - before.failed, 1u);
}

TEST(JwksProviderTest, ConcurrentFindsLoadOnce) {
  FakeSource source;
  source.Set(JwksWith({{"k1", &TestKey()}}));
  JwksProvider provider("fake", source.Fetcher());
  std::atomic<int> found{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) found += provider.Find("k1").key.has_value() ? 1 : 0;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(found, 400);
  EXPECT_EQ(*source.calls, 1);
}

// ---- file and URL sources -----------------------------------------------------------------------

TEST(JwksProviderTest, ReadsAFile) {
  fs::path dir = TempDir();
  fs::path file = dir / "jwks.json";
  auto provider = JwksProvider::FromSource(file.string());  // missing file: fine until used
  KeyLookup lookup = provider->Find("k1");
  EXPECT_FALSE(lookup.key.has_value());
  EXPECT_NE(lookup.error.find("cannot open"), std::string::npos) << lookup.error;

  WriteFile(file, JwksWith({{"k1", &TestKey()}}));
  JwksProviderOptions options;
  options.min_refresh_interval = 0ms;
  provider = JwksProvider::FromSource("file://" + file.string(), options);
  EXPECT_TRUE(provider->Find("k1").key.has_value());
  EXPECT_FALSE(provider->Find("k2").key.has_value());
  WriteFile(file, JwksWith({{"k1", &TestKey()}, {"k2", &OtherTestKey()}}));
  EXPECT_TRUE(provider->Find("k2").key.has_value());
  fs::remove_all(dir);
}

// Serves a JWKS document the test can change, and counts requests.
class JwksServer {
 public:
  JwksServer() {
    http::ServerOptions options;
    options.threads = 1;
    server_ = std::make_unique<http::Server>(options, [this](const http::Request& request) {
      ++requests_;
      http::Response response;
      std::lock_guard lock(mutex_);
      if (request.method != "GET" || request.target != "/us-east-1_TeSt/.well-known/jwks.json") {
        response.status = 404;
        return response;
      }
      response.status = status_;
      response.headers.Set("Content-Type", "application/json");
      response.body = doc_;
      return response;
    });
    server_->Start();
  }
  std::string Url() const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) +
           "/us-east-1_TeSt/.well-known/jwks.json";
  }
  std::string Origin() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  void Set(std::string doc, int status = 200) {
    std::lock_guard lock(mutex_);
    doc_ = std::move(doc);
    status_ = status;
  }
  int requests() const { return requests_; }

 private:
  std::mutex mutex_;
  std::string doc_;
  int status_ = 200;
  std::atomic<int> requests_{0};
  std::unique_ptr<http::Server> server_;
};

TEST(JwksProviderTest, FetchesAUrlAndFollowsKeyRotation) {
  JwksServer server;
  server.Set(JwksWith({{"k1", &TestKey()}}));
  FakeClock clock;
  JwksProviderOptions options = clock.Options();
  auto provider = JwksProvider::FromSource(server.Url(), options);
  EXPECT_EQ(server.requests(), 0);
  EXPECT_TRUE(provider->Find("k1").key.has_value());
  EXPECT_TRUE(provider->Find("k1").key.has_value());
  EXPECT_EQ(server.requests(), 1);

  server.Set(JwksWith({{"k2", &OtherTestKey()}}));
  EXPECT_FALSE(provider->Find("k2").key.has_value());  // rate-limited
  EXPECT_EQ(server.requests(), 1);
  clock.Advance(30s);
  EXPECT_TRUE(provider->Find("k2").key.has_value());
  EXPECT_EQ(server.requests(), 2);
  EXPECT_FALSE(provider->Find("k1").key.has_value());  // rotated out
  EXPECT_EQ(server.requests(), 2);
}

TEST(JwksProviderTest, ReportsHttpErrors) {
  JwksServer server;
  server.Set("{}", 500);
  auto provider = JwksProvider::FromSource(server.Url());
  KeyLookup lookup = provider->Find("k1");
  EXPECT_NE(lookup.error.find("HTTP 500"), std::string::npos) << lookup.error;
  auto missing = JwksProvider::FromSource(server.Origin() + "/nowhere");
  EXPECT_NE(missing->Find("k1").error.find("HTTP 404"), std::string::npos);
}

TEST(JwksProviderTest, StartsWithoutNetwork) {
  // Nothing listens on this port: construction succeeds, the first lookup reports the failure.
  std::uint16_t port = http::ClosedPort();
  JwksProviderOptions options;
  options.connect_timeout = 2s;
  auto provider =
      JwksProvider::FromSource("http://127.0.0.1:" + std::to_string(port) + "/jwks", options);
  KeyLookup lookup = provider->Find("k1");
  EXPECT_FALSE(lookup.key.has_value());
  EXPECT_FALSE(lookup.error.empty());
  EXPECT_THROW(JwksProvider::FromSource("ftp://example.com/jwks"), std::invalid_argument);
}

TEST(JwksProviderTest, AuthenticatorReportsUnavailableKeysAs503) {
  FakeSource source;
  *source.failing = true;
  JwtExpectations expect;
  expect.issuer = "iss";
  expect.client_id = "c";
  JwtAuthenticator auth(std::make_shared<JwksProvider>("fake", source.Fetcher()), expect);
  std::string token = SignJwt(TestKey(), "k1", R"({"sub":"x"})");
  AuthResult result = auth.Authenticate("Bearer " + token);
  EXPECT_EQ(result.error, AuthError::kKeysUnavailable);
  EXPECT_EQ(result.http_status(), 503);
  EXPECT_EQ(result.reason.find("fake"), std::string::npos);  // details stay in the log
  EXPECT_NE(result.detail.find("connection refused"), std::string::npos);
}

}  // namespace
}  // namespace cruddur::api
