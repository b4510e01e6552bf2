// Single-item operations: PutItem, GetItem, UpdateItem, DeleteItem.
#include <fmt/format.h>

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/engine_impl.h"
#include "ddb/error.h"
#include "ddb/expression/legacy.h"
#include "ddb/item_codec.h"
#include "ddb/key_codec.h"
#include "ddb/value_json.h"

namespace cruddur::ddb {
namespace {

// ReturnValues, checked against what the operation allows.
std::string_view ReturnValuesParam(const Request& req, ConstraintErrors& errors) {
  auto rv = req.String("ReturnValues");
  if (!rv) return "NONE";
  errors.CheckEnum("returnValues", *rv,
                   {"ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"});
  return *rv;
}

bool ReturnOldOnFailure(const Request& req, ConstraintErrors& errors) {
  auto v = req.String("ReturnValuesOnConditionCheckFailure");
  if (!v) return false;
  errors.CheckEnum("returnValuesOnConditionCheckFailure", *v, {"ALL_OLD", "NONE"});
  return *v == "ALL_OLD";
}

// ConditionExpression, or the legacy Expected (+ ConditionalOperator) when there is none.
std::optional<expr::Condition> ParseCondition(const Request& req, expr::Substitutions& subs) {
  auto text = req.String("ConditionExpression");
  if (!text) return expr::legacy::ExpectedCondition(req.root());
  return expr::Condition::Parse(*text, subs, "ConditionExpression");
}

void AddLegacyViolations(const Request& req, expr::legacy::Operation op, ConstraintErrors& errors) {
  for (auto& v : expr::legacy::ConstraintViolations(req.root(), op)) errors.Add(std::move(v));
}

[[noreturn]] void ThrowConditionFailed(const std::optional<Item>& old, bool return_old) {
  ApiError e = ApiError::ConditionalCheckFailed();
  if (return_old && old) {
    JsonBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    WriteKey(w, "Item");
    WriteItem(w, *old);
    w.EndObject();
    // Strip the braces: extra_json holds members only.
    std::string members(buf.GetString() + 1, buf.GetSize() - 2);
    e.with_extra_json(std::move(members));
  }
  throw e;
}

// A Key of the shape nearly every request sends: only members {"S": "<string>"}. ParseItem
// cannot fail on it (an S value takes any string), so its parse can wait for the schema.
bool OnlyStringValues(const JsonValue& key) {
  for (const auto& m : key.GetObject()) {
    const JsonValue& v = m.value;
    if (!v.IsObject() || v.MemberCount() != 1) return false;
    const auto& typed = *v.MemberBegin();
    if (typed.name.GetStringLength() != 1 || typed.name.GetString()[0] != 'S' ||
        !typed.value.IsString()) {
      return false;
    }
  }
  return true;
}

// The table's encoded key read straight off such a Key (no Item built) when it is exactly the
// schema's S key attributes, non-empty and within the size limits; false otherwise, and then
// ParseItem and ValidateKeyParam give the answer (and DynamoDB's error).
bool EncodeStringKey(const KeySchema& ks, const JsonValue& key, EncodedKey* out) {
  if (ks.hash_type != ValueType::kS || (ks.has_range() && ks.range_type != ValueType::kS)) {
    return false;
  }
  if (key.MemberCount() != (ks.has_range() ? 2u : 1u)) return false;
  // The value's bytes, once encoded into `encoded`; nullopt when not a usable S value.
  auto value = [&](const std::string& name, size_t max_size,
                   std::string* encoded) -> std::optional<std::string_view> {
    const JsonValue* v = MemberValue(key, name);
    if (!v) return std::nullopt;
    const std::string_view s = View(v->MemberBegin()->value);
    if (s.empty() || s.size() > max_size) return std::nullopt;
    EncodeKeyBytes(s, encoded);
    return s;
  };
  auto hash = value(ks.hash_name, kMaxPartitionKeySize, &out->hash);
  if (!hash || (ks.has_range() && !value(ks.range_name, kMaxSortKeySize, &out->range))) {
    return false;
  }
  out->partition_hash = PartitionKeyHashOfBytes(*hash);
  return true;
}

// The parts of `item` at `paths` (UPDATED_OLD / UPDATED_NEW).
Item UpdatedAttributes(const Item& item, const std::vector<expr::Path>& paths) {
  return expr::Projection::FromPaths(paths).Apply(item);
}

// Runs one item change under its key's lock: loads the current item, checks the condition,
// lets `compute` set change.new_item (left empty: a delete) and then writes the item and its
// index entries in one batch. Returns the capacity consumed (also counted, as is a failed
// condition's). Unless `need_old_item` (or the table's indexes or stream) needs the current item's
// attributes, only its size is read. `partition`: ThrottlePartition's.
template <typename Compute>
Capacity ApplyChange(EngineImpl& engine, ItemChange& change,
                     const std::optional<expr::Condition>& cond, bool return_old_on_failure,
                     bool need_old_item, std::string_view partition, Compute compute) {
  Capacity capacity{.access = Access::kWrite};
  // An item under a pending transaction refuses the write, as DynamoDB does.
  if (engine.pending_transactions().IsPending(change.storage_key)) {
    throw ApiError::TransactionConflict(std::string(kTransactionConflictMessage));
  }
  auto guard = engine.locks().LockKey(change.storage_key);
  engine.pending_transactions().NoteWrite(change.storage_key);  // a TransactGetItems on it fails
  change.schema = change.table->schema();  // the latest indexes, should UpdateTable have run
  if (need_old_item || cond || !change.schema->indexes.empty() || change.schema->stream.enabled) {
    change.old_item = engine.LoadItem(change.storage_key);
  } else {
    change.old_size = engine.LoadItemSize(change.storage_key);
  }
  if (cond && !cond->Evaluate(change.old_item ? *change.old_item : Item{})) {
    // A failed condition still consumes write units: the existing item's size, at least 1
    // (AWS, "Condition expressions": "DynamoDB still consumes write capacity").
    capacity.table = WriteUnits(change.OldSize());
    engine.ConsumeCapacity(*change.table, capacity, nullptr, partition);
    ThrowConditionFailed(change.old_item, return_old_on_failure);
  }
  compute(change);
  size_t size = change.new_item ? ItemSize(*change.new_item) : 0;
  capacity.table = WriteUnits(std::max(size, change.OldSize()));
  storage::WriteBatch batch;
  engine.AddChange(change, &batch, &capacity);
  engine.Commit(batch, {&change});
  engine.ConsumeCapacity(*change.table, capacity, nullptr, partition);
  return capacity;
}

// {"Attributes": ..., "ConsumedCapacity": ..., "ItemCollectionMetrics": ...} of a single-item
// write of the item with `key`.
// `table_name`: as the request named the table (ConsumedCapacity echoes an ARN).
void WriteResponse(EngineImpl& engine, JsonWriter& w, const std::optional<Item>& attributes,
                   const TableSchema& schema, std::string_view table_name, const Item& key,
                   const Capacity& capacity, ReturnCapacity rc, bool return_metrics) {
  w.StartObject();
  if (attributes && !attributes->empty()) {
    WriteKey(w, "Attributes");
    WriteItem(w, *attributes);
  }
  if (rc != ReturnCapacity::kNone) {
    WriteKey(w, "ConsumedCapacity");
    w.StartObject();
    engine.WriteConsumedCapacity(w, std::string(table_name), capacity, rc);
    w.EndObject();
  }
  if (return_metrics && HasItemCollections(schema)) {
    WriteKey(w, "ItemCollectionMetrics");
    WriteItemCollectionMetrics(w, schema, key);
  }
  w.EndObject();
}

// The parameters PutItem and DeleteItem share, parsed and validated in DynamoDB's order.
struct WriteParams {
  std::string_view table_name;
  Item item;                    // PutItem's Item, DeleteItem's Key
  bool return_all_old = false;  // ReturnValues ALL_OLD (the only other value allowed is NONE)
  bool return_old_on_failure = false;
  ReturnCapacity rc = ReturnCapacity::kNone;
  bool return_metrics = false;  // ReturnItemCollectionMetrics SIZE
  std::optional<expr::Condition> cond;
};

WriteParams ParseWriteParams(const Request& req, std::string_view item_member,
                             expr::legacy::Operation op) {
  WriteParams p;
  ConstraintErrors errors;
  p.table_name = TableNameParam(req, errors);
  const JsonValue* item_json = req.Object(item_member);
  if (!item_json) ThrowRequired(item_member);
  std::string_view rv = ReturnValuesParam(req, errors);
  p.return_old_on_failure = ReturnOldOnFailure(req, errors);
  p.rc = ParseReturnCapacity(req, errors);
  p.return_metrics = ParseReturnItemCollectionMetrics(req, errors);
  AddLegacyViolations(req, op, errors);
  errors.ThrowIfAny();
  if (rv != "NONE" && rv != "ALL_OLD") {
    throw ApiError::Validation("ReturnValues can only be ALL_OLD or NONE");
  }
  p.return_all_old = rv == "ALL_OLD";
  expr::legacy::Validate(req.root(), op);
  p.item = ParseItem(*item_json);
  CheckSubstitutionsNeedExpressions(req, {"ConditionExpression"});
  expr::Substitutions subs = ParseSubstitutions(req);
  p.cond = ParseCondition(req, subs);
  subs.CheckAllUsed();
  return p;
}

}  // namespace

void EngineImpl::PutItem(const Request& req, JsonWriter& w) {
  WriteParams p = ParseWriteParams(req, "Item", expr::legacy::Operation::kPutItem);
  auto table = RequireTable(p.table_name);
  auto schema = table->schema();
  ValidateItemKeys(*schema, p.item);
  ValidateIndexKeys(*schema, p.item);
  if (ItemSize(p.item) > kMaxItemSize) {
    throw ApiError::Validation("Item size has exceeded the maximum allowed size");
  }

  std::string partition = ThrottlePartition(*schema, p.item);
  AdmitRequest(*table, Access::kWrite, nullptr, partition);
  ItemChange change{table, schema, ItemStorageKey(*schema, p.item), std::nullopt,
                    std::move(p.item)};
  Capacity capacity = ApplyChange(*this, change, p.cond, p.return_old_on_failure, p.return_all_old,
                                  partition, [](ItemChange&) {});
  WriteResponse(*this, w, p.return_all_old ? change.old_item : std::nullopt, *schema, p.table_name,
                *change.new_item, capacity, p.rc, p.return_metrics);
}

void EngineImpl::GetItem(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  std::string_view name = TableNameParam(req, errors);
  const JsonValue* key_json = req.Object("Key");
  if (!key_json) ThrowRequired("Key");
  ReturnCapacity rc = ParseReturnCapacity(req, errors);
  bool consistent = req.Bool("ConsistentRead").value_or(false);
  AddLegacyViolations(req, expr::legacy::Operation::kGetItem, errors);
  errors.ThrowIfAny();
  expr::legacy::Validate(req.root(), expr::legacy::Operation::kGetItem);
  const bool string_key = OnlyStringValues(*key_json);
  Item key;
  if (!string_key) key = ParseItem(*key_json);
  CheckSubstitutionsNeedExpressions(req, {"ProjectionExpression"});
  expr::Substitutions subs = ParseSubstitutions(req);
  std::optional<expr::Projection> projection = expr::legacy::AttributesToGet(req.root());
  if (auto text = req.String("ProjectionExpression")) {
    projection = expr::Projection::Parse(*text, subs);
  }
  subs.CheckAllUsed();

  auto table = RequireTable(name);
  auto schema = table->schema();
  EncodedKey encoded;
  if (!string_key || !EncodeStringKey(schema->key, *key_json, &encoded)) {
    if (string_key) key = ParseItem(*key_json);
    ValidateKeyParam(*schema, key);
    encoded = EncodeKey(schema->key, key);
  }
  std::string partition;
  if (Throttles(*schema))
    partition = ThrottlePartition(*schema, key.empty() ? ParseItem(*key_json) : key);
  AdmitRequest(*table, Access::kRead, nullptr, partition);
  size_t size = 0;
  bool ok = true;
  w.StartObject();
  store().Read(ItemStorageKey(*schema, encoded), [&](std::string_view bytes) {
    WriteKey(w, "Item");
    // Without a projection the stored bytes are written out as they are, never decoded.
    if (projection) {
      Item item;
      ok = DecodeItem(bytes, &item);
      if (ok) {
        size = ItemSize(item);
        WriteItem(w, projection->Apply(item));
      }
    } else {
      ok = WriteEncodedItem(bytes, w, &size);
    }
  });
  if (!ok) throw ApiError::InternalServer("corrupt item in storage");
  Capacity capacity{.table = ReadUnits(size, consistent)};
  ConsumeCapacity(*table, capacity, nullptr, partition);
  if (rc != ReturnCapacity::kNone) {
    WriteKey(w, "ConsumedCapacity");
    w.StartObject();
    WriteConsumedCapacity(w, std::string(name), capacity, rc);
    w.EndObject();
  }
  w.EndObject();
}

void EngineImpl::DeleteItem(const Request& req, JsonWriter& w) {
  WriteParams p = ParseWriteParams(req, "Key", expr::legacy::Operation::kDeleteItem);
  auto table = RequireTable(p.table_name);
  auto schema = table->schema();
  ValidateKeyParam(*schema, p.item);
  std::string partition = ThrottlePartition(*schema, p.item);
  AdmitRequest(*table, Access::kWrite, nullptr, partition);
  ItemChange change{table, schema, ItemStorageKey(*schema, p.item), std::nullopt, std::nullopt};
  Capacity capacity = ApplyChange(*this, change, p.cond, p.return_old_on_failure, p.return_all_old,
                                  partition, [](ItemChange&) {});
  WriteResponse(*this, w, p.return_all_old ? change.old_item : std::nullopt, *schema, p.table_name,
                p.item, capacity, p.rc, p.return_metrics);
}

namespace {

// The bytes of the top-level attributes of `item` that `paths` write (each once): an
// UpdateExpression's measure of the item against the size limit, with ActionBytes, which leaves
// out the key and the attributes the update does not touch (DynamoDB, measured by
// nubo-db/dynamodb-conformance's bisections in 2026; a transaction's Update and PartiQL's
// UPDATE measure the whole item only).
size_t WrittenBytes(const Item& item, const std::vector<expr::Path>& paths) {
  std::set<std::string_view> names;
  for (const auto& p : paths) names.insert(p.front().name);
  size_t bytes = 0;
  for (std::string_view name : names) {
    auto it = item.find(std::string(name));
    if (it != item.end()) bytes += name.size() + AttributeValueSize(it->second);
  }
  return bytes;
}

}  // namespace

void EngineImpl::UpdateItem(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  std::string_view name = TableNameParam(req, errors);
  const JsonValue* key_json = req.Object("Key");
  if (!key_json) ThrowRequired("Key");
  std::string_view rv = ReturnValuesParam(req, errors);
  bool return_old_on_failure = ReturnOldOnFailure(req, errors);
  ReturnCapacity rc = ParseReturnCapacity(req, errors);
  bool return_metrics = ParseReturnItemCollectionMetrics(req, errors);
  AddLegacyViolations(req, expr::legacy::Operation::kUpdateItem, errors);
  errors.ThrowIfAny();
  expr::legacy::Validate(req.root(), expr::legacy::Operation::kUpdateItem);
  Item key = ParseItem(*key_json);
  CheckSubstitutionsNeedExpressions(req, {"UpdateExpression", "ConditionExpression"});
  expr::Substitutions subs = ParseSubstitutions(req);
  std::optional<expr::Update> update;
  // PartiQL's UPDATE runs here too, and measures the whole item only.
  const bool expression = req.String("UpdateExpression").has_value() && !PartiqlScope::Active();
  if (auto text = req.String("UpdateExpression")) {
    update = expr::Update::Parse(*text, subs);
  } else {
    update = expr::legacy::AttributeUpdates(req.root());
  }
  std::optional<expr::Condition> cond = ParseCondition(req, subs);
  subs.CheckAllUsed();

  auto table = RequireTable(name);
  auto schema = table->schema();
  ValidateKeyParam(*schema, key);
  std::vector<expr::Path> paths;
  if (update) paths = update->Paths();
  for (const auto& p : paths) {
    if (schema->key.IsKeyAttribute(p.front().name)) {
      throw ApiError::Validation(fmt::format(
          "One or more parameter values were invalid: Cannot update attribute {}. This attribute "
          "is part of the key",
          p.front().name));
    }
  }

  std::string partition = ThrottlePartition(*schema, key);
  AdmitRequest(*table, Access::kWrite, nullptr, partition);
  ItemChange change{table, schema, ItemStorageKey(*schema, key), std::nullopt, std::nullopt};
  Capacity capacity =
      ApplyChange(*this, change, cond, return_old_on_failure, true, partition, [&](ItemChange& c) {
        if (!c.old_item && update && update->OnlyRemoves()) return;  // nothing to create
        Item updated = c.old_item ? *c.old_item : key;
        if (update) update->Apply(updated);
        CheckItemNesting(updated);
        ValidateIndexKeys(*c.schema, updated, IndexKeySource::kUpdate);
        // WrittenBytes is at most the item's size: measured only near the limit.
        const size_t size = ItemSize(updated);
        const size_t action_bytes = expression ? update->ActionBytes() : 0;
        if (size > kMaxItemSize || (size + action_bytes > kMaxItemSize &&
                                    WrittenBytes(updated, paths) + action_bytes > kMaxItemSize)) {
          throw ApiError::Validation("Item size to update has exceeded the maximum allowed size");
        }
        c.new_item = std::move(updated);
      });
  std::optional<Item> attributes;
  if (rv == "ALL_OLD") {
    attributes = change.old_item;
  } else if (rv == "ALL_NEW") {
    attributes = change.new_item;
  } else if (rv == "UPDATED_OLD" && change.old_item) {
    attributes = UpdatedAttributes(*change.old_item, paths);
  } else if (rv == "UPDATED_NEW" && change.new_item) {
    attributes = UpdatedAttributes(*change.new_item, paths);
  }
  WriteResponse(*this, w, attributes, *schema, name, key, capacity, rc, return_metrics);
}

}  // namespace cruddur::ddb
