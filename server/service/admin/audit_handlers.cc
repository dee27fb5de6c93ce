// AuditHandlers::ListAuditLog: checks the filters (errors name the field),
// reads one page of the audit log and answers it newest first.
#include "server/service/admin/audit_handlers.h"

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "server/store/audit.h"
#include "server/store/audit_query.h"
#include "server/store/time_util.h"

namespace mdefleet::service {
namespace {

constexpr uint32_t kDefaultAuditPageSize = 100;
constexpr uint32_t kMaxAuditPageSize = 1000;
constexpr size_t kMaxFilterLength = 256;
// The page token is this prefix and the id to continue below, web-safe
// base64 encoded: opaque to clients, and a token of another list is refused.
constexpr absl::string_view kTokenPrefix = "audit-before:";

[[nodiscard]] absl::Status CheckLength(absl::string_view value,
                                       absl::string_view field) {
  if (value.size() <= kMaxFilterLength) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": at most ", kMaxFilterLength, " characters"));
}

// An audited action, or the verb of one ("pause" for "pause_job").
[[nodiscard]] absl::Status CheckAction(absl::string_view action) {
  if (action.empty()) return absl::OkStatus();
  for (absl::string_view known : store::kAuditActions) {
    if (known == action) return absl::OkStatus();
    if (absl::StartsWith(known, action) && known.size() > action.size() &&
        known[action.size()] == '_') {
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "action: \"", absl::CEscape(action.substr(0, kMaxFilterLength)),
      "\" is not an audited action; expected one of ",
      absl::StrJoin(store::kAuditActions, ", "),
      " or the verb of one (pause)"));
}

[[nodiscard]] absl::Status CheckOutcome(absl::string_view outcome) {
  if (outcome.empty() || outcome == store::kAuditOk ||
      outcome == store::kAuditRefused || outcome == store::kAuditError) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("outcome: expected ok, refused or error, got \"",
                   absl::CEscape(outcome.substr(0, kMaxFilterLength)), "\""));
}

// Micros of a set Timestamp (the epoch itself included).
[[nodiscard]] absl::StatusOr<std::optional<int64_t>> TimeFilter(
    bool set, const google::protobuf::Timestamp& ts, absl::string_view field) {
  if (!set) return std::nullopt;
  // Timestamp's own range: 0001-01-01 to 9999-12-31.
  constexpr int64_t kMinSeconds = -62135596800;
  constexpr int64_t kMaxSeconds = 253402300799;
  if (ts.seconds() < kMinSeconds || ts.seconds() > kMaxSeconds ||
      ts.nanos() < 0 || ts.nanos() > 999999999) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": not a valid timestamp"));
  }
  return std::optional<int64_t>(ts.seconds() * 1000000 + ts.nanos() / 1000);
}

[[nodiscard]] absl::StatusOr<int64_t> ParsePageToken(absl::string_view token) {
  if (token.empty()) return 0;
  std::string decoded;
  int64_t before = 0;
  if (!absl::WebSafeBase64Unescape(token, &decoded) ||
      !absl::StartsWith(decoded, kTokenPrefix) ||
      !absl::SimpleAtoi(absl::string_view(decoded).substr(kTokenPrefix.size()),
                        &before) ||
      before <= 0) {
    return absl::InvalidArgumentError("page_token: malformed");
  }
  return before;
}

v1::AuditEntry ToProto(const store::AuditRow& row) {
  v1::AuditEntry out;
  out.set_id(row.id);
  store::SetTimestamp(row.entry.at, out.mutable_time());
  out.set_actor(row.entry.actor);
  out.set_action(row.entry.action);
  out.set_target(row.entry.target);
  out.set_outcome(row.entry.outcome);
  out.set_detail(row.entry.detail);
  out.set_role(row.entry.role);
  return out;
}

}  // namespace

absl::StatusOr<v1::ListAuditLogResponse> AuditHandlers::ListAuditLog(
    absl::string_view authorization, const v1::ListAuditLogRequest& request) {
  RETURN_IF_ERROR(audited_.Authorize(authorization, "ListAuditLog").status());
  store::AuditFilter filter;
  RETURN_IF_ERROR(CheckLength(request.actor(), "actor"));
  filter.actor = request.actor();
  RETURN_IF_ERROR(CheckAction(request.action()));
  filter.action = request.action();
  RETURN_IF_ERROR(CheckLength(request.target(), "target"));
  filter.target = request.target();
  RETURN_IF_ERROR(CheckOutcome(request.outcome()));
  filter.outcome = request.outcome();
  ASSIGN_OR_RETURN(filter.since,
                   TimeFilter(request.has_since(), request.since(), "since"));
  ASSIGN_OR_RETURN(filter.until,
                   TimeFilter(request.has_until(), request.until(), "until"));
  if (filter.since.has_value() && filter.until.has_value() &&
      *filter.since >= *filter.until) {
    return absl::InvalidArgumentError("since: must be before until");
  }
  if (request.page_size() > kMaxAuditPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: at most ", kMaxAuditPageSize));
  }
  const uint32_t page_size =
      request.page_size() == 0 ? kDefaultAuditPageSize : request.page_size();
  ASSIGN_OR_RETURN(const int64_t before, ParsePageToken(request.page_token()));

  store::AuditPage page;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(page, store::QueryAudit(db, filter, before, page_size));
    return absl::OkStatus();
  }));
  v1::ListAuditLogResponse response;
  for (const store::AuditRow& row : page.rows) {
    *response.add_entries() = ToProto(row);
  }
  if (page.next_before_id != 0) {
    response.set_next_page_token(absl::WebSafeBase64Escape(
        absl::StrCat(kTokenPrefix, page.next_before_id)));
  }
  return response;
}

}  // namespace mdefleet::service
