#include "server/service/log.h"

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/inert_text.h"

namespace mdefleet {

void LogEvent(absl::string_view line) {
  std::string text = absl::StrCat(
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()),
      " mdefleet-server: ", InertText(line), "\n");
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace mdefleet
