// The shape-driven validation of every served operation (ddb/shape_validator.h): the JSON-type
// pass, the required parameters, and the collected constraint violations with DynamoDB's paths
// and value printing.
#include "ddb/shape_validator.h"

#include <gtest/gtest.h>

#include <string>

#include "ddb/error.h"

namespace cruddur::ddb {
namespace {

const std::string kV = "ValidationException: ";
const std::string kSer = "SerializationException: ";

// "<type>: <message>" of what ValidateShape throws for `body`, or "" when it accepts it.
std::string Check(std::string_view op, std::string_view body) {
  JsonDocument d;
  d.Parse(body.data(), body.size());
  EXPECT_FALSE(d.HasParseError()) << body;
  try {
    ValidateShape(op, d);
  } catch (const ApiError& e) {
    return e.type() + ": " + e.message();
  }
  return "";
}

std::string One(const std::string& violation) {
  return kV + "1 validation error detected: " + violation;
}

TEST(ShapeValidatorTest, ValidRequestsOfEveryOperationPass) {
  const std::pair<const char*, const char*> ok[] = {
      {"BatchExecuteStatement", R"({"Statements":[{"Statement":"SELECT * FROM t"}]})"},
      {"BatchGetItem", R"({"RequestItems":{"tbl":{"Keys":[{"pk":{"S":"a"}}]}}})"},
      {"BatchWriteItem", R"({"RequestItems":{"tbl":[{"PutRequest":{"Item":{"pk":{"S":"a"}}}}]}})"},
      {"CreateTable", R"({"TableName":"tbl","BillingMode":"PAY_PER_REQUEST",
          "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
          "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}]})"},
      {"DeleteItem", R"({"TableName":"tbl","Key":{"pk":{"S":"a"}},"ReturnValues":"ALL_OLD"})"},
      {"DeleteTable", R"({"TableName":"tbl"})"},
      {"DescribeEndpoints", "{}"},
      {"DescribeLimits", "{}"},
      {"DescribeTable", R"({"TableName":"tbl"})"},
      {"DescribeTimeToLive", R"({"TableName":"tbl"})"},
      {"ExecuteStatement", R"({"Statement":"SELECT * FROM t","Limit":5})"},
      {"ExecuteTransaction", R"({"TransactStatements":[{"Statement":"SELECT * FROM t"}]})"},
      {"GetItem", R"({"TableName":"tbl","Key":{"pk":{"B":"AAE="}},"ConsistentRead":true})"},
      {"ListTables", R"({"Limit":100})"},
      {"ListTagsOfResource", R"({"ResourceArn":"arn:aws:dynamodb:us-east-1:1:table/tbl"})"},
      {"PutItem", R"({"TableName":"tbl","Item":{"pk":{"S":"a"},"m":{"M":{"l":{"L":[]}}}}})"},
      {"Query", R"({"TableName":"tbl","KeyConditionExpression":"pk = :p",
          "ExpressionAttributeValues":{":p":{"S":"a"}},"Limit":1})"},
      {"Scan", R"({"TableName":"tbl","Segment":0,"TotalSegments":1})"},
      {"TagResource", R"({"ResourceArn":"arn","Tags":[{"Key":"k","Value":""}]})"},
      {"TransactGetItems", R"({"TransactItems":[{"Get":{"TableName":"tbl","Key":{}}}]})"},
      {"TransactWriteItems", R"({"TransactItems":[{"Put":{"TableName":"tbl","Item":{}}}]})"},
      {"UntagResource", R"({"ResourceArn":"arn","TagKeys":["k"]})"},
      {"UpdateItem",
       R"({"TableName":"tbl","Key":{"pk":{"S":"a"}},"UpdateExpression":"SET a = :a"})"},
      {"UpdateTable", R"({"TableName":"tbl","BillingMode":"PROVISIONED",
          "ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1}})"},
      {"UpdateTimeToLive", R"({"TableName":"tbl",
          "TimeToLiveSpecification":{"Enabled":true,"AttributeName":"ttl"}})"},
      {"ExportTableToPointInTime", R"({"TableArn":"arn:aws:dynamodb:us-east-1:1:table/tbl",
          "S3Bucket":"my-bucket","S3Prefix":"p","ExportFormat":"ION"})"},
      {"DescribeExport",
       R"({"ExportArn":"arn:aws:dynamodb:us-east-1:1:table/tbl/export/01234567890123-abcdef01"})"},
      {"ListExports", R"({"MaxResults":25})"},
      {"ImportTable", R"({"S3BucketSource":{"S3Bucket":"b","S3KeyPrefix":"p/"},
          "InputFormat":"CSV","InputCompressionType":"ZSTD",
          "InputFormatOptions":{"Csv":{"Delimiter":";","HeaderList":["pk"]}},
          "TableCreationParameters":{"TableName":"tbl",
            "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
            "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}]}})"},
      {"DescribeImport",
       R"({"ImportArn":"arn:aws:dynamodb:us-east-1:1:table/tbl/import/01234567890123-abcdef01"})"},
      {"ListImports", R"({"PageSize":1})"},
      {"CreateBackup", R"({"TableName":"tbl","BackupName":"bk1"})"},
      {"DescribeBackup",
       R"({"BackupArn":"arn:aws:dynamodb:us-east-1:1:table/tbl/backup/01700000000000-0000abcd"})"},
      {"ListBackups", R"({"TableName":"tbl","Limit":10,"BackupType":"ALL",
          "TimeRangeLowerBound":1700000000,"TimeRangeUpperBound":1800000000.5})"},
      {"DeleteBackup",
       R"({"BackupArn":"arn:aws:dynamodb:us-east-1:1:table/tbl/backup/01700000000000-0000abcd"})"},
      {"RestoreTableFromBackup", R"({"TargetTableName":"tb2",
          "BackupArn":"arn:aws:dynamodb:us-east-1:1:table/tbl/backup/01700000000000-0000abcd",
          "BillingModeOverride":"PAY_PER_REQUEST","GlobalSecondaryIndexOverride":[]})"},
      {"UpdateContinuousBackups", R"({"TableName":"tbl",
          "PointInTimeRecoverySpecification":{"PointInTimeRecoveryEnabled":true}})"},
      {"DescribeContinuousBackups", R"({"TableName":"tbl"})"},
      {"RestoreTableToPointInTime", R"({"SourceTableName":"tbl","TargetTableName":"tb2",
          "RestoreDateTime":1700000000})"},
      {"UpdateContributorInsights", R"({"TableName":"tbl","IndexName":"gsi",
          "ContributorInsightsAction":"ENABLE","ContributorInsightsMode":"THROTTLED_KEYS"})"},
      {"DescribeContributorInsights", R"({"TableName":"tbl","IndexName":"gsi"})"},
      {"ListContributorInsights", R"({"TableName":"tbl","MaxResults":100})"},
  };
  for (const auto& [op, body] : ok) {
    EXPECT_TRUE(HasShape(op)) << op;
    EXPECT_EQ(Check(op, body), "") << op;
  }
  // Streams have a model of their own; unknown operations are refused by the dispatch.
  EXPECT_FALSE(HasShape("Streams.GetRecords"));
  EXPECT_EQ(Check("Streams.GetRecords", "{}"), "");
  EXPECT_FALSE(HasShape("DescribeGlobalTableSettings"));
}

TEST(ShapeValidatorTest, UnknownMembersAreIgnored) {
  EXPECT_EQ(Check("DescribeTable", R"({"TableName":"tbl","Bogus":5,"Deep":[[[[{"a":1}]]]]})"), "");
  EXPECT_EQ(Check("PutItem", R"({"TableName":"tbl","Item":{"a":{"S":"x","ZZ":5}}})"), "");
}

TEST(ShapeValidatorTest, WrongJsonTypes) {
  // The wording of the members Request's accessors read (tests/conformance/test_protocol.py).
  EXPECT_EQ(Check("DescribeTable", R"({"TableName":5})"),
            kSer + "NUMBER_VALUE cannot be converted to String");
  EXPECT_EQ(Check("DescribeTable", R"({"TableName":true})"),
            kSer + "TRUE_VALUE cannot be converted to String");
  EXPECT_EQ(Check("ListTables", R"({"Limit":"5"})"),
            kSer + "STRING_VALUE can not be converted to a Long");
  EXPECT_EQ(Check("ListTables", R"({"Limit":[]})"), kSer + "Unexpected token received from parser");
  EXPECT_EQ(Check("GetItem", R"({"TableName":"tbl","Key":{},"ConsistentRead":"yes"})"),
            kSer + "Unexpected token received from parser");
  EXPECT_EQ(Check("GetItem", R"({"TableName":"tbl","Key":[]})"), kSer + "Unexpected field type");
  EXPECT_EQ(Check("BatchGetItem", R"({"RequestItems":{"tbl":{"Keys":{}}}})"),
            kSer + "Unexpected field type");
  EXPECT_EQ(Check("TransactWriteItems", R"({"TransactItems":[{"Put":{"TableName":1}}]})"),
            kSer + "NUMBER_VALUE cannot be converted to String");
  // Inside attribute values: the older deserializer's wording (ddb/value_json.h).
  const std::string big = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber";
  EXPECT_EQ(Check("PutItem", R"({"TableName":"tbl","Item":{"a":{"N":5}}})"),
            kSer + big + " can not be converted to an String");
  EXPECT_EQ(Check("PutItem", R"({"TableName":"tbl","Item":{"a":{"M":{"b":{"L":[{"B":"a"}]}}}}})"),
            kSer +
                "'a' can not be converted to a Blob: Base64 encoded length is expected a "
                "multiple of 4 bytes but found: 1");
  EXPECT_EQ(Check("Query", R"({"TableName":"tbl","ExpressionAttributeValues":{":v":[]}})"),
            kSer + "Start of list found where not expected");
  // The legacy parameters: that wording too (ddb/expression/legacy.cc).
  EXPECT_EQ(Check("Scan", R"({"TableName":"tbl","ScanFilter":[]})"),
            kSer + "Start of list found where not expected");
  EXPECT_EQ(Check("Scan", R"({"TableName":"tbl","ScanFilter":"x"})"),
            kSer + "Expected map or null");
  EXPECT_EQ(Check("PutItem", R"({"TableName":"tbl","Item":{},"Expected":{"a":{"Exists":"no"}}})"),
            "");
  EXPECT_EQ(
      Check("PutItem", R"({"TableName":"tbl","Item":{},"Expected":{"a":{"Exists":"maybe"}}})"),
      kSer + "'MAYBE' can not be converted to an Boolean");
  EXPECT_EQ(Check("GetItem", R"({"TableName":"tbl","Key":{},"AttributesToGet":"a"})"),
            kSer + "Expected list or null");
}

TEST(ShapeValidatorTest, SerializationWinsOverEverythingElse) {
  // A wrong type anywhere is answered before a missing TableName and before any constraint.
  EXPECT_EQ(Check("GetItem", R"({"Key":{"a":{"S":5}}})"),
            kSer +
                "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be "
                "converted to an String");
  EXPECT_EQ(Check("Query", R"({"TableName":"a","Limit":0,"Select":"X","ConsistentRead":1})"),
            kSer + "Unexpected token received from parser");
}

TEST(ShapeValidatorTest, RequiredParameters) {
  const std::string req = "ValidationException: The parameter '";
  const std::string tail = "' is required but was not present in the request";
  const std::pair<const char*, const char*> first_missing[] = {
      {"BatchGetItem", "RequestItems"},
      {"BatchWriteItem", "RequestItems"},
      {"CreateTable", "TableName"},
      {"DeleteItem", "TableName"},
      {"DeleteTable", "TableName"},
      {"DescribeTable", "TableName"},
      {"GetItem", "TableName"},
      {"ListTagsOfResource", "ResourceArn"},
      {"PutItem", "TableName"},
      {"Query", "TableName"},
      {"Scan", "TableName"},
      {"TagResource", "ResourceArn"},
      {"TransactGetItems", "TransactItems"},
      {"TransactWriteItems", "TransactItems"},
      {"UntagResource", "ResourceArn"},
      {"UpdateItem", "TableName"},
      {"UpdateTable", "TableName"},
  };
  for (const auto& [op, member] : first_missing) {
    EXPECT_EQ(Check(op, "{}"), req + member + tail) << op;
  }
  // Checked in order, and before any constraint.
  // CreateTable requires TableName so; its key schema and definitions are collected (DynamoDB's
  // answer recorded in 2026: ack-api-quirks dynamodb DDB-TABLE-042).
  EXPECT_EQ(Check("CreateTable", R"({"TableName":"tbl"})"),
            "ValidationException: 2 validation errors detected: Value null at "
            "'attributeDefinitions' failed to satisfy constraint: Member must not be null; Value "
            "null at 'keySchema' failed to satisfy constraint: Member must not be null");
  // Throughput's two units are listed write first (DDB-TABLE-038/058).
  EXPECT_EQ(Check("UpdateTable", R"({"TableName":"tbl","ProvisionedThroughput":{
                      "ReadCapacityUnits":0,"WriteCapacityUnits":0}})"),
            "ValidationException: 2 validation errors detected: Value '0' at "
            "'provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: Member must "
            "have value greater than or equal to 1; Value '0' at "
            "'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must "
            "have value greater than or equal to 1");
  EXPECT_EQ(Check("PutItem", R"({"TableName":"tbl","ReturnValues":"X"})"), req + "Item" + tail);
  EXPECT_EQ(Check("UntagResource", R"({"ResourceArn":"arn"})"), req + "TagKeys" + tail);
  // The others are collected as "must not be null".
  EXPECT_EQ(Check("DescribeTimeToLive", "{}"),
            One("Value null at 'tableName' failed to satisfy constraint: Member must not be null"));
  EXPECT_EQ(Check("UpdateTimeToLive", "{}"),
            kV + "2 validation errors detected: Value null at 'tableName' failed to satisfy "
                 "constraint: Member must not be null; Value null at 'timeToLiveSpecification' "
                 "failed to satisfy constraint: Member must not be null");
  EXPECT_EQ(Check("ExecuteStatement", "{}"),
            One("Value null at 'statement' failed to satisfy constraint: Member must not be null"));
  EXPECT_EQ(Check("BatchExecuteStatement", "{}"),
            One("Value null at 'statements' failed to satisfy constraint: Member must not be "
                "null"));
  EXPECT_EQ(Check("ExecuteTransaction", "{}"),
            One("Value null at 'transactStatements' failed to satisfy constraint: Member must not "
                "be null"));
  EXPECT_EQ(Check("UpdateTimeToLive", R"({"TableName":"tbl","TimeToLiveSpecification":{}})"),
            kV + "2 validation errors detected: Value null at "
                 "'timeToLiveSpecification.enabled' failed to satisfy constraint: Member must not "
                 "be null; Value null at 'timeToLiveSpecification.attributeName' failed to "
                 "satisfy constraint: Member must not be null");
}

TEST(ShapeValidatorTest, TableNamesAsDynamoDBChecksThemToday) {
  // DynamoDB's answers captured in 2026 (nubo-db/dynamodb-conformance,
  // captures/cross-region-latest.json): an existing table is named by a name or an ARN of 1 to
  // 255 characters; '' breaks only the length; CreateTable keeps 3 to 255.
  EXPECT_EQ(Check("PutItem", R"({"TableName":"","Item":{}})"),
            One("Value '' at 'tableName' failed to satisfy constraint: Member must have length "
                "greater than or equal to 1"));
  EXPECT_EQ(Check("PutItem", R"({"TableName":")" + std::string(256, 'a') + R"(","Item":{}})"),
            One("Value '" + std::string(256, 'a') +
                "' at 'tableName' failed to satisfy constraint: Member must have length less "
                "than or equal to 255"));
  EXPECT_EQ(Check("PutItem", R"({"TableName":"bad table!@#","Item":{}})"),
            One("Value 'bad table!@#' at 'tableName' failed to satisfy constraint: Member must "
                "satisfy regular expression pattern: [a-zA-Z0-9_.-]+"));
  EXPECT_EQ(Check("CreateTable", R"({"TableName":"ab","AttributeDefinitions":[],"KeySchema":[
                {"AttributeName":"pk","KeyType":"HASH"}]})"),
            One("Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length "
                "greater than or equal to 3"));
  // A short name of an existing table is a name like any other (the table is looked up next).
  EXPECT_EQ(Check("DescribeTable", R"({"TableName":"ab"})"), "");
  EXPECT_EQ(Check("GetItem", R"({"TableName":"arn:aws:dynamodb:us-east-1:1:table/t","Key":{}})"),
            "");
  EXPECT_EQ(Check("Query", R"({"TableName":"tbl","IndexName":"ix","Limit":0})"),
            kV + "2 validation errors detected: Value '0' at 'limit' failed to satisfy "
                 "constraint: Member must have value greater than or equal to 1; Value 'ix' at "
                 "'indexName' failed to satisfy constraint: Member must have length greater than "
                 "or equal to 3");
  EXPECT_EQ(Check("DescribeTable", R"({"TableName":"bad name!"})"),
            One("Value 'bad name!' at 'tableName' failed to satisfy constraint: Member must "
                "satisfy regular expression pattern: [a-zA-Z0-9_.-]+"));
}

TEST(ShapeValidatorTest, OneViolationPerOperation) {
  const std::string ge =
      "failed to satisfy constraint: Member must have length greater than "
      "or equal to ";
  const std::string rcc = "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]";
  struct Case {
    const char* op;
    const char* body;
    std::string violation;
  };
  const Case cases[] = {
      {"ListTables", R"({"Limit":101})",
       "Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or "
       "equal to 100"},
      {"ListTables", R"({"ExclusiveStartTableName":"a"})",
       "Value 'a' at 'exclusiveStartTableName' " + ge + "3"},
      {"GetItem", R"({"TableName":"tbl","Key":{},"ReturnConsumedCapacity":"ALL"})",
       "Value 'ALL' at 'returnConsumedCapacity' failed to satisfy constraint: " + rcc},
      {"GetItem", R"({"TableName":"tbl","Key":{},"AttributesToGet":[]})",
       "Value '[]' at 'attributesToGet' " + ge + "1"},
      {"PutItem", R"({"TableName":"tbl","Item":{},"ReturnValues":"NEW"})",
       "Value 'NEW' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value "
       "set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]"},
      {"PutItem", R"({"TableName":"tbl","Item":{},"ConditionalOperator":"XOR"})",
       "Value 'XOR' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy "
       "enum value set: [OR, AND]"},
      {"DeleteItem", R"({"TableName":"tbl","Key":{},"ReturnItemCollectionMetrics":"ALL"})",
       "Value 'ALL' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member must "
       "satisfy enum value set: [SIZE, NONE]"},
      {"UpdateItem", R"({"TableName":"tbl","Key":{},"AttributeUpdates":{"a":{"Action":"SET"}}})",
       "Value 'SET' at 'attributeUpdates.a.member.action' failed to satisfy constraint: Member "
       "must satisfy enum value set: [ADD, PUT, DELETE]"},
      // (UpdateItem's own ReturnValuesOnConditionCheckFailure is newer than Debian's model: the
      // operation checks it itself.)
      {"TransactWriteItems", R"({"TransactItems":[{"Put":{"TableName":"tbl","Item":{},
           "ReturnValuesOnConditionCheckFailure":"ALL_NEW"}}]})",
       "Value 'ALL_NEW' at 'transactItems.1.member.put.returnValuesOnConditionCheckFailure' "
       "failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]"},
      {"Query", R"({"TableName":"tbl","QueryFilter":{"a":{"ComparisonOperator":"LIKE"}}})",
       "Value 'LIKE' at 'queryFilter.a.member.comparisonOperator' failed to satisfy constraint: "
       "Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, "
       "NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"},
      {"Scan", R"({"TableName":"tbl","ScanFilter":{"a":{}}})",
       "Value null at 'scanFilter.a.member.comparisonOperator' failed to satisfy constraint: "
       "Member must not be null"},
      {"Scan", R"({"TableName":"tbl","Limit":0})",
       "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or "
       "equal to 1"},
      {"Scan", R"({"TableName":"tbl","TotalSegments":1000001})",
       "Value '1000001' at 'totalSegments' failed to satisfy constraint: Member must have value "
       "less than or equal to 1000000"},
      // An empty RequestItems is the operation's own "The requestItems parameter is required".
      {"BatchGetItem", R"({"RequestItems":{}})", ""},
      {"BatchGetItem", R"({"RequestItems":{"tbl":{}}})",
       "Value null at 'requestItems.tbl.member.keys' failed to satisfy constraint: Member must "
       "not be null"},
      {"BatchGetItem", R"({"RequestItems":{"tbl":{"Keys":[]}}})",
       "Value '[]' at 'requestItems.tbl.member.keys' " + ge + "1"},
      {"BatchGetItem", R"({"RequestItems":{"a.b_c-d!":{"Keys":[{}]}}})",
       "Value 'a.b_c-d!' at 'requestItems.member.key' failed to satisfy constraint: Member must "
       "satisfy regular expression pattern: [a-zA-Z0-9_.-]+"},
      {"BatchWriteItem", R"({"RequestItems":{"tbl":[{"DeleteRequest":{}}]}})",
       "Value null at 'requestItems.tbl.member.deleteRequest.key' failed to satisfy constraint: "
       "Member must not be null"},
      {"BatchWriteItem", R"({"RequestItems":{"tbl":[]}})",
       "Value '{tbl=[]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy "
       "constraint: [Member must have length less than or equal to 25, Member must have length "
       "greater than or equal to 1]"},
      {"TransactWriteItems", R"({"TransactItems":[]})",
       "Value '[]' at 'transactItems' " + ge + "1"},
      {"TransactWriteItems",
       R"({"TransactItems":[{"ConditionCheck":{"TableName":"tbl","Key":{}}}]})",
       "Value null at 'transactItems.1.member.conditionCheck.conditionExpression' failed to "
       "satisfy constraint: Member must not be null"},
      {"TransactWriteItems",
       R"({"TransactItems":[{"Put":{"TableName":"tbl","Item":{}}}],"ClientRequestToken":""})",
       "Value '' at 'clientRequestToken' " + ge + "1"},
      {"TransactGetItems", R"({"TransactItems":[{"Get":{"Key":{}}}]})",
       "Value null at 'transactItems.1.member.get.tableName' failed to satisfy constraint: "
       "Member must not be null"},
      {"CreateTable", R"({"TableName":"tbl","AttributeDefinitions":[],"KeySchema":[]})",
       "Value '[]' at 'keySchema' " + ge + "1"},
      {"CreateTable",
       R"({"TableName":"tbl","AttributeDefinitions":[{"AttributeName":"a","AttributeType":"BOOL"}],
           "KeySchema":[{"AttributeName":"a","KeyType":"HASH"}]})",
       "Value 'BOOL' at 'attributeDefinitions.1.member.attributeType' failed to satisfy "
       "constraint: Member must satisfy enum value set: [B, N, S]"},
      {"UpdateTable", R"({"TableName":"tbl","ProvisionedThroughput":{"ReadCapacityUnits":0,
           "WriteCapacityUnits":1}})",
       "Value '0' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: "
       "Member must have value greater than or equal to 1"},
      {"DeleteTable", R"({"TableName":"tbl!"})",
       "Value 'tbl!' at 'tableName' failed to satisfy constraint: Member must satisfy regular "
       "expression pattern: [a-zA-Z0-9_.-]+"},
      // A tag's key and value are DynamoDB's own checks, with messages of their own
      // (ops/tag_ops.cc).
      {"TagResource", R"({"ResourceArn":"arn","Tags":[{"Key":"","Value":"v"}]})", ""},
      {"TagResource", R"({"ResourceArn":"arn","Tags":[{"Value":"v"}]})", ""},
      {"UntagResource", R"({"ResourceArn":"","TagKeys":["k"]})",
       "Value '' at 'resourceArn' " + ge + "1"},
      {"ListTagsOfResource", R"({"ResourceArn":"arn","NextToken":""})", ""},
      {"UpdateTimeToLive",
       R"({"TableName":"tbl","TimeToLiveSpecification":{"Enabled":true,"AttributeName":""}})",
       "Value '' at 'timeToLiveSpecification.attributeName' " + ge + "1"},
      {"ExecuteStatement", R"({"Statement":"","Limit":1})", "Value '' at 'statement' " + ge + "1"},
      {"ExecuteStatement", R"({"Statement":"SELECT 1","Parameters":[]})",
       "Value '[]' at 'parameters' " + ge + "1"},
      {"BatchExecuteStatement", R"({"Statements":[{}]})",
       "Value null at 'statements.1.member.statement' failed to satisfy constraint: Member must "
       "not be null"},
      {"ExecuteTransaction", R"({"TransactStatements":[]})",
       "Value '[]' at 'transactStatements' " + ge + "1"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Check(c.op, c.body), c.violation.empty() ? "" : One(c.violation))
        << c.op << " " << c.body;
  }
}

TEST(ShapeValidatorTest, EveryViolationIsCollected) {
  // DynamoDB's answer to this request (recorded in dynalite's test/query.js) lists the members
  // in this order; the two KeyConditions entries are kept in request order here.
  EXPECT_EQ(
      Check("Query", R"({"TableName":"abc;","ReturnConsumedCapacity":"hi","AttributesToGet":[],
          "IndexName":"abc;","Select":"hi","Limit":-1,
          "KeyConditions":{"a":{},"b":{"ComparisonOperator":""}}})"),
      kV + "8 validation errors detected: "
           "Value '-1' at 'limit' failed to satisfy constraint: Member must have value greater "
           "than or equal to 1; "
           "Value null at 'keyConditions.a.member.comparisonOperator' failed to satisfy "
           "constraint: Member must not be null; "
           "Value '' at 'keyConditions.b.member.comparisonOperator' failed to satisfy "
           "constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, "
           "NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]; "
           "Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: Member must "
           "satisfy enum value set: [INDEXES, TOTAL, NONE]; "
           "Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have "
           "length greater than or equal to 1; "
           "Value 'abc;' at 'tableName' failed to satisfy constraint: Member must satisfy "
           "regular expression pattern: [a-zA-Z0-9_.-]+; "
           "Value 'hi' at 'select' failed to satisfy constraint: Member must satisfy enum value "
           "set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]; "
           "Value 'abc;' at 'indexName' failed to satisfy constraint: Member must satisfy "
           "regular expression pattern: [a-zA-Z0-9_.-]+");
  // A nested name of an existing table: '' breaks only its length (as DynamoDB answers for
  // a top-level TableName '').
  EXPECT_EQ(Check("TransactWriteItems", R"({"TransactItems":[{"Delete":{"TableName":"",
                "Key":{}}}],"ReturnConsumedCapacity":"X"})"),
            kV + "2 validation errors detected: "
                 "Value '' at 'transactItems.1.member.delete.tableName' failed to satisfy "
                 "constraint: Member must have length greater than or equal to 1; "
                 "Value 'X' at 'returnConsumedCapacity' failed to satisfy constraint: Member must "
                 "satisfy enum value set: [INDEXES, TOTAL, NONE]");
}

TEST(ShapeValidatorTest, ValuesArePrintedAsDynamoDBPrintsThem) {
  // Structures as Java's toString of DynamoDB's request objects, members in model order
  // ("WriteRequest(putRequest=PutRequest(item={...}), deleteRequest=null)", risingwave#17572).
  std::string puts;
  for (int i = 0; i < 26; ++i) {
    puts += std::string(i ? "," : "") + R"({"DeleteRequest":{"Key":{}}})";
  }
  std::string element = "WriteRequest(putRequest=null, deleteRequest=DeleteRequest(key={}))";
  std::string list;
  for (int i = 0; i < 26; ++i) list += (i ? ", " : "") + element;
  EXPECT_EQ(Check("BatchWriteItem", R"({"RequestItems":{"tbl":[)" + puts + "]}}"),
            One("Value '{tbl=[" + list +
                "]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy "
                "constraint: [Member must have length less than or equal to 25, Member must have "
                "length greater than or equal to 1]"));
  EXPECT_EQ(
      Check("CreateTable", R"({"TableName":"tbl","AttributeDefinitions":[],"KeySchema":[
          {"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"b","KeyType":"RANGE"},
          {"AttributeName":"c","KeyType":"RANGE"}]})"),
      One("Value '[KeySchemaElement(attributeName=a, keyType=HASH), KeySchemaElement("
          "attributeName=b, keyType=RANGE), KeySchemaElement(attributeName=c, keyType=RANGE)]' "
          "at 'keySchema' failed to satisfy constraint: Member must have length less than or "
          "equal to 2"));
  // Attribute values print as Java's default toString: the class and a hash.
  std::string m = Check(
      "BatchGetItem", R"({"RequestItems":{"tbl":{"Keys":[)" + [] {
        std::string k;
        for (int i = 0; i < 101; ++i) {
          k += std::string(i ? "," : "") + R"({"pk":{"S":")" + std::to_string(i) + "\"}}";
        }
        return k;
      }() + "]}}}");
  EXPECT_TRUE(m.starts_with(One("Value '[{pk=com.amazonaws.dynamodb.v20120810.AttributeValue@")))
      << m;
  EXPECT_TRUE(
      m.ends_with("}]' at 'requestItems.tbl.member.keys' failed to satisfy constraint: "
                  "Member must have length less than or equal to 100"))
      << m;
}

TEST(ShapeValidatorTest, AtMostTenViolations) {
  std::string items;
  for (int i = 0; i < 12; ++i) items += std::string(i ? "," : "") + R"({"Put":{"Item":{}}})";
  std::string m = Check("TransactWriteItems", R"({"TransactItems":[)" + items + "]}");
  EXPECT_TRUE(m.starts_with(kV + "10 validation errors detected: Value null at "
                                 "'transactItems.1.member.put.tableName'"))
      << m;
  EXPECT_NE(m.find("'transactItems.10.member.put.tableName'"), std::string::npos);
  EXPECT_EQ(m.find("'transactItems.11.member.put.tableName'"), std::string::npos);
}

}  // namespace
}  // namespace cruddur::ddb
