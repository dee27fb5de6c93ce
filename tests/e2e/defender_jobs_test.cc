// set_passive_mode and health_check with the real binaries.
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_environment.h"
#include "tests/e2e/e2e_helpers.h"

namespace mdefleet::testing {
namespace {

using ::testing::HasSubstr;

// The job's tasks by hostname (simulated hostnames start with the OS,
// "SIM-2019-...").
std::map<std::string, v1::Task> Tasks(E2eEnvironment& env,
                                      const std::string& id) {
  v1::ListTasksResponse tasks;
  EXPECT_TRUE(env.CtlJson({"jobs", "tasks", id}, &tasks).ok());
  return TasksByHost(tasks);
}

TEST(EndToEndDefender, SetPassiveModeSetsSkipsAndRefusesUnderTamper) {
  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  ASSERT_TRUE(env.StartRunner("ws2019+av").ok());
  ASSERT_TRUE(env.StartRunner("ws2022+onboarded+tamper+av").ok());
  ASSERT_TRUE(env.StartRunner("ws2016+av+passive+onboarded").ok());
  ASSERT_TRUE(env.WaitForDevices(3, absl::Seconds(60)).ok());

  // The dry run warns about the device tamper protection will hold.
  ProcessOutput dry = env.Ctl(
      {"jobs", "submit", "set_passive_mode", "--target", "all", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("this device will fail: tamper protection"));

  v1::SubmitJobResponse submitted;
  ASSERT_TRUE(
      env.CtlJson({"jobs", "submit", "set_passive_mode", "--target", "all"},
                  &submitted)
          .ok());
  const std::string id = submitted.job().id();
  WaitForJobEnd(env, id, absl::Seconds(90));
  std::map<std::string, v1::Task> by_os;
  for (auto& [host, task] : Tasks(env, id)) {
    by_os[host.substr(0, 8)] = task;  // "SIM-2019", "SIM-2022", "SIM-2016"
  }
  ASSERT_EQ(by_os.size(), 3u);
  const v1::Task& set = by_os["SIM-2019"];
  EXPECT_EQ(set.state(), v1::TASK_STATE_SUCCEEDED) << set.DebugString();
  EXPECT_THAT(FindStep(set, "verify_force_passive_mode")->message(),
              HasSubstr("ForceDefenderPassiveMode is REG_DWORD 1"));
  const v1::Task& tamper = by_os["SIM-2022"];
  EXPECT_EQ(tamper.state(), v1::TASK_STATE_FAILED);
  EXPECT_THAT(tamper.message(),
              HasSubstr("precheck_tamper_protection: tamper protection is on"));
  EXPECT_THAT(tamper.message(), HasSubstr("before onboarding"));
  const v1::StepResult* not_set = FindStep(tamper, "set_force_passive_mode");
  EXPECT_EQ(not_set->state(), v1::STEP_STATE_SKIPPED);
  EXPECT_THAT(not_set->message(), HasSubstr("not run"));
  const v1::Task& passive = by_os["SIM-2016"];
  EXPECT_EQ(passive.state(), v1::TASK_STATE_SKIPPED);
  EXPECT_THAT(passive.message(), HasSubstr("already runs in passive mode"));
}

TEST(EndToEndDefender, HealthCheckRecordsFindingsAndUpdatesFacts) {
  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  ASSERT_TRUE(env.StartRunner("ws2019+onboarded+tamper").ok());
  ASSERT_TRUE(env.StartRunner("ws2022+onboarded+tamper+mapsoff").ok());
  ASSERT_TRUE(env.StartRunner("ws2016+onboarded+tamper+mapsoff").ok());
  ASSERT_TRUE(env.WaitForDevices(3, absl::Seconds(60)).ok());

  v1::SubmitJobResponse submitted;
  ASSERT_TRUE(env.CtlJson({"jobs", "submit", "health_check", "--target", "all"},
                          &submitted)
                  .ok());
  const std::string id = submitted.job().id();
  v1::Job job = WaitForJobEnd(env, id, absl::Seconds(90));
  EXPECT_EQ(job.counts().succeeded(), 1u);
  EXPECT_EQ(job.counts().failed(), 2u);

  for (const auto& [host, task] : Tasks(env, id)) {
    SCOPED_TRACE(host);
    // Every check ran, whatever failed before it.
    for (const auto& step : task.steps()) {
      EXPECT_NE(step.state(), v1::STEP_STATE_PENDING) << step.name();
      EXPECT_THAT(step.message(), ::testing::Not(HasSubstr("not run")))
          << step.name();
    }
    v1::Device device;
    ASSERT_TRUE(
        env.CtlJson({"devices", "get", task.device_id()}, &device).ok());
    const v1::DeviceFacts& f = device.facts();
    if (host.rfind("SIM-2019", 0) == 0) {
      EXPECT_EQ(task.state(), v1::TASK_STATE_SUCCEEDED) << task.DebugString();
      EXPECT_EQ(f.cloud_protection(), v1::FEATURE_STATE_ON);
      EXPECT_TRUE(f.cloud_connection().ok());
      EXPECT_GT(f.cloud_connection().checked_at().seconds(), 0);
      continue;
    }
    EXPECT_EQ(task.state(), v1::TASK_STATE_FAILED);
    EXPECT_THAT(task.message(), HasSubstr("2 checks failed: "
                                          "check_cloud_protection: cloud-"
                                          "delivered protection is off"));
    EXPECT_THAT(task.message(),
                HasSubstr("check_cloud_connection: 0x80508015"));
    EXPECT_EQ(FindStep(task, "check_sense_running")->state(),
              v1::STEP_STATE_SUCCEEDED);
    EXPECT_EQ(f.cloud_protection(), v1::FEATURE_STATE_OFF);
    EXPECT_FALSE(f.cloud_connection().ok());
    EXPECT_EQ(f.cloud_connection().error_code(), "0x80508015");
    EXPECT_THAT(f.cloud_connection().message(), HasSubstr("MAPSReporting"));
    EXPECT_EQ(f.tamper_protection(), v1::FEATURE_STATE_ON);
    EXPECT_EQ(f.av_mode(), v1::AV_MODE_ACTIVE);
  }

  // The fleet summary shows the two devices with cloud protection off, and
  // --needs health_check lists exactly them (the healthy one was checked).
  v1::FleetSummary summary;
  ASSERT_TRUE(env.CtlJson({"fleet", "summary"}, &summary).ok());
  std::map<std::string, uint32_t> needs;
  for (const auto& n : summary.needs()) needs[n.need().need()] = n.devices();
  EXPECT_EQ(needs["cloud_protection_off"], 2u) << summary.ShortDebugString();
  EXPECT_EQ(needs["health_unknown"], 0u);
  EXPECT_EQ(needs["tamper_protection_off"], 0u);
  v1::ListDevicesResponse to_fix;
  ASSERT_TRUE(
      env.CtlJson({"devices", "list", "--needs", "health_check"}, &to_fix)
          .ok());
  std::vector<std::string> hosts;
  for (const auto& d : to_fix.devices()) {
    hosts.push_back(d.facts().hostname().substr(0, 8));
  }
  EXPECT_THAT(hosts, ::testing::ElementsAre("SIM-2016", "SIM-2022"));
  ProcessOutput table = env.Ctl({"fleet", "summary"});
  EXPECT_THAT(
      table.out,
      HasSubstr("cloud-delivered protection is off (MAPSReporting = 0)"));
}

}  // namespace
}  // namespace mdefleet::testing
