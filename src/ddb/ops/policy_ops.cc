// Resource-based policies (PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy), and the
// operations of features a single local server cannot honestly provide.
//
// A policy is stored and returned as DynamoDB does (a RevisionId per version, ExpectedRevisionId
// as a condition, PolicyNotFoundException), keyed by the table's TableId so that a table
// re-created under the same name starts without one. Requests signed with a `ddb serve --auth`
// key are checked against it (ops/access_ops.cc); without --auth there is no identity to check.
//
// Kinesis streaming destinations, contributor insights and replica auto scaling answer a
// ValidationException naming the feature: a client handles it as the refusal it is (not retried,
// unlike a 5xx; not "no such operation", which would claim DynamoDB lacks it), and nothing
// pretends to have streamed or measured anything. The legacy global tables' operations (version
// 2017.11.29) answer as DynamoDB answers them today, where none can be created either.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <unordered_map>

#include "ddb/engine_impl.h"
#include "ddb/error.h"
#include "ddb/ops/table_request.h"
#include "ddb/policy.h"
#include "ddb/s3_layout.h"
#include "ddb/table_arn.h"

namespace cruddur::ddb {

std::optional<std::string> LegacyGlobalTables(std::string_view operation,
                                              std::string_view request_json) {
  static const std::set<std::string_view> kOperations = {
      "CreateGlobalTable", "UpdateGlobalTable",         "DescribeGlobalTable",
      "ListGlobalTables",  "UpdateGlobalTableSettings", "DescribeGlobalTableSettings"};
  if (!kOperations.contains(operation)) return std::nullopt;
  if (operation == "ListGlobalTables") return R"({"GlobalTables":[]})";
  Request req(request_json);
  auto name = req.String("GlobalTableName");
  if (!name) {
    throw ApiError::Validation(
        "1 validation error detected: Value null at 'globalTableName' failed to satisfy "
        "constraint: Member must not be null");
  }
  const std::string kVersionRefused =
      "One or more parameter values were invalid: DynamoDB global tables version 2017.11.29 is "
      "not supported. We recommend using DynamoDB global tables version 2019.11.21, instead of "
      "version 2017.11.29 (Legacy).";
  if (operation == "CreateGlobalTable") throw ApiError::Validation(kVersionRefused);
  if (operation == "UpdateGlobalTable") {
    const JsonValue* updates = req.Array("ReplicaUpdates");
    if (!updates || updates->Empty()) {
      throw ApiError::Validation("One or more parameter values were invalid");
    }
    // A Create is refused before the table is looked for.
    for (const JsonValue& u : updates->GetArray()) {
      if (u.IsObject() && u.HasMember("Create")) throw ApiError::Validation(kVersionRefused);
    }
  }
  std::string missing = fmt::format("Global table with name: '{}' does not exist.", *name);
  if (operation == "DescribeGlobalTable") missing = "Global table not found: " + missing;
  throw ApiError(400, "GlobalTableNotFoundException", missing);
}

std::optional<std::string> UnsupportedFeature(std::string_view operation) {
  static const std::unordered_map<std::string_view, std::string_view> kFeatures = {
      {"EnableKinesisStreamingDestination", "Kinesis streaming destinations"},
      {"DisableKinesisStreamingDestination", "Kinesis streaming destinations"},
      {"DescribeKinesisStreamingDestination", "Kinesis streaming destinations"},
      {"UpdateKinesisStreamingDestination", "Kinesis streaming destinations"},
      {"DescribeTableReplicaAutoScaling", "replica auto scaling of global tables"},
      {"UpdateTableReplicaAutoScaling", "replica auto scaling of global tables"},
  };
  static const std::unordered_map<std::string_view, std::string_view> kWhy = {
      {"Kinesis streaming destinations",
       "there is no Kinesis here to stream to (DynamoDB "
       "Streams are supported)"},
      {"replica auto scaling of global tables", "global tables are not supported"},
  };
  auto it = kFeatures.find(operation);
  if (it == kFeatures.end()) return std::nullopt;
  return fmt::format("{} is not supported by cruddur's local DynamoDB: {} ({})", operation,
                     it->second, kWhy.at(it->second));
}

ApiError ForeignAccountError() {
  return ApiError::Validation(
      "This action is only supported by accounts that match the resource owner’s account.");
}

namespace {

// DynamoDB's words for a missing policy and for an ExpectedRevisionId that is not the current
// one (recorded in 2026: moto's AWS-verified tests of resource policies, ack-api-quirks dynamodb
// DDB-TABLE-205, DDB-TABLE-209; "... but table <t> has no associated" is recorded cut there).
ApiError PolicyNotFound(std::string_view detail) {
  return {400, "PolicyNotFoundException",
          fmt::format("Resource-based policy not found for the provided ResourceArn: {}", detail)};
}

struct StoredPolicy {
  std::string policy, revision_id;
};

}  // namespace

// The storage key of the policy of the resource `arn` names (a table or its stream), after
// DynamoDB's checks of the ARN and the table's existence.
std::string EngineImpl::PolicyKey(std::string_view arn) {
  ArnTarget target;
  try {
    target = ParseResourceArn(arn, options_.region, options_.account_id);
  } catch (const ApiError& e) {
    // Another account's, region's or partition's table: the policy operations' own words
    // (DynamoDB's answers recorded in 2026: ack-api-quirks dynamodb DDB-TABLE-442).
    if (e.type() == "AccessDeniedException") throw ForeignAccountError();
    if (e.message().starts_with("Invalid TableArn:")) {
      throw ApiError::Validation(
          fmt::format("One or more parameter values were invalid: Invalid resource Arn: {}", arn));
    }
    throw;
  }
  auto table = FindSettledTable(target.table);
  if (!table) {
    // DynamoDB's words (recorded in 2026: moto's AWS-verified tests, ack-api-quirks dynamodb
    // DDB-TABLE-236).
    throw ApiError::ResourceNotFound(
        fmt::format("Requested resource not found: Table: {} not found", target.table));
  }
  std::string key = std::string(1, keyspace::kMeta) + "policy/" + table->schema()->table_id;
  if (target.stream) key += arn.substr(arn.find("/stream/"));
  return key;
}

namespace {

std::optional<StoredPolicy> LoadPolicy(storage::Storage& store, const std::string& key) {
  auto value = store.Get(key);
  if (!value) return std::nullopt;
  auto bar = value->find('|');
  return StoredPolicy{value->substr(bar + 1), value->substr(0, bar)};
}

// Revision ids are the time of the change in epoch milliseconds, as DynamoDB's are (13 digits:
// ack-api-quirks dynamodb DDB-TABLE-207), and increasing.
std::string NewRevisionId() {
  using namespace std::chrono;
  static std::atomic<int64_t> last{0};
  int64_t ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  int64_t prev = last.load();
  while (!last.compare_exchange_weak(prev, std::max(ms, prev + 1))) {
  }
  return std::to_string(std::max(ms, prev + 1));
}

std::string_view RequiredString(const Request& req, std::string_view member) {
  auto v = req.String(member);
  if (!v) ThrowRequired(member);
  return *v;
}

// ExpectedRevisionId against the table's current policy; "NO_POLICY" expects none
// (PutResourcePolicy).
void CheckExpectedRevision(const Request& req, const std::optional<StoredPolicy>& current,
                           std::string_view table) {
  auto expected = req.String("ExpectedRevisionId");
  if (!expected) return;
  if (*expected == "NO_POLICY" && current) {
    throw PolicyNotFound(fmt::format(
        "Requested policy update expecting none to be present for table {}, but a policy exists "
        "with revision id {}.",
        table, current->revision_id));
  }
  if (*expected == "NO_POLICY") return;
  if (!current) {
    throw PolicyNotFound(fmt::format(
        "Requested update for policy with revision id {}, but table {} has no associated policy.",
        *expected, table));
  }
  if (current->revision_id != *expected) {
    throw PolicyNotFound(fmt::format(
        "Requested update for policy with revision id {}, but the policy associated to target "
        "table {} has revision id {}.",
        *expected, table, current->revision_id));
  }
}

// Whether two policy documents are the same JSON (DynamoDB takes an equivalent one as no change).
bool SamePolicy(std::string_view a, std::string_view b) {
  JsonDocument x, y;
  x.Parse(a.data(), a.size());
  y.Parse(b.data(), b.size());
  return !x.HasParseError() && !y.HasParseError() && x == y;
}

}  // namespace

// A change of a table's (or a stream's) resource policy within 15 s of the last one is
// throttled, as DynamoDB (recorded in 2026: ack-api-quirks dynamodb DDB-TABLE-206, -347, -464);
// DynamoDB answers the first second or two with a ResourceInUseException of its own, which is not
// modeled here. Records the change when it is allowed.
void EngineImpl::CheckPolicyInterval(std::string_view arn, const std::string& key, double now) {
  constexpr double kInterval = 15;
  double& changed = policy_changed_[key];
  if (options_.update_limits && changed > 0 && now < changed + kInterval) {
    const size_t stream = arn.find("/stream/");
    throw ApiError::Throttling(fmt::format(
        "Resource-based policy for {} {} modified within the previous 15000 milliseconds. "
        "Please try again after {}.",
        stream == std::string_view::npos ? "table" : "stream",
        stream == std::string_view::npos ? TableNameOfArn(arn) : arn.substr(stream + 8),
        s3::IsoTime(changed + kInterval)));
  }
  changed = now;
}

std::optional<std::string> EngineImpl::StoredResourcePolicy(const TableSchema& schema,
                                                            std::string_view stream_label) {
  std::string key = std::string(1, keyspace::kMeta) + "policy/" + schema.table_id;
  if (!stream_label.empty()) key += "/stream/" + std::string(stream_label);
  auto stored = LoadPolicy(*storage_, key);
  if (!stored) return std::nullopt;
  return std::move(stored->policy);
}

void EngineImpl::PutResourcePolicy(const Request& req, JsonWriter& w) {
  std::string_view arn = RequiredString(req, "ResourceArn");
  std::string_view policy = RequiredString(req, "Policy");
  ValidatePolicyDocument(policy);
  std::string key = PolicyKey(arn);
  MutexLock lock(catalog_mu_);  // a revision check and its write are one step
  auto current = LoadPolicy(*storage_, key);
  CheckExpectedRevision(req, current, TableNameOfArn(arn));
  std::string revision;
  if (current && SamePolicy(current->policy, policy)) {
    revision = current->revision_id;  // no change (ack-api-quirks dynamodb DDB-TABLE-207)
  } else {
    // A table being deleted takes no new policy (DynamoDB's answer recorded in 2026:
    // ack-api-quirks dynamodb DDB-TABLE-374).
    if (auto table = FindTable(TableNameOfArn(arn));
        table && table->schema()->StatusAt(EpochSeconds()) == "DELETING") {
      throw TableInUse("DELETING", table->schema()->name);
    }
    revision = NewRevisionId();
    CheckPolicyInterval(arn, key, static_cast<double>(std::stoll(revision)) / 1000);
    storage::WriteBatch batch;
    batch.Put(key, revision + "|" + std::string(policy));
    storage_->Write(batch);
  }
  w.StartObject();
  WriteKey(w, "RevisionId");
  WriteString(w, revision);
  w.EndObject();
}

void EngineImpl::GetResourcePolicy(const Request& req, JsonWriter& w) {
  std::string_view arn = RequiredString(req, "ResourceArn");
  auto current = LoadPolicy(*storage_, PolicyKey(arn));
  if (!current) throw PolicyNotFound(arn);
  w.StartObject();
  WriteKey(w, "Policy");
  WriteString(w, current->policy);
  WriteKey(w, "RevisionId");
  WriteString(w, current->revision_id);
  w.EndObject();
}

void EngineImpl::DeleteResourcePolicy(const Request& req, JsonWriter& w) {
  std::string_view arn = RequiredString(req, "ResourceArn");
  std::string key = PolicyKey(arn);
  MutexLock lock(catalog_mu_);
  auto current = LoadPolicy(*storage_, key);
  CheckExpectedRevision(req, current, TableNameOfArn(arn));
  w.StartObject();
  // No policy: DynamoDB answers an empty 200 (recorded in 2026: ack-api-quirks dynamodb
  // DDB-TABLE-205).
  if (current) {
    CheckPolicyInterval(arn, key, EpochSeconds());
    storage::WriteBatch batch;
    batch.Delete(key);
    storage_->Write(batch);
    WriteKey(w, "RevisionId");
    WriteString(w, current->revision_id);
  }
  w.EndObject();
}

}  // namespace cruddur::ddb
