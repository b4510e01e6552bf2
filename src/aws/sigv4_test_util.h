// For tests of servers of DynamoDB's protocol: requests as an SDK sends them, unsigned or signed.
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include "aws/sigv4.h"

namespace cruddur::aws {

// A request with `method` and `target`, and nothing else.
inline http::Request BareRequest(std::string method, std::string target = "/") {
  http::Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  return request;
}

// An unsigned POST of DynamoDB's JSON protocol to localhost:8000: `target` as X-Amz-Target (none
// when empty) and `body`.
inline http::Request DynamoPost(const std::string& target, std::string body = "{}") {
  http::Request request = BareRequest("POST");
  request.headers.Add("Host", "localhost:8000");
  request.headers.Add("Content-Type", "application/x-amz-json-1.0");
  if (!target.empty()) request.headers.Add("X-Amz-Target", target);
  request.body = std::move(body);
  return request;
}

// ListTables ("{}") to localhost:8000, signed with `key`/`secret` for us-east-1 at `at`.
inline http::Request SignedListTables(std::chrono::system_clock::time_point at, const char* key,
                                      const char* secret) {
  http::Request request = DynamoPost("DynamoDB_20120810.ListTables");
  Sign(request, {key, secret, ""}, "us-east-1", "dynamodb", at);
  return request;
}

}  // namespace cruddur::aws
