// libpq connections in the store's statement shape, against a private
// PostgreSQL cluster.
#include "server/store/postgres/pg_connection.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/postgres_cluster.h"

namespace mdefleet::store::postgres {
namespace {

using ::testing::HasSubstr;
using testing::PostgresCluster;

class PgConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = PostgresCluster::Shared();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    auto name = (*cluster)->CreateUniqueDatabase();
    ASSERT_TRUE(name.ok()) << name.status();
    auto conn = PgConnection::Open((*cluster)->ConnectionString(*name));
    ASSERT_TRUE(conn.ok()) << conn.status();
    db_ = *std::move(conn);
    ASSERT_TRUE(db_->Exec("DROP TABLE IF EXISTS t; CREATE TABLE t (id text "
                          "PRIMARY KEY, n bigint, data bytea, note text)")
                    .ok());
  }

  std::unique_ptr<PgConnection> db_;
};

TEST(PostgresPlaceholdersTest, NumberedParametersOutsideQuotes) {
  EXPECT_EQ(PostgresPlaceholders("SELECT a FROM t WHERE id = ?1 AND n > ?12"),
            "SELECT a FROM t WHERE id = $1 AND n > $12");
  EXPECT_EQ(PostgresPlaceholders("SELECT '?1', \"a?2\" WHERE x = ?3"),
            "SELECT '?1', \"a?2\" WHERE x = $3");
  EXPECT_EQ(PostgresPlaceholders("SELECT 'it''s ?1' || ?2"),
            "SELECT 'it''s ?1' || $2");
}

TEST_F(PgConnectionTest, BindsStepsAndReadsEveryColumnType) {
  auto insert =
      db_->Prepare("INSERT INTO t (id, n, data, note) VALUES (?1, ?2, ?3, ?4)");
  ASSERT_TRUE(insert.ok()) << insert.status();
  const std::string bytes("\0\x01\xff\x80 bytes", 10);
  (*insert)->Bind(1, "a");
  (*insert)->Bind(2, int64_t{-9007199254740993});
  (*insert)->BindBlob(3, bytes);
  (*insert)->BindNull(4);
  ASSERT_TRUE((*insert)->Run().ok());
  EXPECT_EQ(db_->Changes(), 1);
  (*insert)->Reset();
  (*insert)->Bind(1, "b");
  (*insert)->Bind(2, std::optional<int64_t>());
  (*insert)->BindBlob(3, "");
  (*insert)->Bind(4, "élan ✓");
  ASSERT_TRUE((*insert)->Run().ok());

  auto select =
      db_->Prepare("SELECT id, n, data, note, n IS NULL FROM t ORDER BY id");
  ASSERT_TRUE(select.ok()) << select.status();
  auto row = (*select)->Step();
  ASSERT_TRUE(row.ok() && *row) << row.status();
  EXPECT_EQ((*select)->ColumnCount(), 5);
  EXPECT_EQ((*select)->ColumnText(0), "a");
  EXPECT_EQ((*select)->ColumnInt(1), int64_t{-9007199254740993});
  EXPECT_EQ((*select)->ColumnBlob(2), bytes);
  EXPECT_TRUE((*select)->ColumnIsNull(3));
  EXPECT_EQ((*select)->ColumnInt(4), 0);
  row = (*select)->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ((*select)->ColumnOptionalInt(1), std::nullopt);
  EXPECT_EQ((*select)->ColumnBlob(2), "");
  EXPECT_EQ((*select)->ColumnText(3), "élan ✓");
  EXPECT_EQ((*select)->ColumnInt(4), 1);
  row = (*select)->Step();
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(*row);
}

TEST_F(PgConnectionTest, ACachedStatementIsResetWhenItGoesOutOfScope) {
  ASSERT_TRUE(
      db_->Exec("INSERT INTO t (id, n) VALUES ('a', 1), ('b', 2)").ok());
  for (int round = 0; round < 3; ++round) {
    auto st = db_->Prepare("SELECT n FROM t WHERE id = ?1");
    ASSERT_TRUE(st.ok());
    (*st)->Bind(1, round % 2 == 0 ? "a" : "b");
    auto row = (*st)->Step();
    ASSERT_TRUE(row.ok() && *row);
    EXPECT_EQ((*st)->ColumnInt(0), round % 2 == 0 ? 1 : 2);
  }
  auto update = db_->Prepare("UPDATE t SET n = n + 1");
  ASSERT_TRUE(update.ok());
  ASSERT_TRUE((*update)->Run().ok());
  EXPECT_EQ(db_->Changes(), 2);
}

TEST_F(PgConnectionTest, ErrorsMapToCodesAndBadBindsAreReported) {
  ASSERT_TRUE(db_->Exec("INSERT INTO t (id) VALUES ('a')").ok());
  absl::Status duplicate = db_->Exec("INSERT INTO t (id) VALUES ('a')");
  EXPECT_EQ(duplicate.code(), absl::StatusCode::kAlreadyExists) << duplicate;
  EXPECT_THAT(duplicate.message(), HasSubstr("duplicate key"));

  auto bad = db_->Prepare("SELECT nosuchcolumn FROM t");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(bad.status().message(), HasSubstr("nosuchcolumn"));

  auto st = db_->Prepare("SELECT n FROM t WHERE id = ?1");
  ASSERT_TRUE(st.ok());
  (*st)->Bind(2, "x");  // the statement has one parameter
  EXPECT_FALSE((*st)->Step().ok());
}

TEST_F(PgConnectionTest, PrepareOnceStatementsAreDeallocated) {
  for (int i = 0; i < 3; ++i) {
    auto st = db_->PrepareOnce("SELECT count(*) FROM t WHERE n > ?1");
    ASSERT_TRUE(st.ok()) << st.status();
    (*st)->Bind(1, int64_t{i});
    ASSERT_TRUE((*st)->Step().ok());
  }
  auto count = db_->Prepare(
      "SELECT count(*) FROM pg_prepared_statements WHERE name "
      "NOT IN (SELECT name FROM pg_prepared_statements WHERE "
      "statement LIKE '%pg_prepared_statements%')");
  ASSERT_TRUE(count.ok()) << count.status();
  auto row = (*count)->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ((*count)->ColumnInt(0), 0);
}

TEST(PgConnectTest,
     AnUnreachableServerIsUnavailableWithoutTheConnectionString) {
  auto conn = PgConnection::Open(
      "host=127.0.0.1 port=1 user=u password=Secret-Pw1 connect_timeout=5");
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(conn.status().message(), HasSubstr("cannot connect"));
  EXPECT_THAT(conn.status().message(), ::testing::Not(HasSubstr("Secret-Pw1")));
}

}  // namespace
}  // namespace mdefleet::store::postgres

namespace mdefleet::store::postgres {
namespace {

TEST_F(PgConnectionTest, ASessionTheServerEndedIsMadeAgainBeforeTheNextUse) {
  ASSERT_TRUE(db_->SetSessionSetup("SET TIME ZONE 'UTC'").ok());
  const int old_pid = PQbackendPID(db_->raw());
  auto cluster = PostgresCluster::Shared();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  auto other =
      PgConnection::Open((*cluster)->ConnectionString(PQdb(db_->raw())));
  ASSERT_TRUE(other.ok()) << other.status();
  // Waits (up to 5 s) until the session has ended.
  ASSERT_TRUE((*other)
                  ->Exec(absl::StrCat("SELECT pg_terminate_backend(", old_pid,
                                      ", 5000)"))
                  .ok());
  // Prepared before: forgotten with the old session.
  ASSERT_TRUE(db_->EnsureConnected().ok());
  EXPECT_NE(PQbackendPID(db_->raw()), old_pid);
  auto st = db_->Prepare("SELECT current_setting('TimeZone')");
  ASSERT_TRUE(st.ok()) << st.status();
  ASSERT_TRUE(*(*st)->Step());
  EXPECT_EQ((*st)->ColumnText(0), "UTC");
}

}  // namespace
}  // namespace mdefleet::store::postgres
