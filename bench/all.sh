#!/usr/bin/env bash
# Every benchmark of bench/ in one run, on one Release build, in this order:
#   bench/run.sh     wrk: cruddur ddb serve (in memory and persistent) vs the HTTP ceilings
#                    (bench/http_ceiling, nginx answering the same bytes) vs dynalite
#   bench/writes.sh  BatchWriteItem and TransactWriteItems in items/s, in memory and persistent,
#                    over HTTP and in-process
#   bench/issue21.sh issue 21's figures beside their targets, from the two runs above, with
#                    start-up, idle RSS and perf profiles of its own
#   bench/engine.sh  in-process: the engine vs raw RocksDB (Google Benchmark)
#   bench/api.sh     wrk: GET /api/message_groups and /api/messages/{group} of cruddur serve
#   bench/growth.sh  the table from 10 thousand to 10 million items
# and so regenerates the whole of bench/RESULTS.md (run.sh writes its top part and keeps the
# other scripts' sections, each script then replaces its own section), bench/results.png and
# bench/growth.png. Prints the expected duration first. Run it on an otherwise idle machine.
#
# usage: bench/all.sh
# environment: everything the four scripts take (DURATION, ROUNDS, CONNS, OPS, PIN, SERVER_CPU,
#   WRK_CPU, REPETITIONS, MIN_TIME, STEPS, LOAD, QUERIES, PUTS, WRK_DURATION, STARTUP_RUNS,
#   SKIP_NGINX, SKIP_DYNALITE, RESULTS, ...) is passed through; also
#   BUILD_DIR=build-bench JOBS=2   the one build all four use
#   ONLY="run writes issue21 engine api growth"   a subset (in this order; run.sh first rewrites
#                                  the file's top; issue21 without run or writes runs them itself)
#   DRY_RUN=1                      print the plan and the expected duration, run nothing
#   QUICK=1                        a smoke test of the scripts (seconds-long runs, 10k-100k items);
#                                  its numbers are not for publishing
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
export BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
export JOBS=${JOBS:-2}
ONLY=${ONLY:-"run writes issue21 engine api growth"}
if [[ ${QUICK:-0} == 1 ]]; then
  export DURATION=${DURATION:-2} ROUNDS=${ROUNDS:-1} REPETITIONS=${REPETITIONS:-2}
  export MIN_TIME=${MIN_TIME:-0.1} STEPS=${STEPS:-"10000 100000"} WRK_DURATION=${WRK_DURATION:-2}
  export STARTUP_RUNS=${STARTUP_RUNS:-3} QUERIES=${QUERIES:-2000} PUTS=${PUTS:-2000}
  export PROFILE_DURATION=${PROFILE_DURATION:-3}
fi

log() { printf '[all] %s\n' "$*" >&2; }
has() { [[ " $ONLY " == *" $1 "* ]]; }

# --- expected duration, from the same defaults the scripts use -------------------------------
duration=${DURATION:-10} rounds=${ROUNDS:-1} conns=${CONNS:-"1 32"}
ops=${OPS:-"put_item get_item query batch_write_item"}
n_conns=$(wc -w <<<"$conns")
n_servers=6
for skip in SKIP_BARE SKIP_HTTP_LAYER SKIP_NGINX SKIP_DYNALITE SKIP_PERSISTENT; do
  [[ ${!skip:-0} == 1 ]] && n_servers=$((n_servers - 1))
done
run_s=$(($(wc -w <<<"$ops") * n_conns * rounds * n_servers * (duration + 1) + 30))
# Google Benchmark: every registered instance (engine.sh's, or writes.sh's BM_Batch_*, BM_Txn_*
# and BM_Engine_PutItem), REPETITIONS times, about MIN_TIME + set-up each.
instances() {
  grep -E '^BENCHMARK\(' "$BENCH/engine_bench.cc" | grep -E "$1" | awk '{
    n = gsub(/->Arg\(/, "&"); total += (n > 0 ? n : 1) } END { print total + 0 }'
}
bench_s() {
  awk -v i="$1" -v r="${REPETITIONS:-5}" -v t="${MIN_TIME:-0.5}" \
    'BEGIN { printf "%d", i * r * (t + 0.3) + 20 }'
}
engine_s=$(bench_s "$(instances '\(BM_(Engine|Storage|Json|Raw)_')")
# writes.sh: 2 workloads x 3 servers (in memory, persistent, --fsync), plus its in-process part.
writes_s=$(($(bench_s "$(instances '\(BM_(Batch_|Txn_|Engine_PutItem)')") + \
  2 * 3 * n_conns * rounds * (duration + 1) + 20))
api_s=$((2 * n_conns * rounds * (duration + 1) + 15))
steps=${STEPS:-"10000 100000 1000000 10000000"}
largest=0
for n in $steps; do largest=$n; done
rate=150000
[[ ${LOAD:-direct} == engine ]] && rate=40000
growth_s=$((largest / rate + $(wc -w <<<"$steps") * (${STARTUP_RUNS:-5} + 2 + \
  (${QUERIES:-20000} + ${PUTS:-20000}) / 20000 * 2 + 2 + ${WRK_DURATION:-10}) + 45))
# issue21.sh reuses the raw runs of run.sh and writes.sh when they are part of this run.
RAW_DIR=${RAW_DIR:-$BENCH/.work}
issue21_env=(RAW_DIR="$RAW_DIR")
has run && issue21_env+=(RUN_RAW="$RAW_DIR")
has writes && issue21_env+=(WRITES_RAW="$RAW_DIR")
issue21_s=0
has issue21 && issue21_s=$(env "${issue21_env[@]}" DRY_RUN=1 "$BENCH/issue21.sh" 2>/dev/null)
total=0
plan=()
for part in run writes issue21 engine api growth; do
  has "$part" || continue
  var=${part}_s
  total=$((total + ${!var}))
  plan+=("$part.sh ~$(((${!var} + 59) / 60)) min")
done
log "plan: ${plan[*]}"
log "expected total: about $(((total + 59) / 60)) min (plus the build if sources changed);" \
  "load average now: $(cut -d' ' -f1-3 /proc/loadavg)"

[[ ${DRY_RUN:-0} == 1 ]] && exit 0

# --- one build for all ----------------------------------------------------------------------
log "building cruddur, http_ceiling, engine_bench and growth_tool (Release) in $BUILD_DIR"
WORK=$(mktemp -d /tmp/cruddur-all.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCRUDDUR_WERROR=OFF \
  -DCRUDDUR_BENCH=ON >"$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log" >&2; exit 1; }
ninja -C "$BUILD_DIR" -j"$JOBS" cruddur http_ceiling engine_bench growth_tool >"$WORK/build.log" 2>&1 ||
  { tail -50 "$WORK/build.log" >&2; exit 1; }

# The exact command, with the settings that differ from the defaults, for RESULTS.md.
cmd=""
for v in QUICK DURATION ROUNDS CONNS OPS PIN SERVER_CPU WRK_CPU THREADS REPETITIONS MIN_TIME \
  STEPS LOAD QUERIES PUTS WRK_DURATION WRK_CONNS STARTUP_RUNS SKIP_BARE SKIP_HTTP_LAYER SKIP_NGINX \
  SKIP_DYNALITE SKIP_PERSISTENT FSYNC IDLE PROFILE_DURATION PROFILE_CONNS PROFILE_FREQ PROFILE_MIN \
  PROFILE_TOP SKIP_PROFILE; do
  [[ -n ${!v:-} ]] && cmd+="$v=\"${!v}\" "
done
[[ $ONLY == "run writes issue21 engine api growth" ]] || cmd+="ONLY=\"$ONLY\" "
export BENCH_ALL_COMMAND="${cmd}bench/all.sh"
start=$(date +%s)
has run && RAW_DIR=$RAW_DIR CRUDDUR_BIN=$BUILD_DIR/cruddur \
  CEILING_BIN=$BUILD_DIR/bench/http_ceiling "$BENCH/run.sh"
# OPS is run.sh's list; writes.sh keeps its own.
has writes && RAW_DIR=$RAW_DIR OPS="batch_write_item transact_write_items" \
  CRUDDUR_BIN=$BUILD_DIR/cruddur ENGINE_BENCH_BIN=$BUILD_DIR/bench/engine_bench "$BENCH/writes.sh"
has issue21 && env "${issue21_env[@]}" CRUDDUR_BIN="$BUILD_DIR/cruddur" \
  CEILING_BIN="$BUILD_DIR/bench/http_ceiling" ENGINE_BENCH_BIN="$BUILD_DIR/bench/engine_bench" \
  "$BENCH/issue21.sh"
has engine && "$BENCH/engine.sh"
has api && CRUDDUR_BIN=$BUILD_DIR/cruddur "$BENCH/api.sh"
has growth && SKIP_BUILD=1 "$BENCH/growth.sh"
elapsed=$(($(date +%s) - start))
log "done in $((elapsed / 60)) min $((elapsed % 60)) s (expected about $(((total + 59) / 60)) min);" \
  "results in ${RESULTS:-$BENCH/RESULTS.md}"
