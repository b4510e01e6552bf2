// The AWS service clients' settings as the operator commands resolve them from the environment
// (aws_service.cc): endpoint override, region, credentials.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "aws/service.h"

namespace cruddur::cli {

// Settings for one AWS service:
//   endpoint: AWS_ENDPOINT_URL_<env_service_id>, then AWS_ENDPOINT_URL, else the public endpoint
//             https://<endpoint_prefix>.<region>.amazonaws.com;
//   region:   AWS_REGION / AWS_DEFAULT_REGION / the profile's, else `fallback_region` (e.g. the
//             region in a user pool id), else us-east-1 when an endpoint override is set;
//   credentials: environment, then the shared files (client/credentials.h).
// Throws CliError (one line, naming what to set) when credentials or a region are missing.
aws::ServiceConfig AwsServiceConfig(std::string_view endpoint_prefix,
                                    std::string_view env_service_id,
                                    std::string_view fallback_region = "");

// Runs `call`, turning AWS failures into one-line CliErrors that name `what` (e.g. "Cognito
// ListUsers"): "<what> failed: <AwsErrorType>: <message>" or "cannot reach <what> at <url>: ...".
void RunAwsCall(std::string_view what, const aws::ServiceConfig& config,
                const std::function<void()>& call);

}  // namespace cruddur::cli
