// The machinery shared by the expression parsers: a token cursor with DynamoDB's syntax-error
// format, document-path parsing, and DynamoDB's ordering of semantic errors. Private to the
// expression library.
#pragma once

#include <array>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ddb/expression/expression.h"
#include "ddb/expression/lexer.h"
#include "ddb/expression/stack_budget.h"

namespace cruddur::ddb::expr {

// DynamoDB's documented limits on one expression: 4 KB of text as sent (names and values are not
// substituted first), 300 operators and functions, document paths of 32 elements.
constexpr size_t kMaxExpressionBytes = 4096;
constexpr size_t kMaxOperators = 300;
constexpr size_t kMaxPathDepth = 32;
// Our own bound on nesting (parenthesised groups and operands, function calls, runs of NOT): the
// only ways the parsers recurse or the trees grow deep. DynamoDB documents none: its other limits
// leave room for about 2 levels per operator (600) only in contrived expressions, and real ones
// stay under 20. It keeps the parse, the evaluation and the destruction of a tree within a small
// stack whatever the input.
constexpr size_t kMaxNesting = 400;

// "Invalid <kind>: Expression size has exceeded the maximum allowed size..." when `text` is over
// kMaxExpressionBytes (and not inside a ClientLimitsExempt scope).
void CheckExpressionSize(std::string_view text, std::string_view kind);

// Semantic errors are collected while parsing and the first of the highest-priority class is
// reported once the whole expression parsed, as DynamoDB does (a syntax error always wins).
enum class ErrorClass {
  kListAppendPlace,  // reported first (after syntax errors and the operator count)
  kPathDepth,        // then this
  kParens,
  kUnknownFunction,
  kMisusedFunction,
  kReserved,
  kSection,
  kAttrName,
  kAttrValue,
  kOperandCount,
  kDistinct,
  kPathOverlap,
  kPathConflict,
  // An update action's operand types and counts: the last action's error is reported (see
  // UpdateParser).
  kFunction,
  kCount,
};

class ParserBase {
 public:
  // `kind` is the request member ("ConditionExpression", "UpdateExpression", ...); throws
  // "Invalid <kind>: The expression can not be empty;" for a blank text.
  ParserBase(std::string_view text, std::string_view kind, Substitutions& subs);

 protected:
  const Token& Peek(size_t ahead = 0) const {
    size_t i = pos_ + ahead;
    return i < tokens_.size() ? tokens_[i] : tokens_.back();
  }
  const Token& Next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool At(Tok kind) const { return Peek().kind == kind; }
  bool AtKeyword(std::string_view upper) const {
    return At(Tok::kName) && KeywordEquals(Peek().text, upper);
  }
  void Expect(Tok kind) {
    if (!At(kind)) SyntaxErrorHere();
    ++pos_;
  }
  // Syntax error; token: "<tok>", near: "<previous token .. next token>".
  [[noreturn]] void SyntaxError(size_t token_index) const;
  [[noreturn]] void SyntaxErrorHere() const { SyntaxError(pos_); }
  [[noreturn]] void Fail(const std::string& message) const;  // "Invalid <kind>: <message>"

  // Whether the name token at `ahead` is a keyword of this language (it can't start a path).
  virtual bool IsKeyword(std::string_view text) const = 0;

  // True when the current token can start a document path.
  bool AtPathStart() const {
    return At(Tok::kNameRef) || (At(Tok::kName) && !IsKeyword(Peek().text));
  }
  // Parses a document path: (name | #name) ('.' (name | #name) | '[' digits ']')*. Records
  // DynamoDB's error for a path of more than kMaxPathDepth elements.
  Path ParsePath();

  // `item {, item}`: calls `each` for every item of a comma-separated list (at least one).
  template <typename Each>
  void ParseCommaList(Each each) {
    while (true) {
      each();
      if (!At(Tok::kComma)) return;
      ++pos_;
    }
  }

  // What `parse()` reads between the "(" at hand and its ")", as one nested level.
  template <class Parse>
  auto Parenthesized(Parse&& parse) {
    Nesting nested(*this);
    ++pos_;
    auto inner = parse();
    Expect(Tok::kRParen);
    return inner;
  }

  // One operator or function of the expression, against kMaxOperators.
  void CountOperator() { ++operators_; }

  // Held while parsing one nested level; past kMaxNesting, or past this thread's StackBudget,
  // the parse stops with the error DynamoDB gives such an expression (see TooDeep).
  class Nesting : public NestingDepth {
   public:
    explicit Nesting(ParserBase& p, size_t levels = 1)
        : NestingDepth(p.depth_, levels, kMaxNesting, p.stack_, [&p] { p.TooDeep(); }) {}
  };
  // The operators and functions a token scan finds (used when the parse stops too deep): here
  // function calls, + and -; conditions add their comparators and keywords.
  virtual size_t CountOperatorTokens() const;
  // "((x))" anywhere (function-call and IN-list parentheses aside): DynamoDB refuses a
  // parenthesis pair directly inside another.
  bool HasRedundantParens() const;
  // Resolves ":v" (recording DynamoDB's error when undefined); returns a NULL value then.
  AttributeValue ResolveValue(std::string_view token);

  void Record(ErrorClass c, std::string message) {
    auto& slot = errors_[static_cast<size_t>(c)];
    if (!slot) slot = std::move(message);
  }
  bool Has(ErrorClass c) const { return errors_[static_cast<size_t>(c)].has_value(); }
  // The recorded error of class `c`, taken out of its slot.
  std::optional<std::string> Take(ErrorClass c) {
    return std::exchange(errors_[static_cast<size_t>(c)], std::nullopt);
  }
  // Throws the operator-count or path-depth error, else the first recorded error in `order`
  // (with the "Invalid <kind>: " prefix), if any.
  void ThrowRecorded(std::initializer_list<ErrorClass> order) const;
  // Records the overlap/conflict error of DynamoDB when `path` shares a prefix with an
  // earlier path of `seen`, then adds it. REQUIRES: `seen` is only ever added to here.
  void CheckOverlap(std::vector<Path>& seen, const Path& path);

  std::string_view text_;
  std::string kind_;
  Substitutions& subs_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  // Conditions report undefined names and values in one slot (whichever came first).
  ErrorClass value_error_class_ = ErrorClass::kAttrValue;

 private:
  // An expression nested past kMaxNesting: one with redundant parentheses or over
  // kMaxOperators (which any such expression is, short of contrived ones), reported as
  // DynamoDB reports those; otherwise our own message naming the bound.
  [[noreturn]] void TooDeep() const;
  // "The expression contains too many operators; operator count: 301".
  [[noreturn]] void TooManyOperators() const;

  std::array<std::optional<std::string>, static_cast<size_t>(ErrorClass::kCount)> errors_;
  size_t operators_ = 0;
  size_t depth_ = 0;
  // CheckOverlap's index: the positions in `seen` of the paths of each top-level attribute.
  std::unordered_map<std::string, std::vector<size_t>> paths_by_top_;
  StackBudget stack_;
};

// "[a, b, [2], c]": DynamoDB's rendering of a path in overlap/conflict messages.
std::string PathListString(const Path& path);

// DynamoDB's rendering "{N:5}" of a constant in BETWEEN messages.
std::string ValueBraceString(const AttributeValue& v);

// The value at `path` in `item`, or null when some element is missing or of the wrong type.
const AttributeValue* FindPath(const Item& item, const Path& path);
// The same, for changing the value in place.
AttributeValue* FindPath(Item& item, const Path& path);

}  // namespace cruddur::ddb::expr
