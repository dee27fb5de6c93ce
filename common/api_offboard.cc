#include "common/api_offboard.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace mdefleet {

bool IsServerExecutedKind(absl::string_view kind) {
  return kind == kApiOffboardKind;
}

bool IsMachineId(absl::string_view text) {
  if (text.size() != 40) return false;
  for (char c : text) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::Status ValidateOffboardComment(absl::string_view kind,
                                     absl::string_view comment) {
  if (kind != kApiOffboardKind) {
    if (comment.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(
        "parameters.comment: only used by api_offboard");
  }
  if (absl::StripAsciiWhitespace(comment).empty()) {
    return absl::InvalidArgumentError(
        "parameters.comment: required for api_offboard (--comment): the "
        "Defender API refuses an offboarding without a Comment, which it "
        "keeps with the machine action (e.g. \"decommissioned, CHG0042\")");
  }
  if (comment.size() > kMaxOffboardCommentLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameters.comment: ", comment.size(),
                     " characters; at most ", kMaxOffboardCommentLength));
  }
  for (char c : comment) {
    if (absl::ascii_iscntrl(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(
          "parameters.comment: control characters (newlines, tabs) are not "
          "allowed");
    }
  }
  return absl::OkStatus();
}

}  // namespace mdefleet
