-- mdefleet schema, version 9: settings of the server kept with its data, so
-- that a change is noticed, audited and applied to what was computed from the
-- old value (a device's needs). One row per setting.
--   mde_workspace_ids: the tenant's Defender for Endpoint workspace ids
--     (lowercase GUIDs, sorted, comma-separated; '' when not configured), set
--     by `mdefleet-server serve --mde-workspace-id`.
-- changed_at: microseconds since the Unix epoch (UTC).
CREATE TABLE server_settings (
  name       TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  changed_at INTEGER NOT NULL
) WITHOUT ROWID;
