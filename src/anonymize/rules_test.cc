#include "anonymize/rules.h"

#include <gtest/gtest.h>

#include <regex>

#include "anonymize/fake.h"
#include "ddb/json.h"
#include "ddb/value_json.h"

namespace cruddur::anonymize {
namespace {

using ddb::AttributeValue;
using ddb::Item;

Item ParseItemJson(const std::string& json) {
  ddb::JsonDocument d;
  d.Parse(json.c_str());
  return ddb::ParseItem(d);
}

std::string ItemJson(const Item& item) {
  ddb::JsonBuffer buf;
  ddb::JsonWriter w(buf);
  ddb::WriteItem(w, item);
  return std::string(buf.GetString(), buf.GetSize());
}

Item Applied(const std::string& rules, const std::string& item, const std::string& table = "t") {
  Item i = ParseItemJson(item);
  RuleSet::Parse(rules, "").Apply(table, i);
  return i;
}

std::string ParseError(const std::string& rules) {
  try {
    RuleSet::Parse(rules, "");
  } catch (const RuleError& e) {
    return e.what();
  }
  return "(parsed)";
}

TEST(RuleSetTest, MaskKeepsTheLastCharactersOfStringsNumbersAndBinaries) {
  Item i = Applied(
      R"({"rules":[{"path":"card","action":"mask","keep":4},
                   {"path":"pin","action":"mask","keep":1,"maskChar":"#"},
                   {"path":"#n","ExpressionAttributeNames":{"#n":"name"},"action":"mask","keep":2,"maskChar":"•"},
                   {"path":"phone","action":"mask","keep":4},
                   {"path":"bin","action":"mask","keep":1,"maskChar":"x"}]})",
      R"({"card":{"S":"4111111111111111"},"pin":{"S":"1234"},"name":{"S":"Zoë Ünal"},
          "phone":{"N":"5551234567"},"bin":{"B":"AQID"}})");
  EXPECT_EQ(i["card"].bytes, "************1111");
  EXPECT_EQ(i["pin"].bytes, "###4");
  EXPECT_EQ(i["name"].bytes, "••••••al");  // characters, not bytes
  ASSERT_EQ(i["phone"].type, ddb::ValueType::kN);
  EXPECT_EQ(i["phone"].number.text(), "4567");  // the other digits became 0
  EXPECT_EQ(i["bin"].bytes, std::string("xx\x03"));
}

TEST(RuleSetTest, FakesAreRealisticAndDeterministicPerValueAndSeed) {
  const std::string rules = R"({"seed":"s1","rules":[
      {"path":"email","action":"fake","kind":"email"},
      {"path":"who","action":"fake","kind":"name"},
      {"path":"phone","action":"fake","kind":"phone"},
      {"path":"id","action":"fake","kind":"uuid"},
      {"path":"ip","action":"fake","kind":"ip"},
      {"path":"age","action":"fake","kind":"text"}]})";
  const std::string item =
      R"({"email":{"S":"jane.doe@corp.com"},"who":{"S":"Jane Doe"},"phone":{"S":"+44 20 7946 0958"},
          "id":{"S":"x"},"ip":{"S":"192.168.1.20"},"age":{"N":"42.5"}})";
  Item a = Applied(rules, item), b = Applied(rules, item);
  EXPECT_EQ(ItemJson(a), ItemJson(b));
  EXPECT_TRUE(std::regex_match(a["email"].bytes,
                               std::regex(R"([a-z]+\.[a-z]+[0-9]+@example\.(com|org|net))")))
      << a["email"].bytes;
  EXPECT_TRUE(std::regex_match(a["who"].bytes, std::regex("[A-Z][a-z]+ [A-Z][a-z]+")));
  EXPECT_TRUE(std::regex_match(a["phone"].bytes, std::regex(R"(\+[1-9]\d [0-9]{2} \d{4} \d{4})")));
  EXPECT_NE(a["phone"].bytes, "+44 20 7946 0958");
  EXPECT_TRUE(std::regex_match(
      a["id"].bytes,
      std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  EXPECT_TRUE(std::regex_match(a["ip"].bytes, std::regex(R"(10\.\d+\.\d+\.\d+)")));
  // A number stays a number of the same shape.
  ASSERT_EQ(a["age"].type, ddb::ValueType::kN);
  EXPECT_TRUE(std::regex_match(a["age"].number.text(), std::regex(R"([1-9]\d\.\d)")))
      << a["age"].number.text();

  Item other_seed = Applied(std::string(rules).replace(rules.find("s1"), 2, "s2"), item);
  EXPECT_NE(other_seed["email"].bytes, a["email"].bytes);
  Item other_value = Applied(rules, R"({"email":{"S":"john@corp.com"}})");
  EXPECT_NE(other_value["email"].bytes, a["email"].bytes);
}

TEST(RuleSetTest, HashIsHmacSha256KeepingTheType) {
  // RFC 4231, test case 2.
  EXPECT_EQ(HashValue(AttributeValue::S("what do ya want for nothing?"), "Jefe", 64).bytes,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  Item i = Applied(
      R"({"secret":"Jefe","rules":[{"path":"s","action":"hash"},
                      {"path":"brief","action":"hash","length":8},
                      {"path":"n","action":"hash","length":6},{"path":"b","action":"hash"}]})",
      R"({"s":{"S":"what do ya want for nothing?"},"brief":{"S":"what do ya want for nothing?"},
                       "n":{"N":"12"},"b":{"B":"AQID"}})");
  EXPECT_EQ(i["s"].bytes, "5bdcc146bf60754e6a042426089575c7");  // 32 hex digits by default
  EXPECT_EQ(i["brief"].bytes, "5bdcc146");
  ASSERT_EQ(i["n"].type, ddb::ValueType::kN);
  EXPECT_LE(i["n"].number.text().size(), 6u);
  EXPECT_NE(i["n"].number.text(), "12");
  ASSERT_EQ(i["b"].type, ddb::ValueType::kB);
  EXPECT_EQ(i["b"].bytes.size(), 16u);
}

TEST(RuleSetTest, HashingJoinsAcrossTwoTables) {
  RuleSet rules = RuleSet::Parse(R"({"rules":[
      {"tables":["users"],"path":"id","action":"hash"},
      {"tables":["orders"],"path":"user_id","action":"hash"}]})",
                                 "k3y");
  Item user = ParseItemJson(R"({"id":{"S":"u-17"},"name":{"S":"Jo"}})");
  Item order = ParseItemJson(R"({"order":{"S":"o-1"},"user_id":{"S":"u-17"},"id":{"S":"u-17"}})");
  Item other = ParseItemJson(R"({"id":{"S":"u-18"}})");
  rules.Apply("users", user);
  rules.Apply("orders", order);
  rules.Apply("users", other);
  EXPECT_NE(user["id"].bytes, "u-17");
  EXPECT_EQ(order["user_id"].bytes, user["id"].bytes);
  EXPECT_EQ(order["id"].bytes, "u-17");  // the users rule is not for orders
  EXPECT_NE(other["id"].bytes, user["id"].bytes);
  EXPECT_EQ(user["name"].bytes, "Jo");
  // Another secret gives other hashes.
  Item again = ParseItemJson(R"({"id":{"S":"u-17"}})");
  RuleSet::Parse(R"({"rules":[{"path":"id","action":"hash"}]})", "other").Apply("users", again);
  EXPECT_NE(again["id"].bytes, user["id"].bytes);
}

TEST(RuleSetTest, ConditionsSeeTheItemAsRead) {
  const std::string rules = R"j({"rules":[
      {"path":"country","action":"drop"},
      {"path":"ssn","action":"drop","ConditionExpression":"country = :us AND attribute_exists(#s)",
       "ExpressionAttributeNames":{"#s":"ssn"},"ExpressionAttributeValues":{":us":{"S":"US"}}}]})j";
  Item us = Applied(rules, R"({"country":{"S":"US"},"ssn":{"S":"1"},"x":{"N":"1"}})");
  EXPECT_EQ(ItemJson(us), R"({"x":{"N":"1"}})");
  Item fr = Applied(rules, R"({"country":{"S":"FR"},"ssn":{"S":"1"}})");
  EXPECT_EQ(ItemJson(fr), R"({"ssn":{"S":"1"}})");
}

TEST(RuleSetTest, NestedPathsListsSetsAndMaps) {
  Item i = Applied(
      R"({"rules":[{"path":"profile.phones[1].#num","ExpressionAttributeNames":{"#num":"number"},"action":"mask","keep":2},
                   {"path":"#t[0]","ExpressionAttributeNames":{"#t":"tags"},"action":"drop"},
                   {"path":"codes","action":"mask","keep":0},
                   {"path":"address","action":"mask","keep":1},
                   {"path":"profile.absent.deeper","action":"drop"},
                   {"path":"profile.phones[9]","action":"mask"}]})",
      R"({"profile":{"M":{"phones":{"L":[{"M":{"number":{"S":"0101"}}},{"M":{"number":{"S":"0202"}}}]}}},
          "tags":{"L":[{"S":"a"},{"S":"b"}]},"codes":{"SS":["ab","cd"]},
          "address":{"M":{"street":{"S":"Main"},"no":{"N":"12"},"ok":{"BOOL":true}}}})");
  EXPECT_EQ(
      ItemJson(i),
      R"({"address":{"M":{"no":{"N":"2"},"ok":{"BOOL":true},"street":{"S":"***n"}}},)"
      R"("codes":{"SS":["**"]},)"
      R"("profile":{"M":{"phones":{"L":[{"M":{"number":{"S":"0101"}}},{"M":{"number":{"S":"**02"}}}]}}},)"
      R"("tags":{"L":[{"S":"b"}]}})");
}

TEST(RuleSetTest, KeyAttributesMayBeHashedButNotDroppedOrMasked) {
  TableKeys keys{{"pk", "sk"}, {"gsi_pk"}};
  auto rules = RuleSet::Parse(
      R"({"rules":[{"path":"pk","action":"hash"},{"path":"sk","action":"fake","kind":"uuid"},
                   {"path":"gsi_pk","action":"mask","keep":2}]})",
      "s");
  std::vector<std::string> warnings = rules.CheckKeys("t", keys);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("rule 3: mask on gsi_pk, an index key"), std::string::npos);
  EXPECT_TRUE(rules.Changes("t", keys.primary));
  EXPECT_FALSE(rules.Changes("t", {"other"}));
  for (const char* action : {R"("drop")", R"("mask","keep":3)"}) {
    auto bad =
        RuleSet::Parse(std::string(R"({"rules":[{"path":"sk","action":)") + action + "}]}", "");
    try {
      bad.CheckKeys("t", keys);
      ADD_FAILURE() << action << " on a key was accepted";
    } catch (const RuleError& e) {
      EXPECT_NE(std::string(e.what()).find("rule 1: "), std::string::npos);
      EXPECT_NE(std::string(e.what()).find("key attribute of table t"), std::string::npos);
    }
    EXPECT_TRUE(bad.CheckKeys("other", {{"id"}, {}}).empty());
  }
}

TEST(RuleSetTest, BadRulesAreRefusedWithTheirReason) {
  EXPECT_EQ(ParseError("{"), "not JSON (at byte 1)");
  EXPECT_EQ(ParseError("[]"), "not a JSON object with \"rules\"");
  EXPECT_EQ(ParseError(R"({"rule":[]})"), "unknown member \"rule\" (rules, secret, seed)");
  EXPECT_EQ(ParseError(R"({"rules":[{"path":"a","action":"erase"}]})"),
            "rule 1: unknown action \"erase\" (mask, fake, hash or drop)");
  EXPECT_EQ(
      ParseError(
          R"({"rules":[{"path":"a","action":"drop"},{"path":"a","action":"fake","kind":"pet"}]})"),
      "rule 2: unknown fake kind \"pet\" (kinds: " +
          [] {
            std::string all;
            for (const auto& k : FakeKindNames()) all += (all.empty() ? "" : ", ") + k;
            return all;
          }() +
          ")");
  EXPECT_EQ(ParseError(R"({"rules":[{"path":"a","action":"hash"}]})"),
            "rule 1: hash needs a secret: \"secret\" in the file, --rules-secret or "
            "$CRUDDUR_RULES_SECRET");
  EXPECT_EQ(ParseError(R"({"rules":[{"path":"a","action":"drop","keep":2}]})"),
            "rule 1: unknown member \"keep\" for drop");
  EXPECT_EQ(ParseError(R"({"rules":[{"path":"a","action":"mask","maskChar":"ab"}]})"),
            "rule 1: \"maskChar\" must be one character");
  EXPECT_EQ(ParseError(R"({"rules":[{"action":"drop"}]})"),
            "rule 1: needs a \"path\" (a document path such as a.b[0].c)");
  // DynamoDB's own messages for the expressions.
  EXPECT_NE(ParseError(R"({"rules":[{"path":"a..b","action":"drop"}]})").find("rule 1: Invalid "),
            std::string::npos);
  EXPECT_NE(ParseError(R"({"rules":[{"path":"a","action":"drop","ConditionExpression":"x = :v"}]})")
                .find("rule 1: Invalid ConditionExpression: An expression attribute value used "
                      "in expression is not defined"),
            std::string::npos);
  EXPECT_NE(ParseError(
                R"({"rules":[{"path":"a","action":"drop","ExpressionAttributeNames":{"#u":"u"}}]})")
                .find("unused in expressions"),
            std::string::npos);
  // The secret may come from outside the file.
  EXPECT_EQ(RuleSet::Parse(R"({"rules":[{"path":"a","action":"hash"}]})", "given").size(), 1u);
}

}  // namespace
}  // namespace cruddur::anonymize
