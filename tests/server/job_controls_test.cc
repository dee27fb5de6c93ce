// Job controls through the admin handlers: pause, resume, cancel and
// retry-failed; their refusals (FAILED_PRECONDITION naming the job, nothing
// changed) and the audit rows every call writes.
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "tests/server/rollout_fixture.h"

namespace mdefleet::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class JobControlsTest : public RolloutTest {
 protected:
  absl::StatusOr<v1::Job> Pause(const std::string& id,
                                const std::string& reason = "") {
    v1::PauseJobRequest r;
    r.set_job_id(id);
    r.set_reason(reason);
    return env_.admin().jobs().PauseJob(env_.admin_bearer(), r);
  }
  absl::StatusOr<v1::Job> Resume(const std::string& id) {
    v1::ResumeJobRequest r;
    r.set_job_id(id);
    return env_.admin().jobs().ResumeJob(env_.admin_bearer(), r);
  }
  absl::StatusOr<v1::Job> Cancel(const std::string& id,
                                 const std::string& reason = "") {
    v1::CancelJobRequest r;
    r.set_job_id(id);
    r.set_reason(reason);
    return env_.admin().jobs().CancelJob(env_.admin_bearer(), r);
  }
  absl::StatusOr<v1::Job> RetryFailed(const std::string& id) {
    v1::RetryFailedRequest r;
    r.set_job_id(id);
    return env_.admin().jobs().RetryFailed(env_.admin_bearer(), r);
  }
  // The call is refused with FAILED_PRECONDITION (or `code`) and `message`,
  // changes nothing but one more audit row saying so.
  template <typename Call>
  void ExpectRefused(
      const std::string& job_id, Call call, absl::string_view action,
      absl::string_view message,
      absl::StatusCode code = absl::StatusCode::kFailedPrecondition) {
    const std::string before = env_.Snapshot();
    const size_t audited = Audit(job_id).size();
    absl::StatusOr<v1::Job> result = call();
    EXPECT_EQ(result.status().code(), code) << result.status();
    EXPECT_EQ(result.status().message(), message);
    EXPECT_EQ(env_.Snapshot(), before);
    std::vector<store::AuditEntry> rows = Audit(job_id);
    ASSERT_EQ(rows.size(), audited + 1);
    EXPECT_EQ(rows.back().action, action);
    EXPECT_EQ(rows.back().actor, "admin");
    EXPECT_EQ(rows.back().outcome, "refused");
    EXPECT_EQ(rows.back().detail, message);
  }
};

TEST_F(JobControlsTest, PauseStopsLeasingAndResumeGoesOn) {
  Fleet(3);
  const std::string job_id = Submit({});
  auto running = Lease(devices_[0]);
  ASSERT_TRUE(running.has_value());

  auto paused = Pause(job_id, "change freeze");
  ASSERT_TRUE(paused.ok()) << paused.status();
  EXPECT_EQ(paused->state(), v1::JOB_STATE_PAUSED);
  EXPECT_EQ(paused->state_reason(), "paused by admin: change freeze");
  EXPECT_EQ(paused->rollout().pause_cause(), v1::PAUSE_CAUSE_OPERATOR);
  EXPECT_FALSE(Lease(devices_[1]).has_value());
  // The task in flight finishes.
  RunTaskToEnd(env_, devices_[0], *running);
  EXPECT_EQ(Job(job_id).state(), v1::JOB_STATE_PAUSED);

  ExpectRefused(
      job_id, [&] { return Pause(job_id); }, "pause_job",
      absl::StrCat("job_id: job ", job_id,
                   " is already paused (paused by admin: change freeze); "
                   "resume it with `mdefleetctl jobs resume ",
                   job_id, "`"));

  auto resumed = Resume(job_id);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->state(), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(resumed->rollout().pause_cause(), v1::PAUSE_CAUSE_UNSPECIFIED);
  EXPECT_TRUE(Lease(devices_[1]).has_value());
  ExpectRefused(
      job_id, [&] { return Resume(job_id); }, "resume_job",
      absl::StrCat("job_id: job ", job_id, " is not paused (running)"));

  std::vector<store::AuditEntry> rows = Audit(job_id);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].action, "submit_job");
  EXPECT_EQ(rows[0].detail, "onboard on 3 devices");
  EXPECT_EQ(rows[1].action, "pause_job");
  EXPECT_EQ(rows[1].outcome, "ok");
  EXPECT_EQ(rows[1].detail, "change freeze");
  EXPECT_EQ(rows[1].at, absl::ToUnixMicros(TestEpoch()));
  EXPECT_EQ(rows[3].action, "resume_job");
  EXPECT_EQ(rows[3].outcome, "ok");
  env_.ExpectCountersMatchTasks(job_id);
}

TEST_F(JobControlsTest, CancelTellsRunnersToStopAfterTheirCurrentStep) {
  Fleet(2);
  const std::string job_id = Submit({});
  auto running = Lease(devices_[0]);
  ASSERT_TRUE(running.has_value());
  ASSERT_TRUE(env_.runner()
                  .ReportStep(devices_[0].bearer,
                              Report(*running, 0, v1::STEP_STATE_RUNNING))
                  .ok());
  auto cancelled = Cancel(job_id, "wrong tenant");
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(cancelled->state_reason(), "cancelled by admin: wrong tenant");
  EXPECT_EQ(cancelled->counts().cancelled(), 1u);  // the queued one
  EXPECT_FALSE(Lease(devices_[1]).has_value());

  auto response = env_.runner().ReportStep(
      devices_[0].bearer, Report(*running, 0, v1::STEP_STATE_SUCCEEDED));
  ASSERT_TRUE(response.ok());
  EXPECT_TRUE(response->cancel());
  EXPECT_EQ(response->cancel_reason(), "cancelled by admin: wrong tenant");
  v1::Task task = TaskOf(job_id, devices_[0]);
  EXPECT_EQ(task.state(), v1::TASK_STATE_CANCELLED);
  EXPECT_EQ(task.message(),
            "stopped after step 0: cancelled by admin: wrong tenant");
  EXPECT_EQ(task.steps(0).state(), v1::STEP_STATE_SUCCEEDED);
  EXPECT_EQ(task.steps(1).state(), v1::STEP_STATE_SKIPPED);

  ExpectRefused(
      job_id, [&] { return Cancel(job_id); }, "cancel_job",
      absl::StrCat("job_id: job ", job_id,
                   " already ended (cancelled); there is nothing to "
                   "cancel"));
  ExpectRefused(
      job_id, [&] { return Resume(job_id); }, "resume_job",
      absl::StrCat("job_id: job ", job_id,
                   " already ended (cancelled); there is nothing to "
                   "resume"));
  env_.ExpectCountersMatchTasks(job_id);
}

TEST_F(JobControlsTest, AStepNotStartedBecauseOfCancelEndsTheTaskAtOnce) {
  Fleet(1);
  const std::string job_id = Submit({});
  auto lease = Lease(devices_[0]);
  ASSERT_TRUE(lease.has_value());
  for (v1::StepState state :
       {v1::STEP_STATE_RUNNING, v1::STEP_STATE_SUCCEEDED}) {
    ASSERT_TRUE(env_.runner()
                    .ReportStep(devices_[0].bearer, Report(*lease, 0, state))
                    .ok());
  }
  ASSERT_TRUE(Cancel(job_id).ok());
  // As the runner does: the RUNNING report of the next step is answered
  // "cancel", so it does not run that step and reports it SKIPPED.
  auto running = env_.runner().ReportStep(
      devices_[0].bearer, Report(*lease, 1, v1::STEP_STATE_RUNNING));
  ASSERT_TRUE(running.ok()) << running.status();
  EXPECT_TRUE(running->cancel());
  EXPECT_EQ(Job(job_id).counts().running(), 1u);
  v1::ReportStepRequest skipped = Report(*lease, 1, v1::STEP_STATE_SKIPPED);
  skipped.set_message("not run: the job was cancelled (cancelled by admin)");
  auto ended = env_.runner().ReportStep(devices_[0].bearer, skipped);
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_TRUE(ended->cancel());
  v1::Task task = TaskOf(job_id, devices_[0]);
  EXPECT_EQ(task.state(), v1::TASK_STATE_CANCELLED);
  EXPECT_EQ(task.message(), "stopped after step 1: cancelled by admin");
  EXPECT_EQ(task.steps(1).state(), v1::STEP_STATE_SKIPPED);
  EXPECT_EQ(task.steps(2).message(), "not run: job cancelled");
  EXPECT_EQ(Job(job_id).counts().running(), 0u);
  env_.ExpectCountersMatchTasks(job_id);
}

TEST_F(JobControlsTest, ALeaseExpiringAfterCancelEndsTheTaskCancelled) {
  Fleet(1);
  v1::RolloutPolicy policy;
  policy.set_retries(2);
  const std::string job_id = Submit(policy);
  ASSERT_TRUE(Lease(devices_[0]).has_value());
  ASSERT_TRUE(Cancel(job_id).ok());
  env_.clock().Advance(absl::Minutes(11));
  EXPECT_EQ(*env_.reaper().RunOnce(), 1);
  v1::Task task = TaskOf(job_id, devices_[0]);
  EXPECT_EQ(task.state(), v1::TASK_STATE_CANCELLED);
  EXPECT_EQ(task.attempt(), 1u) << "never retried once cancelled";
  env_.ExpectCountersMatchTasks(job_id);
}

TEST_F(JobControlsTest, RetryFailedQueuesFailedTasksAsANewAttempt) {
  Fleet(2);
  const std::string job_id = Submit({});
  auto a = Lease(devices_[0]);
  auto b = Lease(devices_[1]);
  ASSERT_TRUE(a && b);
  RunTaskToEnd(env_, devices_[0], *a);
  ASSERT_TRUE(Fail(devices_[1], *b, "run_onboarding_script", 1).ok());
  ASSERT_EQ(Job(job_id).state(), v1::JOB_STATE_FAILED);

  auto retried = RetryFailed(job_id);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->state(), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(retried->state_reason(), "retrying 1 task (retry-failed by admin)");
  EXPECT_FALSE(retried->has_finished_at());
  EXPECT_EQ(retried->counts().failed(), 0u);
  EXPECT_EQ(retried->counts().queued(), 1u);
  EXPECT_EQ(retried->failing_steps_size(), 0);
  v1::Task task = TaskOf(job_id, devices_[1]);
  EXPECT_EQ(task.attempt(), 2u);
  EXPECT_THAT(task.message(), StartsWith("queued again by admin (attempt 1: "
                                         "run_onboarding_script: it broke)"));

  auto again = Lease(devices_[1]);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->attempt(), 2u);
  RunTaskToEnd(env_, devices_[1], *again);
  EXPECT_EQ(Job(job_id).state(), v1::JOB_STATE_SUCCEEDED);

  ExpectRefused(
      job_id, [&] { return RetryFailed(job_id); }, "retry_failed",
      absl::StrCat("job_id: job ", job_id,
                   " has no failed or timed-out tasks to retry "
                   "(succeeded)"));
  ExpectRefused(
      job_id, [&] { return Resume(job_id); }, "resume_job",
      absl::StrCat("job_id: job ", job_id,
                   " already ended (succeeded); there is nothing to "
                   "resume"));
  std::vector<store::AuditEntry> rows = Audit(job_id);
  EXPECT_EQ(rows[1].action, "retry_failed");
  EXPECT_EQ(rows[1].detail, "1 task queued again");
  env_.ExpectCountersMatchTasks(job_id);
}

TEST_F(JobControlsTest, RetryFailedThenResumeAfterTheThresholdPaused) {
  Fleet(3);
  v1::RolloutPolicy policy;
  policy.mutable_max_failures()->set_count(0);
  policy.set_max_in_flight(1);
  const std::string job_id = Submit(policy);
  auto a = Lease(devices_[0]);
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(Fail(devices_[0], *a, "precheck_connectivity").ok());
  ASSERT_EQ(Job(job_id).state(), v1::JOB_STATE_PAUSED);

  auto retried = RetryFailed(job_id);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->state(), v1::JOB_STATE_PAUSED) << "stays paused";
  EXPECT_EQ(retried->counts().failed(), 0u);
  EXPECT_FALSE(Lease(devices_[0]).has_value());
  ASSERT_TRUE(Resume(job_id).ok());
  auto again = Lease(devices_[0]);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->attempt(), 2u);
}

TEST_F(JobControlsTest, UnknownJobsAndMissingIdsAreRefused) {
  ExpectRefused(
      "job-none", [&] { return Pause("job-none"); }, "pause_job",
      "job_id: no job \"job-none\"", absl::StatusCode::kNotFound);
  ExpectRefused(
      "job-none", [&] { return RetryFailed("job-none"); }, "retry_failed",
      "job_id: no job \"job-none\"", absl::StatusCode::kNotFound);
  auto empty = Resume("");
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.status().message(), "job_id: required");
}

TEST_F(JobControlsTest, RetryFailedIsRefusedPastTheDeadline) {
  Fleet(1);
  v1::RolloutPolicy policy;
  *policy.mutable_deadline_after() = ProtoMinutes(60);
  const std::string job_id = Submit(policy);
  auto a = Lease(devices_[0]);
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(Fail(devices_[0], *a, "run_onboarding_script", 1).ok());
  env_.clock().Advance(absl::Hours(2));
  ExpectRefused(
      job_id, [&] { return RetryFailed(job_id); }, "retry_failed",
      absl::StrCat("job_id: job ", job_id,
                   " is past its deadline; submit a new job with a "
                   "later --deadline"));
}

TEST_F(JobControlsTest,
       TheAuditLogIsAppendOnlyAndUnauthenticatedCallsLeaveNoRow) {
  Fleet(1);
  const std::string job_id = Submit({});
  v1::PauseJobRequest r;
  r.set_job_id(job_id);
  EXPECT_EQ(
      env_.admin().jobs().PauseJob("Bearer mdf_admin_wrong", r).status().code(),
      absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Audit(job_id).size(), 1u);  // the submit only
  absl::Status update =
      env_.store().Write([](store::Connection& db) -> absl::Status {
        return db.Exec("UPDATE audit_log SET actor = 'someone else'");
      });
  EXPECT_THAT(std::string(update.message()), HasSubstr("append-only"));
  absl::Status erase =
      env_.store().Write([](store::Connection& db) -> absl::Status {
        return db.Exec("DELETE FROM audit_log");
      });
  EXPECT_THAT(std::string(erase.message()), HasSubstr("append-only"));
  EXPECT_EQ(Audit(job_id).size(), 1u);
}

}  // namespace
}  // namespace mdefleet::testing
