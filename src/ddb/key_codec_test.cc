#include "ddb/key_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "testing/expect_cases.h"

namespace cruddur::ddb {
namespace {

using AV = AttributeValue;
using test_util::ExpectCases;

std::string Enc(const AV& v) {
  std::string s;
  EncodeKeyValue(v, &s);
  return s;
}

// DynamoDB's key order: N numerically, S and B by unsigned bytes.
bool DynamoLess(const AV& a, const AV& b) {
  if (a.type == ValueType::kN) return a.number < b.number;
  return std::lexicographical_compare(
      a.bytes.begin(), a.bytes.end(), b.bytes.begin(), b.bytes.end(),
      [](char x, char y) { return static_cast<unsigned char>(x) < static_cast<unsigned char>(y); });
}

// Byte order as RocksDB's default comparator sees it (memcmp == unsigned).
bool BytesLess(const std::string& a, const std::string& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return static_cast<unsigned char>(x) < static_cast<unsigned char>(y);
  });
}

class RandomValues {
 public:
  explicit RandomValues(uint32_t seed) : rng_(seed) {}

  // Strings from a small alphabet with NUL and 0xFF, so prefixes and escapes are common.
  std::string Bytes() {
    static const char kAlphabet[] = {'\0', '\x01', 'a', 'b', '\xFE', '\xFF'};
    std::string s(Uniform(0, 6), ' ');
    for (char& c : s) c = kAlphabet[Uniform(0, 5)];
    return s;
  }

  Number Num() {
    if (Uniform(0, 15) == 0) return Number();
    std::string digits(Uniform(1, 38), '0');
    for (char& c : digits) c = static_cast<char>('0' + Uniform(0, 9));
    digits[0] = static_cast<char>('1' + Uniform(0, 8));
    // Mostly nearby exponents (dense collisions), sometimes the extremes.
    int exponent = Uniform(0, 9) == 0 ? Uniform(-129, 126) : Uniform(-3, 3);
    return Number::FromParts(Uniform(0, 1) == 1, digits, exponent);
  }

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

 private:
  std::mt19937 rng_;
};

TEST(KeyCodecTest, StringEscaping) {
  EXPECT_EQ(Enc(AV::S("")), std::string("\0\x01", 2));
  EXPECT_EQ(Enc(AV::S("ab")), std::string("ab\0\x01", 4));
  EXPECT_EQ(Enc(AV::B(std::string("a\0", 2))), std::string("a\0\xFF\0\x01", 5));
  // Runs between NULs, NULs first, last and next to each other; appended after what is there.
  std::string out = "x";
  EncodeKeyBytes(std::string("\0ab\0\0c\0", 7), &out);
  EXPECT_EQ(out, std::string("x\0\xFF"
                             "ab\0\xFF\0\xFF"
                             "c\0\xFF\0\x01",
                             14));
}

TEST(KeyCodecTest, NumberExamples) {
  EXPECT_EQ(Enc(AV::N("0")), "\x02");
  EXPECT_EQ(Enc(AV::N("-0.0")), "\x02");
  // 1: positive, exponent 1 + 129, pair "10" -> 11, terminator.
  EXPECT_EQ(Enc(AV::N("1")), std::string("\x03\x82\x0B\x00", 4));
  EXPECT_EQ(Enc(AV::N("-1")), std::string("\x01\x7D\x5A\xFF", 4));
  // Bytes of an encoding never depend on the text the number was written in.
  EXPECT_EQ(Enc(AV::N("1.50")), Enc(AV::N("15e-1")));
  EXPECT_TRUE(BytesLess(Enc(AV::N("-1e125")), Enc(AV::N("-1e-130"))));
  EXPECT_TRUE(BytesLess(Enc(AV::N("-1e-130")), Enc(AV::N("0"))));
  EXPECT_TRUE(BytesLess(Enc(AV::N("0")), Enc(AV::N("1e-130"))));
  EXPECT_TRUE(BytesLess(Enc(AV::N("1")), Enc(AV::N("1.01"))));
  EXPECT_TRUE(BytesLess(Enc(AV::N("-1.01")), Enc(AV::N("-1"))));
  EXPECT_TRUE(BytesLess(Enc(AV::N("9.9999999999999999999999999999999999999")), Enc(AV::N("10"))));
}

TEST(KeyCodecTest, RandomOrderAndRoundTrip) {
  RandomValues r(42);
  for (ValueType type : {ValueType::kS, ValueType::kB, ValueType::kN}) {
    std::vector<AV> values;
    for (int i = 0; i < 1500; ++i) {
      if (type == ValueType::kN) {
        values.push_back(AV::N(r.Num()));
      } else if (type == ValueType::kS) {
        values.push_back(AV::S(r.Bytes()));
      } else {
        values.push_back(AV::B(r.Bytes()));
      }
    }
    std::vector<std::string> encoded;
    for (const AV& v : values) {
      encoded.push_back(Enc(v));
      // Round trip, consuming exactly the encoding.
      std::string with_tail = encoded.back() + "tail";
      std::string_view in = with_tail;
      AV back;
      ASSERT_TRUE(DecodeKeyValue(type, &in, &back));
      ASSERT_EQ(back, v);
      ASSERT_EQ(in, "tail");
      if (type == ValueType::kN) {
        ASSERT_EQ(back.number.text(), v.number.text());
      }
    }
    // Byte order of the encodings == DynamoDB order of the values, for every pair.
    for (size_t i = 0; i < values.size(); i += 3) {
      for (size_t j = 0; j < values.size(); j += 5) {
        ASSERT_EQ(BytesLess(encoded[i], encoded[j]), DynamoLess(values[i], values[j]))
            << TypeName(type) << " " << i << " " << j;
        ASSERT_EQ(encoded[i] == encoded[j], values[i] == values[j]);
      }
    }
  }
}

TEST(KeyCodecTest, ConcatenationSortsLikeTuplesAndPrefixFindsExactly) {
  RandomValues r(9);
  struct Key {
    AV pk, sk;
    std::string enc;
  };
  std::vector<Key> keys;
  for (int i = 0; i < 800; ++i) {
    Key k{AV::S(r.Bytes()), AV::N(r.Num()), ""};
    EncodeKeyValue(k.pk, &k.enc);
    EncodeKeyValue(k.sk, &k.enc);
    keys.push_back(std::move(k));
  }
  auto tuple_less = [](const Key& a, const Key& b) {
    if (DynamoLess(a.pk, b.pk)) return true;
    if (DynamoLess(b.pk, a.pk)) return false;
    return DynamoLess(a.sk, b.sk);
  };
  for (size_t i = 0; i < keys.size(); i += 2) {
    for (size_t j = 0; j < keys.size(); j += 3) {
      ASSERT_EQ(BytesLess(keys[i].enc, keys[j].enc), tuple_less(keys[i], keys[j]));
    }
  }
  // A prefix scan on the partition key's encoding finds exactly that partition.
  for (size_t i = 0; i < keys.size(); i += 7) {
    const std::string prefix = Enc(keys[i].pk);
    for (const Key& k : keys) {
      ASSERT_EQ(k.enc.compare(0, prefix.size(), prefix) == 0, k.pk == keys[i].pk);
    }
  }
  // Decoding a concatenation yields both parts.
  std::string_view in = keys[0].enc;
  AV pk, sk;
  ASSERT_TRUE(DecodeKeyValue(ValueType::kS, &in, &pk));
  ASSERT_TRUE(DecodeKeyValue(ValueType::kN, &in, &sk));
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(pk, keys[0].pk);
  EXPECT_EQ(sk, keys[0].sk);
}

TEST(KeyCodecTest, RejectsMalformed) {
  AV out;
  auto bad = [&](ValueType t, const std::string& s) {
    std::string_view in = s;
    return !DecodeKeyValue(t, &in, &out);
  };
  EXPECT_TRUE(bad(ValueType::kS, ""));
  EXPECT_TRUE(bad(ValueType::kS, "abc"));                      // no terminator
  EXPECT_TRUE(bad(ValueType::kS, std::string("a\0", 2)));      // truncated escape
  EXPECT_TRUE(bad(ValueType::kS, std::string("a\0\x05", 3)));  // bad escape
  EXPECT_TRUE(bad(ValueType::kN, ""));
  EXPECT_TRUE(bad(ValueType::kN, "\x07"));                              // bad sign
  EXPECT_TRUE(bad(ValueType::kN, "\x03"));                              // no exponent
  EXPECT_TRUE(bad(ValueType::kN, std::string("\x03\x82\x0B", 3)));      // no terminator
  EXPECT_TRUE(bad(ValueType::kN, std::string("\x03\x82\x00", 3)));      // no digits
  EXPECT_TRUE(bad(ValueType::kN, std::string("\x03\x82\x01\x00", 4)));  // leading zero pair
  EXPECT_TRUE(bad(ValueType::kN, std::string("\x03\x82\x70\x00", 4)));  // byte > 100
  EXPECT_TRUE(bad(ValueType::kBool, std::string("\x02", 1)));           // not a key type
  // Every truncation of a valid encoding is rejected (self-delimiting).
  for (const AV& v :
       {AV::S("hello"), AV::B(std::string("\0\0", 2)), AV::N("-123.456"), AV::N("1e-130")}) {
    const std::string e = Enc(v);
    for (size_t len = 0; len < e.size(); ++len) EXPECT_TRUE(bad(v.type, e.substr(0, len)));
  }
}

std::string Hex(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    out += "0123456789abcdef"[c >> 4];
    out += "0123456789abcdef"[c & 15];
  }
  return out;
}

// The base-100 form DynamoDB hashes is Oracle's NUMBER layout: 123 is c2 02 18 and -123 is
// 3d 64 4e 66 there too.
TEST(PartitionKeyHashTest, NumberHashForm) {
  auto form = [](std::string_view text) { return Hex(NumberHashForm(Number::Parse(text))); };
  const std::pair<std::string_view, std::string_view> kCases[] = {
      {"0", "80"},
      {"1", "c102"},
      {"-1", "3e6466"},
      {"123", "c20218"},
      {"-123", "3d644e66"},
      {"0.01", "c002"},
      {"0.001", "bf0b"},
      {"999.9", "c20a645b"},
      {"1e125", "ff0b"},
      {"1e-130", "8002"},
      // Negatives end in 102 unless they have 20 base-100 digits (38 decimal digits, odd exponent).
      {"-1.234567890123456789012345678901234567", "3e644e38220c644e38220c644e38220c644e382266"},
      {"-1.2345678901234567890123456789012345678", "3e644e38220c644e38220c644e38220c644e382215"},
      {"-12.345678901234567890123456789012345678", "3e59432d170b59432d170b59432d170b59432d1766"}};
  ExpectCases(form, kCases);
}

TEST(PartitionKeyHashTest, IsMd5OfOutliersAndTheValue) {
  // md5("Outliershello") = 8f051e5595141045...; md5("Outliers" c1 02) = c3a0310aed78739b...
  EXPECT_EQ(PartitionKeyHash(AV::S("hello")), 0x8f051e5595141045u);
  EXPECT_EQ(PartitionKeyHash(AV::B("hello")), 0x8f051e5595141045u);
  EXPECT_EQ(PartitionKeyHashOfBytes("hello"), 0x8f051e5595141045u);
  EXPECT_EQ(PartitionKeyHash(AV::N("1")), 0xc3a0310aed78739bu);
  // Equal numbers hash alike whatever their text.
  EXPECT_EQ(PartitionKeyHash(AV::N("1.0")), PartitionKeyHash(AV::N("1")));
  EXPECT_EQ(PartitionKeyHash(AV::N("-0")), PartitionKeyHash(AV::N("0")));
}

// The hash of the key bytes computed on a new thread, whose remembered last key is empty.
uint64_t HashAlone(const std::string& bytes) {
  uint64_t h = 0;
  std::thread([&] { h = PartitionKeyHashOfBytes(bytes); }).join();
  return h;
}

TEST(PartitionKeyHashTest, RepeatedAndAlternatingKeysHashAsAlone) {
  // The last key hashed is remembered per thread (up to 64 bytes): repeats, alternations, keys
  // that extend or cut another, the empty key and keys past the remembered size all hash as
  // they would alone.
  const std::string long64(64, 'k');
  const std::string long65 = long64 + "k";
  const std::string nul(1, '\0');
  const std::string a0b("a\0b", 3);
  const std::string a0c("a\0c", 3);
  const std::vector<std::string> keys = {"a",    "a",    "b",    "a",    "ab",   "a", "", "",  "a",
                                         long64, long64, long65, long65, long64, nul, "", a0b, a0c};
  for (const std::string& k : keys) EXPECT_EQ(PartitionKeyHashOfBytes(k), HashAlone(k)) << k;
  EXPECT_EQ(PartitionKeyHashOfBytes("hello"), 0x8f051e5595141045u);  // after another key
}

std::vector<std::string> InHashOrder(std::vector<AV> keys) {
  std::stable_sort(keys.begin(), keys.end(), [](const AV& a, const AV& b) {
    return PartitionKeyHash(a) < PartitionKeyHash(b);
  });
  std::vector<std::string> out;
  out.reserve(keys.size());
  for (const AV& k : keys) out.push_back(k.type == ValueType::kN ? k.number.text() : k.bytes);
  return out;
}

// The Scan orders dynalite's test/scan.js expects ("should return items in string/number hash
// order"), tests its suite also runs against DynamoDB (REMOTE=1).
TEST(PartitionKeyHashTest, ScanOrderOfDynamoDb) {
  std::vector<AV> strings;
  strings.reserve(14);
  for (int i = 0; i < 10; ++i) strings.push_back(AV::S(std::to_string(i)));
  for (const char* s : {"aardman", "hello", "zapf", "\xC3\xA4\xC3\xA1\xC3\xB6\xC3\xBC"}) {
    strings.push_back(AV::S(s));
  }
  EXPECT_EQ(
      InHashOrder(strings),
      (std::vector<std::string>{"2", "8", "9", "1", "6", "hello", "0", "5", "4",
                                "\xC3\xA4\xC3\xA1\xC3\xB6\xC3\xBC", "aardman", "7", "3", "zapf"}));
  std::vector<AV> numbers;
  numbers.reserve(14);
  for (int i = 0; i < 10; ++i) numbers.push_back(AV::N(std::to_string(i)));
  for (const char* n : {"-0.09", "999.9", "0.012345", "-999.9"}) numbers.push_back(AV::N(n));
  EXPECT_EQ(InHashOrder(numbers),
            (std::vector<std::string>{"7", "999.9", "8", "3", "2", "-999.9", "9", "4", "-0.09", "6",
                                      "1", "0", "0.012345", "5"}));
}

// The segments of TotalSegments 4096 dynalite's test/scan.js expects keys in ("should return
// items from correct string/number hash segments"): the hash's top 12 bits.
TEST(PartitionKeyHashTest, SegmentsOfDynamoDb) {
  auto segment = [](const AV& v) { return PartitionKeyHash(v) >> 52; };
  EXPECT_EQ(segment(AV::S("3635")), 0u);
  EXPECT_EQ(segment(AV::S("228")), 0u);
  EXPECT_EQ(segment(AV::S("1668")), 1u);
  EXPECT_EQ(segment(AV::S("3435")), 4u);
  EXPECT_EQ(segment(AV::N("251")), 1u);
  EXPECT_EQ(segment(AV::N("2388")), 4095u);
}

}  // namespace
}  // namespace cruddur::ddb
