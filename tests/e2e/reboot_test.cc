// Restarts and maintenance windows with the real binaries: a server with a
// reboot pending is onboarded without operator action (Install.ps1 exits 12,
// the runner restarts the simulated machine and runs it again); a job whose
// tasks may start only in a maintenance window leases nothing outside it;
// bad window syntax is refused at submit naming the flag.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_environment.h"
#include "tests/e2e/e2e_helpers.h"

namespace mdefleet::testing {
namespace {

using ::testing::HasSubstr;

v1::Device OnlyDevice(E2eEnvironment& env) {
  v1::ListDevicesResponse devices;
  EXPECT_TRUE(env.CtlJson({"devices", "list"}, &devices).ok());
  EXPECT_EQ(devices.devices_size(), 1);
  return devices.devices_size() > 0 ? devices.devices(0) : v1::Device();
}

TEST(EndToEndReboot, PendingRebootIsRestartedAndOnboardedWithoutAnOperator) {
  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  ASSERT_TRUE(env.StartRunner("ws2016+reboot").ok());
  ASSERT_TRUE(env.WaitForDevices(1, absl::Seconds(60)).ok());
  const v1::Device before = OnlyDevice(env);
  ASSERT_TRUE(before.facts().reboot_pending());
  auto onboarding = env.UploadOnboardingArtifacts();
  ASSERT_TRUE(onboarding.ok()) << onboarding.status();

  // A window that is always open: shown by `jobs get`, no wait.
  v1::SubmitJobResponse submitted;
  ASSERT_TRUE(env.CtlJson({"jobs", "submit", "onboard", "--target", "all",
                           "--onboarding-script", *onboarding,
                           "--maintenance-window", "daily 00:00-24:00"},
                          &submitted)
                  .ok());
  const std::string id = submitted.job().id();
  v1::Job job = WaitForJob(env, id, [](const v1::Job& j) {
    return j.state() == v1::JOB_STATE_SUCCEEDED;
  });
  EXPECT_EQ(job.counts().succeeded(), 1u);

  v1::ListTasksResponse tasks;
  ASSERT_TRUE(env.CtlJson({"jobs", "tasks", id}, &tasks).ok());
  ASSERT_EQ(tasks.tasks_size(), 1);
  const v1::Task& task = tasks.tasks(0);
  EXPECT_EQ(task.attempt(), 1u) << "continued in the same attempt";
  const v1::StepResult* install = FindStep(task, "run_install_ps1");
  ASSERT_NE(install, nullptr);
  EXPECT_EQ(install->state(), v1::STEP_STATE_SUCCEEDED);
  EXPECT_EQ(install->exit_code(), 0);

  const v1::Device after = OnlyDevice(env);
  EXPECT_EQ(after.facts().mde_state(), v1::MDE_STATE_ONBOARDED);
  EXPECT_FALSE(after.facts().reboot_pending());
  EXPECT_GT(after.facts().boot_time().seconds(),
            before.facts().boot_time().seconds())
      << "the machine restarted once";

  ProcessOutput get = env.Ctl({"jobs", "get", id});
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_THAT(get.out,
              HasSubstr("daily 00:00-24:00 (device local time); steps that "
                        "restart the machine wait for it"));
}

TEST(EndToEndReboot, WholeTaskScopeLeasesNothingOutsideTheWindow) {
  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  ASSERT_TRUE(env.StartRunner("ws2019").ok());  // reports UTC+00:00
  ASSERT_TRUE(env.WaitForDevices(1, absl::Seconds(60)).ok());
  auto onboarding = env.UploadOnboardingArtifacts();
  ASSERT_TRUE(onboarding.ok()) << onboarding.status();

  // An hour three days from now: closed for the whole test.
  static constexpr const char* kDays[] = {"Mon", "Tue", "Wed", "Thu",
                                          "Fri", "Sat", "Sun"};
  const absl::CivilDay day =
      absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()) + 3;
  const std::string window = absl::StrCat(
      kDays[static_cast<int>(absl::GetWeekday(day))], " 10:00-11:00");
  v1::SubmitJobResponse submitted;
  ASSERT_TRUE(
      env.CtlJson({"jobs", "submit", "onboard", "--target", "all",
                   "--onboarding-script", *onboarding, "--maintenance-window",
                   window, "--maintenance-window-scope", "task"},
                  &submitted)
          .ok());
  const std::string id = submitted.job().id();
  // The runner asks for work twice after the submit: nothing is leased.
  ASSERT_TRUE(WaitForPollsSince(env, absl::Now()));
  v1::Job job;
  ASSERT_TRUE(env.CtlJson({"jobs", "get", id}, &job).ok());
  EXPECT_EQ(job.state(), v1::JOB_STATE_PENDING);
  EXPECT_EQ(job.counts().queued(), 1u);
  ProcessOutput get = env.Ctl({"jobs", "get", id});
  EXPECT_THAT(get.out, HasSubstr(absl::StrCat(
                           window,
                           " (device local time); tasks start, and restart "
                           "the machine, only then")));
}

TEST(EndToEndReboot, BadWindowSyntaxIsRefusedAtSubmitNamingTheFlag) {
  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  ASSERT_TRUE(env.StartRunner("ws2019").ok());
  ASSERT_TRUE(env.WaitForDevices(1, absl::Seconds(60)).ok());
  auto onboarding = env.UploadOnboardingArtifacts();
  ASSERT_TRUE(onboarding.ok()) << onboarding.status();
  ProcessOutput bad = env.Ctl({"jobs", "submit", "onboard", "--target", "all",
                               "--onboarding-script", *onboarding,
                               "--maintenance-window", "Sat 1am-5am"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("--maintenance-window \"Sat 1am-5am\""));
  EXPECT_THAT(bad.err, HasSubstr("\"Sat 01:00-05:00\""));
  ProcessOutput scope = env.Ctl({"jobs", "submit", "onboard", "--target", "all",
                                 "--onboarding-script", *onboarding,
                                 "--maintenance-window-scope", "task"});
  EXPECT_NE(scope.exit_code, 0);
  EXPECT_THAT(scope.err, HasSubstr("--maintenance-window-scope"));
  v1::ListJobsResponse jobs;
  ASSERT_TRUE(env.CtlJson({"jobs", "list"}, &jobs).ok());
  EXPECT_EQ(jobs.jobs_size(), 0);
}

}  // namespace
}  // namespace mdefleet::testing
