// AdminService's artifacts: uploads (validated, content-addressed, audited)
// and the listing.
#ifndef MDEFLEET_SERVER_SERVICE_ADMIN_ARTIFACT_HANDLERS_H_
#define MDEFLEET_SERVER_SERVICE_ADMIN_ARTIFACT_HANDLERS_H_

#include <cstdint>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "mdefleet/v1/admin.pb.h"
#include "server/service/admin/audited.h"
#include "server/store/store.h"

namespace mdefleet::service {

inline constexpr uint64_t kMaxArtifactSize = 512ull << 20;  // 512 MiB

class ArtifactHandlers {
 public:
  ArtifactHandlers(store::Store& store, const Clock& clock, Audited& audited)
      : store_(store), clock_(clock), audited_(audited) {}

  // Reads the stream through `read` (false at its end): a header, then
  // content chunks. Content-addressed: the same bytes again return the stored
  // artifact. A refused upload is audited too.
  [[nodiscard]] absl::StatusOr<v1::Artifact> UploadArtifact(
      absl::string_view authorization,
      absl::FunctionRef<bool(v1::UploadArtifactRequest*)> read);
  [[nodiscard]] absl::StatusOr<v1::ListArtifactsResponse> ListArtifacts(
      absl::string_view authorization, const v1::ListArtifactsRequest& request);

 private:
  // UploadArtifact after Authorize.
  [[nodiscard]] absl::StatusOr<v1::Artifact> UploadAuthorized(
      const auth::Principal& who,
      absl::FunctionRef<bool(v1::UploadArtifactRequest*)> read);

  store::Store& store_;
  const Clock& clock_;
  Audited& audited_;
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_ADMIN_ARTIFACT_HANDLERS_H_
