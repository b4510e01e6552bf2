#!/usr/bin/env bash
# Installs every Debian package cruddur's build, tests and benchmarks need. Idempotent; run as root
# (or with sudo available) on Debian 12.
set -euo pipefail
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
packages=(
  build-essential cmake ninja-build ccache clang clang-format clang-tidy
  libboost1.81-dev librocksdb-dev rapidjson-dev libcli11-dev libspdlog-dev libfmt-dev
  libssl-dev zlib1g-dev libzstd-dev zstd libsqlite3-dev libgtest-dev libgmock-dev libbenchmark-dev libicu-dev
  libpq-dev postgresql sqlite3
  python3 python3-pytest python3-boto3 awscli curl openssl patch xz-utils
  libhiredis-dev pkg-config redis-server chromium libjemalloc-dev
)
# Node.js and npm (dynalite for the CLI tests and benchmarks, playwright-core for the web page
# test): Debian's when the machine has none of its own.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# RocksDB from Debian's source with -DNDEBUG and SSE4.2, once per machine (scripts/build-rocksdb.sh;
# 6-13 min at -j2); the build falls back to Debian's librocksdb-dev without it.
$SUDO env JOBS="${JOBS:-2}" "$(dirname "$0")/build-rocksdb.sh" ||
  echo "== warning: RocksDB could not be built from source: Debian's librocksdb-dev is linked"
