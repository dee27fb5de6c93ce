// Upload check of a CLIENT_ANALYZER artifact: Microsoft's
// MDEClientAnalyzer.zip, not any ZIP (common/client_analyzer.h for the
// names and their sources).
#ifndef MDEFLEET_COMMON_ZIP_CLIENT_ANALYZER_ZIP_H_
#define MDEFLEET_COMMON_ZIP_CLIENT_ANALYZER_ZIP_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mdefleet::zip {

// OK when `content` is a ZIP whose root holds MDEClientAnalyzer.cmd and
// MDEClientAnalyzer.ps1 (any case; '\\' or '/' separators) and none of
// whose entries would land outside the folder it is extracted to.
// InvalidArgument naming "content" otherwise; never quotes the content.
[[nodiscard]] absl::Status ValidateClientAnalyzerZip(absl::string_view content);

}  // namespace mdefleet::zip

#endif  // MDEFLEET_COMMON_ZIP_CLIENT_ANALYZER_ZIP_H_
