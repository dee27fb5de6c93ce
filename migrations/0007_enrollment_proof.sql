-- mdefleet schema, version 7: re-enrollment needs proof, host identities are
-- kept as hashes only. Times are microseconds since the Unix epoch (UTC).
--
-- This migration calls two application-defined SQL functions, which
-- Migrate() registers on the connection before it applies any migration
-- (server/store/migration_functions.h; SQLite has no SHA-256 of its own):
--   mdf_sha256_hex(text)  lowercase hex SHA-256 of the text's UTF-8 bytes
--   mdf_facts_with_host_identity_sha256(facts, hash)
--     the serialized mdefleet.v1.DeviceFacts with host_identity cleared and
--     host_identity_sha256 set to hash
-- It rebuilds the devices table (SQLite cannot drop the UNIQUE constraint
-- of host_identity in place); Migrate() applies migrations with foreign
-- keys off and checks them (PRAGMA foreign_key_check) before each commit.

-- devices, rebuilt: host_identity (the raw MachineGuid, or
-- "hostname:<name>" for a host that reported none) becomes
-- host_identity_sha256, the hash of the raw value, "" for no identity. The
-- "hostname:" stand-ins are dropped: a device without a machine identity
-- has none and is never matched to another enrollment. Unique only among
-- the devices holding their identity (duplicate_of = ''): a device created
-- by an enrollment that reported another device's identity without proof
-- carries the same hash and names that device in duplicate_of.
CREATE TABLE devices_v7 (
  id                           TEXT PRIMARY KEY,
  token_hash                   TEXT NOT NULL UNIQUE,
  host_identity_sha256         TEXT NOT NULL DEFAULT '',
  hostname                     TEXT NOT NULL,
  os_family                    INTEGER NOT NULL,
  mde_state                    INTEGER NOT NULL,
  facts                        BLOB NOT NULL,
  enrolled_at                  INTEGER NOT NULL,
  last_seen_at                 INTEGER NOT NULL,
  needs                        INTEGER NOT NULL DEFAULT 0,
  needs_rules                  INTEGER NOT NULL DEFAULT 0,
  sense_guid_sha256            TEXT NOT NULL DEFAULT '',
  revoked_at                   INTEGER,
  revoked_reason               TEXT NOT NULL DEFAULT '',
  scope_labels                 TEXT NOT NULL DEFAULT '',
  runner_clone_seen_at         INTEGER,
  runner_clone_identity_sha256 TEXT NOT NULL DEFAULT '',
  -- The device whose host identity this one's enrollment reported without
  -- proof ('' for a device holding its own identity).
  duplicate_of                 TEXT NOT NULL DEFAULT '',
  -- An admin's `devices reset-identity`, waiting for the next enrollment
  -- with this host identity (NULL: none pending).
  identity_reset_at            INTEGER,
  identity_reset_by            TEXT NOT NULL DEFAULT '',
  identity_reset_reason        TEXT NOT NULL DEFAULT ''
);

INSERT INTO devices_v7 (id, token_hash, host_identity_sha256, hostname,
  os_family, mde_state, facts, enrolled_at, last_seen_at, needs, needs_rules,
  sense_guid_sha256, revoked_at, revoked_reason, scope_labels,
  runner_clone_seen_at, runner_clone_identity_sha256)
SELECT id, token_hash, identity_hash, hostname, os_family, mde_state,
  mdf_facts_with_host_identity_sha256(facts, identity_hash), enrolled_at,
  last_seen_at, needs, needs_rules, sense_guid_sha256, revoked_at,
  revoked_reason, scope_labels, runner_clone_seen_at,
  runner_clone_identity_sha256
FROM (SELECT *, CASE
        WHEN host_identity = '' OR substr(host_identity, 1, 9) = 'hostname:'
          THEN ''
        ELSE mdf_sha256_hex(host_identity)
      END AS identity_hash
      FROM devices);

DROP TABLE devices;
ALTER TABLE devices_v7 RENAME TO devices;

CREATE INDEX devices_by_hostname ON devices (hostname COLLATE NOCASE, id);
CREATE INDEX devices_by_last_seen ON devices (last_seen_at);
CREATE INDEX devices_by_sense_guid ON devices (sense_guid_sha256)
  WHERE sense_guid_sha256 <> '';
CREATE INDEX devices_by_os_mde ON devices (os_family, mde_state);
-- One holder per host identity; enrollment looks the holder up here.
CREATE UNIQUE INDEX devices_by_host_identity ON devices (host_identity_sha256)
  WHERE host_identity_sha256 <> '' AND duplicate_of = '';
-- The few duplicates (need duplicate_identity), without a table scan.
CREATE INDEX devices_duplicates ON devices (duplicate_of)
  WHERE duplicate_of <> '';

-- Enrollments into an existing device id and refused claims of one: shown
-- on the device (GetDevice). The audit log has the same events for the
-- security record; this table keeps them structured per device.
CREATE TABLE device_enrollments (
  id            INTEGER PRIMARY KEY,
  device_id     TEXT NOT NULL REFERENCES devices (id),  -- enrolled or claimed
  at            INTEGER NOT NULL,
  -- reenrolled: the caller proved it holds the device; identity_reset: it
  -- took the device over after an admin's reset-identity; refused_claim:
  -- it claimed the device and was refused (see new_device_id, reason).
  kind          TEXT NOT NULL
                CHECK (kind IN ('reenrolled', 'identity_reset', 'refused_claim')),
  proof         TEXT NOT NULL DEFAULT '',  -- how a re-enrollment was proven
  secret_name   TEXT NOT NULL,             -- the enrollment secret's name
  hostname      TEXT NOT NULL,             -- as the enrolling host reported it
  new_device_id TEXT NOT NULL DEFAULT '',  -- refused_claim: created instead
  reason        TEXT NOT NULL DEFAULT ''   -- refused_claim: why
);
CREATE INDEX device_enrollments_by_device
  ON device_enrollments (device_id, kind, id);
