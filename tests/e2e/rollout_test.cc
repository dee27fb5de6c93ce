// Rollout safety with the real binaries: a failure threshold that pauses a
// rollout on a fleet where 20% of the servers cannot reach the Defender
// cloud, and a canary that waits for approval. Controls go through
// mdefleetctl, and so does reading their audit log (`audit list`).
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

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// "action actor outcome" of each entry, as listed (newest first).
std::vector<std::string> Summaries(const v1::ListAuditLogResponse& log) {
  std::vector<std::string> rows;
  for (const v1::AuditEntry& e : log.entries()) {
    rows.push_back(absl::StrCat(e.action(), " ", e.actor(), " ", e.outcome()));
  }
  return rows;
}

TEST(EndToEndRollout,
     FailuresOverTheThresholdPauseTheRolloutAndLeaseNothingMore) {
  const int64_t started = absl::ToUnixSeconds(absl::Now());
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

  // The runners keep polling (each twice after the pause): nothing is leased.
  ASSERT_TRUE(WaitForPollsSince(env, absl::Now()));
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

  // `audit list` shows who did what and when, refusals included.
  v1::ListAuditLogResponse log;
  ASSERT_TRUE(env.CtlJson({"audit", "list", "--job", id}, &log).ok());
  EXPECT_THAT(Summaries(log),
              ElementsAre("resume_job admin refused", "cancel_job admin ok",
                          "pause_job admin refused", "submit_job admin ok"));
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  for (const v1::AuditEntry& e : log.entries()) {
    EXPECT_EQ(e.target(), id);
    EXPECT_GE(e.time().seconds(), started - 1) << e.ShortDebugString();
    EXPECT_LE(e.time().seconds(), now + 1) << e.ShortDebugString();
  }
  ASSERT_EQ(log.entries_size(), 4);
  EXPECT_LE(log.entries(3).time().seconds(), log.entries(0).time().seconds());
  EXPECT_THAT(log.entries(0).detail(), HasSubstr("already ended (cancelled)"));
  EXPECT_EQ(log.entries(1).detail(), "proxy misconfigured");
  EXPECT_THAT(log.entries(2).detail(), HasSubstr(" is already paused"));
  EXPECT_EQ(log.entries(3).detail(), "onboard on 10 devices");

  ProcessOutput refused = env.Ctl(
      {"audit", "list", "--job", id, "--outcome", "refused", "--since", "1h"});
  ASSERT_EQ(refused.exit_code, 0) << refused.err;
  EXPECT_THAT(
      refused.out,
      StartsWith("TIME                  ACTOR  ROLE   ACTION      TARGET"));
  EXPECT_THAT(refused.out, HasSubstr("  admin  resume_job  " + id +
                                     "  refused  job_id: job " + id +
                                     " already ended (cancelled)"));
  EXPECT_THAT(refused.out,
              HasSubstr("  admin  pause_job   " + id +
                        "  refused  job_id: job " + id + " is already paused"));
  EXPECT_THAT(refused.out, HasSubstr("\n2 entries\n"));
  v1::ListAuditLogResponse pauses;
  ASSERT_TRUE(
      env.CtlJson({"audit", "list", "--action", "pause", "--actor", "admin"},
                  &pauses)
          .ok());
  EXPECT_THAT(Summaries(pauses), ElementsAre("pause_job admin refused"));
  // A bad filter is refused naming the field, by the CLI or the server.
  ProcessOutput bad = env.Ctl({"audit", "list", "--action", "paws"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("error: invalid request: action: \"paws\" "
                                 "is not an audited action"));
  ProcessOutput usage = env.Ctl({"audit", "list", "--outcome", "maybe"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_THAT(usage.err, HasSubstr("--outcome \"maybe\""));
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
  v1::ListAuditLogResponse resumes;
  ASSERT_TRUE(
      env.CtlJson({"audit", "list", "--job", id, "--action", "resume_job"},
                  &resumes)
          .ok());
  ASSERT_EQ(resumes.entries_size(), 1);
  EXPECT_EQ(resumes.entries(0).outcome(), "ok");
  EXPECT_EQ(resumes.entries(0).detail(), "canary verified");
  // The watch follows the rest to the end and exits 0.
  ProcessOutput watch = env.Ctl({"jobs", "watch", id});
  EXPECT_EQ(watch.exit_code, 0) << watch.out << watch.err;
  job = WaitForJob(env, id, [](const v1::Job& j) {
    return j.state() == v1::JOB_STATE_SUCCEEDED;
  });
  EXPECT_EQ(job.counts().succeeded(), 3u);
}

// An Install.ps1 that runs three times longer than the server's lease: the
// runner's heartbeats keep the lease, so the step is not taken for a dead
// runner, the task succeeds in its first attempt and nothing is retried.
TEST(EndToEndRollout, HeartbeatsKeepASlowInstallsLeaseAlive) {
  auto env_or = E2eEnvironment::Start({"--lease-duration", "2s"});
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  ASSERT_TRUE(env.StartRunner("ws2016", {"--sim-delay-ms", "6000"}).ok());
  ASSERT_TRUE(env.WaitForDevices(1, absl::Seconds(60)).ok());
  auto onboarding = env.UploadOnboardingArtifacts();
  ASSERT_TRUE(onboarding.ok()) << onboarding.status();
  v1::SubmitJobResponse submitted;
  ASSERT_TRUE(
      env.CtlJson({"jobs", "submit", "onboard", "--target", "all",
                   "--onboarding-script", *onboarding, "--retries", "2"},
                  &submitted)
          .ok());
  const std::string id = submitted.job().id();
  v1::Job job = WaitForJob(env, id, [](const v1::Job& j) {
    return j.state() == v1::JOB_STATE_SUCCEEDED ||
           j.state() == v1::JOB_STATE_FAILED;
  });
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED) << job.ShortDebugString();
  v1::ListTasksResponse tasks;
  ASSERT_TRUE(env.CtlJson({"jobs", "tasks", id}, &tasks).ok());
  ASSERT_EQ(tasks.tasks_size(), 1);
  EXPECT_EQ(tasks.tasks(0).attempt(), 1u) << "the lease was never lost";
  EXPECT_THAT(env.server_log(),
              ::testing::Not(HasSubstr("task lease(s) expired")));
}

}  // namespace
}  // namespace mdefleet::testing
