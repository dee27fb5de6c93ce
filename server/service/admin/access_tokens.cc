// AdminHandlers for named API tokens, enrollment secrets, device revocation
// and identity resets: admin-only, each audited (never with a secret's
// value).
#include <map>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/labels.h"
#include "common/random.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "server/auth/access_policy.h"
#include "server/service/admin/admin_handlers.h"
#include "server/store/credentials.h"
#include "server/store/device_access.h"
#include "server/store/enrollment.h"
#include "server/store/time_util.h"

namespace mdefleet::service {
namespace {

constexpr size_t kMaxNameLength = 64;
constexpr size_t kMaxRevokeReason = 512;
constexpr size_t kTokenBytes = 32;  // 256 bits from the OS CSPRNG

absl::Status CheckName(absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("name: required");
  if (name.size() > kMaxNameLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("name: at most ", kMaxNameLength, " characters"));
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '_' && c != '-') {
      return absl::InvalidArgumentError(
          "name: only letters, digits, '.', '_' and '-' are allowed");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<int64_t>> ExpiryOf(
    bool set, const google::protobuf::Duration& d, int64_t now,
    absl::string_view field) {
  if (!set) return std::nullopt;
  const int64_t micros = d.seconds() * 1000000 + d.nanos() / 1000;
  if (micros <= 0 || d.seconds() > int64_t{100} * 366 * 86400) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be positive and at most 100 years"));
  }
  return std::optional<int64_t>(now + micros);
}

std::string StateOf(const store::CredentialRow& row, int64_t now) {
  if (row.revoked_at) return "revoked";
  if (row.expires_at && *row.expires_at <= now) return "expired";
  return "active";
}

template <typename Proto>
void FillCommon(const store::CredentialRow& row, int64_t now, Proto* out) {
  out->set_id(row.id);
  out->set_name(row.name);
  store::SetTimestamp(row.created_at, out->mutable_created_at());
  out->set_created_by(row.created_by);
  if (row.expires_at) {
    store::SetTimestamp(*row.expires_at, out->mutable_expires_at());
  }
  if (row.revoked_at) {
    store::SetTimestamp(*row.revoked_at, out->mutable_revoked_at());
  }
  out->set_state(StateOf(row, now));
}

v1::ApiToken ToApiToken(const store::CredentialRow& row, int64_t now) {
  v1::ApiToken out;
  FillCommon(row, now, &out);
  out.set_role(row.role);
  return out;
}

v1::EnrollmentSecret ToSecret(const store::CredentialRow& row, int64_t now) {
  v1::EnrollmentSecret out;
  FillCommon(row, now, &out);
  for (const auto& [key, value] : row.scope_labels) {
    (*out.mutable_labels())[key] = value;
  }
  return out;
}

// Active admin-role tokens other than `except_id`.
absl::StatusOr<int> OtherActiveAdmins(store::Connection& db, int64_t except_id,
                                      int64_t now) {
  ASSIGN_OR_RETURN(std::vector<store::CredentialRow> rows,
                   store::ListCredentials(db, store::CredentialKind::kApi,
                                          /*include_revoked=*/false));
  int count = 0;
  for (const store::CredentialRow& row : rows) {
    if (row.id != except_id && row.role == v1::ROLE_ADMIN &&
        row.UsableAt(now)) {
      ++count;
    }
  }
  return count;
}

absl::Status RequireNotRevoked(const store::CredentialRow& row,
                               absl::string_view field) {
  if (!row.revoked_at) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      field, ": \"", row.name, "\" (id ", row.id, ") is already revoked"));
}

}  // namespace

absl::StatusOr<v1::CreateTokenResponse> AdminHandlers::CreateToken(
    absl::string_view authorization, const v1::CreateTokenRequest& request) {
  v1::CreateTokenResponse response;
  RETURN_IF_ERROR(RunAudited(
      authorization, "CreateToken", request.name(),
      absl::StrCat("role ", auth::RoleName(request.role())),
      [&](store::Connection& db, const auth::Principal& who, int64_t now,
          std::string*) -> absl::Status {
        RETURN_IF_ERROR(CheckName(request.name()));
        if (request.role() == v1::ROLE_UNSPECIFIED ||
            !v1::Role_IsValid(request.role())) {
          return absl::InvalidArgumentError(
              "role: required: viewer, operator or admin");
        }
        ASSIGN_OR_RETURN(std::optional<int64_t> expires,
                         ExpiryOf(request.has_expires_in(),
                                  request.expires_in(), now, "expires_in"));
        const std::string value = RandomToken(auth::kApiPrefix, kTokenBytes);
        store::NewCredential row{.kind = store::CredentialKind::kApi,
                                 .name = request.name(),
                                 .role = request.role(),
                                 .token_hash = Sha256Hex(value),
                                 .created_by = who.name,
                                 .expires_at = expires,
                                 .scope_labels = {}};
        ASSIGN_OR_RETURN(const int64_t id,
                         store::InsertCredential(db, row, now));
        ASSIGN_OR_RETURN(
            store::CredentialRow stored,
            store::ResolveCredential(db, store::CredentialKind::kApi,
                                     absl::StrCat(id), "name"));
        *response.mutable_token() = ToApiToken(stored, now);
        response.set_value(value);
        return absl::OkStatus();
      }));
  return response;
}

absl::StatusOr<v1::ListTokensResponse> AdminHandlers::ListTokens(
    absl::string_view authorization, const v1::ListTokensRequest& request) {
  RETURN_IF_ERROR(Authorize(authorization, "ListTokens").status());
  const int64_t now = store::ToMicros(clock_.Now());
  v1::ListTokensResponse response;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<store::CredentialRow> rows,
                     store::ListCredentials(db, store::CredentialKind::kApi,
                                            request.include_revoked()));
    for (const store::CredentialRow& row : rows) {
      *response.add_tokens() = ToApiToken(row, now);
    }
    return absl::OkStatus();
  }));
  return response;
}

absl::StatusOr<v1::ApiToken> AdminHandlers::RevokeToken(
    absl::string_view authorization, const v1::RevokeTokenRequest& request) {
  v1::ApiToken revoked;
  RETURN_IF_ERROR(RunAudited(
      authorization, "RevokeToken", request.token(), "",
      [&](store::Connection& db, const auth::Principal&, int64_t now,
          std::string*) -> absl::Status {
        ASSIGN_OR_RETURN(
            store::CredentialRow row,
            store::ResolveCredential(db, store::CredentialKind::kApi,
                                     request.token(), "token"));
        RETURN_IF_ERROR(RequireNotRevoked(row, "token"));
        if (row.role == v1::ROLE_ADMIN) {
          ASSIGN_OR_RETURN(int others, OtherActiveAdmins(db, row.id, now));
          if (others == 0) {
            return absl::FailedPreconditionError(absl::StrCat(
                "token: \"", row.name,
                "\" is the last admin token; create another admin token "
                "first (or rotate this one)"));
          }
        }
        RETURN_IF_ERROR(store::RevokeCredential(db, row.id, now));
        row.revoked_at = now;
        revoked = ToApiToken(row, now);
        return absl::OkStatus();
      }));
  return revoked;
}

absl::StatusOr<v1::CreateTokenResponse> AdminHandlers::RotateToken(
    absl::string_view authorization, const v1::RotateTokenRequest& request) {
  v1::CreateTokenResponse response;
  RETURN_IF_ERROR(RunAudited(
      authorization, "RotateToken", request.token(), "",
      [&](store::Connection& db, const auth::Principal& who, int64_t now,
          std::string* detail) -> absl::Status {
        ASSIGN_OR_RETURN(
            store::CredentialRow old,
            store::ResolveCredential(db, store::CredentialKind::kApi,
                                     request.token(), "token"));
        RETURN_IF_ERROR(RequireNotRevoked(old, "token"));
        RETURN_IF_ERROR(store::RevokeCredential(db, old.id, now));
        const std::string value = RandomToken(auth::kApiPrefix, kTokenBytes);
        store::NewCredential row{.kind = store::CredentialKind::kApi,
                                 .name = old.name,
                                 .role = old.role,
                                 .token_hash = Sha256Hex(value),
                                 .created_by = who.name,
                                 .expires_at = old.expires_at,
                                 .scope_labels = {}};
        ASSIGN_OR_RETURN(const int64_t id,
                         store::InsertCredential(db, row, now));
        ASSIGN_OR_RETURN(
            store::CredentialRow stored,
            store::ResolveCredential(db, store::CredentialKind::kApi,
                                     absl::StrCat(id), "token"));
        *response.mutable_token() = ToApiToken(stored, now);
        response.set_value(value);
        *detail = absl::StrCat("id ", old.id, " revoked, id ", id, " issued");
        return absl::OkStatus();
      }));
  return response;
}

absl::StatusOr<v1::CreateEnrollmentSecretResponse>
AdminHandlers::CreateEnrollmentSecret(
    absl::string_view authorization,
    const v1::CreateEnrollmentSecretRequest& request) {
  v1::CreateEnrollmentSecretResponse response;
  std::map<std::string, std::string> labels(request.labels().begin(),
                                            request.labels().end());
  std::string scope;
  for (const auto& [key, value] : labels) {
    absl::StrAppend(&scope, scope.empty() ? "scoped to " : ",", key, "=",
                    value);
  }
  RETURN_IF_ERROR(RunAudited(
      authorization, "CreateEnrollmentSecret", request.name(), scope,
      [&](store::Connection& db, const auth::Principal& who, int64_t now,
          std::string*) -> absl::Status {
        RETURN_IF_ERROR(CheckName(request.name()));
        RETURN_IF_ERROR(CheckLabels(request.labels(), "labels"));
        ASSIGN_OR_RETURN(std::optional<int64_t> expires,
                         ExpiryOf(request.has_expires_in(),
                                  request.expires_in(), now, "expires_in"));
        const std::string value =
            RandomToken(auth::kEnrollmentPrefix, kTokenBytes);
        store::NewCredential row{.kind = store::CredentialKind::kEnrollment,
                                 .name = request.name(),
                                 .role = v1::ROLE_UNSPECIFIED,
                                 .token_hash = Sha256Hex(value),
                                 .created_by = who.name,
                                 .expires_at = expires,
                                 .scope_labels = labels};
        ASSIGN_OR_RETURN(const int64_t id,
                         store::InsertCredential(db, row, now));
        ASSIGN_OR_RETURN(
            store::CredentialRow stored,
            store::ResolveCredential(db, store::CredentialKind::kEnrollment,
                                     absl::StrCat(id), "name"));
        *response.mutable_secret() = ToSecret(stored, now);
        response.set_value(value);
        return absl::OkStatus();
      }));
  return response;
}

absl::StatusOr<v1::ListEnrollmentSecretsResponse>
AdminHandlers::ListEnrollmentSecrets(
    absl::string_view authorization,
    const v1::ListEnrollmentSecretsRequest& request) {
  RETURN_IF_ERROR(Authorize(authorization, "ListEnrollmentSecrets").status());
  const int64_t now = store::ToMicros(clock_.Now());
  v1::ListEnrollmentSecretsResponse response;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(
        std::vector<store::CredentialRow> rows,
        store::ListCredentials(db, store::CredentialKind::kEnrollment,
                               request.include_revoked()));
    for (const store::CredentialRow& row : rows) {
      *response.add_secrets() = ToSecret(row, now);
    }
    return absl::OkStatus();
  }));
  return response;
}

absl::StatusOr<v1::EnrollmentSecret> AdminHandlers::ExpireEnrollmentSecret(
    absl::string_view authorization,
    const v1::ExpireEnrollmentSecretRequest& request) {
  v1::EnrollmentSecret out;
  RETURN_IF_ERROR(RunAudited(
      authorization, "ExpireEnrollmentSecret", request.secret(), "",
      [&](store::Connection& db, const auth::Principal&, int64_t now,
          std::string* detail) -> absl::Status {
        ASSIGN_OR_RETURN(
            store::CredentialRow row,
            store::ResolveCredential(db, store::CredentialKind::kEnrollment,
                                     request.secret(), "secret"));
        RETURN_IF_ERROR(RequireNotRevoked(row, "secret"));
        int64_t at = now;
        if (request.has_after()) {
          const int64_t after = request.after().seconds() * 1000000 +
                                request.after().nanos() / 1000;
          if (after < 0) {
            return absl::InvalidArgumentError("after: must not be negative");
          }
          at = now + after;
        }
        RETURN_IF_ERROR(store::SetCredentialExpiry(db, row.id, at));
        row.expires_at = at;
        out = ToSecret(row, now);
        *detail = at == now
                      ? "expired now"
                      : absl::StrCat("expires in ", (at - now) / 1000000, " s");
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<v1::EnrollmentSecret> AdminHandlers::RevokeEnrollmentSecret(
    absl::string_view authorization,
    const v1::RevokeEnrollmentSecretRequest& request) {
  v1::EnrollmentSecret out;
  RETURN_IF_ERROR(RunAudited(
      authorization, "RevokeEnrollmentSecret", request.secret(), "",
      [&](store::Connection& db, const auth::Principal&, int64_t now,
          std::string*) -> absl::Status {
        ASSIGN_OR_RETURN(
            store::CredentialRow row,
            store::ResolveCredential(db, store::CredentialKind::kEnrollment,
                                     request.secret(), "secret"));
        RETURN_IF_ERROR(RequireNotRevoked(row, "secret"));
        RETURN_IF_ERROR(store::RevokeCredential(db, row.id, now));
        row.revoked_at = now;
        out = ToSecret(row, now);
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<v1::Device> AdminHandlers::RevokeDevice(
    absl::string_view authorization, const v1::RevokeDeviceRequest& request) {
  store::WriteEffects effects;
  RETURN_IF_ERROR(RunAudited(
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
  // A poll the device holds open is answered now, with the refusal.
  if (DeviceWaker* waker = hub_.waker(); waker != nullptr) {
    waker->Wake({request.device_id()}, 0);
  }
  v1::GetDeviceRequest get;
  get.set_device_id(request.device_id());
  return GetDevice(authorization, get);
}

absl::StatusOr<v1::Device> AdminHandlers::ResetDeviceIdentity(
    absl::string_view authorization,
    const v1::ResetDeviceIdentityRequest& request) {
  RETURN_IF_ERROR(RunAudited(
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
  return GetDevice(authorization, get);
}

}  // namespace mdefleet::service
