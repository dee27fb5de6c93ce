#include "runner/host/sim/sim_zip.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/zip/zip_archive.h"
#include "runner/host/windows_path.h"

namespace mdefleet::runner::sim {

absl::Status ExtractSimZip(const SimFiles& files, absl::string_view archive,
                           absl::string_view destination) {
  absl::StatusOr<std::string> content = files.Read(archive);
  if (!content.ok()) return content.status();
  absl::StatusOr<std::vector<zip::ZipEntry>> entries =
      zip::ListEntries(*content);
  if (!entries.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Exception calling \"ExtractToDirectory\": ", archive,
                     ": ", entries.status().message()));
  }
  for (const zip::ZipEntry& entry : *entries) {
    if (!zip::IsContainedEntryName(entry.name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Exception calling \"ExtractToDirectory\": extracting entry \"",
          entry.name, "\" would put the file outside ", destination));
    }
  }
  if (absl::Status s = files.CreateDirectories(destination); !s.ok()) return s;
  for (const zip::ZipEntry& entry : *entries) {
    const std::string relative =
        absl::StrReplaceAll(zip::NormalizeEntryName(entry.name), {{"/", "\\"}});
    const std::string path = JoinWindowsPath(destination, relative);
    if (entry.is_directory) {
      if (absl::Status s = files.CreateDirectories(path); !s.ok()) return s;
      continue;
    }
    absl::StatusOr<bool> exists = files.Exists(path);
    if (!exists.ok()) return exists.status();
    if (*exists) {
      return absl::AlreadyExistsError(
          absl::StrCat("Exception calling \"ExtractToDirectory\": the file \"",
                       path, "\" already exists"));
    }
    absl::StatusOr<std::string> data =
        zip::ReadEntry(*content, entry.name, entry.size);
    if (!data.ok()) return data.status();
    if (absl::Status s = files.CreateDirectories(WindowsDirName(path));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = files.Write(path, *data); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace mdefleet::runner::sim
