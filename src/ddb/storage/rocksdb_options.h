// The RocksDB options OpenRocksDbStorage opens a database with, for tools that open RocksDB
// directly and must match the engine (bench/engine_bench.cc's raw-RocksDB baseline).
#pragma once

#include <rocksdb/options.h>

namespace cruddur::ddb::storage {

// Runs RocksDB's static initializers (~200 option tables), once. When CMake links RocksDB with
// them held back (CRUDDUR_LAZY_ROCKSDB_INIT), they do not run at start, so that commands and
// in-memory servers that never open RocksDB do not pay their CPU and RSS (issue 21); every use of
// RocksDB must then begin here. RocksDbOptions() and OpenRocksDbStorage() call it.
void InitRocksDb();

// create_if_missing, level compaction sized for 2 cores, 32 MB memtables flushed four at a time
// (one L0 file of 128 MB of memtable), LZ4 table files, memtable whole-key bloom, a 64 MB block
// cache (CRUDDUR_BLOCK_CACHE_MB in the environment overrides the size), a 32 MB row cache of the
// values Gets found in table files (CRUDDUR_ROW_CACHE_MB; 0: none) and a whole-key bloom filter in
// table files. Each call makes new caches.
rocksdb::Options RocksDbOptions();

}  // namespace cruddur::ddb::storage
