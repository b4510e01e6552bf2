// DynamoDB's export layout in S3, on a local directory, and the objects ImportTable reads.
//
// An S3 bucket is a directory under a root (s3://bucket/key is <root>/bucket/key). An export
// writes what AWS documents ("DynamoDB table export output format"):
//   <prefix>/AWSDynamoDB/<ExportId>/_started                  (empty: the export has begun)
//   <prefix>/AWSDynamoDB/<ExportId>/data/<name>.json.gz       (or .ion.gz): one item a line,
//        {"Item":{...}} in DynamoDB JSON, or "$ion_1_0 {Item:{...}}" in Ion text
//   <prefix>/AWSDynamoDB/<ExportId>/manifest-files.json       one line per data file:
//        {"itemCount":N,"md5Checksum":"<base64 MD5>","etag":"<hex MD5>","dataFileS3Key":"<key>"}
//   <prefix>/AWSDynamoDB/<ExportId>/manifest-summary.json     the export's summary
//   manifest-files.checksum, manifest-summary.checksum        the hex MD5 of each manifest
// An import reads every object whose key starts with the S3KeyPrefix (the manifests, checksums
// and _started of an export are skipped, so an export's own directory can be named), each
// decompressed as the request says, in DYNAMODB_JSON, ION or CSV.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/value.h"

namespace cruddur::ddb::s3 {

enum class Compression { kNone, kGzip, kZstd };
enum class Format { kDynamoDbJson, kIon, kCsv };

// Throws std::runtime_error with the reason when the data is not in that compression.
std::string Compress(std::string_view data, Compression c);
std::string Decompress(std::string_view data, Compression c);

// The MD5 of `data`: as hex (an ETag, a .checksum file) and as base64 (md5Checksum).
std::string Md5Hex(std::string_view data);
std::string Md5Base64(std::string_view data);

// "<prefix>/AWSDynamoDB/<id>" (no prefix: "AWSDynamoDB/<id>").
std::string ExportKeyPrefix(std::string_view s3_prefix, std::string_view export_id);

// The summary fields manifest-summary.json carries besides the counts the writer keeps.
struct ExportSummary {
  std::string export_arn, table_arn, table_id;
  std::string start_time, end_time, export_time;  // ISO 8601 with milliseconds, UTC
  std::string s3_bucket, s3_prefix, s3_sse_algorithm, s3_sse_kms_key_id;
  std::string export_type = "FULL_EXPORT";
  // INCREMENTAL_EXPORT only: its period (ISO 8601) and ExportViewType.
  std::string export_from_time, export_to_time, output_view;
};

// Writes one export under <bucket_dir>/<prefix>/AWSDynamoDB/<export_id>/.
class ExportWriter {
 public:
  // Creates the directory and _started. Throws std::runtime_error when it cannot.
  ExportWriter(std::filesystem::path bucket_dir, const std::string& s3_prefix,
               const std::string& export_id, Format format);
  // Adds an item: `dynamodb_json` is its DynamoDB JSON object (DYNAMODB_JSON exports), `item`
  // the item (ION exports; the JSON form is then unused).
  void Add(std::string_view dynamodb_json, const Item* item, size_t item_size);
  // Adds one whole line (an INCREMENTAL_EXPORT's change record, DynamoDB JSON).
  void AddLine(std::string_view line, size_t item_size);
  // Writes the last data file and the manifests; returns the key of manifest-summary.json.
  std::string Finish(const ExportSummary& summary);

  int64_t item_count() const { return total_items_; }
  int64_t billed_size_bytes() const { return billed_bytes_; }

 private:
  void FlushFile();

  std::filesystem::path bucket_dir_;
  std::string prefix_key_;  // <prefix>/AWSDynamoDB/<id>
  Format format_;
  std::string pending_;  // the current data file, uncompressed
  int64_t pending_items_ = 0;
  int64_t total_items_ = 0;
  int64_t billed_bytes_ = 0;
  std::string manifest_files_;
};

// How ImportTable reads the objects.
struct ImportOptions {
  Format format = Format::kDynamoDbJson;
  Compression compression = Compression::kNone;
  char csv_delimiter = ',';
  std::vector<std::string> csv_header;  // empty: each file's first line
  // CSV: the key attributes of the table and its GSIs, with their types (other columns are S).
  std::map<std::string, ValueType> csv_key_types;
};

// The keys (bucket-relative, '/'-separated, sorted) of the objects under `bucket_dir` whose key
// starts with `key_prefix`: all of them, as S3 lists them. An export's manifests and checksums
// under the prefix are read as data, as DynamoDB reads them (each an item in error).
std::vector<std::string> ListObjects(const std::filesystem::path& bucket_dir,
                                     std::string_view key_prefix);

// Reads one object: calls `on_item` with each item and `on_error` with the reason for each
// line or value that is not one. Returns the object's size in bytes as stored. Throws
// std::runtime_error when the object cannot be read or decompressed.
int64_t ReadObject(const std::filesystem::path& file, const ImportOptions& options,
                   const std::function<void(Item)>& on_item,
                   const std::function<void(const std::string&)>& on_error);

// Reads a whole file; throws std::runtime_error naming it when it cannot.
std::string ReadFile(const std::filesystem::path& file);
// Writes a whole file (replacing it); throws std::runtime_error naming it when it cannot.
void WriteFile(const std::filesystem::path& file, std::string_view data);

// ISO 8601 UTC with milliseconds ("2020-11-04T07:28:34.028Z") of epoch seconds.
std::string IsoTime(double epoch_seconds);
// ... to the second ("2020-11-04T07:28:34Z"), as DynamoDB's error messages quote times.
std::string IsoTimeSeconds(double epoch_seconds);

}  // namespace cruddur::ddb::s3
