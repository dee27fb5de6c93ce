// The findings of an MDEClientAnalyzer result bundle, for Task.diagnostics.
//
// Microsoft documents that MDEClientAnalyzerResult.zip holds
// SystemInfoLogs\MDEClientAnalyzer.xml, "XML format containing the analyzer
// script findings" (run-analyzer-windows.md), and that the findings are
// errors, warnings and informational (analyzer-report.md). It does not
// document the XML's schema: the layout read here, <MDEResults><events>
// <event id="..."> with <severity>, <category>, <check>, <checkresult> and
// <guidance> children, is the one the analyzer writes and that scripts
// reading its results rely on. A bundle laid out otherwise yields a summary
// whose note says the findings could not be read, never a failure.
#ifndef MDEFLEET_COMMON_ZIP_ANALYZER_FINDINGS_H_
#define MDEFLEET_COMMON_ZIP_ANALYZER_FINDINGS_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/types.pb.h"

namespace mdefleet::zip {

// The findings XML is read up to this size.
inline constexpr size_t kMaxFindingsXmlBytes = size_t{8} << 20;

// Counts every <event>'s severity (Error, Warning, Informational; any case)
// and keeps the errors, then the warnings, at most
// client_analyzer::kMaxFindings, each text with markup removed, whitespace
// folded, control characters dropped and cut to kMaxFindingText bytes (on a
// UTF-8 boundary). InvalidArgument (with the line) for XML that is not
// well-formed or has no <MDEResults> root.
[[nodiscard]] absl::StatusOr<v1::DiagnosticsSummary> ParseAnalyzerFindings(
    absl::string_view xml);

// The summary of the result bundle `bundle`: InvalidArgument when it is not
// a ZIP; otherwise the findings of its SystemInfoLogs\MDEClientAnalyzer.xml
// (or an MDEClientAnalyzer.xml anywhere when not there), or a summary whose
// note says why they could not be read. bundle_size is set.
[[nodiscard]] absl::StatusOr<v1::DiagnosticsSummary> SummarizeResultBundle(
    absl::string_view bundle);

}  // namespace mdefleet::zip

#endif  // MDEFLEET_COMMON_ZIP_ANALYZER_FINDINGS_H_
