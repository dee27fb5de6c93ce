#include "tests/server/test_env.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/artifact_validation.h"
#include "common/random.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "gtest/gtest.h"
#include "server/store/artifacts.h"
#include "server/store/credentials.h"
#include "server/store/settings.h"
#include "server/store/time_util.h"
#include "tests/testing/postgres_cluster.h"

namespace mdefleet::testing {

absl::Time TestEpoch() {
  return absl::FromCivil(absl::CivilSecond(2024, 3, 1, 12, 0, 0),
                         absl::UTCTimeZone());
}

v1::DeviceFacts MakeFacts(absl::string_view hostname, absl::string_view os) {
  v1::DeviceFacts f;
  f.set_hostname(std::string(hostname));
  f.set_host_identity(absl::StrCat("guid-", hostname));
  std::string version(os);
  if (os == "2012r2") version = "6.3.9600.20000";
  if (os == "2016") version = "10.0.14393.6000";
  if (os == "2019") version = "10.0.17763.5122";
  if (os == "2022") version = "10.0.20348.2000";
  f.set_os_version(version);
  f.set_os_product("Windows Server");
  const bool downlevel = os == "2012r2" || os == "2016";
  f.set_sensor_installed(!downlevel);
  f.set_sense_state(downlevel ? v1::SERVICE_STATE_ABSENT
                              : v1::SERVICE_STATE_STOPPED);
  f.set_onboarding_state(-1);
  (*f.mutable_labels())["site"] = "tokyo";
  (*f.mutable_labels())["role"] = hostname.size() % 2 == 0 ? "web" : "db";
  return f;
}

std::string OnboardingScript(size_t padding) {
  return absl::StrCat(
      "@echo off\r\nREM ", std::string(padding, 'x'),
      "\r\nreg add \"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Advanced "
      "Threat Protection\" /v OnboardingInfo /t REG_SZ /d \"{\\\"body\\\": "
      "\\\"tenant\\\"}\" /f\r\n");
}

std::string OffboardingScript() {
  return "@echo off\r\nreg add \"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows "
         "Advanced Threat Protection\" /v 696C1FA1-4030-4FA4-8713-FAF9B2EA7C0A "
         "/t REG_SZ /d \"{}\" /f\r\n";
}

std::string InstallScript() {
  return "param([string]$OnboardingScript, [switch]$Passive)\r\n"
         "Write-Host 'Install.ps1 stand-in'\r\n";
}

std::string InstallerMsi() {
  return std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) +
         std::string(1024, '\0');
}

std::string NewTestStore(const TempDir& dir) {
  if (!TestsUsePostgres()) return dir.Join("mdefleet.db");
  absl::StatusOr<PostgresCluster*> cluster = PostgresCluster::Shared();
  if (!cluster.ok()) {
    ADD_FAILURE() << cluster.status();
    std::abort();
  }
  absl::StatusOr<std::string> name = (*cluster)->CreateUniqueDatabase();
  if (!name.ok()) {
    ADD_FAILURE() << name.status();
    std::abort();
  }
  return (*cluster)->Url(*name);
}

TestEnv::TestEnv(service::RunnerOptions runner_options,
                 bool defender_api_configured)
    : clock_(TestEpoch()) {
  db_path_ = NewTestStore(dir_);
  absl::StatusOr<std::unique_ptr<store::Store>> opened =
      store::Store::Open(db_path_, store::OpenMode::kCreate, clock_);
  if (!opened.ok()) {
    ADD_FAILURE() << opened.status();
    std::abort();
  }
  store_ = *std::move(opened);
  const std::string admin = RandomToken("mdf_admin_", 32);
  const std::string enroll = RandomToken("mdf_enroll_", 32);
  absl::Status written =
      store_->Write([&](store::Connection& db) -> absl::Status {
        RETURN_IF_ERROR(store::InsertBootstrapCredentials(
            db, Sha256Hex(admin), Sha256Hex(enroll), 0));
        // As serve does: with the Defender API, onboard confirms devices.
        return store::SetDefenderConfirmTimeout(
            db,
            defender_api_configured ? absl::Minutes(30) : absl::ZeroDuration(),
            0);
      });
  EXPECT_TRUE(written.ok()) << written;
  admin_bearer_ = absl::StrCat("Bearer ", admin);
  enroll_bearer_ = absl::StrCat("Bearer ", enroll);
  auth_ = std::make_unique<auth::Authenticator>(*store_, clock_);
  hub_ = std::make_unique<service::EventHub>(*store_);
  runner_ = std::make_unique<service::RunnerHandlers>(*store_, clock_, *auth_,
                                                      *hub_, runner_options);
  admin_ = std::make_unique<service::AdminHandlers>(
      *store_, clock_, *auth_, *hub_,
      service::AdminOptions{
          .online_window = absl::Seconds(90),
          .watch_interval = absl::Milliseconds(1),
          .defender_api_configured = defender_api_configured});
  reaper_ = std::make_unique<service::LeaseReaper>(*store_, clock_, *hub_);
}

TestEnv::~TestEnv() {
  // Whatever a test did to its jobs, the counts GetJob's step summary reads
  // (kept by triggers, migration 0012) still agree with the steps.
  if (store_ != nullptr) ExpectStepCountsMatchSteps();
}

void TestEnv::ExpectStepCountsMatchSteps() {
  absl::Status read = store_->Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(
        std::unique_ptr<store::Statement> st,
        db.PrepareOnce(
            "WITH actual AS (SELECT job_id, name, state, count(*) AS n FROM "
            "steps WHERE superseded = 0 GROUP BY job_id, name, state), "
            "kept AS (SELECT job_id, name, state, count AS n FROM "
            "job_step_counts WHERE count <> 0) "
            "SELECT job_id || ' ' || name || ' state ' || state || ': ' || "
            "n FROM (SELECT * FROM actual EXCEPT SELECT * FROM kept) AS a "
            "UNION ALL SELECT job_id || ' ' || name || ' state ' || state || "
            "' kept as ' || n FROM (SELECT * FROM kept EXCEPT SELECT * FROM "
            "actual) AS k"));
    for (;;) {
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      ADD_FAILURE() << "job_step_counts disagrees with steps: "
                    << st->ColumnText(0);
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(read.ok()) << read;
}

EnrolledDevice TestEnv::Enroll(const v1::DeviceFacts& facts) {
  v1::EnrollRequest request;
  *request.mutable_facts() = facts;
  absl::StatusOr<v1::EnrollResponse> response =
      runner_->Enroll(enroll_bearer_, request);
  EXPECT_TRUE(response.ok()) << response.status();
  if (!response.ok()) return {};
  return {response->device_id(), response->device_token(),
          absl::StrCat("Bearer ", response->device_token())};
}

absl::StatusOr<v1::Artifact> TestEnv::TryUpload(v1::ArtifactKind kind,
                                                absl::string_view name,
                                                absl::string_view content) {
  std::vector<v1::UploadArtifactRequest> messages(1);
  messages[0].mutable_header()->set_kind(kind);
  messages[0].mutable_header()->set_name(std::string(name));
  for (size_t at = 0; at < content.size(); at += 1000) {
    messages.emplace_back().set_chunk(std::string(content.substr(at, 1000)));
  }
  size_t next = 0;
  return admin_->artifacts().UploadArtifact(
      admin_bearer_, [&](v1::UploadArtifactRequest* out) {
        if (next == messages.size()) return false;
        *out = messages[next++];
        return true;
      });
}

v1::Artifact TestEnv::Upload(v1::ArtifactKind kind, absl::string_view name,
                             absl::string_view content) {
  absl::StatusOr<v1::Artifact> artifact = TryUpload(kind, name, content);
  EXPECT_TRUE(artifact.ok()) << artifact.status();
  return artifact.ok() ? *artifact : v1::Artifact();
}

v1::Artifact TestEnv::SeedArtifact(v1::ArtifactKind kind,
                                   absl::string_view name,
                                   absl::string_view content) {
  absl::StatusOr<ValidatedArtifact> validated = ValidateArtifact(
      kind, name, content, absl::ToCivilDay(clock_.Now(), absl::UTCTimeZone()));
  EXPECT_TRUE(validated.ok()) << validated.status();
  v1::Artifact artifact;
  artifact.set_id(Sha256Hex(content));
  artifact.set_kind(kind);
  artifact.set_name(std::string(name));
  artifact.set_size(content.size());
  if (validated.ok()) {
    artifact.set_secret(validated->secret);
    if (validated->valid_until) {
      artifact.set_valid_until(absl::FormatCivilTime(*validated->valid_until));
    }
  }
  store::SetTimestamp(store::ToMicros(clock_.Now()),
                      artifact.mutable_uploaded_at());
  absl::Status stored = store_->Write([&](store::Connection& db) {
    return store::InsertArtifact(db, artifact, content);
  });
  EXPECT_TRUE(stored.ok()) << stored;
  return artifact;
}

v1::PollTasksResponse TestEnv::Poll(const EnrolledDevice& device) {
  absl::StatusOr<std::string> id = runner_->AuthenticateDevice(device.bearer);
  EXPECT_TRUE(id.ok()) << id.status();
  if (!id.ok()) return {};
  absl::StatusOr<v1::PollTasksResponse> response =
      runner_->PollOnce(*id, v1::PollTasksRequest());
  EXPECT_TRUE(response.ok()) << response.status();
  return response.ok() ? *response : v1::PollTasksResponse();
}

std::string TestEnv::Snapshot() {
  std::string out;
  absl::Status read = store_->Read([&](store::Connection& db) -> absl::Status {
    for (const char* table :
         {"meta", "schema_migrations", "credentials", "devices",
          "device_labels", "artifacts", "jobs", "tasks", "task_plans", "plans",
          "steps", "job_step_counts", "server_settings"}) {
      ASSIGN_OR_RETURN(std::unique_ptr<store::Statement> st,
                       db.PrepareOnce(absl::StrCat("SELECT * FROM ", table,
                                                   " ORDER BY 1, 2")));
      absl::StrAppend(&out, "[", table, "]\n");
      while (true) {
        ASSIGN_OR_RETURN(bool row, st->Step());
        if (!row) break;
        for (int c = 0; c < st->ColumnCount(); ++c) {
          absl::StrAppend(
              &out, st->ColumnIsNull(c) ? "NULL" : st->ColumnBlob(c), "|");
        }
        out += "\n";
      }
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(read.ok()) << read;
  return out;
}

int64_t TestEnv::Count(absl::string_view table) {
  int64_t n = -1;
  absl::Status read = store_->Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(
        std::unique_ptr<store::Statement> st,
        db.PrepareOnce(absl::StrCat("SELECT count(*) FROM ", table)));
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (row) n = st->ColumnInt(0);
    return absl::OkStatus();
  });
  EXPECT_TRUE(read.ok()) << read;
  return n;
}

void TestEnv::ExpectCountersMatchTasks(absl::string_view job_id) {
  absl::Status read = store_->Read([&](store::Connection& db) -> absl::Status {
    ASSIGN_OR_RETURN(
        std::unique_ptr<store::Statement> st,
        db.PrepareOnce("SELECT j.total = (SELECT count(*) FROM tasks t WHERE "
                       "t.job_id = j.id) "
                       "AND j.queued = (SELECT count(*) FROM tasks t WHERE "
                       "t.job_id = j.id AND t.state = 1) "
                       "AND j.leased = (SELECT count(*) FROM tasks t WHERE "
                       "t.job_id = j.id AND t.state = 2) "
                       "AND j.running = (SELECT count(*) FROM tasks t WHERE "
                       "t.job_id = j.id AND t.state = 3) "
                       "AND j.succeeded = (SELECT count(*) FROM tasks t WHERE "
                       "t.job_id = j.id AND t.state = 4) "
                       "AND j.failed = (SELECT count(*) FROM tasks t WHERE "
                       "t.job_id = j.id AND t.state = 5) "
                       "AND j.skipped = (SELECT count(*) FROM tasks t WHERE "
                       "t.job_id = j.id AND t.state = 6) "
                       "AND j.cancelled = (SELECT count(*) FROM tasks t WHERE "
                       "t.job_id = j.id AND t.state = 7) "
                       "AND j.timed_out = (SELECT count(*) FROM tasks t WHERE "
                       "t.job_id = j.id AND t.state = 8) "
                       "AND j.expired = (SELECT count(*) FROM tasks t WHERE "
                       "t.job_id = j.id AND t.state = 9) "
                       "FROM jobs j WHERE j.id = ?1"));
    st->Bind(1, job_id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    EXPECT_TRUE(row);
    if (row) {
      EXPECT_EQ(st->ColumnInt(0), 1) << "counters of " << job_id;
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(read.ok()) << read;
}

v1::ReportStepRequest Report(const v1::LeasedTask& task, uint32_t step,
                             v1::StepState state) {
  v1::ReportStepRequest r;
  r.set_task_id(task.task_id());
  r.set_attempt(task.attempt());
  r.set_lease_id(task.lease_id());
  r.set_step_index(step);
  r.set_state(state);
  return r;
}

void RunTaskToEnd(TestEnv& env, const EnrolledDevice& device,
                  const v1::LeasedTask& task, v1::TaskState end) {
  const int steps = task.plan().steps_size();
  for (int i = 0; i < steps; ++i) {
    auto running = env.runner().ReportStep(
        device.bearer, Report(task, i, v1::STEP_STATE_RUNNING));
    ASSERT_TRUE(running.ok()) << running.status();
    v1::ReportStepRequest done = Report(task, i, v1::STEP_STATE_SUCCEEDED);
    if (i == steps - 1) done.set_task_state(end);
    auto finished = env.runner().ReportStep(device.bearer, done);
    ASSERT_TRUE(finished.ok()) << finished.status();
  }
}

service::PeerIdentity TlsWithout() { return {.tls = true}; }

std::vector<std::string> NeedIds(const v1::Device& device) {
  std::vector<std::string> ids;
  for (const v1::DeviceNeed& n : device.needs()) ids.push_back(n.need());
  return ids;
}

}  // namespace mdefleet::testing
