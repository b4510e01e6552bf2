#include "encoding/url.h"

#include "encoding/percent.h"

namespace cruddur::encoding {

TargetParts SplitTarget(std::string_view target) {
  std::size_t q = target.find('?');
  if (q == std::string_view::npos) return {target, std::nullopt};
  return {target.substr(0, q), target.substr(q + 1)};
}

std::vector<QueryPair> QueryPairs(std::string_view query) {
  std::vector<QueryPair> pairs;
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    pairs.emplace_back(pair.substr(0, eq),
                       eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
  }
  return pairs;
}

std::optional<std::vector<std::pair<std::string, std::string>>> DecodeQuery(
    std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto [raw_name, raw_value] : QueryPairs(query)) {
    auto name = PercentDecode(raw_name, {.plus_is_space = true});
    auto value = PercentDecode(raw_value, {.plus_is_space = true});
    if (!name || !value) return std::nullopt;
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

Authority SplitAuthority(std::string_view authority) {
  Authority out;
  if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    out.userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
  }
  if (authority.starts_with('[')) {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      out.error = "unterminated '['";
      return out;
    }
    out.host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        out.error = "unexpected text after ']'";
        return out;
      }
      out.port = after.substr(1);
    }
  } else {
    std::size_t colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) out.port = authority.substr(colon + 1);
  }
  return out;
}

}  // namespace cruddur::encoding
