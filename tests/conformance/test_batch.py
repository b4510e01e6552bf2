"""BatchGetItem and BatchWriteItem."""

import pytest
from botocore.exceptions import ClientError

from ddbtest import err, unique_name
from provenance import CONSTRAINT_WORDING, KEY_WORDING, MISSING_TABLE


def N(v):
    return {"N": str(v)}


def S(v):
    return {"S": v}


def puts(n, prefix="k"):
    return [{"PutRequest": {"Item": {"pk": S("%s%d" % (prefix, i)), "v": {"N": str(i)}}}}
            for i in range(n)]


def test_batch_write_and_get_round_trip(ddb, table_h, table_hr):
    r = ddb.batch_write_item(RequestItems={
        table_h: puts(25),
    })
    assert r["UnprocessedItems"] == {}
    r = ddb.batch_write_item(RequestItems={
        table_hr: [{"PutRequest": {"Item": {"pk": S("a"), "sk": S("1"), "x": S("y")}}}],
        table_h: [{"DeleteRequest": {"Key": {"pk": S("k0")}}}],
    })
    assert r["UnprocessedItems"] == {}
    r = ddb.batch_get_item(RequestItems={
        table_h: {"Keys": [{"pk": S("k%d" % i)} for i in range(5)] + [{"pk": S("absent")}],
                  "ConsistentRead": True},
        table_hr: {"Keys": [{"pk": S("a"), "sk": S("1")}]},
    })
    assert r["UnprocessedKeys"] == {}
    got = sorted(int(i["v"]["N"]) for i in r["Responses"][table_h])
    assert got == [1, 2, 3, 4]  # k0 deleted, absent skipped
    assert r["Responses"][table_hr] == [{"pk": S("a"), "sk": S("1"), "x": S("y")}]


def test_batch_get_projection(ddb, table_h):
    ddb.batch_write_item(RequestItems={table_h: puts(3)})
    r = ddb.batch_get_item(RequestItems={table_h: {
        "Keys": [{"pk": S("k1")}, {"pk": S("k2")}], "ProjectionExpression": "#v",
        "ExpressionAttributeNames": {"#v": "v"}}})
    assert sorted(r["Responses"][table_h], key=lambda i: i["v"]["N"]) == [
        {"v": {"N": "1"}}, {"v": {"N": "2"}}]


def test_batch_get_all_missing_gives_empty_list(ddb, table_h):
    r = ddb.batch_get_item(RequestItems={table_h: {"Keys": [{"pk": S("none")}]}})
    assert r["Responses"] == {table_h: []}
    assert r["UnprocessedKeys"] == {}


@CONSTRAINT_WORDING
def test_batch_write_over_25_refused(ddb, table_h):
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={table_h: puts(26)})
    code, msg = err(e)
    assert code == "ValidationException"
    # The message echoes the whole request map (Java rendering); only the constraint is stable.
    assert msg.startswith("1 validation error detected: Value ")
    assert "at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: " \
           "[Member must have length less than or equal to 25" in msg
    assert ddb.scan(TableName=table_h)["Count"] == 0


def test_batch_write_over_25_across_tables_refused(ddb, table_h, table_hr):
    items = {table_h: puts(13),
             table_hr: [{"PutRequest": {"Item": {"pk": S("a"), "sk": S(str(i))}}}
                        for i in range(13)]}
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems=items)
    code, msg = err(e)
    assert code == "ValidationException"
    # DynamoDB: "Too many items requested for the BatchWriteItem call" (unverified wording).
    assert "25" in msg or "Too many items" in msg


def test_batch_get_over_100_refused(ddb, table_h):
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={table_h: {"Keys": [{"pk": S(str(i))}
                                                             for i in range(101)]}})
    code, msg = err(e)
    assert code == "ValidationException"
    # Either the generic constraint text (".. less than or equal to 100") or "Too many items
    # requested for the BatchGetItem call"; both mention the limit or the phrase.
    assert "100" in msg or msg == "Too many items requested for the BatchGetItem call"


def test_batch_get_over_100_across_tables(ddb, table_h, table_hr):
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={
            table_h: {"Keys": [{"pk": S(str(i))} for i in range(60)]},
            table_hr: {"Keys": [{"pk": S(str(i)), "sk": S("x")} for i in range(41)]}})
    assert err(e) == ("ValidationException",
                      "Too many items requested for the BatchGetItem call")


def test_batch_get_exactly_100(ddb, table_h):
    ddb.batch_write_item(RequestItems={table_h: puts(25)})
    r = ddb.batch_get_item(RequestItems={table_h: {"Keys": [{"pk": S("k%d" % i)}
                                                            for i in range(100)]}})
    assert len(r["Responses"][table_h]) == 25
    assert r["UnprocessedKeys"] == {}


def test_batch_get_duplicate_keys(ddb, table_h):
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={table_h: {"Keys": [{"pk": S("a")}, {"pk": S("a")}]}})
    assert err(e) == ("ValidationException", "Provided list of item keys contains duplicates")


def test_batch_get_duplicates_are_found_before_keys_are_checked(ddb, table_h):
    # A repeated key is that error even when the key itself is invalid (DynamoDB Local and
    # dynalite check the list before the keys).
    for key in ({"pk": S("")}, {"pk": S("a"), "extra": S("x")}, {"pk": N(1)}):
        with pytest.raises(ClientError) as e:
            ddb.batch_get_item(RequestItems={table_h: {"Keys": [key, key]}})
        assert err(e) == ("ValidationException", "Provided list of item keys contains duplicates")


def test_batch_get_number_keys_are_duplicates_only_as_written(ddb, tables):
    """'1' and '1.0' name one item, yet BatchGetItem does not refuse them as duplicates: DynamoDB
    compares the keys as written there (ScyllaDB's Alternator number tests, run against DynamoDB
    in 2026, scylladb/scylladb#29501), and DynamoDB Local reads the item once for each key.
    BatchWriteItem refuses the pair (the test below)."""
    t = tables.create(hash_key=("id", "N"), range_key=("n", "N"))
    ddb.put_item(TableName=t, Item={"id": N(1), "n": N(100), "v": S("x")})
    r = ddb.batch_get_item(RequestItems={t: {"Keys": [
        {"id": N(1), "n": {"N": "100"}}, {"n": {"N": "1E2"}, "id": N(1)},
        {"id": {"N": "1.0"}, "n": {"N": "100.00"}}, {"id": N(1), "n": {"N": "-0"}}]}})
    assert r["Responses"][t] == [{"id": N(1), "n": N(100), "v": S("x")}] * 3
    assert r["UnprocessedKeys"] == {}
    # The same text twice, in any attribute order, is a duplicate.
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={t: {"Keys": [
            {"id": N(1), "n": {"N": "1E2"}}, {"n": {"N": "1E2"}, "id": N(1)}]}})
    assert err(e) == ("ValidationException", "Provided list of item keys contains duplicates")


def test_batch_write_duplicate_keys(ddb, table_h):
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={table_h: [
            {"PutRequest": {"Item": {"pk": S("a"), "v": S("1")}}},
            {"DeleteRequest": {"Key": {"pk": S("a")}}}]})
    assert err(e) == ("ValidationException", "Provided list of item keys contains duplicates")
    assert ddb.scan(TableName=table_h)["Count"] == 0


def test_batch_write_number_keys_duplicate_after_normalisation(ddb, tables):
    t = tables.create(hash_key=("id", "N"))
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={t: [
            {"PutRequest": {"Item": {"id": {"N": "1"}}}},
            {"PutRequest": {"Item": {"id": {"N": "1.0"}}}}]})
    assert err(e) == ("ValidationException", "Provided list of item keys contains duplicates")


@MISSING_TABLE
def test_batch_write_missing_table(ddb, table_h):
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={
            table_h: puts(1), unique_name("missing"): puts(1)})
    assert err(e) == ("ResourceNotFoundException", "Requested resource not found")
    assert ddb.scan(TableName=table_h)["Count"] == 0


@MISSING_TABLE
def test_batch_get_missing_table(ddb):
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={unique_name("missing"): {"Keys": [{"pk": S("a")}]}})
    assert err(e) == ("ResourceNotFoundException", "Requested resource not found")


@KEY_WORDING
def test_batch_write_validates_items(ddb, table_h):
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={table_h: [
            {"PutRequest": {"Item": {"pk": S("ok")}}},
            {"PutRequest": {"Item": {"other": S("x")}}}]})
    # Unlike PutItem, BatchWriteItem reports a missing or mistyped key this way.
    assert err(e) == ("ValidationException", "The provided key element does not match the schema")
    assert ddb.scan(TableName=table_h)["Count"] == 0


@KEY_WORDING
def test_batch_get_key_mismatch(ddb, table_h):
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={table_h: {"Keys": [{"pk": {"N": "1"}}]}})
    assert err(e) == ("ValidationException", "The provided key element does not match the schema")


@pytest.mark.source(
    "ddb-answer: DynamoDB was captured in 2026 answering BatchGetItem {} with 'The requestItems "
    "parameter is required for BatchGetItem' in 16 of 19 regions (nubo-db/dynamodb-conformance "
    "captures/2026-08-12-batch-empty-and-nesting.json); DynamoDB Local says 'BatchWriteItem "
    "cannot have a null or no requests set'")
def test_batch_empty_request_items(ddb_nv):
    with pytest.raises(ClientError) as e:
        ddb_nv.batch_get_item(RequestItems={})
    assert err(e) == ("ValidationException",
                      "The requestItems parameter is required for BatchGetItem")
    # BatchWriteItem's answer is not captured; DynamoDB's wording for BatchGetItem is assumed.
    with pytest.raises(ClientError) as e:
        ddb_nv.batch_write_item(RequestItems={})
    assert err(e) == ("ValidationException",
                      "The requestItems parameter is required for BatchWriteItem")


def test_batch_consumed_capacity(ddb, table_h):
    r = ddb.batch_write_item(RequestItems={table_h: puts(3)}, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == [{"TableName": table_h, "CapacityUnits": 3.0}]
    r = ddb.batch_get_item(RequestItems={table_h: {"Keys": [{"pk": S("k0")}, {"pk": S("k1")}],
                                                   "ConsistentRead": True}},
                           ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == [{"TableName": table_h, "CapacityUnits": 2.0}]


def test_batch_get_uses_expressions_for_every_table_or_none(ddb, table_h, table_hr):
    """One table's ProjectionExpression beside another's AttributesToGet is refused as within one
    table, before any key is checked (DynamoDB Local agrees)."""
    message = ("Can not use both expression and non-expression parameters in the same request: "
               "Non-expression parameters: {AttributesToGet} Expression parameters: "
               "{ProjectionExpression}")
    for hr_key in [{"pk": S("b"), "sk": S("c")}, {"pk": N(1)}]:
        with pytest.raises(ClientError) as e:
            ddb.batch_get_item(RequestItems={
                table_h: {"Keys": [{"pk": S("a")}], "ProjectionExpression": "pk"},
                table_hr: {"Keys": [hr_key], "AttributesToGet": ["pk"]}})
        assert err(e) == ("ValidationException", message)
    r = ddb.batch_get_item(RequestItems={
        table_h: {"Keys": [{"pk": S("a")}], "AttributesToGet": ["pk"]},
        table_hr: {"Keys": [{"pk": S("b"), "sk": S("c")}], "AttributesToGet": ["pk"]}})
    assert r["Responses"] == {table_h: [], table_hr: []}
