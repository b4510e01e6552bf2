// Stream triggers: a table's stream records delivered to a handler (a command or a URL) the way
// AWS Lambda's DynamoDB event source mapping delivers them to a function. This file holds what a
// trigger is (its definition, with the event source mapping's parameters), where definitions
// are kept, and the JSON a handler sees (the event, the partial batch response, the on-failure
// record). runner.h runs them.
//
// Definitions live in <data-dir>/triggers.json, beside the engine's files:
//   {"Triggers": [{"UUID": "...", "TableName": "...", "Handler": {"Command": "..."} or
//     {"Url": "..."}, "BatchSize": 100, ..., "DestinationConfig": {"OnFailure": {"Destination":
//     "<file>"}}, "FilterCriteria": {"Filters": [...]}}]}
// (the member names of Lambda's CreateEventSourceMapping), written to a sibling and renamed over
// the file. Each trigger's checkpoint is <data-dir>/triggers/<UUID>.checkpoint.json.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "triggers/filter.h"

namespace cruddur::triggers {

struct TriggerDefinition {
  std::string uuid;
  std::string table;
  std::string command;  // run with /bin/sh -c; exactly one of command and url is set
  std::string url;
  int batch_size = 100;                            // BatchSize: 1-10000
  int maximum_batching_window_s = 0;               // MaximumBatchingWindowInSeconds: 0-300
  std::string starting_position = "TRIM_HORIZON";  // StartingPosition: or LATEST
  int maximum_retry_attempts = -1;                 // MaximumRetryAttempts: -1 (until expired)-10000
  int maximum_record_age_s = -1;                   // MaximumRecordAgeInSeconds: -1 (never)-604800
  bool bisect_batch_on_function_error = false;
  bool report_batch_item_failures = false;  // FunctionResponseTypes: [ReportBatchItemFailures]
  std::string on_failure;                   // DestinationConfig.OnFailure.Destination: a file
  FilterCriteria filter;
  int timeout_s = 60;         // the handler's time per batch (Lambda's function Timeout): 1-900
  std::string creation_time;  // ISO 8601, UTC

  // Throws std::invalid_argument naming the parameter out of range, as Lambda refuses it.
  void Validate() const;
  std::string HandlerText() const { return command.empty() ? url : command; }
};

// Reads and writes <data-dir>/triggers.json. Throws std::runtime_error with the file's name when
// it cannot be read, parsed or written.
class TriggerStore {
 public:
  explicit TriggerStore(std::filesystem::path data_dir) : data_dir_(std::move(data_dir)) {}
  std::filesystem::path path() const { return data_dir_ / "triggers.json"; }
  std::filesystem::path CheckpointPath(const std::string& uuid) const;
  std::vector<TriggerDefinition> Load() const;  // none when the file does not exist
  void Save(const std::vector<TriggerDefinition>& triggers) const;

 private:
  std::filesystem::path data_dir_;
};

std::string DefinitionToJson(const TriggerDefinition& t);
TriggerDefinition DefinitionFromJson(const rapidjson::Value& v);  // throws std::runtime_error

// "2019-11-14T00:13:49.717Z" of epoch milliseconds.
std::string IsoTime(int64_t epoch_ms);

// One stream record as Lambda hands it over: GetRecords' record plus eventSourceARN (the stream
// ARN), as a JSON object text; and what the runner needs of it.
struct EventRecord {
  std::string json;
  std::string sequence_number;
  double created_s = 0;  // dynamodb.ApproximateCreationDateTime
};
EventRecord MakeEventRecord(const rapidjson::Value& stream_record, std::string_view stream_arn);
// {"Records": [...]}.
std::string BuildEvent(const std::vector<const EventRecord*>& records);

// What a handler's answer says under ReportBatchItemFailures.
struct BatchResponse {
  bool complete_failure = false;            // the whole batch failed
  std::optional<std::size_t> first_failed;  // index of the lowest failed record; none: success
};
// Lambda's rules: an empty or null answer, a null or empty batchItemFailures list, or an answer
// that is no object with such a list is a success; an itemIdentifier that is missing, empty, not
// a string, or not a sequence number of the batch makes it a complete failure; otherwise the
// lowest sequence number reported fails (with those after it).
BatchResponse ParseBatchResponse(std::string_view response,
                                 const std::vector<const EventRecord*>& batch);

// The on-failure destination's record of a discarded batch (services-dynamodb-errors: the
// invocation record), plus the event itself as "payload" as Lambda's S3 destinations keep it.
struct FailureContext {
  std::string condition;  // RetryAttemptsExhausted | RecordAgeExceeded
  int approximate_invoke_count = 0;
  int status_code = 0;         // the handler's HTTP status, or 200 for a command that ran
  std::string function_error;  // "Unhandled", or "" when the handler was not invoked
  std::string error_message;   // why the last invocation failed (cruddur's addition)
  std::string function_arn;
  std::string shard_id;
  std::string stream_arn;
};
std::string OnFailureRecord(const FailureContext& c, const std::vector<const EventRecord*>& batch,
                            int64_t now_ms);

}  // namespace cruddur::triggers
