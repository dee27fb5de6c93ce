#include "server/cli/duration.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/cli/errors.h"

namespace mdefleet::cli {

absl::StatusOr<absl::Duration> ParseCliDuration(absl::string_view text,
                                                absl::string_view flag) {
  absl::StatusOr<absl::Duration> parsed = ParseDurationText(text, flag);
  if (!parsed.ok()) return UsageError(parsed.status().message());
  return parsed;
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
