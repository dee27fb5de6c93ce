// Maintenance windows on the server: a WHOLE_TASK job leases a device's task
// only while the device's local time (server clock + the offset its runner
// reports) is in a window; every leased task, re-deliveries included,
// carries the windows for the runner; bad windows are refused at submit;
// progress messages of a running step are recorded. Time comes from the
// TestEnv's fake clock (TestEpoch is Friday 2024-03-01 12:00 UTC).
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/rollout_fixture.h"

namespace mdefleet::testing {
namespace {

using ::testing::HasSubstr;

class MaintenanceWindowTest : public RolloutTest {
 protected:
  // A 2019 device whose runner reports `offset_minutes` from UTC.
  EnrolledDevice Device(const std::string& name, int offset_minutes) {
    v1::DeviceFacts facts = MakeFacts(name, "2019");
    facts.set_utc_offset_minutes(offset_minutes);
    return env_.Enroll(facts);
  }
  static v1::RolloutPolicy Windows(v1::MaintenanceScope scope) {
    v1::RolloutPolicy policy;
    policy.add_maintenance_windows()->set_spec("Sat 01:00-05:00");
    policy.set_maintenance_scope(scope);
    return policy;
  }
};

TEST_F(MaintenanceWindowTest, WholeTaskLeasesOnlyInTheDevicesLocalWindow) {
  const EnrolledDevice utc = Device("DEV-UTC", 0);          // Fri 12:00
  const EnrolledDevice tokyo = Device("DEV-TOKYO", 540);    // Fri 21:00
  const EnrolledDevice kiribati = Device("DEV-LINE", 840);  // Sat 02:00
  const std::string job_id = Submit(Windows(v1::MAINTENANCE_SCOPE_WHOLE_TASK));

  EXPECT_FALSE(Lease(utc).has_value());
  EXPECT_FALSE(Lease(tokyo).has_value());
  std::optional<v1::LeasedTask> in_window = Lease(kiribati);
  ASSERT_TRUE(in_window.has_value()) << "Saturday 02:00 on the device";
  ASSERT_EQ(in_window->maintenance_windows_size(), 1);
  EXPECT_EQ(in_window->maintenance_windows(0).spec(), "Sat 01:00-05:00");

  // Friday 16:00 UTC is Saturday 01:00 in Tokyo.
  env_.clock().Advance(absl::Hours(4) - absl::Minutes(1));
  EXPECT_FALSE(Lease(tokyo).has_value());
  env_.clock().Advance(absl::Minutes(1));
  EXPECT_TRUE(Lease(tokyo).has_value());
  EXPECT_FALSE(Lease(utc).has_value());
  // Saturday 01:00 UTC.
  env_.clock().Advance(absl::Hours(9));
  EXPECT_TRUE(Lease(utc).has_value());
  EXPECT_EQ(Job(job_id).counts().queued(), 0u);
  env_.ExpectCountersMatchTasks(job_id);
}

TEST_F(MaintenanceWindowTest, AClosedWindowDoesNotHoldUpOtherJobs) {
  const EnrolledDevice utc = Device("DEV-UTC", 0);
  const std::string waiting = Submit(Windows(v1::MAINTENANCE_SCOPE_WHOLE_TASK));
  const std::string any_time = Submit(v1::RolloutPolicy());
  std::optional<v1::LeasedTask> task = Lease(utc);
  ASSERT_TRUE(task.has_value());
  EXPECT_EQ(task->job_id(), any_time);
  EXPECT_EQ(task->maintenance_windows_size(), 0);
  EXPECT_EQ(Job(waiting).counts().queued(), 1u);
}

TEST_F(MaintenanceWindowTest, RebootScopeLeasesAnyTimeAndCarriesTheWindows) {
  const EnrolledDevice utc = Device("DEV-UTC", 0);
  Submit(Windows(v1::MAINTENANCE_SCOPE_REBOOT_STEPS));
  std::optional<v1::LeasedTask> task = Lease(utc);
  ASSERT_TRUE(task.has_value());
  ASSERT_EQ(task->maintenance_windows_size(), 1);
  // Re-delivered (the runner restarted) with the windows again.
  std::optional<v1::LeasedTask> again = Lease(utc);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->lease_id(), task->lease_id());
  ASSERT_EQ(again->maintenance_windows_size(), 1);
  EXPECT_EQ(again->maintenance_windows(0).spec(), "Sat 01:00-05:00");
}

TEST_F(MaintenanceWindowTest, BadWindowsAreRefusedAtSubmitNamingTheFlag) {
  Device("DEV-UTC", 0);
  v1::RolloutPolicy bad;
  bad.add_maintenance_windows()->set_spec("Saturday night");
  absl::Status s = Refused(Onboard(bad));
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("policy.maintenance_windows[0]"));
  EXPECT_THAT(s.message(), HasSubstr("--maintenance-window"));

  v1::RolloutPolicy scope_only;
  scope_only.set_maintenance_scope(v1::MAINTENANCE_SCOPE_WHOLE_TASK);
  s = Refused(Onboard(scope_only));
  EXPECT_THAT(s.message(), HasSubstr("--maintenance-window-scope"));
}

TEST_F(MaintenanceWindowTest, WindowsAreStoredInTheirCanonicalForm) {
  Device("DEV-UTC", 0);
  v1::RolloutPolicy policy;
  policy.add_maintenance_windows()->set_spec("saturday 01:00-05:00");
  const std::string job_id = Submit(policy);
  EXPECT_EQ(Job(job_id).spec().policy().maintenance_windows(0).spec(),
            "Sat 01:00-05:00");
}

TEST_F(MaintenanceWindowTest, ProgressOfARunningStepIsRecorded) {
  const EnrolledDevice utc = Device("DEV-UTC", 0);
  const std::string job_id = Submit(v1::RolloutPolicy());
  std::optional<v1::LeasedTask> task = Lease(utc);
  ASSERT_TRUE(task.has_value());
  ASSERT_TRUE(
      env_.runner()
          .ReportStep(utc.bearer, Report(*task, 0, v1::STEP_STATE_RUNNING))
          .ok());
  v1::ReportStepRequest progress = Report(*task, 0, v1::STEP_STATE_RUNNING);
  progress.set_message("rebooting (image prep)");
  ASSERT_TRUE(env_.runner().ReportStep(utc.bearer, progress).ok());
  v1::Task shown = TaskOf(job_id, utc);
  EXPECT_EQ(shown.steps(0).state(), v1::STEP_STATE_RUNNING);
  EXPECT_EQ(shown.steps(0).message(), "rebooting (image prep)");
  // The same report again changes nothing.
  const std::string before = env_.Snapshot();
  ASSERT_TRUE(env_.runner().ReportStep(utc.bearer, progress).ok());
  EXPECT_EQ(env_.Snapshot(), before);
}

}  // namespace
}  // namespace mdefleet::testing
