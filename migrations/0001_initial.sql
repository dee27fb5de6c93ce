-- mdefleet schema, version 1: identity, credentials, inventory, artifacts and
-- the job queue. Times are microseconds since the Unix epoch (UTC).

-- Identity of the file: mdefleet-server refuses a database without it.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('application', 'mdefleet');

-- One row per applied migration, written in the migration's own transaction.
CREATE TABLE schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at INTEGER NOT NULL
);

-- Admin tokens and enrollment secrets; only their SHA-256 is stored.
CREATE TABLE credentials (
  id         INTEGER PRIMARY KEY,
  kind       TEXT NOT NULL CHECK (kind IN ('admin', 'enrollment')),
  name       TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);

-- Enrolled runners. facts is a serialized mdefleet.v1.DeviceFacts; the columns
-- beside it are the facts that are filtered on.
CREATE TABLE devices (
  id            TEXT PRIMARY KEY,
  token_hash    TEXT NOT NULL UNIQUE,
  host_identity TEXT NOT NULL UNIQUE,
  hostname      TEXT NOT NULL,
  os_family     INTEGER NOT NULL,
  mde_state     INTEGER NOT NULL,
  facts         BLOB NOT NULL,
  enrolled_at   INTEGER NOT NULL,
  last_seen_at  INTEGER NOT NULL
);
CREATE INDEX devices_by_hostname ON devices (hostname COLLATE NOCASE, id);
CREATE INDEX devices_by_last_seen ON devices (last_seen_at);

CREATE TABLE device_labels (
  device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  key       TEXT NOT NULL,
  value     TEXT NOT NULL,
  PRIMARY KEY (device_id, key)
) WITHOUT ROWID;
CREATE INDEX device_labels_by_key_value ON device_labels (key, value);

-- Content-addressed files: id is the lowercase hex SHA-256 of content.
CREATE TABLE artifacts (
  id          TEXT NOT NULL UNIQUE,
  kind        INTEGER NOT NULL,
  name        TEXT NOT NULL,
  size        INTEGER NOT NULL,
  content     BLOB NOT NULL,
  valid_until TEXT,
  secret      INTEGER NOT NULL DEFAULT 0,
  uploaded_at INTEGER NOT NULL
);
CREATE INDEX artifacts_by_kind ON artifacts (kind, uploaded_at);

-- Jobs. spec is a serialized mdefleet.v1.JobSpec with artifact ids resolved.
-- The per-state task counters are updated in the same transaction as every
-- task transition: job progress is read from them, never by scanning tasks.
CREATE TABLE jobs (
  id            TEXT NOT NULL UNIQUE,
  kind          TEXT NOT NULL,
  spec          BLOB NOT NULL,
  state         INTEGER NOT NULL,
  state_reason  TEXT NOT NULL DEFAULT '',
  created_by    TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  finished_at   INTEGER,
  max_in_flight INTEGER NOT NULL DEFAULT 0,
  total         INTEGER NOT NULL DEFAULT 0,
  queued        INTEGER NOT NULL DEFAULT 0,
  leased        INTEGER NOT NULL DEFAULT 0,
  running       INTEGER NOT NULL DEFAULT 0,
  succeeded     INTEGER NOT NULL DEFAULT 0,
  failed        INTEGER NOT NULL DEFAULT 0,
  skipped       INTEGER NOT NULL DEFAULT 0,
  cancelled     INTEGER NOT NULL DEFAULT 0,
  timed_out     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_by_state ON jobs (state);

-- One job on one device. plan is a serialized mdefleet.v1.Plan.
CREATE TABLE tasks (
  id               TEXT PRIMARY KEY,
  job_id           TEXT NOT NULL REFERENCES jobs (id),
  device_id        TEXT NOT NULL REFERENCES devices (id),
  state            INTEGER NOT NULL,
  attempt          INTEGER NOT NULL DEFAULT 1,
  lease_id         TEXT,
  lease_expires_at INTEGER,
  plan             BLOB NOT NULL,
  message          TEXT NOT NULL DEFAULT '',
  created_at       INTEGER NOT NULL,
  started_at       INTEGER,
  finished_at      INTEGER
);
CREATE INDEX tasks_by_device_state ON tasks (device_id, state);
CREATE INDEX tasks_by_state_lease ON tasks (state, lease_expires_at);
CREATE INDEX tasks_by_job_state ON tasks (job_id, state);

-- One planned step of one task attempt, with its reported outcome.
CREATE TABLE steps (
  task_id     TEXT NOT NULL REFERENCES tasks (id),
  job_id      TEXT NOT NULL,
  attempt     INTEGER NOT NULL,
  idx         INTEGER NOT NULL,
  name        TEXT NOT NULL,
  state       INTEGER NOT NULL,
  started_at  INTEGER,
  finished_at INTEGER,
  exit_code   INTEGER,
  message     TEXT NOT NULL DEFAULT '',
  output_tail TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (task_id, attempt, idx)
) WITHOUT ROWID;
CREATE INDEX steps_by_job_state ON steps (job_id, state);
