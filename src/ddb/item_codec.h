// The compact binary form items are stored in (not JSON): a type tag per value, varint lengths.
#pragma once

#include <string>
#include <string_view>

#include "ddb/value.h"

namespace cruddur::ddb {

void EncodeItem(const Item& item, std::string* out);
std::string EncodeItem(const Item& item);

// Returns false when `data` is not a valid encoding.
bool DecodeItem(std::string_view data, Item* out);

}  // namespace cruddur::ddb
