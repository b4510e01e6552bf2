#include "anonymize/rules.h"

#include <algorithm>
#include <map>
#include <optional>

#include "anonymize/fake.h"
#include "aws/sigv4.h"
#include "ddb/error.h"
#include "ddb/expression/expression.h"
#include "ddb/expression/parser.h"
#include "ddb/json.h"
#include "encoding/hex.h"

namespace cruddur::anonymize {

enum class Action { kMask, kFake, kHash, kDrop };

struct RuleSet::Rule {
  int number = 0;                   // 1-based, for messages
  std::vector<std::string> tables;  // empty: every table
  ddb::expr::Path path;
  std::optional<ddb::expr::Condition> condition;
  Action action = Action::kDrop;
  size_t keep = 0;              // mask
  std::string mask_char = "*";  // mask: one character (UTF-8)
  FakeKind kind = FakeKind::kText;
  int length = 0;  // hash: 0 is the type's default

  bool AppliesTo(const std::string& table) const {
    return tables.empty() || std::find(tables.begin(), tables.end(), table) != tables.end();
  }
};

namespace {

using ddb::AttributeValue;
using ddb::Item;
using ddb::JsonValue;
using ddb::ValueType;
using Rule = RuleSet::Rule;

[[noreturn]] void Fail(const Rule& r, const std::string& message) {
  throw RuleError("rule " + std::to_string(r.number) + ": " + message);
}

// ---- parsing ----

struct ActionSpec {
  Action action;
  const char* name;
  std::vector<std::string> members;  // the members it takes besides the common ones
};
const std::vector<ActionSpec>& Actions() {
  static const std::vector<ActionSpec> kActions = {
      {Action::kMask, "mask", {"keep", "maskChar"}},
      {Action::kFake, "fake", {"kind"}},
      {Action::kHash, "hash", {"length"}},
      {Action::kDrop, "drop", {}},
  };
  return kActions;
}

const ActionSpec& ActionNamed(const Rule& r, const JsonValue& v) {
  if (!v.IsString()) Fail(r, "\"action\" must be a string: mask, fake, hash or drop");
  for (const auto& a : Actions()) {
    if (v.GetString() == std::string_view(a.name)) return a;
  }
  Fail(r, "unknown action \"" + std::string(v.GetString()) + "\" (mask, fake, hash or drop)");
}

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

int64_t Integer(const Rule& r, const JsonValue& v, const char* name, int64_t low, int64_t high) {
  if (!v.IsInt64() || v.GetInt64() < low || v.GetInt64() > high) {
    Fail(r, std::string("\"") + name + "\" must be an integer from " + std::to_string(low) +
                " to " + std::to_string(high));
  }
  return v.GetInt64();
}

size_t Utf8Length(std::string_view s) {
  return std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xc0) != 0x80; });
}

void ParseActionMembers(Rule& r, const ActionSpec& spec, const JsonValue& json) {
  r.action = spec.action;
  if (auto* keep = ddb::MemberValue(json, "keep")) r.keep = Integer(r, *keep, "keep", 0, 1 << 20);
  if (auto* c = ddb::MemberValue(json, "maskChar")) {
    if (!c->IsString() || Utf8Length(c->GetString()) != 1) {
      Fail(r, "\"maskChar\" must be one character");
    }
    r.mask_char = c->GetString();
  }
  if (auto* len = ddb::MemberValue(json, "length"))
    r.length = static_cast<int>(Integer(r, *len, "length", 1, 64));
  if (spec.action == Action::kFake) {
    const JsonValue* kind = ddb::MemberValue(json, "kind");
    if (!kind || !kind->IsString()) Fail(r, "fake needs a \"kind\": " + Joined(FakeKindNames()));
    auto k = FakeKindNamed(kind->GetString());
    if (!k) {
      Fail(r, "unknown fake kind \"" + std::string(kind->GetString()) +
                  "\" (kinds: " + Joined(FakeKindNames()) + ")");
    }
    r.kind = *k;
  }
}

void CheckMembers(const Rule& r, const ActionSpec& spec, const JsonValue& json) {
  static const std::vector<std::string> kCommon = {"path",
                                                   "action",
                                                   "tables",
                                                   "ConditionExpression",
                                                   "ExpressionAttributeNames",
                                                   "ExpressionAttributeValues"};
  for (const auto& m : json.GetObject()) {
    std::string name = m.name.GetString();
    if (std::find(kCommon.begin(), kCommon.end(), name) != kCommon.end()) continue;
    if (std::find(spec.members.begin(), spec.members.end(), name) != spec.members.end()) continue;
    Fail(r, "unknown member \"" + name + "\" for " + spec.name);
  }
}

std::vector<std::string> Tables(const Rule& r, const JsonValue* v) {
  std::vector<std::string> tables;
  if (!v) return tables;
  if (!v->IsArray() || v->Empty()) Fail(r, "\"tables\" must be a non-empty array of table names");
  for (const auto& t : v->GetArray()) {
    if (!t.IsString()) Fail(r, "\"tables\" must be a non-empty array of table names");
    tables.emplace_back(t.GetString());
  }
  return tables;
}

// The path and condition, with the rule's own ExpressionAttributeNames/Values; DynamoDB's
// messages for a bad path, condition, or unused or undefined name or value.
void ParseExpressions(Rule& r, const JsonValue& json) {
  const JsonValue* path = ddb::MemberValue(json, "path");
  if (!path || !path->IsString()) Fail(r, "needs a \"path\" (a document path such as a.b[0].c)");
  try {
    auto subs =
        ddb::expr::Substitutions::Parse(ddb::MemberValue(json, "ExpressionAttributeNames"),
                                        ddb::MemberValue(json, "ExpressionAttributeValues"));
    auto projection = ddb::expr::Projection::Parse(path->GetString(), subs);
    if (projection.paths().size() != 1) Fail(r, "\"path\" must name one attribute");
    r.path = projection.paths()[0];
    if (const JsonValue* c = ddb::MemberValue(json, "ConditionExpression")) {
      if (!c->IsString()) Fail(r, "\"ConditionExpression\" must be a string");
      r.condition = ddb::expr::Condition::Parse(c->GetString(), subs, "ConditionExpression");
    }
    subs.CheckAllUsed();
  } catch (const ddb::ApiError& e) {
    Fail(r, std::string(e.what()));
  }
}

Rule ParseRule(int number, const JsonValue& json) {
  Rule r;
  r.number = number;
  if (!json.IsObject()) Fail(r, "not a JSON object");
  const JsonValue* action = ddb::MemberValue(json, "action");
  if (!action) Fail(r, "needs an \"action\": mask, fake, hash or drop");
  const ActionSpec& spec = ActionNamed(r, *action);
  CheckMembers(r, spec, json);
  r.tables = Tables(r, ddb::MemberValue(json, "tables"));
  ParseExpressions(r, json);
  ParseActionMembers(r, spec, json);
  return r;
}

// ---- actions ----

std::vector<std::string> Utf8Chars(std::string_view s) {
  std::vector<std::string> chars;
  for (char c : s) {
    if ((c & 0xc0) != 0x80 || chars.empty()) chars.emplace_back();
    chars.back() += c;
  }
  return chars;
}

std::string MaskText(std::string_view s, const Rule& r) {
  std::vector<std::string> chars = Utf8Chars(s);
  std::string out;
  for (size_t i = 0; i < chars.size(); ++i) {
    out += i + r.keep < chars.size() ? r.mask_char : chars[i];
  }
  return out;
}

// A number keeps its last `keep` digits; the others become 0 (or the mask character when it is
// a digit), so the result is still a number no larger than the original.
ddb::Number MaskNumber(const ddb::Number& n, const Rule& r) {
  std::string text = n.text();
  char fill = r.mask_char.size() == 1 && std::isdigit(static_cast<unsigned char>(r.mask_char[0]))
                  ? r.mask_char[0]
                  : '0';
  size_t kept = 0;
  for (size_t i = text.size(); i-- > 0;) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) continue;
    if (kept++ >= r.keep) text[i] = fill;
  }
  return ddb::Number::Parse(text);
}

std::string MaskBytes(std::string_view b, const Rule& r) {
  std::string out(b);
  for (size_t i = 0; i + r.keep < out.size(); ++i) out[i] = r.mask_char[0];
  return out;
}

// A number with as many digits before and after the point as the original (38 at most).
ddb::Number FakeNumber(const ddb::Number& n, const std::string& seed) {
  const std::string& text = n.text();
  size_t start = n.negative() ? 1 : 0;
  size_t point = text.find('.');
  size_t int_digits =
      std::min<size_t>((point == std::string::npos ? text.size() : point) - start, 38);
  size_t frac_digits =
      point == std::string::npos ? 0 : std::min(text.size() - point - 1, 38 - int_digits);
  FakeStream s(seed, "N:" + text);
  std::string out = n.negative() ? "-" : "";
  bool leading_zero = int_digits == 1 && text[start] == '0';
  for (size_t i = 0; i < int_digits; ++i) {
    out += leading_zero ? '0' : static_cast<char>(i == 0 ? '1' + s.Below(9) : '0' + s.Below(10));
  }
  if (frac_digits) out += '.';
  for (size_t i = 0; i < frac_digits; ++i) out += static_cast<char>('0' + s.Below(10));
  return ddb::Number::Parse(out);
}

template <typename T>
void Dedupe(std::vector<T>& v) {
  std::vector<T> unique;
  for (auto& x : v) {
    if (std::find(unique.begin(), unique.end(), x) == unique.end()) unique.push_back(std::move(x));
  }
  v = std::move(unique);
}

class Transformer {
 public:
  Transformer(const Rule& r, const std::string& secret, const std::string& seed)
      : r_(r), secret_(secret), seed_(seed) {}

  void Apply(AttributeValue& v) const {
    switch (v.type) {
      case ValueType::kS:
        v.bytes = Text(v.bytes);
        break;
      case ValueType::kN:
        v.number = Number(v.number);
        break;
      case ValueType::kB:
        v.bytes = Binary(v.bytes);
        break;
      case ValueType::kSS:
        for (auto& s : v.strings) s = Text(s);
        Dedupe(v.strings);  // masks and fakes may make two elements equal
        break;
      case ValueType::kBS:
        for (auto& s : v.strings) s = Binary(s);
        Dedupe(v.strings);
        break;
      case ValueType::kNS:
        for (auto& n : v.numbers) n = Number(n);
        Dedupe(v.numbers);
        break;
      case ValueType::kM:
        for (auto& [name, member] : v.map) Apply(member);
        break;
      case ValueType::kL:
        for (auto& element : v.list) Apply(element);
        break;
      case ValueType::kBool:
      case ValueType::kNull:
        break;
    }
  }

 private:
  // Runs the one of mask, fake and hash (the default) that the rule's action names.
  template <typename Mask, typename Fake, typename Hash>
  auto ByAction(const Mask& mask, const Fake& fake, const Hash& hash) const -> decltype(hash()) {
    switch (r_.action) {
      case Action::kMask:
        return mask();
      case Action::kFake:
        return fake();
      default:
        return hash();
    }
  }
  std::string Text(const std::string& s) const {
    return ByAction([&] { return MaskText(s, r_); }, [&] { return FakeString(r_.kind, s, seed_); },
                    [&] { return HashValue(AttributeValue::S(s), secret_, r_.length).bytes; });
  }
  std::string Binary(const std::string& b) const {
    return ByAction([&] { return MaskBytes(b, r_); },
                    [&] { return FakeStream(seed_, "B:" + b).Bytes(b.size()); },
                    [&] { return HashValue(AttributeValue::B(b), secret_, r_.length).bytes; });
  }
  ddb::Number Number(const ddb::Number& n) const {
    return ByAction([&] { return MaskNumber(n, r_); }, [&] { return FakeNumber(n, seed_); },
                    [&] { return HashValue(AttributeValue::N(n), secret_, r_.length).number; });
  }

  const Rule& r_;
  const std::string& secret_;
  const std::string& seed_;
};

void Drop(Item& item, const ddb::expr::Path& path) {
  if (path.size() == 1) {
    item.erase(path[0].name);
    return;
  }
  AttributeValue* parent = ddb::expr::FindPath(item, ddb::expr::Path(path.begin(), path.end() - 1));
  const auto& last = path.back();
  if (!parent) return;
  if (last.is_index() && parent->type == ValueType::kL &&
      static_cast<size_t>(last.index) < parent->list.size()) {
    parent->list.erase(parent->list.begin() + last.index);
  } else if (!last.is_index() && parent->type == ValueType::kM) {
    parent->map.erase(last.name);
  }
}

}  // namespace

AttributeValue HashValue(const AttributeValue& v, const std::string& secret, int length) {
  std::string data = v.type == ValueType::kN ? v.number.text() : v.bytes;
  std::string mac = aws::HmacSha256(secret, data);
  switch (v.type) {
    case ValueType::kN: {
      int digits = std::min(length > 0 ? length : 15, 18);
      uint64_t x = 0;
      for (int i = 0; i < 8; ++i) x = (x << 8) | static_cast<unsigned char>(mac[i]);
      uint64_t limit = 1;
      for (int i = 0; i < digits; ++i) limit *= 10;
      return AttributeValue::N(std::to_string(x % limit));
    }
    case ValueType::kB:
      return AttributeValue::B(mac.substr(0, std::min(length > 0 ? length : 16, 32)));
    default:
      return AttributeValue::S(encoding::HexEncode(mac).substr(0, length > 0 ? length : 32));
  }
}

RuleSet::RuleSet() = default;
RuleSet::RuleSet(RuleSet&&) noexcept = default;
RuleSet& RuleSet::operator=(RuleSet&&) noexcept = default;
RuleSet::~RuleSet() = default;
size_t RuleSet::size() const { return rules_.size(); }

RuleSet RuleSet::Parse(std::string_view json, const std::string& secret) {
  ddb::JsonDocument d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError()) {
    throw RuleError("not JSON (at byte " + std::to_string(d.GetErrorOffset()) + ")");
  }
  if (!d.IsObject()) throw RuleError("not a JSON object with \"rules\"");
  for (const auto& m : d.GetObject()) {
    std::string name = m.name.GetString();
    if (name != "rules" && name != "secret" && name != "seed") {
      throw RuleError("unknown member \"" + name + "\" (rules, secret, seed)");
    }
    if (name != "rules" && !m.value.IsString())
      throw RuleError("\"" + name + "\" must be a string");
  }
  const JsonValue* rules = ddb::MemberValue(d, "rules");
  if (!rules || !rules->IsArray()) throw RuleError("needs \"rules\": an array of rules");
  RuleSet set;
  set.secret_ = secret.empty() && d.HasMember("secret") ? d["secret"].GetString() : secret;
  set.seed_ = d.HasMember("seed") ? d["seed"].GetString() : "";
  for (const auto& r : rules->GetArray()) {
    set.rules_.push_back(ParseRule(static_cast<int>(set.rules_.size()) + 1, r));
    if (set.rules_.back().action == Action::kHash && set.secret_.empty()) {
      Fail(set.rules_.back(),
           "hash needs a secret: \"secret\" in the file, --rules-secret or $CRUDDUR_RULES_SECRET");
    }
  }
  return set;
}

std::vector<std::string> RuleSet::CheckKeys(const std::string& table, const TableKeys& keys) const {
  std::vector<std::string> warnings;
  for (const auto& r : rules_) {
    if (!r.AppliesTo(table) || (r.action != Action::kDrop && r.action != Action::kMask)) continue;
    const std::string& name = r.path[0].name;
    const char* what = r.action == Action::kDrop ? "drop" : "mask";
    if (keys.primary.contains(name)) {
      Fail(r, std::string(what) + " on " + name + ", a key attribute of table " + table + ": " +
                  (r.action == Action::kDrop ? "its items could not be written"
                                             : "masked keys collide") +
                  " (hash or fake it instead)");
    }
    if (keys.index.contains(name)) {
      warnings.push_back("rule " + std::to_string(r.number) + ": " + what + " on " + name +
                         ", an index key of table " + table + ": " +
                         (r.action == Action::kDrop ? "those items leave the index"
                                                    : "masked values merge in the index"));
    }
  }
  return warnings;
}

bool RuleSet::Changes(const std::string& table, const std::set<std::string>& attributes) const {
  return std::any_of(rules_.begin(), rules_.end(), [&](const Rule& r) {
    return r.AppliesTo(table) && attributes.contains(r.path[0].name);
  });
}

void RuleSet::Apply(const std::string& table, Item& item) const {
  bool conditional = std::any_of(rules_.begin(), rules_.end(),
                                 [&](const Rule& r) { return r.condition && r.AppliesTo(table); });
  const Item original = conditional ? item : Item();  // what the conditions see
  for (const auto& r : rules_) {
    if (!r.AppliesTo(table)) continue;
    if (r.condition && !r.condition->Evaluate(original)) continue;
    if (r.action == Action::kDrop) {
      Drop(item, r.path);
    } else if (AttributeValue* v = ddb::expr::FindPath(item, r.path)) {
      Transformer(r, secret_, seed_).Apply(*v);
    }
  }
}

}  // namespace cruddur::anonymize
