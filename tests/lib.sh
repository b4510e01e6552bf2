# shellcheck shell=bash
# Sourced by the tests' run.sh scripts that start a server of their own (web, console, mcp), from
# the repository's root.

# cruddur_bin SUITE: sets bin to $CRUDDUR_BIN (default build/cruddur); exits when it is not built.
cruddur_bin() {
  bin="${CRUDDUR_BIN:-$PWD/build/cruddur}"
  [[ -x "$bin" ]] || { echo "$1 tests: $bin is not built (set CRUDDUR_BIN)" >&2; exit 1; }
}

# need_chromium SUITE: exports CHROMIUM (default /usr/bin/chromium); exits when it is not there.
need_chromium() {
  export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
  [[ -x "$CHROMIUM" ]] || {
    echo "$1 tests: no Chromium at $CHROMIUM (apt-get install chromium)" >&2
    exit 1
  }
}

# npm_install_once DIR PACKAGE: `npm install` into DIR/node_modules unless PACKAGE is there.
npm_install_once() {
  [[ -f "$1/node_modules/$2/package.json" ]] && return 0
  echo "== installing $2 (npm)"
  npm install --prefix "$1" --no-audit --no-fund
}

# with_tmp_and_servers: makes tmp, a directory removed when the script exits. At exit (INT and TERM
# exit 130) every pid in server_pids is stopped, then the script's on_exit STATUS runs if it
# defines one (to keep or show logs); the script's exit status stays.
server_pids=()
with_tmp_and_servers() {
  tmp="$(mktemp -d)"
  trap _stop_servers_and_remove_tmp EXIT
  trap 'exit 130' INT TERM
}

_stop_servers_and_remove_tmp() {
  local status=$? pid
  for pid in "${server_pids[@]}"; do stop_server "$pid"; done
  if declare -F on_exit >/dev/null; then on_exit "$status" || true; fi
  rm -rf "$tmp"
  exit "$status"
}

# stop_server PID: ends one server this script started (nothing when it has already ended).
stop_server() {
  kill -0 "$1" 2>/dev/null || return 0
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# show_logs STATUS LINES FILE...: when STATUS is a failure, the last LINES lines of each FILE that
# exists, on stderr.
show_logs() {
  local status=$1 lines=$2 f
  shift 2
  [[ $status -ne 0 ]] || return 0
  for f in "$@"; do
    [[ -f "$f" ]] && { echo "--- $f (tail)" >&2; tail -n "$lines" "$f" >&2; }
  done
  return 0
}

# serve_in_background OUT LOG PATTERN WHAT COMMAND...: starts COMMAND (stdout to OUT, stderr to
# LOG), stopped at exit by with_tmp_and_servers; sets server_pid, and url to the first match of
# PATTERN in OUT (see wait_for_url; exits when none shows).
serve_in_background() {
  local out=$1 log=$2 pattern=$3 what=$4
  shift 4
  "$@" >"$out" 2>"$log" &
  server_pid=$!
  server_pids+=("$server_pid")
  url=$(wait_for_url "$server_pid" "$out" "$pattern" "$what") || exit 1
}

# wait_for_url PID OUT PATTERN WHAT: prints the first match of `grep -o PATTERN` in the file OUT
# (where the server started as PID announces its URL), waiting up to 30 s for it. Fails with
# "WHAT exited" when the server stops first, "WHAT did not start" when no URL shows.
wait_for_url() {
  local pid=$1 out=$2 pattern=$3 what=$4 url
  for _ in $(seq 1 300); do
    url="$(grep -o "$pattern" "$out" | head -n 1 || true)"
    [[ -n "$url" ]] && { echo "$url"; return 0; }
    kill -0 "$pid" 2>/dev/null || { echo "$what exited" >&2; return 1; }
    sleep 0.1
  done
  echo "$what did not start" >&2
  return 1
}
