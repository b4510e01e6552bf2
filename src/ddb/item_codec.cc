#include "ddb/item_codec.h"

#include <cstdint>
#include <cstring>
#include <utility>

#include "ddb/value_json.h"

// Format (persisted: do not change without bumping kFormatVersion and keeping a reader).
//
//   item    := version(1 byte = 0x01) attrs
//   attrs   := varint(count) { varint(name length) name value }*
//   value   := tag(1 byte, ValueType) payload
//     S, B  := varint(length) bytes
//     N     := number
//     BOOL  := 0x00 | 0x01
//     NULL  := (nothing)
//     M     := attrs
//     L     := varint(count) value*
//     SS,BS := varint(count) { varint(length) bytes }*
//     NS    := varint(count) number*
//   number  := 0x02 (zero)
//            | sign(0x00 positive, 0x01 negative) exponent(1 byte, exponent()+129)
//              count(1 byte, 1..38) digits packed two per byte, high nibble first
//   varint  := unsigned LEB128

namespace cruddur::ddb {

namespace {

constexpr uint8_t kFormatVersion = 0x01;
constexpr uint8_t kNumberZero = 0x02;
constexpr int kExponentBias = 129;
// Deeper than DynamoDB allows (32), but bounded so garbage cannot exhaust the stack.
constexpr int kMaxDecodeDepth = 64;

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutBytes(std::string_view s, std::string* out) {
  PutVarint(s.size(), out);
  out->append(s);
}

void PutNumber(const Number& n, std::string* out) {
  if (n.is_zero()) {
    out->push_back(static_cast<char>(kNumberZero));
    return;
  }
  const std::string& d = n.digits();
  out->push_back(static_cast<char>(n.negative() ? 1 : 0));
  out->push_back(static_cast<char>(n.exponent() + kExponentBias));
  out->push_back(static_cast<char>(d.size()));
  for (size_t i = 0; i < d.size(); i += 2) {
    const int hi = d[i] - '0';
    const int lo = i + 1 < d.size() ? d[i + 1] - '0' : 0;
    out->push_back(static_cast<char>(hi << 4 | lo));
  }
}

void PutValue(const AttributeValue& v, std::string* out);

void PutAttrs(const Item& item, std::string* out) {
  PutVarint(item.size(), out);
  for (const auto& [name, value] : item) {
    PutBytes(name, out);
    PutValue(value, out);
  }
}

void PutValue(const AttributeValue& v, std::string* out) {
  out->push_back(static_cast<char>(v.type));
  switch (v.type) {
    case ValueType::kS:
    case ValueType::kB:
      PutBytes(v.bytes, out);
      break;
    case ValueType::kN:
      PutNumber(v.number, out);
      break;
    case ValueType::kBool:
      out->push_back(v.boolean ? 1 : 0);
      break;
    case ValueType::kNull:
      break;
    case ValueType::kM:
      PutAttrs(v.map, out);
      break;
    case ValueType::kL:
      PutVarint(v.list.size(), out);
      for (const AttributeValue& e : v.list) PutValue(e, out);
      break;
    case ValueType::kSS:
    case ValueType::kBS:
      PutVarint(v.strings.size(), out);
      for (const std::string& s : v.strings) PutBytes(s, out);
      break;
    case ValueType::kNS:
      PutVarint(v.numbers.size(), out);
      for (const Number& n : v.numbers) PutNumber(n, out);
      break;
  }
}

// A bounds-checked reader: every Get* returns false instead of reading past the end.
class Reader {
 public:
  explicit Reader(std::string_view data) : p_(data.data()), end_(data.data() + data.size()) {}

  bool done() const { return p_ == end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

  bool GetByte(uint8_t* b) {
    if (p_ == end_) return false;
    *b = static_cast<uint8_t>(*p_++);
    return true;
  }

  // Consumes the next byte when it is `b`.
  bool SkipByte(uint8_t b) {
    if (p_ == end_ || static_cast<uint8_t>(*p_) != b) return false;
    ++p_;
    return true;
  }

  bool GetVarint(uint64_t* v) {
    if (p_ != end_ && static_cast<uint8_t>(*p_) < 0x80) {  // most: one byte
      *v = static_cast<uint8_t>(*p_++);
      return true;
    }
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b;
      if (!GetByte(&b)) return false;
      result |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) {
        *v = result;
        return true;
      }
    }
    return false;
  }

  // A count of elements that each take at least one byte.
  bool GetCount(uint64_t* n) { return GetVarint(n) && *n <= remaining(); }

  // How many bytes of the data may be read from `p` (a position inside it) on.
  size_t ReadableFrom(const char* p) const { return static_cast<size_t>(end_ - p); }

  bool GetView(std::string_view* out) {
    uint64_t len;
    if (!GetVarint(&len) || len > remaining()) return false;
    *out = std::string_view(p_, static_cast<size_t>(len));
    p_ += len;
    return true;
  }

  bool GetBytes(std::string* out) {
    std::string_view v;
    if (!GetView(&v)) return false;
    out->assign(v);
    return true;
  }

  bool GetNumber(Number* out) {
    uint8_t sign;
    if (!GetByte(&sign)) return false;
    if (sign == kNumberZero) {
      *out = Number();
      return true;
    }
    uint8_t exp, count;
    if (sign > 1 || !GetByte(&exp) || !GetByte(&count)) return false;
    if (count < 1 || count > 38 || (count + 1u) / 2 > remaining()) return false;
    std::string digits;
    digits.reserve(count + 1u);
    for (unsigned i = 0; i < (count + 1u) / 2; ++i) {
      const auto b = static_cast<uint8_t>(*p_++);
      if ((b >> 4) > 9 || (b & 0xF) > 9) return false;
      digits.push_back(static_cast<char>('0' + (b >> 4)));
      digits.push_back(static_cast<char>('0' + (b & 0xF)));
    }
    if (digits.size() > count) {
      if (digits.back() != '0') return false;
      digits.pop_back();
    }
    if (digits.front() == '0' || digits.back() == '0') return false;  // canonical only
    *out = Number::FromParts(sign == 1, std::move(digits), static_cast<int>(exp) - kExponentBias);
    return true;
  }

  bool GetAttrs(Item* item, int depth) {
    uint64_t n;
    if (!GetCount(&n)) return false;
    for (uint64_t i = 0; i < n; ++i) {
      std::string name;
      AttributeValue v;
      if (!GetBytes(&name) || !GetValue(&v, depth)) return false;
      if (!item->emplace(std::move(name), std::move(v)).second) return false;  // duplicate name
    }
    return true;
  }

  bool GetValue(AttributeValue* v, int depth) {
    if (depth > kMaxDecodeDepth) return false;
    uint8_t tag;
    if (!GetByte(&tag) || tag > static_cast<uint8_t>(ValueType::kBS)) return false;
    v->type = static_cast<ValueType>(tag);
    uint64_t n;
    switch (v->type) {
      case ValueType::kS:
      case ValueType::kB:
        return GetBytes(&v->bytes);
      case ValueType::kN:
        return GetNumber(&v->number);
      case ValueType::kBool: {
        uint8_t b;
        if (!GetByte(&b) || b > 1) return false;
        v->boolean = b == 1;
        return true;
      }
      case ValueType::kNull:
        v->boolean = true;
        return true;
      case ValueType::kM:
        return GetAttrs(&v->map, depth + 1);
      case ValueType::kL:
        if (!GetCount(&n)) return false;
        v->list.resize(static_cast<size_t>(n));
        for (AttributeValue& e : v->list) {
          if (!GetValue(&e, depth + 1)) return false;
        }
        return true;
      case ValueType::kSS:
      case ValueType::kBS:
        if (!GetCount(&n)) return false;
        v->strings.resize(static_cast<size_t>(n));
        for (std::string& s : v->strings) {
          if (!GetBytes(&s)) return false;
        }
        return true;
      case ValueType::kNS:
        if (!GetCount(&n)) return false;
        v->numbers.resize(static_cast<size_t>(n));
        for (Number& x : v->numbers) {
          if (!GetNumber(&x)) return false;
        }
        return true;
    }
    return false;
  }

 private:
  const char* p_;
  const char* end_;
};

// Walks encoded attributes/values adding up their item size and, when `w` is set, writing them
// as DynamoDB JSON: the read path of GetItem, and of Query/Scan pages that need neither filter
// nor projection. The JSON text goes straight into the writer's buffer (one writer value per
// item), byte for byte what WriteItem writes for the decoded item.
class Walker {
 public:
  Walker(std::string_view data, JsonWriter* w) : r_(data), w_(w) {}

  bool Item(size_t* size) {
    uint8_t version;
    if (!r_.GetByte(&version) || version != kFormatVersion) return false;
    if (w_) out_ = &BeginRawJsonValue(*w_);
    const bool ok = Attrs(size, 1, nullptr) && r_.done();
    if (w_) EndRawJsonValue(*w_);
    return ok;
  }

 private:
  // The opening of each type's JSON object, indexed by ValueType, and its close.
  static constexpr JsonAffix kOpen[] = {R"({"S":)",    R"({"N":)", R"({"B":)", R"({"BOOL":)",
                                        R"({"NULL":)", R"({"M":)", R"({"L":)", R"({"SS":)",
                                        R"({"NS":)",   R"({"BS":)"};
  static constexpr JsonAffix kClose{"}"};

  void Put(char c) { out_->Put(c); }
  void Raw(std::string_view s) { std::memcpy(out_->Push(s.size()), s.data(), s.size()); }
  void Str(std::string_view s) { AppendJsonString(*w_, s); }
  // A name or S value between two pieces of raw text, inline unless it needs escapes.
  [[gnu::always_inline]] void Quoted(const JsonAffix& before, std::string_view s,
                                     const JsonAffix& after) {
    const size_t readable = r_.ReadableFrom(s.data());
    if (!AppendPlainJsonString(*out_, before, s, after, readable)) {
      AppendJsonString(*w_, before, s, after, readable);
    }
  }

  bool Attrs(size_t* size, int depth, uint64_t* count) {
    uint64_t n;
    if (!r_.GetCount(&n)) return false;
    if (count) *count = n;
    if (out_) Put('{');
    for (uint64_t i = 0; i < n; ++i) {
      std::string_view name;
      if (!r_.GetView(&name)) return false;
      *size += name.size();
      static constexpr JsonAffix kFirst(""), kNext(","), kColon(":");
      const JsonAffix& before = i ? kNext : kFirst;
      // An S value, the most common, is written with its name here; Value takes the others.
      if (depth <= kMaxDecodeDepth && r_.SkipByte(static_cast<uint8_t>(ValueType::kS))) {
        std::string_view v;
        if (!r_.GetView(&v)) return false;
        *size += v.size();
        if (out_ && !AppendPlainJsonSMember(*out_, before, name, r_.ReadableFrom(name.data()), v,
                                            r_.ReadableFrom(v.data()))) {
          Quoted(before, name, kColon);
          Quoted(kOpen[static_cast<uint8_t>(ValueType::kS)], v, kClose);
        }
        continue;
      }
      if (out_) Quoted(before, name, kColon);
      if (!Value(size, depth)) return false;
    }
    if (out_) Put('}');
    return true;
  }

  bool Number(size_t* size) {
    ddb::Number n;
    if (!r_.GetNumber(&n)) return false;
    *size += NumberStorageSize(n);
    if (out_) Str(n.text());
    return true;
  }

  bool Bytes(size_t* size, bool binary) {
    std::string_view v;
    if (!r_.GetView(&v)) return false;
    *size += v.size();
    if (out_) binary ? Str(Base64Encode(v)) : Str(v);
    return true;
  }

  // The elements of a list or set, comma-separated in brackets.
  template <typename Element>
  bool Elements(uint64_t n, Element element) {
    if (out_) Put('[');
    for (uint64_t i = 0; i < n; ++i) {
      if (out_ && i) Put(',');
      if (!element()) return false;
    }
    if (out_) Put(']');
    return true;
  }

  bool Value(size_t* size, int depth) {
    if (depth > kMaxDecodeDepth) return false;
    uint8_t tag;
    if (!r_.GetByte(&tag) || tag > static_cast<uint8_t>(ValueType::kBS)) return false;
    auto type = static_cast<ValueType>(tag);
    if (type == ValueType::kS) {  // the most common value: opening, string and close at once
      std::string_view v;
      if (!r_.GetView(&v)) return false;
      *size += v.size();
      if (out_) Quoted(kOpen[tag], v, kClose);
      return true;
    }
    if (out_) Raw({kOpen[tag].text, kOpen[tag].size});
    uint64_t n = 0;
    bool ok = true;
    switch (type) {
      case ValueType::kS:  // handled above
      case ValueType::kB:
        ok = Bytes(size, type == ValueType::kB);
        break;
      case ValueType::kN:
        ok = Number(size);
        break;
      case ValueType::kBool: {
        uint8_t b;
        ok = r_.GetByte(&b) && b <= 1;
        *size += 1;
        if (ok && out_) Raw(b == 1 ? "true" : "false");
        break;
      }
      case ValueType::kNull:
        *size += 1;
        if (out_) Raw("true");
        break;
      case ValueType::kM:
        ok = Attrs(size, depth + 1, &n);
        *size += 3 + n;
        break;
      case ValueType::kL:
        ok = r_.GetCount(&n);
        *size += 3 + n;
        ok = ok && Elements(n, [&] { return Value(size, depth + 1); });
        break;
      case ValueType::kSS:
      case ValueType::kBS:
      case ValueType::kNS:
        ok = r_.GetCount(&n) && Elements(n, [&] {
               return type == ValueType::kNS ? Number(size) : Bytes(size, type == ValueType::kBS);
             });
        break;
    }
    if (ok && out_) Put('}');
    return ok;
  }

  Reader r_;
  JsonWriter* w_;
  JsonBuffer* out_ = nullptr;  // w_'s buffer, while writing
};

}  // namespace

bool EncodedItemSize(std::string_view data, size_t* size) {
  *size = 0;
  return Walker(data, nullptr).Item(size);
}

bool WriteEncodedItem(std::string_view data, JsonWriter& w, size_t* size) {
  size_t ignored = 0;
  if (!size) size = &ignored;
  *size = 0;
  return Walker(data, &w).Item(size);
}

void EncodeItem(const Item& item, std::string* out) {
  out->push_back(static_cast<char>(kFormatVersion));
  PutAttrs(item, out);
}

std::string EncodeItem(const Item& item) {
  std::string out;
  // The encoding is close to DynamoDB's item size; reserving it avoids most reallocations.
  out.reserve(ItemSize(item) + 16 + 4 * item.size());
  EncodeItem(item, &out);
  return out;
}

bool DecodeItem(std::string_view data, Item* out) {
  Reader r(data);
  uint8_t version;
  if (!r.GetByte(&version) || version != kFormatVersion) return false;
  Item item;
  if (!r.GetAttrs(&item, 1) || !r.done()) return false;
  *out = std::move(item);
  return true;
}

}  // namespace cruddur::ddb
