#include "server/store/enrollment.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/store/credentials.h"
#include "server/store/time_util.h"

namespace mdefleet::store {
namespace {

// Reads the columns id, hostname, revoked_at IS NOT NULL, scope_labels,
// host_identity_sha256, duplicate_of, identity_reset_at IS NOT NULL.
EnrollmentStanding ReadStanding(const Statement& st) {
  EnrollmentStanding out;
  out.device_id = st.ColumnText(0);
  out.hostname = st.ColumnText(1);
  out.revoked = st.ColumnInt(2) != 0;
  out.scope_labels = DecodeScopeLabels(st.ColumnText(3));
  out.host_identity_sha256 = st.ColumnText(4);
  out.duplicate_of = st.ColumnText(5);
  out.identity_reset_pending = st.ColumnInt(6) != 0;
  return out;
}

[[nodiscard]] absl::Status NoDevice(absl::string_view device_id) {
  return absl::NotFoundError(
      absl::StrCat("device_id: no device \"", device_id, "\""));
}

}  // namespace

absl::StatusOr<std::optional<EnrollmentStanding>> IdentityHolder(
    Connection& db, absl::string_view host_identity_sha256) {
  if (host_identity_sha256.empty()) return std::nullopt;
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT id, hostname, revoked_at IS NOT NULL, scope_labels, "
                 "host_identity_sha256, duplicate_of, identity_reset_at IS NOT "
                 "NULL FROM devices WHERE host_identity_sha256 = ?1 AND "
                 "host_identity_sha256 <> '' AND duplicate_of = ''"));
  st->Bind(1, host_identity_sha256);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::nullopt;
  return ReadStanding(*st);
}

absl::StatusOr<std::optional<EnrollmentStanding>> StandingOfDevice(
    Connection& db, absl::string_view device_id) {
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("SELECT id, hostname, revoked_at IS NOT NULL, "
                              "scope_labels, host_identity_sha256, "
                              "duplicate_of, identity_reset_at IS NOT NULL "
                              "FROM devices WHERE id = ?1"));
  st->Bind(1, device_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::nullopt;
  return ReadStanding(*st);
}

absl::Status RecordEnrollmentEvent(Connection& db,
                                   const EnrollmentEvent& event) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("INSERT INTO device_enrollments (device_id, at, kind, proof, "
                 "secret_name, hostname, new_device_id, reason) VALUES (?1, "
                 "?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  st->Bind(1, event.device_id);
  st->Bind(2, event.at);
  st->Bind(3, event.kind);
  st->Bind(4, event.proof);
  st->Bind(5, event.secret_name);
  st->Bind(6, event.hostname);
  st->Bind(7, event.new_device_id);
  st->Bind(8, event.reason);
  return st->Run();
}

absl::Status ResetDeviceIdentity(Connection& db, absl::string_view device_id,
                                 absl::string_view reset_by,
                                 absl::string_view reason, int64_t now) {
  ASSIGN_OR_RETURN(std::optional<EnrollmentStanding> device,
                   StandingOfDevice(db, device_id));
  if (!device) return NoDevice(device_id);
  if (device->revoked) {
    return absl::FailedPreconditionError(absl::StrCat(
        "device_id: device ", device_id,
        " is revoked; a revoked device cannot be taken over (its host "
        "cannot enroll again)"));
  }
  if (!device->duplicate_of.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("device_id: device ", device_id,
                     " is a duplicate of device ", device->duplicate_of,
                     ", which holds the host identity: reset the identity of ",
                     device->duplicate_of, " instead"));
  }
  if (device->host_identity_sha256.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "device_id: device ", device_id,
        " reported no host identity, so no enrollment can be matched to it: "
        "enroll the server as a new device and revoke ",
        device_id));
  }
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("UPDATE devices SET identity_reset_at = ?2, "
                 "identity_reset_by = ?3, identity_reset_reason = ?4 WHERE "
                 "id = ?1"));
  st->Bind(1, device_id);
  st->Bind(2, now);
  st->Bind(3, reset_by);
  st->Bind(4, reason);
  return st->Run();
}

absl::StatusOr<v1::DeviceEnrollment> ReadDeviceEnrollment(
    Connection& db, absl::string_view device_id) {
  v1::DeviceEnrollment out;
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("SELECT duplicate_of, identity_reset_at, "
                   "identity_reset_by, identity_reset_reason FROM devices "
                   "WHERE id = ?1"));
    st->Bind(1, device_id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return NoDevice(device_id);
    out.set_duplicate_of(st->ColumnText(0));
    if (!st->ColumnIsNull(1)) {
      v1::IdentityReset* reset = out.mutable_pending_identity_reset();
      SetTimestamp(st->ColumnInt(1), reset->mutable_reset_at());
      reset->set_reset_by(st->ColumnText(2));
      reset->set_reason(st->ColumnText(3));
    }
  }
  {
    // Re-enrollments and takeovers: the count and the latest.
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("SELECT count(*), max(id) FROM device_enrollments WHERE "
                   "device_id = ?1 AND kind IN ('reenrolled', "
                   "'identity_reset')"));
    st->Bind(1, device_id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    const int64_t again = row ? st->ColumnInt(0) : 0;
    out.set_enrollments(static_cast<uint32_t>(1 + again));
    if (again > 0) {
      const int64_t latest = st->ColumnInt(1);
      st->Reset();
      ASSIGN_OR_RETURN(
          CachedStatement last,
          db.Prepare("SELECT at, kind, proof FROM device_enrollments WHERE "
                     "id = ?1"));
      last->Bind(1, latest);
      ASSIGN_OR_RETURN(bool found, last->Step());
      if (found) {
        SetTimestamp(last->ColumnInt(0), out.mutable_last_reenrolled_at());
        out.set_last_reenrolled_by(last->ColumnText(1) ==
                                           kEnrollmentIdentityReset
                                       ? "identity reset"
                                       : last->ColumnText(2));
      }
    }
  }
  {
    ASSIGN_OR_RETURN(CachedStatement st,
                     db.Prepare("SELECT count(*) FROM device_enrollments WHERE "
                                "device_id = ?1 AND kind = 'refused_claim'"));
    st->Bind(1, device_id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    out.set_refused_claims(row ? static_cast<uint32_t>(st->ColumnInt(0)) : 0);
  }
  if (out.refused_claims() > 0) {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("SELECT at, secret_name, hostname, new_device_id, reason "
                   "FROM device_enrollments WHERE device_id = ?1 AND kind = "
                   "'refused_claim' ORDER BY id DESC LIMIT ?2"));
    st->Bind(1, device_id);
    st->Bind(2, static_cast<int64_t>(kRecentRefusedClaims));
    while (true) {
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      v1::RefusedClaim* claim = out.add_recent_refused_claims();
      SetTimestamp(st->ColumnInt(0), claim->mutable_at());
      claim->set_enrollment_secret(st->ColumnText(1));
      claim->set_hostname(st->ColumnText(2));
      claim->set_new_device_id(st->ColumnText(3));
      claim->set_reason(st->ColumnText(4));
    }
  }
  return out;
}

}  // namespace mdefleet::store
