// The messaging HTTP API the Cruddur web client calls (original-system.md, section 3 "Routes"),
// as an http::Handler:
//   GET  /api/message_groups            [{uuid, display_name, handle, message, created_at, unread}]
//   GET  /api/messages/{group uuid}     [{uuid, display_name, handle, message, created_at}]
//   POST /api/messages                  {message_group_uuid} | {message_group_uuid, uuid, ...}
//   GET  /api/messages/counter          {"count": total unread, "groups": {"<group uuid>": n}}
//   GET  /api/users/@{handle}/short     {uuid, handle, display_name}
//   GET  /api/health                    {"success": true, "checks": {...}} (no token)
// Lists stay bare arrays as the original client expects; `?cursor=` continues a list and the
// next page's cursor comes back in `X-Next-Cursor` (and a `Link: <...>; rel="next"` header),
// absent on the last page. Every route except health needs `Authorization: Bearer <JWT>`.
//
// Status codes: 401 {"error"} for a missing/bad token (503 when the key set is unavailable);
// 422 [codes...] for invalid messages (every code, as the original's list); 400 {"error"} for
// malformed JSON, wrong member types or a bad cursor/handle; 403 {"error"} when the token's
// subject is no user; 404 {"error"} for unknown routes, users, and groups the caller is not a
// member of; 405 with Allow for a wrong method; 413 for bodies over 64 KB; 500 only when the
// server itself fails (storage down), with a generic reason (details go to the log).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/auth.h"
#include "api/service.h"
#include "http/message.h"
#include "http/server.h"

namespace cruddur::api {

inline constexpr std::size_t kMaxApiBodyBytes = 64 * 1024;

// One named storage check of the health route: returns "" when healthy, else a reason.
struct HealthCheck {
  std::string name;
  std::function<std::string()> run;
};

struct RoutesOptions {
  // Origins allowed by CORS (FRONTEND_URL and BACKEND_URL); a trailing '/' is ignored.
  std::vector<std::string> allowed_origins;
  std::vector<HealthCheck> health_checks;
  // Server-side failures are reported here (default: stderr).
  std::function<void(const std::string&)> log;
};

// The CORS origins from the environment: FRONTEND_URL and BACKEND_URL (unset ones skipped).
std::vector<std::string> OriginsFromEnvironment();

class Routes {
 public:
  // `service` and `auth` must outlive the routes.
  Routes(MessagingService& service, Authenticator& auth, RoutesOptions options = {});

  // Thread-safe; never throws.
  http::Response Handle(const http::Request& request) const;
  // The answer to a body over kMaxApiBodyBytes.
  http::Response TooLarge(const http::Request& request) const;

  // Body limit and too-large answer on `options`; the routes must outlive the server.
  void Configure(http::ServerOptions& options) const;
  http::Handler AsHandler() const;

  // The path patterns of the route table, in the order they are tried.
  static std::vector<std::string_view> RoutePatterns();
  // The pattern of the route a (percent-encoded) path matches, whatever the method; nullopt
  // when none does.
  static std::optional<std::string_view> PatternOf(std::string_view path);

 private:
  struct Call;      // a request matched to a route (routes.cc)
  struct RouteRow;  // method, path pattern, token or not, handler
  static const RouteRow kRouteTable[];

  http::Response Route(const http::Request& request) const;
  http::Response Unauthenticated(const AuthResult& auth) const;
  http::Response Health(const Call& call) const;
  http::Response MessageGroups(const Call& call) const;
  http::Response Messages(const Call& call) const;
  http::Response CreateMessage(const Call& call) const;
  http::Response Counter(const Call& call) const;
  http::Response UserShort(const Call& call) const;
  void Cors(const http::Request& request, http::Response& response) const;
  // Server-side failures are errors; a refused token or a failed health check a warning.
  void Log(const std::string& line, bool warning = false) const;

  MessagingService& service_;
  Authenticator& auth_;
  RoutesOptions options_;
};

}  // namespace cruddur::api
