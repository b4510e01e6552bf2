#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time.
#   fuzz/run.sh [SECONDS] [TARGET...]     (default: 30 seconds each, every target)
# First replays fuzz/regressions/<target>/* (inputs that once crashed), then fuzzes from the
# committed seeds in fuzz/corpus/<target>/ plus a working corpus kept in the build directory.
# Crash inputs go to fuzz/crashes/ (gitignored). Exits non-zero if any target crashes.
# Environment: CRUDDUR_FUZZ_BUILD (build dir, default build-fuzz), JOBS (ninja -j, default 2),
# FUZZ_RSS_MB (default 2048), FUZZ_MAX_LEN (default 8192).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
seconds="${1:-30}"
shift || true
build="${CRUDDUR_FUZZ_BUILD:-$root/build-fuzz}"
rss_mb="${FUZZ_RSS_MB:-2048}"
max_len="${FUZZ_MAX_LEN:-8192}"

# Warnings are not errors here: this build hunts runtime bugs, the normal builds enforce -Werror.
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCRUDDUR_FUZZ=ON \
  -DCRUDDUR_WERROR=OFF >/dev/null
ninja -C "$build" -j"${JOBS:-2}" fuzzers

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for bin in "$build"/fuzz/fuzz_*; do
    [ -x "$bin" ] && targets+=("$(basename "$bin")")
  done
fi

mkdir -p "$here/crashes"
failed=()
summary=()
for t in "${targets[@]}"; do
  bin="$build/fuzz/$t"
  log="$build/fuzz/$t.log"
  echo "=== $t"
  regressions=("$here/regressions/$t"/*)
  if [ -e "${regressions[0]}" ]; then
    # A 2 MB stack (not 8) so the deep-nesting inputs stay small and still overflow if the
    # recursion comes back.
    if ! (ulimit -s 2048 && "$bin" -rss_limit_mb="$rss_mb" -timeout=30 "${regressions[@]}") \
        >"$log.replay" 2>&1; then
      tail -n 40 "$log.replay"
      echo "$t: a regression input crashes again (full log: $log.replay)"
      failed+=("$t (regression)")
      continue
    fi
    echo "replayed ${#regressions[@]} regression input(s)"
  fi
  work="$build/fuzz-corpus/$t"
  mkdir -p "$work"
  if "$bin" -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -max_len="$max_len" \
      -timeout=30 -print_final_stats=1 -artifact_prefix="$here/crashes/$t-" \
      "$work" "$here/corpus/$t" >"$log" 2>&1; then
    done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)"
    echo "$done_line"
    summary+=("$t: $done_line")
  else
    grep -E 'ERROR:|runtime error|property violated|Test unit written' "$log" | head -n 10 || true
    echo "$t: CRASH (full log: $log)"
    failed+=("$t")
  fi
done

echo
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "crashed: ${failed[*]} (inputs in $here/crashes/)"
  exit 1
fi
echo "no crashes"
