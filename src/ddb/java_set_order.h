// The order DynamoDB prints a set of names in some messages ("Global secondary index i does not
// project [sk, y, g2]"): a Java HashSet<String>'s, not the names' own order.
#pragma once

#include <string>
#include <vector>

namespace cruddur::ddb {

// `names` without duplicates, as a Java HashSet<String> iterates them: by bucket (String's
// hashCode over UTF-16 code units, spread as HashMap spreads it) in a table of 16 slots,
// doubled while over three quarters full; within a bucket, the names given later first, as
// DynamoDB Local lists them (the order DynamoDB adds them in is not known).
std::vector<std::string> JavaHashSetOrder(const std::vector<std::string>& names);

}  // namespace cruddur::ddb
