#include "common/enum_names.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace mdefleet {
namespace {

// What an error quotes back of the text it refuses: escaped (it may come
// from a request) and at most this long.
constexpr size_t kMaxQuotedEnumText = 64;

}  // namespace

std::string EnumShortName(absl::string_view full_name,
                          absl::string_view prefix) {
  return std::string(absl::StripPrefix(full_name, prefix));
}

std::string ServiceStateName(v1::ServiceState state) {
  return EnumShortName(v1::ServiceState_Name(state), "SERVICE_STATE_");
}

std::string EnumPrefix(const google::protobuf::EnumDescriptor& descriptor) {
  const google::protobuf::EnumValueDescriptor* zero =
      descriptor.FindValueByNumber(0);
  constexpr absl::string_view kUnspecified = "UNSPECIFIED";
  if (zero == nullptr || !absl::EndsWith(zero->name(), kUnspecified)) {
    return "";
  }
  return zero->name().substr(0, zero->name().size() - kUnspecified.size());
}

std::string EnumLowerName(const google::protobuf::EnumDescriptor& descriptor,
                          int number) {
  const google::protobuf::EnumValueDescriptor* value =
      descriptor.FindValueByNumber(number);
  if (value == nullptr) return absl::StrCat("unknown(", number, ")");
  return absl::AsciiStrToLower(
      EnumShortName(value->name(), EnumPrefix(descriptor)));
}

absl::StatusOr<int> ParseEnumName(
    const google::protobuf::EnumDescriptor& descriptor, absl::string_view text,
    absl::string_view field) {
  std::string wanted = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(text));
  for (char& c : wanted) {
    if (c == '-') c = '_';
  }
  const std::string prefix = EnumPrefix(descriptor);
  std::vector<std::string> names;
  for (int i = 0; i < descriptor.value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor& value = *descriptor.value(i);
    if (value.number() == 0) continue;
    if (wanted == value.name() ||
        absl::StrCat(prefix, wanted) == value.name()) {
      return value.number();
    }
    names.push_back(EnumLowerName(descriptor, value.number()));
  }
  std::string quoted = absl::CEscape(text.substr(0, kMaxQuotedEnumText));
  if (text.size() > kMaxQuotedEnumText) absl::StrAppend(&quoted, "...");
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": unknown value \"", quoted, "\" (expected one of ",
                   absl::StrJoin(names, ", "), ")"));
}

}  // namespace mdefleet
