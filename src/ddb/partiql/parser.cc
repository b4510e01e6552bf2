#include "ddb/partiql/parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "ddb/error.h"
#include "ddb/expression/stack_budget.h"

namespace cruddur::ddb::partiql {

std::string ProjectionLabel(const Path& p) {
  size_t last = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (!p[i].is_index()) last = i;
  }
  std::string label = p[last].name;
  for (size_t i = last + 1; i < p.size(); ++i) label += fmt::format("[{}]", p[i].index);
  return label;
}

void ThrowMalformed(std::string_view detail) {
  throw ApiError::Validation(
      fmt::format("Statement wasn't well formed, can't be processed: {}", detail));
}

namespace {

// Our bound on nesting: parenthesised conditions, NOT, map and list literals, function calls
// and arithmetic in SET, the only ways the parser (and the code walking its tree) recurse.
// DynamoDB documents none; real statements stay far below it, and it keeps the translated
// expressions under the expression parser's own bound (expr::kMaxNesting).
constexpr size_t kMaxNesting = 200;

[[noreturn]] void ThrowUnsupported(std::string_view what) {
  throw ApiError::Validation(std::string(what));
}

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

// --- lexer ---

enum class Tok { kEnd, kWord, kQuoted, kString, kNumber, kParam, kPunct };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // word as written, unquoted name/string, number text, or punctuation
};

std::vector<Token> Lex(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
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
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      size_t end = s.find("*/", i + 2);
      if (end == std::string_view::npos) ThrowMalformed("Unterminated comment");
      i = end + 2;
    } else if (c == '\'') {
      out.push_back({Tok::kString, quoted('\'')});
    } else if (c == '"') {
      out.push_back({Tok::kQuoted, quoted('"')});
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$') {
      size_t start = i;
      while (i < s.size() &&
             (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '$')) {
        ++i;
      }
      out.push_back({Tok::kWord, std::string(s.substr(start, i - start))});
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
      out.push_back({Tok::kNumber, std::string(s.substr(start, i - start))});
    } else if (c == '?') {
      out.push_back({Tok::kParam, "?"});
      ++i;
    } else {
      static const char* kTwo[] = {"<>", "!=", "<=", ">=", "<<", ">>", "||"};
      std::string two(s.substr(i, 2));
      bool matched = false;
      for (const char* t : kTwo) {
        if (two == t) {
          out.push_back({Tok::kPunct, two});
          i += 2;
          matched = true;
          break;
        }
      }
      if (matched) continue;
      if (std::string_view(",.()[]{}:;*+-=<>/%").find(c) == std::string_view::npos) {
        ThrowMalformed(fmt::format("Unexpected character '{}'", c));
      }
      out.push_back({Tok::kPunct, std::string(1, c)});
      ++i;
    }
  }
  out.push_back({Tok::kEnd, ""});
  return out;
}

// --- parser ---

class Parser {
 public:
  Parser(std::string_view text, const std::vector<AttributeValue>& params)
      : toks_(Lex(text)), params_(params) {}

  // Held while parsing one nested level; past kMaxNesting (or this thread's stack budget) the
  // statement is refused.
  class Nesting {
   public:
    explicit Nesting(Parser& p, size_t levels = 1) : p_(p), levels_(levels) {
      p_.depth_ += levels;
      if (p_.depth_ > kMaxNesting || p_.stack_.Exhausted()) {
        ThrowMalformed(fmt::format("Statement nested deeper than {} levels", kMaxNesting));
      }
    }
    ~Nesting() { p_.depth_ -= levels_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;

   private:
    Parser& p_;
    size_t levels_;
  };

  Statement ParseStatement() {
    Statement st;
    if (IsWord("SELECT")) {
      st = ParseSelect();
    } else if (IsWord("INSERT")) {
      st = ParseInsert();
    } else if (IsWord("UPDATE")) {
      st = ParseUpdate();
    } else if (IsWord("DELETE")) {
      st = ParseDelete();
    } else if (IsWord("EXISTS")) {
      Next();
      Expect("(");
      if (!IsWord("SELECT")) Unexpected();
      st = ParseSelect();
      Expect(")");
      st.kind = Statement::Kind::kExists;
    } else if (IsWord("UPSERT") || IsWord("REPLACE") || IsWord("CREATE") || IsWord("DROP") ||
               IsWord("ALTER")) {
      ThrowUnsupported(fmt::format("Unsupported operation: {}", Upper(Peek().text)));
    } else {
      Unexpected();
    }
    Accept(";");
    if (Peek().kind != Tok::kEnd) Unexpected();
    return st;
  }

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

  void ParseTable(Statement* st, bool allow_index) {
    st->table = ParseName();
    if (Accept(".")) {
      st->index = ParseName();
      if (!allow_index) {
        ThrowUnsupported(
            "FROM clause may only contain a single table name in data manipulation "
            "statements");
      }
      if (IsPunct("."))
        ThrowUnsupported("A path may contain at most 2 components in the FROM clause");
    }
    if (st->table.size() < 3 || st->table.size() > 255 ||
        !std::all_of(st->table.begin(), st->table.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
        })) {
      ThrowUnsupported(
          "Table name should be within the length [3, 255] and only contain 'a-z', "
          "'A-Z', '0-9', '-', '_', '.'.");
    }
  }

  // --- statements ---
  Statement ParseSelect() {
    Statement st;
    st.kind = Statement::Kind::kSelect;
    ExpectWord("SELECT");
    if (IsWord("DISTINCT")) ThrowUnsupported("Unsupported token in expression: DISTINCT");
    if (IsWord("VALUE") || IsWord("PIVOT")) {
      ThrowUnsupported("Select projection doesn't support value or pivot keywords");
    }
    if (Accept("*")) {
      if (IsPunct(",")) {
        ThrowUnsupported(
            "Other attributes should not be present in the projection when '*' is "
            "used.");
      }
    } else {
      std::set<std::string> names;
      do {
        if (IsPunct("*")) {
          ThrowUnsupported(
              "Other attributes should not be present in the projection when '*' "
              "is used.");
        }
        if (Peek().kind == Tok::kWord && IsPunct("(", 1)) {
          ThrowUnsupported(
              fmt::format("Unsupported operation: function {} in the projection", Peek().text));
        }
        Path p = ParsePath();
        if (IsWord("AS") || AtName()) {
          ThrowUnsupported("Aliasing is not supported");
        }
        std::string label = ProjectionLabel(p);
        if (!names.insert(label).second) {
          ThrowUnsupported(fmt::format("Duplicate identifiers in select clause: {}", label));
        }
        st.projection.push_back(std::move(p));
      } while (Accept(","));
    }
    ExpectWord("FROM");
    ParseTable(&st, /*allow_index=*/true);
    if (IsPunct(",") || IsWord("JOIN") || IsWord("CROSS") || IsWord("INNER") || IsWord("LEFT")) {
      ThrowUnsupported("Only select from a single table or index is supported.");
    }
    if (AcceptWord("WHERE")) st.where = ParseOr();
    if (IsWord("GROUP")) ThrowUnsupported("Unsupported clause: GROUP BY");
    if (IsWord("HAVING")) ThrowUnsupported("Unsupported clause: HAVING");
    if (AcceptWord("ORDER")) {
      ExpectWord("BY");
      Path p = ParsePath();
      if (p.size() != 1) {
        ThrowUnsupported(
            fmt::format("Variable reference {} in ORDER BY clause must be part of "
                        "the primary key",
                        ProjectionLabel(p)));
      }
      st.order_by = p[0].name;
      if (AcceptWord("DESC"))
        st.descending = true;
      else
        AcceptWord("ASC");
      if (!st.where) {
        ThrowUnsupported("Must have WHERE clause in the statement when using ORDER BY clause.");
      }
    }
    if (IsWord("LIMIT")) ThrowUnsupported("Unsupported clause: LIMIT");
    if (IsWord("OFFSET")) ThrowUnsupported("Unsupported clause: OFFSET");
    return st;
  }

  Statement ParseInsert() {
    Statement st;
    st.kind = Statement::Kind::kInsert;
    ExpectWord("INSERT");
    ExpectWord("INTO");
    ParseTable(&st, /*allow_index=*/false);
    if (IsWord("VALUES") || IsPunct("<<")) {
      ThrowUnsupported(
          "Unsupported operation: Inserting multiple items in a single statement is "
          "not supported, use \"INSERT INTO tableName VALUE item\" instead");
    }
    ExpectWord("VALUE");
    if (!IsPunct("{") && Peek().kind != Tok::kParam) {
      if (IsPunct("[") || Peek().kind == Tok::kString || Peek().kind == Tok::kNumber) {
        ThrowUnsupported(
            "Unsupported format in item expression. Please use struct format {...} "
            "to express item values for insert statement.");
      }
      Unexpected();
    }
    st.item = ParseLiteral();
    if (st.item.type != ValueType::kM) {
      ThrowUnsupported(
          "Unsupported format in item expression. Please use struct format {...} to "
          "express item values for insert statement.");
    }
    if (IsWord("AT")) ThrowUnsupported("AT is not supported in insert statements.");
    if (IsWord("RETURNING")) ThrowUnsupported("RETURNING is not supported in INSERT");
    if (IsWord("FROM") || IsWord("WHERE")) {
      ThrowUnsupported("Unsupported FROM ... WHERE ... clause in INSERT statement.");
    }
    return st;
  }

  Statement ParseUpdate() {
    Statement st;
    st.kind = Statement::Kind::kUpdate;
    ExpectWord("UPDATE");
    ParseTable(&st, /*allow_index=*/false);
    for (;;) {
      if (AcceptWord("SET")) {
        do {
          UpdateAction a;
          a.kind = UpdateAction::Kind::kSet;
          a.path = ParsePath();
          Expect("=");
          a.value = ParseSetValue();
          st.updates.push_back(std::move(a));
        } while (Accept(","));
      } else if (AcceptWord("REMOVE")) {
        do {
          UpdateAction a;
          a.kind = UpdateAction::Kind::kRemove;
          a.path = ParsePath();
          st.updates.push_back(std::move(a));
        } while (Accept(","));
      } else if (IsWord("ADD") || IsWord("DELETE")) {
        ThrowUnsupported("Only SET and REMOVE are supported in update expressions at this time");
      } else {
        break;
      }
    }
    if (st.updates.empty()) Unexpected();
    ExpectWord("WHERE");
    st.where = ParseOr();
    ParseReturning(&st, /*delete_only=*/false);
    return st;
  }

  Statement ParseDelete() {
    Statement st;
    st.kind = Statement::Kind::kDelete;
    ExpectWord("DELETE");
    ExpectWord("FROM");
    ParseTable(&st, /*allow_index=*/false);
    ExpectWord("WHERE");
    st.where = ParseOr();
    ParseReturning(&st, /*delete_only=*/true);
    return st;
  }

  // RETURNING ( ALL | MODIFIED ) ( OLD | NEW ) *
  void ParseReturning(Statement* st, bool delete_only) {
    if (!AcceptWord("RETURNING")) return;
    std::string which = Upper(Next().text);
    std::string age = Upper(Next().text);
    if ((which != "ALL" && which != "MODIFIED") || (age != "OLD" && age != "NEW")) Unexpected();
    if (!Accept("*")) {
      ThrowUnsupported("Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause");
    }
    if (delete_only && (which != "ALL" || age != "OLD")) {
      ThrowUnsupported(
          fmt::format("Invalid returning clause: RETURNING {} {} *. Only RETURNING ALL "
                      "OLD * is allowed in DELETE statements.",
                      which, age));
    }
    st->returning = (which == "ALL" ? "ALL_" : "UPDATED_") + age;
  }

  // --- paths ---
  Path ParsePath() {
    Path p;
    p.push_back({ParseName(), -1});
    for (;;) {
      if (Accept(".")) {
        if (IsPunct("*")) ThrowUnsupported("Unpivot path component like a.*.b are not supported");
        p.push_back({ParseName(), -1});
      } else if (IsPunct("[")) {
        Next();
        if (IsPunct("*")) ThrowUnsupported("Wildcard path component like a[*].b are not supported");
        const Token& t = Next();
        if (t.kind == Tok::kNumber) {
          if (t.text.find_first_not_of("0123456789") != std::string::npos || t.text.size() > 9) {
            ThrowUnsupported(
                fmt::format("List index is not within the allowable range; index: "
                            "[{}]",
                            t.text));
          }
          p.push_back({"", std::stoll(t.text)});
        } else if (t.kind == Tok::kString) {
          if (t.text.empty()) ThrowUnsupported("Path component cannot be an empty string");
          p.push_back({t.text, -1});
        } else {
          --pos_;
          Unexpected();
        }
        Expect("]");
      } else {
        return p;
      }
    }
  }

 private:
  // --- literals ---
  AttributeValue Param() {
    if (next_param_ >= params_.size()) {
      throw ApiError::Validation("Number of parameters in request and statement don't match.");
    }
    return params_[next_param_++];
  }

  bool AtLiteral() const {
    const Token& t = Peek();
    return t.kind == Tok::kString || t.kind == Tok::kNumber || t.kind == Tok::kParam ||
           IsPunct("{") || IsPunct("[") || IsPunct("<<") || IsPunct("-") || IsWord("TRUE") ||
           IsWord("FALSE") || IsWord("NULL");
  }

  AttributeValue ParseLiteral() {
    const Token& t = Peek();
    switch (t.kind) {
      case Tok::kString:
        Next();
        return AttributeValue::S(t.text);
      case Tok::kNumber:
        Next();
        return AttributeValue::N(t.text);
      case Tok::kParam:
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
          AttributeValue v = ParseLiteral();
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
        do l.push_back(ParseLiteral());
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

  // --- conditions ---
  // `a OR b OR c` and `a AND b AND c` are one node with a child each, so a long chain makes a
  // wide tree, not a deep one.
  std::unique_ptr<Condition> ParseOr() { return ParseChain("OR", Condition::Kind::kOr); }
  std::unique_ptr<Condition> ParseAnd() { return ParseChain("AND", Condition::Kind::kAnd); }
  std::unique_ptr<Condition> ParseChain(std::string_view word, Condition::Kind kind) {
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
  std::unique_ptr<Condition> ParseNot() {
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

  bool AtFunction(std::string_view lower) const {
    return (Peek().kind == Tok::kWord && Lower(Peek().text) == lower) && IsPunct("(", 1);
  }

  Operand ParseOperand() {
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

  static void CheckNotMissing(const Operand& o) {
    if (o.kind == Operand::Kind::kMissing) {
      ThrowUnsupported("MISSING must be compared using IS operator");
    }
  }

  std::unique_ptr<Condition> ParsePredicate() {
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
          {"NULL", "NULL"}, {"BOOLEAN", "BOOL"}, {"BOOL", "BOOL"}, {"STRING", "S"},
          {"NUMERIC", "N"}, {"NUMBER", "N"},     {"BLOB", "B"},    {"STRUCT", "M"},
          {"TUPLE", "M"},   {"LIST", "L"}};
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
  SetValue ParseSetTerm() {
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
      throw ApiError::Validation("Unrecognized function: size");
    }
    CheckNotMissing(v.operand);
    return v;
  }

  SetValue ParseSetValue() {
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

  std::vector<Token> toks_;
  size_t pos_ = 0;
  size_t depth_ = 0;  // nesting levels open now (see Nesting)
  expr::StackBudget stack_;
  const std::vector<AttributeValue>& params_;
  size_t next_param_ = 0;
};

}  // namespace

Statement Parse(std::string_view text, const std::vector<AttributeValue>& parameters) {
  return Parser(text, parameters).ParseStatement();
}

}  // namespace cruddur::ddb::partiql
