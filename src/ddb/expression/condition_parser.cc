// ConditionExpression / FilterExpression (and KeyConditionExpression's general form): the parser
// and the checks DynamoDB makes while parsing.
#include <cstdint>
#include <string>

#include "ddb/error.h"
#include "ddb/expression/condition_tree.h"
#include "ddb/expression/expression.h"
#include "ddb/expression/parser.h"
#include "ddb/expression/reserved_words.h"

namespace cruddur::ddb::expr {
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
    return JoinNodes(kind, std::move(left), Balanced(kind, terms, mid, end));
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
    for (; nots > 0; --nots) node = JoinNodes(ConditionNode::Kind::kNot, std::move(node), nullptr);
    return node;
  }

  // Nested groups recurse through here, ParseOr, ParseAnd and ParseNot: these keep small frames
  // (the operands live in ParseComparison's), so that nesting costs little stack.
  std::unique_ptr<ConditionNode> ParsePrimary() {
    if (At(Tok::kLParen) && !AtParenthesisedOperand())
      return Parenthesized([&] { return ParseOr(); });
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
      if (node->cmp != Tok::kEq && node->cmp != Tok::kNe) CheckOrderable(op, {&first, &second});
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
      CheckDistinct("BETWEEN", first, low);
      CheckDistinct("BETWEEN", first, high);
      if (CheckOrderable("BETWEEN", {&first, &low, &high})) CheckBetweenBounds(low, high);
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
      ParseCommaList([&] {
        Operand o = ParseOperand();
        CheckMisused(o);
        CheckDistinct("IN", node->operands.front(), o);
        node->operands.push_back(std::move(o));
      });
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
    if (At(Tok::kLParen)) return Parenthesized([&] { return ParseOperand(); });
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
    // "f()" is a syntax error at the ')'.
    ParseCommaList([&] { args.push_back(ParseOperand()); });
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
      if (name == "size") {
        // Still a size operand: misplaced only where no size may stand ("size(a, b) = :v" is
        // told by its operand count, "size(a, b)" alone as misused).
        Operand s;
        s.kind = Operand::Kind::kSize;
        if (args[0].kind == Operand::Kind::kPath) s.path = std::move(args[0].path);
        return s;
      }
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

  // DynamoDB orders only S, N and B: an ordering comparison or BETWEEN with a constant of any
  // other type is refused before any item is read, whatever the rest of the expression does.
  // Returns false when it recorded that error.
  bool CheckOrderable(const std::string& op, std::initializer_list<const Operand*> operands) {
    for (const Operand* o : operands) {
      // A constant's type is known now; size() is a number; a path's type is the item's.
      if (o->kind == Operand::Kind::kValue && !o->value.is_ordered()) {
        Record(ErrorClass::kFunction,
               "Incorrect operand type for operator or function; operator or function: " + op +
                   ", operand type: " + std::string(TypeName(o->value.type)));
        return false;
      }
    }
    return true;
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

}  // namespace

std::unique_ptr<ConditionNode> JoinNodes(ConditionNode::Kind kind, std::unique_ptr<ConditionNode> l,
                                         std::unique_ptr<ConditionNode> r) {
  auto n = std::make_unique<ConditionNode>();
  n->kind = kind;
  n->left = std::move(l);
  n->right = std::move(r);
  return n;
}

// The words of the condition language that cannot start a document path.
bool IsConditionKeyword(std::string_view t) {
  return KeywordEquals(t, "AND") || KeywordEquals(t, "OR") || KeywordEquals(t, "NOT") ||
         KeywordEquals(t, "BETWEEN") || KeywordEquals(t, "IN");
}

std::unique_ptr<ConditionNode> ParseConditionTree(std::string_view text, Substitutions& subs,
                                                  std::string_view kind) {
  return ConditionParser(text, subs, kind).Parse();
}

}  // namespace cruddur::ddb::expr
