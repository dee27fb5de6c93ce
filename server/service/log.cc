#include "server/service/log.h"

#include <grpc/support/log.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/match.h"
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

LogLimiter::LogLimiter(const Clock& clock, std::string what, int64_t max_lines,
                       absl::Duration interval, Sink sink)
    : clock_(clock),
      what_(std::move(what)),
      max_lines_(max_lines),
      interval_(interval),
      sink_(std::move(sink)) {}

void LogLimiter::Log(absl::string_view line) {
  std::string summary;
  std::string notice;
  bool write = false;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_.Now();
    if (now - interval_start_ >= interval_) {
      if (suppressed_ > 0) {
        summary = absl::StrCat(
            suppressed_, " log line(s) about ", what_, " suppressed since ",
            absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", interval_start_,
                             absl::UTCTimeZone()),
            " (at most ", max_lines_, " per ", absl::FormatDuration(interval_),
            ")");
      }
      interval_start_ = now;
      lines_ = 0;
      suppressed_ = 0;
    }
    if (lines_ < max_lines_) {
      ++lines_;
      write = true;
    } else {
      if (suppressed_ == 0) {
        notice = absl::StrCat(
            "more than ", max_lines_, " log lines about ", what_, " within ",
            absl::FormatDuration(interval_),
            ": further ones are suppressed until ",
            absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", interval_start_ + interval_,
                             absl::UTCTimeZone()));
      }
      ++suppressed_;
    }
  }
  if (!summary.empty()) sink_(summary);
  if (!notice.empty()) sink_(notice);
  if (write) sink_(line);
}

namespace {

std::atomic<LogLimiter*> grpc_log_limiter{nullptr};
// Set while a ScopedGrpcLogRouting with a handler is alive; read on gRPC's
// threads, so never deleted (one small leak per serve).
std::atomic<std::function<void(absl::string_view)>*> listener_failure_handler{
    nullptr};
std::atomic<bool> listener_failure_reported{false};

void LogGrpcLine(gpr_log_func_args* args) {
  const char* file = args->file != nullptr ? args->file : "?";
  if (const char* slash = std::strrchr(file, '/')) file = slash + 1;
  const std::string line = absl::StrCat(
      "grpc: ", gpr_log_severity_string(args->severity), " ", file, ":",
      args->line, ": ", args->message != nullptr ? args->message : "");
  // tcp_server_posix.cc: "Failed accept4: <strerror>", then the listener
  // is not re-armed.
  if (args->message != nullptr &&
      absl::StartsWith(args->message, "Failed accept4") &&
      !listener_failure_reported.exchange(true)) {
    LogEvent(line);
    if (auto* handler = listener_failure_handler.load()) (*handler)(line);
    return;
  }
  LogLimiter* limiter = grpc_log_limiter.load();
  if (limiter == nullptr ||
      (args->message != nullptr &&
       absl::StartsWith(args->message, "assertion failed"))) {
    LogEvent(line);
    return;
  }
  limiter->Log(line);
}

}  // namespace

ScopedGrpcLogRouting::ScopedGrpcLogRouting(
    LogLimiter& limiter,
    std::function<void(absl::string_view)> on_listener_failure) {
  if (on_listener_failure) {
    listener_failure_handler.store(new std::function<void(absl::string_view)>(
        std::move(on_listener_failure)));
  }
  grpc_log_limiter.store(&limiter);
  gpr_set_log_function(LogGrpcLine);
}

ScopedGrpcLogRouting::~ScopedGrpcLogRouting() {
  // Lines after this go straight to stderr (through LogEvent).
  grpc_log_limiter.store(nullptr);
  listener_failure_handler.store(nullptr);
}

}  // namespace mdefleet
