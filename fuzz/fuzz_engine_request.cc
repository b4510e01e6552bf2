// Fuzzes the engine's request model end to end: each input line is one request, a selector
// letter ('A' + operation index, see kOperations) followed by its JSON body, run in order through
// Engine::Execute on a fresh in-memory engine holding two tables with a few items, so PutItem,
// Query, UpdateItem, transactions, PartiQL and streams do real work. A DynamoDB error (ApiError)
// is a valid answer; any other exception, a crash, a sanitizer report or a response that is not
// JSON is a bug. Also fuzzes the AttributeValue layer on the same bytes (see FuzzValues).
// The custom mutator (deep_mutator.h) writes whole requests with deep or long expressions,
// PartiQL statements and nested values, and mutates the expressions inside existing ones.
#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/engine.h"
#include "ddb/error.h"
#include "ddb/item_codec.h"
#include "ddb/json.h"
#include "ddb/value_json.h"
#include "ddb_setup.h"
#include "deep_mutator.h"
#include "fuzz_util.h"

namespace cruddur::ddb {
namespace {

// Do not reorder: the seed corpus names operations by their index.
constexpr std::string_view kOperations[] = {
    "PutItem",                      // A
    "GetItem",                      // B
    "UpdateItem",                   // C
    "DeleteItem",                   // D
    "Query",                        // E
    "Scan",                         // F
    "BatchGetItem",                 // G
    "BatchWriteItem",               // H
    "TransactWriteItems",           // I
    "TransactGetItems",             // J
    "CreateTable",                  // K
    "DeleteTable",                  // L
    "DescribeTable",                // M
    "ListTables",                   // N
    "UpdateTable",                  // O
    "UpdateTimeToLive",             // P
    "DescribeTimeToLive",           // Q
    "ExecuteStatement",             // R
    "BatchExecuteStatement",        // S
    "ExecuteTransaction",           // T
    "Streams.ListStreams",          // U
    "Streams.DescribeStream",       // V
    "Streams.GetShardIterator",     // W
    "Streams.GetRecords",           // X
    "DescribeLimits",               // Y
    "DescribeEndpoints",            // Z
    "UpdateContributorInsights",    // [
    "DescribeContributorInsights",  // backslash
    "ListContributorInsights",      // ]
};
constexpr size_t kOperationCount = sizeof(kOperations) / sizeof(kOperations[0]);
constexpr size_t kMaxRequests = 8;

void CheckJson(std::string_view op, const std::string& out) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(out.data(), out.size());
  fuzz::Check(!d.HasParseError() && d.IsObject(), "response is not a JSON object",
              std::string(op) + ": " + out);
}

void RunRequests(const uint8_t* data, size_t size) {
  std::unique_ptr<Engine> engine = fuzz::SeededEngine();

  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (size_t n = 0; n < kMaxRequests && !input.empty(); ++n) {
    size_t eol = input.find('\n');
    std::string_view line = input.substr(0, eol);
    input = eol == std::string_view::npos ? std::string_view() : input.substr(eol + 1);
    if (line.empty()) continue;
    std::string_view op = kOperations[static_cast<uint8_t>(line[0] - 'A') % kOperationCount];
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

// The value layer alone: a JSON object through ParseItem; a parsed item must survive JSON and
// binary round trips unchanged.
void FuzzItem(const JsonValue& json) {
  Item item;
  try {
    item = ParseItem(json);
  } catch (const ApiError&) {
    return;
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
    reparsed = ParseItem(again);
  } catch (const ApiError& e) {
    fuzz::Fail("ParseItem rejects what WriteItem wrote",
               std::string(e.what()) + ": " + buf.GetString());
  }
  fuzz::Check(reparsed == item, "JSON round trip changed the item", buf.GetString());
  Item decoded;
  fuzz::Check(DecodeItem(EncodeItem(item), &decoded), "DecodeItem rejects EncodeItem's output",
              buf.GetString());
  fuzz::Check(decoded == item, "binary round trip changed the item", buf.GetString());
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

// Two times in three a structural mutation of one request line (deep_mutator.h): a generated
// request in its place or added, or its body mutated; libFuzzer's own mutations else.
extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  using namespace cruddur::fuzz;
  Rng rng(seed);
  if (auto done = LibFuzzerOrShrink(rng, data, size, max_size)) return *done;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto [lines, i, limit, budget] = PickLine(in, rng, max_size, 2);
  size_t choice = rng.Below(8);
  if (choice < 3 || lines[i].size() < 2) {
    GeneratedRequest r = GenerateRequest(rng, budget);
    std::string line(1, 'A');
    for (size_t op = 0; op < cruddur::ddb::kOperationCount; ++op) {
      if (cruddur::ddb::kOperations[op] == r.operation) line[0] = static_cast<char>('A' + op);
    }
    line.append(r.body);
    if (lines.size() < cruddur::ddb::kMaxRequests && rng.OneIn(2)) {
      lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(i), std::move(line));
    } else {
      lines[i] = std::move(line);
    }
  } else if (choice < 7) {
    lines[i] = lines[i].substr(0, 1) +
               MutateRequestBody(std::string_view(lines[i]).substr(1), rng, budget);
  } else {
    return Emit(RepeatOrNest(in, rng, limit), data, size, max_size);
  }
  return Emit(JoinLines(lines), data, size, max_size);
}
