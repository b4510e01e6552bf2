#include "aws/ec2.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "aws/fake_service_test_util.h"

namespace cruddur::aws {
namespace {

ModifySecurityGroupRulesRequest PostgresRule(std::string cidr) {
  ModifySecurityGroupRulesRequest request;
  request.group_id = "sg-0123";
  SecurityGroupRuleUpdate rule;
  rule.security_group_rule_id = "sgr-0456";
  rule.from_port = 5432;
  rule.to_port = 5432;
  rule.cidr_ipv4 = std::move(cidr);
  rule.description = "cruddur dev";
  request.rules.push_back(rule);
  return request;
}

TEST(Ec2Form, ModifySecurityGroupRulesMemberNames) {
  // The member names botocore's EC2 serializer produces for the same call.
  EXPECT_EQ(ModifySecurityGroupRulesForm(PostgresRule("203.0.113.7/32")),
            "Action=ModifySecurityGroupRules&Version=2016-11-15&GroupId=sg-0123"
            "&SecurityGroupRule.1.SecurityGroupRuleId=sgr-0456"
            "&SecurityGroupRule.1.SecurityGroupRule.IpProtocol=tcp"
            "&SecurityGroupRule.1.SecurityGroupRule.FromPort=5432"
            "&SecurityGroupRule.1.SecurityGroupRule.ToPort=5432"
            "&SecurityGroupRule.1.SecurityGroupRule.CidrIpv4=203.0.113.7%2F32"
            "&SecurityGroupRule.1.SecurityGroupRule.Description=cruddur%20dev");
}

TEST(Ec2Form, LeavesOutUnsetMembersAndNumbersRules) {
  ModifySecurityGroupRulesRequest request;
  request.group_id = "sg-1";
  request.rules.push_back({.security_group_rule_id = "sgr-a", .ip_protocol = ""});
  request.rules.push_back({.security_group_rule_id = "sgr-b", .ip_protocol = "-1"});
  EXPECT_EQ(ModifySecurityGroupRulesForm(request),
            "Action=ModifySecurityGroupRules&Version=2016-11-15&GroupId=sg-1"
            "&SecurityGroupRule.1.SecurityGroupRuleId=sgr-a"
            "&SecurityGroupRule.2.SecurityGroupRuleId=sgr-b"
            "&SecurityGroupRule.2.SecurityGroupRule.IpProtocol=-1");
}

TEST(Ec2Response, ReadsReturn) {
  EXPECT_TRUE(ParseModifySecurityGroupRulesResponse(
      R"(<?xml version="1.0" encoding="UTF-8"?>
<ModifySecurityGroupRulesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
    <return>true</return>
</ModifySecurityGroupRulesResponse>)"));
  EXPECT_FALSE(
      ParseModifySecurityGroupRulesResponse("<ModifySecurityGroupRulesResponse><return>false</"
                                            "return></ModifySecurityGroupRulesResponse>"));
  ExpectSerializationErrors(ParseModifySecurityGroupRulesResponse,
                            {"", "not xml <", "<Other><return>true</return></Other>",
                             "<ModifySecurityGroupRulesResponse><return>yes</return>"
                             "</ModifySecurityGroupRulesResponse>"});
}

TEST(Ec2Errors, CodeAndMessageFromTheErrorsDocument) {
  http::Response response;
  response.status = 400;
  response.body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
      "<Code>InvalidGroup.NotFound</Code>"
      "<Message>The security group &apos;sg-9&apos; does not exist</Message>"
      "</Error></Errors><RequestID>ab-12</RequestID></Response>";
  ServiceError e = ParseEc2Error(response);
  EXPECT_EQ(e.type(), "InvalidGroup.NotFound");
  EXPECT_EQ(e.message(), "The security group 'sg-9' does not exist");
  EXPECT_EQ(e.http_status(), 400);

  response.body = "<Errors><Error><Code>AuthFailure</Code></Error></Errors>";
  EXPECT_EQ(ParseEc2Error(response).type(), "AuthFailure");
  EXPECT_STREQ(ParseEc2Error(response).what(), "AuthFailure");

  response.status = 503;
  response.body = "Service Unavailable";
  EXPECT_EQ(ParseEc2Error(response).type(), "Unavailable");
}

// An in-process fake EC2 endpoint: checks the signature (service ec2) and the form, and answers
// as EC2 does.
class FakeEc2 {
 public:
  std::string url() const { return endpoint_.url(); }
  std::string last_body() {
    std::lock_guard lock(mutex_);
    return last_body_;
  }

 private:
  http::Response Handle(const http::Request& request, const std::optional<AuthError>& error) {
    http::Response response;
    response.headers.Set("Content-Type", "text/xml;charset=UTF-8");
    {
      std::lock_guard lock(mutex_);
      last_body_ = request.body;
    }
    bool signed_ok = !error.has_value();
    bool form =
        request.headers.Get("Content-Type").starts_with("application/x-www-form-urlencoded");
    if (!signed_ok || !form) {
      response.status = signed_ok ? 400 : 401;
      response.body = std::string("<Response><Errors><Error><Code>") +
                      (signed_ok ? "InvalidParameterValue" : "AuthFailure") +
                      "</Code><Message>rejected</Message></Error></Errors></Response>";
      return response;
    }
    if (request.body.find("GroupId=sg-0123&") == std::string::npos) {
      response.status = 400;
      response.body =
          "<Response><Errors><Error><Code>InvalidGroup.NotFound</Code><Message>The security group "
          "does not exist</Message></Error></Errors><RequestID>x</RequestID></Response>";
      return response;
    }
    response.body =
        "<ModifySecurityGroupRulesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
        "<requestId>r-1</requestId><return>true</return></ModifySecurityGroupRulesResponse>";
    return response;
  }

  std::mutex mutex_;
  std::string last_body_;
  FakeEndpoint endpoint_{"ec2", [this](const http::Request& r, const std::optional<AuthError>& e) {
                           return Handle(r, e);
                         }};
};

TEST(Ec2Client, ModifiesTheRule) {
  FakeEc2 fake;
  Ec2Client client(FakeConfig(fake.url()));
  EXPECT_TRUE(client.ModifySecurityGroupRules(PostgresRule("198.51.100.1/32")));
  EXPECT_EQ(fake.last_body(), ModifySecurityGroupRulesForm(PostgresRule("198.51.100.1/32")));
}

TEST(Ec2Client, ErrorsCarryTheEc2Code) {
  FakeEc2 fake;
  Ec2Client client(FakeConfig(fake.url()));
  ModifySecurityGroupRulesRequest request = PostgresRule("198.51.100.1/32");
  request.group_id = "sg-missing";
  ServiceError e = ServiceErrorOf([&] { client.ModifySecurityGroupRules(request); });
  EXPECT_EQ(e.type(), "InvalidGroup.NotFound");
  EXPECT_EQ(e.message(), "The security group does not exist");
  ServiceConfig bad = FakeConfig(fake.url());
  bad.credentials.secret_access_key = "nope";
  Ec2Client unsigned_client(bad);
  EXPECT_EQ(ServiceErrorOf([&] {
              unsigned_client.ModifySecurityGroupRules(PostgresRule("198.51.100.1/32"));
            }).type(),
            "AuthFailure");
}

}  // namespace
}  // namespace cruddur::aws
