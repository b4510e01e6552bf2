// FilterCriteria of a stream trigger, in the syntax of Lambda's event filtering (the patterns of
// EventBridge that Lambda accepts): a record goes to the handler when any pattern matches it;
// records no pattern matches are dropped and checkpointed with the records around them.
//
// A pattern is a JSON object shaped like the record it matches; its leaves are arrays of
// matchers, any of which may match (OR), and every field of the pattern must match (AND):
//   "eventName": ["INSERT", "MODIFY"]                       exact values (strings, numbers,
//                                                           true/false, null)
//   "S": [{"prefix": "MSG#"}], [{"suffix": ".png"}]         prefix / suffix (each also as
//                                                           {"prefix": {"equals-ignore-case": x}})
//   "S": [{"equals-ignore-case": "alice"}]
//   "S": [{"anything-but": ["a", "b"]}]                     also one value, or {"prefix": x},
//                                                           {"suffix": x}, {"equals-ignore-case":
//                                                           x}
//   "N": [{"numeric": [">", 10, "<=", 20]}]                 numeric ranges (=, <, <=, >, >=)
//   "S": [{"exists": true}]                                 a leaf is there (false: it is not)
//   "$or": [{...}, {...}]                                   any of several patterns
// Matchers apply to leaves (strings, numbers, booleans, null, arrays of them); an array in the
// record matches when any element does. DynamoDB's numbers are strings in the record ({"N":
// "42"}): under an "N" key, numeric compares them as numbers.
#pragma once

#include <rapidjson/document.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cruddur::triggers {

// A pattern Lambda would refuse, with the reason.
class InvalidFilterError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class FilterCriteria {
 public:
  // Lambda accepts 5 patterns per event source mapping by default.
  static constexpr std::size_t kMaxFilters = 5;

  // {"Filters": [{"Pattern": "<pattern JSON text>"}, ...]}, as `aws lambda
  // create-event-source-mapping --filter-criteria` takes it. Throws InvalidFilterError.
  static FilterCriteria Parse(std::string_view criteria_json);

  // Adds one pattern (its JSON text). Throws InvalidFilterError.
  void AddPattern(std::string_view pattern_json);

  bool empty() const { return patterns_.empty(); }
  // True when there are no patterns, or any pattern matches `record`.
  bool Matches(const rapidjson::Value& record) const;
  // The {"Filters": [...]} form ("" when empty).
  std::string ToJson() const;

 private:
  std::vector<std::string> texts_;
  std::vector<std::shared_ptr<rapidjson::Document>> patterns_;
};

}  // namespace cruddur::triggers
