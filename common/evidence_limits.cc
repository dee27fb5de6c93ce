#include "common/evidence_limits.h"

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace mdefleet {

bool IsValidEvidenceName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxEvidenceNameLength) return false;
  if (name == "." || name == "..") return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '/' || c == '\\' || c == ':') {
      return false;
    }
  }
  return true;
}

absl::Status ValidateEvidenceUpload(const v1::UploadEvidenceRequest& request) {
  if (request.task_id().empty()) {
    return absl::InvalidArgumentError("task_id: required");
  }
  if (request.files_size() == 0) {
    return absl::InvalidArgumentError("files: at least one file is required");
  }
  if (request.files_size() > kMaxEvidenceFiles) {
    return absl::InvalidArgumentError(
        absl::StrCat("files: ", request.files_size(), " files; at most ",
                     kMaxEvidenceFiles, " per step"));
  }
  size_t total = 0;
  std::set<std::string> names;
  for (int i = 0; i < request.files_size(); ++i) {
    const v1::EvidenceFile& f = request.files(i);
    if (!IsValidEvidenceName(f.name())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "files[", i, "].name: not a file name (1-", kMaxEvidenceNameLength,
          " characters without / \\ : or control characters)"));
    }
    if (!names.insert(absl::AsciiStrToLower(f.name())).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("files[", i, "].name: \"", f.name(),
                       "\" appears twice (names compare without case)"));
    }
    if (f.gzip_content().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("files[", i, "].gzip_content: empty"));
    }
    total += f.gzip_content().size();
  }
  if (total > kMaxEvidenceUploadBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("files: ", total, " bytes compressed; at most ",
                     kMaxEvidenceUploadBytes, " per step"));
  }
  return absl::OkStatus();
}

}  // namespace mdefleet
