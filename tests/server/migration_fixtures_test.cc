// Migration tests from fixtures: each tests/data/migrations/vNNNN.sql is a
// database as schema version NNNN left it, with rows of every version so
// far (tests/data/migrations/README.md). Opened by this server, it is
// migrated to the latest version and must then have exactly the schema of
// a database created now, still hold every row it held, and hold the data
// the migrations rewrite (0002's defaults, 0005's roles, 0007's identity
// hashes, 0012's and 0013's plans and step counts) rewritten.
#include <algorithm>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/plan.pb.h"
#include "mdefleet/v1/types.pb.h"
#include "server/store/jobs.h"
#include "server/store/migrations.h"
#include "server/store/sqlite.h"
#include "server/store/store.h"
#include "server/store/task_plans.h"
#include "tests/server/test_env.h"
#include "tests/testing/file_contents.h"

namespace mdefleet::store {
namespace {

namespace fs = std::filesystem;
using ::mdefleet::testing::FakeClock;
using ::mdefleet::testing::FileContents;
using ::mdefleet::testing::TempDir;
using ::mdefleet::testing::TestEpoch;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

struct Fixture {
  int version;
  std::string path;
};

void PrintTo(const Fixture& fixture, std::ostream* os) { *os << fixture.path; }

std::vector<Fixture> Fixtures() {
  std::vector<Fixture> out;
  for (const auto& entry :
       fs::directory_iterator(MDEFLEET_MIGRATION_FIXTURES_DIR)) {
    const std::string name = entry.path().filename().string();
    int version = 0;
    if (name.size() == 9 && name[0] == 'v' && absl::EndsWith(name, ".sql") &&
        absl::SimpleAtoi(name.substr(1, 4), &version)) {
      out.push_back({version, entry.path().string()});
    }
  }
  std::sort(out.begin(), out.end(), [](const Fixture& a, const Fixture& b) {
    return a.version < b.version;
  });
  return out;
}

// The first column of each row of `sql`.
std::vector<std::string> Texts(Connection& db, const std::string& sql) {
  std::vector<std::string> out;
  auto st = db.PrepareOnce(sql);
  EXPECT_TRUE(st.ok()) << st.status() << "\n" << sql;
  if (!st.ok()) return out;
  while (true) {
    absl::StatusOr<bool> row = (*st)->Step();
    EXPECT_TRUE(row.ok()) << row.status() << "\n" << sql;
    if (!row.ok() || !*row) break;
    out.push_back((*st)->ColumnText(0));
  }
  return out;
}

int64_t Int(Connection& db, const std::string& sql) {
  const std::vector<std::string> texts = Texts(db, sql);
  int64_t value = -1;
  EXPECT_TRUE(texts.size() == 1 && absl::SimpleAtoi(texts[0], &value)) << sql;
  return value;
}

// What defines the schema, SQLite's own objects aside: "type name: sql"
// with white space folded, sorted (the order objects were made in may
// differ between a migrated and a fresh database).
std::vector<std::string> Schema(Connection& db) {
  std::vector<std::string> out;
  for (const std::string& row :
       Texts(db,
             "SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM "
             "sqlite_schema WHERE name NOT LIKE 'sqlite_%'")) {
    out.push_back(absl::StrJoin(
        absl::StrSplit(row, absl::ByAnyChar(" \n\t"), absl::SkipEmpty()), " "));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Tables(Connection& db) {
  return Texts(db,
               "SELECT name FROM sqlite_schema WHERE type = 'table' AND name "
               "NOT LIKE 'sqlite_%' ORDER BY name");
}

std::vector<std::string> Columns(Connection& db, const std::string& table) {
  return Texts(db, absl::StrCat("SELECT name FROM pragma_table_info('", table,
                                "') ORDER BY name"));
}

// Every row of `table` as SQL literals of `columns`, sorted.
std::vector<std::string> Rows(Connection& db, const std::string& table,
                              const std::vector<std::string>& columns) {
  std::vector<std::string> quoted;
  for (const std::string& c : columns) {
    quoted.push_back(absl::StrCat("quote(\"", c, "\")"));
  }
  std::vector<std::string> rows =
      Texts(db, absl::StrCat("SELECT ", absl::StrJoin(quoted, " || ', ' || "),
                             " FROM \"", table, "\""));
  std::sort(rows.begin(), rows.end());
  return rows;
}

std::unique_ptr<SqliteConnection> OpenRaw(const std::string& path) {
  auto db =
      SqliteConnection::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? *std::move(db) : nullptr;
}

// What the test keeps of the fixture before it is migrated.
struct Before {
  std::map<std::string, std::vector<std::string>> columns;  // by table
  std::map<std::string, std::string> host_identities;       // by device id
  std::map<std::string, std::string> facts;                 // by device id
  std::map<std::string, std::string> plans;                 // by task id
  std::map<std::string, int64_t> job_states;                // by job id
};

// Reads (blob) column pairs of `sql` into `out`.
void ReadPairs(Connection& db, const std::string& sql,
               std::map<std::string, std::string>& out) {
  auto st = db.PrepareOnce(sql);
  ASSERT_TRUE(st.ok()) << st.status();
  while (true) {
    absl::StatusOr<bool> row = (*st)->Step();
    ASSERT_TRUE(row.ok()) << row.status();
    if (!*row) break;
    out[(*st)->ColumnText(0)] = (*st)->ColumnBlob(1);
  }
}

class MigrationFixturesTest : public ::testing::TestWithParam<Fixture> {
 protected:
  int version() const { return GetParam().version; }

  // The fixture loaded into the file to migrate, and into an untouched
  // copy to compare with.
  void Load() {
    const std::string dump = FileContents(GetParam().path);
    {
      auto copy = OpenRaw(fixture_copy_);
      ASSERT_NE(copy, nullptr);
      ASSERT_TRUE(copy->Exec(dump).ok()) << GetParam().path;
    }
    auto db = OpenRaw(path_);
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->Exec(dump).ok());
    auto recorded = SchemaVersion(*db);
    ASSERT_TRUE(recorded.ok()) << recorded.status();
    ASSERT_EQ(*recorded, version()) << "the fixture's name and its "
                                       "schema_migrations disagree";
    for (const std::string& table : Tables(*db)) {
      before_.columns[table] = Columns(*db, table);
    }
    if (version() < 7) {
      ReadPairs(*db, "SELECT id, host_identity FROM devices",
                before_.host_identities);
    }
    ReadPairs(*db, "SELECT id, facts FROM devices", before_.facts);
    if (version() < 12) {
      ReadPairs(*db, "SELECT id, plan FROM tasks", before_.plans);
    } else if (version() == 12) {
      ReadPairs(*db, "SELECT task_id, plan FROM task_plans", before_.plans);
    }
    std::map<std::string, std::string> states;
    ReadPairs(*db, "SELECT id, state FROM jobs", states);
    for (const auto& [id, state] : states) {
      ASSERT_TRUE(absl::SimpleAtoi(state, &before_.job_states[id]));
    }
  }

  // Rows of the tables the fixture had, compared column by column where
  // the column still exists; `rewritten` columns (a migration changes
  // their values) are left to their own checks.
  void ExpectRowsKept(Connection& db, const std::set<std::string>& rewritten) {
    auto fixture = OpenRaw(fixture_copy_);
    ASSERT_NE(fixture, nullptr);
    const std::vector<std::string> tables = Tables(db);
    for (const auto& [table, columns] : before_.columns) {
      SCOPED_TRACE(table);
      ASSERT_TRUE(std::find(tables.begin(), tables.end(), table) !=
                  tables.end())
          << "a table of the fixture is gone";
      const std::vector<std::string> now = Columns(db, table);
      std::vector<std::string> kept;
      for (const std::string& c : columns) {
        if (std::find(now.begin(), now.end(), c) != now.end() &&
            rewritten.count(absl::StrCat(table, ".", c)) == 0) {
          kept.push_back(c);
        }
      }
      std::vector<std::string> expected = Rows(*fixture, table, kept);
      if (table == "schema_migrations") {
        // Then one row per version applied now, at the clock's time.
        for (int v = version() + 1; v <= LatestSchemaVersion(); ++v) {
          expected.push_back(
              absl::StrCat(absl::ToUnixMicros(clock_.Now()), ", '",
                           EmbeddedMigrations()[v - 1].file, "', ", v));
        }
        std::sort(expected.begin(), expected.end());
      }
      EXPECT_THAT(Rows(db, table, kept), ElementsAreArray(expected));
    }
  }

  TempDir dir_;
  FakeClock clock_{TestEpoch()};
  std::string path_ = dir_.Join("migrated.db");
  std::string fixture_copy_ = dir_.Join("fixture.db");
  Before before_;
};

TEST_P(MigrationFixturesTest, MigratesToTheCurrentSchemaKeepingEveryRow) {
  ASSERT_NO_FATAL_FAILURE(Load());
  {
    auto store = Store::Open(path_, OpenMode::kExisting, clock_);
    ASSERT_TRUE(store.ok()) << store.status();
  }
  {
    auto fresh = Store::Open(dir_.Join("fresh.db"), OpenMode::kCreate, clock_);
    ASSERT_TRUE(fresh.ok()) << fresh.status();
  }
  auto fresh = OpenRaw(dir_.Join("fresh.db"));
  auto db = OpenRaw(path_);
  ASSERT_TRUE(fresh != nullptr && db != nullptr);

  // The schema of a database created now, to the letter.
  auto migrated_version = SchemaVersion(*db);
  ASSERT_TRUE(migrated_version.ok()) << migrated_version.status();
  EXPECT_EQ(*migrated_version, LatestSchemaVersion());
  EXPECT_THAT(Schema(*db), ElementsAreArray(Schema(*fresh)));
  EXPECT_THAT(Texts(*db, "PRAGMA integrity_check"), ElementsAreArray({"ok"}));
  EXPECT_THAT(Texts(*db, "SELECT \"table\" FROM pragma_foreign_key_check"),
              IsEmpty());

  // Every row kept: in the fixture's tables, by the columns that are left.
  std::set<std::string> rewritten;
  if (version() < 7) rewritten.insert("devices.facts");
  ExpectRowsKept(*db, rewritten);
  // Tables made since hold only what a migration filled in.
  for (const std::string& table : Tables(*db)) {
    if (before_.columns.count(table) > 0 || table == "job_step_counts" ||
        table == "plans" || table == "task_plans") {
      continue;
    }
    EXPECT_EQ(Int(*db, absl::StrCat("SELECT count(*) FROM \"", table, "\"")), 0)
        << table;
  }

  // 0002: jobs from before it behave as before (no canary, one wave, no
  // deadline, no threshold, no retries).
  if (version() < 2) {
    ASSERT_GT(before_.job_states.size(), 0u) << "no job to migrate";
    EXPECT_EQ(Int(*db,
                  "SELECT count(*) FROM jobs WHERE NOT (wave = 1 AND canary = "
                  "0 AND wave_size = 0 AND deadline_at IS NULL AND "
                  "max_failures IS NULL AND retries = 0 AND expired = 0 AND "
                  "lease_micros = 0 AND wave_opens_at = 0 AND pause_cause = "
                  "0)"),
              0);
  }
  // 0005: the API tokens from before roles are admins; secrets have none.
  if (version() < 5) {
    ASSERT_GT(Int(*db, "SELECT count(*) FROM credentials WHERE kind = 'admin'"),
              0);
    ASSERT_GT(
        Int(*db, "SELECT count(*) FROM credentials WHERE kind = 'enrollment'"),
        0);
    EXPECT_EQ(Int(*db,
                  "SELECT count(*) FROM credentials WHERE role IS NOT (CASE "
                  "kind WHEN 'admin' THEN 'admin' END)"),
              0);
  }
  // 0007: host identities are hashes, in the column and in the facts; the
  // "hostname:" stand-ins are gone; the rest of the facts is as it was.
  if (version() < 7) {
    std::map<std::string, std::string> hashes;
    std::map<std::string, std::string> facts;
    ReadPairs(*db, "SELECT id, host_identity_sha256 FROM devices", hashes);
    ReadPairs(*db, "SELECT id, facts FROM devices", facts);
    bool stand_in = false;
    for (const auto& [id, identity] : before_.host_identities) {
      SCOPED_TRACE(id);
      const bool none =
          identity.empty() || absl::StartsWith(identity, "hostname:");
      stand_in |= absl::StartsWith(identity, "hostname:");
      const std::string expected = none ? "" : Sha256Hex(identity);
      EXPECT_EQ(hashes[id], expected);
      v1::DeviceFacts was;
      v1::DeviceFacts now;
      ASSERT_TRUE(was.ParseFromString(before_.facts[id]));
      ASSERT_TRUE(now.ParseFromString(facts[id]));
      was.clear_host_identity();
      was.set_host_identity_sha256(expected);
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(was, now))
          << now.ShortDebugString();
    }
    EXPECT_TRUE(stand_in) << "the fixture has no \"hostname:\" identity";
  }
  // 0012, 0013: each task's plan, one stored copy per distinct plan.
  if (version() < 13) {
    std::map<std::string, std::string> plans;
    ReadPairs(*db,
              "SELECT tp.task_id, p.plan FROM task_plans tp JOIN plans p ON "
              "p.id = tp.plan_id",
              plans);
    EXPECT_EQ(plans, before_.plans);
    std::set<std::string> distinct;
    for (const auto& [task, plan] : before_.plans) distinct.insert(plan);
    EXPECT_LT(distinct.size(), before_.plans.size())
        << "no two tasks of the fixture share a plan";
    EXPECT_EQ(Int(*db, "SELECT count(*) FROM plans"),
              static_cast<int64_t>(distinct.size()));
  }
  // 0012: the step counts agree with the steps.
  EXPECT_THAT(
      Texts(*db,
            "WITH actual AS (SELECT job_id, name, state, count(*) AS n FROM "
            "steps WHERE superseded = 0 GROUP BY job_id, name, state), kept "
            "AS (SELECT job_id, name, state, count AS n FROM job_step_counts "
            "WHERE count <> 0) SELECT job_id || ' ' || name FROM (SELECT * "
            "FROM actual EXCEPT SELECT * FROM kept UNION ALL SELECT * FROM "
            "kept EXCEPT SELECT * FROM actual)"),
      IsEmpty());
  db.reset();

  // 0007 ran with secure_delete: no raw identity is left in the file, in
  // freed pages neither.
  for (const auto& [id, identity] : before_.host_identities) {
    for (const std::string& file : {path_, path_ + "-wal"}) {
      EXPECT_FALSE(absl::StrContains(FileContents(file), identity))
          << identity << " in " << file;
    }
  }
}

// The migrated database serves: every job reads back as it was, a plan
// stored again is found by its hash, one device holds an identity.
TEST_P(MigrationFixturesTest, TheMigratedDatabaseServes) {
  ASSERT_NO_FATAL_FAILURE(Load());
  {
    auto store = Store::Open(path_, OpenMode::kExisting, clock_);
    ASSERT_TRUE(store.ok()) << store.status();
  }
  // Opened again: nothing left to apply.
  auto store = Store::Open(path_, OpenMode::kExisting, clock_);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::Status checked = (*store)->Write([&](Connection& db) -> absl::Status {
    EXPECT_EQ(Int(db, "SELECT count(*) FROM schema_migrations"),
              LatestSchemaVersion());
    EXPECT_EQ(Int(db, "PRAGMA foreign_keys"), 1);
    for (const auto& [id, state] : before_.job_states) {
      ASSIGN_OR_RETURN(std::optional<v1::Job> job, GetJob(db, id));
      EXPECT_TRUE(job.has_value()) << id;
      if (job.has_value()) {
        EXPECT_EQ(job->state(), state) << id;
      }
    }
    // task-1a has the onboard plan every fixture's onboard tasks share.
    const int64_t plans = Int(db, "SELECT count(*) FROM plans");
    v1::Plan plan;
    const std::vector<std::string> bytes = Texts(
        db,
        "SELECT p.plan FROM task_plans tp JOIN plans p ON p.id = tp.plan_id "
        "WHERE tp.task_id = 'task-1a'");
    EXPECT_EQ(bytes.size(), 1u);
    if (bytes.size() == 1) {
      EXPECT_TRUE(plan.ParseFromString(bytes[0]));
    }
    ASSIGN_OR_RETURN(const bool changed, SetTaskPlan(db, "task-1b", plan));
    EXPECT_FALSE(changed) << "task-1b's plan is task-1a's";
    EXPECT_EQ(Int(db, "SELECT count(*) FROM plans"), plans);
    // One holder per identity: a second is refused.
    const std::vector<std::string> holder =
        Texts(db,
              "SELECT host_identity_sha256 FROM devices WHERE id = "
              "'dev-web-01'");
    const std::string held = holder.empty() ? "" : holder[0];
    EXPECT_FALSE(held.empty());
    EXPECT_FALSE(db.Exec(absl::StrCat("INSERT INTO devices (id, token_hash, "
                                      "host_identity_sha256, hostname, "
                                      "os_family, mde_state, facts, "
                                      "enrolled_at, last_seen_at) VALUES "
                                      "('dev-two', 'h-two', '",
                                      held, "', 'x', 3, 2, x'', 1, 1)"))
                     .ok());
    return absl::OkStatus();
  });
  EXPECT_TRUE(checked.ok()) << checked;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, MigrationFixturesTest,
                         ::testing::ValuesIn(Fixtures()),
                         [](const ::testing::TestParamInfo<Fixture>& info) {
                           return absl::StrCat("v", info.param.version);
                         });

// Every released schema version has its fixture, the current one included
// (the next migration's fixture is made from it).
TEST(MigrationFixtures, OneForEveryVersion) {
  std::vector<int> versions;
  for (const Fixture& f : Fixtures()) versions.push_back(f.version);
  std::vector<int> expected;
  for (int v = 1; v <= LatestSchemaVersion(); ++v) expected.push_back(v);
  EXPECT_THAT(versions, ElementsAreArray(expected))
      << "make the missing ones: tests/data/migrations/README.md";
}

}  // namespace
}  // namespace mdefleet::store
