// Formatting shared by the commands: enum names for humans and flags,
// timestamps, sizes, and the protobuf JSON mapping for -o json.
#ifndef MDEFLEET_SERVER_CLI_FORMAT_H_
#define MDEFLEET_SERVER_CLI_FORMAT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "mdefleet/v1/jobs.pb.h"

namespace mdefleet::cli {

// "running", "timed_out", ... (the enum value name without its prefix, in
// lower case); "unspecified" for 0.
std::string JobStateName(v1::JobState state);
std::string TaskStateName(v1::TaskState state);
std::string StepStateName(v1::StepState state);

// Inverse of the above; also accepts the full enum name
// ("JOB_STATE_RUNNING"). Usage errors name `flag`.
[[nodiscard]] absl::StatusOr<v1::JobState> ParseJobState(
    absl::string_view text, absl::string_view flag);
[[nodiscard]] absl::StatusOr<v1::TaskState> ParseTaskState(
    absl::string_view text, absl::string_view flag);

// True for a job state that will not change any more.
bool IsFinal(v1::JobState state);

// "2024-05-01 12:00:00Z" (UTC); "-" when unset.
std::string FormatTimestamp(const google::protobuf::Timestamp& ts);

// "12s ago", "3d4h ago"; "never" when unset.
std::string FormatAgo(const google::protobuf::Timestamp& ts, absl::Time now);

// "512 B", "64.0 KiB", "37.2 MiB".
std::string FormatBytes(uint64_t bytes);

// The protobuf JSON mapping of `message` (lowerCamelCase names, enums by
// name, zero values included), pretty-printed, with a final newline. Besides
// the C0 controls the printer escapes, DEL, C1 controls, U+2028/U+2029 and
// bidi characters in strings are written as \uXXXX escapes (InertJson):
// the same values, nothing raw on the terminal.
std::string ToJson(const google::protobuf::Message& message);

// One line of text that may hold what a device reported, made safe to print
// (InertText, common/inert_text.h, one-line layout).
std::string Inert(absl::string_view text);

}  // namespace mdefleet::cli

#endif  // MDEFLEET_SERVER_CLI_FORMAT_H_
