// Percent-encoding (RFC 3986 section 2.1) and its decoding, with the options where the callers
// legitimately differ: '+' is a space only in query strings (HTML forms), and SigV4 and libpq
// keep a malformed escape as text where the HTTP API refuses it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cruddur::encoding {

// RFC 3986's unreserved characters: A-Z a-z 0-9 - . _ ~ (never encoded).
bool IsUnreserved(unsigned char c);

struct PercentDecoding {
  // '+' decodes to a space (application/x-www-form-urlencoded, i.e. query strings; not paths).
  bool plus_is_space = false;
  // A '%' not followed by two hex digits stays as it is (SigV4's canonical query, libpq's URLs)
  // instead of making the whole text malformed.
  bool keep_malformed = false;
};

// The bytes `text` stands for; nullopt when it has a malformed escape (never with
// keep_malformed). Hex digits of either case; no UTF-8 check.
std::optional<std::string> PercentDecode(std::string_view text, PercentDecoding options = {});

struct PercentEncoding {
  // '/' stays as it is (SigV4's canonical URI); otherwise it is %2F.
  bool keep_slash = false;
};

// Every byte but the unreserved ones as %XX with upper-case hex, as SigV4 (and so the AWS Query
// protocol) requires, and RFC 3986 recommends.
std::string PercentEncode(std::string_view text, PercentEncoding options = {});

}  // namespace cruddur::encoding
