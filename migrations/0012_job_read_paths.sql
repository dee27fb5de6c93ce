-- mdefleet schema, version 12: what a fleet-wide job at 10,000 devices
-- showed. GetJob reads counts, not every step and task of the job: the step
-- summary's GROUP BY over the job's steps took about 130 ms and the
-- rollout's two task counts about 60 ms, on every GetJob (the CLI's `jobs
-- get`/`watch` and the dashboard ask every second or so). And a task's plan
-- (about 4 KB) leaves its row, which every step report updates: SQLite
-- rewrites a row whole, so each report rewrote the plan and its overflow
-- page too.

-- job_step_counts: for each job, step name and step state (a StepState
-- number), how many current steps (superseded = 0) are in that state, and
-- the lowest position (idx) a step of that name has had in the job's plans
-- (the summary's order). Kept by the triggers below on every insert, delete
-- and change of state or superseded in steps, whichever code writes them;
-- rows whose count fell to 0 stay (GetJob skips them).
CREATE TABLE job_step_counts (
  job_id  TEXT NOT NULL,
  name    TEXT NOT NULL,
  state   INTEGER NOT NULL,
  count   INTEGER NOT NULL,
  min_idx INTEGER NOT NULL,
  PRIMARY KEY (job_id, name, state)
) WITHOUT ROWID;

INSERT INTO job_step_counts (job_id, name, state, count, min_idx)
SELECT job_id, name, state, count(*), min(idx) FROM steps
WHERE superseded = 0 GROUP BY job_id, name, state;

CREATE TRIGGER steps_counted_on_insert AFTER INSERT ON steps
WHEN NEW.superseded = 0
BEGIN
  INSERT INTO job_step_counts (job_id, name, state, count, min_idx)
  VALUES (NEW.job_id, NEW.name, NEW.state, 1, NEW.idx)
  ON CONFLICT (job_id, name, state) DO UPDATE
  SET count = count + 1, min_idx = min(min_idx, excluded.min_idx);
END;

CREATE TRIGGER steps_uncounted_on_delete AFTER DELETE ON steps
WHEN OLD.superseded = 0
BEGIN
  UPDATE job_step_counts SET count = count - 1
  WHERE job_id = OLD.job_id AND name = OLD.name AND state = OLD.state;
END;

CREATE TRIGGER steps_recounted_on_update AFTER UPDATE OF state, superseded
ON steps
WHEN OLD.state <> NEW.state OR OLD.superseded <> NEW.superseded
BEGIN
  UPDATE job_step_counts SET count = count - 1
  WHERE OLD.superseded = 0 AND job_id = OLD.job_id AND name = OLD.name
    AND state = OLD.state;
  INSERT INTO job_step_counts (job_id, name, state, count, min_idx)
  SELECT NEW.job_id, NEW.name, NEW.state, 1, NEW.idx WHERE NEW.superseded = 0
  ON CONFLICT (job_id, name, state) DO UPDATE
  SET count = count + 1, min_idx = min(min_idx, excluded.min_idx);
END;

-- The rollout's "waiting for a retry" count (queued tasks whose not_before
-- is still ahead) seeks to them instead of reading every queued task; every
-- query on (job_id, state) uses this index too, so the old one goes.
CREATE INDEX tasks_by_job_state_not_before ON tasks (job_id, state, not_before);
DROP INDEX tasks_by_job_state;

-- task_plans: the plan (a serialized mdefleet.v1.Plan) of each task, as
-- last built for it (at submit, and again at each lease from the device's
-- facts then).
CREATE TABLE task_plans (
  task_id TEXT PRIMARY KEY REFERENCES tasks (id),
  plan    BLOB NOT NULL
);
INSERT INTO task_plans (task_id, plan) SELECT id, plan FROM tasks;
ALTER TABLE tasks DROP COLUMN plan;
