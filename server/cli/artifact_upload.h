// Streaming a local file to AdminService.UploadArtifact.
#ifndef MDEFLEET_SERVER_CLI_ARTIFACT_UPLOAD_H_
#define MDEFLEET_SERVER_CLI_ARTIFACT_UPLOAD_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "mdefleet/v1/types.pb.h"
#include "server/cli/connection.h"

namespace mdefleet::cli {

inline constexpr size_t kUploadChunkBytes = 64 * 1024;

// Uploads `path` as an artifact of `kind` named `name` (the file's base name
// when empty): the header first, then the content in 64 KiB chunks. The
// server validates the content (and for offboarding scripts the expiry in
// the name) and answers with the stored artifact. An unreadable file is
// NotFound naming it; server refusals come back through Connection::Check.
[[nodiscard]] absl::StatusOr<v1::Artifact> UploadArtifactFile(
    const Connection& connection, const std::string& path,
    v1::ArtifactKind kind, const std::string& name);

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_ARTIFACT_UPLOAD_H_
