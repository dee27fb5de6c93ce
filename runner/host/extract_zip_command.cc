#include "runner/host/extract_zip_command.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "runner/host/windows_path.h"

namespace mdefleet::runner {
namespace {

[[nodiscard]] absl::StatusOr<std::string> Literal(absl::string_view path,
                                                  absl::string_view field) {
  for (char c : path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '"') {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": \"", path,
                       "\" has a character a command line cannot "
                       "carry"));
    }
  }
  // U+2018..U+201B are single quotes to PowerShell too (E2 80 98..9B).
  for (absl::string_view quote :
       {"\xE2\x80\x98", "\xE2\x80\x99", "\xE2\x80\x9A", "\xE2\x80\x9B"}) {
    if (absl::StrContains(path, quote)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": \"", path, "\" has a typographic quote"));
    }
  }
  return absl::StrCat("'", absl::StrReplaceAll(path, {{"'", "''"}}), "'");
}

}  // namespace

absl::StatusOr<ProcessRequest> ExtractZipRequest(
    absl::string_view archive, absl::string_view destination) {
  absl::StatusOr<std::string> from = Literal(archive, "archive");
  if (!from.ok()) return from.status();
  absl::StatusOr<std::string> to = Literal(destination, "destination");
  if (!to.ok()) return to.status();
  ProcessRequest request;
  request.program = std::string(kWindowsPowerShellPath);
  request.args = {
      "-NoProfile", "-NonInteractive", "-Command",
      absl::StrCat("$ErrorActionPreference = 'Stop'; "
                   "Add-Type -AssemblyName System.IO.Compression.FileSystem; "
                   "[System.IO.Compression.ZipFile]::ExtractToDirectory(",
                   *from, ", ", *to, ")")};
  request.timeout = absl::Minutes(10);
  request.working_directory = WindowsDirName(archive);
  return request;
}

}  // namespace mdefleet::runner
