// `mdefleetctl jobs logs JOB --device D --step upload_diagnostics_bundle
// --out DIR`: the MDEClientAnalyzer result bundle a collect_diagnostics
// task kept (admin.proto GetDiagnosticsBundle), written to
// DIR/MDEClientAnalyzerResult.zip after its SHA-256 is checked; and the
// findings section `jobs get` shows for a collect_diagnostics job.
#ifndef MDEFLEET_SERVER_CLI_JOBS_BUNDLE_H_
#define MDEFLEET_SERVER_CLI_JOBS_BUNDLE_H_

#include <string>

#include "absl/status/status.h"
#include "mdefleet/v1/admin.pb.h"
#include "server/cli/command.h"
#include "server/cli/connection.h"

namespace mdefleet::cli {

// Fetches the bundle of job `job_id` on `device_id` into out_dir (created).
// InvalidArgument naming --out when it is empty (a ZIP is not printed);
// DataLoss when the bytes received do not hash to the server's SHA-256.
[[nodiscard]] absl::Status FetchDiagnosticsBundle(CommandEnv& env,
                                                  const Connection& conn,
                                                  const std::string& job_id,
                                                  const std::string& device_id,
                                                  const std::string& out_dir);

// "diagnostics (MDEClientAnalyzer findings):" with, per task that kept a
// bundle, its host, the counts and each kept finding; per task without one,
// that none came (yet). Every text through Inert. "" for no tasks.
std::string RenderDiagnostics(const v1::ListTasksResponse& tasks);

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_JOBS_BUNDLE_H_
