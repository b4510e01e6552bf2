"""Query: key conditions, order, paging, filters, Select, projections, indexes, 1 MB pages."""

import pytest
from botocore.exceptions import ClientError

from ddbtest import err
from provenance import QUERY_WORDING


def N(v):
    return {"N": str(v)}


def S(v):
    return {"S": v}


@pytest.fixture
def qtable(ddb, tables):
    """pk S / sk N, with a GSI (g, sk) KEYS_ONLY, a GSI (g2) INCLUDE and an LSI on `l`."""
    t = tables.create(
        range_key=("sk", "N"), attrs={"g": "S", "l": "S"},
        GlobalSecondaryIndexes=[
            {"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                                {"AttributeName": "sk", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
            {"IndexName": "by_g_incl", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["v"]}},
        ],
        LocalSecondaryIndexes=[
            {"IndexName": "by_l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                {"AttributeName": "l", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "ALL"}},
        ])
    for i in range(1, 11):
        item = {"pk": S("p"), "sk": N(i), "v": N(i * 10), "other": S("o%d" % i),
                "l": S("%02d" % (11 - i))}
        if i % 2 == 0:
            item["g"] = S("even")
        ddb.put_item(TableName=t, Item=item)
    ddb.put_item(TableName=t, Item={"pk": S("q"), "sk": N(1)})
    return t


def q(ddb, table, cond, values, **kw):
    return ddb.query(TableName=table, KeyConditionExpression=cond,
                     ExpressionAttributeValues=values, **kw)


def sks(r):
    return [int(i["sk"]["N"]) for i in r["Items"]]


def test_hash_only_condition(ddb, qtable):
    r = q(ddb, qtable, "pk = :p", {":p": S("p")})
    assert sks(r) == list(range(1, 11))
    assert r["Count"] == 10 and r["ScannedCount"] == 10
    assert "LastEvaluatedKey" not in r


@pytest.mark.parametrize("cond,values,expected", [
    ("sk = :a", {":a": N(3)}, [3]),
    ("sk < :a", {":a": N(3)}, [1, 2]),
    ("sk <= :a", {":a": N(3)}, [1, 2, 3]),
    ("sk > :a", {":a": N(8)}, [9, 10]),
    ("sk >= :a", {":a": N(8)}, [8, 9, 10]),
    ("sk BETWEEN :a AND :b", {":a": N(4), ":b": N(6)}, [4, 5, 6]),
    ("sk BETWEEN :a AND :b", {":a": N("4.5"), ":b": N(5)}, [5]),
])
def test_range_conditions(ddb, qtable, cond, values, expected):
    values = dict(values, **{":p": S("p")})
    assert sks(q(ddb, qtable, "pk = :p AND " + cond, values)) == expected


def test_key_condition_reversed_operands_and_parens(ddb, qtable):
    r = q(ddb, qtable, "(:a > sk) AND (pk = :p)", {":p": S("p"), ":a": N(3)})
    assert sks(r) == [1, 2]


def test_begins_with_on_string_range(ddb, table_hr):
    for sk in ("a#1", "a#2", "b#1", "a", "ab"):
        ddb.put_item(TableName=table_hr, Item={"pk": S("x"), "sk": S(sk)})
    r = q(ddb, table_hr, "pk = :p AND begins_with(sk, :pre)", {":p": S("x"), ":pre": S("a#")})
    assert [i["sk"]["S"] for i in r["Items"]] == ["a#1", "a#2"]


def test_string_range_byte_order(ddb, table_hr):
    for sk in ("b", "B", "a", "aa", "é", "Z", "1"):
        ddb.put_item(TableName=table_hr, Item={"pk": S("o"), "sk": S(sk)})
    r = q(ddb, table_hr, "pk = :p", {":p": S("o")})
    got = [i["sk"]["S"] for i in r["Items"]]
    assert got == sorted(got, key=lambda s: s.encode("utf-8"))


def test_number_range_numeric_order(ddb, table_hn):
    for n in ("-10", "-1.5", "0", "2", "10", "1e3", "0.001"):
        ddb.put_item(TableName=table_hn, Item={"pk": S("n"), "sk": N(n)})
    r = q(ddb, table_hn, "pk = :p", {":p": S("n")})
    assert [float(i["sk"]["N"]) for i in r["Items"]] == [-10, -1.5, 0, 0.001, 2, 10, 1000]


def test_scan_index_forward_false(ddb, qtable):
    r = q(ddb, qtable, "pk = :p", {":p": S("p")}, ScanIndexForward=False)
    assert sks(r) == list(range(10, 0, -1))


def test_limit_and_last_evaluated_key(ddb, qtable):
    r = q(ddb, qtable, "pk = :p", {":p": S("p")}, Limit=3)
    assert sks(r) == [1, 2, 3]
    assert r["LastEvaluatedKey"] == {"pk": S("p"), "sk": N(3)}
    r = q(ddb, qtable, "pk = :p", {":p": S("p")}, Limit=3,
          ExclusiveStartKey=r["LastEvaluatedKey"])
    assert sks(r) == [4, 5, 6]


def test_limit_exactly_reached_still_returns_lek(ddb, qtable):
    # DynamoDB stops at Limit without looking further, so it returns a LastEvaluatedKey even
    # when no items follow; the next page is then empty and has none.
    r = q(ddb, qtable, "pk = :p", {":p": S("p")}, Limit=10)
    assert r["Count"] == 10
    assert r["LastEvaluatedKey"] == {"pk": S("p"), "sk": N(10)}
    r = q(ddb, qtable, "pk = :p", {":p": S("p")}, ExclusiveStartKey=r["LastEvaluatedKey"])
    assert r["Count"] == 0 and r["Items"] == []
    assert "LastEvaluatedKey" not in r


def test_paging_collects_everything_in_order(ddb, qtable):
    seen, start = [], None
    for _ in range(20):
        kw = {"Limit": 4, "ScanIndexForward": False}
        if start:
            kw["ExclusiveStartKey"] = start
        r = q(ddb, qtable, "pk = :p", {":p": S("p")}, **kw)
        seen += sks(r)
        start = r.get("LastEvaluatedKey")
        if not start:
            break
    assert seen == list(range(10, 0, -1))


def test_paginator(ddb, qtable):
    pages = ddb.get_paginator("query").paginate(
        TableName=qtable, KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": S("p")}, PaginationConfig={"PageSize": 3})
    assert [int(i["sk"]["N"]) for p in pages for i in p["Items"]] == list(range(1, 11))


def test_filter_count_and_scanned_count(ddb, qtable):
    r = q(ddb, qtable, "pk = :p", {":p": S("p"), ":m": N(50)}, FilterExpression="v > :m")
    assert sks(r) == [6, 7, 8, 9, 10]
    assert r["Count"] == 5 and r["ScannedCount"] == 10


def test_filter_applies_after_limit(ddb, qtable):
    r = q(ddb, qtable, "pk = :p", {":p": S("p"), ":m": N(30)}, FilterExpression="v > :m",
          Limit=4)
    assert sks(r) == [4]
    assert r["Count"] == 1 and r["ScannedCount"] == 4
    assert r["LastEvaluatedKey"] == {"pk": S("p"), "sk": N(4)}


def test_filter_on_key_attribute_refused(ddb, qtable):
    with pytest.raises(ClientError) as e:
        q(ddb, qtable, "pk = :p", {":p": S("p"), ":x": N(1)}, FilterExpression="sk > :x")
    assert err(e) == ("ValidationException", "Filter Expression can only contain non-primary "
                      "key attributes: Primary key attribute: sk")


def test_select_count(ddb, qtable):
    r = q(ddb, qtable, "pk = :p", {":p": S("p")}, Select="COUNT")
    assert r["Count"] == 10
    assert "Items" not in r


def test_projection_expression(ddb, qtable):
    r = q(ddb, qtable, "pk = :p AND sk = :s", {":p": S("p"), ":s": N(2)},
          ProjectionExpression="v, #o, nothere", ExpressionAttributeNames={"#o": "other"})
    assert r["Items"] == [{"v": N(20), "other": S("o2")}]


def test_projection_nested_paths(ddb, table_h):
    ddb.put_item(TableName=table_h, Item={"pk": S("n"), "m": {"M": {"a": N(1), "b": N(2)}},
                                          "l": {"L": [S("x"), S("y"), S("z")]}})
    r = ddb.get_item(TableName=table_h, Key={"pk": S("n")}, ProjectionExpression="m.b, l[2], l[0]")
    assert r["Item"] == {"m": {"M": {"b": N(2)}}, "l": {"L": [S("x"), S("z")]}}


def test_select_specific_attributes(ddb, qtable):
    r = q(ddb, qtable, "pk = :p AND sk = :s", {":p": S("p"), ":s": N(1)},
          Select="SPECIFIC_ATTRIBUTES", ProjectionExpression="v")
    assert r["Items"] == [{"v": N(10)}]


def test_all_projected_attributes_needs_index(ddb, qtable):
    with pytest.raises(ClientError) as e:
        q(ddb, qtable, "pk = :p", {":p": S("p")}, Select="ALL_PROJECTED_ATTRIBUTES")
    assert err(e) == ("ValidationException", "ALL_PROJECTED_ATTRIBUTES can be used only when "
                      "Querying using an IndexName")


def test_gsi_keys_only_query(ddb, qtable):
    r = q(ddb, qtable, "g = :g", {":g": S("even")}, IndexName="by_g")
    assert sks(r) == [2, 4, 6, 8, 10]
    assert r["Items"][0] == {"pk": S("p"), "sk": N(2), "g": S("even")}
    r = q(ddb, qtable, "g = :g AND sk > :x", {":g": S("even"), ":x": N(5)}, IndexName="by_g",
          Select="ALL_PROJECTED_ATTRIBUTES", ScanIndexForward=False)
    assert sks(r) == [10, 8, 6]


def test_gsi_include_projection(ddb, qtable):
    r = q(ddb, qtable, "g = :g", {":g": S("even")}, IndexName="by_g_incl")
    assert r["Count"] == 5
    for item in r["Items"]:
        assert set(item) == {"pk", "sk", "g", "v"}


def test_gsi_paging_lek_has_index_and_table_keys(ddb, qtable):
    r = q(ddb, qtable, "g = :g", {":g": S("even")}, IndexName="by_g", Limit=2)
    assert r["LastEvaluatedKey"] == {"g": S("even"), "sk": N(4), "pk": S("p")}
    r = q(ddb, qtable, "g = :g", {":g": S("even")}, IndexName="by_g", Limit=2,
          ExclusiveStartKey=r["LastEvaluatedKey"])
    assert sks(r) == [6, 8]


def test_gsi_reflects_updates_and_deletes(ddb, qtable):
    key = {"pk": S("p"), "sk": N(2)}
    ddb.update_item(TableName=qtable, Key=key, UpdateExpression="REMOVE g")
    ddb.delete_item(TableName=qtable, Key={"pk": S("p"), "sk": N(4)})
    ddb.update_item(TableName=qtable, Key={"pk": S("p"), "sk": N(3)},
                    UpdateExpression="SET g = :g", ExpressionAttributeValues={":g": S("even")})
    r = q(ddb, qtable, "g = :g", {":g": S("even")}, IndexName="by_g")
    assert sks(r) == [3, 6, 8, 10]


def test_lsi_query_orders_by_index_key(ddb, qtable):
    r = q(ddb, qtable, "pk = :p AND l < :x", {":p": S("p"), ":x": S("04")}, IndexName="by_l")
    assert [i["l"]["S"] for i in r["Items"]] == ["01", "02", "03"]
    assert sks(r) == [10, 9, 8]
    assert set(r["Items"][0]) == {"pk", "sk", "l", "v", "other", "g"}
    r = q(ddb, qtable, "pk = :p", {":p": S("p")}, IndexName="by_l", ConsistentRead=True,
          Limit=1)
    assert r["LastEvaluatedKey"] == {"pk": S("p"), "sk": N(10), "l": S("01")}


def test_consistent_read_on_gsi_refused(ddb, qtable):
    with pytest.raises(ClientError) as e:
        q(ddb, qtable, "g = :g", {":g": S("even")}, IndexName="by_g", ConsistentRead=True)
    assert err(e) == ("ValidationException",
                      "Consistent reads are not supported on global secondary indexes")


def test_unknown_index(ddb, qtable):
    with pytest.raises(ClientError) as e:
        q(ddb, qtable, "g = :g", {":g": S("x")}, IndexName="nope")
    assert err(e) == ("ValidationException", "The table does not have the specified index: nope")


def not_projected(index, names):
    return ("ValidationException", "One or more parameter values were invalid: Global secondary "
            "index %s does not project [%s]" % (index, ", ".join(names)))


def test_gsi_read_names_only_projected_attributes(ddb, qtable):
    """A GSI cannot fetch from the table, so a projection naming attributes it lacks is refused,
    the missing top-level names listed (AWS's answer quoted in localstack/localstack#478;
    DynamoDB Local agrees, for Query and Scan, ProjectionExpression and AttributesToGet)."""
    for index, projection, missing in [("by_g", "#o, v, pk", ["other", "v"]),
                                       ("by_g_incl", "v.x, #o[0], #s", ["other"])]:
        names = {"#o": "other", "#s": "sk"} if "#s" in projection else {"#o": "other"}
        with pytest.raises(ClientError) as e:
            q(ddb, qtable, "g = :g", {":g": S("even")}, IndexName=index,
              ProjectionExpression=projection, ExpressionAttributeNames=names)
        assert err(e) == not_projected(index, missing)
        with pytest.raises(ClientError) as e:
            ddb.scan(TableName=qtable, IndexName=index, ProjectionExpression=projection,
                     ExpressionAttributeNames=names)
        assert err(e) == not_projected(index, missing)
    # Listed as a Java HashSet orders them (by hash bucket), not by name; of two names in one
    # bucket ("Ab" and "q2"), the one given later first.
    for projection, listed in [("l, v", ["v", "l"]), ("Ab, q2, zz", ["zz", "q2", "Ab"]),
                               ("q2, Ab, zz", ["zz", "Ab", "q2"])]:
        with pytest.raises(ClientError) as e:
            ddb.scan(TableName=qtable, IndexName="by_g", ProjectionExpression=projection)
        assert err(e) == not_projected("by_g", listed)
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=qtable, IndexName="by_g", AttributesToGet=["v", "g"],
                  KeyConditions={"g": {"AttributeValueList": [S("even")],
                                       "ComparisonOperator": "EQ"}})
    assert err(e) == not_projected("by_g", ["v"])
    # What the index holds is readable.
    r = q(ddb, qtable, "g = :g", {":g": S("even")}, IndexName="by_g_incl",
          ProjectionExpression="v, pk")
    assert sorted(int(i["v"]["N"]) for i in r["Items"]) == [20, 40, 60, 80, 100]
    assert all(set(i) == {"pk", "v"} for i in r["Items"])


def sparse_index_table(ddb, tables):
    t = tables.create(
        range_key=("sk", "N"), attrs={"g": "S", "l": "S"},
        GlobalSecondaryIndexes=[{"IndexName": "by_g", "KeySchema": [
            {"AttributeName": "g", "KeyType": "HASH"}], "Projection": {
            "ProjectionType": "INCLUDE", "NonKeyAttributes": ["v"]}}],
        LocalSecondaryIndexes=[{"IndexName": "by_l", "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    ddb.put_item(TableName=t, Item={"pk": S("p"), "sk": N(1), "g": S("x"), "l": S("a"),
                                    "v": N(1), "w": S("hidden"), "z": S("z")})
    return t


def test_index_query_filters_only_on_projected_attributes(ddb, tables):
    """A Query of an index that does not project everything filters only on what it holds, for
    a GSI and an LSI alike (DynamoDB Local's answer; no DynamoDB answer is known): "Secondary
    index <name> does not project one or more filter attributes: [...]"."""
    t = sparse_index_table(ddb, tables)
    for index, cond, values in [("by_g", "g = :k", {":k": S("x")}),
                                ("by_l", "pk = :k", {":k": S("p")})]:
        with pytest.raises(ClientError) as e:
            q(ddb, t, cond, dict(values, **{":w": S("hidden")}), IndexName=index,
              FilterExpression="z = :w OR attribute_exists(w.y)")
        assert err(e) == ("ValidationException", "One or more parameter values were invalid: "
                          "Secondary index %s does not project one or more filter attributes: "
                          "[w, z]" % index)
    r = q(ddb, t, "g = :k", {":k": S("x"), ":v": N(1)}, IndexName="by_g",
          FilterExpression="v = :v")
    assert r["Count"] == 1


@pytest.mark.source(
    "docs: Scan reads every item of the index it names (Scan API reference, IndexName), and the "
    "filter applies to the items read; DynamoDB Local evaluates a GSI Scan's filter on the "
    "table's item")
def test_index_scan_filters_the_index_items(ddb, tables):
    """A Scan of an index is not refused for a filter on an attribute the index lacks: the
    filter reads the index's items, so nothing matches."""
    t = sparse_index_table(ddb, tables)
    for kw in [{"FilterExpression": "w = :w", "ExpressionAttributeValues": {":w": S("hidden")}},
               {"ScanFilter": {"w": {"AttributeValueList": [S("hidden")],
                                     "ComparisonOperator": "EQ"}}}]:
        r = ddb.scan(TableName=t, IndexName="by_g", **kw)
        assert (r["Count"], r["ScannedCount"]) == (0, 1)


@QUERY_WORDING
def test_key_condition_missing_hash(ddb, qtable):
    with pytest.raises(ClientError) as e:
        q(ddb, qtable, "sk = :s", {":s": N(1)})
    assert err(e) == ("ValidationException", "Query condition missed key schema element: pk")


@QUERY_WORDING
def test_key_condition_on_non_key(ddb, qtable):
    with pytest.raises(ClientError) as e:
        q(ddb, qtable, "pk = :p AND v = :v", {":p": S("p"), ":v": N(1)})
    code, msg = err(e)
    assert code == "ValidationException"
    # DynamoDB: "Query condition missed key schema element: sk" (dynalite agrees).
    assert msg == "Query condition missed key schema element: sk"


def test_key_condition_hash_inequality(ddb, qtable):
    with pytest.raises(ClientError) as e:
        q(ddb, qtable, "pk > :p", {":p": S("p")})
    assert err(e) == ("ValidationException", "Query key condition not supported")


def test_key_condition_or_refused(ddb, qtable):
    with pytest.raises(ClientError) as e:
        q(ddb, qtable, "pk = :p OR sk = :s", {":p": S("p"), ":s": N(1)})
    assert err(e) == ("ValidationException",
                      "Invalid operator used in KeyConditionExpression: OR")


def test_key_condition_type_mismatch(ddb, qtable):
    with pytest.raises(ClientError) as e:
        q(ddb, qtable, "pk = :p", {":p": N(1)})
    assert err(e) == ("ValidationException", "One or more parameter values were invalid: "
                      "Condition parameter type does not match schema type")


@QUERY_WORDING
def test_exclusive_start_key_wrong_shape(ddb, qtable):
    with pytest.raises(ClientError) as e:
        q(ddb, qtable, "pk = :p", {":p": S("p")}, ExclusiveStartKey={"pk": S("p")})
    code, msg = err(e)
    assert code == "ValidationException"
    # Tail after the prefix differs between versions (": The provided key element does not
    # match the schema" in DynamoDB); the prefix is stable.
    assert msg.startswith("The provided starting key is invalid")


def test_one_megabyte_page_limit(ddb, table_hn):
    blob = "x" * (100 * 1024)
    for i in range(14):
        ddb.put_item(TableName=table_hn, Item={"pk": S("big"), "sk": N(i), "d": S(blob)})
    r = q(ddb, table_hn, "pk = :p", {":p": S("big")})
    assert 9 <= r["Count"] < 14
    assert "LastEvaluatedKey" in r
    rest = q(ddb, table_hn, "pk = :p", {":p": S("big")},
             ExclusiveStartKey=r["LastEvaluatedKey"])
    assert r["Count"] + rest["Count"] == 14
    assert sks(r) + sks(rest) == list(range(14))


def test_query_consumed_capacity(ddb, qtable):
    r = q(ddb, qtable, "pk = :p", {":p": S("p")}, ReturnConsumedCapacity="TOTAL",
          ConsistentRead=True)
    # Ten small items add up to well under 4 KB: one strongly consistent read unit.
    assert r["ConsumedCapacity"] == {"TableName": qtable, "CapacityUnits": 1.0}
    r = q(ddb, qtable, "pk = :p", {":p": S("p")}, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 0.5


# A key attribute never holds an empty string, and DynamoDB refuses to look for one in a key
# condition (`sk > ""` is not an open range): GetItem's message for a table's key (DynamoDB's
# answer quoted by its users), PutItem's for an index's key (DynamoDB Local agrees with both).
@pytest.mark.parametrize("cond,values,index,key", [
    ("pk = :e", {":e": S("")}, None, "pk"),
    ("pk = :p AND l > :e", {":p": S("p"), ":e": S("")}, "by_l", "l"),
    ("pk = :p AND begins_with(l, :e)", {":p": S("p"), ":e": S("")}, "by_l", "l"),
    ("pk = :p AND l BETWEEN :e AND :a", {":p": S("p"), ":a": S("a"), ":e": S("")}, "by_l", "l"),
    ("g = :e", {":e": S("")}, "by_g", "g"),
])
def test_empty_string_in_key_condition_is_refused(ddb, qtable, cond, values, index, key):
    kw = {"IndexName": index} if index else {}
    with pytest.raises(ClientError) as e:
        q(ddb, qtable, cond, values, **kw)
    if index:
        expected = ("One or more parameter values are not valid. A value specified for a "
                    "secondary index key is not supported. The AttributeValue for a key attribute "
                    f"cannot contain an empty string value. IndexName: {index}, IndexKey: {key}")
    else:
        expected = ("One or more parameter values are not valid. The AttributeValue for a key "
                    f"attribute cannot contain an empty string value. Key: {key}")
    assert err(e) == ("ValidationException", expected)


def test_empty_key_value_is_checked_after_the_expressions(ddb, qtable):
    with pytest.raises(ClientError) as e:
        q(ddb, qtable, "pk = :e", {":e": S("")}, ExpressionAttributeNames={"#x": "x"})
    assert err(e) == ("ValidationException",
                      "Value provided in ExpressionAttributeNames unused in expressions: "
                      "keys: {#x}")


@pytest.mark.parametrize("cond,values,op,typ", [
    ("pk = :p AND sk < :m", {":p": S("p"), ":m": {"M": {}}}, "<", "M"),
    ("pk = :p AND sk >= :t", {":p": S("p"), ":t": {"BOOL": True}}, ">=", "BOOL"),
])
def test_key_condition_ordering_needs_an_ordered_constant(ddb, qtable, cond, values, op, typ):
    with pytest.raises(ClientError) as e:
        q(ddb, qtable, cond, values)
    assert err(e) == ("ValidationException",
                      "Invalid KeyConditionExpression: Incorrect operand type for operator or "
                      f"function; operator or function: {op}, operand type: {typ}")


@pytest.mark.source(
    "docs: CONTAINS on a Binary attribute looks for a subsequence of its bytes (Condition's "
    "ComparisonOperator, DynamoDB API reference); DynamoDB Local's ScanFilter decodes the bytes "
    "as UTF-8, so there 0xB4 is found in 0xC9 (both U+FFFD), while its contains() is not fooled "
    "(found by tests/differential)")
def test_contains_compares_binary_bytes(ddb, tables):
    t = tables.create()
    for i, b in enumerate([b"\xc9", b"A\xc9", b"AB"]):
        ddb.put_item(TableName=t, Item={"pk": S(str(i)), "b": {"B": b}})
    for operand, found in [(b"\xb4", []), (b"\xef\xbf\xbd", []), (b"\xc9", [b"A\xc9", b"\xc9"]),
                           (b"B", [b"AB"])]:
        legacy = ddb.scan(TableName=t, ScanFilter={"b": {"ComparisonOperator": "CONTAINS",
                                                         "AttributeValueList": [{"B": operand}]}})
        expression = ddb.scan(TableName=t, FilterExpression="contains(b, :v)",
                              ExpressionAttributeValues={":v": {"B": operand}})
        for r in (legacy, expression):
            assert sorted(item["b"]["B"] for item in r["Items"]) == found, operand
