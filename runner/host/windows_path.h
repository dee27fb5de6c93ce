// Windows path helpers that work on any platform (pure string functions).
#ifndef MDEFLEET_RUNNER_HOST_WINDOWS_PATH_H_
#define MDEFLEET_RUNNER_HOST_WINDOWS_PATH_H_

#include <string>

#include "absl/strings/string_view.h"

namespace mdefleet::runner {

// `dir` + "\\" + `name`, without doubling separators.
std::string JoinWindowsPath(absl::string_view dir, absl::string_view name);

// "/" turned into "\\", repeated separators collapsed, trailing separator
// removed (except after a drive root "C:\\").
std::string NormalizeWindowsPath(absl::string_view path);

// Last component of `path` ("Install.ps1" for "C:\\w\\Install.ps1").
std::string WindowsBaseName(absl::string_view path);

// Everything before the last component ("C:\\w" for "C:\\w\\Install.ps1").
std::string WindowsDirName(absl::string_view path);

// Whether normalized `path` is `dir` itself or inside it (case-insensitive,
// component-wise, and never through a ".." component).
bool IsWithinWindowsDirectory(absl::string_view path, absl::string_view dir);

// Whether two Windows paths name the same file (case-insensitive).
bool SameWindowsPath(absl::string_view a, absl::string_view b);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_HOST_WINDOWS_PATH_H_
