#include "server/serve/cluster_duties.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/service/log.h"

namespace mdefleet::serve {

ClusterDuties::ClusterDuties(
    std::unique_ptr<store::postgres::AdvisoryLock> lock, StartFn start,
    StopFn stop, absl::Duration retry)
    : lock_(std::move(lock)),
      start_(std::move(start)),
      stop_(std::move(stop)),
      retry_(retry) {}

absl::Status ClusterDuties::Start() {
  if (lock_ == nullptr) {
    absl::Status started = start_();
    if (!started.ok()) {
      stop_();
      return started;
    }
    leading_ = true;
    return absl::OkStatus();
  }
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void ClusterDuties::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (leading_) {
    stop_();
    leading_ = false;
  }
  if (lock_ != nullptr) lock_->Release();
}

void ClusterDuties::Run() {
  std::unique_lock<std::mutex> guard(mu_);
  while (!stopping_) {
    guard.unlock();
    if (leading_) {
      if (!lock_->StillHeld()) Resign("lost the cluster lock");
    } else {
      Lead();
    }
    guard.lock();
    cv_.wait_for(guard, absl::ToChronoNanoseconds(retry_),
                 [this] { return stopping_; });
  }
}

void ClusterDuties::Lead() {
  absl::StatusOr<bool> acquired = lock_->TryAcquire();
  if (!acquired.ok() || !*acquired) return;
  absl::Status started = start_();
  if (!started.ok()) {
    stop_();
    lock_->Release();
    LogEvent(absl::StrCat("cluster duties: could not start them here (",
                          started.message(),
                          "); the cluster lock is given back"));
    return;
  }
  leading_ = true;
  LogEvent(
      "cluster duties: this server now runs lease expiry, rollout timers and "
      "the Defender API workers for the cluster");
}

void ClusterDuties::Resign(const char* why) {
  leading_ = false;
  stop_();
  lock_->Release();
  LogEvent(
      absl::StrCat("cluster duties: stopped here (", why,
                   "); another server takes them over, or this one again"));
}

}  // namespace mdefleet::serve
