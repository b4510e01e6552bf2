// For tests of servers that verify SigV4: a DynamoDB request signed as an SDK signs it.
#pragma once

#include <chrono>

#include "aws/sigv4.h"

namespace cruddur::aws {

// ListTables ("{}") to localhost:8000, signed with `key`/`secret` for us-east-1 at `at`.
inline http::Request SignedListTables(std::chrono::system_clock::time_point at, const char* key,
                                      const char* secret) {
  http::Request request;
  request.method = "POST";
  request.target = "/";
  request.headers.Add("Host", "localhost:8000");
  request.headers.Add("Content-Type", "application/x-amz-json-1.0");
  request.headers.Add("X-Amz-Target", "DynamoDB_20120810.ListTables");
  request.body = "{}";
  Sign(request, {key, secret, ""}, "us-east-1", "dynamodb", at);
  return request;
}

}  // namespace cruddur::aws
