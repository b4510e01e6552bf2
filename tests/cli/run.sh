#!/usr/bin/env bash
# The `cruddur ddb ...` command tests (pytest) against build/cruddur (or $CRUDDUR_BIN): embedded,
# a `cruddur ddb serve` (by URL and by data-dir lock) and dynalite (installed with npm into
# $CRUDDUR_NPM_PREFIX, default tests/cli/.npm, when missing). Extra arguments go to pytest.
# With CRUDDUR_TEST_REPORTS set (scripts/test.sh), pytest writes cli.xml there.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CRUDDUR_BIN="${CRUDDUR_BIN:-$PWD/build/cruddur}"
report=()
[[ -n ${CRUDDUR_TEST_REPORTS:-} ]] && report=(--junitxml="$CRUDDUR_TEST_REPORTS/cli.xml")
exec /usr/bin/python3 -m pytest tests/cli -q -p no:cacheprovider "${report[@]}" "$@"
