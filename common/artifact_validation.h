// Upload-time validation of artifacts: the right file for its kind, and the
// expiry of offboarding scripts read from their name.
#ifndef MDEFLEET_COMMON_ARTIFACT_VALIDATION_H_
#define MDEFLEET_COMMON_ARTIFACT_VALIDATION_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "mdefleet/v1/types.pb.h"

namespace mdefleet {

// Longest artifact file name. The runner keeps an offboarding script under
// its uploaded name in the task's work directory and refuses longer names
// there (CheckArtifactFileName in runner/executor/action_policy.h), so that
// the script's path stays within MAX_PATH; a script the runner would refuse
// is refused at upload.
inline constexpr size_t kMaxArtifactNameLength = 200;

// OK when `name` is an artifact file name every part of mdefleet can hand
// to Windows and cmd.exe as it is: 1 to kMaxArtifactNameLength characters
// from a closed set (ASCII letters, digits, '.', '_', '-' and space), not
// starting with a space, not ending with a dot or a space, and not a name
// Windows reserves for a device (CON, PRN, AUX, NUL, COM0-9, LPT0-9, in any
// case, also with an extension: "nul.txt", "Com1.cmd"). InvalidArgument
// naming `field` and saying what is wrong otherwise. Used at upload, by the
// plans that put the name on a command line and by the runner before it
// writes a fetched file.
[[nodiscard]] absl::Status CheckArtifactName(absl::string_view name,
                                             absl::string_view field = "name");

struct ValidatedArtifact {
  bool secret = false;                        // onboarding scripts
  std::optional<absl::CivilDay> valid_until;  // offboarding scripts
};

// Checks content against kind: an onboarding script must contain the
// OnboardingInfo marker, an offboarding script the
// 696C1FA1-4030-4FA4-8713-FAF9B2EA7C0A marker and a
// "_valid_until_YYYY-MM-DD" name that is not already past `today`; Install.ps1
// must look like a PowerShell script; md4ws.msi must be an OLE compound file;
// a URL list must hold https:// URLs only (common/url_list.h, line named);
// a client analyzer must start as a ZIP does (its entries are checked by
// the server: ValidateClientAnalyzerZip in common/zip/client_analyzer_zip.h).
// InvalidArgument naming the field ("content", "name", "kind") otherwise.
// Never quotes the content in an error (scripts are secrets).
[[nodiscard]] absl::StatusOr<ValidatedArtifact> ValidateArtifact(
    v1::ArtifactKind kind, absl::string_view name, absl::string_view content,
    absl::CivilDay today);

// Whether a .cmd script has a line that is only "pause" (any case), as
// upstream Install.ps1 looks for (`-imatch '^pause$'`): the interactive
// "Local Script" package, which waits for a key press. Install.ps1 exits 37
// on one; upload refuses one.
bool WaitsForKeyPress(absl::string_view content);

// The date from "..._valid_until_YYYY-MM-DD.cmd" (also accepts YYYYMMDD).
[[nodiscard]] absl::StatusOr<absl::CivilDay> ParseValidUntil(
    absl::string_view name);

// FailedPrecondition "offboarding script expired on YYYY-MM-DD; download a new
// offboarding package" when valid_until < today.
[[nodiscard]] absl::Status CheckNotExpired(absl::CivilDay valid_until,
                                           absl::CivilDay today);

// "onboarding_script", ... and back (also accepts the enum name).
std::string ArtifactKindName(v1::ArtifactKind kind);
[[nodiscard]] absl::StatusOr<v1::ArtifactKind> ParseArtifactKind(
    absl::string_view name);

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_ARTIFACT_VALIDATION_H_
