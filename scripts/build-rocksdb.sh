#!/usr/bin/env bash
# Builds the static librocksdb.a that cruddur links, from Debian's own source of the librocksdb-dev
# it would otherwise use (7.8.3, with Debian's patches), into a cache outside git; CMake prefers it
# when it is there (CMakeLists.txt, CRUDDUR_ROCKSDB_DIR). Idempotent: does nothing when the archive
# of the same version and flags is already built.
#
# Why not Debian's archive: it is built without -DNDEBUG (RocksDB's assertions run, in every
# iterator step too) and PORTABLE without SSE4.2, so its CRC32c is the table-driven one. This one
# takes 14-47% less CPU in engine_bench's RocksDB benchmarks, 10% of a persistent PutItem's server
# CPU (issue 21). Every x86-64 CPU of the last 15 years has SSE4.2 and PCLMUL.
# Costs 12-25 min of CPU: 6-13 min at -j2 on an idle 2-core machine (13 on a fresh VM, 2026-12-06).
#
# Also, on top of Debian's patches, cruddur's own (scripts/rocksdb-patches/, each says why), and
# without the per-thread perf and I/O statistics contexts (-DNPERF_CONTEXT -DNIOSTATS_CONTEXT):
# cruddur never reads them, and every iterator step and write checked their thread-local level.
#
# Usage: scripts/build-rocksdb.sh [DIR]   (DIR: where the archive goes, DIR/current links to it;
# default /var/cache/cruddur/rocksdb, CMake's CRUDDUR_ROCKSDB_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
version=7.8.3
orig_sha256=b85408a374770897332bf15e51620a5f35720dd416a4749e3899057f9cfaf84d
debian_sha256=4ead930612734d2b79e8f5e72e51659004c5a47f8d6bb90dea8eb42fd6d88a02
pool=http://deb.debian.org/debian/pool/main/r/rocksdb
# The flags and our patches make the cache's name: a change of any builds anew.
flags=(
  -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG -DNPERF_CONTEXT -DNIOSTATS_CONTEXT"
  -DPORTABLE=ON -DFORCE_SSE42=ON -DUSE_RTTI=ON -DFAIL_ON_WARNINGS=OFF
  -DWITH_SNAPPY=ON -DWITH_LZ4=ON -DWITH_ZLIB=ON -DWITH_ZSTD=ON -DWITH_BZ2=ON
  -DWITH_GFLAGS=OFF -DWITH_LIBURING=OFF -DWITH_JEMALLOC=OFF
  -DROCKSDB_BUILD_SHARED=OFF -DWITH_TESTS=OFF -DWITH_ALL_TESTS=OFF -DWITH_BENCHMARK_TOOLS=OFF
  -DWITH_CORE_TOOLS=OFF -DWITH_TOOLS=OFF -DWITH_TRACE_TOOLS=OFF
)
arch=$(uname -m)
if [[ $arch != x86_64 ]]; then
  echo "build-rocksdb: $arch is not x86-64: Debian's librocksdb-dev is used"
  exit 0
fi
patches=(scripts/rocksdb-patches/*.patch)
tag=$( (printf '%s\n' "$version" "${flags[@]}"; cat "${patches[@]}") | sha256sum | cut -c1-12)
dir="${1:-${CRUDDUR_ROCKSDB_DIR:-/var/cache/cruddur/rocksdb}}"
out="$dir/$version-$tag"
if [[ -f $out/lib/librocksdb.a && -d $out/include/rocksdb ]]; then
  ln -sfn "$version-$tag" "$dir/current"
  echo "== RocksDB $version (NDEBUG, SSE4.2) already built: $out"
  exit 0
fi
echo "== building RocksDB $version from Debian's source (NDEBUG, SSE4.2) into $out"
start=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/cruddur-rocksdb.XXXXXX")
trap 'rm -rf "$work"' EXIT
fetch() {  # fetch NAME SHA256: the file from the cache or Debian's archive, checked
  local file="$dir/src/$1"
  if ! [[ -f $file ]] || ! echo "$2  $file" | sha256sum -c --quiet >/dev/null 2>&1; then
    mkdir -p "$dir/src"
    curl -fsSL --retry 3 -o "$file.part" "$pool/$1"
    echo "$2  $file.part" | sha256sum -c --quiet
    mv "$file.part" "$file"
  fi
  tar -xf "$file" -C "$work"
}
fetch "rocksdb_$version.orig.tar.gz" "$orig_sha256"
fetch "rocksdb_$version-2.debian.tar.xz" "$debian_sha256"
src="$work/rocksdb-$version"
while read -r patch; do
  [[ -z $patch || $patch == \#* ]] && continue
  patch -d "$src" -p1 -s <"$work/debian/patches/$patch"
done <"$work/debian/patches/series"
for patch in "${patches[@]}"; do
  patch -d "$src" -p1 -s <"$patch"
done
cmake -S "$src" -B "$work/build" -G Ninja "${flags[@]}" >"$work/cmake.log" ||
  { cat "$work/cmake.log"; exit 1; }
ninja -C "$work/build" -j"${JOBS:-2}" rocksdb
mkdir -p "$out.part/lib"
cp "$work/build/librocksdb.a" "$out.part/lib/"
cp -r "$src/include" "$out.part/"
printf '%s\n' "$version" "${flags[@]}" "${patches[@]##*/}" >"$out.part/flags"
rm -rf "$out" && mv "$out.part" "$out"
ln -sfn "$version-$tag" "$dir/current"  # what CMake links
echo "== RocksDB built in $((SECONDS - start)) s: $out"
