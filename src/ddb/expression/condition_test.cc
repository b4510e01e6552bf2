#include <gtest/gtest.h>

#include "ddb/expression/expression.h"
#include "ddb/expression/test_util.h"
#include "testing/expect_cases.h"

namespace cruddur::ddb::expr {
namespace {

using test_util::ExpectCases;

const char* kValues = R"({":s": {"S": "abc"}, ":s2": {"S": "abd"}, ":n": {"N": "5"},
  ":n1": {"N": "1"}, ":n10": {"N": "10"}, ":b": {"B": "AAE="}, ":t": {"BOOL": true},
  ":null": {"NULL": true}, ":ss": {"SS": ["x", "y"]}, ":l": {"L": [{"S": "x"}]},
  ":pre": {"S": "ab"}, ":x": {"S": "x"}, ":typeN": {"S": "N"}, ":typeX": {"S": "X"},
  ":one": {"N": "1"}, ":m": {"M": {"k": {"S": "v"}}}})";

const char* kItem = R"({"s": {"S": "abc"}, "n": {"N": "5"}, "b": {"B": "AAEC"},
  "t": {"BOOL": true}, "nul": {"NULL": true}, "ss": {"SS": ["x", "y"]},
  "ns": {"NS": ["1", "2"]}, "bs": {"BS": ["AAE="]}, "l": {"L": [{"S": "x"}, {"N": "1"}]},
  "m": {"M": {"k": {"S": "v"}, "in2": {"M": {"deep": {"N": "7"}}}, "lst": {"L": [{"N": "3"}]}}},
  "utf": {"S": "h\u00e9"}, "status": {"S": "on"}, "n2": {"N": "5.0"}, "low": {"N": "1"},
  "high": {"N": "10"}})";

bool Eval(const std::string& text, const std::string& names = "") {
  Substitutions subs = Subs(names, kValues);
  Condition c = Condition::Parse(text, subs, "ConditionExpression");
  return c.Evaluate(MakeItem(kItem));
}

// Eval without names, for the case tables.
bool EvalText(const char* text) { return Eval(text); }

std::string ParseError(const std::string& text, const std::string& names = "",
                       const std::string& kind = "ConditionExpression") {
  return ErrorOf([&] {
    Substitutions subs = Subs(names, kValues);
    Condition::Parse(text, subs, kind);
  });
}

TEST(ConditionTest, Comparisons) {
  const std::pair<const char*, bool> kCases[] = {{"s = :s", true},
                                                 {"s = :s2", false},
                                                 {"s <> :s2", true},
                                                 {"s < :s2", true},
                                                 {"s <= :s", true},
                                                 {"s >= :s", true},
                                                 {"s > :s", false},
                                                 {"n = :n", true},
                                                 {"n = n2", true},  // numeric equality
                                                 {"n > :n1 AND n < :n10", true},
                                                 {"b > :b", true},  // bytes: 00 01 02 > 00 01
                                                 {":n1 < n", true},
                                                 {"t = :t", true},
                                                 {"nul = :null", true},
                                                 {"ss = :ss", true},
                                                 {"m.k = :x", false},
                                                 {"l[0] = :x", true},
                                                 {"m.in2.deep > :n", true},
                                                 {"m.lst[0] = :one", false}};
  ExpectCases(EvalText, kCases);
}

TEST(ConditionTest, DifferentTypesCompareFalse) {
  const std::pair<const char*, bool> kCases[] = {{"s = :n", false},  {"s < :n", false},
                                                 {"s > :n", false},  {"s <> :n", true},
                                                 {"t < s", false},  // < is only for N, S and B
                                                 {"ss >= s", false}, {"s BETWEEN t AND ss", false}};
  ExpectCases(EvalText, kCases);
}

TEST(ConditionTest, MissingAttributes) {
  const std::pair<const char*, bool> kCases[] = {
      {"gone = :s", false},       {"gone <> :s", true},
      {"gone < :s", false},       {"gone.x = :s", false},
      {"s.x = :s", false},  // s is not a map
      {"l[5] = :s", false},       {"gone BETWEEN :n1 AND :n10", false},
      {"gone IN (:s, :n)", false}};
  ExpectCases(EvalText, kCases);
}

TEST(ConditionTest, Precedence) {
  // NOT binds tighter than AND, AND tighter than OR.
  const std::pair<const char*, bool> kCases[] = {
      {"s = :s OR s = :s2 AND n = :n1", true},
      {"(s = :s OR s = :s2) AND n = :n1", false},
      {"NOT s = :s AND n = :n", false},
      {"NOT (s = :s AND n = :n1)", true},
      {"NOT NOT s = :s", true},
      {"s = :s2 or n = :n", true},  // keywords are case-insensitive
      {"not s = :s2", true},
      {"(s) = :s", true},
      {"(s = :s) AND (n = :n)", true}};
  ExpectCases(EvalText, kCases);
}

TEST(ConditionTest, BetweenAndIn) {
  const std::pair<const char*, bool> kCases[] = {
      {"n BETWEEN :n1 AND :n10", true},  {"n BETWEEN :n AND :n", true},
      {"n BETWEEN :n1 AND :n1", false},  {"n between low and high", true},
      {"s BETWEEN :n1 AND :n10", false}, {"s BETWEEN :pre AND :s2", true},
      {"n IN (:n1, :n)", true},          {"s in (:s)", true},
      {"s IN (:s2, :n)", false},         {"ss IN (:ss)", true}};
  ExpectCases(EvalText, kCases);
}

TEST(ConditionTest, Functions) {
  const std::pair<const char*, bool> kCases[] = {{"attribute_exists(s)", true},
                                                 {"attribute_exists(nope)", false},
                                                 {"attribute_not_exists(nope)", true},
                                                 {"attribute_exists(m.in2.deep)", true},
                                                 {"attribute_not_exists(m.in2.nope)", true},
                                                 {"attribute_exists(l[1])", true},
                                                 {"attribute_exists(l[2])", false},
                                                 {"attribute_type(n, :typeN)", true},
                                                 {"attribute_type(s, :typeN)", false},
                                                 {"begins_with(s, :pre)", true},
                                                 {"begins_with(s, :s2)", false},
                                                 {"begins_with(b, :b)", true},
                                                 {"begins_with(n, :pre)", false},
                                                 {"contains(s, :pre)", true},
                                                 {"contains(ss, :x)", true},
                                                 {"contains(ss, :s)", false},
                                                 {"contains(ns, :one)", true},
                                                 {"contains(bs, :b)", true},
                                                 {"contains(l, :x)", true},
                                                 {"contains(l, :one)", true},
                                                 {"contains(l, :s)", false},
                                                 {"contains(n, :n)", false},
                                                 {"NOT contains(s, :x)", true}};
  ExpectCases(EvalText, kCases);
}

TEST(ConditionTest, Size) {
  EXPECT_TRUE(Eval("size(s) = :n") == false);
  Substitutions subs = Subs("", R"({":3": {"N": "3"}, ":2": {"N": "2"}, ":1": {"N": "1"}})");
  Item item = MakeItem(kItem);
  auto eval = [&](const char* text) {
    return Condition::Parse(text, subs, "FilterExpression").Evaluate(item);
  };
  EXPECT_TRUE(eval("size(s) = :3"));
  // A string's size is its UTF-16 code units (DynamoDB is a Java service): "hé" is 2, though
  // 3 bytes, and a character outside the Basic Multilingual Plane counts 2.
  EXPECT_TRUE(eval("size(utf) = :2"));
  Item astral = MakeItem(R"({"t": {"S": "\u00e9\ud834\udd1e"}})");
  EXPECT_TRUE(Condition::Parse("size(t) = :3", subs, "FilterExpression").Evaluate(astral));
  EXPECT_TRUE(eval("size(b) = :3"));
  EXPECT_TRUE(eval("size(ss) = :2"));
  EXPECT_TRUE(eval("size(ns) = :2"));
  EXPECT_TRUE(eval("size(bs) = :1"));
  EXPECT_TRUE(eval("size(l) = :2"));
  EXPECT_TRUE(eval("size(m) = :3"));
  EXPECT_TRUE(eval("size(m.lst) = :1"));
  EXPECT_FALSE(eval("size(n) = :1"));
  EXPECT_FALSE(eval("size(nope) = :1"));
  EXPECT_TRUE(eval("size(s) > size(ss)"));
  EXPECT_TRUE(eval("size(l) BETWEEN :1 AND :3"));
}

TEST(ConditionTest, NameSubstitutions) {
  EXPECT_TRUE(Eval("#st = :x OR #st <> :x", R"({"#st": "status"})"));
  EXPECT_TRUE(Eval("#m.#k = :x OR #m.#k <> :x", R"({"#m": "m", "#k": "k"})"));
  EXPECT_TRUE(Eval("#a = :s", R"({"#a": "s"})"));
  EXPECT_TRUE(Eval("#dotted = :s OR attribute_not_exists(#dotted)", R"({"#dotted": "s.x"})"));
}

TEST(ConditionTest, Paths) {
  Substitutions subs = Subs(R"({"#k": "k"})", kValues);
  Condition c =
      Condition::Parse("m.#k = :s AND size(l) > :n OR contains(ss, :x)", subs, "FilterExpression");
  EXPECT_EQ(PathStrings(c.Paths()), (std::vector<std::string>{"m.k", "l", "ss"}));
}

// A constant of a type without order (not S, N or B) in an ordering comparison or BETWEEN is
// refused at parse time; = and <> and IN take any type.
TEST(ConditionErrorTest, OrderingNeedsAnOrderedConstant) {
  EXPECT_EQ(ParseError("t < :t"),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: <, operand type: BOOL");
  EXPECT_EQ(ParseError("size(l) >= :ss"),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: >=, operand type: SS");
  EXPECT_EQ(ParseError("n BETWEEN :s AND :m"),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: BETWEEN, operand type: M");
  EXPECT_EQ(ParseError("n = :m OR n <> :l OR n IN (:t, :null)").rfind("<no error>", 0), 0u);
}

TEST(ConditionErrorTest, BetweenAndInOperandsMustBeDistinct) {
  EXPECT_EQ(ParseError("n BETWEEN :n1 AND n"),
            "Invalid ConditionExpression: The first operand must be distinct from the remaining "
            "operands for this operator or function; operator: BETWEEN, first operand: [n]");
  EXPECT_EQ(ParseError("n IN (:n1, :n10, n)"),
            "Invalid ConditionExpression: The first operand must be distinct from the remaining "
            "operands for this operator or function; operator: IN, first operand: [n]");
}

TEST(ConditionErrorTest, SyntaxErrors) {
  EXPECT_EQ(ParseError("a = "),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"= \"");
  EXPECT_EQ(ParseError("a b"),
            "Invalid ConditionExpression: Syntax error; token: \"b\", near: \"a b\"");
  EXPECT_EQ(ParseError("a = :s AND"),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\"");
  EXPECT_EQ(ParseError("a = :s b = :s"),
            "Invalid ConditionExpression: Syntax error; token: \"b\", near: \":s b =\"");
  EXPECT_EQ(ParseError("a ! :s"),
            "Invalid ConditionExpression: Syntax error; token: \"!\", near: \"a ! :s\"");
  EXPECT_EQ(ParseError("a = # "),
            "Invalid ConditionExpression: Syntax error; token: \"#\", near: \"= #\"");
  EXPECT_EQ(ParseError("(a = :s"),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \":s\"");
  EXPECT_EQ(ParseError("a IN ()"),
            "Invalid ConditionExpression: Syntax error; token: \")\", near: \"()\"");
  EXPECT_EQ(ParseError("a BETWEEN :s"),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \":s\"");
  EXPECT_EQ(ParseError("and = :s"),
            "Invalid ConditionExpression: Syntax error; token: \"and\", near: \"and =\"");
  EXPECT_EQ(ParseError("a[x] = :s"),
            "Invalid ConditionExpression: Syntax error; token: \"x\", near: \"[x]\"");
  EXPECT_EQ(ParseError("a"),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"a\"");
  EXPECT_EQ(ParseError("a = :s", "", "FilterExpression").rfind("<no error>", 0), 0u);
  EXPECT_EQ(ParseError("a = = :s", "", "FilterExpression"),
            "Invalid FilterExpression: Syntax error; token: \"=\", near: \"= = :s\"");
}

TEST(ConditionErrorTest, EmptyExpression) {
  EXPECT_EQ(ParseError(""), "Invalid ConditionExpression: The expression can not be empty;");
  EXPECT_EQ(ParseError("  "), "Invalid ConditionExpression: The expression can not be empty;");
}

TEST(ConditionErrorTest, ReservedWords) {
  EXPECT_EQ(ParseError("status = :s"),
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved "
            "keyword: status");
  EXPECT_EQ(ParseError("a.Size = :s", "", "FilterExpression"),
            "Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: "
            "Size");
  EXPECT_EQ(ParseError("statuses = :s"), "<no error>");
}

TEST(ConditionErrorTest, Substitutions) {
  EXPECT_EQ(ParseError("#nope = :s"),
            "Invalid ConditionExpression: An expression attribute name used in the document "
            "path is not defined; attribute name: #nope");
  EXPECT_EQ(ParseError("a = :nope"),
            "Invalid ConditionExpression: An expression attribute value used in expression is "
            "not defined; attribute value: :nope");
}

TEST(ConditionErrorTest, Functions) {
  EXPECT_EQ(ParseError("foo(a)"),
            "Invalid ConditionExpression: Invalid function name; function: foo");
  EXPECT_EQ(ParseError("if_not_exists(a, :s)"),
            "Invalid ConditionExpression: The function is not allowed in a condition "
            "expression; function: if_not_exists");
  // No operands at all is a syntax error at the ')' (DynamoDB Local).
  EXPECT_EQ(ParseError("attribute_exists()"),
            "Invalid ConditionExpression: Syntax error; token: \")\", near: \"()\"");
  EXPECT_EQ(ParseError("attribute_exists(a, :s)"),
            "Invalid ConditionExpression: Incorrect number of operands for operator or "
            "function; operator or function: attribute_exists, number of operands: 2");
  EXPECT_EQ(ParseError("attribute_exists(:s)"),
            "Invalid ConditionExpression: Operator or function requires a document path; "
            "operator or function: attribute_exists");
  EXPECT_EQ(ParseError("begins_with(a, :n)"),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: begins_with, operand type: N");
  EXPECT_EQ(ParseError("attribute_type(a, :n)"),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: attribute_type, operand type: N");
  EXPECT_EQ(ParseError("attribute_type(a, :typeX)"),
            "Invalid ConditionExpression: Invalid attribute type name found; type: X, valid "
            "types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
  EXPECT_EQ(ParseError("size(a) = :n AND size(:n) > :n"),
            "Invalid ConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: size, operand type: N");
  EXPECT_EQ(ParseError("size(a)"),
            "Invalid ConditionExpression: The function is not allowed to be used this way in "
            "an expression; function: size");
  EXPECT_EQ(ParseError("attribute_exists(a) = :t"),
            "Invalid ConditionExpression: The function is not allowed to be used this way in "
            "an expression; function: attribute_exists");
  EXPECT_EQ(ParseError("contains(a, a)"),
            "Invalid ConditionExpression: The first operand must be distinct from the "
            "remaining operands for this operator or function; operator: contains, first "
            "operand: [a]");
  EXPECT_EQ(ParseError("a.b[1] = a.b[1]"),
            "Invalid ConditionExpression: The first operand must be distinct from the "
            "remaining operands for this operator or function; operator: =, first operand: "
            "[a, b, [1]]");
}

TEST(ConditionErrorTest, Between) {
  EXPECT_EQ(ParseError("a BETWEEN :n AND :n1"),
            "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be "
            "greater than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, "
            "upper bound operand: AttributeValue: {N:1}");
  EXPECT_EQ(ParseError("a BETWEEN :n AND :s"),
            "Invalid ConditionExpression: The BETWEEN operator requires same data type for "
            "lower and upper bounds; lower bound operand: AttributeValue: {N:5}, upper bound "
            "operand: AttributeValue: {S:abc}");
}

TEST(ConditionErrorTest, RedundantParentheses) {
  EXPECT_EQ(ParseError("((a = :s))"),
            "Invalid ConditionExpression: The expression has redundant parentheses;");
  EXPECT_EQ(ParseError("((a)) = :s"),
            "Invalid ConditionExpression: The expression has redundant parentheses;");
  EXPECT_EQ(ParseError("((a = :s) AND (b = :s))"), "<no error>");
  EXPECT_EQ(ParseError("size((a)) = :n"), "<no error>");
  // After AND, OR and NOT the parentheses group an operand, unlike a call's or IN's.
  for (const char* e : {"(a = :s) AND ((b = :s))", "a = :s OR ((b = :s))", "NOT ((a = :s))"}) {
    EXPECT_EQ(ParseError(e),
              "Invalid ConditionExpression: The expression has redundant parentheses;")
        << e;
  }
  EXPECT_EQ(ParseError("a IN ((:s))"), "<no error>");
  EXPECT_EQ(ParseError("NOT (a = :s) AND (b = :s OR (c = :s))"), "<no error>");
}

TEST(ConditionErrorTest, ErrorPriority) {
  // A syntax error wins over everything; then DynamoDB's order of semantic errors.
  EXPECT_EQ(ParseError("status = :nope AND"),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\"");
  EXPECT_EQ(ParseError("#nope = :s AND status = :s"),
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved "
            "keyword: status");
  EXPECT_EQ(ParseError("foo(status)"),
            "Invalid ConditionExpression: Invalid function name; function: foo");
}

TEST(ConditionErrorTest, InLimit) {
  std::string values = "{";
  std::string list;
  for (int i = 0; i <= 100; ++i) {
    if (i > 0) {
      values += ",";
      list += ",";
    }
    values += "\":v" + std::to_string(i) + "\": {\"N\": \"" + std::to_string(i) + "\"}";
    list += ":v" + std::to_string(i);
  }
  values += "}";
  Substitutions subs = Subs("", values);
  Item item = MakeItem(R"({"a": {"N": "99"}})");
  std::string hundred = list.substr(0, list.rfind(','));
  EXPECT_TRUE(Condition::Parse("a IN (" + hundred + ")", subs, "FilterExpression").Evaluate(item));
  EXPECT_NE(ErrorOf([&] { Condition::Parse("a IN (" + list + ")", subs, "FilterExpression"); }),
            "<no error>");
}

}  // namespace
}  // namespace cruddur::ddb::expr
