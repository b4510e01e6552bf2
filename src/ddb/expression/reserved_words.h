// DynamoDB's reserved words: a bare attribute name in an expression may not be one of them.
#pragma once

#include <string_view>

namespace cruddur::ddb::expr {

// True when `name` is a DynamoDB reserved word, compared case-insensitively.
bool IsReservedWord(std::string_view name);

}  // namespace cruddur::ddb::expr
