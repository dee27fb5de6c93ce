// The whole product path with real processes: a mixed simulated fleet enrolls
// with a real mdefleet-server, MMA servers are migrated, the rest onboarded,
// then everything is offboarded — checked step by step through the CLI's JSON.
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_environment.h"
#include "tests/e2e/e2e_helpers.h"

namespace mdefleet::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kWorkspace[] = "11111111-2222-3333-4444-555555555555";

// Device id of the enrolled device whose profile matches.
struct Profile {
  const char* spec;
  v1::OsFamily family;
  bool mma;
  bool av;
};

constexpr Profile kFleet[] = {
    {"ws2012r2", v1::OS_FAMILY_WS2012R2, false, false},
    {"ws2016+mma", v1::OS_FAMILY_WS2016, true, false},
    {"ws2016+av", v1::OS_FAMILY_WS2016, false, true},
    {"ws2019", v1::OS_FAMILY_WS2019, false, false},
    {"ws2022+av+passive", v1::OS_FAMILY_WS2022, false, true},
};

// Maps each profile spec to its device id by the facts the runner reported.
std::map<std::string, std::string> DeviceIdsByProfile(
    const v1::ListDevicesResponse& devices) {
  std::map<std::string, std::string> ids;
  for (const auto& profile : kFleet) {
    for (const auto& device : devices.devices()) {
      const auto& f = device.facts();
      if (f.os_family() == profile.family &&
          (f.mma_workspaces_size() > 0) == profile.mma &&
          !f.third_party_av().empty() == profile.av) {
        ids[profile.spec] = device.id();
      }
    }
  }
  return ids;
}

std::map<std::string, v1::Task> TasksByDevice(const v1::ListTasksResponse& r) {
  std::map<std::string, v1::Task> tasks;
  for (const auto& task : r.tasks()) tasks[task.device_id()] = task;
  return tasks;
}

void ExpectAllStepsSucceeded(const v1::Task& task) {
  for (const auto& step : task.steps()) {
    // onboard's confirmation in Defender: skipped without the Defender API.
    if (step.name() == "confirm_in_defender") {
      EXPECT_EQ(step.state(), v1::STEP_STATE_SKIPPED);
      continue;
    }
    EXPECT_EQ(step.state(), v1::STEP_STATE_SUCCEEDED)
        << task.hostname() << " step " << step.name() << ": " << step.message();
  }
}

TEST(EndToEnd, MigratesOnboardsAndOffboardsAMixedFleet) {
  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  for (const auto& profile : kFleet) {
    ASSERT_TRUE(env.StartRunner(profile.spec).ok());
  }
  ASSERT_TRUE(env.WaitForDevices(5, absl::Seconds(60)).ok())
      << env.server_log();
  v1::ListDevicesResponse devices;
  ASSERT_TRUE(env.CtlJson({"devices", "list"}, &devices).ok());
  std::map<std::string, std::string> id = DeviceIdsByProfile(devices);
  ASSERT_EQ(id.size(), 5u) << devices.DebugString();

  auto onboarding = env.UploadOnboardingArtifacts();
  ASSERT_TRUE(onboarding.ok()) << onboarding.status();

  // Job 1: migrate the MMA server; every other server has nothing to migrate.
  ProcessOutput migrate = env.Ctl(
      {"jobs", "submit", "migrate_mma", "--target", "all", "--workspace-id",
       kWorkspace, "--onboarding-script", *onboarding, "--watch"});
  ASSERT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;
  v1::ListJobsResponse jobs;
  ASSERT_TRUE(env.CtlJson({"jobs", "list"}, &jobs).ok());
  ASSERT_EQ(jobs.jobs_size(), 1);
  const std::string migrate_job = jobs.jobs(0).id();
  EXPECT_EQ(jobs.jobs(0).state(), v1::JOB_STATE_SUCCEEDED);
  v1::ListTasksResponse migrate_tasks;
  ASSERT_TRUE(env.CtlJson({"jobs", "tasks", migrate_job}, &migrate_tasks).ok());
  auto by_device = TasksByDevice(migrate_tasks);
  const v1::Task& migrated = by_device[id["ws2016+mma"]];
  EXPECT_EQ(migrated.state(), v1::TASK_STATE_SUCCEEDED)
      << migrated.DebugString();
  EXPECT_THAT(
      StepNames(migrated),
      ElementsAre("precheck_mma_workspace_present", "precheck_connectivity",
                  "fetch_install_ps1", "fetch_md4ws_msi",
                  "fetch_onboarding_script", "run_install_ps1",
                  "verify_sense_running", "verify_onboarding_state",
                  "verify_workspace_removed"));
  ExpectAllStepsSucceeded(migrated);
  for (const char* other : {"ws2012r2", "ws2016+av", "ws2019"}) {
    EXPECT_EQ(by_device[id[other]].state(), v1::TASK_STATE_SKIPPED) << other;
  }

  // Job 2: onboard everyone; the migrated server is already onboarded.
  ProcessOutput onboard = env.Ctl({"jobs", "submit", "onboard", "--target",
                                   "all", "--onboarding-script", *onboarding,
                                   "--max-in-flight", "2", "--watch"});
  ASSERT_EQ(onboard.exit_code, 0) << onboard.out << onboard.err;
  ASSERT_TRUE(env.CtlJson({"jobs", "list"}, &jobs).ok());
  ASSERT_EQ(jobs.jobs_size(), 2);
  const std::string onboard_job =
      jobs.jobs(0).id() == migrate_job ? jobs.jobs(1).id() : jobs.jobs(0).id();
  v1::ListTasksResponse onboard_tasks;
  ASSERT_TRUE(env.CtlJson({"jobs", "tasks", onboard_job}, &onboard_tasks).ok());
  by_device = TasksByDevice(onboard_tasks);
  ASSERT_EQ(by_device.size(), 5u);

  const v1::Task& ws2012 = by_device[id["ws2012r2"]];
  EXPECT_EQ(ws2012.state(), v1::TASK_STATE_SUCCEEDED) << ws2012.DebugString();
  EXPECT_THAT(StepNames(ws2012),
              ElementsAre("precheck_not_onboarded", "fetch_install_ps1",
                          "fetch_md4ws_msi", "fetch_onboarding_script",
                          "run_install_ps1", "verify_sense_running",
                          "verify_onboarding_state", "confirm_in_defender"));
  ExpectAllStepsSucceeded(ws2012);

  const v1::Task& ws2016av = by_device[id["ws2016+av"]];
  EXPECT_EQ(ws2016av.state(), v1::TASK_STATE_SUCCEEDED);
  ExpectAllStepsSucceeded(ws2016av);

  const v1::Task& ws2019 = by_device[id["ws2019"]];
  EXPECT_EQ(ws2019.state(), v1::TASK_STATE_SUCCEEDED) << ws2019.DebugString();
  EXPECT_THAT(StepNames(ws2019),
              ElementsAre("precheck_not_onboarded", "precheck_connectivity",
                          "fetch_onboarding_script", "run_onboarding_script",
                          "verify_sense_running", "verify_onboarding_state",
                          "confirm_in_defender"));
  ExpectAllStepsSucceeded(ws2019);

  const v1::Task& ws2022 = by_device[id["ws2022+av+passive"]];
  EXPECT_EQ(ws2022.state(), v1::TASK_STATE_SUCCEEDED) << ws2022.DebugString();
  ASSERT_NE(FindStep(ws2022, "precheck_passive_mode"), nullptr);
  ExpectAllStepsSucceeded(ws2022);

  const v1::Task& already = by_device[id["ws2016+mma"]];
  EXPECT_EQ(already.state(), v1::TASK_STATE_SKIPPED);
  ASSERT_FALSE(already.steps().empty());
  EXPECT_THAT(already.steps(0).message(), HasSubstr("already onboarded"));

  v1::ListDevicesResponse onboarded;
  ASSERT_TRUE(
      env.CtlJson({"devices", "list", "--mde-state", "onboarded"}, &onboarded)
          .ok());
  EXPECT_EQ(onboarded.devices_size(), 5);

  // Job 3: offboard everything with an offboarding script valid for 30 days.
  auto offboarding = env.Upload(env.WriteOffboardingScript(DatePlusDays(30)),
                                "offboarding_script");
  ASSERT_TRUE(offboarding.ok()) << offboarding.status();
  ProcessOutput offboard =
      env.Ctl({"jobs", "submit", "offboard", "--target", "all",
               "--offboarding-script", *offboarding, "--watch"});
  ASSERT_EQ(offboard.exit_code, 0) << offboard.out << offboard.err;

  v1::ListDevicesResponse after;
  ASSERT_TRUE(env.CtlJson({"devices", "list"}, &after).ok());
  for (const auto& device : after.devices()) {
    const auto& f = device.facts();
    if (f.os_family() == v1::OS_FAMILY_WS2012R2 ||
        f.os_family() == v1::OS_FAMILY_WS2016) {
      // Install.ps1 -Uninstall removes the unified agent: Sense is gone.
      EXPECT_EQ(f.mde_state(), v1::MDE_STATE_NOT_INSTALLED) << f.hostname();
      EXPECT_EQ(f.sense_state(), v1::SERVICE_STATE_ABSENT) << f.hostname();
    } else {
      EXPECT_EQ(f.mde_state(), v1::MDE_STATE_NOT_ONBOARDED) << f.hostname();
      EXPECT_EQ(f.sense_state(), v1::SERVICE_STATE_STOPPED) << f.hostname();
      EXPECT_EQ(f.onboarding_state(), 0) << f.hostname();
    }
  }
}

}  // namespace
}  // namespace mdefleet::testing
