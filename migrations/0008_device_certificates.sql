-- mdefleet schema, version 8: each device is bound to the client certificate
-- the server issued it. Every runner call must present that certificate (by
-- its SHA-256 fingerprint); an older certificate of the same device, or any
-- other, is refused. Times are microseconds since the Unix epoch (UTC).

-- The device's current certificate: lowercase hex SHA-256 of its DER form,
-- its serial number (hex) and notAfter.
--   NULL: the device enrolled before version 8, when nothing was recorded;
--         the first certificate of our CA naming the device that it presents
--         is adopted as its current one (and logged).
--   '':   no certificate was issued to it (it enrolled over plaintext, or
--         without a CSR); none is accepted until it enrolls again.
ALTER TABLE devices ADD COLUMN cert_sha256 TEXT;
ALTER TABLE devices ADD COLUMN cert_serial TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN cert_not_after INTEGER;
-- A renewed certificate the runner has not presented yet ('' when none).
-- Until it does, the current one keeps working (a runner that died before
-- saving the new certificate is not locked out); the first call presenting
-- it makes it current, and the previous one is refused from then on.
ALTER TABLE devices ADD COLUMN next_cert_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN next_cert_serial TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN next_cert_not_after INTEGER;
-- When the current certificate was issued or became current.
ALTER TABLE devices ADD COLUMN cert_since INTEGER;
