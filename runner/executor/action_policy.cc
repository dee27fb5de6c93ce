#include "runner/executor/action_policy.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/artifact_validation.h"
#include "common/mde_constants.h"
#include "runner/host/windows_path.h"

namespace mdefleet::runner {
namespace {

struct ProgramEntry {
  v1::Program program;
  absl::string_view path;
};

constexpr ProgramEntry kPrograms[] = {
    {v1::PROGRAM_POWERSHELL,
     "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\PowerShell.exe"},
    {v1::PROGRAM_CMD_SCRIPT, "C:\\Windows\\System32\\cmd.exe"},
    {v1::PROGRAM_MSIEXEC, "C:\\Windows\\System32\\msiexec.exe"},
    {v1::PROGRAM_SC, "C:\\Windows\\System32\\sc.exe"},
    {v1::PROGRAM_NETSH, "C:\\Windows\\System32\\netsh.exe"},
    {v1::PROGRAM_MPCMDRUN, "C:\\Program Files\\Windows Defender\\MpCmdRun.exe"},
};

// Allowed registry roots. A root ending in '\\' is a prefix; otherwise the
// key must equal it or continue with '\\'.
constexpr absl::string_view kRegistryRoots[] = {
    "SOFTWARE\\Policies\\Microsoft\\",
    "SOFTWARE\\Microsoft\\Windows Advanced Threat Protection",
    "SYSTEM\\CurrentControlSet\\Services\\HealthService",
};

// Keys checks may also read (never write): Defender Antivirus' own state
// (running mode, tamper protection, cloud protection) and the pending-reboot
// markers health_check reports.
constexpr absl::string_view kReadOnlyRegistryRoots[] = {
    "SOFTWARE\\Microsoft\\Windows Defender",
    "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing",
    "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate",
};

constexpr absl::string_view kMdeDataDirectory =
    "C:\\ProgramData\\Microsoft\\Windows Defender Advanced Threat Protection";

bool IsPlainName(absl::string_view name) {
  if (name.empty() || name == "." || name == ".." ||
      name.size() > kMaxArtifactNameLength) {
    return false;
  }
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20) return false;
    if (absl::string_view("\\/:*?\"<>|").find(c) != absl::string_view::npos) {
      return false;
    }
  }
  return true;
}

// The script a PowerShell/cmd action runs must be a fetched artifact.
[[nodiscard]] absl::Status CheckScriptInWorkDir(absl::string_view script,
                                                absl::string_view work_dir,
                                                absl::string_view program) {
  if (!IsWithinWindowsDirectory(script, work_dir) ||
      SameWindowsPath(script, work_dir)) {
    return absl::PermissionDeniedError(absl::StrCat(
        program,
        " may only run a script fetched into the task's work "
        "directory (",
        work_dir, "), not \"", script, "\"; refused, nothing run"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ProgramPath(v1::Program program) {
  for (const auto& p : kPrograms) {
    if (p.program == program) return std::string(p.path);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("program ",
                   v1::Program_Name(program).empty()
                       ? absl::StrCat(static_cast<int>(program))
                       : v1::Program_Name(program),
                   " is not on the runner's allow-list; refused, nothing run"));
}

std::string ExpandWorkDir(absl::string_view text, absl::string_view work_dir) {
  return absl::StrReplaceAll(text, {{kWorkDirVariable, work_dir}});
}

absl::StatusOr<ProcessRequest> BuildProcessRequest(
    const v1::RunProcessAction& action, absl::string_view work_dir) {
  auto path = ProgramPath(action.program());
  if (!path.ok()) return path.status();
  ProcessRequest req;
  req.program = *path;
  req.working_directory = std::string(work_dir);
  req.timeout = absl::Minutes(30);
  if (action.has_timeout()) {
    const absl::Duration t = absl::Seconds(action.timeout().seconds()) +
                             absl::Nanoseconds(action.timeout().nanos());
    if (t > absl::ZeroDuration()) req.timeout = t;
  }
  std::vector<std::string> args;
  for (const auto& a : action.args())
    args.push_back(ExpandWorkDir(a, work_dir));
  switch (action.program()) {
    case v1::PROGRAM_POWERSHELL: {
      if (args.empty()) {
        return absl::InvalidArgumentError(
            "PowerShell needs the script to run as its first argument");
      }
      if (absl::Status s =
              CheckScriptInWorkDir(args[0], work_dir, "PowerShell");
          !s.ok()) {
        return s;
      }
      req.args = {"-NoProfile", "-NonInteractive", "-ExecutionPolicy",
                  "RemoteSigned", "-File"};
      break;
    }
    case v1::PROGRAM_CMD_SCRIPT: {
      if (args.empty()) {
        return absl::InvalidArgumentError(
            "cmd.exe needs the script to run as its first argument");
      }
      for (size_t i = 1; i < args.size(); ++i) {
        const std::string& sw = args[i];
        if (sw.size() != 2 || sw[0] != '-' ||
            !absl::ascii_isalpha(static_cast<unsigned char>(sw[1]))) {
          return absl::InvalidArgumentError(absl::StrCat(
              "cmd.exe: argument \"", sw,
              "\" after the script is not a single-letter switch (-r); "
              "refused, nothing run"));
        }
      }
      if (absl::Status s = CheckScriptInWorkDir(args[0], work_dir, "cmd.exe");
          !s.ok()) {
        return s;
      }
      req.args = {"/c"};
      break;
    }
    default:
      break;
  }
  req.args.insert(req.args.end(), args.begin(), args.end());
  return req;
}

namespace {

bool WellFormedKey(absl::string_view key) {
  return !key.empty() && !absl::StrContains(key, "\\\\") &&
         !absl::StartsWith(key, "\\") && !absl::EndsWith(key, "\\") &&
         !absl::StrContains(key, "/");
}

// Whether `key` is under one of `roots`: a root ending in '\\' is a prefix;
// otherwise the key equals it or continues with '\\'.
template <size_t N>
bool UnderRoots(absl::string_view key, const absl::string_view (&roots)[N]) {
  if (!WellFormedKey(key)) return false;
  for (absl::string_view root : roots) {
    if (absl::EndsWith(root, "\\")) {
      if (key.size() > root.size() && absl::StartsWithIgnoreCase(key, root)) {
        return true;
      }
    } else if (absl::EqualsIgnoreCase(key, root) ||
               (key.size() > root.size() &&
                absl::StartsWithIgnoreCase(key, root) &&
                key[root.size()] == '\\')) {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::Status CheckRegistryReadAllowed(absl::string_view key) {
  if (UnderRoots(key, kReadOnlyRegistryRoots)) return absl::OkStatus();
  return CheckRegistryKeyAllowed(key);
}

absl::Status CheckRegistryKeyAllowed(absl::string_view key) {
  if (UnderRoots(key, kRegistryRoots)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("registry key \"HKLM\\", key,
                   "\" is outside the runner's allowed roots (HKLM\\",
                   absl::StrJoin(kRegistryRoots, ", HKLM\\"),
                   "); refused, nothing changed"));
}

absl::Status CheckWorkDirPath(absl::string_view path,
                              absl::string_view work_dir) {
  if (IsWithinWindowsDirectory(path, work_dir) &&
      !SameWindowsPath(path, work_dir)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("\"", path, "\" is outside the task's work directory (",
                   work_dir, "); refused, nothing changed"));
}

namespace {

// Inside the task's work directory, or in a folder under the MDE data
// folder (not the folder itself).
bool InWorkDirOrUnderMdeData(absl::string_view path,
                             absl::string_view work_dir) {
  return IsWithinWindowsDirectory(path, work_dir) ||
         (IsWithinWindowsDirectory(path, kMdeDataDirectory) &&
          !SameWindowsPath(path, kMdeDataDirectory));
}

}  // namespace

absl::Status CheckBundlePath(absl::string_view path,
                             absl::string_view work_dir) {
  if (InWorkDirOrUnderMdeData(path, work_dir)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("\"", path,
                   "\" is outside the task's work directory and the MDE data "
                   "folder; refused, nothing sent"));
}

absl::Status CheckDeletablePath(absl::string_view path,
                                absl::string_view work_dir) {
  if (InWorkDirOrUnderMdeData(path, work_dir)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("path \"", path,
                   "\" is outside what the runner may delete (the task's "
                   "work directory and folders under ",
                   kMdeDataDirectory, "); refused, nothing deleted"));
}

absl::Status CheckArtifactFileName(absl::string_view file_name) {
  // The same closed set the server enforces at upload: the name ends up on
  // a cmd.exe or PowerShell command line, so whoever answers in the
  // server's place must not be able to smuggle anything through it.
  absl::Status checked = CheckArtifactName(file_name, "artifact file name");
  if (checked.ok()) return checked;
  return absl::InvalidArgumentError(
      absl::StrCat(checked.message(), "; refused, nothing fetched"));
}

absl::StatusOr<std::string> TaskWorkDirectory(absl::string_view state_dir,
                                              absl::string_view task_id) {
  if (!IsPlainName(task_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("task id \"", task_id, "\" is not a plain name"));
  }
  return JoinWindowsPath(JoinWindowsPath(state_dir, "work"), task_id);
}

}  // namespace mdefleet::runner
