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
cruddur_bin web
need_chromium web
export ARTIFACTS_DIR="$PWD/$web/artifacts"
npm_install_once "$web" playwright-core
mkdir -p "$ARTIFACTS_DIR"

with_tmp_and_servers
on_exit() {
  cp "$tmp/serve.err" "$ARTIFACTS_DIR/serve.log" 2>/dev/null || true
  show_logs "$1" 30 "$tmp/serve.err"
}

# Development mode on embedded storage only: nothing from the caller's environment.
unset AWS_COGNITO_USER_POOL_ID AWS_COGNITO_USER_POOL_CLIENT_ID CONNECTION_URL PROD_CONNECTION_URL \
      AWS_ENDPOINT_URL AWS_ENDPOINT_URL_DYNAMODB FRONTEND_URL BACKEND_URL CACHE_URL
export CRUDDUR_DATA_DIR="$tmp/data"
echo "== seeding $CRUDDUR_DATA_DIR"
"$bin" db setup >"$tmp/setup.log" 2>&1 || { cat "$tmp/setup.log" >&2; exit 1; }
"$bin" ddb schema-load >>"$tmp/setup.log" 2>&1 || { cat "$tmp/setup.log" >&2; exit 1; }
"$bin" ddb seed >>"$tmp/setup.log" 2>&1 || { cat "$tmp/setup.log" >&2; exit 1; }

serve_in_background "$tmp/serve.out" "$tmp/serve.err" 'http://127\.0\.0\.1:[0-9]*' \
  "web tests: cruddur serve" "$bin" serve --host 127.0.0.1 --port 0 --threads 2
echo "== cruddur serve on $url"

echo "== page test (headless Chromium)"
CRUDDUR_URL="$url" node "$web/page.test.mjs"

echo "== static files cannot be escaped (raw sockets)"
report=()
[[ -n ${CRUDDUR_TEST_REPORTS:-} ]] && report=(--junitxml="$CRUDDUR_TEST_REPORTS/web-static.xml")
CRUDDUR_URL="$url" CRUDDUR_BIN="$bin" /usr/bin/python3 -m pytest "$web/test_static.py" -q \
  -p no:cacheprovider "${report[@]}"

echo "== web tests passed; screenshots in $web/artifacts/"
