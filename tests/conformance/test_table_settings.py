"""Table settings of today's API: OnDemandThroughput, WarmThroughput (tables and GSIs),
TableClass, DeletionProtectionEnabled.

Debian's boto3 (botocore 1.29) cannot send the newer members, so these tests send them as raw
JSON (raw_call), with today's boto3 and with today's aws CLI (ddbtest.current_boto3 and
current_aws_cli: pip's boto3 1.43 / awscli 1.45, in a child process).

Expectations: DynamoDB's answers recorded by ack-api-quirks (DDB-TABLE-NNN findings, verified
against DynamoDB 2026-10-08/09) where they exist; where cruddur answers on its own, the test says
so.
"""

import json
import uuid

import pytest

from ddbtest import (current_aws_cli, current_boto3, error_message, error_type, raw_call,
                     start_server, unique_name)

source = pytest.mark.source

THROUGHPUT_SETTINGS = source(
    "ddb-answer: OnDemandThroughput/WarmThroughput as DynamoDB answered them live (ack-api-quirks "
    "DDB-TABLE-028/032/039/051/059/061/178/179/182: ranges, -1 clears, WarmThroughput default "
    "12000/4000 or the provisioned units, never decreasing, responses showing the old value "
    "UPDATING)")
DELETION_PROTECTION = source(
    "ddb-answer: DeleteTable of a protected table: ValidationException 'Resource cannot be deleted "
    "as it is currently protected against deletion. Disable deletion protection first.' "
    "(ack-api-quirks error catalogue, [SPEC] DeleteTable)")

INVALID = "One or more parameter values were invalid: "
ON_DEMAND_INITIAL = (
    "lower than initial throughput for OnDemand. See: https://docs.aws.amazon.com/amazondynamodb/"
    "latest/developerguide/on-demand-capacity-mode.html#on-demand-capacity-mode-initial")
PROTECTED = ("Resource cannot be deleted as it is currently protected against deletion. "
             "Disable deletion protection first.")

KEYS = {"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}
GSI_KEYS = {"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "g", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}


def gsi(**settings):
    return dict({"IndexName": "gsi1", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                 "Projection": {"ProjectionType": "ALL"}}, **settings)


@pytest.fixture
def raw(endpoint):
    """raw_call that fails on an error: (op, body) -> the answer."""
    def call(op, body):
        status, answer = raw_call(endpoint, op, body)
        assert status == 200, answer
        return answer
    return call


@pytest.fixture
def names(endpoint):
    """Table names to create; each is unprotected and deleted after the test."""
    created = []
    yield lambda: created.append(unique_name("set")) or created[-1]
    for name in created:
        raw_call(endpoint, "UpdateTable", {"TableName": name, "DeletionProtectionEnabled": False})
        raw_call(endpoint, "DeleteTable", {"TableName": name})


def refusal(endpoint, op, body):
    status, answer = raw_call(endpoint, op, body)
    assert status == 400, answer
    return error_type(answer), error_message(answer)


def only_index(desc):
    (ix,) = desc["GlobalSecondaryIndexes"]
    return ix


@THROUGHPUT_SETTINGS
@DELETION_PROTECTION
def test_settings_round_trip_with_todays_boto3(endpoint, names):
    """Every setting as today's boto3 sends it, back through DescribeTable; -1 clears an
    OnDemandThroughput member (echoed -1, then left out); WarmThroughput only rises."""
    name = names()
    create, describe, clear, lower, raise_, raise_gsi, again, dp_off, delete = current_boto3(
        endpoint, [
            ("create_table", dict(GSI_KEYS, TableName=name, BillingMode="PAY_PER_REQUEST",
                                  OnDemandThroughput={"MaxReadRequestUnits": 100,
                                                      "MaxWriteRequestUnits": 200},
                                  WarmThroughput={"ReadUnitsPerSecond": 12001},
                                  GlobalSecondaryIndexes=[gsi(
                                      OnDemandThroughput={"MaxReadRequestUnits": 50},
                                      WarmThroughput={"WriteUnitsPerSecond": 4500})],
                                  TableClass="STANDARD_INFREQUENT_ACCESS",
                                  DeletionProtectionEnabled=True)),
            ("describe_table", {"TableName": name}),
            ("update_table", {"TableName": name,
                              "OnDemandThroughput": {"MaxReadRequestUnits": -1}}),
            ("update_table", {"TableName": name, "WarmThroughput": {"ReadUnitsPerSecond": 12000}}),
            ("update_table", {"TableName": name, "WarmThroughput": {"ReadUnitsPerSecond": 13000,
                                                                    "WriteUnitsPerSecond": 5000}}),
            ("update_table", {"TableName": name, "GlobalSecondaryIndexUpdates": [{"Update": {
                "IndexName": "gsi1", "WarmThroughput": {"ReadUnitsPerSecond": 14000},
                "OnDemandThroughput": {"MaxWriteRequestUnits": 70}}}]}),
            ("describe_table", {"TableName": name}),
            ("update_table", {"TableName": name, "DeletionProtectionEnabled": False}),
            ("delete_table", {"TableName": name}),
        ])
    created = create["TableDescription"]
    # A CreateTable response shows an asked-for WarmThroughput as being raised.
    assert created["WarmThroughput"] == {"ReadUnitsPerSecond": 12001, "WriteUnitsPerSecond": 4000,
                                         "Status": "UPDATING"}
    table = describe["Table"]
    assert table["OnDemandThroughput"] == {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 200}
    assert table["WarmThroughput"] == {"ReadUnitsPerSecond": 12001, "WriteUnitsPerSecond": 4000,
                                       "Status": "ACTIVE"}
    assert table["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert table["DeletionProtectionEnabled"] is True
    ix = only_index(table)
    assert ix["OnDemandThroughput"] == {"MaxReadRequestUnits": 50}
    assert ix["WarmThroughput"] == {"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4500,
                                    "Status": "ACTIVE"}

    cleared = clear["TableDescription"]
    assert cleared["OnDemandThroughput"] == {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": 200}
    assert cleared["TableStatus"] == "ACTIVE"  # a synchronous change (DDB-TABLE-410)
    assert lower["Error"] == {
        "Code": "ValidationException",
        "Message": INVALID + "Requested ReadUnitsPerSecond for WarmThroughput for table is lower "
        "than current WarmThroughput, decreasing WarmThroughput is not supported"}
    # The response still shows the old WarmThroughput, UPDATING.
    assert raise_["TableDescription"]["WarmThroughput"] == {
        "ReadUnitsPerSecond": 12001, "WriteUnitsPerSecond": 4000, "Status": "UPDATING"}
    assert only_index(raise_gsi["TableDescription"])["WarmThroughput"]["Status"] == "UPDATING"

    table = again["Table"]
    assert table["OnDemandThroughput"] == {"MaxWriteRequestUnits": 200}
    assert table["WarmThroughput"] == {"ReadUnitsPerSecond": 13000, "WriteUnitsPerSecond": 5000,
                                       "Status": "ACTIVE"}
    ix = only_index(table)
    assert ix["OnDemandThroughput"] == {"MaxReadRequestUnits": 50, "MaxWriteRequestUnits": 70}
    assert ix["WarmThroughput"] == {"ReadUnitsPerSecond": 14000, "WriteUnitsPerSecond": 4500,
                                    "Status": "ACTIVE"}
    assert dp_off["TableDescription"]["DeletionProtectionEnabled"] is False
    assert delete["TableDescription"]["TableStatus"] == "DELETING"


@DELETION_PROTECTION
def test_deletion_protection_blocks_delete_until_turned_off(endpoint, raw, names):
    """DeleteTable of a protected table fails (the table stays, with its items) until
    UpdateTable turns the protection off; the UpdateTable leaves the table ACTIVE
    (ack-api-quirks DDB-TABLE-370/410)."""
    name = names()
    raw("CreateTable", dict(KEYS, TableName=name, BillingMode="PAY_PER_REQUEST",
                            DeletionProtectionEnabled=True))
    raw("PutItem", {"TableName": name, "Item": {"pk": {"S": "kept"}}})
    assert refusal(endpoint, "DeleteTable", {"TableName": name}) == (
        "ValidationException", PROTECTED)
    assert raw("GetItem", {"TableName": name, "Key": {"pk": {"S": "kept"}}})["Item"]
    answer = raw("UpdateTable", {"TableName": name, "DeletionProtectionEnabled": False})
    assert answer["TableDescription"]["TableStatus"] == "ACTIVE"
    assert answer["TableDescription"]["DeletionProtectionEnabled"] is False
    assert raw("DeleteTable", {"TableName": name})["TableDescription"]["TableStatus"] == "DELETING"


@pytest.mark.parametrize("body,expected", [
    (dict(ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
          OnDemandThroughput={"MaxReadRequestUnits": 100}),
     ("ValidationException", INVALID + "MaxReadRequestUnits for OnDemandThroughput cannot be "
      "specified when table BillingMode is PROVISIONED.")),
    (dict(BillingMode="PAY_PER_REQUEST", OnDemandThroughput={"MaxReadRequestUnits": 0,
                                                             "MaxWriteRequestUnits": 0}),
     ("ValidationException", INVALID + "Requested MaxReadRequestUnits for OnDemandThroughput for "
      "table is outside of valid range")),
    (dict(BillingMode="PAY_PER_REQUEST", OnDemandThroughput={"MaxWriteRequestUnits": -1}),
     ("ValidationException", INVALID + "Requested MaxWriteRequestUnits for OnDemandThroughput for "
      "table is outside of valid range")),
    (dict(BillingMode="PAY_PER_REQUEST", OnDemandThroughput={"MaxReadRequestUnits": 40001}),
     ("LimitExceededException", "Subscriber limit exceeded: Requested MaxReadRequestUnits for "
      "OnDemandThroughput for table exceeds TableMaxReadCapacityUnits of the account in region "
      "us-east-1")),
    (dict(BillingMode="PAY_PER_REQUEST", WarmThroughput={"ReadUnitsPerSecond": 1,
                                                         "WriteUnitsPerSecond": 1}),
     ("ValidationException", INVALID + "Requested ReadUnitsPerSecond for WarmThroughput for table "
      "is " + ON_DEMAND_INITIAL)),
    (dict(ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 10},
          WarmThroughput={"ReadUnitsPerSecond": 5, "WriteUnitsPerSecond": 5}),
     ("ValidationException", INVALID + "Requested ReadUnitsPerSecond for WarmThroughput for table "
      "is lower than ReadCapacityUnits of ProvisionedThroughput")),
    (dict(BillingMode="PAY_PER_REQUEST", GlobalSecondaryIndexes=[gsi(OnDemandThroughput={
        "MaxReadRequestUnits": 0})]),
     ("ValidationException", INVALID + "Requested MaxReadRequestUnits for OnDemandThroughput for "
      "index : gsi1 is outside of valid range")),
], ids=["odt-provisioned", "odt-zero", "odt-minus-one-at-create", "odt-above-table-max",
        "warm-below-initial", "warm-below-provisioned", "index-odt-zero"])
@THROUGHPUT_SETTINGS
def test_create_throughput_refusals(endpoint, names, body, expected):
    """CreateTable refusals of DDB-TABLE-038/039 and DDB-TABLE-171 (the table maximum, 40000 as
    DescribeLimits reports it); an index's OnDemandThroughput named "index : <name>"
    (DDB-TABLE-128)."""
    keys = GSI_KEYS if "GlobalSecondaryIndexes" in body else KEYS
    assert refusal(endpoint, "CreateTable", dict(keys, TableName=names(), **body)) == expected


@THROUGHPUT_SETTINGS
def test_update_throughput_refusals(endpoint, raw, names):
    """UpdateTable refusals of DDB-TABLE-051/059 (UpdateTable words the PROVISIONED one with
    'the table'); a GSI's own WarmThroughput decrease names the index (DDB-TABLE-155)."""
    provisioned, on_demand = names(), names()
    raw("CreateTable", dict(KEYS, TableName=provisioned,
                            ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 2}))
    raw("CreateTable", dict(GSI_KEYS, TableName=on_demand, BillingMode="PAY_PER_REQUEST",
                            GlobalSecondaryIndexes=[gsi()]))
    assert refusal(endpoint, "UpdateTable", {
        "TableName": provisioned, "OnDemandThroughput": {"MaxReadRequestUnits": 100}}) == (
        "ValidationException", INVALID + "MaxReadRequestUnits for OnDemandThroughput cannot be "
        "specified when the table BillingMode is PROVISIONED")
    assert refusal(endpoint, "UpdateTable", {
        "TableName": on_demand, "OnDemandThroughput": {"MaxWriteRequestUnits": 0}}) == (
        "ValidationException", INVALID + "Requested MaxWriteRequestUnits for OnDemandThroughput "
        "for table is outside of valid range")
    assert refusal(endpoint, "UpdateTable", {
        "TableName": on_demand, "OnDemandThroughput": {"MaxReadRequestUnits": -2}}) == (
        "ValidationException", INVALID + "Requested MaxReadRequestUnits for OnDemandThroughput "
        "for table is outside of valid range")
    assert refusal(endpoint, "UpdateTable", {
        "TableName": on_demand, "GlobalSecondaryIndexUpdates": [{"Update": {
            "IndexName": "gsi1", "WarmThroughput": {"ReadUnitsPerSecond": 100,
                                                    "WriteUnitsPerSecond": 100}}}]}) == (
        "ValidationException", INVALID + "Requested ReadUnitsPerSecond for WarmThroughput for "
        "index gsi1 is lower than current WarmThroughput, decreasing WarmThroughput is not "
        "supported")
    # Nothing was changed by the refusals.
    table = raw("DescribeTable", {"TableName": on_demand})["Table"]
    assert "OnDemandThroughput" not in table
    assert only_index(table)["WarmThroughput"]["ReadUnitsPerSecond"] == 12000


@THROUGHPUT_SETTINGS
def test_warm_throughput_defaults_follow_capacity(raw, names):
    """WarmThroughput is always described: 12000/4000 on demand, the provisioned units otherwise,
    the highest ever provisioned after a decrease, 12000/4000 (kept) after a switch to on demand;
    a CreateTable response leaves it out unless asked (DDB-TABLE-028/032/061)."""
    name = names()
    created = raw("CreateTable", dict(KEYS, TableName=name, ProvisionedThroughput={
        "ReadCapacityUnits": 5, "WriteCapacityUnits": 5}))["TableDescription"]
    assert "WarmThroughput" not in created

    def warm():
        w = raw("DescribeTable", {"TableName": name})["Table"]["WarmThroughput"]
        return w["ReadUnitsPerSecond"], w["WriteUnitsPerSecond"], w["Status"]

    assert warm() == (5, 5, "ACTIVE")
    raw("UpdateTable", {"TableName": name, "ProvisionedThroughput": {"ReadCapacityUnits": 7,
                                                                     "WriteCapacityUnits": 6}})
    assert warm() == (7, 6, "ACTIVE")
    raw("UpdateTable", {"TableName": name, "ProvisionedThroughput": {"ReadCapacityUnits": 2,
                                                                     "WriteCapacityUnits": 2}})
    assert warm() == (7, 6, "ACTIVE")
    raw("UpdateTable", {"TableName": name, "BillingMode": "PAY_PER_REQUEST"})
    assert warm() == (12000, 4000, "ACTIVE")
    raw("UpdateTable", {"TableName": name, "BillingMode": "PROVISIONED",
                        "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}})
    assert warm() == (12000, 4000, "ACTIVE")


@THROUGHPUT_SETTINGS
def test_gsi_created_by_update_table_takes_settings(raw, names):
    """A GSI added by UpdateTable takes its OnDemandThroughput and WarmThroughput as
    CreateTable's GSIs do."""
    name = names()
    raw("CreateTable", dict(KEYS, TableName=name, BillingMode="PAY_PER_REQUEST"))
    raw("UpdateTable", {
        "TableName": name, "AttributeDefinitions": GSI_KEYS["AttributeDefinitions"],
        "GlobalSecondaryIndexUpdates": [{"Create": gsi(
            OnDemandThroughput={"MaxReadRequestUnits": 9, "MaxWriteRequestUnits": 8},
            WarmThroughput={"ReadUnitsPerSecond": 12500})}]})
    ix = only_index(raw("DescribeTable", {"TableName": name})["Table"])
    assert ix["OnDemandThroughput"] == {"MaxReadRequestUnits": 9, "MaxWriteRequestUnits": 8}
    assert (ix["WarmThroughput"]["ReadUnitsPerSecond"],
            ix["WarmThroughput"]["WriteUnitsPerSecond"]) == (12500, 4000)


@pytest.fixture
def persistent_server(tmp_path, foreign_endpoint):
    if foreign_endpoint:
        pytest.skip("DDB_ENDPOINT is set: cannot restart a server this suite did not start")
    data = tmp_path / "data"
    data.mkdir()
    servers = []

    def start():
        servers.append(start_server(["--data-dir", str(data)], tmp_path / "server.log"))
        return servers[-1]
    yield start
    for s in servers:
        s.stop()


@THROUGHPUT_SETTINGS
@DELETION_PROTECTION
def test_settings_survive_restart(persistent_server):
    """Every setting is kept in the data dir: a restarted server describes the table as before
    (TableStatus and the GSIs' sizes aside) and still refuses to delete it."""
    name = "settings-" + uuid.uuid4().hex[:8]
    server = persistent_server()
    status, _ = raw_call(server.endpoint, "CreateTable", dict(
        GSI_KEYS, TableName=name, BillingMode="PAY_PER_REQUEST", TableClass="STANDARD_INFREQUENT_ACCESS",
        DeletionProtectionEnabled=True,
        OnDemandThroughput={"MaxReadRequestUnits": 300},
        WarmThroughput={"ReadUnitsPerSecond": 15000, "WriteUnitsPerSecond": 6000},
        GlobalSecondaryIndexes=[gsi(OnDemandThroughput={"MaxWriteRequestUnits": 30},
                                    WarmThroughput={"ReadUnitsPerSecond": 20000})]))
    assert status == 200
    status, _ = raw_call(server.endpoint, "UpdateTable", {
        "TableName": name, "OnDemandThroughput": {"MaxWriteRequestUnits": 400}})
    assert status == 200
    status, _ = raw_call(server.endpoint, "UpdateTable", {"TableName": name, "TableClass": "STANDARD"})
    assert status == 200
    _, before = raw_call(server.endpoint, "DescribeTable", {"TableName": name})
    server.stop()

    server = persistent_server()
    _, after = raw_call(server.endpoint, "DescribeTable", {"TableName": name})
    keep = ("OnDemandThroughput", "WarmThroughput", "TableClassSummary",
            "DeletionProtectionEnabled", "GlobalSecondaryIndexes")
    assert {k: after["Table"][k] for k in keep} == {k: before["Table"][k] for k in keep}
    assert after["Table"]["OnDemandThroughput"] == {"MaxReadRequestUnits": 300,
                                                    "MaxWriteRequestUnits": 400}
    assert set(after["Table"]["TableClassSummary"]) == {"TableClass", "LastUpdateDateTime"}
    status, answer = raw_call(server.endpoint, "DeleteTable", {"TableName": name})
    assert (status, error_message(answer)) == (400, PROTECTED)


@THROUGHPUT_SETTINGS
@DELETION_PROTECTION
def test_settings_with_todays_aws_cli(endpoint, tmp_path, names):
    """Today's aws CLI sends each setting in its shorthand and flag forms; the table answers as
    with boto3."""
    aws = current_aws_cli(endpoint, tmp_path)
    name = names()
    created = json.loads(aws(
        "create-table", "--table-name", name,
        "--attribute-definitions", "AttributeName=pk,AttributeType=S",
        "--key-schema", "AttributeName=pk,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST",
        "--on-demand-throughput", "MaxReadRequestUnits=10,MaxWriteRequestUnits=7",
        "--warm-throughput", "ReadUnitsPerSecond=13000,WriteUnitsPerSecond=4500",
        "--table-class", "STANDARD_INFREQUENT_ACCESS", "--deletion-protection-enabled").stdout)
    assert created["TableDescription"]["OnDemandThroughput"] == {"MaxReadRequestUnits": 10,
                                                                 "MaxWriteRequestUnits": 7}
    aws("update-table", "--table-name", name, "--on-demand-throughput", "MaxReadRequestUnits=-1")
    table = json.loads(aws("describe-table", "--table-name", name).stdout)["Table"]
    assert table["OnDemandThroughput"] == {"MaxWriteRequestUnits": 7}
    assert table["WarmThroughput"] == {"ReadUnitsPerSecond": 13000, "WriteUnitsPerSecond": 4500,
                                       "Status": "ACTIVE"}
    assert table["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    refused = aws("delete-table", "--table-name", name, check=False)
    assert refused.returncode != 0 and PROTECTED in refused.stderr
    aws("update-table", "--table-name", name, "--no-deletion-protection-enabled")
    aws("delete-table", "--table-name", name)


@source("question: an empty OnDemandThroughput or WarmThroughput ({}) on UpdateTable is answered "
        "as a change of nothing; DynamoDB answers it HTTP 500 InternalFailure (ack-api-quirks "
        "DDB-TABLE-437), which cruddur does not copy: SDKs would retry it in vain")
def test_empty_settings_change_nothing(raw, names):
    """UpdateTable with OnDemandThroughput {} and WarmThroughput {} leaves both as they were."""
    name = names()
    raw("CreateTable", dict(KEYS, TableName=name, BillingMode="PAY_PER_REQUEST",
                            OnDemandThroughput={"MaxReadRequestUnits": 11}))
    before = raw("DescribeTable", {"TableName": name})["Table"]
    raw("UpdateTable", {"TableName": name, "OnDemandThroughput": {}})
    raw("UpdateTable", {"TableName": name, "WarmThroughput": {}})
    after = raw("DescribeTable", {"TableName": name})["Table"]
    assert after["OnDemandThroughput"] == before["OnDemandThroughput"] == {"MaxReadRequestUnits": 11}
    assert after["WarmThroughput"] == before["WarmThroughput"]


@source("ddb-answer: TableClass changed by UpdateTable is described with its LastUpdateDateTime "
        "(ack-api-quirks DDB-TABLE-052); a table created STANDARD describes no TableClassSummary "
        "(DDB-TABLE-058); an unknown class is refused in DynamoDB's words (DynamoDB Local ignores "
        "TableClass)")
def test_table_class_round_trip(ddb, endpoint, names):
    """TableClass through CreateTable, DescribeTable and UpdateTable, with Debian's boto3 (which
    knows TableClass)."""
    standard, infrequent = names(), names()
    ddb.create_table(TableName=standard, BillingMode="PAY_PER_REQUEST", **KEYS)
    ddb.create_table(TableName=infrequent, BillingMode="PAY_PER_REQUEST",
                     TableClass="STANDARD_INFREQUENT_ACCESS", **KEYS)
    assert "TableClassSummary" not in ddb.describe_table(TableName=standard)["Table"]
    assert ddb.describe_table(TableName=infrequent)["Table"]["TableClassSummary"] == {
        "TableClass": "STANDARD_INFREQUENT_ACCESS"}
    ddb.update_table(TableName=standard, TableClass="STANDARD_INFREQUENT_ACCESS")
    summary = ddb.describe_table(TableName=standard)["Table"]["TableClassSummary"]
    assert summary["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert summary["LastUpdateDateTime"].year >= 2024
    ddb.update_table(TableName=standard, TableClass="STANDARD")
    summary = ddb.describe_table(TableName=standard)["Table"]["TableClassSummary"]
    assert summary["TableClass"] == "STANDARD" and "LastUpdateDateTime" in summary
    # DynamoDB's own words for a class it does not know, case-sensitive (ack-api-quirks' list of
    # DynamoDB's messages; ScyllaDB's Alternator tests, run against DynamoDB).
    bad_class = ("ValidationException", "Invalid table-class parameter provided. Please try again "
                 "with a valid table-class value: [STANDARD, STANDARD_INFREQUENT_ACCESS].")
    assert refusal(endpoint, "UpdateTable", {"TableName": standard,
                                             "TableClass": "GLACIER"}) == bad_class
    assert refusal(endpoint, "CreateTable", dict(KEYS, TableName=names(), TableClass="standard",
                                                 BillingMode="PAY_PER_REQUEST")) == bad_class


COMPOSITION = source(
    "ddb-answer: UpdateTable makes one kind of change at a time, as DynamoDB answered every pair "
    "in 2026 (ack-api-quirks dynamodb DDB-TABLE-382/433/174/456); DynamoDB Local combines them")


@COMPOSITION
def test_update_table_makes_one_kind_of_change_at_a_time(endpoint, raw, names):
    """DDB-TABLE-433: WarmThroughput must be alone (DeletionProtection is named before it);
    OnDemandThroughput combines only with BillingMode; WarmThroughput beside a GSI Create has its
    own words (DDB-TABLE-174); an empty WarmThroughput beside another member counts as absent
    (DDB-TABLE-456); nothing of a refused request is applied."""
    name = names()
    raw("CreateTable", dict(KEYS, TableName=name, BillingMode="PAY_PER_REQUEST"))
    warm = {"ReadUnitsPerSecond": 13000, "WriteUnitsPerSecond": 5000}
    odt = {"MaxReadRequestUnits": 100}
    stream = {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    only_warm = ("ValidationException", INVALID + "WarmThroughput must be the only operation in "
                 "the request")
    odt_with_billing = ("ValidationException", INVALID + "OnDemandThroughput can only be "
                        "combined with BillingMode in an UpdateTable request")
    for body, expected in [
            ({"WarmThroughput": warm, "DeletionProtectionEnabled": True},
             ("ValidationException", INVALID + "DeletionProtection modification must be the only "
              "operation in the request")),
            ({"WarmThroughput": warm, "StreamSpecification": stream}, only_warm),
            ({"WarmThroughput": warm, "BillingMode": "PAY_PER_REQUEST"}, only_warm),
            ({"OnDemandThroughput": odt, "StreamSpecification": stream}, odt_with_billing),
            ({"OnDemandThroughput": odt, "WarmThroughput": warm}, odt_with_billing),
            ({"WarmThroughput": warm, "AttributeDefinitions": GSI_KEYS["AttributeDefinitions"],
              "GlobalSecondaryIndexUpdates": [{"Create": gsi()}]},
             ("ValidationException", INVALID + "Create global secondary index cannot be specified "
              "when updating WarmThroughput"))]:
        assert refusal(endpoint, "UpdateTable", dict(body, TableName=name)) == expected, body
    table = raw("DescribeTable", {"TableName": name})["Table"]
    assert "StreamSpecification" not in table and "GlobalSecondaryIndexes" not in table
    assert table["WarmThroughput"]["ReadUnitsPerSecond"] == 12000
    assert "OnDemandThroughput" not in table and not table["DeletionProtectionEnabled"]
    # Accepted: an empty WarmThroughput beside DeletionProtection, and OnDemandThroughput with
    # BillingMode.
    raw("UpdateTable", {"TableName": name, "WarmThroughput": {}, "DeletionProtectionEnabled": False})
    raw("UpdateTable", {"TableName": name, "BillingMode": "PAY_PER_REQUEST",
                        "OnDemandThroughput": odt})
    assert raw("DescribeTable", {"TableName": name})["Table"]["OnDemandThroughput"] == odt


@source("ddb-answer: TableClassSummary as DynamoDB described it in 2026 (ack-api-quirks dynamodb "
        "DDB-TABLE-026/177/180/052): present when CreateTable names a class, STANDARD too; "
        "absent after UpdateTable STANDARD on a table never given one; a re-send of the current "
        "class changes nothing")
def test_table_class_summary_follows_what_was_asked(raw, names):
    """CreateTable with TableClass STANDARD describes it; UpdateTable with the class a table has
    is answered UPDATING but changes nothing (no summary appears, the LastUpdateDateTime of a
    switch stays); a switch is answered with the summary before it (DDB-TABLE-180)."""
    given, never = names(), names()
    raw("CreateTable", dict(KEYS, TableName=given, BillingMode="PAY_PER_REQUEST",
                            TableClass="STANDARD"))
    raw("CreateTable", dict(KEYS, TableName=never, BillingMode="PAY_PER_REQUEST"))
    assert raw("DescribeTable", {"TableName": given})["Table"]["TableClassSummary"] == {
        "TableClass": "STANDARD"}
    answer = raw("UpdateTable", {"TableName": never, "TableClass": "STANDARD"})["TableDescription"]
    assert answer["TableStatus"] == "UPDATING" and "TableClassSummary" not in answer
    assert "TableClassSummary" not in raw("DescribeTable", {"TableName": never})["Table"]

    switched = raw("UpdateTable", {"TableName": never,
                                   "TableClass": "STANDARD_INFREQUENT_ACCESS"})["TableDescription"]
    assert "TableClassSummary" not in switched
    summary = raw("DescribeTable", {"TableName": never})["Table"]["TableClassSummary"]
    assert summary["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    raw("UpdateTable", {"TableName": never, "TableClass": "STANDARD_INFREQUENT_ACCESS"})
    assert raw("DescribeTable", {"TableName": never})["Table"]["TableClassSummary"] == summary


@source("ddb-answer: an SSESpecification change leaves the table ACTIVE, its SSEDescription "
        "UPDATING, as DynamoDB answered in 2026 (ack-api-quirks dynamodb DDB-TABLE-065/079/140)")
def test_encryption_change_leaves_the_table_active(raw, names):
    """UpdateTable SSESpecification answers TableStatus ACTIVE with SSEDescription UPDATING."""
    name = names()
    raw("CreateTable", dict(KEYS, TableName=name, BillingMode="PAY_PER_REQUEST"))
    answer = raw("UpdateTable", {"TableName": name, "SSESpecification": {
        "Enabled": True, "SSEType": "KMS"}})["TableDescription"]
    assert answer["TableStatus"] == "ACTIVE"
    assert answer["SSEDescription"]["Status"] == "UPDATING"
    table = raw("DescribeTable", {"TableName": name})["Table"]
    assert table["TableStatus"] == "ACTIVE" and table["SSEDescription"]["Status"] == "ENABLED"


@source("ddb-answer: a restored table is STANDARD whatever its source's class, as DynamoDB "
        "restored it in 2026 (ack-api-quirks dynamodb DDB-TABLE-215)")
def test_a_restored_table_is_standard(ddb, raw, names):
    """RestoreTableFromBackup of an infrequent-access table: no TableClassSummary."""
    import time
    source_name, target = names(), names()
    raw("CreateTable", dict(KEYS, TableName=source_name, BillingMode="PAY_PER_REQUEST",
                            TableClass="STANDARD_INFREQUENT_ACCESS"))
    arn = ddb.create_backup(TableName=source_name, BackupName="bk-class")["BackupDetails"][
        "BackupArn"]
    for _ in range(300):
        if ddb.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"][
                "BackupStatus"] == "AVAILABLE":
            break
        time.sleep(0.05)
    ddb.restore_table_from_backup(TargetTableName=target, BackupArn=arn)
    ddb.get_waiter("table_exists").wait(TableName=target, WaiterConfig={"Delay": 0.1})
    assert "TableClassSummary" not in raw("DescribeTable", {"TableName": target})["Table"]
    ddb.delete_backup(BackupArn=arn)


@source("ddb-answer: ProvisionedThroughput beside BillingMode PAY_PER_REQUEST, and alone on an "
        "on-demand table, as DynamoDB worded them in 2026 (ack-api-quirks dynamodb "
        "DDB-TABLE-056, -059)")
def test_throughput_with_on_demand_billing_is_refused_in_two_wordings(endpoint, raw, names):
    """A switch to PAY_PER_REQUEST that also names throughput, and throughput alone on an
    on-demand table."""
    provisioned, on_demand = names(), names()
    pt = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    raw("CreateTable", dict(KEYS, TableName=provisioned, ProvisionedThroughput=pt))
    raw("CreateTable", dict(KEYS, TableName=on_demand, BillingMode="PAY_PER_REQUEST"))
    assert refusal(endpoint, "UpdateTable", {"TableName": provisioned,
                                             "BillingMode": "PAY_PER_REQUEST",
                                             "ProvisionedThroughput": pt}) == (
        "ValidationException", INVALID + "ProvisionedThroughput cannot be specified when "
        "BillingMode is PAY_PER_REQUEST")
    assert refusal(endpoint, "UpdateTable", {"TableName": on_demand,
                                             "ProvisionedThroughput": pt}) == (
        "ValidationException", INVALID + "Neither ReadCapacityUnits nor WriteCapacityUnits can "
        "be specified when BillingMode is PAY_PER_REQUEST")


@source("ddb-answer: UpdateTable answers a throughput change with the units before it and the "
        "new LastIncrease/LastDecreaseDateTime, a billing switch (and CreateTable) with a "
        "BillingModeSummary naming only the mode; a switch to on-demand keeps the throughput "
        "history at 0/0 and a switch to PROVISIONED counts no increase, as DynamoDB answered in "
        "2026 (ack-api-quirks dynamodb DDB-TABLE-060/055/033)")
def test_throughput_and_billing_answers_describe_what_was_before(raw, names):
    """The UpdateTable and CreateTable answers of DDB-TABLE-060/055/033, and DescribeTable after."""
    provisioned, on_demand = names(), names()
    raw("CreateTable", dict(KEYS, TableName=provisioned,
                            ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}))
    up = raw("UpdateTable", {"TableName": provisioned, "ProvisionedThroughput": {
        "ReadCapacityUnits": 2, "WriteCapacityUnits": 2}})["TableDescription"]
    pt = up["ProvisionedThroughput"]
    assert (pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]) == (1, 1)
    assert "LastIncreaseDateTime" in pt and pt["NumberOfDecreasesToday"] == 0
    described = raw("DescribeTable", {"TableName": provisioned})["Table"]["ProvisionedThroughput"]
    assert (described["ReadCapacityUnits"], described["WriteCapacityUnits"]) == (2, 2)

    down = raw("UpdateTable", {"TableName": provisioned, "ProvisionedThroughput": {
        "ReadCapacityUnits": 1, "WriteCapacityUnits": 1}})["TableDescription"]
    pt = down["ProvisionedThroughput"]
    assert (pt["ReadCapacityUnits"], pt["NumberOfDecreasesToday"]) == (2, 0)
    assert "LastDecreaseDateTime" in pt
    assert raw("DescribeTable", {"TableName": provisioned})["Table"]["ProvisionedThroughput"][
        "NumberOfDecreasesToday"] == 1

    switched = raw("UpdateTable", {"TableName": provisioned,
                                   "BillingMode": "PAY_PER_REQUEST"})["TableDescription"]
    assert switched["BillingModeSummary"] == {"BillingMode": "PAY_PER_REQUEST"}
    table = raw("DescribeTable", {"TableName": provisioned})["Table"]
    assert "LastUpdateToPayPerRequestDateTime" in table["BillingModeSummary"]
    pt = table["ProvisionedThroughput"]
    assert (pt["ReadCapacityUnits"], pt["WriteCapacityUnits"], pt["NumberOfDecreasesToday"]) == (
        0, 0, 1)
    assert "LastIncreaseDateTime" in pt and "LastDecreaseDateTime" in pt

    created = raw("CreateTable", dict(KEYS, TableName=on_demand,
                                      BillingMode="PAY_PER_REQUEST"))["TableDescription"]
    assert created["BillingModeSummary"] == {"BillingMode": "PAY_PER_REQUEST"}
    raw("UpdateTable", {"TableName": on_demand, "BillingMode": "PROVISIONED",
                        "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}})
    assert raw("DescribeTable", {"TableName": on_demand})["Table"]["ProvisionedThroughput"] == {
        "NumberOfDecreasesToday": 0, "ReadCapacityUnits": 1, "WriteCapacityUnits": 1}


@source("ddb-answer: RestoreTableFromBackup's OnDemandThroughputOverride as DynamoDB answered it "
        "in 2026 (ack-api-quirks dynamodb DDB-TABLE-273/280/281/405): applied to an on-demand "
        "restore, refused for a PROVISIONED one and below 1, in its 'Invalid Request' words")
def test_restore_takes_an_on_demand_throughput_override(ddb, endpoint, raw, names):
    """OnDemandThroughputOverride of RestoreTableFromBackup."""
    import time
    on_demand, provisioned = names(), names()
    raw("CreateTable", dict(KEYS, TableName=on_demand, BillingMode="PAY_PER_REQUEST",
                            OnDemandThroughput={"MaxReadRequestUnits": 100,
                                                "MaxWriteRequestUnits": 50}))
    raw("CreateTable", dict(KEYS, TableName=provisioned,
                            ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}))
    arns = []
    for name in (on_demand, provisioned):
        arn = ddb.create_backup(TableName=name, BackupName="bk-odt")["BackupDetails"]["BackupArn"]
        for _ in range(300):
            if ddb.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"][
                    "BackupStatus"] == "AVAILABLE":
                break
            time.sleep(0.05)
        arns.append(arn)
    assert refusal(endpoint, "RestoreTableFromBackup", {
        "BackupArn": arns[0], "TargetTableName": names(),
        "OnDemandThroughputOverride": {"MaxReadRequestUnits": 0, "MaxWriteRequestUnits": 0}}) == (
        "ValidationException", "Invalid Request: Requested MaxReadRequestUnits for "
        "OnDemandThroughput is outside of valid range")
    assert refusal(endpoint, "RestoreTableFromBackup", {
        "BackupArn": arns[1], "TargetTableName": names(),
        "OnDemandThroughputOverride": {"MaxReadRequestUnits": 50}}) == (
        "ValidationException", "Invalid Request: Cannot override MaxReadRequestUnits for "
        "OnDemandThroughput unless BillingModeOverride is PAY_PER_REQUEST")
    targets = names(), names()
    raw("RestoreTableFromBackup", {"BackupArn": arns[0], "TargetTableName": targets[0],
                                   "OnDemandThroughputOverride": {"MaxReadRequestUnits": 10}})
    raw("RestoreTableFromBackup", {"BackupArn": arns[1], "TargetTableName": targets[1],
                                   "BillingModeOverride": "PAY_PER_REQUEST",
                                   "OnDemandThroughputOverride": {"MaxReadRequestUnits": 50,
                                                                  "MaxWriteRequestUnits": 50}})
    for target, want in zip(targets, ({"MaxReadRequestUnits": 10, "MaxWriteRequestUnits": 50},
                                      {"MaxReadRequestUnits": 50, "MaxWriteRequestUnits": 50})):
        ddb.get_waiter("table_exists").wait(TableName=target, WaiterConfig={"Delay": 0.1})
        assert raw("DescribeTable", {"TableName": target})["Table"]["OnDemandThroughput"] == want
    for arn in arns:
        ddb.delete_backup(BackupArn=arn)


@source("ddb-answer: an on-demand table's index takes only OnDemandThroughput and WarmThroughput "
        "updates, and a PROVISIONED table's new index needs both units, in DynamoDB's words of "
        "2026 (ack-api-quirks dynamodb DDB-TABLE-152, -456)")
def test_index_throughput_refusals_follow_the_billing_mode(endpoint, raw, names):
    """UpdateTable GSI Update with ProvisionedThroughput on an on-demand table;
    a GSI Create without ProvisionedThroughput on a PROVISIONED table."""
    on_demand, provisioned = names(), names()
    pt = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    raw("CreateTable", dict(GSI_KEYS, TableName=on_demand, BillingMode="PAY_PER_REQUEST",
                            GlobalSecondaryIndexes=[gsi()]))
    raw("CreateTable", dict(KEYS, TableName=provisioned, ProvisionedThroughput=pt))
    only = ("ValidationException", INVALID + "The only Updates for index: gsi1 when "
            "TableThroughputMode is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput")
    assert refusal(endpoint, "UpdateTable", {
        "TableName": on_demand, "GlobalSecondaryIndexUpdates": [{"Update": {
            "IndexName": "gsi1", "ProvisionedThroughput": pt}}]}) == only
    assert refusal(endpoint, "UpdateTable", {
        "TableName": provisioned, "AttributeDefinitions": GSI_KEYS["AttributeDefinitions"],
        "GlobalSecondaryIndexUpdates": [{"Create": gsi(IndexName="gsi-nopt")}]}) == (
        "ValidationException", INVALID + "Both ReadCapacityUnits and WriteCapacityUnits must be "
        "specified for index: gsi-nopt")


@source("ddb-answer: a GSI's throughput Update leaves the table ACTIVE and the index UPDATING, "
        "answered with the units before it, the index's LastIncreaseDateTime described after, "
        "as DynamoDB answered in 2026 (ack-api-quirks dynamodb DDB-TABLE-165/138)")
def test_index_throughput_update_is_the_index_s_own_change(raw, names):
    """UpdateTable GSI Update of ProvisionedThroughput 1/1 -> 2/2."""
    name = names()
    pt = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    raw("CreateTable", dict(GSI_KEYS, TableName=name, ProvisionedThroughput=pt,
                            GlobalSecondaryIndexes=[gsi(ProvisionedThroughput=pt)]))
    answer = raw("UpdateTable", {"TableName": name, "GlobalSecondaryIndexUpdates": [{"Update": {
        "IndexName": "gsi1", "ProvisionedThroughput": {"ReadCapacityUnits": 2,
                                                       "WriteCapacityUnits": 2}}}]})
    desc = answer["TableDescription"]
    assert desc["TableStatus"] == "ACTIVE"
    ix = only_index(desc)
    assert ix["IndexStatus"] == "UPDATING"
    assert (ix["ProvisionedThroughput"]["ReadCapacityUnits"],
            ix["ProvisionedThroughput"]["WriteCapacityUnits"]) == (1, 1)
    ix = only_index(raw("DescribeTable", {"TableName": name})["Table"])
    assert ix["IndexStatus"] == "ACTIVE"
    assert (ix["ProvisionedThroughput"]["ReadCapacityUnits"],
            ix["ProvisionedThroughput"]["WriteCapacityUnits"]) == (2, 2)
    assert "LastIncreaseDateTime" in ix["ProvisionedThroughput"]


@source("ddb-answer: an index Update with an empty WarmThroughput is refused before the table is "
        "looked up, as DynamoDB answered in 2026 (ack-api-quirks dynamodb DDB-TABLE-456)")
def test_empty_index_updates_are_refused_before_the_table_is_looked_up(endpoint, raw, names):
    """Update{IndexName, WarmThroughput: {}} on a table and on no table."""
    name = names()
    raw("CreateTable", dict(GSI_KEYS, TableName=name, BillingMode="PAY_PER_REQUEST",
                            GlobalSecondaryIndexes=[gsi()]))
    for table in (name, unique_name("missing")):
        assert refusal(endpoint, "UpdateTable", {
            "TableName": table, "GlobalSecondaryIndexUpdates": [{"Update": {
                "IndexName": "gsi1", "WarmThroughput": {}}}]}) == (
            "ValidationException", INVALID + "WarmThroughput must have at least one of "
            "ReadUnitsPerSecond or WriteUnitsPerSecond specified for index: gsi1")
