#!/usr/bin/env bash
# Bounded fuzzing for CI: fuzz/ci.sh [SECONDS_PER_TARGET]   (default 20)
# Builds only the fuzz targets (clang, ASan+UBSan, -DCRUDDUR_FUZZ=ON, ninja -j2) in its own
# build directory, replays every committed regression input and seed (must pass), then fuzzes
# each target for SECONDS_PER_TARGET on a working copy of its corpus (the committed corpus does
# not change). Crash inputs are kept in fuzz/artifacts/ (gitignored). One line per target:
# "<target>: N execs in S s, 0 crashes"; non-zero exit on any crash. See fuzz/run.sh.
# Environment: CRUDDUR_FUZZ_CI_BUILD (default build-fuzz-ci), JOBS (default 2).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CRUDDUR_FUZZ_BUILD="${CRUDDUR_FUZZ_CI_BUILD:-$(dirname "$here")/build-fuzz-ci}"
export JOBS="${JOBS:-2}"
# A fresh working corpus each run: CI results do not depend on what an earlier run found.
rm -rf "$CRUDDUR_FUZZ_BUILD/fuzz-corpus"
exec "$here/run.sh" "${1:-20}"
