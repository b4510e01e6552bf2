"""PartiQL: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction."""

import pytest
from botocore.exceptions import ClientError

from ddbtest import err
from provenance import CONFORMANCE_SUITE, DDBLOCAL_FAILS_500

MALFORMED = "Statement wasn't well formed, can't be processed"


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def run(ddb, statement, *params, **kw):
    if params:
        kw["Parameters"] = list(params)
    return ddb.execute_statement(Statement=statement, **kw)


def seed(ddb, t):
    for i in range(1, 6):
        run(ddb, f'INSERT INTO "{t}" VALUE {{\'pk\': \'a\', \'sk\': ?, \'n\': ?}}', N(i), N(i * 10))
    run(ddb, f"INSERT INTO \"{t}\" VALUE {{'pk': 'b', 'sk': 1, 'n': 7}}")


def sks(items):
    return [int(i["sk"]["N"]) for i in items]


def test_insert_and_select_by_key(ddb, table_h):
    r = run(ddb, f"INSERT INTO \"{table_h}\" VALUE {{'pk': 'k1', 'm': {{'a': [1, 'x']}}, "
                 f"'s': <<'p', 'q'>>, 'b': true, 'z': null}}")
    assert r["Items"] == []
    items = run(ddb, f'SELECT * FROM "{table_h}" WHERE pk = ?', S("k1"))["Items"]
    assert len(items) == 1
    item = items[0]
    assert item["m"] == {"M": {"a": {"L": [N(1), S("x")]}}}
    assert sorted(item["s"]["SS"]) == ["p", "q"]
    assert item["b"] == {"BOOL": True} and item["z"] == {"NULL": True}
    # The item is a normal item for the rest of the API.
    assert ddb.get_item(TableName=table_h, Key={"pk": S("k1")})["Item"] == item


@pytest.mark.source(
    "docs: ExecuteStatement's errors name DuplicateItemException "
    "(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExecuteStatement.html, "
    "and botocore's model); DynamoDB Local sends DuplicateItem")
def test_insert_duplicate_key(ddb, table_h):
    run(ddb, f"INSERT INTO \"{table_h}\" VALUE {{'pk': 'dup'}}")
    with pytest.raises(ClientError) as e:
        run(ddb, f"INSERT INTO \"{table_h}\" VALUE {{'pk': 'dup', 'x': 1}}")
    assert err(e) == ("DuplicateItemException", "Duplicate primary key exists in table")


@DDBLOCAL_FAILS_500
def test_select_query_scan_and_projection(ddb, table_hn):
    seed(ddb, table_hn)
    t = table_hn
    assert sks(run(ddb, f'SELECT * FROM "{t}" WHERE pk = \'a\'')["Items"]) == [1, 2, 3, 4, 5]
    assert sks(run(ddb, f'SELECT sk FROM "{t}" WHERE pk = \'a\' AND sk BETWEEN 2 AND 3')
               ["Items"]) == [2, 3]
    assert sks(run(ddb, f'SELECT sk FROM "{t}" WHERE pk = \'a\' AND sk > 1 AND sk < 4')
               ["Items"]) == [2, 3]
    assert sks(run(ddb, f'SELECT sk FROM "{t}" WHERE pk = \'a\' ORDER BY sk DESC')
               ["Items"]) == [5, 4, 3, 2, 1]
    got = run(ddb, f'SELECT pk, n FROM "{t}" WHERE n IN [10, 7] OR n > 45')["Items"]
    assert sorted(i["n"]["N"] for i in got) == ["10", "50", "7"]
    assert all(set(i) <= {"pk", "n"} for i in got)
    assert run(ddb, f'SELECT * FROM "{t}" WHERE pk = \'zz\'')["Items"] == []


def test_limit_and_next_token(ddb, table_hn):
    seed(ddb, table_hn)
    seen = []
    kw = {"Limit": 2}
    while True:
        r = run(ddb, f'SELECT sk FROM "{table_hn}" WHERE pk = \'a\'', **kw)
        assert len(r["Items"]) <= 2
        seen += sks(r["Items"])
        if "NextToken" not in r:
            break
        kw["NextToken"] = r["NextToken"]
    assert seen == [1, 2, 3, 4, 5]


@pytest.mark.source(
    "docs: PartiQL UPDATE takes SET and REMOVE clauses and RETURNING "
    "(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-reference.update.html); "
    "DynamoDB Local refuses any REMOVE as 'Statement wasn't well formed'")
def test_update_and_delete(ddb, table_h):
    run(ddb, f"INSERT INTO \"{table_h}\" VALUE {{'pk': 'u', 'n': 1, 'old': 'x'}}")
    r = run(ddb, f'UPDATE "{table_h}" SET n = n + ? REMOVE old WHERE pk = \'u\' '
                 f'RETURNING ALL NEW *', N(2))
    assert r["Items"] == [{"pk": S("u"), "n": N(3)}]
    with pytest.raises(ClientError) as e:
        run(ddb, f'UPDATE "{table_h}" SET n = 1 WHERE pk = \'missing\'')
    assert err(e)[0] == "ConditionalCheckFailedException"
    with pytest.raises(ClientError) as e:
        run(ddb, f'UPDATE "{table_h}" SET n = 1 WHERE pk = \'u\' AND n = 99')
    assert err(e)[0] == "ConditionalCheckFailedException"
    run(ddb, f'DELETE FROM "{table_h}" WHERE pk = \'u\'')
    assert "Item" not in ddb.get_item(TableName=table_h, Key={"pk": S("u")})
    run(ddb, f'DELETE FROM "{table_h}" WHERE pk = \'u\'')  # a missing item: no error


@pytest.mark.source(
    "ddb-answer: RETURNING MODIFIED OLD / NEW * is UPDATED_OLD / UPDATED_NEW "
    "(ql-reference.update.html), which projects the item on the updated path: after SET m.y "
    "just m.y (tests/conformance/test_update_expressions.py, from Alternator's tests against "
    "DynamoDB; dynoxide 0.12's release notes say the same of its RETURNING MODIFIED); DynamoDB "
    "Local returns all of m (differential seed 87)")
def test_update_returning_modified_of_a_nested_member(ddb, table_h):
    run(ddb, f"INSERT INTO \"{table_h}\" VALUE {{'pk': 'nm', 'm': {{'x': 1, 'y': 'old'}}}}")
    r = run(ddb, f'UPDATE "{table_h}" SET m.y = ? WHERE pk = \'nm\' RETURNING MODIFIED OLD *',
            S("mid"))
    assert r["Items"] == [{"m": {"M": {"y": S("old")}}}]
    r = run(ddb, f'UPDATE "{table_h}" SET m.y = ? WHERE pk = \'nm\' RETURNING MODIFIED NEW *',
            S("new"))
    assert r["Items"] == [{"m": {"M": {"y": S("new")}}}]
    r = ddb.batch_execute_statement(Statements=[{
        "Statement": f'UPDATE "{table_h}" SET m.y = ? WHERE pk = \'nm\' RETURNING MODIFIED NEW *',
        "Parameters": [S("last")]}])
    assert r["Responses"][0]["Item"] == {"m": {"M": {"y": S("last")}}}
    assert ddb.get_item(TableName=table_h, Key={"pk": S("nm")})["Item"]["m"] == {
        "M": {"x": N(1), "y": S("last")}}


def test_update_needs_the_whole_key(ddb, table_hr):
    with pytest.raises(ClientError) as e:
        run(ddb, f'UPDATE "{table_hr}" SET n = 1 WHERE pk = \'a\'')
    assert err(e) == ("ValidationException", "Where clause does not contain a mandatory "
                                             "equality on all key attributes")


@pytest.mark.parametrize("statement", [
    "SELEC * FROM t", "SELECT * FROM", "SELECT * FROM \"{t}\" WHERE",
    "SELECT * FROM \"{t}\" WHERE pad = 'x'", "SELECT * FROM \"{t}\"; SELECT 1",
])
def test_malformed_statements(ddb, table_h, statement):
    with pytest.raises(ClientError) as e:
        run(ddb, statement.replace("{t}", table_h))
    code, message = err(e)
    assert code == "ValidationException"
    assert message.startswith(MALFORMED)


def test_parameter_count(ddb, table_h):
    with pytest.raises(ClientError) as e:
        run(ddb, f'SELECT * FROM "{table_h}" WHERE pk = ? AND n = ?', S("a"))
    assert err(e) == ("ValidationException",
                      "Number of parameters in request and statement don't match.")


def test_unknown_table(ddb):
    with pytest.raises(ClientError) as e:
        run(ddb, 'SELECT * FROM "no-such-table-here"')
    assert err(e)[0] == "ResourceNotFoundException"


def test_batch_execute_statement(ddb, table_h):
    r = ddb.batch_execute_statement(Statements=[
        {"Statement": f"INSERT INTO \"{table_h}\" VALUE {{'pk': 'b1', 'n': 1}}"},
        {"Statement": f"INSERT INTO \"{table_h}\" VALUE {{'pk': ?}}", "Parameters": [S("b2")]},
        {"Statement": f"UPDATE \"{table_h}\" SET n = 2 WHERE pk = 'nope'"},
    ])["Responses"]
    assert len(r) == 3
    assert "Error" not in r[0] and "Error" not in r[1]
    assert r[2]["Error"]["Code"] == "ConditionalCheckFailed"
    r = ddb.batch_execute_statement(Statements=[
        {"Statement": f"SELECT n FROM \"{table_h}\" WHERE pk = 'b1'"},
        {"Statement": f"SELECT * FROM \"{table_h}\" WHERE pk = 'zz'"},
    ])["Responses"]
    assert r[0]["Item"] == {"n": N(1)}
    assert "Item" not in r[1] and "Error" not in r[1]


def test_batch_rejects_reads_mixed_with_writes(ddb, table_h):
    with pytest.raises(ClientError) as e:
        ddb.batch_execute_statement(Statements=[
            {"Statement": f"SELECT * FROM \"{table_h}\" WHERE pk = 'a'"},
            {"Statement": f"DELETE FROM \"{table_h}\" WHERE pk = 'a'"},
        ])
    assert err(e)[0] == "ValidationException"


def test_execute_transaction(ddb, table_h):
    run(ddb, f"INSERT INTO \"{table_h}\" VALUE {{'pk': 't1', 'n': 1}}")
    with pytest.raises(ClientError) as e:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f"INSERT INTO \"{table_h}\" VALUE {{'pk': 't2'}}"},
            {"Statement": f"UPDATE \"{table_h}\" SET n = 5 WHERE pk = 'missing'"},
        ])
    assert err(e)[0] == "TransactionCanceledException"
    assert "Item" not in ddb.get_item(TableName=table_h, Key={"pk": S("t2")})
    ddb.execute_transaction(TransactStatements=[
        {"Statement": f"INSERT INTO \"{table_h}\" VALUE {{'pk': 't2'}}"},
        {"Statement": f"UPDATE \"{table_h}\" SET n = n + 1 WHERE pk = 't1'"},
    ], ClientRequestToken="partiql-token-1")
    r = ddb.execute_transaction(TransactStatements=[
        {"Statement": f"SELECT n FROM \"{table_h}\" WHERE pk = 't1'"},
        {"Statement": f"SELECT * FROM \"{table_h}\" WHERE pk = 'none'"},
    ])["Responses"]
    assert r[0]["Item"] == {"n": N(2)}
    assert "Item" not in r[1]


def test_transaction_rejects_reads_mixed_with_writes(ddb, table_h):
    with pytest.raises(ClientError) as e:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f"SELECT * FROM \"{table_h}\" WHERE pk = 'a'"},
            {"Statement": f"DELETE FROM \"{table_h}\" WHERE pk = 'a'"},
        ])
    assert err(e) == ("ValidationException", "ExecuteTransaction API does not support both read "
                                              "and write operations in the same request.")


# An error of the expression machinery is worded without an expression's name, which the
# statement never had (DynamoDB Local, for WHERE conditions, key conditions and SET alike).
@pytest.mark.parametrize("statement,params,message", [
    ('SELECT * FROM "{t}" WHERE pk = ? AND n > ?', [S("a"), {"L": []}],
     "Incorrect operand type for operator or function; operator or function: >, operand type: L"),
    ('SELECT * FROM "{t}" WHERE n < ?', [{"M": {}}],
     "Incorrect operand type for operator or function; operator or function: <, operand type: M"),
    ('SELECT * FROM "{t}" WHERE pk = ? AND sk >= ?', [S("a"), {"BOOL": True}],
     "Incorrect operand type for operator or function; operator or function: >=, operand type: "
     "BOOL"),
    ('SELECT * FROM "{t}" WHERE pk = ? AND sk BETWEEN ? AND ?', [S("a"), N(5), N(1)],
     "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower "
     "bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}"),
    ('UPDATE "{t}" SET n = n + ? WHERE pk = ? AND sk = ?', [S("q"), S("a"), N(1)],
     "Incorrect operand type for operator or function; operator or function: +, operand type: S"),
    ('DELETE FROM "{t}" WHERE pk = ? AND sk = ? AND n < ?', [S("a"), N(1), {"SS": ["x"]}],
     "Incorrect operand type for operator or function; operator or function: <, operand type: SS"),
])
def test_expression_errors_name_no_expression(ddb, table_hn, statement, params, message):
    seed(ddb, table_hn)
    with pytest.raises(ClientError) as e:
        run(ddb, statement.format(t=table_hn), *params)
    assert err(e) == ("ValidationException", message)


# No key holds an empty string or binary, and a SELECT comparing a key attribute with one is
# refused wherever it compares (DynamoDB Local; as in a Query's key condition). A Scan's
# FilterExpression may compare with one: it names no key condition.
@pytest.mark.parametrize("where,params,key,kind", [
    ("pk <> ?", [S("")], "pk", "string"),
    ("sk < ? AND n = ?", [{"B": b""}, N(1)], "sk", "binary"),
    ("n = ? OR begins_with(sk, ?)", [N(1), {"B": b""}], "sk", "binary"),
])
def test_select_comparing_a_key_with_an_empty_value(ddb, tables, where, params, key, kind):
    t = tables.create(range_key=("sk", "B"))
    with pytest.raises(ClientError) as e:
        run(ddb, f'SELECT * FROM "{t}" WHERE {where}', *params)
    assert err(e) == ("ValidationException",
                      "One or more parameter values are not valid. The AttributeValue for a key "
                      f"attribute cannot contain an empty {kind} value. Key: {key}")
    r = ddb.scan(TableName=t, FilterExpression="sk < :e",
                 ExpressionAttributeValues={":e": {"B": b""}})
    assert r["Items"] == []


def test_select_from_gsi_names_only_projected_attributes(ddb, tables):
    """A SELECT of a GSI answers as the index's Query and Scan do: attributes it does not project
    are refused ("Global secondary index <name> does not project [...]", AWS's answer quoted in
    localstack/localstack#478; DynamoDB Local agrees); what it holds is read."""
    t = tables.create(attrs={"g": "S"}, GlobalSecondaryIndexes=[{
        "IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["v"]}}])
    ddb.put_item(TableName=t, Item={"pk": S("a"), "g": S("x"), "v": N(1), "w": S("w")})
    for statement in [f'SELECT w, pk FROM "{t}"."by_g" WHERE g = \'x\'',
                      f'SELECT w.a, v FROM "{t}"."by_g"']:
        with pytest.raises(ClientError) as e:
            run(ddb, statement)
        assert err(e) == ("ValidationException", "One or more parameter values were invalid: "
                          "Global secondary index by_g does not project [w]")
    items = run(ddb, f'SELECT v, pk FROM "{t}"."by_g" WHERE g = \'x\'')["Items"]
    assert items == [{"v": N(1), "pk": S("a")}]
    assert run(ddb, f'SELECT w FROM "{t}" WHERE pk = \'a\'')["Items"] == [{"w": S("w")}]


# Found by tests/differential/diff_fuzz.py's PartiQL statements against DynamoDB Local, which
# answers each of these as below.

def test_exists_needs_a_condition_beside_the_key(ddb, table_hn):
    seed(ddb, table_hn)
    exists = f'EXISTS(SELECT * FROM "{table_hn}" WHERE pk = ? AND sk = ?'
    with pytest.raises(ClientError) as e:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f'UPDATE "{table_hn}" SET n = 0 WHERE pk = ? AND sk = ?',
             "Parameters": [S("a"), N(2)]},
            {"Statement": exists + ")", "Parameters": [S("a"), N(1)]}])
    assert err(e) == ("ValidationException", "Validation failed in TransactStatements[1]: "
                      "EXISTS() must contain a single item read with additional condition")
    r = ddb.execute_transaction(TransactStatements=[
        {"Statement": exists + " AND n = 10)", "Parameters": [S("a"), N(1)]},
        {"Statement": f'UPDATE "{table_hn}" SET n = 0 WHERE pk = ? AND sk = ?',
         "Parameters": [S("a"), N(2)]}])
    assert r["Responses"] == []  # a write transaction answers an empty list
    assert run(ddb, f'SELECT n FROM "{table_hn}" WHERE pk = ? AND sk = ?', S("a"), N(2))[
        "Items"] == [{"n": N(0)}]


def test_delete_with_a_condition_of_a_missing_item_succeeds(ddb, table_hn):
    seed(ddb, table_hn)
    delete = f'DELETE FROM "{table_hn}" WHERE pk = ? AND sk = ? AND n = ?'
    assert run(ddb, delete, S("zz"), N(1), N(10))["Items"] == []
    assert ddb.execute_transaction(TransactStatements=[
        {"Statement": delete, "Parameters": [S("zz"), N(1), N(10)]}])["Responses"] == []
    assert ddb.batch_execute_statement(Statements=[
        {"Statement": delete, "Parameters": [S("zz"), N(1), N(10)]}])["Responses"] == [
        {"TableName": table_hn}]
    with pytest.raises(ClientError) as e:  # an item that is there must meet it
        run(ddb, delete, S("a"), N(1), N(99))
    assert err(e)[0] == "ConditionalCheckFailedException"
    assert run(ddb, delete, S("a"), N(1), N(10))["Items"] == []
    assert run(ddb, f'SELECT * FROM "{table_hn}" WHERE pk = ? AND sk = ?', S("a"), N(1))[
        "Items"] == []


def test_numbers_may_carry_a_plus(ddb, table_hn):
    seed(ddb, table_hn)
    items = run(ddb, f'SELECT sk FROM "{table_hn}" WHERE pk = ? AND n = +20', S("a"))["Items"]
    assert items == [{"sk": N(2)}]
    assert run(ddb, f'SELECT sk FROM "{table_hn}" WHERE pk = ? AND n > +-1', S("b"))["Items"] == [
        {"sk": N(1)}]
    with pytest.raises(ClientError) as e:
        run(ddb, f'SELECT sk FROM "{table_hn}" WHERE pk = ? AND n = +?', S("a"), N(20))
    assert err(e)[0] == "ValidationException"


@pytest.mark.parametrize("statement,value,where", [
    ("UPDATE \"{t}\" SET z = [?] WHERE pk = 'a' AND sk = 1", S("q"), "root.0 at 1:{c}:1"),
    ("UPDATE \"{t}\" SET z = {{'k': [1, ?]}} WHERE pk = 'a' AND sk = 1", {"B": b"q"},
     "root.k.1 at 1:{c}:1"),
    ("INSERT INTO \"{t}\" VALUE {{'pk': 'c', 'sk': 1, 'z': {{'y': ?}}}}", N(1),
     "root.y at 1:{c}:1"),
    ("SELECT * FROM \"{t}\" WHERE pk = 'a' AND n = [?]", {"SS": ["x"]}, "root.0 at 1:{c}:1"),
    # columns count characters, not UTF-8 bytes
    ("UPDATE \"{t}\" SET z = ['é😀', ?] WHERE pk = 'a' AND sk = 1", S("q"), "root.1 at 1:{c}:1"),
])
def test_parameter_inside_a_collection_literal(ddb, table_hn, statement, value, where):
    seed(ddb, table_hn)
    text = statement.format(t=table_hn)
    with pytest.raises(ClientError) as e:
        run(ddb, text, value)
    column = text.index("?") + 1
    assert err(e) == ("ValidationException",
                      "Unsupported data type: Parameter under key " + where.format(c=column))


@pytest.mark.parametrize("projection,message", [
    ("m, m.y", "overlap with each other; must remove or rewrite one of these paths; "
     "path one: [m, y], path two: [m]"),
    ("m.y, a, m", "overlap with each other; must remove or rewrite one of these paths; "
     "path one: [m], path two: [m, y]"),
    ("m, m.y, m.z", "overlap with each other; must remove or rewrite one of these paths; "
     "path one: [m, y], path two: [m]"),
    ("m[0], m.y", "conflict with each other; must remove or rewrite one of these paths; "
     "path one: [m, y], path two: [m, [0]]"),
])
def test_select_of_overlapping_paths(ddb, table_hn, projection, message):
    with pytest.raises(ClientError) as e:
        run(ddb, f'SELECT {projection} FROM "{table_hn}" WHERE pk = ?', S("a"))
    assert err(e) == ("ValidationException", "Two document paths " + message)


def test_write_statement_errors(ddb, table_hn):
    seed(ddb, table_hn)
    cases = [
        ('UPDATE "{t}" SET n = size(m) WHERE pk = ? AND sk = ?', [S("a"), N(1)],
         "The function is not allowed in an update expression; function: size"),
        ('UPDATE "{t}" SET n = 1 WHERE pk = ? AND sk = ?', [{"SS": ["a"]}, N(1)],
         "Key value must be of type S, N, or B. Key name: pk, Key type: SS"),
        ('DELETE FROM "{t}" WHERE pk = ? AND sk = ?', [N(1), {"M": {}}],
         "Key value must be of type S, N, or B. Key name: sk, Key type: M"),
        ('DELETE FROM "{t}" WHERE pk = ? AND sk = ?', [N(1), N(1)],
         "Key attribute's data type should match its data type in table's schema: Key pk"),
    ]
    for statement, params, message in cases:
        with pytest.raises(ClientError) as e:
            run(ddb, statement.format(t=table_hn), *params)
        assert err(e) == ("ValidationException", message)
    with pytest.raises(ClientError) as e:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f'UPDATE "{table_hn}" SET n = 1 WHERE pk = ? AND sk = ? '
                          "RETURNING ALL NEW *", "Parameters": [S("a"), N(1)]}])
    assert err(e) == ("ValidationException", "Validation failed in TransactStatements[0]: "
                      "RETURNING clause is not supported in ExecuteTransaction.")


def test_batch_names_the_table_beside_errors_of_the_item_only(ddb, table_hn):
    """A write's error met once it runs (a failed condition, a duplicate, an empty key, an
    update that cannot apply to the item) comes with the statement's TableName; an error of
    its expressions (a type error the statement shows) and a read's error without it, as
    DynamoDB Local answers."""
    seed(ddb, table_hn)
    t = table_hn
    r = ddb.batch_execute_statement(Statements=[
        {"Statement": f'UPDATE "{t}" SET n = 1 WHERE pk = ? AND sk = ? AND n = 0',
         "Parameters": [S("a"), N(1)]},
        {"Statement": f"INSERT INTO \"{t}\" VALUE {{'pk': 'a', 'sk': 2}}"},
        {"Statement": f'UPDATE "{t}" SET n = absent + 1 WHERE pk = ? AND sk = ?',
         "Parameters": [S("a"), N(3)]},
        {"Statement": f'DELETE FROM "{t}" WHERE pk = ? AND sk = ?', "Parameters": [S(""), N(1)]},
        {"Statement": f'UPDATE "{t}" SET n = [1] - n WHERE pk = ? AND sk = ?',
         "Parameters": [S("a"), N(4)]},
        {"Statement": f'DELETE FROM "{t}" WHERE pk = ? AND sk = ?', "Parameters": [S("a"), N(5)]},
    ])["Responses"]
    assert [x.get("Error", {}).get("Code") for x in r] == [
        "ConditionalCheckFailed", "DuplicateItem", "ValidationError", "ValidationError",
        "ValidationError", None]
    assert [x.get("TableName") for x in r] == [t, t, t, t, None, t]
    r = ddb.batch_execute_statement(Statements=[
        {"Statement": f'SELECT * FROM "{t}" WHERE pk = ? AND sk = ?', "Parameters": [S(""), N(1)]},
        {"Statement": f'SELECT * FROM "{t}" WHERE pk = ? AND sk = ?', "Parameters": [S("a"), N(9)]},
    ])["Responses"]
    assert r[0]["Error"]["Code"] == "ValidationError" and "TableName" not in r[0]
    assert r[1] == {"TableName": t}


def test_bag_literals(ddb, table_hn):
    seed(ddb, table_hn)
    t = table_hn
    run(ddb, f'UPDATE "{t}" SET s = <<+1, -2, +-3>> WHERE pk = ? AND sk = ?', S("a"), N(1))
    got = run(ddb, f'SELECT s FROM "{t}" WHERE pk = ? AND sk = ?', S("a"), N(1))["Items"]
    assert sorted(float(x) for x in got[0]["s"]["NS"]) == [-3, -2, 1]
    for bag in ["<<1, 1.0>>", "<<'a', 'b', 'a'>>"]:
        with pytest.raises(ClientError) as e:
            run(ddb, f'UPDATE "{t}" SET s = {bag} WHERE pk = ? AND sk = ?', S("a"), N(1))
        assert err(e) == ("ValidationException", "Input collection contains duplicates")


def test_transaction_key_of_the_other_type_cancels(ddb, table_hn):
    """A statement whose key value has the other scalar type cancels the transaction with its
    ValidationError reason, reads and writes alike, and every other statement's None (DynamoDB
    Local)."""
    seed(ddb, table_hn)
    t = table_hn
    ok = {"Statement": f'UPDATE "{t}" SET n = 0 WHERE pk = ? AND sk = ?',
          "Parameters": [S("a"), N(1)]}
    for statement, params in [
            (f'DELETE FROM "{t}" WHERE pk = ? AND sk = ?', [S("a"), S("x")]),
            (f'UPDATE "{t}" SET n = 1 WHERE pk = ? AND sk = ?', [N(1), N(2)]),
            (f'EXISTS(SELECT * FROM "{t}" WHERE pk = ? AND sk = ? AND n = 1)', [S("a"), S("x")])]:
        with pytest.raises(ClientError) as e:
            ddb.execute_transaction(TransactStatements=[
                ok, {"Statement": statement, "Parameters": params}])
        assert err(e)[0] == "TransactionCanceledException"
        reasons = e.value.response["CancellationReasons"]
        assert [r["Code"] for r in reasons] == ["None", "ValidationError"]
    with pytest.raises(ClientError) as e:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f'SELECT * FROM "{t}" WHERE pk = ? AND sk = ?',
             "Parameters": [S("a"), N(1)]},
            {"Statement": f'SELECT * FROM "{t}" WHERE pk = ? AND sk = ?',
             "Parameters": [S("a"), S("1")]}])
    assert err(e)[0] == "TransactionCanceledException"
    assert [r["Code"] for r in e.value.response["CancellationReasons"]] == [
        "None", "ValidationError"]
    # An error of its expressions comes first.
    with pytest.raises(ClientError) as e:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f'DELETE FROM "{t}" WHERE pk = ? AND sk = ? AND attribute_type(n, ?)',
             "Parameters": [S("a"), S("x"), N(1)]}])
    assert err(e)[0] == "ValidationException"
    # It cancels where it stands: a RETURNING in it or in a later statement is not looked at.
    for returning in ["", " RETURNING ALL OLD *"]:
        with pytest.raises(ClientError) as e:
            ddb.execute_transaction(TransactStatements=[
                {"Statement": f'DELETE FROM "{t}" WHERE pk = ? AND sk = ?{returning}',
                 "Parameters": [S("a"), S("x")]},
                {"Statement": f'DELETE FROM "{t}" WHERE pk = ? AND sk = ? RETURNING ALL OLD *',
                 "Parameters": [S("a"), N(2)]}])
        assert [r["Code"] for r in e.value.response["CancellationReasons"]] == [
            "ValidationError", "None"]
    # It cancels before anything runs: an INSERT of a present key beside it is not reported.
    with pytest.raises(ClientError) as e:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f"INSERT INTO \"{t}\" VALUE {{'pk': 'a', 'sk': 1}}"},
            {"Statement": f'DELETE FROM "{t}" WHERE pk = ? AND sk = ?',
             "Parameters": [S("a"), S("x")]}])
    assert [r["Code"] for r in e.value.response["CancellationReasons"]] == [
        "None", "ValidationError"]
    assert run(ddb, f'SELECT n FROM "{t}" WHERE pk = ? AND sk = ?', S("a"), N(1))["Items"] == [
        {"n": N(10)}]


@pytest.mark.parametrize("statement,message", [
    ("UPDATE \"{t}\" SET n = 1 WHERE pk = 'a' AND sk = 1 AND n = MISSING",
     "Validation failed in TransactStatements[1]: MISSING must be compared using IS operator"),
    ("UPDATE \"{t}\" SET n = <<1, 1>> WHERE pk = 'a' AND sk = 1",
     "Validation failed in TransactStatements[1]: Input collection contains duplicates"),
    ("DELETE FROM \"{t}\" WHERE pk = 'a' AND sk = [1]",
     "Validation failed in TransactStatements[1]: Key value must be of type S, N, or B. Key name: "
     "sk, Key type: L"),
    # not a syntax error
    ("UPDATE \"{t}\" SET WHERE", None),
])
def test_transaction_names_the_statement_of_its_validation_error(ddb, table_hn, statement,
                                                                  message):
    """As DynamoDB Local words them."""
    with pytest.raises(ClientError) as e:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f"UPDATE \"{table_hn}\" SET n = 0 WHERE pk = 'a' AND sk = 2"},
            {"Statement": statement.format(t=table_hn)}])
    assert err(e)[0] == "ValidationException"
    if message:
        assert err(e)[1] == message
    else:
        assert err(e)[1].startswith(MALFORMED)


# The index qualifier ("table"."index") and batch members, as nubo-db/dynamodb-conformance's
# tests record DynamoDB answering them.

def indexed_table(ddb, tables):
    """pk/sk, a GSI by_g (INCLUDE v) on g and an LSI by_l (KEYS_ONLY) on l; four items."""
    t = tables.create(range_key=("sk", "S"), attrs={"g": "S", "l": "S"},
                      GlobalSecondaryIndexes=[{
                          "IndexName": "by_g", "KeySchema": [{"AttributeName": "g",
                                                              "KeyType": "HASH"}],
                          "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["v"]}}],
                      LocalSecondaryIndexes=[{
                          "IndexName": "by_l",
                          "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                        {"AttributeName": "l", "KeyType": "RANGE"}],
                          "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    for sk, g in [("1", "x"), ("2", "x"), ("3", "y")]:
        run(ddb, f"INSERT INTO \"{t}\" VALUE {{'pk': 'p', 'sk': '{sk}', 'g': '{g}', "
            f"'l': 'l{sk}', 'v': 'v{sk}', 'w': 'w{sk}'}}")
    return t


@CONFORMANCE_SUITE
def test_index_qualifier_refusals(ddb, tables):
    t = indexed_table(ddb, tables)
    cases = [
        # Unlike Query's answer, the index is not named; nor is the table named as one.
        (f'SELECT * FROM "{t}"."nope" WHERE pk = \'p\'', {},
         "The table does not have the specified index"),
        (f'SELECT * FROM "{t}"."{t}" WHERE pk = \'p\'', {},
         "The table does not have the specified index"),
        # An empty component, before the table is looked up.
        (f'SELECT * FROM "{t}"."" WHERE pk = \'p\'', {},
         "Path component cannot be an empty string"),
        ('SELECT * FROM "" WHERE pk = \'p\'', {}, "Path component cannot be an empty string"),
        ('SELECT * FROM ""."by_g" WHERE g = \'x\'', {}, "Path component cannot be an empty string"),
        (f'SELECT * FROM "{t}"."by_g" WHERE g = \'x\'', {"ConsistentRead": True},
         "Strongly consistent read is not supported on Global Secondary Indexes"),
        # UPDATE and DELETE refuse the qualifier once read, even of a missing table; INSERT as it
        # parses it.
        (f'UPDATE "{t}"."by_g" SET v = \'z\' WHERE pk = \'p\' AND sk = \'1\'', {},
         "This operation is not supported on an index"),
        ('DELETE FROM "no_such_table"."by_g" WHERE pk = \'p\' AND sk = \'1\'', {},
         "This operation is not supported on an index"),
        (f'INSERT INTO "{t}"."by_g" VALUE {{\'pk\': \'q\', \'sk\': \'1\'}}', {},
         "FROM clause may only contain a single table name in data manipulation statements"),
    ]
    for statement, kw, message in cases:
        with pytest.raises(ClientError) as e:
            run(ddb, statement, **kw)
        assert err(e) == ("ValidationException", message), statement
    # An LSI reads consistently.
    assert len(run(ddb, f'SELECT pk FROM "{t}"."by_l" WHERE pk = \'p\'',
                   ConsistentRead=True)["Items"]) == 3


@CONFORMANCE_SUITE
def test_keyed_index_read_filters_only_on_what_the_index_projects(ddb, tables):
    t = indexed_table(ddb, tables)
    refused = {
        f'SELECT pk FROM "{t}"."by_g" WHERE g = \'x\' AND w = \'w1\'': ("by_g", "w"),
        f'SELECT pk FROM "{t}"."by_g" WHERE g IN [\'x\', \'y\'] AND w = \'w1\'': ("by_g", "w"),
        f'SELECT pk FROM "{t}"."by_g" WHERE g = \'x\' AND NOT w IS MISSING': ("by_g", "w"),
        f'SELECT pk FROM "{t}"."by_l" WHERE pk = \'p\' AND v = \'v1\'': ("by_l", "v"),
        f'SELECT pk FROM "{t}"."by_l" WHERE pk = \'p\' AND l BETWEEN \'l1\' AND \'l3\' '
        f'AND begins_with(w, \'w\')': ("by_l", "w"),
    }
    for statement, (index, attribute) in refused.items():
        with pytest.raises(ClientError) as e:
            run(ddb, statement)
        assert err(e) == ("ValidationException", "One or more parameter values were invalid: "
                          f"Secondary index {index} does not project one or more filter "
                          f"attributes: [{attribute}]"), statement
    # Unkeyed, the index is scanned, where the attribute is not: nothing matches, or every
    # row matches its negation.
    assert run(ddb, f'SELECT pk FROM "{t}"."by_g" WHERE w = \'w1\'')["Items"] == []
    assert len(run(ddb, f'SELECT pk FROM "{t}"."by_g" WHERE NOT w = \'w1\'')["Items"]) == 3
    assert run(ddb, f'SELECT pk FROM "{t}"."by_l" WHERE v = \'v1\'')["Items"] == []
    # Inside an OR branch the index key is no key condition.
    items = run(ddb, f'SELECT sk FROM "{t}"."by_g" WHERE (g = \'x\' AND w = \'w1\') '
                     f'OR (g = \'y\')')["Items"]
    assert items == [{"sk": S("3")}]
    # What the index projects may be filtered on.
    items = run(ddb, f'SELECT sk FROM "{t}"."by_g" WHERE g = \'x\' AND v = \'v2\'')["Items"]
    assert items == [{"sk": S("2")}]


def test_transaction_index_read_names_its_statement(ddb, tables):
    """DynamoDB in nubo-db/dynamodb-conformance; DynamoDB Local agrees."""
    t = indexed_table(ddb, tables)
    with pytest.raises(ClientError) as e:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f'SELECT * FROM "{t}" WHERE pk = \'p\' AND sk = \'1\''},
            {"Statement": f'SELECT * FROM "{t}"."by_g" WHERE g = \'x\''}])
    assert err(e) == ("ValidationException", "Validation failed in TransactStatements[1]: Reads "
                      "on indices are not supported within transactions.")


@CONFORMANCE_SUITE
def test_batch_members_answer_as_dynamodb(ddb, tables):
    t = indexed_table(ddb, tables)
    r = ddb.batch_execute_statement(Statements=[
        {"Statement": f'SLECT * FROM "{t}" WHERE pk = \'p\' AND sk = \'1\''},
        {"Statement": f'SELECT * FROM "{t}" WHERE v = \'v1\''},
        {"Statement": f'SELECT * FROM "{t}"."by_g" WHERE pk = \'p\' AND sk = \'1\' AND g = \'x\''},
        {"Statement": f'SELECT sk FROM "{t}" WHERE pk = \'p\' AND sk = \'1\''}])["Responses"]
    assert r[0]["Error"] == {"Code": "ValidationError", "Message": f"{MALFORMED}: Expected data "
                             "manipulation"}
    for i in (1, 2):
        assert r[i]["Error"] == {"Code": "ValidationError", "Message": "Select statements within "
                                 "BatchExecuteStatement must specify the primary key in the where "
                                 "clause."}
    assert r[3]["Item"] == {"sk": S("1")}
    # The same parse error when the statement runs alone.
    with pytest.raises(ClientError) as e:
        run(ddb, f'SLECT * FROM "{t}"')
    assert err(e) == ("ValidationException", f"{MALFORMED}: Expected data manipulation")


@pytest.mark.parametrize("statement,params,message", [
    ("SELECT pk FROM \"{t}\" WHERE pk = ? AND v < ?", [S("x"), {"BOOL": True}],
     "<, operand type: BOOL"),
    ("SELECT pk FROM \"{t}\" WHERE v BETWEEN ? AND ?", [{"NULL": True}, S("x")],
     "BETWEEN, operand type: NULL"),
    ("UPDATE \"{t}\" SET a = 1 WHERE pk = ? AND v >= ?", [S("x"), {"L": []}],
     ">=, operand type: L"),
])
def test_ordering_without_order_is_refused_before_the_table_is_looked_up(ddb, table_h, statement,
                                                                       params, message):
    """DynamoDB in nubo-db/dynamodb-conformance's validation ordering; DynamoDB Local agrees."""
    for t in (table_h, "no_such_table"):
        with pytest.raises(ClientError) as e:
            run(ddb, statement.replace("{t}", t), *params)
        assert err(e) == ("ValidationException", "Incorrect operand type for operator or "
                          "function; operator or function: " + message)


@CONFORMANCE_SUITE
def test_batch_reports_capacity_per_table(ddb, table_h, table_hn):
    """One ConsumedCapacity entry per table, in the order the statements first name them, each
    rating its members by their own ConsistentRead: an eventually consistent read of a small
    item half a unit, a strongly consistent one a unit (DynamoDB in
    nubo-db/dynamodb-conformance)."""
    ddb.put_item(TableName=table_h, Item={"pk": S("a")})
    statements = [
        {"Statement": f'SELECT * FROM "{table_hn}" WHERE pk = \'x\' AND sk = 1'},
        {"Statement": f'SELECT * FROM "{table_h}" WHERE pk = \'a\''},
        {"Statement": f'SELECT * FROM "{table_h}" WHERE pk = \'b\'', "ConsistentRead": True},
        {"Statement": f'SLECT * FROM "{table_h}"'},
    ]
    r = ddb.batch_execute_statement(Statements=statements, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == [{"TableName": table_hn, "CapacityUnits": 0.5},
                                     {"TableName": table_h, "CapacityUnits": 1.5}]
    r = ddb.batch_execute_statement(Statements=statements, ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"][1] == {"TableName": table_h, "CapacityUnits": 1.5,
                                        "Table": {"CapacityUnits": 1.5}}
    for kw in [{}, {"ReturnConsumedCapacity": "NONE"}]:
        assert "ConsumedCapacity" not in ddb.batch_execute_statement(Statements=statements, **kw)


@CONFORMANCE_SUITE
def test_next_token_belongs_to_the_index_it_was_read_from(ddb, tables):
    """A token of one index's read, replayed against another index (here of the same key
    attributes) or the table, is refused; against its own index it reads on."""
    t = tables.create(range_key=("sk", "S"), attrs={"g": "S"}, GlobalSecondaryIndexes=[
        {"IndexName": name, "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "ALL"}} for name in ("by_g", "by_g_too")])
    for sk in ("1", "2"):
        ddb.put_item(TableName=t, Item={"pk": S("p"), "sk": S(sk), "g": S("x")})
    first = run(ddb, f'SELECT sk FROM "{t}"."by_g" WHERE g = \'x\'', Limit=1)
    token = first["NextToken"]
    for statement in [f'SELECT sk FROM "{t}"."by_g_too" WHERE g = \'x\'',
                      f'SELECT sk FROM "{t}" WHERE pk = \'p\'']:
        with pytest.raises(ClientError) as e:
            run(ddb, statement, NextToken=token)
        assert err(e) == ("ValidationException", "The provided starting key is invalid")
    rest = run(ddb, f'SELECT sk FROM "{t}"."by_g" WHERE g = \'x\'', NextToken=token)
    assert sorted(i["sk"]["S"] for i in first["Items"] + rest["Items"]) == ["1", "2"]


def test_next_token_of_an_index_keyed_on_an_attribute_named_like_its_marker(ddb, tables):
    """The token's index marker is a string; a key attribute named "$index" is read as a key."""
    t = tables.create(attrs={"$index": "S"}, GlobalSecondaryIndexes=[{
        "IndexName": "by_marker", "KeySchema": [{"AttributeName": "$index", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"}}])
    for pk in ("a", "b"):
        ddb.put_item(TableName=t, Item={"pk": S(pk), "$index": S("x")})
    statement = f'SELECT pk FROM "{t}"."by_marker" WHERE "$index" = \'x\''
    first = run(ddb, statement, Limit=1)
    rest = run(ddb, statement, NextToken=first["NextToken"])
    assert sorted(i["pk"]["S"] for i in first["Items"] + rest["Items"]) == ["a", "b"]
