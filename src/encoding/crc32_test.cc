#include "encoding/crc32.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>

namespace cruddur::encoding {
namespace {

std::uint32_t ZlibCrc32(std::string_view data) {
  return static_cast<std::uint32_t>(
      crc32_z(0, reinterpret_cast<const Bytef*>(data.data()), data.size()));
}

TEST(Crc32Test, KnownValues) {
  EXPECT_EQ(Crc32(""), 0u);
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);  // the standard check value of CRC-32
  // 64 bytes and more go through the carry-less multiply where the CPU has it.
  EXPECT_EQ(Crc32(std::string(64, 'a')), ZlibCrc32(std::string(64, 'a')));
  EXPECT_EQ(Crc32(std::string(1000, '\0')), ZlibCrc32(std::string(1000, '\0')));
  EXPECT_EQ(Crc32(std::string(1000, '\xff')), ZlibCrc32(std::string(1000, '\xff')));
}

TEST(Crc32Test, MatchesZlibOnEveryLengthAndAlignment) {
  std::mt19937 random(7);
  std::string data(5000, '\0');
  for (char& c : data) c = static_cast<char>(random());
  for (std::size_t length = 0; length <= 600; ++length) {
    for (std::size_t offset = 0; offset < 16; offset += 5) {
      std::string_view slice(data.data() + offset, length);
      ASSERT_EQ(Crc32(slice), ZlibCrc32(slice)) << "length " << length << " offset " << offset;
    }
  }
  for (std::size_t length : {1023u, 1024u, 1025u, 4420u, 4999u}) {
    std::string_view slice(data.data() + 1, length);
    EXPECT_EQ(Crc32(slice), ZlibCrc32(slice)) << "length " << length;
  }
}

}  // namespace
}  // namespace cruddur::encoding
