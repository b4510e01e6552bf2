// KeyConditionExpression: the key terms of a Query, read off the common shapes directly or off
// the parsed condition tree, with DynamoDB's checks.
#include <algorithm>
#include <string>

#include "ddb/error.h"
#include "ddb/expression/condition_tree.h"
#include "ddb/expression/expression.h"
#include "ddb/expression/parser.h"
#include "ddb/expression/reserved_words.h"

namespace cruddur::ddb::expr {

// ---- KeyConditionExpression ----

namespace {

[[noreturn]] void KeyError(const std::string& message) { throw ApiError::Validation(message); }

// One "key op value" term of a key condition, after the checks DynamoDB makes on its shape.
// The values point into the parsed tree or the substitutions (both outlive the terms).
using KeyTerm = KeyCondition::Term;

KeyCondition::Op CompareOp(Tok t, bool flipped) {
  switch (t) {
    case Tok::kEq:
      return KeyCondition::Op::kEq;
    case Tok::kLt:
      return flipped ? KeyCondition::Op::kGt : KeyCondition::Op::kLt;
    case Tok::kLe:
      return flipped ? KeyCondition::Op::kGe : KeyCondition::Op::kLe;
    case Tok::kGt:
      return flipped ? KeyCondition::Op::kLt : KeyCondition::Op::kGt;
    case Tok::kGe:
      return flipped ? KeyCondition::Op::kLe : KeyCondition::Op::kGe;
    default:
      return KeyCondition::Op::kNone;
  }
}

void CollectKeyTerms(const ConditionNode& n, std::vector<KeyTerm>& terms) {
  using K = ConditionNode::Kind;
  const char* invalid_op = nullptr;
  switch (n.kind) {
    case K::kAnd:
      CollectKeyTerms(*n.left, terms);
      CollectKeyTerms(*n.right, terms);
      return;
    case K::kOr:
      invalid_op = "OR";
      break;
    case K::kNot:
      invalid_op = "NOT";
      break;
    case K::kIn:
      invalid_op = "IN";
      break;
    case K::kCompare:
      if (n.cmp == Tok::kNe) invalid_op = "<>";
      break;
    case K::kExists:
      invalid_op = "attribute_exists";
      break;
    case K::kNotExists:
      invalid_op = "attribute_not_exists";
      break;
    case K::kAttributeType:
      invalid_op = "attribute_type";
      break;
    case K::kContains:
      invalid_op = "contains";
      break;
    default:
      break;
  }
  if (invalid_op) {
    KeyError(std::string("Invalid operator used in KeyConditionExpression: ") + invalid_op);
  }
  for (const Operand& o : n.operands) {
    if (o.kind == Operand::Kind::kSize) {
      KeyError("KeyConditionExpressions cannot contain nested operations");
    }
  }
  if ((n.kind == K::kBetween || n.kind == K::kBeginsWith) &&
      n.operands[0].kind != Operand::Kind::kPath) {
    KeyError(std::string("Invalid condition in KeyConditionExpression: ") +
             (n.kind == K::kBetween ? "BETWEEN" : "begins_with") +
             " operator must have the key attribute as its first operand");
  }
  const Operand* path = nullptr;
  size_t path_index = 0;
  for (size_t i = 0; i < n.operands.size(); ++i) {
    if (n.operands[i].kind != Operand::Kind::kPath) continue;
    if (path) {
      KeyError(
          "Invalid condition in KeyConditionExpression: Multiple attribute names used in "
          "one condition");
    }
    if (n.operands[i].path.size() > 1) {
      KeyError("KeyConditionExpressions cannot have conditions on nested attributes");
    }
    path = &n.operands[i];
    path_index = i;
  }
  if (!path) KeyError("Invalid condition in KeyConditionExpression: No key attribute specified");
  KeyTerm term;
  term.attribute = path->path[0].name;
  for (const KeyTerm& t : terms) {
    if (t.attribute == term.attribute) {
      KeyError("KeyConditionExpressions must only contain one condition per key");
    }
  }
  if (n.kind == K::kCompare) {
    term.op = CompareOp(n.cmp, path_index != 0);
    term.low = &n.operands[path_index == 0 ? 1 : 0].value;
  } else if (n.kind == K::kBetween) {
    term.op = KeyCondition::Op::kBetween;
    term.low = &n.operands[1].value;
    term.high = &n.operands[2].value;
  } else {
    term.op = KeyCondition::Op::kBeginsWith;
    term.low = &n.operands[1].value;
  }
  terms.push_back(std::move(term));
}

// The shapes nearly every Query uses, "k = :v" and "k = :v AND r <op> :w" (k and r a name or a
// #name, op one of = < <= > >=), read straight off the tokens: the same terms the parser and
// CollectKeyTerms give, without building the tree (most of a small Query's request work).
// Returns false for any other shape, and for anything the parser reports (a keyword, reserved
// or undefined name, an undefined value, one key twice): the caller then parses the text, which
// raises DynamoDB's error. Marks the names and values it resolves used, as the parser does.
bool SimpleKeyTerms(std::string_view text, Substitutions& subs, std::vector<KeyTerm>& terms) {
  const std::vector<Token> tokens = Lex(text);  // ends with kEof, which no step below consumes
  size_t i = 0;
  auto term = [&]() {
    KeyTerm term;
    const Token& name = tokens[i];
    if (name.kind == Tok::kNameRef) {
      const std::string* resolved = subs.FindName(name.text);
      if (!resolved) return false;
      term.attribute = *resolved;
    } else if (name.kind == Tok::kName && !IsConditionKeyword(name.text) &&
               !IsReservedWord(name.text)) {
      term.attribute = name.text;
    } else {
      return false;
    }
    term.op = CompareOp(tokens[++i].kind, false);
    if (term.op == KeyCondition::Op::kNone || tokens[++i].kind != Tok::kValueRef) return false;
    const AttributeValue* value = subs.FindValue(tokens[i++].text);
    if (!value) return false;
    // An ordering comparison with a value of another type than S, N or B: the parser's error.
    if (term.op != KeyCondition::Op::kEq && !value->is_ordered()) return false;
    for (const KeyTerm& t : terms) {
      if (t.attribute == term.attribute) return false;
    }
    term.low = value;
    terms.push_back(std::move(term));
    return true;
  };
  if (!term()) return false;
  if (tokens[i].kind == Tok::kName && KeywordEquals(tokens[i].text, "AND")) {
    ++i;
    if (!term()) return false;
  }
  return tokens[i].kind == Tok::kEof;
}

}  // namespace

KeyCondition KeyCondition::Parse(std::string_view text, Substitutions& subs,
                                 const std::string& hash_key, const std::string& range_key) {
  std::vector<std::string> range_keys;
  if (!range_key.empty()) range_keys.push_back(range_key);
  return Parse(text, subs, std::vector<std::string>{hash_key}, range_keys);
}

KeyCondition KeyCondition::Parse(std::string_view text, Substitutions& subs,
                                 const std::vector<std::string>& hash_keys,
                                 const std::vector<std::string>& range_keys) {
  CheckExpressionSize(text, "KeyConditionExpression");
  std::vector<KeyTerm> terms;
  std::unique_ptr<ConditionNode> root;  // holds the values of the terms it gave
  if (!SimpleKeyTerms(text, subs, terms)) {
    terms.clear();
    root = ParseConditionTree(text, subs, "KeyConditionExpression");
    CollectKeyTerms(*root, terms);
  }
  if (hash_keys.size() > 1 || range_keys.size() > 1) {
    return ResolveMultiAttribute(terms, hash_keys, range_keys);
  }
  const std::string& hash_key = hash_keys.front();
  const std::string range_key = range_keys.empty() ? std::string() : range_keys.front();
  KeyCondition kc;
  const KeyTerm* hash = nullptr;
  const KeyTerm* range = nullptr;
  bool other = false;
  for (const KeyTerm& t : terms) {
    if (t.attribute == hash_key) {
      hash = &t;
    } else if (!range_key.empty() && t.attribute == range_key) {
      range = &t;
    } else {
      other = true;
    }
  }
  if (!hash) KeyError("Query condition missed key schema element: " + hash_key);
  if (other) {
    if (!range_key.empty() && !range) {
      KeyError("Query condition missed key schema element: " + range_key);
    }
    KeyError("Query key condition not supported");
  }
  if (hash->op != Op::kEq) KeyError("Query key condition not supported");
  kc.hash_values.push_back(*hash->low);
  if (range) {
    kc.range_op = range->op;
    kc.range_low = *range->low;
    if (range->high) kc.range_high = *range->high;
  }
  return kc;
}

// RANGE refusals in DynamoDB's words (seen answering so in 2026; the same in DynamoDB Local
// 3.3). Its words for a HASH attribute without `=` are not published beyond naming HASH and
// equality (ScyllaDB's tests, run against DynamoDB); these follow the RANGE message.
KeyCondition KeyCondition::ResolveMultiAttribute(const std::vector<Term>& terms,
                                                 const std::vector<std::string>& hash_keys,
                                                 const std::vector<std::string>& range_keys) {
  auto find = [&](const std::string& name) -> const Term* {
    for (const Term& t : terms) {
      if (t.attribute == name) return &t;
    }
    return nullptr;
  };
  KeyCondition kc;
  for (size_t i = 0; i < hash_keys.size(); ++i) {
    const Term* h = find(hash_keys[i]);
    if (hash_keys.size() > 1 && (!h || h->op != Op::kEq)) {
      KeyError("HASH key attributes " + hash_keys[i] +
               " must have equality conditions specified in the query");
    }
    if (!h) KeyError("Query condition missed key schema element: " + hash_keys[i]);
    if (h->op != Op::kEq) KeyError("Query key condition not supported");
    kc.hash_values.push_back(*h->low);
  }
  // A condition on another attribute: as for a one-attribute key, the sort key is said to be
  // missing when no RANGE attribute has a condition (DynamoDB Local 3.3 words it so, without
  // naming one); otherwise the condition is not supported.
  bool any_range = std::any_of(range_keys.begin(), range_keys.end(),
                               [&](const std::string& r) { return find(r) != nullptr; });
  for (const Term& t : terms) {
    bool key = std::find(hash_keys.begin(), hash_keys.end(), t.attribute) != hash_keys.end() ||
               std::find(range_keys.begin(), range_keys.end(), t.attribute) != range_keys.end();
    if (key) continue;
    if (!range_keys.empty() && !any_range) KeyError("Query condition missed key schema element");
    KeyError("Query key condition not supported");
  }
  // The last RANGE attribute with a condition needs `=` on every one before it; the refusal
  // names the nearest one before it that lacks it (DynamoDB Local 3.3's choice).
  size_t last = range_keys.size();
  while (last > 0 && !find(range_keys[last - 1])) --last;
  if (last == 0) return kc;
  const Term* t = find(range_keys[last - 1]);
  for (size_t prior = last - 1; prior-- > 0;) {
    const Term* p = find(range_keys[prior]);
    if (!p || p->op != Op::kEq) {
      KeyError("RANGE key attributes " + range_keys[prior] +
               " must have equality conditions specified in the query because a condition is "
               "present on key attribute " +
               range_keys[last - 1]);
    }
  }
  for (size_t prior = 0; prior + 1 < last; ++prior) {
    kc.range_prefix.push_back(*find(range_keys[prior])->low);
  }
  kc.range_op = t->op;
  kc.range_low = *t->low;
  if (t->high) kc.range_high = *t->high;
  return kc;
}

}  // namespace cruddur::ddb::expr
