#include "ddb/java_set_order.h"

#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cstdint>
#include <string_view>

namespace cruddur::ddb {
namespace {

// Java's String.hashCode() of UTF-8 `s` (over its UTF-16 code units), spread as HashMap
// spreads it.
uint32_t JavaSpreadHash(std::string_view s) {
  uint32_t h = 0;
  for (int32_t i = 0, n = static_cast<int32_t>(s.size()); i < n;) {
    UChar32 c;
    U8_NEXT(s.data(), i, n, c);
    if (c < 0) c = 0xFFFD;  // ill-formed UTF-8: a Java decoder's replacement character
    if (U_IS_BMP(c)) {
      h = 31 * h + static_cast<uint32_t>(c);
    } else {
      h = 31 * h + U16_LEAD(c);
      h = 31 * h + U16_TRAIL(c);
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
