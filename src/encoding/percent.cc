#include "encoding/percent.h"

#include "encoding/hex.h"

namespace cruddur::encoding {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

std::optional<std::string> PercentDecode(std::string_view text, PercentDecoding options) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      int hi = i + 2 < text.size() ? HexDigitValue(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? HexDigitValue(text[i + 2]) : -1;
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
      if (!options.keep_malformed) return std::nullopt;
    } else if (c == '+' && options.plus_is_space) {
      c = ' ';
    }
    out.push_back(c);
  }
  return out;
}

std::string PercentEncode(std::string_view text, PercentEncoding options) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (IsUnreserved(c) || (options.keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      AppendHexByte(out, c, HexCase::kUpper);
    }
  }
  return out;
}

}  // namespace cruddur::encoding
