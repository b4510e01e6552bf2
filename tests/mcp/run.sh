#!/usr/bin/env bash
# `cruddur ddb mcp` end to end with the official MCP TypeScript SDK (@modelcontextprotocol/sdk,
# npm, installed into tests/mcp/node_modules): mcp.test.mjs talks to it over stdio (the SDK
# spawns `build/cruddur ddb mcp`) and over Streamable HTTP (`ddb mcp --mcp-port 0` started here,
# with the token stored in its data dir). This script also checks that the stored token is mode
# 0600 and that a non-loopback bind without an explicit token refuses to start.
# Exits non-zero on any failure; the server is always stopped. Works offline once the npm install
# is done. Environment: CRUDDUR_BIN (default build/cruddur).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib.sh
dir=tests/mcp
bin="${CRUDDUR_BIN:-$PWD/build/cruddur}"
[[ -x "$bin" ]] || { echo "mcp tests: $bin is not built (set CRUDDUR_BIN)" >&2; exit 1; }
if [[ ! -f "$dir/node_modules/@modelcontextprotocol/sdk/package.json" ]]; then
  echo "== installing @modelcontextprotocol/sdk (npm)"
  npm install --prefix "$dir" --no-audit --no-fund
fi

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  local status=$?
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  [[ $status -ne 0 && -f "$tmp/http.log" ]] && { echo "--- ddb mcp (http) log" >&2; tail -n 20 "$tmp/http.log" >&2; }
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== ddb mcp: a non-loopback bind needs an explicit token"
if "$bin" --data-dir "$tmp/refused" ddb mcp --mcp-port 0 --mcp-host 0.0.0.0 >"$tmp/refused.out" 2>&1; then
  echo "mcp tests: --mcp-host 0.0.0.0 without a token started" >&2
  exit 1
fi
grep -q "mcp-token" "$tmp/refused.out" || { cat "$tmp/refused.out" >&2; exit 1; }

for name in stdio http; do
  "$bin" --data-dir "$tmp/$name" ddb schema-load >/dev/null
done

"$bin" --data-dir "$tmp/http" ddb mcp --mcp-port 0 >"$tmp/http.out" 2>"$tmp/http.log" &
server_pid=$!
url=$(wait_for_url "$server_pid" "$tmp/http.out" 'http://127\.0\.0\.1:[0-9]*/mcp' \
  "mcp tests: ddb mcp --mcp-port") || exit 1
mode=$(stat -c %a "$tmp/http/mcp-token")
[[ $mode == 600 ]] || { echo "mcp tests: mcp-token has mode $mode, not 600" >&2; exit 1; }

echo "== ddb mcp with the MCP TypeScript SDK: stdio, read-only, Streamable HTTP"
CRUDDUR_BIN="$bin" STDIO_DATA_DIR="$tmp/stdio" MCP_URL="$url" MCP_TOKEN="$(cat "$tmp/http/mcp-token")" \
  node "$dir/mcp.test.mjs"
