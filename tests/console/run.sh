#!/usr/bin/env bash
# The console (/console of `cruddur ddb serve`) end to end, in headless Debian Chromium driven by
# playwright-core (npm, as tests/web), each test against a fresh `build/cruddur ddb serve
# --in-memory` on a free port:
#   - console.test.mjs: every function of the page (browse, edit, query, PartiQL, stream,
#     indexes, create/delete table), screenshots kept in tests/console/artifacts/;
#   - backups.test.mjs: backups (create, list and page, restore, delete) and point-in-time
#     recovery (enable, restore to latest and to a date-time) from the page, restores checked
#     item for item through the API;
#   - auth.test.mjs: with --auth the console is off (404) unless --console is given, and then
#     the page asks for a key and its SigV4 signatures pass the server's check;
#   - paging.test.mjs: a table of CONSOLE_BIG_ITEMS items (default 200000, batch-written) is
#     browsed page by page, each request carrying Limit;
#   - admin.test.mjs: dynamodb-admin (npm, installed into .cache/dynamodb-admin) against the
#     server: list tables, browse, put and delete an item, create and delete a table.
# Exits non-zero on any failure; servers are always stopped. Works offline once the npm installs
# are done. Environment: CRUDDUR_BIN (default build/cruddur), CHROMIUM (default /usr/bin/chromium),
# CONSOLE_BIG_ITEMS, DYNAMODB_ADMIN_PREFIX (default .cache/dynamodb-admin),
# DYNAMODB_ADMIN_VERSION (default 4.6.2).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib.sh
dir=tests/console
export ARTIFACTS_DIR="$PWD/$dir/artifacts"
admin_prefix="${DYNAMODB_ADMIN_PREFIX:-$PWD/.cache/dynamodb-admin}"
# 4.x (AWS SDK v2) and not 5.x: 5.x's AWS SDK v3 sends its create-table form's capacity units as
# JSON strings ("5"), which DynamoDB (and so cruddur) refuses with SerializationException
# "STRING_VALUE can not be converted to a Long"; SDK v2 sends numbers.
admin_version="${DYNAMODB_ADMIN_VERSION:-4.6.2}"

cruddur_bin console
need_chromium console
npm_install_once "$dir" playwright-core
admin_pkg="$admin_prefix/node_modules/dynamodb-admin"
if [[ "$(node -p "require('$admin_pkg/package.json').version" 2>/dev/null)" != "$admin_version" ]]; then
  echo "== installing dynamodb-admin@$admin_version (npm) into $admin_prefix"
  npm install --prefix "$admin_prefix" --no-audit --no-fund --no-save "dynamodb-admin@$admin_version"
fi
admin_js="$admin_pkg/$(node -p "require('$admin_pkg/package.json').bin['dynamodb-admin']")"
mkdir -p "$ARTIFACTS_DIR"

with_tmp_and_servers
on_exit() {
  cp "$tmp"/*.log "$ARTIFACTS_DIR/" 2>/dev/null || true
  show_logs "$1" 20 "$tmp"/*.log
}

# start_server NAME [FLAGS...]: sets $url and $server_pid.
start_server() {
  local name=$1
  shift
  serve_in_background "$tmp/$name.out" "$tmp/$name.log" 'http://127\.0\.0\.1:[0-9]*' \
    "console tests: ddb serve ($name)" \
    "$bin" ddb serve --in-memory --host 127.0.0.1 --port 0 --threads 2 "$@"
}

echo "== console: every function (headless Chromium)"
start_server console
CRUDDUR_URL="$url" node "$dir/console.test.mjs"
stop_server "$server_pid"

echo "== console: backups and point-in-time recovery"
start_server backups
CRUDDUR_URL="$url" node "$dir/backups.test.mjs"
stop_server "$server_pid"

echo "== console under --auth: off without --console; with it, the page signs with a real key"
start_server auth-off --auth AKIDCONSOLE:console-secret
status=$(curl -s -o /dev/null -w '%{http_code}' "$url/console")
[[ $status == 404 ]] || { echo "--auth without --console: /console answered $status" >&2; exit 1; }
grep -q '^console:' "$tmp/auth-off.out" && { echo "--auth without --console announced a console" >&2; exit 1; }
stop_server "$server_pid"
start_server auth --auth AKIDCONSOLE:console-secret --console
CRUDDUR_URL="$url" ACCESS_KEY=AKIDCONSOLE SECRET_KEY=console-secret node "$dir/auth.test.mjs"
stop_server "$server_pid"

echo "== console: a table of ${CONSOLE_BIG_ITEMS:-200000} items browsed page by page"
start_server paging
CRUDDUR_URL="$url" node "$dir/paging.test.mjs"
stop_server "$server_pid"

echo "== dynamodb-admin against cruddur ddb serve (headless Chromium)"
start_server admin
admin_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DYNAMO_ENDPOINT="$url" AWS_REGION=us-east-1 node "$admin_js" --host 127.0.0.1 --port "$admin_port" \
  >"$tmp/dynamodb-admin.log" 2>&1 &
server_pids+=($!)
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$admin_port/" && break
  sleep 0.1
done
CRUDDUR_URL="$url" ADMIN_URL="http://127.0.0.1:$admin_port" node "$dir/admin.test.mjs"

echo "== console tests passed; screenshots in $dir/artifacts/"
