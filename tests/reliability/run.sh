#!/usr/bin/env bash
# Reliability suite for `cruddur ddb serve` (issue 7): crash safety (SIGKILL + restart),
# concurrency, load and abuse, HTTP limits, SigV4 credentials, then the adversarial load test
# (issue 14) against `cruddur ddb serve` and `cruddur serve`. Short versions by default (about
# 2.5 minutes); --long runs the long versions (50 crash cycles, more concurrency, 2 minutes of load,
# a 10,000-connection flood, 5 minutes of adversarial load from 64 connections per server).
# Uses CRUDDUR_BIN (default build/cruddur); every server listens on 127.0.0.1 only. With
# CRUDDUR_TEST_REPORTS set (scripts/test.sh), pytest writes reliability.xml there (the
# adversarial load is one program that passes or fails).
set -euo pipefail
cd "$(dirname "$0")/../.."

long=0
for arg in "$@"; do
  case "$arg" in
    --long) long=1 ;;
    *) echo "usage: $0 [--long]" >&2; exit 2 ;;
  esac
done

export CRUDDUR_BIN="${CRUDDUR_BIN:-$PWD/build/cruddur}"
if [[ ! -x "$CRUDDUR_BIN" ]]; then
  echo "no cruddur binary at $CRUDDUR_BIN (build it first, or set CRUDDUR_BIN)" >&2
  exit 1
fi
limit=600
adversarial=(--duration 20 --connections 16 --target both)
if [[ $long == 1 ]]; then
  adversarial=(--duration 300 --connections 64 --target both)
  export CRASH_CYCLES="${CRASH_CYCLES:-50}" CRASH_SECONDS="${CRASH_SECONDS:-5}"
  export CONCURRENCY_THREADS="${CONCURRENCY_THREADS:-32}" CONCURRENCY_OPS="${CONCURRENCY_OPS:-150}"
  export ABUSE_LOAD_SECONDS="${ABUSE_LOAD_SECONDS:-120}"
  export LIMITS_LONG="${LIMITS_LONG:-1}"
  limit=3600
fi

figures="$(mktemp)"
trap 'rm -f "$figures"' EXIT
export RELIABILITY_FIGURES="$figures"

report=()
[[ -n ${CRUDDUR_TEST_REPORTS:-} ]] && report=(--junitxml="$CRUDDUR_TEST_REPORTS/reliability.xml")
status=0
# Hard bound on the whole run; pytest's own failures give the exit status.
timeout --signal=INT --kill-after=30 "$limit" \
  /usr/bin/python3 -m pytest -q -p no:cacheprovider "${report[@]}" tests/reliability || status=$?
# Valid, slow, huge, deep and malformed requests at once; it stops by itself (duration + drain).
echo "== adversarial load (${adversarial[*]})"
timeout --signal=INT --kill-after=30 "$(( ${adversarial[1]} + 300 ))" \
  /usr/bin/python3 tests/reliability/adversarial_load.py "${adversarial[@]}" || status=$?

/usr/bin/python3 - "$figures" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
def g(r, *keys):
    for k in keys:
        if r.get(k) is not None:
            return r[k]
    return "-"
cols = ("test", "cycles", "writes verified", "ops", "errors", "seconds", "RSS (MB)")
table = []
for r in rows:
    rss = "-"
    if "rss_before_load_kb" in r:
        rss = "%.0f -> %.0f (peak %.0f)" % (r["rss_before_load_kb"] / 1024,
                                            r["rss_after_load_kb"] / 1024, r["rss_peak_kb"] / 1024)
    ops = g(r, "ops", "load_ops")
    if r["test"] == "crash":
        ops = sum(r.get(k, 0) for k in ("puts", "batch_items", "increments", "transfers",
                                        "regroups"))
    if r["test"] == "auth":
        ops = r.get("accepted", 0) + r.get("refused", 0)
    errors = g(r, "unexpected_errors", "errors", "load_errors")
    table.append((r["test"], g(r, "cycles"), g(r, "writes_verified"), ops, errors,
                  g(r, "seconds", "load_seconds"), rss))
widths = [max(len(str(x)) for x in col) for col in zip(cols, *table)]
line = lambda row: "  ".join(str(x).ljust(w) for x, w in zip(row, widths))
print("\n== reliability figures")
print(line(cols))
for row in table:
    print(line(row))
for r in rows:
    if r["test"] == "abuse":
        keys = ("rss_8x15MB_pending_kb", "rss_after_large_bodies_kb", "fds_with_500_idle",
                "flood_connects", "slowloris_closed_after_s", "trickler_closed_after_s",
                "idle_closed_by_server", "load_ops_per_s", "load_steady_max_ms",
                "flood_steady_max_ms", "malformed_cases")
        print("abuse: " + ", ".join(f"{k}={r.get(k)}" for k in keys))
    if r["test"] == "adversarial":
        keys = [f"{t}_{k}" for t in ("ddb", "api")
                for k in ("valid_verified", "valid_503", "valid_failed", "hostile_requests",
                          "hostile_failed", "server_cpu_s")]
        print("adversarial: " + ", ".join(f"{k}={r.get(k)}" for k in keys))
    if r["test"] == "limits":
        keys = ("slowloris_clients", "slowloris_closed_max_s", "slow_body_closed_max_s",
                "flood_connections", "flood_kept", "flood_refused", "flood_steady_max_ms",
                "budget_refused", "storm_bodies", "storm_rss_before_kb", "storm_rss_peak_kb")
        print("limits: " + ", ".join(f"{k}={r.get(k)}" for k in keys))
PY
exit "$status"
