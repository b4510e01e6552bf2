// Parsing and checks shared by CreateTable and UpdateTable (create_table.cc, update_table.cc):
// key schemas, attribute definitions, indexes, throughput, streams and SSE, as DynamoDB checks
// them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/error.h"
#include "ddb/request.h"
#include "ddb/table_schema.h"

namespace cruddur::ddb {

constexpr std::string_view kInvalid = "One or more parameter values were invalid: ";

double Now();
std::string NewUuid();
// The LatestStreamLabel of a stream created at `now`.
std::string StreamLabel(double now);
ValueType ScalarTypeOf(std::string_view s);

// "[a, b]", the list form DynamoDB's messages use.
template <typename Range, typename Name>
std::string NameList(const Range& items, Name name) {
  std::string out = "[";
  for (const auto& i : items) out += (out.size() > 1 ? ", " : "") + std::string(name(i));
  return out + "]";
}

std::string DefinitionNames(const std::vector<AttributeDefinition>& defs);

// A KeySchema list as given, before DynamoDB's structural checks.
using KeyElement = KeySchemaElement;
struct KeyNames {
  std::string hash, range;
  std::vector<std::string> more_hash, more_range;  // a GSI's multi-attribute key
  std::vector<std::string> All() const {
    std::vector<std::string> all = {hash};
    all.insert(all.end(), more_hash.begin(), more_hash.end());
    if (!range.empty()) all.push_back(range);
    all.insert(all.end(), more_range.begin(), more_range.end());
    return all;
  }
};

// `max_size`: 2, or none for a GSI's KeySchema, whose multi-attribute keys CheckKeyOrder bounds.
std::vector<KeyElement> ParseKeySchema(const JsonValue& list, std::string_view field,
                                       ConstraintErrors& errors, size_t max_size = 2);
// The structural KeySchema checks: HASH first, then an optional RANGE of another name; for a
// GSI (`global`), the rules of multi-attribute keys.
KeyNames CheckKeyOrder(const std::vector<KeyElement>& keys, bool global = false);
ProvisionedThroughput ParseThroughput(const JsonValue& v, std::string_view field,
                                      ConstraintErrors& errors);

// OnDemandThroughput or WarmThroughput as a request gives it: its read member (MaxReadRequestUnits,
// ReadUnitsPerSecond) and its write member, each absent or its value.
struct ThroughputSetting {
  std::optional<int64_t> read, write;
};

// A secondary index of a CreateTable (or an UpdateTable Create) request, as parsed; its semantic
// checks come later, after those of the whole request (DynamoDB's order).
struct IndexRequest {
  IndexSchema ix;
  std::vector<KeyElement> keys;
  const JsonValue* projection = nullptr;
  const JsonValue* throughput = nullptr;
  std::optional<ThroughputSetting> on_demand, warm;  // GSIs
};

IndexRequest ParseIndex(const JsonValue& e, const std::string& member, bool global,
                        ConstraintErrors& errors);
// The Projection's semantic checks (its shape was checked by ParseIndex).
void ApplyProjection(const JsonValue& p, IndexSchema& ix);
// Resolves key names to typed KeySchema using the attribute definitions.
KeySchema TypedKey(const KeyNames& names, const std::map<std::string, ValueType>& definitions);
void CheckKeysDefined(const std::vector<std::string>& keys,
                      const std::vector<AttributeDefinition>& defs);
// CreateTable with secondary indexes: AttributeDefinitions must name exactly the key attributes of
// the table and its indexes (`used`, each once), checked before any index's own rules.
void CheckDefinitionsMatchKeys(const std::vector<AttributeDefinition>& defs,
                               const std::vector<std::string>& used);
std::vector<AttributeDefinition> ParseAttributeDefinitions(const JsonValue& list,
                                                           ConstraintErrors& errors);
void CheckNoDuplicateDefinitions(const std::vector<AttributeDefinition>& defs);
// StreamSpecification of CreateTable/UpdateTable, with DynamoDB's checks.
StreamSpecification ParseStreamSpecification(const JsonValue& stream, bool creating);
// SSESpecification: the KMS key ARN to encrypt with, or empty for DynamoDB's own key.
std::optional<std::string> ParseSse(const JsonValue& spec, const std::string& region,
                                    const std::string& account);
// The member `name` of `obj` (OnDemandThroughput or WarmThroughput), nullopt when absent.
std::optional<ThroughputSetting> ParseThroughputSetting(const JsonValue& obj,
                                                        std::string_view name);

// The per-table maximum of DescribeLimits (TableMaxReadCapacityUnits/TableMaxWriteCapacityUnits),
// which OnDemandThroughput and WarmThroughput may not exceed.
constexpr int64_t kTableMaxCapacityUnits = 40000;

// OnDemandThroughput's checks, of a table (`index` empty) or GSI: only PAY_PER_REQUEST, each
// member 1 or more (or -1, no limit, when `updating`), at most kTableMaxCapacityUnits.
void CheckOnDemand(const ThroughputSetting& odt, std::string_view index, bool pay_per_request,
                   bool updating, const std::string& region);
// The OnDemandThroughput after an UpdateTable's `odt` (-1 clears a member).
OnDemandThroughput MergeOnDemand(const OnDemandThroughput& current, const ThroughputSetting& odt);
// The WarmThroughput a new table or GSI asks for, checked: at least its initial throughput
// (PAY_PER_REQUEST) or its provisioned units, at most kTableMaxCapacityUnits.
WarmThroughput WarmAtCreate(const ThroughputSetting& warm, std::string_view index,
                            bool pay_per_request, const ProvisionedThroughput& provisioned,
                            const std::string& region);
// The WarmThroughput an UpdateTable asks for, checked against the `current` one: never lower.
WarmThroughput WarmIncrease(const ThroughputSetting& warm, std::string_view index,
                            const WarmThroughput& current, const std::string& region);

// Throws DynamoDB's own refusal of a TableClass other than STANDARD and STANDARD_INFREQUENT_ACCESS
// (case-sensitive; checked after the request's constraint errors).
void CheckTableClass(std::string_view table_class);

// DynamoDB's refusal to change a table that is not ACTIVE, e.g. "Attempt to change a resource
// which is still in use: Table is being created: orders".
ApiError TableInUse(std::string_view status, std::string_view table);

// ResourceInUseException "Attempt to change a resource which is still in use: <what>".
ApiError ResourceInUse(std::string_view what);

// DeleteTable's refusal while a GSI is CREATING, UPDATING or DELETING, even with the table ACTIVE
// (ack-api-quirks dynamodb DDB-TABLE-150, -376).
ApiError IndexesInUse();

}  // namespace cruddur::ddb
