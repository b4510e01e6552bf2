"""Injected faults (`cruddur ddb serve --faults`, issue 19): the control API at
CruddurFaults_20261203.<Op> (src/wire/README.md) and `cruddur ddb fault add|list|clear`, and
each kind of rule as a DynamoDB client sees it.

The errors' types, HTTP statuses and messages are DynamoDB's (the API reference's common errors
and "Error handling with DynamoDB" in the developer guide); the rest is cruddur's own feature, so
the module needs its own server and is skipped against a foreign DDB_ENDPOINT.
"""

import json
import os
import subprocess
import time
import uuid

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError

from ddbtest import (ACCESS_KEY, REGION, SECRET_KEY, cruddur_bin, make_client, own_server,
                     raw_call, wait_table_active)

pytestmark = pytest.mark.source(
    "docs: error types, statuses and messages from the DynamoDB API reference (common errors) "
    "and the developer guide's 'Error handling with DynamoDB'; the fault rules are cruddur's")

FAULTS_TARGET = "CruddurFaults_20261203"


@pytest.fixture(scope="module")
def faults_endpoint(foreign_endpoint, tmp_path_factory):
    with own_server(foreign_endpoint, tmp_path_factory, ["--in-memory", "--faults"],
                    "needs its own server started with --faults") as server:
        yield server.endpoint


def control(endpoint, op, payload=None):
    """(status, body) of a control API call, signed as any DynamoDB request."""
    return raw_call(endpoint, f"{FAULTS_TARGET}.{op}", payload or {})


def no_retries(endpoint):
    # botocore's max_attempts counts retries; total_max_attempts counts the first call too.
    return make_client(endpoint, retries={"total_max_attempts": 1, "mode": "standard"})


def add_rule(endpoint, **rule):
    status, body = control(endpoint, "AddFaultRule", rule)
    assert status == 200, body
    return body["Rule"]


@pytest.fixture
def ddbf(faults_endpoint):
    """A client of the --faults server, without retries; every rule is cleared afterwards."""
    yield no_retries(faults_endpoint)
    control(faults_endpoint, "ClearFaultRules")


@pytest.fixture
def ftable(ddbf):
    name = f"faults-{uuid.uuid4().hex[:10]}"
    ddbf.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                      KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                      AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    wait_table_active(ddbf, name)
    return name


def item(pk, **extra):
    return {"pk": {"S": pk}, **{k: {"S": v} for k, v in extra.items()}}


def error_of(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response


def test_control_api_round_trip(faults_endpoint, ddbf):
    rule = add_rule(faults_endpoint, Action="Error", ErrorType="InternalServerError",
                    Operation="PutItem", TableName="t1", KeyPrefix="u#", Count=2,
                    Probability=0.5, Seed=9)
    assert rule["RuleId"].startswith("fault-")
    assert {k: rule[k] for k in ("Action", "ErrorType", "Operation", "TableName", "KeyPrefix",
                                 "Count", "Probability", "Seed", "Applied")} == {
        "Action": "Error", "ErrorType": "InternalServerError", "Operation": "PutItem",
        "TableName": "t1", "KeyPrefix": "u#", "Count": 2, "Probability": 0.5, "Seed": 9,
        "Applied": 0}
    other = add_rule(faults_endpoint, Action="Latency", LatencyMillis=5)
    status, listed = control(faults_endpoint, "ListFaultRules")
    assert status == 200
    assert [r["RuleId"] for r in listed["Rules"]] == [rule["RuleId"], other["RuleId"]]
    status, cleared = control(faults_endpoint, "ClearFaultRules", {"RuleId": rule["RuleId"]})
    assert (status, cleared) == (200, {"Cleared": 1})
    status, missing = control(faults_endpoint, "ClearFaultRules", {"RuleId": rule["RuleId"]})
    assert status == 400 and missing["__type"].endswith("#ResourceNotFoundException")
    status, cleared = control(faults_endpoint, "ClearFaultRules")
    assert (status, cleared) == (200, {"Cleared": 1})


@pytest.mark.parametrize("bad,message", [
    ({}, "Action must be one of Error, Latency, DropAfterCommit, PartialBatch"),
    ({"Action": "Error", "ErrorType": "Nope"}, "ErrorType must be one of"),
    ({"Action": "Latency"}, "LatencyMillis must be a whole number from 1 to 60000"),
    ({"Action": "Error", "ErrorType": "InternalServerError", "Count": 0},
     "Count must be a whole number of at least 1"),
    ({"Action": "Error", "ErrorType": "InternalServerError", "Probability": 1.5},
     "Probability must be a number above 0 and at most 1"),
    ({"Action": "PartialBatch", "Operation": "PutItem"},
     "PartialBatch applies to BatchWriteItem and BatchGetItem only"),
])
def test_bad_rules_are_refused(faults_endpoint, bad, message):
    status, body = control(faults_endpoint, "AddFaultRule", bad)
    assert status == 400
    assert body["__type"] == "com.amazon.coral.validate#ValidationException"
    assert body["message"].startswith(message)


def test_control_api_is_off_without_faults_flag(endpoint):
    status, body = control(endpoint, "ListFaultRules")
    assert status == 400
    assert body["__type"] == "com.amazon.coral.service#UnknownOperationException"


ERRORS = [
    ("InternalServerError", 500, "com.amazonaws.dynamodb.v20120810", "Internal server error"),
    ("ServiceUnavailable", 503, "com.amazon.coral.service",
     "The request has failed due to a temporary failure of the server."),
    ("RequestLimitExceeded", 400, "com.amazonaws.dynamodb.v20120810",
     "Throughput exceeds the current throughput limit for your account. Please contact AWS "
     "Support at https://aws.amazon.com/support request a limit increase"),
    ("ThrottlingException", 400, "com.amazon.coral.service",
     "Rate of requests exceeds the allowed throughput."),
    ("ProvisionedThroughputExceededException", 400, "com.amazonaws.dynamodb.v20120810",
     "The level of configured provisioned throughput for the table was exceeded. Consider "
     "increasing your provisioning level with the UpdateTable API."),
    ("ConditionalCheckFailedException", 400, "com.amazonaws.dynamodb.v20120810",
     "The conditional request failed"),
    ("TransactionConflictException", 400, "com.amazonaws.dynamodb.v20120810",
     "Transaction is ongoing for the item"),
]


@pytest.mark.parametrize("error,status,namespace,message", ERRORS, ids=[e[0] for e in ERRORS])
def test_error_rule_returns_dynamodbs_error_count_times(faults_endpoint, ddbf, ftable, error,
                                                         status, namespace, message):
    ddbf.put_item(TableName=ftable, Item=item("a", v="1"))
    add_rule(faults_endpoint, Action="Error", ErrorType=error, Operation="PutItem",
             TableName=ftable, Count=2)
    for _ in range(2):
        resp = error_of(lambda: ddbf.put_item(TableName=ftable, Item=item("a", v="2")))
        assert resp["Error"]["Code"] == error
        assert resp["Error"]["Message"] == message
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == status
    # Nothing was written by the refused requests; the third one goes through.
    assert ddbf.get_item(TableName=ftable, Key=item("a"))["Item"]["v"]["S"] == "1"
    ddbf.put_item(TableName=ftable, Item=item("a", v="3"))
    assert ddbf.get_item(TableName=ftable, Key=item("a"))["Item"]["v"]["S"] == "3"
    # The raw answer carries the namespace DynamoDB uses for the type.
    add_rule(faults_endpoint, Action="Error", ErrorType=error, Count=1)
    raw_status, raw = control_dynamodb(faults_endpoint, "ListTables", {})
    assert (raw_status, raw["__type"]) == (status, f"{namespace}#{error}")


def control_dynamodb(endpoint, op, payload):
    """A raw DynamoDB call (status, body), to see the error body as sent."""
    return raw_call(endpoint, op, payload)


def test_rules_match_operation_table_and_key_prefix(faults_endpoint, ddbf, ftable):
    add_rule(faults_endpoint, Action="Error", ErrorType="InternalServerError",
             Operation="PutItem", TableName=ftable, KeyPrefix="user#")
    ddbf.put_item(TableName=ftable, Item=item("group#1"))  # another prefix
    ddbf.get_item(TableName=ftable, Key=item("user#1"))  # another operation
    resp = error_of(lambda: ddbf.put_item(TableName=ftable, Item=item("user#1")))
    assert resp["Error"]["Code"] == "InternalServerError"
    # In a batch or a transaction, one matching item is enough for the request to match.
    add_rule(faults_endpoint, Action="Error", ErrorType="ThrottlingException",
             Operation="TransactWriteItems", KeyPrefix="user#")
    resp = error_of(lambda: ddbf.transact_write_items(TransactItems=[
        {"Put": {"TableName": ftable, "Item": item("group#2")}},
        {"Put": {"TableName": ftable, "Item": item("user#2")}}]))
    assert resp["Error"]["Code"] == "ThrottlingException"
    assert "Item" not in ddbf.get_item(TableName=ftable, Key=item("group#2"))
    _, listed = control(faults_endpoint, "ListFaultRules")
    assert [r["Applied"] for r in listed["Rules"]] == [1, 1]
    assert listed["InjectedFaults"]["error:InternalServerError"] >= 1


def failures_with_seed(faults_endpoint, ddbf, ftable, seed):
    add_rule(faults_endpoint, Action="Error", ErrorType="InternalServerError",
             Operation="GetItem", Probability=0.5, Seed=seed)
    pattern = []
    for _ in range(40):
        try:
            ddbf.get_item(TableName=ftable, Key=item("x"))
            pattern.append(0)
        except ClientError:
            pattern.append(1)
    control(faults_endpoint, "ClearFaultRules")
    return pattern


def test_probability_with_a_seed_is_deterministic(faults_endpoint, ddbf, ftable):
    first = failures_with_seed(faults_endpoint, ddbf, ftable, 7)
    assert 0 < sum(first) < len(first)
    assert failures_with_seed(faults_endpoint, ddbf, ftable, 7) == first
    assert failures_with_seed(faults_endpoint, ddbf, ftable, 8) != first


def test_latency_rule_delays_the_answer(faults_endpoint, ddbf, ftable):
    add_rule(faults_endpoint, Action="Latency", LatencyMillis=400, Operation="GetItem", Count=1)
    t0 = time.monotonic()
    ddbf.get_item(TableName=ftable, Key=item("x"))
    assert time.monotonic() - t0 >= 0.4  # a lower bound only: sleeping guarantees it
    _, listed = control(faults_endpoint, "ListFaultRules")
    assert listed["Rules"][0]["Applied"] == 1 and listed["Rules"][0]["Count"] == 0


def test_drop_after_commit_without_retries_the_write_is_applied(faults_endpoint, ddbf, ftable):
    add_rule(faults_endpoint, Action="DropAfterCommit", Operation="PutItem", Count=1)
    with pytest.raises(ConnectionClosedError):
        ddbf.put_item(TableName=ftable, Item=item("m1", text="hello"))
    # The client saw its connection reset, yet the write committed.
    assert ddbf.get_item(TableName=ftable, Key=item("m1"))["Item"]["text"]["S"] == "hello"


def test_drop_after_commit_boto3_retry_is_detected_by_its_condition(faults_endpoint, ftable):
    """boto3's standard retries resend the PutItem after the reset; its condition
    attribute_not_exists(pk) with a client-made id refuses the second write, so the message
    exists once and the caller knows its write landed."""
    client = make_client(faults_endpoint, retries={"total_max_attempts": 3, "mode": "standard"})
    add_rule(faults_endpoint, Action="DropAfterCommit", Operation="PutItem", TableName=ftable,
             Count=1)
    msg_id = str(uuid.uuid4())
    try:
        client.put_item(TableName=ftable, Item=item(f"msg#{msg_id}", text="once"),
                        ConditionExpression="attribute_not_exists(pk)")
        outcome = "written"
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ConditionalCheckFailedException"
        # The id is ours alone: the item there is our own write, seen through the retry.
        got = client.get_item(TableName=ftable, Key=item(f"msg#{msg_id}"))["Item"]
        assert got["text"]["S"] == "once"
        outcome = "retry found it"
    assert outcome == "retry found it"
    items = client.scan(TableName=ftable)["Items"]
    assert [i["pk"]["S"] for i in items] == [f"msg#{msg_id}"]
    control(faults_endpoint, "ClearFaultRules")


def test_partial_batch_write_leaves_items_unprocessed(faults_endpoint, ddbf, ftable):
    add_rule(faults_endpoint, Action="PartialBatch", Operation="BatchWriteItem", Count=1)
    requests = [{"PutRequest": {"Item": item(f"b{i}")}} for i in range(4)]
    resp = ddbf.batch_write_item(RequestItems={ftable: requests})
    assert resp["UnprocessedItems"] == {ftable: requests[2:]}
    written = sorted(i["pk"]["S"] for i in ddbf.scan(TableName=ftable)["Items"])
    assert written == ["b0", "b1"]
    # Sending the unprocessed items again (as boto3's batch_writer does) writes everything.
    resp = ddbf.batch_write_item(RequestItems=resp["UnprocessedItems"])
    assert resp["UnprocessedItems"] == {}
    assert len(ddbf.scan(TableName=ftable)["Items"]) == 4


def test_partial_batch_by_key_prefix_and_batch_get(faults_endpoint, ddbf, ftable):
    for pk in ("hot#1", "cold#1", "hot#2", "cold#2"):
        ddbf.put_item(TableName=ftable, Item=item(pk, v=pk))
    add_rule(faults_endpoint, Action="PartialBatch", Operation="BatchGetItem", KeyPrefix="hot#")
    keys = [item(pk) for pk in ("hot#1", "cold#1", "hot#2", "cold#2")]
    resp = ddbf.batch_get_item(RequestItems={ftable: {"Keys": keys, "ConsistentRead": True}})
    assert sorted(i["pk"]["S"] for i in resp["Responses"][ftable]) == ["cold#1", "cold#2"]
    assert resp["UnprocessedKeys"] == {
        ftable: {"Keys": [item("hot#1"), item("hot#2")], "ConsistentRead": True}}
    # Only hot keys: nothing processed, everything unprocessed.
    resp = ddbf.batch_get_item(RequestItems={ftable: {"Keys": keys[::2]}})
    assert resp["Responses"] == {} and resp["UnprocessedKeys"] == {ftable: {"Keys": keys[::2]}}


def test_partial_batch_with_boto3_batch_writer_writes_everything(faults_endpoint, ftable):
    """boto3's batch_writer resends UnprocessedItems until none are left."""
    import boto3
    from botocore.config import Config
    resource = boto3.resource("dynamodb", endpoint_url=faults_endpoint, region_name=REGION,
                              aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                              config=Config(retries={"total_max_attempts": 1}))
    add_rule(faults_endpoint, Action="PartialBatch", Operation="BatchWriteItem", Count=3)
    with resource.Table(ftable).batch_writer() as batch:
        for i in range(60):
            batch.put_item(Item={"pk": f"w{i}"})
    client = no_retries(faults_endpoint)
    assert len(client.scan(TableName=ftable)["Items"]) == 60
    _, listed = control(faults_endpoint, "ListFaultRules")
    assert listed["Rules"][0]["Applied"] == 3
    control(faults_endpoint, "ClearFaultRules")


def run_cli(endpoint, *args):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
               AWS_DEFAULT_REGION=REGION)
    return subprocess.run([cruddur_bin(), "ddb", "fault", *args, "--endpoint-url", endpoint],
                          capture_output=True, text=True, env=env, timeout=30)


def test_cli_add_list_clear(faults_endpoint, ddbf, ftable):
    out = run_cli(faults_endpoint, "add", "--operation", "GetItem", "--table", ftable,
                  "--error", "ServiceUnavailable", "--count", "1", "--json")
    assert out.returncode == 0, out.stderr
    rule = json.loads(out.stdout)["Rule"]
    assert (rule["Action"], rule["ErrorType"], rule["Count"]) == ("Error", "ServiceUnavailable", 1)
    resp = error_of(lambda: ddbf.get_item(TableName=ftable, Key=item("x")))
    assert resp["Error"]["Code"] == "ServiceUnavailable"
    out = run_cli(faults_endpoint, "list")
    assert out.returncode == 0, out.stderr
    assert f"{rule['RuleId']}  Error ServiceUnavailable  GetItem table={ftable}" in out.stdout
    assert "applied=1" in out.stdout
    assert "injected error:ServiceUnavailable:" in out.stdout
    out = run_cli(faults_endpoint, "add", "--error", "ThrottlingException", "--latency-ms", "5")
    assert out.returncode != 0 and "exactly one of" in out.stderr
    out = run_cli(faults_endpoint, "clear")
    assert out.returncode == 0 and out.stdout.strip() == "cleared 1 fault rule(s)"


def test_injected_faults_are_counted_in_metrics(faults_endpoint, ddbf, ftable):
    """Every injected fault is counted by kind in GET /metrics
    (cruddur_dynamodb_injected_faults_total{kind}), and the request it failed as a system error
    of its operation: 2 injected 500s move both by exactly 2."""
    from prometheus_text import delta, scrape

    kind = "error:InternalServerError"
    before = scrape(faults_endpoint)
    add_rule(faults_endpoint, Action="Error", ErrorType="InternalServerError",
             Operation="GetItem", TableName=ftable, Count=2)
    for _ in range(3):  # the third is past the rule's count: answered normally
        try:
            ddbf.get_item(TableName=ftable, Key={"pk": {"S": "m"}})
        except ClientError as e:
            assert e.response["Error"]["Code"] == "InternalServerError"
    after = scrape(faults_endpoint)
    assert delta(before, after, "cruddur_dynamodb_injected_faults_total", kind=kind) == 2
    # An injected error answers before the engine looks the table up: its label is "".
    assert delta(before, after, "cruddur_dynamodb_system_errors_total", table="",
                 operation="GetItem") == 2
