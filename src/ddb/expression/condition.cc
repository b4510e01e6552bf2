// ConditionExpression / FilterExpression and KeyConditionExpression: parsing and evaluation.
#include <algorithm>
#include <cstdint>
#include <string>

#include "ddb/error.h"
#include "ddb/expression/expression.h"
#include "ddb/expression/parser.h"
#include "ddb/expression/reserved_words.h"

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

namespace {

constexpr size_t kMaxInOperands = 100;

bool IsComparator(Tok t) {
  return t == Tok::kEq || t == Tok::kNe || t == Tok::kLt || t == Tok::kLe || t == Tok::kGt ||
         t == Tok::kGe;
}

bool SamePath(const Path& a, const Path& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].index != b[i].index || a[i].name != b[i].name) return false;
  }
  return true;
}

// The type DynamoDB knows at parse time ("" when only the item can tell).
std::string StaticType(const Operand& op) {
  if (op.kind == Operand::Kind::kValue) return std::string(TypeName(op.value.type));
  if (op.kind == Operand::Kind::kSize) return "N";
  return "";
}

bool ParseTypeName(std::string_view s, ValueType* out) {
  static constexpr ValueType kTypes[] = {
      ValueType::kS, ValueType::kN, ValueType::kB,  ValueType::kBool, ValueType::kNull,
      ValueType::kM, ValueType::kL, ValueType::kSS, ValueType::kNS,   ValueType::kBS};
  for (ValueType t : kTypes) {
    if (TypeName(t) == s) {
      *out = t;
      return true;
    }
  }
  return false;
}

// Number of elements / bytes as size() counts them; false for types size() does not apply to.
bool SizeOf(const AttributeValue& v, size_t* out) {
  switch (v.type) {
    case ValueType::kS:
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
  return a && b && a->type == b->type &&
         (a->type == ValueType::kN || a->type == ValueType::kS || a->type == ValueType::kB);
}

// The words of the condition language that cannot start a document path.
bool IsConditionKeyword(std::string_view t) {
  return KeywordEquals(t, "AND") || KeywordEquals(t, "OR") || KeywordEquals(t, "NOT") ||
         KeywordEquals(t, "BETWEEN") || KeywordEquals(t, "IN");
}

class ConditionParser : public ParserBase {
 public:
  ConditionParser(std::string_view text, Substitutions& subs, std::string_view kind)
      : ParserBase(text, kind, subs) {
    value_error_class_ = ErrorClass::kAttrName;
  }

  std::unique_ptr<ConditionNode> Parse() {
    auto root = ParseOr();
    if (!At(Tok::kEof)) SyntaxErrorHere();
    CheckRedundantParens();
    ThrowRecorded({ErrorClass::kParens, ErrorClass::kUnknownFunction, ErrorClass::kMisusedFunction,
                   ErrorClass::kReserved, ErrorClass::kAttrName, ErrorClass::kOperandCount,
                   ErrorClass::kDistinct, ErrorClass::kFunction});
    return root;
  }

 protected:
  bool IsKeyword(std::string_view t) const override { return IsConditionKeyword(t); }

 private:
  static std::unique_ptr<ConditionNode> Binary(ConditionNode::Kind kind,
                                               std::unique_ptr<ConditionNode> l,
                                               std::unique_ptr<ConditionNode> r) {
    auto n = std::make_unique<ConditionNode>();
    n->kind = kind;
    n->left = std::move(l);
    n->right = std::move(r);
    return n;
  }

  // `a OR b OR ...` and `a AND b AND ...`: the terms joined as a balanced tree, so that walking
  // it (evaluation, key terms, paths, freeing) takes log2(n) levels of stack however long the
  // chain (PartiQL's translations are not held to the 300 operators).
  std::unique_ptr<ConditionNode> ParseOr() {
    return ParseChain("OR", ConditionNode::Kind::kOr, &ConditionParser::ParseAnd);
  }
  std::unique_ptr<ConditionNode> ParseAnd() {
    return ParseChain("AND", ConditionNode::Kind::kAnd, &ConditionParser::ParseNot);
  }

  // term (word term)*; a lone term (most groups) is returned as it is.
  std::unique_ptr<ConditionNode> ParseChain(
      std::string_view word, ConditionNode::Kind kind,
      std::unique_ptr<ConditionNode> (ConditionParser::*term)()) {
    auto first = (this->*term)();
    if (!AtKeyword(word)) return first;
    std::vector<std::unique_ptr<ConditionNode>> terms;
    terms.push_back(std::move(first));
    while (AtKeyword(word)) {
      ++pos_;
      CountOperator();
      terms.push_back((this->*term)());
    }
    return Balanced(kind, terms, 0, terms.size());
  }

  // REQUIRES: begin < end.
  static std::unique_ptr<ConditionNode> Balanced(ConditionNode::Kind kind,
                                                 std::vector<std::unique_ptr<ConditionNode>>& terms,
                                                 size_t begin, size_t end) {
    if (end - begin == 1) return std::move(terms[begin]);
    size_t mid = begin + (end - begin) / 2;
    auto left = Balanced(kind, terms, begin, mid);
    return Binary(kind, std::move(left), Balanced(kind, terms, mid, end));
  }

  // NOT NOT ... x: a loop, so a long run of NOTs costs no stack.
  std::unique_ptr<ConditionNode> ParseNot() {
    size_t nots = 0;
    for (; AtKeyword("NOT"); ++pos_) {
      ++nots;
      CountOperator();
    }
    Nesting nested(*this, nots);  // each NOT is one level of the tree
    auto node = ParsePrimary();
    for (; nots > 0; --nots) node = Binary(ConditionNode::Kind::kNot, std::move(node), nullptr);
    return node;
  }

  // Nested groups recurse through here, ParseOr, ParseAnd and ParseNot: these keep small frames
  // (the operands live in ParseComparison's), so that nesting costs little stack.
  std::unique_ptr<ConditionNode> ParsePrimary() {
    if (At(Tok::kLParen) && !AtParenthesisedOperand()) {
      Nesting nested(*this);
      ++pos_;
      auto inner = ParseOr();
      Expect(Tok::kRParen);
      return inner;
    }
    return ParseComparison();
  }

  // "(a) = :v" parenthesises an operand; "(a = :v)" a condition.
  bool AtParenthesisedOperand() const {
    size_t close = Peek().match;
    if (close == Token::kNoMatch) return false;
    const Token& after = tokens_[close + 1];
    return IsComparator(after.kind) ||
           (after.kind == Tok::kName &&
            (KeywordEquals(after.text, "BETWEEN") || KeywordEquals(after.text, "IN")));
  }

  [[gnu::noinline]] std::unique_ptr<ConditionNode> ParseComparison() {
    Operand first = ParseOperand();
    auto node = std::make_unique<ConditionNode>();
    if (IsComparator(Peek().kind)) {
      CountOperator();
      node->kind = ConditionNode::Kind::kCompare;
      node->cmp = Next().kind;
      std::string op(tokens_[pos_ - 1].text);
      Operand second = ParseOperand();
      CheckMisused(first);
      CheckMisused(second);
      CheckDistinct(op, first, second);
      node->operands.push_back(std::move(first));
      node->operands.push_back(std::move(second));
    } else if (AtKeyword("BETWEEN")) {
      ++pos_;
      CountOperator();
      node->kind = ConditionNode::Kind::kBetween;
      Operand low = ParseOperand();
      if (!AtKeyword("AND")) SyntaxErrorHere();
      ++pos_;
      Operand high = ParseOperand();
      CheckMisused(first);
      CheckMisused(low);
      CheckMisused(high);
      CheckBetweenBounds(low, high);
      node->operands.push_back(std::move(first));
      node->operands.push_back(std::move(low));
      node->operands.push_back(std::move(high));
    } else if (AtKeyword("IN")) {
      ++pos_;
      CountOperator();
      node->kind = ConditionNode::Kind::kIn;
      Expect(Tok::kLParen);
      CheckMisused(first);
      node->operands.push_back(std::move(first));
      while (true) {
        Operand o = ParseOperand();
        CheckMisused(o);
        node->operands.push_back(std::move(o));
        if (!At(Tok::kComma)) break;
        ++pos_;
      }
      Expect(Tok::kRParen);
      if (node->operands.size() - 1 > kMaxInOperands) {
        Record(ErrorClass::kFunction,
               "Too many operands for the IN operator; maximum: 100, number of operands: " +
                   std::to_string(node->operands.size() - 1));
      }
    } else if (first.kind == Operand::Kind::kFunction) {
      return std::move(first.call);
    } else if (first.kind == Operand::Kind::kSize) {
      Record(ErrorClass::kMisusedFunction,
             "The function is not allowed to be used this way in an expression; function: size");
      node->kind = ConditionNode::Kind::kExists;  // never evaluated: the parse fails
      node->operands.push_back(std::move(first));
    } else {
      SyntaxErrorHere();
    }
    return node;
  }

  Operand ParseOperand() {
    if (At(Tok::kLParen)) {
      Nesting nested(*this);
      ++pos_;
      Operand o = ParseOperand();
      Expect(Tok::kRParen);
      return o;
    }
    if (At(Tok::kName) && Peek(1).kind == Tok::kLParen && !IsKeyword(Peek().text)) {
      return ParseFunction();
    }
    return ParseValueOrPath();
  }

  [[gnu::noinline]] Operand ParseValueOrPath() {
    Operand o;
    if (At(Tok::kValueRef)) {
      o.kind = Operand::Kind::kValue;
      o.value = ResolveValue(Next().text);
      return o;
    }
    if (!AtPathStart()) SyntaxErrorHere();
    o.kind = Operand::Kind::kPath;
    o.path = ParsePath();
    return o;
  }

  Operand ParseFunction() {
    Nesting nested(*this);
    CountOperator();
    std::string name(Next().text);
    Expect(Tok::kLParen);
    std::vector<Operand> args;
    if (!At(Tok::kRParen)) {
      while (true) {
        args.push_back(ParseOperand());
        if (!At(Tok::kComma)) break;
        ++pos_;
      }
    }
    Expect(Tok::kRParen);
    return FunctionOperand(std::move(name), std::move(args));
  }

  // The checks and the operand of one function call (out of line: its many locals stay off the
  // recursion through nested calls).
  [[gnu::noinline]] Operand FunctionOperand(std::string name, std::vector<Operand> args) {
    Operand result;
    result.kind = Operand::Kind::kFunction;
    result.function = name;
    auto node = std::make_unique<ConditionNode>();
    size_t arity = 0;
    if (name == "attribute_exists") {
      node->kind = ConditionNode::Kind::kExists, arity = 1;
    } else if (name == "attribute_not_exists") {
      node->kind = ConditionNode::Kind::kNotExists, arity = 1;
    } else if (name == "attribute_type") {
      node->kind = ConditionNode::Kind::kAttributeType, arity = 2;
    } else if (name == "begins_with") {
      node->kind = ConditionNode::Kind::kBeginsWith, arity = 2;
    } else if (name == "contains") {
      node->kind = ConditionNode::Kind::kContains, arity = 2;
    } else if (name == "size") {
      arity = 1;
    } else if (name == "if_not_exists" || name == "list_append") {
      Record(ErrorClass::kUnknownFunction,
             "The function is not allowed in a condition expression; function: " + name);
    } else {
      Record(ErrorClass::kUnknownFunction, "Invalid function name; function: " + name);
    }
    for (const Operand& a : args) CheckMisused(a);
    if (arity == 0) {
      result.call = std::move(node);
      return result;
    }
    if (args.size() != arity) {
      Record(ErrorClass::kOperandCount,
             "Incorrect number of operands for operator or function; operator or function: " +
                 name + ", number of operands: " + std::to_string(args.size()));
      result.call = std::move(node);
      return result;
    }
    if (arity == 2) CheckDistinct(name, args[0], args[1]);
    auto type_error = [&](const std::string& type) {
      Record(ErrorClass::kFunction,
             "Incorrect operand type for operator or function; operator or function: " + name +
                 ", operand type: " + type);
    };
    switch (node->kind) {
      case ConditionNode::Kind::kExists:
      case ConditionNode::Kind::kNotExists:
        if (args[0].kind != Operand::Kind::kPath) {
          Record(ErrorClass::kFunction,
                 "Operator or function requires a document path; operator or function: " + name);
        }
        break;
      case ConditionNode::Kind::kBeginsWith:
        for (const Operand& a : args) {
          std::string t = StaticType(a);
          if (!t.empty() && t != "S" && t != "B") {
            type_error(t);
            break;
          }
        }
        break;
      case ConditionNode::Kind::kAttributeType: {
        std::string t = StaticType(args[1]);
        if (t != "S") {
          type_error(t.empty() ? "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}" : t);
        } else if (!ParseTypeName(args[1].value.bytes, &node->type)) {
          Record(ErrorClass::kFunction,
                 "Invalid attribute type name found; type: " + args[1].value.bytes +
                     ", valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
        }
        break;
      }
      default:
        break;
    }
    if (name == "size") {
      std::string t = StaticType(args[0]);
      if (t == "N" || t == "BOOL" || t == "NULL") {
        type_error(t);
        Operand placeholder;  // the parse fails; keeps misuse checks quiet about it
        placeholder.kind = Operand::Kind::kValue;
        return placeholder;
      }
      if (args[0].kind == Operand::Kind::kValue) {
        // size of a constant is a constant.
        size_t n = 0;
        SizeOf(args[0].value, &n);
        Operand c;
        c.kind = Operand::Kind::kValue;
        c.value = AttributeValue::N(std::to_string(n));
        return c;
      }
      Operand s;
      s.kind = Operand::Kind::kSize;
      s.path = std::move(args[0].path);
      return s;
    }
    node->operands = std::move(args);
    result.call = std::move(node);
    return result;
  }

  void CheckMisused(const Operand& o) {
    if (o.kind == Operand::Kind::kFunction) {
      Record(ErrorClass::kMisusedFunction,
             "The function is not allowed to be used this way in an expression; function: " +
                 o.function);
    }
  }

  void CheckDistinct(const std::string& op, const Operand& a, const Operand& b) {
    if (a.kind == Operand::Kind::kPath && b.kind == Operand::Kind::kPath &&
        SamePath(a.path, b.path)) {
      Record(ErrorClass::kDistinct,
             "The first operand must be distinct from the remaining operands for this operator "
             "or function; operator: " +
                 op + ", first operand: " + PathListString(a.path));
    }
  }

  void CheckBetweenBounds(const Operand& low, const Operand& high) {
    if (low.kind != Operand::Kind::kValue || high.kind != Operand::Kind::kValue) return;
    const AttributeValue& l = low.value;
    const AttributeValue& h = high.value;
    std::string bounds = "lower bound operand: AttributeValue: " + ValueBraceString(l) +
                         ", upper bound operand: AttributeValue: " + ValueBraceString(h);
    if (l.type != h.type) {
      Record(ErrorClass::kFunction,
             "The BETWEEN operator requires same data type for lower and upper bounds; " + bounds);
    } else if (Orderable(&l, &h) && Order(l, h) > 0) {
      Record(ErrorClass::kFunction,
             "The BETWEEN operator requires upper bound to be greater than or equal to lower "
             "bound; " +
                 bounds);
    }
  }

  void CheckRedundantParens() {
    if (HasRedundantParens()) {
      Record(ErrorClass::kParens, "The expression has redundant parentheses;");
    }
  }

  size_t CountOperatorTokens() const override {
    size_t n = ParserBase::CountOperatorTokens();
    size_t betweens = 0;  // each owns the next AND
    for (const Token& t : tokens_) {
      if (IsComparator(t.kind)) {
        ++n;
      } else if (t.kind == Tok::kName) {
        if (KeywordEquals(t.text, "BETWEEN")) {
          ++n, ++betweens;
        } else if (KeywordEquals(t.text, "AND") && betweens > 0) {
          --betweens;
        } else if (KeywordEquals(t.text, "AND") || KeywordEquals(t.text, "OR") ||
                   KeywordEquals(t.text, "NOT") || KeywordEquals(t.text, "IN")) {
          ++n;
        }
      }
    }
    return n;
  }
};

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
  c.root_ = ConditionParser(text, subs, kind).Parse();
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

std::unique_ptr<ConditionNode> Join(ConditionNode::Kind kind, std::unique_ptr<ConditionNode> l,
                                    std::unique_ptr<ConditionNode> r) {
  auto n = std::make_unique<ConditionNode>();
  n->kind = kind;
  n->left = std::move(l);
  n->right = std::move(r);
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
      c.root_ = Join(K::kAnd, Node(K::kExists, attribute, none),
                     Join(K::kNot, Node(K::kContains, attribute, operands), nullptr));
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
  c.root_ = Join(ConditionNode::Kind::kAnd, std::move(a.root_), std::move(b.root_));
  return c;
}

Condition Condition::Or(Condition a, Condition b) {
  Condition c;
  c.root_ = Join(ConditionNode::Kind::kOr, std::move(a.root_), std::move(b.root_));
  return c;
}

// ---- KeyConditionExpression ----

namespace {

[[noreturn]] void KeyError(const std::string& message) { throw ApiError::Validation(message); }

// One "key op value" term of a key condition, after the checks DynamoDB makes on its shape.
// The values point into the parsed tree or the substitutions (both outlive the terms).
using KeyTerm = KeyCondition::Term;

KeyCondition::Op CompareOp(Tok t, bool flipped) {
  switch (t) {
    case Tok::kEq:
      return KeyCondition::Op::kEq;
    case Tok::kLt:
      return flipped ? KeyCondition::Op::kGt : KeyCondition::Op::kLt;
    case Tok::kLe:
      return flipped ? KeyCondition::Op::kGe : KeyCondition::Op::kLe;
    case Tok::kGt:
      return flipped ? KeyCondition::Op::kLt : KeyCondition::Op::kGt;
    case Tok::kGe:
      return flipped ? KeyCondition::Op::kLe : KeyCondition::Op::kGe;
    default:
      return KeyCondition::Op::kNone;
  }
}

void CollectKeyTerms(const ConditionNode& n, std::vector<KeyTerm>& terms) {
  using K = ConditionNode::Kind;
  const char* invalid_op = nullptr;
  switch (n.kind) {
    case K::kAnd:
      CollectKeyTerms(*n.left, terms);
      CollectKeyTerms(*n.right, terms);
      return;
    case K::kOr:
      invalid_op = "OR";
      break;
    case K::kNot:
      invalid_op = "NOT";
      break;
    case K::kIn:
      invalid_op = "IN";
      break;
    case K::kCompare:
      if (n.cmp == Tok::kNe) invalid_op = "<>";
      break;
    case K::kExists:
      invalid_op = "attribute_exists";
      break;
    case K::kNotExists:
      invalid_op = "attribute_not_exists";
      break;
    case K::kAttributeType:
      invalid_op = "attribute_type";
      break;
    case K::kContains:
      invalid_op = "contains";
      break;
    default:
      break;
  }
  if (invalid_op) {
    KeyError(std::string("Invalid operator used in KeyConditionExpression: ") + invalid_op);
  }
  for (const Operand& o : n.operands) {
    if (o.kind == Operand::Kind::kSize) {
      KeyError("KeyConditionExpressions cannot contain nested operations");
    }
  }
  if ((n.kind == K::kBetween || n.kind == K::kBeginsWith) &&
      n.operands[0].kind != Operand::Kind::kPath) {
    KeyError(std::string("Invalid condition in KeyConditionExpression: ") +
             (n.kind == K::kBetween ? "BETWEEN" : "begins_with") +
             " operator must have the key attribute as its first operand");
  }
  const Operand* path = nullptr;
  size_t path_index = 0;
  for (size_t i = 0; i < n.operands.size(); ++i) {
    if (n.operands[i].kind != Operand::Kind::kPath) continue;
    if (path) {
      KeyError(
          "Invalid condition in KeyConditionExpression: Multiple attribute names used in "
          "one condition");
    }
    if (n.operands[i].path.size() > 1) {
      KeyError("KeyConditionExpressions cannot have conditions on nested attributes");
    }
    path = &n.operands[i];
    path_index = i;
  }
  if (!path) KeyError("Invalid condition in KeyConditionExpression: No key attribute specified");
  KeyTerm term;
  term.attribute = path->path[0].name;
  for (const KeyTerm& t : terms) {
    if (t.attribute == term.attribute) {
      KeyError("KeyConditionExpressions must only contain one condition per key");
    }
  }
  if (n.kind == K::kCompare) {
    term.op = CompareOp(n.cmp, path_index != 0);
    term.low = &n.operands[path_index == 0 ? 1 : 0].value;
  } else if (n.kind == K::kBetween) {
    term.op = KeyCondition::Op::kBetween;
    term.low = &n.operands[1].value;
    term.high = &n.operands[2].value;
  } else {
    term.op = KeyCondition::Op::kBeginsWith;
    term.low = &n.operands[1].value;
  }
  terms.push_back(std::move(term));
}

// The shapes nearly every Query uses, "k = :v" and "k = :v AND r <op> :w" (k and r a name or a
// #name, op one of = < <= > >=), read straight off the tokens: the same terms the parser and
// CollectKeyTerms give, without building the tree (most of a small Query's request work).
// Returns false for any other shape, and for anything the parser reports (a keyword, reserved
// or undefined name, an undefined value, one key twice): the caller then parses the text, which
// raises DynamoDB's error. Marks the names and values it resolves used, as the parser does.
bool SimpleKeyTerms(std::string_view text, Substitutions& subs, std::vector<KeyTerm>& terms) {
  const std::vector<Token> tokens = Lex(text);  // ends with kEof, which no step below consumes
  size_t i = 0;
  auto term = [&]() {
    KeyTerm term;
    const Token& name = tokens[i];
    if (name.kind == Tok::kNameRef) {
      const std::string* resolved = subs.FindName(name.text);
      if (!resolved) return false;
      term.attribute = *resolved;
    } else if (name.kind == Tok::kName && !IsConditionKeyword(name.text) &&
               !IsReservedWord(name.text)) {
      term.attribute = name.text;
    } else {
      return false;
    }
    term.op = CompareOp(tokens[++i].kind, false);
    if (term.op == KeyCondition::Op::kNone || tokens[++i].kind != Tok::kValueRef) return false;
    const AttributeValue* value = subs.FindValue(tokens[i++].text);
    if (!value) return false;
    for (const KeyTerm& t : terms) {
      if (t.attribute == term.attribute) return false;
    }
    term.low = value;
    terms.push_back(std::move(term));
    return true;
  };
  if (!term()) return false;
  if (tokens[i].kind == Tok::kName && KeywordEquals(tokens[i].text, "AND")) {
    ++i;
    if (!term()) return false;
  }
  return tokens[i].kind == Tok::kEof;
}

}  // namespace

KeyCondition KeyCondition::Parse(std::string_view text, Substitutions& subs,
                                 const std::string& hash_key, const std::string& range_key) {
  std::vector<std::string> range_keys;
  if (!range_key.empty()) range_keys.push_back(range_key);
  return Parse(text, subs, std::vector<std::string>{hash_key}, range_keys);
}

KeyCondition KeyCondition::Parse(std::string_view text, Substitutions& subs,
                                 const std::vector<std::string>& hash_keys,
                                 const std::vector<std::string>& range_keys) {
  CheckExpressionSize(text, "KeyConditionExpression");
  std::vector<KeyTerm> terms;
  std::unique_ptr<ConditionNode> root;  // holds the values of the terms it gave
  if (!SimpleKeyTerms(text, subs, terms)) {
    terms.clear();
    root = ConditionParser(text, subs, "KeyConditionExpression").Parse();
    CollectKeyTerms(*root, terms);
  }
  if (hash_keys.size() > 1 || range_keys.size() > 1) {
    return ResolveMultiAttribute(terms, hash_keys, range_keys);
  }
  const std::string& hash_key = hash_keys.front();
  const std::string range_key = range_keys.empty() ? std::string() : range_keys.front();
  KeyCondition kc;
  const KeyTerm* hash = nullptr;
  const KeyTerm* range = nullptr;
  bool other = false;
  for (const KeyTerm& t : terms) {
    if (t.attribute == hash_key) {
      hash = &t;
    } else if (!range_key.empty() && t.attribute == range_key) {
      range = &t;
    } else {
      other = true;
    }
  }
  if (!hash) KeyError("Query condition missed key schema element: " + hash_key);
  if (other) {
    if (!range_key.empty() && !range) {
      KeyError("Query condition missed key schema element: " + range_key);
    }
    KeyError("Query key condition not supported");
  }
  if (hash->op != Op::kEq) KeyError("Query key condition not supported");
  kc.hash_value = *hash->low;
  if (range) {
    kc.range_op = range->op;
    kc.range_low = *range->low;
    if (range->high) kc.range_high = *range->high;
  }
  return kc;
}

// RANGE refusals in DynamoDB's words (seen answering so in 2026; the same in DynamoDB Local
// 3.3). Its words for a HASH attribute without `=` are not published beyond naming HASH and
// equality (ScyllaDB's tests, run against DynamoDB); these follow the RANGE message.
KeyCondition KeyCondition::ResolveMultiAttribute(const std::vector<Term>& terms,
                                                 const std::vector<std::string>& hash_keys,
                                                 const std::vector<std::string>& range_keys) {
  auto find = [&](const std::string& name) -> const Term* {
    for (const Term& t : terms) {
      if (t.attribute == name) return &t;
    }
    return nullptr;
  };
  KeyCondition kc;
  for (size_t i = 0; i < hash_keys.size(); ++i) {
    const Term* h = find(hash_keys[i]);
    if (hash_keys.size() > 1 && (!h || h->op != Op::kEq)) {
      KeyError("HASH key attributes " + hash_keys[i] +
               " must have equality conditions specified in the query");
    }
    if (!h) KeyError("Query condition missed key schema element: " + hash_keys[i]);
    if (h->op != Op::kEq) KeyError("Query key condition not supported");
    (i == 0 ? kc.hash_value : kc.more_hash_values.emplace_back()) = *h->low;
  }
  for (const Term& t : terms) {
    bool key = std::find(hash_keys.begin(), hash_keys.end(), t.attribute) != hash_keys.end() ||
               std::find(range_keys.begin(), range_keys.end(), t.attribute) != range_keys.end();
    if (!key) KeyError("Query key condition not supported");
  }
  // Each RANGE attribute with a condition needs `=` on every one before it.
  const Term* last = nullptr;
  for (size_t later = 0; later < range_keys.size(); ++later) {
    const Term* t = find(range_keys[later]);
    if (!t) continue;
    for (size_t prior = 0; prior < later; ++prior) {
      const Term* p = find(range_keys[prior]);
      if (!p || p->op != Op::kEq) {
        KeyError("RANGE key attributes " + range_keys[prior] +
                 " must have equality conditions specified in the query because a condition is "
                 "present on key attribute " +
                 range_keys[later]);
      }
    }
    if (last) kc.range_prefix.push_back(*last->low);
    last = t;
  }
  if (last) {
    kc.range_op = last->op;
    kc.range_low = *last->low;
    if (last->high) kc.range_high = *last->high;
  }
  return kc;
}

std::vector<AttributeValue> KeyCondition::HashValues() const {
  std::vector<AttributeValue> out{hash_value};
  out.insert(out.end(), more_hash_values.begin(), more_hash_values.end());
  return out;
}

}  // namespace cruddur::ddb::expr
