// AdminService's inventory: the devices and the fleet's counts. Read-only;
// each method checks the token and role first (Audited::Authorize).
#ifndef MDEFLEET_SERVER_SERVICE_ADMIN_INVENTORY_HANDLERS_H_
#define MDEFLEET_SERVER_SERVICE_ADMIN_INVENTORY_HANDLERS_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "mdefleet/v1/admin.pb.h"
#include "server/service/admin/audited.h"
#include "server/store/store.h"

namespace mdefleet::service {

// A device unseen this long needs offboarding through the API (default of
// GetFleetSummaryRequest.offline_for / ListDevicesRequest.offline_for).
inline constexpr absl::Duration kDefaultOfflineFor = absl::Hours(24 * 7);

class InventoryHandlers {
 public:
  // Devices seen within `online_window` are online.
  InventoryHandlers(store::Store& store, const Clock& clock, Audited& audited,
                    absl::Duration online_window)
      : store_(store),
        clock_(clock),
        audited_(audited),
        online_window_(online_window) {}

  [[nodiscard]] absl::StatusOr<v1::ListDevicesResponse> ListDevices(
      absl::string_view authorization, const v1::ListDevicesRequest& request);
  // NotFound "device_id: no device \"x\"".
  [[nodiscard]] absl::StatusOr<v1::Device> GetDevice(
      absl::string_view authorization, const v1::GetDeviceRequest& request);
  // Counts by OS family x MDE state and by need (inventory_summary.cc).
  [[nodiscard]] absl::StatusOr<v1::FleetSummary> GetFleetSummary(
      absl::string_view authorization,
      const v1::GetFleetSummaryRequest& request);

 private:
  store::Store& store_;
  const Clock& clock_;
  Audited& audited_;
  const absl::Duration online_window_;
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_ADMIN_INVENTORY_HANDLERS_H_
