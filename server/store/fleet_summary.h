// Fleet-wide counts for the fleet summary: devices by OS family x MDE state
// and by need. Aggregates in SQL over the devices table's derived columns;
// no facts blob is decoded.
#ifndef MDEFLEET_SERVER_STORE_FLEET_SUMMARY_H_
#define MDEFLEET_SERVER_STORE_FLEET_SUMMARY_H_

#include <cstdint>
#include <map>
#include <utility>

#include "absl/status/statusor.h"
#include "mdefleet/v1/types.pb.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

struct FleetCounts {
  int64_t total = 0;
  int64_t online = 0;
  std::map<std::pair<v1::OsFamily, v1::MdeState>, int64_t> cells;
  std::map<uint32_t, int64_t> needs;  // NeedBit -> devices (every bit)
};

// Counts every device; `online_since` / `offline_before` are last_seen_at
// bounds (microseconds) for "online" and the offline need.
[[nodiscard]] absl::StatusOr<FleetCounts> CountFleet(Connection& db,
                                                     int64_t online_since,
                                                     int64_t offline_before);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_FLEET_SUMMARY_H_
