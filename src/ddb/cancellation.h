// A cancelled transaction's answer: TransactionCanceledException with one reason per action (or
// statement), as TransactWriteItems, TransactGetItems and PartiQL's ExecuteTransaction give it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ddb/value.h"

namespace cruddur::ddb {

struct CancellationReason {
  std::string code = "None";
  std::string message;       // none when empty
  std::optional<Item> item;  // the old item, for ReturnValuesOnConditionCheckFailure
};

// The "CancellationReasons" member, serialised without braces (ApiError::with_extra_json).
std::string CancellationJson(const std::vector<CancellationReason>& reasons);

// Throws the TransactionCanceledException whose message lists the reasons' codes.
[[noreturn]] void ThrowCancelled(const std::vector<CancellationReason>& reasons);

}  // namespace cruddur::ddb
