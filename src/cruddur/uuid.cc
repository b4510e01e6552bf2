#include "cruddur/uuid.h"

#include <array>
#include <cstdint>

#include "common/random.h"
#include "encoding/hex.h"

namespace cruddur {

std::string NewUuidV4() {
  // The kernel's CSPRNG: uuids must not be guessable.
  std::array<std::uint8_t, 16> bytes;
  RandomBytes(bytes.data(), bytes.size());
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string text;
  text.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text.push_back('-');
    encoding::AppendHexByte(text, bytes[i]);
  }
  return text;
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (encoding::HexDigitValue(c) < 0) {
      return false;
    }
  }
  return true;
}

}  // namespace cruddur
