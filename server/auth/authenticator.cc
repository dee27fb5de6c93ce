#include "server/auth/authenticator.h"

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "server/store/credentials.h"
#include "server/store/devices.h"

namespace mdefleet::auth {
namespace {

absl::Status Refused(absl::string_view what) {
  return absl::UnauthenticatedError(absl::StrCat("authorization: ", what));
}

absl::StatusOr<std::string> TokenWithPrefix(absl::string_view authorization,
                                            absl::string_view prefix,
                                            absl::string_view what) {
  ASSIGN_OR_RETURN(std::string token, BearerToken(authorization));
  if (!absl::StartsWith(token, prefix)) {
    return Refused(absl::StrCat("not a valid ", what));
  }
  return token;
}

// The credential's name.
absl::StatusOr<std::string> RequireCredential(store::Store& store,
                                              absl::string_view authorization,
                                              absl::string_view prefix,
                                              store::CredentialKind kind,
                                              absl::string_view what) {
  ASSIGN_OR_RETURN(std::string token,
                   TokenWithPrefix(authorization, prefix, what));
  const std::string hash = Sha256Hex(token);
  std::optional<store::CredentialRow> found;
  RETURN_IF_ERROR(store.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(found, store::FindCredential(db, hash));
    return absl::OkStatus();
  }));
  if (!found || found->kind != kind) {
    return Refused(absl::StrCat("not a valid ", what));
  }
  return found->name;
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

absl::StatusOr<std::string> Authenticator::AuthenticateAdmin(
    absl::string_view authorization) {
  return RequireCredential(store_, authorization, kAdminPrefix,
                           store::CredentialKind::kAdmin, "admin token");
}

absl::Status Authenticator::RequireEnrollment(absl::string_view authorization) {
  return RequireCredential(store_, authorization, kEnrollmentPrefix,
                           store::CredentialKind::kEnrollment,
                           "enrollment secret")
      .status();
}

absl::StatusOr<std::string> Authenticator::RequireDevice(
    absl::string_view authorization) {
  ASSIGN_OR_RETURN(
      std::string token,
      TokenWithPrefix(authorization, kDevicePrefix, "device token"));
  const std::string hash = Sha256Hex(token);
  std::optional<std::string> device_id;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(device_id, store::DeviceIdForToken(db, hash));
    return absl::OkStatus();
  }));
  if (!device_id) {
    return Refused("not a valid device token; enroll again");
  }
  return *device_id;
}

}  // namespace mdefleet::auth
