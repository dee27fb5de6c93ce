// gRPC adapter for RunnerService: PollTasks is asynchronous, run by
// PollQueues (poll_queues.h), so waiting devices hold no thread; the other
// methods are synchronous.
#ifndef MDEFLEET_SERVER_SERVICE_GRPC_RUNNER_SERVICE_H_
#define MDEFLEET_SERVER_SERVICE_GRPC_RUNNER_SERVICE_H_

#include <functional>
#include <memory>

#include "mdefleet/v1/runner.grpc.pb.h"
#include "server/service/connection_budget.h"
#include "server/service/long_poll.h"
#include "server/service/peer_guard.h"
#include "server/service/runner_handlers.h"

namespace mdefleet::service {

class GrpcRunnerService final
    : public v1::RunnerService::WithAsyncMethod_PollTasks<
          v1::RunnerService::Service> {
 public:
  // `budget` (may be null) refuses Enroll and PollTasks while the server is
  // at its connection limit.
  GrpcRunnerService(RunnerHandlers& handlers, LongPoller& poller,
                    PeerGuard& guard, const ConnectionBudget* budget = nullptr)
      : handlers_(handlers), poller_(poller), guard_(guard), budget_(budget) {}

  grpc::Status Enroll(grpc::ServerContext* context,
                      const v1::EnrollRequest* request,
                      v1::EnrollResponse* response) override;
  // Starts one PollTasks call: refused at once while the connection budget
  // is spent (returns null), else handed to the poller. `finish` is called
  // exactly once, on any thread, with the answer (`response` null unless
  // the status is OK).
  using PollFinish = std::function<void(const grpc::Status& status,
                                        const v1::PollTasksResponse* response)>;
  std::shared_ptr<PollCall> StartPoll(grpc::ServerContext& context,
                                      const v1::PollTasksRequest& request,
                                      PollFinish finish);
  // The client of a started poll went away.
  void CancelPoll(const std::shared_ptr<PollCall>& call) {
    poller_.Cancel(call);
  }
  grpc::Status ReportStep(grpc::ServerContext* context,
                          const v1::ReportStepRequest* request,
                          v1::ReportStepResponse* response) override;
  grpc::Status Heartbeat(grpc::ServerContext* context,
                         const v1::HeartbeatRequest* request,
                         v1::HeartbeatResponse* response) override;
  grpc::Status UploadEvidence(grpc::ServerContext* context,
                              const v1::UploadEvidenceRequest* request,
                              v1::UploadEvidenceResponse* response) override;
  grpc::Status UploadDiagnosticsChunk(
      grpc::ServerContext* context,
      const v1::UploadDiagnosticsChunkRequest* request,
      v1::UploadDiagnosticsChunkResponse* response) override;
  grpc::Status FetchArtifact(
      grpc::ServerContext* context, const v1::FetchArtifactRequest* request,
      grpc::ServerWriter<v1::ArtifactChunk>* writer) override;
  grpc::Status RenewClientCertificate(
      grpc::ServerContext* context,
      const v1::RenewClientCertificateRequest* request,
      v1::RenewClientCertificateResponse* response) override;

 private:
  RunnerHandlers& handlers_;
  LongPoller& poller_;
  PeerGuard& guard_;
  const ConnectionBudget* budget_;
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_GRPC_RUNNER_SERVICE_H_
