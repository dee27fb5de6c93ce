// health_check: every check is a finding (continue_on_failure), run in
// order, with actionable messages.
#include <string>

#include "common/plan/plan.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/plan_test_util.h"

namespace mdefleet::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class HealthCheckTest : public ::testing::TestWithParam<v1::OsFamily> {};

TEST_P(HealthCheckTest, ChecksEveryFindingAndKeepsGoing) {
  auto plan = BuildPlan(InputsFor("health_check"), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(
      StepNames(*plan),
      ElementsAre("check_sense_running", "check_onboarding_state",
                  "check_cloud_protection", "check_cloud_connection",
                  "check_tamper_protection", "check_av_running",
                  "check_av_mode", "report_proxy", "check_connectivity",
                  "check_no_pending_reboot", "check_no_pending_update_reboot"));
  for (const v1::PlannedStep& step : plan->steps()) {
    if (step.action().has_skip()) continue;
    EXPECT_TRUE(step.continue_on_failure()) << step.name();
    EXPECT_TRUE(step.rerun_safe()) << step.name();
    EXPECT_EQ(step.failure_class(), v1::FAILURE_CLASS_FINAL) << step.name();
  }
}

TEST_P(HealthCheckTest, CloudProtectionReadsThePolicyThenTheLocalValue) {
  auto plan = BuildPlan(InputsFor("health_check"), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  const auto& maps =
      Step(*plan, "check_cloud_protection").action().check_registry();
  EXPECT_EQ(maps.key(),
            "SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Spynet");
  EXPECT_EQ(maps.fallback_key(),
            "SOFTWARE\\Microsoft\\Windows Defender\\Spynet");
  EXPECT_EQ(maps.name(), "SpynetReporting");
  EXPECT_EQ(maps.dword_not_equals(), 0u);
  EXPECT_THAT(maps.mismatch_message(), HasSubstr("MAPSReporting = 0"));
  EXPECT_GT(Step(*plan, "check_cloud_connection")
                .action()
                .check_cloud_connection()
                .timeout()
                .seconds(),
            0);
  const auto& tamper =
      Step(*plan, "check_tamper_protection").action().check_registry();
  EXPECT_EQ(tamper.dword_mask(), 1u);
  EXPECT_EQ(tamper.dword_equals(), 1u);
  const auto& url = Step(*plan, "check_connectivity").action().check_url();
  EXPECT_TRUE(url.via_configured_proxy());
}

TEST_P(HealthCheckTest, AvModeExpectationFollowsThirdPartyAntivirus) {
  auto plan = BuildPlan(InputsFor("health_check"), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  const auto& active = Step(*plan, "check_av_mode").action().check_registry();
  EXPECT_EQ(active.name(), "PassiveMode");
  EXPECT_EQ(active.dword_not_equals(), 1u);
  v1::DeviceFacts facts = FactsFor(GetParam());
  facts.set_third_party_av("SentinelAgent");
  plan = BuildPlan(InputsFor("health_check"), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  const auto& passive = Step(*plan, "check_av_mode").action().check_registry();
  EXPECT_EQ(passive.dword_equals(), 1u);
  EXPECT_THAT(passive.mismatch_message(), HasSubstr("SentinelAgent"));
  EXPECT_THAT(passive.mismatch_message(), HasSubstr("set_passive_mode"));
}

// Without Defender Antivirus (absent, or stopped) its settings read as
// missing, which a registry check took for the defaults and passed: the
// checks are then on its service, and fail saying why.
TEST_P(HealthCheckTest, AvSettingsFailWhenDefenderAntivirusIsAbsent) {
  for (v1::AvMode mode : {v1::AV_MODE_NOT_INSTALLED, v1::AV_MODE_DISABLED}) {
    v1::DeviceFacts facts = FactsFor(GetParam());
    facts.set_av_mode(mode);
    auto plan = BuildPlan(InputsFor("health_check"), facts);
    ASSERT_TRUE(plan.ok()) << plan.status();
    for (const char* name : {"check_cloud_protection", "check_av_mode"}) {
      const v1::PlannedStep& step = Step(*plan, name);
      ASSERT_TRUE(step.action().has_check_service()) << name;
      EXPECT_EQ(step.action().check_service().name(), "WinDefend");
      EXPECT_THAT(step.action().check_service().accept(),
                  ElementsAre(v1::SERVICE_STATE_RUNNING));
      EXPECT_THAT(step.action().check_service().mismatch_message(),
                  HasSubstr(mode == v1::AV_MODE_NOT_INSTALLED
                                ? "Defender Antivirus is not installed"
                                : "is not running"))
          << name;
      EXPECT_TRUE(step.continue_on_failure()) << name;
    }
  }
  // Running: the settings themselves are read.
  v1::DeviceFacts facts = FactsFor(GetParam());
  facts.set_av_mode(v1::AV_MODE_ACTIVE);
  auto plan = BuildPlan(InputsFor("health_check"), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(Step(*plan, "check_av_mode").action().has_check_registry());
}

TEST_P(HealthCheckTest, ReportsTheProxySettingsFromTheFacts) {
  v1::DeviceFacts facts = FactsFor(GetParam());
  facts.mutable_proxy()->set_edr_proxy("proxy.corp:8080");
  facts.mutable_proxy()->set_av_proxy("http://proxy.corp:8080");
  auto plan = BuildPlan(InputsFor("health_check"), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  const std::string& reason =
      Step(*plan, "report_proxy").action().skip().reason();
  EXPECT_THAT(reason, HasSubstr("EDR (TelemetryProxyServer): proxy.corp:8080"));
  EXPECT_THAT(reason, HasSubstr("ProxyServer): http://proxy.corp:8080"));
  EXPECT_THAT(reason, HasSubstr("system WinHTTP: direct"));
}

TEST_P(HealthCheckTest, NeedsNoArtifacts) {
  PlanInputs inputs;
  inputs.kind = "health_check";
  EXPECT_TRUE(BuildPlan(inputs, FactsFor(GetParam())).ok());
}

INSTANTIATE_TEST_SUITE_P(AllReleases, HealthCheckTest,
                         ::testing::ValuesIn(AllFamilies()), FamilyParamName);

}  // namespace
}  // namespace mdefleet::testing
