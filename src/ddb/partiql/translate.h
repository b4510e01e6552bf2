// The translation of PartiQL statements into engine operations, shared by the three operations
// (partiql.cc): the tables' key schemas (tables.cc), WHERE clauses as expression text (where.cc),
// SELECT as GetItem/Query/Scan (select.cc), INSERT/UPDATE/DELETE as item writes (write.cc).
// Private to ddb/partiql.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ddb/error.h"
#include "ddb/json.h"
#include "ddb/partiql/parser.h"
#include "ddb/partiql/partiql.h"
#include "ddb/value_json.h"

namespace cruddur::ddb::partiql {

constexpr char kDuplicateItem[] = "Duplicate primary key exists in table";

inline void Key(JsonWriter& w, std::string_view k) {
  w.Key(k.data(), static_cast<unsigned>(k.size()));
}
inline void Str(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<unsigned>(s.size()));
}
inline std::string Written(const JsonBuffer& buf) {
  return std::string(buf.GetString(), buf.GetSize());
}

inline JsonDocument ParseJson(std::string_view json) {
  JsonDocument doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError()) throw ApiError::InternalServer("unreadable engine response");
  return doc;
}

inline ApiError DuplicateItem() { return {400, "DuplicateItemException", kDuplicateItem}; }

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
  std::set<std::string> gsis;  // the names in `indexes` of global indexes
  // The indexes (global or local) that do not project every attribute: the top-level
  // attributes each holds.
  std::map<std::string, std::vector<std::string>> partial_indexes;
};

// The key schemas of the tables a request names, each described once.
class Tables {
 public:
  explicit Tables(const Executor& execute) : execute_(execute) {}

  const TableInfo& Get(const std::string& name);

  const Executor& execute() const { return execute_; }

 private:
  const Executor& execute_;
  std::map<std::string, TableInfo> cache_;
};

// --- expressions: PartiQL conditions as DynamoDB expression text ---

// Writes conditions, paths and values as expression text with #n<i> / :v<i> substitutions.
class ExpressionBuilder {
 public:
  std::string Name(const std::string& name);
  std::string Value(const AttributeValue& v);
  std::string PathText(const Path& path);
  std::string OperandText(const Operand& o);
  std::string ConditionText(const Condition& c);

  bool empty() const { return names_.empty() && values_.empty(); }
  // Writes ExpressionAttributeNames / ExpressionAttributeValues (each only when used).
  void Write(JsonWriter& w) const;

 private:
  static void RequirePath(const Operand& o);

  std::map<std::string, std::string> aliases_;
  std::vector<std::pair<std::string, std::string>> names_;
  std::vector<std::pair<std::string, AttributeValue>> values_;
};

// --- WHERE analysis ---

// The conjuncts of a WHERE condition (its AND chain, flattened).
void Conjuncts(const Condition* c, std::vector<const Condition*>* out);
// Whether the operand is the top-level attribute `name` itself.
bool IsAttribute(const Operand& o, const std::string& name);
// `name = value` (either way round): the value, else null.
const AttributeValue* EqualityOn(const Condition& c, const std::string& name);
// The top-level attributes a condition names.
void CollectPaths(const Condition& c, std::set<std::string>* names);
void CheckKeyType(const std::string& attr, const std::string& type, const AttributeValue& v);
// Throws DynamoDB's empty key value error when a condition of `where` compares a key attribute
// of `key` with an empty string or binary: no key holds one (DynamoDB Local refuses it anywhere
// in a SELECT's WHERE, as in a key condition).
void CheckKeyComparisons(const KeySchema& key, const Condition* where);

// The full primary key of a single-item statement (UPDATE, DELETE, transactional SELECT) and
// the conditions left over. Null key when some key attribute has no equality.
struct SingleItem {
  std::optional<Item> key;
  std::vector<const Condition*> rest;
};

// With `mismatch`, a key value of the other scalar type is kept and its error's message put
// there (a transaction cancels with it as the statement's reason) instead of thrown.
SingleItem ExtractKey(const KeySchema& schema, const Condition* where,
                      std::optional<std::string>* mismatch = nullptr);
// The conditions' text joined by AND, each in parentheses.
std::string AndAll(ExpressionBuilder& b, const std::vector<const Condition*>& conds);
// The key condition a sort-key conjunct can become, or empty.
std::string RangeKeyCondition(ExpressionBuilder& b, const Condition& c, const std::string& range);
// Values a key condition compares the sort key with, to check their type against the schema.
std::vector<const AttributeValue*> ConditionValues(const Condition& c);

// --- projections of result items (done here: DynamoDB names a nested path by its last part) ---

void WriteProjected(JsonWriter& w, const JsonValue& item, const std::vector<Path>& projection);

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

// TableName and ReturnConsumedCapacity of an engine request.
void WriteCommon(JsonWriter& w, const std::string& table, const Options& o);
// NextToken: the base64 of the engine's LastEvaluatedKey, which names the index read (if any) in
// a member "$index" with a string value, which no key attribute can have: a token replayed
// against another index, or the table, is refused.
std::string EncodeToken(const JsonValue& last_key, const std::string& index);
ReadPlan PlanSelect(Tables& tables, const Statement& st, const Options& o);
// A SELECT that names one whole primary key and nothing else (batches, transactions, and the
// GetItem shortcut of ExecuteStatement); nullopt otherwise.
std::optional<Item> SingleItemKey(Tables& tables, const Statement& st,
                                  std::optional<std::string>* mismatch = nullptr);
std::string GetItemBody(const Statement& st, const Item& key, const Options& o);

// --- writes ---

// A write statement as the members of PutItem / UpdateItem / DeleteItem (and of the matching
// TransactWriteItems entries), without the braces' TableName/capacity members.
struct WritePlan {
  std::string op;       // "PutItem", "UpdateItem", "DeleteItem", "ConditionCheck"
  std::string members;  // JSON members (no braces): Key/Item, expressions
  std::string table;
  Item key;  // the item's primary key (duplicate checks)
  bool insert = false;
  bool conditioned = false;  // the WHERE says more than the key
};

WritePlan PlanWrite(Tables& tables, const Statement& st, const Options& o,
                    std::optional<std::string>* key_mismatch = nullptr);
// The whole request of a planned write (its members inside TableName and capacity).
std::string WriteBody(const WritePlan& plan, const Options& o);
// Runs a single write; the engine's response JSON.
std::string RunWrite(const Executor& execute, const WritePlan& plan, const Options& o);

}  // namespace cruddur::ddb::partiql
