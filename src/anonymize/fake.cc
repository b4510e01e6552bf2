#include "anonymize/fake.h"

#include <array>
#include <cctype>
#include <cstdio>

#include "aws/sigv4.h"

namespace cruddur::anonymize {
namespace {

struct KindName {
  FakeKind kind;
  const char* name;
};
constexpr std::array<KindName, 10> kKinds = {{
    {FakeKind::kEmail, "email"},
    {FakeKind::kName, "name"},
    {FakeKind::kFirstName, "first_name"},
    {FakeKind::kLastName, "last_name"},
    {FakeKind::kPhone, "phone"},
    {FakeKind::kAddress, "address"},
    {FakeKind::kUuid, "uuid"},
    {FakeKind::kIp, "ip"},
    {FakeKind::kText, "text"},
    {FakeKind::kDigits, "digits"},
}};

constexpr std::array<const char*, 48> kFirstNames = {
    "Ada",   "Alan",  "Amara",  "Ana",   "Arjun",  "Aziz",  "Bea",   "Carlos", "Chen",  "Dara",
    "Diego", "Elena", "Emeka",  "Eva",   "Farah",  "Grace", "Hana",  "Hugo",   "Ines",  "Ivan",
    "Jamal", "Jin",   "Kai",    "Lena",  "Leo",    "Lucia", "Malik", "Maya",   "Mei",   "Nadia",
    "Noah",  "Olga",  "Omar",   "Priya", "Rafael", "Rosa",  "Sami",  "Sara",   "Sofia", "Tariq",
    "Tomas", "Uma",   "Victor", "Wen",   "Yara",   "Yusuf", "Zara",  "Zoe"};
constexpr std::array<const char*, 48> kLastNames = {
    "Abbott",   "Alvarez", "Bauer",  "Bianchi", "Brown",   "Chowdhury", "Costa",    "Dubois",
    "Eriksen",  "Fischer", "Garcia", "Haddad",  "Hughes",  "Ivanova",   "Jensen",   "Kato",
    "Kowalski", "Larsen",  "Lopez",  "Mensah",  "Moreau",  "Murphy",    "Nakamura", "Novak",
    "Okafor",   "Olsen",   "Park",   "Patel",   "Pereira", "Quinn",     "Rossi",    "Sato",
    "Schmidt",  "Silva",   "Singh",  "Sokolov", "Tanaka",  "Torres",    "Usman",    "Vargas",
    "Weber",    "Wilson",  "Xu",     "Yamada",  "Young",   "Zhang",     "Ziegler",  "Zimmer"};
constexpr std::array<const char*, 24> kStreets = {
    "Oak",    "Maple",  "Cedar",  "Elm",    "Pine",    "Birch",   "Willow", "Harbor",
    "Mill",   "Park",   "River",  "Lake",   "Hill",    "Station", "Church", "Market",
    "Bridge", "Forest", "Garden", "Meadow", "Orchard", "Spring",  "Valley", "Sunset"};
constexpr std::array<const char*, 6> kStreetTypes = {"Street", "Avenue", "Road",
                                                     "Lane",   "Drive",  "Way"};
constexpr std::array<const char*, 16> kCities = {
    "Springfield", "Riverton", "Fairview", "Lakeside", "Greenville", "Bristow",
    "Milford",     "Ashland",  "Clayton",  "Dover",    "Franklin",   "Georgetown",
    "Hudson",      "Kingston", "Newport",  "Salem"};
constexpr std::array<const char*, 32> kWords = {
    "lorem",   "ipsum",  "dolor",   "sit",    "amet",       "consectetur", "adipiscing", "elit",
    "sed",     "do",     "eiusmod", "tempor", "incididunt", "ut",          "labore",     "et",
    "magna",   "aliqua", "enim",    "ad",     "minim",      "veniam",      "quis",       "nostrud",
    "ullamco", "nisi",   "aliquip", "ex",     "ea",         "commodo",     "duis",       "aute"};
constexpr std::array<const char*, 3> kDomains = {"example.com", "example.org", "example.net"};

template <size_t N>
std::string Pick(FakeStream& s, const std::array<const char*, N>& list) {
  return list[s.Below(N)];
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The input with every ASCII digit replaced by a random one (a leading digit stays non-zero).
std::string ReplaceDigits(FakeStream& s, std::string_view input) {
  std::string out(input);
  bool first = true;
  for (char& c : out) {
    if (!std::isdigit(static_cast<unsigned char>(c))) continue;
    c = static_cast<char>(first && c != '0' ? '1' + s.Below(9) : '0' + s.Below(10));
    first = false;
  }
  return out;
}

std::string Uuid(FakeStream& s) {
  std::string b = s.Bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02x", static_cast<unsigned char>(b[i]));
    out += hex;
  }
  return out;
}

std::string Ip(FakeStream& s, std::string_view input) {
  bool v6 = input.find(':') != std::string_view::npos;
  std::string out = v6 ? "2001:db8" : "10";  // IPv6: the documentation prefix
  for (int i = 0; i < (v6 ? 6 : 3); ++i) {
    char part[8];
    if (v6) {
      std::snprintf(part, sizeof part, ":%x", static_cast<unsigned>(s.Below(65536)));
    } else {
      std::snprintf(part, sizeof part, ".%u",
                    static_cast<unsigned>(i == 2 ? 1 + s.Below(254) : s.Below(256)));
    }
    out += part;
  }
  return out;
}

std::string Text(FakeStream& s, std::string_view input) {
  size_t words = 0;
  bool in_word = false;
  for (char c : input) {
    bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  std::string out;
  for (size_t i = 0; i < std::max<size_t>(1, std::min<size_t>(words, 1000)); ++i) {
    out += (i ? " " : "") + Pick(s, kWords);
  }
  return out;
}

}  // namespace

std::optional<FakeKind> FakeKindNamed(std::string_view name) {
  for (const auto& k : kKinds) {
    if (name == k.name) return k.kind;
  }
  return std::nullopt;
}

std::vector<std::string> FakeKindNames() {
  std::vector<std::string> names;
  names.reserve(kKinds.size());
  for (const auto& k : kKinds) names.emplace_back(k.name);
  return names;
}

FakeStream::FakeStream(std::string_view seed, std::string_view input) : key_(seed), input_(input) {}

unsigned char FakeStream::Byte() {
  if (used_ == block_.size()) {
    block_ = aws::HmacSha256(key_, std::to_string(counter_++) + ":" + input_);
    used_ = 0;
  }
  return static_cast<unsigned char>(block_[used_++]);
}

uint64_t FakeStream::Below(uint64_t n) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | Byte();
  return v % n;  // the bias is below 2^-50 for the small n used here
}

std::string FakeStream::Bytes(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += static_cast<char>(Byte());
  return out;
}

std::string FakeString(FakeKind kind, std::string_view input, std::string_view seed) {
  // The kind is part of the input, so that a value faked as two kinds gets unrelated fakes.
  std::string tagged = std::to_string(static_cast<int>(kind)) + ":" + std::string(input);
  FakeStream s(seed, tagged);
  switch (kind) {
    case FakeKind::kEmail: {
      // One draw a statement: the order in which operands are evaluated is unspecified.
      std::string first = Pick(s, kFirstNames);
      std::string last = Pick(s, kLastNames);
      std::string number = std::to_string(s.Below(10000));
      return Lower(first) + "." + Lower(last) + number + "@" + Pick(s, kDomains);
    }
    case FakeKind::kName: {
      std::string first = Pick(s, kFirstNames);
      return first + " " + Pick(s, kLastNames);
    }
    case FakeKind::kFirstName:
      return Pick(s, kFirstNames);
    case FakeKind::kLastName:
      return Pick(s, kLastNames);
    case FakeKind::kPhone:
    case FakeKind::kDigits: {
      bool has_digit = input.find_first_of("0123456789") != std::string_view::npos;
      if (kind == FakeKind::kPhone && !has_digit) return ReplaceDigits(s, "+1 555-0000-000");
      return ReplaceDigits(s, input);
    }
    case FakeKind::kAddress: {
      std::string number = std::to_string(1 + s.Below(9999));
      std::string street = Pick(s, kStreets);
      std::string type = Pick(s, kStreetTypes);
      return number + " " + street + " " + type + ", " + Pick(s, kCities);
    }
    case FakeKind::kUuid:
      return Uuid(s);
    case FakeKind::kIp:
      return Ip(s, input);
    case FakeKind::kText:
      return Text(s, input);
  }
  return "";
}

}  // namespace cruddur::anonymize
