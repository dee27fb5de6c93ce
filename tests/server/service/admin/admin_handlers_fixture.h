// The fixture of the AdminService handler tests (tests/server/service/admin/,
// one file per handler class as in server/service/admin/): a TestEnv with
// three enrolled devices (WEB-2019-01, DB-2016-01, and APP-2022-01
// onboarded, label site=osaka) and an onboarding script uploaded.
#ifndef MDEFLEET_TESTS_SERVER_SERVICE_ADMIN_ADMIN_HANDLERS_FIXTURE_H_
#define MDEFLEET_TESTS_SERVER_SERVICE_ADMIN_ADMIN_HANDLERS_FIXTURE_H_

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {

// Not in an anonymous namespace: every file's tests of the suite
// AdminHandlersTest must share this one class (GoogleTest checks it).
class AdminHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    web19_ = env_.Enroll(MakeFacts("WEB-2019-01", "2019"));
    db16_ = env_.Enroll(MakeFacts("DB-2016-01", "2016"));
    v1::DeviceFacts onboarded = MakeFacts("APP-2022-01", "2022");
    onboarded.set_sense_state(v1::SERVICE_STATE_RUNNING);
    onboarded.set_onboarding_state(1);
    (*onboarded.mutable_labels())["site"] = "osaka";
    app22_ = env_.Enroll(onboarded);
    onboarding_ = env_.Upload(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                              "WindowsDefenderATPOnboardingScript.cmd",
                              OnboardingScript());
  }
  v1::SubmitJobRequest Onboard() {
    v1::SubmitJobRequest r;
    r.mutable_spec()->set_kind("onboard");
    r.mutable_spec()->mutable_parameters()->set_onboarding_script_id(
        onboarding_.id());
    r.mutable_spec()->mutable_target()->add_os_families(v1::OS_FAMILY_WS2019);
    return r;
  }
  std::vector<std::string> Hostnames(const v1::ListDevicesRequest& r) {
    auto list = env_.admin().inventory().ListDevices(env_.admin_bearer(), r);
    EXPECT_TRUE(list.ok()) << list.status();
    std::vector<std::string> out;
    for (const auto& d : list->devices()) out.push_back(d.facts().hostname());
    return out;
  }
  // The submit fails with `code`, its message starts with `field`, and
  // nothing is stored.
  void ExpectRefused(const v1::SubmitJobRequest& r, absl::StatusCode code,
                     absl::string_view prefix) {
    const std::string before = env_.Snapshot();
    auto result = env_.admin().jobs().SubmitJob(env_.admin_bearer(), r);
    EXPECT_EQ(result.status().code(), code) << result.status();
    EXPECT_TRUE(absl::StartsWith(result.status().message(), prefix))
        << result.status();
    EXPECT_EQ(env_.Snapshot(), before);
  }

  TestEnv env_;
  EnrolledDevice web19_, db16_, app22_;
  v1::Artifact onboarding_;
};

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_SERVER_SERVICE_ADMIN_ADMIN_HANDLERS_FIXTURE_H_
