// The end of a log a failed program left behind (Install.ps1's MSI log after
// msiexec 1603), for the step message: the operator sees why without
// logging on to the server.
#ifndef MDEFLEET_RUNNER_EXECUTOR_FAILURE_LOG_H_
#define MDEFLEET_RUNNER_EXECUTOR_FAILURE_LOG_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "mdefleet/v1/plan.pb.h"
#include "runner/host/host.h"

namespace mdefleet::runner {

// Whether file `name` matches `pattern`, where each "*" matches a run of one
// or more characters other than '.' (case-insensitive, as Windows names
// are): "install-*.log", "InstallPS1-*.*.log".
bool MatchesLogPattern(absl::string_view name, absl::string_view pattern);

// `bytes` as UTF-8 text: UTF-16LE (a BOM, or NULs in every other byte, as
// Windows Installer may write its log) is converted; other text is kept.
std::string DecodeLogText(absl::string_view bytes);

// The lines that explain a Windows Installer failure: up to `max_lines`
// ending with the last "Return value 3" (the action that failed), else the
// last `max_lines`; empty lines dropped, joined with " | ", at most
// `max_bytes` (the end kept).
std::string LogExcerpt(absl::string_view text, int max_lines, size_t max_bytes);

// For a program that exited `exit_code`: "<file>: <excerpt>" of the first of
// `logs` that lists the code and has a matching file in `work_dir`, or
// nullopt (no log applies, none was written, or it cannot be read: the
// reason is in the text then). A path outside `work_dir` is refused.
std::optional<std::string> ReadFailureLog(
    Host& host, const google::protobuf::RepeatedPtrField<v1::FailureLog>& logs,
    absl::string_view work_dir, int exit_code);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_EXECUTOR_FAILURE_LOG_H_
