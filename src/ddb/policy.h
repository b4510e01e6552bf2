// IAM's evaluation of a DynamoDB resource-based policy (PutResourcePolicy's document) for one
// request, as IAM's "policy evaluation logic" describes it: a statement applies when its
// Principal/NotPrincipal, Action/NotAction, Resource/NotResource and every Condition match; an
// applying Deny wins over an applying Allow. What is and is not modelled: README.md ("Resource-
// based policies") and the comments below.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cruddur::ddb {

// The request context's condition keys (lowercase, as IAM compares them case-insensitively) and
// their values; a multivalued key (dynamodb:LeadingKeys, dynamodb:Attributes) holds several.
using ConditionContext = std::map<std::string, std::vector<std::string>>;

// One authorization question: may this principal perform `action` on `resource`?
struct AccessRequest {
  std::string_view principal_arn;      // arn:aws:iam::<account>:user/<name>, ...
  std::string_view principal_account;  // its 12-digit account
  std::string_view action;             // "dynamodb:GetItem"
  std::string_view resource;           // the ARN acted on (a table, index or stream)
  const ConditionContext* context = nullptr;
};

enum class PolicyDecision { kNotApplicable, kAllow, kExplicitDeny };

// The decision of `policy`, a document ValidatePolicyDocument accepted (anything it cannot read
// applies to nothing).
PolicyDecision EvaluatePolicy(std::string_view policy, const AccessRequest& request);

// DynamoDB's checks of a PutResourcePolicy document: its size, JSON syntax, Version, Statement
// and each statement's Effect, Principal, Action and Resource members. Throws its
// ValidationException.
void ValidatePolicyDocument(std::string_view policy);

// IAM's wildcards: `*` matches any run of characters, `?` any one.
bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case = false);

// ArnLike: the six colon-separated parts of an ARN matched part by part with wildcards.
bool ArnMatch(std::string_view pattern, std::string_view arn);

}  // namespace cruddur::ddb
