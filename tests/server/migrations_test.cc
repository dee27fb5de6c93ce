// Migrations: the embedded list matches migrations/*.sql, versions are
// contiguous, identity and newer schemas are checked on open.
#include "server/store/migrations.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "gtest/gtest.h"
#include "server/store/jobs.h"
#include "server/store/migration_functions.h"
#include "server/store/store.h"
#include "server/store/task_plans.h"
#include "tests/server/test_env.h"

namespace mdefleet::store {
namespace {

using ::mdefleet::testing::FakeClock;
using ::mdefleet::testing::TempDir;
using ::mdefleet::testing::TestEpoch;

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
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(embedded[i].file, files[i]);
    EXPECT_EQ(embedded[i].version, static_cast<int>(i) + 1)
        << files[i] << ": versions must be 1, 2, 3, ... without gaps";
    EXPECT_EQ(std::stoi(files[i].substr(0, 4)), embedded[i].version);
    EXPECT_EQ(
        embedded[i].sql,
        ReadFile(std::filesystem::path(MDEFLEET_MIGRATIONS_DIR) / files[i]))
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

// A version-6 database, as the previous release left it: raw machine GUIDs
// and "hostname:" stand-ins as host identities, in the column and in the
// facts blobs. Version 7 keeps only hashes (and no stand-ins), keeps every
// row and reference, and lets a second device carry a held identity.
TEST_F(StoreOpenTest, AVersion6DatabaseKeepsOnlyHostIdentityHashes) {
  const std::string path = Path("v6.db");
  const std::string guid = "4c4c4544-0042-3510-8052-b4c04f4e4d32";
  {
    auto raw =
        Connection::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(raw.ok());
    Connection& db = **raw;
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(db.Exec(EmbeddedMigrations()[i].sql).ok()) << i;
      ASSERT_TRUE(
          db.Exec(absl::StrCat("INSERT INTO schema_migrations VALUES (", i + 1,
                               ", '", EmbeddedMigrations()[i].file, "', 0)"))
              .ok());
    }
    auto insert = db.PrepareOnce(
        "INSERT INTO devices (id, token_hash, host_identity, hostname, "
        "os_family, mde_state, facts, enrolled_at, last_seen_at, "
        "scope_labels) VALUES (?1, ?2, ?3, ?4, 3, 2, ?5, 1, 2, 'site=tokyo')");
    ASSERT_TRUE(insert.ok());
    const std::vector<std::pair<std::string, std::string>> devices = {
        {"dev-guid", guid}, {"dev-name", "hostname:web-02"}};
    for (const auto& [id, identity] : devices) {
      v1::DeviceFacts facts;
      facts.set_hostname(id);
      facts.set_host_identity(identity);
      (*facts.mutable_labels())["site"] = "tokyo";
      (*insert)->Bind(1, id);
      (*insert)->Bind(2, absl::StrCat("hash-", id));
      (*insert)->Bind(3, identity);
      (*insert)->Bind(4, id);
      (*insert)->BindBlob(5, facts.SerializeAsString());
      ASSERT_TRUE((*insert)->Run().ok());
      (*insert)->Reset();
    }
    ASSERT_TRUE(
        db.Exec("INSERT INTO device_labels VALUES ('dev-guid', 'site', "
                "'tokyo'); INSERT INTO jobs (id, kind, spec, state, "
                "created_by, created_at) VALUES ('job-1', 'install', x'', 2, "
                "'admin', 1); INSERT INTO tasks (id, job_id, device_id, "
                "state, plan, created_at) VALUES ('task-1', 'job-1', "
                "'dev-guid', 1, x'', 1); PRAGMA journal_mode = WAL")
            .ok());
  }
  auto store = Store::Open(path, OpenMode::kExisting, clock_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(QueryInt(**store, "SELECT max(version) FROM schema_migrations"),
            LatestSchemaVersion());
  EXPECT_EQ(QueryInt(**store, "PRAGMA foreign_keys"), 1);
  EXPECT_EQ(QueryInt(**store, "SELECT count(*) FROM devices"), 2);
  EXPECT_EQ(QueryInt(**store, "SELECT count(*) FROM device_labels"), 1);
  EXPECT_EQ(QueryInt(**store,
                     "SELECT count(*) FROM tasks WHERE device_id = 'dev-guid'"),
            1);
  std::map<std::string, std::pair<std::string, v1::DeviceFacts>> rows;
  ASSERT_TRUE((*store)
                  ->Read([&](Connection& db) -> absl::Status {
                    ASSIGN_OR_RETURN(
                        std::unique_ptr<Statement> st,
                        db.PrepareOnce("SELECT id, host_identity_sha256, "
                                       "facts, scope_labels FROM devices"));
                    while (true) {
                      ASSIGN_OR_RETURN(bool row, st->Step());
                      if (!row) break;
                      v1::DeviceFacts facts;
                      EXPECT_TRUE(facts.ParseFromString(st->ColumnBlob(2)));
                      EXPECT_EQ(st->ColumnText(3), "site=tokyo");
                      rows[st->ColumnText(0)] = {st->ColumnText(1), facts};
                    }
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows["dev-guid"].first, Sha256Hex(guid));
  EXPECT_EQ(rows["dev-guid"].second.host_identity_sha256(), Sha256Hex(guid));
  EXPECT_EQ(rows["dev-guid"].second.host_identity(), "");
  EXPECT_EQ(rows["dev-guid"].second.labels().at("site"), "tokyo");
  EXPECT_EQ(rows["dev-name"].first, "");
  EXPECT_EQ(rows["dev-name"].second.host_identity_sha256(), "");
  EXPECT_EQ(rows["dev-name"].second.host_identity(), "");

  // One holder per identity; a duplicate may carry it too.
  ASSERT_TRUE((*store)
                  ->Write([&](Connection& db) -> absl::Status {
                    return db.Exec(absl::StrCat(
                        "INSERT INTO devices (id, token_hash, "
                        "host_identity_sha256, hostname, os_family, "
                        "mde_state, facts, enrolled_at, last_seen_at, "
                        "duplicate_of) VALUES ('dev-dup', 'h3', '",
                        Sha256Hex(guid),
                        "', 'x', 3, 2, x'', 1, 1, "
                        "'dev-guid')"));
                  })
                  .ok());
  absl::Status second_holder =
      (*store)->Write([&](Connection& db) -> absl::Status {
        return db.Exec(absl::StrCat(
            "INSERT INTO devices (id, token_hash, host_identity_sha256, "
            "hostname, os_family, mde_state, facts, enrolled_at, "
            "last_seen_at) VALUES ('dev-two', 'h4', '",
            Sha256Hex(guid), "', 'x', 3, 2, x'', 1, 1)"));
      });
  EXPECT_FALSE(second_holder.ok());
  // Nothing of the raw values is left in the file, freed pages included.
  store->reset();
  for (const std::string& file : {path, path + "-wal"}) {
    const std::string bytes = ReadFile(file);
    EXPECT_EQ(bytes.find(guid), std::string::npos) << file;
    EXPECT_EQ(bytes.find("hostname:web-02"), std::string::npos) << file;
  }
}

TEST_F(StoreOpenTest, MigrationFunctionsHashAndRewriteFacts) {
  auto raw = Connection::Open(Path("f.db"),
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

// A version-12 database, a copy of the plan with every task: version 13
// keeps one copy per distinct plan, each task pointing at its own, and a
// plan stored later finds the migrated copy by its hash.
TEST_F(StoreOpenTest, AVersion12DatabaseKeepsOneCopyOfEachPlan) {
  const std::string path = Path("v12.db");
  v1::Plan shared;
  shared.add_steps()->set_name("check_os");
  shared.add_steps()->set_name("run_onboarding_script");
  v1::Plan other = shared;
  other.add_steps()->set_name("verify_onboarding");
  {
    auto raw =
        Connection::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(raw.ok());
    Connection& db = **raw;
    ASSERT_TRUE(RegisterMigrationFunctions(db).ok());
    for (int i = 0; i < 12; ++i) {
      ASSERT_TRUE(db.Exec(EmbeddedMigrations()[i].sql).ok()) << i;
      ASSERT_TRUE(
          db.Exec(absl::StrCat("INSERT INTO schema_migrations VALUES (", i + 1,
                               ", '", EmbeddedMigrations()[i].file, "', 0)"))
              .ok());
    }
    ASSERT_TRUE(
        db.Exec("INSERT INTO jobs (id, kind, spec, state, created_by, "
                "created_at) VALUES ('job-1', 'onboard', x'', 2, 'admin', 1)")
            .ok());
    auto device = db.PrepareOnce(
        "INSERT INTO devices (id, token_hash, hostname, os_family, mde_state, "
        "facts, enrolled_at, last_seen_at) VALUES (?1, ?1, ?1, 3, 1, x'', 1, "
        "1)");
    auto task = db.PrepareOnce(
        "INSERT INTO tasks (id, job_id, device_id, state, created_at) VALUES "
        "(?1, 'job-1', ?1, 1, 1)");
    auto plan = db.PrepareOnce("INSERT INTO task_plans VALUES (?1, ?2)");
    ASSERT_TRUE(task.ok() && plan.ok());
    for (const auto& [id, p] : std::vector<std::pair<std::string, v1::Plan>>{
             {"task-a", shared}, {"task-b", shared}, {"task-c", other}}) {
      ASSERT_TRUE(device.ok());
      (*device)->Bind(1, id);
      ASSERT_TRUE((*device)->Run().ok());
      (*device)->Reset();
      (*task)->Bind(1, id);
      ASSERT_TRUE((*task)->Run().ok());
      (*task)->Reset();
      (*plan)->Bind(1, id);
      (*plan)->BindBlob(2, p.SerializeAsString());
      ASSERT_TRUE((*plan)->Run().ok());
      (*plan)->Reset();
    }
    ASSERT_TRUE(db.Exec("PRAGMA journal_mode = WAL").ok());
  }
  auto store = Store::Open(path, OpenMode::kExisting, clock_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(QueryInt(**store, "SELECT max(version) FROM schema_migrations"),
            LatestSchemaVersion());
  EXPECT_EQ(QueryInt(**store, "SELECT count(*) FROM plans"), 2);
  EXPECT_EQ(QueryInt(**store, "SELECT count(*) FROM task_plans"), 3);
  std::map<std::string, std::string> plans;
  ASSERT_TRUE(
      (*store)
          ->Write([&](Connection& db) -> absl::Status {
            ASSIGN_OR_RETURN(
                std::unique_ptr<Statement> st,
                db.PrepareOnce("SELECT tp.task_id, p.plan FROM task_plans tp "
                               "JOIN plans p ON p.id = tp.plan_id"));
            while (true) {
              ASSIGN_OR_RETURN(bool row, st->Step());
              if (!row) break;
              plans[st->ColumnText(0)] = st->ColumnBlob(1);
            }
            // The same bytes again: the migrated copy, found by its hash.
            ASSIGN_OR_RETURN(const bool changed,
                             SetTaskPlan(db, "task-a", shared));
            if (changed) return absl::InternalError("task-a's plan changed");
            return SetTaskPlan(db, "task-b", other).status();
          })
          .ok());
  EXPECT_EQ(plans["task-a"], shared.SerializeAsString());
  EXPECT_EQ(plans["task-b"], shared.SerializeAsString());
  EXPECT_EQ(plans["task-c"], other.SerializeAsString());
  EXPECT_EQ(QueryInt(**store, "SELECT count(*) FROM plans"), 2);
  EXPECT_EQ(QueryInt(**store,
                     "SELECT count(*) FROM task_plans WHERE plan_id = (SELECT "
                     "plan_id FROM task_plans WHERE task_id = 'task-c')"),
            2);
}

}  // namespace
}  // namespace mdefleet::store
