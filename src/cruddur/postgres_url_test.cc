#include <gtest/gtest.h>

#include "cruddur/postgres_admin.h"
#include "testing/expect_cases.h"

namespace cruddur {
namespace {

using test_util::ExpectCases;

TEST(PostgresUrlTest, RecognisesBothSchemes) {
  const std::pair<std::string_view, bool> kCases[] = {
      {"postgresql://postgres:password@db:5432/cruddur", true},
      {"postgres://localhost/cruddur", true},
      {"mysql://localhost/cruddur", false},
      {"/tmp/users.db", false},
      {"", false}};
  ExpectCases(IsPostgresUrl, kCases);
}

TEST(PostgresUrlTest, DatabaseIsThePath) {
  const std::pair<std::string_view, std::string_view> kCases[] = {
      {"postgresql://postgres:password@db:5432/cruddur", "cruddur"},
      {"postgresql://db/cruddur?sslmode=require", "cruddur"},
      {"postgresql://db/my%20db", "my db"},
      {"postgresql://db:5432", ""},
      {"postgresql://db/", ""},
      {"postgresql://db?sslrootcert=/etc/ca.pem", ""},
      // An unencoded '/' in the password is not the path.
      {"postgresql://u:pa/ss@db/cruddur", "cruddur"}};
  ExpectCases(PostgresUrlDatabase, kCases);
}

TEST(PostgresUrlTest, WithDatabaseReplacesOnlyThePath) {
  EXPECT_EQ(WithPostgresDatabase("postgresql://postgres:password@db:5432/cruddur", "postgres"),
            "postgresql://postgres:password@db:5432/postgres");
  EXPECT_EQ(WithPostgresDatabase("postgresql://db:5432/cruddur?sslmode=require", "postgres"),
            "postgresql://db:5432/postgres?sslmode=require");
  EXPECT_EQ(WithPostgresDatabase("postgresql://db:5432", "cruddur"),
            "postgresql://db:5432/cruddur");
  EXPECT_EQ(WithPostgresDatabase("postgresql://db?x=/y", "cruddur"),
            "postgresql://db/cruddur?x=/y");
  EXPECT_EQ(WithPostgresDatabase("postgresql://db/a", "b c"), "postgresql://db/b%20c");
  // Unlike the original's sed, a "/cruddur" elsewhere in the URL is left alone.
  EXPECT_EQ(WithPostgresDatabase("postgresql://cruddur:pw@cruddur.host/cruddur", "postgres"),
            "postgresql://cruddur:pw@cruddur.host/postgres");
}

TEST(PostgresUrlTest, RedactHidesThePassword) {
  EXPECT_EQ(RedactPostgresUrl("postgresql://postgres:password@db:5432/cruddur"),
            "postgresql://postgres:***@db:5432/cruddur");
  EXPECT_EQ(RedactPostgresUrl("postgresql://u:p@ss/w@db/cruddur"), "postgresql://u:***@db/cruddur");
  EXPECT_EQ(RedactPostgresUrl("postgresql://postgres@db/cruddur"),
            "postgresql://postgres@db/cruddur");
  EXPECT_EQ(RedactPostgresUrl("postgresql://db/cruddur"), "postgresql://db/cruddur");
}

}  // namespace
}  // namespace cruddur
