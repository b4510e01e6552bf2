"""DynamoDB's limits on how often UpdateTable may change a table, as recorded from DynamoDB in
2026 (ack-api-quirks dynamodb): DeletionProtection once in 15 s (DDB-TABLE-464, -383), TableClass
twice in 30 days (DDB-TABLE-283, -365), a table's or a GSI's provisioned throughput decreased 4
times a UTC day and then once an hour (DDB-TABLE-184, -185, -326). `ddb serve --no-update-limits`
lifts them, as DynamoDB Local has none.

A table left protected cannot be deleted for 15 s, so these tests start servers of their own.
"""

import datetime
import re
import time

import pytest
from botocore.exceptions import ClientError

from ddbtest import error_message, error_type, err, make_client, own_server, raw_call, \
    unique_name, wait_table_active

RECORDED = pytest.mark.source("ddb-answer: DynamoDB's answers recorded in 2026 (ack-api-quirks "
                              "dynamodb); DynamoDB Local has no such limits")


@pytest.fixture(scope="module")
def limited(foreign_endpoint, tmp_path_factory):
    with own_server(foreign_endpoint, tmp_path_factory, ["--in-memory"],
                    "starts servers of its own") as server:
        yield make_client(server.endpoint)


@pytest.fixture(scope="module")
def unlimited(foreign_endpoint, tmp_path_factory):
    with own_server(foreign_endpoint, tmp_path_factory, ["--in-memory", "--no-update-limits"],
                    "starts servers of its own") as server:
        yield make_client(server.endpoint)


def new_table(ddb, provisioned=False, gsi=False):
    name = unique_name("limits")
    kw = {"ProvisionedThroughput": {"ReadCapacityUnits": 10, "WriteCapacityUnits": 10}} \
        if provisioned else {"BillingMode": "PAY_PER_REQUEST"}
    defs = [{"AttributeName": "pk", "AttributeType": "S"}]
    if gsi:
        defs.append({"AttributeName": "g", "AttributeType": "S"})
        index = {"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                 "Projection": {"ProjectionType": "KEYS_ONLY"}}
        if provisioned:
            index["ProvisionedThroughput"] = {"ReadCapacityUnits": 10, "WriteCapacityUnits": 10}
        kw["GlobalSecondaryIndexes"] = [index]
    ddb.create_table(TableName=name, AttributeDefinitions=defs,
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], **kw)
    wait_table_active(ddb, name)
    return name


def protect(ddb, name, on):
    # Debian's botocore predates DeletionProtectionEnabled: a signed request of its own.
    return raw_call(ddb.meta.endpoint_url, "UpdateTable",
                    {"TableName": name, "DeletionProtectionEnabled": on})


@RECORDED
def test_deletion_protection_changes_15_seconds_apart(limited):
    """A change of DeletionProtection within 15 s of the last one is a ThrottlingException that
    says when to try again (the last change + 15 s, ISO 8601 with milliseconds); re-sending the
    setting the table has is no change, and answered."""
    name = new_table(limited)
    before = datetime.datetime.now(datetime.timezone.utc)
    status, body = protect(limited, name, True)
    assert status == 200, body
    status, body = protect(limited, name, True)
    assert status == 200, body
    status, body = protect(limited, name, False)
    assert (status, error_type(body)) == (400, "ThrottlingException"), body
    m = re.fullmatch(rf"Deletion protection setting for table {name} modified within the "
                     r"previous 15000 milliseconds\. Please try again after "
                     r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)", error_message(body))
    assert m, error_message(body)
    after = datetime.datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
    assert datetime.timedelta(seconds=14) <= after - before <= datetime.timedelta(seconds=17)
    status, body = raw_call(limited.meta.endpoint_url, "DescribeTable", {"TableName": name})
    assert body["Table"]["DeletionProtectionEnabled"] is True


@RECORDED
def test_table_class_switches_twice_in_30_days(limited):
    """Two switches of TableClass; the third request, a switch or not, is a
    LimitExceededException."""
    name = new_table(limited)
    limited.update_table(TableName=name, TableClass="STANDARD_INFREQUENT_ACCESS")
    wait_table_active(limited, name)
    limited.update_table(TableName=name, TableClass="STANDARD")
    wait_table_active(limited, name)
    for table_class in ("STANDARD_INFREQUENT_ACCESS", "STANDARD"):
        with pytest.raises(ClientError) as e:
            limited.update_table(TableName=name, TableClass=table_class)
        assert err(e) == ("LimitExceededException", "Subscriber limit exceeded: Updates to "
                          "TableClass are limited to 2 times in 30 day(s).")
    summary = limited.describe_table(TableName=name)["Table"]["TableClassSummary"]
    assert summary["TableClass"] == "STANDARD"


LONG_TIME = (r"(Sunday|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday), [A-Z][a-z]+ \d{1,2}, "
             r"\d{4} at \d{1,2}:\d\d:\d\d [AP]M Coordinated Universal Time")


@RECORDED
def test_throughput_decreases_four_a_day_then_one_an_hour(limited):
    """Four decreases of the table's throughput; the fifth is a LimitExceededException that
    counts them and says when the next may be made; an increase is still applied, and a GSI has
    a count of its own."""
    name = new_table(limited, provisioned=True, gsi=True)
    for units in (9, 8, 7, 6):
        limited.update_table(TableName=name, ProvisionedThroughput={
            "ReadCapacityUnits": units, "WriteCapacityUnits": units})
        wait_table_active(limited, name)
    desc = limited.describe_table(TableName=name)["Table"]["ProvisionedThroughput"]
    assert (desc["NumberOfDecreasesToday"], desc["ReadCapacityUnits"]) == (4, 6)
    with pytest.raises(ClientError) as e:
        # One dimension down is a decrease, the other going up.
        limited.update_table(TableName=name, ProvisionedThroughput={
            "ReadCapacityUnits": 5, "WriteCapacityUnits": 7})
    code, message = err(e)
    assert code == "LimitExceededException"
    m = re.fullmatch(
        r"Subscriber limit exceeded: Provisioned throughput decreases are limited within a given "
        r"UTC day\. After the first 4 decreases, each subsequent decrease in the same UTC day can "
        r"be performed at most once every 3600 seconds\. Number of decreases today: 4\. Last "
        rf"decrease at ({LONG_TIME})\. Next decrease can be made at ({LONG_TIME})\.", message)
    assert m, message
    limited.update_table(TableName=name, ProvisionedThroughput={
        "ReadCapacityUnits": 7, "WriteCapacityUnits": 7})
    wait_table_active(limited, name)
    limited.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Update": {
        "IndexName": "by_g",
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}}])
    desc = limited.describe_table(TableName=name)["Table"]
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
    assert desc["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"][
        "NumberOfDecreasesToday"] == 1


def test_no_update_limits(unlimited):
    """`ddb serve --no-update-limits`: DeletionProtection, TableClass and decreases change as
    often as they are asked to."""
    name = new_table(unlimited, provisioned=True)
    for on in (True, False, True, False):
        status, body = protect(unlimited, name, on)
        assert status == 200, body
    for table_class in ("STANDARD_INFREQUENT_ACCESS", "STANDARD") * 2:
        unlimited.update_table(TableName=name, TableClass=table_class)
        wait_table_active(unlimited, name)
    for units in (9, 8, 7, 6, 5, 4):
        unlimited.update_table(TableName=name, ProvisionedThroughput={
            "ReadCapacityUnits": units, "WriteCapacityUnits": units})
        wait_table_active(unlimited, name)
    assert unlimited.describe_table(TableName=name)["Table"]["ProvisionedThroughput"][
        "NumberOfDecreasesToday"] == 6


POLICY = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":'
          '"arn:aws:iam::000000000000:root"},"Action":"dynamodb:GetItem","Resource":"*"}]}')


@RECORDED
def test_resource_policy_changes_15_seconds_apart(limited):
    """After a change of a table's resource policy, another Put or a Delete within 15 s is a
    ThrottlingException that says when to try again (the RevisionId's time + 15 s); a Put of the
    same document is no change, and answered with the same RevisionId."""
    name = new_table(limited)
    arn = limited.describe_table(TableName=name)["Table"]["TableArn"]
    endpoint = limited.meta.endpoint_url
    status, put = raw_call(endpoint, "PutResourcePolicy", {"ResourceArn": arn, "Policy": POLICY})
    assert status == 200, put
    assert raw_call(endpoint, "PutResourcePolicy", {"ResourceArn": arn, "Policy": POLICY}) == (
        200, {"RevisionId": put["RevisionId"]})
    until = datetime.datetime.fromtimestamp(int(put["RevisionId"]) / 1000 + 15,
                                            datetime.timezone.utc)
    expected = (f"Resource-based policy for table {name} modified within the previous 15000 "
                f"milliseconds. Please try again after "
                f"{until.strftime('%Y-%m-%dT%H:%M:%S')}.{until.microsecond // 1000:03d}Z.")
    for op, body in (("PutResourcePolicy", {"Policy": POLICY.replace("GetItem", "Query")}),
                     ("DeleteResourcePolicy", {})):
        status, answer = raw_call(endpoint, op, dict(body, ResourceArn=arn))
        assert (status, error_type(answer), error_message(answer)) == (
            400, "ThrottlingException", expected), op
    status, got = raw_call(endpoint, "GetResourcePolicy", {"ResourceArn": arn})
    assert got == {"Policy": POLICY, "RevisionId": put["RevisionId"]}
