// Leasing's reads and writes on SQLite (the decisions: server/scheduler/).
#ifndef MDEFLEET_SERVER_STORE_LEASE_H_
#define MDEFLEET_SERVER_STORE_LEASE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/runner.pb.h"
#include "server/scheduler/lease_store.h"
#include "server/store/sqlite.h"
#include "server/store/task_transitions.h"

namespace mdefleet::store {

// Leasing's reads and writes (scheduler/lease_store.h) in the caller's
// transaction; scheduler::LeaseTaskForDevice decides over them. Effects of
// the writes (changed jobs, ended tasks) go to `effects`, which may be null
// when only the reads are used (HasLeasableTask).
class SqliteLeaseStore final : public scheduler::LeaseStore {
 public:
  SqliteLeaseStore(Connection& db, WriteEffects* effects)
      : db_(db), effects_(effects) {}

  [[nodiscard]] absl::StatusOr<bool> HoldsLiveLease(absl::string_view device_id,
                                                    int64_t now) override;
  [[nodiscard]] absl::StatusOr<std::optional<scheduler::HeldTask>>
  OldestLiveLease(absl::string_view device_id, int64_t now) override;
  [[nodiscard]] absl::Status CancelHeldTask(const scheduler::HeldTask& task,
                                            int64_t now) override;
  [[nodiscard]] absl::Status RenewLease(absl::string_view task_id,
                                        int64_t expires_at) override;
  [[nodiscard]] absl::StatusOr<v1::RolloutPolicy> JobPolicy(
      absl::string_view job_id) override;
  [[nodiscard]] absl::StatusOr<int64_t> FleetTasksInFlight() override;
  [[nodiscard]] absl::StatusOr<std::optional<scheduler::QueuedTask>>
  FirstLeasableTask(
      absl::string_view device_id, int64_t now,
      absl::FunctionRef<bool(const scheduler::QueuedTask&)> may_start) override;
  [[nodiscard]] absl::StatusOr<PlanInputs> PlanInputsFor(
      const v1::JobSpec& spec) override;
  [[nodiscard]] absl::Status FailUnplannable(const scheduler::QueuedTask& task,
                                             absl::string_view message,
                                             int64_t now) override;
  [[nodiscard]] absl::Status RecordLease(
      const scheduler::QueuedTask& task,
      const scheduler::NewLease& lease) override;

 private:
  Connection& db_;
  WriteEffects* effects_;
};

// A task's holder, lease and plan, as FetchArtifact checks them; nullopt when
// there is no such task.
struct TaskLeaseRecord {
  std::string device_id;
  v1::TaskState state = v1::TASK_STATE_UNSPECIFIED;
  std::string lease_id;          // "" when not leased
  int64_t lease_expires_at = 0;  // microseconds; 0 when not leased
  std::string plan;              // serialised v1::Plan
};
[[nodiscard]] absl::StatusOr<std::optional<TaskLeaseRecord>> ReadTaskLease(
    Connection& db, absl::string_view task_id);

// Tasks leased or running across the fleet (the jobs' counters; tasks the
// server runs itself, api_offboard, are not counted).
[[nodiscard]] absl::StatusOr<int64_t> FleetTasksInFlight(Connection& db);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_LEASE_H_
