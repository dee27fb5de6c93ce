// The actions issue 5 added to the executor, against the simulated server:
// check_cloud_connection (MpCmdRun -ValidateMapsConnection, recorded as the
// cloud_connection fact), check_directory_empty, and check_registry's
// fallback_key / dword_mask and read-only roots.
#include "absl/strings/match.h"
#include "common/mde_constants.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/executor/maps_connection.h"
#include "runner/executor/step_executor.h"
#include "runner/facts/cloud_connection_record.h"
#include "tests/runner/test_support.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::TempDir;
using testing::FakeFetcher;
using ::testing::HasSubstr;
using testing::MakeSim;

using testing::kWork;

class DefenderActionsTest : public ::testing::Test {
 protected:
  void Make(const std::string& spec) {
    host_ = MakeSim(spec, dir_.path());
    ASSERT_TRUE(host_->CreateDirectories(kWork).ok());
    executor_ =
        std::make_unique<StepExecutor>(*host_, fetcher_, *Clock::Real(), kWork);
  }
  StepResult Run(const v1::Action& action) {
    v1::PlannedStep step;
    step.set_name("step");
    *step.mutable_action() = action;
    return executor_->Execute(step);
  }
  StepResult RunMaps() {
    v1::Action a;
    a.mutable_check_cloud_connection()->mutable_timeout()->set_seconds(60);
    return Run(a);
  }
  v1::CloudConnectionCheck Recorded() {
    auto check = LoadCloudConnection(*host_);
    EXPECT_TRUE(check.ok()) << check.status();
    EXPECT_TRUE(check.ok() && check->has_value());
    return check.ok() && check->has_value() ? **check
                                            : v1::CloudConnectionCheck();
  }

  TempDir dir_;
  std::unique_ptr<sim::SimulatedHost> host_;
  FakeFetcher fetcher_;
  std::unique_ptr<StepExecutor> executor_;
};

TEST_F(DefenderActionsTest, CloudConnectionSucceedsAndIsRecorded) {
  Make("ws2019+onboarded");
  StepResult r = RunMaps();
  EXPECT_EQ(r.state, v1::STEP_STATE_SUCCEEDED) << r.message;
  EXPECT_EQ(r.message,
            "ValidateMapsConnection successfully established a connection to "
            "MAPS");
  ASSERT_TRUE(r.exit_code.has_value());
  EXPECT_EQ(*r.exit_code, 0);
  v1::CloudConnectionCheck check = Recorded();
  EXPECT_TRUE(check.ok());
  EXPECT_EQ(check.error_code(), "");
  EXPECT_GT(check.checked_at().seconds(), 0);
}

TEST_F(DefenderActionsTest, CloudProtectionOffIs80508015) {
  Make("ws2022+onboarded+mapsoff");
  StepResult r = RunMaps();
  EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(r.message, HasSubstr("0x80508015"));
  EXPECT_THAT(r.message, HasSubstr("check MAPSReporting"));
  EXPECT_THAT(r.output_tail, HasSubstr("MpCmdRun.exe: hr = 0x80508015"));
  ASSERT_TRUE(r.exit_code.has_value());
  EXPECT_EQ(*r.exit_code, 2);
  v1::CloudConnectionCheck check = Recorded();
  EXPECT_FALSE(check.ok());
  EXPECT_EQ(check.error_code(), "0x80508015");
}

TEST_F(DefenderActionsTest, TheLocalPreferenceCountsWhenNoPolicyIsSet) {
  Make("ws2019");
  ASSERT_TRUE(
      host_
          ->WriteValue(mde::kSpynetKey, mde::kSpynetReportingValue, uint32_t{0})
          .ok());
  EXPECT_THAT(RunMaps().message, HasSubstr("0x80508015"));
}

TEST_F(DefenderActionsTest, NoConnectivityReportsTheHresultVerbatim) {
  Make("ws2019+noconn");
  StepResult r = RunMaps();
  EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(r.message, HasSubstr("0x80072EFE"));
  EXPECT_THAT(r.message, HasSubstr("hr=0x80072EFE httpcode=451"));
  EXPECT_THAT(r.message, HasSubstr("WinHTTP proxy"));
  EXPECT_EQ(Recorded().error_code(), "0x80072EFE");
}

TEST_F(DefenderActionsTest, DefenderServiceStoppedIs800106BA) {
  Make("ws2019+avoff");
  StepResult r = RunMaps();
  EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(r.message, HasSubstr("0x800106BA"));
  EXPECT_THAT(r.message, HasSubstr("service is disabled or not running"));
}

TEST_F(DefenderActionsTest, InboxDefenderOf2016CannotValidate) {
  Make("ws2016");
  StepResult r = RunMaps();
  EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(r.message, HasSubstr("0x80070667"));
  EXPECT_THAT(r.message, HasSubstr("install md4ws.msi"));
}

TEST_F(DefenderActionsTest, No2012R2DefenderMeansNoMpCmdRun) {
  Make("ws2012r2");
  StepResult r = RunMaps();
  EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(r.message, HasSubstr("MpCmdRun.exe could not be started"));
  EXPECT_EQ(Recorded().error_code(), "not installed");
}

TEST_F(DefenderActionsTest, UnifiedAgentOn2012R2CanValidate) {
  Make("ws2012r2+installed");
  EXPECT_EQ(RunMaps().state, v1::STEP_STATE_SUCCEEDED);
}

TEST_F(DefenderActionsTest, DirectoryEmptyOrAbsentPasses) {
  Make("ws2019");
  v1::Action a;
  a.mutable_check_directory_empty()->set_path(
      std::string(mde::kCyberDirectory));
  EXPECT_EQ(Run(a).state, v1::STEP_STATE_SUCCEEDED);  // absent
  ASSERT_TRUE(host_->CreateDirectories(mde::kCyberDirectory).ok());
  StepResult r = Run(a);
  EXPECT_EQ(r.state, v1::STEP_STATE_SUCCEEDED);
  EXPECT_THAT(r.message, HasSubstr("is empty"));
}

TEST_F(DefenderActionsTest, DirectoryWithFilesFailsNamingThem) {
  Make("ws2019+onboarded");  // the running sensor keeps files there
  v1::Action a;
  a.mutable_check_directory_empty()->set_path(
      std::string(mde::kCyberDirectory));
  a.mutable_check_directory_empty()->set_mismatch_message(
      "not empty: offboard");
  StepResult r = Run(a);
  EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
  EXPECT_EQ(r.message, "not empty: offboard");
  EXPECT_THAT(r.output_tail, HasSubstr("holds 2 entries: SenseCyberQueue.dat"));
  a.mutable_check_directory_empty()->set_on_mismatch(v1::ON_MISMATCH_SKIP_TASK);
  r = Run(a);
  EXPECT_EQ(r.state, v1::STEP_STATE_SKIPPED);
  EXPECT_TRUE(r.skips_task);
}

v1::Action MapsCheck() {
  v1::Action a;
  auto* c = a.mutable_check_registry();
  c->set_key(std::string(mde::kSpynetPolicyKey));
  c->set_fallback_key(std::string(mde::kSpynetKey));
  c->set_name(std::string(mde::kSpynetReportingValue));
  c->set_dword_not_equals(0);
  return a;
}

TEST_F(DefenderActionsTest, FallbackKeyIsReadWhenThePolicyIsAbsent) {
  Make("ws2019");
  EXPECT_EQ(Run(MapsCheck()).state, v1::STEP_STATE_SUCCEEDED);  // default on
  ASSERT_TRUE(
      host_
          ->WriteValue(mde::kSpynetKey, mde::kSpynetReportingValue, uint32_t{0})
          .ok());
  StepResult off = Run(MapsCheck());
  EXPECT_EQ(off.state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(off.message,
              HasSubstr("Windows Defender\\Spynet\\SpynetReporting"));
  // The policy overrides the local preference.
  ASSERT_TRUE(host_
                  ->WriteValue(mde::kSpynetPolicyKey,
                               mde::kSpynetReportingValue, uint32_t{2})
                  .ok());
  EXPECT_EQ(Run(MapsCheck()).state, v1::STEP_STATE_SUCCEEDED);
}

TEST_F(DefenderActionsTest, DwordMaskComparesOnlyThoseBits) {
  Make("ws2019+tamper");
  v1::Action a;
  auto* c = a.mutable_check_registry();
  c->set_key(std::string(mde::kDefenderFeaturesKey));
  c->set_name(std::string(mde::kTamperProtectionValue));
  c->set_dword_mask(1);
  c->set_dword_equals(1);
  EXPECT_EQ(Run(a).state, v1::STEP_STATE_SUCCEEDED);  // 5: on
  ASSERT_TRUE(host_
                  ->WriteValue(mde::kDefenderFeaturesKey,
                               mde::kTamperProtectionValue, uint32_t{4})
                  .ok());
  StepResult off = Run(a);
  EXPECT_EQ(off.state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(off.message, HasSubstr("expected REG_DWORD 1 (bits 0x1)"));
}

TEST_F(DefenderActionsTest, ChecksMayReadDefenderKeysButNotWriteThem) {
  Make("ws2019");
  v1::Action read;
  read.mutable_check_registry()->set_key(std::string(mde::kDefenderKey));
  read.mutable_check_registry()->set_name("PassiveMode");
  read.mutable_check_registry()->set_absent(true);
  EXPECT_EQ(Run(read).state, v1::STEP_STATE_SUCCEEDED);
  v1::Action write;
  write.mutable_set_registry_value()->set_key(std::string(mde::kDefenderKey));
  write.mutable_set_registry_value()->set_name("PassiveMode");
  write.mutable_set_registry_value()->mutable_value()->set_dword(1);
  StepResult r = Run(write);
  EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(r.message, HasSubstr("outside the runner's allowed roots"));
  v1::Action other;
  other.mutable_check_registry()->set_key("SAM\\SAM");
  other.mutable_check_registry()->set_absent(true);
  EXPECT_EQ(Run(other).state, v1::STEP_STATE_FAILED);
}

TEST(MapsConnectionTest, FindsTheHresultInEveryFormMpCmdRunPrints) {
  EXPECT_EQ(FindHresult("ValidateMapsConnection failed to establish a "
                        "connection to MAPS (hr=80070005 httpcode=450)"),
            "0x80070005");
  EXPECT_EQ(FindHresult("MpCmdRun.exe: hr = 0x80072f8f\r\n"), "0x80072F8F");
  EXPECT_EQ(FindHresult("ERROR: ValidateMapsConnection failed (800106BA)"),
            "0x800106BA");
  EXPECT_EQ(FindHresult("MpEnsureProcessMitigationPolicy: hr = 0x1\r\n"), "");
}

TEST(MapsConnectionTest, NotElevatedSaysSo) {
  ProcessResult r;
  r.exit_code = 2;
  r.stdout_text =
      "ValidateMapsConnection failed to establish a connection to MAPS "
      "(hr=80070005 httpcode=450)\r\nMpCmdRun.exe: hr = 0x80070005\r\n";
  v1::CloudConnectionCheck c =
      InterpretValidateMapsConnection(r, absl::FromUnixSeconds(1700000000));
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.error_code(), "0x80070005");
  EXPECT_THAT(c.message(), HasSubstr("not elevated"));
  EXPECT_EQ(c.checked_at().seconds(), 1700000000);
}

TEST(MapsConnectionTest, SuccessNeedsTheTextAndExitZero) {
  ProcessResult r;
  r.exit_code = 0;
  r.stdout_text = "ValidateMapsConnection\r\n";
  v1::CloudConnectionCheck c =
      InterpretValidateMapsConnection(r, absl::FromUnixSeconds(1));
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.error_code(), "exit 0");
  ProcessResult timed_out;
  timed_out.timed_out = true;
  EXPECT_EQ(InterpretValidateMapsConnection(timed_out, absl::FromUnixSeconds(1))
                .error_code(),
            "timeout");
}

}  // namespace
}  // namespace mdefleet::runner
