#!/usr/bin/env bash
# Issue 21's figures, each beside its target, in one section of bench/RESULTS.md ("issue21",
# written by bench/issue21_report.py):
#   1. PutItem, GetItem and a 20-item Query at 32 connections against `ddb serve --in-memory`,
#      `ddb serve --data-dir` (a new dir) and the bare HTTP ceiling (bench/http_ceiling), run
#      back to back by bench/run.sh: persistent / in memory (>= 0.8) and in memory / bare
#      (>= 0.85 PutItem and Query, >= 0.95 GetItem), by rate and by server CPU per request
#   2. the same operations' p99 at 1 connection, both modes (< 1 ms)
#   3. BatchWriteItem (25 items) and TransactWriteItems (10 items) in items/s, both modes
#      (bench/writes.sh): persistent / in memory (>= 0.8), each >= 0.75 of the engine's
#      in-process rate on one thread
#   4. start-up to the first answer and idle RSS of `ddb serve`, in memory and on a new data dir,
#      medians of 10 runs (bench/startup.py): <= 5 / 10 ms and <= 10 / 14 MB
#   5. where the server's CPU goes: `perf record` of both modes during PutItem and Query at 32
#      connections, the top entries of `perf report --no-children` (self time) folded per function
#
# usage: bench/issue21.sh          (DRY_RUN=1 prints the plan and the expected duration only)
# environment (all optional):
#   DURATION=10 ROUNDS=1 CONNS="1 32"   the wrk runs of 1-3 (seconds, repetitions, connections)
#   PIN SERVER_CPU WRK_CPU THREADS      as bench/run.sh (bench/pin.sh)
#   SETTLE SETTLE_MAX    as bench/run.sh: each run counts the CPU until its server idles
#   FREEZE_OTHERS        as bench/run.sh: the other servers are stopped during each run
#   SKIP_HTTP_LAYER=1    leave run.sh's cruddur-http (http::Server without the engine) out
#   REPETITIONS=5 MIN_TIME=0.5 SKIP_ENGINE=1   the in-process part of bench/writes.sh
#   STARTUP_RUNS=11 IDLE=1   start-ups per mode (the first is left out: the median is of the other
#                        10) and the seconds of idling before RSS is read
#   PROFILE_DURATION=6 PROFILE_CONNS=32 PROFILE_FREQ=999 PROFILE_MIN=0.1 PROFILE_TOP=12
#                        perf: seconds per profiled wrk run, its connections, samples per second,
#                        perf report's --percent-limit, table rows per operation
#   SKIP_PROFILE=1       no profiles (no perf needed)
#   RUN_RAW=DIR          use bench/run.sh's raw runs in DIR/results.tsv (servers cruddur,
#                        cruddur-persistent and bare, put_item get_item query) instead of running
#                        it; WRITES_RAW=DIR the same for bench/writes.sh (DIR/writes.tsv,
#                        DIR/writes-engine.json). bench/all.sh passes the runs it just made.
#   BUILD_DIR=build-bench JOBS=2   the Release build of cruddur, http_ceiling and engine_bench
#   CRUDDUR_BIN CEILING_BIN ENGINE_BENCH_BIN   prebuilt binaries instead
#   RESULTS=bench/RESULTS.md
#   RAW_DIR=bench/.work  the report's inputs are kept in RAW_DIR/issue21 (gitignored)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
LOG_TAG=issue21
# The exact command for RESULTS.md: the settings given (the others are the defaults).
COMMAND=""
for v in DURATION ROUNDS CONNS PIN SERVER_CPU WRK_CPU THREADS SKIP_HTTP_LAYER REPETITIONS MIN_TIME \
  SKIP_ENGINE STARTUP_RUNS IDLE PROFILE_DURATION PROFILE_CONNS PROFILE_FREQ PROFILE_MIN PROFILE_TOP \
  SKIP_PROFILE RUN_RAW WRITES_RAW CRUDDUR_BIN CEILING_BIN ENGINE_BENCH_BIN SETTLE SETTLE_MAX \
  FREEZE_OTHERS; do
  [[ -n ${!v:-} ]] && COMMAND+="$v=\"${!v}\" "
done
COMMAND+="bench/issue21.sh"
NOTES=()
if [[ -n ${BENCH_ALL_COMMAND:-} ]]; then
  COMMAND=$BENCH_ALL_COMMAND
  NOTES+=("run by bench/all.sh: figures 1-3 from its bench/run.sh and bench/writes.sh runs (their sections show them whole), 4 and 5 measured by bench/issue21.sh right after")
fi

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-1}
CONNS=${CONNS:-"1 32"}
STARTUP_RUNS=${STARTUP_RUNS:-11}
IDLE=${IDLE:-1}
PROFILE_DURATION=${PROFILE_DURATION:-6}
PROFILE_CONNS=${PROFILE_CONNS:-32}
PROFILE_FREQ=${PROFILE_FREQ:-999}
PROFILE_MIN=${PROFILE_MIN:-0.1}
PROFILE_TOP=${PROFILE_TOP:-12}
# shellcheck source=bench/pin.sh
source "$BENCH/pin.sh"
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
JOBS=${JOBS:-2}
RESULTS=${RESULTS:-$BENCH/RESULTS.md}
export DURATION ROUNDS CONNS PIN SERVER_CPU WRK_CPU THREADS BUILD_DIR JOBS

# --- the plan and its duration ----------------------------------------------------------------
n_conns=$(wc -w <<<"$CONNS")
n_servers=3  # cruddur, cruddur-persistent, bare
[[ ${SKIP_HTTP_LAYER:-0} == 1 ]] || n_servers=4
run_s=0 writes_s=0 profile_s=0
[[ -n ${RUN_RAW:-} ]] || run_s=$((3 * n_conns * ROUNDS * n_servers * (DURATION + 1) + 20))
if [[ -z ${WRITES_RAW:-} ]]; then
  writes_s=$((2 * 2 * n_conns * ROUNDS * (DURATION + 1) + 20))
  # engine_bench's BM_Batch_*, BM_Txn_*, BM_Engine_PutItem: 11 instances
  [[ ${SKIP_ENGINE:-0} == 1 ]] ||
    writes_s=$((writes_s + $(awk -v r="${REPETITIONS:-5}" -v t="${MIN_TIME:-0.5}" \
      'BEGIN { printf "%d", 11 * r * (t + 0.3) }')))
fi
# Each start-up: the start, IDLE seconds, the stop.
footprint_s=$(awk -v n="$STARTUP_RUNS" -v i="$IDLE" 'BEGIN { printf "%d", 2 * n * (i + 0.2) }')
[[ ${SKIP_PROFILE:-0} == 1 ]] || profile_s=$((2 * 2 * (PROFILE_DURATION + 4) + 10))
total=$((run_s + writes_s + footprint_s + profile_s))
log() { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }
log "plan: run.sh ${run_s}s, writes.sh ${writes_s}s, start-up ${footprint_s}s, profiles" \
  "${profile_s}s: about $(((total + 59) / 60)) min (plus the build if sources changed);" \
  "load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ ${DRY_RUN:-0} == 1 ]]; then
  echo "$total"  # seconds, for bench/all.sh's plan
  exit 0
fi

# shellcheck source=bench/lib.sh
source "$BENCH/lib.sh"

# --- tools and build ---------------------------------------------------------------------------
ensure_tools
[[ ${SKIP_PROFILE:-0} == 1 ]] || command -v perf >/dev/null || apt_install linux-perf
targets=()
CRUDDUR=${CRUDDUR_BIN:-$BUILD_DIR/cruddur}
[[ -n ${CRUDDUR_BIN:-} ]] || targets+=(cruddur)
CEILING=${CEILING_BIN:-$BUILD_DIR/bench/http_ceiling}
[[ -n ${CEILING_BIN:-} || -n ${RUN_RAW:-} ]] || targets+=(http_ceiling)
ENGINE_BENCH=${ENGINE_BENCH_BIN:-$BUILD_DIR/bench/engine_bench}
[[ -n ${ENGINE_BENCH_BIN:-} || -n ${WRITES_RAW:-} || ${SKIP_ENGINE:-0} == 1 ]] ||
  targets+=(engine_bench)
((${#targets[@]} == 0)) || build_release -DCRUDDUR_BENCH=ON -- "${targets[@]}"
[[ -x $CRUDDUR ]] || die "$CRUDDUR is not executable"
CRUDDUR=$(readlink -f "$CRUDDUR")
if [[ -n ${CRUDDUR_BIN:-} ]]; then
  NOTES+=("cruddur: $CRUDDUR (given as CRUDDUR_BIN)")
else
  NOTES+=("cruddur: $CRUDDUR, Release build")
fi

export BENCH_LOADAVG
BENCH_LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
if [[ $PIN == 1 ]]; then
  export BENCH_PIN="servers on CPU $SERVER_CPU (taskset), wrk -t1 on CPU $WRK_CPU"
else
  export BENCH_PIN="none (PIN=0)"
fi
start=$(date +%s)

# --- 1, 2: PutItem, GetItem, Query: in memory, persistent, the bare ceiling (run.sh) ----------
if [[ -z ${RUN_RAW:-} ]]; then
  RUN_RAW=$WORK/run
  log "run.sh: put_item get_item query against cruddur, cruddur-persistent and bare"
  mkdir -p "$RUN_RAW"
  OPS="put_item get_item query" SKIP_BARE=0 SKIP_PERSISTENT=0 SKIP_NGINX=1 SKIP_DYNALITE=1 \
    CRUDDUR_BIN=$CRUDDUR CEILING_BIN=$CEILING RESULTS=$RUN_RAW/RESULTS.md RAW_DIR=$RUN_RAW \
    "$BENCH/run.sh" >/dev/null
fi
[[ -f $RUN_RAW/results.tsv ]] || die "no $RUN_RAW/results.tsv"

# --- 3: BatchWriteItem, TransactWriteItems (writes.sh) ---------------------------------------
if [[ -z ${WRITES_RAW:-} ]]; then
  WRITES_RAW=$WORK/writes
  log "writes.sh: batch_write_item transact_write_items, in memory and persistent"
  mkdir -p "$WRITES_RAW"
  engine=()
  [[ ${SKIP_ENGINE:-0} == 1 ]] || engine=(ENGINE_BENCH_BIN="$ENGINE_BENCH")
  env OPS="batch_write_item transact_write_items" CRUDDUR_BIN="$CRUDDUR" "${engine[@]}" \
    RESULTS="$WRITES_RAW/RESULTS.md" RAW_DIR="$WRITES_RAW" "$BENCH/writes.sh" >/dev/null
fi
[[ -f $WRITES_RAW/writes.tsv ]] || die "no $WRITES_RAW/writes.tsv"

# --- 4: start-up and idle RSS (startup.py) ----------------------------------------------------
FOOTPRINT=$WORK/footprint.txt
log "start-up and idle RSS: $STARTUP_RUNS runs in memory, $STARTUP_RUNS on a new data dir"
p=$(free_port)
python3 "$BENCH/startup.py" --runs "$STARTUP_RUNS" --idle "$IDLE" in-memory "$p" -- \
  "$CRUDDUR" ddb serve --in-memory --port "$p" >"$FOOTPRINT"
p=$(free_port)
python3 "$BENCH/startup.py" --runs "$STARTUP_RUNS" --idle "$IDLE" --fresh-dir new-data-dir "$p" -- \
  "$CRUDDUR" --data-dir '{dir}' ddb serve --port "$p" >>"$FOOTPRINT"
log "$(tr '\n' ' ' <"$FOOTPRINT")"

# --- 5: profiles ------------------------------------------------------------------------------
PROFILES=$WORK/profiles
mkdir -p "$PROFILES"
if [[ ${SKIP_PROFILE:-0} != 1 ]]; then
  start_cruddur in-memory "$CRUDDUR" "" --in-memory
  mkdir -p "$WORK/data"
  start_cruddur persistent "$CRUDDUR" "" --data-dir "$WORK/data"
  for op in put_item query; do
    for server in in-memory persistent; do
      settle_server "$server" >/dev/null  # the put_item profile's flushes and compactions
      log "perf record of $server during $op (${PROFILE_DURATION}s, $PROFILE_CONNS connections)"
      data=$PROFILES/$server-$op.data
      BENCH_RUN="profile-$RANDOM" "${WRK_PIN[@]}" wrk -t1 -c"$PROFILE_CONNS" \
        -d"${PROFILE_DURATION}s" --timeout 5s -s "$BENCH/wrk/$op.lua" "${URL[$server]}/" \
        >"$PROFILES/$server-$op.wrk" 2>&1 &
      wrk_pid=$!
      sleep 0.5  # past the connections' set-up
      perf record -F "$PROFILE_FREQ" -p "${PID[$server]}" -o "$data" -- \
        sleep $((PROFILE_DURATION - 1)) >"$PROFILES/$server-$op.record.log" 2>&1 ||
        { cat "$PROFILES/$server-$op.record.log" >&2; die "perf record failed"; }
      wait "$wrk_pid" || { cat "$PROFILES/$server-$op.wrk" >&2; die "wrk failed"; }
      perf report -i "$data" --stdio --no-children --sort dso,sym --percent-limit "$PROFILE_MIN" \
        >"$PROFILES/$server-$op.txt" 2>/dev/null
      perf report -i "$data" --stdio --no-children --sort dso -n \
        >"$PROFILES/$server-$op.dso.txt" 2>/dev/null
      rm -f "$data"
    done
  done
fi

# --- the section ------------------------------------------------------------------------------
# The report's inputs are kept (gitignored) in RAW_DIR/issue21.
KEPT=${RAW_DIR:-$BENCH/.work}/issue21
rm -rf "$KEPT"
mkdir -p "$KEPT/profiles"
cp "$RUN_RAW/results.tsv" "$WRITES_RAW/writes.tsv" "$FOOTPRINT" "$KEPT/"
[[ ! -f $WRITES_RAW/writes-engine.json ]] || cp "$WRITES_RAW/writes-engine.json" "$KEPT/"
cp "$PROFILES"/. "$KEPT/profiles/" -r
log "done in $(($(date +%s) - start)) s; writing the issue21 section of $RESULTS"
python3 "$BENCH/issue21_report.py" --run-tsv "$KEPT/results.tsv" \
  --writes-tsv "$KEPT/writes.tsv" --engine-json "$KEPT/writes-engine.json" \
  --footprint "$KEPT/footprint.txt" --profiles "$KEPT/profiles" --profile-top "$PROFILE_TOP" \
  --out "$RESULTS" --command "$COMMAND" \
  "${NOTES[@]/#/--note=}" \
  --note "wrk runs: ddb serve --threads $THREADS (0 = one per CPU); persistent: a new --data-dir under /tmp, RocksDB with its WAL and no fsync (the default); $([[ ${FREEZE_OTHERS:-1} == 0 ]] && echo "all servers ran all along (FREEZE_OTHERS=0)" || echo "every other server stopped (SIGSTOP) during each run and its settling, continued after (bench/lib.sh's signal_others)")" \
  --note "start-up: \`ddb serve --in-memory\` and \`--data-dir <a new empty dir> ddb serve\` with their default threads, not pinned; $STARTUP_RUNS runs each, the first left out; idle RSS read ${IDLE} s after the first answer (bench/startup.py --idle)" \
  --note "profiles: \`perf record -F $PROFILE_FREQ -p <server>\` for $((PROFILE_DURATION - 1)) s of a ${PROFILE_DURATION} s wrk run at $PROFILE_CONNS connections (put_item, then query, in memory then persistent, on the same two servers, each idle before its profile), \`perf report --no-children --sort dso,sym --percent-limit $PROFILE_MIN\`"
