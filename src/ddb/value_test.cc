#include "ddb/value.h"

#include <gtest/gtest.h>

#include "ddb/error.h"
#include "testing/expect_cases.h"

namespace cruddur::ddb {
namespace {

using AV = AttributeValue;
using test_util::ExpectCases;

TEST(ValueTest, TypeNames) {
  EXPECT_EQ(TypeName(ValueType::kS), "S");
  EXPECT_EQ(TypeName(ValueType::kN), "N");
  EXPECT_EQ(TypeName(ValueType::kB), "B");
  EXPECT_EQ(TypeName(ValueType::kBool), "BOOL");
  EXPECT_EQ(TypeName(ValueType::kNull), "NULL");
  EXPECT_EQ(TypeName(ValueType::kM), "M");
  EXPECT_EQ(TypeName(ValueType::kL), "L");
  EXPECT_EQ(TypeName(ValueType::kSS), "SS");
  EXPECT_EQ(TypeName(ValueType::kNS), "NS");
  EXPECT_EQ(TypeName(ValueType::kBS), "BS");
}

TEST(ValueTest, Factories) {
  EXPECT_EQ(AV::S("x").type, ValueType::kS);
  EXPECT_EQ(AV::S("x").bytes, "x");
  EXPECT_EQ(AV::N("1.50").number.text(), "1.5");
  EXPECT_THROW(AV::N("abc"), ApiError);
  EXPECT_EQ(AV::B(std::string("\0\1", 2)).bytes.size(), 2u);
  EXPECT_FALSE(AV::Bool(false).boolean);
  EXPECT_EQ(AV::Null().type, ValueType::kNull);
  EXPECT_TRUE(AV::Null().boolean);
  EXPECT_TRUE(AV::SS({"a"}).is_set());
  EXPECT_TRUE(AV::NS({Number::Parse("1")}).is_set());
  EXPECT_TRUE(AV::BS({"a"}).is_set());
  EXPECT_FALSE(AV::L({}).is_set());
  EXPECT_EQ(AV::M({{"k", AV::S("v")}}).map.at("k").bytes, "v");
}

TEST(ValueTest, Equality) {
  EXPECT_EQ(AV::S("a"), AV::S("a"));
  EXPECT_NE(AV::S("a"), AV::S("b"));
  EXPECT_NE(AV::S("a"), AV::B("a"));  // same bytes, different type
  EXPECT_EQ(AV::N("1.0"), AV::N("1"));
  EXPECT_EQ(AV::N("100"), AV::N("1e2"));
  EXPECT_NE(AV::N("100"), AV::S("100"));
  EXPECT_EQ(AV::Bool(true), AV::Bool(true));
  EXPECT_NE(AV::Bool(true), AV::Bool(false));
  EXPECT_EQ(AV::Null(), AV::Null());
  // Sets compare as sets; NS numerically.
  EXPECT_EQ(AV::SS({"a", "b", "c"}), AV::SS({"c", "a", "b"}));
  EXPECT_NE(AV::SS({"a", "b"}), AV::SS({"a", "c"}));
  EXPECT_NE(AV::SS({"a", "b"}), AV::SS({"a"}));
  EXPECT_EQ(AV::NS({Number::Parse("1"), Number::Parse("2.0")}),
            AV::NS({Number::Parse("2"), Number::Parse("1.00")}));
  EXPECT_NE(AV::SS({"a"}), AV::BS({"a"}));
  std::vector<std::string> big1, big2;
  for (int i = 0; i < 50; ++i) {
    big1.push_back(std::to_string(i));
    big2.push_back(std::to_string(49 - i));
  }
  EXPECT_EQ(AV::SS(big1), AV::SS(big2));
  big2[10] = "x";
  EXPECT_NE(AV::SS(big1), AV::SS(big2));
  // Lists are ordered; maps by key.
  EXPECT_EQ(AV::L({AV::S("a"), AV::N("1")}), AV::L({AV::S("a"), AV::N("1.0")}));
  EXPECT_NE(AV::L({AV::S("a"), AV::N("1")}), AV::L({AV::N("1"), AV::S("a")}));
  EXPECT_EQ(AV::M({{"a", AV::SS({"x", "y"})}}), AV::M({{"a", AV::SS({"y", "x"})}}));
  EXPECT_NE(AV::M({{"a", AV::S("x")}}), AV::M({{"b", AV::S("x")}}));
}

// The number-size rule dynalite measured against DynamoDB, written the way it states it
// (big.js exponent e = power of ten of the leading digit).
size_t DynaliteNumberSize(const Number& n) {
  if (n.is_zero()) return 1;
  const size_t digits = n.digits().size();
  const int e = n.exponent() - 1;
  return 1 + (digits + 1) / 2 + ((digits % 2) || (e % 2) ? 0 : 1) + (n.negative() ? 1 : 0);
}

TEST(ValueTest, NumberSize) {
  const std::pair<const char*, size_t> kSizes[] = {{"0", 1u},   {"1", 2u},     {"12", 2u},
                                                   {"123", 3u}, {"12345", 4u}, {"-12345", 5u},
                                                   {"1.5", 3u},  // digits straddle a pair boundary
                                                   {"120", 3u}};
  ExpectCases([](const char* number) { return AttributeValueSize(AV::N(number)); }, kSizes);
  const char* samples[] = {"1",
                           "12",
                           "1.2",
                           "0.12",
                           "0.012",
                           "123",
                           "1.23",
                           "12.3",
                           "0.0123",
                           "-1",
                           "-0.5",
                           "1234.5678",
                           "-98765.4321",
                           "1e125",
                           "1e-130",
                           "99999999999999999999999999999999999999",
                           "-1.2345678901234567e-50"};
  for (const char* s : samples) {
    Number n = Number::Parse(s);
    EXPECT_EQ(AttributeValueSize(AV::N(n)), DynaliteNumberSize(n)) << s;
  }
}

TEST(ValueTest, ItemSize) {
  // UTF-8 bytes for strings and names.
  EXPECT_EQ(AttributeValueSize(AV::S("héllo")), 6u);
  EXPECT_EQ(AttributeValueSize(AV::S("")), 0u);
  EXPECT_EQ(AttributeValueSize(AV::B("abc")), 3u);
  EXPECT_EQ(AttributeValueSize(AV::Bool(true)), 1u);
  EXPECT_EQ(AttributeValueSize(AV::Null()), 1u);
  EXPECT_EQ(AttributeValueSize(AV::SS({"ab", "cde"})), 5u);
  EXPECT_EQ(AttributeValueSize(AV::BS({"ab", "c"})), 3u);
  EXPECT_EQ(AttributeValueSize(AV::NS({Number::Parse("1"), Number::Parse("123")})), 5u);
  // M and L: 3 bytes + 1 per element + contents (map keys count).
  EXPECT_EQ(AttributeValueSize(AV::M({})), 3u);
  EXPECT_EQ(AttributeValueSize(AV::L({})), 3u);
  EXPECT_EQ(AttributeValueSize(AV::L({AV::S("xy")})), 3u + 1 + 2);
  EXPECT_EQ(AttributeValueSize(AV::M({{"ab", AV::S("xyz")}})), 3u + 1 + 2 + 3);
  Item item{{"id", AV::S("abc")},      // 2 + 3
            {"n", AV::N("12345")},     // 1 + 4
            {"flag", AV::Bool(true)},  // 4 + 1
            {"ü", AV::Null()}};        // 2 + 1
  EXPECT_EQ(ItemSize(item), 5u + 5 + 5 + 3);
  EXPECT_EQ(ItemSize({}), 0u);
}

}  // namespace
}  // namespace cruddur::ddb
