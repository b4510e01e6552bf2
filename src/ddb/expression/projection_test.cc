#include <gtest/gtest.h>

#include "ddb/expression/expression.h"
#include "ddb/expression/test_util.h"

namespace cruddur::ddb::expr {
namespace {

const char* kItem = R"({"a": {"S": "x"}, "b": {"N": "1"},
  "m": {"M": {"x": {"N": "1"}, "y": {"N": "2"}, "in2": {"M": {"z": {"S": "deep"}}}}},
  "l": {"L": [{"S": "l0"}, {"M": {"k": {"S": "v"}, "j": {"S": "w"}}}, {"S": "l2"}]},
  "status": {"S": "on"}})";

std::string Project(const std::string& text, const std::string& names = "") {
  Substitutions subs = Subs(names, "");
  return ItemJson(Projection::Parse(text, subs).Apply(MakeItem(kItem)));
}

std::string ProjectError(const std::string& text, const std::string& names = "") {
  return ErrorOf([&] { Project(text, names); });
}

TEST(ProjectionTest, TopLevel) {
  EXPECT_EQ(Project("a"), R"({"a":{"S":"x"}})");
  EXPECT_EQ(Project("b, a, nope"), R"({"a":{"S":"x"},"b":{"N":"1"}})");
  EXPECT_EQ(Project("#s", R"({"#s": "status"})"), R"({"status":{"S":"on"}})");
  EXPECT_EQ(Project("nope"), "{}");
}

TEST(ProjectionTest, Nested) {
  EXPECT_EQ(Project("m.x"), R"({"m":{"M":{"x":{"N":"1"}}}})");
  EXPECT_EQ(Project("m.in2.z, m.y"),
            R"({"m":{"M":{"in2":{"M":{"z":{"S":"deep"}}},"y":{"N":"2"}}}})");
  EXPECT_EQ(Project("m.nope"), "{}");
  EXPECT_EQ(Project("a.nope"), "{}");
  EXPECT_EQ(Project("l[2], l[0]"), R"({"l":{"L":[{"S":"l0"},{"S":"l2"}]}})");
  EXPECT_EQ(Project("l[1].k"), R"({"l":{"L":[{"M":{"k":{"S":"v"}}}]}})");
  EXPECT_EQ(Project("l[5]"), "{}");
  EXPECT_EQ(Project("l[0].k"), "{}");
}

TEST(ProjectionTest, FromNames) {
  Projection p = Projection::FromNames({"a", "status", "nope"});
  EXPECT_EQ(ItemJson(p.Apply(MakeItem(kItem))), R"({"a":{"S":"x"},"status":{"S":"on"}})");
  EXPECT_EQ(p.paths().size(), 3u);
}

TEST(ProjectionTest, Errors) {
  EXPECT_EQ(ProjectError(""), "Invalid ProjectionExpression: The expression can not be empty;");
  EXPECT_EQ(ProjectError("a,"),
            "Invalid ProjectionExpression: Syntax error; token: \"<EOF>\", near: \",\"");
  EXPECT_EQ(ProjectError("a b"),
            "Invalid ProjectionExpression: Syntax error; token: \"b\", near: \"a b\"");
  EXPECT_EQ(ProjectError("status"),
            "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved "
            "keyword: status");
  EXPECT_EQ(ProjectError("#x"),
            "Invalid ProjectionExpression: An expression attribute name used in the document "
            "path is not defined; attribute name: #x");
  EXPECT_EQ(ProjectError("m, m.x"),
            "Invalid ProjectionExpression: Two document paths overlap with each other; must "
            "remove or rewrite one of these paths; path one: [m], path two: [m, x]");
  EXPECT_EQ(ProjectError("l[0], l.x"),
            "Invalid ProjectionExpression: Two document paths conflict with each other; must "
            "remove or rewrite one of these paths; path one: [l, [0]], path two: [l, x]");
}

TEST(SubstitutionsTest, Validation) {
  EXPECT_EQ(ErrorOf([] { Subs("{}", ""); }), "ExpressionAttributeNames must not be empty");
  EXPECT_EQ(ErrorOf([] { Subs("", "{}"); }), "ExpressionAttributeValues must not be empty");
  EXPECT_EQ(ErrorOf([] { Subs(R"({"x": "a"})", ""); }),
            "ExpressionAttributeNames contains invalid key: Syntax error; key: \"x\"");
  EXPECT_EQ(ErrorOf([] { Subs(R"({"#a-b": "a"})", ""); }),
            "ExpressionAttributeNames contains invalid key: Syntax error; key: \"#a-b\"");
  EXPECT_EQ(ErrorOf([] { Subs("", R"({"v": {"S": "a"}})"); }),
            "ExpressionAttributeValues contains invalid key: Syntax error; key: \"v\"");
  std::string bad = ErrorOf([] { Subs("", R"({":v": {}})"); });
  EXPECT_EQ(bad.rfind("ExpressionAttributeValues contains invalid value: ", 0), 0u) << bad;
  EXPECT_NE(bad.find(" for key :v"), std::string::npos) << bad;
}

TEST(SubstitutionsTest, Unused) {
  Substitutions subs =
      Subs(R"({"#a": "a", "#b": "b", "#c": "c"})", R"({":x": {"S": "1"}, ":y": {"S": "2"}})");
  Condition::Parse("#b = :y", subs, "ConditionExpression");
  EXPECT_EQ(ErrorOf([&] { subs.CheckAllUsed(); }),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #c}");
  Projection::Parse("#a, #c", subs);
  EXPECT_EQ(ErrorOf([&] { subs.CheckAllUsed(); }),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}");
  Update::Parse("SET a = :x", subs);
  EXPECT_EQ(ErrorOf([&] { subs.CheckAllUsed(); }), "<no error>");
}

TEST(SubstitutionsTest, Lookups) {
  Substitutions subs = Subs(R"({"#a": "alpha"})", R"({":v": {"N": "1"}})");
  EXPECT_TRUE(subs.has_names());
  EXPECT_EQ(subs.Name("#a", "UpdateExpression"), "alpha");
  EXPECT_EQ(subs.Value(":v", "UpdateExpression").number.text(), "1");
  EXPECT_EQ(ErrorOf([&] { subs.Name("#b", "UpdateExpression"); }),
            "Invalid UpdateExpression: An expression attribute name used in the document path "
            "is not defined; attribute name: #b");
  EXPECT_EQ(ErrorOf([&] { subs.Value(":w", "ConditionExpression"); }),
            "Invalid ConditionExpression: An expression attribute value used in expression is "
            "not defined; attribute value: :w");
}

TEST(PathTest, ToString) {
  Substitutions subs = Subs("", "");
  Projection p = Projection::Parse("a.b[2].c, d[0][1]", subs);
  EXPECT_EQ(PathToString(p.paths()[0]), "a.b[2].c");
  EXPECT_EQ(PathToString(p.paths()[1]), "d[0][1]");
}

}  // namespace
}  // namespace cruddur::ddb::expr
