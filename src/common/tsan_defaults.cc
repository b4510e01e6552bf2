// ThreadSanitizer's defaults for every program of a CRUDDUR_TSAN build (linked in by the top
// CMakeLists.txt), so that a test binary run by hand checks what scripts/test.sh checks. The
// TSAN_OPTIONS environment variable is read after these and adds to them.

// RocksDB comes from its static archive and libstdc++ from its shared library, neither built with
// -fsanitize=thread: the memtable skiplist publishes entries with atomics TSan cannot see, and the
// write group leader reuses a batch buffer through libstdc++'s memset, so every read of such data
// looks like a race. Our side of RocksDB's interface is still checked (its mutexes are pthread's).
// NOLINTNEXTLINE(bugprone-reserved-identifier,readability-identifier-naming): the runtime's name
extern "C" const char* __tsan_default_options() { return "ignore_noninstrumented_modules=1"; }

// NOLINTNEXTLINE(bugprone-reserved-identifier,readability-identifier-naming): the runtime's name
extern "C" const char* __tsan_default_suppressions() { return "race:rocksdb::\n"; }
