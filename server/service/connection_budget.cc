#include "server/service/connection_budget.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace mdefleet::service {

int AutoMaxOpenDescriptors(uint64_t open_files_limit) {
  const uint64_t reserve = std::min<uint64_t>(1024, open_files_limit / 4);
  const uint64_t max = open_files_limit - reserve;
  return static_cast<int>(std::min<uint64_t>(max, 1u << 30));
}

ConnectionBudget::ConnectionBudget(int max_open, absl::Duration retry_after,
                                   std::function<int()> count,
                                   std::function<void(bool)> on_change)
    : max_open_(max_open),
      retry_after_(retry_after),
      count_(std::move(count)),
      on_change_(std::move(on_change)) {}

ConnectionBudget::~ConnectionBudget() {
  if (thread_.joinable()) {
    stop_.Notify();
    thread_.join();
  }
}

void ConnectionBudget::Start(absl::Duration interval) {
  Sample();
  thread_ = std::thread([this, interval] {
    while (!stop_.WaitForNotificationWithTimeout(interval)) Sample();
  });
}

void ConnectionBudget::Sample() {
  const int open = count_();
  open_.store(open);
  const bool saturated = open >= 0 && open >= max_open_;
  if (saturated_.exchange(saturated) != saturated && on_change_) {
    on_change_(saturated);
  }
}

absl::Status ConnectionBudget::Admit() const {
  if (!saturated_.load()) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      absl::StrCat("server at its connection limit (", open_.load(),
                   " descriptors open, --max-connections ", max_open_,
                   "); retry in ", absl::FormatDuration(retry_after_)));
}

}  // namespace mdefleet::service
