// Microsoft's MDEClientAnalyzer as mdefleet runs it (collect_diagnostics):
// the names Microsoft documents, and the bounds of its result bundle. One
// place for the plan, the runner, the simulator and the server.
//
// Sources (MicrosoftDocs/defender-docs, defender-endpoint/):
// - run-analyzer-windows.md: the download is MDEClientAnalyzer.zip; it is
//   run as MDEClientAnalyzer.cmd from the extracted folder; its PowerShell
//   scripts (MDEClientAnalyzer.ps1 named) are Microsoft-signed; the result
//   package is MDEClientAnalyzerResult.zip, holding MDEClientAnalyzer.htm
//   and SystemInfoLogs\MDEClientAnalyzer.xml ("XML format containing the
//   analyzer script findings").
// - data-collection-analyzer.md: "-r indicates that tool is being run from
//   remote (or non-interactive context)"; used with MDEClientAnalyzer.cmd it
//   avoids the prompt; the CMD script checks its privileges with
//   `net session` (the Server service must run).
// - analyzer-report.md: the findings' severities are error, warning and
//   informational; MDEClientAnalyzerResult.zip is what support asks for.
// - troubleshoot-collect-support-log.md: the live-response route leaves the
//   bundle at C:\ProgramData\Microsoft\Windows Defender Advanced Threat
//   Protection\Downloads\MDECA\MDEClientAnalyzerResult.zip.
#ifndef MDEFLEET_COMMON_CLIENT_ANALYZER_H_
#define MDEFLEET_COMMON_CLIENT_ANALYZER_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace mdefleet::client_analyzer {

// The artifact as fetched into the task's work directory, and the folder it
// is extracted to.
inline constexpr absl::string_view kZipFileName = "MDEClientAnalyzer.zip";
inline constexpr absl::string_view kExtractFolder = "MDEClientAnalyzer";
// Entries the upload requires at the ZIP's root (run-analyzer-windows.md).
inline constexpr absl::string_view kCmdName = "MDEClientAnalyzer.cmd";
inline constexpr absl::string_view kPs1Name = "MDEClientAnalyzer.ps1";
// The non-interactive switch (data-collection-analyzer.md).
inline constexpr absl::string_view kNonInteractiveSwitch = "-r";
// The result bundle and the findings inside it (run-analyzer-windows.md).
inline constexpr absl::string_view kResultZipName =
    "MDEClientAnalyzerResult.zip";
inline constexpr absl::string_view kFindingsXmlName = "MDEClientAnalyzer.xml";
inline constexpr absl::string_view kFindingsFolder = "SystemInfoLogs";
// Where the live-response route leaves the bundle
// (troubleshoot-collect-support-log.md); the runner looks there after the
// extracted folder.
inline constexpr absl::string_view kLiveResponseResultPath =
    "C:\\ProgramData\\Microsoft\\Windows Defender Advanced Threat "
    "Protection\\Downloads\\MDECA\\MDEClientAnalyzerResult.zip";

// The collect_diagnostics step that uploads the bundle; `mdefleetctl jobs
// logs --step` with this name fetches the bundle.
inline constexpr absl::string_view kBundleStepName =
    "upload_diagnostics_bundle";

// A result bundle over this is refused (nothing kept). Microsoft's support
// takes up to 25 MB as an attachment (analyzer-report.md); advanced traces
// make more, so the bound leaves room above that.
inline constexpr size_t kMaxBundleBytes = size_t{64} << 20;
// One UploadDiagnosticsChunk's data; under gRPC's default 4 MiB message.
inline constexpr size_t kMaxChunkBytes = size_t{1} << 20;
// The summary kept in Task.diagnostics.
inline constexpr int kMaxFindings = 20;
inline constexpr size_t kMaxFindingText = 200;

}  // namespace mdefleet::client_analyzer

#endif  // MDEFLEET_COMMON_CLIENT_ANALYZER_H_
