// The DynamoDB JSON 1.0 endpoint as an HTTP handler: `POST /` with
// `X-Amz-Target: DynamoDB_20120810.<Op>` runs Engine::Execute(<Op>, body); errors come back as
// {"__type": "...#<Type>", "message": "..."} with DynamoDB's status, type and wording.
// `X-Amz-Target: DynamoDBStreams_20120810.<Op>` runs Engine::Execute("Streams.<Op>", body).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "aws/sigv4.h"
#include "ddb/engine.h"
#include "ddb/error.h"
#include "http/message.h"
#include "http/server.h"
#include "wire/content_coding.h"
#include "wire/dynamodb_metrics.h"
#include "wire/faults.h"

namespace cruddur::wire {

struct WireOptions {
  // Access key -> secret. Empty: accept any well-formed SigV4 credentials (like DynamoDB Local);
  // otherwise verify every signature against these.
  std::map<std::string, std::string> credentials;
  // Access key -> the ARN of the IAM principal it signs as (ddb::Caller), for the keys of
  // `credentials`: their requests are authorized by the tables' resource-based policies.
  std::map<std::string, std::string> principals;
  std::string region = "us-east-1";  // named by the GET / health answer
  // Serve the console (wire/console.h) at GET /console; otherwise that path is a 404 as on
  // DynamoDB.
  bool console = false;
  // The time used to check signature dates (tests replace it).
  std::function<std::chrono::system_clock::time_point()> clock;
  // Injected faults (`--faults`): the rules apply to every DynamoDB request, and the control API
  // answers at FaultInjector::kTargetPrefix. Null: off. Must outlive the handler.
  FaultInjector* faults = nullptr;
};

// The error body DynamoDB sends for `error`, e.g.
// {"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"..."}.
// Protocol and authentication errors use DynamoDB's "com.amazon.coral.service" namespace;
// SerializationException spells its member "Message"; an empty message is left out.
std::string ErrorBody(const ddb::ApiError& error);

// A 52-character request id in DynamoDB's style (uppercase letters and digits).
std::string NewRequestId();
constexpr std::size_t kRequestIdLength = 52;
// Writes a new request id into id[0, kRequestIdLength).
void FillRequestId(char* id);

class DynamoDbHandler {
 public:
  // `engine` must outlive the handler.
  explicit DynamoDbHandler(ddb::Engine& engine, WireOptions options = {});

  // Thread-safe; never throws.
  http::Response Handle(const http::Request& request) const;
  // The answer to a request whose body is over the 16 MB limit (http::ServerOptions::on_too_large).
  http::Response TooLarge(const http::Request& request) const;

  // Server options wired to this handler: DynamoDB's Server/Date/Connection fields, its header
  // and body limits and their answers. The handler must outlive the server.
  void Configure(http::ServerOptions& options) const;
  http::Handler AsHandler() const;

  // What GET /metrics shows (wire/dynamodb_metrics.h).
  const DynamoDbMetrics& metrics() const { return metrics_; }

  // The request body, and a compressed body once decoded (DynamoDB itself does not limit the
  // decoded size; a server that must hold it in memory does).
  static constexpr std::size_t kMaxBodyBytes = 16 * 1024 * 1024;
  // The request line and header fields together.
  static constexpr std::uint32_t kMaxHeaderBytes = 16 * 1024;

 private:
  struct Exchange;  // what one request was and how it ended, for metrics and the access log
  http::Response Answer(const http::Request& request, Exchange& exchange) const;
  // Anything but the preflight, the health check and /metrics: a DynamoDB JSON POST, or a 404.
  // Sets content_type to the one the answer uses (errors included). Throws ApiError.
  http::Response HandlePost(const http::Request& request, std::string_view& content_type,
                            ContentCoding coding, Exchange& exchange) const;
  void Finish(const http::Request& request, const http::Response& response,
              const Exchange& exchange) const;
  http::Response Error(const ddb::ApiError& error, std::string_view content_type,
                       ContentCoding coding = ContentCoding::kIdentity) const;

  ddb::Engine& engine_;
  WireOptions options_;
  aws::Verifier verifier_;
  mutable DynamoDbMetrics metrics_;
};

}  // namespace cruddur::wire
