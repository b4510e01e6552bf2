"""Data-plane refusals and response members worded and shaped as DynamoDB answers them: set
values, Select with projections, ExclusiveStartKey, ItemCollectionMetrics, index write capacity.

Captured DynamoDB answers cited by probe id come from nubo-db/dynamodb-conformance's captures/
(cross-region-latest.json: us-east-1 and ap-southeast-2, 2026-06-23; 2026-08-12-wording-drift.json
"was" values). Those are the answers without the "1 validation error detected: " envelope that
some regions have since added to these messages; cruddur answers without it throughout.
"""

import pytest
from botocore.exceptions import ClientError

from ddbtest import err
from provenance import source

INVALID = "One or more parameter values were invalid: "

CAPTURED = source(
    "ddb-answer: captured from DynamoDB (nubo-db/dynamodb-conformance captures, 2026), "
    "probe ids in the test")


def S(v):
    return {"S": v}


def put_value(ddb, table, value):
    ddb.put_item(TableName=table, Item={"pk": S("k"), "a": value})


# --- set values ---

@CAPTURED
@pytest.mark.parametrize("value, message", [
    # b_put_dup_ss
    ({"SS": ["a", "a"]}, INVALID + "Input collection [a, a] contains duplicates."),
    # esm_put_ss_dup_empty
    ({"SS": ["", ""]}, INVALID + "Input collection [, ] contains duplicates."),
    # esm_put_bs_dup_empty
    ({"BS": [b"", b""]}, INVALID + "Input collection [, ]of type BS contains duplicates."),
    # b_put_empty_ss, b_put_empty_ns (two spaces before "may"), esm_put_bs_empty_set
    ({"SS": []}, INVALID + "An string set  may not be empty"),
    ({"NS": []}, INVALID + "An number set  may not be empty"),
    ({"BS": []}, INVALID + "Binary sets should not be empty"),
    # esm_put_ns_empty
    ({"NS": [""]}, "The parameter cannot be converted to a numeric value"),
    # nullRoundTrip (us-east-1, ap-southeast-2)
    ({"NULL": False}, INVALID + "Null attribute value types must have the value of true"),
])
def test_put_item_set_and_null_refusals(ddb_nv, table_h, value, message):
    with pytest.raises(ClientError) as e:
        put_value(ddb_nv, table_h, value)
    assert err(e) == ("ValidationException", message)


@source("ddb-answer: dynalite's record of DynamoDB's answers (its PutItem tests)")
@pytest.mark.parametrize("value, message", [
    ({"SS": ["b", "a", "b"]}, INVALID + "Input collection [b, a, b] contains duplicates."),
    ({"BS": [b"b", b"b"]}, INVALID + "Input collection [Yg==, Yg==]of type BS contains duplicates."),
    # Numbers are compared by value, and the message lists none of them.
    ({"NS": ["1", "1.0"]}, "Input collection contains duplicates"),
])
def test_put_item_duplicates_listed_as_sent(ddb_nv, table_h, value, message):
    with pytest.raises(ClientError) as e:
        put_value(ddb_nv, table_h, value)
    assert err(e) == ("ValidationException", message)


@source("ddb-answer: dynalite's record of DynamoDB's answers (its BatchWriteItem tests)")
def test_batch_write_duplicate_set_members(ddb_nv, table_h):
    with pytest.raises(ClientError) as e:
        ddb_nv.batch_write_item(RequestItems={table_h: [
            {"PutRequest": {"Item": {"pk": S("k"), "a": {"SS": ["x", "x"]}}}}]})
    assert err(e) == ("ValidationException", INVALID + "Input collection [x, x] contains duplicates.")


# --- Select and projections ---

@pytest.fixture
def itable(ddb, tables):
    """pk/sk with a KEYS_ONLY LSI on `l`, an INCLUDE GSI and an ALL GSI on `g`."""
    t = tables.create(
        range_key=("sk", "S"), attrs={"g": "S", "l": "S"},
        LocalSecondaryIndexes=[
            {"IndexName": "lsi", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                               {"AttributeName": "l", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        GlobalSecondaryIndexes=[
            {"IndexName": "gsi_incl", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}},
            {"IndexName": "gsi_all", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}}])
    for sk in ("1", "2", "3"):
        ddb.put_item(TableName=t, Item={"pk": S("p"), "sk": S(sk), "g": S("g"), "l": S("l" + sk),
                                        "x": S("x"), "y": S("y")})
    return t


def query(ddb, table, **kw):
    return ddb.query(TableName=table, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": S("p")}, **kw)


ENVELOPE = "1 validation error detected: "


@source("ddb-answer: moto's AWS-verified tests and ExtendDB's and dynoxide's checks against "
        "DynamoDB; the dynamodb-conformance suite (tier1 query/scan select tests) agrees")
@pytest.mark.parametrize("op", ["query", "scan"])
@pytest.mark.parametrize("kw, message", [
    ({"Select": "SPECIFIC_ATTRIBUTES"},
     "Must specify the AttributesToGet or ProjectionExpression when choosing to get "
     "SPECIFIC_ATTRIBUTES"),
    ({"Select": "ALL_ATTRIBUTES", "ProjectionExpression": "x"},
     "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES"),
    ({"Select": "COUNT", "ProjectionExpression": "x"},
     "Cannot specify the ProjectionExpression when choosing to get only the Count"),
    ({"Select": "ALL_PROJECTED_ATTRIBUTES", "ProjectionExpression": "x", "IndexName": "gsi_all"},
     "Cannot specify the ProjectionExpression when choosing to get ALL_PROJECTED_ATTRIBUTES"),
])
def test_select_with_projection_refused(ddb, itable, op, kw, message):
    # Query wraps these in the one-error envelope, Scan does not.
    if kw.get("IndexName"):
        call = (lambda: ddb.query(TableName=itable, KeyConditionExpression="g = :g",
                                  ExpressionAttributeValues={":g": S("g")}, **kw)) \
            if op == "query" else (lambda: ddb.scan(TableName=itable, **kw))
    else:
        call = (lambda: query(ddb, itable, **kw)) if op == "query" else \
            (lambda: ddb.scan(TableName=itable, **kw))
    with pytest.raises(ClientError) as e:
        call()
    assert err(e) == ("ValidationException", (ENVELOPE if op == "query" else "") + message)


@source("ddb-answer: dynalite's and ExtendDB's record of DynamoDB's answers")
@pytest.mark.parametrize("select, what", [("ALL_ATTRIBUTES", "ALL_ATTRIBUTES"),
                                          ("COUNT", "only the Count")])
def test_select_with_attributes_to_get_refused(ddb, itable, select, what):
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName=itable, Select=select, AttributesToGet=["x"])
    assert err(e) == ("ValidationException",
                      "Cannot specify the AttributesToGet when choosing to get " + what)


@source("ddb-answer: checked before the table is looked up (dynoxide and ExtendDB, checked "
        "against DynamoDB)")
def test_select_checked_before_the_table(ddb):
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName="no_such_table_sel", Select="ALL_PROJECTED_ATTRIBUTES")
    assert err(e) == ("ValidationException",
                      "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")


@source("ddb-answer: dynalite's and dynoxide's record of DynamoDB's answer")
def test_all_attributes_on_gsi_that_does_not_project_all(ddb, itable):
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName=itable, IndexName="gsi_incl", Select="ALL_ATTRIBUTES")
    assert err(e) == ("ValidationException", INVALID + "Select type ALL_ATTRIBUTES is not supported "
                      "for global secondary index gsi_incl because its projection type is not ALL")
    # An LSI fetches what it does not project from the table.
    r = query(ddb, itable, IndexName="lsi", Select="ALL_ATTRIBUTES")
    assert r["Items"][0]["y"] == S("y")


# --- ExclusiveStartKey ---

RANGE_PREDICATE = "The provided starting key does not match the range key predicate"


@source("ddb-answer: DynamoDB answers seen by users and DynamoDB Local (measured 2026) refuse a "
        "start key outside the queried partition or sort key range with this message")
@pytest.mark.parametrize("kce, values, esk", [
    ("pk = :p", {":p": S("p")}, {"pk": S("other"), "sk": S("1")}),
    ("pk = :p AND sk > :s", {":p": S("p"), ":s": S("2")}, {"pk": S("p"), "sk": S("1")}),
    ("pk = :p AND begins_with(sk, :s)", {":p": S("p"), ":s": S("2")},
     {"pk": S("p"), "sk": S("3")}),
])
def test_query_start_key_outside_the_key_condition(ddb, itable, kce, values, esk):
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=itable, KeyConditionExpression=kce, ExpressionAttributeValues=values,
                  ExclusiveStartKey=esk)
    assert err(e) == ("ValidationException", RANGE_PREDICATE)
    # A key inside the range resumes after it.
    r = ddb.query(TableName=itable, KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": S("p")},
                  ExclusiveStartKey={"pk": S("p"), "sk": S("1")})
    assert [i["sk"] for i in r["Items"]] == [S("2"), S("3")]


@source("ddb-answer: floci's and ExtendDB's checks against DynamoDB (2026): Query answers "
        "'The provided starting key is invalid', a Scan of the table adds the schema sentence")
@pytest.mark.parametrize("esk", [
    {"pk": S("p")},                                    # a key attribute missing
    {"pk": S("p"), "sk": S("1"), "x": S("1")},         # an attribute more
    {"pk": S("p"), "sk": {"N": "1"}},                  # a key of the wrong type
])
def test_malformed_start_key(ddb, itable, esk):
    with pytest.raises(ClientError) as e:
        query(ddb, itable, ExclusiveStartKey=esk)
    assert err(e) == ("ValidationException", "The provided starting key is invalid")
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName=itable, ExclusiveStartKey=esk)
    assert err(e) == ("ValidationException", "The provided starting key is invalid: The provided "
                      "key element does not match the schema")


@source("ddb-answer: floci's and ExtendDB's checks against DynamoDB (2026)")
def test_index_start_key_needs_the_table_key(ddb, itable):
    with pytest.raises(ClientError) as e:
        query(ddb, itable, IndexName="lsi", ExclusiveStartKey={"pk": S("p"), "sk": S("1")})
    assert err(e) == ("ValidationException", "The provided starting key is invalid")
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName=itable, IndexName="gsi_all", ExclusiveStartKey={"g": S("g")})
    assert err(e) == ("ValidationException", "The provided starting key is invalid")


@source("ddb-answer: DynamoDB's answer recorded by ScyllaDB (alternator PR 9270) and dynalite")
def test_parallel_scan_start_key_of_another_segment(ddb, table_h):
    for i in range(40):
        ddb.put_item(TableName=table_h, Item={"pk": S("k%d" % i)})
    first = ddb.scan(TableName=table_h, Segment=0, TotalSegments=2, Limit=1)
    key = first["LastEvaluatedKey"]
    # The key resumes its own segment...
    ddb.scan(TableName=table_h, Segment=0, TotalSegments=2, ExclusiveStartKey=key)
    # ...and no other.
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName=table_h, Segment=1, TotalSegments=2, ExclusiveStartKey=key)
    assert err(e) == ("ValidationException", "The provided starting key is invalid: Invalid "
                      "ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. "
                      "TotalSegments: 2 Segment: 1")


# --- ItemCollectionMetrics ---

METRICS_DOC = source(
    "docs: ItemCollectionMetrics is returned only for tables with local secondary indexes "
    "(API_PutItem.html, ReturnItemCollectionMetrics); dynamodb-conformance "
    "itemCollectionMetrics.test.ts checks the shape against DynamoDB")


def metrics(key):
    return {"ItemCollectionKey": {"pk": key}, "SizeEstimateRangeGB": [0.0, 1.0]}


@METRICS_DOC
def test_item_collection_metrics_of_single_writes(ddb, itable, table_h):
    r = ddb.put_item(TableName=itable, Item={"pk": S("m"), "sk": S("1")},
                     ReturnItemCollectionMetrics="SIZE")
    assert r["ItemCollectionMetrics"] == metrics(S("m"))
    r = ddb.update_item(TableName=itable, Key={"pk": S("m"), "sk": S("1")},
                        UpdateExpression="SET x = :x", ExpressionAttributeValues={":x": S("1")},
                        ReturnItemCollectionMetrics="SIZE")
    assert r["ItemCollectionMetrics"] == metrics(S("m"))
    r = ddb.delete_item(TableName=itable, Key={"pk": S("m"), "sk": S("1")},
                        ReturnItemCollectionMetrics="SIZE")
    assert r["ItemCollectionMetrics"] == metrics(S("m"))
    r = ddb.put_item(TableName=itable, Item={"pk": S("m"), "sk": S("1")},
                     ReturnItemCollectionMetrics="NONE")
    assert "ItemCollectionMetrics" not in r
    r = ddb.put_item(TableName=table_h, Item={"pk": S("m")}, ReturnItemCollectionMetrics="SIZE")
    assert "ItemCollectionMetrics" not in r


@METRICS_DOC
def test_item_collection_metrics_of_batch_and_transaction(ddb, itable, table_h):
    r = ddb.batch_write_item(RequestItems={
        itable: [{"PutRequest": {"Item": {"pk": S("b1"), "sk": S("1")}}},
                 {"DeleteRequest": {"Key": {"pk": S("b2"), "sk": S("1")}}}],
        table_h: [{"PutRequest": {"Item": {"pk": S("b3")}}}]},
        ReturnItemCollectionMetrics="SIZE")
    assert r["ItemCollectionMetrics"] == {itable: [metrics(S("b1")), metrics(S("b2"))]}
    r = ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": itable, "Item": {"pk": S("t1"), "sk": S("1")}}},
        {"Put": {"TableName": table_h, "Item": {"pk": S("t2")}}}],
        ReturnItemCollectionMetrics="SIZE")
    assert r["ItemCollectionMetrics"] == {itable: [metrics(S("t1"))]}
    r = ddb.batch_write_item(RequestItems={table_h: [{"PutRequest": {"Item": {"pk": S("b4")}}}]},
                             ReturnItemCollectionMetrics="SIZE")
    assert "ItemCollectionMetrics" not in r


# --- index write capacity ---

@source("ddb-answer: measured on DynamoDB (dynamodb-conformance indexConsumedCapacity.test.ts, "
        "eu-west-2 2026-08-12): an unchanged index entry costs nothing and has no arm")
def test_index_write_capacity_only_for_changed_entries(ddb, itable):
    item = {"pk": S("c"), "sk": S("1"), "g": S("g"), "l": S("l"), "x": S("x")}
    r = ddb.put_item(TableName=itable, Item=item, ReturnConsumedCapacity="INDEXES")
    cc = r["ConsumedCapacity"]
    assert cc["CapacityUnits"] == 4.0
    assert cc["GlobalSecondaryIndexes"] == {"gsi_all": {"CapacityUnits": 1.0},
                                            "gsi_incl": {"CapacityUnits": 1.0}}
    assert cc["LocalSecondaryIndexes"] == {"lsi": {"CapacityUnits": 1.0}}
    r = ddb.put_item(TableName=itable, Item=item, ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"] == {"TableName": itable, "CapacityUnits": 1.0,
                                     "Table": {"CapacityUnits": 1.0}}
    # An attribute only the ALL index projects changes only that index.
    r = ddb.update_item(TableName=itable, Key={"pk": S("c"), "sk": S("1")},
                        UpdateExpression="SET y = :y", ExpressionAttributeValues={":y": S("y")},
                        ReturnConsumedCapacity="INDEXES")
    cc = r["ConsumedCapacity"]
    assert cc["CapacityUnits"] == 2.0
    assert cc["GlobalSecondaryIndexes"] == {"gsi_all": {"CapacityUnits": 1.0}}
    assert "LocalSecondaryIndexes" not in cc
