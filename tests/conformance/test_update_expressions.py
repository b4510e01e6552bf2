"""UpdateExpression: SET, REMOVE, ADD, DELETE and their errors."""

import pytest
from botocore.exceptions import ClientError

from ddbtest import err
from provenance import MISSING_ITEM_NOT_CREATED

KEY = {"pk": {"S": "u"}}


@pytest.fixture
def tbl(ddb, table_h):
    ddb.put_item(TableName=table_h, Item={
        "pk": {"S": "u"}, "n": {"N": "10"}, "s": {"S": "str"},
        "l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]},
        "m": {"M": {"x": {"N": "1"}, "y": {"M": {"z": {"S": "deep"}}}}},
        "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"\x01"]},
    })
    return table_h


def upd(ddb, table, expr, values=None, names=None, **kw):
    args = {"TableName": table, "Key": KEY, "UpdateExpression": expr, "ReturnValues": "ALL_NEW"}
    if values:
        args["ExpressionAttributeValues"] = values
    if names:
        args["ExpressionAttributeNames"] = names
    args.update(kw)
    return ddb.update_item(**args).get("Attributes")


def upd_err(ddb, table, expr, values=None, names=None):
    with pytest.raises(ClientError) as e:
        upd(ddb, table, expr, values, names)
    return err(e)


N = lambda v: {"N": str(v)}  # noqa: E731
S = lambda v: {"S": v}  # noqa: E731

INCORRECT_TYPE = ("ValidationException",
                  "An operand in the update expression has an incorrect data type")


# --- SET --------------------------------------------------------------------------------------

def test_set_arithmetic(ddb, tbl):
    a = upd(ddb, tbl, "SET n = n + :a, o = :b - n", {":a": N(5), ":b": N("0.5")})
    assert a["n"] == N(15)
    assert a["o"] == N("-9.5")


def test_set_arithmetic_on_missing_attribute(ddb, tbl):
    assert upd_err(ddb, tbl, "SET q = nothere + :a", {":a": N(1)}) == (
        "ValidationException",
        "The provided expression refers to an attribute that does not exist in the item")


def test_set_arithmetic_on_string(ddb, tbl):
    assert upd_err(ddb, tbl, "SET n = s + :a", {":a": N(1)}) == INCORRECT_TYPE


def test_set_arithmetic_precision(ddb, tbl):
    a = upd(ddb, tbl, "SET big = :x + :y",
            {":x": N("99999999999999999999999999999999999999"), ":y": N("-1")})
    assert a["big"] == N("99999999999999999999999999999999999998")
    a = upd(ddb, tbl, "SET f = :x + :y", {":x": N("0.1"), ":y": N("0.2")})
    assert a["f"] == N("0.3")


def test_if_not_exists(ddb, tbl):
    a = upd(ddb, tbl, "SET n = if_not_exists(n, :z), c = if_not_exists(c, :z)", {":z": N(0)})
    assert a["n"] == N(10)
    assert a["c"] == N(0)
    a = upd(ddb, tbl, "SET cnt = if_not_exists(cnt, :z) + :one", {":z": N(0), ":one": N(1)})
    assert a["cnt"] == N(1)
    a = upd(ddb, tbl, "SET cnt = if_not_exists(cnt, :z) + :one", {":z": N(0), ":one": N(1)})
    assert a["cnt"] == N(2)


def test_list_append(ddb, tbl):
    a = upd(ddb, tbl, "SET l = list_append(l, :t)", {":t": {"L": [S("d")]}})
    assert a["l"] == {"L": [S("a"), S("b"), S("c"), S("d")]}
    a = upd(ddb, tbl, "SET l = list_append(:h, l)", {":h": {"L": [S("z")]}})
    assert a["l"]["L"][0] == S("z")
    a = upd(ddb, tbl, "SET nl = list_append(if_not_exists(nl, :e), :t)",
            {":e": {"L": []}, ":t": {"L": [N(1)]}})
    assert a["nl"] == {"L": [N(1)]}


LIST_APPEND_MISPLACED = (
    "ValidationException", "Invalid UpdateExpression: The function is not allowed to be used "
    "this way in an expression; function: list_append")


@pytest.mark.parametrize("expr", [
    "SET l = list_append(list_append(:a, :b), :c)", "SET l = list_append(:a, (list_append(:b, "
    ":c)))", "SET l = if_not_exists(l, list_append(:a, :b))", "SET l = list_append(:a, :b) + :n",
    # before an undefined value, a reserved word, an unknown function and a path too deep
    "SET l = list_append(list_append(:a, :b), :undefined)",
    "SET l = list_append(list_append(:a, :b), size), x = f(y)",
    "SET l = list_append(:a, list_append(:b, :c)) REMOVE " + ".".join(["d"] * 33),
])
def test_list_append_only_as_the_whole_value(ddb, tbl, expr):
    """list_append nested in any operand is refused before any check but the syntax's
    (DynamoDB Local; ScyllaDB's Alternator tests, run against DynamoDB, for one inside
    another)."""
    values = {k: v for k, v in {":a": {"L": [S("a")]}, ":b": {"L": [S("b")]},
                                ":c": {"L": [S("c")]}, ":n": N(1)}.items() if k in expr}
    assert upd_err(ddb, tbl, expr, values) == LIST_APPEND_MISPLACED


def test_list_append_misplaced_after_syntax_and_fine_in_parentheses(ddb, tbl):
    """A syntax error is told first; if_not_exists inside list_append and a parenthesised
    list_append are fine (DynamoDB Local)."""
    assert upd_err(ddb, tbl, "SET l = list_append(list_append(:a, :b), :c) REMOVE",
                   {":a": {"L": []}, ":b": {"L": []}, ":c": {"L": []}}) == (
        "ValidationException",
        'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "REMOVE"')
    a = upd(ddb, tbl, "SET l = (list_append(if_not_exists(l, :a), :b))",
            {":a": {"L": []}, ":b": {"L": [S("d")]}})
    assert a["l"]["L"] == [S("a"), S("b"), S("c"), S("d")]


def test_list_append_on_non_list(ddb, tbl):
    assert upd_err(ddb, tbl, "SET l = list_append(s, :t)", {":t": {"L": []}}) == INCORRECT_TYPE


def test_set_nested_paths(ddb, tbl):
    a = upd(ddb, tbl, "SET m.y.z = :v, m.newkey = :w, l[1] = :x",
            {":v": S("changed"), ":w": N(7), ":x": S("B")})
    assert a["m"]["M"]["y"] == {"M": {"z": S("changed")}}
    assert a["m"]["M"]["newkey"] == N(7)
    assert a["l"]["L"] == [S("a"), S("B"), S("c")]


def test_set_list_index_past_end_appends(ddb, tbl):
    a = upd(ddb, tbl, "SET l[10] = :v", {":v": S("end")})
    assert a["l"]["L"] == [S("a"), S("b"), S("c"), S("end")]


def test_several_appends_land_in_index_order(ddb, tbl):
    """SETs of indexes past the end append in the order of their indexes, not of the actions
    (the UpdateExpression guide says elements added by one SET are sorted by element number;
    DynamoDB Local, and ScyllaDB's Alternator tests run against DynamoDB); an index inside it is
    replaced in place beside them, and each list is ordered on its own."""
    a = upd(ddb, tbl, "SET l[84] = :a, l[37] = :b, l[1] = :c, l[17] = :d, l[50] = :e",
            {":a": S("84"), ":b": S("37"), ":c": S("1"), ":d": S("17"), ":e": S("50")})
    assert a["l"]["L"] == [S("a"), S("1"), S("c"), S("17"), S("37"), S("50"), S("84")]
    upd(ddb, tbl, "SET m.l2 = :l", {":l": {"L": [S("x")]}})
    a = upd(ddb, tbl, "SET m.l2[9] = :a, l[8] = :b, m.l2[3] = :c",
            {":a": S("9"), ":b": S("8"), ":c": S("3")})
    assert a["m"]["M"]["l2"]["L"] == [S("x"), S("3"), S("9")]
    assert a["l"]["L"][-2:] == [S("84"), S("8")]


def test_set_nested_under_missing_parent(ddb, tbl):
    assert upd_err(ddb, tbl, "SET nothere.x = :v", {":v": N(1)}) == (
        "ValidationException",
        "The document path provided in the update expression is invalid for update")


def test_set_list_index_on_map(ddb, tbl):
    assert upd_err(ddb, tbl, "SET m[0] = :v", {":v": N(1)}) == (
        "ValidationException",
        "The document path provided in the update expression is invalid for update")


def test_set_with_names(ddb, tbl):
    a = upd(ddb, tbl, "SET #st = :v, #m.#x = :v", {":v": S("ok")},
            {"#st": "status", "#m": "m", "#x": "x"})
    assert a["status"] == S("ok")
    assert a["m"]["M"]["x"] == S("ok")


def test_set_attribute_name_with_dot_via_placeholder(ddb, tbl):
    a = upd(ddb, tbl, "SET #d = :v", {":v": N(1)}, {"#d": "a.b"})
    assert a["a.b"] == N(1)
    assert "a" not in a


def test_set_copy_attribute(ddb, tbl):
    a = upd(ddb, tbl, "SET dup = m.y")
    assert a["dup"] == {"M": {"z": S("deep")}}


# --- REMOVE -----------------------------------------------------------------------------------

def test_remove_attributes_and_nested(ddb, tbl):
    a = upd(ddb, tbl, "REMOVE s, m.y, absent")
    assert "s" not in a
    assert a["m"] == {"M": {"x": N(1)}}


def test_remove_list_elements_shifts(ddb, tbl):
    # Indexes name positions in the list as it was before the update (dynalite gets this wrong).
    a = upd(ddb, tbl, "REMOVE l[0], l[2]")
    assert a["l"] == {"L": [S("b")]}
    a = upd(ddb, tbl, "REMOVE l[5]")  # out of range: no-op
    assert a["l"] == {"L": [S("b")]}


@pytest.mark.source(
    "ddb-answer: UPDATED_NEW projects the new item on the updated paths, so after REMOVE l[1] "
    "it holds the element shifted into l[1], and an index past the end gives nothing "
    "(ScyllaDB's Alternator test_update_item_returnvalues_nested, run against DynamoDB); "
    "DynamoDB Local returns the whole list")
def test_updated_new_after_removing_a_list_element(ddb, tbl):
    # l is [a, b, c]: l[1] of the new item is c; l[7] names nothing before or after.
    assert upd(ddb, tbl, "REMOVE l[1], l[7]", ReturnValues="UPDATED_NEW") == {
        "l": {"L": [S("c")]}}
    assert upd(ddb, tbl, "REMOVE l[0]", ReturnValues="UPDATED_OLD") == {"l": {"L": [S("a")]}}


def test_remove_names_what_the_item_held_before(ddb, tbl):
    """An element only a SET appended is not removed: REMOVE names the list as it was before
    the update (DynamoDB Local; found by tests/differential)."""
    a = upd(ddb, tbl, "SET l[9] = :v REMOVE l[3]", {":v": S("new")})
    assert a["l"] == {"L": [S("a"), S("b"), S("c"), S("new")]}
    a = upd(ddb, tbl, "SET l[9] = :v REMOVE l[0]", {":v": S("z")})
    assert a["l"] == {"L": [S("b"), S("c"), S("new"), S("z")]}


# REMOVE of a nested path needs its parent, as SET does: a missing or mistyped parent is an
# invalid path, and the item is left as it was (ScyllaDB's Alternator tests, run against
# DynamoDB: test_nested_attribute_update_bad_path_dot / _array; DynamoDB Local agrees). A missing
# last element (m.absent, l[5]) is simply nothing to remove.
# DELETE from a nested set likewise; and a bad target is reported before an operand that reads
# a missing attribute, whatever the order of the actions (DynamoDB Local's order).
@pytest.mark.parametrize("expr", [
    "REMOVE nothere.x", "REMOVE nothere[0]", "REMOVE m.nothere.z", "REMOVE l[7].x",
    "REMOVE s.x", "REMOVE s[0]", "REMOVE m[0]", "REMOVE l.x", "SET a = :v REMOVE nothere.x",
    "DELETE nothere.x :ss", "DELETE s.x :ss", "SET a = absent, s.x = :v",
    "SET a = absent REMOVE s.x",
])
def test_remove_under_missing_or_mistyped_parent(ddb, tbl, expr):
    before = ddb.get_item(TableName=tbl, Key=KEY, ConsistentRead=True)["Item"]
    values = {k: v for k, v in {":v": N(1), ":ss": {"SS": ["x"]}}.items() if k in expr} or None
    assert upd_err(ddb, tbl, expr, values) == (
        "ValidationException",
        "The document path provided in the update expression is invalid for update")
    assert ddb.get_item(TableName=tbl, Key=KEY, ConsistentRead=True)["Item"] == before


@pytest.mark.source(
    "ddb-answer: REMOVE x.y on a missing item is ignored by DynamoDB (ScyllaDB's Alternator "
    "test_nested_attribute_remove_from_missing_item, run against DynamoDB); DynamoDB Local "
    "refuses the path as it does on an existing item")
def test_remove_nested_on_missing_item_is_a_no_op(ddb, table_h):
    key = {"pk": {"S": "never-nested"}}
    for expr in ("REMOVE x.y", "REMOVE x[0]"):
        ddb.update_item(TableName=table_h, Key=key, UpdateExpression=expr)
    assert "Item" not in ddb.get_item(TableName=table_h, Key=key, ConsistentRead=True)


def test_set_and_remove_together(ddb, tbl):
    a = upd(ddb, tbl, "SET a = :v REMOVE n", {":v": N(1)})
    assert a["a"] == N(1)
    assert "n" not in a


# --- ADD --------------------------------------------------------------------------------------

def test_add_number(ddb, tbl):
    a = upd(ddb, tbl, "ADD n :d, fresh :d", {":d": N(-3)})
    assert a["n"] == N(7)
    assert a["fresh"] == N(-3)


def test_add_to_sets(ddb, tbl):
    a = upd(ddb, tbl, "ADD ss :s, ns :n, newset :s",
            {":s": {"SS": ["b", "c"]}, ":n": {"NS": ["3"]}})
    assert sorted(a["ss"]["SS"]) == ["a", "b", "c"]
    assert sorted(a["ns"]["NS"]) == ["1", "2", "3"]
    assert sorted(a["newset"]["SS"]) == ["b", "c"]


def test_add_wrong_set_type(ddb, tbl):
    assert upd_err(ddb, tbl, "ADD ss :n", {":n": {"NS": ["1"]}}) == INCORRECT_TYPE


def test_add_number_to_string_attribute(ddb, tbl):
    assert upd_err(ddb, tbl, "ADD s :n", {":n": N(1)}) == INCORRECT_TYPE


def test_add_string_operand_refused(ddb, tbl):
    assert upd_err(ddb, tbl, "ADD s :v", {":v": S("x")}) == (
        "ValidationException",
        "Invalid UpdateExpression: Incorrect operand type for operator or function; "
        "operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND")


@pytest.mark.parametrize("expression,reported", [
    ("ADD a :l, b :m", "operator: ADD, operand type: MAP, typeSet: ALLOWED_FOR_ADD_OPERAND"),
    ("ADD b :m, a :l", "operator: ADD, operand type: LIST, typeSet: ALLOWED_FOR_ADD_OPERAND"),
    ("DELETE c :v ADD n :m", "operator: ADD, operand type: MAP, typeSet: ALLOWED_FOR_ADD_OPERAND"),
    ("ADD n :m SET x = :m + :one", "operator or function: +, operand type: M"),
    ("SET x = list_append(:l, :v) DELETE c :v",
     "operator: DELETE, operand type: STRING, typeSet: ALLOWED_FOR_DELETE_OPERAND"),
])
def test_last_wrong_operand_is_reported(ddb, tbl, expression, reported):
    """Of several actions with an operand of the wrong type, the last one's error is reported,
    whatever the sections (DynamoDB Local's answer; 23 cases compared)."""
    values = {":l": {"L": [S("x")]}, ":m": {"M": {"a": S("y")}}, ":v": S("x"), ":one": N(1)}
    used = {k: v for k, v in values.items() if k in expression}
    assert upd_err(ddb, tbl, expression, used) == (
        "ValidationException",
        "Invalid UpdateExpression: Incorrect operand type for operator or function; " + reported)


# --- DELETE -----------------------------------------------------------------------------------

def test_delete_from_set(ddb, tbl):
    a = upd(ddb, tbl, "DELETE ss :s, ns :n", {":s": {"SS": ["a", "zz"]}, ":n": {"NS": ["2"]}})
    assert a["ss"] == {"SS": ["b"]}
    assert a["ns"] == {"NS": ["1"]}


def test_delete_last_elements_removes_attribute(ddb, tbl):
    a = upd(ddb, tbl, "DELETE ss :s", {":s": {"SS": ["a", "b"]}})
    assert "ss" not in a


def test_delete_number_operand_refused(ddb, tbl):
    assert upd_err(ddb, tbl, "DELETE ns :v", {":v": N(1)}) == (
        "ValidationException",
        "Invalid UpdateExpression: Incorrect operand type for operator or function; "
        "operator: DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND")


def test_delete_wrong_set_type(ddb, tbl):
    assert upd_err(ddb, tbl, "DELETE ss :n", {":n": {"NS": ["1"]}}) == INCORRECT_TYPE


# --- structural errors ------------------------------------------------------------------------

def test_overlapping_paths(ddb, tbl):
    assert upd_err(ddb, tbl, "SET a = :v REMOVE a", {":v": N(1)}) == (
        "ValidationException",
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or "
        "rewrite one of these paths; path one: [a], path two: [a]")


def test_overlapping_nested_paths(ddb, tbl):
    assert upd_err(ddb, tbl, "SET m = :v, m.x = :v", {":v": N(1)}) == (
        "ValidationException",
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or "
        "rewrite one of these paths; path one: [m], path two: [m, x]")


def test_conflicting_paths(ddb, tbl):
    code, msg = upd_err(ddb, tbl, "SET m.x = :v, m[0] = :v", {":v": N(1)})
    assert code == "ValidationException"
    assert msg.startswith("Invalid UpdateExpression: Two document paths conflict with each other;")


def test_section_used_twice(ddb, tbl):
    code, msg = upd_err(ddb, tbl, "SET a = :v SET b = :v", {":v": N(1)})
    assert code == "ValidationException"
    assert msg == ('Invalid UpdateExpression: The "SET" section can only be used once in an '
                   'update expression;')


# The condition functions are known to the update grammar but refused there, in DynamoDB
# Local's words (which other emulators checked against DynamoDB use too); any other name is an
# invalid function name.
@pytest.mark.parametrize("expr,function", [
    ("SET a = size(s)", "size"), ("SET a = begins_with(s, :v)", "begins_with"),
    ("SET a = attribute_exists(s)", "attribute_exists"), ("SET a = contains(s, :v)", "contains"),
])
def test_function_not_allowed_in_update(ddb, tbl, expr, function):
    values = {":v": S("s")} if ":v" in expr else None
    assert upd_err(ddb, tbl, expr, values) == (
        "ValidationException",
        "Invalid UpdateExpression: The function is not allowed in an update expression; "
        f"function: {function}")


def test_update_key_attribute_nested_refused(ddb, tbl):
    code, msg = upd_err(ddb, tbl, "SET pk = :v", {":v": S("x")})
    assert code == "ValidationException"
    assert msg == ("One or more parameter values were invalid: Cannot update attribute pk. "
                   "This attribute is part of the key")


def test_empty_update_expression(ddb, tbl):
    assert upd_err(ddb, tbl, "") == (
        "ValidationException", "Invalid UpdateExpression: The expression can not be empty;")


# --- Updates of a missing item -----------------------------------------------------------------
# DynamoDB creates an item from an UpdateItem on a missing key only when the update puts
# something in it: REMOVE and DELETE alone leave nothing to store, and no item is created
# (DynamoDB's answer; the UpdateItem reference says it "creates a new item" when it edits one
# that does not exist, and an item of nothing but its key is not written by these actions).

@pytest.mark.parametrize("expr,values", [
    ("REMOVE a", None),
    ("DELETE s :v", {":v": {"SS": ["x"]}}),
    ("REMOVE a DELETE s :v", {":v": {"SS": ["x"]}}),
])
@MISSING_ITEM_NOT_CREATED
def test_remove_or_delete_on_missing_item_creates_nothing(ddb, table_h, expr, values):
    key = {"pk": {"S": "never-" + expr}}
    args = {"TableName": table_h, "Key": key, "UpdateExpression": expr}
    if values:
        args["ExpressionAttributeValues"] = values
    for rv in ("ALL_NEW", "UPDATED_NEW", "ALL_OLD", "UPDATED_OLD"):
        assert "Attributes" not in ddb.update_item(ReturnValues=rv, **args)
    assert "Item" not in ddb.get_item(TableName=table_h, Key=key, ConsistentRead=True)


@MISSING_ITEM_NOT_CREATED
def test_legacy_delete_on_missing_item_creates_nothing(ddb, table_h):
    key = {"pk": {"S": "never-legacy"}}
    ddb.update_item(TableName=table_h, Key=key,
                    AttributeUpdates={"a": {"Action": "DELETE"},
                                      "s": {"Action": "DELETE", "Value": {"SS": ["x"]}}})
    assert "Item" not in ddb.get_item(TableName=table_h, Key=key, ConsistentRead=True)


def test_set_with_remove_on_missing_item_creates_it(ddb, table_h):
    key = {"pk": {"S": "made-by-set"}}
    a = ddb.update_item(TableName=table_h, Key=key, UpdateExpression="SET n = :v REMOVE a",
                        ExpressionAttributeValues={":v": N(1)}, ReturnValues="ALL_NEW")
    assert a["Attributes"] == {"pk": {"S": "made-by-set"}, "n": N(1)}


@MISSING_ITEM_NOT_CREATED
def test_transaction_remove_on_missing_item_creates_nothing(ddb, table_h):
    key = {"pk": {"S": "never-tx"}}
    ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": table_h, "Key": key, "UpdateExpression": "REMOVE a"}}])
    assert "Item" not in ddb.get_item(TableName=table_h, Key=key, ConsistentRead=True)
