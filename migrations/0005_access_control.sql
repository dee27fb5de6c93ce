-- mdefleet schema, version 5: operator roles and named API tokens, managed
-- enrollment secrets, device revocation and cloned-runner flags. Times are
-- microseconds since the Unix epoch (UTC).

-- credentials.kind 'admin' now means "API token" of any role (the CHECK of
-- version 1 cannot be altered in place); role says what it may do. The
-- bootstrap token from init keeps the admin role.
ALTER TABLE credentials ADD COLUMN role TEXT
  CHECK (role IS NULL OR role IN ('viewer', 'operator', 'admin'));
UPDATE credentials SET role = 'admin' WHERE kind = 'admin';
ALTER TABLE credentials ADD COLUMN created_by TEXT NOT NULL DEFAULT 'init';
ALTER TABLE credentials ADD COLUMN expires_at INTEGER;  -- NULL: never
ALTER TABLE credentials ADD COLUMN revoked_at INTEGER;  -- NULL: not revoked
-- Enrollment secrets scoped to labels: "key=value" lines, sorted. A device
-- enrolled with the secret gets these labels and cannot claim others for
-- their keys.
ALTER TABLE credentials ADD COLUMN scope_labels TEXT NOT NULL DEFAULT '';
-- At most one usable credential of a kind has a name (rotation revokes the
-- old token in the transaction that creates the new one).
CREATE UNIQUE INDEX credentials_active_name ON credentials (kind, name)
  WHERE revoked_at IS NULL;

-- A revoked device gets nothing: every runner call with its token is
-- refused, its host cannot enroll again, its unfinished tasks are cancelled.
ALTER TABLE devices ADD COLUMN revoked_at INTEGER;
ALTER TABLE devices ADD COLUMN revoked_reason TEXT NOT NULL DEFAULT '';
-- The scope_labels of the enrollment secret the device enrolled with, kept
-- on every later fact refresh.
ALTER TABLE devices ADD COLUMN scope_labels TEXT NOT NULL DEFAULT '';
-- The last time the device's token came from another host identity (a
-- copied runner state directory): such calls are refused, not served.
ALTER TABLE devices ADD COLUMN runner_clone_seen_at INTEGER;
ALTER TABLE devices ADD COLUMN runner_clone_identity_sha256 TEXT NOT NULL DEFAULT '';

-- The role of the token that acted ('' for rows written before roles).
ALTER TABLE audit_log ADD COLUMN role TEXT NOT NULL DEFAULT '';
