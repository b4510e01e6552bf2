// The first two steps of every DynamoDB request, driven by the operation's input shape (generated
// from botocore's service model into ddb/shapes/dynamodb_shapes.inc):
//  1. the whole body is read against the shape: a member of the wrong JSON type anywhere is a
//     SerializationException, before anything else is looked at;
//  2. every constraint of the shape (required members, lengths, patterns, ranges, enums, list
//     and map sizes) is checked, and the violations are answered together as one
//     "N validation errors detected: Value '...' at 'memberPath' failed to satisfy constraint:
//     Member must ...; ..." ValidationException.
// The operations' own (semantic) checks and the table lookup come after.
#pragma once

#include <string_view>

#include "ddb/json.h"

namespace cruddur::ddb {

// Throws ApiError (SerializationException or ValidationException) when `request`, the parsed
// body of `operation`, does not fit the operation's input shape. Does nothing for an operation
// without a generated shape (the Streams.* ones); unknown members are ignored, as DynamoDB does.
void ValidateShape(std::string_view operation, const JsonValue& request);

// Whether `operation` has a generated input shape.
bool HasShape(std::string_view operation);

}  // namespace cruddur::ddb
