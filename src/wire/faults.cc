#include "wire/faults.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <set>
#include <thread>
#include <utility>

#include "ddb/error.h"
#include "ddb/json.h"
#include "encoding/json.h"

namespace cruddur::wire {

namespace {

using ddb::ApiError;
using ddb::JsonDocument;
using ddb::JsonValue;
using ddb::MemberValue;
using encoding::JsonTextWriter;

// The errors a rule can return: DynamoDB's type, HTTP status and message for each (the AWS API
// reference's common errors and DynamoDB's own; ThrottlingException and ServiceUnavailable come
// from AWS's service framework, the wire layer gives them its namespace).
struct KnownError {
  std::string_view type;
  int status;
  std::string_view message;
};
constexpr std::array<KnownError, 7> kErrors = {{
    {"InternalServerError", 500, "Internal server error"},
    {"ServiceUnavailable", 503, "The request has failed due to a temporary failure of the server."},
    {"RequestLimitExceeded", 400,
     "Throughput exceeds the current throughput limit for your account. Please contact AWS "
     "Support at https://aws.amazon.com/support request a limit increase"},
    {"ThrottlingException", 400, "Rate of requests exceeds the allowed throughput."},
    {"ProvisionedThroughputExceededException", 400,
     "The level of configured provisioned throughput for the table was exceeded. Consider "
     "increasing your provisioning level with the UpdateTable API."},
    {"ConditionalCheckFailedException", 400, "The conditional request failed"},
    {"TransactionConflictException", 400, "Transaction is ongoing for the item"},
}};

const KnownError* FindError(std::string_view type) {
  for (const auto& e : kErrors) {
    if (e.type == type) return &e;
  }
  return nullptr;
}

constexpr std::array<std::pair<std::string_view, FaultAction>, 4> kActions = {{
    {"Error", FaultAction::kError},
    {"Latency", FaultAction::kLatency},
    {"DropAfterCommit", FaultAction::kDropAfterCommit},
    {"PartialBatch", FaultAction::kPartialBatch},
}};

std::string_view ActionName(FaultAction action) {
  for (const auto& [name, a] : kActions) {
    if (a == action) return name;
  }
  return "";
}

// The kind a fault is counted and logged under.
std::string KindOf(const FaultRule& rule) {
  switch (rule.action) {
    case FaultAction::kError:
      return "error:" + rule.error;
    case FaultAction::kLatency:
      return "latency";
    case FaultAction::kDropAfterCommit:
      return "drop_after_commit";
    case FaultAction::kPartialBatch:
      return "partial_batch";
  }
  return "";
}

bool IsBatch(std::string_view operation) {
  return operation == "BatchWriteItem" || operation == "BatchGetItem";
}

// One item a request names: its table and its key (or whole item); key null for requests that
// name a table only (Query, Scan, ...).
struct Target {
  std::string table;
  const JsonValue* key = nullptr;
};

std::string StringOf(const JsonValue* v) {
  return v && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : "";
}

// The items (or tables) a DynamoDB request names.
std::vector<Target> TargetsOf(const JsonValue& body) {
  std::vector<Target> targets;
  if (const JsonValue* items = MemberValue(body, "RequestItems"); items && items->IsObject()) {
    for (const auto& table : items->GetObject()) {
      std::string name(table.name.GetString(), table.name.GetStringLength());
      targets.push_back({name});
      if (table.value.IsArray()) {  // BatchWriteItem
        for (const auto& request : table.value.GetArray()) {
          const JsonValue* put = MemberValue(request, "PutRequest");
          const JsonValue* del = MemberValue(request, "DeleteRequest");
          const JsonValue* key = put   ? MemberValue(*put, "Item")
                                 : del ? MemberValue(*del, "Key")
                                       : nullptr;
          if (key) targets.push_back({name, key});
        }
      } else if (const JsonValue* keys = MemberValue(table.value, "Keys");
                 keys && keys->IsArray()) {  // BatchGetItem
        for (const auto& key : keys->GetArray()) targets.push_back({name, &key});
      }
    }
  } else if (const JsonValue* actions = MemberValue(body, "TransactItems");
             actions && actions->IsArray()) {
    for (const auto& entry : actions->GetArray()) {
      if (!entry.IsObject()) continue;
      for (const auto& action : entry.GetObject()) {
        const JsonValue* key = MemberValue(action.value, "Key");
        if (!key) key = MemberValue(action.value, "Item");
        targets.push_back({StringOf(MemberValue(action.value, "TableName")), key});
      }
    }
  } else {
    const JsonValue* key = MemberValue(body, "Key");
    if (!key) key = MemberValue(body, "Item");
    targets.push_back({StringOf(MemberValue(body, "TableName")), key});
  }
  return targets;
}

// A TableName matches the rule's table by name, or as an ARN ending in table/<name>.
bool TableMatches(const std::string& wanted, const std::string& given) {
  if (wanted.empty() || given == wanted) return true;
  return given.size() > wanted.size() + 6 && given.ends_with("table/" + wanted);
}

// The text of a key attribute's value: S and N as written, B as its base64 text.
std::string KeyText(const JsonValue& value) {
  for (const char* type : {"S", "N", "B"}) {
    if (const JsonValue* v = MemberValue(value, type); v && v->IsString()) return StringOf(v);
  }
  return "";
}

using PartitionKeys = std::map<std::string, std::string>;  // table -> partition key name

bool KeyMatches(const FaultRule& rule, const Target& t, const PartitionKeys& pks) {
  if (!TableMatches(rule.table, t.table)) return false;
  if (rule.key_prefix.empty()) return true;
  auto pk = pks.find(t.table);
  if (!t.key || pk == pks.end()) return false;
  const JsonValue* value = MemberValue(*t.key, pk->second);
  return value && KeyText(*value).starts_with(rule.key_prefix);
}

bool RuleMatches(const FaultRule& rule, std::string_view operation,
                 const std::vector<Target>& targets, const PartitionKeys& pks) {
  if (!rule.operation.empty() && rule.operation != operation) return false;
  if (rule.action == FaultAction::kPartialBatch && !IsBatch(operation)) return false;
  for (const auto& t : targets) {
    if (KeyMatches(rule, t, pks)) return true;
  }
  return false;
}

// The partition key names of the tables a request names, from DescribeTable.
PartitionKeys PartitionKeysOf(const std::vector<Target>& targets,
                              const FaultInjector::Execute& execute) {
  PartitionKeys pks;
  std::set<std::string> tables;
  for (const auto& t : targets) tables.insert(t.table);
  for (const auto& table : tables) {
    try {
      JsonDocument d;
      std::string text = execute("DescribeTable", encoding::WriteJsonObject([&](JsonTextWriter& w) {
                                   encoding::WriteStringField(w, "TableName", table);
                                 }));
      d.Parse(text.data(), text.size());
      const JsonValue* desc = d.HasParseError() ? nullptr : MemberValue(d, "Table");
      const JsonValue* schema = desc ? MemberValue(*desc, "KeySchema") : nullptr;
      if (!schema || !schema->IsArray()) continue;
      for (const auto& k : schema->GetArray()) {
        if (StringOf(MemberValue(k, "KeyType")) == "HASH") {
          pks[table] = StringOf(MemberValue(k, "AttributeName"));
        }
      }
    } catch (const ApiError&) {
      // No such table: its items match no key prefix (the operation then fails as it would).
    }
  }
  return pks;
}

// A batch split in two: the requests the engine runs and those it leaves unprocessed. With a key
// prefix the rule withholds the matching items; without, the second half of each table's list.
struct SplitBatch {
  JsonDocument run;
  JsonDocument withheld;
  bool any_run = false;
};

SplitBatch SplitRequestItems(std::string_view operation, const JsonDocument& body,
                             const FaultRule& rule, const PartitionKeys& pks) {
  SplitBatch split;
  split.run.CopyFrom(body, split.run.GetAllocator());
  split.withheld.SetObject();
  auto& alloc = split.withheld.GetAllocator();
  JsonValue& items = split.run["RequestItems"];
  const bool writes = operation == "BatchWriteItem";
  for (auto& table : items.GetObject()) {
    std::string name(table.name.GetString(), table.name.GetStringLength());
    JsonValue& list = writes ? table.value : table.value["Keys"];
    JsonValue kept(rapidjson::kArrayType);
    JsonValue left(rapidjson::kArrayType);
    auto& run_alloc = split.run.GetAllocator();
    const rapidjson::SizeType n = list.Size();
    for (rapidjson::SizeType i = 0; i < n; ++i) {
      const JsonValue* key = &list[i];
      if (writes) {
        const JsonValue* put = MemberValue(list[i], "PutRequest");
        const JsonValue* del = MemberValue(list[i], "DeleteRequest");
        key = put ? MemberValue(*put, "Item") : del ? MemberValue(*del, "Key") : nullptr;
      }
      bool withhold =
          rule.key_prefix.empty() ? i >= n - n / 2 && n > 1 : KeyMatches(rule, {name, key}, pks);
      (withhold ? left : kept).PushBack(JsonValue(list[i], run_alloc), run_alloc);
    }
    if (left.Empty()) {
      split.any_run = true;
      continue;
    }
    JsonValue entry;
    if (writes) {
      entry.CopyFrom(left, alloc);
    } else {
      entry.CopyFrom(table.value, alloc);
      entry["Keys"].CopyFrom(left, alloc);
    }
    split.withheld.AddMember(JsonValue(table.name, alloc), entry, alloc);
    split.any_run = split.any_run || !kept.Empty();
    list = std::move(kept);
  }
  // Tables whose requests were all withheld leave the request the engine runs.
  for (auto it = items.MemberBegin(); it != items.MemberEnd();) {
    const JsonValue& list = writes ? it->value : it->value["Keys"];
    it = list.Empty() ? items.EraseMember(it) : it + 1;
  }
  return split;
}

// Runs the unwithheld part of a batch and answers with the rest as UnprocessedItems (or
// UnprocessedKeys), as DynamoDB answers a batch it could only partly process.
std::string RunPartialBatch(std::string_view operation, std::string_view body,
                            const FaultRule& rule, const PartitionKeys& pks,
                            const FaultInjector::Execute& execute) {
  JsonDocument request;
  request.Parse(body.data(), body.size());
  const JsonValue* items = request.HasParseError() ? nullptr : MemberValue(request, "RequestItems");
  if (!items || !items->IsObject()) return execute(operation, body);  // the engine refuses it
  SplitBatch split = SplitRequestItems(operation, request, rule, pks);
  const bool writes = operation == "BatchWriteItem";
  JsonDocument answer;
  if (split.any_run) {
    std::string text = execute(operation, encoding::JsonText(split.run));
    answer.Parse(text.data(), text.size());
  } else {
    answer.SetObject();
    if (!writes)
      answer.AddMember("Responses", JsonValue(rapidjson::kObjectType), answer.GetAllocator());
  }
  const char* member = writes ? "UnprocessedItems" : "UnprocessedKeys";
  JsonValue unprocessed;
  unprocessed.CopyFrom(split.withheld, answer.GetAllocator());
  if (answer.HasMember(member)) {
    answer[member] = unprocessed;
  } else {
    answer.AddMember(JsonValue(member, answer.GetAllocator()), unprocessed, answer.GetAllocator());
  }
  return encoding::JsonText(answer);
}

void WriteRule(JsonTextWriter& w, const FaultRule& r) {
  w.StartObject();
  encoding::WriteStringField(w, "RuleId", r.id);
  encoding::WriteStringField(w, "Action", ActionName(r.action));
  if (!r.operation.empty()) encoding::WriteStringField(w, "Operation", r.operation);
  if (!r.table.empty()) encoding::WriteStringField(w, "TableName", r.table);
  if (!r.key_prefix.empty()) encoding::WriteStringField(w, "KeyPrefix", r.key_prefix);
  if (r.count) {
    w.Key("Count");
    w.Int64(*r.count);
  }
  w.Key("Probability");
  w.Double(r.probability);
  w.Key("Seed");
  w.Uint64(r.seed);
  if (r.action == FaultAction::kError) {
    encoding::WriteStringField(w, "ErrorType", r.error);
    if (!r.message.empty()) encoding::WriteStringField(w, "Message", r.message);
  }
  if (r.action == FaultAction::kLatency) {
    w.Key("LatencyMillis");
    w.Int64(r.latency_ms);
  }
  w.Key("Applied");
  w.Int64(r.applied);
  w.EndObject();
}

JsonDocument ParseControlBody(std::string_view body) {
  JsonDocument d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject()) throw ApiError::Serialization("");
  return d;
}

std::string OptionalString(const JsonValue& body, std::string_view name) {
  const JsonValue* v = MemberValue(body, name);
  if (v && !v->IsString()) throw ApiError::Validation(fmt::format("{} must be a string", name));
  return StringOf(v);
}

// AddFaultRule's request, checked.
FaultRule ParseRule(const JsonValue& body) {
  FaultRule r;
  std::string action = OptionalString(body, "Action");
  bool known = false;
  for (const auto& [name, a] : kActions) {
    if (name == action) {
      r.action = a;
      known = true;
    }
  }
  if (!known) {
    throw ApiError::Validation(
        "Action must be one of Error, Latency, DropAfterCommit, PartialBatch");
  }
  r.operation = OptionalString(body, "Operation");
  r.table = OptionalString(body, "TableName");
  r.key_prefix = OptionalString(body, "KeyPrefix");
  if (const JsonValue* count = MemberValue(body, "Count")) {
    if (!count->IsInt64() || count->GetInt64() < 1) {
      throw ApiError::Validation("Count must be a whole number of at least 1");
    }
    r.count = count->GetInt64();
  }
  if (const JsonValue* p = MemberValue(body, "Probability")) {
    if (!p->IsNumber() || !(p->GetDouble() > 0 && p->GetDouble() <= 1)) {
      throw ApiError::Validation("Probability must be a number above 0 and at most 1");
    }
    r.probability = p->GetDouble();
  }
  if (const JsonValue* seed = MemberValue(body, "Seed")) {
    if (!seed->IsUint64()) throw ApiError::Validation("Seed must be a non-negative whole number");
    r.seed = seed->GetUint64();
  }
  r.random.seed(r.seed);
  if (r.action == FaultAction::kError) {
    r.error = OptionalString(body, "ErrorType");
    if (!FindError(r.error)) {
      std::string known_types;
      for (const auto& e : kErrors)
        known_types += (known_types.empty() ? "" : ", ") + std::string(e.type);
      throw ApiError::Validation("ErrorType must be one of " + known_types);
    }
    r.message = OptionalString(body, "Message");
  }
  if (r.action == FaultAction::kLatency) {
    const JsonValue* ms = MemberValue(body, "LatencyMillis");
    if (!ms || !ms->IsInt64() || ms->GetInt64() < 1 || ms->GetInt64() > 60000) {
      throw ApiError::Validation("LatencyMillis must be a whole number from 1 to 60000");
    }
    r.latency_ms = ms->GetInt64();
  }
  if (r.action == FaultAction::kPartialBatch && !r.operation.empty() && !IsBatch(r.operation)) {
    throw ApiError::Validation("PartialBatch applies to BatchWriteItem and BatchGetItem only");
  }
  return r;
}

}  // namespace

FaultInjector::Decision FaultInjector::Decide(std::string_view operation, std::string_view body,
                                              const Execute& execute, PartitionKeys* pks) {
  Decision d;
  bool need_keys = false;
  {
    MutexLock lock(mu_);
    if (rules_.empty()) return d;
    for (const auto& r : rules_) need_keys = need_keys || !r.key_prefix.empty();
  }
  JsonDocument doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return d;  // the engine refuses it
  std::vector<Target> targets = TargetsOf(doc);
  if (need_keys) *pks = PartitionKeysOf(targets, execute);

  MutexLock lock(mu_);
  for (auto& r : rules_) {
    if ((r.count && *r.count <= 0) || !RuleMatches(r, operation, targets, *pks)) continue;
    if (r.probability < 1 &&
        std::uniform_real_distribution<double>(0, 1)(r.random) >= r.probability) {
      continue;
    }
    if (r.count) --*r.count;
    ++r.applied;
    std::string kind = KindOf(r);
    ++injected_[kind];
    spdlog::warn("injected fault {} ({}) on {}", r.id, kind, operation);
    if (r.action == FaultAction::kLatency) {
      d.latency_ms += r.latency_ms;
      continue;
    }
    d.fault = r;
    break;
  }
  return d;
}

std::string FaultInjector::Run(std::string_view operation, std::string_view body,
                               const Execute& execute, bool* drop_connection) {
  *drop_connection = false;
  if (rule_count_.load() == 0) return execute(operation, body);
  PartitionKeys pks;
  Decision d = Decide(operation, body, execute, &pks);
  if (d.latency_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(d.latency_ms));
  if (!d.fault) return execute(operation, body);
  const FaultRule& rule = *d.fault;
  switch (rule.action) {
    case FaultAction::kError: {
      const KnownError* e = FindError(rule.error);
      throw ApiError(e->status, std::string(e->type),
                     rule.message.empty() ? std::string(e->message) : rule.message);
    }
    case FaultAction::kDropAfterCommit: {
      std::string answer = execute(operation, body);
      *drop_connection = true;
      return answer;
    }
    case FaultAction::kPartialBatch:
      return RunPartialBatch(operation, body, rule, pks, execute);
    case FaultAction::kLatency:
      break;
  }
  return execute(operation, body);
}

std::string FaultInjector::Control(std::string_view operation, std::string_view body) {
  JsonDocument d = ParseControlBody(body);
  if (operation == "AddFaultRule") {
    FaultRule r = ParseRule(d);
    MutexLock lock(mu_);
    r.id = fmt::format("fault-{}", next_id_++);
    rules_.push_back(r);
    rule_count_ = rules_.size();
    spdlog::info("fault rule {} added: {} {}", r.id, ActionName(r.action), body);
    return encoding::WriteJsonObject([&](JsonTextWriter& w) {
      w.Key("Rule");
      WriteRule(w, r);
    });
  }
  if (operation == "ListFaultRules") {
    std::vector<FaultRule> rules;
    std::map<std::string, uint64_t> injected;
    {
      MutexLock lock(mu_);
      rules = rules_;
      injected = injected_;
    }
    return encoding::WriteJsonObject([&](JsonTextWriter& w) {
      w.Key("Rules");
      w.StartArray();
      for (const auto& r : rules) WriteRule(w, r);
      w.EndArray();
      w.Key("InjectedFaults");
      w.StartObject();
      for (const auto& [kind, n] : injected) {
        w.Key(kind.c_str());
        w.Uint64(n);
      }
      w.EndObject();
    });
  }
  if (operation == "ClearFaultRules") {
    std::string id = OptionalString(d, "RuleId");
    MutexLock lock(mu_);
    size_t before = rules_.size();
    std::erase_if(rules_, [&](const FaultRule& r) { return id.empty() || r.id == id; });
    if (!id.empty() && rules_.size() == before) {
      throw ApiError::ResourceNotFound("Requested resource not found: fault rule " + id);
    }
    rule_count_ = rules_.size();
    size_t cleared = before - rules_.size();
    spdlog::info("fault rules cleared: {}", cleared);
    return encoding::WriteJsonObject([&](JsonTextWriter& w) {
      w.Key("Cleared");
      w.Uint64(cleared);
    });
  }
  throw ApiError::UnknownOperation();
}

uint64_t FaultInjector::InjectedTotal() const {
  MutexLock lock(mu_);
  uint64_t total = 0;
  for (const auto& [kind, n] : injected_) total += n;
  return total;
}

std::map<std::string, uint64_t> FaultInjector::InjectedByKind() const {
  MutexLock lock(mu_);
  return injected_;
}

}  // namespace cruddur::wire
