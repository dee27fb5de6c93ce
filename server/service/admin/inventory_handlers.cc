// InventoryHandlers::ListDevices and GetDevice: the devices, as the
// inventory shows them (online, needs, clones, revocation).
#include "server/service/admin/inventory_handlers.h"

#include <optional>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/device_needs.h"
#include "common/labels.h"
#include "common/status_macros.h"
#include "server/service/admin/admin_options.h"
#include "server/store/device_access.h"
#include "server/store/devices.h"
#include "server/store/enrollment.h"
#include "server/store/time_util.h"

namespace mdefleet::service {
namespace {

[[nodiscard]] absl::StatusOr<absl::Duration> NonNegative(
    const google::protobuf::Duration& d, absl::string_view field) {
  absl::Duration out =
      absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
  if (out < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must not be negative"));
  }
  return out;
}

v1::Device ToDevice(const store::DeviceRow& row, int64_t online_since,
                    int64_t offline_before) {
  v1::Device d;
  d.set_id(row.id);
  *d.mutable_facts() = row.facts;
  store::SetTimestamp(row.enrolled_at, d.mutable_enrolled_at());
  store::SetTimestamp(row.last_seen_at, d.mutable_last_seen_at());
  d.set_online(row.last_seen_at >= online_since);
  for (const std::string& id : row.clone_of) d.add_clone_of(id);
  uint32_t needs = row.needs;
  if (!row.clone_of.empty()) needs |= kNeedCloned;
  for (const std::string& id : row.hostname_shared_with) {
    d.add_hostname_shared_with(id);
  }
  if (!row.hostname_shared_with.empty()) needs |= kNeedDuplicateHostname;
  const bool onboarded =
      row.facts.mde_state() == v1::MDE_STATE_ONBOARDED ||
      row.facts.mde_state() == v1::MDE_STATE_SENSE_NOT_RUNNING;
  if (onboarded && row.last_seen_at < offline_before) needs |= kNeedOffline;
  if (!row.duplicate_of.empty() && !row.revoked) {
    needs |= kNeedDuplicateIdentity;
  }
  for (v1::DeviceNeed& need : DescribeNeeds(needs)) {
    if (need.need() == "duplicate_identity") {
      need.set_advice(DuplicateIdentityAdvice(row.duplicate_of));
    }
    if (need.need() == "duplicate_hostname") {
      need.set_advice(absl::StrCat(
          "also reported by ", absl::StrJoin(row.hostname_shared_with, ", "),
          ": ", need.advice()));
    }
    *d.add_needs() = std::move(need);
  }
  return d;
}

}  // namespace

absl::StatusOr<v1::ListDevicesResponse> InventoryHandlers::ListDevices(
    absl::string_view authorization, const v1::ListDevicesRequest& request) {
  RETURN_IF_ERROR(audited_.Authorize(authorization, "ListDevices").status());
  const int64_t now = store::ToMicros(clock_.Now());
  store::DeviceQuery query;
  if (request.os_family() != v1::OS_FAMILY_UNSPECIFIED) {
    query.os_families.push_back(request.os_family());
  }
  if (!request.label().empty()) {
    ASSIGN_OR_RETURN(Label label, ParseLabel(request.label(), "label"));
    query.labels[label.key] = label.value;
  }
  query.mde_state = request.mde_state();
  if (request.has_seen_within()) {
    ASSIGN_OR_RETURN(absl::Duration d,
                     NonNegative(request.seen_within(), "seen_within"));
    query.seen_since = now - absl::ToInt64Microseconds(d);
  }
  if (request.has_unseen_for()) {
    ASSIGN_OR_RETURN(absl::Duration d,
                     NonNegative(request.unseen_for(), "unseen_for"));
    query.seen_before = now - absl::ToInt64Microseconds(d);
  }
  query.hostname_glob = request.hostname_glob();
  absl::Duration offline_for = kDefaultOfflineFor;
  if (request.has_offline_for()) {
    ASSIGN_OR_RETURN(offline_for,
                     NonNegative(request.offline_for(), "offline_for"));
  }
  const int64_t offline_before = now - absl::ToInt64Microseconds(offline_for);
  if (!request.needs().empty()) {
    ASSIGN_OR_RETURN(query.needs_any, NeedsHelpedBy(request.needs(), "needs"));
    query.offline_before = offline_before;
  }
  if (!request.page_token().empty()) {
    std::string decoded;
    if (!absl::WebSafeBase64Unescape(request.page_token(), &decoded) ||
        decoded.find('\n') == std::string::npos) {
      return absl::InvalidArgumentError("page_token: malformed");
    }
    std::pair<std::string, std::string> key =
        absl::StrSplit(decoded, absl::MaxSplits('\n', 1));
    query.after = key;
  }
  const uint32_t page_size = PageSizeOf(request.page_size());
  query.limit = page_size + 1;
  std::vector<store::DeviceRow> rows;
  int64_t total = 0;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(rows, store::QueryDevices(db, query));
    ASSIGN_OR_RETURN(total, store::CountDevices(db, query));
    return absl::OkStatus();
  }));
  v1::ListDevicesResponse response;
  const int64_t online_since = now - absl::ToInt64Microseconds(online_window_);
  for (size_t i = 0; i < rows.size() && i < page_size; ++i) {
    *response.add_devices() = ToDevice(rows[i], online_since, offline_before);
  }
  if (rows.size() > page_size) {
    const store::DeviceRow& last = rows[page_size - 1];
    response.set_next_page_token(absl::WebSafeBase64Escape(
        absl::StrCat(last.facts.hostname(), "\n", last.id)));
  }
  response.set_total(static_cast<uint32_t>(total));
  return response;
}

absl::StatusOr<v1::Device> InventoryHandlers::GetDevice(
    absl::string_view authorization, const v1::GetDeviceRequest& request) {
  RETURN_IF_ERROR(audited_.Authorize(authorization, "GetDevice").status());
  if (request.device_id().empty()) {
    return absl::InvalidArgumentError("device_id: required");
  }
  std::optional<store::DeviceRow> row;
  store::DeviceAccess access;
  v1::DeviceEnrollment enrollment;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(row, store::GetDevice(db, request.device_id()));
    if (!row) return absl::OkStatus();
    ASSIGN_OR_RETURN(access, store::GetDeviceAccess(db, request.device_id()));
    ASSIGN_OR_RETURN(enrollment,
                     store::ReadDeviceEnrollment(db, request.device_id()));
    return absl::OkStatus();
  }));
  if (!row) {
    return absl::NotFoundError(
        absl::StrCat("device_id: no device \"", request.device_id(), "\""));
  }
  const int64_t now = store::ToMicros(clock_.Now());
  v1::Device device =
      ToDevice(*row, now - absl::ToInt64Microseconds(online_window_),
               now - absl::ToInt64Microseconds(kDefaultOfflineFor));
  if (access.revoked_at) {
    store::SetTimestamp(*access.revoked_at, device.mutable_revoked_at());
    device.set_revoked_reason(access.revoked_reason);
  }
  if (access.runner_clone_seen_at) {
    store::SetTimestamp(*access.runner_clone_seen_at,
                        device.mutable_runner_clone_seen_at());
  }
  *device.mutable_enrollment() = std::move(enrollment);
  return device;
}

}  // namespace mdefleet::service
