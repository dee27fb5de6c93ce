// Whole plans from BuildPlan, executed on simulated servers through the task
// runner (journal + executor + a recording reporter): the product's paths.
#include <string>
#include <vector>

#include "common/mde_constants.h"
#include "common/plan/plan.h"
#include "common/proxy_config.h"
#include "common/sha256.h"
#include "common/zip/analyzer_findings.h"
#include "common/zip/zip_archive.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/client/task_runner.h"
#include "runner/facts/fact_collector.h"
#include "runner/journal/journal.h"
#include "tests/runner/test_support.h"

namespace mdefleet::runner {
namespace {

using ::mdefleet::testing::TempDir;
using ::testing::ElementsAre;
using testing::FakeFetcher;
using ::testing::HasSubstr;
using testing::MakeSim;
using testing::RecordingReporter;

constexpr char kWs[] = "11111111-2222-3333-4444-555555555555";

class PlanExecution : public ::testing::Test {
 protected:
  void Device(const std::string& spec) {
    host_ = MakeSim(spec, dir_.path() + "/" + std::to_string(n_++));
    inputs_.install_script =
        ArtifactRef{fetcher_.Add(testing::InstallPs1Content()), "Install.ps1"};
    inputs_.installer_msi =
        ArtifactRef{fetcher_.Add(testing::MsiContent()), "md4ws.msi"};
    inputs_.onboarding_script =
        ArtifactRef{fetcher_.Add(testing::OnboardingScriptContent()),
                    "WindowsDefenderATPOnboardingScript.cmd"};
    inputs_.offboarding_script =
        ArtifactRef{fetcher_.Add(testing::OffboardingScriptContent()),
                    testing::kOffboardingName};
  }
  // Plans `kind` with fresh facts and runs it; returns the outcome.
  TaskOutcome Run(const std::string& kind) {
    reporter_.requests.clear();
    auto facts = CollectFacts(*host_, {});
    EXPECT_TRUE(facts.ok()) << facts.status();
    inputs_.kind = kind;
    auto plan = BuildPlan(inputs_, *facts);
    EXPECT_TRUE(plan.ok()) << plan.status();
    task_ = v1::LeasedTask();
    task_.set_task_id("task-" + std::to_string(n_++));
    task_.set_attempt(1);
    task_.set_lease_id("lease-1");
    task_.set_kind(kind);
    *task_.mutable_plan() = *plan;
    TaskRunnerOptions options;
    options.collect_facts = [this] { return CollectFacts(*host_, {}); };
    options.report_retry_budget = absl::ZeroDuration();
    return RunTask(task_, *host_, fetcher_, reporter_, options);
  }
  std::vector<std::string> ReportedSteps() const {
    std::vector<std::string> names;
    for (const auto& r : reporter_.Finals()) {
      names.push_back(task_.plan().steps(r.step_index()).name());
    }
    return names;
  }
  const v1::ReportStepRequest& Last() const {
    return reporter_.requests.back();
  }
  std::string WorkDir() const {
    return "C:\\ProgramData\\mdefleet\\work\\" + task_.task_id();
  }
  // onboard's confirm_in_defender is skipped (these plans are made without
  // the Defender API); every other step succeeded.
  void ExpectAllSucceeded() {
    for (const auto& r : reporter_.Finals()) {
      if (task_.plan().steps(r.step_index()).name() == "confirm_in_defender") {
        EXPECT_EQ(r.state(), v1::STEP_STATE_SKIPPED);
        continue;
      }
      EXPECT_EQ(r.state(), v1::STEP_STATE_SUCCEEDED)
          << task_.plan().steps(r.step_index()).name() << ": " << r.message();
    }
  }

  TempDir dir_;
  int n_ = 0;
  std::unique_ptr<sim::SimulatedHost> host_;
  FakeFetcher fetcher_;
  RecordingReporter reporter_;
  PlanInputs inputs_;
  v1::LeasedTask task_;
};

TEST_F(PlanExecution, OnboardWs2016ThroughInstallPs1) {
  Device("ws2016");
  TaskOutcome out = Run("onboard");
  EXPECT_EQ(out.end, TaskEnd::kCompleted) << out.summary;
  EXPECT_EQ(out.task_state, v1::TASK_STATE_SUCCEEDED) << out.summary;
  EXPECT_THAT(ReportedSteps(),
              ElementsAre("precheck_not_onboarded", "fetch_install_ps1",
                          "fetch_md4ws_msi", "fetch_onboarding_script",
                          "run_install_ps1", "verify_sense_running",
                          "verify_onboarding_state", "confirm_in_defender"));
  ExpectAllSucceeded();
  // Every step was reported RUNNING first, then final.
  EXPECT_EQ(reporter_.requests.size(), 16u);
  EXPECT_EQ(reporter_.requests[0].state(), v1::STEP_STATE_RUNNING);
  EXPECT_EQ(Last().task_state(), v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(Last().facts().mde_state(), v1::MDE_STATE_ONBOARDED);
  const auto run_step = reporter_.Finals()[4];
  EXPECT_EQ(run_step.message(), "Install.ps1 exit 0");
  EXPECT_EQ(run_step.exit_code(), 0);
  EXPECT_EQ(
      host_->ExecutionCount(
          testing::kPowerShell,
          {"-NoProfile", "-NonInteractive", "-ExecutionPolicy", "RemoteSigned",
           "-File", WorkDir() + "\\Install.ps1", "-OnboardingScript",
           WorkDir() + "\\WindowsDefenderATPOnboardingScript.cmd"}),
      1);
  // The work dir (onboarding script = secret) and the journal are gone.
  EXPECT_FALSE(*host_->FileExists(WorkDir()));
  EXPECT_FALSE(*host_->FileExists(JournalDirectory(*host_) + "\\" +
                                  task_.task_id() + ".1.journal"));
}

TEST_F(PlanExecution, OnboardWs2019RunsTheScriptDirectly) {
  Device("ws2019");
  TaskOutcome out = Run("onboard");
  EXPECT_EQ(out.task_state, v1::TASK_STATE_SUCCEEDED) << out.summary;
  EXPECT_THAT(ReportedSteps(),
              ElementsAre("precheck_not_onboarded", "precheck_connectivity",
                          "fetch_onboarding_script", "run_onboarding_script",
                          "verify_sense_running", "verify_onboarding_state",
                          "confirm_in_defender"));
  ExpectAllSucceeded();
  EXPECT_EQ(host_->TotalExecutions(), 1);
  EXPECT_EQ(*host_->QueryService("Sense"), v1::SERVICE_STATE_RUNNING);
}

// Seed 004: a 2019+ server whose only way out is the sensor's static proxy
// (TelemetryProxyServer) is onboarded; the precheck goes the sensor's way.
TEST_F(PlanExecution, OnboardWs2019ThatReachesDefenderOnlyThroughTheEdrProxy) {
  Device("ws2019+proxy=10.0.0.6:8080");
  ASSERT_TRUE(host_
                  ->WriteValue(proxy::kDataCollectionKey,
                               proxy::kTelemetryProxyServerValue,
                               std::string("10.0.0.6:8080"))
                  .ok());
  TaskOutcome out = Run("onboard");
  EXPECT_EQ(out.task_state, v1::TASK_STATE_SUCCEEDED) << out.summary;
  ExpectAllSucceeded();
  EXPECT_THAT(reporter_.Finals()[1].message(),
              HasSubstr("through proxy 10.0.0.6:8080 (EDR static proxy"));
}

// Sense takes seconds to run after the onboarding script returns: the plan's
// wait covers it instead of reading the state once.
TEST_F(PlanExecution, OnboardWaitsForSenseToStart) {
  Device("ws2019+sensestart=1");
  TaskOutcome out = Run("onboard");
  EXPECT_EQ(out.task_state, v1::TASK_STATE_SUCCEEDED) << out.summary;
  ExpectAllSucceeded();
  EXPECT_EQ(*host_->QueryService("Sense"), v1::SERVICE_STATE_RUNNING);
  // What the wait waited for: the script leaves Sense starting.
  Device("ws2019+sensestart=60");
  const std::string script_path = "C:\\ProgramData\\onboard.cmd";
  ASSERT_TRUE(
      host_->WriteFile(script_path, testing::OnboardingScriptContent()).ok());
  auto script = host_->RunProcess(
      testing::Req("C:\\Windows\\System32\\cmd.exe", {"/c", script_path}));
  ASSERT_TRUE(script.ok()) << script.status();
  EXPECT_EQ(script->exit_code, 0) << script->stderr_text;
  EXPECT_EQ(*host_->QueryService("Sense"), v1::SERVICE_STATE_START_PENDING);
}

TEST_F(PlanExecution, OnboardTwiceSkipsTheSecondTime) {
  Device("ws2022");
  EXPECT_EQ(Run("onboard").task_state, v1::TASK_STATE_SUCCEEDED);
  TaskOutcome again = Run("onboard");
  EXPECT_EQ(again.task_state, v1::TASK_STATE_SKIPPED);
  ASSERT_EQ(reporter_.Finals().size(), 1u);
  EXPECT_EQ(reporter_.Finals()[0].state(), v1::STEP_STATE_SKIPPED);
  EXPECT_THAT(reporter_.Finals()[0].message(), HasSubstr("already onboarded"));
  EXPECT_EQ(host_->TotalExecutions(), 1);
}

TEST_F(PlanExecution, MigrateMmaRemovesTheWorkspace) {
  Device("ws2016+mma");
  inputs_.workspace_id = kWs;
  TaskOutcome out = Run("migrate_mma");
  EXPECT_EQ(out.task_state, v1::TASK_STATE_SUCCEEDED) << out.summary;
  EXPECT_THAT(
      ReportedSteps(),
      ElementsAre("precheck_mma_workspace_present", "precheck_connectivity",
                  "fetch_install_ps1", "fetch_md4ws_msi",
                  "fetch_onboarding_script", "run_install_ps1",
                  "verify_sense_running", "verify_onboarding_state",
                  "verify_workspace_removed"));
  ExpectAllSucceeded();
  auto facts = CollectFacts(*host_, {});
  EXPECT_EQ(facts->mma_workspaces_size(), 0);
  EXPECT_EQ(facts->mde_state(), v1::MDE_STATE_ONBOARDED);
}

// A 2016 server already onboarded with md4ws whose MMA still reports to
// the workspace: upstream removes the workspace, then exits 35 (no MSI
// operation while onboarded); that is the migration done.
TEST_F(PlanExecution, MigrateMmaOfAnOnboardedServerRemovesTheWorkspace) {
  Device("ws2016+onboarded+mma");
  inputs_.workspace_id = kWs;
  TaskOutcome out = Run("migrate_mma");
  EXPECT_EQ(out.task_state, v1::TASK_STATE_SUCCEEDED) << out.summary;
  ExpectAllSucceeded();
  const v1::ReportStepRequest run = reporter_.Finals()[5];
  EXPECT_EQ(run.exit_code(), 35);
  EXPECT_THAT(run.message(), HasSubstr("removed the workspace"));
  auto facts = CollectFacts(*host_, {});
  EXPECT_EQ(facts->mma_workspaces_size(), 0);
}

TEST_F(PlanExecution, OffboardWs2016UninstallsSense) {
  Device("ws2016+onboarded");
  TaskOutcome out = Run("offboard");
  EXPECT_EQ(out.task_state, v1::TASK_STATE_SUCCEEDED) << out.summary;
  ExpectAllSucceeded();
  EXPECT_EQ(*host_->QueryService("Sense"), v1::SERVICE_STATE_ABSENT);
  EXPECT_EQ(Last().facts().mde_state(), v1::MDE_STATE_NOT_INSTALLED);
}

TEST_F(PlanExecution, OffboardWs2019StopsSense) {
  Device("ws2019+onboarded");
  TaskOutcome out = Run("offboard");
  EXPECT_EQ(out.task_state, v1::TASK_STATE_SUCCEEDED) << out.summary;
  EXPECT_THAT(ReportedSteps(),
              ElementsAre("precheck_onboarded", "fetch_offboarding_script",
                          "run_offboarding_script", "verify_sense_stopped",
                          "verify_offboarded"));
  ExpectAllSucceeded();
  EXPECT_EQ(Last().facts().onboarding_state(), 0);
  EXPECT_EQ(Last().facts().sense_state(), v1::SERVICE_STATE_STOPPED);
}

// Upstream Install.ps1 exits 0 when the onboarding script inside it fails
// (a warning only): the verify steps are what catch it.
TEST_F(PlanExecution, OnboardingScriptFailingInsideInstallPs1FailsAtVerify) {
  Device("ws2016+sensefail");
  TaskOutcome out = Run("onboard");
  EXPECT_EQ(out.task_state, v1::TASK_STATE_FAILED) << out.summary;
  std::vector<std::string> steps = ReportedSteps();
  ASSERT_GE(steps.size(), 6u);
  EXPECT_EQ(steps[4], "run_install_ps1");
  EXPECT_EQ(reporter_.Finals()[4].state(), v1::STEP_STATE_SUCCEEDED);
  EXPECT_EQ(reporter_.Finals()[4].exit_code(), 0);
  EXPECT_THAT(reporter_.Finals()[4].output_tail(),
              HasSubstr("Onboarding script returned 15"));
  EXPECT_EQ(steps.back(), "verify_sense_running");
  EXPECT_EQ(Last().state(), v1::STEP_STATE_FAILED);
  EXPECT_THAT(Last().message(), HasSubstr("did not reach RUNNING"));
}

// msiexec's 1603 passes through Install.ps1; the step message carries the
// end of the MSI log it left beside itself, up to "Return value 3".
TEST_F(PlanExecution, MsiFatalErrorCarriesTheMsiLog) {
  Device("ws2016+msi=1603");
  TaskOutcome out = Run("onboard");
  EXPECT_EQ(out.task_state, v1::TASK_STATE_FAILED) << out.summary;
  EXPECT_EQ(task_.plan().steps(Last().step_index()).name(), "run_install_ps1");
  EXPECT_EQ(Last().exit_code(), 1603);
  EXPECT_THAT(Last().message(),
              HasSubstr("Install.ps1 exit 1603: msiexec: fatal error"));
  EXPECT_THAT(Last().message(), HasSubstr("install-SIM-TEST-0001.log: "));
  EXPECT_THAT(Last().message(),
              HasSubstr("Action ended: INSTALL. Return value 3."));
  EXPECT_EQ(ClassifyStepFailure(task_.plan().steps(Last().step_index()), 1603),
            v1::FAILURE_CLASS_FINAL);
  // The whole MSI log and Install.ps1's own trace went to the server before
  // the work directory was deleted.
  ASSERT_EQ(reporter_.evidence.size(), 1u);
  const v1::UploadEvidenceRequest& evidence = reporter_.evidence[0];
  EXPECT_EQ(evidence.step_index(), Last().step_index());
  EXPECT_EQ(evidence.lease_id(), "lease-1");
  std::vector<std::string> names;
  for (const auto& f : evidence.files()) names.push_back(f.name());
  EXPECT_THAT(names, ::testing::Contains("install-SIM-TEST-0001.log"));
  EXPECT_THAT(names, ::testing::Contains(
                         ::testing::StartsWith("InstallPS1-SIM-TEST-0001.")));
  EXPECT_THAT(names, ::testing::Contains("stderr.txt"));
  EXPECT_FALSE(*host_->FileExists(WorkDir()));
  EXPECT_EQ(ClassifyStepFailure(task_.plan().steps(Last().step_index()), 1618),
            v1::FAILURE_CLASS_RETRYABLE);
}

// Installed but not onboarded: upstream's Install.ps1 -Uninstall
// -OffboardingScript exits 34; offboard ends skipped with that meaning and
// md4ws stays.
TEST_F(PlanExecution, OffboardOfAnInstalledButNotOnboardedServerIsSkipped) {
  Device("ws2016+installed");
  TaskOutcome out = Run("offboard");
  EXPECT_EQ(out.task_state, v1::TASK_STATE_SKIPPED) << out.summary;
  EXPECT_THAT(Last().message(), HasSubstr("Install.ps1 would exit 34"));
  EXPECT_EQ(*host_->QueryService("Sense"), v1::SERVICE_STATE_STOPPED);
}

// Tamper protection on: Install.ps1 offboards, then stops (38) before
// uninstalling; the step says exactly that.
TEST_F(PlanExecution, OffboardWithTamperProtectionEndsWithUpstreamMeaning) {
  Device("ws2016+onboarded+tamper");
  TaskOutcome out = Run("offboard");
  EXPECT_EQ(out.task_state, v1::TASK_STATE_FAILED) << out.summary;
  EXPECT_EQ(Last().exit_code(), 38);
  EXPECT_THAT(Last().message(),
              HasSubstr("Install.ps1 exit 38: tamper protection is still on: "
                        "Install.ps1 offboarded the device"));
  EXPECT_EQ(*host_->QueryService("Sense"), v1::SERVICE_STATE_STOPPED);
  EXPECT_EQ(Last().facts().onboarding_state(), 0);
}

// uninstall: md4ws off a server that is installed but not onboarded, with
// Install.ps1 alone (no md4ws.msi uploaded at all).
TEST_F(PlanExecution, UninstallRemovesMd4wsWithoutTheMsi) {
  Device("ws2012r2+installed");
  inputs_.installer_msi.reset();
  TaskOutcome out = Run("uninstall");
  EXPECT_EQ(out.task_state, v1::TASK_STATE_SUCCEEDED) << out.summary;
  EXPECT_THAT(ReportedSteps(),
              ElementsAre("precheck_sensor_present", "precheck_not_onboarded",
                          "fetch_install_ps1", "run_install_ps1",
                          "verify_sense_absent"));
  ExpectAllSucceeded();
  EXPECT_EQ(Last().facts().mde_state(), v1::MDE_STATE_NOT_INSTALLED);
}

// image_prep of a 2016 golden image offboards with the script and keeps
// md4ws (seed 000), up to its restart.
TEST_F(PlanExecution, ImagePrepOfA2016ImageKeepsMd4ws) {
  Device("ws2016+onboarded");
  TaskOutcome out = Run("image_prep");
  EXPECT_EQ(out.end, TaskEnd::kRebooting) << out.summary;
  EXPECT_EQ(*host_->QueryService("Sense"), v1::SERVICE_STATE_STOPPED);
  EXPECT_EQ(host_->ExecutionCount("msiexec.exe", {}), 0);
  auto state = host_->ReadValue(mde::kAtpStatusKey, mde::kOnboardingStateValue);
  ASSERT_TRUE(state.ok() && state->has_value());
  EXPECT_EQ(std::get<uint32_t>(**state), 0u);
}

TEST_F(PlanExecution, NoConnectivityFailsInstallPs1WithExit4) {
  Device("ws2016+noconn");
  TaskOutcome out = Run("onboard");
  EXPECT_EQ(out.task_state, v1::TASK_STATE_FAILED);
  const auto& last = Last();
  EXPECT_EQ(task_.plan().steps(last.step_index()).name(), "run_install_ps1");
  EXPECT_EQ(last.state(), v1::STEP_STATE_FAILED);
  EXPECT_EQ(last.exit_code(), 4);
  EXPECT_THAT(last.message(),
              HasSubstr("Install.ps1 exit 4: no internet connectivity"));
  EXPECT_THAT(last.output_tail(), HasSubstr("[ERROR]"));
  EXPECT_EQ(last.task_state(), v1::TASK_STATE_FAILED);
  // Later steps are not reported (the server marks them skipped).
  EXPECT_EQ(ReportedSteps().back(), "run_install_ps1");
}

TEST_F(PlanExecution, ThirdPartyAvWithoutPassiveFailsThePrecheck) {
  Device("ws2019+av");
  TaskOutcome out = Run("onboard");
  EXPECT_EQ(out.task_state, v1::TASK_STATE_FAILED);
  EXPECT_EQ(task_.plan().steps(Last().step_index()).name(),
            "precheck_passive_mode");
  EXPECT_THAT(Last().message(),
              HasSubstr("run set_passive_mode before onboarding"));
  EXPECT_EQ(host_->TotalExecutions(), 0);
}

TEST_F(PlanExecution, InstallOn2019IsSkipped) {
  Device("ws2019");
  TaskOutcome out = Run("install");
  EXPECT_EQ(out.task_state, v1::TASK_STATE_SKIPPED);
  EXPECT_EQ(Last().state(), v1::STEP_STATE_SKIPPED);
}

TEST_F(PlanExecution, InstallOn2012R2WithAvInstallsPassive) {
  Device("ws2012r2+av");
  TaskOutcome out = Run("install");
  EXPECT_EQ(out.task_state, v1::TASK_STATE_SUCCEEDED) << out.summary;
  auto facts = CollectFacts(*host_, {});
  EXPECT_TRUE(facts->sensor_installed());
  EXPECT_TRUE(facts->passive_mode_forced());
}

// collect_diagnostics: the analyzer zip extracted, MDEClientAnalyzer.cmd -r
// run, and its result bundle sent whole with its SHA-256.
TEST_F(PlanExecution, CollectDiagnosticsSendsTheAnalyzerBundle) {
  Device("ws2016+caerror");
  inputs_.client_analyzer = ArtifactRef{
      fetcher_.Add(*zip::WriteArchive({{"MDEClientAnalyzer.cmd", "@echo off"},
                                       {"MDEClientAnalyzer.ps1", "param()"}})),
      "MDEClientAnalyzer.zip"};
  TaskOutcome out = Run("collect_diagnostics");
  EXPECT_EQ(out.end, TaskEnd::kCompleted) << out.summary;
  EXPECT_EQ(out.task_state, v1::TASK_STATE_SUCCEEDED) << Last().message();
  ExpectAllSucceeded();
  ASSERT_FALSE(reporter_.bundle.empty());
  Sha256 hash;
  hash.Update(reporter_.bundle);
  EXPECT_EQ(reporter_.bundle_sha256, hash.FinishHex());
  EXPECT_THAT(Last().message(), HasSubstr("MDEClientAnalyzerResult.zip"));
  auto summary = zip::SummarizeResultBundle(reporter_.bundle);
  ASSERT_TRUE(summary.ok()) << summary.status();
  // Not onboarded (Sense is not running) and the profile's own error.
  EXPECT_EQ(summary->errors(), 2u);
}

TEST_F(PlanExecution, CollectDiagnosticsRefusesABundleOverTheBound) {
  Device("ws2022+onboarded+cabundle=65");
  inputs_.client_analyzer = ArtifactRef{
      fetcher_.Add(*zip::WriteArchive({{"MDEClientAnalyzer.cmd", "@echo off"},
                                       {"MDEClientAnalyzer.ps1", "param()"}})),
      "MDEClientAnalyzer.zip"};
  TaskOutcome out = Run("collect_diagnostics");
  EXPECT_EQ(out.task_state, v1::TASK_STATE_FAILED);
  EXPECT_EQ(Last().state(), v1::STEP_STATE_FAILED);
  EXPECT_THAT(Last().message(), HasSubstr("over the 64 MiB"));
  EXPECT_TRUE(reporter_.bundle.empty());
}

TEST_F(PlanExecution, TamperedArtifactIsRefusedBeforeUse) {
  Device("ws2016");
  // The server (or the network) serves other bytes under Install.ps1's id.
  fetcher_.AddWithId(inputs_.install_script->id, "Invoke-Evil");
  TaskOutcome out = Run("onboard");
  EXPECT_EQ(out.task_state, v1::TASK_STATE_FAILED);
  EXPECT_EQ(task_.plan().steps(Last().step_index()).name(),
            "fetch_install_ps1");
  EXPECT_THAT(Last().message(), HasSubstr("SHA-256 mismatch"));
  EXPECT_EQ(host_->TotalExecutions(), 0);
}

TEST_F(PlanExecution, HandBuiltPlanWithADisallowedKeyFails) {
  Device("ws2019");
  task_.set_task_id("hand-1");
  task_.set_attempt(1);
  task_.set_lease_id("l");
  auto* step = task_.mutable_plan()->add_steps();
  step->set_name("set_run_key");
  auto* set = step->mutable_action()->mutable_set_registry_value();
  set->set_key("SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run");
  set->set_name("x");
  set->mutable_value()->set_sz("C:\\x.exe");
  TaskRunnerOptions options;
  options.report_retry_budget = absl::ZeroDuration();
  TaskOutcome out = RunTask(task_, *host_, fetcher_, reporter_, options);
  EXPECT_EQ(out.task_state, v1::TASK_STATE_FAILED);
  EXPECT_THAT(Last().message(),
              HasSubstr("outside the runner's allowed roots"));
}

}  // namespace
}  // namespace mdefleet::runner
