#!/usr/bin/env bash
# Checks the lock annotations (GUARDED_BY, REQUIRES, ... of src/common/thread_annotations.h):
# every C++ file of src/ but the tests, compiled syntax-only by clang++ with
# -Werror=thread-safety, from the compile commands of a clang configuration in build-threads/
# (nothing is built there).
# `scripts/check-threads.sh src/ddb/engine.cc ...` checks only the files named.
set -euo pipefail
cd "$(dirname "$0")/.."
CXX=clang++ cmake -S . -B build-threads -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCRUDDUR_THREAD_SAFETY=ON -DCRUDDUR_WERROR=OFF -DCMAKE_CXX_COMPILER_LAUNCHER= >/dev/null
start=$SECONDS
# Each compile command, run syntax-only (no object file, no ccache), one line per source file.
python3 - build-threads/compile_commands.json "$@" >build-threads/syntax-only.txt <<'PY'
import json, os, shlex, sys
only = {os.path.abspath(f) for f in sys.argv[2:]}
for e in json.load(open(sys.argv[1])):
    # The tests and the generated asset files hold no annotated state of their own.
    if "/src/" not in e["file"] or e["file"].endswith(("web_assets.cc", "console_assets.cc", "_test.cc")):
        continue
    if only and e["file"] not in only:
        continue
    args = shlex.split(e["command"])
    out = []
    skip = False
    for a in args:
        if skip:
            skip = False
        elif a == "-o":
            skip = True
        elif a != "-c" and a != e["file"]:
            out.append(a)
    print(shlex.join(["cd", e["directory"]]) + " && " +
          shlex.join(out + ["-fsyntax-only", "-Werror=thread-safety",
                      # the one other clang warning, in RapidJSON's iterators: not this check's
                      "-Wno-ambiguous-reversed-operator", e["file"]]))
PY
n=$(wc -l <build-threads/syntax-only.txt)
if ! xargs -P"${JOBS:-2}" -d '\n' -n1 bash -c <build-threads/syntax-only.txt; then
  echo "clang -Wthread-safety: findings above (src/common/thread_annotations.h says how)" >&2
  exit 1
fi
echo "clang -Wthread-safety: $n files clean ($((SECONDS - start)) s)"
