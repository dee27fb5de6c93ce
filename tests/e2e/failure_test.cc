// Failures a real rollout meets, end to end: a downlevel server without
// internet (Install.ps1 exit 4) and a 2019 server with a third-party
// antivirus but no passive mode. The job ends failed and says why.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_environment.h"
#include "tests/e2e/e2e_helpers.h"

namespace mdefleet::testing {
namespace {

using ::testing::HasSubstr;

const v1::Task* TaskOn(const v1::ListTasksResponse& tasks,
                       const v1::ListDevicesResponse& devices,
                       v1::OsFamily family) {
  for (const auto& device : devices.devices()) {
    if (device.facts().os_family() != family) continue;
    for (const auto& task : tasks.tasks()) {
      if (task.device_id() == device.id()) return &task;
    }
  }
  return nullptr;
}

TEST(EndToEnd, FailedStepsEndTheJobFailedWithActionableMessages) {
  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  ASSERT_TRUE(env.StartRunner("ws2016+noconn").ok());
  ASSERT_TRUE(env.StartRunner("ws2019+av").ok());
  ASSERT_TRUE(env.WaitForDevices(2, absl::Seconds(60)).ok());
  auto onboarding = env.UploadOnboardingArtifacts();
  ASSERT_TRUE(onboarding.ok()) << onboarding.status();

  ProcessOutput watch =
      env.Ctl({"jobs", "submit", "onboard", "--target", "all",
               "--onboarding-script", *onboarding, "--watch"});
  EXPECT_NE(watch.exit_code, 0) << "watch must fail when the job fails";

  v1::ListJobsResponse jobs;
  ASSERT_TRUE(env.CtlJson({"jobs", "list"}, &jobs).ok());
  ASSERT_EQ(jobs.jobs_size(), 1);
  v1::Job job;
  ASSERT_TRUE(env.CtlJson({"jobs", "get", jobs.jobs(0).id()}, &job).ok());
  EXPECT_EQ(job.state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(job.counts().failed(), 2u);

  v1::ListTasksResponse tasks;
  ASSERT_TRUE(env.CtlJson({"jobs", "tasks", job.id()}, &tasks).ok());
  v1::ListDevicesResponse devices;
  ASSERT_TRUE(env.CtlJson({"devices", "list"}, &devices).ok());

  const v1::Task* noconn = TaskOn(tasks, devices, v1::OS_FAMILY_WS2016);
  ASSERT_NE(noconn, nullptr);
  EXPECT_EQ(noconn->state(), v1::TASK_STATE_FAILED);
  const v1::StepResult* install = FindStep(*noconn, "run_install_ps1");
  ASSERT_NE(install, nullptr);
  EXPECT_EQ(install->state(), v1::STEP_STATE_FAILED);
  EXPECT_EQ(install->exit_code(), 4);
  EXPECT_THAT(install->message(),
              HasSubstr("Install.ps1 exit 4: no internet connectivity"));
  // Steps after the failure are not run.
  const v1::StepResult* verify = FindStep(*noconn, "verify_sense_running");
  ASSERT_NE(verify, nullptr);
  EXPECT_EQ(verify->state(), v1::STEP_STATE_SKIPPED);

  const v1::Task* av = TaskOn(tasks, devices, v1::OS_FAMILY_WS2019);
  ASSERT_NE(av, nullptr);
  EXPECT_EQ(av->state(), v1::TASK_STATE_FAILED);
  const v1::StepResult* passive = FindStep(*av, "precheck_passive_mode");
  ASSERT_NE(passive, nullptr);
  EXPECT_EQ(passive->state(), v1::STEP_STATE_FAILED);
  EXPECT_THAT(passive->message(),
              HasSubstr("run set_passive_mode before onboarding"));
  // Nothing was run on the device after the precheck failed.
  const v1::StepResult* script = FindStep(*av, "run_onboarding_script");
  ASSERT_NE(script, nullptr);
  EXPECT_EQ(script->state(), v1::STEP_STATE_SKIPPED);

  // The job view names the failing steps.
  ASSERT_GE(job.failing_steps_size(), 1);

  // What Install.ps1 printed and its trace log reached the server before the
  // device deleted its work directory; an operator reads them by host name.
  const std::string hostname = [&] {
    for (const auto& d : devices.devices()) {
      if (d.id() == noconn->device_id()) return d.facts().hostname();
    }
    return std::string();
  }();
  ProcessOutput logs = env.Ctl({"jobs", "logs", job.id(), "--device", hostname,
                                "--step", "run_install_ps1"});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_THAT(logs.out, HasSubstr("step run_install_ps1: stderr.txt"));
  EXPECT_THAT(logs.out, HasSubstr("no internet connectivity"));
  EXPECT_THAT(logs.out, HasSubstr(": InstallPS1-" + hostname + "."));
  // A step without evidence says so, and why there may be none.
  ProcessOutput none = env.Ctl({"jobs", "logs", job.id(), "--device", hostname,
                                "--step", "precheck_not_onboarded"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_THAT(none.out, HasSubstr("no evidence for job"));
}

}  // namespace
}  // namespace mdefleet::testing
