#include "server/service/grpc_runner_service.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/service/grpc_peer.h"
#include "server/service/grpc_status.h"

namespace mdefleet::service {
namespace {

// RESOURCE_EXHAUSTED with the delay in the trailing metadata when `budget`
// is spent; OK otherwise.
template <typename Context>
grpc::Status Refusal(const ConnectionBudget* budget, Context& context) {
  if (budget == nullptr) return grpc::Status::OK;
  absl::Status admitted = budget->Admit();
  if (admitted.ok()) return grpc::Status::OK;
  context.AddTrailingMetadata(
      kRetryAfterMetadata,
      absl::StrCat(absl::ToInt64Milliseconds(budget->retry_after())));
  return ToGrpcStatus(admitted);
}

}  // namespace

grpc::Status GrpcRunnerService::Enroll(grpc::ServerContext* context,
                                       const v1::EnrollRequest* request,
                                       v1::EnrollResponse* response) {
  if (grpc::Status refused = Refusal(budget_, *context); !refused.ok()) {
    return refused;
  }
  absl::StatusOr<v1::EnrollResponse> result = guard_.Run(
      context->peer(), AuthorizationOf(*context), CallKind::kEnrollment, [&] {
        return handlers_.Enroll(AuthorizationOf(*context), *request,
                                PeerOf(*context));
      });
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

std::shared_ptr<PollCall> GrpcRunnerService::StartPoll(
    grpc::ServerContext& context, const v1::PollTasksRequest& request,
    PollFinish finish) {
  if (grpc::Status refused = Refusal(budget_, context); !refused.ok()) {
    finish(refused, nullptr);
    return nullptr;
  }
  std::string authorization = AuthorizationOf(context);
  return poller_.Poll(
      authorization, request,
      [finish = std::move(finish), &guard = guard_, peer = context.peer(),
       authorization](absl::StatusOr<v1::PollTasksResponse> result) {
        if (result.ok()) {
          finish(grpc::Status::OK, &*result);
        } else {
          finish(ToGrpcStatus(guard.Judge(peer, authorization,
                                          CallKind::kDevice, result.status())),
                 nullptr);
        }
      },
      PeerOf(context));
}

grpc::Status GrpcRunnerService::ReportStep(grpc::ServerContext* context,
                                           const v1::ReportStepRequest* request,
                                           v1::ReportStepResponse* response) {
  absl::StatusOr<v1::ReportStepResponse> result = guard_.Run(
      context->peer(), AuthorizationOf(*context), CallKind::kDevice, [&] {
        return handlers_.ReportStep(AuthorizationOf(*context), *request,
                                    PeerOf(*context));
      });
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status GrpcRunnerService::UploadEvidence(
    grpc::ServerContext* context, const v1::UploadEvidenceRequest* request,
    v1::UploadEvidenceResponse* response) {
  absl::StatusOr<v1::UploadEvidenceResponse> result = guard_.Run(
      context->peer(), AuthorizationOf(*context), CallKind::kDevice, [&] {
        return handlers_.UploadEvidence(AuthorizationOf(*context), *request,
                                        PeerOf(*context));
      });
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status GrpcRunnerService::UploadDiagnosticsChunk(
    grpc::ServerContext* context,
    const v1::UploadDiagnosticsChunkRequest* request,
    v1::UploadDiagnosticsChunkResponse* response) {
  absl::StatusOr<v1::UploadDiagnosticsChunkResponse> result = guard_.Run(
      context->peer(), AuthorizationOf(*context), CallKind::kDevice, [&] {
        return handlers_.UploadDiagnosticsChunk(AuthorizationOf(*context),
                                                *request, PeerOf(*context));
      });
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status GrpcRunnerService::Heartbeat(grpc::ServerContext* context,
                                          const v1::HeartbeatRequest* request,
                                          v1::HeartbeatResponse* response) {
  absl::StatusOr<v1::HeartbeatResponse> result = guard_.Run(
      context->peer(), AuthorizationOf(*context), CallKind::kDevice, [&] {
        return handlers_.Heartbeat(AuthorizationOf(*context), *request,
                                   PeerOf(*context));
      });
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status GrpcRunnerService::FetchArtifact(
    grpc::ServerContext* context, const v1::FetchArtifactRequest* request,
    grpc::ServerWriter<v1::ArtifactChunk>* writer) {
  return ToGrpcStatus(guard_.Run(context->peer(), AuthorizationOf(*context),
                                 CallKind::kDevice, [&] {
                                   return handlers_.FetchArtifact(
                                       AuthorizationOf(*context), *request,
                                       [&](const v1::ArtifactChunk& chunk) {
                                         return writer->Write(chunk);
                                       },
                                       PeerOf(*context));
                                 }));
}

grpc::Status GrpcRunnerService::RenewClientCertificate(
    grpc::ServerContext* context,
    const v1::RenewClientCertificateRequest* request,
    v1::RenewClientCertificateResponse* response) {
  absl::StatusOr<v1::RenewClientCertificateResponse> result = guard_.Run(
      context->peer(), AuthorizationOf(*context), CallKind::kDevice, [&] {
        return handlers_.RenewClientCertificate(AuthorizationOf(*context),
                                                *request, PeerOf(*context));
      });
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace mdefleet::service
