#include "server/store/rollout_timers.h"

#include "common/status_macros.h"
#include "server/scheduler/rollout_rules.h"
#include "server/store/rollout.h"
#include "server/store/sql_states.h"

namespace mdefleet::store {

absl::StatusOr<int> ExpireDeadlines(Connection& db, int64_t now,
                                    WriteEffects* effects) {
  std::vector<std::string> jobs;
  {
    // The partial index jobs_by_deadline holds only jobs with a deadline.
    ASSIGN_OR_RETURN(
        CachedStatement st,
        db.Prepare("SELECT id FROM jobs WHERE deadline_at <= ?1 AND state IN "
                   "(" SQL_JOB_PENDING ", " SQL_JOB_RUNNING ", " SQL_JOB_PAUSED
                   ") AND queued > 0"));
    st->Bind(1, now);
    while (true) {
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      jobs.push_back(st->ColumnText(0));
    }
  }
  int expired = 0;
  for (const std::string& job_id : jobs) {
    {
      // Retries waiting in the current wave stop counting in it.
      ASSIGN_OR_RETURN(
          CachedStatement st,
          db.Prepare("UPDATE jobs SET wave_pending = wave_pending - (SELECT "
                     "count(*) FROM tasks t WHERE t.job_id = ?1 AND t.state "
                     "= " SQL_TASK_QUEUED
                     " AND t.wave = jobs.wave) WHERE id = ?1"));
      st->Bind(1, job_id);
      RETURN_IF_ERROR(st->Run());
    }
    {
      ASSIGN_OR_RETURN(
          CachedStatement st,
          db.Prepare("UPDATE steps SET state = " SQL_STEP_SKIPPED
                     ", message = 'not run: the job''s deadline passed' "
                     "WHERE state = " SQL_STEP_PENDING
                     " AND task_id IN (SELECT id FROM tasks WHERE job_id = "
                     "?1 AND state = " SQL_TASK_QUEUED ")"));
      st->Bind(1, job_id);
      RETURN_IF_ERROR(st->Run());
    }
    {
      ASSIGN_OR_RETURN(
          CachedStatement st,
          db.Prepare("UPDATE tasks SET state = " SQL_TASK_EXPIRED
                     ", message = ?2, finished_at = ?3 WHERE job_id = ?1 AND "
                     "state = " SQL_TASK_QUEUED));
      st->Bind(1, job_id);
      st->Bind(2, kExpiredMessage);
      st->Bind(3, now);
      RETURN_IF_ERROR(st->Run());
      expired += static_cast<int>(db.Changes());
    }
    {
      ASSIGN_OR_RETURN(CachedStatement st,
                       db.Prepare("UPDATE jobs SET expired = expired + "
                                  "queued, queued = 0 WHERE id = ?1"));
      st->Bind(1, job_id);
      RETURN_IF_ERROR(st->Run());
    }
    effects->changed_jobs.insert(job_id);
    RETURN_IF_ERROR(MaybeFinishJob(db, job_id, now, effects));
  }
  return expired;
}

absl::StatusOr<std::vector<std::pair<std::string, int>>> WavesOpened(
    Connection& db, int64_t after, int64_t upto) {
  ASSIGN_OR_RETURN(
      CachedStatement st,
      db.Prepare("SELECT id, wave, canary, wave_size FROM jobs WHERE state IN "
                 "(" SQL_JOB_PENDING ", " SQL_JOB_RUNNING
                 ") AND wave_opens_at > ?1 AND wave_opens_at <= ?2 AND "
                 "queued > 0"));
  st->Bind(1, after);
  st->Bind(2, upto);
  std::vector<std::pair<std::string, int>> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    const int64_t budget =
        st->ColumnInt(1) == 0 ? st->ColumnInt(2) : st->ColumnInt(3);
    out.emplace_back(st->ColumnText(0), scheduler::WakeCount(budget));
  }
  return out;
}

}  // namespace mdefleet::store
