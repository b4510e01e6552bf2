// Enforcement of resource-based policies for the requests of a Caller (`ddb serve --auth`).
//
// Each operation is authorized as IAM authorizes it: one IAM action on each resource it names
// (the table, the index a Query or Scan reads, the stream; every table of a batch; every item of
// a transaction as its own action; a PartiQL statement as dynamodb:PartiQLSelect/Insert/Update/
// Delete), with the table's policy (or its stream's) evaluated by ddb/policy.h. The outcome:
//  - an explicit Deny: AccessDeniedException "... with an explicit deny in a resource-based
//    policy", whoever the principal is;
//  - a principal of the tables' own account: allowed (it has no identity-based policies here,
//    which stand for an administrator's);
//  - a principal of another account: allowed only by an Allow of the policy, and only for the
//    operations DynamoDB supports across accounts; otherwise "... because no resource-based
//    policy allows the <action> action".
#include <fmt/format.h>

#include <set>

#include "ddb/engine_impl.h"
#include "ddb/error.h"
#include "ddb/expression/legacy.h"
#include "ddb/policy.h"
#include "ddb/streams.h"
#include "ddb/table_arn.h"
#include "ddb/value_json.h"

namespace cruddur::ddb {

// One authorization: `action` on the table `table` (empty: an account-level operation), or on
// its index or stream (`sub`: "/index/<name>" or "/stream/<label>"), with the condition keys the
// request gives.
struct AccessCheck {
  std::string action;
  std::string table;
  std::string sub;
  ConditionContext context;
};

namespace {

thread_local const Caller* t_caller = nullptr;
thread_local bool t_partiql = false;

// The operations DynamoDB serves to principals of other accounts ("API operations supported by
// resource-based policies", cross-account column); the rest act only in the caller's account.
bool CrossAccountAction(std::string_view action) {
  static const std::set<std::string_view> kActions = {
      "dynamodb:GetItem",        "dynamodb:PutItem",        "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",     "dynamodb:Query",          "dynamodb:Scan",
      "dynamodb:BatchGetItem",   "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
      "dynamodb:DescribeTable",  "dynamodb:UpdateTable",    "dynamodb:DeleteTable",
      "dynamodb:DescribeStream", "dynamodb:GetRecords",     "dynamodb:GetShardIterator"};
  return kActions.contains(action);
}

// The text IAM compares of a key attribute value ({"S": ...}, {"N": ...}, {"B": base64}).
std::optional<std::string> KeyText(const JsonValue* value) {
  if (!value || !value->IsObject() || value->MemberCount() != 1) return std::nullopt;
  const auto& m = *value->MemberBegin();
  std::string_view type(m.name.GetString(), m.name.GetStringLength());
  if ((type != "S" && type != "N" && type != "B") || !m.value.IsString()) return std::nullopt;
  return std::string(m.value.GetString(), m.value.GetStringLength());
}

void AddValue(ConditionContext& context, const std::string& key, std::string value) {
  auto& values = context[key];
  if (std::find(values.begin(), values.end(), value) == values.end()) {
    values.push_back(std::move(value));
  }
}

// dynamodb:LeadingKeys: the partition key value of an item or key.
void AddLeadingKey(ConditionContext& context, const JsonValue* item,
                   const std::string& partition_key) {
  if (!item) return;
  if (auto text = KeyText(MemberValue(*item, partition_key))) {
    AddValue(context, "dynamodb:leadingkeys", *text);
  }
}

// dynamodb:Attributes of a read: the top-level attributes its ProjectionExpression (names
// resolved) or AttributesToGet names; none when it reads whole items.
void AddProjection(ConditionContext& context, const JsonValue& request) {
  if (const JsonValue* list = MemberValue(request, "AttributesToGet"); list && list->IsArray()) {
    for (const JsonValue& name : list->GetArray()) {
      if (name.IsString()) AddValue(context, "dynamodb:attributes", name.GetString());
    }
  }
  const JsonValue* projection = MemberValue(request, "ProjectionExpression");
  if (!projection || !projection->IsString()) return;
  const JsonValue* names = MemberValue(request, "ExpressionAttributeNames");
  std::string_view text(projection->GetString(), projection->GetStringLength());
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view path = text.substr(0, comma);
    text = comma == std::string_view::npos ? "" : text.substr(comma + 1);
    size_t first = path.find_first_not_of(' ');
    if (first == std::string_view::npos) continue;
    path = path.substr(first);
    std::string_view top = path.substr(0, path.find_first_of(".[ "));
    if (top.starts_with('#') && names) {
      const JsonValue* name = MemberValue(*names, top);
      if (name && name->IsString()) top = {name->GetString(), name->GetStringLength()};
    }
    AddValue(context, "dynamodb:attributes", std::string(top));
  }
}

// The request members that are condition keys of their own (dynamodb:Select, ...).
void AddRequestKeys(ConditionContext& context, const JsonValue& request) {
  for (auto [member, key] :
       {std::pair{"Select", "dynamodb:select"}, std::pair{"ReturnValues", "dynamodb:returnvalues"},
        std::pair{"ReturnConsumedCapacity", "dynamodb:returnconsumedcapacity"}}) {
    const JsonValue* v = MemberValue(request, member);
    if (v && v->IsString()) AddValue(context, key, v->GetString());
  }
}

std::string_view StringMember(const JsonValue& v, std::string_view name) {
  const JsonValue* m = MemberValue(v, name);
  return m && m->IsString() ? std::string_view(m->GetString(), m->GetStringLength()) : "";
}

// The partition key value a Query's key condition fixes, when it can be read.
std::optional<std::string> QueriedPartition(const Request& req, const KeySchema& key) {
  std::vector<std::string> hash, range;
  for (const KeyAttribute& a : key.HashAttributes()) hash.push_back(a.name);
  for (const KeyAttribute& a : key.RangeAttributes()) range.push_back(a.name);
  try {
    expr::Substitutions subs = ParseSubstitutions(req);
    std::optional<expr::KeyCondition> kc;
    if (auto kce = req.String("KeyConditionExpression")) {
      kc = expr::KeyCondition::Parse(*kce, subs, hash, range);
    } else {
      kc = expr::legacy::KeyConditions(req.root(), hash, range);
    }
    if (!kc || kc->hash_values.empty()) return std::nullopt;
    const AttributeValue& v = kc->hash_values.front();
    if (v.type == ValueType::kS) return v.bytes;
    if (v.type == ValueType::kN) return v.number.text();
    if (v.type == ValueType::kB) return Base64Encode(v.bytes);
  } catch (const ApiError&) {
    // A malformed condition: the Query's own checks answer it, if the policy lets it run.
  }
  return std::nullopt;
}

// The ARN a ResourceArn names as (table, sub-resource); nullopt when it names no resource here
// (the operation answers its own error).
std::optional<std::pair<std::string, std::string>> ArnResource(std::string_view arn,
                                                               const EngineOptions& options) {
  try {
    ArnTarget target = ParseResourceArn(arn, options.region, options.account_id);
    std::string sub;
    if (target.stream) sub = std::string(arn.substr(arn.find("/stream/")));
    return std::pair{std::string(target.table), sub};
  } catch (const ApiError&) {
    return std::nullopt;
  }
}

}  // namespace

CallerScope::CallerScope(const Caller& caller) : previous_(t_caller) { t_caller = &caller; }
CallerScope::~CallerScope() { t_caller = previous_; }
const Caller* CurrentCaller() { return t_caller; }

PartiqlScope::PartiqlScope() : previous_(t_partiql) { t_partiql = true; }
PartiqlScope::~PartiqlScope() { t_partiql = previous_; }
bool PartiqlScope::Active() { return t_partiql; }

void EngineImpl::Authorize(std::string_view operation, const Request& req) {
  const Caller* caller = CurrentCaller();
  if (!caller) return;
  std::vector<AccessCheck> checks =
      PartiqlScope::Active() ? PartiqlAccessChecks(operation, req) : AccessChecks(operation, req);
  for (const AccessCheck& check : checks) Decide(*caller, check);
}

namespace {

// The check of one item operation (GetItem, PutItem, ..., a transaction's or batch's item) on
// `table`: its LeadingKeys and Attributes.
AccessCheck ItemCheck(std::string action, std::string table, const JsonValue& request,
                      const TableSchema* schema, std::string_view item_member) {
  AccessCheck check{std::move(action), std::move(table), "", {}};
  if (schema)
    AddLeadingKey(check.context, MemberValue(request, item_member), schema->key.hash_name);
  if (item_member == "Item") {
    if (const JsonValue* item = MemberValue(request, "Item"); item && item->IsObject()) {
      for (const auto& m : item->GetObject()) {
        AddValue(check.context, "dynamodb:attributes", m.name.GetString());
      }
    }
  } else {
    AddProjection(check.context, request);
  }
  if (const JsonValue* updates = MemberValue(request, "AttributeUpdates");
      updates && updates->IsObject()) {
    for (const auto& m : updates->GetObject()) {
      AddValue(check.context, "dynamodb:attributes", m.name.GetString());
    }
  }
  AddRequestKeys(check.context, request);
  return check;
}

}  // namespace

std::vector<AccessCheck> EngineImpl::AccessChecks(std::string_view operation, const Request& req) {
  std::string action = "dynamodb:" + std::string(operation.substr(operation.find('.') + 1));
  auto schema_of = [this](std::string_view name) -> std::shared_ptr<const TableSchema> {
    try {
      auto table = FindTable(name);
      return table ? table->schema() : nullptr;
    } catch (const ApiError&) {
      return nullptr;
    }
  };
  auto table_name = [this](std::string_view name) -> std::string {
    try {
      return std::string(ResolveTableName(name));
    } catch (const ApiError&) {
      return "";
    }
  };
  std::vector<AccessCheck> checks;
  static const std::set<std::string_view> kItemOps = {"GetItem", "PutItem", "UpdateItem",
                                                      "DeleteItem"};
  static const std::set<std::string_view> kTableOps = {"DescribeTable",
                                                       "DeleteTable",
                                                       "UpdateTable",
                                                       "UpdateTimeToLive",
                                                       "DescribeTimeToLive",
                                                       "CreateBackup",
                                                       "DescribeContinuousBackups",
                                                       "UpdateContinuousBackups",
                                                       "DescribeContributorInsights",
                                                       "UpdateContributorInsights"};
  static const std::set<std::string_view> kArnOps = {"TagResource",        "UntagResource",
                                                     "ListTagsOfResource", "PutResourcePolicy",
                                                     "GetResourcePolicy",  "DeleteResourcePolicy"};
  const JsonValue& root = req.root();
  if (kItemOps.contains(operation)) {
    std::string_view name = StringMember(root, "TableName");
    auto schema = schema_of(name);
    checks.push_back(ItemCheck(action, table_name(name), root, schema.get(),
                               operation == "PutItem" ? "Item" : "Key"));
  } else if (operation == "Query" || operation == "Scan") {
    std::string_view name = StringMember(root, "TableName");
    std::string_view index = StringMember(root, "IndexName");
    AccessCheck check{action, table_name(name), "", {}};
    if (!index.empty()) check.sub = "/index/" + std::string(index);
    auto schema = schema_of(name);
    if (operation == "Query" && schema) {
      const IndexSchema* ix = index.empty() ? nullptr : schema->FindIndex(index);
      if (index.empty() || ix) {
        if (auto pk = QueriedPartition(req, ix ? ix->key : schema->key)) {
          AddValue(check.context, "dynamodb:leadingkeys", *pk);
        }
      }
    }
    AddProjection(check.context, root);
    AddRequestKeys(check.context, root);
    checks.push_back(std::move(check));
  } else if (kTableOps.contains(operation)) {
    AccessCheck check{action, table_name(StringMember(root, "TableName")), "", {}};
    // Contributor insights of a GSI are the index's (its ARN is the resource).
    if (std::string_view index = StringMember(root, "IndexName");
        operation.ends_with("ContributorInsights") && !index.empty()) {
      check.sub = "/index/" + std::string(index);
    }
    checks.push_back(std::move(check));
  } else if (kArnOps.contains(operation)) {
    if (auto resource = ArnResource(StringMember(root, "ResourceArn"), options_)) {
      checks.push_back({action, resource->first, resource->second, {}});
    }
  } else if (operation == "ExportTableToPointInTime") {
    if (auto resource = ArnResource(StringMember(root, "TableArn"), options_)) {
      checks.push_back({action, resource->first, "", {}});
    }
  } else if (operation == "RestoreTableToPointInTime") {
    std::string_view source = StringMember(root, "SourceTableArn");
    if (source.empty()) source = StringMember(root, "SourceTableName");
    checks.push_back({action, table_name(source), "", {}});
  } else if (operation == "Streams.DescribeStream" || operation == "Streams.GetShardIterator" ||
             operation == "Streams.GetRecords") {
    std::string arn(StringMember(root, "StreamArn"));
    if (operation == "Streams.GetRecords") {
      auto it = streams::ParseIterator(StringMember(root, "ShardIterator"));
      arn = it ? it->arn : "";
    }
    if (auto stream = streams::ParseStreamArn(arn)) {
      checks.push_back({action, stream->table_name, "/stream/" + stream->label, {}});
    }
  } else if (operation == "BatchGetItem" || operation == "BatchWriteItem") {
    const JsonValue* items = req.Object("RequestItems");
    if (!items) return checks;
    for (const auto& m : items->GetObject()) {
      std::string_view name(m.name.GetString(), m.name.GetStringLength());
      auto schema = schema_of(name);
      AccessCheck check{action, table_name(name), "", {}};
      if (operation == "BatchGetItem") {
        if (const JsonValue* keys = MemberValue(m.value, "Keys"); keys && keys->IsArray()) {
          for (const JsonValue& key : keys->GetArray()) {
            if (schema) AddLeadingKey(check.context, &key, schema->key.hash_name);
          }
        }
        AddProjection(check.context, m.value);
      } else if (m.value.IsArray()) {
        for (const JsonValue& write : m.value.GetArray()) {
          const JsonValue* put = MemberValue(write, "PutRequest");
          const JsonValue* del = MemberValue(write, "DeleteRequest");
          const JsonValue* item = put ? MemberValue(*put, "Item") : nullptr;
          if (!item && del) item = MemberValue(*del, "Key");
          if (schema) AddLeadingKey(check.context, item, schema->key.hash_name);
          if (put && item && item->IsObject()) {
            for (const auto& a : item->GetObject()) {
              AddValue(check.context, "dynamodb:attributes", a.name.GetString());
            }
          }
        }
      }
      checks.push_back(std::move(check));
    }
  } else if (operation == "TransactGetItems" || operation == "TransactWriteItems") {
    static const std::vector<std::pair<std::string_view, std::string_view>> kEntries = {
        {"Get", "GetItem"},
        {"Put", "PutItem"},
        {"Update", "UpdateItem"},
        {"Delete", "DeleteItem"},
        {"ConditionCheck", "ConditionCheckItem"}};
    const JsonValue* items = req.Array("TransactItems");
    if (!items) return checks;
    for (const JsonValue& entry : items->GetArray()) {
      for (auto [member, entry_action] : kEntries) {
        const JsonValue* op = MemberValue(entry, member);
        if (!op) continue;
        std::string_view name = StringMember(*op, "TableName");
        auto schema = schema_of(name);
        checks.push_back(ItemCheck("dynamodb:" + std::string(entry_action), table_name(name), *op,
                                   schema.get(), member == "Put" ? "Item" : "Key"));
      }
    }
  } else {
    // An account-level operation (ListTables, CreateTable, backups, exports, ...): no
    // resource-based policy applies.
    checks.push_back({action, "", "", {}});
  }
  return checks;
}

// A PartiQL statement runs as the item operations it translates to; each is authorized as the
// statement's action (a SELECT's reads as dynamodb:PartiQLSelect, ...). Its DescribeTable calls
// read the key schema and are the engine's own.
std::vector<AccessCheck> EngineImpl::PartiqlAccessChecks(std::string_view operation,
                                                         const Request& req) {
  static const std::vector<std::pair<std::string_view, std::string_view>> kActions = {
      {"GetItem", "PartiQLSelect"},    {"Query", "PartiQLSelect"},     {"Scan", "PartiQLSelect"},
      {"TransactGetItems", ""},        {"TransactWriteItems", ""},     {"PutItem", "PartiQLInsert"},
      {"UpdateItem", "PartiQLUpdate"}, {"DeleteItem", "PartiQLDelete"}};
  static const std::vector<std::pair<std::string_view, std::string_view>> kEntries = {
      {"GetItem", "PartiQLSelect"},
      {"PutItem", "PartiQLInsert"},
      {"UpdateItem", "PartiQLUpdate"},
      {"DeleteItem", "PartiQLDelete"},
      {"ConditionCheckItem", "PartiQLSelect"}};
  auto known = std::find_if(kActions.begin(), kActions.end(),
                            [&](const auto& a) { return a.first == operation; });
  if (known == kActions.end()) return {};
  std::vector<AccessCheck> checks = AccessChecks(operation, req);
  for (AccessCheck& check : checks) {
    std::string_view item_action = std::string_view(check.action).substr(9);
    for (auto [from, to] : kEntries) {
      if (item_action == from) check.action = "dynamodb:" + std::string(to);
    }
    if (item_action == "Query" || item_action == "Scan") check.action = "dynamodb:PartiQLSelect";
  }
  return checks;
}

void EngineImpl::Decide(const Caller& caller, const AccessCheck& check) {
  std::string table_arn = fmt::format("arn:aws:dynamodb:{}:{}:table/{}", options_.region,
                                      options_.account_id, check.table.empty() ? "*" : check.table);
  std::string resource = table_arn + check.sub;
  PolicyDecision decision = PolicyDecision::kNotApplicable;
  if (!check.table.empty()) {
    std::shared_ptr<Table> table;
    try {
      table = FindTable(check.table);
    } catch (const ApiError&) {
    }
    std::string_view label;
    if (check.sub.starts_with("/stream/")) label = std::string_view(check.sub).substr(8);
    std::optional<std::string> policy;
    if (table) policy = StoredResourcePolicy(*table->schema(), label);
    if (policy) {
      ConditionContext context = check.context;
      context["aws:principalarn"] = {caller.principal_arn};
      context["aws:principalaccount"] = {caller.account};
      context["aws:principaltype"] = {caller.principal_arn.ends_with(":root") ? "Account" : "User"};
      if (size_t user = caller.principal_arn.find(":user/"); user != std::string::npos) {
        std::string_view name = std::string_view(caller.principal_arn).substr(user + 6);
        context["aws:username"] = {std::string(name.substr(name.rfind('/') + 1))};
      }
      if (!caller.source_ip.empty()) context["aws:sourceip"] = {caller.source_ip};
      context["aws:securetransport"] = {"false"};  // plain HTTP
      context["aws:requestedregion"] = {options_.region};
      decision = EvaluatePolicy(*policy, {.principal_arn = caller.principal_arn,
                                          .principal_account = caller.account,
                                          .action = check.action,
                                          .resource = resource,
                                          .context = &context});
    }
  }
  if (decision == PolicyDecision::kExplicitDeny) {
    throw ApiError::AccessDenied(fmt::format(
        "User: {} is not authorized to perform: {} on resource: {} with an explicit deny in a "
        "resource-based policy",
        caller.principal_arn, check.action, resource));
  }
  if (caller.account == options_.account_id) return;
  if (decision == PolicyDecision::kAllow && CrossAccountAction(check.action)) return;
  throw ApiError::AccessDenied(
      fmt::format("User: {} is not authorized to perform: {} on resource: {} because no "
                  "resource-based policy allows the {} action",
                  caller.principal_arn, check.action, resource, check.action));
}

}  // namespace cruddur::ddb
