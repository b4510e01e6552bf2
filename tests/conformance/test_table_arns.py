"""A table's ARN in place of its name: every operation that takes a TableName (and the
RequestItems keys of the batch operations) takes arn:aws:dynamodb:<region>:<account>:table/<name>.

AWS's API reference says so for each such parameter ("You can also provide the Amazon Resource
Name (ARN) of the table in this parameter"), and that ConsumedCapacity.TableName echoes the ARN
when the request gave one ("If you had specified the Amazon Resource Name (ARN) of a table in the
input, you'll see the table ARN in the response"; BatchGetItem's Responses are "a map of table
name or table ARN to a list of items").
"""

import json
import os
import shutil

import pytest

from ddbtest import aws_cli_runner, error_message, error_type, raw_call, unique_name

source = pytest.mark.source

ARN_DOCS = source(
    "docs: API reference, TableName of each operation ('You can also provide the Amazon Resource "
    "Name (ARN) of the table in this parameter') and ConsumedCapacity.TableName ('you'll see the "
    "table ARN in the response')")
ARN_REFUSALS = source(
    "question: a TableName ARN that names no table here is refused as TagResource refuses such a "
    "ResourceArn (the same checks and messages, ddb/table_arn.h); DynamoDB's answers for a "
    "TableName (rather than a ResourceArn) are not recorded")

ACCOUNT = "000000000000"


def arn_of(ddb, name):
    return ddb.describe_table(TableName=name)["Table"]["TableArn"]


@ARN_DOCS
def test_data_plane_by_arn(ddb, tables):
    """Every read and write by ARN, with Debian's boto3 as applications send it; consumed
    capacity names the table as the request did."""
    name = tables.create(range_key=("sk", "N"))
    arn = arn_of(ddb, name)
    assert arn == "arn:aws:dynamodb:us-east-1:%s:table/%s" % (ACCOUNT, name)
    put = ddb.put_item(TableName=arn, Item={"pk": {"S": "a"}, "sk": {"N": "1"}},
                       ReturnConsumedCapacity="TOTAL")
    assert put["ConsumedCapacity"]["TableName"] == arn
    ddb.update_item(TableName=arn, Key={"pk": {"S": "a"}, "sk": {"N": "1"}},
                    UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"S": "x"}})
    got = ddb.get_item(TableName=arn, Key={"pk": {"S": "a"}, "sk": {"N": "1"}},
                       ReturnConsumedCapacity="TOTAL")
    assert got["Item"]["v"] == {"S": "x"}
    assert got["ConsumedCapacity"]["TableName"] == arn
    # By name, the same item: one table.
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "a"}, "sk": {"N": "1"}})["Item"] == \
        got["Item"]
    query = ddb.query(TableName=arn, KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": {"S": "a"}}, ReturnConsumedCapacity="TOTAL")
    assert query["Count"] == 1 and query["ConsumedCapacity"]["TableName"] == arn
    assert ddb.scan(TableName=arn)["Count"] == 1

    written = ddb.batch_write_item(
        RequestItems={arn: [{"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": "2"}}}}]},
        ReturnConsumedCapacity="TOTAL")
    assert written["UnprocessedItems"] == {}
    assert [c["TableName"] for c in written["ConsumedCapacity"]] == [arn]
    batch = ddb.batch_get_item(RequestItems={arn: {"Keys": [{"pk": {"S": "b"},
                                                             "sk": {"N": "2"}}]}},
                               ReturnConsumedCapacity="TOTAL")
    assert list(batch["Responses"]) == [arn]
    assert batch["Responses"][arn] == [{"pk": {"S": "b"}, "sk": {"N": "2"}}]
    assert [c["TableName"] for c in batch["ConsumedCapacity"]] == [arn]

    tx = ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": arn, "Item": {"pk": {"S": "c"}, "sk": {"N": "3"}}}},
        {"Delete": {"TableName": arn, "Key": {"pk": {"S": "b"}, "sk": {"N": "2"}}}}],
        ReturnConsumedCapacity="TOTAL")
    assert [c["TableName"] for c in tx["ConsumedCapacity"]] == [arn]
    read = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": arn, "Key": {"pk": {"S": "c"}, "sk": {"N": "3"}}}}])
    assert read["Responses"][0]["Item"]["pk"] == {"S": "c"}
    ddb.delete_item(TableName=arn, Key={"pk": {"S": "c"}, "sk": {"N": "3"}})
    assert sorted(i["pk"]["S"] for i in ddb.scan(TableName=name)["Items"]) == ["a"]


@ARN_DOCS
def test_control_plane_by_arn(ddb, tables):
    """DescribeTable, UpdateTable, the TTL operations and DeleteTable by ARN; responses describe
    the table by its name."""
    name = tables.create()
    arn = arn_of(ddb, name)
    assert ddb.describe_table(TableName=arn)["Table"]["TableName"] == name
    updated = ddb.update_table(TableName=arn, StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})["TableDescription"]
    assert updated["TableName"] == name
    ddb.update_time_to_live(TableName=arn, TimeToLiveSpecification={"Enabled": True,
                                                                    "AttributeName": "exp"})
    assert ddb.describe_time_to_live(TableName=arn)["TimeToLiveDescription"][
        "AttributeName"] == "exp"
    gone = ddb.delete_table(TableName=arn)["TableDescription"]
    assert (gone["TableName"], gone["TableStatus"]) == (name, "DELETING")
    assert name not in ddb.list_tables()["TableNames"]


@pytest.mark.parametrize("template,expected", [
    ("arn:aws:dynamodb:eu-west-1:%s:table/{}" % ACCOUNT,
     ("ValidationException", "Invalid TableArn: Invalid ResourceArn provided as input {arn}")),
    ("arn:aws:dynamodb:us-east-1:111122223333:table/{}",
     ("AccessDeniedException", "Access is denied")),
    ("arn:aws:dynamodb:us-east-1:%s:table/{}/index/gsi1" % ACCOUNT,
     ("ValidationException", "One or more parameter values were invalid: Invalid resource arn "
      "provided, only table or stream is accepted. Provided resource arn: {arn}")),
    ("arn:aws:dynamodb:us-east-1:%s:table/{}/stream/2026-01-01T00:00:00.000" % ACCOUNT,
     ("ValidationException", "Invalid TableArn: Invalid ResourceArn provided as input {arn}")),
    ("arn:aws:dynamodb:us-east-1",
     ("ValidationException", "One or more parameter values were invalid: Fourth colon "
      "(region/namespace delimiter) not found: {arn}")),
    ("arn:aws:s3:us-east-1:%s:table/{}" % ACCOUNT,
     ("ValidationException", "One or more parameter values were invalid: Provided Arn is not a "
      "DynamoDB resource arn: {arn}")),
], ids=["other-region", "other-account", "index", "stream", "malformed", "other-service"])
@ARN_REFUSALS
def test_arns_naming_no_table_here(ddb, endpoint, tables, template, expected):
    """ARNs of another region or account, of an index or stream, or malformed: refused for a
    read, a write and DescribeTable alike, and nothing is written."""
    name = tables.create()
    arn = template.format(name)
    want = (expected[0], expected[1].format(arn=arn))
    ops = [("GetItem", {"TableName": arn, "Key": {"pk": {"S": "a"}}}),
           ("PutItem", {"TableName": arn, "Item": {"pk": {"S": "a"}}})]
    if ":eu-west-1:" not in template:  # DescribeTable's answer there: test_arn_of_another_region
        ops.append(("DescribeTable", {"TableName": arn}))
    for op, body in ops:
        status, answer = raw_call(endpoint, op, body)
        assert (status, error_type(answer), error_message(answer)) == (400,) + want, op
    assert ddb.scan(TableName=name)["Count"] == 0


@source("ddb-answer: DynamoDB's 2026 message catalogue (ack-api-quirks dynamodb DDB-TABLE-442): "
        "'<N> validation error detected: Invalid AWS region in '<ARN>'' for DescribeTable, "
        "DescribeTimeToLive, DescribeContinuousBackups and DescribeContributorInsights, also "
        "'Invalid AWS partition in'; DescribeContinuousBackups and UpdateContinuousBackups answered "
        "the region's text in 2024-2025 (terraform-provider-aws #42792, "
        "terraform-aws-dynamodb-table #85)")
def test_arn_of_another_region(endpoint, tables):
    """A table ARN of another region or partition, given to the operations that validate it as a
    request parameter: ValidationException "1 validation error detected: Invalid AWS region (or
    partition) in '<ARN>'", before the account is looked at (validation comes before
    authorization), and the table is left as it was."""
    name = tables.create()
    cases = [
        ("arn:aws:dynamodb:eu-west-1:%s:table/%s" % (ACCOUNT, name), "region"),
        ("arn:aws:dynamodb:eu-west-1:111122223333:table/%s" % name, "region"),
        ("arn:aws-cn:dynamodb:cn-north-1:%s:table/%s" % (ACCOUNT, name), "partition"),
        ("arn:aws-cn:dynamodb:us-east-1:%s:table/%s" % (ACCOUNT, name), "partition"),
    ]
    for arn, field in cases:
        for op, body in [("DescribeTable", {}), ("DescribeTimeToLive", {}),
                         ("DescribeContinuousBackups", {}), ("DescribeContributorInsights", {}),
                         ("UpdateContinuousBackups", {"PointInTimeRecoverySpecification": {
                             "PointInTimeRecoveryEnabled": True}})]:
            status, answer = raw_call(endpoint, op, dict(body, TableName=arn))
            assert (status, error_type(answer), error_message(answer)) == (
                400, "ValidationException",
                "1 validation error detected: Invalid AWS %s in '%s'" % (field, arn)), (op, arn)
    status, answer = raw_call(endpoint, "DescribeContinuousBackups", {"TableName": name})
    assert status == 200
    assert answer["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"


@source("ddb-answer: DescribeTable of a missing table's ARN names the name taken out of the ARN, "
        "as DynamoDB answered in 2026 (ack-api-quirks dynamodb DDB-TABLE-072)")
def test_arn_of_a_missing_table(endpoint):
    """A well-formed ARN of this region and account whose table does not exist: not found, as
    for its name, and named by the table's name in the ARN (DDB-TABLE-072), by DescribeTable,
    DeleteTable, UpdateTable and DescribeTimeToLive alike."""
    name = unique_name("missing")
    arn = "arn:aws:dynamodb:us-east-1:%s:table/%s" % (ACCOUNT, name)
    for op, body in [("DescribeTable", {}), ("DeleteTable", {}), ("DescribeTimeToLive", {}),
                     ("UpdateTable", {"DeletionProtectionEnabled": True})]:
        status, answer = raw_call(endpoint, op, dict(body, TableName=arn))
        assert (status, error_type(answer), error_message(answer)) == (
            400, "ResourceNotFoundException",
            "Requested resource not found: Table: %s not found" % name), op
    status, answer = raw_call(endpoint, "GetItem", {"TableName": arn, "Key": {"pk": {"S": "a"}}})
    assert (status, error_type(answer)) == (400, "ResourceNotFoundException")


AWS = "/usr/bin/aws" if os.path.exists("/usr/bin/aws") else shutil.which("aws")


@pytest.mark.skipif(AWS is None, reason="aws CLI not installed")
@ARN_DOCS
def test_aws_cli_by_arn(endpoint, ddb, tables, tmp_path):
    """The aws CLI (Debian's) names the table by ARN in put-item, get-item and
    batch-get-item."""
    name = tables.create()
    arn = arn_of(ddb, name)
    run = aws_cli_runner([AWS, "--no-cli-pager"], endpoint, tmp_path)

    def aws(*args):
        p = run(*args)
        return json.loads(p.stdout) if p.stdout.strip() else {}

    put = aws("put-item", "--table-name", arn, "--item", json.dumps({"pk": {"S": "cli"}}),
              "--return-consumed-capacity", "TOTAL")
    assert put["ConsumedCapacity"]["TableName"] == arn
    assert aws("get-item", "--table-name", arn, "--key",
               json.dumps({"pk": {"S": "cli"}}))["Item"] == {"pk": {"S": "cli"}}
    batch = aws("batch-get-item", "--request-items",
                json.dumps({arn: {"Keys": [{"pk": {"S": "cli"}}]}}))
    assert batch["Responses"] == {arn: [{"pk": {"S": "cli"}}]}
