// Order-preserving encoding of key attribute values (S, N, B), so that the byte order of the
// encodings is DynamoDB's order of the values: S and B by unsigned bytes, N numerically.
// Each encoding is self-delimiting, so encodings can be concatenated (partition key, then sort
// key) and a prefix scan on the first one finds exactly its items.
#pragma once

#include <cstdint>
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

// DynamoDB's order of partitions, which is the order Scan returns them in and what parallel Scan
// segments split: the first 8 bytes (big-endian) of the MD5 of "Outliers" followed by the
// partition key value's bytes. S: its UTF-8 bytes; B: its bytes; N: NumberHashForm. This is
// the order dynalite reproduced (db/index.js, hashPrefix), whose scan-order tests are also run
// against DynamoDB itself. REQUIRES: `v` is S, N or B.
uint64_t PartitionKeyHash(const AttributeValue& v);
// PartitionKeyHash of an S or B value with these bytes.
uint64_t PartitionKeyHashOfBytes(std::string_view bytes);
// The bytes of a number that DynamoDB hashes: base-100 digits in the layout of Oracle's NUMBER.
// Zero is 0x80. Otherwise an exponent byte (positive: 0xC0 + e; negative: 63 - e, where the
// value is 0.<pairs> * 100^e), then one byte per pair of decimal digits (positive: pair + 1;
// negative: 101 - pair), and for negatives of fewer than 20 pairs a final 102.
std::string NumberHashForm(const Number& n);

}  // namespace cruddur::ddb
