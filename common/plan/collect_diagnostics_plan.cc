// collect_diagnostics (seed 001: MDEClientAnalyzer, which the article runs to
// test a server's connectivity and read its report): fetch Microsoft's
// MDEClientAnalyzer.zip, extract it, run MDEClientAnalyzer.cmd -r as the
// runner's account (LocalSystem on Windows, so no PsExec is needed) and
// upload its MDEClientAnalyzerResult.zip to the server, which keeps it with
// the task and shows the findings' errors and warnings in `jobs get`. The
// same on every release. Names and switches: common/client_analyzer.h,
// with the Microsoft article each comes from.
#include <string>

#include "absl/strings/str_cat.h"
#include "common/client_analyzer.h"
#include "common/plan/kind_plans.h"
#include "common/status_macros.h"

namespace mdefleet::plan_internal {
namespace {

namespace ca = client_analyzer;

// The analyzer's basic run takes minutes (connectivity tests, event logs);
// a hung one is stopped here.
constexpr absl::Duration kClientAnalyzerTimeout = absl::Minutes(30);

}  // namespace

absl::StatusOr<v1::Plan> BuildCollectDiagnosticsPlan(const PlanContext& ctx) {
  ASSIGN_OR_RETURN(
      ArtifactRef analyzer,
      RequireArtifact(ctx.inputs.client_analyzer, "client_analyzer_id",
                      "Microsoft's MDEClientAnalyzer.zip",
                      "collect_diagnostics (--client-analyzer; download it "
                      "from https://aka.ms/MDEAnalyzer)"));
  v1::Plan plan;
  AddFetch(&plan, "fetch_client_analyzer",
           "Download MDEClientAnalyzer.zip (SHA-256 verified)", analyzer,
           ca::kZipFileName);

  const std::string folder = WorkPath(ca::kExtractFolder);
  v1::PlannedStep* extract =
      AddStep(&plan, "extract_client_analyzer",
              absl::StrCat("Extract MDEClientAnalyzer.zip into ", folder),
              /*rerun_safe=*/true);
  v1::ExtractZipAction* zip = extract->mutable_action()->mutable_extract_zip();
  zip->set_archive(WorkPath(ca::kZipFileName));
  zip->set_destination(folder);

  // Its exit code is not documented; a failure is recorded (with its output
  // as evidence) and the bundle it may have written is still sent.
  v1::PlannedStep* run = AddStep(
      &plan, "run_client_analyzer",
      absl::StrCat("Run MDEClientAnalyzer.cmd ", ca::kNonInteractiveSwitch,
                   " (non-interactive) as the runner's account"),
      /*rerun_safe=*/true);
  run->set_continue_on_failure(true);
  v1::RunProcessAction* process = run->mutable_action()->mutable_run_process();
  process->set_program(v1::PROGRAM_CMD_SCRIPT);
  process->add_args(absl::StrCat(folder, "\\", ca::kCmdName));
  process->add_args(std::string(ca::kNonInteractiveSwitch));
  process->mutable_timeout()->set_seconds(
      absl::ToInt64Seconds(kClientAnalyzerTimeout));
  process->set_display_name("MDEClientAnalyzer.cmd");

  v1::PlannedStep* upload = AddStep(
      &plan, ca::kBundleStepName,
      absl::StrCat("Send ", ca::kResultZipName, " to the server (at most ",
                   ca::kMaxBundleBytes >> 20, " MiB)"),
      /*rerun_safe=*/true);
  upload->set_failure_class(v1::FAILURE_CLASS_RETRYABLE);
  v1::UploadDiagnosticsBundleAction* bundle =
      upload->mutable_action()->mutable_upload_diagnostics_bundle();
  bundle->add_candidates(absl::StrCat(folder, "\\", ca::kResultZipName));
  bundle->add_candidates(std::string(ca::kLiveResponseResultPath));
  return plan;
}

}  // namespace mdefleet::plan_internal
