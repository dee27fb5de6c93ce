// Plans executed by the real StepExecutor on WindowsHost: the 2019+ onboard
// plan from common/plan with a stand-in onboarding script that writes
// OnboardingState with reg.exe, and the refusals (disallowed registry key,
// program not on the allow-list, tampered artifact, script outside the work
// directory, deletion outside the allowed paths), each checked to have
// changed nothing.
//
// Wine has no Sense service, so the plan's verify_sense_running step cannot
// pass here; the steps that can be proven run, and a separate test shows
// verify_sense_running failing with its operator message.
#include <windows.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/mde_constants.h"
#include "common/plan/plan.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/executor/action_policy.h"
#include "runner/executor/artifact_fetcher.h"
#include "runner/executor/step_executor.h"
#include "runner/host/windows/windows_host.h"
#include "tests/runner/windows/windows_test_support.h"
#include "tests/testing/windows_host_test.h"

namespace mdefleet::runner::win {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::HelperPath;
using testing::TestKey;

// ArtifactFetcher over an in-memory map id -> content.
class FakeFetcher : public ArtifactFetcher {
 public:
  // Adds `content` under its SHA-256; returns the id.
  std::string Add(const std::string& content) {
    const std::string id = Sha256Hex(content);
    artifacts_[id] = content;
    return id;
  }
  // Serves `content` under `id` (a tampered file).
  void AddWithId(const std::string& id, const std::string& content) {
    artifacts_[id] = content;
  }
  absl::StatusOr<std::string> Fetch(absl::string_view artifact_id) override {
    auto it = artifacts_.find(std::string(artifact_id));
    if (it == artifacts_.end()) {
      return absl::NotFoundError(absl::StrCat("artifact ", artifact_id));
    }
    return it->second;
  }

 private:
  std::map<std::string, std::string> artifacts_;
};

// A stand-in for WindowsDefenderATPOnboardingScript.cmd (Group Policy
// variant): it writes OnboardingInfo as the real one does, then the
// OnboardingState the sensor would set, with reg.exe in the 64-bit view.
std::string OnboardingScript() {
  return "@echo off\r\n"
         "rem Stand-in for the Defender for Endpoint onboarding script\r\n"
         "reg.exe add \"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Advanced "
         "Threat Protection\" /v OnboardingInfo /t REG_SZ /d "
         "test-tenant-data /f /reg:64\r\n"
         "if errorlevel 1 exit /b 31\r\n"
         "reg.exe add \"HKLM\\SOFTWARE\\Microsoft\\Windows Advanced Threat "
         "Protection\\Status\" /v OnboardingState /t REG_DWORD /d 1 /f "
         "/reg:64\r\n"
         "if errorlevel 1 exit /b 31\r\n"
         "echo Successfully onboarded machine to Microsoft Defender for "
         "Endpoint\r\n"
         "exit /b 0\r\n";
}

// A script that, if it ever ran, would leave value `name` under `key`.
std::string MarkerScript(const std::string& key, const std::string& name) {
  return absl::StrCat("@echo off\r\nreg.exe add \"HKLM\\", key, "\" /v ", name,
                      " /t REG_DWORD /d 1 /f /reg:64\r\n");
}

class ExecutorOnWindowsHost : public ::mdefleet::testing::WindowsHostTest {
 protected:
  void Configure(WindowsHostOptions& options) override {
    options.reboot_dry_run = true;
    options.service_poll_interval = absl::Milliseconds(100);
  }
  void SetUp() override {
    WindowsHostTest::SetUp();
    if (HasFatalFailure()) return;
    auto work_dir =
        TaskWorkDirectory(host_->StateDirectory(), testing::UniqueName("task"));
    ASSERT_TRUE(work_dir.ok()) << work_dir.status();
    work_dir_ = *work_dir;
    ASSERT_TRUE(host_->CreateDirectories(work_dir_).ok());
    executor_ = std::make_unique<StepExecutor>(*host_, fetcher_, *Clock::Real(),
                                               work_dir_);
  }

  void TearDown() override {
    if (touches_mde_keys_) RemoveMdeKeys();
  }

  // For tests that write the real Defender for Endpoint keys: only under
  // Wine, where the registry is the test prefix's own.
  bool UseMdeKeys() {
    if (!testing::RunningUnderWine()) return false;
    touches_mde_keys_ = true;
    RemoveMdeKeys();
    return true;
  }

  void RemoveMdeKeys() {
    EXPECT_TRUE(host_->DeleteKey(mde::kAtpKey).ok());
    EXPECT_TRUE(host_->DeleteKey(mde::kAtpPolicyKey).ok());
  }

  // The 2019 onboard plan for this device, as the server would make it.
  v1::Plan OnboardPlan(const std::string& script_id) {
    PlanInputs inputs;
    inputs.kind = "onboard";
    inputs.onboarding_script =
        ArtifactRef{script_id, std::string(mde::kOnboardingScriptFileName)};
    v1::DeviceFacts facts;
    facts.set_os_family(v1::OS_FAMILY_WS2019);
    facts.set_os_version("10.0.17763.1");
    facts.set_os_build(17763);
    auto plan = BuildPlan(inputs, facts);
    EXPECT_TRUE(plan.ok()) << plan.status();
    return plan.ok() ? *plan : v1::Plan();
  }

  // `plan` without the steps named in `drop`.
  static v1::Plan Without(const v1::Plan& plan,
                          const std::vector<std::string>& drop) {
    v1::Plan out;
    for (const v1::PlannedStep& step : plan.steps()) {
      if (std::find(drop.begin(), drop.end(), step.name()) == drop.end()) {
        *out.add_steps() = step;
      }
    }
    return out;
  }

  // Executes the steps in order, stopping after the first that fails or
  // ends the task, as the task runner does.
  std::vector<StepResult> Run(const v1::Plan& plan) {
    std::vector<StepResult> results;
    for (const v1::PlannedStep& step : plan.steps()) {
      results.push_back(executor_->Execute(step));
      if (results.back().state == v1::STEP_STATE_FAILED ||
          results.back().skips_task) {
        break;
      }
    }
    return results;
  }

  StepResult RunOne(const v1::PlannedStep& step) {
    return executor_->Execute(step);
  }

  std::optional<RegistryData> Read(absl::string_view key,
                                   absl::string_view name) {
    auto value = host_->ReadValue(key, name);
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? *value : std::nullopt;
  }

  TestKey key_;
  FakeFetcher fetcher_;
  std::string work_dir_;
  std::unique_ptr<StepExecutor> executor_;
  bool touches_mde_keys_ = false;
};

TEST_F(ExecutorOnWindowsHost, OnboardPlanRunsTheScriptAndVerifiesState) {
  if (!UseMdeKeys()) GTEST_SKIP() << "writes the real MDE keys; Wine only";
  const v1::Plan full = OnboardPlan(fetcher_.Add(OnboardingScript()));
  std::vector<std::string> names;
  for (const auto& step : full.steps()) names.push_back(step.name());
  ASSERT_THAT(names,
              ElementsAre("precheck_not_onboarded", "precheck_connectivity",
                          "fetch_onboarding_script", "run_onboarding_script",
                          "verify_sense_running", "verify_onboarding_state",
                          "confirm_in_defender"));
  // Not provable here: the Defender endpoint is not reachable from the test
  // machine, and Wine has no Sense service (see the next test);
  // confirm_in_defender is the server's (skipped without the Defender API).
  const v1::Plan plan = Without(
      full,
      {"precheck_connectivity", "verify_sense_running", "confirm_in_defender"});

  const std::vector<StepResult> results = Run(plan);
  ASSERT_EQ(results.size(), 4u);
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].state, v1::STEP_STATE_SUCCEEDED)
        << plan.steps(i).name() << ": " << results[i].message << "\n"
        << results[i].output_tail;
  }
  EXPECT_THAT(results[1].message, HasSubstr("SHA-256 verified"));
  EXPECT_EQ(results[2].message, "onboarding script exit 0");
  EXPECT_EQ(results[2].exit_code, 0);
  EXPECT_THAT(results[2].output_tail, HasSubstr("Successfully onboarded"));
  EXPECT_THAT(results[3].message, HasSubstr("OnboardingState is REG_DWORD 1"));

  // Read back independently of the executor.
  EXPECT_EQ(Read(mde::kAtpStatusKey, mde::kOnboardingStateValue),
            RegistryData(uint32_t{1}));
  EXPECT_EQ(Read(mde::kAtpPolicyKey, mde::kOnboardingInfoValue),
            RegistryData(std::string("test-tenant-data")));
  EXPECT_TRUE(*host_->FileExists(
      absl::StrCat(work_dir_, "\\", mde::kOnboardingScriptFileName)));

  // Onboarded now: the plan's first check ends the task as skipped.
  const std::vector<StepResult> again = Run(plan);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].state, v1::STEP_STATE_SKIPPED);
  EXPECT_TRUE(again[0].skips_task);
  EXPECT_THAT(again[0].message, HasSubstr("already onboarded"));
}

TEST_F(ExecutorOnWindowsHost, SenseVerificationFailsWithoutTheSensor) {
  if (!UseMdeKeys()) GTEST_SKIP() << "writes the real MDE keys; Wine only";
  v1::Plan plan = Without(OnboardPlan(fetcher_.Add(OnboardingScript())),
                          {"precheck_connectivity"});
  for (auto& step : *plan.mutable_steps()) {
    if (step.action().has_wait_service_state()) {
      step.mutable_action()
          ->mutable_wait_service_state()
          ->mutable_timeout()
          ->set_seconds(1);
    }
  }
  const std::vector<StepResult> results = Run(plan);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[2].state, v1::STEP_STATE_SUCCEEDED) << results[2].message;
  EXPECT_EQ(plan.steps(3).name(), "verify_sense_running");
  EXPECT_EQ(results[3].state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(results[3].message,
              HasSubstr("service Sense did not reach RUNNING"));
  EXPECT_THAT(results[3].output_tail,
              HasSubstr("service Sense is ABSENT, not RUNNING"));
}

TEST_F(ExecutorOnWindowsHost, TamperedArtifactIsRefusedAndNothingRuns) {
  // The plan names the good script's hash; the fetcher serves other bytes.
  const std::string good = MarkerScript(key_.key(), "Good");
  const v1::Plan plan =
      Without(OnboardPlan(fetcher_.Add(good)),
              {"precheck_not_onboarded", "precheck_connectivity"});
  fetcher_.AddWithId(Sha256Hex(good), MarkerScript(key_.key(), "Tampered"));
  const std::vector<StepResult> results = Run(plan);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(results[0].message, HasSubstr("SHA-256 mismatch"));
  EXPECT_THAT(results[0].message, HasSubstr("file deleted, not used"));
  EXPECT_FALSE(*host_->FileExists(
      absl::StrCat(work_dir_, "\\", mde::kOnboardingScriptFileName)));
  // Even a runner that went on would find no script to run.
  const StepResult run = RunOne(plan.steps(1));
  EXPECT_NE(run.exit_code, 0);
  EXPECT_EQ(Read(key_.key(), "Tampered"), std::nullopt);
  EXPECT_EQ(Read(key_.key(), "Good"), std::nullopt);
}

TEST_F(ExecutorOnWindowsHost, RegistryOutsideTheAllowedRootsIsRefused) {
  const std::string run_key =
      "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run";
  const std::string name = testing::UniqueName("mdefleet-test");
  for (const std::string& key : {run_key, key_.key()}) {
    v1::PlannedStep set;
    set.set_name("set");
    auto* action = set.mutable_action()->mutable_set_registry_value();
    action->set_key(key);
    action->set_name(name);
    action->mutable_value()->set_sz("C:\\evil.exe");
    const StepResult r = RunOne(set);
    EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
    EXPECT_THAT(r.message, HasSubstr("outside the runner's allowed roots"));
    EXPECT_THAT(r.message, HasSubstr(key));
    EXPECT_EQ(Read(key, name), std::nullopt) << key;
  }
  ASSERT_TRUE(host_->WriteValue(key_.key(), "Keep", uint32_t{1}).ok());
  v1::PlannedStep del;
  del.set_name("delete");
  del.mutable_action()->mutable_delete_registry_value()->set_key(key_.key());
  del.mutable_action()->mutable_delete_registry_value()->set_name("Keep");
  const StepResult r = RunOne(del);
  EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(r.message, HasSubstr("refused, nothing changed"));
  EXPECT_EQ(Read(key_.key(), "Keep"), RegistryData(uint32_t{1}));
}

TEST_F(ExecutorOnWindowsHost, ProgramsOffTheAllowListAreRefused) {
  for (int program : {static_cast<int>(v1::PROGRAM_UNSPECIFIED), 99}) {
    v1::PlannedStep step;
    step.set_name("run");
    auto* run = step.mutable_action()->mutable_run_process();
    run->set_program(static_cast<v1::Program>(program));
    run->add_args("/c");
    const StepResult r = RunOne(step);
    EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
    EXPECT_THAT(r.message, HasSubstr("is not on the runner's allow-list"));
    EXPECT_THAT(r.message, HasSubstr("nothing run"));
    EXPECT_FALSE(r.exit_code.has_value());
  }
}

TEST_F(ExecutorOnWindowsHost, ScriptsOutsideTheWorkDirectoryAreRefused) {
  // A script the runner did not fetch and verify, outside the work dir.
  const std::string script = dir_.Join("planted.cmd");
  ASSERT_TRUE(
      host_->WriteFile(script, MarkerScript(key_.key(), "Planted")).ok());
  v1::PlannedStep step;
  step.set_name("run_planted");
  auto* run = step.mutable_action()->mutable_run_process();
  run->set_program(v1::PROGRAM_CMD_SCRIPT);
  run->add_args(script);
  const StepResult r = RunOne(step);
  EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(r.message, HasSubstr("may only run a script fetched into"));
  EXPECT_EQ(Read(key_.key(), "Planted"), std::nullopt);
}

TEST_F(ExecutorOnWindowsHost, DeletionOutsideTheAllowedPathsIsRefused) {
  const std::string outside = dir_.Join("outside");
  ASSERT_TRUE(host_->CreateDirectories(outside).ok());
  ASSERT_TRUE(host_->WriteFile(outside + "\\keep.txt", "x").ok());
  v1::PlannedStep step;
  step.set_name("delete");
  step.mutable_action()->mutable_delete_directory_contents()->set_path(outside);
  StepResult r = RunOne(step);
  EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(r.message, HasSubstr("refused, nothing deleted"));
  EXPECT_TRUE(*host_->FileExists(outside + "\\keep.txt"));

  // Inside the work directory it is allowed; the folder stays.
  ASSERT_TRUE(host_->CreateDirectories(work_dir_ + "\\cache\\sub").ok());
  ASSERT_TRUE(host_->WriteFile(work_dir_ + "\\cache\\sub\\x", "x").ok());
  step.mutable_action()->mutable_delete_directory_contents()->set_path(
      "${work_dir}\\cache");
  r = RunOne(step);
  EXPECT_EQ(r.state, v1::STEP_STATE_SUCCEEDED) << r.message;
  EXPECT_TRUE(*host_->FileExists(work_dir_ + "\\cache"));
  EXPECT_FALSE(*host_->FileExists(work_dir_ + "\\cache\\sub"));
}

TEST_F(ExecutorOnWindowsHost, ScriptTimeoutKillsTheTree) {
  // An onboarding script that hangs in a program it started.
  const std::string pid_file = dir_.Join("hung.pid");
  const std::string script =
      absl::StrCat("@echo off\r\n\"", HelperPath("windows_host_test_child.exe"),
                   "\" write-pid-and-sleep \"", pid_file, "\"\r\n");
  v1::Plan plan;
  auto* fetch = plan.add_steps();
  fetch->set_name("fetch");
  fetch->mutable_action()->mutable_fetch_artifact()->set_artifact_id(
      fetcher_.Add(script));
  fetch->mutable_action()->mutable_fetch_artifact()->set_file_name("hang.cmd");
  auto* step = plan.add_steps();
  step->set_name("run");
  auto* run = step->mutable_action()->mutable_run_process();
  run->set_program(v1::PROGRAM_CMD_SCRIPT);
  run->add_args("${work_dir}\\hang.cmd");
  run->set_display_name("onboarding script");
  run->mutable_timeout()->set_seconds(3);
  const std::vector<StepResult> results = Run(plan);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1].state, v1::STEP_STATE_FAILED);
  EXPECT_EQ(results[1].message,
            "onboarding script timed out after 3s and was killed");
  EXPECT_FALSE(results[1].exit_code.has_value());
  auto pid_text = host_->ReadFile(pid_file);
  ASSERT_TRUE(pid_text.ok()) << pid_text.status();
  HANDLE process = OpenProcess(SYNCHRONIZE, FALSE,
                               static_cast<DWORD>(std::stoul(*pid_text)));
  if (process != nullptr) {
    EXPECT_EQ(WaitForSingleObject(process, 10000), WAIT_OBJECT_0);
    CloseHandle(process);
  }
}

TEST_F(ExecutorOnWindowsHost, ExitCodesGetTheirMeaning) {
  v1::Plan plan;
  auto* fetch = plan.add_steps();
  fetch->set_name("fetch");
  fetch->mutable_action()->mutable_fetch_artifact()->set_artifact_id(
      fetcher_.Add(
          "@echo off\r\necho onboarding failed 1>&2\r\nexit /b 31\r\n"));
  fetch->mutable_action()->mutable_fetch_artifact()->set_file_name("fail.cmd");
  auto* step = plan.add_steps();
  step->set_name("run");
  auto* run = step->mutable_action()->mutable_run_process();
  run->set_program(v1::PROGRAM_CMD_SCRIPT);
  run->add_args("${work_dir}\\fail.cmd");
  run->set_display_name("onboarding script");
  (*run->mutable_exit_code_meanings())[31] = "onboarding failed";
  const std::vector<StepResult> results = Run(plan);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1].state, v1::STEP_STATE_FAILED);
  EXPECT_EQ(results[1].exit_code, 31);
  EXPECT_EQ(results[1].message, "onboarding script exit 31: onboarding failed");
  EXPECT_THAT(results[1].output_tail, HasSubstr("onboarding failed"));
}

TEST_F(ExecutorOnWindowsHost, RebootStepIsRecordedInDryRun) {
  v1::PlannedStep step;
  step.set_name("reboot");
  step.mutable_action()->mutable_reboot()->set_reason(
      "image_prep: restart before imaging");
  step.mutable_action()->mutable_reboot()->mutable_delay()->set_seconds(60);
  const StepResult r = RunOne(step);
  EXPECT_EQ(r.state, v1::STEP_STATE_SUCCEEDED) << r.message;
  ASSERT_EQ(host_->RecordedReboots().size(), 1u);
  EXPECT_EQ(host_->RecordedReboots()[0].reason,
            "image_prep: restart before imaging");
  EXPECT_EQ(host_->RecordedReboots()[0].delay, absl::Seconds(60));
}

TEST_F(ExecutorOnWindowsHost, UnreachableUrlFailsWithThePlansMessage) {
  v1::PlannedStep step;
  step.set_name("precheck_connectivity");
  step.mutable_action()->mutable_check_url()->set_url(
      "https://no-such-host.invalid/test");
  step.mutable_action()->mutable_check_url()->set_mismatch_message(
      "cannot reach the Defender for Endpoint service");
  const StepResult r = RunOne(step);
  EXPECT_EQ(r.state, v1::STEP_STATE_FAILED);
  EXPECT_THAT(r.message,
              HasSubstr("cannot reach the Defender for Endpoint service: "));
  EXPECT_THAT(r.output_tail, HasSubstr("ERROR_WINHTTP_"));
}

}  // namespace
}  // namespace mdefleet::runner::win
