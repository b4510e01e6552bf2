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
cruddur_bin mcp
npm_install_once "$dir" @modelcontextprotocol/sdk

with_tmp_and_servers
on_exit() { show_logs "$1" 20 "$tmp/http.log"; }

echo "== ddb mcp: a non-loopback bind needs an explicit token"
if "$bin" --data-dir "$tmp/refused" ddb mcp --mcp-port 0 --mcp-host 0.0.0.0 >"$tmp/refused.out" 2>&1; then
  echo "mcp tests: --mcp-host 0.0.0.0 without a token started" >&2
  exit 1
fi
grep -q "mcp-token" "$tmp/refused.out" || { cat "$tmp/refused.out" >&2; exit 1; }

for name in stdio http; do
  "$bin" --data-dir "$tmp/$name" ddb schema-load >/dev/null
done

serve_in_background "$tmp/http.out" "$tmp/http.log" 'http://127\.0\.0\.1:[0-9]*/mcp' \
  "mcp tests: ddb mcp --mcp-port" "$bin" --data-dir "$tmp/http" ddb mcp --mcp-port 0
mode=$(stat -c %a "$tmp/http/mcp-token")
[[ $mode == 600 ]] || { echo "mcp tests: mcp-token has mode $mode, not 600" >&2; exit 1; }

echo "== ddb mcp with the MCP TypeScript SDK: stdio, read-only, Streamable HTTP"
CRUDDUR_BIN="$bin" STDIO_DATA_DIR="$tmp/stdio" MCP_URL="$url" MCP_TOKEN="$(cat "$tmp/http/mcp-token")" \
  node "$dir/mcp.test.mjs"
