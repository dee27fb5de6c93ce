// offboard: Install.ps1 -Uninstall -OffboardingScript on 2012 R2/2016, the
// offboarding script on 2019+.
#include <string>

#include "common/plan/plan.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/plan_test_util.h"

namespace mdefleet::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::DeviceFacts Onboarded(v1::OsFamily family) {
  v1::DeviceFacts facts = FactsFor(family);
  facts.set_sensor_installed(true);
  facts.set_sense_state(v1::SERVICE_STATE_RUNNING);
  facts.set_onboarding_state(1);
  return facts;
}

class OffboardDownlevelTest : public ::testing::TestWithParam<v1::OsFamily> {};

TEST_P(OffboardDownlevelTest, UninstallsWithTheOffboardingScript) {
  auto plan = BuildPlan(InputsFor("offboard"), Onboarded(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(StepNames(*plan),
              ElementsAre("precheck_sensor_present", "precheck_onboarded",
                          "fetch_install_ps1", "fetch_offboarding_script",
                          "run_install_ps1", "verify_sense_absent"));
  const auto& precheck =
      Step(*plan, "precheck_sensor_present").action().check_service();
  EXPECT_EQ(precheck.name(), "Sense");
  EXPECT_THAT(precheck.accept(),
              ::testing::Not(::testing::Contains(v1::SERVICE_STATE_ABSENT)));
  EXPECT_EQ(precheck.on_mismatch(), v1::ON_MISMATCH_SKIP_TASK);
  EXPECT_THAT(precheck.mismatch_message(), HasSubstr("nothing to offboard"));
  const auto& fetch = Step(*plan, "fetch_offboarding_script").action();
  EXPECT_EQ(fetch.fetch_artifact().artifact_id(), std::string(64, 'd'));
  EXPECT_EQ(fetch.fetch_artifact().file_name(), kOffboardingName);
  const auto& run = Step(*plan, "run_install_ps1").action().run_process();
  EXPECT_EQ(run.program(), v1::PROGRAM_POWERSHELL);
  EXPECT_THAT(run.args(),
              ElementsAre("${work_dir}\\Install.ps1", "-Uninstall",
                          "-OffboardingScript",
                          std::string("${work_dir}\\") + kOffboardingName));
  EXPECT_THAT(run.exit_code_meanings().at(33),
              HasSubstr("still onboarded after the offboarding script"));
  // Install.ps1 offboards, then stops at tamper protection: the message
  // says the device is offboarded and md4ws stayed.
  EXPECT_THAT(run.exit_code_meanings().at(38),
              HasSubstr("offboarded the device, then stopped before "
                        "uninstalling md4ws"));
  // 3010 after msiexec /x: succeeded, a restart finishes it (not run again).
  EXPECT_THAT(run.restart_after_exit_codes(), ElementsAre(3010, 1641));
  EXPECT_THAT(run.reboot_exit_codes(), ElementsAre(12));
  ASSERT_EQ(run.failure_logs_size(), 2);
  EXPECT_EQ(run.failure_logs(0).path(), "${work_dir}\\uninstall-*.log");
  EXPECT_THAT(run.failure_logs(0).exit_codes(), ::testing::Contains(1603));
  // Install.ps1's own trace: evidence of any failure, never excerpted.
  EXPECT_EQ(run.failure_logs(1).path(), "${work_dir}\\InstallPS1-*.*.log");
  EXPECT_EQ(run.failure_logs(1).exit_codes_size(), 0);
  const auto& verify =
      Step(*plan, "verify_sense_absent").action().check_service();
  EXPECT_THAT(verify.accept(), ElementsAre(v1::SERVICE_STATE_ABSENT));
  EXPECT_EQ(verify.on_mismatch(), v1::ON_MISMATCH_FAIL);
}

TEST_P(OffboardDownlevelTest, NoPassiveSwitchWhenUninstalling) {
  v1::DeviceFacts facts = Onboarded(GetParam());
  facts.set_third_party_av("McShield");
  auto plan = BuildPlan(InputsFor("offboard"), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(Step(*plan, "run_install_ps1").action().run_process().args(),
              ::testing::Not(::testing::Contains("-Passive")));
}

// Installed but not onboarded: Install.ps1 would exit 34; the task ends
// skipped with upstream's meaning and the way to remove md4ws.
TEST_P(OffboardDownlevelTest, InstalledButNotOnboardedIsSkippedWithTheReason) {
  v1::DeviceFacts facts = FactsFor(GetParam());
  facts.set_sensor_installed(true);
  auto plan = BuildPlan(InputsFor("offboard"), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  const auto& check =
      Step(*plan, "precheck_onboarded").action().check_registry();
  EXPECT_EQ(check.dword_equals(), 1u);
  EXPECT_EQ(check.on_mismatch(), v1::ON_MISMATCH_SKIP_TASK);
  EXPECT_THAT(check.mismatch_message(), HasSubstr("exit 34"));
  EXPECT_THAT(check.mismatch_message(), HasSubstr("submit an uninstall job"));
}

// Uninstalling needs no md4ws.msi.
TEST_P(OffboardDownlevelTest, NeedsNoMd4wsMsi) {
  PlanInputs inputs = InputsFor("offboard");
  inputs.installer_msi.reset();
  auto plan = BuildPlan(inputs, Onboarded(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(StepNames(*plan),
              ::testing::Not(::testing::Contains("fetch_md4ws_msi")));
}

TEST_P(OffboardDownlevelTest, NotInstalledStillChecksOnTheDevice) {
  auto plan = BuildPlan(InputsFor("offboard"), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->steps(0).name(), "precheck_sensor_present");
}

TEST_P(OffboardDownlevelTest, NeedsInstallPs1) {
  PlanInputs inputs = InputsFor("offboard");
  inputs.install_script.reset();
  auto plan = BuildPlan(inputs, Onboarded(GetParam()));
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("parameters.install_script_id"));
}

INSTANTIATE_TEST_SUITE_P(Downlevel, OffboardDownlevelTest,
                         ::testing::Values(v1::OS_FAMILY_WS2012R2,
                                           v1::OS_FAMILY_WS2016),
                         FamilyParamName);

class OffboardModernTest : public ::testing::TestWithParam<v1::OsFamily> {};

TEST_P(OffboardModernTest, RunsTheOffboardingScript) {
  auto plan = BuildPlan(InputsFor("offboard"), Onboarded(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(StepNames(*plan),
              ElementsAre("precheck_onboarded", "fetch_offboarding_script",
                          "run_offboarding_script", "verify_sense_stopped",
                          "verify_offboarded"));
  const auto& precheck =
      Step(*plan, "precheck_onboarded").action().check_registry();
  EXPECT_EQ(precheck.name(), "OnboardingState");
  EXPECT_EQ(precheck.expect_case(), v1::CheckRegistryAction::kDwordEquals);
  EXPECT_EQ(precheck.dword_equals(), 1u);
  EXPECT_EQ(precheck.on_mismatch(), v1::ON_MISMATCH_SKIP_TASK);
  const v1::PlannedStep& run = Step(*plan, "run_offboarding_script");
  EXPECT_FALSE(run.rerun_safe());
  EXPECT_EQ(run.action().run_process().program(), v1::PROGRAM_CMD_SCRIPT);
  EXPECT_THAT(run.action().run_process().args(),
              ElementsAre(std::string("${work_dir}\\") + kOffboardingName));
  EXPECT_EQ(run.action().run_process().display_name(), "offboarding script");
  EXPECT_EQ(run.action().run_process().timeout().seconds(), 600);
  const auto& stopped =
      Step(*plan, "verify_sense_stopped").action().wait_service_state();
  EXPECT_EQ(stopped.name(), "Sense");
  EXPECT_EQ(stopped.state(), v1::SERVICE_STATE_STOPPED);
  const auto& state =
      Step(*plan, "verify_offboarded").action().check_registry();
  EXPECT_EQ(state.name(), "OnboardingState");
  EXPECT_EQ(state.expect_case(), v1::CheckRegistryAction::kDwordEquals);
  EXPECT_EQ(state.dword_equals(), 0u);
  EXPECT_EQ(state.on_mismatch(), v1::ON_MISMATCH_FAIL);
}

TEST_P(OffboardModernTest, NeedsNoInstallerArtifacts) {
  PlanInputs inputs = InputsFor("offboard");
  inputs.install_script.reset();
  inputs.installer_msi.reset();
  EXPECT_TRUE(BuildPlan(inputs, Onboarded(GetParam())).ok());
}

INSTANTIATE_TEST_SUITE_P(Modern, OffboardModernTest,
                         ::testing::Values(v1::OS_FAMILY_WS2019,
                                           v1::OS_FAMILY_WS2022,
                                           v1::OS_FAMILY_WS2025),
                         FamilyParamName);

TEST(OffboardTest, MissingOffboardingScriptIsInvalidArgument) {
  for (v1::OsFamily family : AllFamilies()) {
    PlanInputs inputs = InputsFor("offboard");
    inputs.offboarding_script.reset();
    auto plan = BuildPlan(inputs, Onboarded(family));
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(plan.status().message(),
                HasSubstr("parameters.offboarding_script_id: the offboarding "
                          "script is required for offboard"));
  }
}

TEST(OffboardTest, ScriptNameCannotLeaveTheWorkingDirectory) {
  for (const char* name : {"..\\..\\evil.cmd", "a/b.cmd", "C:x.cmd", ".."}) {
    PlanInputs inputs = InputsFor("offboard");
    inputs.offboarding_script->file_name = name;
    auto plan = BuildPlan(inputs, Onboarded(v1::OS_FAMILY_WS2019));
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(plan.status().message(),
                HasSubstr("parameters.offboarding_script_id"));
  }
}

// An offboarding script stored before names were a closed set never reaches
// cmd.exe under a name it would interpret.
TEST(OffboardTest, ScriptNamesCmdWouldInterpretAreRefused) {
  for (const char* name : {"a&b.cmd", "x.cmd.", "CON.cmd", "a^b.cmd",
                           "a(b).cmd", "a;b.cmd", "nul", "x.cmd "}) {
    PlanInputs inputs = InputsFor("offboard");
    inputs.offboarding_script->file_name = name;
    auto plan = BuildPlan(inputs, Onboarded(v1::OS_FAMILY_WS2019));
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(plan.status().message(),
                HasSubstr("parameters.offboarding_script_id: artifact name"))
        << name;
  }
}

TEST(OffboardTest, UnnamedScriptGetsTheStandardName) {
  PlanInputs inputs = InputsFor("offboard");
  inputs.offboarding_script->file_name = "";
  auto plan = BuildPlan(inputs, Onboarded(v1::OS_FAMILY_WS2022));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(Step(*plan, "fetch_offboarding_script")
                .action()
                .fetch_artifact()
                .file_name(),
            "WindowsDefenderATPOffboardingScript.cmd");
}

}  // namespace
}  // namespace mdefleet::testing
