#include <gtest/gtest.h>

#include "ddb/expression/expression.h"
#include "ddb/expression/test_util.h"
#include "testing/expect_cases.h"

namespace cruddur::ddb::expr {
namespace {

using test_util::ExpectCases;

const char* kValues = R"({":h": {"S": "hash"}, ":r": {"S": "r1"}, ":r2": {"S": "r2"},
  ":n": {"N": "3"}, ":n1": {"N": "1"}})";

KeyCondition Parse(const std::string& text, const std::string& range = "sk") {
  Substitutions subs = Subs(R"({"#p": "pk", "#s": "sk"})", kValues);
  return KeyCondition::Parse(text, subs, "pk", range);
}

std::string ParseError(const std::string& text, const std::string& range = "sk") {
  return ErrorOf([&] { Parse(text, range); });
}

TEST(KeyConditionTest, HashOnly) {
  KeyCondition kc = Parse("pk = :h");
  EXPECT_EQ(kc.hash_values, std::vector{AttributeValue::S("hash")});
  EXPECT_EQ(kc.range_op, KeyCondition::Op::kNone);
  EXPECT_EQ(Parse(":h = #p", "").hash_values, std::vector{AttributeValue::S("hash")});
}

TEST(KeyConditionTest, RangeOperators) {
  EXPECT_EQ(Parse("pk = :h AND sk = :r").range_op, KeyCondition::Op::kEq);
  EXPECT_EQ(Parse("pk = :h AND sk < :r").range_op, KeyCondition::Op::kLt);
  EXPECT_EQ(Parse("pk = :h AND sk <= :r").range_op, KeyCondition::Op::kLe);
  EXPECT_EQ(Parse("pk = :h AND sk > :r").range_op, KeyCondition::Op::kGt);
  EXPECT_EQ(Parse("sk >= :r AND pk = :h").range_op, KeyCondition::Op::kGe);
  EXPECT_EQ(Parse("pk = :h AND :r > sk").range_op, KeyCondition::Op::kLt);  // flipped
  KeyCondition b = Parse("#p = :h and #s between :r and :r2");
  EXPECT_EQ(b.range_op, KeyCondition::Op::kBetween);
  EXPECT_EQ(b.range_low.bytes, "r1");
  EXPECT_EQ(b.range_high.bytes, "r2");
  KeyCondition bw = Parse("(pk = :h) AND (begins_with(sk, :r))");
  EXPECT_EQ(bw.range_op, KeyCondition::Op::kBeginsWith);
  EXPECT_EQ(bw.range_low.bytes, "r1");
}

TEST(KeyConditionTest, Errors) {
  // Without a RANGE key, a second condition is not a missing key element.
  EXPECT_EQ(ParseError("pk = :h AND attr2 = :r", ""), "Query key condition not supported");
  const std::pair<const char*, std::string_view> kCases[] = {
      {"sk = :r", "Query condition missed key schema element: pk"},
      {"pk = :h AND attr2 = :r", "Query condition missed key schema element: sk"},
      {"pk < :h", "Query key condition not supported"},
      {"begins_with(pk, :h)", "Query key condition not supported"},
      {"pk = :h OR sk = :r", "Invalid operator used in KeyConditionExpression: OR"},
      {"NOT pk = :h", "Invalid operator used in KeyConditionExpression: NOT"},
      {"pk IN (:h)", "Invalid operator used in KeyConditionExpression: IN"},
      {"pk <> :h", "Invalid operator used in KeyConditionExpression: <>"},
      {"pk = :h AND attribute_exists(sk)",
       "Invalid operator used in KeyConditionExpression: attribute_exists"},
      {"pk = :h AND contains(sk, :r)", "Invalid operator used in KeyConditionExpression: contains"},
      {"pk = :h AND size(sk) > :n", "KeyConditionExpressions cannot contain nested operations"},
      {"pk = :h AND pk = :h", "KeyConditionExpressions must only contain one condition per key"},
      {"pk = sk",
       "Invalid condition in KeyConditionExpression: Multiple attribute names used in one "
       "condition"},
      {":h = :r", "Invalid condition in KeyConditionExpression: No key attribute specified"},
      {"pk.x = :h", "KeyConditionExpressions cannot have conditions on nested attributes"},
      {"pk = :h AND begins_with(sk, :n)",
       "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator "
       "or function: begins_with, operand type: N"},
      {"pk = :h AND sk BETWEEN :n AND :n1",
       "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater "
       "than or equal to lower bound; lower bound operand: AttributeValue: {N:3}, upper bound "
       "operand: AttributeValue: {N:1}"},
      {"pk = :h AND",
       "Invalid KeyConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\""},
      {"", "Invalid KeyConditionExpression: The expression can not be empty;"}};
  ExpectCases([](const char* expression) { return ParseError(expression); }, kCases);
}

// "k = :v [AND r <op> :w]" is read off the tokens without the parser's tree: it must give the
// parser's terms, and leave every error (and the used-marks of CheckAllUsed) to the parser.
TEST(KeyConditionTest, CommonShapesMatchTheParser) {
  KeyCondition a = Parse("#p = :h and #s <= :r2");
  EXPECT_EQ(a.hash_values, std::vector{AttributeValue::S("hash")});
  EXPECT_EQ(a.range_op, KeyCondition::Op::kLe);
  EXPECT_EQ(a.range_low.bytes, "r2");
  KeyCondition b = Parse("sk>:r AND pk=:h");
  EXPECT_EQ(b.hash_values, std::vector{AttributeValue::S("hash")});
  EXPECT_EQ(b.range_op, KeyCondition::Op::kGt);
  EXPECT_EQ(b.range_low.bytes, "r1");
  EXPECT_EQ(ParseError("pk = :h AND sk = :r AND sk = :r2"),
            "KeyConditionExpressions must only contain one condition per key");
  EXPECT_EQ(ParseError("pk = :h AND sk = :h AND"),
            "Invalid KeyConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\"");
  EXPECT_EQ(ParseError("pk = :nope"),
            "Invalid KeyConditionExpression: An expression attribute value used in expression is "
            "not defined; attribute value: :nope");
  EXPECT_EQ(ParseError("#nope = :h"),
            "Invalid KeyConditionExpression: An expression attribute name used in the document "
            "path is not defined; attribute name: #nope");
  EXPECT_EQ(ParseError("pk = :h AND name = :r"),
            "Invalid KeyConditionExpression: Attribute name is a reserved keyword; reserved "
            "keyword: name");
  EXPECT_EQ(ParseError("pk = :h AND in = :r"),
            "Invalid KeyConditionExpression: Syntax error; token: \"in\", near: \"AND in =\"");

  Substitutions subs =
      Subs(R"({"#p": "pk", "#s": "sk"})", R"({":h": {"S": "x"}, ":r": {"S": "y"}})");
  KeyCondition::Parse("#p = :h", subs, "pk", "sk");
  EXPECT_EQ(ErrorOf([&] { subs.CheckAllUsed(); }),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#s}");
}

// A multi-attribute GSI key: HASH a, b; RANGE x, y, z.
KeyCondition ParseMulti(const std::string& text) {
  Substitutions subs = Subs("", R"({":a": {"S": "A"}, ":b": {"N": "2"}, ":x": {"S": "X"},
      ":y": {"N": "5"}, ":z": {"B": "Wg=="}, ":o": {"S": "o"}})");
  return KeyCondition::Parse(text, subs, {"a", "b"}, {"x", "y", "z"});
}

std::string MultiError(const std::string& text) {
  return ErrorOf([&] { ParseMulti(text); });
}

TEST(KeyConditionTest, MultiAttributeKeysLeftToRight) {
  KeyCondition kc = ParseMulti("b = :b AND a = :a");
  EXPECT_EQ(kc.hash_values, (std::vector{AttributeValue::S("A"), AttributeValue::N("2")}));
  EXPECT_EQ(kc.range_op, KeyCondition::Op::kNone);
  EXPECT_TRUE(kc.range_prefix.empty());

  kc = ParseMulti("a = :a AND b = :b AND x = :x AND y > :y");
  ASSERT_EQ(kc.range_prefix.size(), 1u);
  EXPECT_EQ(kc.range_prefix[0], AttributeValue::S("X"));
  EXPECT_EQ(kc.range_op, KeyCondition::Op::kGt);
  EXPECT_EQ(kc.range_low, AttributeValue::N("5"));

  kc = ParseMulti("z = :z AND a = :a AND y = :y AND b = :b AND x = :x");  // any order of terms
  EXPECT_EQ(kc.range_prefix.size(), 2u);
  EXPECT_EQ(kc.range_op, KeyCondition::Op::kEq);
  EXPECT_EQ(kc.range_low, AttributeValue::B("Z"));

  kc = ParseMulti("a = :a AND b = :b AND begins_with(x, :x)");
  EXPECT_EQ(kc.range_op, KeyCondition::Op::kBeginsWith);
  EXPECT_TRUE(kc.range_prefix.empty());
}

// RANGE: DynamoDB's words (seen in 2026); HASH: modelled on them, and DynamoDB Local 3.3's
// words too. Which attributes are named, and the other-attribute cases, follow DynamoDB Local.
TEST(KeyConditionTest, MultiAttributeKeyRefusals) {
  const std::string hash_b =
      "HASH key attributes b must have equality conditions specified in the query";
  auto range = [](const std::string& prior, const std::string& later) {
    return "RANGE key attributes " + prior +
           " must have equality conditions specified in the query because a condition is present "
           "on key attribute " +
           later;
  };
  EXPECT_EQ(MultiError("a = :a"), hash_b);
  EXPECT_EQ(MultiError("a = :a AND b > :b"), hash_b);
  EXPECT_EQ(MultiError("b = :b AND x = :x"),
            "HASH key attributes a must have equality conditions specified in the query");
  EXPECT_EQ(MultiError("a = :a AND b = :b AND y = :y"), range("x", "y"));
  EXPECT_EQ(MultiError("a = :a AND b = :b AND x = :x AND z = :z"), range("y", "z"));
  EXPECT_EQ(MultiError("a = :a AND b = :b AND x > :x AND y = :y"), range("x", "y"));
  EXPECT_EQ(MultiError("a = :a AND b = :b AND x BETWEEN :x AND :o AND y = :y"), range("x", "y"));
  EXPECT_EQ(MultiError("a = :a AND b = :b AND x = :x AND begins_with(y, :o) AND z = :z"),
            range("y", "z"));
  // The last RANGE condition is checked, against the nearest attribute before it first.
  EXPECT_EQ(MultiError("a = :a AND b = :b AND z > :z AND x < :x"), range("y", "z"));
  // A condition on another attribute: the sort key is missing when no RANGE attribute has one,
  // else the condition is not supported.
  EXPECT_EQ(MultiError("a = :a AND b = :b AND o = :o"),
            "Query condition missed key schema element");
  EXPECT_EQ(MultiError("a = :a AND b = :b AND x = :x AND o = :o"),
            "Query key condition not supported");
  EXPECT_EQ(MultiError("a = :a AND b = :b AND x = :x AND y = :y AND z = :z AND o = :o"),
            "Query key condition not supported");
}

}  // namespace
}  // namespace cruddur::ddb::expr
