"""CreateTable, DescribeTable, ListTables, DeleteTable, UpdateTable."""

import time

import pytest
from botocore.exceptions import ClientError

from ddbtest import create_error, err, unique_name, wait_table_active, wait_table_gone
from provenance import (CONSTRAINT_WORDING, CREATE_TABLE_WORDING, MISSING_TABLE, TABLE_NAME_LENGTH,
                        THROUGHPUT_IGNORED)

PPR = {"BillingMode": "PAY_PER_REQUEST"}
PROV = {"ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 7}}


def ks(*keys):
    out = [{"AttributeName": keys[0], "KeyType": "HASH"}]
    if len(keys) > 1:
        out.append({"AttributeName": keys[1], "KeyType": "RANGE"})
    return out


def ad(**types):
    return [{"AttributeName": a, "AttributeType": t} for a, t in types.items()]


def create_refused(client, tables, **kwargs):
    """The message of the ValidationException that refuses CreateTable(**kwargs)."""
    code, msg = create_error(client, tables, **kwargs)
    assert code == "ValidationException", (code, msg)
    return msg


# --- CreateTable / DescribeTable --------------------------------------------------------------

def test_create_hash_table_describe_shape(ddb, tables):
    name = unique_name()
    r = ddb.create_table(TableName=name, KeySchema=ks("pk"), AttributeDefinitions=ad(pk="S"),
                         **PROV)
    tables.track(name)
    td = r["TableDescription"]
    assert td["TableName"] == name
    assert td["TableStatus"] in ("CREATING", "ACTIVE")
    desc = wait_table_active(ddb, name)
    assert desc["TableName"] == name
    assert desc["KeySchema"] == ks("pk")
    assert desc["AttributeDefinitions"] == ad(pk="S")
    assert desc["ItemCount"] == 0
    assert desc["TableSizeBytes"] == 0
    assert desc["TableArn"].startswith("arn:aws:dynamodb:")
    assert desc["TableArn"].endswith(":table/" + name)
    assert "CreationDateTime" in desc
    pt = desc["ProvisionedThroughput"]
    assert pt["ReadCapacityUnits"] == 5
    assert pt["WriteCapacityUnits"] == 7
    assert pt["NumberOfDecreasesToday"] == 0
    assert "LocalSecondaryIndexes" not in desc
    assert "GlobalSecondaryIndexes" not in desc


def test_create_hash_range_table(ddb, tables):
    name = tables.create(hash_key=("h", "B"), range_key=("r", "N"))
    desc = ddb.describe_table(TableName=name)["Table"]
    assert desc["KeySchema"] == ks("h", "r")
    defs = sorted(desc["AttributeDefinitions"], key=lambda a: a["AttributeName"])
    assert defs == ad(h="B", r="N")


def test_create_pay_per_request_billing_summary(ddb, tables):
    name = tables.create()
    desc = ddb.describe_table(TableName=name)["Table"]
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 0
    assert desc["ProvisionedThroughput"]["WriteCapacityUnits"] == 0


def test_create_table_with_lsi_and_gsi(ddb, tables):
    name = tables.create(
        range_key=("sk", "S"), attrs={"lsk": "N", "gpk": "S", "gsk": "S"},
        LocalSecondaryIndexes=[
            {"IndexName": "lsi_all", "KeySchema": ks("pk", "lsk"),
             "Projection": {"ProjectionType": "ALL"}},
        ],
        GlobalSecondaryIndexes=[
            {"IndexName": "gsi_keys", "KeySchema": ks("gpk", "gsk"),
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
            {"IndexName": "gsi_incl", "KeySchema": ks("gpk"),
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "b"]}},
        ])
    desc = ddb.describe_table(TableName=name)["Table"]
    lsis = {i["IndexName"]: i for i in desc["LocalSecondaryIndexes"]}
    assert lsis["lsi_all"]["KeySchema"] == ks("pk", "lsk")
    assert lsis["lsi_all"]["Projection"] == {"ProjectionType": "ALL"}
    assert lsis["lsi_all"]["IndexArn"].endswith(":table/%s/index/lsi_all" % name)
    gsis = {i["IndexName"]: i for i in desc["GlobalSecondaryIndexes"]}
    assert set(gsis) == {"gsi_keys", "gsi_incl"}
    assert gsis["gsi_keys"]["KeySchema"] == ks("gpk", "gsk")
    assert gsis["gsi_keys"]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert gsis["gsi_incl"]["Projection"]["ProjectionType"] == "INCLUDE"
    assert sorted(gsis["gsi_incl"]["Projection"]["NonKeyAttributes"]) == ["a", "b"]
    for g in gsis.values():
        assert g["IndexStatus"] == "ACTIVE"
        assert g["IndexArn"].endswith(":table/%s/index/%s" % (name, g["IndexName"]))


def test_create_table_with_stream_specification(ddb, tables):
    name = tables.create(StreamSpecification={"StreamEnabled": True,
                                              "StreamViewType": "NEW_AND_OLD_IMAGES"})
    desc = ddb.describe_table(TableName=name)["Table"]
    assert desc["StreamSpecification"] == {"StreamEnabled": True,
                                           "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert desc["LatestStreamArn"].startswith(desc["TableArn"] + "/stream/")
    assert desc["LatestStreamLabel"]


@CREATE_TABLE_WORDING
def test_create_duplicate_table_resource_in_use(ddb, tables):
    name = tables.create()
    with pytest.raises(ClientError) as e:
        ddb.create_table(TableName=name, KeySchema=ks("pk"), AttributeDefinitions=ad(pk="S"),
                         **PPR)
    code, msg = err(e)
    assert code == "ResourceInUseException"
    # Real DynamoDB: "Table already exists: <name>" (dynalite agrees).
    assert msg == "Table already exists: " + name  # moto's wording; dynalite sends ''.


@MISSING_TABLE
def test_describe_missing_table(ddb):
    name = unique_name("missing")
    with pytest.raises(ClientError) as e:
        ddb.describe_table(TableName=name)
    assert err(e) == ("ResourceNotFoundException",
                      "Requested resource not found: Table: %s not found" % name)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@CREATE_TABLE_WORDING
def test_create_key_attribute_not_defined(ddb, tables):
    msg = create_refused(ddb, tables, KeySchema=ks("x"),
                         AttributeDefinitions=ad(y="S"), **PPR)
    assert msg == ("One or more parameter values were invalid: Some index key attributes are not "
                   "defined in AttributeDefinitions. Keys: [x], AttributeDefinitions: [y]")


@CREATE_TABLE_WORDING
def test_create_extra_attribute_definition(ddb, tables):
    msg = create_refused(ddb, tables, KeySchema=ks("pk"),
                         AttributeDefinitions=ad(pk="S", extra="S"), **PPR)
    assert msg == ("One or more parameter values were invalid: Number of attributes in KeySchema "
                   "does not exactly match number of attributes defined in AttributeDefinitions")


@CREATE_TABLE_WORDING
def test_create_hash_and_range_same_name(ddb, tables):
    msg = create_refused(ddb, tables, KeySchema=ks("pk", "pk"),
                         AttributeDefinitions=ad(pk="S", x="S"), **PPR)
    assert msg == "Both the Hash Key and the Range Key element in the KeySchema have the same name"


@CREATE_TABLE_WORDING
def test_create_first_key_not_hash(ddb, tables):
    msg = create_refused(
        ddb, tables, KeySchema=[{"AttributeName": "a", "KeyType": "RANGE"},
                                {"AttributeName": "b", "KeyType": "HASH"}],
        AttributeDefinitions=ad(a="S", b="S"), **PPR)
    assert msg == "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"


@TABLE_NAME_LENGTH
def test_create_table_name_too_short(ddb_nv, tables):
    msg = create_refused(ddb_nv, tables, TableName="ab", KeySchema=ks("pk"),
                         AttributeDefinitions=ad(pk="S"), **PPR)
    assert msg == ("1 validation error detected: Value 'ab' at 'tableName' failed to satisfy "
                   "constraint: Member must have length greater than or equal to 3")


@CONSTRAINT_WORDING
def test_create_table_name_bad_characters(ddb_nv, tables):
    msg = create_refused(ddb_nv, tables, TableName="bad name!", KeySchema=ks("pk"),
                         AttributeDefinitions=ad(pk="S"), **PPR)
    assert msg == ("1 validation error detected: Value 'bad name!' at 'tableName' failed to "
                   "satisfy constraint: Member must satisfy regular expression pattern: "
                   "[a-zA-Z0-9_.-]+")


@TABLE_NAME_LENGTH
def test_create_table_name_max_length_ok_and_too_long(ddb_nv, tables):
    ok = ("t" + unique_name()).ljust(255, "x")
    tables.create(TableName=ok)
    msg = create_refused(ddb_nv, tables, TableName="y" * 256, KeySchema=ks("pk"),
                         AttributeDefinitions=ad(pk="S"), **PPR)
    assert msg == ("1 validation error detected: Value '%s' at 'tableName' failed to satisfy "
                   "constraint: Member must have length less than or equal to 255" % ("y" * 256))


def test_create_bad_attribute_type(ddb_nv, tables):
    msg = create_refused(ddb_nv, tables, KeySchema=ks("pk"),
                         AttributeDefinitions=ad(pk="BOOL"), **PPR)
    assert "Member must satisfy enum value set: [B, N, S]" in msg


@CREATE_TABLE_WORDING
def test_create_provisioned_without_throughput(ddb, tables):
    msg = create_refused(ddb, tables, KeySchema=ks("pk"),
                         AttributeDefinitions=ad(pk="S"))
    assert msg == ("One or more parameter values were invalid: ReadCapacityUnits and "
                   "WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")


@THROUGHPUT_IGNORED
def test_create_pay_per_request_with_throughput(ddb, tables):
    msg = create_refused(ddb, tables, KeySchema=ks("pk"),
                         AttributeDefinitions=ad(pk="S"), **PPR, **PROV)
    assert msg == ("One or more parameter values were invalid: Neither ReadCapacityUnits nor "
                   "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")


@CREATE_TABLE_WORDING
def test_create_lsi_on_hash_only_table(ddb, tables):
    msg = create_refused(
        ddb, tables, KeySchema=ks("pk"), AttributeDefinitions=ad(pk="S", l="S"),
        LocalSecondaryIndexes=[{"IndexName": "lsi", "KeySchema": ks("pk", "l"),
                                "Projection": {"ProjectionType": "ALL"}}], **PPR)
    assert msg == ("One or more parameter values were invalid: Table KeySchema does not have a "
                   "range key, which is required when specifying a LocalSecondaryIndex")


@CREATE_TABLE_WORDING
def test_create_lsi_different_hash_key(ddb, tables):
    msg = create_refused(
        ddb, tables, KeySchema=ks("pk", "sk"), AttributeDefinitions=ad(pk="S", sk="S", o="S"),
        LocalSecondaryIndexes=[{"IndexName": "lsi", "KeySchema": ks("o", "sk"),
                                "Projection": {"ProjectionType": "ALL"}}], **PPR)
    assert msg == ("One or more parameter values were invalid: Index KeySchema does not have the "
                   "same leading hash key as table KeySchema for index: lsi. index hash key: o, "
                   "table hash key: pk")


@CREATE_TABLE_WORDING
def test_create_gsi_key_not_defined(ddb, tables):
    msg = create_refused(
        ddb, tables, KeySchema=ks("pk"), AttributeDefinitions=ad(pk="S"),
        GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": ks("gk"),
                                 "Projection": {"ProjectionType": "ALL"}}], **PPR)
    assert msg == ("One or more parameter values were invalid: Some index key attributes are not "
                   "defined in AttributeDefinitions. Keys: [gk], AttributeDefinitions: [pk]")


@CREATE_TABLE_WORDING
def test_create_duplicate_index_name(ddb, tables):
    gsi = {"IndexName": "dup", "KeySchema": ks("g"), "Projection": {"ProjectionType": "ALL"}}
    msg = create_refused(
        ddb, tables, KeySchema=ks("pk"), AttributeDefinitions=ad(pk="S", g="S"),
        GlobalSecondaryIndexes=[gsi, dict(gsi)], **PPR)
    assert msg == "One or more parameter values were invalid: Duplicate index name: dup"


@CREATE_TABLE_WORDING
def test_create_non_key_attributes_without_include(ddb, tables):
    msg = create_refused(
        ddb, tables, KeySchema=ks("pk"), AttributeDefinitions=ad(pk="S", g="S"),
        GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": ks("g"),
                                 "Projection": {"ProjectionType": "ALL",
                                                "NonKeyAttributes": ["x"]}}], **PPR)
    assert msg == ("One or more parameter values were invalid: ProjectionType is ALL, but "
                   "NonKeyAttributes is specified")


@THROUGHPUT_IGNORED
def test_create_gsi_throughput_with_pay_per_request(ddb, tables):
    msg = create_refused(
        ddb, tables, KeySchema=ks("pk"), AttributeDefinitions=ad(pk="S", g="S"),
        GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": ks("g"),
                                 "Projection": {"ProjectionType": "ALL"},
                                 "ProvisionedThroughput": {"ReadCapacityUnits": 1,
                                                           "WriteCapacityUnits": 1}}], **PPR)
    assert msg == ("One or more parameter values were invalid: ProvisionedThroughput should not "
                   "be specified for index: gsi when BillingMode is PAY_PER_REQUEST")


@CREATE_TABLE_WORDING
def test_create_too_many_lsis(ddb, tables):
    lsis = [{"IndexName": "lsi%d" % i, "KeySchema": ks("pk", "a%d" % i),
             "Projection": {"ProjectionType": "KEYS_ONLY"}} for i in range(6)]
    attrs = {"pk": "S", "sk": "S"}
    attrs.update({"a%d" % i: "S" for i in range(6)})
    msg = create_refused(ddb, tables, KeySchema=ks("pk", "sk"),
                         AttributeDefinitions=ad(**attrs),
                         LocalSecondaryIndexes=lsis, **PPR)
    assert msg == ("One or more parameter values were invalid: Number of LocalSecondaryIndexes "
                   "exceeds per-table limit of 5")


# --- ListTables -------------------------------------------------------------------------------

def test_list_tables_paging(ddb, tables):
    prefix = unique_name("lst")
    names = [tables.create(TableName=prefix + suffix) for suffix in ("-c", "-a", "-b")]
    all_names = ddb.list_tables()["TableNames"]
    assert all_names == sorted(all_names)
    for n in names:
        assert n in all_names

    r = ddb.list_tables(ExclusiveStartTableName=prefix, Limit=2)
    assert r["TableNames"] == [prefix + "-a", prefix + "-b"]
    assert r["LastEvaluatedTableName"] == prefix + "-b"
    r = ddb.list_tables(ExclusiveStartTableName=r["LastEvaluatedTableName"], Limit=1)
    assert r["TableNames"] == [prefix + "-c"]
    # A page that ends with the last table has no LastEvaluatedTableName, even when cut at
    # Limit (as DynamoDB Local answers).
    everything = []
    r = {}
    while True:
        r = ddb.list_tables(**({"ExclusiveStartTableName": r["LastEvaluatedTableName"]}
                               if r.get("LastEvaluatedTableName") else {}))
        everything += r["TableNames"]
        if "LastEvaluatedTableName" not in r:
            break
    r = ddb.list_tables(ExclusiveStartTableName=everything[-2], Limit=1)
    assert r["TableNames"] == [everything[-1]] and "LastEvaluatedTableName" not in r
    r = ddb.list_tables(ExclusiveStartTableName=everything[-1], Limit=1)
    assert r["TableNames"] == [] and "LastEvaluatedTableName" not in r


def test_list_tables_follow_all_pages(ddb, tables):
    prefix = unique_name("pg")
    made = sorted(tables.create(TableName="%s-%d" % (prefix, i)) for i in range(4))
    seen, start = [], None
    for _ in range(1000):
        kw = {"Limit": 3}
        if start:
            kw["ExclusiveStartTableName"] = start
        r = ddb.list_tables(**kw)
        assert len(r["TableNames"]) <= 3
        seen += r["TableNames"]
        start = r.get("LastEvaluatedTableName")
        if not start:
            break
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen))
    for n in made:
        assert n in seen


@CONSTRAINT_WORDING
def test_list_tables_limit_out_of_range(ddb_nv):
    with pytest.raises(ClientError) as e:
        ddb_nv.list_tables(Limit=101)
    code, msg = err(e)
    assert code == "ValidationException"
    assert msg == ("1 validation error detected: Value '101' at 'limit' failed to satisfy "
                   "constraint: Member must have value less than or equal to 100")


def test_list_tables_with_paginator(ddb, tables):
    prefix = unique_name("pgn")
    made = [tables.create(TableName="%s-%d" % (prefix, i)) for i in range(3)]
    seen = []
    for page in ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2}):
        seen += page["TableNames"]
    for n in made:
        assert n in seen


# --- DeleteTable ------------------------------------------------------------------------------

@MISSING_TABLE
def test_delete_table(ddb, tables):
    name = tables.create()
    ddb.put_item(TableName=name, Item={"pk": {"S": "x"}})
    r = ddb.delete_table(TableName=name)
    assert r["TableDescription"]["TableName"] == name
    assert r["TableDescription"]["TableStatus"] in ("DELETING", "ACTIVE")
    wait_table_gone(ddb, name)
    assert name not in ddb.list_tables()["TableNames"]
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=name, Key={"pk": {"S": "x"}})
    assert err(e) == ("ResourceNotFoundException", "Requested resource not found")


@MISSING_TABLE
def test_delete_missing_table(ddb):
    name = unique_name("missing")
    with pytest.raises(ClientError) as e:
        ddb.delete_table(TableName=name)
    code, msg = err(e)
    assert code == "ResourceNotFoundException"
    # Real DynamoDB: "Requested resource not found: Table: <name> not found".
    assert msg == "Requested resource not found: Table: %s not found" % name


def test_recreate_after_delete_is_empty(ddb, tables):
    name = tables.create()
    ddb.put_item(TableName=name, Item={"pk": {"S": "x"}})
    ddb.delete_table(TableName=name)
    wait_table_gone(ddb, name)
    tables.create(TableName=name)
    assert ddb.scan(TableName=name)["Items"] == []


@MISSING_TABLE
def test_put_to_missing_table(ddb):
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=unique_name("missing"), Item={"pk": {"S": "x"}})
    assert err(e) == ("ResourceNotFoundException", "Requested resource not found")


# --- UpdateTable ------------------------------------------------------------------------------

def test_update_table_throughput(ddb, tables):
    name = tables.create(BillingMode="PROVISIONED", **PROV)
    r = ddb.update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 10,
                                                                "WriteCapacityUnits": 11})
    assert r["TableDescription"]["TableName"] == name
    desc = wait_table_active(ddb, name)
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 10
    assert desc["ProvisionedThroughput"]["WriteCapacityUnits"] == 11


def test_update_table_billing_mode(ddb, tables):
    name = tables.create(BillingMode="PROVISIONED", **PROV)
    ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    desc = wait_table_active(ddb, name)
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_billing_mode_summary_stays_once_pay_per_request(ddb, tables):
    """BillingModeSummary reference: a table reports it once it has been PAY_PER_REQUEST, and
    keeps it after a switch back to PROVISIONED (as DynamoDB's answers in AWS's CLI examples
    show); LastUpdateToPayPerRequestDateTime is when PAY_PER_REQUEST was last set."""
    name = tables.create(BillingMode="PROVISIONED", **PROV)
    created = ddb.describe_table(TableName=name)["Table"]
    assert "BillingModeSummary" not in created
    ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    summary = wait_table_active(ddb, name)["BillingModeSummary"]
    assert summary["BillingMode"] == "PAY_PER_REQUEST"
    switched = summary["LastUpdateToPayPerRequestDateTime"]
    assert switched >= created["CreationDateTime"]
    ddb.update_table(TableName=name, BillingMode="PROVISIONED", **PROV)
    desc = wait_table_active(ddb, name)
    assert desc["BillingModeSummary"] == {"BillingMode": "PROVISIONED",
                                          "LastUpdateToPayPerRequestDateTime": switched}
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 5


@MISSING_TABLE
def test_update_table_missing(ddb):
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=unique_name("missing"), BillingMode="PAY_PER_REQUEST")
    code, msg = err(e)
    assert code == "ResourceNotFoundException"
    assert msg.startswith("Requested resource not found")  # wording after ':' unverified


def test_update_table_gsi_create_backfill_and_delete(ddb, tables):
    name = tables.create(BillingMode="PROVISIONED", **PROV)
    for i in range(30):
        item = {"pk": {"S": "p%02d" % i}, "v": {"N": str(i)}}
        if i % 3 == 0:
            item["g"] = {"S": "grp"}
        ddb.put_item(TableName=name, Item=item)
    ddb.update_table(
        TableName=name, AttributeDefinitions=ad(pk="S", g="S"),
        GlobalSecondaryIndexUpdates=[{"Create": {
            "IndexName": "by_g", "KeySchema": ks("g"),
            "Projection": {"ProjectionType": "ALL"}, **PROV}}])
    desc = wait_table_active(ddb, name)
    assert [g["IndexName"] for g in desc["GlobalSecondaryIndexes"]] == ["by_g"]
    r = ddb.query(TableName=name, IndexName="by_g", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": {"S": "grp"}})
    assert r["Count"] == 10
    assert sorted(int(i["v"]["N"]) for i in r["Items"]) == list(range(0, 30, 3))
    # Writes after creation are indexed too.
    ddb.put_item(TableName=name, Item={"pk": {"S": "new"}, "g": {"S": "grp"}})
    r = ddb.query(TableName=name, IndexName="by_g", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": {"S": "grp"}}, Select="COUNT")
    assert r["Count"] == 11

    ddb.update_table(TableName=name,
                     GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_g"}}])
    desc = wait_table_active(ddb, name)
    for _ in range(600):
        if not desc.get("GlobalSecondaryIndexes"):
            break
        desc = wait_table_active(ddb, name)
    assert not desc.get("GlobalSecondaryIndexes")
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=name, IndexName="by_g", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": {"S": "grp"}})
    assert err(e) == ("ValidationException", "The table does not have the specified index: by_g")


def test_update_table_answers_index_changes_as_they_start(ddb, tables):
    """UpdateTable answers as the change starts (GlobalSecondaryIndexDescription reference and
    AWS's CLI example): a new index is CREATING with Backfilling false (the backfill has not
    begun), size and count 0; a deleted one is listed as DELETING."""
    name = tables.create(BillingMode="PROVISIONED", **PROV)
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "g": {"S": "x"}})
    desc = ddb.update_table(
        TableName=name, AttributeDefinitions=ad(pk="S", g="S"),
        GlobalSecondaryIndexUpdates=[{"Create": {
            "IndexName": "by_g", "KeySchema": ks("g"),
            "Projection": {"ProjectionType": "ALL"}, **PROV}}])["TableDescription"]
    gsi = desc["GlobalSecondaryIndexes"][0]
    assert (gsi["IndexStatus"], gsi["Backfilling"]) == ("CREATING", False)
    if "IndexSizeBytes" in gsi or "ItemCount" in gsi:  # DynamoDB Local leaves them out
        assert (gsi["IndexSizeBytes"], gsi["ItemCount"]) == (0, 0)
    wait_table_active(ddb, name)
    for _ in range(100):  # DynamoDB Local builds it in the background
        if ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0][
                "IndexStatus"] == "ACTIVE":
            break
        time.sleep(0.1)
    desc = ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[
        {"Delete": {"IndexName": "by_g"}}])["TableDescription"]
    assert [(g["IndexName"], g["IndexStatus"]) for g in desc["GlobalSecondaryIndexes"]] == \
        [("by_g", "DELETING")]


def test_update_table_delete_missing_gsi(ddb, tables):
    name = tables.create()
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName=name,
                         GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "nope"}}])
    code, msg = err(e)
    # Real DynamoDB answers ResourceNotFoundException "Requested resource not found: ..."
    # (exact tail unverified).
    assert code in ("ResourceNotFoundException", "ValidationException")


def test_describe_item_count_after_writes(ddb, tables):
    name = tables.create()
    for i in range(3):
        ddb.put_item(TableName=name, Item={"pk": {"S": str(i)}})
    desc = ddb.describe_table(TableName=name)["Table"]
    # DynamoDB updates ItemCount about every 6 hours; emulators update it at once. Accept both.
    assert desc["ItemCount"] in (0, 3)
