#include "ddb/md5.h"

#include <gtest/gtest.h>

#include <string>

#include "testing/expect_cases.h"

namespace cruddur::ddb {
namespace {

using test_util::ExpectCases;

std::string Hex(const std::array<uint8_t, 16>& digest) {
  std::string out;
  for (uint8_t b : digest) {
    out += "0123456789abcdef"[b >> 4];
    out += "0123456789abcdef"[b & 15];
  }
  return out;
}

std::string Hex(std::string_view data) {
  Md5 md5;
  md5.Update(data);
  return Hex(md5.Final());
}

// The test suite of RFC 1321, appendix A.5.
TEST(Md5, Rfc1321TestSuite) {
  const std::pair<std::string_view, std::string_view> kCases[] = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
       "d174ab98d277d9f5a5611c2c9f419d9f"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"}};
  ExpectCases([](std::string_view message) { return Hex(message); }, kCases);
}

// Input split across Update calls at every offset hashes as the whole; lengths around the
// 56- and 64-byte padding boundaries included.
TEST(Md5, UpdatesInPiecesMatchOneUpdate) {
  for (size_t len : {0u, 1u, 55u, 56u, 57u, 63u, 64u, 65u, 119u, 120u, 200u}) {
    std::string data(len, '\0');
    for (size_t i = 0; i < len; ++i) data[i] = static_cast<char>(i * 7 + 3);
    const std::string whole = Hex(data);
    for (size_t cut = 0; cut <= len; ++cut) {
      Md5 md5;
      md5.Update(std::string_view(data).substr(0, cut));
      md5.Update(std::string_view(data).substr(cut));
      ASSERT_EQ(Hex(md5.Final()), whole) << "len " << len << " cut " << cut;
    }
  }
}

}  // namespace
}  // namespace cruddur::ddb
