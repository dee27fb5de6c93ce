// What the runner is allowed to do, independent of how: the fixed program
// paths and command lines for the Program enum, the allow-listed registry
// roots, the directories actions may touch, ${work_dir} expansion. Every
// refusal is an InvalidArgument/PermissionDenied with an operator-facing
// message; the executor turns it into a failed step and runs nothing.
#ifndef MDEFLEET_RUNNER_EXECUTOR_ACTION_POLICY_H_
#define MDEFLEET_RUNNER_EXECUTOR_ACTION_POLICY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/plan.pb.h"
#include "runner/host/host.h"

namespace mdefleet::runner {

inline constexpr absl::string_view kWorkDirVariable = "${work_dir}";

// The fixed path of `program`, e.g. PROGRAM_CMD_SCRIPT ->
// C:\Windows\System32\cmd.exe. InvalidArgument for PROGRAM_UNSPECIFIED or an
// unknown value.
[[nodiscard]] absl::StatusOr<std::string> ProgramPath(v1::Program program);

// The full request for a run_process action: fixed path, fixed leading
// arguments (PowerShell: -NoProfile -NonInteractive -ExecutionPolicy
// RemoteSigned -File; cmd: /c), ${work_dir}-expanded arguments, the work dir
// as working directory. PowerShell and cmd may only run a script inside
// `work_dir` (a fetched, hash-verified artifact): PermissionDenied otherwise.
// cmd's script may be followed only by single-letter switches ("-r", as
// MDEClientAnalyzer.cmd takes): InvalidArgument for anything else.
[[nodiscard]] absl::StatusOr<ProcessRequest> BuildProcessRequest(
    const v1::RunProcessAction& action, absl::string_view work_dir);

// "${work_dir}" replaced by `work_dir` everywhere in `text`.
std::string ExpandWorkDir(absl::string_view text, absl::string_view work_dir);

// OK when `key` (no hive) is under SOFTWARE\Policies\Microsoft\,
// SOFTWARE\Microsoft\Windows Advanced Threat Protection or
// SYSTEM\CurrentControlSet\Services\HealthService (case-insensitive);
// PermissionDenied naming the key and the allowed roots otherwise.
[[nodiscard]] absl::Status CheckRegistryKeyAllowed(absl::string_view key);

// For checks, which only read: OK for what CheckRegistryKeyAllowed allows
// and also under SOFTWARE\Microsoft\Windows Defender and the pending-reboot
// keys under SOFTWARE\Microsoft\Windows\CurrentVersion (Component Based
// Servicing, WindowsUpdate); PermissionDenied (naming the writable roots)
// otherwise.
[[nodiscard]] absl::Status CheckRegistryReadAllowed(absl::string_view key);

// OK when `path` is inside the task's work dir or the MDE data folder
// (C:\ProgramData\Microsoft\Windows Defender Advanced Threat Protection).
[[nodiscard]] absl::Status CheckDeletablePath(absl::string_view path,
                                              absl::string_view work_dir);

// OK when `path` is inside the task's work dir (not the work dir itself);
// PermissionDenied naming it otherwise: where extract_zip reads and writes.
[[nodiscard]] absl::Status CheckWorkDirPath(absl::string_view path,
                                            absl::string_view work_dir);

// OK when `path` (an MDEClientAnalyzer result bundle to upload) is inside
// the task's work dir or the MDE data folder; PermissionDenied otherwise.
[[nodiscard]] absl::Status CheckBundlePath(absl::string_view path,
                                           absl::string_view work_dir);

// OK when `file_name` is a name upload accepts (CheckArtifactName in
// common/artifact_validation.h: ASCII letters, digits, "._-" and space, at
// most kMaxArtifactNameLength characters, no reserved device name, no
// trailing dot or space); InvalidArgument saying why otherwise.
[[nodiscard]] absl::Status CheckArtifactFileName(absl::string_view file_name);

// <state dir>\work\<task_id>; InvalidArgument for a task id that is not a
// plain name.
[[nodiscard]] absl::StatusOr<std::string> TaskWorkDirectory(
    absl::string_view state_dir, absl::string_view task_id);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_EXECUTOR_ACTION_POLICY_H_
