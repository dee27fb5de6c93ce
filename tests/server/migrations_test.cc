// Migrations: the embedded list matches migrations/*.sql, versions are
// contiguous, identity and newer schemas are checked on open.
#include "server/store/migrations.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "gtest/gtest.h"
#include "server/store/jobs.h"
#include "server/store/store.h"
#include "tests/server/test_env.h"

namespace mdefleet::store {
namespace {

using ::mdefleet::testing::FakeClock;
using ::mdefleet::testing::TempDir;
using ::mdefleet::testing::TestEpoch;

// Migration numbers handed to branches of issue 16 developed side by side
// (0007 re-enrollment, 0008 device certificates, ...): on a branch that
// lacks one of them the numbers skip it. Once all are merged the files are
// contiguous again and this list changes nothing; drop it then.
constexpr int kNumbersOfParallelBranches[] = {7};

// The version each of `files` (sorted NNNN_*.sql names) must have: 1, 2, 3,
// ... skipping only a missing kNumbersOfParallelBranches number.
std::vector<int> ExpectedVersions(const std::vector<std::string>& files) {
  std::vector<int> present;
  for (const std::string& file : files) {
    present.push_back(std::stoi(file.substr(0, 4)));
  }
  auto is_present = [&](int v) {
    return std::find(present.begin(), present.end(), v) != present.end();
  };
  auto is_parallel = [](int v) {
    return std::find(std::begin(kNumbersOfParallelBranches),
                     std::end(kNumbersOfParallelBranches),
                     v) != std::end(kNumbersOfParallelBranches);
  };
  std::vector<int> expected;
  int next = 1;
  for (size_t i = 0; i < files.size(); ++i) {
    while (is_parallel(next) && !is_present(next)) ++next;
    expected.push_back(next++);
  }
  return expected;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

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
  const std::vector<int> expected = ExpectedVersions(files);
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(embedded[i].file, files[i]);
    EXPECT_EQ(embedded[i].version, expected[i])
        << files[i] << ": versions must be 1, 2, 3, ... without gaps";
    EXPECT_EQ(std::stoi(files[i].substr(0, 4)), embedded[i].version);
    EXPECT_EQ(
        embedded[i].sql,
        ReadFile(std::filesystem::path(MDEFLEET_MIGRATIONS_DIR) / files[i]))
        << files[i] << " changed since the build embedded it";
  }
  EXPECT_EQ(LatestSchemaVersion(), expected.back());
}

// Every migrations/*.sql file is embedded, in order, numbered 1..N.
TEST(MigrationsTest, EveryMigrationFileIsEmbeddedInOrder) {
  std::vector<std::string> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(MDEFLEET_MIGRATIONS_DIR)) {
    if (entry.path().extension() == ".sql") {
      files.push_back(entry.path().filename().string());
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  const std::vector<int> expected = ExpectedVersions(files);
  EXPECT_EQ(LatestSchemaVersion(), expected.back());
  ASSERT_EQ(EmbeddedMigrations().size(), files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(EmbeddedMigrations()[i].file, files[i]);
    EXPECT_EQ(EmbeddedMigrations()[i].version, expected[i]);
  }
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
    auto raw = Connection::Open(Path("other.db"),
                                SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE((*raw)->Exec("CREATE TABLE customers (id INTEGER)").ok());
  }
  auto other = Store::Open(Path("other.db"), OpenMode::kExisting, clock_);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(other.status().message().find("not an mdefleet database"),
            std::string::npos)
      << other.status();
}

TEST_F(StoreOpenTest, MigrateAppliesOnlyMissingVersionsEachRecorded) {
  auto raw = Connection::Open(Path("m.db"),
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  ASSERT_TRUE(raw.ok());
  auto version = SchemaVersion(**raw);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, 0);
  ASSERT_TRUE(Migrate(**raw, clock_).ok());
  EXPECT_EQ(*SchemaVersion(**raw), LatestSchemaVersion());
  // A second run is a no-op (would fail on CREATE TABLE otherwise).
  EXPECT_TRUE(Migrate(**raw, clock_).ok());
  auto reopened = Store::Open(Path("m.db"), OpenMode::kExisting, clock_);
  EXPECT_TRUE(reopened.ok()) << reopened.status();
}

// A version-1 database with a queued job, as the previous release left it,
// opened by this server: migrated to version 2 with the job intact and
// behaving as before (no canary, one wave, no deadline or threshold).
TEST_F(StoreOpenTest, AVersion1DatabaseMigratesKeepingItsJobs) {
  const std::string path = Path("v1.db");
  {
    auto raw =
        Connection::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(raw.ok());
    Connection& db = **raw;
    ASSERT_TRUE(db.Exec(EmbeddedMigrations()[0].sql).ok());
    v1::JobSpec spec;
    spec.set_kind("install");
    spec.mutable_target()->set_all(true);
    spec.mutable_policy()->set_max_in_flight(3);
    auto st = db.PrepareOnce(
        "INSERT INTO jobs (id, kind, spec, state, created_by, created_at, "
        "max_in_flight, total, queued) VALUES ('job-old', 'install', ?1, 2, "
        "'admin', 1, 3, 1, 1)");
    ASSERT_TRUE(st.ok());
    (*st)->BindBlob(1, spec.SerializeAsString());
    ASSERT_TRUE((*st)->Run().ok());
    ASSERT_TRUE(db.Exec("INSERT INTO schema_migrations VALUES (1, "
                        "'0001_initial.sql', 0); PRAGMA journal_mode = WAL")
                    .ok());
  }
  auto store = Store::Open(path, OpenMode::kExisting, clock_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(QueryInt(**store, "SELECT max(version) FROM schema_migrations"),
            LatestSchemaVersion());
  EXPECT_EQ(QueryInt(**store,
                     "SELECT count(*) FROM jobs WHERE wave = 1 AND canary = 0 "
                     "AND wave_size = 0 AND deadline_at IS NULL AND "
                     "max_failures IS NULL AND retries = 0 AND expired = 0 "
                     "AND lease_micros = 0 AND wave_opens_at = 0"),
            1);
  EXPECT_EQ(QueryInt(**store, "SELECT count(*) FROM audit_log"), 0);
  std::optional<v1::Job> job;
  ASSERT_TRUE((*store)
                  ->Read([&](Connection& db) -> absl::Status {
                    ASSIGN_OR_RETURN(job, GetJob(db, "job-old"));
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->state(), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(job->spec().policy().max_in_flight(), 3u);
  EXPECT_EQ(job->counts().queued(), 1u);
  EXPECT_EQ(job->rollout().wave(), 1u);
  EXPECT_FALSE(job->rollout().has_max_failures());
  EXPECT_FALSE(job->rollout().has_deadline());
}

}  // namespace
}  // namespace mdefleet::store
