"""Helpers shared by the tests that drive a real `cruddur serve` (test_serve.py,
test_hostile.py, tests/cache/test_cache_api.py): the binary, a development-mode environment, long-running processes and JSON
requests over urllib. The fixtures built on them are in conftest.py."""

import json
import os
import re
import select
import signal
import subprocess
import time
import urllib.error
import urllib.request

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("CRUDDUR_BIN", os.path.join(REPO_ROOT, "build", "cruddur"))
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


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
        self.log_path = log_path
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
