#include "ddb/java_set_order.h"

#include <algorithm>
#include <cstdint>
#include <string_view>

namespace cruddur::ddb {
namespace {

// Java's String.hashCode() of UTF-8 `s` (over its UTF-16 code units), spread as HashMap
// spreads it.
uint32_t JavaSpreadHash(std::string_view s) {
  uint32_t h = 0;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (int k = 1; k < len && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    i += len;
    if (cp < 0x10000) {
      h = 31 * h + cp;
    } else {
      h = 31 * h + (0xD800 + ((cp - 0x10000) >> 10));
      h = 31 * h + (0xDC00 + ((cp - 0x10000) & 0x3FF));
    }
  }
  return h ^ (h >> 16);
}

}  // namespace

std::vector<std::string> JavaHashSetOrder(const std::vector<std::string>& names) {
  std::vector<std::string> set;
  for (auto n = names.rbegin(); n != names.rend(); ++n) {
    if (std::find(set.begin(), set.end(), *n) == set.end()) set.push_back(*n);
  }
  uint32_t slots = 16;
  while (set.size() > slots / 4 * 3) slots *= 2;
  std::stable_sort(set.begin(), set.end(), [&](const std::string& a, const std::string& b) {
    return (JavaSpreadHash(a) & (slots - 1)) < (JavaSpreadHash(b) & (slots - 1));
  });
  return set;
}

}  // namespace cruddur::ddb
