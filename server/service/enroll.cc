// RunnerHandlers::Enroll: a new device for every host that does not prove it
// holds an existing one (enrollment_proof.h). The decisions:
//
//   proven device D (client certificate, or device token on plaintext)
//     D revoked                          -> refused (refused_revoked)
//     secret's scope differs from D's    -> refused (refused_scope)
//     reported host identity is another
//     host's                             -> refused (refused_proof), D flagged
//                                           "runner copied"
//     otherwise                          -> D re-enrolled (reenrolled)
//   no proof, reported host identity held by device E
//     E revoked                          -> refused (refused_revoked)
//     E's identity reset by an admin     -> E taken over, reset used up
//                                           (identity_reset), or refused
//                                           across scopes (refused_scope)
//     otherwise                          -> a new device flagged
//                                           duplicate_identity of E
//                                           (duplicate_identity); E untouched
//   no proof, identity unknown or none   -> a new device (new)
//
// Everything but a plain new device is audited with the enrollment secret as
// the actor and recorded on the device claimed (GetDevice's enrollment), in
// the transaction that acts; a refusal changes nothing else.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/os_family.h"
#include "common/random.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "server/service/client_certificates.h"
#include "server/service/enrollment_proof.h"
#include "server/service/fact_limits.h"
#include "server/service/log.h"
#include "server/service/runner_handlers.h"
#include "server/store/audit.h"
#include "server/store/device_access.h"
#include "server/store/device_certificates.h"
#include "server/store/devices.h"
#include "server/store/enrollment.h"
#include "server/store/time_util.h"

namespace mdefleet::service {
namespace {

std::string ScopeText(const std::map<std::string, std::string>& labels) {
  if (labels.empty()) return "no labels (unscoped)";
  std::vector<std::string> parts;
  for (const auto& [key, value] : labels) {
    parts.push_back(absl::StrCat(key, "=", value));
  }
  return absl::StrJoin(parts, ",");
}

// Everything Enroll decided in its transaction.
struct Decision {
  EnrollOutcome outcome = EnrollOutcome::kNew;
  // Not ok: the enrollment is refused (audited); nothing else changed.
  absl::Status refusal;
  store::EnrollResult result;
  std::string log_line;
};

// Decides and writes one enrollment in the caller's transaction.
class Enrollment {
 public:
  Enrollment(store::Connection& db, const auth::EnrollmentGrant& grant,
             const v1::DeviceFacts& facts, absl::string_view token_hash,
             absl::string_view new_id, int64_t now)
      : db_(db),
        grant_(grant),
        facts_(facts),
        token_hash_(token_hash),
        new_id_(new_id),
        now_(now) {}

  [[nodiscard]] absl::StatusOr<Decision> Proven(const DeviceProof& proof);
  [[nodiscard]] absl::StatusOr<Decision> Unproven();

 private:
  // Audits `action` on `device` with `outcome` and `detail`.
  [[nodiscard]] absl::Status Audit(absl::string_view action,
                                   absl::string_view device,
                                   absl::string_view outcome,
                                   absl::string_view detail);
  // Records a refused claim of `device` (and audits it as `action`); the
  // decision is a refusal with `status`, or, with `new_device`, the new
  // device the claimant got instead.
  [[nodiscard]] absl::Status RefuseClaim(absl::string_view action,
                                         absl::string_view device,
                                         const absl::Status& status,
                                         absl::string_view new_device,
                                         Decision* decision);
  // Enrolls into existing `device` (proof or reset checked) and records it.
  [[nodiscard]] absl::StatusOr<store::EnrollResult> Reenroll(
      const store::EnrollmentStanding& device, absl::string_view kind,
      absl::string_view proof);
  [[nodiscard]] absl::Status ScopeRefusal(
      const store::EnrollmentStanding& device, absl::string_view what);

  store::Connection& db_;
  const auth::EnrollmentGrant& grant_;
  v1::DeviceFacts facts_;
  std::string token_hash_;
  std::string new_id_;
  int64_t now_;
};

absl::Status Enrollment::Audit(absl::string_view action,
                               absl::string_view device,
                               absl::string_view outcome,
                               absl::string_view detail) {
  return store::AppendAudit(db_,
                            {.at = now_,
                             .actor = store::EnrollmentActor(grant_.name),
                             .action = std::string(action),
                             .target = std::string(device),
                             .outcome = std::string(outcome),
                             .detail = std::string(detail),
                             .role = std::string(store::kAuditEnrollmentRole)});
}

absl::Status Enrollment::RefuseClaim(absl::string_view action,
                                     absl::string_view device,
                                     const absl::Status& status,
                                     absl::string_view new_device,
                                     Decision* decision) {
  RETURN_IF_ERROR(store::RecordEnrollmentEvent(
      db_, {.device_id = std::string(device),
            .at = now_,
            .kind = std::string(store::kEnrollmentRefusedClaim),
            .proof = "",
            .secret_name = grant_.name,
            .hostname = facts_.hostname(),
            .new_device_id = std::string(new_device),
            .reason = std::string(status.message())}));
  std::string detail =
      absl::StrCat("host ", facts_.hostname(), ": ", status.message());
  if (!new_device.empty()) {
    absl::StrAppend(&detail, "; enrolled as new device ", new_device,
                    " instead, flagged duplicate_identity");
  }
  RETURN_IF_ERROR(Audit(action, device, store::kAuditRefused, detail));
  if (new_device.empty()) decision->refusal = status;
  decision->log_line =
      absl::StrCat(action, " of device ", device, " by ",
                   store::EnrollmentActor(grant_.name), " refused: ", detail);
  return absl::OkStatus();
}

absl::Status Enrollment::ScopeRefusal(const store::EnrollmentStanding& device,
                                      absl::string_view what) {
  return absl::PermissionDeniedError(absl::StrCat(
      "authorization: ", what,
      " across enrollment-secret scopes is refused: the enrollment secret \"",
      grant_.name, "\" is scoped to ", ScopeText(grant_.scope_labels),
      ", device ", device.device_id, " enrolled with a secret scoped to ",
      ScopeText(device.scope_labels),
      "; enroll it with a secret of the device's scope"));
}

absl::StatusOr<store::EnrollResult> Enrollment::Reenroll(
    const store::EnrollmentStanding& device, absl::string_view kind,
    absl::string_view proof) {
  ASSIGN_OR_RETURN(
      store::EnrollResult result,
      store::ReenrollDevice(db_, device.device_id, facts_, token_hash_, now_));
  RETURN_IF_ERROR(
      store::RecordEnrollmentEvent(db_, {.device_id = device.device_id,
                                         .at = now_,
                                         .kind = std::string(kind),
                                         .proof = std::string(proof),
                                         .secret_name = grant_.name,
                                         .hostname = facts_.hostname(),
                                         .new_device_id = "",
                                         .reason = ""}));
  return result;
}

absl::StatusOr<Decision> Enrollment::Proven(const DeviceProof& proof) {
  Decision decision;
  const store::EnrollmentStanding& device = proof.device;
  const std::string action = std::string(store::kAuditReenrollDevice);
  if (device.revoked) {
    decision.outcome = EnrollOutcome::kRefusedRevoked;
    RETURN_IF_ERROR(
        RefuseClaim(action, device.device_id,
                    absl::PermissionDeniedError(absl::StrCat(
                        "authorization: device ", device.device_id,
                        " was revoked by an admin; it cannot enroll again")),
                    "", &decision));
    return decision;
  }
  if (device.scope_labels != grant_.scope_labels) {
    decision.outcome = EnrollOutcome::kRefusedScope;
    RETURN_IF_ERROR(RefuseClaim(action, device.device_id,
                                ScopeRefusal(device, "re-enrollment"), "",
                                &decision));
    return decision;
  }
  const std::string reported = facts_.host_identity_sha256();
  if (reported.empty()) {
    facts_.set_host_identity_sha256(device.host_identity_sha256);
  } else if (reported != device.host_identity_sha256) {
    std::optional<store::EnrollmentStanding> holder;
    if (device.host_identity_sha256.empty()) {
      ASSIGN_OR_RETURN(holder, store::IdentityHolder(db_, reported));
    }
    if (!device.host_identity_sha256.empty() ||
        (holder && holder->device_id != device.device_id)) {
      // The device's proof came from another machine: a copied state
      // directory (or a key taken from one).
      decision.outcome = EnrollOutcome::kRefusedProof;
      RETURN_IF_ERROR(
          store::RecordRunnerClone(db_, device.device_id, reported, now_)
              .status());
      RETURN_IF_ERROR(RefuseClaim(
          action, device.device_id,
          absl::PermissionDeniedError(absl::StrCat(
              "facts.host_identity: the ", proof.method, " of device ",
              device.device_id,
              " was presented by another host (its host identity differs): a "
              "copied runner state directory; delete the state directory on "
              "this host and restart the runner to enroll it as a new "
              "device")),
          "", &decision));
      return decision;
    }
  }
  ASSIGN_OR_RETURN(
      decision.result,
      Reenroll(device, store::kEnrollmentReenrolled, proof.method));
  RETURN_IF_ERROR(
      store::SetDeviceScopeLabels(db_, device.device_id, grant_.scope_labels));
  RETURN_IF_ERROR(Audit(
      action, device.device_id, store::kAuditOk,
      absl::StrCat("host ", facts_.hostname(),
                   " proved it holds the device with its ", proof.method)));
  decision.outcome = EnrollOutcome::kReenrolled;
  decision.log_line = absl::StrCat(
      "re-enrolled device ", device.device_id, " ", facts_.hostname(), " (",
      OsFamilyName(facts_.os_family()), "): proved with its ", proof.method);
  return decision;
}

absl::StatusOr<Decision> Enrollment::Unproven() {
  Decision decision;
  ASSIGN_OR_RETURN(std::optional<store::EnrollmentStanding> holder,
                   store::IdentityHolder(db_, facts_.host_identity_sha256()));
  if (holder && holder->revoked) {
    decision.outcome = EnrollOutcome::kRefusedRevoked;
    RETURN_IF_ERROR(RefuseClaim(
        store::kAuditClaimHostIdentity, holder->device_id,
        absl::PermissionDeniedError(absl::StrCat(
            "authorization: this host is device ", holder->device_id,
            ", which an admin revoked; it cannot enroll again")),
        "", &decision));
    return decision;
  }
  if (holder && holder->identity_reset_pending) {
    const std::string action = std::string(store::kAuditTakeOverDevice);
    if (holder->scope_labels != grant_.scope_labels) {
      decision.outcome = EnrollOutcome::kRefusedScope;
      RETURN_IF_ERROR(RefuseClaim(action, holder->device_id,
                                  ScopeRefusal(*holder, "a takeover"), "",
                                  &decision));
      return decision;
    }
    ASSIGN_OR_RETURN(decision.result,
                     Reenroll(*holder, store::kEnrollmentIdentityReset, ""));
    RETURN_IF_ERROR(store::SetDeviceScopeLabels(db_, holder->device_id,
                                                grant_.scope_labels));
    RETURN_IF_ERROR(
        Audit(action, holder->device_id, store::kAuditOk,
              absl::StrCat("host ", facts_.hostname(),
                           " took the device over after an admin reset its "
                           "identity (one use, now used up)")));
    decision.outcome = EnrollOutcome::kIdentityReset;
    decision.log_line = absl::StrCat(
        "device ", holder->device_id, " taken over by host ", facts_.hostname(),
        " after an identity reset (", store::EnrollmentActor(grant_.name), ")");
    return decision;
  }
  const std::string duplicate_of = holder ? holder->device_id : "";
  ASSIGN_OR_RETURN(decision.result,
                   store::CreateDevice(db_, facts_, token_hash_, new_id_,
                                       duplicate_of, now_));
  RETURN_IF_ERROR(
      store::SetDeviceScopeLabels(db_, new_id_, grant_.scope_labels));
  if (holder) {
    decision.outcome = EnrollOutcome::kDuplicateIdentity;
    RETURN_IF_ERROR(RefuseClaim(
        store::kAuditClaimHostIdentity, holder->device_id,
        absl::PermissionDeniedError(absl::StrCat(
            "reported the host identity of device ", holder->device_id,
            " without proving it holds that device")),
        new_id_, &decision));
    return decision;
  }
  decision.outcome = EnrollOutcome::kNew;
  decision.log_line =
      absl::StrCat("enrolled device ", new_id_, " ", facts_.hostname(), " (",
                   OsFamilyName(facts_.os_family()), ")");
  return decision;
}

}  // namespace

absl::string_view EnrollOutcomeName(EnrollOutcome outcome) {
  switch (outcome) {
    case EnrollOutcome::kNew:
      return "new";
    case EnrollOutcome::kReenrolled:
      return "reenrolled";
    case EnrollOutcome::kIdentityReset:
      return "identity_reset";
    case EnrollOutcome::kDuplicateIdentity:
      return "duplicate_identity";
    case EnrollOutcome::kRefusedScope:
      return "refused_scope";
    case EnrollOutcome::kRefusedRevoked:
      return "refused_revoked";
    case EnrollOutcome::kRefusedProof:
      return "refused_proof";
  }
  return "new";
}

void RunnerHandlers::CountEnrollment(EnrollOutcome outcome) {
  if (options_.enrollments == nullptr) return;
  options_.enrollments
      ->Add({{"outcome", std::string(EnrollOutcomeName(outcome))}})
      .Increment();
}

absl::StatusOr<v1::EnrollResponse> RunnerHandlers::Enroll(
    absl::string_view authorization, const v1::EnrollRequest& request,
    const PeerIdentity& peer) {
  ASSIGN_OR_RETURN(const auth::EnrollmentGrant grant,
                   auth_.RequireEnrollment(authorization));
  RETURN_IF_ERROR(CheckEnrollmentCsr(options_.client_ca, peer, request,
                                     options_.require_client_certificate));
  RETURN_IF_ERROR(CheckDeviceFacts(request.facts(), "facts"));
  v1::DeviceFacts facts = WithDerivedFacts(request.facts());
  store::HashHostIdentity(&facts);
  if (facts.hostname().empty()) {
    return absl::InvalidArgumentError("facts.hostname: required");
  }
  for (const auto& [key, value] : grant.scope_labels) {
    auto claimed = facts.labels().find(key);
    if (claimed != facts.labels().end() && claimed->second != value) {
      return absl::PermissionDeniedError(
          absl::StrCat("facts.labels[", key, "]: the enrollment secret \"",
                       grant.name, "\" is scoped to ", key, "=", value));
    }
  }
  for (const auto& [key, value] : grant.scope_labels) {
    (*facts.mutable_labels())[key] = value;
  }
  const std::string token = RandomToken(auth::kDevicePrefix, 32);
  const std::string hash = Sha256Hex(token);
  const std::string new_id = absl::StrCat("dev-", RandomHex(8));
  const int64_t now = store::ToMicros(clock_.Now());
  Decision decision;
  std::optional<std::string> certificate;
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
    decision = Decision();  // a retried transaction starts over
    certificate.reset();
    absl::StatusOr<std::optional<DeviceProof>> proof =
        ProvenDevice(db, options_.client_ca, peer, request, clock_.Now());
    if (!proof.ok()) {
      if (!absl::IsInvalidArgument(proof.status()) &&
          !absl::IsPermissionDenied(proof.status())) {
        return proof.status();
      }
      // A proof that proves nothing: refused, nothing written.
      decision.outcome = EnrollOutcome::kRefusedProof;
      decision.refusal = proof.status();
      decision.log_line =
          absl::StrCat("enrollment of host ", facts.hostname(), " by ",
                       store::EnrollmentActor(grant.name),
                       " refused: ", proof.status().message());
      return absl::OkStatus();
    }
    Enrollment enrollment(db, grant, facts, hash, new_id, now);
    if (*proof) {
      ASSIGN_OR_RETURN(decision, enrollment.Proven(**proof));
    } else {
      ASSIGN_OR_RETURN(decision, enrollment.Unproven());
    }
    if (!decision.refusal.ok()) return absl::OkStatus();
    // The device is bound to the certificate issued now (or to none): an
    // earlier one of a re-enrolled device stops working.
    ASSIGN_OR_RETURN(certificate, IssueEnrollmentCertificate(
                                      options_.client_ca, peer, request,
                                      decision.result.device_id, clock_.Now(),
                                      options_.client_certificate_lifetime));
    std::optional<store::CertificateRecord> record;
    if (certificate) {
      ASSIGN_OR_RETURN(const tls::ClientCertificateInfo issued,
                       tls::ReadClientCertificate(*certificate));
      record = RecordOf(issued);
    }
    return store::SetCurrentCertificate(db, decision.result.device_id, record,
                                        now);
  }));
  CountEnrollment(decision.outcome);
  if (!decision.log_line.empty()) LogEvent(decision.log_line);
  if (!decision.refusal.ok()) return decision.refusal;
  LogNewClone(decision.result.device_id, facts.hostname(),
              decision.result.new_clone_of);
  v1::EnrollResponse response;
  response.set_device_id(decision.result.device_id);
  response.set_device_token(token);
  if (certificate) response.set_client_certificate_pem(*std::move(certificate));
  return response;
}

}  // namespace mdefleet::service
