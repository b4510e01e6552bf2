"""Crash test: every acknowledged write survives SIGKILL of a persistent server.

Starts its own `cruddur ddb serve --data-dir DIR` (not the shared in-memory server), writes
from a few threads, kills the process mid-stream, restarts it on the same directory and checks
that each acknowledged item is present and intact.
"""

import os
import signal
import threading
import time

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from ddbtest import make_client, start_server, wait_table_active

THREADS = 4
PUTS_PER_THREAD = 500  # 2000 in all
KILL_AFTER_ACKS = 800


def payload(tid, i):
    return "t%d-i%d-" % (tid, i) + ("x" * (i % 50))


@pytest.fixture
def persistent_dir(tmp_path, foreign_endpoint):
    if foreign_endpoint:
        pytest.skip("DDB_ENDPOINT is set: cannot kill a server this suite did not start")
    d = tmp_path / "data"
    d.mkdir()
    return d


def test_acknowledged_writes_survive_sigkill(persistent_dir, tmp_path):
    server = start_server(["--data-dir", str(persistent_dir)], tmp_path / "server1.log")
    table = "durability"
    try:
        client = make_client(server.endpoint)
        client.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        wait_table_active(client, table)

        acked = {}  # pk -> payload, only for writes the server answered 200
        lock = threading.Lock()
        enough = threading.Event()

        def writer(tid):
            c = make_client(server.endpoint, connect_timeout=2, read_timeout=5)
            for i in range(PUTS_PER_THREAD):
                pk = "t%d-%05d" % (tid, i)
                body = payload(tid, i)
                try:
                    c.put_item(TableName=table, Item={"pk": {"S": pk}, "v": {"S": body},
                                                      "n": {"N": str(i)}})
                except (ClientError, BotoCoreError, OSError):
                    return  # the server is gone: stop this writer
                with lock:
                    acked[pk] = (body, i)
                    if len(acked) >= KILL_AFTER_ACKS:
                        enough.set()

        threads = [threading.Thread(target=writer, args=(t,), daemon=True)
                   for t in range(THREADS)]
        for t in threads:
            t.start()
        enough.wait(timeout=60)
        os.kill(server.proc.pid, signal.SIGKILL)
        server.proc.wait(timeout=10)
        for t in threads:
            t.join(timeout=30)
        with lock:
            acknowledged = dict(acked)
        assert len(acknowledged) >= KILL_AFTER_ACKS or not enough.is_set()
    finally:
        server.stop()

    time.sleep(0.1)
    server2 = start_server(["--data-dir", str(persistent_dir)], tmp_path / "server2.log")
    try:
        client = make_client(server2.endpoint)
        wait_table_active(client, table)
        stored = {}
        start = None
        while True:
            kw = {"TableName": table, "ConsistentRead": True}
            if start:
                kw["ExclusiveStartKey"] = start
            r = client.scan(**kw)
            for item in r["Items"]:
                stored[item["pk"]["S"]] = item
            start = r.get("LastEvaluatedKey")
            if not start:
                break
        missing = [pk for pk in acknowledged if pk not in stored]
        assert not missing, "%d acknowledged items lost, e.g. %s" % (len(missing), missing[:5])
        for pk, (body, i) in acknowledged.items():
            item = stored[pk]
            assert item["v"] == {"S": body}, pk
            assert item["n"] == {"N": str(i)}, pk
        # Unacknowledged writes may or may not be there, but whatever is there is intact.
        for pk, item in stored.items():
            tid, i = pk[1:].split("-")
            assert item["v"] == {"S": payload(int(tid), int(i))}, pk
        # The restarted server still takes writes.
        client.put_item(TableName=table, Item={"pk": {"S": "after-restart"}})
        assert client.get_item(TableName=table, Key={"pk": {"S": "after-restart"}},
                               ConsistentRead=True)["Item"]
    finally:
        server2.stop()


def test_clean_restart_keeps_tables_and_items(persistent_dir, tmp_path):
    server = start_server(["--data-dir", str(persistent_dir)], tmp_path / "a.log")
    try:
        c = make_client(server.endpoint)
        c.create_table(TableName="keep", BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                             {"AttributeName": "sk", "AttributeType": "N"},
                                             {"AttributeName": "g", "AttributeType": "S"}],
                       GlobalSecondaryIndexes=[{
                           "IndexName": "by_g",
                           "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                           "Projection": {"ProjectionType": "ALL"}}])
        wait_table_active(c, "keep")
        for i in range(20):
            c.put_item(TableName="keep", Item={"pk": {"S": "p"}, "sk": {"N": str(i)},
                                               "g": {"S": "g%d" % (i % 2)}})
    finally:
        server.stop()  # SIGTERM: graceful
    server = start_server(["--data-dir", str(persistent_dir)], tmp_path / "b.log")
    try:
        c = make_client(server.endpoint)
        desc = wait_table_active(c, "keep")
        assert [g["IndexName"] for g in desc["GlobalSecondaryIndexes"]] == ["by_g"]
        r = c.query(TableName="keep", KeyConditionExpression="pk = :p",
                    ExpressionAttributeValues={":p": {"S": "p"}})
        assert [int(i["sk"]["N"]) for i in r["Items"]] == list(range(20))
        r = c.query(TableName="keep", IndexName="by_g", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": {"S": "g1"}})
        assert r["Count"] == 10
    finally:
        server.stop()
