// The store's code runs on either backend through connection.h: the server
// settings (store/settings.h), whose SQL both dialects take, read and
// written on PostgreSQL. (The schema comes from the PostgreSQL migrations
// once they exist; here the one table is made by hand.)
#include <memory>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/store/postgres/pg_connection.h"
#include "server/store/settings.h"
#include "tests/testing/postgres_cluster.h"

namespace mdefleet::store {
namespace {

TEST(StoreOnPostgresTest, SettingsAreWrittenAndReadThroughTheSameCode) {
  auto cluster = testing::PostgresCluster::Start();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  ASSERT_TRUE((*cluster)->CreateDatabase("seam").ok());
  auto pg = postgres::PgConnection::Open((*cluster)->ConnectionString("seam"));
  ASSERT_TRUE(pg.ok()) << pg.status();
  Connection& db = **pg;
  EXPECT_EQ(db.dialect(), SqlDialect::kPostgres);
  ASSERT_TRUE(db.Exec("CREATE TABLE server_settings (name text PRIMARY KEY, "
                      "value text NOT NULL, changed_at bigint NOT NULL)")
                  .ok());

  auto unset = GetDefenderConfirmTimeout(db);
  ASSERT_TRUE(unset.ok()) << unset.status();
  EXPECT_EQ(*unset, absl::ZeroDuration());
  ASSERT_TRUE(SetDefenderConfirmTimeout(db, absl::Minutes(30), 1000).ok());
  // The upsert (ON CONFLICT ... DO UPDATE) replaces it.
  ASSERT_TRUE(SetDefenderConfirmTimeout(db, absl::Minutes(45), 2000).ok());
  auto set = GetDefenderConfirmTimeout(db);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(*set, absl::Minutes(45));
  auto ids = GetMdeWorkspaceIds(db);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_TRUE(ids->empty());
}

}  // namespace
}  // namespace mdefleet::store
