"""Transient table and index states on request: `--delay-transient-statuses[=DURATION]`.

DynamoDB creates, updates and deletes tables and indexes asynchronously; DynamoDB Local's
-delayTransientStatuses makes it pause in those states so that applications' waiters are
exercised. These tests start their own `cruddur ddb serve --delay-transient-statuses=...` (so they
are skipped when DDB_ENDPOINT is set), and check the states, boto3's waiters and DynamoDB's answers
in each state. Each test names where its expectation comes from.
"""

import json
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

from ddbtest import (DELAY, FAST, cruddur_bin, err, error_message, error_type, make_client,
                     raw_call, start_server, unique_name)


def create(client, name, **kwargs):
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}] + kwargs.pop("extra_attrs", [])
    return client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                               KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                               AttributeDefinitions=attrs, **kwargs)["TableDescription"]


def status(client, name):
    return client.describe_table(TableName=name)["Table"]["TableStatus"]


def in_use(name, doing):
    return ("ResourceInUseException",
            "Attempt to change a resource which is still in use: Table is being %s: %s"
            % (doing, name))


def active_table(client, **kwargs):
    name = unique_name("transient")
    create(client, name, **kwargs)
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig=FAST)
    return name


def test_create_table_is_creating_until_the_waiter_sees_active(delayed):
    """CreateTable reference: "DynamoDB immediately returns a response with a TableStatus of
    CREATING. After the table is created, DynamoDB sets the TableStatus to ACTIVE. You can perform
    read and write operations only on an ACTIVE table." Reads and writes before then are
    ResourceNotFoundException "Requested resource not found" (DynamoDB's data-plane wording; the
    same in dynalite). The table_exists waiter polls DescribeTable until ACTIVE (botocore
    waiters-2.json)."""
    name = unique_name("transient")
    started = time.monotonic()
    assert create(delayed, name)["TableStatus"] == "CREATING"
    assert status(delayed, name) == "CREATING"
    assert name in delayed.list_tables()["TableNames"]
    for call in (lambda: delayed.put_item(TableName=name, Item={"pk": {"S": "a"}}),
                 lambda: delayed.get_item(TableName=name, Key={"pk": {"S": "a"}}),
                 lambda: delayed.scan(TableName=name)):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == ("ResourceNotFoundException", "Requested resource not found")

    delayed.get_waiter("table_exists").wait(TableName=name, WaiterConfig=FAST)
    assert time.monotonic() - started >= DELAY * 0.9
    assert status(delayed, name) == "ACTIVE"
    delayed.put_item(TableName=name, Item={"pk": {"S": "a"}})
    assert delayed.get_item(TableName=name, Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}


def test_changes_to_a_creating_table_are_refused(delayed):
    """DeleteTable reference: "If a table is in CREATING or UPDATING states, then DynamoDB returns
    a ResourceInUseException." The message is DynamoDB's, as measured on a table being created
    ("Attempt to change a resource which is still in use: Table is being created: <name>", also
    dynalite's DeleteTable); UpdateTable is refused alike."""
    name = unique_name("transient")
    create(delayed, name)
    with pytest.raises(ClientError) as e:
        delayed.delete_table(TableName=name)
    assert err(e) == in_use(name, "created")
    with pytest.raises(ClientError) as e:
        delayed.update_table(TableName=name, StreamSpecification={
            "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    assert err(e) == in_use(name, "created")
    delayed.get_waiter("table_exists").wait(TableName=name, WaiterConfig=FAST)
    delayed.delete_table(TableName=name)


def test_update_table_is_updating_and_keeps_serving_items(delayed):
    """TableDescription.TableStatus reference: "UPDATING - The table/index configuration is being
    updated. The table/index remains available for data operations when UPDATING." A second
    UpdateTable or a DeleteTable meanwhile is ResourceInUseException "... Table is being updated:
    <name>" (DeleteTable reference; the wording as DynamoDB answers it, quoted by the Terraform
    AWS provider's retry of DeleteTable)."""
    name = active_table(delayed)
    desc = delayed.update_table(TableName=name, BillingMode="PROVISIONED", ProvisionedThroughput={
        "ReadCapacityUnits": 5, "WriteCapacityUnits": 5})["TableDescription"]
    assert desc["TableStatus"] == "UPDATING"
    assert status(delayed, name) == "UPDATING"
    delayed.put_item(TableName=name, Item={"pk": {"S": "during"}})
    assert delayed.get_item(TableName=name, Key={"pk": {"S": "during"}})["Item"]
    with pytest.raises(ClientError) as e:
        delayed.update_table(TableName=name, ProvisionedThroughput={
            "ReadCapacityUnits": 6, "WriteCapacityUnits": 6})
    assert err(e) == in_use(name, "updated")
    with pytest.raises(ClientError) as e:
        delayed.delete_table(TableName=name)
    assert err(e) == in_use(name, "updated")

    delayed.get_waiter("table_exists").wait(TableName=name, WaiterConfig=FAST)
    desc = delayed.describe_table(TableName=name)["Table"]
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    delayed.delete_table(TableName=name)


@pytest.mark.source("ddb-answer: while a stream change keeps the table UPDATING, DeleteTable, a "
                    "TableClass change and a GSI create are ResourceInUseException in words naming "
                    "the stream change, and deletion protection is admitted; during a TableClass "
                    "switch a stream change is refused naming the class, as DynamoDB answered in "
                    "2026 (ack-api-quirks dynamodb DDB-TABLE-002, -119, -175, -286)")
def test_updating_table_words_its_refusals_after_what_is_in_flight(delayed):
    name = active_table(delayed)
    delayed.update_table(TableName=name, StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    prefix = "Attempt to change a resource which is still in use: "
    with pytest.raises(ClientError) as e:
        delayed.delete_table(TableName=name)
    assert err(e) == ("ResourceInUseException",
                      prefix + "Cannot delete table while stream is being enabled/disabled.")
    with pytest.raises(ClientError) as e:
        delayed.update_table(TableName=name, TableClass="STANDARD_INFREQUENT_ACCESS")
    assert err(e) == ("ResourceInUseException",
                      prefix + "Can't update table class when stream status is being updated. "
                      "Table: " + name)
    status_code, body = raw_call(delayed.meta.endpoint_url, "UpdateTable",
                                 {"TableName": name, "DeletionProtectionEnabled": True})
    assert (status_code, body["TableDescription"]["TableStatus"]) == (200, "UPDATING")
    delayed.get_waiter("table_exists").wait(TableName=name, WaiterConfig=FAST)
    raw_call(delayed.meta.endpoint_url, "UpdateTable",
             {"TableName": name, "DeletionProtectionEnabled": False})

    delayed.update_table(TableName=name, TableClass="STANDARD_INFREQUENT_ACCESS")
    with pytest.raises(ClientError) as e:
        delayed.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    assert err(e) == ("ResourceInUseException",
                      prefix + "Can't change stream status when a table class update is in "
                      "progress. Table: %s TableClassUpdateInProgress: STANDARD_INFREQUENT_ACCESS"
                      % name)
    delayed.get_waiter("table_exists").wait(TableName=name, WaiterConfig=FAST)
    delayed.delete_table(TableName=name)


@pytest.mark.source("ddb-answer: a GSI added by UpdateTable is CREATING with Backfilling false "
                    "while its resources are allocated (TableStatus UPDATING), then CREATING with "
                    "Backfilling true while TableStatus is ACTIVE again, and DeleteTable is refused "
                    "until it is ACTIVE, as DynamoDB answered in 2026 (ack-api-quirks dynamodb "
                    "DDB-TABLE-138, -148, -150)")
def test_new_gsi_is_allocated_then_backfills_before_it_answers(delayed):
    """GlobalSecondaryIndexDescription reference: an index added to an existing table is
    IndexStatus CREATING until it is ACTIVE, Backfilling true while it is being filled. Reading it
    meanwhile is ValidationException "Cannot read from backfilling global secondary index: <name>"
    (DynamoDB's answer, as applications handle it). Once ACTIVE it holds the items written before
    it. A waiter that waits only for the table to be ACTIVE again does not wait for the index, on
    DynamoDB as here."""
    name = active_table(delayed)
    delayed.put_item(TableName=name, Item={"pk": {"S": "a"}, "g": {"S": "x"}})
    desc = delayed.update_table(
        TableName=name, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {
            "IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}}])["TableDescription"]
    assert desc["TableStatus"] == "UPDATING"
    assert desc["GlobalSecondaryIndexes"][0]["IndexStatus"] == "CREATING"
    table = delayed.describe_table(TableName=name)["Table"]
    gsi = table["GlobalSecondaryIndexes"][0]
    assert (table["TableStatus"], gsi["IndexStatus"], gsi["Backfilling"]) == \
        ("UPDATING", "CREATING", False)
    with pytest.raises(ClientError) as e:
        delayed.query(TableName=name, IndexName="by_g", KeyConditionExpression="g = :g",
                      ExpressionAttributeValues={":g": {"S": "x"}})
    assert err(e) == ("ValidationException",
                      "Cannot read from backfilling global secondary index: by_g")

    delayed.get_waiter("table_exists").wait(TableName=name, WaiterConfig=FAST)
    gsi = delayed.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0]
    assert (gsi["IndexStatus"], gsi["Backfilling"]) == ("CREATING", True)
    with pytest.raises(ClientError) as e:
        delayed.query(TableName=name, IndexName="by_g", KeyConditionExpression="g = :g",
                      ExpressionAttributeValues={":g": {"S": "x"}})
    assert err(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:
        delayed.delete_table(TableName=name)
    assert err(e) == ("ResourceInUseException",
                      "Attempt to change a resource which is still in use: Cannot delete table "
                      "while indexes are being created, updated, or deleted.")

    deadline = time.monotonic() + DELAY + 10
    while gsi["IndexStatus"] != "ACTIVE":
        assert time.monotonic() < deadline, gsi
        time.sleep(0.1)
        gsi = delayed.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0]
    assert "Backfilling" not in gsi
    r = delayed.query(TableName=name, IndexName="by_g", KeyConditionExpression="g = :g",
                      ExpressionAttributeValues={":g": {"S": "x"}})
    assert r["Items"] == [{"pk": {"S": "a"}, "g": {"S": "x"}}]
    delayed.delete_table(TableName=name)


@pytest.mark.source("ddb-answer: while a new GSI's resources are allocated, deleting it is "
                    "ResourceInUseException 'Index creation is in resource allocation phase...', "
                    "another index create is LimitExceededException 'Only 1 online index...' "
                    "(in both phases) and a stream change ResourceInUseException; once it "
                    "backfills its deletion is admitted, as DynamoDB answered in 2026 "
                    "(ack-api-quirks dynamodb DDB-TABLE-149, -159, -458)")
def test_index_being_created_holds_back_other_index_changes(delayed):
    name = active_table(delayed)
    delayed.update_table(
        TableName=name, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {
            "IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}}])
    delete = {"TableName": name, "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "by_g"}}]}
    with pytest.raises(ClientError) as e:
        delayed.update_table(**delete)
    assert err(e) == (
        "ResourceInUseException",
        "Attempt to change a resource which is still in use: Index creation is in resource "
        "allocation phase. Retry deletion during backfilling phase or when the index is active. "
        "Table: %s Index: by_g" % name)
    other = {"TableName": name,
             "AttributeDefinitions": [{"AttributeName": "h", "AttributeType": "S"}],
             "GlobalSecondaryIndexUpdates": [{"Create": {
                 "IndexName": "by_h", "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"}],
                 "Projection": {"ProjectionType": "KEYS_ONLY"}}}]}
    only_one = ("LimitExceededException",
                "Subscriber limit exceeded: Only 1 online index can be created or deleted "
                "simultaneously per table")
    with pytest.raises(ClientError) as e:
        delayed.update_table(**other)
    assert err(e) == only_one
    with pytest.raises(ClientError) as e:
        delayed.update_table(TableName=name, StreamSpecification={
            "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    assert err(e)[0] == "ResourceInUseException"
    assert "Can't change stream status when an index is being created" in err(e)[1]

    delayed.get_waiter("table_exists").wait(TableName=name, WaiterConfig=FAST)
    with pytest.raises(ClientError) as e:
        delayed.update_table(**other)
    assert err(e) == only_one
    desc = delayed.update_table(**delete)["TableDescription"]
    assert (desc["TableStatus"], desc["GlobalSecondaryIndexes"][0]["IndexStatus"]) == \
        ("UPDATING", "DELETING")


@pytest.mark.source("ddb-answer: while a GSI is DELETING, a billing switch or table throughput is "
                    "ResourceInUseException 'Can't change table IOPS when an index is being "
                    "deleted...', an Update of that index 'Index is being deleted...', DeleteTable "
                    "'Cannot delete table while indexes are being created, updated, or deleted.' "
                    "and deletion protection is admitted, as DynamoDB answered in 2026 "
                    "(ack-api-quirks dynamodb DDB-TABLE-376)")
def test_index_being_deleted_holds_back_table_throughput(delayed):
    name = unique_name("transient")
    delayed.create_table(
        TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "g", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
        GlobalSecondaryIndexes=[{
            "IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}])
    delayed.get_waiter("table_exists").wait(TableName=name, WaiterConfig=FAST)
    delayed.update_table(TableName=name,
                         GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_g"}}])
    iops = ("ResourceInUseException",
            "Attempt to change a resource which is still in use: Can't change table IOPS when an "
            "index is being deleted. Table: %s Indexes: [by_g]" % name)
    with pytest.raises(ClientError) as e:
        delayed.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    assert err(e) == iops
    with pytest.raises(ClientError) as e:
        delayed.update_table(TableName=name, ProvisionedThroughput={
            "ReadCapacityUnits": 2, "WriteCapacityUnits": 2})
    assert err(e) == iops
    with pytest.raises(ClientError) as e:
        delayed.update_table(
            TableName=name,
            ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 2},
            GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "by_g", "ProvisionedThroughput": {
                "ReadCapacityUnits": 2, "WriteCapacityUnits": 2}}}])
    assert err(e) == ("ResourceInUseException",
                      "Attempt to change a resource which is still in use: Index is being "
                      "deleted. Table: %s Index: by_g" % name)
    with pytest.raises(ClientError) as e:
        delayed.delete_table(TableName=name)
    assert err(e) == ("ResourceInUseException",
                      "Attempt to change a resource which is still in use: Cannot delete table "
                      "while indexes are being created, updated, or deleted.")
    # (Debian's botocore predates DeletionProtectionEnabled: a signed request of its own.)
    status, body = raw_call(delayed.meta.endpoint_url, "UpdateTable",
                            {"TableName": name, "DeletionProtectionEnabled": True})
    assert status == 200, body
    desc = body["TableDescription"]
    assert (desc["TableStatus"], desc["DeletionProtectionEnabled"]) == ("UPDATING", True)
    delayed.get_waiter("table_exists").wait(TableName=name, WaiterConfig=FAST)
    status, body = raw_call(delayed.meta.endpoint_url, "UpdateTable",
                            {"TableName": name, "DeletionProtectionEnabled": False})
    assert status == 200, body
    delayed.update_table(TableName=name, ProvisionedThroughput={
        "ReadCapacityUnits": 2, "WriteCapacityUnits": 2})


def test_deleted_gsi_is_deleting_then_gone(delayed):
    """GlobalSecondaryIndexDescription reference: "DELETING - The index is being deleted." Its
    name no longer answers a Query ("The table does not have the specified index: <name>", as for
    any unknown index)."""
    name = active_table(delayed, extra_attrs=[{"AttributeName": "g", "AttributeType": "S"}],
                        GlobalSecondaryIndexes=[{
                            "IndexName": "by_g",
                            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                            "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    delayed.update_table(TableName=name,
                         GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_g"}}])
    gsis = delayed.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
    assert [(g["IndexName"], g["IndexStatus"]) for g in gsis] == [("by_g", "DELETING")]
    with pytest.raises(ClientError) as e:
        delayed.query(TableName=name, IndexName="by_g", KeyConditionExpression="g = :g",
                      ExpressionAttributeValues={":g": {"S": "x"}})
    assert err(e) == ("ValidationException",
                      "The table does not have the specified index: by_g")
    delayed.get_waiter("table_exists").wait(TableName=name, WaiterConfig=FAST)
    deadline = time.monotonic() + DELAY + 10
    while "GlobalSecondaryIndexes" in delayed.describe_table(TableName=name)["Table"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)


@pytest.mark.source("ddb-answer: a second DeleteTable while DELETING is ResourceInUseException "
                    "'Table is being deleted', and a CreateTable of the name 'Table already "
                    "exists', as DynamoDB answered in 2026 (ack-api-quirks dynamodb "
                    "DDB-TABLE-005/006/008); the API reference says no error is returned")
def test_deleting_table_until_the_waiter_sees_it_gone(delayed):
    """DeleteTable reference: "After a DeleteTable request, the specified table is in the DELETING
    state until DynamoDB completes the deletion". It also says "If table is already in the DELETING
    state, no error is returned", but DynamoDB answered a second DeleteTable with
    ResourceInUseException until the table was gone (ack-api-quirks DDB-TABLE-008). Reads and
    writes are answered as for a missing table (DynamoDB "might" still accept them; dynalite
    refuses them). The table_not_exists waiter polls DescribeTable until
    ResourceNotFoundException (botocore waiters-2.json)."""
    name = active_table(delayed)
    delayed.put_item(TableName=name, Item={"pk": {"S": "a"}})
    started = time.monotonic()
    assert delayed.delete_table(TableName=name)["TableDescription"]["TableStatus"] == "DELETING"
    assert status(delayed, name) == "DELETING"
    assert name in delayed.list_tables()["TableNames"]
    with pytest.raises(ClientError) as e:
        delayed.get_item(TableName=name, Key={"pk": {"S": "a"}})
    assert err(e) == ("ResourceNotFoundException", "Requested resource not found")
    with pytest.raises(ClientError) as e:
        delayed.delete_table(TableName=name)
    assert err(e) == in_use(name, "deleted")
    with pytest.raises(ClientError) as e:
        delayed.update_table(TableName=name, StreamSpecification={
            "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    assert err(e) == in_use(name, "deleted")
    # Its name is not free yet: CreateTable finds the table there (DDB-TABLE-005/006; an older
    # report, Wantworthy/dynode#26, had "... Table is being deleted: <name>").
    with pytest.raises(ClientError) as e:
        create(delayed, name)
    assert err(e) == ("ResourceInUseException", "Table already exists: %s" % name)

    delayed.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig=FAST)
    assert time.monotonic() - started >= DELAY * 0.9
    with pytest.raises(ClientError) as e:
        delayed.describe_table(TableName=name)
    assert err(e) == ("ResourceNotFoundException",
                      "Requested resource not found: Table: %s not found" % name)
    assert name not in delayed.list_tables()["TableNames"]
    # The name is free again, for a new, empty table.
    create(delayed, name)
    delayed.get_waiter("table_exists").wait(TableName=name, WaiterConfig=FAST)
    assert delayed.scan(TableName=name)["Count"] == 0
    delayed.delete_table(TableName=name)


@pytest.mark.source("ddb-answer: TagResource and UntagResource of a table being deleted are "
                    "ResourceInUseException 'Table is being deleted' while ListTagsOfResource "
                    "still answers, as DynamoDB answered in 2026 (ack-api-quirks dynamodb "
                    "DDB-TABLE-104, -374)")
def test_tags_of_a_table_being_deleted_are_read_only(delayed):
    """DDB-TABLE-104: after DeleteTable, TagResource is ResourceInUseException while
    ListTagsOfResource still returns the tags; UntagResource alike; PutResourcePolicy of a new
    policy too (DDB-TABLE-374)."""
    name = active_table(delayed, Tags=[{"Key": "team", "Value": "dm"}])
    arn = delayed.describe_table(TableName=name)["Table"]["TableArn"]
    delayed.delete_table(TableName=name)
    with pytest.raises(ClientError) as e:
        delayed.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert err(e) == in_use(name, "deleted")
    with pytest.raises(ClientError) as e:
        delayed.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert err(e) == in_use(name, "deleted")
    assert delayed.list_tags_of_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "team", "Value": "dm"}]
    # Nor does it take a new resource policy (DDB-TABLE-374).
    status, body = raw_call(delayed.meta.endpoint_url, "PutResourcePolicy", {
        "ResourceArn": arn, "Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "dynamodb:GetItem", "Resource": "*"}]})})
    assert (status, error_type(body), error_message(body)) == (400,) + in_use(name, "deleted")


@pytest.mark.source("ddb-answer: DescribeTimeToLive of a table being created or deleted is "
                    "refused, as DynamoDB answered in 2026 (ack-api-quirks dynamodb DDB-TABLE-100)")
def test_time_to_live_is_not_described_while_the_table_is_created_or_deleted(delayed):
    """'Cannot describe time to live while table is in DELETING state: Current table state is
    DELETING' (DDB-TABLE-100), and likewise while CREATING (that document's rules)."""
    name = unique_name("transient")
    create(delayed, name)
    for state in ("CREATING", "DELETING"):
        with pytest.raises(ClientError) as e:
            delayed.describe_time_to_live(TableName=name)
        assert err(e) == ("ValidationException", "Cannot describe time to live while table is "
                          "in %s state: Current table state is %s" % (state, state))
        if state == "CREATING":
            delayed.get_waiter("table_exists").wait(TableName=name, WaiterConfig=FAST)
            assert delayed.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {
                "TimeToLiveStatus": "DISABLED"}
            delayed.delete_table(TableName=name)


def test_without_the_flag_changes_are_immediate(ddb, foreign_endpoint):
    """The default (DESIGN.md, `cruddur ddb serve`): no delay, as DynamoDB Local without
    -delayTransientStatuses — the table is ACTIVE for the very next request and gone right after
    DeleteTable, so the waiters return at their first poll."""
    if foreign_endpoint:
        pytest.skip("DDB_ENDPOINT is set: another server's timing")
    name = unique_name("transient")
    create(ddb, name)
    assert status(ddb, name) == "ACTIVE"
    ddb.delete_table(TableName=name)
    with pytest.raises(ClientError) as e:
        ddb.describe_table(TableName=name)
    assert err(e)[0] == "ResourceNotFoundException"


def test_states_resolve_by_time_across_a_restart(tmp_path, foreign_endpoint):
    """A persistent server keeps the states in its catalog: a table deleted just before a stop is
    gone after a restart once the delay has passed, and its name can be used again (the same
    end state as DynamoDB's, whose deletion carries on without the client)."""
    if foreign_endpoint:
        pytest.skip("DDB_ENDPOINT is set: cannot restart a server this suite did not start")
    args = ["--data-dir", str(tmp_path / "data"),
            "--delay-transient-statuses=%dms" % (DELAY * 1000)]
    server = start_server(args, tmp_path / "a.log")
    try:
        c = make_client(server.endpoint)
        create(c, "restarted")
        c.get_waiter("table_exists").wait(TableName="restarted", WaiterConfig=FAST)
        c.put_item(TableName="restarted", Item={"pk": {"S": "a"}})
        c.delete_table(TableName="restarted")
    finally:
        server.stop()
    time.sleep(DELAY)
    server = start_server(args, tmp_path / "b.log")
    try:
        c = make_client(server.endpoint)
        with pytest.raises(ClientError) as e:
            c.describe_table(TableName="restarted")
        assert err(e)[0] == "ResourceNotFoundException"
        assert c.list_tables()["TableNames"] == []
        create(c, "restarted")
        c.get_waiter("table_exists").wait(TableName="restarted", WaiterConfig=FAST)
        assert c.scan(TableName="restarted")["Count"] == 0
    finally:
        server.stop()


@pytest.mark.parametrize("command", [["ddb", "serve"], ["serve"]])
def test_help_describes_the_flag(command):
    """The flag as DESIGN.md's command line names it, in both servers' --help."""
    done = subprocess.run([cruddur_bin()] + command + ["--help"], capture_output=True, text=True)
    assert done.returncode == 0
    assert "--delay-transient-statuses [=DURATION]" in done.stdout, done.stdout
    assert "given alone: 5s" in done.stdout


def test_bad_duration_is_one_line():
    """The CLI's rule (src/cli/README.md): a bad flag is one line "cruddur: <reason>", exit 1."""
    done = subprocess.run([cruddur_bin(), "ddb", "serve", "--in-memory", "--port", "0",
                           "--delay-transient-statuses=soon"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)
    assert done.returncode == 1
    assert done.stderr == ("cruddur: --delay-transient-statuses expects a duration such as "
                           "500ms, 5s or 1m (at most a day), got 'soon'\n")
