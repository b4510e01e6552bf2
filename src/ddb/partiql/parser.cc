// PartiQL statements: the parser's entry point, statement clauses and document paths. Its
// lexer is lexer.cc, its literals, conditions and SET values parser_expressions.cc.
#include "ddb/partiql/parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "ddb/error.h"
#include "ddb/partiql/parser_impl.h"

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

void ThrowUnsupported(std::string_view what) { throw ApiError::Validation(std::string(what)); }

Statement Parser::ParseStatement() {
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
  } else if (Peek().kind == Tok::kWord) {
    // A word that starts no statement (`SLECT ...`): DynamoDB's answer, in
    // nubo-db/dynamodb-conformance.
    ThrowMalformed("Expected data manipulation");
  } else {
    Unexpected();
  }
  Accept(";");
  if (Peek().kind != Tok::kEnd) Unexpected();
  return st;
}

void Parser::ParseTable(Statement* st, bool allow_index) {
  st->table = ParseName();
  bool qualified = false;
  if (Accept(".")) {
    qualified = true;
    st->index = ParseName();
    // INSERT refuses a qualifier where it reads it; UPDATE and DELETE once the path is whole
    // (DynamoDB, in nubo-db/dynamodb-conformance; DynamoDB Local alike).
    if (!allow_index && st->kind == Statement::Kind::kInsert) {
      ThrowUnsupported(
          "FROM clause may only contain a single table name in data manipulation "
          "statements");
    }
    if (IsPunct("."))
      ThrowUnsupported("A path may contain at most 2 components in the FROM clause");
  }
  if (st->table.empty() || (qualified && st->index.empty())) {
    ThrowUnsupported("Path component cannot be an empty string");
  }
  if (qualified && !allow_index) ThrowUnsupported("This operation is not supported on an index");
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
namespace {

std::string PathList(const Path& p) {
  std::string out = "[";
  for (size_t i = 0; i < p.size(); ++i) {
    if (i > 0) out += ", ";
    out += p[i].is_index() ? fmt::format("[{}]", p[i].index) : p[i].name;
  }
  return out + "]";
}

// Two projected paths where one holds the other (overlap), or where one indexes what the other
// names a member of (conflict), are refused as a ProjectionExpression's are; DynamoDB Local
// checks each path against those before it and names the later one first.
void CheckProjectionPaths(const std::vector<Path>& paths) {
  for (size_t j = 1; j < paths.size(); ++j) {
    for (size_t i = 0; i < j; ++i) {
      const Path& a = paths[j];
      const Path& b = paths[i];
      const size_t n = std::min(a.size(), b.size());
      size_t k = 0;
      while (k < n && a[k].is_index() == b[k].is_index() && a[k].name == b[k].name &&
             a[k].index == b[k].index) {
        ++k;
      }
      const char* what = nullptr;
      if (k == n) {
        what = "overlap";
      } else if (a[k].is_index() != b[k].is_index()) {
        what = "conflict";
      }
      if (what != nullptr) {
        throw ApiError::Validation(
            fmt::format("Two document paths {} with each other; must remove or rewrite one of "
                        "these paths; path one: {}, path two: {}",
                        what, PathList(a), PathList(b)));
      }
    }
  }
}

}  // namespace

Statement Parser::ParseSelect() {
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
    CheckProjectionPaths(st.projection);
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

// The start of INSERT INTO t, UPDATE t and DELETE FROM t: `words`, then a table (no index).
Statement Parser::StartWrite(Statement::Kind kind, std::initializer_list<const char*> words) {
  Statement st;
  st.kind = kind;
  for (const char* word : words) ExpectWord(word);
  ParseTable(&st, /*allow_index=*/false);
  return st;
}

Statement Parser::ParseInsert() {
  Statement st = StartWrite(Statement::Kind::kInsert, {"INSERT", "INTO"});
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
  insert_item_ = true;
  st.item = ParseLiteral();
  insert_item_ = false;
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

Statement Parser::ParseUpdate() {
  Statement st = StartWrite(Statement::Kind::kUpdate, {"UPDATE"});
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

Statement Parser::ParseDelete() {
  Statement st = StartWrite(Statement::Kind::kDelete, {"DELETE", "FROM"});
  ExpectWord("WHERE");
  st.where = ParseOr();
  ParseReturning(&st, /*delete_only=*/true);
  return st;
}

// RETURNING ( ALL | MODIFIED ) ( OLD | NEW ) *
void Parser::ParseReturning(Statement* st, bool delete_only) {
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
Path Parser::ParsePath() {
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

namespace {

// An ordering (<, <=, >, >=, BETWEEN) with a value that has no order (not S, N or B) is refused
// with the statement, before its table is looked up (DynamoDB, in nubo-db/dynamodb-conformance;
// DynamoDB Local alike).
void CheckOrderedOperands(const Condition& c) {
  const bool ordering = c.kind == Condition::Kind::kBetween ||
                        (c.kind == Condition::Kind::kCompare && c.op != "=" && c.op != "<>");
  if (ordering) {
    for (const Operand& o : c.operands) {
      if (o.kind == Operand::Kind::kValue && !o.value.is_ordered()) {
        throw ApiError::Validation(fmt::format(
            "Incorrect operand type for operator or function; operator or function: {}, operand "
            "type: {}",
            c.kind == Condition::Kind::kBetween ? "BETWEEN" : c.op, TypeName(o.value.type)));
      }
    }
  }
  for (const auto& child : c.children) CheckOrderedOperands(*child);
}

}  // namespace

Statement Parse(std::string_view text, const std::vector<AttributeValue>& parameters) {
  Statement st = Parser(text, parameters).ParseStatement();
  if (st.where) CheckOrderedOperands(*st.where);
  return st;
}

}  // namespace cruddur::ddb::partiql
