// What --db names: a SQLite file or a PostgreSQL URL without a password.
#include "server/store/postgres/db_target.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet::store {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(DbTargetTest, APathIsASqliteFile) {
  auto target = ParseDbTarget("/var/lib/mdefleet/mdefleet.db", "--db");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->kind, DbTarget::Kind::kSqlite);
  EXPECT_EQ(target->sqlite_path, "/var/lib/mdefleet/mdefleet.db");
  EXPECT_EQ(target->display, "/var/lib/mdefleet/mdefleet.db");
}

TEST(DbTargetTest, APostgresqlUrlIsPostgres) {
  auto target = ParseDbTarget(
      "postgresql://mdefleet@db1.corp.example:5433/fleet?sslmode=verify-full",
      "--db");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->kind, DbTarget::Kind::kPostgres);
  EXPECT_EQ(target->display,
            "PostgreSQL database fleet on db1.corp.example:5433 as mdefleet");
  auto short_scheme = ParseDbTarget("postgres://h/fleet", "--db");
  ASSERT_TRUE(short_scheme.ok()) << short_scheme.status();
  EXPECT_EQ(short_scheme->kind, DbTarget::Kind::kPostgres);
}

TEST(DbTargetTest, APasswordInTheUrlIsRefusedAndNotRepeated) {
  for (const char* url :
       {"postgresql://mdefleet:Secret-Pw1@db1/fleet",
        "postgresql://mdefleet@db1/fleet?password=Secret-Pw1"}) {
    auto target = ParseDbTarget(url, "--db");
    ASSERT_FALSE(target.ok()) << url;
    EXPECT_EQ(target.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(target.status().message(), HasSubstr("--db: "));
    EXPECT_THAT(target.status().message(), HasSubstr("password file"));
    EXPECT_THAT(target.status().message(), Not(HasSubstr("Secret-Pw1")));
  }
}

TEST(DbTargetTest, ABadUrlNamesTheFieldWithoutItsUserInformation) {
  auto target = ParseDbTarget(
      "postgresql://u:Secret-Pw1@db1/fleet?nosuchoption=1", "--db");
  ASSERT_FALSE(target.ok());
  EXPECT_THAT(target.status().message(), HasSubstr("--db: "));
  EXPECT_THAT(target.status().message(), Not(HasSubstr("Secret-Pw1")));
  auto empty = ParseDbTarget("", "--db");
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.status().message(), HasSubstr("--db: required"));
}

}  // namespace
}  // namespace mdefleet::store
