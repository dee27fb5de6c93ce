// install: Install.ps1 on 2012 R2/2016, a skipped step on 2019+.
#include <string>

#include "common/install_ps1.h"
#include "common/plan/plan.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/plan_test_util.h"

namespace mdefleet::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

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
  EXPECT_EQ(meanings.at(4), "no internet connectivity");
  EXPECT_EQ(meanings.at(12), "pending reboot: reboot, then run again");
  EXPECT_EQ(meanings.at(3), "insufficient privileges (not elevated)");
  EXPECT_EQ(meanings.count(0), 0u);
}

TEST_P(InstallDownlevelTest, PendingRebootMeansRestartThenRunAgain) {
  auto plan = BuildPlan(InputsFor("install"), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  const v1::RunProcessAction& run =
      Step(*plan, "run_install_ps1").action().run_process();
  ASSERT_EQ(run.reboot_exit_codes_size(), 1);
  EXPECT_EQ(run.reboot_exit_codes(0), install_ps1::kPendingReboot);
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
