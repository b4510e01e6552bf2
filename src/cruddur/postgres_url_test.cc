#include <gtest/gtest.h>

#include "cruddur/postgres_admin.h"

namespace cruddur {
namespace {

TEST(PostgresUrlTest, RecognisesBothSchemes) {
  EXPECT_TRUE(IsPostgresUrl("postgresql://postgres:password@db:5432/cruddur"));
  EXPECT_TRUE(IsPostgresUrl("postgres://localhost/cruddur"));
  EXPECT_FALSE(IsPostgresUrl("mysql://localhost/cruddur"));
  EXPECT_FALSE(IsPostgresUrl("/tmp/users.db"));
  EXPECT_FALSE(IsPostgresUrl(""));
}

TEST(PostgresUrlTest, DatabaseIsThePath) {
  EXPECT_EQ(PostgresUrlDatabase("postgresql://postgres:password@db:5432/cruddur"), "cruddur");
  EXPECT_EQ(PostgresUrlDatabase("postgresql://db/cruddur?sslmode=require"), "cruddur");
  EXPECT_EQ(PostgresUrlDatabase("postgresql://db/my%20db"), "my db");
  EXPECT_EQ(PostgresUrlDatabase("postgresql://db:5432"), "");
  EXPECT_EQ(PostgresUrlDatabase("postgresql://db/"), "");
  EXPECT_EQ(PostgresUrlDatabase("postgresql://db?sslrootcert=/etc/ca.pem"), "");
  // An unencoded '/' in the password is not the path.
  EXPECT_EQ(PostgresUrlDatabase("postgresql://u:pa/ss@db/cruddur"), "cruddur");
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
