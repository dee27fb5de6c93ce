// One line per notable event on stderr. Never pass tokens, secrets or script
// content here.
#ifndef MDEFLEET_SERVER_SERVICE_LOG_H_
#define MDEFLEET_SERVER_SERVICE_LOG_H_

#include "absl/strings/string_view.h"

namespace mdefleet {

// "2024-01-02T03:04:05Z mdefleet-server: <line>\n" to stderr, atomically.
void LogEvent(absl::string_view line);

}  // namespace mdefleet

#endif  // MDEFLEET_SERVER_SERVICE_LOG_H_
