// The shipped Windows runner, end to end: the real Linux mdefleet-server on
// loopback with TLS, and mdefleet-runner.exe (cross-built with mingw-w64)
// installed by its MSI with `wine msiexec` into a Wine prefix of its own, run
// by Wine's service control manager. The runner enrolls over TLS with a
// client certificate, reports facts read by WindowsHost, and runs an onboard
// and an offboard job submitted with mdefleetctl; every step runs for real
// (WinHTTP through the machine's proxy, cmd.exe, reg.exe, sc.exe, the
// service control manager) and is read back with `mdefleetctl jobs tasks`.
//
// What stands in for what (and why it still proves the path):
//  - The OS: a fresh Wine prefix reports Windows 7. Like a real machine, Wine
//    takes its version from the registry (HKLM\Software\Microsoft\Windows NT
//    \CurrentVersion and ProductOptions\ProductType): the test writes Windows
//    Server 2019's values there, so RtlGetVersion returns 10.0.17763 with
//    VER_NT_SERVER and the server plans for a 2019 host. No switch in the
//    runner fakes anything.
//  - Defender: a stand-in Sense service (runner_service_test_svc.exe) and
//    stand-in onboarding/offboarding scripts that do with reg.exe and sc.exe
//    what the real script and Sense do (tests/e2e/wine/*.cmd).
//  - The Defender cloud: fake_defender_proxy.py, the machine's WinHTTP proxy,
//    answers CONNECT with TLS for the Defender host from a CA the test adds
//    to the prefix's trusted roots.
//  - The Application event log: Wine's is a stub (ReportEvent writes
//    nowhere); what the service sends there is tested in
//    tests/runner/service/runner_status_test.cc.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_environment.h"
#include "tests/e2e/e2e_helpers.h"

namespace mdefleet::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kSource = MDEFLEET_SOURCE_DIR;
const std::string kWin64 = MDEFLEET_WIN64_DIR;
const std::string kRunnerExe = kWin64 + "/runner/service/mdefleet-runner.exe";
const std::string kSenseExe =
    kWin64 + "/tests/runner/service/runner_service_test_svc.exe";
const std::string kSetupExe = kWin64 + "/tests/e2e/wine/wine_setup.exe";

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

// Z:\... : how Wine's programs see a Linux path.
std::string WinPath(const std::string& linux_path) {
  return "Z:" + absl::StrReplaceAll(linux_path, {{"/", "\\"}});
}

// One Wine prefix with a persistent wineserver (services live only as long
// as the wineserver session).
class WinePrefix {
 public:
  explicit WinePrefix(std::string dir) : dir_(std::move(dir)) {
    env_ = {absl::StrCat("WINEPREFIX=", dir_), "WINEDEBUG=-all",
            "WINEDLLOVERRIDES=mscoree,mshtml="};
  }
  ~WinePrefix() { RunCommand({MDEFLEET_WINESERVER, "-k"}, Log(), env_); }

  absl::Status Init() {
    ProcessOutput boot = Wine({"wineboot", "--init"}, absl::Seconds(240));
    if (boot.exit_code != 0) {
      return absl::InternalError(absl::StrCat("wineboot: ", boot.err));
    }
    RunCommand({MDEFLEET_WINESERVER, "-w"}, Log(), env_, absl::Seconds(120));
    // Keep one session for the whole test.
    RunCommand({MDEFLEET_WINESERVER, "-p"}, Log(), env_);
    return absl::OkStatus();
  }

  ProcessOutput Wine(const std::vector<std::string>& args,
                     absl::Duration timeout = absl::Seconds(120)) {
    std::vector<std::string> argv = {MDEFLEET_WINE};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, Log(), env_, timeout);
  }
  absl::StatusOr<ChildProcess> Start(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {MDEFLEET_WINE};
    argv.insert(argv.end(), args.begin(), args.end());
    return ChildProcess::Start(argv, Log(), env_);
  }
  absl::Status Reg(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"reg"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("/f");
    ProcessOutput out = Wine(argv);
    if (out.exit_code != 0) {
      return absl::InternalError(absl::StrCat(
          "wine reg ", absl::StrJoin(args, " "), ": ", out.out, out.err));
    }
    return absl::OkStatus();
  }
  // drive_c path of a C:\ path given as "ProgramData/mdefleet/...".
  std::string DriveC(const std::string& relative) const {
    return absl::StrCat(dir_, "/drive_c/", relative);
  }

 private:
  std::string Log() { return absl::StrCat(dir_, "-cmd", ++commands_); }

  std::string dir_;
  std::vector<std::string> env_;
  int commands_ = 0;
};

// Windows Server 2019 Datacenter, as its registry says it (see the top).
absl::Status PresentWindowsServer2019(WinePrefix& wine) {
  const std::string k = "HKLM\\Software\\Microsoft\\Windows NT\\CurrentVersion";
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{
           {"CurrentVersion", "10.0"},
           {"CurrentBuildNumber", "17763"},
           {"CurrentBuild", "17763"},
           {"CSDVersion", ""},
           {"ProductName", "Windows Server 2019 Datacenter"},
           {"InstallationType", "Server"}}) {
    RETURN_IF_ERROR(wine.Reg({"add", k, "/v", name, "/d", value}));
  }
  RETURN_IF_ERROR(wine.Reg({"add", k, "/v", "CurrentMajorVersionNumber", "/t",
                            "REG_DWORD", "/d", "10"}));
  RETURN_IF_ERROR(wine.Reg({"add", k, "/v", "CurrentMinorVersionNumber", "/t",
                            "REG_DWORD", "/d", "0"}));
  RETURN_IF_ERROR(
      wine.Reg({"add", k, "/v", "UBR", "/t", "REG_DWORD", "/d", "6054"}));
  return wine.Reg({"add",
                   "HKLM\\System\\CurrentControlSet\\Control\\ProductOptions",
                   "/v", "ProductType", "/d", "ServerNT"});
}

// The stand-in Sense service, installed and stopped, as on a 2019 server
// that is not onboarded.
absl::Status InstallStandInSense(WinePrefix& wine) {
  // The stand-in's marker and log folder must exist.
  std::filesystem::create_directories(wine.DriveC("sense-markers"));
  const std::string command =
      absl::StrCat("\"", WinPath(kSenseExe), "\" ok Sense C:\\sense-markers");
  ProcessOutput out = wine.Wine(
      {"sc", "create", "Sense", "binPath=", command, "start=", "demand"});
  if (out.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("sc create Sense: ", out.out, out.err));
  }
  return absl::OkStatus();
}

// fake_defender_proxy.py in `dir`, once it listens.
absl::StatusOr<ChildProcess> StartFakeDefender(const std::string& dir,
                                               std::string* port) {
  std::filesystem::create_directories(dir);
  ASSIGN_OR_RETURN(
      ChildProcess proxy,
      ChildProcess::Start(
          {MDEFLEET_PYTHON3, kSource + "/tests/e2e/wine/fake_defender_proxy.py",
           "--dir", dir},
          dir + "/proxy"));
  if (Eventually(
          [&] {
            *port = ReadWholeFile(dir + "/port");
            return !port->empty();
          },
          absl::Seconds(30), absl::Milliseconds(100))) {
    return proxy;
  }
  return absl::InternalError(
      absl::StrCat("fake Defender proxy did not start: ", proxy.ReadErr()));
}

std::string OffboardingScript(const std::string& dir) {
  const std::string path =
      absl::StrCat(dir, "/WindowsDefenderATPOffboardingScript_valid_until_",
                   DatePlusDays(30), ".cmd");
  WriteFile(path, ReadWholeFile(kSource + "/tests/e2e/wine/"
                                          "WindowsDefenderATPOffboardingScript_"
                                          "TEMPLATE.cmd"));
  return path;
}

void ExpectAllStepsSucceeded(const v1::Task& task) {
  EXPECT_EQ(task.state(), v1::TASK_STATE_SUCCEEDED) << task.DebugString();
  for (const auto& step : task.steps()) {
    // onboard's confirmation in Defender: skipped without the Defender API.
    if (step.name() == "confirm_in_defender") {
      EXPECT_EQ(step.state(), v1::STEP_STATE_SKIPPED);
      continue;
    }
    EXPECT_EQ(step.state(), v1::STEP_STATE_SUCCEEDED)
        << step.name() << ": " << step.message();
  }
}

// The one task of the one job of `kind`.
absl::StatusOr<v1::Task> OnlyTaskOfJob(E2eEnvironment& env,
                                       const std::string& kind) {
  v1::ListJobsResponse jobs;
  RETURN_IF_ERROR(env.CtlJson({"jobs", "list"}, &jobs));
  std::string id;
  for (const auto& job : jobs.jobs()) {
    if (job.spec().kind() == kind) id = job.id();
  }
  if (id.empty()) return absl::NotFoundError(absl::StrCat("no ", kind, " job"));
  v1::ListTasksResponse tasks;
  RETURN_IF_ERROR(env.CtlJson({"jobs", "tasks", id}, &tasks));
  if (tasks.tasks_size() != 1) {
    return absl::InternalError(tasks.DebugString());
  }
  return tasks.tasks(0);
}

class WineRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const bool footprint =
        absl::string_view(
            ::testing::UnitTest::GetInstance()->current_test_info()->name()) ==
        "IdleFootprint";
    if (footprint && std::getenv("MDEFLEET_BENCH") == nullptr) {
      GTEST_SKIP() << "a benchmark: set MDEFLEET_BENCH=1 to run it";
    }
    // The footprint is measured against a server as deployed (polls held
    // 30 s, the default), not the 5 s the other tests use to go faster.
    std::vector<std::string> serve_args;
    if (footprint) serve_args = {"--poll-timeout", "30s"};
    auto env = E2eEnvironment::Start(std::move(serve_args),
                                     E2eEnvironment::Transport::kTls);
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
    wine_ = std::make_unique<WinePrefix>(env_->dir() + "/wineprefix");
    const absl::Time start = absl::Now();
    ASSERT_TRUE(wine_->Init().ok());
    std::fprintf(stderr, "[wine] prefix ready in %s\n",
                 absl::FormatDuration(absl::Now() - start).c_str());
    ASSERT_TRUE(PresentWindowsServer2019(*wine_).ok());
  }
  void TearDown() override {
    if (wine_ == nullptr) return;  // skipped
    if (HasFailure()) {
      std::fprintf(stderr, "--- service log ---\n%s\n--- server log ---\n%s\n",
                   ServiceLog().c_str(),
                   env_ ? env_->server_log().c_str() : "");
    }
    wine_.reset();
  }
  std::string ServiceLog() const {
    return ReadWholeFile(
        wine_->DriveC("ProgramData/mdefleet/state/mdefleet-runner.log"));
  }
  // Waits until the service log holds `text`.
  bool AwaitServiceLog(const std::string& text, absl::Duration timeout) {
    return Eventually([&] { return absl::StrContains(ServiceLog(), text); },
                      timeout, absl::Milliseconds(250));
  }

  std::unique_ptr<E2eEnvironment> env_;
  std::unique_ptr<WinePrefix> wine_;
};

TEST_F(WineRunnerTest, MsiInstallEnrollOnboardOffboardUninstall) {
  ProcessOutput version = wine_->Wine({kRunnerExe, "--version"});
  ASSERT_EQ(version.exit_code, 0) << version.err;
  EXPECT_THAT(version.out, HasSubstr("mdefleet-runner "));
  EXPECT_THAT(version.out, HasSubstr("commit "));

  // The machine: Sense (stopped), the Defender cloud behind its proxy.
  ASSERT_TRUE(InstallStandInSense(*wine_).ok());
  std::string proxy_port;
  const std::string defender_dir = env_->dir() + "/defender";
  auto defender = StartFakeDefender(defender_dir, &proxy_port);
  ASSERT_TRUE(defender.ok()) << defender.status();
  ProcessOutput trust =
      wine_->Wine({kSetupExe, "trust-root", WinPath(defender_dir + "/ca.pem")});
  ASSERT_EQ(trust.exit_code, 0) << trust.out << trust.err;
  ProcessOutput proxy = wine_->Wine(
      {kSetupExe, "winhttp-proxy", absl::StrCat("127.0.0.1:", proxy_port)});
  ASSERT_EQ(proxy.exit_code, 0) << proxy.out << proxy.err;

  // To WinHTTP the fake Defender is TLS inspection: a certificate from a
  // root the machine trusts but Microsoft's endpoints do not use. The
  // connectivity check says so, naming the root...
  const std::string gateway =
      "https://winatp-gw-cus.microsoft.com/commands/test";
  ProcessOutput inspected = wine_->Wine({kSetupExe, "check-url", gateway});
  EXPECT_EQ(inspected.exit_code, 1) << inspected.out << inspected.err;
  EXPECT_THAT(inspected.out, HasSubstr("TLS inspection"));
  EXPECT_THAT(inspected.out, HasSubstr("mdefleet test Defender CA"));
  EXPECT_THAT(inspected.out,
              HasSubstr("exclude the Defender URLs from TLS inspection"));
  // ...and accepts it once listed (DefenderTlsRoots), as this machine's
  // runner is configured below.
  ProcessOutput fingerprint =
      RunCommand({MDEFLEET_OPENSSL, "x509", "-noout", "-fingerprint", "-sha1",
                  "-in", defender_dir + "/ca.pem"},
                 defender_dir + "/fingerprint");
  ASSERT_EQ(fingerprint.exit_code, 0) << fingerprint.err;
  const size_t eq = fingerprint.out.find('=');
  ASSERT_NE(eq, std::string::npos) << fingerprint.out;
  const std::string thumbprint(
      absl::StripAsciiWhitespace(fingerprint.out.substr(eq + 1)));
  ProcessOutput listed =
      wine_->Wine({kSetupExe, "check-url", gateway, thumbprint});
  EXPECT_EQ(listed.exit_code, 0) << listed.out << listed.err;
  std::filesystem::create_directories(wine_->DriveC("ProgramData/mdefleet"));
  WriteFile(wine_->DriveC("ProgramData/mdefleet/runner.conf"),
            absl::StrCat("DefenderTlsRoots = ", thumbprint, "\r\n"));

  // Install with the MSI's properties.
  const absl::Time install_start = absl::Now();
  const std::string msi_log = env_->dir() + "/msi-install.log";
  ProcessOutput install = wine_->Wine(
      {"msiexec", "/i", WinPath(MDEFLEET_RUNNER_MSI), "/qn", "/l*v",
       WinPath(msi_log),
       absl::StrCat("SERVER_ADDRESS=", env_->server_address()),
       absl::StrCat("CA_CERT_FILE=", WinPath(env_->ca_cert_path())),
       absl::StrCat("ENROLLMENT_SECRET=", env_->enrollment_secret()),
       "LABELS=site=wine"},
      absl::Seconds(180));
  ASSERT_EQ(install.exit_code, 0) << install.out << install.err;
  EXPECT_FALSE(
      absl::StrContains(ReadWholeFile(msi_log), env_->enrollment_secret()))
      << "the enrollment secret is in the MSI log";
  EXPECT_TRUE(std::filesystem::exists(
      wine_->DriveC("Program Files/mdefleet/mdefleet-runner.exe")));

  // The service enrolls over TLS with the facts WindowsHost reads.
  ASSERT_TRUE(env_->WaitForDevices(1, absl::Seconds(120)).ok());
  std::fprintf(stderr, "[wine] installed and enrolled in %s\n",
               absl::FormatDuration(absl::Now() - install_start).c_str());
  v1::ListDevicesResponse devices;
  ASSERT_TRUE(env_->CtlJson({"devices", "list"}, &devices).ok());
  ASSERT_EQ(devices.devices_size(), 1);
  const v1::Device& device = devices.devices(0);
  EXPECT_EQ(device.facts().os_family(), v1::OS_FAMILY_WS2019)
      << device.facts().DebugString();
  EXPECT_THAT(device.facts().os_version(), HasSubstr("10.0.17763"));
  EXPECT_EQ(device.facts().sense_state(), v1::SERVICE_STATE_STOPPED);
  EXPECT_EQ(device.facts().labels().at("site"), "wine");
  EXPECT_TRUE(AwaitServiceLog("enrolled as device", absl::Seconds(10)));
  EXPECT_THAT(ServiceLog(), HasSubstr("TLS, server certificate pinned"));
  // The MSI's configure kept the line written before it.
  EXPECT_THAT(ServiceLog(), HasSubstr(absl::StrCat(
                                "extra Defender TLS roots ",
                                absl::StrReplaceAll(thumbprint, {{":", ""}}))));
  // A client certificate was issued and is stored (the key only protected).
  EXPECT_TRUE(std::filesystem::exists(
      wine_->DriveC("ProgramData/mdefleet/state/client.pem")));

  // Onboard, for real through WinHTTP, cmd.exe, reg.exe and sc.exe.
  auto onboarding = env_->Upload(
      kSource + "/tests/e2e/wine/WindowsDefenderATPOnboardingScript.cmd",
      "onboarding_script");
  ASSERT_TRUE(onboarding.ok()) << onboarding.status();
  ProcessOutput onboard =
      env_->Ctl({"jobs", "submit", "onboard", "--target", "all",
                 "--onboarding-script", *onboarding, "--watch"});
  EXPECT_EQ(onboard.exit_code, 0) << onboard.out << onboard.err;
  auto onboard_task = OnlyTaskOfJob(*env_, "onboard");
  ASSERT_TRUE(onboard_task.ok()) << onboard_task.status();
  EXPECT_THAT(StepNames(*onboard_task),
              ElementsAre("precheck_not_onboarded", "precheck_connectivity",
                          "fetch_onboarding_script", "run_onboarding_script",
                          "verify_sense_running", "verify_onboarding_state",
                          "confirm_in_defender"));
  ExpectAllStepsSucceeded(*onboard_task);
  EXPECT_THAT(ReadWholeFile(defender_dir + "/requests.log"),
              HasSubstr("CONNECT winatp-gw-cus.microsoft.com:443"));

  // `status` shows the device, the server and the last contact.
  ProcessOutput status = wine_->Wine({kRunnerExe, "status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr(absl::StrCat("device ", device.id())));
  EXPECT_THAT(status.out, HasSubstr("RUNNING"));
  EXPECT_THAT(status.out, HasSubstr(env_->server_address()));

  // Offboard.
  auto offboarding =
      env_->Upload(OffboardingScript(env_->dir()), "offboarding_script");
  ASSERT_TRUE(offboarding.ok()) << offboarding.status();
  ProcessOutput offboard =
      env_->Ctl({"jobs", "submit", "offboard", "--target", "all",
                 "--offboarding-script", *offboarding, "--watch"});
  EXPECT_EQ(offboard.exit_code, 0) << offboard.out << offboard.err;
  auto offboard_task = OnlyTaskOfJob(*env_, "offboard");
  ASSERT_TRUE(offboard_task.ok()) << offboard_task.status();
  EXPECT_THAT(StepNames(*offboard_task),
              ElementsAre("precheck_onboarded", "fetch_offboarding_script",
                          "run_offboarding_script", "verify_sense_stopped",
                          "verify_offboarded"));
  ExpectAllStepsSucceeded(*offboard_task);

  // Uninstall: the service is gone, the state directory stays.
  ProcessOutput uninstall =
      wine_->Wine({"msiexec", "/x", WinPath(MDEFLEET_RUNNER_MSI), "/qn"},
                  absl::Seconds(180));
  EXPECT_EQ(uninstall.exit_code, 0) << uninstall.out << uninstall.err;
  // Wine's sc.exe: errorlevel 1 (not 1060) for a missing service.
  EXPECT_NE(wine_->Wine({"sc", "query", "mdefleet-runner"}).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(
      wine_->DriveC("Program Files/mdefleet/mdefleet-runner.exe")));
  EXPECT_TRUE(std::filesystem::exists(
      wine_->DriveC("ProgramData/mdefleet/state/identity")));
}

// Bad configurations, run in the foreground (`console`) with a state
// directory of their own: one clear line each, and the server sees nothing.
TEST_F(WineRunnerTest, BadConfigurationsSayWhatToFix) {
  struct Case {
    std::string name;
    std::string config;
    std::string expected;
  };
  const std::string server = env_->server_address();
  // A CA that did not sign the server's certificate.
  const std::string other_ca = env_->dir() + "/other-ca";
  std::filesystem::create_directories(other_ca);
  ProcessOutput made = RunCommand(
      {MDEFLEET_OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
       "-days", "1", "-subj", "/CN=not the mdefleet CA", "-keyout",
       other_ca + "/ca.key", "-out", other_ca + "/ca.pem"},
      other_ca + "/openssl");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::vector<Case> cases = {
      {"no-server",
       absl::StrCat("EnrollmentSecret = ", env_->enrollment_secret(), "\r\n"),
       "ServerAddress"},
      {"wrong-ca",
       absl::StrCat("ServerAddress = ", server,
                    "\r\nEnrollmentSecret = ", env_->enrollment_secret(),
                    "\r\nCaCertificatePath = ", WinPath(other_ca + "/ca.pem"),
                    "\r\n"),
       "certificate verify failed"},
      {"wrong-secret",
       absl::StrCat("ServerAddress = ", server,
                    "\r\nEnrollmentSecret = mdf_enroll_NotTheSecretAtAll_0000"
                    "\r\nCaCertificatePath = ",
                    WinPath(env_->ca_cert_path()), "\r\n"),
       "check the enrollment secret"},
      {"plaintext-off-machine",
       "ServerAddress = mdefleet.corp.example:7443\r\n"
       "EnrollmentSecret = mdf_enroll_NotTheSecretAtAll_0000\r\n",
       "CaCertificatePath is not set"},
      // The state directory's identity file is damaged (written below).
      {"damaged-state",
       absl::StrCat("ServerAddress = ", server,
                    "\r\nEnrollmentSecret = ", env_->enrollment_secret(),
                    "\r\nCaCertificatePath = ", WinPath(env_->ca_cert_path()),
                    "\r\n"),
       "reset-identity"},
  };
  std::filesystem::create_directories(wine_->DriveC("state-damaged-state"));
  WriteFile(wine_->DriveC("state-damaged-state/identity"),
            "device_id=dev-0000\nprotected_token=%%% not base64 %%%\n");
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string conf = absl::StrCat(env_->dir(), "/", c.name, ".conf");
    WriteFile(conf, absl::StrCat(c.config, "StateDirectory = C:\\state-",
                                 c.name, "\r\n"));
    auto runner =
        wine_->Start({kRunnerExe, "console", "--config-file", WinPath(conf)});
    ASSERT_TRUE(runner.ok()) << runner.status();
    std::string err;
    EXPECT_TRUE(Eventually(
        [&] {
          err = runner->ReadErr();
          return absl::StrContains(err, c.expected);
        },
        absl::Seconds(60), absl::Milliseconds(250)));
    runner->Stop(SIGKILL, absl::Seconds(10));
    EXPECT_THAT(err, HasSubstr(c.expected));
    EXPECT_FALSE(absl::StrContains(err, env_->enrollment_secret()))
        << "a secret in the log";
    EXPECT_FALSE(absl::StrContains(err, "NotTheSecretAtAll"))
        << "a secret in the log";
  }
  v1::ListDevicesResponse devices;
  ASSERT_TRUE(env_->CtlJson({"devices", "list"}, &devices).ok());
  EXPECT_EQ(devices.devices_size(), 0);
}

// The idle runner's footprint under Wine: enrolled, long-polling, no work.
// A measurement, not a check: run it with
//   MDEFLEET_BENCH=1 build/tests/e2e/wine/wine_runner_e2e_test
//     --gtest_filter='*IdleFootprint*'
// (docs/windows.md has the figures). Wine's own DLLs count in the resident
// size (RSS); the anonymous part (RssAnon) is closer to what the process
// itself allocated.
TEST_F(WineRunnerTest, IdleFootprint) {
  const std::string conf = env_->dir() + "/idle.conf";
  WriteFile(conf, absl::StrCat(
                      "ServerAddress = ", env_->server_address(),
                      "\r\nEnrollmentSecret = ", env_->enrollment_secret(),
                      "\r\nCaCertificatePath = ", WinPath(env_->ca_cert_path()),
                      "\r\nPollWaitSeconds = 30\r\n"));
  auto runner =
      wine_->Start({kRunnerExe, "console", "--config-file", WinPath(conf)});
  ASSERT_TRUE(runner.ok()) << runner.status();
  ASSERT_TRUE(env_->WaitForDevices(1, absl::Seconds(120)).ok());
  absl::SleepFor(absl::Seconds(10));  // past enrollment and the first polls
  // The Windows process: the wine64-preloader running mdefleet-runner.exe.
  ProcessOutput pids =
      RunCommand({MDEFLEET_PGREP, "-f", "mdefleet-runner.exe console"},
                 env_->dir() + "/pgrep");
  ASSERT_EQ(pids.exit_code, 0) << "no runner process";
  const std::string pid = std::string(
      absl::StripAsciiWhitespace(pids.out.substr(0, pids.out.find('\n'))));
  auto cpu_ticks = [&pid] {
    const std::string stat =
        ReadWholeFile(absl::StrCat("/proc/", pid, "/stat"));
    std::vector<std::string> fields =
        absl::StrSplit(stat.substr(stat.rfind(')') + 2), ' ');
    long utime = 0, stime = 0;
    if (fields.size() > 12) {
      utime = std::stol(fields[11]);
      stime = std::stol(fields[12]);
    }
    return utime + stime;
  };
  auto status_kb = [&pid](absl::string_view field) {
    for (absl::string_view line : absl::StrSplit(
             ReadWholeFile(absl::StrCat("/proc/", pid, "/status")), '\n')) {
      if (absl::ConsumePrefix(&line, field)) {
        return std::string(
            absl::StripAsciiWhitespace(absl::StripPrefix(line, ":")));
      }
    }
    return std::string("?");
  };
  const long ticks_before = cpu_ticks();
  const absl::Duration window = absl::Seconds(60);
  absl::SleepFor(window);
  const long ticks = cpu_ticks() - ticks_before;
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::printf(
      "idle mdefleet-runner.exe under Wine over %s: CPU %.2f s (%.3f%%), "
      "VmRSS %s, RssAnon %s, VmHWM %s\n",
      absl::FormatDuration(window).c_str(), ticks / hz,
      100.0 * ticks / hz / absl::ToDoubleSeconds(window),
      status_kb("VmRSS").c_str(), status_kb("RssAnon").c_str(),
      status_kb("VmHWM").c_str());
  runner->Stop(SIGKILL, absl::Seconds(10));
}

}  // namespace
}  // namespace mdefleet::testing
