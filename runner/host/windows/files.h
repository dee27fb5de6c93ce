// The file half of WindowsHost: whole-file reads, atomic replacement,
// directory trees, recursive deletion that never follows a junction or
// symbolic link out of the tree, and the runner's protected state directory.
// Paths are absolute Windows paths ("C:\\x", "\\\\server\\share\\x"); they are
// canonicalised and given to Windows with the \\?\ prefix, so paths longer
// than MAX_PATH work.
#ifndef MDEFLEET_RUNNER_HOST_WINDOWS_FILES_H_
#define MDEFLEET_RUNNER_HOST_WINDOWS_FILES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mdefleet::runner::win {

// The state directory's security descriptor: a protected DACL (nothing
// inherited from the parent) giving full control to SYSTEM and
// BUILTIN\Administrators only, inherited by everything created inside.
inline constexpr wchar_t kStateDirectorySddl[] =
    L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)";

// Whether `path` is "X:\..." or "\\server\share...".
bool IsAbsoluteWindowsPath(absl::string_view path);

// `path` made absolute and canonical ("." and ".." resolved, "/" as "\\")
// with the \\?\ (or \\?\UNC\) prefix. InvalidArgument for a relative path, a
// device path (\\.\) or a NUL inside.
[[nodiscard]] absl::StatusOr<std::wstring> ToExtendedPath(
    absl::string_view path);

// The whole content of file `path`. NotFound when it does not exist,
// FailedPrecondition when it is a directory.
[[nodiscard]] absl::StatusOr<std::string> ReadWholeFile(absl::string_view path);

// Replaces file `path` with `content`: writes a temporary file in the same
// directory, flushes it, and renames it over `path` with
// MoveFileExW(MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH), so a crash
// leaves the old or the new content. Windows cannot rename over a file that
// is open, so a target held open (a scanner, a reader) is retried for about a
// second, then the error names it; the old content stays and the temporary
// file is removed. NotFound when the directory does not exist.
[[nodiscard]] absl::Status WriteFileAtomically(absl::string_view path,
                                               absl::string_view content);

// Creates directory `path` and its missing parents; existing is success.
// FailedPrecondition when a component exists as a file.
[[nodiscard]] absl::Status CreateDirectoryTree(absl::string_view path);

// Deletes everything inside directory `path`, keeping it. Links inside
// (junctions, symbolic links) are removed, never followed. Absent: success.
// FailedPrecondition when `path` is a file or itself a link. Entries that
// cannot be deleted (e.g. files in use) do not stop the others; the error
// counts them and names the first. A drive or share root is
// InvalidArgument.
[[nodiscard]] absl::Status EmptyDirectory(absl::string_view path);

// Deletes file or directory `path` with everything inside (links are removed,
// not followed). Absent: success. A drive or share root is InvalidArgument.
[[nodiscard]] absl::Status DeletePathTree(absl::string_view path);

// Whether a file or directory exists at `path`.
[[nodiscard]] absl::StatusOr<bool> PathExists(absl::string_view path);

// Sorted names of the entries directly inside directory `path` (UTF-8).
// Absent directory: empty.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ListDirectoryNames(
    absl::string_view path);

// Creates directory `path` (and its parents) with kStateDirectorySddl. When
// it already exists, the protected DACL is applied again (and inherited by
// what is inside), so a directory made earlier with looser rights is fixed.
// FailedPrecondition when it exists as a file or a link.
[[nodiscard]] absl::Status CreateProtectedDirectory(absl::string_view path);

}  // namespace mdefleet::runner::win

#endif  // MDEFLEET_RUNNER_HOST_WINDOWS_FILES_H_
