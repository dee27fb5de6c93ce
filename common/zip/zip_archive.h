// Reading and writing ZIP archives in memory, through libzip (Debian's
// libzip-dev). Linux only: the server checks uploads and result bundles, the
// simulated host extracts and writes them. The Windows runner links no ZIP
// library (it extracts with .NET's ZipFile from PowerShell).
#ifndef MDEFLEET_COMMON_ZIP_ZIP_ARCHIVE_H_
#define MDEFLEET_COMMON_ZIP_ZIP_ARCHIVE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mdefleet::zip {

struct ZipEntry {
  std::string name;   // as stored; Windows tools may write '\\' separators
  uint64_t size = 0;  // uncompressed, as the central directory says
  bool is_directory = false;
};

// Entries allowed in one archive; more is refused as not what we expect.
inline constexpr size_t kMaxEntries = 20000;

// `name` with '\\' turned into '/': the one form names are compared in.
std::string NormalizeEntryName(absl::string_view name);

// Whether `name` would stay inside the folder it is extracted to: not
// empty, not absolute ('/' or '\\' first, or a drive letter), no ".."
// component.
bool IsContainedEntryName(absl::string_view name);

// The entries of the ZIP `content`. InvalidArgument (libzip's reason) when
// it is not a consistent ZIP archive or has more than kMaxEntries entries.
[[nodiscard]] absl::StatusOr<std::vector<ZipEntry>> ListEntries(
    absl::string_view content);

// The uncompressed bytes of entry `name` (compared after
// NormalizeEntryName, case-insensitively). NotFound when absent;
// OutOfRange when it is larger than `max_bytes` (read nothing then);
// InvalidArgument when the archive or the entry's data is damaged.
[[nodiscard]] absl::StatusOr<std::string> ReadEntry(absl::string_view content,
                                                    absl::string_view name,
                                                    size_t max_bytes);

// A ZIP (deflated entries) holding `files` (name, content) in order.
[[nodiscard]] absl::StatusOr<std::string> WriteArchive(
    const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace mdefleet::zip

#endif  // MDEFLEET_COMMON_ZIP_ZIP_ARCHIVE_H_
