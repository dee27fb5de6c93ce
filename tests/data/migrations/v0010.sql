-- An mdefleet database at schema version 10, with rows of every
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
INSERT INTO "schema_migrations" VALUES(4,'0004_defender_api.sql',1704409200000000);
INSERT INTO "schema_migrations" VALUES(5,'0005_access_control.sql',1704495600000000);
INSERT INTO "schema_migrations" VALUES(6,'0006_metrics_indexes.sql',1704582000000000);
INSERT INTO "schema_migrations" VALUES(7,'0007_enrollment_proof.sql',1704668400000000);
INSERT INTO "schema_migrations" VALUES(8,'0008_device_certificates.sql',1704754800000000);
INSERT INTO "schema_migrations" VALUES(9,'0009_server_settings.sql',1704841200000000);
INSERT INTO "schema_migrations" VALUES(10,'0010_step_evidence.sql',1704927600000000);
CREATE TABLE credentials (
  id         INTEGER PRIMARY KEY,
  kind       TEXT NOT NULL CHECK (kind IN ('admin', 'enrollment')),
  name       TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
, role TEXT
  CHECK (role IS NULL OR role IN ('viewer', 'operator', 'admin')), created_by TEXT NOT NULL DEFAULT 'init', expires_at INTEGER, revoked_at INTEGER, scope_labels TEXT NOT NULL DEFAULT '');
INSERT INTO "credentials" VALUES(1,'admin','admin','caaa253a0d60f7ababf99f9608f24faa40ce15f93a07a9b8bcfd6f2d0535f443',1704153600000000,'admin','init',NULL,NULL,'');
INSERT INTO "credentials" VALUES(2,'enrollment','runners','a646d8b09ad533699ff803731fbbf5f22b24b4366c628f79a54a67384b1f4d30',1704153600000000,NULL,'init',NULL,NULL,'');
INSERT INTO "credentials" VALUES(3,'admin','dashboard','e02f7811795fba30bd6824e08c0afd2ea3055939d2ed4d0e4be45e561916d31d',1704499200000000,'viewer','admin',1712275200000000,NULL,'');
INSERT INTO "credentials" VALUES(4,'admin','ci','19ec6414c451cf96bfcf3f11617a3783961be8edfd694bdb939d2811b075acd0',1704499200000000,'operator','admin',NULL,1704502800000000,'');
INSERT INTO "credentials" VALUES(5,'enrollment','osaka','dd3df29a028833fb2ef96ac2d4de4969660e16562f3fd231c6c03e31f1fd64f5',1704499200000000,NULL,'admin',NULL,NULL,'site=osaka');
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
, expired INTEGER NOT NULL DEFAULT 0, lease_micros INTEGER NOT NULL DEFAULT 0, deadline_at INTEGER, deadline_capped INTEGER NOT NULL DEFAULT 0, max_failures INTEGER, retries INTEGER NOT NULL DEFAULT 0, retry_backoff_micros INTEGER NOT NULL DEFAULT 0, canary INTEGER NOT NULL DEFAULT 0, canary_approval INTEGER NOT NULL DEFAULT 0, wave_size INTEGER NOT NULL DEFAULT 0, wave_interval_micros INTEGER NOT NULL DEFAULT 0, wave INTEGER NOT NULL DEFAULT 1, wave_leased INTEGER NOT NULL DEFAULT 0, wave_pending INTEGER NOT NULL DEFAULT 0, wave_failed INTEGER NOT NULL DEFAULT 0, wave_opens_at INTEGER NOT NULL DEFAULT 0, pause_cause INTEGER NOT NULL DEFAULT 0, api_waiting INTEGER NOT NULL DEFAULT 0);
INSERT INTO "jobs" VALUES('job-onboard-1','onboard',X'0A076F6E626F6172641A0208012200',4,'','admin',1704153600000000,1704157200000000,0,2,0,0,0,2,0,0,0,0,0,0,NULL,0,NULL,0,0,0,0,0,0,1,0,0,0,0,0,0);
INSERT INTO "jobs" VALUES('job-install-2','install',X'0A07696E7374616C6C1A02080122020803',2,'','admin',1704157200000000,NULL,3,1,1,0,0,0,0,0,0,0,0,0,NULL,0,NULL,0,0,0,0,0,0,1,0,0,0,0,0,0);
INSERT INTO "jobs" VALUES('job-rollout-3','health_check',X'0A0C6865616C74685F636865636B1A02080122020802',2,'','admin',1704240000000000,NULL,2,2,1,0,1,0,0,0,0,0,0,1200000000,1704844800000000,0,1,2,60000000,1,1,1,600000000,0,1,1,0,1704240000000000,0,0);
INSERT INTO "jobs" VALUES('job-api-4','api_offboard',X'0A0C6170695F6F6666626F6172641A0208012200',2,'','admin',1704412800000000,NULL,0,2,1,0,1,0,0,0,0,0,0,0,NULL,0,NULL,0,0,0,0,0,0,1,0,0,0,0,0,1);
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
INSERT INTO "tasks" VALUES('task-4a','job-api-4','dev-old-03',3,1,NULL,NULL,X'0A120A106F6666626F6172645F7669615F617069','',1704412800000000,1704412801000000,NULL,0,0,1);
INSERT INTO "tasks" VALUES('task-4b','job-api-4','dev-db-02',1,1,NULL,NULL,X'0A120A106F6666626F6172645F7669615F617069','',1704412800000000,NULL,NULL,0,0,NULL);
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
INSERT INTO "steps" VALUES('task-4a','job-api-4',1,0,'offboard_via_api',4,1704585600000000,1704585601000000,NULL,'Defender API: 403 Forbidden','',0);
CREATE TABLE audit_log (
  id      INTEGER PRIMARY KEY,
  at      INTEGER NOT NULL,
  actor   TEXT NOT NULL,  -- the credential's name (credentials.name)
  action  TEXT NOT NULL,  -- submit_job, pause_job, resume_job, retry_failed, cancel_job
  job_id  TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'refused', 'error')),
  detail  TEXT NOT NULL DEFAULT ''  -- the reason given, or why it was refused
, role TEXT NOT NULL DEFAULT '');
INSERT INTO "audit_log" VALUES(1,1704240000000000,'admin','submit_job','job-rollout-3','ok','','');
INSERT INTO "audit_log" VALUES(2,1704243600000000,'admin','pause_job','job-onboard-1','refused','job-onboard-1 has ended','');
INSERT INTO "audit_log" VALUES(3,1704499200000000,'dashboard','cancel_job','job-install-2','refused','role viewer may not cancel_job','viewer');
CREATE TABLE defender_api_calls (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL
);
INSERT INTO "defender_api_calls" VALUES(1,1704412801000000);
INSERT INTO "defender_api_calls" VALUES(2,1704412802000000);
CREATE TABLE defender_actions (
  task_id       TEXT NOT NULL REFERENCES tasks (id),
  attempt       INTEGER NOT NULL,
  machine_id    TEXT NOT NULL,
  requested_at  INTEGER NOT NULL,
  action_id     TEXT,
  action_status TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (task_id, attempt)
) WITHOUT ROWID;
INSERT INTO "defender_actions" VALUES('task-4a',1,'b6a4d2e0f1c3a5b7d9e1f3a5c7e9b1d3f5a7c9e1',1704412801000000,'a1b2c3d4-0000-4000-8000-000000000004','Pending');
CREATE TABLE "devices" (
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
, cert_sha256 TEXT, cert_serial TEXT NOT NULL DEFAULT '', cert_not_after INTEGER, next_cert_sha256 TEXT NOT NULL DEFAULT '', next_cert_serial TEXT NOT NULL DEFAULT '', next_cert_not_after INTEGER, cert_since INTEGER);
INSERT INTO "devices" VALUES('dev-web-01','584d101a7f04978eed722c82d851d00ffc95b43fa2c55c520451344a29f215d3','63feb2d4f50d60c3a026128a64316767f7abfb155c55b5f2d2af86021644e877','WEB-01',3,3,X'0A065745422D30311A0E57696E646F777320536572766572220F31302E302E31373736332E353132323003420D0A04736974651205746F6B796FFA014036336665623264346635306436306333613032363132386136343331363736376637616266623135356335356235663264326166383630323136343465383737',1704153600000000,1704157200000000,5,2,'4f8aa118639dc295944351496d9012ebc43bd4ec8932ae7fa81bc55c4a7b2b6a',NULL,'','',NULL,'','',1704675600000000,'admin','reimaged','302e225ddaab6e5880627bd14c846d16b01ad6e6f1a0266ffd6aa9ed59a3daa6','0a1b2c',1707350400000000,'32eedbd54db03dda8d9ac1b8c7cb08412d79ba57494f35ccebc74f797c220489','0a1b2d',1709942400000000,1704758400000000);
INSERT INTO "devices" VALUES('dev-db-02','7517d33f90c7acda217c8ed7a18d84c7dfa668f084c895504dd7205c5a12c75e','','DB-02',3,3,X'0A0544422D30321A0E57696E646F777320536572766572220F31302E302E31373736332E353132323003420D0A047369746512056F73616B61',1704153600000000,1704157200000000,5,2,'4f8aa118639dc295944351496d9012ebc43bd4ec8932ae7fa81bc55c4a7b2b6a',NULL,'','site=osaka',1704506400000000,'7612d749cbf05c24a4fb9d85a96d021d380ad2d0cbc97593935dcc4a63310830','',NULL,'','',NULL,'',NULL,'','',NULL,NULL);
INSERT INTO "devices" VALUES('dev-old-03','cae12008a0a039541f00cf97ee8e24a2a073d7ab747a4c5d0761bfccc8c0d4a2','6fda801e0e3fed46c10091cc05c11496d6b193a38ee22cd0bdde31524c947d2a','OLD-03',1,1,X'0A064F4C442D30331A0E57696E646F777320536572766572220E362E332E393630302E32303030303001420D0A04736974651205746F6B796FFA014036666461383031653065336665643436633130303931636330356331313439366436623139336133386565323263643062646465333135323463393437643261',1704153600000000,1704160800000000,1,2,'',1704502800000000,'decommissioned','',NULL,'','',NULL,'','','','',NULL,'','',NULL,NULL);
INSERT INTO "devices" VALUES('dev-web-01-copy','76107730b637cd3028efd2987147dbd448c537440c643876f9757f51c1be995c','63feb2d4f50d60c3a026128a64316767f7abfb155c55b5f2d2af86021644e877','WEB-01',3,3,X'0A065745422D30311A0E57696E646F777320536572766572220F31302E302E31373736332E353132323003420D0A04736974651205746F6B796FFA014036336665623264346635306436306333613032363132386136343331363736376637616266623135356335356235663264326166383630323136343465383737',1704672000000000,1704672000000000,0,0,'',NULL,'','',NULL,'','dev-web-01',NULL,'','',NULL,'',NULL,'','',NULL,NULL);
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
INSERT INTO "device_enrollments" VALUES(1,'dev-web-01',1704672000000000,'refused_claim','','runners','WEB-01','dev-web-01-copy','no proof of holding the device');
INSERT INTO "device_enrollments" VALUES(2,'dev-db-02',1704675600000000,'reenrolled','device token','osaka','DB-02','','');
CREATE TABLE server_settings (
  name       TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  changed_at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO "server_settings" VALUES('mde_workspace_ids','11111111-2222-3333-4444-555555555555',1704844800000000);
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
INSERT INTO "step_evidence" VALUES('task-4a',1,0,0,'output.txt',X'1F8B20666978747572652C206E6F74207265616C20677A6970',4096,1,1704931200000000);
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
CREATE INDEX defender_api_calls_by_at ON defender_api_calls (at);
CREATE UNIQUE INDEX credentials_active_name ON credentials (kind, name)
  WHERE revoked_at IS NULL;
CREATE INDEX steps_failed_by_name ON steps (name, state) WHERE state = 4;
CREATE INDEX devices_by_hostname ON devices (hostname COLLATE NOCASE, id);
CREATE INDEX devices_by_last_seen ON devices (last_seen_at);
CREATE INDEX devices_by_sense_guid ON devices (sense_guid_sha256)
  WHERE sense_guid_sha256 <> '';
CREATE INDEX devices_by_os_mde ON devices (os_family, mde_state);
CREATE UNIQUE INDEX devices_by_host_identity ON devices (host_identity_sha256)
  WHERE host_identity_sha256 <> '' AND duplicate_of = '';
CREATE INDEX devices_duplicates ON devices (duplicate_of)
  WHERE duplicate_of <> '';
CREATE INDEX device_enrollments_by_device
  ON device_enrollments (device_id, kind, id);
CREATE INDEX step_evidence_by_time ON step_evidence (uploaded_at);
COMMIT;
