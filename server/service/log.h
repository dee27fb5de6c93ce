// One line per notable event on stderr. Never pass tokens, secrets or script
// content here.
#ifndef MDEFLEET_SERVER_SERVICE_LOG_H_
#define MDEFLEET_SERVER_SERVICE_LOG_H_

#include "absl/strings/string_view.h"

namespace mdefleet {

// "2024-01-02T03:04:05Z mdefleet-server: <line>\n" to stderr, atomically.
// `line` often quotes what devices report (host names, messages): it is
// written through InertText (common/inert_text.h), so a control, line break,
// C1, U+2028/U+2029 or bidi character in it shows as an escape and one event
// is always exactly one line.
void LogEvent(absl::string_view line);

}  // namespace mdefleet

#endif  // MDEFLEET_SERVER_SERVICE_LOG_H_
