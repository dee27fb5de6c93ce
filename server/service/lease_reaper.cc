#include "server/service/lease_reaper.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/service/log.h"
#include "server/store/lease_expiry.h"
#include "server/store/time_util.h"

namespace mdefleet::service {

absl::StatusOr<int> LeaseReaper::RunOnce() {
  int total = 0;
  while (true) {
    constexpr int kBatch = 500;
    const int64_t now = store::ToMicros(clock_.Now());
    int expired = 0;
    store::WriteEffects effects;
    RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
      ASSIGN_OR_RETURN(expired, store::ExpireLeases(db, now, kBatch, &effects));
      return absl::OkStatus();
    }));
    hub_.Publish(effects);
    total += expired;
    if (expired < kBatch) break;
  }
  if (total > 0)
    LogEvent(absl::StrCat(total, " task lease(s) expired: timed out"));
  return total;
}

void LeaseReaper::Start(absl::Duration interval) {
  thread_ = std::thread([this, interval] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      cv_.wait_for(lock, absl::ToChronoNanoseconds(interval));
      if (stopping_) break;
      lock.unlock();
      absl::StatusOr<int> reaped = RunOnce();
      if (!reaped.ok()) {
        LogEvent(absl::StrCat("lease reaper: ", reaped.status().message()));
      }
      lock.lock();
    }
  });
}

void LeaseReaper::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace mdefleet::service
