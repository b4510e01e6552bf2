// WHERE clauses: their analysis (conjuncts, key equalities) and their text as DynamoDB
// expressions.
#include "ddb/partiql/translate.h"

#include <fmt/format.h>

#include "ddb/table_schema.h"

namespace cruddur::ddb::partiql {

std::string ExpressionBuilder::Name(const std::string& name) {
  auto it = aliases_.find(name);
  if (it != aliases_.end()) return it->second;
  std::string alias = fmt::format("#n{}", aliases_.size());
  aliases_.emplace(name, alias);
  names_.emplace_back(alias, name);
  return alias;
}

std::string ExpressionBuilder::Value(const AttributeValue& v) {
  std::string alias = fmt::format(":v{}", values_.size());
  values_.emplace_back(alias, v);
  return alias;
}

std::string ExpressionBuilder::PathText(const Path& path) {
  std::string out;
  for (const auto& step : path) {
    if (step.is_index()) {
      out += fmt::format("[{}]", step.index);
    } else {
      if (!out.empty()) out += '.';
      out += Name(step.name);
    }
  }
  return out;
}

std::string ExpressionBuilder::OperandText(const Operand& o) {
  switch (o.kind) {
    case Operand::Kind::kPath:
      return PathText(o.path);
    case Operand::Kind::kSize:
      return "size(" + PathText(o.path) + ")";
    case Operand::Kind::kValue:
      return Value(o.value);
    case Operand::Kind::kMissing:
      break;
  }
  throw ApiError::Validation("MISSING must be compared using IS operator");
}

std::string ExpressionBuilder::ConditionText(const Condition& c) {
  switch (c.kind) {
    case Condition::Kind::kAnd:
    case Condition::Kind::kOr: {
      std::string out;
      for (const auto& child : c.children) {
        if (!out.empty()) out += c.kind == Condition::Kind::kAnd ? " AND " : " OR ";
        out += "(" + ConditionText(*child) + ")";
      }
      return out;
    }
    case Condition::Kind::kNot:
      return "NOT (" + ConditionText(*c.children[0]) + ")";
    case Condition::Kind::kCompare:
      return OperandText(c.operands[0]) + " " + c.op + " " + OperandText(c.operands[1]);
    case Condition::Kind::kBetween:
      return OperandText(c.operands[0]) + " BETWEEN " + OperandText(c.operands[1]) + " AND " +
             OperandText(c.operands[2]);
    case Condition::Kind::kIn: {
      std::string out = OperandText(c.operands[0]) + " IN (";
      for (size_t i = 1; i < c.operands.size(); ++i) {
        out += (i > 1 ? ", " : "") + OperandText(c.operands[i]);
      }
      return out + ")";
    }
    case Condition::Kind::kFunction: {
      std::string out = c.op + "(";
      for (size_t i = 0; i < c.operands.size(); ++i) {
        out += (i ? ", " : "") + OperandText(c.operands[i]);
      }
      return out + ")";
    }
    case Condition::Kind::kIsMissing:
      RequirePath(c.operands[0]);
      return std::string(c.negated ? "attribute_exists(" : "attribute_not_exists(") +
             PathText(c.operands[0].path) + ")";
    case Condition::Kind::kIsType: {
      RequirePath(c.operands[0]);
      std::string f = "attribute_type(" + PathText(c.operands[0].path) + ", " +
                      Value(AttributeValue::S(c.op)) + ")";
      return c.negated ? "NOT " + f : f;
    }
  }
  return "";
}

// Writes ExpressionAttributeNames / ExpressionAttributeValues (each only when used).
void ExpressionBuilder::Write(JsonWriter& w) const {
  auto write_aliases = [&w](std::string_view member, const auto& aliases, auto write_value) {
    if (aliases.empty()) return;
    Key(w, member);
    w.StartObject();
    for (const auto& [alias, value] : aliases) {
      Key(w, alias);
      write_value(value);
    }
    w.EndObject();
  };
  write_aliases("ExpressionAttributeNames", names_,
                [&w](const std::string& name) { Str(w, name); });
  write_aliases("ExpressionAttributeValues", values_,
                [&w](const AttributeValue& value) { WriteAttributeValue(w, value); });
}

void ExpressionBuilder::RequirePath(const Operand& o) {
  if (o.kind != Operand::Kind::kPath) {
    throw ApiError::Validation(
        "The left hand side argument to IS must be a Variable Reference, Literal, or Path");
  }
}

void Conjuncts(const Condition* c, std::vector<const Condition*>* out) {
  if (!c) return;
  if (c->kind == Condition::Kind::kAnd) {
    for (const auto& child : c->children) Conjuncts(child.get(), out);
  } else {
    out->push_back(c);
  }
}

bool IsAttribute(const Operand& o, const std::string& name) {
  return o.kind == Operand::Kind::kPath && o.path.size() == 1 && o.path[0].name == name;
}

namespace {

std::optional<std::string> KeyTypeError(const std::string& attr, const std::string& type,
                                        const AttributeValue& v) {
  if (TypeName(v.type) == type) return std::nullopt;
  return fmt::format(
      "Key attribute's data type should match its data type in table's schema: Key {}", attr);
}

}  // namespace

// `name = value` (either way round): the value, else null.
const AttributeValue* EqualityOn(const Condition& c, const std::string& name) {
  if (c.kind != Condition::Kind::kCompare || c.op != "=") return nullptr;
  if (IsAttribute(c.operands[0], name) && c.operands[1].kind == Operand::Kind::kValue) {
    return &c.operands[1].value;
  }
  if (IsAttribute(c.operands[1], name) && c.operands[0].kind == Operand::Kind::kValue) {
    return &c.operands[0].value;
  }
  return nullptr;
}

void CollectPaths(const Condition& c, std::set<std::string>* names) {
  for (const auto& o : c.operands) {
    if (o.kind == Operand::Kind::kPath || o.kind == Operand::Kind::kSize) {
      names->insert(o.path[0].name);
    }
  }
  for (const auto& child : c.children) CollectPaths(*child, names);
}

void CheckKeyType(const std::string& attr, const std::string& type, const AttributeValue& v) {
  if (auto error = KeyTypeError(attr, type, v)) throw ApiError::Validation(*error);
}

void CheckKeyComparisons(const KeySchema& key, const Condition* where) {
  if (!where) return;
  for (const auto& child : where->children) CheckKeyComparisons(key, child.get());
  const std::string* attr = nullptr;
  for (const Operand& o : where->operands) {
    if (o.kind == Operand::Kind::kPath && o.path.size() == 1 && key.IsKey(o.path[0].name)) {
      attr = &o.path[0].name;
    }
  }
  if (!attr) return;
  for (const Operand& o : where->operands) {
    bool bytes = o.value.type == ValueType::kS || o.value.type == ValueType::kB;
    if (o.kind == Operand::Kind::kValue && bytes) CheckKeyValueNotEmpty(*attr, o.value);
  }
}

SingleItem ExtractKey(const KeySchema& schema, const Condition* where,
                      std::optional<std::string>* mismatch) {
  std::vector<const Condition*> conjuncts;
  Conjuncts(where, &conjuncts);
  SingleItem out;
  Item key;
  for (const Condition* c : conjuncts) {
    bool used = false;
    for (const std::string* attr : {&schema.hash, &schema.range}) {
      if (attr->empty() || key.count(*attr)) continue;
      if (const AttributeValue* v = EqualityOn(*c, *attr)) {
        const std::string& type = *attr == schema.hash ? schema.hash_type : schema.range_type;
        if (auto error = KeyTypeError(*attr, type, *v)) {
          if (mismatch == nullptr) throw ApiError::Validation(*error);
          if (!*mismatch) *mismatch = std::move(error);
        }
        key[*attr] = *v;
        used = true;
        break;
      }
    }
    if (!used) out.rest.push_back(c);
  }
  if (key.size() == (schema.range.empty() ? 1u : 2u)) out.key = std::move(key);
  return out;
}

std::string AndAll(ExpressionBuilder& b, const std::vector<const Condition*>& conds) {
  std::string out;
  for (const Condition* c : conds) {
    out += (out.empty() ? "(" : " AND (") + b.ConditionText(*c) + ")";
  }
  return out;
}

// The key condition a sort-key conjunct can become, or empty.
std::string RangeKeyCondition(ExpressionBuilder& b, const Condition& c, const std::string& range) {
  if (c.kind == Condition::Kind::kCompare && c.op != "<>") {
    static const std::map<std::string, std::string> kFlip = {
        {"=", "="}, {"<", ">"}, {"<=", ">="}, {">", "<"}, {">=", "<="}};
    if (IsAttribute(c.operands[0], range) && c.operands[1].kind == Operand::Kind::kValue) {
      return b.Name(range) + " " + c.op + " " + b.Value(c.operands[1].value);
    }
    if (IsAttribute(c.operands[1], range) && c.operands[0].kind == Operand::Kind::kValue) {
      return b.Name(range) + " " + kFlip.at(c.op) + " " + b.Value(c.operands[0].value);
    }
  } else if (c.kind == Condition::Kind::kBetween && IsAttribute(c.operands[0], range) &&
             c.operands[1].kind == Operand::Kind::kValue &&
             c.operands[2].kind == Operand::Kind::kValue) {
    return b.Name(range) + " BETWEEN " + b.Value(c.operands[1].value) + " AND " +
           b.Value(c.operands[2].value);
  } else if (c.kind == Condition::Kind::kFunction && c.op == "begins_with" &&
             c.operands.size() == 2 && IsAttribute(c.operands[0], range) &&
             c.operands[1].kind == Operand::Kind::kValue) {
    return "begins_with(" + b.Name(range) + ", " + b.Value(c.operands[1].value) + ")";
  }
  return "";
}

// Values a key condition compares the sort key with, to check their type against the schema.
std::vector<const AttributeValue*> ConditionValues(const Condition& c) {
  std::vector<const AttributeValue*> out;
  for (const auto& o : c.operands) {
    if (o.kind == Operand::Kind::kValue) out.push_back(&o.value);
  }
  return out;
}

}  // namespace cruddur::ddb::partiql
