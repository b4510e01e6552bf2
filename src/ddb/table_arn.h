// DynamoDB's ARNs of tables (and their streams): TagResource's ResourceArn, and the ARN any
// operation takes in place of a TableName.
#pragma once

#include <string>
#include <string_view>

namespace cruddur::ddb {

// What a ResourceArn names, once DynamoDB's checks of its form have passed.
struct ArnTarget {
  std::string_view table;
  bool stream = false;  // table/<name>/stream/<label>: a resource, but never tagged here
};

// "arn:<partition>:dynamodb:<region>:<account>:table/<name>" checked as DynamoDB checks it, in
// its order: the ARN's form, a DynamoDB resource, a table (or stream) rather than an index, this
// account (another account's table is not the caller's to see), this region and partition, a
// valid table name.
ArnTarget ParseResourceArn(std::string_view arn, const std::string& this_region,
                           const std::string& this_account);

// The partition, region and account fields of an ARN
// ("arn:<partition>:<service>:<region>:<account>:..."), each empty where the ARN has too few
// fields.
struct ArnScope {
  std::string_view partition, region, account;
};
ArnScope ScopeOfArn(std::string_view arn);

// The request validation that DescribeTable, DescribeTimeToLive, DescribeContinuousBackups,
// DescribeContributorInsights and UpdateContinuousBackups give a TableName ARN of another
// partition or region, before any other check of it: "1 validation error detected: Invalid AWS
// partition|region in '<ARN>'" (DynamoDB's message catalogue, ack-api-quirks dynamodb
// DDB-TABLE-442; the region's wording as DescribeContinuousBackups and UpdateContinuousBackups
// answered in 2024-2025). Nothing for a name, or an ARN short of its five fields.
void CheckTableArnRegion(std::string_view name_or_arn, std::string_view this_region);

// The table name in a table's ARN or in the ARN of something of the table's (".../table/<name>",
// ".../table/<name>/stream/...", ".../export/...", ...); empty when there is no ":table/".
std::string_view TableNameOfArn(std::string_view arn);

// `arn` with its region field replaced by `region` (as it is, when it has no such field).
std::string WithArnRegion(std::string_view arn, std::string_view region);

}  // namespace cruddur::ddb
