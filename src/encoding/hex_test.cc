#include "encoding/hex.h"

#include <gtest/gtest.h>

namespace cruddur::encoding {
namespace {

TEST(HexDigitValue, BothCasesAndNothingElse) {
  EXPECT_EQ(HexDigitValue('0'), 0);
  EXPECT_EQ(HexDigitValue('9'), 9);
  EXPECT_EQ(HexDigitValue('a'), 10);
  EXPECT_EQ(HexDigitValue('F'), 15);
  EXPECT_EQ(HexDigitValue('f'), 15);
  for (char c : {'g', 'G', '/', ':', '@', '`', ' ', '\0', '\xff'}) {
    EXPECT_EQ(HexDigitValue(c), -1) << static_cast<int>(c);
  }
}

TEST(HexEncode, TwoDigitsPerByteInTheCaseAsked) {
  EXPECT_EQ(HexEncode(""), "");
  EXPECT_EQ(HexEncode(std::string_view("\x00\x0f\xab\xff", 4)), "000fabff");
  EXPECT_EQ(HexEncode(std::string_view("\x00\x0f\xab\xff", 4), HexCase::kUpper), "000FABFF");
}

TEST(AppendHexByte, Appends) {
  std::string out = "x";
  AppendHexByte(out, 0x7e);
  AppendHexByte(out, 0xc3, HexCase::kUpper);
  EXPECT_EQ(out, "x7eC3");
}

TEST(HexDigitValue, ReadsBackWhatHexEncodeWrites) {
  for (int b = 0; b < 256; ++b) {
    std::string text = HexEncode(std::string(1, static_cast<char>(b)), HexCase::kUpper);
    EXPECT_EQ(HexDigitValue(text[0]) * 16 + HexDigitValue(text[1]), b);
  }
}

TEST(HexDecode, ReadsBothCasesAndRefusesWhatIsNotHex) {
  EXPECT_EQ(HexDecode(""), "");
  EXPECT_EQ(HexDecode("000fABff"), std::string("\x00\x0f\xab\xff", 4));
  for (std::string_view bad : {"0", "abc", "0g", "zz", " 0"}) {
    EXPECT_EQ(HexDecode(bad), std::nullopt) << bad;
  }
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  EXPECT_EQ(HexDecode(HexEncode(all)), all);
}

}  // namespace
}  // namespace cruddur::encoding
