"""`cruddur serve` and `cruddur stream-worker` where a new user stumbles: a messages table that
is not there (production mode never creates it), and two stream consumers on one checkpoint file.
Each runs the real binary against a `cruddur ddb serve --in-memory` or the embedded engine."""

import os
import re
import select
import signal
import subprocess

import pytest

from conftest import boto_client, cruddur_bin


class Running:
    """A long-running cruddur command (serve, stream-worker) whose first stdout line says it has
    started; stderr goes to a file."""

    def __init__(self, cli, *args, target=True):
        argv = [cruddur_bin(), *args] + (cli.target_args if target else [])
        self.err_path = cli.tmp_path / f"running-{os.getpid()}-{id(self)}.err"
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.err, text=True,
                                     env=cli.env, stdin=subprocess.DEVNULL)
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        self.start_line = self.proc.stdout.readline() if ready else ""
        if not self.start_line:
            self.stop()
            raise AssertionError(f"{argv} did not start: {self.err_path.read_text()}")

    @property
    def pid(self):
        return self.proc.pid

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()
        return self.proc.returncode


@pytest.fixture
def running():
    started = []

    def start(cli, *args, **kwargs):
        process = Running(cli, *args, **kwargs)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def refused(done):
    """The one line of a command that refused to start."""
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    return done.stderr


# ---- a missing messages table ------------------------------------------------------------------

def test_serve_in_production_refuses_a_missing_table_and_says_how_to_create_it(make_cli):
    # Production mode never creates the table (schema-load's job): without it every request
    # would fail, so the start stops, naming the table, the endpoint and the command.
    cli = make_cli("serve-url")
    env = {"PROD_CONNECTION_URL": "postgresql://nobody@127.0.0.1:1/cruddur"}
    done = cli.run("serve", "--port", "0", "--prod", "--table", "prod-messages", env=env,
                   timeout=30)
    assert refused(done) == (
        f"cruddur: table prod-messages does not exist in {cli.endpoint} (--endpoint-url), and "
        "production mode does not create it: create it with `cruddur ddb schema-load --prod "
        f"--endpoint-url {cli.endpoint} --table prod-messages`, then start `cruddur serve` "
        "again\n")
    assert boto_client(cli.endpoint).list_tables()["TableNames"] == []  # nothing was created

    # The command it names creates the table on that endpoint; serve then gets past the table
    # (and stops at the next thing production mode needs: the PostgreSQL users database).
    command = re.search(r"`(cruddur ddb schema-load [^`]*)`", done.stderr).group(1)
    argv = [cruddur_bin()] + command.split()[1:]
    created = subprocess.run(argv, capture_output=True, text=True, env=cli.env, timeout=60)
    assert created.returncode == 0, created.stderr
    assert boto_client(cli.endpoint).list_tables()["TableNames"] == ["prod-messages"]
    done = cli.run("serve", "--port", "0", "--prod", "--table", "prod-messages", env=env,
                   timeout=30)
    assert refused(done).startswith("cruddur: cannot connect to PostgreSQL at "), done.stderr


def test_serve_outside_production_still_creates_the_table(make_cli, running):
    cli = make_cli("serve-url")
    serve = running(cli, "serve", "--port", "0", "--table", "dev-messages")
    assert "table dev-messages (created)" in serve.start_line
    assert boto_client(cli.endpoint).list_tables()["TableNames"] == ["dev-messages"]


def test_stream_worker_refuses_a_missing_table(make_cli, running):
    # A worker following a table that is not there would wait silently: a wrong --table or
    # endpoint. It never creates the table itself.
    cli = make_cli("serve-url")
    done = cli.run("stream-worker", "--table", "typo-messages", timeout=30)
    assert refused(done) == (
        f"cruddur: table typo-messages does not exist in {cli.endpoint} (--endpoint-url): there "
        "is no stream to follow; create it with `cruddur ddb schema-load --endpoint-url "
        f"{cli.endpoint} --table typo-messages`\n")
    assert boto_client(cli.endpoint).list_tables()["TableNames"] == []
    cli.ok("ddb", "schema-load", "--table", "typo-messages")
    worker = running(cli, "stream-worker", "--table", "typo-messages")
    assert worker.start_line.startswith("cruddur stream-worker following the stream of "
                                        "typo-messages")


# ---- one checkpoint, one consumer --------------------------------------------------------------

def checkpoint_held(done, checkpoint, holder_pid, holder):
    line = refused(done)
    assert line.startswith(f"cruddur: the stream checkpoint {checkpoint} is in use by process "
                           f"{holder_pid} ({holder}, table cruddur-messages): one checkpoint "
                           "has one consumer (two would overwrite each other's position in "
                           "it); "), line
    return line


def test_stream_worker_beside_serve_on_one_data_dir_is_refused(make_cli, running):
    # The everyday mistake: `cruddur serve` (which follows the stream itself) and a
    # `cruddur stream-worker` on the same data dir, both on <data-dir>/stream-checkpoint.json.
    cli = make_cli("embedded")
    serve = running(cli, "serve", "--port", "0", "--ddb-port", "0")
    assert "stream consumer: on" in serve.start_line
    checkpoint = cli.data_dir / "stream-checkpoint.json"
    done = cli.run("stream-worker", timeout=30)  # reaches serve's engine through --ddb-port
    line = checkpoint_held(done, checkpoint, serve.pid, "cruddur serve")
    assert line.endswith("stop it (`cruddur serve` follows the stream itself unless started "
                         "with --no-stream-consumer), or give a worker of another table its own "
                         "--checkpoint FILE\n")

    # A worker with its own checkpoint is a different consumer, and may run.
    other = running(cli, "stream-worker", "--checkpoint", str(cli.tmp_path / "other.json"))
    assert f"(checkpoint {cli.tmp_path / 'other.json'};" in other.start_line
    assert other.stop() == 0


def test_serve_beside_a_stream_worker_is_refused_until_it_is_gone(make_cli, running):
    cli = make_cli("serve-url")
    cli.ok("ddb", "schema-load")
    worker = running(cli, "stream-worker")
    checkpoint = cli.data_dir / "stream-checkpoint.json"
    assert f"(checkpoint {checkpoint};" in worker.start_line

    done = cli.run("serve", "--port", "0", timeout=30)
    line = checkpoint_held(done, checkpoint, worker.pid, "cruddur stream-worker")
    assert line.endswith("beside another consumer of this table start `cruddur serve "
                         "--no-stream-consumer`; a consumer of another table needs its own "
                         "--checkpoint FILE\n")
    done = cli.run("stream-worker", timeout=30)  # nor a second worker
    checkpoint_held(done, checkpoint, worker.pid, "cruddur stream-worker")

    # As the message says: serve without its consumer runs beside the worker.
    api = running(cli, "serve", "--port", "0", "--no-stream-consumer")
    assert "stream consumer: off" in api.start_line
    api.stop()

    # A holder killed without a chance to clean up leaves no stale lock (the kernel drops it).
    worker.stop(signal.SIGKILL)
    assert worker.proc.returncode == -signal.SIGKILL
    serve = running(cli, "serve", "--port", "0")
    assert "stream consumer: on" in serve.start_line
    assert (cli.data_dir / "stream-checkpoint.json.lock").read_text() == \
        f"{serve.pid} cruddur serve, table cruddur-messages\n"
