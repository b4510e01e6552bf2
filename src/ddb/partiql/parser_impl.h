// The PartiQL statement parser's class, whose members are defined in parser.cc (statements,
// paths) and parser_expressions.cc (literals, conditions, SET values). Private to ddb/partiql.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/expression/stack_budget.h"
#include "ddb/partiql/lexer.h"
#include "ddb/partiql/parser.h"

namespace cruddur::ddb::partiql {

// Our bound on nesting: parenthesised conditions, NOT, map and list literals, function calls
// and arithmetic in SET, the only ways the parser (and the code walking its tree) recurse.
// DynamoDB documents none; real statements stay far below it, and it keeps the translated
// expressions under the expression parser's own bound (expr::kMaxNesting).
constexpr size_t kMaxNesting = 200;

// A statement DynamoDB understands but does not run: `what` is its message.
[[noreturn]] void ThrowUnsupported(std::string_view what);

class Parser {
 public:
  Parser(std::string_view text, const std::vector<AttributeValue>& params)
      : toks_(Lex(text)), params_(params) {}

  // Held while parsing one nested level; past kMaxNesting (or this thread's stack budget) the
  // statement is refused.
  class Nesting : public expr::NestingDepth {
   public:
    explicit Nesting(Parser& p, size_t levels = 1)
        : NestingDepth(p.depth_, levels, kMaxNesting, p.stack_, [] {
            ThrowMalformed(fmt::format("Statement nested deeper than {} levels", kMaxNesting));
          }) {}
  };
  Statement ParseStatement();

 private:
  // --- token helpers ---
  const Token& Peek(size_t ahead = 0) const {
    return toks_[std::min(pos_ + ahead, toks_.size() - 1)];
  }
  const Token& Next() {
    const Token& t = Peek();
    if (pos_ < toks_.size() - 1) ++pos_;
    return t;
  }
  bool IsWord(std::string_view upper, size_t ahead = 0) const {
    return Peek(ahead).kind == Tok::kWord && Upper(Peek(ahead).text) == upper;
  }
  bool IsPunct(std::string_view p, size_t ahead = 0) const {
    return Peek(ahead).kind == Tok::kPunct && Peek(ahead).text == p;
  }
  bool AcceptWord(std::string_view upper) {
    if (!IsWord(upper)) return false;
    Next();
    return true;
  }
  bool Accept(std::string_view p) {
    if (!IsPunct(p)) return false;
    Next();
    return true;
  }
  void Expect(std::string_view p) {
    if (!Accept(p)) Unexpected();
  }
  void ExpectWord(std::string_view upper) {
    if (!AcceptWord(upper)) Unexpected();
  }
  [[noreturn]] void Unexpected() const {
    const Token& t = Peek();
    switch (t.kind) {
      case Tok::kEnd:
        ThrowMalformed("Unexpected end of statement");
      case Tok::kWord:
        if (IsReserved(t.text)) ThrowMalformed(fmt::format("Unexpected keyword: {}", t.text));
        ThrowMalformed(fmt::format("Unexpected identifier: {}", t.text));
      default:
        ThrowMalformed(fmt::format("Unexpected token: {}", t.text));
    }
  }

  // A name: a bare identifier that is not a keyword, or a double-quoted one.
  bool AtName() const {
    return Peek().kind == Tok::kQuoted || (Peek().kind == Tok::kWord && !IsReserved(Peek().text));
  }
  std::string ParseName() {
    if (!AtName()) Unexpected();
    return Next().text;
  }

  void ParseTable(Statement* st, bool allow_index);

  // --- statements ---
  Statement ParseSelect();
  Statement StartWrite(Statement::Kind kind, std::initializer_list<const char*> words);
  Statement ParseInsert();
  Statement ParseUpdate();
  Statement ParseDelete();

  // RETURNING ( ALL | MODIFIED ) ( OLD | NEW ) *
  void ParseReturning(Statement* st, bool delete_only);

  // --- paths ---
  Path ParsePath();

 private:
  // --- literals ---
  AttributeValue Param();
  bool AtLiteral() const;
  AttributeValue ParseLiteral();
  AttributeValue ParseLiteralAt(const std::string& step);  // one element of a collection
  void SkipPlusSign();  // the + of +5 or +-5, before a number literal (in a bag too)

  // --- conditions ---
  // `a OR b OR c` and `a AND b AND c` are one node with a child each, so a long chain makes a
  // wide tree, not a deep one.
  std::unique_ptr<Condition> ParseOr() { return ParseChain("OR", Condition::Kind::kOr); }
  std::unique_ptr<Condition> ParseAnd() { return ParseChain("AND", Condition::Kind::kAnd); }
  std::unique_ptr<Condition> ParseChain(std::string_view word, Condition::Kind kind);
  std::unique_ptr<Condition> ParseNot();
  bool AtFunction(std::string_view lower) const;
  Operand ParseOperand();
  static void CheckNotMissing(const Operand& o);
  std::unique_ptr<Condition> ParsePredicate();

  // --- SET values ---
  SetValue ParseSetTerm();
  SetValue ParseSetValue();
  std::vector<Token> toks_;
  size_t pos_ = 0;
  size_t depth_ = 0;  // nesting levels open now (see Nesting)
  expr::StackBudget stack_;
  const std::vector<AttributeValue>& params_;
  size_t next_param_ = 0;
  // Where ParseLiteral is inside collection literals: ".0" for a list's first element, ".k" for
  // a map's key k, one per collection open (an INSERT's item is no collection: its attributes
  // are the roots). A parameter there is refused, as DynamoDB refuses it.
  std::string literal_path_;
  size_t literal_levels_ = 0;
  bool insert_item_ = false;  // the next map literal is an INSERT's item
};

}  // namespace cruddur::ddb::partiql
