// ConditionExpression / FilterExpression: evaluation, and the conditions built for the legacy
// parameters. The parser is condition_parser.cc, KeyConditionExpression key_condition.cc.
#include <cstdint>
#include <string>

#include "ddb/error.h"
#include "ddb/expression/condition_tree.h"
#include "ddb/expression/expression.h"
#include "ddb/expression/parser.h"

namespace cruddur::ddb::expr {

// Number of elements, bytes or (for a string) UTF-16 code units as size() counts them; false for
// types size() does not apply to. size("é𝄞") is 3 (checked against DynamoDB, ExtendDB#60).
bool SizeOf(const AttributeValue& v, size_t* out) {
  switch (v.type) {
    case ValueType::kS:
      *out = static_cast<size_t>(Utf16Length(v.bytes));
      return true;
    case ValueType::kB:
      *out = v.bytes.size();
      return true;
    case ValueType::kSS:
    case ValueType::kBS:
      *out = v.strings.size();
      return true;
    case ValueType::kNS:
      *out = v.numbers.size();
      return true;
    case ValueType::kM:
      *out = v.map.size();
      return true;
    case ValueType::kL:
      *out = v.list.size();
      return true;
    default:
      return false;
  }
}

// Three-way order of two values of the same scalar type N, S or B.
int Order(const AttributeValue& a, const AttributeValue& b) {
  if (a.type == ValueType::kN) {
    auto c = a.number <=> b.number;
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  int c = a.bytes.compare(b.bytes);  // char_traits<char> compares as unsigned char
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

bool Orderable(const AttributeValue* a, const AttributeValue* b) {
  return a && b && a->type == b->type && a->is_ordered();
}

namespace {

// ---- evaluation ----

const AttributeValue* Resolve(const Operand& o, const Item& item, AttributeValue& scratch) {
  switch (o.kind) {
    case Operand::Kind::kValue:
      return &o.value;
    case Operand::Kind::kPath:
      return FindPath(item, o.path);
    case Operand::Kind::kSize: {
      const AttributeValue* v = FindPath(item, o.path);
      size_t n = 0;
      if (!v || !SizeOf(*v, &n)) return nullptr;
      scratch.type = ValueType::kN;
      scratch.number = Number::Parse(std::to_string(n));
      return &scratch;
    }
    case Operand::Kind::kFunction:
      return nullptr;
  }
  return nullptr;
}

bool Contains(const AttributeValue& haystack, const AttributeValue& needle) {
  switch (haystack.type) {
    case ValueType::kS:
    case ValueType::kB:  // a byte subsequence, as DynamoDB does for binaries
      return needle.type == haystack.type && haystack.bytes.find(needle.bytes) != std::string::npos;
    case ValueType::kSS:
    case ValueType::kBS:
      if (needle.type != (haystack.type == ValueType::kSS ? ValueType::kS : ValueType::kB)) {
        return false;
      }
      for (const std::string& s : haystack.strings) {
        if (s == needle.bytes) return true;
      }
      return false;
    case ValueType::kNS:
      if (needle.type != ValueType::kN) return false;
      for (const Number& n : haystack.numbers) {
        if (n == needle.number) return true;
      }
      return false;
    case ValueType::kL:
      for (const AttributeValue& e : haystack.list) {
        if (e == needle) return true;
      }
      return false;
    default:
      return false;
  }
}

// One comparison or function. Out of line, so that its scratch values are not part of every
// frame of Evaluate's recursion.
[[gnu::noinline]] bool EvaluateLeaf(const ConditionNode& n, const Item& item);

bool Evaluate(const ConditionNode& n, const Item& item) {
  using K = ConditionNode::Kind;
  switch (n.kind) {
    case K::kOr:
      return Evaluate(*n.left, item) || Evaluate(*n.right, item);
    case K::kAnd:
      return Evaluate(*n.left, item) && Evaluate(*n.right, item);
    case K::kNot:
      return !Evaluate(*n.left, item);
    case K::kExists:
      return FindPath(item, n.operands[0].path) != nullptr;
    case K::kNotExists:
      return FindPath(item, n.operands[0].path) == nullptr;
    default:
      return EvaluateLeaf(n, item);
  }
}

bool EvaluateLeaf(const ConditionNode& n, const Item& item) {
  using K = ConditionNode::Kind;
  AttributeValue s0, s1, s2;
  const AttributeValue* a = Resolve(n.operands[0], item, s0);
  switch (n.kind) {
    case K::kCompare: {
      const AttributeValue* b = Resolve(n.operands[1], item, s1);
      switch (n.cmp) {
        case Tok::kEq:
          return a && b && *a == *b;
        case Tok::kNe:
          return !(a && b && *a == *b);
        default:
          break;
      }
      if (!Orderable(a, b)) return false;
      int c = Order(*a, *b);
      switch (n.cmp) {
        case Tok::kLt:
          return c < 0;
        case Tok::kLe:
          return c <= 0;
        case Tok::kGt:
          return c > 0;
        case Tok::kGe:
          return c >= 0;
        default:
          return false;
      }
    }
    case K::kBetween: {
      const AttributeValue* low = Resolve(n.operands[1], item, s1);
      const AttributeValue* high = Resolve(n.operands[2], item, s2);
      return Orderable(a, low) && Orderable(a, high) && Order(*low, *a) <= 0 &&
             Order(*a, *high) <= 0;
    }
    case K::kIn: {
      if (!a) return false;
      for (size_t i = 1; i < n.operands.size(); ++i) {
        const AttributeValue* b = Resolve(n.operands[i], item, s1);
        if (b && *a == *b) return true;
      }
      return false;
    }
    case K::kAttributeType:
      return a && a->type == n.type;
    case K::kBeginsWith: {
      const AttributeValue* b = Resolve(n.operands[1], item, s1);
      return a && b && a->type == b->type &&
             (a->type == ValueType::kS || a->type == ValueType::kB) &&
             a->bytes.compare(0, b->bytes.size(), b->bytes) == 0 &&
             a->bytes.size() >= b->bytes.size();
    }
    case K::kContains: {
      const AttributeValue* b = Resolve(n.operands[1], item, s1);
      return a && b && Contains(*a, *b);
    }
    default:
      return false;
  }
}

void CollectPaths(const ConditionNode& n, std::vector<Path>& out) {
  if (n.left) CollectPaths(*n.left, out);
  if (n.right) CollectPaths(*n.right, out);
  for (const Operand& o : n.operands) {
    if (o.kind == Operand::Kind::kPath || o.kind == Operand::Kind::kSize) out.push_back(o.path);
    if (o.call) CollectPaths(*o.call, out);
  }
}

}  // namespace

Condition::Condition() = default;
Condition::Condition(Condition&&) noexcept = default;
Condition& Condition::operator=(Condition&&) noexcept = default;
Condition::~Condition() = default;

Condition Condition::Parse(std::string_view text, Substitutions& subs, std::string_view kind) {
  Condition c;
  c.root_ = ParseConditionTree(text, subs, kind);
  return c;
}

bool Condition::Evaluate(const Item& item) const { return expr::Evaluate(*root_, item); }

std::vector<Path> Condition::Paths() const {
  std::vector<Path> out;
  CollectPaths(*root_, out);
  return out;
}

// ---- building conditions for the legacy parameters ----

namespace {

Operand PathOperand(const std::string& attribute) {
  Operand o;
  o.kind = Operand::Kind::kPath;
  PathElement e;
  e.name = attribute;
  o.path.push_back(std::move(e));
  return o;
}

Operand ValueOperand(AttributeValue v) {
  Operand o;
  o.kind = Operand::Kind::kValue;
  o.value = std::move(v);
  return o;
}

std::unique_ptr<ConditionNode> Node(ConditionNode::Kind kind, const std::string& attribute,
                                    std::vector<AttributeValue>& values) {
  auto n = std::make_unique<ConditionNode>();
  n->kind = kind;
  n->operands.push_back(PathOperand(attribute));
  for (AttributeValue& v : values) n->operands.push_back(ValueOperand(std::move(v)));
  return n;
}

}  // namespace

Condition Condition::Compare(const std::string& attribute, Comparison op,
                             std::vector<AttributeValue> operands) {
  using K = ConditionNode::Kind;
  std::vector<AttributeValue> none;
  Condition c;
  auto compare = [&](Tok t) {
    auto n = Node(K::kCompare, attribute, operands);
    n->cmp = t;
    return n;
  };
  switch (op) {
    case Comparison::kEq:
      c.root_ = compare(Tok::kEq);
      break;
    case Comparison::kNe:
      c.root_ = compare(Tok::kNe);
      break;
    case Comparison::kLe:
      c.root_ = compare(Tok::kLe);
      break;
    case Comparison::kLt:
      c.root_ = compare(Tok::kLt);
      break;
    case Comparison::kGe:
      c.root_ = compare(Tok::kGe);
      break;
    case Comparison::kGt:
      c.root_ = compare(Tok::kGt);
      break;
    case Comparison::kNotNull:
      c.root_ = Node(K::kExists, attribute, none);
      break;
    case Comparison::kNull:
      c.root_ = Node(K::kNotExists, attribute, none);
      break;
    case Comparison::kContains:
      c.root_ = Node(K::kContains, attribute, operands);
      break;
    case Comparison::kNotContains:
      // Unlike NE, NOT_CONTAINS is false when the attribute is missing.
      c.root_ = JoinNodes(K::kAnd, Node(K::kExists, attribute, none),
                          JoinNodes(K::kNot, Node(K::kContains, attribute, operands), nullptr));
      break;
    case Comparison::kBeginsWith:
      c.root_ = Node(K::kBeginsWith, attribute, operands);
      break;
    case Comparison::kIn:
      c.root_ = Node(K::kIn, attribute, operands);
      break;
    case Comparison::kBetween:
      c.root_ = Node(K::kBetween, attribute, operands);
      break;
  }
  return c;
}

Condition Condition::And(Condition a, Condition b) {
  Condition c;
  c.root_ = JoinNodes(ConditionNode::Kind::kAnd, std::move(a.root_), std::move(b.root_));
  return c;
}

Condition Condition::Or(Condition a, Condition b) {
  Condition c;
  c.root_ = JoinNodes(ConditionNode::Kind::kOr, std::move(a.root_), std::move(b.root_));
  return c;
}

}  // namespace cruddur::ddb::expr
