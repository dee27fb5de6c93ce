// configure_proxy and connectivity_test with real processes: the proxy set
// and cleared on two releases and read back (step messages and the facts the
// runners report after the task), and a connectivity test on a server whose
// network only lets a proxy out, failing without the proxy (naming URL and
// proxy) and passing once configure_proxy set it.
//
// ConnectivityTestFailsWithoutTheProxyThenPasses needs continue_on_failure
// in the runner's task loop (helper a1's change) for the second URL to run
// after the first failed.
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_environment.h"
#include "tests/e2e/e2e_helpers.h"

namespace mdefleet::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kProxy[] = "10.0.0.6:8080";
constexpr char kUrl1[] = "https://winatp-gw-cus.microsoft.com/test";
constexpr char kUrl2[] = "https://us-v20.events.data.microsoft.com/ping";

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Submits `args` (after "jobs submit"), waits for the job to end and returns
// its tasks. `ok` says whether the watch must succeed.
v1::ListTasksResponse RunJob(E2eEnvironment& env, std::vector<std::string> args,
                             bool ok) {
  args.insert(args.begin(), {"jobs", "submit"});
  v1::SubmitJobResponse submitted;
  absl::Status s = env.CtlJson(args, &submitted);
  EXPECT_TRUE(s.ok()) << s;
  ProcessOutput watch = env.Ctl({"jobs", "watch", submitted.job().id()});
  EXPECT_EQ(watch.exit_code == 0, ok) << watch.out << watch.err;
  v1::ListTasksResponse tasks;
  s = env.CtlJson({"jobs", "tasks", submitted.job().id()}, &tasks);
  EXPECT_TRUE(s.ok()) << s;
  return tasks;
}

// deploy/samples' onboarding script with `gateway` and `geo` in place of
// its stand-in's, written into the environment's directory.
std::string PackageFor(E2eEnvironment& env, const std::string& gateway,
                       const std::string& geo) {
  std::ifstream in(std::string(MDEFLEET_SOURCE_DIR) +
                       "/deploy/samples/WindowsDefenderATPOnboardingScript.cmd",
                   std::ios::binary);
  std::string script((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
  const std::string stand_in = "https://example.invalid/mdefleet-stand-in/";
  EXPECT_NE(script.find(stand_in), std::string::npos);
  script.replace(script.find(stand_in), stand_in.size(), gateway);
  const std::string field = "vortexGeoLocation\\\\\\\":\\\\\\\"XX";
  EXPECT_NE(script.find(field), std::string::npos);
  script.replace(script.find(field) + field.size() - 2, 2, geo);
  const std::string path = env.dir() + "/package-" + geo + ".cmd";
  WriteText(path, script);
  return path;
}

void ExpectTaskAndStepsSucceeded(const v1::Task& task) {
  EXPECT_EQ(task.state(), v1::TASK_STATE_SUCCEEDED) << task.DebugString();
  for (const auto& step : task.steps()) {
    EXPECT_EQ(step.state(), v1::STEP_STATE_SUCCEEDED)
        << task.hostname() << " " << step.name() << ": " << step.message();
  }
}

TEST(ProxyEndToEnd, ConfigureProxySetThenClearReadsEveryValueBack) {
  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  ASSERT_TRUE(env.StartRunner("ws2016").ok());
  ASSERT_TRUE(env.StartRunner("ws2022+proxy=10.0.0.6:8080").ok());
  ASSERT_TRUE(env.WaitForDevices(2, absl::Seconds(60)).ok())
      << env.server_log();

  // Refused at submit, naming the field; nothing stored.
  ProcessOutput bad = env.Ctl({"jobs", "submit", "configure_proxy", "--target",
                               "all", "--av-proxy", kProxy});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("parameters.proxy.av_proxy: \"10.0.0.6:8080\" "
                                 "must start with http:// or https://"));
  // A dry run says which proxies will disagree.
  ProcessOutput dry = env.Ctl({"jobs", "submit", "configure_proxy", "--target",
                               "all", "--edr-proxy", kProxy, "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("warning: after configure_proxy: Defender "
                                 "Antivirus proxy (ProxyServer) not set"));

  v1::ListTasksResponse set =
      RunJob(env,
             {"configure_proxy", "--target", "all", "--edr-proxy", kProxy,
              "--prefer-static-proxy", "--av-proxy", "http://10.0.0.6:8080",
              "--av-proxy-bypass", "<local>", "--ssl-options", "0", "--winhttp",
              "set", "--winhttp-bypass", "<local>;*.corp"},
             true);
  ASSERT_EQ(set.tasks_size(), 2);
  for (const v1::Task& task : set.tasks()) {
    ExpectTaskAndStepsSucceeded(task);
    const v1::StepResult* edr = FindStep(task, "verify_edr_proxy");
    ASSERT_NE(edr, nullptr);
    EXPECT_THAT(edr->message(), HasSubstr("TelemetryProxyServer is REG_SZ "
                                          "\"10.0.0.6:8080\""));
    const v1::StepResult* ssl = FindStep(task, "verify_ssl_options");
    ASSERT_NE(ssl, nullptr);
    EXPECT_THAT(ssl->message(), HasSubstr("SSLOptions is REG_DWORD 0"));
    const v1::StepResult* winhttp = FindStep(task, "verify_winhttp_proxy");
    ASSERT_NE(winhttp, nullptr);
    EXPECT_EQ(winhttp->message(),
              "system WinHTTP proxy: 10.0.0.6:8080 (bypass <local>;*.corp)");
  }
  v1::ListDevicesResponse devices;
  ASSERT_TRUE(env.CtlJson({"devices", "list"}, &devices).ok());
  ASSERT_EQ(devices.devices_size(), 2);
  for (const auto& device : devices.devices()) {
    const v1::ProxySettings& p = device.facts().proxy();
    EXPECT_EQ(p.edr_proxy(), kProxy) << device.facts().hostname();
    EXPECT_TRUE(p.disable_enterprise_auth_proxy());
    EXPECT_TRUE(p.prefer_static_proxy());
    EXPECT_EQ(p.av_proxy(), "http://10.0.0.6:8080");
    EXPECT_EQ(p.av_proxy_bypass(), "<local>");
    ASSERT_TRUE(p.has_ssl_options());
    EXPECT_EQ(p.ssl_options(), 0u);
    EXPECT_EQ(p.winhttp_proxy(), kProxy);
    EXPECT_EQ(p.winhttp_bypass(), "<local>;*.corp");
  }

  v1::ListTasksResponse cleared =
      RunJob(env,
             {"configure_proxy", "--target", "all", "--clear-proxy",
              "--winhttp", "reset"},
             true);
  ASSERT_EQ(cleared.tasks_size(), 2);
  for (const v1::Task& task : cleared.tasks()) {
    ExpectTaskAndStepsSucceeded(task);
    const v1::StepResult* gone = FindStep(task, "verify_edr_proxy");
    ASSERT_NE(gone, nullptr);
    EXPECT_THAT(gone->message(), HasSubstr("TelemetryProxyServer is absent"));
    const v1::StepResult* direct = FindStep(task, "verify_winhttp_proxy");
    ASSERT_NE(direct, nullptr);
    EXPECT_EQ(direct->message(), "system WinHTTP proxy: direct access");
  }
  ASSERT_TRUE(env.CtlJson({"devices", "list"}, &devices).ok());
  for (const auto& device : devices.devices()) {
    EXPECT_EQ(device.facts().proxy().ByteSizeLong(), 0u)
        << device.facts().proxy().DebugString();
  }
}

TEST(ProxyEndToEnd, UrlListWithANonRevocationPlainHttpLineIsRefused) {
  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  const std::string path = env.dir() + "/bad-urls.txt";
  WriteText(path,
            "# endpoints\nhttps://winatp-gw-cus.microsoft.com/test\n"
            "http://winatp-gw-eus.microsoft.com/test\n");
  ProcessOutput upload =
      env.Ctl({"artifacts", "upload", path, "--kind", "url_list"});
  EXPECT_NE(upload.exit_code, 0);
  EXPECT_THAT(upload.err,
              HasSubstr("content: line 3: \"http://winatp-gw-eus.microsoft."
                        "com/test\" is plain HTTP, which only certificate "
                        "revocation and trust list endpoints use"));
  // The sample in deploy/ is accepted.
  EXPECT_TRUE(
      env.Upload(std::string(MDEFLEET_SOURCE_DIR) + "/deploy/samples/urls.txt",
                 "url_list")
          .ok());
}

TEST(ProxyEndToEnd, ConnectivityTestFailsWithoutTheProxyThenPasses) {
  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  ASSERT_TRUE(env.StartRunner("ws2019+proxy=10.0.0.6:8080").ok());
  ASSERT_TRUE(env.WaitForDevices(1, absl::Seconds(60)).ok())
      << env.server_log();
  const std::string urls = env.dir() + "/urls.txt";
  WriteText(urls, std::string("# two MDE endpoints\n") + kUrl1 + "\n\n" +
                      kUrl2 + "\n");

  // No proxy configured: every URL is tried and each failure names the URL
  // and how it went out.
  v1::ListTasksResponse before = RunJob(
      env, {"connectivity_test", "--target", "all", "--url-list", urls}, false);
  ASSERT_EQ(before.tasks_size(), 1);
  const v1::Task& failed = before.tasks(0);
  EXPECT_EQ(failed.state(), v1::TASK_STATE_FAILED);
  EXPECT_THAT(StepNames(failed), ElementsAre("check_url_01", "check_url_02"));
  const std::string direct =
      " with direct access (no EDR static proxy, system WinHTTP proxy or "
      "WPAD proxy): ERROR_WINHTTP_TIMEOUT";
  ASSERT_EQ(failed.steps_size(), 2);
  EXPECT_EQ(failed.steps(0).state(), v1::STEP_STATE_FAILED);
  EXPECT_THAT(failed.steps(0).message(),
              HasSubstr(std::string("cannot reach ") + kUrl1 + direct));
  // The second URL ran although the first failed (continue_on_failure).
  EXPECT_EQ(failed.steps(1).state(), v1::STEP_STATE_FAILED);
  EXPECT_THAT(failed.steps(1).message(),
              HasSubstr(std::string("cannot reach ") + kUrl2 + direct));

  RunJob(env, {"configure_proxy", "--target", "all", "--edr-proxy", kProxy},
         true);

  v1::ListTasksResponse after = RunJob(
      env, {"connectivity_test", "--target", "all", "--url-list", urls}, true);
  ASSERT_EQ(after.tasks_size(), 1);
  ExpectTaskAndStepsSucceeded(after.tasks(0));
  for (const auto& step : after.tasks(0).steps()) {
    EXPECT_THAT(step.message(),
                HasSubstr("is reachable through proxy 10.0.0.6:8080 (EDR "
                          "static proxy, TelemetryProxyServer)"));
  }
}

// Without --url-list, connectivity_test checks the built-in Defender URLs of
// the onboarding package's geography and model (here EU, streamlined), as
// MDEClientAnalyzer does with -o; the script itself never leaves the server
// (no step fetches it) and is not logged.
TEST(ProxyEndToEnd, ConnectivityTestWithoutAListChecksThePackagesGeography) {
  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  ASSERT_TRUE(env.StartRunner("ws2022").ok());
  ASSERT_TRUE(env.WaitForDevices(1, absl::Seconds(60)).ok())
      << env.server_log();
  const std::string gateway =
      "https://edr-weu3.eu.endpoint.security.microsoft.com/edr/";
  const std::string path = PackageFor(env, gateway, "EU");

  v1::ListTasksResponse tasks = RunJob(
      env,
      {"connectivity_test", "--target", "all", "--onboarding-script", path},
      true);
  ASSERT_EQ(tasks.tasks_size(), 1);
  const v1::Task& task = tasks.tasks(0);
  ExpectTaskAndStepsSucceeded(task);
  ASSERT_GT(task.steps_size(), 5);
  EXPECT_THAT(task.steps(0).message(), HasSubstr(gateway + "commands/test"));
  std::string all;
  for (const auto& step : task.steps()) all += step.message() + "\n";
  EXPECT_THAT(all, HasSubstr("https://mdav.eu.endpoint.security.microsoft.com/"
                             "mdav/test"));
  EXPECT_THAT(all, HasSubstr("http://crl.microsoft.com/"));
  EXPECT_THAT(all, ::testing::Not(HasSubstr("winatp-gw")));
  EXPECT_THAT(env.server_log(), ::testing::Not(HasSubstr("OnboardingInfo")));
}

// A server whose firewall lets HTTPS out only to the streamlined domain:
// onboard's precheck tries the gateway of the EU streamlined package and
// passes (it tried the US standard gateway before, and refused the server);
// with the stand-in package (no Microsoft gateway) the default US gateway is
// refused, naming the firewall.
TEST(ProxyEndToEnd, OnboardPrecheckGoesToThePackagesGateway) {
  auto env_or = E2eEnvironment::Start();
  ASSERT_TRUE(env_or.ok()) << env_or.status();
  E2eEnvironment& env = **env_or;
  ASSERT_TRUE(
      env.StartRunner("ws2022+allow=endpoint.security.microsoft.com").ok());
  ASSERT_TRUE(env.WaitForDevices(1, absl::Seconds(60)).ok())
      << env.server_log();
  v1::ListTasksResponse refused =
      RunJob(env,
             {"onboard", "--target", "all", "--onboarding-script",
              std::string(MDEFLEET_SOURCE_DIR) +
                  "/deploy/samples/WindowsDefenderATPOnboardingScript.cmd"},
             false);
  ASSERT_EQ(refused.tasks_size(), 1);
  const v1::StepResult* precheck =
      FindStep(refused.tasks(0), "precheck_connectivity");
  ASSERT_NE(precheck, nullptr);
  EXPECT_EQ(precheck->state(), v1::STEP_STATE_FAILED);
  EXPECT_THAT(precheck->message(),
              HasSubstr("cannot reach https://winatp-gw-cus.microsoft.com/"
                        "commands/test"));
  EXPECT_THAT(precheck->message(),
              HasSubstr("the firewall lets HTTPS out only to "
                        "endpoint.security.microsoft.com"));

  const std::string gateway =
      "https://edr-weu3.eu.endpoint.security.microsoft.com/edr/";
  v1::ListTasksResponse onboarded =
      RunJob(env,
             {"onboard", "--target", "all", "--onboarding-script",
              PackageFor(env, gateway, "EU")},
             true);
  ASSERT_EQ(onboarded.tasks_size(), 1);
  EXPECT_EQ(onboarded.tasks(0).state(), v1::TASK_STATE_SUCCEEDED);
  const v1::StepResult* passed =
      FindStep(onboarded.tasks(0), "precheck_connectivity");
  ASSERT_NE(passed, nullptr);
  EXPECT_EQ(passed->state(), v1::STEP_STATE_SUCCEEDED);
  EXPECT_THAT(passed->message(), HasSubstr(gateway + "commands/test"));
}

}  // namespace
}  // namespace mdefleet::testing
