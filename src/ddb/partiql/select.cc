// SELECT as the engine operation that does the same work (GetItem, Query or Scan), and the
// projection of its result items.
#include "ddb/partiql/translate.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ddb/java_set_order.h"
#include "ddb/table_schema.h"

namespace cruddur::ddb::partiql {
namespace {

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

}  // namespace

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

void WriteCommon(JsonWriter& w, const std::string& table, const Options& o) {
  Key(w, "TableName");
  Str(w, table);
  if (o.return_capacity) {
    Key(w, "ReturnConsumedCapacity");
    Str(w, *o.return_capacity);
  }
}

constexpr char kTokenIndex[] = "$index";

std::string EncodeToken(const JsonValue& last_key, const std::string& index) {
  JsonBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  for (const auto& m : last_key.GetObject()) {
    Key(w, std::string_view(m.name.GetString(), m.name.GetStringLength()));
    m.value.Accept(w);
  }
  if (!index.empty()) {
    Key(w, kTokenIndex);
    Str(w, index);
  }
  w.EndObject();
  return Base64Encode(std::string_view(buf.GetString(), buf.GetSize()));
}

namespace {

void WriteStartKey(JsonWriter& w, const std::string& token, const std::string& index) {
  std::string json;
  JsonDocument doc;
  // Iterative: the token is the client's, and the recursive parser overflows on deep nesting.
  if (Base64Decode(token, &json)) {
    doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  }
  if (json.empty() || doc.HasParseError() || !doc.IsObject()) {
    throw ApiError::Validation("Invalid NextToken");
  }
  // A token of another index (or of the table) is refused as a token of another statement is.
  // The marker is the member with a string value: a key attribute may be named "$index" too.
  auto named = doc.MemberEnd();
  for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
    if (m->name == kTokenIndex && m->value.IsString()) named = m;
  }
  const bool ours = named == doc.MemberEnd() ? index.empty() : named->value.GetString() == index;
  if (!ours) throw ApiError::Validation("The provided starting key is invalid");
  if (named != doc.MemberEnd()) doc.EraseMember(named);
  Key(w, "ExclusiveStartKey");
  doc.Accept(w);
}

}  // namespace

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
    for (const AttributeValue* v : ConditionValues(*c)) {
      // An ordering with a value that has no order (not S, N or B): the key condition's error.
      if (eq || v->is_ordered()) CheckKeyType(r.name, r.type, *v);
    }
    kce += " AND " + RangeKeyCondition(b, *c, r.name);
    used->push_back(c);
    if (!eq) break;  // only the last sort key condition may be other than `=`
  }
  return kce;
}

namespace {

// Those of `names` a partial index does not hold (`holds`: its keys and projected attributes),
// in the order of `names`.
template <typename Names>
std::vector<std::string> NotHeld(const std::vector<std::string>& holds, const Names& names) {
  std::vector<std::string> missing;
  for (const std::string& name : names) {
    if (std::find(holds.begin(), holds.end(), name) == holds.end()) missing.push_back(name);
  }
  return missing;
}

// A read keyed on a partial index (every partition key attribute pinned by `=` or IN at the top
// level of WHERE) may not filter on an attribute the index does not project, of either kind;
// unkeyed, it scans the index, where such a condition meets no attribute (DynamoDB, in
// nubo-db/dynamodb-conformance). The words and the order of the names are Query's.
void CheckFilterProjected(const KeySchema& key,
                          const std::pair<const std::string, std::vector<std::string>>& index,
                          const std::vector<const Condition*>& conjuncts) {
  for (const KeyAttribute& h : key.Hash()) {
    const bool pinned = std::any_of(conjuncts.begin(), conjuncts.end(), [&](const Condition* c) {
      return EqualityOn(*c, h.name) ||
             (c->kind == Condition::Kind::kIn && IsAttribute(c->operands[0], h.name));
    });
    if (!pinned) return;
  }
  std::set<std::string> named;
  for (const Condition* c : conjuncts) CollectPaths(*c, &named);
  ddb::CheckFilterProjects(index.first, NotHeld(index.second, named));
}

}  // namespace

ReadPlan PlanSelect(Tables& tables, const Statement& st, const Options& o) {
  const TableInfo& info = tables.Get(st.table);
  const KeySchema* key = &info.key;
  if (!st.index.empty()) {
    auto it = info.indexes.find(st.index);
    // Worded apart from Query's, which names the index (DynamoDB, in
    // nubo-db/dynamodb-conformance; a qualifier naming the table itself is no index either).
    if (it == info.indexes.end()) {
      throw ApiError::Validation("The table does not have the specified index");
    }
    key = &it->second;
    if (o.consistent_read && info.gsis.count(st.index)) {
      throw ApiError::Validation(
          "Strongly consistent read is not supported on Global Secondary Indexes");
    }
  }
  CheckKeyComparisons(*key, st.where.get());
  const auto partial = info.partial_indexes.find(st.index);
  // What the SELECT names that the index does not project: a GSI refuses it (as its Query and
  // Scan answer), an LSI fetches the items from the table (charged to the table's arm).
  bool fetch_from_table = false;
  if (partial != info.partial_indexes.end()) {
    std::vector<std::string> named;
    for (const Path& path : st.projection) named.push_back(path.front().name);
    const std::vector<std::string> missing = NotHeld(partial->second, named);
    if (info.gsis.count(st.index)) ddb::CheckGsiProjects(st.index, missing);
    fetch_from_table = !missing.empty();
  }
  std::vector<const Condition*> conjuncts;
  Conjuncts(st.where.get(), &conjuncts);
  if (partial != info.partial_indexes.end()) CheckFilterProjected(*key, *partial, conjuncts);

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
  if (fetch_from_table) {
    Key(w, "Select");
    Str(w, "ALL_ATTRIBUTES");
  }
  if (o.consistent_read) {
    Key(w, "ConsistentRead");
    w.Bool(true);
  }
  if (o.limit) {
    Key(w, "Limit");
    w.Int64(*o.limit);
  }
  if (o.next_token) WriteStartKey(w, *o.next_token, st.index);

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
std::optional<Item> SingleItemKey(Tables& tables, const Statement& st,
                                  std::optional<std::string>* mismatch) {
  if (!st.index.empty()) return std::nullopt;
  SingleItem s = ExtractKey(tables.Get(st.table).key, st.where.get(), mismatch);
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

}  // namespace cruddur::ddb::partiql
