// RunnerService over gRPC: enrollment, long-poll, step reports and artifact
// downloads, with the bearer credential in the "authorization" metadata.
// The only place in the runner that knows about gRPC.
#ifndef MDEFLEET_RUNNER_CLIENT_GRPC_RUNNER_API_H_
#define MDEFLEET_RUNNER_CLIENT_GRPC_RUNNER_API_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/rpc_metadata.h"
#include "grpcpp/grpcpp.h"
#include "mdefleet/v1/runner.grpc.pb.h"
#include "runner/client/task_runner.h"
#include "runner/executor/artifact_fetcher.h"

namespace mdefleet::runner {

// grpc::Status -> absl::Status (same codes, same message).
[[nodiscard]] absl::Status FromGrpc(const grpc::Status& status);
// The same, keeping the server's retry delay (the trailing metadata
// "mdefleet-retry-after-ms" of a call refused at its connection limit) as a
// payload RetryAfter() reads.
[[nodiscard]] absl::Status FromGrpc(const grpc::Status& status,
                                    const grpc::ClientContext& context);

inline constexpr char kRetryAfterPayload[] = "type.mdefleet/retry-after-ms";
// Longer delays are ignored (a bad or hostile value must not park a runner).
inline constexpr int64_t kMaxRetryAfterMs = 10 * 60 * 1000;

// The delay the server asked for before retrying, if any.
std::optional<absl::Duration> RetryAfter(const absl::Status& status);

// How the runner's channel is secured.
struct ChannelSecurity {
  // PEM of the only CA the server's certificate may chain to (--ca-cert, or
  // CaCertificatePath by policy); empty: plaintext.
  std::string ca_cert_pem{};
  // The client certificate issued at enrollment and its key (secret),
  // presented to the server when both are set (TLS only).
  std::string client_key_pem{};
  std::string client_certificate_pem{};
};

class GrpcRunnerApi : public StepReporter {
 public:
  // Largest artifact the runner accepts (md4ws.msi is ~100 MB).
  static constexpr uint64_t kMaxArtifactBytes = 512ull << 20;

  // A channel to `server_address` (host:port): TLS pinned to
  // security.ca_cert_pem when set, else plaintext.
  GrpcRunnerApi(std::string server_address, ChannelSecurity security);

  // Whether the channel uses TLS.
  bool tls() const { return !ca_cert_pem_.empty(); }

  // From now on, presents this client certificate (a new TLS channel). Call
  // before other threads use the API (after enrollment, or at start).
  void UseClientCertificate(std::string key_pem, std::string certificate_pem);

  // Enroll with the enrollment secret (never logged).
  [[nodiscard]] absl::StatusOr<v1::EnrollResponse> Enroll(
      absl::string_view enrollment_secret, const v1::EnrollRequest& request);
  // The device token used by every later call.
  void SetDeviceToken(std::string token);

  // Long-poll; the RPC deadline is `max_wait` plus a margin. CancelPending()
  // from another thread ends it early with Cancelled.
  [[nodiscard]] absl::StatusOr<v1::PollTasksResponse> PollTasks(
      const v1::PollTasksRequest& request);

  [[nodiscard]] absl::StatusOr<v1::ReportStepResponse> ReportStep(
      const v1::ReportStepRequest& request) override;
  [[nodiscard]] absl::StatusOr<v1::HeartbeatResponse> Heartbeat(
      const v1::HeartbeatRequest& request) override;
  [[nodiscard]] absl::StatusOr<v1::UploadEvidenceResponse> UploadEvidence(
      const v1::UploadEvidenceRequest& request) override;
  [[nodiscard]] absl::StatusOr<v1::UploadDiagnosticsChunkResponse>
  UploadDiagnosticsChunk(
      const v1::UploadDiagnosticsChunkRequest& request) override;

  // The whole artifact, for a task the device holds. ResourceExhausted above
  // kMaxArtifactBytes; DataLoss when chunks do not add up.
  [[nodiscard]] absl::StatusOr<std::string> FetchArtifact(
      absl::string_view task_id, absl::string_view lease_id,
      absl::string_view artifact_id);

  // A new client certificate for the key of `csr_pem`, with the device token
  // and the certificate presented now (RenewClientCertificate).
  [[nodiscard]] absl::StatusOr<std::string> RenewClientCertificate(
      const std::string& csr_pem);

  // Cancels the RPCs in flight (if any), e.g. on shutdown.
  void CancelPending();

  // A new channel with the same security: the current connection closes
  // once its calls end (while waiting out a server's retry delay the runner
  // holds none of the server's descriptors).
  void Reconnect();

 private:
  // Prepares `context` with the credential and deadline; registers it as an
  // in-flight call (heartbeats run beside fetches).
  void Prepare(grpc::ClientContext* context, absl::string_view credential,
               absl::Duration timeout);
  void Done(grpc::ClientContext* context);
  std::string Token();
  std::shared_ptr<v1::RunnerService::Stub> CurrentStub();
  void Connect(const ChannelSecurity& security);

  const std::string server_address_;
  const std::string ca_cert_pem_;
  absl::Mutex mu_;
  std::shared_ptr<v1::RunnerService::Stub> stub_ ABSL_GUARDED_BY(mu_);
  ChannelSecurity security_ ABSL_GUARDED_BY(mu_);
  std::string token_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<grpc::ClientContext*> in_flight_ ABSL_GUARDED_BY(mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

// ArtifactFetcher for one leased task.
class GrpcArtifactFetcher : public ArtifactFetcher {
 public:
  GrpcArtifactFetcher(GrpcRunnerApi& api, std::string task_id,
                      std::string lease_id)
      : api_(api),
        task_id_(std::move(task_id)),
        lease_id_(std::move(lease_id)) {}
  [[nodiscard]] absl::StatusOr<std::string> Fetch(
      absl::string_view artifact_id) override {
    return api_.FetchArtifact(task_id_, lease_id_, artifact_id);
  }

 private:
  GrpcRunnerApi& api_;
  std::string task_id_;
  std::string lease_id_;
};

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_CLIENT_GRPC_RUNNER_API_H_
