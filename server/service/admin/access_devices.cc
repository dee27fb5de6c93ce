// AccessHandlers for devices: revocation (the device's token stops working,
// its tasks are cancelled) and identity resets. Admin-only, each audited.
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/service/admin/access_handlers.h"
#include "server/store/device_access.h"
#include "server/store/enrollment.h"

namespace mdefleet::service {
namespace {

constexpr size_t kMaxRevokeReason = 512;

}  // namespace

absl::StatusOr<v1::Device> AccessHandlers::RevokeDevice(
    absl::string_view authorization, const v1::RevokeDeviceRequest& request) {
  store::WriteEffects effects;
  RETURN_IF_ERROR(audited_.Run(
      authorization, "RevokeDevice", request.device_id(), request.reason(),
      [&](store::Connection& db, const auth::Principal&, int64_t now,
          std::string* detail) -> absl::Status {
        effects = store::WriteEffects();
        if (request.device_id().empty()) {
          return absl::InvalidArgumentError("device_id: required");
        }
        if (request.reason().size() > kMaxRevokeReason) {
          return absl::InvalidArgumentError(absl::StrCat(
              "reason: at most ", kMaxRevokeReason, " characters"));
        }
        ASSIGN_OR_RETURN(int cancelled,
                         store::RevokeDevice(db, request.device_id(),
                                             request.reason(), now, &effects));
        *detail = absl::StrCat(
            cancelled, cancelled == 1 ? " task" : " tasks", " cancelled",
            request.reason().empty() ? "" : ": ", request.reason());
        return absl::OkStatus();
      }));
  hub_.Publish(effects);
  // A poll the device holds open is answered now, with the refusal, on
  // whichever server replica holds it.
  hub_.WakeDevices({request.device_id()}, 0);
  v1::GetDeviceRequest get;
  get.set_device_id(request.device_id());
  return inventory_.GetDevice(authorization, get);
}

absl::StatusOr<v1::Device> AccessHandlers::ResetDeviceIdentity(
    absl::string_view authorization,
    const v1::ResetDeviceIdentityRequest& request) {
  RETURN_IF_ERROR(audited_.Run(
      authorization, "ResetDeviceIdentity", request.device_id(),
      request.reason(),
      [&](store::Connection& db, const auth::Principal& who, int64_t now,
          std::string* detail) -> absl::Status {
        if (request.device_id().empty()) {
          return absl::InvalidArgumentError("device_id: required");
        }
        if (absl::StripAsciiWhitespace(request.reason()).empty()) {
          return absl::InvalidArgumentError(
              "reason: required (why the device's host may enroll as it "
              "again without proof, e.g. \"server reinstalled\"); it is "
              "kept in the audit log");
        }
        if (request.reason().size() > kMaxRevokeReason) {
          return absl::InvalidArgumentError(absl::StrCat(
              "reason: at most ", kMaxRevokeReason, " characters"));
        }
        for (char c : request.reason()) {
          const auto u = static_cast<unsigned char>(c);
          if (u < 0x20 || u == 0x7f) {
            return absl::InvalidArgumentError(
                "reason: control characters are not allowed");
          }
        }
        RETURN_IF_ERROR(store::ResetDeviceIdentity(
            db, request.device_id(), who.name, request.reason(), now));
        *detail = absl::StrCat(
            "the next enrollment reporting its host identity takes it over: ",
            request.reason());
        return absl::OkStatus();
      }));
  v1::GetDeviceRequest get;
  get.set_device_id(request.device_id());
  return inventory_.GetDevice(authorization, get);
}

}  // namespace mdefleet::service
