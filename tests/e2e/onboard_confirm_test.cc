// onboard's confirm_in_defender with the real processes: mdefleet-server
// (with Defender API credentials, against the fake Defender API) and a
// simulated runner. The task ends SUCCEEDED only once the fake lists the
// device Active, also across a server crash while it waits; a device Defender
// never lists Active fails at the deadline with what to check.
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/admin.pb.h"
#include "tests/e2e/e2e_environment.h"
#include "tests/e2e/e2e_helpers.h"
#include "tests/server/defender/fake_defender_api.h"

namespace mdefleet::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class OnboardConfirmE2eTest : public ::testing::Test {
 protected:
  void StartAll(const std::string& confirm_timeout) {
    options_.declared_machines_only = true;
    fake_ = std::make_unique<FakeDefenderApi>(options_, *Clock::Real());
    auto url = fake_->Start();
    ASSERT_TRUE(url.ok()) << url.status();
    const std::string secret_file = absl::StrCat(
        ::testing::TempDir(), "/defender-confirm-secret-", getpid());
    std::ofstream(secret_file) << options_.client_secret << "\n";
    auto started = E2eEnvironment::Start(
        {"--defender-api-url", *url, "--defender-login-url", *url,
         "--defender-tenant-id", options_.tenant_id, "--defender-client-id",
         options_.client_id, "--defender-client-secret-file", secret_file,
         "--defender-poll-interval", "1s", "--defender-confirm-timeout",
         confirm_timeout});
    ASSERT_TRUE(started.ok()) << started.status();
    env_ = *std::move(started);
    ASSERT_TRUE(env_->StartRunner("ws2019").ok());
    ASSERT_TRUE(env_->WaitForDevices(1, absl::Seconds(60)).ok());
    auto onboarding = env_->UploadOnboardingArtifacts();
    ASSERT_TRUE(onboarding.ok()) << onboarding.status();
    v1::SubmitJobResponse submitted;
    ASSERT_TRUE(env_->CtlJson({"jobs", "submit", "onboard", "--target", "all",
                               "--onboarding-script", *onboarding},
                              &submitted)
                    .ok());
    job_id_ = submitted.job().id();
  }

  v1::Task OnlyTask() {
    v1::ListTasksResponse tasks;
    EXPECT_TRUE(env_->CtlJson({"jobs", "tasks", job_id_}, &tasks).ok());
    return tasks.tasks_size() == 1 ? tasks.tasks(0) : v1::Task();
  }

  // Waits until the confirm step's message contains `text`; returns the task.
  v1::Task WaitForConfirmMessage(const std::string& text) {
    v1::Task task;
    // The caller checks the message: a timeout shows as that failure.
    static_cast<void>(Eventually(
        [&] {
          task = OnlyTask();
          const v1::StepResult* step = FindStep(task, "confirm_in_defender");
          return step != nullptr && absl::StrContains(step->message(), text);
        },
        absl::Seconds(120), kPollEvery));
    return task;
  }

  // The device's Defender machine id, as its runner reported it.
  std::string MachineId() {
    v1::ListDevicesResponse devices;
    EXPECT_TRUE(env_->CtlJson({"devices", "list"}, &devices).ok());
    return devices.devices_size() == 1
               ? devices.devices(0).facts().mde_machine_id()
               : "";
  }

  FakeDefenderOptions options_;
  std::unique_ptr<FakeDefenderApi> fake_;
  std::unique_ptr<E2eEnvironment> env_;
  std::string job_id_;
};

TEST_F(OnboardConfirmE2eTest, SucceedsOnlyAfterDefenderListsTheDeviceActive) {
  StartAll("10m");
  // The runner's steps are done, Defender does not know the device yet:
  // the task waits (today it ended SUCCEEDED here).
  v1::Task task = WaitForConfirmMessage("does not list machine");
  EXPECT_EQ(task.state(), v1::TASK_STATE_RUNNING) << task.DebugString();
  for (const char* step : {"run_onboarding_script", "verify_sense_running",
                           "verify_onboarding_state"}) {
    EXPECT_EQ(FindStep(task, step)->state(), v1::STEP_STATE_SUCCEEDED) << step;
  }
  const std::string machine_id = MachineId();
  ASSERT_EQ(machine_id.size(), 40u);
  EXPECT_THAT(FindStep(task, "confirm_in_defender")->message(),
              HasSubstr(machine_id));

  // A crash while it waits loses nothing.
  env_->KillServer();
  ASSERT_TRUE(env_->RestartServer().ok());
  task = WaitForConfirmMessage("does not list machine");
  EXPECT_EQ(task.state(), v1::TASK_STATE_RUNNING);

  // The sensor reports: Defender lists it Active.
  fake_->ListMachine(machine_id, {.dns_name = "sim-2019.contoso.local"});
  const v1::Job job = WaitForJobEnd(*env_, job_id_, absl::Seconds(60));
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED) << job.state_reason();
  task = OnlyTask();
  EXPECT_EQ(task.state(), v1::TASK_STATE_SUCCEEDED);
  const v1::StepResult* confirm = FindStep(task, "confirm_in_defender");
  EXPECT_EQ(confirm->state(), v1::STEP_STATE_SUCCEEDED);
  EXPECT_THAT(confirm->message(),
              AllOf(HasSubstr("healthStatus Active"), HasSubstr("lastSeen")));

  EXPECT_THAT(fake_->errors(), IsEmpty());
  EXPECT_EQ(fake_->violations(), 0);
  const std::string log = env_->server_log();
  EXPECT_THAT(log, Not(HasSubstr(options_.client_secret)));
  for (const std::string& token : fake_->issued_tokens()) {
    EXPECT_THAT(log, Not(HasSubstr(token)));
  }
}

TEST_F(OnboardConfirmE2eTest, NeverActiveFailsAtTheDeadlineWithWhatToCheck) {
  // Long enough to list the machine (below) before the deadline passes.
  StartAll("8s");
  WaitForConfirmMessage("does not list machine");
  fake_->ListMachine(MachineId(), {.dns_name = "sim-2019.contoso.local",
                                   .active_at = absl::InfiniteFuture()});
  const v1::Job job = WaitForJobEnd(*env_, job_id_, absl::Seconds(90));
  EXPECT_EQ(job.state(), v1::JOB_STATE_FAILED);
  const v1::Task task = OnlyTask();
  EXPECT_EQ(task.state(), v1::TASK_STATE_FAILED);
  EXPECT_THAT(task.message(), AllOf(HasSubstr("within 8s"), HasSubstr("portal"),
                                    HasSubstr("SENSE event log")));
  EXPECT_EQ(FindStep(task, "confirm_in_defender")->state(),
            v1::STEP_STATE_FAILED);
}

// A bad flag is refused naming it, before the database is touched.
TEST(OnboardConfirmFlagTest, ATooShortDeadlineIsRefusedNamingTheFlag) {
  auto started = E2eEnvironment::Start({"--defender-confirm-timeout", "500ms"});
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(std::string(started.status().message()),
              HasSubstr("--defender-confirm-timeout: 500ms is too short"));
}

}  // namespace
}  // namespace mdefleet::testing
