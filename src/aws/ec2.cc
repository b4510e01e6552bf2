#include "aws/ec2.h"

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <optional>
#include <sstream>
#include <utility>

#include "encoding/percent.h"

namespace cruddur::aws {

namespace {

namespace pt = boost::property_tree;

constexpr char kFormContentType[] = "application/x-www-form-urlencoded; charset=utf-8";

void AddParam(std::string& form, std::string_view name, std::string_view value) {
  if (!form.empty()) form.push_back('&');
  form.append(encoding::PercentEncode(name)).push_back('=');
  form.append(encoding::PercentEncode(value));
}

std::optional<pt::ptree> ParseXml(std::string_view body) {
  std::istringstream in{std::string(body)};
  pt::ptree tree;
  try {
    pt::read_xml(in, tree, pt::xml_parser::trim_whitespace);
  } catch (const pt::xml_parser_error&) {
    return std::nullopt;
  }
  return tree;
}

std::string StatusErrorType(int status) {
  if (status == 503) return "Unavailable";
  if (status >= 500) return "InternalError";
  if (status == 403) return "AuthFailure";
  return "HTTP " + std::to_string(status);
}

}  // namespace

std::string ModifySecurityGroupRulesForm(const ModifySecurityGroupRulesRequest& request) {
  std::string form;
  AddParam(form, "Action", "ModifySecurityGroupRules");
  AddParam(form, "Version", kEc2ApiVersion);
  AddParam(form, "GroupId", request.group_id);
  for (std::size_t i = 0; i < request.rules.size(); ++i) {
    const SecurityGroupRuleUpdate& rule = request.rules[i];
    std::string prefix = "SecurityGroupRule." + std::to_string(i + 1) + ".";
    AddParam(form, prefix + "SecurityGroupRuleId", rule.security_group_rule_id);
    std::string inner = prefix + "SecurityGroupRule.";
    if (!rule.ip_protocol.empty()) AddParam(form, inner + "IpProtocol", rule.ip_protocol);
    if (rule.from_port >= 0) AddParam(form, inner + "FromPort", std::to_string(rule.from_port));
    if (rule.to_port >= 0) AddParam(form, inner + "ToPort", std::to_string(rule.to_port));
    if (!rule.cidr_ipv4.empty()) AddParam(form, inner + "CidrIpv4", rule.cidr_ipv4);
    if (!rule.description.empty()) AddParam(form, inner + "Description", rule.description);
  }
  return form;
}

bool ParseModifySecurityGroupRulesResponse(std::string_view body) {
  std::optional<pt::ptree> tree = ParseXml(body);
  auto malformed = [](const std::string& why) {
    return ServiceError(200, "SerializationException",
                        "the ModifySecurityGroupRules answer is not what EC2 sends: " + why);
  };
  if (!tree) throw malformed("not XML");
  auto value = tree->get_optional<std::string>("ModifySecurityGroupRulesResponse.return");
  if (!value) throw malformed("no ModifySecurityGroupRulesResponse/return element");
  if (*value == "true") return true;
  if (*value == "false") return false;
  throw malformed("<return> is '" + *value + "'");
}

ServiceError ParseEc2Error(const http::Response& response) {
  if (std::optional<pt::ptree> tree = ParseXml(response.body)) {
    // Older endpoints answered <Errors> without the <Response> wrapper.
    for (const char* path : {"Response.Errors.Error", "Errors.Error"}) {
      if (auto error = tree->get_child_optional(path)) {
        std::string code = error->get<std::string>("Code", "");
        if (!code.empty()) {
          return ServiceError(response.status, std::move(code),
                              error->get<std::string>("Message", ""));
        }
      }
    }
  }
  return ServiceError(response.status, StatusErrorType(response.status), "");
}

Ec2Client::Ec2Client(ServiceConfig config) : poster_(std::move(config), std::string(kEc2Service)) {}

bool Ec2Client::ModifySecurityGroupRules(const ModifySecurityGroupRulesRequest& request) {
  http::Headers headers;
  headers.Set("Content-Type", kFormContentType);
  http::Response response =
      poster_.Post(headers, ModifySecurityGroupRulesForm(request), ParseEc2Error);
  return ParseModifySecurityGroupRulesResponse(response.body);
}

}  // namespace cruddur::aws
