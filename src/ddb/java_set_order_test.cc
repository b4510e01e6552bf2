// JavaHashSetOrder against the lists DynamoDB Local 3.3.1 printed for the same names, in the
// order they were given ("does not project [...]").
#include "ddb/java_set_order.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cruddur::ddb {
namespace {

using Names = std::vector<std::string>;

TEST(JavaHashSetOrderTest, ByBucketNotByName) {
  EXPECT_EQ(JavaHashSetOrder({"z", "b", "a"}), (Names{"a", "b", "z"}));
  EXPECT_EQ(JavaHashSetOrder({"g2", "sk", "y"}), (Names{"sk", "y", "g2"}));
  EXPECT_EQ(JavaHashSetOrder({"l", "v"}), (Names{"v", "l"}));
}

TEST(JavaHashSetOrderTest, OneBucketLaterNamesFirst) {
  // "Ab" and "q2" share a bucket.
  EXPECT_EQ(JavaHashSetOrder({"Ab", "q2", "zz"}), (Names{"zz", "q2", "Ab"}));
  EXPECT_EQ(JavaHashSetOrder({"q2", "Ab", "zz"}), (Names{"zz", "Ab", "q2"}));
}

TEST(JavaHashSetOrderTest, DuplicatesOnceAndNonAsciiNames) {
  EXPECT_EQ(JavaHashSetOrder({"y", "x", "y"}), (Names{"x", "y"}));
  // 16 slots: é (U+00E9) and ü (U+00FC) by their UTF-16 code units.
  EXPECT_EQ(JavaHashSetOrder({"é", "ü", "zzz"}), (Names{"é", "zzz", "ü"}));
}

TEST(JavaHashSetOrderTest, ThirteenNamesUse32Slots) {
  EXPECT_EQ(
      JavaHashSetOrder({"é", "ü", "zzz", "Ab", "日本", "q1", "q2", "q3", "r", "s", "t", "u", "v9"}),
      (Names{"q1", "q2", "Ab", "q3", "v9", "é", "日本", "r", "s", "t", "u", "zzz", "ü"}));
}

}  // namespace
}  // namespace cruddur::ddb
