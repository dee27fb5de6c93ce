#include "server/cli/jobs_logs.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/client_analyzer.h"
#include "common/evidence_limits.h"
#include "common/gzip.h"
#include "mdefleet/v1/admin.pb.h"
#include "server/cli/duration.h"
#include "server/cli/format.h"
#include "server/cli/jobs_bundle.h"
#include "server/cli/jobs_cmd.h"

namespace mdefleet::cli {
namespace {

// The device id for `device`: itself when a task of the job runs on that
// id, else the device whose host name it is (case-insensitive).
[[nodiscard]] absl::StatusOr<std::string> ResolveDevice(
    const Connection& conn, const std::string& job_id,
    const std::string& device) {
  v1::ListTasksRequest request;
  request.set_job_id(job_id);
  absl::StatusOr<v1::ListTasksResponse> tasks =
      ListAllTasks(conn, std::move(request));
  if (!tasks.ok()) return tasks.status();
  std::string by_name;
  for (const v1::Task& task : tasks->tasks()) {
    if (task.device_id() == device) return device;
    if (by_name.empty() && absl::AsciiStrToLower(task.hostname()) ==
                               absl::AsciiStrToLower(device)) {
      by_name = task.device_id();
    }
  }
  if (!by_name.empty()) return by_name;
  return absl::NotFoundError(
      absl::StrCat("--device: job ", job_id,
                   " has no task on a device with id or host name \"", device,
                   "\" (see `mdefleetctl jobs tasks ", job_id, "`)"));
}

std::string SizeNote(const v1::EvidenceFile& f) {
  return f.truncated() ? absl::StrCat(f.original_size(), " bytes, the last ",
                                      kMaxEvidenceFileBytes, " kept")
                       : absl::StrCat(f.original_size(), " bytes");
}

}  // namespace

absl::Status RunJobsLogs(CommandEnv& env, const JobsLogsOptions& options) {
  auto connection = env.connection();
  if (!connection.ok()) return connection.status();
  const Connection& conn = **connection;
  absl::StatusOr<std::string> device_id =
      ResolveDevice(conn, options.job_id, options.device);
  if (!device_id.ok()) return device_id.status();
  if (options.step == client_analyzer::kBundleStepName) {
    return FetchDiagnosticsBundle(env, conn, options.job_id, *device_id,
                                  options.out_dir);
  }
  v1::GetTaskEvidenceRequest request;
  request.set_job_id(options.job_id);
  request.set_device_id(*device_id);
  request.set_step_name(options.step);
  v1::GetTaskEvidenceResponse response;
  auto context = conn.NewContext();
  absl::Status status = conn.Check(
      conn.admin().GetTaskEvidence(context.get(), request, &response));
  if (!status.ok()) return status;
  if (env.json()) {
    env.PrintJson(response);
    return absl::OkStatus();
  }
  if (response.steps_size() == 0) {
    env.out() << "no evidence for job " << options.job_id << " on device "
              << *device_id
              << (options.step.empty() ? ""
                                       : absl::StrCat(", step ", options.step))
              << ": runners upload it when a program of a step fails (kept "
              << (response.retention().seconds() == 0
                      ? std::string("forever")
                      : FormatShortDuration(
                            absl::Seconds(response.retention().seconds())))
              << ")\n";
    return absl::OkStatus();
  }
  for (const v1::StepEvidence& step : response.steps()) {
    for (const v1::EvidenceFile& f : step.files()) {
      absl::StatusOr<std::string> text =
          GzipDecompress(f.gzip_content(), kMaxEvidenceFileBytes);
      if (!text.ok()) {
        return absl::DataLossError(absl::StrCat("evidence ", f.name(),
                                                " of step ", step.step_name(),
                                                ": ", text.status().message()));
      }
      if (options.out_dir.empty()) {
        env.out() << "==> attempt " << step.attempt() << ", step "
                  << step.step_name() << ": " << f.name() << " (" << SizeNote(f)
                  << ", uploaded " << FormatTimestamp(step.uploaded_at())
                  << ") <==\n"
                  << *text;
        if (!text->empty() && text->back() != '\n') env.out() << "\n";
        continue;
      }
      // Names were checked by the server (no separators, not "..").
      const std::filesystem::path dir =
          std::filesystem::path(options.out_dir) /
          absl::StrCat("attempt-", step.attempt()) / step.step_name();
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      const std::filesystem::path path = dir / f.name();
      std::ofstream file(path, std::ios::binary | std::ios::trunc);
      file << *text;
      if (ec || !file.flush()) {
        return absl::InternalError(
            absl::StrCat("--out: cannot write ", path.string()));
      }
      env.out() << path.string() << " (" << SizeNote(f) << ")\n";
    }
  }
  return absl::OkStatus();
}

void AddJobsLogsCommand(CLI::App& jobs, Command* selected) {
  auto options = std::make_shared<JobsLogsOptions>();
  CLI::App* logs = jobs.add_subcommand(
      "logs",
      "Evidence a device's failed steps left: the program's output and the "
      "MSI and Install.ps1 logs (operator role)");
  logs->add_option("ID", options->job_id, "Job id")->required();
  logs->add_option("--device", options->device,
                   "Device id or host name of one of the job's tasks")
      ->required();
  logs->add_option("--step", options->step,
                   "Only this step (e.g. run_install_ps1); "
                   "upload_diagnostics_bundle fetches collect_diagnostics' "
                   "MDEClientAnalyzerResult.zip (needs --out)");
  logs->add_option("--out", options->out_dir,
                   "Write the files under DIR/attempt-N/STEP/ instead of "
                   "printing them (the result bundle: "
                   "DIR/MDEClientAnalyzerResult.zip)");
  logs->callback([options, selected] {
    *selected = [options](CommandEnv& env) {
      return RunJobsLogs(env, *options);
    };
  });
}

}  // namespace mdefleet::cli
