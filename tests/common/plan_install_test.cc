// install: Install.ps1 on 2012 R2/2016, a skipped step on 2019+.
#include <string>

#include "common/install_ps1.h"
#include "common/plan/plan.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/plan_test_util.h"

namespace mdefleet::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class InstallDownlevelTest : public ::testing::TestWithParam<v1::OsFamily> {};

TEST_P(InstallDownlevelTest, InstallsWithInstallPs1ThenVerifies) {
  auto plan = BuildPlan(InputsFor("install"), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(StepNames(*plan),
              ElementsAre("precheck_not_installed", "fetch_install_ps1",
                          "fetch_md4ws_msi", "run_install_ps1",
                          "verify_sensor_installed"));

  const auto& precheck = Step(*plan, "precheck_not_installed").action();
  ASSERT_TRUE(precheck.has_check_service());
  EXPECT_EQ(precheck.check_service().name(), "Sense");
  EXPECT_THAT(precheck.check_service().accept(),
              ElementsAre(v1::SERVICE_STATE_ABSENT));
  EXPECT_EQ(precheck.check_service().on_mismatch(), v1::ON_MISMATCH_SKIP_TASK);
  EXPECT_THAT(precheck.check_service().mismatch_message(),
              HasSubstr("unified agent already installed"));

  const auto& fetch_script = Step(*plan, "fetch_install_ps1").action();
  EXPECT_EQ(fetch_script.fetch_artifact().artifact_id(), std::string(64, 'a'));
  EXPECT_EQ(fetch_script.fetch_artifact().file_name(), "Install.ps1");
  const auto& fetch_msi = Step(*plan, "fetch_md4ws_msi").action();
  EXPECT_EQ(fetch_msi.fetch_artifact().artifact_id(), std::string(64, 'b'));
  EXPECT_EQ(fetch_msi.fetch_artifact().file_name(), "md4ws.msi");

  const v1::PlannedStep& run = Step(*plan, "run_install_ps1");
  EXPECT_FALSE(run.rerun_safe());
  EXPECT_EQ(run.action().run_process().program(), v1::PROGRAM_POWERSHELL);
  EXPECT_THAT(run.action().run_process().args(),
              ElementsAre("${work_dir}\\Install.ps1"));
  EXPECT_EQ(run.action().run_process().timeout().seconds(), 30 * 60);
  EXPECT_EQ(run.action().run_process().display_name(), "Install.ps1");

  const auto& verify = Step(*plan, "verify_sensor_installed").action();
  EXPECT_EQ(verify.check_service().name(), "Sense");
  EXPECT_EQ(verify.check_service().on_mismatch(), v1::ON_MISMATCH_FAIL);
  EXPECT_THAT(verify.check_service().accept(),
              ::testing::Not(::testing::Contains(v1::SERVICE_STATE_ABSENT)));
  EXPECT_THAT(verify.check_service().accept(),
              ::testing::Contains(v1::SERVICE_STATE_RUNNING));
  EXPECT_THAT(verify.check_service().accept(),
              ::testing::Contains(v1::SERVICE_STATE_STOPPED));
}

TEST_P(InstallDownlevelTest, ThirdPartyAvAddsPassive) {
  v1::DeviceFacts facts = FactsFor(GetParam());
  facts.set_third_party_av("CSFalconService");
  auto plan = BuildPlan(InputsFor("install"), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(Step(*plan, "run_install_ps1").action().run_process().args(),
              ElementsAre("${work_dir}\\Install.ps1", "-Passive"));
  EXPECT_THAT(Step(*plan, "run_install_ps1").description(),
              HasSubstr("CSFalconService"));
}

TEST_P(InstallDownlevelTest, AlreadyInstalledStillChecksOnTheDevice) {
  v1::DeviceFacts facts = FactsFor(GetParam());
  facts.set_sensor_installed(true);
  facts.set_sense_state(v1::SERVICE_STATE_RUNNING);
  auto plan = BuildPlan(InputsFor("install"), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  // The precheck decides at run time (facts may be stale): same plan.
  EXPECT_EQ(plan->steps(0).name(), "precheck_not_installed");
  EXPECT_EQ(plan->steps_size(), 5);
}

TEST_P(InstallDownlevelTest, ExitCodeMeaningsCoverEveryDocumentedCode) {
  auto plan = BuildPlan(InputsFor("install"), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  const auto& meanings = Step(*plan, "run_install_ps1")
                             .action()
                             .run_process()
                             .exit_code_meanings();
  EXPECT_EQ(meanings.size(), std::size(install_ps1::kExitCodes));
  EXPECT_THAT(meanings.at(4), HasSubstr("no internet connectivity"));
  EXPECT_EQ(meanings.at(12), "pending reboot: reboot, then run again");
  EXPECT_EQ(meanings.at(3), "insufficient privileges (not elevated)");
  EXPECT_EQ(meanings.count(0), 0u);
  // Every code upstream's ERR_* table has (1 to 39), with advice.
  for (int code : {1,  3,  4,  5,  6,  10, 11, 12, 13, 14, 15, 16, 17, 18,
                   20, 21, 22, 23, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39}) {
    EXPECT_EQ(meanings.count(code), 1u) << code;
  }
  EXPECT_THAT(meanings.at(37), HasSubstr("Group Policy package"));
  EXPECT_THAT(meanings.at(38), HasSubstr("tamper protection"));
  EXPECT_THAT(meanings.at(39), HasSubstr("DisableAntiSpyware"));
  // And the msiexec codes it passes on.
  EXPECT_THAT(meanings.at(1603), HasSubstr("MSI log"));
  EXPECT_THAT(meanings.at(1618), HasSubstr("another installation"));
  EXPECT_THAT(meanings.at(3010), HasSubstr("restart"));
}

// 12 (pending reboot), and msiexec's 3010/1641 (installed, restart
// required/started): Install.ps1 stopped before the onboarding script, so
// the runner restarts the machine and runs it again.
TEST_P(InstallDownlevelTest, RestartCodesMeanRestartThenRunAgain) {
  auto plan = BuildPlan(InputsFor("install"), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  const v1::RunProcessAction& run =
      Step(*plan, "run_install_ps1").action().run_process();
  EXPECT_THAT(run.reboot_exit_codes(),
              ElementsAre(install_ps1::kPendingReboot, 3010, 1641));
  EXPECT_THAT(run.restart_after_exit_codes(), IsEmpty());
  // 1618, another installation in progress, is retried.
  EXPECT_THAT(run.retryable_exit_codes(), Contains(1618));
  // 1603: the message carries the end of the MSI log Install.ps1 leaves.
  ASSERT_EQ(run.failure_logs_size(), 2);
  EXPECT_EQ(run.failure_logs(0).path(), "${work_dir}\\install-*.log");
  EXPECT_THAT(run.failure_logs(0).exit_codes(), Contains(1603));
  // Install.ps1's own trace: evidence of any failure, never excerpted.
  EXPECT_EQ(run.failure_logs(1).path(), "${work_dir}\\InstallPS1-*.*.log");
  EXPECT_EQ(run.failure_logs(1).exit_codes_size(), 0);
}

TEST_P(InstallDownlevelTest, MissingInstallScriptIsInvalidArgument) {
  PlanInputs inputs = InputsFor("install");
  inputs.install_script.reset();
  auto plan = BuildPlan(inputs, FactsFor(GetParam()));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("parameters.install_script_id: Install.ps1 is "
                        "required for Windows Server 20"));
}

TEST_P(InstallDownlevelTest, MissingMsiIsInvalidArgument) {
  PlanInputs inputs = InputsFor("install");
  inputs.installer_msi = ArtifactRef{"", "md4ws.msi"};
  auto plan = BuildPlan(inputs, FactsFor(GetParam()));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("parameters.installer_msi_id: md4ws.msi is required"));
}

TEST_P(InstallDownlevelTest, MalformedArtifactIdIsInvalidArgument) {
  PlanInputs inputs = InputsFor("install");
  inputs.install_script->id = "not-a-sha";
  auto plan = BuildPlan(inputs, FactsFor(GetParam()));
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(),
              HasSubstr("parameters.install_script_id: \"not-a-sha\" is not "
                        "an artifact id (64 hex characters)"));
}

INSTANTIATE_TEST_SUITE_P(Downlevel, InstallDownlevelTest,
                         ::testing::Values(v1::OS_FAMILY_WS2012R2,
                                           v1::OS_FAMILY_WS2016),
                         FamilyParamName);

class InstallModernTest : public ::testing::TestWithParam<v1::OsFamily> {};

TEST_P(InstallModernTest, IsOneSkippedStepWithTheReason) {
  for (bool av : {false, true}) {
    v1::DeviceFacts facts = FactsFor(GetParam());
    if (av) facts.set_third_party_av("CSFalconService");
    auto plan = BuildPlan(InputsFor("install"), facts);
    ASSERT_TRUE(plan.ok()) << plan.status();
    EXPECT_THAT(StepNames(*plan), ElementsAre("install"));
    ASSERT_TRUE(plan->steps(0).action().has_skip());
    EXPECT_THAT(plan->steps(0).action().skip().reason(),
                HasSubstr("sensor is built in"));
    EXPECT_TRUE(plan->steps(0).rerun_safe());
  }
}

TEST_P(InstallModernTest, NeedsNoInstallerArtifacts) {
  PlanInputs inputs;
  inputs.kind = "install";
  auto plan = BuildPlan(inputs, FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->steps(0).action().skip().reason(),
              HasSubstr("nothing to install on Windows Server"));
}

INSTANTIATE_TEST_SUITE_P(Modern, InstallModernTest,
                         ::testing::Values(v1::OS_FAMILY_WS2019,
                                           v1::OS_FAMILY_WS2022,
                                           v1::OS_FAMILY_WS2025),
                         FamilyParamName);

}  // namespace
}  // namespace mdefleet::testing
