// The parts of URLs and request targets that several layers read: the path and query of a
// request target, a query string's name=value pairs, and an authority's userinfo, host and port.
// Nothing here decodes implicitly: parts are views into the text as sent.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cruddur::encoding {

// A request target ("/path?query") split at its first '?'.
struct TargetParts {
  std::string_view path;
  std::optional<std::string_view> query;  // after the '?', when there is one
};
TargetParts SplitTarget(std::string_view target);

// A query string's "name=value" pairs in order, not decoded: '&' separates them, empty pairs are
// skipped, a pair without '=' has an empty value.
using QueryPair = std::pair<std::string_view, std::string_view>;
std::vector<QueryPair> QueryPairs(std::string_view query);

// The pairs decoded as HTML forms send them ('+' is a space); nullopt when one has a malformed
// %-escape.
std::optional<std::vector<std::pair<std::string, std::string>>> DecodeQuery(std::string_view query);

// "[userinfo@]host[:port]"; an IPv6 host is in brackets, which are removed.
struct Authority {
  std::optional<std::string_view> userinfo;  // before the last '@' (passwords may hold an '@')
  std::string_view host;
  std::optional<std::string_view> port;  // after the ':', possibly empty
  std::string_view error;                // why the authority is malformed; empty when it is not
};
Authority SplitAuthority(std::string_view authority);

}  // namespace cruddur::encoding
