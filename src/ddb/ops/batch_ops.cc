// BatchGetItem and BatchWriteItem.
#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "ddb/engine_impl.h"
#include "ddb/error.h"
#include "ddb/expression/legacy.h"
#include "ddb/item_codec.h"
#include "ddb/value_json.h"

namespace cruddur::ddb {
namespace {

const JsonValue& RequestItems(const Request& req) {
  const JsonValue* items = req.Object("RequestItems");
  if (!items) ThrowRequired("RequestItems");
  return *items;
}

[[noreturn]] void ThrowDuplicates() {
  throw ApiError::Validation("Provided list of item keys contains duplicates");
}

// A key of a request as written: its attributes in name order, each with its value's JSON as
// sent, so a number is its text ('1' and '1.0' differ), which is how BatchGetItem tells
// duplicates apart.
std::string KeyAsWritten(const JsonValue& key) {
  std::vector<const JsonValue::Member*> members;
  for (const auto& m : key.GetObject()) members.push_back(&m);
  std::sort(members.begin(), members.end(),
            [](const auto* a, const auto* b) { return View(a->name) < View(b->name); });
  JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  for (const auto* m : members) {
    m->name.Accept(w);
    m->value.Accept(w);
  }
  w.EndArray();
  return {buffer.GetString(), buffer.GetSize()};
}

bool IsThrottling(const ApiError& e) {
  return e.type() == "ProvisionedThroughputExceededException" || e.type() == "ThrottlingException";
}

// Runs `admit` (the admission of one key or write of a batch): false when it throttles, the
// batch's first throttling error kept in `throttled` (the answer when nothing is processed).
template <typename Admit>
bool Admitted(Admit&& admit, std::optional<ApiError>& throttled) {
  try {
    admit();
  } catch (const ApiError& e) {
    if (!IsThrottling(e)) throw;
    if (!throttled) {
      throttled = e;
      RecordThrottledRequest();  // answered with Unprocessed*, counted as throttled all the same
    }
    return false;
  }
  return true;
}

}  // namespace

void EngineImpl::BatchGetItem(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  ReturnCapacity rc = ParseReturnCapacity(req, errors);
  errors.ThrowIfAny();
  const JsonValue& request_items = RequestItems(req);
  if (request_items.MemberCount() == 0) {
    throw ApiError::Validation("The requestItems parameter is required for BatchGetItem");
  }
  struct TableRead {
    std::string name;
    std::shared_ptr<Table> table;
    std::shared_ptr<const TableSchema> schema;
    const JsonValue* request = nullptr;  // the table's entry of RequestItems
    std::vector<Item> keys;
    std::optional<expr::Projection> projection;
    bool consistent = false;
  };
  std::vector<TableRead> reads;
  size_t total_keys = 0;
  for (const auto& m : request_items.GetObject()) {
    TableRead read;
    read.name = m.name.GetString();
    read.request = &m.value;
    errors.CheckName("requestItems.member.key", read.name);
    errors.ThrowIfAny();
    if (!m.value.IsObject()) throw ApiError::Serialization("Unexpected field type");
    const JsonValue* keys = Request::ArrayOf(m.value, "Keys");
    if (!keys) {
      errors.NotNull("requestItems." + read.name + ".member.keys");
      errors.ThrowIfAny();
    }
    total_keys += keys->Size();
    if (keys->Size() == 0 || keys->Size() > 100) {
      throw ApiError::Validation(fmt::format(
          "1 validation error detected: Value at 'requestItems.{}.member.keys' failed to satisfy "
          "constraint: Member must have length {} than or equal to {}",
          read.name, keys->Size() == 0 ? "greater" : "less", keys->Size() == 0 ? 1 : 100));
    }
    for (auto& v :
         expr::legacy::ConstraintViolations(m.value, expr::legacy::Operation::kBatchGetItem)) {
      errors.Add(std::move(v));
    }
    errors.ThrowIfAny();
    expr::legacy::Validate(m.value, expr::legacy::Operation::kBatchGetItem);
    expr::Substitutions subs =
        expr::Substitutions::Parse(Request::ObjectOf(m.value, "ExpressionAttributeNames"), nullptr);
    if (auto text = Request::StringOf(m.value, "ProjectionExpression")) {
      read.projection = expr::Projection::Parse(*text, subs);
    } else if (auto legacy = expr::legacy::AttributesToGet(m.value)) {
      read.projection = std::move(legacy);
    } else if (Request::Member(m.value, "ExpressionAttributeNames")) {
      throw ApiError::Validation(
          "ExpressionAttributeNames can only be specified when using "
          "expressions: ProjectionExpression is null");
    }
    subs.CheckAllUsed();
    read.consistent = Request::BoolOf(m.value, "ConsistentRead").value_or(false);
    for (const auto& k : keys->GetArray()) read.keys.push_back(ParseItem(k));
    reads.push_back(std::move(read));
  }
  // The request as a whole uses expressions or not: one table's ProjectionExpression beside
  // another's AttributesToGet is refused as in a single table's entry (DynamoDB, in
  // nubo-db/dynamodb-conformance; DynamoDB Local alike, before any table is looked up).
  auto any_entry_has = [&](const char* member) {
    return std::any_of(reads.begin(), reads.end(), [&](const TableRead& r) {
      return Request::Member(*r.request, member) != nullptr;
    });
  };
  if (any_entry_has("ProjectionExpression") && any_entry_has("AttributesToGet")) {
    throw ApiError::Validation(
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {AttributesToGet} Expression parameters: "
        "{ProjectionExpression}");
  }
  if (total_keys > 100) {
    throw ApiError::Validation("Too many items requested for the BatchGetItem call");
  }
  // A key asked for twice is refused before any key is checked against its table, even an
  // invalid one (DynamoDB Local and dynalite). Keys compare as written: DynamoDB does not take
  // '1' and '1.0' for duplicates here (ScyllaDB's Alternator tests, run against DynamoDB in
  // 2026), though both name one item, which is then read once for each (DynamoDB Local);
  // BatchWriteItem and the transactions compare numbers by value.
  for (const auto& read : reads) {
    std::set<std::string> seen;
    for (const auto& key : (*read.request)["Keys"].GetArray()) {
      if (!seen.insert(KeyAsWritten(key)).second) ThrowDuplicates();
    }
  }
  for (auto& read : reads) {
    read.table = RequireTable(read.name);
    read.schema = read.table->schema();
    for (const auto& key : read.keys) ValidateKeyParam(*read.schema, key);
  }

  // Each key is read as a GetItem of its own: admitted (a throttled key is left unprocessed),
  // read, and its units (each item's size rounded up to 4 KB) counted.
  w.StartObject();
  WriteKey(w, "Responses");
  w.StartObject();
  std::map<std::string, Capacity> capacities;
  std::vector<std::vector<size_t>> unprocessed(reads.size());  // key indexes per table
  std::optional<ApiError> throttled;
  size_t processed = 0;
  for (size_t r = 0; r < reads.size(); ++r) {
    const TableRead& read = reads[r];
    WriteKey(w, read.name);
    w.StartArray();
    for (size_t k = 0; k < read.keys.size(); ++k) {
      const Item& key = read.keys[k];
      std::string partition = ThrottlePartition(*read.schema, key);
      if (!Admitted([&] { AdmitRequest(*read.table, Access::kRead, nullptr, partition); },
                    throttled)) {
        unprocessed[r].push_back(k);
        continue;
      }
      auto item = LoadItem(ItemStorageKey(*read.schema, key));
      Capacity one{.table = ReadUnits(item ? ItemSize(*item) : 0, read.consistent)};
      ConsumeCapacity(*read.table, one, nullptr, partition);
      capacities[read.name].table += one.table;  // tables with a key read only
      ++processed;
      if (item) WriteItem(w, read.projection ? read.projection->Apply(*item) : *item);
    }
    w.EndArray();
  }
  w.EndObject();
  // Nothing read because every key was throttled: the throttling error itself (DynamoDB's API
  // reference, BatchGetItem).
  if (processed == 0 && throttled) throw *throttled;
  WriteKey(w, "UnprocessedKeys");
  w.StartObject();
  for (size_t r = 0; r < reads.size(); ++r) {
    if (unprocessed[r].empty()) continue;
    WriteKey(w, reads[r].name);
    w.StartObject();  // the table's request as it came, with only the unprocessed keys
    for (const auto& m : reads[r].request->GetObject()) {
      if (std::string_view(m.name.GetString()) == "Keys") continue;
      m.name.Accept(w);
      m.value.Accept(w);
    }
    WriteKey(w, "Keys");
    w.StartArray();
    const JsonValue& keys = (*reads[r].request)["Keys"];
    for (size_t k : unprocessed[r]) keys[static_cast<rapidjson::SizeType>(k)].Accept(w);
    w.EndArray();
    w.EndObject();
  }
  w.EndObject();
  WriteConsumedCapacityList(w, capacities, rc);
  w.EndObject();
}

void EngineImpl::BatchWriteItem(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  ReturnCapacity rc = ParseReturnCapacity(req, errors);
  const bool return_metrics = ParseReturnItemCollectionMetrics(req, errors);
  errors.ThrowIfAny();
  const JsonValue& request_items = RequestItems(req);
  if (request_items.MemberCount() == 0) {
    throw ApiError::Validation("The requestItems parameter is required for BatchWriteItem");
  }
  struct Write {
    std::shared_ptr<Table> table;
    std::optional<Item> put;  // else delete of `key`
    Item key;
    const JsonValue* entry = nullptr;  // as in RequestItems: UnprocessedItems repeats it
  };
  std::vector<Write> writes;
  std::vector<std::string> table_names;
  for (const auto& m : request_items.GetObject()) {
    std::string name = m.name.GetString();
    errors.CheckName("requestItems.member.key", name);
    errors.ThrowIfAny();
    if (!m.value.IsArray()) throw ApiError::Serialization("Unexpected field type");
    if (m.value.Size() == 0 || m.value.Size() > 25) {
      throw ApiError::Validation(fmt::format(
          "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: "
          "Map value must satisfy constraint: [Member must have length less than or equal to 25, "
          "Member must have length greater than or equal to 1]"));
    }
    table_names.push_back(name);
    for (const auto& entry : m.value.GetArray()) {
      const JsonValue* put = Request::ObjectOf(entry, "PutRequest");
      const JsonValue* del = Request::ObjectOf(entry, "DeleteRequest");
      if ((put != nullptr) == (del != nullptr)) {
        throw ApiError::Validation(
            "Supplied AttributeValue has more than one datatypes set, must "
            "contain exactly one of the supported datatypes");
      }
      Write write;
      write.entry = &entry;
      if (put) {
        const JsonValue* item = Request::ObjectOf(*put, "Item");
        if (!item) {
          errors.NotNull("requestItems." + name + ".member.putRequest.item");
          errors.ThrowIfAny();
        }
        write.put = ParseItem(*item);
      } else {
        const JsonValue* key = Request::ObjectOf(*del, "Key");
        if (!key) {
          errors.NotNull("requestItems." + name + ".member.deleteRequest.key");
          errors.ThrowIfAny();
        }
        write.key = ParseItem(*key);
      }
      writes.push_back(std::move(write));
    }
  }
  if (writes.size() > 25) {
    throw ApiError::Validation("Too many items requested for the BatchWriteItem call");
  }

  std::vector<ItemChange> changes;
  changes.reserve(writes.size());
  std::vector<std::string_view> change_tables;  // each change's RequestItems key (name or ARN)
  std::vector<const JsonValue*> change_entries;
  std::vector<std::pair<std::shared_ptr<const TableSchema>, Item>> keys;  // for the metrics
  std::set<std::string> seen;
  size_t i = 0;
  for (const auto& name : table_names) {
    auto table = RequireTable(name);
    auto schema = table->schema();
    for (size_t n = request_items[name.c_str()].Size(); n > 0; --n, ++i) {
      Write& write = writes[i];
      ItemChange change{table, schema, {}, std::nullopt, std::nullopt};
      if (write.put) {
        // BatchWriteItem words a missing or mistyped key like a Key parameter, not like PutItem.
        Item key = KeyOf(*schema, nullptr, *write.put);
        ValidateKeyParam(*schema, key);
        ValidateItemKeys(*schema, *write.put);
        ValidateIndexKeys(*schema, *write.put);
        if (ItemSize(*write.put) > kMaxItemSize) {
          throw ApiError::Validation("Item size has exceeded the maximum allowed size");
        }
        change.storage_key = ItemStorageKey(*schema, *write.put);
        change.new_item = std::move(write.put);
        if (return_metrics) keys.emplace_back(schema, std::move(key));
      } else {
        ValidateKeyParam(*schema, write.key);
        change.storage_key = ItemStorageKey(*schema, write.key);
        if (return_metrics) keys.emplace_back(schema, write.key);
      }
      if (!seen.insert(change.storage_key).second) ThrowDuplicates();
      changes.push_back(std::move(change));
      change_tables.push_back(name);
      change_entries.push_back(write.entry);
    }
  }

  // All writes of the batch go to storage as one atomic batch under their keys' locks.
  std::vector<size_t> stripes;
  stripes.reserve(changes.size());
  for (const auto& c : changes) stripes.push_back(locks_.Stripe(c.storage_key));
  std::map<std::string, Capacity> capacities;
  std::vector<bool> unprocessed(changes.size());
  std::optional<ApiError> throttled;
  size_t processed = 0;
  {
    auto guard = locks_.Lock(std::move(stripes));
    storage::WriteBatch batch;
    std::vector<const ItemChange*> committed;
    // Every old item (or only its size, when no index or stream needs it) in one read.
    std::vector<ItemChange*> reads;
    std::vector<bool> attributes;
    for (ItemChange& c : changes) {
      c.schema = c.table->schema();
      reads.push_back(&c);
      attributes.push_back(NeedsOldItem(*c.schema));
    }
    LoadOldItems(reads, attributes);
    for (size_t n = 0; n < changes.size(); ++n) {
      ItemChange& c = changes[n];
      // Each write is admitted and its units taken before the next is admitted, so a batch
      // stops where the table's units run out; the rest is left in UnprocessedItems.
      std::string partition =
          ThrottlePartition(*c.schema, c.new_item ? *c.new_item : writes[n].key);
      if (!Admitted([&] { AdmitRequest(*c.table, Access::kWrite, nullptr, partition); },
                    throttled)) {
        unprocessed[n] = true;
        continue;
      }
      pending_.NoteWrite(c.storage_key);  // a TransactGetItems in flight on it is cancelled
      size_t size = std::max(c.new_item ? ItemSize(*c.new_item) : 0, c.OldSize());
      Capacity one{.table = WriteUnits(size), .access = Access::kWrite};
      AddChange(c, &batch, &one);
      ConsumeCapacity(*c.table, one, nullptr, partition);
      Capacity& capacity = capacities[std::string(change_tables[n])];
      capacity.access = Access::kWrite;
      capacity.table += one.table;
      for (const auto& [index, units] : one.global_indexes) capacity.global_indexes[index] += units;
      for (const auto& [index, units] : one.local_indexes) capacity.local_indexes[index] += units;
      committed.push_back(&c);
      ++processed;
    }
    // Nothing written because every write was throttled: the throttling error itself.
    if (processed == 0 && throttled) throw *throttled;
    Commit(batch, committed);
  }
  w.StartObject();
  WriteKey(w, "UnprocessedItems");
  w.StartObject();
  for (size_t n = 0; n < changes.size();) {
    std::string_view table = change_tables[n];
    bool any = false;
    for (; n < changes.size() && change_tables[n] == table; ++n) {
      if (!unprocessed[n]) continue;
      if (!any) {
        WriteKey(w, table);
        w.StartArray();
        any = true;
      }
      change_entries[n]->Accept(w);
    }
    if (any) w.EndArray();
  }
  w.EndObject();
  WriteConsumedCapacityList(w, capacities, rc);
  if (return_metrics) WriteItemCollectionMetricsMap(w, keys);
  w.EndObject();
}

}  // namespace cruddur::ddb
