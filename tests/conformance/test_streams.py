"""DynamoDB Streams end to end: a table's writes read back with boto3's dynamodbstreams client
and with the aws CLI.

Error types follow real DynamoDB (checked against the Streams API reference and ScyllaDB's
Alternator tests, which run against AWS); messages are only checked where DynamoDB's wording is
documented ("Invalid ShardIterator" is not, so only the type is checked for it).
"""

import json
import os
import shutil
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

from ddbtest import err, make_client, unique_name
from provenance import MISSING_ITEM_NOT_CREATED

AWS = "/usr/bin/aws" if os.path.exists("/usr/bin/aws") else shutil.which("aws")


@pytest.fixture(scope="module")
def streams(endpoint):
    return make_client(endpoint, "dynamodbstreams")


def stream_table(tables, view, range_key=("sk", "S")):
    name = tables.create(range_key=range_key,
                         StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
    return name


def latest_arn(ddb, table):
    return ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]


def shard_of(streams, arn):
    return streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]


def iterator(streams, arn, kind="TRIM_HORIZON", seq=None):
    args = {"StreamArn": arn, "ShardId": shard_of(streams, arn), "ShardIteratorType": kind}
    if seq is not None:
        args["SequenceNumber"] = seq
    return streams.get_shard_iterator(**args)["ShardIterator"]


def read_all(streams, it, limit=None):
    """Reads until a page comes back empty; returns (records, next iterator)."""
    out = []
    while True:
        args = {"ShardIterator": it}
        if limit:
            args["Limit"] = limit
        page = streams.get_records(**args)
        out.extend(page["Records"])
        it = page.get("NextShardIterator")
        if not page["Records"] or it is None:
            return out, it


def key(ddb_item, name="pk"):
    return ddb_item[name]["S"]


@pytest.mark.source(
    "ddblocal-deviation: documented (DynamoDB Local usage notes, Differences: AWS Regions are "
    "not supported): its stream records say awsRegion 'ddblocal'")
def test_insert_modify_remove_new_and_old_images(ddb, streams, tables):
    t = stream_table(tables, "NEW_AND_OLD_IMAGES")
    k = {"pk": {"S": "p"}, "sk": {"S": "s"}}
    ddb.put_item(TableName=t, Item={**k, "a": {"S": "one"}})
    ddb.update_item(TableName=t, Key=k, UpdateExpression="SET a = :v",
                    ExpressionAttributeValues={":v": {"S": "two"}})
    ddb.delete_item(TableName=t, Key=k)
    records, nxt = read_all(streams, iterator(streams, latest_arn(ddb, t)))
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    assert nxt is not None  # an open shard always hands out a next iterator
    ins, mod, rem = (r["dynamodb"] for r in records)
    assert ins["Keys"] == k
    assert ins["NewImage"] == {**k, "a": {"S": "one"}} and "OldImage" not in ins
    assert mod["OldImage"]["a"] == {"S": "one"} and mod["NewImage"]["a"] == {"S": "two"}
    assert rem["OldImage"]["a"] == {"S": "two"} and "NewImage" not in rem
    seqs = [r["dynamodb"]["SequenceNumber"] for r in records]
    assert all(s.isdecimal() for s in seqs)
    assert [int(s) for s in seqs] == sorted(int(s) for s in seqs) and len(set(seqs)) == 3
    for r in records:
        assert r["eventSource"] == "aws:dynamodb"
        assert r["eventVersion"] == "1.1"
        assert r["awsRegion"] == "us-east-1"
        assert r["eventID"]
        assert r["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert r["dynamodb"]["SizeBytes"] > 0
        assert abs(r["dynamodb"]["ApproximateCreationDateTime"].timestamp() - time.time()) < 120
        assert "userIdentity" not in r


@pytest.mark.parametrize("view", ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE"])
def test_view_types(ddb, streams, tables, view):
    t = stream_table(tables, view, range_key=None)
    ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "a": {"N": "1"}})
    ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "a": {"N": "2"}})
    records, _ = read_all(streams, iterator(streams, latest_arn(ddb, t)))
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    mod = records[1]["dynamodb"]
    assert mod["Keys"] == {"pk": {"S": "p"}}
    assert ("NewImage" in mod) == (view == "NEW_IMAGE")
    assert ("OldImage" in mod) == (view == "OLD_IMAGE")
    if view == "NEW_IMAGE":
        assert mod["NewImage"]["a"] == {"N": "2"}
    if view == "OLD_IMAGE":
        assert mod["OldImage"]["a"] == {"N": "1"}


@MISSING_ITEM_NOT_CREATED
def test_only_real_changes_are_recorded(ddb, streams, tables):
    t = stream_table(tables, "KEYS_ONLY", range_key=None)
    item = {"pk": {"S": "p"}, "a": {"SS": ["x", "y"]}}
    ddb.put_item(TableName=t, Item=item)
    ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "a": {"SS": ["y", "x"]}})  # same set
    ddb.delete_item(TableName=t, Key={"pk": {"S": "missing"}})
    ddb.update_item(TableName=t, Key={"pk": {"S": "p"}}, UpdateExpression="SET a = a")
    # REMOVE on a missing item creates nothing, so it records nothing.
    ddb.update_item(TableName=t, Key={"pk": {"S": "missing"}}, UpdateExpression="REMOVE a")
    with pytest.raises(ClientError):
        ddb.put_item(TableName=t, Item=item, ConditionExpression="attribute_not_exists(pk)")
    records, _ = read_all(streams, iterator(streams, latest_arn(ddb, t)))
    assert [r["eventName"] for r in records] == ["INSERT"]


def test_batch_and_transaction_writes(ddb, streams, tables):
    t = stream_table(tables, "NEW_IMAGE", range_key=None)
    ddb.batch_write_item(RequestItems={t: [
        {"PutRequest": {"Item": {"pk": {"S": "a"}}}},
        {"PutRequest": {"Item": {"pk": {"S": "b"}}}}]})
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": t, "Item": {"pk": {"S": "c"}}}},
        {"Delete": {"TableName": t, "Key": {"pk": {"S": "a"}}}}])
    records, _ = read_all(streams, iterator(streams, latest_arn(ddb, t)))
    assert sorted((r["eventName"], key(r["dynamodb"]["Keys"])) for r in records) == [
        ("INSERT", "a"), ("INSERT", "b"), ("INSERT", "c"), ("REMOVE", "a")]


def test_iterator_types_and_paging(ddb, streams, tables):
    t = stream_table(tables, "KEYS_ONLY", range_key=None)
    arn = latest_arn(ddb, t)
    for i in range(5):
        ddb.put_item(TableName=t, Item={"pk": {"S": f"k{i}"}})
    latest = iterator(streams, arn, "LATEST")
    ddb.put_item(TableName=t, Item={"pk": {"S": "k5"}})

    records, _ = read_all(streams, iterator(streams, arn))
    assert [key(r["dynamodb"]["Keys"]) for r in records] == [f"k{i}" for i in range(6)]
    seq2 = records[2]["dynamodb"]["SequenceNumber"]

    page = streams.get_records(ShardIterator=latest)
    assert [key(r["dynamodb"]["Keys"]) for r in page["Records"]] == ["k5"]
    at = streams.get_records(ShardIterator=iterator(streams, arn, "AT_SEQUENCE_NUMBER", seq2),
                             Limit=1)
    assert [r["dynamodb"]["SequenceNumber"] for r in at["Records"]] == [seq2]
    after = streams.get_records(
        ShardIterator=iterator(streams, arn, "AFTER_SEQUENCE_NUMBER", seq2), Limit=1)
    assert [key(r["dynamodb"]["Keys"]) for r in after["Records"]] == ["k3"]

    # Paging by 2 visits every record once, in order, and the last iterator sees later writes.
    paged, it = read_all(streams, iterator(streams, arn), limit=2)
    assert [key(r["dynamodb"]["Keys"]) for r in paged] == [f"k{i}" for i in range(6)]
    ddb.put_item(TableName=t, Item={"pk": {"S": "k6"}})
    assert [key(r["dynamodb"]["Keys"]) for r in streams.get_records(ShardIterator=it)["Records"]] \
        == ["k6"]


def test_describe_and_list_streams(ddb, streams, tables):
    t = stream_table(tables, "KEYS_ONLY")
    arn = latest_arn(ddb, t)
    listed = streams.list_streams(TableName=t)["Streams"]
    assert listed == [{"StreamArn": arn, "TableName": t,
                       "StreamLabel": arn.rsplit("/", 1)[1]}]
    desc = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert desc["StreamArn"] == arn
    assert desc["StreamStatus"] == "ENABLED"
    assert desc["StreamViewType"] == "KEYS_ONLY"
    assert desc["TableName"] == t
    assert desc["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                 {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert "CreationRequestDateTime" in desc
    shard = desc["Shards"][0]
    assert 28 <= len(shard["ShardId"]) <= 65
    assert shard["SequenceNumberRange"]["StartingSequenceNumber"].isdecimal()
    assert "EndingSequenceNumber" not in shard["SequenceNumberRange"]
    after_last = streams.describe_stream(StreamArn=arn, ExclusiveStartShardId=shard["ShardId"])
    assert after_last["StreamDescription"]["Shards"] == []


def test_list_streams_paging(ddb, streams, tables):
    names = {stream_table(tables, "KEYS_ONLY", range_key=None) for _ in range(3)}
    seen = []
    page = streams.list_streams(Limit=1)
    while True:
        assert len(page["Streams"]) <= 1
        seen += [s["TableName"] for s in page["Streams"]]
        if "LastEvaluatedStreamArn" not in page:
            break
        page = streams.list_streams(Limit=1, ExclusiveStartStreamArn=page["LastEvaluatedStreamArn"])
    assert all(seen.count(n) == 1 for n in names)


def test_disable_closes_and_enable_makes_new_stream(ddb, streams, tables):
    t = stream_table(tables, "NEW_IMAGE", range_key=None)
    arn = latest_arn(ddb, t)
    ddb.put_item(TableName=t, Item={"pk": {"S": "a"}})
    it = iterator(streams, arn)
    ddb.update_table(TableName=t, StreamSpecification={"StreamEnabled": False})
    ddb.put_item(TableName=t, Item={"pk": {"S": "b"}})  # no stream: not recorded
    desc = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert desc["StreamStatus"] == "DISABLED"
    assert "EndingSequenceNumber" in desc["Shards"][0]["SequenceNumberRange"]
    page = streams.get_records(ShardIterator=it)
    assert [key(r["dynamodb"]["Keys"]) for r in page["Records"]] == ["a"]
    assert "NextShardIterator" not in page  # closed shard, read to its end

    time.sleep(0.01)
    ddb.update_table(TableName=t, StreamSpecification={"StreamEnabled": True,
                                                       "StreamViewType": "KEYS_ONLY"})
    arn2 = latest_arn(ddb, t)
    assert arn2 != arn
    ddb.put_item(TableName=t, Item={"pk": {"S": "c"}})
    listed = streams.list_streams(TableName=t)["Streams"]
    assert sorted(s["StreamArn"] for s in listed) == sorted([arn, arn2])
    records, _ = read_all(streams, iterator(streams, arn2))
    assert [key(r["dynamodb"]["Keys"]) for r in records] == ["c"]
    assert streams.describe_stream(StreamArn=arn2)["StreamDescription"]["StreamStatus"] == \
        "ENABLED"


@pytest.mark.source(
    "docs: DeleteTable API reference: 'If you have DynamoDB Streams enabled on the table, then "
    "the corresponding stream on that table goes into the DISABLED state, and the stream is "
    "automatically deleted after 24 hours.' (and listed meanwhile: ack-api-quirks dynamodb, "
    "streams of deleted tables)")
def test_deleted_tables_stream_is_disabled_and_still_read(ddb, streams):
    name = unique_name("gone")
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2})
    arn = latest_arn(ddb, name)
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    ddb.delete_table(TableName=name)
    ddb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2})
    desc = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert (desc["StreamStatus"], desc["TableName"]) == ("DISABLED", name)
    records, it = read_all(streams, iterator(streams, arn))
    assert [key(r["dynamodb"]["Keys"]) for r in records] == ["a"]
    assert it is None  # the shard is closed
    assert [s["StreamArn"] for s in streams.list_streams(TableName=name)["Streams"]] == [arn]


@pytest.mark.source(
    "ddblocal-deviation: DescribeStream with a malformed StreamArn: DynamoDB answers "
    "ValidationException, DynamoDB Local ResourceNotFoundException (ScyllaDB's Alternator "
    "test_describe_nonexistent_stream records both)")
def test_errors(ddb, streams, tables, endpoint):
    t = stream_table(tables, "KEYS_ONLY", range_key=None)
    arn = latest_arn(ddb, t)
    shard = shard_of(streams, arn)
    bad_arn = "sdfadfsdfnlfkajakfgjalksfgklasjklasdjfklasdfasdfgasf"
    with pytest.raises(ClientError) as e:
        streams.describe_stream(StreamArn=bad_arn)
    assert err(e)[0] == "ValidationException"
    gone = arn.rsplit("/", 1)[0] + "/2000-01-01T00:00:00.000"
    with pytest.raises(ClientError) as e:
        streams.describe_stream(StreamArn=gone)
    assert err(e)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        streams.get_shard_iterator(StreamArn=arn, ShardId="shardId-00000000000000000000-00000000",
                                   ShardIteratorType="LATEST")
    assert err(e)[0] == "ResourceNotFoundException"
    for kind in ["AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"]:
        with pytest.raises(ClientError) as e:
            streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType=kind)
        assert err(e)[0] == "ValidationException"
    start = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0][
        "SequenceNumberRange"]["StartingSequenceNumber"]
    for kind in ["TRIM_HORIZON", "LATEST"]:
        with pytest.raises(ClientError) as e:
            streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType=kind,
                                       SequenceNumber=start)
        assert err(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:
        streams.get_records(ShardIterator="sdfsdfsgagaddafgagasgasgasdfasdfasdfasdfasdgasdasdgasdg")
    assert err(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:
        streams.list_streams(TableName=unique_name())
    assert err(e)[0] == "ResourceNotFoundException"
    nv = make_client(endpoint, "dynamodbstreams", parameter_validation=False)
    with pytest.raises(ClientError) as e:
        nv.list_streams(Limit=0)
    assert err(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:
        nv.get_records(ShardIterator=iterator(streams, arn, "LATEST"), Limit=1001)
    assert err(e)[0] in ("ValidationException", "LimitExceededException")


def test_table_without_stream_has_none(ddb, streams, table_h):
    ddb.put_item(TableName=table_h, Item={"pk": {"S": "a"}})
    assert streams.list_streams(TableName=table_h)["Streams"] == []
    assert "LatestStreamArn" not in ddb.describe_table(TableName=table_h)["Table"]


@pytest.mark.skipif(AWS is None, reason="aws CLI not installed")
def test_aws_cli_get_records(ddb, streams, tables, endpoint, tmp_path):
    t = stream_table(tables, "NEW_AND_OLD_IMAGES", range_key=None)
    ddb.put_item(TableName=t, Item={"pk": {"S": "cli"}, "n": {"N": "7"}})
    arn = latest_arn(ddb, t)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1",
                "AWS_CONFIG_FILE": str(tmp_path / "config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
                "HOME": str(tmp_path)})

    def aws(*args):
        p = subprocess.run([AWS, "--endpoint-url", endpoint, "--output", "json",
                            "dynamodbstreams"] + list(args),
                           env=env, capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    listed = aws("list-streams", "--table-name", t)
    assert listed["Streams"][0]["StreamArn"] == arn
    shard = aws("describe-stream", "--stream-arn", arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = aws("get-shard-iterator", "--stream-arn", arn, "--shard-id", shard,
             "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
    out = aws("get-records", "--shard-iterator", it)
    assert [r["eventName"] for r in out["Records"]] == ["INSERT"]
    assert out["Records"][0]["dynamodb"]["NewImage"] == {"pk": {"S": "cli"}, "n": {"N": "7"}}
    assert out["NextShardIterator"]
