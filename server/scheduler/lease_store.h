// What leasing reads and writes, as the scheduler sees the store: the
// device's live leases, its queued tasks that their jobs' counters let start
// (max_in_flight, wave budget and opening, deadline, retry backoff), and the
// writes a lease makes. server/store/lease.h implements it on SQLite, in the
// caller's transaction; tests/server/scheduler/ has an in-memory fake.
#ifndef MDEFLEET_SERVER_SCHEDULER_LEASE_STORE_H_
#define MDEFLEET_SERVER_SCHEDULER_LEASE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/plan/plan.h"
#include "mdefleet/v1/jobs.pb.h"
#include "mdefleet/v1/plan.pb.h"
#include "mdefleet/v1/runner.pb.h"

namespace mdefleet::scheduler {

// A live lease a device holds (LEASED or RUNNING, not expired).
struct HeldTask {
  std::string task_id;
  std::string job_id;
  int64_t attempt = 1;
  std::string lease_id;
  std::string kind;
  v1::Plan plan;  // the whole plan; the runner gets RunnerPart of it
  v1::JobState job_state = v1::JOB_STATE_UNSPECIFIED;
  v1::TaskState task_state = v1::TASK_STATE_UNSPECIFIED;
  int64_t started_at = 0;           // microseconds
  int64_t task_timeout_micros = 0;  // 0: none
};

// A queued task whose job's counters let it be leased now.
struct QueuedTask {
  std::string task_id;
  std::string job_id;
  int64_t attempt = 1;
  v1::JobSpec spec;
  v1::JobState job_state = v1::JOB_STATE_UNSPECIFIED;
  bool counted = false;  // already counts in the job's current wave (a retry)
  int64_t wave = 0;      // the job's current wave
  int64_t task_timeout_micros = 0;
};

// The lease being written for a QueuedTask.
struct NewLease {
  std::string lease_id;
  int64_t expires_at = 0;  // microseconds
  int64_t now = 0;
  v1::Plan plan;  // as planned for the device now
};

class LeaseStore {
 public:
  virtual ~LeaseStore() = default;

  // Whether the device holds a live lease (read only).
  [[nodiscard]] virtual absl::StatusOr<bool> HoldsLiveLease(
      absl::string_view device_id, int64_t now) = 0;
  // The device's oldest live lease, whatever its job's state.
  [[nodiscard]] virtual absl::StatusOr<std::optional<HeldTask>> OldestLiveLease(
      absl::string_view device_id, int64_t now) = 0;
  // Ends a held task of a cancelled job: CANCELLED, its steps closed.
  [[nodiscard]] virtual absl::Status CancelHeldTask(const HeldTask& task,
                                                    int64_t now) = 0;
  [[nodiscard]] virtual absl::Status RenewLease(absl::string_view task_id,
                                                int64_t expires_at) = 0;
  // The rollout policy of a job (for its maintenance windows).
  [[nodiscard]] virtual absl::StatusOr<v1::RolloutPolicy> JobPolicy(
      absl::string_view job_id) = 0;

  // Tasks leased or running across the fleet (the jobs' counters).
  [[nodiscard]] virtual absl::StatusOr<int64_t> FleetTasksInFlight() = 0;
  // The device's first queued task, oldest job first, that its job's
  // counters let start now and `may_start` accepts; nullopt when none.
  [[nodiscard]] virtual absl::StatusOr<std::optional<QueuedTask>>
  FirstLeasableTask(absl::string_view device_id, int64_t now,
                    absl::FunctionRef<bool(const QueuedTask&)> may_start) = 0;
  // What planning a job's spec needs from the store (artifacts...).
  [[nodiscard]] virtual absl::StatusOr<PlanInputs> PlanInputsFor(
      const v1::JobSpec& spec) = 0;
  // Ends a queued task the device cannot run: FAILED with `message`.
  [[nodiscard]] virtual absl::Status FailUnplannable(const QueuedTask& task,
                                                     absl::string_view message,
                                                     int64_t now) = 0;
  // Leases the task: state, lease, plan and steps, the job's counters and
  // wave slot, PENDING -> RUNNING.
  [[nodiscard]] virtual absl::Status RecordLease(const QueuedTask& task,
                                                 const NewLease& lease) = 0;
};

}  // namespace mdefleet::scheduler

#endif  // MDEFLEET_SERVER_SCHEDULER_LEASE_STORE_H_
