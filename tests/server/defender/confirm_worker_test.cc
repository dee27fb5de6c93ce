// onboard's confirm_in_defender inside one process: the real store, handlers,
// libcurl client and ConfirmWorker against the fake Defender API over
// loopback HTTP, with a fake clock driving both. A runner is played by
// reporting its steps through the handlers.
#include "server/defender/confirm_worker.h"

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/defender/curl_http_client.h"
#include "server/defender/offboard_worker.h"
#include "server/store/time_util.h"
#include "tests/server/defender/fake_defender_api.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kHost[] = "srv-001";

std::string MachineId() { return Sha256Hex(kHost).substr(0, 40); }

class ConfirmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = std::make_unique<TestEnv>(service::RunnerOptions{}, true);
    script_ = env_->Upload(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                           "WindowsDefenderATPOnboardingScript.cmd",
                           OnboardingScript());
    device_ = env_->Enroll(MakeFacts(kHost, "2019"));
    FakeDefenderOptions options;
    options.declared_machines_only = true;  // new devices: 404 until listed
    fake_ = std::make_unique<FakeDefenderApi>(options, env_->clock());
    absl::StatusOr<std::string> url = fake_->Start();
    ASSERT_TRUE(url.ok()) << url.status();
    config_.api_url = *url;
    config_.login_url = *url;
    config_.tenant_id = fake_->options().tenant_id;
    config_.client_id = fake_->options().client_id;
    config_.client_secret = fake_->options().client_secret;
    tokens_ =
        std::make_unique<defender::TokenSource>(http_, env_->clock(), config_);
    api_ = std::make_unique<defender::DefenderApi>(http_, *tokens_,
                                                   config_.api_url);
    NewWorker();
  }

  // A fresh budget and worker on the same database (as after a restart).
  void NewWorker() {
    worker_.reset();
    budget_ = std::make_unique<defender::ApiCallBudget>(
        env_->store(), env_->clock(), SlidingWindowLimiter::DefenderApi());
    ASSERT_TRUE(budget_->Recover().ok());
    worker_ = std::make_unique<defender::ConfirmWorker>(
        env_->store(), env_->clock(), &env_->hub(), *api_, *tokens_, *budget_,
        defender::ConfirmOptions{.timeout = absl::Minutes(30),
                                 .poll_interval = absl::Seconds(60)});
  }

  std::string SubmitOnboard() {
    v1::SubmitJobRequest r;
    r.mutable_spec()->set_kind("onboard");
    r.mutable_spec()->mutable_parameters()->set_onboarding_script_id(
        script_.id());
    r.mutable_spec()->mutable_target()->set_all(true);
    auto job = env_->admin().jobs().SubmitJob(env_->admin_bearer(), r);
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? job->job().id() : "";
  }

  // Plays the runner: leases the task and reports every step it was given
  // SUCCEEDED, the last one with the facts collected after it (the sensor
  // wrote its senseId, unless `machine_id` is empty).
  void RunRunnerSteps(const std::string& machine_id) {
    v1::PollTasksResponse poll = env_->Poll(device_);
    ASSERT_EQ(poll.tasks_size(), 1);
    const v1::LeasedTask& task = poll.tasks(0);
    // The runner is never given the server's step.
    for (const auto& step : task.plan().steps()) {
      EXPECT_NE(step.name(), "confirm_in_defender");
    }
    const int n = task.plan().steps_size();
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(env_->runner()
                      .ReportStep(device_.bearer,
                                  Report(task, i, v1::STEP_STATE_RUNNING))
                      .ok());
      v1::ReportStepRequest done = Report(task, i, v1::STEP_STATE_SUCCEEDED);
      if (i == n - 1) {
        done.set_task_state(v1::TASK_STATE_SUCCEEDED);
        v1::DeviceFacts facts = MakeFacts(kHost, "2019");
        facts.set_mde_state(v1::MDE_STATE_ONBOARDED);
        facts.set_mde_machine_id(machine_id);
        *done.mutable_facts() = facts;
      }
      auto reported = env_->runner().ReportStep(device_.bearer, done);
      ASSERT_TRUE(reported.ok()) << reported.status();
      if (i == n - 1) {
        // A repeat of the final report (its answer lost) is still a repeat.
        ASSERT_TRUE(env_->runner().ReportStep(device_.bearer, done).ok());
      }
    }
  }

  v1::Job Job(const std::string& id) {
    v1::GetJobRequest request;
    request.set_job_id(id);
    auto job = env_->admin().jobs().GetJob(env_->admin_bearer(), request);
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? *job : v1::Job();
  }

  v1::Task OnlyTask(const std::string& job_id) {
    v1::ListTasksRequest r;
    r.set_job_id(job_id);
    auto tasks = env_->admin().jobs().ListTasks(env_->admin_bearer(), r);
    EXPECT_TRUE(tasks.ok()) << tasks.status();
    return tasks.ok() && tasks->tasks_size() == 1 ? tasks->tasks(0)
                                                  : v1::Task();
  }

  static const v1::StepResult& Confirm(const v1::Task& task) {
    static const v1::StepResult* none = new v1::StepResult();
    for (const auto& s : task.steps()) {
      if (s.name() == "confirm_in_defender") return s;
    }
    ADD_FAILURE() << "no confirm_in_defender step";
    return *none;
  }

  // Runs passes, moving the clock `step` each time, until the job is final
  // or `limit` of simulated time passed; collects the confirm step's
  // messages.
  v1::Job RunUntilFinal(
      const std::string& job_id, absl::Duration step, absl::Duration limit,
      const std::function<void()>& each = [] {}) {
    const absl::Time end = env_->clock().Now() + limit;
    while (env_->clock().Now() < end) {
      absl::StatusOr<absl::Time> next = worker_->RunOnce();
      EXPECT_TRUE(next.ok()) << next.status();
      messages_.insert(Confirm(OnlyTask(job_id)).message());
      each();
      const v1::Job job = Job(job_id);
      if (job.state() >= v1::JOB_STATE_SUCCEEDED) return job;
      env_->clock().Advance(step);
    }
    return Job(job_id);
  }

  int MachineGets() const {
    int n = 0;
    for (const auto& c : fake_->calls()) {
      n += c.method == "GET" && absl::StartsWith(c.path, "/api/machines/");
    }
    return n;
  }

  std::unique_ptr<TestEnv> env_;
  v1::Artifact script_;
  EnrolledDevice device_;
  std::unique_ptr<FakeDefenderApi> fake_;
  defender::DefenderConfig config_;
  defender::CurlHttpClient http_;
  std::unique_ptr<defender::TokenSource> tokens_;
  std::unique_ptr<defender::DefenderApi> api_;
  std::unique_ptr<defender::ApiCallBudget> budget_;
  std::unique_ptr<defender::ConfirmWorker> worker_;
  std::set<std::string> messages_;
};

// Today's behaviour ended the task SUCCEEDED on the runner's last report;
// now it waits for Defender, which lists the device after a few polls,
// first Inactive, then Active.
TEST_F(ConfirmTest, SucceedsOnlyOnceDefenderListsTheDeviceActive) {
  const std::string job_id = SubmitOnboard();
  RunRunnerSteps(MachineId());
  v1::Task task = OnlyTask(job_id);
  EXPECT_EQ(task.state(), v1::TASK_STATE_RUNNING);
  EXPECT_EQ(Confirm(task).state(), v1::STEP_STATE_RUNNING);
  EXPECT_EQ(Job(job_id).state(), v1::JOB_STATE_RUNNING);
  // Nothing for runners meanwhile.
  EXPECT_EQ(env_->Poll(device_).tasks_size(), 0);

  const absl::Time now = env_->clock().Now();
  fake_->ListMachine(MachineId(), {.dns_name = "srv-001.contoso.local",
                                   .listed_at = now + absl::Minutes(3),
                                   .active_at = now + absl::Minutes(6)});
  const v1::Job job =
      RunUntilFinal(job_id, absl::Seconds(20), absl::Minutes(20));
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED) << job.state_reason();
  task = OnlyTask(job_id);
  EXPECT_EQ(task.state(), v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(Confirm(task).state(), v1::STEP_STATE_SUCCEEDED);
  EXPECT_THAT(Confirm(task).message(),
              AllOf(HasSubstr("healthStatus Active"), HasSubstr("lastSeen"),
                    HasSubstr("srv-001.contoso.local")));
  // What it saw on the way.
  EXPECT_THAT(messages_, Contains(HasSubstr("does not list machine")));
  EXPECT_THAT(messages_, Contains(HasSubstr("healthStatus Inactive")));
  EXPECT_THAT(fake_->errors(), IsEmpty());
  // One GET per poll interval, every one counted in the shared budget and
  // in its persisted log.
  const int gets = MachineGets();
  EXPECT_GE(gets, 3);
  EXPECT_LE(gets, 8);
  EXPECT_EQ(budget_->CallsWithin(env_->clock().Now(), absl::Hours(1)), gets);
  EXPECT_EQ(env_->Count("defender_api_calls"), gets);
  env_->ExpectCountersMatchTasks(job_id);
}

TEST_F(ConfirmTest, FailsAtTheDeadlineSayingWhatDefenderSawAndWhatToCheck) {
  const std::string job_id = SubmitOnboard();
  RunRunnerSteps(MachineId());
  fake_->ListMachine(MachineId(), {.dns_name = "srv-001.contoso.local",
                                   .active_at = absl::InfiniteFuture()});
  const absl::Time handed_over = env_->clock().Now();
  const v1::Job job =
      RunUntilFinal(job_id, absl::Seconds(30), absl::Hours(1), [&] {
        // Not before the deadline.
        if (env_->clock().Now() < handed_over + absl::Minutes(30)) {
          EXPECT_EQ(OnlyTask(job_id).state(), v1::TASK_STATE_RUNNING);
        }
      });
  EXPECT_EQ(job.state(), v1::JOB_STATE_FAILED);
  const v1::Task task = OnlyTask(job_id);
  EXPECT_EQ(task.state(), v1::TASK_STATE_FAILED);
  EXPECT_EQ(Confirm(task).state(), v1::STEP_STATE_FAILED);
  EXPECT_THAT(task.message(),
              AllOf(HasSubstr("within 30m"), HasSubstr("healthStatus Inactive"),
                    HasSubstr("portal"), HasSubstr("SENSE event log")));
  // One call per minute, not more.
  EXPECT_LE(MachineGets(), 32);
}

TEST_F(ConfirmTest, WaitsForTheMachineIdWhenTheFinalFactsLackIt) {
  const std::string job_id = SubmitOnboard();
  RunRunnerSteps("");
  fake_->ListMachine(MachineId(), {.dns_name = "srv-001"});
  ASSERT_TRUE(worker_->RunOnce().ok());
  EXPECT_THAT(Confirm(OnlyTask(job_id)).message(),
              HasSubstr("machine id (senseId"));
  EXPECT_EQ(MachineGets(), 0);
  // The next poll brings the senseId the sensor wrote meanwhile.
  v1::PollTasksRequest poll;
  *poll.mutable_facts() = MakeFacts(kHost, "2019");
  poll.mutable_facts()->set_mde_machine_id(MachineId());
  absl::StatusOr<std::string> id =
      env_->runner().AuthenticateDevice(device_.bearer);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(env_->runner().PollOnce(*id, poll).ok());
  const v1::Job job =
      RunUntilFinal(job_id, absl::Seconds(20), absl::Minutes(5));
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED) << job.state_reason();
}

TEST_F(ConfirmTest, ABadMachineIdFailsNamingTheFieldWithoutACall) {
  const std::string job_id = SubmitOnboard();
  RunRunnerSteps("../../api/machines?x=1");
  ASSERT_TRUE(worker_->RunOnce().ok());
  const v1::Task task = OnlyTask(job_id);
  EXPECT_EQ(task.state(), v1::TASK_STATE_FAILED);
  EXPECT_THAT(task.message(), HasSubstr("mde_machine_id"));
  EXPECT_EQ(fake_->calls().size(), 0u);
}

// api_offboard's calls and the confirmations share one budget: with it used
// up, no GET is sent and the step says why.
TEST_F(ConfirmTest, SharesTheRateLimitWithApiOffboard) {
  const std::string job_id = SubmitOnboard();
  RunRunnerSteps(MachineId());
  fake_->ListMachine(MachineId(), {.dns_name = "srv-001"});
  // 100 calls just made (as api_offboard's worker would).
  for (int i = 0; i < 100; ++i) {
    absl::Time started;
    int64_t id = 0;
    ASSERT_TRUE(budget_->BeginCall(&started, &id).ok());
    ASSERT_TRUE(budget_->EndCall(started, id).ok());
  }
  ASSERT_TRUE(worker_->RunOnce().ok());
  EXPECT_THAT(Confirm(OnlyTask(job_id)).message(),
              HasSubstr("waiting for the Defender API rate limit"));
  EXPECT_EQ(MachineGets(), 0);
  // The same holds for a new worker after a restart (the persisted log).
  NewWorker();
  ASSERT_TRUE(worker_->RunOnce().ok());
  EXPECT_EQ(MachineGets(), 0);
  const v1::Job job =
      RunUntilFinal(job_id, absl::Seconds(10), absl::Minutes(5));
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED) << job.state_reason();
  EXPECT_EQ(MachineGets(), 1);
  EXPECT_EQ(fake_->violations(), 0);
}

TEST_F(ConfirmTest, PendingConfirmationsResumeAfterARestart) {
  const std::string job_id = SubmitOnboard();
  RunRunnerSteps(MachineId());
  const absl::Time now = env_->clock().Now();
  fake_->ListMachine(MachineId(), {.dns_name = "srv-001",
                                   .listed_at = now + absl::Minutes(2)});
  ASSERT_TRUE(worker_->RunOnce().ok());
  EXPECT_EQ(OnlyTask(job_id).state(), v1::TASK_STATE_RUNNING);
  NewWorker();  // the server restarted
  const v1::Job job =
      RunUntilFinal(job_id, absl::Seconds(20), absl::Minutes(10));
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED) << job.state_reason();
  EXPECT_EQ(budget_->CallsWithin(env_->clock().Now(), absl::Hours(1)),
            MachineGets());
}

TEST_F(ConfirmTest, CancellingTheJobEndsAWaitingConfirmation) {
  const std::string job_id = SubmitOnboard();
  RunRunnerSteps(MachineId());
  v1::CancelJobRequest cancel;
  cancel.set_job_id(job_id);
  cancel.set_reason("change window closed");
  ASSERT_TRUE(
      env_->admin().jobs().CancelJob(env_->admin_bearer(), cancel).ok());
  ASSERT_TRUE(worker_->RunOnce().ok());
  EXPECT_EQ(OnlyTask(job_id).state(), v1::TASK_STATE_CANCELLED);
  EXPECT_EQ(Job(job_id).state(), v1::JOB_STATE_CANCELLED);
}

// Restarted without credentials: nothing is left hanging.
TEST_F(ConfirmTest, WithoutTheApiPendingConfirmationsEndOnTheRunnersChecks) {
  const std::string job_id = SubmitOnboard();
  RunRunnerSteps(MachineId());
  auto skipped = defender::ConfirmWorker::SkipPending(
      env_->store(), env_->clock(), "not confirmed: no Defender API");
  ASSERT_TRUE(skipped.ok()) << skipped.status();
  EXPECT_EQ(*skipped, 1);
  const v1::Task task = OnlyTask(job_id);
  EXPECT_EQ(task.state(), v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(Confirm(task).state(), v1::STEP_STATE_SKIPPED);
  EXPECT_EQ(Job(job_id).state(), v1::JOB_STATE_SUCCEEDED);
}

// Without the API the runner's last step (confirm_in_defender, a skip) ends
// the task as before.
TEST(ConfirmWithoutApiTest, TheRunnerEndsTheTaskAndTheStepSaysWhy) {
  TestEnv env;
  const v1::Artifact script =
      env.Upload(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                 "WindowsDefenderATPOnboardingScript.cmd", OnboardingScript());
  const EnrolledDevice device = env.Enroll(MakeFacts(kHost, "2019"));
  v1::SubmitJobRequest r;
  r.mutable_spec()->set_kind("onboard");
  r.mutable_spec()->mutable_parameters()->set_onboarding_script_id(script.id());
  r.mutable_spec()->mutable_target()->set_all(true);
  auto submitted = env.admin().jobs().SubmitJob(env.admin_bearer(), r);
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  v1::PollTasksResponse poll = env.Poll(device);
  ASSERT_EQ(poll.tasks_size(), 1);
  const v1::Plan& plan = poll.tasks(0).plan();
  const v1::PlannedStep& last = plan.steps(plan.steps_size() - 1);
  EXPECT_EQ(last.name(), "confirm_in_defender");
  EXPECT_THAT(last.action().skip().reason(),
              HasSubstr("no Defender API credentials"));
  RunTaskToEnd(env, device, poll.tasks(0));
  v1::GetJobRequest get;
  get.set_job_id(submitted->job().id());
  auto job = env.admin().jobs().GetJob(env.admin_bearer(), get);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state(), v1::JOB_STATE_SUCCEEDED);
}

}  // namespace
}  // namespace mdefleet::testing
