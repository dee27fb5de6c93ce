#include "server/cli/artifact_ref.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/cli/errors.h"

namespace mdefleet::cli {

bool IsArtifactId(absl::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

absl::StatusOr<std::string> ResolveArtifactRef(absl::string_view flag,
                                               const std::string& value,
                                               v1::ArtifactKind kind,
                                               const ArtifactUploader& upload) {
  if (value.empty()) {
    return UsageError(absl::StrCat(flag,
                                   " is empty; expected a file or a "
                                   "64-hex artifact id"));
  }
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(value, ec);
  if (!ec && std::filesystem::is_regular_file(st)) {
    auto artifact = upload(value, kind);
    if (!artifact.ok()) return artifact.status();
    return artifact->id();
  }
  if (!ec && std::filesystem::exists(st)) {
    return UsageError(
        absl::StrCat(flag, " \"", value, "\" is not a regular file"));
  }
  if (IsArtifactId(value)) return absl::AsciiStrToLower(value);
  return UsageError(absl::StrCat(
      flag, " \"", value,
      "\": no such file, and not a 64-hex artifact id (see `mdefleetctl "
      "artifacts list`)"));
}

}  // namespace mdefleet::cli
