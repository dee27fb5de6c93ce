#include "server/service/admin/audited.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/auth/access_policy.h"
#include "server/service/log.h"
#include "server/store/audit.h"
#include "server/store/time_util.h"
#include "server/store/transaction.h"

namespace mdefleet::service {
namespace {

// A refusal is the caller's doing (a role too low, an unknown target, a
// state that does not allow the action, a bad request); anything else is the
// server's failure.
absl::string_view Outcome(const absl::Status& status) {
  if (status.ok()) return store::kAuditOk;
  switch (status.code()) {
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kPermissionDenied:
      return store::kAuditRefused;
    default:
      return store::kAuditError;
  }
}

}  // namespace

absl::StatusOr<auth::Principal> Audited::Authorize(
    absl::string_view authorization, absl::string_view method,
    absl::string_view target) {
  // Unauthenticated callers are not audited: a caller without a valid token
  // must not be able to write to the database.
  ASSIGN_OR_RETURN(auth::Principal who, auth_.AuthenticateApi(authorization));
  absl::StatusOr<auth::Principal> allowed =
      auth_.Authorize(authorization, method);
  if (allowed.ok() || !auth::IsAudited(method)) return allowed;
  return AuditFailure(who, method, target, allowed.status());
}

absl::Status Audited::AuditFailure(const auth::Principal& who,
                                   absl::string_view method,
                                   absl::string_view target,
                                   const absl::Status& failure) {
  const int64_t now = store::ToMicros(clock_.Now());
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) {
    return store::AppendAudit(db,
                              {.at = now,
                               .actor = who.name,
                               .action = auth::AuditAction(method),
                               .target = std::string(target),
                               .outcome = std::string(Outcome(failure)),
                               .detail = std::string(failure.message()),
                               .role = std::string(auth::RoleName(who.role))});
  }));
  LogEvent(absl::StrCat(auth::AuditAction(method),
                        target.empty() ? "" : absl::StrCat(" of ", target),
                        " by ", who.name, " refused: ", failure.message()));
  return failure;
}

absl::Status Audited::Run(absl::string_view authorization,
                          absl::string_view method, absl::string_view target,
                          std::string detail, Fn fn) {
  ASSIGN_OR_RETURN(const auth::Principal who,
                   Authorize(authorization, method, target));
  const std::string action = auth::AuditAction(method);
  const int64_t now = store::ToMicros(clock_.Now());
  absl::Status outcome;
  std::string written;
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
    written = detail;  // a retried transaction starts over
    {
      store::Savepoint savepoint(db, "mdf_audited");
      RETURN_IF_ERROR(savepoint.status());
      outcome = fn(db, who, now, &written);
      if (outcome.ok()) outcome = savepoint.Release();
      // Not released: the action's changes are rolled back here.
    }
    if (!outcome.ok()) written = std::string(outcome.message());
    return store::AppendAudit(db,
                              {.at = now,
                               .actor = who.name,
                               .action = action,
                               .target = std::string(target),
                               .outcome = std::string(Outcome(outcome)),
                               .detail = written,
                               .role = std::string(auth::RoleName(who.role))});
  }));
  const std::string about = target.empty() ? "" : absl::StrCat(" of ", target);
  if (!outcome.ok()) {
    LogEvent(absl::StrCat(action, about, " by ", who.name,
                          " refused: ", outcome.message()));
    return outcome;
  }
  LogEvent(absl::StrCat(action, about, " by ", who.name,
                        written.empty() ? "" : absl::StrCat(": ", written)));
  return absl::OkStatus();
}

}  // namespace mdefleet::service
