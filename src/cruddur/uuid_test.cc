#include "cruddur/uuid.h"

#include <gtest/gtest.h>

#include <set>

#include "testing/expect_cases.h"

namespace cruddur {
namespace {

using test_util::ExpectCases;

TEST(UuidTest, NewUuidIsVersion4InCanonicalForm) {
  std::string uuid = NewUuidV4();
  ASSERT_EQ(uuid.size(), 36u);
  EXPECT_TRUE(IsUuid(uuid));
  EXPECT_EQ(uuid[14], '4');
  EXPECT_NE(std::string("89ab").find(uuid[19]), std::string::npos);
  EXPECT_EQ(uuid.find_first_of("ABCDEF"), std::string::npos);
}

TEST(UuidTest, NewUuidsDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(NewUuidV4());
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(UuidTest, IsUuidRejectsOtherText) {
  const std::pair<std::string_view, bool> kCases[] = {
      {"5ae290ed-55d1-47a0-bc6d-fe2bc2700399", true},
      {"5AE290ED-55D1-47A0-BC6D-FE2BC2700399", true},
      {"", false},
      {"5ae290ed55d147a0bc6dfe2bc2700399", false},
      {"5ae290ed-55d1-47a0-bc6d-fe2bc270039g", false},
      {"5ae290ed-55d1-47a0-bc6d-fe2bc2700399 ", false},
      {"' OR 1=1 --", false}};
  ExpectCases(IsUuid, kCases);
}

}  // namespace
}  // namespace cruddur
