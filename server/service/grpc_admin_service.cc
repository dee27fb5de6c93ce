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
  return Reply(handlers_.ListDevices(AuthorizationOf(*context), *request),
               response);
}

grpc::Status GrpcAdminService::GetDevice(grpc::ServerContext* context,
                                         const v1::GetDeviceRequest* request,
                                         v1::Device* response) {
  return Reply(handlers_.GetDevice(AuthorizationOf(*context), *request),
               response);
}

grpc::Status GrpcAdminService::GetFleetSummary(
    grpc::ServerContext* context, const v1::GetFleetSummaryRequest* request,
    v1::FleetSummary* response) {
  return Reply(handlers_.GetFleetSummary(AuthorizationOf(*context), *request),
               response);
}

grpc::Status GrpcAdminService::SubmitJob(grpc::ServerContext* context,
                                         const v1::SubmitJobRequest* request,
                                         v1::SubmitJobResponse* response) {
  return Reply(handlers_.SubmitJob(AuthorizationOf(*context), *request),
               response);
}

grpc::Status GrpcAdminService::GetJob(grpc::ServerContext* context,
                                      const v1::GetJobRequest* request,
                                      v1::Job* response) {
  return Reply(handlers_.GetJob(AuthorizationOf(*context), *request), response);
}

grpc::Status GrpcAdminService::ListJobs(grpc::ServerContext* context,
                                        const v1::ListJobsRequest* request,
                                        v1::ListJobsResponse* response) {
  return Reply(handlers_.ListJobs(AuthorizationOf(*context), *request),
               response);
}

grpc::Status GrpcAdminService::ListTasks(grpc::ServerContext* context,
                                         const v1::ListTasksRequest* request,
                                         v1::ListTasksResponse* response) {
  return Reply(handlers_.ListTasks(AuthorizationOf(*context), *request),
               response);
}

grpc::Status GrpcAdminService::WatchJob(grpc::ServerContext* context,
                                        const v1::WatchJobRequest* request,
                                        grpc::ServerWriter<v1::Job>* writer) {
  return ToGrpcStatus(handlers_.WatchJob(
      AuthorizationOf(*context), *request,
      [&](const v1::Job& job) { return writer->Write(job); },
      [&] { return context->IsCancelled(); }));
}

grpc::Status GrpcAdminService::CancelJob(grpc::ServerContext* context,
                                         const v1::CancelJobRequest* request,
                                         v1::Job* response) {
  return Reply(handlers_.CancelJob(AuthorizationOf(*context), *request),
               response);
}

grpc::Status GrpcAdminService::PauseJob(grpc::ServerContext* context,
                                        const v1::PauseJobRequest* request,
                                        v1::Job* response) {
  return Reply(handlers_.PauseJob(AuthorizationOf(*context), *request),
               response);
}

grpc::Status GrpcAdminService::ResumeJob(grpc::ServerContext* context,
                                         const v1::ResumeJobRequest* request,
                                         v1::Job* response) {
  return Reply(handlers_.ResumeJob(AuthorizationOf(*context), *request),
               response);
}

grpc::Status GrpcAdminService::RetryFailed(
    grpc::ServerContext* context, const v1::RetryFailedRequest* request,
    v1::Job* response) {
  return Reply(handlers_.RetryFailed(AuthorizationOf(*context), *request),
               response);
}

grpc::Status GrpcAdminService::UploadArtifact(
    grpc::ServerContext* context,
    grpc::ServerReader<v1::UploadArtifactRequest>* reader,
    v1::Artifact* response) {
  return Reply(
      handlers_.UploadArtifact(AuthorizationOf(*context),
                               [&](v1::UploadArtifactRequest* message) {
                                 return reader->Read(message);
                               }),
      response);
}

grpc::Status GrpcAdminService::ListArtifacts(
    grpc::ServerContext* context, const v1::ListArtifactsRequest* request,
    v1::ListArtifactsResponse* response) {
  return Reply(handlers_.ListArtifacts(AuthorizationOf(*context), *request),
               response);
}

grpc::Status GrpcAdminService::ListAuditLog(
    grpc::ServerContext* context, const v1::ListAuditLogRequest* request,
    v1::ListAuditLogResponse* response) {
  return Reply(handlers_.ListAuditLog(AuthorizationOf(*context), *request),
               response);
}

}  // namespace mdefleet::service
