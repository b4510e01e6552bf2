#include "api/web.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/api_test_env.h"
#include "api/auth.h"
#include "api/dev_routes.h"
#include "cruddur/users.h"
#include "testing/expect_cases.h"

namespace cruddur::api {
namespace {

using test_util::ExpectCases;

namespace fs = std::filesystem;
using testing::TempDir;

constexpr std::string_view kSecret = "TOP-SECRET-OUTSIDE-THE-WEB-DIR";

http::Request Get(std::string target, std::string method = "GET") {
  http::Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  return r;
}

void Write(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// Nothing outside the root may leak, whatever the status.
void ExpectNoLeak(const http::Response& r, const std::string& target) {
  EXPECT_TRUE(r.status == 400 || r.status == 404) << target << " -> " << r.status;
  EXPECT_EQ(r.body.find(kSecret), std::string::npos) << target;
  EXPECT_EQ(r.body.find("root:"), std::string::npos) << target;
  EXPECT_EQ(r.body.find("<html"), std::string::npos) << target;
}

// Targets that try to leave the web root: sent raw, as a client that does not normalise would.
std::vector<std::string> EscapeTargets() {
  return {"/../etc/passwd",
          "/../../../../../../etc/passwd",
          "/%2e%2e/%2e%2e/etc/passwd",
          "/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
          "/..%2fsecret.txt",
          "/..%2Fsecret.txt",
          "/%2e%2e%2fsecret.txt",
          "/./../secret.txt",
          "/sub/../../secret.txt",
          "/%00",
          "/index.html%00.js",
          std::string("/index.html\0", 12),
          "//etc/passwd",
          "//secret.txt",
          "/..\\secret.txt",
          "/%5c..%5csecret.txt",
          "/\\etc\\passwd",
          "/%2fetc%2fpasswd",
          "/link.txt",
          "/outside/secret.txt",
          "/.hidden",
          "/%252e%252e/secret.txt",
          "/%",
          "/%2",
          "/%zz",
          "etc/passwd",
          "../secret.txt",
          "http://localhost/../secret.txt",
          "/" + std::string(300, 'a'),
          "/" + std::string(kMaxWebPathBytes, 'a') + ".html"};
}

// A web dir with an index, a file outside it, and symlinks that point out of it.
class WebDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    web_ = dir_.path() / "web";
    fs::create_directories(web_ / "sub");
    Write(web_ / "index.html", "<!doctype html><html><title>disk</title></html>");
    Write(web_ / "app.js", "console.log('disk');");
    Write(web_ / "sub" / "page.css", "p{}");
    Write(web_ / ".hidden", "hidden");
    Write(dir_.path() / "secret.txt", kSecret);
    fs::create_symlink(dir_.path() / "secret.txt", web_ / "link.txt");
    fs::create_directory_symlink(dir_.path(), web_ / "outside");
    fs::create_symlink(web_ / "app.js", web_ / "alias.js");  // inside: fine
  }

  TempDir dir_;
  fs::path web_;
};

TEST(WebContentTypeTest, ByExtension) {
  const std::pair<std::string_view, std::string_view> kCases[] = {
      {"index.html", "text/html; charset=utf-8"},
      {"app.js", "text/javascript; charset=utf-8"},
      {"style.css", "text/css; charset=utf-8"},
      {"a/b/INDEX.HTML", "text/html; charset=utf-8"},
      {"x.json", "application/json"},
      {"x.svg", "image/svg+xml"},
      {"noext", "application/octet-stream"},
      {"dir.js/file", "application/octet-stream"},
      {"x.exe", "application/octet-stream"}};
  ExpectCases(ContentTypeFor, kCases);
}

TEST(WebPathTest, MapsRequestPathsToFiles) {
  EXPECT_EQ(ResolveWebPath("/").relative, "index.html");
  EXPECT_EQ(ResolveWebPath("/?user=x").relative, "index.html");
  EXPECT_EQ(ResolveWebPath("/index.html").relative, "index.html");
  EXPECT_EQ(ResolveWebPath("/app.js?v=2").relative, "app.js");
  EXPECT_EQ(ResolveWebPath("/sub/").relative, "sub/index.html");
  EXPECT_EQ(ResolveWebPath("/sub/page.css").relative, "sub/page.css");
  EXPECT_EQ(ResolveWebPath("/a%20b.txt").relative, "a b.txt");
  EXPECT_EQ(ResolveWebPath("/%252e%252e").relative, "%2e%2e");  // decoded once only
  EXPECT_EQ(ResolveWebPath("/" + std::string(kMaxWebSegmentBytes, 'a')).relative,
            std::string(kMaxWebSegmentBytes, 'a'));
}

TEST(WebPathTest, RefusesEverythingThatCouldLeaveTheRoot) {
  for (std::string target :
       {"/..",    "/../x",        "/a/../x", "/.",    "/./x",  "/%2e%2e/x", "/..%2fx",
        "/%2e/x", "/a//b",        "//x",     "/x\\y", "/%5cx", "/%00",      "/a%0ab",
        "/\x7f",  "/.git/config", "",        "x",     "/%",    "/%4",       "/%g0"}) {
    WebPath p = ResolveWebPath(target);
    EXPECT_FALSE(p.ok()) << target << " -> " << p.relative;
    EXPECT_TRUE(p.relative.empty()) << target;
  }
  EXPECT_FALSE(ResolveWebPath("/" + std::string(kMaxWebSegmentBytes + 1, 'a')).ok());
  EXPECT_FALSE(ResolveWebPath("/" + std::string(kMaxWebPathBytes, 'a')).ok());
  EXPECT_FALSE(ResolveWebPath("/a//").ok());
}

TEST(WebApiTargetTest, OnlyApiAndBelow) {
  const std::pair<std::string_view, bool> kCases[] = {
      {"/api", true},     {"/api/", true}, {"/api/message_groups?cursor=x", true},
      {"/apix", false},   {"/", false},    {"/app.js", false},
      {"/x?/api/", false}};
  ExpectCases(IsApiTarget, kCases);
}

TEST(EmbeddedWebTest, HoldsThePage) {
  std::vector<std::string> paths;
  for (const EmbeddedFile& f : EmbeddedWebFiles()) paths.emplace_back(f.path);
  for (const char* name : {"app.js", "index.html", "style.css"}) {
    EXPECT_NE(std::find(paths.begin(), paths.end(), name), paths.end()) << name;
  }
  EXPECT_TRUE(std::is_sorted(paths.begin(), paths.end()));
}

TEST(EmbeddedWebTest, ServesFilesWithTypesAndSecurityHeaders) {
  WebPage page;
  EXPECT_FALSE(page.from_disk());
  struct Case {
    std::string target;
    std::string type;
    std::string needle;
  };
  for (const Case& c :
       std::vector<Case>{{"/", "text/html; charset=utf-8", "<script src=\"app.js\""},
                         {"/index.html", "text/html; charset=utf-8", "<title>Cruddur"},
                         {"/app.js", "text/javascript; charset=utf-8", "textContent"},
                         {"/style.css", "text/css; charset=utf-8", ".messages"}}) {
    http::Response r = page.Handle(Get(c.target));
    EXPECT_EQ(r.status, 200) << c.target;
    EXPECT_EQ(r.headers.Get("Content-Type"), c.type) << c.target;
    EXPECT_NE(r.body.find(c.needle), std::string::npos) << c.target;
    EXPECT_EQ(r.headers.Get("Cache-Control"), "no-cache");
    EXPECT_EQ(r.headers.Get("X-Content-Type-Options"), "nosniff");
    std::string_view csp = r.headers.Get("Content-Security-Policy");
    EXPECT_NE(csp.find("default-src 'self'"), std::string_view::npos);
    EXPECT_NE(csp.find("script-src 'self'"), std::string_view::npos);
    EXPECT_EQ(csp.find("unsafe-inline"), std::string_view::npos);
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string_view::npos);
  }
  // The page itself never builds HTML from strings.
  http::Response js = page.Handle(Get("/app.js"));
  EXPECT_EQ(js.body.find("innerHTML"), std::string::npos);
  EXPECT_EQ(js.body.find("insertAdjacentHTML"), std::string::npos);
  EXPECT_EQ(js.body.find("document.write"), std::string::npos);
}

TEST(EmbeddedWebTest, MethodsMissingFilesAndRevalidation) {
  WebPage page;
  http::Response head = page.Handle(Get("/", "HEAD"));
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers.Get("Content-Type"), "text/html; charset=utf-8");
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "TRACE"}) {
    http::Response r = page.Handle(Get("/", method));
    EXPECT_EQ(r.status, 405) << method;
    EXPECT_EQ(r.headers.Get("Allow"), "GET, HEAD");
  }
  http::Response missing = page.Handle(Get("/nope.js"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.headers.Get("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(missing.headers.Get("Content-Type"), "text/plain; charset=utf-8");

  http::Response first = page.Handle(Get("/app.js"));
  std::string etag(first.headers.Get("ETag"));
  ASSERT_FALSE(etag.empty());
  http::Request again = Get("/app.js");
  again.headers.Set("If-None-Match", etag);
  http::Response cached = page.Handle(again);
  EXPECT_EQ(cached.status, 304);
  EXPECT_TRUE(cached.body.empty());
}

TEST(EmbeddedWebTest, EscapesAreRefused) {
  WebPage page;
  for (const std::string& target : EscapeTargets()) ExpectNoLeak(page.Handle(Get(target)), target);
}

TEST_F(WebDirTest, ServesFromDiskAndSeesEdits) {
  WebPage page(web_);
  EXPECT_TRUE(page.from_disk());
  http::Response r = page.Handle(Get("/"));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("<title>disk</title>"), std::string::npos);
  EXPECT_EQ(page.Handle(Get("/sub/page.css")).headers.Get("Content-Type"),
            "text/css; charset=utf-8");
  EXPECT_EQ(page.Handle(Get("/alias.js")).body, "console.log('disk');");  // symlink inside
  Write(web_ / "app.js", "console.log('edited');");
  EXPECT_EQ(page.Handle(Get("/app.js")).body, "console.log('edited');");
  EXPECT_EQ(page.Handle(Get("/sub")).status, 404);  // a directory is not a file
  EXPECT_EQ(page.Handle(Get("/missing.html")).status, 404);
}

TEST_F(WebDirTest, EscapesAreRefused) {
  WebPage page(web_);
  for (const std::string& target : EscapeTargets()) ExpectNoLeak(page.Handle(Get(target)), target);
  // A symlink swapped in for a served file is refused as well.
  fs::remove(web_ / "app.js");
  fs::create_symlink("/etc/passwd", web_ / "app.js");
  ExpectNoLeak(page.Handle(Get("/app.js")), "/app.js -> /etc/passwd");
}

TEST_F(WebDirTest, RootGivenThroughASymlinkStillConfines) {
  fs::create_directory_symlink(web_, dir_.path() / "web-link");
  WebPage page(dir_.path() / "web-link");
  EXPECT_EQ(page.Handle(Get("/")).status, 200);
  for (const std::string& target : EscapeTargets()) ExpectNoLeak(page.Handle(Get(target)), target);
}

TEST_F(WebDirTest, RejectsAMissingOrNonDirectoryRoot) {
  EXPECT_THROW(WebPage(dir_.path() / "nope"), std::invalid_argument);
  EXPECT_THROW(WebPage(dir_.path() / "secret.txt"), std::invalid_argument);
}

// ---- the composed handler and the development routes -----------------------------------------

class DevRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    users_ = OpenUserStore(UserStoreConfig::Sqlite((dir_.path() / "users.db").string()));
    users_->CreateSchema();
    users_->Seed();  // every seed user has cognito_user_id "MOCK"
  }

  http::Request PostToken(std::string body, const std::string& type = "application/json") {
    http::Request r = Get("/api/dev/token", "POST");
    if (!type.empty()) r.headers.Set("Content-Type", type);
    r.body = std::move(body);
    return r;
  }

  TempDir dir_;
  std::unique_ptr<UserStore> users_;
};

TEST_F(DevRoutesTest, ListsUsersAndMintsTokensTheApiAccepts) {
  DevRoutes dev(*users_, DevSigningKey::LoadOrCreate(dir_.path()));
  http::Response list = dev.Handle(Get("/api/dev/users"));
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.headers.Get("Content-Type"), "application/json");
  rapidjson::Document users;
  users.Parse(list.body.c_str());
  ASSERT_TRUE(users.IsArray());
  ASSERT_EQ(users.Size(), 3u);
  EXPECT_STREQ(users[0]["handle"].GetString(), "andrewbrown");
  EXPECT_STREQ(users[0]["display_name"].GetString(), "Andrew Brown");
  EXPECT_EQ(users[0].MemberCount(), 2u);  // no email, no cognito_user_id

  http::Response minted = dev.Handle(PostToken(R"({"handle":"@londo"})"));
  ASSERT_EQ(minted.status, 200) << minted.body;
  EXPECT_EQ(minted.headers.Get("Cache-Control"), "no-store");
  rapidjson::Document body;
  body.Parse(minted.body.c_str());
  ASSERT_TRUE(body.IsObject() && body["token"].IsString());
  EXPECT_STREQ(body["handle"].GetString(), "londo");

  // The same verification `cruddur serve` does in development mode.
  AuthConfig config;
  config.data_dir = dir_.path();
  auto auth = MakeAuthenticator(config);
  AuthResult result = auth->Authenticate(std::string("Bearer ") + body["token"].GetString());
  ASSERT_TRUE(result.ok()) << result.reason;
  EXPECT_EQ(result.identity.username, "londo");
  std::optional<User> londo = users_->FindByHandle("londo");
  ASSERT_TRUE(londo);
  EXPECT_EQ(result.identity.sub, londo->cognito_user_id);
  EXPECT_NE(londo->cognito_user_id, "MOCK");

  // A second sign-in keeps the sub: the first token stays valid.
  ASSERT_EQ(dev.Handle(PostToken(R"({"handle":"londo"})")).status, 200);
  EXPECT_EQ(users_->FindByHandle("londo")->cognito_user_id, londo->cognito_user_id);
  EXPECT_TRUE(auth->Authenticate(std::string("Bearer ") + body["token"].GetString()).ok());
}

TEST_F(DevRoutesTest, BadRequests) {
  DevRoutes dev(*users_, DevSigningKey::LoadOrCreate(dir_.path()));
  EXPECT_EQ(dev.Handle(PostToken(R"({"handle":"nobody"})")).status, 404);
  EXPECT_EQ(dev.Handle(PostToken(R"({"handle":"a b"})")).status, 400);
  EXPECT_EQ(dev.Handle(PostToken(R"({"handle":""})")).status, 400);
  EXPECT_EQ(dev.Handle(PostToken(R"({"handle":7})")).status, 400);
  EXPECT_EQ(dev.Handle(PostToken(R"({})")).status, 400);
  EXPECT_EQ(dev.Handle(PostToken("[1]")).status, 400);
  EXPECT_EQ(dev.Handle(PostToken("{")).status, 400);
  EXPECT_EQ(dev.Handle(PostToken(R"({"handle":"londo"})", "text/plain")).status, 415);
  EXPECT_EQ(dev.Handle(PostToken(R"({"handle":"londo"})", "")).status, 415);
  EXPECT_EQ(
      dev.Handle(PostToken(R"({"handle":"londo"})", "application/json; charset=utf-8")).status,
      200);
  http::Response wrong = dev.Handle(Get("/api/dev/token"));
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.headers.Get("Allow"), "POST");
  EXPECT_EQ(dev.Handle(Get("/api/dev/users", "POST")).status, 405);
  EXPECT_EQ(dev.Handle(Get("/api/dev/other")).status, 404);
  EXPECT_EQ(dev.Handle(Get("/api/dev")).status, 404);
}

TEST_F(DevRoutesTest, CognitoModeAnswers404) {
  DevRoutes dev(*users_, std::nullopt);
  EXPECT_FALSE(dev.enabled());
  http::Response list = dev.Handle(Get("/api/dev/users"));
  EXPECT_EQ(list.status, 404);
  EXPECT_EQ(list.body.find("andrewbrown"), std::string::npos);
  http::Response token = dev.Handle(PostToken(R"({"handle":"londo"})"));
  EXPECT_EQ(token.status, 404);
  EXPECT_EQ(token.body.find("token\""), std::string::npos);
  EXPECT_EQ(users_->FindByHandle("londo")->cognito_user_id, "MOCK");  // nothing was assigned
}

TEST_F(DevRoutesTest, ServeHandlerRoutesPageDevAndApi) {
  WebPage page;
  DevRoutes dev(*users_, std::nullopt);
  std::vector<std::string> api_calls;
  http::Handler handler = ServeHandler(page, dev.AsHandler(), [&](const http::Request& r) {
    api_calls.push_back(r.target);
    http::Response out;
    out.status = 299;
    return out;
  });
  EXPECT_EQ(handler(Get("/")).status, 200);
  EXPECT_EQ(handler(Get("/app.js")).status, 200);
  EXPECT_EQ(handler(Get("/apix")).status, 404);
  EXPECT_EQ(handler(Get("/../etc/passwd")).status, 400);
  EXPECT_EQ(handler(Get("/api/message_groups?limit=2")).status, 299);
  EXPECT_EQ(handler(Get("/api")).status, 299);
  EXPECT_EQ(handler(Get("/api/dev/users")).status, 404);  // Cognito mode: dev routes, not API
  EXPECT_EQ(handler(Get("/api/dev/token", "POST")).status, 404);
  EXPECT_EQ(api_calls, (std::vector<std::string>{"/api/message_groups?limit=2", "/api"}));
}

TEST_F(DevRoutesTest, MintDevTokenGivesEachUserTheirOwnSub) {
  DevSigningKey key = DevSigningKey::LoadOrCreate(dir_.path());
  users_->UpdateCognitoUserId("bayko", "shared");
  users_->UpdateCognitoUserId("londo", "shared");
  auto bayko = MintDevToken(*users_, key, "bayko", std::chrono::seconds(60));
  ASSERT_TRUE(bayko);
  EXPECT_TRUE(bayko->sub_assigned);
  EXPECT_EQ(bayko->previous_sub, "shared");
  auto londo = MintDevToken(*users_, key, "londo", std::chrono::seconds(60));
  ASSERT_TRUE(londo);
  EXPECT_FALSE(londo->sub_assigned);  // "shared" is now londo's alone
  EXPECT_EQ(londo->sub, "shared");
  auto again = MintDevToken(*users_, key, "@bayko", std::chrono::seconds(60));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->sub, bayko->sub);
  EXPECT_FALSE(again->sub_assigned);
  EXPECT_FALSE(MintDevToken(*users_, key, "nobody", std::chrono::seconds(60)));
}

}  // namespace
}  // namespace cruddur::api
