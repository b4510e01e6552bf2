"""ConsumedCapacity of every operation, by DynamoDB's formulas.

Sources: AWS, "DynamoDB read and write operations" (read-write-operations.html: reads in 4 KB
units, eventually consistent ones half, transactional ones twice; writes in 1 KB units,
transactional ones twice; BatchGetItem rounds each item; Query and Scan sum the items read and
round once), "Condition expressions" (a failed condition still consumes write units), and
DynamoDB's own answers recorded by nubo-db/paritysuite dynamodb-conformance (only transactional
operations split ReadCapacityUnits/WriteCapacityUnits; a ConditionCheck costs 2 write units; a
same-token TransactWriteItems replay costs transactional read units). What the neighbouring
modules already pin (Put/Get/Update/Delete at small sizes, index arms of writes, Query at one
item, BatchWriteItem puts, TransactWriteItems of two puts) is not repeated here.

Item sizes: the lengths of the attribute names plus those of the values, so
{"pk": "a", "v": "x" * 1500} is 2 + 1 + 1 + 1500 = 1504 bytes.
"""

import pytest

source = pytest.mark.source

READ_WRITE_DOCS = source(
    "docs: read-write-operations.html (4 KB read units, halved when eventually consistent; 1 KB "
    "write units; BatchGetItem rounds each item, Query/Scan the sum)")
TRANSACT_SPLIT = source(
    "ddb-answer: transactional operations report ReadCapacityUnits/WriteCapacityUnits beside "
    "CapacityUnits (paritysuite/dynamodb-conformance #67-#70, measured in eu-west-2); DynamoDB "
    "Local reports CapacityUnits only")


def S(v):
    return {"S": v}


def big(n):
    return {"S": "x" * n}


@READ_WRITE_DOCS
def test_update_item_costs_the_larger_item(ddb, table_h):
    """UpdateItem: ceil(max(size before, size after) / 1 KB). A 2504-byte item shrunk to a few
    bytes still costs 3 units."""
    ddb.put_item(TableName=table_h, Item={"pk": S("a"), "v": big(2500)})
    r = ddb.update_item(TableName=table_h, Key={"pk": S("a")}, UpdateExpression="REMOVE v",
                        ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == {"TableName": table_h, "CapacityUnits": 3.0}


@READ_WRITE_DOCS
def test_delete_item_costs_the_deleted_item(ddb, table_h):
    """DeleteItem: ceil(size of the deleted item / 1 KB), at least 1 (a missing item: 1)."""
    ddb.put_item(TableName=table_h, Item={"pk": S("a"), "v": big(2500)})
    r = ddb.delete_item(TableName=table_h, Key={"pk": S("a")}, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 3.0
    r = ddb.delete_item(TableName=table_h, Key={"pk": S("a")}, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 1.0


@READ_WRITE_DOCS
def test_get_item_rounds_up_to_4kb(ddb, table_h):
    """GetItem: ceil(size / 4 KB) strongly consistent, half that eventually consistent. A
    10004-byte item: 3 units (12 KB), 1.5 eventually consistent."""
    ddb.put_item(TableName=table_h, Item={"pk": S("a"), "v": big(10000)})
    r = ddb.get_item(TableName=table_h, Key={"pk": S("a")}, ConsistentRead=True,
                     ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 3.0
    r = ddb.get_item(TableName=table_h, Key={"pk": S("a")}, ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"] == {"TableName": table_h, "CapacityUnits": 1.5,
                                     "Table": {"CapacityUnits": 1.5}}


@READ_WRITE_DOCS
def test_query_and_scan_sum_the_items_then_round(ddb, table_hr):
    """Query and Scan: ceil(sum of the sizes of the items read / 4 KB), halved when eventually
    consistent; the filter does not lower it (it applies after the read). Three items of 1508
    bytes: 4524 bytes, 2 units (rounding each would give 3)."""
    for sk in "123":
        ddb.put_item(TableName=table_hr, Item={"pk": S("q"), "sk": S(sk), "v": big(1500)})
    r = ddb.query(TableName=table_hr, KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": S("q"), ":n": S("none")},
                  FilterExpression="v = :n", ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert r["Count"] == 0
    assert r["ConsumedCapacity"]["CapacityUnits"] == 2.0
    r = ddb.scan(TableName=table_hr, ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 2.0
    r = ddb.scan(TableName=table_hr, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 1.0


@source("docs: GSI.html, 'Provisioned throughput considerations for global secondary indexes' "
        "(a GSI query consumes the index's read units; eventually consistent)")
def test_query_of_a_gsi_is_charged_to_the_index(ddb, tables):
    """A Query of a GSI consumes the index's read units (eventually consistent: 0.5 for up to
    4 KB), reported under GlobalSecondaryIndexes with INDEXES."""
    t = tables.create(attrs={"g": "S"}, GlobalSecondaryIndexes=[{
        "IndexName": "gsi", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"}}])
    ddb.put_item(TableName=t, Item={"pk": S("a"), "g": S("x")})
    r = ddb.query(TableName=t, IndexName="gsi", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": S("x")}, ReturnConsumedCapacity="INDEXES")
    cc = r["ConsumedCapacity"]
    assert cc["CapacityUnits"] == 0.5
    assert cc["GlobalSecondaryIndexes"] == {"gsi": {"CapacityUnits": 0.5}}


@source("docs: the Query guide's 'Local secondary indexes' (a fetch from the table is sized per "
        "item, each rounded up to 4 KB, beside the index entries) and LSI.html ('Provisioned "
        "throughput considerations': fetches cost the table); nubo-db/dynamodb-conformance's "
        "reach-back tests, which DynamoDB passed (table arm > 0, by rows walked, none when "
        "nothing unprojected is asked for)")
def test_lsi_read_that_fetches_from_the_table_charges_the_table(ddb, tables):
    """An LSI read naming what the index does not project fetches each item from the table: the
    index arm is its entries' units, the table arm each fetched item's own 4 KB units, whether
    or not a filter keeps it; naming only projected attributes reads the index alone."""
    t = tables.create(range_key=("sk", "S"), attrs={"l": "S"}, LocalSecondaryIndexes=[{
        "IndexName": "by_l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                           {"AttributeName": "l", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    for i, size in enumerate([5000, 10, 10]):  # 2, 1 and 1 blocks of 4 KB
        ddb.put_item(TableName=t, Item={"pk": S("p"), "sk": S(str(i)), "l": S(f"l{i}"),
                                        "w": S("x" * size), "v": S(str(i))})

    def query(**kw):
        r = ddb.query(TableName=t, IndexName="by_l", KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={":p": S("p"), **kw.pop("values", {})},
                      ReturnConsumedCapacity="INDEXES", **kw)
        cc = r["ConsumedCapacity"]
        return r["Count"], cc["Table"]["CapacityUnits"], cc["LocalSecondaryIndexes"]["by_l"]

    assert query(ProjectionExpression="w") == (3, 2.0, {"CapacityUnits": 0.5})
    assert query(ProjectionExpression="w", Limit=1) == (1, 1.0, {"CapacityUnits": 0.5})
    assert query(Select="ALL_ATTRIBUTES", ConsistentRead=True) == (3, 4.0, {"CapacityUnits": 1.0})
    assert query(ProjectionExpression="sk, l") == (3, 0.0, {"CapacityUnits": 0.5})
    r = ddb.execute_statement(Statement=f'SELECT w FROM "{t}"."by_l" WHERE pk = \'p\'',
                              ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"]["Table"] == {"CapacityUnits": 2.0}


@READ_WRITE_DOCS
def test_batch_get_item_rounds_each_item(ddb, table_h):
    """BatchGetItem: each key as a GetItem of its own, each item rounded up to 4 KB before the
    sum: items of 1504 and 6504 bytes cost 1 + 2 = 3 units (not ceil(8008 / 4 KB) = 2); a
    missing key 1; eventually consistent reads half."""
    ddb.put_item(TableName=table_h, Item={"pk": S("a"), "v": big(1500)})
    ddb.put_item(TableName=table_h, Item={"pk": S("b"), "v": big(6500)})
    keys = [{"pk": S("a")}, {"pk": S("b")}]
    r = ddb.batch_get_item(RequestItems={table_h: {"Keys": keys, "ConsistentRead": True}},
                           ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == [{"TableName": table_h, "CapacityUnits": 3.0}]
    r = ddb.batch_get_item(RequestItems={table_h: {"Keys": keys + [{"pk": S("c")}]}},
                           ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == [{"TableName": table_h, "CapacityUnits": 2.0}]


@READ_WRITE_DOCS
def test_batch_write_item_costs_each_write(ddb, table_h):
    """BatchWriteItem: each put or delete as PutItem/DeleteItem would cost it: a 1504-byte put 2,
    a delete of a missing item 1."""
    r = ddb.batch_write_item(RequestItems={table_h: [
        {"PutRequest": {"Item": {"pk": S("a"), "v": big(1500)}}},
        {"DeleteRequest": {"Key": {"pk": S("gone")}}}]}, ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"] == [{"TableName": table_h, "CapacityUnits": 3.0,
                                      "Table": {"CapacityUnits": 3.0}}]


@TRANSACT_SPLIT
def test_transact_write_items_reports_write_units(ddb, table_h, table_hr):
    """TransactWriteItems: 2 x ceil(size / 1 KB) per action, reported as WriteCapacityUnits too;
    a ConditionCheck costs 2 write units (DynamoDB bills it as a write)."""
    ddb.put_item(TableName=table_hr, Item={"pk": S("c"), "sk": S("x")})
    r = ddb.transact_write_items(ReturnConsumedCapacity="INDEXES", TransactItems=[
        {"Put": {"TableName": table_h, "Item": {"pk": S("a"), "v": big(1500)}}},
        {"ConditionCheck": {"TableName": table_hr, "Key": {"pk": S("c"), "sk": S("x")},
                            "ConditionExpression": "attribute_exists(pk)"}}])
    by_table = {c["TableName"]: c for c in r["ConsumedCapacity"]}
    assert by_table[table_h] == {"TableName": table_h, "CapacityUnits": 4.0,
                                 "WriteCapacityUnits": 4.0,
                                 "Table": {"CapacityUnits": 4.0, "WriteCapacityUnits": 4.0}}
    assert by_table[table_hr]["CapacityUnits"] == 2.0
    assert by_table[table_hr]["WriteCapacityUnits"] == 2.0
    assert "ReadCapacityUnits" not in by_table[table_hr]


@TRANSACT_SPLIT
def test_transact_write_replay_reports_read_units(ddb, table_h):
    """A TransactWriteItems replayed with the same ClientRequestToken reads the items instead of
    writing them: 2 x ceil(size / 4 KB) as ReadCapacityUnits (a 1504-byte item: 4 write units
    first, 2 read units on the replay)."""
    request = dict(ClientRequestToken="cc-replay-token", ReturnConsumedCapacity="TOTAL",
                   TransactItems=[{"Put": {"TableName": table_h,
                                           "Item": {"pk": S("r"), "v": big(1500)}}}])
    first = ddb.transact_write_items(**request)["ConsumedCapacity"][0]
    assert first["WriteCapacityUnits"] == 4.0 and "ReadCapacityUnits" not in first
    replay = ddb.transact_write_items(**request)["ConsumedCapacity"][0]
    assert replay == {"TableName": table_h, "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}


@TRANSACT_SPLIT
def test_transact_get_items_reports_read_units(ddb, table_h):
    """TransactGetItems: 2 x ceil(size / 4 KB) per item, a missing item too, as
    ReadCapacityUnits (and on the Table arm with INDEXES)."""
    ddb.put_item(TableName=table_h, Item={"pk": S("a"), "v": big(5000)})
    r = ddb.transact_get_items(ReturnConsumedCapacity="INDEXES", TransactItems=[
        {"Get": {"TableName": table_h, "Key": {"pk": S("a")}}},
        {"Get": {"TableName": table_h, "Key": {"pk": S("missing")}}}])
    assert r["ConsumedCapacity"] == [{
        "TableName": table_h, "CapacityUnits": 6.0, "ReadCapacityUnits": 6.0,
        "Table": {"CapacityUnits": 6.0, "ReadCapacityUnits": 6.0}}]


@READ_WRITE_DOCS
def test_partiql_statements_cost_what_their_operations_cost(ddb, table_h):
    """PartiQL: a statement costs what the operation it runs costs: INSERT a write of the item,
    a SELECT of one key a GetItem (eventually consistent unless ConsistentRead), and
    ExecuteTransaction transactional units, split like TransactWriteItems'."""
    r = ddb.execute_statement(Statement=f"INSERT INTO \"{table_h}\" VALUE {{'pk': 'p', 'v': '{'x' * 1500}'}}",
                              ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == {"TableName": table_h, "CapacityUnits": 2.0}
    r = ddb.execute_statement(Statement=f"SELECT * FROM \"{table_h}\" WHERE pk = 'p'",
                              ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 0.5
    r = ddb.execute_transaction(ReturnConsumedCapacity="TOTAL", TransactStatements=[
        {"Statement": f"UPDATE \"{table_h}\" SET n = 1 WHERE pk = 'p'"}])
    assert r["ConsumedCapacity"] == [{"TableName": table_h, "CapacityUnits": 4.0,
                                      "WriteCapacityUnits": 4.0}]
