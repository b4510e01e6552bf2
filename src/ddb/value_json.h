// AttributeValues in DynamoDB's JSON form ({"S": "text"}, {"N": "12.5"}, {"B": "<base64>"}, ...).
#pragma once

#include <string_view>

#include "ddb/json.h"
#include "ddb/value.h"

namespace cruddur::ddb {

// Parses one AttributeValue. Throws ApiError (ValidationException or SerializationException) with
// DynamoDB's exact message when the JSON is not a valid AttributeValue: no or several type
// members, an empty set, duplicates in a set, a bad number, bad base64, ...
AttributeValue ParseAttributeValue(const JsonValue& json);

// Parses a JSON object of attribute name -> AttributeValue (an Item, Key, or M).
Item ParseItem(const JsonValue& json);

// DynamoDB validates attribute values in two layers whose messages differ for a few cases.
// kCurrent (PutItem, UpdateItem, DeleteItem, GetItem, BatchGetItem, Query): an empty number is
// "...numeric value: " and duplicate-set messages quote the members
// (Input collection ["a", "b", "b"] contains duplicates.). kLegacy (BatchWriteItem,
// TransactWriteItems, TransactGetItems, Scan): an empty number has no colon and duplicates are
// listed as sent ([b, a, b]); the number-set message is bare "Input collection contains
// duplicates". The overloads without a wording use kCurrent.
enum class ValidationWording { kCurrent, kLegacy };
AttributeValue ParseAttributeValue(const JsonValue& json, ValidationWording wording);
Item ParseItem(const JsonValue& json, ValidationWording wording);

// Every AttributeValue error of a request is reported in DynamoDB's order: a
// SerializationException (wrong JSON type, bad base64) anywhere in `json` wins over any
// ValidationException, and among validation errors the first in document order wins.
// Documents nested deeper than 32 levels (an attribute is level 1) are rejected with
// "Nesting Levels have exceeded supported limits: ...".
constexpr int kMaxNestingDepth = 32;

void WriteAttributeValue(JsonWriter& w, const AttributeValue& v);
void WriteItem(JsonWriter& w, const Item& item);

std::string Base64Encode(std::string_view bytes);
// Returns false when the text is not valid base64.
bool Base64Decode(std::string_view text, std::string* out);

}  // namespace cruddur::ddb
