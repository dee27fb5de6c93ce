// gRPC adapter for AdminService (synchronous; WatchJob holds a thread per
// watcher, of which there are few).
#ifndef MDEFLEET_SERVER_SERVICE_GRPC_ADMIN_SERVICE_H_
#define MDEFLEET_SERVER_SERVICE_GRPC_ADMIN_SERVICE_H_

#include "mdefleet/v1/admin.grpc.pb.h"
#include "server/service/admin/admin_handlers.h"
#include "server/service/peer_guard.h"

namespace mdefleet::service {

class GrpcAdminService final : public v1::AdminService::Service {
 public:
  GrpcAdminService(AdminHandlers& handlers, PeerGuard& guard)
      : handlers_(handlers), guard_(guard) {}

  grpc::Status ListDevices(grpc::ServerContext* context,
                           const v1::ListDevicesRequest* request,
                           v1::ListDevicesResponse* response) override;
  grpc::Status GetFleetSummary(grpc::ServerContext* context,
                               const v1::GetFleetSummaryRequest* request,
                               v1::FleetSummary* response) override;
  grpc::Status GetDevice(grpc::ServerContext* context,
                         const v1::GetDeviceRequest* request,
                         v1::Device* response) override;
  grpc::Status SubmitJob(grpc::ServerContext* context,
                         const v1::SubmitJobRequest* request,
                         v1::SubmitJobResponse* response) override;
  grpc::Status GetJob(grpc::ServerContext* context,
                      const v1::GetJobRequest* request,
                      v1::Job* response) override;
  grpc::Status ListJobs(grpc::ServerContext* context,
                        const v1::ListJobsRequest* request,
                        v1::ListJobsResponse* response) override;
  grpc::Status ListTasks(grpc::ServerContext* context,
                         const v1::ListTasksRequest* request,
                         v1::ListTasksResponse* response) override;
  grpc::Status GetTaskEvidence(grpc::ServerContext* context,
                               const v1::GetTaskEvidenceRequest* request,
                               v1::GetTaskEvidenceResponse* response) override;
  grpc::Status WatchJob(grpc::ServerContext* context,
                        const v1::WatchJobRequest* request,
                        grpc::ServerWriter<v1::Job>* writer) override;
  grpc::Status GetDiagnosticsBundle(
      grpc::ServerContext* context,
      const v1::GetDiagnosticsBundleRequest* request,
      grpc::ServerWriter<v1::DiagnosticsBundleChunk>* writer) override;
  grpc::Status CancelJob(grpc::ServerContext* context,
                         const v1::CancelJobRequest* request,
                         v1::Job* response) override;
  grpc::Status PauseJob(grpc::ServerContext* context,
                        const v1::PauseJobRequest* request,
                        v1::Job* response) override;
  grpc::Status ResumeJob(grpc::ServerContext* context,
                         const v1::ResumeJobRequest* request,
                         v1::Job* response) override;
  grpc::Status RetryFailed(grpc::ServerContext* context,
                           const v1::RetryFailedRequest* request,
                           v1::Job* response) override;
  grpc::Status UploadArtifact(
      grpc::ServerContext* context,
      grpc::ServerReader<v1::UploadArtifactRequest>* reader,
      v1::Artifact* response) override;
  grpc::Status ListArtifacts(grpc::ServerContext* context,
                             const v1::ListArtifactsRequest* request,
                             v1::ListArtifactsResponse* response) override;
  grpc::Status ListAuditLog(grpc::ServerContext* context,
                            const v1::ListAuditLogRequest* request,
                            v1::ListAuditLogResponse* response) override;
  grpc::Status CreateToken(grpc::ServerContext* context,
                           const v1::CreateTokenRequest* request,
                           v1::CreateTokenResponse* response) override;
  grpc::Status ListTokens(grpc::ServerContext* context,
                          const v1::ListTokensRequest* request,
                          v1::ListTokensResponse* response) override;
  grpc::Status RevokeToken(grpc::ServerContext* context,
                           const v1::RevokeTokenRequest* request,
                           v1::ApiToken* response) override;
  grpc::Status RotateToken(grpc::ServerContext* context,
                           const v1::RotateTokenRequest* request,
                           v1::CreateTokenResponse* response) override;
  grpc::Status CreateEnrollmentSecret(
      grpc::ServerContext* context,
      const v1::CreateEnrollmentSecretRequest* request,
      v1::CreateEnrollmentSecretResponse* response) override;
  grpc::Status ListEnrollmentSecrets(
      grpc::ServerContext* context,
      const v1::ListEnrollmentSecretsRequest* request,
      v1::ListEnrollmentSecretsResponse* response) override;
  grpc::Status ExpireEnrollmentSecret(
      grpc::ServerContext* context,
      const v1::ExpireEnrollmentSecretRequest* request,
      v1::EnrollmentSecret* response) override;
  grpc::Status RevokeEnrollmentSecret(
      grpc::ServerContext* context,
      const v1::RevokeEnrollmentSecretRequest* request,
      v1::EnrollmentSecret* response) override;
  grpc::Status RevokeDevice(grpc::ServerContext* context,
                            const v1::RevokeDeviceRequest* request,
                            v1::Device* response) override;
  grpc::Status ResetDeviceIdentity(
      grpc::ServerContext* context,
      const v1::ResetDeviceIdentityRequest* request,
      v1::Device* response) override;

 private:
  AdminHandlers& handlers_;
  PeerGuard& guard_;
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_GRPC_ADMIN_SERVICE_H_
