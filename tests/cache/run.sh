#!/usr/bin/env bash
# Starts a throwaway redis-server on 127.0.0.1 (no persistence), runs the RedisCache GoogleTests
# and the cache tests of `cruddur serve` (tests/cache/test_cache_api.py) against it with
# CACHE_URL set, and stops the server. Usage: tests/cache/run.sh [BUILD_DIR]   (default: build)
# Needs the Debian package redis-server (redis-server and redis-cli). With CRUDDUR_TEST_REPORTS
# set (scripts/test.sh), the GoogleTests and pytest write cache-gtest.xml / cache.xml there.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=$(cd "${1:-${BUILD_DIR:-$repo/build}}" && pwd)
gtests="$build_dir/src/api_tests"
export CRUDDUR_BIN="${CRUDDUR_BIN:-$build_dir/cruddur}"
for f in "$CRUDDUR_BIN" "$gtests"; do
  if [[ ! -x $f ]]; then
    echo "missing $f: build the cruddur and api_tests targets" >&2
    exit 1
  fi
done
for tool in redis-server redis-cli; do
  command -v "$tool" >/dev/null || { echo "$tool not installed (Debian: redis-server)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/cruddur-redis.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
redis_pid=""

cleanup() {
  local rc=$?
  if [[ -n $redis_pid ]] && kill -0 "$redis_pid" 2>/dev/null; then
    kill "$redis_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$redis_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT INT TERM

echo "== starting redis-server on 127.0.0.1:$port"
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
  --daemonize no >"$work/redis.log" 2>&1 &
redis_pid=$!
disown "$redis_pid"  # the last test kills it: no job-control notice
for _ in $(seq 100); do
  [[ $(redis-cli -p "$port" ping 2>/dev/null || true) == PONG ]] && break
  kill -0 "$redis_pid" 2>/dev/null || { cat "$work/redis.log" >&2; exit 1; }
  sleep 0.1
done
[[ $(redis-cli -p "$port" ping) == PONG ]]

export CACHE_URL="redis://127.0.0.1:$port"
export REDIS_PORT="$port" REDIS_PID="$redis_pid"

gtest_report=() pytest_report=()
if [[ -n ${CRUDDUR_TEST_REPORTS:-} ]]; then
  gtest_report=(--gtest_output="xml:$CRUDDUR_TEST_REPORTS/cache-gtest.xml")
  pytest_report=(--junitxml="$CRUDDUR_TEST_REPORTS/cache.xml")
fi

echo "== RedisCache GoogleTests against $CACHE_URL"
"$gtests" --gtest_filter='RedisCache*' --gtest_brief=1 "${gtest_report[@]}"

echo "== cruddur serve with CACHE_URL=$CACHE_URL (pytest)"
# The last test kills redis-server to show the API survives the outage.
/usr/bin/python3 -m pytest "$repo/tests/cache" -q -p no:cacheprovider "${pytest_report[@]}"
