// PartiQL's lexer and reserved words.
#include "ddb/partiql/lexer.h"

#include <fmt/format.h>

#include <cctype>
#include <set>

#include "ddb/partiql/parser.h"

namespace cruddur::ddb::partiql {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// PartiQL reserves SQL-92's keywords and a few of its own: as a bare name they are a syntax
// error (DynamoDB refuses `WHERE pad = 1`), in double quotes they are plain names.
bool IsReserved(std::string_view word) {
  static const std::set<std::string, std::less<>> kWords = {"ABSOLUTE",
                                                            "ACTION",
                                                            "ADD",
                                                            "ALL",
                                                            "ALLOCATE",
                                                            "ALTER",
                                                            "AND",
                                                            "ANY",
                                                            "ARE",
                                                            "AS",
                                                            "ASC",
                                                            "ASSERTION",
                                                            "AT",
                                                            "AUTHORIZATION",
                                                            "AVG",
                                                            "BEGIN",
                                                            "BETWEEN",
                                                            "BIT",
                                                            "BIT_LENGTH",
                                                            "BOTH",
                                                            "BY",
                                                            "CASCADE",
                                                            "CASCADED",
                                                            "CASE",
                                                            "CAST",
                                                            "CATALOG",
                                                            "CHAR",
                                                            "CHARACTER",
                                                            "CHARACTER_LENGTH",
                                                            "CHAR_LENGTH",
                                                            "CHECK",
                                                            "CLOSE",
                                                            "COALESCE",
                                                            "COLLATE",
                                                            "COLLATION",
                                                            "COLUMN",
                                                            "COMMIT",
                                                            "CONNECT",
                                                            "CONNECTION",
                                                            "CONSTRAINT",
                                                            "CONSTRAINTS",
                                                            "CONTINUE",
                                                            "CONVERT",
                                                            "CORRESPONDING",
                                                            "COUNT",
                                                            "CREATE",
                                                            "CROSS",
                                                            "CURRENT",
                                                            "CURRENT_DATE",
                                                            "CURRENT_TIME",
                                                            "CURRENT_TIMESTAMP",
                                                            "CURRENT_USER",
                                                            "CURSOR",
                                                            "DATE",
                                                            "DAY",
                                                            "DEALLOCATE",
                                                            "DEC",
                                                            "DECIMAL",
                                                            "DECLARE",
                                                            "DEFAULT",
                                                            "DEFERRABLE",
                                                            "DEFERRED",
                                                            "DELETE",
                                                            "DESC",
                                                            "DESCRIBE",
                                                            "DESCRIPTOR",
                                                            "DIAGNOSTICS",
                                                            "DISCONNECT",
                                                            "DISTINCT",
                                                            "DOMAIN",
                                                            "DOUBLE",
                                                            "DROP",
                                                            "ELSE",
                                                            "END",
                                                            "ESCAPE",
                                                            "EXCEPT",
                                                            "EXCEPTION",
                                                            "EXEC",
                                                            "EXECUTE",
                                                            "EXISTS",
                                                            "EXTERNAL",
                                                            "EXTRACT",
                                                            "FALSE",
                                                            "FETCH",
                                                            "FIRST",
                                                            "FLOAT",
                                                            "FOR",
                                                            "FOREIGN",
                                                            "FOUND",
                                                            "FROM",
                                                            "FULL",
                                                            "GET",
                                                            "GLOBAL",
                                                            "GO",
                                                            "GOTO",
                                                            "GRANT",
                                                            "GROUP",
                                                            "HAVING",
                                                            "HOUR",
                                                            "IDENTITY",
                                                            "IMMEDIATE",
                                                            "IN",
                                                            "INDICATOR",
                                                            "INITIALLY",
                                                            "INNER",
                                                            "INPUT",
                                                            "INSENSITIVE",
                                                            "INSERT",
                                                            "INT",
                                                            "INTEGER",
                                                            "INTERSECT",
                                                            "INTERVAL",
                                                            "INTO",
                                                            "IS",
                                                            "ISOLATION",
                                                            "JOIN",
                                                            "KEY",
                                                            "LANGUAGE",
                                                            "LAST",
                                                            "LEADING",
                                                            "LEFT",
                                                            "LEVEL",
                                                            "LIKE",
                                                            "LIMIT",
                                                            "LOCAL",
                                                            "LOWER",
                                                            "MATCH",
                                                            "MAX",
                                                            "MIN",
                                                            "MINUTE",
                                                            "MISSING",
                                                            "MODULE",
                                                            "MONTH",
                                                            "NAMES",
                                                            "NATIONAL",
                                                            "NATURAL",
                                                            "NCHAR",
                                                            "NEXT",
                                                            "NO",
                                                            "NOT",
                                                            "NULL",
                                                            "NULLIF",
                                                            "NUMERIC",
                                                            "OCTET_LENGTH",
                                                            "OF",
                                                            "ON",
                                                            "ONLY",
                                                            "OPEN",
                                                            "OPTION",
                                                            "OR",
                                                            "ORDER",
                                                            "OUTER",
                                                            "OUTPUT",
                                                            "OVERLAPS",
                                                            "PAD",
                                                            "PARTIAL",
                                                            "PIVOT",
                                                            "POSITION",
                                                            "PRECISION",
                                                            "PREPARE",
                                                            "PRESERVE",
                                                            "PRIMARY",
                                                            "PRIOR",
                                                            "PRIVILEGES",
                                                            "PROCEDURE",
                                                            "PUBLIC",
                                                            "READ",
                                                            "REAL",
                                                            "REFERENCES",
                                                            "RELATIVE",
                                                            "REMOVE",
                                                            "RESTRICT",
                                                            "RETURNING",
                                                            "REVOKE",
                                                            "RIGHT",
                                                            "ROLLBACK",
                                                            "ROWS",
                                                            "SCHEMA",
                                                            "SCROLL",
                                                            "SECOND",
                                                            "SECTION",
                                                            "SELECT",
                                                            "SESSION",
                                                            "SESSION_USER",
                                                            "SET",
                                                            "SIZE",
                                                            "SMALLINT",
                                                            "SOME",
                                                            "SPACE",
                                                            "SQL",
                                                            "SQLCODE",
                                                            "SQLERROR",
                                                            "SQLSTATE",
                                                            "SUBSTRING",
                                                            "SUM",
                                                            "SYSTEM_USER",
                                                            "TABLE",
                                                            "TEMPORARY",
                                                            "THEN",
                                                            "TIME",
                                                            "TIMESTAMP",
                                                            "TIMEZONE_HOUR",
                                                            "TIMEZONE_MINUTE",
                                                            "TO",
                                                            "TRAILING",
                                                            "TRANSACTION",
                                                            "TRANSLATE",
                                                            "TRANSLATION",
                                                            "TRIM",
                                                            "TRUE",
                                                            "UNION",
                                                            "UNIQUE",
                                                            "UNKNOWN",
                                                            "UNPIVOT",
                                                            "UPDATE",
                                                            "UPPER",
                                                            "USAGE",
                                                            "USER",
                                                            "USING",
                                                            "VALUE",
                                                            "VALUES",
                                                            "VARCHAR",
                                                            "VARYING",
                                                            "VIEW",
                                                            "WHEN",
                                                            "WHENEVER",
                                                            "WHERE",
                                                            "WITH",
                                                            "WORK",
                                                            "WRITE",
                                                            "YEAR",
                                                            "ZONE"};
  return kWords.count(Upper(word)) > 0;
}

std::vector<Token> Lex(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  size_t at = 0;  // where the token being read starts
  // Where `counted` is: columns count characters (code points), as DynamoDB's positions do, so
  // UTF-8's continuation bytes are not counted. Advanced once over the text, token by token.
  size_t line = 1, column = 1, counted = 0;
  auto push = [&](Tok kind, std::string text) {
    for (; counted < at; ++counted) {
      const auto b = static_cast<unsigned char>(s[counted]);
      if (b == '\n') {
        ++line;
        column = 1;
      } else if ((b & 0xC0) != 0x80) {
        ++column;
      }
    }
    out.push_back({kind, std::move(text), line, column});
  };
  auto quoted = [&](char q) {
    std::string text;
    ++i;
    for (;;) {
      if (i >= s.size()) ThrowMalformed("Unterminated quoted text");
      if (s[i] == q) {
        if (i + 1 < s.size() && s[i + 1] == q) {  // '' or "" escapes the quote
          text += q;
          i += 2;
          continue;
        }
        ++i;
        return text;
      }
      text += s[i++];
    }
  };
  while (i < s.size()) {
    char c = s[i];
    at = i;
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      size_t end = s.find("*/", i + 2);
      if (end == std::string_view::npos) ThrowMalformed("Unterminated comment");
      i = end + 2;
    } else if (c == '\'') {
      push(Tok::kString, quoted('\''));
    } else if (c == '"') {
      push(Tok::kQuoted, quoted('"'));
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$') {
      size_t start = i;
      while (i < s.size() &&
             (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '$')) {
        ++i;
      }
      push(Tok::kWord, std::string(s.substr(start, i - start)));
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < s.size() &&
                std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      size_t start = i;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      }
      if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        size_t save = i++;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        if (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
          while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
        } else {
          i = save;
        }
      }
      push(Tok::kNumber, std::string(s.substr(start, i - start)));
    } else if (c == '?') {
      push(Tok::kParam, "?");
      ++i;
    } else {
      static const char* kTwo[] = {"<>", "!=", "<=", ">=", "<<", ">>", "||"};
      std::string two(s.substr(i, 2));
      bool matched = false;
      for (const char* t : kTwo) {
        if (two == t) {
          push(Tok::kPunct, two);
          i += 2;
          matched = true;
          break;
        }
      }
      if (matched) continue;
      if (std::string_view(",.()[]{}:;*+-=<>/%").find(c) == std::string_view::npos) {
        ThrowMalformed(fmt::format("Unexpected character '{}'", c));
      }
      push(Tok::kPunct, std::string(1, c));
      ++i;
    }
  }
  at = s.size();
  push(Tok::kEnd, "");
  return out;
}

}  // namespace cruddur::ddb::partiql
