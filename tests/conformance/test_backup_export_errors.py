"""The errors of backups, point-in-time recovery, export/import and resource policies, in the
words DynamoDB was recorded answering them (issue 17).

The recordings: the ack-api-quirks dynamodb findings (live probes of DynamoDB in us-east-1 and
us-west-2, October 2026; quoted by their ids, e.g. DDB-TABLE-100) and moto's AWS-verified tests
of resource policies and exports (run against DynamoDB). Requests are sent raw, so that the
server, not botocore's client-side checks, answers. DynamoDB Local implements none of these
operations (UnknownOperationException).
"""

import json
import math
import re
import time

import pytest

from ddbtest import (error_message, error_type, make_client, own_server, raw_call, unique_name,
                     wait_backup_available, wait_table_active)

source = pytest.mark.source
RECORDED = source("ddb-answer: DynamoDB's answers recorded in 2026 (ack-api-quirks dynamodb "
                  "findings, moto's AWS-verified tests); DynamoDB Local does not implement these "
                  "operations")
pytestmark = RECORDED

INVALID = "One or more parameter values were invalid: "
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": "dynamodb:GetItem", "Resource": "*"}]})


def iso_seconds(t):
    """Epoch seconds as DynamoDB's messages quote a time: '2026-10-06T23:16:32Z'."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(math.floor(t)))


def answer(endpoint, op, body):
    """(error type, message) of a request that must fail with a 400."""
    status, reply = raw_call(endpoint, op, body)
    assert status == 400, (op, body, reply)
    return error_type(reply), error_message(reply)


def ok(endpoint, op, body):
    status, reply = raw_call(endpoint, op, body)
    assert status == 200, (op, body, reply)
    return reply


def new_table(ddb, pitr=False):
    name = unique_name("bxe")
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    wait_table_active(ddb, name)
    if pitr:
        ddb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    return name, ddb.describe_table(TableName=name)["Table"]["TableArn"]


# --- point-in-time recovery ---------------------------------------------------------------------

def test_restore_to_point_in_time_checks_its_flags_and_source_first(endpoint, ddb):
    """RestoreTableToPointInTime checks the time flags, then exactly one source, before it looks
    at the table (DDB-TABLE-100, DDB-TABLE-272): both flags "Invalid Request: Both RestoreDateTime
    and UseLatestRestorableTime cannot be set for point-in-time restore request. Pleas..." (the
    rest of the sentence as recorded elsewhere), neither (or UseLatestRestorableTime false)
    "Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be
    specified, but not both"; both sources "Must provide exactly one of: sourceTableArn,
    sourceTableName", none "The parameter 'TableName' is required but was not present in the
    request". A missing source is TableNotFoundException, "Table not found: <name>" by name and
    bare "Table not found" by ARN (DDB-TABLE-447)."""
    name, arn = new_table(ddb)  # without PITR: the flags are checked before it
    target = unique_name("tgt")
    both = ("ValidationException",
            "Invalid Request: Both RestoreDateTime and UseLatestRestorableTime cannot be set for "
            "point-in-time restore request. Please specify either RestoreDateTime time or "
            "UseLatestRestorableTime")
    neither = ("ValidationException",
               "Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be "
               "specified, but not both")
    base = {"SourceTableName": name, "TargetTableName": target}
    assert answer(endpoint, "RestoreTableToPointInTime",
                  dict(base, UseLatestRestorableTime=True, RestoreDateTime=time.time())) == both
    assert answer(endpoint, "RestoreTableToPointInTime", base) == neither
    assert answer(endpoint, "RestoreTableToPointInTime",
                  dict(base, UseLatestRestorableTime=False)) == neither
    assert answer(endpoint, "RestoreTableToPointInTime",
                  {"SourceTableName": name, "SourceTableArn": arn, "TargetTableName": target,
                   "UseLatestRestorableTime": True}) == (
        "ValidationException", "Must provide exactly one of: sourceTableArn, sourceTableName")
    assert answer(endpoint, "RestoreTableToPointInTime",
                  {"TargetTableName": target, "UseLatestRestorableTime": True}) == (
        "ValidationException",
        "The parameter 'TableName' is required but was not present in the request")
    gone = unique_name("gone")
    assert answer(endpoint, "RestoreTableToPointInTime",
                  {"SourceTableName": gone, "TargetTableName": target,
                   "UseLatestRestorableTime": True}) == (
        "TableNotFoundException", "Table not found: " + gone)
    assert answer(endpoint, "RestoreTableToPointInTime",
                  {"SourceTableArn": arn.rsplit("/", 1)[0] + "/" + gone, "TargetTableName": target,
                   "UseLatestRestorableTime": True}) == ("TableNotFoundException", "Table not found")
    # A SourceTableArn that is no ARN at all (DDB-TABLE-272), worded as an export's tableArn.
    assert answer(endpoint, "RestoreTableToPointInTime",
                  {"SourceTableArn": "not-an-arn", "TargetTableName": target,
                   "UseLatestRestorableTime": True}) == (
        "ValidationException",
        "One or more parameter values were invalid: sourceTableArn is not a valid ARN")
    assert answer(endpoint, "RestoreTableToPointInTime",
                  dict(base, UseLatestRestorableTime=True)) == (
        "PointInTimeRecoveryUnavailableException",
        f"Point in time recovery is not enabled for table '{name}'")


def test_restore_time_outside_the_window_quotes_the_times(endpoint, ddb):
    """A RestoreDateTime outside the recovery window: InvalidRestoreTimeException "RestoreDateTime
    '<t>' must be within EarliestRestorableDateTime '<e>' and LatestRestor..." (DDB-TABLE-100;
    the times to the second, in ISO 8601 UTC); a target name of bad characters fails the
    pattern at 'targetTableName' (DDB-TABLE-100)."""
    name, _ = new_table(ddb, pitr=True)
    window = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]
    earliest = window["EarliestRestorableDateTime"].timestamp()
    for when in (earliest - 86400, time.time() + 3600):
        code, message = answer(endpoint, "RestoreTableToPointInTime", {
            "SourceTableName": name, "TargetTableName": unique_name("tgt"),
            "RestoreDateTime": when})
        assert code == "InvalidRestoreTimeException"
        assert re.fullmatch(r"RestoreDateTime '%s' must be within EarliestRestorableDateTime "
                            r"'%s' and LatestRestorableDateTime '\S+Z'"
                            % (iso_seconds(when), iso_seconds(earliest)), message), message
    assert answer(endpoint, "RestoreTableToPointInTime", {
        "SourceTableName": name, "TargetTableName": "bad name!",
        "UseLatestRestorableTime": True}) == (
        "ValidationException",
        "1 validation error detected: Value 'bad name!' at 'targetTableName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")


def test_recovery_period_and_disabling(endpoint, ddb):
    """RecoveryPeriodInDays is 1 to 35 (the model; DynamoDB's generic constraint message, its
    35 recorded in DDB-TABLE-442); given while disabling PITR: "Invalid Request: Cannot specify
    RecoveryPeriodInDays when disabling point-in-time recovery." (DDB-TABLE-442)."""
    name, _ = new_table(ddb)
    for days, rule in ((0, "greater than or equal to 1"), (36, "less than or equal to 35")):
        assert answer(endpoint, "UpdateContinuousBackups", {
            "TableName": name, "PointInTimeRecoverySpecification": {
                "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": days}}) == (
            "ValidationException",
            f"1 validation error detected: Value '{days}' at "
            f"'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy "
            f"constraint: Member must have value {rule}")
    assert answer(endpoint, "UpdateContinuousBackups", {
        "TableName": name, "PointInTimeRecoverySpecification": {
            "PointInTimeRecoveryEnabled": False, "RecoveryPeriodInDays": 7}}) == (
        "ValidationException",
        "Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time "
        "recovery.")


# --- on-demand backups --------------------------------------------------------------------------

def test_backup_arn_that_names_no_backup_is_invalid(endpoint, ddb):
    """A BackupArn that is not a backup's ARN (a table's ARN, a non-ARN) is ValidationException
    "Invalid Backup ARN" for DescribeBackup, DeleteBackup and RestoreTableFromBackup
    (DDB-BACKUP-012, DDB-TABLE-273); a well-formed one that names nothing
    BackupNotFoundException "Backup not found: <arn>" (DDB-BACKUP-005)."""
    _, arn = new_table(ddb)
    for bad in (arn, "x" * 48):
        for op, body in (("DescribeBackup", {"BackupArn": bad}),
                         ("DeleteBackup", {"BackupArn": bad}),
                         ("RestoreTableFromBackup",
                          {"BackupArn": bad, "TargetTableName": unique_name("tgt")})):
            assert answer(endpoint, op, body) == ("ValidationException", "Invalid Backup ARN")
    missing = arn + "/backup/01700000000000-0000abcd"
    assert answer(endpoint, "DeleteBackup", {"BackupArn": missing}) == (
        "BackupNotFoundException", "Backup not found: " + missing)


def other_region(arn):
    region = arn.split(":")[3]
    return arn.replace(f":{region}:", ":eu-north-1:" if region != "eu-north-1" else ":us-west-2:")


def other_account(arn):
    return arn.replace(":" + arn.split(":")[4] + ":", ":111122223333:")


def test_backup_arns_of_other_regions_and_accounts(endpoint, ddb):
    """DescribeBackup and DeleteBackup find a backup by its account, table and id whatever
    region its ARN says (DescribeBackup echoes the ARN as given); another account's ARN is
    AccessDeniedException "Access is denied"; ListBackups from another region's ARN:
    "Invalid Request: The supplied ExclusiveStartBackupArn does not match the region"
    (DDB-BACKUP-012). RestoreTableFromBackup of another region's ARN without
    SSESpecificationOverride: "Invalid Request: sseSpecificationOverride must be provided for
    cross-region restores" (DDB-TABLE-274); of another account's: "Access is denied"
    (DDB-TABLE-273)."""
    name, _ = new_table(ddb)
    backup = ok(endpoint, "CreateBackup", {"TableName": name, "BackupName": "bk1"})[
        "BackupDetails"]["BackupArn"]
    wait_backup_available(ddb, backup)
    moved = other_region(backup)
    described = ok(endpoint, "DescribeBackup", {"BackupArn": moved})["BackupDescription"]
    assert described["BackupDetails"]["BackupArn"] == moved
    assert described["SourceTableDetails"]["TableName"] == name
    denied = ("AccessDeniedException", "Access is denied")
    for op in ("DescribeBackup", "DeleteBackup"):
        assert answer(endpoint, op, {"BackupArn": other_account(backup)}) == denied
    target = unique_name("tgt")
    assert answer(endpoint, "RestoreTableFromBackup",
                  {"BackupArn": other_account(backup), "TargetTableName": target}) == denied
    assert answer(endpoint, "RestoreTableFromBackup",
                  {"BackupArn": moved, "TargetTableName": target}) == (
        "ValidationException",
        "Invalid Request: sseSpecificationOverride must be provided for cross-region restores")
    assert answer(endpoint, "ListBackups", {"ExclusiveStartBackupArn": moved}) == (
        "ValidationException",
        "Invalid Request: The supplied ExclusiveStartBackupArn does not match the region")
    assert ok(endpoint, "DeleteBackup", {"BackupArn": moved})["BackupDescription"][
        "BackupDetails"]["BackupStatus"] == "DELETED"
    assert answer(endpoint, "DescribeBackup", {"BackupArn": backup}) == (
        "BackupNotFoundException", "Backup not found: " + backup)


def test_list_backups_time_range_must_not_be_inverted(endpoint):
    """ListBackups with TimeRangeLowerBound after TimeRangeUpperBound: "One or more parameter
    values were invalid: Time range lower bound must be less than or equal to upper bound"
    (DDB-BACKUP-014, DDB-TABLE-442)."""
    assert answer(endpoint, "ListBackups", {"TimeRangeLowerBound": 2000000000,
                                            "TimeRangeUpperBound": 1000000000}) == (
        "ValidationException",
        INVALID + "Time range lower bound must be less than or equal to upper bound")


def test_restore_from_backup_override_errors(endpoint, ddb):
    """RestoreTableFromBackup's overrides (DDB-TABLE-273, DDB-TABLE-442): an index override
    naming no index of the source "Invalid Request: Index <n> does not match a secondary index
    that existed in the source table and cannot be created during the restore operation";
    BillingModeOverride PROVISIONED without ProvisionedThroughputOverride "... Must override
    ProvisionedThroughput if BillingMode is overridden to PROVISIONED"; a throughput override of
    a PAY_PER_REQUEST restore "... Cannot override ProvisionedThroughput unless BillingMode is
    PROVISIONED" (no billing override) or "... if BillingMode is overridden to PAY_PER_REQUEST".
    Into an existing table: TableAlreadyExistsException "Table already exists: <name>"
    (DDB-TABLE-219)."""
    name, _ = new_table(ddb)
    backup = ok(endpoint, "CreateBackup", {"TableName": name, "BackupName": "bk1"})[
        "BackupDetails"]["BackupArn"]
    wait_backup_available(ddb, backup)
    target = unique_name("tgt")
    pt = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    index = {"IndexName": "nope", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}}
    cases = [
        ({"GlobalSecondaryIndexOverride": [index]},
         "Invalid Request: Index nope does not match a secondary index that existed in the "
         "source table and cannot be created during the restore operation"),
        ({"BillingModeOverride": "PROVISIONED"},
         "Invalid Request: Must override ProvisionedThroughput if BillingMode is overridden to "
         "PROVISIONED"),
        ({"ProvisionedThroughputOverride": pt},
         "Invalid Request: Cannot override ProvisionedThroughput unless BillingMode is "
         "PROVISIONED"),
        ({"BillingModeOverride": "PAY_PER_REQUEST", "ProvisionedThroughputOverride": pt},
         "Invalid Request: Cannot override ProvisionedThroughput if BillingMode is overridden to "
         "PAY_PER_REQUEST"),
    ]
    for extra, message in cases:
        assert answer(endpoint, "RestoreTableFromBackup",
                      dict(extra, BackupArn=backup, TargetTableName=target)) == (
            "ValidationException", message), extra
    assert target not in ddb.list_tables()["TableNames"]
    assert answer(endpoint, "RestoreTableFromBackup",
                  {"BackupArn": backup, "TargetTableName": name}) == (
        "TableAlreadyExistsException", "Table already exists: " + name)


def test_restore_index_overrides_match_keys_and_projection(endpoint, ddb):
    """An index override names a source index by its KeySchema and Projection and may rename it:
    the restored table has the index under the new name, its items in it; another KeySchema or
    Projection under the old name: "Invalid Request: Index <n> does not match a secondary index
    that existed in the source table and cannot be created during the restore operation". A GSI
    override of a PROVISIONED restore without ProvisionedThroughput: "... Must specify provisioned
    throughput for index <n>"; with it, when BillingModeOverride is PAY_PER_REQUEST: "... Cannot
    override ProvisionedThroughput if BillingMode is overridden to PAY_PER_REQUEST for index <n>"
    (DDB-TABLE-280; the 'Invalid Request: ' these two begin with is the other restore refusals'
    (DDB-TABLE-442), the recording quotes them without it)."""
    name = unique_name("ovr")
    pt = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    keys = {"gsi": [{"AttributeName": "gk", "KeyType": "HASH"}],
            "lsi": [{"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "lsk", "KeyType": "RANGE"}]}
    include = {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "b"]}
    ddb.create_table(
        TableName=name, ProvisionedThroughput=pt,
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"}
                              for n in ("pk", "sk", "gk", "lsk")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi1", "KeySchema": keys["gsi"],
                                 "Projection": include, "ProvisionedThroughput": pt}],
        LocalSecondaryIndexes=[{"IndexName": "lsi1", "KeySchema": keys["lsi"],
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    wait_table_active(ddb, name)
    ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"S": "s"}, "gk": {"S": "g"},
                                       "lsk": {"S": "l"}, "a": {"S": "x"}})
    backup = ok(endpoint, "CreateBackup", {"TableName": name, "BackupName": "bk1"})[
        "BackupDetails"]["BackupArn"]
    wait_backup_available(ddb, backup)

    def gsi(index, projection=include, **extra):
        return dict({"IndexName": index, "KeySchema": keys["gsi"], "Projection": projection},
                    **extra)

    lsi = {"IndexName": "lsi-new", "KeySchema": keys["lsi"],
           "Projection": {"ProjectionType": "KEYS_ONLY"}}
    target = unique_name("ovr-new")
    ok(endpoint, "RestoreTableFromBackup", {
        "BackupArn": backup, "TargetTableName": target,
        "GlobalSecondaryIndexOverride": [gsi("gsi-new", ProvisionedThroughput=pt)],
        "LocalSecondaryIndexOverride": [lsi]})
    wait_table_active(ddb, target)
    table = ddb.describe_table(TableName=target)["Table"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["gsi-new"]
    assert [i["IndexName"] for i in table["LocalSecondaryIndexes"]] == ["lsi-new"]
    found = ddb.query(TableName=target, IndexName="gsi-new", KeyConditionExpression="gk = :g",
                      ExpressionAttributeValues={":g": {"S": "g"}})["Items"]
    assert found == [{"pk": {"S": "p"}, "sk": {"S": "s"}, "gk": {"S": "g"}, "a": {"S": "x"}}]

    unmatched = ("Invalid Request: Index {} does not match a secondary index that existed in the "
                 "source table and cannot be created during the restore operation")
    other_key = dict(gsi("gsi1", ProvisionedThroughput=pt),
                     KeySchema=[{"AttributeName": "lsk", "KeyType": "HASH"}])
    cases = [
        ({"GlobalSecondaryIndexOverride": [other_key]}, unmatched.format("gsi1")),
        ({"GlobalSecondaryIndexOverride": [gsi("gsi1", {"ProjectionType": "ALL"},
                                               ProvisionedThroughput=pt)]},
         unmatched.format("gsi1")),
        ({"LocalSecondaryIndexOverride": [dict(lsi, Projection={"ProjectionType": "ALL"})]},
         unmatched.format("lsi-new")),
        ({"GlobalSecondaryIndexOverride": [gsi("gsi1")]},
         "Invalid Request: Must specify provisioned throughput for index gsi1"),
        ({"BillingModeOverride": "PAY_PER_REQUEST",
          "GlobalSecondaryIndexOverride": [gsi("gsi1", ProvisionedThroughput=pt)]},
         "Invalid Request: Cannot override ProvisionedThroughput if BillingMode is overridden to "
         "PAY_PER_REQUEST for index gsi1"),
    ]
    refused = unique_name("ovr-no")
    for extra, message in cases:
        assert answer(endpoint, "RestoreTableFromBackup",
                      dict(extra, BackupArn=backup, TargetTableName=refused)) == (
            "ValidationException", message), extra
    assert refused not in ddb.list_tables()["TableNames"]


def test_system_backup_cannot_be_deleted(endpoint, ddb):
    """Deleting a table with PITR leaves a SYSTEM backup '<table>$DeletedTableBackup' that
    DeleteBackup refuses: ValidationException "Invalid Request: User is not allowed to delete
    the system backup with arn <arn>. It will automatically expire on <time>" (DDB-BACKUP-015;
    how the time is printed is not recorded, so it is not asserted)."""
    name, _ = new_table(ddb, pitr=True)
    ddb.delete_table(TableName=name)
    deadline = time.monotonic() + 10
    while True:
        found = ok(endpoint, "ListBackups", {"TableName": name, "BackupType": "SYSTEM"})[
            "BackupSummaries"]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert [b["BackupName"] for b in found] == [name + "$DeletedTableBackup"]
    arn = found[0]["BackupArn"]
    code, message = answer(endpoint, "DeleteBackup", {"BackupArn": arn})
    assert code == "ValidationException"
    assert message.startswith(f"Invalid Request: User is not allowed to delete the system "
                              f"backup with arn {arn}. It will automatically expire on "), message
    ok(endpoint, "DescribeBackup", {"BackupArn": arn})


@pytest.fixture(scope="module")
def slow_endpoint(foreign_endpoint, tmp_path_factory):
    with own_server(foreign_endpoint, tmp_path_factory,
                    ["--in-memory", "--delay-transient-statuses=3s"],
                    "needs tables that stay CREATING") as server:
        yield server.endpoint


def test_backup_and_pitr_of_a_creating_table_are_table_not_found(slow_endpoint):
    """CreateBackup and UpdateContinuousBackups of a table still CREATING: TableNotFoundException
    "Table not found: <name>", as of a missing table (DDB-BACKUP-001, DDB-TABLE-447)."""
    name = unique_name("creating")
    ok(slow_endpoint, "CreateTable", {
        "TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]})
    expected = ("TableNotFoundException", "Table not found: " + name)
    assert answer(slow_endpoint, "CreateBackup",
                  {"TableName": name, "BackupName": "early"}) == expected
    assert answer(slow_endpoint, "UpdateContinuousBackups", {
        "TableName": name,
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}}) == expected


def test_backup_feeds_one_restore_at_a_time(slow_endpoint):
    """While a table restored from a backup is CREATING, another restore from that backup is
    BackupInUseException "Backup is being used to restore another table: <arn>" and DeleteBackup
    "Backup is being used to restore table: <arn>"; both go through once it is ACTIVE
    (DDB-BACKUP-010)."""
    ddb = make_client(slow_endpoint)
    name = unique_name("one")
    ok(slow_endpoint, "CreateTable", {
        "TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]})
    wait_table_active(ddb, name)
    backup = ok(slow_endpoint, "CreateBackup", {"TableName": name, "BackupName": "bk1"})[
        "BackupDetails"]["BackupArn"]
    wait_backup_available(ddb, backup)
    first = unique_name("first")
    ok(slow_endpoint, "RestoreTableFromBackup", {"BackupArn": backup, "TargetTableName": first})
    assert answer(slow_endpoint, "RestoreTableFromBackup",
                  {"BackupArn": backup, "TargetTableName": unique_name("second")}) == (
        "BackupInUseException", "Backup is being used to restore another table: " + backup)
    assert answer(slow_endpoint, "DeleteBackup", {"BackupArn": backup}) == (
        "BackupInUseException", "Backup is being used to restore table: " + backup)
    wait_table_active(ddb, first)
    second = unique_name("second")
    ok(slow_endpoint, "RestoreTableFromBackup", {"BackupArn": backup, "TargetTableName": second})
    wait_table_active(ddb, second)
    ok(slow_endpoint, "DeleteBackup", {"BackupArn": backup})


# --- export and import --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def transfer_endpoint(foreign_endpoint, tmp_path_factory):
    s3_dir = tmp_path_factory.mktemp("s3")
    (s3_dir / "empty-bucket").mkdir()
    (s3_dir / "bkt").mkdir()
    with own_server(foreign_endpoint, tmp_path_factory,
                    ["--in-memory", "--s3-dir", str(s3_dir)],
                    "reads and writes the server's local S3 directory") as server:
        yield server.endpoint


def test_export_request_errors(transfer_endpoint):
    """ExportTableToPointInTime refusals (DDB-EXPORT-001, DDB-EXPORT-002, DDB-EXPORT-005): a bare
    name as TableArn "One or more parameter values were invalid: tableArn is not a valid ARN", an
    index ARN "Invalid Request: Table ARN is invalid.", a missing table (or another region's)
    "Table not found: <arn>"
    and a table without PITR "Point in time recovery is not enabled for table '<name>'" (both
    also moto's AWS-verified tests), S3BucketOwner not 12 digits the pattern [0-9]{12} at
    's3BucketOwner', S3SseKmsKeyId without KMS "Invalid Request: KMS Key Id is not supported for
    this encryption type"; an ExportTime before PITR or in the future "Export Time is invalid"."""
    ddb = make_client(transfer_endpoint)
    name, arn = new_table(ddb)
    ep = transfer_endpoint
    assert answer(ep, "ExportTableToPointInTime", {"TableArn": name, "S3Bucket": "bkt"}) == (
        "ValidationException", INVALID + "tableArn is not a valid ARN")
    assert answer(ep, "ExportTableToPointInTime",
                  {"TableArn": arn + "/index/gsi", "S3Bucket": "bkt"}) == (
        "ValidationException", "Invalid Request: Table ARN is invalid.")
    assert answer(ep, "ExportTableToPointInTime", {"TableArn": arn + "x", "S3Bucket": "bkt"}) == (
        "TableNotFoundException", f"Table not found: {arn}x")
    region = arn.split(":")[3]
    elsewhere = arn.replace(f":{region}:", ":eu-north-1:" if region != "eu-north-1"
                            else ":us-west-2:")
    assert answer(ep, "ExportTableToPointInTime", {"TableArn": elsewhere, "S3Bucket": "bkt"}) \
        == ("TableNotFoundException", f"Table not found: {elsewhere}")
    assert answer(ep, "ExportTableToPointInTime", {"TableArn": arn, "S3Bucket": "bkt"}) == (
        "PointInTimeRecoveryUnavailableException",
        f"Point in time recovery is not enabled for table '{name}'")
    assert answer(ep, "ExportTableToPointInTime", {
        "TableArn": arn, "S3Bucket": "bkt", "S3BucketOwner": "not-an-account"}) == (
        "ValidationException",
        "1 validation error detected: Value 'not-an-account' at 's3BucketOwner' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: [0-9]{12}")
    assert answer(ep, "ExportTableToPointInTime", {
        "TableArn": arn, "S3Bucket": "bkt", "S3SseAlgorithm": "AES256",
        "S3SseKmsKeyId": "alias/aws/s3"}) == (
        "ValidationException",
        "Invalid Request: KMS Key Id is not supported for this encryption type")
    ddb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    for when in (time.time() - 3600, time.time() + 3600):
        assert answer(ep, "ExportTableToPointInTime", {
            "TableArn": arn, "S3Bucket": "bkt", "ExportTime": when}) == (
            "InvalidExportTimeException", "Export Time is invalid")


def test_incremental_export_errors(transfer_endpoint):
    """ExportType and IncrementalExportSpecification (DDB-EXPORT-003): a specification without
    ExportType "Invalid Request: Export Type expected to be Incremental Export when incremental
    export specification is provided", with FULL_EXPORT "Invalid Request: When Export Type is
    Full Export , Incremental Export Specification should not be provided", INCREMENTAL_EXPORT
    without one "... Incremental Export Specification expected when export type is set as
    Incremental Export", without ExportFromTime "... ExportFromTime must be provided in
    IncrementalExportSpecification". The period (DDB-EXPORT-001, DDB-EXPORT-004):
    InvalidExportTimeException "Incremental export period from time cannot be less than the
    table creation time : <from>" when it starts before PITR (or there is none), "Incremental
    export period to time cannot be greater than the current time : <to>" when it ends later
    than now."""
    ddb = make_client(transfer_endpoint)
    name, arn = new_table(ddb)
    ep = transfer_endpoint
    now = time.time()
    incremental = {"TableArn": arn, "S3Bucket": "bkt", "ExportType": "INCREMENTAL_EXPORT"}
    spec = {"ExportFromTime": now - 60}
    cases = [
        ({"TableArn": arn, "S3Bucket": "bkt", "IncrementalExportSpecification": spec},
         "Invalid Request: Export Type expected to be Incremental Export when incremental export "
         "specification is provided"),
        ({"TableArn": arn, "S3Bucket": "bkt", "ExportType": "FULL_EXPORT",
          "IncrementalExportSpecification": spec},
         "Invalid Request: When Export Type is Full Export , Incremental Export Specification "
         "should not be provided"),
        (incremental, "Invalid Request: Incremental Export Specification expected when export "
                      "type is set as Incremental Export"),
        (dict(incremental, IncrementalExportSpecification={}),
         "Invalid Request: ExportFromTime must be provided in IncrementalExportSpecification"),
        (dict(incremental, IncrementalExportSpecification={"ExportViewType": "NEW_IMAGE"}),
         "Invalid Request: ExportFromTime must be provided in IncrementalExportSpecification"),
    ]
    for body, message in cases:
        assert answer(ep, "ExportTableToPointInTime", body) == ("ValidationException", message)
    from_message = ("InvalidExportTimeException", "Incremental export period from time cannot "
                    "be less than the table creation time : " + iso_seconds(now - 60))
    assert answer(ep, "ExportTableToPointInTime",
                  dict(incremental, IncrementalExportSpecification=spec)) == from_message
    ddb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    assert answer(ep, "ExportTableToPointInTime",
                  dict(incremental, IncrementalExportSpecification=spec)) == from_message
    later = time.time() + 3600
    assert answer(ep, "ExportTableToPointInTime", dict(
        incremental, IncrementalExportSpecification={"ExportFromTime": time.time(),
                                                     "ExportToTime": later})) == (
        "InvalidExportTimeException", "Incremental export period to time cannot be greater "
        "than the current time : " + iso_seconds(later))


def test_incremental_export_period_is_at_least_15_minutes(transfer_endpoint):
    """An incremental period from the enabling of PITR to now, minutes short of a quarter of an
    hour: InvalidExportTimeException "Difference between export period from time and export
    period to time is less than 15 minutes" (DDB-EXPORT-019, DDB-EXPORT-004: the period's start
    checked first, its length after)."""
    ddb = make_client(transfer_endpoint)
    name, arn = new_table(ddb, pitr=True)
    earliest = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"].timestamp()
    incremental = {"TableArn": arn, "S3Bucket": "bkt", "ExportType": "INCREMENTAL_EXPORT"}
    time.sleep(1.1)
    for spec in ({"ExportFromTime": earliest},
                 {"ExportFromTime": earliest, "ExportToTime": time.time() - 0.5}):
        assert answer(transfer_endpoint, "ExportTableToPointInTime",
                      dict(incremental, IncrementalExportSpecification=spec)) == (
            "InvalidExportTimeException", "Difference between export period from time and "
            "export period to time is less than 15 minutes"), spec


@source("question: a period that ends before it starts, inside the recovery window: DynamoDB "
        "answers every refused period with InvalidExportTimeException (ack-api-quirks dynamodb "
        "DDB-EXPORT-004), its words for this one are not recorded (its inverted probe started "
        "before the window): those of a period too short")
def test_incremental_export_period_ending_before_it_starts(transfer_endpoint):
    """ExportToTime before ExportFromTime, both inside the recovery window:
    InvalidExportTimeException, as a period shorter than 15 minutes."""
    ddb = make_client(transfer_endpoint)
    _, arn = new_table(ddb, pitr=True)
    time.sleep(1.1)
    now = time.time()
    assert answer(transfer_endpoint, "ExportTableToPointInTime", {
        "TableArn": arn, "S3Bucket": "bkt", "ExportType": "INCREMENTAL_EXPORT",
        "IncrementalExportSpecification": {"ExportFromTime": now, "ExportToTime": now - 0.5}}) == (
        "InvalidExportTimeException", "Difference between export period from time and export "
        "period to time is less than 15 minutes")


def test_export_conflict_and_lookups(transfer_endpoint):
    """A ClientToken reused with another S3Prefix or ExportFormat: ExportConflictException
    "Export conflict: Duplicate request detected with conflicting parameters", the same request
    the same export (DDB-EXPORT-009). DescribeExport of a well-formed ARN naming nothing:
    ExportNotFoundException "Export not found: Export not found: <arn>" (sic); of a table's ARN:
    "Invalid Export ARN"; DescribeImport of a table's ARN "Invalid Import ARN" (DDB-EXPORT-006,
    DDB-IMPORT-010). ListExports with a NextToken it did not give: "Invalid Request: Provided
    nextToken is invalid: <token>" (DDB-EXPORT-006)."""
    ddb = make_client(transfer_endpoint)
    name, arn = new_table(ddb, pitr=True)
    ep = transfer_endpoint
    request = {"TableArn": arn, "S3Bucket": "bkt", "S3Prefix": "a", "ClientToken": "tok-1"}
    first = ok(ep, "ExportTableToPointInTime", request)["ExportDescription"]["ExportArn"]
    again = ok(ep, "ExportTableToPointInTime", request)["ExportDescription"]["ExportArn"]
    assert again == first
    for change in ({"S3Prefix": "b"}, {"ExportFormat": "ION"}):
        assert answer(ep, "ExportTableToPointInTime", dict(request, **change)) == (
            "ExportConflictException",
            "Export conflict: Duplicate request detected with conflicting parameters"), change
    missing = arn + "/export/01700000000000-0000abcd"
    assert answer(ep, "DescribeExport", {"ExportArn": missing}) == (
        "ExportNotFoundException", "Export not found: Export not found: " + missing)
    assert answer(ep, "DescribeExport", {"ExportArn": arn}) == (
        "ValidationException", "Invalid Export ARN")
    assert answer(ep, "DescribeImport", {"ImportArn": arn}) == (
        "ValidationException", "Invalid Import ARN")
    assert answer(ep, "ListExports", {"NextToken": "zz"}) == (
        "ValidationException", "Invalid Request: Provided nextToken is invalid: zz")


def test_export_and_import_arns_of_other_regions_and_accounts(transfer_endpoint):
    """DescribeExport of an export's ARN in another region: ExportNotFoundException "Export not
    found: Invalid export arn"; in another account: AccessDeniedException "Access is denied"
    (DDB-EXPORT-006); DescribeImport of another account's ARN: AccessDeniedException
    (DDB-IMPORT-010, which records the type; the words are DescribeExport's)."""
    ddb = make_client(transfer_endpoint)
    ep = transfer_endpoint
    _, arn = new_table(ddb, pitr=True)
    export = ok(ep, "ExportTableToPointInTime", {"TableArn": arn, "S3Bucket": "bkt"})[
        "ExportDescription"]["ExportArn"]
    assert answer(ep, "DescribeExport", {"ExportArn": other_region(export)}) == (
        "ExportNotFoundException", "Export not found: Invalid export arn")
    assert answer(ep, "DescribeExport", {"ExportArn": other_account(export)}) == (
        "AccessDeniedException", "Access is denied")
    assert answer(ep, "DescribeImport",
                  {"ImportArn": other_account(export).replace("/export/", "/import/")}) == (
        "AccessDeniedException", "Access is denied")


def test_export_description_defaults(transfer_endpoint):
    """An export requested with TableArn and S3Bucket alone is described with ExportFormat
    DYNAMODB_JSON, S3SseAlgorithm AES256 and DestinationType S3 and without ExportType, from the
    request's answer to COMPLETED; ListExports' summary names its ExportType FULL_EXPORT
    (DDB-EXPORT-017, DDB-EXPORT-016, DDB-EXPORT-008)."""
    ddb = make_client(transfer_endpoint)
    _, arn = new_table(ddb, pitr=True)
    desc = ok(transfer_endpoint, "ExportTableToPointInTime",
              {"TableArn": arn, "S3Bucket": "bkt"})["ExportDescription"]
    deadline = time.monotonic() + 20
    while True:
        assert desc["ExportFormat"] == "DYNAMODB_JSON" and desc["S3SseAlgorithm"] == "AES256"
        assert desc["DestinationType"] == "S3", desc  # not in botocore's model (DDB-EXPORT-008)
        assert "ExportType" not in desc and "S3SseKmsKeyId" not in desc, desc
        if desc["ExportStatus"] != "IN_PROGRESS" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
        desc = ok(transfer_endpoint, "DescribeExport",
                  {"ExportArn": desc["ExportArn"]})["ExportDescription"]
    assert desc["ExportStatus"] == "COMPLETED", desc
    summaries = ok(transfer_endpoint, "ListExports", {"TableArn": arn})["ExportSummaries"]
    assert summaries == [{"ExportArn": desc["ExportArn"], "ExportStatus": "COMPLETED",
                          "ExportType": "FULL_EXPORT"}]


def creation(table):
    return {"TableName": table, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}


def test_import_request_errors(transfer_endpoint):
    """ImportTable refusals (DDB-IMPORT-009): CSV options with another InputFormat "Invalid
    Request: Unsupported InputFormatOptions for the given input format: DYNAMODB_JSON.", a
    Delimiter ';;' both its pattern and its length at 'inputFormatOptions.csv.delimiter' (2
    validation errors), InputCompressionType 'BZIP2' the enum in DynamoDB's order [ZSTD, NONE,
    GZIP]. A ClientToken reused with another TableName: ImportConflictException "Import
    conflict: Duplicate request detected with conflicting parameters"; with another
    S3KeyPrefix, the first import (DDB-IMPORT-017)."""
    ep = transfer_endpoint
    source_ = {"S3Bucket": "empty-bucket"}
    base = {"S3BucketSource": source_, "TableCreationParameters": creation(unique_name("imp"))}
    assert answer(ep, "ImportTable", dict(base, InputFormat="DYNAMODB_JSON",
                                          InputFormatOptions={"Csv": {"Delimiter": ","}})) == (
        "ValidationException",
        "Invalid Request: Unsupported InputFormatOptions for the given input format: "
        "DYNAMODB_JSON.")
    assert answer(ep, "ImportTable", dict(base, InputFormat="CSV",
                                          InputFormatOptions={"Csv": {"Delimiter": ";;"}})) == (
        "ValidationException",
        "2 validation errors detected: Value ';;' at 'inputFormatOptions.csv.delimiter' failed "
        "to satisfy constraint: Member must satisfy regular expression pattern: [,;:|\\t ]; "
        "Value ';;' at 'inputFormatOptions.csv.delimiter' failed to satisfy constraint: Member "
        "must have length less than or equal to 1")
    assert answer(ep, "ImportTable", dict(base, InputFormat="DYNAMODB_JSON",
                                          InputCompressionType="BZIP2")) == (
        "ValidationException",
        "1 validation error detected: Value 'BZIP2' at 'inputCompressionType' failed to satisfy "
        "constraint: Member must satisfy enum value set: [ZSTD, NONE, GZIP]")
    request = dict(base, InputFormat="DYNAMODB_JSON", ClientToken="imp-tok")
    first = ok(ep, "ImportTable", request)["ImportTableDescription"]["ImportArn"]
    moved = dict(request, S3BucketSource={"S3Bucket": "empty-bucket", "S3KeyPrefix": "other/"})
    assert ok(ep, "ImportTable", moved)["ImportTableDescription"]["ImportArn"] == first
    renamed = dict(request, TableCreationParameters=creation(unique_name("imp")))
    assert answer(ep, "ImportTable", renamed) == (
        "ImportConflictException",
        "Import conflict: Duplicate request detected with conflicting parameters")


def test_import_of_no_objects_completes_with_an_empty_table(transfer_endpoint):
    """An import whose prefix holds no objects ends COMPLETED with an empty ACTIVE table
    (DDB-IMPORT-012). Its description fills in S3BucketOwner (the caller's account),
    InputCompressionType NONE and the CloudWatchLogGroupArn of the account's imports
    (DDB-IMPORT-003), ListImports' summary the same S3BucketSource and log group."""
    ddb = make_client(transfer_endpoint)
    table = unique_name("none")
    arn = ok(transfer_endpoint, "ImportTable", {
        "S3BucketSource": {"S3Bucket": "empty-bucket", "S3KeyPrefix": "nothing/"},
        "InputFormat": "DYNAMODB_JSON",
        "TableCreationParameters": creation(table)})["ImportTableDescription"]["ImportArn"]
    deadline = time.monotonic() + 20
    while True:
        desc = ddb.describe_import(ImportArn=arn)["ImportTableDescription"]
        if desc["ImportStatus"] != "IN_PROGRESS" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert desc["ImportStatus"] == "COMPLETED", desc
    assert desc["ImportedItemCount"] == 0 and desc["ErrorCount"] == 0
    assert ddb.scan(TableName=table)["Items"] == []
    region, account = desc["TableArn"].split(":")[3:5]
    assert desc["S3BucketSource"] == {"S3Bucket": "empty-bucket", "S3KeyPrefix": "nothing/",
                                      "S3BucketOwner": account}
    assert desc["InputCompressionType"] == "NONE"
    log_group = f"arn:aws:logs:{region}:{account}:log-group:/aws-dynamodb/imports:*"
    assert desc["CloudWatchLogGroupArn"] == log_group
    summary = ok(transfer_endpoint, "ListImports", {"TableArn": desc["TableArn"]})[
        "ImportSummaryList"]
    assert [(s["ImportArn"], s["S3BucketSource"], s["CloudWatchLogGroupArn"]) for s in summary] \
        == [(arn, desc["S3BucketSource"], log_group)]


def import_empty_table(endpoint):
    """An import of no objects (a new empty table): its ImportArn."""
    return ok(endpoint, "ImportTable", {
        "S3BucketSource": {"S3Bucket": "empty-bucket", "S3KeyPrefix": "nothing/"},
        "InputFormat": "DYNAMODB_JSON", "TableCreationParameters": creation(unique_name("li"))})[
        "ImportTableDescription"]["ImportArn"]


def test_list_exports_and_imports_page_ten_newest_first(transfer_endpoint):
    """ListExports and ListImports list 10 jobs a page by default, newest first (DDB-IMPORT-016,
    DDB-EXPORT-017), and the next page from NextToken; a page size outside 1..25 is the model's
    constraint in DynamoDB's generic words; one list's NextToken given to the other: "Invalid
    Request: Provided nextToken is invalid: <token>"; a NextToken given with another TableArn:
    no job (DDB-EXPORT-006)."""
    ddb = make_client(transfer_endpoint)
    ep = transfer_endpoint
    _, arn = new_table(ddb, pitr=True)
    exports = [ok(ep, "ExportTableToPointInTime", {"TableArn": arn, "S3Bucket": "bkt"})[
        "ExportDescription"]["ExportArn"] for _ in range(11)]
    first = ok(ep, "ListExports", {"TableArn": arn})
    assert [s["ExportArn"] for s in first["ExportSummaries"]] == exports[::-1][:10]
    rest = ok(ep, "ListExports", {"TableArn": arn, "NextToken": first["NextToken"]})
    assert [s["ExportArn"] for s in rest["ExportSummaries"]] == exports[:1]
    assert "NextToken" not in rest
    _, other = new_table(ddb)
    assert ok(ep, "ListExports", {"TableArn": other, "NextToken": first["NextToken"]}) == {
        "ExportSummaries": []}
    imports = [import_empty_table(ep) for _ in range(11)]
    page = ok(ep, "ListImports", {})
    assert [s["ImportArn"] for s in page["ImportSummaryList"]] == imports[::-1][:10]
    page2 = ok(ep, "ListImports", {"PageSize": 1, "NextToken": page["NextToken"]})
    assert [s["ImportArn"] for s in page2["ImportSummaryList"]] == imports[:1]
    for op, token in (("ListImports", first["NextToken"]), ("ListExports", page["NextToken"])):
        assert answer(ep, op, {"NextToken": token}) == (
            "ValidationException", "Invalid Request: Provided nextToken is invalid: " + token)
    for op, member in (("ListExports", "maxResults"), ("ListImports", "pageSize")):
        size = {"maxResults": "MaxResults", "pageSize": "PageSize"}[member]
        assert answer(ep, op, {size: 26}) == (
            "ValidationException", f"1 validation error detected: Value '26' at '{member}' "
            "failed to satisfy constraint: Member must have value less than or equal to 25")
        assert answer(ep, op, {size: 0}) == (
            "ValidationException", f"1 validation error detected: Value '0' at '{member}' "
            "failed to satisfy constraint: Member must have value greater than or equal to 1")


# --- resource policies --------------------------------------------------------------------------

def test_resource_policy_revision_errors(unlimited_endpoint):
    """PolicyNotFoundException's recorded words (moto's AWS-verified tests, DDB-TABLE-205,
    DDB-TABLE-209): no policy "Resource-based policy not found for the provided ResourceArn:
    <arn>"; an ExpectedRevisionId that is not the current one "...: Requested update for policy
    with revision id <x>, but the policy associated to target table <t> has revision id <r>.";
    ExpectedRevisionId NO_POLICY "...: Requested policy update expecting none to be present for
    table <t>, but a policy exists with revision id <r>." (and accepted without a policy); an
    ExpectedRevisionId with no policy "...: Requested update for policy with revision id <x>,
    but table <t> has no associated" (recorded cut there). Re-putting the same policy is no
    change: the same RevisionId, 13 digits of epoch ms (DDB-TABLE-207). DeleteResourcePolicy
    without a policy answers 200 with no RevisionId (DDB-TABLE-205). (The policy changes
    within DynamoDB's 15 s: a server with --no-update-limits.)"""
    endpoint = unlimited_endpoint
    name, arn = new_table(make_client(endpoint))
    prefix = "Resource-based policy not found for the provided ResourceArn: "
    assert answer(endpoint, "GetResourcePolicy", {"ResourceArn": arn}) == (
        "PolicyNotFoundException", prefix + arn)
    assert ok(endpoint, "DeleteResourcePolicy", {"ResourceArn": arn}) == {}
    for op, body in (("PutResourcePolicy", {"Policy": POLICY}), ("DeleteResourcePolicy", {})):
        code, message = answer(endpoint, op, dict(body, ResourceArn=arn, ExpectedRevisionId="7"))
        assert code == "PolicyNotFoundException"
        assert message.startswith(prefix + "Requested update for policy with revision id 7, but "
                                  f"table {name} has no associated"), message
    rev = ok(endpoint, "PutResourcePolicy", {"ResourceArn": arn, "Policy": POLICY,
                                             "ExpectedRevisionId": "NO_POLICY"})["RevisionId"]
    assert re.fullmatch(r"\d{13}", rev) and abs(int(rev) / 1000 - time.time()) < 60
    assert ok(endpoint, "PutResourcePolicy", {"ResourceArn": arn, "Policy": POLICY}) == {
        "RevisionId": rev}
    assert answer(endpoint, "PutResourcePolicy", {
        "ResourceArn": arn, "Policy": POLICY, "ExpectedRevisionId": "NO_POLICY"}) == (
        "PolicyNotFoundException",
        prefix + f"Requested policy update expecting none to be present for table {name}, but a "
        f"policy exists with revision id {rev}.")
    stale = prefix + (f"Requested update for policy with revision id 7, but the policy "
                      f"associated to target table {name} has revision id {rev}.")
    assert answer(endpoint, "PutResourcePolicy", {
        "ResourceArn": arn, "Policy": POLICY.replace("GetItem", "Query"),
        "ExpectedRevisionId": "7"}) == ("PolicyNotFoundException", stale)
    assert answer(endpoint, "DeleteResourcePolicy",
                  {"ResourceArn": arn, "ExpectedRevisionId": "7"}) == (
        "PolicyNotFoundException", stale)
    assert ok(endpoint, "DeleteResourcePolicy", {"ResourceArn": arn}) == {"RevisionId": rev}


def test_resource_policy_request_errors(endpoint, ddb):
    """A missing table: ResourceNotFoundException "Requested resource not found: Table: <name>
    not found" (moto's AWS-verified tests, DDB-TABLE-236); a policy of invalid JSON "One or more
    parameter values were invalid: Invalid policy document: This policy contains invalid Json",
    one over 20480 bytes "... Maximum policy size of 20480 bytes exceeded" (DDB-TABLE-442)."""
    name, arn = new_table(ddb)
    gone = arn + "x"
    for op, body in (("GetResourcePolicy", {}), ("DeleteResourcePolicy", {}),
                     ("PutResourcePolicy", {"Policy": POLICY})):
        assert answer(endpoint, op, dict(body, ResourceArn=gone)) == (
            "ResourceNotFoundException", f"Requested resource not found: Table: {name}x not found")
    assert answer(endpoint, "PutResourcePolicy", {"ResourceArn": arn, "Policy": "{"}) == (
        "ValidationException", INVALID + "Invalid policy document: This policy contains invalid "
        "Json")
    big = json.dumps({"Version": "2012-10-17", "Statement": [], "Pad": "x" * 20480})
    assert answer(endpoint, "PutResourcePolicy", {"ResourceArn": arn, "Policy": big}) == (
        "ValidationException", INVALID + "Maximum policy size of 20480 bytes exceeded")


def test_other_accounts_and_regions_tables(endpoint, ddb):
    """Another account's table: ValidationException "This action is only supported by accounts
    that match the resource owner’s account." from the policy operations and
    RestoreTableToPointInTime; another region's: "One or more parameter values were invalid:
    Invalid resource Arn: <arn>" from the policy operations (DDB-TABLE-442, DDB-TABLE-272)."""
    _, arn = new_table(ddb)
    _, _, _, region, account, _ = arn.split(":", 5)
    foreign = arn.replace(f":{account}:", ":999999999999:")
    owner = ("ValidationException", "This action is only supported by accounts that match the "
             "resource owner’s account.")
    assert answer(endpoint, "GetResourcePolicy", {"ResourceArn": foreign}) == owner
    assert answer(endpoint, "PutResourcePolicy",
                  {"ResourceArn": foreign, "Policy": POLICY}) == owner
    assert answer(endpoint, "RestoreTableToPointInTime", {
        "SourceTableArn": foreign, "TargetTableName": unique_name("tgt"),
        "UseLatestRestorableTime": True}) == owner
    elsewhere = arn.replace(f":{region}:", ":eu-north-1:" if region != "eu-north-1"
                            else ":us-west-2:")
    assert answer(endpoint, "DeleteResourcePolicy", {"ResourceArn": elsewhere}) == (
        "ValidationException", INVALID + "Invalid resource Arn: " + elsewhere)


def test_legacy_global_tables_are_refused_in_dynamodb_words(endpoint):
    """CreateGlobalTable and UpdateGlobalTable (global tables version 2017.11.29): DynamoDB's
    own refusal, "One or more parameter values were invalid: DynamoDB global tables version
    2017.11.29 is not supported. We recommend using DynamoDB global tables version 2019.11.21,
    instead of version 2017.11.29 (Legacy)." (DDB-TABLE-442)."""
    expected = ("ValidationException",
                INVALID + "DynamoDB global tables version 2017.11.29 is not supported. We "
                "recommend using DynamoDB global tables version 2019.11.21, instead of version "
                "2017.11.29 (Legacy).")
    assert answer(endpoint, "CreateGlobalTable", {
        "GlobalTableName": "g1", "ReplicationGroup": [{"RegionName": "us-east-1"}]}) == expected
    assert answer(endpoint, "UpdateGlobalTable", {
        "GlobalTableName": "g1", "ReplicaUpdates": [{"Create": {"RegionName": "eu-west-1"}}]}) \
        == expected
