// The parsed tree of a ConditionExpression / FilterExpression / KeyConditionExpression, shared
// by its parser (condition_parser.cc), its evaluation (condition.cc) and the key conditions
// (key_condition.cc). Private to the expression library.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/expression/expression.h"
#include "ddb/expression/lexer.h"

namespace cruddur::ddb::expr {

// One operand of a comparison or function.
struct Operand {
  enum class Kind : uint8_t { kPath, kValue, kSize, kFunction };
  Kind kind = Kind::kValue;
  Path path;                            // kPath, kSize
  AttributeValue value;                 // kValue
  std::string function;                 // kFunction: a condition function misused as an operand
  std::unique_ptr<ConditionNode> call;  // kFunction
};

struct ConditionNode {
  enum class Kind : uint8_t {
    kOr,
    kAnd,
    kNot,
    kCompare,
    kBetween,
    kIn,
    kExists,
    kNotExists,
    kAttributeType,
    kBeginsWith,
    kContains,
  };
  Kind kind = Kind::kAnd;
  Tok cmp = Tok::kEq;  // kCompare
  std::unique_ptr<ConditionNode> left, right;
  std::vector<Operand> operands;
  ValueType type = ValueType::kS;  // kAttributeType
};

// A kAnd or kOr node over `l` and `r`, or a kNot node over `l` (`r` null).
std::unique_ptr<ConditionNode> JoinNodes(ConditionNode::Kind kind, std::unique_ptr<ConditionNode> l,
                                         std::unique_ptr<ConditionNode> r);

// Parses a condition into its tree, with DynamoDB's errors; `kind` names the request member.
std::unique_ptr<ConditionNode> ParseConditionTree(std::string_view text, Substitutions& subs,
                                                  std::string_view kind);

// The words of the condition language that cannot start a document path.
bool IsConditionKeyword(std::string_view t);

// Number of elements / bytes as size() counts them; false for types size() does not apply to.
bool SizeOf(const AttributeValue& v, size_t* out);

// Three-way order of two values of the same scalar type N, S or B.
int Order(const AttributeValue& a, const AttributeValue& b);

bool Orderable(const AttributeValue* a, const AttributeValue* b);

}  // namespace cruddur::ddb::expr
