#include "aws/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <utility>

#include "encoding/hex.h"
#include "encoding/percent.h"
#include "encoding/url.h"

namespace cruddur::aws {

namespace {

using Clock = std::chrono::system_clock;

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";
constexpr auto kClockSkew = std::chrono::minutes(15);

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

// The path with "." and ".." segments and repeated slashes removed, then URI-encoded once more
// (services other than S3 sign the encoded path, i.e. the path is encoded twice).
std::string CanonicalUri(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view segment = path.substr(start, slash - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = slash + 1;
  }
  std::string normalized;
  for (std::string_view segment : segments) {
    normalized.push_back('/');
    normalized.append(segment);
  }
  bool trailing_slash = path.back() == '/' && !segments.empty();
  if (normalized.empty() || trailing_slash) normalized.push_back('/');
  return encoding::PercentEncode(normalized, {.keep_slash = true});
}

// Each name and value decoded (a malformed escape kept as text) and encoded again, so that
// equivalent spellings sign alike; sorted by name, then value.
std::string CanonicalQuery(std::string_view query) {
  auto canonical = [](std::string_view text) {
    return encoding::PercentEncode(*encoding::PercentDecode(text, {.keep_malformed = true}));
  };
  std::vector<std::pair<std::string, std::string>> params;
  for (auto [key, value] : encoding::QueryPairs(query)) {
    params.emplace_back(canonical(key), canonical(value));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out.push_back('&');
    out.append(key).push_back('=');
    out.append(value);
  }
  return out;
}

// Header value as signed: trimmed, runs of spaces collapsed to one.
void AppendCanonicalValue(std::string& out, std::string_view value) {
  value = Trim(value);
  bool space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
}

std::string PayloadHash(const http::Request& request) {
  std::string_view declared = request.headers.Get("x-amz-content-sha256");
  if (declared == "UNSIGNED-PAYLOAD") return std::string(declared);
  return Sha256Hex(request.body);
}

std::string SignatureFor(const http::Request& request,
                         const std::vector<std::string>& signed_headers, std::string_view amz_date,
                         std::string_view scope_date, std::string_view region,
                         std::string_view service, std::string_view secret,
                         std::string* canonical_out = nullptr,
                         std::string* string_to_sign_out = nullptr) {
  std::string canonical = CanonicalRequest(request, signed_headers, PayloadHash(request));
  std::string to_sign =
      StringToSign(amz_date, CredentialScope(scope_date, region, service), canonical);
  std::string signature =
      encoding::HexEncode(HmacSha256(SigningKey(secret, scope_date, region, service), to_sign));
  if (canonical_out) *canonical_out = std::move(canonical);
  if (string_to_sign_out) *string_to_sign_out = std::move(to_sign);
  return signature;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

// The pieces of an Authorization header, before deciding whether they are complete.
struct AuthorizationParts {
  Authorization auth;
  std::string error;    // a structural error (IncompleteSignatureException), already worded
  std::string missing;  // "Authorization header requires 'X' parameter. " for each missing one
};

// The Authorization header's text after the algorithm name.
std::string_view AuthorizationItems(std::string_view header) {
  std::string_view text = Trim(header);
  std::size_t space = text.find(' ');
  return space == std::string_view::npos ? "" : text.substr(space + 1);
}

// Calls on_item(key, value) for each key=value item of `items` (blank items are skipped) up to
// the first one without an equal sign, which it returns ("" when there is none). Items end at a
// comma or at white space, as AWS reads them: "Credential=AK /2021.../aws4_request, ..." is
// answered "'/2021.../aws4_request' not a valid key=value pair (missing equal-sign) ..."
// (DynamoDB's answer quoted in awslabs/fhir-works-on-aws-deployment#379), and items separated by
// spaces alone are whole (ScyllaDB's Alternator tests, run against DynamoDB, reach the date check
// with them).
template <typename OnItem>
std::string_view ForEachItem(std::string_view items, OnItem on_item) {
  std::size_t start = 0;
  for (;;) {
    std::size_t end = items.find_first_of(", \t", start);
    std::string_view item = Trim(
        items.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (!item.empty()) {
      std::size_t eq = item.find('=');
      if (eq == std::string_view::npos) return item;
      on_item(item.substr(0, eq), item.substr(eq + 1));
    }
    if (end == std::string_view::npos) return {};
    start = end + 1;
  }
}

// Whether ParseParts would find the header whole (no structural error, nothing missing),
// without building its parts: all a server without secrets checks of every request.
bool IsComplete(std::string_view header) {
  bool has_credential = false, has_signed_headers = false, has_signature = false;
  std::string_view bad =
      ForEachItem(AuthorizationItems(header), [&](std::string_view key, std::string_view value) {
        if (key == "Credential") {
          has_credential = !value.empty();
        } else if (key == "SignedHeaders") {
          has_signed_headers = !value.empty();
        } else if (key == "Signature") {
          has_signature = !value.empty();
        }
      });
  return bad.empty() && has_credential && has_signed_headers && has_signature;
}

AuthorizationParts ParseParts(std::string_view header) {
  AuthorizationParts parts;
  std::string_view text = Trim(header);
  parts.auth.algorithm = std::string(text.substr(0, text.find(' ')));
  bool has_credential = false, has_signed_headers = false, has_signature = false;
  std::string_view bad =
      ForEachItem(AuthorizationItems(header), [&](std::string_view key, std::string_view value) {
        if (key == "Credential") {
          has_credential = !value.empty();
          parts.auth.credential = std::string(value);
        } else if (key == "SignedHeaders") {
          has_signed_headers = !value.empty();
          parts.auth.signed_headers_text = std::string(value);
          for (std::string_view name : Split(value, ';'))
            parts.auth.signed_headers.push_back(Lower(name));
        } else if (key == "Signature") {
          has_signature = !value.empty();
          parts.auth.signature = std::string(value);
        }
      });
  if (!bad.empty()) {
    parts.error = "'" + std::string(bad) +
                  "' not a valid key=value pair (missing equal-sign) in Authorization header: '" +
                  std::string(header) + "'.";
    return parts;
  }
  if (!has_credential) parts.missing += "Authorization header requires 'Credential' parameter. ";
  if (!has_signature) parts.missing += "Authorization header requires 'Signature' parameter. ";
  if (!has_signed_headers) {
    parts.missing += "Authorization header requires 'SignedHeaders' parameter. ";
  }
  return parts;
}

AuthError Incomplete(std::string message) {
  return {"IncompleteSignatureException", std::move(message)};
}
AuthError Invalid(std::string message) { return {"InvalidSignatureException", std::move(message)}; }

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return encoding::HexEncode(
      std::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string AmzDate(Clock::time_point time) {
  std::time_t t = Clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y%m%dT%H%M%SZ", &tm);
  return buffer;
}

std::optional<Clock::time_point> ParseAmzDate(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  for (std::size_t i = 0; i < 15; ++i) {
    if (i != 8 && (text[i] < '0' || text[i] > '9')) return std::nullopt;
  }
  auto number = [&](std::size_t pos, std::size_t len) {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  std::tm tm{};
  tm.tm_year = number(0, 4) - 1900;
  tm.tm_mon = number(4, 2) - 1;
  tm.tm_mday = number(6, 2);
  tm.tm_hour = number(9, 2);
  tm.tm_min = number(11, 2);
  tm.tm_sec = number(13, 2);
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  // The clock counts nanoseconds in 64 bits (years 1678..2261): saturate beyond that instead of
  // overflowing, so a far-off date is simply outside the signature's time window.
  const std::time_t t = timegm(&tm);
  const auto limit = std::chrono::duration_cast<std::chrono::seconds>(Clock::duration::max());
  if (t >= limit.count()) return Clock::time_point::max();
  if (t <= -limit.count()) return Clock::time_point::min();
  return Clock::from_time_t(t);
}

std::string CanonicalRequest(const http::Request& request,
                             const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash) {
  encoding::TargetParts target = encoding::SplitTarget(request.target);

  std::string out;
  out.reserve(256);
  out.append(request.method).push_back('\n');
  out.append(CanonicalUri(target.path)).push_back('\n');
  out.append(CanonicalQuery(target.query.value_or(""))).push_back('\n');
  for (const std::string& name : signed_headers) {
    out.append(name).push_back(':');
    bool first = true;
    for (const http::Headers::Field& field : request.headers) {
      if (!http::EqualsIgnoreCase(field.name, name)) continue;
      if (!first) out.push_back(',');
      first = false;
      AppendCanonicalValue(out, field.value);
    }
    out.push_back('\n');
  }
  out.push_back('\n');
  for (std::size_t i = 0; i < signed_headers.size(); ++i) {
    if (i) out.push_back(';');
    out.append(signed_headers[i]);
  }
  out.push_back('\n');
  out.append(payload_hash);
  return out;
}

std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service) {
  std::string scope;
  scope.append(date).append("/").append(region).append("/").append(service).append("/");
  scope.append(kTerminator);
  return scope;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out(kAlgorithm);
  out.append("\n").append(amz_date).append("\n").append(scope).append("\n");
  out.append(Sha256Hex(canonical_request));
  return out;
}

std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service) {
  std::string key = HmacSha256("AWS4" + std::string(secret), date);
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  return HmacSha256(key, kTerminator);
}

void Sign(http::Request& request, const Credentials& credentials, std::string_view region,
          std::string_view service, Clock::time_point now) {
  std::string amz_date = AmzDate(now);
  request.headers.Set("X-Amz-Date", amz_date);
  if (!credentials.session_token.empty()) {
    request.headers.Set("X-Amz-Security-Token", credentials.session_token);
  }
  std::vector<std::string> names;
  for (const http::Headers::Field& field : request.headers) {
    std::string name = Lower(field.name);
    // Headers that proxies or the transport may add or rewrite are not signed.
    if (name == "authorization" || name == "user-agent" || name == "expect" ||
        name == "x-amzn-trace-id" || name == "connection" || name == "content-length") {
      continue;
    }
    names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());

  std::string date = amz_date.substr(0, 8);
  std::string signature =
      SignatureFor(request, names, amz_date, date, region, service, credentials.secret_access_key);
  std::string header(kAlgorithm);
  header.append(" Credential=").append(credentials.access_key_id).append("/");
  header.append(CredentialScope(date, region, service)).append(", SignedHeaders=");
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) header.push_back(';');
    header.append(names[i]);
  }
  header.append(", Signature=").append(signature);
  request.headers.Set("Authorization", header);
}

ParsedAuthorization ParseAuthorization(std::string_view header) {
  AuthorizationParts parts = ParseParts(header);
  ParsedAuthorization result;
  if (!parts.error.empty()) {
    result.error = Incomplete(parts.error);
  } else if (!parts.missing.empty()) {
    result.error = Incomplete(parts.missing + "Authorization=" + std::string(header));
  } else {
    std::vector<std::string_view> scope = Split(parts.auth.credential, '/');
    while (scope.size() > 5 && scope.back().empty()) scope.pop_back();  // trailing slashes
    if (scope.size() == 5) {
      parts.auth.access_key_id = std::string(scope[0]);
      parts.auth.date = std::string(scope[1]);
      parts.auth.region = std::string(scope[2]);
      parts.auth.service = std::string(scope[3]);
      parts.auth.terminator = std::string(scope[4]);
    }
    result.authorization = std::move(parts.auth);
  }
  return result;
}

Verifier::Verifier(std::map<std::string, std::string> secrets_by_access_key, std::string service)
    : secrets_(std::move(secrets_by_access_key)), service_(std::move(service)) {}

std::optional<AuthError> Verifier::Verify(const http::Request& request,
                                          Clock::time_point now) const {
  const std::string* header = request.headers.Find("Authorization");
  bool query_auth = request.target.find("X-Amz-Credential=") != std::string::npos;
  if (header == nullptr || Trim(*header).substr(0, 5) != "AWS4-") {
    if (query_auth && secrets_.empty()) return std::nullopt;  // a presigned URL
    return AuthError{"MissingAuthenticationTokenException",
                     "Request is missing Authentication Token"};
  }

  const std::string* amz_date = request.headers.Find("X-Amz-Date");
  if (amz_date == nullptr) amz_date = request.headers.Find("Date");
  // DynamoDB Local mode: well-formed is enough. Checked without building the parts; anything
  // wrong is worded by the full path below.
  if (secrets_.empty() && amz_date != nullptr && IsComplete(*header)) return std::nullopt;

  AuthorizationParts parts = ParseParts(*header);
  if (!parts.error.empty()) return Incomplete(parts.error);
  std::string missing = parts.missing;
  if (amz_date == nullptr) {
    missing +=
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
  }
  if (!missing.empty()) return Incomplete(missing + "Authorization=" + *header);
  if (secrets_.empty()) return std::nullopt;  // DynamoDB Local mode: well-formed is enough

  // The date: ISO-8601 basic format, within 15 minutes of now.
  std::optional<Clock::time_point> signed_at = ParseAmzDate(*amz_date);
  if (!signed_at) {
    return Incomplete("Date must be in ISO-8601 'basic format'. Got '" + *amz_date +
                      "'. See http://en.wikipedia.org/wiki/ISO_8601");
  }
  if (*signed_at < now - kClockSkew) {
    return Invalid("Signature expired: " + *amz_date + " is now earlier than " +
                   AmzDate(now - kClockSkew) + " (" + AmzDate(now) + " - 15 min.)");
  }
  if (*signed_at > now + kClockSkew) {
    return Invalid("Signature not yet current: " + *amz_date + " is still later than " +
                   AmzDate(now + kClockSkew) + " (" + AmzDate(now) + " + 15 min.)");
  }
  const Authorization& auth = parts.auth;
  if (std::find(auth.signed_headers.begin(), auth.signed_headers.end(), "host") ==
      auth.signed_headers.end()) {
    return Invalid("'Host' must be a 'SignedHeader' in the AWS Authorization.");
  }
  if (auth.algorithm != kAlgorithm) {
    return Incomplete("Unsupported AWS 'algorithm': '" + auth.algorithm +
                      "' (only AWS4-HMAC-SHA256 for now). ");
  }
  std::vector<std::string_view> scope = Split(auth.credential, '/');
  while (scope.size() > 5 && scope.back().empty()) scope.pop_back();
  if (scope.size() != 5) {
    return Incomplete(
        "Credential must have exactly 5 slash-delimited elements, e.g. "
        "keyid/date/region/service/term, got '" +
        auth.credential + "'");
  }
  std::string_view key_id = scope[0], date = scope[1], region = scope[2], service = scope[3],
                   terminator = scope[4];
  std::string scope_errors;
  bool region_ok = !region.empty() && std::all_of(region.begin(), region.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
  if (!region_ok) {
    scope_errors +=
        "Credential should be scoped to a valid region, not '" + std::string(region) + "'. ";
  }
  if (service != service_) {
    scope_errors += "Credential should be scoped to correct service: '" + service_ + "'. ";
  }
  if (terminator != kTerminator) {
    scope_errors += "Credential should be scoped with a valid terminator: 'aws4_request', not '" +
                    std::string(terminator) + "'. ";
  }
  std::string_view http_date = std::string_view(*amz_date).substr(0, 8);
  if (date != http_date) {
    scope_errors +=
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
        "date from HTTP: '" +
        std::string(date) + "' != '" + std::string(http_date) + "', from '" + *amz_date + "'.";
  }
  if (!scope_errors.empty()) {
    while (!scope_errors.empty() && scope_errors.back() == ' ') scope_errors.pop_back();
    return Invalid(scope_errors);
  }

  auto secret = secrets_.find(std::string(key_id));
  if (secret == secrets_.end()) {
    return AuthError{"UnrecognizedClientException",
                     "The security token included in the request is invalid."};
  }
  std::string canonical, to_sign;
  std::string expected = SignatureFor(request, auth.signed_headers, *amz_date, date, region,
                                      service, secret->second, &canonical, &to_sign);
  if (expected.size() != auth.signature.size() ||
      CRYPTO_memcmp(expected.data(), auth.signature.data(), expected.size()) != 0) {
    return Invalid(
        "The request signature we calculated does not match the signature you provided. Check "
        "your AWS Secret Access Key and signing method. Consult the service documentation for "
        "details.\n\nThe Canonical String for this request should have been\n'" +
        canonical + "'\n\nThe String-to-Sign should have been\n'" + to_sign + "'\n");
  }
  return std::nullopt;
}

}  // namespace cruddur::aws
