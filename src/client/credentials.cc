#include "client/credentials.h"

#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

namespace cruddur::client {

namespace {

// The value of an environment variable, "" when unset.
std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string ExpandHome(std::string path) {
  if (path == "~" || path.rfind("~/", 0) == 0) path = Env("HOME") + path.substr(1);
  return path;
}

// The parsed file, or an empty one when it does not exist or cannot be read (as the SDKs do).
IniFile LoadIni(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return ParseIni(text.str());
}

using Section = std::map<std::string, std::string>;

const Section* CredentialsSection(const IniFile& file, const std::string& profile) {
  auto it = file.find(profile);
  return it == file.end() ? nullptr : &it->second;
}

// In the config file a profile is "[profile NAME]"; the default one may also be "[default]".
const Section* ConfigSection(const IniFile& file, const std::string& profile) {
  if (auto it = file.find("profile " + profile); it != file.end()) return &it->second;
  if (profile == "default") {
    if (auto it = file.find("default"); it != file.end()) return &it->second;
  }
  return nullptr;
}

std::string Get(const Section* section, const std::string& key) {
  if (section == nullptr) return "";
  auto it = section->find(key);
  return it == section->end() ? "" : it->second;
}

bool ProfileExplicit() {
  return !Env("AWS_PROFILE").empty() || !Env("AWS_DEFAULT_PROFILE").empty();
}

// The static keys of a section, nullopt when it has none. `provider` names the file in errors.
std::optional<aws::Credentials> KeysOf(const Section* section, const char* provider) {
  std::string key = Get(section, "aws_access_key_id");
  std::string secret = Get(section, "aws_secret_access_key");
  if (key.empty() && secret.empty()) return std::nullopt;
  if (key.empty() || secret.empty()) {
    throw CredentialsError(std::string("Partial credentials found in ") + provider + ", missing: " +
                           (key.empty() ? "aws_access_key_id" : "aws_secret_access_key"));
  }
  return aws::Credentials{key, secret, Get(section, "aws_session_token")};
}

// Profiles that get their credentials some other way than static keys.
void RejectUnsupported(const Section* section, const std::string& profile) {
  static constexpr std::array<std::pair<const char*, const char*>, 5> kProviders = {{
      {"role_arn", "assume-role"},
      {"sso_start_url", "SSO"},
      {"sso_session", "SSO"},
      {"credential_process", "credential_process"},
      {"web_identity_token_file", "web-identity"},
  }};
  for (const auto& [key, what] : kProviders) {
    if (!Get(section, key).empty()) {
      throw CredentialsError("The config profile (" + profile + ") uses " + what +
                             " credentials (" + key +
                             "), which cruddur does not support; set AWS_ACCESS_KEY_ID and "
                             "AWS_SECRET_ACCESS_KEY (e.g. from `aws configure "
                             "export-credentials --format env`)");
    }
  }
}

}  // namespace

IniFile ParseIni(std::string_view text) {
  IniFile file;
  Section* section = nullptr;
  bool nested = false;  // inside `key =` followed by indented sub-settings
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view raw = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    bool indented = raw.front() == ' ' || raw.front() == '\t';
    if (nested && indented) continue;
    nested = false;
    if (line.front() == '[') {
      std::size_t close = line.find(']');
      std::string_view name =
          Trim(line.substr(1, close == std::string_view::npos ? line.npos : close - 1));
      section = &file[std::string(name)];
      continue;
    }
    std::size_t eq = line.find('=');
    if (section == nullptr || eq == std::string_view::npos) continue;
    std::string key(Trim(line.substr(0, eq)));
    std::string value(Trim(line.substr(eq + 1)));
    nested = value.empty();
    (*section)[key] = std::move(value);
  }
  return file;
}

std::string ProfileName() {
  for (const char* name : {"AWS_PROFILE", "AWS_DEFAULT_PROFILE"}) {
    if (std::string value = Env(name); !value.empty()) return value;
  }
  return "default";
}

std::string SharedCredentialsPath() {
  std::string path = Env("AWS_SHARED_CREDENTIALS_FILE");
  return ExpandHome(path.empty() ? "~/.aws/credentials" : path);
}

std::string ConfigPath() {
  std::string path = Env("AWS_CONFIG_FILE");
  return ExpandHome(path.empty() ? "~/.aws/config" : path);
}

aws::Credentials ResolveCredentials() {
  std::string key = Env("AWS_ACCESS_KEY_ID");
  std::string secret = Env("AWS_SECRET_ACCESS_KEY");
  if (!key.empty() || !secret.empty()) {
    if (key.empty() || secret.empty()) {
      throw CredentialsError(std::string("Partial credentials found in env, missing: ") +
                             (key.empty() ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY"));
    }
    std::string token = Env("AWS_SESSION_TOKEN");
    if (token.empty()) token = Env("AWS_SECURITY_TOKEN");  // the older name, still honoured
    return {key, secret, token};
  }

  std::string profile = ProfileName();
  std::string credentials_path = SharedCredentialsPath();
  std::string config_path = ConfigPath();
  IniFile credentials_file = LoadIni(credentials_path);
  IniFile config_file = LoadIni(config_path);
  const Section* in_credentials = CredentialsSection(credentials_file, profile);
  const Section* in_config = ConfigSection(config_file, profile);
  if (auto found = KeysOf(in_credentials, "shared-credentials-file")) return *found;
  if (auto found = KeysOf(in_config, "config-file")) return *found;
  RejectUnsupported(in_config, profile);
  if (in_credentials == nullptr && in_config == nullptr && ProfileExplicit()) {
    throw CredentialsError("The config profile (" + profile + ") could not be found");
  }
  throw CredentialsError(
      "Unable to locate credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run "
      "`aws configure` (looked for profile '" +
      profile + "' in " + credentials_path + " and " + config_path + ")");
}

std::optional<std::string> FindRegion() {
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (std::string value = Env(name); !value.empty()) return value;
  }
  std::string profile = ProfileName();
  IniFile config_file = LoadIni(ConfigPath());
  const Section* section = ConfigSection(config_file, profile);
  if (section == nullptr && ProfileExplicit() &&
      CredentialsSection(LoadIni(SharedCredentialsPath()), profile) == nullptr) {
    throw CredentialsError("The config profile (" + profile + ") could not be found");
  }
  if (std::string region = Get(section, "region"); !region.empty()) return region;
  return std::nullopt;
}

std::string ResolveRegion() {
  if (auto region = FindRegion()) return *region;
  throw CredentialsError(
      "You must specify a region: set AWS_REGION (or AWS_DEFAULT_REGION), or `region` in the "
      "profile '" +
      ProfileName() + "' of " + ConfigPath());
}

}  // namespace cruddur::client
