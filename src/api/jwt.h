// JSON Web Tokens as Cognito issues them: RS256-signed, compact serialisation, verified against
// an RSA public key and a set of expected claims. Parsing is strict (exactly three base64url
// segments, a size limit, alg RS256 only, a kid, no duplicate JSON members); every failure is an
// AuthError value plus a one-line reason, never an exception.
//
// The crypto is OpenSSL 3 (EVP); the OpenSSL types stay in jwt.cc.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace cruddur::api {

// Why a request could not be authenticated. Do not reorder: tests and logs use the names.
enum class AuthError {
  kOk = 0,
  kMissingToken,     // no Authorization header
  kBadScheme,        // not exactly "Bearer <token>"
  kMalformedToken,   // segments, size, base64url or JSON
  kUnsupportedAlg,   // alg is not RS256 (none, HS256, ...)
  kMissingKid,       // header without a kid
  kUnknownKid,       // no key with that kid, even after refreshing the key set
  kBadSignature,     // signature does not verify
  kExpired,          // exp is in the past (beyond the leeway)
  kNotYetValid,      // nbf (or iat) is in the future (beyond the leeway)
  kWrongIssuer,      // iss is not the user pool's
  kWrongAudience,    // aud (id token) or client_id (access token) is not the app client's
  kWrongTokenUse,    // token_use is neither "access" nor "id"
  kMissingClaim,     // a required claim (sub, exp, iss, token_use) is absent or mistyped
  kKeysUnavailable,  // the key set could not be loaded (network, file, bad JWKS)
};

// "expired", "bad_signature", ... (snake_case of the enumerator without the k).
std::string_view AuthErrorName(AuthError error);
// The HTTP status for a failure: 401, except kKeysUnavailable which is 503 (not the client's
// fault, and worth retrying). 200 for kOk.
int AuthErrorHttpStatus(AuthError error);

// Tokens longer than this are rejected before any decoding (Cognito's are ~1 KB).
inline constexpr std::size_t kMaxTokenBytes = 8 * 1024;

// base64url without padding (RFC 7515 section 2). Decode is strict: only the url-safe alphabet,
// no '=', no whitespace, and the unused trailing bits must be zero; returns nullopt otherwise.
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);

// An RSA key (public, or a private key, which also serves as its public half). Cheap to copy
// (shared, immutable). Thread-safe for concurrent verification/signing.
class RsaKey {
 public:
  // Throws std::invalid_argument when the PEM is not an RSA key, or is shorter than 2048 bits.
  static RsaKey FromPem(std::string_view pem);
  // From the base64url big-endian modulus and exponent of a JWK. Same errors as FromPem.
  static RsaKey FromJwkComponents(std::string_view n_b64url, std::string_view e_b64url);
  // A new random key (bits >= 2048). Throws std::runtime_error if OpenSSL fails.
  static RsaKey Generate(int bits = 2048);

  bool has_private() const { return has_private_; }
  int bits() const;
  // PKCS#8 "BEGIN PRIVATE KEY" PEM. REQUIRES: has_private().
  std::string PrivatePem() const;
  // SubjectPublicKeyInfo "BEGIN PUBLIC KEY" PEM.
  std::string PublicPem() const;
  // base64url of the modulus and public exponent (JWK "n" and "e").
  std::string ModulusB64Url() const;
  std::string ExponentB64Url() const;
  // The RFC 7638 JWK thumbprint (base64url SHA-256 of {"e","kty","n"}): a stable key id.
  std::string Thumbprint() const;

  // RSASSA-PKCS1-v1_5 with SHA-256 (JWS "RS256").
  bool VerifyRs256(std::string_view signing_input, std::string_view signature) const;
  // REQUIRES: has_private(). Throws std::runtime_error if OpenSSL fails.
  std::string SignRs256(std::string_view signing_input) const;

  evp_pkey_st* get() const { return key_.get(); }

 private:
  RsaKey(std::shared_ptr<evp_pkey_st> key, bool has_private);
  std::shared_ptr<evp_pkey_st> key_;
  bool has_private_ = false;
};

// The claims Cruddur uses, decoded from a token's payload.
struct JwtClaims {
  std::string sub;
  std::string username;   // access token "username", id token "cognito:username"
  std::string token_use;  // "access" or "id"
  std::string iss;
  std::string client_id;  // access tokens
  std::string aud;        // id tokens (the matching entry when aud is an array)
  std::int64_t exp = 0;
  std::optional<std::int64_t> iat;
  std::optional<std::int64_t> nbf;
};

// A token split and decoded, before its signature is checked.
struct ParsedJwt {
  std::string kid;
  std::string signing_input;  // "<header b64>.<payload b64>", the signed bytes
  std::string signature;      // raw bytes
  std::string payload_json;
};

// Where a parse or verification failed; a default-constructed value means success.
struct JwtStatus {
  AuthError error = AuthError::kOk;
  std::string reason;  // one line, safe to send back to the client (no secrets, no token)
  bool ok() const { return error == AuthError::kOk; }
};

// Splits and decodes `token`: size, 3 segments, base64url, JSON objects without duplicate
// members, alg == "RS256", no "crit", a non-empty kid. Does NOT check the signature.
JwtStatus ParseJwt(std::string_view token, ParsedJwt& out);

// What a valid token must say.
struct JwtExpectations {
  std::string issuer;     // iss, e.g. https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X
  std::string client_id;  // the app client id: access "client_id" or id token "aud"
  std::chrono::seconds leeway{60};  // clock skew allowed for exp, nbf and iat
  bool accept_access_tokens = true;
  bool accept_id_tokens = true;
};

// Decodes the claims of a verified payload and checks them at time `now`: exp (required), nbf
// and iat (when present) within the leeway, iss, token_use and the client id, sub non-empty.
JwtStatus CheckClaims(std::string_view payload_json, const JwtExpectations& expect,
                      std::chrono::system_clock::time_point now, JwtClaims& out);

// Signs `payload_json` (a JSON object) as an RS256 token with the header Cognito uses,
// {"kid":kid,"alg":"RS256"}. REQUIRES: key.has_private().
std::string SignJwt(const RsaKey& key, std::string_view kid, std::string_view payload_json);

}  // namespace cruddur::api
