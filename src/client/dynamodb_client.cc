#include "client/dynamodb_client.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>

#include "common/random.h"
#include "encoding/crc32.h"
#include "encoding/json.h"

namespace cruddur::client {

namespace {

constexpr std::string_view kStreamsPrefix = "Streams.";
constexpr std::string_view kCruddurPrefix = "Cruddur.";

std::string Target(std::string_view operation) {
  if (operation.substr(0, kStreamsPrefix.size()) == kStreamsPrefix) {
    return "DynamoDBStreams_20120810." + std::string(operation.substr(kStreamsPrefix.size()));
  }
  if (operation.starts_with(kCruddurPrefix)) {
    return "Cruddur_20261203." + std::string(operation.substr(kCruddurPrefix.size()));
  }
  if (operation.starts_with(kFaultsOperationPrefix)) {
    return "CruddurFaults_20261203." + std::string(operation.substr(kFaultsOperationPrefix.size()));
  }
  return "DynamoDB_20120810." + std::string(operation);
}

// `<UnknownOperationException/>` -> "UnknownOperationException"; "" for anything else.
std::string XmlErrorType(std::string_view body) {
  while (!body.empty() && (body.back() == '\n' || body.back() == ' ')) body.remove_suffix(1);
  if (body.size() < 4 || body.front() != '<' || body.substr(body.size() - 2) != "/>") return "";
  std::string_view name = body.substr(1, body.size() - 3);
  bool plain = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
  return plain ? std::string(name) : "";
}

std::string TypeForStatus(int status) {
  if (status == 503) return "ServiceUnavailable";
  if (status >= 500) return "InternalServerError";
  if (status == 413) return "RequestEntityTooLarge";
  return "UnknownError";
}

// A transaction DynamoDB cancelled only because a table was out of capacity (every reason
// None or a throttling code): nothing was written, so it is retried as a throttled request is.
bool IsThrottledTransaction(const ddb::ApiError& error) {
  if (error.type() != "TransactionCanceledException" || error.extra_json().empty()) return false;
  rapidjson::Document doc;
  std::string json = "{" + error.extra_json() + "}";
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.HasMember("CancellationReasons") ||
      !doc["CancellationReasons"].IsArray()) {
    return false;
  }
  bool throttled = false;
  for (const auto& reason : doc["CancellationReasons"].GetArray()) {
    if (!reason.IsObject() || !reason.HasMember("Code") || !reason["Code"].IsString()) continue;
    std::string_view code = reason["Code"].GetString();
    if (code == "None") continue;
    if (code != "ProvisionedThroughputExceeded" && code != "ThrottlingError") return false;
    throttled = true;
  }
  return throttled;
}

std::chrono::milliseconds Backoff(const RetryPolicy& policy, int retry) {
  long long cap = policy.base_delay.count() << std::min(retry, 30);
  cap = std::min<long long>(cap, policy.max_backoff.count());
  std::uniform_int_distribution<long long> delay(0, std::max(0LL, cap));
  return std::chrono::milliseconds(delay(ThreadRandom()));
}

}  // namespace

std::string InProcessClient::Call(std::string_view operation, std::string_view request_json) {
  return engine_.Execute(operation, request_json);
}

ddb::ApiError ErrorFromResponse(int status, std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    std::string type = XmlErrorType(body);
    if (!type.empty()) return {status, type, ""};
    std::string excerpt(body.substr(0, 200));
    return {status, TypeForStatus(status),
            "HTTP " + std::to_string(status) + (excerpt.empty() ? "" : ": " + excerpt)};
  }
  std::string type;
  std::string message;
  std::string extra;
  const rapidjson::Value& root = doc;  // const iteration: clang finds the non-const one ambiguous
  for (const auto& member : root.GetObject()) {
    std::string_view name(member.name.GetString(), member.name.GetStringLength());
    if (name == "__type" && member.value.IsString()) {
      std::string_view value(member.value.GetString(), member.value.GetStringLength());
      type = value.substr(value.rfind('#') + 1);  // npos + 1 == 0: no namespace
    } else if ((name == "message" || name == "Message") && member.value.IsString()) {
      message.assign(member.value.GetString(), member.value.GetStringLength());
    } else {
      if (!extra.empty()) extra.push_back(',');
      extra.append(encoding::JsonText(member.name)).push_back(':');
      extra.append(encoding::JsonText(member.value));
    }
  }
  if (type.empty()) type = TypeForStatus(status);
  ddb::ApiError error(status, std::move(type), message);
  if (!extra.empty()) error.with_extra_json(std::move(extra));
  return error;
}

HttpClient::HttpClient(std::string_view endpoint_url, std::string region,
                       aws::Credentials credentials, HttpClientOptions options)
    : http_(endpoint_url, options.http),
      region_(std::move(region)),
      credentials_(std::move(credentials)),
      options_(std::move(options)) {
  if (!options_.sleep) {
    options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }
  if (!options_.clock) options_.clock = [] { return std::chrono::system_clock::now(); };
}

std::string HttpClient::Attempt(const http::Request& request) {
  http::Response response = http_.Send(request);
  if (const std::string* expected = response.headers.Find("x-amz-crc32")) {
    std::string actual = std::to_string(encoding::Crc32(response.body));
    if (actual != *expected) {
      throw http::TransportError("the response body failed its x-amz-crc32 check (header " +
                                 *expected + ", body " + actual + ")");
    }
  }
  if (response.status >= 200 && response.status < 300) return std::move(response.body);
  throw ErrorFromResponse(response.status, response.body);
}

std::string HttpClient::Call(std::string_view operation, std::string_view request_json) {
  http::Request request;
  request.method = "POST";
  request.target = http_.url().target;
  request.headers.Set("Host", http_.url().HostHeader());
  request.headers.Set("Content-Type", "application/x-amz-json-1.0");
  request.headers.Set("X-Amz-Target", Target(operation));
  request.body = request_json;

  return CallWithRetries(options_.retry, options_.sleep, [&] {
    aws::Sign(request, credentials_, region_, "dynamodb",
              options_.clock());  // fresh date each time
    return Attempt(request);
  });
}

RetryingClient::RetryingClient(DynamoDbClient& inner, RetryPolicy policy,
                               std::function<void(std::chrono::milliseconds)> sleep)
    : inner_(inner), policy_(policy), sleep_(std::move(sleep)) {
  if (!sleep_) sleep_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

std::string RetryingClient::Call(std::string_view operation, std::string_view request_json) {
  return CallWithRetries(policy_, sleep_, [&] { return inner_.Call(operation, request_json); });
}

std::string CallWithRetries(const RetryPolicy& policy,
                            const std::function<void(std::chrono::milliseconds)>& sleep,
                            const std::function<std::string()>& attempt_once) {
  // Each kind of failure has its own budget: attempts a throttled table spent waiting for
  // capacity must not leave a lone 5xx or dropped connection after them without a retry.
  int throttled = 0;
  int transient = 0;
  for (int retry = 0;; ++retry) {
    try {
      return attempt_once();
    } catch (const ddb::ApiError& error) {
      if (IsThrottlingError(error.type()) || error.http_status() == 429 ||
          IsThrottledTransaction(error)) {
        if (++throttled >= policy.max_attempts_throttled) throw;
      } else if (error.http_status() >= 500) {
        if (++transient >= policy.max_attempts_transient) throw;
      } else {
        throw;
      }
    } catch (const http::TransportError&) {
      if (++transient >= policy.max_attempts_transient) throw;
    }
    sleep(Backoff(policy, retry));
  }
}

ddb::JsonDocument ParseResponse(std::string_view body) {
  ddb::JsonDocument d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject()) throw std::runtime_error("malformed DynamoDB response");
  return d;
}

std::string ResolveEndpoint(std::string_view explicit_url, std::string_view region) {
  if (!explicit_url.empty()) return std::string(explicit_url);
  if (region.empty()) {
    throw std::invalid_argument("no DynamoDB endpoint: give an endpoint URL or a region");
  }
  std::string host = "dynamodb." + std::string(region) + ".amazonaws.com";
  if (region.substr(0, 3) == "cn-") host.append(".cn");
  return "https://" + host;
}

std::string EndpointFromEnvironment() {
  for (const char* name : {"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return value;
  }
  return "";
}

}  // namespace cruddur::client
