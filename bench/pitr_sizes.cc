// Bytes of a live data dir's key spaces, for bench/pitr.sh: opens the RocksDB database of
// `cruddur ddb serve --data-dir DIR` as a read-only secondary (the server keeps running) and
// prints, for each NAME=HEXPREFIX, RocksDB's estimate of the bytes its keys take in table files
// and in memtables; with --scan also the keys' count and their uncompressed key + value bytes.
//
// usage: pitr_sizes [--scan] DATA_DIR SECONDARY_DIR NAME=HEXPREFIX...
// prints: NAME approx_bytes [count logical_bytes]   (one line per prefix)
#include <rocksdb/db.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "ddb/storage/rocksdb_options.h"

namespace {

std::string FromHex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// The smallest key after every key starting with `prefix` (empty: none).
std::string Successor(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

}  // namespace

int main(int argc, char** argv) {
  int arg = 1;
  bool scan = false;
  if (arg < argc && std::string(argv[arg]) == "--scan") {
    scan = true;
    ++arg;
  }
  if (argc - arg < 3) {
    std::fprintf(stderr, "usage: pitr_sizes [--scan] DATA_DIR SECONDARY_DIR NAME=HEXPREFIX...\n");
    return 2;
  }
  std::string dir = argv[arg++];
  std::string secondary = argv[arg++];
  rocksdb::Options options = cruddur::ddb::storage::RocksDbOptions();
  options.create_if_missing = false;
  options.max_open_files = -1;  // a secondary must keep every table file open
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenAsSecondary(options, dir, secondary, &raw);
  if (!s.ok()) {
    std::fprintf(stderr, "pitr_sizes: %s\n", s.ToString().c_str());
    return 1;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  s = db->TryCatchUpWithPrimary();
  if (!s.ok()) std::fprintf(stderr, "pitr_sizes: catching up: %s\n", s.ToString().c_str());
  for (; arg < argc; ++arg) {
    std::string spec = argv[arg];
    size_t eq = spec.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "pitr_sizes: %s is not NAME=HEXPREFIX\n", spec.c_str());
      return 2;
    }
    std::string prefix = FromHex(spec.substr(eq + 1));
    std::string limit = Successor(prefix);
    rocksdb::Range range(prefix, limit);
    rocksdb::SizeApproximationOptions approx;
    approx.include_files = true;
    approx.include_memtables = true;
    uint64_t bytes = 0;
    db->GetApproximateSizes(approx, db->DefaultColumnFamily(), &range, 1, &bytes);
    std::printf("%s %llu", spec.substr(0, eq).c_str(), static_cast<unsigned long long>(bytes));
    if (scan) {
      uint64_t count = 0, logical = 0;
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
      for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        ++count;
        logical += it->key().size() + it->value().size();
      }
      std::printf(" %llu %llu", static_cast<unsigned long long>(count),
                  static_cast<unsigned long long>(logical));
    }
    std::printf("\n");
  }
  return 0;
}
