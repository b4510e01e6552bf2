// Fuzzes DynamoDB's expression languages. The first byte picks the language (byte % 4:
// '0' Condition/Filter, '1' Update, '2' Projection, '3' KeyCondition), the rest is the
// expression text, parsed with fixed ExpressionAttributeNames/Values and then evaluated or
// applied against a small item. A ValidationException is a valid answer; any other exception or
// a crash is a bug, and so is an update or projection producing an item that no longer round
// trips through DynamoDB JSON (e.g. an empty set or an invalid number).
// With bit 3 of the first byte set ('8', '9', ...) the text starts with two lines, a JSON object
// of extra ExpressionAttributeNames and one of extra ExpressionAttributeValues, merged into the
// fixed ones: that is where the custom mutator (deep_mutator.h) defines the thousands of
// placeholders it uses. The mutator also nests, chains and lengthens expressions far beyond
// what byte-level mutation reaches. With bit 6 ('p'..'y', ...) the expression is parsed inside a
// ClientLimitsExempt scope, as PartiQL's translations are: without DynamoDB's 4 KB and
// 300-operator limits, so only the nesting bound and the stack budget stand between a deep
// input and the stack.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "ddb/error.h"
#include "ddb/expression/expression.h"
#include "ddb/json.h"
#include "ddb/value_json.h"
#include "deep_mutator.h"
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
  d.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());  // no recursion here
  return d;
}

// `base` (a JSON object) with the members of `extra` added, or nullopt when extra is not an
// object. Text-level, as copying a deep rapidjson value would recurse.
std::optional<std::string> Merge(std::string_view base, std::string_view extra) {
  JsonDocument d = ParseJson(extra);
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  if (d.MemberCount() == 0) return std::string(base);
  std::string_view members = extra.substr(extra.find('{') + 1);
  members = members.substr(0, members.rfind('}'));
  return std::string(base.substr(0, base.rfind('}'))) + "," + std::string(members) + "}";
}

std::string_view NextLine(std::string_view& text) {
  size_t eol = text.find('\n');
  std::string_view line = text.substr(0, eol);
  text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
  return line;
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

// The longest expression an exempt parse meets: PartiQL translates statements of at most 8,192
// characters, into about three times that at worst. Past it the parsers' work grows as the
// square of the paths (the overlap checks), which no request can reach: not a bug to report.
constexpr size_t kMaxExemptBytes = 64 * 1024;

void Run(uint8_t kind, std::string_view text) {
  std::optional<ClientLimitsExempt> exempt;
  if (kind & 0x40) {
    if (text.size() > kMaxExemptBytes) return;
    exempt.emplace();
  }
  Substitutions subs = BaseSubstitutions();
  JsonDocument names, values;  // the extra placeholders' documents, alive while subs is
  if (kind & 8) {
    std::optional<std::string> n = Merge(kNames, NextLine(text));
    std::optional<std::string> v = Merge(kValues, NextLine(text));
    if (!n || !v) return;
    names = ParseJson(*n);
    values = ParseJson(*v);
    subs = Substitutions::Parse(&names, &values);
  }
  const Item& item = BaseItem();
  switch (kind % 4) {
    case 0: {
      Condition c =
          Condition::Parse(text, subs, kind & 4 ? "FilterExpression" : "ConditionExpression");
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
    // SerializationException: extra ExpressionAttributeNames/Values of the wrong JSON type.
    bool serialization = (data[0] & 8) && e.type() == "SerializationException";
    cruddur::fuzz::Check(e.type() == "ValidationException" || serialization,
                         "unexpected ApiError type", e.type());
  } catch (const std::exception& e) {
    cruddur::fuzz::Fail("non-ApiError exception", e.what());
  }
  return 0;
}

// Deep and long expressions (deep_mutator.h) two times in three, libFuzzer's mutations else.
extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  using namespace cruddur::fuzz;
  Rng rng(seed);
  if (rng.OneIn(3) || max_size < 64) return LLVMFuzzerMutate(data, size, max_size);
  static constexpr Lang kLangs[] = {Lang::kCondition, Lang::kUpdate, Lang::kProjection,
                                    Lang::kKeyCondition};
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (size > kShrinkAbove && rng.OneIn(2)) return Emit(Shrink(in, rng, 1), data, size, max_size);
  size_t limit = Budget(rng, max_size);
  uint8_t kind = size > 0 ? data[0] : static_cast<uint8_t>('0' + rng.Below(8));
  std::string_view text = size > 0 ? in.substr(1) : in;
  std::string names, values;
  if (kind & 8) {
    names = cruddur::ddb::expr::NextLine(text);
    values = cruddur::ddb::expr::NextLine(text);
  }
  if (rng.OneIn(8)) {  // another language, and so a fresh expression
    kind = static_cast<uint8_t>((kind & ~3) | rng.Below(4));
    text = {};
  }
  if (rng.OneIn(8)) kind ^= 0x40;  // in or out of the client limits
  Placeholders ph;
  size_t used = 3 + names.size() + values.size();
  std::string expr = MutateText(text, kLangs[kind % 4], rng, limit > used ? limit - used : 0, ph);
  if (!ph.names.empty() || !ph.values.empty()) kind |= 8;
  std::string out(1, static_cast<char>(kind));
  if (kind & 8) {
    out.append(InsertMembers(names.empty() ? "{}" : names, ph.names)).push_back('\n');
    out.append(InsertMembers(values.empty() ? "{}" : values, ph.values)).push_back('\n');
  }
  out.append(expr);
  return Emit(out, data, size, max_size);
}
