// api_offboard plans: two server-executed steps addressed by the device's
// Defender machine id, a skip without one, a refusal for a malformed one.
#include "common/api_offboard.h"
#include "common/plan/plan.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/plan_test_util.h"

namespace mdefleet::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kMachineId[] = "1e5bc9d7e413ddd7902c2932e418702b84d0cc07";

class ApiOffboardPlanTest : public ::testing::TestWithParam<v1::OsFamily> {};

TEST_P(ApiOffboardPlanTest, RequestsAndFollowsTheMachineAction) {
  v1::DeviceFacts facts = FactsFor(GetParam());
  facts.set_mde_machine_id(kMachineId);
  auto plan = BuildPlan(InputsFor("api_offboard"), facts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(StepNames(*plan),
              ElementsAre("request_offboard", "wait_machine_action",
                          "confirm_last_seen_stopped"));
  // The machine action's Succeeded is confirmed by lastSeen stopping.
  EXPECT_THAT(Step(*plan, "confirm_last_seen_stopped").description(),
              HasSubstr("lastSeen"));
  EXPECT_THAT(Step(*plan, "confirm_last_seen_stopped").description(),
              HasSubstr("same rate limit"));
  EXPECT_THAT(
      Step(*plan, "request_offboard").description(),
      HasSubstr(absl::StrCat("/api/machines/", kMachineId, "/offboard")));
  // Executed by the server: nothing a runner could run.
  for (const v1::PlannedStep& step : plan->steps()) {
    EXPECT_EQ(step.action().kind_case(), v1::Action::KIND_NOT_SET);
  }
  EXPECT_FALSE(Step(*plan, "request_offboard").rerun_safe());
  EXPECT_EQ(RunnerPart(*plan).steps_size(), 0);
}

TEST_P(ApiOffboardPlanTest, SkipsADeviceWithoutMachineId) {
  auto plan = BuildPlan(InputsFor("api_offboard"), FactsFor(GetParam()));
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->steps_size(), 1);
  EXPECT_THAT(plan->steps(0).action().skip().reason(),
              HasSubstr("no Defender machine id (senseId"));
}

INSTANTIATE_TEST_SUITE_P(AllReleases, ApiOffboardPlanTest,
                         ::testing::ValuesIn(AllFamilies()), FamilyParamName);

TEST(ApiOffboardPlanTest, RefusesAMalformedMachineId) {
  for (const char* id : {"1e5bc9d7", "../../api/machines/x/offboard/xxxxxx",
                         "1e5bc9d7e413ddd7902c2932e418702b84d0cc0g"}) {
    v1::DeviceFacts facts = FactsFor(v1::OS_FAMILY_WS2019);
    facts.set_mde_machine_id(id);
    auto plan = BuildPlan(InputsFor("api_offboard"), facts);
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition)
        << id;
    EXPECT_THAT(plan.status().message(), HasSubstr("mde_machine_id")) << id;
  }
}

TEST(ApiOffboardKindTest, OnlyApiOffboardIsServerExecuted) {
  for (const std::string& kind : KnownJobKinds()) {
    EXPECT_EQ(IsServerExecutedKind(kind), kind == "api_offboard") << kind;
  }
}

TEST(ApiOffboardKindTest, MachineIdsAreFortyHexCharacters) {
  EXPECT_TRUE(IsMachineId(kMachineId));
  EXPECT_TRUE(IsMachineId("7B1F4967D9728E5AA3C06A9E617A22A4A5A17378"));
  EXPECT_FALSE(IsMachineId(""));
  EXPECT_FALSE(IsMachineId(std::string(41, 'a')));
  EXPECT_FALSE(IsMachineId(std::string(39, 'a') + "/"));
}

}  // namespace
}  // namespace mdefleet::testing
