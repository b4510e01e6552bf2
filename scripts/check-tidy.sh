#!/usr/bin/env bash
# clang-tidy (the committed .clang-tidy: naming, bugprone-*, performance-*, and clang's
# -Wthread-safety over the lock annotations) over the checked set, failing on any finding; first
# scripts/check-catch-all.py (no catch (...) that swallows).
#
# The checked set: every .cc of src/ except the tests (*_test.cc), and the headers of src/
# through them; plus the test files changed against the base (the merge base with origin/main,
# or with main when HEAD is another branch), so an edited test is checked too. A fresh clone of
# main in CI has no base and checks the fixed set. scripts/check-tidy.sh FILE... checks only
# those files.
# Needs build/compile_commands.json (scripts/build.sh writes it); JOBS files at a time (2).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/check-catch-all.py

[[ -f build/compile_commands.json ]] ||
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if (($#)); then
  files=("$@")
else
  mapfile -t files < <(git ls-files 'src/*.cc' | grep -v '_test\.cc$')
  base=""
  if git rev-parse -q --verify origin/main >/dev/null; then
    base=$(git merge-base HEAD origin/main)
  elif git rev-parse -q --verify main >/dev/null &&
    [[ $(git rev-parse HEAD) != $(git rev-parse main) ]]; then
    base=$(git merge-base HEAD main)
  fi
  if [[ -n $base ]]; then
    mapfile -t -O "${#files[@]}" files < <(git diff --name-only --diff-filter=d "$base" -- \
      'src/*_test.cc')
  fi
fi

start=$SECONDS
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The compile commands are g++'s: clang does not know some of its warning flags, and warns of
# RapidJSON's iterator comparisons under C++20 (not this check's business).
if ! printf '%s\n' "${files[@]}" | xargs -P"${JOBS:-2}" -n1 clang-tidy -p build --quiet \
  --extra-arg=-Wno-unknown-warning-option --extra-arg=-Wno-ambiguous-reversed-operator \
  --extra-arg=-Wthread-safety \
  >"$log" 2>&1; then
  grep -E '(warning|error):' "$log" | sort -u >&2 || tail -n 20 "$log" >&2  # not a finding
  echo "clang-tidy: findings above, in ${#files[@]} checked files (NOLINT(check): reason, where" \
    "a finding is wrong; src/common/thread_annotations.h says how to hold a lock)" >&2
  exit 1
fi
echo "clang-tidy: ${#files[@]} files clean ($((SECONDS - start)) s)"
