// Hex digits: the one place that turns bytes into hex text and hex digits into values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cruddur::encoding {

enum class HexCase { kLower, kUpper };

// The value (0-15) of one hex digit of either case, or -1 when `c` is not one.
int HexDigitValue(char c);

// Appends `byte` as two hex digits.
void AppendHexByte(std::string& out, unsigned char byte, HexCase letters = HexCase::kLower);

// Two hex digits per byte of `bytes` ("\x01\xab" -> "01ab").
std::string HexEncode(std::string_view bytes, HexCase letters = HexCase::kLower);

// The bytes hex text of either case stands for ("01ab" -> "\x01\xab"); nullopt when `hex` is not
// an even number of hex digits.
std::optional<std::string> HexDecode(std::string_view hex);

}  // namespace cruddur::encoding
