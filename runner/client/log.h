// One-line logging to stderr for the runner. Never pass secrets (tokens,
// enrollment secrets, onboarding script content) to it.
#ifndef MDEFLEET_RUNNER_CLIENT_LOG_H_
#define MDEFLEET_RUNNER_CLIENT_LOG_H_

#include <functional>

#include "absl/strings/string_view.h"

namespace mdefleet::runner {

// Writes "<UTC time> mdefleet-runner: <line>\n" to stderr atomically with
// respect to other LogLine calls; or, once SetLogSink was called, passes
// `line` to the sink instead.
void LogLine(absl::string_view line);

// Sends every later LogLine to `sink` (the Windows service's log file; its
// stderr goes nowhere). Call once, before other threads log.
void SetLogSink(std::function<void(absl::string_view line)> sink);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_CLIENT_LOG_H_
