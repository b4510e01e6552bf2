// The RocksDB options OpenRocksDbStorage opens a database with, for tools that open RocksDB
// directly and must match the engine (bench/engine_bench.cc's raw-RocksDB baseline).
#pragma once

#include <rocksdb/options.h>

namespace cruddur::ddb::storage {

// create_if_missing, level compaction sized for 2 cores, memtable whole-key bloom, a 64 MB
// block cache (CRUDDUR_BLOCK_CACHE_MB in the environment overrides the size) and a whole-key
// bloom filter in table files. Each call makes a new block cache.
rocksdb::Options RocksDbOptions();

}  // namespace cruddur::ddb::storage
