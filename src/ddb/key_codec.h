// Order-preserving encoding of key attribute values (S, N, B), so that the byte order of the
// encodings is DynamoDB's order of the values: S and B by unsigned bytes, N numerically.
// Each encoding is self-delimiting, so encodings can be concatenated (partition key, then sort
// key) and a prefix scan on the first one finds exactly its items.
#pragma once

#include <string>
#include <string_view>

#include "ddb/value.h"

namespace cruddur::ddb {

// Appends the encoding of `v` (which must be S, N or B) to `out`.
void EncodeKeyValue(const AttributeValue& v, std::string* out);
// Appends the encoding of an S or B value's bytes (what EncodeKeyValue appends for it).
void EncodeKeyBytes(std::string_view bytes, std::string* out);

// Decodes one value of type `type` from the front of `*in` and advances `*in` past it.
// Returns false on malformed input.
bool DecodeKeyValue(ValueType type, std::string_view* in, AttributeValue* out);

}  // namespace cruddur::ddb
