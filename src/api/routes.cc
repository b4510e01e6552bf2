#include "api/routes.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <optional>

#include "client/dynamodb_client.h"
#include "cruddur/users.h"
#include "ddb/error.h"
#include "ddb/json.h"
#include "http/client.h"

namespace cruddur::api {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

template <typename F>
std::string Json(F&& write) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  write(w);
  return std::string(buf.GetString(), buf.GetSize());
}

void Field(Writer& w, std::string_view name, std::string_view value) {
  w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

http::Response JsonResponse(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.headers.Set("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

// {"error": reason, "code": code}: every non-422 failure.
http::Response Error(int status, std::string_view code, std::string_view reason) {
  return JsonResponse(status, Json([&](Writer& w) {
                        w.StartObject();
                        Field(w, "error", reason);
                        Field(w, "code", code);
                        w.EndObject();
                      }));
}

http::Response FromServiceError(const ServiceError& e) {
  if (e.status == 422) {
    // The original answered a bare list of its error codes.
    return JsonResponse(422, Json([&](Writer& w) {
                          w.StartArray();
                          for (const auto& c : e.codes) w.String(c.c_str());
                          w.EndArray();
                        }));
  }
  return Error(e.status, e.codes.empty() ? "error" : e.codes.front(), e.reason);
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding ('+' is a space in query strings only); nullopt when malformed.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = HexDigit(s[i + 1]), lo = HexDigit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

struct Target {
  std::string path;  // decoded
  std::map<std::string, std::string> query;
};

std::optional<Target> ParseTarget(std::string_view target) {
  Target t;
  std::size_t q = target.find('?');
  auto path = PercentDecode(target.substr(0, q), false);
  if (!path) return std::nullopt;
  t.path = std::move(*path);
  if (q == std::string_view::npos) return t;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    std::size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    auto name = PercentDecode(pair.substr(0, eq), true);
    auto value = PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!name || !value) return std::nullopt;
    t.query.emplace(std::move(*name), std::move(*value));  // the first one wins
  }
  return t;
}

std::string NormalizeOrigin(std::string origin) {
  while (!origin.empty() && origin.back() == '/') origin.pop_back();
  return origin;
}

// The paging parameters of a list route; an error response when malformed.
struct Paging {
  std::string cursor;
  int limit = kDefaultPageSize;
};
std::optional<http::Response> ParsePaging(const Target& t, Paging& p) {
  if (auto it = t.query.find("cursor"); it != t.query.end()) p.cursor = it->second;
  if (p.cursor.size() > 512) return Error(400, "cursor_invalid", "the cursor is too long");
  if (auto it = t.query.find("limit"); it != t.query.end()) {
    const std::string& v = it->second;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), p.limit);
    if (ec != std::errc() || end != v.data() + v.size() || p.limit < 1 || p.limit > kMaxPageSize) {
      return Error(400, "limit_invalid", "limit must be a whole number from 1 to 100");
    }
  }
  return std::nullopt;
}

void SetNextCursor(http::Response& r, std::string_view path, const std::string& next) {
  if (next.empty()) return;
  r.headers.Set("X-Next-Cursor", next);
  r.headers.Set("Link",
                "<" + std::string(path) + "?cursor=" + PercentEncode(next) + ">; rel=\"next\"");
}

std::string MessageGroupsJson(const std::vector<MessageGroup>& groups,
                              const std::map<std::string, std::int64_t>& unread) {
  return Json([&](Writer& w) {
    w.StartArray();
    for (const auto& g : groups) {
      w.StartObject();
      Field(w, "uuid", g.message_group_uuid);
      Field(w, "display_name", g.other.display_name);
      Field(w, "handle", g.other.handle);
      Field(w, "message", g.message);
      Field(w, "created_at", g.created_at);
      auto n = unread.find(g.message_group_uuid);
      w.Key("unread");
      w.Int64(n == unread.end() ? 0 : n->second);
      w.EndObject();
    }
    w.EndArray();
  });
}

void WriteMessage(Writer& w, const Message& m) {
  Field(w, "uuid", m.message_uuid);
  Field(w, "display_name", m.sender.display_name);
  Field(w, "handle", m.sender.handle);
  Field(w, "message", m.message);
  Field(w, "created_at", m.created_at);
}

std::string MessagesJson(const std::vector<Message>& messages) {
  return Json([&](Writer& w) {
    w.StartArray();
    for (const auto& m : messages) {
      w.StartObject();
      WriteMessage(w, m);
      w.EndObject();
    }
    w.EndArray();
  });
}

// A message body is an object of strings; this leaves room and refuses bracket bombs.
constexpr int kMaxBodyDepth = 8;

// The POST /api/messages body; an error response when it is not an object of strings.
std::optional<http::Response> ParseCreateBody(const std::string& body, CreateMessageRequest& req) {
  // Checked before a document is built: a deeply nested body must not recurse on the worker's
  // stack (freeing a document does, once per level); invalid UTF-8 is refused.
  rapidjson::ParseErrorCode check = ddb::CheckJson(body, kMaxBodyDepth);
  if (check == rapidjson::kParseErrorTermination) {
    return Error(400, "malformed_json", "the body is nested too deeply");
  }
  if (check != rapidjson::kParseErrorNone) {
    return Error(400, "malformed_json",
                 std::string("the body is not valid JSON: ") + rapidjson::GetParseError_En(check));
  }
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(body.data(),
                                                                                  body.size());
  if (!d.IsObject()) return Error(400, "malformed_json", "the body must be a JSON object");
  auto member = [&](const char* name,
                    std::optional<std::string>& out) -> std::optional<http::Response> {
    const rapidjson::Value& object = d;  // const iterators: clang's C++20 == is unambiguous
    auto it = object.FindMember(name);
    if (it == object.MemberEnd() || it->value.IsNull()) return std::nullopt;
    if (!it->value.IsString()) {
      return Error(400, "wrong_type", std::string(name) + " must be a string");
    }
    out.emplace(it->value.GetString(), it->value.GetStringLength());
    return std::nullopt;
  };
  if (auto e = member("message", req.message)) return e;
  if (auto e = member("message_group_uuid", req.message_group_uuid)) return e;
  if (auto e = member("handle", req.handle)) return e;
  return std::nullopt;
}

constexpr std::string_view kMessagesPrefix = "/api/messages/";
constexpr std::string_view kCounterPath = "/api/messages/counter";
constexpr std::string_view kUsersPrefix = "/api/users/@";
constexpr std::string_view kShortSuffix = "/short";

}  // namespace

std::vector<std::string> OriginsFromEnvironment() {
  std::vector<std::string> origins;
  for (const char* name : {"FRONTEND_URL", "BACKEND_URL"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') origins.push_back(NormalizeOrigin(v));
  }
  return origins;
}

Routes::Routes(MessagingService& service, Authenticator& auth, RoutesOptions options)
    : service_(service), auth_(auth), options_(std::move(options)) {
  for (auto& o : options_.allowed_origins) o = NormalizeOrigin(o);
}

void Routes::Log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::fprintf(stderr, "cruddur serve: %s\n", line.c_str());
  }
}

void Routes::Cors(const http::Request& request, http::Response& response) const {
  std::string_view origin = request.headers.Get("Origin");
  if (origin.empty()) return;
  response.headers.Add("Vary", "Origin");
  std::string normalized = NormalizeOrigin(std::string(origin));
  for (const auto& allowed : options_.allowed_origins) {
    if (allowed == normalized) {
      response.headers.Set("Access-Control-Allow-Origin", origin);
      response.headers.Set("Access-Control-Expose-Headers", "X-Next-Cursor, Link");
      if (request.method == "OPTIONS") {
        response.headers.Set("Access-Control-Allow-Methods", "OPTIONS, GET, HEAD, POST");
        response.headers.Set("Access-Control-Allow-Headers", "Authorization, Content-Type");
        response.headers.Set("Access-Control-Max-Age", "600");
      }
      return;
    }
  }
}

http::Response Routes::Handle(const http::Request& request) const {
  http::Response response;
  try {
    response = Route(request);
  } catch (const http::TransportError& e) {
    Log(std::string("storage unreachable: ") + e.what());
    response = Error(503, "storage_unavailable", "storage is unavailable, try again");
  } catch (const UserStoreError& e) {
    Log(std::string("users database: ") + e.what());
    response = e.kind() == UserStoreError::Kind::kUnavailable
                   ? Error(503, "storage_unavailable", "storage is unavailable, try again")
                   : Error(500, "internal_error", "internal error");
  } catch (const ddb::ApiError& e) {
    Log("DynamoDB: " + std::string(e.type()) + ": " + e.what());
    response = e.http_status() >= 500 || e.type() == "ResourceNotFoundException" ||
                       client::IsThrottlingError(e.type())
                   ? Error(503, "storage_unavailable", "storage is unavailable, try again")
                   : Error(500, "internal_error", "internal error");
  } catch (const std::exception& e) {
    Log(std::string("internal error: ") + e.what());
    response = Error(500, "internal_error", "internal error");
  } catch (...) {
    Log("internal error: unknown exception");
    response = Error(500, "internal_error", "internal error");
  }
  Cors(request, response);
  return response;
}

http::Response Routes::TooLarge(const http::Request& request) const {
  http::Response r = Error(413, "body_too_large", "the request body is over 64 KB");
  Cors(request, r);
  return r;
}

void Routes::Configure(http::ServerOptions& options) const {
  options.body_limit = kMaxApiBodyBytes;
  options.on_too_large = [this](const http::Request& r) { return TooLarge(r); };
  // At the connection limit or the in-flight body budget (called without a request).
  options.on_overloaded = [](const http::Request&) {
    http::Response r = Error(503, "overloaded", "the server is busy; retry shortly");
    r.headers.Add("Retry-After", "1");
    return r;
  };
}

http::Handler Routes::AsHandler() const {
  return [this](const http::Request& r) { return Handle(r); };
}

http::Response Routes::Health() const {
  bool healthy = true;
  std::string body = Json([&](Writer& w) {
    std::vector<std::pair<std::string, std::string>> results;
    for (const auto& check : options_.health_checks) {
      std::string reason;
      try {
        reason = check.run();
      } catch (const std::exception& e) {
        reason = e.what();
      }
      if (!reason.empty()) {
        healthy = false;
        Log("health check " + check.name + ": " + reason);
      }
      results.emplace_back(check.name, reason.empty() ? "ok" : "unavailable");
    }
    w.StartObject();
    w.Key("success");
    w.Bool(healthy);
    w.Key("checks");
    w.StartObject();
    for (const auto& [name, state] : results) Field(w, name, state);
    w.EndObject();
    w.EndObject();
  });
  return JsonResponse(healthy ? 200 : 503, std::move(body));
}

http::Response Routes::Route(const http::Request& request) const {
  std::optional<Target> target = ParseTarget(request.target);
  if (!target) return Error(400, "bad_target", "malformed percent-encoding in the URL");
  const std::string& path = target->path;
  const std::string& method = request.method;

  // Which route, and which methods it takes.
  enum class Kind { kNone, kHealth, kGroups, kMessages, kCreate, kCounter, kUser };
  Kind kind = Kind::kNone;
  std::string param;
  if (path == "/api/health") {
    kind = Kind::kHealth;
  } else if (path == "/api/message_groups") {
    kind = Kind::kGroups;
  } else if (path == "/api/messages") {
    kind = Kind::kCreate;
  } else if (path == kCounterPath) {  // not a group uuid: checked before the group route
    kind = Kind::kCounter;
  } else if (path.starts_with(kMessagesPrefix) && path.size() > kMessagesPrefix.size() &&
             path.find('/', kMessagesPrefix.size()) == std::string::npos) {
    kind = Kind::kMessages;
    param = path.substr(kMessagesPrefix.size());
  } else if (path.starts_with(kUsersPrefix) && path.ends_with(kShortSuffix) &&
             path.size() > kUsersPrefix.size() + kShortSuffix.size()) {
    kind = Kind::kUser;
    param =
        path.substr(kUsersPrefix.size(), path.size() - kUsersPrefix.size() - kShortSuffix.size());
  }
  if (kind == Kind::kNone) return Error(404, "not_found", "no such route");

  const bool is_post_route = kind == Kind::kCreate;
  if (method == "OPTIONS") {  // CORS preflight (headers added by Cors())
    http::Response r;
    r.status = 204;
    r.headers.Set("Allow", is_post_route ? "OPTIONS, POST" : "OPTIONS, GET, HEAD");
    return r;
  }
  const bool method_ok = is_post_route ? method == "POST" : (method == "GET" || method == "HEAD");
  if (!method_ok) {
    http::Response r = Error(405, "method_not_allowed", "method not allowed on this route");
    r.headers.Set("Allow", is_post_route ? "OPTIONS, POST" : "OPTIONS, GET, HEAD");
    return r;
  }
  if (kind == Kind::kHealth) return Health();

  // Everything else needs a token, checked before the body is even parsed.
  AuthResult auth = auth_.Authenticate(request.headers.Get("Authorization"));
  if (!auth.ok()) {
    if (!auth.detail.empty()) Log("authentication: " + auth.detail);
    http::Response r = Error(auth.http_status(), std::string(AuthErrorName(auth.error)),
                             auth.reason.empty() ? "unauthenticated" : auth.reason);
    if (auth.http_status() == 401) r.headers.Set("WWW-Authenticate", auth.WwwAuthenticate());
    return r;
  }
  const std::string& sub = auth.identity.sub;

  switch (kind) {
    case Kind::kGroups: {
      Paging p;
      if (auto e = ParsePaging(*target, p)) return *e;
      auto out = service_.MessageGroups(sub, p.cursor, p.limit);
      if (!out.ok()) return FromServiceError(out.error);
      auto unread = service_.Unread(sub);
      http::Response r = JsonResponse(
          200,
          MessageGroupsJson(out.value->items, unread.ok() ? unread.value->groups
                                                          : std::map<std::string, std::int64_t>()));
      SetNextCursor(r, path, out.value->next_cursor);
      return r;
    }
    case Kind::kMessages: {
      Paging p;
      if (auto e = ParsePaging(*target, p)) return *e;
      auto out = service_.Messages(sub, param, p.cursor, p.limit);
      if (!out.ok()) return FromServiceError(out.error);
      http::Response r = JsonResponse(200, MessagesJson(out.value->items));
      SetNextCursor(r, path, out.value->next_cursor);
      return r;
    }
    case Kind::kCreate: {
      CreateMessageRequest req;
      if (auto e = ParseCreateBody(request.body, req)) return *e;
      auto out = service_.CreateMessage(sub, req);
      if (!out.ok()) return FromServiceError(out.error);
      const CreateMessageResult& res = *out.value;
      return JsonResponse(200, Json([&](Writer& w) {
                            w.StartObject();
                            Field(w, "message_group_uuid", res.message_group_uuid);
                            if (res.message) WriteMessage(w, *res.message);
                            w.EndObject();
                          }));
    }
    case Kind::kCounter: {
      auto out = service_.Unread(sub);
      if (!out.ok()) return FromServiceError(out.error);
      return JsonResponse(200, Json([&](Writer& w) {
                            w.StartObject();
                            w.Key("count");
                            w.Int64(out.value->total);
                            w.Key("groups");
                            w.StartObject();
                            for (const auto& [group, n] : out.value->groups) {
                              w.Key(group.c_str(), static_cast<rapidjson::SizeType>(group.size()));
                              w.Int64(n);
                            }
                            w.EndObject();
                            w.EndObject();
                          }));
    }
    case Kind::kUser: {
      auto out = service_.UsersShort(param);
      if (!out.ok()) return FromServiceError(out.error);
      return JsonResponse(200, Json([&](Writer& w) {
                            w.StartObject();
                            Field(w, "uuid", out.value->uuid);
                            Field(w, "handle", out.value->handle);
                            Field(w, "display_name", out.value->display_name);
                            w.EndObject();
                          }));
    }
    default:
      return Error(404, "not_found", "no such route");
  }
}

}  // namespace cruddur::api
