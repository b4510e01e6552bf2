// Contributor insights through the engine: the state of a table and of each GSI, the rules
// DynamoDB names, the account's rule quota, listing and paging, and the state kept across a
// restart.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <thread>
#include <vector>

#include "ddb/engine.h"
#include "ddb/engine_test_util.h"
#include "ddb/error.h"

namespace cruddur::ddb {
namespace {

using rapidjson::Document;

class InsightsTest : public EachStorageTest {
 protected:
  void SetUp() override {
    EachStorageTest::SetUp();
    Open();
  }
  // A hash + range table with a hash-only GSI "by-g" and an LSI "by-n".
  void CreateTable(const std::string& name) {
    Call("CreateTable", R"({"TableName":")" + name + R"(","BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
        {"AttributeName":"sk","AttributeType":"S"},{"AttributeName":"g","AttributeType":"S"},
        {"AttributeName":"n","AttributeType":"N"}],
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
      "GlobalSecondaryIndexes":[{"IndexName":"by-g","KeySchema":[
        {"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}],
      "LocalSecondaryIndexes":[{"IndexName":"by-n","KeySchema":[
        {"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"n","KeyType":"RANGE"}],
        "Projection":{"ProjectionType":"KEYS_ONLY"}}]})");
  }
  static std::string Target(const std::string& table, const std::string& index) {
    return R"({"TableName":")" + table + "\"" +
           (index.empty() ? "" : R"(,"IndexName":")" + index + "\"");
  }
  Document Update(const std::string& table, const std::string& action,
                  const std::string& index = "", const std::string& mode = "") {
    return Call("UpdateContributorInsights",
                Target(table, index) + R"(,"ContributorInsightsAction":")" + action + "\"" +
                    (mode.empty() ? "" : R"(,"ContributorInsightsMode":")" + mode + "\"") + "}");
  }
  Document Describe(const std::string& table, const std::string& index = "") {
    return Call("DescribeContributorInsights", Target(table, index) + "}");
  }
  static std::vector<std::string> Members(const rapidjson::Value& d) {
    std::vector<std::string> names;
    for (const auto& m : d.GetObject()) names.emplace_back(m.name.GetString());
    return names;
  }
  static std::vector<std::string> Rules(const Document& d) {
    std::vector<std::string> rules;
    if (!d.HasMember("ContributorInsightsRuleList")) return rules;
    for (const auto& r : d["ContributorInsightsRuleList"].GetArray()) {
      rules.emplace_back(r.GetString());
    }
    return rules;
  }
  // "table/index status" of every summary of every page of ListContributorInsights(`body`).
  std::vector<std::string> ListAll(const std::string& body_members, int* pages = nullptr) {
    std::vector<std::string> out;
    std::string token;
    int n = 0;
    do {
      std::string body = "{" + body_members;
      if (!token.empty()) {
        body += std::string(body_members.empty() ? "" : ",") + R"("NextToken":")" + token + "\"";
      }
      Document d = Call("ListContributorInsights", body + "}");
      ++n;
      for (const auto& s : d["ContributorInsightsSummaries"].GetArray()) {
        std::string entry = s["TableName"].GetString();
        if (s.HasMember("IndexName")) entry += std::string("/") + s["IndexName"].GetString();
        out.push_back(entry + " " + s["ContributorInsightsStatus"].GetString());
      }
      token = d.HasMember("NextToken") ? d["NextToken"].GetString() : "";
    } while (!token.empty() && n < 100);
    if (pages) *pages = n;
    return out;
  }
};

TEST_P(InsightsTest, NeverConfiguredIsDisabledAndUnlisted) {
  CreateTable("tab");
  Document d = Describe("tab");
  EXPECT_EQ(Members(d), (std::vector<std::string>{"TableName", "ContributorInsightsStatus"}));
  EXPECT_STREQ(d["ContributorInsightsStatus"].GetString(), "DISABLED");
  EXPECT_STREQ(Describe("tab", "by-g")["ContributorInsightsStatus"].GetString(), "DISABLED");
  EXPECT_TRUE(ListAll(R"("TableName":"tab")").empty());
  // Disabling what was never enabled changes nothing and answers DISABLED.
  Document off = Update("tab", "DISABLE");
  EXPECT_EQ(Members(off), (std::vector<std::string>{"TableName", "ContributorInsightsStatus"}));
  EXPECT_STREQ(off["ContributorInsightsStatus"].GetString(), "DISABLED");
  EXPECT_EQ(Members(Describe("tab")).size(), 2u);
}

TEST_P(InsightsTest, EnableNamesTheRulesOfTheKeySchema) {
  CreateTable("tab");
  Document on = Update("tab", "ENABLE");
  EXPECT_EQ(Members(on), (std::vector<std::string>{"TableName", "ContributorInsightsStatus",
                                                   "ContributorInsightsMode"}));
  EXPECT_STREQ(on["ContributorInsightsStatus"].GetString(), "ENABLING");
  EXPECT_STREQ(on["ContributorInsightsMode"].GetString(), "ACCESSED_AND_THROTTLED_KEYS");

  Document d = Describe("tab");
  EXPECT_EQ(Members(d), (std::vector<std::string>{"TableName", "ContributorInsightsRuleList",
                                                  "ContributorInsightsStatus", "LastUpdateDateTime",
                                                  "ContributorInsightsMode"}));
  EXPECT_STREQ(d["ContributorInsightsStatus"].GetString(), "ENABLED");
  std::vector<std::string> rules = Rules(d);
  ASSERT_EQ(rules.size(), 4u);
  const std::string suffix = rules[0].substr(rules[0].rfind('-'));
  EXPECT_EQ(suffix.size(), 14u);  // "-" and epoch milliseconds
  EXPECT_EQ(rules, (std::vector<std::string>{"DynamoDBContributorInsights-PKC-tab" + suffix,
                                             "DynamoDBContributorInsights-SKC-tab" + suffix,
                                             "DynamoDBContributorInsights-PKT-tab" + suffix,
                                             "DynamoDBContributorInsights-SKT-tab" + suffix}));

  // The same ENABLE again is a no-op answering ENABLED.
  const double updated = d["LastUpdateDateTime"].GetDouble();
  EXPECT_STREQ(Update("tab", "ENABLE")["ContributorInsightsStatus"].GetString(), "ENABLED");
  EXPECT_EQ(Describe("tab")["LastUpdateDateTime"].GetDouble(), updated);

  // A narrower mode keeps the rules' names and drops the most-accessed ones.
  Document narrow = Update("tab", "ENABLE", "", "THROTTLED_KEYS");
  EXPECT_STREQ(narrow["ContributorInsightsStatus"].GetString(), "ENABLING");
  EXPECT_STREQ(narrow["ContributorInsightsMode"].GetString(), "THROTTLED_KEYS");
  EXPECT_EQ(Rules(Describe("tab")),
            (std::vector<std::string>{"DynamoDBContributorInsights-PKT-tab" + suffix,
                                      "DynamoDBContributorInsights-SKT-tab" + suffix}));
  // ENABLE without a mode goes back to the default.
  Update("tab", "ENABLE");
  EXPECT_STREQ(Describe("tab")["ContributorInsightsMode"].GetString(),
               "ACCESSED_AND_THROTTLED_KEYS");

  // DISABLE: the rules go; the mode and the time of the change stay described.
  Document off = Update("tab", "DISABLE");
  EXPECT_STREQ(off["ContributorInsightsStatus"].GetString(), "DISABLING");
  EXPECT_STREQ(off["ContributorInsightsMode"].GetString(), "ACCESSED_AND_THROTTLED_KEYS");
  EXPECT_EQ(Members(Describe("tab")),
            (std::vector<std::string>{"TableName", "ContributorInsightsStatus",
                                      "LastUpdateDateTime", "ContributorInsightsMode"}));
}

TEST_P(InsightsTest, EachGsiHasItsOwnAndLocalIndexesHaveNone) {
  CreateTable("tab");
  Document on = Update("tab", "ENABLE", "by-g");
  EXPECT_STREQ(on["IndexName"].GetString(), "by-g");
  Document d = Describe("tab", "by-g");
  EXPECT_STREQ(d["IndexName"].GetString(), "by-g");
  std::vector<std::string> rules = Rules(d);
  ASSERT_EQ(rules.size(), 2u);  // the GSI has no sort key
  EXPECT_EQ(rules[0].rfind("DynamoDBContributorInsights-PKC-tab-by-g-", 0), 0u) << rules[0];
  EXPECT_EQ(rules[1].rfind("DynamoDBContributorInsights-PKT-tab-by-g-", 0), 0u) << rules[1];
  EXPECT_STREQ(Describe("tab")["ContributorInsightsStatus"].GetString(), "DISABLED");

  for (const char* op : {"DescribeContributorInsights", "UpdateContributorInsights"}) {
    std::string action =
        std::string(op).starts_with("Update") ? R"(,"ContributorInsightsAction":"ENABLE"})" : "}";
    for (const char* index : {"by-n", "nope"}) {
      ApiError e = CallError(op, Target("tab", index) + action);
      EXPECT_EQ(e.type(), "ResourceNotFoundException") << op;
      EXPECT_EQ(e.message(), std::string("Requested resource not found: Index: ") + index +
                                 " not found for table: tab");
    }
    ApiError missing = CallError(op, Target("none", "") + action);
    EXPECT_EQ(missing.type(), "ResourceNotFoundException");
    EXPECT_EQ(missing.message(), "Requested resource not found: Table: none not found");
  }
  ApiError list = CallError("ListContributorInsights", R"({"TableName":"none"})");
  EXPECT_EQ(list.message(), "Requested resource not found: Table: none not found");
}

TEST_P(InsightsTest, ListShowsWhatIsNotDisabledTableFirstAndPages) {
  CreateTable("tbb");
  CreateTable("tba");
  CreateTable("tbc");
  Update("tbb", "ENABLE", "by-g");
  Update("tbb", "ENABLE");
  Update("tba", "ENABLE");
  Update("tbc", "ENABLE");
  Update("tbc", "DISABLE");
  const std::vector<std::string> all = {"tba ENABLED", "tbb ENABLED", "tbb/by-g ENABLED"};
  EXPECT_EQ(ListAll(""), all);
  int pages = 0;
  EXPECT_EQ(ListAll(R"("MaxResults":1)", &pages), all);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(ListAll(R"("MaxResults":2)", &pages), all);
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(ListAll(R"("TableName":"tbb","MaxResults":1)", &pages),
            (std::vector<std::string>{"tbb ENABLED", "tbb/by-g ENABLED"}));
  EXPECT_EQ(pages, 2);

  // Each summary: names, status and mode.
  Document d = Call("ListContributorInsights", R"({"TableName":"tba"})");
  ASSERT_EQ(d["ContributorInsightsSummaries"].Size(), 1u);
  EXPECT_EQ(Members(d["ContributorInsightsSummaries"][0]),
            (std::vector<std::string>{"TableName", "ContributorInsightsStatus",
                                      "ContributorInsightsMode"}));
  EXPECT_FALSE(d.HasMember("NextToken"));

  // A token of another list, or none at all, is refused.
  Document first = Call("ListContributorInsights", R"({"MaxResults":1})");
  const std::string token = first["NextToken"].GetString();
  for (const std::string& body : {R"({"TableName":"tbb","NextToken":")" + token + "\"}",
                                  std::string(R"({"NextToken":"zz"})")}) {
    ApiError e = CallError("ListContributorInsights", body);
    EXPECT_EQ(e.type(), "ValidationException") << body;
  }
  EXPECT_EQ(CallError("ListContributorInsights", R"({"MaxResults":0})").message(),
            "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1");
  // A page goes on after its last entry even when that entry has gone since.
  Call("DeleteTable", R"({"TableName":"tba"})");
  Document rest = Call("ListContributorInsights", R"({"NextToken":")" + token + "\"}");
  ASSERT_EQ(rest["ContributorInsightsSummaries"].Size(), 2u);
  EXPECT_STREQ(rest["ContributorInsightsSummaries"][0]["TableName"].GetString(), "tbb");
}

TEST_P(InsightsTest, PastTheRuleQuotaEnablingFailsUntilRulesAreFreed) {
  // 25 tables of 4 rules fill the quota of 100.
  for (int i = 0; i < 26; ++i) CreateTable("q" + std::to_string(100 + i));
  for (int i = 0; i < 25; ++i) Update("q" + std::to_string(100 + i), "ENABLE");
  Document on = Update("q125", "ENABLE");
  EXPECT_STREQ(on["ContributorInsightsStatus"].GetString(), "ENABLING");
  Document d = Describe("q125");
  EXPECT_STREQ(d["ContributorInsightsStatus"].GetString(), "FAILED");
  EXPECT_FALSE(d.HasMember("ContributorInsightsRuleList"));
  ASSERT_TRUE(d.HasMember("FailureException"));
  EXPECT_STREQ(d["FailureException"]["ExceptionName"].GetString(), "LimitExceededException");
  EXPECT_EQ(ListAll(R"("TableName":"q125")"), (std::vector<std::string>{"q125 FAILED"}));
  // FAILED stays FAILED while the quota is full; enabling again fails again.
  Update("q125", "ENABLE");
  EXPECT_STREQ(Describe("q125")["ContributorInsightsStatus"].GetString(), "FAILED");
  // A hash-only GSI's 2 rules do not fit either.
  Update("q100", "ENABLE", "by-g");
  EXPECT_STREQ(Describe("q100", "by-g")["ContributorInsightsStatus"].GetString(), "FAILED");
  // Narrowing another table's mode frees 2 rules: the GSI fits now, the table does not.
  Update("q101", "ENABLE", "", "THROTTLED_KEYS");
  Update("q100", "ENABLE", "by-g");
  EXPECT_STREQ(Describe("q100", "by-g")["ContributorInsightsStatus"].GetString(), "ENABLED");
  Update("q125", "ENABLE");
  EXPECT_STREQ(Describe("q125")["ContributorInsightsStatus"].GetString(), "FAILED");
  // Disabling a FAILED entry clears the failure; deleting a table frees its rules.
  Update("q125", "DISABLE");
  Document off = Describe("q125");
  EXPECT_STREQ(off["ContributorInsightsStatus"].GetString(), "DISABLED");
  EXPECT_FALSE(off.HasMember("FailureException"));
  Call("DeleteTable", R"({"TableName":"q102"})");
  Update("q125", "ENABLE");
  EXPECT_EQ(Rules(Describe("q125")).size(), 4u);
}

TEST_P(InsightsTest, TransientStatusesLastTheConfiguredDelay) {
  engine_.reset();
  options_.transient_status_delay = std::chrono::milliseconds(300);
  Open();
  CreateTable("tab");
  // While the table is CREATING, insights cannot be enabled.
  ApiError creating = CallError("UpdateContributorInsights",
                                R"({"TableName":"tab","ContributorInsightsAction":"ENABLE"})");
  EXPECT_EQ(creating.type(), "ValidationException");
  EXPECT_EQ(creating.message(),
            "Table or Index is not in a valid state to update Key Access Insights: TableStatus "
            "must be ACTIVE to enable ContributorInsights.");
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  Update("tab", "ENABLE");
  EXPECT_STREQ(Describe("tab")["ContributorInsightsStatus"].GetString(), "ENABLING");
  EXPECT_EQ(ListAll(""), (std::vector<std::string>{"tab ENABLING"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_STREQ(Describe("tab")["ContributorInsightsStatus"].GetString(), "ENABLED");
  Update("tab", "DISABLE");
  EXPECT_STREQ(Describe("tab")["ContributorInsightsStatus"].GetString(), "DISABLING");
  EXPECT_EQ(ListAll(""), (std::vector<std::string>{"tab DISABLING"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_STREQ(Describe("tab")["ContributorInsightsStatus"].GetString(), "DISABLED");
  EXPECT_TRUE(ListAll("").empty());
}

// A restored table starts without insights, as with the table's other CloudWatch settings.
TEST_P(InsightsTest, ARestoredTableStartsDisabled) {
  CreateTable("tab");
  Update("tab", "ENABLE");
  Update("tab", "ENABLE", "by-g");
  Document backup = Call("CreateBackup", R"({"TableName":"tab","BackupName":"bk1"})");
  const std::string arn = backup["BackupDetails"]["BackupArn"].GetString();
  // Polls `op` until the string at `path` reads `want`.
  auto wait = [&](const std::string& op, const std::string& body,
                  const std::vector<const char*>& path, const std::string& want) {
    for (int i = 0; i < 1000; ++i) {
      Document d = Call(op, body);
      const rapidjson::Value* v = &d;
      for (const char* p : path) v = &(*v)[p];
      if (v->GetString() == want) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL() << op << " never " << want;
  };
  wait("DescribeBackup", R"({"BackupArn":")" + arn + R"("})",
       {"BackupDescription", "BackupDetails", "BackupStatus"}, "AVAILABLE");
  Call("RestoreTableFromBackup", R"({"TargetTableName":"rst","BackupArn":")" + arn + R"("})");
  wait("DescribeTable", R"({"TableName":"rst"})", {"Table", "TableStatus"}, "ACTIVE");
  EXPECT_EQ(Members(Describe("rst")).size(), 2u);
  EXPECT_STREQ(Describe("rst", "by-g")["ContributorInsightsStatus"].GetString(), "DISABLED");
  EXPECT_STREQ(Describe("tab", "by-g")["ContributorInsightsStatus"].GetString(), "ENABLED");
}

class PersistentInsightsTest : public InsightsTest {};

TEST_P(PersistentInsightsTest, KeptAcrossARestart) {
  CreateTable("tab");
  Update("tab", "ENABLE", "", "THROTTLED_KEYS");
  Update("tab", "ENABLE", "by-g");
  const std::vector<std::string> rules = Rules(Describe("tab"));
  engine_.reset();
  Open();
  Document d = Describe("tab");
  EXPECT_EQ(Rules(d), rules);
  EXPECT_STREQ(d["ContributorInsightsMode"].GetString(), "THROTTLED_KEYS");
  EXPECT_STREQ(Describe("tab", "by-g")["ContributorInsightsStatus"].GetString(), "ENABLED");
}

INSTANTIATE_TEST_SUITE_P(Storage, InsightsTest, ::testing::Values(true, false), StorageName);
INSTANTIATE_TEST_SUITE_P(Storage, PersistentInsightsTest, ::testing::Values(false), StorageName);

}  // namespace
}  // namespace cruddur::ddb
