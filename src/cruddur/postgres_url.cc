// postgresql:// URLs: just enough parsing to find, replace and hide parts of the authority and
// the database path (userinfo@host:port/database?query).
#include <algorithm>

#include "cruddur/postgres_admin.h"
#include "encoding/percent.h"

namespace cruddur {

namespace {

struct UrlParts {
  std::size_t authority_begin = 0;  // after "scheme://"
  std::size_t host_begin = 0;       // after "userinfo@" (== authority_begin without userinfo)
  std::size_t path_begin = 0;       // the '/' before the database, or the end of the authority
  std::size_t path_end = 0;         // the '?' or '#' that ends the path, or the end of the URL
};

UrlParts SplitUrl(std::string_view url) {
  UrlParts parts;
  std::size_t scheme_end = url.find("://");
  parts.authority_begin = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  parts.path_end = std::min(url.find_first_of("?#", parts.authority_begin), url.size());
  // Passwords are not always percent-encoded: the host starts after the last '@'.
  std::size_t at = url.substr(0, parts.path_end).rfind('@');
  parts.host_begin =
      (at == std::string_view::npos || at < parts.authority_begin) ? parts.authority_begin : at + 1;
  parts.path_begin = std::min(url.find('/', parts.host_begin), parts.path_end);
  return parts;
}

}  // namespace

bool IsPostgresUrl(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

std::string PostgresUrlDatabase(std::string_view url) {
  UrlParts parts = SplitUrl(url);
  if (parts.path_begin >= parts.path_end) return {};
  // Lenient: a malformed escape stays as text (libpq reports a bad URL when it connects).
  return *encoding::PercentDecode(
      url.substr(parts.path_begin + 1, parts.path_end - parts.path_begin - 1),
      {.keep_malformed = true});
}

std::string WithPostgresDatabase(std::string_view url, std::string_view database) {
  UrlParts parts = SplitUrl(url);
  std::string out(url.substr(0, parts.path_begin));
  out += '/';
  out += encoding::PercentEncode(database);
  out += url.substr(parts.path_end);
  return out;
}

std::string RedactPostgresUrl(std::string_view url) {
  UrlParts parts = SplitUrl(url);
  if (parts.host_begin == parts.authority_begin) return std::string(url);  // no userinfo
  std::string_view userinfo =
      url.substr(parts.authority_begin, parts.host_begin - 1 - parts.authority_begin);
  std::size_t colon = userinfo.find(':');
  if (colon == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, parts.authority_begin + colon + 1));
  out += "***";
  out += url.substr(parts.host_begin - 1);
  return out;
}

}  // namespace cruddur
