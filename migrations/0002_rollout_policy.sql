-- mdefleet schema, version 2: rollout policy (canaries, waves, failure
-- threshold, task timeout, deadline, retries), job controls and the audit
-- log. Times are microseconds since the Unix epoch (UTC). Existing jobs get
-- the defaults, which behave exactly as version 1 did.

-- The resolved policy (the spec blob keeps what the operator asked for) and
-- the rollout's position, on the job row so that leasing reads no more than
-- it did: all of it is read by the lease query through the job's primary key.
ALTER TABLE jobs ADD COLUMN expired INTEGER NOT NULL DEFAULT 0;  -- counter
-- Lease duration of the job's tasks; 0: the server's --lease-duration.
ALTER TABLE jobs ADD COLUMN lease_micros INTEGER NOT NULL DEFAULT 0;
-- Effective deadline (capped by an offboarding script's expiry); NULL: none.
ALTER TABLE jobs ADD COLUMN deadline_at INTEGER;
ALTER TABLE jobs ADD COLUMN deadline_capped INTEGER NOT NULL DEFAULT 0;
-- Failed + timed-out tasks tolerated; NULL: no threshold.
ALTER TABLE jobs ADD COLUMN max_failures INTEGER;
ALTER TABLE jobs ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN retry_backoff_micros INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN canary INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN canary_approval INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN wave_size INTEGER NOT NULL DEFAULT 0;  -- 0: no limit
ALTER TABLE jobs ADD COLUMN wave_interval_micros INTEGER NOT NULL DEFAULT 0;
-- The current wave (0: the canaries) and, for it: tasks leased, tasks leased
-- and not yet final (retries waiting included), tasks that failed; and when
-- it may start leasing.
ALTER TABLE jobs ADD COLUMN wave INTEGER NOT NULL DEFAULT 1;
ALTER TABLE jobs ADD COLUMN wave_leased INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN wave_pending INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN wave_failed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN wave_opens_at INTEGER NOT NULL DEFAULT 0;
-- mdefleet.v1.PauseCause of a PAUSED job; 0 otherwise.
ALTER TABLE jobs ADD COLUMN pause_cause INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_by_deadline ON jobs (deadline_at) WHERE deadline_at IS NOT NULL;

-- A queued retry waits until not_before. retries_used counts automatic
-- retries (an operator's retry-failed starts again from 0). wave is the wave
-- the current attempt was leased in (NULL: not leased yet in any wave).
ALTER TABLE tasks ADD COLUMN not_before INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN retries_used INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN wave INTEGER;

-- Steps of earlier attempts are kept for the record but left out of the
-- job's per-step summary and failing steps.
ALTER TABLE steps ADD COLUMN superseded INTEGER NOT NULL DEFAULT 0;

-- Who did what to which job, and how it ended (refusals included). Written in
-- the same transaction as the action; never updated or deleted.
CREATE TABLE audit_log (
  id      INTEGER PRIMARY KEY,
  at      INTEGER NOT NULL,
  actor   TEXT NOT NULL,  -- the credential's name (credentials.name)
  action  TEXT NOT NULL,  -- submit_job, pause_job, resume_job, retry_failed, cancel_job
  job_id  TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'refused', 'error')),
  detail  TEXT NOT NULL DEFAULT ''  -- the reason given, or why it was refused
);
CREATE INDEX audit_log_by_job ON audit_log (job_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
