#include "ddb/request.h"

#include <fmt/format.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>

#include "ddb/error.h"
#include "ddb/value_json.h"

namespace cruddur::ddb {

// The in-place stream of Request's parse: rapidjson's own, as a type of its own so that the
// reader's string scan below is ours (rapidjson 1.1's SSE2 scan, RAPIDJSON_SSE2, lets raw bytes
// 0x1A-0x1F through, which JSON forbids). The text is followed by a NUL and 15 readable bytes.
struct PaddedInsituStream : rapidjson::InsituStringStream {
  explicit PaddedInsituStream(char* text) : rapidjson::InsituStringStream(text) {}
};
constexpr size_t kParsePadding = 16;

}  // namespace cruddur::ddb

namespace rapidjson {

template <>
struct StreamTraits<cruddur::ddb::PaddedInsituStream> {
  enum { copyOptimization = 1 };  // NOLINT(readability-identifier-naming): rapidjson's name
};

#ifdef __SSE2__
// Copies the run of a string's characters that need no handling (not '"', '\\' nor below 0x20)
// to where the in-place parse writes, 16 at a time, and stops at the first that does; the
// reader's own loop takes it from there, byte by byte as before.
template <>
template <>
inline void GenericReader<UTF8<>, UTF8<>, CrtAllocator>::ScanCopyUnescapedString(
    cruddur::ddb::PaddedInsituStream& is, cruddur::ddb::PaddedInsituStream& /*os*/) {
  char* p = is.src_;
  char* q = is.dst_;  // at or before p: escapes only shorten the text
  for (;;) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const unsigned mask = cruddur::ddb::JsonEscapeMask(v);
    if (mask != 0) {
      const auto n = static_cast<size_t>(__builtin_ctz(mask));
      if (q != p) std::memmove(q, p, n);
      p += n;
      q += n;
      break;
    }
    if (q != p) _mm_storeu_si128(reinterpret_cast<__m128i*>(q), v);
    p += 16;
    q += 16;
  }
  is.src_ = p;
  is.dst_ = q;
}
#endif

}  // namespace rapidjson

namespace cruddur::ddb {

void ConstraintErrors::NotNull(std::string_view field) {
  Add(fmt::format("Value null at '{}' failed to satisfy constraint: Member must not be null",
                  field));
}

void ThrowRequired(std::string_view member) {
  throw ApiError::Validation(
      fmt::format("The parameter '{}' is required but was not present in the request", member));
}

// Its length and pattern were checked against the input shape (ddb/shape_validator.h) before
// the operation ran.
std::string_view TableNameParam(const Request& req, ConstraintErrors& /*errors*/) {
  auto name = req.String("TableName");
  if (!name) ThrowRequired("TableName");
  return *name;
}

std::optional<int64_t> LimitParam(const Request& req, int64_t max, ConstraintErrors& errors) {
  auto limit = req.Int("Limit");
  if (limit) errors.CheckRange("limit", *limit, 1, max);
  return limit;
}

std::string_view CheckedTableName(const Request& req, ConstraintErrors& errors) {
  std::string_view name = TableNameParam(req, errors);
  errors.CheckName("tableName", name);
  return name;
}

bool ConstraintErrors::CheckListLength(std::string_view field, size_t size, size_t min,
                                       size_t max) {
  if (size >= min && size <= max) return true;
  bool too_short = size < min;
  Add(fmt::format(
      "Value '[]' at '{}' failed to satisfy constraint: Member must have length {} than or equal "
      "to {}",
      field, too_short ? "greater" : "less", too_short ? min : max));
  return false;
}

void ConstraintErrors::CheckName(std::string_view field, std::string_view value) {
  // The shape validator has already held names to their operation's bounds (CreateTable's new
  // names to 3..255); what is left is the loosest form, an existing table's name or ARN.
  if (value.empty()) {
    Add(
        fmt::format("Value '' at '{}' failed to satisfy constraint: Member must have length "
                    "greater than or equal to 1",
                    field));
    return;
  }
  if (value.size() > 255) {
    Add(
        fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must have length "
                    "less than or equal to 255",
                    value, field));
  }
  if (value.starts_with("arn:")) return;
  if (!IsTableNameText(value)) {
    Add(
        fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must satisfy "
                    "regular expression pattern: [a-zA-Z0-9_.-]+",
                    value, field));
  }
}

namespace {
constexpr struct NameChars {
  bool ok[256] = {};
  constexpr NameChars() {
    for (int c = 0; c < 256; ++c) {
      ok[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    }
  }
} kNameChars;
}  // namespace

bool IsTableNameText(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!kNameChars.ok[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

void ConstraintErrors::CheckEnum(std::string_view field, std::string_view value,
                                 const std::vector<std::string_view>& allowed) {
  for (auto a : allowed) {
    if (a == value) return;
  }
  std::string set;
  for (size_t i = 0; i < allowed.size(); ++i) {
    if (i) set += ", ";
    set += allowed[i];
  }
  Add(
      fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must satisfy enum "
                  "value set: [{}]",
                  value, field, set));
}

void ConstraintErrors::CheckRange(std::string_view field, int64_t value, int64_t min, int64_t max) {
  if (value < min) {
    Add(
        fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must have value "
                    "greater than or equal to {}",
                    value, field, min));
  } else if (value > max) {
    Add(
        fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must have value "
                    "less than or equal to {}",
                    value, field, max));
  }
}

void ConstraintErrors::ThrowIfAny() const {
  if (errors_.empty()) return;
  std::string msg = fmt::format("{} validation error{} detected: ", errors_.size(),
                                errors_.size() == 1 ? "" : "s");
  for (size_t i = 0; i < errors_.size(); ++i) {
    if (i) msg += "; ";
    msg += errors_[i];
  }
  throw ApiError::Validation(msg);
}

Request::Request(std::string_view body) : body_(body) {
  if (body.empty()) {
    doc_.SetObject();
    return;
  }
  // Iterative: the recursive parser overflows the stack on deeply nested input.
  doc_.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (doc_.HasParseError() || !doc_.IsObject()) {
    throw ApiError::Serialization("Start of structure or map found where not expected");
  }
}

namespace {

// True when no byte has its top bit set: such text is valid UTF-8 without decoding it.
bool IsAscii(std::string_view text) {
  std::uint64_t seen = 0;
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    seen |= word;
  }
  for (; i < text.size(); ++i) seen |= static_cast<unsigned char>(text[i]);
  return (seen & 0x8080808080808080ULL) == 0;
}

}  // namespace

Request::Request(std::string_view body, int max_depth) : body_(body) {
  if (body.empty()) {
    doc_.SetObject();
    return;
  }
  // Parsed in place, in a copy in the pool: the strings stay where they are instead of each
  // being copied out. The copy ends in a NUL, where the reader stops as it does at the end of
  // the text (a NUL within the body is an error either way).
  const std::size_t size = std::min(body.size(), body.max_size() - kParsePadding);
  char* text = static_cast<char*>(pool_.Malloc(size + kParsePadding));
  if (text == nullptr) throw std::bad_alloc();
  std::memcpy(text, body.data(), size);
  std::memset(text + size, 0, kParsePadding);
  // Nearly every request is ASCII, which is valid UTF-8 without decoding each string.
  const bool ascii = IsAscii(body);
  bool parsed = false;
  auto parse = [&](JsonDocument& doc) {
    // Made once per thread: a reader made per request costs 40-90 instructions more (callgrind),
    // though the recursive in-place parse leaves its stack unused.
    thread_local rapidjson::Reader reader;
    PaddedInsituStream stream(text);
    DepthLimited builder(doc, max_depth);
    // Recursive, ~1,000 instructions fewer than the iterative parser on a PutItem: `builder`
    // stops it max_depth levels down, and 1,000 levels take under 48 KB of stack (under 512 KB
    // with ASan), where a worker has megabytes.
    constexpr unsigned kFlags = rapidjson::kParseInsituFlag;
    rapidjson::ParseResult result =
        ascii ? reader.Parse<kFlags>(stream, builder)
              : reader.Parse<kFlags | rapidjson::kParseValidateEncodingFlag>(stream, builder);
    parsed = !result.IsError();
    return parsed;
  };
  doc_.Populate(parse);
  ok_ = parsed && doc_.IsObject();
}

const JsonValue* Request::Member(const JsonValue& obj, std::string_view name) {
  return MemberValue(obj, name);
}

void ExpectJsonString(const JsonValue& v) {
  if (v.IsString()) return;
  throw ApiError::Serialization(
      fmt::format("{} cannot be converted to String",
                  v.IsNumber() ? "NUMBER_VALUE" : (v.IsBool() ? "TRUE_VALUE" : "Object")));
}

void ExpectJsonInteger(const JsonValue& v) {
  if (v.IsNumber()) return;
  if (v.IsString()) throw ApiError::Serialization("STRING_VALUE can not be converted to a Long");
  throw ApiError::Serialization("Unexpected token received from parser");
}

void ExpectJsonBool(const JsonValue& v) {
  if (!v.IsBool()) throw ApiError::Serialization("Unexpected token received from parser");
}

void ExpectJsonObject(const JsonValue& v) {
  if (!v.IsObject()) throw ApiError::Serialization("Unexpected field type");
}

void ExpectJsonArray(const JsonValue& v) {
  if (!v.IsArray()) throw ApiError::Serialization("Unexpected field type");
}

std::optional<std::string_view> Request::StringOf(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = Member(obj, name);
  if (!v) return std::nullopt;
  ExpectJsonString(*v);
  return View(*v);
}

std::optional<bool> Request::BoolOf(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = Member(obj, name);
  if (!v) return std::nullopt;
  ExpectJsonBool(*v);
  return v->GetBool();
}

std::optional<int64_t> Request::IntOf(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = Member(obj, name);
  if (!v) return std::nullopt;
  ExpectJsonInteger(*v);
  return IntegerOf(*v);
}

int64_t Request::IntegerOf(const JsonValue& number) {
  if (number.IsInt64()) return number.GetInt64();
  const double d = number.GetDouble();  // a uint64 over int64's range reads as a double too
  constexpr double kTwoTo63 = 9223372036854775808.0;
  if (d >= kTwoTo63) return std::numeric_limits<int64_t>::max();
  if (d < -kTwoTo63) return std::numeric_limits<int64_t>::min();
  if (d != d) return 0;  // NaN: rapidjson does not parse one, kept defined all the same
  return static_cast<int64_t>(d);
}

const JsonValue* Request::ObjectOf(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = Member(obj, name);
  if (!v) return nullptr;
  ExpectJsonObject(*v);
  return v;
}

const JsonValue* Request::ArrayOf(const JsonValue& obj, std::string_view name) {
  const JsonValue* v = Member(obj, name);
  if (!v) return nullptr;
  ExpectJsonArray(*v);
  return v;
}

}  // namespace cruddur::ddb
