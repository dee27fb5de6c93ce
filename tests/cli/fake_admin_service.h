// An in-process AdminService for the CLI tests: records what mdefleetctl
// sent (token, requests, upload chunks) and answers from canned data.
#ifndef MDEFLEET_TESTS_CLI_FAKE_ADMIN_SERVICE_H_
#define MDEFLEET_TESTS_CLI_FAKE_ADMIN_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mdefleet/v1/admin.grpc.pb.h"

namespace mdefleet::cli::testing {

class FakeAdminService final : public v1::AdminService::Service {
 public:
  static constexpr char kToken[] = "mdf_admin_fake-token-for-tests";

  // Everything guarded by mu; tests read after the CLI call returned.
  std::mutex mu;
  std::vector<std::string> authorizations;  // one per call
  std::vector<std::string> methods;         // one per call

  std::vector<v1::Device> devices;  // served in pages of the requested size
  std::vector<v1::ResetDeviceIdentityRequest> reset_requests;
  std::vector<v1::ListDevicesRequest> list_devices_requests;

  std::vector<v1::SubmitJobRequest> submit_requests;
  v1::SubmitJobResponse submit_response;
  grpc::Status submit_status;

  // WatchJob streams these, then ends; GetJob answers `final_job`.
  std::vector<v1::Job> watch_updates;
  v1::Job final_job;

  std::vector<v1::UploadArtifactRequest> upload_messages;
  grpc::Status upload_status;  // returned after reading the whole stream

  std::vector<v1::Task> tasks;  // ListTasks pages of 2

  // Cancel/Pause/Resume/RetryFailed: what was asked, and the answer
  // (`final_job` in the state the control leads to, or `control_status`).
  struct Control {
    std::string method;
    std::string job_id;
    std::string reason;
  };
  std::vector<Control> controls;
  grpc::Status control_status;

  // ListAuditLog: the requests, and `audit_entries` (newest first) served in
  // pages of the requested size, unless `audit_status` is an error.
  std::vector<v1::ListAuditLogRequest> audit_requests;
  std::vector<v1::AuditEntry> audit_entries;
  grpc::Status audit_status;

  v1::FleetSummary fleet_summary;
  std::vector<v1::GetFleetSummaryRequest> summary_requests;
  grpc::Status GetFleetSummary(grpc::ServerContext* context,
                               const v1::GetFleetSummaryRequest* request,
                               v1::FleetSummary* response) override;
  grpc::Status ListDevices(grpc::ServerContext* context,
                           const v1::ListDevicesRequest* request,
                           v1::ListDevicesResponse* response) override;
  grpc::Status GetDevice(grpc::ServerContext* context,
                         const v1::GetDeviceRequest* request,
                         v1::Device* response) override;
  // Records the request; answers the device of `devices` with a pending
  // identity reset, or NOT_FOUND.
  grpc::Status ResetDeviceIdentity(
      grpc::ServerContext* context,
      const v1::ResetDeviceIdentityRequest* request,
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
  grpc::Status WatchJob(grpc::ServerContext* context,
                        const v1::WatchJobRequest* request,
                        grpc::ServerWriter<v1::Job>* writer) override;
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

 private:
  // Records the call; UNAUTHENTICATED unless the bearer token is kToken.
  grpc::Status Authorize(grpc::ServerContext* context, const char* method);
  // Records a control and answers final_job moved to `state` with `reason`.
  grpc::Status AnswerControl(const char* method, const std::string& job_id,
                             const std::string& reason, v1::JobState state,
                             const std::string& state_reason,
                             v1::Job* response);
};

// The fake on 127.0.0.1 with a port chosen by the kernel.
class FakeServer {
 public:
  FakeServer();
  ~FakeServer();
  FakeAdminService& service() { return service_; }
  std::string address() const;

 private:
  FakeAdminService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace mdefleet::cli::testing

#endif  // MDEFLEET_TESTS_CLI_FAKE_ADMIN_SERVICE_H_
