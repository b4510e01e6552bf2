#!/usr/bin/env bash
# Write throughput in items per second: BatchWriteItem of 25 items and TransactWriteItems of 10
# items, over HTTP (wrk) against `cruddur ddb serve --in-memory` and `cruddur ddb serve
# --data-dir <a new temporary dir>` side by side, and in-process (bench/engine_bench.cc's
# BM_Batch_* and BM_Txn_*: Engine::Execute on one thread, beside Storage and raw RocksDB writing
# the same 25 items in one batch), which is what one worker can reach at most. Writes the "writes"
# section of bench/RESULTS.md (bench/writes_report.py).
#
# usage: bench/writes.sh
# environment (all optional):
#   DURATION=10 ROUNDS=1 CONNS="1 32"   seconds per wrk run, repetitions (median), connections
#   OPS="batch_write_item transact_write_items"   workloads (bench/wrk/<op>.lua)
#   PIN=1 SERVER_CPU=1 WRK_CPU=0 THREADS   as bench/run.sh (bench/pin.sh): by default each server
#                      has one core and one worker thread, wrk -t1 another core
#   FSYNC=1            a third server, `--data-dir --fsync` (every write synced; its group commit
#                      shares a sync among the writes a turn answers); FSYNC=0 leaves it out
#   FRESH=1            new servers (new data dirs) for every workload (operation x connections),
#                      so that each starts empty, as the in-process benchmark's store does; with
#                      FRESH=0 they keep the items of the workloads before (an in-memory server
#                      then holds millions of items by the last one, and pays this VM's slow
#                      first touch of new memory: bench/writes_findings.md)
#   SETTLE=1 SETTLE_MAX=60   as bench/run.sh: each run's CPU counts until its server idles (a
#                      persistent server's flushes and compactions after it)
#   FREEZE_OTHERS=1    as bench/run.sh: the other servers are stopped during each run
#   REPETITIONS=5 MIN_TIME=0.5   the in-process benchmarks (Google Benchmark; medians reported)
#   SKIP_ENGINE=1      no in-process part (the table then has no limit column)
#   BUILD_DIR=build-bench JOBS=2   the Release build of cruddur and engine_bench
#   CRUDDUR_BIN=path ENGINE_BENCH_BIN=path   prebuilt binaries instead
#   RESULTS=bench/RESULTS.md
#   RAW_DIR=bench/.work  where the raw runs are kept (writes.tsv, writes-engine.json; read by
#                      bench/issue21.sh)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
LOG_TAG=writes
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-1}
CONNS=${CONNS:-"1 32"}
OPS=${OPS:-"batch_write_item transact_write_items"}
REPETITIONS=${REPETITIONS:-5}
MIN_TIME=${MIN_TIME:-0.5}
# shellcheck source=bench/pin.sh
source "$BENCH/pin.sh"
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
JOBS=${JOBS:-2}
RESULTS=${RESULTS:-$BENCH/RESULTS.md}
COMMAND="DURATION=$DURATION ROUNDS=$ROUNDS CONNS=\"$CONNS\" OPS=\"$OPS\" PIN=$PIN THREADS=$THREADS"
COMMAND+=" REPETITIONS=$REPETITIONS MIN_TIME=$MIN_TIME"
for v in FSYNC FRESH SKIP_ENGINE CRUDDUR_BIN ENGINE_BENCH_BIN SETTLE SETTLE_MAX FREEZE_OTHERS; do
  [[ -z ${!v:-} ]] || COMMAND+=" $v=${!v}"
done
COMMAND+=" bench/writes.sh"

# shellcheck source=bench/lib.sh
source "$BENCH/lib.sh"

# --- tools and build ---------------------------------------------------------------------------
ensure_tools
targets=()
CRUDDUR=${CRUDDUR_BIN:-$BUILD_DIR/cruddur}
[[ -n ${CRUDDUR_BIN:-} ]] || targets+=(cruddur)
ENGINE_BENCH=${ENGINE_BENCH_BIN:-$BUILD_DIR/bench/engine_bench}
[[ -n ${ENGINE_BENCH_BIN:-} || ${SKIP_ENGINE:-0} == 1 ]] || targets+=(engine_bench)
((${#targets[@]} == 0)) || build_release -DCRUDDUR_BENCH=ON -- "${targets[@]}"
[[ -x $CRUDDUR ]] || die "$CRUDDUR is not executable"
ENGINE_BENCH=$(readlink -m "$ENGINE_BENCH")  # it runs in $WORK (-m: it need not exist with SKIP_ENGINE=1)

export BENCH_LOADAVG
BENCH_LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
if [[ $PIN == 1 ]]; then
  export BENCH_PIN="servers on CPU $SERVER_CPU (taskset), wrk -t1 on CPU $WRK_CPU"
else
  export BENCH_PIN="none (PIN=0)"
fi

# --- in-process: the engine on one thread -----------------------------------------------------
ENGINE_JSON=$WORK/engine.json
if [[ ${SKIP_ENGINE:-0} != 1 ]]; then
  [[ -x $ENGINE_BENCH ]] || die "$ENGINE_BENCH is not executable"
  log "in-process: BatchWriteItem, TransactWriteItems and PutItem through Engine::Execute," \
    "Storage and raw RocksDB ($REPETITIONS x ${MIN_TIME}s each)"
  # On the servers' core, as the servers run.
  (cd "$WORK" && "${SERVER_PIN[@]}" "$ENGINE_BENCH" \
    --benchmark_filter='^BM_(Batch|Txn)_|^BM_Engine_PutItem' \
    --benchmark_repetitions="$REPETITIONS" --benchmark_min_time="$MIN_TIME" \
    --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
    --benchmark_out="$ENGINE_JSON" --benchmark_out_format=json) >&2
else
  echo '{"benchmarks": []}' >"$ENGINE_JSON"
fi

# --- over HTTP: in memory and persistent, interleaved -----------------------------------------
SERVERS=(in-memory persistent)
[[ ${FSYNC:-1} == 1 ]] && SERVERS+=(persistent-fsync)
start_servers() {  # each persistent server on a new, empty data dir
  rm -rf "$WORK/data" "$WORK/data-fsync"
  mkdir -p "$WORK/data" "$WORK/data-fsync"
  start_cruddur in-memory "$CRUDDUR" "" --in-memory
  start_cruddur persistent "$CRUDDUR" "" --data-dir "$WORK/data"
  if [[ ${FSYNC:-1} == 1 ]]; then
    start_cruddur persistent-fsync "$CRUDDUR" "" --data-dir "$WORK/data-fsync" --fsync
  fi
}
start_servers
if [[ ${FRESH:-1} == 1 ]]; then
  WORKLOADS_RUN=0
  before_workload() {  # the first workload runs on the servers just started
    if ((WORKLOADS_RUN++ > 0)); then
      log "data dir after the workload: $(du -sh "$WORK/data" | cut -f1); new servers"
      local server
      for server in "${SERVERS[@]}"; do stop_server "$server"; done
      start_servers
    fi
  }
fi

TSV=$WORK/writes.tsv
: >"$TSV"
run_workloads
log "data dir after the last workload: $(du -sh "$WORK/data" | cut -f1)"

RAW_DIR=${RAW_DIR:-$BENCH/.work}
mkdir -p "$RAW_DIR"
cp "$TSV" "$RAW_DIR/writes.tsv"
cp "$ENGINE_JSON" "$RAW_DIR/writes-engine.json"
python3 "$BENCH/writes_report.py" "$TSV" "$ENGINE_JSON" "$RESULTS" "$COMMAND" \
  "cruddur: $CRUDDUR ddb serve --threads $THREADS (0 = one per CPU), Release build; persistent: a new --data-dir under /tmp, RocksDB with its WAL and no fsync (the default)$([[ ${FSYNC:-1} == 1 ]] && echo "; persistent, --fsync: the same with every acknowledged write synced to the disk first (group commit: one sync for the writes a turn answers)"); $([[ ${FRESH:-1} == 1 ]] && echo "new servers (empty stores, new data dirs) for every workload (operation x connections), as the in-process store starts empty" || echo "the same servers for every workload (FRESH=0): each starts with the items of the workloads before")" \
  "wrk: bench/wrk/batch_write_item.lua (25 new items of ~170 bytes of JSON in one new partition per request) and bench/wrk/transact_write_items.lua (10 such items as Put actions)" \
  "$([[ ${SETTLE:-1} == 0 ]] && echo "CPU per item: the servers' CPU during each wrk run" || echo "CPU per item: all of a server's threads from the start of its wrk run until it idles after it (at most ${SETTLE_MAX:-60} s): a persistent server's flushes and compactions count into the run that caused them")" \
  "$([[ ${FREEZE_OTHERS:-1} == 0 ]] && echo "All servers ran all along (FREEZE_OTHERS=0)" || echo "Other servers stopped: during each wrk run and its settling every other server is stopped with SIGSTOP and continued after (bench/lib.sh's signal_others)")"
