#!/usr/bin/env bash
# HTTP benchmark: `cruddur ddb serve --in-memory` vs nginx serving the same response bytes
# statically (and dynalite, in memory), driven by wrk with DynamoDB-shaped requests.
#
# usage: bench/run.sh
# environment (all optional):
#   DURATION=10        seconds per wrk run
#   ROUNDS=1           repetitions of every cell (the table shows the median)
#   CONNS="1 32"       connection counts
#   OPS="put_item get_item query batch_write_item"   workloads (bench/wrk/<op>.lua)
#   PIN=1              (default when the machine has 2 CPUs or more) every server gets the same
#                      one core and wrk another, so that the load generator does not take CPU
#                      from the server it measures: servers run under `taskset -c $SERVER_CPU`
#                      (cruddur --threads 1, nginx worker_processes 1, dynalite is one node.js
#                      process anyway), wrk under `taskset -c $WRK_CPU` with -t1.
#   PIN=0              the old unpinned mode: everything floats over all CPUs; cruddur gets
#                      $THREADS workers, nginx one worker per CPU, wrk -t1 at 1 connection and
#                      -t2 above
#   SERVER_CPU=1 WRK_CPU=0   the CPUs of PIN=1
#   THREADS            cruddur worker threads (default: 1 with PIN=1, 0 = one per CPU with PIN=0)
#   SKIP_NGINX=1, SKIP_DYNALITE=1   leave a server out
#   BUILD_DIR=build-bench  JOBS=2   the release build of cruddur
#   CRUDDUR_BIN=path   use this binary instead of building one
#   COMPARE_BIN=path   also run this second cruddur binary ("cruddur-b"), interleaved, for an
#                      A/B measurement of a change (e.g. a build of a patched copy of the tree)
#   RESULTS=bench/RESULTS.md        where the report goes (results.png is drawn beside it)
# Every server listens on 127.0.0.1 only and is stopped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-1}
CONNS=${CONNS:-"1 32"}
OPS=${OPS:-"put_item get_item query batch_write_item"}
# shellcheck source=bench/pin.sh
source "$BENCH/pin.sh"
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
JOBS=${JOBS:-2}
RESULTS=${RESULTS:-$BENCH/RESULTS.md}
COMMAND="DURATION=$DURATION ROUNDS=$ROUNDS CONNS=\"$CONNS\" OPS=\"$OPS\" PIN=$PIN"
[[ $PIN != 1 ]] || COMMAND+=" SERVER_CPU=$SERVER_CPU WRK_CPU=$WRK_CPU"
COMMAND+=" THREADS=$THREADS"
[[ -z ${CRUDDUR_BIN:-} ]] || COMMAND+=" CRUDDUR_BIN=$CRUDDUR_BIN"
[[ -z ${COMPARE_BIN:-} ]] || COMMAND+=" COMPARE_BIN=$COMPARE_BIN"
[[ ${SKIP_NGINX:-0} != 1 ]] || COMMAND+=" SKIP_NGINX=1"
[[ ${SKIP_DYNALITE:-0} != 1 ]] || COMMAND+=" SKIP_DYNALITE=1"
COMMAND+=" bench/run.sh"
NOTES=()

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }


WORK=$(mktemp -d /tmp/cruddur-bench.XXXXXX)
chmod 755 "$WORK"  # nginx workers run unprivileged and must read the static bodies
SERVER_PIDS=()
cleanup() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${SERVER_PIDS[@]}"; do
    # Give each a few seconds to stop gracefully, then insist.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() {  # wait_http URL PID: until anything answers on URL (or the process dies)
  for _ in $(seq 200); do
    kill -0 "$2" 2>/dev/null || return 1
    curl -s -o /dev/null --max-time 1 "$1" && return 0
    sleep 0.05
  done
  return 1
}

# --- tools ---------------------------------------------------------------------------------
apt_install() {
  log "installing $*"
  # Keep Debian's maintainer scripts from starting a default nginx on port 80 of every
  # interface: this benchmark runs its own, on loopback only.
  local policy=/usr/sbin/policy-rc.d added=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added=1
  fi
  (apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 ||
    { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1; }) ||
    { [[ $added == 1 ]] && rm -f "$policy"; die "apt-get install $* failed"; }
  [[ $added == 1 ]] && rm -f "$policy"
  return 0
}
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
command -v cmake >/dev/null || missing+=(cmake)
command -v ninja >/dev/null || missing+=(ninja-build)
[[ ${SKIP_NGINX:-0} == 1 ]] || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
((${#missing[@]} == 0)) || apt_install "${missing[@]}"

# --- build ---------------------------------------------------------------------------------
if [[ -n ${CRUDDUR_BIN:-} ]]; then
  CRUDDUR=$CRUDDUR_BIN  # a prebuilt binary (e.g. a snapshot while the tree is being edited)
  [[ -x $CRUDDUR ]] || die "CRUDDUR_BIN=$CRUDDUR is not executable"
  log "using prebuilt $CRUDDUR"
else
  log "building cruddur (Release) in $BUILD_DIR"
  # Warnings are not errors here: this is a measurement, and g++ 12 at -O3 has false positives.
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCRUDDUR_WERROR=OFF \
    >"$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log" >&2; die "cmake failed"; }
  ninja -C "$BUILD_DIR" -j"$JOBS" cruddur >"$WORK/build.log" 2>&1 ||
    { tail -50 "$WORK/build.log" >&2; die "build failed"; }
  CRUDDUR=$BUILD_DIR/cruddur
  [[ -x $CRUDDUR ]] || CRUDDUR=$BUILD_DIR/src/cruddur
  [[ -x $CRUDDUR ]] || die "no cruddur binary in $BUILD_DIR"
fi

BENCH_LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
export BENCH_LOADAVG
if [[ $PIN == 1 ]]; then
  export BENCH_PIN="servers on CPU $SERVER_CPU (taskset), wrk -t1 on CPU $WRK_CPU"
else
  export BENCH_PIN="none (PIN=0)"
fi
if [[ $PIN == 1 ]]; then NGINX_WORKERS=1; else NGINX_WORKERS=$(nproc); fi

# --- servers -------------------------------------------------------------------------------
declare -A URL PID

# CPU time (clock ticks, user + system) used so far by a server and its child processes (nginx's
# workers): CPU per request does not depend on what else the machine runs, unlike ops/s.
server_cpu_ticks() {
  local pid total=0 stat
  for pid in ${PID[$1]} $(pgrep -P "${PID[$1]}" 2>/dev/null || true); do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    stat=${stat##*) }  # fields after "pid (comm) ": state is field 3, utime 14, stime 15
    read -r -a f <<<"$stat"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

start_cruddur() {  # start_cruddur NAME BINARY [CAPTURE_DIR]
  local name=$1 bin=$2 capture=${3:-} port
  port=$(free_port)
  "${SERVER_PIN[@]}" "$bin" ddb serve --in-memory --host 127.0.0.1 --port "$port" \
    --threads "$THREADS" >"$WORK/$name.log" 2>&1 &
  SERVER_PIDS+=($!)
  PID[$name]=$!
  URL[$name]=http://127.0.0.1:$port
  wait_http "${URL[$name]}/" $! || { cat "$WORK/$name.log" >&2; die "$name did not start"; }
  log "$name ($bin ddb serve) on ${URL[$name]} (pid $!)"
  python3 "$BENCH/seed.py" "${URL[$name]}" ${capture:+--capture "$capture"} >&2 ||
    die "seeding $name failed"
}

start_nginx() {
  local port dir=$WORK/nginx
  port=$(free_port)
  mkdir -p "$dir/tmp"
  chmod -R 755 "$WORK/static"
  # One worker per core (with PIN=1 one, pinned with the master), no access log, long
  # keep-alive. nginx answers 405 to POST on a static file; error_page turns that into a 200 with the file (internally re-requested as a GET), so
  # a POST /GetItem gets exactly the bytes cruddur answered to the same request.
  cat >"$dir/nginx.conf" <<CONF
worker_processes $NGINX_WORKERS;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  keepalive_timeout 65;
  keepalive_requests 100000000;
  server_tokens off;
  server {
    listen 127.0.0.1:$port;
    root $WORK/static;
    default_type application/x-amz-json-1.0;
    location / {
      error_page 405 =200 \$uri;
    }
  }
}
CONF
  "${SERVER_PIN[@]}" /usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" \
    >"$dir/stdout.log" 2>&1 &
  SERVER_PIDS+=($!)
  PID[nginx]=$!
  URL[nginx]=http://127.0.0.1:$port
  wait_http "${URL[nginx]}/" $! || { cat "$dir/stdout.log" "$dir/error.log" >&2; die "nginx did not start"; }
  log "nginx on ${URL[nginx]} (pid $!)"
  # Check that a POST like wrk's gets a 200 with exactly the captured bytes.
  local op got
  for op in PutItem GetItem Query BatchWriteItem; do
    curl -s -o "$WORK/check" -w '%{http_code}' -X POST -H 'Content-Type: application/x-amz-json-1.0' \
      -H "X-Amz-Target: DynamoDB_20120810.$op" --data '{"TableName":"bench"}' \
      "${URL[nginx]}/$op" >"$WORK/check.status"
    got=$(cat "$WORK/check.status")
    [[ $got == 200 ]] && cmp -s "$WORK/check" "$WORK/static/$op" ||
      die "nginx answered POST /$op with $got and $(wc -c <"$WORK/check") bytes, not the captured body"
  done
}

start_dynalite() {
  local port dir=$BENCH
  if [[ ! -f $dir/node_modules/dynalite/cli.js ]]; then
    if ! command -v npm >/dev/null; then
      NOTES+=("dynalite skipped: npm is not installed")
      log "dynalite skipped: npm is not installed"
      return 1
    fi
    log "installing dynalite with npm into bench/node_modules"
    # leveldown (optional, native) is only for --path; in memory needs none of it.
    if ! npm install --prefix "$dir" --no-save --omit=optional --no-audit --no-fund dynalite \
      >"$WORK/npm.log" 2>&1 || [[ ! -f $dir/node_modules/dynalite/cli.js ]]; then
      tail -5 "$WORK/npm.log" >&2
      NOTES+=("dynalite skipped: npm install dynalite failed")
      log "dynalite skipped: npm install failed"
      return 1
    fi
  fi
  port=$(free_port)
  "${SERVER_PIN[@]}" node "$dir/node_modules/dynalite/cli.js" --host 127.0.0.1 --port "$port" \
    --createTableMs 0 --deleteTableMs 0 --updateTableMs 0 >"$WORK/dynalite.log" 2>&1 &
  SERVER_PIDS+=($!)
  PID[dynalite]=$!
  URL[dynalite]=http://127.0.0.1:$port
  if ! wait_http "${URL[dynalite]}/" $!; then
    cat "$WORK/dynalite.log" >&2
    NOTES+=("dynalite skipped: it did not start")
    return 1
  fi
  log "dynalite on ${URL[dynalite]} (pid $!)"
  python3 "$BENCH/seed.py" "${URL[dynalite]}" >&2 || { NOTES+=("dynalite skipped: seeding failed"); return 1; }
  local v
  v=$(node -e "console.log(require('$dir/node_modules/dynalite/package.json').version)" 2>/dev/null || echo '?')
  NOTES+=("dynalite $v (npm), in memory, single node.js process")
}

SERVERS=(cruddur)
start_cruddur cruddur "$CRUDDUR" "$WORK/static"
if [[ -n ${COMPARE_BIN:-} ]]; then
  [[ -x $COMPARE_BIN ]] || die "COMPARE_BIN=$COMPARE_BIN is not executable"
  start_cruddur cruddur-b "$COMPARE_BIN" "$WORK/static-b"
  for op in PutItem GetItem Query BatchWriteItem; do
    cmp -s "$WORK/static/$op" "$WORK/static-b/$op" ||
      NOTES+=("cruddur-b answers $op with different bytes than cruddur")
  done
  SERVERS+=(cruddur-b)
  NOTES+=("cruddur-b: $COMPARE_BIN")
fi
if [[ ${SKIP_NGINX:-0} != 1 ]]; then start_nginx; SERVERS+=(nginx); fi
if [[ ${SKIP_DYNALITE:-0} != 1 ]] && start_dynalite; then SERVERS+=(dynalite); fi

for op in PutItem GetItem Query BatchWriteItem; do
  NOTES+=("response body of $op: $(wc -c <"$WORK/static/$op") bytes")
done
NOTES+=("cruddur: $CRUDDUR ddb serve --in-memory --threads $THREADS (0 = one per CPU), Release build")
NOTES+=("nginx: $NGINX_WORKERS worker(s), access_log off, keep-alive; static files with cruddur's bodies")
if [[ $PIN == 1 ]]; then
  NOTES+=("CPU pinning (PIN=1): every server (cruddur with --threads $THREADS, nginx's master and its one worker, dynalite's node.js process) ran under \`taskset -c $SERVER_CPU\`, wrk under \`taskset -c $WRK_CPU\` with -t1 at every connection count: each server has the same one core to itself and the load generator does not compete with it. PIN=0 gives the old unpinned mode.")
else
  NOTES+=("no CPU pinning (PIN=0): servers and wrk (-t1 at 1 connection, -t2 above) share all $(nproc) CPUs, so wrk takes CPU from the server it measures")
fi

# --- measurements --------------------------------------------------------------------------
TSV=$WORK/results.tsv
: >"$TSV"
run_wrk() {  # run_wrk SERVER OP CONNS ROUND
  local server=$1 op=$2 conns=$3 round=$4 threads=1 static=0 out line cpu_before cpu
  ((conns > 1 && PIN != 1)) && threads=2
  [[ $server == nginx ]] && static=1
  out=$WORK/wrk-$server-$op-$conns-$round.txt
  cpu_before=$(server_cpu_ticks "$server")
  BENCH_RUN="r$round-c$conns-$RANDOM" BENCH_STATIC=$static \
    timeout $((DURATION + 30)) "${WRK_PIN[@]}" wrk -t"$threads" -c"$conns" -d"${DURATION}s" --timeout 5s \
    -s "$BENCH/wrk/$op.lua" "${URL[$server]}/" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed"; }
  cpu=$(($(server_cpu_ticks "$server") - cpu_before))
  line=$(grep '^BENCH_RESULT' "$out") || { cat "$out" >&2; die "wrk printed no result"; }
  # BENCH_RESULT requests=.. duration_us=.. p50_us=.. p99_us=.. mean_us=.. status_errors=.. socket_errors=..
  eval "local ${line#BENCH_RESULT }"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$op" "$conns" "$round" \
    "$requests" "$duration_us" "$p50_us" "$p99_us" "$status_errors" "$socket_errors" \
    "$((cpu * 1000000 / $(getconf CLK_TCK)))" >>"$TSV"
  log "$(awk -v op="$op" -v c="$conns" -v s="$server" -v r="$requests" -v d="$duration_us" \
    -v p50="$p50_us" -v p99="$p99_us" -v e="$status_errors" -v se="$socket_errors" 'BEGIN {
      printf "%-14s c=%-3s %-9s %9.0f ops/s  p50 %7.2f ms  p99 %7.2f ms", op, c, s, r / (d / 1e6),
        p50 / 1000, p99 / 1000
      if (e + se > 0) printf "  ERRORS: %d status, %d socket", e, se
    }')"
}

total=0
for _ in $OPS; do for _ in $CONNS; do total=$((total + ROUNDS * ${#SERVERS[@]})); done; done
log "$total wrk runs of ${DURATION}s each (about $((total * (DURATION + 1) / 60 + 1)) min)"
for op in $OPS; do
  [[ -f $BENCH/wrk/$op.lua ]] || die "no workload bench/wrk/$op.lua"
  for conns in $CONNS; do
    for round in $(seq "$ROUNDS"); do
      # Interleaved: every server back to back on the same workload.
      for server in "${SERVERS[@]}"; do run_wrk "$server" "$op" "$conns" "$round"; done
    done
  done
done

mkdir -p "$BENCH/.work"
cp "$TSV" "$BENCH/.work/results.tsv"  # raw runs of the last run (gitignored)
python3 "$BENCH/report.py" "$TSV" "$RESULTS" "$COMMAND" "${NOTES[@]}"
/usr/bin/python3 "$BENCH/chart.py" --wrk "$TSV" "$(dirname "$RESULTS")/results.png" ||
  log "chart not drawn (apt-get install python3-matplotlib)"
