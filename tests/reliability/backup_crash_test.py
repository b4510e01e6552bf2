"""Crash safety of the work `cruddur ddb serve` does in the background (issue 17): backups,
restores and past-time exports are answered at once and made afterwards, so a SIGKILL can come
at any moment of them. After a restart on the same data dir:

- a restored table is absent, or ACTIVE with every item and index entry (never a half table,
  never one stuck CREATING);
- a backup is listed only AVAILABLE and whole (ItemCount and a restore of it hold every item);
- a past-time export (ExportTableToPointInTime with an ExportTime in the past) is COMPLETED with a
  manifest that counts every item and data files that hold them, or FAILED with no manifest
  claiming anything.

One data dir is prepared per module (a table with a GSI and point-in-time recovery, BACKUP_ITEMS
items, one AVAILABLE backup) and copied for each kill; each test kills at several moments.
"""

import gzip
import json
import os
import shutil
import time

import pytest

from relutil import Server, make_client, record_figures, wait_table_active

N = int(os.environ.get("BACKUP_ITEMS", "20000"))
TABLE = "crash-src"


def scan_count(client, table, index=None):
    kwargs = {"TableName": table, "Select": "COUNT"}
    if index:
        kwargs["IndexName"] = index
    count = 0
    while True:
        page = client.scan(**kwargs)
        count += page["Count"]
        if "LastEvaluatedKey" not in page:
            return count
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def wait_backup(client, arn, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        details = client.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]
        if details["BackupStatus"] == "AVAILABLE":
            return
        assert time.monotonic() < deadline, details
        time.sleep(0.05)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """{dir, backup, past}: a stopped server's data dir with the table, its backup, and a past
    second (after every item was written) for exports."""
    base = tmp_path_factory.mktemp("backup-crash")
    data = base / "data"
    server = Server(["--data-dir", str(data)], base / "prepare.log").start()
    try:
        client = make_client(server.endpoint, read_timeout=60)
        client.create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "g", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[{
                "IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"}}])
        wait_table_active(client, TABLE)
        client.update_continuous_backups(
            TableName=TABLE,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        for start in range(0, N, 25):
            client.batch_write_item(RequestItems={TABLE: [
                {"PutRequest": {"Item": {"pk": {"S": "k%06d" % i}, "g": {"S": "g%d" % (i % 7)},
                                         "pad": {"S": "x" * 100}}}}
                for i in range(start, min(start + 25, N))]})
        arn = client.create_backup(TableName=TABLE, BackupName="whole")["BackupDetails"][
            "BackupArn"]
        wait_backup(client, arn)
        time.sleep(1.1 - time.time() % 1)
        past = int(time.time())
        time.sleep(1.1 - time.time() % 1)
    finally:
        server.stop()
    return {"dir": data, "backup": arn, "past": past}


def copy_of(prepared, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(prepared["dir"], data)
    return data


def check_restored(client, table):
    """A restored table after the restart: absent, or ACTIVE and whole."""
    if table not in client.list_tables()["TableNames"]:
        return "absent"
    desc = client.describe_table(TableName=table)["Table"]
    assert desc["TableStatus"] == "ACTIVE", desc
    assert "RestoreSummary" not in desc  # only while restoring (ack-api-quirks DDB-TABLE-216)
    assert scan_count(client, table) == N
    assert scan_count(client, table, "by_g") == N
    return "whole"


@pytest.mark.parametrize("kill_after", [0.0, 0.05, 0.2, 0.6])
def test_sigkill_during_background_restores_and_backup(prepared, tmp_path, kill_after):
    data = copy_of(prepared, tmp_path)
    args = ["--data-dir", str(data)]
    server = Server(args, tmp_path / "first.log").start()
    states = {}
    try:
        client = make_client(server.endpoint)
        client.restore_table_from_backup(TargetTableName="from-backup",
                                         BackupArn=prepared["backup"])
        client.restore_table_to_point_in_time(SourceTableName=TABLE, TargetTableName="to-time",
                                              UseLatestRestorableTime=True)
        killed = client.create_backup(TableName=TABLE, BackupName="killed")["BackupDetails"]
        time.sleep(kill_after)
        for table in ("from-backup", "to-time"):
            states[table] = client.describe_table(TableName=table)["Table"]["TableStatus"]
        states["backup"] = client.describe_backup(BackupArn=killed["BackupArn"])[
            "BackupDescription"]["BackupDetails"]["BackupStatus"]
        server.kill()
    finally:
        server.kill()
    server = Server(args, tmp_path / "second.log").start()
    try:
        client = make_client(server.endpoint, read_timeout=60)
        assert scan_count(client, TABLE) == N
        outcome = {t: check_restored(client, t) for t in ("from-backup", "to-time")}
        listed = client.list_backups(TableName=TABLE)["BackupSummaries"]
        for b in listed:
            assert b["BackupStatus"] == "AVAILABLE", b
            desc = client.describe_backup(BackupArn=b["BackupArn"])["BackupDescription"]
            assert desc["SourceTableDetails"]["ItemCount"] == N, b["BackupName"]
        names = [b["BackupName"] for b in listed]
        assert "whole" in names
        if "killed" in names:
            client.restore_table_from_backup(TargetTableName="from-killed",
                                             BackupArn=killed["BackupArn"])
            client.get_waiter("table_exists").wait(TableName="from-killed",
                                                   WaiterConfig={"Delay": 0.2, "MaxAttempts": 600})
            assert scan_count(client, "from-killed") == N
        # A name a killed restore held is free again (or taken by a whole table).
        for table in ("from-backup", "to-time"):
            if outcome[table] == "absent":
                client.restore_table_from_backup(TargetTableName=table,
                                                 BackupArn=prepared["backup"])
                client.get_waiter("table_exists").wait(
                    TableName=table, WaiterConfig={"Delay": 0.2, "MaxAttempts": 600})
                assert check_restored(client, table) == "whole"
    finally:
        server.stop()
    record_figures("backup crash after %.2fs" % kill_after,
                   {"at kill": states, "after restart": outcome,
                    "killed backup kept": "killed" in names})


def manifest_dir(data, export_arn):
    """The export's directory in the local S3 (under the engine's data dir), None before the
    export wrote anything."""
    found = list(data.rglob("crash-bucket/AWSDynamoDB/" + export_arn.rsplit("/", 1)[1]))
    return found[0] if found else None


def exported_items(export_dir):
    count = 0
    for path in (export_dir / "data").glob("*"):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt") as f:
            count += sum(1 for line in f if line.strip())
    return count


@pytest.mark.parametrize("kill_after", [0.0, 0.1, 0.3, 0.8])
def test_sigkill_during_a_past_time_export(prepared, tmp_path, kill_after):
    data = copy_of(prepared, tmp_path)
    (data / "ddb" / "s3" / "crash-bucket").mkdir(parents=True)
    args = ["--data-dir", str(data)]
    server = Server(args, tmp_path / "first.log").start()
    try:
        client = make_client(server.endpoint)
        arn = client.describe_table(TableName=TABLE)["Table"]["TableArn"]
        export = client.export_table_to_point_in_time(
            TableArn=arn, S3Bucket="crash-bucket", ExportTime=prepared["past"])[
                "ExportDescription"]
        assert export["ExportStatus"] == "IN_PROGRESS"
        time.sleep(kill_after)
        at_kill = client.describe_export(ExportArn=export["ExportArn"])["ExportDescription"][
            "ExportStatus"]
        server.kill()
    finally:
        server.kill()
    server = Server(args, tmp_path / "second.log").start()
    try:
        client = make_client(server.endpoint)
        desc = client.describe_export(ExportArn=export["ExportArn"])["ExportDescription"]
        status = desc["ExportStatus"]
        assert status in ("COMPLETED", "FAILED"), desc
        export_dir = manifest_dir(data, export["ExportArn"])
        manifests = sorted(p.name for p in export_dir.glob("manifest-*")) if export_dir else []
        if status == "FAILED":
            assert desc["FailureCode"] != "S3NoSuchBucket", desc  # cut short, not refused
            assert manifests == [], manifests
        else:
            summary = json.loads((export_dir / "manifest-summary.json").read_text())
            assert summary["itemCount"] == N and desc["ItemCount"] == N
            assert exported_items(export_dir) == N
    finally:
        server.stop()
    record_figures("past export crash after %.2fs" % kill_after,
                   {"at kill": at_kill, "after restart": status})
