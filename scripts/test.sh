#!/usr/bin/env bash
# Runs every test: the unit tests (CTest), the unit tests again under ASan+UBSan, and the
# black-box DynamoDB conformance suite (pytest + boto3 + aws CLI) against build/cruddur, then the
# operator commands, the messaging API with its cache (real redis-server) and web page (headless
# Chromium), reliability and the AWS fakes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export JOBS="${JOBS:-2}"

echo "== build"
scripts/build.sh
echo "== unit tests"
ctest --test-dir build --output-on-failure -j"$JOBS"
echo "== users database against a real PostgreSQL 15 (started on loopback) and SQLite"
tests/db/run_postgres_tests.sh build

if [[ "${CRUDDUR_SKIP_SANITIZERS:-0}" != 1 ]]; then
  echo "== unit tests under ASan+UBSan"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCRUDDUR_SANITIZE=ON >/dev/null
  ninja -C build-asan -j"$JOBS" unit_tests
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$JOBS"
fi

if [[ "${CRUDDUR_SKIP_FUZZ:-0}" != 1 ]]; then
  echo "== fuzzing (libFuzzer, ASan+UBSan): regressions + seeds, then ${CRUDDUR_FUZZ_SECONDS:-20} s per target"
  fuzz/ci.sh "${CRUDDUR_FUZZ_SECONDS:-20}"
fi

echo "== conformance (pytest + boto3 + aws CLI against build/cruddur ddb serve)"
/usr/bin/python3 -m pytest tests/conformance -q -p no:cacheprovider

echo "== ddb operator commands (embedded, ddb serve by URL and by lock fallback, dynalite)"
tests/cli/run.sh

echo "== messaging API and auth tokens (real build/cruddur serve, dev tokens)"
/usr/bin/python3 -m pytest tests/api -q -p no:cacheprovider

echo "== cache (RedisCache + cruddur serve with CACHE_URL) against a real redis-server on loopback"
tests/cache/run.sh build

echo "== web page (headless Chromium + playwright-core) and static-file escapes"
tests/web/run.sh

echo "== reliability (crash/restart, concurrency, abuse, SigV4) against build/cruddur ddb serve"
tests/reliability/run.sh

echo "== Cognito/EC2 commands against local fakes of their wire protocols"
/usr/bin/python3 -m pytest tests/aws -q -p no:cacheprovider
