// `cruddur rds update-sg-rule` (the original bin/rds/update-sg-rule): points the database
// security-group rule DB_SG_RULE_ID of group DB_SG_ID at one IPv4 address (tcp 5432), with EC2
// ModifySecurityGroupRules.
#include <arpa/inet.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "aws/ec2.h"
#include "cli/aws_service.h"
#include "cli/cli.h"
#include "http/client.h"

namespace cruddur::cli {

namespace {

constexpr int kPostgresPort = 5432;
constexpr char kCheckIpUrl[] = "https://checkip.amazonaws.com";

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string RequiredEnv(const char* name, const char* what) {
  std::string value = Env(name);
  if (value.empty()) throw CliError(std::string(name) + " is not set: " + what);
  return value;
}

std::string Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

bool IsIpv4(const std::string& text) {
  in_addr address{};
  return inet_pton(AF_INET, text.c_str(), &address) == 1;
}

// "203.0.113.7" -> "203.0.113.7/32"; an explicit "a.b.c.d/n" (n in 0..32) is kept.
std::string CidrFor(const std::string& ip, const std::string& source) {
  std::string address = ip;
  std::string prefix = "32";
  if (std::size_t slash = ip.find('/'); slash != std::string::npos) {
    address = ip.substr(0, slash);
    prefix = ip.substr(slash + 1);
    bool digits = !prefix.empty() && prefix.size() <= 2 &&
                  prefix.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoi(prefix) > 32) {
      throw CliError("'" + ip + "' (" + source +
                     ") has an invalid prefix length: use a.b.c.d or a.b.c.d/n");
    }
  }
  if (!IsIpv4(address)) {
    throw CliError("'" + ip + "' (" + source + ") is not an IPv4 address: the rule takes CidrIpv4");
  }
  return address + "/" + prefix;
}

// This machine's public IP as checkip.amazonaws.com sees it (CRUDDUR_CHECKIP_URL overrides the
// URL). The original ran `curl ifconfig.me`; without internet access this fails quickly.
std::string DiscoverPublicIp() {
  std::string url = Env("CRUDDUR_CHECKIP_URL");
  if (url.empty()) url = kCheckIpUrl;
  std::string reason;
  try {
    http::ClientOptions options;
    options.connect_timeout = std::chrono::seconds(3);
    options.request_timeout = std::chrono::seconds(5);
    options.body_limit = 4096;
    http::Client client(url, options);
    http::Request request;
    request.method = "GET";
    request.target = client.url().target;
    http::Response response = client.Send(request);
    std::string ip = Trim(response.body);
    if (response.status == 200 && IsIpv4(ip)) return ip;
    reason = "HTTP " + std::to_string(response.status) + ", answer '" + ip.substr(0, 40) + "'";
  } catch (const std::exception& e) {
    reason = e.what();
  }
  throw CliError("cannot discover this machine's public IP from " + url + " (" + reason +
                 "): pass --ip IP (or set GITPOD_IP)");
}

struct UpdateOptions {
  std::string ip;
  std::string description = "cruddur";
};

void UpdateSgRule(const UpdateOptions& options) {
  std::string group_id = RequiredEnv("DB_SG_ID", "the database's security group id (sg-...)");
  std::string rule_id =
      RequiredEnv("DB_SG_RULE_ID", "the security group rule id to update (sgr-...)");
  std::string ip = options.ip;
  std::string source = "--ip";
  for (const char* name : {"GITPOD_IP", "CRUDDUR_PUBLIC_IP"}) {
    if (!ip.empty()) break;
    ip = Trim(Env(name));
    source = name;
  }
  if (ip.empty()) {
    ip = DiscoverPublicIp();
    source = "discovered";
  }
  std::string cidr = CidrFor(ip, source);

  aws::ModifySecurityGroupRulesRequest request;
  request.group_id = group_id;
  aws::SecurityGroupRuleUpdate rule;
  rule.security_group_rule_id = rule_id;
  rule.ip_protocol = "tcp";
  rule.from_port = kPostgresPort;
  rule.to_port = kPostgresPort;
  rule.cidr_ipv4 = cidr;
  rule.description = options.description;
  request.rules.push_back(rule);

  // `== label`, cyan on a terminal, as the original scripts printed.
  std::printf(isatty(fileno(stdout)) ? "\033[1;36m== rds-update-sg-rule\033[0m\n"
                                     : "== rds-update-sg-rule\n");
  std::printf("security group %s rule %s: tcp %d from %s (%s), description '%s'\n",
              group_id.c_str(), rule_id.c_str(), kPostgresPort, cidr.c_str(), source.c_str(),
              options.description.c_str());
  std::fflush(stdout);
  aws::ServiceConfig config = AwsServiceConfig(aws::kEc2Service, aws::kEc2EnvServiceId);
  bool modified = false;
  RunAwsCall("EC2 ModifySecurityGroupRules", config, [&] {
    aws::Ec2Client client(config);
    modified = client.ModifySecurityGroupRules(request);
  });
  if (!modified) {
    throw CliError("EC2 ModifySecurityGroupRules answered false: rule " + rule_id +
                   " was not modified");
  }
  std::printf("modified\n");
}

}  // namespace

void AddRdsCommands(CLI::App& app, GlobalOptions& /*globals*/) {
  CLI::App* rds = AddCommandGroup(app, "rds", "The RDS database's network access");
  auto options = std::make_shared<UpdateOptions>();
  CLI::App* update = rds->add_subcommand(
      "update-sg-rule",
      "Point security group rule DB_SG_RULE_ID (group DB_SG_ID) at this machine: tcp 5432 from "
      "IP/32");
  update->add_option("--ip", options->ip,
                     "The IPv4 address to allow (default: $GITPOD_IP, $CRUDDUR_PUBLIC_IP, else "
                     "discovered via checkip.amazonaws.com)");
  update->add_option("--description", options->description, "The rule's description")
      ->capture_default_str();
  update->callback([options] { UpdateSgRule(*options); });
}

}  // namespace cruddur::cli
