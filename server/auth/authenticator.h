// Bearer-token authentication for every RPC: admin token, enrollment secret
// or device token, looked up by SHA-256 hash. Checked before anything else.
#ifndef MDEFLEET_SERVER_AUTH_AUTHENTICATOR_H_
#define MDEFLEET_SERVER_AUTH_AUTHENTICATOR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/store/store.h"

namespace mdefleet::auth {

inline constexpr absl::string_view kAdminPrefix = "mdf_admin_";
inline constexpr absl::string_view kEnrollmentPrefix = "mdf_enroll_";
inline constexpr absl::string_view kDevicePrefix = "mdf_dev_";

// The token of an "authorization" metadata value "Bearer <token>".
// Unauthenticated (never quoting the value) when absent or malformed.
[[nodiscard]] absl::StatusOr<std::string> BearerToken(
    absl::string_view authorization);

class Authenticator {
 public:
  explicit Authenticator(store::Store& store) : store_(store) {}

  // Ok for the admin token; Unauthenticated otherwise.
  [[nodiscard]] absl::Status RequireAdmin(absl::string_view authorization) {
    return AuthenticateAdmin(authorization).status();
  }
  // The name of the admin credential (who acts, for the audit log);
  // Unauthenticated otherwise.
  [[nodiscard]] absl::StatusOr<std::string> AuthenticateAdmin(
      absl::string_view authorization);
  // Ok for the enrollment secret; Unauthenticated otherwise.
  [[nodiscard]] absl::Status RequireEnrollment(absl::string_view authorization);
  // The device id a device token belongs to; Unauthenticated otherwise.
  [[nodiscard]] absl::StatusOr<std::string> RequireDevice(
      absl::string_view authorization);

 private:
  store::Store& store_;
};

}  // namespace mdefleet::auth

#endif  // MDEFLEET_SERVER_AUTH_AUTHENTICATOR_H_
