#!/usr/bin/python3
"""Time from process start to the first answered request of a DynamoDB endpoint.

usage: startup.py [--runs N] NAME PORT -- COMMAND...

Starts COMMAND (which must listen on 127.0.0.1:PORT) N times (default 10). Each time, right
after the fork it sends a ListTables POST every 1 ms (a new connection per attempt, a refused
connection counts as "not yet") until one is answered with HTTP 200, records the time since just
before the fork, then stops the process (SIGTERM, and waits for it to exit so that a data dir's
lock is released before the next run). Prints one line:
STARTUP_RESULT name=NAME runs=N median_ms=.. min_ms=.. max_ms=.. first_ms=..
first_ms is the first run alone, which on a data dir written just before also replays the
RocksDB write-ahead log of those writes; median, min and max are over the other runs (the steady
restart of an unchanged data dir), or the one run when N is 1.
"""
import signal
import socket
import statistics
import subprocess
import sys
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


def one_run(port, command):
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if answered(port):
                return (time.perf_counter() - start) * 1000
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


def main():
    args = sys.argv[1:]
    runs = 10
    if args[:1] == ["--runs"]:
        runs = int(args[1])
        args = args[2:]
    if len(args) < 4 or args[2] != "--":
        sys.exit(__doc__)
    name, port, command = args[0], int(args[1]), args[3:]
    times = [one_run(port, command) for _ in range(runs)]
    steady = times[1:] or times
    print(f"STARTUP_RESULT name={name} runs={runs} median_ms={statistics.median(steady):.1f} "
          f"min_ms={min(steady):.1f} max_ms={max(steady):.1f} first_ms={times[0]:.1f}")


if __name__ == "__main__":
    main()
