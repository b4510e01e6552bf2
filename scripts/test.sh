#!/usr/bin/env bash
# Runs every test: the clang-format check, clang-tidy and the lock annotations (clang
# -Wthread-safety), the unit tests (CTest), the unit tests again under ASan+UBSan and under
# ThreadSanitizer, and the black-box DynamoDB conformance suite (pytest + boto3 + aws CLI) against
# build/cruddur and a differential run against AWS's DynamoDB Local, then the operator commands, the messaging API with its cache (real
# redis-server), the web page and the console (headless Chromium), the MCP server (the MCP SDK),
# reliability and the AWS fakes. Every step writes its results into build/test-reports/;
# at the end scripts/check-skips.py prints every skipped test and fails on one that is not on
# tests/allowed-skips.txt.
# CRUDDUR_SKIP_SANITIZERS=1 / CRUDDUR_SKIP_FUZZ=1 leave out the sanitizer (ASan+UBSan, TSan) unit
# tests / fuzzing, said loudly; refused when CI is set.
set -euo pipefail
cd "$(dirname "$0")/.."

ci=0
[[ -n ${CI:-} && ${CI:-} != false && ${CI:-} != 0 ]] && ci=1
known_skips=(CRUDDUR_SKIP_SANITIZERS CRUDDUR_SKIP_FUZZ)
for var in $(compgen -e | grep '^CRUDDUR_SKIP_' || true); do
  [[ ${!var} == 0 || -z ${!var} ]] && continue
  if [[ " ${known_skips[*]} " != *" $var "* ]]; then
    echo "scripts/test.sh: unknown $var (known: ${known_skips[*]})" >&2
    exit 1
  fi
  if [[ ${!var} != 1 ]]; then
    echo "scripts/test.sh: $var must be 1 or 0, not '${!var}'" >&2
    exit 1
  fi
  if ((ci)); then
    echo "scripts/test.sh: $var=1 is refused when CI is set (CI=$CI): CI runs every step" >&2
    exit 1
  fi
done

reports="$PWD/build/test-reports"
export CRUDDUR_TEST_REPORTS="$reports"
# skipping VAR STEP WHAT: true (after a banner, and a note for the skip report) when VAR=1.
skipping() {
  [[ ${!1:-0} == 1 ]] || return 1
  echo "##############################################################################"
  echo "## $1=1: NOT RUNNING $3"
  echo "## (scripts/test.sh refuses $1 when CI is set)"
  echo "##############################################################################"
  echo "$1=1: $3 not run" >"$reports/$2.skipped"
}

# step TITLE: a step's "== TITLE" banner; how long each step took is printed at the end (also
# when one fails), so a slow step shows in every CI log.
step_names=() step_starts=()
step() {
  echo "== $*"
  step_names+=("$*")
  step_starts+=("$SECONDS")
}
step_times() {
  local i end
  echo "== time per step ($((SECONDS / 60)) min $((SECONDS % 60)) s in all)"
  for i in "${!step_names[@]}"; do
    end=${step_starts[i + 1]:-$SECONDS}
    printf '  %5d s  %s\n' $((end - step_starts[i])) "${step_names[i]:0:80}"
  done
}
trap step_times EXIT

step "setup (scripts/setup.sh: Debian packages, RocksDB)"
scripts/setup.sh
export JOBS="${JOBS:-2}"

step "format (clang-format, the committed .clang-format, every C++ file)"
scripts/check-format.sh
step "build"
scripts/build.sh
step "clang-tidy (the committed .clang-tidy, with the lock annotations) and catch (...)"
scripts/check-tidy.sh
rm -rf "$reports" && mkdir -p "$reports"
step "unit tests"
ctest --test-dir build --output-on-failure -j"$JOBS" --output-junit "$reports/unit.xml"
step "users database against a real PostgreSQL 15 (started on loopback) and SQLite"
tests/db/run_postgres_tests.sh build

if ! skipping CRUDDUR_SKIP_SANITIZERS asan "the unit tests under ASan+UBSan"; then
  step "unit tests under ASan+UBSan"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCRUDDUR_SANITIZE=ON >/dev/null
  ninja -C build-asan -j"$JOBS" unit_tests
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$JOBS" --output-junit "$reports/asan.xml"
fi

if ! skipping CRUDDUR_SKIP_SANITIZERS tsan "the unit tests under ThreadSanitizer"; then
  step "unit tests under ThreadSanitizer"
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCRUDDUR_TSAN=ON >/dev/null
  ninja -C build-tsan -j"$JOBS" unit_tests
  # What TSan leaves out (RocksDB, libstdc++.so) is built in: src/common/tsan_defaults.cc.
  TSAN_OPTIONS="halt_on_error=1" \
    ctest --test-dir build-tsan --output-on-failure -j"$JOBS" --output-junit "$reports/tsan.xml"
fi

if ! skipping CRUDDUR_SKIP_FUZZ fuzz "fuzzing (libFuzzer)"; then
  step "fuzzing (libFuzzer, ASan+UBSan): regressions + seeds, then ${CRUDDUR_FUZZ_SECONDS:-20} s per target"
  fuzz/ci.sh "${CRUDDUR_FUZZ_SECONDS:-20}"
fi

step "conformance (pytest + boto3 + aws CLI against build/cruddur ddb serve)"
/usr/bin/python3 -m pytest tests/conformance -q -p no:cacheprovider \
  --junitxml="$reports/conformance.xml"

step "differential: the same random requests to AWS's DynamoDB Local and build/cruddur"
echo "   (2 seeds x 1,000 item and 250 table requests, in memory and on a data dir; longer: the"
echo "   script's arguments)"
scripts/differential-vs-ddblocal.sh 2 1000 250

step "ddb operator commands (embedded, ddb serve by URL and by lock fallback, dynalite)"
tests/cli/run.sh

step "messaging API and auth tokens (real build/cruddur serve, dev tokens)"
/usr/bin/python3 -m pytest tests/api -q -p no:cacheprovider --junitxml="$reports/api.xml"

step "cache (RedisCache + cruddur serve with CACHE_URL) against a real redis-server on loopback"
tests/cache/run.sh build

step "web page (headless Chromium + playwright-core) and static-file escapes"
tests/web/run.sh

step "console at /console of ddb serve, and dynamodb-admin against ddb serve (headless Chromium)"
tests/console/run.sh

step "ddb mcp (MCP server) with the official MCP TypeScript SDK over stdio and Streamable HTTP"
tests/mcp/run.sh

step "reliability (crash/restart, concurrency, abuse, SigV4) against build/cruddur ddb serve"
tests/reliability/run.sh

step "Cognito/EC2 commands against local fakes of their wire protocols"
/usr/bin/python3 -m pytest tests/aws -q -p no:cacheprovider --junitxml="$reports/aws.xml"

# fuzz, the differential run, the web page test (page.test.mjs), the console tests
# (tests/console), the MCP tests (tests/mcp), the adversarial
# load and the shell checks of run_postgres_tests.sh write no report: each is one pass/fail
# program with nothing to skip.
step "skipped tests, each on tests/allowed-skips.txt"
scripts/check-skips.py "$reports" unit postgres-gtest postgres-hostile asan tsan conformance cli api \
  cache-gtest cache web-static reliability aws
