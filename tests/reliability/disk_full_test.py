"""A full disk under a persistent server: it refuses, keeps every acknowledged write, recovers.

The server's data dir is on a 12 MB tmpfs, mounted in a private mount namespace (root; `unshare
-m`) that a holder process keeps alive, so that nothing is mounted on the machine and the data
outlives a killed server. Writers fill it with 100 KB items until the WAL cannot be written:
  - the server stays up, refuses (a reset connection or a 500, never a 200 it cannot keep) and
    logs why;
  - once the tmpfs grows to 64 MB, writes work again within RocksDB's 5 s free-space check,
    without a restart (before, the flush of the broken WAL file escalated the error to a fatal
    one, and every answer was reset until a restart);
  - every write answered 200, before and after, reads back, and again after kill -9 and a
    restart on the same data dir.
"""

import http.client
import os
import subprocess
import threading
import time

import pytest

from relutil import RawClient, Server, create_pk_table, make_client, record_figures

TABLE = "disk_full"
VALUE = "v" * 100_000


def sh(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=30, **kw)


@pytest.fixture()
def small_disk(tmp_path):
    """(nsenter prefix, mount point) of a 12 MB tmpfs in a private mount namespace."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["unshare", "-m", "true"],
                                           capture_output=True).returncode != 0:
        pytest.fail("needs root and mount namespaces (unshare -m), as scripts/test.sh runs in CI")
    holder = subprocess.Popen(
        ["unshare", "-m", "--propagation", "private", "sh", "-c",
         'mount -t tmpfs -o size=12m tmpfs "$1" && echo mounted && exec sleep 600', "sh",
         str(mnt)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "mounted"
        yield ["nsenter", "-t", str(holder.pid), "-m"], mnt
    finally:
        holder.kill()
        holder.wait(timeout=10)


class NamespacedServer(Server):
    """A Server whose process runs inside the small disk's mount namespace."""

    def __init__(self, prefix, args, log_path, port=None):
        super().__init__(args, log_path, port)
        self.prefix = prefix

    def start(self, timeout=20.0):
        from ddbtest import cruddur_bin
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.prefix + [cruddur_bin(), "ddb", "serve", "--host", "127.0.0.1", "--port",
                           str(self.port)] + self.args,
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        self.wait_ready(timeout)
        return self


def put(client, key):
    """200, 500 or 'reset' (a connection closed without an answer)."""
    try:
        status, _ = client.call("PutItem", {"TableName": TABLE,
                                            "Item": {"pk": {"S": key}, "v": {"S": VALUE}}})
        return status
    except (OSError, http.client.HTTPException) as e:
        client.close()
        return f"reset ({type(e).__name__})"


def read_back(server, keys):
    client = RawClient(server.port)
    missing = []
    for key in sorted(keys):
        status, body = client.call("GetItem", {"TableName": TABLE, "Key": {"pk": {"S": key}},
                                               "ConsistentRead": True})
        if status != 200 or body.get("Item", {}).get("v", {}).get("S") != VALUE:
            missing.append((key, status))
    client.close()
    return missing


@pytest.mark.parametrize("fsync", [False, True], ids=["wal", "fsync"])
def test_full_disk_refuses_keeps_acknowledged_writes_and_recovers(small_disk, tmp_path, fsync):
    prefix, mnt = small_disk
    args = ["--data-dir", str(mnt / "data")] + (["--fsync"] if fsync else [])
    server = NamespacedServer(prefix, args, tmp_path / "server.log").start()
    try:
        create_pk_table(make_client(server.endpoint), TABLE)
        acked, refusals, lock = set(), [], threading.Lock()

        def writer(n):
            client = RawClient(server.port)
            failures = 0
            for i in range(1000):
                outcome = put(client, f"w{n}-{i}")
                with lock:
                    if outcome == 200:
                        acked.add(f"w{n}-{i}")
                    else:
                        refusals.append(outcome)
                        failures += 1
                if failures >= 5:
                    break
            client.close()

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert len(refusals) >= 20, f"the disk never filled: {len(acked)} writes acknowledged"
        assert all(r == 500 or str(r).startswith("reset") for r in refusals), set(refusals)
        assert server.alive(), server.log_tail()
        assert "writes stopped by an I/O error" in server.log_tail(200_000)
        acked_full = len(acked)
        assert acked_full >= 20, f"only {acked_full} writes before the disk was full"

        # Room again: the server writes without a restart.
        sh(prefix + ["mount", "-o", "remount,size=64m", str(mnt)])
        client = RawClient(server.port)
        deadline, outcome = time.monotonic() + 30, None
        while time.monotonic() < deadline:
            outcome = put(client, "after-0")
            if outcome == 200:
                break
            time.sleep(0.2)
        assert outcome == 200, f"no write 30 s after the disk had room: {outcome}"
        recovery_s = 30 - (deadline - time.monotonic())
        acked.add("after-0")
        for i in range(1, 20):
            assert put(client, f"after-{i}") == 200
            acked.add(f"after-{i}")
        client.close()
        assert "writes resumed" in server.log_tail(200_000)
        assert read_back(server, acked) == []

        # Every acknowledged write survives kill -9 and a restart on the same data dir.
        server.kill()
        server = NamespacedServer(prefix, args, tmp_path / "server.log").start()
        assert read_back(server, acked) == []
        record_figures("disk_full" + ("_fsync" if fsync else ""), {"writes verified": len(acked), "errors": len(refusals),
                                     "seconds": round(recovery_s, 1)})
    finally:
        server.stop()
