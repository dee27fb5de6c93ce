-- mdefleet schema, version 3: what each device needs (common/device_needs.h)
-- and clone detection. Both are derived from the facts blob when a runner
-- reports; they are columns so that the fleet summary and
-- `devices list --needs` are single indexed queries over 100k devices.

-- Bit mask of the needs that follow from the device's own facts (NeedBit).
ALTER TABLE devices ADD COLUMN needs INTEGER NOT NULL DEFAULT 0;
-- kNeedRulesVersion the mask was computed with; older rows are recomputed at
-- server start (devices that never report again keep a current mask).
ALTER TABLE devices ADD COLUMN needs_rules INTEGER NOT NULL DEFAULT 0;
-- Lowercase hex SHA-256 of senseGuid ("" when absent): devices sharing one
-- are clones of one image.
ALTER TABLE devices ADD COLUMN sense_guid_sha256 TEXT NOT NULL DEFAULT '';
CREATE INDEX devices_by_sense_guid ON devices (sense_guid_sha256)
  WHERE sense_guid_sha256 <> '';
