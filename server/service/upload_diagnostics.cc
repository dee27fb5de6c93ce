// RunnerHandlers::UploadDiagnosticsChunk: an MDEClientAnalyzer result bundle
// (collect_diagnostics) arrives in chunks, is checked whole at the last one
// and kept with its findings.
#include <string>

#include "absl/strings/str_cat.h"
#include "common/client_analyzer.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "common/zip/analyzer_findings.h"
#include "server/service/runner_handlers.h"
#include "server/store/devices.h"
#include "server/store/diagnostics.h"
#include "server/store/time_util.h"

namespace mdefleet::service {
namespace {

namespace ca = client_analyzer;

// The bounds every chunk is held to before anything is stored.
[[nodiscard]] absl::Status CheckChunk(
    const v1::UploadDiagnosticsChunkRequest& request) {
  if (request.total_size() == 0) {
    return absl::InvalidArgumentError(
        "total_size: 0; an empty file is not a result bundle");
  }
  if (request.total_size() > ca::kMaxBundleBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "total_size: the bundle is ", request.total_size(), " bytes, over the ",
        ca::kMaxBundleBytes >> 20,
        " MiB bound for an MDEClientAnalyzer result; nothing kept (run the "
        "analyzer without advanced traces, or fetch the bundle from the "
        "device)"));
  }
  if (request.data().empty()) {
    return absl::InvalidArgumentError("data: empty chunk");
  }
  if (request.data().size() > ca::kMaxChunkBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("data: ", request.data().size(), " bytes, over the ",
                     ca::kMaxChunkBytes, " a chunk may carry"));
  }
  if (request.offset() > request.total_size() ||
      request.data().size() > request.total_size() - request.offset()) {
    return absl::InvalidArgumentError(
        absl::StrCat("offset: ", request.offset(), " + ", request.data().size(),
                     " bytes runs past total_size ", request.total_size()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::UploadDiagnosticsChunkResponse>
RunnerHandlers::UploadDiagnosticsChunk(
    absl::string_view authorization,
    const v1::UploadDiagnosticsChunkRequest& request,
    const PeerIdentity& peer) {
  ASSIGN_OR_RETURN(std::string device_id,
                   AuthenticateDevice(authorization, peer));
  RETURN_IF_ERROR(CheckChunk(request));
  const int64_t now = store::ToMicros(clock_.Now());
  const auto attempt = static_cast<int64_t>(request.attempt());
  const auto idx = static_cast<int64_t>(request.step_index());
  v1::UploadDiagnosticsChunkResponse response;
  uint64_t received = 0;
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(
        received, store::AppendDiagnosticsChunk(db, device_id, request, now));
    return store::RefreshDevice(db, device_id, nullptr, now);
  }));
  response.set_received(received);
  if (received < request.total_size()) return response;

  // The whole bundle is checked outside any write transaction: hashing and
  // opening up to 64 MiB must not hold up every other runner's reports.
  std::string bundle;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(bundle, store::LoadDiagnosticsUpload(db, request.task_id(),
                                                          attempt, idx));
    return absl::OkStatus();
  }));
  Sha256 hash;
  hash.Update(bundle);
  const std::string sha256 = hash.FinishHex();
  absl::Status refused;
  absl::StatusOr<v1::DiagnosticsSummary> summary;
  if (request.sha256().empty()) {
    refused = absl::InvalidArgumentError(
        "sha256: required with the last chunk; nothing kept, send the "
        "bundle again from offset 0");
  } else if (bundle.size() == request.total_size() &&
             request.sha256() != sha256) {
    refused = absl::InvalidArgumentError(absl::StrCat(
        "sha256: the bundle received hashes to ", sha256, ", not ",
        request.sha256(), "; nothing kept, send it again from offset 0"));
  } else if (bundle.size() == request.total_size()) {
    summary = zip::SummarizeResultBundle(bundle);
    if (!summary.ok()) {
      refused = absl::InvalidArgumentError(
          absl::StrCat("data: the bundle is not MDEClientAnalyzerResult.zip (",
                       summary.status().message(), "); nothing kept"));
    }
  }
  absl::Status outcome;
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
    RETURN_IF_ERROR(store::CheckDiagnosticsLease(
        db, device_id, request, store::ToMicros(clock_.Now())));
    ASSIGN_OR_RETURN(
        store::DiagnosticsUploadState state,
        store::GetDiagnosticsUploadState(db, request.task_id(), attempt, idx));
    if (bundle.size() != request.total_size() ||
        state.held != request.total_size()) {
      // A repeat of the last chunk whose first call kept (or refused) the
      // bundle meanwhile, or an upload started over.
      if (state.kept == request.sha256()) {
        response.set_complete(true);
      } else {
        outcome = absl::InvalidArgumentError(
            "offset: the upload changed while it was checked; nothing kept, "
            "send it again from offset 0");
      }
      return absl::OkStatus();
    }
    if (!refused.ok()) {
      // Nothing kept: the chunks go, committed with the refusal.
      outcome = refused;
      return store::DeleteDiagnosticsUpload(db, request.task_id(), attempt,
                                            idx);
    }
    RETURN_IF_ERROR(store::SaveDiagnosticsBundle(
        db, request.task_id(), attempt, idx, bundle, sha256, *summary, now));
    response.set_complete(true);
    return absl::OkStatus();
  }));
  RETURN_IF_ERROR(outcome);
  return response;
}

}  // namespace mdefleet::service
