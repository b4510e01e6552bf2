// IAM's evaluation of DynamoDB resource-based policies (ddb/policy.h).
#include "ddb/policy.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <optional>
#include <set>

#include "ddb/error.h"
#include "ddb/json.h"

namespace cruddur::ddb {
namespace {

constexpr size_t kMaxPolicyBytes = 20 * 1024;  // DynamoDB's limit, whitespace counted

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Text(const JsonValue& v) { return {v.GetString(), v.GetStringLength()}; }

// A member that may be one string or an array of strings, as its strings (nullopt when it holds
// anything else).
std::optional<std::vector<std::string_view>> Strings(const JsonValue& v) {
  std::vector<std::string_view> out;
  if (v.IsString()) {
    out.push_back(Text(v));
    return out;
  }
  if (!v.IsArray()) return std::nullopt;
  for (const JsonValue& e : v.GetArray()) {
    if (!e.IsString()) return std::nullopt;
    out.push_back(Text(e));
  }
  return out;
}

// --- Principal ---

// Whether `entry` (a Principal value) names the request's principal: "*", its account (12
// digits or arn:aws:iam::<account>:root, which stand for every principal of the account), or
// its ARN.
bool PrincipalEntryMatches(std::string_view entry, const AccessRequest& r) {
  if (entry == "*") return true;
  if (entry == r.principal_account) return true;
  if (entry == fmt::format("arn:aws:iam::{}:root", r.principal_account)) return true;
  return entry == r.principal_arn;
}

// The Principal (or NotPrincipal) member names the request's principal. Only "AWS" principals
// are IAM identities; Service, Federated and CanonicalUser ones never sign with an --auth key.
bool PrincipalMatches(const JsonValue& principal, const AccessRequest& r) {
  if (principal.IsString()) return Text(principal) == "*";
  if (!principal.IsObject()) return false;
  const JsonValue* aws = MemberValue(principal, "AWS");
  if (!aws) return false;
  auto entries = Strings(*aws);
  if (!entries) return false;
  return std::any_of(entries->begin(), entries->end(),
                     [&](std::string_view e) { return PrincipalEntryMatches(e, r); });
}

// --- Action and Resource ---

bool ActionMatches(const JsonValue& actions, std::string_view action) {
  auto patterns = Strings(actions);
  if (!patterns) return false;
  return std::any_of(patterns->begin(), patterns->end(), [&](std::string_view p) {
    return WildcardMatch(p, action, /*ignore_case=*/true);
  });
}

bool ResourceMatches(const JsonValue& resources, std::string_view resource) {
  auto patterns = Strings(resources);
  if (!patterns) return false;
  return std::any_of(patterns->begin(), patterns->end(),
                     [&](std::string_view p) { return p == "*" || ArnMatch(p, resource); });
}

// --- Condition ---

// An address and prefix length in network byte order (IPv4 or IPv6).
struct Cidr {
  std::array<unsigned char, 16> bytes{};
  int family = 0;
  int prefix = 0;
};

std::optional<Cidr> ParseCidr(std::string_view text) {
  Cidr c;
  std::string address(text.substr(0, text.find('/')));
  if (inet_pton(AF_INET, address.c_str(), c.bytes.data()) == 1) {
    c.family = AF_INET;
    c.prefix = 32;
  } else if (inet_pton(AF_INET6, address.c_str(), c.bytes.data()) == 1) {
    c.family = AF_INET6;
    c.prefix = 128;
  } else {
    return std::nullopt;
  }
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    std::string bits(text.substr(slash + 1));
    char* end = nullptr;
    long n = std::strtol(bits.c_str(), &end, 10);
    if (bits.empty() || *end != '\0' || n < 0 || n > c.prefix) return std::nullopt;
    c.prefix = static_cast<int>(n);
  }
  return c;
}

bool InCidr(std::string_view ip, std::string_view range) {
  auto address = ParseCidr(ip);
  auto network = ParseCidr(range);
  if (!address || !network || address->family != network->family) return false;
  for (int bit = 0; bit < network->prefix; ++bit) {
    int mask = 0x80 >> (bit % 8);
    if ((address->bytes[bit / 8] & mask) != (network->bytes[bit / 8] & mask)) return false;
  }
  return true;
}

std::optional<double> ParseNumber(std::string_view text) {
  std::string s(text);
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0') return std::nullopt;
  return d;
}

bool NumericCompare(std::string_view op, std::string_view value, std::string_view wanted) {
  auto a = ParseNumber(value), b = ParseNumber(wanted);
  if (!a || !b) return false;
  if (op == "numericequals") return *a == *b;
  if (op == "numericlessthan") return *a < *b;
  if (op == "numericlessthanequals") return *a <= *b;
  if (op == "numericgreaterthan") return *a > *b;
  return op == "numericgreaterthanequals" && *a >= *b;
}

// A condition operator without its IfExists suffix, split into its positive form and whether it
// is negated (StringNotEquals is "not StringEquals"), with the test of one value against one
// of the policy's values; nullopt for an operator not modelled.
struct Operator {
  bool negated = false;
  std::function<bool(std::string_view value, std::string_view wanted)> test;
};

std::optional<Operator> FindOperator(std::string op) {
  Operator o;
  static const std::array<std::pair<std::string_view, std::string_view>, 6> kNegations = {{
      {"stringnotequalsignorecase", "stringequalsignorecase"},
      {"stringnotequals", "stringequals"},
      {"stringnotlike", "stringlike"},
      {"arnnotequals", "arnequals"},
      {"arnnotlike", "arnlike"},
      {"notipaddress", "ipaddress"},
  }};
  for (const auto& [negative, positive] : kNegations) {
    if (op == negative) {
      o.negated = true;
      op = positive;
    }
  }
  if (op == "numericnotequals") {
    o.negated = true;
    op = "numericequals";
  }
  if (op == "stringequals") {
    o.test = [](std::string_view v, std::string_view w) { return v == w; };
  } else if (op == "stringequalsignorecase") {
    o.test = [](std::string_view v, std::string_view w) { return Lower(v) == Lower(w); };
  } else if (op == "stringlike") {
    o.test = [](std::string_view v, std::string_view w) { return WildcardMatch(w, v); };
  } else if (op == "arnequals" || op == "arnlike") {
    o.test = [](std::string_view v, std::string_view w) { return ArnMatch(w, v); };
  } else if (op == "bool") {
    o.test = [](std::string_view v, std::string_view w) { return Lower(v) == Lower(w); };
  } else if (op == "ipaddress") {
    o.test = [](std::string_view v, std::string_view w) { return InCidr(v, w); };
  } else if (op.starts_with("numeric")) {
    o.test = [op](std::string_view v, std::string_view w) { return NumericCompare(op, v, w); };
  } else {
    return std::nullopt;
  }
  return o;
}

// One condition block entry: `op` (as written, e.g. "ForAllValues:StringLike",
// "StringEqualsIfExists") tests the context key against `wanted`, as IAM's condition operators
// and set qualifiers do. A key missing from the context: false, but true for a negated operator,
// an ...IfExists one, or ForAllValues (which holds for the empty set).
bool ConditionHolds(std::string op, const std::vector<std::string_view>& wanted,
                    const std::vector<std::string>* values) {
  op = Lower(op);
  enum { kSingle, kAny, kAll } qualifier = kSingle;
  if (op.starts_with("forallvalues:")) {
    qualifier = kAll;
    op = op.substr(13);
  } else if (op.starts_with("foranyvalue:")) {
    qualifier = kAny;
    op = op.substr(12);
  }
  bool if_exists = op.ends_with("ifexists");
  if (if_exists) op.resize(op.size() - 8);
  bool present = values && !values->empty();
  if (op == "null") {
    if (wanted.empty()) return false;
    return (Lower(wanted[0]) == "true") != present;
  }
  auto oper = FindOperator(op);
  if (!oper) return false;  // not modelled: the statement does not apply
  if (!present) {
    if (if_exists || qualifier == kAll) return true;
    return qualifier == kSingle && oper->negated;
  }
  auto matches = [&](const std::string& v) {
    return std::any_of(wanted.begin(), wanted.end(),
                       [&](std::string_view w) { return oper->test(v, w); });
  };
  switch (qualifier) {
    case kAll:
      return std::all_of(values->begin(), values->end(),
                         [&](const std::string& v) { return matches(v) != oper->negated; });
    case kAny:
      return std::any_of(values->begin(), values->end(),
                         [&](const std::string& v) { return matches(v) != oper->negated; });
    case kSingle:
      break;
  }
  bool any = std::any_of(values->begin(), values->end(), matches);
  return oper->negated ? !any : any;
}

bool ConditionsHold(const JsonValue& condition, const AccessRequest& r) {
  if (!condition.IsObject()) return false;
  for (const auto& block : condition.GetObject()) {
    if (!block.value.IsObject()) return false;
    for (const auto& entry : block.value.GetObject()) {
      std::vector<std::string_view> wanted;
      if (entry.value.IsBool()) {
        wanted.push_back(entry.value.GetBool() ? "true" : "false");
      } else if (auto strings = Strings(entry.value)) {
        wanted = *strings;
      } else {
        return false;
      }
      const std::vector<std::string>* values = nullptr;
      if (r.context) {
        auto it = r.context->find(Lower(Text(entry.name)));
        if (it != r.context->end()) values = &it->second;
      }
      if (!ConditionHolds(std::string(Text(block.name)), wanted, values)) return false;
    }
  }
  return true;
}

// Whether the statement's element `name` (say Action) lets it apply: that element must match,
// or else its Not form (NotAction) must not; a statement with neither applies if `absent`.
template <typename Matches>
bool ElementAllows(const JsonValue& statement, std::string_view name, const Matches& matches,
                   bool absent) {
  if (const JsonValue* v = MemberValue(statement, name)) return matches(*v);
  if (const JsonValue* v = MemberValue(statement, "Not" + std::string(name))) return !matches(*v);
  return absent;
}

// Whether `statement` applies to the request.
bool StatementApplies(const JsonValue& statement, const AccessRequest& r) {
  auto principal = [&](const JsonValue& v) { return PrincipalMatches(v, r); };
  auto action = [&](const JsonValue& v) { return ActionMatches(v, r.action); };
  auto resource = [&](const JsonValue& v) { return ResourceMatches(v, r.resource); };
  if (!ElementAllows(statement, "Principal", principal, false) ||
      !ElementAllows(statement, "Action", action, false) ||
      !ElementAllows(statement, "Resource", resource, true)) {
    return false;
  }
  const JsonValue* condition = MemberValue(statement, "Condition");
  return !condition || ConditionsHold(*condition, r);
}

// --- Validation ---

[[noreturn]] void Invalid(std::string_view why) {
  throw ApiError::Validation(
      fmt::format("One or more parameter values were invalid: Invalid policy document: {}", why));
}

// The actions a resource-based policy may name: those acting on a table, its indexes or its
// stream (DynamoDB's "API operations supported by resource-based policies"). Account-level ones
// (ListTables, ListStreams, ...) and those of backups, exports and imports are refused.
const std::set<std::string>& PolicyActions() {
  static const std::set<std::string> kActions = {
      "batchgetitem",
      "batchwriteitem",
      "conditioncheckitem",
      "deleteitem",
      "getitem",
      "putitem",
      "query",
      "scan",
      "updateitem",
      "partiqldelete",
      "partiqlinsert",
      "partiqlselect",
      "partiqlupdate",
      "deletetable",
      "describetable",
      "updatetable",
      "createtablereplica",
      "deletetablereplica",
      "updateglobaltable",
      "updateglobaltablesettings",
      "describetablereplicaautoscaling",
      "updatetablereplicaautoscaling",
      "tagresource",
      "untagresource",
      "listtagsofresource",
      "createbackup",
      "restoretabletopointintime",
      "describecontinuousbackups",
      "updatecontinuousbackups",
      "exporttabletopointintime",
      "describecontributorinsights",
      "updatecontributorinsights",
      "describekinesisstreamingdestination",
      "enablekinesisstreamingdestination",
      "disablekinesisstreamingdestination",
      "updatekinesisstreamingdestination",
      "getresourcepolicy",
      "putresourcepolicy",
      "deleteresourcepolicy",
      "describetimetolive",
      "updatetimetolive",
      "describestream",
      "getrecords",
      "getsharditerator",
      "getabacstatus",
      "updateabacstatus",
  };
  return kActions;
}

void ValidateActions(const JsonValue& actions) {
  auto names = Strings(actions);
  if (!names || names->empty()) Invalid("Action must be a string or a list of strings");
  std::vector<std::string> invalid;
  for (std::string_view name : *names) {
    if (name == "*") continue;
    std::string lower = Lower(name);
    bool wildcard = lower.find_first_of("*?") != std::string::npos;
    bool known = lower.starts_with("dynamodb:") && PolicyActions().contains(lower.substr(9));
    if (!(lower.starts_with("dynamodb:") && (wildcard || known))) {
      invalid.push_back(fmt::format("\"{}\"", name));
    }
  }
  if (!invalid.empty()) {
    Invalid(fmt::format("The following action names are invalid: {}", fmt::join(invalid, ", ")));
  }
}

bool ValidPrincipalEntry(std::string_view e) {
  if (e == "*") return true;
  auto digits = [](std::string_view s) {
    return s.size() == 12 && std::all_of(s.begin(), s.end(), [](char c) {
             return std::isdigit(static_cast<unsigned char>(c));
           });
  };
  if (digits(e)) return true;
  constexpr std::string_view kIam = "arn:aws:iam::";
  if (!e.starts_with(kIam)) return e.starts_with("arn:aws:sts::");
  std::string_view rest = e.substr(kIam.size());
  size_t colon = rest.find(':');
  return colon != std::string_view::npos && digits(rest.substr(0, colon)) &&
         colon + 1 < rest.size();
}

void ValidatePrincipal(const JsonValue& principal) {
  if (principal.IsString()) {
    if (Text(principal) != "*") Invalid("Principal must be \"*\" or an object");
    return;
  }
  if (!principal.IsObject() || principal.MemberCount() == 0) {
    Invalid("Principal must be \"*\" or an object");
  }
  for (const auto& m : principal.GetObject()) {
    auto entries = Strings(m.value);
    if (!entries || entries->empty()) Invalid("Invalid principal in policy");
    if (Text(m.name) != "AWS") continue;
    for (std::string_view e : *entries) {
      if (!ValidPrincipalEntry(e)) Invalid(fmt::format("Invalid principal in policy: \"{}\"", e));
    }
  }
}

// Exactly one of `member` and its Not form.
const JsonValue* OneOf(const JsonValue& statement, std::string_view member) {
  const JsonValue* positive = MemberValue(statement, member);
  const JsonValue* negative = MemberValue(statement, "Not" + std::string(member));
  if (positive && negative) {
    Invalid(fmt::format("a statement has both {0} and Not{0}", member));
  }
  if (!positive && !negative) {
    // DynamoDB's words (recorded in 2026: ack-api-quirks dynamodb DDB-TABLE-457).
    Invalid(fmt::format("Missing required field {}", member));
  }
  return positive ? positive : negative;
}

void ValidateCondition(const JsonValue& condition) {
  if (!condition.IsObject()) Invalid("Condition must be an object");
  for (const auto& block : condition.GetObject()) {
    if (!block.value.IsObject()) Invalid("each Condition operator must map keys to values");
    for (const auto& entry : block.value.GetObject()) {
      if (!entry.value.IsBool() && !Strings(entry.value)) {
        Invalid(fmt::format("the value of condition key {} must be a string or a list of strings",
                            Text(entry.name)));
      }
    }
  }
}

void ValidateStatement(const JsonValue& statement) {
  if (!statement.IsObject()) Invalid("each Statement must be an object");
  const JsonValue* effect = MemberValue(statement, "Effect");
  if (!effect) Invalid("Missing required field Effect");  // DDB-TABLE-457
  if (!effect->IsString() || (Text(*effect) != "Allow" && Text(*effect) != "Deny")) {
    Invalid("Effect must be \"Allow\" or \"Deny\"");
  }
  const JsonValue* principal = OneOf(statement, "Principal");
  ValidatePrincipal(*principal);
  ValidateActions(*OneOf(statement, "Action"));
  auto resources = Strings(*OneOf(statement, "Resource"));
  if (!resources || resources->empty()) Invalid("Resource must be a string or a list of strings");
  if (const JsonValue* condition = MemberValue(statement, "Condition")) {
    ValidateCondition(*condition);
  }
}

}  // namespace

bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case) {
  auto same = [ignore_case](char a, char b) {
    if (!ignore_case) return a == b;
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  };
  // Greedy matching with one backtrack point: linear in practice, never exponential.
  size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || same(pattern[p], text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool ArnMatch(std::string_view pattern, std::string_view arn) {
  // arn:partition:service:region:account:resource; the resource keeps any further colons.
  auto split = [](std::string_view s) {
    std::vector<std::string_view> parts;
    for (int i = 0; i < 5; ++i) {
      size_t colon = s.find(':');
      if (colon == std::string_view::npos) break;
      parts.push_back(s.substr(0, colon));
      s.remove_prefix(colon + 1);
    }
    parts.push_back(s);
    return parts;
  };
  auto want = split(pattern), have = split(arn);
  if (want.size() != 6 || have.size() != 6) return false;  // not an ARN
  for (size_t i = 0; i < 6; ++i) {
    if (!WildcardMatch(want[i], have[i])) return false;
  }
  return true;
}

PolicyDecision EvaluatePolicy(std::string_view policy, const AccessRequest& request) {
  JsonDocument doc;
  doc.Parse(policy.data(), policy.size());
  if (doc.HasParseError() || !doc.IsObject()) return PolicyDecision::kNotApplicable;
  const JsonValue* statements = MemberValue(doc, "Statement");
  if (!statements) return PolicyDecision::kNotApplicable;
  bool allowed = false;
  auto consider = [&](const JsonValue& statement) {
    const JsonValue* effect = MemberValue(statement, "Effect");
    if (!effect || !effect->IsString() || !StatementApplies(statement, request)) return false;
    if (Text(*effect) == "Deny") return true;
    allowed = allowed || Text(*effect) == "Allow";
    return false;
  };
  if (statements->IsArray()) {
    for (const JsonValue& s : statements->GetArray()) {
      if (consider(s)) return PolicyDecision::kExplicitDeny;
    }
  } else if (consider(*statements)) {
    return PolicyDecision::kExplicitDeny;
  }
  return allowed ? PolicyDecision::kAllow : PolicyDecision::kNotApplicable;
}

void ValidatePolicyDocument(std::string_view policy) {
  // DynamoDB's words (recorded in 2026: ack-api-quirks dynamodb DDB-TABLE-442).
  if (policy.size() > kMaxPolicyBytes) {
    throw ApiError::Validation(fmt::format(
        "One or more parameter values were invalid: Maximum policy size of {} bytes exceeded",
        kMaxPolicyBytes));
  }
  if (CheckJson(policy, 64) != rapidjson::kParseErrorNone) {
    Invalid("This policy contains invalid Json");  // DynamoDB's words, as recorded
  }
  JsonDocument doc;
  doc.Parse(policy.data(), policy.size());
  // DynamoDB's words for what is JSON but no policy (recorded in 2026: ack-api-quirks dynamodb
  // DDB-TABLE-457): an array as invalid JSON, null as no policy.
  if (doc.IsArray()) Invalid("This policy contains invalid Json");
  if (!doc.IsObject()) Invalid("This text appears not to be a policy");
  if (const JsonValue* version = MemberValue(doc, "Version")) {
    if (!version->IsString() ||
        (Text(*version) != "2012-10-17" && Text(*version) != "2008-10-17")) {
      Invalid("Version must be \"2012-10-17\" or \"2008-10-17\"");
    }
  }
  const JsonValue* statements = MemberValue(doc, "Statement");
  if (!statements) Invalid("the policy has no Statement");
  if (statements->IsArray()) {
    if (statements->Empty()) Invalid("Could not parse the policy: Statement is empty!");
    std::set<std::string_view> sids;
    for (const JsonValue& s : statements->GetArray()) {
      ValidateStatement(s);
      const JsonValue* sid = MemberValue(s, "Sid");
      if (sid && sid->IsString() && !sids.insert(Text(*sid)).second) {
        Invalid("The Statement Ids in the policy are not unique");
      }
    }
  } else {
    ValidateStatement(*statements);
  }
}

}  // namespace cruddur::ddb
