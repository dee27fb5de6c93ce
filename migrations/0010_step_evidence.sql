-- mdefleet schema, version 10: the evidence a failed step left behind
-- (runner.proto UploadEvidence): its output and the logs its plan names, so
-- an operator sees why an MSI failed without logging on to the server.
-- One row per file, gzip-compressed as uploaded (content), in upload order
-- (file_no); an upload replaces the earlier files of its (task, attempt,
-- step). Deleted after serve --evidence-retention (uploaded_at).
-- original_size: bytes of the whole file on the device; truncated: 1 when
-- only its end was kept. uploaded_at: microseconds since the Unix epoch.
CREATE TABLE step_evidence (
  task_id       TEXT NOT NULL REFERENCES tasks (id),
  attempt       INTEGER NOT NULL,
  idx           INTEGER NOT NULL,
  file_no       INTEGER NOT NULL,
  name          TEXT NOT NULL,
  content       BLOB NOT NULL,
  original_size INTEGER NOT NULL,
  truncated     INTEGER NOT NULL,
  uploaded_at   INTEGER NOT NULL,
  UNIQUE (task_id, attempt, idx, file_no)
);
CREATE INDEX step_evidence_by_time ON step_evidence (uploaded_at);
