// Resource-based policies (PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy), and the
// operations of features a single local server cannot honestly provide.
//
// A policy is stored and returned as DynamoDB does (a RevisionId per version, ExpectedRevisionId
// as a condition, PolicyNotFoundException), keyed by the table's TableId so that a table
// re-created under the same name starts without one. Requests signed with a `ddb serve --auth`
// key are checked against it (ops/access_ops.cc); without --auth there is no identity to check.
//
// Global tables, Kinesis streaming destinations, contributor insights and replica auto scaling
// answer a ValidationException naming the feature: a client handles it as the refusal it is
// (not retried, unlike a 5xx; not "no such operation", which would claim DynamoDB lacks it), and
// nothing pretends to have replicated, streamed or measured anything.
#include <fmt/format.h>

#include <chrono>
#include <unordered_map>

#include "ddb/engine_impl.h"
#include "ddb/error.h"
#include "ddb/policy.h"
#include "ddb/table_arn.h"

namespace cruddur::ddb {

std::optional<std::string> UnsupportedFeature(std::string_view operation) {
  static const std::unordered_map<std::string_view, std::string_view> kFeatures = {
      {"CreateGlobalTable", "global tables"},
      {"UpdateGlobalTable", "global tables"},
      {"DescribeGlobalTable", "global tables"},
      {"ListGlobalTables", "global tables"},
      {"UpdateGlobalTableSettings", "global tables"},
      {"DescribeGlobalTableSettings", "global tables"},
      {"EnableKinesisStreamingDestination", "Kinesis streaming destinations"},
      {"DisableKinesisStreamingDestination", "Kinesis streaming destinations"},
      {"DescribeKinesisStreamingDestination", "Kinesis streaming destinations"},
      {"UpdateKinesisStreamingDestination", "Kinesis streaming destinations"},
      {"DescribeContributorInsights", "CloudWatch contributor insights"},
      {"UpdateContributorInsights", "CloudWatch contributor insights"},
      {"ListContributorInsights", "CloudWatch contributor insights"},
      {"DescribeTableReplicaAutoScaling", "replica auto scaling of global tables"},
      {"UpdateTableReplicaAutoScaling", "replica auto scaling of global tables"},
  };
  static const std::unordered_map<std::string_view, std::string_view> kWhy = {
      {"global tables", "a table's replicas live in other regions, and this server is one region"},
      {"Kinesis streaming destinations",
       "there is no Kinesis here to stream to (DynamoDB "
       "Streams are supported)"},
      {"CloudWatch contributor insights", "there is no CloudWatch here to publish to"},
      {"replica auto scaling of global tables", "global tables are not supported"},
  };
  auto it = kFeatures.find(operation);
  if (it == kFeatures.end()) return std::nullopt;
  return fmt::format("{} is not supported by cruddur's local DynamoDB: {} ({})", operation,
                     it->second, kWhy.at(it->second));
}

namespace {

ApiError PolicyNotFound(std::string_view arn) {
  return {400, "PolicyNotFoundException",
          fmt::format("Resource-based policy not found for the provided ResourceArn: {}", arn)};
}

struct StoredPolicy {
  std::string policy, revision_id;
};

}  // namespace

// The storage key of the policy of the resource `arn` names (a table or its stream), after
// DynamoDB's checks of the ARN and the table's existence.
std::string EngineImpl::PolicyKey(std::string_view arn) {
  ArnTarget target = ParseResourceArn(arn, options_.region, options_.account_id);
  auto table = FindTable(target.table);
  if (!table) {
    throw ApiError::ResourceNotFound(fmt::format("Requested resource not found: {}", arn));
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

// Revision ids are the time of the change in microseconds: increasing, as DynamoDB's are.
std::string NewRevisionId() {
  using namespace std::chrono;
  return std::to_string(
      duration_cast<microseconds>(system_clock::now().time_since_epoch()).count());
}

std::string_view RequiredString(const Request& req, std::string_view member) {
  auto v = req.String(member);
  if (!v) ThrowRequired(member);
  return *v;
}

void CheckExpectedRevision(const Request& req, const std::optional<StoredPolicy>& current,
                           std::string_view arn) {
  auto expected = req.String("ExpectedRevisionId");
  if (expected && (!current || current->revision_id != *expected)) throw PolicyNotFound(arn);
}

}  // namespace

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
  CheckExpectedRevision(req, LoadPolicy(*storage_, key), arn);
  std::string revision = NewRevisionId();
  storage::WriteBatch batch;
  batch.Put(key, revision + "|" + std::string(policy));
  storage_->Write(batch);
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
  if (!current) throw PolicyNotFound(arn);
  CheckExpectedRevision(req, current, arn);
  storage::WriteBatch batch;
  batch.Delete(key);
  storage_->Write(batch);
  w.StartObject();
  WriteKey(w, "RevisionId");
  WriteString(w, current->revision_id);
  w.EndObject();
}

}  // namespace cruddur::ddb
