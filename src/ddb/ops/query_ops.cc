// Reads of many items: Query and Scan, sharing one page loop.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ddb/engine_impl.h"
#include "ddb/error.h"
#include "ddb/expression/legacy.h"
#include "ddb/item_codec.h"
#include "ddb/java_set_order.h"
#include "ddb/key_codec.h"
#include "ddb/value_json.h"

namespace cruddur::ddb {
namespace {

constexpr size_t kMaxPageBytes = 1024 * 1024;

int CompareKeyValues(const AttributeValue& a, const AttributeValue& b) {
  if (a.type == ValueType::kN) {
    auto c = a.number <=> b.number;
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  int c = a.bytes.compare(b.bytes);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// Where a sort key value lies relative to the key condition: -1 below it, 0 inside, +1 above.
int RangePosition(const expr::KeyCondition& kc, const AttributeValue& sk) {
  using Op = expr::KeyCondition::Op;
  int c = kc.range_op == Op::kNone ? 0 : CompareKeyValues(sk, kc.range_low);
  switch (kc.range_op) {
    case Op::kNone:
      return 0;
    case Op::kEq:
      return c;
    case Op::kLt:
      return c < 0 ? 0 : 1;
    case Op::kLe:
      return c <= 0 ? 0 : 1;
    case Op::kGt:
      return c > 0 ? 0 : -1;
    case Op::kGe:
      return c >= 0 ? 0 : -1;
    case Op::kBetween:
      if (c < 0) return -1;
      return CompareKeyValues(sk, kc.range_high) > 0 ? 1 : 0;
    case Op::kBeginsWith:
      if (c < 0) return -1;
      return sk.bytes.starts_with(kc.range_low.bytes) ? 0 : 1;
  }
  return 0;
}

// The HASH and RANGE attributes of the key a Query reads, in KeySchema order: listed once per
// request, for the checks below.
struct KeyAttributes {
  explicit KeyAttributes(const KeySchema& key)
      : hash(key.HashAttributes()), range(key.RangeAttributes()) {}
  std::vector<KeyAttribute> hash, range;
};

// Whether the values of a condition have the types of the key attributes they test.
bool TypesMatch(const expr::KeyCondition& kc, const KeyAttributes& key) {
  using Op = expr::KeyCondition::Op;
  if (kc.hash_values.size() != key.hash.size()) return false;  // both parsers give one per key
  for (size_t i = 0; i < key.hash.size(); ++i) {
    if (kc.hash_values[i].type != key.hash[i].type) return false;
  }
  for (size_t i = 0; i < kc.range_prefix.size(); ++i) {
    if (kc.range_prefix[i].type != key.range[i].type) return false;
  }
  if (kc.range_op == Op::kNone) return true;
  const ValueType tested = key.range[kc.range_prefix.size()].type;
  return kc.range_low.type == tested &&
         (kc.range_op != Op::kBetween || kc.range_high.type == tested);
}

// The Query's KeyConditionExpression (`kce`) or legacy KeyConditions, resolved against `key`.
expr::KeyCondition ResolveKeyCondition(const Request& req, std::optional<std::string_view> kce,
                                       expr::Substitutions& subs, const KeyAttributes& key) {
  std::vector<std::string> hash_names, range_names;
  for (const KeyAttribute& a : key.hash) hash_names.push_back(a.name);
  for (const KeyAttribute& a : key.range) range_names.push_back(a.name);
  expr::KeyCondition kc = kce ? expr::KeyCondition::Parse(*kce, subs, hash_names, range_names)
                              : *expr::legacy::KeyConditions(req.root(), hash_names, range_names);
  if (!TypesMatch(kc, key)) {
    throw ApiError::Validation(
        "One or more parameter values were invalid: Condition parameter "
        "type does not match schema type");
  }
  return kc;
}

// A key attribute never holds an empty string or binary, and DynamoDB refuses to look for one
// (`sk > :empty` is not an open range): GetItem's message for a table's key, PutItem's for an
// index's (`index`); after the expressions' own checks (DynamoDB Local reports an unused name
// first).
void CheckKeyConditionValues(const expr::KeyCondition& kc, const KeyAttributes& key,
                             const std::string* index) {
  for (size_t i = 0; i < key.hash.size(); ++i) {
    CheckKeyValueNotEmpty(key.hash[i].name, kc.hash_values[i], index);
  }
  for (size_t i = 0; i < kc.range_prefix.size(); ++i) {
    CheckKeyValueNotEmpty(key.range[i].name, kc.range_prefix[i], index);
  }
  if (kc.range_op != expr::KeyCondition::Op::kNone) {
    const std::string& tested = key.range[kc.range_prefix.size()].name;
    CheckKeyValueNotEmpty(tested, kc.range_low, index);
    if (kc.range_op == expr::KeyCondition::Op::kBetween) {
      CheckKeyValueNotEmpty(tested, kc.range_high, index);
    }
  }
}

// Whether an ExclusiveStartKey lies in the queried partition and sort key range.
bool StartKeyInCondition(const expr::KeyCondition& kc, const KeyAttributes& key, const Item& esk) {
  for (size_t i = 0; i < key.hash.size(); ++i) {
    if (!(esk.at(key.hash[i].name) == kc.hash_values[i])) return false;
  }
  for (size_t i = 0; i < kc.range_prefix.size(); ++i) {
    if (!(esk.at(key.range[i].name) == kc.range_prefix[i])) return false;
  }
  return kc.range_op == expr::KeyCondition::Op::kNone ||
         RangePosition(kc, esk.at(key.range[kc.range_prefix.size()].name)) == 0;
}

// What a Query or Scan reads and returns.
struct ReadSpec {
  std::shared_ptr<const TableSchema> schema;
  std::string table_name;  // as the request named it: ConsumedCapacity echoes an ARN
  const IndexSchema* index = nullptr;
  std::string select;  // ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES, SPECIFIC_ATTRIBUTES, COUNT
  std::optional<expr::Condition> filter;
  std::optional<expr::Projection> projection;
  std::optional<int64_t> limit;
  bool consistent = false;
  bool fetch_from_table = false;  // LSI entries lack attributes the request wants
  ReturnCapacity rc = ReturnCapacity::kNone;
};

// What a page read reports besides its items (which go straight to the response writer).
struct Page {
  int64_t count = 0;
  int64_t scanned = 0;
  size_t bytes = 0;
  // An LSI read that fetches from the table: the index entries' sizes, and the 4 KB blocks of
  // the table's items, each item rounded up on its own.
  size_t index_bytes = 0;
  size_t fetched_blocks = 0;
  std::optional<Item> last_evaluated_key;
};

// The top-level attributes of `paths` that `index` does not hold (its key, the table's key and,
// for INCLUDE, the attributes it names).
std::vector<std::string> NotProjected(const TableSchema& schema, const IndexSchema& index,
                                      const std::vector<expr::Path>& paths) {
  std::vector<std::string> names;
  for (const expr::Path& p : paths) {
    const std::string& name = p.front().name;
    bool held = schema.key.IsKeyAttribute(name) || index.key.IsKeyAttribute(name) ||
                (index.projection == ProjectionType::kInclude &&
                 std::find(index.non_key_attributes.begin(), index.non_key_attributes.end(),
                           name) != index.non_key_attributes.end());
    if (!held) names.push_back(name);
  }
  return names;
}

// Common parameters of Query and Scan. Returns the table and fills `spec`.
std::shared_ptr<Table> ParseReadSpec(EngineImpl& engine, const Request& req,
                                     expr::legacy::Operation op, expr::Substitutions& subs,
                                     ReadSpec* spec) {
  ConstraintErrors errors;
  std::string_view name = TableNameParam(req, errors);
  // IndexName, Select, Segment and TotalSegments were checked against the input shape
  // (ddb/shape_validator.h) before the operation ran.
  auto index_name = req.String("IndexName");
  spec->limit = LimitParam(req, INT32_MAX, errors);
  auto select = req.String("Select");
  spec->rc = ParseReturnCapacity(req, errors);
  spec->consistent = req.Bool("ConsistentRead").value_or(false);
  for (auto& v : expr::legacy::ConstraintViolations(req.root(), op)) errors.Add(std::move(v));
  errors.ThrowIfAny();
  expr::legacy::Validate(req.root(), op);

  // Select against the projection parameters, before the table is looked up (DynamoDB's order,
  // per moto's AWS-verified tests and ExtendDB's and dynoxide's checks against DynamoDB): a
  // projection with another Select, SPECIFIC_ATTRIBUTES without one, ALL_PROJECTED_ATTRIBUTES
  // without an index. Query wraps some of these in the one-error envelope, Scan never does.
  const bool is_query = op == expr::legacy::Operation::kQuery;
  const bool has_projection = req.String("ProjectionExpression").has_value();
  const bool has_attributes_to_get = req.Array("AttributesToGet") != nullptr;
  if (select && *select != "SPECIFIC_ATTRIBUTES" && (has_projection || has_attributes_to_get)) {
    std::string what = *select == "COUNT" ? "only the Count" : std::string(*select);
    if (has_projection) {
      throw ApiError::Validation(
          fmt::format("{}Cannot specify the ProjectionExpression when choosing to get {}",
                      is_query ? "1 validation error detected: " : "", what));
    }
    throw ApiError::Validation(
        fmt::format("Cannot specify the AttributesToGet when choosing to get {}", what));
  }
  if (select && *select == "SPECIFIC_ATTRIBUTES" && !has_projection && !has_attributes_to_get) {
    throw ApiError::Validation(fmt::format(
        "{}Must specify the AttributesToGet or ProjectionExpression when choosing to get "
        "SPECIFIC_ATTRIBUTES",
        is_query ? "1 validation error detected: " : ""));
  }
  if (select && *select == "ALL_PROJECTED_ATTRIBUTES" && !index_name) {
    throw ApiError::Validation(
        "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName");
  }

  auto table = engine.RequireTable(name);
  spec->schema = table->schema();
  spec->table_name = std::string(name);
  if (index_name) {
    spec->index = spec->schema->FindIndex(*index_name);
    if (!spec->index) {
      throw ApiError::Validation(
          fmt::format("The table does not have the specified index: {}", *index_name));
    }
    // An index added by UpdateTable answers once backfilled (its delayed CREATING has ended).
    if (spec->index->status_until > 0 && spec->index->StatusAt(EpochSeconds()) == "CREATING") {
      throw ApiError::Validation(
          fmt::format("Cannot read from backfilling global secondary index: {}", *index_name));
    }
    if (spec->index->global && spec->consistent) {
      throw ApiError::Validation("Consistent reads are not supported on global secondary indexes");
    }
  }
  auto projection = req.String("ProjectionExpression");
  if (projection) spec->projection = expr::Projection::Parse(*projection, subs);
  if (!projection) spec->projection = expr::legacy::AttributesToGet(req.root());
  if (select) {
    spec->select = std::string(*select);
  } else {
    spec->select = spec->projection ? "SPECIFIC_ATTRIBUTES"
                                    : (spec->index ? "ALL_PROJECTED_ATTRIBUTES" : "ALL_ATTRIBUTES");
  }
  if (spec->index && spec->index->projection != ProjectionType::kAll) {
    if (spec->select == "ALL_ATTRIBUTES") {
      if (spec->index->global) {
        throw ApiError::Validation(fmt::format(
            "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not "
            "supported for global secondary index {} because its projection type is not ALL",
            spec->index->name));
      }
      spec->fetch_from_table = true;
    }
    // Only what the LSI does not hold is fetched (the Query guide: an LSI read that names only
    // projected attributes reads the index alone).
    if (spec->select == "SPECIFIC_ATTRIBUTES" && !spec->index->global && spec->projection &&
        !NotProjected(*spec->schema, *spec->index, spec->projection->paths()).empty()) {
      spec->fetch_from_table = true;
    }
  }
  return table;
}

// A read of an index that does not project every attribute may name only those it holds: a
// Query's filter (DynamoDB Local's answer, for both kinds of index; not a PartiQL SELECT's
// WHERE, which DynamoDB Local takes), and a GSI's projection (AWS's answer, quoted in
// localstack/localstack#478; an LSI fetches the rest from the table).
void CheckIndexProjects(const ReadSpec& spec, bool query) {
  if (!spec.index || spec.index->projection == ProjectionType::kAll) return;
  if (query && spec.filter && !PartiqlScope::Active()) {
    CheckFilterProjects(spec.index->name,
                        NotProjected(*spec.schema, *spec.index, spec.filter->Paths()));
  }
  if (spec.index->global && spec.projection) {
    CheckGsiProjects(spec.index->name,
                     NotProjected(*spec.schema, *spec.index, spec.projection->paths()));
  }
}

// FilterExpression, or the legacy QueryFilter / ScanFilter when there is none.
void ParseFilter(const Request& req, std::string_view legacy_member, expr::Substitutions& subs,
                 ReadSpec* spec) {
  if (auto text = req.String("FilterExpression")) {
    spec->filter = expr::Condition::Parse(*text, subs, "FilterExpression");
  } else {
    spec->filter = expr::legacy::FilterCondition(req.root(), legacy_member);
  }
}

// The storage key an ExclusiveStartKey points at; the key itself in `*esk`. A key that is not
// exactly the table's key plus the index's is refused: Query says only "The provided starting
// key is invalid", Scan of a table adds "The provided key element does not match the schema"
// (floci and ExtendDB, checked against DynamoDB, 2026).
std::string StartKeyPosition(const ReadSpec& spec, const JsonValue& esk_json, bool query,
                             Item* esk) {
  *esk = ParseItem(esk_json);
  const TableSchema& schema = *spec.schema;
  auto invalid = [&] {
    if (query || spec.index) return ApiError::Validation("The provided starting key is invalid");
    return ApiError::Validation(
        "The provided starting key is invalid: The provided key element does not match the "
        "schema");
  };
  Item table_key = KeyOf(schema, nullptr, *esk);
  try {
    ValidateKeyParam(schema, table_key);
  } catch (const ApiError&) {
    throw invalid();
  }
  if (!spec.index) {
    if (esk->size() != table_key.size()) throw invalid();
    return ItemStorageKey(schema, *esk);
  }
  Item all_keys = KeyOf(schema, spec.index, *esk);
  if (all_keys.size() != esk->size()) throw invalid();
  auto key = IndexStorageKey(schema, *spec.index, *esk);
  if (!key) throw invalid();
  return *key;
}

// Runs the page loop from the iterator's current position, writing the response's opening and
// its Items to `w` as they are read. `in_bounds(key)` says whether a storage key still belongs
// to the range read (false ends the page, before anything is decoded: the neighbour may not
// even be an item); `position(key)` then places the entry: -1 skip it, 0 take it, 1 stop. A
// page that needs neither filter nor projection writes the stored bytes out directly, without
// building items. FinishPage writes the rest of the response.
template <typename InBounds, typename Position>
Page ReadPage(EngineImpl& engine, const ReadSpec& spec, storage::Iterator& it, bool forward,
              InBounds in_bounds, Position position, JsonWriter& w) {
  Page page;
  const TableSchema& schema = *spec.schema;
  const bool raw = !spec.filter && !spec.projection && !spec.fetch_from_table;
  const bool count_only = spec.select == "COUNT";
  auto corrupt = [] { return ApiError::InternalServer("corrupt item in storage"); };
  w.StartObject();
  if (!count_only) {
    WriteKey(w, "Items");
    w.StartArray();
  }
  for (; it.Valid(); forward ? it.Next() : it.Prev()) {
    const std::string_view key = it.key();
    if (!in_bounds(key)) break;
    int pos = position(key);
    if (pos > 0) break;
    if (pos < 0) continue;
    if (raw) {
      size_t size = 0;
      bool ok =
          count_only ? EncodedItemSize(it.value(), &size) : WriteEncodedItem(it.value(), w, &size);
      if (!ok) throw corrupt();
      page.scanned++;
      page.count++;
      page.bytes += size;
      bool full_page = (spec.limit && page.scanned >= *spec.limit) || page.bytes >= kMaxPageBytes;
      if (full_page) {
        Item entry;
        if (!DecodeItem(it.value(), &entry)) throw corrupt();
        page.last_evaluated_key = KeyOf(schema, spec.index, entry);
        break;
      }
      continue;
    }
    Item entry;
    if (!DecodeItem(it.value(), &entry)) throw corrupt();
    Item* item = &entry;
    std::optional<Item> full;
    if (spec.fetch_from_table) {
      full = engine.LoadItem(ItemStorageKey(schema, entry));
      if (!full) continue;
      item = &*full;
      page.index_bytes += ItemSize(entry);
      page.fetched_blocks += std::max<size_t>(1, (ItemSize(*item) + 4095) / 4096);
    }
    page.scanned++;
    page.bytes += ItemSize(*item);
    bool full_page = (spec.limit && page.scanned >= *spec.limit) || page.bytes >= kMaxPageBytes;
    if (full_page) page.last_evaluated_key = KeyOf(schema, spec.index, entry);
    if (!spec.filter || spec.filter->Evaluate(*item)) {
      page.count++;
      if (!count_only) WriteItem(w, spec.projection ? spec.projection->Apply(*item) : *item);
    }
    if (full_page) break;
  }
  if (!count_only) w.EndArray();
  return page;
}

// The members after Items, and the end of the response object ReadPage began. The page's read
// units are counted against `table` (and `partition`, a Query's).
void FinishPage(EngineImpl& engine, JsonWriter& w, const ReadSpec& spec, const Page& page,
                Table& table, std::string_view partition = {}) {
  WriteKey(w, "Count");
  w.Int64(page.count);
  WriteKey(w, "ScannedCount");
  w.Int64(page.scanned);
  if (page.last_evaluated_key) {
    WriteKey(w, "LastEvaluatedKey");
    WriteItem(w, *page.last_evaluated_key);
  }
  // The items read before the filter, their sizes summed and then rounded up to 4 KB units. An
  // LSI read that fetches from the table charges the index for its entries and the table for
  // each item fetched, rounded up to 4 KB on its own (the Query guide's "Local secondary
  // indexes": result size), whether or not the filter keeps it.
  Capacity capacity;
  double units = ReadUnits(spec.fetch_from_table ? page.index_bytes : page.bytes, spec.consistent);
  if (spec.index) {
    (spec.index->global ? capacity.global_indexes : capacity.local_indexes)[spec.index->name] =
        units;
    if (spec.fetch_from_table && page.fetched_blocks > 0) {
      const double block = spec.consistent ? 1.0 : 0.5;
      capacity.table = static_cast<double>(page.fetched_blocks) * block;
    }
  } else {
    capacity.table = units;
  }
  engine.ConsumeCapacity(table, capacity, spec.index, partition);
  engine.CountReturnedItems(page.count);
  if (spec.rc != ReturnCapacity::kNone) {
    WriteKey(w, "ConsumedCapacity");
    w.StartObject();
    engine.WriteConsumedCapacity(w, spec.table_name, capacity, spec.rc);
    w.EndObject();
  }
  w.EndObject();
}

}  // namespace

void EngineImpl::Query(const Request& req, JsonWriter& w) {
  CheckSubstitutionsNeedExpressions(
      req, {"KeyConditionExpression", "FilterExpression", "ProjectionExpression"});
  expr::Substitutions subs = ParseSubstitutions(req);
  ReadSpec spec;
  auto table = ParseReadSpec(*this, req, expr::legacy::Operation::kQuery, subs, &spec);
  auto kce = req.String("KeyConditionExpression");
  if (!kce && !req.Get("KeyConditions")) {
    throw ApiError::Validation(
        "Either the KeyConditions or KeyConditionExpression parameter must "
        "be specified in the request.");
  }
  const KeySchema& key = spec.index ? spec.index->key : spec.schema->key;
  const KeyAttributes key_attributes(key);
  expr::KeyCondition kc = ResolveKeyCondition(req, kce, subs, key_attributes);
  ParseFilter(req, "QueryFilter", subs, &spec);
  if (spec.filter) {
    for (const auto& p : spec.filter->Paths()) {
      const std::string& n = p.front().name;
      if (key.IsKeyAttribute(n)) {
        throw ApiError::Validation(
            fmt::format("{} can only contain non-primary key attributes: Primary key attribute: {}",
                        req.Get("FilterExpression") ? "Filter Expression" : "QueryFilter", n));
      }
    }
  }
  subs.CheckAllUsed();
  CheckKeyConditionValues(kc, key_attributes, spec.index ? &spec.index->name : nullptr);
  CheckIndexProjects(spec, /*query=*/true);

  bool forward = req.Bool("ScanIndexForward").value_or(true);
  // The partition, narrowed by the sort key attributes a multi-attribute key's conditions fix.
  std::string partition =
      PartitionPrefix(spec.schema->id, spec.index ? spec.index->id : 0, kc.hash_values);
  for (const AttributeValue& v : kc.range_prefix) EncodeKeyValue(v, &partition);
  // The sort key attribute range_op tests.
  const std::vector<KeyAttribute>& range_keys = key_attributes.range;
  const KeyAttribute* tested =
      kc.range_prefix.size() < range_keys.size() ? &range_keys[kc.range_prefix.size()] : nullptr;

  std::string_view throttled_partition = Throttles(*spec.schema) ? partition : std::string_view();
  AdmitRequest(*table, Access::kRead, spec.index, throttled_partition);
  auto it = store().NewPartitionIterator(partition);
  using Op = expr::KeyCondition::Op;
  if (const JsonValue* esk_json = req.Object("ExclusiveStartKey")) {
    Item esk;
    std::string pos = StartKeyPosition(spec, *esk_json, true, &esk);
    // A start key outside the queried partition or sort key range is refused (DynamoDB Local and
    // DynamoDB answers seen by users: the same message for either).
    if (!StartKeyInCondition(kc, key_attributes, esk)) {
      throw ApiError::Validation(
          "The provided starting key does not match the range key predicate");
    }
    if (forward) {
      it->Seek(pos);
      if (it->Valid() && it->key() == pos) it->Next();
    } else {
      it->SeekForPrev(pos);
      if (it->Valid() && it->key() == pos) it->Prev();
    }
  } else if (forward) {
    std::string target = partition;
    if (kc.range_op == Op::kEq || kc.range_op == Op::kGe || kc.range_op == Op::kGt ||
        kc.range_op == Op::kBetween || kc.range_op == Op::kBeginsWith) {
      EncodeKeyValue(kc.range_low, &target);
    }
    it->Seek(target);
  } else {
    std::string target = partition;
    if (kc.range_op == Op::kEq || kc.range_op == Op::kLe || kc.range_op == Op::kLt ||
        kc.range_op == Op::kBetween) {
      EncodeKeyValue(kc.range_op == Op::kBetween ? kc.range_high : kc.range_low, &target);
      if (kc.range_op != Op::kLt) target = keyspace::PrefixSuccessor(target);
    } else {
      target = keyspace::PrefixSuccessor(target);
    }
    it->SeekForPrev(target);
    while (it->Valid() && it->key() >= target) it->Prev();
  }
  Page page = ReadPage(
      *this, spec, *it, forward,
      [&](std::string_view storage_key) { return storage_key.starts_with(partition); },
      [&](std::string_view storage_key) -> int {
        if (kc.range_op == Op::kNone) return 0;
        // The sort key follows the partition in the storage key (index entries append the
        // table's key after it).
        std::string_view rest = storage_key.substr(partition.size());
        AttributeValue sk;
        if (!DecodeKeyValue(tested->type, &rest, &sk)) {
          throw ApiError::InternalServer("corrupt key in storage");
        }
        int pos = RangePosition(kc, sk);
        // Outside the range behind us: skip; ahead of us: done.
        if (pos == 0) return 0;
        return (pos > 0) == forward ? 1 : -1;
      },
      w);
  FinishPage(*this, w, spec, page, *table, throttled_partition);
}

void EngineImpl::Scan(const Request& req, JsonWriter& w) {
  auto segment = req.Int("Segment");
  auto total = req.Int("TotalSegments");
  if (segment && !total) {
    throw ApiError::Validation(
        "The TotalSegments parameter is required but was not present in "
        "the request when Segment parameter is present");
  }
  if (total && !segment) {
    throw ApiError::Validation(
        "The Segment parameter is required but was not present in the "
        "request when parameter TotalSegments is present");
  }
  if (segment && *segment >= *total) {
    throw ApiError::Validation(fmt::format(
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
        "Segment: {} is not less than TotalSegments: {}",
        *segment, *total));
  }
  CheckSubstitutionsNeedExpressions(req, {"FilterExpression", "ProjectionExpression"});
  expr::Substitutions subs = ParseSubstitutions(req);
  ReadSpec spec;
  auto table = ParseReadSpec(*this, req, expr::legacy::Operation::kScan, subs, &spec);
  ParseFilter(req, "ScanFilter", subs, &spec);
  subs.CheckAllUsed();
  CheckIndexProjects(spec, /*query=*/false);

  std::string prefix = keyspace::IndexPrefix(spec.schema->id, spec.index ? spec.index->id : 0);
  // A segment is a slice of the partition-hash order, as DynamoDB's segments are: segment s of
  // T holds the partitions whose hash's top 12 bits h satisfy s = floor(h * T / 4096), so it
  // starts at h = ceil(4096 * s / T). dynalite's reproduction (actions/scan.js) splits so, and
  // its tests of which segment a key lands in also pass against DynamoDB.
  int64_t seg = segment.value_or(0), segs = total.value_or(1);
  auto hash_bound = [&](int64_t s) {
    const int64_t h = (s * 4096 + segs - 1) / segs;
    if (h >= 4096) return keyspace::PrefixSuccessor(prefix);
    std::string k = prefix;
    k.push_back(static_cast<char>(h >> 4));
    k.push_back(static_cast<char>((h & 0xf) << 4));
    return k;
  };
  std::string start = hash_bound(seg), end = hash_bound(seg + 1);
  AdmitRequest(*table, Access::kRead, spec.index);
  auto it = store().NewIterator();
  if (const JsonValue* esk_json = req.Object("ExclusiveStartKey")) {
    Item esk;
    std::string pos = StartKeyPosition(spec, *esk_json, false, &esk);
    // A parallel Scan refuses a start key of another segment (dynalite's and ScyllaDB's record
    // of DynamoDB's answer).
    if (segs > 1 && (pos < start || pos >= end)) {
      throw ApiError::Validation(
          fmt::format("The provided starting key is invalid: Invalid ExclusiveStartKey. Please use "
                      "ExclusiveStartKey with correct Segment. TotalSegments: {} Segment: {}",
                      segs, seg));
    }
    it->Seek(pos);
    if (it->Valid() && it->key() == pos) it->Next();
  } else {
    it->Seek(start);
  }
  Page page = ReadPage(
      *this, spec, *it, true, [&](std::string_view storage_key) { return storage_key < end; },
      [](std::string_view) { return 0; }, w);
  FinishPage(*this, w, spec, page, *table);
}

}  // namespace cruddur::ddb
