// Maintenance windows of a job's rollout policy: weekly windows of a
// device's local time such as "Sat 01:00-05:00", "Mon-Fri 22:00-02:00" or
// "daily 03:00-04:00", in which steps that restart the machine (and, with
// MAINTENANCE_SCOPE_WHOLE_TASK, whole tasks) may run. Parsing, the canonical
// form, "is this moment in a window" and "when does the next one open".
// Pure: the caller supplies the time and the device's UTC offset.
//
// Syntax: DAYS HH:MM-HH:MM where DAYS is a day (Sun, Mon, ... Sat; full
// names and any case accepted), a range of days (Mon-Fri; Fri-Mon wraps
// round the week), or "daily" / "*". The window opens at the start time on
// each of those days and closes at the end time; an end at or before the
// start means the next day ("Sun 23:00-02:00" closes Monday 02:00). The end
// may be 24:00. Start and end may not be equal.
#ifndef MDEFLEET_COMMON_MAINTENANCE_WINDOW_H_
#define MDEFLEET_COMMON_MAINTENANCE_WINDOW_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mdefleet/v1/jobs.pb.h"

namespace mdefleet {

inline constexpr int kMinutesPerDay = 24 * 60;
inline constexpr int kMinutesPerWeek = 7 * kMinutesPerDay;

// The expected syntax, for error messages.
inline constexpr absl::string_view kMaintenanceWindowSyntax =
    "expected DAYS HH:MM-HH:MM in the device's local time, e.g. \"Sat "
    "01:00-05:00\", \"Mon-Fri 22:00-02:00\" or \"daily 03:00-04:00\"";

// One parsed window.
struct MaintenanceWindowSpec {
  uint8_t days = 0;        // bit d: opens on weekday d (0 = Sunday ... 6)
  int start_minute = 0;    // minutes after local midnight, 0..1439
  int length_minutes = 0;  // 1..1440 (crossing midnight allowed)
};

// Parses `text`. InvalidArgument naming `flag` (e.g. "--maintenance-window"
// or "policy.maintenance_windows[0]") with the bad text, what is wrong and
// the expected syntax.
[[nodiscard]] absl::StatusOr<MaintenanceWindowSpec> ParseMaintenanceWindow(
    absl::string_view text, absl::string_view flag);

// Canonical text: "Sat 01:00-05:00", "Mon-Fri 22:00-02:00",
// "daily 03:00-04:00" (re-parses to the same window).
std::string FormatMaintenanceWindow(const MaintenanceWindowSpec& window);

// The policy's windows, parsed. InvalidArgument
// "policy.maintenance_windows[i]: ... (--maintenance-window)" for a bad one,
// and for a WHOLE_TASK scope without windows.
[[nodiscard]] absl::StatusOr<std::vector<MaintenanceWindowSpec>>
ParsePolicyWindows(const v1::RolloutPolicy& policy);

// Parses the windows a runner was given (LeasedTask.maintenance_windows).
[[nodiscard]] absl::StatusOr<std::vector<MaintenanceWindowSpec>> ParseWindows(
    const google::protobuf::RepeatedPtrField<v1::MaintenanceWindow>& windows);

// Whether the device's local time at `now` (UTC offset `utc_offset_minutes`)
// is inside `window`.
bool InMaintenanceWindow(const MaintenanceWindowSpec& window, absl::Time now,
                         int utc_offset_minutes);

// When one of `windows` is next open at or after `now`: `now` itself when one
// is open, else the (UTC) moment the soonest one opens, with its index.
// nullopt when `windows` is empty.
struct NextOpening {
  absl::Time at;
  size_t index = 0;  // which window
};
std::optional<NextOpening> NextMaintenanceOpening(
    const std::vector<MaintenanceWindowSpec>& windows, absl::Time now,
    int utc_offset_minutes);

// Whether a task of a job with `policy` may be leased now for a device whose
// local time is UTC + `utc_offset_minutes`: always, unless the scope is
// WHOLE_TASK and no window is open. Windows that do not parse (the server
// validated them at submit) never open.
bool TaskMayStartNow(const v1::RolloutPolicy& policy, absl::Time now,
                     int utc_offset_minutes);

// "+09:00", "-05:30", "+00:00".
std::string FormatUtcOffset(int utc_offset_minutes);

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_MAINTENANCE_WINDOW_H_
