// Validation of a submitted JobSpec before anything is stored.
#ifndef MDEFLEET_COMMON_JOB_SPEC_VALIDATION_H_
#define MDEFLEET_COMMON_JOB_SPEC_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/jobs.pb.h"

namespace mdefleet {

// InvalidArgument naming the field ("kind: unknown job kind \"foo\"; expected
// one of install, onboard, ...", "parameters.workspace_id:
// malformed GUID ...", "target: empty selector ...") or Ok. Checks syntax,
// the parameters each kind requires and the rollout policy
// (ValidateRolloutPolicy); artifact existence and the policy's fit to the
// target are the server's job.
[[nodiscard]] absl::Status ValidateJobSpec(const v1::JobSpec& spec);

// True for a GUID in 8-4-4-4-12 hex form, braces optional.
bool IsGuid(absl::string_view text);

// True for an artifact id: the lowercase hex SHA-256 of its content (64
// characters of 0-9a-f).
bool IsArtifactId(absl::string_view text);

// Case-insensitive shell glob (*, ?) used for hostname targets.
bool GlobMatches(absl::string_view pattern, absl::string_view text);

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_JOB_SPEC_VALIDATION_H_
