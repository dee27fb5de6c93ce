// onboard: prechecks, Install.ps1 -OnboardingScript on 2012 R2/2016, the
// onboarding script on 2019+, then Sense and OnboardingState.
#include <string>

#include "absl/strings/ascii.h"
#include "common/plan/plan.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/plan_test_util.h"

namespace mdefleet::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kAtpStatusKey[] =
    "SOFTWARE\\Microsoft\\Windows Advanced Threat Protection\\Status";
constexpr char kMmaGroups[] =
    "SYSTEM\\CurrentControlSet\\Services\\HealthService\\Parameters\\"
    "Management Groups\\";

void ExpectVerification(const v1::Plan& plan) {
  const auto& wait = Step(plan, "verify_sense_running").action();
  ASSERT_TRUE(wait.has_wait_service_state());
  EXPECT_EQ(wait.wait_service_state().name(), "Sense");
  EXPECT_EQ(wait.wait_service_state().state(), v1::SERVICE_STATE_RUNNING);
  EXPECT_EQ(wait.wait_service_state().timeout().seconds(), 120);
  const auto& state = Step(plan, "verify_onboarding_state").action();
  ASSERT_TRUE(state.has_check_registry());
  EXPECT_EQ(state.check_registry().key(), kAtpStatusKey);
  EXPECT_EQ(state.check_registry().name(), "OnboardingState");
  EXPECT_EQ(state.check_registry().expect_case(),
            v1::CheckRegistryAction::kDwordEquals);
  EXPECT_EQ(state.check_registry().dword_equals(), 1u);
  EXPECT_EQ(state.check_registry().on_mismatch(), v1::ON_MISMATCH_FAIL);
}

void ExpectNotOnboardedPrecheck(const v1::Plan& plan) {
  ASSERT_GT(plan.steps_size(), 0);
  const v1::PlannedStep& first = plan.steps(0);
  EXPECT_EQ(first.name(), "precheck_not_onboarded");
  const auto& check = first.action().check_registry();
  EXPECT_EQ(check.key(), kAtpStatusKey);
  EXPECT_EQ(check.name(), "OnboardingState");
  // Absent counts as "not equal": a never-onboarded device passes.
  EXPECT_EQ(check.expect_case(), v1::CheckRegistryAction::kDwordNotEquals);
  EXPECT_EQ(check.dword_not_equals(), 1u);
  EXPECT_EQ(check.on_mismatch(), v1::ON_MISMATCH_SKIP_TASK);
  EXPECT_THAT(check.mismatch_message(), HasSubstr("already onboarded"));
}

class OnboardDownlevelTest : public ::testing::TestWithParam<v1::OsFamily> {};

TEST_P(OnboardDownlevelTest, RunsInstallPs1WithTheOnboardingScript) {
  auto plan = BuildPlan(InputsFor("onboard"), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(StepNames(*plan),
              ElementsAre("precheck_not_onboarded", "fetch_install_ps1",
                          "fetch_md4ws_msi", "fetch_onboarding_script",
                          "run_install_ps1", "verify_sense_running",
                          "verify_onboarding_state", "confirm_in_defender"));
  ExpectNotOnboardedPrecheck(*plan);
  const auto& fetch = Step(*plan, "fetch_onboarding_script").action();
  EXPECT_EQ(fetch.fetch_artifact().artifact_id(), std::string(64, 'c'));
  EXPECT_EQ(fetch.fetch_artifact().file_name(),
            "WindowsDefenderATPOnboardingScript.cmd");
  const auto& run = Step(*plan, "run_install_ps1").action().run_process();
  EXPECT_EQ(run.program(), v1::PROGRAM_POWERSHELL);
  EXPECT_THAT(
      run.args(),
      ElementsAre("${work_dir}\\Install.ps1", "-OnboardingScript",
                  "${work_dir}\\WindowsDefenderATPOnboardingScript.cmd"));
  EXPECT_THAT(run.exit_code_meanings().at(4),
              HasSubstr("no internet connectivity"));
  EXPECT_EQ(run.exit_code_meanings().at(31), "onboarding failed");
  ExpectVerification(*plan);
}

TEST_P(OnboardDownlevelTest, ThirdPartyAvAddsPassiveAndNoPassivePrecheck) {
  v1::DeviceFacts facts = FactsFor(GetParam());
  facts.set_third_party_av("SentinelAgent");
  auto plan = BuildPlan(InputsFor("onboard"), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_FALSE(HasStep(*plan, "precheck_passive_mode"));
  EXPECT_THAT(Step(*plan, "run_install_ps1").action().run_process().args(),
              ElementsAre("${work_dir}\\Install.ps1", "-OnboardingScript",
                          "${work_dir}\\WindowsDefenderATPOnboardingScript.cmd",
                          "-Passive"));
}

TEST_P(OnboardDownlevelTest, EachMmaWorkspaceGetsAFailingPrecheck) {
  v1::DeviceFacts facts = FactsFor(GetParam());
  facts.set_mma_installed(true);
  facts.add_mma_workspaces(kWorkspace);
  facts.add_mma_workspaces(kOtherWorkspace);
  auto plan = BuildPlan(InputsFor("onboard"), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(StepNames(*plan),
              ElementsAre("precheck_not_onboarded", "precheck_mma_workspace",
                          "precheck_mma_workspace_2", "fetch_install_ps1",
                          "fetch_md4ws_msi", "fetch_onboarding_script",
                          "run_install_ps1", "verify_sense_running",
                          "verify_onboarding_state", "confirm_in_defender"));
  const auto& first = Step(*plan, "precheck_mma_workspace").action();
  EXPECT_EQ(first.check_registry().key(),
            std::string(kMmaGroups) + "AOI-" + kWorkspace);
  EXPECT_TRUE(first.check_registry().name().empty());
  EXPECT_EQ(first.check_registry().expect_case(),
            v1::CheckRegistryAction::kAbsent);
  EXPECT_EQ(first.check_registry().on_mismatch(), v1::ON_MISMATCH_FAIL);
  // The tenant's MDE workspace is not configured: either might be it.
  EXPECT_THAT(first.check_registry().mismatch_message(),
              HasSubstr(std::string("MMA reports to workspace ") + kWorkspace +
                        ", and the tenant's Defender for Endpoint workspace "
                        "is not configured: if this is it, run migrate_mma "
                        "--workspace-id " +
                        kWorkspace));
  EXPECT_THAT(first.check_registry().mismatch_message(),
              HasSubstr("mdefleet-server serve --mde-workspace-id"));
  const auto& second = Step(*plan, "precheck_mma_workspace_2").action();
  EXPECT_EQ(second.check_registry().key(),
            std::string(kMmaGroups) + "AOI-" + kOtherWorkspace);
  EXPECT_THAT(second.check_registry().mismatch_message(),
              HasSubstr(kOtherWorkspace));
}

// Article 001: only the tenant's MDE workspace is removed; a Log Analytics
// or Sentinel workspace keeps the server's monitoring and must not stop
// onboarding (it did, whatever the workspace, before the setting existed).
TEST_P(OnboardDownlevelTest, OnlyTheTenantsMdeWorkspaceBlocksOnboarding) {
  v1::DeviceFacts facts = FactsFor(GetParam());
  facts.set_mma_installed(true);
  facts.add_mma_workspaces(kOtherWorkspace);  // Log Analytics, say
  PlanInputs inputs = InputsFor("onboard");
  inputs.mde_workspace_ids = {kWorkspace};
  auto plan = BuildPlan(inputs, facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_FALSE(HasStep(*plan, "precheck_mma_workspace"));
  EXPECT_TRUE(HasStep(*plan, "run_install_ps1"));
  EXPECT_THAT(plan->warnings(),
              ::testing::Contains(HasSubstr(
                  std::string("MMA also reports to ") + kOtherWorkspace +
                  ", not the tenant's MDE workspace: left as it is")));

  // With the MDE workspace as well (spelt in capitals by the device), only
  // that one gets a precheck.
  facts.add_mma_workspaces(absl::AsciiStrToUpper(kWorkspace));
  plan = BuildPlan(inputs, facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(HasStep(*plan, "precheck_mma_workspace"));
  EXPECT_FALSE(HasStep(*plan, "precheck_mma_workspace_2"));
  const auto& check = Step(*plan, "precheck_mma_workspace").action();
  EXPECT_EQ(
      check.check_registry().key(),
      std::string(kMmaGroups) + "AOI-" + absl::AsciiStrToUpper(kWorkspace));
  EXPECT_EQ(check.check_registry().mismatch_message(),
            std::string("MMA reports to the tenant's Defender for Endpoint "
                        "workspace ") +
                absl::AsciiStrToUpper(kWorkspace) +
                ": run migrate_mma --workspace-id " +
                absl::AsciiStrToUpper(kWorkspace));
}

// Found by tests/fuzz/plan_fuzzer: a reported workspace that is not a GUID
// made a precheck on a registry key the runner refuses to read.
TEST_P(OnboardDownlevelTest, AReportedWorkspaceThatIsNotAGuidFailsThePlan) {
  v1::DeviceFacts facts = FactsFor(GetParam());
  facts.set_mma_installed(true);
  facts.add_mma_workspaces(kWorkspace);
  facts.add_mma_workspaces("11111111-2222-3333-4444-55555555555/");
  auto plan = BuildPlan(InputsFor("onboard"), facts);
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("MMA workspace \"11111111-2222-3333-4444-55555555555/"
                        "\", which is not a workspace GUID"));
}

TEST_P(OnboardDownlevelTest, AlreadyOnboardedSkipsAtTheFirstStep) {
  v1::DeviceFacts facts = FactsFor(GetParam());
  facts.set_sensor_installed(true);
  facts.set_sense_state(v1::SERVICE_STATE_RUNNING);
  facts.set_onboarding_state(1);
  auto plan = BuildPlan(InputsFor("onboard"), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ExpectNotOnboardedPrecheck(*plan);
}

TEST_P(OnboardDownlevelTest, NeedsInstallPs1AndMsi) {
  PlanInputs inputs = InputsFor("onboard");
  inputs.install_script.reset();
  auto plan = BuildPlan(inputs, FactsFor(GetParam()));
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("parameters.install_script_id"));
  inputs = InputsFor("onboard");
  inputs.installer_msi.reset();
  plan = BuildPlan(inputs, FactsFor(GetParam()));
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("parameters.installer_msi_id"));
}

INSTANTIATE_TEST_SUITE_P(Downlevel, OnboardDownlevelTest,
                         ::testing::Values(v1::OS_FAMILY_WS2012R2,
                                           v1::OS_FAMILY_WS2016),
                         FamilyParamName);

class OnboardModernTest : public ::testing::TestWithParam<v1::OsFamily> {};

// The precheck goes where the package sends the sensor: a UK tenant's
// server that may reach only the UK gateway is not refused for the US one.
TEST_P(OnboardModernTest, PrecheckTriesThePackagesGateway) {
  PlanInputs inputs = InputsFor("onboard");
  inputs.onboarding_geography =
      OnboardingGeography{"UK", "https://winatp-gw-uks.microsoft.com/", false};
  auto plan = BuildPlan(inputs, FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  const auto& url = Step(*plan, "precheck_connectivity").action().check_url();
  EXPECT_EQ(url.url(), "https://winatp-gw-uks.microsoft.com/commands/test");
  EXPECT_TRUE(url.via_configured_proxy());
}

TEST_P(OnboardModernTest, RunsTheOnboardingScript) {
  auto plan = BuildPlan(InputsFor("onboard"), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(StepNames(*plan),
              ElementsAre("precheck_not_onboarded", "precheck_connectivity",
                          "fetch_onboarding_script", "run_onboarding_script",
                          "verify_sense_running", "verify_onboarding_state",
                          "confirm_in_defender"));
  ExpectNotOnboardedPrecheck(*plan);
  const auto& url = Step(*plan, "precheck_connectivity").action().check_url();
  // No package geography known: the first US standard gateway.
  EXPECT_EQ(url.url(), "https://winatp-gw-cus.microsoft.com/commands/test");
  EXPECT_THAT(url.mismatch_message(),
              HasSubstr("https://winatp-gw-cus.microsoft.com/commands/test"));
  const v1::PlannedStep& run = Step(*plan, "run_onboarding_script");
  EXPECT_FALSE(run.rerun_safe());
  EXPECT_EQ(run.action().run_process().program(), v1::PROGRAM_CMD_SCRIPT);
  EXPECT_THAT(
      run.action().run_process().args(),
      ElementsAre("${work_dir}\\WindowsDefenderATPOnboardingScript.cmd"));
  EXPECT_EQ(run.action().run_process().timeout().seconds(), 10 * 60);
  EXPECT_EQ(run.action().run_process().display_name(), "onboarding script");
  ExpectVerification(*plan);
}

TEST_P(OnboardModernTest, ThirdPartyAvNeedsPassiveModeFirst) {
  for (bool forced : {false, true}) {
    v1::DeviceFacts facts = FactsFor(GetParam());
    facts.set_third_party_av("CSFalconService");
    facts.set_passive_mode_forced(forced);
    auto plan = BuildPlan(InputsFor("onboard"), facts);
    ASSERT_TRUE(plan.ok()) << plan.status();
    // Checked on the device whatever the facts say.
    EXPECT_THAT(StepNames(*plan),
                ElementsAre("precheck_not_onboarded", "precheck_passive_mode",
                            "precheck_connectivity", "fetch_onboarding_script",
                            "run_onboarding_script", "verify_sense_running",
                            "verify_onboarding_state", "confirm_in_defender"));
    const auto& check =
        Step(*plan, "precheck_passive_mode").action().check_registry();
    EXPECT_EQ(check.key(),
              "SOFTWARE\\Policies\\Microsoft\\Windows Advanced Threat "
              "Protection");
    EXPECT_EQ(check.name(), "ForceDefenderPassiveMode");
    EXPECT_EQ(check.dword_equals(), 1u);
    EXPECT_EQ(check.on_mismatch(), v1::ON_MISMATCH_FAIL);
    EXPECT_THAT(check.mismatch_message(),
                HasSubstr("third-party antivirus present (CSFalconService): "
                          "run set_passive_mode before onboarding"));
    // The onboarding script takes no -Passive switch.
    EXPECT_THAT(
        Step(*plan, "run_onboarding_script").action().run_process().args(),
        ElementsAre("${work_dir}\\WindowsDefenderATPOnboardingScript.cmd"));
  }
}

TEST_P(OnboardModernTest, NeedsNoInstallerArtifacts) {
  PlanInputs inputs = InputsFor("onboard");
  inputs.install_script.reset();
  inputs.installer_msi.reset();
  auto plan = BuildPlan(inputs, FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_FALSE(HasStep(*plan, "fetch_install_ps1"));
  EXPECT_THAT(plan->warnings(), IsEmpty());
}

TEST_P(OnboardModernTest, MmaDoesNotBlockOnboardingOn2019Plus) {
  v1::DeviceFacts facts = FactsFor(GetParam());
  facts.set_mma_installed(true);
  facts.add_mma_workspaces(kWorkspace);
  auto plan = BuildPlan(InputsFor("onboard"), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_FALSE(HasStep(*plan, "precheck_mma_workspace"));
}

INSTANTIATE_TEST_SUITE_P(Modern, OnboardModernTest,
                         ::testing::Values(v1::OS_FAMILY_WS2019,
                                           v1::OS_FAMILY_WS2022,
                                           v1::OS_FAMILY_WS2025),
                         FamilyParamName);

// Article 001 has the administrator confirm the device Active in the portal:
// without the Defender API the server cannot, and the plan says so.
TEST(OnboardTest, WithoutTheDefenderApiTheConfirmationIsSkippedWithTheReason) {
  for (v1::OsFamily family : AllFamilies()) {
    auto plan = BuildPlan(InputsFor("onboard"), FactsFor(family));
    ASSERT_TRUE(plan.ok()) << plan.status();
    const v1::PlannedStep& last = plan->steps(plan->steps_size() - 1);
    EXPECT_EQ(last.name(), "confirm_in_defender");
    ASSERT_TRUE(last.action().has_skip());
    EXPECT_THAT(last.action().skip().reason(),
                HasSubstr("no Defender API credentials"));
    EXPECT_THAT(last.action().skip().reason(),
                HasSubstr("--defender-tenant-id"));
    EXPECT_THAT(last.action().skip().reason(), HasSubstr("portal"));
    // A runner runs it like any skip step.
    EXPECT_EQ(RunnerPart(*plan).steps_size(), plan->steps_size());
  }
}

// With the Defender API, the server executes the last step itself: it has
// no action, and runners are never given it.
TEST(OnboardTest, WithTheDefenderApiTheServerConfirmsTheDeviceIsActive) {
  for (v1::OsFamily family : AllFamilies()) {
    PlanInputs inputs = InputsFor("onboard");
    inputs.defender_confirm_timeout = absl::Minutes(30);
    auto plan = BuildPlan(inputs, FactsFor(family));
    ASSERT_TRUE(plan.ok()) << plan.status();
    const v1::PlannedStep& last = plan->steps(plan->steps_size() - 1);
    EXPECT_EQ(last.name(), "confirm_in_defender");
    EXPECT_TRUE(IsServerExecutedStep(last));
    EXPECT_THAT(last.description(), HasSubstr("GET /api/machines/"));
    EXPECT_THAT(last.description(), HasSubstr("healthStatus is Active"));
    EXPECT_THAT(last.description(), HasSubstr("30m"));
    const v1::Plan runner = RunnerPart(*plan);
    ASSERT_EQ(runner.steps_size(), plan->steps_size() - 1);
    EXPECT_EQ(runner.steps(runner.steps_size() - 1).name(),
              "verify_onboarding_state");
    for (const auto& step : runner.steps()) {
      EXPECT_FALSE(IsServerExecutedStep(step)) << step.name();
    }
  }
}

TEST(OnboardTest, MissingOnboardingScriptIsInvalidArgumentOnEveryRelease) {
  for (v1::OsFamily family : AllFamilies()) {
    PlanInputs inputs = InputsFor("onboard");
    inputs.onboarding_script.reset();
    auto plan = BuildPlan(inputs, FactsFor(family));
    ASSERT_FALSE(plan.ok()) << family;
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(plan.status().message(),
                HasSubstr("parameters.onboarding_script_id: the onboarding "
                          "script is required for onboard"));
  }
}

}  // namespace
}  // namespace mdefleet::testing
