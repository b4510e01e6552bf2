#include "aws/service.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <thread>
#include <utility>

#include "encoding/json.h"

namespace cruddur::aws {

namespace {

using encoding::StringMember;

// "com.amazonaws.cognito#NotAuthorizedException" or "NotAuthorizedException:http://..." ->
// "NotAuthorizedException".
std::string BareErrorType(std::string_view type) {
  if (std::size_t hash = type.rfind('#'); hash != std::string_view::npos) {
    type = type.substr(hash + 1);
  }
  if (std::size_t colon = type.find(':'); colon != std::string_view::npos) {
    type = type.substr(0, colon);
  }
  return std::string(type);
}

std::string StatusErrorType(int status) {
  if (status == 503) return "ServiceUnavailable";
  if (status >= 500) return "InternalErrorException";
  if (status == 429) return "TooManyRequestsException";
  if (status == 403) return "AccessDenied";
  if (status == 404) return "NotFound";
  return "HTTP " + std::to_string(status);
}

}  // namespace

ServiceError::ServiceError(int http_status, std::string type, std::string message)
    : std::runtime_error(message.empty() ? type : type + ": " + message),
      http_status_(http_status),
      type_(std::move(type)),
      message_(std::move(message)) {}

ServiceError ParseJsonError(const http::Response& response) {
  std::string type;
  std::string message;
  rapidjson::Document doc;
  doc.Parse(response.body.data(), response.body.size());
  if (!doc.HasParseError() && doc.IsObject()) {
    type = BareErrorType(StringMember(doc, "__type"));
    message = StringMember(doc, "message");
    if (message.empty()) message = StringMember(doc, "Message");
  }
  if (type.empty()) type = BareErrorType(response.headers.Get("x-amzn-ErrorType"));
  if (type.empty()) type = StatusErrorType(response.status);
  return ServiceError(response.status, std::move(type), std::move(message));
}

bool IsThrottlingError(std::string_view type) {
  // DynamoDB's own, then the names other AWS services and proxies answer with.
  static constexpr std::array<std::string_view, 9> kThrottling = {
      "ProvisionedThroughputExceededException",
      "ThrottlingException",
      "RequestLimitExceeded",
      "Throttling",
      "ThrottledException",
      "RequestThrottled",
      "RequestThrottledException",
      "TooManyRequestsException",
      "SlowDown"};
  return std::find(kThrottling.begin(), kThrottling.end(), type) != kThrottling.end();
}

std::string EndpointFromEnvironment(std::string_view env_service_id) {
  std::string specific = "AWS_ENDPOINT_URL_" + std::string(env_service_id);
  for (const char* name : {specific.c_str(), "AWS_ENDPOINT_URL"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return value;
  }
  return "";
}

std::string DefaultEndpoint(std::string_view endpoint_prefix, std::string_view region) {
  if (region.empty()) {
    throw std::invalid_argument("no " + std::string(endpoint_prefix) +
                                " endpoint: no region is configured (set AWS_REGION)");
  }
  std::string host = std::string(endpoint_prefix) + "." + std::string(region) + ".amazonaws.com";
  if (region.substr(0, 3) == "cn-") host.append(".cn");
  return "https://" + host;
}

SignedPoster::SignedPoster(ServiceConfig config, std::string signing_service)
    : config_(std::move(config)),
      service_(std::move(signing_service)),
      http_(config_.endpoint_url, config_.http) {
  if (!config_.sleep) {
    config_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }
  if (!config_.clock) config_.clock = [] { return std::chrono::system_clock::now(); };
  config_.max_attempts = std::max(1, config_.max_attempts);
}

http::Request SignedPoster::Build(const http::Headers& headers, std::string body) const {
  http::Request request;
  request.method = "POST";
  request.target = http_.url().target;
  request.headers.Set("Host", http_.url().HostHeader());
  for (const http::Headers::Field& field : headers) request.headers.Set(field.name, field.value);
  request.body = std::move(body);
  return request;
}

http::Response SignedPoster::Post(
    const http::Headers& headers, std::string body,
    const std::function<ServiceError(const http::Response&)>& parse_error) {
  http::Request request = Build(headers, std::move(body));
  std::chrono::milliseconds delay = config_.retry_delay;
  for (int attempt = 1;; ++attempt) {
    Sign(request, config_.credentials, config_.region, service_, config_.clock());
    bool last = attempt >= config_.max_attempts;
    try {
      http::Response response = http_.Send(request);
      if (response.status >= 200 && response.status < 300) return response;
      ServiceError error = parse_error(response);
      bool retryable =
          IsThrottlingError(error.type()) || response.status == 429 || response.status >= 500;
      if (!retryable || last) throw error;
    } catch (const http::TransportError&) {
      if (last) throw;
    }
    config_.sleep(delay);
    delay *= 2;
  }
}

}  // namespace cruddur::aws
