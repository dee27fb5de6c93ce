// The job queue: counters, max_in_flight, cancellation, lease expiry with a
// fake clock, planning with fresh facts at lease time.
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "server/store/lease_expiry.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {
namespace {

class QueueTest : public ::testing::Test {
 protected:
  std::string Submit(uint32_t max_in_flight,
                     std::vector<std::string> device_ids = {}) {
    v1::SubmitJobRequest r;
    r.mutable_spec()->set_kind("onboard");
    r.mutable_spec()->mutable_parameters()->set_onboarding_script_id(
        script_.id());
    if (device_ids.empty()) r.mutable_spec()->mutable_target()->set_all(true);
    for (auto& id : device_ids) {
      r.mutable_spec()->mutable_target()->add_device_ids(id);
    }
    r.mutable_spec()->mutable_policy()->set_max_in_flight(max_in_flight);
    auto job = env_.admin().jobs().SubmitJob(env_.admin_bearer(), r);
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? job->job().id() : "";
  }
  v1::Job Job(const std::string& id) {
    v1::GetJobRequest r;
    r.set_job_id(id);
    return *env_.admin().jobs().GetJob(env_.admin_bearer(), r);
  }

  TestEnv env_{service::RunnerOptions{.lease_duration = absl::Minutes(10),
                                      .poll_timeout = absl::Seconds(30)}};
  v1::Artifact script_ =
      env_.Upload(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                  "WindowsDefenderATPOnboardingScript.cmd", OnboardingScript());
};

TEST_F(QueueTest, MaxInFlightHoldsBackOtherDevicesUntilASlotFrees) {
  EnrolledDevice a = env_.Enroll(MakeFacts("A-2019", "2019"));
  EnrolledDevice b = env_.Enroll(MakeFacts("B-2019", "2019"));
  const std::string job_id = Submit(1);
  v1::PollTasksResponse pa = env_.Poll(a);
  ASSERT_EQ(pa.tasks_size(), 1);
  EXPECT_EQ(env_.Poll(b).tasks_size(), 0);
  EXPECT_EQ(Job(job_id).counts().queued(), 1u);
  RunTaskToEnd(env_, a, pa.tasks(0));
  v1::PollTasksResponse pb = env_.Poll(b);
  ASSERT_EQ(pb.tasks_size(), 1);
  RunTaskToEnd(env_, b, pb.tasks(0));
  EXPECT_EQ(Job(job_id).state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(Job(job_id).counts().succeeded(), 2u);
  env_.ExpectCountersMatchTasks(job_id);
}

TEST_F(QueueTest, ExpiredLeaseTimesOutTheTaskAndLaterReportsAreRefused) {
  EnrolledDevice a = env_.Enroll(MakeFacts("A-2019", "2019"));
  const std::string job_id = Submit(0);
  v1::LeasedTask task = env_.Poll(a).tasks(0);
  ASSERT_TRUE(env_.runner()
                  .ReportStep(a.bearer, Report(task, 0, v1::STEP_STATE_RUNNING))
                  .ok());
  // A report renews the lease: 9 minutes later it is still live.
  env_.clock().Advance(absl::Minutes(9));
  auto reaped = env_.reaper().RunOnce();
  ASSERT_TRUE(reaped.ok());
  EXPECT_EQ(*reaped, 0);
  ASSERT_TRUE(
      env_.runner()
          .ReportStep(a.bearer, Report(task, 0, v1::STEP_STATE_SUCCEEDED))
          .ok());
  // Then the runner goes silent past the lease.
  env_.clock().Advance(absl::Minutes(10) + absl::Seconds(1));
  const std::string before = env_.Snapshot();
  auto late = env_.runner().ReportStep(a.bearer,
                                       Report(task, 1, v1::STEP_STATE_RUNNING));
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(late.status().message().find("lease expired"), std::string::npos);
  EXPECT_EQ(env_.Snapshot(), before);

  reaped = env_.reaper().RunOnce();
  ASSERT_TRUE(reaped.ok());
  EXPECT_EQ(*reaped, 1);
  v1::Job job = Job(job_id);
  EXPECT_EQ(job.state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(job.counts().timed_out(), 1u);
  EXPECT_EQ(job.counts().running(), 0u);
  v1::ListTasksRequest lr;
  lr.set_job_id(job_id);
  v1::Task t = env_.admin().jobs().ListTasks(env_.admin_bearer(), lr)->tasks(0);
  EXPECT_EQ(t.state(), v1::TASK_STATE_TIMED_OUT);
  EXPECT_EQ(t.message(), store::kLeaseExpiredMessage);
  EXPECT_EQ(t.steps(0).state(), v1::STEP_STATE_SUCCEEDED);
  EXPECT_EQ(t.steps(1).state(), v1::STEP_STATE_SKIPPED);
  EXPECT_EQ(env_.runner()
                .ReportStep(a.bearer, Report(task, 1, v1::STEP_STATE_RUNNING))
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  env_.ExpectCountersMatchTasks(job_id);
  // Nothing left to reap, and the device gets no task back.
  EXPECT_EQ(*env_.reaper().RunOnce(), 0);
  EXPECT_EQ(env_.Poll(a).tasks_size(), 0);
}

TEST_F(QueueTest, CancelEndsQueuedTasksAndTellsRunningOnesToStop) {
  EnrolledDevice a = env_.Enroll(MakeFacts("A-2019", "2019"));
  EnrolledDevice b = env_.Enroll(MakeFacts("B-2019", "2019"));
  const std::string job_id = Submit(1);
  v1::LeasedTask task = env_.Poll(a).tasks(0);
  ASSERT_TRUE(env_.runner()
                  .ReportStep(a.bearer, Report(task, 0, v1::STEP_STATE_RUNNING))
                  .ok());
  v1::CancelJobRequest cancel;
  cancel.set_job_id(job_id);
  auto cancelled = env_.admin().jobs().CancelJob(env_.admin_bearer(), cancel);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(cancelled->counts().cancelled(), 1u);
  EXPECT_EQ(cancelled->counts().running(), 1u);
  EXPECT_EQ(env_.Poll(b).tasks_size(), 0);

  auto response = env_.runner().ReportStep(
      a.bearer, Report(task, 0, v1::STEP_STATE_SUCCEEDED));
  ASSERT_TRUE(response.ok());
  EXPECT_TRUE(response->cancel());
  v1::Job job = Job(job_id);
  EXPECT_EQ(job.state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(job.counts().cancelled(), 2u);
  EXPECT_EQ(job.counts().running(), 0u);
  env_.ExpectCountersMatchTasks(job_id);
  // Cancelling again names the job and changes nothing.
  const std::string before = env_.Snapshot();
  auto again = env_.admin().jobs().CancelJob(env_.admin_bearer(), cancel);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StartsWith(again.status().message(), "job_id:"));
  EXPECT_EQ(env_.Snapshot(), before);
}

TEST_F(QueueTest, LeaseTimePlanningUsesFreshFacts) {
  EnrolledDevice a = env_.Enroll(MakeFacts("A-2019", "2019"));
  const std::string job_id = Submit(0);
  // The device now reports a release the plans do not support.
  v1::PollTasksRequest poll;
  *poll.mutable_facts() = MakeFacts("A-2019", "6.1.7601.1");
  auto r = env_.runner().PollOnce(a.id, poll);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tasks_size(), 0);
  v1::Job job = Job(job_id);
  EXPECT_EQ(job.state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(job.counts().failed(), 1u);
  env_.ExpectCountersMatchTasks(job_id);
}

TEST_F(QueueTest, OlderJobsAreLeasedFirstOneTaskPerPoll) {
  EnrolledDevice a = env_.Enroll(MakeFacts("A-2019", "2019"));
  const std::string first = Submit(0);
  const std::string second = Submit(0);
  v1::PollTasksResponse p1 = env_.Poll(a);
  ASSERT_EQ(p1.tasks_size(), 1);
  EXPECT_EQ(p1.tasks(0).job_id(), first);
  RunTaskToEnd(env_, a, p1.tasks(0));
  v1::PollTasksResponse p2 = env_.Poll(a);
  ASSERT_EQ(p2.tasks_size(), 1);
  EXPECT_EQ(p2.tasks(0).job_id(), second);
}

}  // namespace
}  // namespace mdefleet::testing
