#include "server/auth/authenticator.h"

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "server/auth/access_policy.h"
#include "server/auth/constant_time.h"
#include "server/store/credentials.h"
#include "server/store/device_access.h"
#include "server/store/time_util.h"

namespace mdefleet::auth {
namespace {

[[nodiscard]] absl::Status Refused(absl::string_view what) {
  return absl::UnauthenticatedError(absl::StrCat("authorization: ", what));
}

bool HasAnyPrefix(absl::string_view token,
                  std::initializer_list<absl::string_view> prefixes) {
  for (absl::string_view prefix : prefixes) {
    if (absl::StartsWith(token, prefix)) return true;
  }
  return false;
}

// The usable credential of `kind` the bearer token is; Unauthenticated
// (the same words for unknown, revoked and expired: a guesser learns
// nothing) otherwise.
[[nodiscard]] absl::StatusOr<store::CredentialRow> RequireCredential(
    store::Store& store, const Clock& clock, absl::string_view authorization,
    std::initializer_list<absl::string_view> prefixes,
    store::CredentialKind kind, absl::string_view what) {
  ASSIGN_OR_RETURN(std::string token, BearerToken(authorization));
  if (!HasAnyPrefix(token, prefixes)) {
    return Refused(absl::StrCat("not a valid ", what));
  }
  const std::string hash = Sha256Hex(token);
  std::optional<store::CredentialRow> found;
  RETURN_IF_ERROR(store.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(found, store::FindCredential(db, hash));
    return absl::OkStatus();
  }));
  // The index lookup compares digests, which tells a guesser nothing about
  // a token; the constant-time check keeps it so if the lookup changes.
  if (!found || found->kind != kind ||
      !ConstantTimeEquals(found->token_hash, hash) ||
      !found->UsableAt(store::ToMicros(clock.Now()))) {
    return Refused(
        absl::StrCat("not a valid ", what, " (unknown, revoked or expired)"));
  }
  return *std::move(found);
}

}  // namespace

absl::StatusOr<std::string> BearerToken(absl::string_view authorization) {
  if (authorization.empty()) {
    return Refused(
        "missing credential; send \"authorization: Bearer <token>\"");
  }
  constexpr absl::string_view kBearer = "Bearer ";
  if (!absl::StartsWithIgnoreCase(authorization, kBearer) ||
      authorization.size() == kBearer.size()) {
    return Refused("expected \"Bearer <token>\"");
  }
  return std::string(authorization.substr(kBearer.size()));
}

absl::StatusOr<Principal> Authenticator::AuthenticateApi(
    absl::string_view authorization) {
  ASSIGN_OR_RETURN(store::CredentialRow row,
                   RequireCredential(store_, clock_, authorization,
                                     {kApiPrefix, kAdminPrefix},
                                     store::CredentialKind::kApi, "API token"));
  return Principal{row.id, row.name, row.role};
}

absl::StatusOr<Principal> Authenticator::Authorize(
    absl::string_view authorization, absl::string_view method) {
  ASSIGN_OR_RETURN(Principal who, AuthenticateApi(authorization));
  const v1::Role required = RequiredRole(method);
  if (!RoleAllows(who.role, required)) {
    return absl::PermissionDeniedError(
        absl::StrCat("authorization: ", method, " needs the ",
                     RoleName(required), " role; token \"", who.name,
                     "\" has the ", RoleName(who.role), " role"));
  }
  return who;
}

absl::StatusOr<EnrollmentGrant> Authenticator::RequireEnrollment(
    absl::string_view authorization) {
  ASSIGN_OR_RETURN(
      store::CredentialRow row,
      RequireCredential(store_, clock_, authorization, {kEnrollmentPrefix},
                        store::CredentialKind::kEnrollment,
                        "enrollment secret"));
  return EnrollmentGrant{row.id, row.name, std::move(row.scope_labels)};
}

absl::StatusOr<store::DeviceCredential> Authenticator::RequireDeviceCredential(
    absl::string_view authorization) {
  ASSIGN_OR_RETURN(std::string token, BearerToken(authorization));
  if (!absl::StartsWith(token, kDevicePrefix)) {
    return Refused("not a valid device token");
  }
  const std::string hash = Sha256Hex(token);
  std::optional<store::DeviceCredential> device;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(device, store::DeviceForToken(db, hash));
    return absl::OkStatus();
  }));
  if (!device || !ConstantTimeEquals(device->token_hash, hash)) {
    return Refused("not a valid device token; enroll again");
  }
  if (device->revoked) {
    return absl::PermissionDeniedError(
        absl::StrCat("authorization: device ", device->device_id,
                     " was revoked by an admin; it gets no work"));
  }
  return *std::move(device);
}

absl::StatusOr<std::string> Authenticator::RequireDevice(
    absl::string_view authorization) {
  ASSIGN_OR_RETURN(store::DeviceCredential device,
                   RequireDeviceCredential(authorization));
  return std::move(device.device_id);
}

bool Authenticator::IsRunnerCredential(absl::string_view authorization) {
  return RequireDevice(authorization).ok() ||
         RequireEnrollment(authorization).ok();
}

}  // namespace mdefleet::auth
