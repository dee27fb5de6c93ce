#include "server/cli/duration.h"

#include <cmath>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/cli/errors.h"

namespace mdefleet::cli {
namespace {

struct Unit {
  absl::string_view name;
  absl::Duration size;
};

constexpr absl::string_view kUnitHelp = "units ms, s, m, h, d, w";

absl::Status Bad(absl::string_view flag, absl::string_view text,
                 absl::string_view why) {
  return UsageError(absl::StrCat(flag, " \"", text, "\": ", why,
                                 " (expected e.g. 90s, 10m, 2h, 7d, 1h30m; ",
                                 kUnitHelp, ")"));
}

}  // namespace

absl::StatusOr<absl::Duration> ParseCliDuration(absl::string_view text,
                                                absl::string_view flag) {
  const Unit units[] = {
      {"ms", absl::Milliseconds(1)}, {"s", absl::Seconds(1)},
      {"m", absl::Minutes(1)},       {"h", absl::Hours(1)},
      {"d", absl::Hours(24)},        {"w", absl::Hours(24 * 7)},
  };
  absl::string_view rest = absl::StripAsciiWhitespace(text);
  if (rest.empty()) return Bad(flag, text, "empty duration");
  if (rest == "0") return absl::ZeroDuration();
  if (rest[0] == '-') return Bad(flag, text, "must not be negative");
  absl::Duration total = absl::ZeroDuration();
  while (!rest.empty()) {
    size_t n = 0;
    while (n < rest.size() &&
           (absl::ascii_isdigit(static_cast<unsigned char>(rest[n])) ||
            rest[n] == '.')) {
      ++n;
    }
    if (n == 0) return Bad(flag, text, "expected a number");
    double value = 0;
    if (!absl::SimpleAtod(rest.substr(0, n), &value) || !std::isfinite(value)) {
      return Bad(flag, text, "malformed number");
    }
    rest.remove_prefix(n);
    size_t u = 0;
    while (u < rest.size() &&
           absl::ascii_isalpha(static_cast<unsigned char>(rest[u]))) {
      ++u;
    }
    if (u == 0) return Bad(flag, text, "missing unit");
    const absl::string_view unit_name = rest.substr(0, u);
    rest.remove_prefix(u);
    const Unit* unit = nullptr;
    for (const Unit& candidate : units) {
      if (candidate.name == unit_name) unit = &candidate;
    }
    if (unit == nullptr) {
      return Bad(flag, text, absl::StrCat("unknown unit \"", unit_name, "\""));
    }
    total += value * unit->size;
  }
  if (total > absl::Hours(24 * 365 * 100)) {
    return Bad(flag, text, "too long");
  }
  return total;
}

std::optional<absl::Time> ParseRfc3339(absl::string_view text) {
  absl::Time at;
  std::string ignored;
  if (!absl::ParseTime(absl::RFC3339_full, absl::StripAsciiWhitespace(text),
                       &at, &ignored)) {
    return std::nullopt;
  }
  return at;
}

absl::StatusOr<absl::Time> ParseCliTimeOrAgo(absl::string_view text,
                                             absl::string_view flag,
                                             absl::Time now) {
  if (absl::StatusOr<absl::Duration> ago = ParseCliDuration(text, flag);
      ago.ok()) {
    return now - *ago;
  }
  if (std::optional<absl::Time> at = ParseRfc3339(text)) return *at;
  return UsageError(absl::StrCat(
      flag, " \"", text,
      "\": expected a duration before now (24h, 7d) or an RFC 3339 time "
      "(2024-05-01T18:00:00Z)"));
}

google::protobuf::Timestamp ToProtoTimestamp(absl::Time t) {
  google::protobuf::Timestamp out;
  const int64_t seconds = absl::ToUnixSeconds(t);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
  return out;
}

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
  return out;
}

std::string FormatShortDuration(absl::Duration d) {
  if (d < absl::ZeroDuration()) d = absl::ZeroDuration();
  int64_t secs = absl::ToInt64Seconds(d);
  const int64_t days = secs / 86400;
  secs %= 86400;
  const int64_t hours = secs / 3600;
  secs %= 3600;
  const int64_t minutes = secs / 60;
  secs %= 60;
  if (days > 0) {
    return hours > 0 ? absl::StrCat(days, "d", hours, "h")
                     : absl::StrCat(days, "d");
  }
  if (hours > 0) {
    return minutes > 0 ? absl::StrCat(hours, "h", minutes, "m")
                       : absl::StrCat(hours, "h");
  }
  if (minutes > 0) {
    return secs > 0 ? absl::StrCat(minutes, "m", secs, "s")
                    : absl::StrCat(minutes, "m");
  }
  return absl::StrCat(secs, "s");
}

}  // namespace mdefleet::cli
