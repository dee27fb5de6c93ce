#include "server/service/event_hub.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "server/service/log.h"
#include "server/store/jobs.h"

namespace mdefleet::service {
using store::JobStateWord;

namespace {

// A cluster message: one line per fact, "job ID" (changed), "free ID N"
// (slots freed), "wake MAX ID..." (devices to wake). Ids hold no spaces.
std::string ClusterMessage(const store::WriteEffects& effects) {
  std::string message;
  for (const std::string& job : effects.changed_jobs) {
    absl::StrAppend(&message, "job ", job, "\n");
  }
  for (const auto& [job, freed] : effects.freed_slots) {
    absl::StrAppend(&message, "free ", job, " ", freed, "\n");
  }
  return message;
}

}  // namespace

void EventHub::BumpJobVersions(const std::set<std::string>& job_ids) {
  if (job_ids.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& job : job_ids) ++versions_[job];
  cv_.notify_all();
}

void EventHub::Publish(const store::WriteEffects& effects) {
  BumpJobVersions(effects.changed_jobs);
  if (cluster_send_) {
    const std::string message = ClusterMessage(effects);
    if (!message.empty()) cluster_send_(message);
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
  WakeForFreedSlots(effects.freed_slots);
}

void EventHub::WakeDevices(const std::vector<std::string>& device_ids,
                           size_t max) {
  if (device_ids.empty()) return;
  if (waker_ != nullptr) waker_->Wake(device_ids, max);
  if (cluster_send_) {
    cluster_send_(
        absl::StrCat("wake ", max, " ", absl::StrJoin(device_ids, " "), "\n"));
  }
}

void EventHub::ApplyFromCluster(absl::string_view message) {
  std::set<std::string> jobs;
  std::map<std::string, int> freed_slots;
  for (absl::string_view line : absl::StrSplit(message, '\n')) {
    std::vector<absl::string_view> words =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (words.size() == 2 && words[0] == "job") {
      jobs.emplace(words[1]);
    } else if (words.size() == 3 && words[0] == "free") {
      int freed = 0;
      if (absl::SimpleAtoi(words[2], &freed) && freed > 0) {
        freed_slots[std::string(words[1])] += freed;
      }
    } else if (words.size() >= 3 && words[0] == "wake" && waker_ != nullptr) {
      size_t max = 0;
      if (!absl::SimpleAtoi(words[1], &max)) continue;
      waker_->Wake(std::vector<std::string>(words.begin() + 2, words.end()),
                   max);
    }
  }
  BumpJobVersions(jobs);
  WakeForFreedSlots(freed_slots);
}

void EventHub::WakeForFreedSlots(
    const std::map<std::string, int>& freed_slots) {
  if (waker_ == nullptr) return;
  for (const auto& [job_id, freed] : freed_slots) {
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
