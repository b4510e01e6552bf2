// AWS credentials and region, resolved as the AWS SDKs and CLI do (the subset cruddur needs):
//   credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, then the profile
//                (AWS_PROFILE, else "default") in the shared credentials file
//                (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials), then in the config file
//                (AWS_CONFIG_FILE, else ~/.aws/config, whose sections read "[profile NAME]").
//   region:      AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region` in the config file.
// Not supported (reported as such): assume-role, SSO, credential_process and web-identity
// profiles, and the EC2/ECS metadata services.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "aws/sigv4.h"

namespace cruddur::client {

// Credentials or a region could not be resolved; the message says why and what to set.
class CredentialsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An AWS shared config/credentials file: section name (as written between the brackets, trimmed)
// -> key -> value. '#' and ';' start comment lines; indented lines under a key with an empty value
// (nested settings such as `s3 =`) are skipped. Later duplicates win.
using IniFile = std::map<std::string, std::map<std::string, std::string>>;
IniFile ParseIni(std::string_view text);

// The profile in use: AWS_PROFILE, else AWS_DEFAULT_PROFILE, else "default".
std::string ProfileName();
// AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials ("~" is $HOME).
std::string SharedCredentialsPath();
// AWS_CONFIG_FILE, else ~/.aws/config.
std::string ConfigPath();

// Throws CredentialsError when there are none, when only part of a key pair is given, when an
// explicitly named profile exists in neither file, or when the profile needs an unsupported
// provider.
aws::Credentials ResolveCredentials();

// The region, or nullopt when none is configured. Throws CredentialsError when an explicitly
// named profile exists in neither file.
std::optional<std::string> FindRegion();
// As FindRegion, but throws CredentialsError when no region is configured.
std::string ResolveRegion();

}  // namespace cruddur::client
