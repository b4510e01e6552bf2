#include "ddb/storage/storage.h"

namespace cruddur::ddb::storage {

void WriteBatch::Put(std::string_view key, std::string_view value) {
  ops_.push_back(Op{std::string(key), std::string(value)});
}

void WriteBatch::Delete(std::string_view key) {
  ops_.push_back(Op{std::string(key), std::nullopt});
}

}  // namespace cruddur::ddb::storage
