// Anonymisation rules for `cruddur ddb import --rules FILE`: each rule names an attribute by a
// DynamoDB document path (`a.b[0].c`), may carry a condition in DynamoDB's condition-expression
// syntax (with its own ExpressionAttributeNames/Values), and says what to do with the value:
//   mask   keep the last `keep` characters, the rest become `maskChar` (default "*"); a number
//          keeps its last `keep` digits and the others become 0, so it stays a number;
//   fake   a realistic fake of `kind` (fake.h), the same for the same value and seed;
//   hash   HMAC-SHA256 under the rules' secret, keeping the type: a string becomes the first
//          `length` hex digits (default 32), a number `length` digits (default 15, at most 18),
//          a binary `length` bytes (default 16, at most 32); equal values hash alike in every
//          attribute, item and table, so joins still match;
//   drop   remove the attribute (or the list element, or the map member).
// mask/fake/hash applied to a set change each element, to a map or list every string, number
// and binary inside it. Conditions see the item as it was read, before any rule; the actions
// then run in the file's order. The file format is in README.md ("Anonymising an import").
#pragma once

#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/value.h"

namespace cruddur::anonymize {

// A rules file that cannot be used: the message names the rule ("rule 3: ...").
class RuleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A table's key attributes, to check the rules against.
struct TableKeys {
  std::set<std::string> primary;  // the table's partition and sort key
  std::set<std::string> index;    // the keys of its GSIs and LSIs
};

class RuleSet {
 public:
  // Parses a rules file. `secret`, when not empty, replaces the file's "secret" (--rules-secret,
  // $CRUDDUR_RULES_SECRET). Throws RuleError for bad JSON, an unknown member, action or fake
  // kind, a bad path or condition (DynamoDB's message), unused or undefined names and values,
  // or hash rules without a secret.
  static RuleSet Parse(std::string_view json, const std::string& secret);

  // Checks the rules that apply to `table` against its keys. Throws RuleError for `drop` or
  // `mask` on a primary-key attribute (an item without its key cannot be written; masked keys
  // collide). Returns a warning for each `drop`/`mask` on an index key (masked index keys merge
  // partitions; a dropped one takes the item out of the index).
  std::vector<std::string> CheckKeys(const std::string& table, const TableKeys& keys) const;

  // Whether a rule that applies to `table` may change one of the top-level `attributes`.
  bool Changes(const std::string& table, const std::set<std::string>& attributes) const;

  // Applies the rules that apply to `table` (the table's name in the export) to `item`.
  void Apply(const std::string& table, ddb::Item& item) const;

  size_t size() const;

  struct Rule;
  RuleSet(RuleSet&&) noexcept;
  RuleSet& operator=(RuleSet&&) noexcept;
  ~RuleSet();

 private:
  RuleSet();
  std::vector<Rule> rules_;
  std::string secret_, seed_;
};

// What `hash` makes of a value (exposed for tests and for joining by hand): HMAC-SHA256 of the
// value's bytes (a number's canonical text) under `secret`, in the value's own type.
ddb::AttributeValue HashValue(const ddb::AttributeValue& v, const std::string& secret, int length);

}  // namespace cruddur::anonymize
