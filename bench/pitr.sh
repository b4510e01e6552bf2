#!/usr/bin/env bash
# The disk and time cost of point-in-time recovery (issue 17): `cruddur ddb serve --data-dir` with
# a table of ITEMS messages of ~200 bytes, PITR enabled after the load, then RATE writes/s for
# DURATION seconds (50% new items, 25% PutItem over an item, 25% UpdateItem), the bytes of the
# table, of the recovery base and of the recovery log every SAMPLE seconds (bench/pitr_sizes.cc,
# reading the live data dir as a RocksDB secondary), then RestoreTableToPointInTime to the latest,
# the middle and the earliest restorable time, each timed until ACTIVE and checked item by item
# against the writes (bench/pitr.py). Writes the "pitr" section of bench/RESULTS.md
# (bench/pitr_report.py).
#
# usage: bench/pitr.sh
# environment (all optional):
#   ITEMS=1000000 RATE=500 DURATION=3600 SAMPLE=60   the table, the writes, the sampling period
#   BUILD_DIR=build-bench JOBS=2   the Release build of cruddur and pitr_sizes
#   CRUDDUR_BIN=path SIZES_BIN=path   prebuilt binaries instead (e.g. build/'s RelWithDebInfo)
#   DATA_DIR=dir OUT_DIR=dir   the data dir and pitr.py's state and writes log (default: new
#                    dirs under the scratch dir, removed at the end)
#   RESULTS=bench/RESULTS.md
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
LOG_TAG=pitr
export ITEMS=${ITEMS:-1000000} RATE=${RATE:-500} DURATION=${DURATION:-3600} SAMPLE=${SAMPLE:-60}
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
JOBS=${JOBS:-2}
RESULTS=${RESULTS:-$BENCH/RESULTS.md}
COMMAND="ITEMS=$ITEMS RATE=$RATE DURATION=$DURATION SAMPLE=$SAMPLE"
for v in CRUDDUR_BIN SIZES_BIN; do
  [[ -z ${!v:-} ]] || COMMAND+=" $v=${!v}"
done
COMMAND+=" bench/pitr.sh"

# shellcheck source=bench/lib.sh
source "$BENCH/lib.sh"

targets=()
CRUDDUR=${CRUDDUR_BIN:-$BUILD_DIR/cruddur}
[[ -n ${CRUDDUR_BIN:-} ]] || targets+=(cruddur)
SIZES=$(readlink -f "${SIZES_BIN:-$BUILD_DIR/bench/pitr_sizes}")
[[ -n ${SIZES_BIN:-} ]] || targets+=(pitr_sizes)
((${#targets[@]} == 0)) || { ensure_tools; build_release -- "${targets[@]}"; }
[[ -x $CRUDDUR && -x $SIZES ]] || die "$CRUDDUR or $SIZES is not executable"
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$(dirname "$CRUDDUR")/CMakeCache.txt" \
  2>/dev/null || true)

export BENCH_LOADAVG
BENCH_LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
DATA=${DATA_DIR:-$WORK/data}
mkdir -p "$DATA"
[[ -z $(ls -A "$DATA") ]] || die "$DATA is not empty"
OUT=${OUT_DIR:-$WORK/out}
mkdir -p "$OUT"

port=$(free_port)
"$CRUDDUR" ddb serve --data-dir "$DATA" --host 127.0.0.1 --port "$port" >"$WORK/server.log" 2>&1 &
SERVER_PIDS+=($!)
ENDPOINT=http://127.0.0.1:$port
export SERVER_PID=$!
wait_http "$ENDPOINT/" $! || { cat "$WORK/server.log" >&2; die "cruddur did not start"; }
log "cruddur ($CRUDDUR ddb serve --data-dir $DATA) on $ENDPOINT (pid $!)"

for phase in load write restore; do
  log "phase $phase"
  python3 "$BENCH/pitr.py" "$phase" "$ENDPOINT" "$OUT" "$DATA/ddb" "$SIZES"
done

mkdir -p "$BENCH/.work"
cp "$OUT/state.json" "$BENCH/.work/pitr.json"
python3 "$BENCH/pitr_report.py" "$OUT/state.json" "$RESULTS" "$COMMAND" \
  "cruddur: $CRUDDUR ddb serve --data-dir (a new dir under /tmp), ${BUILD_TYPE:-Release} build,\
 default threads; RocksDB with its WAL and no fsync (the default)"
