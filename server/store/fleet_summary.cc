#include "server/store/fleet_summary.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/device_needs.h"
#include "common/status_macros.h"
#include "server/store/devices.h"

namespace mdefleet::store {
absl::StatusOr<FleetCounts> CountFleet(Connection& db, int64_t online_since,
                                       int64_t offline_before) {
  FleetCounts counts;
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("SELECT os_family, mde_state, count(*), "
                   "sum(CASE WHEN last_seen_at >= ?1 THEN 1 ELSE 0 END) FROM "
                   "devices GROUP BY 1, 2"));
    st->Bind(1, online_since);
    while (true) {
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      const int64_t n = st->ColumnInt(2);
      counts.cells[{static_cast<v1::OsFamily>(st->ColumnInt(0)),
                    static_cast<v1::MdeState>(st->ColumnInt(1))}] += n;
      counts.total += n;
      counts.online += st->ColumnInt(3);
    }
  }
  // One pass for every need stored in the mask.
  std::vector<uint32_t> fact_bits;
  std::vector<std::string> sums;
  for (const NeedInfo& need : AllNeeds()) {
    if (need.bit == kNeedCloned || need.bit == kNeedOffline ||
        need.bit == kNeedDuplicateIdentity ||
        need.bit == kNeedDuplicateHostname) {
      continue;
    }
    fact_bits.push_back(need.bit);
    sums.push_back(absl::StrCat("coalesce(sum(CASE WHEN (needs & ", need.bit,
                                ") <> 0 THEN 1 ELSE 0 END), 0)"));
  }
  {
    ASSIGN_OR_RETURN(
        std::unique_ptr<Statement> st,
        db.PrepareOnce(absl::StrCat("SELECT ", absl::StrJoin(sums, ", "),
                                    " FROM devices")));
    ASSIGN_OR_RETURN(bool row, st->Step());
    for (size_t i = 0; i < fact_bits.size(); ++i) {
      counts.needs[fact_bits[i]] = row ? st->ColumnInt(static_cast<int>(i)) : 0;
    }
  }
  DeviceQuery cloned;
  cloned.needs_any = kNeedCloned;
  ASSIGN_OR_RETURN(counts.needs[kNeedCloned], CountDevices(db, cloned));
  DeviceQuery duplicates;
  duplicates.needs_any = kNeedDuplicateIdentity;
  ASSIGN_OR_RETURN(counts.needs[kNeedDuplicateIdentity],
                   CountDevices(db, duplicates));
  DeviceQuery same_name;
  same_name.needs_any = kNeedDuplicateHostname;
  ASSIGN_OR_RETURN(counts.needs[kNeedDuplicateHostname],
                   CountDevices(db, same_name));
  DeviceQuery offline;
  offline.needs_any = kNeedOffline;
  offline.offline_before = offline_before;
  ASSIGN_OR_RETURN(counts.needs[kNeedOffline], CountDevices(db, offline));
  return counts;
}

}  // namespace mdefleet::store
