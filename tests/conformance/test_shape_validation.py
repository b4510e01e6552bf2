"""The checks DynamoDB makes of every request against its operation's input shape, before any
semantic check or table lookup: JSON types first (SerializationException), then every
constraint violation collected into one "N validation errors detected: ..." message."""

import pytest
from botocore.exceptions import ClientError

from ddbtest import err, error_message, error_type, raw_call, unique_name
from provenance import COLLECTED_VIOLATIONS, CONSTRAINT_WORDING, EXISTING_TABLE_NAME, SERIALIZATION

RANGE_ENUM = ("[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, "
              "CONTAINS]")


def call_error(fn, **kwargs):
    with pytest.raises(ClientError) as e:
        fn(**kwargs)
    return err(e)


@COLLECTED_VIOLATIONS
def test_query_violations_collected_in_dynamodb_order(ddb_nv):
    # DynamoDB's answer to this request, recorded in dynalite's test/query.js ("should return
    # ValidationException for incorrect attributes"), with a single KeyConditions entry (the
    # order DynamoDB gives two entries of that map is not known).
    code, msg = call_error(ddb_nv.query, TableName="abc;", ReturnConsumedCapacity="hi",
                           AttributesToGet=[], IndexName="abc;", Select="hi", Limit=-1,
                           KeyConditions={"b": {"ComparisonOperator": ""}})
    assert code == "ValidationException"
    assert msg == (
        "7 validation errors detected: "
        "Value '-1' at 'limit' failed to satisfy constraint: Member must have value greater "
        "than or equal to 1; "
        "Value '' at 'keyConditions.b.member.comparisonOperator' failed to satisfy constraint: "
        "Member must satisfy enum value set: " + RANGE_ENUM + "; "
        "Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: Member must "
        "satisfy enum value set: [INDEXES, TOTAL, NONE]; "
        "Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length "
        "greater than or equal to 1; "
        "Value 'abc;' at 'tableName' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: [a-zA-Z0-9_.-]+; "
        "Value 'hi' at 'select' failed to satisfy constraint: Member must satisfy enum value "
        "set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]; "
        "Value 'abc;' at 'indexName' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: [a-zA-Z0-9_.-]+")


@CONSTRAINT_WORDING
def test_batch_get_empty_keys_names_the_table(ddb_nv):
    # DynamoDB's answer quoted in aws/aws-sdk-js#1150: the map value's path is
    # requestItems.<table>.member.keys and the empty list prints as '[]'.
    code, msg = call_error(ddb_nv.batch_get_item, RequestItems={"Auth": {"Keys": []}})
    assert (code, msg) == ("ValidationException",
                           "1 validation error detected: Value '[]' at "
                           "'requestItems.Auth.member.keys' failed to satisfy constraint: Member "
                           "must have length greater than or equal to 1")


@CONSTRAINT_WORDING
def test_batch_write_26_puts_prints_the_map_as_java_does(ddb_nv, table_h):
    # DynamoDB's answer quoted in risingwave#17572 (2024): the whole RequestItems map printed in
    # Java's toString form, then "Map value must satisfy constraint: [...]" with both bounds.
    # (DynamoDB also prints an internal PutRequest member the public model does not have, so
    # only the start of the value is compared.)
    items = [{"PutRequest": {"Item": {"pk": {"S": str(i)}}}} for i in range(26)]
    code, msg = call_error(ddb_nv.batch_write_item, RequestItems={table_h: items})
    assert code == "ValidationException"
    assert msg.startswith("1 validation error detected: Value '{%s=[WriteRequest(putRequest="
                          "PutRequest(item={pk=com.amazonaws.dynamodb.v20120810.AttributeValue@"
                          % table_h)
    assert msg.endswith("' at 'requestItems' failed to satisfy constraint: Map value must satisfy "
                        "constraint: [Member must have length less than or equal to 25, Member "
                        "must have length greater than or equal to 1]")
    assert ddb_nv.scan(TableName=table_h)["Count"] == 0


@SERIALIZATION
def test_serialization_error_anywhere_comes_first(endpoint):
    # The whole request is read against the shape before anything is validated: a wrong type
    # deep in Key beats the missing TableName. The wording inside an AttributeValue is the one
    # dynalite recorded from DynamoDB (validations/index.js, checkType 'String').
    status, body = raw_call(endpoint, "GetItem", {"Key": {"a": {"S": 5}}})
    assert status == 400
    assert error_type(body) == "SerializationException"
    assert error_message(body) == ("class com.amazon.coral.value.json.numbers.TruncatingBigNumber "
                                   "can not be converted to an String")


@SERIALIZATION
def test_serialization_error_in_a_transact_item(endpoint):
    # A number where a string belongs: "NUMBER_VALUE cannot be converted to String" is DynamoDB's
    # answer today (localstack/localstack#9412, 2023), here nested in TransactItems[0].Put.
    status, body = raw_call(endpoint, "TransactWriteItems",
                            {"TransactItems": [{"Put": {"TableName": 7, "Item": {}}}],
                             "ReturnConsumedCapacity": "bogus"})
    assert status == 400
    assert error_type(body) == "SerializationException"
    assert error_message(body) == "NUMBER_VALUE cannot be converted to String"


@COLLECTED_VIOLATIONS
def test_transact_write_violations_collected_across_items(ddb_nv):
    # botocore's model: Put.TableName and Update.UpdateExpression are required, ReturnConsumed-
    # Capacity an enum; a table named in a transaction is a name or ARN of 1 to 255 characters
    # (DynamoDB's 2026 answers for TableName '', see test_table_names_of_existing_tables). Paths
    # as in DynamoDB's messages (transactItems.<n>.member.<kind>.<member>, 1-based).
    code, msg = call_error(ddb_nv.transact_write_items,
                           TransactItems=[{"Put": {"Item": {"pk": {"S": "a"}}}},
                                          {"Update": {"TableName": "", "Key": {}}}],
                           ReturnConsumedCapacity="ALL")
    assert code == "ValidationException"
    assert msg.startswith("4 validation errors detected: ")
    for part in ["Value null at 'transactItems.1.member.put.tableName' failed to satisfy "
                 "constraint: Member must not be null",
                 "Value null at 'transactItems.2.member.update.updateExpression' failed to "
                 "satisfy constraint: Member must not be null",
                 "Value '' at 'transactItems.2.member.update.tableName' failed to satisfy "
                 "constraint: Member must have length greater than or equal to 1",
                 "Value 'ALL' at 'returnConsumedCapacity' failed to satisfy constraint: Member "
                 "must satisfy enum value set: [INDEXES, TOTAL, NONE]"]:
        assert part in msg


@pytest.mark.parametrize("name,message", [
    ("", "Value '' at 'tableName' failed to satisfy constraint: Member must have length greater "
         "than or equal to 1"),
    ("a" * 256, "Value '%s' at 'tableName' failed to satisfy constraint: Member must have length "
                "less than or equal to 255" % ("a" * 256)),
    ("bad table!@#", "Value 'bad table!@#' at 'tableName' failed to satisfy constraint: Member "
                     "must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
])
@EXISTING_TABLE_NAME
def test_table_names_of_existing_tables(ddb_nv, name, message):
    """DynamoDB's answers to PutItem with these TableNames, captured in 2026 in four regions
    (nubo-db/dynamodb-conformance captures/cross-region-latest.json, probes s_put_table_*): a
    name or ARN of 1 to 255 characters, the pattern not applied to ''."""
    code, msg = call_error(ddb_nv.put_item, TableName=name, Item={"pk": {"S": "a"}})
    assert (code, msg) == ("ValidationException", "1 validation error detected: " + message)


@EXISTING_TABLE_NAME
def test_short_name_of_a_missing_table_is_looked_up(ddb_nv):
    """'ab' is a valid name for an existing table's lookup (1..255): not found, not refused."""
    code, msg = call_error(ddb_nv.get_item, TableName="ab", Key={"pk": {"S": "a"}})
    assert (code, msg) == ("ResourceNotFoundException", "Requested resource not found")


@COLLECTED_VIOLATIONS
def test_execute_statement_violations(ddb_nv):
    # botocore's model: Statement is 1..8192 characters, Limit a PositiveIntegerObject (>= 1).
    code, msg = call_error(ddb_nv.execute_statement, Statement="", Limit=0)
    assert code == "ValidationException"
    assert msg.startswith("2 validation errors detected: ")
    assert ("Value '' at 'statement' failed to satisfy constraint: Member must have length "
            "greater than or equal to 1") in msg
    assert ("Value '0' at 'limit' failed to satisfy constraint: Member must have value greater "
            "than or equal to 1") in msg


@CONSTRAINT_WORDING
def test_create_table_three_key_elements(ddb_nv, tables):
    # botocore's model: KeySchema has at most 2 elements. The list is printed as Java prints
    # DynamoDB's request objects (ShapeName(member=value, ...), as in risingwave#17572).
    name = unique_name()
    tables.track(name)
    code, msg = call_error(ddb_nv.create_table, TableName=name, BillingMode="PAY_PER_REQUEST",
                           AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
                           KeySchema=[{"AttributeName": "a", "KeyType": "HASH"},
                                      {"AttributeName": "b", "KeyType": "RANGE"},
                                      {"AttributeName": "c", "KeyType": "RANGE"}])
    assert (code, msg) == ("ValidationException",
                           "1 validation error detected: Value '[KeySchemaElement(attributeName=a,"
                           " keyType=HASH), KeySchemaElement(attributeName=b, keyType=RANGE), "
                           "KeySchemaElement(attributeName=c, keyType=RANGE)]' at 'keySchema' "
                           "failed to satisfy constraint: Member must have length less than or "
                           "equal to 2")


@COLLECTED_VIOLATIONS
def test_at_most_ten_violations_reported(ddb_nv):
    # dynalite, which mirrors DynamoDB's answers, stops collecting at ten violations
    # (validations/index.js, checkValidations); the count says ten too.
    code, msg = call_error(ddb_nv.transact_get_items,
                           TransactItems=[{"Get": {"Key": {}}} for _ in range(12)])
    assert code == "ValidationException"
    assert msg.startswith("10 validation errors detected: Value null at "
                          "'transactItems.1.member.get.tableName'")
    assert msg.count("failed to satisfy constraint") == 10


def test_unknown_members_are_ignored(endpoint, table_h):
    # The JSON protocol ignores members the operation's shape does not have, whatever their
    # type (AWS JSON 1.0: unknown members are skipped by the deserializer).
    status, body = raw_call(endpoint, "PutItem", {"TableName": table_h,
                                                  "Item": {"pk": {"S": "u"}},
                                                  "NotAMember": [1, {"x": True}]})
    assert status == 200, body
    status, body = raw_call(endpoint, "GetItem", {"TableName": table_h, "Key": {"pk": {"S": "u"}}})
    assert status == 200 and body["Item"] == {"pk": {"S": "u"}}


@COLLECTED_VIOLATIONS
def test_validation_comes_before_table_lookup(ddb_nv):
    # Constraint violations are answered even for a table that does not exist (DynamoDB checks
    # the request before the table: ExtendDB/extenddb#192 records the same order).
    code, msg = call_error(ddb_nv.scan, TableName=unique_name(), Segment=-1, TotalSegments=2)
    assert (code, msg) == ("ValidationException",
                           "1 validation error detected: Value '-1' at 'segment' failed to satisfy "
                           "constraint: Member must have value greater than or equal to 0")


RV = ("Value 'INVALID' at 'returnValues' failed to satisfy constraint: Member must satisfy enum "
      "value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]")
RCC = ("Value 'INVALID' at 'returnConsumedCapacity' failed to satisfy constraint: Member must "
       "satisfy enum value set: [INDEXES, TOTAL, NONE]")
RICM = ("Value 'INVALID' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member "
        "must satisfy enum value set: [SIZE, NONE]")


@pytest.mark.source(
    "ddb-answer: DynamoDB's 2026 answers (nubo-db/dynamodb-conformance captures, four regions) "
    "collect these violations; DynamoDB Local answers a bad ReturnValues alone with 'Return values "
    "set to invalid value' and an empty TableName with its 'Invalid table/index name' wording")
@pytest.mark.parametrize("call,args,violations", [
    ("put_item", {"TableName": "", "ReturnValues": "INVALID"},
     [RV, "Value '' at 'tableName' failed to satisfy constraint: Member must have length greater "
          "than or equal to 1"]),
    ("put_item", {"ReturnValues": "INVALID", "ReturnConsumedCapacity": "INVALID",
                  "ReturnItemCollectionMetrics": "INVALID"}, [RV, RCC, RICM]),
    ("delete_item", {"ReturnValues": "INVALID", "ReturnConsumedCapacity": "INVALID"}, [RV, RCC]),
    ("update_item", {"ReturnValues": "INVALID", "ReturnConsumedCapacity": "INVALID"}, [RCC, RV]),
], ids=["put-empty-table", "put-three-enums", "delete-two-enums", "update-two-enums"])
def test_violation_order_of_item_writes(ddb_nv, table_h, call, args, violations):
    """DynamoDB's order of collected violations for single-item writes, captured in 2026 in
    four regions (nubo-db/dynamodb-conformance captures/cross-region-latest.json, probes
    o_put_empty_table_bad_rv, o_put_three_bad_enums, o_del_two_bad_enums,
    o_upd_two_bad_enums)."""
    request = {"TableName": table_h, "Key" if call != "put_item" else "Item": {"pk": {"S": "a"}}}
    request.update(args)
    code, msg = call_error(getattr(ddb_nv, call), **request)
    n = len(violations)
    assert (code, msg) == ("ValidationException", "%d validation error%s detected: %s" % (
        n, "s" if n > 1 else "", "; ".join(violations)))
