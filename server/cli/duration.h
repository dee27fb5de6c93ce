// Durations on the command line: "90s", "10m", "2h", "7d", "1h30m", "500ms";
// and times given as an RFC 3339 time or as a duration before now ("24h").
#ifndef MDEFLEET_SERVER_CLI_DURATION_H_
#define MDEFLEET_SERVER_CLI_DURATION_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/duration_text.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace mdefleet::cli {

// ParseDurationText (common/duration_text.h: units ms, s, m, h, d, w; "0"
// alone; fractions) with its errors as usage errors naming `flag`.
[[nodiscard]] absl::StatusOr<absl::Duration> ParseCliDuration(
    absl::string_view text, absl::string_view flag);

// An RFC 3339 time ("2024-05-01T18:00:00Z", "2024-05-01T20:00:00+02:00");
// nullopt when `text` is not one.
std::optional<absl::Time> ParseRfc3339(absl::string_view text);

// A point in the past: a duration before `now` ("24h": 24 hours ago) or an
// RFC 3339 time. Usage error naming `flag` otherwise.
[[nodiscard]] absl::StatusOr<absl::Time> ParseCliTimeOrAgo(
    absl::string_view text, absl::string_view flag, absl::Time now);

// The protobuf form of a non-negative duration.
using ::mdefleet::ToProtoDuration;

// The protobuf form of a time.
google::protobuf::Timestamp ToProtoTimestamp(absl::Time t);

// Compact human form: "45s", "12m", "3h5m", "2d4h". Sub-second values
// print as "0s".
std::string FormatShortDuration(absl::Duration d);

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_DURATION_H_
