// Fuzzes the engine's request model end to end: each input line is one request, a selector
// letter ('A' + operation index, see kOperations) followed by its JSON body, run in order through
// Engine::Execute on a fresh in-memory engine holding two tables with a few items, so PutItem,
// Query, UpdateItem, transactions, PartiQL and streams do real work. A DynamoDB error (ApiError)
// is a valid answer; any other exception, a crash, a sanitizer report or a response that is not
// JSON is a bug. Also fuzzes the AttributeValue layer on the same bytes (see FuzzValues).
#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "ddb/engine.h"
#include "ddb/error.h"
#include "ddb/item_codec.h"
#include "ddb/json.h"
#include "ddb/value_json.h"
#include "fuzz_util.h"

namespace cruddur::ddb {
namespace {

// Do not reorder: the seed corpus names operations by their index.
constexpr std::string_view kOperations[] = {
    "PutItem",                  // A
    "GetItem",                  // B
    "UpdateItem",               // C
    "DeleteItem",               // D
    "Query",                    // E
    "Scan",                     // F
    "BatchGetItem",             // G
    "BatchWriteItem",           // H
    "TransactWriteItems",       // I
    "TransactGetItems",         // J
    "CreateTable",              // K
    "DeleteTable",              // L
    "DescribeTable",            // M
    "ListTables",               // N
    "UpdateTable",              // O
    "UpdateTimeToLive",         // P
    "DescribeTimeToLive",       // Q
    "ExecuteStatement",         // R
    "BatchExecuteStatement",    // S
    "ExecuteTransaction",       // T
    "Streams.ListStreams",      // U
    "Streams.DescribeStream",   // V
    "Streams.GetShardIterator", // W
    "Streams.GetRecords",       // X
    "DescribeLimits",           // Y
    "DescribeEndpoints",        // Z
};
constexpr size_t kOperationCount = sizeof(kOperations) / sizeof(kOperations[0]);
constexpr size_t kMaxRequests = 8;

// The app's single table (with a GSI, an LSI, a stream and TTL) and a numeric-keyed one.
constexpr std::string_view kSetup[][2] = {
    {"CreateTable", R"({"TableName":"cruddur-messages","BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
        {"AttributeName":"sk","AttributeType":"S"},{"AttributeName":"message_group_uuid",
        "AttributeType":"S"},{"AttributeName":"n","AttributeType":"N"}],
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
      "GlobalSecondaryIndexes":[{"IndexName":"message-group-sk-index","KeySchema":[
        {"AttributeName":"message_group_uuid","KeyType":"HASH"},
        {"AttributeName":"sk","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}],
      "LocalSecondaryIndexes":[{"IndexName":"by-n","KeySchema":[
        {"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"n","KeyType":"RANGE"}],
        "Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["message"]}}],
      "StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}})"},
    {"CreateTable", R"({"TableName":"users","AttributeDefinitions":[
      {"AttributeName":"id","AttributeType":"N"}],
      "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],
      "ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":5}})"},
    {"UpdateTimeToLive", R"({"TableName":"cruddur-messages",
      "TimeToLiveSpecification":{"Enabled":true,"AttributeName":"expires"}})"},
    {"PutItem", R"({"TableName":"cruddur-messages","Item":{"pk":{"S":"GRP#andrewbrown"},
      "sk":{"S":"2023-03-01T10:00:00+00:00"},"message_group_uuid":{"S":"5ae290ed"},
      "message":{"S":"hello"},"n":{"N":"1"},"tags":{"SS":["a","b"]},
      "meta":{"M":{"l":{"L":[{"N":"1"},{"BOOL":true},{"NULL":true},{"B":"AAE="}]}}}}})"},
    {"PutItem", R"({"TableName":"cruddur-messages","Item":{"pk":{"S":"GRP#andrewbrown"},
      "sk":{"S":"2023-03-02T10:00:00+00:00"},"message_group_uuid":{"S":"5ae290ed"},
      "message":{"S":"bye"},"n":{"N":"-2.5"},"nums":{"NS":["1","2"]},"expires":{"N":"1"}}})"},
    {"PutItem", R"({"TableName":"cruddur-messages","Item":{"pk":{"S":"MSG#5ae290ed"},
      "sk":{"S":"2023-03-01T10:00:00+00:00"},"user_handle":{"S":"bayko"},"n":{"N":"3"}}})"},
    {"PutItem", R"({"TableName":"users","Item":{"id":{"N":"1"},"handle":{"S":"andrewbrown"}}})"},
};

void CheckJson(std::string_view op, const std::string& out) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(out.data(), out.size());
  fuzz::Check(!d.HasParseError() && d.IsObject(), "response is not a JSON object",
              std::string(op) + ": " + out);
}

void RunRequests(const uint8_t* data, size_t size) {
  EngineOptions options;
  options.in_memory = true;
  options.ttl_sweep_interval = std::chrono::milliseconds(0);  // no background thread
  std::unique_ptr<Engine> engine = Engine::Open(options);
  for (const auto& [op, body] : kSetup) engine->Execute(op, body);

  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (size_t n = 0; n < kMaxRequests && !input.empty(); ++n) {
    size_t eol = input.find('\n');
    std::string_view line = input.substr(0, eol);
    input = eol == std::string_view::npos ? std::string_view() : input.substr(eol + 1);
    if (line.empty()) continue;
    std::string_view op =
        kOperations[static_cast<uint8_t>(line[0] - 'A') % kOperationCount];
    std::string_view body = line.substr(1);
    try {
      CheckJson(op, engine->Execute(op, body));
    } catch (const ApiError& e) {
      fuzz::Check(e.http_status() >= 400 && e.http_status() < 600 && !e.type().empty(),
                  "ApiError without a type or an error status", e.what());
      fuzz::Check(e.extra_json().empty() || e.extra_json().front() == '"',
                  "ApiError extra JSON is not a member list", e.extra_json());
      fuzz::Check(e.type() != "InternalServerError", "InternalServerError", e.what());
    } catch (const std::exception& e) {
      fuzz::Fail("non-ApiError exception from Execute", std::string(op) + ": " + e.what());
    }
  }
}

// The value layer alone: a JSON object through ParseItem (both wordings); a parsed item must
// survive JSON and binary round trips unchanged.
void FuzzItem(const JsonValue& json) {
  for (auto wording : {ValidationWording::kCurrent, ValidationWording::kLegacy}) {
    Item item;
    try {
      item = ParseItem(json, wording);
    } catch (const ApiError&) {
      continue;
    } catch (const std::exception& e) {
      fuzz::Fail("non-ApiError exception from ParseItem", e.what());
    }
    JsonBuffer buf;
    JsonWriter w(buf);
    WriteItem(w, item);
    JsonDocument again;
    again.Parse(buf.GetString(), buf.GetSize());
    fuzz::Check(!again.HasParseError(), "WriteItem wrote invalid JSON", buf.GetString());
    Item reparsed;
    try {
      reparsed = ParseItem(again, wording);
    } catch (const ApiError& e) {
      fuzz::Fail("ParseItem rejects what WriteItem wrote", std::string(e.what()) + ": " +
                                                               buf.GetString());
    }
    fuzz::Check(reparsed == item, "JSON round trip changed the item", buf.GetString());
    Item decoded;
    fuzz::Check(DecodeItem(EncodeItem(item), &decoded), "DecodeItem rejects EncodeItem's output",
                buf.GetString());
    fuzz::Check(decoded == item, "binary round trip changed the item", buf.GetString());
  }
}

// Each request body as an item, and its Item / Key members (where the realistic items are).
void FuzzValues(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (size_t n = 0; n < kMaxRequests && !input.empty(); ++n) {
    size_t eol = input.find('\n');
    std::string_view line = input.substr(0, eol);
    input = eol == std::string_view::npos ? std::string_view() : input.substr(eol + 1);
    if (line.size() < 2) continue;
    JsonDocument doc;
    doc.Parse<rapidjson::kParseIterativeFlag>(line.data() + 1, line.size() - 1);
    if (doc.HasParseError() || !doc.IsObject()) continue;
    const JsonValue& object = doc;  // const iterators: clang warns on the mutable ones' ==
    FuzzItem(object);
    for (const char* member : {"Item", "Key"}) {
      auto it = object.FindMember(member);
      if (it != object.MemberEnd() && it->value.IsObject()) FuzzItem(it->value);
    }
  }
}

}  // namespace
}  // namespace cruddur::ddb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cruddur::ddb::RunRequests(data, size);
  cruddur::ddb::FuzzValues(data, size);
  return 0;
}
