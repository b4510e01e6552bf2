// Table ARNs in place of a TableName or a ResourceArn: their fields, the order of DynamoDB's
// checks, and the request validation of another region's or partition's ARN.
#include "ddb/table_arn.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "ddb/error.h"

namespace cruddur::ddb {
namespace {

const std::string kRegion = "us-east-1";
const std::string kAccount = "000000000000";

// The error a call throws, as (type, message); ("", "") when it throws none.
template <typename Call>
std::pair<std::string, std::string> ErrorOf(Call call) {
  try {
    call();
  } catch (const ApiError& e) {
    return {e.type(), e.message()};
  }
  return {"", ""};
}

std::pair<std::string, std::string> ParseError(const std::string& arn) {
  return ErrorOf([&] { ParseResourceArn(arn, kRegion, kAccount); });
}

std::pair<std::string, std::string> RegionError(const std::string& name_or_arn) {
  return ErrorOf([&] { CheckTableArnRegion(name_or_arn, kRegion); });
}

TEST(TableArnTest, ScopeHasThePartitionRegionAndAccountFields) {
  ArnScope scope = ScopeOfArn("arn:aws-cn:dynamodb:cn-north-1:123456789012:table/t");
  EXPECT_EQ(scope.partition, "aws-cn");
  EXPECT_EQ(scope.region, "cn-north-1");
  EXPECT_EQ(scope.account, "123456789012");
  // Fields missing at the end are empty, not the rest of the text.
  scope = ScopeOfArn("arn:aws:dynamodb:eu-west-1");
  EXPECT_EQ(scope.partition, "aws");
  EXPECT_EQ(scope.region, "");
  EXPECT_EQ(scope.account, "");
}

TEST(TableArnTest, TableNameOfAnArnOfTheTableOrOfSomethingOfIts) {
  const std::string table = "arn:aws:dynamodb:us-east-1:000000000000:table/Music";
  EXPECT_EQ(TableNameOfArn(table), "Music");
  EXPECT_EQ(TableNameOfArn(table + "/stream/2026-01-01T00:00:00.000"), "Music");
  EXPECT_EQ(TableNameOfArn(table + "/import/01234567890123-a1b2c3d4"), "Music");
  EXPECT_EQ(TableNameOfArn("Music"), "");
  EXPECT_EQ(TableNameOfArn("arn:aws:dynamodb:us-east-1:000000000000:table/"), "");
}

TEST(TableArnTest, ParsesATableOrStreamOfThisRegionAndAccount) {
  ArnTarget target =
      ParseResourceArn("arn:aws:dynamodb:us-east-1:000000000000:table/Messages", kRegion, kAccount);
  EXPECT_EQ(target.table, "Messages");
  EXPECT_FALSE(target.stream);
  target = ParseResourceArn(
      "arn:aws:dynamodb:us-east-1:000000000000:table/Messages/stream/2026-01-01T00:00:00.000",
      kRegion, kAccount);
  EXPECT_EQ(target.table, "Messages");
  EXPECT_TRUE(target.stream);
}

TEST(TableArnTest, ResourceArnChecksComeInDynamoDbsOrder) {
  const std::string invalid_table_arn = "Invalid TableArn: Invalid ResourceArn provided as input ";
  // Another account is refused before its region is looked at.
  std::string arn = "arn:aws:dynamodb:eu-west-1:111122223333:table/t1";
  EXPECT_EQ(ParseError(arn),
            std::make_pair(std::string("AccessDeniedException"), std::string("Access is denied")));
  arn = "arn:aws:dynamodb:eu-west-1:000000000000:table/t1";
  EXPECT_EQ(ParseError(arn),
            std::make_pair(std::string("ValidationException"), invalid_table_arn + arn));
  arn = "arn:aws-cn:dynamodb:us-east-1:000000000000:table/t1";
  EXPECT_EQ(ParseError(arn),
            std::make_pair(std::string("ValidationException"), invalid_table_arn + arn));
  // An index is refused before the account is looked at.
  arn = "arn:aws:dynamodb:us-east-1:111122223333:table/t1/index/gsi";
  EXPECT_EQ(ParseError(arn),
            std::make_pair(std::string("ValidationException"),
                           "One or more parameter values were invalid: Invalid resource arn "
                           "provided, only table or stream is accepted. Provided resource arn: " +
                               arn));
  // A name no table could have.
  arn = "arn:aws:dynamodb:us-east-1:000000000000:table/x";
  EXPECT_EQ(ParseError(arn),
            std::make_pair(std::string("ValidationException"), invalid_table_arn + arn));
  arn = "arn:aws:dynamodb:us-east-1";
  EXPECT_EQ(ParseError(arn).second,
            "One or more parameter values were invalid: Fourth colon (region/namespace "
            "delimiter) not found: " +
                arn);
}

TEST(TableArnTest, AnotherRegionOrPartitionFailsRequestValidation) {
  const auto validation = [](const std::string& field, const std::string& arn) {
    return std::make_pair(
        std::string("ValidationException"),
        "1 validation error detected: Invalid AWS " + field + " in '" + arn + "'");
  };
  std::string arn = "arn:aws:dynamodb:eu-west-1:000000000000:table/t1";
  EXPECT_EQ(RegionError(arn), validation("region", arn));
  // Before the account, which request validation does not look at.
  arn = "arn:aws:dynamodb:eu-west-1:111122223333:table/t1";
  EXPECT_EQ(RegionError(arn), validation("region", arn));
  // The partition before the region.
  arn = "arn:aws-cn:dynamodb:cn-north-1:000000000000:table/t1";
  EXPECT_EQ(RegionError(arn), validation("partition", arn));
  arn = "arn:aws-cn:dynamodb:us-east-1:000000000000:table/t1";
  EXPECT_EQ(RegionError(arn), validation("partition", arn));
}

TEST(TableArnTest, RequestValidationLeavesEverythingElseToTheOtherChecks) {
  // A name, this region's ARN (whatever else is wrong with it), and an ARN short of its five
  // fields pass; ParseResourceArn answers for them.
  for (const std::string& ok :
       {std::string("Messages"), std::string("arn-like-name"),
        std::string("arn:aws:dynamodb:us-east-1:111122223333:table/t1"),
        std::string("arn:aws:s3:us-east-1:000000000000:table/t1"),
        std::string("arn:aws:dynamodb:us-east-1:000000000000:table/t/index/i"),
        std::string("arn:aws:dynamodb:eu-west-1"),
        std::string("arn:aws-cn:dynamodb:eu-west-1:000000000000")}) {
    EXPECT_EQ(RegionError(ok), std::make_pair(std::string(), std::string())) << ok;
  }
}

}  // namespace
}  // namespace cruddur::ddb
