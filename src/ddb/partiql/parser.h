// The subset of PartiQL that DynamoDB runs, parsed by hand (recursive descent) into a small
// tree. `?` parameters are bound while parsing. Every error is an ApiError::Validation with
// DynamoDB's wording ("Statement wasn't well formed, can't be processed: ...", "Number of
// parameters in request and statement don't match.", "Unsupported clause: LIMIT", ...).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/value.h"

namespace cruddur::ddb::partiql {

// A document path: a top-level attribute, then map keys and list indexes (a.b[2].c).
struct PathStep {
  std::string name;    // attribute or map key (empty for a list index)
  int64_t index = -1;  // >= 0 for a list index
  bool is_index() const { return index >= 0; }
};
using Path = std::vector<PathStep>;

// A value in a condition: a path, a literal (or bound parameter), size(path), or MISSING.
struct Operand {
  enum class Kind { kPath, kValue, kSize, kMissing };
  Kind kind = Kind::kValue;
  Path path;             // kPath, kSize
  AttributeValue value;  // kValue
};

// A WHERE condition.
struct Condition {
  enum class Kind {
    kAnd,
    kOr,
    kNot,
    kCompare,    // op: "=", "<>", "<", "<=", ">", ">="; operands[0] op operands[1]
    kBetween,    // operands[0] BETWEEN operands[1] AND operands[2]
    kIn,         // operands[0] IN (operands[1..])
    kFunction,   // op: begins_with, contains, attribute_exists, attribute_not_exists,
                 // attribute_type; operands are the arguments
    kIsMissing,  // operands[0] IS MISSING (negated: IS NOT MISSING)
    kIsType,     // operands[0] IS [NOT] <type>; op is DynamoDB's type name (S, N, NULL, ...)
  };
  Kind kind = Kind::kAnd;
  std::string op;
  bool negated = false;  // kIsMissing, kIsType
  std::vector<Operand> operands;
  std::vector<std::unique_ptr<Condition>> children;  // kAnd, kOr (2 or more), kNot (1)
};

// The value of a SET assignment: an operand, `a + b`, `a - b` or a function call
// (list_append, if_not_exists, set_add, set_delete).
struct SetValue {
  enum class Kind { kOperand, kPlus, kMinus, kCall };
  Kind kind = Kind::kOperand;
  Operand operand;
  std::string function;        // kCall, lower case
  std::vector<SetValue> args;  // kPlus/kMinus (2), kCall
};

struct UpdateAction {
  enum class Kind { kSet, kRemove };
  Kind kind = Kind::kSet;
  Path path;
  SetValue value;  // kSet
};

struct Statement {
  enum class Kind { kSelect, kInsert, kUpdate, kDelete, kExists };
  Kind kind = Kind::kSelect;
  std::string table;
  std::string index;  // SELECT FROM "table"."index"
  // SELECT: the projected paths (empty: *).
  std::vector<Path> projection;
  std::unique_ptr<Condition> where;  // null when absent
  // SELECT ... ORDER BY <attribute> [ASC|DESC].
  std::string order_by;
  bool descending = false;
  // INSERT: the item (an M).
  AttributeValue item;
  // UPDATE.
  std::vector<UpdateAction> updates;
  // RETURNING: "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW" (empty: none).
  std::string returning;

  bool is_read() const { return kind == Kind::kSelect; }
};

// Parses one statement, binding `?` to `parameters` in order. Fewer parameters than `?` is
// "Number of parameters in request and statement don't match."; extra ones are ignored, as
// DynamoDB ignores them.
Statement Parse(std::string_view text, const std::vector<AttributeValue>& parameters);

// The name DynamoDB gives a projected path in the result: its last named step followed by the
// list indexes after it (m.k[1] -> "k[1]").
std::string ProjectionLabel(const Path& path);

// The error DynamoDB gives for a statement it cannot parse.
[[noreturn]] void ThrowMalformed(std::string_view detail);

}  // namespace cruddur::ddb::partiql
