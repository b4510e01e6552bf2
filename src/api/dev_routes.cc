#include "api/dev_routes.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include "cruddur/users.h"
#include "ddb/json.h"
#include "encoding/json.h"
#include "encoding/url.h"
#include "log/log.h"

namespace cruddur::api {
namespace {

using encoding::WriteStringField;
using Writer = encoding::JsonTextWriter;

http::Response JsonResponse(int status, const rapidjson::StringBuffer& body) {
  http::Response r = http::JsonResponse(status, std::string(body.GetString(), body.GetSize()));
  r.headers.Set("Cache-Control", "no-store");  // tokens and the user list are not for caches
  return r;
}

// {"error": reason, "code": code}, as the API's other errors.
http::Response Error(int status, std::string_view code, std::string_view reason) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  WriteStringField(w, "error", reason);
  WriteStringField(w, "code", code);
  w.EndObject();
  return JsonResponse(status, buf);
}

http::Response WrongMethod(std::string_view allow) {
  http::Response r = Error(405, "method_not_allowed", "method not allowed on this route");
  r.headers.Set("Allow", allow);
  return r;
}

// The handle rule of the user route: [A-Za-z0-9_.-]{1,64}, after an optional '@'.
bool IsValidHandle(std::string_view handle) {
  if (!handle.empty() && handle.front() == '@') handle.remove_prefix(1);
  if (handle.empty() || handle.size() > 64) return false;
  for (char c : handle) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsJsonContentType(std::string_view type) {
  std::string_view media = type.substr(0, type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return http::EqualsIgnoreCase(media, "application/json");
}

}  // namespace

DevRoutes::DevRoutes(UserStore& users, std::optional<DevSigningKey> key,
                     std::chrono::seconds token_ttl)
    : users_(users), key_(std::move(key)), token_ttl_(token_ttl) {}

http::Response DevRoutes::Handle(const http::Request& request) const {
  try {
    return Route(request);
  } catch (const UserStoreError& e) {
    log::Error("api", "users database failed", {{"reason", e.what()}});
    return e.kind() == UserStoreError::Kind::kUnavailable
               ? Error(503, "storage_unavailable", "storage is unavailable, try again")
               : Error(500, "internal_error", "internal error");
  } catch (const std::exception& e) {
    log::Error("api", "development sign-in failed", {{"reason", e.what()}});
    return Error(500, "internal_error", "internal error");
  }
}

http::Handler DevRoutes::AsHandler() const {
  return [this](const http::Request& r) { return Handle(r); };
}

http::Response DevRoutes::Route(const http::Request& request) const {
  std::string_view path = encoding::SplitTarget(request.target).path;
  if (!enabled()) return Error(404, "not_found", "no such route");
  if (path == "/api/dev/users") {
    if (request.method != "GET" && request.method != "HEAD") return WrongMethod("GET, HEAD");
    return Users();
  }
  if (path == "/api/dev/token") {
    if (request.method != "POST") return WrongMethod("POST");
    return Token(request);
  }
  return Error(404, "not_found", "no such route");
}

http::Response DevRoutes::Users() const {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (const User& user : users_.ListUsers()) {
    w.StartObject();
    WriteStringField(w, "handle", user.handle);
    WriteStringField(w, "display_name", user.display_name);
    w.EndObject();
  }
  w.EndArray();
  return JsonResponse(200, buf);
}

http::Response DevRoutes::Token(const http::Request& request) const {
  if (!IsJsonContentType(request.headers.Get("Content-Type"))) {
    return Error(415, "unsupported_media_type", "send the body as application/json");
  }
  rapidjson::Document doc;
  // Checked first: a body of nested brackets must not recurse on the worker's stack (building a
  // document is iterative, freeing one is not).
  if (ddb::CheckJson(request.body, 8) == rapidjson::kParseErrorNone) {
    doc.Parse<rapidjson::kParseIterativeFlag>(request.body.data(), request.body.size());
  }
  if (doc.HasParseError() || !doc.IsObject()) {
    return Error(400, "invalid_json", "the body must be a JSON object");
  }
  // HasMember, not FindMember: comparing rapidjson's iterators is ambiguous in C++20 (clang).
  if (!doc.HasMember("handle") || !doc["handle"].IsString()) {
    return Error(400, "handle_invalid", "handle must be a string");
  }
  const rapidjson::Value& value = doc["handle"];
  std::string_view handle(value.GetString(), value.GetStringLength());
  if (!IsValidHandle(handle)) {
    return Error(400, "handle_invalid", "a handle is 1 to 64 of A-Z a-z 0-9 _ . -");
  }
  std::optional<DevToken> minted;
  {
    MutexLock lock(mint_mutex_);
    minted = MintDevToken(users_, *key_, handle, token_ttl_);
  }
  if (!minted) return Error(404, "user_not_found", "no user with that handle");
  if (minted->sub_assigned) {
    log::Info("api", "gave a user the development cognito_user_id",
              {{"handle", minted->handle}, {"sub", minted->sub}, {"was", minted->previous_sub}});
  }
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  WriteStringField(w, "token", minted->token);
  WriteStringField(w, "handle", minted->handle);
  w.Key("expires_in");
  w.Int64(token_ttl_.count());
  w.EndObject();
  return JsonResponse(200, buf);
}

}  // namespace cruddur::api
