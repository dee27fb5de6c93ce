#include "server/service/event_hub.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/service/log.h"
#include "server/store/jobs.h"

namespace mdefleet::service {
using store::JobStateWord;

void EventHub::Publish(const store::WriteEffects& effects) {
  if (!effects.changed_jobs.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& job : effects.changed_jobs) ++versions_[job];
    cv_.notify_all();
  }
  for (const std::string& job_id : effects.paused_jobs) {
    std::optional<v1::Job> job;
    absl::Status read = store_.Read([&](store::Connection& db) -> absl::Status {
      ASSIGN_OR_RETURN(job, store::GetJob(db, job_id));
      return absl::OkStatus();
    });
    if (read.ok() && job && job->state() == v1::JOB_STATE_PAUSED) {
      LogEvent(absl::StrCat("job ", job_id, " ", job->state_reason()));
    }
  }
  for (const std::string& job_id : effects.finished_jobs) {
    std::optional<v1::Job> job;
    absl::Status read = store_.Read([&](store::Connection& db) -> absl::Status {
      ASSIGN_OR_RETURN(job, store::GetJob(db, job_id));
      return absl::OkStatus();
    });
    if (read.ok() && job) {
      const v1::TaskCounts& c = job->counts();
      LogEvent(absl::StrCat(
          "job ", job_id, " finished: ", JobStateWord(job->state()), " (",
          c.succeeded(), " succeeded, ", c.failed(), " failed, ", c.skipped(),
          " skipped, ", c.cancelled(), " cancelled, ", c.timed_out(),
          " timed out, ", c.expired(), " expired of ", c.total(), ")"));
    }
  }
  if (waker_ == nullptr) return;
  for (const auto& [job_id, freed] : effects.freed_slots) {
    std::vector<std::string> devices;
    absl::Status read = store_.Read([&](store::Connection& db) -> absl::Status {
      // A few candidates per slot (some are offline or mid-poll), not the
      // 512 read before: a task ending in a fleet-wide job read 512 rows.
      ASSIGN_OR_RETURN(
          devices,
          store::QueuedDevicesOfJob(
              db, job_id,
              std::min<int64_t>(512, std::max<int64_t>(64, freed * 8))));
      return absl::OkStatus();
    });
    if (read.ok() && !devices.empty()) {
      // A few extra: some of those woken may lose the race for the slot.
      waker_->Wake(devices, static_cast<size_t>(freed) * 2);
    }
  }
}

uint64_t EventHub::JobVersion(absl::string_view job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = versions_.find(job_id);
  return it == versions_.end() ? 0 : it->second;
}

uint64_t EventHub::WaitForJobChange(absl::string_view job_id, uint64_t seen,
                                    absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  auto current = [&] {
    auto it = versions_.find(job_id);
    return it == versions_.end() ? uint64_t{0} : it->second;
  };
  cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
               [&] { return current() != seen; });
  return current();
}

}  // namespace mdefleet::service
