// UpdateExpression: SET, REMOVE, ADD and DELETE clauses, parsed once and applied to items.
#include <algorithm>
#include <cstdint>
#include <string>

#include "ddb/error.h"
#include "ddb/expression/expression.h"
#include "ddb/expression/parser.h"

namespace cruddur::ddb::expr {

// The right-hand side of a SET action.
struct SetValue {
  enum class Kind : uint8_t { kPath, kValue, kPlus, kMinus, kIfNotExists, kListAppend };
  Kind kind = Kind::kValue;
  Path path;             // kPath, and kIfNotExists's first operand
  AttributeValue value;  // kValue
  std::unique_ptr<SetValue> left, right;
};

struct UpdateAction {
  enum class Kind : uint8_t { kSet, kRemove, kAdd, kDelete };
  Kind kind = Kind::kSet;
  Path path;
  std::unique_ptr<SetValue> value;  // kSet
  AttributeValue operand;           // kAdd, kDelete
  bool legacy = false;  // from AttributeUpdates: other type-clash message, ADD appends lists
};

namespace {

const char kInvalidPath[] =
    "The document path provided in the update expression is invalid for update";
const char kBadOperand[] = "An operand in the update expression has an incorrect data type";
const char kTypeMismatch[] = "Type mismatch for attribute to update";
const char kMissingAttribute[] =
    "The provided expression refers to an attribute that does not exist in the item";

class UpdateParser : public ParserBase {
 public:
  UpdateParser(std::string_view text, Substitutions& subs)
      : ParserBase(text, "UpdateExpression", subs) {}

  std::vector<std::unique_ptr<UpdateAction>> Parse() {
    std::vector<std::unique_ptr<UpdateAction>> actions;
    bool seen[4] = {false, false, false, false};
    do {
      UpdateAction::Kind kind;
      const char* section;
      if (AtKeyword("SET")) {
        kind = UpdateAction::Kind::kSet, section = "SET";
      } else if (AtKeyword("REMOVE")) {
        kind = UpdateAction::Kind::kRemove, section = "REMOVE";
      } else if (AtKeyword("ADD")) {
        kind = UpdateAction::Kind::kAdd, section = "ADD";
      } else if (AtKeyword("DELETE")) {
        kind = UpdateAction::Kind::kDelete, section = "DELETE";
      } else {
        SyntaxErrorHere();
      }
      ++pos_;
      ParseCommaList([&] {
        // Of several actions with a wrong operand, DynamoDB Local reports the last one's error
        // (the first within an action), whatever the sections.
        std::optional<std::string> earlier = Take(ErrorClass::kFunction);
        actions.push_back(ParseAction(kind));
        if (!Has(ErrorClass::kFunction) && earlier) Record(ErrorClass::kFunction, *earlier);
      });
      bool& once = seen[static_cast<size_t>(kind)];
      if (once) {
        Record(ErrorClass::kSection, std::string("The \"") + section +
                                         "\" section can only be used once in an update "
                                         "expression;");
      }
      once = true;
    } while (!At(Tok::kEof));
    // `SET a = ((:v))`: as in a condition, and reported before the other recorded errors.
    if (HasRedundantParens()) {
      Record(ErrorClass::kParens, "The expression has redundant parentheses;");
    }
    ThrowRecorded({ErrorClass::kParens, ErrorClass::kReserved, ErrorClass::kUnknownFunction,
                   ErrorClass::kSection, ErrorClass::kAttrName, ErrorClass::kAttrValue,
                   ErrorClass::kPathOverlap, ErrorClass::kPathConflict, ErrorClass::kFunction});
    return actions;
  }

 protected:
  bool IsKeyword(std::string_view t) const override {
    return KeywordEquals(t, "SET") || KeywordEquals(t, "REMOVE") || KeywordEquals(t, "ADD") ||
           KeywordEquals(t, "DELETE");
  }

 private:
  std::unique_ptr<UpdateAction> ParseAction(UpdateAction::Kind kind) {
    auto action = std::make_unique<UpdateAction>();
    action->kind = kind;
    action->path = ParsePath();
    CheckOverlap(paths_, action->path);
    switch (kind) {
      case UpdateAction::Kind::kSet:
        Expect(Tok::kEq);
        action->value = ParseSetValue();
        break;
      case UpdateAction::Kind::kRemove:
        break;
      case UpdateAction::Kind::kAdd:
      case UpdateAction::Kind::kDelete: {
        if (!At(Tok::kValueRef)) SyntaxErrorHere();
        std::string_view token = Next().text;
        bool defined = subs_.FindValue(token) != nullptr;
        action->operand = ResolveValue(token);
        bool add = kind == UpdateAction::Kind::kAdd;
        ValueType t = action->operand.type;
        bool ok = action->operand.is_set() || (add && t == ValueType::kN);
        if (defined && !ok) {
          Record(
              ErrorClass::kFunction,
              std::string("Incorrect operand type for operator or function; operator: ") +
                  (add ? "ADD" : "DELETE") + ", operand type: " + std::string(LongTypeName(t)) +
                  ", typeSet: " + (add ? "ALLOWED_FOR_ADD_OPERAND" : "ALLOWED_FOR_DELETE_OPERAND"));
        }
        break;
      }
    }
    return action;
  }

  // value := operand | operand '+' operand | operand '-' operand, optionally parenthesised.
  std::unique_ptr<SetValue> ParseSetValue() {
    if (At(Tok::kLParen)) {
      size_t close = Peek().match;
      // "(a + b)": parentheses around the whole arithmetic.
      if (close != Token::kNoMatch &&
          (tokens_[close + 1].kind == Tok::kEof || tokens_[close + 1].kind == Tok::kComma ||
           (tokens_[close + 1].kind == Tok::kName && IsKeyword(tokens_[close + 1].text)))) {
        return Parenthesized([&] { return ParseSetValue(); });
      }
    }
    auto left = ParseOperand();
    if (At(Tok::kPlus) || At(Tok::kMinus)) {
      CountOperator();
      bool plus = Next().kind == Tok::kPlus;
      auto node = std::make_unique<SetValue>();
      node->kind = plus ? SetValue::Kind::kPlus : SetValue::Kind::kMinus;
      node->left = std::move(left);
      node->right = ParseOperand();
      CheckListAppendPlace(*node->left);
      CheckListAppendPlace(*node->right);
      for (const auto* arg : {node->left.get(), node->right.get()}) {
        if (arg->kind == SetValue::Kind::kValue && arg->value.type != ValueType::kN) {
          TypeError(plus ? "+" : "-", arg->value.type);
          break;
        }
      }
      return node;
    }
    return left;
  }

  // list_append can only be a SET action's whole value: as an operand of +, - or a function
  // DynamoDB refuses it, before any check but the syntax's.
  void CheckListAppendPlace(const SetValue& operand) {
    if (operand.kind == SetValue::Kind::kListAppend) {
      Record(ErrorClass::kListAppendPlace,
             "The function is not allowed to be used this way in an expression; function: "
             "list_append");
    }
  }

  void TypeError(const std::string& function, ValueType t) {
    Record(ErrorClass::kFunction,
           "Incorrect operand type for operator or function; operator or function: " + function +
               ", operand type: " + std::string(TypeName(t)));
  }

  std::unique_ptr<SetValue> ParseOperand() {
    if (At(Tok::kLParen)) return Parenthesized([&] { return ParseOperand(); });
    auto v = std::make_unique<SetValue>();
    if (At(Tok::kValueRef)) {
      v->kind = SetValue::Kind::kValue;
      v->value = ResolveValue(Next().text);
      return v;
    }
    if (At(Tok::kName) && Peek(1).kind == Tok::kLParen && !IsKeyword(Peek().text)) {
      return ParseFunction();
    }
    if (!AtPathStart()) SyntaxErrorHere();
    v->kind = SetValue::Kind::kPath;
    v->path = ParsePath();
    return v;
  }

  std::unique_ptr<SetValue> ParseFunction() {
    Nesting nested(*this);
    CountOperator();
    std::string name(Next().text);
    Expect(Tok::kLParen);
    std::vector<std::unique_ptr<SetValue>> args;
    // "f()" is a syntax error at the ')'.
    ParseCommaList([&] { args.push_back(ParseOperand()); });
    Expect(Tok::kRParen);
    for (const auto& a : args) CheckListAppendPlace(*a);
    auto v = std::make_unique<SetValue>();
    if (name == "if_not_exists") {
      v->kind = SetValue::Kind::kIfNotExists;
    } else if (name == "list_append") {
      v->kind = SetValue::Kind::kListAppend;
    } else if (name == "attribute_exists" || name == "attribute_not_exists" ||
               name == "attribute_type" || name == "begins_with" || name == "contains" ||
               name == "size") {
      Record(ErrorClass::kUnknownFunction,
             "The function is not allowed in an update expression; function: " + name);
      return v;
    } else {
      Record(ErrorClass::kUnknownFunction, "Invalid function name; function: " + name);
      return v;
    }
    if (args.size() != 2) {
      Record(ErrorClass::kFunction,
             "Incorrect number of operands for operator or function; operator or function: " +
                 name + ", number of operands: " + std::to_string(args.size()));
      return v;
    }
    if (v->kind == SetValue::Kind::kIfNotExists) {
      if (args[0]->kind != SetValue::Kind::kPath) {
        Record(ErrorClass::kFunction,
               "Operator or function requires a document path; operator or function: " + name);
      }
      v->path = std::move(args[0]->path);
      v->right = std::move(args[1]);
    } else {
      for (const auto& a : args) {
        if (a->kind == SetValue::Kind::kValue && a->value.type != ValueType::kL) {
          TypeError(name, a->value.type);
          break;
        }
      }
      v->left = std::move(args[0]);
      v->right = std::move(args[1]);
    }
    return v;
  }

  std::vector<Path> paths_;
};

// ---- application ----

[[noreturn]] void Invalid(const char* message) { throw ApiError::Validation(message); }

AttributeValue Eval(const SetValue& v, const Item& item) {
  switch (v.kind) {
    case SetValue::Kind::kValue:
      return v.value;
    case SetValue::Kind::kPath: {
      const AttributeValue* found = FindPath(item, v.path);
      if (!found) Invalid(kMissingAttribute);
      return *found;
    }
    case SetValue::Kind::kIfNotExists: {
      const AttributeValue* found = FindPath(item, v.path);
      return found ? *found : Eval(*v.right, item);
    }
    case SetValue::Kind::kPlus:
    case SetValue::Kind::kMinus: {
      AttributeValue a = Eval(*v.left, item);
      AttributeValue b = Eval(*v.right, item);
      if (a.type != ValueType::kN || b.type != ValueType::kN) Invalid(kBadOperand);
      return AttributeValue::N(v.kind == SetValue::Kind::kPlus ? a.number + b.number
                                                               : a.number - b.number);
    }
    case SetValue::Kind::kListAppend: {
      AttributeValue a = Eval(*v.left, item);
      AttributeValue b = Eval(*v.right, item);
      if (a.type != ValueType::kL || b.type != ValueType::kL) Invalid(kBadOperand);
      a.list.insert(a.list.end(), std::make_move_iterator(b.list.begin()),
                    std::make_move_iterator(b.list.end()));
      return a;
    }
  }
  return AttributeValue::Null();
}

// The container of the last element of `path` (at least two elements long): a list for an
// index, a map for a name. Throws DynamoDB's invalid-path error when an element before the last
// is missing or any container is of the wrong type.
AttributeValue* Parent(Item& item, const Path& path) {
  auto it = item.find(path[0].name);
  if (it == item.end()) Invalid(kInvalidPath);
  AttributeValue* v = &it->second;
  for (size_t i = 1; i + 1 < path.size(); ++i) {
    const PathElement& e = path[i];
    if (e.is_index()) {
      if (v->type != ValueType::kL) Invalid(kInvalidPath);
      if (static_cast<uint64_t>(e.index) >= v->list.size()) Invalid(kInvalidPath);
      v = &v->list[static_cast<size_t>(e.index)];
    } else {
      if (v->type != ValueType::kM) Invalid(kInvalidPath);
      auto m = v->map.find(e.name);
      if (m == v->map.end()) Invalid(kInvalidPath);
      v = &m->second;
    }
  }
  if (v->type != (path.back().is_index() ? ValueType::kL : ValueType::kM)) Invalid(kInvalidPath);
  return v;
}

// Throws DynamoDB's invalid-path error unless `path` could be written or removed in `item`.
void CheckTargetPath(Item& item, const Path& path) {
  if (path.size() > 1) Parent(item, path);
}

// A SET of a list index past the end: appended once every other action has run.
struct Append {
  const Path* path;
  AttributeValue value;
};

// Writes `value` at `path`. A list index past the end appends: at once, or, given `appends`, after
// the other actions, so that several appends to one list land in the order of their indexes
// ("SET l[9] = :a, l[5] = :b" appends :b then :a), as DynamoDB documents and answers.
void Assign(Item& item, const Path& path, AttributeValue value,
            std::vector<Append>* appends = nullptr) {
  if (path.size() == 1) {
    item[path[0].name] = std::move(value);
    return;
  }
  AttributeValue* parent = Parent(item, path);
  const PathElement& last = path.back();
  if (last.is_index()) {
    if (static_cast<uint64_t>(last.index) < parent->list.size()) {
      parent->list[static_cast<size_t>(last.index)] = std::move(value);
    } else if (appends) {
      appends->push_back({&path, std::move(value)});
    } else {
      parent->list.push_back(std::move(value));
    }
  } else {
    parent->map[last.name] = std::move(value);
  }
}

void ApplyAppends(Item& item, std::vector<Append>& appends) {
  // Appends to different lists are independent, so one order by index serves every list.
  std::stable_sort(appends.begin(), appends.end(), [](const Append& a, const Append& b) {
    return a.path->back().index < b.path->back().index;
  });
  for (Append& a : appends) Parent(item, *a.path)->list.push_back(std::move(a.value));
}

// A missing last element is nothing to remove; a missing parent is DynamoDB's invalid path, as
// for SET (an update that only removes from a missing item never gets here).
void Remove(Item& item, const Path& path) {
  if (path.size() == 1) {
    item.erase(path[0].name);
    return;
  }
  AttributeValue* parent = Parent(item, path);
  const PathElement& last = path.back();
  if (last.is_index()) {
    if (static_cast<uint64_t>(last.index) < parent->list.size()) {
      parent->list.erase(parent->list.begin() + last.index);
    }
  } else {
    parent->map.erase(last.name);
  }
}

void AddToSet(AttributeValue& set, const AttributeValue& more) {
  if (set.type == ValueType::kNS) {
    for (const Number& n : more.numbers) {
      if (std::find(set.numbers.begin(), set.numbers.end(), n) == set.numbers.end()) {
        set.numbers.push_back(n);
      }
    }
  } else {
    for (const std::string& s : more.strings) {
      if (std::find(set.strings.begin(), set.strings.end(), s) == set.strings.end()) {
        set.strings.push_back(s);
      }
    }
  }
}

// Returns true when the set became empty.
bool DeleteFromSet(AttributeValue& set, const AttributeValue& less) {
  if (set.type == ValueType::kNS) {
    std::erase_if(set.numbers, [&](const Number& n) {
      return std::find(less.numbers.begin(), less.numbers.end(), n) != less.numbers.end();
    });
    return set.numbers.empty();
  }
  std::erase_if(set.strings, [&](const std::string& s) {
    return std::find(less.strings.begin(), less.strings.end(), s) != less.strings.end();
  });
  return set.strings.empty();
}

// REMOVE order: for elements of one list, the highest index first so that the indexes given
// keep naming the elements of the item before the update.
bool RemoveBefore(const Path& a, const Path& b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i].is_index() && b[i].is_index()) {
      if (a[i].index != b[i].index) return a[i].index > b[i].index;
    } else if (a[i].name != b[i].name || a[i].is_index() != b[i].is_index()) {
      return a[i].is_index() != b[i].is_index() ? a[i].is_index() : a[i].name < b[i].name;
    }
  }
  return a.size() > b.size();
}

}  // namespace

Update::Update() = default;
Update::Update(Update&&) noexcept = default;
Update& Update::operator=(Update&&) noexcept = default;
Update::~Update() = default;

Update Update::Parse(std::string_view text, Substitutions& subs) {
  Update u;
  u.actions_ = UpdateParser(text, subs).Parse();
  return u;
}

void Update::Apply(Item& item) const {
  // Every action's target is checked before any operand is read (DynamoDB Local reports a bad
  // path first, whatever the order of the actions).
  for (const auto& a : actions_) CheckTargetPath(item, a->path);
  // Every SET operand reads the item as it was before the update.
  std::vector<AttributeValue> values;
  for (const auto& a : actions_) {
    if (a->kind == UpdateAction::Kind::kSet) values.push_back(Eval(*a->value, item));
  }
  // A REMOVE names what the item held before the update: a list element that only a SET's
  // append made is not removed (SET l[1] = :v REMOVE l[0] on an empty list leaves [:v], as
  // DynamoDB Local answers).
  std::vector<const Path*> removes;
  for (const auto& a : actions_) {
    if (a->kind == UpdateAction::Kind::kRemove && FindPath(item, a->path) != nullptr) {
      removes.push_back(&a->path);
    }
  }
  size_t next_value = 0;
  std::vector<Append> appends;
  for (const auto& a : actions_) {
    switch (a->kind) {
      case UpdateAction::Kind::kSet:
        Assign(item, a->path, std::move(values[next_value++]), &appends);
        break;
      case UpdateAction::Kind::kRemove:
        break;
      case UpdateAction::Kind::kAdd: {
        AttributeValue* current = FindPath(item, a->path);
        if (!current) {
          Assign(item, a->path, a->operand);
        } else if (current->type != a->operand.type) {
          Invalid(a->legacy ? kTypeMismatch : kBadOperand);
        } else if (current->type == ValueType::kN) {
          current->number = current->number + a->operand.number;
        } else if (current->type == ValueType::kL) {
          current->list.insert(current->list.end(), a->operand.list.begin(), a->operand.list.end());
        } else {
          AddToSet(*current, a->operand);
        }
        break;
      }
      case UpdateAction::Kind::kDelete: {
        AttributeValue* current = FindPath(item, a->path);
        if (!current) break;
        if (current->type != a->operand.type) Invalid(a->legacy ? kTypeMismatch : kBadOperand);
        if (DeleteFromSet(*current, a->operand)) Remove(item, a->path);
        break;
      }
    }
  }
  ApplyAppends(item, appends);
  std::sort(removes.begin(), removes.end(),
            [](const Path* a, const Path* b) { return RemoveBefore(*a, *b); });
  for (const Path* p : removes) Remove(item, *p);
}

Update Update::FromAttributeUpdates(const std::vector<AttributeUpdate>& updates) {
  Update u;
  for (const AttributeUpdate& au : updates) {
    auto a = std::make_unique<UpdateAction>();
    PathElement e;
    e.name = au.attribute;
    a->path.push_back(std::move(e));
    a->legacy = true;
    switch (au.action) {
      case AttributeUpdate::Action::kPut:
        a->kind = UpdateAction::Kind::kSet;
        a->value = std::make_unique<SetValue>();
        a->value->kind = SetValue::Kind::kValue;
        a->value->value = au.value;
        break;
      case AttributeUpdate::Action::kAdd:
        a->kind = UpdateAction::Kind::kAdd;
        a->operand = au.value;
        break;
      case AttributeUpdate::Action::kDelete:
        a->kind = au.has_value ? UpdateAction::Kind::kDelete : UpdateAction::Kind::kRemove;
        a->operand = au.value;
        break;
    }
    u.actions_.push_back(std::move(a));
  }
  return u;
}

bool Update::OnlyRemoves() const {
  return !actions_.empty() && std::all_of(actions_.begin(), actions_.end(), [](const auto& a) {
    return a->kind == UpdateAction::Kind::kRemove || a->kind == UpdateAction::Kind::kDelete;
  });
}

size_t Update::ActionBytes() const {
  size_t bytes = 3;
  for (const auto& a : actions_) {
    switch (a->kind) {
      case UpdateAction::Kind::kSet:
        bytes += std::any_of(a->path.begin(), a->path.end(),
                             [](const PathElement& e) { return e.is_index(); })
                     ? 20
                     : 19;
        break;
      case UpdateAction::Kind::kAdd:
        bytes += 19;
        break;
      case UpdateAction::Kind::kRemove:
      case UpdateAction::Kind::kDelete:
        bytes += 2;
        break;
    }
  }
  return bytes;
}

std::vector<Path> Update::Paths() const {
  std::vector<Path> out;
  out.reserve(actions_.size());
  for (const auto& a : actions_) out.push_back(a->path);
  return out;
}

}  // namespace cruddur::ddb::expr
