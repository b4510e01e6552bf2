#!/usr/bin/python3
"""The phases of bench/pitr.sh against a running `cruddur ddb serve --data-dir DATA`: each reads
and extends WORK/state.json, so a phase can be rerun on its own against the same data dir.

usage: pitr.py PHASE ENDPOINT WORK DATA_DIR SIZES_BIN
  load     creates the table, loads ITEMS items with BatchWriteItem, then enables point-in-time
           recovery (UpdateContinuousBackups); the key spaces' bytes before and after
  write    RATE writes/s for DURATION seconds, one at a time in sequence (so they commit in
           order): 50% PutItem of a new item, 25% PutItem over an existing item, 25% UpdateItem
           of one; the bytes every SAMPLE seconds; WORK/writes.log has every write
  restore  RestoreTableToPointInTime to the latest, the middle and the earliest restorable time,
           each timed until DescribeTable says ACTIVE; every restored item is checked against the
           writes log (the state after the writes acknowledged before the restore time)

Every item is one message of ~200 bytes (DynamoDB's item size): pk "conv<N % 5000>", sk
"m<N>", a text of random words (60 to 140 characters), a user handle, a creation time with
microseconds, its number `seq` and `v`, the
number of the last write to it. Writes are numbered on from the loaded items, so the restored
table at time T must be exactly the writes up to some number S: its largest `v`.
"""
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time

from ddb_http import create_table_request, headers

TABLE = "messages"
ITEMS = int(os.environ.get("ITEMS", "1000000"))
RATE = float(os.environ.get("RATE", "500"))
DURATION = float(os.environ.get("DURATION", "3600"))
SAMPLE = float(os.environ.get("SAMPLE", "60"))
# The key spaces of a data dir (src/ddb/table.h): the tables' items and indexes, the snapshots
# (backups and the recovery base), the recovery log.
SPACES = [("table", "05"), ("base", "07"), ("log", "08")]
# Messages are words drawn at random (so that they compress as text does, not as one repeated
# string): ~100 characters on average, from 60 to 140.
WORDS = ("the a to and of is in it you that for on we this be are with have not at can will do "
         "just so what if up about out get me my your all one time like now our when there how "
         "think know see need back going really good great thanks meeting deploy review tomorrow "
         "friday monday standup release build test bug fix branch merge lunch coffee call later "
         "sounds works check update doc draft ticket sprint plan demo client server slow fast "
         "down again maybe sure okay yes no please sorry weekend morning afternoon tonight team "
         "design issue logs metrics alert page rollback staging prod config cache query index "
         "table write read message group user channel thread reply link file image video").split()
RNG = random.Random(1)


def message_text():
    words, length, target = [], 0, RNG.randint(60, 140)
    while length < target:
        words.append(RNG.choice(WORDS))
        length += len(words[-1]) + 1
    return " ".join(words)[:target]


def handle():
    return "user" + str(RNG.randrange(5000))


class Client:
    """DynamoDB JSON over one keep-alive HTTP connection."""

    def __init__(self, endpoint):
        host, port = endpoint.split("//")[1].rstrip("/").split(":")
        self.host, self.port = host, int(port)
        self.conn = None

    def call(self, op, payload):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        for attempt in range(5):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=600)
                self.conn.request("POST", "/", body=body, headers=headers(op))
                response = self.conn.getresponse()
                data = response.read()
                break
            except (OSError, http.client.HTTPException):
                self.conn = None
                if attempt == 4:
                    raise
                time.sleep(0.1)
        if response.status != 200:
            sys.exit(f"pitr.py: {op} answered {response.status}: {data[:300]!r}")
        return json.loads(data)


def key_of(n):
    return f'"pk":{{"S":"conv{n % 5000:04d}"}},"sk":{{"S":"m{n:09d}"}}'


def item_json(n, v):
    return ("{" + key_of(n) + f',"seq":{{"N":"{n}"}},"v":{{"N":"{v}"}},'
            f'"message":{{"S":"{message_text()}"}},"user_handle":{{"S":"{handle()}"}},'
            f'"created_at":{{"S":"{time.strftime("%Y-%m-%dT%H:%M:%S")}.'
            f'{RNG.randrange(1000000):06d}+00:00"}}}}')


def sizes(work, data_dir, sizes_bin, scan=False):
    """{space: {approx, count?, logical?}, "du": bytes of the data dir}."""
    out = subprocess.run([sizes_bin] + (["--scan"] if scan else []) +
                         [data_dir, os.path.join(work, "secondary")] +
                         [f"{name}={prefix}" for name, prefix in SPACES],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"pitr.py: pitr_sizes failed: {out.stderr}")
    out = out.stdout
    result = {}
    for line in out.splitlines():
        p = line.split()
        result[p[0]] = {"approx": int(p[1])}
        if scan:
            result[p[0]].update(count=int(p[2]), logical=int(p[3]))
    du = subprocess.run(["du", "-sb", data_dir], check=True, capture_output=True, text=True)
    result["du"] = int(du.stdout.split()[0])
    return result


def server_cpu():
    """CPU seconds (user + system) the server (SERVER_PID) has used so far."""
    with open(f"/proc/{os.environ['SERVER_PID']}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_active(client, table, poll=0.1):
    while True:
        status = client.call("DescribeTable", {"TableName": table})["Table"]["TableStatus"]
        if status == "ACTIVE":
            return
        time.sleep(poll)


def load_state(work):
    try:
        with open(os.path.join(work, "state.json")) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def save_state(work, state):
    with open(os.path.join(work, "state.json"), "w") as f:
        json.dump(state, f, indent=1)


def phase_load(endpoint, work, data_dir, sizes_bin, state):
    client = Client(endpoint)
    client.call("CreateTable", create_table_request(TABLE))
    wait_active(client, TABLE)
    state["empty"] = sizes(work, data_dir, sizes_bin)
    start = time.time()

    def load(first, last):
        c = Client(endpoint)
        for n in range(first, last, 25):
            puts = ",".join('{"PutRequest":{"Item":' + item_json(i, i) + "}}"
                            for i in range(n, min(n + 25, last)))
            body = ('{"RequestItems":{"' + TABLE + '":[' + puts + "]}}").encode()
            while True:
                unprocessed = c.call("BatchWriteItem", body).get("UnprocessedItems") or {}
                if not unprocessed:
                    break
                body = json.dumps({"RequestItems": unprocessed}).encode()

    # Two connections: one request in flight while the other's answer is parsed.
    half = (ITEMS // 2) // 25 * 25
    threads = [threading.Thread(target=load, args=r) for r in ((0, half), (half, ITEMS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    state["load_seconds"] = time.time() - start
    state["items"] = ITEMS
    item = client.call("GetItem", {"TableName": TABLE, "Key": json.loads("{" + key_of(7) + "}")})
    state["item_json_bytes"] = len(json.dumps(item["Item"], separators=(",", ":")))
    print(f"loaded {ITEMS} items in {state['load_seconds']:.1f} s", file=sys.stderr)
    state["after_load"] = sizes(work, data_dir, sizes_bin, scan=True)
    start = time.time()
    client.call("UpdateContinuousBackups", {
        "TableName": TABLE,
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}})
    state["enable_seconds"] = time.time() - start
    print(f"enabled point-in-time recovery in {state['enable_seconds']:.1f} s", file=sys.stderr)
    state["after_enable"] = sizes(work, data_dir, sizes_bin, scan=True)


def phase_write(endpoint, work, data_dir, sizes_bin, state):
    client = Client(endpoint)
    rng = random.Random(17)
    items = state["items"]  # the items that exist: 0 .. items-1 (new ones get the next numbers)
    seq = items
    samples = []
    done = threading.Event()

    def sampler():
        while not done.wait(SAMPLE):
            s = sizes(work, data_dir, sizes_bin, scan=True)
            s["t"] = time.time() - start
            s["writes"] = seq - state["items"]
            s["loadavg"] = os.getloadavg()[0]
            samples.append(s)
            print(f"{s['t']:6.0f} s {s['writes']:8d} writes: table {s['table']['approx'] >> 20} "
                  f"MB, base {s['base']['approx'] >> 20} MB, log {s['log']['approx'] >> 20} MB, "
                  f"du {s['du'] >> 20} MB", file=sys.stderr)

    log = open(os.path.join(work, "writes.log"), "w")
    counts = {"new": 0, "put": 0, "update": 0}
    start = time.time()
    thread = threading.Thread(target=sampler, daemon=True)
    thread.start()
    late = 0.0
    i = 0
    while True:
        due = start + i / RATE
        now = time.time()
        if due - start >= DURATION:
            break
        if due > now:
            time.sleep(due - now)
        else:
            late = max(late, now - due)
        r = rng.random()
        if r < 0.5:
            kind, target = "new", seq
            client.call("PutItem", ('{"TableName":"' + TABLE + '","Item":' + item_json(seq, seq)
                                    + "}").encode())
        elif r < 0.75:
            kind, target = "put", rng.randrange(items)
            client.call("PutItem", ('{"TableName":"' + TABLE + '","Item":' +
                                    item_json(target, seq) + "}").encode())
        else:
            kind, target = "update", rng.randrange(items)
            client.call("UpdateItem", (
                '{"TableName":"' + TABLE + '","Key":{' + key_of(target) + '},'
                '"UpdateExpression":"SET message = :m, v = :v","ExpressionAttributeValues":'
                f'{{":m":{{"S":"{message_text()}"}},":v":{{"N":"{seq}"}}}}}}').encode())
        ack = time.time()
        log.write(f"{seq} {kind[0]} {target} {due:.6f} {ack:.6f}\n")
        counts[kind] += 1
        if kind == "new":
            items += 1
        seq += 1
        i += 1
    elapsed = time.time() - start
    done.set()
    thread.join()
    log.close()
    state["write"] = {"rate_asked": RATE, "duration": DURATION, "seconds": elapsed,
                      "writes": seq - state["items"], "counts": counts, "max_late": late,
                      "start": start, "end": start + elapsed, "samples": samples}
    state["after_write"] = sizes(work, data_dir, sizes_bin, scan=True)
    print(f"{seq - state['items']} writes in {elapsed:.0f} s "
          f"({(seq - state['items']) / elapsed:.0f}/s)", file=sys.stderr)


def read_writes(work):
    """[(seq, kind, target, sent, acked)] in order."""
    writes = []
    with open(os.path.join(work, "writes.log")) as f:
        for line in f:
            s, k, t, sent, ack = line.split()
            writes.append((int(s), k, int(t), float(sent), float(ack)))
    return writes


def scan_versions(client, table):
    """{(pk, sk): v} of every item of `table`."""
    versions = {}
    request = {"TableName": table, "ProjectionExpression": "pk, sk, v"}
    while True:
        page = client.call("Scan", request)
        for item in page["Items"]:
            versions[(item["pk"]["S"], item["sk"]["S"])] = int(item["v"]["N"])
        if "LastEvaluatedKey" not in page:
            return versions
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def check_restore(versions, writes, items, until):
    """Compares a restored table with the writes: it must hold exactly the writes up to its
    largest v, S, and S must lie between the last write acknowledged before `until` (epoch s)
    and the last one sent before it."""
    top = max(versions.values())
    expected = {n: n for n in range(items)}
    acked = sent = items - 1
    for seq, kind, target, t_sent, t_ack in writes:
        if t_ack < until:
            acked = seq
        if t_sent < until:
            sent = seq
        if seq <= top:
            expected[target] = seq
    wrong = sum(1 for n, v in expected.items()
                if versions.get((f"conv{n % 5000:04d}", f"m{n:09d}")) != v)
    return {"items": len(versions), "expected_items": len(expected), "wrong_items": wrong,
            "last_write": top, "acked_before": acked, "sent_before": sent,
            "ok": wrong == 0 and len(versions) == len(expected) and acked <= top <= sent}


def phase_restore(endpoint, work, data_dir, sizes_bin, state):
    client = Client(endpoint)
    writes = read_writes(work)
    items = state["items"]
    pitr = client.call("DescribeContinuousBackups", {"TableName": TABLE})
    desc = pitr["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    earliest = desc["EarliestRestorableDateTime"]
    middle = (state["write"]["start"] + state["write"]["end"]) / 2
    state["before_restore"] = sizes(work, data_dir, sizes_bin)
    restores = []
    for label, spec in (("latest", {"UseLatestRestorableTime": True}),
                        ("middle", {"RestoreDateTime": middle}),
                        ("earliest", {"RestoreDateTime": earliest})):
        target = f"{TABLE}-{label}"
        start = time.time()
        answer = client.call("RestoreTableToPointInTime", dict(
            SourceTableName=TABLE, TargetTableName=target, **spec))
        wait_active(client, target)
        seconds = time.time() - start
        point = answer["TableDescription"]["RestoreSummary"]["RestoreDateTime"]
        # A restore time names a second: the table as at its end (src/ddb/ops/pitr_ops.cc).
        until = min(int(point) + 1, start) if label != "latest" else start
        versions = scan_versions(client, target)
        check = check_restore(versions, writes, items, until)
        check.update(label=label, point=point, seconds=seconds,
                     writes_replayed=check["last_write"] - items + 1)
        print(f"restore to the {label} time: {seconds:.1f} s, {check['items']} items, "
              f"{'correct' if check['ok'] else 'WRONG'} ({check})", file=sys.stderr)
        restores.append(check)
        client.call("DeleteTable", {"TableName": target})
    state["restores"] = restores


def main():
    if len(sys.argv) != 6 or sys.argv[1] not in ("load", "write", "restore"):
        sys.exit(__doc__)
    phase, endpoint, work, data_dir, sizes_bin = sys.argv[1:]
    state = load_state(work)
    cpu = server_cpu()
    {"load": phase_load, "write": phase_write, "restore": phase_restore}[phase](
        endpoint, work, data_dir, sizes_bin, state)
    state.setdefault("server_cpu", {})[phase] = server_cpu() - cpu
    save_state(work, state)


if __name__ == "__main__":
    main()
