#!/usr/bin/python3
"""Time from process start to the first answered request of a DynamoDB endpoint.

usage: startup.py [--runs N] [--fresh-dir] [--idle SECONDS] NAME PORT -- COMMAND...

Starts COMMAND (which must listen on 127.0.0.1:PORT) N times (default 10). Each time, right
after the fork it sends a ListTables POST every 1 ms (a new connection per attempt, a refused
connection counts as "not yet") until one is answered with HTTP 200, records the time since just
before the fork, then stops the process (SIGTERM, and waits for it to exit so that a data dir's
lock is released before the next run). Prints one line:
STARTUP_RESULT name=NAME runs=N median_ms=.. min_ms=.. max_ms=.. first_ms=..
first_ms is the first run alone, which on a data dir written just before also replays the
RocksDB write-ahead log of those writes; median, min and max are over the other runs (the steady
restart of an unchanged data dir), or the one run when N is 1.

--fresh-dir: every argument of COMMAND that contains {dir} gets a new, empty directory in its
place on each run (removed afterwards): each run is a first start on a new data dir.
--idle SECONDS: also measures the footprint, added to the line as medians over the same runs:
cpu_ms, the CPU time the process had used when its first answer arrived (the sum over its
threads of /proc/PID/task/*/schedstat's run time, in ns: /proc's utime and stime count 10 ms
ticks, too coarse here, and CPU time is distorted less than wall time by other load on the
machine); then, SECONDS after the first answer, rss_kb (VmRSS), anon_kb (RssAnon), file_kb
(RssFile) and threads (/proc/PID/task entries). load= is /proc/loadavg's 1-minute figure before
the first run and after the last.
"""
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

BODY = b"{}"
REQUEST = (
    b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\n"
    b"X-Amz-Target: DynamoDB_20120810.ListTables\r\nX-Amz-Date: 20240101T000000Z\r\n"
    b"Authorization: AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/dynamodb/aws4_request, "
    b"SignedHeaders=host;x-amz-date, Signature=00\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\nConnection: close\r\n\r\n" + BODY)


def answered(port):
    """True when a ListTables POST gets an HTTP 200 status line."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(REQUEST)
            head = s.recv(64)
            return head.startswith(b"HTTP/1.1 200") or head.startswith(b"HTTP/1.0 200")
    except OSError:
        return False


def cpu_ms(pid):
    """CPU time of the process's live threads so far, from schedstat (ns)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # the thread ended meanwhile
    return total / 1e6


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def footprint(pid, idle):
    """The idle figures of a running process, `idle` seconds after its first answer."""
    time.sleep(idle)
    return {"rss_kb": status_kb(pid, "VmRSS"), "anon_kb": status_kb(pid, "RssAnon"),
            "file_kb": status_kb(pid, "RssFile"), "threads": len(os.listdir(f"/proc/{pid}/task"))}


def one_run(port, command, idle):
    """(ms to the first answer, footprint dict or {})"""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if answered(port):
                ms = (time.perf_counter() - start) * 1000
                if idle is None:
                    return ms, {}
                figures = {"cpu_ms": cpu_ms(proc.pid)}
                figures.update(footprint(proc.pid, idle))
                return ms, figures
            if proc.poll() is not None:
                sys.exit(f"startup.py: {command[0]} exited with {proc.returncode} before answering")
            if time.perf_counter() - start > 120:
                sys.exit(f"startup.py: {command[0]} did not answer within 120 s")
            time.sleep(0.001)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def fresh_run(port, command, idle):
    """one_run with every {dir} in command replaced by a new empty directory."""
    parent = tempfile.mkdtemp(prefix="cruddur-startup.")
    try:
        dir_ = os.path.join(parent, "data")
        return one_run(port, [arg.replace("{dir}", dir_) for arg in command], idle)
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def load1():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def main():
    args = sys.argv[1:]
    runs, fresh, idle = 10, False, None
    while args[:1] and args[0].startswith("--") and args[0] != "--":
        if args[0] == "--runs":
            runs, args = int(args[1]), args[2:]
        elif args[0] == "--fresh-dir":
            fresh, args = True, args[1:]
        elif args[0] == "--idle":
            idle, args = float(args[1]), args[2:]
        else:
            sys.exit(__doc__)
    if len(args) < 4 or args[2] != "--":
        sys.exit(__doc__)
    name, port, command = args[0], int(args[1]), args[3:]
    load_before = load1()
    run = fresh_run if fresh else one_run
    results = [run(port, command, idle) for _ in range(runs)]
    times = [ms for ms, _ in results]
    steady = times[1:] or times
    line = (f"STARTUP_RESULT name={name} runs={runs} median_ms={statistics.median(steady):.1f} "
            f"min_ms={min(steady):.1f} max_ms={max(steady):.1f} first_ms={times[0]:.1f}")
    if idle is not None:
        figures = [f for _, f in results[1:] or results]
        for key in ("cpu_ms", "rss_kb", "anon_kb", "file_kb", "threads"):
            value = statistics.median(f[key] for f in figures)
            line += f" {key}={value:.1f}" if key == "cpu_ms" else f" {key}={value:.0f}"
        line += f" load={load_before},{load1()}"
    print(line)


if __name__ == "__main__":
    main()
