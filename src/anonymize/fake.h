// Deterministic fakes for `ddb import --rules` (rules.h): the same input, kind and seed always
// give the same fake, on every machine, so re-imports are stable and a value that appears in
// several items or tables gets one fake everywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cruddur::anonymize {

enum class FakeKind {
  kEmail,
  kName,
  kFirstName,
  kLastName,
  kPhone,
  kAddress,
  kUuid,
  kIp,
  kText,
  kDigits,
};

// The kind named `name` ("email", "first_name", ...), or nullopt.
std::optional<FakeKind> FakeKindNamed(std::string_view name);
// Every kind's name, for messages.
std::vector<std::string> FakeKindNames();

// Bytes that depend only on `seed` and `input` (HMAC-SHA256 in counter mode): the fakes'
// randomness, never std::random's (whose distributions differ between standard libraries).
class FakeStream {
 public:
  FakeStream(std::string_view seed, std::string_view input);
  // A number in [0, n) (n > 0).
  uint64_t Below(uint64_t n);
  std::string Bytes(size_t n);

 private:
  unsigned char Byte();
  std::string key_, input_;
  std::string block_;
  size_t used_ = 0;
  uint64_t counter_ = 0;
};

// A realistic fake of `kind` for the string `input`: emails at example.com/.org/.net, names
// from a fixed list, a phone number in the input's own format (its digits replaced), an
// address, a version-4 UUID, an IP in 10.0.0.0/8 (2001:db8::/32 for an IPv6 input), text with
// as many words as the input, digits in the input's format (`digits`).
std::string FakeString(FakeKind kind, std::string_view input, std::string_view seed);

}  // namespace cruddur::anonymize
