#include "server/defender/api_waiting_messages.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/api_offboard.h"
#include "common/status_macros.h"

namespace mdefleet::defender {

ApiWaitingMessages::ApiWaitingMessages(store::Store& store,
                                       service::EventHub* hub, int limit,
                                       absl::Duration refresh)
    : store_(store), hub_(hub), limit_(limit), refresh_(refresh) {}

absl::Status ApiWaitingMessages::Clear() {
  return store_.Write([&](store::Connection& db) {
    return store::ClearApiWaiting(db, kApiWaitingPrefix);
  });
}

absl::Status ApiWaitingMessages::Update(
    const std::vector<store::StartableApiTask>& waiting, int64_t ahead,
    absl::Time now) {
  std::map<std::string, std::string> messages;
  std::map<std::string, int64_t> counts;
  for (size_t i = 0; i < waiting.size(); ++i) {
    const int64_t n = ahead + static_cast<int64_t>(i);
    messages[waiting[i].task_id] =
        i + 1 < static_cast<size_t>(limit_) + 1
            ? absl::StrCat(kApiWaitingPrefix, " (", n, " ahead)")
            : absl::StrCat(kApiWaitingPrefix, " (", n, "+ ahead)");
    counts[waiting[i].job_id] += 1;
  }
  const bool changed_set = [&] {
    if (messages.size() != messages_.size()) return true;
    for (const auto& [id, m] : messages) {
      if (!messages_.count(id)) return true;
    }
    return counts != counts_;
  }();
  if (!changed_set && now < next_refresh_) return absl::OkStatus();
  next_refresh_ = now + refresh_;
  std::vector<std::pair<std::string, std::string>> writes;
  for (const auto& [id, m] : messages) {
    auto it = messages_.find(id);
    if (it == messages_.end() || it->second != m) {
      writes.emplace_back(id, m);
    }
  }
  for (const auto& [id, m] : messages_) {
    if (!messages.count(id)) writes.emplace_back(id, "");
  }
  std::vector<std::pair<std::string, int64_t>> job_writes;
  for (const auto& [job, n] : counts) {
    auto it = counts_.find(job);
    if (it == counts_.end() || it->second != n) {
      job_writes.emplace_back(job, n);
    }
  }
  for (const auto& [job, n] : counts_) {
    if (!counts.count(job)) job_writes.emplace_back(job, 0);
  }
  if (writes.empty() && job_writes.empty()) return absl::OkStatus();
  store::WriteEffects effects;
  RETURN_IF_ERROR(store_.Write([&](store::Connection& db) -> absl::Status {
    for (const auto& [id, m] : writes) {
      RETURN_IF_ERROR(store::SetQueuedTaskMessage(db, id, m));
    }
    for (const auto& [job, n] : job_writes) {
      RETURN_IF_ERROR(store::SetJobApiWaiting(db, job, n));
    }
    return absl::OkStatus();
  }));
  for (const auto& [job, n] : job_writes) effects.changed_jobs.insert(job);
  if (hub_ != nullptr) hub_->Publish(effects);
  messages_ = std::move(messages);
  counts_ = std::move(counts);
  return absl::OkStatus();
}

}  // namespace mdefleet::defender
