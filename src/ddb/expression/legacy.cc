// The legacy parameters (KeyConditions, QueryFilter, ScanFilter, Expected, AttributeUpdates,
// AttributesToGet): DynamoDB's validation of them, and their translation into expression objects.
#include "ddb/expression/legacy.h"

#include <climits>
#include <set>

#include "ddb/error.h"
#include "ddb/value_json.h"

namespace cruddur::ddb::expr::legacy {
namespace {

using Comparison = Condition::Comparison;

constexpr char kInvalid[] = "One or more parameter values were invalid: ";
constexpr char kComparisonEnum[] =
    "IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS";
constexpr char kConditionalOperatorEnum[] = "OR, AND";
constexpr char kActionEnum[] = "ADD, PUT, DELETE";

[[noreturn]] void Invalid(const std::string& message) { throw ApiError::Validation(message); }

// ---- JSON access, with Coral's deserialisation errors ----

using coral::ExpectBoolean;
using coral::ExpectList;
using coral::ExpectMap;
using coral::ExpectStructure;

// Coral's reading, except that a null is a misplaced container here, not a null in a set.
std::string ExpectString(const JsonValue& j) {
  if (j.IsNull()) coral::ThrowWrongContainer(j);
  return std::string(coral::ExpectString(j));
}

std::string_view View(const JsonValue& v) { return {v.GetString(), v.GetStringLength()}; }

std::string LowerFirst(std::string_view s) {
  std::string out(s);
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z') out[0] = static_cast<char>(out[0] + 32);
  return out;
}

std::string EnumViolation(std::string_view value, const std::string& field, const char* set) {
  return "Value '" + std::string(value) + "' at '" + field +
         "' failed to satisfy constraint: Member must satisfy enum value set: [" + set + "]";
}

[[noreturn]] void ThrowOneViolation(const std::string& violation) {
  Invalid("1 validation error detected: " + violation);
}

// ---- comparison operators ----

struct OperatorInfo {
  const char* name;
  Comparison comparison;
  size_t min_args;
  size_t max_args;
};

constexpr OperatorInfo kOperators[] = {
    {"EQ", Comparison::kEq, 1, 1},
    {"NE", Comparison::kNe, 1, 1},
    {"LE", Comparison::kLe, 1, 1},
    {"LT", Comparison::kLt, 1, 1},
    {"GE", Comparison::kGe, 1, 1},
    {"GT", Comparison::kGt, 1, 1},
    {"NOT_NULL", Comparison::kNotNull, 0, 0},
    {"NULL", Comparison::kNull, 0, 0},
    {"CONTAINS", Comparison::kContains, 1, 1},
    {"NOT_CONTAINS", Comparison::kNotContains, 1, 1},
    {"BEGINS_WITH", Comparison::kBeginsWith, 1, 1},
    {"IN", Comparison::kIn, 1, SIZE_MAX},
    {"BETWEEN", Comparison::kBetween, 2, 2},
};

const OperatorInfo* FindOperator(std::string_view name) {
  for (const OperatorInfo& op : kOperators) {
    if (name == op.name) return &op;
  }
  return nullptr;
}

bool IsScalar(ValueType t) {
  return t == ValueType::kS || t == ValueType::kN || t == ValueType::kB;
}

// Which operand types each operator accepts. EQ and NE take any type (their documentation
// lists sets too, and clients send BOOL/NULL/M/L with them).
bool OperandTypeAllowed(Comparison op, ValueType t) {
  switch (op) {
    case Comparison::kEq:
    case Comparison::kNe:
      return true;
    case Comparison::kContains:
    case Comparison::kNotContains:
      return t != ValueType::kSS && t != ValueType::kNS && t != ValueType::kBS &&
             t != ValueType::kM && t != ValueType::kL;
    case Comparison::kBeginsWith:
      return t == ValueType::kS || t == ValueType::kB;
    default:
      return IsScalar(t);
  }
}

// Three-way order of two scalars of the same type.
int Order(const AttributeValue& a, const AttributeValue& b) {
  if (a.type == ValueType::kN) {
    auto c = a.number <=> b.number;
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  int c = a.bytes.compare(b.bytes);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

// DynamoDB's checks of one operator's AttributeValueList, in its order.
void CheckOperands(const OperatorInfo& op, const std::vector<AttributeValue>& values) {
  if (values.size() < op.min_args || values.size() > op.max_args) {
    Invalid(std::string(kInvalid) + "Invalid number of argument(s) for the " + op.name +
            " ComparisonOperator");
  }
  if (values.empty()) return;
  ValueType type = values[0].type;
  for (const AttributeValue& v : values) {
    if (v.type != type) {
      Invalid(std::string(kInvalid) +
              "AttributeValues inside AttributeValueList must be of same type");
    }
  }
  if (!OperandTypeAllowed(op.comparison, type)) {
    Invalid(std::string(kInvalid) + "ComparisonOperator " + op.name + " is not valid for " +
            std::string(TypeName(type)) + " AttributeValue type");
  }
  if (op.comparison == Comparison::kBetween && Order(values[0], values[1]) > 0) {
    Invalid(
        "The BETWEEN condition was provided a range where the lower bound is greater than "
        "the upper bound");
  }
}

// The operator named by `json` (the ComparisonOperator member at `field`), or the constraint
// error DynamoDB reports for a missing or unknown one.
const OperatorInfo& RequireOperator(const JsonValue* json, const std::string& field) {
  if (!json) {
    ThrowOneViolation("Value null at '" + field +
                      "' failed to satisfy constraint: Member must not be null");
  }
  std::string name = ExpectString(*json);
  const OperatorInfo* op = FindOperator(name);
  if (!op) ThrowOneViolation(EnumViolation(name, field, kComparisonEnum));
  return *op;
}

std::vector<AttributeValue> ParseValueList(const JsonValue* list) {
  std::vector<AttributeValue> values;
  if (!list) return values;
  ExpectList(*list);
  for (const JsonValue& v : list->GetArray()) values.push_back(ParseAttributeValue(v));
  return values;
}

// One Condition of KeyConditions / QueryFilter / ScanFilter, validated.
struct ParsedCondition {
  std::string attribute;
  const OperatorInfo* op = nullptr;
  std::vector<AttributeValue> values;
};

std::vector<ParsedCondition> ParseConditions(const JsonValue& map, std::string_view member) {
  ExpectMap(map);
  std::vector<ParsedCondition> out;
  for (auto it = map.MemberBegin(); it != map.MemberEnd(); ++it) {
    ParsedCondition c;
    c.attribute.assign(it->name.GetString(), it->name.GetStringLength());
    if (it->value.IsNull()) {
      Invalid("The filter condition for an attribute cannot be null");
    }
    ExpectStructure(it->value);
    c.values = ParseValueList(MemberValue(it->value, "AttributeValueList"));
    c.op = &RequireOperator(MemberValue(it->value, "ComparisonOperator"),
                            LowerFirst(member) + "." + c.attribute + ".member.comparisonOperator");
    CheckOperands(*c.op, c.values);
    out.push_back(std::move(c));
  }
  return out;
}

// parts[begin, end) joined as a balanced tree: evaluating or freeing it takes log2(n) levels of
// stack however many conditions a request names (AND and OR are associative).
Condition Join(std::vector<Condition>& parts, size_t begin, size_t end, bool use_or) {
  if (end - begin == 1) return std::move(parts[begin]);
  size_t mid = begin + (end - begin) / 2;
  Condition left = Join(parts, begin, mid, use_or);
  Condition right = Join(parts, mid, end, use_or);
  return use_or ? Condition::Or(std::move(left), std::move(right))
                : Condition::And(std::move(left), std::move(right));
}

// Joins `parts` with the request's ConditionalOperator (AND when absent).
std::optional<Condition> Combine(std::vector<Condition> parts, const JsonValue& request) {
  if (parts.empty()) return std::nullopt;
  bool use_or = false;
  if (const JsonValue* op = MemberValue(request, "ConditionalOperator")) {
    std::string name = ExpectString(*op);
    if (name != "AND" && name != "OR") {
      ThrowOneViolation(EnumViolation(name, "conditionalOperator", kConditionalOperatorEnum));
    }
    use_or = name == "OR";
  }
  return Join(parts, 0, parts.size(), use_or);
}

// One ExpectedAttributeValue: Value / Exists, or ComparisonOperator with AttributeValueList (or
// Value as its single operand).
Condition ParseExpected(const std::string& name, const JsonValue& e) {
  ExpectStructure(e);
  const JsonValue* value_json = MemberValue(e, "Value");
  const JsonValue* list_json = MemberValue(e, "AttributeValueList");
  const JsonValue* op_json = MemberValue(e, "ComparisonOperator");
  const JsonValue* exists_json = MemberValue(e, "Exists");
  std::vector<AttributeValue> values = ParseValueList(list_json);
  bool has_value = value_json != nullptr;
  if (has_value) values.push_back(ParseAttributeValue(*value_json));
  const std::string for_attribute = " for Attribute: " + name;

  if (list_json && has_value) {
    Invalid(kInvalid + std::string("Value and AttributeValueList cannot be used together") +
            for_attribute);
  }
  if (op_json) {
    if (exists_json) {
      Invalid(kInvalid + std::string("Exists and ComparisonOperator cannot be used together") +
              for_attribute);
    }
    const OperatorInfo& op =
        RequireOperator(op_json, "expected." + name + ".member.comparisonOperator");
    if (op.max_args > 0 && !list_json && !has_value) {
      Invalid(kInvalid +
              std::string("Value or AttributeValueList must be used with "
                          "ComparisonOperator: ") +
              op.name + for_attribute);
    }
    CheckOperands(op, values);
    return Condition::Compare(name, op.comparison, std::move(values));
  }
  if (list_json) {
    Invalid(kInvalid +
            std::string("AttributeValueList can only be used with a "
                        "ComparisonOperator") +
            for_attribute);
  }
  bool exists = exists_json ? ExpectBoolean(*exists_json) : true;
  if (exists && !has_value) {
    Invalid(kInvalid + std::string("Value must be provided when Exists is ") +
            (exists_json ? "true" : "null") + for_attribute);
  }
  if (!exists && has_value) {
    Invalid(kInvalid + std::string("Value cannot be used when Exists is false") + for_attribute);
  }
  // Exists=false: the attribute must be absent; otherwise it must equal Value.
  return exists ? Condition::Compare(name, Comparison::kEq, std::move(values))
                : Condition::Compare(name, Comparison::kNull, {});
}

// The most KeyConditions a multi-attribute GSI key takes: 4 HASH and 4 RANGE attributes.
constexpr size_t kMaxKeyConditions = 8;

// KeyConditions, each condition validated, and their count checked (at most `max`, 2 for a
// single-attribute key). nullopt when absent. Before the table is known, a count up to a
// multi-attribute key's passes; the key's own count is checked once it is.
std::optional<std::vector<ParsedCondition>> ParseKeyConditions(const JsonValue& request,
                                                               size_t max = kMaxKeyConditions) {
  const JsonValue* map = MemberValue(request, "KeyConditions");
  if (!map) return std::nullopt;
  auto conditions = ParseConditions(*map, "KeyConditions");
  if (conditions.empty() || conditions.size() > max) {
    Invalid("Conditions can be of length 1 or 2 only");
  }
  return conditions;
}

KeyCondition::Op KeyOp(Comparison c) {
  switch (c) {
    case Comparison::kEq:
      return KeyCondition::Op::kEq;
    case Comparison::kLe:
      return KeyCondition::Op::kLe;
    case Comparison::kLt:
      return KeyCondition::Op::kLt;
    case Comparison::kGe:
      return KeyCondition::Op::kGe;
    case Comparison::kGt:
      return KeyCondition::Op::kGt;
    case Comparison::kBeginsWith:
      return KeyCondition::Op::kBeginsWith;
    case Comparison::kBetween:
      return KeyCondition::Op::kBetween;
    default:
      return KeyCondition::Op::kNone;
  }
}

struct ParameterLists {
  std::vector<const char*> legacy;
  std::vector<const char*> expressions;
};

// Each operation's members, in the order DynamoDB lists them in the "mixing" message.
ParameterLists ListsFor(Operation op) {
  switch (op) {
    case Operation::kGetItem:
    case Operation::kBatchGetItem:
      return {{"AttributesToGet"}, {"ProjectionExpression"}};
    case Operation::kPutItem:
    case Operation::kDeleteItem:
      return {{"Expected", "ConditionalOperator"}, {"ConditionExpression"}};
    case Operation::kUpdateItem:
      return {{"AttributeUpdates", "Expected", "ConditionalOperator"},
              {"UpdateExpression", "ConditionExpression"}};
    case Operation::kQuery:
      return {{"AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions"},
              {"ProjectionExpression", "FilterExpression", "KeyConditionExpression"}};
    case Operation::kScan:
      return {{"AttributesToGet", "ScanFilter", "ConditionalOperator"},
              {"ProjectionExpression", "FilterExpression"}};
  }
  return {};
}

// The map ConditionalOperator joins for `op` (nullptr when the operation has none).
const char* ConditionMapFor(Operation op) {
  switch (op) {
    case Operation::kPutItem:
    case Operation::kDeleteItem:
    case Operation::kUpdateItem:
      return "Expected";
    case Operation::kQuery:
      return "QueryFilter";
    case Operation::kScan:
      return "ScanFilter";
    default:
      return nullptr;
  }
}

void CheckConditionalOperator(const JsonValue& request, Operation op) {
  const char* map_name = ConditionMapFor(op);
  if (!map_name || !MemberValue(request, "ConditionalOperator")) return;
  const JsonValue* map = MemberValue(request, map_name);
  size_t n = map && map->IsObject() ? map->MemberCount() : 0;
  if (n == 0) Invalid("ConditionalOperator cannot be used without Filter or Expected");
  if (n == 1) {
    Invalid(
        "ConditionalOperator can only be used when Filter or Expected has two or more "
        "elements");
  }
}

std::string Join(const std::vector<const char*>& names) {
  std::string out;
  for (const char* n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

void AddConditionMapViolations(const JsonValue& request, const char* member, bool operator_required,
                               std::vector<std::string>& out) {
  const JsonValue* map = MemberValue(request, member);
  if (!map || !map->IsObject()) return;
  for (auto it = map->MemberBegin(); it != map->MemberEnd(); ++it) {
    if (!it->value.IsObject()) continue;
    std::string field = LowerFirst(member) + "." +
                        std::string(it->name.GetString(), it->name.GetStringLength()) +
                        ".member.comparisonOperator";
    const JsonValue* op = MemberValue(it->value, "ComparisonOperator");
    if (!op) {
      if (operator_required) {
        out.push_back("Value null at '" + field +
                      "' failed to satisfy constraint: Member must not be null");
      }
    } else if (op->IsString() && !FindOperator(View(*op))) {
      out.push_back(EnumViolation(View(*op), field, kComparisonEnum));
    }
  }
}

// Whether the request has any legacy parameter (non-null): everything Validate and
// ConstraintViolations check hangs off one of them, so a request written with expressions only
// (the common case) is done in one pass over its members instead of a dozen lookups.
bool HasLegacyParameter(const JsonValue& request) {
  static constexpr std::string_view kLegacy[] = {
      "AttributesToGet", "AttributeUpdates", "ConditionalOperator", "Expected",
      "KeyConditions",   "QueryFilter",      "ScanFilter"};
  if (!request.IsObject()) return false;
  for (auto it = request.MemberBegin(); it != request.MemberEnd(); ++it) {
    if (it->value.IsNull()) continue;
    const std::string_view name(it->name.GetString(), it->name.GetStringLength());
    for (std::string_view legacy : kLegacy) {
      if (name == legacy) return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::string> ConstraintViolations(const JsonValue& request, Operation op) {
  std::vector<std::string> out;
  if (!HasLegacyParameter(request)) return out;
  if (ConditionMapFor(op)) {
    const JsonValue* c = MemberValue(request, "ConditionalOperator");
    if (c && c->IsString() && View(*c) != "AND" && View(*c) != "OR") {
      out.push_back(EnumViolation(View(*c), "conditionalOperator", kConditionalOperatorEnum));
    }
  }
  switch (op) {
    case Operation::kPutItem:
    case Operation::kDeleteItem:
      AddConditionMapViolations(request, "Expected", false, out);
      break;
    case Operation::kUpdateItem: {
      AddConditionMapViolations(request, "Expected", false, out);
      const JsonValue* updates = MemberValue(request, "AttributeUpdates");
      if (updates && updates->IsObject()) {
        for (auto it = updates->MemberBegin(); it != updates->MemberEnd(); ++it) {
          const JsonValue* action = MemberValue(it->value, "Action");
          if (action && action->IsString() && View(*action) != "ADD" && View(*action) != "PUT" &&
              View(*action) != "DELETE") {
            out.push_back(
                EnumViolation(View(*action),
                              "attributeUpdates." +
                                  std::string(it->name.GetString(), it->name.GetStringLength()) +
                                  ".member.action",
                              kActionEnum));
          }
        }
      }
      break;
    }
    case Operation::kQuery:
      AddConditionMapViolations(request, "QueryFilter", true, out);
      AddConditionMapViolations(request, "KeyConditions", true, out);
      break;
    case Operation::kScan:
      AddConditionMapViolations(request, "ScanFilter", true, out);
      break;
    default:
      break;
  }
  if (op != Operation::kPutItem && op != Operation::kDeleteItem && op != Operation::kUpdateItem) {
    const JsonValue* names = MemberValue(request, "AttributesToGet");
    if (names && names->IsArray() && (names->Empty() || names->Size() > 255)) {
      std::string list;
      for (const JsonValue& n : names->GetArray()) {
        if (!list.empty()) list += ", ";
        if (n.IsString()) list += View(n);
      }
      out.push_back("Value '[" + list + "]' at 'attributesToGet' failed to satisfy constraint: " +
                    (names->Empty() ? "Member must have length greater than or equal to 1"
                                    : "Member must have length less than or equal to 255"));
    }
  }
  return out;
}

void CheckNotMixed(const JsonValue& request, Operation op) {
  ParameterLists lists = ListsFor(op);
  std::vector<const char*> expressions;
  for (const char* e : lists.expressions) {
    if (MemberValue(request, e)) expressions.push_back(e);
  }
  if (expressions.empty()) return;
  // KeyConditions with a FilterExpression or ProjectionExpression is allowed.
  bool key_expression = MemberValue(request, "KeyConditionExpression") != nullptr;
  std::vector<const char*> legacy;
  for (const char* l : lists.legacy) {
    if (std::string_view(l) == "KeyConditions" && !key_expression) continue;
    if (MemberValue(request, l)) legacy.push_back(l);
  }
  if (legacy.empty()) return;
  Invalid(
      "Can not use both expression and non-expression parameters in the same request: "
      "Non-expression parameters: {" +
      Join(legacy) + "} Expression parameters: {" + Join(expressions) + "}");
}

void Validate(const JsonValue& request, Operation op) {
  if (!HasLegacyParameter(request)) return;
  std::vector<std::string> violations = ConstraintViolations(request, op);
  if (!violations.empty()) {
    std::string msg = std::to_string(violations.size()) + " validation error" +
                      (violations.size() == 1 ? "" : "s") + " detected: ";
    for (size_t i = 0; i < violations.size(); ++i) msg += (i ? "; " : "") + violations[i];
    Invalid(msg);
  }
  CheckNotMixed(request, op);
  CheckConditionalOperator(request, op);
  switch (op) {
    case Operation::kGetItem:
    case Operation::kBatchGetItem:
      AttributesToGet(request);
      break;
    case Operation::kPutItem:
    case Operation::kDeleteItem:
      ExpectedCondition(request);
      break;
    case Operation::kUpdateItem:
      AttributeUpdates(request);
      ExpectedCondition(request);
      break;
    case Operation::kQuery:
      FilterCondition(request, "QueryFilter");
      AttributesToGet(request);
      ParseKeyConditions(request);
      break;
    case Operation::kScan:
      AttributesToGet(request);
      FilterCondition(request, "ScanFilter");
      break;
  }
}

std::optional<Condition> ExpectedCondition(const JsonValue& request) {
  const JsonValue* map = MemberValue(request, "Expected");
  if (!map) return std::nullopt;
  ExpectMap(*map);
  std::vector<Condition> parts;
  for (auto it = map->MemberBegin(); it != map->MemberEnd(); ++it) {
    std::string name(it->name.GetString(), it->name.GetStringLength());
    if (it->value.IsNull()) continue;
    parts.push_back(ParseExpected(name, it->value));
  }
  return Combine(std::move(parts), request);
}

std::optional<Condition> FilterCondition(const JsonValue& request, std::string_view member) {
  const JsonValue* map = MemberValue(request, member);
  if (!map) return std::nullopt;
  auto conditions = ParseConditions(*map, member);
  std::vector<Condition> parts;
  parts.reserve(conditions.size());
  for (ParsedCondition& c : conditions) {
    parts.push_back(Condition::Compare(c.attribute, c.op->comparison, std::move(c.values)));
  }
  return Combine(std::move(parts), request);
}

namespace {

// KeyConditions against a multi-attribute key: KeyConditionExpression's rules and messages
// (DynamoDB takes this legacy form there too, ScyllaDB's tests found).
std::optional<KeyCondition> MultiAttributeKeyConditions(
    const JsonValue& request, const std::vector<std::string>& hash_keys,
    const std::vector<std::string>& range_keys) {
  auto conditions = ParseKeyConditions(request);
  if (!conditions) return std::nullopt;
  std::vector<KeyCondition::Term> terms;
  for (const ParsedCondition& c : *conditions) {
    KeyCondition::Op op = KeyOp(c.op->comparison);
    if (op == KeyCondition::Op::kNone) {
      Invalid("Attempted conditional constraint is not an indexable operation");
    }
    terms.push_back(
        {c.attribute, op, &c.values[0], op == KeyCondition::Op::kBetween ? &c.values[1] : nullptr});
  }
  return KeyCondition::ResolveMultiAttribute(terms, hash_keys, range_keys);
}

}  // namespace

std::optional<KeyCondition> KeyConditions(const JsonValue& request, const std::string& hash_key,
                                          const std::string& range_key) {
  std::vector<std::string> range_keys;
  if (!range_key.empty()) range_keys.push_back(range_key);
  return KeyConditions(request, std::vector<std::string>{hash_key}, range_keys);
}

std::optional<KeyCondition> KeyConditions(const JsonValue& request,
                                          const std::vector<std::string>& hash_keys,
                                          const std::vector<std::string>& range_keys) {
  if (hash_keys.size() > 1 || range_keys.size() > 1) {
    return MultiAttributeKeyConditions(request, hash_keys, range_keys);
  }
  const std::string& hash_key = hash_keys.front();
  const std::string range_key = range_keys.empty() ? std::string() : range_keys.front();
  auto conditions = ParseKeyConditions(request, 2);
  if (!conditions) return std::nullopt;
  size_t n = conditions->size();
  auto find = [&](const std::string& name) -> const ParsedCondition* {
    for (const ParsedCondition& c : *conditions) {
      if (c.attribute == name) return &c;
    }
    return nullptr;
  };
  if (range_key.empty() && n > 1) Invalid("Query key condition not supported");
  KeyCondition kc;
  for (const std::string* key : {&hash_key, &range_key}) {
    if (key->empty()) continue;
    bool is_hash = key == &hash_key;
    const ParsedCondition* c = find(*key);
    if (!c) {
      if (is_hash || n > 1) Invalid("Query condition missed key schema element: " + *key);
      continue;
    }
    KeyCondition::Op op = KeyOp(c->op->comparison);
    if (op == KeyCondition::Op::kNone) {
      Invalid("Attempted conditional constraint is not an indexable operation");
    }
    if (is_hash) {
      if (op != KeyCondition::Op::kEq) Invalid("Query key condition not supported");
      kc.hash_values.push_back(c->values[0]);
    } else {
      kc.range_op = op;
      kc.range_low = c->values[0];
      if (op == KeyCondition::Op::kBetween) kc.range_high = c->values[1];
    }
  }
  return kc;
}

std::optional<Update> AttributeUpdates(const JsonValue& request) {
  const JsonValue* map = MemberValue(request, "AttributeUpdates");
  if (!map) return std::nullopt;
  ExpectMap(*map);
  std::vector<Update::AttributeUpdate> updates;
  for (auto it = map->MemberBegin(); it != map->MemberEnd(); ++it) {
    Update::AttributeUpdate u;
    u.attribute.assign(it->name.GetString(), it->name.GetStringLength());
    if (it->value.IsNull()) continue;
    ExpectStructure(it->value);
    if (const JsonValue* v = MemberValue(it->value, "Value")) {
      u.value = ParseAttributeValue(*v);
      u.has_value = true;
    }
    std::string action = "PUT";
    if (const JsonValue* a = MemberValue(it->value, "Action")) action = ExpectString(*a);
    if (action == "ADD") {
      u.action = Update::AttributeUpdate::Action::kAdd;
    } else if (action == "DELETE") {
      u.action = Update::AttributeUpdate::Action::kDelete;
    } else if (action != "PUT") {
      ThrowOneViolation(
          EnumViolation(action, "attributeUpdates." + u.attribute + ".member.action", kActionEnum));
    }
    const std::string type(TypeName(u.value.type));
    if (!u.has_value && u.action != Update::AttributeUpdate::Action::kDelete) {
      Invalid(std::string(kInvalid) +
              "Only DELETE action is allowed when no attribute value is specified");
    }
    if (u.has_value && u.action == Update::AttributeUpdate::Action::kDelete && !u.value.is_set()) {
      Invalid(std::string(kInvalid) + "DELETE action with value is not supported for the type " +
              type);
    }
    if (u.has_value && u.action == Update::AttributeUpdate::Action::kAdd && !u.value.is_set() &&
        u.value.type != ValueType::kN && u.value.type != ValueType::kL) {
      Invalid(std::string(kInvalid) + "ADD action is not supported for the type " + type);
    }
    updates.push_back(std::move(u));
  }
  return Update::FromAttributeUpdates(updates);
}

std::optional<Projection> AttributesToGet(const JsonValue& request) {
  const JsonValue* list = MemberValue(request, "AttributesToGet");
  if (!list) return std::nullopt;
  ExpectList(*list);
  std::vector<std::string> names;
  std::set<std::string, std::less<>> seen;
  for (const JsonValue& n : list->GetArray()) {
    std::string name = ExpectString(n);
    if (!seen.insert(name).second) {
      Invalid(std::string(kInvalid) + "Duplicate value in attribute name: " + name);
    }
    names.push_back(std::move(name));
  }
  if (names.empty()) {
    ThrowOneViolation(
        "Value '[]' at 'attributesToGet' failed to satisfy constraint: Member "
        "must have length greater than or equal to 1");
  }
  return Projection::FromNames(names);
}

}  // namespace cruddur::ddb::expr::legacy
