-- mdefleet schema, version 4: api_offboard, where the server itself calls the
-- Defender API. Times are microseconds since the Unix epoch (UTC).

-- Every call made to the Defender API (the token endpoint excluded), for the
-- server-wide rate limit (100 calls in any 60 s, 1500 in any hour) to hold
-- across restarts. `at` is written before the call is sent and moved to when
-- its answer came back. Rows older than an hour are deleted.
CREATE TABLE defender_api_calls (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL
);
CREATE INDEX defender_api_calls_by_at ON defender_api_calls (at);

-- One offboarding request per api_offboard task attempt. The row is written
-- (requested_at, no action_id) in the transaction that starts the task,
-- before the POST is sent: a row without action_id after a crash means the
-- POST may have reached Defender, so the server looks the machine's actions
-- up before asking again.
CREATE TABLE defender_actions (
  task_id       TEXT NOT NULL REFERENCES tasks (id),
  attempt       INTEGER NOT NULL,
  machine_id    TEXT NOT NULL,
  requested_at  INTEGER NOT NULL,
  action_id     TEXT,
  action_status TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (task_id, attempt)
) WITHOUT ROWID;

-- Queued tasks of the job waiting for the Defender API rate limit (GetJob's
-- rollout.api_waiting), kept by the server's api_offboard worker.
ALTER TABLE jobs ADD COLUMN api_waiting INTEGER NOT NULL DEFAULT 0;
