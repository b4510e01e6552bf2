#include "ddb/expression/legacy.h"

#include <gtest/gtest.h>

#include "ddb/expression/test_util.h"

namespace cruddur::ddb::expr::legacy {
namespace {

const std::string kInvalid = "One or more parameter values were invalid: ";
const std::string kBetweenBounds =
    "The BETWEEN condition was provided a range where the lower bound is greater than the upper "
    "bound";

const char* kItem = R"({"pk": {"S": "k"}, "s": {"S": "hello"}, "n": {"N": "5"},
  "b": {"B": "aGkgdGhlcmU="}, "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["2", "4", "7"]},
  "bs": {"BS": ["AAE="]}, "l": {"L": [{"N": "2"}, {"S": "x"}]}, "t": {"BOOL": true},
  "m": {"M": {"k": {"S": "v"}}}})";

// Evaluates `ScanFilter: {<filter>}` (with an optional ConditionalOperator) against kItem.
bool Filter(const std::string& filter, const std::string& op = "") {
  std::string req = R"({"ScanFilter": {)" + filter + "}" +
                    (op.empty() ? "" : R"(, "ConditionalOperator": ")" + op + "\"") + "}";
  JsonDocument d = ParseJson(req);
  auto c = FilterCondition(d, "ScanFilter");
  EXPECT_TRUE(c.has_value());
  return c->Evaluate(MakeItem(kItem));
}

bool One(const std::string& attr, const std::string& op, const std::string& values = "") {
  return Filter("\"" + attr + R"(": {"ComparisonOperator": ")" + op + "\"" +
                (values.empty() ? "" : R"(, "AttributeValueList": [)" + values + "]") + "}");
}

std::string FilterError(const std::string& request, std::string_view member = "ScanFilter") {
  return ErrorOf([&] {
    JsonDocument d = ParseJson(request);
    FilterCondition(d, member);
  });
}

std::string OneError(const std::string& op, const std::string& values) {
  return FilterError(R"({"ScanFilter": {"a": {"ComparisonOperator": ")" + op + "\"" +
                     (values.empty() ? "" : R"(, "AttributeValueList": [)" + values + "]") + "}}}");
}

// ---- evaluation of each ComparisonOperator ----

TEST(LegacyFilterTest, EqAndNe) {
  EXPECT_TRUE(One("n", "EQ", R"({"N": "5.0"})"));
  EXPECT_FALSE(One("n", "EQ", R"({"S": "5"})"));  // another type never matches
  EXPECT_FALSE(One("missing", "EQ", R"({"N": "5"})"));
  EXPECT_TRUE(One("ss", "EQ", R"({"SS": ["y", "x"]})"));  // sets compare as sets
  EXPECT_TRUE(One("t", "EQ", R"({"BOOL": true})"));
  EXPECT_FALSE(One("n", "NE", R"({"N": "5"})"));
  EXPECT_TRUE(One("n", "NE", R"({"N": "6"})"));
  EXPECT_TRUE(One("n", "NE", R"({"S": "5"})"));
  EXPECT_TRUE(One("missing", "NE", R"({"N": "5"})"));  // NE holds on a missing attribute
}

TEST(LegacyFilterTest, Ordering) {
  EXPECT_TRUE(One("n", "LE", R"({"N": "5"})"));
  EXPECT_FALSE(One("n", "LT", R"({"N": "5"})"));
  EXPECT_TRUE(One("n", "GE", R"({"N": "5"})"));
  EXPECT_FALSE(One("n", "GT", R"({"N": "5"})"));
  EXPECT_TRUE(One("s", "GT", R"({"S": "abc"})"));
  EXPECT_TRUE(One("b", "LT", R"({"B": "aQ=="})"));
  EXPECT_FALSE(One("n", "LT", R"({"S": "9"})"));  // type mismatch is false, not an error
  EXPECT_FALSE(One("missing", "LT", R"({"N": "9"})"));
}

TEST(LegacyFilterTest, NullAndNotNullTestExistence) {
  EXPECT_TRUE(One("n", "NOT_NULL"));
  EXPECT_FALSE(One("missing", "NOT_NULL"));
  EXPECT_TRUE(One("missing", "NULL"));
  EXPECT_FALSE(One("n", "NULL"));
}

TEST(LegacyFilterTest, ContainsOnStringsSetsListsAndBinaries) {
  EXPECT_TRUE(One("s", "CONTAINS", R"({"S": "ell"})"));
  EXPECT_FALSE(One("s", "CONTAINS", R"({"S": "dog"})"));
  EXPECT_TRUE(One("ss", "CONTAINS", R"({"S": "x"})"));
  EXPECT_TRUE(One("ns", "CONTAINS", R"({"N": "4"})"));
  EXPECT_FALSE(One("ns", "CONTAINS", R"({"N": "5"})"));
  EXPECT_TRUE(One("bs", "CONTAINS", R"({"B": "AAE="})"));
  EXPECT_TRUE(One("l", "CONTAINS", R"({"N": "2"})"));
  EXPECT_TRUE(One("b", "CONTAINS", R"({"B": "dGhlcmU="})"));  // "there" in "hi there"
  EXPECT_FALSE(One("missing", "CONTAINS", R"({"S": "x"})"));
}

TEST(LegacyFilterTest, NotContainsIsFalseOnMissingAttribute) {
  EXPECT_TRUE(One("s", "NOT_CONTAINS", R"({"S": "dog"})"));
  EXPECT_TRUE(One("s", "NOT_CONTAINS", R"({"N": "1"})"));
  EXPECT_FALSE(One("s", "NOT_CONTAINS", R"({"S": "ell"})"));
  EXPECT_FALSE(One("ns", "NOT_CONTAINS", R"({"N": "4"})"));
  EXPECT_TRUE(One("ns", "NOT_CONTAINS", R"({"N": "1"})"));
  EXPECT_FALSE(One("l", "NOT_CONTAINS", R"({"N": "2"})"));
  EXPECT_FALSE(One("missing", "NOT_CONTAINS", R"({"S": "x"})"));
}

TEST(LegacyFilterTest, BeginsWithInBetween) {
  EXPECT_TRUE(One("s", "BEGINS_WITH", R"({"S": "hel"})"));
  EXPECT_FALSE(One("s", "BEGINS_WITH", R"({"S": "el"})"));
  EXPECT_TRUE(One("b", "BEGINS_WITH", R"({"B": "aGk="})"));
  EXPECT_FALSE(One("n", "BEGINS_WITH", R"({"S": "5"})"));
  EXPECT_TRUE(One("n", "IN", R"({"N": "1"}, {"N": "5"})"));
  EXPECT_FALSE(One("n", "IN", R"({"N": "1"}, {"N": "2"})"));
  EXPECT_FALSE(One("ns", "IN", R"({"N": "2"})"));  // IN is not set membership
  EXPECT_TRUE(One("n", "BETWEEN", R"({"N": "5"}, {"N": "9"})"));
  EXPECT_TRUE(One("n", "BETWEEN", R"({"N": "1"}, {"N": "5"})"));
  EXPECT_FALSE(One("n", "BETWEEN", R"({"N": "6"}, {"N": "9"})"));
  EXPECT_FALSE(One("s", "BETWEEN", R"({"N": "1"}, {"N": "9"})"));
  EXPECT_FALSE(One("missing", "BETWEEN", R"({"N": "1"}, {"N": "9"})"));
}

TEST(LegacyFilterTest, ConditionalOperator) {
  const std::string two = R"("n": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "5"}]},
      "s": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "nope"}]})";
  EXPECT_FALSE(Filter(two));
  EXPECT_FALSE(Filter(two, "AND"));
  EXPECT_TRUE(Filter(two, "OR"));
  EXPECT_EQ(FilterError(R"({"ScanFilter": {)" + two + R"(}, "ConditionalOperator": "XOR"})"),
            "1 validation error detected: Value 'XOR' at 'conditionalOperator' failed to "
            "satisfy constraint: Member must satisfy enum value set: [OR, AND]");
}

TEST(LegacyFilterTest, AbsentOrEmptyFilterIsNoCondition) {
  JsonDocument d = ParseJson(R"({"ScanFilter": {}})");
  EXPECT_FALSE(FilterCondition(d, "ScanFilter").has_value());
  JsonDocument e = ParseJson(R"({})");
  EXPECT_FALSE(FilterCondition(e, "QueryFilter").has_value());
}

TEST(LegacyFilterTest, PathsAreTheTopLevelAttributes) {
  JsonDocument d = ParseJson(R"({"QueryFilter": {"a.b": {"ComparisonOperator": "NULL"}}})");
  auto c = FilterCondition(d, "QueryFilter");
  ASSERT_EQ(c->Paths().size(), 1u);
  EXPECT_EQ(c->Paths()[0].size(), 1u);  // a dotted name is one attribute, not a document path
  EXPECT_EQ(c->Paths()[0][0].name, "a.b");
}

// ---- validation of conditions ----

TEST(LegacyFilterTest, ArgumentCounts) {
  auto count = [](const std::string& op) {
    return kInvalid + "Invalid number of argument(s) for the " + op + " ComparisonOperator";
  };
  for (const char* op : {"EQ", "NE", "LE", "LT", "GE", "GT", "CONTAINS", "NOT_CONTAINS",
                         "BEGINS_WITH", "IN", "BETWEEN"}) {
    EXPECT_EQ(OneError(op, ""), count(op)) << op;
  }
  EXPECT_EQ(OneError("EQ", R"({"S": "a"}, {"S": "a"})"), count("EQ"));
  EXPECT_EQ(OneError("NULL", R"({"S": "a"})"), count("NULL"));
  EXPECT_EQ(OneError("NOT_NULL", R"({"S": "a"})"), count("NOT_NULL"));
  EXPECT_EQ(OneError("BETWEEN", R"({"S": "a"}, {"S": "b"}, {"S": "c"})"), count("BETWEEN"));
  EXPECT_EQ(OneError("BETWEEN", R"({"S": "a"})"), count("BETWEEN"));
  EXPECT_EQ(FilterError(R"({"ScanFilter": {"a": {"ComparisonOperator": "EQ",
      "AttributeValueList": []}}})"),
            count("EQ"));
}

TEST(LegacyFilterTest, OperandTypes) {
  auto bad = [](const std::string& op, const std::string& type) {
    return kInvalid + "ComparisonOperator " + op + " is not valid for " + type +
           " AttributeValue type";
  };
  for (const char* op : {"LT", "LE", "GT", "GE", "IN"}) {
    EXPECT_EQ(OneError(op, R"({"BOOL": true})"), bad(op, "BOOL"));
    EXPECT_EQ(OneError(op, R"({"NULL": true})"), bad(op, "NULL"));
    EXPECT_EQ(OneError(op, R"({"SS": ["a"]})"), bad(op, "SS"));
    EXPECT_EQ(OneError(op, R"({"NS": ["1"]})"), bad(op, "NS"));
    EXPECT_EQ(OneError(op, R"({"M": {}})"), bad(op, "M"));
    EXPECT_EQ(OneError(op, R"({"L": []})"), bad(op, "L"));
  }
  for (const char* op : {"CONTAINS", "NOT_CONTAINS"}) {
    EXPECT_EQ(OneError(op, R"({"SS": ["a"]})"), bad(op, "SS"));
    EXPECT_EQ(OneError(op, R"({"BS": ["abcd"]})"), bad(op, "BS"));
    EXPECT_EQ(OneError(op, R"({"L": []})"), bad(op, "L"));
    EXPECT_EQ(OneError(op, R"({"N": "1"})"), "<no error>");
  }
  EXPECT_EQ(OneError("BETWEEN", R"({"SS": ["a"]}, {"SS": ["b"]})"), bad("BETWEEN", "SS"));
  EXPECT_EQ(OneError("BEGINS_WITH", R"({"N": "1"})"), bad("BEGINS_WITH", "N"));
  EXPECT_EQ(OneError("BEGINS_WITH", R"({"B": "YQ=="})"), "<no error>");
  EXPECT_EQ(OneError("EQ", R"({"BOOL": true})"), "<no error>");
  EXPECT_EQ(OneError("IN", R"({"S": "b"}, {"N": "1"})"),
            kInvalid + "AttributeValues inside AttributeValueList must be of same type");
  EXPECT_EQ(OneError("BETWEEN", R"({"S": "b"}, {"S": "a"})"), kBetweenBounds);
  EXPECT_EQ(OneError("BETWEEN", R"({"N": "10"}, {"N": "9"})"), kBetweenBounds);
}

TEST(LegacyFilterTest, ValuesAreValidatedFirst) {
  EXPECT_EQ(OneError("EQ", R"({"N": "1"}, {"SS": []})"),
            kInvalid + "An string set  may not be empty");
  EXPECT_EQ(OneError("EQ", R"({})"),
            "Supplied AttributeValue is empty, must contain exactly one of the supported "
            "datatypes");
}

TEST(LegacyFilterTest, OperatorConstraints) {
  EXPECT_EQ(
      FilterError(R"({"QueryFilter": {"a": {"AttributeValueList": [{"S": "a"}]}}})", "QueryFilter"),
      "1 validation error detected: Value null at 'queryFilter.a.member.comparisonOperator' "
      "failed to satisfy constraint: Member must not be null");
  EXPECT_EQ(OneError("LIKE", ""),
            "1 validation error detected: Value 'LIKE' at "
            "'scanFilter.a.member.comparisonOperator' failed to satisfy constraint: Member must "
            "satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, "
            "LE, BEGINS_WITH, GE, CONTAINS]");
}

// ---- Expected ----

bool Expect(const std::string& expected, const std::string& item = kItem,
            const std::string& op = "") {
  JsonDocument d = ParseJson(R"({"Expected": )" + expected +
                             (op.empty() ? "" : R"(, "ConditionalOperator": ")" + op + "\"") + "}");
  auto c = ExpectedCondition(d);
  EXPECT_TRUE(c.has_value());
  return c->Evaluate(MakeItem(item));
}

std::string ExpectError(const std::string& expected) {
  return ErrorOf([&] {
    JsonDocument d = ParseJson(R"({"Expected": )" + expected + "}");
    ExpectedCondition(d);
  });
}

TEST(LegacyExpectedTest, ValueAndExists) {
  EXPECT_TRUE(Expect(R"({"n": {"Value": {"N": "5"}}})"));
  EXPECT_FALSE(Expect(R"({"n": {"Value": {"N": "6"}}})"));
  EXPECT_FALSE(Expect(R"({"missing": {"Value": {"N": "5"}}})"));
  EXPECT_TRUE(Expect(R"({"n": {"Exists": true, "Value": {"N": "5"}}})"));
  EXPECT_TRUE(Expect(R"({"missing": {"Exists": false}})"));
  EXPECT_FALSE(Expect(R"({"n": {"Exists": false}})"));
  EXPECT_TRUE(Expect(R"({"t": {"Value": {"BOOL": true}}})"));
  // A missing item is an empty one.
  EXPECT_TRUE(Expect(R"({"pk": {"Exists": false}})", "{}"));
  EXPECT_FALSE(Expect(R"({"pk": {"Value": {"S": "k"}}})", "{}"));
}

TEST(LegacyExpectedTest, ComparisonOperators) {
  EXPECT_TRUE(Expect(R"({"n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "1"}]}})"));
  EXPECT_TRUE(Expect(R"({"n": {"ComparisonOperator": "LT", "Value": {"N": "9"}}})"));
  EXPECT_TRUE(Expect(R"({"missing": {"ComparisonOperator": "NULL"}})"));
  EXPECT_TRUE(Expect(R"({"q": {"ComparisonOperator": "NE", "AttributeValueList": [{"N": "1"}]}})"));
  EXPECT_FALSE(Expect(R"({"q": {"ComparisonOperator": "NOT_CONTAINS",
                 "AttributeValueList": [{"N": "1"}]}})"));
}

TEST(LegacyExpectedTest, ConditionalOperator) {
  const std::string e = R"({"n": {"Value": {"N": "74"}}, "s": {"Value": {"S": "hello"}},
      "c": {"Exists": false}})";
  EXPECT_FALSE(Expect(e));
  EXPECT_FALSE(Expect(e, kItem, "AND"));
  EXPECT_TRUE(Expect(e, kItem, "OR"));
  JsonDocument d = ParseJson(R"({"Expected": {}})");
  EXPECT_FALSE(ExpectedCondition(d).has_value());
}

TEST(LegacyExpectedTest, Errors) {
  EXPECT_EQ(ExpectError(R"({"a": {}})"),
            kInvalid + "Value must be provided when Exists is null for Attribute: a");
  EXPECT_EQ(ExpectError(R"({"a": {"Exists": true}})"),
            kInvalid + "Value must be provided when Exists is true for Attribute: a");
  EXPECT_EQ(ExpectError(R"({"a": {"Exists": false, "Value": {"S": "a"}}})"),
            kInvalid + "Value cannot be used when Exists is false for Attribute: a");
  EXPECT_EQ(ExpectError(R"({"a": {"Value": {"S": "a"}, "AttributeValueList": [{"S": "a"}],
      "ComparisonOperator": "EQ"}})"),
            kInvalid + "Value and AttributeValueList cannot be used together for Attribute: a");
  EXPECT_EQ(ExpectError(R"({"a": {"Exists": false, "ComparisonOperator": "EQ",
      "AttributeValueList": [{"N": "3"}]}})"),
            kInvalid + "Exists and ComparisonOperator cannot be used together for Attribute: a");
  EXPECT_EQ(ExpectError(R"({"a": {"ComparisonOperator": "EQ"}})"),
            kInvalid +
                "Value or AttributeValueList must be used with ComparisonOperator: EQ "
                "for Attribute: a");
  EXPECT_EQ(ExpectError(R"({"a": {"AttributeValueList": [{"S": "a"}]}})"),
            kInvalid +
                "AttributeValueList can only be used with a ComparisonOperator for "
                "Attribute: a");
  EXPECT_EQ(ExpectError(R"({"a": {"ComparisonOperator": "EQ",
      "AttributeValueList": [{"N": "2"}, {"N": "3"}]}})"),
            kInvalid + "Invalid number of argument(s) for the EQ ComparisonOperator");
  EXPECT_EQ(ExpectError(R"({"a": {"ComparisonOperator": "CONTAINS",
      "AttributeValueList": [{"L": [{"N": "1"}]}]}})"),
            kInvalid + "ComparisonOperator CONTAINS is not valid for L AttributeValue type");
  EXPECT_EQ(ExpectError(R"({"a": {"ComparisonOperator": "BETWEEN",
      "AttributeValueList": [{"N": "4"}, {"N": "3"}]}})"),
            kBetweenBounds);
  EXPECT_EQ(ExpectError(R"({"a": {"ComparisonOperator": "IN",
      "AttributeValueList": [{"N": "3"}, {"S": "dog"}]}})"),
            kInvalid + "AttributeValues inside AttributeValueList must be of same type");
}

// ---- KeyConditions ----

std::optional<KeyCondition> Key(const std::string& conditions, const std::string& hash = "pk",
                                const std::string& range = "sk") {
  JsonDocument d = ParseJson(R"({"KeyConditions": )" + conditions + "}");
  return KeyConditions(d, hash, range);
}

std::string KeyError(const std::string& conditions, const std::string& range = "sk") {
  return ErrorOf([&] { Key(conditions, "pk", range); });
}

TEST(LegacyKeyConditionsTest, Resolves) {
  auto kc = Key(R"({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}})");
  ASSERT_TRUE(kc.has_value());
  EXPECT_EQ(kc->hash_values, std::vector{AttributeValue::S("a")});
  EXPECT_EQ(kc->range_op, KeyCondition::Op::kNone);

  kc = Key(R"({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
      "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "9"}]}})");
  EXPECT_EQ(kc->range_op, KeyCondition::Op::kBetween);
  EXPECT_EQ(kc->range_low, AttributeValue::N("1"));
  EXPECT_EQ(kc->range_high, AttributeValue::N("9"));

  const std::pair<const char*, KeyCondition::Op> ops[] = {
      {"EQ", KeyCondition::Op::kEq}, {"LE", KeyCondition::Op::kLe},
      {"LT", KeyCondition::Op::kLt}, {"GE", KeyCondition::Op::kGe},
      {"GT", KeyCondition::Op::kGt}, {"BEGINS_WITH", KeyCondition::Op::kBeginsWith}};
  for (const auto& [name, op] : ops) {
    kc = Key(R"({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
        "sk": {"ComparisonOperator": ")" +
             std::string(name) + R"(", "AttributeValueList": [{"S": "x"}]}})");
    EXPECT_EQ(kc->range_op, op) << name;
    EXPECT_EQ(kc->range_low, AttributeValue::S("x"));
  }
  JsonDocument none = ParseJson("{}");
  EXPECT_FALSE(KeyConditions(none, "pk", "").has_value());
}

TEST(LegacyKeyConditionsTest, SchemaErrors) {
  const std::string eq_pk =
      R"("pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]})";
  const std::string eq_x =
      R"(, "x": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}})";
  EXPECT_EQ(KeyError(R"({"sk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}})"),
            "Query condition missed key schema element: pk");
  EXPECT_EQ(KeyError("{" + eq_pk + eq_x), "Query condition missed key schema element: sk");
  EXPECT_EQ(KeyError("{" + eq_pk + eq_x, ""), "Query key condition not supported");
  EXPECT_EQ(KeyError(R"({"pk": {"ComparisonOperator": "GT", "AttributeValueList": [{"S": "a"}]}})"),
            "Query key condition not supported");
  for (const char* op : {"NULL", "NOT_NULL"}) {
    EXPECT_EQ(KeyError(R"({"pk": {"ComparisonOperator": ")" + std::string(op) + "\"}}"),
              "Attempted conditional constraint is not an indexable operation");
  }
  for (const char* op : {"NE", "CONTAINS", "NOT_CONTAINS", "IN"}) {
    EXPECT_EQ(KeyError("{" + eq_pk + R"(, "sk": {"ComparisonOperator": ")" + op +
                       R"(", "AttributeValueList": [{"S": "a"}]}})"),
              "Attempted conditional constraint is not an indexable operation");
  }
}

TEST(LegacyKeyConditionsTest, CountAndOperandErrors) {
  EXPECT_EQ(KeyError("{}"), "Conditions can be of length 1 or 2 only");
  EXPECT_EQ(KeyError(R"({"a": {"ComparisonOperator": "NULL"}, "b": {"ComparisonOperator": "NULL"},
      "c": {"ComparisonOperator": "NULL"}})"),
            "Conditions can be of length 1 or 2 only");
  EXPECT_EQ(KeyError(R"({"pk": {"ComparisonOperator": "EQ"}})"),
            kInvalid + "Invalid number of argument(s) for the EQ ComparisonOperator");
  EXPECT_EQ(KeyError(R"({"pk": {"ComparisonOperator": "BETWEEN",
      "AttributeValueList": [{"S": "b"}, {"S": "a"}]}})"),
            kBetweenBounds);
  EXPECT_EQ(KeyError(R"({"pk": {"ComparisonOperator": "LT",
      "AttributeValueList": [{"BOOL": true}]}})"),
            kInvalid + "ComparisonOperator LT is not valid for BOOL AttributeValue type");
}

// A multi-attribute GSI key (HASH a, b; RANGE x, y): KeyConditionExpression's rules.
std::optional<KeyCondition> MultiKey(const std::string& conditions) {
  JsonDocument d = ParseJson(R"({"KeyConditions": )" + conditions + "}");
  return KeyConditions(d, std::vector<std::string>{"a", "b"}, std::vector<std::string>{"x", "y"});
}

std::string Eq(const std::string& name) {
  return "\"" + name + R"(": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "v"}]})";
}

TEST(LegacyKeyConditionsTest, MultiAttributeKeys) {
  auto kc = MultiKey(
      "{" + Eq("a") + ", " + Eq("b") + ", " + Eq("x") +
      R"(, "y": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "p"}]}})");
  ASSERT_TRUE(kc.has_value());
  EXPECT_EQ(kc->hash_values.size(), 2u);
  EXPECT_EQ(kc->range_prefix.size(), 1u);
  EXPECT_EQ(kc->range_op, KeyCondition::Op::kBeginsWith);
  EXPECT_EQ(kc->range_low, AttributeValue::S("p"));
  EXPECT_EQ(ErrorOf([] { MultiKey("{" + Eq("a") + ", " + Eq("y") + "}"); }),
            "HASH key attributes b must have equality conditions specified in the query");
  const std::string x_before_y =
      "RANGE key attributes x must have equality conditions specified in the query because a "
      "condition is present on key attribute y";
  EXPECT_EQ(ErrorOf([] { MultiKey("{" + Eq("a") + ", " + Eq("b") + ", " + Eq("y") + "}"); }),
            x_before_y);
  EXPECT_EQ(
      ErrorOf([] {
        MultiKey("{" + Eq("a") + ", " + Eq("b") + ", " + Eq("y") +
                 R"(, "x": {"ComparisonOperator": "LT", "AttributeValueList": [{"S": "p"}]}})");
      }),
      x_before_y);
  // More than two conditions only for a key of more than two attributes.
  EXPECT_EQ(ErrorOf([] {
              JsonDocument d = ParseJson("{\"KeyConditions\": {" + Eq("a") + ", " + Eq("b") + ", " +
                                         Eq("c") + "}}");
              KeyConditions(d, "a", "b");
            }),
            "Conditions can be of length 1 or 2 only");
}

// ---- AttributeUpdates ----

std::string Updated(const std::string& updates, const std::string& item = kItem) {
  JsonDocument d = ParseJson(R"({"AttributeUpdates": )" + updates + "}");
  auto u = AttributeUpdates(d);
  EXPECT_TRUE(u.has_value());
  Item it = MakeItem(item);
  u->Apply(it);
  return ItemJson(it);
}

std::string UpdateError(const std::string& updates, const std::string& item = kItem) {
  return ErrorOf([&] { Updated(updates, item); });
}

TEST(LegacyAttributeUpdatesTest, Put) {
  EXPECT_EQ(Updated(R"({"n": {"Action": "PUT", "Value": {"S": "x"}}, "z": {"Value": {"N": "1"}}})",
                    R"({"n": {"N": "5"}})"),
            R"({"n":{"S":"x"},"z":{"N":"1"}})");
}

TEST(LegacyAttributeUpdatesTest, Add) {
  const std::string item = R"({"n": {"N": "5"}, "ns": {"NS": ["1"]}, "l": {"L": [{"N": "1"}]}})";
  EXPECT_EQ(Updated(R"({"n": {"Action": "ADD", "Value": {"N": "-3.5"}}})", item),
            R"({"l":{"L":[{"N":"1"}]},"n":{"N":"1.5"},"ns":{"NS":["1"]}})");
  EXPECT_EQ(Updated(R"({"x": {"Action": "ADD", "Value": {"N": "2"}}})", "{}"),
            R"({"x":{"N":"2"}})");  // a missing number counts as 0
  EXPECT_EQ(Updated(R"({"ns": {"Action": "ADD", "Value": {"NS": ["1", "2"]}}})", item),
            R"({"l":{"L":[{"N":"1"}]},"n":{"N":"5"},"ns":{"NS":["1","2"]}})");
  EXPECT_EQ(Updated(R"({"l": {"Action": "ADD", "Value": {"L": [{"S": "a"}]}}})", item),
            R"({"l":{"L":[{"N":"1"},{"S":"a"}]},"n":{"N":"5"},"ns":{"NS":["1"]}})");
  EXPECT_EQ(UpdateError(R"({"ns": {"Action": "ADD", "Value": {"SS": ["a"]}}})", item),
            "Type mismatch for attribute to update");
  EXPECT_EQ(UpdateError(R"({"ns": {"Action": "ADD", "Value": {"N": "2"}}})", item),
            "Type mismatch for attribute to update");
}

TEST(LegacyAttributeUpdatesTest, Delete) {
  const std::string item = R"({"n": {"N": "5"}, "ns": {"NS": ["1", "2", "3"]}})";
  EXPECT_EQ(Updated(R"({"n": {"Action": "DELETE"}, "gone": {"Action": "DELETE"}})", item),
            R"({"ns":{"NS":["1","2","3"]}})");
  EXPECT_EQ(Updated(R"({"ns": {"Action": "DELETE", "Value": {"NS": ["1", "4"]}}})", item),
            R"({"n":{"N":"5"},"ns":{"NS":["2","3"]}})");
  EXPECT_EQ(Updated(R"({"ns": {"Action": "DELETE", "Value": {"NS": ["1", "2", "3"]}}})", item),
            R"({"n":{"N":"5"}})");  // an emptied set is removed
  EXPECT_EQ(Updated(R"({"x": {"Action": "DELETE", "Value": {"NS": ["1"]}}})", "{}"), "{}");
  EXPECT_EQ(UpdateError(R"({"ns": {"Action": "DELETE", "Value": {"SS": ["a"]}}})", item),
            "Type mismatch for attribute to update");
  EXPECT_EQ(UpdateError(R"({"n": {"Action": "DELETE", "Value": {"NS": ["1"]}}})", item),
            "Type mismatch for attribute to update");
}

TEST(LegacyAttributeUpdatesTest, ValidationAndPaths) {
  EXPECT_EQ(UpdateError(R"({"a": {"Action": "PUT"}})"),
            kInvalid + "Only DELETE action is allowed when no attribute value is specified");
  EXPECT_EQ(UpdateError(R"({"a": {}})"),
            kInvalid + "Only DELETE action is allowed when no attribute value is specified");
  for (const char* v : {R"({"S": "1"})", R"({"N": "1"})", R"({"BOOL": true})", R"({"L": []})"}) {
    JsonDocument d = ParseJson(v);
    std::string type(TypeName(ParseAttributeValue(d).type));
    EXPECT_EQ(UpdateError(R"({"a": {"Action": "DELETE", "Value": )" + std::string(v) + "}}"),
              kInvalid + "DELETE action with value is not supported for the type " + type);
  }
  for (const char* v : {R"({"S": "1"})", R"({"B": "Yg=="})", R"({"NULL": true})", R"({"M": {}})"}) {
    JsonDocument d = ParseJson(v);
    std::string type(TypeName(ParseAttributeValue(d).type));
    EXPECT_EQ(UpdateError(R"({"a": {"Action": "ADD", "Value": )" + std::string(v) + "}}"),
              kInvalid + "ADD action is not supported for the type " + type);
  }
  EXPECT_EQ(UpdateError(R"({"a": {"Action": "SET", "Value": {"N": "1"}}})"),
            "1 validation error detected: Value 'SET' at 'attributeUpdates.a.member.action' "
            "failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, "
            "DELETE]");
  JsonDocument d = ParseJson(R"({"AttributeUpdates": {"a": {"Action": "DELETE"},
      "b": {"Value": {"N": "1"}}}})");
  auto u = AttributeUpdates(d);
  auto paths = u->Paths();
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(paths[0][0].name, "a");
  EXPECT_EQ(paths[1][0].name, "b");
}

// ---- AttributesToGet ----

TEST(LegacyAttributesToGetTest, Projects) {
  JsonDocument d = ParseJson(R"({"AttributesToGet": ["n", "missing", "m"]})");
  auto p = AttributesToGet(d);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(ItemJson(p->Apply(MakeItem(kItem))), R"({"m":{"M":{"k":{"S":"v"}}},"n":{"N":"5"}})");
  JsonDocument none = ParseJson("{}");
  EXPECT_FALSE(AttributesToGet(none).has_value());
}

TEST(LegacyAttributesToGetTest, Errors) {
  auto error = [](const std::string& req) {
    return ErrorOf([&] {
      JsonDocument d = ParseJson(req);
      AttributesToGet(d);
    });
  };
  EXPECT_EQ(error(R"({"AttributesToGet": ["a", "a"]})"),
            kInvalid + "Duplicate value in attribute name: a");
  EXPECT_EQ(error(R"({"AttributesToGet": []})"),
            "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1");
}

// ---- mixing and ConditionalOperator rules ----

std::string ValidateError(const std::string& req, Operation op) {
  return ErrorOf([&] {
    JsonDocument d = ParseJson(req);
    Validate(d, op);
  });
}

std::string Mixed(const std::string& legacy, const std::string& expressions) {
  return "Can not use both expression and non-expression parameters in the same request: "
         "Non-expression parameters: {" +
         legacy + "} Expression parameters: {" + expressions + "}";
}

const char* kCond = R"({"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]})";

TEST(LegacyMixingTest, ListsEachSideInDynamoDbOrder) {
  std::string c = kCond;
  EXPECT_EQ(ValidateError(R"({"AttributesToGet": ["a"], "ProjectionExpression": "a"})",
                          Operation::kGetItem),
            Mixed("AttributesToGet", "ProjectionExpression"));
  EXPECT_EQ(ValidateError(R"({"AttributesToGet": ["a"], "ProjectionExpression": "a"})",
                          Operation::kBatchGetItem),
            Mixed("AttributesToGet", "ProjectionExpression"));
  EXPECT_EQ(ValidateError(R"({"Expected": {"a": )" + c +
                              R"(}, "ConditionalOperator": "AND",
                              "ConditionExpression": "c"})",
                          Operation::kPutItem),
            Mixed("Expected, ConditionalOperator", "ConditionExpression"));
  EXPECT_EQ(ValidateError(R"({"ConditionalOperator": "AND",
                              "ConditionExpression": "c"})",
                          Operation::kDeleteItem),
            Mixed("ConditionalOperator", "ConditionExpression"));
  EXPECT_EQ(ValidateError(R"({"AttributeUpdates": {}, "Expected": {}, "ConditionalOperator": "OR",
                              "UpdateExpression": "SET a = :v", "ConditionExpression": ""})",
                          Operation::kUpdateItem),
            Mixed("AttributeUpdates, Expected, ConditionalOperator",
                  "UpdateExpression, ConditionExpression"));
  EXPECT_EQ(ValidateError(R"({"Expected": {"a": )" + c + R"(}, "UpdateExpression": "SET c = :v"})",
                          Operation::kUpdateItem),
            Mixed("Expected", "UpdateExpression"));
  EXPECT_EQ(ValidateError(R"({"AttributesToGet": ["a"], "ScanFilter": {"a": )" + c +
                              R"(}, "ConditionalOperator": "AND", "FilterExpression": "a = :v",
                              "ProjectionExpression": "b"})",
                          Operation::kScan),
            Mixed("AttributesToGet, ScanFilter, ConditionalOperator",
                  "ProjectionExpression, FilterExpression"));
  EXPECT_EQ(ValidateError(R"({"AttributesToGet": ["a"], "QueryFilter": {"a": )" + c +
                              R"(}, "ConditionalOperator": "OR", "KeyConditions": {"pk": )" + c +
                              R"(}, "ProjectionExpression": "", "FilterExpression": "",
                              "KeyConditionExpression": ""})",
                          Operation::kQuery),
            Mixed("AttributesToGet, QueryFilter, ConditionalOperator, KeyConditions",
                  "ProjectionExpression, FilterExpression, KeyConditionExpression"));
  // KeyConditions only counts against KeyConditionExpression.
  EXPECT_EQ(ValidateError(R"({"QueryFilter": {"a": )" + c + R"(}, "KeyConditions": {"pk": )" + c +
                              R"(}, "FilterExpression": "a = :v"})",
                          Operation::kQuery),
            Mixed("QueryFilter", "FilterExpression"));
  EXPECT_EQ(ValidateError(R"({"KeyConditions": {"pk": )" + c +
                              R"(}, "FilterExpression": "a = :v", "ProjectionExpression": "a"})",
                          Operation::kQuery),
            "<no error>");
  // Members of other operations are not this operation's business.
  EXPECT_EQ(ValidateError(R"({"Expected": {"a": )" + c + R"(}, "ProjectionExpression": "a"})",
                          Operation::kGetItem),
            "<no error>");
}

TEST(LegacyMixingTest, ConditionalOperatorNeedsTwoConditions) {
  std::string c = kCond;
  const std::string without = "ConditionalOperator cannot be used without Filter or Expected";
  const std::string two =
      "ConditionalOperator can only be used when Filter or Expected has two or more elements";
  EXPECT_EQ(ValidateError(R"({"ConditionalOperator": "AND"})", Operation::kScan), without);
  EXPECT_EQ(ValidateError(R"({"ConditionalOperator": "AND", "ScanFilter": {}})", Operation::kScan),
            without);
  EXPECT_EQ(ValidateError(R"({"ConditionalOperator": "AND", "AttributesToGet": ["a", "b"]})",
                          Operation::kScan),
            without);
  EXPECT_EQ(ValidateError(R"({"ConditionalOperator": "AND", "ScanFilter": {"a": )" + c + "}}",
                          Operation::kScan),
            two);
  EXPECT_EQ(ValidateError(R"({"ConditionalOperator": "AND", "KeyConditions": {"pk": )" + c + "}}",
                          Operation::kQuery),
            without);
  EXPECT_EQ(
      ValidateError(R"({"ConditionalOperator": "OR", "Expected": {}})", Operation::kUpdateItem),
      without);
  EXPECT_EQ(ValidateError(R"({"ConditionalOperator": "OR", "Expected": {"a": )" + c + "}}",
                          Operation::kPutItem),
            two);
  EXPECT_EQ(ValidateError(
                R"({"ConditionalOperator": "OR", "Expected": {"a": )" + c + R"(, "b": )" + c + "}}",
                Operation::kDeleteItem),
            "<no error>");
}

TEST(LegacyValidateTest, ChecksEveryLegacyMember) {
  std::string c = kCond;
  EXPECT_EQ(ValidateError(R"({"QueryFilter": {"a": {"ComparisonOperator": "EQ"}},
                              "KeyConditions": {"pk": )" +
                              c + "}}",
                          Operation::kQuery),
            kInvalid + "Invalid number of argument(s) for the EQ ComparisonOperator");
  EXPECT_EQ(ValidateError(R"({"KeyConditions": {}})", Operation::kQuery),
            "Conditions can be of length 1 or 2 only");
  EXPECT_EQ(ValidateError(R"({"AttributesToGet": ["a", "a"]})", Operation::kScan),
            kInvalid + "Duplicate value in attribute name: a");
  EXPECT_EQ(
      ValidateError(R"({"AttributeUpdates": {"a": {"Action": "PUT"}}})", Operation::kUpdateItem),
      kInvalid + "Only DELETE action is allowed when no attribute value is specified");
  EXPECT_EQ(ValidateError(R"({"Expected": {"a": {"Exists": true}}})", Operation::kPutItem),
            kInvalid + "Value must be provided when Exists is true for Attribute: a");
}

TEST(LegacyValidateTest, ConstraintViolationsAreCollected) {
  JsonDocument d = ParseJson(R"({"ConditionalOperator": "XOR",
      "ScanFilter": {"a": {"ComparisonOperator": "LIKE"}, "b": {}}, "AttributesToGet": []})");
  auto v = ConstraintViolations(d, Operation::kScan);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0],
            "Value 'XOR' at 'conditionalOperator' failed to satisfy constraint: Member "
            "must satisfy enum value set: [OR, AND]");
  EXPECT_EQ(v[2],
            "Value null at 'scanFilter.b.member.comparisonOperator' failed to satisfy "
            "constraint: Member must not be null");
  EXPECT_EQ(ValidateError(R"({"ConditionalOperator": "XOR"})", Operation::kPutItem),
            "1 validation error detected: Value 'XOR' at 'conditionalOperator' failed to "
            "satisfy constraint: Member must satisfy enum value set: [OR, AND]");
  // Expected's ComparisonOperator is optional.
  JsonDocument e = ParseJson(R"({"Expected": {"a": {"Value": {"S": "x"}}}})");
  EXPECT_TRUE(ConstraintViolations(e, Operation::kPutItem).empty());
}

TEST(LegacyValidateTest, WrongJsonTypesAreSerializationErrors) {
  auto type = [](const std::string& req, Operation op) {
    try {
      JsonDocument d = ParseJson(req);
      Validate(d, op);
    } catch (const ApiError& e) {
      return e.type();
    }
    return std::string("<no error>");
  };
  EXPECT_EQ(type(R"({"ScanFilter": []})", Operation::kScan), "SerializationException");
  EXPECT_EQ(type(R"({"Expected": {"a": {"Exists": {}}}})", Operation::kPutItem),
            "SerializationException");
  EXPECT_EQ(type(R"({"AttributesToGet": "a"})", Operation::kGetItem), "SerializationException");
}

}  // namespace
}  // namespace cruddur::ddb::expr::legacy
