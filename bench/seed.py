#!/usr/bin/python3
"""Creates and seeds the benchmark table on a DynamoDB endpoint; optionally captures the answers
to the benchmarked requests, for the ceiling servers of bench/run.sh to answer with the same
bytes: DIR/<Operation> is the body, DIR/<Operation>.headers the header fields (one "Name: value"
a line, in the order they came).

usage: seed.py ENDPOINT [--capture DIR]

Uses plain HTTP with the same well-formed, unverified SigV4 header as bench/wrk/common.lua, so it
needs nothing but python3.
"""
import http.client
import json
import os
import sys
import time
import urllib.parse

from ddb_http import create_table_request, headers

TABLE = os.environ.get("BENCH_TABLE", "bench")


def call(endpoint, op, payload):
    """Returns (status, raw response body bytes, header fields as (name, value) pairs).

    Over http.client rather than urllib, which asks for "Connection: close": the captured answer
    must be the keep-alive one that wrk gets."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    url = urllib.parse.urlsplit(endpoint)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.request("POST", "/", body=data, headers=headers(op))
        response = connection.getresponse()
        return response.status, response.read(), response.getheaders()
    finally:
        connection.close()


def ok(endpoint, op, payload, with_headers=False):
    status, body, headers = call(endpoint, op, payload)
    if status != 200:
        sys.exit(f"seed.py: {op} on {endpoint} answered {status}: {body[:300]!r}")
    return (body, headers) if with_headers else body


def item_json(pk, sk):
    # Byte for byte what bench/wrk/common.lua's M.item() sends.
    return ('{"pk":{"S":"' + pk + '"},"sk":{"S":"' + sk + '"},'
            '"message":{"S":"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod"},'
            '"user_handle":{"S":"andrewbrown"},"created_at":{"S":"2024-01-01T00:00:00.000000+00:00"}}')


def main():
    if len(sys.argv) not in (2, 4) or (len(sys.argv) == 4 and sys.argv[2] != "--capture"):
        sys.exit(__doc__)
    endpoint = sys.argv[1].rstrip("/")
    capture = sys.argv[3] if len(sys.argv) == 4 else None

    ok(endpoint, "CreateTable", create_table_request(TABLE))
    for _ in range(200):
        table = json.loads(ok(endpoint, "DescribeTable", {"TableName": TABLE}))["Table"]
        if table["TableStatus"] == "ACTIVE":
            break
        time.sleep(0.05)
    else:
        sys.exit("seed.py: the table never became ACTIVE")

    # One partition of 20 items for Query, one item for GetItem.
    for i in range(20):
        ok(endpoint, "PutItem",
           ('{"TableName":"' + TABLE + '","Item":' + item_json("query", "msg-%02d" % i) + '}').encode())
    ok(endpoint, "PutItem",
       ('{"TableName":"' + TABLE + '","Item":' + item_json("get", "item") + '}').encode())

    # Sanity: what the wrk scripts will ask must find what was seeded.
    query = {"TableName": TABLE, "KeyConditionExpression": "pk = :pk",
             "ExpressionAttributeValues": {":pk": {"S": "query"}}}
    get = {"TableName": TABLE, "Key": {"pk": {"S": "get"}, "sk": {"S": "item"}}}
    count = json.loads(ok(endpoint, "Query", query))["Count"]
    if count != 20:
        sys.exit(f"seed.py: Query found {count} items, expected 20")
    if "Item" not in json.loads(ok(endpoint, "GetItem", get)):
        sys.exit("seed.py: GetItem found nothing")

    if capture:
        os.makedirs(capture, exist_ok=True)
        answers = {
            "GetItem": ok(endpoint, "GetItem", get, True),
            "Query": ok(endpoint, "Query", query, True),
            "PutItem": ok(endpoint, "PutItem", (
                '{"TableName":"' + TABLE + '","Item":' + item_json("put-capture-1-1", "msg") + '}'
            ).encode(), True),
            "BatchWriteItem": ok(endpoint, "BatchWriteItem", (
                '{"RequestItems":{"' + TABLE + '":[' + ",".join(
                    '{"PutRequest":{"Item":' + item_json("batch-capture-1-1", "msg-%02d" % i) + '}}'
                    for i in range(1, 26)) + ']}}').encode(), True),
            # Byte for byte what bench/wrk/transact_write_items.lua sends.
            "TransactWriteItems": ok(endpoint, "TransactWriteItems", (
                '{"TransactItems":[' + ",".join(
                    '{"Put":{"TableName":"' + TABLE + '","Item":'
                    + item_json("txn-capture-1-1", "msg-%02d" % i) + '}}'
                    for i in range(1, 11)) + ']}').encode(), True),
        }
        for op, (body, fields) in answers.items():
            with open(os.path.join(capture, op), "wb") as f:
                f.write(body)
            with open(os.path.join(capture, op + ".headers"), "w") as f:
                f.writelines(f"{name}: {value}\n" for name, value in fields)
            print(f"captured {op}: {len(body)} bytes")

if __name__ == "__main__":
    main()
