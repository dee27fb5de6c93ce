#include "server/cli/format.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/inert_text.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "server/cli/duration.h"
#include "server/cli/errors.h"

namespace mdefleet::cli {
namespace {

// "JOB_STATE_TIMED_OUT" with prefix "JOB_STATE_" -> "timed_out".
std::string ShortName(const google::protobuf::EnumDescriptor* descriptor,
                      int value, absl::string_view prefix) {
  const google::protobuf::EnumValueDescriptor* v =
      descriptor->FindValueByNumber(value);
  if (v == nullptr) return absl::StrCat("unknown(", value, ")");
  absl::string_view name = v->name();
  absl::ConsumePrefix(&name, prefix);
  return absl::AsciiStrToLower(name);
}

absl::StatusOr<int> ParseShortName(
    const google::protobuf::EnumDescriptor* descriptor, absl::string_view text,
    absl::string_view prefix, absl::string_view flag) {
  std::string upper = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(text));
  for (char& c : upper) {
    if (c == '-') c = '_';
  }
  if (!absl::StartsWith(upper, prefix)) upper = absl::StrCat(prefix, upper);
  const google::protobuf::EnumValueDescriptor* v =
      descriptor->FindValueByName(upper);
  if (v != nullptr && v->number() != 0) return v->number();
  std::vector<std::string> names;
  for (int i = 0; i < descriptor->value_count(); ++i) {
    if (descriptor->value(i)->number() == 0) continue;
    names.push_back(
        ShortName(descriptor, descriptor->value(i)->number(), prefix));
  }
  return UsageError(absl::StrCat(flag, " \"", text, "\": expected one of ",
                                 absl::StrJoin(names, ", ")));
}

}  // namespace

std::string JobStateName(v1::JobState state) {
  return ShortName(v1::JobState_descriptor(), state, "JOB_STATE_");
}
std::string TaskStateName(v1::TaskState state) {
  return ShortName(v1::TaskState_descriptor(), state, "TASK_STATE_");
}
std::string StepStateName(v1::StepState state) {
  return ShortName(v1::StepState_descriptor(), state, "STEP_STATE_");
}

absl::StatusOr<v1::JobState> ParseJobState(absl::string_view text,
                                           absl::string_view flag) {
  auto v = ParseShortName(v1::JobState_descriptor(), text, "JOB_STATE_", flag);
  if (!v.ok()) return v.status();
  return static_cast<v1::JobState>(*v);
}

absl::StatusOr<v1::TaskState> ParseTaskState(absl::string_view text,
                                             absl::string_view flag) {
  auto v =
      ParseShortName(v1::TaskState_descriptor(), text, "TASK_STATE_", flag);
  if (!v.ok()) return v.status();
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
