// Durations as people type them: "90s", "10m", "2h", "7d", "1h30m", "500ms".
// Shared by mdefleetctl's flags and the HTTP API's query parameters, so a
// filter means the same in both.
#ifndef MDEFLEET_COMMON_DURATION_TEXT_H_
#define MDEFLEET_COMMON_DURATION_TEXT_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"

namespace mdefleet {

// Parses a sequence of <number><unit> with units ms, s, m, h, d (24h) and w
// (7d); numbers may have a fraction ("1.5h"). "0" alone is accepted. Negative,
// unit-less and longer-than-a-century values are refused: InvalidArgument
// "<what> \"<text>\": <why> (expected e.g. 90s, ...)".
[[nodiscard]] absl::StatusOr<absl::Duration> ParseDurationText(
    absl::string_view text, absl::string_view what);

// The protobuf form of a non-negative duration.
google::protobuf::Duration ToProtoDuration(absl::Duration d);

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_DURATION_TEXT_H_
