// `mdefleetctl jobs submit KIND --target ... [artifact flags] [policy flags]
// [--dry-run] [--watch]`.
#ifndef MDEFLEET_SERVER_CLI_JOBS_SUBMIT_H_
#define MDEFLEET_SERVER_CLI_JOBS_SUBMIT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mdefleet/v1/admin.pb.h"
#include "server/cli/artifact_ref.h"
#include "server/cli/command.h"
#include "server/cli/policy_flags.h"
#include "server/cli/proxy_flags.h"

namespace mdefleet::cli {

struct JobsSubmitOptions {
  std::string kind;
  std::vector<std::string> targets;  // --target, repeatable
  std::string onboarding_script;     // ID or FILE
  std::string offboarding_script;
  std::string install_script;
  std::string installer;
  std::string workspace_id;
  std::string comment;   // api_offboard: the Defender API's Comment
  std::string url_list;  // connectivity_test: ID or FILE
  // collect_diagnostics: MDEClientAnalyzer.zip, ID or FILE
  std::string client_analyzer;
  ProxyFlags proxy;    // configure_proxy
  PolicyFlags policy;  // --canary, --max-in-flight, --wave-size, ...
  bool dry_run = false;
  bool watch = false;
};

// The SubmitJob request: targets and policy flags parsed (usage errors name
// the flag) before each artifact flag is resolved through `upload` (files) or
// taken as an id. The kind and the parameters are checked by the server,
// which names the field.
[[nodiscard]] absl::StatusOr<v1::SubmitJobRequest> BuildSubmitRequest(
    const JobsSubmitOptions& options, const ArtifactUploader& upload);

// Submits (or dry-runs) a job; with --watch follows it to the end.
[[nodiscard]] absl::Status RunJobsSubmit(CommandEnv& env,
                                         const JobsSubmitOptions& options);

// Human output of a dry run: each device with its planned steps (name and
// description) and plan warnings, then the host name warnings. Never
// includes step arguments.
std::string RenderDryRun(const v1::SubmitJobRequest& request,
                         const v1::SubmitJobResponse& response);

// One "warning: ..." line per host name that targeted devices share with
// other devices (SubmitJobResponse.hostname_conflicts); "" when none.
std::string RenderHostnameConflicts(const v1::SubmitJobResponse& response);

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_JOBS_SUBMIT_H_
