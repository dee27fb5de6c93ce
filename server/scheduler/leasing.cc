#include "server/scheduler/leasing.h"

#include <string>
#include <utility>

#include "common/plan/plan.h"
#include "common/random.h"
#include "common/status_macros.h"
#include "server/scheduler/lease_rules.h"

namespace mdefleet::scheduler {
namespace {

// Unplannable tasks ended in one poll at most: the rest wait for the next.
constexpr int kMaxPlanFailuresPerPoll = 64;

void SetDuration(absl::Duration d, google::protobuf::Duration* out) {
  out->set_seconds(absl::ToInt64Seconds(d));
  out->set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(d - absl::Seconds(out->seconds()))));
}

// The device's live lease, renewed, as the runner gets it again; nullopt
// when it holds none. A task of a cancelled job is ended instead: the device
// asking for work is not running it.
[[nodiscard]] absl::StatusOr<std::optional<v1::LeasedTask>> Redeliver(
    LeaseStore& store, absl::string_view device_id, int64_t now,
    absl::Duration server_lease) {
  while (true) {
    ASSIGN_OR_RETURN(std::optional<HeldTask> held,
                     store.OldestLiveLease(device_id, now));
    if (!held) return std::nullopt;
    if (held->job_state == v1::JOB_STATE_CANCELLED) {
      RETURN_IF_ERROR(store.CancelHeldTask(*held, now));
      continue;
    }
    RETURN_IF_ERROR(store.RenewLease(
        held->task_id, RenewedLeaseExpiry(now, server_lease, held->started_at,
                                          held->task_timeout_micros)));
    ASSIGN_OR_RETURN(const v1::RolloutPolicy policy,
                     store.JobPolicy(held->job_id));
    v1::LeasedTask task;
    task.set_task_id(held->task_id);
    task.set_job_id(held->job_id);
    task.set_attempt(static_cast<uint32_t>(held->attempt));
    task.set_lease_id(held->lease_id);
    task.set_kind(held->kind);
    // Steps the server runs itself (confirm_in_defender) stay with it.
    *task.mutable_plan() = RunnerPart(std::move(held->plan));
    SetDuration(server_lease, task.mutable_lease_duration());
    *task.mutable_maintenance_windows() = policy.maintenance_windows();
    return task;
  }
}

[[nodiscard]] absl::StatusOr<bool> FleetHasRoomNow(LeaseStore& store,
                                                   int64_t max_in_flight) {
  if (max_in_flight <= 0) return true;
  ASSIGN_OR_RETURN(const int64_t in_flight, store.FleetTasksInFlight());
  return FleetHasRoom(in_flight, max_in_flight);
}

[[nodiscard]] absl::StatusOr<std::optional<QueuedTask>> NextStartable(
    LeaseStore& store, absl::string_view device_id,
    const v1::DeviceFacts& facts, int64_t now) {
  return store.FirstLeasableTask(device_id, now, [&](const QueuedTask& task) {
    return MayStartInMaintenanceWindow(task.spec.policy(), facts, now);
  });
}

v1::LeasedTask LeasedTaskFor(const QueuedTask& next, NewLease lease,
                             absl::Duration server_lease) {
  v1::LeasedTask task;
  task.set_task_id(next.task_id);
  task.set_job_id(next.job_id);
  task.set_attempt(static_cast<uint32_t>(next.attempt));
  task.set_lease_id(std::move(lease.lease_id));
  task.set_kind(next.spec.kind());
  *task.mutable_plan() = RunnerPart(std::move(lease.plan));
  SetDuration(server_lease, task.mutable_lease_duration());
  *task.mutable_maintenance_windows() =
      next.spec.policy().maintenance_windows();
  return task;
}

}  // namespace

absl::StatusOr<bool> HasLeasableTask(LeaseStore& store,
                                     absl::string_view device_id,
                                     const v1::DeviceFacts& facts, int64_t now,
                                     int64_t max_tasks_in_flight) {
  // A live lease in any job state: a cancelled job's task is ended by the
  // lease attempt, a write.
  ASSIGN_OR_RETURN(const bool held, store.HoldsLiveLease(device_id, now));
  if (held) return true;
  // The cap before the queued tasks: the other way round every parked
  // device's poll read and parsed its job's spec first (a 10,000-device job
  // took 87-91 s instead of 75-80 s).
  ASSIGN_OR_RETURN(const bool room,
                   FleetHasRoomNow(store, max_tasks_in_flight));
  if (!room) return false;
  ASSIGN_OR_RETURN(const std::optional<QueuedTask> next,
                   NextStartable(store, device_id, facts, now));
  return next.has_value();
}

absl::StatusOr<std::optional<v1::LeasedTask>> LeaseTaskForDevice(
    LeaseStore& store, absl::string_view device_id,
    const v1::DeviceFacts& facts, int64_t now, const LeaseLimits& limits) {
  ASSIGN_OR_RETURN(std::optional<v1::LeasedTask> held,
                   Redeliver(store, device_id, now, limits.server_lease));
  if (held) return held;
  ASSIGN_OR_RETURN(const bool room,
                   FleetHasRoomNow(store, limits.max_tasks_in_flight));
  if (!room) return std::nullopt;

  for (int tries = 0; tries < kMaxPlanFailuresPerPoll; ++tries) {
    ASSIGN_OR_RETURN(std::optional<QueuedTask> next,
                     NextStartable(store, device_id, facts, now));
    if (!next) return std::nullopt;
    absl::StatusOr<v1::Plan> plan = [&]() -> absl::StatusOr<v1::Plan> {
      ASSIGN_OR_RETURN(const PlanInputs inputs,
                       store.PlanInputsFor(next->spec));
      return BuildPlan(inputs, facts);
    }();
    if (!plan.ok()) {
      RETURN_IF_ERROR(
          store.FailUnplannable(*next, plan.status().message(), now));
      continue;
    }
    NewLease lease;
    lease.lease_id = RandomHex(16);
    lease.expires_at = RenewedLeaseExpiry(now, limits.server_lease, now,
                                          next->task_timeout_micros);
    lease.now = now;
    lease.plan = *std::move(plan);
    RETURN_IF_ERROR(store.RecordLease(*next, lease));
    return LeasedTaskFor(*next, std::move(lease), limits.server_lease);
  }
  return std::nullopt;
}

}  // namespace mdefleet::scheduler
