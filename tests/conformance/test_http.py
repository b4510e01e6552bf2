"""HTTP as DynamoDB speaks it: Server and Date fields, header limits, CORS, the health check,
and compressed request and response bodies.

Several expectations come from ScyllaDB's Alternator test suite (test/alternator/*.py in
scylladb/scylladb), whose tests are run against DynamoDB itself with `--aws`; each test names the
one it follows.
"""

import email.utils
import gzip
import http.client
import json
import time
import zlib
from urllib.parse import urlparse

import pytest
from botocore.exceptions import ClientError

from ddbtest import error_message, error_type, make_client, signed_request, unique_name
from provenance import COMPRESSION, HTTP_FRONT_END

EXPOSED = "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date"
CORS_FIELDS = ["access-control-allow-origin", "access-control-allow-credentials",
               "access-control-expose-headers", "access-control-max-age",
               "access-control-allow-methods", "access-control-allow-headers"]


def raw(endpoint, method, path, headers=None, body=None):
    """One request over http.client: (status, lower-cased headers, body bytes as sent)."""
    u = urlparse(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def assert_recent_http_date(value):
    # IMF-fixdate (RFC 9110 5.6.7), e.g. "Sat, 06 Nov 2021 16:09:57 GMT".
    assert value.endswith(" GMT") and len(value) == 29, value
    when = email.utils.parsedate_to_datetime(value).timestamp()
    assert abs(when - time.time()) < 60, value


# --- Server, Date, Connection ---

@HTTP_FRONT_END
def test_server_date_and_connection_fields(ddb):
    # boto3's ResponseMetadata of real DynamoDB answers reads {'server': 'Server', 'date':
    # 'Sat, 06 Nov 2021 16:09:57 GMT', ..., 'connection': 'keep-alive', ...}; Alternator's
    # test_http_headers.py checks Server and Date on success and error answers against AWS.
    headers = ddb.list_tables(Limit=1)["ResponseMetadata"]["HTTPHeaders"]
    assert headers["server"] == "Server"
    assert_recent_http_date(headers["date"])
    assert headers["connection"] == "keep-alive"
    with pytest.raises(ClientError) as err:
        ddb.describe_table(TableName="no-such-table-http")
    error_headers = err.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert error_headers["server"] == "Server"
    assert_recent_http_date(error_headers["date"])


# --- Header limits ---

@HTTP_FRONT_END
def test_headers_over_16kb_are_refused_with_400(endpoint):
    # DynamoDB limits the request line plus headers to 16 KB and answers more with "400 Bad
    # Request" (ScyllaDB issue 23438 and PR 23442's tests, run against DynamoDB).
    status, _, _ = signed_request(endpoint, "ListTables", {}, headers={"X-Pad": "a" * 15000})
    assert status == 200
    status, headers, _ = signed_request(endpoint, "ListTables", {},
                                        headers={"X-Pad": "a" * 17000})
    assert status == 400
    assert headers["server"] == "Server"
    # Many small fields add up the same way.
    many = {f"X-Pad-{i}": "b" * 100 for i in range(200)}
    status, _, _ = signed_request(endpoint, "ListTables", {}, headers=many)
    assert status == 400
    # The server is unharmed.
    assert signed_request(endpoint, "ListTables", {})[0] == 200


@HTTP_FRONT_END
def test_request_line_over_16kb_is_refused_with_400(endpoint):
    # PR 23442's test_too_large_request_line: a 17,000-character URL gets 400 Bad Request, not an
    # InvalidSignatureException (the server never reads it whole).
    status, _, body = raw(endpoint, "POST", "/" + "x" * 17000, body=b"{}",
                          headers={"Content-Type": "application/x-amz-json-1.0",
                                   "X-Amz-Target": "DynamoDB_20120810.ListTables"})
    assert status == 400
    assert b"InvalidSignatureException" not in body


# --- Health check ---

@HTTP_FRONT_END
def test_get_root_is_the_health_check(endpoint, foreign_endpoint):
    # DynamoDB answers GET / with "healthy: dynamodb.<region>.amazonaws.com " (dynalite's tests;
    # Alternator's test_health_works).
    status, headers, body = raw(endpoint, "GET", "/")
    assert status == 200
    assert body.startswith(b"healthy: ")
    if not foreign_endpoint:
        assert body == b"healthy: dynamodb.us-east-1.amazonaws.com "
    assert int(headers["x-amz-crc32"]) == zlib.crc32(body)
    assert len(headers["x-amzn-requestid"]) == 52


@pytest.mark.parametrize("path", ["/abc", "/-", "/index.htm", "/health"])
def test_get_elsewhere_is_not_the_health_check(endpoint, path):
    # Alternator's test_health_only_works_for_root_path (run against DynamoDB): a 4xx.
    status, _, body = raw(endpoint, "GET", path)
    assert 400 <= status <= 404
    assert not body.startswith(b"healthy")


# --- CORS ---

@HTTP_FRONT_END
def test_cors_preflight(endpoint):
    # DynamoDB's preflight answer, captured 2020-10-15 (AllanZhengYP/cors-test, output.md):
    # 200, Content-Length 0, the requested headers and method echoed, these exposed headers
    # and Access-Control-Max-Age: 172800.
    requested = ("Content-Type,X-Amz-Target,user-agent,content-length,host,Authorization,"
                 "amz-sdk-invocation-id,amz-sdk-request,x-amz-security-token")
    status, headers, body = raw(endpoint, "OPTIONS", "/", headers={
        "Origin": "https://foo.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": requested})
    assert status == 200
    assert body == b""
    assert headers["access-control-allow-origin"] == "*"
    assert headers["access-control-allow-headers"] == requested
    assert headers["access-control-allow-methods"] == "POST"
    assert headers["access-control-expose-headers"] == EXPOSED
    assert headers["access-control-max-age"] == "172800"
    assert headers["server"] == "Server"
    assert len(headers["x-amzn-requestid"]) == 52


@HTTP_FRONT_END
def test_cors_fields_need_an_origin(endpoint):
    # Alternator's test_cors_not_used / test_cors_allow_origin / test_cors_allow_requested (run
    # against DynamoDB): without Origin no CORS field at all; with one, every answer allows any
    # origin and exposes headers, and only the preflight has Max-Age and the Allow lists.
    for method in ["OPTIONS", "GET", "POST"]:
        _, headers, _ = raw(endpoint, method, "/")
        for name in CORS_FIELDS:
            assert name not in headers, (method, name)
    asks = {"Origin": "http://example.com/", "Access-Control-Request-Method": "dog",
            "Access-Control-Request-Headers": "cat, meerkat, mouse"}
    for method in ["OPTIONS", "GET", "POST"]:
        _, headers, _ = raw(endpoint, method, "/", headers=asks)
        assert headers["access-control-allow-origin"] == "*", method
        assert headers["access-control-expose-headers"] == EXPOSED, method
        preflight = method == "OPTIONS"
        assert ("access-control-max-age" in headers) == preflight, method
        assert ("access-control-allow-methods" in headers) == preflight, method
        if preflight:
            assert headers["access-control-allow-methods"] == "dog"
            assert headers["access-control-allow-headers"] == "cat, meerkat, mouse"


@HTTP_FRONT_END
def test_cors_fields_on_a_signed_call(endpoint):
    status, headers, _ = signed_request(endpoint, "ListTables", {},
                                        headers={"Origin": "http://localhost:3000"})
    assert status == 200
    assert headers["access-control-allow-origin"] == "*"
    assert headers["access-control-expose-headers"] == EXPOSED


# --- Compressed requests ---

@pytest.fixture
def gzip_client(endpoint):
    """A boto3 client that gzips every request body before signing it, as botocore's request
    compression does (Content-Encoding: gzip; https://docs.aws.amazon.com/sdkref/latest/guide/
    feature-compression.html). Debian's botocore 1.29 predates that feature, so a before-sign
    hook does the same thing."""
    client = make_client(endpoint)

    def compress(request, **kwargs):
        request.data = gzip.compress(request.body)
        request.headers["Content-Encoding"] = "gzip"

    client.meta.events.register("before-sign.dynamodb", compress)
    return client


@COMPRESSION
def test_gzip_requests_work(ddb, gzip_client, table_h):
    # Alternator's test_compressed_request and test_long_compressed_request (run against
    # DynamoDB): a gzip'ed PutItem stores the item.
    for value in ["short", "x" * 10000, "".join(str(i) for i in range(3000))]:
        key = unique_name("gz")
        gzip_client.put_item(TableName=table_h, Item={"pk": {"S": key}, "v": {"S": value}})
        got = ddb.get_item(TableName=table_h, Key={"pk": {"S": key}}, ConsistentRead=True)
        assert got["Item"]["v"]["S"] == value
    # Reads and errors through the same client.
    got = gzip_client.get_item(TableName=table_h, Key={"pk": {"S": key}}, ConsistentRead=True)
    assert got["Item"]["pk"]["S"] == key
    with pytest.raises(ClientError) as err:
        gzip_client.describe_table(TableName="no-such-table-gz")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def put_payload(table, key):
    return json.dumps({"TableName": table, "Item": {"pk": {"S": key}}}).encode()


def item_exists(ddb, table, key):
    return "Item" in ddb.get_item(TableName=table, Key={"pk": {"S": key}}, ConsistentRead=True)


@COMPRESSION
def test_gzip_members_back_to_back(ddb, endpoint, table_h):
    # Alternator's test_gzip_request_two_gzips (run against DynamoDB): two gzip members one after
    # the other are one body (RFC 1952 2.2).
    key = unique_name("two")
    payload = put_payload(table_h, key)
    body = gzip.compress(payload[:10]) + gzip.compress(payload[10:])
    status, _, data = signed_request(endpoint, "PutItem", body,
                                     headers={"Content-Encoding": "gzip"})
    assert status == 200, data
    assert item_exists(ddb, table_h, key)


TRAILING_JUNK = pytest.mark.source(
    "question: cruddur refuses junk after a valid gzip member like other broken data, where "
    "DynamoDB accepts it (Alternator's tests note it as a DynamoDB bug); DynamoDB Local reads the "
    "gzip bytes as JSON (500 InternalFailure)")


@pytest.mark.parametrize("case", [
    pytest.param(case, marks=TRAILING_JUNK if case == "trailing-junk" else COMPRESSION)
    for case in ["not-gzip", "truncated", "trailing-junk", "empty", "unknown-coding"]])
def test_broken_compressed_bodies_are_refused(ddb, endpoint, table_h, case):
    # Alternator's test_broken_gzip_content, test_gzip_request_with_missing_character,
    # test_gzip_request_empty and test_garbage_content_encoding (run against DynamoDB): status
    # 500 and nothing written. Our message says what is wrong. (DynamoDB accepts junk after a
    # valid gzip - Alternator marks that a DynamoDB bug - we refuse it like other broken data.)
    key = unique_name("bad")
    payload = put_payload(table_h, key)
    body, encoding = {
        "not-gzip": (payload, "gzip"),
        "truncated": (gzip.compress(payload)[:-1], "gzip"),
        "trailing-junk": (gzip.compress(payload) + b"junk", "gzip"),
        "empty": (b"", "gzip"),
        "unknown-coding": (payload, "garbage"),
    }[case]
    status, headers, data = signed_request(endpoint, "PutItem", body,
                                           headers={"Content-Encoding": encoding})
    assert status == 500
    answer = json.loads(data)
    assert error_type(answer) == "InternalServerError"
    expected = {
        "not-gzip": "Request body is not valid gzip data (Content-Encoding: gzip): "
                    "incorrect header check",
        "truncated": "Request body is not valid gzip data (Content-Encoding: gzip): "
                     "the data ends early",
        "trailing-junk": "Request body is not valid gzip data (Content-Encoding: gzip): "
                         "unexpected bytes after the end of the compressed data",
        "empty": "Request body is not valid gzip data (Content-Encoding: gzip): "
                 "the body is empty",
        "unknown-coding": "Unsupported Content-Encoding 'garbage' (supported: gzip, deflate, "
                          "identity)",
    }[case]
    assert error_message(answer) == expected
    assert int(headers["x-amz-crc32"]) == zlib.crc32(data)
    assert not item_exists(ddb, table_h, key)


@COMPRESSION
def test_deflate_and_identity_request_bodies(ddb, endpoint, table_h):
    # RFC 9110 8.4.1: "deflate" is the zlib format; "identity" means no coding.
    for encoding, encode in [("deflate", zlib.compress), ("identity", lambda b: b)]:
        key = unique_name(encoding)
        status, _, data = signed_request(endpoint, "PutItem", encode(put_payload(table_h, key)),
                                         headers={"Content-Encoding": encoding})
        assert status == 200, data
        assert item_exists(ddb, table_h, key)


@pytest.mark.source(
    "question: cruddur's own limit, not DynamoDB's: a body over 16 MB once decoded gets 413 "
    "RequestEntityTooLarge, where DynamoDB accepts even 1 GB decoded (Alternator's "
    "test_gzip_request_oversized); DynamoDB Local does not decode gzip at all (500)")
def test_compressed_body_over_16mb_decoded_is_refused(ddb, endpoint, table_h):
    # Our choice: a decoded body is held in memory, so it gets the 16 MB request limit and
    # DynamoDB's 413 RequestEntityTooLarge. (DynamoDB itself accepts even 1 GB decoded -
    # Alternator's test_gzip_request_oversized, which is scylla_only for that reason.)
    key = unique_name("big")
    payload = json.dumps({"TableName": table_h, "Item": {"pk": {"S": key}}})
    payload = payload[:-1] + " " * (17 * 1024 * 1024) + payload[-1]
    status, _, data = signed_request(endpoint, "PutItem", gzip.compress(payload.encode()),
                                     headers={"Content-Encoding": "gzip"})
    assert status == 413
    assert error_type(json.loads(data)) == "RequestEntityTooLarge"
    assert not item_exists(ddb, table_h, key)


# --- Compressed responses ---

class DecompressingParserFactory:
    """Wraps a client's response parser factory so that answers are decompressed before they
    are parsed (botocore never decodes bodies), recording (Content-Encoding, size as sent)."""

    def __init__(self, factory):
        self._factory = factory
        self.seen = []

    def create_parser(self, protocol):
        parser = self._factory.create_parser(protocol)
        parse = parser.parse

        def parse_decompressed(response, shape):
            encoding = response["headers"].get("Content-Encoding", "identity").lower()
            self.seen.append((encoding, len(response["body"])))
            if encoding == "gzip":
                response["body"] = gzip.decompress(response["body"])
            elif encoding == "deflate":
                response["body"] = zlib.decompress(response["body"])
            return parse(response, shape)

        parser.parse = parse_decompressed
        return parser


@pytest.fixture
def decompressing_client(endpoint):
    """A boto3 client sending `Accept-Encoding: <client.accept["value"]>` and decompressing
    answers before parsing them (as Alternator's test_compressed_response.py does). Legacy
    retries with no retry make a wrong x-amz-crc32 raise ChecksumError at once: botocore checks
    the CRC on the body as received, not on what the parser is given."""
    client = make_client(endpoint, retries={"mode": "legacy", "max_attempts": 0})
    accept = {"value": "gzip"}

    def add_accept_encoding(params, **kwargs):
        params["headers"]["Accept-Encoding"] = accept["value"]

    client.meta.events.register("before-call.dynamodb", add_accept_encoding)
    factory = DecompressingParserFactory(client._endpoint._response_parser_factory)
    client._endpoint._response_parser_factory = factory  # this client's endpoint only
    client.seen = factory.seen
    client.accept = accept
    return client


@COMPRESSION
def test_responses_from_4kb_are_compressed(ddb, decompressing_client, table_h):
    # Alternator's test_compressed_response (run against DynamoDB): with Accept-Encoding gzip or
    # deflate, an answer of 4 KB or more comes compressed with it, a smaller one does not; and
    # test_crc32_header_with_compression: x-amz-crc32 is over the compressed bytes (boto3's own
    # CRC check passes, or the call would raise ChecksumError).
    key = unique_name("resp")
    value = "x" * (4096 - 25)
    ddb.put_item(TableName=table_h, Item={"pk": {"S": key}, "x": {"S": value}})
    client = decompressing_client
    for encoding in ["gzip", "deflate"]:
        client.accept["value"] = encoding
        client.seen.clear()
        item = client.get_item(TableName=table_h, Key={"pk": {"S": key}},
                               ConsistentRead=True)["Item"]
        assert item["x"]["S"] == value
        assert client.seen[-1][0] == encoding
        assert client.seen[-1][1] * 30 < 4096  # 'x's compress very well
        # Projected to just the value, the answer is under 4 KB: not compressed.
        item = client.get_item(TableName=table_h, Key={"pk": {"S": key}},
                               ProjectionExpression="x", ConsistentRead=True)["Item"]
        assert item["x"]["S"] == value
        assert client.seen[-1][0] == "identity"


@COMPRESSION
def test_compressed_response_crc_is_over_the_bytes_sent(endpoint, ddb, table_h):
    # Alternator's test_crc32_header_with_compression (run against DynamoDB).
    key = unique_name("crc")
    ddb.put_item(TableName=table_h, Item={"pk": {"S": key}, "data": {"S": "x" * 5000}})
    body = {"TableName": table_h, "Key": {"pk": {"S": key}}, "ConsistentRead": True}
    status, headers, data = signed_request(endpoint, "GetItem", body,
                                           headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert data[:2] == b"\x1f\x8b"
    assert int(headers["x-amz-crc32"]) == zlib.crc32(data)
    assert json.loads(gzip.decompress(data))["Item"]["data"]["S"] == "x" * 5000
    # Without Accept-Encoding (http.client then sends "identity"): plain JSON.
    status, headers, data = signed_request(endpoint, "GetItem", body)
    assert "content-encoding" not in headers
    assert int(headers["x-amz-crc32"]) == zlib.crc32(data)
    assert json.loads(data)["Item"]["data"]["S"] == "x" * 5000


@pytest.mark.parametrize("accept,expected", [
    # Only the answers that come compressed depend on compression (DynamoDB Local has none).
    pytest.param(accept, expected, marks=[COMPRESSION] if expected else [])
    for accept, expected in [
        ("identity", None), ("br", None), ("x-gzip", None), ("gzip, deflate", "gzip"),
        ("br, identity, deflate, gzip", "deflate"), ("*", "gzip"), ("*, gzip;q=0.5", "deflate"),
        ("gzip;q=0", None), ("deflate;q=0.5, gzip;q=0.2", "deflate")]])
def test_accept_encoding_choices(endpoint, ddb, table_h, accept, expected):
    # A sample of Alternator's test_compressed_response_accept_encodings (run against DynamoDB);
    # the unit tests cover every case of it.
    key = unique_name("ae")
    ddb.put_item(TableName=table_h, Item={"pk": {"S": key}, "x": {"S": "y" * 4096}})
    body = {"TableName": table_h, "Key": {"pk": {"S": key}}}
    status, headers, _ = signed_request(endpoint, "GetItem", body,
                                        headers={"Accept-Encoding": accept})
    assert status == 200
    assert headers.get("content-encoding") == expected
