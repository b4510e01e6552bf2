"""CreateTable, UpdateTable and DeleteTable answers that must be DynamoDB's own, each with its
message, and index key sizes on write and in a backfill.

Sources (each test names its own):
- LAB: the ack-api-quirks DynamoDB findings (DDB-TABLE-NNN), DynamoDB probed on 2026-10-08/09 in
  us-east-1/us-west-2, messages quoted from the live answers.
- CONF: nubo-db/dynamodb-conformance, tests run against DynamoDB
  (tests/tier3/error-messages/createTable.test.ts, tests/tier1/updateTable/basic.test.ts).
- ALTERNATOR: scylladb test/alternator/test_table.py test_delete_table_description, run against
  DynamoDB; dynalite issue #60 quotes DynamoDB's DeleteTable answer.
- DOCS: the AWS DynamoDB API reference / developer guide, as named.
"""

import pytest
from botocore.exceptions import ClientError

from ddbtest import create_error, err, unique_name, wait_table_active
from provenance import CONSTRAINT_WORDING, KEY_WORDING, SSE_IGNORED, TABLE_OPS_WORDING

PPR = {"BillingMode": "PAY_PER_REQUEST"}
PROV = {"ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}
INVALID = "One or more parameter values were invalid: "


def ks(*keys):
    out = [{"AttributeName": keys[0], "KeyType": "HASH"}]
    if len(keys) > 1:
        out.append({"AttributeName": keys[1], "KeyType": "RANGE"})
    return out


def ad(*pairs):
    return [{"AttributeName": a, "AttributeType": t} for a, t in pairs]


def gsi(name, *keys, **extra):
    return {"IndexName": name, "KeySchema": ks(*keys), "Projection": {"ProjectionType": "ALL"},
            **extra}


def update_error(client, **kwargs):
    with pytest.raises(ClientError) as e:
        client.update_table(**kwargs)
    return err(e)


# --- CreateTable --------------------------------------------------------------------------------

@pytest.mark.parametrize("second_type", ["S", "N"])
@TABLE_OPS_WORDING
def test_create_duplicate_attribute_definition(ddb, tables, second_type):
    """LAB DDB-TABLE-042/127: duplicate AttributeDefinitions, same or other type ->
    'Attribute Name is duplicated: pk'."""
    assert create_error(ddb, tables, KeySchema=ks("pk"),
                        AttributeDefinitions=ad(("pk", "S"), ("pk", second_type)), **PPR) == (
        "ValidationException", "Attribute Name is duplicated: pk")


@TABLE_OPS_WORDING
def test_create_same_key_twice_with_one_definition(ddb, tables):
    """CONF createTable.test.ts 'duplicate attribute in KeySchema': more key elements than
    definitions is 'no definition', before the same-name check."""
    assert create_error(ddb, tables, KeySchema=ks("pk", "pk"), AttributeDefinitions=ad(("pk", "S")),
                        **PPR) == (
        "ValidationException", "Invalid KeySchema: Some index key attribute have no definition")


@TABLE_OPS_WORDING
def test_create_no_definitions(ddb, tables):
    """LAB DDB-TABLE-042: AttributeDefinitions [] -> 'Invalid KeySchema: Some index key attribute
    have no definition'."""
    assert create_error(ddb, tables, KeySchema=ks("pk"), AttributeDefinitions=[], **PPR) == (
        "ValidationException", "Invalid KeySchema: Some index key attribute have no definition")


@TABLE_OPS_WORDING
def test_create_key_defined_under_other_name(ddb, tables):
    """LAB DDB-TABLE-042: 'wrong attribute' and 'case mismatch (PK vs pk)'."""
    assert create_error(ddb, tables, KeySchema=ks("PK"), AttributeDefinitions=ad(("pk", "S")),
                        **PPR) == (
        "ValidationException",
        INVALID + "Some index key attributes are not defined in AttributeDefinitions. Keys: [PK], "
        "AttributeDefinitions: [pk]")


@TABLE_OPS_WORDING
def test_create_unused_definition_with_index_masks_index_errors(ddb, tables):
    """LAB DDB-TABLE-127: with indexes an unused definition is 'Some AttributeDefinitions are not
    used...', checked before the indexes' own rules (here an INCLUDE projection without
    NonKeyAttributes)."""
    bad = {"IndexName": "gx1", "KeySchema": ks("g"), "Projection": {"ProjectionType": "INCLUDE"}}
    code, msg = create_error(ddb, tables, KeySchema=ks("pk"),
                             AttributeDefinitions=ad(("pk", "S"), ("g", "S"), ("extra", "S")),
                             GlobalSecondaryIndexes=[bad], **PPR)
    assert code == "ValidationException"
    assert msg == (INVALID + "Some AttributeDefinitions are not used. AttributeDefinitions: "
                   "[pk, g, extra], keys used: [pk, g]")


@pytest.mark.source(
    "ddb-answer: DynamoDB refuses an unused definition beside indexes (LAB DDB-TABLE-127, above); "
    "DynamoDB Local counts an attribute that keys both an LSI and a GSI twice, and takes one "
    "unused definition then")
def test_create_unused_definition_beside_lsi_and_gsi_on_one_attribute(ddb, tables):
    """The same refusal when an LSI and a GSI share their sort key: the keys used are distinct
    names, each counted once."""
    index = {"KeySchema": ks("pk", "l1"), "Projection": {"ProjectionType": "ALL"}}
    code, msg = create_error(ddb, tables, KeySchema=ks("pk", "sk"),
                             AttributeDefinitions=ad(("pk", "S"), ("sk", "S"), ("l1", "S"),
                                                     ("extra", "S")),
                             LocalSecondaryIndexes=[dict(index, IndexName="lx1")],
                             GlobalSecondaryIndexes=[dict(index, IndexName="gx1")], **PPR)
    assert code == "ValidationException"
    assert msg == (INVALID + "Some AttributeDefinitions are not used. AttributeDefinitions: "
                   "[pk, sk, l1, extra], keys used: [pk, sk, l1]")


@pytest.mark.parametrize("where", ["table", "index"])
@CONSTRAINT_WORDING
def test_create_key_attribute_name_length_in_utf8_bytes(ddb_nv, tables, where):
    """DOCS KeySchemaElement.AttributeName / AttributeDefinition.AttributeName: 1 to 255 (botocore
    model KeySchemaAttributeName); the developer guide's naming rules count UTF-8 bytes. 128 'é'
    are 256 bytes: refused; 127 'é' + 'x' (255 bytes) is accepted."""
    long_name, ok_name = "é" * 128, "é" * 127 + "x"

    def request(n):
        if where == "table":
            return dict(KeySchema=ks(n), AttributeDefinitions=ad((n, "S")), **PPR)
        return dict(KeySchema=ks("pk"), AttributeDefinitions=ad(("pk", "S"), (n, "S")),
                    GlobalSecondaryIndexes=[gsi("gx1", n)], **PPR)

    code, msg = create_error(ddb_nv, tables, **request(long_name))
    assert code == "ValidationException"
    field = "keySchema" if where == "table" else "globalSecondaryIndexes.1.member.keySchema"
    assert ("Value '%s' at '%s.1.member.attributeName' failed to satisfy constraint: Member must "
            "have length less than or equal to 255" % (long_name, field)) in msg
    name = tables.track(unique_name())
    ddb_nv.create_table(TableName=name, **request(ok_name))
    wait_table_active(ddb_nv, name)


@TABLE_OPS_WORDING
def test_create_projection_without_type(ddb, tables):
    """LAB DDB-TABLE-126: Projection {} -> 'Unknown ProjectionType: null'."""
    index = {"IndexName": "gx1", "KeySchema": ks("g"), "Projection": {}}
    assert create_error(ddb, tables, KeySchema=ks("pk"),
                        AttributeDefinitions=ad(("pk", "S"), ("g", "S")),
                        GlobalSecondaryIndexes=[index], **PPR) == (
        "ValidationException", INVALID + "Unknown ProjectionType: null")


@TABLE_OPS_WORDING
def test_create_duplicate_non_key_attribute(ddb, tables):
    """LAB DDB-TABLE-126: 'Duplicate element in NonKeyAttributes: x'."""
    index = {"IndexName": "gx1", "KeySchema": ks("g"),
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x", "x"]}}
    assert create_error(ddb, tables, KeySchema=ks("pk"),
                        AttributeDefinitions=ad(("pk", "S"), ("g", "S")),
                        GlobalSecondaryIndexes=[index], **PPR) == (
        "ValidationException", INVALID + "Duplicate element in NonKeyAttributes: x")


@TABLE_OPS_WORDING
def test_create_provisioned_gsi_without_throughput(ddb, tables):
    """LAB DDB-TABLE-128: 'ProvisionedThroughput is not specified for index: g-a' (CreateTable's
    wording; UpdateTable says 'must be specified')."""
    assert create_error(ddb, tables, KeySchema=ks("pk"),
                        AttributeDefinitions=ad(("pk", "S"), ("g", "S")),
                        GlobalSecondaryIndexes=[gsi("g-a", "g")], **PROV) == (
        "ValidationException", INVALID + "ProvisionedThroughput is not specified for index: g-a")


@pytest.mark.parametrize("spec,message", [
    ({"StreamEnabled": False, "StreamViewType": "NEW_IMAGE"},
     "Table is being created with a stream disabled, UpdateViewType should not be specified"),
    ({"StreamEnabled": True},
     "Table is being created with a stream enabled, UpdateViewType is required"),
])
@TABLE_OPS_WORDING
def test_create_stream_view_type_rules(ddb, tables, spec, message):
    """LAB DDB-TABLE-442 message catalogue (CreateTable)."""
    assert create_error(ddb, tables, KeySchema=ks("pk"), AttributeDefinitions=ad(("pk", "S")),
                        StreamSpecification=spec, **PPR) == ("ValidationException",
                                                             INVALID + message)


def sse_description(ddb, name):
    return ddb.describe_table(TableName=name)["Table"].get("SSEDescription")


@SSE_IGNORED
def test_create_sse_kms_described(ddb, tables):
    """LAB DDB-TABLE-044/140: SSESpecification {Enabled: true, SSEType: KMS} -> DescribeTable
    SSEDescription {Status: ENABLED, SSEType: KMS, KMSMasterKeyArn: arn:aws:kms:...:key/<id>};
    {SSEType: KMS} alone enables it too; {} leaves it out (DynamoDB's own key)."""
    a = tables.create(SSESpecification={"Enabled": True, "SSEType": "KMS"})
    desc = sse_description(ddb, a)
    assert desc["Status"] == "ENABLED" and desc["SSEType"] == "KMS"
    account = ddb.describe_table(TableName=a)["Table"]["TableArn"].split(":")[4]
    assert desc["KMSMasterKeyArn"].startswith("arn:aws:kms:us-east-1:%s:key/" % account)
    b = tables.create(SSESpecification={"SSEType": "KMS"})
    assert sse_description(ddb, b) == desc  # both the account's AWS managed key
    assert sse_description(ddb, tables.create(SSESpecification={})) is None
    assert sse_description(ddb, tables.create(SSESpecification={"Enabled": False})) is None
    key = "arn:aws:kms:us-east-1:%s:key/11111111-2222-4333-8444-555555555555" % account
    c = tables.create(SSESpecification={"Enabled": True, "SSEType": "KMS",
                                        "KMSMasterKeyId": key})
    assert sse_description(ddb, c) == {"Status": "ENABLED", "SSEType": "KMS",
                                       "KMSMasterKeyArn": key}


@pytest.mark.parametrize("spec,message", [
    ({"Enabled": False, "SSEType": "KMS"}, "SSEType can not be specified if Enabled is false"),
    ({"Enabled": True, "SSEType": "AES256"}, "SSEType AES256 is not supported"),
    ({"Enabled": True, "KMSMasterKeyId": "alias/aws/dynamodb"},
     "SSEType KMS is required if KMSMasterKeyId is specified"),
])
@SSE_IGNORED
def test_create_sse_refusals(ddb, tables, spec, message):
    """LAB DDB-TABLE-442 catalogue (CreateTable, UpdateTable) and DDB-TABLE-437."""
    assert create_error(ddb, tables, KeySchema=ks("pk"), AttributeDefinitions=ad(("pk", "S")),
                        SSESpecification=spec, **PPR) == ("ValidationException", INVALID + message)


# --- UpdateTable --------------------------------------------------------------------------------

NOTHING = ("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
           "GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, "
           "MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, "
           "DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is "
           "required")


@pytest.mark.parametrize("extra", [{}, {"AttributeDefinitions": ad(("pk", "S"))},
                                   {"GlobalSecondaryIndexUpdates": []}])
@TABLE_OPS_WORDING
def test_update_nothing_to_change(ddb, tables, extra):
    """LAB DDB-TABLE-442 live answer 2026-10-09 (val_update_only_name, val_update_attrdefs_only)
    and DDB-TABLE-015/359: AttributeDefinitions and an empty GlobalSecondaryIndexUpdates are no
    change."""
    name = tables.create()
    assert update_error(ddb, TableName=name, **extra) == ("ValidationException", NOTHING)


@TABLE_OPS_WORDING
def test_update_nothing_is_checked_before_the_table(ddb):
    """LAB DDB-TABLE-015: on a missing table UpdateTable(TableName) is still the ValidationException."""
    assert update_error(ddb, TableName=unique_name("missing")) == ("ValidationException", NOTHING)


@TABLE_OPS_WORDING
def test_update_empty_index_list_with_a_change(ddb, tables):
    """LAB DDB-TABLE-359: GlobalSecondaryIndexUpdates=[] with a real change (here the
    BillingMode=PAY_PER_REQUEST re-send the finding used)."""
    name = tables.create()
    assert update_error(ddb, TableName=name, GlobalSecondaryIndexUpdates=[],
                        BillingMode="PAY_PER_REQUEST") == (
        "ValidationException", INVALID + "List of GlobalSecondaryIndexUpdates is empty")


@pytest.mark.parametrize("billing", [{}, {"BillingMode": "PROVISIONED"}])
@TABLE_OPS_WORDING
def test_update_same_throughput(ddb, tables, billing):
    """The issue's DynamoDB answer; LAB DDB-TABLE-164 (also with BillingMode=PROVISIONED); CONF
    updateTable/basic.test.ts 'rejects PROVISIONED to PROVISIONED no-op'."""
    name = tables.create(**PROV, BillingMode="PROVISIONED")
    assert update_error(ddb, TableName=name, **PROV, **billing) == (
        "ValidationException",
        "The provisioned throughput for the table will not change. The requested value equals "
        "the current value. Current ReadCapacityUnits provisioned for the table: 5. Requested "
        "ReadCapacityUnits: 5. Current WriteCapacityUnits provisioned for the table: 5. Requested "
        "WriteCapacityUnits: 5. Refer to the Amazon DynamoDB Developer Guide for current limits "
        "and how to request higher limits.")


@TABLE_OPS_WORDING
def test_update_provisioned_without_throughput(ddb, tables):
    """LAB DDB-TABLE-164: BillingMode=PROVISIONED alone on a PROVISIONED table."""
    name = tables.create(**PROV, BillingMode="PROVISIONED")
    assert update_error(ddb, TableName=name, BillingMode="PROVISIONED") == (
        "ValidationException",
        INVALID + "ProvisionedThroughput must be specified when BillingMode is PROVISIONED")


@pytest.mark.source(
    "ddb-answer: dynalite's updateTable test, run against DynamoDB, switches a PROVISIONED table "
    "with two GSIs to PAY_PER_REQUEST and back: 'ProvisionedThroughput must be specified for "
    "index: index3,index4'; DynamoDB Local gives each index its earlier throughput back")
def test_update_back_to_provisioned_needs_every_gsi_throughput(ddb, tables):
    """Leaving PAY_PER_REQUEST, DynamoDB does not restore the throughput the GSIs had before:
    each needs an Update in the same request, and the refusal names all that lack one."""
    prov = {"ReadCapacityUnits": 3, "WriteCapacityUnits": 2}
    name = tables.create(
        attrs={"a": "S", "b": "S"}, ProvisionedThroughput=prov, BillingMode="PROVISIONED",
        GlobalSecondaryIndexes=[gsi("index3", "a", ProvisionedThroughput=prov),
                                gsi("index4", "b", ProvisionedThroughput=prov)])
    ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    wait_table_active(ddb, name)
    assert update_error(ddb, TableName=name, BillingMode="PROVISIONED",
                        ProvisionedThroughput=prov) == (
        "ValidationException", INVALID + "ProvisionedThroughput must be specified for index: "
        "index3,index4")
    assert update_error(
        ddb, TableName=name, BillingMode="PROVISIONED", ProvisionedThroughput=prov,
        GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "index4",
                                                 "ProvisionedThroughput": prov}}]) == (
        "ValidationException", INVALID + "ProvisionedThroughput must be specified for index: "
        "index3")
    ddb.update_table(TableName=name, BillingMode="PROVISIONED", ProvisionedThroughput=prov,
                     GlobalSecondaryIndexUpdates=[
                         {"Update": {"IndexName": ix, "ProvisionedThroughput": prov}}
                         for ix in ("index3", "index4")])
    table = wait_table_active(ddb, name)
    assert table["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert [(g["IndexName"], g["ProvisionedThroughput"]["ReadCapacityUnits"])
            for g in table["GlobalSecondaryIndexes"]] in (
        [("index3", 3), ("index4", 3)], [("index4", 3), ("index3", 3)])


def test_update_same_billing_mode_is_accepted(ddb, tables):
    """CONF updateTable/basic.test.ts 'accepts PAY_PER_REQUEST to PAY_PER_REQUEST no-op'; LAB
    DDB-TABLE-018 (billing_ppr_resend OK)."""
    name = tables.create()
    ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    assert wait_table_active(ddb, name)["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_update_redefined_attribute_type_is_ignored(ddb, tables):
    """LAB DDB-TABLE-162: AttributeDefinitions declaring the table key N while it is S, sent with a
    throughput change, is accepted and DescribeTable's definitions are unchanged."""
    name = tables.create(**PROV, BillingMode="PROVISIONED")
    ddb.update_table(TableName=name, AttributeDefinitions=ad(("pk", "N"), ("x", "S")),
                     ProvisionedThroughput={"ReadCapacityUnits": 6, "WriteCapacityUnits": 6})
    assert wait_table_active(ddb, name)["AttributeDefinitions"] == ad(("pk", "S"))


@pytest.mark.source(
    "ddb-answer: ScyllaDB's Alternator test_gsi_updatetable.py "
    "(test_gsi_key_type_conflict_on_update), run against DynamoDB, quotes this answer; DynamoDB "
    "Local refuses with 'invalid attribute, SchemaElement redefined should be of same type as "
    "previously defined', also for a redefinition outside the new key")
def test_update_new_index_key_cannot_redefine_a_type(ddb, tables):
    """A GSI Create whose key gives an attribute the table already defines another type is
    refused (the table key or another index's key alike), nothing created; a redefinition
    outside the new key is ignored, as without a Create."""
    name = tables.create(attrs={"g": "S"}, GlobalSecondaryIndexes=[gsi("by_g", "g")])
    for attr in ("g", "pk"):
        assert update_error(ddb, TableName=name, AttributeDefinitions=ad((attr, "N")),
                            GlobalSecondaryIndexUpdates=[{"Create": gsi("by_n", attr)}]) == (
            "ValidationException", INVALID + "Attributes cannot be redefined. Please check that "
            "your attribute has the same type as previously defined. Existing schema: "
            f"Schema:[SchemaElement: key{{{attr}:S:HASH}}] New schema: "
            f"Schema:[SchemaElement: key{{{attr}:N:HASH}}]")
    table = ddb.describe_table(TableName=name)["Table"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["by_g"]
    ddb.update_table(TableName=name, AttributeDefinitions=ad(("g", "N"), ("h", "S")),
                     GlobalSecondaryIndexUpdates=[{"Create": gsi("by_h", "h")}])
    table = wait_table_active(ddb, name)
    assert ("g", "S") in [(d["AttributeName"], d["AttributeType"])
                          for d in table["AttributeDefinitions"]]


@TABLE_OPS_WORDING
def test_update_stream_already_in_that_state(ddb, tables):
    """LAB DDB-TABLE-018/050 live answers: 'Table has no stream to disable: TableName: <t>',
    'Table already has an enabled stream: TableName: <t>' (also for another view type), and
    enabling without a view type."""
    name = tables.create()
    assert update_error(ddb, TableName=name, StreamSpecification={"StreamEnabled": False}) == (
        "ValidationException", "Table has no stream to disable: TableName: " + name)
    assert update_error(ddb, TableName=name, StreamSpecification={"StreamEnabled": True}) == (
        "ValidationException",
        INVALID + "If stream is being enabled then UpdateViewType is required")
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True,
                                                          "StreamViewType": "NEW_IMAGE"})
    wait_table_active(ddb, name)
    for view in ("NEW_IMAGE", "KEYS_ONLY"):
        assert update_error(ddb, TableName=name, StreamSpecification={
            "StreamEnabled": True, "StreamViewType": view}) == (
            "ValidationException", "Table already has an enabled stream: TableName: " + name)
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    wait_table_active(ddb, name)
    assert update_error(ddb, TableName=name, StreamSpecification={"StreamEnabled": False}) == (
        "ValidationException", "Table has no stream to disable: TableName: " + name)


@TABLE_OPS_WORDING
def test_update_index_actions_on_a_local_index(ddb, tables):
    """LAB DDB-TABLE-137: GlobalSecondaryIndexUpdates refuses an LSI's name; a GSI can still be
    added to a table with LSIs."""
    lsi = {"IndexName": "lsi-b", "KeySchema": ks("pk", "l"),
           "Projection": {"ProjectionType": "ALL"}}
    name = tables.create(range_key=("sk", "S"), attrs={"l": "S"}, LocalSecondaryIndexes=[lsi])
    assert update_error(ddb, TableName=name, GlobalSecondaryIndexUpdates=[
        {"Delete": {"IndexName": "lsi-b"}}]) == (
        "ValidationException", "Cannot delete an index that is not a GlobalSecondaryIndex: lsi-b")
    assert update_error(ddb, TableName=name, GlobalSecondaryIndexUpdates=[
        {"Update": {"IndexName": "lsi-b", "ProvisionedThroughput": {
            "ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}}]) == (
        "ValidationException", "Cannot update an index that is not a GlobalSecondaryIndex: lsi-b")
    assert update_error(ddb, TableName=name, AttributeDefinitions=ad(("g", "S")),
                        GlobalSecondaryIndexUpdates=[{"Create": gsi("lsi-b", "g")}]) == (
        "ValidationException", "Attempting to create an index which already exists")
    ddb.update_table(TableName=name, AttributeDefinitions=ad(("g", "S")),
                     GlobalSecondaryIndexUpdates=[{"Create": gsi("gx1", "g")}])
    desc = wait_table_active(ddb, name)
    assert [g["IndexName"] for g in desc["GlobalSecondaryIndexes"]] == ["gx1"]
    assert sorted(a["AttributeName"] for a in desc["AttributeDefinitions"]) == ["g", "l", "pk",
                                                                                "sk"]


@TABLE_OPS_WORDING
def test_update_index_request_rules(ddb, tables):
    """LAB DDB-TABLE-159/160/162/375: entry and action rules of GlobalSecondaryIndexUpdates."""
    name = tables.create(attrs={"g": "S"}, GlobalSecondaryIndexes=[gsi("gx1", "g")])
    assert update_error(ddb, TableName=name, GlobalSecondaryIndexUpdates=[{}]) == (
        "ValidationException",
        INVALID + "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, "
        "GlobalSecondaryIndexUpdate.Delete must not be null")
    assert update_error(ddb, TableName=name, GlobalSecondaryIndexUpdates=[
        {"Delete": {"IndexName": "gx1"}, "Create": gsi("gx1", "g")}]) == (
        "ValidationException", INVALID + "Only one global secondary index action is allowed per "
        "GlobalSecondaryIndexUpdate object")
    assert update_error(ddb, TableName=name, AttributeDefinitions=ad(("g", "S")),
                        GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "gx1"}},
                                                     {"Create": gsi("gx1", "g")}]) == (
        "ValidationException", INVALID + "Only one global secondary index update per index is "
        "allowed simultaneously. Index: gx1")
    assert update_error(ddb, TableName=name, GlobalSecondaryIndexUpdates=[
        {"Create": gsi("gx2", "h")}]) == (
        "ValidationException", INVALID + "AttributeDefinitions is not specified for index: gx2")
    code, _ = update_error(ddb, TableName=name, AttributeDefinitions=ad(("h", "S"), ("i", "S")),
                           GlobalSecondaryIndexUpdates=[{"Create": gsi("gx2", "h")},
                                                        {"Create": gsi("gx3", "i")}])
    assert code == "LimitExceededException"
    assert update_error(ddb, TableName=name, GlobalSecondaryIndexUpdates=[
        {"Delete": {"IndexName": "nope"}}]) == (
        "ResourceNotFoundException", "Requested resource not found: Index nope for table " + name)


@TABLE_OPS_WORDING
def test_update_index_same_throughput(ddb, tables):
    """LAB DDB-TABLE-164: an identical GSI throughput Update (message quoted up to its first
    three sentences)."""
    pt = {"ReadCapacityUnits": 2, "WriteCapacityUnits": 2}
    name = tables.create(attrs={"g": "S"}, BillingMode="PROVISIONED", **PROV,
                         GlobalSecondaryIndexes=[gsi("gsi1", "g", ProvisionedThroughput=pt)])
    code, msg = update_error(ddb, TableName=name, GlobalSecondaryIndexUpdates=[
        {"Update": {"IndexName": "gsi1", "ProvisionedThroughput": pt}}])
    assert code == "ValidationException"
    assert msg.startswith(
        "The provisioned throughput for the index gsi1 will not change. The requested value "
        "equals the current value. Current ReadCapacityUnits provisioned for index gsi1: 2. "
        "Requested ReadCapacityUnits: 2. Current WriteCapacityUnits ")


@SSE_IGNORED
def test_update_one_kind_of_change_at_a_time(ddb, tables):
    """LAB DDB-TABLE-442 live answer (val_sse_plus_dp; SSE is named before TableClass and
    DeletionProtection, DDB-TABLE-433) and the catalogue's IOPS/stream rules."""
    name = tables.create(**PROV, BillingMode="PROVISIONED")
    assert update_error(ddb, TableName=name, SSESpecification={"Enabled": True},
                        TableClass="STANDARD_INFREQUENT_ACCESS") == (
        "ValidationException", INVALID + "Server-Side Encryption modification must be the only "
        "operation in the request")
    assert update_error(ddb, TableName=name, StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
        ProvisionedThroughput={"ReadCapacityUnits": 9, "WriteCapacityUnits": 9}) == (
        "ValidationException",
        INVALID + "You cannot modify stream status while updating table IOPS")


@SSE_IGNORED
def test_update_sse(ddb, tables):
    """LAB DDB-TABLE-018/079/140: Enabled:false on a table with DynamoDB's own key is 'already
    encrypted by default'; {Enabled: true} answers SSEDescription {Status: UPDATING} (no key
    before) and DescribeTable then shows the KMS key; Enabled:false takes it away again."""
    name = tables.create()
    assert update_error(ddb, TableName=name, SSESpecification={"Enabled": False}) == (
        "ValidationException", INVALID + "Table is already encrypted by default")
    r = ddb.update_table(TableName=name, SSESpecification={"Enabled": True})
    assert r["TableDescription"]["SSEDescription"] == {"Status": "UPDATING"}
    desc = wait_table_active(ddb, name)["SSEDescription"]
    assert desc["Status"] == "ENABLED" and desc["SSEType"] == "KMS"
    assert desc["KMSMasterKeyArn"].startswith("arn:aws:kms:")
    r = ddb.update_table(TableName=name, SSESpecification={"Enabled": False})
    assert r["TableDescription"]["SSEDescription"] == dict(desc, Status="UPDATING")
    assert "SSEDescription" not in wait_table_active(ddb, name)


@pytest.mark.source(
    "question: cruddur's own answer, not DynamoDB's: with one region it refuses ReplicaUpdates "
    "in its own words, where DynamoDB would add the replica; DynamoDB Local refuses with "
    "'Nothing to update'")
def test_update_replicas_refused(ddb, tables):
    """This server has one region: ReplicaUpdates (global tables) is refused, never ignored."""
    name = tables.create(StreamSpecification={"StreamEnabled": True,
                                              "StreamViewType": "NEW_AND_OLD_IMAGES"})
    code, msg = update_error(ddb, TableName=name,
                             ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
    assert code == "ValidationException"
    assert "one region" in msg and "ReplicaUpdates" in msg
    assert "Replicas" not in ddb.describe_table(TableName=name)["Table"]


# --- DeleteTable --------------------------------------------------------------------------------

@pytest.mark.source(
    "ddb-answer: DeleteTable's trimmed description (ScyllaDB's Alternator test_table.py "
    "test_delete_table_description, run against DynamoDB; dynalite issue #60 quotes DynamoDB's "
    "answer); DynamoDB Local returns the whole table description")
def test_delete_table_description_members(ddb, tables):
    """ALTERNATOR test_delete_table_description and dynalite issue #60: DeleteTable's description
    is trimmed - no KeySchema, AttributeDefinitions, CreationDateTime or indexes."""
    name = tables.create(attrs={"g": "S"}, GlobalSecondaryIndexes=[gsi("gx1", "g")],
                         StreamSpecification={"StreamEnabled": True,
                                              "StreamViewType": "KEYS_ONLY"})
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "g": {"S": "b"}})
    desc = ddb.delete_table(TableName=name)["TableDescription"]
    assert set(desc) == {"TableName", "TableStatus", "ProvisionedThroughput", "TableSizeBytes",
                         "ItemCount", "TableArn", "TableId", "BillingModeSummary"}
    assert desc["TableName"] == name and desc["TableStatus"] == "DELETING"
    assert desc["ProvisionedThroughput"] == {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0,
                                             "WriteCapacityUnits": 0}
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert desc["ItemCount"] in (0, 1)  # DynamoDB's counts lag; this server's do not


# --- Index key sizes ------------------------------------------------------------------------------

def index_table(tables):
    return tables.create(attrs={"g": "S", "r": "S"},
                         GlobalSecondaryIndexes=[gsi("by_g", "g", "r")])


@pytest.mark.parametrize("attr,size,message", [
    pytest.param("g", 2049, "Size of hashkey has exceeded the maximum size limit of2048 bytes",
                 marks=KEY_WORDING),
    pytest.param("r", 1025,
                 "Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
                 marks=pytest.mark.source(
                     "question: an index sort key over 1024 bytes: the test expects the table's "
                     "range key message by analogy, no DynamoDB answer seen for an index; "
                     "DynamoDB Local says 'One or more parameter values were invalid: Size "
                     "limit exceeded'")),
])
def test_index_key_over_size_limit_refused(ddb, tables, attr, size, message):
    """DOCS (Constraints: partition key 2048 bytes, sort key 1024 bytes, for index keys too); a
    GSI partition key over 2048 bytes was seen refused by DynamoDB with the table's hashkey
    message (as quoted by its users); the sort key message is the table's by analogy."""
    name = index_table(tables)
    item = {"pk": {"S": "a"}, "g": {"S": "g"}, "r": {"S": "r"}}
    item[attr] = {"S": "é" * (size // 2) + "x" * (size % 2)}  # size bytes of UTF-8
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=name, Item=item)
    assert err(e) == ("ValidationException", INVALID + message)
    item[attr] = {"S": "é" * ((size - 1) // 2) + "x" * ((size - 1) % 2)}  # at the limit
    ddb.put_item(TableName=name, Item=item)


@pytest.mark.source(
    "docs: an item whose index key is over 2048/1024 bytes is left out of a new index's backfill "
    "(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/"
    "GSI.OnlineOps.ViolationDetection.html); DynamoDB Local indexes it")
def test_backfill_leaves_out_too_big_index_keys(ddb, tables):
    """DOCS (Constraints; an item whose index key is over the limit cannot be in the index):
    items written before the GSI existed with a too-big key are simply not indexed."""
    name = tables.create()
    ddb.put_item(TableName=name, Item={"pk": {"S": "big"}, "g": {"S": "x" * 2049}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "small"}, "g": {"S": "y"}})
    ddb.update_table(TableName=name, AttributeDefinitions=ad(("g", "S")),
                     GlobalSecondaryIndexUpdates=[{"Create": gsi("by_g", "g")}])
    wait_table_active(ddb, name)
    items = ddb.scan(TableName=name, IndexName="by_g")["Items"]
    assert [i["pk"]["S"] for i in items] == ["small"]


def test_backfill_leaves_out_empty_index_keys(ddb, tables):
    """An item written before the GSI existed with an empty string for one of the index's key
    attributes, partition or sort, is not indexed, as a write of one is refused once the index
    exists (DynamoDB Local; ScyllaDB's Alternator tests, run against DynamoDB)."""
    name = tables.create()
    ddb.put_item(TableName=name, Item={"pk": {"S": "empty"}, "g": {"S": ""}, "r": {"S": "r"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "kept"}, "g": {"S": "y"}, "r": {"S": "r"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "empty-r"}, "g": {"S": "z"}, "r": {"S": ""}})
    for index, keys in [("by_g", ("g",)), ("by_r_g", ("r", "g"))]:
        ddb.update_table(TableName=name, AttributeDefinitions=ad(*[(k, "S") for k in keys]),
                         GlobalSecondaryIndexUpdates=[{"Create": gsi(index, *keys)}])
        wait_table_active(ddb, name)
    assert sorted(i["pk"]["S"] for i in ddb.scan(TableName=name, IndexName="by_g")["Items"]) == [
        "empty-r", "kept"]
    assert [i["pk"]["S"] for i in ddb.scan(TableName=name, IndexName="by_r_g")["Items"]] == [
        "kept"]


@pytest.mark.source("ddb-answer: LAB DDB-TABLE-042/035/038: a CreateTable without KeySchema or "
                    "AttributeDefinitions collects them as 'Value null ... must not be null'; a "
                    "lowercase StreamViewType lists the enum in DynamoDB's order; throughput "
                    "units are listed write first")
def test_create_table_constraint_answers(ddb_nv):
    """DynamoDB's collected constraint answers of CreateTable (LAB, 2026)."""
    name = unique_name()
    with pytest.raises(ClientError) as e:
        ddb_nv.create_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    assert err(e) == ("ValidationException", "2 validation errors detected: Value null at "
                      "'attributeDefinitions' failed to satisfy constraint: Member must not be "
                      "null; Value null at 'keySchema' failed to satisfy constraint: Member must "
                      "not be null")
    with pytest.raises(ClientError) as e:
        ddb_nv.create_table(TableName=name, AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"}], KeySchema=ks("pk"), **PPR,
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "keys_only"})
    assert err(e) == ("ValidationException", "1 validation error detected: Value 'keys_only' at "
                      "'streamSpecification.streamViewType' failed to satisfy constraint: Member "
                      "must satisfy enum value set: [OLD_IMAGE, KEYS_ONLY, NEW_AND_OLD_IMAGES, "
                      "NEW_IMAGE]")
    with pytest.raises(ClientError) as e:
        ddb_nv.create_table(TableName=name, AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"}], KeySchema=ks("pk"),
            ProvisionedThroughput={"ReadCapacityUnits": 0, "WriteCapacityUnits": 0})
    assert err(e) == ("ValidationException", "2 validation errors detected: Value '0' at "
                      "'provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: "
                      "Member must have value greater than or equal to 1; Value '0' at "
                      "'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: "
                      "Member must have value greater than or equal to 1")


@pytest.mark.source("ddb-answer: LAB DDB-TABLE-125: AttributeDefinitions and an INCLUDE "
                    "projection's NonKeyAttributes are described sorted by name; DynamoDB Local "
                    "keeps the order they were given in")
def test_definitions_and_projected_attributes_are_described_sorted(ddb, tables):
    """CreateTable with definitions z, a, m, sk, pk and NonKeyAttributes zz, aa, mm, sk:
    described as [a, m, pk, sk, z] and [aa, mm, sk, zz], in CreateTable's answer too."""
    name = unique_name()
    tables.track(name)
    answer = ddb.create_table(
        TableName=name, **PPR, KeySchema=ks("pk", "sk"),
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"}
                              for a in ("z", "a", "m", "sk", "pk")],
        GlobalSecondaryIndexes=[{"IndexName": "by_z", "KeySchema": ks("z", "a"),
                                 "Projection": {"ProjectionType": "INCLUDE",
                                                "NonKeyAttributes": ["zz", "aa", "mm", "sk"]}}],
        LocalSecondaryIndexes=[{"IndexName": "by_m", "KeySchema": ks("pk", "m"),
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}])["TableDescription"]
    wait_table_active(ddb, name)
    for desc in (answer, ddb.describe_table(TableName=name)["Table"]):
        assert [d["AttributeName"] for d in desc["AttributeDefinitions"]] == [
            "a", "m", "pk", "sk", "z"]
        assert desc["GlobalSecondaryIndexes"][0]["Projection"]["NonKeyAttributes"] == [
            "aa", "mm", "sk", "zz"]
