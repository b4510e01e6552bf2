// One DynamoDB client interface, two transports. The request model is DynamoDB's own JSON (the
// engine's too): an operation name and a JSON body in, a JSON body out, so an embedded call and a
// remote call behave the same and the domain never knows which transport it uses.
//
//   InProcessClient  runs the operation on an embedded ddb::Engine.
//   HttpClient       sends it over the DynamoDB JSON 1.0 protocol, signed with SigV4, to any
//                    endpoint: `cruddur ddb serve`, real DynamoDB, ScyllaDB Alternator, ...
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "aws/service.h"
#include "aws/sigv4.h"
#include "ddb/engine.h"
#include "ddb/error.h"
#include "ddb/json.h"
#include "http/client.h"

namespace cruddur::client {

// An operation named "CruddurFaults.<Op>" goes to the fault-injection control API of a cruddur
// server (X-Amz-Target CruddurFaults_20261203.<Op>, src/wire/README.md).
inline constexpr std::string_view kFaultsOperationPrefix = "CruddurFaults.";

class DynamoDbClient {
 public:
  virtual ~DynamoDbClient() = default;

  // Runs one operation: `operation` is the X-Amz-Target suffix ("PutItem"), or "Streams.<Op>" for
  // DynamoDB Streams ("Streams.GetRecords"), or "Cruddur.<Op>" for cruddur's own operations
  // ("Cruddur.DescribeTableStats"); `request_json` is the request body. Returns the
  // response body. Throws ddb::ApiError with DynamoDB's error type (without namespace), message
  // and HTTP status, and the error's other members in extra_json() (e.g. CancellationReasons).
  // A remote transport also throws http::TransportError when no intact answer could be had.
  // Thread-safe.
  virtual std::string Call(std::string_view operation, std::string_view request_json) = 0;
};

// Calls an engine in this process. `engine` must outlive the client.
class InProcessClient : public DynamoDbClient {
 public:
  explicit InProcessClient(ddb::Engine& engine) : engine_(engine) {}
  std::string Call(std::string_view operation, std::string_view request_json) override;

 private:
  ddb::Engine& engine_;
};

// How HttpClient retries, as the AWS SDKs do for DynamoDB ("standard" retry mode): throttling
// errors, 5xx answers, transport failures (connection, timeout, x-amz-crc32 mismatch) are retried
// after a delay drawn uniformly from [0, min(max_backoff, base_delay * 2^retry)] ("full jitter",
// retry = 0 for the first retry). Any other 4xx (validation, conditional check, auth, ...) is
// never retried: sending it again would fail the same way.
struct RetryPolicy {
  int max_attempts_throttled = 10;  // throttled attempts before giving up
  int max_attempts_transient = 3;   // attempts failing with 5xx or transport errors, likewise
  std::chrono::milliseconds base_delay{50};
  std::chrono::milliseconds max_backoff{20000};
};

// True for the error types AWS services use to say "slow down" (retried with backoff).
using aws::IsThrottlingError;

struct HttpClientOptions {
  http::ClientOptions http;
  RetryPolicy retry;
  // Waits between attempts (tests replace it); default std::this_thread::sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep;
  // The signing time (tests replace it); default system_clock::now.
  std::function<std::chrono::system_clock::time_point()> clock;
};

// Runs `attempt` until it succeeds, retrying as RetryPolicy says (throttling, 5xx,
// http::TransportError) with `sleep` between attempts; rethrows the last failure.
std::string CallWithRetries(const RetryPolicy& policy,
                            const std::function<void(std::chrono::milliseconds)>& sleep,
                            const std::function<std::string()>& attempt);

// Retries another client's calls as HttpClient retries its own: for a client without retries of
// its own (InProcessClient, in particular under injected faults or throttling). `inner` must
// outlive it.
class RetryingClient : public DynamoDbClient {
 public:
  explicit RetryingClient(DynamoDbClient& inner, RetryPolicy policy = {},
                          std::function<void(std::chrono::milliseconds)> sleep = {});
  std::string Call(std::string_view operation, std::string_view request_json) override;

 private:
  DynamoDbClient& inner_;
  RetryPolicy policy_;
  std::function<void(std::chrono::milliseconds)> sleep_;
};

// Talks to a DynamoDB endpoint over HTTP(S). Thread-safe: calls share one keep-alive connection
// and take turns on it (see http::Client); use one client per thread for parallel calls.
class HttpClient : public DynamoDbClient {
 public:
  // `endpoint_url` as ResolveEndpoint() gives it (its path is the request target, "/" usually);
  // `region` is the SigV4 signing region. Throws std::invalid_argument for a malformed URL.
  HttpClient(std::string_view endpoint_url, std::string region, aws::Credentials credentials,
             HttpClientOptions options = {});

  std::string Call(std::string_view operation, std::string_view request_json) override;

  const http::Url& url() const { return http_.url(); }

 private:
  // One attempt: the response, or a thrown ApiError/TransportError.
  std::string Attempt(const http::Request& request);

  http::Client http_;
  std::string region_;
  aws::Credentials credentials_;
  HttpClientOptions options_;
};

// The ApiError a DynamoDB error response stands for: type from `__type` (the part after '#'),
// message from "message" or "Message", the remaining members as extra_json, `status` kept.
// Bodies that are not a JSON error (e.g. `<UnknownOperationException/>`) still give a type.
ddb::ApiError ErrorFromResponse(int status, std::string_view body);

// A successful response's body as a JSON object. Throws std::runtime_error("malformed DynamoDB
// response") when it is not one.
ddb::JsonDocument ParseResponse(std::string_view body);

// The endpoint to use: `explicit_url` when not empty, else DynamoDB's public endpoint for
// `region` (https://dynamodb.<region>.amazonaws.com, .amazonaws.com.cn in China regions).
// Throws std::invalid_argument when both are empty.
std::string ResolveEndpoint(std::string_view explicit_url, std::string_view region);

// The endpoint the environment names, as the AWS SDKs read it: AWS_ENDPOINT_URL_DYNAMODB, then
// AWS_ENDPOINT_URL; "" when neither is set.
std::string EndpointFromEnvironment();

}  // namespace cruddur::client
