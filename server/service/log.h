// One line per notable event on stderr. Never pass tokens, secrets or script
// content here.
#ifndef MDEFLEET_SERVER_SERVICE_LOG_H_
#define MDEFLEET_SERVER_SERVICE_LOG_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace mdefleet {

// "2024-01-02T03:04:05Z mdefleet-server: <line>\n" to stderr, atomically.
// `line` often quotes what devices report (host names, messages): it is
// written through InertText (common/inert_text.h), so a control, line break,
// C1, U+2028/U+2029 or bidi character in it shows as an escape and one event
// is always exactly one line.
void LogEvent(absl::string_view line);

// Lines an unauthenticated caller can cause (failed authentications, refused
// connections, malformed requests) at a bounded rate: at most `max_lines`
// per `interval` (read from the injected clock); the first line over it says
// that further lines are suppressed, and the next line after the interval is
// preceded by one summary line counting what was left out. A flood of
// garbage therefore writes at most max_lines + 2 lines per interval.
// Thread-safe.
class LogLimiter {
 public:
  using Sink = std::function<void(absl::string_view)>;
  // `what` names the kind of line in the summary ("failed authentications").
  LogLimiter(const Clock& clock, std::string what, int64_t max_lines,
             absl::Duration interval, Sink sink = LogEvent);

  // Writes `line` to the sink unless this interval's budget is used up.
  void Log(absl::string_view line);

 private:
  const Clock& clock_;
  const std::string what_;
  const int64_t max_lines_;
  const absl::Duration interval_;
  const Sink sink_;
  absl::Mutex mu_;
  absl::Time interval_start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int64_t lines_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t suppressed_ ABSL_GUARDED_BY(mu_) = 0;
};

// While alive, gRPC's own log lines (a failed TLS handshake, a malformed
// HTTP/2 frame: one line per bad connection, which anyone who reaches the
// port can cause) go through `limiter` as "grpc: <file>:<line>: <message>"
// instead of straight to stderr; an assertion gRPC is about to abort on is
// always written. One at a time per process.
class ScopedGrpcLogRouting {
 public:
  // `on_listener_failure` runs (once, with gRPC's line) when gRPC logs that
  // accept4 failed on a listening port: gRPC 1.51 never accepts on that
  // port again (grpc/grpc issues 16058, 20418).
  explicit ScopedGrpcLogRouting(
      LogLimiter& limiter,
      std::function<void(absl::string_view)> on_listener_failure = nullptr);
  ~ScopedGrpcLogRouting();
  ScopedGrpcLogRouting(const ScopedGrpcLogRouting&) = delete;
  ScopedGrpcLogRouting& operator=(const ScopedGrpcLogRouting&) = delete;
};

}  // namespace mdefleet

#endif  // MDEFLEET_SERVER_SERVICE_LOG_H_
