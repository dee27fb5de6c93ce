// set_passive_mode: skip when already passive, stop on tamper protection,
// set ForceDefenderPassiveMode = 1 and read it back.
#include <string>

#include "common/plan/plan.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/plan_test_util.h"

namespace mdefleet::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Contains;
using ::testing::Not;

class SetPassiveModeTest : public ::testing::TestWithParam<v1::OsFamily> {};

TEST_P(SetPassiveModeTest, SetsTheValueAndReadsItBack) {
  auto plan = BuildPlan(InputsFor("set_passive_mode"), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(
      StepNames(*plan),
      ElementsAre("precheck_not_passive", "precheck_tamper_protection",
                  "set_force_passive_mode", "verify_force_passive_mode"));
  const auto& passive =
      Step(*plan, "precheck_not_passive").action().check_registry();
  EXPECT_EQ(passive.key(), "SOFTWARE\\Microsoft\\Windows Defender");
  EXPECT_EQ(passive.name(), "PassiveMode");
  EXPECT_EQ(passive.dword_not_equals(), 1u);
  EXPECT_EQ(passive.on_mismatch(), v1::ON_MISMATCH_SKIP_TASK);
  EXPECT_THAT(passive.mismatch_message(), HasSubstr("already runs in passive"));
  const auto& tamper =
      Step(*plan, "precheck_tamper_protection").action().check_registry();
  EXPECT_EQ(tamper.key(), "SOFTWARE\\Microsoft\\Windows Defender\\Features");
  EXPECT_EQ(tamper.name(), "TamperProtection");
  EXPECT_EQ(tamper.dword_mask(), 1u);
  EXPECT_EQ(tamper.dword_not_equals(), 1u);
  EXPECT_EQ(tamper.on_mismatch(), v1::ON_MISMATCH_FAIL);
  EXPECT_THAT(tamper.mismatch_message(),
              HasSubstr("must be set before onboarding"));
  EXPECT_THAT(tamper.mismatch_message(), HasSubstr("troubleshooting mode"));
  const auto& set =
      Step(*plan, "set_force_passive_mode").action().set_registry_value();
  EXPECT_EQ(set.key(),
            "SOFTWARE\\Policies\\Microsoft\\Windows Advanced Threat "
            "Protection");
  EXPECT_EQ(set.name(), "ForceDefenderPassiveMode");
  EXPECT_EQ(set.value().dword(), 1u);
  const auto& verify =
      Step(*plan, "verify_force_passive_mode").action().check_registry();
  EXPECT_EQ(verify.key(), set.key());
  EXPECT_EQ(verify.dword_equals(), 1u);
  EXPECT_EQ(verify.on_mismatch(), v1::ON_MISMATCH_FAIL);
}

TEST_P(SetPassiveModeTest, WarnsWhenTamperProtectionKeepsDefenderActive) {
  v1::DeviceFacts facts = FactsFor(GetParam());
  facts.set_tamper_protection(v1::FEATURE_STATE_ON);
  facts.set_av_mode(v1::AV_MODE_ACTIVE);
  auto plan = BuildPlan(InputsFor("set_passive_mode"), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->warnings(),
              ::testing::Contains(
                  HasSubstr("this device will fail: tamper protection is on")));
}

TEST_P(SetPassiveModeTest, NoTamperWarningWhenAlreadyPassiveOrTamperOff) {
  v1::DeviceFacts facts = FactsFor(GetParam());
  facts.set_tamper_protection(v1::FEATURE_STATE_ON);
  facts.set_av_mode(v1::AV_MODE_PASSIVE);
  auto plan = BuildPlan(InputsFor("set_passive_mode"), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->warnings(), Not(Contains(HasSubstr("tamper"))));
  facts.set_tamper_protection(v1::FEATURE_STATE_OFF);
  facts.set_av_mode(v1::AV_MODE_ACTIVE);
  plan = BuildPlan(InputsFor("set_passive_mode"), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->warnings(), Not(Contains(HasSubstr("tamper"))));
}

TEST_P(SetPassiveModeTest, NeedsNoArtifacts) {
  PlanInputs inputs;
  inputs.kind = "set_passive_mode";
  EXPECT_TRUE(BuildPlan(inputs, FactsFor(GetParam())).ok());
}

INSTANTIATE_TEST_SUITE_P(AllReleases, SetPassiveModeTest,
                         ::testing::ValuesIn(AllFamilies()), FamilyParamName);

}  // namespace
}  // namespace mdefleet::testing
