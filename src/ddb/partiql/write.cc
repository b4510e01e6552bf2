// INSERT, UPDATE, DELETE (and EXISTS in a transaction) as the engine's item writes.
#include "ddb/partiql/translate.h"

#include <fmt/format.h>

namespace cruddur::ddb::partiql {
namespace {

std::string SetValueText(ExpressionBuilder& b, const SetValue& v) {
  switch (v.kind) {
    case SetValue::Kind::kOperand:
      return b.OperandText(v.operand);
    case SetValue::Kind::kPlus:
      return SetValueText(b, v.args[0]) + " + " + SetValueText(b, v.args[1]);
    case SetValue::Kind::kMinus:
      return SetValueText(b, v.args[0]) + " - " + SetValueText(b, v.args[1]);
    case SetValue::Kind::kCall: {
      std::string out = v.function + "(";
      for (size_t i = 0; i < v.args.size(); ++i) {
        out += (i ? ", " : "") + SetValueText(b, v.args[i]);
      }
      return out + ")";
    }
  }
  return "";
}

bool SamePath(const Path& a, const Path& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].index != b[i].index) return false;
  }
  return true;
}

std::string UpdateExpressionText(ExpressionBuilder& b, const std::vector<UpdateAction>& actions) {
  std::vector<std::string> sets, removes, adds, deletes;
  for (const auto& a : actions) {
    if (a.kind == UpdateAction::Kind::kRemove) {
      removes.push_back(b.PathText(a.path));
      continue;
    }
    const SetValue& v = a.value;
    if (v.kind == SetValue::Kind::kCall &&
        (v.function == "set_add" || v.function == "set_delete")) {
      std::string upper = v.function == "set_add" ? "ADD" : "DELETE";
      if (v.args.size() != 2) {
        throw ApiError::Validation(fmt::format("SET_{} must have exactly two arguments", upper));
      }
      const SetValue& first = v.args[0];
      if (first.kind != SetValue::Kind::kOperand || first.operand.kind != Operand::Kind::kPath ||
          !SamePath(first.operand.path, a.path)) {
        throw ApiError::Validation(
            fmt::format("The first argument to SET_{} must equal the assignment value", upper));
      }
      const SetValue& second = v.args[1];
      if (second.kind != SetValue::Kind::kOperand || second.operand.kind != Operand::Kind::kValue ||
          !second.operand.value.is_set()) {
        throw ApiError::Validation(
            fmt::format("The second argument to SET_{} must be a value with type SET", upper));
      }
      (upper == "ADD" ? adds : deletes)
          .push_back(b.PathText(a.path) + " " + b.Value(second.operand.value));
      continue;
    }
    sets.push_back(b.PathText(a.path) + " = " + SetValueText(b, v));
  }
  std::string out;
  auto clause = [&](const char* word, const std::vector<std::string>& parts) {
    if (parts.empty()) return;
    if (!out.empty()) out += ' ';
    out += word;
    for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : " ") + parts[i];
  };
  clause("SET", sets);
  clause("REMOVE", removes);
  clause("ADD", adds);
  clause("DELETE", deletes);
  return out;
}

// A write's key value no key can have (a set, list, map, boolean or null) is named before any
// key of the wrong scalar type (DynamoDB Local; a SELECT's is just of the wrong type).
void CheckKeyValueTypes(const KeySchema& schema, const Condition* where) {
  std::vector<const Condition*> conjuncts;
  Conjuncts(where, &conjuncts);
  for (const Condition* c : conjuncts) {
    for (const std::string* attr : {&schema.hash, &schema.range}) {
      const AttributeValue* v = attr->empty() ? nullptr : EqualityOn(*c, *attr);
      if (v && v->type != ValueType::kS && v->type != ValueType::kN && v->type != ValueType::kB) {
        throw ApiError::Validation(
            fmt::format("Key value must be of type S, N, or B. Key name: {}, Key type: {}", *attr,
                        TypeName(v->type)));
      }
    }
  }
}

}  // namespace

WritePlan PlanWrite(Tables& tables, const Statement& st, const Options& o,
                    std::optional<std::string>* key_mismatch) {
  const TableInfo& info = tables.Get(st.table);
  WritePlan plan;
  plan.table = st.table;
  JsonBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  ExpressionBuilder b;
  if (st.kind == Statement::Kind::kInsert) {
    plan.op = "PutItem";
    plan.insert = true;
    for (const std::string* attr : {&info.key.hash, &info.key.range}) {
      if (attr->empty()) continue;
      auto it = st.item.map.find(*attr);
      if (it != st.item.map.end()) plan.key[*attr] = it->second;
    }
    Key(w, "Item");
    WriteItem(w, st.item.map);
    // INSERT never replaces: a present key is DuplicateItemException.
    Key(w, "ConditionExpression");
    Str(w, "attribute_not_exists(" + b.Name(info.key.hash) + ")");
  } else {
    CheckKeyValueTypes(info.key, st.where.get());
    SingleItem s = ExtractKey(info.key, st.where.get(), key_mismatch);
    if (!s.key) {
      throw ApiError::Validation(
          "Where clause does not contain a mandatory equality on all key attributes");
    }
    plan.key = *s.key;
    Key(w, "Key");
    WriteItem(w, plan.key);
    std::string condition;
    if (st.kind == Statement::Kind::kUpdate) {
      plan.op = "UpdateItem";
      Key(w, "UpdateExpression");
      Str(w, UpdateExpressionText(b, st.updates));
      // UPDATE changes an existing item only (ConditionalCheckFailedException otherwise).
      condition = "attribute_exists(" + b.Name(info.key.hash) + ")";
    } else if (st.kind == Statement::Kind::kExists) {
      plan.op = "ConditionCheck";
      condition = "attribute_exists(" + b.Name(info.key.hash) + ")";
    } else {
      plan.op = "DeleteItem";
    }
    std::string rest = AndAll(b, s.rest);
    plan.conditioned = !rest.empty();
    if (plan.op == "DeleteItem" && !rest.empty()) {
      // A DELETE's condition is on the item it deletes: with no item there is nothing to
      // delete, and the statement succeeds (DynamoDB Local, alone, in batches and transactions).
      // One conjunct is parenthesized already: another pair would be redundant parentheses.
      if (s.rest.size() > 1) rest = "(" + rest + ")";
      condition = "attribute_not_exists(" + b.Name(info.key.hash) + ") OR " + rest;
    } else if (!rest.empty()) {
      condition += (condition.empty() ? "" : " AND ") + rest;
    }
    if (!condition.empty()) {
      Key(w, "ConditionExpression");
      Str(w, condition);
    }
    if (!st.returning.empty()) {
      Key(w, "ReturnValues");
      Str(w, st.returning);
    }
  }
  if (o.return_on_failure && !plan.insert) {
    Key(w, "ReturnValuesOnConditionCheckFailure");
    Str(w, *o.return_on_failure);
  }
  b.Write(w);
  w.EndObject();
  std::string all = Written(buf);
  plan.members = all.substr(1, all.size() - 2);
  return plan;
}

std::string WriteBody(const WritePlan& plan, const Options& o) {
  JsonBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteCommon(w, plan.table, o);
  w.EndObject();
  std::string head = Written(buf);
  head.pop_back();  // reopen the object to append the statement's members
  if (!plan.members.empty()) head += "," + plan.members;
  return head + "}";
}

// Runs a single write; the engine's response JSON.
std::string RunWrite(const Executor& execute, const WritePlan& plan, const Options& o) {
  try {
    return execute(plan.op, WriteBody(plan, o));
  } catch (const ApiError& e) {
    if (plan.insert && e.type() == "ConditionalCheckFailedException") throw DuplicateItem();
    throw;
  }
}

}  // namespace cruddur::ddb::partiql
