// DynamoDB's table ARNs (ddb/table_arn.h), moved from tag_ops.cc.
#include "ddb/table_arn.h"

#include <fmt/format.h>

#include <array>

#include "ddb/error.h"
#include "ddb/request.h"

namespace cruddur::ddb {
namespace {

// Whether `name` could name a table: 3 to 255 of [a-zA-Z0-9_.-] (CreateTable's TableName).
bool IsTableName(std::string_view name) {
  return name.size() >= 3 && name.size() <= 255 && IsTableNameText(name);
}

[[noreturn]] void ThrowInvalidTableArn(std::string_view arn) {
  throw ApiError::Validation(
      fmt::format("Invalid TableArn: Invalid ResourceArn provided as input {}", arn));
}

[[noreturn]] void ThrowInvalidArn(std::string_view arn, std::string_view why) {
  throw ApiError::Validation(
      fmt::format("One or more parameter values were invalid: {}{}", why, arn));
}

}  // namespace

// "arn:<partition>:dynamodb:<region>:<account>:table/<name>" checked as DynamoDB checks it, in
// its order: the ARN's form, a DynamoDB resource, a table (or stream) rather than an index, this
// account (another account's table is not the caller's to see), this region and partition, a
// valid table name.
ArnTarget ParseResourceArn(std::string_view arn, const std::string& this_region,
                           const std::string& this_account) {
  if (!arn.starts_with("arn:")) ThrowInvalidArn(arn, "ARNs must start with 'arn:': ");
  // The parts between the first five colons; the resource is everything after the fifth.
  std::array<std::string_view, 5> part;
  static constexpr std::array<std::string_view, 4> kMissing = {
      "Second colon partition not found: ", "Third colon vendor not found: ",
      "Fourth colon (region/namespace delimiter) not found: ",
      "Fifth colon (namespace/relative-id delimiter) not found: "};
  size_t start = 4;
  for (size_t i = 0; i < 4; ++i) {
    size_t colon = arn.find(':', start);
    if (colon == std::string_view::npos) ThrowInvalidArn(arn, kMissing[i]);
    part[i] = arn.substr(start, colon - start);
    start = colon + 1;
  }
  part[4] = arn.substr(start);
  auto [partition, service, region, account, resource] = part;
  if (service != "dynamodb") ThrowInvalidArn(arn, "Provided Arn is not a DynamoDB resource arn: ");

  ArnTarget target;
  if (!resource.starts_with("table/")) {
    ThrowInvalidArn(arn, "Provided Arn is not a DynamoDB resource arn: ");
  }
  std::string_view rest = resource.substr(6);
  size_t slash = rest.find('/');
  target.table = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view sub = rest.substr(slash + 1);
    size_t end = sub.find('/');
    std::string_view kind = sub.substr(0, end);
    bool named = end != std::string_view::npos && end + 1 < sub.size() &&
                 sub.find('/', end + 1) == std::string_view::npos;
    if (kind == "index" && named) {
      ThrowInvalidArn(arn,
                      "Invalid resource arn provided, only table or stream is accepted. "
                      "Provided resource arn: ");
    }
    // A backup, export, ... ARN: DynamoDB's, but not a resource that has tags.
    if (kind != "stream" || !named) {
      ThrowInvalidArn(arn, "Provided Arn is not a DynamoDB resource arn: ");
    }
    target.stream = true;
  }

  if (account != this_account) throw ApiError::AccessDenied("Access is denied");
  if (partition != "aws" || region != this_region) ThrowInvalidTableArn(arn);
  if (!IsTableName(target.table)) ThrowInvalidTableArn(arn);
  return target;
}

namespace {

// Where the field `index` (0: "arn") of a colon-separated ARN starts, npos when it has fewer.
size_t ArnFieldStart(std::string_view arn, int index) {
  size_t at = 0;
  for (int i = 0; i < index && at != std::string_view::npos; ++i) {
    at = arn.find(':', at);
    if (at != std::string_view::npos) ++at;
  }
  return at;
}

std::string_view ArnField(std::string_view arn, int index) {
  size_t start = ArnFieldStart(arn, index);
  size_t end = start == std::string_view::npos ? start : arn.find(':', start);
  if (end == std::string_view::npos) return {};
  return arn.substr(start, end - start);
}

}  // namespace

ArnScope ScopeOfArn(std::string_view arn) {
  return {ArnField(arn, 1), ArnField(arn, 3), ArnField(arn, 4)};
}

void CheckTableArnRegion(std::string_view name_or_arn, std::string_view this_region) {
  if (!name_or_arn.starts_with("arn:") || ArnFieldStart(name_or_arn, 5) == std::string_view::npos) {
    return;
  }
  auto [partition, region, account] = ScopeOfArn(name_or_arn);
  std::string_view wrong;
  if (partition != "aws") {
    wrong = "partition";
  } else if (region != this_region) {
    wrong = "region";
  } else {
    return;
  }
  throw ApiError::Validation(
      fmt::format("1 validation error detected: Invalid AWS {} in '{}'", wrong, name_or_arn));
}

std::string_view TableNameOfArn(std::string_view arn) {
  constexpr std::string_view kTable = ":table/";
  const size_t at = arn.find(kTable);
  if (at == std::string_view::npos) return {};
  std::string_view rest = arn.substr(at + kTable.size());
  return rest.substr(0, rest.find('/'));
}

std::string WithArnRegion(std::string_view arn, std::string_view region) {
  size_t start = ArnFieldStart(arn, 3);
  size_t end = start == std::string_view::npos ? start : arn.find(':', start);
  if (end == std::string_view::npos) return std::string(arn);
  return fmt::format("{}{}{}", arn.substr(0, start), region, arn.substr(end));
}

}  // namespace cruddur::ddb
