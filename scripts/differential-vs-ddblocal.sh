#!/usr/bin/env bash
# Differential fuzzing against AWS's DynamoDB Local: tests/differential/diff_fuzz.py sends the
# same random item requests (PutItem, UpdateItem, DeleteItem, GetItem, Query, Scan, batches and
# transactions, with random expressions over values of every type) to DynamoDB Local and to
# `cruddur ddb serve`, and compares every answer (results, error types, cancellation reasons)
# and, every 50 requests, both tables whole; tests/differential/control_fuzz.py does the same
# with random table definitions and table operations (CreateTable, UpdateTable, DeleteTable,
# DescribeTable, ListTables, TTL, and items put into the tables it made). scripts/test.sh runs a
# short one; campaigns are longer.
#
#   scripts/differential-vs-ddblocal.sh [SEEDS [OPS [CONTROL_OPS]]]
#     (default: seeds 1..5, 2000 item requests and 500 table requests each; FIRST_SEED=N starts
#     at seed N instead of 1, for a campaign over seeds not run before)
#
# Runs each seed against an in-memory server and against one on a new data dir (RocksDB).
# Writes build/differential/{<mode>-<seed>.log,<mode>-control-<seed>.log,ddblocal.log,
# cruddur-<mode>.log}; exits 1 when a result or an error type differs (differing messages are
# listed, not counted as failures: DynamoDB Local's wording is often not DynamoDB's). Installs Java and DynamoDB Local as
# scripts/conformance-vs-ddblocal.sh does, and runs in the same private network namespace.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
self="$ROOT/scripts/$(basename "$0")"
SEEDS="${1:-5}"
OPS="${2:-2000}"
CONTROL_OPS="${3:-500}"
FIRST_SEED="${FIRST_SEED:-1}"
OUT="${DIFF_OUT:-$ROOT/build/differential}"
BIN="${CRUDDUR_BIN:-$ROOT/build/cruddur}"
# shellcheck source=scripts/lib/ddblocal.sh
source scripts/lib/ddblocal.sh
ddblocal_enter "$self" "$@"
[[ -x "$BIN" ]] || { echo "no $BIN: build first (scripts/build.sh)" >&2; exit 2; }
ddblocal_start "$OUT"

status=0
for mode in memory disk; do
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  data=$(mktemp -d)
  args=(--in-memory)
  [[ $mode == disk ]] && args=(--data-dir "$data/data")
  # DynamoDB Local has no limits on how often a table changes (TTL's interval, DeletionProtection,
  # TableClass, decreases): neither has the server compared with it.
  "$BIN" ddb serve "${args[@]}" --no-update-limits --host 127.0.0.1 --port "$port" \
    >"$OUT/cruddur-$mode.log" 2>&1 &
  server=$!
  PYTHONPATH="$ROOT/tests/conformance" /usr/bin/python3 -c \
    'import sys; from ddbtest import wait_until_answers; wait_until_answers(sys.argv[1])' \
    "http://127.0.0.1:$port"
  for seed in $(seq "$FIRST_SEED" $((FIRST_SEED + SEEDS - 1))); do
    if ! /usr/bin/python3 tests/differential/diff_fuzz.py "$DDBLOCAL_ENDPOINT" \
      "http://127.0.0.1:$port" --seed "$seed" --ops "$OPS" --prefix "diff-$mode" \
      >"$OUT/$mode-$seed.log" 2>&1; then
      status=1
    fi
    echo "$mode: $(tail -n 1 "$OUT/$mode-$seed.log")"
    if ! /usr/bin/python3 tests/differential/control_fuzz.py "$DDBLOCAL_ENDPOINT" \
      "http://127.0.0.1:$port" --seed "$seed" --ops "$CONTROL_OPS" --prefix "zzctl-$mode" \
      >"$OUT/$mode-control-$seed.log" 2>&1; then
      status=1
    fi
    echo "$mode tables: $(tail -n 1 "$OUT/$mode-control-$seed.log")"
    if ! kill -0 "$server" 2>/dev/null; then
      echo "cruddur ($mode) exited during seed $seed: see $OUT/cruddur-$mode.log"
      exit 1
    fi
  done
  kill "$server"
  wait "$server" 2>/dev/null || true
  rm -rf "$data"
done
((status == 0)) || echo "differences found: grep -A2 ' DIFF \| TABLE ' $OUT/*.log"
exit "$status"
