#!/usr/bin/env bash
# In-process benchmark: the engine's PutItem/GetItem/Query against raw RocksDB on the same bytes
# (bench/engine_bench.cc, Google Benchmark). Writes the "engine" section of bench/RESULTS.md.
#
# usage: bench/engine.sh
# environment (all optional):
#   REPETITIONS=5 MIN_TIME=0.5   Google Benchmark repetitions (medians reported) and seconds each
#   FILTER=regex                 run only the matching benchmarks (default: this table's; the
#                                BM_Batch_* and BM_Txn_* ones are bench/writes.sh's)
#   BUILD_DIR=build-bench2 JOBS=2  RESULTS=bench/RESULTS.md
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
REPETITIONS=${REPETITIONS:-5}
MIN_TIME=${MIN_TIME:-0.5}
FILTER=${FILTER:-'^BM_(Engine|Storage|Json|Raw)_'}
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench2}
JOBS=${JOBS:-2}
RESULTS=${RESULTS:-$BENCH/RESULTS.md}
COMMAND="REPETITIONS=$REPETITIONS MIN_TIME=$MIN_TIME bench/engine.sh"

log() { printf '[engine] %s\n' "$*" >&2; }
WORK=$(mktemp -d /tmp/cruddur-engine-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

log "building engine_bench (Release) in $BUILD_DIR"
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCRUDDUR_WERROR=OFF \
  -DCRUDDUR_BENCH=ON >"$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log" >&2; exit 1; }
ninja -C "$BUILD_DIR" -j"$JOBS" engine_bench >"$WORK/build.log" 2>&1 ||
  { tail -50 "$WORK/build.log" >&2; exit 1; }

export BENCH_LOADAVG
BENCH_LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
# Random interleaving runs the repetitions of all benchmarks in a shuffled order, so that a
# burst of load from other processes does not hit one benchmark's repetitions only.
(cd "$WORK" && "$BUILD_DIR/bench/engine_bench" --benchmark_filter="$FILTER" \
  --benchmark_repetitions="$REPETITIONS" --benchmark_min_time="$MIN_TIME" \
  --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
  --benchmark_out="$WORK/engine.json" --benchmark_out_format=json) >&2
mkdir -p "$BENCH/.work"
cp "$WORK/engine.json" "$BENCH/.work/engine.json"
python3 "$BENCH/engine_report.py" "$WORK/engine.json" "$RESULTS" "$COMMAND"
