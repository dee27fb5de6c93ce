// migrate_mma: Install.ps1 -RemoveMMA <ws> -OnboardingScript on 2012 R2/2016.
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/plan/plan.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/plan_test_util.h"

namespace mdefleet::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kWorkspaceKey =
    std::string(
        "SYSTEM\\CurrentControlSet\\Services\\HealthService\\Parameters\\"
        "Management Groups\\AOI-") +
    kWorkspace;

v1::DeviceFacts WithMma(v1::OsFamily family,
                        std::initializer_list<const char*> workspaces) {
  v1::DeviceFacts facts = FactsFor(family);
  facts.set_mma_installed(true);
  for (const char* ws : workspaces) facts.add_mma_workspaces(ws);
  return facts;
}

class MigrateDownlevelTest : public ::testing::TestWithParam<v1::OsFamily> {};

TEST_P(MigrateDownlevelTest, RemovesTheWorkspaceAndOnboards) {
  auto plan =
      BuildPlan(InputsFor("migrate_mma"), WithMma(GetParam(), {kWorkspace}));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(
      StepNames(*plan),
      ElementsAre("precheck_mma_workspace_present", "precheck_connectivity",
                  "fetch_install_ps1", "fetch_md4ws_msi",
                  "fetch_onboarding_script", "run_install_ps1",
                  "verify_sense_running", "verify_onboarding_state",
                  "verify_workspace_removed"));
  const auto& precheck =
      Step(*plan, "precheck_mma_workspace_present").action().check_registry();
  EXPECT_EQ(precheck.key(), kWorkspaceKey);
  EXPECT_EQ(precheck.expect_case(), v1::CheckRegistryAction::kPresent);
  EXPECT_EQ(precheck.on_mismatch(), v1::ON_MISMATCH_SKIP_TASK);
  const auto& run = Step(*plan, "run_install_ps1").action().run_process();
  EXPECT_THAT(
      run.args(),
      ElementsAre("${work_dir}\\Install.ps1", "-RemoveMMA", kWorkspace,
                  "-OnboardingScript",
                  "${work_dir}\\WindowsDefenderATPOnboardingScript.cmd"));
  EXPECT_EQ(run.display_name(), "Install.ps1");
  EXPECT_EQ(run.exit_code_meanings().at(12),
            "pending reboot: reboot, then run again");
  const auto& removed =
      Step(*plan, "verify_workspace_removed").action().check_registry();
  EXPECT_EQ(removed.key(), kWorkspaceKey);
  EXPECT_EQ(removed.expect_case(), v1::CheckRegistryAction::kAbsent);
  EXPECT_EQ(removed.on_mismatch(), v1::ON_MISMATCH_FAIL);
  EXPECT_THAT(removed.mismatch_message(), HasSubstr(kWorkspace));
  EXPECT_EQ(
      Step(*plan, "verify_sense_running").action().wait_service_state().state(),
      v1::SERVICE_STATE_RUNNING);
  EXPECT_EQ(Step(*plan, "verify_onboarding_state")
                .action()
                .check_registry()
                .dword_equals(),
            1u);
}

TEST_P(MigrateDownlevelTest, ThirdPartyAvAddsPassive) {
  v1::DeviceFacts facts = WithMma(GetParam(), {kWorkspace});
  facts.set_third_party_av("ekrn");
  auto plan = BuildPlan(InputsFor("migrate_mma"), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(Step(*plan, "run_install_ps1").action().run_process().args(),
              ElementsAre("${work_dir}\\Install.ps1", "-RemoveMMA", kWorkspace,
                          "-OnboardingScript",
                          "${work_dir}\\WindowsDefenderATPOnboardingScript.cmd",
                          "-Passive"));
}

TEST_P(MigrateDownlevelTest, UsesTheWorkspaceAsTheDeviceSpellsIt) {
  PlanInputs inputs = InputsFor("migrate_mma");
  inputs.workspace_id = absl::StrCat(
      "{", absl::AsciiStrToUpper("abcdef01-2222-3333-4444-555555555555"), "}");
  auto plan = BuildPlan(
      inputs, WithMma(GetParam(), {"abcdef01-2222-3333-4444-555555555555"}));
  ASSERT_TRUE(plan.ok()) << plan.status();
  const auto& precheck =
      Step(*plan, "precheck_mma_workspace_present").action().check_registry();
  EXPECT_THAT(precheck.key(),
              ::testing::EndsWith("AOI-abcdef01-2222-3333-4444-555555555555"));
  EXPECT_EQ(precheck.on_mismatch(), v1::ON_MISMATCH_SKIP_TASK);
  EXPECT_THAT(Step(*plan, "run_install_ps1").action().run_process().args(),
              ::testing::Contains("abcdef01-2222-3333-4444-555555555555"));
}

TEST_P(MigrateDownlevelTest, NoMmaSkipsAtThePrecheck) {
  auto plan = BuildPlan(InputsFor("migrate_mma"), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_GT(plan->steps_size(), 0);
  EXPECT_EQ(plan->steps(0).name(), "precheck_mma_workspace_present");
  const auto& precheck = plan->steps(0).action().check_registry();
  EXPECT_EQ(precheck.key(), kWorkspaceKey);
  EXPECT_EQ(precheck.expect_case(), v1::CheckRegistryAction::kPresent);
  EXPECT_EQ(precheck.on_mismatch(), v1::ON_MISMATCH_SKIP_TASK);
  EXPECT_EQ(precheck.mismatch_message(),
            std::string("MMA does not report to workspace ") + kWorkspace +
                " on this device: nothing to migrate");
  // Should the facts be stale, the device still migrates for real.
  EXPECT_TRUE(HasStep(*plan, "run_install_ps1"));
}

// Install.ps1 -RemoveMMA of a workspace MMA does not report to exits 6
// ("Invalid workspace id"): a device reporting only other workspaces is
// refused when the job is submitted.
TEST_P(MigrateDownlevelTest, OtherWorkspacesAreRefusedNamingThem) {
  auto plan = BuildPlan(
      InputsFor("migrate_mma"),
      WithMma(GetParam(),
              {kOtherWorkspace, "12345678-1234-1234-1234-123456789abc"}));
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(plan.status().message(),
            std::string("MMA on this device does not report to workspace ") +
                kWorkspace + " (it reports to " + kOtherWorkspace +
                ", 12345678-1234-1234-1234-123456789abc): -RemoveMMA would "
                "fail; onboard it instead, or name the workspace it reports "
                "to if that is the tenant's MDE workspace");
}

TEST_P(MigrateDownlevelTest, OnlyTheTenantsMdeWorkspaceIsRemoved) {
  PlanInputs inputs = InputsFor("migrate_mma");
  inputs.mde_workspace_ids = {"12345678-1234-1234-1234-123456789abc"};
  auto plan = BuildPlan(inputs, WithMma(GetParam(), {kWorkspace}));
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(),
              HasSubstr(std::string("parameters.workspace_id: ") + kWorkspace +
                        " is not the tenant's Defender for Endpoint "
                        "workspace (configured: "
                        "12345678-1234-1234-1234-123456789abc)"));
  inputs.mde_workspace_ids = {kWorkspace};
  plan = BuildPlan(inputs, WithMma(GetParam(), {kWorkspace, kOtherWorkspace}));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->warnings(),
              ::testing::Not(::testing::Contains(HasSubstr("not configured"))));
  // Not configured: allowed, with a warning the dry run shows.
  plan = BuildPlan(InputsFor("migrate_mma"), WithMma(GetParam(), {kWorkspace}));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->warnings(),
              ::testing::Contains(HasSubstr(
                  "the tenant's Defender for Endpoint workspace is not "
                  "configured")));
}

TEST_P(MigrateDownlevelTest, WorkspaceAmongSeveralIsMigrated) {
  auto plan = BuildPlan(InputsFor("migrate_mma"),
                        WithMma(GetParam(), {kOtherWorkspace, kWorkspace}));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->steps(0).action().check_registry().on_mismatch(),
            v1::ON_MISMATCH_SKIP_TASK);
}

TEST_P(MigrateDownlevelTest, WorkspaceIsRequiredAndMustBeAGuid) {
  PlanInputs inputs = InputsFor("migrate_mma");
  inputs.workspace_id = "";
  auto plan = BuildPlan(inputs, WithMma(GetParam(), {kWorkspace}));
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("parameters.workspace_id: required for migrate_mma"));
  inputs.workspace_id = "xyz";
  plan = BuildPlan(inputs, WithMma(GetParam(), {kWorkspace}));
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("parameters.workspace_id: malformed GUID \"xyz\""));
}

TEST_P(MigrateDownlevelTest, NeedsTheOnboardingScriptAndInstaller) {
  PlanInputs inputs = InputsFor("migrate_mma");
  inputs.onboarding_script.reset();
  auto plan = BuildPlan(inputs, WithMma(GetParam(), {kWorkspace}));
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("parameters.onboarding_script_id: the onboarding "
                        "script is required for migrate_mma"));
  inputs = InputsFor("migrate_mma");
  inputs.install_script.reset();
  plan = BuildPlan(inputs, WithMma(GetParam(), {kWorkspace}));
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("parameters.install_script_id"));
}

INSTANTIATE_TEST_SUITE_P(Downlevel, MigrateDownlevelTest,
                         ::testing::Values(v1::OS_FAMILY_WS2012R2,
                                           v1::OS_FAMILY_WS2016),
                         FamilyParamName);

class MigrateModernTest : public ::testing::TestWithParam<v1::OsFamily> {};

TEST_P(MigrateModernTest, WithMmaIsFailedPrecondition) {
  for (const char* ws : {kWorkspace, kOtherWorkspace}) {
    auto plan = BuildPlan(InputsFor("migrate_mma"), WithMma(GetParam(), {ws}));
    ASSERT_FALSE(plan.ok());
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(plan.status().message(),
                HasSubstr("migrate_mma uses Install.ps1 -RemoveMMA, which "
                          "applies to 2012 R2/2016; on 2019+ onboard with the "
                          "onboarding script and remove the workspace from "
                          "MMA"));
  }
}

TEST_P(MigrateModernTest, WithoutMmaSkipsAndNeverRunsAnything) {
  PlanInputs inputs = InputsFor("migrate_mma");
  inputs.install_script.reset();
  inputs.installer_msi.reset();
  auto plan = BuildPlan(inputs, FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(StepNames(*plan), ElementsAre("precheck_mma_workspace_present",
                                            "precheck_release_supported"));
  const auto& present = plan->steps(0).action().check_registry();
  EXPECT_EQ(present.key(), kWorkspaceKey);
  EXPECT_EQ(present.expect_case(), v1::CheckRegistryAction::kPresent);
  EXPECT_EQ(present.on_mismatch(), v1::ON_MISMATCH_SKIP_TASK);
  EXPECT_THAT(present.mismatch_message(), HasSubstr("nothing to migrate"));
  // Reached only if MMA does report there after all: fail with the reason
  // rather than succeed having done nothing.
  const auto& guard = plan->steps(1).action().check_registry();
  EXPECT_EQ(guard.key(), kWorkspaceKey);
  EXPECT_EQ(guard.expect_case(), v1::CheckRegistryAction::kAbsent);
  EXPECT_EQ(guard.on_mismatch(), v1::ON_MISMATCH_FAIL);
  EXPECT_THAT(guard.mismatch_message(), HasSubstr("-RemoveMMA"));
  for (const auto& step : plan->steps()) {
    EXPECT_FALSE(step.action().has_run_process());
  }
}

TEST_P(MigrateModernTest, StillValidatesTheWorkspace) {
  PlanInputs inputs = InputsFor("migrate_mma");
  inputs.workspace_id = "11111111-2222-3333-4444";
  EXPECT_EQ(BuildPlan(inputs, FactsFor(GetParam())).status().code(),
            absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Modern, MigrateModernTest,
                         ::testing::Values(v1::OS_FAMILY_WS2019,
                                           v1::OS_FAMILY_WS2022,
                                           v1::OS_FAMILY_WS2025),
                         FamilyParamName);

}  // namespace
}  // namespace mdefleet::testing
