// image_prep with the real binaries: an onboarded 2019 server is offboarded,
// its Cyber directory emptied and senseGuid deleted, then restarted; the
// runner is killed while the machine restarts and the new runner process
// resumes from its journal and verifies; a 2016 server that kept another
// machine's senseGuid (a clone) is cleaned without offboarding. An onboarded
// device without an offboarding script is refused at submit.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
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

constexpr char kCloneGuid[] = "0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9";

std::map<std::string, v1::Device> DevicesByHost(E2eEnvironment& env) {
  v1::ListDevicesResponse devices;
  EXPECT_TRUE(env.CtlJson({"devices", "list"}, &devices).ok());
  std::map<std::string, v1::Device> out;
  for (const auto& d : devices.devices()) out[d.facts().hostname()] = d;
  return out;
}

// Polls `jobs tasks` until `done` holds (or 90 s pass).
v1::ListTasksResponse WaitForTasks(
    E2eEnvironment& env, const std::string& job,
    const std::function<bool(const v1::ListTasksResponse&)>& done) {
  v1::ListTasksResponse tasks;
  if (Eventually(
          [&] {
            tasks.Clear();
            return env.CtlJson({"jobs", "tasks", job}, &tasks).ok() &&
                   done(tasks);
          },
          absl::Seconds(90), absl::Milliseconds(100))) {
    return tasks;
  }
  ADD_FAILURE() << "job " << job
                << " did not get there: " << tasks.ShortDebugString() << "\n"
                << env.server_log();
  return tasks;
}

bool Ended(const v1::Task& t) {
  return t.state() == v1::TASK_STATE_SUCCEEDED ||
         t.state() == v1::TASK_STATE_FAILED ||
         t.state() == v1::TASK_STATE_SKIPPED;
}

TEST(EndToEndImagePrep, OffboardsCleansRestartsAndResumesThroughTheJournal) {
  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  // A slow simulated restart leaves time to kill the runner while the
  // machine is down.
  ASSERT_TRUE(
      env.StartRunner("ws2019+onboarded", {"--sim-delay-ms", "3000"}).ok());
  ASSERT_TRUE(env.StartRunner(absl::StrCat("ws2016+sguid=", kCloneGuid)).ok());
  ASSERT_TRUE(env.WaitForDevices(2, absl::Seconds(60)).ok());
  std::map<std::string, v1::Device> before = DevicesByHost(env);
  ASSERT_EQ(before.size(), 2u);
  std::string onboarded_host, clone_host;
  for (const auto& [host, d] : before) {
    (d.facts().onboarding_state() == 1 ? onboarded_host : clone_host) = host;
  }
  ASSERT_FALSE(onboarded_host.empty());
  ASSERT_FALSE(clone_host.empty());
  EXPECT_FALSE(before[onboarded_host].facts().sense_guid_sha256().empty());
  EXPECT_FALSE(before[clone_host].facts().sense_guid_sha256().empty());

  auto offboarding = env.Upload(env.WriteOffboardingScript(DatePlusDays(20)),
                                "offboarding_script");
  ASSERT_TRUE(offboarding.ok()) << offboarding.status();
  v1::SubmitJobResponse submitted;
  ASSERT_TRUE(env.CtlJson({"jobs", "submit", "image_prep", "--target", "all",
                           "--offboarding-script", *offboarding},
                          &submitted)
                  .ok());
  const std::string id = submitted.job().id();

  // Kill the 2019 runner while its machine restarts (the reboot step says
  // "rebooting"), then start it again: it must resume from the journal.
  WaitForTasks(env, id, [&](const v1::ListTasksResponse& r) {
    for (const auto& t : r.tasks()) {
      if (t.hostname() != onboarded_host) continue;
      const v1::StepResult* reboot = FindStep(t, "reboot");
      return reboot != nullptr && reboot->state() == v1::STEP_STATE_RUNNING &&
             absl::StrContains(reboot->message(), "rebooting");
    }
    return false;
  });
  env.KillRunner(0);
  ASSERT_TRUE(env.RestartRunner(0).ok());

  v1::ListTasksResponse done =
      WaitForTasks(env, id, [](const v1::ListTasksResponse& r) {
        for (const auto& t : r.tasks()) {
          if (!Ended(t)) return false;
        }
        return r.tasks_size() == 2;
      });
  std::map<std::string, v1::Task> tasks = TasksByHost(done);
  const v1::Task& offboarded = tasks[onboarded_host];
  EXPECT_EQ(offboarded.state(), v1::TASK_STATE_SUCCEEDED)
      << offboarded.DebugString() << env.server_log();
  EXPECT_EQ(offboarded.attempt(), 1u) << "continued in the same attempt";
  EXPECT_THAT(
      StepNames(offboarded),
      ElementsAre("precheck_onboarded", "fetch_offboarding_script",
                  "run_offboarding_script", "verify_sense_stopped",
                  "verify_offboarded", "check_sense_stopped",
                  "delete_cyber_contents", "delete_sense_guid", "reboot",
                  "verify_cyber_empty", "verify_sense_guid_absent"));
  for (const auto& step : offboarded.steps()) {
    EXPECT_EQ(step.state(), v1::STEP_STATE_SUCCEEDED) << step.name();
  }
  EXPECT_THAT(FindStep(offboarded, "reboot")->message(),
              HasSubstr("rebooted (image_prep"));

  const v1::Task& clone = tasks[clone_host];
  EXPECT_EQ(clone.state(), v1::TASK_STATE_SUCCEEDED) << clone.DebugString();
  EXPECT_EQ(FindStep(clone, "offboard")->state(), v1::STEP_STATE_SKIPPED);
  EXPECT_THAT(FindStep(clone, "check_sense_stopped")->message(),
              HasSubstr("ABSENT"));

  // The identity is gone from the inventory too (fresh facts at the end).
  std::map<std::string, v1::Device> after = DevicesByHost(env);
  EXPECT_EQ(after[onboarded_host].facts().sense_guid_sha256(), "");
  EXPECT_EQ(after[onboarded_host].facts().mde_state(),
            v1::MDE_STATE_NOT_ONBOARDED);
  EXPECT_GT(after[onboarded_host].facts().boot_time().seconds(),
            before[onboarded_host].facts().boot_time().seconds());
  EXPECT_EQ(after[clone_host].facts().sense_guid_sha256(), "");
}

TEST(EndToEndImagePrep, OnboardedDeviceWithoutOffboardingScriptIsRefused) {
  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  ASSERT_TRUE(env.StartRunner("ws2022+onboarded").ok());
  ASSERT_TRUE(env.WaitForDevices(1, absl::Seconds(60)).ok());
  ProcessOutput refused =
      env.Ctl({"jobs", "submit", "image_prep", "--target", "all"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("parameters.offboarding_script_id"));
  EXPECT_THAT(refused.err, HasSubstr("is onboarded (OnboardingState = 1)"));
  v1::ListJobsResponse jobs;
  ASSERT_TRUE(env.CtlJson({"jobs", "list"}, &jobs).ok());
  EXPECT_EQ(jobs.jobs_size(), 0) << "nothing stored";
}

}  // namespace
}  // namespace mdefleet::testing
