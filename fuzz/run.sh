#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time.
#   fuzz/run.sh [SECONDS] [TARGET...]     (default: 30 seconds each, every target)
# For each target: replays fuzz/regressions/<target>/* (inputs that once crashed) and the
# committed seeds fuzz/corpus/<target>/ once (both must pass), then fuzzes for SECONDS. New
# inputs go to a working corpus in the build directory (<build>/fuzz-corpus/<target>), never
# into the committed one. Crash inputs go to fuzz/artifacts/ (gitignored). Prints one line per
# target, "<target>: N execs in S s, 0 crashes", and exits non-zero if any target crashed.
# Environment: CRUDDUR_FUZZ_BUILD (build dir, default build-fuzz), JOBS (ninja -j, default 2),
# FUZZ_RSS_MB (default 2048), FUZZ_MAX_LEN (default 1048576: the deep-nesting generator of
# deep_mutator.h needs room), FUZZ_ARTIFACTS (default fuzz/artifacts).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
seconds="${1:-30}"
shift || true
build="${CRUDDUR_FUZZ_BUILD:-$root/build-fuzz}"
rss_mb="${FUZZ_RSS_MB:-2048}"
max_len="${FUZZ_MAX_LEN:-1048576}"
artifacts="${FUZZ_ARTIFACTS:-$here/artifacts}"

# Warnings are not errors here: this build hunts runtime bugs, the normal builds enforce -Werror.
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCRUDDUR_FUZZ=ON \
  -DCRUDDUR_WERROR=OFF >/dev/null
ninja -C "$build" -j"${JOBS:-2}" fuzzers

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for bin in "$build"/fuzz/fuzz_*; do
    [ -f "$bin" ] && [ -x "$bin" ] && targets+=("$(basename "$bin")")
  done
fi
# Nothing to fuzz is a broken build, not a pass.
if [ ${#targets[@]} -eq 0 ]; then
  echo "no fuzz targets in $build/fuzz" >&2
  exit 1
fi

mkdir -p "$artifacts"
failed=()
summary=()
for t in "${targets[@]}"; do
  bin="$build/fuzz/$t"
  log="$build/fuzz/$t.log"
  echo "=== $t"
  # Regressions and seeds run once each. A 2 MB stack (not 8) so the deep-nesting inputs stay
  # small and still overflow if the recursion comes back.
  replay=("$here/regressions/$t"/*)
  [ -e "${replay[0]}" ] || replay=()
  n_regressions=${#replay[@]}
  if [ -d "$here/corpus/$t" ]; then
    for f in "$here/corpus/$t"/*; do [ -f "$f" ] && replay+=("$f"); done
  fi
  if [ ${#replay[@]} -gt 0 ]; then
    if ! (ulimit -s 2048 && "$bin" -rss_limit_mb="$rss_mb" -timeout=30 \
          -artifact_prefix="$artifacts/$t-replay-" "${replay[@]}") >"$log.replay" 2>&1; then
      tail -n 40 "$log.replay"
      echo "$t: a regression or seed input crashes (full log: $log.replay)"
      summary+=("$t: replay of regressions/seeds FAILED, 1 crash")
      failed+=("$t (replay)")
      continue
    fi
    echo "replayed $n_regressions regression input(s) and $((${#replay[@]} - n_regressions)) seed(s)"
  fi
  # New inputs are written to the first directory only: the committed seeds are just read.
  work="$build/fuzz-corpus/$t"
  mkdir -p "$work"
  seeds=()
  [ -d "$here/corpus/$t" ] && seeds=("$here/corpus/$t")
  start=$(date +%s)
  status=0
  # -len_control=0: every mutation may use all of max_len at once (libFuzzer's default grows
  # the limit slowly from the largest seed; a custom mutator turns it off too, say it anyway).
  "$bin" -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -max_len="$max_len" -len_control=0 \
    -timeout=30 -print_final_stats=1 -artifact_prefix="$artifacts/$t-" \
    "$work" "${seeds[@]}" >"$log" 2>&1 || status=$?
  elapsed=$(($(date +%s) - start))
  # libFuzzer's final stats; after a crash the last "#N" status line is the best count.
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  [ -n "$execs" ] || execs="$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')"
  secs="$(sed -nE 's/^Done [0-9]+ runs in ([0-9]+) second.*/\1/p' "$log" | tail -n 1)"
  [ -n "$secs" ] || secs="$elapsed"
  if [ "$status" -eq 0 ]; then
    summary+=("$t: ${execs:-0} execs in $secs s, 0 crashes")
  else
    grep -E 'ERROR:|runtime error|property violated|Test unit written' "$log" | head -n 10 || true
    echo "$t: CRASH (full log: $log)"
    summary+=("$t: ${execs:-0} execs in $secs s, 1 crash")
    failed+=("$t")
  fi
  echo "${summary[-1]}"
done

echo
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "crashed: ${failed[*]} (inputs in $artifacts/)"
  exit 1
fi
echo "no crashes"
