// collect_diagnostics end to end with the real server, runners and CLI:
// Microsoft's MDEClientAnalyzer.zip is refused unless it is the analyzer;
// the (simulated) analyzer runs non-interactively on each device, its
// MDEClientAnalyzerResult.zip comes back in chunks, its errors and warnings
// show in `jobs get`, and an operator fetches the bundle; a bundle over the
// 64 MiB bound fails its step and nothing is kept.
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/zip/zip_archive.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_environment.h"
#include "tests/e2e/e2e_helpers.h"
#include "tests/testing/file_contents.h"

namespace mdefleet::testing {
namespace {

using ::testing::HasSubstr;

std::string WriteZip(const std::string& path,
                     std::vector<std::pair<std::string, std::string>> files) {
  absl::StatusOr<std::string> zip = zip::WriteArchive(files);
  EXPECT_TRUE(zip.ok()) << zip.status();
  std::ofstream(path, std::ios::binary) << *zip;
  return path;
}

// "token: VALUE" of `mdefleetctl tokens create NAME --role ROLE`.
std::string CreateToken(E2eEnvironment& env, const std::string& name,
                        const std::string& role) {
  ProcessOutput created = env.Ctl({"tokens", "create", name, "--role", role});
  EXPECT_EQ(created.exit_code, 0) << created.err;
  for (absl::string_view line : absl::StrSplit(created.out, '\n')) {
    if (absl::ConsumePrefix(&line, "token: ")) return std::string(line);
  }
  ADD_FAILURE() << "no token in: " << created.out;
  return "";
}

// GET `target` of the HTTP API with `token`.
httplib::Result HttpGet(const E2eEnvironment& env, const std::string& target,
                        const std::string& token) {
  httplib::Client client(env.http_base_url());
  client.set_connection_timeout(5);
  client.set_read_timeout(20);
  if (!env.ca_cert_path().empty()) {
    client.set_ca_cert_path(env.ca_cert_path());
    client.enable_server_certificate_verification(true);
  }
  return client.Get(target.c_str(), {{"Authorization", "Bearer " + token}});
}

TEST(DiagnosticsEndToEnd, AnalyzerBundlesComeBackWithTheirFindings) {
  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  ASSERT_TRUE(env.StartRunner("ws2016+caerror+cawarning").ok());
  ASSERT_TRUE(env.StartRunner("ws2022+onboarded").ok());
  ASSERT_TRUE(env.StartRunner("ws2019+onboarded+cabundle=70").ok());
  ASSERT_TRUE(env.WaitForDevices(3, absl::Seconds(60)).ok());

  // Bad input: a ZIP that is not the analyzer is refused naming the field,
  // and nothing is stored.
  const std::string wrong = WriteZip(env.dir() + "/MDEClientAnalyzer.zip.wrong",
                                     {{"readme.txt", "not the analyzer"}});
  ProcessOutput refused =
      env.Ctl({"artifacts", "upload", "--kind", "client_analyzer", wrong});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("content: not Microsoft's"));
  v1::ListArtifactsResponse artifacts;
  ASSERT_TRUE(env.CtlJson({"artifacts", "list"}, &artifacts).ok());
  EXPECT_EQ(artifacts.artifacts_size(), 0);

  const std::string analyzer =
      WriteZip(env.dir() + "/MDEClientAnalyzer.zip",
               {{"MDEClientAnalyzer.cmd", "@echo off\r\n"},
                {"MDEClientAnalyzer.ps1", "# Microsoft-signed\r\n"},
                {"Tools\\MDELiveAnalyzer.ps1", "#\r\n"}});
  v1::SubmitJobResponse submitted;
  ASSERT_TRUE(env.CtlJson({"jobs", "submit", "collect_diagnostics", "--target",
                           "all", "--client-analyzer", analyzer},
                          &submitted)
                  .ok());
  const std::string job_id = submitted.job().id();
  v1::Job job = WaitForJobEnd(env, job_id, absl::Seconds(180));
  // The 2019 server's bundle is over the bound: its task fails.
  EXPECT_EQ(job.state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(job.counts().succeeded(), 2u);

  v1::ListTasksResponse tasks;
  ASSERT_TRUE(env.CtlJson({"jobs", "tasks", job_id}, &tasks).ok());
  const v1::Task* downlevel = TaskForHostPrefix(tasks, "SIM-2016");
  const v1::Task* clean = TaskForHostPrefix(tasks, "SIM-2022");
  const v1::Task* huge = TaskForHostPrefix(tasks, "SIM-2019");
  ASSERT_NE(downlevel, nullptr);
  ASSERT_NE(clean, nullptr);
  ASSERT_NE(huge, nullptr);

  // Not onboarded (Sense stopped) plus the profile's own error and warning.
  EXPECT_EQ(downlevel->state(), v1::TASK_STATE_SUCCEEDED);
  EXPECT_EQ(downlevel->diagnostics().errors(), 2u);
  EXPECT_EQ(downlevel->diagnostics().warnings(), 1u);
  EXPECT_EQ(clean->diagnostics().errors(), 0u);
  EXPECT_EQ(clean->diagnostics().warnings(), 0u);
  EXPECT_GT(clean->diagnostics().bundle_size(), 0u);

  const v1::StepResult* over = FindStep(*huge, "upload_diagnostics_bundle");
  ASSERT_NE(over, nullptr);
  EXPECT_EQ(over->state(), v1::STEP_STATE_FAILED);
  EXPECT_THAT(over->message(), HasSubstr("over the 64 MiB"));
  EXPECT_FALSE(huge->has_diagnostics());

  // jobs get shows each device's errors and warnings.
  ProcessOutput get = env.Ctl({"jobs", "get", job_id});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_THAT(get.out, HasSubstr("diagnostics (MDEClientAnalyzer findings)"));
  EXPECT_THAT(get.out,
              HasSubstr(downlevel->hostname() + ": 2 errors, 1 warnings"));
  EXPECT_THAT(get.out, HasSubstr("Error 1900 Simulated/caerror"));
  EXPECT_THAT(get.out, HasSubstr("Warning 1901 Simulated/cawarning"));
  EXPECT_THAT(get.out, HasSubstr(huge->hostname() + ": no result bundle kept"));

  // An operator fetches the bundle; it is the analyzer's ZIP.
  const std::string out = env.dir() + "/bundle";
  ProcessOutput logs =
      env.Ctl({"jobs", "logs", job_id, "--device", downlevel->hostname(),
               "--step", "upload_diagnostics_bundle", "--out", out});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_THAT(logs.out, HasSubstr("MDEClientAnalyzerResult.zip"));
  const std::string bundle = FileContents(out + "/MDEClientAnalyzerResult.zip");
  auto xml =
      zip::ReadEntry(bundle, "SystemInfoLogs/MDEClientAnalyzer.xml", 1 << 20);
  ASSERT_TRUE(xml.ok()) << xml.status();
  EXPECT_THAT(*xml, HasSubstr("caerror"));
  // The HTTP evidence route gives operators the same ZIP, viewers nothing.
  const std::string route = "/api/v1/jobs/" + job_id +
                            "/evidence?device=" + downlevel->device_id() +
                            "&step=upload_diagnostics_bundle";
  httplib::Result http =
      HttpGet(env, route, CreateToken(env, "ops", "operator"));
  ASSERT_TRUE(http) << httplib::to_string(http.error());
  EXPECT_EQ(http->status, 200) << http->body;
  EXPECT_EQ(http->get_header_value("Content-Type"), "application/zip");
  EXPECT_EQ(http->body, bundle);
  httplib::Result viewer =
      HttpGet(env, route, CreateToken(env, "dash", "viewer"));
  ASSERT_TRUE(viewer) << httplib::to_string(viewer.error());
  EXPECT_EQ(viewer->status, 403);
  // Without --out a ZIP is not printed.
  ProcessOutput no_out =
      env.Ctl({"jobs", "logs", job_id, "--device", downlevel->hostname(),
               "--step", "upload_diagnostics_bundle"});
  EXPECT_NE(no_out.exit_code, 0);
  EXPECT_THAT(no_out.err, HasSubstr("--out: required"));
}

}  // namespace
}  // namespace mdefleet::testing
