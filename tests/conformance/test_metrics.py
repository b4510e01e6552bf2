"""cruddur's GET /metrics and logs on the DynamoDB endpoint (`cruddur ddb serve`).

The metric families are CloudWatch's DynamoDB metrics
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html) in
Prometheus's text format; each test scrapes before and after a known workload and checks the
change. The servers here are the module's own (--log-format json --access-log): another
endpoint has neither /metrics nor these logs, so with DDB_ENDPOINT set the module is skipped.
"""

import gzip
import json
import os
import signal
import socket
import urllib.error
import urllib.request
import time
import uuid

import pytest
from botocore.exceptions import ClientError

import prometheus_text
from prometheus_text import delta, scrape
from ddbtest import (create_pk_table, make_client, own_server, signed_headers, unique_name,
                     wait_table_active)

CLOUDWATCH = pytest.mark.source(
    "docs: CloudWatch's DynamoDB metrics (metrics-dimensions.html): UserErrors are 4xx except "
    "ConditionalCheckFailedException and ProvisionedThroughputExceededException; capacity units "
    "as ConsumedCapacity reports them; ReturnedItemCount for Query and Scan")
CRUDDUR_OWN = pytest.mark.source(
    "question: cruddur's own surface (GET /metrics, the log lines), not DynamoDB's")


@pytest.fixture(scope="module")
def server(foreign_endpoint, tmp_path_factory):
    with own_server(foreign_endpoint, tmp_path_factory,
                    ["--in-memory", "--log-format", "json", "--access-log"],
                    "needs its own server: /metrics and its logs are cruddur's") as s:
        yield s


@pytest.fixture(scope="module")
def client(server):
    return make_client(server.endpoint)


@pytest.fixture(scope="module")
def table(client):
    name = unique_name("metrics")
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    wait_table_active(client, name)
    return name


def raw_post(endpoint, body, headers):
    req = urllib.request.Request(endpoint + "/", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers
    except urllib.error.HTTPError as e:
        return e.code, e.headers


def log_entries(server):
    """Every JSON entry the server logged (the start lines on stdout, the listening address and
    the console's, are not)."""
    server.log.flush()
    with open(server.log.name) as f:
        lines = [line for line in f.read().splitlines()
                 if not line.startswith(("cruddur ddb", "console: "))]
    return [json.loads(line) for line in lines]  # each line must be one JSON object


@CRUDDUR_OWN
def test_metrics_text_parses_and_health_answer_stays(server):
    families = scrape(server.endpoint)
    for name in ("cruddur_dynamodb_requests_total",
                 "cruddur_dynamodb_successful_request_latency_seconds",
                 "cruddur_dynamodb_throttled_requests_total", "cruddur_dynamodb_table_items"):
        assert name in families and families[name].help
    assert families["cruddur_dynamodb_successful_request_latency_seconds"].type == "histogram"
    with urllib.request.urlopen(server.endpoint + "/", timeout=10) as resp:
        assert resp.read() == b"healthy: dynamodb.us-east-1.amazonaws.com "


@CLOUDWATCH
def test_writes_reads_and_queries_move_their_families(server, client, table):
    labels = {"table": table}
    before = scrape(server.endpoint)
    for i in range(3):
        client.put_item(TableName=table, Item={"pk": {"S": f"k{i}"}, "v": {"S": "x" * 10}})
    client.get_item(TableName=table, Key={"pk": {"S": "k0"}}, ConsistentRead=True)
    client.get_item(TableName=table, Key={"pk": {"S": "k1"}})
    client.query(TableName=table, KeyConditionExpression="pk = :p",
                 ExpressionAttributeValues={":p": {"S": "k2"}})
    client.scan(TableName=table)
    after = scrape(server.endpoint)

    def d(sample, operation):
        return delta(before, after, sample, operation=operation, **labels)

    assert d("cruddur_dynamodb_requests_total", "PutItem") == 3
    assert d("cruddur_dynamodb_successful_request_latency_seconds_count", "PutItem") == 3
    assert d("cruddur_dynamodb_successful_request_latency_seconds_sum", "PutItem") > 0
    # Items under 1 KB: 1 write unit each; 1 read unit consistent, 0.5 eventually consistent.
    assert d("cruddur_dynamodb_consumed_write_capacity_units_total", "PutItem") == 3
    assert d("cruddur_dynamodb_consumed_read_capacity_units_total", "GetItem") == 1.5
    assert d("cruddur_dynamodb_consumed_read_capacity_units_total", "Query") == 0.5
    assert d("cruddur_dynamodb_returned_items_total", "Query") == 1
    assert d("cruddur_dynamodb_returned_items_total", "Scan") == 3
    assert d("cruddur_dynamodb_returned_items_total", "GetItem") == 0
    assert d("cruddur_dynamodb_user_errors_total", "PutItem") == 0
    assert prometheus_text.value(after, "cruddur_dynamodb_throttled_requests_total",
                                 operation="PutItem", **labels) == 0
    assert ("cruddur_dynamodb_throttled_requests_total",
            frozenset({"operation": "PutItem", **labels}.items())) in \
        after["cruddur_dynamodb_throttled_requests_total"].samples  # there, at 0
    assert prometheus_text.value(after, "cruddur_dynamodb_table_items", **labels) == 3
    assert delta(before, after, "cruddur_dynamodb_table_size_bytes", **labels) > 0


@CLOUDWATCH
def test_errors_are_counted_by_kind(server, client, table):
    labels = {"table": table}
    client.put_item(TableName=table, Item={"pk": {"S": "taken"}})
    missing = unique_name("nosuch")
    before = scrape(server.endpoint)
    with pytest.raises(ClientError) as failed:
        client.put_item(TableName=table, Item={"pk": {"S": "taken"}},
                        ConditionExpression="attribute_not_exists(pk)")
    assert failed.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    with pytest.raises(ClientError) as invalid:
        client.put_item(TableName=table, Item={"other": {"S": "no key"}})
    assert invalid.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as not_found:
        client.get_item(TableName=missing, Key={"pk": {"S": "a"}})
    assert not_found.value.response["Error"]["Code"] == "ResourceNotFoundException"
    after = scrape(server.endpoint)

    def d(sample, operation, **where):
        return delta(before, after, sample, operation=operation, **(where or labels))

    assert d("cruddur_dynamodb_conditional_check_failed_requests_total", "PutItem") == 1
    assert d("cruddur_dynamodb_user_errors_total", "PutItem") == 1  # the validation error only
    assert d("cruddur_dynamodb_requests_total", "PutItem") == 2
    assert d("cruddur_dynamodb_successful_request_latency_seconds_count", "PutItem") == 0
    # A table that does not exist is no label value: the label sets stay bounded.
    assert d("cruddur_dynamodb_user_errors_total", "GetItem", table="") == 1
    assert missing not in json.dumps([list(f.samples) for f in after.values()], default=list)
    assert d("cruddur_dynamodb_system_errors_total", "PutItem") == 0


@CRUDDUR_OWN
def test_an_internal_error_counts_as_a_system_error_and_logs_its_reason(server):
    before = scrape(server.endpoint)
    status, headers = raw_post(server.endpoint, b"\x1f\x8b not gzip at all", {
        "Content-Type": "application/x-amz-json-1.0", "Content-Encoding": "gzip",
        "X-Amz-Target": "DynamoDB_20120810.PutItem"})
    assert status == 500
    after = scrape(server.endpoint)
    assert delta(before, after, "cruddur_dynamodb_system_errors_total",
                 table="", operation="") == 1
    request_id = headers["x-amzn-RequestId"]
    errors = [e for e in log_entries(server)
              if e.get("request_id") == request_id and e["level"] == "error"]
    assert errors and errors[0]["reason"], errors


@CRUDDUR_OWN
def test_json_log_lines_carry_the_request_id_the_response_had(server, client, table):
    ids = []
    for i in range(3):
        answer = client.put_item(TableName=table, Item={"pk": {"S": f"log{i}"}})
        ids.append(answer["ResponseMetadata"]["RequestId"])
    entries = log_entries(server)
    for request_id in ids:
        access = [e for e in entries
                  if e["component"] == "access" and e.get("request_id") == request_id]
        assert len(access) == 1, (request_id, access)
        assert access[0]["status"] == 200
        assert access[0]["operation"] == "PutItem"
        assert access[0]["table"] == table
        assert access[0]["seconds"] >= 0
        assert access[0]["level"] == "info" and access[0]["time"].endswith("Z")
    assert len(set(ids)) == 3


@CRUDDUR_OWN
def test_secrets_and_bodies_never_reach_the_log(server, table):
    token = "SECRET" + uuid.uuid4().hex
    value = "BODY" + uuid.uuid4().hex
    body = json.dumps({"TableName": table, "Item": {"pk": {"S": value}}}).encode()
    auth = ("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/aws4_request, "
            f"SignedHeaders=host;x-amz-date, Signature={token}")
    headers = {"Content-Type": "application/x-amz-json-1.0", "Authorization": auth,
               "X-Amz-Target": "DynamoDB_20120810.PutItem", "X-Amz-Security-Token": token}
    statuses = [raw_post(server.endpoint, body, headers)[0],
                raw_post(server.endpoint, gzip.compress(body)[:10],
                         {**headers, "Content-Encoding": "gzip"})[0]]
    assert statuses[1] == 500
    with open(server.log.name) as f:
        text = f.read()
    assert token not in text and value not in text
    assert text.count('"component":"access"') >= 2


@CRUDDUR_OWN
def test_rocksdb_figures_on_a_persistent_server(foreign_endpoint, tmp_path_factory):
    """cruddur's own: RocksDB's memtable bytes grow with writes on a persistent data dir."""
    data = tmp_path_factory.mktemp("metrics-data")
    with own_server(foreign_endpoint, tmp_path_factory, ["--data-dir", str(data)],
                    "needs its own persistent server") as s:
        c = make_client(s.endpoint)
        name = unique_name("rocks")
        create_pk_table(c, name)
        wait_table_active(c, name)
        before = scrape(s.endpoint)
        # 1 MB: the memtable's arena grows by blocks, so a few small writes may not show.
        for batch in range(20):
            c.batch_write_item(RequestItems={name: [
                {"PutRequest": {"Item": {"pk": {"S": f"k{batch}-{i}"}, "v": {"S": "y" * 2000}}}}
                for i in range(25)]})
        after = scrape(s.endpoint)
        assert delta(before, after, "cruddur_rocksdb_memtable_bytes") > 500 * 1000
        for family in ("cruddur_rocksdb_pending_compaction_bytes", "cruddur_rocksdb_live_sst_bytes",
                       "cruddur_rocksdb_running_compactions"):
            assert after[family].type == "gauge"
        assert prometheus_text.value(after, "cruddur_dynamodb_table_items", table=name) == 500
        assert delta(before, after, "cruddur_dynamodb_consumed_write_capacity_units_total",
                     table=name, operation="BatchWriteItem") == 500 * 2


def signed_put(endpoint, body):
    """The bytes of a SigV4-signed HTTP/1.1 PutItem request with this body."""
    host = endpoint.rsplit("//", 1)[1]
    fields = {"Host": host, "Content-Length": str(len(body)),
              **signed_headers(endpoint, "PutItem", body)}
    head = "POST / HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
    return head.encode() + body


def read_status(sock):
    """Reads one HTTP/1.1 answer with a Content-Length from sock; returns its status code."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before an answer: {data!r}"
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    length = next(int(line.split(":", 1)[1]) for line in lines[1:]
                  if line.lower().startswith("content-length:"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside an answer"
        rest += chunk
    return int(lines[0].split()[1])


def wait_stopped(pid, timeout=10.0):
    """Waits until every thread of `pid` is stopped. kill(SIGSTOP) returns before that: the stop
    takes effect only once one of the process's threads runs and stops the others, and on a busy
    machine its worker may meanwhile still take requests one at a time."""
    deadline = time.monotonic() + timeout
    while True:
        states = []
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/stat") as f:
                    # The state follows the command's closing parenthesis.
                    states.append(f.read().rsplit(")", 1)[1].split()[0])
            except FileNotFoundError:
                pass  # a thread that ended
        if states and all(state in ("T", "t") for state in states):
            return
        assert time.monotonic() < deadline, f"process {pid} not stopped: thread states {states}"
        time.sleep(0.001)


@CRUDDUR_OWN
def test_fsync_writes_answered_together_share_one_sync(foreign_endpoint, tmp_path_factory):
    """cruddur's own: with --fsync, the writes one worker answers in the same turn share one sync
    of the WAL (group commit; cruddur_rocksdb_wal_syncs_total counts them), and every write is
    synced before it is acknowledged: a burst of acknowledged writes made at least one sync."""
    data = tmp_path_factory.mktemp("fsync-data")
    with own_server(foreign_endpoint, tmp_path_factory,
                    ["--data-dir", str(data), "--fsync", "--threads", "1"],
                    "needs its own persistent server") as s:
        c = make_client(s.endpoint)
        name = unique_name("fsync")
        create_pk_table(c, name)
        wait_table_active(c, name)
        host, port = s.endpoint.rsplit("//", 1)[1].split(":")

        def put(key):
            return signed_put(s.endpoint, json.dumps(
                {"TableName": name, "Item": {"pk": {"S": key}}}).encode())

        writes = 16
        connections = [socket.create_connection((host, int(port)), timeout=30)
                       for _ in range(writes)]
        try:
            # One answered write on each connection first: the server has taken them all in.
            for i, connection in enumerate(connections):
                connection.sendall(put(f"warm-{i}"))
                assert read_status(connection) == 200
            before = scrape(s.endpoint)
            # Stopped, the server cannot take a request before the others have come: all of
            # them wait on their connections, as they do for a busy worker under load.
            os.kill(s.proc.pid, signal.SIGSTOP)
            try:
                wait_stopped(s.proc.pid)
                for i, connection in enumerate(connections):
                    connection.sendall(put(f"burst-{i}"))
            finally:
                os.kill(s.proc.pid, signal.SIGCONT)
            statuses = [read_status(connection) for connection in connections]
        finally:
            for connection in connections:
                connection.close()
        after = scrape(s.endpoint)
        assert statuses == [200] * writes
        assert after["cruddur_rocksdb_wal_syncs_total"].type == "counter"
        syncs = delta(before, after, "cruddur_rocksdb_wal_syncs_total")
        # The turn's first answer is flushed on its own, the rest together; a few turns at most.
        assert 1 <= syncs <= writes // 2, f"{syncs} syncs for {writes} writes answered together"
        got = c.batch_get_item(RequestItems={name: {"Keys": [
            {"pk": {"S": f"{kind}-{i}"}} for kind in ("warm", "burst") for i in range(writes)]}})
        assert len(got["Responses"][name]) == 2 * writes
