// DynamoDB's expression languages: ConditionExpression / FilterExpression, KeyConditionExpression,
// ProjectionExpression and UpdateExpression, parsed by a hand-written recursive-descent parser
// and evaluated against items. Every error is an ApiError::Validation with DynamoDB's message.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/json.h"
#include "ddb/value.h"

namespace cruddur::ddb::expr {

// A document path: a top-level attribute name followed by map keys and list indexes (a.b[2].c).
struct PathElement {
  std::string name;    // attribute or map key (empty when this element is a list index)
  int64_t index = -1;  // >= 0 when this element is a list index
  bool is_index() const { return index >= 0; }
};
using Path = std::vector<PathElement>;

std::string PathToString(const Path& path);  // "a.b[2].c", for messages

// While one is alive on this thread, expressions are not held to DynamoDB's limits on what a
// client sends (4 KB of text, 300 operators): PartiQL statements have limits of their own and
// are translated into expressions that may be longer. Nesting stays bounded regardless.
class ClientLimitsExempt {
 public:
  ClientLimitsExempt() { ++depth_; }
  ~ClientLimitsExempt() { --depth_; }
  ClientLimitsExempt(const ClientLimitsExempt&) = delete;
  ClientLimitsExempt& operator=(const ClientLimitsExempt&) = delete;
  static bool active() { return depth_ > 0; }

 private:
  static thread_local int depth_;  // NOLINT(readability-identifier-naming): a member
};

// The ExpressionAttributeNames and ExpressionAttributeValues of one request, shared by all of its
// expressions so that unused or undefined ones are reported as DynamoDB reports them.
class Substitutions {
 public:
  Substitutions() = default;
  // `names` / `values` are the request's JSON members, or null when absent. Validates them
  // (e.g. "ExpressionAttributeNames must not be empty", invalid AttributeValues).
  static Substitutions Parse(const JsonValue* names, const JsonValue* values);

  // Call after every expression of the request has been parsed. Throws
  // ValidationException "Value provided in ExpressionAttributeNames unused in expressions:
  // keys: {#a}" (or ...Values...) when one was never referenced.
  void CheckAllUsed() const;

  // Used by the parser: resolves "#n" / ":v", marking it used; throws DynamoDB's "undefined"
  // errors when it is not defined.
  const std::string& Name(std::string_view token, std::string_view expression_kind);
  const AttributeValue& Value(std::string_view token, std::string_view expression_kind);

  // Like Name() / Value() but return null when undefined (the parsers report DynamoDB's error
  // in its order among the expression's other errors).
  const std::string* FindName(std::string_view token);
  const AttributeValue* FindValue(std::string_view token);

  bool has_names() const { return has_names_; }
  bool has_values() const { return has_values_; }

 private:
  bool has_names_ = false;
  bool has_values_ = false;
  std::map<std::string, std::string, std::less<>> names_;
  std::map<std::string, AttributeValue, std::less<>> values_;
  std::vector<std::string> name_order_;  // as given in the request, for the "unused" messages
  std::vector<std::string> value_order_;
  std::set<std::string, std::less<>> used_names_;
  std::set<std::string, std::less<>> used_values_;
};

struct ConditionNode;  // the parsed trees, private to the implementation
struct UpdateAction;
struct ProjectionNode;

// ConditionExpression and FilterExpression.
class Condition {
 public:
  // `kind` names the request member in messages: "ConditionExpression" or "FilterExpression".
  static Condition Parse(std::string_view text, Substitutions& subs, std::string_view kind);
  Condition(Condition&&) noexcept;
  Condition& operator=(Condition&&) noexcept;
  ~Condition();

  // Building blocks for the legacy parameters (Expected, QueryFilter, ScanFilter): one
  // ComparisonOperator applied to a top-level attribute, with DynamoDB's legacy semantics (NE is
  // true on a missing attribute, NOT_CONTAINS false; NULL / NOT_NULL test existence).
  // REQUIRES: `operands` already validated (count and types) by the caller.
  enum class Comparison {
    kEq,
    kNe,
    kLe,
    kLt,
    kGe,
    kGt,
    kNotNull,
    kNull,
    kContains,
    kNotContains,
    kBeginsWith,
    kIn,
    kBetween,
  };
  static Condition Compare(const std::string& attribute, Comparison op,
                           std::vector<AttributeValue> operands);
  static Condition And(Condition a, Condition b);
  static Condition Or(Condition a, Condition b);

  // True when the item satisfies the condition (a missing item is an empty Item).
  bool Evaluate(const Item& item) const;
  // Every path the condition reads (for checks such as "Filter Expression can only contain
  // non-primary key attributes").
  std::vector<Path> Paths() const;

 private:
  Condition();
  std::unique_ptr<ConditionNode> root_;
};

class Projection {
 public:
  static Projection Parse(std::string_view text, Substitutions& subs);
  // Builds a projection from a plain list of top-level names (legacy AttributesToGet).
  static Projection FromNames(const std::vector<std::string>& names);
  // A projection of the given paths (UpdateItem's UPDATED_OLD / UPDATED_NEW). Added by the lead.
  static Projection FromPaths(std::vector<Path> paths);
  // The item reduced to the projected paths (nested paths keep their structure, as DynamoDB).
  Item Apply(const Item& item) const;
  const std::vector<Path>& paths() const { return paths_; }

 private:
  std::vector<Path> paths_;
  std::shared_ptr<const ProjectionNode> tree_;  // the paths merged into one tree
};

class Update {
 public:
  static Update Parse(std::string_view text, Substitutions& subs);

  // One entry of the legacy AttributeUpdates map. PUT sets the attribute; DELETE without a value
  // removes it, with a set removes those elements (an emptied set removes the attribute); ADD
  // adds a number (a missing attribute counts as 0), unions a set or appends a list. A type
  // clash is "Type mismatch for attribute to update".
  struct AttributeUpdate {
    enum class Action { kPut, kAdd, kDelete };
    std::string attribute;
    Action action = Action::kPut;
    bool has_value = false;
    AttributeValue value;
  };
  // REQUIRES: `updates` already validated (value present unless DELETE, allowed types).
  static Update FromAttributeUpdates(const std::vector<AttributeUpdate>& updates);

  Update(Update&&) noexcept;
  Update& operator=(Update&&) noexcept;
  ~Update();

  // Applies every action to `item` in place (all operands are evaluated against the item as it
  // was before the update, as DynamoDB does). Throws ValidationException with DynamoDB's message
  // on a type error (e.g. "An operand in the update expression has an incorrect data type").
  void Apply(Item& item) const;
  // The paths the update writes or removes (to refuse key changes and to compute UPDATED_OLD /
  // UPDATED_NEW).
  std::vector<Path> Paths() const;
  // True when every action takes something away (REMOVE, DELETE from a set, legacy DELETE):
  // applied to a missing item such an update leaves only the key, and DynamoDB then creates no
  // item at all.
  bool OnlyRemoves() const;
  // What UpdateItem counts against the item size limit beside the attributes it writes: 3, and
  // 19 for each SET or ADD (20 for a SET through a list index), 2 for each REMOVE or DELETE
  // (DynamoDB, measured by nubo-db/dynamodb-conformance's bisections in 2026).
  size_t ActionBytes() const;

 private:
  Update();
  std::vector<std::unique_ptr<UpdateAction>> actions_;
};

// A KeyConditionExpression resolved against the key schema of the table or index queried.
struct KeyCondition {
  enum class Op { kNone, kEq, kLt, kLe, kGt, kGe, kBetween, kBeginsWith };

  // The value of every HASH attribute, in KeySchema order: one, or up to 4 for a GSI's
  // multi-attribute key.
  std::vector<AttributeValue> hash_values;
  // A multi-attribute key: the values the RANGE attributes before the one range_op tests must
  // equal (the conditions go left to right, only the last may be other than `=`).
  std::vector<AttributeValue> range_prefix;
  Op range_op = Op::kNone;
  AttributeValue range_low;   // the operand (the lower bound for BETWEEN)
  AttributeValue range_high;  // BETWEEN's upper bound

  // `range_key` is empty when the table/index has no sort key. Throws DynamoDB's errors, e.g.
  // "Query condition missed key schema element: pk", "Query key condition not supported".
  static KeyCondition Parse(std::string_view text, Substitutions& subs, const std::string& hash_key,
                            const std::string& range_key);
  // The same for a key of several HASH and RANGE attributes (in KeySchema order).
  static KeyCondition Parse(std::string_view text, Substitutions& subs,
                            const std::vector<std::string>& hash_keys,
                            const std::vector<std::string>& range_keys);

  // One "key op value" condition of either form (KeyConditionExpression, KeyConditions).
  struct Term {
    std::string attribute;
    Op op = Op::kEq;
    const AttributeValue* low = nullptr;   // outlives the Term
    const AttributeValue* high = nullptr;  // BETWEEN's upper bound
  };
  // The rules of a multi-attribute key (more than one HASH or RANGE attribute): every HASH
  // attribute with `=`, conditions only on key attributes, RANGE conditions left to right with
  // only the last one other than `=`. DynamoDB's messages.
  static KeyCondition ResolveMultiAttribute(const std::vector<Term>& terms,
                                            const std::vector<std::string>& hash_keys,
                                            const std::vector<std::string>& range_keys);
};

}  // namespace cruddur::ddb::expr
