"""Time to live: UpdateTimeToLive / DescribeTimeToLive, and expired items disappearing from reads
and showing up in the table's stream as REMOVE records by the DynamoDB service.

The expiry tests start their own `cruddur ddb serve` with a fast sweep (real DynamoDB takes up to
two days to delete expired items), so they are skipped when DDB_ENDPOINT is set. Messages are
DynamoDB's ("TimeToLive is already enabled", "TimeToLive is already disabled", "TimeToLive is
active on a different AttributeName: current AttributeName is ...").
"""

import time

import pytest
from botocore.exceptions import ClientError

from ddbtest import err, make_client, own_server, unique_name
from provenance import CONSTRAINT_WORDING


def ttl(ddb, table, enabled, attribute="expires"):
    return ddb.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": enabled, "AttributeName": attribute})


def test_describe_without_ttl(ddb, table_h):
    d = ddb.describe_time_to_live(TableName=table_h)["TimeToLiveDescription"]
    assert d == {"TimeToLiveStatus": "DISABLED"}


@pytest.mark.source(
    "ddb-answer: 'TimeToLive is active on a different AttributeName: current AttributeName is "
    "<name>' (recorded from DynamoDB by others); DynamoDB Local stops after 'AttributeName'")
def test_enable_and_disable(ddb, table_h):
    r = ttl(ddb, table_h, True)
    assert r["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"}
    assert ddb.describe_time_to_live(TableName=table_h)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    with pytest.raises(ClientError) as e:
        ttl(ddb, table_h, True)
    assert err(e) == ("ValidationException", "TimeToLive is already enabled")
    with pytest.raises(ClientError) as e:
        ttl(ddb, table_h, True, "other")
    assert err(e)[0] == "ValidationException" and "active on a different" in err(e)[1]
    with pytest.raises(ClientError) as e:
        ttl(ddb, table_h, False, "other")
    assert err(e) == ("ValidationException", "TimeToLive is active on a different AttributeName: "
                                             "current AttributeName is expires")


INTERVAL = "Time to live has been modified multiple times within a fixed interval"


@pytest.mark.source(
    "ddb-answer: recorded in 2026 (ack-api-quirks dynamodb DDB-TABLE-143): a second "
    "UpdateTimeToLive within ~31 minutes of a change is refused, after the request's own checks; "
    "DynamoDB Local has no such interval")
def test_second_change_within_the_interval_is_refused(ddb, table_h):
    ttl(ddb, table_h, True)
    with pytest.raises(ClientError) as e:
        ttl(ddb, table_h, False)
    assert err(e) == ("ValidationException", INTERVAL)
    with pytest.raises(ClientError) as e:
        ttl(ddb, table_h, True)
    assert err(e) == ("ValidationException", "TimeToLive is already enabled")
    assert ddb.describe_time_to_live(TableName=table_h)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}


@pytest.fixture(scope="module")
def short_interval(foreign_endpoint, tmp_path_factory):
    """A client of a server of its own whose TTL changes are 3 s apart at least."""
    with own_server(foreign_endpoint, tmp_path_factory,
                    ["--in-memory", "--ttl-cooldown", "3s"],
                    "starts a server with --ttl-cooldown") as server:
        yield make_client(server.endpoint)


def test_change_after_the_interval_is_applied(short_interval):
    """`ddb serve --ttl-cooldown 3s`: the change after a change is refused for 3 s, then
    applied."""
    ddb = short_interval
    t = unique_name()
    ddb.create_table(TableName=t, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    ttl(ddb, t, True)
    enabled = time.monotonic()
    with pytest.raises(ClientError) as e:
        ttl(ddb, t, False)
    assert err(e) == ("ValidationException", INTERVAL)
    time.sleep(max(0.0, enabled + 3.2 - time.monotonic()))
    r = ttl(ddb, t, False)
    assert r["TimeToLiveSpecification"] == {"Enabled": False, "AttributeName": "expires"}
    assert ddb.describe_time_to_live(TableName=t)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "DISABLED"}


def test_disable_when_disabled(ddb, table_h):
    with pytest.raises(ClientError) as e:
        ttl(ddb, table_h, False)
    assert err(e) == ("ValidationException", "TimeToLive is already disabled")


@CONSTRAINT_WORDING
def test_errors(ddb, ddb_nv, table_h):
    with pytest.raises(ClientError) as e:
        ttl(ddb, unique_name(), True)
    assert err(e)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        ddb.describe_time_to_live(TableName=unique_name())
    assert err(e)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        ttl(ddb_nv, table_h, True, "x" * 256)
    assert err(e)[0] == "ValidationException" and "length" in err(e)[1]
    with pytest.raises(ClientError) as e:
        ttl(ddb_nv, table_h, True, "")
    assert err(e)[0] == "ValidationException" and "length" in err(e)[1]
    with pytest.raises(ClientError) as e:
        ddb_nv.update_time_to_live(TableName=table_h, TimeToLiveSpecification={"Enabled": True})
    assert err(e)[0] == "ValidationException" and "attributeName" in err(e)[1]
    with pytest.raises(ClientError) as e:
        ddb_nv.update_time_to_live(TableName=table_h,
                                   TimeToLiveSpecification={"AttributeName": "x"})
    assert err(e)[0] == "ValidationException" and "enabled" in err(e)[1]


def wait_gone(client, table, pk, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "Item" not in client.get_item(TableName=table, Key={"pk": {"S": pk}},
                                          ConsistentRead=True):
            return True
        time.sleep(0.05)
    return False


def test_expired_items_are_deleted_and_streamed(fast_sweep):
    ddb = make_client(fast_sweep)
    streams = make_client(fast_sweep, "dynamodbstreams")
    t = unique_name()
    ddb.create_table(TableName=t, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     StreamSpecification={"StreamEnabled": True,
                                          "StreamViewType": "NEW_AND_OLD_IMAGES"})
    now = int(time.time())
    items = {
        "expired": {"N": str(now - 60)},
        "soon": {"N": str(now + 2)},
        "future": {"N": str(now + 3600)},
        "not-a-number": {"S": str(now - 60)},
        "too-old": {"N": "162777600"},  # more than five years ago: DynamoDB ignores it
    }
    for pk, exp in items.items():
        ddb.put_item(TableName=t, Item={"pk": {"S": pk}, "exp": exp})
    ddb.put_item(TableName=t, Item={"pk": {"S": "no-attr"}})
    time.sleep(0.3)
    assert "Item" in ddb.get_item(TableName=t, Key={"pk": {"S": "expired"}})  # TTL still off
    ttl(ddb, t, True, "exp")

    assert wait_gone(ddb, t, "expired")
    assert wait_gone(ddb, t, "soon")
    for pk in ["future", "not-a-number", "too-old", "no-attr"]:
        assert "Item" in ddb.get_item(TableName=t, Key={"pk": {"S": pk}}), pk
    left = {i["pk"]["S"] for i in ddb.scan(TableName=t)["Items"]}
    assert left == {"future", "not-a-number", "too-old", "no-attr"}

    arn = ddb.describe_table(TableName=t)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=it)["Records"]
    removes = [r for r in records if r["eventName"] == "REMOVE"]
    assert sorted(r["dynamodb"]["Keys"]["pk"]["S"] for r in removes) == ["expired", "soon"]
    for r in removes:
        assert r["userIdentity"] == {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
        assert "exp" in r["dynamodb"]["OldImage"]
    assert all("userIdentity" not in r for r in records if r["eventName"] == "INSERT")
    ddb.delete_table(TableName=t)


def test_rewritten_item_with_later_expiry_survives(fast_sweep):
    ddb = make_client(fast_sweep)
    t = unique_name()
    ddb.create_table(TableName=t, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    ttl(ddb, t, True, "exp")
    now = int(time.time())
    ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "exp": {"N": str(now + 1)}})
    ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "exp": {"N": str(now + 3600)}})
    time.sleep(2.5)
    assert "Item" in ddb.get_item(TableName=t, Key={"pk": {"S": "a"}})
    ttl(ddb, t, False, "exp")
    ddb.put_item(TableName=t, Item={"pk": {"S": "b"}, "exp": {"N": str(now - 10)}})
    time.sleep(0.5)
    assert "Item" in ddb.get_item(TableName=t, Key={"pk": {"S": "b"}})  # TTL disabled again
    ddb.delete_table(TableName=t)
