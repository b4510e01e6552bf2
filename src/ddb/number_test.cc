#include "ddb/number.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "ddb/error.h"
#include "testing/expect_cases.h"

namespace cruddur::ddb {
namespace {

using test_util::ExpectCases;

const char kOverflow[] =
    "Number overflow. Attempting to store a number with magnitude larger than supported range";
const char kUnderflow[] =
    "Number underflow. Attempting to store a number with magnitude smaller than supported range";
const char kTooManyDigits[] = "Attempting to store more than 38 significant digits in a Number";

std::string ParseError(std::string_view text) {
  try {
    Number::Parse(text);
  } catch (const ApiError& e) {
    EXPECT_EQ(e.type(), "ValidationException");
    EXPECT_EQ(e.http_status(), 400);
    return e.message();
  }
  return "(accepted)";
}

std::string Canon(std::string_view text) { return Number::Parse(text).text(); }

TEST(NumberTest, CanonicalForm) {
  const std::pair<std::string_view, std::string> kCases[] = {
      {"12", "12"},
      {"00012.500", "12.5"},
      {"1E2", "100"},
      {"1.5E2", "150"},
      {"-0", "0"},
      {"0.000", "0"},
      {"0e1000", "0"},
      {"-0.0e-99999999999", "0"},
      {"1.0", "1"},
      {"+3", "3"},
      {".123", "0.123"},
      {"1.", "1"},
      {"0001.23", "1.23"},
      {"1e+5", "100000"},
      {"-17e5", "-1700000"},
      {"-7.1234", "-7.1234"},
      {"12345e-3", "12.345"},
      {"12345e-5", "0.12345"},
      {"12345e-7", "0.0012345"},
      {"-0.5", "-0.5"},
      // Large exponents come back as plain digits (boto/boto3#4636).
      {"1.00000000000000007629769841092E+50",
       "100000000000000007629769841092000000000000000000000"},
      {"1e125", "1" + std::string(125, '0')},
      {"1e-130", "0." + std::string(129, '0') + "1"},
      {"-9.9999999999999999999999999999999999999E+125",
       "-99999999999999999999999999999999999999" + std::string(88, '0')}};
  ExpectCases(Canon, kCases);
}

TEST(NumberTest, PartsAreNormalised) {
  Number n = Number::Parse("-00120.0500");
  EXPECT_TRUE(n.negative());
  EXPECT_EQ(n.digits(), "12005");
  EXPECT_EQ(n.exponent(), 3);
  EXPECT_FALSE(n.is_zero());
  Number z = Number::Parse("-0.0");
  EXPECT_TRUE(z.is_zero());
  EXPECT_FALSE(z.negative());
  EXPECT_EQ(z.digits(), "");
  EXPECT_EQ(Number().text(), "0");
  EXPECT_EQ(Number::FromParts(true, "0012300", 5).text(), "-123");
  EXPECT_EQ(Number::FromParts(true, "000", 5).text(), "0");
}

TEST(NumberTest, RejectsNonNumbersWithDynamoDBMessage) {
  for (const char* bad :
       {"abc",  "NaN", "Infinity", "-Infinity", "-NaN", "dog", "-dog", " 1",  "1 ",  "1.2.3",
        "0x10", "1e",  "1e+",      "e5",        ".",    "-",   "+",    "--1", "1,5", "١"}) {
    EXPECT_EQ(ParseError(bad),
              std::string("The parameter cannot be converted to a numeric value: ") + bad)
        << bad;
  }
  // DynamoDB keeps the colon and space for the empty string.
  EXPECT_EQ(ParseError(""), "The parameter cannot be converted to a numeric value: ");
}

TEST(NumberTest, Limits) {
  const std::pair<std::string_view, std::string_view> kCases[] = {
      {"123456789012345678901234567890123456789", kTooManyDigits},
      {"-1.23456789012345678901234567890123456789", kTooManyDigits},
      {"1234567890123456789012345678901234567890", kTooManyDigits},
      {"3.14159265358979323846264338327950288419", kTooManyDigits},
      {"1e126", kOverflow},
      {"-1e126", kOverflow},
      {"11e125", kOverflow},
      {"1e99999999999", kOverflow},
      {"1e2147483648", kOverflow},
      {"1e-131", kUnderflow},
      {"-1e-131", kUnderflow},
      {"0.9e-130", kUnderflow},
      {"1e-99999999999", kUnderflow},
      // Exactly at the limits, and 38 digits with padding zeros, are fine.
      {"9.9999999999999999999999999999999999999E+125", "(accepted)"},
      {"1e-130", "(accepted)"},
      {"3.1415926535897932384626433832795028841", "(accepted)"},
      {"31415926535897932384626433832795028841e30", "(accepted)"},
      {"000000000000000000000000000000000000000000001.000000000000000000000000000000",
       "(accepted)"}};
  ExpectCases(ParseError, kCases);
}

TEST(NumberTest, Ordering) {
  const char* ascending[] = {"-1e125",   "-100", "-12.5",  "-12", "-1",   "-0.5",
                             "-1e-130",  "0",    "1e-130", "0.5", "0.51", "1",
                             "1.000001", "12",   "12.5",   "100", "1e125"};
  for (size_t i = 0; i < std::size(ascending); ++i) {
    for (size_t j = 0; j < std::size(ascending); ++j) {
      Number a = Number::Parse(ascending[i]), b = Number::Parse(ascending[j]);
      EXPECT_EQ(a < b, i < j) << ascending[i] << " vs " << ascending[j];
      EXPECT_EQ(a == b, i == j) << ascending[i] << " vs " << ascending[j];
    }
  }
  EXPECT_EQ(Number::Parse("1.50"), Number::Parse("15e-1"));
  EXPECT_EQ(Number::Parse("-0"), Number::Parse("0.0"));
}

Number N(std::string_view t) { return Number::Parse(t); }

std::string ArithError(std::string_view a, std::string_view b, bool minus) {
  try {
    if (minus) {
      (void)(N(a) - N(b));
    } else {
      (void)(N(a) + N(b));
    }
  } catch (const ApiError& e) {
    return e.message();
  }
  return "(accepted)";
}

TEST(NumberTest, Arithmetic) {
  EXPECT_EQ((N("1") + N("10000000000000000000000")).text(), "10000000000000000000001");
  EXPECT_EQ((N("10000000000000000000000") - N("1")).text(), "9999999999999999999999");
  EXPECT_EQ((N("0.1") + N("0.2")).text(), "0.3");
  EXPECT_EQ((N("5.5") + N("4.5")).text(), "10");
  EXPECT_EQ((N("1") - N("1")).text(), "0");
  EXPECT_EQ((N("1") - N("2")).text(), "-1");
  EXPECT_EQ((N("-1.5") + N("-2.25")).text(), "-3.75");
  EXPECT_EQ((N("-1.5") - N("-2.25")).text(), "0.75");
  EXPECT_EQ((N("0") - N("7")).text(), "-7");
  EXPECT_EQ((N("7") - N("0")).text(), "7");
  EXPECT_EQ((N("99999999999999999999999999999999999999") + N("1")).text(),
            "100000000000000000000000000000000000000");
  EXPECT_EQ((N("1e125") - N("1e125")).text(), "0");
  // Results needing more than 38 digits: DynamoDB says "overflow" (scylladb test_number.py).
  EXPECT_EQ(ArithError("1e50", "1", false), kOverflow);
  EXPECT_EQ(ArithError("1e50", "1", true), kOverflow);
  EXPECT_EQ(ArithError("99999999999999999999999999999999999999", "0.1", false), kOverflow);
  EXPECT_EQ(ArithError("9e125", "9e125", false), kOverflow);
  EXPECT_EQ(ArithError("9e125", "-9e125", true), kOverflow);
  EXPECT_EQ(ArithError("1e125", "1e-129", false), kOverflow);
  EXPECT_EQ(ArithError("2e-130", "1.9e-130", true), kUnderflow);
}

// Random integers that fit in int64 must add and subtract exactly like int64 arithmetic.
TEST(NumberTest, ArithmeticMatchesIntegers) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> dist(-1'000'000'000'000LL, 1'000'000'000'000LL);
  for (int i = 0; i < 2000; ++i) {
    const int64_t a = dist(rng), b = dist(rng);
    const Number na = N(std::to_string(a)), nb = N(std::to_string(b));
    ASSERT_EQ((na + nb).text(), std::to_string(a + b));
    ASSERT_EQ((na - nb).text(), std::to_string(a - b));
    ASSERT_EQ(na < nb, a < b);
    ASSERT_EQ(na == nb, a == b);
  }
}

}  // namespace
}  // namespace cruddur::ddb
