"""Concurrency: many clients doing conditional increments and transactions on the same items.

Against an --in-memory and a persistent server: THREADS threads each do OPS optimistic
increments (read n, UpdateItem SET n = n + 1 IF n = read value, retry on
ConditionalCheckFailed) and OPS transfers (TransactWriteItems moving an amount between two of a
few accounts, with an ADD on a transaction counter, retried on TransactionCanceled). Checks: each
counter equals the number of increments that succeeded on it (no lost update, no double apply),
the sum of balances is unchanged, the transaction counter equals the acknowledged transfers, and
every balance equals its initial value plus the acknowledged moves.
CONCURRENCY_THREADS / CONCURRENCY_OPS override the sizes (run.sh --long raises them).
"""

import os
import random
import threading
import time

import pytest
from botocore.exceptions import ClientError

from relutil import Server, create_pk_table, make_client, record_figures

THREADS = int(os.environ.get("CONCURRENCY_THREADS", "16"))
OPS = int(os.environ.get("CONCURRENCY_OPS", "40"))
COUNTERS = 3
ACCOUNTS = 5
INITIAL = 1000
MAX_ATTEMPTS = 500  # per operation; contention on 3 items with 16 threads needs a few


@pytest.fixture(scope="module", params=["in-memory", "persistent"])
def server(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)
    args = ["--in-memory"] if request.param == "in-memory" else ["--data-dir", str(tmp / "d")]
    srv = Server(args, tmp / "server.log").start()
    yield srv
    srv.stop()


def create_tables(client, suffix):
    counters, accounts = f"conc_counters_{suffix}", f"conc_accounts_{suffix}"
    for name in (counters, accounts):
        create_pk_table(client, name)
    for i in range(COUNTERS):
        client.put_item(TableName=counters, Item={"pk": {"S": f"c{i}"}, "n": {"N": "0"}})
    for i in range(ACCOUNTS):
        client.put_item(TableName=accounts, Item={"pk": {"S": f"acct{i}"},
                                                  "bal": {"N": str(INITIAL)}})
    client.put_item(TableName=counters, Item={"pk": {"S": "txcount"}, "n": {"N": "0"}})
    return counters, accounts


def test_conditional_increments_and_transfers(server):
    setup = make_client(server.endpoint)
    suffix = str(int(time.time() * 1000))
    counters, accounts = create_tables(setup, suffix)
    clients = [make_client(server.endpoint) for _ in range(THREADS)]  # built before threading

    lock = threading.Lock()
    increments = [0] * COUNTERS
    moved = [0] * ACCOUNTS  # net amount received per account, by acknowledged transfers
    figures = {"increments": 0, "transfers": 0, "ccf_retries": 0, "tx_retries": 0,
               "errors": 0}
    errors = []

    def transfer(c, rng, src, dst, amount):
        """True when applied, False when refused for lack of funds; retries conflicts."""
        items = [
            {"Update": {"TableName": accounts, "Key": {"pk": {"S": f"acct{src}"}},
                        "UpdateExpression": "SET bal = bal - :a",
                        "ConditionExpression": "bal >= :a",
                        "ExpressionAttributeValues": {":a": {"N": str(amount)}}}},
            {"Update": {"TableName": accounts, "Key": {"pk": {"S": f"acct{dst}"}},
                        "UpdateExpression": "SET bal = bal + :a",
                        "ExpressionAttributeValues": {":a": {"N": str(amount)}}}},
            {"Update": {"TableName": counters, "Key": {"pk": {"S": "txcount"}},
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        ]
        for _attempt in range(MAX_ATTEMPTS):
            try:
                c.transact_write_items(TransactItems=items)
                return True
            except ClientError as e:
                code = e.response["Error"]["Code"]
                if code not in ("TransactionCanceledException", "TransactionConflictException"):
                    raise
                reasons = [r.get("Code") for r in e.response.get("CancellationReasons", [])]
                if reasons and reasons[0] == "ConditionalCheckFailed":
                    return False
                with lock:
                    figures["tx_retries"] += 1
                time.sleep(rng.uniform(0, 0.002))
        raise AssertionError("transfer never went through")

    def worker(tid):
        c = clients[tid]
        rng = random.Random(tid)
        try:
            for _ in range(OPS):
                # Optimistic increment of one of a few hot counters.
                k = rng.randrange(COUNTERS)
                for _attempt in range(MAX_ATTEMPTS):
                    cur = c.get_item(TableName=counters, Key={"pk": {"S": f"c{k}"}},
                                     ConsistentRead=True)["Item"]["n"]["N"]
                    try:
                        c.update_item(TableName=counters, Key={"pk": {"S": f"c{k}"}},
                                      UpdateExpression="SET n = n + :one",
                                      ConditionExpression="n = :expected",
                                      ExpressionAttributeValues={":one": {"N": "1"},
                                                                 ":expected": {"N": cur}})
                        break
                    except ClientError as e:
                        if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                            raise
                        with lock:
                            figures["ccf_retries"] += 1
                else:
                    raise AssertionError(f"increment of c{k} never succeeded")
                with lock:
                    increments[k] += 1
                    figures["increments"] += 1
                # And a blind increment of one item everybody hits.
                c.update_item(TableName=counters, Key={"pk": {"S": "hot"}},
                              UpdateExpression="ADD n :one",
                              ExpressionAttributeValues={":one": {"N": "1"}})

                # Transfer between two accounts, counted in the same transaction.
                src, dst = rng.sample(range(ACCOUNTS), 2)
                amount = rng.randint(1, 20)
                if transfer(c, rng, src, dst, amount):
                    with lock:
                        moved[src] -= amount
                        moved[dst] += amount
                        figures["transfers"] += 1
        except Exception as e:  # noqa: BLE001
            with lock:
                figures["errors"] += 1
                errors.append(f"thread {tid}: {e!r}")

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
        assert not t.is_alive(), "a worker hung"
    figures["seconds"] = round(time.monotonic() - t0, 1)
    assert not errors, errors

    for k in range(COUNTERS):
        got = int(setup.get_item(TableName=counters, Key={"pk": {"S": f"c{k}"}},
                                 ConsistentRead=True)["Item"]["n"]["N"])
        assert got == increments[k], f"c{k}: {got} != {increments[k]} successful increments"
    assert sum(increments) == THREADS * OPS
    hot = int(setup.get_item(TableName=counters, Key={"pk": {"S": "hot"}},
                             ConsistentRead=True)["Item"]["n"]["N"])
    assert hot == THREADS * OPS, f"blind ADD counter {hot} != {THREADS * OPS}"
    txcount = int(setup.get_item(TableName=counters, Key={"pk": {"S": "txcount"}},
                                 ConsistentRead=True)["Item"]["n"]["N"])
    assert txcount == figures["transfers"]
    total = 0
    for i in range(ACCOUNTS):
        bal = int(setup.get_item(TableName=accounts, Key={"pk": {"S": f"acct{i}"}},
                                 ConsistentRead=True)["Item"]["bal"]["N"])
        assert bal == INITIAL + moved[i], f"acct{i}: {bal} != {INITIAL} + {moved[i]}"
        total += bal
    assert total == INITIAL * ACCOUNTS
    figures["ops"] = figures["increments"] + figures["transfers"]
    record_figures(f"concurrency[{'in-memory' if '--in-memory' in server.args else 'persistent'}]",
                   figures)
    assert server.alive()
