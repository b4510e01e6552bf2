// What the small AWS service clients (cognito.h, ec2.h) share: endpoint resolution as the AWS
// SDKs do it, the error an AWS service answered with (and how an AWS JSON-protocol answer says
// it), and one signed POST with retries.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "aws/sigv4.h"
#include "http/client.h"
#include "http/message.h"

namespace cruddur::aws {

// An AWS service answered with an error: its error type (e.g. "ResourceNotFoundException",
// "InvalidGroup.NotFound"), message and HTTP status. what() is "<type>: <message>".
class ServiceError : public std::runtime_error {
 public:
  ServiceError(int http_status, std::string type, std::string message);

  int http_status() const { return http_status_; }
  const std::string& type() const { return type_; }
  const std::string& message() const { return message_; }

 private:
  int http_status_;
  std::string type_;
  std::string message_;
};

// The ServiceError an AWS JSON-protocol error answer stands for: the type from `__type` (the
// part after '#' or before ':'), else the x-amzn-ErrorType header, else one named after the
// status; the message from "message" or "Message".
ServiceError ParseJsonError(const http::Response& response);

// True for the error types AWS services use when they throttle a caller.
bool IsThrottlingError(std::string_view type);

// The endpoint override the environment names for a service, as the AWS SDKs read it:
// AWS_ENDPOINT_URL_<env_service_id>, then AWS_ENDPOINT_URL; "" when neither is set.
// `env_service_id` is the service id upper-cased with '_' for spaces, e.g.
// "COGNITO_IDENTITY_PROVIDER".
std::string EndpointFromEnvironment(std::string_view env_service_id);

// The public endpoint of a service in a region: https://<endpoint_prefix>.<region>.amazonaws.com
// (".amazonaws.com.cn" in the China regions). Throws std::invalid_argument for an empty region.
std::string DefaultEndpoint(std::string_view endpoint_prefix, std::string_view region);

// Where and how a client talks to one AWS service.
struct ServiceConfig {
  std::string endpoint_url;  // as EndpointFromEnvironment or DefaultEndpoint give it
  std::string region;        // the SigV4 signing region
  Credentials credentials;
  http::ClientOptions http;
  // Attempts for throttling, 5xx answers and transport failures (others are never retried).
  int max_attempts = 3;
  std::chrono::milliseconds retry_delay{100};  // doubled after each failed attempt
  // Tests replace these; defaults: std::this_thread::sleep_for and system_clock::now.
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<std::chrono::system_clock::time_point()> clock;
};

// Sends SigV4-signed POSTs to one service endpoint over one keep-alive connection.
// Not thread-safe beyond what http::Client guarantees.
class SignedPoster {
 public:
  // `signing_service` is the SigV4 service name ("cognito-idp", "ec2").
  // Throws std::invalid_argument for a malformed endpoint URL.
  SignedPoster(ServiceConfig config, std::string signing_service);

  // POSTs `body` to the endpoint's path with `headers` (Content-Type, X-Amz-Target, ...), signs
  // each attempt afresh, and retries as ServiceConfig says. Returns the 2xx response; an error
  // answer is turned into a ServiceError by `parse_error(status, body)` and thrown. Transport
  // failures surface as http::TransportError.
  http::Response Post(const http::Headers& headers, std::string body,
                      const std::function<ServiceError(const http::Response&)>& parse_error);

  const http::Url& url() const { return http_.url(); }
  const ServiceConfig& config() const { return config_; }

  // The request Post() sends (before signing): for tests.
  http::Request Build(const http::Headers& headers, std::string body) const;

 private:
  ServiceConfig config_;
  std::string service_;
  http::Client http_;
};

}  // namespace cruddur::aws
