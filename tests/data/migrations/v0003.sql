-- An mdefleet database at schema version 3, with rows of every
-- version so far: a fixture of migration_fixtures_test.cc, made by
-- migration_fixture_gen (tests/data/migrations/README.md). Do not
-- edit: make a new version's fixture instead.
PRAGMA foreign_keys = OFF;
BEGIN TRANSACTION;
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO "meta" VALUES('application','mdefleet');
CREATE TABLE schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at INTEGER NOT NULL
);
INSERT INTO "schema_migrations" VALUES(1,'0001_initial.sql',1704150000000000);
INSERT INTO "schema_migrations" VALUES(2,'0002_rollout_policy.sql',1704236400000000);
INSERT INTO "schema_migrations" VALUES(3,'0003_device_needs.sql',1704322800000000);
CREATE TABLE credentials (
  id         INTEGER PRIMARY KEY,
  kind       TEXT NOT NULL CHECK (kind IN ('admin', 'enrollment')),
  name       TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);
INSERT INTO "credentials" VALUES(1,'admin','admin','caaa253a0d60f7ababf99f9608f24faa40ce15f93a07a9b8bcfd6f2d0535f443',1704153600000000);
INSERT INTO "credentials" VALUES(2,'enrollment','runners','a646d8b09ad533699ff803731fbbf5f22b24b4366c628f79a54a67384b1f4d30',1704153600000000);
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
, needs INTEGER NOT NULL DEFAULT 0, needs_rules INTEGER NOT NULL DEFAULT 0, sense_guid_sha256 TEXT NOT NULL DEFAULT '');
INSERT INTO "devices" VALUES('dev-web-01','584d101a7f04978eed722c82d851d00ffc95b43fa2c55c520451344a29f215d3','4c4c4544-0042-3510-8052-b4c04f4e4d32','WEB-01',3,3,X'0A065745422D30311A0E57696E646F777320536572766572220F31302E302E31373736332E353132323003420D0A04736974651205746F6B796FA2012434633463343534342D303034322D333531302D383035322D623463303466346534643332',1704153600000000,1704157200000000,5,2,'4f8aa118639dc295944351496d9012ebc43bd4ec8932ae7fa81bc55c4a7b2b6a');
INSERT INTO "devices" VALUES('dev-db-02','7517d33f90c7acda217c8ed7a18d84c7dfa668f084c895504dd7205c5a12c75e','hostname:DB-02','DB-02',3,3,X'0A0544422D30321A0E57696E646F777320536572766572220F31302E302E31373736332E353132323003420D0A047369746512056F73616B61A2010E686F73746E616D653A44422D3032',1704153600000000,1704157200000000,5,2,'4f8aa118639dc295944351496d9012ebc43bd4ec8932ae7fa81bc55c4a7b2b6a');
INSERT INTO "devices" VALUES('dev-old-03','cae12008a0a039541f00cf97ee8e24a2a073d7ab747a4c5d0761bfccc8c0d4a2','9e1b6a2c-7d45-4f3a-b1c8-2e6f0d9a4b57','OLD-03',1,1,X'0A064F4C442D30331A0E57696E646F777320536572766572220E362E332E393630302E32303030303001420D0A04736974651205746F6B796FA2012439653162366132632D376434352D346633612D623163382D326536663064396134623537',1704153600000000,1704160800000000,1,2,'');
CREATE TABLE device_labels (
  device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  key       TEXT NOT NULL,
  value     TEXT NOT NULL,
  PRIMARY KEY (device_id, key)
) WITHOUT ROWID;
INSERT INTO "device_labels" VALUES('dev-web-01','role','web');
INSERT INTO "device_labels" VALUES('dev-db-02','site','osaka');
INSERT INTO "device_labels" VALUES('dev-old-03','site','tokyo');
INSERT INTO "device_labels" VALUES('dev-web-01','site','tokyo');
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
INSERT INTO "artifacts" VALUES('816658ef5b7e47149ab106269266ae52001b2c0a34319c619329d3e69844d4ab',1,'WindowsDefenderATPOnboardingScript.cmd',37,X'406563686F206F66660D0A72656D206F6E626F617264696E67202866697874757265290D0A',NULL,1,1704153600000000);
INSERT INTO "artifacts" VALUES('316a466d5661d04796482bf15d01760ff22ea2a0ed3d931745d8ef679d8d26c8',3,'Install.ps1',25,X'2320496E7374616C6C2E707331202866697874757265290D0A',NULL,0,1704153600000000);
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
, expired INTEGER NOT NULL DEFAULT 0, lease_micros INTEGER NOT NULL DEFAULT 0, deadline_at INTEGER, deadline_capped INTEGER NOT NULL DEFAULT 0, max_failures INTEGER, retries INTEGER NOT NULL DEFAULT 0, retry_backoff_micros INTEGER NOT NULL DEFAULT 0, canary INTEGER NOT NULL DEFAULT 0, canary_approval INTEGER NOT NULL DEFAULT 0, wave_size INTEGER NOT NULL DEFAULT 0, wave_interval_micros INTEGER NOT NULL DEFAULT 0, wave INTEGER NOT NULL DEFAULT 1, wave_leased INTEGER NOT NULL DEFAULT 0, wave_pending INTEGER NOT NULL DEFAULT 0, wave_failed INTEGER NOT NULL DEFAULT 0, wave_opens_at INTEGER NOT NULL DEFAULT 0, pause_cause INTEGER NOT NULL DEFAULT 0);
INSERT INTO "jobs" VALUES('job-onboard-1','onboard',X'0A076F6E626F6172641A0208012200',4,'','admin',1704153600000000,1704157200000000,0,2,0,0,0,2,0,0,0,0,0,0,NULL,0,NULL,0,0,0,0,0,0,1,0,0,0,0,0);
INSERT INTO "jobs" VALUES('job-install-2','install',X'0A07696E7374616C6C1A02080122020803',2,'','admin',1704157200000000,NULL,3,1,1,0,0,0,0,0,0,0,0,0,NULL,0,NULL,0,0,0,0,0,0,1,0,0,0,0,0);
INSERT INTO "jobs" VALUES('job-rollout-3','health_check',X'0A0C6865616C74685F636865636B1A02080122020802',2,'','admin',1704240000000000,NULL,2,2,1,0,1,0,0,0,0,0,0,1200000000,1704844800000000,0,1,2,60000000,1,1,1,600000000,0,1,1,0,1704240000000000,0);
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
, not_before INTEGER NOT NULL DEFAULT 0, retries_used INTEGER NOT NULL DEFAULT 0, wave INTEGER);
INSERT INTO "tasks" VALUES('task-1a','job-onboard-1','dev-web-01',4,1,NULL,NULL,X'0A0D0A0B707265636865636B5F6F730A170A1572756E5F6F6E626F617264696E675F7363726970740A130A117665726966795F6F6E626F617264696E67','onboarded',1704153600000000,1704153660000000,1704153720000000,0,0,NULL);
INSERT INTO "tasks" VALUES('task-1b','job-onboard-1','dev-db-02',4,1,NULL,NULL,X'0A0D0A0B707265636865636B5F6F730A170A1572756E5F6F6E626F617264696E675F7363726970740A130A117665726966795F6F6E626F617264696E67','onboarded',1704153600000000,1704153660000000,1704153720000000,0,0,NULL);
INSERT INTO "tasks" VALUES('task-2a','job-install-2','dev-old-03',1,1,NULL,NULL,X'0A0D0A0B707265636865636B5F6F730A110A0F72756E5F696E7374616C6C5F707331','',1704157200000000,NULL,NULL,0,0,NULL);
INSERT INTO "tasks" VALUES('task-3a','job-rollout-3','dev-web-01',3,2,NULL,NULL,X'0A0D0A0B636865636B5F73656E73650A180A16636865636B5F636C6F75645F70726F74656374696F6E','',1704240000000000,1704240300000000,NULL,1704240240000000,1,0);
INSERT INTO "tasks" VALUES('task-3b','job-rollout-3','dev-db-02',1,1,NULL,NULL,X'0A0D0A0B636865636B5F73656E73650A180A16636865636B5F636C6F75645F70726F74656374696F6E','',1704240000000000,NULL,NULL,0,0,NULL);
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
  output_tail TEXT NOT NULL DEFAULT '', superseded INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (task_id, attempt, idx)
) WITHOUT ROWID;
INSERT INTO "steps" VALUES('task-1a','job-onboard-1',1,0,'precheck_os',3,1704153660000000,1704153690000000,0,'','',0);
INSERT INTO "steps" VALUES('task-1a','job-onboard-1',1,1,'run_onboarding_script',3,1704153690000000,1704153720000000,0,'','',0);
INSERT INTO "steps" VALUES('task-1a','job-onboard-1',1,2,'verify_onboarding',3,1704153720000000,1704153750000000,NULL,'Sense RUNNING','',0);
INSERT INTO "steps" VALUES('task-1b','job-onboard-1',1,0,'precheck_os',3,1704153660000000,1704153690000000,0,'','',0);
INSERT INTO "steps" VALUES('task-1b','job-onboard-1',1,1,'run_onboarding_script',3,1704153690000000,1704153720000000,0,'','',0);
INSERT INTO "steps" VALUES('task-1b','job-onboard-1',1,2,'verify_onboarding',3,1704153720000000,1704153750000000,NULL,'Sense RUNNING','',0);
INSERT INTO "steps" VALUES('task-3a','job-rollout-3',1,0,'check_sense',4,1704240060000000,1704240061000000,1,'Sense is not running','',1);
INSERT INTO "steps" VALUES('task-3a','job-rollout-3',2,0,'check_sense',2,1704240300000000,NULL,NULL,'','',0);
CREATE TABLE audit_log (
  id      INTEGER PRIMARY KEY,
  at      INTEGER NOT NULL,
  actor   TEXT NOT NULL,  -- the credential's name (credentials.name)
  action  TEXT NOT NULL,  -- submit_job, pause_job, resume_job, retry_failed, cancel_job
  job_id  TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'refused', 'error')),
  detail  TEXT NOT NULL DEFAULT ''  -- the reason given, or why it was refused
);
INSERT INTO "audit_log" VALUES(1,1704240000000000,'admin','submit_job','job-rollout-3','ok','');
INSERT INTO "audit_log" VALUES(2,1704243600000000,'admin','pause_job','job-onboard-1','refused','job-onboard-1 has ended');
CREATE INDEX devices_by_hostname ON devices (hostname COLLATE NOCASE, id);
CREATE INDEX devices_by_last_seen ON devices (last_seen_at);
CREATE INDEX device_labels_by_key_value ON device_labels (key, value);
CREATE INDEX artifacts_by_kind ON artifacts (kind, uploaded_at);
CREATE INDEX jobs_by_state ON jobs (state);
CREATE INDEX tasks_by_device_state ON tasks (device_id, state);
CREATE INDEX tasks_by_state_lease ON tasks (state, lease_expires_at);
CREATE INDEX tasks_by_job_state ON tasks (job_id, state);
CREATE INDEX steps_by_job_state ON steps (job_id, state);
CREATE INDEX jobs_by_deadline ON jobs (deadline_at) WHERE deadline_at IS NOT NULL;
CREATE INDEX audit_log_by_job ON audit_log (job_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE INDEX devices_by_sense_guid ON devices (sense_guid_sha256)
  WHERE sense_guid_sha256 <> '';
COMMIT;
