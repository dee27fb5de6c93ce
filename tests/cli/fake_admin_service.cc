#include "tests/cli/fake_admin_service.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mdefleet::cli::testing {

grpc::Status FakeAdminService::Authorize(grpc::ServerContext* context,
                                         const char* method) {
  std::string authorization;
  auto it = context->client_metadata().find("authorization");
  if (it != context->client_metadata().end()) {
    authorization.assign(it->second.data(), it->second.size());
  }
  std::lock_guard<std::mutex> lock(mu);
  authorizations.push_back(authorization);
  methods.push_back(method);
  if (authorization != absl::StrCat("Bearer ", kToken)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing or wrong admin token");
  }
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::ListDevices(
    grpc::ServerContext* context, const v1::ListDevicesRequest* request,
    v1::ListDevicesResponse* response) {
  if (auto s = Authorize(context, "ListDevices"); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu);
  list_devices_requests.push_back(*request);
  size_t start = 0;
  if (!request->page_token().empty() &&
      !absl::SimpleAtoi(request->page_token(), &start)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "page_token: malformed");
  }
  const size_t size = request->page_size() == 0 ? 500 : request->page_size();
  const size_t end = std::min(devices.size(), start + size);
  for (size_t i = start; i < end; ++i) *response->add_devices() = devices[i];
  if (end < devices.size()) response->set_next_page_token(absl::StrCat(end));
  response->set_total(static_cast<uint32_t>(devices.size()));
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::GetFleetSummary(
    grpc::ServerContext* context, const v1::GetFleetSummaryRequest* request,
    v1::FleetSummary* response) {
  if (auto s = Authorize(context, "GetFleetSummary"); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu);
  summary_requests.push_back(*request);
  *response = fleet_summary;
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::GetDevice(grpc::ServerContext* context,
                                         const v1::GetDeviceRequest* request,
                                         v1::Device* response) {
  if (auto s = Authorize(context, "GetDevice"); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu);
  for (const v1::Device& d : devices) {
    if (d.id() == request->device_id()) {
      *response = d;
      return grpc::Status::OK;
    }
  }
  return grpc::Status(
      grpc::StatusCode::NOT_FOUND,
      absl::StrCat("device_id: no device \"", request->device_id(), "\""));
}

grpc::Status FakeAdminService::ResetDeviceIdentity(
    grpc::ServerContext* context, const v1::ResetDeviceIdentityRequest* request,
    v1::Device* response) {
  if (auto s = Authorize(context, "ResetDeviceIdentity"); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu);
  reset_requests.push_back(*request);
  for (const v1::Device& d : devices) {
    if (d.id() == request->device_id()) {
      *response = d;
      v1::IdentityReset* reset =
          response->mutable_enrollment()->mutable_pending_identity_reset();
      reset->set_reason(request->reason());
      reset->set_reset_by("admin");
      return grpc::Status::OK;
    }
  }
  return grpc::Status(
      grpc::StatusCode::NOT_FOUND,
      absl::StrCat("device_id: no device \"", request->device_id(), "\""));
}

grpc::Status FakeAdminService::SubmitJob(grpc::ServerContext* context,
                                         const v1::SubmitJobRequest* request,
                                         v1::SubmitJobResponse* response) {
  if (auto s = Authorize(context, "SubmitJob"); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu);
  submit_requests.push_back(*request);
  if (!submit_status.ok()) return submit_status;
  *response = submit_response;
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::GetJob(grpc::ServerContext* context,
                                      const v1::GetJobRequest* request,
                                      v1::Job* response) {
  if (auto s = Authorize(context, "GetJob"); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu);
  if (request->job_id() != final_job.id()) {
    return grpc::Status(
        grpc::StatusCode::NOT_FOUND,
        absl::StrCat("job_id: no job \"", request->job_id(), "\""));
  }
  *response = final_job;
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::ListJobs(grpc::ServerContext* context,
                                        const v1::ListJobsRequest* request,
                                        v1::ListJobsResponse* response) {
  if (auto s = Authorize(context, "ListJobs"); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu);
  *response->add_jobs() = final_job;
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::ListTasks(grpc::ServerContext* context,
                                         const v1::ListTasksRequest* request,
                                         v1::ListTasksResponse* response) {
  if (auto s = Authorize(context, "ListTasks"); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu);
  size_t start = 0;
  if (!request->page_token().empty()) {
    (void)absl::SimpleAtoi(request->page_token(), &start);
  }
  const size_t end = std::min(tasks.size(), start + 2);
  for (size_t i = start; i < end; ++i) *response->add_tasks() = tasks[i];
  if (end < tasks.size()) response->set_next_page_token(absl::StrCat(end));
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::WatchJob(grpc::ServerContext* context,
                                        const v1::WatchJobRequest* request,
                                        grpc::ServerWriter<v1::Job>* writer) {
  if (auto s = Authorize(context, "WatchJob"); !s.ok()) return s;
  std::vector<v1::Job> updates;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (request->job_id() != final_job.id()) {
      return grpc::Status(
          grpc::StatusCode::NOT_FOUND,
          absl::StrCat("job_id: no job \"", request->job_id(), "\""));
    }
    updates = watch_updates;
  }
  for (const v1::Job& job : updates) {
    if (!writer->Write(job)) break;
  }
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::AnswerControl(
    const char* method, const std::string& job_id, const std::string& reason,
    v1::JobState state, const std::string& state_reason, v1::Job* response) {
  std::lock_guard<std::mutex> lock(mu);
  controls.push_back({method, job_id, reason});
  if (!control_status.ok()) return control_status;
  *response = final_job;
  response->set_state(state);
  response->set_state_reason(
      reason.empty() ? state_reason : absl::StrCat(state_reason, ": ", reason));
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::CancelJob(grpc::ServerContext* context,
                                         const v1::CancelJobRequest* request,
                                         v1::Job* response) {
  if (auto s = Authorize(context, "CancelJob"); !s.ok()) return s;
  return AnswerControl("CancelJob", request->job_id(), request->reason(),
                       v1::JOB_STATE_CANCELLED, "cancelled by admin", response);
}

grpc::Status FakeAdminService::PauseJob(grpc::ServerContext* context,
                                        const v1::PauseJobRequest* request,
                                        v1::Job* response) {
  if (auto s = Authorize(context, "PauseJob"); !s.ok()) return s;
  return AnswerControl("PauseJob", request->job_id(), request->reason(),
                       v1::JOB_STATE_PAUSED, "paused by admin", response);
}

grpc::Status FakeAdminService::ResumeJob(grpc::ServerContext* context,
                                         const v1::ResumeJobRequest* request,
                                         v1::Job* response) {
  if (auto s = Authorize(context, "ResumeJob"); !s.ok()) return s;
  return AnswerControl("ResumeJob", request->job_id(), request->reason(),
                       v1::JOB_STATE_RUNNING, "resumed by admin", response);
}

grpc::Status FakeAdminService::RetryFailed(
    grpc::ServerContext* context, const v1::RetryFailedRequest* request,
    v1::Job* response) {
  if (auto s = Authorize(context, "RetryFailed"); !s.ok()) return s;
  return AnswerControl("RetryFailed", request->job_id(), request->reason(),
                       v1::JOB_STATE_RUNNING,
                       "retrying 1 task (retry-failed by admin)", response);
}

grpc::Status FakeAdminService::UploadArtifact(
    grpc::ServerContext* context,
    grpc::ServerReader<v1::UploadArtifactRequest>* reader,
    v1::Artifact* response) {
  if (auto s = Authorize(context, "UploadArtifact"); !s.ok()) return s;
  v1::UploadArtifactRequest message;
  std::vector<v1::UploadArtifactRequest> received;
  uint64_t size = 0;
  while (reader->Read(&message)) {
    if (message.has_chunk()) size += message.chunk().size();
    received.push_back(message);
  }
  std::lock_guard<std::mutex> lock(mu);
  upload_messages = received;
  if (!upload_status.ok()) return upload_status;
  if (received.empty() || !received[0].has_header()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "header: the first message must be the header");
  }
  response->set_id(std::string(64, 'e'));
  response->set_kind(received[0].header().kind());
  response->set_name(received[0].header().name());
  response->set_size(size);
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::ListArtifacts(
    grpc::ServerContext* context, const v1::ListArtifactsRequest* request,
    v1::ListArtifactsResponse* response) {
  if (auto s = Authorize(context, "ListArtifacts"); !s.ok()) return s;
  v1::Artifact* a = response->add_artifacts();
  a->set_id(std::string(64, 'e'));
  a->set_kind(v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT);
  a->set_name("WindowsDefenderATPOffboardingScript_valid_until_2030-01-01.cmd");
  a->set_size(2048);
  a->set_valid_until("2030-01-01");
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::ListAuditLog(
    grpc::ServerContext* context, const v1::ListAuditLogRequest* request,
    v1::ListAuditLogResponse* response) {
  if (auto s = Authorize(context, "ListAuditLog"); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu);
  audit_requests.push_back(*request);
  if (!audit_status.ok()) return audit_status;
  size_t start = 0;
  if (!request->page_token().empty() &&
      !absl::SimpleAtoi(request->page_token(), &start)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "page_token: malformed");
  }
  const size_t size = request->page_size() == 0 ? 100 : request->page_size();
  const size_t end = std::min(audit_entries.size(), start + size);
  for (size_t i = start; i < end; ++i) {
    *response->add_entries() = audit_entries[i];
  }
  if (end < audit_entries.size()) {
    response->set_next_page_token(absl::StrCat(end));
  }
  return grpc::Status::OK;
}

FakeServer::FakeServer() {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port_);
  builder.RegisterService(&service_);
  server_ = builder.BuildAndStart();
}

FakeServer::~FakeServer() {
  if (server_ != nullptr) server_->Shutdown();
}

std::string FakeServer::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

}  // namespace mdefleet::cli::testing
