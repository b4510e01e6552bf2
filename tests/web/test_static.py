"""The web page's static files cannot be escaped: requests sent over raw sockets (so nothing
normalises the path on the way) for files outside the page, against `cruddur serve` with the
embedded page and with `--web-dir` (a directory holding symlinks that point out of it). Also the
page's headers, and the development sign-in routes answering 404 in Cognito mode.
Binary: $CRUDDUR_BIN, default build/cruddur; $CRUDDUR_URL: an already running server to test too.

    /usr/bin/python3 -m pytest tests/web/test_static.py -q -p no:cacheprovider
"""

import json
import os
import re
import shutil
import socket
import sys
from urllib.parse import urlparse

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "api"))
import serve_helpers  # noqa: E402  (tests/api: the binary, env, processes)

SECRET = "TOP-SECRET-OUTSIDE-THE-WEB-DIR"

ESCAPES = [
    b"/../etc/passwd",
    b"/../../../../../../../../etc/passwd",
    b"/%2e%2e/%2e%2e/etc/passwd",
    b"/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
    b"/..%2f..%2f..%2fetc%2fpasswd",
    b"/..%2fsecret.txt",
    b"/%2e%2e%2fsecret.txt",
    b"/.%2e/secret.txt",
    b"/sub/../../secret.txt",
    b"/./../secret.txt",
    b"/%00",
    b"/index.html%00.js",
    b"//etc/passwd",
    b"//secret.txt",
    b"/..\\secret.txt",
    b"/%5c..%5csecret.txt",
    b"/\\etc\\passwd",
    b"/%2fetc%2fpasswd",
    b"/%252e%252e/secret.txt",
    b"/.hidden",
    b"/link.txt",
    b"/outside/secret.txt",
    b"/passwd-link",
    b"/%",
    b"/%zz",
    b"/" + b"a" * 300,
    b"/" + b"a/" * 600 + b"x",
    b"/..;/secret.txt",
]


def make_env(data_dir, cognito=False):
    """serve_helpers' development environment without a front-end URL or a cache URL, in
    Cognito mode when asked (a pool and client id; the JWKS comes from --jwks)."""
    env = serve_helpers.make_env(data_dir)
    env.pop("FRONTEND_URL", None)
    env.pop("CACHE_URL", None)
    if cognito:
        env["AWS_COGNITO_USER_POOL_ID"] = "us-east-1_WebTest"
        env["AWS_COGNITO_USER_POOL_CLIENT_ID"] = "web-test-client"
    return env


class Server:
    def __init__(self, tmp_path, name, *args, cognito=False):
        data = tmp_path / name
        serve_helpers.cruddur(make_env(data), "db", "setup")
        self.process = serve_helpers.Process(
            make_env(data, cognito),
            ["serve", "--port", "0", "--threads", "2", "--no-stream-consumer", *args],
            tmp_path / f"{name}.log")
        url = urlparse(self.process.url or "")
        if not url.port:
            self.stop()
            raise AssertionError(f"cruddur serve named no URL: {self.process.start_line}")
        self.host, self.port = url.hostname, url.port

    def stop(self):
        self.process.stop()


class Running:
    """A server started elsewhere (run.sh), by URL."""

    def __init__(self, url):
        parsed = urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port


def raw_get(server, target, method=b"GET", headers=b"", body=b""):
    """(status or None when the server closed without answering, headers text, body bytes)"""
    request = (method + b" " + target + b" HTTP/1.1\r\nHost: " + server.host.encode() +
               b"\r\nConnection: close\r\n" + headers + b"\r\n" + body)
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        return None, "", b""
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, head.decode("latin-1"), body


def assert_refused(server, target):
    status, _, body = raw_get(server, target)
    assert status in (None, 400, 404), (target, status, body[:200])
    assert SECRET.encode() not in body, target
    assert b"root:" not in body, target
    assert b"<html" not in body, target


def header(head, name):
    match = re.search(rf"^{name}: (.*)$", head, re.IGNORECASE | re.MULTILINE)
    return match.group(1).strip() if match else None


@pytest.fixture(scope="module")
def tmp_module(tmp_path_factory):
    return tmp_path_factory.mktemp("web")


@pytest.fixture(scope="module")
def embedded(tmp_module):
    url = os.environ.get("CRUDDUR_URL")
    if url:
        yield Running(url)
        return
    server = Server(tmp_module, "embedded")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def from_disk(tmp_module):
    """--web-dir: a copy of web/ plus a secret next to it and symlinks leading out."""
    root = tmp_module / "site"
    web = root / "web"
    shutil.copytree(os.path.join(serve_helpers.REPO_ROOT, "web"), web)
    (web / "sub").mkdir()
    (web / "sub" / "page.txt").write_text("inside")
    (web / ".hidden").write_text(SECRET)
    (root / "secret.txt").write_text(SECRET)
    os.symlink(root / "secret.txt", web / "link.txt")
    os.symlink(root, web / "outside")
    os.symlink("/etc/passwd", web / "passwd-link")
    server = Server(tmp_module, "disk", "--web-dir", str(web))
    yield server
    server.stop()


@pytest.mark.parametrize("target", ESCAPES, ids=lambda t: t[:40].decode("latin-1"))
def test_embedded_escapes_are_refused(embedded, target):
    assert_refused(embedded, target)


@pytest.mark.parametrize("target", ESCAPES, ids=lambda t: t[:40].decode("latin-1"))
def test_web_dir_escapes_are_refused(from_disk, target):
    assert_refused(from_disk, target)


@pytest.mark.parametrize("name", ["embedded", "from_disk"])
def test_page_files_and_headers(name, request):
    server = request.getfixturevalue(name)
    for target, content_type, needle in [
            (b"/", "text/html; charset=utf-8", b"<title>Cruddur"),
            (b"/index.html", "text/html; charset=utf-8", b"app.js"),
            (b"/app.js", "text/javascript; charset=utf-8", b"textContent"),
            (b"/style.css", "text/css; charset=utf-8", b".messages")]:
        status, head, body = raw_get(server, target)
        assert status == 200, (target, head)
        assert header(head, "Content-Type") == content_type
        assert header(head, "Cache-Control") == "no-cache"
        assert header(head, "X-Content-Type-Options") == "nosniff"
        assert "default-src 'self'" in header(head, "Content-Security-Policy")
        assert needle in body
    status, head, body = raw_get(server, b"/", method=b"HEAD")
    assert status == 200 and body == b""
    status, head, _ = raw_get(server, b"/", method=b"POST", headers=b"Content-Length: 0\r\n")
    assert status == 405 and header(head, "Allow") == "GET, HEAD"
    assert raw_get(server, b"/nope.js")[0] == 404


def test_web_dir_serves_what_is_on_disk(from_disk):
    status, _, body = raw_get(from_disk, b"/sub/page.txt")
    assert status == 200 and body == b"inside"


def test_dev_sign_in_routes(embedded):
    status, _, body = raw_get(embedded, b"/api/dev/users")
    assert status == 200
    handles = [u["handle"] for u in json.loads(body)]
    assert handles == sorted(handles) and {"andrewbrown", "bayko", "londo"} <= set(handles)
    # The API behind them is still the API.
    assert raw_get(embedded, b"/api/message_groups")[0] == 401
    assert raw_get(embedded, b"/api/health")[0] == 200


def test_dev_routes_are_404_in_cognito_mode(tmp_module):
    server = Server(tmp_module, "cognito", "--jwks", str(tmp_module / "no-jwks.json"),
                    cognito=True)
    try:
        status, _, body = raw_get(server, b"/api/dev/users")
        assert status == 404 and b"andrewbrown" not in body
        token = b'{"handle":"andrewbrown"}'
        status, _, body = raw_get(
            server, b"/api/dev/token", method=b"POST",
            headers=b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(token),
            body=token)
        assert status == 404 and b"token\"" not in body
        assert raw_get(server, b"/")[0] == 200  # the page itself is still served
    finally:
        server.stop()
