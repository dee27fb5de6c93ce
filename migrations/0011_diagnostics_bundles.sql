-- mdefleet schema, version 11: MDEClientAnalyzer result bundles
-- (collect_diagnostics; runner.proto UploadDiagnosticsChunk).
-- diagnostics_chunks: an upload in progress, one row per chunk in order
-- (start_at: its offset in the bundle; total_size: the bundle's declared
-- size, at most 64 MiB). Deleted when the bundle is complete and kept, when
-- it is refused, and by the retention sweep (uploaded_at).
-- diagnostics_bundles: the bundle as uploaded (content,
-- MDEClientAnalyzerResult.zip), its lowercase hex SHA-256, and the findings
-- the server read from it (summary: a serialized mdefleet.v1.
-- DiagnosticsSummary); one per (task, attempt, step), a new upload replaces
-- it. Deleted after serve --evidence-retention (uploaded_at: microseconds
-- since the Unix epoch), like step_evidence.
CREATE TABLE diagnostics_chunks (
  task_id     TEXT NOT NULL REFERENCES tasks (id),
  attempt     INTEGER NOT NULL,
  idx         INTEGER NOT NULL,
  start_at    INTEGER NOT NULL,
  total_size  INTEGER NOT NULL,
  data        BLOB NOT NULL,
  uploaded_at INTEGER NOT NULL,
  PRIMARY KEY (task_id, attempt, idx, start_at)
);
CREATE INDEX diagnostics_chunks_by_time ON diagnostics_chunks (uploaded_at);

CREATE TABLE diagnostics_bundles (
  task_id     TEXT NOT NULL REFERENCES tasks (id),
  attempt     INTEGER NOT NULL,
  idx         INTEGER NOT NULL,
  content     BLOB NOT NULL,
  sha256      TEXT NOT NULL,
  summary     BLOB NOT NULL,
  uploaded_at INTEGER NOT NULL,
  PRIMARY KEY (task_id, attempt, idx)
);
CREATE INDEX diagnostics_bundles_by_time ON diagnostics_bundles (uploaded_at);
