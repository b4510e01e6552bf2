"""Transaction conflicts: two TransactWriteItems racing on one item, 10,000 times.

PAIRS pairs of threads (RACES races in all, on a persistent server): in each race both threads
of a pair, released together by a barrier, send a TransactWriteItems that claims the race's item
(Put with attribute_not_exists(pk), naming itself the winner) and writes a log item of its own.
Exactly one wins. The other is cancelled whole: with TransactionConflict when it met the winner
in flight (as DynamoDB reports a transaction that meets another on one of its items, its
CancellationReasons carrying "TransactionConflict" / "Transaction is ongoing for the item" at
the item's index and "None" at the other), or with ConditionalCheckFailed when it came after.
At the end a Scan checks that no transaction was half applied: every race item names the winner,
whose log item exists, and no loser's log item does.
Then writes (PutItem, BatchWriteItem, TransactWriteItems) racing TransactGetItems of the same
items: the writes always succeed and a read that meets one in flight is cancelled.
TX_RACES / TX_PAIRS / TX_GET_ROUNDS override the sizes.
"""

import os
import threading
import time

import pytest

from relutil import RawClient, Server, create_pk_table, make_client, record_figures

RACES = int(os.environ.get("TX_RACES", "10000"))
PAIRS = int(os.environ.get("TX_PAIRS", "8"))
TABLE = "tx_races"
CONFLICT = {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("txrace")
    srv = Server(["--data-dir", str(tmp / "d")], tmp / "server.log").start()
    yield srv
    srv.stop()


def race_request(race, side):
    return {"TransactItems": [
        {"Put": {"TableName": TABLE,
                 "Item": {"pk": {"S": f"race#{race}"}, "winner": {"S": side}},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": f"log#{race}#{side}"}}}}]}


def test_racing_transactions_one_wins_the_other_is_cancelled_whole(server):
    setup = make_client(server.endpoint)
    create_pk_table(setup, TABLE)

    lock = threading.Lock()
    outcomes = {}  # (race, side) -> "won" | "conflict" | "condition"
    errors = []
    per_pair = RACES // PAIRS

    def side_worker(pair, side, barrier):
        client = RawClient(server.port)
        try:
            for i in range(per_pair):
                race = pair * per_pair + i
                barrier.wait(timeout=30)
                status, body = client.call("TransactWriteItems", race_request(race, side))
                if status == 200:
                    outcome = "won"
                elif body.get("__type", "").endswith("#TransactionCanceledException"):
                    reasons = body.get("CancellationReasons")
                    if reasons == [CONFLICT, {"Code": "None"}]:
                        outcome = "conflict"
                    elif [r["Code"] for r in reasons or []] == ["ConditionalCheckFailed", "None"]:
                        outcome = "condition"
                    else:
                        raise AssertionError(f"race {race}: reasons {reasons}")
                else:
                    raise AssertionError(f"race {race}: {status} {body}")
                with lock:
                    outcomes[(race, side)] = outcome
        except Exception as e:  # noqa: BLE001
            barrier.abort()
            with lock:
                errors.append(f"pair {pair} side {side}: {e!r}")
        finally:
            client.close()

    t0 = time.monotonic()
    threads = []
    for pair in range(PAIRS):
        barrier = threading.Barrier(2)
        threads += [threading.Thread(target=side_worker, args=(pair, side, barrier))
                    for side in ("L", "R")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
        assert not t.is_alive(), "a racer hung"
    seconds = time.monotonic() - t0
    assert not errors, errors

    items = set()
    winners = {}
    kwargs = {"TableName": TABLE, "ConsistentRead": True}
    while True:
        page = setup.scan(**kwargs)
        for item in page["Items"]:
            items.add(item["pk"]["S"])
            if "winner" in item:
                winners[item["pk"]["S"]] = item["winner"]["S"]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    races = per_pair * PAIRS
    conflicts = 0
    for race in range(races):
        got = {side: outcomes[(race, side)] for side in ("L", "R")}
        won = [side for side, o in got.items() if o == "won"]
        assert len(won) == 1, f"race {race}: {got}"
        loser = "R" if won[0] == "L" else "L"
        conflicts += got[loser] == "conflict"
        assert winners.get(f"race#{race}") == won[0], f"race {race}: item names another winner"
        assert f"log#{race}#{won[0]}" in items, f"race {race}: the winner's log item is missing"
        assert f"log#{race}#{loser}" not in items, f"race {race}: the loser half-applied"
    assert len(items) == 2 * races
    figures = {"races": races, "conflicts": conflicts, "condition_failed": races - conflicts,
               "seconds": round(seconds, 1)}
    record_figures("transaction_races", figures)
    # Barrier-released pairs overlap often enough that some races end in a conflict.
    assert conflicts > 0, figures
    assert server.alive()


# Writes racing TransactGetItems of the same items. AWS, "Transaction conflict handling in
# DynamoDB": "An item within a TransactGetItems request is part of an ongoing TransactWriteItems,
# BatchWriteItem, PutItem, UpdateItem, or DeleteItem request" is a conflict, and the reference of
# TransactionCanceledException: "There is an ongoing TransactGetItems operation that conflicts with
# a concurrent PutItem, UpdateItem, DeleteItem or TransactWriteItems request. In this case the
# TransactGetItems operation fails". So the writes always succeed (BatchWriteItem whole, no
# UnprocessedItems), and each TransactGetItems either reads a snapshot (both items written by the
# same transaction agree) or is cancelled with TransactionConflict at the written item.
# Reads until a few have met a write: about 1 in 1,500 reads meets a single write's short lock.
GET_ROUNDS = int(os.environ.get("TX_GET_ROUNDS", "30000"))
GET_TABLE = "tx_get_races"


@pytest.fixture(scope="module")
def get_table(server):
    setup = make_client(server.endpoint)
    create_pk_table(setup, GET_TABLE)
    return GET_TABLE


def write_request(kind, n):
    item = {"pk": {"S": "pair#a"}, "n": {"N": str(n)}}
    if kind == "PutItem":
        return {"TableName": GET_TABLE, "Item": item}
    if kind == "BatchWriteItem":
        return {"RequestItems": {GET_TABLE: [{"PutRequest": {"Item": item}}]}}
    # TransactWriteItems: both items of the pair, so a read that succeeds must see them agree.
    other = {"pk": {"S": "pair#b"}, "n": {"N": str(n)}}
    return {"TransactItems": [{"Put": {"TableName": GET_TABLE, "Item": item}},
                              {"Put": {"TableName": GET_TABLE, "Item": other}}]}


# PartiQL's ExecuteTransaction of SELECTs is one TransactGetItems, and meets writes alike.
READS = {
    "TransactGetItems": {"TransactItems": [
        {"Get": {"TableName": GET_TABLE, "Key": {"pk": {"S": "pair#a"}}}},
        {"Get": {"TableName": GET_TABLE, "Key": {"pk": {"S": "pair#b"}}}}]},
    "ExecuteTransaction": {"TransactStatements": [
        {"Statement": f"SELECT * FROM {GET_TABLE} WHERE pk = 'pair#a'"},
        {"Statement": f"SELECT * FROM {GET_TABLE} WHERE pk = 'pair#b'"}]},
}


@pytest.mark.parametrize("read_op", list(READS))
@pytest.mark.parametrize("kind", ["PutItem", "BatchWriteItem", "TransactWriteItems"])
def test_writes_racing_transact_gets_succeed_and_cancel_the_reads(server, get_table, kind,
                                                                 read_op):
    client = RawClient(server.port)
    status, body = client.call("TransactWriteItems", write_request("TransactWriteItems", 0))
    assert status == 200, body
    stop = threading.Event()
    write_errors = []
    writes = [0]

    def writer():
        w = RawClient(server.port)
        try:
            n = 0
            while not stop.is_set():
                n += 1
                status, body = w.call(kind, write_request(kind, n))
                if status != 200 or body.get("UnprocessedItems"):
                    write_errors.append((status, body))
                    return
                writes[0] = n
        finally:
            w.close()

    t = threading.Thread(target=writer)
    t.start()
    conflicts = reads = 0
    try:
        for _ in range(GET_ROUNDS):
            status, body = client.call(read_op, READS[read_op])
            if status == 200:
                reads += 1
                a, b = (r["Item"]["n"]["N"] for r in body["Responses"])
                if kind == "TransactWriteItems":
                    assert a == b, f"a torn read: {body}"
                continue
            assert body.get("__type", "").endswith("#TransactionCanceledException"), body
            reasons = body.get("CancellationReasons")
            # Only the written items conflict: pair#a always, pair#b when a transaction wrote it.
            expected = [[CONFLICT, {"Code": "None"}]]
            if kind == "TransactWriteItems":
                expected += [[CONFLICT, CONFLICT], [{"Code": "None"}, CONFLICT]]
            assert reasons in expected, reasons
            conflicts += 1
            if conflicts >= 5 and reads >= 20:
                break
    finally:
        stop.set()
        t.join(timeout=60)
        client.close()
    assert not write_errors, write_errors[:1]
    figures = {"kind": kind, "reads": reads, "conflicts": conflicts, "writes": writes[0]}
    record_figures(f"{read_op}_races_{kind}", figures)
    # The writer loops all along, so some reads meet a write in flight and are cancelled.
    assert conflicts > 0 and reads > 0, figures
    assert server.alive()


def test_batch_writes_racing_transactions_wait_for_them(server, get_table):
    """BatchWriteItem is not among the requests that conflict with an ongoing TransactWriteItems
    (AWS, "Transaction conflict handling in DynamoDB" names PutItem, UpdateItem, DeleteItem and
    TransactWriteItems), TransactionConflictException is not among its errors (botocore's model),
    and UnprocessedItems are for throughput or internal failures: every batch put is applied."""
    client = RawClient(server.port)
    stop = threading.Event()
    outcomes = {"applied": 0, "conflicts": 0}
    errors = []

    def transactions():
        w = RawClient(server.port)
        try:
            n = 0
            while not stop.is_set():
                n -= 1
                status, body = w.call("TransactWriteItems", write_request("TransactWriteItems", n))
                if status == 200:
                    outcomes["applied"] += 1
                elif body.get("CancellationReasons", [{}])[0] == CONFLICT:
                    outcomes["conflicts"] += 1
                else:
                    errors.append((status, body))
                    return
        finally:
            w.close()

    t = threading.Thread(target=transactions)
    t.start()
    try:
        for n in range(1, 1001):
            status, body = client.call("BatchWriteItem", write_request("BatchWriteItem", n))
            assert status == 200 and not body["UnprocessedItems"], (status, body)
    finally:
        stop.set()
        t.join(timeout=60)
        client.close()
    assert not errors, errors[:1]
    record_figures("batch_write_races", dict(outcomes))
    assert outcomes["applied"] > 0
    assert server.alive()
