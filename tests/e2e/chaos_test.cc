// Chaos: an onboarding rollout to 300 simulated servers (10 runner processes
// of 30) while the test kills the server with SIGKILL 5 times and runner
// processes mid-step 10 times, restarting each. On the PostgreSQL store
// (pg.Chaos.*) two server replicas serve the runners, which fail over
// between them, and 10 server kills take turns between the two. At the end
// every task is final, every server that can be onboarded is (its task
// succeeded, or was skipped because an interrupted attempt had onboarded it),
// no step ran twice in one attempt (the simulated machines record every program
// start, across restarts), the job's counters agree with its tasks, and a
// SQLite database passes PRAGMA integrity_check.
//
// MDEFLEET_CHAOS_SEED=N replays a schedule; the seed used is printed.
#include <sqlite3.h>
#include <stdlib.h>

#include <iostream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/plan.pb.h"
#include "runner/client/task_runner.h"
#include "runner/executor/action_policy.h"
#include "runner/host/sim/simulated_host.h"
#include "server/store/postgres/db_target.h"
#include "server/store/postgres/pg_connection.h"
#include "server/store/sqlite.h"
#include "tests/e2e/e2e_environment.h"
#include "tests/testing/eventually.h"

namespace mdefleet::testing {
namespace {

constexpr int kFleets = 10;
constexpr int kPerFleet = 30;
constexpr int kDevices = kFleets * kPerFleet;
constexpr int kServerKills = 5;
constexpr int kRunnerKills = 10;

// A view of the server's store while it runs: the SQLite file (WAL:
// readable meanwhile), or the PostgreSQL database.
class Db {
 public:
  explicit Db(const std::string& db) {
    absl::StatusOr<store::DbTarget> target = store::ParseDbTarget(db, "db");
    if (!target.ok()) {
      ADD_FAILURE() << target.status();
      return;
    }
    if (target->kind == store::DbTarget::Kind::kPostgres) {
      auto conn = store::postgres::PgConnection::Open(target->postgres_url);
      if (conn.ok()) conn_ = *std::move(conn);
    } else {
      auto conn = store::SqliteConnection::Open(target->sqlite_path,
                                                SQLITE_OPEN_READONLY);
      if (conn.ok() && (*conn)->Exec("PRAGMA busy_timeout = 5000").ok()) {
        conn_ = *std::move(conn);
      }
    }
    if (conn_ == nullptr) ADD_FAILURE() << "cannot open " << db;
  }

  // Rows of `sql` (bound to `args` in order), each column as text.
  std::vector<std::vector<std::string>> Query(
      const std::string& sql, const std::vector<std::string>& args = {}) {
    std::vector<std::vector<std::string>> rows;
    if (conn_ == nullptr) return rows;
    auto st = conn_->PrepareOnce(sql);
    if (!st.ok()) {
      ADD_FAILURE() << sql << ": " << st.status();
      return rows;
    }
    for (size_t i = 0; i < args.size(); ++i) {
      (*st)->Bind(static_cast<int>(i + 1), args[i]);
    }
    for (;;) {
      absl::StatusOr<bool> row = (*st)->Step();
      if (!row.ok()) ADD_FAILURE() << sql << ": " << row.status();
      if (!row.ok() || !*row) break;
      std::vector<std::string> columns;
      for (int c = 0; c < (*st)->ColumnCount(); ++c) {
        columns.push_back((*st)->ColumnBlob(c));
      }
      rows.push_back(std::move(columns));
    }
    return rows;
  }
  int64_t Int(const std::string& sql,
              const std::vector<std::string>& args = {}) {
    auto rows = Query(sql, args);
    int64_t n = -1;
    if (rows.empty() || !absl::SimpleAtoi(rows[0][0], &n)) return -1;
    return n;
  }

 private:
  std::unique_ptr<store::Connection> conn_;
};

uint32_t ChaosSeed() {
  uint32_t seed = 0;
  const char* env = getenv("MDEFLEET_CHAOS_SEED");
  if (env != nullptr && absl::SimpleAtoi(env, &seed)) return seed;
  return std::random_device()();
}

// The fleet process that runs server `hostname` (SIM-<OS>-<number>).
int FleetOf(const std::string& hostname) {
  int number = 0;
  if (!absl::SimpleAtoi(hostname.substr(hostname.rfind('-') + 1), &number)) {
    return 0;
  }
  return number / kPerFleet;
}

TEST(Chaos, RolloutSurvivesServerAndRunnerKills) {
  const uint32_t seed = ChaosSeed();
  std::cout << "chaos seed " << seed << " (MDEFLEET_CHAOS_SEED to replay)\n";
  std::mt19937 rng(seed);
  auto uniform_ms = [&](int lo, int hi) {
    return absl::Milliseconds(std::uniform_int_distribution<int>(lo, hi)(rng));
  };

  auto env_or = E2eEnvironment::Start({"--lease-duration", "20s"});
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  const std::string db_path = env.db_path();
  // On the PostgreSQL store two replicas serve, and the server kills take
  // turns between them: runners fail over to the one that is up.
  const bool replicas = store::IsPostgresUrl(db_path);
  if (replicas) {
    absl::Status added = env.AddServer();
    ASSERT_TRUE(added.ok()) << added;
  }
  const size_t servers = replicas ? 2 : 1;
  // Steps slow enough that the rollout outlasts the kill schedule below
  // (about 25 s) by far: it runs about 60 s (70 s at 2 s a step, which
  // added nothing but time after the last kill).
  for (int f = 0; f < kFleets; ++f) {
    ASSERT_TRUE(
        env.StartFleet(kPerFleet, f * kPerFleet, {"--sim-delay-ms", "1200"})
            .ok());
  }
  ASSERT_TRUE(env.WaitForDevices(kDevices, absl::Seconds(120)).ok());
  auto onboarding = env.UploadOnboardingArtifacts();
  ASSERT_TRUE(onboarding.ok()) << onboarding.status();
  ProcessOutput submit =
      env.Ctl({"jobs", "submit", "onboard", "--target", "all",
               "--onboarding-script", *onboarding, "--max-in-flight", "15",
               "--retries", "6", "--retry-backoff", "1s", "-o", "json"});
  ASSERT_EQ(submit.exit_code, 0) << submit.err;
  Db db(db_path);
  const std::string job_id =
      db.Query("SELECT id FROM jobs ORDER BY rowid DESC LIMIT 1")[0][0];

  // The schedule: 5 server kills and 10 runner kills in a random order, a
  // moment apart, each once work is running.
  std::vector<char> events(replicas ? 2 * kServerKills : kServerKills, 'S');
  events.insert(events.end(), kRunnerKills, 'R');
  std::shuffle(events.begin(), events.end(), rng);
  int runner_kills_mid_step = 0;
  int server_kills = 0;
  std::vector<int> kills_of(servers, 0);
  for (char event : events) {
    absl::SleepFor(uniform_ms(300, 1500));
    if (event == 'S') {
      const size_t victim = static_cast<size_t>(server_kills++) % servers;
      ++kills_of[victim];
      env.KillServer(victim);
      absl::SleepFor(uniform_ms(100, 800));
      ASSERT_TRUE(env.RestartServer(victim).ok());
      continue;
    }
    // A runner process with a step running on one of its servers.
    std::vector<std::vector<std::string>> running;
    for (int tries = 0; tries < 300 && running.empty(); ++tries) {
      running = db.Query(
          "SELECT d.hostname FROM steps s JOIN tasks t ON t.id = s.task_id "
          "AND t.attempt = s.attempt JOIN devices d ON d.id = t.device_id "
          "WHERE s.state = 2 AND t.state = 3");
      if (running.empty()) absl::SleepFor(absl::Milliseconds(100));
    }
    int fleet = std::uniform_int_distribution<int>(0, kFleets - 1)(rng);
    if (!running.empty()) {
      fleet = FleetOf(running[std::uniform_int_distribution<size_t>(
          0, running.size() - 1)(rng)][0]);
      ++runner_kills_mid_step;
    }
    env.KillRunner(fleet);
    absl::SleepFor(uniform_ms(100, 800));
    ASSERT_TRUE(env.RestartRunner(fleet).ok());
  }

  // Every task ends.
  int64_t open = -1;
  ASSERT_TRUE(Eventually(
      [&] {
        open = db.Int(
            "SELECT count(*) FROM tasks WHERE job_id = ?1 AND "
            "state IN (1, 2, 3)",
            {job_id});
        return open == 0;
      },
      absl::Minutes(5), absl::Milliseconds(500)))
      << open << " tasks still open; server log:\n"
      << env.server_log();
  ASSERT_EQ(open, 0) << "tasks still open; server log:\n" << env.server_log();
  // Let the last facts arrive, then stop everything cleanly.
  absl::SleepFor(absl::Seconds(1));
  for (int f = 0; f < kFleets; ++f) env.KillRunner(f);

  // Every server that can be onboarded is: all but those still reporting to
  // MMA (their precheck refuses: migrate_mma is the job for them).
  int onboarded = 0;
  int mma = 0;
  for (const auto& row : db.Query(
           "SELECT d.hostname, d.facts, t.state, coalesce(t.message, '') "
           "FROM devices d JOIN tasks t ON t.device_id = d.id WHERE t.job_id "
           "= ?1",
           {job_id})) {
    v1::DeviceFacts facts;
    ASSERT_TRUE(facts.ParseFromString(row[1]));
    if (facts.mma_workspaces_size() > 0) {
      ++mma;
      EXPECT_EQ(row[2], absl::StrCat(v1::TASK_STATE_FAILED)) << row[0];
      continue;
    }
    // Skipped: an attempt that ran the onboarding but died before reporting
    // it was followed by one that found the server already onboarded.
    EXPECT_TRUE(row[2] == absl::StrCat(v1::TASK_STATE_SUCCEEDED) ||
                row[2] == absl::StrCat(v1::TASK_STATE_SKIPPED))
        << row[0] << ": " << row[3];
    EXPECT_EQ(facts.mde_state(), v1::MDE_STATE_ONBOARDED) << row[0];
    if (facts.mde_state() == v1::MDE_STATE_ONBOARDED) ++onboarded;
  }
  EXPECT_EQ(onboarded + mma, kDevices);

  // No step ran twice in one attempt: every start of a program a task's plan
  // runs (the simulated machine records when) falls inside the time one
  // attempt of that step was running (from its RUNNING report to its final
  // one), and no attempt holds two starts.
  int programs_checked = 0;
  int retried_tasks = 0;
  for (const auto& row :
       db.Query("SELECT t.id, d.hostname, p.plan, t.attempt FROM tasks t JOIN "
                "devices d ON d.id = t.device_id JOIN task_plans tp ON "
                "tp.task_id = t.id JOIN plans p ON p.id = tp.plan_id WHERE "
                "t.job_id = ?1",
                {job_id})) {
    const std::string& task_id = row[0];
    const std::string& hostname = row[1];
    if (row[3] != "1") ++retried_tasks;
    v1::Plan plan;
    ASSERT_TRUE(plan.ParseFromString(row[2]));
    runner::sim::SimulatedHostOptions options;
    options.root_dir =
        absl::StrCat(env.runner_state_dir(FleetOf(hostname)), "/", hostname);
    options.hostname = hostname;
    auto host = runner::sim::SimulatedHost::Create(options);
    ASSERT_TRUE(host.ok()) << host.status();
    auto work_dir =
        runner::TaskWorkDirectory((*host)->StateDirectory(), task_id);
    ASSERT_TRUE(work_dir.ok());
    for (const v1::PlannedStep& step : plan.steps()) {
      if (!step.action().has_run_process()) continue;
      auto request =
          runner::BuildProcessRequest(step.action().run_process(), *work_dir);
      ASSERT_TRUE(request.ok()) << request.status();
      std::vector<std::pair<int64_t, int64_t>> windows;  // per attempt, micros
      for (const auto& w :
           db.Query("SELECT started_at, coalesce(finished_at, 9e18) FROM steps "
                    "WHERE task_id = ?1 AND name = ?2 AND state IN (2, 3, 4)",
                    {task_id, step.name()})) {
        int64_t from = 0, to = 0;
        ASSERT_TRUE(absl::SimpleAtoi(w[0], &from) &&
                    absl::SimpleAtoi(w[1], &to))
            << w[0] << " " << w[1];
        windows.emplace_back(from, to);
      }
      std::vector<int> starts_in(windows.size(), 0);
      for (absl::Time t :
           (*host)->ExecutionTimes(request->program, request->args)) {
        const int64_t at = absl::ToUnixMicros(t);
        bool inside = false;
        for (size_t i = 0; i < windows.size(); ++i) {
          if (windows[i].first <= at && at <= windows[i].second) {
            ++starts_in[i];
            inside = true;
          }
        }
        EXPECT_TRUE(inside) << hostname << " " << task_id << " " << step.name()
                            << ": started outside every attempt";
      }
      for (size_t i = 0; i < windows.size(); ++i) {
        EXPECT_LE(starts_in[i], 1) << hostname << " " << task_id << " "
                                   << step.name() << ": ran twice in one "
                                   << "attempt";
      }
      ++programs_checked;
    }
  }
  EXPECT_GT(programs_checked, kDevices / 2);
  EXPECT_EQ(runner_kills_mid_step, kRunnerKills)
      << "the rollout ended before every runner kill";

  // The job's counters agree with its tasks, whoever wrote them.
  EXPECT_EQ(db.Int("SELECT count(*) FROM jobs j WHERE j.id = ?1 AND j.total "
                   "= (SELECT count(*) FROM tasks t WHERE t.job_id = j.id) "
                   "AND j.succeeded = (SELECT count(*) FROM tasks t WHERE "
                   "t.job_id = j.id AND t.state = 4) AND j.failed = (SELECT "
                   "count(*) FROM tasks t WHERE t.job_id = j.id AND t.state = "
                   "5) AND j.skipped = (SELECT count(*) FROM tasks t WHERE "
                   "t.job_id = j.id AND t.state = 6)",
                   {job_id}),
            1);
  for (size_t i = 0; i < servers; ++i) env.KillServer(i);
  if (!replicas) {
    sqlite3* check = nullptr;
    ASSERT_EQ(sqlite3_open(db_path.c_str(), &check), SQLITE_OK);
    std::string integrity;
    sqlite3_exec(
        check, "PRAGMA integrity_check",
        [](void* out, int, char** values, char**) {
          *static_cast<std::string*>(out) += values[0];
          return 0;
        },
        &integrity, nullptr);
    sqlite3_close(check);
    EXPECT_EQ(integrity, "ok");
  }

  std::cout << "chaos: " << servers
            << (servers == 1 ? " server, " : " replicas, ") << server_kills
            << " server kills (";
  for (size_t i = 0; i < servers; ++i) {
    std::cout << (i == 0 ? "" : ", ") << kills_of[i] << " of server " << i;
  }
  std::cout << "), " << kRunnerKills << " runner kills ("
            << runner_kills_mid_step << " with a step running), "
            << retried_tasks << " tasks needed more than one attempt, "
            << onboarded << " onboarded, " << mma << " refused (MMA), "
            << programs_checked << " program steps checked\n";
}

}  // namespace
}  // namespace mdefleet::testing
