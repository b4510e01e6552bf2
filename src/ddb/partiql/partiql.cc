// The three PartiQL operations: their request validation, the statements run as engine
// operations (translate.h), and their response shapes.
#include "ddb/partiql/partiql.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "ddb/cancellation.h"
#include "ddb/error.h"
#include "ddb/expression/expression.h"
#include "ddb/json.h"
#include "ddb/partiql/parser.h"
#include "ddb/partiql/translate.h"
#include "ddb/request.h"
#include "ddb/value_json.h"
#include "encoding/json.h"

namespace cruddur::ddb::partiql {
namespace {

constexpr size_t kMaxStatementLength = 8192;

std::vector<AttributeValue> ParseParameters(const JsonValue& obj, const std::string& field,
                                            ConstraintErrors& errors) {
  std::vector<AttributeValue> params;
  const JsonValue* p = Request::ArrayOf(obj, "Parameters");
  if (!p) return params;
  errors.CheckListLength(field, p->Size(), 1, std::numeric_limits<size_t>::max());
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

// An answer whose members `members(w)` writes, then the ConsumedCapacity `response` carries.
template <class F>
std::string AnswerWithCapacity(const JsonDocument& response, F&& members) {
  return encoding::WriteJsonObject([&](JsonWriter& w) {
    members(w);
    CopyCapacity(w, response);
  });
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

namespace {

// An ExecuteStatement request, parsed and checked: its statement and the options it runs with.
struct StatementRequest {
  Statement statement;
  Options options;
};

StatementRequest ParseStatementRequest(const Request& req) {
  ConstraintErrors errors;
  auto text = req.String("Statement");
  CheckStatementText(text, "statement", errors);
  std::vector<AttributeValue> params = ParseParameters(req.root(), "parameters", errors);
  Options o;
  o.consistent_read = req.Bool("ConsistentRead").value_or(false);
  if (auto limit = LimitParam(req, std::numeric_limits<int32_t>::max(), errors)) o.limit = *limit;
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
  return {std::move(st), std::move(o)};
}

// INSERT, UPDATE, DELETE: one item write; Items holds what RETURNING asks for.
std::string RunWriteStatement(const Executor& execute, Tables& tables, const StatementRequest& r) {
  WritePlan plan = PlanWrite(tables, r.statement, r.options);
  JsonDocument response = ParseJson(RunWrite(execute, plan, r.options));
  return AnswerWithCapacity(response, [&](JsonWriter& w) {
    Key(w, "Items");
    w.StartArray();
    if (response.HasMember("Attributes")) response["Attributes"].Accept(w);
    w.EndArray();
  });
}

// A SELECT of one whole key and nothing else: one GetItem.
std::string RunGetStatement(const Executor& execute, const StatementRequest& r, const Item& key) {
  JsonDocument response = ParseJson(execute("GetItem", GetItemBody(r.statement, key, r.options)));
  return AnswerWithCapacity(response, [&](JsonWriter& w) {
    Key(w, "Items");
    w.StartArray();
    if (response.HasMember("Item")) WriteProjected(w, response["Item"], r.statement.projection);
    w.EndArray();
  });
}

// A statement's error raised by an expression it was translated to, without that expression's
// name: PartiQL says "Incorrect operand type ...", not "Invalid FilterExpression: Incorrect
// operand type ..." (DynamoDB Local, for conditions, key conditions and updates alike: the
// statement had no such expression). nullopt for any other error.
std::optional<ApiError> WithoutExpressionName(const ApiError& e) {
  if (e.type() != "ValidationException") return std::nullopt;
  const std::string& m = e.message();
  for (std::string_view kind :
       {"FilterExpression", "KeyConditionExpression", "ConditionExpression", "UpdateExpression"}) {
    std::string prefix = fmt::format("Invalid {}: ", kind);
    if (m.starts_with(prefix)) return ApiError::Validation(m.substr(prefix.size()));
  }
  return std::nullopt;
}

// Any other SELECT: the Query or Scan it becomes, the conditions the engine could not take
// checked here, and a NextToken where the engine stopped.
std::string RunSelectStatement(const Executor& execute, Tables& tables, const StatementRequest& r) {
  const Statement& st = r.statement;
  const Options& o = r.options;
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
  return AnswerWithCapacity(response, [&](JsonWriter& w) {
    Key(w, "Items");
    w.StartArray();
    for (const auto& item : response["Items"].GetArray()) {
      if (post_filter && !post_filter->Evaluate(ParseItem(item))) continue;
      WriteProjected(w, item, st.projection);
    }
    w.EndArray();
    if (response.HasMember("LastEvaluatedKey")) {
      Key(w, "NextToken");
      Str(w, EncodeToken(response["LastEvaluatedKey"], st.index));
      Key(w, "LastEvaluatedKey");
      response["LastEvaluatedKey"].Accept(w);
    }
  });
}

}  // namespace

std::string ExecuteStatement(const Executor& execute, std::string_view request_json) {
  // The translated expressions answer to PartiQL's limits, not to those of a client's.
  expr::ClientLimitsExempt exempt;
  Request req(request_json);
  StatementRequest r = ParseStatementRequest(req);
  Tables tables(execute);
  try {
    if (!r.statement.is_read()) return RunWriteStatement(execute, tables, r);
    // A whole key and nothing else: one GetItem.
    std::optional<Item> key;
    if (r.statement.order_by.empty()) key = SingleItemKey(tables, r.statement);
    if (key) return RunGetStatement(execute, r, *key);
    return RunSelectStatement(execute, tables, r);
  } catch (const ApiError& e) {
    if (std::optional<ApiError> plain = WithoutExpressionName(e)) throw *plain;
    throw;
  }
}

// --- BatchExecuteStatement ---

namespace {

// One statement of a batch: parsed (or the error it answers with), then planned.
struct BatchEntry {
  std::optional<Statement> statement;
  std::optional<ApiError> error;
  Options options;
  std::optional<Item> key;
  std::optional<WritePlan> write;
};

// Parse: one statement's members (into `errors`, which fail the whole request) and, while no
// member has failed, its text (a statement that does not parse keeps its error).
void ParseBatchEntry(const JsonValue& s, size_t i, BatchEntry& entry, ConstraintErrors& errors) {
  if (!s.IsObject()) throw ApiError::Serialization("Unexpected value type in payload");
  std::string field = fmt::format("statements.{}.member", i + 1);
  auto text = Request::StringOf(s, "Statement");
  CheckStatementText(text, field + ".statement", errors);
  std::vector<AttributeValue> params = ParseParameters(s, field + ".parameters", errors);
  entry.options.consistent_read = Request::BoolOf(s, "ConsistentRead").value_or(false);
  entry.options.return_on_failure =
      OptionalEnum(s, "ReturnValuesOnConditionCheckFailure",
                   field + ".returnValuesOnConditionCheckFailure", kOnFailure, errors);
  if (!errors.empty()) return;
  try {
    Statement st = Parse(*text, params);
    if (st.kind == Statement::Kind::kExists) {
      throw ApiError::Validation(
          "EXISTS can only be used in ExecuteTransaction write "
          "requests.");
    }
    entry.statement = std::move(st);
  } catch (const ApiError& e) {
    entry.error = e;
  }
}

std::vector<BatchEntry> ParseBatch(const Request& req) {
  ConstraintErrors errors;
  const JsonValue* statements = req.Array("Statements");
  if (!statements) {
    errors.NotNull("statements");
  } else {
    errors.CheckListLength("statements", statements->Size(), 1, 25);
  }
  Options common;
  common.return_capacity = OptionalEnum(req.root(), "ReturnConsumedCapacity",
                                        "returnConsumedCapacity", kCapacityModes, errors);
  errors.ThrowIfAny();

  std::vector<BatchEntry> entries(statements->Size());
  for (rapidjson::SizeType i = 0; i < statements->Size(); ++i) {
    entries[i].options.return_capacity = common.return_capacity;
    ParseBatchEntry((*statements)[i], i, entries[i], errors);
  }
  errors.ThrowIfAny();
  return entries;
}

// Validate: the first statement that parses decides, a batch is all reads or all writes.
void CheckBatchKind(const std::vector<BatchEntry>& entries) {
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
}

// Validate: each read names one whole key, each write is planned, and no item comes twice. A
// statement that fails here answers with its error.
void PlanBatch(Tables& tables, std::vector<BatchEntry>& entries) {
  std::set<std::string> keys;
  for (auto& e : entries) {
    if (!e.statement) continue;
    try {
      if (e.statement->is_read()) {
        e.key = SingleItemKey(tables, *e.statement);
        if (!e.key) {
          throw ApiError::Validation(
              "Select statements within BatchExecuteStatement must specify the primary key in "
              "the where clause.");
        }
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
}

void WriteBatchError(JsonWriter& w, const ApiError& error) {
  Key(w, "Error");
  w.StartObject();
  Key(w, "Code");
  Str(w, BatchErrorCode(error.type()));
  Key(w, "Message");
  Str(w, error.message());
  if (!error.extra_json().empty()) {
    JsonDocument extra = ParseJson("{" + error.extra_json() + "}");
    if (extra.HasMember("Item")) {
      Key(w, "Item");
      extra["Item"].Accept(w);
    }
  }
  w.EndObject();
}

// Adds the numbers of one ConsumedCapacity (`from`) into `into`, member by member, nested
// objects (Table, an index's entry) alike.
void AddCapacity(JsonValue& into, const JsonValue& from, JsonDocument::AllocatorType& a) {
  for (const auto& m : from.GetObject()) {
    auto it = into.FindMember(m.name);
    if (it == into.MemberEnd()) {
      into.AddMember(JsonValue(m.name, a), JsonValue(m.value, a), a);
    } else if (m.value.IsNumber() && it->value.IsNumber()) {
      it->value.SetDouble(it->value.GetDouble() + m.value.GetDouble());
    } else if (m.value.IsObject() && it->value.IsObject()) {
      AddCapacity(it->value, m.value, a);
    }
  }
}

// The ConsumedCapacity of a batch: one entry per table, in the order the statements first name
// them, each the sum of its statements' (as BatchGetItem and BatchWriteItem answer).
class BatchCapacity {
 public:
  BatchCapacity() { doc_.SetArray(); }
  void Add(const JsonValue& c) {
    if (!c.IsObject() || !c.HasMember("TableName") || !c["TableName"].IsString()) return;
    std::string_view table = c["TableName"].GetString();
    for (auto& entry : doc_.GetArray()) {
      if (table == entry["TableName"].GetString()) {
        AddCapacity(entry, c, doc_.GetAllocator());
        return;
      }
    }
    doc_.PushBack(JsonValue(c, doc_.GetAllocator()), doc_.GetAllocator());
  }
  void Write(JsonWriter& w) const {
    Key(w, "ConsumedCapacity");
    doc_.Accept(w);
  }

 private:
  JsonDocument doc_;
};

// Apply: one statement run, written as its entry of Responses; its ConsumedCapacity added to
// `capacity`.
void RunBatchEntry(const Executor& execute, const BatchEntry& e, JsonWriter& w,
                   BatchCapacity& capacity) {
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
      if (response.HasMember("ConsumedCapacity")) capacity.Add(response["ConsumedCapacity"]);
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
      std::optional<ApiError> plain = WithoutExpressionName(err);
      error = plain.value_or(err);
      // DynamoDB Local names the table beside a write's errors once it runs (a failed
      // condition, a duplicate, a key or an update that does not fit the item), not beside
      // those of validating its expressions, nor beside a read's errors.
      if (!st.is_read() && !plain) {
        Key(w, "TableName");
        Str(w, st.table);
      }
    }
  }
  if (error) WriteBatchError(w, *error);
  w.EndObject();
}

}  // namespace

std::string BatchExecuteStatement(const Executor& execute, std::string_view request_json) {
  // The translated expressions answer to PartiQL's limits, not to those of a client's.
  expr::ClientLimitsExempt exempt;
  Request req(request_json);
  std::vector<BatchEntry> entries = ParseBatch(req);
  CheckBatchKind(entries);
  Tables tables(execute);
  PlanBatch(tables, entries);

  JsonBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  Key(w, "Responses");
  w.StartArray();
  BatchCapacity capacity;
  for (const auto& e : entries) RunBatchEntry(execute, e, w, capacity);
  w.EndArray();
  // Every entry carries the batch's ReturnConsumedCapacity (ParseBatch).
  const auto& mode = entries.front().options.return_capacity;
  if (mode && *mode != "NONE") capacity.Write(w);
  w.EndObject();
  return Written(buf);
}

// --- ExecuteTransaction ---

namespace {

// An ExecuteTransaction request, parsed and checked: its statements (all reads or all writes),
// each with its options.
struct TransactionRequest {
  std::vector<Statement> statements;
  std::vector<Options> options;
  Options common;                         // ReturnConsumedCapacity
  std::optional<std::string_view> token;  // ClientRequestToken
};

// A statement's own validation error named by its place in the transaction, as DynamoDB Local
// names it ("Validation failed in TransactStatements[1]: ..."); not a syntax error, nor a WHERE
// without the whole key (DynamoDB Local cancels the transaction for that one).
template <typename F>
auto ForStatement(size_t i, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const ApiError& e) {
    const std::string& m = e.message();
    if (e.type() != "ValidationException" || m.starts_with("Statement wasn't well formed") ||
        m.starts_with("Where clause does not contain") ||
        m.starts_with("Validation failed in TransactStatements")) {
      throw;
    }
    throw ApiError::Validation(
        fmt::format("Validation failed in TransactStatements[{}]: {}", i, e.message()));
  }
}

// Parse: the request's members, then each statement in turn (the first failure is the answer).
TransactionRequest ParseTransaction(const Request& req) {
  ConstraintErrors errors;
  const JsonValue* statements = req.Array("TransactStatements");
  if (!statements) {
    errors.NotNull("transactStatements");
  } else {
    errors.CheckListLength("transactStatements", statements->Size(), 1, 100);
  }
  TransactionRequest t;
  t.token = req.String("ClientRequestToken");
  if (t.token && (t.token->empty() || t.token->size() > 36)) {
    errors.Add(
        fmt::format("Value '{}' at 'clientRequestToken' failed to satisfy constraint: "
                    "Member must have length {} than or equal to {}",
                    *t.token, t.token->empty() ? "greater" : "less", t.token->empty() ? 1 : 36));
  }
  t.common.return_capacity = OptionalEnum(req.root(), "ReturnConsumedCapacity",
                                          "returnConsumedCapacity", kCapacityModes, errors);
  errors.ThrowIfAny();

  t.options.resize(statements->Size());
  for (rapidjson::SizeType i = 0; i < statements->Size(); ++i) {
    const JsonValue& s = (*statements)[i];
    if (!s.IsObject()) throw ApiError::Serialization("Unexpected value type in payload");
    std::string field = fmt::format("transactStatements.{}.member", i + 1);
    auto text = Request::StringOf(s, "Statement");
    CheckStatementText(text, field + ".statement", errors);
    std::vector<AttributeValue> params = ParseParameters(s, field + ".parameters", errors);
    t.options[i].return_on_failure =
        OptionalEnum(s, "ReturnValuesOnConditionCheckFailure",
                     field + ".returnValuesOnConditionCheckFailure", kOnFailure, errors);
    errors.ThrowIfAny();
    t.statements.push_back(ForStatement(i, [&] { return Parse(*text, params); }));
    if (i > 0 && t.statements.back().is_read() != t.statements.front().is_read()) {
      throw ApiError::Validation(
          "ExecuteTransaction API does not support both read and write "
          "operations in the same request.");
    }
  }
  return t;
}

// A statement whose key value has the other scalar type cancels the transaction before anything
// runs: its reason is a ValidationError, every other statement's None (DynamoDB Local).
void CancelOnKeyMismatch(const std::vector<std::optional<std::string>>& mismatches) {
  if (std::none_of(mismatches.begin(), mismatches.end(), [](const auto& m) { return m; })) return;
  std::vector<CancellationReason> reasons(mismatches.size());
  for (size_t i = 0; i < mismatches.size(); ++i) {
    if (!mismatches[i]) continue;
    reasons[i].code = "ValidationError";
    reasons[i].message = *mismatches[i];
  }
  ThrowCancelled(reasons);
}

// Validate: each read of a transaction names one whole primary key of a table (no index).
std::vector<Item> PlanTransactionReads(Tables& tables, const std::vector<Statement>& statements) {
  std::vector<Item> keys;
  std::vector<std::optional<std::string>> mismatches(statements.size());
  for (size_t i = 0; i < statements.size(); ++i) {
    const Statement& st = statements[i];
    if (!st.index.empty()) {
      throw ApiError::Validation(fmt::format(
          "Validation failed in TransactStatements[{}]: Reads on indices are not supported "
          "within transactions.",
          i));
    }
    std::optional<Item> key = SingleItemKey(tables, st, &mismatches[i]);
    if (!key) {
      throw ApiError::Validation(
          "Select statements within ExecuteTransaction must specify "
          "the primary key in the where clause.");
    }
    keys.push_back(std::move(*key));
  }
  CancelOnKeyMismatch(mismatches);
  return keys;
}

std::string TransactGetBody(const TransactionRequest& t, const std::vector<Item>& keys) {
  JsonBuffer rb;
  JsonWriter rw(rb);
  rw.StartObject();
  if (t.common.return_capacity) {
    Key(rw, "ReturnConsumedCapacity");
    Str(rw, *t.common.return_capacity);
  }
  Key(rw, "TransactItems");
  rw.StartArray();
  for (size_t i = 0; i < keys.size(); ++i) {
    rw.StartObject();
    Key(rw, "Get");
    rw.StartObject();
    Key(rw, "TableName");
    Str(rw, t.statements[i].table);
    Key(rw, "Key");
    WriteItem(rw, keys[i]);
    rw.EndObject();
    rw.EndObject();
  }
  rw.EndArray();
  rw.EndObject();
  return Written(rb);
}

// Reads: one TransactGetItems, each item projected as its statement asks.
std::string RunTransactionReads(const Executor& execute, Tables& tables,
                                const TransactionRequest& t) {
  std::vector<Item> keys = PlanTransactionReads(tables, t.statements);
  JsonDocument response = ParseJson(execute("TransactGetItems", TransactGetBody(t, keys)));
  return AnswerWithCapacity(response, [&](JsonWriter& w) {
    Key(w, "Responses");
    w.StartArray();
    const JsonValue& items = response["Responses"];
    for (rapidjson::SizeType i = 0; i < items.Size(); ++i) {
      w.StartObject();
      if (items[i].HasMember("Item")) {
        Key(w, "Item");
        WriteProjected(w, items[i]["Item"], t.statements[i].projection);
      }
      w.EndObject();
    }
    w.EndArray();
  });
}

// Validate: each write of a transaction planned (RETURNING has no place in one).
// `mismatches`: per statement, the error of a key value of the other scalar type (kept in the
// plan as written). Planning stops at the first such statement: DynamoDB Local cancels there,
// before it validates the statements after it.
std::vector<WritePlan> PlanTransactionWrites(Tables& tables, const TransactionRequest& t,
                                             std::vector<std::optional<std::string>>& mismatches) {
  std::vector<WritePlan> plans;
  mismatches.assign(t.statements.size(), std::nullopt);
  for (size_t i = 0; i < t.statements.size(); ++i) {
    plans.push_back(ForStatement(
        i, [&] { return PlanWrite(tables, t.statements[i], t.options[i], &mismatches[i]); }));
    if (mismatches[i]) break;  // before its own RETURNING is looked at, too
    if (!t.statements[i].returning.empty()) {
      throw ApiError::Validation(
          fmt::format("Validation failed in TransactStatements[{}]: RETURNING clause is not "
                      "supported in ExecuteTransaction.",
                      i));
    }
    if (t.statements[i].kind == Statement::Kind::kExists && !plans.back().conditioned) {
      throw ApiError::Validation(
          fmt::format("Validation failed in TransactStatements[{}]: EXISTS() must contain a single "
                      "item read with additional condition",
                      i));
    }
  }
  return plans;
}

std::string TransactWriteBody(const TransactionRequest& t, const std::vector<WritePlan>& plans) {
  JsonBuffer rb;
  JsonWriter rw(rb);
  rw.StartObject();
  if (t.token) {
    Key(rw, "ClientRequestToken");
    Str(rw, *t.token);
  }
  if (t.common.return_capacity) {
    Key(rw, "ReturnConsumedCapacity");
    Str(rw, *t.common.return_capacity);
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
  return Written(rb);
}

// The cancellation of a transaction with an INSERT's failed attribute_not_exists reported as
// DynamoDB reports it, a DuplicateItem reason; nullopt when `e` is no such cancellation.
std::optional<ApiError> WithDuplicateItems(const ApiError& e, const std::vector<WritePlan>& plans) {
  if (e.type() != "TransactionCanceledException" || e.extra_json().empty()) return std::nullopt;
  JsonDocument extra = ParseJson("{" + e.extra_json() + "}");
  if (!extra.HasMember("CancellationReasons")) return std::nullopt;
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
  return ApiError::TransactionCanceled(
             fmt::format("Transaction cancelled, please refer cancellation reasons for specific "
                         "reasons [{}]",
                         codes))
      .with_extra_json(extra_json.substr(1, extra_json.size() - 2));
}

// Writes: one TransactWriteItems.
std::string RunTransactionWrites(const Executor& execute, Tables& tables,
                                 const TransactionRequest& t) {
  std::vector<std::optional<std::string>> mismatches;
  std::vector<WritePlan> plans = PlanTransactionWrites(tables, t, mismatches);
  std::string raw;
  try {
    // With a mismatched key TransactWriteItems validates every statement's expressions and then
    // cancels (a key that does not fit its table cancels the whole transaction: nothing is
    // written); its reasons are replaced by DynamoDB Local's, the key's alone.
    raw = execute("TransactWriteItems", TransactWriteBody(t, plans));
  } catch (const ApiError& e) {
    if (e.type() == "TransactionCanceledException") CancelOnKeyMismatch(mismatches);
    if (std::optional<ApiError> cancelled = WithDuplicateItems(e, plans)) throw *cancelled;
    throw;
  }
  // A write transaction answers an empty Responses list (DynamoDB Local).
  return AnswerWithCapacity(ParseJson(raw), [](JsonWriter& w) {
    Key(w, "Responses");
    w.StartArray();
    w.EndArray();
  });
}

}  // namespace

std::string ExecuteTransaction(const Executor& execute, std::string_view request_json) {
  // The translated expressions answer to PartiQL's limits, not to those of a client's.
  expr::ClientLimitsExempt exempt;
  Request req(request_json);
  TransactionRequest t = ParseTransaction(req);
  Tables tables(execute);
  try {
    if (t.statements.front().is_read()) return RunTransactionReads(execute, tables, t);
    return RunTransactionWrites(execute, tables, t);
  } catch (const ApiError& e) {
    if (std::optional<ApiError> plain = WithoutExpressionName(e)) throw *plain;
    throw;
  }
}

}  // namespace cruddur::ddb::partiql
