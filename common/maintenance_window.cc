#include "common/maintenance_window.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"

namespace mdefleet {
namespace {

constexpr std::array<absl::string_view, 7> kDayNames = {
    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<absl::string_view, 7> kFullDayNames = {
    "sunday",   "monday", "tuesday", "wednesday",
    "thursday", "friday", "saturday"};
constexpr uint8_t kAllDays = 0x7f;

[[nodiscard]] absl::Status BadWindow(absl::string_view flag,
                                     absl::string_view text,
                                     absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      flag, " \"", text, "\": ", why, "; ", kMaintenanceWindowSyntax));
}

std::optional<int> ParseDay(absl::string_view word) {
  const std::string lower = absl::AsciiStrToLower(word);
  for (int d = 0; d < 7; ++d) {
    if (lower == absl::AsciiStrToLower(kDayNames[d]) ||
        lower == kFullDayNames[d]) {
      return d;
    }
  }
  return std::nullopt;
}

// "HH:MM" -> minutes after midnight; 24:00 only when `allow_24`.
std::optional<int> ParseClock(absl::string_view text, bool allow_24) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  int h = 0;
  int m = 0;
  if (parts.size() != 2 || parts[0].size() != 2 || parts[1].size() != 2 ||
      !absl::ascii_isdigit(static_cast<unsigned char>(parts[0][0])) ||
      !absl::ascii_isdigit(static_cast<unsigned char>(parts[1][0])) ||
      !absl::SimpleAtoi(parts[0], &h) || !absl::SimpleAtoi(parts[1], &m) ||
      m > 59) {
    return std::nullopt;
  }
  if (h < 24) return h * 60 + m;
  if (h == 24 && m == 0 && allow_24) return kMinutesPerDay;
  return std::nullopt;
}

std::string Clock(int minutes) {
  return absl::StrFormat("%02d:%02d", minutes / 60, minutes % 60);
}

// Minutes since Sunday 00:00 of the device's local time at `now`.
int WeekMinute(absl::Time now, int utc_offset_minutes) {
  const absl::CivilMinute local = absl::ToCivilMinute(
      now + absl::Minutes(utc_offset_minutes), absl::UTCTimeZone());
  // absl::Weekday counts from Monday = 0.
  const int weekday =
      (static_cast<int>(absl::GetWeekday(absl::CivilDay(local))) + 1) % 7;
  return weekday * kMinutesPerDay + local.hour() * 60 + local.minute();
}

int Mod(int a, int m) { return ((a % m) + m) % m; }

}  // namespace

absl::StatusOr<MaintenanceWindowSpec> ParseMaintenanceWindow(
    absl::string_view text, absl::string_view flag) {
  std::vector<absl::string_view> words =
      absl::StrSplit(absl::StripAsciiWhitespace(text), ' ', absl::SkipEmpty());
  if (words.size() != 2) {
    return BadWindow(
        flag, text,
        words.size() < 2 ? "needs days and a time range" : "too many parts");
  }
  MaintenanceWindowSpec w;
  const std::string days = absl::AsciiStrToLower(words[0]);
  if (days == "daily" || days == "*") {
    w.days = kAllDays;
  } else {
    std::vector<absl::string_view> range = absl::StrSplit(days, '-');
    if (range.size() > 2) return BadWindow(flag, text, "bad day range");
    std::optional<int> first = ParseDay(range[0]);
    std::optional<int> last = range.size() == 2 ? ParseDay(range[1]) : first;
    if (!first || !last) {
      return BadWindow(flag, text,
                       absl::StrCat("unknown day \"", words[0],
                                    "\" (Sun, Mon, Tue, Wed, Thu, Fri, Sat, a "
                                    "range like Mon-Fri, or daily)"));
    }
    for (int d = *first;; d = (d + 1) % 7) {
      w.days |= static_cast<uint8_t>(1u << d);
      if (d == *last) break;
    }
  }
  std::vector<absl::string_view> times = absl::StrSplit(words[1], '-');
  std::optional<int> start =
      times.size() == 2 ? ParseClock(times[0], false) : std::nullopt;
  std::optional<int> end =
      times.size() == 2 ? ParseClock(times[1], true) : std::nullopt;
  if (!start || !end) {
    return BadWindow(
        flag, text,
        absl::StrCat("\"", words[1],
                     "\" is not a time range HH:MM-HH:MM (00:00 to "
                     "24:00)"));
  }
  if (*start == *end) {
    return BadWindow(flag, text, "the window starts and ends at the same time");
  }
  w.start_minute = *start;
  w.length_minutes =
      *end > *start ? *end - *start : *end + kMinutesPerDay - *start;
  return w;
}

std::string FormatMaintenanceWindow(const MaintenanceWindowSpec& w) {
  std::string days;
  if (w.days == kAllDays) {
    days = "daily";
  } else {
    // One day, or the run of consecutive days (possibly wrapping).
    int first = -1;
    for (int d = 0; d < 7 && first < 0; ++d) {
      const bool on = (w.days >> d) & 1;
      const bool prev_on = (w.days >> ((d + 6) % 7)) & 1;
      if (on && !prev_on) first = d;
    }
    if (first < 0) first = 0;
    int last = first;
    while (((w.days >> ((last + 1) % 7)) & 1) && (last + 1) % 7 != first) {
      last = (last + 1) % 7;
    }
    days = first == last ? std::string(kDayNames[first])
                         : absl::StrCat(kDayNames[first], "-", kDayNames[last]);
  }
  const int end = (w.start_minute + w.length_minutes) % kMinutesPerDay;
  const bool ends_24 = w.start_minute + w.length_minutes == kMinutesPerDay;
  return absl::StrCat(days, " ", Clock(w.start_minute), "-",
                      ends_24 ? std::string("24:00") : Clock(end));
}

absl::StatusOr<std::vector<MaintenanceWindowSpec>> ParsePolicyWindows(
    const v1::RolloutPolicy& policy) {
  std::vector<MaintenanceWindowSpec> out;
  for (int i = 0; i < policy.maintenance_windows_size(); ++i) {
    auto w =
        ParseMaintenanceWindow(policy.maintenance_windows(i).spec(),
                               absl::StrCat("policy.maintenance_windows[", i,
                                            "] (--maintenance-window)"));
    if (!w.ok()) return w.status();
    out.push_back(*w);
  }
  if (policy.maintenance_scope() == v1::MAINTENANCE_SCOPE_WHOLE_TASK &&
      out.empty()) {
    return absl::InvalidArgumentError(
        "policy.maintenance_scope: the whole-task scope needs at least one "
        "window (--maintenance-window-scope task without "
        "--maintenance-window)");
  }
  if (!v1::MaintenanceScope_IsValid(policy.maintenance_scope())) {
    return absl::InvalidArgumentError(
        "policy.maintenance_scope: unknown scope "
        "(--maintenance-window-scope: reboot or task)");
  }
  return out;
}

absl::StatusOr<std::vector<MaintenanceWindowSpec>> ParseWindows(
    const google::protobuf::RepeatedPtrField<v1::MaintenanceWindow>& windows) {
  std::vector<MaintenanceWindowSpec> out;
  for (const v1::MaintenanceWindow& w : windows) {
    auto parsed = ParseMaintenanceWindow(w.spec(), "maintenance window");
    if (!parsed.ok()) return parsed.status();
    out.push_back(*parsed);
  }
  return out;
}

bool InMaintenanceWindow(const MaintenanceWindowSpec& w, absl::Time now,
                         int utc_offset_minutes) {
  const int m = WeekMinute(now, utc_offset_minutes);
  for (int d = 0; d < 7; ++d) {
    if (!((w.days >> d) & 1)) continue;
    const int open = d * kMinutesPerDay + w.start_minute;
    if (Mod(m - open, kMinutesPerWeek) < w.length_minutes) return true;
  }
  return false;
}

std::optional<NextOpening> NextMaintenanceOpening(
    const std::vector<MaintenanceWindowSpec>& windows, absl::Time now,
    int utc_offset_minutes) {
  if (windows.empty()) return std::nullopt;
  const int m = WeekMinute(now, utc_offset_minutes);
  std::optional<NextOpening> best;
  int best_delta = kMinutesPerWeek + 1;
  // The start of the current local minute, as a UTC instant.
  const absl::Time minute_start =
      absl::FromCivil(
          absl::ToCivilMinute(now + absl::Minutes(utc_offset_minutes),
                              absl::UTCTimeZone()),
          absl::UTCTimeZone()) -
      absl::Minutes(utc_offset_minutes);
  for (size_t i = 0; i < windows.size(); ++i) {
    const MaintenanceWindowSpec& w = windows[i];
    if (InMaintenanceWindow(w, now, utc_offset_minutes)) {
      return NextOpening{now, i};
    }
    for (int d = 0; d < 7; ++d) {
      if (!((w.days >> d) & 1)) continue;
      const int open = d * kMinutesPerDay + w.start_minute;
      const int delta = Mod(open - m, kMinutesPerWeek);
      if (delta < best_delta) {
        best_delta = delta;
        best = NextOpening{minute_start + absl::Minutes(delta), i};
      }
    }
  }
  return best;
}

bool TaskMayStartNow(const v1::RolloutPolicy& policy, absl::Time now,
                     int utc_offset_minutes) {
  if (policy.maintenance_scope() != v1::MAINTENANCE_SCOPE_WHOLE_TASK) {
    return true;
  }
  for (const v1::MaintenanceWindow& w : policy.maintenance_windows()) {
    auto parsed = ParseMaintenanceWindow(w.spec(), "maintenance window");
    if (parsed.ok() && InMaintenanceWindow(*parsed, now, utc_offset_minutes)) {
      return true;
    }
  }
  return false;
}

std::string FormatUtcOffset(int utc_offset_minutes) {
  const int a =
      utc_offset_minutes < 0 ? -utc_offset_minutes : utc_offset_minutes;
  return absl::StrFormat("%c%02d:%02d", utc_offset_minutes < 0 ? '-' : '+',
                         a / 60, a % 60);
}

}  // namespace mdefleet
