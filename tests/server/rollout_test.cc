// The rollout policy in the store and handlers, with the fake clock:
// canaries (automatic and with approval), waves and their interval,
// max_in_flight, the failure threshold, the deadline, retries with backoff
// (retryable versus final failures, lost leases) and the task timeout.
#include <functional>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "server/store/lease_expiry.h"
#include "server/store/rollout_timers.h"
#include "tests/server/rollout_fixture.h"

namespace mdefleet::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST_F(RolloutTest, CanariesRunFirstAndTheRestFollowWhenTheySucceed) {
  Fleet(5);
  v1::RolloutPolicy policy;
  policy.set_canary(2);
  const std::string job_id = Submit(policy);
  EXPECT_EQ(Job(job_id).rollout().wave(), 0u);

  auto leases = PollAll();
  ASSERT_EQ(Count(leases), 2);
  ASSERT_TRUE(leases[0] && leases[1]);  // the first to poll are the canaries
  EXPECT_EQ(Job(job_id).rollout().wave_leased(), 2u);
  RunTaskToEnd(env_, devices_[0], *leases[0]);
  for (int i = 2; i < 5; ++i) {
    EXPECT_FALSE(Lease(devices_[i]).has_value()) << "a canary still runs";
  }
  RunTaskToEnd(env_, devices_[1], *leases[1]);

  v1::Job job = Job(job_id);
  EXPECT_EQ(job.state(), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(job.rollout().wave(), 1u);
  EXPECT_EQ(job.rollout().wave_size(), 0u);  // the rest, no limit
  leases = PollAll();
  EXPECT_EQ(Count(leases), 3);
  for (size_t i = 2; i < devices_.size(); ++i) {
    ASSERT_TRUE(leases[i].has_value());
    RunTaskToEnd(env_, devices_[i], *leases[i]);
  }
  EXPECT_EQ(Job(job_id).state(), v1::JOB_STATE_SUCCEEDED);
  env_.ExpectCountersMatchTasks(job_id);
}

TEST_F(RolloutTest, CanaryApprovalPausesUntilResumed) {
  Fleet(3);
  v1::RolloutPolicy policy;
  policy.set_canary(1);
  policy.set_canary_approval(true);
  const std::string job_id = Submit(policy);
  auto canary = Lease(devices_[0]);
  ASSERT_TRUE(canary.has_value());
  RunTaskToEnd(env_, devices_[0], *canary);

  v1::Job job = Job(job_id);
  EXPECT_EQ(job.state(), v1::JOB_STATE_PAUSED);
  EXPECT_EQ(job.rollout().pause_cause(), v1::PAUSE_CAUSE_AWAITING_APPROVAL);
  EXPECT_EQ(job.state_reason(),
            absl::StrCat("awaiting approval: the 1 canary succeeded; continue "
                         "with `mdefleetctl jobs resume ",
                         job_id, "`"));
  EXPECT_EQ(Count(PollAll()), 0);

  v1::ResumeJobRequest resume;
  resume.set_job_id(job_id);
  resume.set_reason("canary looks good");
  auto resumed = env_.admin().jobs().ResumeJob(env_.admin_bearer(), resume);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->state(), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(resumed->state_reason(), "resumed by admin: canary looks good");
  EXPECT_EQ(resumed->rollout().wave(), 1u);
  EXPECT_EQ(Count(PollAll()), 2);
  env_.ExpectCountersMatchTasks(job_id);
}

TEST_F(RolloutTest, ACanaryFailurePausesTheJobWithTheReason) {
  Fleet(4);
  v1::RolloutPolicy policy;
  policy.set_canary(2);
  const std::string job_id = Submit(policy);
  auto leases = PollAll();
  ASSERT_TRUE(leases[0] && leases[1]);
  auto failed = Fail(devices_[0], *leases[0], "run_onboarding_script", 1,
                     "onboarding script exit 1");
  ASSERT_TRUE(failed.ok()) << failed.status();

  v1::Job job = Job(job_id);
  EXPECT_EQ(job.state(), v1::JOB_STATE_PAUSED);
  EXPECT_EQ(job.rollout().pause_cause(), v1::PAUSE_CAUSE_CANARY_FAILED);
  EXPECT_THAT(job.state_reason(),
              StartsWith("paused: canary failed on DEV-2019-00: "
                         "run_onboarding_script: onboarding script exit 1"));
  // The other canary finishes; nothing else is leased.
  RunTaskToEnd(env_, devices_[1], *leases[1]);
  EXPECT_EQ(Job(job_id).state(), v1::JOB_STATE_PAUSED);
  EXPECT_EQ(Count(PollAll()), 0);

  // Resuming overrides the canary: the first wave opens.
  v1::ResumeJobRequest resume;
  resume.set_job_id(job_id);
  ASSERT_TRUE(env_.admin().jobs().ResumeJob(env_.admin_bearer(), resume).ok());
  EXPECT_EQ(Count(PollAll()), 2);
  env_.ExpectCountersMatchTasks(job_id);
}

TEST_F(RolloutTest, AFailedCanaryQueuedAgainIsACanaryAgain) {
  Fleet(3);
  v1::RolloutPolicy policy;
  policy.set_canary(1);
  const std::string job_id = Submit(policy);
  auto canary = Lease(devices_[0]);
  ASSERT_TRUE(canary.has_value());
  ASSERT_TRUE(Fail(devices_[0], *canary, "run_onboarding_script", 1).ok());
  ASSERT_EQ(Job(job_id).rollout().pause_cause(), v1::PAUSE_CAUSE_CANARY_FAILED);

  v1::RetryFailedRequest retry;
  retry.set_job_id(job_id);
  ASSERT_TRUE(env_.admin().jobs().RetryFailed(env_.admin_bearer(), retry).ok());
  v1::ResumeJobRequest resume;
  resume.set_job_id(job_id);
  auto resumed = env_.admin().jobs().ResumeJob(env_.admin_bearer(), resume);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->rollout().wave(), 0u) << "still the canary phase";
  EXPECT_EQ(resumed->rollout().wave_leased(), 0u);

  auto again = Lease(devices_[0]);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->attempt(), 2u);
  EXPECT_FALSE(Lease(devices_[1]).has_value());
  RunTaskToEnd(env_, devices_[0], *again);
  EXPECT_EQ(Job(job_id).rollout().wave(), 1u);
  EXPECT_TRUE(Lease(devices_[1]).has_value());
  EXPECT_TRUE(Lease(devices_[2]).has_value());
  env_.ExpectCountersMatchTasks(job_id);
}

TEST_F(RolloutTest, ASkippedCanaryGivesItsSlotToAnotherDevice) {
  Fleet(3);
  v1::RolloutPolicy policy;
  policy.set_canary(1);
  const std::string job_id = Submit(policy);
  auto first = Lease(devices_[0]);
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(Lease(devices_[1]).has_value());
  Skip(devices_[0], *first);  // already onboarded: proves nothing
  EXPECT_EQ(Job(job_id).rollout().wave(), 0u);
  auto second = Lease(devices_[1]);
  ASSERT_TRUE(second.has_value());
  EXPECT_FALSE(Lease(devices_[2]).has_value());
  RunTaskToEnd(env_, devices_[1], *second);
  EXPECT_EQ(Job(job_id).rollout().wave(), 1u);
  EXPECT_TRUE(Lease(devices_[2]).has_value());
}

TEST_F(RolloutTest, WavesWidenOnlyAfterTheWaveEndedAndTheIntervalPassed) {
  Fleet(6);
  v1::RolloutPolicy policy;
  policy.mutable_wave_size()->set_percent(50);  // 3 of 6
  *policy.mutable_wave_interval() = ProtoMinutes(10);
  const std::string job_id = Submit(policy);
  EXPECT_EQ(Job(job_id).rollout().wave_size(), 3u);

  auto leases = PollAll();
  ASSERT_EQ(Count(leases), 3);
  for (int i = 0; i < 3; ++i) RunTaskToEnd(env_, devices_[i], *leases[i]);

  v1::Job job = Job(job_id);
  EXPECT_EQ(job.rollout().wave(), 2u);
  ASSERT_TRUE(job.rollout().has_wave_opens_at());
  EXPECT_EQ(job.rollout().wave_opens_at().seconds(),
            absl::ToUnixSeconds(TestEpoch() + absl::Minutes(10)));
  EXPECT_EQ(Count(PollAll()), 0) << "the interval has not passed";

  env_.clock().Advance(absl::Minutes(10));
  auto woken = env_.reaper().WakeOpenedWavesOnce();
  ASSERT_TRUE(woken.ok());
  EXPECT_EQ(*woken, 1);
  EXPECT_FALSE(Job(job_id).rollout().has_wave_opens_at());
  leases = PollAll();
  EXPECT_EQ(Count(leases), 3);
  for (int i = 3; i < 6; ++i) RunTaskToEnd(env_, devices_[i], *leases[i]);
  EXPECT_EQ(Job(job_id).state(), v1::JOB_STATE_SUCCEEDED);
  env_.ExpectCountersMatchTasks(job_id);
}

TEST_F(RolloutTest, AWaveWaitsForItsRetriesBeforeTheNextOpens) {
  Fleet(3);
  v1::RolloutPolicy policy;
  policy.mutable_wave_size()->set_count(1);
  policy.set_retries(1);
  const std::string job_id = Submit(policy);
  auto first = Lease(devices_[0]);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(Fail(devices_[0], *first, "precheck_connectivity").ok());
  // The retry still belongs to wave 1: wave 2 stays closed.
  EXPECT_EQ(Job(job_id).rollout().wave(), 1u);
  EXPECT_FALSE(Lease(devices_[1]).has_value());
  env_.clock().Advance(absl::Minutes(1));
  auto retry = Lease(devices_[0]);
  ASSERT_TRUE(retry.has_value()) << "a retry needs no new slot";
  EXPECT_EQ(retry->attempt(), 2u);
  RunTaskToEnd(env_, devices_[0], *retry);
  EXPECT_EQ(Job(job_id).rollout().wave(), 2u);
  EXPECT_TRUE(Lease(devices_[1]).has_value());
}

TEST_F(RolloutTest, MaxInFlightLimitsLeasesWithinAWave) {
  Fleet(4);
  v1::RolloutPolicy policy;
  policy.set_max_in_flight(1);
  policy.mutable_wave_size()->set_count(2);
  const std::string job_id = Submit(policy);
  auto leases = PollAll();
  ASSERT_EQ(Count(leases), 1);
  RunTaskToEnd(env_, devices_[0], *leases[0]);
  leases = PollAll();
  ASSERT_EQ(Count(leases), 1);
  ASSERT_TRUE(leases[1].has_value());
  EXPECT_EQ(Job(job_id).rollout().wave_leased(), 2u);
  RunTaskToEnd(env_, devices_[1], *leases[1]);
  EXPECT_EQ(Job(job_id).rollout().wave(), 2u);
  EXPECT_EQ(Count(PollAll()), 1);
}

TEST_F(RolloutTest, FailuresOverTheThresholdPauseTheJobAndStopLeasing) {
  // 20 devices, 4 of them (20%) fail their precheck; --max-failures 5%
  // tolerates 1.
  Fleet(20);
  v1::RolloutPolicy policy;
  policy.set_max_in_flight(5);
  policy.mutable_max_failures()->set_percent(5);
  const std::string job_id = Submit(policy);
  EXPECT_EQ(Job(job_id).rollout().max_failures(), 1u);

  auto leases = PollAll();
  ASSERT_EQ(Count(leases), 5);
  const auto fails = [](int i) { return i % 5 == 0; };  // 0, 5, 10, 15
  int failed = 0;
  int next = 5;
  while (Job(job_id).state() != v1::JOB_STATE_PAUSED) {
    // Finish whatever is leased; a failing device fails its precheck.
    bool progressed = false;
    for (int i = 0; i < 20; ++i) {
      if (!leases[i].has_value()) continue;
      if (fails(i)) {
        ASSERT_TRUE(Fail(devices_[i], *leases[i], "precheck_connectivity", {},
                         "cannot reach https://winatp-gw-cus.microsoft.com")
                        .ok());
        ++failed;
      } else {
        RunTaskToEnd(env_, devices_[i], *leases[i]);
      }
      leases[i].reset();
      progressed = true;
      if (Job(job_id).state() == v1::JOB_STATE_PAUSED) break;
    }
    ASSERT_TRUE(progressed);
    for (; next < 20 && Job(job_id).state() != v1::JOB_STATE_PAUSED; ++next) {
      leases[next] = Lease(devices_[next]);
    }
  }
  EXPECT_EQ(failed, 2);
  v1::Job job = Job(job_id);
  EXPECT_EQ(job.rollout().pause_cause(), v1::PAUSE_CAUSE_MAX_FAILURES);
  EXPECT_THAT(job.state_reason(),
              StartsWith("paused: 2 failures exceed --max-failures 5% (1 of "
                         "20 tasks); nothing more is leased"));
  // Tasks in flight finish; nothing more is leased.
  for (int i = 0; i < 20; ++i) {
    if (leases[i].has_value()) RunTaskToEnd(env_, devices_[i], *leases[i]);
  }
  const uint32_t queued = Job(job_id).counts().queued();
  EXPECT_GT(queued, 0u);
  EXPECT_EQ(Count(PollAll()), 0);
  job = Job(job_id);
  EXPECT_EQ(job.state(), v1::JOB_STATE_PAUSED);
  EXPECT_EQ(job.counts().queued(), queued);
  EXPECT_EQ(job.counts().leased() + job.counts().running(), 0u);
  env_.ExpectCountersMatchTasks(job_id);
}

TEST_F(RolloutTest, DevicesThatCannotRunTheKindCountAsFailuresAtSubmit) {
  Fleet(2);
  devices_.push_back(env_.Enroll(MakeFacts("OLD-2008", "6.1.7601.1")));
  v1::RolloutPolicy policy;
  policy.mutable_max_failures()->set_count(0);
  const std::string job_id = Submit(policy);
  v1::Job job = Job(job_id);
  EXPECT_EQ(job.counts().failed(), 1u);
  EXPECT_EQ(job.state(), v1::JOB_STATE_PAUSED);
  EXPECT_THAT(job.state_reason(),
              StartsWith("paused: 1 failure exceeds --max-failures 0;"));
}

// Past 2,000 queued tasks the count starts from the offline devices
// (jobs.cc): the same answer, found by device.
TEST_F(RolloutTest, QueuedOfflineCountsALargeJobByItsOfflineDevices) {
  Fleet(2010);
  env_.clock().Advance(absl::Minutes(5));               // all offline now
  for (int i = 0; i < 10; ++i) env_.Poll(devices_[i]);  // these come back
  const std::string job_id = Submit(v1::RolloutPolicy());
  v1::Job job = Job(job_id);
  EXPECT_EQ(job.counts().queued(), 2010u);
  EXPECT_EQ(job.rollout().queued_offline(), 2000u);
}

TEST_F(RolloutTest, TheDeadlineExpiresQueuedTasksAndTheJob) {
  Fleet(3);
  v1::RolloutPolicy policy;
  *policy.mutable_deadline_after() = ProtoMinutes(60);
  *policy.mutable_task_timeout() = ProtoMinutes(90);  // outlives the deadline
  const std::string job_id = Submit(policy);
  v1::Job job = Job(job_id);
  EXPECT_EQ(job.spec().policy().deadline().seconds(),
            absl::ToUnixSeconds(TestEpoch() + absl::Hours(1)));
  EXPECT_FALSE(job.spec().policy().has_deadline_after());
  EXPECT_EQ(job.rollout().deadline().seconds(),
            absl::ToUnixSeconds(TestEpoch() + absl::Hours(1)));

  auto running = Lease(devices_[0]);
  ASSERT_TRUE(running.has_value());
  // The other two never poll again: offline once the online window passed.
  env_.clock().Advance(absl::Minutes(5));
  EXPECT_TRUE(Lease(devices_[0]).has_value());  // a poll: redelivered, online
  job = Job(job_id);
  EXPECT_EQ(job.rollout().queued_offline(), 2u);

  // Past the deadline nothing is leased, even before the reaper runs. The
  // running task's runner heartbeats meanwhile.
  for (int i = 0; i < 7; ++i) {
    env_.clock().Advance(absl::Minutes(8));
    ASSERT_TRUE(Heartbeat(devices_[0], *running).ok());
  }
  EXPECT_FALSE(Lease(devices_[1]).has_value());
  auto expired = env_.reaper().ExpireDeadlinesOnce();
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(*expired, 2);
  job = Job(job_id);
  EXPECT_EQ(job.state(), v1::JOB_STATE_RUNNING) << "one task still runs";
  EXPECT_EQ(job.counts().expired(), 2u);
  EXPECT_EQ(TaskOf(job_id, devices_[1]).state(), v1::TASK_STATE_EXPIRED);
  EXPECT_EQ(TaskOf(job_id, devices_[1]).message(), store::kExpiredMessage);
  EXPECT_EQ(TaskOf(job_id, devices_[1]).steps(0).state(),
            v1::STEP_STATE_SKIPPED);

  RunTaskToEnd(env_, devices_[0], *running);
  job = Job(job_id);
  EXPECT_EQ(job.state(), v1::JOB_STATE_EXPIRED);
  EXPECT_EQ(job.state_reason(),
            "deadline passed: 2 of 3 tasks expired before their device ran "
            "them (0 failed, 0 timed out)");
  EXPECT_EQ(*env_.reaper().ExpireDeadlinesOnce(), 0);
  env_.ExpectCountersMatchTasks(job_id);
}

TEST_F(RolloutTest, AnOffboardingScriptsExpiryCapsTheDeadline) {
  Fleet(1);
  v1::Artifact off = env_.Upload(
      v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT,
      "WindowsDefenderATPOffboardingScript_valid_until_2024-03-20.cmd",
      OffboardingScript());
  v1::SubmitJobRequest r;
  r.mutable_spec()->set_kind("offboard");
  r.mutable_spec()->mutable_parameters()->set_offboarding_script_id(off.id());
  r.mutable_spec()->mutable_target()->set_all(true);
  const int64_t expiry = absl::ToUnixSeconds(
      absl::FromCivil(absl::CivilDay(2024, 3, 21), absl::UTCTimeZone()));

  auto none = env_.admin().jobs().SubmitJob(env_.admin_bearer(), r);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->job().rollout().deadline().seconds(), expiry);
  EXPECT_TRUE(none->job().rollout().deadline_capped());

  *r.mutable_spec()->mutable_policy()->mutable_deadline_after() =
      ProtoMinutes(60 * 24 * 60);
  auto later = env_.admin().jobs().SubmitJob(env_.admin_bearer(), r);
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(later->job().rollout().deadline().seconds(), expiry);
  EXPECT_TRUE(later->job().rollout().deadline_capped());

  *r.mutable_spec()->mutable_policy()->mutable_deadline_after() =
      ProtoMinutes(60);
  auto sooner = env_.admin().jobs().SubmitJob(env_.admin_bearer(), r);
  ASSERT_TRUE(sooner.ok()) << sooner.status();
  EXPECT_EQ(sooner->job().rollout().deadline().seconds(),
            absl::ToUnixSeconds(TestEpoch() + absl::Hours(1)));
  EXPECT_FALSE(sooner->job().rollout().deadline_capped());
}

class RetryTest : public RolloutTest {
 protected:
  void SetUp() override {
    env_.Upload(v1::ARTIFACT_KIND_INSTALL_SCRIPT, "Install.ps1",
                InstallScript());
    env_.Upload(v1::ARTIFACT_KIND_INSTALLER_MSI, "md4ws.msi", InstallerMsi());
    Fleet(1, "2016");
  }
  v1::RolloutPolicy Retries(uint32_t n) {
    v1::RolloutPolicy policy;
    policy.set_retries(n);
    *policy.mutable_retry_backoff() = ProtoMinutes(1);
    return policy;
  }
};

TEST_F(RetryTest, RetryableFailuresAreRetriedWithExponentialBackoff) {
  const std::string job_id = Submit(Retries(2));
  auto first = Lease(devices_[0]);
  ASSERT_TRUE(first.has_value());
  // Install.ps1 exit 4: no internet connectivity.
  ASSERT_TRUE(Fail(devices_[0], *first, "run_install_ps1", 4,
                   "Install.ps1 exit 4: no internet connectivity")
                  .ok());
  v1::Task task = TaskOf(job_id, devices_[0]);
  EXPECT_EQ(task.state(), v1::TASK_STATE_QUEUED);
  EXPECT_EQ(task.attempt(), 2u);
  EXPECT_EQ(task.not_before().seconds(),
            absl::ToUnixSeconds(TestEpoch() + absl::Minutes(1)));
  EXPECT_EQ(task.message(),
            "attempt 1 failed (run_install_ps1: Install.ps1 exit 4: no "
            "internet connectivity); retry 1 of 2 at 2024-03-01 12:01:00Z");
  for (const v1::StepResult& step : task.steps()) {
    EXPECT_EQ(step.state(), v1::STEP_STATE_PENDING) << step.name();
  }
  v1::Job job = Job(job_id);
  EXPECT_EQ(job.counts().queued(), 1u);
  EXPECT_EQ(job.counts().failed(), 0u);
  EXPECT_EQ(job.rollout().retry_waiting(), 1u);
  // The old attempt is kept but not summarised.
  EXPECT_EQ(job.failing_steps_size(), 0);

  // Not before the backoff.
  env_.clock().Advance(absl::Seconds(59));
  EXPECT_FALSE(Lease(devices_[0]).has_value());
  env_.clock().Advance(absl::Seconds(1));
  auto second = Lease(devices_[0]);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->attempt(), 2u);
  // The old lease is gone.
  EXPECT_EQ(env_.runner()
                .ReportStep(devices_[0].bearer,
                            Report(*first, 0, v1::STEP_STATE_RUNNING))
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);

  // Exit 12 (pending reboot) is retryable too; the backoff doubles.
  ASSERT_TRUE(Fail(devices_[0], *second, "run_install_ps1", 12).ok());
  task = TaskOf(job_id, devices_[0]);
  EXPECT_EQ(task.attempt(), 3u);
  EXPECT_EQ(
      task.not_before().seconds(),
      absl::ToUnixSeconds(TestEpoch() + absl::Minutes(1) + absl::Minutes(2)));
  env_.clock().Advance(absl::Minutes(2));
  auto third = Lease(devices_[0]);
  ASSERT_TRUE(third.has_value());
  ASSERT_TRUE(Fail(devices_[0], *third, "run_install_ps1", 4).ok());
  // No retries left.
  job = Job(job_id);
  EXPECT_EQ(job.state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(job.counts().failed(), 1u);
  ASSERT_EQ(job.failing_steps_size(), 1);
  EXPECT_EQ(job.failing_steps(0).count(), 1u) << "current attempt only";
  EXPECT_EQ(TaskOf(job_id, devices_[0]).attempt(), 3u);
  env_.ExpectCountersMatchTasks(job_id);
}

TEST_F(RetryTest, FinalFailuresAreNeverRetried) {
  const std::string job_id = Submit(Retries(3));
  auto first = Lease(devices_[0]);
  ASSERT_TRUE(first.has_value());
  // Install.ps1 exit 6: invalid parameter.
  ASSERT_TRUE(Fail(devices_[0], *first, "run_install_ps1", 6,
                   "Install.ps1 exit 6: invalid parameter")
                  .ok());
  v1::Task task = TaskOf(job_id, devices_[0]);
  EXPECT_EQ(task.state(), v1::TASK_STATE_FAILED);
  EXPECT_EQ(task.attempt(), 1u);
  EXPECT_EQ(Job(job_id).state(), v1::JOB_STATE_FAILED);
}

TEST_F(RetryTest, AStepNotRerunAfterARunnerRestartIsRetryable) {
  const std::string job_id = Submit(Retries(3));
  auto first = Lease(devices_[0]);
  ASSERT_TRUE(first.has_value());
  // The runner died inside Install.ps1 and did not run it again: whatever
  // the step's own class, another attempt may run it.
  const uint32_t index = StepIndex(*first, "run_install_ps1");
  ASSERT_TRUE(env_.runner()
                  .ReportStep(devices_[0].bearer,
                              Report(*first, index, v1::STEP_STATE_RUNNING))
                  .ok());
  v1::ReportStepRequest failed = Report(*first, index, v1::STEP_STATE_FAILED);
  failed.set_interrupted(true);
  failed.set_task_state(v1::TASK_STATE_FAILED);
  ASSERT_TRUE(env_.runner().ReportStep(devices_[0].bearer, failed).ok());
  v1::Task task = TaskOf(job_id, devices_[0]);
  EXPECT_EQ(task.state(), v1::TASK_STATE_QUEUED);
  EXPECT_EQ(task.attempt(), 2u);
}

TEST_F(RetryTest, AFailedPrecheckIsFinal) {
  devices_.clear();
  v1::DeviceFacts mma = MakeFacts("MMA-2016", "2016");
  mma.add_mma_workspaces("11111111-2222-3333-4444-555555555555");
  devices_.push_back(env_.Enroll(mma));
  v1::SubmitJobRequest r = Onboard(Retries(3));
  r.mutable_spec()->mutable_target()->set_all(false);
  r.mutable_spec()->mutable_target()->add_device_ids(devices_[0].id);
  auto submitted = env_.admin().jobs().SubmitJob(env_.admin_bearer(), r);
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  auto lease = Lease(devices_[0]);
  ASSERT_TRUE(lease.has_value());
  ASSERT_TRUE(Fail(devices_[0], *lease, "precheck_mma_workspace").ok());
  EXPECT_EQ(TaskOf(submitted->job().id(), devices_[0]).state(),
            v1::TASK_STATE_FAILED);
}

TEST_F(RetryTest, ALostLeaseIsRetriedThenTimesOut) {
  const std::string job_id = Submit(Retries(1));
  auto first = Lease(devices_[0]);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(env_.runner()
                  .ReportStep(devices_[0].bearer,
                              Report(*first, 0, v1::STEP_STATE_RUNNING))
                  .ok());
  env_.clock().Advance(absl::Minutes(10) + absl::Seconds(1));
  ASSERT_EQ(*env_.reaper().RunOnce(), 1);
  v1::Task task = TaskOf(job_id, devices_[0]);
  EXPECT_EQ(task.state(), v1::TASK_STATE_QUEUED);
  EXPECT_EQ(task.attempt(), 2u);
  EXPECT_THAT(task.message(), HasSubstr("lost its lease"));
  // The old runner's late report changes nothing.
  const std::string before = env_.Snapshot();
  EXPECT_EQ(env_.runner()
                .ReportStep(devices_[0].bearer,
                            Report(*first, 0, v1::STEP_STATE_SUCCEEDED))
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(env_.Snapshot(), before);

  env_.clock().Advance(absl::Minutes(1));
  auto second = Lease(devices_[0]);
  ASSERT_TRUE(second.has_value());
  env_.clock().Advance(absl::Minutes(10) + absl::Seconds(1));
  ASSERT_EQ(*env_.reaper().RunOnce(), 1);
  task = TaskOf(job_id, devices_[0]);
  EXPECT_EQ(task.state(), v1::TASK_STATE_TIMED_OUT);
  EXPECT_EQ(task.message(), store::kLeaseExpiredMessage);
  EXPECT_EQ(Job(job_id).state(), v1::JOB_STATE_FAILED);
  env_.ExpectCountersMatchTasks(job_id);
}

TEST_F(RetryTest, NoRetryStartsAfterTheDeadline) {
  v1::RolloutPolicy policy = Retries(3);
  *policy.mutable_retry_backoff() = ProtoMinutes(30);
  *policy.mutable_deadline_after() = ProtoMinutes(20);
  const std::string job_id = Submit(policy);
  auto first = Lease(devices_[0]);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(Fail(devices_[0], *first, "run_install_ps1", 4).ok());
  EXPECT_EQ(TaskOf(job_id, devices_[0]).state(), v1::TASK_STATE_FAILED);
}

TEST_F(RolloutTest, PolicyThatCannotWorkIsRefusedNamingTheFlag) {
  Fleet(3);
  struct Case {
    std::function<void(v1::RolloutPolicy*)> set;
    std::string message;
  };
  const Case cases[] = {
      {[](v1::RolloutPolicy* p) { p->set_canary(4); },
       "policy.canary: 4 canaries but the target matches 3 devices "
       "(--canary)"},
      {[](v1::RolloutPolicy* p) {
         p->mutable_max_failures()->set_percent(150);
       },
       "policy.max_failures: 150% is over 100% (--max-failures)"},
      {[](v1::RolloutPolicy* p) { p->mutable_wave_size(); },
       "policy.wave_size: set a count or a percentage (--wave-size)"},
      {[](v1::RolloutPolicy* p) { p->mutable_wave_size()->set_count(0); },
       "policy.wave_size: must be at least 1 device (--wave-size)"},
      {[](v1::RolloutPolicy* p) {
         p->mutable_wave_size()->set_count(1);
         p->mutable_wave_interval()->set_seconds(-60);
       },
       "policy.wave_interval: must not be negative (--wave-interval)"},
      {[](v1::RolloutPolicy* p) { p->mutable_task_timeout(); },
       "policy.task_timeout: must be positive (--task-timeout)"},
      {[](v1::RolloutPolicy* p) {
         *p->mutable_task_timeout() = ProtoMinutes(5);
       },
       "policy.task_timeout: 5m is shorter than step run_onboarding_script on "
       "DEV-2019-00 may run (10m): the task timeout would cut the step short "
       "(--task-timeout)"},
      {[](v1::RolloutPolicy* p) { p->mutable_deadline()->set_seconds(1); },
       "policy.deadline: 1970-01-01T00:00:01Z is not in the future (now "
       "2024-03-01T12:00:00Z) (--deadline)"},
      {[](v1::RolloutPolicy* p) { p->mutable_deadline_after(); },
       "policy.deadline_after: must be positive (--deadline)"},
      {[](v1::RolloutPolicy* p) { p->set_canary_approval(true); },
       "policy.canary_approval: needs canaries to approve; set --canary N "
       "(--canary-approval)"},
      {[](v1::RolloutPolicy* p) { p->set_retries(11); },
       "policy.retries: must be at most 10 (got 11) (--retries)"},
      {[](v1::RolloutPolicy* p) {
         *p->mutable_wave_interval() = ProtoMinutes(5);
       },
       "policy.wave_interval: only applies between waves; set --wave-size or "
       "--canary (--wave-interval)"},
  };
  for (const Case& c : cases) {
    v1::RolloutPolicy policy;
    c.set(&policy);
    absl::Status refused = Refused(Onboard(policy));
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << refused;
    EXPECT_EQ(refused.message(), c.message);
  }
  EXPECT_EQ(env_.Count("jobs"), 0);
}

}  // namespace
}  // namespace mdefleet::testing
