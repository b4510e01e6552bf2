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
Then backups and restores that meet a full disk fail whole, without taking the server down.
"""

import http.client
import os
import subprocess
import threading
import time

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError

from relutil import (AppServer, RawClient, Server, create_pk_table, make_client,
                     record_figures)

TABLE = "disk_full"
VALUE = "v" * 100_000


class SmallDisk:
    """A tmpfs of `size` in a private mount namespace, kept alive by a holder process."""

    def __init__(self, mnt, size):
        if os.geteuid() != 0 or subprocess.run(["unshare", "-m", "true"],
                                               capture_output=True).returncode != 0:
            pytest.fail("needs root and mount namespaces (unshare -m), as CI's scripts/test.sh has")
        self.mnt = mnt
        mnt.mkdir()
        self.holder = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", "sh", "-c",
             f'mount -t tmpfs -o size={size} tmpfs "$1" && echo mounted && exec sleep 600', "sh",
             str(mnt)], stdout=subprocess.PIPE, text=True)
        assert self.holder.stdout.readline().strip() == "mounted"
        self.prefix = ["nsenter", "-t", str(self.holder.pid), "-m"]

    def run(self, *args):
        return subprocess.run(self.prefix + list(args), capture_output=True, text=True,
                              timeout=60)

    def grow(self, size):
        assert self.run("mount", "-o", f"remount,size={size}", str(self.mnt)).returncode == 0

    def fill(self, leave_bytes):
        """Fills the disk with a file, then gives `leave_bytes` of it back."""
        self.run("dd", "if=/dev/zero", f"of={self.mnt}/filler", "bs=1M")  # ends on ENOSPC
        assert self.run("truncate", "-s", f"-{leave_bytes}", f"{self.mnt}/filler").returncode == 0

    def unfill(self):
        assert self.run("rm", f"{self.mnt}/filler").returncode == 0

    def close(self):
        self.holder.kill()
        self.holder.wait(timeout=10)


@pytest.fixture()
def small_disk(tmp_path):
    disks = []

    def make(size="12m"):
        disks.append(SmallDisk(tmp_path / f"disk{len(disks)}", size))
        return disks[-1]
    yield make
    for disk in disks:
        disk.close()


def server_on(disk, args, log_path, app=False):
    """A server whose process runs inside the small disk's mount namespace: `ddb serve ARGS`, or
    with app=True `cruddur serve --ddb-port` on its data dir (the messaging API with its engine's
    DynamoDB endpoint, whose writes go to the WAL one by one instead of in a deferred flush per
    turn)."""
    if app:
        return AppServer(disk.mnt / "data", log_path, prefix=disk.prefix)
    return Server(args, log_path, prefix=disk.prefix)


def put(client, key):
    """200, 500 or 'reset' (a connection closed without an answer)."""
    try:
        status, _ = client.call("PutItem", {"TableName": TABLE,
                                            "Item": {"pk": {"S": key}, "v": {"S": VALUE}}})
        return status
    except (OSError, http.client.HTTPException) as e:
        client.close()
        return f"reset ({type(e).__name__})"


def writes_stopped(server):
    """The server's cruddur_rocksdb_writes_stopped gauge (GET /metrics), after its health check
    answered: both leave even while the WAL cannot be written."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", "/")
        assert conn.getresponse().read().startswith(b"healthy")
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    return int(float(next(line.split()[1] for line in text.splitlines()
                          if line.startswith("cruddur_rocksdb_writes_stopped "))))


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


@pytest.mark.parametrize("mode", ["wal", "fsync", "app"])
def test_full_disk_refuses_keeps_acknowledged_writes_and_recovers(small_disk, tmp_path, mode):
    disk = small_disk()
    args = ["--data-dir", str(disk.mnt / "data")] + (["--fsync"] if mode == "fsync" else [])
    app = mode == "app"
    server = server_on(disk, args, tmp_path / "server.log", app).start()
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
        # The health check and /metrics still answer, and say so.
        assert writes_stopped(server) == 1
        acked_full = len(acked)
        assert acked_full >= 20, f"only {acked_full} writes before the disk was full"

        # Room again: the server writes without a restart.
        disk.grow("64m")
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
        assert writes_stopped(server) == 0
        assert read_back(server, acked) == []

        # Every acknowledged write survives kill -9 and a restart on the same data dir.
        server.kill()
        server = server_on(disk, args, tmp_path / "server.log", app).start()
        assert read_back(server, acked) == []
        record_figures("disk_full" + ("" if mode == "wal" else "_" + mode),
                       {"writes_verified": len(acked), "errors": len(refusals),
                        "seconds": round(recovery_s, 1)})
    finally:
        server.stop()


def test_a_wal_broken_by_its_first_write_is_replaced(small_disk, tmp_path):
    """Writes that go to the WAL one at a time (`cruddur serve`'s engine). Just after a start the
    memtable is empty and the WAL new; when its first append meets a full disk, RocksDB's
    recovery has nothing to flush and keeps the broken WAL, so every write failed with "Writer
    has previous error" although RocksDB said it had recovered, until a restart. The storage
    now opens a new WAL itself."""
    disk = small_disk()
    args = ["--data-dir", str(disk.mnt / "data")]
    server = server_on(disk, args, tmp_path / "server.log", app=True).start()
    try:
        create_pk_table(make_client(server.endpoint), TABLE)
        client = RawClient(server.port)
        assert put(client, "before") == 200
        client.close()
        server.stop()
        server = server_on(disk, args, tmp_path / "server.log", app=True).start()
        disk.fill(0)
        client = RawClient(server.port)
        outcome = put(client, "on-a-full-disk")
        assert outcome == 500 or str(outcome).startswith("reset"), outcome
        disk.unfill()
        deadline = time.monotonic() + 30
        while (outcome := put(client, "after")) != 200:
            assert time.monotonic() < deadline, f"no write 30 s after the disk had room: {outcome}"
            time.sleep(0.2)
        client.close()
        assert "a new WAL replaces the one an I/O error broke" in server.log_tail(200_000)
        assert read_back(server, {"before", "after"}) == []
        server.kill()
        server = server_on(disk, args, tmp_path / "server.log", app=True).start()
        assert read_back(server, {"before", "after"}) == []
    finally:
        server.stop()


def settled_status(describe, gone, what, timeout=30.0):
    """describe()'s status once it is no longer CREATING, or None once `gone` is raised."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status = describe()
        except gone:
            return None
        if status != "CREATING":
            return status
        time.sleep(0.2)
    raise AssertionError(f"{what} still CREATING after {timeout}s")


def wait_backup(client, arn):
    """AVAILABLE once the backup is made, or None once it is gone (a failed backup)."""
    return settled_status(
        lambda: client.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"][
            "BackupStatus"], client.exceptions.BackupNotFoundException, f"backup {arn}")


def wait_restored(client, table):
    """ACTIVE once the restore is done, or None once the table is gone (a failed restore)."""
    return settled_status(
        lambda: client.describe_table(TableName=table)["Table"]["TableStatus"],
        client.exceptions.ResourceNotFoundException, f"table {table}")


def items_of(client, table):
    pages = client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
    return {it["pk"]["S"]: it["v"]["S"] for page in pages for it in page["Items"]}


def test_backups_and_restores_that_meet_a_full_disk_fail_whole(small_disk, tmp_path):
    """CreateBackup and RestoreTableFromBackup copy a table in the background. On a full disk
    the copy fails, and so did the cleanup after it, whose exception ended the process (abort).
    Now the server stays up, the failed backup and table are gone, and both work once there is
    room; after kill -9 and a restart only whole backups and tables are there."""
    disk = small_disk("24m")
    args = ["--data-dir", str(disk.mnt / "data")]
    server = server_on(disk, args, tmp_path / "server.log").start()
    try:
        client = make_client(server.endpoint)
        create_pk_table(client, TABLE)
        expected = {f"k{i}": f"{i:03d}" * 33_334 for i in range(60)}  # 6 MB
        for key, value in expected.items():
            client.put_item(TableName=TABLE, Item={"pk": {"S": key}, "v": {"S": value}})
        good = client.create_backup(TableName=TABLE, BackupName="good")["BackupDetails"]
        assert wait_backup(client, good["BackupArn"]) == "AVAILABLE"

        disk.fill(1 << 20)
        failed = client.create_backup(TableName=TABLE, BackupName="on-a-full-disk")
        assert wait_backup(client, failed["BackupDetails"]["BackupArn"]) is None
        assert server.alive(), server.log_tail()
        try:  # refused at once (its catalog write fails), or accepted and failed in the copy
            client.restore_table_from_backup(TargetTableName="restored_full",
                                             BackupArn=good["BackupArn"])
        except ClientError as e:
            assert e.response["Error"]["Code"] == "InternalServerError", e.response
        except ConnectionClosedError:
            pass  # its answer held back: the WAL could not be written
        assert wait_restored(client, "restored_full") is None
        assert server.alive(), server.log_tail()
        assert "cruddur: backup " in server.log_tail(200_000)

        disk.unfill()
        deadline = time.monotonic() + 30
        while True:  # writes resume within RocksDB's 5 s free-space check
            try:
                client.put_item(TableName=TABLE, Item={"pk": {"S": "after"}, "v": {"S": "1"}})
                break
            except (ClientError, ConnectionClosedError):
                assert time.monotonic() < deadline, server.log_tail()
                time.sleep(0.2)
        expected["after"] = "1"
        second = client.create_backup(TableName=TABLE, BackupName="second")["BackupDetails"]
        assert wait_backup(client, second["BackupArn"]) == "AVAILABLE"
        client.restore_table_from_backup(TargetTableName="restored",
                                         BackupArn=second["BackupArn"])
        assert wait_restored(client, "restored") == "ACTIVE"
        assert items_of(client, "restored") == expected

        server.kill()
        server = server_on(disk, args, tmp_path / "server.log").start()
        client = make_client(server.endpoint)
        names = {b["BackupName"]: b["BackupStatus"]
                 for b in client.list_backups()["BackupSummaries"]}
        assert names == {"good": "AVAILABLE", "second": "AVAILABLE"}
        tables = set(client.list_tables()["TableNames"])
        assert tables == {TABLE, "restored"}
        assert items_of(client, "restored") == expected
        assert items_of(client, TABLE) == expected
    finally:
        server.stop()
