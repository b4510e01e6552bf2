"""Stream triggers (`cruddur ddb trigger ...`, run by `cruddur ddb serve`): delivery as AWS
Lambda's DynamoDB event source mapping does it (docs: "Using AWS Lambda with Amazon DynamoDB",
"Lambda parameters for Amazon DynamoDB event source mappings", "Configuring partial batch
response with DynamoDB and Lambda", "Retaining discarded records for a DynamoDB event source",
"Using event filtering with a DynamoDB event source").

Each test runs `cruddur ddb serve` on its own data dir, creates a table with a stream, adds a
trigger (the command talks to the running server through the data dir's endpoint file) and
writes items with boto3. Handlers are small Python scripts (handler.py below) that log what they
get to a file; a URL handler is a http.server in the test.
"""

import json
import os
import re
import shlex
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import Cli, boto_client, start_cruddur_server

HANDLER = r'''
import json, os, sys
event = json.load(sys.stdin)
log, mode = sys.argv[1], sys.argv[2]
records = event["Records"]
def value(r):
    return r["dynamodb"].get("NewImage", {}).get("v", {}).get("S", "")
def log_records(rs):
    with open(log, "a") as f:
        for r in rs:
            f.write(json.dumps(r) + "\n")
    with open(log + ".batches", "a") as f:
        f.write(json.dumps([r["dynamodb"]["SequenceNumber"] for r in records]) + "\n")
marker = log + ".failed-once"
if mode == "fail-once" and not os.path.exists(marker):
    open(marker, "w").close()
    sys.exit(3)
if mode.startswith("poison:") and any(value(r) == mode[7:] for r in records):
    with open(log + ".failures", "a") as f:
        f.write(json.dumps([r["dynamodb"]["SequenceNumber"] for r in records]) + "\n")
    sys.exit(1)
if mode.startswith("report:") and not os.path.exists(marker):
    bad = [r for r in records if value(r) == mode[7:]]
    if bad:
        open(marker, "w").close()
        log_records(records[:records.index(bad[0])])
        print(json.dumps({"batchItemFailures": [
            {"itemIdentifier": bad[0]["dynamodb"]["SequenceNumber"]}]}))
        sys.exit(0)
if mode.startswith("slow:"):
    import time
    time.sleep(float(mode[5:]))
log_records(records)
'''


class Env:
    """A data dir with a running `cruddur ddb serve`, its table and the handler script."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.cli = Cli(tmp_path)
        self.log = tmp_path / "delivered.jsonl"
        self.script = tmp_path / "handler.py"
        self.script.write_text(HANDLER)
        self.server = None
        self.start()
        self.ddb.create_table(
            TableName="events",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True,
                                 "StreamViewType": "NEW_AND_OLD_IMAGES"})
        self.stream_arn = self.ddb.describe_table(TableName="events")["Table"]["LatestStreamArn"]

    def start(self):
        self.server = start_cruddur_server(["--data-dir", str(self.cli.data_dir)],
                                           self.tmp / "serve.log", self.cli.env)
        self.ddb = boto_client(self.server.endpoint)

    def kill(self):
        self.server.proc.send_signal(signal.SIGKILL)
        self.server.proc.wait()
        self.server.log.close()

    def command(self, mode):
        return " ".join(shlex.quote(a) for a in [sys.executable, str(self.script),
                                                 str(self.log), mode])

    def add(self, *args):
        out = self.cli.ok("ddb", "trigger", "add", "events", *args, "--json")
        return json.loads(out.stdout)

    def put(self, pk, sk, v="", **extra):
        item = {"pk": {"S": pk}, "sk": {"S": sk}, "v": {"S": v}}
        item.update(extra)
        self.ddb.put_item(TableName="events", Item=item)

    def delivered(self, path=None):
        path = path or self.log
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def batches(self):
        return self.delivered(str(self.log) + ".batches")

    def stop(self):
        if self.server is not None:
            self.server.stop()


def wait_for(condition, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def keys(records):
    return [(r["dynamodb"]["Keys"]["pk"]["S"], r["dynamodb"]["Keys"]["sk"]["S"]) for r in records]


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path)
    yield e
    e.stop()


def test_records_arrive_in_lambdas_shape_in_order_per_key(env):
    env.add("--command", env.command("ok"), "--batch-size", "4")
    for i in range(12):
        env.put(f"user{i % 3}", f"{i:03d}", v=f"n{i}")
    env.ddb.update_item(TableName="events", Key={"pk": {"S": "user0"}, "sk": {"S": "000"}},
                        UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"S": "m"}})
    env.ddb.delete_item(TableName="events", Key={"pk": {"S": "user1"}, "sk": {"S": "001"}})
    got = wait_for(lambda: len(env.delivered()) >= 14 and env.delivered(), what="14 records")
    assert len(got) == 14
    for pk in ("user0", "user1", "user2"):
        mine = [r for r in got if r["dynamodb"]["Keys"]["pk"]["S"] == pk]
        seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in mine]
        assert seqs == sorted(seqs), pk
    assert [r["eventName"] for r in got[-2:]] == ["MODIFY", "REMOVE"]
    modify, remove = got[-2], got[-1]
    assert modify["dynamodb"]["OldImage"]["v"] == {"S": "n0"}
    assert modify["dynamodb"]["NewImage"]["v"] == {"S": "m"}
    assert "NewImage" not in remove["dynamodb"] and remove["dynamodb"]["OldImage"]["v"] == {"S": "n1"}
    first = got[0]
    assert first["eventName"] == "INSERT"
    assert first["eventVersion"] == "1.1"
    assert first["eventSource"] == "aws:dynamodb"
    assert first["awsRegion"] == "us-east-1"
    assert first["eventSourceARN"] == env.stream_arn
    assert len(first["eventID"]) > 0
    db = first["dynamodb"]
    assert db["Keys"] == {"pk": {"S": "user0"}, "sk": {"S": "000"}}
    assert db["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(db["SizeBytes"], int) and db["SizeBytes"] > 0
    assert abs(db["ApproximateCreationDateTime"] - time.time()) < 120
    assert all(len(b) <= 4 for b in env.batches())


def test_a_handler_failing_once_is_retried_and_nothing_is_lost(env):
    env.add("--command", env.command("fail-once"), "--batch-size", "10",
            "--maximum-batching-window-in-seconds", "1")
    for i in range(6):
        env.put("k", f"{i:02d}")
    got = wait_for(lambda: len(env.delivered()) >= 6 and env.delivered(), what="6 records")
    assert os.path.exists(str(env.log) + ".failed-once")
    assert [sk for _, sk in keys(got)] == [f"{i:02d}" for i in range(6)]


def test_a_poison_record_is_bisected_out_to_the_on_failure_file(env):
    failures = env.tmp / "failed.jsonl"
    env.add("--command", env.command("poison:bad"), "--batch-size", "8",
            "--maximum-batching-window-in-seconds", "2", "--bisect-batch-on-function-error",
            "--maximum-retry-attempts", "1", "--on-failure", str(failures))
    values = ["a", "b", "c", "d", "bad", "f", "g", "h"]
    env.ddb.batch_write_item(RequestItems={"events": [
        {"PutRequest": {"Item": {"pk": {"S": f"p{i}"}, "sk": {"S": "x"}, "v": {"S": v}}}}
        for i, v in enumerate(values)]})
    lines = wait_for(lambda: env.delivered(failures), what="an on-failure record")
    got = wait_for(lambda: len(env.delivered()) >= 7 and env.delivered(), what="7 records")
    assert sorted(r["dynamodb"]["NewImage"]["v"]["S"] for r in got) == sorted(
        v for v in values if v != "bad")
    assert len(lines) == 1
    record = lines[0]
    info = record["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["streamArn"] == env.stream_arn
    assert info["shardId"].startswith("shardId-")
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2  # the call and 1 retry
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["version"] == "1.0"
    poison = record["payload"]["Records"]
    assert [r["dynamodb"]["NewImage"]["v"]["S"] for r in poison] == ["bad"]
    assert poison[0]["dynamodb"]["SequenceNumber"] == info["startSequenceNumber"]
    # The failing batches were split: 8 records, then halves, down to the poison alone.
    sizes = [len(b) for b in env.delivered(str(env.log) + ".failures")]
    assert sizes[0] == 8 and sizes[-1] == 1 and 4 in sizes


def test_a_filter_drops_records_no_pattern_matches(env):
    env.add("--command", env.command("ok"),
            "--filter", '{"eventName": ["INSERT"], "dynamodb": {"NewImage": '
                        '{"v": {"S": [{"prefix": "keep"}]}}}}',
            "--filter", '{"dynamodb": {"NewImage": {"n": {"N": [{"numeric": [">", 100]}]}}}}')
    env.put("a", "1", v="keep-1")
    env.put("a", "2", v="drop-2")
    env.put("a", "3", v="other", n={"N": "5"})
    env.put("a", "4", v="big", n={"N": "500"})
    env.ddb.update_item(TableName="events", Key={"pk": {"S": "a"}, "sk": {"S": "1"}},
                        UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"S": "keep-x"}})
    env.put("a", "5", v="keep-5")
    got = wait_for(lambda: len(env.delivered()) >= 3 and env.delivered(), what="3 records")
    time.sleep(1)  # nothing else arrives
    got = env.delivered()
    assert [sk for _, sk in keys(got)] == ["1", "4", "5"]
    assert [r["eventName"] for r in got] == ["INSERT", "INSERT", "INSERT"]


def test_a_filter_pattern_lambda_would_refuse_is_refused(env):
    done = env.cli.run("ddb", "trigger", "add", "events", "--command", "true",
                       "--filter", '{"eventName": [{"numeric": ["~", 1]}]}')
    assert done.returncode != 0
    assert "numeric" in done.stderr
    assert env.cli.ok("ddb", "trigger", "list").stdout == ""


def test_a_restart_in_the_middle_skips_no_record(env):
    env.add("--command", env.command("slow:0.15"), "--batch-size", "2")
    for i in range(20):
        env.put("k", f"{i:02d}")
    wait_for(lambda: len(env.delivered()) >= 4, what="some records")
    env.kill()
    partial = len(env.delivered())
    assert partial < 20
    env.start()
    for i in range(20, 25):
        env.put("k", f"{i:02d}")
    got = wait_for(lambda: len({sk for _, sk in keys(env.delivered())}) >= 25 and env.delivered(),
                   what="all 25 records")
    seen = [sk for _, sk in keys(got)]
    # At least once, in order: a record may come twice only right after the restart.
    assert sorted(set(seen)) == [f"{i:02d}" for i in range(25)]
    assert len(seen) - 25 <= 2
    deduplicated = list(dict.fromkeys(seen))
    assert deduplicated == sorted(deduplicated)


def test_report_batch_item_failures_retries_from_the_reported_record(env):
    env.add("--command", env.command("report:c"), "--batch-size", "10",
            "--maximum-batching-window-in-seconds", "2",
            "--function-response-types", "ReportBatchItemFailures")
    env.ddb.batch_write_item(RequestItems={"events": [
        {"PutRequest": {"Item": {"pk": {"S": f"p{v}"}, "sk": {"S": "x"}, "v": {"S": v}}}}
        for v in "abcde"]})
    got = wait_for(lambda: len({r["dynamodb"]["SequenceNumber"] for r in env.delivered()}) >= 5
                   and env.delivered(), what="5 records")
    batches = env.batches()
    assert len(batches[0]) == 5
    # The first answer reported c: a and b were done, c.. came again in the next batch.
    assert batches[1] == batches[0][2:]
    assert [r["dynamodb"]["NewImage"]["v"]["S"] for r in got] == list("abcde")


def test_a_url_handler_gets_posts_and_fails_by_its_status(env):
    received, statuses = [], [500]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = statuses.pop(0) if statuses else 200
            if status == 200:
                received.append(json.loads(body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        env.add("--url", f"http://127.0.0.1:{http.server_port}/hook")
        env.put("u", "1", v="one")
        env.put("u", "2", v="two")
        wait_for(lambda: sum(len(e["Records"]) for e in received) >= 2, what="2 records by POST")
        records = [r for e in received for r in e["Records"]]
        assert [r["dynamodb"]["NewImage"]["v"]["S"] for r in records] == ["one", "two"]
        assert not statuses  # the 500 was answered, and the batch retried
    finally:
        http.shutdown()


def test_list_and_remove(env):
    first = env.add("--command", "true", "--on-failure", "f.jsonl")
    second = env.add("--url", "http://127.0.0.1:9/x", "--batch-size", "7",
                     "--starting-position", "LATEST")
    listed = json.loads(env.cli.ok("ddb", "trigger", "list", "--json").stdout)["Triggers"]
    assert [t["UUID"] for t in listed] == [first["UUID"], second["UUID"]]
    assert listed[1]["BatchSize"] == 7 and listed[1]["StartingPosition"] == "LATEST"
    # Kept absolute: the server running the trigger may start elsewhere.
    assert listed[0]["DestinationConfig"]["OnFailure"]["Destination"] == os.path.join(
        os.getcwd(), "f.jsonl")
    env.cli.ok("ddb", "trigger", "remove", first["UUID"])
    listed = json.loads(env.cli.ok("ddb", "trigger", "list", "--json").stdout)["Triggers"]
    assert [t["UUID"] for t in listed] == [second["UUID"]]
    assert env.cli.run("ddb", "trigger", "remove", first["UUID"]).returncode != 0
    bad = env.cli.run("ddb", "trigger", "add", "events", "--command", "true", "--batch-size", "0")
    assert bad.returncode != 0 and "BatchSize" in bad.stderr


def test_latest_skips_what_the_stream_holds_already(env):
    env.put("old", "1")
    env.add("--command", env.command("ok"), "--starting-position", "LATEST")
    env.put("new", "1")
    first = wait_for(lambda: env.delivered(), what="a record")
    assert keys(first) == [("new", "1")]
    time.sleep(0.5)  # nothing older arrives later either
    assert keys(env.delivered()) == [("new", "1")]


def test_cruddur_serve_runs_triggers_added_while_it_runs(tmp_path):
    """`cruddur serve` follows triggers.json: a trigger added while it runs starts, and its
    command can call DynamoDB back at AWS_ENDPOINT_URL (the --ddb-port endpoint)."""
    from test_serve_edges import Running

    cli = Cli(tmp_path)
    cli.ok("db", "setup", target=False)
    serve = Running(cli, "serve", "--port", "0", "--ddb-port", "0")
    try:
        assert "0 triggers" in serve.start_line
        endpoint = re.search(r"DynamoDB endpoint (http://[0-9.]+:\d+)", serve.start_line).group(1)
        out = tmp_path / "env.jsonl"
        handler = tmp_path / "env_handler.py"
        handler.write_text(
            "import json, os, sys\n"
            "event = json.load(sys.stdin)\n"
            f"with open({str(out)!r}, 'a') as f:\n"
            "    f.write(json.dumps({'endpoint': os.environ.get('AWS_ENDPOINT_URL'),\n"
            "                        'n': len(event['Records'])}) + '\\n')\n")
        cli.ok("ddb", "trigger", "add", "cruddur-messages", "--command",
               f"{shlex.quote(sys.executable)} {shlex.quote(str(handler))}")
        boto_client(endpoint).put_item(TableName="cruddur-messages",
                                       Item={"pk": {"S": "X#1"}, "sk": {"S": "1"}})
        line = wait_for(lambda: out.exists() and out.read_text().strip(), what="a delivery")
        assert json.loads(line.splitlines()[0])["endpoint"] == endpoint
    finally:
        serve.stop()
