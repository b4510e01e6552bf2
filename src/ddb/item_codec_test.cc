#include "ddb/item_codec.h"
#include "ddb/value_json.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace cruddur::ddb {
namespace {

using AV = AttributeValue;

Number Num(std::string_view t) { return Number::Parse(t); }

// Equality that also checks what operator== deliberately ignores: set order and number text.
void ExpectIdentical(const AV& a, const AV& b) {
  ASSERT_EQ(a, b);
  ASSERT_EQ(a.strings, b.strings);
  ASSERT_EQ(a.numbers.size(), b.numbers.size());
  for (size_t i = 0; i < a.numbers.size(); ++i) ASSERT_EQ(a.numbers[i].text(), b.numbers[i].text());
  if (a.type == ValueType::kN) {
    ASSERT_EQ(a.number.text(), b.number.text());
  }
  for (size_t i = 0; i < a.list.size() && i < b.list.size(); ++i)
    ExpectIdentical(a.list[i], b.list[i]);
  for (const auto& [k, v] : a.map) ExpectIdentical(v, b.map.at(k));
}

Item RoundTrip(const Item& item) {
  Item back;
  EXPECT_TRUE(DecodeItem(EncodeItem(item), &back));
  for (const auto& [k, v] : item) ExpectIdentical(v, back.at(k));
  EXPECT_EQ(back.size(), item.size());
  return back;
}

Item EveryType() {
  return Item{
      {"s", AV::S(std::string("text\0nul\0", 9))},
      {"empty", AV::S("")},
      {"n", AV::N("-12.5")},
      {"zero", AV::N("0")},
      {"big", AV::N("9.9999999999999999999999999999999999999E+125")},
      {"tiny", AV::N("-1e-130")},
      {"b", AV::B(std::string("\0\x01\xFF", 3))},
      {"t", AV::Bool(true)},
      {"f", AV::Bool(false)},
      {"null", AV::Null()},
      {"ss", AV::SS({"z", "a", ""})},
      {"ns", AV::NS({Num("3"), Num("-1.5"), Num("0"), Num("1e100")})},
      {"bs", AV::BS({std::string("\xFF", 1), "a"})},
      {"l", AV::L({AV::S("x"), AV::L({}), AV::M({{"k", AV::N("1")}})})},
      {"m", AV::M({{"inner", AV::M({{"deep", AV::L({AV::Null(), AV::Bool(false)})}})},
                   {"", AV::S("")}})},
      {"", AV::S("empty name")},
  };
}

TEST(ItemCodecTest, RoundTripsEveryType) {
  RoundTrip(EveryType());
  RoundTrip({});
  RoundTrip({{"only", AV::M({})}});
  std::string out;
  EncodeItem(EveryType(), &out);
  EXPECT_EQ(out, EncodeItem(EveryType()));
}

TEST(ItemCodecTest, Compact) {
  // version + count + name(1+2) + tag + len + 3 bytes.
  EXPECT_EQ(EncodeItem({{"pk", AV::S("abc")}}).size(), 1u + 1 + 3 + 1 + 1 + 3);
  // A 38-digit number takes 3 + 19 bytes.
  EXPECT_EQ(EncodeItem({{"n", AV::N("12345678901234567890123456789012345678")}}).size(),
            1u + 1 + 2 + 1 + 3 + 19);
}

TEST(ItemCodecTest, NestedDeeply) {
  AV v = AV::S("leaf");
  for (int i = 0; i < 31; ++i) v = AV::M({{"n", std::move(v)}});
  RoundTrip({{"deep", v}});
}

AV RandomValue(std::mt19937& rng, int depth) {
  auto u = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto str = [&] {
    std::string s(u(0, 5), ' ');
    for (char& c : s) c = static_cast<char>(u(0, 255));
    return s;
  };
  auto num = [&] {
    std::string d(u(1, 38), '1');
    for (char& c : d) c = static_cast<char>('0' + u(0, 9));
    return Number::FromParts(u(0, 1), d, u(-100, 100));
  };
  switch (u(0, depth > 3 ? 6 : 9)) {
    case 0:
      return AV::S(str());
    case 1:
      return AV::N(num());
    case 2:
      return AV::B(str());
    case 3:
      return AV::Bool(u(0, 1));
    case 4:
      return AV::Null();
    case 5:
      return AV::SS({str() + "1", str() + "2"});
    case 6:
      return AV::NS({num()});
    case 7: {
      Item m;
      for (int i = u(0, 3); i > 0; --i) m[str()] = RandomValue(rng, depth + 1);
      return AV::M(std::move(m));
    }
    case 8: {
      List l;
      for (int i = u(0, 3); i > 0; --i) l.push_back(RandomValue(rng, depth + 1));
      return AV::L(std::move(l));
    }
    default:
      return AV::BS({str() + "x"});
  }
}

TEST(ItemCodecTest, RandomItemsRoundTrip) {
  std::mt19937 rng(1234);
  for (int i = 0; i < 300; ++i) {
    Item item;
    for (int a = 0; a < 6; ++a) item["a" + std::to_string(a)] = RandomValue(rng, 0);
    RoundTrip(item);
  }
}

TEST(ItemCodecTest, RejectsTruncationsAndGarbage) {
  const std::string good = EncodeItem(EveryType());
  Item out;
  // Every strict prefix is invalid (counts and lengths promise more bytes).
  for (size_t len = 0; len < good.size(); ++len) {
    EXPECT_FALSE(DecodeItem(std::string_view(good).substr(0, len), &out)) << len;
  }
  EXPECT_FALSE(DecodeItem(good + "x", &out));  // trailing bytes
  std::string wrong_version = good;
  wrong_version[0] = 0x7F;
  EXPECT_FALSE(DecodeItem(wrong_version, &out));
  // A failed decode leaves *out untouched.
  out = {{"keep", AV::S("me")}};
  EXPECT_FALSE(DecodeItem("", &out));
  EXPECT_EQ(out.size(), 1u);
  // Hand-made garbage: bad tag, huge counts and lengths, bad BOOL, duplicate names.
  const std::string kGarbage[] = {
      std::string("\x01\x01\x01"
                  "a"
                  "\x0A",
                  5),
      std::string("\x01\xFF\xFF\xFF\xFF\x0F", 6),
      std::string("\x01\x01\x01"
                  "a"
                  "\x00\xFF\xFF\x03",
                  8),
      std::string("\x01\x01\x01"
                  "a"
                  "\x03\x02",
                  6),
      std::string("\x01\x02\x01"
                  "a"
                  "\x04\x01"
                  "a"
                  "\x04",
                  8),
      // Non-canonical numbers: leading zero digit, digit nibble > 9, zero count.
      std::string("\x01\x01\x01"
                  "n"
                  "\x01\x00\x82\x01\x01",
                  9),
      std::string("\x01\x01\x01"
                  "n"
                  "\x01\x00\x82\x01\xA0",
                  9),
      std::string("\x01\x01\x01"
                  "n"
                  "\x01\x00\x82\x00",
                  8)};
  for (size_t i = 0; i < std::size(kGarbage); ++i) {
    EXPECT_FALSE(DecodeItem(kGarbage[i], &out)) << "garbage " << i;
  }
  EXPECT_TRUE(DecodeItem(std::string("\x01\x01\x01"
                                     "n"
                                     "\x01\x00\x82\x01\x10",
                                     9),
                         &out));
  EXPECT_EQ(out.at("n").number.text(), "1");
  // Random bit flips and random bytes never crash (run under ASan in CI).
  std::mt19937 rng(99);
  for (int i = 0; i < 3000; ++i) {
    std::string s = good;
    for (int k = 0; k < 3; ++k) s[rng() % s.size()] = static_cast<char>(rng());
    Item tmp;
    (void)DecodeItem(s, &tmp);
    std::string junk(rng() % 64, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    if (!junk.empty()) junk[0] = 0x01;
    (void)DecodeItem(junk, &tmp);
  }
  // Deep nesting in garbage is bounded.
  std::string deep =
      "\x01\x01\x01"
      "a";
  for (int i = 0; i < 100000; ++i) deep += std::string("\x06\x01", 2);
  EXPECT_FALSE(DecodeItem(deep, &out));
}

}  // namespace
}  // namespace cruddur::ddb

namespace cruddur::ddb {
namespace {

// The streaming read path must agree with decode + ItemSize + WriteItem on every type.
TEST(EncodedItemWalkTest, MatchesDecodedSizeAndJson) {
  Item nested = {{"s", AttributeValue::S("x")}, {"n", AttributeValue::N("-12.5")}};
  Item item = {
      {"pk", AttributeValue::S("GRP#\xc3\xa9t\xc3\xa9")},
      {"b", AttributeValue::B(std::string("\x00\xff\x10", 3))},
      {"n", AttributeValue::N("123456789012345678901234567890.12345678")},
      {"z", AttributeValue::N("0")},
      {"t", AttributeValue::Bool(true)},
      {"nul", AttributeValue::Null()},
      {"m", AttributeValue::M(nested)},
      {"l", AttributeValue::L({AttributeValue::S(""), AttributeValue::M({}),
                               AttributeValue::L({AttributeValue::N("1E-130")})})},
      {"ss", AttributeValue::SS({"b", "a"})},
      {"ns", AttributeValue::NS({Number::Parse("3"), Number::Parse("-0.5")})},
      {"bs", AttributeValue::BS({std::string("\x01", 1), "zz"})},
      // Strings rapidjson escapes, in names and values, short and past an 8-byte word.
      {"q\"uo\\te", AttributeValue::S("line\nbreak \x01 \"q\" \\ tab\t\x1f\x7f")},
      {"a long name without escapes", AttributeValue::S("a long value that ends in a quote\"")},
      {"ctl\x1b", AttributeValue::SS({"x\b", "y\f", "plain"})},
  };
  std::string bytes = EncodeItem(item);
  size_t size = 0;
  ASSERT_TRUE(EncodedItemSize(bytes, &size));
  EXPECT_EQ(size, ItemSize(item));

  JsonBuffer expected_buf, actual_buf;
  JsonWriter expected(expected_buf), actual(actual_buf);
  WriteItem(expected, item);
  ASSERT_TRUE(WriteEncodedItem(bytes, actual));
  EXPECT_EQ(std::string(actual_buf.GetString()), std::string(expected_buf.GetString()));

  // Every truncation is refused, never read past the end.
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(EncodedItemSize(std::string_view(bytes).substr(0, cut), &size)) << cut;
  }
}

// Names and S values take a word-at-a-time copy that checks for bytes to escape as it goes:
// every byte value at every position of strings up to 35 bytes (short, one word, a word plus an
// overlapping tail, 16-byte blocks plus an overlapping tail) must come out exactly as rapidjson
// writes it. A string shorter than a word
// is read as one word when 8 bytes are readable (here: every name, and the value that is not
// the item's last) and byte by byte at the end of the data (the last value, when short).
TEST(EncodedItemWalkTest, EveryByteAtEveryPositionMatchesRapidjson) {
  {
    Item item = {{"e", AttributeValue::S("")}, {"f", AttributeValue::S("")}};
    JsonBuffer expected_buf, actual_buf;
    JsonWriter expected(expected_buf), actual(actual_buf);
    WriteItem(expected, item);
    ASSERT_TRUE(WriteEncodedItem(EncodeItem(item), actual));
    ASSERT_EQ(std::string(actual_buf.GetString(), actual_buf.GetSize()),
              R"({"e":{"S":""},"f":{"S":""}})");
    ASSERT_EQ(std::string(actual_buf.GetString(), actual_buf.GetSize()),
              std::string(expected_buf.GetString(), expected_buf.GetSize()));
  }
  for (size_t len = 1; len < 36; ++len) {
    for (size_t pos = 0; pos < len; ++pos) {
      for (int b = 0; b < 256; ++b) {
        std::string text(len, 'a');
        text[pos] = static_cast<char>(b);
        // Name and value both, the name alone (sorted before "k"), the value alone.
        Item item = {{text, AttributeValue::S(text)},
                     {"\x01" + text, AttributeValue::S("plain")},
                     {"k", AttributeValue::S(text + "z")}};
        JsonBuffer expected_buf, actual_buf;
        JsonWriter expected(expected_buf), actual(actual_buf);
        WriteItem(expected, item);
        ASSERT_TRUE(WriteEncodedItem(EncodeItem(item), actual));
        ASSERT_EQ(std::string(actual_buf.GetString(), actual_buf.GetSize()),
                  std::string(expected_buf.GetString(), expected_buf.GetSize()))
            << "len " << len << " pos " << pos << " byte " << b;
      }
    }
  }
}

}  // namespace
}  // namespace cruddur::ddb
