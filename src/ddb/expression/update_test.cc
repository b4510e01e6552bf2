#include <gtest/gtest.h>

#include "ddb/expression/expression.h"
#include "ddb/expression/test_util.h"

namespace cruddur::ddb::expr {
namespace {

const char* kValues = R"({":s": {"S": "new"}, ":n": {"N": "5"}, ":one": {"N": "1"},
  ":l": {"L": [{"S": "z"}]}, ":ss": {"SS": ["b", "c"]}, ":ns": {"NS": ["2", "9"]},
  ":empty": {"L": []}, ":m": {"M": {}}, ":t": {"BOOL": true}, ":bs": {"BS": ["AA=="]},
  ":big": {"N": "9.9999999999999999999999999999999999999E+125"}})";

const char* kItem = R"({"pk": {"S": "k"}, "n": {"N": "10"}, "s": {"S": "old"},
  "l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}, {"S": "d"}]},
  "m": {"M": {"x": {"N": "1"}, "l": {"L": [{"N": "1"}]}}},
  "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}})";

// Applies `text` to kItem and returns the resulting item as JSON.
std::string Apply(const std::string& text, const std::string& names = "") {
  Substitutions subs = Subs(names, kValues);
  Update u = Update::Parse(text, subs);
  Item item = MakeItem(kItem);
  u.Apply(item);
  return ItemJson(item);
}

std::string Get(const std::string& text, const std::string& attr, const std::string& names = "") {
  Substitutions subs = Subs(names, kValues);
  Update u = Update::Parse(text, subs);
  Item item = MakeItem(kItem);
  u.Apply(item);
  auto it = item.find(attr);
  if (it == item.end()) return "<missing>";
  Item one{{attr, it->second}};
  return ItemJson(one);
}

std::string ApplyError(const std::string& text, const std::string& names = "") {
  return ErrorOf([&] { Apply(text, names); });
}

TEST(UpdateTest, Set) {
  EXPECT_EQ(Get("SET s = :s", "s"), R"({"s":{"S":"new"}})");
  EXPECT_EQ(Get("SET a = :s, b = :n", "b"), R"({"b":{"N":"5"}})");
  EXPECT_EQ(Get("set #x = :s", "status", R"({"#x": "status"})"), R"({"status":{"S":"new"}})");
  EXPECT_EQ(Get("SET n = n + :n", "n"), R"({"n":{"N":"15"}})");
  EXPECT_EQ(Get("SET n = :n - n", "n"), R"({"n":{"N":"-5"}})");
  EXPECT_EQ(Get("SET c = n", "c"), R"({"c":{"N":"10"}})");
  EXPECT_EQ(Get("SET c = if_not_exists(c, :one)", "c"), R"({"c":{"N":"1"}})");
  EXPECT_EQ(Get("SET n = if_not_exists(n, :one)", "n"), R"({"n":{"N":"10"}})");
  EXPECT_EQ(Get("SET c = if_not_exists(c, :one) + :n", "c"), R"({"c":{"N":"6"}})");
  EXPECT_EQ(Get("SET l = list_append(l, :l)", "l"),
            R"({"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"},{"S":"d"},{"S":"z"}]}})");
  EXPECT_EQ(Get("SET l = list_append(:l, l)", "l"),
            R"({"l":{"L":[{"S":"z"},{"S":"a"},{"S":"b"},{"S":"c"},{"S":"d"}]}})");
  EXPECT_EQ(Get("SET c = list_append(if_not_exists(c, :empty), :l)", "c"),
            R"({"c":{"L":[{"S":"z"}]}})");
  EXPECT_EQ(Get("SET s = (:s)", "s"), R"({"s":{"S":"new"}})");
  EXPECT_EQ(Get("SET n = (n + :n)", "n"), R"({"n":{"N":"15"}})");
}

TEST(UpdateTest, OperandsReadTheOldItem) {
  EXPECT_EQ(Get("SET n = :n, c = n", "c"), R"({"c":{"N":"10"}})");
  EXPECT_EQ(Get("SET s = n, n = s", "n"), R"({"n":{"S":"old"}})");
}

TEST(UpdateTest, SetNested) {
  EXPECT_EQ(Get("SET m.y = :s", "m"),
            R"({"m":{"M":{"l":{"L":[{"N":"1"}]},"x":{"N":"1"},"y":{"S":"new"}}}})");
  EXPECT_EQ(Get("SET m.l[0] = :s", "m"), R"({"m":{"M":{"l":{"L":[{"S":"new"}]},"x":{"N":"1"}}}})");
  EXPECT_EQ(Get("SET l[1] = :s", "l"),
            R"({"l":{"L":[{"S":"a"},{"S":"new"},{"S":"c"},{"S":"d"}]}})");
  // An index past the end appends.
  EXPECT_EQ(Get("SET l[10] = :s", "l"),
            R"({"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"},{"S":"d"},{"S":"new"}]}})");
  EXPECT_EQ(ApplyError("SET nope.x = :s"),
            "The document path provided in the update expression is invalid for update");
  EXPECT_EQ(ApplyError("SET s.x = :s"),
            "The document path provided in the update expression is invalid for update");
  EXPECT_EQ(ApplyError("SET m[0] = :s"),
            "The document path provided in the update expression is invalid for update");
  EXPECT_EQ(ApplyError("SET m.nope.y = :s"),
            "The document path provided in the update expression is invalid for update");
}

TEST(UpdateTest, Remove) {
  EXPECT_EQ(Get("REMOVE s", "s"), "<missing>");
  EXPECT_EQ(Get("REMOVE nope", "s"), R"({"s":{"S":"old"}})");
  EXPECT_EQ(Get("REMOVE l[1], l[2]", "l"), R"({"l":{"L":[{"S":"a"},{"S":"d"}]}})");
  EXPECT_EQ(Get("REMOVE l[2], l[0]", "l"), R"({"l":{"L":[{"S":"b"},{"S":"d"}]}})");
  EXPECT_EQ(Get("REMOVE l[7]", "l"), R"({"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"},{"S":"d"}]}})");
  // A REMOVE names what the item held before: an element only a SET appended stays.
  EXPECT_EQ(Get("SET l[9] = :s REMOVE l[4]", "l"),
            R"({"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"},{"S":"d"},{"S":"new"}]}})");
  EXPECT_EQ(Get("SET l[9] = :s REMOVE l[0]", "l"),
            R"({"l":{"L":[{"S":"b"},{"S":"c"},{"S":"d"},{"S":"new"}]}})");
  EXPECT_EQ(Get("REMOVE m.x, m.nope", "m"), R"({"m":{"M":{"l":{"L":[{"N":"1"}]}}}})");
  // A missing or mistyped parent is an invalid path, as for SET.
  for (const char* bad : {"REMOVE nope.x", "REMOVE m.nope.x", "REMOVE l[9].x", "REMOVE s[0]",
                          "DELETE nope.x :ss", "DELETE s.x :ss"}) {
    EXPECT_EQ(ApplyError(bad),
              "The document path provided in the update expression is invalid for update")
        << bad;
  }
  EXPECT_EQ(Get("SET a = :s REMOVE s", "s"), "<missing>");
}

// A bad target path is reported before an operand that reads a missing attribute, whatever the
// order of the actions (DynamoDB Local's order).
TEST(UpdateTest, TargetPathsAreCheckedFirst) {
  for (const char* text : {"SET a = nope, s.x = :s", "SET a = nope REMOVE s.x",
                           "REMOVE s[0] SET a = nope", "ADD nope.x :n SET a = nope"}) {
    EXPECT_EQ(ApplyError(text),
              "The document path provided in the update expression is invalid for update")
        << text;
  }
  EXPECT_EQ(ApplyError("SET a = nope"),
            "The provided expression refers to an attribute that does not exist in the item");
}

TEST(UpdateTest, Add) {
  EXPECT_EQ(Get("ADD n :n", "n"), R"({"n":{"N":"15"}})");
  EXPECT_EQ(Get("ADD c :n", "c"), R"({"c":{"N":"5"}})");
  EXPECT_EQ(Get("ADD ss :ss", "ss"), R"({"ss":{"SS":["a","b","c"]}})");
  EXPECT_EQ(Get("ADD ns :ns", "ns"), R"({"ns":{"NS":["1","2","9"]}})");
  EXPECT_EQ(Get("ADD c :ss", "c"), R"({"c":{"SS":["b","c"]}})");
  EXPECT_EQ(Get("ADD m.x :one", "m"), R"({"m":{"M":{"l":{"L":[{"N":"1"}]},"x":{"N":"2"}}}})");
  EXPECT_EQ(ApplyError("ADD s :n"),
            "An operand in the update expression has an incorrect data type");
  EXPECT_EQ(ApplyError("ADD ss :ns"),
            "An operand in the update expression has an incorrect data type");
}

TEST(UpdateTest, Delete) {
  EXPECT_EQ(Get("DELETE ss :ss", "ss"), R"({"ss":{"SS":["a"]}})");
  EXPECT_EQ(Get("DELETE ns :ns", "ns"), R"({"ns":{"NS":["1"]}})");
  EXPECT_EQ(Get("DELETE c :ss", "c"), "<missing>");
  Substitutions subs = Subs("", R"({":all": {"SS": ["a", "b"]}})");
  Item item = MakeItem(kItem);
  Update::Parse("DELETE ss :all", subs).Apply(item);
  EXPECT_EQ(item.count("ss"), 0u);  // an emptied set disappears
  EXPECT_EQ(ApplyError("DELETE s :ss"),
            "An operand in the update expression has an incorrect data type");
}

TEST(UpdateTest, RuntimeErrors) {
  EXPECT_EQ(ApplyError("SET a = nope"),
            "The provided expression refers to an attribute that does not exist in the item");
  EXPECT_EQ(ApplyError("SET a = s + :n"),
            "An operand in the update expression has an incorrect data type");
  EXPECT_EQ(ApplyError("SET a = list_append(s, :l)"),
            "An operand in the update expression has an incorrect data type");
  EXPECT_NE(ApplyError("SET a = :big + :big"), "<no error>");
}

TEST(UpdateTest, Paths) {
  Substitutions subs = Subs("", kValues);
  Update u = Update::Parse("SET a.b = :s, c[1] = :n REMOVE d ADD e :one DELETE f :ss", subs);
  EXPECT_EQ(PathStrings(u.Paths()), (std::vector<std::string>{"a.b", "c[1]", "d", "e", "f"}));
}

TEST(UpdateErrorTest, Syntax) {
  EXPECT_EQ(ApplyError(""), "Invalid UpdateExpression: The expression can not be empty;");
  EXPECT_EQ(ApplyError("SET"),
            "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"SET\"");
  EXPECT_EQ(ApplyError("SET a = "),
            "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"= \"");
  EXPECT_EQ(ApplyError("SET a = n +"),
            "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"+\"");
  EXPECT_EQ(ApplyError("ADD hits : incr"),
            "Invalid UpdateExpression: Syntax error; token: \":\", near: \"hits : incr\"");
  EXPECT_EQ(ApplyError("INVALID SYNTAX HERE"),
            "Invalid UpdateExpression: Syntax error; token: \"INVALID\", near: \"INVALID SYNTAX\"");
  EXPECT_EQ(ApplyError("SET n = n / :n"),
            "Invalid UpdateExpression: Syntax error; token: \"/\", near: \"n / :n\"");
  EXPECT_EQ(ApplyError("SET a = :s,"),
            "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \",\"");
  EXPECT_EQ(ApplyError("ADD a n"),
            "Invalid UpdateExpression: Syntax error; token: \"n\", near: \"a n\"");
  EXPECT_EQ(ApplyError("SET a = :s b = :s"),
            "Invalid UpdateExpression: Syntax error; token: \"b\", near: \":s b =\"");
}

TEST(UpdateErrorTest, Semantic) {
  // Doubled parentheses, before the other errors (DynamoDB Local): here the repeated section.
  EXPECT_EQ(ApplyError("SET a = ((:s)) SET b = :s"),
            "Invalid UpdateExpression: The expression has redundant parentheses;");
  EXPECT_EQ(ApplyError("SET a = if_not_exists(a, ((:s)))"),
            "Invalid UpdateExpression: The expression has redundant parentheses;");
  EXPECT_EQ(ApplyError("SET a = list_append((:l), :l)"), "<no error>");
  EXPECT_EQ(ApplyError("SET a = :s SET b = :s"),
            "Invalid UpdateExpression: The \"SET\" section can only be used once in an update "
            "expression;");
  EXPECT_EQ(ApplyError("REMOVE a remove b"),
            "Invalid UpdateExpression: The \"REMOVE\" section can only be used once in an "
            "update expression;");
  EXPECT_EQ(ApplyError("SET a = :s, a.b = :s"),
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove "
            "or rewrite one of these paths; path one: [a], path two: [a, b]");
  EXPECT_EQ(ApplyError("SET f = :s REMOVE f"),
            "Invalid UpdateExpression: Two document paths overlap with each other; must remove "
            "or rewrite one of these paths; path one: [f], path two: [f]");
  EXPECT_EQ(ApplyError("SET a[1] = :s REMOVE a.b"),
            "Invalid UpdateExpression: Two document paths conflict with each other; must "
            "remove or rewrite one of these paths; path one: [a, [1]], path two: [a, b]");
  EXPECT_EQ(ApplyError("SET status = :s"),
            "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: "
            "status");
  EXPECT_EQ(ApplyError("SET a = #nope"),
            "Invalid UpdateExpression: An expression attribute name used in the document path "
            "is not defined; attribute name: #nope");
  EXPECT_EQ(ApplyError("SET a = :nope"),
            "Invalid UpdateExpression: An expression attribute value used in expression is not "
            "defined; attribute value: :nope");
  EXPECT_EQ(ApplyError("SET a = foo(b)"),
            "Invalid UpdateExpression: Invalid function name; function: foo");
  EXPECT_EQ(ApplyError("SET a = size(b)"),
            "Invalid UpdateExpression: The function is not allowed in an update expression; "
            "function: size");
  EXPECT_EQ(ApplyError("SET a = if_not_exists(:s, :s)"),
            "Invalid UpdateExpression: Operator or function requires a document path; operator "
            "or function: if_not_exists");
  EXPECT_EQ(ApplyError("SET a = list_append(a)"),
            "Invalid UpdateExpression: Incorrect number of operands for operator or function; "
            "operator or function: list_append, number of operands: 1");
  EXPECT_EQ(ApplyError("SET a = list_append(a, :s)"),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; "
            "operator or function: list_append, operand type: S");
  EXPECT_EQ(ApplyError("SET a = a + :s"),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; "
            "operator or function: +, operand type: S");
  EXPECT_EQ(ApplyError("ADD a :s"),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; "
            "operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND");
  EXPECT_EQ(ApplyError("ADD a :m"),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; "
            "operator: ADD, operand type: MAP, typeSet: ALLOWED_FOR_ADD_OPERAND");
  EXPECT_EQ(ApplyError("DELETE a :n"),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; "
            "operator: DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND");
  // Of several actions with a wrong operand, the last one's (DynamoDB Local's choice).
  EXPECT_EQ(ApplyError("ADD a :s DELETE b :n"),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; "
            "operator: DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND");
  EXPECT_EQ(ApplyError("DELETE b :n ADD a :s, c :m"),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; "
            "operator: ADD, operand type: MAP, typeSet: ALLOWED_FOR_ADD_OPERAND");
  EXPECT_EQ(ApplyError("ADD a :m SET b = list_append(:s, :s), c = :one"),
            "Invalid UpdateExpression: Incorrect operand type for operator or function; "
            "operator or function: list_append, operand type: S");
  EXPECT_EQ(ApplyError("SET set = :s"),
            "Invalid UpdateExpression: Syntax error; token: \"set\", near: \"SET set =\"");
}

}  // namespace
}  // namespace cruddur::ddb::expr
