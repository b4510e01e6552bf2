// DynamoDB Streams inside the engine: the stored form of stream records, their keys, stream
// ARNs, sequence numbers and shard iterators. The operations themselves (ListStreams,
// DescribeStream, GetShardIterator, GetRecords) are EngineImpl members in streams.cc; records
// are written by EngineImpl::Commit in the same storage batch as the item change.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/value.h"

namespace cruddur::ddb::streams {

// Do not reorder: persisted in stream records.
enum class EventName : uint8_t { kInsert = 1, kModify = 2, kRemove = 3 };
// kViewTypeNames (streams_codec.cc) names each ViewType.
enum class ViewType : uint8_t { kKeysOnly = 0, kNewImage = 1, kOldImage = 2, kNewAndOldImages = 3 };

std::string_view EventNameText(EventName e);
std::string_view ViewTypeText(ViewType v);
ViewType ViewTypeFromText(std::string_view text);  // unknown text: KEYS_ONLY

// One stream record as stored (the sequence number lives in the key).
struct Record {
  EventName event = EventName::kInsert;
  ViewType view = ViewType::kKeysOnly;
  bool by_service = false;  // deleted by TTL: userIdentity is the DynamoDB service
  int64_t created_ms = 0;   // epoch milliseconds
  std::string event_id;     // 32 hex digits
  Item keys;
  std::optional<Item> new_image;
  std::optional<Item> old_image;
};

std::string EncodeRecord(const Record& r);
bool DecodeRecord(std::string_view bytes, Record* r);
// The SizeBytes DynamoDB reports: keys plus the images the view type keeps.
size_t RecordSize(const Record& r);

// Keys (see table.h's layout comment):
//   0x03 <table id: 4 BE> <label length: 1> <label> <sequence number: 8 BE>  -> record
//   0x04 <table id: 4 BE> <label>                                            -> stream metadata
constexpr char kRecordSpace = '\x03';
constexpr char kStreamMetaSpace = '\x04';
std::string StreamPrefix(uint32_t table_id, std::string_view label);  // records of one stream
std::string TablePrefix(char space, uint32_t table_id);
std::string RecordKey(uint32_t table_id, std::string_view label, uint64_t seq);
std::string MetaKey(uint32_t table_id, std::string_view label);
// The sequence number at the end of a record key.
uint64_t SeqOfKey(std::string_view key);

// Sequence numbers: 21 decimal digits, "1" then the 20-digit counter, so they compare as
// strings and as numbers alike (DynamoDB's are numeric strings of about this length).
std::string SeqText(uint64_t seq);
std::optional<uint64_t> ParseSeq(std::string_view text);

struct StreamArn {
  std::string table_name;
  std::string label;
};
std::string FormatStreamArn(const std::string& region, const std::string& account,
                            std::string_view table, std::string_view label);
// Parses arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>; nullopt if malformed.
std::optional<StreamArn> ParseStreamArn(std::string_view arn);

// A shard of a stream: "shardId-<start seq, 20 digits>-<8 hex of the label>".
std::string ShardId(uint64_t start_seq, std::string_view label);

// One shard of a stream's lineage. A stream's shards follow one another: each child opens when
// its parent closes (shard rotation, EngineOptions::stream_shard_max_*), so each has at most one
// parent and one child, and their sequence ranges do not overlap.
struct Shard {
  uint64_t start = 0;      // no record of the shard has a smaller sequence number
  uint64_t end = 0;        // closed by rotation: its last record's sequence number; 0: not
  int64_t created_ms = 0;  // epoch milliseconds
  uint64_t parent = 0;     // the parent's start (0: none)
};
// "<start>:<end>:<created>:<parent>" per shard, comma-separated (the stream metadata's 4th field).
std::string EncodeShards(const std::vector<Shard>& shards);
bool DecodeShards(std::string_view text, std::vector<Shard>* shards);

// What the engine knows of one stream (stored under MetaKey as
// "<start seq>|<trimmed seq>|<view type>|<shards>").
struct StreamMeta {
  uint32_t table_id = 0;
  std::string label;
  ViewType view = ViewType::kKeysOnly;
  uint64_t start_seq = 0;     // no record of the stream has a smaller sequence number
  uint64_t trimmed_seq = 0;   // the highest sequence number trimmed away (0: none)
  std::vector<Shard> shards;  // oldest first, never empty; the last is open while enabled
  // Not stored (counted when the data dir opens):
  uint64_t last_seq = 0;      // the stream's newest record (0: none)
  uint64_t open_records = 0;  // records in the last shard
};
std::string EncodeStreamMeta(const StreamMeta& m);
// Decodes a metadata value into `m`, whose table_id and label are set. A value of a data dir
// written before shard rotation (no shards field) gives one shard from the start, created at
// the label's time.
bool DecodeStreamMeta(std::string_view value, StreamMeta* m);

// Shard iterator: "<stream arn>|2|<shard start: 16 hex><position: 16 hex><issued ms: 16 hex>",
// opaque to clients; version 1 iterators (no shard start) still parse, with shard_start 0.
// `position` is the first sequence number the next GetRecords may return.
struct ShardIterator {
  std::string arn;
  uint64_t position = 0;
  int64_t issued_ms = 0;
  uint64_t shard_start = 0;  // 0: the shard that holds `position`
};
std::string FormatIterator(const ShardIterator& it);
std::optional<ShardIterator> ParseIterator(std::string_view text);

// A random 32-hex-digit event id.
std::string NewEventId();
// Epoch seconds of a stream label ("2024-01-31T12:34:56.789"); 0 if malformed.
double LabelTime(std::string_view label);

}  // namespace cruddur::ddb::streams
