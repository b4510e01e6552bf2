"""Helpers shared by the reliability tests: start/stop `cruddur ddb serve`, boto3 clients, raw
signed requests, a steady client that must keep being served, process figures (RSS, open
descriptors) and a figures file for run.sh."""

import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
REGION = "us-east-1"
ACCESS_KEY = "AKIDRELIABILITY"
SECRET_KEY = "reliability/secret/key/0123456789abcdefghij"

sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "conformance"))
from ddbtest import cruddur_bin, free_port  # noqa: E402  (the conformance suite's)


def make_client(endpoint, service="dynamodb", access_key=ACCESS_KEY, secret_key=SECRET_KEY,
                **config):
    """A boto3 client with no retries: every error the server returns is seen by the test."""
    opts = {"retries": {"max_attempts": 1, "mode": "standard"}, "connect_timeout": 3,
            "read_timeout": 10, "max_pool_connections": 4}
    opts.update(config)
    session = boto3.session.Session()  # one session per client: creation is not thread-safe
    return session.client(service, endpoint_url=endpoint, region_name=REGION,
                          aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                          config=Config(**opts))


class Server:
    """One `cruddur ddb serve` child process on a free loopback port; `prefix` runs it through
    another command (e.g. prlimit, nsenter)."""

    def __init__(self, args, log_path, port=None, prefix=()):
        self.args = list(args)
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log_path = str(log_path)
        self.prefix = list(prefix)
        self.proc = None

    def command(self):
        return [cruddur_bin(), "ddb", "serve", "--host", "127.0.0.1", "--port",
                str(self.port)] + self.args

    def start(self, timeout=20.0):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.prefix + self.command(), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        log.close()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=20.0):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with status {self.proc.returncode}; "
                                   f"log: {self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError as e:
                last = e
            time.sleep(0.05)
        raise RuntimeError(f"server did not answer within {timeout}s: {last}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)

    def stop(self):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def open_fds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def threads(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/task"))

    def log_tail(self, n=2000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return ""


class AppServer(Server):
    """`cruddur serve` on `data_dir`, its DynamoDB endpoint (--ddb-port) on `port`; the users
    database and the messages table are made on its first start (through `prefix` too)."""

    def __init__(self, data_dir, log_path, prefix=()):
        super().__init__([], log_path, prefix=prefix)
        self.data_dir = str(data_dir)

    def command(self):
        users_db = os.path.join(self.data_dir, "users.db")  # where `prefix` sees it
        if subprocess.run(self.prefix + ["test", "-e", users_db]).returncode != 0:
            for setup in (["db", "setup"], ["ddb", "schema-load"]):
                subprocess.run(self.prefix + [cruddur_bin(), "--data-dir", self.data_dir] + setup,
                               check=True, capture_output=True, timeout=60)
        return [cruddur_bin(), "--data-dir", self.data_dir, "serve", "--host", "127.0.0.1",
                "--port", "0", "--ddb-port", str(self.port), "--no-stream-consumer"]


class RawClient:
    """DynamoDB requests over one keep-alive http.client connection, signed with botocore's
    SigV4Auth: much cheaper than boto3 per call, and every byte is under the test's control."""

    def __init__(self, port, access_key=ACCESS_KEY, secret_key=SECRET_KEY, timeout=10):
        self.port = port
        self.timeout = timeout
        self.signer = SigV4Auth(Credentials(access_key, secret_key), "dynamodb", REGION)
        self.conn = None

    def signed_headers(self, op, body, prefix="DynamoDB_20120810"):
        req = AWSRequest(method="POST", url=f"http://127.0.0.1:{self.port}/", data=body,
                         headers={"Content-Type": "application/x-amz-json-1.0",
                                  "X-Amz-Target": f"{prefix}.{op}"})
        self.signer.add_auth(req)
        return dict(req.headers.items())

    def call(self, op, payload):
        """Returns (status, parsed body). Raises OSError/HTTPException on transport errors (the
        connection is dropped so that the next call reconnects)."""
        body = json.dumps(payload).encode()
        headers = self.signed_headers(op, body)
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                       timeout=self.timeout)
            self.conn.request("POST", "/", body=body, headers=headers)
            resp = self.conn.getresponse()
            data = resp.read()
            if resp.getheader("Connection", "").lower() == "close":
                self.close()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        return resp.status, (json.loads(data) if data else {})

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def wait_table_active(client, table, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE":
            return
        time.sleep(0.05)
    raise RuntimeError(f"table {table} not ACTIVE after {timeout}s")


def create_pk_table(client, table):
    """An on-demand table keyed by pk (a string), waited for until ACTIVE."""
    client.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    wait_table_active(client, table)


def record_figures(name, figures):
    """Appends one line of figures for run.sh's summary (when RELIABILITY_FIGURES is set)."""
    path = os.environ.get("RELIABILITY_FIGURES")
    line = json.dumps({"test": name, **figures})
    print("FIGURES " + line)
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")


class SteadyClient:
    """Calls `probe` in a loop on its own thread, recording each call's start time and latency;
    `probe` returns None when the answer is right, else a description of what was wrong.
    `check` asserts the client was served (no error, no stall) since a moment."""

    def __init__(self, probe, interval, max_latency=2.0):
        self.probe = probe
        self.interval = interval
        self.max_latency = max_latency
        self.samples = []  # (start time, latency)
        self.errors = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            t = time.monotonic()
            try:
                problem = self.probe()
                if problem is not None:
                    self.errors.append((t, problem))
            except Exception as e:  # noqa: BLE001
                self.errors.append((t, repr(e)))
            self.samples.append((t, time.monotonic() - t))
            time.sleep(self.interval)

    def check(self, since, what):
        """Asserts the steady client was served since `since`; returns its figures."""
        window = [lat for t, lat in self.samples if t >= since]
        errors = [e for t, e in self.errors if t >= since]
        assert not errors, f"steady client failed during {what}: {errors[:3]}"
        assert window, f"steady client made no request during {what}"
        assert max(window) < self.max_latency, \
            f"steady client stalled {max(window):.2f}s during {what}"
        return {"steady_requests": len(window),
                "steady_p50_ms": round(statistics.median(window) * 1000, 1),
                "steady_max_ms": round(max(window) * 1000, 1)}
