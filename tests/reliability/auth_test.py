"""Credentials: `cruddur ddb serve --auth AKID:SECRET` verifies SigV4 signatures.

boto3 with the right key works; a wrong secret, an unknown key, a body or a signed header
altered after signing, a Host left out of SignedHeaders, a missing date, a request dated more
than 15 minutes off and a request without Authorization are refused with DynamoDB's errors, and
a refused request changes nothing. Raw requests are signed with botocore's SigV4Auth and sent
with http.client so that they can be tampered with after signing.
"""

import datetime
import http.client
import json
import types
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from relutil import Server, create_pk_table, make_client, record_figures

AKID, SECRET = "AKIDAUTHTEST", "auth/test/secret/0123456789"
AKID2, SECRET2 = "AKIDSECOND", "second-secret"
TABLE = "auth_items"
RESULTS = {"accepted": 0, "refused": 0}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("auth")
    srv = Server(["--in-memory", "--auth", f"{AKID}:{SECRET}", "--auth", f"{AKID2}:{SECRET2}"],
                 tmp / "server.log").start()
    c = make_client(srv.endpoint, access_key=AKID, secret_key=SECRET)
    create_pk_table(c, TABLE)
    c.put_item(TableName=TABLE, Item={"pk": {"S": "k"}, "v": {"S": "original"}})
    yield srv
    srv.stop()
    record_figures("auth", dict(RESULTS))


def skewed_datetime(offset):
    """A stand-in for botocore.auth's `datetime` module whose utcnow() is offset."""
    class Skewed(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return datetime.datetime.utcnow() + offset
    return types.SimpleNamespace(datetime=Skewed)


def sign(server, op, payload, access_key=AKID, secret=SECRET, service="dynamodb",
         offset=None, prefix="DynamoDB_20120810"):
    body = json.dumps(payload).encode()
    req = AWSRequest(method="POST", url=f"{server.endpoint}/", data=body,
                     headers={"Content-Type": "application/x-amz-json-1.0",
                              "X-Amz-Target": f"{prefix}.{op}"})
    signer = SigV4Auth(Credentials(access_key, secret), service, "us-east-1")
    if offset is None:
        signer.add_auth(req)
    else:
        with mock.patch("botocore.auth.datetime", skewed_datetime(offset)):
            signer.add_auth(req)
    return dict(req.headers.items()), body


def send(server, headers, body):
    """Sends exactly these headers (plus Host and Content-Length from http.client)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, (json.loads(data) if data else {})
    finally:
        conn.close()


def refused(status, body, error_type, message_start=None):
    RESULTS["refused"] += 1
    assert status == 400, (status, body)
    assert body["__type"] == "com.amazon.coral.service#" + error_type, body
    if message_start is not None:
        assert body["message"].startswith(message_start), body["message"]


def get_v(server):
    c = make_client(server.endpoint, access_key=AKID, secret_key=SECRET)
    return c.get_item(TableName=TABLE, Key={"pk": {"S": "k"}},
                      ConsistentRead=True)["Item"]["v"]["S"]


def test_right_credentials_work(server):
    for akid, secret in ((AKID, SECRET), (AKID2, SECRET2)):
        c = make_client(server.endpoint, access_key=akid, secret_key=secret)
        assert TABLE in c.list_tables()["TableNames"]
        c.put_item(TableName=TABLE, Item={"pk": {"S": f"by-{akid}"}})
        RESULTS["accepted"] += 2
    streams = make_client(server.endpoint, service="dynamodbstreams", access_key=AKID,
                          secret_key=SECRET)
    streams.list_streams()
    headers, body = sign(server, "GetItem", {"TableName": TABLE, "Key": {"pk": {"S": "k"}}})
    status, out = send(server, headers, body)
    assert status == 200 and out["Item"]["v"]["S"] == "original"
    RESULTS["accepted"] += 2


def test_wrong_secret(server):
    c = make_client(server.endpoint, access_key=AKID, secret_key="not-the-secret")
    with pytest.raises(ClientError) as e:
        c.put_item(TableName=TABLE, Item={"pk": {"S": "k"}, "v": {"S": "wrong-secret"}})
    err = e.value.response["Error"]
    assert err["Code"] == "InvalidSignatureException"
    assert err["Message"].startswith("The request signature we calculated does not match the "
                                     "signature you provided.")
    RESULTS["refused"] += 1
    assert get_v(server) == "original"


def test_unknown_access_key(server):
    c = make_client(server.endpoint, access_key="AKIDNOBODY", secret_key=SECRET)
    with pytest.raises(ClientError) as e:
        c.list_tables()
    assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert e.value.response["Error"]["Message"] == \
        "The security token included in the request is invalid."
    RESULTS["refused"] += 1


def test_streams_api_is_verified_too(server):
    c = make_client(server.endpoint, service="dynamodbstreams", access_key=AKID,
                    secret_key="not-the-secret")
    with pytest.raises(ClientError) as e:
        c.list_streams()
    assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
    RESULTS["refused"] += 1


def test_body_altered_after_signing(server):
    payload = {"TableName": TABLE, "Item": {"pk": {"S": "k"}, "v": {"S": "good"}}}
    headers, body = sign(server, "PutItem", payload)
    tampered = body.replace(b'"good"', b'"evil"')
    assert tampered != body and len(tampered) == len(body)
    refused(*send(server, headers, tampered), "InvalidSignatureException",
            "The request signature we calculated does not match")
    assert get_v(server) == "original"


def test_signed_header_altered_after_signing(server):
    # A signed GetItem turned into a DeleteTable must not pass.
    headers, body = sign(server, "GetItem", {"TableName": TABLE, "Key": {"pk": {"S": "k"}}})
    headers["X-Amz-Target"] = "DynamoDB_20120810.DeleteTable"
    refused(*send(server, headers, json.dumps({"TableName": TABLE}).encode()),
            "InvalidSignatureException")
    headers, body = sign(server, "GetItem", {"TableName": TABLE, "Key": {"pk": {"S": "k"}}})
    headers["X-Amz-Target"] = "DynamoDB_20120810.DeleteTable"
    refused(*send(server, headers, body), "InvalidSignatureException")
    assert get_v(server) == "original"


def test_host_missing_from_signed_headers(server):
    headers, body = sign(server, "ListTables", {})
    auth = headers["Authorization"]
    assert "SignedHeaders=content-type;host;" in auth
    headers["Authorization"] = auth.replace("SignedHeaders=content-type;host;",
                                            "SignedHeaders=content-type;")
    refused(*send(server, headers, body), "InvalidSignatureException",
            "'Host' must be a 'SignedHeader' in the AWS Authorization.")


def test_date_header_removed_or_unsigned(server):
    headers, body = sign(server, "ListTables", {})
    # The date header itself removed: the request is incomplete.
    no_date = {k: v for k, v in headers.items() if k.lower() != "x-amz-date"}
    refused(*send(server, no_date, body), "IncompleteSignatureException",
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
            "header.")
    # The date dropped from SignedHeaders: the signature no longer matches.
    unsigned = dict(headers)
    unsigned["Authorization"] = headers["Authorization"].replace(";x-amz-date", "")
    assert unsigned["Authorization"] != headers["Authorization"]
    refused(*send(server, unsigned, body), "InvalidSignatureException")


def test_signature_expired_16_minutes_ago(server):
    headers, body = sign(server, "ListTables", {}, offset=datetime.timedelta(minutes=-16))
    status, out = send(server, headers, body)
    refused(status, out, "InvalidSignatureException", "Signature expired: ")
    assert "is now earlier than" in out["message"] and out["message"].endswith("- 15 min.)")


def test_signature_not_yet_current_16_minutes_ahead(server):
    headers, body = sign(server, "ListTables", {}, offset=datetime.timedelta(minutes=16))
    status, out = send(server, headers, body)
    refused(status, out, "InvalidSignatureException", "Signature not yet current: ")
    assert "is still later than" in out["message"] and out["message"].endswith("+ 15 min.)")


def test_within_15_minutes_is_accepted(server):
    for minutes in (-14, 14):
        headers, body = sign(server, "ListTables", {},
                             offset=datetime.timedelta(minutes=minutes))
        status, out = send(server, headers, body)
        assert status == 200, out
        RESULTS["accepted"] += 1


def test_missing_authorization(server):
    headers, body = sign(server, "ListTables", {})
    del headers["Authorization"]
    refused(*send(server, headers, body), "MissingAuthenticationTokenException",
            "Request is missing Authentication Token")


def test_incomplete_authorization(server):
    headers, body = sign(server, "ListTables", {})
    headers["Authorization"] = headers["Authorization"].split(", Signature=")[0]
    refused(*send(server, headers, body), "IncompleteSignatureException",
            "Authorization header requires 'Signature' parameter.")


def test_authorization_items_separated_by_spaces(server):
    """AWS reads an Authorization item as ending at a comma or at white space: with spaces alone
    a real signature verifies, and a credential cut by a space leaves an item without an equal
    sign (DynamoDB's answer quoted in awslabs/fhir-works-on-aws-deployment#379; ScyllaDB's
    Alternator tests, run against DynamoDB, reach the date check with space-separated items)."""
    headers, body = sign(server, "ListTables", {})
    spaced = dict(headers, Authorization=headers["Authorization"].replace(", ", " "))
    assert ", " not in spaced["Authorization"]
    status, out = send(server, spaced, body)
    assert status == 200, out
    cut = dict(headers, Authorization=headers["Authorization"].replace(
        f"Credential={AKID}/", f"Credential={AKID} /"))
    status, out = send(server, cut, body)
    refused(status, out, "IncompleteSignatureException", "'/")
    assert "/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization " \
        "header: '" in out["message"]


def test_wrong_service_in_scope(server):
    headers, body = sign(server, "ListTables", {}, service="s3")
    refused(*send(server, headers, body), "InvalidSignatureException",
            "Credential should be scoped to correct service: 'dynamodb'.")


def test_refusals_leave_the_server_healthy(server):
    assert server.alive()
    assert get_v(server) == "original"
