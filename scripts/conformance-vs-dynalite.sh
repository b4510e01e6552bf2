#!/usr/bin/env bash
# Runs the DynamoDB conformance suite (tests/conformance) against dynalite 4 (npm), an in-memory
# DynamoDB emulator, and prints passed/failed/skipped per test file and the failing tests. Not
# part of scripts/test.sh; the figures in tests/conformance/README.md come from it. Tests that
# start a server of their own skip, as with any DDB_ENDPOINT.
#
#   scripts/conformance-vs-dynalite.sh [pytest args, e.g. tests/conformance/test_scan_order.py]
#
# Installs dynalite@4 with npm into $CRUDDUR_NPM_PREFIX (default tests/cli/.npm, shared with the
# CLI tests) when missing. dynalite listens on 127.0.0.1 with no CREATING/DELETING delays.
# Writes build/dynalite/{junit.xml,pytest.log,dynalite.log,summary.md}.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PREFIX="${CRUDDUR_NPM_PREFIX:-$ROOT/tests/cli/.npm}"
OUT="$ROOT/build/dynalite"
bin="$PREFIX/node_modules/.bin/dynalite"
if [[ ! -x $bin ]]; then
  echo "== installing dynalite@4 (npm) into $PREFIX"
  mkdir -p "$PREFIX"
  npm install --no-save --no-audit --no-fund --prefix "$PREFIX" dynalite@4
fi
version=$(node -p "require('$PREFIX/node_modules/dynalite/package.json').version")
mkdir -p "$OUT"

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"
"$bin" --host 127.0.0.1 --port "$port" --createTableMs 0 --deleteTableMs 0 --updateTableMs 0 \
  >"$OUT/dynalite.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q 'listening' "$OUT/dynalite.log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$OUT/dynalite.log" >&2; exit 1; }
  sleep 0.1
done
echo "== dynalite $version on $endpoint"

echo "== pytest tests/conformance against dynalite (log: $OUT/pytest.log)"
args=("$@")
((${#args[@]})) || args=(tests/conformance)
set +e
DDB_ENDPOINT="$endpoint" /usr/bin/python3 -m pytest "${args[@]}" -q -p no:cacheprovider \
  --junitxml="$OUT/junit.xml" >"$OUT/pytest.log" 2>&1
status=$?
set -e
tail -n 1 "$OUT/pytest.log"
((status <= 1)) || { cat "$OUT/pytest.log"; exit "$status"; }

/usr/bin/python3 - "$OUT/junit.xml" "$version" <<'EOF' | tee "$OUT/summary.md"
import collections, sys, xml.etree.ElementTree as ET

per_file = collections.OrderedDict()
failed = []
for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    module = case.get("classname", "").split(".")  # tests.conformance.test_x[.Class]
    file = module[2] if len(module) > 2 else module[-1]
    name = "::".join([file + ".py"] + module[3:] + [case.get("name")])
    if case.find("skipped") is not None:
        outcome = "skipped"
    elif case.find("failure") is not None or case.find("error") is not None:
        outcome = "failed"
        failed.append(name if len(name) <= 100 else name[:97] + "...")
    else:
        outcome = "passed"
    per_file.setdefault(file, collections.Counter())[outcome] += 1

total = collections.Counter()
print(f"\n| file (dynalite {sys.argv[2]}) | passed | failed | skipped |")
print("| --- | ---: | ---: | ---: |")
for path, c in per_file.items():
    total.update(c)
    print(f"| {path}.py | {c['passed']} | {c['failed']} | {c['skipped']} |")
print(f"| **total** | **{total['passed']}** | **{total['failed']}** | **{total['skipped']}** |")
print("\nFailing against dynalite:")
for n in failed:
    print("    " + n)
print(f"\ndynalite {sys.argv[2]}: {total['passed']} passed, {total['failed']} failed, "
      f"{total['skipped']} skipped")
EOF
