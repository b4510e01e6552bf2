"""`cruddur serve` with its cache in a real Redis (CACHE_URL, started by tests/cache/run.sh):
posted messages show at once in the conversation and (once the stream consumer moved the group
items) in the list, never a stale cached page; Redis holds the cache keys; the unread counter
counts for the receiver, also messages written by another writer, and resets when the receiver
reads the conversation; killing redis-server does not make the API fail.
Binary: $CRUDDUR_BIN, default build/cruddur. Skipped unless REDIS_PORT and CACHE_URL are set.

    tests/cache/run.sh
"""

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
import types

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "api"))
import serve_helpers  # noqa: E402  (tests/api: the binary, env, processes, requests)
from serve_helpers import BINARY, cruddur, make_env  # noqa: E402,F401
REDIS_PORT = os.environ.get("REDIS_PORT")
CACHE_URL = os.environ.get("CACHE_URL", "")

pytestmark = pytest.mark.skipif(not REDIS_PORT or not CACHE_URL.startswith("redis://"),
                                reason="needs a redis-server: run tests/cache/run.sh")


def redis(*args):
    out = subprocess.run(["redis-cli", "-p", REDIS_PORT, *args], capture_output=True, text=True,
                         timeout=10)
    assert out.returncode == 0, out.stderr
    return out.stdout


def Serve(env, log_path):
    return serve_helpers.Process(env, ["serve", "--port", "0", "--ddb-port", "0", "--threads", "2"],
                                 log_path)


def request(url, method="GET", token=None, body=None):
    """(status, parsed JSON or None)"""
    status, parsed, _ = serve_helpers.request(url, method, token, body)
    return status, parsed


def eventually(check, timeout=15):
    return serve_helpers.eventually(check, timeout)


class Api:
    def __init__(self, server, tokens):
        self.server = server
        self.base = server.url + "/api"
        self.tokens = tokens

    def get(self, path, who):
        status, body = request(self.base + path, token=self.tokens[who])
        assert status == 200, (path, status, body)
        return body

    def post(self, who, **body):
        status, out = request(self.base + "/messages", "POST", self.tokens[who], body)
        assert status == 200, (status, out)
        return out

    def texts(self, who, group):
        return [m["message"] for m in self.get("/messages/" + group, who)]

    def last_text(self, who):
        groups = self.get("/message_groups", who)
        return groups[0]["message"] if groups else None

    def counter(self, who):
        return self.get("/messages/counter", who)


@pytest.fixture
def api(tmp_path):
    redis("flushall")  # every test starts from an empty cache
    env = make_env(tmp_path / "data")
    cruddur(env, "db", "setup")
    tokens = {h: cruddur(env, "auth", "token", h).strip() for h in ("andrewbrown", "londo", "bayko")}
    server = Serve(env, tmp_path / "serve.log")
    yield Api(server, tokens)
    assert server.stop() == 0, open(server.log_path).read()


def test_start_line_names_the_redis_cache(api):
    assert f"cache: redis://127.0.0.1:{REDIS_PORT};" in api.server.start_line
    # (serve installs its SIGTERM handler just after printing that line: give it a moment
    # before the fixture stops it)
    status, body = request(api.base + "/health")
    assert status == 200, body
    time.sleep(0.2)


def test_posted_messages_are_never_hidden_by_the_cache(api):
    group = api.post("andrewbrown", handle="londo", message="m0")["message_group_uuid"]
    assert api.texts("londo", group) == ["m0"]
    assert api.last_text("londo") == "m0"
    expected = ["m0"]
    for i in range(1, 8):
        who = "londo" if i % 2 else "andrewbrown"
        api.post(who, message_group_uuid=group, message=f"m{i}")
        expected.append(f"m{i}")
        # The conversation shows it at once, to both members (no stale cached page)...
        assert api.texts("londo", group) == expected
        assert api.texts("andrewbrown", group) == expected
        # ...and the lists as soon as the stream consumer has moved the group items.
        assert eventually(lambda: api.last_text("londo") == f"m{i}"), api.last_text("londo")
        assert eventually(lambda: api.last_text("andrewbrown") == f"m{i}")
    # bayko is no member, warm cache or not.
    status, _ = request(api.base + "/messages/" + group, token=api.tokens["bayko"])
    assert status == 404


def test_redis_holds_the_cache_keys(api):
    group = api.post("andrewbrown", handle="londo", message="hello")["message_group_uuid"]
    londo = api.get("/users/@londo/short", "londo")["uuid"]
    # After the consumer applied the message (which invalidates), read to fill the cache.
    assert eventually(lambda: api.counter("londo")["count"] == 1)
    api.texts("andrewbrown", group)
    api.get("/message_groups", "londo")
    keys = set(redis("--raw", "keys", "*").split())
    assert f"cruddur:messages:{group}" in keys, keys
    assert f"cruddur:members:{group}" in keys, keys
    assert f"cruddur:groups:{londo}" in keys, keys
    assert f"cruddur:unread:{londo}" in keys, keys
    cached = json.loads(redis("--raw", "get", f"cruddur:messages:{group}"))
    assert [m["message"] for m in cached["items"]] == ["hello"]
    ttl = int(redis("ttl", f"cruddur:messages:{group}"))
    assert 0 < ttl <= 60
    assert redis("--raw", "hget", f"cruddur:unread:{londo}", group).strip() == "1"


def test_unread_counter_counts_for_the_receiver_and_resets_on_read(api):
    group = api.post("andrewbrown", handle="londo", message="one")["message_group_uuid"]
    assert eventually(lambda: api.counter("londo") == {"count": 1, "groups": {group: 1}})
    assert api.counter("andrewbrown") == {"count": 0, "groups": {}}
    api.post("andrewbrown", message_group_uuid=group, message="two")
    api.post("andrewbrown", message_group_uuid=group, message="three")
    assert eventually(lambda: api.counter("londo")["count"] == 3), api.counter("londo")
    groups = api.get("/message_groups", "londo")
    assert eventually(lambda: api.get("/message_groups", "londo")[0]["unread"] == 3), groups

    assert api.texts("londo", group) == ["one", "two", "three"]
    assert api.counter("londo") == {"count": 0, "groups": {}}
    assert api.get("/message_groups", "londo")[0]["unread"] == 0
    # The reply counts for andrew, not for londo.
    api.post("londo", message_group_uuid=group, message="four")
    assert eventually(lambda: api.counter("andrewbrown")["count"] == 1)
    time.sleep(0.5)
    assert api.counter("londo")["count"] == 0


def test_a_message_from_another_writer_invalidates_and_counts(api):
    """Written straight into the table over the DynamoDB protocol (as another API instance or a
    seeding script would): only the stream consumer learns about it."""
    import boto3
    from datetime import datetime, timezone

    group = api.post("andrewbrown", handle="londo", message="first")["message_group_uuid"]
    andrew = api.get("/users/@andrewbrown/short", "andrewbrown")
    assert eventually(lambda: api.counter("londo")["count"] == 1)
    assert api.texts("londo", group) == ["first"]  # cached now; read: the count is 0
    assert eventually(lambda: api.last_text("londo") == "first")

    endpoint = re.search(r"DynamoDB endpoint (http://[0-9.]+:\d+)", api.server.start_line).group(1)
    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    sent_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    ddb.put_item(TableName="cruddur-messages", Item={
        "pk": {"S": "MSG#" + group}, "sk": {"S": sent_at},
        "message_uuid": {"S": "00000000-0000-4000-8000-000000000001"},
        "message": {"S": "from elsewhere"}, "user_uuid": {"S": andrew["uuid"]},
        "user_display_name": {"S": andrew["display_name"]}, "user_handle": {"S": "andrewbrown"}})

    assert eventually(lambda: api.counter("londo") == {"count": 1, "groups": {group: 1}})
    assert eventually(lambda: api.last_text("londo") == "from elsewhere")
    assert api.texts("londo", group) == ["first", "from elsewhere"]
    assert api.counter("londo")["count"] == 0


def test_a_separate_stream_worker_keeps_the_shared_cache_right(tmp_path):
    """serve --no-stream-consumer and a stream-worker, both on the Redis cache: the worker's
    invalidations and counts reach the API through Redis."""
    redis("flushall")
    env = make_env(tmp_path / "data")
    cruddur(env, "db", "setup")
    tokens = {h: cruddur(env, "auth", "token", h).strip() for h in ("andrewbrown", "londo")}
    procs = []

    def start(args, name):
        log = open(tmp_path / name, "w")
        p = subprocess.Popen([BINARY, *args], env=env, stdout=subprocess.PIPE, stderr=log,
                             text=True)
        procs.append(p)
        ready, _, _ = select.select([p.stdout], [], [], 30)
        line = p.stdout.readline() if ready else ""
        assert line, open(tmp_path / name).read()
        return line

    try:
        ddb_url = re.search(r"(http://[0-9.]+:\d+)",
                            start(["ddb", "serve", "--port", "0", "--in-memory"], "ddb.log")).group(1)
        line = start(["serve", "--port", "0", "--endpoint-url", ddb_url, "--no-stream-consumer"],
                     "serve.log")
        assert f"cache: redis://127.0.0.1:{REDIS_PORT};" in line and "stream consumer: off" in line
        url = re.search(r"(http://[0-9.]+:\d+)", line).group(1)
        api = Api(types.SimpleNamespace(url=url), tokens)
        group = api.post("andrewbrown", handle="londo", message="first")["message_group_uuid"]
        api.post("andrewbrown", message_group_uuid=group, message="second")
        assert api.last_text("londo") == "first"  # nobody moved the group items: cached so
        line = start(["stream-worker", "--endpoint-url", ddb_url, "--checkpoint",
                      str(tmp_path / "checkpoint.json")], "worker.log")
        assert f"cache: redis://127.0.0.1:{REDIS_PORT})" in line
        assert eventually(lambda: api.last_text("londo") == "second"), api.last_text("londo")
        assert eventually(lambda: api.counter("londo")["count"] == 2), api.counter("londo")
        assert api.texts("londo", group) == ["first", "second"]
        assert api.counter("londo")["count"] == 0
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def test_killing_redis_does_not_fail_the_api(api):
    """Last in the file: it stops the suite's redis-server."""
    group = api.post("andrewbrown", handle="londo", message="before")["message_group_uuid"]
    assert api.texts("londo", group) == ["before"]
    assert eventually(lambda: api.last_text("londo") == "before")
    os.kill(int(os.environ["REDIS_PID"]), signal.SIGKILL)
    time.sleep(0.3)

    api.post("andrewbrown", message_group_uuid=group, message="during")
    assert api.texts("londo", group) == ["before", "during"]
    assert eventually(lambda: api.last_text("londo") == "during")
    assert api.counter("londo") == {"count": 0, "groups": {}}
    new = api.post("londo", handle="bayko", message="hi bayko")["message_group_uuid"]
    assert api.texts("bayko", new) == ["hi bayko"]
    status, _ = request(api.base + "/messages/" + group, token=api.tokens["bayko"])
    assert status == 404
    log = open(api.server.log_path).read()
    assert log.count("unavailable, reading from the store") == 1, log
