// Amazon EC2: ModifySecurityGroupRules over the EC2 Query protocol (form-encoded POST /,
// Version 2016-11-15, XML answers), SigV4-signed as service "ec2".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "aws/service.h"

namespace cruddur::aws {

inline constexpr std::string_view kEc2Service = "ec2";
inline constexpr std::string_view kEc2EnvServiceId = "EC2";
inline constexpr std::string_view kEc2ApiVersion = "2016-11-15";

// One SecurityGroupRuleUpdate: the rule to replace and its new definition (a
// SecurityGroupRuleRequest). Empty strings and negative ports are left out of the request.
struct SecurityGroupRuleUpdate {
  std::string security_group_rule_id;
  std::string ip_protocol = "tcp";
  int from_port = -1;
  int to_port = -1;
  std::string cidr_ipv4;  // e.g. "203.0.113.7/32"
  std::string description;
};

struct ModifySecurityGroupRulesRequest {
  std::string group_id;
  std::vector<SecurityGroupRuleUpdate> rules;
};

// The form-encoded body: Action=ModifySecurityGroupRules&Version=2016-11-15&GroupId=...&
// SecurityGroupRule.1.SecurityGroupRuleId=...&SecurityGroupRule.1.SecurityGroupRule.IpProtocol=...
std::string ModifySecurityGroupRulesForm(const ModifySecurityGroupRulesRequest& request);

// The <return> of a ModifySecurityGroupRulesResponse. Throws ServiceError (type
// "SerializationException") when the body is not that XML document.
bool ParseModifySecurityGroupRulesResponse(std::string_view body);

// The ServiceError an EC2 error answer stands for:
// <Response><Errors><Error><Code>..</Code><Message>..</Message></Error></Errors>...</Response>
// (the first error), else one named after the HTTP status.
ServiceError ParseEc2Error(const http::Response& response);

class Ec2Client {
 public:
  // Throws std::invalid_argument for a malformed endpoint URL.
  explicit Ec2Client(ServiceConfig config);

  // The service's <return> (true when every rule was modified). Throws ServiceError or
  // http::TransportError.
  bool ModifySecurityGroupRules(const ModifySecurityGroupRulesRequest& request);

  const SignedPoster& poster() const { return poster_; }

 private:
  SignedPoster poster_;
};

}  // namespace cruddur::aws
