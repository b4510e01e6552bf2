"""Fixtures for the `cruddur ddb ...` command tests.

Every test runs build/cruddur (or $CRUDDUR_BIN) as a subprocess against one of four targets:

  embedded      the engine in a fresh temporary data dir (no server)
  serve-url     a `cruddur ddb serve --in-memory` started here, named with --endpoint-url
  serve-lock    a `cruddur ddb serve` holding the test's own data dir: the command finds it
                through <data-dir>/ddb/endpoint instead of failing on the lock
  dynalite      the dynalite npm package (another DynamoDB implementation), in memory; installed
                with npm into $CRUDDUR_NPM_PREFIX (default tests/cli/.npm) when missing, skipped
                only when node/npm are not installed

The users database is always the embedded SQLite one, created with `cruddur db setup`.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import boto3
import pytest
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
TARGETS = ["embedded", "serve-url", "serve-lock", "dynalite"]

sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "conformance"))
from ddbtest import cruddur_bin, free_port  # noqa: E402  (the conformance suite's)


def boto_client(endpoint):
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}, connect_timeout=2,
                                      read_timeout=10))


def wait_until_answers(endpoint, proc, timeout=20.0):
    client = boto_client(endpoint)
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with status {proc.returncode}")
        try:
            client.list_tables()
            return
        except Exception as e:  # still starting
            last = e
            time.sleep(0.05)
    raise RuntimeError(f"{endpoint} did not answer within {timeout}s: {last}")


def base_env(tmp_path):
    """An environment that cannot reach anything outside the test: no AWS config, UTC."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k not in (
               "CONNECTION_URL", "PROD_CONNECTION_URL", "DDB_MESSAGE_TABLE",
               "CRUDDUR_DATA_DIR")}
    env.update({
        "TZ": "UTC",
        "HOME": str(tmp_path / "home"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
    })
    return env


class Server:
    """A child process serving DynamoDB on a loopback port."""

    def __init__(self, argv, endpoint, log_path, env=None):
        self.endpoint = endpoint
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)
        try:
            wait_until_answers(endpoint, self.proc)
        except Exception:
            self.stop()
            raise

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def start_cruddur_server(args, log_path, env):
    port = free_port()
    argv = [cruddur_bin(), "ddb", "serve", "--host", "127.0.0.1", "--port", str(port)] + args
    return Server(argv, f"http://127.0.0.1:{port}", log_path, env)


@pytest.fixture(scope="session")
def dynalite_bin():
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm are not installed: cannot run dynalite")
    prefix = os.environ.get("CRUDDUR_NPM_PREFIX", os.path.join(HERE, ".npm"))
    binary = os.path.join(prefix, "node_modules", ".bin", "dynalite")
    if not os.access(binary, os.X_OK):
        os.makedirs(prefix, exist_ok=True)
        done = subprocess.run(["npm", "install", "--no-save", "--no-audit", "--no-fund",
                               "--prefix", prefix, "dynalite@4"],
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0 or not os.access(binary, os.X_OK):
            pytest.fail(f"npm install dynalite@4 failed:\n{done.stdout}\n{done.stderr}")
    return binary


class Cli:
    """Runs cruddur with a data dir and target arguments; returns CompletedProcess."""

    def __init__(self, tmp_path, target_args=(), endpoint=None, name="embedded"):
        self.tmp_path = tmp_path
        self.data_dir = tmp_path / "data"
        self.env = base_env(tmp_path)
        self.env["CRUDDUR_DATA_DIR"] = str(self.data_dir)
        self.target_args = list(target_args)
        self.endpoint = endpoint  # where boto3 can look, when there is a server
        self.name = name

    def run(self, *args, target=True, env=None, check=None, timeout=120):
        argv = [cruddur_bin()] + list(args) + (self.target_args if target else [])
        full_env = dict(self.env)
        full_env.update(env or {})
        done = subprocess.run(argv, capture_output=True, text=True, env=full_env,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        if check is True:
            assert done.returncode == 0, (argv, done.stdout, done.stderr)
        return done

    def ok(self, *args, **kwargs):
        return self.run(*args, check=True, **kwargs)

    def json(self, *args, **kwargs):
        return json.loads(self.ok(*args, "--json", **kwargs).stdout)


@pytest.fixture
def make_cli(tmp_path):
    """Builds a Cli for a target name; servers it starts are stopped at the end."""
    servers = []

    def make(name, setup_users=True):
        if not os.access(cruddur_bin(), os.X_OK):
            pytest.fail(f"{cruddur_bin()} is not built (set CRUDDUR_BIN)")
        cli = Cli(tmp_path, name=name)
        if name == "serve-url":
            server = start_cruddur_server(["--in-memory"], tmp_path / "serve.log", cli.env)
            cli.target_args = ["--endpoint-url", server.endpoint]
            cli.endpoint = server.endpoint
        elif name == "serve-lock":
            server = start_cruddur_server(["--data-dir", str(cli.data_dir)],
                                          tmp_path / "serve.log", cli.env)
            cli.endpoint = server.endpoint
            cli.server = server
        elif name == "dynalite":
            port = free_port()
            binary = make.dynalite()
            server = Server([binary, "--port", str(port)], f"http://127.0.0.1:{port}",
                            tmp_path / "dynalite.log")
            cli.target_args = ["--endpoint-url", server.endpoint]
            cli.endpoint = server.endpoint
        else:
            server = None
        if server is not None:
            servers.append(server)
        if setup_users:
            cli.ok("db", "setup", target=False)
        return cli

    make.dynalite = lambda: None
    yield make
    for server in servers:
        server.stop()


@pytest.fixture(params=TARGETS)
def cli(request, make_cli):
    if request.param == "dynalite":
        binary = request.getfixturevalue("dynalite_bin")
        make_cli.dynalite = lambda: binary
    return make_cli(request.param)
