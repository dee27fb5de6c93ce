#include "runner/client/grpc_runner_api.h"

#include <chrono>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace mdefleet::runner {
namespace {

constexpr absl::Duration kUnaryTimeout = absl::Seconds(30);
constexpr absl::Duration kPollMargin = absl::Seconds(15);
constexpr absl::Duration kFetchTimeout = absl::Minutes(10);

}  // namespace

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

absl::Status FromGrpc(const grpc::Status& status,
                      const grpc::ClientContext& context) {
  absl::Status out = FromGrpc(status);
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(kRetryAfterMetadata);
  int64_t ms = 0;
  if (!out.ok() && it != trailers.end() &&
      absl::SimpleAtoi(absl::string_view(it->second.data(), it->second.size()),
                       &ms) &&
      ms > 0 && ms <= kMaxRetryAfterMs) {
    out.SetPayload(kRetryAfterPayload, absl::Cord(absl::StrCat(ms)));
  }
  return out;
}

std::optional<absl::Duration> RetryAfter(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryAfterPayload);
  int64_t ms = 0;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &ms) || ms <= 0) {
    return std::nullopt;
  }
  return absl::Milliseconds(ms);
}

void GrpcRunnerApi::Reconnect() {
  ChannelSecurity security;
  {
    absl::MutexLock lock(&mu_);
    security = security_;
  }
  Connect(security);
}

GrpcRunnerApi::GrpcRunnerApi(std::string server_address,
                             ChannelSecurity security)
    : server_address_(std::move(server_address)),
      ca_cert_pem_(security.ca_cert_pem) {
  Connect(security);
}

void GrpcRunnerApi::Connect(const ChannelSecurity& security) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  // A connection of its own, as one machine has (a simulated fleet runs many
  // devices in one process), and really closed by Reconnect().
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (security.ca_cert_pem.empty()) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = security.ca_cert_pem;  // the only trusted root
    if (!security.client_key_pem.empty() &&
        !security.client_certificate_pem.empty()) {
      ssl.pem_private_key = security.client_key_pem;
      ssl.pem_cert_chain = security.client_certificate_pem;
    }
    credentials = grpc::SslCredentials(ssl);
  }
  std::shared_ptr<v1::RunnerService::Stub> stub = v1::RunnerService::NewStub(
      grpc::CreateCustomChannel(server_address_, credentials, args));
  absl::MutexLock lock(&mu_);
  stub_ = std::move(stub);
  security_ = security;
}

void GrpcRunnerApi::UseClientCertificate(std::string key_pem,
                                         std::string certificate_pem) {
  Connect({.ca_cert_pem = ca_cert_pem_,
           .client_key_pem = std::move(key_pem),
           .client_certificate_pem = std::move(certificate_pem)});
}

std::shared_ptr<v1::RunnerService::Stub> GrpcRunnerApi::CurrentStub() {
  absl::MutexLock lock(&mu_);
  return stub_;
}

void GrpcRunnerApi::SetDeviceToken(std::string token) {
  absl::MutexLock lock(&mu_);
  token_ = std::move(token);
}

void GrpcRunnerApi::Prepare(grpc::ClientContext* context,
                            absl::string_view credential,
                            absl::Duration timeout) {
  context->AddMetadata("authorization", absl::StrCat("Bearer ", credential));
  absl::MutexLock lock(&mu_);
  if (cancelled_) timeout = absl::ZeroDuration();
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  in_flight_.insert(context);
}

void GrpcRunnerApi::Done(grpc::ClientContext* context) {
  absl::MutexLock lock(&mu_);
  in_flight_.erase(context);
}

std::string GrpcRunnerApi::Token() {
  absl::MutexLock lock(&mu_);
  return token_;
}

void GrpcRunnerApi::CancelPending() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  for (grpc::ClientContext* context : in_flight_) context->TryCancel();
}

absl::StatusOr<v1::EnrollResponse> GrpcRunnerApi::Enroll(
    absl::string_view enrollment_secret, const v1::EnrollRequest& request) {
  grpc::ClientContext context;
  Prepare(&context, enrollment_secret, kUnaryTimeout);
  v1::EnrollResponse response;
  grpc::Status status = CurrentStub()->Enroll(&context, request, &response);
  Done(&context);
  if (!status.ok()) return FromGrpc(status, context);
  return response;
}

absl::StatusOr<v1::PollTasksResponse> GrpcRunnerApi::PollTasks(
    const v1::PollTasksRequest& request) {
  grpc::ClientContext context;
  const std::string token = Token();
  const absl::Duration wait = absl::Seconds(request.max_wait().seconds()) +
                              absl::Nanoseconds(request.max_wait().nanos());
  Prepare(&context, token, wait + kPollMargin);
  v1::PollTasksResponse response;
  grpc::Status status = CurrentStub()->PollTasks(&context, request, &response);
  Done(&context);
  if (!status.ok()) return FromGrpc(status, context);
  return response;
}

absl::StatusOr<v1::ReportStepResponse> GrpcRunnerApi::ReportStep(
    const v1::ReportStepRequest& request) {
  grpc::ClientContext context;
  const std::string token = Token();
  Prepare(&context, token, kUnaryTimeout);
  v1::ReportStepResponse response;
  grpc::Status status = CurrentStub()->ReportStep(&context, request, &response);
  Done(&context);
  if (!status.ok()) return FromGrpc(status);
  return response;
}

absl::StatusOr<v1::HeartbeatResponse> GrpcRunnerApi::Heartbeat(
    const v1::HeartbeatRequest& request) {
  grpc::ClientContext context;
  Prepare(&context, Token(), kUnaryTimeout);
  v1::HeartbeatResponse response;
  grpc::Status status = CurrentStub()->Heartbeat(&context, request, &response);
  Done(&context);
  if (!status.ok()) return FromGrpc(status);
  return response;
}

absl::StatusOr<v1::UploadEvidenceResponse> GrpcRunnerApi::UploadEvidence(
    const v1::UploadEvidenceRequest& request) {
  grpc::ClientContext context;
  Prepare(&context, Token(), kUnaryTimeout);
  v1::UploadEvidenceResponse response;
  grpc::Status status =
      CurrentStub()->UploadEvidence(&context, request, &response);
  Done(&context);
  if (!status.ok()) return FromGrpc(status);
  return response;
}

absl::StatusOr<v1::UploadDiagnosticsChunkResponse>
GrpcRunnerApi::UploadDiagnosticsChunk(
    const v1::UploadDiagnosticsChunkRequest& request) {
  grpc::ClientContext context;
  Prepare(&context, Token(), kUnaryTimeout);
  v1::UploadDiagnosticsChunkResponse response;
  grpc::Status status =
      CurrentStub()->UploadDiagnosticsChunk(&context, request, &response);
  Done(&context);
  if (!status.ok()) return FromGrpc(status);
  return response;
}

absl::StatusOr<std::string> GrpcRunnerApi::RenewClientCertificate(
    const std::string& csr_pem) {
  grpc::ClientContext context;
  Prepare(&context, Token(), kUnaryTimeout);
  v1::RenewClientCertificateRequest request;
  request.set_csr_pem(csr_pem);
  v1::RenewClientCertificateResponse response;
  grpc::Status status =
      CurrentStub()->RenewClientCertificate(&context, request, &response);
  Done(&context);
  if (!status.ok()) return FromGrpc(status);
  return std::move(*response.mutable_client_certificate_pem());
}

absl::StatusOr<std::string> GrpcRunnerApi::FetchArtifact(
    absl::string_view task_id, absl::string_view lease_id,
    absl::string_view artifact_id) {
  grpc::ClientContext context;
  const std::string token = Token();
  Prepare(&context, token, kFetchTimeout);
  v1::FetchArtifactRequest request;
  request.set_task_id(std::string(task_id));
  request.set_lease_id(std::string(lease_id));
  request.set_artifact_id(std::string(artifact_id));
  std::shared_ptr<v1::RunnerService::Stub> stub = CurrentStub();
  auto reader = stub->FetchArtifact(&context, request);
  std::string content;
  v1::ArtifactChunk chunk;
  absl::Status problem;
  uint64_t announced = 0;
  while (reader->Read(&chunk)) {
    if (!problem.ok()) continue;  // drain
    announced = chunk.total_size();
    if (chunk.total_size() > kMaxArtifactBytes) {
      problem = absl::ResourceExhaustedError(
          absl::StrCat("artifact is ", chunk.total_size(),
                       " bytes; the runner accepts at "
                       "most ",
                       kMaxArtifactBytes));
      context.TryCancel();
    } else if (chunk.offset() != content.size()) {
      problem = absl::DataLossError(absl::StrCat("artifact chunk at offset ",
                                                 chunk.offset(), ", expected ",
                                                 content.size()));
      context.TryCancel();
    } else {
      content += chunk.data();
      if (content.size() > chunk.total_size()) {
        problem = absl::DataLossError("artifact is larger than announced");
        context.TryCancel();
      }
    }
  }
  grpc::Status status = reader->Finish();
  Done(&context);
  if (!problem.ok()) return problem;
  if (!status.ok()) return FromGrpc(status);
  if (announced != content.size()) {
    return absl::DataLossError(absl::StrCat("artifact stream ended after ",
                                            content.size(), " of ", announced,
                                            " bytes"));
  }
  return content;
}

}  // namespace mdefleet::runner
