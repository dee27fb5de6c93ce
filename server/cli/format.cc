#include "server/cli/format.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/enum_names.h"
#include "common/inert_text.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "server/cli/duration.h"
#include "server/cli/errors.h"

namespace mdefleet::cli {
std::string JobStateName(v1::JobState state) {
  return EnumLowerName(*v1::JobState_descriptor(), state);
}
std::string TaskStateName(v1::TaskState state) {
  return EnumLowerName(*v1::TaskState_descriptor(), state);
}
std::string StepStateName(v1::StepState state) {
  return EnumLowerName(*v1::StepState_descriptor(), state);
}

absl::StatusOr<v1::JobState> ParseJobState(absl::string_view text,
                                           absl::string_view flag) {
  absl::StatusOr<int> v = ParseEnumName(*v1::JobState_descriptor(), text, flag);
  if (!v.ok()) return UsageError(v.status().message());
  return static_cast<v1::JobState>(*v);
}

absl::StatusOr<v1::TaskState> ParseTaskState(absl::string_view text,
                                             absl::string_view flag) {
  absl::StatusOr<int> v =
      ParseEnumName(*v1::TaskState_descriptor(), text, flag);
  if (!v.ok()) return UsageError(v.status().message());
  return static_cast<v1::TaskState>(*v);
}

bool IsFinal(v1::JobState state) {
  switch (state) {
    case v1::JOB_STATE_SUCCEEDED:
    case v1::JOB_STATE_FAILED:
    case v1::JOB_STATE_CANCELLED:
    case v1::JOB_STATE_EXPIRED:
      return true;
    default:
      return false;
  }
}

std::string FormatTimestamp(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%SZ",
                          absl::FromUnixSeconds(ts.seconds()),
                          absl::UTCTimeZone());
}

std::string FormatAgo(const google::protobuf::Timestamp& ts, absl::Time now) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "never";
  const absl::Time then =
      absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
  return absl::StrCat(FormatShortDuration(now - then), " ago");
}

std::string FormatBytes(uint64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(units)) {
    value /= 1024.0;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", value, units[unit]);
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.always_print_enums_as_ints = false;
  options.preserve_proto_field_names = false;
  std::string out;
  auto status =
      google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!status.ok()) {
    // Only possible for malformed Any/Duration values; say so instead of
    // printing half a document.
    return absl::StrCat("{\"error\": \"cannot print ",
                        message.GetDescriptor()->full_name(), " as JSON\"}\n");
  }
  if (out.empty() || out.back() != '\n') out.push_back('\n');
  return InertJson(std::move(out));
}

std::string Inert(absl::string_view text) { return InertText(text); }

}  // namespace mdefleet::cli
