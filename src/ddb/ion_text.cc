#include "ddb/ion_text.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdint>

#include "ddb/error.h"
#include "ddb/value_json.h"

namespace cruddur::ddb::ion {
namespace {

// ---- writing ----

void AppendString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out->append(fmt::format("\\x{:02x}", c));
        } else {
          out->push_back(static_cast<char>(c));  // UTF-8 passes through: Ion text is UTF-8
        }
    }
  }
  out->push_back('"');
}

bool IsKeyword(std::string_view s) {
  return s == "null" || s == "true" || s == "false" || s == "nan";
}

// A field name as a plain symbol when it is an identifier (not one starting with '$', which
// readers may take for a symbol id), else 'quoted'.
void AppendFieldName(std::string_view name, std::string* out) {
  bool plain = !name.empty() && !IsKeyword(name) &&
               (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (unsigned char c : name) plain = plain && (std::isalnum(c) || c == '_' || c == '$');
  if (plain) {
    out->append(name);
    return;
  }
  out->push_back('\'');
  for (unsigned char c : name) {
    if (c == '\'' || c == '\\') out->push_back('\\');
    if (c < 0x20) {
      out->append(fmt::format("\\x{:02x}", c));
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
  out->push_back('\'');
}

// A DynamoDB number as an Ion decimal: "103." for an integer, "1.5" as is, "1.5E+3" as "1.5d+3".
void AppendDecimal(const Number& n, std::string* out) {
  std::string text = n.text();
  if (auto e = text.find_first_of("eE"); e != std::string::npos) {
    text[e] = 'd';
  } else if (text.find('.') == std::string::npos) {
    text.push_back('.');
  }
  out->append(text);
}

void AppendBlob(std::string_view bytes, std::string* out) {
  out->append("{{");
  out->append(Base64Encode(bytes));
  out->append("}}");
}

void AppendValue(const AttributeValue& v, std::string* out);

void AppendStruct(const Item& item, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (const auto& [name, value] : item) {
    if (!first) out->push_back(',');
    first = false;
    AppendFieldName(name, out);
    out->push_back(':');
    AppendValue(value, out);
  }
  out->push_back('}');
}

template <typename T, typename F>
void AppendList(std::string_view annotation, const std::vector<T>& elements, F append,
                std::string* out) {
  out->append(annotation);
  out->push_back('[');
  for (size_t i = 0; i < elements.size(); ++i) {
    if (i) out->push_back(',');
    append(elements[i], out);
  }
  out->push_back(']');
}

void AppendValue(const AttributeValue& v, std::string* out) {
  switch (v.type) {
    case ValueType::kS:
      AppendString(v.bytes, out);
      break;
    case ValueType::kN:
      AppendDecimal(v.number, out);
      break;
    case ValueType::kB:
      AppendBlob(v.bytes, out);
      break;
    case ValueType::kBool:
      out->append(v.boolean ? "true" : "false");
      break;
    case ValueType::kNull:
      out->append("null");
      break;
    case ValueType::kM:
      AppendStruct(v.map, out);
      break;
    case ValueType::kL:
      AppendList("", v.list, AppendValue, out);
      break;
    case ValueType::kSS:
      AppendList("$dynamodb_SS::", v.strings, AppendString, out);
      break;
    case ValueType::kNS:
      AppendList("$dynamodb_NS::", v.numbers, AppendDecimal, out);
      break;
    case ValueType::kBS:
      AppendList("$dynamodb_BS::", v.strings, AppendBlob, out);
      break;
  }
}

// ---- reading ----

constexpr int kMaxDepth = kMaxNestingDepth + 2;  // the item's own {Item:{...}} adds two levels

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool IsIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}
bool IsIdentPart(char c) { return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

class Reader {
 public:
  explicit Reader(std::string_view text) : s_(text) {}

  void Run(const std::function<void(Item)>& on_item,
           const std::function<void(const std::string&)>& on_error) {
    for (SkipSpace(); pos_ < s_.size(); SkipSpace()) {
      if (s_[pos_] == '[') {  // a top-level list of items (the import documentation's example)
        ++pos_;
        for (SkipSpace(); Peek() != ']'; SkipSpace()) {
          TopValue(on_item, on_error);
          SkipSpace();
          if (Peek() == ',') ++pos_;
        }
        ++pos_;
        continue;
      }
      TopValue(on_item, on_error);
    }
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    size_t line = 1;
    for (size_t i = 0; i < pos_ && i < s_.size(); ++i) line += s_[i] == '\n';
    throw IonError(fmt::format("Ion text, line {}: {}", line, what));
  }
  char Peek() const {
    if (pos_ >= s_.size()) Fail("unexpected end of text");
    return s_[pos_];
  }
  void Expect(char c) {
    if (Peek() != c) Fail(fmt::format("expected '{}'", c));
    ++pos_;
  }
  // After an element of a struct or list (`what`): its ',' (skipped), or the `close` that ends it
  // (left for the loop to see).
  void AfterElement(char close, std::string_view what) {
    SkipSpace();
    if (Peek() == ',') {
      ++pos_;
    } else if (Peek() != close) {
      Fail(fmt::format("expected ',' or '{}' in a {}", close, what));
    }
  }

  void SkipSpace() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
        ++pos_;
      } else if (s_.substr(pos_, 2) == "//") {
        while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
      } else if (s_.substr(pos_, 2) == "/*") {
        size_t end = s_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) Fail("unterminated comment");
        pos_ = end + 2;
      } else {
        return;
      }
    }
  }

  // A top-level value: the version marker (skipped), or an item struct.
  void TopValue(const std::function<void(Item)>& on_item,
                const std::function<void(const std::string&)>& on_error) {
    size_t start = pos_;
    if (IsIdentStart(Peek())) {
      std::string symbol = Identifier();
      if (symbol.starts_with("$ion_")) return;  // the version marker
      pos_ = start;
    }
    AttributeValue v = Value(0);
    if (v.type != ValueType::kM || v.map.size() != 1 || !v.map.contains("Item") ||
        v.map["Item"].type != ValueType::kM) {
      on_error("a top-level value is not an {Item:{...}} struct");
      return;
    }
    on_item(std::move(v.map["Item"].map));
  }

  std::string Identifier() {
    size_t start = pos_;
    while (pos_ < s_.size() && IsIdentPart(s_[pos_])) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }

  uint32_t Hex(size_t digits) {
    if (pos_ + digits > s_.size()) Fail("truncated escape");
    uint32_t v = 0;
    for (size_t i = 0; i < digits; ++i) {
      char c = s_[pos_++];
      if (!std::isxdigit(static_cast<unsigned char>(c))) Fail("bad hex digit in an escape");
      v = v * 16 + static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(c))
                                             ? c - '0'
                                             : std::tolower(c) - 'a' + 10);
    }
    return v;
  }

  void Escape(std::string* out) {
    char c = Peek();
    ++pos_;
    switch (c) {
      case 'n':
        out->push_back('\n');
        return;
      case 't':
        out->push_back('\t');
        return;
      case 'r':
        out->push_back('\r');
        return;
      case '0':
        out->push_back('\0');
        return;
      case 'a':
        out->push_back('\a');
        return;
      case 'b':
        out->push_back('\b');
        return;
      case 'f':
        out->push_back('\f');
        return;
      case 'v':
        out->push_back('\v');
        return;
      case '"':
      case '\'':
      case '\\':
      case '/':
      case '?':
        out->push_back(c);
        return;
      case '\n':
        return;  // a line continuation
      case 'x':
        AppendUtf8(Hex(2), out);
        return;
      case 'U':
        AppendUtf8(Hex(8), out);
        return;
      case 'u': {
        uint32_t cp = Hex(4);
        if (cp >= 0xD800 && cp < 0xDC00 && s_.substr(pos_, 2) == "\\u") {
          pos_ += 2;
          uint32_t low = Hex(4);
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        AppendUtf8(cp, out);
        return;
      }
      default:
        Fail(fmt::format("unknown escape '\\{}'", c));
    }
  }

  // Text up to `quote` (one character), with escapes.
  std::string Quoted(char quote) {
    std::string out;
    for (;;) {
      char c = Peek();
      ++pos_;
      if (c == quote) return out;
      if (c == '\\') {
        Escape(&out);
      } else {
        out.push_back(c);
      }
    }
  }

  // One or more '''long strings''', concatenated.
  std::string LongStrings() {
    std::string out;
    while (s_.substr(pos_, 3) == "'''") {
      pos_ += 3;
      for (;;) {
        if (pos_ >= s_.size()) Fail("unterminated long string");
        if (s_.substr(pos_, 3) == "'''") {
          pos_ += 3;
          break;
        }
        char c = s_[pos_++];
        if (c == '\\') {
          Escape(&out);
        } else {
          out.push_back(c);
        }
      }
      SkipSpace();
    }
    return out;
  }

  std::string FieldName() {
    char c = Peek();
    if (s_.substr(pos_, 3) == "'''") return LongStrings();
    if (c == '"' || c == '\'') {
      ++pos_;
      return Quoted(c);
    }
    if (IsIdentStart(c)) return Identifier();
    Fail("expected a field name");
  }

  AttributeValue Struct(int depth) {
    Expect('{');
    Item map;
    for (SkipSpace(); Peek() != '}'; SkipSpace()) {
      std::string name = FieldName();
      SkipSpace();
      Expect(':');
      SkipSpace();
      map[std::move(name)] = Value(depth + 1);
      AfterElement('}', "struct");
    }
    ++pos_;
    return AttributeValue::M(std::move(map));
  }

  List ListOf(int depth) {
    Expect('[');
    List list;
    for (SkipSpace(); Peek() != ']'; SkipSpace()) {
      list.push_back(Value(depth + 1));
      AfterElement(']', "list");
    }
    ++pos_;
    return list;
  }

  // {{base64}} (a blob) or {{"text"}} (a clob): both become binary.
  AttributeValue Lob() {
    pos_ += 2;
    SkipSpace();
    std::string bytes;
    if (Peek() == '"' || s_.substr(pos_, 3) == "'''") {
      bytes = Peek() == '"' ? (++pos_, Quoted('"')) : LongStrings();
    } else {
      std::string b64;
      while (Peek() != '}') {
        char c = s_[pos_++];
        if (!std::isspace(static_cast<unsigned char>(c))) b64.push_back(c);
      }
      if (!Base64Decode(b64, &bytes)) Fail("bad base64 in a blob");
    }
    SkipSpace();
    if (s_.substr(pos_, 2) != "}}") Fail("expected '}}' after a blob");
    pos_ += 2;
    return AttributeValue::B(std::move(bytes));
  }

  AttributeValue NumberValue() {
    size_t start = pos_;
    while (pos_ < s_.size() &&
           (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.' ||
            s_[pos_] == '_' || s_[pos_] == '+' || s_[pos_] == '-')) {
      ++pos_;
    }
    std::string text;
    for (char c : s_.substr(start, pos_ - start)) {
      if (c != '_') text.push_back(c);
    }
    bool negative = text.starts_with('-');
    std::string_view body = std::string_view(text).substr(negative ? 1 : 0);
    if (body.starts_with("0x") || body.starts_with("0X")) {
      uint64_t v = 0;
      for (char c : body.substr(2)) {
        if (!std::isxdigit(static_cast<unsigned char>(c)) || v >> 60) Fail("bad hex int " + text);
        v = v * 16 + static_cast<uint64_t>(std::isdigit(static_cast<unsigned char>(c))
                                               ? c - '0'
                                               : std::tolower(c) - 'a' + 10);
      }
      text = (negative ? "-" : "") + std::to_string(v);
    } else if (body.starts_with("0b") || body.starts_with("0B")) {
      Fail("binary ints are not read: " + text);
    }
    if (auto d = text.find_first_of("dD"); d != std::string::npos) text[d] = 'e';
    if (text.ends_with('.')) text.pop_back();  // "103." is the decimal 103
    if (text == "inf" || text == "+inf" || text == "-inf" || text.empty()) {
      Fail("not a DynamoDB number: " + text);
    }
    try {
      return AttributeValue::N(Number::Parse(text));
    } catch (const ApiError& e) {
      Fail(fmt::format("not a DynamoDB number: {} ({})", text, e.message()));
    }
  }

  // A set from a list annotated $dynamodb_SS/NS/BS.
  AttributeValue Set(std::string_view annotation, List elements) {
    ValueType want = annotation == "$dynamodb_SS"   ? ValueType::kS
                     : annotation == "$dynamodb_NS" ? ValueType::kN
                                                    : ValueType::kB;
    std::vector<std::string> strings;
    std::vector<Number> numbers;
    for (auto& e : elements) {
      if (e.type != want) Fail(fmt::format("a {} holds a {}", annotation, TypeName(e.type)));
      if (want == ValueType::kN) {
        numbers.push_back(e.number);
      } else {
        strings.push_back(std::move(e.bytes));
      }
    }
    if (elements.empty()) Fail(fmt::format("an empty {}", annotation));
    if (want == ValueType::kN) return AttributeValue::NS(std::move(numbers));
    return want == ValueType::kS ? AttributeValue::SS(std::move(strings))
                                 : AttributeValue::BS(std::move(strings));
  }

  AttributeValue Value(int depth) {
    if (depth > kMaxDepth) Fail("values nested too deeply");
    SkipSpace();
    // Annotations: the last one that names a DynamoDB set type counts; others are ignored.
    std::string set_annotation;
    for (;;) {
      size_t start = pos_;
      std::string symbol;
      if (IsIdentStart(Peek())) {
        symbol = Identifier();
      } else if (Peek() == '\'' && s_.substr(pos_, 3) != "'''") {
        ++pos_;
        symbol = Quoted('\'');
      } else {
        break;
      }
      SkipSpace();
      if (s_.substr(pos_, 2) != "::") {
        pos_ = start;
        break;
      }
      pos_ += 2;
      SkipSpace();
      if (symbol == "$dynamodb_SS" || symbol == "$dynamodb_NS" || symbol == "$dynamodb_BS") {
        set_annotation = symbol;
      }
    }
    char c = Peek();
    if (!set_annotation.empty()) {
      if (c != '[') Fail(set_annotation + " must annotate a list");
      return Set(set_annotation, ListOf(depth));
    }
    if (s_.substr(pos_, 2) == "{{") return Lob();
    if (c == '{') return Struct(depth);
    if (c == '[') return AttributeValue::L(ListOf(depth));
    if (c == '(') Fail("S-expressions have no DynamoDB type");
    if (c == '"') {
      ++pos_;
      return AttributeValue::S(Quoted('"'));
    }
    if (s_.substr(pos_, 3) == "'''") return AttributeValue::S(LongStrings());
    if (c == '\'') {  // a quoted symbol as a value: read as a string
      ++pos_;
      return AttributeValue::S(Quoted('\''));
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+') {
      return NumberValue();
    }
    if (IsIdentStart(c)) {
      std::string word = Identifier();
      if (word == "true" || word == "false") return AttributeValue::Bool(word == "true");
      if (word == "null") {
        if (pos_ < s_.size() && s_[pos_] == '.') {  // a typed null (null.string, ...)
          ++pos_;
          Identifier();
        }
        return AttributeValue::Null();
      }
      if (word == "nan") Fail("nan is not a DynamoDB number");
      return AttributeValue::S(std::move(word));  // a symbol value: read as a string
    }
    Fail(fmt::format("unexpected character '{}'", c));
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::string ItemLine(const Item& item) {
  std::string out = "$ion_1_0 {Item:";
  AppendStruct(item, &out);
  out.push_back('}');
  return out;
}

void ReadItems(std::string_view text, const std::function<void(Item)>& on_item,
               const std::function<void(const std::string&)>& on_error) {
  Reader(text).Run(on_item, on_error);
}

}  // namespace cruddur::ddb::ion
