#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on 127.0.0.1, runs the users-store GoogleTests against it,
# then drives `cruddur db ...` end to end against PostgreSQL and against embedded SQLite, and
# `cruddur serve` while PostgreSQL restarts and goes down; then stops the server.
# Usage: tests/db/run_postgres_tests.sh [BUILD_DIR]   (default: build)
# Needs the Debian packages postgresql (server + psql) and sqlite3. With CRUDDUR_TEST_REPORTS set
# (scripts/test.sh), the GoogleTests and pytest write postgres-gtest.xml / postgres-hostile.xml
# there; the shell checks below cannot skip (each passes or fails).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=$(cd "${1:-${BUILD_DIR:-$repo/build}}" && pwd)
cruddur="$build_dir/cruddur"
gtests="$build_dir/src/cruddur_domain_tests"
for f in "$cruddur" "$gtests"; do
  if [[ ! -x $f ]]; then
    echo "missing $f: build the cruddur and cruddur_domain_tests targets" >&2
    exit 1
  fi
done

# The newest installed server, 15 on Debian 12.
pg_bin=""
candidates=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r || true)
for dir in /usr/lib/postgresql/15/bin $candidates; do
  if [[ -x $dir/initdb && -x $dir/pg_ctl ]]; then pg_bin=$dir; break; fi
done
if [[ -z $pg_bin ]]; then
  echo "PostgreSQL server not installed (Debian package: postgresql)" >&2
  exit 1
fi

# initdb and postgres refuse to run as root: use the postgres account (or nobody) then.
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
  pg_user=postgres
  id -u "$pg_user" >/dev/null 2>&1 || pg_user=nobody
  as_pg=(runuser -u "$pg_user" --)
fi

work=$(mktemp -d /tmp/cruddur-pg.XXXXXX)
password="cruddur-$RANDOM$RANDOM"
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}
port=$(free_port)
[[ ${#as_pg[@]} -gt 0 ]] && chown "$pg_user" "$work"
chmod 700 "$work"

serve_pid=""
cleanup() {
  local rc=$?
  if [[ -n $serve_pid ]]; then
    kill "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  if [[ -f $work/data/postmaster.pid ]]; then
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT INT TERM

echo "== starting PostgreSQL ($pg_bin) on 127.0.0.1:$port"
printf '%s\n' "$password" >"$work/pwfile"
[[ ${#as_pg[@]} -gt 0 ]] && chown "$pg_user" "$work/pwfile"
"${as_pg[@]}" "$pg_bin/initdb" -D "$work/data" -U postgres -E UTF8 --auth=scram-sha-256 \
  --pwfile="$work/pwfile" >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; exit 1; }
pg_ctl() {  # pg_ctl start|stop|restart on this server
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/data" -l "$work/server.log" -w -t 60 -m fast \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $work -c fsync=off" "$1" >/dev/null
}
pg_ctl start || { cat "$work/server.log" >&2; exit 1; }

base_url="postgresql://postgres:$password@127.0.0.1:$port"
export CRUDDUR_TEST_POSTGRES_URL="$base_url/postgres"

failures=0
pass() { echo "ok   - $1"; }
fail() { echo "FAIL - $1" >&2; failures=$((failures + 1)); }

gtest_report=() hostile_report=()
if [[ -n ${CRUDDUR_TEST_REPORTS:-} ]]; then
  gtest_report=(--gtest_output="xml:$CRUDDUR_TEST_REPORTS/postgres-gtest.xml")
  hostile_report=(--junitxml="$CRUDDUR_TEST_REPORTS/postgres-hostile.xml")
fi

echo "== GoogleTest: UserStore on PostgreSQL"
if "$gtests" --gtest_filter='*postgres*:*Postgres*' "${gtest_report[@]}" >"$work/gtest.log" 2>&1; then
  if grep -q '\[  SKIPPED \]' "$work/gtest.log"; then
    fail "PostgreSQL GoogleTests were skipped"; cat "$work/gtest.log" >&2
  else
    pass "PostgreSQL GoogleTests ($(grep -c '^\[       OK \]' "$work/gtest.log") passed)"
  fi
else
  fail "PostgreSQL GoogleTests"; cat "$work/gtest.log" >&2
fi

# check NAME EXPECTED_STATUS PATTERN -- COMMAND...: the status is as expected and the combined
# output matches the extended regex PATTERN ("" matches anything).
check() {
  local name=$1 want=$2 pattern=$3
  shift 4
  local out status=0
  out=$("$@" 2>&1) || status=$?
  local problem=""
  if [[ $want == ok && $status -ne 0 ]] || [[ $want == fail && $status -eq 0 ]]; then
    problem="exit $status"
  elif [[ -n $pattern ]] && ! grep -Eq -- "$pattern" <<<"$out"; then
    problem="output lacks /$pattern/"
  elif [[ $want == fail && $(printf '%s\n' "$out" | grep -c '^cruddur: ') -ne 1 ]]; then
    problem="no one-line 'cruddur: reason'"
  fi
  if [[ -n $problem ]]; then
    fail "$name ($problem)"
    printf '%s\n' "$out" | sed 's/^/     /' >&2
  else
    pass "$name"
  fi
}

# Runs SQL through `cruddur db connect` (psql or sqlite3 reading stdin).
connect_sql() { printf '%s\n' "$1" | "$cruddur" db connect "${@:2}"; }

cd "$work"
unset CONNECTION_URL PROD_CONNECTION_URL AWS_COGNITO_USER_POOL_ID CRUDDUR_DATA_DIR

echo "== cruddur db: PostgreSQL"
export CONNECTION_URL="$base_url/cruddur_cli"
check "db --help" ok 'update-cognito-user-ids' -- "$cruddur" db --help
check "db seed --help" ok 'prod' -- "$cruddur" db seed --help
check "create" ok '^== db-create' -- "$cruddur" db create
check "create again fails" fail 'already exists' -- "$cruddur" db create
check "schema-load" ok 'created tables' -- "$cruddur" db schema-load
check "seed" ok 'seeded 3 users' -- "$cruddur" db seed
check "seed again is a no-op" ok 'seeded 0 users \(3 already present\)' -- "$cruddur" db seed
check "three users (psql)" ok 'andrewbrown,bayko,londo' -- \
  connect_sql "\\pset tuples_only on
select string_agg(handle, ',' order by handle) from users;"
check "seed activity expires in 10 days" ok '10 days' -- \
  connect_sql "\\pset tuples_only on
select expires_at - created_at from activities where message = 'This was imported as seed data!';"
check "handle is unique" ok 'duplicate key' -- \
  connect_sql "insert into users (display_name, handle, email, cognito_user_id)
               values ('x', 'bayko', 'x', 'x');"
check "sessions" ok 'process_id \| user +\| db +\| client_addr \| app +\| state' -- \
  "$cruddur" db sessions
check "password is not printed" ok '^target: postgresql://postgres:\*\*\*@' -- \
  "$cruddur" db sessions
check "update-cognito-user-ids needs a pool id" fail 'AWS_COGNITO_USER_POOL_ID is not set' -- \
  "$cruddur" db update-cognito-user-ids
check "prod without PROD_CONNECTION_URL fails" fail 'PROD_CONNECTION_URL' -- "$cruddur" db seed prod
check "setup prod" ok 'skipped update-cognito-user-ids' -- \
  env PROD_CONNECTION_URL="$base_url/cruddur_prod" "$cruddur" db setup prod
check "--prod targets PROD_CONNECTION_URL" ok 'Running in production mode' -- \
  env PROD_CONNECTION_URL="$base_url/cruddur_prod" "$cruddur" db seed --prod
check "drop" ok '^== db-drop' -- "$cruddur" db drop
check "drop again (IF EXISTS)" ok 'dropped database cruddur_cli' -- "$cruddur" db drop
check "seed after drop fails" fail 'does not exist' -- "$cruddur" db seed
check "setup" ok 'seeded 3 users' -- "$cruddur" db setup
check "drop the prod database" ok '' -- \
  env PROD_CONNECTION_URL="$base_url/cruddur_prod" "$cruddur" db drop --prod
check "non-postgres CONNECTION_URL fails" fail 'must be a postgresql:// URL' -- \
  env CONNECTION_URL=mysql://localhost/cruddur "$cruddur" db seed
check "wrong password fails in one line" fail 'password authentication failed' -- \
  env CONNECTION_URL="postgresql://postgres:wrong@127.0.0.1:$port/cruddur" "$cruddur" db seed
unset CONNECTION_URL

echo "== cruddur db: embedded SQLite"
export CRUDDUR_DATA_DIR="$work/data-sqlite"
check "sqlite create" ok "created $work/data-sqlite/users.db" -- "$cruddur" db create
check "sqlite create again fails" fail 'already exists' -- "$cruddur" db create
check "sqlite schema-load" ok 'created tables' -- "$cruddur" db schema-load
check "sqlite seed" ok 'seeded 3 users' -- "$cruddur" db seed
check "sqlite three users (sqlite3)" ok '^andrewbrown,bayko,londo$' -- \
  connect_sql "select group_concat(handle) from (select handle from users order by handle);"
check "sqlite WAL mode" ok '^wal$' -- connect_sql "PRAGMA journal_mode;"
check "sqlite sessions" ok 'no server sessions' -- "$cruddur" db sessions
check "sqlite drop" ok 'deleted' -- "$cruddur" db drop
[[ ! -e $work/data-sqlite/users.db ]] && pass "sqlite file deleted" || fail "sqlite file deleted"
check "sqlite connect without a database fails" fail 'no users database' -- "$cruddur" db connect
check "sqlite setup with --data-dir" ok 'seeded 3 users' -- \
  "$cruddur" db setup --data-dir "$work/other"
[[ -f $work/other/users.db ]] && pass "--data-dir is honoured" || fail "--data-dir is honoured"

# Hostile handles, group ids and cursors on the messaging API, with users in this PostgreSQL.
if CRUDDUR_BIN="$cruddur" /usr/bin/python3 -m pytest "$repo/tests/api/test_hostile.py" -q \
    -p no:cacheprovider -k postgres "${hostile_report[@]}" >"$work/hostile.log" 2>&1; then
  pass "hostile API input on PostgreSQL"
else
  fail "hostile API input on PostgreSQL"; cat "$work/hostile.log" >&2
fi

echo "== cruddur serve while PostgreSQL restarts and goes down"
export CONNECTION_URL="$base_url/cruddur_serve" CRUDDUR_DATA_DIR="$work/data-serve"
"$cruddur" db setup >"$work/serve-setup.log" 2>&1 &&
  "$cruddur" ddb schema-load >>"$work/serve-setup.log" 2>&1 ||
  { fail "serve: setup"; cat "$work/serve-setup.log" >&2; }
token=$("$cruddur" auth token andrewbrown 2>/dev/null)
serve_port=$(free_port)
"$cruddur" serve --port "$serve_port" --ddb-port 0 >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$serve_port/" && break
  sleep 0.1
done
# POST /api/messages looks both users up in PostgreSQL; prints the status.
post() {
  curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d "{\"handle\":\"londo\",\"message\":\"$1\"}" \
    "http://127.0.0.1:$serve_port/api/messages"
}
expect_post() {  # expect_post NAME STATUS MESSAGE
  local got
  got=$(post "$3")
  if [[ $got == "$2" ]]; then pass "$1"; else fail "$1 (status $got, not $2)"; fi
}
expect_post "serve: a message" 200 before
pg_ctl restart
expect_post "serve: a message after PostgreSQL restarted" 200 after-restart
pg_ctl stop
expect_post "serve: 503 while PostgreSQL is down" 503 while-down
pg_ctl start
expect_post "serve: a message once PostgreSQL is back" 200 back
kill "$serve_pid"
wait "$serve_pid" 2>/dev/null || true
serve_pid=""
unset CONNECTION_URL CRUDDUR_DATA_DIR

if ((failures)); then
  echo "== $failures failure(s)" >&2
  exit 1
fi
echo "== all database tests passed"
