"""On-demand backups and point-in-time recovery (PITR), through boto3 and the aws CLI.

Each test says where its expectation comes from: the DynamoDB API reference (CreateBackup,
DescribeBackup, ListBackups, DeleteBackup, RestoreTableFromBackup, UpdateContinuousBackups,
DescribeContinuousBackups, RestoreTableToPointInTime), DynamoDB's error answers as reported by its
users, and what a backup and a restore must hold (one point in time; the table as it was).
"""

import math
import re
import threading
import time

import pytest
from botocore.exceptions import ClientError

from ddbtest import (aws_cli_runner, create_pk_table, enable_pitr, err, items_by_pk, make_client,
                     own_server, start_server, unique_name, wait_backup_available,
                     wait_table_active)
from provenance import BACKUPS

pytestmark = BACKUPS


def create_table(ddb, name=None, gsi=False):
    name = name or unique_name("bk")
    create_pk_table(ddb, name, gsi)
    wait_table_active(ddb, name)
    return name


def iso_seconds(t):
    """Epoch seconds as DynamoDB's messages quote a time: '2026-10-06T23:16:32Z'."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(math.floor(t)))


def sleep_to_next_second():
    now = time.time()
    time.sleep(math.floor(now) + 1.1 - now)


def test_backup_restore_round_trip(ddb):
    """CreateBackup answers BackupDetails with BackupStatus CREATING and an ARN
    arn:aws:dynamodb:<region>:<account>:table/<table>/backup/<14-digit ms>-<8 hex> (the form of
    real ARNs, e.g. ".../backup/01681997703770-aa93528e" in turbot/steampipe-plugin-aws#1913);
    DescribeBackup then AVAILABLE with SourceTableDetails and SourceTableFeatureDetails.
    RestoreTableFromBackup answers a TableDescription CREATING with a RestoreSummary; the
    restored table holds the items and indexes as at the backup, not later changes."""
    table = create_table(ddb, gsi=True)
    for pk, g in (("a", "x"), ("b", "x"), ("c", "y")):
        ddb.put_item(TableName=table, Item={"pk": {"S": pk}, "g": {"S": g}})
    details = ddb.create_backup(TableName=table, BackupName="first")["BackupDetails"]
    arn = details["BackupArn"]
    assert details["BackupStatus"] == "CREATING"
    assert details["BackupType"] == "USER"
    assert details["BackupName"] == "first"
    prefix = "arn:aws:dynamodb:us-east-1:%s:table/%s/backup/" % (arn.split(":")[4], table)
    assert arn.startswith(prefix)
    stamp, _, suffix = arn[len(prefix):].partition("-")
    assert len(stamp) == 14 and stamp.isdigit() and len(suffix) == 8
    assert abs(int(stamp) / 1000 - details["BackupCreationDateTime"].timestamp()) < 1

    ddb.delete_item(TableName=table, Key={"pk": {"S": "a"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "d"}, "g": {"S": "x"}})

    desc = wait_backup_available(ddb, arn)
    source = desc["SourceTableDetails"]
    assert source["TableName"] == table and source["ItemCount"] == 3
    assert source["BillingMode"] == "PAY_PER_REQUEST"
    assert source["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    gsis = desc["SourceTableFeatureDetails"]["GlobalSecondaryIndexes"]
    assert [g["IndexName"] for g in gsis] == ["by_g"]

    target = unique_name("restored")
    restored = ddb.restore_table_from_backup(TargetTableName=target,
                                             BackupArn=arn)["TableDescription"]
    assert restored["TableStatus"] == "CREATING"
    assert restored["RestoreSummary"]["SourceBackupArn"] == arn
    assert restored["RestoreSummary"]["RestoreInProgress"] is True
    wait_table_active(ddb, target)
    assert {pk: i["g"]["S"] for pk, i in items_by_pk(ddb, target).items()} == {
        "a": "x", "b": "x", "c": "y"}
    by_g = ddb.query(TableName=target, IndexName="by_g", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "x"}})
    assert sorted(i["pk"]["S"] for i in by_g["Items"]) == ["a", "b"]

    deleted = ddb.delete_backup(BackupArn=arn)["BackupDescription"]
    assert deleted["BackupDetails"]["BackupStatus"] == "DELETED"
    with pytest.raises(ClientError) as e:
        ddb.describe_backup(BackupArn=arn)
    assert err(e) == ("BackupNotFoundException", "Backup not found: " + arn)


def test_backup_errors(ddb):
    """DynamoDB's errors: a backup ARN that names no backup is BackupNotFoundException "Backup not
    found: <arn>" (DynamoDB's answer quoted in turbot/steampipe-plugin-aws#1913); a missing source
    table is TableNotFoundException and a taken target name TableAlreadyExistsException (the API
    reference's error lists), "Table not found: <name>" / "Table already exists: <name>"."""
    table = create_table(ddb)
    missing = "arn:aws:dynamodb:us-east-1:000000000000:table/%s/backup/01700000000000-0000abcd" \
        % table
    for call in (lambda: ddb.describe_backup(BackupArn=missing),
                 lambda: ddb.delete_backup(BackupArn=missing),
                 lambda: ddb.restore_table_from_backup(TargetTableName=unique_name(),
                                                       BackupArn=missing)):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == ("BackupNotFoundException", "Backup not found: " + missing)
    gone = unique_name("gone")
    with pytest.raises(ClientError) as e:
        ddb.create_backup(TableName=gone, BackupName="nope")
    assert err(e) == ("TableNotFoundException", "Table not found: " + gone)
    arn = ddb.create_backup(TableName=table, BackupName="bk1")["BackupDetails"]["BackupArn"]
    wait_backup_available(ddb, arn)
    with pytest.raises(ClientError) as e:
        ddb.restore_table_from_backup(TargetTableName=table, BackupArn=arn)
    assert err(e) == ("TableAlreadyExistsException", "Table already exists: " + table)


def test_list_backups_filters_and_pages(ddb):
    """ListBackups (API reference): TableName limits to one table, Limit pages with
    LastEvaluatedBackupArn / ExclusiveStartBackupArn, TimeRangeLowerBound is inclusive and
    TimeRangeUpperBound exclusive, BackupType SYSTEM lists only the backups DynamoDB made. (boto3
    sends whole seconds, so the first backup is taken a second before the others.)"""
    table, other = create_table(ddb), create_table(ddb)
    arns = []
    for i in range(3):
        arns.append(ddb.create_backup(TableName=table, BackupName="bk%d" % i)["BackupDetails"])
        if i == 0:
            sleep_to_next_second()
    ddb.create_backup(TableName=other, BackupName="other")
    for d in arns:
        wait_backup_available(ddb, d["BackupArn"])
    seen, kwargs = [], {}
    while True:
        page = ddb.list_backups(TableName=table, Limit=2, **kwargs)
        assert len(page["BackupSummaries"]) <= 2
        seen += [s["BackupArn"] for s in page["BackupSummaries"]]
        if "LastEvaluatedBackupArn" not in page:
            break
        kwargs["ExclusiveStartBackupArn"] = page["LastEvaluatedBackupArn"]
    assert seen == [d["BackupArn"] for d in arns]
    first = arns[0]["BackupCreationDateTime"]
    later = ddb.list_backups(TableName=table, TimeRangeLowerBound=arns[1]["BackupCreationDateTime"])
    assert [s["BackupArn"] for s in later["BackupSummaries"]] == [d["BackupArn"]
                                                                  for d in arns[1:]]
    before = ddb.list_backups(TableName=table, TimeRangeUpperBound=first)
    assert before["BackupSummaries"] == []
    summary = ddb.list_backups(TableName=table, Limit=1)["BackupSummaries"][0]
    assert summary["TableName"] == table and summary["BackupType"] == "USER"
    assert summary["BackupStatus"] == "AVAILABLE" and summary["BackupName"] == "bk0"
    system = ddb.list_backups(TableName=table, BackupType="SYSTEM")["BackupSummaries"]
    assert system == []


def test_backup_while_four_threads_write_is_one_point_in_time(ddb):
    """A backup is a snapshot of one moment: 4 writers each run transactions that add 1 to their
    counter item and write one log item, so in any consistent snapshot each counter equals the
    number of its log items (DynamoDB: "a consistent snapshot", developer guide, Backup and
    restore)."""
    table = create_table(ddb)
    stop = threading.Event()
    errors = []

    def writer(w):
        client = make_client(ddb.meta.endpoint_url)
        n = 0
        try:
            while not stop.is_set():
                client.transact_write_items(TransactItems=[
                    {"Update": {"TableName": table, "Key": {"pk": {"S": "c%d" % w}},
                                "UpdateExpression": "ADD n :one",
                                "ExpressionAttributeValues": {":one": {"N": "1"}}}},
                    {"Put": {"TableName": table, "Item": {"pk": {"S": "l%d_%d" % (w, n)}}}}])
                n += 1
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    arns = []
    try:
        time.sleep(0.3)
        for i in range(3):
            arns.append(ddb.create_backup(TableName=table,
                                          BackupName="live%d" % i)["BackupDetails"]["BackupArn"])
            time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors
    total = 0
    for arn in arns:
        wait_backup_available(ddb, arn)
        target = unique_name("point")
        ddb.restore_table_from_backup(TargetTableName=target, BackupArn=arn)
        wait_table_active(ddb, target)
        counters, logs = {}, {}
        for pk, item in items_by_pk(ddb, target).items():
            if pk.startswith("c"):
                counters[pk[1]] = int(item["n"]["N"])
            else:
                logs[pk[1]] = logs.get(pk[1], 0) + 1
        assert counters == logs
        total += sum(logs.values())
    assert total > 0


def test_point_in_time_restore_holds_the_first_batch_only(ddb):
    """RestoreTableToPointInTime restores "the state based on the selected date and time
    (day:hour:minute:second)" (API reference): restored to a second T between two batches of
    writes, the table holds every change of the first batch and none of the second, item by
    item; UseLatestRestorableTime holds both. DescribeContinuousBackups reports
    ContinuousBackupsStatus ENABLED and the PITR window."""
    table = create_table(ddb, gsi=True)
    ddb.put_item(TableName=table, Item={"pk": {"S": "old"}, "g": {"S": "x"}})
    desc = enable_pitr(ddb, table)["ContinuousBackupsDescription"]
    assert desc["ContinuousBackupsStatus"] == "ENABLED"
    pitr = desc["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
    assert pitr["EarliestRestorableDateTime"] <= pitr["LatestRestorableDateTime"]

    sleep_to_next_second()
    first = {"f%d" % i: "x" for i in range(20)}
    for pk, g in first.items():
        ddb.put_item(TableName=table, Item={"pk": {"S": pk}, "g": {"S": g}})
    ddb.delete_item(TableName=table, Key={"pk": {"S": "old"}})
    t = time.time()
    sleep_to_next_second()
    for i in range(20):
        ddb.put_item(TableName=table, Item={"pk": {"S": "s%d" % i}, "g": {"S": "y"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "f0"}, "g": {"S": "changed"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "old"}, "g": {"S": "back"}})

    target = unique_name("at")
    restored = ddb.restore_table_to_point_in_time(
        SourceTableName=table, TargetTableName=target,
        RestoreDateTime=math.floor(t))["TableDescription"]
    assert restored["RestoreSummary"]["SourceTableArn"].endswith(":table/" + table)
    wait_table_active(ddb, target)
    assert {pk: i["g"]["S"] for pk, i in items_by_pk(ddb, target).items()} == first
    by_g = ddb.query(TableName=target, IndexName="by_g", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "x"}})
    assert by_g["Count"] == 20

    latest = unique_name("latest")
    ddb.restore_table_to_point_in_time(SourceTableName=table, TargetTableName=latest,
                                       UseLatestRestorableTime=True)
    wait_table_active(ddb, latest)
    now = items_by_pk(ddb, latest)
    assert len(now) == 41 and now["f0"]["g"]["S"] == "changed" and now["old"]["g"]["S"] == "back"


def test_point_in_time_errors(ddb):
    """RestoreTableToPointInTime errors (API reference): PITR not enabled is
    PointInTimeRecoveryUnavailableException; a time outside the window InvalidRestoreTimeException
    quoting the three times to the second (DynamoDB's answer recorded in 2026, ack-api-quirks
    dynamodb DDB-TABLE-100: "RestoreDateTime '2026-10-06T23:16:32Z' must be within
    EarliestRestorableDateTime '2026-10-08T23:16:33Z' and LatestRestor..."); a missing source
    TableNotFoundException. DescribeContinuousBackups of a table without PITR reports DISABLED."""
    table = create_table(ddb)
    pitr = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    assert pitr["PointInTimeRecoveryDescription"] == {"PointInTimeRecoveryStatus": "DISABLED"}
    with pytest.raises(ClientError) as e:
        ddb.restore_table_to_point_in_time(SourceTableName=table, TargetTableName=unique_name(),
                                           UseLatestRestorableTime=True)
    assert err(e)[0] == "PointInTimeRecoveryUnavailableException"
    enable_pitr(ddb, table)
    for when in (time.time() + 3600, time.time() - 3600):
        with pytest.raises(ClientError) as e:
            ddb.restore_table_to_point_in_time(SourceTableName=table,
                                               TargetTableName=unique_name(),
                                               RestoreDateTime=when)
        code, message = err(e)
        assert code == "InvalidRestoreTimeException"
        assert re.fullmatch(r"RestoreDateTime '%s' must be within EarliestRestorableDateTime "
                            r"'\S+Z' and LatestRestorableDateTime '\S+Z'" % iso_seconds(when),
                            message), message
    gone = unique_name("gone")
    with pytest.raises(ClientError) as e:
        ddb.restore_table_to_point_in_time(SourceTableName=gone, TargetTableName=unique_name(),
                                           UseLatestRestorableTime=True)
    assert err(e) == ("TableNotFoundException", "Table not found: " + gone)
    with pytest.raises(ClientError) as e:
        ddb.update_continuous_backups(
            TableName=gone, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    assert err(e) == ("TableNotFoundException", "Table not found: " + gone)


def test_deleted_table_with_pitr_is_restored_from_its_system_backup(ddb):
    """Deleting a table with PITR enabled leaves a SYSTEM backup that DynamoDB keeps 35 days
    (developer guide, "Restoring a deleted table": "DynamoDB automatically creates a backup
    snapshot called a system backup"); ListBackups with BackupType SYSTEM lists it, with a
    BackupExpiryDateTime, and it restores the table as it was when deleted."""
    table = create_table(ddb)
    enable_pitr(ddb, table)
    for i in range(5):
        ddb.put_item(TableName=table, Item={"pk": {"S": "k%d" % i}, "n": {"N": str(i)}})
    ddb.delete_table(TableName=table)
    system = ddb.list_backups(TableName=table, BackupType="SYSTEM")["BackupSummaries"]
    assert len(system) == 1
    backup = system[0]
    assert backup["BackupType"] == "SYSTEM"
    assert backup["BackupName"] == table + "$DeletedTableBackup"
    assert (backup["BackupExpiryDateTime"] - backup["BackupCreationDateTime"]).days == 35
    assert ddb.list_backups(TableName=table)["BackupSummaries"] == []  # USER only by default
    target = unique_name("undeleted")
    ddb.restore_table_from_backup(TargetTableName=target, BackupArn=backup["BackupArn"])
    wait_table_active(ddb, target)
    assert sorted(items_by_pk(ddb, target)) == ["k%d" % i for i in range(5)]


def test_backups_and_pitr_survive_a_restart(foreign_endpoint, tmp_path_factory, tmp_path):
    """A backup is kept in the data dir: after a restart it is listed, described and restored
    as before, and PITR is still enabled with its history."""
    data = tmp_path / "data"
    args = ["--data-dir", str(data)]
    with own_server(foreign_endpoint, tmp_path_factory, args,
                    "DDB_ENDPOINT is set: this test restarts a server of its own") as server:
        ddb = make_client(server.endpoint)
        table = create_table(ddb)
        ddb.put_item(TableName=table, Item={"pk": {"S": "a"}})
        arn = ddb.create_backup(TableName=table, BackupName="kept")["BackupDetails"]["BackupArn"]
        wait_backup_available(ddb, arn)
        enable_pitr(ddb, table)
        ddb.put_item(TableName=table, Item={"pk": {"S": "b"}})
    server = start_server(args, tmp_path / "second.log")
    try:
        ddb = make_client(server.endpoint)
        assert [s["BackupArn"] for s in ddb.list_backups(TableName=table)["BackupSummaries"]] \
            == [arn]
        target = unique_name("after")
        ddb.restore_table_from_backup(TargetTableName=target, BackupArn=arn)
        wait_table_active(ddb, target)
        assert sorted(items_by_pk(ddb, target)) == ["a"]
        latest = unique_name("latest")
        ddb.restore_table_to_point_in_time(SourceTableName=table, TargetTableName=latest,
                                           UseLatestRestorableTime=True)
        wait_table_active(ddb, latest)
        assert sorted(items_by_pk(ddb, latest)) == ["a", "b"]
    finally:
        server.stop()


def test_aws_cli_round_trip(ddb, endpoint, tmp_path):
    """The aws CLI's update-continuous-backups, create-backup, describe-backup and
    restore-table-to-point-in-time against the server, unchanged (their output is DynamoDB's
    JSON)."""
    import json
    import os
    import shutil
    aws_bin = "/usr/bin/aws" if os.path.exists("/usr/bin/aws") else shutil.which("aws")
    if aws_bin is None:
        pytest.skip("aws CLI not installed")
    aws = aws_cli_runner([aws_bin], endpoint, tmp_path)
    table = create_table(ddb)
    ddb.put_item(TableName=table, Item={"pk": {"S": "one"}})
    out = json.loads(aws("update-continuous-backups", "--table-name", table,
                         "--point-in-time-recovery-specification",
                         "PointInTimeRecoveryEnabled=true").stdout)
    pitr = out["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
    backup = json.loads(aws("create-backup", "--table-name", table, "--backup-name",
                            "cli").stdout)["BackupDetails"]
    wait_backup_available(ddb, backup["BackupArn"])
    desc = json.loads(aws("describe-backup", "--backup-arn", backup["BackupArn"]).stdout)
    assert desc["BackupDescription"]["BackupDetails"]["BackupStatus"] == "AVAILABLE"
    sleep_to_next_second()
    t = int(time.time())
    sleep_to_next_second()
    ddb.put_item(TableName=table, Item={"pk": {"S": "two"}})
    target = unique_name("cli")
    out = json.loads(aws("restore-table-to-point-in-time", "--source-table-name", table,
                         "--target-table-name", target, "--restore-date-time", str(t)).stdout)
    assert out["TableDescription"]["TableName"] == target
    wait_table_active(ddb, target)
    assert sorted(items_by_pk(ddb, target)) == ["one"]


@pytest.mark.parametrize("kill_after", [0.05, 0.3])
def test_sigkill_during_backup_and_restore_leaves_nothing_half_made(foreign_endpoint,
                                                                     tmp_path_factory, tmp_path,
                                                                     kill_after):
    """A server killed (SIGKILL) while it copies a backup or restores a table leaves, after a
    restart, no half backup and no half table: a backup is listed only whole (AVAILABLE, all its
    items), a restored table exists only with all of its items, and every acknowledged write of
    the source table is still there."""
    import signal
    if foreign_endpoint:
        pytest.skip("DDB_ENDPOINT is set: this test kills a server of its own")
    data = tmp_path / "data"
    args = ["--data-dir", str(data)]
    n = 20000
    server = start_server(args, tmp_path / "first.log")
    try:
        ddb = make_client(server.endpoint)
        table = create_table(ddb, gsi=True)
        for start in range(0, n, 25):
            ddb.batch_write_item(RequestItems={table: [
                {"PutRequest": {"Item": {"pk": {"S": "k%05d" % i}, "g": {"S": "g%d" % (i % 7)}}}}
                for i in range(start, start + 25)]})
        arn = ddb.create_backup(TableName=table, BackupName="whole")["BackupDetails"]["BackupArn"]
        wait_backup_available(ddb, arn, timeout=120)
        slow = make_client(server.endpoint, read_timeout=60)
        calls = [lambda: slow.create_backup(TableName=table, BackupName="killed"),
                 lambda: slow.restore_table_from_backup(TargetTableName="restored-" + table,
                                                        BackupArn=arn)]

        def attempt(call):
            try:
                call()
            except Exception:  # the server died under it: the point of the test
                pass

        threads = [threading.Thread(target=attempt, args=(c,)) for c in calls]
        for t in threads:
            t.start()
        time.sleep(kill_after)
        server.stop(signal.SIGKILL)
        for t in threads:
            t.join()
    finally:
        server.stop()
    server = start_server(args, tmp_path / "second.log")
    try:
        ddb = make_client(server.endpoint)
        assert len(items_by_pk(ddb, table)) == n
        for b in ddb.list_backups(TableName=table)["BackupSummaries"]:
            assert b["BackupStatus"] == "AVAILABLE"
            desc = ddb.describe_backup(BackupArn=b["BackupArn"])["BackupDescription"]
            assert desc["SourceTableDetails"]["ItemCount"] == n, b["BackupName"]
        names = ddb.list_tables()["TableNames"]
        if "restored-" + table in names:
            assert len(items_by_pk(ddb, "restored-" + table)) == n
        # The name is free again, or taken by a whole table: a restore either way succeeds.
        ddb.restore_table_from_backup(TargetTableName="again-" + table, BackupArn=arn)
        wait_table_active(ddb, "again-" + table)
        assert len(items_by_pk(ddb, "again-" + table)) == n
        by_g = ddb.query(TableName="again-" + table, IndexName="by_g", Select="COUNT",
                         KeyConditionExpression="g = :g",
                         ExpressionAttributeValues={":g": {"S": "g0"}})
        assert by_g["Count"] == len(range(0, n, 7))
    finally:
        server.stop()
