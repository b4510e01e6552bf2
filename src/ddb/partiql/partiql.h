// PartiQL for DynamoDB: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction.
// Each statement is parsed by a hand-written parser (parser.h) and translated into the
// equivalent engine operations (GetItem, Query, Scan, PutItem, UpdateItem, DeleteItem,
// TransactGetItems, TransactWriteItems) run through the engine's own request model, so
// validation, conditions, indexes and streams behave exactly as for those operations.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace cruddur::ddb::partiql {

// Runs one engine operation: returns the response JSON, throws ApiError like Engine::Execute.
// `describe` lookups go through it too (execute("DescribeTable", ...)).
using Executor = std::function<std::string(std::string_view op, std::string_view json)>;

// Each takes the operation's request JSON and returns the response JSON. Errors are thrown as
// ApiError with DynamoDB's type and message; BatchExecuteStatement reports per-statement errors
// in Responses[].Error instead.
std::string ExecuteStatement(const Executor& execute, std::string_view request_json);
std::string BatchExecuteStatement(const Executor& execute, std::string_view request_json);
std::string ExecuteTransaction(const Executor& execute, std::string_view request_json);

}  // namespace cruddur::ddb::partiql
