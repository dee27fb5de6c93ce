#include "common/zip/client_analyzer_zip.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/client_analyzer.h"
#include "common/zip/zip_archive.h"

namespace mdefleet::zip {

absl::Status ValidateClientAnalyzerZip(absl::string_view content) {
  absl::StatusOr<std::vector<ZipEntry>> entries = ListEntries(content);
  if (!entries.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("content: ", entries.status().message(),
                     "; upload Microsoft's MDEClientAnalyzer.zip as "
                     "downloaded"));
  }
  bool has_cmd = false;
  bool has_ps1 = false;
  for (const ZipEntry& entry : *entries) {
    if (!IsContainedEntryName(entry.name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "content: the ZIP has an entry that would be extracted outside "
          "its folder (absolute or with \"..\"); not Microsoft's "
          "MDEClientAnalyzer.zip"));
    }
    const std::string name = NormalizeEntryName(entry.name);
    has_cmd =
        has_cmd || absl::EqualsIgnoreCase(name, client_analyzer::kCmdName);
    has_ps1 =
        has_ps1 || absl::EqualsIgnoreCase(name, client_analyzer::kPs1Name);
  }
  if (!has_cmd || !has_ps1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "content: not Microsoft's MDEClientAnalyzer.zip: no ",
        !has_cmd ? client_analyzer::kCmdName : client_analyzer::kPs1Name,
        " at the ZIP's root (the analyzer is run as MDEClientAnalyzer.cmd "
        "from the extracted folder); download it again from "
        "https://aka.ms/MDEAnalyzer"));
  }
  return absl::OkStatus();
}

}  // namespace mdefleet::zip
