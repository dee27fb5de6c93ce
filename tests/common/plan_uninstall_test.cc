// uninstall: Install.ps1 -Uninstall on 2012 R2/2016 servers that are
// installed but not onboarded; nothing to do on 2019+.
#include <string>

#include "common/plan/plan.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/plan_test_util.h"

namespace mdefleet::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

v1::DeviceFacts Installed(v1::OsFamily family) {
  v1::DeviceFacts facts = FactsFor(family);
  facts.set_sensor_installed(true);
  facts.set_sense_state(v1::SERVICE_STATE_STOPPED);
  return facts;
}

class UninstallDownlevelTest : public ::testing::TestWithParam<v1::OsFamily> {};

TEST_P(UninstallDownlevelTest, RunsInstallPs1UninstallWithoutTheMsi) {
  PlanInputs inputs = InputsFor("uninstall");
  inputs.installer_msi.reset();
  inputs.offboarding_script.reset();
  auto plan = BuildPlan(inputs, Installed(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(StepNames(*plan),
              ElementsAre("precheck_sensor_present", "precheck_not_onboarded",
                          "fetch_install_ps1", "run_install_ps1",
                          "verify_sense_absent"));
  const auto& run = Step(*plan, "run_install_ps1").action().run_process();
  EXPECT_THAT(run.args(),
              ElementsAre("${work_dir}\\Install.ps1", "-Uninstall"));
  EXPECT_THAT(run.restart_after_exit_codes(), Contains(3010));
  EXPECT_THAT(run.reboot_exit_codes(), Not(Contains(3010)));
  const auto& absent =
      Step(*plan, "precheck_sensor_present").action().check_service();
  EXPECT_EQ(absent.on_mismatch(), v1::ON_MISMATCH_SKIP_TASK);
  EXPECT_THAT(absent.mismatch_message(), HasSubstr("nothing to uninstall"));
  // An onboarded device is refused on the device: offboard does both.
  const auto& onboarded =
      Step(*plan, "precheck_not_onboarded").action().check_registry();
  EXPECT_EQ(onboarded.dword_not_equals(), 1u);
  EXPECT_EQ(onboarded.on_mismatch(), v1::ON_MISMATCH_FAIL);
  EXPECT_THAT(onboarded.mismatch_message(), HasSubstr("submit offboard"));
}

TEST_P(UninstallDownlevelTest, NeedsInstallPs1) {
  PlanInputs inputs = InputsFor("uninstall");
  inputs.install_script.reset();
  auto plan = BuildPlan(inputs, Installed(GetParam()));
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("parameters.install_script_id"));
}

INSTANTIATE_TEST_SUITE_P(Downlevel, UninstallDownlevelTest,
                         ::testing::Values(v1::OS_FAMILY_WS2012R2,
                                           v1::OS_FAMILY_WS2016),
                         FamilyParamName);

class UninstallModernTest : public ::testing::TestWithParam<v1::OsFamily> {};

TEST_P(UninstallModernTest, SkipsBuiltInSensor) {
  auto plan = BuildPlan(InputsFor("uninstall"), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->steps_size(), 1);
  EXPECT_TRUE(plan->steps(0).action().has_skip());
  EXPECT_THAT(plan->steps(0).action().skip().reason(),
              HasSubstr("built into Windows"));
}

INSTANTIATE_TEST_SUITE_P(Modern, UninstallModernTest,
                         ::testing::Values(v1::OS_FAMILY_WS2019,
                                           v1::OS_FAMILY_WS2022,
                                           v1::OS_FAMILY_WS2025),
                         FamilyParamName);

}  // namespace
}  // namespace mdefleet::testing
