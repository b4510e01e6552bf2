#include "http/plain_request.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace cruddur::http {
namespace {

// Field-name bytes read here: letters, digits, '-', '_' and '.' (part of RFC 9110's tchar).
constexpr std::array<bool, 256> kNameByte = [] {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = table[c + ('a' - 'A')] = true;
  table['-'] = table['_'] = table['.'] = true;
  return table;
}();

bool IsValueByte(unsigned char c) { return (c >= 0x20 && c < 0x7f) || c == '\t'; }

// The first byte in [p, end) that cannot be in a field name here (kNameByte), or end.
const char* SkipNameBytes(const char* p, const char* end) {
#ifdef __SSE2__
  const __m128i below_a = _mm_set1_epi8('a' - 1);
  const __m128i above_z = _mm_set1_epi8('z' + 1);
  const __m128i below_0 = _mm_set1_epi8('0' - 1);
  const __m128i above_9 = _mm_set1_epi8('9' + 1);
  const __m128i case_bit = _mm_set1_epi8(0x20);
  for (; end - p >= 16; p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Letters of either case: OR-ing the case bit maps only 'A'-'Z' onto 'a'-'z' (signed
    // compares: bytes from 0x80 are negative, so none of them passes).
    const __m128i lower = _mm_or_si128(v, case_bit);
    const __m128i letter =
        _mm_and_si128(_mm_cmpgt_epi8(lower, below_a), _mm_cmplt_epi8(lower, above_z));
    const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, below_0), _mm_cmplt_epi8(v, above_9));
    const __m128i mark = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('-')), _mm_cmpeq_epi8(v, _mm_set1_epi8('_'))),
        _mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
    const auto ok =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(letter, digit), mark)));
    if (ok != 0xffff) return p + std::countr_one(ok);
  }
#endif
  while (p != end && kNameByte[static_cast<unsigned char>(*p)]) ++p;
  return p;
}

// The first byte in [p, end) that cannot be in a plain field value (below 0x20 but a tab, or
// 0x7f and up), or end.
const char* SkipValueBytes(const char* p, const char* end) {
#ifdef __SSE2__
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i del = _mm_set1_epi8(0x7f);
  const __m128i tab = _mm_set1_epi8('\t');
  for (; end - p >= 16; p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // A signed compare: bytes from 0x80 are negative, so "below 0x20" flags them too.
    const __m128i bad = _mm_andnot_si128(
        _mm_cmpeq_epi8(v, tab), _mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpeq_epi8(v, del)));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(bad));
    if (mask != 0) return p + std::countr_zero(mask);
  }
#endif
  while (p != end && IsValueByte(static_cast<unsigned char>(*p))) ++p;
  return p;
}

// Content-Length as Beast reads one plain number; false for anything else.
bool ParseLength(std::string_view value, std::size_t* length) {
  if (value.empty() || value.size() > 18) return false;  // 18 digits cannot overflow
  std::uint64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  *length = static_cast<std::size_t>(n);
  return true;
}

}  // namespace

std::size_t ReadPlainRequest(std::string_view bytes, std::size_t header_limit,
                             std::size_t body_limit, Request& request, bool* keep_alive,
                             std::size_t* header_bytes) {
  auto decline = [&request] {
    request.Clear();
    return std::size_t{0};
  };
  const char* const begin = bytes.data();
  // The whole header must lie within the limit: a longer one is Beast's to refuse.
  const char* const end = begin + std::min(bytes.size(), header_limit);
  const char* p = begin;

  // Request line: METHOD SP target SP HTTP/1.x CRLF.
  while (p != end && *p >= 'A' && *p <= 'Z') ++p;
  if (p == begin || p == end || *p != ' ') return decline();
  request.method.assign(begin, p);
  const char* const target = ++p;
  while (p != end && static_cast<unsigned char>(*p) > 0x20 &&
         static_cast<unsigned char>(*p) < 0x7f) {
    ++p;
  }
  if (p == target || p == end || *p != ' ') return decline();
  request.target.assign(target, p);
  ++p;
  constexpr std::string_view kVersion = "HTTP/1.";
  if (end - p < 10 || std::memcmp(p, kVersion.data(), kVersion.size()) != 0 ||
      (p[7] != '0' && p[7] != '1') || p[8] != '\r' || p[9] != '\n') {
    return decline();
  }
  request.version = p[7] == '1' ? 11 : 10;
  p += 10;

  // Fields, up to the empty line.
  bool close = false;
  bool keep = false;
  bool has_length = false;
  std::size_t length = 0;
  for (;;) {
    if (end - p < 2) return decline();
    if (*p == '\r') {
      if (p[1] != '\n') return decline();
      p += 2;
      break;
    }
    const char* const name = p;
    p = SkipNameBytes(p, end);
    if (p == name || p == end || *p != ':') return decline();
    const std::string_view field_name(name, static_cast<std::size_t>(p - name));
    ++p;
    while (p != end && (*p == ' ' || *p == '\t')) ++p;
    const char* const value_begin = p;
    p = SkipValueBytes(p, end);
    // (A continuation line, obs-fold, starts with a space or a tab, which no name does.)
    if (end - p < 2 || p[0] != '\r' || p[1] != '\n') return decline();
    const char* value_end = p;
    while (value_end != value_begin && (value_end[-1] == ' ' || value_end[-1] == '\t')) {
      --value_end;
    }
    const std::string_view value(value_begin, static_cast<std::size_t>(value_end - value_begin));
    p += 2;

    // The fields that change how Beast reads the message: only the plain forms are read here.
    switch (field_name.size()) {
      case 6:  // 100-continue is answered on Beast's path
        if (EqualsIgnoreCase(field_name, "Expect")) return decline();
        break;
      case 7:
        if (EqualsIgnoreCase(field_name, "Upgrade")) return decline();
        break;
      case 10:
        if (EqualsIgnoreCase(field_name, "Connection")) {
          if (EqualsIgnoreCase(value, "close")) {
            close = true;
          } else if (EqualsIgnoreCase(value, "keep-alive")) {
            keep = true;
          } else {
            return decline();
          }
        }
        break;
      case 14:
        if (EqualsIgnoreCase(field_name, "Content-Length")) {
          if (has_length || !ParseLength(value, &length)) return decline();
          has_length = true;
        }
        break;
      case 16:
        if (EqualsIgnoreCase(field_name, "Proxy-Connection")) return decline();
        break;
      case 17:
        if (EqualsIgnoreCase(field_name, "Transfer-Encoding")) return decline();
        break;
      default:
        break;
    }
    request.headers.Add(field_name, value);
  }

  const auto header = static_cast<std::size_t>(p - begin);
  if (length > body_limit || length > bytes.size() - header) return decline();
  request.body.assign(p, length);
  // Beast: HTTP/1.1 stays open unless a Connection field says close; HTTP/1.0 closes unless
  // one says keep-alive (then even beside close).
  *keep_alive = request.version == 11 ? !close : keep;
  *header_bytes = header;
  return header + length;
}

}  // namespace cruddur::http
