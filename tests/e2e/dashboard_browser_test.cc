// The fleet dashboard in a real browser against the real server: headless
// Chromium (Debian's, driven by tests/browser/dashboard_check.mjs through
// playwright-core) loads the page from mdefleet-server's HTTP port while a
// simulated onboard rollout runs, and checks that progress advances, that the
// failing step is named, and that a device whose hostname is an HTML/JS
// injection string shows it as text. It saves screenshots under the build
// folder (MDEFLEET_DASHBOARD_SCREENSHOT).
//
// Skips only when playwright-core is not installed (`npm ci` in tests/browser)
// and MDEFLEET_REQUIRE_BROWSER is unset; deploy/test.sh sets it, so CI fails
// instead of skipping.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/admin.pb.h"
#include "mdefleet/v1/runner.grpc.pb.h"
#include "tests/e2e/e2e_environment.h"

namespace mdefleet::testing {
namespace {

// What a hostile runner could report: markup that runs script if a page
// ever inserts it as HTML.
constexpr char kXssHostname[] =
    "<img src=x onerror=\"window.pwned=1\">\"><script>window.pwned=2</script>";
// Label values may not hold '=' or ','; this one still is markup.
constexpr char kXssLabel[] =
    "<script>alert(document.domain)</script><b>bold</b>";
constexpr char kChromium[] = "/usr/bin/chromium";

std::string BrowserDir() {
  return std::string(MDEFLEET_SOURCE_DIR) + "/tests/browser";
}

// Why the browser test cannot run here ("" when it can).
std::string MissingBrowserTooling() {
  if (!std::filesystem::exists(BrowserDir() +
                               "/node_modules/playwright-core")) {
    return "playwright-core is not installed (run `npm ci --prefix "
           "tests/browser`, as deploy/test.sh does)";
  }
  if (std::string(MDEFLEET_NODE_BIN).empty()) {
    return "node was not found when CMake configured the build";
  }
  if (!std::filesystem::exists(kChromium)) {
    return std::string(kChromium) +
           " is missing (deploy/install-deps.sh --browser installs it)";
  }
  return "";
}

bool BrowserRequired() {
  const char* value = std::getenv("MDEFLEET_REQUIRE_BROWSER");
  return value != nullptr && *value != '\0' && std::string(value) != "0";
}

// Enrolls a device through the runner API with `facts`, as a runner that
// reports whatever it likes would; the device never polls afterwards.
absl::Status EnrollDevice(E2eEnvironment& env, const v1::DeviceFacts& facts) {
  auto channel = grpc::CreateChannel(env.server_address(),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::RunnerService::NewStub(channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization",
                      absl::StrCat("Bearer ", absl::StripAsciiWhitespace(
                                                  env.enrollment_secret())));
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  v1::EnrollRequest request;
  *request.mutable_facts() = facts;
  v1::EnrollResponse response;
  grpc::Status status = stub->Enroll(&context, request, &response);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("Enroll: ", status.error_message()));
  }
  return absl::OkStatus();
}

TEST(EndToEndDashboard, BrowserSeesProgressFailingStepsAndEscapedHostnames) {
  if (const std::string missing = MissingBrowserTooling(); !missing.empty()) {
    if (!BrowserRequired() &&
        !std::filesystem::exists(BrowserDir() +
                                 "/node_modules/playwright-core")) {
      GTEST_SKIP() << "browser test skipped: " << missing
                   << "; set MDEFLEET_REQUIRE_BROWSER=1 to make this a failure";
    }
    FAIL() << "the browser test cannot run: " << missing;
  }

  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;

  // Eight simulated 2019 servers; two cannot reach the Defender cloud, so
  // their connectivity precheck fails. Slow steps and one task at a time
  // keep the rollout going for well over the time the browser needs.
  constexpr int kRunners = 8;
  for (int i = 0; i < kRunners; ++i) {
    ASSERT_TRUE(env.StartRunner(i < 2 ? "ws2019+noconn" : "ws2019",
                                {"--sim-delay-ms", "4000"})
                    .ok());
  }
  ASSERT_TRUE(env.WaitForDevices(kRunners, absl::Seconds(60)).ok());

  // The hostile device: a twin of a simulated server's facts under the
  // injection hostname (and a hostile label), with an identity of its own.
  v1::ListDevicesResponse devices;
  ASSERT_TRUE(env.CtlJson({"devices", "list"}, &devices).ok());
  ASSERT_GT(devices.devices_size(), 0);
  v1::DeviceFacts facts = devices.devices(0).facts();
  facts.set_hostname(kXssHostname);
  facts.set_host_identity("dashboard-test-xss-twin");
  facts.clear_sense_guid_sha256();  // not a clone of the original
  facts.clear_mde_machine_id();
  (*facts.mutable_labels())["note"] = kXssLabel;
  ASSERT_TRUE(EnrollDevice(env, facts).ok());
  ASSERT_TRUE(env.WaitForDevices(kRunners + 1, absl::Seconds(30)).ok());

  auto onboarding = env.UploadOnboardingArtifacts();
  ASSERT_TRUE(onboarding.ok()) << onboarding.status();
  // The injection-named device never polls: its task stays queued and the
  // job stays running however fast the others are.
  v1::SubmitJobResponse submitted;
  ASSERT_TRUE(
      env.CtlJson({"jobs", "submit", "onboard", "--target", "all",
                   "--onboarding-script", *onboarding, "--max-in-flight", "1"},
                  &submitted)
          .ok());
  const std::string job_id = submitted.job().id();
  ASSERT_FALSE(job_id.empty());

  v1::CreateTokenResponse viewer;
  ASSERT_TRUE(env.CtlJson({"tokens", "create", "dashboard", "--role", "viewer"},
                          &viewer)
                  .ok());
  ASSERT_FALSE(viewer.value().empty());

  const std::string screenshot = MDEFLEET_DASHBOARD_SCREENSHOT;
  std::error_code ignored;
  std::filesystem::remove(screenshot, ignored);
  // The token goes in the child's argv, readable by local users for a few
  // seconds: a viewer token of a throwaway test server.
  const std::vector<std::string> argv = {MDEFLEET_NODE_BIN,
                                         BrowserDir() + "/dashboard_check.mjs",
                                         "--url",
                                         env.http_base_url() + "/",
                                         "--token",
                                         viewer.value(),
                                         "--job-id",
                                         job_id,
                                         "--xss-hostname",
                                         kXssHostname,
                                         "--expect-failing-step",
                                         "precheck_connectivity",
                                         "--screenshot",
                                         screenshot,
                                         "--chromium",
                                         kChromium,
                                         "--timeout-seconds",
                                         "150"};
  auto check = ChildProcess::Start(argv, env.dir() + "/dashboard_check");
  ASSERT_TRUE(check.ok()) << check.status();
  ProcessOutput out = check->Wait(absl::Seconds(240));
  EXPECT_EQ(out.exit_code, 0) << "dashboard_check.mjs failed\n--- stdout\n"
                              << out.out << "--- stderr\n"
                              << out.err << "--- server log\n"
                              << env.server_log();
  EXPECT_THAT(out.out, ::testing::HasSubstr("dashboard check passed"));
  ASSERT_TRUE(std::filesystem::exists(screenshot)) << screenshot;
  EXPECT_GT(std::filesystem::file_size(screenshot), 10000u) << screenshot;
  std::printf("dashboard screenshot: %s\n", screenshot.c_str());
}

}  // namespace
}  // namespace mdefleet::testing
