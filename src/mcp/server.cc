#include "mcp/server.h"

#include <cctype>
#include <deque>
#include <stdexcept>

#include "common/random.h"
#include "encoding/hex.h"
#include "encoding/json.h"
#include "http/client.h"

namespace cruddur::mcp {

namespace {

using ddb::JsonDocument;
using ddb::JsonValue;
using encoding::JsonString;
using encoding::JsonText;
using encoding::StringMember;

struct Tool {
  const char* name;
  const char* operation;  // the DynamoDB operation it runs ("" for read_stream)
  bool writes;
  const char* description;
  const char* properties;  // the inputSchema's properties (JSON object members)
  const char* required;    // the inputSchema's required (JSON array)
};

// Members every item tool shares; DynamoDB's own names, so an agent's DynamoDB knowledge applies.
#define TABLE_NAME R"~("TableName":{"type":"string","description":"The table"})~"
#define KEY \
  R"~("Key":{"type":"object","description":"The item's primary key in DynamoDB JSON, e.g. {\"pk\":{\"S\":\"a\"}}"})~"
#define NAMES \
  R"~("ExpressionAttributeNames":{"type":"object","additionalProperties":{"type":"string"}})~"
#define VALUES \
  R"~("ExpressionAttributeValues":{"type":"object","description":"Values in DynamoDB JSON"})~"
#define CONDITION R"~("ConditionExpression":{"type":"string"})~"
#define RETURN_VALUES \
  R"~("ReturnValues":{"type":"string","enum":["NONE","ALL_OLD","UPDATED_OLD","ALL_NEW","UPDATED_NEW"]})~"
#define PAGING                                                                                     \
  R"~("Limit":{"type":"integer","minimum":1,"description":"Items evaluated at most, one page"},)~" \
  R"~("ExclusiveStartKey":{"type":"object","description":"The LastEvaluatedKey of the previous page, to read the next one"})~"
#define READ_OPTIONS                                                                   \
  R"~("IndexName":{"type":"string"},"FilterExpression":{"type":"string"},)~"           \
  R"~("ProjectionExpression":{"type":"string"},"ConsistentRead":{"type":"boolean"},)~" \
  R"~("Select":{"type":"string","enum":["ALL_ATTRIBUTES","ALL_PROJECTED_ATTRIBUTES","SPECIFIC_ATTRIBUTES","COUNT"]})~"

const Tool kTools[] = {
    {"list_tables", "ListTables", false,
     "List the tables (DynamoDB ListTables). Answers TableNames and, when there are more, "
     "LastEvaluatedTableName to pass as ExclusiveStartTableName.",
     R"~("Limit":{"type":"integer","minimum":1,"maximum":100},"ExclusiveStartTableName":{"type":"string"})~",
     "[]"},
    {"describe_table", "DescribeTable", false,
     "Describe a table (DynamoDB DescribeTable): key schema, attribute definitions, indexes, "
     "stream, item count and size.",
     TABLE_NAME, R"~(["TableName"])~"},
    {"get_item", "GetItem", false,
     "Read one item by its primary key (DynamoDB GetItem). Answers {\"Item\": ...} in DynamoDB "
     "JSON, or {} when there is no such item.",
     TABLE_NAME
     "," KEY ","
     R"~("ConsistentRead":{"type":"boolean"},"ProjectionExpression":{"type":"string"},)~" NAMES,
     R"~(["TableName","Key"])~"},
    {"put_item", "PutItem", true,
     "Write a whole item, replacing any item with the same key (DynamoDB PutItem).",
     TABLE_NAME
     R"~(,"Item":{"type":"object","description":"The item in DynamoDB JSON, key attributes included, e.g. {\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1\"}}"},)~" CONDITION
     "," NAMES "," VALUES "," RETURN_VALUES,
     R"~(["TableName","Item"])~"},
    {"update_item", "UpdateItem", true,
     "Change attributes of one item, creating it when absent (DynamoDB UpdateItem with an "
     "UpdateExpression such as \"SET #n = :v\").",
     TABLE_NAME "," KEY R"~(,"UpdateExpression":{"type":"string"},)~" CONDITION "," NAMES "," VALUES
                "," RETURN_VALUES,
     R"~(["TableName","Key"])~"},
    {"delete_item", "DeleteItem", true, "Delete one item by its primary key (DynamoDB DeleteItem).",
     TABLE_NAME "," KEY "," CONDITION "," NAMES "," VALUES "," RETURN_VALUES,
     R"~(["TableName","Key"])~"},
    {"query", "Query", false,
     "Read the items of one partition, in sort key order (DynamoDB Query with a "
     "KeyConditionExpression). One page per call: pass the answer's LastEvaluatedKey as "
     "ExclusiveStartKey for the next.",
     TABLE_NAME
     R"~(,"KeyConditionExpression":{"type":"string"},"ScanIndexForward":{"type":"boolean"},)~" READ_OPTIONS
     "," NAMES "," VALUES "," PAGING,
     R"~(["TableName","KeyConditionExpression"])~"},
    {"scan", "Scan", false,
     "Read every item of a table or index (DynamoDB Scan), one page per call: pass the answer's "
     "LastEvaluatedKey as ExclusiveStartKey for the next.",
     TABLE_NAME "," READ_OPTIONS "," NAMES "," VALUES "," PAGING, R"~(["TableName"])~"},
    {"execute_partiql", "ExecuteStatement", false,
     "Run one PartiQL statement (DynamoDB ExecuteStatement), e.g. SELECT * FROM \"t\" WHERE "
     "pk = ?. In read-only mode only SELECT runs.",
     R"~("Statement":{"type":"string"},"Parameters":{"type":"array","description":"Values for the ? placeholders, in DynamoDB JSON"},)~"
     R"~("Limit":{"type":"integer","minimum":1},"NextToken":{"type":"string"},"ConsistentRead":{"type":"boolean"})~",
     R"~(["Statement"])~"},
    {"read_stream", "", false,
     "The most recent records of a table's stream (DynamoDB Streams GetRecords over every shard), "
     "oldest first: eventName, Keys, NewImage/OldImage, SequenceNumber.",
     TABLE_NAME
     R"~(,"Limit":{"type":"integer","minimum":1,"maximum":1000,"description":"Records at most (default 100)"})~",
     R"~(["TableName"])~"},
};

// DynamoDB's data about one access pattern of the original Cruddur (docs/original-system.md).
const char kMessagePatterns[] =
    R"~([{"name":"A: list the messages of a group","operation":"Query",)~"
    R"~("KeyConditionExpression":"pk = :pk AND begins_with(sk, :year)","ScanIndexForward":false,"Limit":20,)~"
    R"~("values":{":pk":"MSG#<message_group_uuid>",":year":"<current year>"},)~"
    R"~("notes":"The newest 20 messages, shown reversed (oldest first)."},)~"
    R"~({"name":"B: list a user's message groups","operation":"Query",)~"
    R"~("KeyConditionExpression":"pk = :pk AND begins_with(sk, :year)","ScanIndexForward":false,"Limit":20,)~"
    R"~("values":{":pk":"GRP#<my user uuid>",":year":"<current year>"},)~"
    R"~("notes":"Newest first; one GRP item per group, describing the other participant."},)~"
    R"~({"name":"C: create a message or a group","operation":"PutItem / BatchWriteItem",)~"
    R"~("notes":"Existing group: one PutItem of a MSG#<group uuid> item with sk = now. New group: the sender's and the receiver's GRP#<user uuid> items and the first MSG item, one shared time."},)~"
    R"~({"name":"D: update the groups when a message arrives","operation":"Query on message-group-sk-index, then DeleteItem + PutItem",)~"
    R"~("KeyConditionExpression":"message_group_uuid = :uuid","IndexName":"message-group-sk-index",)~"
    R"~("notes":"Run on the table's stream (a Lambda in the original): for an inserted MSG item, every GRP item of its group moves to the message's sk and takes its text (keys cannot be updated, so delete then put)."}])~";

const char kMessageItems[] =
    R"~([{"item":"message group (one per participant)","pk":"GRP#<owner user uuid>","sk":"time of the last message",)~"
    R"~("attributes":["message_group_uuid","message","user_uuid","user_display_name","user_handle"]},)~"
    R"~({"item":"message","pk":"MSG#<message_group_uuid>","sk":"created_at",)~"
    R"~("attributes":["message_uuid","message","user_uuid","user_display_name","user_handle"]}])~";

constexpr std::string_view kUriPrefix = "dynamodb://table/";

JsonDocument Parse(std::string_view text) {
  JsonDocument d;
  d.Parse(text.data(), text.size());
  return d;
}

std::string Result(const std::string& id_json, const std::string& result_json) {
  return R"({"jsonrpc":"2.0","id":)" + id_json + R"(,"result":)" + result_json + "}";
}

// A tool result: one text content holding `text` (JSON).
std::string ToolResult(const std::string& text, bool is_error) {
  return R"~({"content":[{"type":"text","text":)~" + JsonString(text) + "}]" +
         (is_error ? R"~(,"isError":true)~" : "") + "}";
}

std::string ErrorText(std::string_view type, std::string_view message) {
  return R"({"__type":)" + JsonString(type) + R"(,"message":)" + JsonString(message) + "}";
}

// A JSON-RPC failure in a method's handling (answered as an error, not a result).
struct RpcError : std::runtime_error {
  RpcError(int c, const std::string& m) : std::runtime_error(m), code(c) {}
  int code;
};

const Tool* FindTool(std::string_view name) {
  for (const Tool& tool : kTools) {
    if (name == tool.name) return &tool;
  }
  return nullptr;
}

// Whether a PartiQL statement only reads: its first word is SELECT.
bool IsSelect(std::string_view statement) {
  std::size_t i = 0;
  while (i < statement.size() && std::isspace(static_cast<unsigned char>(statement[i]))) ++i;
  std::string word;
  while (i < statement.size() && std::isalpha(static_cast<unsigned char>(statement[i]))) {
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(statement[i++])));
  }
  return word == "SELECT";
}

// `value` when it is an array, else an empty array.
const JsonValue& ArrayOf(const JsonValue* value) {
  static const JsonValue kEmpty(rapidjson::kArrayType);
  return value != nullptr && value->IsArray() ? *value : kEmpty;
}

std::string NewSessionId() {
  std::string bytes(16, '\0');
  RandomBytes(bytes.data(), bytes.size());
  return encoding::HexEncode(bytes);
}

// Compares without stopping at the first difference, so timing tells nothing about the token.
bool SameSecret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

std::string ErrorResponse(const std::string& id_json, int code, std::string_view message) {
  return R"({"jsonrpc":"2.0","id":)" + id_json + R"(,"error":{"code":)" + std::to_string(code) +
         R"~(,"message":)~" + JsonString(message) + "}}";
}

std::optional<std::string> Server::Handle(std::string_view message) {
  JsonDocument doc = Parse(message);
  if (doc.HasParseError()) return ErrorResponse("null", kParseError, "Parse error");
  if (!doc.IsObject()) return ErrorResponse("null", kInvalidRequest, "Invalid Request");
  const JsonValue* id = ddb::MemberValue(doc, "id");
  const JsonValue* method = ddb::MemberValue(doc, "method");
  if (id != nullptr && !id->IsString() && !id->IsNumber()) {
    return ErrorResponse("null", kInvalidRequest, "Invalid Request: id must be a string or number");
  }
  std::string id_json = id ? JsonText(*id) : "null";
  if (method == nullptr) {
    // A client's answer to a server request (we send none) or garbage without a method.
    if (id != nullptr && (doc.HasMember("result") || doc.HasMember("error"))) return std::nullopt;
    return ErrorResponse(id_json, kInvalidRequest, "Invalid Request: no method");
  }
  const JsonValue* version = ddb::MemberValue(doc, "jsonrpc");
  if (!method->IsString() || version == nullptr || !version->IsString() ||
      std::string_view(version->GetString()) != "2.0") {
    return ErrorResponse(id_json, kInvalidRequest, "Invalid Request: not JSON-RPC 2.0");
  }
  if (id == nullptr) return std::nullopt;  // notifications (initialized, cancelled) need nothing
  const JsonValue* params = ddb::MemberValue(doc, "params");
  if (params != nullptr && !params->IsObject()) {
    return ErrorResponse(id_json, kInvalidParams, "Invalid params: must be an object");
  }
  try {
    return Result(id_json, Dispatch(method->GetString(), params));
  } catch (const RpcError& e) {
    return ErrorResponse(id_json, e.code, e.what());
  } catch (const ddb::ApiError& e) {
    return ErrorResponse(id_json, -32603, e.type() + ": " + e.message());
  } catch (const std::exception& e) {
    return ErrorResponse(id_json, -32603, e.what());
  }
}

std::string Server::Dispatch(const std::string& method, const JsonValue* params) {
  static const JsonValue kEmpty(rapidjson::kObjectType);
  const JsonValue& p = params ? *params : kEmpty;
  if (method == "initialize") return Initialize(params);
  if (method == "ping") return "{}";
  if (method == "tools/list") return ListTools();
  if (method == "tools/call") return CallTool(p);
  if (method == "resources/list") return ListResources();
  if (method == "resources/templates/list") {
    return R"~({"resourceTemplates":[{"uriTemplate":"dynamodb://table/{name}","name":"table",)~"
           R"~("description":"A table's data model: keys, indexes, access patterns","mimeType":"application/json"}]})~";
  }
  if (method == "resources/read") {
    const JsonValue* uri = ddb::MemberValue(p, "uri");
    if (uri == nullptr || !uri->IsString()) throw RpcError(kInvalidParams, "uri is required");
    return ReadResource(uri->GetString());
  }
  throw RpcError(kMethodNotFound, "Method not found: " + method);
}

std::string Server::Initialize(const JsonValue* params) {
  std::string_view version = kProtocolVersions[0];
  if (const JsonValue* asked = params ? ddb::MemberValue(*params, "protocolVersion") : nullptr;
      asked != nullptr && asked->IsString()) {
    for (std::string_view supported : kProtocolVersions) {
      if (supported == asked->GetString()) version = supported;
    }
  }
  return R"~({"protocolVersion":)~" + JsonString(version) +
         R"~(,"capabilities":{"tools":{"listChanged":false},"resources":{"listChanged":false}},)~"
         R"~("serverInfo":{"name":"cruddur","version":)~" +
         JsonString(options_.version) + R"~(},"instructions":)~" +
         JsonString(std::string("A DynamoDB-compatible database. Tools take DynamoDB's own request "
                                "members and answer DynamoDB JSON; read dynamodb://table/<name> "
                                "for a table's keys, indexes and access patterns.") +
                    (options_.read_only ? " Read-only: the write tools are off." : "")) +
         "}";
}

std::string Server::ListTools() const {
  std::string out = R"~({"tools":[)~";
  bool first = true;
  for (const Tool& tool : kTools) {
    if (tool.writes && options_.read_only) continue;
    if (!first) out += ",";
    first = false;
    out += R"({"name":)" + JsonString(tool.name) + R"(,"description":)" +
           JsonString(tool.description) + R"~(,"inputSchema":{"type":"object","properties":{)~" +
           tool.properties + R"~(},"required":)~" + tool.required + "}";
    out += tool.writes ? R"~(,"annotations":{"readOnlyHint":false,"destructiveHint":true}})~"
                       : R"~(,"annotations":{"readOnlyHint":true}})~";
  }
  return out + "]}";
}

std::string Server::CallTool(const JsonValue& params) {
  const JsonValue* name = ddb::MemberValue(params, "name");
  if (name == nullptr || !name->IsString()) throw RpcError(kInvalidParams, "name is required");
  const Tool* tool = FindTool(name->GetString());
  if (tool == nullptr || (tool->writes && options_.read_only)) {
    throw RpcError(kInvalidParams, std::string("Unknown tool: ") + name->GetString() +
                                       (tool ? " (the server is read-only)" : ""));
  }
  static const JsonValue kEmpty(rapidjson::kObjectType);
  const JsonValue* arguments = ddb::MemberValue(params, "arguments");
  if (arguments != nullptr && !arguments->IsObject()) {
    throw RpcError(kInvalidParams, "arguments must be an object");
  }
  try {
    return ToolResult(RunTool(tool->name, arguments ? *arguments : kEmpty), false);
  } catch (const ddb::ApiError& e) {
    return ToolResult(ErrorText(e.type(), e.message()), true);
  } catch (const http::TransportError& e) {
    return ToolResult(ErrorText("TransportError", e.what()), true);
  }
}

std::string Server::RunTool(const std::string& name, const JsonValue& arguments) {
  const Tool* tool = FindTool(name);
  if (name == "read_stream") return ReadStream(arguments);
  if (name == "execute_partiql" && options_.read_only) {
    const JsonValue* statement = ddb::MemberValue(arguments, "Statement");
    if (statement != nullptr && statement->IsString() && !IsSelect(statement->GetString())) {
      throw ddb::ApiError(400, "AccessDeniedException",
                          "The MCP server is read-only: only SELECT statements run");
    }
  }
  return ddb_.Call(tool->operation, JsonText(arguments));
}

std::string Server::ReadStream(const JsonValue& arguments) {
  std::size_t limit = 100;
  if (const JsonValue* l = ddb::MemberValue(arguments, "Limit"); l != nullptr) {
    if (!l->IsInt64() || l->GetInt64() < 1 || l->GetInt64() > 1000) {
      throw ddb::ApiError::Validation("Limit must be between 1 and 1000");
    }
    limit = static_cast<std::size_t>(l->GetInt64());
  }
  std::string table = StringMember(arguments, "TableName");
  JsonDocument described =
      Parse(ddb_.Call("DescribeTable", R"~({"TableName":)~" + JsonString(table) + "}"));
  std::string arn = described.IsObject() && described.HasMember("Table")
                        ? StringMember(described["Table"], "LatestStreamArn")
                        : "";
  if (arn.empty()) throw ddb::ApiError::Validation("Table " + table + " has no stream");
  JsonDocument stream =
      Parse(ddb_.Call("Streams.DescribeStream", R"~({"StreamArn":)~" + JsonString(arn) + "}"));
  std::deque<std::string> records;  // the newest `limit`, oldest first
  const JsonValue* shards = stream.IsObject() && stream.HasMember("StreamDescription")
                                ? ddb::MemberValue(stream["StreamDescription"], "Shards")
                                : nullptr;
  for (const auto& shard : ArrayOf(shards).GetArray()) {
    JsonDocument it = Parse(ddb_.Call("Streams.GetShardIterator",
                                      R"({"StreamArn":)" + JsonString(arn) + R"(,"ShardId":)" +
                                          JsonString(StringMember(shard, "ShardId")) +
                                          R"~(,"ShardIteratorType":"TRIM_HORIZON"})~"));
    std::string iterator = it.IsObject() ? StringMember(it, "ShardIterator") : "";
    // An open shard answers empty pages forever: stop at the first empty one.
    for (int page = 0; !iterator.empty() && page < 10000; ++page) {
      JsonDocument got = Parse(
          ddb_.Call("Streams.GetRecords", R"~({"ShardIterator":)~" + JsonString(iterator) + "}"));
      const JsonValue* list = got.IsObject() ? ddb::MemberValue(got, "Records") : nullptr;
      if (list == nullptr || !list->IsArray() || list->Empty()) break;
      for (const auto& record : list->GetArray()) {
        records.push_back(JsonText(record));
        if (records.size() > limit) records.pop_front();
      }
      iterator = StringMember(got, "NextShardIterator");
    }
  }
  std::string out = R"({"StreamArn":)" + JsonString(arn) + R"(,"Records":[)";
  for (std::size_t i = 0; i < records.size(); ++i) out += (i ? "," : "") + records[i];
  return out + "]}";
}

std::string Server::ListResources() {
  std::string out = R"~({"resources":[)~";
  std::string start;
  bool first = true;
  do {
    JsonDocument page = Parse(ddb_.Call(
        "ListTables",
        start.empty() ? "{}" : R"~({"ExclusiveStartTableName":)~" + JsonString(start) + "}"));
    const JsonValue* names = page.IsObject() ? ddb::MemberValue(page, "TableNames") : nullptr;
    for (const auto& name : ArrayOf(names).GetArray()) {
      if (!name.IsString()) continue;
      std::string table = name.GetString();
      if (!first) out += ",";
      first = false;
      out += R"({"uri":)" + JsonString(std::string(kUriPrefix) + table) + R"(,"name":)" +
             JsonString(table) + R"~(,"description":)~" +
             JsonString("Data model of table " + table + ": keys, indexes" +
                        (table == options_.message_table ? ", the four access patterns" : "")) +
             R"~(,"mimeType":"application/json"})~";
    }
    start = page.IsObject() ? StringMember(page, "LastEvaluatedTableName") : "";
  } while (!start.empty());
  return out + "]}";
}

std::string Server::ReadResource(const std::string& uri) {
  if (uri.rfind(kUriPrefix, 0) != 0 || uri.size() == kUriPrefix.size()) {
    throw RpcError(kResourceNotFound, "Resource not found: " + uri);
  }
  std::string model;
  try {
    model = DataModel(uri.substr(kUriPrefix.size()));
  } catch (const ddb::ApiError& e) {
    if (e.type() != "ResourceNotFoundException") throw;
    throw RpcError(kResourceNotFound, "Resource not found: " + uri);
  }
  return R"({"contents":[{"uri":)" + JsonString(uri) + R"(,"mimeType":"application/json","text":)" +
         JsonString(model) + "}]}";
}

// The table's keys, attribute types, indexes and stream from DescribeTable, plus the access
// patterns for the message table.
std::string Server::DataModel(const std::string& table) {
  JsonDocument described =
      Parse(ddb_.Call("DescribeTable", R"~({"TableName":)~" + JsonString(table) + "}"));
  if (!described.IsObject() || !described.HasMember("Table")) {
    throw std::runtime_error("malformed DescribeTable answer");
  }
  const JsonValue& t = described["Table"];
  std::string out = R"~({"TableName":)~" + JsonString(table);
  for (const char* member :
       {"KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "LocalSecondaryIndexes",
        "StreamSpecification", "BillingModeSummary", "ItemCount", "TableSizeBytes"}) {
    if (const JsonValue* v = ddb::MemberValue(t, member); v != nullptr) {
      out += "," + JsonString(member) + ":" + JsonText(*v);
    }
  }
  if (table == options_.message_table) {
    out += std::string(R"(,"Items":)") + kMessageItems + R"(,"AccessPatterns":)" + kMessagePatterns;
  }
  return out + "}";
}

http::Response Server::HandleHttp(const http::Request& request, const std::string& token) {
  std::string_view auth = request.headers.Get("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() <= kBearer.size() || !http::EqualsIgnoreCase(auth.substr(0, 7), kBearer) ||
      !SameSecret(auth.substr(kBearer.size()), token)) {
    http::Response response = http::JsonResponse(
        401, ErrorResponse("null", kInvalidRequest, "Unauthorized: a bearer token is required"));
    response.headers.Set("WWW-Authenticate", "Bearer");
    return response;
  }
  std::string target = request.target.substr(0, request.target.find('?'));
  if (target != "/mcp")
    return http::JsonResponse(404, ErrorResponse("null", kInvalidRequest, "Not found: use /mcp"));
  std::string session(request.headers.Get("Mcp-Session-Id"));
  auto known = [&] {
    std::lock_guard lock(sessions_mutex_);
    return sessions_.count(session) > 0;
  };
  if (request.method == "DELETE") {
    std::lock_guard lock(sessions_mutex_);
    return http::JsonResponse(sessions_.erase(session) ? 200 : 404, "");
  }
  if (request.method != "POST") {
    http::Response response = http::JsonResponse(405, "");
    response.headers.Set("Allow", "POST, DELETE");
    return response;
  }
  JsonDocument doc = Parse(request.body);
  bool initialize = !doc.HasParseError() && doc.IsObject() && doc.HasMember("method") &&
                    doc["method"].IsString() &&
                    std::string_view(doc["method"].GetString()) == "initialize";
  if (!initialize) {
    if (session.empty()) {
      return http::JsonResponse(
          400, ErrorResponse("null", kInvalidRequest, "Bad Request: Mcp-Session-Id is required"));
    }
    if (!known()) {
      return http::JsonResponse(404, ErrorResponse("null", kInvalidRequest, "Session not found"));
    }
  }
  std::optional<std::string> answer = Handle(request.body);
  if (!answer) return http::JsonResponse(202, "");
  http::Response response = http::JsonResponse(200, std::move(*answer));
  if (initialize) {
    std::string id = NewSessionId();
    {
      std::lock_guard lock(sessions_mutex_);
      sessions_.insert(id);
    }
    response.headers.Set("Mcp-Session-Id", id);
  }
  return response;
}

}  // namespace cruddur::mcp
