// PartiQL statements: literals (and bound parameters), WHERE conditions and SET values.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ddb/error.h"
#include "ddb/partiql/parser_impl.h"

namespace cruddur::ddb::partiql {

// --- literals ---
AttributeValue Parser::Param() {
  if (next_param_ >= params_.size()) {
    throw ApiError::Validation("Number of parameters in request and statement don't match.");
  }
  return params_[next_param_++];
}

bool Parser::AtLiteral() const {
  const Token& t = Peek();
  // A number may carry a sign: +5, -5, +-5 (DynamoDB accepts a + only before a number).
  const bool plus_number = IsPunct("+") && (Peek(1).kind == Tok::kNumber ||
                                            (IsPunct("-", 1) && Peek(2).kind == Tok::kNumber));
  return t.kind == Tok::kString || t.kind == Tok::kNumber || t.kind == Tok::kParam ||
         IsPunct("{") || IsPunct("[") || IsPunct("<<") || IsPunct("-") || plus_number ||
         IsWord("TRUE") || IsWord("FALSE") || IsWord("NULL");
}

void Parser::SkipPlusSign() {
  if (IsPunct("+") && (Peek(1).kind == Tok::kNumber || IsPunct("-", 1))) Next();
}

AttributeValue Parser::ParseLiteralAt(const std::string& step) {
  const size_t length = literal_path_.size();
  literal_path_ += step;
  ++literal_levels_;
  AttributeValue v = ParseLiteral();
  --literal_levels_;
  literal_path_.resize(length);
  return v;
}

AttributeValue Parser::ParseLiteral() {
  SkipPlusSign();
  const Token& t = Peek();
  switch (t.kind) {
    case Tok::kString:
      Next();
      return AttributeValue::S(t.text);
    case Tok::kNumber:
      Next();
      return AttributeValue::N(t.text);
    case Tok::kParam:
      if (literal_levels_ > 0) {
        throw ApiError::Validation(
            fmt::format("Unsupported data type: Parameter under key root{} at {}:{}:1",
                        literal_path_, t.line, t.column));
      }
      Next();
      return Param();
    default:
      break;
  }
  if (Accept("-")) {
    if (Peek().kind != Tok::kNumber) Unexpected();
    AttributeValue v = AttributeValue::N("-" + Next().text);
    return v;
  }
  if (AcceptWord("TRUE")) return AttributeValue::Bool(true);
  if (AcceptWord("FALSE")) return AttributeValue::Bool(false);
  if (AcceptWord("NULL")) return AttributeValue::Null();
  if (Accept("{")) {
    Nesting nested(*this);
    const bool item = std::exchange(insert_item_, false);
    Item m;
    if (!Accept("}")) {
      do {
        const Token& k = Next();
        if (k.kind != Tok::kString) {
          if (k.kind == Tok::kEnd) ThrowMalformed("Unexpected end of statement");
          ThrowUnsupported(
              fmt::format("Tuple keys must be of type String. Actual type: {} "
                          "under item",
                          k.kind == Tok::kNumber ? "DECIMAL" : "UNKNOWN"));
        }
        std::string key = k.text;
        Expect(":");
        AttributeValue v = item ? ParseLiteral() : ParseLiteralAt("." + key);
        if (!m.emplace(key, std::move(v)).second) {
          ThrowUnsupported(fmt::format("Duplicate keys in tuple. Key: {} under item", key));
        }
      } while (Accept(","));
      Expect("}");
    }
    return AttributeValue::M(std::move(m));
  }
  if (Accept("[")) {
    Nesting nested(*this);
    List l;
    if (!Accept("]")) {
      do l.push_back(ParseLiteralAt("." + std::to_string(l.size())));
      while (Accept(","));
      Expect("]");
    }
    return AttributeValue::L(std::move(l));
  }
  if (Accept("<<")) {
    std::vector<std::string> strings;
    std::vector<Number> numbers;
    if (!Accept(">>")) {
      do {
        SkipPlusSign();
        const Token& e = Peek();
        bool negative = false;
        if (IsPunct("-") && Peek(1).kind == Tok::kNumber) {
          Next();
          negative = true;
        }
        const Token& v = Next();
        if (v.kind == Tok::kString && !negative) {
          strings.push_back(v.text);
        } else if (v.kind == Tok::kNumber) {
          numbers.push_back(Number::Parse((negative ? "-" : "") + v.text));
        } else if (e.kind == Tok::kEnd) {
          ThrowMalformed("Unexpected end of statement");
        } else {
          ThrowUnsupported(
              "Unsupported data type in Bag. DynamoDB only supports either numbers "
              "or strings in bags");
        }
      } while (Accept(","));
      Expect(">>");
    }
    if (strings.empty() && numbers.empty()) ThrowUnsupported("Empty bags are not supported");
    // A set holds each value once (numbers by value: <<1, 1.0>> repeats one).
    auto repeats = [](auto values) {  // a sorted copy: the set keeps the order written
      std::sort(values.begin(), values.end());
      return std::adjacent_find(values.begin(), values.end()) != values.end();
    };
    if (repeats(strings) || repeats(numbers)) {
      throw ApiError::Validation("Input collection contains duplicates");
    }
    if (!strings.empty() && !numbers.empty()) {
      ThrowUnsupported(
          "Unsupported data type in Bag. DynamoDB only supports either numbers or "
          "strings in bags");
    }
    if (!strings.empty()) return AttributeValue::SS(std::move(strings));
    return AttributeValue::NS(std::move(numbers));
  }
  Unexpected();
}

std::unique_ptr<Condition> Parser::ParseChain(std::string_view word, Condition::Kind kind) {
  auto first = kind == Condition::Kind::kOr ? ParseAnd() : ParseNot();
  if (!IsWord(word)) return first;
  auto chain = std::make_unique<Condition>();
  chain->kind = kind;
  chain->children.push_back(std::move(first));
  while (AcceptWord(word)) {
    chain->children.push_back(kind == Condition::Kind::kOr ? ParseAnd() : ParseNot());
  }
  return chain;
}

std::unique_ptr<Condition> Parser::ParseNot() {
  size_t nots = 0;
  while (AcceptWord("NOT")) ++nots;
  Nesting nested(*this, nots);  // each NOT is one level of the tree
  auto c = ParsePredicate();
  for (; nots > 0; --nots) {
    auto n = std::make_unique<Condition>();
    n->kind = Condition::Kind::kNot;
    n->children.push_back(std::move(c));
    c = std::move(n);
  }
  return c;
}

bool Parser::AtFunction(std::string_view lower) const {
  return (Peek().kind == Tok::kWord && Lower(Peek().text) == lower) && IsPunct("(", 1);
}

Operand Parser::ParseOperand() {
  Operand o;
  if (AtFunction("size")) {
    Next();
    Next();
    o.kind = Operand::Kind::kSize;
    o.path = ParsePath();
    Expect(")");
  } else if (AcceptWord("MISSING")) {
    o.kind = Operand::Kind::kMissing;
  } else if (AtLiteral()) {
    o.kind = Operand::Kind::kValue;
    o.value = ParseLiteral();
  } else if (AtName()) {
    if (IsPunct("(", 1)) {
      throw ApiError::Validation(fmt::format("Unrecognized function: {}", Peek().text));
    }
    o.kind = Operand::Kind::kPath;
    o.path = ParsePath();
  } else {
    Unexpected();
  }
  return o;
}

void Parser::CheckNotMissing(const Operand& o) {
  if (o.kind == Operand::Kind::kMissing) {
    ThrowUnsupported("MISSING must be compared using IS operator");
  }
}

std::unique_ptr<Condition> Parser::ParsePredicate() {
  static const char* kFunctions[] = {"begins_with", "contains", "attribute_exists",
                                     "attribute_not_exists", "attribute_type"};
  auto c = std::make_unique<Condition>();
  for (const char* f : kFunctions) {
    if (!AtFunction(f)) continue;
    Next();
    Next();
    c->kind = Condition::Kind::kFunction;
    c->op = f;
    if (!Accept(")")) {
      do {
        c->operands.push_back(ParseOperand());
        CheckNotMissing(c->operands.back());
      } while (Accept(","));
      Expect(")");
    }
    return c;
  }
  if (IsPunct("(")) {
    Nesting nested(*this);
    Next();
    auto inner = ParseOr();
    Expect(")");
    return inner;
  }
  Operand left = ParseOperand();
  if (AcceptWord("IS")) {
    c->negated = AcceptWord("NOT");
    c->operands.push_back(std::move(left));
    if (AcceptWord("MISSING")) {
      c->kind = Condition::Kind::kIsMissing;
      return c;
    }
    static const std::pair<const char*, const char*> kTypes[] = {
        {"NULL", "NULL"}, {"BOOLEAN", "BOOL"}, {"BOOL", "BOOL"}, {"STRING", "S"}, {"NUMERIC", "N"},
        {"NUMBER", "N"},  {"BLOB", "B"},       {"STRUCT", "M"},  {"TUPLE", "M"},  {"LIST", "L"}};
    std::string type = Upper(Peek().text);
    for (const auto& [partiql_name, ddb_name] : kTypes) {
      if (type == partiql_name) {
        Next();
        c->kind = Condition::Kind::kIsType;
        c->op = ddb_name;
        return c;
      }
    }
    ThrowUnsupported(
        fmt::format("Unsupported data type for IS operator: {}. Supported data "
                    "types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, "
                    "STRUCT, TUPLE, LIST]",
                    type));
  }
  CheckNotMissing(left);
  bool negated = false;
  if (IsWord("NOT") && (IsWord("IN", 1) || IsWord("BETWEEN", 1))) {
    Next();
    negated = true;
  }
  if (AcceptWord("BETWEEN")) {
    c->kind = Condition::Kind::kBetween;
    c->operands.push_back(std::move(left));
    c->operands.push_back(ParseOperand());
    ExpectWord("AND");
    c->operands.push_back(ParseOperand());
    for (const auto& o : c->operands) CheckNotMissing(o);
  } else if (AcceptWord("IN")) {
    c->kind = Condition::Kind::kIn;
    c->operands.push_back(std::move(left));
    std::string close;
    if (Accept("["))
      close = "]";
    else if (Accept("("))
      close = ")";
    if (close.empty()) {
      // `a IN ?` with a list parameter.
      AttributeValue v = ParseLiteral();
      if (v.type != ValueType::kL || v.list.empty()) {
        ThrowUnsupported(
            "IN operator must have a left hand argument of type Variable "
            "Reference and right hand argument of type Seq with at least one "
            "member");
      }
      for (auto& e : v.list) c->operands.push_back({Operand::Kind::kValue, {}, std::move(e)});
    } else {
      if (IsPunct(close)) {
        ThrowUnsupported(
            "IN operator must have a left hand argument of type Variable "
            "Reference and right hand argument of type Seq with at least one "
            "member");
      }
      do {
        c->operands.push_back(ParseOperand());
        CheckNotMissing(c->operands.back());
      } while (Accept(","));
      Expect(close);
    }
  } else {
    static const char* kOps[] = {"=", "<>", "!=", "<", "<=", ">", ">="};
    std::string op;
    for (const char* o : kOps) {
      if (IsPunct(o)) op = o;
    }
    if (op.empty()) {
      if (IsWord("LIKE"))
        ThrowUnsupported("Unsupported operator in Condition Expression. Operator: LIKE");
      Unexpected();
    }
    Next();
    c->kind = Condition::Kind::kCompare;
    c->op = op == "!=" ? "<>" : op;
    c->operands.push_back(std::move(left));
    c->operands.push_back(ParseOperand());
    CheckNotMissing(c->operands.back());
  }
  if (negated) {
    auto n = std::make_unique<Condition>();
    n->kind = Condition::Kind::kNot;
    n->children.push_back(std::move(c));
    return n;
  }
  return c;
}

// --- SET values ---
SetValue Parser::ParseSetTerm() {
  SetValue v;
  static const char* kCalls[] = {"list_append", "if_not_exists", "set_add", "set_delete"};
  for (const char* f : kCalls) {
    if (!AtFunction(f)) continue;
    Nesting nested(*this);
    Next();
    Next();
    v.kind = SetValue::Kind::kCall;
    v.function = f;
    if (!Accept(")")) {
      do v.args.push_back(ParseSetValue());
      while (Accept(","));
      Expect(")");
    }
    return v;
  }
  if (Accept("(")) {
    Nesting nested(*this);
    v = ParseSetValue();
    Expect(")");
    return v;
  }
  v.kind = SetValue::Kind::kOperand;
  v.operand = ParseOperand();
  if (v.operand.kind == Operand::Kind::kSize) {
    throw ApiError::Validation(
        "The function is not allowed in an update expression; function: size");
  }
  CheckNotMissing(v.operand);
  return v;
}

SetValue Parser::ParseSetValue() {
  SetValue left = ParseSetTerm();
  // `a + b + c` nests to the left: each operator is one more level of the tree.
  size_t operators = 0;
  while (IsPunct("+") || IsPunct("-")) {
    Nesting nested(*this, ++operators);
    SetValue op;
    op.kind = Next().text == "+" ? SetValue::Kind::kPlus : SetValue::Kind::kMinus;
    op.args.push_back(std::move(left));
    op.args.push_back(ParseSetTerm());
    left = std::move(op);
  }
  if (IsWord("IS")) ThrowUnsupported("IS operator is not supported in update expressions");
  return left;
}

}  // namespace cruddur::ddb::partiql
