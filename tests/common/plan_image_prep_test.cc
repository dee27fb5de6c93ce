// image_prep: offboard when onboarded, Sense stopped (or absent on 2012
// R2/2016), Cyber emptied, senseGuid deleted, restart, both still gone.
#include <algorithm>
#include <string>

#include "common/plan/plan.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/plan_test_util.h"

namespace mdefleet::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr char kCyber[] =
    "C:\\ProgramData\\Microsoft\\Windows Defender Advanced Threat "
    "Protection\\Cyber";
constexpr char kAtpKey[] =
    "SOFTWARE\\Microsoft\\Windows Advanced Threat Protection";

v1::DeviceFacts Onboarded(v1::OsFamily family) {
  v1::DeviceFacts facts = FactsFor(family);
  facts.set_sensor_installed(true);
  facts.set_sense_state(v1::SERVICE_STATE_RUNNING);
  facts.set_onboarding_state(1);
  return facts;
}

// The steps every image_prep ends with, whatever the release.
void ExpectCleanupTail(const v1::Plan& plan) {
  const auto& del = Step(plan, "delete_cyber_contents").action();
  EXPECT_EQ(del.delete_directory_contents().path(), kCyber);
  const auto& guid = Step(plan, "delete_sense_guid").action();
  EXPECT_EQ(guid.delete_registry_value().key(), kAtpKey);
  EXPECT_EQ(guid.delete_registry_value().name(), "senseGuid");
  const v1::PlannedStep& reboot = Step(plan, "reboot");
  EXPECT_TRUE(reboot.action().has_reboot());
  EXPECT_THAT(reboot.action().reboot().reason(), HasSubstr("image_prep"));
  const auto& empty =
      Step(plan, "verify_cyber_empty").action().check_directory_empty();
  EXPECT_EQ(empty.path(), kCyber);
  EXPECT_EQ(empty.on_mismatch(), v1::ON_MISMATCH_FAIL);
  const auto& absent =
      Step(plan, "verify_sense_guid_absent").action().check_registry();
  EXPECT_EQ(absent.key(), kAtpKey);
  EXPECT_EQ(absent.name(), "senseGuid");
  EXPECT_TRUE(absent.absent());
  EXPECT_EQ(absent.on_mismatch(), v1::ON_MISMATCH_FAIL);
  EXPECT_THAT(absent.mismatch_message(), HasSubstr("came back"));
}

class ImagePrepTest : public ::testing::TestWithParam<v1::OsFamily> {};

TEST_P(ImagePrepTest, NotOnboardedSkipsOffboardingButChecksOnTheDevice) {
  auto plan = BuildPlan(InputsFor("image_prep"), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(
      StepNames(*plan),
      ElementsAre("precheck_not_onboarded", "offboard", "check_sense_stopped",
                  "delete_cyber_contents", "delete_sense_guid", "reboot",
                  "verify_cyber_empty", "verify_sense_guid_absent"));
  const auto& pre =
      Step(*plan, "precheck_not_onboarded").action().check_registry();
  EXPECT_EQ(pre.name(), "OnboardingState");
  EXPECT_EQ(pre.dword_not_equals(), 1u);
  EXPECT_EQ(pre.on_mismatch(), v1::ON_MISMATCH_FAIL);
  EXPECT_THAT(pre.mismatch_message(), HasSubstr("--offboarding-script"));
  EXPECT_TRUE(Step(*plan, "offboard").action().has_skip());
  ExpectCleanupTail(*plan);
}

TEST_P(ImagePrepTest, NotOnboardedNeedsNoOffboardingScript) {
  PlanInputs inputs = InputsFor("image_prep");
  inputs.offboarding_script.reset();
  EXPECT_TRUE(BuildPlan(inputs, FactsFor(GetParam())).ok());
}

TEST_P(ImagePrepTest, OnboardedWithoutOffboardingScriptIsInvalidArgument) {
  PlanInputs inputs = InputsFor("image_prep");
  inputs.offboarding_script.reset();
  auto plan = BuildPlan(inputs, Onboarded(GetParam()));
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("parameters.offboarding_script_id: the device SRV-01 "
                        "is onboarded"));
  EXPECT_THAT(plan.status().message(), HasSubstr("recreates senseGuid"));
}

TEST_P(ImagePrepTest, CleanupRunsOnlyAfterSenseIsConfirmedStopped) {
  auto plan = BuildPlan(InputsFor("image_prep"), Onboarded(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  const auto names = StepNames(*plan);
  auto at = [&](const std::string& n) {
    return std::find(names.begin(), names.end(), n) - names.begin();
  };
  EXPECT_LT(at("check_sense_stopped"), at("delete_cyber_contents"));
  EXPECT_LT(at("delete_sense_guid"), at("reboot"));
  EXPECT_LT(at("reboot"), at("verify_cyber_empty"));
  for (const v1::PlannedStep& step : plan->steps()) {
    EXPECT_FALSE(step.continue_on_failure()) << step.name();
  }
  ExpectCleanupTail(*plan);
}

INSTANTIATE_TEST_SUITE_P(AllReleases, ImagePrepTest,
                         ::testing::ValuesIn(AllFamilies()), FamilyParamName);

class ImagePrepDownlevelTest : public ::testing::TestWithParam<v1::OsFamily> {};

// Seed 000 offboards a golden image; it never uninstalls md4ws (a 2012
// R2/2016 image keeps the agent, so its clones only need onboarding).
TEST_P(ImagePrepDownlevelTest, OffboardsWithTheScriptAndKeepsMd4ws) {
  auto plan = BuildPlan(InputsFor("image_prep"), Onboarded(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(
      StepNames(*plan),
      ElementsAre("precheck_onboarded", "fetch_offboarding_script",
                  "run_offboarding_script", "verify_sense_stopped",
                  "verify_offboarded", "check_sense_stopped",
                  "delete_cyber_contents", "delete_sense_guid", "reboot",
                  "verify_cyber_empty", "verify_sense_guid_absent"));
  const auto& pre = Step(*plan, "precheck_onboarded").action().check_registry();
  // The facts said onboarded: a device that is not fails, it is not skipped.
  EXPECT_EQ(pre.on_mismatch(), v1::ON_MISMATCH_FAIL);
  EXPECT_THAT(pre.mismatch_message(), HasSubstr("submit image_prep again"));
  for (const v1::PlannedStep& step : plan->steps()) {
    if (!step.action().has_run_process()) continue;
    EXPECT_THAT(step.action().run_process().args(),
                ::testing::Not(::testing::Contains("-Uninstall")))
        << step.name();
    EXPECT_NE(step.action().run_process().program(), v1::PROGRAM_POWERSHELL)
        << step.name();
  }
  EXPECT_THAT(
      Step(*plan, "check_sense_stopped").action().check_service().accept(),
      UnorderedElementsAre(v1::SERVICE_STATE_STOPPED,
                           v1::SERVICE_STATE_ABSENT));
}

INSTANTIATE_TEST_SUITE_P(Downlevel, ImagePrepDownlevelTest,
                         ::testing::Values(v1::OS_FAMILY_WS2012R2,
                                           v1::OS_FAMILY_WS2016),
                         FamilyParamName);

class ImagePrepModernTest : public ::testing::TestWithParam<v1::OsFamily> {};

TEST_P(ImagePrepModernTest, OffboardsWithTheScriptAndWantsSenseStopped) {
  auto plan = BuildPlan(InputsFor("image_prep"), Onboarded(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(
      StepNames(*plan),
      ElementsAre("precheck_onboarded", "fetch_offboarding_script",
                  "run_offboarding_script", "verify_sense_stopped",
                  "verify_offboarded", "check_sense_stopped",
                  "delete_cyber_contents", "delete_sense_guid", "reboot",
                  "verify_cyber_empty", "verify_sense_guid_absent"));
  const auto& pre = Step(*plan, "precheck_onboarded").action().check_registry();
  EXPECT_EQ(pre.on_mismatch(), v1::ON_MISMATCH_FAIL);
  EXPECT_THAT(
      Step(*plan, "check_sense_stopped").action().check_service().accept(),
      ElementsAre(v1::SERVICE_STATE_STOPPED));
  EXPECT_EQ(Step(*plan, "fetch_offboarding_script")
                .action()
                .fetch_artifact()
                .file_name(),
            kOffboardingName);
}

TEST_P(ImagePrepModernTest, NeedsNoInstallerArtifacts) {
  PlanInputs inputs = InputsFor("image_prep");
  inputs.install_script.reset();
  inputs.installer_msi.reset();
  EXPECT_TRUE(BuildPlan(inputs, Onboarded(GetParam())).ok());
}

INSTANTIATE_TEST_SUITE_P(Modern, ImagePrepModernTest,
                         ::testing::Values(v1::OS_FAMILY_WS2019,
                                           v1::OS_FAMILY_WS2022,
                                           v1::OS_FAMILY_WS2025),
                         FamilyParamName);

}  // namespace
}  // namespace mdefleet::testing
