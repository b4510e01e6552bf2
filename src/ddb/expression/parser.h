// The machinery shared by the expression parsers: a token cursor with DynamoDB's syntax-error
// format, document-path parsing, and DynamoDB's ordering of semantic errors. Private to the
// expression library.
#pragma once

#include <array>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/expression/expression.h"
#include "ddb/expression/lexer.h"

namespace cruddur::ddb::expr {

// Semantic errors are collected while parsing and the first of the highest-priority class is
// reported once the whole expression parsed, as DynamoDB does (a syntax error always wins).
enum class ErrorClass {
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
  kOperand,
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
  // Parses a document path: (name | #name) ('.' (name | #name) | '[' digits ']')*.
  Path ParsePath();
  // Resolves ":v" (recording DynamoDB's error when undefined); returns a NULL value then.
  AttributeValue ResolveValue(std::string_view token);

  void Record(ErrorClass c, std::string message) {
    auto& slot = errors_[static_cast<size_t>(c)];
    if (!slot) slot = std::move(message);
  }
  bool Has(ErrorClass c) const { return errors_[static_cast<size_t>(c)].has_value(); }
  // Throws the first recorded error in `order` (with the "Invalid <kind>: " prefix), if any.
  void ThrowRecorded(std::initializer_list<ErrorClass> order) const;
  // Records the overlap/conflict error of DynamoDB when `path` shares a prefix with an
  // earlier path of `seen`, then adds it.
  void CheckOverlap(std::vector<Path>& seen, const Path& path);

  std::string_view text_;
  std::string kind_;
  Substitutions& subs_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  // Conditions report undefined names and values in one slot (whichever came first).
  ErrorClass value_error_class_ = ErrorClass::kAttrValue;

 private:
  std::array<std::optional<std::string>, static_cast<size_t>(ErrorClass::kCount)> errors_;
};

// "[a, b, [2], c]": DynamoDB's rendering of a path in overlap/conflict messages.
std::string PathListString(const Path& path);

// DynamoDB's rendering "{N:5}" of a constant in BETWEEN messages.
std::string ValueBraceString(const AttributeValue& v);

// The value at `path` in `item`, or null when some element is missing or of the wrong type.
const AttributeValue* FindPath(const Item& item, const Path& path);

}  // namespace cruddur::ddb::expr
