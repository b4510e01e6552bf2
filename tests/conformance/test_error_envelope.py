"""The error envelope as DynamoDB sends it: `__type` with its namespace, and the message member.

Sources. Namespaces: DynamoDB's own answers as captured in public bug reports and SDK sources:
request validation is `com.amazon.coral.validate#ValidationException`
(e.g. AdRoll/goamz#15), protocol and authentication errors come from AWS's service framework as
`com.amazon.coral.service#...` (sebdah/dynamic-dynamodb#321 shows AccessDeniedException so),
and DynamoDB's own errors are `com.amazonaws.dynamodb.v20120810#...` (botocore's model names
them). Message member: DynamoDB writes `Message` for SerializationException and for
TransactionCanceledException (beside CancellationReasons; pynamodb/PynamoDB#872 and
aws/aws-sdk-net#1292 show the body) and `message` for the rest; UnknownOperationException
carries no message at all. Each check reads the raw body, since the SDKs accept either spelling.
"""

import json

import pytest

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ddbtest import ACCESS_KEY, REGION, SECRET_KEY, own_server, signed_request, unique_name
from provenance import ERROR_ENVELOPE, SERIALIZATION

SERVICE = "com.amazon.coral.service#"
VALIDATE = "com.amazon.coral.validate#"
DYNAMODB = "com.amazonaws.dynamodb.v20120810#"


def answer(endpoint, target, body, **kw):
    status, _, raw = signed_request(endpoint, target, body, **kw)
    return status, json.loads(raw)


def assert_envelope(body, type_, member, message=None):
    """Exactly __type plus the named message member (and nothing else but `extra`)."""
    assert body["__type"] == type_, body
    other = "message" if member == "Message" else "Message"
    assert other not in body, body
    if member is None:
        assert "message" not in body and "Message" not in body, body
    else:
        assert isinstance(body[member], str) and body[member], body
        if message is not None:
            assert body[member] == message, body


@pytest.fixture(scope="module")
def table(ddb):
    name = unique_name("env")
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    ddb.get_waiter("table_exists").wait(TableName=name)
    ddb.put_item(TableName=name, Item={"pk": {"S": "here"}})
    yield name
    ddb.delete_table(TableName=name)


@pytest.mark.source(
    "question: DescribeTable without TableName: the test expects 'The parameter 'TableName' is "
    "required but was not present in the request' in 'message' (the open question of "
    "test_protocol::test_missing_required_parameter); DynamoDB Local answers 'Value null at "
    "'tableName' failed to satisfy constraint: Member must not be null' in 'Message'")
def test_validation_exception(endpoint):
    status, body = answer(endpoint, "DescribeTable", {})
    assert status == 400
    assert_envelope(body, VALIDATE + "ValidationException", "message",
                    "The parameter 'TableName' is required but was not present in the request")


@SERIALIZATION
def test_serialization_exception(endpoint):
    status, body = answer(endpoint, "DescribeTable", {"TableName": 5})
    assert status == 400
    assert_envelope(body, SERVICE + "SerializationException", "Message",
                    "NUMBER_VALUE cannot be converted to String")


@ERROR_ENVELOPE
def test_unknown_operation_has_no_message(endpoint):
    status, body = answer(endpoint, "FlyToTheMoon", {})
    assert status == 400
    assert_envelope(body, SERVICE + "UnknownOperationException", None)


@ERROR_ENVELOPE
def test_missing_authentication_token(endpoint):
    status, body = answer(endpoint, "ListTables", {}, sign=False)
    assert status == 400
    assert_envelope(body, SERVICE + "MissingAuthenticationTokenException", "message",
                    "Request is missing Authentication Token")


@ERROR_ENVELOPE
def test_resource_not_found(endpoint):
    status, body = answer(endpoint, "GetItem",
                          {"TableName": unique_name("gone"), "Key": {"pk": {"S": "a"}}})
    assert status == 400
    assert_envelope(body, DYNAMODB + "ResourceNotFoundException", "message",
                    "Requested resource not found")


@ERROR_ENVELOPE
def test_resource_in_use(endpoint, table):
    status, body = answer(endpoint, "CreateTable", {
        "TableName": table, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]})
    assert status == 400
    assert_envelope(body, DYNAMODB + "ResourceInUseException", "message")


@ERROR_ENVELOPE
def test_conditional_check_failed(endpoint, table):
    status, body = answer(endpoint, "PutItem", {
        "TableName": table, "Item": {"pk": {"S": "here"}},
        "ConditionExpression": "attribute_not_exists(pk)"})
    assert status == 400
    assert_envelope(body, DYNAMODB + "ConditionalCheckFailedException", "message",
                    "The conditional request failed")


def test_transaction_canceled_uses_capital_message(endpoint, table):
    status, body = answer(endpoint, "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": table, "Item": {"pk": {"S": "here"}},
                 "ConditionExpression": "attribute_not_exists(pk)"}}]})
    assert status == 400
    assert_envelope(body, DYNAMODB + "TransactionCanceledException", "Message",
                    "Transaction cancelled, please refer cancellation reasons for specific "
                    "reasons [ConditionalCheckFailed]")
    assert body["CancellationReasons"] == [
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}]


@pytest.fixture(scope="module")
def auth_endpoint(tmp_path_factory, foreign_endpoint):
    with own_server(foreign_endpoint, tmp_path_factory,
                    ["--in-memory", "--auth", f"{ACCESS_KEY}:{SECRET_KEY}"],
                    "starts its own cruddur server with --auth") as server:
        yield server.endpoint


def signed_headers(endpoint, access_key, secret):
    """Headers of a ListTables request with body {} signed with the given credentials."""
    req = AWSRequest(method="POST", url=endpoint + "/", data=b"{}",
                     headers={"Content-Type": "application/x-amz-json-1.0",
                              "X-Amz-Target": "DynamoDB_20120810.ListTables"})
    SigV4Auth(Credentials(access_key, secret), "dynamodb", REGION).add_auth(req)
    return dict(req.headers.items())


def test_authentication_errors(auth_endpoint):
    # Signed with a secret the server does not hold for this key: the signature cannot match.
    status, body = answer(auth_endpoint, "ListTables", {}, sign=False,
                          headers=signed_headers(auth_endpoint, ACCESS_KEY, "not-the-secret"))
    assert status == 400
    assert_envelope(body, SERVICE + "InvalidSignatureException", "message")
    assert body["message"].startswith("The request signature we calculated does not match")

    status, body = answer(auth_endpoint, "ListTables", {}, headers={
        "Authorization": "AWS4-HMAC-SHA256 Credential=NOSUCHKEY/20240101/us-east-1/dynamodb/"
                         "aws4_request, SignedHeaders=host, Signature=00"}, sign=False)
    assert status == 400
    assert_envelope(body, SERVICE + "IncompleteSignatureException", "message")

    status, body = answer(auth_endpoint, "ListTables", {}, sign=False,
                          headers=signed_headers(auth_endpoint, "NOSUCHKEY", "its-secret"))
    assert status == 400
    assert_envelope(body, SERVICE + "UnrecognizedClientException", "message",
                    "The security token included in the request is invalid.")


def test_message_quoting_a_nul_is_whole(endpoint, table):
    # A message that quotes a value holding U+0000 keeps all of it (escaped by JSON), not the
    # text up to the NUL.
    status, body = answer(endpoint, "PutItem", {
        "TableName": table, "Item": {"pk": {"S": "x"}, "s": {"SS": ["a\u0000b", "a\u0000b"]}}})
    assert status == 400
    message = body.get("message", body.get("Message"))
    assert message.startswith("One or more parameter values were invalid: Input collection "
                              "[a\u0000b, a\u0000b] contains duplicates"), body
