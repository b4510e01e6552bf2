// An MCP (Model Context Protocol) server for coding agents: JSON-RPC 2.0 messages in, answers out,
// over a DynamoDB reached through the same client interface as every `cruddur ddb` command
// (client::DynamoDbClient: the embedded engine, a running server, any endpoint). The transports
// are thin: stdio (one message a line) is in src/cli/mcp_command.cc, and the Streamable HTTP
// transport (POST /mcp with a bearer token) is HandleHttp below.
//
// Tools (tools/list, tools/call) take DynamoDB's own request members (TableName, Key, Item,
// KeyConditionExpression, Limit, ExclusiveStartKey, ...) and answer DynamoDB's response JSON as
// one text content; a DynamoDB error is a result with isError and {"__type", "message"}.
// Resources (resources/list, resources/read) describe each table's data model at
// dynamodb://table/<name>.
#pragma once

#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "client/dynamodb_client.h"
#include "ddb/json.h"
#include "http/message.h"

namespace cruddur::mcp {

// The protocol versions answered, newest first: initialize gets the client's version when it is
// one of these, else the newest.
inline constexpr std::string_view kProtocolVersions[] = {"2025-06-18", "2025-03-26", "2024-11-05"};

struct ServerOptions {
  bool read_only = false;  // hides the write tools and refuses PartiQL that is not a SELECT
  // The table whose resource lists the original Cruddur's four access patterns.
  std::string message_table = "cruddur-messages";
  std::string version = "1.0";  // serverInfo.version
};

class Server {
 public:
  Server(client::DynamoDbClient& ddb, ServerOptions options)
      : ddb_(ddb), options_(std::move(options)) {}

  // One JSON-RPC message (a request, a notification or a client's response). Returns the
  // answer's text, or nullopt when nothing is to be answered (notifications, responses).
  // Thread-safe.
  std::optional<std::string> Handle(std::string_view message);

  // The Streamable HTTP transport at /mcp: POST carries one JSON-RPC message (answered as
  // application/json, 202 for notifications), DELETE ends a session, GET is 405. Every request
  // needs "Authorization: Bearer <token>" (401 otherwise); initialize issues an Mcp-Session-Id
  // that later requests must carry (400 without it, 404 for one not issued or ended).
  http::Response HandleHttp(const http::Request& request, const std::string& token);

 private:
  std::string Dispatch(const std::string& method, const ddb::JsonValue* params);
  std::string Initialize(const ddb::JsonValue* params);
  std::string ListTools() const;
  std::string CallTool(const ddb::JsonValue& params);
  std::string RunTool(const std::string& name, const ddb::JsonValue& arguments);
  std::string ReadStream(const ddb::JsonValue& arguments);
  std::string ListResources();
  std::string ReadResource(const std::string& uri);
  std::string DataModel(const std::string& table);

  client::DynamoDbClient& ddb_;
  ServerOptions options_;
  std::mutex sessions_mutex_;
  std::set<std::string> sessions_;
};

// A JSON-RPC error answer: {"jsonrpc":"2.0","id":<id_json>,"error":{"code":..,"message":..}}.
std::string ErrorResponse(const std::string& id_json, int code, std::string_view message);

// The JSON-RPC error codes used.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kResourceNotFound = -32002;  // MCP's code for an unknown resource URI

}  // namespace cruddur::mcp
