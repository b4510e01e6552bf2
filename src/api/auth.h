// Who is calling the messaging API: `Authorization: Bearer <JWT>` verified either against a
// Cognito user pool's JWKS (production) or against a development signing key kept in the data
// dir (development, the default). The verified `sub` is the caller's users.cognito_user_id.
//
// Differences from the original (original-system.md, sections 3 and 8):
// - the scheme must be "Bearer" and the header exactly two words; anything else is a 401;
// - iss and token_use are checked too, alg is pinned to RS256, a missing kid is a 401;
// - the JWKS is fetched on first use (and on an unknown kid), not at startup.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/jwks.h"
#include "api/jwt.h"
#include "common/thread_annotations.h"

namespace cruddur {
class UserStore;
}

namespace cruddur::api {

// The development issuer and app client id (the tokens `cruddur auth token` mints).
inline constexpr std::string_view kDevIssuer = "cruddur-dev";
inline constexpr std::string_view kDevClientId = "cruddur-dev-client";
inline constexpr std::string_view kDevSigningKeyFile = "dev-signing-key.pem";

// The verified caller.
struct Identity {
  std::string sub;        // maps to users.cognito_user_id
  std::string username;   // Cognito username ("" when the token has none)
  std::string token_use;  // "access" or "id"
};

struct AuthResult {
  AuthError error = AuthError::kOk;
  std::string reason;  // one line for the 401/503 body; never contains the token
  std::string detail;  // for the server log only (e.g. why the JWKS could not be loaded)
  Identity identity;   // set when ok()

  bool ok() const { return error == AuthError::kOk; }
  int http_status() const { return AuthErrorHttpStatus(error); }
  // The WWW-Authenticate value for a 401 (RFC 6750), e.g.
  // Bearer realm="cruddur", error="invalid_token", error_description="token has expired".
  std::string WwwAuthenticate() const;
};

// Thread-safe: one instance serves every request.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // `authorization_header` is the Authorization header's value ("" when absent). Accepts exactly
  // "Bearer <token>" (scheme case-insensitive, one or more spaces/tabs, no other words). Never
  // throws for bad input.
  virtual AuthResult Authenticate(std::string_view authorization_header) = 0;
};

// Splits "Bearer <token>"; on success `token` views into `header`.
AuthResult ExtractBearerToken(std::string_view header, std::string_view& token);

// Verified tokens remembered by JwtAuthenticator (a client sends the same token on every
// request until it expires; RS256 verification is most of an authenticated request's CPU).
inline constexpr std::size_t kDefaultVerifiedTokenCacheSize = 10000;

// RS256 tokens checked against `keys` and `expect`.
//
// Tokens that passed every check are cached, keyed by the exact token text, with their claims.
// A cached token is accepted again only while now <= exp + leeway and while the key provider
// still returns the very key object that verified it (a JWKS reload or a rotation that drops its
// kid sends it through full verification again). Rejected tokens are never cached. The cache
// holds at most `cache_size` tokens (it is emptied when full); 0 disables it.
class JwtAuthenticator : public Authenticator {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  JwtAuthenticator(
      std::shared_ptr<KeyProvider> keys, JwtExpectations expect,
      Clock now = [] { return std::chrono::system_clock::now(); },
      std::size_t cache_size = kDefaultVerifiedTokenCacheSize);

  AuthResult Authenticate(std::string_view authorization_header) override;
  // The same checks on a bare token (no "Bearer ").
  AuthResult AuthenticateToken(std::string_view token);

  const JwtExpectations& expectations() const { return expect_; }
  // Tokens currently cached (tests, diagnostics).
  std::size_t cached_tokens() const;

 private:
  struct CachedToken {
    Identity identity;
    std::int64_t exp = 0;  // seconds since the epoch
    std::string kid;
    RsaKey key;  // the key that verified it; held so its identity cannot be reused
  };
  // The cached identity for `token`, or nullopt (also for an entry no longer valid, which is
  // dropped).
  std::optional<Identity> FromCache(std::string_view token, std::int64_t now_s);
  AuthResult Verify(std::string_view token, std::chrono::system_clock::time_point now);

  const std::shared_ptr<KeyProvider> keys_;
  const JwtExpectations expect_;
  const Clock now_;
  const std::size_t cache_size_;
  mutable Mutex cache_mutex_;
  std::unordered_map<std::string, CachedToken> cache_ GUARDED_BY(cache_mutex_);
};

// The development signing key: an RSA-2048 key pair in <data-dir>/dev-signing-key.pem (PKCS#8,
// mode 0600), created on first use and reused afterwards, so tokens survive restarts.
class DevSigningKey {
 public:
  // Loads the key, or creates it (and `data_dir`) atomically when missing: concurrent callers
  // end up with the same key. Throws std::runtime_error with a readable reason, e.g. when the
  // file is unreadable, not an RSA key, or readable by group/others.
  static DevSigningKey LoadOrCreate(const std::filesystem::path& data_dir);
  explicit DevSigningKey(RsaKey key);

  const RsaKey& key() const { return key_; }
  // The RFC 7638 thumbprint of the public key.
  const std::string& kid() const { return kid_; }
  // The public key as a one-key set (also what `cruddur auth jwks` prints).
  JwkSet PublicJwks() const;

  // A Cognito-like access token: header {kid, alg RS256}; claims sub, iss kDevIssuer,
  // client_id kDevClientId, token_use "access", scope, auth_time, iat, exp = iat + ttl, jti,
  // username.
  std::string MintToken(
      std::string_view sub, std::string_view username, std::chrono::seconds ttl,
      std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

 private:
  RsaKey key_;
  std::string kid_;
};

// The expectations development tokens are checked against.
JwtExpectations DevExpectations();

// How the server authenticates.
struct AuthConfig {
  enum class Mode { kDevelopment, kCognito };
  Mode mode = Mode::kDevelopment;
  std::filesystem::path data_dir;  // kDevelopment: where the signing key lives
  std::string region;              // kCognito
  std::string user_pool_id;        // kCognito
  std::string client_id;           // kCognito: the app client id (aud / client_id)
  std::string jwks_source;         // kCognito: file or URL overriding Cognito's JWKS URL
  std::chrono::seconds leeway{60};

  // Cognito mode when AWS_COGNITO_USER_POOL_ID is set, else development. The client id is
  // AWS_COGNITO_USER_POOL_CLIENT_ID. The region is the pool id's prefix ("us-east-1_AbC"),
  // else AWS_REGION, else AWS_DEFAULT_REGION. `jwks_source` comes from a --jwks flag.
  static AuthConfig FromEnvironment(std::filesystem::path data_dir, std::string jwks_source = "");
  // Throws std::invalid_argument naming what is missing (client id, region, ...).
  void Validate() const;
  std::string Issuer() const;      // kCognito
  std::string JwksSource() const;  // kCognito: jwks_source or Cognito's URL
};

// Builds the authenticator for `config` (Validate()s it first). Development mode loads or creates
// the signing key; Cognito mode does no I/O (the JWKS is fetched on first use). Throws
// std::invalid_argument / std::runtime_error with a readable reason.
std::unique_ptr<Authenticator> MakeAuthenticator(const AuthConfig& config);

// A development token for the user with `handle` (a leading '@' is ignored), as
// `cruddur auth token` and the development sign-in of `cruddur serve` mint it. The user first gets
// a cognito_user_id of their own when theirs is empty, the seed's shared "MOCK", or shared with
// another user: a token must name exactly one user. Callers serialise calls on one users database
// (two racing calls could each assign a sub, invalidating the first token).
struct DevToken {
  std::string token;
  std::string handle;
  std::string sub;
  bool sub_assigned = false;  // the user was given `sub` now
  std::string previous_sub;   // what the user had before, when sub_assigned
};
// nullopt when there is no user with that handle. Throws std::runtime_error (and the store's
// UserStoreError) when the users database fails.
std::optional<DevToken> MintDevToken(UserStore& users, const DevSigningKey& key,
                                     std::string_view handle, std::chrono::seconds ttl);

}  // namespace cruddur::api
