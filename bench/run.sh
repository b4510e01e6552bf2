#!/usr/bin/env bash
# HTTP benchmark: `cruddur ddb serve --in-memory` against two HTTP ceilings that do no work but
# answer with the bytes cruddur answered to the same request, against `cruddur ddb serve
# --data-dir` (persistent) and against dynalite (in memory), driven by wrk with DynamoDB-shaped
# requests:
#   cruddur-persistent  `ddb serve --data-dir <a new dir>` (RocksDB, WAL, no fsync): its ratio to
#                 cruddur is persistent / in memory in the same run
#   bare          bench/http_ceiling: cruddur's HTTP stack (Boost.Beast/Asio) and threading model
#                 (the same worker count, one io_context each, keep-alive), nothing else: the
#                 honest ceiling
#   cruddur-http  bench/http_ceiling --stack cruddur: cruddur's own http::Server, without the
#                 engine (what the HTTP layer costs over the bare server)
#   nginx         nginx answering each POST itself (`return 200 '<body>'`), as many workers as
#                 cruddur has threads
#
# usage: bench/run.sh
# environment (all optional):
#   DURATION=10        seconds per wrk run
#   ROUNDS=1           repetitions of every cell (the table shows the median)
#   CONNS="1 32"       connection counts
#   OPS="put_item get_item query batch_write_item"   workloads (bench/wrk/<op>.lua; also
#                      transact_write_items, which dynalite 4 does not implement: SKIP_DYNALITE=1)
#   PIN=1              (default when the machine has 2 CPUs or more) every server gets the same
#                      one core and wrk another, so that the load generator does not take CPU
#                      from the server it measures: servers run under `taskset -c $SERVER_CPU`
#                      (cruddur and http_ceiling --threads 1, nginx worker_processes 1, dynalite is
#                      one node.js process anyway), wrk under `taskset -c $WRK_CPU` with -t1.
#   PIN=0              the old unpinned mode: everything floats over all CPUs; cruddur and
#                      http_ceiling get $THREADS workers, nginx as many, wrk -t1 at 1 connection
#                      and -t2 above
#   SERVER_CPU=1 WRK_CPU=0   the CPUs of PIN=1
#   THREADS            worker threads of cruddur, http_ceiling and nginx (default: 1 with PIN=1,
#                      0 = one per CPU with PIN=0)
#   SKIP_BARE=1, SKIP_HTTP_LAYER=1, SKIP_NGINX=1, SKIP_DYNALITE=1, SKIP_PERSISTENT=1   leave a
#                      server out
#   BUILD_DIR=build-bench  JOBS=2   the release build of cruddur and http_ceiling
#   CRUDDUR_BIN=path   use this binary instead of building one
#   CEILING_BIN=path   use this http_ceiling (default: bench/http_ceiling beside CRUDDUR_BIN's
#                      build, else built in BUILD_DIR)
#   SETTLE=1 SETTLE_MAX=60   after each wrk run, wait (at most SETTLE_MAX s) until the server is
#                      idle, its CPU meanwhile counted into that run (bench/lib.sh's settle_server):
#                      a persistent server's flushes and compactions after a write workload are
#                      charged to it, not to the next workload. SETTLE=0: no wait.
#   FREEZE_OTHERS=1    during each wrk run and its settling, every other server is stopped
#                      (SIGSTOP, then SIGCONT: bench/lib.sh's signal_others), so that what an
#                      idle server does on the shared CPU does not land in the measured one's
#                      latency. FREEZE_OTHERS=0: all servers run all along.
#   COMPARE_BIN=path   also run this second cruddur binary ("cruddur-b"), interleaved, for an
#                      A/B measurement of a change (e.g. a build of a patched copy of the tree)
#   RESULTS=bench/RESULTS.md        where the report goes (results.png is drawn beside it)
#   RAW_DIR=bench/.work  where the raw runs are kept (results.tsv; bench/issue21.sh reads them)
# Every server listens on 127.0.0.1 only and is stopped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
LOG_TAG=bench
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
[[ -z ${CEILING_BIN:-} ]] || COMMAND+=" CEILING_BIN=$CEILING_BIN"
[[ -z ${SETTLE:-} ]] || COMMAND+=" SETTLE=$SETTLE"
[[ -z ${SETTLE_MAX:-} ]] || COMMAND+=" SETTLE_MAX=$SETTLE_MAX"
[[ -z ${FREEZE_OTHERS:-} ]] || COMMAND+=" FREEZE_OTHERS=$FREEZE_OTHERS"
[[ -z ${COMPARE_BIN:-} ]] || COMMAND+=" COMPARE_BIN=$COMPARE_BIN"
for skip in SKIP_BARE SKIP_HTTP_LAYER SKIP_NGINX SKIP_DYNALITE SKIP_PERSISTENT; do
  [[ ${!skip:-0} != 1 ]] || COMMAND+=" $skip=1"
done
COMMAND+=" bench/run.sh"
NOTES=()
# The operations seed.py captures: the ceilings answer these.
CAPTURED_OPS=(PutItem GetItem Query BatchWriteItem TransactWriteItems)

# shellcheck source=bench/lib.sh
source "$BENCH/lib.sh"

# --- tools and build ---------------------------------------------------------------------------
if [[ ${SKIP_NGINX:-0} == 1 ]]; then ensure_tools; else ensure_tools nginx; fi
if [[ -n ${CRUDDUR_BIN:-} ]]; then
  CRUDDUR=$CRUDDUR_BIN  # a prebuilt binary (e.g. a snapshot while the tree is being edited)
  [[ -x $CRUDDUR ]] || die "CRUDDUR_BIN=$CRUDDUR is not executable"
  log "using prebuilt $CRUDDUR"
  CEILING=${CEILING_BIN:-$(dirname "$CRUDDUR")/bench/http_ceiling}
  if [[ ! -x $CEILING ]]; then
    [[ -z ${CEILING_BIN:-} ]] || die "CEILING_BIN=$CEILING is not executable"
    build_release -- http_ceiling
    CEILING=$BUILD_DIR/bench/http_ceiling
  fi
else
  build_release -- cruddur http_ceiling
  CRUDDUR=$BUILD_DIR/cruddur
  [[ -x $CRUDDUR ]] || CRUDDUR=$BUILD_DIR/src/cruddur
  [[ -x $CRUDDUR ]] || die "no cruddur binary in $BUILD_DIR"
  CEILING=${CEILING_BIN:-$BUILD_DIR/bench/http_ceiling}
fi

BENCH_LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
export BENCH_LOADAVG
if [[ $PIN == 1 ]]; then
  export BENCH_PIN="servers on CPU $SERVER_CPU (taskset), wrk -t1 on CPU $WRK_CPU"
else
  export BENCH_PIN="none (PIN=0)"
fi
# As many workers as cruddur: --threads 0 is one per CPU.
WORKERS=$THREADS
((WORKERS > 0)) || WORKERS=$(nproc)

# --- servers -------------------------------------------------------------------------------

# check_answers NAME: each captured operation, POSTed as wrk does, gets a 200 with exactly the
# captured body and cruddur's content type.
check_answers() {
  local op got type
  for op in "${CAPTURED_OPS[@]}"; do
    got=$(curl -s -o "$WORK/check" -D "$WORK/check.head" -w '%{http_code}' -X POST \
      -H 'Content-Type: application/x-amz-json-1.0' -H "X-Amz-Target: DynamoDB_20120810.$op" \
      --data '{"TableName":"bench"}' "${URL[$1]}/$op")
    type=$(grep -i '^content-type:' "$WORK/check.head" | tr -d '\r' | cut -d' ' -f2-)
    [[ $got == 200 && $type == application/x-amz-json-1.0 ]] && cmp -s "$WORK/check" "$WORK/static/$op" ||
      die "$1 answered POST /$op with $got ($type) and $(wc -c <"$WORK/check") bytes, not the captured answer"
  done
}

start_ceiling() {  # start_ceiling NAME STACK: bench/http_ceiling on the captured answers
  local name=$1 port
  port=$(free_port)
  "${SERVER_PIN[@]}" "$CEILING" --stack "$2" --threads "$WORKERS" --port "$port" "$WORK/static" \
    >"$WORK/$name.log" 2>&1 &
  SERVER_PIDS+=($!)
  PID[$name]=$!
  URL[$name]=http://127.0.0.1:$port
  STATIC[$name]=1
  wait_http "${URL[$name]}/" $! || { cat "$WORK/$name.log" >&2; die "$name did not start"; }
  log "$name ($CEILING --stack $2 --threads $WORKERS) on ${URL[$name]} (pid $!)"
  check_answers "$name"
}

start_nginx() {
  local port dir=$WORK/nginx
  port=$(free_port)
  mkdir -p "$dir/tmp"
  # As many workers as cruddur (with PIN=1 one, pinned with the master), no access log, long
  # keep-alive; every POST /<Operation> answered by `return` with cruddur's body.
  python3 "$BENCH/nginx_conf.py" "$WORK/static" "$port" "$WORKERS" "$dir" >"$dir/nginx.conf" ||
    die "nginx_conf.py failed"
  "${SERVER_PIN[@]}" /usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" \
    >"$dir/stdout.log" 2>&1 &
  SERVER_PIDS+=($!)
  PID[nginx]=$!
  URL[nginx]=http://127.0.0.1:$port
  STATIC[nginx]=1
  wait_http "${URL[nginx]}/" $! || { cat "$dir/stdout.log" "$dir/error.log" >&2; die "nginx did not start"; }
  log "nginx on ${URL[nginx]} (pid $!)"
  check_answers nginx
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

# note_other_answers NAME DIR: a note for each captured answer of NAME (in DIR) whose bytes differ
# from cruddur's, since the ceilings replay cruddur's.
note_other_answers() {
  local op
  for op in "${CAPTURED_OPS[@]}"; do
    cmp -s "$WORK/static/$op" "$2/$op" || NOTES+=("$1 answers $op with different bytes than cruddur")
  done
}

SERVERS=(cruddur)
start_cruddur cruddur "$CRUDDUR" "$WORK/static" --in-memory
if [[ -n ${COMPARE_BIN:-} ]]; then
  [[ -x $COMPARE_BIN ]] || die "COMPARE_BIN=$COMPARE_BIN is not executable"
  start_cruddur cruddur-b "$COMPARE_BIN" "$WORK/static-b" --in-memory
  note_other_answers cruddur-b "$WORK/static-b"
  SERVERS+=(cruddur-b)
  NOTES+=("cruddur-b: $COMPARE_BIN")
fi
if [[ ${SKIP_PERSISTENT:-0} != 1 ]]; then
  mkdir -p "$WORK/data-persistent"
  start_cruddur cruddur-persistent "$CRUDDUR" "$WORK/static-persistent" --data-dir "$WORK/data-persistent"
  note_other_answers cruddur-persistent "$WORK/static-persistent"
  SERVERS+=(cruddur-persistent)
  NOTES+=("cruddur-persistent: $CRUDDUR ddb serve --data-dir <a new dir under /tmp> --threads $THREADS: RocksDB with its WAL and no fsync (the default); cruddur-persistent/cruddur is persistent / in memory, run back to back")
fi
if [[ ${SKIP_BARE:-0} != 1 ]]; then start_ceiling bare bare; SERVERS+=(bare); fi
if [[ ${SKIP_HTTP_LAYER:-0} != 1 ]]; then start_ceiling cruddur-http cruddur; SERVERS+=(cruddur-http); fi
if [[ ${SKIP_NGINX:-0} != 1 ]]; then start_nginx; SERVERS+=(nginx); fi
if [[ ${SKIP_DYNALITE:-0} != 1 ]] && start_dynalite; then SERVERS+=(dynalite); fi

for op in "${CAPTURED_OPS[@]}"; do
  NOTES+=("answer of $op: $(wc -c <"$WORK/static/$op") bytes of body, $(grep -c . "$WORK/static/$op.headers") header fields ($(paste -sd, <(cut -d: -f1 "$WORK/static/$op.headers") | sed 's/,/, /g'))")
done
NOTES+=("cruddur: $CRUDDUR ddb serve --in-memory --threads $THREADS (0 = one per CPU), Release build")
NOTES+=("bare (the honest ceiling): $CEILING --stack bare --threads $WORKERS: cruddur's stack (Boost.Beast's parser over Asio) and threading model ($WORKERS worker(s), each with its own io_context, one acceptor handing connections out round-robin, TCP_NODELAY, HTTP/1.1 keep-alive): one async_read of the whole request (target kept, fields and body dropped), one write of the captured status line, header fields and body; no timers, no JSON, no engine (bench/http_ceiling.cc)")
NOTES+=("cruddur-http: $CEILING --stack cruddur --threads $WORKERS: cruddur's own http::Server (src/http/server.h, with the options of \`ddb serve\`) and a handler that returns the captured answer: the HTTP layer without the engine")
NOTES+=("nginx: $WORKERS worker(s) (as many as cruddur's threads), access_log off, keep-alive; each POST /<Operation> answered by \`return 200 '<cruddur's body>'\` with default_type application/x-amz-json-1.0 (bench/nginx_conf.py); nginx writes its own header fields (Server, Date, Content-Type, Content-Length, Connection)")
if [[ $PIN == 1 ]]; then
  NOTES+=("CPU pinning (PIN=1): every server (cruddur and http_ceiling with --threads $THREADS, nginx's master and its $WORKERS worker(s), dynalite's node.js process) ran under \`taskset -c $SERVER_CPU\`, wrk under \`taskset -c $WRK_CPU\` with -t1 at every connection count: each server has the same one core to itself and the load generator does not compete with it. PIN=0 gives the old unpinned mode.")
else
  NOTES+=("no CPU pinning (PIN=0): servers and wrk (-t1 at 1 connection, -t2 above) share all $(nproc) CPUs, so wrk takes CPU from the server it measures")
fi

if [[ ${SETTLE:-1} != 0 ]]; then
  NOTES+=("CPU per request counts all of a server's threads from the start of its wrk run until it idles after it (at most ${SETTLE_MAX:-60} s; bench/lib.sh's settle_server): a persistent server's flushes and compactions after a write workload count into that workload, and the next workload starts on an idle server")
fi
if [[ ${FREEZE_OTHERS:-1} != 0 ]]; then
  NOTES+=("Other servers stopped (FREEZE_OTHERS=1): during each wrk run and its settling every other server is stopped with SIGSTOP and continued after (bench/lib.sh's signal_others), so that an idle server's timers and background threads on the shared CPU neither delay the measured server nor run uncounted")
fi

# --- measurements --------------------------------------------------------------------------
TSV=$WORK/results.tsv
: >"$TSV"
run_workloads

RAW_DIR=${RAW_DIR:-$BENCH/.work}
mkdir -p "$RAW_DIR"
cp "$TSV" "$RAW_DIR/results.tsv"  # raw runs of the last run (gitignored)
python3 "$BENCH/report.py" "$TSV" "$RESULTS" "$COMMAND" "${NOTES[@]}"
/usr/bin/python3 "$BENCH/chart.py" --wrk "$TSV" "$(dirname "$RESULTS")/results.png" ||
  log "chart not drawn (apt-get install python3-matplotlib)"
