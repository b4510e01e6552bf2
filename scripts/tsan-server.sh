#!/usr/bin/env bash
# The whole server under ThreadSanitizer: builds build-tsan/cruddur (CRUDDUR_TSAN) and points the
# DynamoDB conformance suite, the reliability concurrency tests and the adversarial load (both
# `ddb serve` and `serve`) at it through CRUDDUR_BIN. Each server process writes TSan's reports
# to a log of its own; any report fails the run, as does any failed test.
#   scripts/tsan-server.sh [ADVERSARIAL_SECONDS]      (default 40)
# ~6 min after the build (the build from nothing: ~15 min at -j2). scripts/test.sh runs the unit
# tests under TSan; this longer check of the running server has its own script.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-40}"

cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCRUDDUR_TSAN=ON >/dev/null
ninja -C build-tsan -j"${JOBS:-2}" cruddur

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
export CRUDDUR_BIN="$PWD/build-tsan/cruddur"
# detect_deadlocks=0: a TransactWriteItems of up to 100 items holds as many key locks at once,
# more than the 64 that TSan's deadlock detector tracks (it would stop the server with a CHECK).
# What TSan leaves out (RocksDB, libstdc++.so) is built into the server: common/tsan_defaults.cc.
export TSAN_OPTIONS="log_path=$logs/tsan detect_deadlocks=0"

status=0
echo "== conformance (pytest + boto3 + aws CLI) against the TSan server"
/usr/bin/python3 -m pytest tests/conformance -q -p no:cacheprovider || status=1
echo "== concurrency and transaction conflicts (in memory and persistent)"
/usr/bin/python3 -m pytest tests/reliability/concurrency_test.py \
  tests/reliability/transaction_conflict_test.py -q -p no:cacheprovider || status=1
echo "== adversarial load, $seconds s, 16 connections per server (TSan needs the memory)"
/usr/bin/python3 tests/reliability/adversarial_load.py --duration "$seconds" --connections 16 \
  --target both --rss-limit-mb 12000 || status=1

reports=("$logs"/tsan.*)
if [[ -e ${reports[0]} ]]; then
  cat "${reports[@]}"
  echo "ThreadSanitizer: reports from ${#reports[@]} server process(es), above"
  status=1
else
  echo "ThreadSanitizer: no reports"
fi
exit "$status"
