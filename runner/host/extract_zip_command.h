// How the Windows host extracts a ZIP without a ZIP library of its own:
// PowerShell with .NET's System.IO.Compression.ZipFile (.NET 4.5, present
// with PowerShell 4 on Windows Server 2012 R2; Expand-Archive needs
// PowerShell 5). Portable, so the command line is tested on Linux too.
#ifndef MDEFLEET_RUNNER_HOST_EXTRACT_ZIP_COMMAND_H_
#define MDEFLEET_RUNNER_HOST_EXTRACT_ZIP_COMMAND_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runner/host/host.h"

namespace mdefleet::runner {

inline constexpr absl::string_view kWindowsPowerShellPath =
    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\PowerShell.exe";

// PowerShell.exe -NoProfile -NonInteractive -Command "<script>" where the
// script stops on the first error (exit 1 with the exception on stderr)
// and calls ZipFile::ExtractToDirectory(archive, destination), which
// creates the destination, refuses entries outside it and does not
// overwrite files. Both paths are PowerShell single-quoted literals.
// InvalidArgument for a path with a control character or a quote character
// PowerShell treats as a single quote (U+2018..U+201B) or a double quote.
[[nodiscard]] absl::StatusOr<ProcessRequest> ExtractZipRequest(
    absl::string_view archive, absl::string_view destination);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_HOST_EXTRACT_ZIP_COMMAND_H_
