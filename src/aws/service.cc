#include "aws/service.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <thread>
#include <utility>

namespace cruddur::aws {

ServiceError::ServiceError(int http_status, std::string type, std::string message)
    : std::runtime_error(message.empty() ? type : type + ": " + message),
      http_status_(http_status),
      type_(std::move(type)),
      message_(std::move(message)) {}

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
