// JSON Web Key Sets (RFC 7517) and the providers that give a verifier the key for a token's kid:
// a fixed set (development), or a set loaded from a file or a URL (Cognito's
// https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json), loaded lazily on first
// use, cached, and reloaded when a token names an unknown kid (at most once per interval), so a
// server starts without network and follows Cognito's key rotation.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "api/jwt.h"
#include "common/thread_annotations.h"

namespace cruddur::api {

// The RSA signing keys of a JWKS document, by kid.
class JwkSet {
 public:
  // Parses {"keys":[{"kty":"RSA","kid":..,"n":..,"e":..}, ...]}. Keys that are not RSA, not for
  // signatures ("use" other than "sig"), for another alg than RS256, without a kid, or with
  // unusable n/e are skipped. Throws std::invalid_argument when the document is not JSON or has
  // no "keys" array.
  static JwkSet Parse(std::string_view json);

  void Add(std::string kid, RsaKey key);
  // The key with this kid, or nullptr.
  const RsaKey* Find(std::string_view kid) const;
  std::size_t size() const { return keys_.size(); }
  bool empty() const { return keys_.empty(); }

  // A JWKS document for these keys (public parts only), with "alg":"RS256" and "use":"sig".
  std::string ToJson() const;

 private:
  std::map<std::string, RsaKey, std::less<>> keys_;
};

// The answer to "which key signed this token?".
struct KeyLookup {
  std::optional<RsaKey> key;  // empty when not found
  std::string error;          // non-empty when the key set itself could not be loaded
};

// Gives verifiers keys by kid. Implementations are thread-safe.
class KeyProvider {
 public:
  virtual ~KeyProvider() = default;
  virtual KeyLookup Find(std::string_view kid) = 0;
};

// A fixed key set (the development signing key).
class StaticKeyProvider : public KeyProvider {
 public:
  explicit StaticKeyProvider(JwkSet keys) : keys_(std::move(keys)) {}
  KeyLookup Find(std::string_view kid) override;

 private:
  const JwkSet keys_;
};

struct JwksProviderOptions {
  // A refresh for an unknown kid (or a retry after a failed load) happens at most this often.
  std::chrono::milliseconds min_refresh_interval = std::chrono::seconds(30);
  // URL sources only.
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(5);
  std::chrono::milliseconds request_timeout = std::chrono::seconds(10);
  std::size_t max_document_bytes = 1024 * 1024;
  // The clock for the rate limit (tests replace it).
  std::function<std::chrono::steady_clock::time_point()> now = [] {
    return std::chrono::steady_clock::now();
  };
};

// A key set read from a source on demand. Nothing is read by the constructor: the first Find()
// loads the set; a Find() for a kid not in the set reloads it unless the last load attempt was
// less than min_refresh_interval ago. A failed reload keeps the previous keys. Concurrent Find()s
// for known kids never wait for a reload in progress.
class JwksProvider : public KeyProvider {
 public:
  // Returns the JWKS document; throws std::exception with a readable reason on failure.
  using Fetcher = std::function<std::string()>;

  JwksProvider(std::string source, Fetcher fetch, JwksProviderOptions options = {});
  // `source` is an http:// or https:// URL (GET, 200 required) or a file path.
  // Throws std::invalid_argument for a malformed URL or another scheme (no I/O happens here).
  static std::unique_ptr<JwksProvider> FromSource(const std::string& source,
                                                  JwksProviderOptions options = {});

  KeyLookup Find(std::string_view kid) override;

  const std::string& source() const { return source_; }
  // Load attempts so far (successful or not), for tests and diagnostics.
  int load_attempts() const;

 private:
  // Loads the set when allowed by the rate limit.
  void MaybeLoad() REQUIRES(load_mutex_);

  const std::string source_;
  const Fetcher fetch_;
  const JwksProviderOptions options_;

  Mutex load_mutex_;     // one load at a time; held across the fetch
  mutable Mutex mutex_;  // guards the fields below; never held across a fetch
  std::shared_ptr<const JwkSet> keys_ GUARDED_BY(mutex_);  // null until first loaded
  bool attempted_ GUARDED_BY(mutex_) = false;
  std::chrono::steady_clock::time_point last_attempt_ GUARDED_BY(mutex_);
  std::string last_error_ GUARDED_BY(mutex_);
  int load_attempts_ GUARDED_BY(mutex_) = 0;
};

// The key set loads (refreshes) of every JwksProvider of the process, for metrics.
struct JwksLoadCounts {
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;
};
JwksLoadCounts JwksLoads();

// Cognito's JWKS URL for a user pool.
std::string CognitoJwksUrl(std::string_view region, std::string_view user_pool_id);
// Cognito's issuer (iss) for a user pool: https://cognito-idp.<region>.amazonaws.com/<pool>.
std::string CognitoIssuer(std::string_view region, std::string_view user_pool_id);

}  // namespace cruddur::api
