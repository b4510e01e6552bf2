// Resource-based policies enforced for a Caller (ops/access_ops.cc): which action on which
// resource each operation is authorized as, and the outcome for principals of this account and
// of another.
#include <gtest/gtest.h>

#include "ddb/engine.h"
#include "ddb/engine_test_util.h"

namespace cruddur::ddb {
namespace {

constexpr std::string_view kArn = "arn:aws:dynamodb:us-east-1:000000000000:table/tbl";

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions options;
    options.in_memory = true;
    options.ttl_sweep_interval = std::chrono::milliseconds(0);
    engine_ = Engine::Open(options);
    CallEngine(*engine_, "CreateTable", R"({"TableName":"tbl","BillingMode":"PAY_PER_REQUEST",
        "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
                                {"AttributeName":"g","AttributeType":"S"}],
        "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
        "StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"},
        "GlobalSecondaryIndexes":[{"IndexName":"byG","Projection":{"ProjectionType":"ALL"},
          "KeySchema":[{"AttributeName":"g","KeyType":"HASH"}]}]})");
  }

  // Puts a policy of `statements` (a JSON array) on `arn`, as the engine's own caller.
  void PutPolicy(std::string_view statements, std::string_view arn = kArn) {
    std::string policy = R"({"Version":"2012-10-17","Statement":)" + std::string(statements) + "}";
    std::string quoted;
    for (char c : policy) {
      if (c == '"') quoted += '\\';
      quoted += c == '\n' ? ' ' : c;  // a JSON string holds no raw line break
    }
    CallEngine(*engine_, "PutResourcePolicy",
               R"({"ResourceArn":")" + std::string(arn) + R"(","Policy":")" + quoted + R"("})");
  }

  // The AccessDeniedException message of `op` run by `caller`, or "" when it runs.
  std::string Denial(const Caller& caller, std::string_view op, std::string_view body) {
    CallerScope scope(caller);
    try {
      engine_->Execute(op, body);
      return "";
    } catch (const ApiError& e) {
      EXPECT_EQ(e.type(), "AccessDeniedException") << e.message();
      return e.message();
    }
  }

  std::unique_ptr<Engine> engine_;
  const Caller bob_{"arn:aws:iam::000000000000:user/bob", "000000000000", "10.0.0.7"};
  const Caller carol_{"arn:aws:iam::111122223333:user/carol", "111122223333", ""};
};

std::string ExplicitDeny(const Caller& c, std::string_view action, std::string_view resource) {
  return "User: " + c.principal_arn + " is not authorized to perform: " + std::string(action) +
         " on resource: " + std::string(resource) +
         " with an explicit deny in a resource-based policy";
}

std::string NoAllow(const Caller& c, std::string_view action, std::string_view resource) {
  return "User: " + c.principal_arn + " is not authorized to perform: " + std::string(action) +
         " on resource: " + std::string(resource) +
         " because no resource-based policy allows the " + std::string(action) + " action";
}

TEST_F(AccessTest, SameAccountIsAllowedUnlessDenied) {
  const std::string put = R"({"TableName":"tbl","Item":{"pk":{"S":"a"}}})";
  EXPECT_EQ(Denial(bob_, "PutItem", put), "");
  PutPolicy(R"([{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::000000000000:user/bob"},
                 "Action":"dynamodb:PutItem","Resource":"*"}])");
  EXPECT_EQ(Denial(bob_, "PutItem", put), ExplicitDeny(bob_, "dynamodb:PutItem", kArn));
  EXPECT_EQ(Denial(bob_, "GetItem", R"({"TableName":"tbl","Key":{"pk":{"S":"a"}}})"), "");
  // Without a Caller (no --auth, the in-process client) nothing is evaluated.
  CallEngine(*engine_, "PutItem", put);
}

TEST_F(AccessTest, OtherAccountNeedsAnAllowAndACrossAccountOperation) {
  const std::string get = R"({"TableName":")" + std::string(kArn) + R"(","Key":{"pk":{"S":"a"}}})";
  EXPECT_EQ(Denial(carol_, "GetItem", get), NoAllow(carol_, "dynamodb:GetItem", kArn));
  PutPolicy(R"([{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"dynamodb:*",
                 "Resource":"*"}])");
  EXPECT_EQ(Denial(carol_, "GetItem", get), "");
  // UpdateTimeToLive and PartiQL are not served across accounts, whatever the policy says.
  EXPECT_EQ(Denial(carol_, "UpdateTimeToLive",
                   R"({"TableName":"tbl","TimeToLiveSpecification":{"Enabled":true,
                       "AttributeName":"ttl"}})"),
            NoAllow(carol_, "dynamodb:UpdateTimeToLive", kArn));
  EXPECT_EQ(Denial(carol_, "ExecuteStatement", R"({"Statement":"SELECT * FROM tbl"})"),
            NoAllow(carol_, "dynamodb:PartiQLSelect", kArn));
  // Nor are account-level operations.
  EXPECT_EQ(
      Denial(carol_, "ListTables", "{}"),
      NoAllow(carol_, "dynamodb:ListTables", "arn:aws:dynamodb:us-east-1:000000000000:table/*"));
}

TEST_F(AccessTest, IndexAndStreamResources) {
  PutPolicy(R"([{"Effect":"Deny","Principal":"*","Action":["dynamodb:Query","dynamodb:Scan"],
                 "Resource":"arn:aws:dynamodb:us-east-1:000000000000:table/tbl/index/*"}])");
  std::string index = std::string(kArn) + "/index/byG";
  EXPECT_EQ(Denial(bob_, "Scan", R"({"TableName":"tbl","IndexName":"byG"})"),
            ExplicitDeny(bob_, "dynamodb:Scan", index));
  EXPECT_EQ(Denial(bob_, "Scan", R"({"TableName":"tbl"})"), "");

  auto described = CallEngine(*engine_, "DescribeTable", R"({"TableName":"tbl"})");
  std::string stream = described["Table"]["LatestStreamArn"].GetString();
  PutPolicy(R"([{"Effect":"Deny","Principal":"*","Action":"dynamodb:GetRecords","Resource":"*"}])",
            stream);
  const std::string describe = R"({"StreamArn":")" + stream + R"("})";
  EXPECT_EQ(Denial(bob_, "Streams.DescribeStream", describe), "");
  auto shards = CallEngine(*engine_, "Streams.DescribeStream", describe);
  std::string shard = shards["StreamDescription"]["Shards"][0]["ShardId"].GetString();
  auto it = CallEngine(*engine_, "Streams.GetShardIterator",
                       R"({"StreamArn":")" + stream + R"(","ShardId":")" + shard +
                           R"(","ShardIteratorType":"TRIM_HORIZON"})");
  EXPECT_EQ(
      Denial(bob_, "Streams.GetRecords",
             R"({"ShardIterator":")" + std::string(it["ShardIterator"].GetString()) + R"("})"),
      ExplicitDeny(bob_, "dynamodb:GetRecords", stream));
}

TEST_F(AccessTest, ConditionsOnTheRequest) {
  PutPolicy(R"([{"Effect":"Deny","Principal":"*","Action":"dynamodb:*","Resource":"*",
                 "Condition":{"ForAnyValue:StringEquals":{"dynamodb:LeadingKeys":"secret"}}},
                {"Effect":"Deny","Principal":"*","Action":"dynamodb:Scan","Resource":"*",
                 "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/24"}}},
                {"Effect":"Deny","Principal":"*","Action":"dynamodb:GetItem","Resource":"*",
                 "Condition":{"ForAnyValue:StringEquals":{"dynamodb:Attributes":"salary"}}}])");
  EXPECT_NE(Denial(bob_, "PutItem", R"({"TableName":"tbl","Item":{"pk":{"S":"secret"}}})"), "");
  EXPECT_EQ(Denial(bob_, "PutItem", R"({"TableName":"tbl","Item":{"pk":{"S":"open"}}})"), "");
  EXPECT_NE(
      Denial(bob_, "BatchGetItem",
             R"({"RequestItems":{"tbl":{"Keys":[{"pk":{"S":"open"}},{"pk":{"S":"secret"}}]}}})"),
      "");
  EXPECT_NE(Denial(bob_, "Query", R"({"TableName":"tbl","KeyConditionExpression":"#p = :v",
                      "ExpressionAttributeNames":{"#p":"pk"},
                      "ExpressionAttributeValues":{":v":{"S":"secret"}}})"),
            "");
  EXPECT_NE(Denial(bob_, "Scan", R"({"TableName":"tbl"})"), "");  // bob's address is 10.0.0.7
  EXPECT_EQ(Denial(carol_, "Scan", R"({"TableName":"tbl"})"),
            NoAllow(carol_, "dynamodb:Scan", kArn));  // no address: the Deny does not apply
  EXPECT_NE(Denial(bob_, "GetItem", R"({"TableName":"tbl","Key":{"pk":{"S":"open"}},
                      "ProjectionExpression":"pk, #s","ExpressionAttributeNames":{"#s":"salary"}})"),
            "");
  EXPECT_EQ(Denial(bob_, "GetItem", R"({"TableName":"tbl","Key":{"pk":{"S":"open"}},
                      "ProjectionExpression":"pk"})"),
            "");
}

TEST_F(AccessTest, PartiqlStatementsAreTheirActions) {
  PutPolicy(R"([{"Effect":"Deny","Principal":"*","Action":"dynamodb:PartiQLInsert",
                 "Resource":"*"}])");
  EXPECT_EQ(
      Denial(bob_, "ExecuteStatement", R"({"Statement":"INSERT INTO tbl VALUE {'pk': 'x'}"})"),
      ExplicitDeny(bob_, "dynamodb:PartiQLInsert", kArn));
  EXPECT_EQ(Denial(bob_, "ExecuteStatement", R"({"Statement":"SELECT * FROM tbl"})"), "");
  EXPECT_EQ(Denial(bob_, "PutItem", R"({"TableName":"tbl","Item":{"pk":{"S":"x"}}})"), "");
}

}  // namespace
}  // namespace cruddur::ddb
