// AdminService's access: named API tokens, enrollment secrets, device
// revocation and identity resets. Admin-only; each audited (never with a
// secret's value). Errors name the field.
#ifndef MDEFLEET_SERVER_SERVICE_ADMIN_ACCESS_HANDLERS_H_
#define MDEFLEET_SERVER_SERVICE_ADMIN_ACCESS_HANDLERS_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "mdefleet/v1/admin.pb.h"
#include "server/service/admin/audited.h"
#include "server/service/admin/inventory_handlers.h"
#include "server/service/event_hub.h"
#include "server/store/store.h"

namespace mdefleet::service {

class AccessHandlers {
 public:
  // `inventory` answers the device after RevokeDevice and
  // ResetDeviceIdentity (as GetDevice does).
  AccessHandlers(store::Store& store, const Clock& clock, Audited& audited,
                 EventHub& hub, InventoryHandlers& inventory)
      : store_(store),
        clock_(clock),
        audited_(audited),
        hub_(hub),
        inventory_(inventory) {}

  // Tokens and enrollment secrets (access_tokens.cc).
  [[nodiscard]] absl::StatusOr<v1::CreateTokenResponse> CreateToken(
      absl::string_view authorization, const v1::CreateTokenRequest& request);
  [[nodiscard]] absl::StatusOr<v1::ListTokensResponse> ListTokens(
      absl::string_view authorization, const v1::ListTokensRequest& request);
  [[nodiscard]] absl::StatusOr<v1::ApiToken> RevokeToken(
      absl::string_view authorization, const v1::RevokeTokenRequest& request);
  [[nodiscard]] absl::StatusOr<v1::CreateTokenResponse> RotateToken(
      absl::string_view authorization, const v1::RotateTokenRequest& request);
  [[nodiscard]] absl::StatusOr<v1::CreateEnrollmentSecretResponse>
  CreateEnrollmentSecret(absl::string_view authorization,
                         const v1::CreateEnrollmentSecretRequest& request);
  [[nodiscard]] absl::StatusOr<v1::ListEnrollmentSecretsResponse>
  ListEnrollmentSecrets(absl::string_view authorization,
                        const v1::ListEnrollmentSecretsRequest& request);
  [[nodiscard]] absl::StatusOr<v1::EnrollmentSecret> ExpireEnrollmentSecret(
      absl::string_view authorization,
      const v1::ExpireEnrollmentSecretRequest& request);
  [[nodiscard]] absl::StatusOr<v1::EnrollmentSecret> RevokeEnrollmentSecret(
      absl::string_view authorization,
      const v1::RevokeEnrollmentSecretRequest& request);

  // Devices (access_devices.cc).
  [[nodiscard]] absl::StatusOr<v1::Device> RevokeDevice(
      absl::string_view authorization, const v1::RevokeDeviceRequest& request);
  // Lets the next enrollment reporting the device's host identity take it
  // over (one use). InvalidArgument for an empty device_id or reason;
  // NotFound for an unknown device; FailedPrecondition for a revoked device,
  // one without a host identity and a duplicate (store::ResetDeviceIdentity).
  [[nodiscard]] absl::StatusOr<v1::Device> ResetDeviceIdentity(
      absl::string_view authorization,
      const v1::ResetDeviceIdentityRequest& request);

 private:
  store::Store& store_;
  const Clock& clock_;
  Audited& audited_;
  EventHub& hub_;
  InventoryHandlers& inventory_;
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_ADMIN_ACCESS_HANDLERS_H_
