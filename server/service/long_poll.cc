#include "server/service/long_poll.h"

#include <algorithm>

namespace mdefleet::service {

bool PollCall::Complete(absl::StatusOr<v1::PollTasksResponse> result) {
  if (completed_.exchange(true)) return false;
  PollDone done = std::move(done_);
  done_ = nullptr;
  done(std::move(result));
  return true;
}

LongPoller::LongPoller(RunnerHandlers& handlers, const Clock& clock,
                       int workers, prometheus::Gauge* held)
    : handlers_(handlers), clock_(clock), held_(held) {
  for (int i = 0; i < workers; ++i) {
    threads_.emplace_back([this] { WorkerLoop(); });
  }
  threads_.emplace_back([this] { TimerLoop(); });
}

LongPoller::~LongPoller() { Stop(); }

std::shared_ptr<PollCall> LongPoller::Poll(std::string authorization,
                                           v1::PollTasksRequest request,
                                           PollDone done, PeerIdentity peer) {
  if (held_ != nullptr) {
    // Every call completes exactly once, through `done`.
    held_->Increment();
    done = [held = held_, done = std::move(done)](
               absl::StatusOr<v1::PollTasksResponse> result) {
      held->Decrement();
      done(std::move(result));
    };
  }
  auto call = std::make_shared<PollCall>(std::move(done));
  call->authorization = std::move(authorization);
  call->peer = std::move(peer);
  call->deadline = clock_.Now() + handlers_.PollWait(request);
  call->request = std::move(request);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      work_.push_back({call, true});
      work_cv_.notify_one();
      return call;
    }
  }
  call->Complete(absl::UnavailableError("server shutting down"));
  return call;
}

void LongPoller::Cancel(const std::shared_ptr<PollCall>& call) {
  Unregister(call);
  call->Complete(absl::CancelledError("poll cancelled by the client"));
}

void LongPoller::Unregister(const std::shared_ptr<PollCall>& call) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = waiting_.find(call->device_id);
  if (it != waiting_.end() && it->second == call) waiting_.erase(it);
}

void LongPoller::Wake(const std::vector<std::string>& device_ids, size_t max) {
  std::lock_guard<std::mutex> lock(mu_);
  if (wake_cap_ != 0 && (max == 0 || max > wake_cap_)) max = wake_cap_;
  size_t woken = 0;
  for (const std::string& id : device_ids) {
    if (max != 0 && woken >= max) break;
    auto it = waiting_.find(id);
    if (it != waiting_.end()) {
      work_.push_back({it->second, false});
      ++woken;
    } else if (in_flight_.count(id) != 0) {
      woken_in_flight_.insert(id);
      ++woken;
    }
  }
  if (woken > 0) work_cv_.notify_all();
}

void LongPoller::WorkerLoop() {
  while (true) {
    WorkItem item;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stopping_ || !work_.empty(); });
      if (stopping_) return;
      item = std::move(work_.front());
      work_.pop_front();
    }
    Run(item);
  }
}

void LongPoller::Run(const WorkItem& item) {
  const std::shared_ptr<PollCall>& call = item.call;
  if (call->completed()) return;
  absl::StatusOr<v1::PollTasksResponse> result;
  if (item.first) {
    absl::StatusOr<std::string> device =
        handlers_.AuthenticateDevice(call->authorization, call->peer);
    if (!device.ok()) {
      call->Complete(device.status());
      return;
    }
    call->device_id = *device;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++in_flight_[call->device_id];
    }
    result = handlers_.PollOnce(call->device_id, call->request);
  } else {
    // Woken: authenticated again, as a new call would be, so that a device
    // revoked (or whose token or certificate was replaced) while its poll
    // waited gets the refusal at once, not a task.
    absl::StatusOr<std::string> device =
        handlers_.AuthenticateDevice(call->authorization, call->peer);
    if (!device.ok() || *device != call->device_id) {
      Unregister(call);
      call->Complete(device.ok() ? absl::UnauthenticatedError(
                                       "authorization: the token now belongs "
                                       "to another device")
                                 : device.status());
      return;
    }
    result = handlers_.TryLease(call->device_id);
  }
  const bool got_work = !result.ok() || result->tasks_size() > 0;
  if (got_work || clock_.Now() >= call->deadline) {
    if (item.first) {
      std::lock_guard<std::mutex> lock(mu_);
      if (--in_flight_[call->device_id] == 0) {
        in_flight_.erase(call->device_id);
        woken_in_flight_.erase(call->device_id);
      }
    }
    Unregister(call);
    call->Complete(std::move(result));
    return;
  }
  if (item.first) Park(call);
}

void LongPoller::Park(const std::shared_ptr<PollCall>& call) {
  std::shared_ptr<PollCall> replaced;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string& id = call->device_id;
    bool woken = woken_in_flight_.count(id) != 0;
    if (--in_flight_[id] == 0) {
      in_flight_.erase(id);
      woken_in_flight_.erase(id);
    }
    if (stopping_) {
      replaced = call;
    } else {
      auto [it, inserted] = waiting_.try_emplace(id, call);
      if (!inserted) {
        // A newer poll from the same device replaces the older one.
        replaced = it->second;
        it->second = call;
      }
      deadlines_.emplace(call->deadline, call);
      if (woken) work_.push_back({call, false});
      if (woken) work_cv_.notify_one();
    }
  }
  if (replaced) replaced->Complete(v1::PollTasksResponse());
}

void LongPoller::TimerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    const absl::Time now = clock_.Now();
    std::vector<std::shared_ptr<PollCall>> expired;
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      std::shared_ptr<PollCall> call = deadlines_.begin()->second.lock();
      deadlines_.erase(deadlines_.begin());
      if (call == nullptr || call->completed()) continue;
      auto it = waiting_.find(call->device_id);
      if (it != waiting_.end() && it->second == call) waiting_.erase(it);
      expired.push_back(std::move(call));
    }
    if (!expired.empty()) {
      lock.unlock();
      for (auto& call : expired) call->Complete(v1::PollTasksResponse());
      lock.lock();
      continue;
    }
    // Real-time slices so a fake clock moved by tests is noticed too.
    timer_cv_.wait_for(lock, std::chrono::milliseconds(50));
  }
}

void LongPoller::Stop() {
  std::vector<std::shared_ptr<PollCall>> pending;
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    for (auto& [id, call] : waiting_) pending.push_back(call);
    waiting_.clear();
    deadlines_.clear();
    for (auto& item : work_) pending.push_back(item.call);
    work_.clear();
    threads.swap(threads_);
  }
  work_cv_.notify_all();
  timer_cv_.notify_all();
  for (auto& t : threads) t.join();
  for (auto& call : pending) call->Complete(v1::PollTasksResponse());
}

size_t LongPoller::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waiting_.size();
}

}  // namespace mdefleet::service
