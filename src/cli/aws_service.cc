#include "cli/aws_service.h"

#include <optional>
#include <stdexcept>
#include <utility>

#include "cli/cli.h"
#include "client/credentials.h"
#include "http/client.h"

namespace cruddur::cli {

aws::ServiceConfig AwsServiceConfig(std::string_view endpoint_prefix,
                                    std::string_view env_service_id,
                                    std::string_view fallback_region) {
  aws::ServiceConfig config;
  try {
    config.endpoint_url = aws::EndpointFromEnvironment(env_service_id);
    std::optional<std::string> region = client::FindRegion();
    if (region && !region->empty()) {
      config.region = *region;
    } else if (!fallback_region.empty()) {
      config.region = fallback_region;
    } else if (!config.endpoint_url.empty()) {
      config.region = "us-east-1";  // only signs requests to the override endpoint
    } else {
      throw CliError("no AWS region is configured: set AWS_REGION (or AWS_DEFAULT_REGION)");
    }
    if (config.endpoint_url.empty()) {
      config.endpoint_url = aws::DefaultEndpoint(endpoint_prefix, config.region);
    }
    config.credentials = client::ResolveCredentials();
  } catch (const client::CredentialsError& e) {
    throw CliError(e.what());
  }
  config.http.connect_timeout = std::chrono::seconds(5);
  config.http.request_timeout = std::chrono::seconds(30);
  return config;
}

void RunAwsCall(std::string_view what, const aws::ServiceConfig& config,
                const std::function<void()>& call) {
  try {
    call();
  } catch (const aws::ServiceError& e) {
    throw CliError(std::string(what) + " failed: " + e.what());
  } catch (const http::TransportError& e) {
    throw CliError("cannot reach " + std::string(what) + " at " + config.endpoint_url + ": " +
                   e.what());
  } catch (const std::invalid_argument& e) {  // a malformed endpoint URL
    throw CliError(std::string(what) + ": " + e.what());
  }
}

}  // namespace cruddur::cli
