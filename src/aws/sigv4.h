// AWS Signature Version 4 (AWS4-HMAC-SHA256): signing requests for AWS endpoints and verifying
// the signatures of requests we serve. Follows the published SigV4 spec and test suite; the
// error types and wording mirror what AWS services (DynamoDB) answer.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace cruddur::aws {

// --- Primitives (OpenSSL) ---
std::string Sha256Hex(std::string_view data);                         // lowercase hex
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes

// "20150830T123600Z" for a point in time (UTC).
std::string AmzDate(std::chrono::system_clock::time_point time);
// Parses "20150830T123600Z"; nullopt when not in ISO-8601 basic format.
std::optional<std::chrono::system_clock::time_point> ParseAmzDate(std::string_view text);

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary credentials
};

// --- The SigV4 steps, exposed for tests and diagnostics ---

// The canonical request of `request` for `signed_headers` (lowercase names, sorted).
// `payload_hash` is the hex SHA-256 of the body (or "UNSIGNED-PAYLOAD").
std::string CanonicalRequest(const http::Request& request,
                             const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash);
// "<date>/<region>/<service>/aws4_request"
std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service);
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
// The derived signing key (raw bytes) for a secret, a YYYYMMDD date, a region and a service.
std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service);

// Signs `request` in place for `region`/`service` at time `now`: sets X-Amz-Date,
// X-Amz-Security-Token (when the credentials have one) and Authorization. Every header present
// is signed except a few that proxies rewrite (user-agent, expect, ...).
// REQUIRES: request has a Host header.
void Sign(http::Request& request, const Credentials& credentials, std::string_view region,
          std::string_view service, std::chrono::system_clock::time_point now);

// --- Parsing and verifying ---

struct Authorization {
  std::string algorithm;                                         // "AWS4-HMAC-SHA256"
  std::string credential;                                        // the whole Credential=... value
  std::string access_key_id, date, region, service, terminator;  // its five parts
  std::vector<std::string> signed_headers;
  std::string signed_headers_text;  // as sent, e.g. "host;x-amz-date"
  std::string signature;
};

// Why a request is not authenticated: a DynamoDB/AWS error type and its message.
struct AuthError {
  std::string type;  // e.g. "InvalidSignatureException"
  std::string message;
};

// Parses an Authorization header value. On failure returns the IncompleteSignatureException
// AWS answers (message included).
struct ParsedAuthorization {
  std::optional<Authorization> authorization;
  AuthError error;
};
ParsedAuthorization ParseAuthorization(std::string_view header);

// Checks the SigV4 authentication of requests to one service.
//  - No secrets configured: accepts any well-formed credentials (as DynamoDB Local does), but a
//    request without authentication gets MissingAuthenticationTokenException.
//  - With secrets: verifies the date window (15 minutes), the scope, the access key and the
//    signature, answering as AWS does.
// Thread-safe.
class Verifier {
 public:
  explicit Verifier(std::map<std::string, std::string> secrets_by_access_key = {},
                    std::string service = "dynamodb");

  bool verifies_signatures() const { return !secrets_.empty(); }

  // nullopt when the request may proceed.
  std::optional<AuthError> Verify(const http::Request& request,
                                  std::chrono::system_clock::time_point now) const;

 private:
  std::map<std::string, std::string> secrets_;
  std::string service_;
};

}  // namespace cruddur::aws
