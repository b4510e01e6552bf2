#!/usr/bin/env bash
# The web page end to end: a seeded `build/cruddur serve` (development mode, temporary data dir,
# free port), then
#   - tests/web/page.test.mjs: headless Debian Chromium driven by playwright-core (npm), which
#     signs in, sends messages and sees them; screenshots kept in tests/web/artifacts/;
#   - tests/web/test_static.py: raw-socket requests that try to escape the page's static files.
# Exits non-zero on any failure; the server is always stopped. Works offline once
# tests/web/node_modules is installed (npm install --prefix tests/web --no-audit --no-fund).
# Environment: CRUDDUR_BIN (default build/cruddur), CHROMIUM (default /usr/bin/chromium),
# CRUDDUR_TEST_REPORTS (scripts/test.sh: test_static.py writes web-static.xml there; the page
# test is one script that passes or fails, it cannot skip).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib.sh
web=tests/web
bin="${CRUDDUR_BIN:-$PWD/build/cruddur}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export ARTIFACTS_DIR="$PWD/$web/artifacts"

[[ -x "$bin" ]] || { echo "web tests: $bin is not built (set CRUDDUR_BIN)" >&2; exit 1; }
[[ -x "$CHROMIUM" ]] || { echo "web tests: no Chromium at $CHROMIUM (apt-get install chromium)" >&2; exit 1; }
if [[ ! -f "$web/node_modules/playwright-core/package.json" ]]; then
  echo "== installing playwright-core (npm)"
  npm install --prefix "$web" --no-audit --no-fund
fi
mkdir -p "$ARTIFACTS_DIR"

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  local status=$?
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  cp "$tmp/serve.err" "$ARTIFACTS_DIR/serve.log" 2>/dev/null || true
  if [[ $status -ne 0 && -f "$tmp/serve.err" ]]; then
    echo "--- server log (tail)" >&2
    tail -n 30 "$tmp/serve.err" >&2 || true
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Development mode on embedded storage only: nothing from the caller's environment.
unset AWS_COGNITO_USER_POOL_ID AWS_COGNITO_USER_POOL_CLIENT_ID CONNECTION_URL PROD_CONNECTION_URL \
      AWS_ENDPOINT_URL AWS_ENDPOINT_URL_DYNAMODB FRONTEND_URL BACKEND_URL CACHE_URL
export CRUDDUR_DATA_DIR="$tmp/data"
echo "== seeding $CRUDDUR_DATA_DIR"
"$bin" db setup >"$tmp/setup.log" 2>&1 || { cat "$tmp/setup.log" >&2; exit 1; }
"$bin" ddb schema-load >>"$tmp/setup.log" 2>&1 || { cat "$tmp/setup.log" >&2; exit 1; }
"$bin" ddb seed >>"$tmp/setup.log" 2>&1 || { cat "$tmp/setup.log" >&2; exit 1; }

"$bin" serve --host 127.0.0.1 --port 0 --threads 2 >"$tmp/serve.out" 2>"$tmp/serve.err" &
server_pid=$!
url=$(wait_for_url "$server_pid" "$tmp/serve.out" 'http://127\.0\.0\.1:[0-9]*' \
  "web tests: cruddur serve") || exit 1
echo "== cruddur serve on $url"

echo "== page test (headless Chromium)"
CRUDDUR_URL="$url" node "$web/page.test.mjs"

echo "== static files cannot be escaped (raw sockets)"
report=()
[[ -n ${CRUDDUR_TEST_REPORTS:-} ]] && report=(--junitxml="$CRUDDUR_TEST_REPORTS/web-static.xml")
CRUDDUR_URL="$url" CRUDDUR_BIN="$bin" /usr/bin/python3 -m pytest "$web/test_static.py" -q \
  -p no:cacheprovider "${report[@]}"

echo "== web tests passed; screenshots in $web/artifacts/"
