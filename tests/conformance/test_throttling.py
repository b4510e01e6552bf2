"""Throttling, opt-in (`ddb serve --throttle`, or a table tagged cruddur:throttle=on).

DynamoDB throttles a provisioned table at its ReadCapacityUnits/WriteCapacityUnits a second,
after a burst of the unused capacity it keeps (up to 300 seconds of it: AWS, "Burst capacity",
bp-partition-key-design.html); the server under test keeps 2 seconds (--burst-seconds 2) so that
these tests stay short. A throttled request gets ProvisionedThroughputExceededException with
DynamoDB's message and ThrottlingReasons (AWS API reference: TransactWriteItems' list of
messages, API_ThrottlingReason); an on-demand table past its OnDemandThroughput maximum gets
ThrottlingException. BatchWriteItem returns the throttled part as UnprocessedItems (API
reference, BatchWriteItem). Rates are measured over a window, as a ratio with a tolerance.
"""

import json
import subprocess
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ddbtest import (ACCESS_KEY, REGION, SECRET_KEY, cruddur_bin, make_client, own_server,
                     raw_call, unique_name, wait_table_active)

pytestmark = pytest.mark.source(
    "question: cruddur's opt-in throttling (DynamoDB Local never throttles); messages and "
    "ThrottlingReasons from AWS's API reference")

TABLE_MESSAGE = ("The level of configured provisioned throughput for the table was exceeded. "
                 "Consider increasing your provisioning level with the UpdateTable API.")
BURST_SECONDS = 2


@pytest.fixture(scope="module")
def throttled(foreign_endpoint, tmp_path_factory):
    """A server that throttles every table, keeping BURST_SECONDS of unused capacity."""
    with own_server(foreign_endpoint, tmp_path_factory,
                    ["--in-memory", "--throttle", "--burst-seconds", str(BURST_SECONDS)],
                    "needs its own server with throttling on") as server:
        yield server.endpoint


@pytest.fixture(scope="module")
def unthrottled(foreign_endpoint, tmp_path_factory):
    """A server without --throttle (tables opt in by their tag), keeping 1 second of burst."""
    with own_server(foreign_endpoint, tmp_path_factory,
                    ["--in-memory", "--burst-seconds", "1"],
                    "needs its own server with a short burst") as server:
        yield server.endpoint


def no_retries(endpoint):
    """A client that sends each request once (botocore's max_attempts counts retries only)."""
    return make_client(endpoint, retries={"total_max_attempts": 1, "mode": "standard"})


def create(client, wcu, rcu=50, **kwargs):
    name = unique_name("thr")
    if wcu:
        kwargs["ProvisionedThroughput"] = {"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu}
    else:
        kwargs["BillingMode"] = "PAY_PER_REQUEST"
    client.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        **kwargs)
    wait_table_active(client, name)
    return name


def put(client, table, key):
    client.put_item(TableName=table, Item={"pk": {"S": key}})


def put_until_throttled(client, table, prefix, limit=10000):
    """(writes accepted before the first throttle, that ClientError)."""
    for n in range(limit):
        try:
            put(client, table, f"{prefix}{n}")
        except ClientError as e:
            return n, e
    raise AssertionError(f"{limit} writes and none throttled")


def throttle_body(endpoint, table):
    """The decoded body of the first throttled raw PutItem."""
    for n in range(10000):
        status, body = raw_call(endpoint, "PutItem", {"TableName": table,
                                                      "Item": {"pk": {"S": f"raw{n}"}}})
        if status != 200:
            return body
    raise AssertionError("never throttled")


def test_a_table_takes_its_burst_then_its_provisioned_rate(throttled):
    """5 WCU with 2 s of burst: 10 writes at once (plus what refills meanwhile), then about 5 a
    second, measured over a 3 s window."""
    client = no_retries(throttled)
    table = create(client, wcu=5)
    start = time.monotonic()
    burst, e = put_until_throttled(client, table, "b")
    elapsed = time.monotonic() - start
    assert 5 * BURST_SECONDS <= burst <= 5 * BURST_SECONDS + 5 * elapsed + 1
    assert e.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert e.response["Error"]["Message"] == TABLE_MESSAGE
    # ThrottlingReasons, which this botocore's model does not know yet: read off the raw answer.
    assert throttle_body(throttled, table)["ThrottlingReasons"] == [{
        "reason": "TableWriteProvisionedThroughputExceeded",
        "resource": f"arn:aws:dynamodb:us-east-1:000000000000:table/{table}"}]

    accepted = throttled_count = 0
    start = time.monotonic()
    while time.monotonic() - start < 3:
        try:
            put(client, table, f"w{accepted}")
            accepted += 1
        except ClientError:
            throttled_count += 1
        time.sleep(0.005)
    window = time.monotonic() - start
    assert throttled_count > 0
    assert 0.7 <= accepted / (5 * window) <= 1.3, (accepted, window)


def test_batch_write_item_returns_the_throttled_part_unprocessed(throttled):
    """A batch of 25 on a fresh 5 WCU table: the burst's 10 units are written, the rest comes
    back in UnprocessedItems as it was sent; together they are the whole batch."""
    client = no_retries(throttled)
    table = create(client, wcu=5)
    requests = [{"PutRequest": {"Item": {"pk": {"S": f"k{i:02}"}}}} for i in range(25)]
    r = client.batch_write_item(RequestItems={table: requests})
    unprocessed = r["UnprocessedItems"].get(table, [])
    assert 10 <= len(requests) - len(unprocessed) < 25
    assert all(u in requests for u in unprocessed)
    written = {i["pk"]["S"] for i in client.scan(TableName=table, ConsistentRead=True)["Items"]}
    assert written == {q["PutRequest"]["Item"]["pk"]["S"] for q in requests
                       if q not in unprocessed}


def test_boto3_standard_retries_write_everything(throttled):
    """boto3's standard retry mode retries ProvisionedThroughputExceededException with backoff,
    and the resource's batch_writer resends UnprocessedItems: every item is written, after
    retries (seen in the responses' RetryAttempts and botocore's needs-retry events)."""
    config = Config(retries={"mode": "standard", "max_attempts": 10})
    client = boto3.client("dynamodb", endpoint_url=throttled, region_name=REGION,
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                          config=config)
    retries = []
    client.meta.events.register(
        "needs-retry.dynamodb.*",
        lambda attempts, response, **kw: retries.append(attempts)
        if response and "Throughput" in response[1].get("Error", {}).get("Code", "") else None)
    table = create(client, wcu=20)
    # The burst spent first: the 50 puts below meet throttling unless each took over 50 ms.
    put_until_throttled(no_retries(throttled), table, "drain")
    attempts = 0
    for i in range(50):
        r = client.put_item(TableName=table, Item={"pk": {"S": f"p{i}"}})
        attempts += r["ResponseMetadata"]["RetryAttempts"]
    resource = boto3.resource("dynamodb", endpoint_url=throttled, region_name=REGION,
                              aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                              config=config)
    with resource.Table(table).batch_writer() as batch:
        for i in range(50):
            batch.put_item(Item={"pk": f"b{i}"})
    assert attempts > 0 and retries
    written = {i["pk"]["S"] for i in client.scan(TableName=table, ConsistentRead=True)["Items"]}
    assert {k for k in written if not k.startswith("drain")} == (
        {f"p{i}" for i in range(50)} | {f"b{i}" for i in range(50)})


def test_on_demand_maximum_throttles_with_throttling_exception(throttled):
    """An on-demand table's OnDemandThroughput maximum is a hard limit (no burst): past it,
    ThrottlingException with DynamoDB's message."""
    client = no_retries(throttled)
    table = unique_name("thr")
    # OnDemandThroughput is newer than this botocore: created by a raw request.
    status, _ = raw_call(throttled, "CreateTable", {
        "TableName": table, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "OnDemandThroughput": {"MaxWriteRequestUnits": 5}})
    assert status == 200
    wait_table_active(client, table)
    accepted, e = put_until_throttled(client, table, "o")
    assert 5 <= accepted <= 8
    assert e.response["Error"]["Code"] == "ThrottlingException"
    assert e.response["Error"]["Message"] == (
        "Throughput exceeds the maximum OnDemandThroughput configured on table or index")
    assert (throttle_body(throttled, table)["ThrottlingReasons"][0]["reason"]
            == "TableWriteMaxOnDemandThroughputExceeded")


def test_the_tag_turns_throttling_on_for_one_table(unthrottled):
    """Without --throttle only a table tagged cruddur:throttle=on is throttled."""
    client = no_retries(unthrottled)
    plain = create(client, wcu=2)
    tagged = create(client, wcu=2, Tags=[{"Key": "cruddur:throttle", "Value": "on"}])
    for n in range(30):
        put(client, plain, f"p{n}")
    accepted, e = put_until_throttled(client, tagged, "t")
    assert 2 <= accepted <= 5
    assert e.response["Error"]["Code"] == "ProvisionedThroughputExceededException"


def test_ddb_stats_counts_units_and_throttled_requests(throttled):
    """`cruddur ddb stats TABLE` (cruddur's DescribeTableStats target on the server): the write
    units the table consumed and the requests throttled."""
    client = no_retries(throttled)
    table = create(client, wcu=1)
    accepted, _ = put_until_throttled(client, table, "s")
    out = subprocess.run([cruddur_bin(), "ddb", "stats", table, "--json", "--endpoint-url",
                          throttled], capture_output=True, text=True, timeout=30, check=True,
                         env={"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                              "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_REGION": REGION})
    stats = json.loads(out.stdout)
    assert stats["TableName"] == table and stats["Throttling"] is True
    assert stats["Table"]["WriteCapacityUnits"] == accepted
    assert stats["Table"]["ThrottledWriteRequests"] == 1
    text = subprocess.run([cruddur_bin(), "ddb", "stats", table, "--endpoint-url", throttled],
                          capture_output=True, text=True, timeout=30, check=True,
                          env={"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                               "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_REGION": REGION}).stdout
    assert "throttling on" in text and f"{accepted:.1f}" in text
