// Fuzzes DynamoDB's expression languages. The first byte picks the language (byte % 4:
// '0' Condition/Filter, '1' Update, '2' Projection, '3' KeyCondition), the rest is the
// expression text, parsed with fixed ExpressionAttributeNames/Values and then evaluated or
// applied against a small item. A ValidationException is a valid answer; any other exception or
// a crash is a bug, and so is an update or projection producing an item that no longer round
// trips through DynamoDB JSON (e.g. an empty set or an invalid number).
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "ddb/error.h"
#include "ddb/expression/expression.h"
#include "ddb/json.h"
#include "ddb/value_json.h"
#include "fuzz_util.h"

namespace cruddur::ddb::expr {
namespace {

constexpr std::string_view kNames = R"({"#a": "pk", "#s": "sk", "#n": "n", "#l": "l", "#m": "m",
  "#x": "missing", "#d": "a.b", "#ss": "ss", "#e": ""})";
constexpr std::string_view kValues = R"({":s": {"S": "GRP#andrewbrown"}, ":e": {"S": ""},
  ":n": {"N": "5"}, ":one": {"N": "1"}, ":neg": {"N": "-1E-130"},
  ":big": {"N": "9.9999999999999999999999999999999999999E+125"}, ":b": {"B": "AAE="},
  ":l": {"L": [{"S": "z"}, {"N": "2"}]}, ":empty": {"L": []}, ":m": {"M": {"k": {"N": "1"}}},
  ":ss": {"SS": ["a", "c"]}, ":ns": {"NS": ["2", "9"]}, ":bs": {"BS": ["AA=="]},
  ":t": {"BOOL": true}, ":null": {"NULL": true}, ":date": {"S": "2023-03-01"}})";
constexpr std::string_view kItem = R"({"pk": {"S": "GRP#andrewbrown"},
  "sk": {"S": "2023-03-01T10:00:00+00:00"}, "n": {"N": "10"}, "s": {"S": "old"},
  "b": {"B": "AQID"}, "t": {"BOOL": false}, "z": {"NULL": true}, "a.b": {"S": "dotted"},
  "l": {"L": [{"S": "a"}, {"N": "1"}, {"L": [{"M": {"x": {"N": "1"}}}]}, {"SS": ["q"]}]},
  "m": {"M": {"x": {"N": "1"}, "l": {"L": [{"N": "1"}]}, "m": {"M": {"y": {"S": "deep"}}}}},
  "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": ["AA==", "AQ=="]}})";

JsonDocument ParseJson(std::string_view text) {
  JsonDocument d;
  d.Parse(text.data(), text.size());
  return d;
}

const Substitutions& BaseSubstitutions() {
  static const Substitutions subs = [] {
    static const JsonDocument names = ParseJson(kNames);
    static const JsonDocument values = ParseJson(kValues);
    return Substitutions::Parse(&names, &values);
  }();
  return subs;
}

const Item& BaseItem() {
  static const Item item = [] {
    JsonDocument d = ParseJson(kItem);
    return ParseItem(d);
  }();
  return item;
}

// The item must still be a valid DynamoDB item: written as JSON and parsed back, unchanged.
void CheckValidItem(const Item& item, std::string_view what) {
  JsonBuffer buf;
  JsonWriter w(buf);
  WriteItem(w, item);
  JsonDocument d = ParseJson(std::string_view(buf.GetString(), buf.GetSize()));
  fuzz::Check(!d.HasParseError(), "WriteItem wrote invalid JSON", buf.GetString());
  try {
    fuzz::Check(ParseItem(d) == item, "item changed in a JSON round trip", buf.GetString());
  } catch (const ApiError& e) {
    fuzz::Fail(std::string(what) + " produced an invalid item",
               std::string(e.what()) + "\n" + buf.GetString());
  }
}

void Run(uint8_t kind, std::string_view text) {
  Substitutions subs = BaseSubstitutions();
  const Item& item = BaseItem();
  switch (kind % 4) {
    case 0: {
      Condition c = Condition::Parse(text, subs, kind & 4 ? "FilterExpression"
                                                          : "ConditionExpression");
      c.Evaluate(item);
      c.Evaluate(Item());
      c.Paths();
      break;
    }
    case 1: {
      Update u = Update::Parse(text, subs);
      u.Paths();
      Item updated = item;
      u.Apply(updated);
      CheckValidItem(updated, "UpdateExpression");
      Item created;  // an update of a missing item starts from nothing
      try {
        u.Apply(created);
        CheckValidItem(created, "UpdateExpression on a missing item");
      } catch (const ApiError&) {
      }
      break;
    }
    case 2: {
      Projection p = Projection::Parse(text, subs);
      CheckValidItem(p.Apply(item), "ProjectionExpression");
      p.Apply(Item());
      break;
    }
    case 3: {
      KeyCondition::Parse(text, subs, "pk", kind & 4 ? "" : "sk");
      break;
    }
  }
  subs.CheckAllUsed();  // almost always throws (unused values): exercises the message code
}

}  // namespace
}  // namespace cruddur::ddb::expr

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    cruddur::ddb::expr::Run(data[0], text);
  } catch (const cruddur::ddb::ApiError& e) {
    cruddur::fuzz::Check(e.type() == "ValidationException", "unexpected ApiError type", e.type());
  } catch (const std::exception& e) {
    cruddur::fuzz::Fail("non-ApiError exception", e.what());
  }
  return 0;
}
