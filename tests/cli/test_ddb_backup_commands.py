"""`cruddur ddb backup create | list | restore | delete` against every target (conftest.py) that
has DynamoDB's backups: the embedded engine and a `cruddur ddb serve` (dynalite has none)."""

import json
import re
import time

import pytest

from conftest import TARGETS, boto_client, start_cruddur_server


@pytest.fixture(params=[t for t in TARGETS if t != "dynalite"])
def cli(request, make_cli):
    """The targets with backups (not instantiated for dynalite, which has none)."""
    return make_cli(request.param)


def test_backup_create_list_restore_delete(cli):
    cli.ok("ddb", "schema-load")
    cli.ok("ddb", "seed")
    made = cli.ok("ddb", "backup", "create", "cruddur-messages", "--name", "before-change")
    arn = made.stdout.strip().split("\n")[-1]
    assert arn.startswith("arn:aws:dynamodb:") and "/backup/" in arn
    second = cli.json("ddb", "backup", "create", "cruddur-messages")["BackupDetails"]
    assert second["BackupName"].startswith("cruddur-messages-")
    # DynamoDB makes a backup in the background: the command waits until it is AVAILABLE.
    assert second["BackupStatus"] == "AVAILABLE"

    listed = cli.json("ddb", "backup", "list")["BackupSummaries"]
    assert [b["BackupArn"] for b in listed] == [arn, second["BackupArn"]]
    text = cli.ok("ddb", "backup", "list", "cruddur-messages").stdout
    assert "before-change  USER AVAILABLE" in text and arn in text

    restored = cli.json("ddb", "backup", "restore", arn, "messages-copy")
    assert restored["Table"]["TableStatus"] == "ACTIVE"
    # Once ACTIVE, DynamoDB describes no RestoreSummary (ack-api-quirks DDB-TABLE-216).
    assert "RestoreSummary" not in restored["Table"]
    assert restored["Table"]["ItemCount"] > 0
    names = cli.ok("ddb", "list-tables").stdout.split()
    assert "messages-copy" in names
    if cli.endpoint:
        copy = boto_client(cli.endpoint).scan(TableName="messages-copy")["Items"]
        original = boto_client(cli.endpoint).scan(TableName="cruddur-messages")["Items"]
        assert sorted(map(str, copy)) == sorted(map(str, original))

    # A table without point-in-time recovery cannot be restored to a time.
    no_pitr = cli.run("ddb", "backup", "restore", "cruddur-messages", "pitr-copy")
    assert no_pitr.returncode == 1
    assert no_pitr.stderr.startswith("cruddur: PointInTimeRecoveryUnavailableException")

    cli.ok("ddb", "backup", "delete", arn)
    again = cli.run("ddb", "backup", "delete", arn)
    assert again.returncode == 1
    assert again.stderr == "cruddur: BackupNotFoundException: Backup not found: %s\n" % arn
    assert [b["BackupArn"] for b in cli.json("ddb", "backup", "list")["BackupSummaries"]] == \
        [second["BackupArn"]]


def test_backup_create_and_restore_draw_a_progress_bar_only_on_request(make_cli, tmp_path):
    """`backup create` waits while the backup is CREATING (a server that keeps transient
    statuses for a second) and `restore` until the table is ACTIVE; with --progress each draws
    its status on stderr, and stdout's JSON is the same as without."""
    cli = make_cli("embedded", setup_users=False)
    server = start_cruddur_server(["--in-memory", "--delay-transient-statuses=1s"],
                                  tmp_path / "serve.log", cli.env)
    try:
        target = ["--endpoint-url", server.endpoint]
        client = boto_client(server.endpoint)
        cli.ok("ddb", "schema-load", *target)
        quiet = cli.ok("ddb", "backup", "create", "cruddur-messages", "--name", "quiet", "--json",
                       *target)
        assert quiet.stderr == ""
        arn = json.loads(quiet.stdout)["BackupDetails"]["BackupArn"]
        # It waited: the JSON is the backup as it is when the command ends.
        assert json.loads(quiet.stdout)["BackupDetails"]["BackupStatus"] == "AVAILABLE"
        described = client.describe_backup(BackupArn=arn)["BackupDescription"]
        assert described["BackupDetails"]["BackupStatus"] == "AVAILABLE"

        shown = cli.ok("ddb", "backup", "create", "cruddur-messages", "--name", "shown",
                       "--json", "--progress", *target)
        assert json.loads(shown.stdout)["BackupDetails"]["BackupName"] == "shown"
        # (\r reads as a line break in text mode)
        lines = shown.stderr.splitlines()
        assert any(re.fullmatch(r"backing up cruddur-messages: CREATING \d+s", x) for x in lines)
        assert re.fullmatch(r"backing up cruddur-messages: AVAILABLE \d+s", lines[-1])

        restored = cli.ok("ddb", "backup", "restore", arn, "copy", "--json", "--progress",
                          *target)
        assert json.loads(restored.stdout)["Table"]["TableStatus"] == "ACTIVE"
        # The table is CREATING for a second: the bar says so for at least that long.
        assert re.fullmatch(r"restoring copy: waiting for the table to be ACTIVE [1-9]\d*s",
                            restored.stderr.splitlines()[-1])
    finally:
        server.stop()
def test_backup_create_and_restore_no_wait(cli):
    """--no-wait answers as DynamoDB does at once (a backup CREATING, a restored table CREATING)
    when a server keeps working after the command; the embedded engine stops with the command,
    so there it waits anyway and the backup is AVAILABLE and the table ACTIVE."""
    cli.ok("ddb", "schema-load")
    cli.ok("ddb", "seed")
    made = cli.json("ddb", "backup", "create", "cruddur-messages", "--no-wait")["BackupDetails"]
    assert made["BackupStatus"] == ("AVAILABLE" if not cli.endpoint else "CREATING")
    if cli.endpoint:
        client = boto_client(cli.endpoint)
        deadline = time.monotonic() + 30
        while client.describe_backup(BackupArn=made["BackupArn"])["BackupDescription"][
                "BackupDetails"]["BackupStatus"] != "AVAILABLE":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    restored = cli.json("ddb", "backup", "restore", made["BackupArn"], "copy", "--no-wait")
    status = (restored.get("Table") or restored["TableDescription"])["TableStatus"]
    assert status == ("ACTIVE" if not cli.endpoint else "CREATING")
    if cli.endpoint:
        boto_client(cli.endpoint).get_waiter("table_exists").wait(
            TableName="copy", WaiterConfig={"Delay": 0.2, "MaxAttempts": 150})
    assert "copy" in cli.ok("ddb", "list-tables").stdout.split()
