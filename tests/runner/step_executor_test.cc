#include "runner/executor/step_executor.h"

#include "absl/strings/match.h"
#include "common/mde_constants.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/runner/test_support.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::TempDir;
using testing::FakeFetcher;
using ::testing::HasSubstr;
using testing::MakeSim;

using testing::kWork;

class StepExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host_ = MakeSim("ws2019", dir_.path());
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

  TempDir dir_;
  std::unique_ptr<sim::SimulatedHost> host_;
  FakeFetcher fetcher_;
  std::unique_ptr<StepExecutor> executor_;
};

TEST_F(StepExecutorTest, FetchVerifiesTheHash) {
  const std::string id = fetcher_.Add(testing::OnboardingScriptContent());
  v1::Action a;
  a.mutable_fetch_artifact()->set_artifact_id(id);
  a.mutable_fetch_artifact()->set_file_name("onboard.cmd");
  StepResult ok = Run(a);
  EXPECT_EQ(ok.state, v1::STEP_STATE_SUCCEEDED) << ok.message;
  EXPECT_THAT(ok.message, HasSubstr("SHA-256 verified"));
  EXPECT_EQ(*host_->ReadFile(std::string(kWork) + "\\onboard.cmd"),
            testing::OnboardingScriptContent());
}

TEST_F(StepExecutorTest, HashMismatchIsRefusedAndTheFileDeleted) {
  const std::string id = Sha256Hex("the real Install.ps1");
  fetcher_.AddWithId(id, "Start-Process evil.exe");
  v1::Action a;
  a.mutable_fetch_artifact()->set_artifact_id(id);
  a.mutable_fetch_artifact()->set_file_name("Install.ps1");
  StepResult r = Run(a);
  EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(r.message, HasSubstr("SHA-256 mismatch"));
  EXPECT_THAT(r.message, HasSubstr("file deleted, not used"));
  EXPECT_FALSE(*host_->FileExists(std::string(kWork) + "\\Install.ps1"));
}

TEST_F(StepExecutorTest, BadArtifactFileNameRefused) {
  v1::Action a;
  a.mutable_fetch_artifact()->set_artifact_id(fetcher_.Add("x"));
  a.mutable_fetch_artifact()->set_file_name("..\\..\\Windows\\x.dll");
  EXPECT_EQ(Run(a).state, v1::STEP_STATE_FAILED);
  EXPECT_EQ(fetcher_.fetches(), 0);
}

TEST_F(StepExecutorTest, DisallowedRegistryRootRefusedNothingChanged) {
  v1::Action a;
  auto* set = a.mutable_set_registry_value();
  set->set_key("SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run");
  set->set_name("evil");
  set->mutable_value()->set_sz("C:\\evil.exe");
  StepResult r = Run(a);
  EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(r.message, HasSubstr("outside the runner's allowed roots"));
  EXPECT_FALSE(
      host_
          ->ReadValue("SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
                      "evil")
          ->has_value());
}

TEST_F(StepExecutorTest, SetAndDeleteRegistryValue) {
  v1::Action set;
  set.mutable_set_registry_value()->set_key(std::string(mde::kAtpPolicyKey));
  set.mutable_set_registry_value()->set_name("ForceDefenderPassiveMode");
  set.mutable_set_registry_value()->mutable_value()->set_dword(1);
  StepResult r = Run(set);
  EXPECT_EQ(r.state, v1::STEP_STATE_SUCCEEDED);
  EXPECT_THAT(r.message, HasSubstr("= REG_DWORD 1"));
  v1::Action del;
  del.mutable_delete_registry_value()->set_key(std::string(mde::kAtpPolicyKey));
  del.mutable_delete_registry_value()->set_name("ForceDefenderPassiveMode");
  EXPECT_THAT(Run(del).message, HasSubstr("deleted"));
  EXPECT_THAT(Run(del).message, HasSubstr("already absent"));
}

TEST_F(StepExecutorTest, CheckRegistryAbsentCountsAsNotEqual) {
  v1::Action a;
  auto* c = a.mutable_check_registry();
  c->set_key(std::string(mde::kAtpStatusKey));
  c->set_name("OnboardingState");
  c->set_dword_not_equals(1);
  c->set_on_mismatch(v1::ON_MISMATCH_SKIP_TASK);
  c->set_mismatch_message("already onboarded");
  StepResult absent = Run(a);
  EXPECT_EQ(absent.state, v1::STEP_STATE_SUCCEEDED);
  EXPECT_THAT(absent.message, HasSubstr("is absent"));
  ASSERT_TRUE(host_
                  ->WriteValue(mde::kAtpStatusKey, "OnboardingState",
                               RegistryData{uint32_t{1}})
                  .ok());
  StepResult skip = Run(a);
  EXPECT_EQ(skip.state, v1::STEP_STATE_SKIPPED);
  EXPECT_TRUE(skip.skips_task);
  EXPECT_EQ(skip.message, "already onboarded");
  c->set_on_mismatch(v1::ON_MISMATCH_FAIL);
  c->clear_mismatch_message();
  StepResult fail = Run(a);
  EXPECT_EQ(fail.state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(fail.message,
              HasSubstr("is REG_DWORD 1, expected not REG_DWORD 1"));
}

TEST_F(StepExecutorTest, CheckServiceAndWait) {
  v1::Action a;
  a.mutable_check_service()->set_name("Sense");
  a.mutable_check_service()->add_accept(v1::SERVICE_STATE_ABSENT);
  a.mutable_check_service()->set_on_mismatch(v1::ON_MISMATCH_SKIP_TASK);
  a.mutable_check_service()->set_mismatch_message(
      "unified agent already installed");
  StepResult r = Run(a);
  EXPECT_EQ(r.state, v1::STEP_STATE_SKIPPED);  // 2019: Sense is built in
  EXPECT_EQ(r.message, "unified agent already installed");
  v1::Action w;
  w.mutable_wait_service_state()->set_name("Sense");
  w.mutable_wait_service_state()->set_state(v1::SERVICE_STATE_RUNNING);
  w.mutable_wait_service_state()->mutable_timeout()->set_seconds(1);
  StepResult wait = Run(w);
  EXPECT_EQ(wait.state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(wait.message, HasSubstr("did not reach RUNNING"));
}

TEST_F(StepExecutorTest, RunProcessMessagesAndOutputTail) {
  v1::Action a;
  auto* run = a.mutable_run_process();
  run->set_program(v1::PROGRAM_CMD_SCRIPT);
  run->add_args("${work_dir}\\nope.cmd");
  run->set_display_name("onboarding script");
  (*run->mutable_exit_code_meanings())[1] = "script not found";
  StepResult r = Run(a);
  EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
  ASSERT_TRUE(r.exit_code.has_value());
  EXPECT_EQ(*r.exit_code, 1);
  EXPECT_EQ(r.message, "onboarding script exit 1: script not found");
  EXPECT_THAT(r.output_tail, HasSubstr("cannot find the file"));
  run->add_success_exit_codes(1);
  EXPECT_EQ(Run(a).state, v1::STEP_STATE_SUCCEEDED);
}

TEST_F(StepExecutorTest, ProgramOutsideTheAllowListRunsNothing) {
  v1::Action a;
  a.mutable_run_process()->set_program(v1::PROGRAM_UNSPECIFIED);
  EXPECT_EQ(Run(a).state, v1::STEP_STATE_FAILED);
  a.mutable_run_process()->set_program(v1::PROGRAM_CMD_SCRIPT);
  a.mutable_run_process()->add_args("C:\\Windows\\Temp\\x.cmd");
  StepResult r = Run(a);
  EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(r.message, HasSubstr("work directory"));
  EXPECT_EQ(host_->TotalExecutions(), 0);
}

TEST_F(StepExecutorTest, SkipActionAndUnknownAction) {
  v1::Action skip;
  skip.mutable_skip()->set_reason("sensor built in");
  StepResult s = Run(skip);
  EXPECT_EQ(s.state, v1::STEP_STATE_SKIPPED);
  EXPECT_FALSE(s.skips_task);
  EXPECT_EQ(Run(v1::Action()).state, v1::STEP_STATE_FAILED);
}

TEST_F(StepExecutorTest, DeleteDirectoryContentsAndReboot) {
  const std::string cyber(mde::kCyberDirectory);
  ASSERT_TRUE(host_->CreateDirectories(cyber + "\\sub").ok());
  ASSERT_TRUE(host_->WriteFile(cyber + "\\f.bin", "x").ok());
  v1::Action del;
  del.mutable_delete_directory_contents()->set_path(cyber);
  EXPECT_EQ(Run(del).state, v1::STEP_STATE_SUCCEEDED);
  EXPECT_TRUE(*host_->FileExists(cyber));
  EXPECT_FALSE(*host_->FileExists(cyber + "\\f.bin"));
  del.mutable_delete_directory_contents()->set_path("C:\\Windows");
  EXPECT_EQ(Run(del).state, v1::STEP_STATE_FAILED);
  v1::Action reboot;
  reboot.mutable_reboot()->set_reason("image prep");
  EXPECT_EQ(Run(reboot).state, v1::STEP_STATE_SUCCEEDED);
  EXPECT_EQ(host_->Reboots().size(), 1u);
}

TEST(TailUtf8, BoundsAndKeepsUtf8Valid) {
  std::string big(10000, 'a');
  big += "\xe3\x81\x82";  // あ
  std::string tail = TailUtf8(big, 4096);
  EXPECT_LE(tail.size(), 4096u);
  EXPECT_TRUE(absl::EndsWith(tail, "\xe3\x81\x82"));
  EXPECT_EQ(TailUtf8("\xe3\x81\x82xyz", 4), "xyz");  // cut sequence dropped
  EXPECT_EQ(TailUtf8("a\xffz", 10), "a?z");
}

}  // namespace
}  // namespace mdefleet::runner
