// Amazon Ion TEXT, for the subset DynamoDB's exports and imports use: each item is a top-level
// struct {Item:{...}} (after the $ion_1_0 version marker), its attributes mapped as DynamoDB's
// export documentation maps them: S string, N decimal, B blob, BOOL bool, NULL null, M struct,
// L list, and SS/NS/BS lists annotated $dynamodb_SS / $dynamodb_NS / $dynamodb_BS.
//
// The reader takes what such files hold and what Ion text tools write: symbols plain or
// 'quoted', "strings" and '''long strings''' with Ion's escapes, ints (also 0x.. and with _),
// decimals (103. 6d2 1.5), floats (1e3), typed nulls (null.string), {{base64}} blobs, "clobs",
// annotations, // and /* */ comments, and top-level lists of items. S-expressions, timestamps and
// the binary format are not read (an error names what was found).
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "ddb/value.h"

namespace cruddur::ddb::ion {

// Bad Ion text, or a value DynamoDB's mapping has no attribute type for.
class IonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One export line: "$ion_1_0 {Item:{...}}".
std::string ItemLine(const Item& item);

// Reads every top-level {Item:{...}} of `text` (structs, or lists of structs), calling `on_item`
// with each item in order. A value that is not an item struct is reported to `on_error` (with
// its reason) and skipped; a syntax error ends the reading with IonError (the text after it
// cannot be trusted to start a new value).
void ReadItems(std::string_view text, const std::function<void(Item)>& on_item,
               const std::function<void(const std::string&)>& on_error);

}  // namespace cruddur::ddb::ion
