// connectivity_test: one check_url step per URL of the list, through the
// configured proxy, each recorded whatever the others do; the same on every
// release.
#include <string>
#include <vector>

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
using ::testing::Not;

std::vector<std::string> CheckedUrls(const v1::Plan& plan) {
  std::vector<std::string> urls;
  for (const v1::PlannedStep& step : plan.steps()) {
    urls.push_back(step.action().check_url().url());
  }
  return urls;
}

class ConnectivityTestTest : public ::testing::TestWithParam<v1::OsFamily> {};

TEST_P(ConnectivityTestTest, ChecksEachUrlThroughTheConfiguredProxy) {
  auto plan = BuildPlan(InputsFor("connectivity_test"), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(StepNames(*plan), ElementsAre("check_url_01", "check_url_02"));
  const std::vector<std::string> urls = {kUrl1, kUrl2};
  for (int i = 0; i < plan->steps_size(); ++i) {
    const v1::PlannedStep& step = plan->steps(i);
    EXPECT_TRUE(step.continue_on_failure()) << step.name();
    EXPECT_TRUE(step.rerun_safe()) << step.name();
    EXPECT_EQ(step.failure_class(), v1::FAILURE_CLASS_FINAL) << step.name();
    EXPECT_EQ(step.action().check_url().url(), urls[i]);
    EXPECT_TRUE(step.action().check_url().via_configured_proxy());
    EXPECT_THAT(step.description(), HasSubstr(urls[i]));
  }
  if (GetParam() != v1::OS_FAMILY_WS2012R2) {
    EXPECT_THAT(plan->warnings(), IsEmpty());
  }
}

// Without a list: the built-in one, for the analyzer's default geographies
// (US, EU, UK), both connectivity models, and the worldwide URLs.
TEST_P(ConnectivityTestTest, NoUrlListChecksTheBuiltInListOfTheDefaultGeos) {
  PlanInputs inputs = InputsFor("connectivity_test");
  inputs.urls.clear();
  auto plan = BuildPlan(inputs, FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  const std::vector<std::string> urls = CheckedUrls(*plan);
  EXPECT_THAT(urls,
              Contains("https://winatp-gw-weu.microsoft.com/commands/test"));
  EXPECT_THAT(urls, Contains("https://edr-uks.uk.endpoint.security.microsoft."
                             "com/edr/commands/test"));
  EXPECT_THAT(urls, Contains("http://crl.microsoft.com/pki/crl/products/"));
  EXPECT_THAT(urls, Not(Contains(HasSubstr(".au."))));
  EXPECT_THAT(plan->steps(0).description(),
              HasSubstr("built-in list for US, EU, UK"));
}

// With the job's onboarding package: its gateway first, then its
// geography's URLs for its model, and the worldwide ones; nothing of the
// script itself reaches the runner (no step fetches it).
TEST_P(ConnectivityTestTest, TheOnboardingPackageChoosesTheGeography) {
  PlanInputs inputs = InputsFor("connectivity_test");
  inputs.urls.clear();
  inputs.onboarding_geography = OnboardingGeography{
      "EU", "https://edr-weu3.eu.endpoint.security.microsoft.com/edr/", true};
  auto plan = BuildPlan(inputs, FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  const std::vector<std::string> urls = CheckedUrls(*plan);
  ASSERT_FALSE(urls.empty());
  EXPECT_EQ(urls[0],
            "https://edr-weu3.eu.endpoint.security.microsoft.com/edr/"
            "commands/test");
  EXPECT_THAT(urls, Contains("https://mdav.eu.endpoint.security.microsoft.com/"
                             "mdav/test"));
  EXPECT_THAT(urls, Contains("http://ctldl.windowsupdate.com/msdownload/update/"
                             "v3/static/trustedr/en/authrootstl.cab"));
  EXPECT_THAT(urls, Not(Contains(HasSubstr("winatp-gw"))));
  EXPECT_THAT(urls, Not(Contains(HasSubstr(".us."))));
  EXPECT_THAT(plan->steps(0).description(),
              HasSubstr("built-in list for EU (streamlined)"));
  for (const v1::PlannedStep& step : plan->steps()) {
    EXPECT_FALSE(step.action().has_fetch_artifact()) << step.name();
  }
}

INSTANTIATE_TEST_SUITE_P(AllReleases, ConnectivityTestTest,
                         ::testing::ValuesIn(AllFamilies()), FamilyParamName);

TEST(ConnectivityTestPlanTest, LongListsGetThreeDigitStepNames) {
  PlanInputs inputs = InputsFor("connectivity_test");
  inputs.urls.clear();
  for (int i = 0; i < 120; ++i) {
    inputs.urls.push_back("https://h" + std::to_string(i) + ".example/");
  }
  auto plan = BuildPlan(inputs, FactsFor(v1::OS_FAMILY_WS2019));
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->steps_size(), 120);
  EXPECT_EQ(plan->steps(0).name(), "check_url_001");
  EXPECT_EQ(plan->steps(119).name(), "check_url_120");
}

TEST(ConnectivityTestPlanTest, WarnsWhenTheDeviceProxiesDisagree) {
  v1::DeviceFacts facts = FactsFor(v1::OS_FAMILY_WS2019);
  facts.mutable_proxy()->set_edr_proxy("10.0.0.6:8080");
  auto plan = BuildPlan(InputsFor("connectivity_test"), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->warnings(),
              ElementsAre(HasSubstr("Defender Antivirus proxy (ProxyServer) "
                                    "not set"),
                          HasSubstr("system WinHTTP proxy not set")));
}

}  // namespace
}  // namespace mdefleet::testing
