"""TransactWriteItems and TransactGetItems."""

import uuid

import pytest
from botocore.exceptions import ClientError

from ddbtest import err, unique_name
from provenance import CONFORMANCE_SUITE, KEY_WORDING, MISSING_TABLE


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def get(ddb, t, pk):
    return ddb.get_item(TableName=t, Key={"pk": S(pk)}, ConsistentRead=True).get("Item")


def test_transact_write_all_kinds(ddb, table_h, table_hr):
    ddb.put_item(TableName=table_h, Item={"pk": S("upd"), "n": N(1)})
    ddb.put_item(TableName=table_h, Item={"pk": S("del")})
    ddb.put_item(TableName=table_h, Item={"pk": S("chk"), "ok": {"BOOL": True}})
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table_h, "Item": {"pk": S("new"), "v": S("x")},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": table_h, "Key": {"pk": S("upd")},
                    "UpdateExpression": "SET n = n + :one",
                    "ExpressionAttributeValues": {":one": N(1)}}},
        {"Delete": {"TableName": table_h, "Key": {"pk": S("del")}}},
        {"ConditionCheck": {"TableName": table_h, "Key": {"pk": S("chk")},
                            "ConditionExpression": "ok = :t",
                            "ExpressionAttributeValues": {":t": {"BOOL": True}}}},
        {"Put": {"TableName": table_hr, "Item": {"pk": S("o"), "sk": S("t")}}},
    ])
    assert get(ddb, table_h, "new") == {"pk": S("new"), "v": S("x")}
    assert get(ddb, table_h, "upd")["n"] == N(2)
    assert get(ddb, table_h, "del") is None
    assert ddb.get_item(TableName=table_hr, Key={"pk": S("o"), "sk": S("t")})["Item"]


def test_transaction_cancelled_reasons_in_order(ddb, table_h):
    ddb.put_item(TableName=table_h, Item={"pk": S("a"), "n": N(1)})
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table_h, "Item": {"pk": S("b")}}},
            {"Update": {"TableName": table_h, "Key": {"pk": S("a")},
                        "UpdateExpression": "SET n = :v", "ConditionExpression": "n = :old",
                        "ExpressionAttributeValues": {":v": N(5), ":old": N(99)}}},
            {"ConditionCheck": {"TableName": table_h, "Key": {"pk": S("zz")},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])
    code, msg = err(e)
    assert code == "TransactionCanceledException"
    assert msg == ("Transaction cancelled, please refer cancellation reasons for specific reasons "
                   "[None, ConditionalCheckFailed, ConditionalCheckFailed]")
    reasons = e.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed",
                                            "ConditionalCheckFailed"]
    assert reasons[1]["Message"] == "The conditional request failed"
    assert "Message" not in reasons[0]
    # Nothing was applied.
    assert get(ddb, table_h, "b") is None
    assert get(ddb, table_h, "a")["n"] == N(1)


def test_transaction_return_values_on_condition_check_failure(ddb, table_h):
    ddb.put_item(TableName=table_h, Item={"pk": S("a"), "n": N(1)})
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"ConditionCheck": {"TableName": table_h, "Key": {"pk": S("a")},
                                "ConditionExpression": "n = :x",
                                "ExpressionAttributeValues": {":x": N(2)},
                                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        ])
    reasons = e.value.response["CancellationReasons"]
    assert reasons[0]["Code"] == "ConditionalCheckFailed"
    assert reasons[0]["Item"] == {"pk": S("a"), "n": N(1)}


def test_transaction_multiple_operations_on_one_item(ddb, table_h):
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table_h, "Item": {"pk": S("same")}}},
            {"Delete": {"TableName": table_h, "Key": {"pk": S("same")}}},
        ])
    assert err(e) == ("ValidationException",
                      "Transaction request cannot include multiple operations on one item")


def test_transaction_client_request_token_idempotent(ddb, table_h):
    token = str(uuid.uuid4())
    items = [{"Update": {"TableName": table_h, "Key": {"pk": S("ctr")},
                         "UpdateExpression": "ADD n :one",
                         "ExpressionAttributeValues": {":one": N(1)}}}]
    ddb.transact_write_items(TransactItems=items, ClientRequestToken=token)
    ddb.transact_write_items(TransactItems=items, ClientRequestToken=token)
    assert get(ddb, table_h, "ctr")["n"] == N(1)
    ddb.transact_write_items(TransactItems=items, ClientRequestToken=str(uuid.uuid4()))
    assert get(ddb, table_h, "ctr")["n"] == N(2)


def test_transaction_token_reused_with_other_request(ddb, table_h):
    token = str(uuid.uuid4())
    ddb.transact_write_items(ClientRequestToken=token, TransactItems=[
        {"Put": {"TableName": table_h, "Item": {"pk": S("t1")}}}])
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(ClientRequestToken=token, TransactItems=[
            {"Put": {"TableName": table_h, "Item": {"pk": S("t2")}}}])
    code, msg = err(e)
    assert code == "IdempotentParameterMismatchException"
    assert get(ddb, table_h, "t2") is None


@KEY_WORDING
def test_transaction_validation_error_applies_nothing(ddb, table_h):
    """An action whose key does not fit the table (missing, another type) cancels the
    transaction with a ValidationError reason for that action, and nothing is written; empty or
    oversized key values are refused up front (ExtendDB's and dynoxide's checks against
    DynamoDB: 'a key type mismatch surfaces as a per-item cancellation reason')."""
    for bad, message in [
            ({"Put": {"TableName": table_h, "Item": {"nokey": S("x")}}},
             "One or more parameter values were invalid: Missing the key pk in the item"),
            ({"Put": {"TableName": table_h, "Item": {"pk": {"N": "1"}}}},
             "One or more parameter values were invalid: Type mismatch for key pk expected: S "
             "actual: N"),
            ({"Delete": {"TableName": table_h, "Key": {"pk": {"N": "1"}}}},
             "The provided key element does not match the schema")]:
        with pytest.raises(ClientError) as e:
            ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": table_h, "Item": {"pk": S("fine")}}}, bad])
        assert err(e) == ("TransactionCanceledException",
                          "Transaction cancelled, please refer cancellation reasons for specific "
                          "reasons [None, ValidationError]")
        assert e.value.response["CancellationReasons"] == [
            {"Code": "None"}, {"Code": "ValidationError", "Message": message}]
        assert get(ddb, table_h, "fine") is None
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table_h, "Item": {"pk": S("fine")}}},
            {"Put": {"TableName": table_h, "Item": {"pk": S("")}}}])
    assert err(e)[0] == "ValidationException"


@pytest.mark.source(
    "ddb-answer: ScyllaDB's Alternator test_transact.py "
    "(test_transact_write_cancellation_reasons_validationerror), run against DynamoDB: the first "
    "action whose key does not fit cancels, the others' reasons are None; DynamoDB Local reports "
    "every action's ValidationError and evaluates the conditions")
def test_transaction_first_key_mismatch_cancels_before_any_condition(ddb, table_h):
    """Actions are validated before any runs: the first key that does not fit the table cancels
    with its ValidationError, and every other reason is None, a second mismatch and a condition
    that would fail alike."""
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"ConditionCheck": {"TableName": table_h, "Key": {"pk": S("absent")},
                                "ConditionExpression": "attribute_exists(pk)"}},
            {"Put": {"TableName": table_h, "Item": {"pk": N(7)}}},
            {"Put": {"TableName": table_h, "Item": {"pk": N(8)}}},
            {"Put": {"TableName": table_h, "Item": {"pk": S("fine")},
                     "ConditionExpression": "attribute_exists(pk)"}}])
    assert err(e) == ("TransactionCanceledException",
                      "Transaction cancelled, please refer cancellation reasons for specific "
                      "reasons [None, ValidationError, None, None]")
    assert e.value.response["CancellationReasons"] == [
        {"Code": "None"},
        {"Code": "ValidationError", "Message": "One or more parameter values were invalid: Type "
                                               "mismatch for key pk expected: S actual: N"},
        {"Code": "None"}, {"Code": "None"}]
    assert get(ddb, table_h, "fine") is None


@MISSING_TABLE
def test_transaction_missing_table(ddb):
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": unique_name("missing"), "Item": {"pk": S("a")}}}])
    code, msg = err(e)
    assert code == "ResourceNotFoundException"
    assert msg.startswith("Requested resource not found")


def test_transaction_too_many_items(ddb_nv, table_h):
    with pytest.raises(ClientError) as e:
        ddb_nv.transact_write_items(TransactItems=[
            {"Put": {"TableName": table_h, "Item": {"pk": S(str(i))}}} for i in range(101)])
    code, msg = err(e)
    assert code == "ValidationException"
    assert "Member must have length less than or equal to 100" in msg


def test_transaction_up_to_100_items(ddb, table_h):
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table_h, "Item": {"pk": S(str(i))}}} for i in range(100)])
    assert ddb.scan(TableName=table_h, Select="COUNT")["Count"] == 100


def test_transact_get_items(ddb, table_h, table_hr):
    ddb.put_item(TableName=table_h, Item={"pk": S("a"), "v": N(1), "w": N(2)})
    ddb.put_item(TableName=table_hr, Item={"pk": S("b"), "sk": S("c"), "x": S("y")})
    r = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": table_hr, "Key": {"pk": S("b"), "sk": S("c")}}},
        {"Get": {"TableName": table_h, "Key": {"pk": S("missing")}}},
        {"Get": {"TableName": table_h, "Key": {"pk": S("a")}, "ProjectionExpression": "w"}},
    ])
    assert r["Responses"] == [
        {"Item": {"pk": S("b"), "sk": S("c"), "x": S("y")}},
        {},
        {"Item": {"w": N(2)}},
    ]


def test_transact_get_missing_table(ddb):
    with pytest.raises(ClientError) as e:
        ddb.transact_get_items(TransactItems=[
            {"Get": {"TableName": unique_name("missing"), "Key": {"pk": S("a")}}}])
    assert err(e)[0] == "ResourceNotFoundException"


@pytest.mark.source(
    "docs: a transactional write costs two write units per item "
    "(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling); "
    "DynamoDB Local reports one")
def test_transact_write_consumed_capacity(ddb, table_h):
    r = ddb.transact_write_items(ReturnConsumedCapacity="TOTAL", TransactItems=[
        {"Put": {"TableName": table_h, "Item": {"pk": S("c1")}}},
        {"Put": {"TableName": table_h, "Item": {"pk": S("c2")}}}])
    # Transactional writes cost two write units per item.
    assert len(r["ConsumedCapacity"]) == 1
    assert r["ConsumedCapacity"][0]["TableName"] == table_h
    assert r["ConsumedCapacity"][0]["CapacityUnits"] == 4.0


@pytest.mark.source(
    "ddb-answer: DynamoDB's answer as a client recorded it from eu-north-1 ('Transaction payload "
    "size cannot exceed 4MB. Payload Size: : Transaction payload size cannot exceed 4MB. Payload "
    "Size: <n>'); DynamoDB Local says the sentence once, measuring the same <n>")
def test_transaction_over_4mb_is_refused_whole(ddb, table_h):
    """The aggregate size of the items in a transaction cannot exceed 4 MB (TransactWriteItems
    API reference); DynamoDB refuses the request with a ValidationException, writes nothing, and
    names the sum of the item sizes (DynamoDB Local's <n> for this request is that sum too)."""
    big = "x" * (390 * 1024)
    items = [{"Put": {"TableName": table_h, "Item": {"pk": {"S": f"big{i}"}, "v": {"S": big}}}}
             for i in range(11)]  # 11 x 390 KB: each item fits, together 4.2 MB
    size = sum(len(f"big{i}") + 2 + 1 + len(big) for i in range(11))  # names + values
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=items)
    said = "Transaction payload size cannot exceed 4MB. Payload Size: %d" % size
    assert err(e) == ("ValidationException",
                      "Transaction payload size cannot exceed 4MB. Payload Size: : " + said)
    assert "Item" not in ddb.get_item(TableName=table_h, Key={"pk": {"S": "big0"}})
    # Ten of them (3.9 MB) are within the limit.
    ddb.transact_write_items(TransactItems=items[:10])
    assert "Item" in ddb.get_item(TableName=table_h, Key={"pk": {"S": "big9"}})


# Index keys in a transaction, as DynamoDB answered in 2026 (a capture of its exact answers
# published with an independent conformance suite): a Put or an Update that gives an index key
# another type cancels with that action's ValidationError; an empty index key is refused as a
# whole request, an Update's in UpdateItem's own words.
@pytest.fixture
def gsi_table(tables):
    return tables.create(attrs={"g": "S"}, GlobalSecondaryIndexes=[{
        "IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"}}])


MISMATCH = ("One or more parameter values were invalid: Type mismatch for Index Key g Expected: "
            "S Actual: N IndexName: by_g")


@pytest.mark.source(
    "ddb-answer: the reason's message names the key, types and index as PutItem's does "
    "(DynamoDB's answer captured in 2026); DynamoDB Local cancels alike but its reason stops at "
    "'Type mismatch for Index Key'")
@pytest.mark.parametrize("action", [
    {"Put": {"Item": {"pk": S("t"), "g": N(1)}}},
    {"Update": {"Key": {"pk": S("t")}, "UpdateExpression": "SET g = :v",
                "ExpressionAttributeValues": {":v": N(1)}}},
])
def test_transaction_index_key_of_another_type_cancels(ddb, gsi_table, action):
    kind, body = next(iter(action.items()))
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": gsi_table, "Item": {"pk": S("fine"), "g": S("x")}}},
            {kind: {"TableName": gsi_table, **body}}])
    assert err(e) == ("TransactionCanceledException",
                      "Transaction cancelled, please refer cancellation reasons for specific "
                      "reasons [None, ValidationError]")
    assert e.value.response["CancellationReasons"] == [
        {"Code": "None"}, {"Code": "ValidationError", "Message": MISMATCH}]
    assert get(ddb, gsi_table, "fine") is None


@pytest.mark.parametrize("action,message", [
    ({"Put": {"Item": {"pk": S("t"), "g": S("")}}},
     "One or more parameter values are not valid. A value specified for a secondary index key "
     "is not supported. The AttributeValue for a key attribute cannot contain an empty string "
     "value. IndexName: by_g, IndexKey: g"),
    ({"Update": {"Key": {"pk": S("t")}, "UpdateExpression": "SET g = :v",
                 "ExpressionAttributeValues": {":v": S("")}}},
     "One or more parameter values are not valid. The update expression attempted to update a "
     "secondary index key to a value that is not supported. The AttributeValue for a key "
     "attribute cannot contain an empty string value."),
])
def test_transaction_empty_index_key_is_refused_whole(ddb, gsi_table, action, message):
    kind, body = next(iter(action.items()))
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": gsi_table, "Item": {"pk": S("fine")}}},
            {kind: {"TableName": gsi_table, **body}}])
    assert err(e) == ("ValidationException", message)
    assert get(ddb, gsi_table, "fine") is None


def test_update_item_empty_index_key_words(ddb, gsi_table):
    ddb.put_item(TableName=gsi_table, Item={"pk": S("u"), "g": S("x")})
    with pytest.raises(ClientError) as e:
        ddb.update_item(TableName=gsi_table, Key={"pk": S("u")}, UpdateExpression="SET g = :v",
                        ExpressionAttributeValues={":v": S("")})
    assert err(e) == ("ValidationException",
                      "One or more parameter values are not valid. The update expression "
                      "attempted to update a secondary index key to a value that is not "
                      "supported. The AttributeValue for a key attribute cannot contain an "
                      "empty string value.")
    assert ddb.get_item(TableName=gsi_table, Key={"pk": S("u")})["Item"]["g"] == S("x")


@pytest.mark.source(
    "ddb-answer: DynamoDB cancels with the Update's ValidationError, 'The provided expression "
    "refers to an attribute that does not exist in the item', beside None for the other action "
    "(its answer quoted in aws/aws-sdk-net#1292); DynamoDB Local refuses the whole request with "
    "a ValidationException")
def test_transaction_update_reading_a_missing_attribute_cancels(ddb, table_h):
    ddb.put_item(TableName=table_h, Item={"pk": S("there")})
    assert_update_cancels(ddb, table_h, {"Key": {"pk": S("there")},
                                         "UpdateExpression": "SET a = nothere"},
                          "The provided expression refers to an attribute that does not exist in "
                          "the item")


def assert_update_cancels(ddb, table, update, message):
    """A transaction of a Put and `update` (an Update action without its TableName) is cancelled
    with the Update's ValidationError `message`, and the Put is not written."""
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": S("fine")}}},
            {"Update": {"TableName": table, **update}}])
    assert err(e) == ("TransactionCanceledException",
                      "Transaction cancelled, please refer cancellation reasons for specific "
                      "reasons [None, ValidationError]")
    assert e.value.response["CancellationReasons"] == [
        {"Code": "None"}, {"Code": "ValidationError", "Message": message}]
    assert get(ddb, table, "fine") is None


@pytest.mark.source(
    "docs: AWS's TransactionCanceledException reference (botocore's model) lists 'Number "
    "overflow. Attempting to store a number with magnitude larger than supported range.' among "
    "the ValidationError reasons; DynamoDB Local refuses the whole request with a "
    "ValidationException (differential seed 78)")
def test_transaction_update_number_overflow_cancels(ddb, table_h):
    """An ADD whose sum needs more than 38 digits (5 + -6E-43) cannot apply to the item: the
    transaction is cancelled with that action's ValidationError and nothing is written."""
    ddb.put_item(TableName=table_h, Item={"pk": S("counter"), "n": {"N": "5"}})
    assert_update_cancels(ddb, table_h, {"Key": {"pk": S("counter")},
                                         "UpdateExpression": "ADD n :v",
                                         "ExpressionAttributeValues": {":v": {"N": "-6e-43"}}},
                          "Number overflow. Attempting to store a number with magnitude larger "
                          "than supported range")
    assert get(ddb, table_h, "counter")["n"] == {"N": "5"}


@CONFORMANCE_SUITE
def test_transact_get_key_that_does_not_fit_cancels(ddb, table_h, table_hr):
    """As in TransactWriteItems: a key that does not fit its table cancels the transaction with
    that action's ValidationError (the first such one), every other reason None."""
    ddb.put_item(TableName=table_h, Item={"pk": S("a")})
    for bad in [{}, {"pk": N(1)}, {"pk": S("a"), "x": S("y")}]:
        with pytest.raises(ClientError) as e:
            ddb.transact_get_items(TransactItems=[
                {"Get": {"TableName": table_h, "Key": {"pk": S("a")}}},
                {"Get": {"TableName": table_h, "Key": bad}},
                {"Get": {"TableName": table_hr, "Key": {"pk": S("b")}}}])
        assert err(e) == ("TransactionCanceledException", "Transaction cancelled, please refer "
                          "cancellation reasons for specific reasons [None, ValidationError, None]")
        reasons = e.value.response["CancellationReasons"]
        assert [r["Code"] for r in reasons] == ["None", "ValidationError", "None"]
        assert reasons[1]["Message"] == "The provided key element does not match the schema"


@CONFORMANCE_SUITE
def test_index_key_errors_name_a_global_index_before_a_local_one(ddb, tables):
    """An attribute keying both a GSI and an LSI: a wrong or empty value names the GSI."""
    t = tables.create(range_key=("sk", "S"), attrs={"k": "S"}, LocalSecondaryIndexes=[{
        "IndexName": "a_local", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "k", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "ALL"}}], GlobalSecondaryIndexes=[{
            "IndexName": "z_global", "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}])
    mismatch = ("One or more parameter values were invalid: Type mismatch for Index Key k "
                "Expected: S Actual: N IndexName: z_global")
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=t, Item={"pk": S("p"), "sk": S("s"), "k": N(1)})
    assert err(e) == ("ValidationException", mismatch)
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={t: [{"PutRequest": {"Item": {
            "pk": S("p"), "sk": S("s"), "k": S("")}}}]})
    assert err(e) == ("ValidationException", "One or more parameter values are not valid. A value "
                      "specified for a secondary index key is not supported. The AttributeValue "
                      "for a key attribute cannot contain an empty string value. IndexName: "
                      "z_global, IndexKey: k")
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[{"Update": {
            "TableName": t, "Key": {"pk": S("p"), "sk": S("s")}, "UpdateExpression": "SET k = :v",
            "ExpressionAttributeValues": {":v": N(1)}}}])
    assert e.value.response["CancellationReasons"][0]["Message"] == mismatch
