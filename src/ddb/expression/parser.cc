#include "ddb/expression/parser.h"

#include <cstdint>
#include <utility>

#include "ddb/error.h"
#include "ddb/expression/reserved_words.h"
#include "ddb/value_json.h"

namespace cruddur::ddb::expr {
namespace {

bool IsBlank(std::string_view text) {
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

}  // namespace

thread_local int ClientLimitsExempt::depth_ = 0;

void CheckExpressionSize(std::string_view text, std::string_view kind) {
  if (text.size() <= kMaxExpressionBytes || ClientLimitsExempt::active()) return;
  std::string message =
      "Invalid " + std::string(kind) + ": Expression size has exceeded the maximum allowed size;";
  // DynamoDB names the size for every kind but UpdateExpression.
  if (kind != "UpdateExpression") message += " expression size: " + std::to_string(text.size());
  throw ApiError::Validation(message);
}

ParserBase::ParserBase(std::string_view text, std::string_view kind, Substitutions& subs)
    : text_(text), kind_(kind), subs_(subs) {
  CheckExpressionSize(text, kind);
  if (IsBlank(text)) Fail("The expression can not be empty;");
  tokens_ = Lex(text);
}

bool ParserBase::HasRedundantParens() const {
  for (size_t i = 0; i + 1 < tokens_.size(); ++i) {
    const Token& t = tokens_[i];
    if (t.kind != Tok::kLParen || t.match == Token::kNoMatch) continue;
    // A call's or an IN list's own parentheses; after AND, OR or NOT they group an operand.
    if (i > 0 && tokens_[i - 1].kind == Tok::kName &&
        (!IsKeyword(tokens_[i - 1].text) || KeywordEquals(tokens_[i - 1].text, "IN"))) {
      continue;
    }
    const Token& inner = tokens_[i + 1];
    if (inner.kind == Tok::kLParen && inner.match != Token::kNoMatch &&
        inner.match + 1 == t.match) {
      return true;
    }
  }
  return false;
}

size_t ParserBase::CountOperatorTokens() const {
  size_t n = 0;
  for (size_t i = 0; i + 1 < tokens_.size(); ++i) {
    const Token& t = tokens_[i];
    bool call = t.kind == Tok::kName && tokens_[i + 1].kind == Tok::kLParen && !IsKeyword(t.text);
    if (call || t.kind == Tok::kPlus || t.kind == Tok::kMinus) ++n;
  }
  return n;
}

void ParserBase::TooDeep() const {
  if (HasRedundantParens()) Fail("The expression has redundant parentheses;");
  size_t operators = CountOperatorTokens();
  if (operators > kMaxOperators && !ClientLimitsExempt::active()) {
    TooManyOperators();
  }
  Fail("The expression has too many nested levels; maximum nesting levels: " +
       std::to_string(kMaxNesting));
}

void ParserBase::TooManyOperators() const {
  // DynamoDB stops counting at the first operator over the limit, so it always reports 301.
  Fail("The expression contains too many operators; operator count: " +
       std::to_string(kMaxOperators + 1));
}

void ParserBase::SyntaxError(size_t index) const {
  const Token& tok = tokens_[index];
  // DynamoDB quotes the text from the token before the offending one to the token after it.
  size_t begin = index > 0 ? tokens_[index - 1].begin : tok.begin;
  size_t end = tok.kind == Tok::kEof ? text_.size()
               : index + 1 < tokens_.size() && tokens_[index + 1].kind != Tok::kEof
                   ? tokens_[index + 1].end
                   : tok.end;
  Fail("Syntax error; token: \"" + std::string(tok.text) + "\", near: \"" +
       std::string(text_.substr(begin, end - begin)) + "\"");
}

void ParserBase::Fail(const std::string& message) const {
  throw ApiError::Validation("Invalid " + kind_ + ": " + message);
}

void ParserBase::ThrowRecorded(std::initializer_list<ErrorClass> order) const {
  if (operators_ > kMaxOperators && !ClientLimitsExempt::active()) {
    TooManyOperators();
  }
  for (ErrorClass c : {ErrorClass::kListAppendPlace, ErrorClass::kPathDepth}) {
    if (const auto& first = errors_[static_cast<size_t>(c)]) Fail(*first);
  }
  for (ErrorClass c : order) {
    const auto& slot = errors_[static_cast<size_t>(c)];
    if (slot) Fail(*slot);
  }
}

Path ParserBase::ParsePath() {
  Path path;
  auto element = [&]() {
    const Token& t = Peek();
    PathElement e;
    if (t.kind == Tok::kNameRef) {
      const std::string* name = subs_.FindName(t.text);
      if (name) {
        e.name = *name;
      } else {
        Record(ErrorClass::kAttrName,
               "An expression attribute name used in the document path is not defined; "
               "attribute name: " +
                   std::string(t.text));
      }
    } else if (t.kind == Tok::kName && !IsKeyword(t.text)) {
      if (IsReservedWord(t.text)) {
        Record(ErrorClass::kReserved,
               "Attribute name is a reserved keyword; reserved keyword: " + std::string(t.text));
      }
      e.name = std::string(t.text);
    } else {
      SyntaxErrorHere();
    }
    ++pos_;
    path.push_back(std::move(e));
  };
  element();
  while (true) {
    if (At(Tok::kDot)) {
      ++pos_;
      element();
    } else if (At(Tok::kLBracket)) {
      ++pos_;
      if (!At(Tok::kNumber)) SyntaxErrorHere();
      std::string_view digits = Peek().text;
      if (digits.size() > 18) SyntaxErrorHere();  // far beyond any list DynamoDB can hold
      int64_t index = 0;
      for (char c : digits) index = index * 10 + (c - '0');
      ++pos_;
      Expect(Tok::kRBracket);
      PathElement e;
      e.index = index;
      path.push_back(std::move(e));
    } else {
      if (path.size() > kMaxPathDepth) {
        Record(ErrorClass::kPathDepth,
               "The document path has too many nesting levels; nesting levels: " +
                   std::to_string(path.size()));
      }
      return path;
    }
  }
}

AttributeValue ParserBase::ResolveValue(std::string_view token) {
  const AttributeValue* v = subs_.FindValue(token);
  if (!v) {
    Record(value_error_class_,
           "An expression attribute value used in expression is not defined; attribute value: " +
               std::string(token));
    return AttributeValue::Null();
  }
  return *v;
}

void ParserBase::CheckOverlap(std::vector<Path>& seen, const Path& path) {
  // Only paths of the same top-level attribute can overlap or conflict, and once an overlap is
  // recorded nothing else of these two classes can be reported (overlap outranks conflict):
  // without both shortcuts thousands of paths cost millions of comparisons.
  std::vector<size_t>& same_top = paths_by_top_[path.empty() ? std::string() : path[0].name];
  if (!Has(ErrorClass::kPathOverlap)) {
    for (size_t index : same_top) {
      const Path& other = seen[index];
      size_t n = std::min(other.size(), path.size());
      bool diverged = false;
      for (size_t i = 0; i < n && !diverged; ++i) {
        if (other[i].is_index() != path[i].is_index()) {
          if (!Has(ErrorClass::kPathConflict)) {
            Record(ErrorClass::kPathConflict,
                   "Two document paths conflict with each other; must remove or rewrite one of "
                   "these paths; path one: " +
                       PathListString(other) + ", path two: " + PathListString(path));
          }
          diverged = true;
        } else if (other[i].is_index() ? other[i].index != path[i].index
                                       : other[i].name != path[i].name) {
          diverged = true;
        }
      }
      if (!diverged) {
        Record(ErrorClass::kPathOverlap,
               "Two document paths overlap with each other; must remove or rewrite one of these "
               "paths; path one: " +
                   PathListString(other) + ", path two: " + PathListString(path));
        break;
      }
    }
  }
  same_top.push_back(seen.size());
  seen.push_back(path);
}

std::string PathListString(const Path& path) {
  std::string out = "[";
  for (size_t i = 0; i < path.size(); ++i) {
    if (i > 0) out += ", ";
    if (path[i].is_index()) {
      out.append("[").append(std::to_string(path[i].index)).append("]");
    } else {
      out += path[i].name;
    }
  }
  return out + "]";
}

std::string ValueBraceString(const AttributeValue& v) {
  std::string out = "{";
  out.append(TypeName(v.type)).append(":");
  switch (v.type) {
    case ValueType::kS:
      out += v.bytes;
      break;
    case ValueType::kN:
      out += v.number.text();
      break;
    case ValueType::kB:
      out += Base64Encode(v.bytes);
      break;
    case ValueType::kBool:
      out += v.boolean ? "true" : "false";
      break;
    case ValueType::kNull:
      out += "true";
      break;
    default:
      break;
  }
  return out + "}";
}

const AttributeValue* FindPath(const Item& item, const Path& path) {
  if (path.empty() || path[0].is_index()) return nullptr;
  auto it = item.find(path[0].name);
  if (it == item.end()) return nullptr;
  const AttributeValue* v = &it->second;
  for (size_t i = 1; i < path.size(); ++i) {
    const PathElement& e = path[i];
    if (e.is_index()) {
      if (v->type != ValueType::kL || static_cast<uint64_t>(e.index) >= v->list.size()) {
        return nullptr;
      }
      v = &v->list[static_cast<size_t>(e.index)];
    } else {
      if (v->type != ValueType::kM) return nullptr;
      auto m = v->map.find(e.name);
      if (m == v->map.end()) return nullptr;
      v = &m->second;
    }
  }
  return v;
}

AttributeValue* FindPath(Item& item, const Path& path) {
  // One walk serves both: the item is the caller's to change.
  return const_cast<AttributeValue*>(FindPath(std::as_const(item), path));
}

}  // namespace cruddur::ddb::expr
