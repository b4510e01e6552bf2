// Development sign-in for the web page (development mode only: no Cognito user pool):
//   GET  /api/dev/users              [{handle, display_name}] of the users table, by handle
//   POST /api/dev/token {"handle"}   {"token", "handle"}: a development token, minted as
//                                    `cruddur auth token HANDLE` mints it (MintDevToken)
// In Cognito mode every /api/dev route answers 404, exactly like an unknown route.
//
// Anyone who can reach a development server can act as any user: that is what development mode
// means (the CLI can do the same). The token route insists on a JSON Content-Type so that a page
// of another origin cannot post to it without a CORS preflight, which is never granted.
#pragma once

#include <chrono>
#include <optional>

#include "api/auth.h"
#include "common/thread_annotations.h"
#include "http/message.h"
#include "http/server.h"

namespace cruddur {
class UserStore;
}

namespace cruddur::api {

class DevRoutes {
 public:
  // `key` is the development signing key; nullopt in Cognito mode. `users` must outlive this.
  DevRoutes(UserStore& users, std::optional<DevSigningKey> key,
            std::chrono::seconds token_ttl = std::chrono::hours(8));

  bool enabled() const { return key_.has_value(); }
  // Thread-safe; never throws.
  http::Response Handle(const http::Request& request) const;
  http::Handler AsHandler() const;

 private:
  http::Response Route(const http::Request& request) const;
  http::Response Users() const;
  http::Response Token(const http::Request& request) const;

  UserStore& users_;
  const std::optional<DevSigningKey> key_;
  const std::chrono::seconds token_ttl_;
  mutable Mutex mint_mutex_;  // MintDevToken may assign a sub: one at a time
};

}  // namespace cruddur::api
