// RunnerService handlers without gRPC: enroll, poll/lease, report, fetch.
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "gtest/gtest.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {
namespace {

v1::SubmitJobRequest OnboardAll(const std::string& script_id,
                                uint32_t max_in_flight = 0) {
  v1::SubmitJobRequest r;
  r.mutable_spec()->set_kind("onboard");
  r.mutable_spec()->mutable_parameters()->set_onboarding_script_id(script_id);
  r.mutable_spec()->mutable_target()->set_all(true);
  r.mutable_spec()->mutable_policy()->set_max_in_flight(max_in_flight);
  return r;
}

class RunnerHandlersTest : public ::testing::Test {
 protected:
  std::string SubmitOnboard(uint32_t max_in_flight = 0) {
    auto job = env_.admin().jobs().SubmitJob(
        env_.admin_bearer(), OnboardAll(script_.id(), max_in_flight));
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? job->job().id() : "";
  }
  v1::Job GetJob(const std::string& id) {
    v1::GetJobRequest r;
    r.set_job_id(id);
    auto job = env_.admin().jobs().GetJob(env_.admin_bearer(), r);
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? *job : v1::Job();
  }
  v1::Task OnlyTask(const std::string& job_id) {
    v1::ListTasksRequest r;
    r.set_job_id(job_id);
    auto tasks = env_.admin().jobs().ListTasks(env_.admin_bearer(), r);
    EXPECT_TRUE(tasks.ok()) << tasks.status();
    EXPECT_EQ(tasks->tasks_size(), 1);
    return tasks->tasks_size() > 0 ? tasks->tasks(0) : v1::Task();
  }

  TestEnv env_;
  v1::Artifact script_ =
      env_.Upload(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                  "WindowsDefenderATPOnboardingScript.cmd", OnboardingScript());
};

TEST_F(RunnerHandlersTest, EnrollPollLeaseReportEndsJobSucceeded) {
  EnrolledDevice dev = env_.Enroll(MakeFacts("WEB-2019-01", "2019"));
  const std::string job_id = SubmitOnboard();
  EXPECT_EQ(GetJob(job_id).state(), v1::JOB_STATE_PENDING);

  v1::PollTasksResponse poll = env_.Poll(dev);
  ASSERT_EQ(poll.tasks_size(), 1);
  const v1::LeasedTask& task = poll.tasks(0);
  EXPECT_EQ(task.job_id(), job_id);
  EXPECT_EQ(task.kind(), "onboard");
  EXPECT_FALSE(task.lease_id().empty());
  EXPECT_GT(task.plan().steps_size(), 2);
  EXPECT_EQ(task.lease_duration().seconds(), 600);
  v1::Job running = GetJob(job_id);
  EXPECT_EQ(running.state(), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(running.counts().leased(), 1u);

  RunTaskToEnd(env_, dev, task);
  v1::Job done = GetJob(job_id);
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done.counts().succeeded(), 1u);
  EXPECT_EQ(done.counts().total(), 1u);
  EXPECT_TRUE(done.has_finished_at());
  env_.ExpectCountersMatchTasks(job_id);

  v1::Task listed = OnlyTask(job_id);
  EXPECT_EQ(listed.hostname(), "WEB-2019-01");
  EXPECT_EQ(listed.state(), v1::TASK_STATE_SUCCEEDED);
  ASSERT_EQ(listed.steps_size(), task.plan().steps_size());
  for (const v1::StepResult& s : listed.steps()) {
    EXPECT_EQ(s.state(), v1::STEP_STATE_SUCCEEDED) << s.name();
    EXPECT_TRUE(s.has_started_at());
    EXPECT_TRUE(s.has_finished_at());
  }
  // Nothing more to do.
  EXPECT_EQ(env_.Poll(dev).tasks_size(), 0);
}

// Re-enrollment (proof, duplicates, resets): enrollment_test.cc.

TEST_F(RunnerHandlersTest, EnrollNeedsTheEnrollmentSecret) {
  v1::EnrollRequest r;
  *r.mutable_facts() = MakeFacts("X", "2019");
  const std::string before = env_.Snapshot();
  for (const std::string& bad :
       {std::string(), std::string("Bearer mdf_enroll_wrong"),
        env_.admin_bearer(), std::string("Basic abc")}) {
    EXPECT_EQ(env_.runner().Enroll(bad, r).status().code(),
              absl::StatusCode::kUnauthenticated)
        << bad;
  }
  EXPECT_EQ(env_.Snapshot(), before);
}

TEST_F(RunnerHandlersTest, PollRefreshesFactsAndRedeliversAHeldLease) {
  EnrolledDevice dev = env_.Enroll(MakeFacts("WEB-2019-02", "2019"));
  SubmitOnboard();
  env_.clock().Advance(absl::Minutes(1));
  v1::PollTasksRequest poll;
  *poll.mutable_facts() = MakeFacts("WEB-2019-02", "2022");
  auto first = env_.runner().PollOnce(dev.id, poll);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->tasks_size(), 1);
  v1::GetDeviceRequest get;
  get.set_device_id(dev.id);
  auto device = env_.admin().inventory().GetDevice(env_.admin_bearer(), get);
  ASSERT_TRUE(device.ok());
  EXPECT_EQ(device->facts().os_family(), v1::OS_FAMILY_WS2022);
  EXPECT_EQ(device->facts().mde_state(), v1::MDE_STATE_NOT_ONBOARDED);
  EXPECT_EQ(device->last_seen_at().seconds(),
            absl::ToUnixSeconds(TestEpoch() + absl::Minutes(1)));
  // The device polls again while holding the lease: the same lease.
  auto again = env_.runner().PollOnce(dev.id, poll);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->tasks_size(), 1);
  EXPECT_EQ(again->tasks(0).lease_id(), first->tasks(0).lease_id());
  EXPECT_EQ(again->tasks(0).task_id(), first->tasks(0).task_id());
}

TEST_F(RunnerHandlersTest, StaleOrForeignLeaseIsRefusedAndChangesNothing) {
  EnrolledDevice dev = env_.Enroll(MakeFacts("WEB-2019-03", "2019"));
  EnrolledDevice other = env_.Enroll(MakeFacts("WEB-2019-04", "2019"));
  v1::SubmitJobRequest only_dev = OnboardAll(script_.id());
  only_dev.mutable_spec()->mutable_target()->set_all(false);
  only_dev.mutable_spec()->mutable_target()->add_device_ids(dev.id);
  ASSERT_TRUE(
      env_.admin().jobs().SubmitJob(env_.admin_bearer(), only_dev).ok());
  v1::PollTasksResponse poll = env_.Poll(dev);
  ASSERT_EQ(poll.tasks_size(), 1);
  const v1::LeasedTask& task = poll.tasks(0);
  const std::string before = env_.Snapshot();

  v1::ReportStepRequest stale = Report(task, 0, v1::STEP_STATE_RUNNING);
  stale.set_lease_id("not-the-lease");
  auto refused = env_.runner().ReportStep(dev.bearer, stale);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StartsWith(refused.status().message(), "lease lost"))
      << refused.status();

  v1::ReportStepRequest wrong_attempt = Report(task, 0, v1::STEP_STATE_RUNNING);
  wrong_attempt.set_attempt(task.attempt() + 1);
  EXPECT_EQ(env_.runner().ReportStep(dev.bearer, wrong_attempt).status().code(),
            absl::StatusCode::kFailedPrecondition);

  auto foreign = env_.runner().ReportStep(
      other.bearer, Report(task, 0, v1::STEP_STATE_RUNNING));
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(env_.Snapshot(), before);
}

TEST_F(RunnerHandlersTest, RepeatedReportsChangeNothing) {
  EnrolledDevice dev = env_.Enroll(MakeFacts("WEB-2019-05", "2019"));
  SubmitOnboard();
  v1::LeasedTask task = env_.Poll(dev).tasks(0);
  ASSERT_TRUE(
      env_.runner()
          .ReportStep(dev.bearer, Report(task, 0, v1::STEP_STATE_RUNNING))
          .ok());
  v1::ReportStepRequest done = Report(task, 0, v1::STEP_STATE_SUCCEEDED);
  done.set_message("ok");
  ASSERT_TRUE(env_.runner().ReportStep(dev.bearer, done).ok());
  env_.clock().Advance(absl::Seconds(5));
  const std::string before = env_.Snapshot();
  auto repeat = env_.runner().ReportStep(dev.bearer, done);
  ASSERT_TRUE(repeat.ok()) << repeat.status();
  auto late_running = env_.runner().ReportStep(
      dev.bearer, Report(task, 0, v1::STEP_STATE_RUNNING));
  ASSERT_TRUE(late_running.ok());
  EXPECT_EQ(env_.Snapshot(), before);

  // The task-ending report, repeated after the task ended, is also a no-op.
  const int last = task.plan().steps_size() - 1;
  v1::ReportStepRequest end = Report(task, last, v1::STEP_STATE_SUCCEEDED);
  end.set_task_state(v1::TASK_STATE_SUCCEEDED);
  ASSERT_TRUE(env_.runner().ReportStep(dev.bearer, end).ok());
  const std::string ended = env_.Snapshot();
  EXPECT_TRUE(env_.runner().ReportStep(dev.bearer, end).ok());
  EXPECT_EQ(env_.Snapshot(), ended);
  // A new report on the ended task is refused.
  EXPECT_EQ(env_.runner()
                .ReportStep(dev.bearer, Report(task, 1, v1::STEP_STATE_RUNNING))
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(RunnerHandlersTest, TaskEndingReportSkipsTheRemainingSteps) {
  EnrolledDevice dev = env_.Enroll(MakeFacts("WEB-2019-06", "2019"));
  const std::string job_id = SubmitOnboard();
  v1::LeasedTask task = env_.Poll(dev).tasks(0);
  ASSERT_TRUE(
      env_.runner()
          .ReportStep(dev.bearer, Report(task, 0, v1::STEP_STATE_RUNNING))
          .ok());
  v1::ReportStepRequest fail = Report(task, 0, v1::STEP_STATE_FAILED);
  fail.set_message("third-party antivirus present");
  fail.set_exit_code(4);
  fail.set_output_tail(std::string(10000, 'o'));
  fail.set_task_state(v1::TASK_STATE_FAILED);
  ASSERT_TRUE(env_.runner().ReportStep(dev.bearer, fail).ok());

  v1::Task t = OnlyTask(job_id);
  EXPECT_EQ(t.state(), v1::TASK_STATE_FAILED);
  EXPECT_NE(t.message().find("third-party antivirus present"),
            std::string::npos);
  ASSERT_GT(t.steps_size(), 1);
  EXPECT_EQ(t.steps(0).state(), v1::STEP_STATE_FAILED);
  EXPECT_EQ(t.steps(0).exit_code(), 4);
  EXPECT_EQ(t.steps(0).output_tail().size(), 4096u);
  for (int i = 1; i < t.steps_size(); ++i) {
    EXPECT_EQ(t.steps(i).state(), v1::STEP_STATE_SKIPPED);
    EXPECT_EQ(t.steps(i).message(), "not run: an earlier step ended the task");
  }
  v1::Job job = GetJob(job_id);
  EXPECT_EQ(job.state(), v1::JOB_STATE_FAILED);
  ASSERT_EQ(job.failing_steps_size(), 1);
  EXPECT_EQ(job.failing_steps(0).step_name(), task.plan().steps(0).name());
  EXPECT_EQ(job.failing_steps(0).count(), 1u);
  ASSERT_GT(job.step_summary_size(), 1);
  EXPECT_EQ(job.step_summary(0).failed(), 1u);
  EXPECT_EQ(job.step_summary(1).skipped(), 1u);
  env_.ExpectCountersMatchTasks(job_id);
}

TEST_F(RunnerHandlersTest, ReportValidatesItsFields) {
  EnrolledDevice dev = env_.Enroll(MakeFacts("WEB-2019-07", "2019"));
  SubmitOnboard();
  v1::LeasedTask task = env_.Poll(dev).tasks(0);
  const std::string before = env_.Snapshot();
  auto bad_index = env_.runner().ReportStep(
      dev.bearer, Report(task, 99, v1::STEP_STATE_RUNNING));
  EXPECT_EQ(bad_index.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(bad_index.status().message(), "step_index"));
  v1::ReportStepRequest bad_end = Report(task, 0, v1::STEP_STATE_SUCCEEDED);
  bad_end.set_task_state(v1::TASK_STATE_CANCELLED);
  EXPECT_TRUE(absl::StartsWith(
      env_.runner().ReportStep(dev.bearer, bad_end).status().message(),
      "task_state"));
  EXPECT_EQ(env_.Snapshot(), before);
}

TEST_F(RunnerHandlersTest, FetchArtifactOnlyForAHeldTaskThatUsesIt) {
  const std::string big = OnboardingScript(150 * 1024);
  v1::Artifact artifact =
      env_.Upload(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                  "WindowsDefenderATPOnboardingScript.cmd", big);
  v1::Artifact unrelated = env_.Upload(v1::ARTIFACT_KIND_INSTALL_SCRIPT,
                                       "Install.ps1", InstallScript());
  EnrolledDevice dev = env_.Enroll(MakeFacts("WEB-2019-08", "2019"));
  EnrolledDevice other = env_.Enroll(MakeFacts("WEB-2019-09", "2019"));
  v1::SubmitJobRequest r = OnboardAll(artifact.id());
  r.mutable_spec()->mutable_target()->set_all(false);
  r.mutable_spec()->mutable_target()->add_device_ids(dev.id);
  ASSERT_TRUE(env_.admin().jobs().SubmitJob(env_.admin_bearer(), r).ok());

  v1::FetchArtifactRequest fetch;
  fetch.set_artifact_id(artifact.id());
  auto collect = [&](const EnrolledDevice& d, std::string* out, int* chunks) {
    return env_.runner().FetchArtifact(d.bearer, fetch,
                                       [&](const v1::ArtifactChunk& c) {
                                         EXPECT_EQ(c.offset(), out->size());
                                         EXPECT_EQ(c.total_size(), big.size());
                                         EXPECT_LE(c.data().size(), 64u * 1024);
                                         out->append(c.data());
                                         ++*chunks;
                                         return true;
                                       });
  };
  std::string got;
  int chunks = 0;
  // No lease yet.
  fetch.set_task_id("task-none");
  EXPECT_EQ(collect(dev, &got, &chunks).code(),
            absl::StatusCode::kFailedPrecondition);
  v1::LeasedTask task = env_.Poll(dev).tasks(0);
  fetch.set_task_id(task.task_id());
  fetch.set_lease_id(task.lease_id());
  ASSERT_TRUE(collect(dev, &got, &chunks).ok());
  EXPECT_EQ(got, big);
  EXPECT_EQ(chunks, 3);
  // Another device, or an artifact the plan does not use.
  got.clear();
  EXPECT_EQ(collect(other, &got, &chunks).code(),
            absl::StatusCode::kFailedPrecondition);
  fetch.set_artifact_id(unrelated.id());
  EXPECT_EQ(collect(dev, &got, &chunks).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(got.empty());
  // Wrong credential first of all.
  EXPECT_EQ(env_.runner()
                .FetchArtifact("Bearer mdf_dev_nope", fetch,
                               [](const v1::ArtifactChunk&) { return true; })
                .code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(RunnerHandlersTest, ADeviceThatCannotRunTheKindFailsWithoutALease) {
  EnrolledDevice dev = env_.Enroll(MakeFacts("OLD-2008", "6.1.7601.1"));
  const std::string job_id = SubmitOnboard();
  v1::Job job = GetJob(job_id);
  EXPECT_EQ(job.state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(job.counts().failed(), 1u);
  v1::Task t = OnlyTask(job_id);
  EXPECT_EQ(t.state(), v1::TASK_STATE_FAILED);
  EXPECT_NE(t.message().find("not a supported Windows Server release"),
            std::string::npos)
      << t.message();
  EXPECT_EQ(env_.Poll(dev).tasks_size(), 0);
  env_.ExpectCountersMatchTasks(job_id);
}

}  // namespace
}  // namespace mdefleet::testing
