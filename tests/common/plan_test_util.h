// Shared fixtures for the plan tests: device facts per release, inputs with
// every artifact, and accessors for planned steps.
#ifndef MDEFLEET_TESTS_COMMON_PLAN_TEST_UTIL_H_
#define MDEFLEET_TESTS_COMMON_PLAN_TEST_UTIL_H_

#include <string>
#include <vector>

#include "common/plan/plan.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/plan.pb.h"
#include "mdefleet/v1/types.pb.h"

namespace mdefleet::testing {

inline constexpr char kWorkspace[] = "11111111-2222-3333-4444-555555555555";
inline constexpr char kOtherWorkspace[] =
    "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
inline constexpr char kOffboardingName[] =
    "WindowsDefenderATPOffboardingScript_valid_until_2030-01-31.cmd";

// configure_proxy's proxy in InputsFor, and connectivity_test's URLs.
inline constexpr char kProxy[] = "10.0.0.6:8080";
inline constexpr char kUrl1[] = "https://winatp-gw-cus.microsoft.com/test";
inline constexpr char kUrl2[] = "https://us-v20.events.data.microsoft.com/ping";

// Every supported release.
const std::vector<v1::OsFamily>& AllFamilies();

// A freshly installed, not-onboarded server of `family` (no MMA, no
// third-party AV, Sense absent on 2012 R2/2016, stopped on 2019+).
v1::DeviceFacts FactsFor(v1::OsFamily family);

// Inputs for `kind` with every artifact set (distinct valid ids) and, for
// migrate_mma, kWorkspace; configure_proxy sets kProxy as EDR, AV and WinHTTP
// proxy; connectivity_test checks kUrl1 and kUrl2.
PlanInputs InputsFor(const std::string& kind);

// Readable names for tests parameterised by release ("2012r2", "2019").
std::string FamilyParamName(const ::testing::TestParamInfo<v1::OsFamily>& info);

std::vector<std::string> StepNames(const v1::Plan& plan);

// The step called `name`; fails the test (and returns an empty step) if the
// plan has none.
const v1::PlannedStep& Step(const v1::Plan& plan, const std::string& name);

bool HasStep(const v1::Plan& plan, const std::string& name);

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_COMMON_PLAN_TEST_UTIL_H_
