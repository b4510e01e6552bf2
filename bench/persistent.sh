#!/usr/bin/env bash
# Persistent against in-memory in one run (issue 21 items 1 and 2): `cruddur ddb serve
# --in-memory` and `--data-dir <new dir>` side by side, one worker each, both pinned to CPU 1,
# wrk -t1 on CPU 0, the same bench/wrk scripts (put_item, get_item, query), interleaved op by op.
# Prints req/s, the server's CPU µs per request (utime + stime from /proc, 10 ms ticks) and the
# persistent / in-memory ratio by rate and by CPU, one line per round. Needs an idle machine.
#
# usage: bench/persistent.sh [CRUDDUR]   (default build/cruddur)
# environment: DURATION=8 ROUNDS=2 CONNS=32 OPS="put_item get_item query"
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/build/cruddur}
DURATION=${DURATION:-8} ROUNDS=${ROUNDS:-2} CONNS=${CONNS:-32}
OPS=${OPS:-put_item get_item query}
[[ -x $BIN ]] || { echo "bench/persistent.sh: no cruddur at $BIN" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench/persistent.sh: wrk is not installed" >&2; exit 1; }

DATA=$(mktemp -d)
declare -A PID PORT
cleanup() { kill "${PID[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() {  # start NAME STORAGE_ARG...
  local name=$1
  shift
  PORT[$name]=$(free_port)
  taskset -c 1 "$BIN" ddb serve "$@" --host 127.0.0.1 --port "${PORT[$name]}" --threads 1 \
    --no-triggers >"$DATA/$name.log" 2>&1 &
  PID[$name]=$!
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:${PORT[$name]}/" && break
    sleep 0.05
  done
  python3 "$ROOT/bench/seed.py" "http://127.0.0.1:${PORT[$name]}" >/dev/null
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

start memory --in-memory
start persistent --data-dir "$DATA/ddb"
echo "# $BIN; load average $(cut -d' ' -f1-3 /proc/loadavg); wrk -c$CONNS -d${DURATION}s"
echo "round op in_memory_req_s in_memory_cpu_us persistent_req_s persistent_cpu_us ratio_by_rate ratio_by_cpu"
for round in $(seq "$ROUNDS"); do
  for op in $OPS; do
    declare -A rate cpu
    for name in memory persistent; do
      before=$(cpu_ticks "${PID[$name]}")
      out=$(cd "$ROOT/bench/wrk" && taskset -c 0 wrk -t1 -c"$CONNS" -d"${DURATION}s" -s "$op.lua" \
        "http://127.0.0.1:${PORT[$name]}/" 2>&1)
      after=$(cpu_ticks "${PID[$name]}")
      requests=$(awk '/requests in/{print $1}' <<<"$out")
      rate[$name]=$(awk '/^Requests\/sec/{print $2}' <<<"$out")
      cpu[$name]=$(python3 -c "print(round(($after - $before) * 10000 / $requests, 1))")
    done
    python3 -c "
m, p, cm, cp = ${rate[memory]}, ${rate[persistent]}, ${cpu[memory]}, ${cpu[persistent]}
print($round, '$op', round(m), cm, round(p), cp, round(p / m, 2), round(cm / cp, 2))"
  done
done
