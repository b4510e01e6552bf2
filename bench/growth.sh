#!/usr/bin/env bash
# Growth benchmark: one table grown in steps (default 10 thousand -> 10 million items), and at
# each step: `cruddur ddb serve` start-up time on the grown data dir (the first start after the
# load, which replays the load's write-ahead log, and the median of restarts), then, once
# RocksDB has no compaction pending (growth_tool settle), in-process Query latency (20 items of
# a random partition) and PutItem rate, `cruddur ddb serve`'s memory at idle and under a wrk
# Query load. Also the start-up time of `cruddur ddb serve --in-memory` and of dynalite.
# Writes the "Growth" section of bench/RESULTS.md and bench/growth.png.
#
# usage: bench/growth.sh
# environment (all optional):
#   STEPS="10000 100000 1000000 10000000"  table sizes (items), ascending
#   LOAD=direct                how the table is grown: `direct` (default, fastest: growth_tool
#                              load-direct stores the items as PutItem stores them, through the
#                              Storage layer in batches of 1000) or `engine` (growth_tool load:
#                              Engine::Execute("BatchWriteItem") with DynamoDB JSON, 25 a request)
#   PIN=1 SERVER_CPU=1 WRK_CPU=0 THREADS   as bench/run.sh, for the wrk Query load (default PIN=1
#                              on 2+ CPUs: serve --threads 1 on one core, wrk -t1 on another)
#   QUERIES=20000 PUTS=20000   in-process calls per step (growth_tool measure)
#   WRK_DURATION=10 WRK_CONNS=32   the wrk Query load per step (memory under load)
#   STARTUP_RUNS=5             start-ups per measurement (the first apart, median of the rest)
#   DATA_DIR=path              grow the table here (default: a temporary dir, removed at exit)
#   BUILD_DIR=build-bench JOBS=2  the release build (cruddur and growth_tool)
#   SKIP_BUILD=1               use the binaries already built in BUILD_DIR
#   SKIP_DYNALITE=1            leave dynalite out of the start-up comparison
#   RESULTS=bench/RESULTS.md
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
STEPS=${STEPS:-"10000 100000 1000000 10000000"}
QUERIES=${QUERIES:-20000}
PUTS=${PUTS:-20000}
WRK_DURATION=${WRK_DURATION:-10}
WRK_CONNS=${WRK_CONNS:-32}
STARTUP_RUNS=${STARTUP_RUNS:-5}
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
LOAD=${LOAD:-direct}
[[ $LOAD == direct || $LOAD == engine ]] || { echo "LOAD must be direct or engine" >&2; exit 2; }
# shellcheck source=bench/pin.sh
source "$BENCH/pin.sh"
JOBS=${JOBS:-2}
RESULTS=${RESULTS:-$BENCH/RESULTS.md}
COMMAND="STEPS=\"$STEPS\" LOAD=$LOAD PIN=$PIN THREADS=$THREADS QUERIES=$QUERIES PUTS=$PUTS"
COMMAND+=" WRK_DURATION=$WRK_DURATION"
COMMAND+=" WRK_CONNS=$WRK_CONNS STARTUP_RUNS=$STARTUP_RUNS bench/growth.sh"

log() { printf '[growth] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

WORK=$(mktemp -d /tmp/cruddur-growth.XXXXXX)
DATA=${DATA_DIR:-$WORK/data}
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

for tool in wrk curl cmake ninja python3; do
  command -v $tool >/dev/null || die "$tool is not installed (bench/run.sh installs the tools)"
done

if [[ ${SKIP_BUILD:-0} == 1 ]]; then
  log "using the binaries already in $BUILD_DIR (SKIP_BUILD=1)"
else
  log "building cruddur and growth_tool (Release) in $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCRUDDUR_WERROR=OFF \
    -DCRUDDUR_BENCH=ON >"$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log" >&2; die "cmake failed"; }
  ninja -C "$BUILD_DIR" -j"$JOBS" cruddur growth_tool >"$WORK/build.log" 2>&1 ||
    { tail -50 "$WORK/build.log" >&2; die "build failed"; }
fi
CRUDDUR=$BUILD_DIR/cruddur
GROWTH=$BUILD_DIR/bench/growth_tool
export BENCH_LOADAVG
BENCH_LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
if [[ $PIN == 1 ]]; then
  export BENCH_PIN="serve --threads $THREADS on CPU $SERVER_CPU (taskset), wrk -t1 on CPU $WRK_CPU"
else
  export BENCH_PIN="unpinned (PIN=0): serve --threads $THREADS, wrk -t2"
fi

TSV=$WORK/growth.tsv
STARTUP_TSV=$WORK/startup.tsv
: >"$TSV"
: >"$STARTUP_TSV"

startup() {  # startup NAME COMMAND... (COMMAND gets --port appended by the caller via $PORT)
  local name=$1 line
  shift
  line=$(python3 "$BENCH/startup.py" --runs "$STARTUP_RUNS" "$name" "$PORT" -- "$@") ||
    die "start-up measurement of $name failed"
  log "$line"
  eval "local ${line#STARTUP_RESULT }"
  # shellcheck disable=SC2154  # set by the eval
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$median_ms" "$min_ms" "$max_ms" "$first_ms" \
    >>"$STARTUP_TSV"
  STARTUP_MEDIAN=$median_ms
  STARTUP_FIRST=$first_ms
}

# RSS at idle (2 s after the first answer) and the peak RSS sampled every 0.2 s under a wrk Query
# load; also wrk's Query rate. Sets IDLE_KB LOAD_KB WRK_OPS WRK_P50 WRK_P99.
memory_and_load() {  # memory_and_load PID URL
  local pid=$1 url=$2 out=$WORK/wrk.txt line peak=0 r
  sleep 2
  IDLE_KB=$(rss_kb "$pid")
  local threads=2
  [[ $PIN == 1 ]] && threads=1
  BENCH_RUN="growth-$RANDOM" BENCH_CONNS=$WRK_CONNS "${WRK_PIN[@]}" \
    wrk -t"$threads" -c"$WRK_CONNS" -d"${WRK_DURATION}s" --timeout 5s \
    -s "$BENCH/wrk/query.lua" "$url/" >"$out" 2>&1 &
  local wrk_pid=$!
  while kill -0 "$wrk_pid" 2>/dev/null; do
    r=$(rss_kb "$pid")
    ((r > peak)) && peak=$r
    sleep 0.2
  done
  wait "$wrk_pid" || { cat "$out" >&2; die "wrk failed"; }
  LOAD_KB=$peak
  line=$(grep '^BENCH_RESULT' "$out") || { cat "$out" >&2; die "wrk printed no result"; }
  eval "local ${line#BENCH_RESULT }"
  # shellcheck disable=SC2154
  WRK_OPS=$(awk -v r="$requests" -v d="$duration_us" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
  WRK_P50=$p50_us
  WRK_P99=$p99_us
  ((status_errors + socket_errors == 0)) || log "WARNING: wrk saw errors: $line"
}

# Disk and time: ~35 bytes of disk per item once compacted (331 MB for 10 million), up to twice
# that while compaction runs; loading ~150,000 items/s direct (~40,000 through the engine) on
# the 2-core machine these were measured on, plus per step the measurements below.
largest=0
for n in $STEPS; do largest=$n; done
need_mb=$((largest * 80 / 1000000 + 50))
mkdir -p "$DATA"
avail_mb=$(df -Pm "$DATA" | awk 'NR == 2 {print $4}')
((avail_mb > need_mb)) || die "$DATA has $avail_mb MB free; $largest items need about $need_mb MB"
rate=150000
[[ $LOAD == engine ]] && rate=40000
nsteps=$(wc -w <<<"$STEPS")
per_step_s=$((STARTUP_RUNS + 2 + (QUERIES + PUTS) / 20000 * 2 + 2 + WRK_DURATION))
est_s=$((largest / rate + nsteps * per_step_s + 30))
log "$nsteps steps up to $largest items (LOAD=$LOAD): expect about $((est_s / 60 + 1)) min" \
  "(loading ~$((largest / rate)) s; $avail_mb MB free, about $need_mb MB needed)"

prev=0
start_all=$(date +%s)
for n in $STEPS; do
  ((n > prev)) || die "STEPS must ascend"
  log "growing the table from $prev to $n items ($LOAD)"
  if [[ $LOAD == direct ]]; then
    line=$("$GROWTH" load-direct "$DATA/ddb" "$prev" "$n") || die "load failed"
  else
    line=$("$GROWTH" load "$DATA/ddb" "$prev" "$n") || die "load failed"
  fi
  log "$line"
  eval "${line#LOAD_RESULT }"
  # shellcheck disable=SC2154
  load_s=$seconds
  items_per_s_load=$items_per_s
  prev=$n

  # Start-up first, on the data dir exactly as the load left it: the first start replays the
  # load's write-ahead log (reported apart), the median is the steady restart.
  PORT=$(free_port)
  startup "cruddur-data-$n" "$CRUDDUR" ddb serve --data-dir "$DATA" --host 127.0.0.1 --port "$PORT"
  startup_ms=$STARTUP_MEDIAN
  startup_first_ms=$STARTUP_FIRST

  # A bulk load leaves a compaction backlog: level-0 files that span the whole key range (13 after
  # the 1-to-10-million load), each one more place every Query seeks, and compactions taking
  # the CPU. A table that has served for a while has none, so before timing Query and PutItem,
  # wait (untimed) until RocksDB reports no pending flush or compaction (growth_tool settle).
  line=$("$GROWTH" settle "$DATA/ddb") || die "settle failed"
  log "$line"
  line=$("$GROWTH" measure "$DATA/ddb" "$n" "$QUERIES" "$PUTS") || die "measure failed"
  log "$line"
  eval "${line#GROWTH_RESULT }"
  items_per_s=$items_per_s_load

  PORT=$(free_port)
  "${SERVER_PIN[@]}" "$CRUDDUR" ddb serve --data-dir "$DATA" --host 127.0.0.1 --port "$PORT" \
    --threads "$THREADS" >"$WORK/serve.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 600); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/" && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; die "server died"; }
    sleep 0.1
  done
  memory_and_load "$SERVER_PID" "http://127.0.0.1:$PORT"
  kill "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
  disk_mb=$(du -sm "$DATA" | cut -f1)
  log "items=$n idle ${IDLE_KB} kB, under load ${LOAD_KB} kB, wrk Query $WRK_OPS ops/s, disk $disk_mb MB"
  # shellcheck disable=SC2154
  printf '%s\n' "$n	$load_s	$items_per_s	$query_p50_us	$query_p99_us	$query_mean_us	$put_ops	$put_p50_us	$put_p99_us	$open_ms	$startup_ms	$IDLE_KB	$LOAD_KB	$WRK_OPS	$WRK_P50	$WRK_P99	$disk_mb	$query_cpu_p50_us	$query_cpu_p99_us	$put_cpu_us	$startup_first_ms	$raw_query_cpu_p50_us	$hot_query_cpu_p50_us" >>"$TSV"
done
total_s=$(($(date +%s) - start_all))

# Start-up of an empty in-memory server, and of dynalite (in memory) for comparison.
PORT=$(free_port)
startup "cruddur-in-memory" "$CRUDDUR" ddb serve --in-memory --host 127.0.0.1 --port "$PORT"
if [[ ${SKIP_DYNALITE:-0} != 1 && -f $BENCH/node_modules/dynalite/cli.js ]] && command -v node >/dev/null; then
  PORT=$(free_port)
  startup "dynalite-in-memory" node "$BENCH/node_modules/dynalite/cli.js" --host 127.0.0.1 \
    --port "$PORT" --createTableMs 0 --deleteTableMs 0 --updateTableMs 0
  # dynalite's memory, seeded as bench/run.sh seeds it, at idle and under the same load.
  PORT=$(free_port)
  "${SERVER_PIN[@]}" node "$BENCH/node_modules/dynalite/cli.js" --host 127.0.0.1 --port "$PORT" \
    --createTableMs 0 --deleteTableMs 0 --updateTableMs 0 >"$WORK/dynalite.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 600); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/" && break
    sleep 0.1
  done
  python3 "$BENCH/seed.py" "http://127.0.0.1:$PORT" >&2
  memory_and_load "$SERVER_PID" "http://127.0.0.1:$PORT"
  printf 'dynalite\t%s\t%s\t%s\t%s\t%s\n' "$IDLE_KB" "$LOAD_KB" "$WRK_OPS" "$WRK_P50" "$WRK_P99" \
    >"$WORK/dynalite-memory.tsv"
  kill "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
else
  log "dynalite skipped (SKIP_DYNALITE=1, or bench/node_modules/dynalite or node missing)"
fi

mkdir -p "$BENCH/.work"
cp "$TSV" "$BENCH/.work/growth.tsv"
cp "$STARTUP_TSV" "$BENCH/.work/startup.tsv"
touch "$WORK/dynalite-memory.tsv"
cp "$WORK/dynalite-memory.tsv" "$BENCH/.work/dynalite-memory.tsv"
python3 "$BENCH/growth_report.py" "$TSV" "$STARTUP_TSV" "$WORK/dynalite-memory.tsv" "$RESULTS" \
  "$COMMAND" "$total_s"
/usr/bin/python3 "$BENCH/chart.py" --growth "$TSV" "$(dirname "$RESULTS")/growth.png" ||
  log "chart not drawn (python3-matplotlib missing?)"
