#include "server/store/settings.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "server/store/audit.h"
#include "server/store/devices.h"

namespace mdefleet::store {
namespace {

constexpr char kMdeWorkspaceIds[] = "mde_workspace_ids";
constexpr char kDefenderConfirmTimeout[] = "defender_confirm_seconds";
constexpr char kCaSha256[] = "ca_certificate_sha256";

[[nodiscard]] absl::Status SetSetting(Connection& db, absl::string_view name,
                                      absl::string_view value, int64_t now) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("INSERT INTO server_settings (name, value, changed_at) "
                 "VALUES (?1, ?2, ?3) ON CONFLICT (name) DO UPDATE SET "
                 "value = excluded.value, changed_at = excluded.changed_at"));
  st->Bind(1, name);
  st->Bind(2, value);
  st->Bind(3, now);
  return st->Run();
}

[[nodiscard]] absl::Status SetMdeWorkspaceIds(
    Connection& db, const std::vector<std::string>& ids, int64_t now) {
  return SetSetting(db, kMdeWorkspaceIds, absl::StrJoin(ids, ","), now);
}

}  // namespace

absl::StatusOr<absl::Duration> GetDefenderConfirmTimeout(Connection& db) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT value FROM server_settings WHERE name = ?1"));
  st->Bind(1, kDefenderConfirmTimeout);
  ASSIGN_OR_RETURN(bool row, st->Step());
  int64_t seconds = 0;
  if (!row || !absl::SimpleAtoi(st->ColumnText(0), &seconds) || seconds < 0) {
    return absl::ZeroDuration();
  }
  return absl::Seconds(seconds);
}

absl::Status SetDefenderConfirmTimeout(Connection& db, absl::Duration timeout,
                                       int64_t now) {
  return SetSetting(db, kDefenderConfirmTimeout,
                    absl::StrCat(absl::ToInt64Seconds(
                        std::max(timeout, absl::ZeroDuration()))),
                    now);
}

absl::Status CheckOrRecordCa(Connection& db, absl::string_view ca_sha256,
                             absl::string_view tls_dir, int64_t now) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT value FROM server_settings WHERE name = ?1"));
  st->Bind(1, kCaSha256);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return SetSetting(db, kCaSha256, ca_sha256, now);
  const std::string recorded = st->ColumnText(0);
  if (recorded == ca_sha256) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "the CA certificate in ", tls_dir, " (sha256 ", ca_sha256.substr(0, 16),
      "…) is not the store's CA (sha256 ", recorded.substr(0, 16),
      "…), which signed its runners' certificates: a runner enrolled "
      "through another server would not be trusted here. Give every server "
      "of this store a copy of the same TLS directory"));
}

absl::StatusOr<std::vector<std::string>> GetMdeWorkspaceIds(Connection& db) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT value FROM server_settings WHERE name = ?1"));
  st->Bind(1, kMdeWorkspaceIds);
  ASSIGN_OR_RETURN(bool row, st->Step());
  std::vector<std::string> ids;
  if (!row) return ids;
  for (absl::string_view id :
       absl::StrSplit(st->ColumnText(0), ',', absl::SkipEmpty())) {
    ids.emplace_back(id);
  }
  return ids;
}

absl::StatusOr<MdeWorkspaceChange> ApplyMdeWorkspaceIds(
    Connection& db, std::vector<std::string> ids, absl::string_view actor,
    int64_t now) {
  MdeWorkspaceChange change;
  ASSIGN_OR_RETURN(change.before, GetMdeWorkspaceIds(db));
  change.after = std::move(ids);
  if (!change.changed()) return change;
  RETURN_IF_ERROR(SetMdeWorkspaceIds(db, change.after, now));
  auto list = [](const std::vector<std::string>& v) {
    return v.empty() ? std::string("(none)") : absl::StrJoin(v, ", ");
  };
  RETURN_IF_ERROR(
      AppendAudit(db, {.at = now,
                       .actor = std::string(actor),
                       .action = std::string(kAuditChangeSettings),
                       .target = kMdeWorkspaceIds,
                       .outcome = std::string(kAuditOk),
                       .detail = absl::StrCat("from ", list(change.before),
                                              " to ", list(change.after)),
                       .role = std::string(kAuditServerRole)}));
  ASSIGN_OR_RETURN(change.devices_recomputed, RecomputeAllNeeds(db));
  return change;
}

}  // namespace mdefleet::store
