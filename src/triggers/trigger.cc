#include "triggers/trigger.h"

#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "cruddur/uuid.h"
#include "encoding/json.h"

namespace cruddur::triggers {
namespace {

using encoding::StringMember;
using encoding::WriteStringField;
using Writer = encoding::JsonTextWriter;

void CheckRange(std::string_view name, int value, int min, int max) {
  if (value < min || value > max) {
    throw std::invalid_argument(std::string(name) + " must be between " + std::to_string(min) +
                                " and " + std::to_string(max) + ", not " + std::to_string(value));
  }
}

int IntMember(const rapidjson::Value& v, const char* name, int fallback) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsInt() ? it->value.GetInt() : fallback;
}

bool BoolMember(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

void WriteFileAtomically(const std::filesystem::path& path, const std::string& text) {
  const std::string tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw std::runtime_error("cannot rename " + tmp + ": " + ec.message());
}

}  // namespace

void TriggerDefinition::Validate() const {
  if (table.empty()) throw std::invalid_argument("a trigger needs a table");
  if (command.empty() == url.empty()) {
    throw std::invalid_argument("a trigger has one handler: --command CMD or --url URL");
  }
  if (!url.empty() && !url.starts_with("http://") && !url.starts_with("https://")) {
    throw std::invalid_argument("--url must be an http:// or https:// URL, not '" + url + "'");
  }
  CheckRange("BatchSize", batch_size, 1, 10000);
  CheckRange("MaximumBatchingWindowInSeconds", maximum_batching_window_s, 0, 300);
  if (starting_position != "TRIM_HORIZON" && starting_position != "LATEST") {
    throw std::invalid_argument("StartingPosition must be TRIM_HORIZON or LATEST, not '" +
                                starting_position + "'");
  }
  CheckRange("MaximumRetryAttempts", maximum_retry_attempts, -1, 10000);
  CheckRange("MaximumRecordAgeInSeconds", maximum_record_age_s, -1, 604800);
  CheckRange("timeout (seconds)", timeout_s, 1, 900);
}

std::string DefinitionToJson(const TriggerDefinition& t) {
  return encoding::WriteJsonObject([&](Writer& w) {
    WriteStringField(w, "UUID", t.uuid);
    WriteStringField(w, "TableName", t.table);
    w.Key("Handler");
    w.StartObject();
    if (!t.command.empty()) WriteStringField(w, "Command", t.command);
    if (!t.url.empty()) WriteStringField(w, "Url", t.url);
    w.EndObject();
    auto integer = [&](const char* name, int value) {
      w.Key(name);
      w.Int(value);
    };
    integer("BatchSize", t.batch_size);
    integer("MaximumBatchingWindowInSeconds", t.maximum_batching_window_s);
    WriteStringField(w, "StartingPosition", t.starting_position);
    integer("MaximumRetryAttempts", t.maximum_retry_attempts);
    integer("MaximumRecordAgeInSeconds", t.maximum_record_age_s);
    w.Key("BisectBatchOnFunctionError");
    w.Bool(t.bisect_batch_on_function_error);
    w.Key("FunctionResponseTypes");
    w.StartArray();
    if (t.report_batch_item_failures) w.String("ReportBatchItemFailures");
    w.EndArray();
    if (!t.on_failure.empty()) {
      w.Key("DestinationConfig");
      w.StartObject();
      w.Key("OnFailure");
      w.StartObject();
      WriteStringField(w, "Destination", t.on_failure);
      w.EndObject();
      w.EndObject();
    }
    if (!t.filter.empty()) {
      w.Key("FilterCriteria");
      std::string criteria = t.filter.ToJson();
      w.RawValue(criteria.data(), criteria.size(), rapidjson::kObjectType);
    }
    integer("TimeoutInSeconds", t.timeout_s);
    WriteStringField(w, "CreationTime", t.creation_time);
  });
}

TriggerDefinition DefinitionFromJson(const rapidjson::Value& v) {
  if (!v.IsObject()) throw std::runtime_error("a trigger is not a JSON object");
  TriggerDefinition t;
  t.uuid = StringMember(v, "UUID");
  t.table = StringMember(v, "TableName");
  if (v.HasMember("Handler")) {
    t.command = StringMember(v["Handler"], "Command");
    t.url = StringMember(v["Handler"], "Url");
  }
  t.batch_size = IntMember(v, "BatchSize", t.batch_size);
  t.maximum_batching_window_s =
      IntMember(v, "MaximumBatchingWindowInSeconds", t.maximum_batching_window_s);
  t.starting_position = StringMember(v, "StartingPosition");
  if (t.starting_position.empty()) t.starting_position = "TRIM_HORIZON";
  t.maximum_retry_attempts = IntMember(v, "MaximumRetryAttempts", -1);
  t.maximum_record_age_s = IntMember(v, "MaximumRecordAgeInSeconds", -1);
  t.bisect_batch_on_function_error = BoolMember(v, "BisectBatchOnFunctionError");
  auto types = v.FindMember("FunctionResponseTypes");
  if (types != v.MemberEnd() && types->value.IsArray()) {
    for (const auto& type : types->value.GetArray()) {
      if (type.IsString() && std::string_view(type.GetString()) == "ReportBatchItemFailures") {
        t.report_batch_item_failures = true;
      }
    }
  }
  if (v.HasMember("DestinationConfig") && v["DestinationConfig"].HasMember("OnFailure")) {
    t.on_failure = StringMember(v["DestinationConfig"]["OnFailure"], "Destination");
  }
  if (v.HasMember("FilterCriteria")) {
    t.filter = FilterCriteria::Parse(encoding::JsonText(v["FilterCriteria"]));
  }
  t.timeout_s = IntMember(v, "TimeoutInSeconds", t.timeout_s);
  t.creation_time = StringMember(v, "CreationTime");
  if (t.uuid.empty()) throw std::runtime_error("a trigger without a UUID");
  return t;
}

std::filesystem::path TriggerStore::CheckpointPath(const std::string& uuid) const {
  return data_dir_ / "triggers" / (uuid + ".checkpoint.json");
}

std::vector<TriggerDefinition> TriggerStore::Load() const {
  std::error_code ec;
  if (!std::filesystem::exists(path(), ec)) return {};
  std::ifstream in(path(), std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path().string());
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document d;
  d.Parse(text.str().c_str());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("Triggers") || !d["Triggers"].IsArray()) {
    throw std::runtime_error(path().string() + " is not a trigger list ({\"Triggers\": [...]})");
  }
  std::vector<TriggerDefinition> out;
  try {
    for (const auto& t : d["Triggers"].GetArray()) out.push_back(DefinitionFromJson(t));
  } catch (const std::exception& e) {
    throw std::runtime_error(path().string() + ": " + e.what());
  }
  return out;
}

void TriggerStore::Save(const std::vector<TriggerDefinition>& triggers) const {
  std::string text = "{\"Triggers\": [";
  for (std::size_t i = 0; i < triggers.size(); ++i) {
    text += (i ? ",\n  " : "\n  ") + DefinitionToJson(triggers[i]);
  }
  text += "\n]}\n";
  std::error_code ec;
  std::filesystem::create_directories(data_dir_, ec);
  WriteFileAtomically(path(), text);
}

std::string IsoTime(int64_t epoch_ms) {
  std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", text, static_cast<int>(epoch_ms % 1000));
  return out;
}

EventRecord MakeEventRecord(const rapidjson::Value& stream_record, std::string_view stream_arn) {
  EventRecord r;
  r.json = encoding::WriteJson([&](Writer& w) {
    w.StartObject();
    for (const auto& m : stream_record.GetObject()) {
      if (std::string_view(m.name.GetString()) == "eventSourceARN") continue;
      w.Key(m.name.GetString(), m.name.GetStringLength());
      m.value.Accept(w);
    }
    WriteStringField(w, "eventSourceARN", stream_arn);
    w.EndObject();
  });
  auto db = stream_record.FindMember("dynamodb");
  if (db != stream_record.MemberEnd() && db->value.IsObject()) {
    r.sequence_number = StringMember(db->value, "SequenceNumber");
    auto created = db->value.FindMember("ApproximateCreationDateTime");
    if (created != db->value.MemberEnd() && created->value.IsNumber()) {
      r.created_s = created->value.GetDouble();
    }
  }
  return r;
}

std::string BuildEvent(const std::vector<const EventRecord*>& records) {
  std::string event = "{\"Records\":[";
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (i) event += ',';
    event += records[i]->json;
  }
  return event + "]}";
}

BatchResponse ParseBatchResponse(std::string_view response,
                                 const std::vector<const EventRecord*>& batch) {
  BatchResponse out;
  rapidjson::Document d;
  d.Parse(response.data(), response.size());
  if (d.HasParseError() || !d.IsObject()) return out;
  auto failures = d.FindMember("batchItemFailures");
  if (failures == d.MemberEnd() || failures->value.IsNull()) return out;
  if (!failures->value.IsArray()) {
    out.complete_failure = true;
    return out;
  }
  for (const auto& f : failures->value.GetArray()) {
    std::string id = f.IsObject() ? StringMember(f, "itemIdentifier") : "";
    std::optional<std::size_t> index;
    for (std::size_t i = 0; i < batch.size() && !id.empty(); ++i) {
      if (batch[i]->sequence_number == id) index = i;
    }
    if (!index) {
      out.complete_failure = true;
      out.first_failed.reset();
      return out;
    }
    if (!out.first_failed || *index < *out.first_failed) out.first_failed = index;
  }
  return out;
}

std::string OnFailureRecord(const FailureContext& c, const std::vector<const EventRecord*>& batch,
                            int64_t now_ms) {
  auto arrival = [](const EventRecord* r) {
    return IsoTime(static_cast<int64_t>(r->created_s) * 1000).substr(0, 19) + "Z";
  };
  std::string payload = BuildEvent(batch);
  return encoding::WriteJsonObject([&](Writer& w) {
    w.Key("requestContext");
    w.StartObject();
    WriteStringField(w, "requestId", NewUuidV4());
    WriteStringField(w, "functionArn", c.function_arn);
    WriteStringField(w, "condition", c.condition);
    w.Key("approximateInvokeCount");
    w.Int(c.approximate_invoke_count);
    w.EndObject();
    w.Key("responseContext");
    w.StartObject();
    w.Key("statusCode");
    w.Int(c.status_code);
    WriteStringField(w, "executedVersion", "$LATEST");
    if (!c.function_error.empty()) WriteStringField(w, "functionError", c.function_error);
    if (!c.error_message.empty()) WriteStringField(w, "errorMessage", c.error_message);
    w.EndObject();
    WriteStringField(w, "version", "1.0");
    WriteStringField(w, "timestamp", IsoTime(now_ms));
    w.Key("DDBStreamBatchInfo");
    w.StartObject();
    WriteStringField(w, "shardId", c.shard_id);
    WriteStringField(w, "startSequenceNumber", batch.front()->sequence_number);
    WriteStringField(w, "endSequenceNumber", batch.back()->sequence_number);
    WriteStringField(w, "approximateArrivalOfFirstRecord", arrival(batch.front()));
    WriteStringField(w, "approximateArrivalOfLastRecord", arrival(batch.back()));
    w.Key("batchSize");
    w.Uint64(batch.size());
    WriteStringField(w, "streamArn", c.stream_arn);
    w.EndObject();
    w.Key("payload");
    w.RawValue(payload.data(), payload.size(), rapidjson::kObjectType);
  });
}

}  // namespace cruddur::triggers
