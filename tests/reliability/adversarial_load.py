#!/usr/bin/env python3
"""Adversarial load test (issue 14): one server under a mix of valid, slow, unfinished, huge,
deep and malformed traffic from N concurrent connections for a fixed time.

    /usr/bin/python3 tests/reliability/adversarial_load.py [--duration SECONDS]
        [--connections N] [--target ddb|api|both] [--no-deep] [--rss-limit-mb MB] [--seed S]

Starts its own servers on 127.0.0.1 (free ports, from CRUDDUR_BIN, default build/cruddur):
`cruddur ddb serve --in-memory` for --target ddb, and for --target api `cruddur serve` on a fresh
temporary data dir (users from `cruddur db setup`, development tokens from `cruddur auth token`,
three conversations created through the API). --target both runs the two at once, each with its
own N connections. The servers run with their default limits (src/http/server.h: header and body
timeouts 10 s, idle timeout 60 s, body limit 16 MB for DynamoDB and 64 KB for the API, in-flight
body budget 256 MB, connection limit from RLIMIT_NOFILE).

Each target's N connections are split into roles (each a thread with its own connections, so
that slow actions do not starve the rest; every role's choices are random):
- valid (half): requests with known answers, each answer checked. DynamoDB: PutItem then GetItem
  of a key no other connection writes (exact item back; 500 keys per connection, overwritten in
  turn, so that the data and the RSS level off), Query/BatchGetItem/PartiQL/GetItem/Scan of a
  seeded table (exact items, counts, pages), UpdateItem ADD and TransactWriteItems on shared
  counters (totals checked at the end), conditional updates on a per-connection version
  (UPDATED_NEW, and ConditionalCheckFailed with the old item), cancelled transactions, DeleteItem
  ALL_OLD. API: user lookups, posting to a conversation then reading it back, conversation
  lists, health, non-member 404s; at the end every acknowledged message is in its conversation
  exactly once.
- slow: slowloris headers (a byte a second), slow bodies (Content-Length and chunked), unfinished
  requests (headers then hang up, Content-Length larger than what is sent, half-close) and valid
  requests sent slowly in pieces (answer checked).
- huge: bodies of 100 MB announced and streamed (Content-Length and chunked), a million headers,
  1 MB header lines and targets, a 15 MB body, 1,000,000 ExpressionAttributeNames.
- idle: batches of connections held open 5-20 s and then used for a checked request; once, when
  the run is long enough, one connection left until the server's 60 s idle timeout closes it.
- deep: the issue's inputs (20,000 parentheses around `a<b` in ConditionExpression, FilterExpression
  and KeyConditionExpression, the nested `a<b and (a<b and (...))` chain, NOT chains, a 100,000
  term OR chain, if_not_exists nested 20,000 deep, ProjectionExpression / SET / REMOVE paths of
  20,000 elements and of `a` + 20,000 `[0]`, PartiQL with a WHERE in 3,000 parentheses) -- left
  out by --no-deep -- and JSON/items nested up to 1,000,000 levels (always). For the API:
  JSON nested to the 64 KB body limit.
- malformed: invalid JSON, wrong types, oversized lists, bad X-Amz-Target, bad tokens, bad
  routes, garbage bytes and bad HTTP.

Asserts, and exits 1 when one fails: the server processes stay up the whole time (checked every
second; the run stops at the first death) and answer at the end; every valid request gets its
correct answer (the only refusal allowed is the documented 503 overload answer, counted and
reported); every malicious request gets a 4xx/5xx answer or a closed connection within
HANG_BOUND seconds (slow clients: closed by the server within that bound); VmRSS, sampled every
second, stays under --rss-limit-mb (default 1024) for each server; the servers stop cleanly. Prints
a summary: requests by kind and outcome, valid answers verified, failures, RSS start/peak/end,
server CPU time. Every loop stops by itself: workers start no action after the deadline and
every action is bounded; a watchdog gives up DRAIN_BOUND seconds after the deadline.
"""

import argparse
import base64
import collections
import http.client
import json
import os
import random
import shutil
import socket
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "api"))

from abuse_test import raw_exchange  # noqa: E402
from relutil import RawClient, Server, cruddur_bin, record_figures  # noqa: E402
from serve_helpers import Process, cruddur, make_env  # noqa: E402
from test_limits import linger, raise_fd_limit  # noqa: E402

TABLE = "adv_items"  # written by the valid workers (unique keys, counters, versions)
SEED = "adv_seed"  # read only: NPART partitions of known items
NPART = 8
NCOUNTERS = 16
KEYS_PER_CONNECTION = 500
HEADER_TIMEOUT = 10.0  # http::ServerOptions defaults
BODY_TIMEOUT = 10.0
IDLE_TIMEOUT = 60.0
HANG_BOUND = 30.0  # an answer or a close within this, after the last byte sent (2 shared cores)
VALID_TIMEOUT = 30.0  # a valid request's answer
DRAIN_BOUND = 120.0  # after the deadline, for the actions in progress to end
MB = 1024 * 1024

DDB_AUTH = (b"Content-Type: application/x-amz-json-1.0\r\n"
            b"X-Amz-Date: 20240101T000000Z\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/"
            b"20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00\r\n")


# ----------------------------------------------------------------------------------------------
# Bookkeeping

class Refused(Exception):
    """The documented overload answer (503): allowed for valid requests, counted."""


class Wrong(Exception):
    """A valid request got a wrong answer."""


class Stats:
    def __init__(self, t0):
        self.t0 = t0
        self.lock = threading.Lock()
        self.kinds = {}  # (target, role, kind) -> Counter
        self.failures = []
        self.failure_count = 0
        self.http_requests = collections.Counter()  # target -> requests sent
        self.close_times = collections.defaultdict(list)  # (target, kind) -> seconds
        self.latencies = collections.defaultdict(list)  # target -> [(seconds, at)]

    def add(self, target, role, kind, outcome, ok, detail=None):
        with self.lock:
            c = self.kinds.setdefault((target, role, kind), collections.Counter())
            c["n"] += 1
            c["out:" + str(outcome)] += 1
            if ok:
                c["ok"] += 1
            elif outcome == "503":
                c["503"] += 1
            else:
                c["failed"] += 1
                self.failure_count += 1
                if len(self.failures) < 60:
                    self.failures.append((round(time.monotonic() - self.t0, 1), target, kind,
                                          str(outcome), str(detail)[:400]))

    def fail(self, target, what, detail):
        self.add(target, "check", what, "failed", False, detail)

    def latency(self, target, start, seconds):
        """A verified valid operation's time (its requests, one after another)."""
        with self.lock:
            self.latencies[target].append((seconds, round(start - self.t0, 1)))

    def count_requests(self, target, n=1):
        with self.lock:
            self.http_requests[target] += n

    def closed_after(self, target, kind, seconds):
        with self.lock:
            self.close_times[(target, kind)].append(seconds)


class Ctx:
    """What the workers share: deadline, stop flag, stats, rate limits."""

    def __init__(self, args):
        self.args = args
        self.t0 = time.monotonic()
        self.deadline = None
        self.stop = threading.Event()
        self.stats = Stats(self.t0)
        self.rate_lock = threading.Lock()
        self.last_run = {}

    def running(self):
        return not self.stop.is_set() and time.monotonic() < self.deadline

    def remaining(self):
        return self.deadline - time.monotonic()

    def allow(self, key, interval):
        """True at most once per `interval` seconds for `key` (expensive actions)."""
        with self.rate_lock:
            now = time.monotonic()
            if now - self.last_run.get(key, -1e9) < interval:
                return False
            self.last_run[key] = now
            return True

    def sleep(self, seconds):
        end = min(time.monotonic() + seconds, self.deadline)
        while time.monotonic() < end and not self.stop.is_set():
            time.sleep(min(0.2, max(0.0, end - time.monotonic())))


# ----------------------------------------------------------------------------------------------
# Raw HTTP helpers (raw_exchange from abuse_test sends one request and reads the answer)

def exchange(port, data, shutdown=False, bound=HANG_BOUND):
    """(outcome, detail): outcome is the status, "closed" (closed or reset without an answer),
    "hang" (neither within `bound`) or "refused" (could not connect)."""
    try:
        status, answer, closed = raw_exchange(port, data, timeout=bound, shutdown=shutdown)
    except ConnectionRefusedError as e:
        return "refused", repr(e)
    except (BrokenPipeError, ConnectionResetError) as e:
        return "closed", repr(e)
    except socket.timeout as e:
        return "hang", "timed out sending: " + repr(e)
    if status is not None:
        return status, answer[:300]
    return ("closed", answer[:300]) if closed else ("hang", answer[:300])


def stream_exchange(port, head, pieces, bound=HANG_BOUND):
    """Sends `head` then the byte strings of the iterable `pieces` until the server stops
    reading or closes, then reads its answer. Returns (outcome, detail, bytes sent)."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=bound)
    except ConnectionRefusedError as e:
        return "refused", repr(e), 0
    sent = 0
    try:
        try:
            s.sendall(head)
            for piece in pieces:
                s.sendall(piece)
                sent += len(piece)
        except socket.timeout:
            pass  # the server stopped reading (it answered, or waits for us to read)
        except OSError:
            pass  # it closed or reset the connection
        answer, closed = b"", False
        deadline = time.monotonic() + bound
        try:
            while time.monotonic() < deadline:
                chunk = s.recv(65536)
                if not chunk:
                    closed = True
                    break
                answer += chunk
                if complete_answer(answer):
                    break
        except socket.timeout:
            pass
        except OSError:
            closed = True
        if answer.startswith(b"HTTP/1."):
            return int(answer.split(b" ")[1]), answer[:300], sent
        return ("closed" if closed else "hang"), answer[:300], sent
    finally:
        s.close()


def complete_answer(answer):
    head, sep, body = answer.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return True


def read_response(sock, timeout=VALID_TIMEOUT):
    """(status, body bytes) of one response on `sock`."""
    sock.settimeout(timeout)
    resp = http.client.HTTPResponse(sock)
    resp.begin()
    return resp.status, resp.read()


def wait_closed(sock, bound):
    """Seconds until the server closes `sock` (EOF or reset), or None after `bound`."""
    start = time.monotonic()
    sock.settimeout(1.0)
    while time.monotonic() - start < bound:
        try:
            data = sock.recv(65536)
            if not data:
                return time.monotonic() - start
        except socket.timeout:
            continue
        except OSError:
            return time.monotonic() - start
    return None


def http_head(method, path, headers=b""):
    return (method + b" " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers)


# ----------------------------------------------------------------------------------------------
# Items and expected answers

def norm(value):
    """An attribute value / item in a comparable form (sets unordered)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in ("SS", "NS", "BS") and isinstance(v, list):
                out[k] = sorted(v)
            else:
                out[k] = norm(v)
        return out
    if isinstance(value, list):
        return [norm(v) for v in value]
    return value


def seed_item(p, sk):
    return {"pk": {"S": f"seed{p}"}, "sk": {"N": str(sk)}, "v": {"S": f"{p}:{sk}"},
            "sq": {"N": str(sk * sk)}, "tag": {"S": "even" if sk % 2 == 0 else "odd"},
            "l": {"L": [{"N": str(p)}, {"S": "x" * (sk % 5)}]}}


def seed_count(p):
    return 15 + 7 * p


TEXT = "abcxyz ÄéØ ☃ 😀 \" \\ / \t"


def random_text(rng, n):
    return "".join(rng.choice(TEXT) for _ in range(n))


def random_item(rng, key):
    item = dict(key)
    item["s"] = {"S": random_text(rng, rng.randrange(1, 60))}
    item["n"] = {"N": str(rng.randint(-10**15, 10**15))}
    item["d"] = {"N": rng.choice(["1.5", "-0.25", "12345.678", "3"])}
    item["b"] = {"B": base64.b64encode(rng.randbytes(rng.randrange(1, 40))).decode()}
    item["ss"] = {"SS": sorted({random_text(rng, 5) for _ in range(rng.randrange(1, 5))})}
    item["ns"] = {"NS": sorted({str(rng.randrange(-1000, 1000)) for _ in range(3)})}
    item["bool"] = {"BOOL": rng.random() < 0.5}
    item["null"] = {"NULL": True}
    item["l"] = {"L": [{"S": random_text(rng, 3)}, {"N": str(rng.randrange(100))},
                       {"L": [{"BOOL": False}]}, {"M": {"k": {"S": "v"}}}]}
    item["m"] = {"M": {"a": {"S": random_text(rng, 4)},
                       "b": {"M": {"c": {"NS": ["1", "2"]}, "d": {"L": []}}}}}
    if rng.random() < 0.2:
        item["big"] = {"S": "z" * rng.randrange(1000, 40000)}
    return item


def error_type(body):
    return str(body.get("__type", "")).rsplit("#", 1)[-1] if isinstance(body, dict) else ""


def is_conflict(body):
    """Whether an error answer is DynamoDB's for a write that met a transaction in flight: a
    TransactionConflictException, or a TransactionCanceledException for a TransactionConflict."""
    if error_type(body) == "TransactionConflictException":
        return True
    return error_type(body) == "TransactionCanceledException" and any(
        r.get("Code") == "TransactionConflict" for r in body.get("CancellationReasons", []))


# ----------------------------------------------------------------------------------------------
# DynamoDB: valid operations

class DdbValid:
    """One connection's valid DynamoDB traffic and what it knows the answers must be."""

    def __init__(self, ctx, target, wid, rng):
        self.ctx, self.target, self.wid, self.rng = ctx, target, wid, rng
        self.client = RawClient(target.port, timeout=VALID_TIMEOUT)
        self.n = 0
        self.live = {}  # sort key -> item put by this connection and not deleted since
        self.acked = collections.Counter()  # counter -> acknowledged additions
        self.unknown = collections.Counter()  # counter -> additions whose outcome is unknown
        self.version = None  # this connection's version item, None until created / when unsure

    def call(self, op, payload, expect=200, error=None, conflict_ok=False):
        """The answer's body; None when conflict_ok and the write met a transaction in flight on
        its item (refused whole, as DynamoDB refuses it: nothing applied)."""
        self.ctx.stats.count_requests(self.target.name)
        status, body = self.client.call(op, payload)
        if status == 503:
            raise Refused(f"{op}: 503 {str(body)[:200]}")
        if conflict_ok and status == 400 and is_conflict(body):
            return None
        if status != expect or (error and error_type(body) != error):
            raise Wrong(f"{op}: {status} {str(body)[:300]} (expected {expect} {error or ''})")
        return body

    def close(self):
        self.client.close()

    # the operations; each raises Wrong/Refused/transport errors, returns when verified
    def next_key(self):
        """This connection's next key: its own partition, KEYS_PER_CONNECTION sort keys reused
        in turn (overwritten), so that the table's size, and the server's RSS, level off."""
        self.n += 1
        return {"pk": {"S": f"u{self.wid}"}, "sk": {"N": str(self.n % KEYS_PER_CONNECTION)}}

    def put_get(self):
        key = self.next_key()
        item = random_item(self.rng, key)
        body = self.call("PutItem", {"TableName": TABLE, "Item": item})
        if body != {}:
            raise Wrong(f"PutItem answered {body}")
        got = self.call("GetItem", {"TableName": TABLE, "Key": key, "ConsistentRead": True})
        if norm(got.get("Item")) != norm(item):
            raise Wrong(f"GetItem {key}: {str(got)[:300]} != {str(item)[:300]}")
        self.live[key["sk"]["N"]] = item

    def delete(self):
        if not self.live:
            return self.put_get()
        item = self.live.pop(self.rng.choice(sorted(self.live)))
        key = {"pk": item["pk"], "sk": item["sk"]}
        body = self.call("DeleteItem", {"TableName": TABLE, "Key": key, "ReturnValues": "ALL_OLD"})
        if norm(body.get("Attributes")) != norm(item):
            raise Wrong(f"DeleteItem ALL_OLD {key}: {str(body)[:300]}")
        got = self.call("GetItem", {"TableName": TABLE, "Key": key, "ConsistentRead": True})
        if "Item" in got:
            raise Wrong(f"deleted {key} still there: {str(got)[:200]}")

    def query(self):
        rng = self.rng
        p = rng.randrange(NPART)
        lo = rng.randrange(seed_count(p))
        hi = rng.randrange(lo, seed_count(p))
        forward = rng.random() < 0.5
        filtered = rng.random() < 0.3
        count_only = rng.random() < 0.15
        expected = [seed_item(p, s) for s in range(lo, hi + 1) if not filtered or s % 2 == 0]
        if not forward:
            expected.reverse()
        payload = {"TableName": SEED, "ScanIndexForward": forward,
                   "KeyConditionExpression": "pk = :p AND sk BETWEEN :lo AND :hi",
                   "ExpressionAttributeValues": {":p": {"S": f"seed{p}"}, ":lo": {"N": str(lo)},
                                                 ":hi": {"N": str(hi)}},
                   "ConsistentRead": rng.random() < 0.5}
        if filtered:
            payload["FilterExpression"] = "tag = :t"
            payload["ExpressionAttributeValues"][":t"] = {"S": "even"}
        if count_only:
            payload["Select"] = "COUNT"
        limit = rng.choice([None, None, 1, 3, 7, 50])
        if limit:
            payload["Limit"] = limit
        items, count, scanned = [], 0, 0
        for _ in range(300):
            body = self.call("Query", payload)
            items += body.get("Items", [])
            count += body["Count"]
            scanned += body["ScannedCount"]
            if "LastEvaluatedKey" not in body:
                break
            payload["ExclusiveStartKey"] = body["LastEvaluatedKey"]
        else:
            raise Wrong("Query: more than 300 pages")
        if count != len(expected) or scanned != hi - lo + 1:
            raise Wrong(f"Query seed{p} [{lo},{hi}] filter={filtered}: Count {count} "
                        f"ScannedCount {scanned}, expected {len(expected)} / {hi - lo + 1}")
        if not count_only and norm(items) != norm(expected):
            raise Wrong(f"Query seed{p} [{lo},{hi}] fwd={forward}: items differ "
                        f"({[i['sk']['N'] for i in items][:20]})")

    def scan(self):
        x = self.rng.randrange(0, 60 * 60)
        payload = {"TableName": SEED, "FilterExpression": "sq >= :x", "Limit": 100,
                   "ExpressionAttributeValues": {":x": {"N": str(x)}}}
        expected = sum(1 for p in range(NPART) for s in range(seed_count(p)) if s * s >= x)
        total = sum(seed_count(p) for p in range(NPART))
        count, scanned = 0, 0
        for _ in range(100):
            body = self.call("Scan", payload)
            count += body["Count"]
            scanned += body["ScannedCount"]
            if any(int(i["sq"]["N"]) < x for i in body["Items"]):
                raise Wrong(f"Scan sq >= {x} returned smaller ones")
            if "LastEvaluatedKey" not in body:
                break
            payload["ExclusiveStartKey"] = body["LastEvaluatedKey"]
        if count != expected or scanned != total:
            raise Wrong(f"Scan sq >= {x}: Count {count} ScannedCount {scanned}, expected "
                        f"{expected} / {total}")

    def get_seed(self):
        p = self.rng.randrange(NPART)
        s = self.rng.randrange(seed_count(p))
        item = seed_item(p, s)
        body = self.call("GetItem", {"TableName": SEED, "Key": {"pk": item["pk"], "sk": item["sk"]},
                                     "ProjectionExpression": "v, #s, l[1]",
                                     "ExpressionAttributeNames": {"#s": "sq"}})
        want = {"v": item["v"], "sq": item["sq"], "l": {"L": [item["l"]["L"][1]]}}
        if body.get("Item") != want:
            raise Wrong(f"GetItem seed{p}/{s} projected: {body} != {want}")

    def batch_get(self):
        keys = set()
        while len(keys) < 10:
            p = self.rng.randrange(NPART)
            keys.add((p, self.rng.randrange(seed_count(p))))
        body = self.call("BatchGetItem", {"RequestItems": {SEED: {"Keys": [
            {"pk": {"S": f"seed{p}"}, "sk": {"N": str(s)}} for p, s in keys]}}})
        if body.get("UnprocessedKeys"):
            raise Wrong(f"BatchGetItem left keys unprocessed: {str(body)[:200]}")
        got = sorted((i["pk"]["S"], int(i["sk"]["N"]), json.dumps(norm(i), sort_keys=True))
                     for i in body["Responses"][SEED])
        want = sorted((f"seed{p}", s, json.dumps(norm(seed_item(p, s)), sort_keys=True))
                      for p, s in keys)
        if got != want:
            raise Wrong(f"BatchGetItem: {str(got)[:300]}")

    def partiql(self):
        p = self.rng.randrange(NPART)
        s = self.rng.randrange(seed_count(p))
        body = self.call("ExecuteStatement", {
            "Statement": f'SELECT * FROM "{SEED}" WHERE pk = ? AND sk = ?',
            "Parameters": [{"S": f"seed{p}"}, {"N": str(s)}]})
        if norm(body.get("Items")) != norm([seed_item(p, s)]):
            raise Wrong(f"ExecuteStatement seed{p}/{s}: {str(body)[:300]}")

    def counter_add(self):
        k = self.rng.randrange(NCOUNTERS)
        d = self.rng.randint(1, 5)
        self.unknown[k] += d
        body = self.call("UpdateItem", {
            "TableName": TABLE, "Key": {"pk": {"S": "ctr"}, "sk": {"N": str(k)}},
            "UpdateExpression": "ADD c :d", "ExpressionAttributeValues": {":d": {"N": str(d)}},
            "ReturnValues": "UPDATED_NEW"}, conflict_ok=True)
        self.unknown[k] -= d
        if body is None:
            return
        self.acked[k] += d
        if int(body["Attributes"]["c"]["N"]) < self.acked[k]:
            raise Wrong(f"counter {k} at {body} below this connection's own {self.acked[k]}")

    def transact_add(self):
        k1, k2 = self.rng.sample(range(NCOUNTERS), 2)
        d = self.rng.randint(1, 3)
        update = lambda k: {"Update": {  # noqa: E731
            "TableName": TABLE, "Key": {"pk": {"S": "ctr"}, "sk": {"N": str(k)}},
            "UpdateExpression": "ADD c :d", "ExpressionAttributeValues": {":d": {"N": str(d)}}}}
        self.unknown[k1] += d
        self.unknown[k2] += d
        body = self.call("TransactWriteItems", {"TransactItems": [update(k1), update(k2)]},
                         conflict_ok=True)
        for k in (k1, k2):
            self.unknown[k] -= d
            if body is None:
                continue
            self.acked[k] += d
        if body is not None and body != {}:
            raise Wrong(f"TransactWriteItems answered {body}")

    def transact_cancel(self):
        p = self.rng.randrange(NPART)
        k = self.rng.randrange(NCOUNTERS)
        body = self.call("TransactWriteItems", {"TransactItems": [
            {"ConditionCheck": {"TableName": SEED,
                                "Key": {"pk": {"S": f"seed{p}"}, "sk": {"N": "0"}},
                                "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "ctr"}, "sk": {"N": str(k)}},
                        "UpdateExpression": "ADD c :d",
                        "ExpressionAttributeValues": {":d": {"N": "1000000"}}}}]},
            expect=400, error="TransactionCanceledException")
        codes = [r.get("Code") for r in body.get("CancellationReasons", [])]
        # A conflict on the counter (another transaction on it), or on the seed item when
        # cond_fail_seed's PutItem of that same item is in flight (its sk 0: rare, but seen).
        if codes not in (["ConditionalCheckFailed", "None"], ["None", "TransactionConflict"],
                         ["TransactionConflict", "None"]):
            raise Wrong(f"CancellationReasons {codes}")

    def cond_fail_seed(self):
        p = self.rng.randrange(NPART)
        s = self.rng.randrange(seed_count(p))
        item = dict(seed_item(p, s), v={"S": "overwritten!"})
        body = self.call("PutItem", {"TableName": SEED, "Item": item,
                                     "ConditionExpression": "attribute_not_exists(pk)",
                                     "ReturnValuesOnConditionCheckFailure": "ALL_OLD"},
                         expect=400, error="ConditionalCheckFailedException")
        if norm(body.get("Item")) != norm(seed_item(p, s)):
            raise Wrong(f"ConditionalCheckFailed ALL_OLD: {str(body)[:300]}")

    def version_step(self):
        key = {"pk": {"S": "ver"}, "sk": {"N": str(self.wid)}}
        if self.version is None:
            got = self.call("GetItem", {"TableName": TABLE, "Key": key, "ConsistentRead": True})
            if "Item" not in got:
                self.call("PutItem", {"TableName": TABLE, "Item": dict(key, ver={"N": "0"}),
                                      "ConditionExpression": "attribute_not_exists(pk)"})
                self.version = 0
            else:
                self.version = int(got["Item"]["ver"]["N"])
            return
        v = self.version
        if self.rng.random() < 0.7:
            self.version = None  # unsure until answered
            body = self.call("UpdateItem", {
                "TableName": TABLE, "Key": key, "UpdateExpression": "SET ver = ver + :one",
                "ConditionExpression": "attribute_exists(pk) AND ver = :cur",
                "ExpressionAttributeValues": {":one": {"N": "1"}, ":cur": {"N": str(v)}},
                "ReturnValues": "UPDATED_NEW"})
            if body.get("Attributes") != {"ver": {"N": str(v + 1)}}:
                raise Wrong(f"version {v} + 1: {body}")
            self.version = v + 1
        else:
            stale = v + self.rng.choice([-1, 1, 7])
            body = self.call("UpdateItem", {
                "TableName": TABLE, "Key": key, "UpdateExpression": "SET ver = :bad",
                "ConditionExpression": "ver = :stale",
                "ExpressionAttributeValues": {":bad": {"N": "-1"}, ":stale": {"N": str(stale)}},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"},
                expect=400, error="ConditionalCheckFailedException")
            if body.get("Item", {}).get("ver") != {"N": str(v)}:
                raise Wrong(f"stale version {stale} (at {v}): {body}")

    OPS = {"put_get": 20, "delete": 5, "query": 15, "scan": 2, "get_seed": 6, "batch_get": 6,
           "partiql": 5, "counter_add": 14, "transact_add": 5, "transact_cancel": 4,
           "cond_fail_seed": 6, "version_step": 12}


# ----------------------------------------------------------------------------------------------
# API: valid operations

class ApiConn:
    """One keep-alive connection to `cruddur serve`."""

    def __init__(self, port, timeout=VALID_TIMEOUT):
        self.port, self.timeout, self.conn = port, timeout, None

    def call(self, method, path, token=None, body=None):
        headers = {}
        data = None
        if token:
            headers["Authorization"] = "Bearer " + token
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                       timeout=self.timeout)
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
            raw = resp.read()
            if resp.getheader("Connection", "").lower() == "close":
                self.close()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw
        return resp.status, parsed, resp

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class ApiSite:
    """The seeded `cruddur serve`: users, tokens, conversations, acknowledged messages."""

    HANDLES = ("andrewbrown", "londo", "bayko")

    def __init__(self):
        self.tokens = {}
        self.users = {}  # handle -> /short answer
        self.groups = {}  # frozenset of two handles -> group uuid
        self.acked = collections.defaultdict(list)  # group -> texts acknowledged
        self.maybe = collections.defaultdict(list)  # group -> texts of unknown outcome
        self.lock = threading.Lock()

    def member_groups(self, handle):
        return {g for pair, g in self.groups.items() if handle in pair}


class ApiValid:
    def __init__(self, ctx, target, wid, rng):
        self.ctx, self.target, self.wid, self.rng = ctx, target, wid, rng
        self.site = target.site
        self.conn = ApiConn(target.port)
        self.n = 0

    def call(self, method, path, handle=None, body=None, expect=200):
        self.ctx.stats.count_requests(self.target.name)
        token = self.site.tokens[handle] if handle else None
        status, parsed, resp = self.conn.call(method, path, token, body)
        if status == 503:
            raise Refused(f"{method} {path}: 503 {str(parsed)[:200]}")
        if status != expect:
            raise Wrong(f"{method} {path}: {status} {str(parsed)[:300]} (expected {expect})")
        return parsed, resp

    def close(self):
        self.conn.close()

    def text(self):
        self.n += 1
        return f"adv w{self.wid} #{self.n} {random_text(self.rng, self.rng.randrange(1, 80))}"

    def user_short(self):
        viewer = self.rng.choice(ApiSite.HANDLES)
        handle = self.rng.choice(ApiSite.HANDLES)
        body, _ = self.call("GET", f"/api/users/@{handle}/short", viewer)
        if body != self.site.users[handle]:
            raise Wrong(f"/short {handle}: {body} != {self.site.users[handle]}")

    def post_read(self):
        pair = self.rng.choice(sorted(self.site.groups, key=sorted))
        group = self.site.groups[pair]
        sender, reader = self.rng.sample(sorted(pair), 2)
        text = self.text()
        with self.site.lock:
            self.site.maybe[group].append(text)
        body, _ = self.call("POST", "/api/messages", sender,
                            {"message_group_uuid": group, "message": text})
        with self.site.lock:
            self.site.acked[group].append(text)
        if (body.get("message_group_uuid") != group or body.get("message") != text
                or body.get("handle") != sender or not body.get("uuid")):
            raise Wrong(f"POST /api/messages answered {body}")
        page, _ = self.call("GET", f"/api/messages/{group}?limit=100",
                            self.rng.choice([sender, reader]))
        mine = [m for m in page if m.get("uuid") == body["uuid"]]
        if mine:
            if mine[0].get("message") != text or mine[0].get("handle") != sender:
                raise Wrong(f"message read back as {mine[0]}")
        elif len(page) < 100:  # (a full page may have moved past it: checked at the end)
            raise Wrong(f"posted {body['uuid']} missing from the newest {len(page)}")

    def reuse_conversation(self):
        sender, other = self.rng.sample(ApiSite.HANDLES, 2)
        group = self.site.groups[frozenset((sender, other))]
        text = self.text()
        with self.site.lock:
            self.site.maybe[group].append(text)
        body, _ = self.call("POST", "/api/messages", sender, {"handle": other, "message": text})
        with self.site.lock:
            self.site.acked[group].append(text)
        if body != {"message_group_uuid": group}:
            raise Wrong(f"new conversation with {other} answered {body}, not {group}")

    def groups(self):
        handle = self.rng.choice(ApiSite.HANDLES)
        body, _ = self.call("GET", "/api/message_groups", handle)
        got = {g.get("uuid") for g in body}
        if got != self.site.member_groups(handle) or len(body) != len(got):
            raise Wrong(f"message_groups of {handle}: {got}")

    def health(self):
        body, _ = self.call("GET", "/api/health")
        if not body.get("success"):
            raise Wrong(f"health: {body}")

    def nonmember(self):
        pair = self.rng.choice(sorted(self.site.groups, key=sorted))
        outsider = next(h for h in ApiSite.HANDLES if h not in pair)
        group = self.site.groups[pair]
        if self.rng.random() < 0.5:
            self.call("GET", f"/api/messages/{group}", outsider, expect=404)
        else:
            self.call("POST", "/api/messages", outsider,
                      {"message_group_uuid": group, "message": "not a member"}, expect=404)

    def counter(self):
        body, _ = self.call("GET", "/api/messages/counter", self.rng.choice(ApiSite.HANDLES))
        if not isinstance(body.get("count"), int) or not isinstance(body.get("groups"), dict):
            raise Wrong(f"counter: {body}")

    OPS = {"user_short": 20, "post_read": 25, "reuse_conversation": 6, "groups": 15,
           "health": 4, "nonmember": 6, "counter": 4}


# ----------------------------------------------------------------------------------------------
# Hostile cases. Each is (kind, function(worker) -> (outcome, detail)); `expect` narrows the
# statuses allowed (default: any 4xx/5xx, or a closed connection).

def ddb_post(op, body, extra=b""):
    return (http_head(b"POST", b"/", DDB_AUTH + b"X-Amz-Target: DynamoDB_20120810." + op +
                      b"\r\n" + extra) + b"Content-Length: %d\r\n\r\n" % len(body) + body)


def ddb_json(op, payload):
    return ddb_post(op.encode(), json.dumps(payload).encode())


def generic_http_cases(path):
    """Bad HTTP, the same for both servers (`path`: where a POST would go)."""
    host = b"Host: 127.0.0.1\r\n"
    rng = random.Random(7)
    junk = bytes(rng.getrandbits(8) for _ in range(4096))
    post = b"POST " + path + b" HTTP/1.1\r\n" + host
    return {
        "http_garbage_line": (b"GARBAGE\r\n\r\n", False),
        "http_header_no_colon": (b"GET / HTTP/1.1\r\n" + host + b"Bad Header\r\n\r\n", False),
        "http_cl_not_number": (post + b"Content-Length: abc\r\n\r\n", False),
        "http_cl_negative": (post + b"Content-Length: -5\r\n\r\n", False),
        "http_cl_overflow": (post + b"Content-Length: 99999999999999999999999\r\n\r\n", False),
        "http_two_cl": (post + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", False),
        "http_cl_and_te": (post + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                           b"ZZ\r\n{}\r\n0\r\n\r\n", False),
        "http_bad_chunk": (post + b"Transfer-Encoding: chunked\r\n\r\nZZZ\r\n{}\r\n0\r\n\r\n",
                           False),
        "http_chunk_overflow": (post + b"Transfer-Encoding: chunked\r\n\r\n"
                                b"FFFFFFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n", False),
        "http_te_unknown": (post + b"Transfer-Encoding: gzip, zork\r\n\r\n{}", True),
        "http2_preface": (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", True),
        "http09": (b"GET /\r\n\r\n", True),
        "http_version_9": (b"POST " + path + b" HTTP/9.9\r\n" + host +
                           b"Content-Length: 2\r\n\r\n{}", True),
        "http_binary_junk": (junk, True),
        "http_nul_in_header": (b"GET / HTTP/1.1\r\n" + host + b"X-A: a\x00b\r\n\r\n", False),
        "http_space_before_colon": (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", False),
        "http_header_over_64k": (b"GET / HTTP/1.1\r\n" + host + b"X-Big: " + b"a" * 70000 +
                                 b"\r\n\r\n", False),
        "http_target_over_64k": (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n" + host + b"\r\n",
                                 False),
        "http_method_long": (b"X" * 5000 + b" / HTTP/1.1\r\n" + host + b"\r\n", True),
    }


def ddb_malformed_cases():
    key = {"pk": {"S": "junk"}, "sk": {"N": "1"}}
    cases = {}

    def json_case(name, op, payload):
        cases[name] = (ddb_json(op, payload), False)

    def raw_case(name, op, body):
        cases[name] = (ddb_post(op, body), False)

    raw_case("json_truncated", b"PutItem", b'{"TableName": "adv_items", "Item": {')
    raw_case("json_not_object", b"PutItem", b"[1,2,3]")
    raw_case("json_empty_body", b"GetItem", b"")
    raw_case("json_invalid_utf8", b"PutItem", b'{"TableName": "\xff\xfe"}')
    raw_case("json_trailing_garbage", b"GetItem", b'{"TableName":"adv_items"} xyz')
    raw_case("json_nan", b"Scan", b'{"TableName":"adv_items","Limit":NaN}')
    raw_case("json_control_chars", b"Scan", b'{"TableName":"adv\x01_items"}')
    raw_case("json_duplicate_members", b"GetItem",
             b'{"TableName":"adv_items","TableName":"x","Key":{}}')
    json_case("type_table_name_number", "GetItem", {"TableName": 5, "Key": key})
    json_case("type_key_list", "GetItem", {"TableName": TABLE, "Key": []})
    json_case("type_item_string", "PutItem", {"TableName": TABLE, "Item": "x"})
    json_case("type_limit_negative", "Scan", {"TableName": TABLE, "Limit": -1})
    json_case("type_limit_huge", "Scan", {"TableName": TABLE, "Limit": 1e30})
    json_case("type_n_not_number", "PutItem", {"TableName": TABLE, "Item": dict(
        key, x={"N": "abc"})})
    json_case("type_n_overflow", "PutItem", {"TableName": TABLE, "Item": dict(
        key, x={"N": "1e999"})})
    json_case("type_n_digits", "PutItem", {"TableName": TABLE, "Item": dict(
        key, x={"N": "1" * 100})})
    json_case("type_s_number", "PutItem", {"TableName": TABLE, "Item": dict(key, x={"S": 5})})
    json_case("type_unknown", "PutItem", {"TableName": TABLE, "Item": dict(key, x={"Q": "x"})})
    json_case("type_two_types", "PutItem", {"TableName": TABLE, "Item": dict(
        key, x={"S": "a", "N": "1"})})
    json_case("type_bad_base64", "PutItem", {"TableName": TABLE, "Item": dict(
        key, x={"B": "not base64!!"})})
    json_case("type_empty_set", "PutItem", {"TableName": TABLE, "Item": dict(key, x={"SS": []})})
    json_case("type_set_duplicates", "PutItem", {"TableName": TABLE, "Item": dict(
        key, x={"SS": ["a", "a"]})})
    json_case("type_bool_string", "PutItem", {"TableName": TABLE, "Item": dict(
        key, x={"BOOL": "maybe"})})  # ("yes" is accepted, as by DynamoDB)
    json_case("type_null_false", "PutItem", {"TableName": TABLE, "Item": dict(
        key, x={"NULL": False})})
    json_case("type_list_object", "PutItem", {"TableName": TABLE, "Item": dict(
        key, x={"L": {}})})
    json_case("type_key_missing_sk", "GetItem", {"TableName": TABLE, "Key": {"pk": {"S": "x"}}})
    json_case("type_key_wrong_type", "GetItem", {"TableName": TABLE, "Key": {
        "pk": {"N": "1"}, "sk": {"N": "1"}}})
    json_case("type_key_extra", "GetItem", {"TableName": TABLE, "Key": dict(key, z={"S": "x"})})
    json_case("type_select_bogus", "Query", {"TableName": TABLE, "Select": "NOPE",
                                             "KeyConditionExpression": "pk = :p",
                                             "ExpressionAttributeValues": {":p": {"S": "x"}}})
    json_case("type_consistent_string", "GetItem", {"TableName": TABLE, "Key": key,
                                                    "ConsistentRead": "yes"})
    json_case("unknown_table", "GetItem", {"TableName": "no_such_table", "Key": key})
    json_case("expr_syntax", "Scan", {"TableName": TABLE, "FilterExpression": "a <<>> b ("})
    json_case("expr_undefined_value", "Scan", {"TableName": TABLE, "FilterExpression": "a = :v"})
    json_case("expr_unknown_function", "Scan", {"TableName": TABLE,
                                                "FilterExpression": "frobnicate(a)"})
    json_case("expr_update_twice", "UpdateItem", {"TableName": TABLE, "Key": key,
                                                  "UpdateExpression": "SET a = :v SET b = :v",
                                                  "ExpressionAttributeValues": {":v": {"N": "1"}}})
    json_case("partiql_garbage", "ExecuteStatement", {"Statement": "SELEKT ** FROM"})
    json_case("partiql_no_table", "ExecuteStatement", {"Statement": 'SELECT * FROM "nope"'})
    json_case("batch_write_1000", "BatchWriteItem", {"RequestItems": {TABLE: [
        {"PutRequest": {"Item": {"pk": {"S": "junk"}, "sk": {"N": str(i)}}}}
        for i in range(1000)]}})
    json_case("batch_get_5000", "BatchGetItem", {"RequestItems": {TABLE: {"Keys": [
        {"pk": {"S": "junk"}, "sk": {"N": str(i)}} for i in range(5000)]}}})
    json_case("transact_1000", "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "junk"}, "sk": {"N": str(i)}}}}
        for i in range(1000)]})
    json_case("attributes_to_get_20000", "GetItem", {"TableName": TABLE, "Key": key,
                                                     "AttributesToGet": [f"a{i}" for i in
                                                                         range(20000)]})
    json_case("scan_bad_segments", "Scan", {"TableName": TABLE, "Segment": 5,
                                            "TotalSegments": 2})
    cases["target_missing"] = (http_head(b"POST", b"/", DDB_AUTH) +
                               b"Content-Length: 2\r\n\r\n{}", False)
    for name, target in (("target_unknown_op", b"DynamoDB_20120810.Frobnicate"),
                         ("target_wrong_prefix", b"Foo_1.PutItem"),
                         ("target_empty", b""), ("target_no_op", b"DynamoDB_20120810."),
                         ("target_long", b"DynamoDB_20120810." + b"P" * 20000),
                         ("target_lowercase", b"dynamodb_20120810.getitem")):
        cases[name] = (http_head(b"POST", b"/", DDB_AUTH + b"X-Amz-Target: " + target +
                                 b"\r\n") + b"Content-Length: 2\r\n\r\n{}", False)
    cases["no_authorization"] = (http_head(b"POST", b"/", b"X-Amz-Target: DynamoDB_20120810."
                                           b"ListTables\r\n") + b"Content-Length: 2\r\n\r\n{}",
                                 False)
    cases["wrong_method"] = (http_head(b"PUT", b"/", DDB_AUTH + b"X-Amz-Target: DynamoDB_"
                                       b"20120810.ListTables\r\n") +
                             b"Content-Length: 2\r\n\r\n{}", False)
    cases.update(generic_http_cases(b"/"))
    return cases


def paren(n, inner):
    return "(" * n + inner + ")" * n


def ddb_deep_cases(deep_expressions):
    """The issue's deep inputs (when `deep_expressions`) and deep JSON (always)."""
    P = 20000
    key = {"pk": {"S": "deep"}, "sk": {"N": "1"}}
    cases = {}

    def json_case(name, op, payload):
        cases[name] = (ddb_json(op, payload), False)

    if deep_expressions:
        json_case("cond_parens_20000", "PutItem", {"TableName": TABLE, "Item": key,
                                                   "ConditionExpression": paren(P, "a<b")})
        json_case("filter_parens_20000", "Scan", {"TableName": SEED, "Limit": 1,
                                                  "FilterExpression": paren(P, "a<b")})
        json_case("keycond_parens_20000", "Query", {
            "TableName": SEED, "KeyConditionExpression": paren(P, "pk = :p"),
            "ExpressionAttributeValues": {":p": {"S": "seed0"}}})
        json_case("and_chain_20000", "PutItem", {
            "TableName": TABLE, "Item": key,
            "ConditionExpression": "a<b and (" * P + "a<b" + ")" * P})
        json_case("not_chain_20000", "Scan", {"TableName": SEED, "Limit": 1,
                                              "FilterExpression": "NOT " * P + "a<b"})
        json_case("or_flat_100000", "PutItem", {
            "TableName": TABLE, "Item": key,
            "ConditionExpression": " OR ".join(["a<b"] * 100000)})
        json_case("if_not_exists_20000", "UpdateItem", {
            "TableName": TABLE, "Key": key,
            "UpdateExpression": "SET a = " + "if_not_exists(a, " * P + ":v" + ")" * P,
            "ExpressionAttributeValues": {":v": {"N": "1"}}})
        json_case("plus_chain_20000", "UpdateItem", {
            "TableName": TABLE, "Key": key, "UpdateExpression": "SET a = " + " + ".join(
                [":v"] * P), "ExpressionAttributeValues": {":v": {"N": "1"}}})
        json_case("projection_dots_20000", "GetItem", {"TableName": TABLE, "Key": key,
                                                       "ProjectionExpression": "a" + ".a" * P})
        json_case("projection_index_20000", "GetItem", {
            "TableName": TABLE, "Key": key, "ProjectionExpression": "a" + "[0]" * P})
        json_case("set_path_20000", "UpdateItem", {
            "TableName": TABLE, "Key": key, "UpdateExpression": "SET a" + ".a" * P + " = :v",
            "ExpressionAttributeValues": {":v": {"N": "1"}}})
        json_case("remove_index_20000", "UpdateItem", {
            "TableName": TABLE, "Key": key, "UpdateExpression": "REMOVE a" + "[0]" * P})
        json_case("partiql_parens_3000", "ExecuteStatement", {
            "Statement": f'SELECT * FROM "{SEED}" WHERE ' + paren(3000, "pk = 'seed0'")})
        json_case("partiql_update_parens_3000", "ExecuteStatement", {
            "Statement": f"UPDATE \"{TABLE}\" SET a = 1 WHERE pk = 'deep' AND sk = 1 AND " +
            paren(3000, "a < 2")})

    def nest(kind, n):
        pre, post = ('{"L":[', "]}") if kind == "L" else ('{"M":{"k":', "}}")
        return pre * n + '{"S":"x"}' + post * n

    cases["json_arrays_1000000"] = (ddb_post(b"PutItem", b'{"a":' + b"[" * 10**6 + b"]" * 10**6
                                             + b"}"), False)
    cases["json_objects_200000"] = (ddb_post(b"PutItem", b'{"a":' * 200000 + b"1" +
                                             b"}" * 200000), False)
    cases["item_L_5000"] = (ddb_post(b"PutItem", (
        '{"TableName":"%s","Item":{"pk":{"S":"deep"},"sk":{"N":"1"},"v":%s}}'
        % (TABLE, nest("L", 5000))).encode()), False)
    cases["item_M_450"] = (ddb_post(b"PutItem", (
        '{"TableName":"%s","Item":{"pk":{"S":"deep"},"sk":{"N":"1"},"v":%s}}'
        % (TABLE, nest("M", 450))).encode()), False)
    cases["eav_M_100000"] = (ddb_post(b"PutItem", (
        '{"TableName":"%s","Item":{"pk":{"S":"deep"},"sk":{"N":"1"}},"ConditionExpression":'
        '"v = :v","ExpressionAttributeValues":{":v":%s}}' % (TABLE, nest("M", 100000))
    ).encode()), False)
    cases["key_L_100000"] = (ddb_post(b"GetItem", (
        '{"TableName":"%s","Key":{"pk":%s,"sk":{"N":"1"}}}' % (TABLE, nest("L", 100000))
    ).encode()), False)
    return cases


def api_req(method, path, token=None, body=None, ctype=b"application/json", extra=b""):
    headers = extra
    if token is not None:
        headers += b"Authorization: Bearer " + token.encode() + b"\r\n"
    if body is not None:
        headers += b"Content-Type: " + ctype + b"\r\nContent-Length: %d\r\n" % len(body)
    return http_head(method.encode(), path.encode(), headers) + b"\r\n" + (body or b"")


def api_malformed_cases(site):
    """(bytes, half-close, statuses expected or None)."""
    tok = site.tokens["andrewbrown"]
    group = site.groups[frozenset(("londo", "bayko"))]  # andrewbrown is no member
    mine = site.groups[frozenset(("andrewbrown", "londo"))]
    head, payload, sig = tok.split(".")
    b64 = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa
    none_alg = b64({"alg": "none", "typ": "JWT"}) + "." + payload + "."
    flipped = "AAAA" if payload[-4:] != "AAAA" else "BBBB"
    tampered = head + "." + payload[:-4] + flipped + "." + sig
    post = lambda body, t=tok, **kw: api_req("POST", "/api/messages", t, body, **kw)  # noqa
    cases = {
        "no_token": (api_req("GET", "/api/message_groups"), False, {401}),
        "garbage_token": (api_req("GET", "/api/message_groups", "garbage"), False, {401}),
        "alg_none_token": (api_req("GET", "/api/message_groups", none_alg), False, {401}),
        "tampered_token": (api_req("GET", "/api/message_groups", tampered), False, {401}),
        "dots_token": (api_req("GET", "/api/message_groups", "." * 10000), False, {401}),
        "long_token": (api_req("GET", "/api/message_groups", "a" * 60000), False, {401, 431}),
        "json_invalid": (post(b'{"handle": "londo", "message": '), False, {400}),
        "json_array": (post(b'["londo"]'), False, {400}),
        "json_message_number": (post(b'{"handle":"londo","message":5}'), False, {400}),
        "json_invalid_utf8": (post(b'{"handle":"londo","message":"\xff\xfe"}'), False, {400}),
        "json_blank": (post(b"{}"), False, {422}),
        "message_too_long": (post(json.dumps({"handle": "londo", "message": "x" * 2000})
                                  .encode()), False, {422}),
        "handle_traversal": (post(json.dumps({"handle": "../../etc/passwd", "message": "x"})
                                  .encode()), False, {404, 422}),
        "body_over_64k": (post(b'{"message":"' + b"x" * 70000 + b'"}'), False, {413}),
        "nonmember_group": (api_req("GET", f"/api/messages/{group}", tok), False, {404}),
        "group_not_uuid": (api_req("GET", "/api/messages/not-a-uuid", tok), False, {404}),
        "group_bad_escape": (api_req("GET", "/api/messages/%zz", tok), False, {400}),
        "user_bad_handle": (api_req("GET", "/api/users/@bad%20handle/short", tok), False, {400}),
        "route_unknown": (api_req("GET", "/api/nothing", tok), False, {404}),
        "method_wrong": (api_req("DELETE", "/api/messages", tok), False, {405}),
        "limit_zero": (api_req("GET", f"/api/messages/{mine}?limit=0", tok), False, {400}),
        "limit_text": (api_req("GET", "/api/message_groups?limit=abc", tok), False, {400}),
        "cursor_long": (api_req("GET", "/api/message_groups?cursor=" + "A" * 600, tok), False,
                        {400}),
        "cursor_garbage": (api_req("GET", f"/api/messages/{mine}?cursor=%21%21%21", tok), False,
                           {400}),
        "static_traversal": (api_req("GET", "/../../etc/passwd"), False, {400, 404}),
        "static_encoded_traversal": (api_req("GET", "/%2e%2e/%2e%2e/etc/passwd"), False,
                                     {400, 404}),
        "static_nul": (api_req("GET", "/index.html%00.png"), False, {400, 404}),
        "dev_token_wrong_type": (api_req("POST", "/api/dev/token", None, b'{"handle":"londo"}',
                                         ctype=b"text/plain"), False, {415}),
        "dev_token_bad_handle": (api_req("POST", "/api/dev/token", None,
                                         b'{"handle":"../x"}'), False, {400}),
        "dev_token_invalid_json": (api_req("POST", "/api/dev/token", None, b'{"handle":'), False,
                                   {400}),
    }
    for name, (data, shut) in generic_http_cases(b"/api/messages").items():
        cases[name] = (data, shut, None)
    return cases


def api_deep_cases(site):
    tok = site.tokens["andrewbrown"]
    limit = 64 * 1024
    arrays = b"[" * (limit // 2) + b"]" * (limit // 2)
    objects = b'{"a":' * (limit // 6) + b"1" + b"}" * (limit // 6)
    mixed = b'[{"a":' * ((limit - 1) // 8) + b"1" + b"}]" * ((limit - 1) // 8)
    cases = {}
    # (an object nested 10,922 deep is well-formed: the messages route then wants its fields)
    for name, body, answers in (("arrays_32768", arrays, {400}),
                                ("objects_10922", objects, {400, 422}),
                                ("mixed_8191", mixed, {400}),
                                ("open_arrays_65536", b"[" * limit, {400})):
        cases["dev_token_" + name] = (api_req("POST", "/api/dev/token", None, body), False,
                                      {400})
        cases["messages_" + name] = (api_req("POST", "/api/messages", tok, body), False,
                                     answers)
    return cases


# ----------------------------------------------------------------------------------------------
# Workers

class Target:
    def __init__(self, name, port, proc, log_path):
        self.name, self.port, self.proc, self.log_path = name, port, proc, log_path
        self.site = None
        self.valid_workers = []
        self.malformed = {}
        self.deep = {}
        self.death = None

    def alive(self):
        return self.proc.poll() is None

    def log_tail(self, n=3000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return ""

    def valid_factory(self):
        return DdbValid if self.name == "ddb" else ApiValid

    def post_path(self):
        return b"/" if self.name == "ddb" else b"/api/messages"

    def headers(self):
        if self.name == "ddb":
            return DDB_AUTH + b"X-Amz-Target: DynamoDB_20120810.PutItem\r\n"
        return (b"Authorization: Bearer " + self.site.tokens["londo"].encode() +
                b"\r\nContent-Type: application/json\r\n")


def notice_death(ctx, target, outcome):
    """A worker that could not reach its server stops the run at once if the server is gone."""
    if outcome in ("refused", "error", "hang", "closed") and not target.alive():
        ctx.stop.set()


def judge(ctx, target, role, kind, outcome, detail, expect=None):
    notice_death(ctx, target, outcome)
    if isinstance(outcome, int):
        ok = 400 <= outcome <= 599 and (expect is None or outcome in expect)
        if outcome == 503 and expect is not None and 503 not in expect:
            ok = True  # the overload answer is always allowed (e.g. the body budget)
    elif outcome == "closed":
        ok = expect is None
    else:
        ok = outcome == "sent"
    ctx.stats.add(target.name, role, kind, outcome, ok, detail)


def run_valid(ctx, target, role, kind, fn):
    start = time.monotonic()
    try:
        fn()
        ctx.stats.latency(target.name, start, time.monotonic() - start)
        ctx.stats.add(target.name, role, kind, "verified", True)
    except Refused as e:
        ctx.stats.add(target.name, role, kind, "503", False, str(e))
    except Wrong as e:
        ctx.stats.add(target.name, role, kind, "wrong", False, str(e))
    except Exception as e:  # noqa: BLE001 (a transport error on a valid request is a failure)
        notice_death(ctx, target, "error")
        ctx.stats.add(target.name, role, kind, "error", False,
                      f"after {time.monotonic() - start:.1f}s: {e!r}")


def valid_worker(ctx, target, wid, rng):
    v = target.valid_factory()(ctx, target, wid, rng)
    target.valid_workers.append(v)
    names = list(v.OPS)
    weights = [v.OPS[k] for k in names]
    while ctx.running():
        kind = rng.choices(names, weights)[0]
        run_valid(ctx, target, "valid", kind, getattr(v, kind))
        if ctx.args.pace:
            time.sleep(ctx.args.pace)
    v.close()


def signed_valid_request(target, v):
    """(request bytes, check(status, body bytes)) for one valid request on a raw socket."""
    if target.name == "ddb":
        key = v.next_key()
        item = random_item(v.rng, key)
        body = json.dumps({"TableName": TABLE, "Item": item}).encode()
        headers = v.client.signed_headers("PutItem", body)
        raw = http_head(b"POST", b"/", b"".join(f"{k}: {val}\r\n".encode()
                                                for k, val in headers.items()))
        raw += b"Content-Length: %d\r\n\r\n" % len(body) + body

        def check(status, answer):
            if status == 503:
                raise Refused("503")
            if status != 200 or json.loads(answer) != {}:
                raise Wrong(f"slow PutItem: {status} {answer[:200]}")
            # A new connection: this one's last request may be over a minute old, and RawClient
            # does not check, as SDKs do, whether the server closed it meanwhile (idle_timeout).
            v.client.close()
            got = v.call("GetItem", {"TableName": TABLE, "Key": key, "ConsistentRead": True})
            if norm(got.get("Item")) != norm(item):
                raise Wrong(f"slow PutItem read back {str(got)[:200]}")
        return raw, check
    handle = v.rng.choice(ApiSite.HANDLES)
    raw = api_req("GET", f"/api/users/@{handle}/short", v.site.tokens[v.rng.choice(
        ApiSite.HANDLES)])

    def check(status, answer):
        if status == 503:
            raise Refused("503")
        if status != 200 or json.loads(answer) != v.site.users[handle]:
            raise Wrong(f"/short {handle}: {status} {answer[:200]}")
    return raw, check


def slow_worker(ctx, target, wid, rng):
    v = target.valid_factory()(ctx, target, wid, rng)
    port = target.port
    path = target.post_path()
    kinds = ["slowloris", "slow_body", "slow_chunked", "slow_valid", "headers_then_hangup",
             "cl_larger_hangup", "cl_larger_wait", "partial_headers_hangup",
             "partial_headers_half_close"]
    weights = [3, 2, 2, 4, 2, 2, 2, 2, 2]
    waits = ("slowloris", "slow_body", "slow_chunked", "cl_larger_wait",
             "partial_headers_half_close")
    while ctx.running():
        kind = rng.choices(kinds, weights)[0]
        if kind in waits and ctx.remaining() < HEADER_TIMEOUT + 3:
            kind = rng.choice(("slow_valid", "headers_then_hangup", "cl_larger_hangup"))
        try:
            if kind in ("slowloris", "slow_body", "slow_chunked"):
                k = rng.randint(1, 6)
                if kind == "slowloris":
                    head, trickle = http_head(b"POST", path), b"X-Slow: " + b"a" * 200
                elif kind == "slow_body":
                    # (under the body limit: DynamoDB's 16 MB, the API's 64 KB)
                    length = 100000 if target.name == "ddb" else 60000
                    head = (http_head(b"POST", path, target.headers()) +
                            b"Content-Length: %d\r\n\r\n{" % length)
                    trickle = b" " * 100
                else:
                    head = (http_head(b"POST", path, target.headers()) +
                            b"Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n")
                    trickle = b"1\r\n \r\n"
                socks = []
                for _ in range(k):
                    s = socket.create_connection(("127.0.0.1", port), timeout=5)
                    s.sendall(head)
                    socks.append(s)
                start = time.monotonic()
                closed = linger(socks, trickle, start, start + HANG_BOUND, interval=1.0)
                for s in socks:
                    if s in closed:
                        ctx.stats.closed_after(target.name, kind, closed[s])
                        judge(ctx, target, "slow", kind, "closed", None)
                    else:
                        judge(ctx, target, "slow", kind, "hang",
                              f"not closed after {HANG_BOUND}s")
                    s.close()
            elif kind == "slow_valid":
                raw, check = signed_valid_request(target, v)
                head, _, body = raw.partition(b"\r\n\r\n")
                head += b"\r\n\r\n"
                pieces = [head[:len(head) // 3], head[len(head) // 3:2 * len(head) // 3],
                          head[2 * len(head) // 3:]]
                step = max(1, len(body) // 4)
                pieces += [body[i:i + step] for i in range(0, len(body), step)]

                def slow_send():
                    s = socket.create_connection(("127.0.0.1", port), timeout=VALID_TIMEOUT)
                    try:
                        for i, piece in enumerate(pieces):
                            try:
                                s.sendall(piece)
                            except OSError as e:
                                raise OSError(f"piece {i + 1} of {len(pieces)}: {e!r}") from e
                            time.sleep(0.4)
                        ctx.stats.count_requests(target.name)
                        check(*read_response(s))
                    finally:
                        s.close()
                run_valid(ctx, target, "slow", kind, slow_send)
            else:
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                try:
                    full = (http_head(b"POST", path, target.headers()) +
                            b"Content-Length: 1000\r\n\r\n")
                    if kind == "headers_then_hangup":
                        s.sendall(full)
                        judge(ctx, target, "slow", kind, "sent", None)
                    elif kind == "cl_larger_hangup":
                        s.sendall(full + b"{" * 100)
                        judge(ctx, target, "slow", kind, "sent", None)
                    elif kind == "partial_headers_hangup":
                        s.sendall(full[:len(full) // 2])
                        judge(ctx, target, "slow", kind, "sent", None)
                    else:
                        if kind == "cl_larger_wait":
                            s.sendall(full + b"{" * 100)
                        else:
                            s.sendall(full[:len(full) // 2])
                            s.shutdown(socket.SHUT_WR)
                        after = wait_closed(s, HANG_BOUND)
                        if after is None:
                            judge(ctx, target, "slow", kind, "hang",
                                  f"not closed after {HANG_BOUND}s")
                        else:
                            ctx.stats.closed_after(target.name, kind, after)
                            judge(ctx, target, "slow", kind, "closed", None)
                finally:
                    s.close()
        except ConnectionRefusedError as e:
            judge(ctx, target, "slow", kind, "refused", repr(e))
        except OSError as e:  # e.g. a connect timeout
            judge(ctx, target, "slow", kind, "error", repr(e))
        time.sleep(0.05)
    v.close()


def huge_worker(ctx, target, wid, rng):
    port = target.port
    path = target.post_path()
    hdrs = target.headers()
    kinds = {"cl_100mb": 2.0, "chunked_100mb": 2.0, "million_headers": 2.0,
             "header_line_1mb": 0.5, "target_1mb": 0.5, "body_15mb": 5.0,
             "placeholders_1m": 20.0}
    if target.name == "api":
        kinds.pop("placeholders_1m")
    names = list(kinds)
    while ctx.running():
        kind = rng.choice(names)
        if not ctx.allow((target.name, kind), kinds[kind]):
            time.sleep(0.1)
            continue
        piece = b" " * MB
        if kind == "cl_100mb":
            head = http_head(b"POST", path, hdrs) + b"Content-Length: %d\r\n\r\n" % (100 * MB)
            outcome, detail, _ = stream_exchange(port, head, (piece for _ in range(100)))
        elif kind == "chunked_100mb":
            head = http_head(b"POST", path, hdrs) + b"Transfer-Encoding: chunked\r\n\r\n"
            chunks = (b"100000\r\n" + piece + b"\r\n" for _ in range(100))
            outcome, detail, _ = stream_exchange(port, head, chunks)
        elif kind == "million_headers":
            lines = b"".join(b"X-H%d: v\r\n" % i for i in range(5000))
            outcome, detail, _ = stream_exchange(port, http_head(b"POST", path),
                                                 (lines for _ in range(200)))
        elif kind == "header_line_1mb":
            outcome, detail = exchange(port, http_head(b"GET", b"/", b"X-Big: " + b"b" * MB +
                                                       b"\r\n") + b"\r\n")
        elif kind == "target_1mb":
            outcome, detail = exchange(port, b"GET /" + b"t" * MB + b" HTTP/1.1\r\n"
                                       b"Host: 127.0.0.1\r\n\r\n")
        elif kind == "body_15mb":
            body = b"{" + b" " * (15 * MB - 2) + b"}"
            outcome, detail, _ = stream_exchange(
                port, http_head(b"POST", path, hdrs) + b"Content-Length: %d\r\n\r\n" % len(body),
                [body])
        else:  # 1,000,000 ExpressionAttributeNames (14 MB), all unused
            names_json = ",".join('"#%d":"a"' % i for i in range(10**6))
            body = ('{"TableName":"%s","Key":{"pk":{"S":"x"},"sk":{"N":"1"}},'
                    '"ExpressionAttributeNames":{%s}}' % (TABLE, names_json)).encode()
            outcome, detail, _ = stream_exchange(port, ddb_post(b"GetItem", body), [])
        judge(ctx, target, "huge", kind, outcome, detail)
        time.sleep(0.2)


def idle_worker(ctx, target, wid, rng):
    v = target.valid_factory()(ctx, target, wid, rng)
    long_done = False
    while ctx.running():
        if not long_done and ctx.remaining() > IDLE_TIMEOUT + 20:
            long_done = True
            try:
                s = socket.create_connection(("127.0.0.1", target.port), timeout=5)
            except OSError as e:
                judge(ctx, target, "idle", "idle_until_timeout", "refused", repr(e))
                continue
            after = wait_closed(s, IDLE_TIMEOUT + HANG_BOUND)
            s.close()
            if after is None:
                judge(ctx, target, "idle", "idle_until_timeout", "hang", "never closed")
            else:
                ctx.stats.closed_after(target.name, "idle_until_timeout", after)
                early = after < IDLE_TIMEOUT - 2
                ctx.stats.add(target.name, "idle", "idle_until_timeout",
                              "closed early" if early else "closed", not early,
                              f"closed after {after:.1f}s")
            continue
        k = rng.randint(10, 40)
        socks = []
        try:
            for _ in range(k):
                socks.append(socket.create_connection(("127.0.0.1", target.port), timeout=5))
        except OSError as e:
            judge(ctx, target, "idle", "idle_hold", "refused", repr(e))
        ctx.sleep(rng.uniform(5, 20))
        for i, s in enumerate(socks):
            if i < 3:
                raw, check = signed_valid_request(target, v)

                def use(s=s, raw=raw, check=check):
                    s.sendall(raw)
                    ctx.stats.count_requests(target.name)
                    check(*read_response(s))
                run_valid(ctx, target, "idle", "idle_then_valid", use)
            else:
                s.setblocking(False)
                try:
                    early = s.recv(1) == b""
                except BlockingIOError:
                    early = False
                except OSError:
                    early = True
                ctx.stats.add(target.name, "idle", "idle_hold",
                              "closed early" if early else "held", not early,
                              "idle connection closed before the idle timeout")
            s.close()
    v.close()


def case_worker(role, cases_attr, pace):
    def worker(ctx, target, wid, rng):
        cases = getattr(target, cases_attr)
        names = sorted(cases)
        while ctx.running() and names:
            kind = rng.choice(names)
            case = cases[kind]
            data, shut = case[0], case[1]
            expect = case[2] if len(case) > 2 else None
            start = time.monotonic()
            outcome, detail = exchange(target.port, data, shutdown=shut)
            detail = f"after {time.monotonic() - start:.1f}s: {detail}"
            judge(ctx, target, role, kind, outcome, detail, expect)
            time.sleep(pace)
    return worker


ROLES = (("valid", valid_worker), ("slow", slow_worker), ("huge", huge_worker),
         ("idle", idle_worker), ("deep", case_worker("deep", "deep", 0.05)),
         ("malformed", case_worker("malformed", "malformed", 0.02)))


def role_counts(n):
    """How the N connections of a target are split into roles."""
    hostile = {"slow": max(1, round(n * 0.125)), "huge": max(1, round(n * 0.0625)),
               "idle": max(1, round(n * 0.0625)), "deep": max(1, round(n * 0.125)),
               "malformed": max(1, round(n * 0.125))}
    valid = n - sum(hostile.values())
    if valid < 2:
        raise SystemExit(f"--connections {n}: at least 8 are needed")
    return dict(valid=valid, **hostile)


def worker_main(ctx, target, role, fn, wid, seed):
    rng = random.Random(f"{seed}/{target.name}/{wid}")
    try:
        fn(ctx, target, wid, rng)
    except Exception:  # noqa: BLE001 (a bug of this script: reported as a failure)
        ctx.stats.fail(target.name, f"{role} worker crashed", traceback.format_exc())


# ----------------------------------------------------------------------------------------------
# Servers, seeding, final checks

def proc_status(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def proc_cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


def start_ddb(tmp):
    srv = Server(["--in-memory"], os.path.join(tmp, "ddb.log")).start()
    target = Target("ddb", srv.port, srv.proc, srv.log_path)
    target.server = srv
    c = RawClient(srv.port, timeout=VALID_TIMEOUT)
    for table in (TABLE, SEED):
        status, body = c.call("CreateTable", {
            "TableName": table, "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                          {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "sk", "AttributeType": "N"}]})
        assert status == 200, body
        for _ in range(200):
            status, body = c.call("DescribeTable", {"TableName": table})
            if body["Table"]["TableStatus"] == "ACTIVE":
                break
            time.sleep(0.05)
    items = [seed_item(p, s) for p in range(NPART) for s in range(seed_count(p))]
    for i in range(0, len(items), 25):
        status, body = c.call("BatchWriteItem", {"RequestItems": {SEED: [
            {"PutRequest": {"Item": it}} for it in items[i:i + 25]]}})
        assert status == 200 and not body.get("UnprocessedItems"), body
    status, body = c.call("PutItem", {"TableName": TABLE, "Item": {
        "pk": {"S": "final"}, "sk": {"N": "0"}, "v": {"S": "still here"}}})
    assert status == 200, body
    c.close()
    return target


def start_api(tmp):
    data = os.path.join(tmp, "api-data")
    env = make_env(data)
    cruddur(env, "db", "setup")
    site = ApiSite()
    site.tokens = {h: cruddur(env, "auth", "token", h).strip() for h in ApiSite.HANDLES}
    proc = Process(env, ["serve", "--port", "0", "--threads", "2"], os.path.join(tmp, "api.log"))
    port = int(proc.url.rsplit(":", 1)[1])
    target = Target("api", port, proc.proc, proc.log_path)
    target.process = proc
    target.site = site
    conn = ApiConn(port)
    for h in ApiSite.HANDLES:
        status, body, _ = conn.call("GET", f"/api/users/@{h}/short", site.tokens["andrewbrown"])
        assert status == 200, body
        site.users[h] = body
    for a, b in (("andrewbrown", "londo"), ("andrewbrown", "bayko"), ("londo", "bayko")):
        text = f"adv setup {a} -> {b}"
        status, body, _ = conn.call("POST", "/api/messages", site.tokens[a],
                                    {"handle": b, "message": text})
        assert status == 200, body
        site.groups[frozenset((a, b))] = body["message_group_uuid"]
        site.acked[body["message_group_uuid"]].append(text)
    # The conversation lists are what the valid workers check: wait until they show.
    deadline = time.monotonic() + 30
    for h in ApiSite.HANDLES:
        while True:
            status, body, _ = conn.call("GET", "/api/message_groups", site.tokens[h])
            if status == 200 and {g["uuid"] for g in body} == site.member_groups(h):
                break
            assert time.monotonic() < deadline, f"groups of {h}: {status} {body}"
            time.sleep(0.2)
    conn.close()
    return target


def final_checks_ddb(ctx, target):
    c = RawClient(target.port, timeout=VALID_TIMEOUT)
    try:
        status, body = c.call("GetItem", {"TableName": TABLE, "ConsistentRead": True,
                                          "Key": {"pk": {"S": "final"}, "sk": {"N": "0"}}})
        if status != 200 or body.get("Item", {}).get("v") != {"S": "still here"}:
            ctx.stats.fail("ddb", "final GetItem", f"{status} {body}")
        acked, unknown = collections.Counter(), collections.Counter()
        for v in target.valid_workers:
            acked.update(v.acked)
            unknown.update(v.unknown)
        for k in range(NCOUNTERS):
            status, body = c.call("GetItem", {"TableName": TABLE, "ConsistentRead": True,
                                              "Key": {"pk": {"S": "ctr"}, "sk": {"N": str(k)}}})
            value = int(body.get("Item", {}).get("c", {}).get("N", "0")) if status == 200 else None
            if value is None or not acked[k] <= value <= acked[k] + unknown[k]:
                ctx.stats.fail("ddb", "final counters", f"counter {k}: {status} {value}, "
                               f"acknowledged {acked[k]} (+{unknown[k]} unknown)")
        for v in target.valid_workers:
            if v.version is None:
                continue
            status, body = c.call("GetItem", {"TableName": TABLE, "ConsistentRead": True,
                                              "Key": {"pk": {"S": "ver"},
                                                      "sk": {"N": str(v.wid)}}})
            if status != 200 or body.get("Item", {}).get("ver") != {"N": str(v.version)}:
                ctx.stats.fail("ddb", "final versions", f"ver {v.wid}: {status} {body} != "
                               f"{v.version}")
        # The seed is read only: it must be intact.
        status, body = c.call("Scan", {"TableName": SEED, "Select": "COUNT"})
        total = sum(seed_count(p) for p in range(NPART))
        if status != 200 or body.get("Count") != total:
            ctx.stats.fail("ddb", "final seed", f"{status} {body} (expected {total})")
        ctx.stats.add("ddb", "check", "final", "verified", True)
        return {"counter_total": sum(acked.values())}
    except Exception as e:  # noqa: BLE001
        ctx.stats.fail("ddb", "final checks", repr(e))
        return {}
    finally:
        c.close()


def final_checks_api(ctx, target):
    site = target.site
    conn = ApiConn(target.port)
    try:
        status, body, _ = conn.call("GET", "/api/health")
        if status != 200 or not body.get("success"):
            ctx.stats.fail("api", "final health", f"{status} {body}")
        checked = 0
        for pair, group in site.groups.items():
            reader = sorted(pair)[0]
            texts = collections.Counter()
            cursor = None
            for _ in range(10000):
                path = f"/api/messages/{group}?limit=100"
                if cursor:
                    path += "&cursor=" + cursor
                status, page, resp = conn.call("GET", path, site.tokens[reader])
                if status != 200:
                    ctx.stats.fail("api", "final messages", f"{path}: {status} {page}")
                    break
                texts.update(m["message"] for m in page)
                cursor = resp.getheader("X-Next-Cursor")
                if not cursor:
                    break
            with site.lock:
                acked = list(site.acked[group])
                maybe = set(site.maybe[group])
            missing = [t for t in acked if texts[t] != 1]
            extra = [t for t in texts if t not in maybe and not t.startswith("adv setup")]
            if missing or extra:
                ctx.stats.fail("api", "final messages",
                               f"group {group}: {len(missing)} acknowledged messages not there "
                               f"exactly once ({missing[:3]}), {len(extra)} unknown ({extra[:3]})")
            checked += len(acked)
        ctx.stats.add("api", "check", "final", "verified", True)
        return {"messages_checked": checked}
    except Exception as e:  # noqa: BLE001
        ctx.stats.fail("api", "final checks", repr(e))
        return {}
    finally:
        conn.close()


class Sampler:
    """VmRSS of every server each second; stops the run at the first server death."""

    def __init__(self, ctx, targets):
        self.ctx, self.targets = ctx, targets
        self.rss = {t.name: [] for t in targets}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def sample(self):
        for t in self.targets:
            if t.alive():
                kb = proc_status(t.proc.pid, "VmRSS")
                if kb:
                    self.rss[t.name].append(kb)
            elif t.death is None:
                t.death = time.monotonic() - self.ctx.t0
                self.ctx.stats.fail(t.name, "server died",
                                    f"exit status {t.proc.returncode} at "
                                    f"{t.death:.1f}s; log: {t.log_tail(1500)}")
                self.ctx.stop.set()

    def run(self):
        while not self.stop.wait(1.0):
            self.sample()


def print_summary(ctx, targets, figures):
    st = ctx.stats
    print("\n== adversarial load: requests by kind")
    cols = ("target", "role", "kind", "n", "ok", "503", "failed", "outcomes")
    rows = []
    for (tname, role, kind), c in sorted(st.kinds.items()):
        outs = " ".join(f"{k[4:]}x{v}" for k, v in sorted(c.items()) if k.startswith("out:"))
        rows.append((tname, role, kind, c["n"], c["ok"], c["503"], c["failed"], outs[:70]))
    widths = [max(len(str(x)) for x in col) for col in zip(cols, *rows)]
    line = lambda row: "  ".join(str(x).ljust(w) for x, w in zip(row, widths))  # noqa: E731
    print(line(cols))
    for row in rows:
        print(line(row))
    for (tname, kind), times in sorted(st.close_times.items()):
        print(f"{tname} {kind}: closed by the server after {min(times):.1f}-{max(times):.1f}s "
              f"({len(times)})")
    print("\n== adversarial load: figures")
    for key, value in figures.items():
        print(f"{key}: {value}")
    for t in targets:
        if t.death is not None:
            print(f"\n== THE {t.name.upper()} SERVER DIED at {t.death:.1f}s (exit status "
                  f"{t.proc.returncode}); its log ends with:\n{t.log_tail(1500)}")
    if st.failures:
        print(f"\n== {st.failure_count} failures (first {len(st.failures)}):")
        for f in st.failures:
            print("  ", f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=300.0, help="seconds of load (300)")
    ap.add_argument("--connections", type=int, default=64, help="connections per target (64)")
    ap.add_argument("--target", choices=("ddb", "api", "both"), default="ddb")
    ap.add_argument("--no-deep", action="store_true",
                    help="leave out the deeply nested expressions of issue 14")
    ap.add_argument("--rss-limit-mb", type=int, default=1024, help="per server (1024)")
    ap.add_argument("--pace", type=float, default=0.002,
                    help="pause of a valid connection between requests, seconds (0.002)")
    ap.add_argument("--seed", default="adv")
    ap.add_argument("--keep", action="store_true", help="keep the logs and data dirs")
    args = ap.parse_args()
    if not os.access(cruddur_bin(), os.X_OK):
        print(f"no cruddur binary at {cruddur_bin()}", file=sys.stderr)
        return 2
    raise_fd_limit(8192)  # idle connections; the servers inherit it
    counts = role_counts(args.connections)
    ctx = Ctx(args)
    tmp = tempfile.mkdtemp(prefix="adversarial-")
    targets = []
    ok = False
    try:
        if args.target in ("ddb", "both"):
            targets.append(start_ddb(tmp))
        if args.target in ("api", "both"):
            targets.append(start_api(tmp))
        for t in targets:
            if t.name == "ddb":
                t.malformed = {k: v for k, v in ddb_malformed_cases().items()}
                t.deep = ddb_deep_cases(not args.no_deep)
            else:
                t.malformed = api_malformed_cases(t.site)
                t.deep = api_deep_cases(t.site)
        sampler = Sampler(ctx, targets)
        sampler.sample()
        rss_start = {t.name: proc_status(t.proc.pid, "VmRSS") for t in targets}
        cpu_start = {t.name: proc_cpu_seconds(t.proc.pid) for t in targets}
        print(f"adversarial load: {args.duration:.0f}s, {args.connections} connections per "
              f"target ({counts}), targets {[t.name for t in targets]}, deep expressions "
              f"{'off' if args.no_deep else 'on'}, binary {cruddur_bin()}", flush=True)
        ctx.t0 = ctx.stats.t0 = time.monotonic()
        ctx.deadline = ctx.t0 + args.duration
        sampler.thread.start()
        threads = []
        wid = 0
        for t in targets:
            for role, fn in ROLES:
                for _ in range(counts[role]):
                    wid += 1
                    th = threading.Thread(target=worker_main,
                                          args=(ctx, t, role, fn, wid, args.seed), daemon=True)
                    threads.append(th)
        for th in threads:
            th.start()
        last = time.monotonic()
        while time.monotonic() < ctx.deadline and not ctx.stop.is_set():
            time.sleep(0.5)
            if time.monotonic() - last >= 30:
                last = time.monotonic()
                rss = {n: (v[-1] // 1024 if v else None) for n, v in sampler.rss.items()}
                print(f"  {last - ctx.t0:.0f}s: {sum(c['n'] for c in ctx.stats.kinds.values())} "
                      f"operations, {ctx.stats.failure_count} failures, RSS MB {rss}", flush=True)
        give_up = ctx.deadline + DRAIN_BOUND
        for th in threads:
            th.join(timeout=max(0.0, give_up - time.monotonic()))
        hung = sum(th.is_alive() for th in threads)
        load_seconds = time.monotonic() - ctx.t0
        if hung:
            ctx.stats.fail("all", "workers did not stop",
                           f"{hung} workers still running {DRAIN_BOUND}s after the deadline")
            ctx.stop.set()
        sampler.stop.set()
        sampler.thread.join(timeout=5)
        sampler.sample()
        figures = {"duration_s": args.duration, "load_seconds": round(load_seconds, 1),
                   "connections_per_target": args.connections, "roles": counts,
                   "deep_expressions": not args.no_deep}
        for t in targets:
            figures[f"{t.name}_died_at_s"] = t.death and round(t.death, 1)
            cpu_end = proc_cpu_seconds(t.proc.pid) if t.alive() else None
            if t.alive():
                figures.update({f"{t.name}_{k}": v for k, v in (
                    final_checks_ddb(ctx, t) if t.name == "ddb" else final_checks_api(ctx, t)
                ).items()})
            samples = sampler.rss[t.name] or [0]
            peak = max(samples)
            figures[f"{t.name}_rss_mb_start_peak_end"] = (
                round((rss_start[t.name] or 0) / 1024, 1), round(peak / 1024, 1),
                round(samples[-1] / 1024, 1))
            figures[f"{t.name}_server_cpu_s"] = (round(cpu_end - cpu_start[t.name], 1)
                                                 if cpu_end is not None else None)
            if peak > args.rss_limit_mb * 1024:
                ctx.stats.fail(t.name, "RSS bound", f"peak {peak // 1024} MB over "
                               f"{args.rss_limit_mb} MB")
            st = ctx.stats
            mine = [(k, c) for k, c in st.kinds.items() if k[0] == t.name and k[1] != "check"]
            valid = [c for (n, role, kind), c in mine if role == "valid" or kind in (
                "slow_valid", "idle_then_valid")]
            hostile = [c for (n, role, kind), c in mine if not (role == "valid" or kind in (
                "slow_valid", "idle_then_valid"))]
            figures[f"{t.name}_http_requests"] = st.http_requests[t.name]
            figures[f"{t.name}_valid_operations"] = sum(c["n"] for c in valid)
            figures[f"{t.name}_valid_verified"] = sum(c["ok"] for c in valid)
            figures[f"{t.name}_valid_503"] = sum(c["503"] for c in valid)
            figures[f"{t.name}_valid_failed"] = sum(c["failed"] for c in valid)
            figures[f"{t.name}_hostile_requests"] = sum(c["n"] for c in hostile)
            out = collections.Counter()
            for c in hostile:
                for k, v in c.items():
                    if k.startswith("out:"):
                        key = k[4:]
                        out[key[0] + "xx" if key[:1] in "45" and key.isdigit() else key] += v
            figures[f"{t.name}_hostile_outcomes"] = dict(out)
            figures[f"{t.name}_hostile_failed"] = sum(c["failed"] for c in hostile)
            lat = sorted(st.latencies[t.name])
            if lat:
                figures[f"{t.name}_valid_op_seconds_p50_p99_max"] = (
                    round(lat[len(lat) // 2][0], 3), round(lat[int(len(lat) * 0.99)][0], 3),
                    round(lat[-1][0], 2))
                figures[f"{t.name}_valid_slowest_ops_at_s"] = [
                    (round(d, 1), at) for d, at in lat[-5:]]
        # Clean stops.
        for t in targets:
            alive = t.alive()
            if t.name == "ddb":
                t.server.stop()
                code = t.proc.returncode
            else:
                code = t.process.stop()
            figures[f"{t.name}_exit_status"] = code
            if alive and code != 0:
                ctx.stats.fail(t.name, "clean stop", f"exit status {code}: {t.log_tail(800)}")
        figures["failures"] = ctx.stats.failure_count
        print_summary(ctx, targets, figures)
        first = targets[0].name
        record_figures("adversarial", {
            "ops": sum(c["n"] for k, c in ctx.stats.kinds.items() if k[1] != "check"),
            "errors": ctx.stats.failure_count, "seconds": round(load_seconds),
            "rss_before_load_kb": rss_start[first] or 0,
            "rss_after_load_kb": (sampler.rss[first] or [0])[-1],
            "rss_peak_kb": max(sampler.rss[first] or [0]), **{
                k: v for k, v in figures.items() if not isinstance(v, (dict, tuple))}})
        ok = ctx.stats.failure_count == 0
        print("\nadversarial load: " + ("PASSED" if ok else "FAILED"))
        return 0 if ok else 1
    finally:
        for t in targets:
            if t.alive():
                t.proc.kill()
                t.proc.wait(timeout=10)
        if ok and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"logs and data: {tmp}")


if __name__ == "__main__":
    sys.exit(main())
