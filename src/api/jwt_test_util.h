// Helpers for the api/ tests: hand-built tokens (any header, any payload, any signature).
#pragma once

#include <string>
#include <string_view>

#include "api/jwt.h"

namespace cruddur::api::testing {

// One 2048-bit key per test binary (generation takes a while).
inline const RsaKey& TestKey() {
  static const RsaKey kKey = RsaKey::Generate(2048);
  return kKey;
}
inline const RsaKey& OtherTestKey() {
  static const RsaKey kKey = RsaKey::Generate(2048);
  return kKey;
}

inline std::string B64(std::string_view bytes) { return Base64UrlEncode(bytes); }

// header.payload.signature from raw JSON texts and raw signature bytes.
inline std::string RawToken(std::string_view header_json, std::string_view payload_json,
                            std::string_view signature) {
  return B64(header_json) + "." + B64(payload_json) + "." + B64(signature);
}

// A token with any header, correctly RS256-signed by `key`.
inline std::string SignedToken(const RsaKey& key, std::string_view header_json,
                               std::string_view payload_json) {
  std::string input = B64(header_json) + "." + B64(payload_json);
  return input + "." + B64(key.SignRs256(input));
}

}  // namespace cruddur::api::testing
