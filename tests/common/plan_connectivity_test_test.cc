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

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

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

TEST_P(ConnectivityTestTest, NoUrlListIsInvalidArgumentNamingTheParameter) {
  PlanInputs inputs = InputsFor("connectivity_test");
  inputs.urls.clear();
  auto plan = BuildPlan(inputs, FactsFor(GetParam()));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(),
              HasSubstr("parameters.url_list_id: a URL list is required"));
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
