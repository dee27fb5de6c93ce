// The streaming AdminService methods; the unary ones are one template
// (grpc_admin_service.h).
#include "server/service/grpc_admin_service.h"

namespace mdefleet::service {

grpc::Status GrpcAdminService::WatchJob(grpc::ServerContext* context,
                                        const v1::WatchJobRequest* request,
                                        grpc::ServerWriter<v1::Job>* writer) {
  return ToGrpcStatus(Guarded(*context, [&](absl::string_view authorization) {
    return handlers_.jobs().WatchJob(
        authorization, *request,
        [&](const v1::Job& job) { return writer->Write(job); },
        [&] { return context->IsCancelled(); });
  }));
}

grpc::Status GrpcAdminService::GetDiagnosticsBundle(
    grpc::ServerContext* context,
    const v1::GetDiagnosticsBundleRequest* request,
    grpc::ServerWriter<v1::DiagnosticsBundleChunk>* writer) {
  return ToGrpcStatus(Guarded(*context, [&](absl::string_view authorization) {
    return handlers_.jobs().GetDiagnosticsBundle(
        authorization, *request, [&](const v1::DiagnosticsBundleChunk& chunk) {
          return writer->Write(chunk);
        });
  }));
}

grpc::Status GrpcAdminService::UploadArtifact(
    grpc::ServerContext* context,
    grpc::ServerReader<v1::UploadArtifactRequest>* reader,
    v1::Artifact* response) {
  return Reply(Guarded(*context,
                       [&](absl::string_view authorization) {
                         return handlers_.artifacts().UploadArtifact(
                             authorization,
                             [&](v1::UploadArtifactRequest* message) {
                               return reader->Read(message);
                             });
                       }),
               response);
}

}  // namespace mdefleet::service
