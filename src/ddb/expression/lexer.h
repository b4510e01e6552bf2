// The tokens shared by every DynamoDB expression language. Private to the expression library.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace cruddur::ddb::expr {

enum class Tok {
  kEof,
  kName,      // attribute name, keyword or function name: [A-Za-z_][A-Za-z0-9_]*
  kNameRef,   // #name
  kValueRef,  // :value
  kNumber,    // [0-9]+ (list indexes)
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kDot,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kPlus,
  kMinus,
  kUnknown,  // any other character: always a syntax error
};

struct Token {
  Tok kind = Tok::kEof;
  size_t begin = 0;  // byte offsets into the expression text
  size_t end = 0;
  std::string_view text;
  // For kLParen / kRParen: index of the matching parenthesis, or kNoMatch.
  size_t match = kNoMatch;
  static constexpr size_t kNoMatch = static_cast<size_t>(-1);
};

// Splits `text` into tokens; the last one is always kEof (at text.size()). Never throws: a
// character that starts no token becomes a kUnknown token for the parser to report.
std::vector<Token> Lex(std::string_view text);

// `c` upper-cased as the C locale does (ASCII letters only), without a libc call.
inline char AsciiUpper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

// Case-insensitive comparison of a token text with an upper-case keyword.
bool KeywordEquals(std::string_view text, std::string_view upper_keyword);

}  // namespace cruddur::ddb::expr
