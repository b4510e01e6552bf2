// PartiQL's tokens, as the statement parser reads them. Private to ddb/partiql.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cruddur::ddb::partiql {

enum class Tok { kEnd, kWord, kQuoted, kString, kNumber, kParam, kPunct };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // word as written, unquoted name/string, number text, or punctuation
  size_t line = 1;   // where it starts, both from 1 (as DynamoDB's messages count)
  size_t column = 1;
};

// Splits a statement into tokens (the last one is kEnd); unterminated quotes and comments and
// unknown characters are "Statement wasn't well formed" errors.
std::vector<Token> Lex(std::string_view s);

// Whether a bare word is one of PartiQL's reserved keywords (any case).
bool IsReserved(std::string_view word);

std::string Upper(std::string_view s);
std::string Lower(std::string_view s);

}  // namespace cruddur::ddb::partiql
