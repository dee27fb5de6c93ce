#include "server/service/lease_reaper.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/service/log.h"
#include "server/store/diagnostics.h"
#include "server/store/evidence.h"
#include "server/store/lease_expiry.h"
#include "server/store/rollout_timers.h"
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
  if (total > 0) {
    LogEvent(
        absl::StrCat(total, " task lease(s) expired: retried or timed out"));
  }
  return total;
}

absl::StatusOr<int> LeaseReaper::ExpireDeadlinesOnce() {
  const int64_t now = store::ToMicros(clock_.Now());
  int expired = 0;
  store::WriteEffects effects;
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(expired, store::ExpireDeadlines(db, now, &effects));
    return absl::OkStatus();
  }));
  hub_.Publish(effects);
  if (expired > 0) {
    LogEvent(absl::StrCat(expired,
                          " queued task(s) expired: their job's deadline "
                          "passed"));
  }
  return expired;
}

absl::StatusOr<int> LeaseReaper::WakeOpenedWavesOnce() {
  const int64_t now = store::ToMicros(clock_.Now());
  std::vector<std::pair<std::string, int>> opened;
  RETURN_IF_ERROR(store_.Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(opened, store::WavesOpened(db, waves_checked_until_, now));
    return absl::OkStatus();
  }));
  waves_checked_until_ = now;
  store::WriteEffects effects;
  for (const auto& [job_id, wake] : opened) {
    effects.freed_slots[job_id] += wake;
    effects.changed_jobs.insert(job_id);
  }
  hub_.Publish(effects);
  return static_cast<int>(opened.size());
}

absl::StatusOr<int64_t> LeaseReaper::DeleteOldEvidenceOnce() {
  if (evidence_retention_ <= absl::ZeroDuration()) return 0;
  const int64_t cutoff = store::ToMicros(clock_.Now() - evidence_retention_);
  int64_t deleted = 0;
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(deleted, store::DeleteEvidenceBefore(db, cutoff));
    ASSIGN_OR_RETURN(int64_t bundles,
                     store::DeleteDiagnosticsBefore(db, cutoff));
    deleted += bundles;
    return absl::OkStatus();
  }));
  return deleted;
}

absl::Status LeaseReaper::Tick() {
  absl::Status leases = RunOnce().status();
  absl::Status deadlines = ExpireDeadlinesOnce().status();
  absl::Status waves = WakeOpenedWavesOnce().status();
  absl::Status evidence = absl::OkStatus();
  // A write transaction: rare enough to cost the queue nothing.
  if (clock_.Now() - evidence_swept_at_ >= absl::Minutes(10)) {
    evidence_swept_at_ = clock_.Now();
    absl::StatusOr<int64_t> deleted = DeleteOldEvidenceOnce();
    if (!deleted.ok()) {
      evidence = deleted.status();
    } else if (*deleted > 0) {
      LogEvent(absl::StrCat("deleted ", *deleted,
                            " evidence files past the retention"));
    }
  }
  if (!leases.ok()) return leases;
  if (!deadlines.ok()) return deadlines;
  if (!waves.ok()) return waves;
  return evidence;
}

void LeaseReaper::Start(absl::Duration interval) {
  thread_ = std::thread([this, interval] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      cv_.wait_for(lock, absl::ToChronoNanoseconds(interval));
      if (stopping_) break;
      lock.unlock();
      absl::Status ticked = Tick();
      if (!ticked.ok()) {
        LogEvent(absl::StrCat("lease reaper: ", ticked.message()));
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
