"""`cruddur serve` end to end over HTTP (urllib), with development tokens from `cruddur auth token`:
andrewbrown starts a conversation with londo, londo's list shows it with the newest text once the
stream consumer has moved the group items, replies appear in order, and bayko can neither read
nor post to it. Also `cruddur stream-worker` against a separate `cruddur ddb serve`.
Binary: $CRUDDUR_BIN, default build/cruddur.

    /usr/bin/python3 -m pytest tests/api -q -p no:cacheprovider
"""

import json
import os
import re
import select
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("CRUDDUR_BIN", os.path.join(REPO_ROOT, "build", "cruddur"))
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture(scope="module", autouse=True)
def binary_built():
    if not os.access(BINARY, os.X_OK):
        pytest.fail(f"{BINARY} is not built (set CRUDDUR_BIN)")


def make_env(data_dir):
    """Development mode: no Cognito pool, no PostgreSQL, no DynamoDB endpoint override."""
    drop = ("CONNECTION_URL", "PROD_CONNECTION_URL", "CRUDDUR_DATA_DIR", "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_DYNAMODB", "FRONTEND_URL", "BACKEND_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_COGNITO") and k not in drop}
    env["CRUDDUR_DATA_DIR"] = str(data_dir)
    env["FRONTEND_URL"] = "http://localhost:3000"
    return env


def cruddur(env, *args):
    result = subprocess.run([BINARY, *args], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"cruddur {' '.join(args)}: {result.stdout}\n{result.stderr}"
    return result.stdout


class Process:
    """A long-running cruddur command whose first stdout line names its URL."""

    def __init__(self, env, args, log_path):
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen([BINARY, *args], env=env, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.stop()
            raise AssertionError(f"cruddur {' '.join(args)} did not start: "
                                 f"{open(log_path).read()}")
        self.start_line = line
        match = re.search(r"(http://[0-9.]+:\d+)", line)
        self.url = match.group(1) if match else None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def request(url, method="GET", token=None, body=None, raw=None, headers=None):
    """(status, parsed JSON or None, headers)"""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read()
            return resp.status, (json.loads(text) if text else None), resp.headers
    except urllib.error.HTTPError as e:
        text = e.read()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return e.code, parsed, e.headers


def eventually(check, timeout=10):
    deadline = time.time() + timeout
    while True:
        value = check()
        if value or time.time() > deadline:
            return value
        time.sleep(0.1)


@pytest.fixture
def api(tmp_path):
    data = tmp_path / "data"
    env = make_env(data)
    cruddur(env, "db", "setup")
    tokens = {h: cruddur(env, "auth", "token", h).strip()
              for h in ("andrewbrown", "londo", "bayko")}
    server = Process(env, ["serve", "--port", "0", "--ddb-port", "0", "--threads", "2"],
                     tmp_path / "serve.log")
    yield server, tokens, data, env
    assert server.stop() == 0


def test_conversation_end_to_end(api):
    server, tokens, data, _ = api
    base = server.url + "/api"
    andrew, londo, bayko = tokens["andrewbrown"], tokens["londo"], tokens["bayko"]

    status, body, _ = request(base + "/messages", "POST", andrew,
                              {"handle": "londo", "message": "Hello Londo"})
    assert status == 200, body
    assert set(body) == {"message_group_uuid"} and UUID_RE.match(body["message_group_uuid"])
    group = body["message_group_uuid"]

    status, groups, _ = request(base + "/message_groups", token=londo)
    assert status == 200
    assert groups == [{"uuid": group, "display_name": "Andrew Brown", "handle": "andrewbrown",
                       "message": "Hello Londo", "created_at": groups[0]["created_at"]}]

    status, reply, _ = request(base + "/messages", "POST", londo,
                               {"message_group_uuid": group, "message": "Hi Andrew"})
    assert status == 200, reply
    assert set(reply) == {"message_group_uuid", "uuid", "display_name", "handle", "message",
                          "created_at"}
    assert reply["handle"] == "londo" and reply["message"] == "Hi Andrew"
    status, _, _ = request(base + "/messages", "POST", andrew,
                           {"message_group_uuid": group, "message": "How are you?"})
    assert status == 200

    status, messages, _ = request(f"{base}/messages/{group}", token=andrew)
    assert status == 200
    assert [m["message"] for m in messages] == ["Hello Londo", "Hi Andrew", "How are you?"]
    assert [m["handle"] for m in messages] == ["andrewbrown", "londo", "andrewbrown"]
    assert messages[1]["uuid"] == reply["uuid"]

    # Pattern D: the stream consumer moves both group items to the newest message.
    def latest(token):
        _, g, _ = request(base + "/message_groups", token=token)
        return g and g[0]["message"] == "How are you?" and g[0]["created_at"] == messages[2][
            "created_at"]
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
