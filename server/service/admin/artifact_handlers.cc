// ArtifactHandlers::UploadArtifact: a client stream of header + chunks,
// validated and stored content-addressed.
#include "server/service/admin/artifact_handlers.h"

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "common/artifact_validation.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "common/zip/client_analyzer_zip.h"
#include "server/auth/access_policy.h"
#include "server/service/log.h"
#include "server/store/artifacts.h"
#include "server/store/audit.h"
#include "server/store/time_util.h"

namespace mdefleet::service {

absl::StatusOr<v1::Artifact> ArtifactHandlers::UploadArtifact(
    absl::string_view authorization,
    absl::FunctionRef<bool(v1::UploadArtifactRequest*)> read) {
  ASSIGN_OR_RETURN(const auth::Principal who,
                   audited_.Authorize(authorization, "UploadArtifact"));
  absl::StatusOr<v1::Artifact> uploaded = UploadAuthorized(who, read);
  if (!uploaded.ok()) {
    return audited_.AuditFailure(who, "UploadArtifact", "", uploaded.status());
  }
  return uploaded;
}

absl::StatusOr<v1::Artifact> ArtifactHandlers::UploadAuthorized(
    const auth::Principal& who,
    absl::FunctionRef<bool(v1::UploadArtifactRequest*)> read) {
  v1::UploadArtifactRequest message;
  if (!read(&message) || !message.has_header()) {
    return absl::InvalidArgumentError(
        "header: the first message must carry the artifact header");
  }
  const v1::UploadArtifactRequest::Header header = message.header();
  if (header.kind() == v1::ARTIFACT_KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError("header.kind: required");
  }
  if (header.name().empty()) {
    return absl::InvalidArgumentError("header.name: required");
  }
  std::string content;
  Sha256 hash;
  while (read(&message)) {
    if (message.has_header()) {
      return absl::InvalidArgumentError("header: sent twice");
    }
    if (content.size() + message.chunk().size() > kMaxArtifactSize) {
      return absl::InvalidArgumentError(
          "content: larger than the 512 MiB artifact limit");
    }
    hash.Update(message.chunk());
    content.append(message.chunk());
  }
  const absl::CivilDay today =
      absl::ToCivilDay(clock_.Now(), absl::UTCTimeZone());
  ASSIGN_OR_RETURN(
      ValidatedArtifact validated,
      ValidateArtifact(header.kind(), header.name(), content, today));
  if (header.kind() == v1::ARTIFACT_KIND_CLIENT_ANALYZER) {
    RETURN_IF_ERROR(zip::ValidateClientAnalyzerZip(content));
  }
  v1::Artifact artifact;
  artifact.set_id(hash.FinishHex());
  artifact.set_kind(header.kind());
  artifact.set_name(header.name());
  artifact.set_size(content.size());
  artifact.set_secret(validated.secret);
  if (validated.valid_until) {
    artifact.set_valid_until(absl::FormatCivilTime(*validated.valid_until));
  }
  store::SetTimestamp(store::ToMicros(clock_.Now()),
                      artifact.mutable_uploaded_at());
  std::optional<v1::Artifact> existing;
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(existing, store::GetArtifact(db, artifact.id()));
    if (existing) {
      if (existing->kind() != artifact.kind()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "content: identical to artifact ", existing->id(),
            " already uploaded as ", ArtifactKindName(existing->kind())));
      }
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(store::InsertArtifact(db, artifact, content));
    return store::AppendAudit(
        db, {.at = store::ToMicros(clock_.Now()),
             .actor = who.name,
             .action = std::string(store::kAuditUploadArtifact),
             .target = artifact.id(),
             .outcome = std::string(store::kAuditOk),
             .detail =
                 absl::StrCat(ArtifactKindName(artifact.kind()), " ",
                              artifact.name(), ", ", artifact.size(), " bytes"),
             .role = std::string(auth::RoleName(who.role))});
  }));
  if (existing) return *existing;
  LogEvent(absl::StrCat("artifact ", artifact.id(),
                        " uploaded: ", ArtifactKindName(artifact.kind()), " ",
                        artifact.name(), ", ", artifact.size(), " bytes"));
  return artifact;
}

absl::StatusOr<v1::ListArtifactsResponse> ArtifactHandlers::ListArtifacts(
    absl::string_view authorization, const v1::ListArtifactsRequest& request) {
  RETURN_IF_ERROR(audited_.Authorize(authorization, "ListArtifacts").status());
  std::vector<v1::Artifact> artifacts;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(artifacts, store::ListArtifacts(db, request.kind()));
    return absl::OkStatus();
  }));
  v1::ListArtifactsResponse response;
  for (v1::Artifact& a : artifacts) *response.add_artifacts() = std::move(a);
  return response;
}

}  // namespace mdefleet::service
