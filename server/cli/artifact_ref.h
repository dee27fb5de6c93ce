// Artifact flags of `jobs submit` (--onboarding-script, --installer, ...):
// the value is either a file to upload first or an existing artifact id.
#ifndef MDEFLEET_SERVER_CLI_ARTIFACT_REF_H_
#define MDEFLEET_SERVER_CLI_ARTIFACT_REF_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/types.pb.h"

namespace mdefleet::cli {

// Uploads the file at `path` as an artifact of `kind`.
using ArtifactUploader = std::function<absl::StatusOr<v1::Artifact>(
    const std::string& path, v1::ArtifactKind kind)>;

// True for a 64-character hex SHA-256 (either case).
bool IsArtifactId(absl::string_view text);

// Resolves the value of `flag`: an existing regular file is uploaded with
// `upload` (kind implied by the flag) and the new artifact's id returned;
// otherwise the value must be a 64-hex artifact id (returned in lower case).
// A directory, a missing file or anything else is a usage error naming
// `flag`. Errors from `upload` pass through.
[[nodiscard]] absl::StatusOr<std::string> ResolveArtifactRef(
    absl::string_view flag, const std::string& value, v1::ArtifactKind kind,
    const ArtifactUploader& upload);

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_ARTIFACT_REF_H_
