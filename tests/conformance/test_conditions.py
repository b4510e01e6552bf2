"""ConditionExpression: comparators, functions, logic and type rules."""

import re

import pytest
from botocore.exceptions import ClientError

from ddbtest import err

KEY = {"pk": {"S": "c"}}


def S(v):
    return {"S": v}


ITEM = {
    "pk": {"S": "c"}, "n": {"N": "5"}, "s": {"S": "hello"}, "b": {"B": b"\x01\x02\x03"},
    "t": {"BOOL": True}, "nul": {"NULL": True}, "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2"]}, "l": {"L": [{"N": "1"}, {"S": "x"}]},
    "m": {"M": {"k": {"S": "v"}, "in": {"M": {"deep": {"N": "3"}}}}}, "e": {"S": ""},
}
VALUES = {
    ":1": {"N": "1"}, ":5": {"N": "5"}, ":6": {"N": "6"}, ":7": {"N": "7"}, ":9": {"N": "9"},
    ":2": {"N": "2"}, ":3": {"N": "3"}, ":s5": {"S": "5"}, ":help": {"S": "help"},
    ":he": {"S": "he"}, ":ell": {"S": "ell"}, ":a": {"S": "a"}, ":z": {"S": "z"},
    ":x": {"S": "x"}, ":v": {"S": "v"}, ":tS": {"S": "S"}, ":tSS": {"S": "SS"},
    ":tN": {"S": "N"}, ":tM": {"S": "M"}, ":tL": {"S": "L"}, ":tNULL": {"S": "NULL"},
    ":tBOOL": {"S": "BOOL"}, ":true": {"BOOL": True}, ":null": {"NULL": True},
    ":b": {"B": b"\x01\x02\x03"}, ":b1": {"B": b"\x01"}, ":empty": {"S": ""},
    ":setab": {"SS": ["a", "b"]}, ":setba": {"SS": ["b", "a"]},
    ":list": {"L": [{"N": "1"}, {"S": "x"}]},
}


@pytest.fixture(scope="module")
def ctable(ddb):
    # One table for the whole module: conditions never modify the item.
    from ddbtest import TableFactory
    factory = TableFactory(ddb)
    name = factory.create()
    ddb.put_item(TableName=name, Item=ITEM)
    yield name
    factory.cleanup()


def holds(ddb, table, expr, key=KEY):
    """True when the condition holds on the stored item (a conditional no-op write)."""
    used = {k: VALUES[k] for k in re.findall(r":[A-Za-z0-9_]+", expr)}
    kw = {"ExpressionAttributeValues": used} if used else {}
    try:
        ddb.update_item(TableName=table, Key=key, ConditionExpression=expr, **kw)
        return True
    except ClientError as e:
        if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise


CASES = [
    ("n = :5", True), ("n <> :5", False), ("n < :6", True), ("n <= :5", True),
    ("n > :5", False), ("n >= :5", True), ("n > :1", True), ("s < :help", True),
    ("s > :help", False), ("b = :b", True), ("b > :b1", True), ("t = :true", True),
    ("nul = :null", True), ("ss = :setba", True), ("l = :list", True), ("e = :empty", True),
    # Different types are never equal, and ordering across types is false, not an error.
    ("n = :s5", False), ("n <> :s5", True), ("n < :s5", False), ("n >= :s5", False),
    ("n BETWEEN :1 AND :9", True), ("n BETWEEN :6 AND :9", False), ("n BETWEEN :5 AND :5", True),
    ("n IN (:1, :5, :9)", True), ("n IN (:1, :9)", False), ("n IN (:s5)", False),
    ("attribute_exists(n)", True), ("attribute_exists(zz)", False),
    ("attribute_not_exists(zz)", True), ("attribute_not_exists(s)", False),
    ("attribute_exists(m.k)", True), ("attribute_exists(m.nokey)", False),
    ("attribute_exists(l[1])", True), ("attribute_exists(l[2])", False),
    ("attribute_type(s, :tS)", True), ("attribute_type(ss, :tSS)", True),
    ("attribute_type(n, :tS)", False), ("attribute_type(m, :tM)", True),
    ("attribute_type(l, :tL)", True), ("attribute_type(nul, :tNULL)", True),
    ("attribute_type(t, :tBOOL)", True), ("attribute_type(n, :tN)", True),
    ("attribute_type(zz, :tS)", False),
    ("begins_with(s, :he)", True), ("begins_with(s, :ell)", False),
    ("begins_with(n, :he)", False), ("begins_with(b, :b1)", True),
    ("contains(s, :ell)", True), ("contains(s, :z)", False), ("contains(ss, :a)", True),
    ("contains(ss, :z)", False), ("contains(l, :x)", True), ("contains(l, :1)", True),
    ("contains(ns, :2)", True), ("contains(ns, :s5)", False), ("contains(b, :b1)", True),
    ("size(s) = :5", True), ("size(ss) = :2", True), ("size(l) = :2", True),
    ("size(m) = :2", True), ("size(b) = :3", True), ("size(s) > :3", True),
    ("m.k = :v", True), ("m.#in.deep = :3", True), ("l[1] = :x", True), ("l[0] = :1", True),
    ("n < s", False), ("s = e", False),
    ("NOT n = :5", False), ("NOT (n = :6)", True), ("n = :5 AND s = :help", False),
    ("n = :5 OR s = :help", True), ("n = :6 OR n = :5 AND n = :7", False),
    ("n = :5 OR n = :6 AND n = :7", True), ("(n = :5 OR n = :6) AND n = :7", False),
    ("NOT attribute_exists(zz) AND (contains(ss, :a) OR n = :1)", True),
    ("zz = :5", False), ("zz <> :5", True),
]


@pytest.mark.parametrize("expr,expected", CASES)
def test_condition(ddb, ctable, expr, expected):
    if "#in" in expr:
        try:
            ddb.update_item(TableName=ctable, Key=KEY, ConditionExpression=expr,
                            ExpressionAttributeNames={"#in": "in"},
                            ExpressionAttributeValues={":3": VALUES[":3"]})
            got = True
        except ClientError as e:
            assert e.response["Error"]["Code"] == "ConditionalCheckFailedException"
            got = False
    else:
        got = holds(ddb, ctable, expr)
    assert got is expected


def test_condition_on_missing_item(ddb, ctable):
    missing = {"pk": {"S": "absent"}}
    assert holds(ddb, ctable, "attribute_not_exists(pk)", missing) is True
    ddb.delete_item(TableName=ctable, Key=missing)
    assert holds(ddb, ctable, "n = :5", missing) is False
    assert holds(ddb, ctable, "NOT n = :5", missing) is True
    ddb.delete_item(TableName=ctable, Key=missing)


def cond_err(ddb, table, expr, values=None, names=None):
    kw = {}
    if values:
        kw["ExpressionAttributeValues"] = values
    if names:
        kw["ExpressionAttributeNames"] = names
    with pytest.raises(ClientError) as e:
        ddb.update_item(TableName=table, Key=KEY, ConditionExpression=expr, **kw)
    return err(e)


def test_between_bounds_reversed(ddb, ctable):
    code, msg = cond_err(ddb, ctable, "n BETWEEN :9 AND :1", {":9": VALUES[":9"],
                                                              ":1": VALUES[":1"]})
    assert code == "ValidationException"
    assert msg.startswith("Invalid ConditionExpression: The BETWEEN operator requires upper "
                          "bound to be greater than or equal to lower bound;")


def test_between_bounds_different_types(ddb, ctable):
    code, msg = cond_err(ddb, ctable, "n BETWEEN :1 AND :s5", {":1": VALUES[":1"],
                                                               ":s5": VALUES[":s5"]})
    assert code == "ValidationException"
    assert msg.startswith("Invalid ConditionExpression: The BETWEEN operator requires same data "
                          "type for lower and upper bounds;")


def test_invalid_attribute_type_name(ddb, ctable):
    code, msg = cond_err(ddb, ctable, "attribute_type(s, :t)", {":t": {"S": "XX"}})
    assert code == "ValidationException"
    assert msg.startswith("Invalid ConditionExpression: Invalid attribute type name found; "
                          "type: XX")


def test_function_requires_path(ddb, ctable):
    code, msg = cond_err(ddb, ctable, "attribute_exists(:v)", {":v": VALUES[":v"]})
    assert code == "ValidationException"
    assert msg == ("Invalid ConditionExpression: Operator or function requires a document path; "
                   "operator or function: attribute_exists")


def test_unknown_function(ddb, ctable):
    code, msg = cond_err(ddb, ctable, "foo(s)")
    assert (code, msg) == ("ValidationException",
                           "Invalid ConditionExpression: Invalid function name; function: foo")


def test_wrong_number_of_operands(ddb, ctable):
    code, msg = cond_err(ddb, ctable, "begins_with(s)")
    assert (code, msg) == ("ValidationException",
                           "Invalid ConditionExpression: Incorrect number of operands for operator "
                           "or function; operator or function: begins_with, number of operands: 1")


def test_size_of_a_string_counts_utf16_code_units(ddb, tables):
    """size() of a string counts UTF-16 code units, as DynamoDB (a Java service) does: "é𝄞" is 3
    (checked against DynamoDB in ExtendDB/extenddb#60), not its 6 UTF-8 bytes; DynamoDB Local
    agrees."""
    t = tables.create()
    ddb.put_item(TableName=t, Item={"pk": S("u"), "s": S("é𝄞"), "h": S("hé")})
    for expr, size, holds_ in [("size(s) = :n", "3", True), ("size(s) = :n", "6", False),
                               ("size(h) = :n", "2", True)]:
        r = ddb.scan(TableName=t, FilterExpression=expr,
                     ExpressionAttributeValues={":n": {"N": size}})
        assert (r["Count"] == 1) == holds_, (expr, size)


def test_size_needs_comparison(ddb, ctable):
    code, msg = cond_err(ddb, ctable, "size(s)")
    assert code == "ValidationException"
    assert msg.startswith("Invalid ConditionExpression:")


def test_operands_must_be_distinct(ddb, ctable):
    assert cond_err(ddb, ctable, "n = n") == (
        "ValidationException",
        "Invalid ConditionExpression: The first operand must be distinct from the remaining "
        "operands for this operator or function; operator: =, first operand: [n]")


def test_redundant_parentheses(ddb, ctable):
    code, msg = cond_err(ddb, ctable, "((n = :5))", {":5": VALUES[":5"]})
    assert (code, msg) == ("ValidationException",
                           "Invalid ConditionExpression: The expression has redundant "
                           "parentheses;")


def test_in_with_too_many_values(ddb, ctable):
    values = {":v%d" % i: {"N": str(i)} for i in range(101)}
    code, msg = cond_err(ddb, ctable, "n IN (%s)" % ", ".join(values), values)
    assert code == "ValidationException"
    assert msg.startswith("Invalid ConditionExpression:")  # "...The IN operator ... 100" unverified


# Only S, N and B are ordered: an ordering comparison or BETWEEN with a constant of another type
# is refused before any item is read (DynamoDB Local and the emulators that check against DynamoDB
# agree), while = and <> compare any types and a path of another type just compares false.
@pytest.mark.parametrize("expr,values,op,typ", [
    ("n < :m", {":m": {"M": {}}}, "<", "M"),
    ("n >= :l", {":l": {"L": []}}, ">=", "L"),
    (":t > n", {":t": {"BOOL": True}}, ">", "BOOL"),
    ("size(l) <= :ss", {":ss": {"SS": ["a"]}}, "<=", "SS"),
    ("n BETWEEN :null AND :5", {":null": {"NULL": True}, ":5": {"N": "5"}}, "BETWEEN", "NULL"),
    ("n BETWEEN :5 AND :ns", {":ns": {"NS": ["1"]}, ":5": {"N": "5"}}, "BETWEEN", "NS"),
    (":bs BETWEEN n AND s", {":bs": {"BS": [b"x"]}}, "BETWEEN", "BS"),
    # reported whatever the other operand of AND is, and before a BETWEEN's bound checks
    ("attribute_exists(zz) OR n < :m", {":m": {"M": {}}}, "<", "M"),
    ("n BETWEEN :s AND :l", {":s": {"S": "a"}, ":l": {"L": []}}, "BETWEEN", "L"),
])
def test_ordering_needs_an_ordered_constant(ddb, ctable, expr, values, op, typ):
    assert cond_err(ddb, ctable, expr, values) == (
        "ValidationException",
        "Invalid ConditionExpression: Incorrect operand type for operator or function; "
        f"operator or function: {op}, operand type: {typ}")


def test_equality_and_in_take_any_constant(ddb, ctable):
    assert holds(ddb, ctable, "m <> :setab") is True
    assert holds(ddb, ctable, "ss = :setab") is True
    assert holds(ddb, ctable, "ss IN (:list, :setba)") is True
    assert holds(ddb, ctable, "l > n") is False  # a path's type is the item's: false, no error


@pytest.mark.parametrize("expr,op,first", [
    ("n BETWEEN n AND :9", "BETWEEN", "[n]"),
    ("m.k BETWEEN :1 AND m.k", "BETWEEN", "[m, k]"),
    ("n IN (:1, n)", "IN", "[n]"),
])
def test_between_and_in_operands_must_be_distinct(ddb, ctable, expr, op, first):
    used = {k: VALUES[k] for k in re.findall(r":[0-9]+", expr)}
    assert cond_err(ddb, ctable, expr, used) == (
        "ValidationException",
        "Invalid ConditionExpression: The first operand must be distinct from the remaining "
        f"operands for this operator or function; operator: {op}, first operand: {first}")
