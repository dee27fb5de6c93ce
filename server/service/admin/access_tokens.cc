// AccessHandlers for named API tokens and enrollment secrets: admin-only,
// each audited (never with a secret's value).
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
#include "server/service/admin/access_handlers.h"
#include "server/store/credentials.h"
#include "server/store/time_util.h"

namespace mdefleet::service {
namespace {

constexpr size_t kMaxNameLength = 64;
constexpr size_t kTokenBytes = 32;  // 256 bits from the OS CSPRNG

[[nodiscard]] absl::Status CheckName(absl::string_view name) {
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

[[nodiscard]] absl::StatusOr<std::optional<int64_t>> ExpiryOf(
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
[[nodiscard]] absl::StatusOr<int> OtherActiveAdmins(store::Connection& db,
                                                    int64_t except_id,
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

[[nodiscard]] absl::Status RequireNotRevoked(const store::CredentialRow& row,
                                             absl::string_view field) {
  if (!row.revoked_at) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      field, ": \"", row.name, "\" (id ", row.id, ") is already revoked"));
}

}  // namespace

absl::StatusOr<v1::CreateTokenResponse> AccessHandlers::CreateToken(
    absl::string_view authorization, const v1::CreateTokenRequest& request) {
  v1::CreateTokenResponse response;
  RETURN_IF_ERROR(audited_.Run(
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

absl::StatusOr<v1::ListTokensResponse> AccessHandlers::ListTokens(
    absl::string_view authorization, const v1::ListTokensRequest& request) {
  RETURN_IF_ERROR(audited_.Authorize(authorization, "ListTokens").status());
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

absl::StatusOr<v1::ApiToken> AccessHandlers::RevokeToken(
    absl::string_view authorization, const v1::RevokeTokenRequest& request) {
  v1::ApiToken revoked;
  RETURN_IF_ERROR(audited_.Run(
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

absl::StatusOr<v1::CreateTokenResponse> AccessHandlers::RotateToken(
    absl::string_view authorization, const v1::RotateTokenRequest& request) {
  v1::CreateTokenResponse response;
  RETURN_IF_ERROR(audited_.Run(
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
AccessHandlers::CreateEnrollmentSecret(
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
  RETURN_IF_ERROR(audited_.Run(
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
AccessHandlers::ListEnrollmentSecrets(
    absl::string_view authorization,
    const v1::ListEnrollmentSecretsRequest& request) {
  RETURN_IF_ERROR(
      audited_.Authorize(authorization, "ListEnrollmentSecrets").status());
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

absl::StatusOr<v1::EnrollmentSecret> AccessHandlers::ExpireEnrollmentSecret(
    absl::string_view authorization,
    const v1::ExpireEnrollmentSecretRequest& request) {
  v1::EnrollmentSecret out;
  RETURN_IF_ERROR(audited_.Run(
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

absl::StatusOr<v1::EnrollmentSecret> AccessHandlers::RevokeEnrollmentSecret(
    absl::string_view authorization,
    const v1::RevokeEnrollmentSecretRequest& request) {
  v1::EnrollmentSecret out;
  RETURN_IF_ERROR(audited_.Run(
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

}  // namespace mdefleet::service
