#!/usr/bin/python3
"""Crash safety of `cruddur ddb serve`: writers, SIGKILL at a random moment, restart, verify.

Each cycle starts the server on one data dir, runs writer threads against it, kills it with
SIGKILL at a random moment, restarts it on the same dir and checks:
  * every acknowledged PutItem / BatchWriteItem item is present and intact (an unacknowledged one
    may be present, but then intact);
  * every counter (UpdateItem ADD n 1) is within [acked, acked + unknown outcome];
  * transfers (TransactWriteItems across two tables plus a log item) are all-or-nothing: each
    account balance equals its initial value plus the logged transfers, and acked logs exist;
  * the GSI equals the table's items that carry the index key (both ways, all attributes), by
    Scan of the index and by Query of every index key;
  * the stream holds exactly the committed changes: sequence numbers increase, every record's
    OldImage is the previous record's NewImage for its key (no lost, duplicated or phantom
    change), the last image of every key equals the table, one INSERT per unique put, one
    record per counter increment — read across the stream's shards, which rotate every 500
    records (each read after its parent).
Usage: crash_harness.py [--cycles N] [--seconds-per-cycle S] [--seed X] [--keep DIR]
"""

import argparse
import os
import random
import sys
import tempfile
import threading
import time

import pytest
from botocore.exceptions import BotoCoreError, ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from relutil import Server, make_client, record_figures, wait_table_active  # noqa: E402

T_MAIN = "rel_main"  # GSI by_g (g, pk) + NEW_AND_OLD_IMAGES stream
T_XFER = "rel_xfer"  # accounts b#i and transfer logs x#...
INDEX = "by_g"
PAIRS = 4
INITIAL = 1000
COUNTERS = 4
REGROUP_ITEMS = 10

# Errors that mean "the request was refused, nothing was written".
REFUSED = {"ConditionalCheckFailedException", "TransactionCanceledException",
           "TransactionConflictException"}


class Failure(AssertionError):
    pass


def s(v):
    return {"S": v}


def n(v):
    return {"N": str(v)}


def num(attr):
    return int(attr["N"])


def is_transport_error(e):
    return isinstance(e, (BotoCoreError, OSError))


class Ledger:
    """What the writers know was acknowledged, and what has an unknown outcome."""

    def __init__(self):
        self.lock = threading.Lock()
        self.puts = {}            # (table, pk) -> item, acknowledged
        self.maybe_puts = {}      # (table, pk) -> item, outcome unknown
        self.counter_base = {}    # counter pk -> value verified at the start of the cycle
        self.counter_acked = {}   # this cycle
        self.counter_maybe = {}
        self.logs = {}            # log pk -> (pair, delta), acknowledged
        self.maybe_logs = {}
        self.regroup = {}         # pk -> item or None (deleted), acknowledged
        self.regroup_maybe = {}   # pk -> item or None: the one in-flight change at the kill
        self.stats = {"puts": 0, "batch_items": 0, "increments": 0, "transfers": 0,
                      "transfers_refused": 0, "regroups": 0, "unknown_outcome": 0,
                      "unexpected_errors": 0}
        self.errors = []

    def unexpected(self, what, e):
        with self.lock:
            self.stats["unexpected_errors"] += 1
            if len(self.errors) < 20:
                self.errors.append(f"{what}: {e!r}")


# --- schema ---------------------------------------------------------------------------------

def ensure_tables(client, ledger):
    existing = set(client.list_tables()["TableNames"])
    if T_MAIN not in existing:
        client.create_table(
            TableName=T_MAIN, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "g", "AttributeType": "S"}],
            GlobalSecondaryIndexes=[{
                "IndexName": INDEX,
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                              {"AttributeName": "pk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"}}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        wait_table_active(client, T_MAIN)
    if T_XFER not in existing:
        client.create_table(
            TableName=T_XFER, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        wait_table_active(client, T_XFER)
        # Seed items: written before any kill, so they are acknowledged like any put.
        for i in range(PAIRS):
            client.put_item(TableName=T_MAIN, Item={"pk": s(f"a#{i}"), "g": s("acct"),
                                                    "bal": n(INITIAL)})
            client.put_item(TableName=T_XFER, Item={"pk": s(f"b#{i}"), "bal": n(INITIAL)})
        for i in range(COUNTERS):
            client.put_item(TableName=T_MAIN, Item={"pk": s(f"c#{i}"), "g": s("ctr"), "n": n(0)})
            ledger.counter_base[f"c#{i}"] = 0
        for i in range(REGROUP_ITEMS):
            item = {"pk": s(f"r#{i}"), "g": s("grp#0"), "ver": n(0)}
            client.put_item(TableName=T_MAIN, Item=item)
            ledger.regroup[f"r#{i}"] = item


# --- writers --------------------------------------------------------------------------------

def payload(rng):
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8)) * \
        rng.randint(1, 200)


def put_writer(endpoint, ledger, stop, cycle, tid, seed):
    rng = random.Random(seed)
    c = make_client(endpoint)
    i = 0
    while not stop.is_set():
        pk = f"p#{cycle}#{tid}#{i}"
        item = {"pk": s(pk), "n": n(i), "data": s(payload(rng)),
                "tags": {"SS": [f"t{i % 7}", f"u{i % 3}"]}}
        if i % 3:
            item["g"] = s(f"grp#{i % 5}")
        try:
            c.put_item(TableName=T_MAIN, Item=item)
        except Exception as e:  # noqa: BLE001
            if is_transport_error(e):
                with ledger.lock:
                    ledger.maybe_puts[(T_MAIN, pk)] = item
                    ledger.stats["unknown_outcome"] += 1
                return
            ledger.unexpected("PutItem", e)
            return
        with ledger.lock:
            ledger.puts[(T_MAIN, pk)] = item
            ledger.stats["puts"] += 1
        i += 1


def batch_writer(endpoint, ledger, stop, cycle, tid, seed):
    rng = random.Random(seed)
    c = make_client(endpoint)
    i = 0
    while not stop.is_set():
        batch = {T_MAIN: [], T_XFER: []}
        items = {}
        for k in range(10):
            table = T_MAIN if k % 2 == 0 else T_XFER
            pk = f"q#{cycle}#{tid}#{i}#{k}"
            item = {"pk": s(pk), "v": s(payload(rng))}
            if table == T_MAIN and k % 4 == 0:
                item["g"] = s("batch")
            batch[table].append({"PutRequest": {"Item": item}})
            items[(table, pk)] = item
        try:
            out = c.batch_write_item(RequestItems=batch)
        except Exception as e:  # noqa: BLE001
            if is_transport_error(e):
                with ledger.lock:
                    ledger.maybe_puts.update(items)
                    ledger.stats["unknown_outcome"] += 1
                return
            ledger.unexpected("BatchWriteItem", e)
            return
        unprocessed = set()
        for table, reqs in out.get("UnprocessedItems", {}).items():
            for r in reqs:
                unprocessed.add((table, r["PutRequest"]["Item"]["pk"]["S"]))
        with ledger.lock:
            for key, item in items.items():
                if key in unprocessed:
                    ledger.maybe_puts[key] = item  # never written; "maybe" keeps it honest
                else:
                    ledger.puts[key] = item
                    ledger.stats["batch_items"] += 1
        i += 1


def counter_writer(endpoint, ledger, stop, seed):
    rng = random.Random(seed)
    c = make_client(endpoint)
    while not stop.is_set():
        pk = f"c#{rng.randrange(COUNTERS)}"
        try:
            c.update_item(TableName=T_MAIN, Key={"pk": s(pk)}, UpdateExpression="ADD n :one",
                          ExpressionAttributeValues={":one": n(1)})
        except Exception as e:  # noqa: BLE001
            if is_transport_error(e):
                with ledger.lock:
                    ledger.counter_maybe[pk] = ledger.counter_maybe.get(pk, 0) + 1
                    ledger.stats["unknown_outcome"] += 1
                return
            ledger.unexpected("UpdateItem ADD", e)
            return
        with ledger.lock:
            ledger.counter_acked[pk] = ledger.counter_acked.get(pk, 0) + 1
            ledger.stats["increments"] += 1


def transfer_writer(endpoint, ledger, stop, cycle, tid, seed):
    rng = random.Random(seed)
    c = make_client(endpoint)
    i = 0
    while not stop.is_set():
        pair = rng.randrange(PAIRS)
        delta = rng.choice([-1, 1]) * rng.randint(1, 50)  # moved from a#pair to b#pair
        log_pk = f"x#{cycle}#{tid}#{i}"
        i += 1
        items = [
            {"Update": {"TableName": T_MAIN, "Key": {"pk": s(f"a#{pair}")},
                        "UpdateExpression": "SET bal = bal - :d",
                        "ConditionExpression": "bal >= :min",
                        "ExpressionAttributeValues": {":d": n(delta), ":min": n(max(delta, 0))}}},
            {"Update": {"TableName": T_XFER, "Key": {"pk": s(f"b#{pair}")},
                        "UpdateExpression": "SET bal = bal + :d",
                        "ConditionExpression": "bal >= :min",
                        "ExpressionAttributeValues": {":d": n(delta), ":min": n(max(-delta, 0))}}},
            {"Put": {"TableName": T_XFER,
                     "Item": {"pk": s(log_pk), "pair": n(pair), "delta": n(delta)},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
        ]
        try:
            c.transact_write_items(TransactItems=items)
        except ClientError as e:
            if e.response["Error"]["Code"] in REFUSED:
                with ledger.lock:
                    ledger.stats["transfers_refused"] += 1
                continue
            ledger.unexpected("TransactWriteItems", e)
            return
        except Exception as e:  # noqa: BLE001
            if is_transport_error(e):
                with ledger.lock:
                    ledger.maybe_logs[log_pk] = (pair, delta)
                    ledger.stats["unknown_outcome"] += 1
                return
            ledger.unexpected("TransactWriteItems", e)
            return
        with ledger.lock:
            ledger.logs[log_pk] = (pair, delta)
            ledger.stats["transfers"] += 1


def regroup_writer(endpoint, ledger, stop, seed):
    """Moves items between GSI partitions, drops them from the index, deletes and recreates."""
    rng = random.Random(seed)
    c = make_client(endpoint)
    while not stop.is_set():
        pk = f"r#{rng.randrange(REGROUP_ITEMS)}"
        with ledger.lock:
            current = ledger.regroup[pk]
        ver = num(current["ver"]) if current else 0
        roll = rng.random()
        try:
            if current is not None and roll < 0.1:
                after = None
                ledger.regroup_maybe[pk] = after
                c.delete_item(TableName=T_MAIN, Key={"pk": s(pk)})
            elif roll < 0.3:
                after = {"pk": s(pk), "ver": n(ver + 1)}
                ledger.regroup_maybe[pk] = after
                c.update_item(TableName=T_MAIN, Key={"pk": s(pk)},
                              UpdateExpression="SET ver = if_not_exists(ver, :z) + :one REMOVE g",
                              ExpressionAttributeValues={":z": n(0), ":one": n(1)})
            else:
                g = f"grp#{rng.randrange(5)}"
                after = {"pk": s(pk), "ver": n(ver + 1), "g": s(g)}
                ledger.regroup_maybe[pk] = after
                c.update_item(TableName=T_MAIN, Key={"pk": s(pk)},
                              UpdateExpression="SET ver = if_not_exists(ver, :z) + :one, g = :g",
                              ExpressionAttributeValues={":z": n(0), ":one": n(1), ":g": s(g)})
        except Exception as e:  # noqa: BLE001
            if is_transport_error(e):
                with ledger.lock:
                    ledger.stats["unknown_outcome"] += 1
                return  # regroup_maybe keeps the in-flight change
            ledger.unexpected("regroup", e)
            ledger.regroup_maybe.pop(pk, None)
            return
        with ledger.lock:
            ledger.regroup[pk] = after
            ledger.regroup_maybe.pop(pk, None)
            ledger.stats["regroups"] += 1


# --- verification ---------------------------------------------------------------------------

def scan_all(client, table, index=None):
    items = {}
    kwargs = {"TableName": table}
    if index:
        kwargs["IndexName"] = index
    else:
        kwargs["ConsistentRead"] = True
    while True:
        page = client.scan(**kwargs)
        for item in page["Items"]:
            pk = item["pk"]["S"]
            if pk in items:
                raise Failure(f"{table}{'/' + index if index else ''}: {pk} returned twice")
            items[pk] = item
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def query_index(client, g):
    items = {}
    kwargs = {"TableName": T_MAIN, "IndexName": INDEX, "KeyConditionExpression": "g = :g",
              "ExpressionAttributeValues": {":g": s(g)}}
    while True:
        page = client.query(**kwargs)
        for item in page["Items"]:
            items[item["pk"]["S"]] = item
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class StreamChecker:
    """Replays the stream of T_MAIN, checking that each record continues its key's history."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.images = {}    # pk -> last NewImage (None after REMOVE)
        self.counts = {}    # pk -> number of records
        self.last_seq = None
        self.records = 0

    def read(self, streams, arn, full):
        if full:
            self.reset()
        # The shards rotate (the server runs with a small --shard-rotation-records): each is
        # read after its parent, from after the last record seen when that is in its range.
        shards, start = [], None
        while True:
            args = {"StreamArn": arn, **({"ExclusiveStartShardId": start} if start else {})}
            desc = streams.describe_stream(**args)["StreamDescription"]
            shards += desc["Shards"]
            start = desc.get("LastEvaluatedShardId")
            if not start:
                break
        for i, shard in enumerate(shards):
            if i and shard.get("ParentShardId") != shards[i - 1]["ShardId"]:
                raise Failure(f"shard {shard['ShardId']} does not follow its parent")
            rng = shard["SequenceNumberRange"]
            end = rng.get("EndingSequenceNumber")
            if self.last_seq is not None and end is not None and int(end) <= self.last_seq:
                continue
            args = {"StreamArn": arn, "ShardId": shard["ShardId"]}
            if self.last_seq is None or self.last_seq < int(rng["StartingSequenceNumber"]):
                args["ShardIteratorType"] = "TRIM_HORIZON"
            else:
                args.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                            SequenceNumber=str(self.last_seq))
            it = streams.get_shard_iterator(**args)["ShardIterator"]
            while it:
                out = streams.get_records(ShardIterator=it, Limit=1000)
                for r in out["Records"]:
                    self.apply(r)
                if not out["Records"]:
                    break
                it = out.get("NextShardIterator")

    def apply(self, r):
        d = r["dynamodb"]
        seq = int(d["SequenceNumber"])
        if self.last_seq is not None and seq <= self.last_seq:
            raise Failure(f"stream sequence numbers not increasing: {seq} after {self.last_seq}")
        self.last_seq = seq
        self.records += 1
        pk = d["Keys"]["pk"]["S"]
        prev = self.images.get(pk)
        new, old = d.get("NewImage"), d.get("OldImage")
        event = r["eventName"]
        expected_event = "REMOVE" if new is None else ("INSERT" if prev is None else "MODIFY")
        if event != expected_event:
            raise Failure(f"stream record {seq} for {pk}: {event}, expected {expected_event} "
                          f"(previous image {prev})")
        if old != prev:
            raise Failure(f"stream record {seq} for {pk}: OldImage {old} is not the previous "
                          f"NewImage {prev}: a change is missing, duplicated or phantom")
        if pk.startswith("c#") and prev is not None and new is not None:
            if num(new["n"]) != num(prev["n"]) + 1:
                raise Failure(f"counter {pk} stream: {num(prev['n'])} -> {num(new['n'])}")
        self.images[pk] = new
        self.counts[pk] = self.counts.get(pk, 0) + 1


def verify(client, streams, ledger, checker, full_stream):
    """Checks the restarted server against the ledger; adopts outcomes of unknown writes."""
    main = scan_all(client, T_MAIN)
    xfer = scan_all(client, T_XFER)
    tables = {T_MAIN: main, T_XFER: xfer}
    checked = 0

    # 1. Acknowledged puts present and intact; unknown ones absent or intact.
    for (table, pk), item in ledger.puts.items():
        got = tables[table].get(pk)
        if got != item:
            raise Failure(f"acknowledged put {table}/{pk} is {'missing' if got is None else got}")
        checked += 1
    for (table, pk), item in list(ledger.maybe_puts.items()):
        got = tables[table].get(pk)
        if got is not None:
            if got != item:
                raise Failure(f"unacknowledged put {table}/{pk} is torn: {got}")
            ledger.puts[(table, pk)] = item  # it committed: from now on it must stay
        checked += 1
    ledger.maybe_puts.clear()
    known = {pk for (_, pk) in ledger.puts}

    # 2. Counters within [base + acked, base + acked + maybe].
    for i in range(COUNTERS):
        pk = f"c#{i}"
        value = num(main[pk]["n"])
        low = ledger.counter_base[pk] + ledger.counter_acked.get(pk, 0)
        high = low + ledger.counter_maybe.get(pk, 0)
        if not low <= value <= high:
            raise Failure(f"counter {pk} = {value}, expected within [{low}, {high}]")
        ledger.counter_base[pk] = value
        checked += 1
    ledger.counter_acked.clear()
    ledger.counter_maybe.clear()

    # 3. Transfers: all or nothing.
    logs = {pk: (num(it["pair"]), num(it["delta"])) for pk, it in xfer.items()
            if pk.startswith("x#")}
    for pk, value in ledger.logs.items():
        if logs.get(pk) != value:
            raise Failure(f"acknowledged transfer {pk} {value}: log is {logs.get(pk)}")
    for pk, value in logs.items():
        if pk not in ledger.logs:
            if ledger.maybe_logs.get(pk) != value:
                raise Failure(f"transfer log {pk} {value} was never sent")
            ledger.logs[pk] = value
    ledger.maybe_logs.clear()
    moved = [0] * PAIRS
    for pair, delta in logs.values():
        moved[pair] += delta
    total = 0
    for i in range(PAIRS):
        a, b = num(main[f"a#{i}"]["bal"]), num(xfer[f"b#{i}"]["bal"])
        total += a + b
        if a != INITIAL - moved[i] or b != INITIAL + moved[i]:
            raise Failure(f"pair {i}: a={a} b={b}, logs moved {moved[i]}: half-applied "
                          f"transaction")
        checked += 2
    if total != 2 * INITIAL * PAIRS:
        raise Failure(f"sum of balances {total} != {2 * INITIAL * PAIRS}")

    # 4. Regrouped items: the acknowledged state or the one in-flight change.
    for pk, acked in ledger.regroup.items():
        got = main.get(pk)
        if got != acked:
            if pk in ledger.regroup_maybe and got == ledger.regroup_maybe[pk]:
                ledger.regroup[pk] = got
            else:
                raise Failure(f"{pk} is {got}, expected {acked} or "
                              f"{ledger.regroup_maybe.get(pk, '(nothing in flight)')}")
        checked += 1
    ledger.regroup_maybe.clear()

    # Nothing in the tables that no writer ever wrote.
    seeded = ({f"a#{i}" for i in range(PAIRS)} | {f"c#{i}" for i in range(COUNTERS)} |
              set(ledger.regroup))
    for pk in main:
        if pk not in known and pk not in seeded:
            raise Failure(f"{T_MAIN}/{pk} was never written")
    for pk in xfer:
        if pk not in known and pk not in logs and not pk.startswith("b#"):
            raise Failure(f"{T_XFER}/{pk} was never written")

    # 5. The GSI agrees with the table, both ways and attribute for attribute.
    expected_index = {pk: item for pk, item in main.items() if "g" in item}
    by_scan = scan_all(client, T_MAIN, INDEX)
    if by_scan != expected_index:
        missing = sorted(set(expected_index) - set(by_scan))[:5]
        extra = sorted(set(by_scan) - set(expected_index))[:5]
        stale = sorted(k for k in set(by_scan) & set(expected_index)
                       if by_scan[k] != expected_index[k])[:5]
        raise Failure(f"GSI scan != table: missing {missing} extra {extra} stale {stale}")
    by_query = {}
    for g in {item["g"]["S"] for item in expected_index.values()} | {"grp#0", "nothing"}:
        part = query_index(client, g)
        for pk, item in part.items():
            if item["g"]["S"] != g:
                raise Failure(f"GSI query g={g} returned {pk} with g={item['g']['S']}")
        by_query.update(part)
    if by_query != expected_index:
        raise Failure("GSI queries != table items with g")
    checked += len(expected_index)

    # 6. The stream holds exactly the committed changes.
    arn = client.describe_table(TableName=T_MAIN)["Table"]["LatestStreamArn"]
    checker.read(streams, arn, full_stream)
    live = {pk: img for pk, img in checker.images.items() if img is not None}
    if live != main:
        missing = sorted(set(main) - set(live))[:5]
        extra = sorted(set(live) - set(main))[:5]
        differ = sorted(k for k in set(main) & set(live) if main[k] != live[k])[:5]
        raise Failure(f"stream replay != table: no record for {missing}, phantom {extra}, "
                      f"different {differ}")
    for (table, pk) in ledger.puts:
        if table == T_MAIN and checker.counts.get(pk) != 1:
            raise Failure(f"put {pk} has {checker.counts.get(pk)} stream records, expected 1")
    if full_stream:
        for i in range(COUNTERS):
            pk = f"c#{i}"
            if checker.counts.get(pk) != ledger.counter_base[pk] + 1:  # INSERT + one per ADD
                raise Failure(f"counter {pk}: {checker.counts.get(pk)} stream records for "
                              f"value {ledger.counter_base[pk]}")
    return checked


# --- driver ---------------------------------------------------------------------------------

def run(cycles, seconds, seed, data_dir, log_dir, quiet=False, fsync=False):
    rng = random.Random(seed)
    ledger = Ledger()
    checker = StreamChecker()
    # --fsync: the writes a turn answers share one sync (group commit); what was acknowledged
    # must survive the kills all the same.
    server = Server(["--data-dir", data_dir, "--shard-rotation-records", "500"]
                    + (["--fsync"] if fsync else []),
                    os.path.join(log_dir, "crash-server.log"))
    figures = {"cycles": 0, "writes_verified": 0, "stream_records": 0, "restarts": 0}
    t0 = time.monotonic()
    server.start()
    client = make_client(server.endpoint)
    ensure_tables(client, ledger)
    try:
        for cycle in range(cycles):
            stop = threading.Event()
            seeds = [rng.getrandbits(32) for _ in range(8)]
            threads = [
                threading.Thread(target=put_writer,
                                 args=(server.endpoint, ledger, stop, cycle, 0, seeds[0])),
                threading.Thread(target=put_writer,
                                 args=(server.endpoint, ledger, stop, cycle, 1, seeds[1])),
                threading.Thread(target=batch_writer,
                                 args=(server.endpoint, ledger, stop, cycle, 2, seeds[2])),
                threading.Thread(target=counter_writer,
                                 args=(server.endpoint, ledger, stop, seeds[3])),
                threading.Thread(target=counter_writer,
                                 args=(server.endpoint, ledger, stop, seeds[4])),
                threading.Thread(target=transfer_writer,
                                 args=(server.endpoint, ledger, stop, cycle, 5, seeds[5])),
                threading.Thread(target=transfer_writer,
                                 args=(server.endpoint, ledger, stop, cycle, 6, seeds[6])),
                threading.Thread(target=regroup_writer,
                                 args=(server.endpoint, ledger, stop, seeds[7])),
            ]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.3, 1.0) * seconds)
            server.kill()  # SIGKILL mid-stream
            stop.set()
            for t in threads:
                t.join(timeout=30)
                if t.is_alive():
                    raise Failure("a writer thread did not finish 30 s after the kill")
            if ledger.stats["unexpected_errors"]:
                raise Failure(f"unexpected errors from the server: {ledger.errors}")
            server.start()
            figures["restarts"] += 1
            if cycle % 4 == 3:  # kill again while the server has just recovered
                time.sleep(rng.uniform(0, 0.1))
                server.kill()
                server.start()
                figures["restarts"] += 1
            client = make_client(server.endpoint)
            streams = make_client(server.endpoint, service="dynamodbstreams")
            full = cycle == cycles - 1 or cycle % 10 == 0
            checked = verify(client, streams, ledger, checker, full)
            figures["cycles"] += 1
            figures["writes_verified"] = checked
            figures["stream_records"] = checker.records
            if not quiet:
                print(f"cycle {cycle + 1}/{cycles}: ok, {checked} items verified, "
                      f"{checker.records} stream records, stats {ledger.stats}", flush=True)
    finally:
        server.stop()
    figures.update(ledger.stats)
    figures["seconds"] = round(time.monotonic() - t0, 1)
    return figures


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cycles", type=int, default=3)
    p.add_argument("--seconds-per-cycle", type=float, default=3.0)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--keep", help="data dir to use (kept afterwards)")
    p.add_argument("--fsync", action="store_true", help="run the server with --fsync")
    a = p.parse_args(argv)
    seed = a.seed if a.seed is not None else random.SystemRandom().getrandbits(32)
    print(f"crash harness: {a.cycles} cycles x ~{a.seconds_per_cycle}s, seed {seed}"
          + (", --fsync" if a.fsync else ""), flush=True)
    with tempfile.TemporaryDirectory(prefix="cruddur-crash-") as tmp:
        data = a.keep or os.path.join(tmp, "data")
        try:
            figures = run(a.cycles, a.seconds_per_cycle, seed, data, tmp, fsync=a.fsync)
        except Failure as e:
            print(f"FAILED (seed {seed}): {e}", file=sys.stderr)
            return 1
    record_figures("crash", figures)
    print(f"survived {figures['cycles']} cycles, {figures['writes_verified']} items verified",
          flush=True)
    return 0


@pytest.mark.parametrize("fsync", [False, True], ids=["wal", "fsync"])
def test_crash_cycles(tmp_path, fsync):
    """CI version: 3 cycles of ~3 s, and 2 with --fsync (group commit); CRASH_CYCLES /
    CRASH_SECONDS override (--fsync runs at most 2)."""
    cycles = int(os.environ.get("CRASH_CYCLES", "3"))
    if fsync:
        cycles = min(2, cycles)
    seconds = float(os.environ.get("CRASH_SECONDS", "3"))
    seed = random.SystemRandom().getrandbits(32)
    print(f"seed {seed}")
    figures = run(cycles, seconds, seed, str(tmp_path / "data"), str(tmp_path), quiet=True,
                  fsync=fsync)
    record_figures("crash-fsync" if fsync else "crash", figures)
    assert figures["cycles"] == cycles
    assert figures["puts"] > 0 and figures["increments"] > 0 and figures["transfers"] > 0


def test_stream_checker_detects_lost_duplicated_and_phantom_changes():
    """The checker itself: a history with a gap, a repeat or a bad order must not pass."""
    def rec(seq, pk, event, old=None, new=None):
        d = {"SequenceNumber": str(seq), "Keys": {"pk": s(pk)}}
        if old is not None:
            d["OldImage"] = old
        if new is not None:
            d["NewImage"] = new
        return {"eventName": event, "dynamodb": d}
    v = [{"pk": s("k"), "v": n(i)} for i in range(3)]
    good = [rec(1, "k", "INSERT", new=v[0]), rec(2, "k", "MODIFY", v[0], v[1]),
            rec(3, "k", "REMOVE", old=v[1])]
    checker = StreamChecker()
    for r in good:
        checker.apply(r)
    assert checker.images == {"k": None} and checker.records == 3
    bad_histories = [
        [good[0], rec(2, "k", "MODIFY", v[1], v[2])],          # a change went missing
        [good[0], good[1], rec(3, "k", "MODIFY", v[0], v[1])],  # a change recorded twice
        [good[0], rec(1, "k", "MODIFY", v[0], v[1])],          # sequence number not increasing
        [rec(1, "k", "MODIFY", v[0], v[1])],                    # history without its INSERT
        [good[0], rec(2, "k", "INSERT", new=v[1])],            # INSERT over a live item
    ]
    for history in bad_histories:
        checker = StreamChecker()
        try:
            for r in history:
                checker.apply(r)
        except Failure:
            continue
        raise AssertionError(f"checker accepted {history}")


if __name__ == "__main__":
    sys.exit(main())

