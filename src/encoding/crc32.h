// The CRC-32 of x-amz-crc32 (zlib's crc32, the IEEE polynomial reflected), computed with the
// CPU's carry-less multiply where it has one: a Query page of a few KB costs zlib's table-driven
// loop about 4 instructions a byte, the multiply about a fifth of one.
#pragma once

#include <cstdint>
#include <string_view>

namespace cruddur::encoding {

// The same value as zlib's crc32(0, data, size).
std::uint32_t Crc32(std::string_view data);

}  // namespace cruddur::encoding
