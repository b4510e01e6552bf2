// DynamoDB's legacy (pre-expression) request parameters, translated into the same objects the
// expressions produce so the engine evaluates both with one code path:
//   KeyConditions            -> KeyCondition
//   QueryFilter / ScanFilter -> Condition      (with ConditionalOperator)
//   Expected                 -> Condition      (with ConditionalOperator)
//   AttributeUpdates         -> Update
//   AttributesToGet          -> Projection
// Every error is an ApiError with DynamoDB's type and message text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ddb/expression/expression.h"
#include "ddb/json.h"

namespace cruddur::ddb::expr::legacy {

// The operation a request belongs to: which legacy and expression members it may carry. For
// BatchGetItem, `request` is one table's KeysAndAttributes object.
enum class Operation { kGetItem, kBatchGetItem, kPutItem, kDeleteItem, kUpdateItem, kQuery, kScan };

// Constraint violations of the legacy members, worded for the "N validation errors detected: "
// collector (add each to the request's ConstraintErrors), e.g.
// "Value 'XX' at 'scanFilter.a.member.comparisonOperator' failed to satisfy constraint: Member
// must satisfy enum value set: [IN, NULL, ...]". Empty when there are none.
std::vector<std::string> ConstraintViolations(const JsonValue& request, Operation op);

// Throws "Can not use both expression and non-expression parameters in the same request:
// Non-expression parameters: {AttributesToGet, QueryFilter} Expression parameters:
// {ProjectionExpression, FilterExpression}" when `request` mixes the two styles. Both lists are
// in DynamoDB's fixed order; KeyConditions only counts when KeyConditionExpression is present.
void CheckNotMixed(const JsonValue& request, Operation op);

// Everything about the legacy members that needs no table, in DynamoDB's order: CheckNotMixed,
// then "ConditionalOperator cannot be used without Filter or Expected" / "ConditionalOperator
// can only be used when Filter or Expected has two or more elements", then the shape of each
// condition / update ("Invalid number of argument(s) for the EQ ComparisonOperator", ...),
// duplicate AttributesToGet, and "Conditions can be of length 1 or 2 only". Call it once per
// request, before the table lookup; the builders below repeat the checks they need.
void Validate(const JsonValue& request, Operation op);

// Expected + ConditionalOperator (PutItem, UpdateItem, DeleteItem), evaluated against the
// current item (an empty Item when there is none). nullopt when Expected is absent or empty.
std::optional<Condition> ExpectedCondition(const JsonValue& request);

// `member` is "QueryFilter" or "ScanFilter"; combined with ConditionalOperator. nullopt when the
// member is absent or empty. For Query the caller still refuses key attributes ("QueryFilter can
// only contain non-primary key attributes: Primary key attribute: pk") using Paths().
std::optional<Condition> FilterCondition(const JsonValue& request, std::string_view member);

// KeyConditions resolved against the key schema of the table or index queried (`range_key`
// empty when there is no sort key). nullopt when KeyConditions is absent. Throws DynamoDB's
// "Query condition missed key schema element: pk", "Query key condition not supported",
// "Attempted conditional constraint is not an indexable operation". The caller still checks the
// operand types against the schema, as for KeyConditionExpression.
std::optional<KeyCondition> KeyConditions(const JsonValue& request, const std::string& hash_key,
                                          const std::string& range_key);
// The same for a multi-attribute key (its HASH and RANGE attributes in KeySchema order), with
// KeyConditionExpression's rules: every HASH attribute EQ, RANGE conditions left to right, only
// the last one other than EQ.
std::optional<KeyCondition> KeyConditions(const JsonValue& request,
                                          const std::vector<std::string>& hash_keys,
                                          const std::vector<std::string>& range_keys);

// AttributeUpdates (UpdateItem). nullopt when absent; an empty map is an Update that changes
// nothing. The caller still refuses key attributes ("One or more parameter values were invalid:
// Cannot update attribute pk. This attribute is part of the key") using Paths().
std::optional<Update> AttributeUpdates(const JsonValue& request);

// AttributesToGet (GetItem, BatchGetItem, Query, Scan). nullopt when absent.
std::optional<Projection> AttributesToGet(const JsonValue& request);

}  // namespace cruddur::ddb::expr::legacy
