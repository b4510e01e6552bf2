"""Hostile input on the messaging API (issue 7, point 5): handles and group ids that try SQL,
path or key tricks, oversized and NUL-laden values, and crafted cursors, against a real
`cruddur serve` in development mode. Every answer must be a 4xx with a JSON reason (never 5xx,
never a dropped connection, never someone else's data); afterwards the users table still has its
rows and the seeded conversation is unchanged.

Runs on embedded SQLite, and also on PostgreSQL when CRUDDUR_TEST_POSTGRES_URL names a server
(postgresql://user:password@host:port/db, as tests/db/run_postgres_tests.sh exports it).
Binary: $CRUDDUR_BIN, default build/cruddur.

    /usr/bin/python3 -m pytest tests/api/test_hostile.py -q -p no:cacheprovider
"""

import base64
import json
import os
import socket
import sqlite3
import subprocess
import urllib.parse

import pytest

from serve_helpers import BINARY, Process, cruddur, make_env
from serve_helpers import request as send

GROUP_LOOKALIKE = "5ae290ed-55d1-47a0-bc6d-fe2bc2700399"
SQL_HANDLES = ["andrewbrown' OR '1'='1", "x'; DROP TABLE users;--", "londo\"; DELETE FROM users",
               "' UNION SELECT cognito_user_id, email, handle FROM users --", "%27", "%",
               "londo%", "_ondo", "*"]
PATH_HANDLES = ["../../etc/passwd", "..%2f..%2f", "..", ".", "londo/../bayko", "londo/",
                "/londo", "..\\..\\windows", "londo?x=1", "londo#frag", "~root"]
HOMOGLYPHS = ["\u0430ndrewbrown",   # Cyrillic a
              "l\u043endo",         # Cyrillic o
              "\uff4condo",         # fullwidth l
              "londo\u200b",        # zero-width space
              "LONDO\u0307",        # combining dot
              "andrewbrown\u202e"]  # right-to-left override


def pct(text):
    return urllib.parse.quote(text, safe="")


def backend_params():
    params = ["sqlite"]
    if os.environ.get("CRUDDUR_TEST_POSTGRES_URL"):
        params.append("postgres")
    return params


def postgres_url(database):
    base = urllib.parse.urlsplit(os.environ["CRUDDUR_TEST_POSTGRES_URL"])
    return urllib.parse.urlunsplit(base._replace(path="/" + database))


@pytest.fixture(scope="module", params=backend_params())
def site(request, tmp_path_factory):
    """A server with the seed users and one conversation andrewbrown <-> londo (3 messages) and
    one andrewbrown <-> bayko; yields a dict of what the tests need."""
    REFUSED.clear()
    tmp = tmp_path_factory.mktemp("hostile-" + request.param)
    env = make_env(tmp / "data")
    if request.param == "postgres":
        env["CONNECTION_URL"] = postgres_url("cruddur_hostile")
    cruddur(env, "db", "setup")
    tokens = {h: cruddur(env, "auth", "token", h).strip()
              for h in ("andrewbrown", "londo", "bayko")}
    server = Process(env, ["serve", "--port", "0", "--ddb-port", "0", "--threads", "2"],
                     tmp / "serve.log")
    base = server.url + "/api"
    try:
        status, body, _ = send(base + "/messages", "POST", tokens["andrewbrown"],
                                  {"handle": "londo", "message": "secret one"})
        assert status == 200, body
        group = body["message_group_uuid"]
        for who, text in (("londo", "secret two"), ("andrewbrown", "secret three")):
            status, body, _ = send(base + "/messages", "POST", tokens[who],
                                      {"message_group_uuid": group, "message": text})
            assert status == 200, body
        status, body, _ = send(base + "/messages", "POST", tokens["andrewbrown"],
                                  {"handle": "bayko", "message": "hi bayko"})
        assert status == 200, body
        other = body["message_group_uuid"]
        status, messages, _ = send(f"{base}/messages/{group}", token=tokens["andrewbrown"])
        assert status == 200 and len(messages) == 3
        yield {"server": server, "base": base, "tokens": tokens, "group": group, "other": other,
               "messages": messages, "env": env, "backend": request.param, "tmp": tmp}
    finally:
        server.stop()
        if request.param == "postgres":
            subprocess.run([BINARY, "db", "drop"], env=env, capture_output=True, timeout=60)


def raw_http(url, request_bytes):
    """Sends bytes as they are (urllib refuses control characters); (status or None, body)."""
    host, port = urllib.parse.urlsplit(url).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(request_bytes)
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
                head, sep, rest = data.partition(b"\r\n\r\n")
                if sep:
                    length = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:")]
                    if length and len(rest) >= length[0]:
                        break
        except (ConnectionResetError, socket.timeout):
            pass
    if not data.startswith(b"HTTP/1."):
        return None, data
    return int(data.split(b" ")[1]), data.partition(b"\r\n\r\n")[2]


SECRETS = ("secret one", "secret two", "secret three")
# Limits the HTTP server enforces itself (header block too large, ...), with an empty body.
TRANSPORT_LIMITS = (413, 414, 431)


REFUSED = []  # the hostile requests checked against the current server, for a summary line


def assert_refused(result, what, statuses=None):
    """A 4xx whose body is a JSON reason (422: the original's list of codes), no secrets."""
    REFUSED.append(what)
    status, body, _ = result
    assert status is not None and 400 <= status < 500, f"{what}: {status} {body!r}"
    if statuses:
        assert status in statuses, f"{what}: {status} {body!r}"
    if status == 422:
        assert isinstance(body, list) and body, f"{what}: {body!r}"
    elif status in TRANSPORT_LIMITS and not body:
        pass  # refused by the HTTP server before routing: the status line is the reason
    else:
        assert isinstance(body, dict) and body.get("error"), f"{what}: {status} {body!r}"
    assert not any(s in json.dumps(body) for s in SECRETS), f"{what} leaked: {body!r}"


def safe_request(*args, **kwargs):
    """send(), with a dropped connection reported as status None instead of raising."""
    try:
        return send(*args, **kwargs)
    except (ConnectionError, OSError) as e:
        return None, repr(e), {}


def test_handles_in_the_users_route(site):
    base, andrew = site["base"], site["tokens"]["andrewbrown"]
    cases = SQL_HANDLES + PATH_HANDLES + HOMOGLYPHS + ["londo\x00", "\x00", "lon\x00do",
                                                       "londo\r\nX-Injected: 1", "x" * 65]
    for handle in cases:
        assert_refused(safe_request(f"{base}/users/@{pct(handle)}/short", token=andrew),
                       f"GET short {handle!r}", {400, 404})
    # The same without percent-encoding where a URL can carry it (urllib sends it verbatim).
    for handle in ["..", "%27", "..%2f..%2f", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "%00", "%zz",
                   "andrewbrown'%20OR%20'1'='1", "x';DROP%20TABLE%20users;--", "*"]:
        assert_refused(safe_request(f"{base}/users/@{handle}/short", token=andrew),
                       f"GET short raw {handle!r}", {400, 404})
    # 10 KB handle: refused by the route (or by the server's header limit), not a crash.
    assert_refused(safe_request(f"{base}/users/@{'a' * 10240}/short", token=andrew),
                   "GET short 10 KB handle")
    # A NUL byte on the wire, unencoded.
    status, body = raw_http(site["server"].url, b"GET /api/users/@lon\x00do/short HTTP/1.1\r\n"
                            b"Host: x\r\nAuthorization: Bearer " + andrew.encode() +
                            b"\r\nConnection: close\r\n\r\n")
    assert status is not None and 400 <= status < 500, (status, body)
    # The real handle still works, exactly and only.
    status, user, _ = send(f"{base}/users/@londo/short", token=andrew)
    assert status == 200 and user["handle"] == "londo"


def test_handles_in_a_new_message(site):
    base, bayko = site["base"], site["tokens"]["bayko"]
    cases = SQL_HANDLES + PATH_HANDLES + HOMOGLYPHS + ["londo\x00", "\x00andrewbrown",
                                                       "a" * 10240, "", " londo", "londo "]
    for handle in cases:
        result = safe_request(base + "/messages", "POST", bayko,
                              {"handle": handle, "message": "hostile"})
        assert_refused(result, f"POST handle {handle!r}", {400, 404, 422})
    for handle in (7, None, ["londo"], {"$ne": ""}, True):
        assert_refused(safe_request(base + "/messages", "POST", bayko,
                                    {"handle": handle, "message": "hostile"}),
                       f"POST handle {handle!r}", {400, 422})
    # A 1 MB handle is over the body limit.
    assert_refused(safe_request(base + "/messages", "POST", bayko,
                                {"handle": "a" * (1 << 20), "message": "x"}),
                   "POST 1 MB handle", {413})


def group_variants(site):
    g = site["group"]
    return ["../", "..", ".", f"{g}/../x", f"{g}/..", f"../{g}", "GRP#andrewbrown",
            f"GRP#{g}", f"MSG#{g}", f"MSG#{g}#x", "*", "%", f"{g}%", f"{g[:8]}", g[:-1],
            f"{g} ", f" {g}", f"{g}\x00", f"{g}' OR '1'='1", "' OR 1=1 --", g.replace("-", ""),
            "00000000-0000-0000-0000-000000000000", GROUP_LOOKALIKE, "{" + g + "}",
            "\u0035ae290ed-55d1-47a0-bc6d-fe2bc270039\uff19", "g" * 300]


def test_group_ids_in_the_messages_route(site):
    base, tokens, g = site["base"], site["tokens"], site["group"]
    for token_name in ("andrewbrown", "bayko"):
        for variant in group_variants(site):
            assert_refused(safe_request(f"{base}/messages/{pct(variant)}",
                                        token=tokens[token_name]),
                           f"GET messages {variant!r} as {token_name}", {400, 404})
    # Unencoded path tricks: the route refuses anything with a further '/'.
    for raw in ["..", "../", f"{g}/../{g}", f"{g}/..", f"x/../{g}", "%2e%2e%2f", f"{g}%2f..",
                f"{g}%00", f"{g};x", "*"]:
        assert_refused(safe_request(f"{base}/messages/{raw}", token=tokens["bayko"]),
                       f"GET messages raw {raw!r}", {400, 404})
    # bayko, who is not in the group, gets exactly what a missing group gets; so does the
    # upper-case spelling of its uuid.
    for variant in (g, g.upper()):
        assert_refused(safe_request(f"{base}/messages/{variant}", token=tokens["bayko"]),
                       f"bayko reads {variant}", {404})
    # A 1 MB id in the URL: refused (by the header limit), no 5xx, no dropped connection.
    assert_refused(safe_request(f"{base}/messages/{'a' * (1 << 20)}", token=tokens["bayko"]),
                   "GET 1 MB group id")


def test_group_ids_in_a_reply(site):
    base, tokens, g = site["base"], site["tokens"], site["group"]
    for token_name in ("bayko",):
        for variant in group_variants(site) + [g, g.upper(), ""]:
            assert_refused(safe_request(base + "/messages", "POST", tokens[token_name],
                                        {"message_group_uuid": variant, "message": "hostile"}),
                           f"POST group {variant!r} as {token_name}", {400, 404, 422})
    for variant in group_variants(site):
        assert_refused(safe_request(base + "/messages", "POST", tokens["andrewbrown"],
                                    {"message_group_uuid": variant, "message": "hostile"}),
                       f"POST group {variant!r} as andrewbrown", {400, 404, 422})
    for variant in (7, ["x"], {"S": g}, {"begins_with": g[:8]}, True):
        assert_refused(safe_request(base + "/messages", "POST", tokens["bayko"],
                                    {"message_group_uuid": variant, "message": "hostile"}),
                       f"POST group {variant!r}", {400})
    # 60 KB (under the body limit) and 1 MB (over it).
    assert_refused(safe_request(base + "/messages", "POST", tokens["bayko"],
                                {"message_group_uuid": "g" * 60000, "message": "x"}),
                   "POST 60 KB group id", {404, 422})
    assert_refused(safe_request(base + "/messages", "POST", tokens["bayko"],
                                {"message_group_uuid": "g" * (1 << 20), "message": "x"}),
                   "POST 1 MB group id", {413})
    # Both members and a handle: the group decides, the handle cannot redirect the message.
    status, body, _ = send(base + "/messages", "POST", tokens["bayko"],
                              {"message_group_uuid": g, "handle": "londo", "message": "hostile"})
    assert status == 404, body


def b64(text):
    return base64.b64encode(text.encode()).decode()


def test_crafted_cursors(site):
    base, tokens, g, other = site["base"], site["tokens"], site["group"], site["other"]
    andrew, bayko = tokens["andrewbrown"], tokens["bayko"]
    # A real cursor of andrewbrown's conversation with londo.
    status, page, headers = send(f"{base}/messages/{g}?limit=1", token=andrew)
    assert status == 200 and headers.get("X-Next-Cursor")
    real = headers["X-Next-Cursor"]
    status, groups_page, gheaders = send(f"{base}/message_groups?limit=1", token=andrew)
    assert status == 200
    crafted = [real, b64(f"MSG#{g}"), b64(f"GRP#{g}"), b64("GRP#andrewbrown"), b64("\xff" * 8),
               b64("9999-12-31T23:59:59.999999+00:00"), b64(g), b64("*"), b64("' OR '1'='1"),
               b64("x" * 65), "**", "%", "../", "A" * 600, b64("") or "=", "=" * 4]
    if gheaders.get("X-Next-Cursor"):
        crafted.append(gheaders["X-Next-Cursor"])
    for cursor in crafted:
        # On bayko's own conversation with andrewbrown a cursor can only page within it.
        status, body, _ = safe_request(f"{base}/messages/{other}?cursor={pct(cursor)}",
                                       token=bayko)
        if status == 200:
            assert all(m["message"] == "hi bayko" for m in body), (cursor, body)
        else:
            assert_refused((status, body, None), f"bayko cursor {cursor!r}", {400})
        # On the group he is not in: 404 whatever the cursor (400 for a malformed one).
        assert_refused(safe_request(f"{base}/messages/{g}?cursor={pct(cursor)}", token=bayko),
                       f"bayko cursor {cursor!r} on the group", {400, 404})
        # His list of conversations never shows andrewbrown's conversation with londo.
        status, body, _ = safe_request(f"{base}/message_groups?cursor={pct(cursor)}",
                                       token=bayko)
        if status == 200:
            assert all(x["uuid"] == other for x in body), (cursor, body)
        else:
            assert_refused((status, body, None), f"bayko groups cursor {cursor!r}", {400})
    # Several cursors in one query: the first wins or it is refused, never a 5xx.
    status, _, _ = safe_request(f"{base}/messages/{other}?cursor={pct(real)}&cursor=x&cursor=",
                                token=bayko)
    assert status is not None and status < 500


def test_deeply_nested_bodies(site):
    """Bodies of nested brackets up to the 64 KB limit: refused as malformed, never a crash."""
    base, bayko = site["base"], site["tokens"]["bayko"]
    depth = 32000  # 64,000 bytes of brackets
    bodies = {"arrays": b"[" * depth + b"]" * depth,
              "objects": b'{"a":' * 6000 + b"1" + b"}" * 6000,
              "in a member": b'{"handle":"londo","message":' + b"[" * 30000 + b"]" * 30000 + b"}",
              "unterminated": b"[" * 60000}
    for name, body in bodies.items():
        status, answer, _ = safe_request(base + "/messages", "POST", bayko, raw=body)
        assert_refused((status, answer, {}), f"POST /messages nested {name}", {400})
        assert answer["code"] == "malformed_json", answer
        status, answer, _ = safe_request(base + "/dev/token", "POST", raw=body)
        assert_refused((status, answer, {}), f"POST /dev/token nested {name}", {400})
    status, health, _ = send(base + "/health")
    assert status == 200 and health["success"] is True


def test_nothing_changed(site):
    """Runs last in this module: the users and the seeded conversation are intact."""
    base, tokens, g = site["base"], site["tokens"], site["group"]
    env = site["env"]
    if site["backend"] == "sqlite":
        db = sqlite3.connect(os.path.join(env["CRUDDUR_DATA_DIR"], "users.db"))
        handles = sorted(h for (h,) in db.execute("select handle from users"))
        db.close()
    else:
        out = subprocess.run([BINARY, "db", "connect"], env=env, capture_output=True, text=True,
                             input="\\pset tuples_only on\nselect handle from users;\n",
                             timeout=60)
        assert out.returncode == 0, out.stderr
        handles = sorted(line.strip() for line in out.stdout.splitlines() if line.strip())
    assert handles == ["andrewbrown", "bayko", "londo"]
    for name in ("andrewbrown", "londo", "bayko"):
        status, user, _ = send(f"{base}/users/@{name}/short", token=tokens["andrewbrown"])
        assert status == 200 and user["handle"] == name
    for name in ("andrewbrown", "londo"):
        status, messages, _ = send(f"{base}/messages/{g}", token=tokens[name])
        assert status == 200 and messages == site["messages"], messages
    # bayko still sees only his own conversation, which holds only the one message.
    status, groups, _ = send(base + "/message_groups", token=tokens["bayko"])
    assert status == 200 and [x["uuid"] for x in groups] == [site["other"]]
    status, messages, _ = send(f"{base}/messages/{site['other']}", token=tokens["bayko"])
    assert status == 200 and [m["message"] for m in messages] == ["hi bayko"]
    # The server is still healthy.
    status, health, _ = send(base + "/health")
    assert status == 200 and health["success"] is True
    print(f"\nhostile requests refused cleanly ({site['backend']}): {len(REFUSED)}")
