// Bearer-token authentication for every RPC: an API token (with its role),
// an enrollment secret or a device token, looked up by SHA-256 hash and
// compared in constant time. Checked before anything else.
#ifndef MDEFLEET_SERVER_AUTH_AUTHENTICATOR_H_
#define MDEFLEET_SERVER_AUTH_AUTHENTICATOR_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "mdefleet/v1/access.pb.h"
#include "server/store/device_access.h"
#include "server/store/store.h"

namespace mdefleet::auth {

// API tokens: "mdf_api_" since roles came; the bootstrap admin tokens of
// older databases start "mdf_admin_" and keep working.
inline constexpr absl::string_view kApiPrefix = "mdf_api_";
inline constexpr absl::string_view kAdminPrefix = "mdf_admin_";
inline constexpr absl::string_view kEnrollmentPrefix = "mdf_enroll_";
inline constexpr absl::string_view kDevicePrefix = "mdf_dev_";

// The token of an "authorization" metadata value "Bearer <token>".
// Unauthenticated (never quoting the value) when absent or malformed.
[[nodiscard]] absl::StatusOr<std::string> BearerToken(
    absl::string_view authorization);

// Who calls with an API token.
struct Principal {
  int64_t credential_id = 0;
  std::string name;  // the token's name: the audit log's actor
  v1::Role role = v1::ROLE_UNSPECIFIED;
};

// What an enrollment secret lets a runner do.
struct EnrollmentGrant {
  int64_t credential_id = 0;
  std::string name;
  std::map<std::string, std::string> scope_labels;
};

class Authenticator {
 public:
  Authenticator(store::Store& store, const Clock& clock)
      : store_(store), clock_(clock) {}

  // The caller of an API token that is neither revoked nor expired;
  // Unauthenticated otherwise.
  [[nodiscard]] absl::StatusOr<Principal> AuthenticateApi(
      absl::string_view authorization);
  // AuthenticateApi, then the role AdminService.`method` requires
  // (access_policy.h): PermissionDenied naming both roles when too low.
  [[nodiscard]] absl::StatusOr<Principal> Authorize(
      absl::string_view authorization, absl::string_view method);
  // A usable enrollment secret; Unauthenticated otherwise.
  [[nodiscard]] absl::StatusOr<EnrollmentGrant> RequireEnrollment(
      absl::string_view authorization);
  // The device a device token belongs to, with the client certificates it
  // is bound to (one indexed read); Unauthenticated for an unknown token,
  // PermissionDenied for a revoked device.
  [[nodiscard]] absl::StatusOr<store::DeviceCredential> RequireDeviceCredential(
      absl::string_view authorization);
  // RequireDeviceCredential's device id.
  [[nodiscard]] absl::StatusOr<std::string> RequireDevice(
      absl::string_view authorization);
  // True when the bearer value is a credential a runner uses that would be
  // accepted now: the token of a device that is not revoked, or a usable
  // enrollment secret. Lets an API that refuses it say "wrong kind of
  // credential" (403) rather than "unknown credential" (401); unknown,
  // revoked and expired values (and store errors) are false.
  [[nodiscard]] bool IsRunnerCredential(absl::string_view authorization);

 private:
  store::Store& store_;
  const Clock& clock_;
};

}  // namespace mdefleet::auth

#endif  // MDEFLEET_SERVER_AUTH_AUTHENTICATOR_H_
