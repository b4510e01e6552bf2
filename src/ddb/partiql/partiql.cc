// Translation of parsed PartiQL statements into engine operations, and the three operations'
// request validation and response shapes.
#include "ddb/partiql/partiql.h"

#include <fmt/format.h>

#include <limits>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "ddb/error.h"
#include "ddb/expression/expression.h"
#include "ddb/json.h"
#include "ddb/partiql/parser.h"
#include "ddb/request.h"
#include "ddb/value_json.h"

namespace cruddur::ddb::partiql {
namespace {

constexpr size_t kMaxStatementLength = 8192;
constexpr char kDuplicateItem[] = "Duplicate primary key exists in table";

void Key(JsonWriter& w, std::string_view k) { w.Key(k.data(), static_cast<unsigned>(k.size())); }
void Str(JsonWriter& w, std::string_view s) { w.String(s.data(), static_cast<unsigned>(s.size())); }
std::string Written(const JsonBuffer& buf) { return std::string(buf.GetString(), buf.GetSize()); }

JsonDocument ParseJson(std::string_view json) {
  JsonDocument doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError()) throw ApiError::InternalServer("unreadable engine response");
  return doc;
}

ApiError DuplicateItem() { return {400, "DuplicateItemException", kDuplicateItem}; }

// --- table key schemas (from DescribeTable) ---

// One key attribute's name and type ("S", "N" or "B").
struct KeyAttribute {
  std::string name, type;
};

struct KeySchema {
  std::string hash, range;
  std::string hash_type, range_type;                // "S", "N" or "B"
  std::vector<KeyAttribute> more_hash, more_range;  // a GSI's multi-attribute key
  bool IsKey(const std::string& name) const {
    if (name == hash || (!range.empty() && name == range)) return true;
    for (const auto* more : {&more_hash, &more_range}) {
      for (const KeyAttribute& a : *more) {
        if (a.name == name) return true;
      }
    }
    return false;
  }
  // Every HASH (RANGE) attribute, in KeySchema order.
  std::vector<KeyAttribute> Hash() const {
    std::vector<KeyAttribute> out{{hash, hash_type}};
    out.insert(out.end(), more_hash.begin(), more_hash.end());
    return out;
  }
  std::vector<KeyAttribute> Range() const {
    std::vector<KeyAttribute> out;
    if (!range.empty()) out.push_back({range, range_type});
    out.insert(out.end(), more_range.begin(), more_range.end());
    return out;
  }
};

struct TableInfo {
  KeySchema key;
  std::map<std::string, KeySchema> indexes;
};

class Tables {
 public:
  explicit Tables(const Executor& execute) : execute_(execute) {}

  const TableInfo& Get(const std::string& name) {
    auto it = cache_.find(name);
    if (it != cache_.end()) return it->second;
    std::string body;
    {
      JsonBuffer buf;
      JsonWriter w(buf);
      w.StartObject();
      Key(w, "TableName");
      Str(w, name);
      w.EndObject();
      body = Written(buf);
    }
    std::string response;
    try {
      response = execute_("DescribeTable", body);
    } catch (const ApiError& e) {
      if (e.type() == "ResourceNotFoundException") throw ApiError::ResourceNotFound();
      throw;
    }
    JsonDocument doc = ParseJson(response);
    const JsonValue& table = doc["Table"];
    std::map<std::string, std::string> types;
    for (const auto& d : table["AttributeDefinitions"].GetArray()) {
      types[d["AttributeName"].GetString()] = d["AttributeType"].GetString();
    }
    auto read_key = [&](const JsonValue& schema) {
      KeySchema k;
      for (const auto& e : schema.GetArray()) {
        std::string attr = e["AttributeName"].GetString();
        bool hash = std::string_view(e["KeyType"].GetString()) == "HASH";
        if (hash && !k.hash.empty()) {
          k.more_hash.push_back({attr, types[attr]});
        } else if (hash) {
          k.hash = attr;
          k.hash_type = types[attr];
        } else if (!k.range.empty()) {
          k.more_range.push_back({attr, types[attr]});
        } else {
          k.range = attr;
          k.range_type = types[attr];
        }
      }
      return k;
    };
    TableInfo info;
    info.key = read_key(table["KeySchema"]);
    for (const char* member : {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"}) {
      if (!table.HasMember(member)) continue;
      for (const auto& index : table[member].GetArray()) {
        info.indexes[index["IndexName"].GetString()] = read_key(index["KeySchema"]);
      }
    }
    return cache_.emplace(name, std::move(info)).first->second;
  }

  const Executor& execute() const { return execute_; }

 private:
  const Executor& execute_;
  std::map<std::string, TableInfo> cache_;
};

// --- expressions: PartiQL conditions as DynamoDB expression text ---

class ExpressionBuilder {
 public:
  std::string Name(const std::string& name) {
    auto it = aliases_.find(name);
    if (it != aliases_.end()) return it->second;
    std::string alias = fmt::format("#n{}", aliases_.size());
    aliases_.emplace(name, alias);
    names_.emplace_back(alias, name);
    return alias;
  }
  std::string Value(const AttributeValue& v) {
    std::string alias = fmt::format(":v{}", values_.size());
    values_.emplace_back(alias, v);
    return alias;
  }
  std::string PathText(const Path& path) {
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
  std::string OperandText(const Operand& o) {
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
  std::string ConditionText(const Condition& c) {
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

  bool empty() const { return names_.empty() && values_.empty(); }
  // Writes ExpressionAttributeNames / ExpressionAttributeValues (each only when used).
  void Write(JsonWriter& w) const {
    if (!names_.empty()) {
      Key(w, "ExpressionAttributeNames");
      w.StartObject();
      for (const auto& [alias, name] : names_) {
        Key(w, alias);
        Str(w, name);
      }
      w.EndObject();
    }
    if (!values_.empty()) {
      Key(w, "ExpressionAttributeValues");
      w.StartObject();
      for (const auto& [alias, value] : values_) {
        Key(w, alias);
        WriteAttributeValue(w, value);
      }
      w.EndObject();
    }
  }

 private:
  static void RequirePath(const Operand& o) {
    if (o.kind != Operand::Kind::kPath) {
      throw ApiError::Validation(
          "The left hand side argument to IS must be a Variable Reference, Literal, or Path");
    }
  }

  std::map<std::string, std::string> aliases_;
  std::vector<std::pair<std::string, std::string>> names_;
  std::vector<std::pair<std::string, AttributeValue>> values_;
};

// --- WHERE analysis ---

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
  if (TypeName(v.type) != type) {
    throw ApiError::Validation(fmt::format(
        "Key attribute's data type should match its data type in table's schema: Key {}", attr));
  }
}

// The full primary key of a single-item statement (UPDATE, DELETE, transactional SELECT) and
// the conditions left over. Null key when some key attribute has no equality.
struct SingleItem {
  std::optional<Item> key;
  std::vector<const Condition*> rest;
};

SingleItem ExtractKey(const KeySchema& schema, const Condition* where) {
  std::vector<const Condition*> conjuncts;
  Conjuncts(where, &conjuncts);
  SingleItem out;
  Item key;
  for (const Condition* c : conjuncts) {
    bool used = false;
    for (const std::string* attr : {&schema.hash, &schema.range}) {
      if (attr->empty() || key.count(*attr)) continue;
      if (const AttributeValue* v = EqualityOn(*c, *attr)) {
        CheckKeyType(*attr, *attr == schema.hash ? schema.hash_type : schema.range_type, *v);
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

// --- projections of result items (done here: DynamoDB names a nested path by its last part) ---

const JsonValue* Navigate(const JsonValue& item, const Path& path) {
  if (!item.IsObject()) return nullptr;
  auto top = item.FindMember(path[0].name.c_str());
  if (top == item.MemberEnd()) return nullptr;
  const JsonValue* v = &top->value;
  for (size_t i = 1; i < path.size(); ++i) {
    const PathStep& step = path[i];
    if (step.is_index()) {
      auto l = v->FindMember("L");
      if (l == v->MemberEnd() || step.index >= static_cast<int64_t>(l->value.Size())) {
        return nullptr;
      }
      v = &l->value[static_cast<rapidjson::SizeType>(step.index)];
    } else {
      auto m = v->FindMember("M");
      if (m == v->MemberEnd()) return nullptr;
      auto e = m->value.FindMember(step.name.c_str());
      if (e == m->value.MemberEnd()) return nullptr;
      v = &e->value;
    }
  }
  return v;
}

void WriteProjected(JsonWriter& w, const JsonValue& item, const std::vector<Path>& projection) {
  if (projection.empty()) {
    item.Accept(w);
    return;
  }
  w.StartObject();
  for (const Path& p : projection) {
    if (const JsonValue* v = Navigate(item, p)) {
      Key(w, ProjectionLabel(p));
      v->Accept(w);
    }
  }
  w.EndObject();
}

// --- statements as engine operations ---

struct EngineCall {
  std::string op;    // "GetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem"
  std::string body;  // its request JSON
};

struct Options {
  bool consistent_read = false;
  std::optional<int64_t> limit;
  std::optional<std::string> next_token;
  std::optional<std::string> return_capacity;
  std::optional<std::string> return_on_failure;  // ReturnValuesOnConditionCheckFailure
};

// The whole-table scan or the query a SELECT becomes, plus any conditions that must be
// checked here (those on key attributes that a Query's FilterExpression may not name).
struct ReadPlan {
  EngineCall call;
  std::optional<std::string> post_filter_text;
  std::string post_filter_subs;  // {"ExpressionAttributeNames":...,"ExpressionAttributeValues":...}
};

void WriteCommon(JsonWriter& w, const std::string& table, const Options& o) {
  Key(w, "TableName");
  Str(w, table);
  if (o.return_capacity) {
    Key(w, "ReturnConsumedCapacity");
    Str(w, *o.return_capacity);
  }
}

std::string EncodeToken(const JsonValue& last_key) {
  JsonBuffer buf;
  JsonWriter w(buf);
  last_key.Accept(w);
  return Base64Encode(std::string_view(buf.GetString(), buf.GetSize()));
}

void WriteStartKey(JsonWriter& w, const std::string& token) {
  std::string json;
  JsonDocument doc;
  // Iterative: the token is the client's, and the recursive parser overflows on deep nesting.
  if (Base64Decode(token, &json)) {
    doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  }
  if (json.empty() || doc.HasParseError() || !doc.IsObject()) {
    throw ApiError::Validation("Invalid NextToken");
  }
  Key(w, "ExclusiveStartKey");
  doc.Accept(w);
}

// The sort key part of a Query's KeyConditionExpression (" AND ..." or empty): the RANGE
// attributes left to right, each pinned by an equality until one has a range condition (or
// none); the conditions taken are added to `used`.
std::string SortKeyConditions(ExpressionBuilder& b, const KeySchema& key,
                              const std::vector<const Condition*>& conjuncts,
                              std::vector<const Condition*>* used) {
  auto unused = [&](const Condition* c) {
    return std::find(used->begin(), used->end(), c) == used->end();
  };
  std::string kce;
  for (const KeyAttribute& r : key.Range()) {
    const Condition* eq = nullptr;
    const Condition* other = nullptr;
    for (const Condition* c : conjuncts) {
      if (!unused(c)) continue;
      if (!eq && EqualityOn(*c, r.name)) eq = c;
      ExpressionBuilder probe;
      if (!other && !RangeKeyCondition(probe, *c, r.name).empty()) other = c;
    }
    const Condition* c = eq ? eq : other;
    if (!c) break;
    for (const AttributeValue* v : ConditionValues(*c)) CheckKeyType(r.name, r.type, *v);
    kce += " AND " + RangeKeyCondition(b, *c, r.name);
    used->push_back(c);
    if (!eq) break;  // only the last sort key condition may be other than `=`
  }
  return kce;
}

ReadPlan PlanSelect(Tables& tables, const Statement& st, const Options& o) {
  const TableInfo& info = tables.Get(st.table);
  const KeySchema* key = &info.key;
  if (!st.index.empty()) {
    auto it = info.indexes.find(st.index);
    if (it == info.indexes.end()) {
      throw ApiError::Validation("The table does not have the specified index: " + st.index);
    }
    key = &it->second;
  }
  std::vector<const Condition*> conjuncts;
  Conjuncts(st.where.get(), &conjuncts);

  // Every hash key attribute pinned by an equality makes a Query; sort key conditions join it.
  std::vector<const Condition*> hash_eqs;
  for (const KeyAttribute& h : key->Hash()) {
    for (const Condition* c : conjuncts) {
      if (const AttributeValue* v = EqualityOn(*c, h.name)) {
        CheckKeyType(h.name, h.type, *v);
        hash_eqs.push_back(c);
        break;
      }
    }
  }
  const bool query = hash_eqs.size() == key->Hash().size();
  if (!st.order_by.empty()) {
    if (!query) {
      throw ApiError::Validation(
          "Must have at least one non-optional hash key condition in "
          "WHERE clause when using ORDER BY clause.");
    }
    if (!key->IsKey(st.order_by)) {
      throw ApiError::Validation(fmt::format(
          "Variable reference {} in ORDER BY clause must be part of the primary key", st.order_by));
    }
  }

  ReadPlan plan;
  JsonBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteCommon(w, st.table, o);
  if (!st.index.empty()) {
    Key(w, "IndexName");
    Str(w, st.index);
  }
  if (o.consistent_read) {
    Key(w, "ConsistentRead");
    w.Bool(true);
  }
  if (o.limit) {
    Key(w, "Limit");
    w.Int64(*o.limit);
  }
  if (o.next_token) WriteStartKey(w, *o.next_token);

  ExpressionBuilder b;
  if (query) {
    plan.call.op = "Query";
    std::string kce;
    std::vector<const Condition*> used = hash_eqs;
    std::vector<KeyAttribute> hash = key->Hash();
    for (size_t i = 0; i < hash.size(); ++i) {
      kce += (i ? " AND " : "") + b.Name(hash[i].name) + " = " +
             b.Value(*EqualityOn(*hash_eqs[i], hash[i].name));
    }
    kce += SortKeyConditions(b, *key, conjuncts, &used);
    std::vector<const Condition*> rest;
    for (const Condition* c : conjuncts) {
      if (std::find(used.begin(), used.end(), c) == used.end()) rest.push_back(c);
    }
    Key(w, "KeyConditionExpression");
    Str(w, kce);
    if (!st.order_by.empty()) {
      Key(w, "ScanIndexForward");
      w.Bool(!st.descending);
    }
    std::set<std::string> touched;
    for (const Condition* c : rest) CollectPaths(*c, &touched);
    bool on_key = false;
    for (const auto& n : touched) on_key = on_key || key->IsKey(n);
    if (!rest.empty() && !on_key) {
      Key(w, "FilterExpression");
      Str(w, AndAll(b, rest));
    } else if (!rest.empty()) {
      // A Query's filter may not name key attributes: check those conditions here instead.
      ExpressionBuilder post;
      plan.post_filter_text = AndAll(post, rest);
      JsonBuffer sb;
      JsonWriter sw(sb);
      sw.StartObject();
      post.Write(sw);
      sw.EndObject();
      plan.post_filter_subs = Written(sb);
    }
  } else {
    plan.call.op = "Scan";
    if (st.where) {
      Key(w, "FilterExpression");
      Str(w, b.ConditionText(*st.where));
    }
  }
  b.Write(w);
  w.EndObject();
  plan.call.body = Written(buf);
  return plan;
}

// A SELECT that names one whole primary key and nothing else (batches, transactions, and the
// GetItem shortcut of ExecuteStatement); nullopt otherwise.
std::optional<Item> SingleItemKey(Tables& tables, const Statement& st) {
  if (!st.index.empty()) return std::nullopt;
  SingleItem s = ExtractKey(tables.Get(st.table).key, st.where.get());
  if (!s.key || !s.rest.empty()) return std::nullopt;
  return s.key;
}

std::string GetItemBody(const Statement& st, const Item& key, const Options& o) {
  JsonBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  WriteCommon(w, st.table, o);
  Key(w, "Key");
  WriteItem(w, key);
  if (o.consistent_read) {
    Key(w, "ConsistentRead");
    w.Bool(true);
  }
  w.EndObject();
  return Written(buf);
}

// --- writes ---

// A write statement as the members of PutItem / UpdateItem / DeleteItem (and of the matching
// TransactWriteItems entries), without the braces' TableName/capacity members.
struct WritePlan {
  std::string op;       // "PutItem", "UpdateItem", "DeleteItem", "ConditionCheck"
  std::string members;  // JSON members (no braces): Key/Item, expressions
  std::string table;
  Item key;  // the item's primary key (duplicate checks)
  bool insert = false;
};

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

WritePlan PlanWrite(Tables& tables, const Statement& st, const Options& o) {
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
    SingleItem s = ExtractKey(info.key, st.where.get());
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
    if (!rest.empty()) condition += (condition.empty() ? "" : " AND ") + rest;
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

// --- request members ---

std::vector<AttributeValue> ParseParameters(const JsonValue& obj, const std::string& field,
                                            ConstraintErrors& errors) {
  std::vector<AttributeValue> params;
  const JsonValue* p = Request::ArrayOf(obj, "Parameters");
  if (!p) return params;
  if (p->Empty()) {
    errors.Add(
        fmt::format("Value '[]' at '{}' failed to satisfy constraint: Member must have "
                    "length greater than or equal to 1",
                    field));
  }
  for (const auto& v : p->GetArray()) params.push_back(ParseAttributeValue(v));
  return params;
}

void CheckStatementText(const std::optional<std::string_view>& text, const std::string& field,
                        ConstraintErrors& errors) {
  if (!text) {
    errors.NotNull(field);
  } else if (text->empty()) {
    errors.Add(
        fmt::format("Value '' at '{}' failed to satisfy constraint: Member must have "
                    "length greater than or equal to 1",
                    field));
  } else if (text->size() > kMaxStatementLength) {
    errors.Add(
        fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must have "
                    "length less than or equal to {}",
                    *text, field, kMaxStatementLength));
  }
}

std::optional<std::string> OptionalEnum(const JsonValue& obj, std::string_view member,
                                        const std::string& field,
                                        const std::vector<std::string_view>& allowed,
                                        ConstraintErrors& errors) {
  auto v = Request::StringOf(obj, member);
  if (!v) return std::nullopt;
  errors.CheckEnum(field, *v, allowed);
  return std::string(*v);
}

const std::vector<std::string_view> kCapacityModes = {"INDEXES", "TOTAL", "NONE"};
const std::vector<std::string_view> kOnFailure = {"ALL_OLD", "NONE"};

void CopyCapacity(JsonWriter& w, const JsonDocument& response) {
  if (response.IsObject() && response.HasMember("ConsumedCapacity")) {
    Key(w, "ConsumedCapacity");
    response["ConsumedCapacity"].Accept(w);
  }
}

// Batch error codes are the exception names DynamoDB's BatchStatementError uses.
std::string BatchErrorCode(const std::string& type) {
  static const std::map<std::string, std::string> kCodes = {
      {"ValidationException", "ValidationError"},
      {"ConditionalCheckFailedException", "ConditionalCheckFailed"},
      {"DuplicateItemException", "DuplicateItem"},
      {"ResourceNotFoundException", "ResourceNotFound"},
      {"TransactionConflictException", "TransactionConflict"},
      {"ProvisionedThroughputExceededException", "ProvisionedThroughputExceeded"},
      {"ItemCollectionSizeLimitExceededException", "ItemCollectionSizeLimitExceeded"},
      {"RequestLimitExceeded", "RequestLimitExceeded"},
      {"ThrottlingException", "ThrottlingError"},
      {"AccessDeniedException", "AccessDenied"},
      {"InternalServerError", "InternalServerError"}};
  auto it = kCodes.find(type);
  if (it != kCodes.end()) return it->second;
  std::string code = type;
  if (code.size() > 9 && code.ends_with("Exception")) code.resize(code.size() - 9);
  return code;
}

std::string KeyId(const std::string& table, const Item& key) {
  JsonBuffer buf;
  JsonWriter w(buf);
  WriteItem(w, key);
  return table + '\0' + Written(buf);
}

}  // namespace

// --- ExecuteStatement ---

std::string ExecuteStatement(const Executor& execute, std::string_view request_json) {
  // The translated expressions answer to PartiQL's limits, not to those of a client's.
  expr::ClientLimitsExempt exempt;
  Request req(request_json);
  ConstraintErrors errors;
  auto text = req.String("Statement");
  CheckStatementText(text, "statement", errors);
  std::vector<AttributeValue> params = ParseParameters(req.root(), "parameters", errors);
  Options o;
  o.consistent_read = req.Bool("ConsistentRead").value_or(false);
  if (auto limit = req.Int("Limit")) {
    errors.CheckRange("limit", *limit, 1, std::numeric_limits<int32_t>::max());
    o.limit = *limit;
  }
  if (auto token = req.String("NextToken")) {
    if (token->empty() || token->size() > 32768) {
      errors.Add(
          fmt::format("Value '{}' at 'nextToken' failed to satisfy constraint: Member "
                      "must have length {} than or equal to {}",
                      *token, token->empty() ? "greater" : "less", token->empty() ? 1 : 32768));
    }
    o.next_token = std::string(*token);
  }
  o.return_capacity = OptionalEnum(req.root(), "ReturnConsumedCapacity", "returnConsumedCapacity",
                                   kCapacityModes, errors);
  o.return_on_failure = OptionalEnum(req.root(), "ReturnValuesOnConditionCheckFailure",
                                     "returnValuesOnConditionCheckFailure", kOnFailure, errors);
  errors.ThrowIfAny();

  Statement st = Parse(*text, params);
  if (st.kind == Statement::Kind::kExists) {
    throw ApiError::Validation("EXISTS can only be used in ExecuteTransaction write requests.");
  }
  Tables tables(execute);
  JsonBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  if (!st.is_read()) {
    WritePlan plan = PlanWrite(tables, st, o);
    JsonDocument response = ParseJson(RunWrite(execute, plan, o));
    Key(w, "Items");
    w.StartArray();
    if (response.HasMember("Attributes")) response["Attributes"].Accept(w);
    w.EndArray();
    CopyCapacity(w, response);
    w.EndObject();
    return Written(buf);
  }

  // A whole key and nothing else: one GetItem.
  std::optional<Item> key;
  if (st.order_by.empty()) key = SingleItemKey(tables, st);
  if (key) {
    JsonDocument response = ParseJson(execute("GetItem", GetItemBody(st, *key, o)));
    Key(w, "Items");
    w.StartArray();
    if (response.HasMember("Item")) WriteProjected(w, response["Item"], st.projection);
    w.EndArray();
    CopyCapacity(w, response);
    w.EndObject();
    return Written(buf);
  }

  ReadPlan plan = PlanSelect(tables, st, o);
  std::string raw;
  try {
    raw = execute(plan.call.op, plan.call.body);
  } catch (const ApiError& e) {
    // A token of another statement names a key of another shape.
    if (o.next_token && e.message().starts_with("The provided starting key is invalid")) {
      throw ApiError::Validation("The provided starting key is invalid");
    }
    throw;
  }
  JsonDocument response = ParseJson(raw);
  std::optional<expr::Condition> post_filter;
  expr::Substitutions post_subs;
  if (plan.post_filter_text) {
    JsonDocument subs = ParseJson(plan.post_filter_subs);
    post_subs = expr::Substitutions::Parse(Request::ObjectOf(subs, "ExpressionAttributeNames"),
                                           Request::ObjectOf(subs, "ExpressionAttributeValues"));
    post_filter = expr::Condition::Parse(*plan.post_filter_text, post_subs, "FilterExpression");
  }
  Key(w, "Items");
  w.StartArray();
  for (const auto& item : response["Items"].GetArray()) {
    if (post_filter && !post_filter->Evaluate(ParseItem(item))) continue;
    WriteProjected(w, item, st.projection);
  }
  w.EndArray();
  if (response.HasMember("LastEvaluatedKey")) {
    Key(w, "NextToken");
    Str(w, EncodeToken(response["LastEvaluatedKey"]));
    Key(w, "LastEvaluatedKey");
    response["LastEvaluatedKey"].Accept(w);
  }
  CopyCapacity(w, response);
  w.EndObject();
  return Written(buf);
}

// --- BatchExecuteStatement ---

std::string BatchExecuteStatement(const Executor& execute, std::string_view request_json) {
  // The translated expressions answer to PartiQL's limits, not to those of a client's.
  expr::ClientLimitsExempt exempt;
  Request req(request_json);
  ConstraintErrors errors;
  const JsonValue* statements = req.Array("Statements");
  if (!statements) {
    errors.NotNull("statements");
  } else if (statements->Empty() || statements->Size() > 25) {
    errors.Add(
        fmt::format("Value '[]' at 'statements' failed to satisfy constraint: Member must "
                    "have length {} than or equal to {}",
                    statements->Empty() ? "greater" : "less", statements->Empty() ? 1 : 25));
  }
  Options common;
  common.return_capacity = OptionalEnum(req.root(), "ReturnConsumedCapacity",
                                        "returnConsumedCapacity", kCapacityModes, errors);
  errors.ThrowIfAny();

  struct Entry {
    std::optional<Statement> statement;
    std::optional<ApiError> error;
    Options options;
    std::optional<Item> key;
    std::optional<WritePlan> write;
  };
  std::vector<Entry> entries(statements->Size());
  for (rapidjson::SizeType i = 0; i < statements->Size(); ++i) {
    const JsonValue& s = (*statements)[i];
    if (!s.IsObject()) throw ApiError::Serialization("Unexpected value type in payload");
    std::string field = fmt::format("statements.{}.member", i + 1);
    auto text = Request::StringOf(s, "Statement");
    CheckStatementText(text, field + ".statement", errors);
    std::vector<AttributeValue> params = ParseParameters(s, field + ".parameters", errors);
    entries[i].options.consistent_read = Request::BoolOf(s, "ConsistentRead").value_or(false);
    entries[i].options.return_on_failure =
        OptionalEnum(s, "ReturnValuesOnConditionCheckFailure",
                     field + ".returnValuesOnConditionCheckFailure", kOnFailure, errors);
    if (!errors.empty()) continue;
    try {
      Statement st = Parse(*text, params);
      if (st.kind == Statement::Kind::kExists) {
        throw ApiError::Validation(
            "EXISTS can only be used in ExecuteTransaction write "
            "requests.");
      }
      entries[i].statement = std::move(st);
    } catch (const ApiError& e) {
      entries[i].error = e;
    }
  }
  errors.ThrowIfAny();

  // The first statement that parses decides: a batch is all reads or all writes.
  std::optional<bool> reads;
  for (const auto& e : entries) {
    if (!e.statement) continue;
    if (!reads) reads = e.statement->is_read();
    if (*reads != e.statement->is_read()) {
      throw ApiError::Validation(
          "Read and write requests together in the same batch is not "
          "supported.");
    }
  }

  Tables tables(execute);
  std::set<std::string> keys;
  for (auto& e : entries) {
    if (!e.statement) continue;
    try {
      if (e.statement->is_read()) {
        e.key = SingleItemKey(tables, *e.statement);
        if (!e.key) throw ApiError::Validation("Only single item select is supported");
        if (!keys.insert(KeyId(e.statement->table, *e.key)).second) {
          throw ApiError::Validation("Provided list of item keys contains duplicates");
        }
      } else {
        e.write = PlanWrite(tables, *e.statement, e.options);
      }
    } catch (const ApiError& err) {
      if (err.message() == "Provided list of item keys contains duplicates") throw;
      e.error = err;
      e.statement.reset();
    }
  }
  for (const auto& e : entries) {
    if (e.write && !e.write->key.empty() &&
        !keys.insert(KeyId(e.write->table, e.write->key)).second) {
      throw ApiError::Validation("Provided list of item keys contains duplicates");
    }
  }

  JsonBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  Key(w, "Responses");
  w.StartArray();
  for (auto& e : entries) {
    w.StartObject();
    std::optional<ApiError> error = e.error;
    if (e.statement) {
      const Statement& st = *e.statement;
      try {
        JsonDocument response;
        if (st.is_read()) {
          Options o = e.options;
          response = ParseJson(execute("GetItem", GetItemBody(st, *e.key, o)));
        } else {
          response = ParseJson(RunWrite(execute, *e.write, e.options));
        }
        Key(w, "TableName");
        Str(w, st.table);
        if (st.is_read() && response.HasMember("Item")) {
          Key(w, "Item");
          WriteProjected(w, response["Item"], st.projection);
        } else if (!st.is_read() && response.HasMember("Attributes")) {
          Key(w, "Item");
          response["Attributes"].Accept(w);
        }
      } catch (const ApiError& err) {
        error = err;
        Key(w, "TableName");
        Str(w, st.table);
      }
    }
    if (error) {
      Key(w, "Error");
      w.StartObject();
      Key(w, "Code");
      Str(w, BatchErrorCode(error->type()));
      Key(w, "Message");
      Str(w, error->message());
      if (!error->extra_json().empty()) {
        JsonDocument extra = ParseJson("{" + error->extra_json() + "}");
        if (extra.HasMember("Item")) {
          Key(w, "Item");
          extra["Item"].Accept(w);
        }
      }
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return Written(buf);
}

// --- ExecuteTransaction ---

std::string ExecuteTransaction(const Executor& execute, std::string_view request_json) {
  // The translated expressions answer to PartiQL's limits, not to those of a client's.
  expr::ClientLimitsExempt exempt;
  Request req(request_json);
  ConstraintErrors errors;
  const JsonValue* statements = req.Array("TransactStatements");
  if (!statements) {
    errors.NotNull("transactStatements");
  } else if (statements->Empty() || statements->Size() > 100) {
    errors.Add(
        fmt::format("Value '[]' at 'transactStatements' failed to satisfy constraint: "
                    "Member must have length {} than or equal to {}",
                    statements->Empty() ? "greater" : "less", statements->Empty() ? 1 : 100));
  }
  auto token = req.String("ClientRequestToken");
  if (token && (token->empty() || token->size() > 36)) {
    errors.Add(
        fmt::format("Value '{}' at 'clientRequestToken' failed to satisfy constraint: "
                    "Member must have length {} than or equal to {}",
                    *token, token->empty() ? "greater" : "less", token->empty() ? 1 : 36));
  }
  Options common;
  common.return_capacity = OptionalEnum(req.root(), "ReturnConsumedCapacity",
                                        "returnConsumedCapacity", kCapacityModes, errors);
  errors.ThrowIfAny();

  std::vector<Statement> parsed;
  std::vector<Options> options(statements->Size());
  for (rapidjson::SizeType i = 0; i < statements->Size(); ++i) {
    const JsonValue& s = (*statements)[i];
    if (!s.IsObject()) throw ApiError::Serialization("Unexpected value type in payload");
    std::string field = fmt::format("transactStatements.{}.member", i + 1);
    auto text = Request::StringOf(s, "Statement");
    CheckStatementText(text, field + ".statement", errors);
    std::vector<AttributeValue> params = ParseParameters(s, field + ".parameters", errors);
    options[i].return_on_failure =
        OptionalEnum(s, "ReturnValuesOnConditionCheckFailure",
                     field + ".returnValuesOnConditionCheckFailure", kOnFailure, errors);
    errors.ThrowIfAny();
    parsed.push_back(Parse(*text, params));
    if (i > 0 && parsed.back().is_read() != parsed.front().is_read()) {
      throw ApiError::Validation(
          "ExecuteTransaction API does not support both read and write "
          "operations in the same request.");
    }
  }

  Tables tables(execute);
  JsonBuffer buf;
  JsonWriter w(buf);
  if (parsed.front().is_read()) {
    std::string body;
    {
      JsonBuffer rb;
      JsonWriter rw(rb);
      rw.StartObject();
      if (common.return_capacity) {
        Key(rw, "ReturnConsumedCapacity");
        Str(rw, *common.return_capacity);
      }
      Key(rw, "TransactItems");
      rw.StartArray();
      for (const auto& st : parsed) {
        if (!st.index.empty()) {
          throw ApiError::Validation("Reads on indices are not supported within transactions.");
        }
        std::optional<Item> key = SingleItemKey(tables, st);
        if (!key) {
          throw ApiError::Validation(
              "Select statements within ExecuteTransaction must specify "
              "the primary key in the where clause.");
        }
        rw.StartObject();
        Key(rw, "Get");
        rw.StartObject();
        Key(rw, "TableName");
        Str(rw, st.table);
        Key(rw, "Key");
        WriteItem(rw, *key);
        rw.EndObject();
        rw.EndObject();
      }
      rw.EndArray();
      rw.EndObject();
      body = Written(rb);
    }
    JsonDocument response = ParseJson(execute("TransactGetItems", body));
    w.StartObject();
    Key(w, "Responses");
    w.StartArray();
    const JsonValue& items = response["Responses"];
    for (rapidjson::SizeType i = 0; i < items.Size(); ++i) {
      w.StartObject();
      if (items[i].HasMember("Item")) {
        Key(w, "Item");
        WriteProjected(w, items[i]["Item"], parsed[i].projection);
      }
      w.EndObject();
    }
    w.EndArray();
    CopyCapacity(w, response);
    w.EndObject();
    return Written(buf);
  }

  std::vector<WritePlan> plans;
  for (size_t i = 0; i < parsed.size(); ++i) {
    if (!parsed[i].returning.empty()) {
      throw ApiError::Validation("Unsupported operation in transaction.");
    }
    plans.push_back(PlanWrite(tables, parsed[i], options[i]));
  }
  std::string body;
  {
    JsonBuffer rb;
    JsonWriter rw(rb);
    rw.StartObject();
    if (token) {
      Key(rw, "ClientRequestToken");
      Str(rw, *token);
    }
    if (common.return_capacity) {
      Key(rw, "ReturnConsumedCapacity");
      Str(rw, *common.return_capacity);
    }
    Key(rw, "TransactItems");
    rw.StartArray();
    static const std::map<std::string, std::string> kEntry = {{"PutItem", "Put"},
                                                              {"UpdateItem", "Update"},
                                                              {"DeleteItem", "Delete"},
                                                              {"ConditionCheck", "ConditionCheck"}};
    for (const auto& plan : plans) {
      rw.StartObject();
      Key(rw, kEntry.at(plan.op));
      std::string entry = WriteBody(plan, Options{});
      rw.RawValue(entry.data(), entry.size(), rapidjson::kObjectType);
      rw.EndObject();
    }
    rw.EndArray();
    rw.EndObject();
    body = Written(rb);
  }
  std::string raw;
  try {
    raw = execute("TransactWriteItems", body);
  } catch (const ApiError& e) {
    if (e.type() != "TransactionCanceledException" || e.extra_json().empty()) throw;
    // An INSERT's failed attribute_not_exists is DynamoDB's DuplicateItem reason.
    JsonDocument extra = ParseJson("{" + e.extra_json() + "}");
    if (!extra.HasMember("CancellationReasons")) throw;
    JsonValue& reasons = extra["CancellationReasons"];
    auto& alloc = extra.GetAllocator();
    std::string codes;
    for (rapidjson::SizeType i = 0; i < reasons.Size() && i < plans.size(); ++i) {
      JsonValue& r = reasons[i];
      if (plans[i].insert && r.HasMember("Code") &&
          std::string_view(r["Code"].GetString()) == "ConditionalCheckFailed") {
        r["Code"].SetString("DuplicateItem", alloc);
        if (r.HasMember("Message"))
          r["Message"].SetString(kDuplicateItem, alloc);
        else
          r.AddMember("Message", JsonValue(kDuplicateItem, alloc), alloc);
      }
      codes += (i ? ", " : "") + std::string(r["Code"].GetString());
    }
    JsonBuffer eb;
    JsonWriter ew(eb);
    extra.Accept(ew);
    std::string extra_json = Written(eb);
    throw ApiError::TransactionCanceled(
        fmt::format("Transaction cancelled, please refer cancellation reasons for specific "
                    "reasons [{}]",
                    codes))
        .with_extra_json(extra_json.substr(1, extra_json.size() - 2));
  }
  JsonDocument response = ParseJson(raw);
  w.StartObject();
  CopyCapacity(w, response);
  w.EndObject();
  return Written(buf);
}

}  // namespace cruddur::ddb::partiql
