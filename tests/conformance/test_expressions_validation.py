"""Expression validation shared by every operation: names, values, reserved words, syntax."""

import pytest
from botocore.exceptions import ClientError

from ddbtest import err
from provenance import QUERY_WORDING, RESERVED_SIZE

KEY = {"pk": {"S": "e"}}


def update_err(ddb, table, **kw):
    with pytest.raises(ClientError) as e:
        ddb.update_item(TableName=table, Key=KEY, **kw)
    return err(e)


def test_reserved_word_in_update(ddb, table_h):
    assert update_err(ddb, table_h, UpdateExpression="SET name = :v",
                      ExpressionAttributeValues={":v": {"S": "x"}}) == (
        "ValidationException",
        "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name")


@RESERVED_SIZE
@pytest.mark.parametrize("word", ["status", "data", "size", "year", "comment", "timestamp"])
def test_reserved_words_in_condition(ddb, table_h, word):
    code, msg = update_err(ddb, table_h, ConditionExpression="attribute_exists(%s)" % word)
    assert code == "ValidationException"
    assert msg == ("Invalid ConditionExpression: Attribute name is a reserved keyword; "
                   "reserved keyword: %s" % word)


def test_reserved_word_in_projection(ddb, table_h):
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=table_h, Key=KEY, ProjectionExpression="pk, date")
    assert err(e) == ("ValidationException", "Invalid ProjectionExpression: Attribute name is a "
                      "reserved keyword; reserved keyword: date")


def test_reserved_word_via_placeholder_is_fine(ddb, table_h):
    ddb.update_item(TableName=table_h, Key=KEY, UpdateExpression="SET #n = :v",
                    ExpressionAttributeNames={"#n": "name"},
                    ExpressionAttributeValues={":v": {"S": "x"}})


def test_undefined_value(ddb, table_h):
    assert update_err(ddb, table_h, UpdateExpression="SET a = :nope") == (
        "ValidationException",
        "Invalid UpdateExpression: An expression attribute value used in expression is not "
        "defined; attribute value: :nope")


def test_undefined_name(ddb, table_h):
    assert update_err(ddb, table_h, ConditionExpression="attribute_exists(#nope)") == (
        "ValidationException",
        "Invalid ConditionExpression: An expression attribute name used in the document path is "
        "not defined; attribute name: #nope")


def test_unused_value(ddb, table_h):
    assert update_err(ddb, table_h, UpdateExpression="SET a = :v",
                      ExpressionAttributeValues={":v": {"S": "x"}, ":extra": {"S": "y"}}) == (
        "ValidationException",
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:extra}")


def test_unused_name(ddb, table_h):
    assert update_err(ddb, table_h, UpdateExpression="SET a = :v",
                      ExpressionAttributeNames={"#x": "x"},
                      ExpressionAttributeValues={":v": {"S": "x"}}) == (
        "ValidationException",
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}")


def test_unused_names_in_query_projection_counted_as_used(ddb, table_h):
    # A name used only by ProjectionExpression counts as used.
    ddb.query(TableName=table_h, KeyConditionExpression="pk = :p",
              ProjectionExpression="#a", ExpressionAttributeNames={"#a": "a"},
              ExpressionAttributeValues={":p": {"S": "e"}})


def test_values_without_expression(ddb, table_h):
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName=table_h, ExpressionAttributeValues={":v": {"S": "x"}})
    code, msg = err(e)
    assert code == "ValidationException"
    assert msg.startswith("ExpressionAttributeValues can only be specified when using "
                          "expressions")


def test_names_without_expression(ddb, table_h):
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=table_h, Key=KEY, ExpressionAttributeNames={"#a": "a"})
    assert err(e) == ("ValidationException",
                      "ExpressionAttributeNames can only be specified when using expressions")


def test_empty_expression_attribute_values(ddb_nv, table_h):
    with pytest.raises(ClientError) as e:
        ddb_nv.update_item(TableName=table_h, Key=KEY, UpdateExpression="SET a = :v",
                           ExpressionAttributeValues={})
    assert err(e) == ("ValidationException", "ExpressionAttributeValues must not be empty")


def test_invalid_value_placeholder_key(ddb, table_h):
    with pytest.raises(ClientError) as e:
        ddb.update_item(TableName=table_h, Key=KEY, UpdateExpression="SET a = :v",
                        ExpressionAttributeValues={":v": {"S": "x"}, "bad": {"S": "y"}})
    assert err(e) == ("ValidationException",
                      'ExpressionAttributeValues contains invalid key: Syntax error; key: "bad"')


def test_syntax_error_update(ddb, table_h):
    code, msg = update_err(ddb, table_h, UpdateExpression="SET a =",)
    assert code == "ValidationException"
    # DynamoDB's form is 'Syntax error; token: "<EOF>", near: "a ="' (dynalite words it its
    # own way); the exact "near" span is not asserted.
    assert msg.startswith('Invalid UpdateExpression: Syntax error; token: "<EOF>"')


def test_syntax_error_condition(ddb, table_h):
    code, msg = update_err(ddb, table_h, ConditionExpression="a = = :v",
                           ExpressionAttributeValues={":v": {"S": "x"}})
    assert code == "ValidationException"
    assert msg.startswith('Invalid ConditionExpression: Syntax error; token: "="')


def test_syntax_error_unknown_keyword(ddb, table_h):
    code, msg = update_err(ddb, table_h, UpdateExpression="PUT a = :v",
                           ExpressionAttributeValues={":v": {"S": "x"}})
    assert code == "ValidationException"
    assert msg == 'Invalid UpdateExpression: Syntax error; token: "PUT", near: "PUT a"'


def test_empty_condition_expression(ddb, table_h):
    assert update_err(ddb, table_h, ConditionExpression="") == (
        "ValidationException", "Invalid ConditionExpression: The expression can not be empty;")


def test_empty_projection_expression(ddb, table_h):
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=table_h, Key=KEY, ProjectionExpression="")
    assert err(e) == ("ValidationException",
                      "Invalid ProjectionExpression: The expression can not be empty;")


def test_projection_overlapping_paths(ddb, table_h):
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=table_h, Key=KEY, ProjectionExpression="a, a.b")
    assert err(e) == ("ValidationException", "Invalid ProjectionExpression: Two document paths "
                      "overlap with each other; must remove or rewrite one of these paths; "
                      "path one: [a], path two: [a, b]")


def test_mixing_expression_and_legacy_parameters(ddb, table_h):
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=table_h, Key=KEY, ProjectionExpression="a",
                     AttributesToGet=["a"])
    code, msg = err(e)
    assert code == "ValidationException"
    assert msg == ("Can not use both expression and non-expression parameters in the same "
                   "request: Non-expression parameters: {AttributesToGet} Expression "
                   "parameters: {ProjectionExpression}")


@RESERVED_SIZE
def test_filter_expression_validated_in_scan(ddb, table_h):
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName=table_h, FilterExpression="size = :v",
                 ExpressionAttributeValues={":v": {"N": "1"}})
    assert err(e) == ("ValidationException", "Invalid FilterExpression: Attribute name is a "
                      "reserved keyword; reserved keyword: size")


def test_key_condition_validated(ddb, table_h):
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=table_h, KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "x"}, ":q": {"S": "y"}})
    assert err(e) == ("ValidationException", "Value provided in ExpressionAttributeValues unused "
                      "in expressions: keys: {:q}")


@QUERY_WORDING
def test_nested_key_path_refused(ddb, table_hr):
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=table_hr, KeyConditionExpression="pk.x = :p",
                  ExpressionAttributeValues={":p": {"S": "x"}})
    assert err(e) == ("ValidationException",
                      "KeyConditionExpressions cannot have conditions on nested attributes")


def syntax_error(kind, token, near):
    return ("ValidationException",
            f'Invalid {kind}: Syntax error; token: "{token}", near: "{near}"')


def test_a_name_cannot_start_with_an_underscore(ddb, table_h):
    """A bare name starts with a letter: a leading '_' is a token of its own, a syntax error
    (DynamoDB Local, and ScyllaDB's Alternator tests run against DynamoDB), in every kind of
    expression; '_' after the first letter, and in #names and :values, is part of the name."""
    v = {":v": {"N": "1"}}
    assert update_err(ddb, table_h, UpdateExpression="SET _a = :v",
                      ExpressionAttributeValues=v) == syntax_error(
        "UpdateExpression", "_", "SET _a")
    assert update_err(ddb, table_h, UpdateExpression="SET a = _f(b)") == syntax_error(
        "UpdateExpression", "_", "= _f")
    assert update_err(ddb, table_h, ConditionExpression="attribute_exists(_a)") == syntax_error(
        "ConditionExpression", "_", "(_a")
    with pytest.raises(ClientError) as e:
        ddb.get_item(TableName=table_h, Key=KEY, ProjectionExpression="pk, a._b")
    assert err(e) == syntax_error("ProjectionExpression", "_", "._b")
    ddb.update_item(TableName=table_h, Key=KEY, UpdateExpression="SET a_b = :_v, #_n = :_v",
                    ExpressionAttributeNames={"#_n": "c"},
                    ExpressionAttributeValues={":_v": {"N": "1"}})
    item = ddb.get_item(TableName=table_h, Key=KEY, ProjectionExpression="a_b, c")["Item"]
    assert item == {"a_b": {"N": "1"}, "c": {"N": "1"}}


def test_a_call_without_operands_is_a_syntax_error(ddb, table_h):
    """f() is refused at its ')' (DynamoDB Local), whatever the function."""
    assert update_err(ddb, table_h, ConditionExpression="attribute_exists()") == syntax_error(
        "ConditionExpression", ")", "()")
    assert update_err(ddb, table_h, ConditionExpression="size() = :n",
                      ExpressionAttributeValues={":n": {"N": "1"}}) == syntax_error(
        "ConditionExpression", ")", "() =")
    assert update_err(ddb, table_h, UpdateExpression="SET a = list_append()") == syntax_error(
        "UpdateExpression", ")", "()")


@pytest.mark.parametrize("condition,message", [
    # compared, size with the wrong number of operands is told by its count...
    ("size(a, a) = :n", "Incorrect number of operands for operator or function; operator or "
                        "function: size, number of operands: 2"),
    ("contains(size(a, b), :n)", "Incorrect number of operands for operator or function; "
                                 "operator or function: size, number of operands: 2"),
    # ... and alone, as a size where a condition should stand
    ("size(a, a)", "The function is not allowed to be used this way in an expression; "
                   "function: size"),
])
def test_size_with_the_wrong_operand_count(ddb, table_h, condition, message):
    """(DynamoDB Local; ScyllaDB's Alternator tests, run against DynamoDB, for the first.)"""
    values = {":n": {"N": "1"}} if ":n" in condition else {}
    assert update_err(ddb, table_h, ConditionExpression=condition, **(
        {"ExpressionAttributeValues": values} if values else {})) == (
        "ValidationException", "Invalid ConditionExpression: " + message)


REDUNDANT = "The expression has redundant parentheses;"


@pytest.mark.parametrize("member,expression", [
    # After AND, OR or NOT a pair of parentheses groups an operand: a second pair is redundant
    # there as anywhere else; a call's and an IN list's own parentheses are not.
    ("ConditionExpression", "(a = :v) AND ((b = :v))"),
    ("ConditionExpression", "a = :v OR ((b = :v))"),
    ("ConditionExpression", "NOT ((a = :v))"),
    ("UpdateExpression", "SET a = ((:v))"),
    ("UpdateExpression", "SET a = if_not_exists(a, ((:v)))"),
    # before the other errors of an update: here a reserved word and a repeated section
    ("UpdateExpression", "SET name = ((:v)) SET b = :v"),
])
def test_doubled_parentheses_are_redundant_anywhere(ddb, table_h, member, expression):
    """DynamoDB Local answers each so; the nubo-db/dynamodb-conformance KeyCondition test
    records DynamoDB refusing `((x)) AND ((y))`."""
    kw = {member: expression, "ExpressionAttributeValues": {":v": {"S": "x"}}}
    if member == "ConditionExpression":
        kw["UpdateExpression"] = "SET z = :v"
    assert update_err(ddb, table_h, **kw) == ("ValidationException",
                                             f"Invalid {member}: {REDUNDANT}")


def test_call_and_in_list_parentheses_are_their_own(ddb, table_h):
    ddb.update_item(TableName=table_h, Key=KEY,
                    UpdateExpression="SET a = :v, l = list_append((:l), :l)",
                    ConditionExpression="attribute_not_exists(a) AND NOT (a IN ((:v)))",
                    ExpressionAttributeValues={":v": {"S": "x"}, ":l": {"L": []}})
    assert ddb.get_item(TableName=table_h, Key=KEY)["Item"]["a"] == {"S": "x"}
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=table_h, KeyConditionExpression="(pk = :v) AND ((pk = :v))",
                  ExpressionAttributeValues={":v": {"S": "x"}})
    assert err(e) == ("ValidationException", f"Invalid KeyConditionExpression: {REDUNDANT}")
