#include "ddb/policy.h"

#include <gtest/gtest.h>

#include "ddb/error.h"

namespace cruddur::ddb {
namespace {

constexpr std::string_view kTable = "arn:aws:dynamodb:us-east-1:000000000000:table/Music";
constexpr std::string_view kBob = "arn:aws:iam::000000000000:user/bob";
constexpr std::string_view kCarol = "arn:aws:iam::111122223333:user/carol";

// The decision of `policy` for `principal` doing `action` on `resource` with `context`.
PolicyDecision Decide(std::string_view policy, std::string_view principal, std::string_view action,
                      std::string_view resource = kTable, const ConditionContext& context = {}) {
  std::string_view account = principal.substr(13, 12);
  return EvaluatePolicy(policy, {.principal_arn = principal,
                                 .principal_account = account,
                                 .action = action,
                                 .resource = resource,
                                 .context = &context});
}

std::string Statement(std::string_view effect, std::string_view principal, std::string_view action,
                      std::string_view resource, std::string_view condition = "") {
  std::string s = R"({"Effect":")" + std::string(effect) + R"(","Principal":)" +
                  std::string(principal) + R"(,"Action":)" + std::string(action) +
                  R"(,"Resource":)" + std::string(resource);
  if (!condition.empty()) s += R"(,"Condition":)" + std::string(condition);
  return s + "}";
}

std::string Policy(std::initializer_list<std::string> statements) {
  std::string s = R"({"Version":"2012-10-17","Statement":[)";
  bool first = true;
  for (const auto& st : statements) {
    if (!first) s += ",";
    s += st;
    first = false;
  }
  return s + "]}";
}

const std::string kAnyTable = R"("arn:aws:dynamodb:us-east-1:000000000000:table/Music")";

TEST(PolicyTest, ExplicitDenyWinsOverAllow) {
  auto policy = Policy({Statement("Allow", R"("*")", R"("dynamodb:*")", kAnyTable),
                        Statement("Deny", R"({"AWS":")" + std::string(kBob) + R"("})",
                                  R"("dynamodb:PutItem")", kAnyTable)});
  EXPECT_EQ(Decide(policy, kBob, "dynamodb:PutItem"), PolicyDecision::kExplicitDeny);
  EXPECT_EQ(Decide(policy, kBob, "dynamodb:GetItem"), PolicyDecision::kAllow);
  EXPECT_EQ(Decide(policy, kCarol, "dynamodb:PutItem"), PolicyDecision::kAllow);
}

TEST(PolicyTest, NothingMatchingIsNotApplicable) {
  auto policy =
      Policy({Statement("Allow", R"({"AWS":"111122223333"})", R"("dynamodb:GetItem")", kAnyTable)});
  EXPECT_EQ(Decide(policy, kBob, "dynamodb:GetItem"), PolicyDecision::kNotApplicable);
  EXPECT_EQ(Decide(policy, kCarol, "dynamodb:GetItem"), PolicyDecision::kAllow);
  EXPECT_EQ(Decide(policy, kCarol, "dynamodb:PutItem"), PolicyDecision::kNotApplicable);
}

TEST(PolicyTest, AccountRootStandsForEveryPrincipalOfTheAccount) {
  auto policy = Policy({Statement("Deny", R"({"AWS":["arn:aws:iam::111122223333:root"]})",
                                  R"("dynamodb:*")", R"("*")")});
  EXPECT_EQ(Decide(policy, kCarol, "dynamodb:Scan"), PolicyDecision::kExplicitDeny);
  EXPECT_EQ(Decide(policy, kBob, "dynamodb:Scan"), PolicyDecision::kNotApplicable);
}

TEST(PolicyTest, ActionWildcardsIgnoreCase) {
  auto policy =
      Policy({Statement("Deny", R"("*")", R"(["dynamodb:get*", "dynamodb:?can"])", kAnyTable)});
  EXPECT_EQ(Decide(policy, kBob, "dynamodb:GetItem"), PolicyDecision::kExplicitDeny);
  EXPECT_EQ(Decide(policy, kBob, "dynamodb:Scan"), PolicyDecision::kExplicitDeny);
  EXPECT_EQ(Decide(policy, kBob, "dynamodb:PutItem"), PolicyDecision::kNotApplicable);
  EXPECT_EQ(Decide(policy, kBob, "dynamodb:BatchGetItem"), PolicyDecision::kNotApplicable);
}

TEST(PolicyTest, NotActionNotPrincipalAndNotResource) {
  std::string policy = Policy({R"({"Effect":"Deny","NotPrincipal":{"AWS":")" + std::string(kBob) +
                               R"("},"NotAction":"dynamodb:Get*","NotResource":")" +
                               std::string(kTable) + R"(/index/*"})"});
  EXPECT_EQ(Decide(policy, kCarol, "dynamodb:PutItem"), PolicyDecision::kExplicitDeny);
  EXPECT_EQ(Decide(policy, kBob, "dynamodb:PutItem"), PolicyDecision::kNotApplicable);
  EXPECT_EQ(Decide(policy, kCarol, "dynamodb:GetItem"), PolicyDecision::kNotApplicable);
  std::string index = std::string(kTable) + "/index/byArtist";
  EXPECT_EQ(Decide(policy, kCarol, "dynamodb:Query", index), PolicyDecision::kNotApplicable);
}

TEST(PolicyTest, ResourcesOfTableIndexAndStream) {
  auto policy = Policy({Statement(
      "Deny", R"("*")", R"("dynamodb:*")",
      R"(["arn:aws:dynamodb:*:*:table/Music/index/*", "arn:aws:dynamodb:us-east-1:*:table/Music/stream/*"])")});
  std::string table(kTable);
  EXPECT_EQ(Decide(policy, kBob, "dynamodb:Query"), PolicyDecision::kNotApplicable);
  EXPECT_EQ(Decide(policy, kBob, "dynamodb:Query", table + "/index/byArtist"),
            PolicyDecision::kExplicitDeny);
  EXPECT_EQ(Decide(policy, kBob, "dynamodb:GetRecords", table + "/stream/2026-01-01T00:00:00.000"),
            PolicyDecision::kExplicitDeny);
  // ArnLike matches part by part: a * in the region does not reach into the account.
  EXPECT_FALSE(ArnMatch("arn:aws:dynamodb:*:table/Music", table));
  EXPECT_TRUE(ArnMatch("arn:aws:dynamodb:*:*:table/Mus?c", table));
}

TEST(PolicyTest, StringConditionsOnPrincipalKeys) {
  ConditionContext context = {{"aws:principalarn", {std::string(kBob)}}, {"aws:username", {"bob"}}};
  auto deny_if = [](std::string_view condition) {
    return Policy({Statement("Deny", R"("*")", R"("dynamodb:*")", R"("*")", condition)});
  };
  EXPECT_EQ(Decide(deny_if(R"({"StringEquals":{"aws:username":"bob"}})"), kBob, "dynamodb:Scan",
                   kTable, context),
            PolicyDecision::kExplicitDeny);
  EXPECT_EQ(Decide(deny_if(R"({"StringNotEquals":{"aws:username":["bob","alice"]}})"), kBob,
                   "dynamodb:Scan", kTable, context),
            PolicyDecision::kNotApplicable);
  EXPECT_EQ(Decide(deny_if(R"({"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/b*"}})"), kBob,
                   "dynamodb:Scan", kTable, context),
            PolicyDecision::kExplicitDeny);
  EXPECT_EQ(Decide(deny_if(R"({"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/c*"}})"), kBob,
                   "dynamodb:Scan", kTable, context),
            PolicyDecision::kNotApplicable);
  // Every entry of the block must hold.
  EXPECT_EQ(Decide(deny_if(R"({"StringEquals":{"aws:username":"bob"},
                                "ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::1:user/bob"}})"),
                   kBob, "dynamodb:Scan", kTable, context),
            PolicyDecision::kNotApplicable);
}

TEST(PolicyTest, MissingKeysAndIfExists) {
  auto deny_if = [](std::string_view condition) {
    return Policy({Statement("Deny", R"("*")", R"("dynamodb:*")", R"("*")", condition)});
  };
  // A key the request does not have: a positive operator fails, a negated one holds.
  EXPECT_EQ(
      Decide(deny_if(R"({"StringEquals":{"aws:SourceIp":"1.2.3.4"}})"), kBob, "dynamodb:Scan"),
      PolicyDecision::kNotApplicable);
  EXPECT_EQ(
      Decide(deny_if(R"({"StringNotEquals":{"dynamodb:Select":"COUNT"}})"), kBob, "dynamodb:Scan"),
      PolicyDecision::kExplicitDeny);
  EXPECT_EQ(Decide(deny_if(R"({"StringEqualsIfExists":{"dynamodb:Select":"COUNT"}})"), kBob,
                   "dynamodb:Scan"),
            PolicyDecision::kExplicitDeny);
  EXPECT_EQ(Decide(deny_if(R"({"Null":{"dynamodb:Select":"true"}})"), kBob, "dynamodb:Scan"),
            PolicyDecision::kExplicitDeny);
  EXPECT_EQ(Decide(deny_if(R"({"Null":{"dynamodb:Select":"false"}})"), kBob, "dynamodb:Scan"),
            PolicyDecision::kNotApplicable);
  // An operator not modelled never applies (a Deny it guards is not enforced).
  EXPECT_EQ(Decide(deny_if(R"({"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}})"),
                   kBob, "dynamodb:Scan"),
            PolicyDecision::kNotApplicable);
}

TEST(PolicyTest, SetQualifiersOnLeadingKeys) {
  ConditionContext two = {{"dynamodb:leadingkeys", {"alice", "bob"}}};
  ConditionContext none;
  auto allow_if = [](std::string_view condition) {
    return Policy({Statement("Allow", R"("*")", R"("dynamodb:*")", R"("*")", condition)});
  };
  auto all_alice = allow_if(R"({"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":"alice"}})");
  EXPECT_EQ(Decide(all_alice, kCarol, "dynamodb:BatchGetItem", kTable, two),
            PolicyDecision::kNotApplicable);
  EXPECT_EQ(Decide(all_alice, kCarol, "dynamodb:Scan", kTable, none), PolicyDecision::kAllow);
  auto any_alice = allow_if(R"({"ForAnyValue:StringEquals":{"dynamodb:LeadingKeys":"alice"}})");
  EXPECT_EQ(Decide(any_alice, kCarol, "dynamodb:BatchGetItem", kTable, two),
            PolicyDecision::kAllow);
  EXPECT_EQ(Decide(any_alice, kCarol, "dynamodb:Scan", kTable, none),
            PolicyDecision::kNotApplicable);
  auto all_but = allow_if(R"({"ForAllValues:StringNotLike":{"dynamodb:LeadingKeys":"adm*"}})");
  EXPECT_EQ(Decide(all_but, kCarol, "dynamodb:GetItem", kTable, two), PolicyDecision::kAllow);
  ConditionContext admin = {{"dynamodb:leadingkeys", {"alice", "admin-1"}}};
  EXPECT_EQ(Decide(all_but, kCarol, "dynamodb:GetItem", kTable, admin),
            PolicyDecision::kNotApplicable);
}

TEST(PolicyTest, BoolIpAddressAndNumeric) {
  ConditionContext context = {
      {"aws:securetransport", {"false"}}, {"aws:sourceip", {"10.1.2.3"}}, {"n", {"5"}}};
  auto deny_if = [](std::string_view condition) {
    return Policy({Statement("Deny", R"("*")", R"("dynamodb:*")", R"("*")", condition)});
  };
  auto decide = [&](std::string_view condition) {
    return Decide(deny_if(condition), kBob, "dynamodb:Scan", kTable, context);
  };
  EXPECT_EQ(decide(R"({"Bool":{"aws:SecureTransport":"false"}})"), PolicyDecision::kExplicitDeny);
  EXPECT_EQ(decide(R"({"Bool":{"aws:SecureTransport":true}})"), PolicyDecision::kNotApplicable);
  EXPECT_EQ(decide(R"({"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}})"),
            PolicyDecision::kExplicitDeny);
  EXPECT_EQ(decide(R"({"IpAddress":{"aws:SourceIp":["192.168.0.0/16","10.1.2.4/32"]}})"),
            PolicyDecision::kNotApplicable);
  EXPECT_EQ(decide(R"({"NotIpAddress":{"aws:SourceIp":"127.0.0.0/8"}})"),
            PolicyDecision::kExplicitDeny);
  EXPECT_EQ(decide(R"({"IpAddress":{"aws:SourceIp":"::1/128"}})"), PolicyDecision::kNotApplicable);
  EXPECT_EQ(decide(R"({"NumericLessThan":{"n":"10"}})"), PolicyDecision::kExplicitDeny);
  EXPECT_EQ(decide(R"({"NumericGreaterThan":{"n":"10"}})"), PolicyDecision::kNotApplicable);
}

TEST(PolicyTest, WildcardMatch) {
  EXPECT_TRUE(WildcardMatch("*", ""));
  EXPECT_TRUE(WildcardMatch("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(WildcardMatch("a*b*c", "aXXbYY"));
  EXPECT_TRUE(WildcardMatch("a?c", "abc"));
  EXPECT_FALSE(WildcardMatch("a?c", "ac"));
  EXPECT_FALSE(WildcardMatch("ABC", "abc"));
  EXPECT_TRUE(WildcardMatch("ABC", "abc", /*ignore_case=*/true));
  // Many stars against a long text stay fast (no exponential backtracking).
  EXPECT_FALSE(WildcardMatch("*a*a*a*a*a*a*a*a*b", std::string(5000, 'a')));
}

// The message of the ValidationException ValidatePolicyDocument throws, or "" when it accepts.
std::string Refusal(std::string_view policy) {
  try {
    ValidatePolicyDocument(policy);
    return "";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.type(), "ValidationException");
    return e.message();
  }
}

TEST(PolicyTest, ValidationOfDocuments) {
  EXPECT_EQ(Refusal(Policy({Statement("Allow", R"({"AWS":"111122223333"})", R"("dynamodb:GetItem")",
                                      R"("*")")})),
            "");
  EXPECT_EQ(Refusal(Policy({Statement("Deny", R"("*")", R"(["dynamodb:ListStreams"])", R"("*")")})),
            "One or more parameter values were invalid: Invalid policy document: The following "
            "action names are invalid: \"dynamodb:ListStreams\"");
  const std::string prefix = "One or more parameter values were invalid: Invalid policy document: ";
  EXPECT_EQ(Refusal("{not json"), prefix + "This policy contains invalid Json");
  // DynamoDB's words (ack-api-quirks dynamodb DDB-TABLE-457).
  EXPECT_EQ(Refusal("[]"), prefix + "This policy contains invalid Json");
  EXPECT_EQ(Refusal("null"), prefix + "This text appears not to be a policy");
  EXPECT_EQ(Refusal(R"({"Version":"2012-10-17","Statement":[]})"),
            prefix + "Could not parse the policy: Statement is empty!");
  EXPECT_EQ(Refusal(R"({"Version":"2012-10-17","Statement":[{}]})"),
            prefix + "Missing required field Effect");
  EXPECT_EQ(Refusal(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"dynamodb:*"}]})"),
            prefix + "Missing required field Resource");
  const std::string twice = Statement("Allow", R"("*")", R"("dynamodb:GetItem")", R"("*")");
  const std::string with_sid = twice.substr(0, twice.size() - 1) + R"(,"Sid":"s1"})";
  EXPECT_EQ(Refusal(Policy({with_sid, with_sid})),
            prefix + "The Statement Ids in the policy are not unique");
  EXPECT_EQ(Refusal(R"({"Version":"2012-10-17"})"), prefix + "the policy has no Statement");
  EXPECT_EQ(Refusal(R"({"Version":"2020-01-01","Statement":[{}]})"),
            prefix + "Version must be \"2012-10-17\" or \"2008-10-17\"");
  EXPECT_EQ(Refusal(Policy({Statement("Permit", R"("*")", R"("dynamodb:*")", R"("*")")})),
            prefix + "Effect must be \"Allow\" or \"Deny\"");
  EXPECT_EQ(Refusal(Policy({R"({"Effect":"Allow","Action":"dynamodb:*","Resource":"*"})"})),
            prefix + "Missing required field Principal");
  EXPECT_EQ(Refusal(Policy({Statement("Allow", R"({"AWS":"bob"})", R"("dynamodb:*")", R"("*")")})),
            prefix + "Invalid principal in policy: \"bob\"");
  EXPECT_NE(
      Refusal(std::string(20 * 1024 + 1, ' ')).find("Maximum policy size of 20480 bytes exceeded"),
      std::string::npos);
}

}  // namespace
}  // namespace cruddur::ddb
