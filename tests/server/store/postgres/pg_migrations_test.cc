// The PostgreSQL schema's migrations against a private cluster: applied once,
// refused for foreign or newer databases, and the same tables and columns as
// the SQLite store's schema.
#include "server/store/postgres/pg_migrations.h"

#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/store/store.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/postgres_cluster.h"
#include "tests/testing/temp_dir.h"

namespace mdefleet::store::postgres {
namespace {

using ::testing::HasSubstr;
using testing::PostgresCluster;

using Columns = std::map<std::string, std::set<std::string>>;  // by table

class PgMigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = PostgresCluster::Shared();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *cluster;
  }

  // A connection to a new, empty database (`purpose` names it for the
  // reader; the name is unique across the processes sharing the cluster).
  std::unique_ptr<PgConnection> FreshDatabase(const std::string& purpose) {
    auto name = cluster_->CreateUniqueDatabase();
    EXPECT_TRUE(name.ok()) << purpose << ": " << name.status();
    if (!name.ok()) return nullptr;
    auto conn = PgConnection::Open(cluster_->ConnectionString(*name));
    EXPECT_TRUE(conn.ok()) << conn.status();
    return conn.ok() ? *std::move(conn) : nullptr;
  }

  PostgresCluster* cluster_ = nullptr;
};

Columns PostgresColumns(PgConnection& db) {
  Columns out;
  auto st = db.Prepare(
      "SELECT table_name, column_name FROM information_schema.columns WHERE "
      "table_schema = current_schema()");
  EXPECT_TRUE(st.ok()) << st.status();
  while (st.ok()) {
    auto row = (*st)->Step();
    if (!row.ok() || !*row) break;
    out[(*st)->ColumnText(0)].insert((*st)->ColumnText(1));
  }
  return out;
}

Columns SqliteColumns() {
  testing::TempDir dir;
  testing::FakeClock clock(absl::FromUnixSeconds(1700000000));
  auto store = Store::Open(dir.Join("s.db"), OpenMode::kCreate, clock);
  EXPECT_TRUE(store.ok()) << store.status();
  Columns out;
  if (!store.ok()) return out;
  EXPECT_TRUE((*store)
                  ->Read([&](Connection& db) -> absl::Status {
                    auto st = db.PrepareOnce(
                        "SELECT m.name, p.name FROM sqlite_schema m, "
                        "pragma_table_info(m.name) p WHERE m.type = 'table' "
                        "AND m.name NOT LIKE 'sqlite_%'");
                    if (!st.ok()) return st.status();
                    while (true) {
                      auto row = (*st)->Step();
                      if (!row.ok()) return row.status();
                      if (!*row) return absl::OkStatus();
                      out[(*st)->ColumnText(0)].insert((*st)->ColumnText(1));
                    }
                  })
                  .ok());
  return out;
}

TEST_F(PgMigrationsTest, AFreshDatabaseGetsEveryMigrationOnce) {
  auto db = FreshDatabase("fresh");
  ASSERT_NE(db, nullptr);
  auto empty = PostgresSchemaVersion(*db);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(*empty, 0);
  ASSERT_TRUE(MigratePostgres(*db, 1000).ok());
  ASSERT_TRUE(MigratePostgres(*db, 2000).ok()) << "a second run is a no-op";
  auto version = PostgresSchemaVersion(*db);
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, LatestPostgresSchemaVersion());
  EXPECT_GE(*version, 1);
  auto st =
      db->Prepare("SELECT count(*), min(applied_at) FROM schema_migrations");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(*(*st)->Step());
  EXPECT_EQ((*st)->ColumnInt(0), LatestPostgresSchemaVersion());
  EXPECT_EQ((*st)->ColumnInt(1), 1000);
}

TEST_F(PgMigrationsTest, TheSchemaHasTheSqliteStoresTablesAndColumns) {
  auto db = FreshDatabase("parity");
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(MigratePostgres(*db, 1000).ok());
  Columns pg = PostgresColumns(*db);
  // The SQLite rowid the store reads is a column in PostgreSQL.
  for (const char* table : {"artifacts", "jobs", "tasks"}) {
    EXPECT_EQ(pg[table].erase("rowid"), 1u) << table;
  }
  const Columns sqlite = SqliteColumns();
  ASSERT_FALSE(sqlite.empty());
  EXPECT_EQ(pg, sqlite);
}

TEST_F(PgMigrationsTest, AForeignDatabaseIsRefusedAndLeftAlone) {
  auto db = FreshDatabase("foreign_db");
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Exec("CREATE TABLE invoices (id int)").ok());
  absl::Status migrated = MigratePostgres(*db, 1000);
  EXPECT_EQ(migrated.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(migrated.message(), HasSubstr("not an mdefleet database"));
  EXPECT_EQ(PostgresColumns(*db).size(), 1u) << "nothing was created";
}

TEST_F(PgMigrationsTest, ADatabaseOfANewerMdefleetIsRefused) {
  auto db = FreshDatabase("newer");
  ASSERT_NE(db, nullptr);
  const std::string name = PQdb(db->raw());
  ASSERT_TRUE(MigratePostgres(*db, 1000).ok());
  ASSERT_TRUE(db->Exec("INSERT INTO schema_migrations VALUES (9999, "
                       "'9999_future.sql', 3000)")
                  .ok());
  absl::Status migrated = MigratePostgres(*db, 4000);
  EXPECT_EQ(migrated.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(migrated.message(), HasSubstr("schema version 9999"));
  EXPECT_THAT(migrated.message(), HasSubstr("newer"));
  // The lock was given back: another migration may run.
  auto again = PgConnection::Open(cluster_->ConnectionString(name));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)
                  ->Exec("SELECT pg_advisory_lock(28258235316200562); "
                         "SELECT pg_advisory_unlock(28258235316200562)")
                  .ok());
}

}  // namespace
}  // namespace mdefleet::store::postgres
