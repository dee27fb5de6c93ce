#include "server/service/grpc_admin_service.h"

#include "server/service/grpc_status.h"

namespace mdefleet::service {
namespace {

template <typename Response>
grpc::Status Reply(absl::StatusOr<Response> result, Response* response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status GrpcAdminService::ListDevices(
    grpc::ServerContext* context, const v1::ListDevicesRequest* request,
    v1::ListDevicesResponse* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.inventory().ListDevices(
                       AuthorizationOf(*context), *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::GetDevice(grpc::ServerContext* context,
                                         const v1::GetDeviceRequest* request,
                                         v1::Device* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.inventory().GetDevice(
                       AuthorizationOf(*context), *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::GetFleetSummary(
    grpc::ServerContext* context, const v1::GetFleetSummaryRequest* request,
    v1::FleetSummary* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.inventory().GetFleetSummary(
                       AuthorizationOf(*context), *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::SubmitJob(grpc::ServerContext* context,
                                         const v1::SubmitJobRequest* request,
                                         v1::SubmitJobResponse* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.jobs().SubmitJob(AuthorizationOf(*context),
                                                     *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::GetJob(grpc::ServerContext* context,
                                      const v1::GetJobRequest* request,
                                      v1::Job* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.jobs().GetJob(AuthorizationOf(*context),
                                                  *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::ListJobs(grpc::ServerContext* context,
                                        const v1::ListJobsRequest* request,
                                        v1::ListJobsResponse* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.jobs().ListJobs(AuthorizationOf(*context),
                                                    *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::ListTasks(grpc::ServerContext* context,
                                         const v1::ListTasksRequest* request,
                                         v1::ListTasksResponse* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.jobs().ListTasks(AuthorizationOf(*context),
                                                     *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::GetTaskEvidence(
    grpc::ServerContext* context, const v1::GetTaskEvidenceRequest* request,
    v1::GetTaskEvidenceResponse* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.jobs().GetTaskEvidence(
                       AuthorizationOf(*context), *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::WatchJob(grpc::ServerContext* context,
                                        const v1::WatchJobRequest* request,
                                        grpc::ServerWriter<v1::Job>* writer) {
  return ToGrpcStatus(guard_.Run(
      context->peer(), AuthorizationOf(*context), CallKind::kApi, [&] {
        return handlers_.jobs().WatchJob(
            AuthorizationOf(*context), *request,
            [&](const v1::Job& job) { return writer->Write(job); },
            [&] { return context->IsCancelled(); });
      }));
}

grpc::Status GrpcAdminService::GetDiagnosticsBundle(
    grpc::ServerContext* context,
    const v1::GetDiagnosticsBundleRequest* request,
    grpc::ServerWriter<v1::DiagnosticsBundleChunk>* writer) {
  return ToGrpcStatus(guard_.Run(
      context->peer(), AuthorizationOf(*context), CallKind::kApi, [&] {
        return handlers_.jobs().GetDiagnosticsBundle(
            AuthorizationOf(*context), *request,
            [&](const v1::DiagnosticsBundleChunk& chunk) {
              return writer->Write(chunk);
            });
      }));
}

grpc::Status GrpcAdminService::CancelJob(grpc::ServerContext* context,
                                         const v1::CancelJobRequest* request,
                                         v1::Job* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.jobs().CancelJob(AuthorizationOf(*context),
                                                     *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::PauseJob(grpc::ServerContext* context,
                                        const v1::PauseJobRequest* request,
                                        v1::Job* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.jobs().PauseJob(AuthorizationOf(*context),
                                                    *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::ResumeJob(grpc::ServerContext* context,
                                         const v1::ResumeJobRequest* request,
                                         v1::Job* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.jobs().ResumeJob(AuthorizationOf(*context),
                                                     *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::RetryFailed(
    grpc::ServerContext* context, const v1::RetryFailedRequest* request,
    v1::Job* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.jobs().RetryFailed(
                       AuthorizationOf(*context), *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::UploadArtifact(
    grpc::ServerContext* context,
    grpc::ServerReader<v1::UploadArtifactRequest>* reader,
    v1::Artifact* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.artifacts().UploadArtifact(
                       AuthorizationOf(*context),
                       [&](v1::UploadArtifactRequest* message) {
                         return reader->Read(message);
                       });
                 }),
      response);
}

grpc::Status GrpcAdminService::ListArtifacts(
    grpc::ServerContext* context, const v1::ListArtifactsRequest* request,
    v1::ListArtifactsResponse* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.artifacts().ListArtifacts(
                       AuthorizationOf(*context), *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::ListAuditLog(
    grpc::ServerContext* context, const v1::ListAuditLogRequest* request,
    v1::ListAuditLogResponse* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.audit().ListAuditLog(
                       AuthorizationOf(*context), *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::CreateToken(
    grpc::ServerContext* context, const v1::CreateTokenRequest* request,
    v1::CreateTokenResponse* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.access().CreateToken(
                       AuthorizationOf(*context), *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::ListTokens(grpc::ServerContext* context,
                                          const v1::ListTokensRequest* request,
                                          v1::ListTokensResponse* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.access().ListTokens(
                       AuthorizationOf(*context), *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::RevokeToken(
    grpc::ServerContext* context, const v1::RevokeTokenRequest* request,
    v1::ApiToken* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.access().RevokeToken(
                       AuthorizationOf(*context), *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::RotateToken(
    grpc::ServerContext* context, const v1::RotateTokenRequest* request,
    v1::CreateTokenResponse* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.access().RotateToken(
                       AuthorizationOf(*context), *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::CreateEnrollmentSecret(
    grpc::ServerContext* context,
    const v1::CreateEnrollmentSecretRequest* request,
    v1::CreateEnrollmentSecretResponse* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.access().CreateEnrollmentSecret(
                       AuthorizationOf(*context), *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::ListEnrollmentSecrets(
    grpc::ServerContext* context,
    const v1::ListEnrollmentSecretsRequest* request,
    v1::ListEnrollmentSecretsResponse* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.access().ListEnrollmentSecrets(
                       AuthorizationOf(*context), *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::ExpireEnrollmentSecret(
    grpc::ServerContext* context,
    const v1::ExpireEnrollmentSecretRequest* request,
    v1::EnrollmentSecret* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.access().ExpireEnrollmentSecret(
                       AuthorizationOf(*context), *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::RevokeEnrollmentSecret(
    grpc::ServerContext* context,
    const v1::RevokeEnrollmentSecretRequest* request,
    v1::EnrollmentSecret* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.access().RevokeEnrollmentSecret(
                       AuthorizationOf(*context), *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::RevokeDevice(
    grpc::ServerContext* context, const v1::RevokeDeviceRequest* request,
    v1::Device* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.access().RevokeDevice(
                       AuthorizationOf(*context), *request);
                 }),
      response);
}

grpc::Status GrpcAdminService::ResetDeviceIdentity(
    grpc::ServerContext* context, const v1::ResetDeviceIdentityRequest* request,
    v1::Device* response) {
  return Reply(
      guard_.Run(context->peer(), AuthorizationOf(*context), CallKind::kApi,
                 [&] {
                   return handlers_.access().ResetDeviceIdentity(
                       AuthorizationOf(*context), *request);
                 }),
      response);
}

}  // namespace mdefleet::service
