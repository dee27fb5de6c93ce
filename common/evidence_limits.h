// The bounds of a failed step's evidence (runner.proto UploadEvidence), one
// rule for the runner that packs it and the server that checks it.
#ifndef MDEFLEET_COMMON_EVIDENCE_LIMITS_H_
#define MDEFLEET_COMMON_EVIDENCE_LIMITS_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/runner.pb.h"

namespace mdefleet {

inline constexpr int kMaxEvidenceFiles = 16;
inline constexpr size_t kMaxEvidenceNameLength = 128;
// Per file, uncompressed: the runner keeps the end of a longer file (the end
// of a log says why it failed).
inline constexpr size_t kMaxEvidenceFileBytes = size_t{4} << 20;
// Per upload, compressed: under gRPC's default 4 MiB message.
inline constexpr size_t kMaxEvidenceUploadBytes = size_t{3} << 20;

// Whether `name` may name an evidence file: 1-128 characters, no path
// separators (/ \ :), no control characters, not "." or "..".
bool IsValidEvidenceName(absl::string_view name);

// The bounds above on `request` (names unique, counts, compressed sizes),
// naming the field that breaks them ("files[2].name: ..."). The content is
// not opened here: the server decompresses each file with
// kMaxEvidenceFileBytes as the bound.
[[nodiscard]] absl::Status ValidateEvidenceUpload(
    const v1::UploadEvidenceRequest& request);

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_EVIDENCE_LIMITS_H_
