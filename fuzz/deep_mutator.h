// A structure-aware libFuzzer mutator shared by the fuzz targets: it produces what byte-level
// mutation almost never does, namely deep nesting (thousands of parentheses, NOT, nested
// function calls, nested JSON values), long operator chains, long document paths and floods
// of #name/:value placeholders with their ExpressionAttributeNames/Values entries. Inputs like
// these once killed the server with a stack overflow (issue 14) while millions of ordinary
// fuzzing runs never came near them.
//
// Each target defines LLVMFuzzerCustomMutator and calls one of the input-format glues at the
// end of this file (or builds its own from the pieces); part of the time they fall back to
// libFuzzer's own mutations (LLVMFuzzerMutate). Everything is deterministic given the seed
// libFuzzer passes, so a run can be replayed. Sizes stay within libFuzzer's max_size.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_set>
#include <vector>

// libFuzzer's built-in mutations, callable from a custom mutator.
extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace cruddur::fuzz {

// splitmix64: small, fast and fully determined by the seed.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(Next() % n); }
  size_t Range(size_t lo, size_t hi) { return lo >= hi ? lo : lo + Below(hi - lo + 1); }
  bool OneIn(size_t n) { return Below(n) == 0; }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Below(N)];
  }

 private:
  uint64_t state_;
};

// How often to repeat or nest: 1..30000 spread over the orders of magnitude (the depth that
// overflows a stack depends on frame sizes, and the engine's 4 KB expression limit lets only
// the smaller ones through), at most `cap` (what still fits). Mostly small: every huge input in
// the corpus slows each run that picks it.
inline size_t Count(Rng& rng, size_t cap) {
  static constexpr size_t kTop[] = {4, 16, 64, 256, 1024, 4096, 30000};
  return std::max<size_t>(1, std::min(rng.Range(1, rng.Pick(kTop)), cap));
}

inline void Repeat(std::string& out, std::string_view s, size_t n) {
  out.reserve(out.size() + s.size() * n);
  for (size_t i = 0; i < n; ++i) out.append(s);
}

// open^n inner close^n
inline std::string Nest(std::string_view open, std::string_view inner, std::string_view close,
                        size_t n) {
  std::string out;
  Repeat(out, open, n);
  out.append(inner);
  Repeat(out, close, n);
  return out;
}

// first (sep item)^n
inline std::string Chain(std::string_view first, std::string_view sep, std::string_view item,
                         size_t n) {
  std::string out(first);
  out.reserve(first.size() + (sep.size() + item.size()) * n);
  for (size_t i = 0; i < n; ++i) out.append(sep).append(item);
  return out;
}

// The JSON text of a string (quotes included).
inline std::string JsonQuote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      out.append("\\u00").push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out + "\"";
}

// The #name / :value placeholders (and PartiQL ? parameters) a generator used, as the JSON
// members to add to the request, so the expression is not refused for an undefined one.
struct Placeholders {
  std::string names;   // "#n0":"a","#n1":"b"
  std::string values;  // ":v0":{"N":"0"}
  std::string params;  // {"N":"1"},{"S":"a"}   (PartiQL Parameters)
  std::unordered_set<std::string> seen;

  bool empty() const { return names.empty() && values.empty() && params.empty(); }
  void Name(const std::string& ref, std::string_view attribute) {
    if (!seen.insert(ref).second) return;
    if (!names.empty()) names.push_back(',');
    names.append(JsonQuote(ref)).append(":").append(JsonQuote(attribute));
  }
  void Value(const std::string& ref, std::string_view json) {
    if (!seen.insert(ref).second) return;
    if (!values.empty()) values.push_back(',');
    values.append(JsonQuote(ref)).append(":").append(json);
  }
  void Param(std::string_view json) {
    if (!params.empty()) params.push_back(',');
    params.append(json);
  }
};

// Attributes of the items the targets seed (see ddb_setup.h and fuzz_expressions.cc).
inline constexpr std::string_view kAttributes[] = {"pk", "sk", "n", "message", "tags", "meta",
                                                   "a",  "b",  "l", "m",       "s"};
inline constexpr std::string_view kValueJson[] = {
    R"({"N":"1"})",     R"({"S":"GRP#andrewbrown"})", R"({"S":"x"})",
    R"({"SS":["a"]})",  R"({"L":[{"N":"1"}]})",       R"({"M":{"b":{"N":"2"}}})",
    R"({"BOOL":true})", R"({"NULL":true})",           R"({"B":"AAE="})"};

// The expression languages (and PartiQL) the generators speak.
enum class Lang { kCondition, kUpdate, kProjection, kKeyCondition, kPartiql };

// Conditions that need no placeholders and name attributes the seeded items have.
inline constexpr std::string_view kConditionAtoms[] = {"a<b",
                                                       "n > n",
                                                       "attribute_exists(message)",
                                                       "attribute_not_exists(x)",
                                                       "begins_with(pk, sk)",
                                                       "contains(tags, message)",
                                                       "size(message) > n",
                                                       "meta.l[0] = n",
                                                       "n BETWEEN n AND n",
                                                       "n IN (n, sk)",
                                                       "message <> sk",
                                                       "attribute_type(pk, message)"};
// (open, close) pairs that nest a condition in a condition.
inline constexpr std::string_view kConditionWrappers[][2] = {
    {"(", ")"},        {"NOT ", ""},        {"a<b AND (", ")"}, {"a<b and (", ")"},
    {"(", ") OR a<b"}, {"n > n OR (", ")"}, {"NOT (", ")"}};
// (open, close) pairs that nest an operand in an operand (update values, comparisons).
inline constexpr std::string_view kOperandWrappers[][2] = {{"if_not_exists(a, ", ")"},
                                                           {"list_append(", ", b)"},
                                                           {"list_append(b, ", ")"},
                                                           {"(", ")"},
                                                           {"size(", ")"},
                                                           {"(", " + n)"},
                                                           {"if_not_exists(", ", b)"}};
inline constexpr std::string_view kPartiqlWrappers[][2] = {
    {"(", ")"}, {"NOT ", ""}, {"pk = 'a' AND (", ")"}, {"(", ") OR n > 0"}};
inline constexpr std::string_view kPartiqlValueWrappers[][2] = {
    {"[", "]"}, {"{'a': ", "}"}, {"<<", ">>"}, {"[1, ", "]"}};

// A document path: attr followed by n elements (.b, [0] or a mix).
inline std::string DeepPath(Rng& rng, std::string_view attr, size_t n) {
  std::string out(attr);
  switch (rng.Below(3)) {
    case 0:
      Repeat(out, ".b", n);
      break;
    case 1:
      Repeat(out, "[0]", n);
      break;
    default:
      out.reserve(out.size() + 3 * n);
      for (size_t i = 0; i < n; ++i) out.append(rng.OneIn(2) ? ".b" : "[0]");
  }
  return out;
}

// Nests `inner` n levels deep, each level a wrapper picked at random (mixed recursion: parser
// functions calling each other, not only themselves).
template <size_t N>
std::string MixedNest(Rng& rng, const std::string_view (&wrappers)[N][2], std::string_view inner,
                      size_t n) {
  std::string open;
  std::vector<std::string_view> close;
  close.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const auto& w = wrappers[rng.Below(N)];
    open.append(w[0]);
    close.push_back(w[1]);
  }
  open.append(inner);
  for (size_t i = n; i-- > 0;) open.append(close[i]);
  return open;
}

// "#n0 <op> :v0 <sep> #n1 <op> :v1 ..." with every placeholder defined in `ph`.
inline std::string PlaceholderFlood(Rng& rng, size_t budget, std::string_view op,
                                    std::string_view sep, Placeholders& ph) {
  size_t n = Count(rng, budget / 64);  // text, name and value: about 60 bytes each
  bool names = !rng.OneIn(4), values = !rng.OneIn(4) || !names;
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out.append(sep);
    std::string k = std::to_string(i);
    if (names) {
      out.append("#n").append(k);
      ph.Name("#n" + k, kAttributes[i % std::size(kAttributes)]);
    } else {
      out.append(kAttributes[i % std::size(kAttributes)]);
    }
    if (op.empty()) continue;
    out.append(op);
    if (values) {
      out.append(":v").append(k);
      ph.Value(":v" + k, kValueJson[i % std::size(kValueJson)]);
    } else {
      out.append("n");
    }
  }
  return out;
}

// A fresh expression of `lang`, deep or long in one way, about `budget` bytes at most.
inline std::string Generate(Lang lang, Rng& rng, size_t budget, Placeholders& ph) {
  std::string_view atom = rng.Pick(kConditionAtoms);
  auto count = [&](size_t unit) { return Count(rng, budget / std::max<size_t>(unit, 1)); };
  switch (lang) {
    case Lang::kCondition:
      switch (rng.Below(10)) {
        case 0:
          return Nest("(", atom, ")", count(2));
        case 1: {
          const auto& w = rng.Pick(kConditionWrappers);
          return Nest(w[0], atom, w[1], count(w[0].size() + w[1].size()));
        }
        case 2:
          return Chain(atom, rng.OneIn(2) ? " AND " : " OR ", rng.Pick(kConditionAtoms),
                       count(atom.size() + 5));
        case 3:
          return Nest("NOT ", atom, "", count(4));
        case 4: {
          const auto& w = rng.Pick(kOperandWrappers);
          return Nest(w[0], "n", w[1], count(w[0].size() + w[1].size())) + " > n";
        }
        case 5:
          return DeepPath(rng, "meta", count(3)) + " = n";
        case 6:
          return Chain("n IN (n", ", ", "n", count(3)) + ")";
        case 7:
          return PlaceholderFlood(rng, budget, " = ", " AND ", ph);
        case 8:
          return "n BETWEEN " + Nest("(", "n", ")", count(2)) + " AND n";
        default:
          return MixedNest(rng, kConditionWrappers, atom, count(8));
      }
    case Lang::kUpdate:
      switch (rng.Below(9)) {
        case 0:
          ph.Value(":n", R"({"N":"1"})");
          return "SET a = " + Nest("if_not_exists(a, ", ":n", ")", count(18));
        case 1: {
          const auto& w = rng.Pick(kOperandWrappers);
          return "SET a = " + Nest(w[0], "b", w[1], count(w[0].size() + w[1].size()));
        }
        case 2:
          return Chain("SET n = n", rng.OneIn(2) ? " + " : " - ", "n", count(4));
        case 3: {
          size_t n = count(12);
          static constexpr std::string_view kClauses[] = {"SET ", "REMOVE ", "ADD ", "DELETE "};
          std::string out(rng.Pick(kClauses));
          bool assign = out[0] == 'S', operand = out[0] == 'A' || out[0] == 'D';
          for (size_t i = 0; i < n; ++i) {
            if (i > 0) out.append(", ");
            out.append("a").append(std::to_string(i));
            if (assign) out.append(" = b");
            if (operand) out.append(" n");
          }
          return out;
        }
        case 4:
          return "SET " + DeepPath(rng, "meta", count(3)) + " = b";
        case 5:
          return "REMOVE " + DeepPath(rng, "meta", count(3));
        case 6:
          return "SET " + PlaceholderFlood(rng, budget, " = ", ", ", ph);
        case 7: {
          static constexpr std::string_view kMore[] = {"REMOVE c", "SET d = e", "ADD f n"};
          return Chain("SET a = b", " ", rng.Pick(kMore), count(10));
        }
        default:
          return "SET a = " + MixedNest(rng, kOperandWrappers, "b", count(12));
      }
    case Lang::kProjection:
      switch (rng.Below(6)) {
        case 0:
          return DeepPath(rng, rng.Pick(kAttributes), count(3));
        case 1: {
          size_t n = count(8);
          std::string out;
          for (size_t i = 0; i < n; ++i) out.append(i ? ", a" : "a").append(std::to_string(i));
          return out;
        }
        case 2:
          return PlaceholderFlood(rng, budget, "", ", ", ph);
        case 3:
          return Nest("(", "a", ")", count(2));
        case 4:
          return Chain("a", ", ", "a", count(3));
        default:
          return Chain("meta.l[0]", ", ", DeepPath(rng, "meta", 8), count(30));
      }
    case Lang::kKeyCondition: {
      // Defined even where unused: the "unused value" error comes only after the parse.
      ph.Value(":pk", R"({"S":"GRP#andrewbrown"})");
      ph.Value(":y", R"({"S":"2023"})");
      std::string_view key = rng.OneIn(2) ? "pk = :pk" : "pk = :pk AND begins_with(sk, :y)";
      switch (rng.Below(6)) {
        case 0:
          return Nest("(", key, ")", count(2));
        case 1:
          return "pk = :pk AND " + Nest("(", "sk > :y", ")", count(2));
        case 2:
          return Chain("pk = :pk", " AND ", "sk > :y", count(12));
        case 3:
          return Nest("pk = :pk AND (", "sk > :y", ")", count(15));
        case 4:
          return Nest("(", "pk", ")", count(2)) + " = :pk";
        default:
          return MixedNest(rng, kConditionWrappers, key, count(8));
      }
    }
    case Lang::kPartiql: {
      std::string_view select = rng.OneIn(2) ? R"(SELECT * FROM "cruddur-messages" WHERE )"
                                             : "SELECT * FROM users WHERE ";
      static constexpr std::string_view kConds[] = {"pk = 'GRP#andrewbrown'", "id = 1", "n > 0",
                                                    "begins_with(sk, '2023')", "a < b"};
      std::string_view cond = rng.Pick(kConds);
      switch (rng.Below(12)) {
        case 0:
          return std::string(select) + Nest("(", cond, ")", count(2));
        case 1:
          return std::string(select) + Nest("pk = 'a' AND (", cond, ")", count(15));
        case 2:
          return std::string(select) +
                 Chain(cond, rng.OneIn(2) ? " OR " : " AND ", "n > 0", count(9));
        case 3:
          return std::string(select) + Nest("NOT ", cond, "", count(4));
        case 4:
          return std::string(select) + DeepPath(rng, "meta", count(3)) + " = 1";
        case 5:
          return std::string(select) + Chain("pk IN ['a'", ", ", "'a'", count(5)) + "]";
        case 6: {
          const auto& w = rng.Pick(kPartiqlValueWrappers);
          return "INSERT INTO users VALUE {'id': 7, 'x': " +
                 Nest(w[0], "1", w[1], count(w[0].size() + w[1].size())) + "}";
        }
        case 7: {
          size_t n = count(12);
          std::string out = "SELECT * FROM users WHERE id = ?";
          ph.Param(R"({"N":"1"})");
          for (size_t i = 1; i < n; ++i) {
            out.append(" OR id = ?");
            ph.Param(kValueJson[i % std::size(kValueJson)]);
          }
          return out;
        }
        case 8:
          return "UPDATE users SET x = " + Nest("list_append(x, ", "[1]", ")", count(16)) +
                 " WHERE id = 1";
        case 9:
          return Chain("SELECT a", ", ", "a", count(3)) + " FROM users";
        case 10:
          return std::string(select) + Nest("size(", "a", ")", count(6)) + " > 1";
        default:
          return std::string(select) + MixedNest(rng, kPartiqlWrappers, cond, count(10));
      }
    }
  }
  return std::string(atom);
}

// A random slice [begin, end) of `size` bytes, usually short (tokens), sometimes anything.
inline std::pair<size_t, size_t> Slice(Rng& rng, size_t size) {
  size_t begin = rng.Below(size + 1);
  size_t len =
      rng.OneIn(4) ? rng.Below(size - begin + 1) : std::min(size - begin, rng.Range(1, 16));
  return {begin, begin + len};
}

// Grammar-agnostic: repeats a slice of `text` many times in place, or nests the text between
// two slices repeated (x A B C y -> x A^n B C^n y), within max_size bytes in all.
inline std::string RepeatOrNest(std::string_view text, Rng& rng, size_t max_size) {
  std::string out;
  if (text.empty() || text.size() >= max_size) return std::string(text);
  size_t room = max_size - text.size();
  if (rng.OneIn(2)) {
    auto [b, e] = Slice(rng, text.size());
    if (b == e) return std::string(text);
    size_t n = Count(rng, room / (e - b));
    out.append(text.substr(0, e));
    Repeat(out, text.substr(b, e - b), n);
    out.append(text.substr(e));
    return out;
  }
  size_t p[4];
  for (size_t& x : p) x = rng.Below(text.size() + 1);
  std::sort(p, p + 4);
  if (p[1] == p[0] && p[3] == p[2]) return std::string(text);
  size_t unit = (p[1] - p[0]) + (p[3] - p[2]);
  size_t n = Count(rng, room / unit);
  out.append(text.substr(0, p[0]));
  Repeat(out, text.substr(p[0], p[1] - p[0]), n + 1);
  out.append(text.substr(p[1], p[2] - p[1]));
  Repeat(out, text.substr(p[2], p[3] - p[2]), n + 1);
  out.append(text.substr(p[3]));
  return out;
}

// Mutates one expression (or statement) text of `lang`: replaced by a generated one, a slice
// wrapped in many levels, a long path appended to a name, a placeholder flood joined to it, a
// generated piece spliced in, or the grammar-agnostic repeat/nest.
inline std::string MutateText(std::string_view text, Lang lang, Rng& rng, size_t budget,
                              Placeholders& ph) {
  if (text.empty() || rng.OneIn(3)) return Generate(lang, rng, budget, ph);
  size_t room = budget > text.size() ? budget - text.size() : 0;
  if (room < 16) return std::string(text);
  std::string t(text);
  switch (rng.Below(6)) {
    case 0: {  // wrap a slice (half the time the whole text)
      auto [b, e] = rng.OneIn(2) ? std::pair<size_t, size_t>{0, t.size()} : Slice(rng, t.size());
      std::string_view open, close;
      if (lang == Lang::kPartiql) {
        const auto& w = rng.OneIn(2) ? rng.Pick(kPartiqlWrappers) : rng.Pick(kPartiqlValueWrappers);
        open = w[0], close = w[1];
      } else if (lang == Lang::kUpdate || lang == Lang::kProjection || rng.OneIn(3)) {
        const auto& w = rng.Pick(kOperandWrappers);
        open = w[0], close = w[1];
      } else {
        const auto& w = rng.Pick(kConditionWrappers);
        open = w[0], close = w[1];
      }
      size_t n = Count(rng, room / (open.size() + close.size()));
      return t.substr(0, b) + Nest(open, t.substr(b, e - b), close, n) + t.substr(e);
    }
    case 1: {  // a long path after a name character
      size_t at = rng.Below(t.size() + 1);
      bool in_name = false;
      for (size_t i = at; i < t.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(t[i]);
        bool name_char = std::isalnum(c) || c == '_' || c == ']';
        if (!name_char && in_name) break;
        in_name = in_name || name_char;
        at = i + 1;
      }
      return t.substr(0, at) + DeepPath(rng, "", Count(rng, room / 3)) + t.substr(at);
    }
    case 2: {  // a flood of placeholders joined to the expression
      if (lang == Lang::kPartiql) return Generate(lang, rng, budget, ph);
      if (lang == Lang::kProjection) return t + ", " + PlaceholderFlood(rng, room, "", ", ", ph);
      if (lang == Lang::kUpdate) {
        return t + (t.find("SET") != std::string::npos ? ", " : " SET ") +
               PlaceholderFlood(rng, room, " = ", ", ", ph);
      }
      return "(" + t + ") AND " + PlaceholderFlood(rng, room, " = ", " AND ", ph);
    }
    case 3: {  // a generated piece in place of a slice
      auto [b, e] = Slice(rng, t.size());
      Lang piece = lang;
      if (lang == Lang::kKeyCondition) piece = Lang::kCondition;
      return t.substr(0, b) + Generate(piece, rng, room, ph) + t.substr(e);
    }
    default:
      return RepeatOrNest(t, rng, budget);
  }
}

// ---- DynamoDB JSON requests --------------------------------------------------------------

// The request members holding an expression, and their language.
inline constexpr std::pair<std::string_view, Lang> kExpressionMembers[] = {
    {"ConditionExpression", Lang::kCondition},       {"FilterExpression", Lang::kCondition},
    {"KeyConditionExpression", Lang::kKeyCondition}, {"UpdateExpression", Lang::kUpdate},
    {"ProjectionExpression", Lang::kProjection},     {"Statement", Lang::kPartiql}};

// The end of the JSON string whose contents start at `begin` (the closing quote), or npos.
inline size_t JsonStringEnd(std::string_view s, size_t begin) {
  for (size_t i = begin; i < s.size(); ++i) {
    if (s[i] == '\\')
      ++i;
    else if (s[i] == '"')
      return i;
  }
  return std::string_view::npos;
}

// JSON string contents -> text; false for escapes this small decoder does not know (\u).
inline bool JsonUnescape(std::string_view s, std::string* out) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out->push_back(s[i]);
      continue;
    }
    if (++i == s.size()) return false;
    switch (s[i]) {
      case 'n':
        out->push_back('\n');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case '"':
      case '\\':
      case '/':
        out->push_back(s[i]);
        break;
      default:
        return false;
    }
  }
  return true;
}

// Adds `members` to a JSON object's text ("{}" when it is none).
inline std::string InsertMembers(std::string object, std::string_view members) {
  if (members.empty()) return object;
  size_t brace = object.find('{');
  if (brace == std::string::npos) object = "{}", brace = 0;
  size_t next = object.find_first_not_of(" \t\r\n", brace + 1);
  bool empty = next != std::string::npos && object[next] == '}';
  object.insert(brace + 1, std::string(members) + (empty ? "" : ","));
  return object;
}

// Adds `members` to the object member `key` of a JSON object body ("key":{...} or, for
// Parameters, "key":[...]): into the first such member if there is one, else as a new member
// right after the body's opening brace.
inline std::string AddMembers(std::string body, std::string_view key, std::string_view members,
                              bool array = false) {
  if (members.empty()) return body;
  std::string quoted = JsonQuote(key) + ":" + (array ? "[" : "{");
  size_t at = body.find(quoted);
  if (at != std::string::npos) {
    at += quoted.size();
    size_t next = body.find_first_not_of(" \t\r\n", at);
    bool empty = next != std::string::npos && body[next] == (array ? ']' : '}');
    body.insert(at, std::string(members) + (empty ? "" : ","));
    return body;
  }
  return InsertMembers(std::move(body), quoted + std::string(members) + (array ? "]" : "}"));
}

inline std::string WithPlaceholders(std::string body, const Placeholders& ph) {
  body = AddMembers(std::move(body), "ExpressionAttributeNames", ph.names);
  body = AddMembers(std::move(body), "ExpressionAttributeValues", ph.values);
  return AddMembers(std::move(body), "Parameters", ph.params, true);
}

// A DynamoDB AttributeValue nested n levels in M and/or L.
inline std::string DeepAttributeValue(Rng& rng, size_t n) {
  switch (rng.Below(3)) {
    case 0:
      return Nest(R"({"M":{"a":)", R"({"S":"x"})", "}}", n);
    case 1:
      return Nest(R"({"L":[)", R"({"N":"1"})", "]}", n);
    default: {
      std::string open;
      std::vector<std::string_view> close;
      for (size_t i = 0; i < n; ++i) {
        bool map = rng.OneIn(2);
        open.append(map ? R"({"M":{"a":)" : R"({"L":[)");
        close.push_back(map ? "}}" : "]}");
      }
      open.append(R"({"NULL":true})");
      for (size_t i = n; i-- > 0;) open.append(close[i]);
      return open;
    }
  }
}

struct GeneratedRequest {
  std::string_view operation;  // as Engine::Execute names it
  std::string body;
};

// A whole request of the operations that run expressions, against the tables of ddb_setup.h,
// with one part deep or long (and all its placeholders defined).
inline GeneratedRequest GenerateRequest(Rng& rng, size_t budget) {
  constexpr std::string_view kTable = R"("TableName":"cruddur-messages")";
  constexpr std::string_view kKey =
      R"("Key":{"pk":{"S":"GRP#andrewbrown"},"sk":{"S":"2023-03-01T10:00:00+00:00"}})";
  constexpr std::string_view kItem =
      R"("Item":{"pk":{"S":"GRP#andrewbrown"},"sk":{"S":"2023-03-01T10:00:00+00:00"},"n":{"N":"1"},"message":{"S":"hi"})";
  Placeholders ph;
  budget = budget > 512 ? budget - 512 : 0;
  auto expr = [&](Lang lang) { return JsonQuote(Generate(lang, rng, budget, ph)); };
  GeneratedRequest r;
  std::string& b = r.body;
  switch (rng.Below(10)) {
    case 0:
      r.operation = "PutItem";
      b = "{" + std::string(kTable) + "," + std::string(kItem) +
          "},\"ConditionExpression\":" + expr(Lang::kCondition) + "}";
      break;
    case 1:
      r.operation = "UpdateItem";
      b = "{" + std::string(kTable) + "," + std::string(kKey) +
          ",\"UpdateExpression\":" + expr(Lang::kUpdate);
      if (rng.OneIn(3)) b += ",\"ConditionExpression\":" + expr(Lang::kCondition);
      if (rng.OneIn(3)) b += R"(,"ReturnValues":"ALL_NEW")";
      b += "}";
      break;
    case 2:
      r.operation = "Query";
      ph.Value(":pk", R"({"S":"GRP#andrewbrown"})");
      b = "{" + std::string(kTable) + ",\"KeyConditionExpression\":" +
          (rng.OneIn(2) ? expr(Lang::kKeyCondition) : std::string(R"("pk = :pk")"));
      if (rng.OneIn(2)) b += ",\"FilterExpression\":" + expr(Lang::kCondition);
      if (rng.OneIn(3)) b += ",\"ProjectionExpression\":" + expr(Lang::kProjection);
      b += "}";
      break;
    case 3:
      r.operation = "Scan";
      b = "{" + std::string(kTable) +
          (rng.OneIn(2) ? ",\"FilterExpression\":" + expr(Lang::kCondition)
                        : ",\"ProjectionExpression\":" + expr(Lang::kProjection)) +
          "}";
      break;
    case 4:
      r.operation = "GetItem";
      b = "{" + std::string(kTable) + "," + std::string(kKey) +
          ",\"ProjectionExpression\":" + expr(Lang::kProjection) + "}";
      break;
    case 5:
      r.operation = "DeleteItem";
      b = "{" + std::string(kTable) + "," + std::string(kKey) +
          ",\"ConditionExpression\":" + expr(Lang::kCondition) + "}";
      break;
    case 6:
    case 7:
      r.operation = "ExecuteStatement";
      b = "{\"Statement\":" + expr(Lang::kPartiql) + "}";
      break;
    case 8:
      r.operation = "TransactWriteItems";
      b = R"({"TransactItems":[{"ConditionCheck":{)" + std::string(kTable) + "," +
          std::string(kKey) + ",\"ConditionExpression\":" + expr(Lang::kCondition) +
          R"(}},{"Update":{"TableName":"users","Key":{"id":{"N":"1"}},"UpdateExpression":)" +
          expr(Lang::kUpdate) + "}}]}";
      break;
    default: {
      r.operation = "PutItem";
      std::string deep = DeepAttributeValue(rng, Count(rng, budget / 12));
      b = "{" + std::string(kTable) + "," + std::string(kItem) + ",\"deep\":" + deep + "}}";
      if (rng.OneIn(2)) {  // the same value as an ExpressionAttributeValue
        b = "{" + std::string(kTable) + "," + std::string(kItem) +
            R"(},"ConditionExpression":"n = :deep","ExpressionAttributeValues":{":deep":)" + deep +
            "}}";
      }
      break;
    }
  }
  r.body = WithPlaceholders(std::move(r.body), ph);
  return r;
}

// Mutates one JSON request body: one of its expression members (the placeholders it then uses
// are added), a deeply nested value added to its Item / Key / ExpressionAttributeValues, or the
// grammar-agnostic repeat/nest on the JSON text.
inline std::string MutateRequestBody(std::string_view body, Rng& rng, size_t budget) {
  std::vector<std::pair<size_t, Lang>> found;  // (start of the string contents, language)
  for (const auto& [member, lang] : kExpressionMembers) {
    std::string key = "\"" + std::string(member) + "\"";
    for (size_t at = body.find(key); at != std::string_view::npos; at = body.find(key, at + 1)) {
      size_t quote = body.find_first_not_of(" \t\r\n:", at + key.size());
      if (quote != std::string_view::npos && body[quote] == '"')
        found.emplace_back(quote + 1, lang);
    }
  }
  size_t choice = rng.Below(8);
  if (!found.empty() && choice < 5) {
    auto [begin, lang] = found[rng.Below(found.size())];
    size_t end = JsonStringEnd(body, begin);
    std::string text;
    if (end != std::string_view::npos && JsonUnescape(body.substr(begin, end - begin), &text)) {
      Placeholders ph;
      size_t rest = body.size() - (end - begin);
      std::string mutated = MutateText(text, lang, rng, budget > rest ? budget - rest : 0, ph);
      std::string out(body.substr(0, begin - 1));
      out.append(JsonQuote(mutated)).append(body.substr(end + 1));
      return WithPlaceholders(std::move(out), ph);
    }
  }
  if (choice < 7 && budget > body.size() + 64) {
    // Where a deep value goes: (the member's opening, the new member's name, raw JSON arrays
    // rather than an AttributeValue).
    static constexpr std::tuple<std::string_view, std::string_view, bool> kPlaces[] = {
        {"\"Item\":{", "\"deep\"", false},
        {"\"Key\":{", "\"deep\"", false},
        {"\"ExpressionAttributeValues\":{", "\":deep\"", false},
        {"\"ExclusiveStartKey\":{", "\"deep\"", false},
        {"{", "\"x\"", true}};
    const auto& [where, name, raw] = rng.Pick(kPlaces);
    size_t at = body.find(where);
    if (at != std::string_view::npos) {
      at += where.size();
      size_t room = budget - body.size() - 16;
      std::string out(body.substr(0, at));
      out.append(name).append(":").append(raw ? Nest("[", "", "]", Count(rng, room / 2))
                                              : DeepAttributeValue(rng, Count(rng, room / 12)));
      size_t next = body.find_first_not_of(" \t\r\n", at);
      if (next != std::string_view::npos && body[next] != '}') out.push_back(',');
      out.append(body.substr(at));
      return out;
    }
  }
  return RepeatOrNest(body, rng, budget);
}

// ---- Input-format glues for LLVMFuzzerCustomMutator -------------------------------------

// The size a structural mutation may grow the input to: max_size one time in twenty, else
// 2 KB (half the time), 16 KB or 128 KB. libFuzzer stacks several mutations per run; without
// this each would multiply the last one's size, the corpus would fill with 1 MB inputs and
// every run would be slow. Deep nesting needs only tens of KB.
inline size_t Budget(Rng& rng, size_t max_size) {
  size_t r = rng.Below(20);
  size_t tier = r < 10 ? 2048 : r < 16 ? 16384 : r < 19 ? 131072 : max_size;
  return std::min(tier, max_size);
}

// Inputs over this size are often cut down (Shrink), so the corpus does not fill with huge
// inputs that make every run slow; libFuzzer keeps the smaller one when it covers the same.
inline constexpr size_t kShrinkAbove = 64 * 1024;

// `text` without a random chunk of up to half of it (after the first `keep` bytes).
inline std::string Shrink(std::string_view text, Rng& rng, size_t keep = 0) {
  if (text.size() <= keep + 1) return std::string(text);
  size_t begin = keep + rng.Below(text.size() - keep);
  size_t len = rng.Range(1, std::max<size_t>(1, (text.size() - keep) / 2));
  len = std::min(len, text.size() - begin);
  return std::string(text.substr(0, begin)) + std::string(text.substr(begin + len));
}

// Writes `out` into libFuzzer's buffer when it fits; else lets libFuzzer mutate.
inline size_t Emit(const std::string& out, uint8_t* data, size_t size, size_t max_size) {
  if (out.empty() || out.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}

// For targets without structure worth knowing (SigV4, JWT, key codec): a third of the time the
// repeat/nest of a slice or, now and then, JSON brackets nested deep at a random place (JWT
// headers, claims and JWKS are JSON); the first `keep` bytes (a mode byte) left as they are.
inline size_t MutateGenericInput(uint8_t* data, size_t size, size_t max_size, unsigned seed,
                                 size_t keep = 0) {
  Rng rng(seed);
  if (rng.Below(3) != 0 || size <= keep || max_size <= size) {
    return LLVMFuzzerMutate(data, size, max_size);
  }
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (size > kShrinkAbove && rng.OneIn(2)) return Emit(Shrink(in, rng, keep), data, size, max_size);
  size_t limit = Budget(rng, max_size);
  if (limit <= size) return LLVMFuzzerMutate(data, size, max_size);
  std::string out(in.substr(0, keep));
  if (rng.OneIn(4)) {
    static constexpr std::string_view kBrackets[][2] = {{"[", "]"}, {"{\"a\":", "}"}};
    const auto& b = rng.Pick(kBrackets);
    size_t at = keep + rng.Below(size - keep + 1);
    size_t n = Count(rng, (limit - size) / (b[0].size() + b[1].size()));
    out.append(in.substr(keep, at - keep)).append(Nest(b[0], "1", b[1], n)).append(in.substr(at));
  } else {
    out.append(RepeatOrNest(in.substr(keep), rng, limit - keep));
  }
  return Emit(out, data, size, max_size);
}

// Splits lines (the line-per-request formats).
inline std::vector<std::string> SplitLines(std::string_view in) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= in.size()) {
    size_t eol = in.find('\n', start);
    if (eol == std::string_view::npos) eol = in.size();
    lines.emplace_back(in.substr(start, eol - start));
    start = eol + 1;
  }
  return lines;
}

// The start the line-per-request mutators share: libFuzzer's own mutation one time in three
// (its result returned), else half the time a Shrink of a big input; std::nullopt: go on.
inline std::optional<size_t> LibFuzzerOrShrink(Rng& rng, uint8_t* data, size_t size,
                                               size_t max_size) {
  if (rng.OneIn(3) || max_size < 64) return LLVMFuzzerMutate(data, size, max_size);
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (size > kShrinkAbove && rng.OneIn(2)) return Emit(Shrink(in, rng), data, size, max_size);
  return std::nullopt;
}

// One line of the input picked for a structural mutation: `limit` is the input's Budget,
// `budget` the picked line's share of it (less the other lines and `framing`, the bytes the
// format puts around a line's payload).
struct PickedLine {
  std::vector<std::string> lines;
  size_t index = 0;
  size_t limit = 0;
  size_t budget = 0;
};
inline PickedLine PickLine(std::string_view in, Rng& rng, size_t max_size, size_t framing) {
  PickedLine p;
  p.limit = Budget(rng, max_size);
  p.lines = SplitLines(in);
  p.index = rng.Below(p.lines.size());
  const size_t others = in.size() - p.lines[p.index].size() + framing;
  p.budget = p.limit > others ? p.limit - others : 0;
  return p;
}

inline std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out.push_back('\n');
    out.append(lines[i]);
  }
  return out;
}

}  // namespace cruddur::fuzz
