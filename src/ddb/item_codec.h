// The compact binary form items are stored in (not JSON): a type tag per value, varint lengths.
#pragma once

#include <string>
#include <string_view>

#include "ddb/json.h"
#include "ddb/value.h"

namespace cruddur::ddb {

void EncodeItem(const Item& item, std::string* out);
std::string EncodeItem(const Item& item);

// Returns false when `data` is not a valid encoding.
bool DecodeItem(std::string_view data, Item* out);

// The ItemSize() of an encoded item, read without decoding it (no allocations); false when
// `data` is not a valid encoding.
bool EncodedItemSize(std::string_view data, size_t* size);

// Writes an encoded item as DynamoDB JSON straight from its bytes (what WriteItem would write
// for the decoded item, without building it); false when `data` is not a valid encoding, in
// which case `w` may hold a partial object. Sets `*size` (when given) to EncodedItemSize's
// answer, from the same pass.
bool WriteEncodedItem(std::string_view data, JsonWriter& w, size_t* size = nullptr);

}  // namespace cruddur::ddb
