// A fixture that runs a store test on each backend: a migrated SQLite file
// (the default store) and a migrated database of a private PostgreSQL
// cluster (one cluster per test binary, a database per test).
#ifndef MDEFLEET_TESTS_SERVER_STORE_POSTGRES_BOTH_BACKENDS_H_
#define MDEFLEET_TESTS_SERVER_STORE_POSTGRES_BOTH_BACKENDS_H_

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/store/connection.h"
#include "server/store/migrations.h"
#include "server/store/postgres/pg_migrations.h"
#include "server/store/sqlite.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/postgres_cluster.h"
#include "tests/testing/temp_dir.h"

namespace mdefleet::testing {

class BothBackendsTest : public ::testing::TestWithParam<store::SqlDialect> {
 public:
  // The instantiation's names: "sqlite", "postgres".
  static std::string Name(
      const ::testing::TestParamInfo<store::SqlDialect>& info) {
    return info.param == store::SqlDialect::kSqlite ? "sqlite" : "postgres";
  }

 protected:
  void SetUp() override {
    if (GetParam() == store::SqlDialect::kSqlite) {
      auto db = store::SqliteConnection::Open(
          dir_.Join("store.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
      ASSERT_TRUE(db.ok()) << db.status();
      ASSERT_TRUE(store::Migrate(**db, clock_).ok());
      db_ = *std::move(db);
      return;
    }
    auto cluster = PostgresCluster::Shared();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    auto name = (*cluster)->CreateUniqueDatabase();
    ASSERT_TRUE(name.ok()) << name.status();
    auto db = store::postgres::PgConnection::Open(
        (*cluster)->ConnectionString(*name));
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE(store::postgres::MigratePostgres(**db, 1).ok());
    db_ = *std::move(db);
  }

  store::Connection& db() { return *db_; }

 private:
  TempDir dir_;
  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  std::unique_ptr<store::Connection> db_;
};

#define MDEFLEET_ON_BOTH_BACKENDS(suite)                           \
  INSTANTIATE_TEST_SUITE_P(                                        \
      Backends, suite,                                             \
      ::testing::Values(::mdefleet::store::SqlDialect::kSqlite,    \
                        ::mdefleet::store::SqlDialect::kPostgres), \
      ::mdefleet::testing::BothBackendsTest::Name)

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_SERVER_STORE_POSTGRES_BOTH_BACKENDS_H_
