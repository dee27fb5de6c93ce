// An in-memory LeaseStore for the scheduler's tests: live leases and queued
// tasks per device, in the order they were added, and a record of every
// write leasing made.
#ifndef MDEFLEET_TESTS_SERVER_SCHEDULER_FAKE_LEASE_STORE_H_
#define MDEFLEET_TESTS_SERVER_SCHEDULER_FAKE_LEASE_STORE_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "server/scheduler/lease_store.h"

namespace mdefleet::testing {

class FakeLeaseStore final : public scheduler::LeaseStore {
 public:
  struct Held {
    std::string device_id;
    scheduler::HeldTask task;
    int64_t expires_at = 0;
  };
  struct Queued {
    std::string device_id;
    scheduler::QueuedTask task;
  };

  // State, set by the test.
  std::vector<Held> held;
  std::vector<Queued> queued;
  std::map<std::string, v1::RolloutPolicy> policies;  // by job id
  int64_t in_flight = 0;
  PlanInputs plan_inputs;

  // What leasing wrote.
  std::vector<std::string> cancelled;         // task ids
  std::map<std::string, int64_t> renewed;     // task id -> expiry
  std::map<std::string, std::string> failed;  // task id -> message
  std::vector<std::pair<std::string, scheduler::NewLease>> leased;  // by task
  int reads_of_queued = 0;

  absl::StatusOr<bool> HoldsLiveLease(absl::string_view device_id,
                                      int64_t now) override {
    for (const Held& h : held) {
      if (h.device_id == device_id && h.expires_at > now) return true;
    }
    return false;
  }
  absl::StatusOr<std::optional<scheduler::HeldTask>> OldestLiveLease(
      absl::string_view device_id, int64_t now) override {
    for (const Held& h : held) {
      if (h.device_id == device_id && h.expires_at > now) return h.task;
    }
    return std::nullopt;
  }
  absl::Status CancelHeldTask(const scheduler::HeldTask& task,
                              int64_t) override {
    cancelled.push_back(task.task_id);
    std::erase_if(
        held, [&](const Held& h) { return h.task.task_id == task.task_id; });
    return absl::OkStatus();
  }
  absl::Status RenewLease(absl::string_view task_id,
                          int64_t expires_at) override {
    renewed[std::string(task_id)] = expires_at;
    return absl::OkStatus();
  }
  absl::StatusOr<v1::RolloutPolicy> JobPolicy(
      absl::string_view job_id) override {
    auto it = policies.find(std::string(job_id));
    return it == policies.end() ? v1::RolloutPolicy() : it->second;
  }
  absl::StatusOr<int64_t> FleetTasksInFlight() override { return in_flight; }
  absl::StatusOr<std::optional<scheduler::QueuedTask>> FirstLeasableTask(
      absl::string_view device_id, int64_t,
      absl::FunctionRef<bool(const scheduler::QueuedTask&)> may_start)
      override {
    ++reads_of_queued;
    for (const Queued& q : queued) {
      if (q.device_id == device_id && may_start(q.task)) return q.task;
    }
    return std::nullopt;
  }
  absl::StatusOr<PlanInputs> PlanInputsFor(const v1::JobSpec& spec) override {
    PlanInputs inputs = plan_inputs;
    inputs.kind = spec.kind();
    return inputs;
  }
  absl::Status FailUnplannable(const scheduler::QueuedTask& task,
                               absl::string_view message, int64_t) override {
    failed[task.task_id] = std::string(message);
    Dequeue(task.task_id);
    return absl::OkStatus();
  }
  absl::Status RecordLease(const scheduler::QueuedTask& task,
                           const scheduler::NewLease& lease) override {
    leased.emplace_back(task.task_id, lease);
    Dequeue(task.task_id);
    return absl::OkStatus();
  }

 private:
  void Dequeue(const std::string& task_id) {
    std::erase_if(queued,
                  [&](const Queued& q) { return q.task.task_id == task_id; });
  }
};

}  // namespace mdefleet::testing

#endif  // MDEFLEET_TESTS_SERVER_SCHEDULER_FAKE_LEASE_STORE_H_
