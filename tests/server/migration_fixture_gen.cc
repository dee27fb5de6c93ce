// Makes the migration fixtures of tests/data/migrations/: vNNNN.sql, an SQL
// dump of a database at schema version NNNN holding the rows each version
// added (tests/data/migrations/README.md). Not a test; run by hand when a
// migration is added:
//
//   build/tests/server/migration_fixture_gen tests/data/migrations 14
//
// loads v0013.sql, applies migration 14 as Migrate() does, adds the rows
// RowsOf(14) writes and saves v0014.sql. A fixture that exists is never
// written again: it stands for a released version's shape, which a later
// change of an old migration must not quietly follow.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "mdefleet/v1/jobs.pb.h"
#include "mdefleet/v1/plan.pb.h"
#include "mdefleet/v1/types.pb.h"
#include "server/store/migration_functions.h"
#include "server/store/migrations.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {
namespace {

namespace fs = std::filesystem;

// 2024-01-01 00:00 UTC in microseconds: every time in the fixtures is a
// fixed offset from it, so a fixture made again is the same file.
constexpr int64_t kT0 = 1704067200LL * 1000000;
constexpr int64_t kHour = 3600LL * 1000000;
constexpr int64_t kDay = 24 * kHour;

std::string Blob(absl::string_view bytes) {
  return absl::StrCat(
      "X'", absl::AsciiStrToUpper(absl::BytesToHexString(bytes)), "'");
}

std::string Quote(absl::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// Serialized DeviceFacts: as runners reported them (a raw `identity`), or
// as the server keeps them from 0007 on (`identity_sha256`).
std::string Facts(absl::string_view hostname, absl::string_view identity,
                  absl::string_view os_version, v1::OsFamily family,
                  absl::string_view site,
                  absl::string_view identity_sha256 = "") {
  v1::DeviceFacts facts;
  facts.set_hostname(std::string(hostname));
  facts.set_host_identity(std::string(identity));
  facts.set_host_identity_sha256(std::string(identity_sha256));
  facts.set_os_version(std::string(os_version));
  facts.set_os_family(family);
  facts.set_os_product("Windows Server");
  (*facts.mutable_labels())["site"] = std::string(site);
  return Blob(facts.SerializeAsString());
}

std::string Spec(absl::string_view kind, uint32_t max_in_flight) {
  v1::JobSpec spec;
  spec.set_kind(std::string(kind));
  spec.mutable_target()->set_all(true);
  spec.mutable_policy()->set_max_in_flight(max_in_flight);
  return Blob(spec.SerializeAsString());
}

std::string PlanBytes(const std::vector<std::string>& steps) {
  v1::Plan plan;
  for (const std::string& name : steps) plan.add_steps()->set_name(name);
  return plan.SerializeAsString();
}

std::string PlanOf(const std::vector<std::string>& steps) {
  return Blob(PlanBytes(steps));
}

// The 2019 onboard plan the fixtures' onboard tasks share (one copy per
// task before 0013, one in plans after).
const std::vector<std::string>& OnboardSteps() {
  static const auto* steps = new std::vector<std::string>{
      "precheck_os", "run_onboarding_script", "verify_onboarding"};
  return *steps;
}
std::string OnboardPlan() { return PlanOf(OnboardSteps()); }

constexpr absl::string_view kOnboardingScript =
    "@echo off\r\nrem onboarding (fixture)\r\n";
constexpr absl::string_view kInstallScript = "# Install.ps1 (fixture)\r\n";

// A running job whose `tasks` all run.
std::string RunningJob(absl::string_view id, absl::string_view kind, int64_t t,
                       int tasks) {
  return absl::StrCat(
      "INSERT INTO jobs (id, kind, spec, state, created_by, created_at, "
      "total, running) VALUES ('",
      id, "', '", kind, "', ", Spec(kind, 0), ", 2, 'admin', ", t, ", ", tasks,
      ", ", tasks, ");\n");
}

// The steps of job-onboard-1's two tasks, each succeeded.
std::string OnboardStepRows(int64_t t) {
  std::string sql =
      "INSERT INTO steps (task_id, job_id, attempt, idx, name, state, "
      "started_at, finished_at, exit_code, message, output_tail) VALUES ";
  const char* separator = "";
  for (const char* task : {"task-1a", "task-1b"}) {
    for (int idx = 0; idx < 3; ++idx) {
      const bool verify = idx == 2;
      absl::StrAppend(&sql, separator, "('", task, "', 'job-onboard-1', 1, ",
                      idx, ", '", OnboardSteps()[idx], "', 3, ",
                      t + (60 + 30 * idx) * 1000000LL, ", ",
                      t + (90 + 30 * idx) * 1000000LL, ", ",
                      verify ? "NULL, 'Sense RUNNING'" : "0, ''", ", '')");
      separator = ", ";
    }
  }
  return sql + ";\n";
}

// The rows version `v` added, in that version's schema: its new tables and
// columns in use, next to what earlier versions' rows already hold. Times:
// kT0 + v days.
std::string RowsOf(int v) {
  const int64_t t = kT0 + v * kDay;
  switch (v) {
    case 1:
      // The inventory, two artifacts, a finished onboard job whose two
      // tasks share a plan, and an install job still queued. Host
      // identities: a MachineGuid, a "hostname:" stand-in (0007 drops it)
      // and another GUID.
      return absl::StrCat(
          "INSERT INTO credentials (id, kind, name, token_hash, created_at) "
          "VALUES (1, 'admin', 'admin', ",
          Quote(Sha256Hex("mdf_admin_fixture")), ", ", t, "), ",
          "(2, 'enrollment', 'runners', ",
          Quote(Sha256Hex("mdf_enroll_fixture")), ", ", t, ");\n",
          "INSERT INTO devices (id, token_hash, host_identity, hostname, "
          "os_family, mde_state, facts, enrolled_at, last_seen_at) VALUES "
          "('dev-web-01', ",
          Quote(Sha256Hex("mdf_dev_web01")),
          ", '4c4c4544-0042-3510-8052-b4c04f4e4d32', 'WEB-01', 3, 3, ",
          Facts("WEB-01", "4c4c4544-0042-3510-8052-b4c04f4e4d32",
                "10.0.17763.5122", v1::OS_FAMILY_WS2019, "tokyo"),
          ", ", t, ", ", t + kHour, "), ('dev-db-02', ",
          Quote(Sha256Hex("mdf_dev_db02")),
          ", 'hostname:DB-02', 'DB-02', 3, "
          "3, ",
          Facts("DB-02", "hostname:DB-02", "10.0.17763.5122",
                v1::OS_FAMILY_WS2019, "osaka"),
          ", ", t, ", ", t + kHour, "), ('dev-old-03', ",
          Quote(Sha256Hex("mdf_dev_old03")),
          ", '9e1b6a2c-7d45-4f3a-b1c8-2e6f0d9a4b57', 'OLD-03', 1, 1, ",
          Facts("OLD-03", "9e1b6a2c-7d45-4f3a-b1c8-2e6f0d9a4b57",
                "6.3.9600.20000", v1::OS_FAMILY_WS2012R2, "tokyo"),
          ", ", t, ", ", t + 2 * kHour, ");\n",
          "INSERT INTO device_labels VALUES ('dev-web-01', 'site', 'tokyo'), "
          "('dev-web-01', 'role', 'web'), ('dev-db-02', 'site', 'osaka'), "
          "('dev-old-03', 'site', 'tokyo');\n",
          "INSERT INTO artifacts (id, kind, name, size, content, valid_until, "
          "secret, uploaded_at) VALUES (",
          Quote(Sha256Hex(kOnboardingScript)),
          ", 1, 'WindowsDefenderATPOnboardingScript.cmd', ",
          kOnboardingScript.size(), ", ", Blob(kOnboardingScript),
          ", NULL, 1, ", t, "), (", Quote(Sha256Hex(kInstallScript)),
          ", 3, 'Install.ps1', ", kInstallScript.size(), ", ",
          Blob(kInstallScript), ", NULL, 0, ", t, ");\n",
          "INSERT INTO jobs (id, kind, spec, state, created_by, created_at, "
          "finished_at, max_in_flight, total, succeeded) VALUES "
          "('job-onboard-1', 'onboard', ",
          Spec("onboard", 0), ", 4, 'admin', ", t, ", ", t + kHour,
          ", 0, 2, 2);\n",
          "INSERT INTO jobs (id, kind, spec, state, created_by, created_at, "
          "max_in_flight, total, queued) VALUES ('job-install-2', 'install', ",
          Spec("install", 3), ", 2, 'admin', ", t + kHour, ", 3, 1, 1);\n",
          "INSERT INTO tasks (id, job_id, device_id, state, attempt, plan, "
          "message, created_at, started_at, finished_at) VALUES "
          "('task-1a', 'job-onboard-1', 'dev-web-01', 4, 1, ",
          OnboardPlan(), ", 'onboarded', ", t, ", ", t + 60000000, ", ",
          t + 120000000, "), ('task-1b', 'job-onboard-1', 'dev-db-02', 4, 1, ",
          OnboardPlan(), ", 'onboarded', ", t, ", ", t + 60000000, ", ",
          t + 120000000, ");\n",
          "INSERT INTO tasks (id, job_id, device_id, state, plan, created_at) "
          "VALUES ('task-2a', 'job-install-2', 'dev-old-03', 1, ",
          PlanOf({"precheck_os", "run_install_ps1"}), ", ", t + kHour, ");\n",
          OnboardStepRows(t));
    case 2:
      // A canary rollout with waves, a failure threshold and retries, one
      // task retried (its first attempt's step superseded), and the audit
      // log's first entries (a refusal among them).
      return absl::StrCat(
          "INSERT INTO jobs (id, kind, spec, state, created_by, created_at, "
          "max_in_flight, total, queued, running, failed, lease_micros, "
          "deadline_at, max_failures, retries, retry_backoff_micros, canary, "
          "canary_approval, wave_size, wave_interval_micros, wave, "
          "wave_leased, wave_pending, wave_opens_at) VALUES ('job-rollout-3', "
          "'health_check', ",
          Spec("health_check", 2), ", 2, 'admin', ", t, ", 2, 2, 1, 1, 0, ",
          20 * 60 * 1000000LL, ", ", t + 7 * kDay,
          ", 1, 2, 60000000, 1, 1, "
          "1, ",
          10 * 60 * 1000000LL, ", 0, 1, 1, ", t, ");\n",
          "INSERT INTO tasks (id, job_id, device_id, state, attempt, plan, "
          "created_at, started_at, not_before, retries_used, wave) VALUES "
          "('task-3a', 'job-rollout-3', 'dev-web-01', 3, 2, ",
          PlanOf({"check_sense", "check_cloud_protection"}), ", ", t, ", ",
          t + 300000000, ", ", t + 240000000,
          ", 1, 0), "
          "('task-3b', 'job-rollout-3', 'dev-db-02', 1, 1, ",
          PlanOf({"check_sense", "check_cloud_protection"}), ", ", t,
          ", NULL, 0, 0, NULL);\n",
          "INSERT INTO steps (task_id, job_id, attempt, idx, name, state, "
          "started_at, finished_at, exit_code, message, superseded) VALUES "
          "('task-3a', 'job-rollout-3', 1, 0, 'check_sense', 4, ",
          t + 60000000, ", ", t + 61000000,
          ", 1, 'Sense is not running', 1), "
          "('task-3a', 'job-rollout-3', 2, 0, 'check_sense', 2, ",
          t + 300000000, ", NULL, NULL, '', 0);\n",
          "INSERT INTO audit_log (id, at, actor, action, job_id, outcome, "
          "detail) VALUES (1, ",
          t, ", 'admin', 'submit_job', 'job-rollout-3', 'ok', ''), (2, ",
          t + kHour,
          ", 'admin', 'pause_job', 'job-onboard-1', 'refused', "
          "'job-onboard-1 has ended');\n");
    case 3:
      // Needs computed from the facts, and two clones of one image.
      return absl::StrCat(
          "UPDATE devices SET needs = 5, needs_rules = 2, sense_guid_sha256 = ",
          Quote(Sha256Hex("sense-guid-of-the-gold-image")),
          " WHERE id IN ('dev-web-01', 'dev-db-02');\n",
          "UPDATE devices SET needs = 1, needs_rules = 2 WHERE id = "
          "'dev-old-03';\n");
    case 4:
      // api_offboard: the server's calls to the Defender API, a request
      // per task attempt, tasks waiting for the rate limit.
      return absl::StrCat(
          "INSERT INTO jobs (id, kind, spec, state, created_by, created_at, "
          "total, queued, running, api_waiting) VALUES ('job-api-4', "
          "'api_offboard', ",
          Spec("api_offboard", 0), ", 2, 'admin', ", t, ", 2, 1, 1, 1);\n",
          "INSERT INTO tasks (id, job_id, device_id, state, plan, created_at, "
          "started_at, wave) VALUES ('task-4a', 'job-api-4', 'dev-old-03', 3, ",
          PlanOf({"offboard_via_api"}), ", ", t, ", ", t + 1000000,
          ", 1), ('task-4b', 'job-api-4', 'dev-db-02', 1, ",
          PlanOf({"offboard_via_api"}), ", ", t, ", NULL, NULL);\n",
          "INSERT INTO defender_api_calls (id, at) VALUES (1, ", t + 1000000,
          "), (2, ", t + 2000000, ");\n",
          "INSERT INTO defender_actions (task_id, attempt, machine_id, "
          "requested_at, action_id, action_status) VALUES ('task-4a', 1, "
          "'b6a4d2e0f1c3a5b7d9e1f3a5c7e9b1d3f5a7c9e1', ",
          t + 1000000,
          ", 'a1b2c3d4-0000-4000-8000-000000000004', "
          "'Pending');\n");
    case 5:
      // Roles: the data rewrite gave the admin token its role; here a
      // viewer token, a revoked operator token and a scoped enrollment
      // secret; a revoked device, a cloned runner; an audit entry with a
      // role.
      return absl::StrCat(
          "INSERT INTO credentials (id, kind, name, token_hash, created_at, "
          "role, created_by, expires_at, revoked_at, scope_labels) VALUES "
          "(3, 'admin', 'dashboard', ",
          Quote(Sha256Hex("mdf_api_viewer_fixture")), ", ", t,
          ", 'viewer', 'admin', ", t + 90 * kDay,
          ", NULL, ''), (4, 'admin', "
          "'ci', ",
          Quote(Sha256Hex("mdf_api_operator_fixture")), ", ", t,
          ", 'operator', 'admin', NULL, ", t + kHour,
          ", ''), "
          "(5, 'enrollment', 'osaka', ",
          Quote(Sha256Hex("mdf_enroll_osaka_fixture")), ", ", t,
          ", NULL, 'admin', NULL, NULL, 'site=osaka');\n",
          "UPDATE devices SET revoked_at = ", t + kHour,
          ", revoked_reason = 'decommissioned' WHERE id = 'dev-old-03';\n",
          "UPDATE devices SET scope_labels = 'site=osaka', "
          "runner_clone_seen_at = ",
          t + 2 * kHour, ", runner_clone_identity_sha256 = ",
          Quote(Sha256Hex("another-machine-guid")),
          " WHERE id = 'dev-db-02';\n",
          "INSERT INTO audit_log (id, at, actor, action, job_id, outcome, "
          "detail, role) VALUES (3, ",
          t,
          ", 'dashboard', 'cancel_job', 'job-install-2', 'refused', "
          "'role viewer may not cancel_job', 'viewer');\n");
    case 6:
      // Indexes only; a failed step, which the new partial index holds.
      return absl::StrCat(
          "INSERT INTO steps (task_id, job_id, attempt, idx, name, state, "
          "started_at, finished_at, exit_code, message) VALUES ('task-4a', "
          "'job-api-4', 1, 0, 'offboard_via_api', 4, ",
          t, ", ", t + 1000000, ", NULL, 'Defender API: 403 Forbidden');\n");
    case 7:
      // Identities are hashes now: a device enrolled with a held identity
      // (a duplicate), an identity reset waiting, the enrollments record.
      return absl::StrCat(
          "INSERT INTO devices (id, token_hash, host_identity_sha256, "
          "hostname, os_family, mde_state, facts, enrolled_at, last_seen_at, "
          "duplicate_of) VALUES ('dev-web-01-copy', ",
          Quote(Sha256Hex("mdf_dev_web01copy")), ", ",
          Quote(Sha256Hex("4c4c4544-0042-3510-8052-b4c04f4e4d32")),
          ", 'WEB-01', 3, 3, ",
          Facts("WEB-01", "", "10.0.17763.5122", v1::OS_FAMILY_WS2019, "tokyo",
                Sha256Hex("4c4c4544-0042-3510-8052-b4c04f4e4d32")),
          ", ", t, ", ", t, ", 'dev-web-01');\n",
          "UPDATE devices SET identity_reset_at = ", t + kHour,
          ", identity_reset_by = 'admin', identity_reset_reason = 'reimaged' "
          "WHERE id = 'dev-web-01';\n",
          "INSERT INTO device_enrollments (id, device_id, at, kind, proof, "
          "secret_name, hostname, new_device_id, reason) VALUES (1, "
          "'dev-web-01', ",
          t,
          ", 'refused_claim', '', 'runners', 'WEB-01', 'dev-web-01-copy', "
          "'no proof of holding the device'), (2, 'dev-db-02', ",
          t + kHour,
          ", 'reenrolled', 'device token', 'osaka', 'DB-02', '', "
          "'');\n");
    case 8:
      // Certificates: a device bound to one with a renewal pending, one
      // enrolled before 0008 (NULL), one without (plaintext, '').
      return absl::StrCat(
          "UPDATE devices SET cert_sha256 = ", Quote(Sha256Hex("cert-web-01")),
          ", cert_serial = '0a1b2c', cert_not_after = ", t + 30 * kDay,
          ", next_cert_sha256 = ", Quote(Sha256Hex("cert-web-01-next")),
          ", next_cert_serial = '0a1b2d', next_cert_not_after = ",
          t + 60 * kDay, ", cert_since = ", t, " WHERE id = 'dev-web-01';\n",
          "UPDATE devices SET cert_sha256 = '' WHERE id = 'dev-old-03';\n");
    case 9:
      return absl::StrCat(
          "INSERT INTO server_settings (name, value, changed_at) VALUES "
          "('mde_workspace_ids', '11111111-2222-3333-4444-555555555555', ",
          t, ");\n");
    case 10:
      return absl::StrCat(
          "INSERT INTO step_evidence (task_id, attempt, idx, file_no, name, "
          "content, original_size, truncated, uploaded_at) VALUES ('task-4a', "
          "1, 0, 0, 'output.txt', ",
          Blob("\x1f\x8b fixture, not real gzip"), ", 4096, 1, ", t, ");\n");
    case 11: {
      v1::DiagnosticsSummary summary;
      summary.set_errors(1);
      summary.set_warnings(2);
      summary.set_bundle_size(22);
      summary.set_step_name("collect_diagnostics");
      return absl::StrCat(
          RunningJob("job-diag-11", "collect_diagnostics", t, 2),
          "INSERT INTO tasks (id, job_id, device_id, state, plan, created_at, "
          "started_at, wave) VALUES ('task-11a', 'job-diag-11', 'dev-web-01', "
          "3, ",
          PlanOf({"run_client_analyzer", "upload_diagnostics"}), ", ", t, ", ",
          t, ", 1), ('task-11b', 'job-diag-11', 'dev-db-02', 3, ",
          PlanOf({"run_client_analyzer", "upload_diagnostics"}), ", ", t, ", ",
          t, ", 1);\n",
          "INSERT INTO diagnostics_bundles (task_id, attempt, idx, content, "
          "sha256, summary, uploaded_at) VALUES ('task-11a', 1, 1, ",
          Blob("PK fixture bundle zip"), ", ",
          Quote(Sha256Hex("PK fixture bundle zip")), ", ",
          Blob(summary.SerializeAsString()), ", ", t, ");\n",
          "INSERT INTO diagnostics_chunks (task_id, attempt, idx, start_at, "
          "total_size, data, uploaded_at) VALUES ('task-11b', 1, 1, 0, 64, ",
          Blob("PK first chunk"), ", ", t, ");\n");
    }
    case 12:
      // Plans live in task_plans; job_step_counts are kept by triggers
      // from here on (these steps go through them).
      return absl::StrCat(
          RunningJob("job-onboard-12", "onboard", t, 1),
          "INSERT INTO tasks (id, job_id, device_id, state, created_at, "
          "started_at, wave) VALUES ('task-12a', 'job-onboard-12', "
          "'dev-web-01-copy', 3, ",
          t, ", ", t, ", 1);\n",
          "INSERT INTO task_plans (task_id, plan) VALUES ('task-12a', ",
          OnboardPlan(), ");\n",
          "INSERT INTO steps (task_id, job_id, attempt, idx, name, state, "
          "started_at) VALUES ('task-12a', 'job-onboard-12', 1, 0, "
          "'precheck_os', 2, ",
          t, ");\n", "UPDATE steps SET state = 3, finished_at = ", t + 1000000,
          " WHERE task_id = 'task-12a' AND idx = 0;\n");
    case 13:
      // Plans stored once: a new task sharing the onboard plan, found by
      // its hash.
      return absl::StrCat(
          "INSERT INTO tasks (id, job_id, device_id, state, created_at) "
          "VALUES ('task-13a', 'job-onboard-12', 'dev-db-02', 1, ",
          t, ");\n",
          "UPDATE jobs SET total = 2, queued = 1 WHERE id = "
          "'job-onboard-12';\n",
          "INSERT INTO task_plans (task_id, plan_id) SELECT 'task-13a', id "
          "FROM plans WHERE sha256 = ",
          Quote(Sha256Hex(PlanBytes(OnboardSteps()))), ";\n");
    default:
      return "";
  }
}

absl::StatusOr<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<std::vector<std::string>> Column(Connection& db,
                                                const std::string& sql) {
  ASSIGN_OR_RETURN(std::unique_ptr<Statement> st, db.PrepareOnce(sql));
  std::vector<std::string> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(st->ColumnText(0));
  }
  return out;
}

// The database as SQL that rebuilds it: the tables with their rows (in
// the order of their b-trees), then indexes and triggers, as sqlite3's
// .dump orders them (rows go in before the triggers that would count them).
absl::StatusOr<std::string> Dump(Connection& db, int version) {
  std::string out = absl::StrFormat(
      "-- An mdefleet database at schema version %d, with rows of every\n"
      "-- version so far: a fixture of migration_fixtures_test.cc, made by\n"
      "-- migration_fixture_gen (tests/data/migrations/README.md). Do not\n"
      "-- edit: make a new version's fixture instead.\n"
      "PRAGMA foreign_keys = OFF;\nBEGIN TRANSACTION;\n",
      version);
  ASSIGN_OR_RETURN(
      std::vector<std::string> tables,
      Column(db,
             "SELECT name FROM sqlite_schema WHERE type = 'table' AND name "
             "NOT LIKE 'sqlite_%' ORDER BY rowid"));
  for (const std::string& table : tables) {
    ASSIGN_OR_RETURN(std::vector<std::string> create,
                     Column(db, absl::StrCat("SELECT sql FROM sqlite_schema "
                                             "WHERE name = ",
                                             Quote(table))));
    absl::StrAppend(&out, create.at(0), ";\n");
    ASSIGN_OR_RETURN(
        std::vector<std::string> columns,
        Column(db, absl::StrCat("SELECT name FROM pragma_table_info(",
                                Quote(table), ") ORDER BY cid")));
    std::vector<std::string> quoted;
    for (const std::string& c : columns) {
      quoted.push_back(absl::StrCat("quote(\"", c, "\")"));
    }
    ASSIGN_OR_RETURN(
        std::vector<std::string> rows,
        Column(db, absl::StrCat("SELECT ", absl::StrJoin(quoted, " || ',' || "),
                                " FROM \"", table, "\"")));
    for (const std::string& row : rows) {
      absl::StrAppend(&out, "INSERT INTO \"", table, "\" VALUES(", row, ");\n");
    }
  }
  ASSIGN_OR_RETURN(
      std::vector<std::string> others,
      Column(db,
             "SELECT sql FROM sqlite_schema WHERE type IN ('index', "
             "'trigger', 'view') AND sql IS NOT NULL ORDER BY rowid"));
  for (const std::string& sql : others) absl::StrAppend(&out, sql, ";\n");
  absl::StrAppend(&out, "COMMIT;\n");
  return out;
}

absl::Status Make(const fs::path& dir, int version) {
  const fs::path target = dir / absl::StrFormat("v%04d.sql", version);
  if (fs::exists(target)) {
    return absl::AlreadyExistsError(
        absl::StrCat(target.string(), " exists; fixtures are never remade"));
  }
  if (version < 1 || version > LatestSchemaVersion()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no migration ", version, " in this build"));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> db,
                   SqliteConnection::Open(
                       ":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  if (version > 1) {
    ASSIGN_OR_RETURN(std::string previous,
                     ReadFile(dir / absl::StrFormat("v%04d.sql", version - 1)));
    RETURN_IF_ERROR(db->Exec(previous));
  }
  // As Migrate() applies it: foreign keys off, its own transaction with
  // its version recorded, every foreign key checked before the commit.
  RETURN_IF_ERROR(RegisterMigrationFunctions(*db));
  RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys = OFF; BEGIN"));
  const EmbeddedMigration& m = EmbeddedMigrations().at(version - 1);
  RETURN_IF_ERROR(db->Exec(m.sql));
  RETURN_IF_ERROR(db->Exec(absl::StrCat(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (",
      version, ", ", Quote(m.file), ", ", kT0 + version * kDay - kHour,
      "); COMMIT")));
  RETURN_IF_ERROR(db->Exec(absl::StrCat("PRAGMA foreign_keys = ON; BEGIN;\n",
                                        RowsOf(version), "COMMIT;")));
  ASSIGN_OR_RETURN(std::vector<std::string> broken,
                   Column(*db,
                          "SELECT \"table\" FROM "
                          "pragma_foreign_key_check"));
  if (!broken.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("rows of ", broken[0], " refer to missing rows"));
  }
  ASSIGN_OR_RETURN(std::string dump, Dump(*db, version));
  std::ofstream(target, std::ios::binary) << dump;
  std::printf("wrote %s\n", target.string().c_str());
  return absl::OkStatus();
}

}  // namespace
}  // namespace mdefleet::store

int main(int argc, char** argv) {
  int from = 0;
  int to = 0;
  if (argc == 3 && absl::SimpleAtoi(argv[2], &from)) {
    to = from;
  } else if (argc == 4 && absl::SimpleAtoi(argv[2], &from) &&
             absl::SimpleAtoi(argv[3], &to)) {
  } else {
    std::fprintf(stderr,
                 "usage: %s DIR VERSION [LAST_VERSION]\n"
                 "  writes DIR/vNNNN.sql for each version, from the one "
                 "before it\n",
                 argv[0]);
    return 2;
  }
  for (int v = from; v <= to; ++v) {
    const absl::Status made = mdefleet::store::Make(argv[1], v);
    if (!made.ok()) {
      std::fprintf(stderr, "version %d: %s\n", v, made.ToString().c_str());
      return 1;
    }
  }
  return 0;
}
