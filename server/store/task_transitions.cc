#include "server/store/task_transitions.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/enum_names.h"
#include "common/status_macros.h"
#include "server/store/rollout.h"
#include "server/store/sql_states.h"

namespace mdefleet::store {
namespace {

constexpr int kStates = 10;  // TaskState values, UNSPECIFIED included

// "UPDATE jobs SET <from> = <from> - 1, <to> = <to> + 1 WHERE id = ?1", one
// string per pair so each is a stable key for the statement cache.
const std::string& MoveSql(v1::TaskState from, v1::TaskState to) {
  static const auto* table = [] {
    auto* t = new std::array<std::array<std::string, kStates>, kStates>();
    for (int f = 1; f < kStates; ++f) {
      for (int o = 1; o < kStates; ++o) {
        const char* fc = CounterColumn(static_cast<v1::TaskState>(f));
        const char* oc = CounterColumn(static_cast<v1::TaskState>(o));
        (*t)[f][o] = absl::StrCat("UPDATE jobs SET ", fc, " = ", fc, " - 1, ",
                                  oc, " = ", oc, " + 1 WHERE id = ?1");
      }
    }
    return t;
  }();
  return (*table)[from][to];
}

}  // namespace

void WriteEffects::Merge(WriteEffects&& other) {
  changed_jobs.merge(other.changed_jobs);
  finished_jobs.merge(other.finished_jobs);
  paused_jobs.merge(other.paused_jobs);
  for (const auto& [job, n] : other.freed_slots) freed_slots[job] += n;
  wake_devices.insert(wake_devices.end(), other.wake_devices.begin(),
                      other.wake_devices.end());
}

bool IsTerminal(v1::TaskState state) {
  switch (state) {
    case v1::TASK_STATE_SUCCEEDED:
    case v1::TASK_STATE_FAILED:
    case v1::TASK_STATE_SKIPPED:
    case v1::TASK_STATE_CANCELLED:
    case v1::TASK_STATE_TIMED_OUT:
    case v1::TASK_STATE_EXPIRED:
      return true;
    default:
      return false;
  }
}

bool IsTerminal(v1::JobState state) {
  switch (state) {
    case v1::JOB_STATE_SUCCEEDED:
    case v1::JOB_STATE_FAILED:
    case v1::JOB_STATE_CANCELLED:
    case v1::JOB_STATE_EXPIRED:
      return true;
    default:
      return false;
  }
}

const char* CounterColumn(v1::TaskState state) {
  switch (state) {
    case v1::TASK_STATE_QUEUED:
      return "queued";
    case v1::TASK_STATE_LEASED:
      return "leased";
    case v1::TASK_STATE_RUNNING:
      return "running";
    case v1::TASK_STATE_SUCCEEDED:
      return "succeeded";
    case v1::TASK_STATE_FAILED:
      return "failed";
    case v1::TASK_STATE_SKIPPED:
      return "skipped";
    case v1::TASK_STATE_CANCELLED:
      return "cancelled";
    case v1::TASK_STATE_TIMED_OUT:
      return "timed_out";
    case v1::TASK_STATE_EXPIRED:
      return "expired";
    default:
      return "total";  // never moved; guarded by callers
  }
}

std::string TaskStateWord(v1::TaskState state) {
  return absl::AsciiStrToLower(
      EnumShortName(v1::TaskState_Name(state), "TASK_STATE_"));
}

std::string JobStateWord(v1::JobState state) {
  return absl::AsciiStrToLower(
      EnumShortName(v1::JobState_Name(state), "JOB_STATE_"));
}

absl::Status MoveTaskCounter(Connection& db, absl::string_view job_id,
                             v1::TaskState from, v1::TaskState to) {
  if (from == to) return absl::OkStatus();
  if (from <= 0 || from >= kStates || to <= 0 || to >= kStates) {
    return absl::InternalError("task counter move with an unknown state");
  }
  ASSIGN_OR_RETURN(CachedStatement st, db.Prepare(MoveSql(from, to).c_str()));
  st->Bind(1, job_id);
  return st->Run();
}

absl::Status FailRunningSteps(Connection& db, const TaskKey& task,
                              absl::string_view message, int64_t now) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("UPDATE steps SET state = " SQL_STEP_FAILED
                 ", message = ?3, finished_at = ?4 WHERE task_id = ?1 AND "
                 "attempt = ?2 AND state = " SQL_STEP_RUNNING));
  st->Bind(1, task.id);
  st->Bind(2, task.attempt);
  st->Bind(3, message);
  st->Bind(4, now);
  return st->Run();
}

absl::Status EndTask(Connection& db, const TaskKey& task,
                     const EndTaskOptions& options, int64_t now,
                     WriteEffects* effects) {
  std::optional<int64_t> wave;
  {
    ASSIGN_OR_RETURN(CachedStatement st,
                     db.Prepare("SELECT wave FROM tasks WHERE id = ?1"));
    st->Bind(1, task.id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (row) wave = st->ColumnOptionalInt(0);
  }
  {
    ASSIGN_OR_RETURN(CachedStatement st,
                     db.Prepare("UPDATE tasks SET state = ?2, message = ?3, "
                                "finished_at = ?4 WHERE id = ?1"));
    st->Bind(1, task.id);
    st->Bind(2, static_cast<int64_t>(options.to));
    st->Bind(3, options.message);
    st->Bind(4, now);
    RETURN_IF_ERROR(st->Run());
  }
  if (!options.running_message.empty()) {
    RETURN_IF_ERROR(FailRunningSteps(db, task, options.running_message, now));
  }
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("UPDATE steps SET state = " SQL_STEP_SKIPPED
                   ", message = ?3 WHERE task_id = ?1 AND attempt = ?2 AND "
                   "state = " SQL_STEP_PENDING));
    st->Bind(1, task.id);
    st->Bind(2, task.attempt);
    st->Bind(3, options.pending_message);
    RETURN_IF_ERROR(st->Run());
  }
  RETURN_IF_ERROR(MoveTaskCounter(db, task.job_id, task.state, options.to));
  effects->changed_jobs.insert(task.job_id);
  if (task.state == v1::TASK_STATE_LEASED ||
      task.state == v1::TASK_STATE_RUNNING) {
    // Its slot, the job's max_in_flight or the fleet's
    // --max-tasks-in-flight, may let a waiting device of this job lease.
    ASSIGN_OR_RETURN(CachedStatement st,
                     db.Prepare("SELECT queued FROM jobs WHERE id = ?1"));
    st->Bind(1, task.job_id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (row && st->ColumnInt(0) > 0) {
      effects->freed_slots[task.job_id] += 1;
    }
  }
  RETURN_IF_ERROR(
      OnTaskEnded(db, task, wave, options.to, options.message, now, effects));
  return MaybeFinishJob(db, task.job_id, now, effects);
}

absl::Status MaybeFinishJob(Connection& db, absl::string_view job_id,
                            int64_t now, WriteEffects* effects) {
  int64_t total = 0, done = 0, failed = 0, timed_out = 0, expired = 0;
  {
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("SELECT state, total, succeeded + failed + skipped + "
                   "cancelled + timed_out + expired, failed, timed_out, "
                   "expired FROM jobs WHERE id = ?1"));
    st->Bind(1, job_id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return absl::NotFoundError(absl::StrCat("no job ", job_id));
    if (IsTerminal(static_cast<v1::JobState>(st->ColumnInt(0)))) {
      return absl::OkStatus();
    }
    total = st->ColumnInt(1);
    done = st->ColumnInt(2);
    failed = st->ColumnInt(3);
    timed_out = st->ColumnInt(4);
    expired = st->ColumnInt(5);
  }
  if (done < total) return absl::OkStatus();
  v1::JobState state = v1::JOB_STATE_SUCCEEDED;
  std::string reason = absl::StrCat("all ", total, " tasks finished");
  if (expired > 0) {
    state = v1::JOB_STATE_EXPIRED;
    reason = absl::StrCat("deadline passed: ", expired, " of ", total,
                          " tasks expired before their device ran them (",
                          failed, " failed, ", timed_out, " timed out)");
  } else if (failed + timed_out > 0) {
    state = v1::JOB_STATE_FAILED;
    reason = absl::StrCat(failed, " failed and ", timed_out, " timed out of ",
                          total, " tasks");
  }
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("UPDATE jobs SET state = ?2, state_reason = ?3, "
                 "finished_at = ?4, pause_cause = " SQL_PAUSE_CAUSE_NONE
                 " WHERE id = "
                 "?1"));
  st->Bind(1, job_id);
  st->Bind(2, static_cast<int64_t>(state));
  st->Bind(3, reason);
  st->Bind(4, now);
  RETURN_IF_ERROR(st->Run());
  effects->changed_jobs.insert(std::string(job_id));
  effects->finished_jobs.insert(std::string(job_id));
  return absl::OkStatus();
}

}  // namespace mdefleet::store
