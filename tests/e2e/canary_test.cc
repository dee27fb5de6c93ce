// Secrets stay secret, end to end: a demo-like flow (TLS as deployed, tokens
// of each role, a scoped enrollment secret, onboarding and offboarding
// scripts, an onboard rollout, a script offboard and an api_offboard through
// the fake Defender API) with every secret set to, or carrying, a known
// canary string. Then every CLI output, every file the server and runners
// wrote and every column of every database row is searched for each canary;
// each may appear only where it is meant to be kept.
#include <httplib.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/admin.pb.h"
#include "tests/e2e/e2e_environment.h"
#include "tests/e2e/e2e_helpers.h"
#include "tests/server/defender/fake_defender_api.h"
#include "tests/testing/file_contents.h"

namespace mdefleet::testing {
namespace {

using ::testing::IsEmpty;

constexpr char kOnboardingCanary[] = "CANARY-ONBOARDING-4f1d8e2a77";
constexpr char kOffboardingCanary[] = "CANARY-OFFBOARDING-9c3b7a5106";
constexpr char kClientSecretCanary[] = "CANARY-CLIENT-SECRET-2e6f0d94b8";

// "token: VALUE" from `tokens create` / `enroll-secrets create`.
std::string ShownValue(const std::string& out, absl::string_view what) {
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::ConsumePrefix(&line, what) && absl::ConsumePrefix(&line, ": ")) {
      return std::string(line);
    }
  }
  return "";
}

// The secrets and where each was found outside its allowed places.
class CanaryScan {
 public:
  void Add(const std::string& name, const std::string& value) {
    ASSERT_GE(value.size(), 8u) << name << " is too short to search for";
    secrets_[name] = value;
  }
  // Searches `text` (found at `where`) for every secret but those `allowed`.
  void Search(const std::string& where, const std::string& text,
              const std::set<std::string>& allowed = {}) {
    ++places_;
    for (const auto& [name, value] : secrets_) {
      if (!absl::StrContains(text, value)) continue;
      if (allowed.count(name) == 0) {
        leaks_.push_back(absl::StrCat(name, " in ", where));
      } else {
        kept_.insert(name);
      }
    }
  }
  // Whether `name` was found where it is allowed (the search can see it).
  bool Kept(const std::string& name) const { return kept_.count(name) > 0; }
  const std::vector<std::string>& leaks() const { return leaks_; }
  int places() const { return places_; }

 private:
  std::map<std::string, std::string> secrets_;
  std::vector<std::string> leaks_;
  std::set<std::string> kept_;
  int places_ = 0;
};

// Every column of every row of every table, each searched on its own so an
// allowed column is told apart from the others.
void SearchDatabase(
    const std::string& db_path, CanaryScan& scan,
    const std::map<std::string, std::set<std::string>>& allowed_by_column) {
  sqlite3* db = nullptr;
  ASSERT_EQ(
      sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
      SQLITE_OK);
  std::vector<std::string> tables;
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type='table'",
                     -1, &st, nullptr);
  while (sqlite3_step(st) == SQLITE_ROW) {
    tables.emplace_back(
        reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  }
  sqlite3_finalize(st);
  EXPECT_GE(tables.size(), 10u);
  for (const std::string& table : tables) {
    ASSERT_EQ(sqlite3_prepare_v2(
                  db, absl::StrCat("SELECT * FROM \"", table, "\"").c_str(), -1,
                  &st, nullptr),
              SQLITE_OK)
        << table;
    while (sqlite3_step(st) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        const std::string column =
            absl::StrCat(table, ".", sqlite3_column_name(st, c));
        const void* blob = sqlite3_column_blob(st, c);
        const std::string value =
            blob == nullptr ? ""
                            : std::string(static_cast<const char*>(blob),
                                          sqlite3_column_bytes(st, c));
        auto allowed = allowed_by_column.find(column);
        scan.Search(absl::StrCat("database column ", column), value,
                    allowed == allowed_by_column.end() ? std::set<std::string>{}
                                                       : allowed->second);
      }
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
}

TEST(CanaryE2eTest, NoSecretAppearsOutsideWhereItIsKept) {
  FakeDefenderOptions options;
  options.client_secret = kClientSecretCanary;
  options.complete_after = absl::Seconds(1);
  FakeDefenderApi fake(options, *Clock::Real());
  auto url = fake.Start();
  ASSERT_TRUE(url.ok()) << url.status();
  // The client secret's file is where the operator keeps it: outside the
  // searched directory, like the uploaded scripts' sources below.
  const std::string kept =
      absl::StrCat(::testing::TempDir(), "/canary-kept-", getpid());
  std::filesystem::create_directories(kept);
  const std::string secret_file = kept + "/defender-client-secret";
  std::ofstream(secret_file) << kClientSecretCanary << "\n";

  auto started = E2eEnvironment::Start(
      {"--defender-api-url", *url, "--defender-login-url", *url,
       "--defender-tenant-id", options.tenant_id, "--defender-client-id",
       options.client_id, "--defender-client-secret-file", secret_file,
       "--defender-poll-interval", "1s"},
      E2eEnvironment::Transport::kTls);
  ASSERT_TRUE(started.ok()) << started.status();
  E2eEnvironment& env = **started;

  CanaryScan scan;
  scan.Add("admin token", env.admin_token());
  scan.Add("enrollment secret", env.enrollment_secret());
  scan.Add("onboarding script", kOnboardingCanary);
  scan.Add("offboarding script", kOffboardingCanary);
  scan.Add("Defender client secret", kClientSecretCanary);

  // Every CLI call's output, searched at the end.
  std::vector<std::pair<std::string, ProcessOutput>> outputs;
  auto ctl = [&](const std::vector<std::string>& args, bool may_fail = false) {
    ProcessOutput out = env.Ctl(args);
    outputs.emplace_back(absl::StrJoin(args, " "), out);
    EXPECT_TRUE(may_fail || out.exit_code == 0)
        << absl::StrJoin(args, " ") << ": " << out.out << out.err;
    return out;
  };

  // Credentials an admin hands out: each value is shown once, by its create.
  const ProcessOutput viewer =
      ctl({"tokens", "create", "dashboard", "--role", "viewer"});
  const std::string viewer_token = ShownValue(viewer.out, "token");
  scan.Add("viewer token", viewer_token);
  const ProcessOutput operator_token_out =
      ctl({"tokens", "create", "rollouts", "--role", "operator"});
  scan.Add("operator token", ShownValue(operator_token_out.out, "token"));
  const ProcessOutput scoped =
      ctl({"enroll-secrets", "create", "paris", "--label", "site=paris"});
  scan.Add("scoped enrollment secret",
           ShownValue(scoped.out, "enrollment secret"));
  ctl({"tokens", "list"});
  ctl({"enroll-secrets", "list"});

  // Scripts carrying the canaries where tenant data would be.
  ASSERT_TRUE(env.UploadOnboardingArtifacts().ok());
  std::string onboarding =
      FileContents(std::string(MDEFLEET_SOURCE_DIR) +
                   "/deploy/samples/WindowsDefenderATPOnboardingScript.cmd");
  onboarding +=
      absl::StrCat("\r\nREM OnboardingInfo ", kOnboardingCanary, "\r\n");
  std::filesystem::create_directories(kept + "/onboarding");
  const std::string onboarding_path =
      kept + "/onboarding/WindowsDefenderATPOnboardingScript.cmd";
  std::ofstream(onboarding_path, std::ios::binary) << onboarding;
  auto onboarding_ref = env.Upload(onboarding_path, "onboarding_script");
  ASSERT_TRUE(onboarding_ref.ok()) << onboarding_ref.status();
  const std::string offboarding_source =
      env.WriteOffboardingScript(DatePlusDays(30));
  const std::string offboarding_path =
      kept + "/" +
      std::filesystem::path(offboarding_source).filename().string();
  std::ofstream(offboarding_path, std::ios::binary)
      << FileContents(offboarding_source)
      << absl::StrCat("\r\nREM OffboardingInfo ", kOffboardingCanary, "\r\n");
  std::filesystem::remove(offboarding_source);
  auto offboarding_ref = env.Upload(offboarding_path, "offboarding_script");
  ASSERT_TRUE(offboarding_ref.ok()) << offboarding_ref.status();
  ctl({"artifacts", "list"});
  ctl({"artifacts", "list", "-o", "json"});

  // A fleet: one of each Windows Server generation.
  ASSERT_TRUE(env.StartFleet(4, 0, {}).ok());
  ASSERT_TRUE(env.WaitForDevices(4, absl::Seconds(60)).ok())
      << env.server_log();

  ctl({"jobs", "submit", "onboard", "--target", "all", "--onboarding-script",
       *onboarding_ref, "--dry-run"});
  // Servers the onboard cannot take (MMA still reporting to a workspace)
  // fail it: their step output is searched too.
  ctl({"jobs", "submit", "onboard", "--target", "all", "--onboarding-script",
       *onboarding_ref, "--watch"},
      /*may_fail=*/true);
  v1::ListDevicesResponse devices;
  ASSERT_TRUE(env.CtlJson({"devices", "list"}, &devices).ok());
  ASSERT_EQ(devices.devices_size(), 4);
  std::string api_target, script_target;
  for (const v1::Device& device : devices.devices()) {
    ctl({"devices", "get", device.id()});
    if (device.facts().mde_state() != v1::MDE_STATE_ONBOARDED) continue;
    if (api_target.empty() && !device.facts().mde_machine_id().empty()) {
      api_target = device.facts().hostname();
    } else if (script_target.empty()) {
      script_target = device.facts().hostname();
    }
  }
  ASSERT_FALSE(api_target.empty()) << devices.DebugString();
  ASSERT_FALSE(script_target.empty()) << devices.DebugString();
  ctl({"jobs", "submit", "offboard", "--target", "host:" + script_target,
       "--offboarding-script", *offboarding_ref, "--dry-run"});
  ctl({"jobs", "submit", "offboard", "--target", "host:" + script_target,
       "--offboarding-script", *offboarding_ref, "--watch"});
  ctl({"jobs", "submit", "api_offboard", "--target", "host:" + api_target,
       "--comment", "canary check", "--watch"});
  for (const std::string& token : fake.issued_tokens()) {
    scan.Add("Defender API access token", token);
  }
  EXPECT_FALSE(fake.issued_tokens().empty());

  // What operators and dashboards read.
  v1::ListJobsResponse jobs;
  ASSERT_TRUE(env.CtlJson({"jobs", "list"}, &jobs).ok());
  EXPECT_EQ(jobs.jobs_size(), 3);
  for (const v1::Job& job : jobs.jobs()) {
    if (job.spec().kind() != "onboard") {
      EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED)
          << job.spec().kind() << ": " << job.state_reason();
    }
    ctl({"jobs", "get", job.id()});
    ctl({"jobs", "get", job.id(), "-o", "json"});
    ctl({"jobs", "tasks", job.id()});
    ctl({"jobs", "tasks", job.id(), "-o", "json"});
  }
  ctl({"jobs", "list"});
  ctl({"devices", "list"});
  ctl({"devices", "list", "-o", "json"});
  ctl({"fleet", "summary"});
  ctl({"audit", "list"});
  ctl({"audit", "list", "-o", "json"});

  // The HTTP/JSON API, /metrics and the dashboard, as a dashboard reads them.
  httplib::Client http(env.http_base_url());
  if (!env.ca_cert_path().empty()) {
    http.set_ca_cert_path(env.ca_cert_path());
    http.enable_server_certificate_verification(true);
  }
  const httplib::Headers bearer = {
      {"Authorization", absl::StrCat("Bearer ", viewer_token)}};
  std::vector<std::string> http_targets = {
      "/api/v1/summary", "/api/v1/jobs", "/api/v1/devices", "/metrics", "/",
      "/app.js",         "/inert.js"};
  for (const v1::Job& job : jobs.jobs()) {
    http_targets.push_back("/api/v1/jobs/" + job.id());
    http_targets.push_back("/api/v1/jobs/" + job.id() + "/tasks");
  }
  for (const v1::Device& device : devices.devices()) {
    http_targets.push_back("/api/v1/devices/" + device.id());
  }
  for (const std::string& target : http_targets) {
    httplib::Result got = http.Get(target.c_str(), bearer);
    ASSERT_TRUE(got) << target << ": " << httplib::to_string(got.error());
    EXPECT_EQ(got->status, 200) << target << ": " << got->body;
    scan.Search(absl::StrCat("HTTP GET ", target), got->body);
  }

  // CLI output: a created value appears in its own create output only.
  for (const auto& [command, out] : outputs) {
    std::set<std::string> allowed;
    if (absl::StartsWith(command, "tokens create dashboard")) {
      allowed = {"viewer token"};
    } else if (absl::StartsWith(command, "tokens create rollouts")) {
      allowed = {"operator token"};
    } else if (absl::StartsWith(command, "enroll-secrets create")) {
      allowed = {"scoped enrollment secret"};
    }
    scan.Search(absl::StrCat("output of mdefleetctl ", command),
                out.out + out.err, allowed);
  }

  // Every file the server, the runners and the fleet's simulated machines
  // wrote: logs, journals, work directories, TLS material. The enrollment
  // secret file and each runner's identity (its device token, protected)
  // are where those are kept; the database is searched column by column.
  int files = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(env.dir())) {
    if (!entry.is_regular_file()) continue;
    const std::string path = entry.path().string();
    const std::string name = entry.path().filename().string();
    if (absl::StartsWith(path, env.db_path())) continue;  // -wal, -shm too
    // The harness's captures of the CLI calls' output, searched above.
    if (absl::StartsWith(name, "ctl") &&
        (absl::EndsWith(name, ".out") || absl::EndsWith(name, ".err"))) {
      continue;
    }
    std::set<std::string> allowed;
    if (path == env.dir() + "/enrollment-secret") {
      allowed = {"enrollment secret"};
    } else if (path == env.dir() + "/init.out") {
      allowed = {"admin token", "enrollment secret"};  // what init prints
    }
    ++files;
    scan.Search(absl::StrCat("file ", path), FileContents(entry.path()),
                allowed);
  }
  EXPECT_GE(files, 10);

  // Wait for the server to settle its writes, then every column: the
  // scripts live only in artifacts.content; tokens and secrets nowhere
  // (their SHA-256 is stored).
  SearchDatabase(
      env.db_path(), scan,
      {{"artifacts.content", {"onboarding script", "offboarding script"}}});
  std::printf(
      "canary: searched %d places (%zu CLI outputs, %d files, every "
      "database column)\n",
      scan.places(), outputs.size(), files);
  EXPECT_THAT(scan.leaks(), IsEmpty());
  // The search is not blind: each kind of secret was found where it is kept.
  for (const char* name : {"admin token", "enrollment secret", "viewer token",
                           "scoped enrollment secret", "onboarding script",
                           "offboarding script"}) {
    EXPECT_TRUE(scan.Kept(name)) << name << " was not found where it is kept";
  }
  std::filesystem::remove_all(kept);
}

}  // namespace
}  // namespace mdefleet::testing
