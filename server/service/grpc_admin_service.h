// gRPC adapter for AdminService (synchronous; WatchJob holds a thread per
// watcher, of which there are few). Every method takes the same steps, written
// once: the caller's credential from the metadata, the peer guard, the
// handler of its subject (server/service/admin/), and the one conversion of
// the outcome to grpc::Status.
#ifndef MDEFLEET_SERVER_SERVICE_GRPC_ADMIN_SERVICE_H_
#define MDEFLEET_SERVER_SERVICE_GRPC_ADMIN_SERVICE_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/admin.grpc.pb.h"
#include "server/service/admin/admin_handlers.h"
#include "server/service/grpc_status.h"
#include "server/service/peer_guard.h"

namespace mdefleet::service {

class GrpcAdminService final : public v1::AdminService::Service {
 public:
  GrpcAdminService(AdminHandlers& handlers, PeerGuard& guard)
      : handlers_(handlers), guard_(guard) {}

  // Inventory.
  grpc::Status ListDevices(grpc::ServerContext* context,
                           const v1::ListDevicesRequest* request,
                           v1::ListDevicesResponse* response) override {
    return Unary(context, request, response, handlers_.inventory(),
                 &InventoryHandlers::ListDevices);
  }
  grpc::Status GetDevice(grpc::ServerContext* context,
                         const v1::GetDeviceRequest* request,
                         v1::Device* response) override {
    return Unary(context, request, response, handlers_.inventory(),
                 &InventoryHandlers::GetDevice);
  }
  grpc::Status GetFleetSummary(grpc::ServerContext* context,
                               const v1::GetFleetSummaryRequest* request,
                               v1::FleetSummary* response) override {
    return Unary(context, request, response, handlers_.inventory(),
                 &InventoryHandlers::GetFleetSummary);
  }

  // Jobs (WatchJob and GetDiagnosticsBundle stream: grpc_admin_service.cc).
  grpc::Status SubmitJob(grpc::ServerContext* context,
                         const v1::SubmitJobRequest* request,
                         v1::SubmitJobResponse* response) override {
    return Unary(context, request, response, handlers_.jobs(),
                 &JobHandlers::SubmitJob);
  }
  grpc::Status GetJob(grpc::ServerContext* context,
                      const v1::GetJobRequest* request,
                      v1::Job* response) override {
    return Unary(context, request, response, handlers_.jobs(),
                 &JobHandlers::GetJob);
  }
  grpc::Status ListJobs(grpc::ServerContext* context,
                        const v1::ListJobsRequest* request,
                        v1::ListJobsResponse* response) override {
    return Unary(context, request, response, handlers_.jobs(),
                 &JobHandlers::ListJobs);
  }
  grpc::Status ListTasks(grpc::ServerContext* context,
                         const v1::ListTasksRequest* request,
                         v1::ListTasksResponse* response) override {
    return Unary(context, request, response, handlers_.jobs(),
                 &JobHandlers::ListTasks);
  }
  grpc::Status GetTaskEvidence(grpc::ServerContext* context,
                               const v1::GetTaskEvidenceRequest* request,
                               v1::GetTaskEvidenceResponse* response) override {
    return Unary(context, request, response, handlers_.jobs(),
                 &JobHandlers::GetTaskEvidence);
  }
  grpc::Status CancelJob(grpc::ServerContext* context,
                         const v1::CancelJobRequest* request,
                         v1::Job* response) override {
    return Unary(context, request, response, handlers_.jobs(),
                 &JobHandlers::CancelJob);
  }
  grpc::Status PauseJob(grpc::ServerContext* context,
                        const v1::PauseJobRequest* request,
                        v1::Job* response) override {
    return Unary(context, request, response, handlers_.jobs(),
                 &JobHandlers::PauseJob);
  }
  grpc::Status ResumeJob(grpc::ServerContext* context,
                         const v1::ResumeJobRequest* request,
                         v1::Job* response) override {
    return Unary(context, request, response, handlers_.jobs(),
                 &JobHandlers::ResumeJob);
  }
  grpc::Status RetryFailed(grpc::ServerContext* context,
                           const v1::RetryFailedRequest* request,
                           v1::Job* response) override {
    return Unary(context, request, response, handlers_.jobs(),
                 &JobHandlers::RetryFailed);
  }

  // Artifacts (UploadArtifact streams: grpc_admin_service.cc).
  grpc::Status ListArtifacts(grpc::ServerContext* context,
                             const v1::ListArtifactsRequest* request,
                             v1::ListArtifactsResponse* response) override {
    return Unary(context, request, response, handlers_.artifacts(),
                 &ArtifactHandlers::ListArtifacts);
  }

  // The audit log.
  grpc::Status ListAuditLog(grpc::ServerContext* context,
                            const v1::ListAuditLogRequest* request,
                            v1::ListAuditLogResponse* response) override {
    return Unary(context, request, response, handlers_.audit(),
                 &AuditHandlers::ListAuditLog);
  }

  // Access: tokens, enrollment secrets, devices.
  grpc::Status CreateToken(grpc::ServerContext* context,
                           const v1::CreateTokenRequest* request,
                           v1::CreateTokenResponse* response) override {
    return Unary(context, request, response, handlers_.access(),
                 &AccessHandlers::CreateToken);
  }
  grpc::Status ListTokens(grpc::ServerContext* context,
                          const v1::ListTokensRequest* request,
                          v1::ListTokensResponse* response) override {
    return Unary(context, request, response, handlers_.access(),
                 &AccessHandlers::ListTokens);
  }
  grpc::Status RevokeToken(grpc::ServerContext* context,
                           const v1::RevokeTokenRequest* request,
                           v1::ApiToken* response) override {
    return Unary(context, request, response, handlers_.access(),
                 &AccessHandlers::RevokeToken);
  }
  grpc::Status RotateToken(grpc::ServerContext* context,
                           const v1::RotateTokenRequest* request,
                           v1::CreateTokenResponse* response) override {
    return Unary(context, request, response, handlers_.access(),
                 &AccessHandlers::RotateToken);
  }
  grpc::Status CreateEnrollmentSecret(
      grpc::ServerContext* context,
      const v1::CreateEnrollmentSecretRequest* request,
      v1::CreateEnrollmentSecretResponse* response) override {
    return Unary(context, request, response, handlers_.access(),
                 &AccessHandlers::CreateEnrollmentSecret);
  }
  grpc::Status ListEnrollmentSecrets(
      grpc::ServerContext* context,
      const v1::ListEnrollmentSecretsRequest* request,
      v1::ListEnrollmentSecretsResponse* response) override {
    return Unary(context, request, response, handlers_.access(),
                 &AccessHandlers::ListEnrollmentSecrets);
  }
  grpc::Status ExpireEnrollmentSecret(
      grpc::ServerContext* context,
      const v1::ExpireEnrollmentSecretRequest* request,
      v1::EnrollmentSecret* response) override {
    return Unary(context, request, response, handlers_.access(),
                 &AccessHandlers::ExpireEnrollmentSecret);
  }
  grpc::Status RevokeEnrollmentSecret(
      grpc::ServerContext* context,
      const v1::RevokeEnrollmentSecretRequest* request,
      v1::EnrollmentSecret* response) override {
    return Unary(context, request, response, handlers_.access(),
                 &AccessHandlers::RevokeEnrollmentSecret);
  }
  grpc::Status RevokeDevice(grpc::ServerContext* context,
                            const v1::RevokeDeviceRequest* request,
                            v1::Device* response) override {
    return Unary(context, request, response, handlers_.access(),
                 &AccessHandlers::RevokeDevice);
  }
  grpc::Status ResetDeviceIdentity(
      grpc::ServerContext* context,
      const v1::ResetDeviceIdentityRequest* request,
      v1::Device* response) override {
    return Unary(context, request, response, handlers_.access(),
                 &AccessHandlers::ResetDeviceIdentity);
  }

  // The streaming methods (grpc_admin_service.cc).
  grpc::Status WatchJob(grpc::ServerContext* context,
                        const v1::WatchJobRequest* request,
                        grpc::ServerWriter<v1::Job>* writer) override;
  grpc::Status GetDiagnosticsBundle(
      grpc::ServerContext* context,
      const v1::GetDiagnosticsBundleRequest* request,
      grpc::ServerWriter<v1::DiagnosticsBundleChunk>* writer) override;
  grpc::Status UploadArtifact(
      grpc::ServerContext* context,
      grpc::ServerReader<v1::UploadArtifactRequest>* reader,
      v1::Artifact* response) override;

 private:
  // `call` (given the caller's "authorization" metadata) through the peer
  // guard, which counts its failures against the caller's budgets.
  template <typename Call>
  auto Guarded(grpc::ServerContext& context, Call call) {
    const std::string authorization = AuthorizationOf(context);
    return guard_.Run(context.peer(), authorization, CallKind::kApi,
                      [&] { return call(authorization); });
  }

  // A unary method: `method` of `handlers` on the request, through Guarded
  // and Reply.
  template <typename Handlers, typename Request, typename Response>
  grpc::Status Unary(grpc::ServerContext* context, const Request* request,
                     Response* response, Handlers& handlers,
                     absl::StatusOr<Response> (Handlers::*method)(
                         absl::string_view, const Request&)) {
    return Reply(Guarded(*context,
                         [&](absl::string_view authorization) {
                           return (handlers.*method)(authorization, *request);
                         }),
                 response);
  }

  // The result into `response`, or the error as the gRPC status.
  template <typename Response>
  static grpc::Status Reply(absl::StatusOr<Response> result,
                            Response* response) {
    if (!result.ok()) return ToGrpcStatus(result.status());
    *response = *std::move(result);
    return grpc::Status::OK;
  }

  AdminHandlers& handlers_;
  PeerGuard& guard_;
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_GRPC_ADMIN_SERVICE_H_
