#include "ddb/table.h"

#include "ddb/key_codec.h"
#include "ddb/storage/storage.h"

namespace cruddur::ddb {
namespace keyspace {

// The storage's partition prefix (its prefix bloom filters) is this layout's.
static_assert(storage::kPartitionKeyspace == kData);
static_assert(storage::kPartitionPrefixBytes == 1 + 4 + 1 + kPartitionHashBytes);

std::string FormatKey() { return std::string(1, kMeta) + "format"; }

std::string CatalogKey(std::string_view table_name) {
  std::string k(1, kCatalog);
  k.append(table_name);
  return k;
}

namespace {

// A space's byte followed by a 4-byte big-endian id.
std::string IdPrefix(char space, uint32_t id, size_t reserve = 5) {
  std::string k;
  k.reserve(reserve);
  k.push_back(space);
  for (int shift = 24; shift >= 0; shift -= 8) k.push_back(static_cast<char>(id >> shift));
  return k;
}

}  // namespace

std::string IndexPrefix(uint32_t table_id, uint8_t index_id) {
  std::string k = IdPrefix(kData, table_id, 64);
  k.push_back(static_cast<char>(index_id));
  return k;
}

std::string SnapshotPrefix(uint32_t snapshot) { return IdPrefix(kSnapshot, snapshot); }

std::string RetiredTableKey(uint32_t table_id) { return IdPrefix(kRetiredTable, table_id); }

std::string PrefixSuccessor(std::string prefix) {
  while (!prefix.empty()) {
    auto& c = reinterpret_cast<unsigned char&>(prefix.back());
    if (c != 0xff) {
      ++c;
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

}  // namespace keyspace

Table::Table(std::shared_ptr<const TableSchema> schema) : schema_(std::move(schema)) {}

std::vector<TableStats> Table::Stats() const {
  std::vector<TableStats> out(256);
  for (size_t i = 0; i < 256; ++i) {
    out[i].item_count = std::max<int64_t>(0, counts_[i].load(std::memory_order_relaxed));
    out[i].size_bytes = std::max<int64_t>(0, bytes_[i].load(std::memory_order_relaxed));
  }
  return out;
}

void Table::AddStats(uint8_t id, int64_t items, int64_t bytes) {
  counts_[id].fetch_add(items, std::memory_order_relaxed);
  bytes_[id].fetch_add(bytes, std::memory_order_relaxed);
}

void Table::SetStats(std::vector<TableStats> stats) {
  for (size_t i = 0; i < 256 && i < stats.size(); ++i) {
    counts_[i].fetch_add(stats[i].item_count, std::memory_order_relaxed);
    bytes_[i].fetch_add(stats[i].size_bytes, std::memory_order_relaxed);
  }
  stats_known_ = true;
}

EncodedKey EncodeKey(const KeySchema& key, const Item& item) {
  EncodedKey k;
  const AttributeValue& hash_value = item.at(key.hash_name);
  EncodeKeyValue(hash_value, &k.hash);
  for (const KeyAttribute& a : key.more_hash) EncodeKeyValue(item.at(a.name), &k.hash);
  k.partition_hash =
      key.more_hash.empty() ? PartitionKeyHash(hash_value) : CompositeKeyHash(k.hash);
  if (key.has_range()) EncodeKeyValue(item.at(key.range_name), &k.range);
  for (const KeyAttribute& a : key.more_range) EncodeKeyValue(item.at(a.name), &k.range);
  return k;
}

uint64_t CompositeKeyHash(std::string_view encoded_hash) {
  return PartitionKeyHashOfBytes(encoded_hash);
}

void AppendEncodedKey(const EncodedKey& k, std::string* out) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>(k.partition_hash >> shift));
  }
  out->append(k.hash);
  out->append(k.range);
}

std::string PartitionPrefix(uint32_t table_id, uint8_t index_id, const AttributeValue& hash_value) {
  return PartitionPrefix(table_id, index_id, std::vector<AttributeValue>{hash_value});
}

std::string PartitionPrefix(uint32_t table_id, uint8_t index_id,
                            const std::vector<AttributeValue>& hash_values) {
  EncodedKey k;
  for (const AttributeValue& v : hash_values) EncodeKeyValue(v, &k.hash);
  k.partition_hash =
      hash_values.size() == 1 ? PartitionKeyHash(hash_values.front()) : CompositeKeyHash(k.hash);
  std::string prefix = keyspace::IndexPrefix(table_id, index_id);
  AppendEncodedKey(k, &prefix);
  return prefix;
}

std::string ItemStorageKey(const TableSchema& schema, const Item& item) {
  return ItemStorageKey(schema, EncodeKey(schema.key, item));
}

std::string ItemStorageKey(const TableSchema& schema, const EncodedKey& key) {
  std::string storage_key = keyspace::IndexPrefix(schema.id, 0);
  AppendEncodedKey(key, &storage_key);
  return storage_key;
}

namespace {
// Also false for an empty string or binary and for a value over the key size limit: writes
// refuse those, so only an item written before its index existed can have one, and DynamoDB's
// backfill leaves such an item out.
bool HasKeyOfType(const Item& item, const std::string& name, ValueType type, bool partition_key) {
  auto it = item.find(name);
  if (it == item.end() || it->second.type != type) return false;
  if (type != ValueType::kN && it->second.bytes.empty()) return false;
  return KeyValueFits(it->second, partition_key);
}
}  // namespace

std::optional<std::string> IndexStorageKey(const TableSchema& schema, const IndexSchema& index,
                                           const Item& item) {
  // An item lacking any of a multi-attribute key's attributes is not in the index either.
  if (!HasKeyOfType(item, index.key.hash_name, index.key.hash_type, true)) return std::nullopt;
  if (index.key.has_range() &&
      !HasKeyOfType(item, index.key.range_name, index.key.range_type, false)) {
    return std::nullopt;
  }
  for (const auto* more : {&index.key.more_hash, &index.key.more_range}) {
    for (const KeyAttribute& a : *more) {
      if (!HasKeyOfType(item, a.name, a.type, more == &index.key.more_hash)) return std::nullopt;
    }
  }
  std::string key = keyspace::IndexPrefix(schema.id, index.id);
  AppendEncodedKey(EncodeKey(index.key, item), &key);
  EncodedKey table_key = EncodeKey(schema.key, item);
  key.append(table_key.hash);
  key.append(table_key.range);
  return key;
}

Item ProjectIntoIndex(const TableSchema& schema, const IndexSchema& index, const Item& item) {
  if (index.projection == ProjectionType::kAll) return item;
  Item out = KeyOf(schema, &index, item);
  if (index.projection == ProjectionType::kInclude) {
    for (const auto& name : index.non_key_attributes) {
      auto it = item.find(name);
      if (it != item.end()) out.emplace(name, it->second);
    }
  }
  return out;
}

Item KeyOf(const TableSchema& schema, const IndexSchema* index, const Item& item) {
  Item out;
  auto copy = [&](const std::string& name) {
    if (name.empty()) return;
    auto it = item.find(name);
    if (it != item.end()) out.emplace(name, it->second);
  };
  copy(schema.key.hash_name);
  copy(schema.key.range_name);
  if (index) {
    copy(index->key.hash_name);
    copy(index->key.range_name);
    for (const KeyAttribute& a : index->key.more_hash) copy(a.name);
    for (const KeyAttribute& a : index->key.more_range) copy(a.name);
  }
  return out;
}

}  // namespace cruddur::ddb
