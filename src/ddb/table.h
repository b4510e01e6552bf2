// A table at run time: its schema, its storage keys, its approximate statistics, and the writes
// that keep an item and all of its index entries together.
//
// Storage layout (every key starts with one byte naming its space):
//   0x01 <table name>                                   -> table schema (JSON)
//   0x00 "next_table_id"                                -> the next table id (decimal text)
//   0x00 "stream_seq"                                   -> the next stream sequence number
//   0x00 "format"                                       -> the data format (kFormatVersion)
//   0x05 <table id: 4 bytes BE> <index id: 1 byte> <partition hash: 8 bytes BE>
//        <partition key> [<sort key>] [<table partition key> <table sort key>]  -> item bytes
//   0x03 <table id: 4 bytes BE> <label length: 1 byte> <stream label> <sequence number: 8 BE>
//        -> stream record (streams.h's encoding), written in the item change's own batch
//   0x04 <table id: 4 bytes BE> <stream label>  -> stream metadata
//        "<start>|<trimmed>|<view>|<shards>" (streams::EncodeStreamMeta; no shards before
//        shard rotation: read as one shard)
//   0x06 <backup ARN>                                  -> a backup (backup_ops.cc's JSON record)
//   0x07 <snapshot id: 4 bytes BE> <item key after IndexPrefix(table, 0)> -> item bytes: the items
//        of a backup or of a point-in-time recovery base (a copy, independent of the table)
//   0x08 <table id: 4 bytes BE> <commit time ms: 8 BE> <sequence: 8 BE> -> one item change of a
//        table with point-in-time recovery (pitr_ops.cc's log record), in its commit's batch
//   0x09 <table id: 4 bytes BE>                         -> the table's point-in-time recovery state
//   0x0a <table id: 4 bytes BE>  -> "<deleted at, epoch seconds>|<schema JSON>" of a table deleted
//        with streams, kept while they are (DeleteTable reference: DISABLED, gone after 24 hours)
//   0x02 ...: items of format 1 (a 2-byte FNV hash where 0x05 has the 8-byte one), which opening
//        a data dir migrates to 0x05 (MigrateFormat1).
// Index id 0 is the table itself; secondary index entries append the table's key so that entries
// with equal index keys stay distinct. The partition hash is DynamoDB's (key_codec.h's
// PartitionKeyHash), so a Scan visits partitions in DynamoDB's order and Segment/TotalSegments
// split that order as DynamoDB's segments do. Key values use the order-preserving key_codec, so a
// partition's items sort by sort key exactly as DynamoDB sorts them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/shared_slot.h"
#include "ddb/capacity.h"
#include "ddb/table_schema.h"
#include "ddb/value.h"

namespace cruddur::ddb {

namespace keyspace {
constexpr char kMeta = '\x00';
constexpr char kCatalog = '\x01';
constexpr char kDataFormat1 = '\x02';
constexpr char kData = '\x05';
constexpr char kBackup = '\x06';
constexpr char kSnapshot = '\x07';
constexpr char kRecoveryLog = '\x08';
constexpr char kRecoveryState = '\x09';
constexpr char kRetiredTable = '\x0a';
// The value of the 0x00 "format" key in data dirs this version writes.
constexpr std::string_view kFormatVersion = "2";
std::string FormatKey();
std::string CatalogKey(std::string_view table_name);
// kData + table id + index id.
std::string IndexPrefix(uint32_t table_id, uint8_t index_id);
// kSnapshot + snapshot id: where a backup's or recovery base's items are, each under the rest of
// its key after IndexPrefix(table, 0).
std::string SnapshotPrefix(uint32_t snapshot);
// kRetiredTable + table id.
std::string RetiredTableKey(uint32_t table_id);
// Bytes of the partition hash in a storage key.
constexpr size_t kPartitionHashBytes = 8;
// The smallest key greater than every key that starts with `prefix`; empty if none exists.
std::string PrefixSuccessor(std::string prefix);
}  // namespace keyspace

// Key attributes as stored in a key: the encoded partition and sort key. A GSI's multi-attribute
// key concatenates its attributes' encodings in KeySchema order (each encoding is self-delimiting
// and order-preserving, so the concatenation sorts as the values do, left to right); a
// single-attribute key encodes exactly as it always has.
struct EncodedKey {
  uint64_t partition_hash = 0;  // PartitionKeyHash of the partition key value (CompositeKeyHash)
  std::string hash;             // key_codec encoding of the partition key value(s)
  std::string range;            // key_codec encoding of the sort key value(s) (empty: no sort key)
};

class Table {
 public:
  explicit Table(std::shared_ptr<const TableSchema> schema);

  std::shared_ptr<const TableSchema> schema() const { return schema_.load(); }
  void set_schema(std::shared_ptr<const TableSchema> s) { schema_.store(std::move(s)); }

  // Approximate statistics (DynamoDB also only updates them periodically).
  std::vector<TableStats> Stats() const;
  void AddStats(uint8_t id, int64_t items, int64_t bytes);
  bool stats_known() const { return stats_known_.load(); }
  void SetStats(std::vector<TableStats> stats);

  // Consumed capacity totals and throttling buckets.
  TableMeter& meter() { return meter_; }
  // Whether point-in-time recovery is enabled (UpdateContinuousBackups): every commit to the
  // table then also appends its changes to the table's recovery log.
  bool point_in_time_recovery() const { return pitr_.load(); }
  void set_point_in_time_recovery(bool on) { pitr_.store(on); }

 private:
  TableMeter meter_;
  std::atomic<bool> pitr_{false};
  // A lock of its own (not atomic_load's global mutex pool): read several times by every
  // request, replaced by table updates.
  SharedSlot<const TableSchema> schema_;
  std::atomic<bool> stats_known_{false};
  std::atomic<int64_t> counts_[256] = {};
  std::atomic<int64_t> bytes_[256] = {};
};

// Encodes the key attributes of `item` per `key`. REQUIRES: the item has them, with the right
// types (validated before).
EncodedKey EncodeKey(const KeySchema& key, const Item& item);
// The partition hash of a multi-attribute partition key, from its encoding (EncodedKey::hash).
// DynamoDB does not say how it hashes them together; this is stable and spreads them the same way.
uint64_t CompositeKeyHash(std::string_view encoded_hash);
// Appends the partition hash, partition key and sort key to `out` (which holds the index prefix).
void AppendEncodedKey(const EncodedKey& k, std::string* out);
// The prefix of every storage key in one partition of an index (index id 0: the table): the
// index prefix, the partition hash and the partition key. Where a Query seeks.
std::string PartitionPrefix(uint32_t table_id, uint8_t index_id, const AttributeValue& hash_value);
// The same for a partition key of several attributes (their values in KeySchema order).
std::string PartitionPrefix(uint32_t table_id, uint8_t index_id,
                            const std::vector<AttributeValue>& hash_values);
// The storage key of an item in the table (index id 0), from the item or its encoded key.
std::string ItemStorageKey(const TableSchema& schema, const Item& item);
std::string ItemStorageKey(const TableSchema& schema, const EncodedKey& key);
// The storage key of an item's entry in `index`, or nullopt when the item lacks the index's key
// attributes (sparse index) or has them with other types.
std::optional<std::string> IndexStorageKey(const TableSchema& schema, const IndexSchema& index,
                                           const Item& item);
// The item as projected into `index`.
Item ProjectIntoIndex(const TableSchema& schema, const IndexSchema& index, const Item& item);
// The key attributes of `item` (table keys, and index keys when `index` is given).
Item KeyOf(const TableSchema& schema, const IndexSchema* index, const Item& item);

}  // namespace cruddur::ddb
