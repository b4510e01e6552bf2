"""`cruddur serve` end to end over HTTP (urllib), with development tokens from `cruddur auth token`:
andrewbrown starts a conversation with londo, londo's list shows it with the newest text once the
stream consumer has moved the group items, replies appear in order, and bayko can neither read
nor post to it. Also `cruddur stream-worker` against a separate `cruddur ddb serve`, and the
consumer across stream shard rotations (forced small) and a restart.
Binary: $CRUDDUR_BIN, default build/cruddur.

    /usr/bin/python3 -m pytest tests/api -q -p no:cacheprovider

Fixtures (api) are in conftest.py, helpers in serve_helpers.py.
"""

import datetime
import json
import re
import time
import urllib.request

from serve_helpers import UUID_RE, Process, cruddur, eventually, make_env, request

# The messages' created_at (FormatTimestamp in src/cruddur/messages.cc): UTC, microseconds.
TIMESTAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def utc_now():
    """This test's own clock, in created_at's form: fixed-width, so strings compare as times."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def assert_sent_between(created_at, before, after):
    assert TIMESTAMP_RE.match(created_at), created_at
    assert before <= created_at <= after, (before, created_at, after)


def test_conversation_end_to_end(api):
    server, tokens, data, _ = api
    base = server.url + "/api"
    andrew, londo, bayko = tokens["andrewbrown"], tokens["londo"], tokens["bayko"]

    before = utc_now()
    status, body, _ = request(base + "/messages", "POST", andrew,
                              {"handle": "londo", "message": "Hello Londo"})
    after = utc_now()
    assert status == 200, body
    assert set(body) == {"message_group_uuid"} and UUID_RE.match(body["message_group_uuid"])
    group = body["message_group_uuid"]

    status, groups, _ = request(base + "/message_groups", token=londo)
    assert status == 200 and len(groups) == 1, groups
    created_at, unread = groups[0].pop("created_at"), groups[0].pop("unread")
    assert groups == [{"uuid": group, "display_name": "Andrew Brown", "handle": "andrewbrown",
                       "message": "Hello Londo"}]
    assert_sent_between(created_at, before, after)
    assert unread in (0, 1)  # the stream consumer may not have counted it yet
    # londo has not read the conversation: the consumer counts andrew's message once.
    assert eventually(lambda: request(base + "/message_groups", token=londo)[1][0]["unread"]
                      == 1)

    before = utc_now()
    status, reply, _ = request(base + "/messages", "POST", londo,
                               {"message_group_uuid": group, "message": "Hi Andrew"})
    after = utc_now()
    assert status == 200, reply
    assert set(reply) == {"message_group_uuid", "uuid", "display_name", "handle", "message",
                          "created_at"}
    assert UUID_RE.match(reply["uuid"]) and reply["uuid"] != group
    assert {k: reply[k] for k in ("message_group_uuid", "display_name", "handle", "message")} \
        == {"message_group_uuid": group, "display_name": "Londo Mollari", "handle": "londo",
            "message": "Hi Andrew"}
    assert_sent_between(reply["created_at"], before, after)
    before = utc_now()
    status, _, _ = request(base + "/messages", "POST", andrew,
                           {"message_group_uuid": group, "message": "How are you?"})
    after = utc_now()
    assert status == 200

    status, messages, _ = request(f"{base}/messages/{group}", token=andrew)
    assert status == 200
    assert [m["message"] for m in messages] == ["Hello Londo", "Hi Andrew", "How are you?"]
    assert [m["handle"] for m in messages] == ["andrewbrown", "londo", "andrewbrown"]
    assert messages[1] == {k: v for k, v in reply.items() if k != "message_group_uuid"}
    assert_sent_between(messages[2]["created_at"], before, after)

    # Pattern D: the stream consumer moves both group items to the newest message.
    def latest(token):
        _, g, _ = request(base + "/message_groups", token=token)
        return g and g[0]["message"] == "How are you?" and before <= g[0]["created_at"] <= after
    assert eventually(lambda: latest(londo) and latest(andrew))

    # bayko is no member: he can neither read nor post, and sees no conversation.
    status, body, _ = request(f"{base}/messages/{group}", token=bayko)
    assert status == 404 and "error" in body
    status, body, _ = request(base + "/messages", "POST", bayko,
                              {"message_group_uuid": group, "message": "let me in"})
    assert status == 404
    assert request(base + "/message_groups", token=bayko)[1] == []
    assert len(request(f"{base}/messages/{group}", token=andrew)[1]) == 3

    # The checkpoint is on disk and names the table's stream.
    checkpoint = json.loads((data / "stream-checkpoint.json").read_text())
    assert ":table/cruddur-messages/stream/" in checkpoint["stream_arn"]
    assert any(s["sequence_number"] for s in checkpoint["shards"].values())


def test_authorization_and_bad_input(api):
    server, tokens, _, _ = api
    base = server.url + "/api"
    andrew = tokens["andrewbrown"]

    for method, path in (("GET", "/message_groups"), ("POST", "/messages"),
                         ("GET", "/users/@londo/short"),
                         ("GET", "/messages/5ae290ed-55d1-47a0-bc6d-fe2bc2700399")):
        status, body, headers = request(base + path, method, raw=b"{}" if method == "POST" else None)
        assert status == 401 and body["error"], path
        assert headers["WWW-Authenticate"].startswith("Bearer")
        assert request(base + path, method, "not.a.token")[0] == 401

    status, user, _ = request(base + "/users/@londo/short", token=andrew)
    assert status == 200 and set(user) == {"uuid", "handle", "display_name"}
    assert request(base + "/users/@nobody/short", token=andrew)[0] == 404

    status, body, _ = request(base + "/messages", "POST", andrew, {"message": ""})
    assert (status, body) == (422, ["user_reciever_handle_blank", "message_blank"])
    status, body, _ = request(base + "/messages", "POST", andrew,
                              {"handle": "londo", "message": "x" * 1025})
    assert (status, body) == (422, ["message_exceed_max_chars"])
    status, _, _ = request(base + "/messages", "POST", andrew,
                           {"handle": "londo", "message": "é" * 1024})
    assert status == 200  # 1024 characters (2048 bytes) is allowed
    assert request(base + "/messages", "POST", andrew, {"handle": "nobody", "message": "x"})[:2] \
        == (422, ["user_reciever_handle_not_found"])
    assert request(base + "/messages", "POST", andrew, {"handle": "andrewbrown", "message": "x"}) \
        [:2] == (422, ["user_reciever_handle_self"])
    assert request(base + "/messages", "POST", andrew, raw=b"{not json")[0] == 400
    assert request(base + "/messages", "POST", andrew, {"message": 7, "handle": "londo"})[0] == 400
    assert request(base + "/messages", "POST", andrew, raw=b"x" * (65 * 1024))[0] == 413
    assert request(base + "/messages/not-a-uuid", token=andrew)[0] == 404
    assert request(base + "/nothing", token=andrew)[0] == 404
    assert request(base + "/messages", "PUT", andrew, raw=b"{}")[0] == 405

    status, health, _ = request(base + "/health")
    assert status == 200 and health["success"] is True
    assert health["checks"] == {"dynamodb": "ok", "users": "ok"}

    status, _, headers = request(base + "/messages", "OPTIONS",
                                 headers={"Origin": "http://localhost:3000",
                                          "Access-Control-Request-Method": "POST"})
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    status, _, headers = request(base + "/messages", "OPTIONS",
                                 headers={"Origin": "http://evil.example"})
    assert headers.get("Access-Control-Allow-Origin") is None


def test_paging_and_the_ddb_endpoint(api):
    server, tokens, data, env = api
    base = server.url + "/api"
    andrew = tokens["andrewbrown"]
    _, body, _ = request(base + "/messages", "POST", andrew, {"handle": "bayko", "message": "m0"})
    group = body["message_group_uuid"]
    for i in range(1, 7):
        request(base + "/messages", "POST", andrew, {"message_group_uuid": group,
                                                     "message": f"m{i}"})
    seen, url = [], f"{base}/messages/{group}?limit=3"
    while url:
        status, page, headers = request(url, token=andrew)
        assert status == 200 and isinstance(page, list)
        seen = [m["message"] for m in page] + seen
        link = headers.get("Link")
        url = server.url + link[1:link.index(">")] + "&limit=3" if link else None
    assert seen == [f"m{i}" for i in range(7)]

    # --ddb-port serves the same engine over the DynamoDB protocol, published for other commands.
    endpoint = (data / "ddb" / "endpoint").read_text().strip()
    assert endpoint.startswith("http://127.0.0.1:")
    out = cruddur(env, "ddb", "list-tables")
    assert "cruddur-messages" in out
    # ... with the console at /console (tests/console drives it in Chromium), the health answer
    # at / as before.
    with urllib.request.urlopen(endpoint + "/console") as page:
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
        assert b"/console/console.js" in page.read()
    with urllib.request.urlopen(endpoint + "/") as health:
        assert health.read() == b"healthy: dynamodb.us-east-1.amazonaws.com "


def test_stream_worker_against_ddb_serve(tmp_path):
    data = tmp_path / "data"
    env = make_env(data)
    cruddur(env, "db", "setup")
    tokens = {h: cruddur(env, "auth", "token", h).strip() for h in ("andrewbrown", "londo")}
    ddb = Process(env, ["ddb", "serve", "--port", "0", "--in-memory"], tmp_path / "ddb.log")
    api = worker = None
    try:
        api = Process(env, ["serve", "--port", "0", "--endpoint-url", ddb.url,
                            "--no-stream-consumer"], tmp_path / "serve.log")
        assert "stream consumer: off" in api.start_line
        base = api.url + "/api"
        _, body, _ = request(base + "/messages", "POST", tokens["andrewbrown"],
                             {"handle": "londo", "message": "first"})
        group = body["message_group_uuid"]
        request(base + "/messages", "POST", tokens["londo"],
                {"message_group_uuid": group, "message": "second"})
        time.sleep(0.5)  # without a consumer, nothing moves
        assert request(base + "/message_groups", token=tokens["londo"])[1][0]["message"] == "first"

        checkpoint = tmp_path / "worker-checkpoint.json"
        worker = Process(env, ["stream-worker", "--endpoint-url", ddb.url, "--checkpoint",
                               str(checkpoint)], tmp_path / "worker.log")
        assert eventually(lambda: request(base + "/message_groups", token=tokens["londo"])[1][0]
                          ["message"] == "second")
        assert worker.stop() == 0
        worker = None
        assert json.loads(checkpoint.read_text())["stream_arn"]
    finally:
        for p in (worker, api, ddb):
            if p:
                p.stop()


def stopped_counts(process):
    """Stops a serve/stream-worker and returns its last line's counts: (records, messages)."""
    assert process.stop() == 0
    out = process.proc.stdout.read()
    match = re.search(r"stopped: (\d+) records, (\d+) messages applied", out)
    assert match, out
    return int(match.group(1)), int(match.group(2))


def test_stream_consumer_across_shard_rotations(tmp_path):
    """With the embedded engine's stream shards rotating every 2 records, `serve`'s consumer
    follows each closed shard to its child: every message is applied exactly once (its count of
    applied messages, and londo's unread count, which the consumer keeps), also across a restart
    that resumes from the checkpoint in the middle of the lineage."""
    import boto3

    data = tmp_path / "data"
    env = make_env(data)
    cruddur(env, "db", "setup")
    tokens = {h: cruddur(env, "auth", "token", h).strip() for h in ("andrewbrown", "londo")}
    andrew, londo = tokens["andrewbrown"], tokens["londo"]

    def unread(base):
        status, groups, _ = request(base + "/message_groups", token=londo)
        return groups[0]["unread"] if status == 200 and groups else 0

    # First run: the bound from the flag.
    serve = Process(env, ["serve", "--port", "0", "--ddb-port", "0", "--threads", "2",
                          "--shard-rotation-records", "2"], tmp_path / "serve1.log")
    base = serve.url + "/api"
    _, body, _ = request(base + "/messages", "POST", andrew, {"handle": "londo", "message": "m0"})
    group = body["message_group_uuid"]
    for i in range(1, 15):
        status, _, _ = request(base + "/messages", "POST", andrew,
                               {"message_group_uuid": group, "message": f"m{i}"})
        assert status == 200
    assert eventually(lambda: unread(base) == 15, timeout=30), unread(base)
    endpoint = (data / "ddb" / "endpoint").read_text().strip()
    streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="local", aws_secret_access_key="local")
    arn = json.loads((data / "stream-checkpoint.json").read_text())["stream_arn"]
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    assert len(shards) >= 8  # 15 messages and the group items moved: many rotations
    for parent, child in zip(shards, shards[1:]):
        assert child["ParentShardId"] == parent["ShardId"]
    assert stopped_counts(serve)[1] == 15

    # Second run: the bound from the environment; it resumes where the first stopped.
    env["CRUDDUR_SHARD_ROTATION_RECORDS"] = "2"
    serve = Process(env, ["serve", "--port", "0", "--threads", "2"], tmp_path / "serve2.log")
    base = serve.url + "/api"
    for i in range(15, 25):
        status, _, _ = request(base + "/messages", "POST", andrew,
                               {"message_group_uuid": group, "message": f"m{i}"})
        assert status == 200
    # The in-process cache starts empty: only this run's messages count as unread (a message of
    # the first run applied again would count too, being read before them).
    assert eventually(lambda: unread(base) == 10, timeout=30), unread(base)
    assert request(base + "/message_groups", token=londo)[1][0]["message"] == "m24"
    assert stopped_counts(serve)[1] == 10
    checkpoint = json.loads((data / "stream-checkpoint.json").read_text())
    finished = [s["finished"] for s in checkpoint["shards"].values()]
    assert len(finished) > 10 and finished.count(False) == 1  # only the open shard goes on
