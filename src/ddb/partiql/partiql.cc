// The three PartiQL operations: their request validation, the statements run as engine
// operations (translate.h), and their response shapes.
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
#include "ddb/partiql/translate.h"
#include "ddb/request.h"
#include "ddb/value_json.h"

namespace cruddur::ddb::partiql {
namespace {

constexpr size_t kMaxStatementLength = 8192;

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
