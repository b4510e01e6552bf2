# shellcheck shell=bash
# Sourced by bench/run.sh and bench/writes.sh: the tools, the Release build, starting servers on
# loopback (stopped on exit) and one wrk run into a TSV line.
# In: ROOT, BENCH, LOG_TAG, BUILD_DIR, JOBS, PIN/SERVER_PIN/WRK_PIN (bench/pin.sh), DURATION.
# Out: log, die, WORK (a scratch dir, removed on exit), URL/PID/STATIC (per server name),
# free_port, wait_http, ensure_tools, build_release, stat_ticks, server_cpu_ticks,
# background_cpu_ticks, settle_server, start_cruddur, stop_server, run_workloads, signal_others,
# run_wrk.

log() { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }
die() { log "error: $*"; exit 1; }

WORK=$(mktemp -d /tmp/cruddur-bench.XXXXXX)
chmod 755 "$WORK"  # nginx workers run unprivileged and read their configuration here
SERVER_PIDS=()
# await_exit PID: gives a signalled server a few seconds to stop gracefully, then insists.
await_exit() {
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true  # one stopped by signal_others handles TERM only then
    pkill -CONT -P "$pid" 2>/dev/null || true
  done
  for pid in "${SERVER_PIDS[@]}"; do await_exit "$pid"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

declare -A URL PID STATIC  # STATIC[name]=1: wrk asks /<Operation> (the ceilings route on it)

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

ensure_tools() {  # ensure_tools [nginx]: wrk, curl, cmake, ninja (and nginx), installed if missing
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v curl >/dev/null || missing+=(curl)
  command -v cmake >/dev/null || missing+=(cmake)
  command -v ninja >/dev/null || missing+=(ninja-build)
  [[ ${1:-} != nginx ]] || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
  ((${#missing[@]} == 0)) || apt_install "${missing[@]}"
}

build_release() {  # build_release [-DOPTION=...] -- TARGET...: a Release build in BUILD_DIR
  local options=()
  while [[ $1 != -- ]]; do options+=("$1"); shift; done
  shift
  log "building $* (Release) in $BUILD_DIR"
  # Warnings are not errors here: this is a measurement, and g++ 12 at -O3 has false positives.
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCRUDDUR_WERROR=OFF \
    "${options[@]}" >"$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log" >&2; die "cmake failed"; }
  ninja -C "$BUILD_DIR" -j"$JOBS" "$@" >"$WORK/build.log" 2>&1 ||
    { tail -50 "$WORK/build.log" >&2; die "build failed"; }
}

# stat_ticks STAT_FILE...: the CPU time (clock ticks, user + system) of the processes or threads
# of these /proc stat files, summed; one that has gone is skipped.
stat_ticks() {
  local file total=0 stat
  for file in "$@"; do
    stat=$(cat "$file" 2>/dev/null) || continue
    stat=${stat##*) }  # fields after "pid (comm) ": state is field 3, utime 14, stime 15
    read -r -a f <<<"$stat"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

# CPU time used so far by a server and its child processes (nginx's workers): CPU per request
# does not depend on what else the machine runs, unlike ops/s.
server_cpu_ticks() {
  local pid files=()
  for pid in ${PID[$1]} $(pgrep -P "${PID[$1]}" 2>/dev/null || true); do
    files+=("/proc/$pid/stat")
  done
  stat_ticks "${files[@]}"
}

# background_cpu_ticks NAME: the CPU of the server's RocksDB flush and compaction threads
# (named rocksdb:high / rocksdb:low; they start with the first flush and stay), which its writes
# cost beside the worker's own CPU: bench/writes_report.py charges it to the in-process limit.
background_cpu_ticks() {
  local task files=()
  for task in /proc/"${PID[$1]}"/task/*; do
    [[ $(cat "$task/comm" 2>/dev/null) == rocksdb:* ]] && files+=("$task/stat")
  done
  stat_ticks "${files[@]}"
}

# settle_server NAME: waits until the server has finished the work a run left behind (RocksDB's
# flushes and compactions after writes): until it used at most one clock tick in 0.2 s, at most
# SETTLE_MAX seconds (default 60; SETTLE=0: no wait). Prints the seconds waited. So that each
# workload starts on an idle server, and the background work a run caused is not charged to the
# next workload (run_wrk counts it into the run that caused it).
settle_server() {
  local last now start=$SECONDS
  [[ ${SETTLE:-1} == 0 ]] && { echo 0; return; }
  last=$(server_cpu_ticks "$1")
  while ((SECONDS - start < ${SETTLE_MAX:-60})); do
    sleep 0.2
    now=$(server_cpu_ticks "$1")
    ((now - last <= 1)) && break
    last=$now
  done
  echo $((SECONDS - start))
}

# start_cruddur NAME BINARY CAPTURE_DIR STORAGE_ARG...: `ddb serve` pinned, with $THREADS
# workers, seeded by seed.py (which also captures the answers into CAPTURE_DIR unless it is "").
# STORAGE_ARG: --in-memory, or --data-dir DIR.
start_cruddur() {
  local name=$1 bin=$2 capture=$3 port
  shift 3
  port=$(free_port)
  "${SERVER_PIN[@]}" "$bin" ddb serve "$@" --host 127.0.0.1 --port "$port" \
    --threads "$THREADS" >"$WORK/$name.log" 2>&1 &
  SERVER_PIDS+=($!)
  PID[$name]=$!
  URL[$name]=http://127.0.0.1:$port
  wait_http "${URL[$name]}/" $! || { cat "$WORK/$name.log" >&2; die "$name did not start"; }
  log "$name ($bin ddb serve $*) on ${URL[$name]} (pid $!)"
  python3 "$BENCH/seed.py" "${URL[$name]}" ${capture:+--capture "$capture"} >&2 ||
    die "seeding $name failed"
}

# stop_server NAME: stops a server started by start_cruddur (SIGTERM, then SIGKILL after 5 s).
stop_server() {
  local pid=${PID[$1]}
  kill "$pid" 2>/dev/null || true
  await_exit "$pid"
  local kept=() p
  for p in "${SERVER_PIDS[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
  SERVER_PIDS=("${kept[@]}")  # cleanup must not signal a pid the system has handed out again
}

# run_workloads: run_wrk for every OP x CONNS x round of $OPS, $CONNS and $ROUNDS, interleaved
# (every server of $SERVERS back to back on the same workload, so that ratios compare like with
# like on a noisy machine). A script that defines before_workload has it called with OP and CONNS
# before each workload's first round (bench/writes.sh starts new servers there).
run_workloads() {
  local total=0 op conns round server
  for _ in $OPS; do for _ in $CONNS; do total=$((total + ROUNDS * ${#SERVERS[@]})); done; done
  log "$total wrk runs of ${DURATION}s each (about $((total * (DURATION + 1) / 60 + 1)) min)"
  for op in $OPS; do
    [[ -f $BENCH/wrk/$op.lua ]] || die "no workload bench/wrk/$op.lua"
    for conns in $CONNS; do
      if declare -F before_workload >/dev/null; then before_workload "$op" "$conns"; fi
      for round in $(seq "$ROUNDS"); do
        for server in "${SERVERS[@]}"; do run_wrk "$server" "$op" "$conns" "$round"; done
      done
    done
  done
}

# signal_others SERVER SIGNAL: sends SIGNAL to every server of $SERVERS but SERVER, and to their
# child processes (nginx's workers). run_wrk stops them (STOP) for each run and its settling and
# continues them (CONT) after: all servers share one pinned CPU, and what an idle one does there
# (timers, RocksDB's flushes and compactions, node's garbage collector) would land in the measured
# server's latency, and its own CPU would go uncounted. FREEZE_OTHERS=0: no signals.
signal_others() {
  local server=$1 signal=$2 other pid
  [[ ${FREEZE_OTHERS:-1} == 0 ]] && return
  for other in "${SERVERS[@]}"; do
    [[ $other == "$server" ]] && continue
    pid=${PID[$other]:-}
    [[ -n $pid ]] || continue
    kill -"$signal" "$pid" 2>/dev/null || true
    pkill -"$signal" -P "$pid" 2>/dev/null || true
  done
}

# run_wrk SERVER OP CONNS ROUND: one wrk run of bench/wrk/OP.lua; appends to $TSV: server op
# conns round requests duration_us p50_us p99_us status_errors socket_errors server_cpu_us
# background_cpu_us background_run_cpu_us (server_cpu_us: all its threads, from the run's start
# until the server settled after it, see settle_server; background_cpu_us: the part of it that
# RocksDB's flush and compaction threads took, see background_cpu_ticks; background_run_cpu_us:
# theirs until wrk ended, the share of the core they took from the run itself)
run_wrk() {
  local server=$1 op=$2 conns=$3 round=$4 threads=1 out line cpu_before cpu settled bg_before bg
  local bg_run
  ((conns > 1 && PIN != 1)) && threads=2
  out=$WORK/wrk-$server-$op-$conns-$round.txt
  signal_others "$server" STOP
  cpu_before=$(server_cpu_ticks "$server")
  bg_before=$(background_cpu_ticks "$server")
  BENCH_RUN="r$round-c$conns-$RANDOM" BENCH_CONNS=$conns BENCH_STATIC=${STATIC[$server]:-0} \
    timeout $((DURATION + 30)) "${WRK_PIN[@]}" wrk -t"$threads" -c"$conns" -d"${DURATION}s" --timeout 5s \
    -s "$BENCH/wrk/$op.lua" "${URL[$server]}/" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed"; }
  bg_run=$(($(background_cpu_ticks "$server") - bg_before))
  settled=$(settle_server "$server")
  cpu=$(($(server_cpu_ticks "$server") - cpu_before))
  bg=$(($(background_cpu_ticks "$server") - bg_before))
  signal_others "$server" CONT
  line=$(grep '^BENCH_RESULT' "$out") || { cat "$out" >&2; die "wrk printed no result"; }
  # BENCH_RESULT requests=.. duration_us=.. p50_us=.. p99_us=.. mean_us=.. status_errors=.. socket_errors=..
  # wrk_p50_us=.. wrk_p99_us=.. latency_timed=.. (at 1 connection p50 and p99 are timed per request by
  # bench/wrk/common.lua, wrk's own beside them)
  eval "local ${line#BENCH_RESULT }"
  local tick_us=$((1000000 / $(getconf CLK_TCK)))
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$op" "$conns" \
    "$round" "$requests" "$duration_us" "$p50_us" "$p99_us" "$status_errors" "$socket_errors" \
    "$((cpu * tick_us))" "$((bg * tick_us))" "$((bg_run * tick_us))" >>"$TSV"
  log "$(awk -v op="$op" -v c="$conns" -v s="$server" -v r="$requests" -v d="$duration_us" \
    -v p50="$p50_us" -v p99="$p99_us" -v e="$status_errors" -v se="$socket_errors" 'BEGIN {
      printf "%-20s c=%-3s %-12s %9.0f ops/s  p50 %7.2f ms  p99 %7.2f ms", op, c, s, r / (d / 1e6),
        p50 / 1000, p99 / 1000
      if (e + se > 0) printf "  ERRORS: %d status, %d socket", e, se
    }')$( ((${latency_timed:-0} == 1)) && echo "  (wrk's p99 ${wrk_p99_us:-?} µs)")$(
    ((settled > 0)) && echo "  (settled ${settled}s after)")"
}
