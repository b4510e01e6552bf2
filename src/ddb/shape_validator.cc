#include "ddb/shape_validator.h"

#include <fmt/format.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "ddb/error.h"
#include "ddb/request.h"
#include "ddb/value_json.h"

namespace cruddur::ddb {
namespace shapes {

enum class Kind : uint8_t {
  kStructure,
  kList,
  kMap,
  kString,
  kInteger,
  kLong,
  kBoolean,
  kBlob,
  kDouble,
  kTimestamp,
  kAttributeValue,  // checked by ddb/value_json
};
// kTableNameOrArn: a table's name or ARN where an existing table is named; an ARN (issue 16) and
// the empty string (refused by its length alone, as DynamoDB does) are not held to the pattern.
// kAccountId, kClientToken and kCsvDelimiter: the model's [0-9]{12}, ^[^\$]+$ and [,;:|\t ].
enum class Pattern : uint8_t {
  kNone,
  kTableName,
  kTableNameOrArn,
  kAccountId,
  kClientToken,
  kCsvDelimiter
};
enum MemberFlags : uint8_t {
  kRequired = 1,  // "Value null at 'x' failed to satisfy constraint: Member must not be null"
  kParameterRequired = 2,  // "The parameter 'X' is required but was not present in the request"
  kCoral = 4,              // a legacy parameter, read with the older deserializer's messages
};
constexpr int64_t kNoMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kNoMax = std::numeric_limits<int64_t>::max();
constexpr uint16_t kNoShape = std::numeric_limits<uint16_t>::max();

// A structure's members are kMembers[first, first + count); a string enum's values are
// kEnumValues[first, first + count); a list's element shape is `value`, a map's are key/value.
struct Shape {
  std::string_view name;
  Kind kind;
  Pattern pattern;
  uint16_t first;
  uint16_t count;
  uint16_t key;
  uint16_t value;
  int64_t min;
  int64_t max;
  uint64_t required;  // a structure's required members, bit i for kMembers[first + i]
};
struct Member {
  std::string_view name;   // as sent: "TableName"
  std::string_view field;  // as DynamoDB names it in messages: "tableName"
  uint16_t shape;
  uint8_t flags;
};
struct OperationShape {
  std::string_view name;
  uint16_t input;
};

#include "ddb/shapes/dynamodb_shapes.inc"

}  // namespace shapes

namespace {

using shapes::Kind;
using shapes::kMembers;
using shapes::kShapes;
using shapes::Member;
using shapes::Shape;

// DynamoDB stops collecting after ten violations (dynalite, which mirrors DynamoDB's answers,
// caps its list the same way).
constexpr size_t kMaxViolations = 10;

// The generated kMemberKeys entry of a member called `name`.
[[gnu::always_inline]] inline uint32_t NameKey(std::string_view name) {
  const size_t n = name.size();
  if (n == 0) return 0;
  return static_cast<uint32_t>(n & 0xFF) << 24 |
         static_cast<uint32_t>(static_cast<unsigned char>(name[0])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(name[n / 2])) << 8 |
         static_cast<unsigned char>(name[n - 1]);
}

// Member and operation names are short: compared inline, without a call to memcmp.
[[gnu::always_inline]] inline bool SameName(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  auto load8 = [](const char* p) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    return x;
  };
  auto load4 = [](const char* p) {
    uint32_t x;
    std::memcpy(&x, p, 4);
    return x;
  };
  if (n >= 8) {  // whole words, the last one overlapping
    for (size_t i = 0; i + 8 < n; i += 8) {
      if (load8(a.data() + i) != load8(b.data() + i)) return false;
    }
    return load8(a.data() + n - 8) == load8(b.data() + n - 8);
  }
  if (n >= 4) {
    return load4(a.data()) == load4(b.data()) && load4(a.data() + n - 4) == load4(b.data() + n - 4);
  }
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

const shapes::OperationShape* FindOperation(std::string_view operation) {
  for (const auto& op : shapes::kOperations) {
    if (SameName(op.name, operation)) return &op;
  }
  return nullptr;
}

// ---- the violations, collected in DynamoDB's order and words (only for a suspect request) ----

// Where a value sits, as DynamoDB names it: "transactItems.1.member.put.tableName",
// "requestItems.tbl.member.keys", "keyConditions.a.member.comparisonOperator". Built on the stack
// and only spelled out when a violation needs it.
struct Path {
  const Path* parent = nullptr;
  std::string_view segment;  // a member's field, or a map key (then followed by ".member")
  size_t index = 0;          // a list element's 1-based index (then followed by ".member")
  bool map_value = false;
};

void AppendPath(const Path& p, std::string& out) {
  if (p.parent) {
    AppendPath(*p.parent, out);
    if (p.segment.empty() && p.index == 0) return;  // a list element inside a map value
    out += '.';
  }
  if (p.index) {
    out += std::to_string(p.index);
    out += ".member";
  } else {
    out += p.segment;
    if (p.map_value) out += ".member";
  }
}

// FNV-1a over the strings and structure of `v`, down to a bounded depth (the document may nest
// far deeper than attribute values are allowed to).
void HashJson(const JsonValue& v, int depth, uint32_t* h) {
  auto mix = [h](std::string_view bytes) {
    for (unsigned char c : bytes) *h = (*h ^ c) * 16777619u;
  };
  if (depth > kMaxNestingDepth) return;
  if (v.IsString()) {
    mix(View(v));
  } else if (v.IsObject()) {
    mix("{");
    for (const auto& m : v.GetObject()) {
      mix(View(m.name));
      HashJson(m.value, depth + 1, h);
    }
  } else if (v.IsArray()) {
    mix("[");
    for (const JsonValue& e : v.GetArray()) HashJson(e, depth + 1, h);
  } else if (v.IsBool()) {
    mix(v.GetBool() ? "t" : "f");
  }
}

// Values as DynamoDB prints them (Java's toString of its request objects): strings bare, lists
// "[a, b]", maps "{k=v}", structures "WriteRequest(putRequest=..., deleteRequest=null)".
void AppendValue(const JsonValue& v, const Shape& shape, std::string& out) {
  if (v.IsNull()) {
    out += "null";
    return;
  }
  switch (shape.kind) {
    case Kind::kList:
      out += '[';
      for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
        if (i) out += ", ";
        AppendValue(v[i], kShapes[shape.value], out);
      }
      out += ']';
      return;
    case Kind::kMap: {
      out += '{';
      bool first = true;
      for (const auto& m : v.GetObject()) {
        if (!first) out += ", ";
        first = false;
        out += View(m.name);
        out += '=';
        AppendValue(m.value, kShapes[shape.value], out);
      }
      out += '}';
      return;
    }
    case Kind::kStructure:
      out += shape.name;
      out += '(';
      for (uint16_t i = shape.first; i < shape.first + shape.count; ++i) {
        if (i != shape.first) out += ", ";
        out += kMembers[i].field;
        out += '=';
        const JsonValue* m = MemberValue(v, kMembers[i].name);
        if (m) {
          AppendValue(*m, kShapes[kMembers[i].shape], out);
        } else {
          out += "null";
        }
      }
      out += ')';
      return;
    case Kind::kAttributeValue: {
      // Java's default toString: the class and an identity hash (any stable hash will do).
      uint32_t h = 2166136261u;
      HashJson(v, 0, &h);
      out += fmt::format("com.amazonaws.dynamodb.v20120810.AttributeValue@{:x}", h);
      return;
    }
    default:
      break;
  }
  if (v.IsString()) {
    out += View(v);
  } else if (v.IsBool()) {
    out += v.GetBool() ? "true" : "false";
  } else if (v.IsInt64()) {
    out += std::to_string(v.GetInt64());
  } else if (v.IsNumber()) {
    out += fmt::format("{}", v.GetDouble());
  }
}

// Java's String.matches: the whole string matches the pattern.
bool MatchesPattern(shapes::Pattern pattern, std::string_view s) {
  switch (pattern) {
    case shapes::Pattern::kNone:
      return true;
    case shapes::Pattern::kTableNameOrArn:
      if (s.empty() || s.starts_with("arn:")) return true;
      [[fallthrough]];
    case shapes::Pattern::kTableName:
      return IsTableNameText(s);
    case shapes::Pattern::kAccountId:
      return s.size() == 12 && s.find_first_not_of("0123456789") == std::string_view::npos;
    case shapes::Pattern::kClientToken:
      return !s.empty() && s.find('$') == std::string_view::npos;
    case shapes::Pattern::kCsvDelimiter:
      return s.size() == 1 && std::string_view(",;:|\t ").find(s[0]) != std::string_view::npos;
  }
  return true;
}

// The pattern as DynamoDB prints it: the model's text.
std::string_view PatternText(shapes::Pattern pattern) {
  switch (pattern) {
    case shapes::Pattern::kNone:
      return "";
    case shapes::Pattern::kAccountId:
      return "[0-9]{12}";
    case shapes::Pattern::kClientToken:
      return "^[^\\$]+$";
    case shapes::Pattern::kCsvDelimiter:
      return "[,;:|\\t ]";
    default:
      return "[a-zA-Z0-9_.-]+";
  }
}

class Collector {
 public:
  void Check(const JsonValue* v, const Shape& shape, const Path& path, bool required) {
    if (Full()) return;
    if (!v || v->IsNull()) {
      if (required) Add(nullptr, shape, path, "Member must not be null");
      return;
    }
    switch (shape.kind) {
      case Kind::kString:
        CheckString(*v, shape, path);
        return;
      case Kind::kInteger:
      case Kind::kLong: {
        const int64_t n = Request::IntegerOf(*v);
        if (n < shape.min) {
          Add(v, shape, path,
              fmt::format("Member must have value greater than or equal to {}", shape.min));
        } else if (n > shape.max) {
          Add(v, shape, path,
              fmt::format("Member must have value less than or equal to {}", shape.max));
        }
        return;
      }
      case Kind::kList:
        CheckSize(*v, v->Size(), shape, path);
        for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
          // A list that is a map's value names its elements by the map key alone
          // ("requestItems.tbl.member.putRequest.item").
          Path element{&path, {}, path.map_value ? 0 : i + 1};
          Check(&(*v)[i], kShapes[shape.value], element, false);
        }
        return;
      case Kind::kMap:
        CheckMap(*v, shape, path);
        return;
      case Kind::kStructure:
        for (uint16_t i = shape.first; i < shape.first + shape.count; ++i) {
          const Member& m = kMembers[i];
          Path member{&path, m.field};
          Check(MemberValue(*v, m.name), kShapes[m.shape], member, m.flags & shapes::kRequired);
        }
        return;
      default:
        return;
    }
  }

  void ThrowIfAny() const { errors_.ThrowIfAny(); }

 private:
  bool Full() const { return count_ >= kMaxViolations; }

  void Add(const JsonValue* v, const Shape& shape, const Path& path, std::string_view rule) {
    if (Full()) return;
    std::string text = "Value ";
    if (v) {
      text += '\'';
      AppendValue(*v, shape, text);
      text += '\'';
    } else {
      text += "null";
    }
    text += " at '";
    AppendPath(path, text);
    text += "' failed to satisfy constraint: ";
    text += rule;
    errors_.Add(std::move(text));
    ++count_;
  }

  // The violations of a string, in DynamoDB's order: pattern, then length (dynalite's record of
  // DynamoDB's answer for TableName ''), then the enum.
  void CheckString(const JsonValue& v, const Shape& shape, const Path& path) {
    const std::string_view s = View(v);
    if (!MatchesPattern(shape.pattern, s)) {
      Add(&v, shape, path,
          fmt::format("Member must satisfy regular expression pattern: {}",
                      PatternText(shape.pattern)));
    }
    if (shape.min != shapes::kNoMin || shape.max != shapes::kNoMax) {
      CheckSize(v, Utf16Length(s), shape, path);
    }
    if (shape.count == 0) return;
    for (uint16_t i = shape.first; i < shape.first + shape.count; ++i) {
      if (shapes::kEnumValues[i] == s) return;
    }
    std::string set;
    for (uint16_t i = shape.first; i < shape.first + shape.count; ++i) {
      if (i != shape.first) set += ", ";
      set += shapes::kEnumValues[i];
    }
    Add(&v, shape, path, fmt::format("Member must satisfy enum value set: [{}]", set));
  }

  void CheckSize(const JsonValue& v, int64_t size, const Shape& shape, const Path& path) {
    if (size < shape.min) {
      Add(&v, shape, path,
          fmt::format("Member must have length greater than or equal to {}", shape.min));
    } else if (size > shape.max) {
      Add(&v, shape, path,
          fmt::format("Member must have length less than or equal to {}", shape.max));
    }
  }

  static bool ValueSizeFits(const JsonValue& v, const Shape& shape) {
    int64_t size = 0;
    if (shape.kind == Kind::kList && v.IsArray()) size = v.Size();
    if (shape.kind == Kind::kString && v.IsString()) size = Utf16Length(View(v));
    return size >= shape.min && size <= shape.max;
  }

  void CheckMap(const JsonValue& v, const Shape& shape, const Path& path) {
    CheckSize(v, v.MemberCount(), shape, path);
    const Shape& key = kShapes[shape.key];
    const Shape& value = kShapes[shape.value];
    const bool value_sized = (value.kind == Kind::kList || value.kind == Kind::kString) &&
                             (value.min != shapes::kNoMin || value.max != shapes::kNoMax);
    bool value_reported = false;
    for (const auto& m : v.GetObject()) {
      if (key.pattern != shapes::Pattern::kNone || key.min != shapes::kNoMin ||
          key.max != shapes::kNoMax || key.count != 0) {
        // A map key is named "<map>.member.key".
        Path key_path{&path, "member.key"};
        CheckString(m.name, key, key_path);
      }
      // A map value's own size is reported on the map, with every bound of the value's shape:
      // "Value '{t=[...]}' at 'requestItems' failed to satisfy constraint: Map value must
      // satisfy constraint: [Member must have length less than or equal to 25, Member must have
      // length greater than or equal to 1]" (a BatchWriteItem of 26 puts, risingwave#17572).
      if (value_sized && !value_reported && !m.value.IsNull() && !ValueSizeFits(m.value, value)) {
        value_reported = true;
        std::string rules;
        if (value.max != shapes::kNoMax) {
          rules += fmt::format("Member must have length less than or equal to {}", value.max);
        }
        if (value.min != shapes::kNoMin) {
          if (!rules.empty()) rules += ", ";
          rules += fmt::format("Member must have length greater than or equal to {}", value.min);
        }
        Add(&v, shape, path, fmt::format("Map value must satisfy constraint: [{}]", rules));
      }
      Path value_path{&path, View(m.name), 0, true};
      if (value_sized) {
        // The bounds were reported above; the elements are still checked.
        if (!m.value.IsArray()) continue;
        for (const JsonValue& e : m.value.GetArray()) {
          Path element{&value_path};
          Check(&e, kShapes[value.value], element, false);
        }
        continue;
      }
      Check(&m.value, value, value_path, false);
    }
  }

  ConstraintErrors errors_;
  size_t count_ = 0;
};

// ---- the one walk every request gets: JSON types, and whether anything may be violated ----

[[gnu::always_inline]] inline bool StringFits(std::string_view s, const Shape& shape) {
  if (!MatchesPattern(shape.pattern, s)) return false;
  // A UTF-16 length is at least a third of the UTF-8 one and at most all of it (all of it when
  // the pattern allowed ASCII only): count only when the byte length leaves doubt.
  const auto bytes = static_cast<int64_t>(s.size());
  if (shape.pattern != shapes::Pattern::kNone) {  // ASCII only, or an ARN counted in bytes
    if (bytes < shape.min || bytes > shape.max) return false;
  } else if (bytes > shape.max || (shape.min != shapes::kNoMin && bytes < 3 * shape.min)) {
    const int64_t n = Utf16Length(s);
    if (n < shape.min || n > shape.max) return false;
  }
  if (shape.count == 0) return true;
  for (uint16_t i = shape.first; i < shape.first + shape.count; ++i) {
    if (shapes::kEnumValues[i] == s) return true;
  }
  return false;
}

bool SizeFits(int64_t size, const Shape& shape) { return size >= shape.min && size <= shape.max; }

bool Walk(const JsonValue& v, const Shape& shape, bool coral);

// The leaves (and attribute values) of a walk, inline in their container's loop.
[[gnu::always_inline]] inline bool WalkValue(const JsonValue& v, const Shape& shape, bool coral) {
  switch (shape.kind) {
    case Kind::kAttributeValue:
      CheckAttributeValueTypes(v);
      return false;
    case Kind::kString:
    case Kind::kBlob:
      if (coral) {
        coral::ExpectString(v);
      } else {
        ExpectJsonString(v);
      }
      return shape.kind == Kind::kString && !StringFits(View(v), shape);
    case Kind::kInteger:
    case Kind::kLong:
      ExpectJsonInteger(v);
      if (v.IsInt64()) return !SizeFits(v.GetInt64(), shape);
      return true;  // a fraction or a huge number: let the collector look
    case Kind::kBoolean:
      if (coral) {
        coral::ExpectBoolean(v);
      } else {
        ExpectJsonBool(v);
      }
      return false;
    case Kind::kDouble:
    case Kind::kTimestamp:
      return false;  // no operation cruddur serves reads one
    default:
      return Walk(v, shape, coral);
  }
}

// Throws the SerializationException for the first member (in document order: the deserializer
// stops there) of the wrong JSON type, anywhere in `v`. Returns whether some constraint may be
// violated, so that a valid request is walked once and builds nothing.
bool Walk(const JsonValue& v, const Shape& shape, bool coral) {
  switch (shape.kind) {
    case Kind::kStructure: {
      if (coral) {
        coral::ExpectStructure(v);
      } else {
        ExpectJsonObject(v);
      }
      bool suspect = false;
      uint64_t seen = 0;
      for (const auto& m : v.GetObject()) {
        if (m.value.IsNull()) continue;
        const std::string_view name(m.name.GetString(), m.name.GetStringLength());
        const uint32_t key = NameKey(name);
        for (uint16_t i = shape.first; i < shape.first + shape.count; ++i) {
          if (shapes::kMemberKeys[i] != key || !SameName(kMembers[i].name, name)) continue;
          seen |= uint64_t{1} << (i - shape.first);
          suspect |= WalkValue(m.value, kShapes[kMembers[i].shape],
                               coral || (kMembers[i].flags & shapes::kCoral));
          break;
        }
      }
      if ((seen & shape.required) != shape.required) suspect = true;
      return suspect;
    }
    case Kind::kList: {
      if (coral) {
        coral::ExpectList(v);
      } else {
        ExpectJsonArray(v);
      }
      bool suspect = !SizeFits(v.Size(), shape);
      const Shape& element = kShapes[shape.value];
      for (const JsonValue& e : v.GetArray()) {
        if (!e.IsNull() || coral) suspect |= WalkValue(e, element, coral);
      }
      return suspect;
    }
    case Kind::kMap: {
      if (coral) {
        coral::ExpectMap(v);
      } else {
        ExpectJsonObject(v);
      }
      bool suspect = !SizeFits(v.MemberCount(), shape);
      const Shape& key = kShapes[shape.key];
      const Shape& value = kShapes[shape.value];
      for (const auto& m : v.GetObject()) {
        suspect |= !StringFits(View(m.name), key);
        if (!m.value.IsNull()) suspect |= WalkValue(m.value, value, coral);
      }
      return suspect;
    }
    default:
      return WalkValue(v, shape, coral);
  }
}

}  // namespace

bool HasShape(std::string_view operation) {
  const auto* op = FindOperation(operation);
  return op && op->input != shapes::kNoShape;
}

void ValidateShape(std::string_view operation, const JsonValue& request) {
  const auto* op = FindOperation(operation);
  if (!op || op->input == shapes::kNoShape) return;
  const Shape& input = kShapes[op->input];
  if (!Walk(request, input, false)) return;

  for (uint16_t i = input.first; i < input.first + input.count; ++i) {
    const Member& m = kMembers[i];
    if ((m.flags & shapes::kParameterRequired) && !MemberValue(request, m.name)) {
      ThrowRequired(m.name);
    }
  }

  Collector collector;
  for (uint16_t i = input.first; i < input.first + input.count; ++i) {
    const Member& m = kMembers[i];
    Path member{nullptr, m.field};
    collector.Check(MemberValue(request, m.name), kShapes[m.shape], member,
                    m.flags & shapes::kRequired);
  }
  collector.ThrowIfAny();
}

}  // namespace cruddur::ddb
