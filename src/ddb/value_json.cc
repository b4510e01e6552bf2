#include "ddb/value_json.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>

#include "ddb/error.h"

namespace cruddur::ddb {

namespace {

// ---- Base64 (RFC 4648 standard alphabet, padded, strict) ----

constexpr char kB64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

struct B64DecodeTable {
  int8_t v[256];
  constexpr B64DecodeTable() : v() {
    for (int i = 0; i < 256; ++i) v[i] = -1;
    for (int i = 0; i < 64; ++i)
      v[static_cast<unsigned char>(kB64Alphabet[i])] = static_cast<int8_t>(i);
  }
};
constexpr B64DecodeTable kB64Decode;

void AppendBase64(std::string_view bytes, std::string* out) {
  out->reserve(out->size() + (bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t left = bytes.size() - i;
    uint32_t x = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (left > 1) x |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    if (left > 2) x |= static_cast<unsigned char>(bytes[i + 2]);
    out->push_back(kB64Alphabet[(x >> 18) & 63]);
    out->push_back(kB64Alphabet[(x >> 12) & 63]);
    out->push_back(left > 1 ? kB64Alphabet[(x >> 6) & 63] : '=');
    out->push_back(left > 2 ? kB64Alphabet[x & 63] : '=');
  }
}

enum class B64Error { kNone, kLength, kCharacter, kLastCharacter };

// Decodes like DynamoDB's Coral layer: the length must be a multiple of 4, only the alphabet and
// trailing '=' are allowed, and unused bits of the last character must be zero (canonical form).
// On kCharacter, *bad is the offending character.
B64Error DecodeBase64(std::string_view text, std::string* out, char* bad) {
  const size_t n = text.size();
  if (n % 4 != 0) return B64Error::kLength;
  for (size_t i = 0; i < n; ++i) {
    const char c = text[i];
    if (c == '=') {
      if (i + 1 < n && text[i + 1] != '=') {
        *bad = '=';
        return B64Error::kCharacter;
      }
    } else if (kB64Decode.v[static_cast<unsigned char>(c)] < 0) {
      *bad = c;
      return B64Error::kCharacter;
    }
  }
  size_t pad = 0;
  while (pad < n && text[n - 1 - pad] == '=') ++pad;
  if (pad > 2) return B64Error::kLastCharacter;
  out->clear();
  out->reserve(n / 4 * 3);
  const size_t full = n - (pad ? 4 : 0);
  auto val = [&](size_t i) {
    return static_cast<uint32_t>(kB64Decode.v[static_cast<unsigned char>(text[i])]);
  };
  for (size_t i = 0; i < full; i += 4) {
    uint32_t x = val(i) << 18 | val(i + 1) << 12 | val(i + 2) << 6 | val(i + 3);
    out->push_back(static_cast<char>(x >> 16));
    out->push_back(static_cast<char>(x >> 8));
    out->push_back(static_cast<char>(x));
  }
  if (pad == 1) {
    uint32_t x = val(full) << 18 | val(full + 1) << 12 | val(full + 2) << 6;
    if (x & 0xFF) return B64Error::kLastCharacter;
    out->push_back(static_cast<char>(x >> 16));
    out->push_back(static_cast<char>(x >> 8));
  } else if (pad == 2) {
    uint32_t x = val(full) << 18 | val(full + 1) << 12;
    if (x & 0xFFFF) return B64Error::kLastCharacter;
    out->push_back(static_cast<char>(x >> 16));
  }
  return B64Error::kNone;
}

// ---- DynamoDB's messages ----

constexpr char kInvalid[] = "One or more parameter values were invalid: ";
constexpr char kEmptyValue[] =
    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes";
constexpr char kSeveralTypes[] =
    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the "
    "supported datatypes";
constexpr char kNesting[] =
    "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels "
    "beyond supported limit";
constexpr char kBigNumberClass[] = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber";

[[noreturn]] void ThrowSerialization(const std::string& m) { throw ApiError::Serialization(m); }

[[noreturn]] void ThrowWrongContainer(const JsonValue& j) {
  if (j.IsArray()) ThrowSerialization("Start of list found where not expected");
  ThrowSerialization("Start of structure or map found where not expected.");
}

// `target` is Coral's (ungrammatical) target name: "an String", "a Blob", "an Boolean".
std::string_view ExpectString(const JsonValue& j, const char* target) {
  if (j.IsString()) return {j.GetString(), j.GetStringLength()};
  if (j.IsBool())
    ThrowSerialization(std::string("class java.lang.Boolean can not be converted to ") + target);
  if (j.IsNumber())
    ThrowSerialization(std::string(kBigNumberClass) + " can not be converted to " + target);
  if (j.IsNull()) ThrowSerialization("Unexpected null value in a set");
  ThrowWrongContainer(j);
}

bool ExpectBoolean(const JsonValue& j) {
  if (j.IsBool()) return j.GetBool();
  if (j.IsNumber())
    ThrowSerialization(std::string(kBigNumberClass) + " can not be converted to an Boolean");
  if (j.IsString()) {
    // Coral accepts a few spellings of a boolean in a string, case-insensitively.
    std::string upper(j.GetString(), j.GetStringLength());
    for (char& c : upper) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    if (upper == "TRUE" || upper == "1" || upper == "YES") return true;
    if (upper == "FALSE" || upper == "0" || upper == "NO") return false;
    ThrowSerialization("'" + upper + "' can not be converted to an Boolean");
  }
  ThrowWrongContainer(j);
}

void ExpectList(const JsonValue& j) {
  if (j.IsArray()) return;
  if (j.IsObject()) ThrowWrongContainer(j);
  ThrowSerialization("Expected list or null");
}

void ExpectMap(const JsonValue& j) {
  if (j.IsObject()) return;
  if (j.IsArray()) ThrowWrongContainer(j);
  ThrowSerialization("Expected map or null");
}

void DecodeBlob(std::string_view text, std::string* out) {
  char bad = 0;
  switch (DecodeBase64(text, out, &bad)) {
    case B64Error::kNone:
      return;
    case B64Error::kLength:
      ThrowSerialization("'" + std::string(text) +
                         "' can not be converted to a Blob: Base64 encoded length is expected a "
                         "multiple of 4 bytes but found: " +
                         std::to_string(text.size()));
    case B64Error::kCharacter:
      ThrowSerialization("'" + std::string(text) +
                         "' can not be converted to a Blob: Invalid Base64 character: '" + bad +
                         "'");
    case B64Error::kLastCharacter:
      // Sic: "dectected" is DynamoDB's spelling.
      ThrowSerialization("'" + std::string(text) +
                         "' can not be converted to a Blob: Invalid last non-pad Base64 character "
                         "dectected");
  }
}

bool LookupType(std::string_view name, ValueType* t) {
  switch (name.size()) {
    case 1:
      if (name[0] == 'S')
        *t = ValueType::kS;
      else if (name[0] == 'N')
        *t = ValueType::kN;
      else if (name[0] == 'B')
        *t = ValueType::kB;
      else if (name[0] == 'M')
        *t = ValueType::kM;
      else if (name[0] == 'L')
        *t = ValueType::kL;
      else
        return false;
      return true;
    case 2:
      if (name == "SS")
        *t = ValueType::kSS;
      else if (name == "NS")
        *t = ValueType::kNS;
      else if (name == "BS")
        *t = ValueType::kBS;
      else
        return false;
      return true;
    case 4:
      if (name == "BOOL")
        *t = ValueType::kBool;
      else if (name == "NULL")
        *t = ValueType::kNull;
      else
        return false;
      return true;
    default:
      return false;
  }
}

// Index of the first element equal to an earlier one, or npos.
template <typename T, typename Eq>
size_t FirstDuplicate(const std::vector<T>& v, Eq eq) {
  for (size_t i = 1; i < v.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (eq(v[i], v[j])) return i;
    }
  }
  return std::string::npos;
}

size_t FirstDuplicateString(const std::vector<std::string>& v) {
  if (v.size() <= 16)
    return FirstDuplicate(v, [](const std::string& a, const std::string& b) { return a == b; });
  std::unordered_set<std::string_view> seen;
  seen.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (!seen.insert(v[i]).second) return i;
  }
  return std::string::npos;
}

bool HasDuplicateNumber(const std::vector<Number>& v) {
  if (v.size() <= 16)
    return FirstDuplicate(v, [](const Number& a, const Number& b) { return a == b; }) !=
           std::string::npos;
  std::vector<const Number*> p;
  p.reserve(v.size());
  for (const Number& n : v) p.push_back(&n);
  std::sort(p.begin(), p.end(), [](const Number* a, const Number* b) { return *a < *b; });
  for (size_t i = 1; i < p.size(); ++i) {
    if (*p[i] == *p[i - 1]) return true;
  }
  return false;
}

// The members as the message lists them: as sent, unquoted, comma-separated.
std::string Join(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ", ";
    s += v[i];
  }
  s += ']';
  return s;
}

class ValueParser {
 public:
  AttributeValue Parse(const JsonValue& j, int depth) {
    AttributeValue out;
    ParseInto(j, depth, &out);
    return out;
  }

  // Parses into `out`, a default AttributeValue (in place: values are big to move).
  void ParseInto(const JsonValue& j, int depth, AttributeValue* out) {
    if (j.IsNull()) {
      Defer(kEmptyValue);
      return;
    }
    if (!j.IsObject()) {
      if (j.IsArray()) ThrowWrongContainer(j);
      ThrowSerialization("Expected null");
    }
    if (depth > kMaxNestingDepth) {
      Defer(kNesting);
      return;
    }
    unsigned seen = 0;
    int count = 0;
    for (const auto& m : j.GetObject()) {
      if (m.value.IsNull()) continue;  // Coral treats a null member as absent
      ValueType t;
      if (!LookupType({m.name.GetString(), m.name.GetStringLength()}, &t)) continue;
      const unsigned bit = 1u << static_cast<unsigned>(t);
      if (!(seen & bit)) {
        seen |= bit;
        ++count;
      }
      ParseMember(t, m.value, depth, out);
    }
    if (count == 0) {
      Defer(kEmptyValue);
    } else if (count > 1) {
      Defer(kSeveralTypes);
    }
  }

  // An object of attribute name -> AttributeValue whose values are at `depth`.
  Item ParseMap(const JsonValue& j, int depth) {
    ExpectMap(j);
    Item item;
    for (const auto& m : j.GetObject()) {
      auto [it, fresh] =
          item.try_emplace(std::string(m.name.GetString(), m.name.GetStringLength()));
      if (!fresh) it->second = AttributeValue();  // a repeated name: the last one counts
      ParseInto(m.value, depth, &it->second);
    }
    return item;
  }

  void Finish() {
    if (deferred_) throw *deferred_;
  }

 private:
  void Defer(const std::string& message) {
    if (!deferred_) deferred_.emplace(ApiError::Validation(message));
  }

  void ParseNumber(std::string_view text, Number* out) {
    if (text.empty()) {
      Defer("The parameter cannot be converted to a numeric value");
      return;
    }
    try {
      *out = Number::Parse(text);
    } catch (const ApiError& e) {
      Defer(e.message());
    }
  }

  void ParseMember(ValueType t, const JsonValue& v, int depth, AttributeValue* out) {
    out->type = t;
    switch (t) {
      case ValueType::kS:
        out->bytes.assign(ExpectString(v, "an String"));
        break;
      case ValueType::kN:
        ParseNumber(ExpectString(v, "an String"), &out->number);
        break;
      case ValueType::kB:
        DecodeBlob(ExpectString(v, "a Blob"), &out->bytes);
        break;
      case ValueType::kBool:
        out->boolean = ExpectBoolean(v);
        break;
      case ValueType::kNull:
        if (!ExpectBoolean(v)) {
          Defer(std::string(kInvalid) + "Null attribute value types must have the value of true");
        }
        out->boolean = true;
        break;
      case ValueType::kM:
        out->map = ParseMap(v, depth + 1);
        break;
      case ValueType::kL:
        ExpectList(v);
        out->list.clear();
        out->list.reserve(v.Size());
        for (const JsonValue& e : v.GetArray()) ParseInto(e, depth + 1, &out->list.emplace_back());
        break;
      case ValueType::kSS:
        ParseStringSet(v, out);
        break;
      case ValueType::kNS:
        ParseNumberSet(v, out);
        break;
      case ValueType::kBS:
        ParseBinarySet(v, out);
        break;
    }
  }

  // A set's elements, each read by `decode(element, &slot)`; false, with DynamoDB's `empty`
  // message deferred, when there are none.
  template <class T, class Decode>
  bool ParseSetElements(const JsonValue& v, std::vector<T>& out, Decode decode,
                        std::string_view empty) {
    ExpectList(v);
    out.clear();
    out.resize(v.Size());
    size_t i = 0;
    for (const JsonValue& e : v.GetArray()) decode(e, &out[i++]);
    if (!out.empty()) return true;
    Defer(std::string(kInvalid) + std::string(empty));
    return false;
  }

  void ParseStringSet(const JsonValue& v, AttributeValue* out) {
    auto decode = [](const JsonValue& e, std::string* s) { *s = ExpectString(e, "an String"); };
    if (!ParseSetElements(v, out->strings, decode, "An string set  may not be empty")) return;
    if (FirstDuplicateString(out->strings) == std::string::npos || deferred_) return;
    Defer(std::string(kInvalid) + "Input collection " + Join(out->strings) +
          " contains duplicates.");
  }

  void ParseNumberSet(const JsonValue& v, AttributeValue* out) {
    auto decode = [this](const JsonValue& e, Number* n) {
      ParseNumber(ExpectString(e, "an String"), n);
    };
    if (!ParseSetElements(v, out->numbers, decode, "An number set  may not be empty")) return;
    if (deferred_ || !HasDuplicateNumber(out->numbers)) return;
    Defer("Input collection contains duplicates");
  }

  void ParseBinarySet(const JsonValue& v, AttributeValue* out) {
    auto decode = [](const JsonValue& e, std::string* s) {
      DecodeBlob(ExpectString(e, "a Blob"), s);
    };
    if (!ParseSetElements(v, out->strings, decode, "Binary sets should not be empty")) return;
    if (FirstDuplicateString(out->strings) == std::string::npos || deferred_) return;
    std::vector<std::string> shown;
    shown.reserve(out->strings.size());
    for (const std::string& s : out->strings) shown.push_back(Base64Encode(s));
    Defer(std::string(kInvalid) + "Input collection " + Join(shown) +
          "of type BS contains duplicates.");
  }

  std::optional<ApiError> deferred_;
};

}  // namespace

AttributeValue ParseAttributeValue(const JsonValue& json) {
  ValueParser p;
  AttributeValue v = p.Parse(json, 1);
  p.Finish();
  return v;
}

Item ParseItem(const JsonValue& json) {
  if (json.IsNull()) return {};
  ValueParser p;
  Item item = p.ParseMap(json, 1);
  p.Finish();
  return item;
}

namespace {

// The SerializationExceptions ValueParser throws, without building anything; stops where the
// parser stops (past kMaxNestingDepth), so it recurses at most one level deeper than the limit.
void CheckValueTypes(const JsonValue& j, int depth, std::string* scratch);

void CheckMapTypes(const JsonValue& j, int depth, std::string* scratch) {
  ExpectMap(j);
  for (const auto& m : j.GetObject()) CheckValueTypes(m.value, depth, scratch);
}

void CheckValueTypes(const JsonValue& j, int depth, std::string* scratch) {
  if (j.IsNull()) return;
  if (!j.IsObject()) {
    if (j.IsArray()) ThrowWrongContainer(j);
    ThrowSerialization("Expected null");
  }
  if (depth > kMaxNestingDepth) return;
  for (const auto& m : j.GetObject()) {
    if (m.value.IsNull()) continue;
    ValueType t;
    if (!LookupType({m.name.GetString(), m.name.GetStringLength()}, &t)) continue;
    const JsonValue& v = m.value;
    switch (t) {
      case ValueType::kS:
      case ValueType::kN:
        ExpectString(v, "an String");
        break;
      case ValueType::kB:
        DecodeBlob(ExpectString(v, "a Blob"), scratch);
        break;
      case ValueType::kBool:
      case ValueType::kNull:
        ExpectBoolean(v);
        break;
      case ValueType::kM:
        CheckMapTypes(v, depth + 1, scratch);
        break;
      case ValueType::kL:
        ExpectList(v);
        for (const JsonValue& e : v.GetArray()) CheckValueTypes(e, depth + 1, scratch);
        break;
      case ValueType::kSS:
      case ValueType::kNS:
        ExpectList(v);
        for (const JsonValue& e : v.GetArray()) ExpectString(e, "an String");
        break;
      case ValueType::kBS:
        ExpectList(v);
        for (const JsonValue& e : v.GetArray()) DecodeBlob(ExpectString(e, "a Blob"), scratch);
        break;
    }
  }
}

}  // namespace

namespace coral {
std::string_view ExpectString(const JsonValue& j) {
  return ::cruddur::ddb::ExpectString(j, "an String");
}
bool ExpectBoolean(const JsonValue& j) { return ::cruddur::ddb::ExpectBoolean(j); }
void ExpectList(const JsonValue& j) { ::cruddur::ddb::ExpectList(j); }
void ExpectMap(const JsonValue& j) { ::cruddur::ddb::ExpectMap(j); }
void ExpectStructure(const JsonValue& j) {
  if (j.IsObject()) return;
  if (j.IsArray()) ThrowWrongContainer(j);
  ThrowSerialization("Expected null");
}
void ThrowWrongContainer(const JsonValue& j) { ::cruddur::ddb::ThrowWrongContainer(j); }
}  // namespace coral

void CheckAttributeValueTypes(const JsonValue& json) {
  std::string scratch;  // no heap unless a B value is longer than the small-string buffer
  CheckValueTypes(json, 1, &scratch);
}

namespace {

// True when every value below `item` (at `depth`) stays within kMaxNestingDepth; stops at the
// first level past it, so it recurses at most one level deeper than the limit.
bool NestingWithin(const Item& item, int depth);

bool NestingWithin(const AttributeValue& v, int depth) {
  if (depth > kMaxNestingDepth) return false;
  if (v.type == ValueType::kM) return NestingWithin(v.map, depth + 1);
  if (v.type == ValueType::kL) {
    for (const AttributeValue& e : v.list) {
      if (!NestingWithin(e, depth + 1)) return false;
    }
  }
  return true;
}

bool NestingWithin(const Item& item, int depth) {
  for (const auto& [name, v] : item) {
    if (!NestingWithin(v, depth)) return false;
  }
  return true;
}

}  // namespace

void CheckItemNesting(const Item& item) {
  if (!NestingWithin(item, 1)) throw ApiError::Validation(kNesting);
}

namespace {

// Reaches the writer's protected parts: its separator logic and its output buffer. Names are
// taken through this derived class, the objects used are plain JsonWriters (legal access).
struct WriterAccess : JsonWriter {
  static void Separate(JsonWriter& w, rapidjson::Type type) { (w.*&WriterAccess::Prefix)(type); }
  static JsonBuffer& Out(JsonWriter& w) { return *(w.*&WriterAccess::os_); }
  static void Finish(JsonWriter& w) { (w.*&WriterAccess::EndValue)(true); }
  // The quoted string, without the separator logic: the caller did that.
  static void AppendString(JsonWriter& w, std::string_view s) {
    if (JsonNeedsEscape(s)) {
      (w.*&WriterAccess::WriteString)(s.data(), static_cast<rapidjson::SizeType>(s.size()));
      return;
    }
    char* p = Out(w).Push(s.size() + 2);
    p[0] = '"';
    if (!s.empty()) std::memcpy(p + 1, s.data(), s.size());
    p[s.size() + 1] = '"';
  }
};

void WriteString(JsonWriter& w, std::string_view s) { WriteJsonString(w, s); }

void WriteBase64(JsonWriter& w, std::string_view bytes, std::string* scratch) {
  scratch->clear();
  AppendBase64(bytes, scratch);
  WriteString(w, *scratch);
}

void WriteValue(JsonWriter& w, const AttributeValue& v, std::string* scratch);

void WriteMap(JsonWriter& w, const Item& item, std::string* scratch) {
  w.StartObject();
  for (const auto& [name, value] : item) {
    WriteJsonString(w, name);
    WriteValue(w, value, scratch);
  }
  w.EndObject();
}

void WriteValue(JsonWriter& w, const AttributeValue& v, std::string* scratch) {
  w.StartObject();
  WriteJsonString(w, TypeName(v.type));
  switch (v.type) {
    case ValueType::kS:
      WriteString(w, v.bytes);
      break;
    case ValueType::kN:
      WriteString(w, v.number.text());
      break;
    case ValueType::kB:
      WriteBase64(w, v.bytes, scratch);
      break;
    case ValueType::kBool:
      w.Bool(v.boolean);
      break;
    case ValueType::kNull:
      w.Bool(true);
      break;
    case ValueType::kM:
      WriteMap(w, v.map, scratch);
      break;
    case ValueType::kL:
      w.StartArray();
      for (const AttributeValue& e : v.list) WriteValue(w, e, scratch);
      w.EndArray();
      break;
    case ValueType::kSS:
      w.StartArray();
      for (const std::string& s : v.strings) WriteString(w, s);
      w.EndArray();
      break;
    case ValueType::kNS:
      w.StartArray();
      for (const Number& n : v.numbers) WriteString(w, n.text());
      w.EndArray();
      break;
    case ValueType::kBS:
      w.StartArray();
      for (const std::string& s : v.strings) WriteBase64(w, s, scratch);
      w.EndArray();
      break;
  }
  w.EndObject();
}

}  // namespace

void WriteJsonString(JsonWriter& w, std::string_view s) {
  WriterAccess::Separate(w, rapidjson::kStringType);
  WriterAccess::AppendString(w, s);
  WriterAccess::Finish(w);
}

JsonBuffer& BeginRawJsonValue(JsonWriter& w) {
  WriterAccess::Separate(w, rapidjson::kObjectType);
  return WriterAccess::Out(w);
}

void AppendJsonString(JsonWriter& w, std::string_view s) { WriterAccess::AppendString(w, s); }

void AppendJsonString(JsonWriter& w, const JsonAffix& before, std::string_view s,
                      const JsonAffix& after, size_t readable) {
  JsonBuffer& out = WriterAccess::Out(w);
  if (AppendPlainJsonString(out, before, s, after, readable)) return;
  // Rare: rapidjson's escaper.
  std::memcpy(out.Push(before.size), before.text, before.size);
  WriterAccess::AppendString(w, s);
  std::memcpy(out.Push(after.size), after.text, after.size);
}

void EndRawJsonValue(JsonWriter& w) { WriterAccess::Finish(w); }

void WriteAttributeValue(JsonWriter& w, const AttributeValue& v) {
  std::string scratch;
  WriteValue(w, v, &scratch);
}

void WriteItem(JsonWriter& w, const Item& item) {
  std::string scratch;
  WriteMap(w, item, &scratch);
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  AppendBase64(bytes, &out);
  return out;
}

bool Base64Decode(std::string_view text, std::string* out) {
  char bad = 0;
  return DecodeBase64(text, out, &bad) == B64Error::kNone;
}

}  // namespace cruddur::ddb
