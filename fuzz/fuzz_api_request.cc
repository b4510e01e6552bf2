// Fuzzes the messaging HTTP API (api::Routes) over the real service: a fresh in-memory engine
// per input with the messages table and one seeded conversation (andrewbrown <-> londo), the
// seeded users in SQLite (opened once), and the development authenticator (real RS256 tokens
// minted once at start-up). Each input line is one request:
//   <route digit><caller digit><payload>
// route (% 10):  0 POST /api/messages, payload = raw body
//                1 POST {"handle": payload, "message": "hi"}
//                2 POST {"message_group_uuid": payload, "message": "hi"}
//                3 GET /api/messages/<payload as is>         4 ... /<payload percent-encoded>
//                5 GET /api/messages/<seeded group>?limit=1&cursor=<payload percent-encoded>
//                6 GET /api/message_groups?limit=1&cursor=<payload percent-encoded>
//                7 GET /api/users/@<payload as is>/short     8 ... @<payload percent-encoded>
//                9 <payload as the whole request target>, method from the caller byte's bits 2-4
// caller (% 4):  0 andrewbrown, 1 londo, 2 bayko (in no seeded group), 3 a valid token whose
//                subject is no user (403)
// In the payload "$G" becomes the seeded group's uuid and "$C" the last X-Next-Cursor seen, so
// mutations start from real identifiers. Properties: Handle never throws and never answers 5xx;
// every answer's body is JSON (an "error" object for 4xx other than 422's list); bayko and the
// unknown subject never see the seeded conversation (its text, or its uuid in a 2xx answer).
// The custom mutator (deep_mutator.h) adds long and deeply nested payloads: JSON bodies nested
// thousands deep, long messages, handles, paths and cursors.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/auth.h"
#include "api/routes.h"
#include "api/service.h"
#include "client/dynamodb_client.h"
#include "cruddur/messages.h"
#include "cruddur/users.h"
#include "ddb/engine.h"
#include "deep_mutator.h"
#include "fuzz_util.h"

namespace cruddur::api {
namespace {

constexpr size_t kMaxRequests = 6;
// Seeded text no fuzzed request can see unless it is one of the group's two members.
constexpr std::string_view kSecret = "zq-seeded-secret-7f3a";
constexpr const char* kHandles[] = {"andrewbrown", "londo", "bayko"};
constexpr const char* kMethods[] = {"HEAD", "OPTIONS", "PUT",  "DELETE",
                                    "GET",  "PATCH",   "POST", "get"};

// Process-wide: the users database (only read by the routes) and the dev key with its tokens.
struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<UserStore> users;
  std::unique_ptr<Authenticator> auth;
  std::string tokens[4];  // Authorization values per caller digit

  Fixture() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "cruddur-fuzz-api-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) fuzz::Fail("mkdtemp failed");
    dir = tmpl;
    users = OpenUserStore(UserStoreConfig::Sqlite((dir / "users.db").string()));
    users->CreateSchema();
    users->Seed();
    AuthConfig config;
    config.mode = AuthConfig::Mode::kDevelopment;
    config.data_dir = dir;
    auth = MakeAuthenticator(config);
    DevSigningKey key = DevSigningKey::LoadOrCreate(dir);
    const std::string subs[4] = {"sub-andrewbrown", "sub-londo", "sub-bayko", "sub-nobody"};
    for (int i = 0; i < 4; ++i) {
      if (i < 3 && !users->UpdateCognitoUserId(kHandles[i], subs[i])) {
        fuzz::Fail("seed user missing", kHandles[i]);
      }
      // Long-lived so a long fuzzing run never sees them expire.
      tokens[i] = "Bearer " + key.MintToken(subs[i], i < 3 ? kHandles[i] : "nobody",
                                            std::chrono::hours(24 * 365));
    }
  }
  ~Fixture() {
    users.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

Fixture& Shared() {
  static Fixture fixture;
  return fixture;
}

std::string JsonString(std::string_view s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return std::string(buf.GetString(), buf.GetSize());
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Substitute(std::string_view payload, const std::string& group,
                       const std::string& cursor) {
  std::string out;
  for (size_t i = 0; i < payload.size(); ++i) {
    if (payload[i] == '$' && i + 1 < payload.size() &&
        (payload[i + 1] == 'G' || payload[i + 1] == 'C')) {
      out += payload[i + 1] == 'G' ? group : cursor;
      ++i;
    } else {
      out += payload[i];
    }
  }
  return out;
}

void CheckResponse(const http::Response& r, std::string_view what) {
  std::string detail = std::string(what) + " -> " + std::to_string(r.status) + " " + r.body;
  fuzz::Check(r.status >= 200 && r.status < 500, "status is not 2xx/4xx", detail);
  if (r.status == 204) return;
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(r.body.data(), r.body.size());
  fuzz::Check(!d.HasParseError(), "body is not JSON", detail);
  if (r.status == 422) {
    fuzz::Check(d.IsArray() && d.Size() > 0, "422 without a list of codes", detail);
  } else if (r.status >= 400) {
    fuzz::Check(d.IsObject() && d.HasMember("error") && d["error"].IsString() &&
                    d["error"].GetStringLength() > 0,
                "4xx without an error reason", detail);
  }
}

void Run(const uint8_t* data, size_t size) {
  Fixture& fx = Shared();
  ddb::EngineOptions options;
  options.in_memory = true;
  options.ttl_sweep_interval = std::chrono::milliseconds(0);  // no background thread
  std::unique_ptr<ddb::Engine> engine = ddb::Engine::Open(options);
  client::InProcessClient client(*engine);
  MessageStore store(client);
  store.CreateTable();
  MessagingService service(store, *fx.users);
  RoutesOptions routes_options;
  routes_options.log = [](const std::string&) {};
  Routes routes(service, *fx.auth, routes_options);

  // The seeded conversation: two messages, both carrying the secret.
  CreateMessageRequest start;
  start.handle = "londo";
  start.message = std::string(kSecret) + " hello";
  auto created = service.CreateMessage("sub-andrewbrown", start);
  if (!created.ok()) fuzz::Fail("seeding the conversation failed", created.error.reason);
  const std::string group = created.value->message_group_uuid;
  CreateMessageRequest reply;
  reply.message_group_uuid = group;
  reply.message = std::string(kSecret) + " reply";
  if (!service.CreateMessage("sub-londo", reply).ok()) fuzz::Fail("seeding the reply failed");

  std::string_view input(reinterpret_cast<const char*>(data), size);
  // A body could write the secret itself (also spelled with \u escapes); then only the group's
  // uuid is checked.
  const bool input_has_secret =
      input.find(kSecret) != std::string_view::npos || input.find("\\u") != std::string_view::npos;
  std::string cursor;
  for (size_t n = 0; n < kMaxRequests && !input.empty(); ++n) {
    size_t eol = input.find('\n');
    std::string_view line = input.substr(0, eol);
    input = eol == std::string_view::npos ? std::string_view() : input.substr(eol + 1);
    if (line.size() < 2) continue;
    const int route = static_cast<uint8_t>(line[0]) % 10;
    const int caller = static_cast<uint8_t>(line[1]) % 4;
    const std::string payload = Substitute(line.substr(2), group, cursor);

    http::Request req;
    req.method = route <= 2 ? "POST" : "GET";
    switch (route) {
      case 0:
        req.body = payload;
        break;
      case 1:
        req.body = R"({"handle":)" + JsonString(payload) + R"(,"message":"hi"})";
        break;
      case 2:
        req.body = R"({"message_group_uuid":)" + JsonString(payload) + R"(,"message":"hi"})";
        break;
      case 3:
        req.target = "/api/messages/" + payload;
        break;
      case 4:
        req.target = "/api/messages/" + PercentEncode(payload);
        break;
      case 5:
        req.target = "/api/messages/" + group + "?limit=1&cursor=" + PercentEncode(payload);
        break;
      case 6:
        req.target = "/api/message_groups?limit=1&cursor=" + PercentEncode(payload);
        break;
      case 7:
        req.target = "/api/users/@" + payload + "/short";
        break;
      case 8:
        req.target = "/api/users/@" + PercentEncode(payload) + "/short";
        break;
      default:
        // Any method too: the caller byte's upper bits pick it (digits '0'-'3' give GET).
        req.method = kMethods[(static_cast<uint8_t>(line[1]) >> 2) % 8];
        req.target = payload;
        break;
    }
    if (route <= 2) {
      req.target = "/api/messages";
      req.headers.Add("Content-Type", "application/json");
    }
    req.headers.Add("Authorization", fx.tokens[caller]);

    http::Response r;
    try {
      r = req.body.size() > kMaxApiBodyBytes ? routes.TooLarge(req) : routes.Handle(req);
    } catch (const std::exception& e) {
      fuzz::Fail("Routes::Handle threw", e.what());
    } catch (...) {
      fuzz::Fail("Routes::Handle threw a non-exception");
    }
    std::string what = req.method + " " + req.target + " " + req.body;
    CheckResponse(r, what);
    if (caller >= 2) {
      fuzz::Check(input_has_secret || r.body.find(kSecret) == std::string::npos,
                  "a non-member saw the seeded conversation's text", what + " -> " + r.body);
      fuzz::Check(r.status >= 300 || r.body.find(group) == std::string::npos,
                  "a non-member was answered with the seeded group", what + " -> " + r.body);
    }
    if (const std::string* next = r.headers.Find("X-Next-Cursor")) cursor = *next;
  }
}

}  // namespace
}  // namespace cruddur::api

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cruddur::api::Run(data, size);
  return 0;
}

namespace {

// A payload for `route` that is long or deep in the way that route reads it.
std::string LongPayload(cruddur::fuzz::Rng& rng, int route, size_t budget) {
  using cruddur::fuzz::Count;
  using cruddur::fuzz::Nest;
  std::string out;
  switch (route) {
    case 0:
      switch (rng.Below(4)) {
        case 0:
          return R"({"handle":"londo","message":"hi","x":)" +
                 Nest("[", "1", "]", Count(rng, budget / 2)) + "}";
        case 1:
          return R"({"handle":"londo","message":)" +
                 Nest(R"({"a":)", "1", "}", Count(rng, budget / 6)) + "}";
        case 2:
          out = R"({"handle":"londo","message":")";
          cruddur::fuzz::Repeat(out, rng.OneIn(2) ? "x" : "\\u00e9", Count(rng, budget / 6));
          return out + "\"}";
        default:
          out = R"({"handle":"londo","message":"hi")";
          for (size_t i = 0, n = Count(rng, budget / 12); i < n; ++i) {
            out.append(",\"m").append(std::to_string(i)).append("\":1");
          }
          return out + "}";
      }
    case 3:
    case 4:
    case 9: {
      static constexpr std::string_view kSegments[] = {"$G/", "../", "%2e%2e/", "/", "a/", "?a=1&"};
      out = route == 9 ? "/api/messages/" : "";
      cruddur::fuzz::Repeat(out, rng.Pick(kSegments), Count(rng, budget / 7));
      return out;
    }
    case 5:
    case 6:
      cruddur::fuzz::Repeat(out, "eyJwayI6", Count(rng, budget / 8));
      return out;
    default:
      cruddur::fuzz::Repeat(out, rng.OneIn(2) ? "a" : "$G", Count(rng, budget / 2));
      return out;
  }
}

}  // namespace

// Two times in three a long or deep payload (deep_mutator.h): a fresh request line, one line's
// payload repeated/nested, or a JSON body mutated; libFuzzer's own mutations else.
extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  using namespace cruddur::fuzz;
  Rng rng(seed);
  if (auto done = LibFuzzerOrShrink(rng, data, size, max_size)) return *done;
  auto [lines, i, limit, budget] =
      PickLine({reinterpret_cast<const char*>(data), size}, rng, max_size, 4);
  std::string& line = lines[i];
  if (line.size() < 2 || rng.OneIn(3)) {
    int route = static_cast<int>(rng.Below(10));
    std::string fresh = {static_cast<char>('0' + route), static_cast<char>('0' + rng.Below(4))};
    fresh.append(LongPayload(rng, route, budget));
    if (lines.size() < cruddur::api::kMaxRequests && rng.OneIn(2)) {
      lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(i), std::move(fresh));
    } else {
      line = std::move(fresh);
    }
  } else if (line[0] % 10 == 0 && rng.OneIn(2)) {
    line = line.substr(0, 2) + MutateRequestBody(std::string_view(line).substr(2), rng, budget);
  } else {
    line = line.substr(0, 2) + RepeatOrNest(std::string_view(line).substr(2), rng, budget);
  }
  return Emit(JoinLines(lines), data, size, max_size);
}
