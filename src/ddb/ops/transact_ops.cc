// TransactWriteItems and TransactGetItems: all items registered as pending (a transaction that
// meets another in flight is cancelled with TransactionConflict, as on DynamoDB; so is a
// TransactGetItems whose item a write meets while it is in flight) and locked
// together (in stripe order), every condition checked, then one atomic storage batch.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <optional>
#include <set>
#include <string_view>

#include "ddb/cancellation.h"
#include "ddb/engine_impl.h"
#include "ddb/error.h"
#include "ddb/value_json.h"

namespace cruddur::ddb {
namespace {

enum class TransactKind { kConditionCheck, kPut, kDelete, kUpdate };

struct TransactWrite {
  TransactKind kind;
  std::shared_ptr<Table> table;
  Item key_or_item;      // a Put's item moves on to change.new_item once its condition holds
  size_t item_size = 0;  // ItemSize(key_or_item), as parsed
  expr::Substitutions subs;
  std::optional<expr::Condition> condition;
  std::optional<expr::Update> update;
  bool return_old_on_failure = false;
  ItemChange change;
  // A key that does not fit the table's key schema, or a Put's index key of another type: the
  // transaction is cancelled with this as the action's ValidationError reason (set instead of
  // change.storage_key).
  std::optional<std::string> key_mismatch;
  // As the request named it (ConsumedCapacity echoes an ARN); in the request's document.
  std::string_view table_name = {};
};

// "transactItems.<n>.member" and a field after it, for an action's constraint errors: made in a
// buffer, as every action's checks name a field and only an invalid action needs the text.
class MemberPath {
 public:
  explicit MemberPath(size_t index) {
    constexpr std::string_view kStart = "transactItems.";
    constexpr std::string_view kEnd = ".member";
    char* p = std::copy(kStart.begin(), kStart.end(), text_);
    p = std::to_chars(p, text_ + kMaxIndexDigits + kStart.size(), index + 1).ptr;
    size_ = static_cast<size_t>(std::copy(kEnd.begin(), kEnd.end(), p) - text_);
  }
  // The path with `field` (".tableName", ...) after it; valid until the next call.
  std::string_view operator()(std::string_view field) {
    field = field.substr(0, sizeof text_ - size_);
    std::copy(field.begin(), field.end(), text_ + size_);
    return {text_, size_ + field.size()};
  }

 private:
  static constexpr size_t kMaxIndexDigits = 20;
  char text_[96];
  size_t size_;
};

// Whether `item`'s key attributes are those of `ks`, of its types (a Key must hold nothing
// else). Empty or oversized values are checked apart from this.
bool KeyFitsSchema(const KeySchema& ks, const Item& item, bool whole_item) {
  auto fits = [&](const std::string& name, ValueType type) {
    auto it = item.find(name);
    return it != item.end() && it->second.type == type;
  };
  if (!fits(ks.hash_name, ks.hash_type)) return false;
  if (ks.has_range() && !fits(ks.range_name, ks.range_type)) return false;
  return whole_item || item.size() == (ks.has_range() ? 2u : 1u);
}

// Why a key (or a Put's whole item) does not fit its table, as the ValidationError that
// cancels the transaction; nothing when it fits. Errors of other kinds are thrown.
std::optional<std::string> KeyMismatch(const TableSchema& schema, const Item& key_or_item,
                                       bool whole_item) {
  if (KeyFitsSchema(schema.key, key_or_item, whole_item)) return std::nullopt;
  try {
    whole_item ? ValidateItemKeys(schema, key_or_item) : ValidateKeyParam(schema, key_or_item);
  } catch (const ApiError& e) {
    if (e.type() != "ValidationException") throw;
    return e.message();
  }
  return std::nullopt;
}

// The one action (ConditionCheck, Put, Delete or Update) of a TransactItems entry, and its kind.
const JsonValue& ActionBody(const JsonValue& entry, TransactKind* kind) {
  static const std::pair<const char*, TransactKind> kKinds[] = {
      {"ConditionCheck", TransactKind::kConditionCheck},
      {"Put", TransactKind::kPut},
      {"Delete", TransactKind::kDelete},
      {"Update", TransactKind::kUpdate}};
  const JsonValue* body = nullptr;
  int found = 0;
  for (const auto& [name, k] : kKinds) {
    if (const JsonValue* v = Request::ObjectOf(entry, name)) {
      body = v;
      *kind = k;
      ++found;
    }
  }
  if (found != 1) {
    throw ApiError::Validation(
        "TransactItems can only contain one of Check, Put, Update or "
        "Delete");
  }
  return *body;
}

// Parse: an entry's members, checked as DynamoDB checks them, and its expressions.
TransactWrite ParseTransactAction(const JsonValue& entry, size_t index,
                                  std::string_view* table_name_out) {
  ConstraintErrors errors;
  TransactKind kind = TransactKind::kPut;
  const JsonValue* body = &ActionBody(entry, &kind);
  MemberPath member(index);
  auto table_name = Request::StringOf(*body, "TableName");
  if (!table_name)
    errors.NotNull(member(".tableName"));
  else
    errors.CheckName(member(".tableName"), *table_name);
  const char* item_member = kind == TransactKind::kPut ? "Item" : "Key";
  const JsonValue* item_json = Request::ObjectOf(*body, item_member);
  if (!item_json) errors.NotNull(member(kind == TransactKind::kPut ? ".item" : ".key"));
  auto cond_text = Request::StringOf(*body, "ConditionExpression");
  auto update_text = Request::StringOf(*body, "UpdateExpression");
  if (kind == TransactKind::kConditionCheck && !cond_text) {
    errors.NotNull(member(".conditionCheck.conditionExpression"));
  }
  if (kind == TransactKind::kUpdate && !update_text) {
    errors.NotNull(member(".update.updateExpression"));
  }
  bool return_old = false;
  if (auto rv = Request::StringOf(*body, "ReturnValuesOnConditionCheckFailure")) {
    errors.CheckEnum(member(".returnValuesOnConditionCheckFailure"), *rv, {"ALL_OLD", "NONE"});
    return_old = *rv == "ALL_OLD";
  }
  errors.ThrowIfAny();

  TransactWrite t{kind,
                  nullptr,
                  ParseItem(*item_json),
                  0,
                  expr::Substitutions::Parse(Request::ObjectOf(*body, "ExpressionAttributeNames"),
                                             Request::ObjectOf(*body, "ExpressionAttributeValues")),
                  std::nullopt,
                  std::nullopt,
                  return_old,
                  {}};
  if (update_text) t.update = expr::Update::Parse(*update_text, t.subs);
  if (cond_text) t.condition = expr::Condition::Parse(*cond_text, t.subs, "ConditionExpression");
  t.subs.CheckAllUsed();
  *table_name_out = *table_name;
  return t;
}

// Validate: the action against its table (`table`, named `table_name`) and the table's
// `schema`, which gives it its storage key (or its key_mismatch reason).
void ResolveTransactAction(TransactWrite& t, std::shared_ptr<Table> table,
                           std::string_view table_name,
                           const std::shared_ptr<const TableSchema>& schema, size_t index) {
  t.table = std::move(table);
  t.table_name = table_name;
  t.item_size = ItemSize(t.key_or_item);
  // A key that does not fit the schema (missing, another type), or a Put's index key of another
  // type, cancels the transaction with the action's ValidationError; empty and oversized key
  // values are refused up front (the checks of emulators verified against DynamoDB: ExtendDB,
  // dynoxide; DynamoDB's answers captured for index keys in 2026).
  const bool put = t.kind == TransactKind::kPut;
  t.key_mismatch = KeyMismatch(*schema, t.key_or_item, put);
  if (put && !t.key_mismatch) {
    ValidateItemKeys(*schema, t.key_or_item);
    ValidateIndexKeys(*schema, t.key_or_item, IndexKeySource::kPut, &t.key_mismatch);
  }
  if (t.key_mismatch) {
    // No storage key: a distinct placeholder, never read or written.
    t.change.table = t.table;
    t.change.schema = schema;
    t.change.storage_key = std::string(1, '\0') + "key-mismatch-" + std::to_string(index);
    return;
  }
  if (put) {
    if (t.item_size > kMaxItemSize) {
      throw ApiError::Validation("Item size has exceeded the maximum allowed size");
    }
  } else {
    ValidateKeyParam(*schema, t.key_or_item);
  }
  if (t.update) {
    for (const auto& p : t.update->Paths()) {
      if (schema->key.IsKeyAttribute(p.front().name)) {
        throw ApiError::Validation(fmt::format(
            "One or more parameter values were invalid: Cannot update attribute {}. This "
            "attribute is part of the key",
            p.front().name));
      }
    }
  }
  t.change.table = t.table;
  t.change.schema = schema;
  t.change.storage_key = ItemStorageKey(*schema, t.key_or_item);
}

// The tables of a transaction's actions, looked up once for a run of actions on one table.
struct TransactTables {
  EngineImpl& engine;
  std::string_view name;
  std::shared_ptr<Table> table;
  std::shared_ptr<const TableSchema> schema;

  void Require(std::string_view table_name) {
    if (table && table_name == name) return;
    table = engine.RequireTable(table_name);
    schema = table->schema();
    name = table_name;
  }
};

TransactWrite ParseTransactWrite(TransactTables& tables, const JsonValue& entry, size_t index) {
  std::string_view table_name;
  TransactWrite t = ParseTransactAction(entry, index, &table_name);
  tables.Require(table_name);
  ResolveTransactAction(t, tables.table, table_name, tables.schema, index);
  return t;
}

// A TransactWriteItems request's own members (its actions apart), checked.
struct TransactWriteRequest {
  const JsonValue* items = nullptr;
  ReturnCapacity rc = ReturnCapacity::kNone;
  bool return_metrics = false;
  std::optional<std::string_view> token;  // ClientRequestToken
};

// TransactItems holds 1 to 100 actions.
void CheckTransactItemCount(const JsonValue* items, ConstraintErrors& errors) {
  if (items) errors.CheckListLength("transactItems", items->Size(), 1, 100);
}

TransactWriteRequest ParseTransactWriteRequest(const Request& req) {
  ConstraintErrors errors;
  TransactWriteRequest r;
  const JsonValue* items = req.Array("TransactItems");
  if (!items) ThrowRequired("TransactItems");
  r.items = items;
  r.rc = ParseReturnCapacity(req, errors);
  r.return_metrics = ParseReturnItemCollectionMetrics(req, errors);
  auto token = req.String("ClientRequestToken");
  if (token && (token->empty() || token->size() > 36)) {
    errors.Add(
        fmt::format("Value '{}' at 'clientRequestToken' failed to satisfy constraint: "
                    "Member must have length {} than or equal to {}",
                    *token, token->empty() ? "greater" : "less", token->empty() ? 1 : 36));
  }
  r.token = token;
  CheckTransactItemCount(items, errors);
  errors.ThrowIfAny();
  return r;
}

// Every action parsed and validated, in order; one item twice, or more than 4 MB of items and
// keys in all, refuses the request.
std::vector<TransactWrite> ParseTransactWrites(EngineImpl& engine, const JsonValue& items) {
  std::vector<TransactWrite> writes;
  writes.reserve(items.Size());  // never reallocated: `seen` views the storage keys in place
  std::set<std::string_view> seen;
  TransactTables tables{engine};
  size_t aggregate_size = 0;  // of the items put and the keys of the other actions
  for (rapidjson::SizeType i = 0; i < items.Size(); ++i) {
    writes.push_back(ParseTransactWrite(tables, items[i], i));
    if (!seen.insert(writes.back().change.storage_key).second) {
      throw ApiError::Validation(
          "Transaction request cannot include multiple operations on one "
          "item");
    }
    aggregate_size += writes.back().item_size;
  }
  if (aggregate_size > kMaxTransactionSize) {
    // DynamoDB's words, its own message repeated after "Payload Size: " (an answer recorded
    // from eu-north-1; DynamoDB Local says it once and measures the same sum of item sizes).
    const std::string said =
        fmt::format("Transaction payload size cannot exceed 4MB. Payload Size: {}", aggregate_size);
    throw ApiError::Validation(
        fmt::format("Transaction payload size cannot exceed 4MB. Payload Size: : {}", said));
  }
  return writes;
}

// The item an action leaves in c.new_item (none for ConditionCheck and Delete, nor for an
// Update that only removes from a missing item). Returns the action's ValidationError reason
// for an update that cannot apply to its item; throws for an index key updated to an empty
// value, which DynamoDB refuses as a whole request (its answer captured in 2026).
std::optional<std::string> ComputeNewItem(TransactWrite& t) {
  ItemChange& c = t.change;
  switch (t.kind) {
    case TransactKind::kConditionCheck:
      break;
    case TransactKind::kPut:
      c.new_item = std::move(t.key_or_item);
      break;
    case TransactKind::kDelete:
      break;
    case TransactKind::kUpdate: {
      if (!c.old_item && t.update->OnlyRemoves()) break;  // nothing to create
      Item updated = c.old_item ? *c.old_item : t.key_or_item;
      try {
        t.update->Apply(updated);
        CheckItemNesting(updated);
      } catch (const ApiError& e) {
        if (e.type() != "ValidationException") throw;
        return e.message();
      }
      std::optional<std::string> mismatch;
      ValidateIndexKeys(*c.schema, updated, IndexKeySource::kUpdate, &mismatch);
      if (mismatch) return mismatch;
      if (ItemSize(updated) > kMaxItemSize) {
        return "Item size to update has exceeded the maximum allowed size";
      }
      c.new_item = std::move(updated);
      break;
    }
  }
  return std::nullopt;
}

// The transaction is cancelled when a table it reads or writes has no units left: the action's
// reason says which (DynamoDB's codes ProvisionedThroughputExceeded and ThrottlingError).
// `admit(i)` admits action i.
template <typename Admit>
void AdmitTransaction(size_t actions, Admit admit) {
  std::vector<CancellationReason> reasons(actions);
  bool cancelled = false;
  for (size_t i = 0; i < actions; ++i) {
    try {
      admit(i);
    } catch (const ApiError& e) {
      if (e.type() == "ProvisionedThroughputExceededException") {
        reasons[i].code = "ProvisionedThroughputExceeded";
      } else if (e.type() == "ThrottlingException") {
        reasons[i].code = "ThrottlingError";
      } else {
        throw;
      }
      reasons[i].message = e.message();
      cancelled = true;
    }
  }
  if (cancelled) ThrowCancelled(reasons);
}

// Cancels a transaction that met others in flight on the actions at `conflicts`.
[[noreturn]] void ThrowConflicts(size_t actions, const std::vector<size_t>& conflicts) {
  std::vector<CancellationReason> reasons(actions);
  for (size_t i : conflicts) {
    reasons[i].code = "TransactionConflict";
    reasons[i].message = kTransactionConflictMessage;
  }
  ThrowCancelled(reasons);
}

// Under the locks of all the items: each action's item loaded, its condition checked and its
// new item computed. Any failure cancels the transaction, with a reason per action.
void CheckTransactWrites(EngineImpl& engine, std::vector<TransactWrite>& writes) {
  std::vector<CancellationReason> reasons;  // sized at the first failure
  auto reason = [&](size_t i) -> CancellationReason& {
    reasons.resize(writes.size());
    return reasons[i];
  };
  // A key that does not fit is found before anything is read: the first such action cancels
  // with its ValidationError, every other action's reason is None, no condition is evaluated
  // (DynamoDB's answer, in ScyllaDB's Alternator tests run against it; DynamoDB Local goes on
  // and reports every action).
  for (size_t i = 0; i < writes.size(); ++i) {
    if (writes[i].key_mismatch) {
      reason(i).code = "ValidationError";
      reason(i).message = *writes[i].key_mismatch;
      ThrowCancelled(reasons);
    }
  }
  // The actions' items, read together: the attributes where a condition, an update, an index
  // or a stream needs them, else only the size (a Put or Delete without condition).
  std::vector<ItemChange*> reads;
  std::vector<bool> attributes;
  for (TransactWrite& t : writes) {
    t.change.schema = t.table->schema();
    reads.push_back(&t.change);
    attributes.push_back(t.condition || t.kind == TransactKind::kUpdate ||
                         NeedsOldItem(*t.change.schema));
  }
  engine.LoadOldItems(reads, attributes);
  for (size_t i = 0; i < writes.size(); ++i) {
    TransactWrite& t = writes[i];
    ItemChange& c = t.change;
    if (t.condition && !t.condition->Evaluate(c.old_item ? *c.old_item : Item{})) {
      reason(i).code = "ConditionalCheckFailed";
      reason(i).message = "The conditional request failed";
      if (t.return_old_on_failure) reason(i).item = c.old_item;
      continue;
    }
    if (std::optional<std::string> invalid = ComputeNewItem(t)) {
      reason(i).code = "ValidationError";
      reason(i).message = std::move(*invalid);
    }
  }
  if (!reasons.empty()) ThrowCancelled(reasons);
}

// Apply: the checked actions written in one storage batch; the capacity each table consumed.
std::map<std::string, Capacity> CommitTransactWrites(EngineImpl& engine,
                                                     std::vector<TransactWrite>& writes) {
  std::map<std::string, Capacity> capacities;
  std::vector<Capacity> each(writes.size(), Capacity{.access = Access::kWrite});
  storage::WriteBatch batch;
  std::vector<const ItemChange*> committed;
  for (size_t i = 0; i < writes.size(); ++i) {
    TransactWrite& t = writes[i];
    ItemChange& c = t.change;
    size_t new_size = t.kind == TransactKind::kPut ? t.item_size
                      : c.new_item                 ? ItemSize(*c.new_item)
                                                   : 0;
    // Transactional writes cost twice the standard units; a ConditionCheck costs as a write
    // (DynamoDB, measured: paritysuite/dynamodb-conformance#67).
    each[i].table = 2 * WriteUnits(std::max(new_size, c.OldSize()));
    if (t.kind == TransactKind::kConditionCheck) continue;
    if (t.kind == TransactKind::kDelete && !c.had_old()) continue;
    engine.AddChange(c, &batch, &each[i]);
    committed.push_back(&c);
  }
  engine.Commit(batch, committed);
  // Each table's units taken at once (the actions of a transaction mostly share one table).
  std::vector<std::pair<Table*, Capacity>> consumed;
  for (size_t i = 0; i < writes.size(); ++i) {
    Table* table = writes[i].table.get();
    auto it = std::find_if(consumed.begin(), consumed.end(),
                           [&](const auto& e) { return e.first == table; });
    if (it == consumed.end()) it = consumed.insert(it, {table, Capacity{.access = Access::kWrite}});
    for (Capacity* capacity : {&it->second, &capacities[std::string(writes[i].table_name)]}) {
      capacity->access = Access::kWrite;
      capacity->table += each[i].table;
      for (const auto& [index, units] : each[i].global_indexes)
        capacity->global_indexes[index] += units;
      for (const auto& [index, units] : each[i].local_indexes)
        capacity->local_indexes[index] += units;
    }
  }
  for (const auto& [table, capacity] : consumed) engine.ConsumeCapacity(*table, capacity);
  return capacities;
}

void WriteItemCollectionMetricsOf(JsonWriter& w, const std::vector<TransactWrite>& writes) {
  std::vector<std::pair<std::shared_ptr<const TableSchema>, Item>> keys;
  for (const auto& t : writes) {
    if (t.kind == TransactKind::kConditionCheck) continue;
    // (A Put's item has moved to change.new_item.)
    keys.emplace_back(t.change.schema,
                      t.kind == TransactKind::kPut ? *t.change.new_item : t.key_or_item);
  }
  WriteItemCollectionMetricsMap(w, keys);
}

}  // namespace

// Parse (the request, then each action), validate (each action against its table), then, under
// the items' locks, check the conditions and apply the writes in one batch.
void EngineImpl::TransactWriteItems(const Request& req, JsonWriter& w) {
  TransactWriteRequest r = ParseTransactWriteRequest(req);
  std::vector<TransactWrite> writes = ParseTransactWrites(*this, *r.items);

  std::string request_text;
  if (r.token) {
    JsonBuffer buf;
    JsonWriter tw(buf);
    req.root().Accept(tw);
    request_text.assign(buf.GetString(), buf.GetSize());
    MutexLock lock(tokens_mu_);
    auto now = std::chrono::steady_clock::now();
    std::erase_if(tokens_, [&](const auto& e) { return e.second.expires < now; });
    auto it = tokens_.find(std::string(*r.token));
    if (it != tokens_.end()) {
      if (it->second.request != request_text) {
        throw ApiError::IdempotentParameterMismatch(
            "Specified idempotency token was used with different request parameters within the "
            "idempotency window");
      }
      lock.Unlock();
      // A replay reads the transaction's items: transactional read units of each as it is now
      // (DynamoDB, measured: paritysuite/dynamodb-conformance#68).
      std::map<std::string, Capacity> read;
      for (const auto& t : writes) {
        if (t.key_mismatch) continue;
        Capacity one{.table = 2 * ReadUnits(LoadItemSize(t.change.storage_key).value_or(0), true)};
        ConsumeCapacity(*t.table, one);
        read[std::string(t.table_name)].table += one.table;
      }
      w.StartObject();
      WriteConsumedCapacityList(w, read, r.rc, true);
      w.EndObject();
      return;
    }
  }
  AdmitTransaction(writes.size(),
                   [&](size_t i) { AdmitRequest(*writes[i].table, Access::kWrite); });

  // Registered as pending first: a transaction in flight on one of the items cancels this one.
  std::vector<std::string_view> keys;
  std::vector<size_t> key_index;  // the action of each key
  for (size_t i = 0; i < writes.size(); ++i) {
    if (writes[i].key_mismatch) continue;  // no item: its placeholder key is never pending
    keys.push_back(writes[i].change.storage_key);
    key_index.push_back(i);
  }
  std::vector<size_t> conflicts = pending_.Register(keys);
  if (!conflicts.empty()) {
    for (size_t& c : conflicts) c = key_index[c];
    ThrowConflicts(writes.size(), conflicts);
  }
  PendingTransactions::Guard registered(&pending_, keys);
  for (auto key : keys) pending_.NoteWrite(key);  // cancels the TransactGetItems in flight on it
  std::vector<size_t> stripes;
  stripes.reserve(writes.size());
  for (const auto& t : writes) stripes.push_back(locks_.Stripe(t.change.storage_key));
  std::map<std::string, Capacity> capacities;
  {
    auto guard = locks_.Lock(std::move(stripes));
    if (options_.transaction_hook) options_.transaction_hook();
    CheckTransactWrites(*this, writes);
    capacities = CommitTransactWrites(*this, writes);
  }
  if (r.token) {
    MutexLock lock(tokens_mu_);
    tokens_[std::string(*r.token)] = {request_text,
                                      std::chrono::steady_clock::now() + std::chrono::minutes(10)};
  }
  w.StartObject();
  WriteConsumedCapacityList(w, capacities, r.rc, true);
  if (r.return_metrics) WriteItemCollectionMetricsOf(w, writes);
  w.EndObject();
}

void EngineImpl::TransactGetItems(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  const JsonValue* items = req.Array("TransactItems");
  if (!items) ThrowRequired("TransactItems");
  ReturnCapacity rc = ParseReturnCapacity(req, errors);
  CheckTransactItemCount(items, errors);
  errors.ThrowIfAny();
  struct Get {
    std::shared_ptr<Table> table;
    std::shared_ptr<const TableSchema> schema;
    std::string table_name;  // as the request named it
    std::string storage_key;
    std::optional<expr::Projection> projection;
  };
  std::vector<Get> gets;
  std::set<std::string> seen;
  // As in TransactWriteItems: the first key that does not fit its table (missing, another
  // type, an extra attribute) cancels with its ValidationError once every action is resolved.
  std::optional<std::pair<size_t, std::string>> key_mismatch;
  for (rapidjson::SizeType i = 0; i < items->Size(); ++i) {
    const JsonValue* get = Request::ObjectOf((*items)[i], "Get");
    std::string member = fmt::format("transactItems.{}.member", i + 1);
    if (!get) errors.NotNull(member + ".get");
    errors.ThrowIfAny();
    auto table_name = Request::StringOf(*get, "TableName");
    const JsonValue* key_json = Request::ObjectOf(*get, "Key");
    if (!table_name) errors.NotNull(member + ".get.tableName");
    if (!key_json) errors.NotNull(member + ".get.key");
    errors.ThrowIfAny();
    Item key = ParseItem(*key_json);
    expr::Substitutions subs =
        expr::Substitutions::Parse(Request::ObjectOf(*get, "ExpressionAttributeNames"), nullptr);
    Get g;
    if (auto text = Request::StringOf(*get, "ProjectionExpression")) {
      g.projection = expr::Projection::Parse(*text, subs);
    }
    subs.CheckAllUsed();
    g.table = RequireTable(*table_name);
    g.schema = g.table->schema();
    g.table_name = std::string(*table_name);
    if (auto mismatch = KeyMismatch(*g.schema, key, false)) {
      if (!key_mismatch) key_mismatch.emplace(i, std::move(*mismatch));
      gets.push_back(std::move(g));
      continue;
    }
    ValidateKeyParam(*g.schema, key);
    g.storage_key = ItemStorageKey(*g.schema, key);
    if (!seen.insert(g.storage_key).second) {
      throw ApiError::Validation(
          "Transaction request cannot include multiple operations on one "
          "item");
    }
    gets.push_back(std::move(g));
  }
  if (key_mismatch) {
    std::vector<CancellationReason> reasons(gets.size());
    reasons[key_mismatch->first].code = "ValidationError";
    reasons[key_mismatch->first].message = std::move(key_mismatch->second);
    ThrowCancelled(reasons);
  }
  // Registered as a pending read before looking for pending writes: a write that registers
  // after the look finds the read and cancels it.
  std::vector<std::string_view> keys;
  keys.reserve(gets.size());
  for (const auto& g : gets) keys.push_back(g.storage_key);
  PendingTransactions::Read read(&pending_, keys);
  std::vector<size_t> conflicts;
  for (size_t i = 0; i < gets.size(); ++i) {
    if (pending_.IsPending(gets[i].storage_key)) conflicts.push_back(i);
  }
  if (!conflicts.empty()) ThrowConflicts(gets.size(), conflicts);
  AdmitTransaction(gets.size(), [&](size_t i) { AdmitRequest(*gets[i].table, Access::kRead); });
  if (options_.transact_get_hook) options_.transact_get_hook();
  std::vector<size_t> stripes;
  stripes.reserve(gets.size());
  for (const auto& g : gets) stripes.push_back(locks_.Stripe(g.storage_key));
  std::vector<std::optional<Item>> results;
  {
    auto guard = locks_.Lock(std::move(stripes));
    for (const auto& g : gets) results.push_back(LoadItem(g.storage_key));
  }
  conflicts = read.Conflicts();
  if (!conflicts.empty()) ThrowConflicts(gets.size(), conflicts);
  std::map<std::string, Capacity> capacities;
  w.StartObject();
  WriteKey(w, "Responses");
  w.StartArray();
  for (size_t i = 0; i < gets.size(); ++i) {
    w.StartObject();
    if (results[i]) {
      WriteKey(w, "Item");
      WriteItem(w, gets[i].projection ? gets[i].projection->Apply(*results[i]) : *results[i]);
    }
    w.EndObject();
    // Transactional reads cost twice the standard units, a missing item's too.
    Capacity one{.table = 2 * ReadUnits(results[i] ? ItemSize(*results[i]) : 0, true)};
    ConsumeCapacity(*gets[i].table, one);
    capacities[gets[i].table_name].table += one.table;
  }
  w.EndArray();
  WriteConsumedCapacityList(w, capacities, rc, true);
  w.EndObject();
}

}  // namespace cruddur::ddb
