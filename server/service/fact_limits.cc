#include "server/service/fact_limits.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/inert_text.h"
#include "common/labels.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace mdefleet::service {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Fields of free text (the runner's interpretation of a check's output).
bool IsFreeText(const FieldDescriptor& field) {
  return field.full_name() == "mdefleet.v1.CloudConnectionCheck.message";
}

size_t MaxLength(const FieldDescriptor& field) {
  if (field.full_name() == "mdefleet.v1.DeviceFacts.hostname" ||
      field.full_name() == "mdefleet.v1.DeviceFacts.domain") {
    return kMaxHostnameLength;
  }
  return IsFreeText(field) ? kMaxFactMessageLength : kMaxFactLength;
}

[[nodiscard]] absl::Status CheckString(const FieldDescriptor& field,
                                       absl::string_view path,
                                       const std::string& value) {
  const size_t max = MaxLength(field);
  if (value.size() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", value.size(), " characters, at most ", max));
  }
  // Control characters would forge lines in logs and terminals; C1
  // controls act like ESC on some terminals; U+2028/U+2029 break lines;
  // bidirectional overrides make a name read as another. Outputs escape
  // them all (common/inert_text.h); facts do not hold them at all.
  if (std::optional<std::string> refused =
          FirstRefusedCharacter(value, IsFreeText(field))) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": control and formatting characters are not allowed (", *refused,
        ")"));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CheckMessage(const Message& message,
                                        const std::string& path) {
  const google::protobuf::Reflection& reflection = *message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string name = absl::StrCat(path, ".", field->name());
    if (field->full_name() == "mdefleet.v1.DeviceFacts.labels") {
      const auto& facts = static_cast<const v1::DeviceFacts&>(message);
      if (absl::Status ok = CheckLabels(facts.labels(), name); !ok.ok()) {
        return ok;
      }
      continue;
    }
    if (field->is_repeated()) {
      const int size = reflection.FieldSize(message, field);
      if (size > kMaxFactEntries) {
        return absl::InvalidArgumentError(absl::StrCat(
            name, ": ", size, " entries, at most ", kMaxFactEntries));
      }
      for (int i = 0; i < size; ++i) {
        const std::string element = absl::StrCat(name, "[", i, "]");
        absl::Status ok = absl::OkStatus();
        if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
          ok = CheckString(*field, element,
                           reflection.GetRepeatedString(message, field, i));
        } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
          ok = CheckMessage(reflection.GetRepeatedMessage(message, field, i),
                            element);
        }
        if (!ok.ok()) return ok;
      }
      continue;
    }
    absl::Status ok = absl::OkStatus();
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      ok = CheckString(*field, name, reflection.GetString(message, field));
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      ok = CheckMessage(reflection.GetMessage(message, field), name);
    }
    if (!ok.ok()) return ok;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckDeviceFacts(const v1::DeviceFacts& facts,
                              absl::string_view field) {
  return CheckMessage(facts, std::string(field));
}

}  // namespace mdefleet::service
