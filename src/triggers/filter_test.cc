#include "triggers/filter.h"

#include <gtest/gtest.h>

namespace cruddur::triggers {
namespace {

// A stream record as Lambda hands it over (with-ddb-filtering's example, plus a number and a
// string set).
constexpr const char* kRecord = R"({
  "eventID": "1", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
  "awsRegion": "us-east-1",
  "dynamodb": {
    "ApproximateCreationDateTime": 1678831218,
    "Keys": {"CustomerName": {"S": "AnyCompany Industries"}},
    "NewImage": {
      "AccountManager": {"S": "Pat Candella"},
      "PaymentTerms": {"S": "60 days"},
      "CustomerName": {"S": "AnyCompany Industries"},
      "Orders": {"N": "42"},
      "Tags": {"SS": ["gold", "eu"]},
      "Active": {"BOOL": true},
      "Note": {"NULL": true}
    },
    "SequenceNumber": "111", "SizeBytes": 26, "StreamViewType": "NEW_IMAGE"
  },
  "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x"
})";

bool Matches(const std::string& pattern) {
  FilterCriteria f;
  f.AddPattern(pattern);
  rapidjson::Document record;
  record.Parse(kRecord);
  return f.Matches(record);
}

std::string Image(const std::string& attribute, const std::string& type, const std::string& m) {
  return R"({"dynamodb": {"NewImage": {")" + attribute + R"(": {")" + type + R"(": )" + m + "}}}}";
}

TEST(FilterTest, ExactValuesAndOr) {
  EXPECT_TRUE(Matches(R"({"eventName": ["INSERT"]})"));
  EXPECT_TRUE(Matches(R"({"eventName": ["MODIFY", "INSERT"]})"));
  EXPECT_FALSE(Matches(R"({"eventName": ["REMOVE"]})"));
  EXPECT_TRUE(
      Matches(R"({"dynamodb": {"Keys": {"CustomerName": {"S": ["AnyCompany Industries"]}}}})"));
  EXPECT_FALSE(Matches(R"({"dynamodb": {"Keys": {"CustomerName": {"S": ["AnyCompany"]}}}})"));
  EXPECT_TRUE(Matches(Image("Active", "BOOL", "[true]")));
  EXPECT_FALSE(Matches(Image("Active", "BOOL", "[false]")));
  EXPECT_TRUE(Matches(R"({"dynamodb": {"SizeBytes": [26]}})"));
}

TEST(FilterTest, EveryFieldMustMatch) {
  EXPECT_TRUE(Matches(R"({"eventName": ["INSERT"], )" +
                      Image("PaymentTerms", "S", R"(["60 days"])").substr(1)));
  EXPECT_FALSE(Matches(R"({"eventName": ["REMOVE"], )" +
                       Image("PaymentTerms", "S", R"(["60 days"])").substr(1)));
}

TEST(FilterTest, PrefixSuffixAndIgnoreCase) {
  EXPECT_TRUE(Matches(Image("AccountManager", "S", R"([{"prefix": "Pat"}])")));
  EXPECT_FALSE(Matches(Image("AccountManager", "S", R"([{"prefix": "pat"}])")));
  EXPECT_TRUE(
      Matches(Image("AccountManager", "S", R"([{"prefix": {"equals-ignore-case": "pat"}}])")));
  EXPECT_TRUE(Matches(Image("PaymentTerms", "S", R"([{"suffix": "days"}])")));
  EXPECT_FALSE(Matches(Image("PaymentTerms", "S", R"([{"suffix": "weeks"}])")));
  EXPECT_TRUE(Matches(Image("AccountManager", "S", R"([{"equals-ignore-case": "PAT CANDELLA"}])")));
}

TEST(FilterTest, AnythingBut) {
  EXPECT_TRUE(Matches(R"({"eventName": [{"anything-but": ["REMOVE"]}]})"));
  EXPECT_FALSE(Matches(R"({"eventName": [{"anything-but": ["REMOVE", "INSERT"]}]})"));
  EXPECT_FALSE(Matches(R"({"eventName": [{"anything-but": "INSERT"}]})"));
  EXPECT_FALSE(Matches(R"({"eventName": [{"anything-but": {"prefix": "INS"}}]})"));
  EXPECT_TRUE(Matches(R"({"eventName": [{"anything-but": {"suffix": "X"}}]})"));
  EXPECT_FALSE(Matches(R"({"eventName": [{"anything-but": {"equals-ignore-case": "insert"}}]})"));
  // A field that is not there is not "anything but" a value.
  EXPECT_FALSE(Matches(Image("Missing", "S", R"([{"anything-but": "x"}])")));
}

TEST(FilterTest, NumericRangesOnNumbersAndDynamoDbNumbers) {
  EXPECT_TRUE(Matches(R"({"dynamodb": {"SizeBytes": [{"numeric": [">", 10, "<=", 26]}]}})"));
  EXPECT_FALSE(Matches(R"({"dynamodb": {"SizeBytes": [{"numeric": [">", 26]}]}})"));
  EXPECT_TRUE(Matches(Image("Orders", "N", R"([{"numeric": [">=", 42]}])")));
  EXPECT_TRUE(Matches(Image("Orders", "N", R"([{"numeric": ["=", 42]}])")));
  EXPECT_FALSE(Matches(Image("Orders", "N", R"([{"numeric": ["<", 42]}])")));
  // Only under "N" is a string a number.
  EXPECT_FALSE(Matches(Image("PaymentTerms", "S", R"([{"numeric": [">", 0]}])")));
}

TEST(FilterTest, ExistsOnLeaves) {
  EXPECT_TRUE(Matches(Image("AccountManager", "S", R"([{"exists": true}])")));
  EXPECT_FALSE(Matches(Image("Missing", "S", R"([{"exists": true}])")));
  EXPECT_TRUE(Matches(Image("Missing", "S", R"([{"exists": false}])")));
  EXPECT_FALSE(Matches(Image("AccountManager", "S", R"([{"exists": false}])")));
  // An object is no leaf: exists applies to "S", not to the attribute.
  EXPECT_FALSE(Matches(R"({"dynamodb": {"NewImage": {"AccountManager": [{"exists": true}]}}})"));
}

TEST(FilterTest, ArraysMatchByAnyElement) {
  EXPECT_TRUE(Matches(Image("Tags", "SS", R"(["eu"])")));
  EXPECT_FALSE(Matches(Image("Tags", "SS", R"(["us"])")));
  EXPECT_TRUE(Matches(Image("Tags", "SS", R"([{"prefix": "go"}])")));
}

TEST(FilterTest, OrOfPatternsAndNullValues) {
  EXPECT_TRUE(
      Matches(R"({"$or": [{"eventName": ["REMOVE"]}, {"dynamodb": {"SizeBytes": [26]}}]})"));
  EXPECT_FALSE(
      Matches(R"({"$or": [{"eventName": ["REMOVE"]}, {"dynamodb": {"SizeBytes": [1]}}]})"));
  EXPECT_TRUE(Matches(Image("Note", "NULL", "[true]")));
  EXPECT_FALSE(Matches(R"({"eventID": [null]})"));
}

TEST(FilterTest, AnyPatternOfTheCriteriaMatches) {
  FilterCriteria f = FilterCriteria::Parse(
      R"({"Filters": [{"Pattern": "{\"eventName\": [\"REMOVE\"]}"},
                      {"Pattern": "{\"eventName\": [\"INSERT\"]}"}]})");
  rapidjson::Document record;
  record.Parse(kRecord);
  EXPECT_TRUE(f.Matches(record));
  FilterCriteria none = FilterCriteria::Parse(R"({"Filters": []})");
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(none.Matches(record));
  EXPECT_EQ(FilterCriteria::Parse(f.ToJson()).ToJson(), f.ToJson());
}

TEST(FilterTest, PatternsLambdaRefusesAreRefused) {
  for (const char* bad :
       {R"([])", R"({})", R"({"eventName": "INSERT"})", R"({"eventName": []})",
        R"({"eventName": [{"numeric": ["~", 1]}]})",
        R"({"eventName": [{"numeric": ["<", 5, ">", 1]}]})",
        R"({"eventName": [{"numeric": [">", "1"]}]})", R"({"eventName": [{"exists": "yes"}]})",
        R"({"eventName": [{"prefix": 1}]})", R"({"eventName": [{"wildcard": "*"}]})",
        R"({"eventName": [{"prefix": "a", "suffix": "b"}]})", R"({"$or": [{"a": ["b"]}]})",
        R"(not json)"}) {
    FilterCriteria f;
    EXPECT_THROW(f.AddPattern(bad), InvalidFilterError) << bad;
  }
  FilterCriteria f;
  for (int i = 0; i < 5; ++i) f.AddPattern(R"({"eventName": ["INSERT"]})");
  EXPECT_THROW(f.AddPattern(R"({"eventName": ["INSERT"]})"), InvalidFilterError);
  EXPECT_THROW(FilterCriteria::Parse(R"({"Filters": [{"Pattern": {}}]})"), InvalidFilterError);
}

}  // namespace
}  // namespace cruddur::triggers
