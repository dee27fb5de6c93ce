// Rollout safety with the real binaries: a failure threshold that pauses a
// rollout on a fleet where 20% of the servers cannot reach the Defender
// cloud, and a canary that waits for approval. Controls go through
// mdefleetctl; the audit rows are read from the server's database.
#include <sqlite3.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_environment.h"
#include "tests/e2e/e2e_helpers.h"

namespace mdefleet::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The job as `jobs get` shows it once `done` holds (or the last one read).
v1::Job WaitForJob(E2eEnvironment& env, const std::string& id,
                   const std::function<bool(const v1::Job&)>& done,
                   absl::Duration timeout = absl::Seconds(90)) {
  const absl::Time deadline = absl::Now() + timeout;
  v1::Job job;
  while (absl::Now() < deadline) {
    job.Clear();
    if (env.CtlJson({"jobs", "get", id}, &job).ok() && done(job)) return job;
    absl::SleepFor(absl::Milliseconds(200));
  }
  ADD_FAILURE() << "job " << id
                << " did not get there in time: " << job.ShortDebugString()
                << "\n"
                << env.server_log();
  return job;
}

// (action, actor, outcome) of every audit row about `job_id`.
std::vector<std::string> AuditRows(const std::string& db_path,
                                   const std::string& job_id) {
  sqlite3* db = nullptr;
  EXPECT_EQ(
      sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
      SQLITE_OK);
  std::vector<std::string> rows;
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db,
                               "SELECT action, actor, outcome FROM audit_log "
                               "WHERE job_id = ?1 ORDER BY id",
                               -1, &st, nullptr),
            SQLITE_OK);
  sqlite3_bind_text(st, 1, job_id.c_str(), -1, SQLITE_TRANSIENT);
  while (sqlite3_step(st) == SQLITE_ROW) {
    rows.push_back(absl::StrCat(
        reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), " ",
        reinterpret_cast<const char*>(sqlite3_column_text(st, 1)), " ",
        reinterpret_cast<const char*>(sqlite3_column_text(st, 2))));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

TEST(EndToEndRollout,
     FailuresOverTheThresholdPauseTheRolloutAndLeaseNothingMore) {
  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  // 10 servers, 2 (20%) without connectivity: their precheck fails.
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(env.StartRunner(i < 2 ? "ws2019+noconn" : "ws2019").ok());
  }
  ASSERT_TRUE(env.WaitForDevices(10, absl::Seconds(60)).ok());
  auto onboarding = env.UploadOnboardingArtifacts();
  ASSERT_TRUE(onboarding.ok()) << onboarding.status();

  // One task at a time: when the first failure pauses the job, the other
  // failing server is still queued.
  v1::SubmitJobResponse submitted;
  ASSERT_TRUE(env.CtlJson({"jobs", "submit", "onboard", "--target", "all",
                           "--onboarding-script", *onboarding, "--max-failures",
                           "5%", "--max-in-flight", "1"},
                          &submitted)
                  .ok());
  const std::string id = submitted.job().id();
  EXPECT_EQ(submitted.job().rollout().max_failures(), 0u);

  v1::Job job = WaitForJob(env, id, [](const v1::Job& j) {
    return j.state() == v1::JOB_STATE_PAUSED &&
           j.counts().leased() + j.counts().running() == 0;
  });
  ASSERT_EQ(job.state(), v1::JOB_STATE_PAUSED);
  EXPECT_EQ(job.rollout().pause_cause(), v1::PAUSE_CAUSE_MAX_FAILURES);
  EXPECT_THAT(job.state_reason(),
              StartsWith("paused: 1 failure exceeds --max-failures 5% (0 of "
                         "10 tasks); nothing more is leased"));
  EXPECT_EQ(job.counts().failed(), 1u);
  const uint32_t queued = job.counts().queued();
  EXPECT_GE(queued, 1u);
  ASSERT_GE(job.failing_steps_size(), 1);
  EXPECT_EQ(job.failing_steps(0).step_name(), "precheck_connectivity");

  // Longer than a poll: the runners keep polling, nothing is leased.
  absl::SleepFor(absl::Seconds(6));
  v1::Job later;
  ASSERT_TRUE(env.CtlJson({"jobs", "get", id}, &later).ok());
  EXPECT_EQ(later.state(), v1::JOB_STATE_PAUSED);
  EXPECT_EQ(later.counts().queued(), queued);
  EXPECT_EQ(later.counts().leased() + later.counts().running(), 0u);

  ProcessOutput get = env.Ctl({"jobs", "get", id});
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_THAT(get.out, HasSubstr("max failures   5% (0 of 10 tasks)"));
  EXPECT_THAT(get.out, HasSubstr("state          paused: 1 failure exceeds"));

  // Bad control input answers clearly and changes nothing.
  ProcessOutput again = env.Ctl({"jobs", "pause", id});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("error: refused: job_id: job " + id +
                                   " is already paused"));
  ProcessOutput cancel =
      env.Ctl({"jobs", "cancel", id, "--reason", "proxy misconfigured"});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.err;
  EXPECT_THAT(cancel.out, HasSubstr("cancelled by admin: proxy misconfigured"));
  ProcessOutput resume = env.Ctl({"jobs", "resume", id});
  EXPECT_EQ(resume.exit_code, 1);
  EXPECT_THAT(resume.err, HasSubstr("already ended (cancelled)"));

  EXPECT_THAT(AuditRows(env.dir() + "/mdefleet.db", id),
              ::testing::ElementsAre(
                  "submit_job admin ok", "pause_job admin refused",
                  "cancel_job admin ok", "resume_job admin refused"));
}

TEST(EndToEndRollout, ACanaryWaitsForApprovalThenTheRestFollows) {
  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(env.StartRunner("ws2019").ok());
  ASSERT_TRUE(env.WaitForDevices(3, absl::Seconds(60)).ok());
  auto onboarding = env.UploadOnboardingArtifacts();
  ASSERT_TRUE(onboarding.ok()) << onboarding.status();

  v1::SubmitJobResponse submitted;
  ASSERT_TRUE(env.CtlJson({"jobs", "submit", "onboard", "--target", "all",
                           "--onboarding-script", *onboarding, "--canary", "1",
                           "--canary-approval"},
                          &submitted)
                  .ok());
  const std::string id = submitted.job().id();
  v1::Job job = WaitForJob(env, id, [](const v1::Job& j) {
    return j.state() == v1::JOB_STATE_PAUSED;
  });
  EXPECT_EQ(job.rollout().pause_cause(), v1::PAUSE_CAUSE_AWAITING_APPROVAL);
  EXPECT_EQ(job.counts().succeeded(), 1u);
  EXPECT_EQ(job.counts().queued(), 2u);

  ProcessOutput resume =
      env.Ctl({"jobs", "resume", id, "--reason", "canary verified"});
  ASSERT_EQ(resume.exit_code, 0) << resume.err;
  EXPECT_THAT(resume.out, HasSubstr("resumed by admin: canary verified"));
  // The watch follows the rest to the end and exits 0.
  ProcessOutput watch = env.Ctl({"jobs", "watch", id});
  EXPECT_EQ(watch.exit_code, 0) << watch.out << watch.err;
  job = WaitForJob(env, id, [](const v1::Job& j) {
    return j.state() == v1::JOB_STATE_SUCCEEDED;
  });
  EXPECT_EQ(job.counts().succeeded(), 3u);
}

}  // namespace
}  // namespace mdefleet::testing
