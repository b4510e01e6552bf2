#include "aws/ec2.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "http/server.h"

namespace cruddur::aws {
namespace {

constexpr char kAccessKey[] = "AKIDEC2TEST";
constexpr char kSecret[] = "ec2-test-secret";

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
  for (const char* body : {"", "not xml <", "<Other><return>true</return></Other>",
                           "<ModifySecurityGroupRulesResponse><return>yes</return>"
                           "</ModifySecurityGroupRulesResponse>"}) {
    try {
      ParseModifySecurityGroupRulesResponse(body);
      ADD_FAILURE() << "accepted " << body;
    } catch (const ServiceError& e) {
      EXPECT_EQ(e.type(), "SerializationException");
    }
  }
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
  FakeEc2()
      : verifier_({{kAccessKey, kSecret}}, "ec2"),
        server_({.host = "127.0.0.1", .port = 0, .threads = 1},
                [this](const http::Request& r) { return Handle(r); }) {
    server_.Start();
  }
  ~FakeEc2() { server_.Stop(std::chrono::milliseconds(100)); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  std::string last_body() {
    std::lock_guard lock(mutex_);
    return last_body_;
  }

 private:
  http::Response Handle(const http::Request& request) {
    http::Response response;
    response.headers.Set("Content-Type", "text/xml;charset=UTF-8");
    {
      std::lock_guard lock(mutex_);
      last_body_ = request.body;
    }
    bool signed_ok = !verifier_.Verify(request, std::chrono::system_clock::now()).has_value();
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

  Verifier verifier_;
  http::Server server_;
  std::mutex mutex_;
  std::string last_body_;
};

ServiceConfig ConfigFor(const std::string& url) {
  ServiceConfig config;
  config.endpoint_url = url;
  config.region = "us-east-1";
  config.credentials = {kAccessKey, kSecret, ""};
  config.sleep = [](std::chrono::milliseconds) {};
  return config;
}

TEST(Ec2Client, ModifiesTheRule) {
  FakeEc2 fake;
  Ec2Client client(ConfigFor(fake.url()));
  EXPECT_TRUE(client.ModifySecurityGroupRules(PostgresRule("198.51.100.1/32")));
  EXPECT_EQ(fake.last_body(), ModifySecurityGroupRulesForm(PostgresRule("198.51.100.1/32")));
}

TEST(Ec2Client, ErrorsCarryTheEc2Code) {
  FakeEc2 fake;
  Ec2Client client(ConfigFor(fake.url()));
  ModifySecurityGroupRulesRequest request = PostgresRule("198.51.100.1/32");
  request.group_id = "sg-missing";
  try {
    client.ModifySecurityGroupRules(request);
    FAIL() << "no error";
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.type(), "InvalidGroup.NotFound");
    EXPECT_EQ(e.message(), "The security group does not exist");
  }
  ServiceConfig bad = ConfigFor(fake.url());
  bad.credentials.secret_access_key = "nope";
  Ec2Client unsigned_client(bad);
  try {
    unsigned_client.ModifySecurityGroupRules(PostgresRule("198.51.100.1/32"));
    FAIL() << "no error";
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.type(), "AuthFailure");
  }
}

}  // namespace
}  // namespace cruddur::aws
