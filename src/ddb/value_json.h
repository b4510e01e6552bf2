// AttributeValues in DynamoDB's JSON form ({"S": "text"}, {"N": "12.5"}, {"B": "<base64>"}, ...).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ddb/json.h"
#include "ddb/value.h"

namespace cruddur::ddb {

// Parses one AttributeValue. Throws ApiError (ValidationException or SerializationException) with
// DynamoDB's exact message when the JSON is not a valid AttributeValue: no or several type
// members, an empty set, duplicates in a set, a bad number, bad base64, ...
AttributeValue ParseAttributeValue(const JsonValue& json);

// Parses a JSON object of attribute name -> AttributeValue (an Item, Key, or M).
Item ParseItem(const JsonValue& json);

// Set errors are worded as DynamoDB words them without the "1 validation error detected: "
// envelope (us-east-1 and ap-southeast-2, June 2026; regions that moved to the envelope also
// quote the members): duplicates listed as sent, unquoted (Input collection [b, a, b] contains
// duplicates.), a number set's duplicates without the list ("Input collection contains
// duplicates"), and an empty number "The parameter cannot be converted to a numeric value".

// Throws the SerializationException ParseAttributeValue would throw for `json` (a member of the
// wrong JSON type, bad base64), and nothing else: the request-wide type check runs it before any
// constraint is checked.
void CheckAttributeValueTypes(const JsonValue& json);

// The older (Coral) deserializer's SerializationExceptions for a value that is not of the JSON
// type wanted ("Expected map or null", "class java.lang.Boolean can not be converted to an
// String", ...), as for attribute values; the legacy parameters are read with them too.
namespace coral {
std::string_view ExpectString(const JsonValue& j);  // a null is "Unexpected null value in a set"
bool ExpectBoolean(const JsonValue& j);  // also accepts Coral's "true"/"yes"/"1" spellings
void ExpectList(const JsonValue& j);
void ExpectMap(const JsonValue& j);
void ExpectStructure(const JsonValue& j);
// "Start of list found where not expected" for an array, else the same for a structure or map.
[[noreturn]] void ThrowWrongContainer(const JsonValue& j);
}  // namespace coral

// Every AttributeValue error of a request is reported in DynamoDB's order: a
// SerializationException (wrong JSON type, bad base64) anywhere in `json` wins over any
// ValidationException, and among validation errors the first in document order wins.
// Documents nested deeper than 32 levels (an attribute is level 1) are rejected with
// "Nesting Levels have exceeded supported limits: ...".
constexpr int kMaxNestingDepth = 32;

// The same limit on an item built by the engine (an UpdateExpression can SET a nested value at
// the end of a nested path): throws that ValidationException when `item` is deeper.
void CheckItemNesting(const Item& item);

void WriteAttributeValue(JsonWriter& w, const AttributeValue& v);
// Writes `s` as a JSON string, or as the member name when the writer expects one: exactly what
// JsonWriter::String/Key write, but a string that needs no escaping (no control character, '"'
// or '\\') is copied in one go instead of byte by byte.
void WriteJsonString(JsonWriter& w, std::string_view s);
// Writes the member `name` of the object being written, with `value` as its type says: a bool as
// true/false, another arithmetic type as a number, anything else as a string.
template <typename T>
void WriteMember(JsonWriter& w, std::string_view name, const T& value) {
  WriteJsonString(w, name);
  if constexpr (std::is_same_v<T, bool>) {
    w.Bool(value);
  } else if constexpr (std::is_floating_point_v<T>) {
    w.Double(value);
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    w.Int64(value);
  } else if constexpr (std::is_integral_v<T>) {
    w.Uint64(value);
  } else {
    WriteJsonString(w, value);
  }
}

// For writers that emit a whole JSON value as text (ddb/item_codec.cc writes stored items this
// way): BeginRawJsonValue writes the separator the writer needs before a value here and returns
// its buffer; the caller appends exactly one complete JSON value (AppendJsonString for its
// strings, escaped as the writer escapes them), then calls EndRawJsonValue.
JsonBuffer& BeginRawJsonValue(JsonWriter& w);
// Per byte lane of `x`, the high bit set when the byte is one JSON escapes (below 0x20, '"' or
// '\\'). A lane's bit is exact up to the lowest flagged lane (borrows only move to higher lanes),
// which is all a yes/no answer, or a mask of low lanes, needs.
inline uint64_t JsonEscapeLanes(uint64_t x) {
  constexpr uint64_t kOnes = ~uint64_t{0} / 255;
  constexpr uint64_t kHigh = kOnes * 0x80;
  auto zero_lanes = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  return ((x - kOnes * 0x20) & ~x & kHigh) | zero_lanes(x ^ (kOnes * '"')) |
         zero_lanes(x ^ (kOnes * '\\'));
}
// True when some byte of `s` is one the writer escapes: below 0x20, '"' or '\\'. Strings
// without one may be appended to the buffer between quotes as they are.
inline bool JsonNeedsEscape(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    if (JsonEscapeLanes(x)) return true;
  }
  for (; n > 0; ++p, --n) {
    const auto c = static_cast<unsigned char>(*p);
    if (c < 0x20 || c == '"' || c == '\\') return true;
  }
  return false;
}
void AppendJsonString(JsonWriter& w, std::string_view s);
// Raw JSON text of at most 8 bytes (`,`, `:`, `{"S":`) kept in a whole word, so that writing it
// is one 8-byte store rather than a call to memcpy.
struct JsonAffix {
  char text[8] = {};
  uint8_t size = 0;
  template <size_t N>
  consteval JsonAffix(const char (&s)[N]) : size(N - 1) {  // NOLINT: implicit from a literal
    static_assert(N - 1 <= sizeof(text), "a JsonAffix holds at most 8 bytes");
    for (size_t i = 0; i + 1 < N; ++i) text[i] = s[i];
  }
};
// AppendJsonString between two pieces of raw text: one reservation and a word-at-a-time copy
// that checks for bytes to escape as it goes, for the short strings that make up most of an
// item (names, S values). `readable` is how many bytes from s.data() may be read (at least
// s.size()): when it is 8 or more, a string shorter than 8 bytes is read as one word too.
void AppendJsonString(JsonWriter& w, const JsonAffix& before, std::string_view s,
                      const JsonAffix& after, size_t readable);
#ifdef __SSE2__
// Per byte of `v`, the bit of _mm_movemask_epi8 set when the byte is one JSON escapes.
inline unsigned JsonEscapeMask(__m128i v) {
  const __m128i control =
      _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F));  // <= 0x1F
  const __m128i special =
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(control, special)));
}
#endif
// Copies the n bytes at `src` to `q` and returns true when one of them needs escaping (then what
// was stored at `q` is to be dropped). May store up to 16 bytes past q + n, and reads `readable`
// bytes from `src` at most (at least n): a string shorter than 16 bytes is checked and copied as
// one 16-byte block when 16 bytes are readable.
[[gnu::always_inline]] inline bool CopyPlainJson(char* q, const char* src, size_t n,
                                                 size_t readable) {
  bool escape = false;
#ifdef __SSE2__
  if (n < 16 && readable >= 16) {
    // The lanes past the string are masked off; their bytes stored past q + n are the caller's
    // to overwrite or give back.
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
    escape = (JsonEscapeMask(v) & ((1u << n) - 1)) != 0;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q), v);
  } else if (n >= 16) {  // 16 bytes at a time, the last block overlapping
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), v);
      if (JsonEscapeMask(v) != 0) return true;
    }
    if (i < n) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + n - 16));
      escape = JsonEscapeMask(v) != 0;
      _mm_storeu_si128(reinterpret_cast<__m128i*>(q + n - 16), v);
    }
  } else
#endif
      if (n >= 8) {  // words, the last one overlapping
    size_t i = 0;
    for (; i + 8 <= n && !escape; i += 8) {
      uint64_t x;
      std::memcpy(&x, src + i, 8);
      escape = JsonEscapeLanes(x) != 0;
      std::memcpy(q + i, &x, 8);
    }
    if (!escape && i < n) {
      uint64_t x;
      std::memcpy(&x, src + n - 8, 8);
      escape = JsonEscapeLanes(x) != 0;
      std::memcpy(q + n - 8, &x, 8);
    }
  } else if (readable >= 8) {  // one word, its lanes past the string masked off
    static_assert(std::endian::native == std::endian::little, "lane order");
    uint64_t x;
    std::memcpy(&x, src, 8);
    const uint64_t lanes = n == 0 ? 0 : ~uint64_t{0} >> (64 - 8 * n);
    escape = (JsonEscapeLanes(x) & lanes) != 0;
    std::memcpy(q, &x, 8);
  } else {
    for (size_t i = 0; i < n; ++i) {
      const auto c = static_cast<unsigned char>(src[i]);
      escape |= c < 0x20 || c == '"' || c == '\\';
      q[i] = src[i];
    }
  }
  return escape;
}
// The inline part of that AppendJsonString, straight on the writer's buffer (BeginRawJsonValue's):
// appends before, s quoted, and after, and returns true when no byte of `s` needs escaping;
// otherwise leaves `out` as it was and returns false (the caller then takes AppendJsonString).
// Whole blocks are stored past the text into slack that is given back.
[[gnu::always_inline]] inline bool AppendPlainJsonString(JsonBuffer& out, const JsonAffix& before,
                                                         std::string_view s, const JsonAffix& after,
                                                         size_t readable) {
  constexpr size_t kSlack = 16;  // CopyPlainJson and the affixes' 8-byte stores run this far
  const size_t n = s.size();
  const size_t total = before.size + n + 2 + after.size;
  char* p = out.Push(total + kSlack);
  std::memcpy(p, before.text, sizeof(before.text));
  char* q = p + before.size;
  *q++ = '"';
  if (CopyPlainJson(q, s.data(), n, readable)) {
    out.Pop(total + kSlack);
    return false;
  }
  q[n] = '"';
  std::memcpy(q + n + 1, after.text, sizeof(after.text));
  out.Pop(kSlack);
  return true;
}
// The same for a whole member whose value is a string, `before"name":{"S":"value"}`, in one
// reservation: the most common attribute of a stored item. Returns false, leaving `out` as it
// was, when the name or the value needs escaping.
[[gnu::always_inline]] inline bool AppendPlainJsonSMember(JsonBuffer& out, const JsonAffix& before,
                                                          std::string_view name,
                                                          size_t name_readable,
                                                          std::string_view value,
                                                          size_t value_readable) {
  constexpr size_t kSlack = 16;
  constexpr char kMiddle[8] = {'"', ':', '{', '"', 'S', '"', ':', '"'};
  const size_t total = before.size + 1 + name.size() + sizeof(kMiddle) + value.size() + 2;
  char* p = out.Push(total + kSlack);
  std::memcpy(p, before.text, sizeof(before.text));
  char* q = p + before.size;
  *q++ = '"';
  if (CopyPlainJson(q, name.data(), name.size(), name_readable)) {
    out.Pop(total + kSlack);
    return false;
  }
  q += name.size();
  std::memcpy(q, kMiddle, sizeof(kMiddle));
  q += sizeof(kMiddle);
  if (CopyPlainJson(q, value.data(), value.size(), value_readable)) {
    out.Pop(total + kSlack);
    return false;
  }
  q[value.size()] = '"';
  q[value.size() + 1] = '}';
  out.Pop(kSlack);
  return true;
}
void EndRawJsonValue(JsonWriter& w);
void WriteItem(JsonWriter& w, const Item& item);

std::string Base64Encode(std::string_view bytes);
// Returns false when the text is not valid base64.
bool Base64Decode(std::string_view text, std::string* out);

}  // namespace cruddur::ddb
