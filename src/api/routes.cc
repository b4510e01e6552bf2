#include "api/routes.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

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
#include "encoding/json.h"
#include "encoding/percent.h"
#include "encoding/url.h"
#include "http/client.h"
#include "log/log.h"

namespace cruddur::api {
namespace {

using Writer = encoding::JsonTextWriter;
using encoding::WriteJson;
using encoding::WriteJsonObject;
using encoding::WriteStringField;
using http::JsonResponse;

// {"error": reason, "code": code}: every non-422 failure.
http::Response Error(int status, std::string_view code, std::string_view reason) {
  return JsonResponse(status, WriteJsonObject([&](Writer& w) {
                        WriteStringField(w, "error", reason);
                        WriteStringField(w, "code", code);
                      }));
}

http::Response FromServiceError(const ServiceError& e) {
  if (e.status == 422) {
    // The original answered a bare list of its error codes.
    return JsonResponse(422, WriteJson([&](Writer& w) {
                          w.StartArray();
                          for (const auto& c : e.codes) w.String(c.c_str());
                          w.EndArray();
                        }));
  }
  return Error(e.status, e.codes.empty() ? "error" : e.codes.front(), e.reason);
}

struct Target {
  std::string path;  // decoded
  std::map<std::string, std::string> query;
};

std::optional<Target> ParseTarget(std::string_view text) {
  encoding::TargetParts parts = encoding::SplitTarget(text);
  auto path = encoding::PercentDecode(parts.path);
  auto query = encoding::DecodeQuery(parts.query.value_or(""));
  if (!path || !query) return std::nullopt;
  Target t{std::move(*path), {}};
  for (auto& [name, value] : *query)
    t.query.emplace(std::move(name), std::move(value));  // the first one wins
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
  r.headers.Set("Link", "<" + std::string(path) + "?cursor=" + encoding::PercentEncode(next) +
                            ">; rel=\"next\"");
}

std::string MessageGroupsJson(const std::vector<MessageGroup>& groups,
                              const std::map<std::string, std::int64_t>& unread) {
  return WriteJson([&](Writer& w) {
    w.StartArray();
    for (const auto& g : groups) {
      w.StartObject();
      WriteStringField(w, "uuid", g.message_group_uuid);
      WriteStringField(w, "display_name", g.other.display_name);
      WriteStringField(w, "handle", g.other.handle);
      WriteStringField(w, "message", g.message);
      WriteStringField(w, "created_at", g.created_at);
      auto n = unread.find(g.message_group_uuid);
      w.Key("unread");
      w.Int64(n == unread.end() ? 0 : n->second);
      w.EndObject();
    }
    w.EndArray();
  });
}

void WriteMessage(Writer& w, const Message& m) {
  WriteStringField(w, "uuid", m.message_uuid);
  WriteStringField(w, "display_name", m.sender.display_name);
  WriteStringField(w, "handle", m.sender.handle);
  WriteStringField(w, "message", m.message);
  WriteStringField(w, "created_at", m.created_at);
}

std::string MessagesJson(const std::vector<Message>& messages) {
  return WriteJson([&](Writer& w) {
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

// A route pattern is literal text with at most one {parameter}: the non-empty text between the
// literal before and after it, one segment (no '/') when it ends the pattern. The parameter, ""
// when the pattern has none; nullopt when `path` does not match.
std::optional<std::string_view> MatchPattern(std::string_view pattern, std::string_view path) {
  std::size_t open = pattern.find('{');
  if (open == std::string_view::npos) {
    return pattern == path ? std::optional<std::string_view>("") : std::nullopt;
  }
  std::string_view before = pattern.substr(0, open);
  std::string_view after = pattern.substr(pattern.find('}', open) + 1);
  if (path.size() <= before.size() + after.size() || !path.starts_with(before) ||
      !path.ends_with(after)) {
    return std::nullopt;
  }
  std::string_view param = path.substr(before.size(), path.size() - before.size() - after.size());
  if (after.empty() && param.find('/') != std::string_view::npos) return std::nullopt;
  return param;
}

// The Allow header of a route taking `method` (GET routes take HEAD too).
std::string_view AllowFor(std::string_view method) {
  return method == "POST" ? "OPTIONS, POST" : "OPTIONS, GET, HEAD";
}

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

void Routes::Log(const std::string& line, bool warning) const {
  if (options_.log) {
    options_.log(line);
  } else {
    log::Write(warning ? log::Level::kWarn : log::Level::kError, "api", line);
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

http::Response Routes::Health(const Call&) const {
  bool healthy = true;
  std::string body = WriteJson([&](Writer& w) {
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
        Log("health check " + check.name + ": " + reason, /*warning=*/true);
      }
      results.emplace_back(check.name, reason.empty() ? "ok" : "unavailable");
    }
    w.StartObject();
    w.Key("success");
    w.Bool(healthy);
    w.Key("checks");
    w.StartObject();
    for (const auto& [name, state] : results) WriteStringField(w, name, state);
    w.EndObject();
    w.EndObject();
  });
  return JsonResponse(healthy ? 200 : 503, std::move(body));
}

// The routes, first match wins (one method per path). Each method takes HEAD when it takes GET.
struct Routes::RouteRow {
  std::string_view method;
  std::string_view pattern;
  bool needs_token;
  http::Response (Routes::*handle)(const Call& call) const;
};
const Routes::RouteRow Routes::kRouteTable[] = {
    {"GET", "/api/health", false, &Routes::Health},
    {"GET", "/api/message_groups", true, &Routes::MessageGroups},
    {"POST", "/api/messages", true, &Routes::CreateMessage},
    {"GET", "/api/messages/counter", true, &Routes::Counter},  // before the group route
    {"GET", "/api/messages/{group}", true, &Routes::Messages},
    {"GET", "/api/users/@{handle}/short", true, &Routes::UserShort},
};

// A request matched to a route.
struct Routes::Call {
  const http::Request& request;
  const Target& target;
  std::string param;  // the pattern's {parameter}
  std::string sub;    // the token's subject (routes that need a token)
};

std::vector<std::string_view> Routes::RoutePatterns() {
  std::vector<std::string_view> patterns;
  for (const RouteRow& row : kRouteTable) patterns.push_back(row.pattern);
  return patterns;
}

std::optional<std::string_view> Routes::PatternOf(std::string_view path) {
  std::optional<std::string> decoded = encoding::PercentDecode(path);
  if (!decoded) return std::nullopt;
  for (const RouteRow& row : kRouteTable) {
    if (MatchPattern(row.pattern, *decoded)) return row.pattern;
  }
  return std::nullopt;
}

http::Response Routes::Route(const http::Request& request) const {
  std::optional<Target> target = ParseTarget(request.target);
  if (!target) return Error(400, "bad_target", "malformed percent-encoding in the URL");
  const RouteRow* row = nullptr;
  std::optional<std::string_view> param;
  for (const RouteRow& candidate : kRouteTable) {
    if ((param = MatchPattern(candidate.pattern, target->path))) {
      row = &candidate;
      break;
    }
  }
  if (row == nullptr) return Error(404, "not_found", "no such route");

  const std::string& method = request.method;
  if (method == "OPTIONS") {  // CORS preflight (headers added by Cors())
    http::Response r;
    r.status = 204;
    r.headers.Set("Allow", AllowFor(row->method));
    return r;
  }
  if (method != row->method && !(row->method == "GET" && method == "HEAD")) {
    http::Response r = Error(405, "method_not_allowed", "method not allowed on this route");
    r.headers.Set("Allow", AllowFor(row->method));
    return r;
  }
  Call call{request, *target, std::string(*param), {}};
  if (row->needs_token) {
    // Checked before the body is even parsed.
    AuthResult auth = auth_.Authenticate(request.headers.Get("Authorization"));
    if (!auth.ok()) return Unauthenticated(auth);
    call.sub = auth.identity.sub;
  }
  return (this->*row->handle)(call);
}

http::Response Routes::Unauthenticated(const AuthResult& auth) const {
  if (!auth.detail.empty()) Log("authentication: " + auth.detail, /*warning=*/true);
  http::Response r = Error(auth.http_status(), std::string(AuthErrorName(auth.error)),
                           auth.reason.empty() ? "unauthenticated" : auth.reason);
  if (auth.http_status() == 401) r.headers.Set("WWW-Authenticate", auth.WwwAuthenticate());
  return r;
}

http::Response Routes::MessageGroups(const Call& call) const {
  Paging p;
  if (auto e = ParsePaging(call.target, p)) return *e;
  auto out = service_.MessageGroups(call.sub, p.cursor, p.limit);
  if (!out.ok()) return FromServiceError(out.error);
  auto unread = service_.Unread(call.sub);
  http::Response r = JsonResponse(
      200,
      MessageGroupsJson(out.value->items, unread.ok() ? unread.value->groups
                                                      : std::map<std::string, std::int64_t>()));
  SetNextCursor(r, call.target.path, out.value->next_cursor);
  return r;
}

http::Response Routes::Messages(const Call& call) const {
  Paging p;
  if (auto e = ParsePaging(call.target, p)) return *e;
  auto out = service_.Messages(call.sub, call.param, p.cursor, p.limit);
  if (!out.ok()) return FromServiceError(out.error);
  http::Response r = JsonResponse(200, MessagesJson(out.value->items));
  SetNextCursor(r, call.target.path, out.value->next_cursor);
  return r;
}

http::Response Routes::CreateMessage(const Call& call) const {
  CreateMessageRequest req;
  if (auto e = ParseCreateBody(call.request.body, req)) return *e;
  auto out = service_.CreateMessage(call.sub, req);
  if (!out.ok()) return FromServiceError(out.error);
  const CreateMessageResult& res = *out.value;
  return JsonResponse(200, WriteJsonObject([&](Writer& w) {
                        WriteStringField(w, "message_group_uuid", res.message_group_uuid);
                        if (res.message) WriteMessage(w, *res.message);
                      }));
}

http::Response Routes::Counter(const Call& call) const {
  auto out = service_.Unread(call.sub);
  if (!out.ok()) return FromServiceError(out.error);
  return JsonResponse(200, WriteJsonObject([&](Writer& w) {
                        w.Key("count");
                        w.Int64(out.value->total);
                        w.Key("groups");
                        w.StartObject();
                        for (const auto& [group, n] : out.value->groups) {
                          w.Key(group.c_str(), static_cast<rapidjson::SizeType>(group.size()));
                          w.Int64(n);
                        }
                        w.EndObject();
                      }));
}

http::Response Routes::UserShort(const Call& call) const {
  auto out = service_.UsersShort(call.param);
  if (!out.ok()) return FromServiceError(out.error);
  return JsonResponse(200, WriteJsonObject([&](Writer& w) {
                        WriteStringField(w, "uuid", out.value->uuid);
                        WriteStringField(w, "handle", out.value->handle);
                        WriteStringField(w, "display_name", out.value->display_name);
                      }));
}

}  // namespace cruddur::api
