// AdminService.GetFleetSummary: what the fleet looks like and what it needs.
#include "absl/strings/str_cat.h"
#include "common/device_needs.h"
#include "common/status_macros.h"
#include "server/service/admin/inventory_handlers.h"
#include "server/store/fleet_summary.h"
#include "server/store/time_util.h"

namespace mdefleet::service {

absl::StatusOr<v1::FleetSummary> InventoryHandlers::GetFleetSummary(
    absl::string_view authorization,
    const v1::GetFleetSummaryRequest& request) {
  RETURN_IF_ERROR(
      audited_.Authorize(authorization, "GetFleetSummary").status());
  absl::Duration offline_for = kDefaultOfflineFor;
  if (request.has_offline_for()) {
    offline_for = absl::Seconds(request.offline_for().seconds()) +
                  absl::Nanoseconds(request.offline_for().nanos());
    if (offline_for <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          "offline_for: must be positive (e.g. 7d)");
    }
  }
  const int64_t now = store::ToMicros(clock_.Now());
  store::FleetCounts counts;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(
        counts,
        store::CountFleet(db, now - absl::ToInt64Microseconds(online_window_),
                          now - absl::ToInt64Microseconds(offline_for)));
    return absl::OkStatus();
  }));
  v1::FleetSummary summary;
  summary.set_total(static_cast<uint32_t>(counts.total));
  summary.set_online(static_cast<uint32_t>(counts.online));
  for (const auto& [key, n] : counts.cells) {
    v1::FleetSummary::Cell* cell = summary.add_cells();
    cell->set_os_family(key.first);
    cell->set_mde_state(key.second);
    cell->set_devices(static_cast<uint32_t>(n));
  }
  for (const NeedInfo& info : AllNeeds()) {
    v1::FleetSummary::NeedCount* need = summary.add_needs();
    std::vector<v1::DeviceNeed> described = DescribeNeeds(info.bit);
    *need->mutable_need() = described.front();
    need->set_description(std::string(info.description));
    need->set_devices(static_cast<uint32_t>(counts.needs[info.bit]));
  }
  const int64_t seconds = absl::ToInt64Seconds(offline_for);
  summary.mutable_offline_for()->set_seconds(seconds);
  return summary;
}

}  // namespace mdefleet::service
