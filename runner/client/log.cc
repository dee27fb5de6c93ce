#include "runner/client/log.h"

#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mdefleet::runner {
namespace {

std::function<void(absl::string_view)>& Sink() {
  static auto* sink = new std::function<void(absl::string_view)>();
  return *sink;
}

}  // namespace

void SetLogSink(std::function<void(absl::string_view line)> sink) {
  Sink() = std::move(sink);
}

void LogLine(absl::string_view line) {
  if (Sink()) {
    Sink()(line);
    return;
  }
  static absl::Mutex mu(absl::kConstInit);
  const std::string text =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                    absl::UTCTimeZone()),
                   " mdefleet-runner: ", line, "\n");
  absl::MutexLock lock(&mu);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace mdefleet::runner
