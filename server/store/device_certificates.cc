#include "server/store/device_certificates.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace mdefleet::store {
namespace {

[[nodiscard]] absl::Status NoDevice(absl::string_view device_id) {
  return absl::NotFoundError(
      absl::StrCat("device_id: no device \"", device_id, "\""));
}

}  // namespace

absl::StatusOr<std::optional<DeviceCertificateState>> GetDeviceCertificates(
    Connection& db, absl::string_view device_id) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT revoked_at IS NOT NULL, cert_sha256, "
                 "next_cert_sha256, cert_serial FROM devices WHERE id = ?1"));
  st->Bind(1, device_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::nullopt;
  DeviceCertificateState out;
  out.revoked = st->ColumnInt(0) != 0;
  if (!st->ColumnIsNull(1)) out.certificates.current_sha256 = st->ColumnText(1);
  out.certificates.next_sha256 = st->ColumnText(2);
  out.current_serial = st->ColumnText(3);
  return out;
}

absl::Status SetCurrentCertificate(
    Connection& db, absl::string_view device_id,
    const std::optional<CertificateRecord>& certificate, int64_t now) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("UPDATE devices SET cert_sha256 = ?2, cert_serial = ?3, "
                 "cert_not_after = ?4, cert_since = ?5, next_cert_sha256 = '', "
                 "next_cert_serial = '', next_cert_not_after = NULL "
                 "WHERE id = ?1"));
  st->Bind(1, device_id);
  st->Bind(2, certificate ? certificate->sha256 : std::string());
  st->Bind(3, certificate ? certificate->serial : std::string());
  st->Bind(4, certificate ? std::optional<int64_t>(certificate->not_after)
                          : std::nullopt);
  st->Bind(5, certificate ? std::optional<int64_t>(now) : std::nullopt);
  RETURN_IF_ERROR(st->Run());
  if (db.Changes() == 0) return NoDevice(device_id);
  return absl::OkStatus();
}

absl::Status SetNextCertificate(Connection& db, absl::string_view device_id,
                                const CertificateRecord& certificate) {
  ASSIGN_OR_RETURN(CachedStatement st,
                   db.Prepare("UPDATE devices SET next_cert_sha256 = ?2, "
                              "next_cert_serial = ?3, next_cert_not_after = ?4 "
                              "WHERE id = ?1"));
  st->Bind(1, device_id);
  st->Bind(2, certificate.sha256);
  st->Bind(3, certificate.serial);
  st->Bind(4, certificate.not_after);
  RETURN_IF_ERROR(st->Run());
  if (db.Changes() == 0) return NoDevice(device_id);
  return absl::OkStatus();
}

absl::Status PromoteNextCertificate(Connection& db, absl::string_view device_id,
                                    int64_t now) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("UPDATE devices SET cert_sha256 = next_cert_sha256, "
                 "cert_serial = next_cert_serial, "
                 "cert_not_after = next_cert_not_after, cert_since = ?2, "
                 "next_cert_sha256 = '', next_cert_serial = '', "
                 "next_cert_not_after = NULL "
                 "WHERE id = ?1 AND next_cert_sha256 != ''"));
  st->Bind(1, device_id);
  st->Bind(2, now);
  RETURN_IF_ERROR(st->Run());
  if (db.Changes() == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "device ", device_id, " has no renewed certificate to make current"));
  }
  return absl::OkStatus();
}

}  // namespace mdefleet::store
