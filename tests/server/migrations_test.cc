// Migrations: the embedded list matches migrations/*.sql, versions are
// contiguous, identity and newer schemas are checked on open. Databases of
// earlier versions migrated forward: migration_fixtures_test.cc.
#include "server/store/migrations.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "gtest/gtest.h"
#include "server/store/migration_functions.h"
#include "server/store/store.h"
#include "tests/server/test_env.h"
#include "tests/testing/file_contents.h"

namespace mdefleet::store {
namespace {

using ::mdefleet::testing::FakeClock;
using ::mdefleet::testing::FileContents;
using ::mdefleet::testing::TempDir;
using ::mdefleet::testing::TestEpoch;

TEST(MigrationsTest, EmbeddedListMatchesFilesAndIsContiguous) {
  std::vector<std::string> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(MDEFLEET_MIGRATIONS_DIR)) {
    if (entry.path().extension() == ".sql") {
      files.push_back(entry.path().filename().string());
    }
  }
  std::sort(files.begin(), files.end());
  const auto& embedded = EmbeddedMigrations();
  ASSERT_EQ(embedded.size(), files.size());
  ASSERT_FALSE(files.empty());
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(embedded[i].file, files[i]);
    EXPECT_EQ(embedded[i].version, static_cast<int>(i) + 1)
        << files[i] << ": versions must be 1, 2, 3, ... without gaps";
    EXPECT_EQ(std::stoi(files[i].substr(0, 4)), embedded[i].version);
    EXPECT_EQ(
        embedded[i].sql,
        FileContents(std::filesystem::path(MDEFLEET_MIGRATIONS_DIR) / files[i]))
        << files[i] << " changed since the build embedded it";
  }
  EXPECT_EQ(LatestSchemaVersion(), static_cast<int>(files.size()));
}

class StoreOpenTest : public ::testing::Test {
 protected:
  std::string Path(absl::string_view name) {
    return absl::StrCat(dir_.path(), "/", name);
  }
  TempDir dir_;
  FakeClock clock_{TestEpoch()};
};

int64_t QueryInt(Store& store, const char* sql) {
  int64_t value = -1;
  absl::Status s = store.Read([&](Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(std::unique_ptr<Statement> st, db.PrepareOnce(sql));
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (row) value = st->ColumnInt(0);
    return absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  return value;
}

TEST_F(StoreOpenTest, CreateAppliesEveryMigrationAndConfiguresSqlite) {
  auto store = Store::Open(Path("a.db"), OpenMode::kCreate, clock_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(QueryInt(**store, "SELECT count(*) FROM schema_migrations"),
            static_cast<int64_t>(EmbeddedMigrations().size()));
  EXPECT_EQ(QueryInt(**store, "SELECT max(version) FROM schema_migrations"),
            LatestSchemaVersion());
  EXPECT_EQ(QueryInt(**store,
                     "SELECT count(*) FROM meta WHERE key = 'application' AND "
                     "value = 'mdefleet'"),
            1);
  EXPECT_EQ(QueryInt(**store, "PRAGMA synchronous"), 2);  // FULL
  EXPECT_EQ(QueryInt(**store, "PRAGMA foreign_keys"), 1);
  std::string mode;
  ASSERT_TRUE((*store)
                  ->Read([&](Connection& db) -> absl::Status {
                    ASSIGN_OR_RETURN(std::unique_ptr<Statement> st,
                                     db.PrepareOnce("PRAGMA journal_mode"));
                    ASSIGN_OR_RETURN(bool row, st->Step());
                    if (row) mode = st->ColumnText(0);
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(mode, "wal");
}

TEST_F(StoreOpenTest, CreateRefusesAnExistingFileAndServeAMissingOne) {
  ASSERT_TRUE(Store::Open(Path("a.db"), OpenMode::kCreate, clock_).ok());
  auto again = Store::Open(Path("a.db"), OpenMode::kCreate, clock_);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("already exists"), std::string::npos);
  auto missing = Store::Open(Path("none.db"), OpenMode::kExisting, clock_);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(std::filesystem::exists(Path("none.db")));
}

TEST_F(StoreOpenTest, RefusesANewerSchema) {
  {
    auto store = Store::Open(Path("a.db"), OpenMode::kCreate, clock_);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)
                    ->Write([&](Connection& db) {
                      return db.Exec(
                          absl::StrCat("INSERT INTO schema_migrations VALUES (",
                                       LatestSchemaVersion() + 1,
                                       ", '9999_future.sql', 0)"));
                    })
                    .ok());
  }
  auto reopened = Store::Open(Path("a.db"), OpenMode::kExisting, clock_);
  ASSERT_EQ(reopened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(reopened.status().message().find(absl::StrCat(
                "database schema version ", LatestSchemaVersion() + 1,
                " is newer than this mdefleet-server supports (",
                LatestSchemaVersion(), "); upgrade the server")),
            std::string::npos)
      << reopened.status();
}

TEST_F(StoreOpenTest, RefusesFilesThatAreNotMdefleetDatabases) {
  { std::ofstream(Path("text.db")) << "hello, not a database\n"; }
  auto text = Store::Open(Path("text.db"), OpenMode::kExisting, clock_);
  EXPECT_EQ(text.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(text.status().message().find("not an mdefleet database"),
            std::string::npos)
      << text.status();

  {
    auto raw = SqliteConnection::Open(
        Path("other.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE((*raw)->Exec("CREATE TABLE customers (id INTEGER)").ok());
  }
  auto other = Store::Open(Path("other.db"), OpenMode::kExisting, clock_);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(other.status().message().find("not an mdefleet database"),
            std::string::npos)
      << other.status();
}

TEST_F(StoreOpenTest, MigrationFunctionsHashAndRewriteFacts) {
  auto raw = SqliteConnection::Open(Path("f.db"),
                                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE(RegisterMigrationFunctions(**raw).ok());
  auto st = (*raw)->PrepareOnce(
      "SELECT mdf_sha256_hex('abc'), mdf_sha256_hex(NULL) IS NULL, "
      "mdf_facts_with_host_identity_sha256(?1, 'h')");
  ASSERT_TRUE(st.ok());
  v1::DeviceFacts facts;
  facts.set_hostname("WEB-01");
  facts.set_host_identity("raw-guid");
  (*st)->BindBlob(1, facts.SerializeAsString());
  auto row = (*st)->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ((*st)->ColumnText(0), Sha256Hex("abc"));
  EXPECT_EQ((*st)->ColumnInt(1), 1);
  v1::DeviceFacts out;
  ASSERT_TRUE(out.ParseFromString((*st)->ColumnBlob(2)));
  EXPECT_EQ(out.hostname(), "WEB-01");
  EXPECT_EQ(out.host_identity(), "");
  EXPECT_EQ(out.host_identity_sha256(), "h");

  auto bad = (*raw)->PrepareOnce(
      "SELECT mdf_facts_with_host_identity_sha256(x'ffffffff', 'h')");
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE((*bad)->Step().ok());
}

}  // namespace
}  // namespace mdefleet::store
