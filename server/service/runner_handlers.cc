#include "server/service/runner_handlers.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/evidence_limits.h"
#include "common/gzip.h"
#include "common/os_family.h"
#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "mdefleet/v1/plan.pb.h"
#include "server/scheduler/leasing.h"
#include "server/service/client_certificates.h"
#include "server/service/fact_limits.h"
#include "server/service/log.h"
#include "server/store/artifacts.h"
#include "server/store/device_access.h"
#include "server/store/device_certificates.h"
#include "server/store/devices.h"
#include "server/store/evidence.h"
#include "server/store/heartbeat.h"
#include "server/store/held_lease.h"
#include "server/store/lease.h"
#include "server/store/step_reports.h"
#include "server/store/time_util.h"

namespace mdefleet::service {
namespace {

// The labels an enrollment secret fixed win over what the runner claims.
void ApplyScopeLabels(const std::map<std::string, std::string>& scope,
                      v1::DeviceFacts* facts) {
  for (const auto& [key, value] : scope)
    (*facts->mutable_labels())[key] = value;
}

bool HasFacts(const v1::DeviceFacts& facts) {
  return !facts.hostname().empty() || !facts.os_version().empty();
}

}  // namespace

void LogNewClone(absl::string_view device_id, absl::string_view hostname,
                 const std::vector<std::string>& others) {
  if (others.empty()) return;
  LogEvent(absl::StrCat(
      "device ", device_id, " (", hostname, ") reports the same senseGuid as ",
      absl::StrJoin(others, ", "),
      ": cloned from one image without image preparation; Defender flags "
      "this as spoofing (CVE-2022-23278): run image_prep on the clones"));
}

v1::DeviceFacts WithDerivedFacts(const v1::DeviceFacts& facts) {
  v1::DeviceFacts out = facts;
  out.set_os_family(OsFamilyFromVersion(facts.os_version()));
  if (out.os_build() == 0)
    out.set_os_build(OsBuildFromVersion(facts.os_version()));
  out.set_mde_state(DeriveMdeState(out));
  return out;
}

absl::Status RunnerHandlers::CheckCertificate(
    const store::DeviceCredential& device, const PeerIdentity& peer,
    bool required) {
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(CertificateMatch match,
                   MatchDeviceCertificate(device.device_id, device.certificates,
                                          peer, required, now));
  if (match != CertificateMatch::kNext && match != CertificateMatch::kAdopted) {
    return absl::OkStatus();
  }
  // Once per renewal (or per device enrolled before certificates were
  // recorded): checked again and recorded in one transaction.
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(match, CheckDeviceCertificate(db, device.device_id, peer,
                                                   required, now));
    return absl::OkStatus();
  }));
  const std::string change =
      DescribeCertificateChange(device.device_id, match, peer);
  if (!change.empty()) LogEvent(change);
  return absl::OkStatus();
}

absl::StatusOr<std::string> RunnerHandlers::AuthenticateDevice(
    absl::string_view authorization, const PeerIdentity& peer) {
  ASSIGN_OR_RETURN(store::DeviceCredential device,
                   auth_.RequireDeviceCredential(authorization));
  RETURN_IF_ERROR(
      CheckCertificate(device, peer, options_.require_client_certificate));
  return std::move(device.device_id);
}

absl::StatusOr<v1::RenewClientCertificateResponse>
RunnerHandlers::RenewClientCertificate(
    absl::string_view authorization,
    const v1::RenewClientCertificateRequest& request,
    const PeerIdentity& peer) {
  ASSIGN_OR_RETURN(store::DeviceCredential device,
                   auth_.RequireDeviceCredential(authorization));
  // The current certificate is the proof of the key, whatever the server's
  // setting: a token alone never gets a certificate.
  RETURN_IF_ERROR(CheckCertificate(device, peer, /*required=*/true));
  const std::string& device_id = device.device_id;
  if (options_.client_ca == nullptr || !peer.tls) {
    return absl::FailedPreconditionError(
        "this server cannot issue client certificates (no CA key in its TLS "
        "directory)");
  }
  ASSIGN_OR_RETURN(const std::string key_sha256,
                   tls::CsrKeySha256(request.csr_pem()));
  if (key_sha256 == peer.certificate_key_sha256) {
    return absl::InvalidArgumentError(
        "csr_pem: the request is for the key of the current certificate; a "
        "renewal needs a new key");
  }
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(std::string pem, options_.client_ca->IssueClientCertificate(
                                        request.csr_pem(), device_id, now,
                                        options_.client_certificate_lifetime));
  ASSIGN_OR_RETURN(const tls::ClientCertificateInfo issued,
                   tls::ReadClientCertificate(pem));
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
    // Still the device's current certificate: a revocation, re-enrollment
    // or renewal may have come in between.
    ASSIGN_OR_RETURN(CertificateMatch match,
                     CheckDeviceCertificate(db, device_id, peer,
                                            /*required=*/true, now));
    if (match != CertificateMatch::kCurrent) {
      return absl::AbortedError("client certificate changed; renew again");
    }
    return store::SetNextCertificate(db, device_id, RecordOf(issued));
  }));
  if (options_.certificate_renewals != nullptr) {
    options_.certificate_renewals->Increment();
  }
  LogEvent(absl::StrCat("device ", device_id,
                        " renewed its client certificate: serial ",
                        issued.serial, " valid until ",
                        absl::FormatTime("%Y-%m-%d %H:%M:%S UTC",
                                         issued.not_after, absl::UTCTimeZone()),
                        "; the previous one (serial ", peer.certificate_serial,
                        ") works until the new one is first presented"));
  v1::RenewClientCertificateResponse response;
  response.set_client_certificate_pem(std::move(pem));
  return response;
}

absl::Duration RunnerHandlers::PollWait(
    const v1::PollTasksRequest& request) const {
  if (!request.has_max_wait()) return options_.poll_timeout;
  absl::Duration wait = absl::Seconds(request.max_wait().seconds()) +
                        absl::Nanoseconds(request.max_wait().nanos());
  if (wait < absl::ZeroDuration()) wait = absl::ZeroDuration();
  return std::min(wait, options_.poll_timeout);
}

absl::StatusOr<v1::PollTasksResponse> RunnerHandlers::PollOnce(
    absl::string_view device_id, const v1::PollTasksRequest& request) {
  std::optional<v1::DeviceFacts> reported;
  if (HasFacts(request.facts())) {
    RETURN_IF_ERROR(CheckDeviceFacts(request.facts(), "facts"));
    reported = WithDerivedFacts(request.facts());
    store::HashHostIdentity(&*reported);
  }
  if (options_.seen != nullptr) {
    const int64_t now = store::ToMicros(clock_.Now());
    ASSIGN_OR_RETURN(const bool idle, IdlePoll(device_id, reported, now));
    if (idle) {
      options_.seen->Record(device_id, now);
      return v1::PollTasksResponse();
    }
  }
  return Lease(device_id, /*refresh=*/true, std::move(reported));
}

absl::StatusOr<bool> RunnerHandlers::IdlePoll(
    absl::string_view device_id, const std::optional<v1::DeviceFacts>& reported,
    int64_t now) {
  bool idle = false;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<store::DeviceRow> device,
                     store::GetDevice(db, device_id));
    if (!device) return absl::OkStatus();
    v1::DeviceFacts facts = std::move(device->facts);
    if (reported) {
      // As Lease does: another host's identity is the write path's to
      // record; the stored identity and the scope labels are kept.
      if (!reported->host_identity_sha256().empty() &&
          reported->host_identity_sha256() != facts.host_identity_sha256()) {
        return absl::OkStatus();
      }
      v1::DeviceFacts merged = *reported;
      merged.set_host_identity_sha256(facts.host_identity_sha256());
      ASSIGN_OR_RETURN(store::DeviceAccess access,
                       store::GetDeviceAccess(db, device_id));
      ApplyScopeLabels(access.scope_labels, &merged);
      ASSIGN_OR_RETURN(const bool same,
                       store::StoredFactsMatch(db, device_id, merged));
      if (!same) return absl::OkStatus();
      facts = std::move(merged);
    }
    store::SqliteLeaseStore leases(db, /*effects=*/nullptr);
    ASSIGN_OR_RETURN(const bool work,
                     scheduler::HasLeasableTask(leases, device_id, facts, now,
                                                options_.max_tasks_in_flight));
    idle = !work;
    return absl::OkStatus();
  }));
  return idle;
}

absl::StatusOr<v1::PollTasksResponse> RunnerHandlers::TryLease(
    absl::string_view device_id) {
  return Lease(device_id, /*refresh=*/false, std::nullopt);
}

absl::StatusOr<v1::PollTasksResponse> RunnerHandlers::Lease(
    absl::string_view device_id, bool refresh,
    std::optional<v1::DeviceFacts> reported) {
  const int64_t now = store::ToMicros(clock_.Now());
  std::optional<v1::LeasedTask> task;
  store::WriteEffects effects;
  std::vector<std::string> new_clone_of;
  bool copied_runner = false;
  bool first_copy = false;
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
    new_clone_of.clear();  // a retried transaction starts over
    copied_runner = false;
    ASSIGN_OR_RETURN(std::optional<store::DeviceRow> device,
                     store::GetDevice(db, device_id));
    if (!device)
      return absl::UnauthenticatedError("authorization: unknown device");
    v1::DeviceFacts facts = device->facts;
    if (reported) {
      if (!reported->host_identity_sha256().empty() &&
          reported->host_identity_sha256() !=
              device->facts.host_identity_sha256()) {
        // The token came from another machine: a copied state directory.
        // Recorded (committed) and refused, never served.
        copied_runner = true;
        ASSIGN_OR_RETURN(
            first_copy,
            store::RecordRunnerClone(db, device_id,
                                     reported->host_identity_sha256(), now));
        return absl::OkStatus();
      }
      // The stored identity is what enrollment matched on; keep it.
      reported->set_host_identity_sha256(device->facts.host_identity_sha256());
      ASSIGN_OR_RETURN(store::DeviceAccess access,
                       store::GetDeviceAccess(db, device_id));
      ApplyScopeLabels(access.scope_labels, &*reported);
      facts = *reported;
    }
    if (refresh) {
      RETURN_IF_ERROR(store::RefreshDevice(
          db, device_id, reported ? &facts : nullptr, now, &new_clone_of));
    }
    store::SqliteLeaseStore leases(db, &effects);
    ASSIGN_OR_RETURN(
        task, scheduler::LeaseTaskForDevice(
                  leases, device_id, facts, now,
                  {.server_lease = options_.lease_duration,
                   .max_tasks_in_flight = options_.max_tasks_in_flight}));
    return absl::OkStatus();
  }));
  if (copied_runner) {
    if (first_copy) {
      LogEvent(absl::StrCat(
          "device ", device_id, ": its token was presented by another host (",
          reported->hostname(),
          "): a copied runner state directory; its calls are refused"));
    }
    return absl::PermissionDeniedError(absl::StrCat(
        "authorization: the token of device ", device_id,
        " belongs to another host; this runner's state directory was copied "
        "from it: delete the state directory and restart the runner to "
        "enroll this host"));
  }
  hub_.Publish(effects);
  if (reported) LogNewClone(device_id, reported->hostname(), new_clone_of);
  v1::PollTasksResponse response;
  if (task) *response.add_tasks() = std::move(*task);
  return response;
}

absl::StatusOr<v1::ReportStepResponse> RunnerHandlers::ReportStep(
    absl::string_view authorization, const v1::ReportStepRequest& request,
    const PeerIdentity& peer) {
  ASSIGN_OR_RETURN(std::string device_id,
                   AuthenticateDevice(authorization, peer));
  const int64_t now = store::ToMicros(clock_.Now());
  const bool has_facts = HasFacts(request.facts());
  if (has_facts) RETURN_IF_ERROR(CheckDeviceFacts(request.facts(), "facts"));
  v1::DeviceFacts facts;
  if (has_facts) {
    facts = WithDerivedFacts(request.facts());
    store::HashHostIdentity(&facts);
  }
  store::ReportOutcome outcome;
  store::WriteEffects effects;
  std::vector<std::string> new_clone_of;
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
    new_clone_of.clear();
    ASSIGN_OR_RETURN(outcome,
                     store::ApplyStepReport(db, device_id, request, now,
                                            options_.lease_duration, &effects));
    if (has_facts && !outcome.repeat) {
      ASSIGN_OR_RETURN(std::optional<store::DeviceRow> device,
                       store::GetDevice(db, device_id));
      if (device) {
        facts.set_host_identity_sha256(device->facts.host_identity_sha256());
      }
      ASSIGN_OR_RETURN(store::DeviceAccess access,
                       store::GetDeviceAccess(db, device_id));
      ApplyScopeLabels(access.scope_labels, &facts);
      RETURN_IF_ERROR(
          store::RefreshDevice(db, device_id, &facts, now, &new_clone_of));
    }
    return absl::OkStatus();
  }));
  hub_.Publish(effects);
  LogNewClone(device_id, facts.hostname(), new_clone_of);
  v1::ReportStepResponse response;
  response.set_cancel(outcome.cancel);
  response.set_cancel_reason(outcome.cancel_reason);
  if (outcome.retried) {
    LogEvent(absl::StrCat("task ", request.task_id(), " attempt ",
                          request.attempt(),
                          " failed with a retryable failure: queued again"));
  }
  return response;
}

absl::StatusOr<v1::UploadEvidenceResponse> RunnerHandlers::UploadEvidence(
    absl::string_view authorization, const v1::UploadEvidenceRequest& request,
    const PeerIdentity& peer) {
  ASSIGN_OR_RETURN(std::string device_id,
                   AuthenticateDevice(authorization, peer));
  RETURN_IF_ERROR(ValidateEvidenceUpload(request));
  // Opened one at a time: what is stored is what an operator can read, and
  // no file holds more than the bound (a small upload cannot inflate).
  for (int i = 0; i < request.files_size(); ++i) {
    absl::StatusOr<std::string> content =
        GzipDecompress(request.files(i).gzip_content(), kMaxEvidenceFileBytes);
    if (!content.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "files[", i, "].gzip_content: ", content.status().message()));
    }
  }
  const int64_t now = store::ToMicros(clock_.Now());
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
    RETURN_IF_ERROR(store::SaveEvidence(db, device_id, request, now));
    return store::RefreshDevice(db, device_id, nullptr, now);
  }));
  return v1::UploadEvidenceResponse();
}

absl::StatusOr<v1::HeartbeatResponse> RunnerHandlers::Heartbeat(
    absl::string_view authorization, const v1::HeartbeatRequest& request,
    const PeerIdentity& peer) {
  ASSIGN_OR_RETURN(std::string device_id,
                   AuthenticateDevice(authorization, peer));
  const int64_t now = store::ToMicros(clock_.Now());
  store::HeartbeatOutcome outcome;
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(outcome, store::ApplyHeartbeat(db, device_id, request, now,
                                                    options_.lease_duration));
    return store::RefreshDevice(db, device_id, nullptr, now);
  }));
  v1::HeartbeatResponse response;
  response.set_cancel(outcome.cancel);
  response.set_cancel_reason(outcome.cancel_reason);
  response.mutable_lease_remaining()->set_seconds(
      absl::ToInt64Seconds(outcome.lease_remaining));
  return response;
}

absl::Status RunnerHandlers::FetchArtifact(
    absl::string_view authorization, const v1::FetchArtifactRequest& request,
    absl::FunctionRef<bool(const v1::ArtifactChunk&)> write,
    const PeerIdentity& peer) {
  ASSIGN_OR_RETURN(std::string device_id,
                   AuthenticateDevice(authorization, peer));
  const int64_t now = store::ToMicros(clock_.Now());
  std::optional<store::ArtifactLocation> where;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<store::TaskLeaseRecord> task,
                     store::ReadTaskLease(db, request.task_id()));
    if (!task) return store::LeaseLost(request.task_id(), "does not exist");
    if (task->device_id != device_id ||
        (task->state != v1::TASK_STATE_LEASED &&
         task->state != v1::TASK_STATE_RUNNING) ||
        task->lease_id != request.lease_id() || task->lease_expires_at <= now) {
      return store::LeaseLost(request.task_id(), "is not held by this device");
    }
    v1::Plan plan;
    if (!plan.ParseFromString(task->plan)) {
      return absl::DataLossError("unreadable plan");
    }
    bool referenced = false;
    for (const v1::PlannedStep& step : plan.steps()) {
      if (step.action().has_fetch_artifact() &&
          step.action().fetch_artifact().artifact_id() ==
              request.artifact_id()) {
        referenced = true;
      }
    }
    if (!referenced) {
      return absl::PermissionDeniedError(
          absl::StrCat("artifact_id: task ", request.task_id(),
                       " does not use artifact ", request.artifact_id()));
    }
    ASSIGN_OR_RETURN(where, store::LocateArtifact(db, request.artifact_id()));
    if (!where) {
      return absl::NotFoundError(
          absl::StrCat("artifact_id: no artifact ", request.artifact_id()));
    }
    return absl::OkStatus();
  }));
  int64_t offset = 0;
  do {
    std::string bytes;
    RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
      ASSIGN_OR_RETURN(bytes, store::ReadArtifactBytes(db, *where, offset,
                                                       kArtifactChunkSize));
      return absl::OkStatus();
    }));
    v1::ArtifactChunk chunk;
    chunk.set_offset(static_cast<uint64_t>(offset));
    chunk.set_total_size(static_cast<uint64_t>(where->size));
    offset += static_cast<int64_t>(bytes.size());
    chunk.set_data(std::move(bytes));
    if (!write(chunk)) {
      return absl::CancelledError("artifact stream closed by the client");
    }
  } while (offset < where->size);
  return absl::OkStatus();
}

}  // namespace mdefleet::service
