"""Backups and restores made in the background, and point-in-time recovery of a deleted table.

DynamoDB answers CreateBackup, RestoreTableFromBackup and RestoreTableToPointInTime at once and
does the work afterwards: a backup is CREATING, then AVAILABLE; a restored table is CREATING with
RestoreSummary.RestoreInProgress true, then ACTIVE, without a RestoreSummary from then on
(ack-api-quirks dynamodb DDB-TABLE-216, recorded from DynamoDB in 2026). Each test says where its
expectation comes from.
"""

import datetime
import math
import re
import time

import pytest
from botocore.exceptions import ClientError

from ddbtest import (FAST, create_pk_table, enable_pitr, err, items_by_pk, unique_name,
                     wait_backup_available, wait_table_active)
from provenance import BACKUPS

pytestmark = BACKUPS

NOT_FOUND = ("ResourceNotFoundException", "Requested resource not found")


def create_table(ddb, gsi=False):
    name = unique_name("bs")
    create_pk_table(ddb, name, gsi)
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig=FAST)
    wait_table_active(ddb, name)
    return name


def load(ddb, table, keys, value):
    for start in range(0, len(keys), 25):
        ddb.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": {"pk": {"S": k}, "g": {"S": value}}}}
            for k in keys[start:start + 25]]})


def sleep_to_next_second():
    now = time.time()
    time.sleep(math.floor(now) + 1.1 - now)


def watch_restore(ddb, target):
    """Polls the restored table until ACTIVE; returns how many answers were CREATING. While it
    is CREATING, RestoreInProgress is true and GetItem is refused as for a missing table (an
    answer means the restore ended in between: the table is ACTIVE then)."""
    creating = 0
    deadline = time.monotonic() + 60
    while True:
        desc = ddb.describe_table(TableName=target)["Table"]
        if desc["TableStatus"] == "ACTIVE":
            assert "RestoreSummary" not in desc  # ack-api-quirks DDB-TABLE-216
            return creating
        assert desc["TableStatus"] == "CREATING"
        assert desc["RestoreSummary"]["RestoreInProgress"] is True
        creating += 1
        try:
            ddb.get_item(TableName=target, Key={"pk": {"S": "k00000"}})
            assert ddb.describe_table(TableName=target)["Table"]["TableStatus"] == "ACTIVE"
        except ClientError as e:
            assert (e.response["Error"]["Code"], e.response["Error"]["Message"]) == NOT_FOUND
        assert time.monotonic() < deadline, desc
        time.sleep(0.01)


def test_restores_answer_creating_and_fill_the_table_in_the_background(ddb):
    """RestoreTableFromBackup and RestoreTableToPointInTime (API reference) answer a
    TableDescription whose TableStatus is CREATING and whose RestoreSummary has
    RestoreInProgress true; the table is filled afterwards and DescribeTable says CREATING until
    it is ACTIVE, with no RestoreSummary (as real DynamoDB restores take minutes). CreateTable
    reference: "You can perform read and write operations only on an ACTIVE table": meanwhile
    PutItem is ResourceNotFoundException. A backup is a snapshot of the moment CreateBackup was
    answered, however the table changes while it is made (developer guide, Backup and restore).
    (12,000 items with an index: filling them takes longer than the first DescribeTable.)"""
    table = create_table(ddb, gsi=True)
    enable_pitr(ddb, table)
    keys = ["k%05d" % i for i in range(12000)]
    load(ddb, table, keys, "x")
    backup = ddb.create_backup(TableName=table, BackupName="big")["BackupDetails"]
    assert backup["BackupStatus"] == "CREATING"
    ddb.delete_item(TableName=table, Key={"pk": {"S": keys[0]}})
    ddb.put_item(TableName=table, Item={"pk": {"S": keys[1]}, "g": {"S": "later"}})
    desc = wait_backup_available(ddb, backup["BackupArn"])
    assert desc["SourceTableDetails"]["ItemCount"] == len(keys)

    from_backup, at_latest = unique_name("fb"), unique_name("pt")
    answers = [
        ddb.restore_table_from_backup(TargetTableName=from_backup,
                                      BackupArn=backup["BackupArn"])["TableDescription"],
        ddb.restore_table_to_point_in_time(SourceTableName=table, TargetTableName=at_latest,
                                           UseLatestRestorableTime=True)["TableDescription"]]
    for answer in answers:
        assert answer["TableStatus"] == "CREATING"
        assert answer["RestoreSummary"]["RestoreInProgress"] is True
    assert watch_restore(ddb, from_backup) + watch_restore(ddb, at_latest) > 0

    restored = items_by_pk(ddb, from_backup)
    assert sorted(restored) == keys and restored[keys[1]]["g"]["S"] == "x"
    latest = items_by_pk(ddb, at_latest)
    assert sorted(latest) == keys[1:] and latest[keys[1]]["g"]["S"] == "later"
    by_g = ddb.query(TableName=from_backup, IndexName="by_g", Select="COUNT",
                     KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "x"}})
    assert by_g["Count"] == len(keys)


@pytest.mark.source("ddb-answer: a restore target's settings, tags and policy answer as a "
                    "missing table's, CreateTable 'Table is being used', another restore "
                    "TableInUseException, as DynamoDB answered in 2026 (ack-api-quirks dynamodb "
                    "DDB-TABLE-217/219)")
def test_backup_and_restored_table_states_while_creating(delayed):
    """While a backup is CREATING it can be neither deleted nor restored: BackupInUseException
    (DeleteBackup and RestoreTableFromBackup API reference: "The backup is either being created,
    deleted or restored to a table"). A table being restored answers as a table being created:
    reads and writes ResourceNotFoundException "Requested resource not found", DeleteTable and
    UpdateTable ResourceInUseException "Attempt to change a resource which is still in use: Table
    is being created: <name>" (DeleteTable/UpdateTable API reference); boto3's table_exists
    waiter returns once it is ACTIVE, with no RestoreSummary. (The server holds each state
    for --delay-transient-statuses, as DynamoDB Local's -delayTransientStatuses does.)"""
    table = create_table(delayed)
    delayed.put_item(TableName=table, Item={"pk": {"S": "a"}, "g": {"S": "x"}})
    arn = delayed.create_backup(TableName=table, BackupName="held")["BackupDetails"]["BackupArn"]
    assert delayed.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"][
        "BackupStatus"] == "CREATING"
    summary = delayed.list_backups(TableName=table)["BackupSummaries"][0]
    assert summary["BackupStatus"] == "CREATING"
    for call in (lambda: delayed.delete_backup(BackupArn=arn),
                 lambda: delayed.restore_table_from_backup(TargetTableName=unique_name(),
                                                           BackupArn=arn)):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e)[0] == "BackupInUseException"
    wait_backup_available(delayed, arn)

    target = unique_name("held")
    answer = delayed.restore_table_from_backup(TargetTableName=target,
                                               BackupArn=arn)["TableDescription"]
    assert answer["TableStatus"] == "CREATING"
    desc = delayed.describe_table(TableName=target)["Table"]
    assert desc["TableStatus"] == "CREATING"
    assert desc["RestoreSummary"]["RestoreInProgress"] is True
    assert target in delayed.list_tables()["TableNames"]
    for call in (lambda: delayed.put_item(TableName=target, Item={"pk": {"S": "b"}}),
                 lambda: delayed.get_item(TableName=target, Key={"pk": {"S": "a"}}),
                 lambda: delayed.scan(TableName=target)):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == NOT_FOUND
    in_use = ("ResourceInUseException",
              "Attempt to change a resource which is still in use: Table is being created: "
              + target)
    with pytest.raises(ClientError) as e:
        delayed.delete_table(TableName=target)
    assert err(e) == in_use
    # Its settings, tags and policy are answered as a missing table's until the restore is done;
    # CreateTable and another restore into it are in use (ack-api-quirks dynamodb
    # DDB-TABLE-217/219, DynamoDB's answers recorded in 2026).
    target_arn = desc["TableArn"]
    missing = ("ResourceNotFoundException", "Requested resource not found: Table: %s not found"
               % target)
    for call in (lambda: delayed.update_table(TableName=target, BillingMode="PROVISIONED",
                                              ProvisionedThroughput={"ReadCapacityUnits": 1,
                                                                     "WriteCapacityUnits": 1}),
                 lambda: delayed.tag_resource(ResourceArn=target_arn,
                                              Tags=[{"Key": "k", "Value": "v"}]),
                 lambda: delayed.list_tags_of_resource(ResourceArn=target_arn),
                 lambda: delayed.describe_time_to_live(TableName=target),
                 lambda: delayed.describe_contributor_insights(TableName=target)):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == missing
    with pytest.raises(ClientError) as e:
        create_pk_table(delayed, target)
    assert err(e) == ("ResourceInUseException", "Table is being used: " + target)
    with pytest.raises(ClientError) as e:
        delayed.restore_table_from_backup(TargetTableName=target, BackupArn=arn)
    assert err(e) == ("TableInUseException", "Table: %s is already being restored from "
                      "backup: %s" % (target, arn))
    delayed.get_waiter("table_exists").wait(TableName=target, WaiterConfig=FAST)
    desc = delayed.describe_table(TableName=target)["Table"]
    assert desc["TableStatus"] == "ACTIVE"
    assert "RestoreSummary" not in desc
    assert delayed.get_item(TableName=target, Key={"pk": {"S": "a"}})["Item"]["g"]["S"] == "x"


def test_deleted_table_restores_to_any_time_before_its_deletion(ddb):
    """A deleted table with point-in-time recovery can be restored to any point of its recovery
    period before its deletion (developer guide, "Restoring a DynamoDB table to a point in time":
    "You can restore a deleted table ... to any point in time during the recovery period"; its
    SYSTEM backup names its TableArn, RestoreTableToPointInTime's SourceTableArn). Batch A, a
    second T, batch B (overwriting and deleting A items), DeleteTable; restored to T the table is
    exactly batch A, item by item; restored to the latest restorable time, the table as it was
    deleted; a RestoreDateTime after the deletion is InvalidRestoreTimeException."""
    table = create_table(ddb, gsi=True)
    enable_pitr(ddb, table)
    sleep_to_next_second()
    batch_a = {"a%02d" % i: {"pk": {"S": "a%02d" % i}, "g": {"S": "x"}, "n": {"N": str(i)}}
               for i in range(30)}
    for item in batch_a.values():
        ddb.put_item(TableName=table, Item=item)
    t = math.floor(time.time())
    sleep_to_next_second()
    batch_b = {"b%02d" % i: {"pk": {"S": "b%02d" % i}, "g": {"S": "y"}} for i in range(30)}
    for item in batch_b.values():
        ddb.put_item(TableName=table, Item=item)
    ddb.put_item(TableName=table, Item={"pk": {"S": "a00"}, "g": {"S": "changed"}})
    ddb.delete_item(TableName=table, Key={"pk": {"S": "a01"}})
    ddb.delete_table(TableName=table)
    deleted = time.time()

    system = ddb.list_backups(TableName=table, BackupType="SYSTEM")["BackupSummaries"]
    assert len(system) == 1
    source_arn = system[0]["TableArn"]
    at_t = unique_name("at")
    answer = ddb.restore_table_to_point_in_time(SourceTableArn=source_arn, TargetTableName=at_t,
                                                RestoreDateTime=t)["TableDescription"]
    assert answer["RestoreSummary"]["SourceTableArn"] == source_arn
    ddb.get_waiter("table_exists").wait(TableName=at_t, WaiterConfig=FAST)
    assert items_by_pk(ddb, at_t) == batch_a
    by_g = ddb.query(TableName=at_t, IndexName="by_g", Select="COUNT",
                     KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "x"}})
    assert by_g["Count"] == len(batch_a)

    latest = unique_name("latest")
    ddb.restore_table_to_point_in_time(SourceTableArn=source_arn, TargetTableName=latest,
                                       UseLatestRestorableTime=True)
    ddb.get_waiter("table_exists").wait(TableName=latest, WaiterConfig=FAST)
    expected = dict(batch_a, **batch_b)
    expected["a00"] = {"pk": {"S": "a00"}, "g": {"S": "changed"}}
    del expected["a01"]
    assert items_by_pk(ddb, latest) == expected

    with pytest.raises(ClientError) as e:
        ddb.restore_table_to_point_in_time(SourceTableArn=source_arn,
                                           TargetTableName=unique_name(),
                                           RestoreDateTime=deleted + 3)
    # The latest restorable time of a deleted table is its deletion.
    code, message = err(e)
    assert code == "InvalidRestoreTimeException"
    assert re.fullmatch(r"RestoreDateTime '\S+Z' must be within EarliestRestorableDateTime "
                        r"'\S+Z' and LatestRestorableDateTime '(\S+)Z'", message)
    latest_time = datetime.datetime.fromisoformat(
        re.search(r"LatestRestorableDateTime '(\S+)Z'", message).group(1)).replace(
            tzinfo=datetime.timezone.utc).timestamp()
    assert deleted - 2 <= latest_time <= deleted + 1
