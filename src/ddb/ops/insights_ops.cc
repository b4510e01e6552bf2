// CloudWatch Contributor Insights: UpdateContributorInsights, DescribeContributorInsights,
// ListContributorInsights. The state machine, rule names, quota and errors are DynamoDB's, as
// recorded against the service in 2026 (ack-api-quirks dynamodb, DDB-TABLE-089 to -097 and
// -337 to -344); there is no CloudWatch here, so the rules report nothing.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "ddb/engine_impl.h"
#include "ddb/error.h"
#include "ddb/ops/table_request.h"
#include "encoding/hex.h"

namespace cruddur::ddb {
using encoding::HexDecode;
using encoding::HexEncode;

namespace {

// CloudWatch's quota of Contributor Insights rules per account and region.
constexpr int kRuleQuota = 100;
constexpr int64_t kDefaultListPage = 100;
constexpr std::string_view kAllKeys = "ACCESSED_AND_THROTTLED_KEYS";

ApiError IndexNotFound(std::string_view index, std::string_view table) {
  return ApiError::ResourceNotFound(
      fmt::format("Requested resource not found: Index: {} not found for table: {}", index, table));
}

// What a table or one of its GSIs is, for its insights: LSIs have none.
struct Target {
  const KeySchema* key = nullptr;
  const ContributorInsights* insights = nullptr;
  const IndexSchema* index = nullptr;  // null for the table itself
};

Target FindTarget(const TableSchema& schema, std::optional<std::string_view> index_name) {
  if (!index_name) return {&schema.key, &schema.insights, nullptr};
  const IndexSchema* ix = schema.FindIndex(*index_name);
  if (!ix || !ix->global) throw IndexNotFound(*index_name, schema.name);
  return {&ix->key, &ix->insights, ix};
}

ContributorInsights& MutableInsights(TableSchema& schema, std::optional<std::string_view> index) {
  if (!index) return schema.insights;
  for (auto& ix : schema.indexes) {
    if (ix.name == *index) return ix.insights;
  }
  throw IndexNotFound(*index, schema.name);  // dropped meanwhile
}

bool HasSortKey(const KeySchema& key) { return key.has_range() || !key.more_range.empty(); }

// The rules an entry in `mode` has: partition keys, and partition and sort keys when there is a
// sort key; most accessed and most throttled, or most throttled only.
std::vector<std::string_view> RuleKinds(const KeySchema& key, std::string_view mode) {
  const bool sort = HasSortKey(key);
  std::vector<std::string_view> kinds;
  if (mode == kAllKeys) {
    kinds.push_back("PKC");
    if (sort) kinds.push_back("SKC");
  }
  kinds.push_back("PKT");
  if (sort) kinds.push_back("SKT");
  return kinds;
}

// The rules that count against the quota: those of entries ENABLED or on their way to it.
int RulesInUse(const ContributorInsights& ci, const KeySchema& key) {
  if (ci.settled != "ENABLED") return 0;
  return static_cast<int>(RuleKinds(key, ci.mode).size());
}

void WriteFailure(JsonWriter& w) {
  WriteKey(w, "FailureException");
  w.StartObject();
  WriteMember(w, "ExceptionName", "LimitExceededException");
  WriteMember(w, "ExceptionDescription",
              "Amazon CloudWatch Contributor Insights rule limit reached. Please disable "
              "Contributor Insights for other tables/indexes OR disable other CloudWatch "
              "Contributor Insights rules before retrying.");
  w.EndObject();
}

void WriteNames(JsonWriter& w, const TableSchema& schema, std::optional<std::string_view> index) {
  WriteMember(w, "TableName", schema.name);
  if (index) WriteMember(w, "IndexName", *index);
}

// One ContributorInsightsSummary.
void WriteSummary(JsonWriter& w, const TableSchema& schema, const ContributorInsights& ci,
                  const IndexSchema* index, std::string_view status) {
  w.StartObject();
  WriteNames(w, schema, index ? std::optional<std::string_view>(index->name) : std::nullopt);
  WriteMember(w, "ContributorInsightsStatus", status);
  if (!ci.mode.empty()) WriteMember(w, "ContributorInsightsMode", ci.mode);
  w.EndObject();
}

// ListContributorInsights' NextToken: the hex of the table and index ("" for the table) its page
// ended with, after the TableName filter it came with.
std::string ListToken(std::string_view filter, std::string_view table, std::string_view index) {
  return HexEncode(fmt::format("{}\n{}\n{}", filter, table, index));
}

}  // namespace

void EngineImpl::UpdateContributorInsights(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  std::string_view name = TableNameParam(req, errors);
  // Newer than the botocore model the shapes come from: its enum is checked here.
  const std::string mode(req.String("ContributorInsightsMode").value_or(kAllKeys));
  errors.CheckEnum("contributorInsightsMode", mode, {kAllKeys, "THROTTLED_KEYS"});
  errors.ThrowIfAny();
  const std::optional<std::string_view> index = req.String("IndexName");
  const bool enable = req.String("ContributorInsightsAction") == "ENABLE";

  MutexLock lock(catalog_mu_);
  auto table = FindTable(name);
  if (!table) throw TableNotFound(name);
  const double now = Now();
  auto schema = table->schema();
  const Target target = FindTarget(*schema, index);
  const ContributorInsights& ci = *target.insights;
  if (enable) {
    // Only an ACTIVE table or index takes new rules (DDB-TABLE-116).
    if (schema->StatusAt(now) == "CREATING") {
      throw ApiError::Validation(
          "Table or Index is not in a valid state to update Key Access Insights: TableStatus "
          "must be ACTIVE to enable ContributorInsights.");
    }
    if (target.index && target.index->StatusAt(now) == "CREATING") {
      throw ApiError::Validation(
          "Table or Index is not in a valid state to update Key Access Insights: IndexStatus "
          "must be ACTIVE to enable ContributorInsights.");
    }
  }
  std::string status;
  std::string echoed_mode = ci.mode;
  // A request that changes nothing answers the state as it is (DDB-TABLE-091, -341).
  const bool unchanged = enable ? (ci.settled == "ENABLED" && ci.mode == mode && !ci.failed)
                                : ci.settled == "DISABLED";
  if (unchanged) {
    status = ci.StatusAt(now);
  } else {
    ContributorInsights next = ci;
    const double until = DelaysTransientStatuses() ? TransientUntil(now) : 0;
    if (!enable) {
      next.settled = "DISABLED";
      next.failed = ci.failed && until > 0;  // FailureException stays while DISABLING
    } else {
      // The rules of every other entry in this region count against the quota (DDB-TABLE-337):
      // a FAILED entry holds none, and a failed attempt creates none.
      int in_use = -RulesInUse(ci, *target.key);
      for (const auto& t : AllTables()) {
        auto other = t->schema();
        in_use += RulesInUse(other->insights, other->key);
        for (const auto& ix : other->indexes) in_use += RulesInUse(ix.insights, ix.key);
      }
      const bool fits =
          in_use + static_cast<int>(RuleKinds(*target.key, mode).size()) <= kRuleQuota;
      // A mode change keeps the rules' names; new rules are named by their creation.
      if (ci.settled != "ENABLED") next.rules_created = now;
      next.settled = fits ? "ENABLED" : "FAILED";
      next.failed = !fits;
      next.mode = mode;
    }
    next.last_update = now;
    next.until = until;
    ChangeSchema(*table, [&](TableSchema& changed) { MutableInsights(changed, index) = next; });
    status = enable ? "ENABLING" : "DISABLING";
    echoed_mode = next.mode;
  }

  w.StartObject();
  WriteNames(w, *table->schema(), index);
  WriteMember(w, "ContributorInsightsStatus", status);
  if (!echoed_mode.empty()) WriteMember(w, "ContributorInsightsMode", echoed_mode);
  w.EndObject();
}

void EngineImpl::DescribeContributorInsights(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  std::string_view name = TableNameParam(req, errors);
  errors.ThrowIfAny();
  const std::optional<std::string_view> index = req.String("IndexName");
  auto table = FindSettledTable(name);
  if (!table) throw TableNotFound(name);
  auto schema = table->schema();
  Target target = FindTarget(*schema, index);
  const ContributorInsights& ci = *target.insights;
  const std::string_view status = ci.StatusAt(Now());

  w.StartObject();
  WriteNames(w, *schema, index);
  // The rules exist once created, and not for a FAILED attempt (DDB-TABLE-340).
  if (ci.settled == "ENABLED") {  // ENABLED, or ENABLING on the way there
    const std::string resource = index ? fmt::format("{}-{}", schema->name, *index) : schema->name;
    const auto created_ms = static_cast<int64_t>(std::llround(ci.rules_created * 1000));
    WriteKey(w, "ContributorInsightsRuleList");
    w.StartArray();
    for (std::string_view kind : RuleKinds(*target.key, ci.mode)) {
      WriteString(w,
                  fmt::format("DynamoDBContributorInsights-{}-{}-{}", kind, resource, created_ms));
    }
    w.EndArray();
  }
  WriteMember(w, "ContributorInsightsStatus", status);
  if (ci.last_update > 0) WriteMember(w, "LastUpdateDateTime", ci.last_update);
  if (ci.failed && (status == "FAILED" || status == "DISABLING")) WriteFailure(w);
  if (!ci.mode.empty()) WriteMember(w, "ContributorInsightsMode", ci.mode);
  w.EndObject();
}

void EngineImpl::ListContributorInsights(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  const std::optional<std::string_view> filter = req.String("TableName");
  const std::optional<int64_t> max_results = req.Int("MaxResults");
  if (max_results) errors.CheckRange("maxResults", *max_results, 1, 100);
  errors.ThrowIfAny();
  const int64_t max = max_results.value_or(kDefaultListPage);

  std::vector<std::shared_ptr<const TableSchema>> schemas;
  if (filter) {
    auto table = FindTable(*filter);
    if (!table) throw TableNotFound(*filter);
    schemas.push_back(table->schema());
  } else {
    for (const auto& t : AllTables()) schemas.push_back(t->schema());
    std::sort(schemas.begin(), schemas.end(),
              [](const auto& a, const auto& b) { return a->name < b->name; });
  }
  const std::string filter_text(filter.value_or(""));
  // Where the previous page ended: entries at or before it are skipped.
  std::optional<std::pair<std::string, std::string>> after;
  if (auto token = req.String("NextToken")) {
    auto decoded = HexDecode(*token);
    const size_t first = decoded ? decoded->find('\n') : std::string::npos;
    const size_t second = first == std::string::npos ? first : decoded->find('\n', first + 1);
    if (second == std::string::npos || decoded->substr(0, first) != filter_text) {
      throw ApiError::Validation(
          fmt::format("Invalid Request: Provided nextToken is invalid: {}", *token));
    }
    after.emplace(decoded->substr(first + 1, second - first - 1), decoded->substr(second + 1));
  }

  // The table first, then its GSIs, in the order DynamoDB lists them (DDB-TABLE-095).
  struct Entry {
    const TableSchema* schema;
    const ContributorInsights* insights;
    const IndexSchema* index;  // null for the table
    std::string_view IndexName() const {
      return index ? std::string_view(index->name) : std::string_view();
    }
  };
  std::vector<Entry> candidates;
  for (const auto& schema : schemas) {
    candidates.push_back({schema.get(), &schema->insights, nullptr});
    for (const auto& ix : schema->indexes) {
      if (ix.global) candidates.push_back({schema.get(), &ix.insights, &ix});
    }
  }
  // A page goes on after the entry the token names, or (gone since) after its table.
  size_t begin = 0;
  if (after) {
    const std::string& table = after->first;
    const std::string& index = after->second;
    auto named = std::find_if(candidates.begin(), candidates.end(), [&](const Entry& e) {
      return e.schema->name == table && e.IndexName() == index;
    });
    begin = named != candidates.end()
                ? static_cast<size_t>(named - candidates.begin()) + 1
                : static_cast<size_t>(
                      std::find_if(candidates.begin(), candidates.end(),
                                   [&](const Entry& e) { return e.schema->name > table; }) -
                      candidates.begin());
  }
  // Entries DISABLED are left out, the others listed whatever their state (DDB-TABLE-343).
  const double now = Now();
  std::vector<std::pair<const Entry*, std::string_view>> entries;
  for (size_t i = begin; i < candidates.size(); ++i) {
    const std::string_view status = candidates[i].insights->StatusAt(now);
    if (status != "DISABLED") entries.emplace_back(&candidates[i], status);
  }

  w.StartObject();
  WriteKey(w, "ContributorInsightsSummaries");
  w.StartArray();
  const size_t shown = std::min(entries.size(), static_cast<size_t>(max));
  for (size_t i = 0; i < shown; ++i) {
    const Entry& e = *entries[i].first;
    WriteSummary(w, *e.schema, *e.insights, e.index, entries[i].second);
  }
  w.EndArray();
  if (shown < entries.size()) {
    const Entry& last = *entries[shown - 1].first;
    WriteMember(w, "NextToken", ListToken(filter_text, last.schema->name, last.IndexName()));
  }
  w.EndObject();
}

}  // namespace cruddur::ddb
