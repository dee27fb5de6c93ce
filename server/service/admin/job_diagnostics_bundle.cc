// JobHandlers::GetDiagnosticsBundle: one device's MDEClientAnalyzer result
// bundle, streamed to an operator.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/client_analyzer.h"
#include "common/status_macros.h"
#include "server/service/admin/job_handlers.h"
#include "server/store/diagnostics.h"
#include "server/store/time_util.h"

namespace mdefleet::service {

absl::Status JobHandlers::GetDiagnosticsBundle(
    absl::string_view authorization,
    const v1::GetDiagnosticsBundleRequest& request,
    absl::FunctionRef<bool(const v1::DiagnosticsBundleChunk&)> write) {
  RETURN_IF_ERROR(
      audited_.Authorize(authorization, "GetDiagnosticsBundle").status());
  if (request.device_id().empty()) {
    return absl::InvalidArgumentError(
        "device_id: required (the device whose result bundle to fetch)");
  }
  RETURN_IF_ERROR(ReadJob(request.job_id(), false).status());
  store::DiagnosticsBundle bundle;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(bundle, store::LoadDiagnosticsBundle(db, request.job_id(),
                                                          request.device_id()));
    return absl::OkStatus();
  }));
  const size_t size = bundle.content.size();
  size_t at = 0;
  do {
    v1::DiagnosticsBundleChunk chunk;
    if (at == 0) {
      chunk.set_task_id(bundle.task_id);
      *chunk.mutable_summary() = bundle.summary;
      chunk.set_total_size(size);
      chunk.set_sha256(bundle.sha256);
      store::SetTimestamp(bundle.uploaded_at, chunk.mutable_uploaded_at());
    }
    const size_t n = std::min(client_analyzer::kMaxChunkBytes, size - at);
    chunk.set_data(bundle.content.substr(at, n));
    at += n;
    if (!write(chunk)) {
      return absl::CancelledError("the client went away");
    }
  } while (at < size);
  return absl::OkStatus();
}

}  // namespace mdefleet::service
