#!/usr/bin/env bash
# Messaging API benchmark: a seeded `cruddur serve` (temporary data dir, development auth), driven
# by wrk with a bearer token on the two read endpoints of the web app:
#   GET /api/message_groups                                   (andrewbrown's conversations)
#   GET /api/messages/5ae290ed-55d1-47a0-bc6d-fe2bc2700399    (the seeded andrewbrown-bayko one)
# Reports req/s, p50, p99 and the server's CPU per request; writes the "api" section of
# bench/RESULTS.md.
#
# usage: bench/api.sh
# environment (all optional):
#   DURATION=10 ROUNDS=1 CONNS="1 32"   seconds per wrk run, repetitions (median), connections
#   PIN=1 SERVER_CPU=1 WRK_CPU=0   as bench/run.sh: the server on one core, wrk -t1 on another
#                                  (default when there are 2 CPUs or more); PIN=0: unpinned
#   THREADS                  serve's worker threads (default: 1 with PIN=1, one per CPU with PIN=0)
#   SEED_MESSAGES=N          `cruddur ddb seed --messages N` (default: the scripted conversation)
#   CACHE_URL=redis://...    passed to serve as --cache-url when serve has that option
#   BUILD_DIR=build-bench JOBS=2 | CRUDDUR_BIN=path   the release binary
#   RESULTS=bench/RESULTS.md
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-1}
CONNS=${CONNS:-"1 32"}
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
JOBS=${JOBS:-2}
RESULTS=${RESULTS:-$BENCH/RESULTS.md}
GROUP=5ae290ed-55d1-47a0-bc6d-fe2bc2700399
PATHS=(/api/message_groups "/api/messages/$GROUP")
# shellcheck source=bench/pin.sh
source "$BENCH/pin.sh"
COMMAND="DURATION=$DURATION ROUNDS=$ROUNDS CONNS=\"$CONNS\" PIN=$PIN THREADS=$THREADS"
[[ -z ${SEED_MESSAGES:-} ]] || COMMAND+=" SEED_MESSAGES=$SEED_MESSAGES"
[[ -z ${CACHE_URL:-} ]] || COMMAND+=" CACHE_URL=$CACHE_URL"
COMMAND+=" bench/api.sh"

log() { printf '[api] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }


WORK=$(mktemp -d /tmp/cruddur-api-bench.XXXXXX)
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in wrk curl python3; do
  command -v $tool >/dev/null || die "$tool is not installed (bench/run.sh installs the tools)"
done

if [[ -n ${CRUDDUR_BIN:-} ]]; then
  CRUDDUR=$CRUDDUR_BIN
elif [[ ${SKIP_BUILD:-0} == 1 ]]; then
  CRUDDUR=$BUILD_DIR/cruddur
else
  log "building cruddur (Release) in $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCRUDDUR_WERROR=OFF \
    >"$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log" >&2; die "cmake failed"; }
  ninja -C "$BUILD_DIR" -j"$JOBS" cruddur >"$WORK/build.log" 2>&1 ||
    { tail -50 "$WORK/build.log" >&2; die "build failed"; }
  CRUDDUR=$BUILD_DIR/cruddur
fi
[[ -x $CRUDDUR ]] || die "no cruddur binary at $CRUDDUR"

# Development mode on a fresh data dir, as tests/api/test_serve.py and scripts/run.sh do it:
# no Cognito pool, no PostgreSQL, no DynamoDB endpoint override.
unset CONNECTION_URL PROD_CONNECTION_URL AWS_ENDPOINT_URL AWS_ENDPOINT_URL_DYNAMODB BACKEND_URL
for v in $(compgen -e | grep '^AWS_COGNITO' || true); do unset "$v"; done
export CRUDDUR_DATA_DIR=$WORK/data
export FRONTEND_URL=http://localhost:3000
"$CRUDDUR" db setup >"$WORK/setup.log" 2>&1 || { cat "$WORK/setup.log" >&2; die "db setup failed"; }
"$CRUDDUR" ddb schema-load >>"$WORK/setup.log" 2>&1 ||
  { cat "$WORK/setup.log" >&2; die "ddb schema-load failed"; }
"$CRUDDUR" ddb seed ${SEED_MESSAGES:+--messages "$SEED_MESSAGES"} >>"$WORK/setup.log" 2>&1 ||
  { cat "$WORK/setup.log" >&2; die "ddb seed failed"; }
TOKEN=$("$CRUDDUR" auth token andrewbrown) || die "auth token failed"
export BENCH_TOKEN=$TOKEN

SERVE_ARGS=(serve --host 127.0.0.1 --port 0 --threads "$THREADS")
CACHE_NOTE="no --cache-url option in this build of serve"
if "$CRUDDUR" serve --help 2>/dev/null | grep -q -- '--cache-url'; then
  if [[ -n ${CACHE_URL:-} ]]; then
    SERVE_ARGS+=(--cache-url "$CACHE_URL")
    CACHE_NOTE="--cache-url $CACHE_URL"
  else
    CACHE_NOTE="serve's default cache (no --cache-url given; see its start line)"
  fi
elif [[ -n ${CACHE_URL:-} ]]; then
  log "CACHE_URL ignored: this cruddur serve has no --cache-url"
fi
"${SERVER_PIN[@]}" "$CRUDDUR" "${SERVE_ARGS[@]}" >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
START_LINE=
for _ in $(seq 300); do
  START_LINE=$(head -n1 "$WORK/serve.out" 2>/dev/null || true)
  [[ -n $START_LINE ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.err" >&2; die "serve exited"; }
  sleep 0.1
done
[[ -n $START_LINE ]] || die "serve printed no start line"
URL=$(grep -o 'http://[0-9.]*:[0-9]*' <<<"$START_LINE" | head -n1)
[[ -n $URL ]] || die "no URL in serve's start line: $START_LINE"
log "$START_LINE"

# Each path must answer 200 with a JSON body before it is measured (a 401 or 404 at full speed
# would be a meaningless number).
declare -A BYTES
for path in "${PATHS[@]}"; do
  code=$(curl -s -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL$path")
  [[ $code == 200 ]] || { cat "$WORK/body" >&2; die "GET $path answered $code"; }
  python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$WORK/body" ||
    die "GET $path did not answer JSON"
  BYTES[$path]=$(wc -c <"$WORK/body")
  log "GET $path: 200, ${BYTES[$path]} bytes"
done
if [[ ${BYTES[/api/message_groups]} -le 2 ]]; then die "message_groups is empty: the seed did not run"; fi

server_cpu_us() {  # user + system CPU of the server process (all its threads), in µs
  local stat f
  stat=$(cat "/proc/$SERVER_PID/stat") || { echo 0; return; }
  stat=${stat##*) }
  read -r -a f <<<"$stat"
  echo $(((f[11] + f[12]) * 1000000 / $(getconf CLK_TCK)))
}

BENCH_LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
export BENCH_LOADAVG
TSV=$WORK/api.tsv
: >"$TSV"
n_conns=$(wc -w <<<"$CONNS")
total=$((${#PATHS[@]} * n_conns * ROUNDS))
log "$total wrk runs of ${DURATION}s each (about $((total * (DURATION + 1) / 60 + 1)) min)"
for path in "${PATHS[@]}"; do
  for conns in $CONNS; do
    for round in $(seq "$ROUNDS"); do
      threads=1
      ((conns > 1 && PIN != 1)) && threads=2
      out=$WORK/wrk.txt
      cpu0=$(server_cpu_us)
      BENCH_PATH=$path BENCH_CONNS=$conns timeout $((DURATION + 30)) "${WRK_PIN[@]}" \
        wrk -t"$threads" -c"$conns" -d"${DURATION}s" --timeout 5s -s "$BENCH/wrk/api.lua" "$URL" \
        >"$out" 2>&1 ||
        { cat "$out" >&2; die "wrk failed"; }
      cpu=$(($(server_cpu_us) - cpu0))
      line=$(grep '^BENCH_RESULT' "$out") || { cat "$out" >&2; die "wrk printed no result"; }
      eval "${line#BENCH_RESULT }"
      # shellcheck disable=SC2154  # set by the eval
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$path" "$conns" "$round" "$requests" \
        "$duration_us" "$p50_us" "$p99_us" "$status_errors" "$socket_errors" "$cpu" >>"$TSV"
      log "$(awk -v p="$path" -v c="$conns" -v r="$requests" -v d="$duration_us" -v a="$p50_us" \
        -v b="$p99_us" -v e="$status_errors" -v s="$socket_errors" -v cpu="$cpu" 'BEGIN {
          printf "GET %-50s c=%-3s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  CPU %6.1f µs/req",
            p, c, r / (d / 1e6), a / 1000, b / 1000, cpu / (r ? r : 1)
          if (e + s > 0) printf "  ERRORS: %d status, %d socket", e, s
        }')"
    done
  done
done

NOTES=("serve's start line: \`$START_LINE\`"
  "cache: $CACHE_NOTE"
  "data: \`cruddur db setup\`, \`cruddur ddb schema-load\`, \`cruddur ddb seed${SEED_MESSAGES:+ --messages $SEED_MESSAGES}\` on a fresh data dir (embedded engine, RocksDB); token: \`cruddur auth token andrewbrown\` (development auth: an RS256 JWT checked by serve)")
for path in "${PATHS[@]}"; do NOTES+=("GET $path answers ${BYTES[$path]} bytes"); done
if [[ $PIN == 1 ]]; then
  NOTES+=("CPU pinning: \`cruddur serve --threads $THREADS\` under \`taskset -c $SERVER_CPU\` (its stream consumer and embedded engine included), wrk -t1 under \`taskset -c $WRK_CPU\`")
else
  NOTES+=("no CPU pinning (PIN=0): serve --threads $THREADS and wrk share all CPUs")
fi
mkdir -p "$BENCH/.work"
cp "$TSV" "$BENCH/.work/api.tsv"
python3 "$BENCH/api_report.py" "$TSV" "$RESULTS" "$COMMAND" "${NOTES[@]}"
