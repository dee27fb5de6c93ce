// One-line logging to stderr for the runner. Never pass secrets (tokens,
// enrollment secrets, onboarding script content) to it.
#ifndef MDEFLEET_RUNNER_CLIENT_LOG_H_
#define MDEFLEET_RUNNER_CLIENT_LOG_H_

#include "absl/strings/string_view.h"

namespace mdefleet::runner {

// Writes "<UTC time> mdefleet-runner: <line>\n" to stderr atomically with
// respect to other LogLine calls.
void LogLine(absl::string_view line);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_CLIENT_LOG_H_
