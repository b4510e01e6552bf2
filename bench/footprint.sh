#!/usr/bin/env bash
# Start-up and idle footprint of `cruddur ddb serve` (issue 21 item 3): for each of in memory,
# a new data dir (every run on a fresh one) and the restart of a data dir holding a table, the
# time from exec to the first answered ListTables, the CPU time used by then, and VmRSS, RssAnon,
# RssFile and the thread count after 1 s of idling (medians; bench/startup.py --idle).
#
# usage: bench/footprint.sh [CRUDDUR...]   several binaries are measured one after another
# environment: RUNS=11 (the first run is reported apart: first_ms), IDLE=1 (seconds),
#   BUILD_DIR=build-bench JOBS=2: the Release build made when no CRUDDUR is given.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-11}
IDLE=${IDLE:-1}
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
if (($# == 0)); then
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCRUDDUR_WERROR=OFF >/dev/null
  ninja -C "$BUILD_DIR" -j"${JOBS:-2}" cruddur >/dev/null
  set -- "$BUILD_DIR/cruddur"
fi
WORK=$(mktemp -d /tmp/cruddur-footprint.XXXXXX)
pid=
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# File RSS depends on how the binary's pages sit in the page cache (large folios mapped around each
# fault: footprint_findings.md, Round 3), so each binary is dropped from the cache and read back
# whole before it is measured: binaries just linked, copied or long cached then compare alike.
recache() {
  sync "$1"
  python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
while os.read(fd, 1 << 20): pass' "$1"
}
measure() {  # measure NAME [startup.py flags] -- COMMAND (with PORT in it)
  python3 "$ROOT/bench/startup.py" --runs "$RUNS" --idle "$IDLE" "$@"
}
for bin in "$@"; do
  echo "# $bin ($(ldd "$bin" | grep -c '=>') shared libraries)"
  recache "$bin"
  p=$(port)
  measure in-memory "$p" -- "$bin" ddb serve --in-memory --port "$p"
  p=$(port)
  measure --fresh-dir new-data-dir "$p" -- "$bin" --data-dir '{dir}' ddb serve --port "$p"
  # A data dir with one table and a few items, restarted: the catalog is loaded, the WAL replayed.
  rm -rf "$WORK/data"
  p=$(port)
  "$bin" --data-dir "$WORK/data" ddb serve --port "$p" >/dev/null &
  pid=$!
  python3 - "$p" <<'PY'
import json, sys, time, urllib.error, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/"
def call(target, body):
    req = urllib.request.Request(url, json.dumps(body).encode(), {
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810." + target,
        "Authorization": "AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/dynamodb/aws4_request, "
                         "SignedHeaders=host;x-amz-date, Signature=00", "X-Amz-Date": "20240101T000000Z"})
    return urllib.request.urlopen(req, timeout=10).read()
for _ in range(200):
    try:
        call("ListTables", {})
        break
    except urllib.error.HTTPError as e:
        sys.exit(f"footprint.sh: ListTables answered {e.code}: {e.read()[:200]!r}")
    except OSError:
        time.sleep(0.05)
call("CreateTable", {"TableName": "footprint", "BillingMode": "PAY_PER_REQUEST",
                     "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                     "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]})
for i in range(100):
    call("PutItem", {"TableName": "footprint", "Item": {"pk": {"S": f"item{i}"}, "v": {"S": "x" * 100}}})
PY
  kill "$pid"
  wait "$pid" || true
  pid=
  p=$(port)
  measure restart "$p" -- "$bin" --data-dir "$WORK/data" ddb serve --port "$p"
done
