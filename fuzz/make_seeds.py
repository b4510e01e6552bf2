#!/usr/bin/env python3
"""Writes the hand-made seed corpora in fuzz/corpus/<target>/ and the issue-14 regression inputs
fuzz/regressions/<target>/issue14_* (re-run after editing; the files are committed). Each seed is
a realistic input: the requests the Cruddur app and the aws CLI send, expressions from the
DynamoDB docs, SigV4 headers as SDKs sign them, Cognito-like JWTs."""
import base64
import json
import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parent / "corpus"
T = "cruddur-messages"

def j(o):
    return json.dumps(o, separators=(",", ":"))

# --- fuzz_engine_request: lines of <selector letter><JSON body> (see kOperations) ---
OPS = "PutItem GetItem UpdateItem DeleteItem Query Scan BatchGetItem BatchWriteItem " \
      "TransactWriteItems TransactGetItems CreateTable DeleteTable DescribeTable ListTables " \
      "UpdateTable UpdateTimeToLive DescribeTimeToLive ExecuteStatement BatchExecuteStatement " \
      "ExecuteTransaction Streams.ListStreams Streams.DescribeStream Streams.GetShardIterator " \
      "Streams.GetRecords DescribeLimits DescribeEndpoints UpdateContributorInsights " \
      "DescribeContributorInsights ListContributorInsights".split()
def req(op, body):
    return chr(ord("A") + OPS.index(op)) + (body if isinstance(body, str) else j(body))

GRP = {"S": "GRP#andrewbrown"}
KEY = {"pk": GRP, "sk": {"S": "2023-03-01T10:00:00+00:00"}}
MSG = {"pk": {"S": "MSG#5ae290ed"}, "sk": {"S": "2023-03-03T09:00:00+00:00"},
       "message_uuid": {"S": "8e6f1a04"}, "message": {"S": "hi there"},
       "user_uuid": {"S": "90ffd3f4"}, "user_display_name": {"S": "Andrew Brown"},
       "user_handle": {"S": "andrewbrown"}, "n": {"N": "7"}}
engine = {
    "put_get": [req("PutItem", {"TableName": T, "Item": MSG}),
                req("GetItem", {"TableName": T, "Key": {"pk": MSG["pk"], "sk": MSG["sk"]},
                                "ConsistentRead": True, "ProjectionExpression": "#m, n",
                                "ExpressionAttributeNames": {"#m": "message"}})],
    "put_conditional": [req("PutItem", {"TableName": T, "Item": MSG,
        "ConditionExpression": "attribute_not_exists(pk) AND size(message) < :max",
        "ExpressionAttributeValues": {":max": {"N": "1024"}}, "ReturnValues": "ALL_OLD",
        "ReturnConsumedCapacity": "INDEXES", "ReturnItemCollectionMetrics": "SIZE",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})],
    "update": [req("UpdateItem", {"TableName": T, "Key": KEY,
        "UpdateExpression": "SET message = :m, n = n + :one, tags = list_append(if_not_exists("
                            "tags, :e), :t) ADD nums :ns REMOVE meta.l[0] DELETE tags2 :ss",
        "ConditionExpression": "begins_with(pk, :p)",
        "ExpressionAttributeValues": {":m": {"S": "edited"}, ":one": {"N": "1"},
            ":e": {"L": []}, ":t": {"L": [{"S": "x"}]}, ":ns": {"NS": ["3"]},
            ":ss": {"SS": ["a"]}, ":p": {"S": "GRP#"}}, "ReturnValues": "UPDATED_NEW"})],
    "update_legacy": [req("UpdateItem", {"TableName": T, "Key": KEY, "AttributeUpdates": {
        "message": {"Action": "PUT", "Value": {"S": "x"}}, "n": {"Action": "ADD",
        "Value": {"N": "2"}}, "tags": {"Action": "DELETE", "Value": {"SS": ["a"]}}},
        "Expected": {"message": {"ComparisonOperator": "EQ",
                                 "AttributeValueList": [{"S": "hello"}]}}})],
    "delete": [req("DeleteItem", {"TableName": T, "Key": KEY, "ReturnValues": "ALL_OLD",
        "ConditionExpression": "attribute_exists(message)"}), req("Scan", {"TableName": T})],
    "query_pattern_a": [req("Query", {"TableName": T,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :year)",
        "ExpressionAttributeValues": {":pk": GRP, ":year": {"S": "2023"}},
        "ScanIndexForward": False, "Limit": 20, "ReturnConsumedCapacity": "TOTAL"})],
    "query_gsi": [req("Query", {"TableName": T, "IndexName": "message-group-sk-index",
        "KeyConditionExpression": "message_group_uuid = :g AND sk BETWEEN :a AND :b",
        "FilterExpression": "contains(message, :w) OR n > :z",
        "ExpressionAttributeValues": {":g": {"S": "5ae290ed"}, ":a": {"S": "2023-01"},
            ":b": {"S": "2023-12"}, ":w": {"S": "he"}, ":z": {"N": "0"}},
        "Select": "COUNT"})],
    "query_lsi_paged": [req("Query", {"TableName": T, "IndexName": "by-n", "Limit": 1,
        "KeyConditionExpression": "pk = :p AND n >= :n", "ExpressionAttributeValues": {
            ":p": GRP, ":n": {"N": "-10"}}}),
        req("Query", {"TableName": T, "IndexName": "by-n", "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": GRP}, "ExclusiveStartKey": {"pk": GRP,
            "sk": {"S": "2023-03-02T10:00:00+00:00"}, "n": {"N": "-2.5"}}})],
    "query_legacy": [req("Query", {"TableName": T, "KeyConditions": {"pk": {
        "ComparisonOperator": "EQ", "AttributeValueList": [GRP]}}, "QueryFilter": {
        "n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "0"}]}},
        "AttributesToGet": ["pk", "message"]})],
    "scan_segment": [req("Scan", {"TableName": T, "Segment": 1, "TotalSegments": 2,
        "FilterExpression": "attribute_type(tags, :ss) AND NOT n IN (:a, :b)",
        "ExpressionAttributeValues": {":ss": {"S": "SS"}, ":a": {"N": "1"}, ":b": {"N": "2"}},
        "ProjectionExpression": "meta.l[1], tags"})],
    "batch": [req("BatchWriteItem", {"RequestItems": {T: [{"PutRequest": {"Item": MSG}},
        {"DeleteRequest": {"Key": KEY}}], "users": [{"PutRequest": {"Item": {
        "id": {"N": "2"}, "handle": {"S": "bayko"}}}}]}}),
        req("BatchGetItem", {"RequestItems": {T: {"Keys": [KEY, {"pk": MSG["pk"],
        "sk": MSG["sk"]}], "ProjectionExpression": "pk, sk, message"}, "users": {"Keys": [
        {"id": {"N": "1"}}], "ConsistentRead": True}}})],
    "transact": [req("TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": T, "Item": MSG, "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": "users", "Key": {"id": {"N": "1"}},
                    "UpdateExpression": "SET last_message = :m",
                    "ExpressionAttributeValues": {":m": {"S": "hi"}}}},
        {"ConditionCheck": {"TableName": T, "Key": KEY,
                            "ConditionExpression": "attribute_exists(pk)"}},
        {"Delete": {"TableName": T, "Key": {"pk": GRP, "sk": {"S": "2023-03-02T10:00:00+00:00"}}}}],
        "ClientRequestToken": "tok-1"}),
        req("TransactGetItems", {"TransactItems": [{"Get": {"TableName": T, "Key": KEY}},
        {"Get": {"TableName": "users", "Key": {"id": {"N": "1"}}}}]})],
    "tables": [req("CreateTable", {"TableName": "extra", "AttributeDefinitions": [
        {"AttributeName": "h", "AttributeType": "B"}, {"AttributeName": "r", "AttributeType": "N"}],
        "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"},
                      {"AttributeName": "r", "KeyType": "RANGE"}],
        "BillingMode": "PAY_PER_REQUEST"}),
        req("PutItem", {"TableName": "extra", "Item": {"h": {"B": "AAEC"}, "r": {"N": "1E-130"}}}),
        req("DescribeTable", {"TableName": "extra"}), req("ListTables", {"Limit": 2}),
        req("UpdateTable", {"TableName": T, "AttributeDefinitions": [{"AttributeName": "user_handle",
            "AttributeType": "S"}], "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName":
            "by-handle", "KeySchema": [{"AttributeName": "user_handle", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}}]}),
        req("DeleteTable", {"TableName": "extra"}),
        req("DescribeLimits", {}), req("DescribeEndpoints", {})],
    "insights": [req("UpdateContributorInsights", {"TableName": T,
                     "ContributorInsightsAction": "ENABLE"}),
                 req("UpdateContributorInsights", {"TableName": T,
                     "IndexName": "message-group-sk-index", "ContributorInsightsAction": "ENABLE",
                     "ContributorInsightsMode": "THROTTLED_KEYS"}),
                 req("DescribeContributorInsights", {"TableName": T}),
                 req("ListContributorInsights", {"MaxResults": 1}),
                 req("UpdateContributorInsights", {"TableName": T,
                     "ContributorInsightsAction": "DISABLE"})],
    "ttl": [req("DescribeTimeToLive", {"TableName": T}),
            req("UpdateTimeToLive", {"TableName": "users", "TimeToLiveSpecification": {
                "Enabled": True, "AttributeName": "ttl"}})],
    "partiql": [req("ExecuteStatement", {"Statement": "SELECT * FROM \"cruddur-messages\" WHERE "
                    "pk = ? AND begins_with(sk, ?)", "Parameters": [GRP, {"S": "2023"}]}),
        req("ExecuteStatement", {"Statement": "INSERT INTO users VALUE {'id': 3, 'handle': 'x'}"}),
        req("ExecuteStatement", {"Statement": "UPDATE \"cruddur-messages\" SET message = 'p' "
            "REMOVE n WHERE pk = 'GRP#andrewbrown' AND sk = '2023-03-01T10:00:00+00:00'"}),
        req("BatchExecuteStatement", {"Statements": [{"Statement": "DELETE FROM users WHERE id = 1"},
            {"Statement": "SELECT handle FROM users WHERE id = ?", "Parameters": [{"N": "1"}]}]}),
        req("ExecuteTransaction", {"TransactStatements": [{"Statement":
            "EXISTS(SELECT * FROM users WHERE id = 1)"}, {"Statement":
            "UPDATE users SET n = 1 WHERE id = 1"}]})],
    "streams": [req("PutItem", {"TableName": T, "Item": MSG}),
        req("Streams.ListStreams", {"TableName": T}),
        req("Streams.DescribeStream", {"StreamArn": "arn:aws:dynamodb:us-east-1:000000000000:"
            "table/cruddur-messages/stream/2023-03-01T00:00:00.000"}),
        req("Streams.GetShardIterator", {"StreamArn": "arn:aws:dynamodb:us-east-1:000000000000:"
            "table/cruddur-messages/stream/2023-03-01T00:00:00.000", "ShardId":
            "shardId-00000000000000000001-00000001", "ShardIteratorType": "TRIM_HORIZON"}),
        req("Streams.GetRecords", {"ShardIterator": "abc", "Limit": 10})],
    "value_types": [req("PutItem", {"TableName": T, "Item": {"pk": {"S": "p"}, "sk": {"S": "s"},
        "n": {"N": "-0.000123e5"}, "b": {"B": "AAECAw=="}, "t": {"BOOL": True}, "z": {"NULL": True},
        "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "1.5", "-2"]}, "bs": {"BS": ["AA==", "AQ=="]},
        "m": {"M": {"x": {"L": [{"M": {"y": {"N": "9.9999999999999999999999999999999999999E+125"}}}]}}},
        "e": {"S": ""}, "u": {"S": "h\u00e9llo \ud83d\ude00"}}})],
}
# DynamoDB validation corner cases (each answered with a ValidationException).
engine["invalid"] = [req("PutItem", {"TableName": T, "Item": {"pk": {"S": ""}, "sk": {"S": "x"}}}),
    req("PutItem", {"TableName": T, "Item": {"pk": {"S": "a"}, "sk": {"S": "b"},
        "s": {"SS": ["a", "a"]}, "n": {"N": "1e126"}}}),
    req("Query", {"TableName": T, "KeyConditionExpression": "sk = :s"}),
    req("UpdateItem", {"TableName": T, "Key": KEY, "UpdateExpression": "SET pk = :v",
        "ExpressionAttributeValues": {":v": {"S": "x"}}}),
    req("GetItem", '{"TableName":"cruddur-messages","Key":{"pk":{"S":"a"}'),
    req("ListTables", "[]")]

# --- fuzz_expressions: <kind digit><expression> ---
expressions = {
    "condition_exists": "0attribute_exists(#a) AND attribute_not_exists(#x)",
    "condition_compare": "0n BETWEEN :one AND :n OR (s <> :s AND NOT z = :null)",
    "condition_functions": "0begins_with(#a, :s) AND contains(ss, :e) AND size(l) > :one",
    "condition_in": "0n IN (:n, :one, :big) AND attribute_type(m, :e)",
    "condition_paths": "0m.m.y = :s OR l[2][0].x >= :one OR #d = :e OR m.l[0] < :n",
    "filter": "4contains(#l, :l) AND #ss <> :ss",
    "update_set": "1SET s = :s, n = n + :one, #m.k = :m, l[1] = :n, newl = list_append(:l, l)",
    "update_if_not_exists": "1SET c = if_not_exists(c, :n) - :one, l[9] = :t",
    "update_add_delete": "1ADD ns :ns, counter :one DELETE ss :ss, bs :bs",
    "update_remove": "1REMOVE l[0], m.m.y, #x SET t = :t",
    "projection": "2pk, sk, m.l[0], l[2][0].x, #m.x",
    "projection_names": "2#a, #d, #e",
    "key_eq": "3#a = :s",
    "key_range": "3pk = :s AND sk BETWEEN :date AND :s",
    "key_begins": "3pk = :s AND begins_with(sk, :date)",
    "key_hash_only": "7pk = :s",
    "key_swapped": "3:s = pk AND sk >= :date",
    # kind bit 6: parsed without the client limits (as PartiQL's translations are)
    "exempt_condition": "p(n > :one AND (NOT attribute_exists(#x) OR size(l) > :n))",
    "exempt_update": "qSET c = if_not_exists(c, list_append(:l, :empty)), n = n + :one",
    # kind bit 3: extra names and values before the expression
    "extra_placeholders": '8{"#n0":"n","#n1":"s"}\n{":v0":{"N":"1"},":v1":{"S":"x"}}\n'
                          "#n0 > :v0 AND #n1 <> :v1",
}

# --- fuzz_key_codec: mode byte (% 3) then bytes ---
def keyseed(mode, data):
    return bytes([mode]) + data
key_codec = {
    "decode_s_s": keyseed(0, bytes([0]) + b"GRP#andrew\x00\xffx\x00\x01" + b"2023\x00\x01"),
    "decode_n_b": keyseed(0, bytes([1 + 3 * 2]) + bytes([3, 130, 16, 0]) + b"\x01\x02\x00\x01"),
    "decode_neg_n": keyseed(0, bytes([1]) + bytes([1, 255 - 131, 100 - 12, 100 - 34, 0xFF])),
    "decode_zero": keyseed(0, bytes([1]) + bytes([2])),
    "roundtrip_strings": keyseed(1, b"\x00\x00\x01\x05hello\x05help!\x03abc\x02ab"),
    "roundtrip_numbers": keyseed(1, b"\x01\x01\x01\x0412.5\x01\x05-1e10\x01\x011\x01\x020."),
    "arith_text": keyseed(2, b"\x01\x0512.34\x01\x03-99"),
    "arith_digits": keyseed(2, b"\x00\x01\x7f\x26" + bytes(range(38)) + b"\x00\x00\x00\x05\x01\x02"),
}

# --- fuzz_sigv4: an HTTP request in text form ---
AMZ_DATE = "20150830T123600Z"
SIG = "5a15b22cf462f047318703b92e6f4f38884e4a7ab7b1d6426ca46a8bd1c26cbc"
def http(method, target, headers, body=""):
    return "%s %s\n%s\n\n%s" % (method, target, "\n".join("%s: %s" % h for h in headers), body)
ddb_body = j({"TableName": T})
sigv4 = {
    "dynamodb_post": http("POST", "/", [("Host", "localhost:8000"),
        ("Content-Type", "application/x-amz-json-1.0"), ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
        ("X-Amz-Date", AMZ_DATE), ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"
        "20150830/us-east-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;"
        "x-amz-target, Signature=" + SIG)], ddb_body),
    "session_token": http("POST", "/", [("host", "dynamodb.us-east-1.amazonaws.com"),
        ("x-amz-date", AMZ_DATE), ("x-amz-security-token", "IQoJb3JpZ2luX2VjEA=="),
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"), ("authorization",
        "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20150830/us-east-1/dynamodb/aws4_request,"
        "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,Signature=" + SIG)]),
    "get_query": http("GET", "/-._~0-9/a%20b?Param2=value2&Param1=value%201&a=&b", [
        ("Host", "example.amazonaws.com"), ("My-Header1", "  a   b   c  "), ("my-header1", "d"),
        ("Date", "Mon, 09 Sep 2011 23:36:00 GMT"), ("Authorization", "AWS4-HMAC-SHA256 "
        "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=date;"
        "host;my-header1, Signature=" + SIG)]),
    "missing_parts": http("POST", "/", [("Host", "h"), ("Authorization", "AWS4-HMAC-SHA256 "
        "Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb, Signature=")]),
    "bad_pair": http("POST", "/", [("Host", "h"), ("X-Amz-Date", "2015-08-30T12:36:00Z"),
        ("Authorization", "AWS4-HMAC-SHA256 Credential=k/20150830/us_east_1/dynamodb/aws4_request/"
        ", SignedHeaders=x-amz-date, Signature, extra=1")]),
    "presigned": http("GET", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F"
        "20150830%2Fus-east-1%2Fdynamodb%2Faws4_request&X-Amz-Date=20150830T123600Z", [("Host", "h")]),
    "header_only": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/"
                   "aws4_request, SignedHeaders=host;x-amz-date, Signature=" + SIG,
}

# --- fuzz_jwt: mode digit then text ---
def b64u(s):
    return base64.urlsafe_b64encode(s.encode() if isinstance(s, str) else s).decode().rstrip("=")
ISS = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI"
access = {"sub": "90ffd3f4-1b40-4d15-b0f2-d3d4a1f0a0a1", "iss": ISS, "client_id":
          "5b6ro31g97urk767adrbrdj1g5", "origin_jti": "a1", "event_id": "e1", "token_use": "access",
          "scope": "aws.cognito.signin.user.admin", "auth_time": 1677628000, "exp": 1677632400,
          "iat": 1677628000, "jti": "j1", "username": "andrewbrown"}
idtok = {"sub": "90ffd3f4-1b40-4d15-b0f2-d3d4a1f0a0a1", "aud": "5b6ro31g97urk767adrbrdj1g5",
         "email_verified": True, "token_use": "id", "auth_time": 1677628000, "iss": ISS,
         "cognito:username": "andrewbrown", "exp": 1677632400, "iat": 1677628000, "nbf": 1677628000,
         "email": "andrew@exampro.co"}
hdr = {"kid": "1234example=", "alg": "RS256"}
tok = b64u(j(hdr)) + "." + b64u(j(access)) + "." + b64u(b"\x01" * 256)
jwks = {"keys": [{"alg": "RS256", "e": "AQAB", "kid": "1234example=", "kty": "RSA", "n":
        b64u(b"\xc1" + b"\x17" * 255), "use": "sig"}, {"kty": "EC", "kid": "ec", "crv": "P-256"}]}
jwt = {
    "raw_token": "0" + tok,
    "raw_none": "0" + b64u('{"alg":"none"}') + "." + b64u(j(access)) + ".",
    "bearer": "1Bearer " + tok,
    "bearer_lower": "1bearer \t" + tok,
    "bad_scheme": "1Basic YWxhZGRpbjpvcGVuc2VzYW1l",
    "signed_access": "2" + j(hdr) + "\n" + j(access),
    "signed_id": "2" + j(hdr) + "\n" + j(idtok),
    "signed_aud_array": "2" + j(hdr) + "\n" + j(dict(idtok, aud=["x", idtok["aud"]])),
    "signed_dup_member": "2" + j(hdr) + "\n" + '{"sub":"a","sub":"b","exp":1677632400}',
    "jwks": "3" + j(jwks),
}


# --- fuzz_api_request: lines of <route digit><caller digit><payload> (see fuzz_api_request.cc);
# callers 0 andrewbrown, 1 londo, 2 bayko, 3 a subject that is no user; "$G" is the seeded
# group's uuid, "$C" the last X-Next-Cursor ---
def api(route, caller, payload):
    return "%d%d%s" % (route, caller, payload)
api_request = {
    "new_conversation": [api(0, 0, j({"handle": "bayko", "message": "Hello Bayko"})),
                         api(6, 2, ""), api(6, 0, ""), api(6, 0, "$C")],
    "reply": [api(0, 1, j({"message_group_uuid": "$G", "message": "Hi Andrew"})),
              api(5, 0, ""), api(5, 0, "$C")],
    "reply_by_stranger": [api(2, 2, "$G"), api(3, 2, "$G"), api(5, 2, "")],
    "validation": [api(0, 0, j({"message": ""})), api(0, 0, j({"handle": "londo",
                   "message": "x" * 1025})), api(0, 0, j({"handle": "andrewbrown", "message": "x"})),
                   api(0, 0, j({"message": 7, "handle": "londo"})), api(0, 0, "{not json"),
                   api(0, 0, "[]"), api(0, 3, j({"handle": "londo", "message": "x"}))],
    "handles_sql": [api(1, 0, "andrewbrown' OR '1'='1"), api(7, 0, "x'; DROP TABLE users;--"),
                    api(8, 0, "andrewbrown' OR '1'='1"), api(7, 0, "%27"), api(7, 0, "londo"),
                    api(8, 1, "andrеwbrown")],
    "handles_path": [api(7, 0, "../../etc/passwd"), api(7, 0, "..%2f..%2f"),
                     api(1, 0, "../londo"), api(8, 0, "londo\x00")],
    "groups_tricks": [api(3, 0, "../"), api(4, 0, "$G/../x"), api(4, 0, "GRP#andrewbrown"),
                      api(2, 0, "MSG#$G"), api(3, 0, "*"), api(3, 0, "%2e%2e%2f"),
                      api(2, 0, "5ae290ed-55d1-47a0-bc6d-fe2bc2700399")],
    "cursors": [api(5, 0, "MSG#$G"), api(6, 0, "eyJwayI6eyJTIjoiR1JQIzEifX0"),
                api(5, 1, "**"), api(6, 2, "$G")],
    "targets": [api(9, 0, "/api/messages/$G?cursor=%zz"), api(9, 0, "/api/users/@/short"),
                api(9, 0, "/api/health"), api(9, 0, "/api/message_groups?limit=0"),
                api(9, 0, "/api/messages/$G?limit=101&cursor=x&cursor=y")],
}

# --- fuzz_ddb_http_request: HTTP requests as text: start line, header lines, an empty line and
# a one-line body. Requests without Authorization are signed by the target (and verified). ---
AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + SIG)
def ddb_http(op, body, signed=True, content_type="application/x-amz-json-1.0", extra=()):
    target = ("DynamoDBStreams_20120810." + op[len("Streams."):] if op.startswith("Streams.")
              else "DynamoDB_20120810." + op)
    headers = [("Host", "localhost:8000"), ("Content-Type", content_type),
               ("X-Amz-Target", target), ("X-Amz-Date", AMZ_DATE)]
    if signed:
        headers.append(("Authorization", AUTH))
    return http("POST", "/", headers + list(extra), body if isinstance(body, str) else j(body))
# Every engine seed as HTTP requests, every other one left for the target to sign.
ddb_http_request = {}
for n, (name, lines) in enumerate(sorted(engine.items())):
    ddb_http_request[name] = [ddb_http(OPS[ord(l[0]) - ord("A")], l[1:], signed=n % 2 == 0)
                              for l in lines]
ddb_http_request.update({
    "plain_json": [ddb_http("ListTables", {"Limit": 1}, content_type="application/json"),
                   ddb_http("Scan", {"TableName": T, "Limit": 1}, signed=False,
                            content_type="application/json; charset=utf-8")],
    "protocol_errors": [ddb_http("NoSuchOperation", {}), ddb_http("Query", "{not json"),
        ddb_http("Query", {"TableName": T}, content_type="text/plain"),
        ddb_http("ListTables", {}, signed=False, extra=[("Authorization", "")]),
        http("POST", "/", [("Host", "h"), ("X-Amz-Target", "DynamoDB_20120810"),
                           ("Authorization", AUTH)], "{}"),
        ddb_http("ListTables", "")],
    "health_and_cors": [http("GET", "/", [("Host", "localhost:8000")]),
        http("OPTIONS", "/", [("Origin", "http://localhost:3000"),
             ("Access-Control-Request-Method", "POST"),
             ("Access-Control-Request-Headers", "content-type,x-amz-target")]),
        ddb_http("ListTables", {}, extra=[("Origin", "http://localhost:3000")])],
})
ddb_http_request = {k: "".join(r + "\n" for r in v) for k, v in ddb_http_request.items()}

# --- fuzz_plain_request: raw bytes as a client sends them (CRLF lines, pipelining) ---
def wire(method, target, version, fields, body=""):
    head = f"{method} {target} {version}\r\n" + "".join(f"{n}: {v}\r\n" for n, v in fields)
    return (head + "\r\n" + body).encode("latin-1")
plain_body = j({"TableName": T, "Key": {"pk": {"S": "a"}}})
plain_request = {
    "get_item": wire("POST", "/", "HTTP/1.1", [
        ("Host", "localhost:8000"), ("X-Amz-Target", "DynamoDB_20120810.GetItem"),
        ("Content-Type", "application/x-amz-json-1.0"), ("X-Amz-Date", AMZ_DATE),
        ("Authorization", AUTH), ("Content-Length", str(len(plain_body)))], plain_body),
    "pipelined": wire("GET", "/api/messages?x=1", "HTTP/1.0",
                      [("Connection", "keep-alive"), ("X-Spaces", " \t a b \t ")])
                 + wire("GET", "/", "HTTP/1.1", [("Connection", "close")]),
    # Not plain: left to Beast's parser.
    "chunked": wire("POST", "/", "HTTP/1.1", [("Transfer-Encoding", "chunked"),
                                             ("X-Fold", "a\r\n b")], "3\r\nabc\r\n0\r\n\r\n"),
    "expect": wire("PUT", "/x", "HTTP/1.1", [("Expect", "100-continue"), ("Content-Length", "3")],
                   "abc"),
}

def write(target, seeds):
    d = ROOT / target
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    for name, data in seeds.items():
        if isinstance(data, list):
            data = "\n".join(data)
        (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())

# --- regressions/<target>/issue14_*: the requests of issue 14 that overflowed the server's
# stack, in each target's format. Written (overwritten) by name; the other regression files,
# inputs the fuzzers found, are left alone. ---
def deep(n, open_, inner, close):
    return open_ * n + inner + close * n
ISSUE14 = {  # name: (language, expression), shared by the three targets
    "condition_20000_parens": ("condition", deep(20000, "(", "a<b", ")")),
    "condition_and_chain_10000": ("condition", deep(10000, "a<b and (", "a<b", ")")),
    "update_if_not_exists_20000": ("update", "SET a = " + deep(20000, "if_not_exists(a, ", ":v", ")")),
    "filter_20000_parens": ("filter", deep(20000, "(", "a<b", ")")),
    "key_condition_20000_parens": ("key", deep(20000, "(", "pk = :v", ")")),
    "projection_20000_path_elements": ("projection", "a" + ".b" * 19999),
    "projection_20000_indexes": ("projection", "a" + "[0]" * 20000),
}
PARTIQL_3000 = "SELECT * FROM users WHERE " + deep(3000, "(", "id = 1", ")")
V = {":v": {"S": "GRP#andrewbrown"}}
def issue14_request(lang, text):
    """(operation, body) running `text` as the `lang` expression on the seeded tables."""
    if lang == "condition":
        return "PutItem", {"TableName": T, "Item": MSG, "ConditionExpression": text}
    if lang == "update":
        return "UpdateItem", {"TableName": T, "Key": KEY, "UpdateExpression": text,
                              "ExpressionAttributeValues": V}
    if lang == "filter":
        return "Scan", {"TableName": T, "FilterExpression": text}
    if lang == "key":
        return "Query", {"TableName": T, "KeyConditionExpression": text,
                         "ExpressionAttributeValues": V}
    return "GetItem", {"TableName": T, "Key": KEY, "ProjectionExpression": text}
EXPR_KIND = {"condition": "0", "update": "1", "projection": "2", "key": "3", "filter": "4"}

def write_regressions():
    out = {"fuzz_expressions": {}, "fuzz_engine_request": {}, "fuzz_ddb_http_request": {}}
    for name, (lang, text) in ISSUE14.items():
        # fuzz_expressions' fixed values have no ":v": its ":s" instead.
        out["fuzz_expressions"][name] = EXPR_KIND[lang] + text.replace(":v", ":s")
        op, body = issue14_request(lang, text)
        out["fuzz_engine_request"][name] = req(op, body)
        out["fuzz_ddb_http_request"][name] = ddb_http(op, body) + "\n"
    op, body = "ExecuteStatement", {"Statement": PARTIQL_3000}
    out["fuzz_engine_request"]["partiql_where_3000_parens"] = req(op, body)
    out["fuzz_ddb_http_request"]["partiql_where_3000_parens"] = ddb_http(op, body) + "\n"
    # The same without the 4 KB limit (kind bit 6): the nesting bound must stop them. The harness
    # takes exempt inputs up to 64 KB (what PartiQL's translations can reach), so the two longest
    # are nested less deep, still far past the bound of 400.
    exempt = dict(ISSUE14)
    del exempt["condition_and_chain_10000"], exempt["update_if_not_exists_20000"]
    exempt["condition_and_chain_6000"] = ("condition", deep(6000, "a<b and (", "a<b", ")"))
    exempt["update_if_not_exists_3000"] = ("update",
                                           "SET a = " + deep(3000, "if_not_exists(a, ", ":v", ")"))
    for name, (lang, text) in exempt.items():
        assert len(text) < 64 * 1024, name
        out["fuzz_expressions"]["exempt_" + name] = (chr(ord(EXPR_KIND[lang]) | 0x40) +
                                                     text.replace(":v", ":s"))
    for target, files in out.items():
        d = ROOT.parent / "regressions" / target
        d.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (d / ("issue14_" + name)).write_text(data)

write("fuzz_engine_request", engine)
write("fuzz_expressions", expressions)
write("fuzz_key_codec", key_codec)
write("fuzz_sigv4", sigv4)
write("fuzz_jwt", jwt)
write("fuzz_api_request", api_request)
write("fuzz_ddb_http_request", ddb_http_request)
write("fuzz_plain_request", plain_request)
write_regressions()
