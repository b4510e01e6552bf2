#include "ddb/expression/lexer.h"

#include <algorithm>

namespace cruddur::ddb::expr {
namespace {

// ASCII only, as in the C locale, without a call per character.
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
// A bare name starts with a letter: DynamoDB reads a leading '_' as a token of its own, a syntax
// error ("token: \"_\""), while '_' inside a name or after '#' or ':' is part of it.
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsNamePart(char c) { return IsNameStart(c) || IsDigit(c) || c == '_'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void MatchParens(std::vector<Token>& tokens) {
  std::vector<size_t> open;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].kind == Tok::kLParen) {
      open.push_back(i);
    } else if (tokens[i].kind == Tok::kRParen && !open.empty()) {
      tokens[i].match = open.back();
      tokens[open.back()].match = i;
      open.pop_back();
    }
  }
}

}  // namespace

bool KeywordEquals(std::string_view text, std::string_view upper_keyword) {
  if (text.size() != upper_keyword.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (AsciiUpper(text[i]) != upper_keyword[i]) return false;
  }
  return true;
}

std::vector<Token> Lex(std::string_view text) {
  std::vector<Token> tokens;
  // Most expressions are a few tokens ("pk = :pk AND sk > :s" is 8 with kEof): one allocation.
  tokens.reserve(std::min<size_t>(text.size() + 1, 16));
  size_t i = 0;
  const size_t n = text.size();
  auto add = [&](Tok kind, size_t begin, size_t end) {
    Token t;
    t.kind = kind;
    t.begin = begin;
    t.end = end;
    t.text = text.substr(begin, end - begin);
    tokens.push_back(t);
  };
  while (i < n) {
    char c = text[i];
    if (IsSpace(c)) {
      ++i;
      continue;
    }
    size_t start = i;
    if (IsNameStart(c)) {
      while (i < n && IsNamePart(text[i])) ++i;
      add(Tok::kName, start, i);
    } else if (IsDigit(c)) {
      while (i < n && IsDigit(text[i])) ++i;
      add(Tok::kNumber, start, i);
    } else if (c == '#' || c == ':') {
      ++i;
      while (i < n && IsNamePart(text[i])) ++i;
      // A lone '#' or ':' names nothing: DynamoDB reports it as the offending token.
      add(i - start > 1 ? (c == '#' ? Tok::kNameRef : Tok::kValueRef) : Tok::kUnknown, start, i);
    } else if (c == '<') {
      if (i + 1 < n && text[i + 1] == '>') {
        i += 2;
        add(Tok::kNe, start, i);
      } else if (i + 1 < n && text[i + 1] == '=') {
        i += 2;
        add(Tok::kLe, start, i);
      } else {
        ++i;
        add(Tok::kLt, start, i);
      }
    } else if (c == '>') {
      if (i + 1 < n && text[i + 1] == '=') {
        i += 2;
        add(Tok::kGe, start, i);
      } else {
        ++i;
        add(Tok::kGt, start, i);
      }
    } else {
      Tok kind = Tok::kUnknown;
      switch (c) {
        case '(':
          kind = Tok::kLParen;
          break;
        case ')':
          kind = Tok::kRParen;
          break;
        case '[':
          kind = Tok::kLBracket;
          break;
        case ']':
          kind = Tok::kRBracket;
          break;
        case ',':
          kind = Tok::kComma;
          break;
        case '.':
          kind = Tok::kDot;
          break;
        case '=':
          kind = Tok::kEq;
          break;
        case '+':
          kind = Tok::kPlus;
          break;
        case '-':
          kind = Tok::kMinus;
          break;
        default:
          break;
      }
      ++i;
      if (kind == Tok::kUnknown) {
        // Keep a whole UTF-8 sequence together so the message shows the character.
        while (i < n && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
      }
      add(kind, start, i);
    }
  }
  add(Tok::kEof, n, n);
  tokens.back().text = "<EOF>";
  MatchParens(tokens);
  return tokens;
}

}  // namespace cruddur::ddb::expr
