// The service glue against the real service control manager (Wine's under
// CTest): a helper service (runner_service_test_svc, the real glue with a
// fake body) is installed under a test-unique name, started, stopped,
// checked and removed.
#include <windows.h>
// After windows.h.
#include <tlhelp32.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "runner/host/windows/command_line.h"
#include "runner/host/windows/unique_handle.h"
#include "runner/host/windows/wide_string.h"
#include "runner/service/windows/service_installer.h"
#include "runner/service/windows/win_util.h"
#include "tests/runner/service/service_test_support.h"
#include "tests/testing/eventually.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/file_contents.h"

namespace mdefleet::runner::service_win {
namespace {

using ::mdefleet::testing::Eventually;
using ::mdefleet::testing::FileContents;
using ::mdefleet::testing::TempDir;
using win::UniqueServiceHandle;
using win::Utf8ToWide;

constexpr absl::Duration kTimeout = absl::Seconds(60);

#define ASSERT_OK_S(expr)                 \
  do {                                    \
    const absl::Status status_ = (expr);  \
    ASSERT_TRUE(status_.ok()) << status_; \
  } while (0)

#define EXPECT_CONTAINS(haystack, needle)          \
  EXPECT_TRUE(absl::StrContains(haystack, needle)) \
      << "expected to find \"" << (needle) << "\" in \"" << (haystack) << "\""

bool Exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

// Waits until `path` exists (the body writes markers from its own thread).
[[nodiscard]] bool WaitForFile(const std::string& path) {
  return Eventually([&] { return Exists(path); }, absl::Seconds(20),
                    absl::Milliseconds(50));
}

// The helper service beside this test executable.
std::string HelperExecutable() {
  auto self = CurrentExecutablePath();
  EXPECT_TRUE(self.ok()) << self.status();
  const std::string path = self.ok() ? *self : "";
  return absl::StrCat(path.substr(0, path.find_last_of('\\')),
                      "\\runner_service_test_svc.exe");
}

// The configuration the service control manager holds for `name`.
struct InstalledConfig {
  DWORD service_type = 0;
  DWORD start_type = 0;
  DWORD error_control = 0;
  std::wstring binary_path;
  std::wstring account;
  std::wstring display_name;
};

InstalledConfig QueryConfig(SC_HANDLE service) {
  InstalledConfig out;
  DWORD needed = 0;
  ::QueryServiceConfigW(service, nullptr, 0, &needed);
  std::vector<BYTE> buffer(needed);
  auto* config = reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buffer.data());
  EXPECT_TRUE(::QueryServiceConfigW(service, config, needed, &needed))
      << ::GetLastError();
  out.service_type = config->dwServiceType;
  out.start_type = config->dwStartType;
  out.error_control = config->dwErrorControl;
  out.binary_path = config->lpBinaryPathName ? config->lpBinaryPathName : L"";
  out.account = config->lpServiceStartName ? config->lpServiceStartName : L"";
  out.display_name = config->lpDisplayName ? config->lpDisplayName : L"";
  return out;
}

// QueryServiceConfig2W(level) into a buffer; empty and `error` set when the
// call fails.
std::vector<BYTE> QueryConfig2(SC_HANDLE service, DWORD level, DWORD* error) {
  DWORD needed = 0;
  *error = ERROR_SUCCESS;
  if (!::QueryServiceConfig2W(service, level, nullptr, 0, &needed)) {
    const DWORD e = ::GetLastError();
    if (e != ERROR_INSUFFICIENT_BUFFER) {
      *error = e;
      return {};
    }
  }
  std::vector<BYTE> buffer(needed);
  if (!::QueryServiceConfig2W(service, level, buffer.data(), needed, &needed)) {
    *error = ::GetLastError();
    return {};
  }
  return buffer;
}

// How many services.exe processes run.
int CountServiceControlManagers() {
  win::UniqueHandle snapshot(::CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0));
  if (snapshot.get() == INVALID_HANDLE_VALUE) return -1;
  PROCESSENTRY32W entry{};
  entry.dwSize = sizeof(entry);
  int count = 0;
  for (BOOL more = ::Process32FirstW(snapshot.get(), &entry); more;
       more = ::Process32NextW(snapshot.get(), &entry)) {
    if (::_wcsicmp(entry.szExeFile, L"services.exe") == 0) ++count;
  }
  return count;
}

// Empty when there is one service control manager to talk to, else why not.
// A Wine session that created its prefix (`wineboot --init`) keeps a second
// services.exe until the session ends; each SCM connection then reaches one
// of the two at random, and a service created through one connection is
// missing through the next.
std::string ServiceControlManagerProblem() {
  UniqueServiceHandle scm(
      ::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));  // starts it
  if (scm == nullptr) {
    return absl::StrCat("OpenSCManagerW failed: ", ::GetLastError());
  }
  int count = 0;
  if (!Eventually(
          [&] {
            count = CountServiceControlManagers();
            return count <= 1;
          },
          absl::Seconds(15), absl::Milliseconds(500))) {
    return absl::StrCat(
        count,
        " services.exe processes are running: this Wine session created its "
        "prefix; end it first (`wine wineboot --init && wineserver -w`)");
  }
  return "";
}

class ServiceControlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string problem = ServiceControlManagerProblem();
    ASSERT_TRUE(problem.empty()) << problem;
  }

  void SetUp() override {
    static std::atomic<int> counter{0};
    name_ = absl::StrCat("mdefleet-test-", ::GetCurrentProcessId(), "-",
                         counter.fetch_add(1));
    helper_ = HelperExecutable();
    ASSERT_TRUE(Exists(helper_)) << helper_;
  }
  void TearDown() override {
    // Never leave a test service behind, whatever happened.
    (void)UninstallService(name_, absl::Seconds(20));
  }

  ServiceDefinition Definition(const std::string& mode) const {
    ServiceDefinition d;
    d.name = name_;
    d.display_name = absl::StrCat("mdefleet test service ", name_);
    d.description = "mdefleet runner_service_test helper";
    d.executable = helper_;
    d.arguments = {mode, name_, dir_.path()};
    return d;
  }
  std::string Marker(const std::string& name) const {
    return absl::StrCat(dir_.path(), "\\", name);
  }
  std::string Log() const { return FileContents(Marker("service.log")); }

  UniqueServiceHandle Open(DWORD access) const {
    UniqueServiceHandle scm(
        ::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
    EXPECT_NE(scm, nullptr);
    return UniqueServiceHandle(
        ::OpenServiceW(scm.get(), Utf8ToWide(name_).c_str(), access));
  }

  // The error OpenServiceW gives for this service (ERROR_SUCCESS if it opens).
  DWORD OpenServiceError() const {
    UniqueServiceHandle scm(
        ::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
    EXPECT_NE(scm, nullptr);
    UniqueServiceHandle service(::OpenServiceW(
        scm.get(), Utf8ToWide(name_).c_str(), SERVICE_QUERY_STATUS));
    return service == nullptr ? ::GetLastError() : ERROR_SUCCESS;
  }

  TempDir dir_;
  std::string name_;
  std::string helper_;
};

TEST_F(ServiceControlTest, InstallStartStopUninstall) {
  const ServiceDefinition definition = Definition("ok");
  auto installed = InstallService(definition);
  ASSERT_TRUE(installed.ok()) << installed.status();
  EXPECT_TRUE(installed->created);
  const std::vector<std::string> wine_gaps = {
      "delayed automatic start",
      "restart after a stop with an error exit code"};
  if (RunningUnderWine()) {
    // Wine's service control manager knows neither level (Wine 8).
    EXPECT_EQ(installed->unsupported, wine_gaps);
  } else {
    EXPECT_TRUE(installed->unsupported.empty());
  }

  {
    UniqueServiceHandle service = Open(SERVICE_QUERY_CONFIG);
    ASSERT_NE(service, nullptr);
    const InstalledConfig config = QueryConfig(service.get());
    EXPECT_EQ(config.service_type,
              static_cast<DWORD>(SERVICE_WIN32_OWN_PROCESS));
    EXPECT_EQ(config.start_type, static_cast<DWORD>(SERVICE_AUTO_START));
    EXPECT_EQ(config.error_control, static_cast<DWORD>(SERVICE_ERROR_NORMAL));
    EXPECT_EQ(config.binary_path, *ServiceCommandLine(definition));
    EXPECT_EQ(::_wcsicmp(config.account.c_str(), L"LocalSystem"), 0)
        << win::WideToUtf8(config.account);
    EXPECT_EQ(config.display_name, Utf8ToWide(definition.display_name));

    DWORD error = 0;
    auto description =
        QueryConfig2(service.get(), SERVICE_CONFIG_DESCRIPTION, &error);
    ASSERT_EQ(error, static_cast<DWORD>(ERROR_SUCCESS));
    EXPECT_EQ(
        std::wstring(reinterpret_cast<SERVICE_DESCRIPTIONW*>(description.data())
                         ->lpDescription),
        Utf8ToWide(definition.description));

    auto actions =
        QueryConfig2(service.get(), SERVICE_CONFIG_FAILURE_ACTIONS, &error);
    if (RunningUnderWine()) {
      // Wine accepts the failure actions but cannot report them back; the
      // values passed are checked in ServiceWin.FailureActions.
      EXPECT_EQ(error, static_cast<DWORD>(ERROR_INVALID_LEVEL));
    } else {
      ASSERT_EQ(error, static_cast<DWORD>(ERROR_SUCCESS));
      auto* fa = reinterpret_cast<SERVICE_FAILURE_ACTIONSW*>(actions.data());
      EXPECT_EQ(fa->dwResetPeriod, 86400u);
      ASSERT_EQ(fa->cActions, 3u);
      EXPECT_EQ(fa->lpsaActions[0].Type, SC_ACTION_RESTART);
      EXPECT_EQ(fa->lpsaActions[0].Delay, 10000u);
      EXPECT_EQ(fa->lpsaActions[1].Delay, 30000u);
      EXPECT_EQ(fa->lpsaActions[2].Delay, 60000u);
      auto flag = QueryConfig2(service.get(),
                               SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &error);
      ASSERT_EQ(error, static_cast<DWORD>(ERROR_SUCCESS));
      EXPECT_TRUE(reinterpret_cast<SERVICE_FAILURE_ACTIONS_FLAG*>(flag.data())
                      ->fFailureActionsOnNonCrashFailures);
      auto delayed = QueryConfig2(
          service.get(), SERVICE_CONFIG_DELAYED_AUTO_START_INFO, &error);
      ASSERT_EQ(error, static_cast<DWORD>(ERROR_SUCCESS));
      EXPECT_TRUE(
          reinterpret_cast<SERVICE_DELAYED_AUTO_START_INFO*>(delayed.data())
              ->fDelayedAutostart);
    }
  }

  // Installing again updates the existing service.
  ServiceDefinition changed = definition;
  changed.display_name += " (updated)";
  auto again = InstallService(changed);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->created);
  {
    UniqueServiceHandle service = Open(SERVICE_QUERY_CONFIG);
    ASSERT_NE(service, nullptr);
    EXPECT_EQ(QueryConfig(service.get()).display_name,
              Utf8ToWide(changed.display_name));
  }

  // Start: START_PENDING -> RUNNING, the body runs.
  ASSERT_OK_S(StartServiceByName(name_));
  auto running = WaitForServiceState(name_, SERVICE_RUNNING, kTimeout);
  ASSERT_TRUE(running.ok()) << running.status() << "\n" << Log();
  EXPECT_NE(running->process_id, 0u);
  EXPECT_TRUE(WaitForFile(Marker("running"))) << Log();
  EXPECT_TRUE(StartServiceByName(name_).ok());  // already running: fine

  // Stop: STOP_PENDING -> STOPPED with exit code 0, after the body finished.
  ASSERT_TRUE(StopServiceAndWait(name_, kTimeout).ok()) << Log();
  auto stopped = QueryServiceStatusByName(name_);
  ASSERT_TRUE(stopped.ok() && stopped->has_value()) << stopped.status();
  EXPECT_EQ((*stopped)->state, static_cast<DWORD>(SERVICE_STOPPED));
  EXPECT_EQ((*stopped)->win32_exit_code, static_cast<DWORD>(NO_ERROR));
  EXPECT_TRUE(Exists(Marker("stopped"))) << Log();
  EXPECT_TRUE(StopServiceAndWait(name_, kTimeout).ok());  // stopped: fine

  const std::string log = Log();
  EXPECT_CONTAINS(log, "running");
  EXPECT_CONTAINS(log,
                  "stop requested by the service control manager; stopping");
  EXPECT_CONTAINS(log, "exit: OK");

  // Uninstall, then it is gone; uninstalling again is fine.
  auto removed = UninstallService(name_);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, UninstallOutcome::kRemoved);
  auto absent = QueryServiceStatusByName(name_);
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_FALSE(absent->has_value());
  EXPECT_EQ(OpenServiceError(),
            static_cast<DWORD>(ERROR_SERVICE_DOES_NOT_EXIST));
  auto twice = UninstallService(name_);
  ASSERT_TRUE(twice.ok()) << twice.status();
  EXPECT_EQ(*twice, UninstallOutcome::kNotInstalled);
  EXPECT_TRUE(absl::IsNotFound(StartServiceByName(name_)));
}

TEST_F(ServiceControlTest, PrepareFailureStopsWithServiceSpecificExitCode) {
  ASSERT_TRUE(InstallService(Definition("fail-prepare")).ok());
  ASSERT_OK_S(StartServiceByName(name_));
  auto stopped = WaitForServiceState(name_, SERVICE_STOPPED, kTimeout);
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  // Wait for the process to finish writing its log.
  ASSERT_TRUE(WaitForFile(Marker("prepared")));
  EXPECT_EQ(stopped->win32_exit_code,
            static_cast<DWORD>(ERROR_SERVICE_SPECIFIC_ERROR));
  EXPECT_EQ(stopped->service_specific_exit_code, 3u);  // InvalidArgument
  EXPECT_FALSE(Exists(Marker("running")));
  // The log line may land just after the marker.
  constexpr absl::string_view kRefusal =
      "cannot start: test: GPO setting ServerAddress is missing";
  EXPECT_TRUE(Eventually([&] { return absl::StrContains(Log(), kRefusal); }))
      << "expected to find \"" << kRefusal << "\" in \"" << Log() << "\"";
}

TEST_F(ServiceControlTest, RunFailureStopsWithItsCode) {
  ASSERT_TRUE(InstallService(Definition("fail-run")).ok());
  ASSERT_OK_S(StartServiceByName(name_));
  ASSERT_TRUE(WaitForFile(Marker("running")));
  auto stopped = WaitForServiceState(name_, SERVICE_STOPPED, kTimeout);
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(stopped->win32_exit_code,
            static_cast<DWORD>(ERROR_SERVICE_SPECIFIC_ERROR));
  EXPECT_EQ(stopped->service_specific_exit_code, 14u);  // Unavailable
}

TEST_F(ServiceControlTest, UninstallStopsARunningService) {
  ASSERT_TRUE(InstallService(Definition("ok")).ok());
  ASSERT_OK_S(StartServiceByName(name_));
  ASSERT_TRUE(WaitForServiceState(name_, SERVICE_RUNNING, kTimeout).ok());
  auto removed = UninstallService(name_, kTimeout);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, UninstallOutcome::kRemoved);
  EXPECT_TRUE(WaitForFile(Marker("stopped"))) << Log();
  auto absent = QueryServiceStatusByName(name_);
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
}

// Runs the helper directly (not through the service control manager) with
// `mode` and `creation_flags`; returns its exit code, or -1 on timeout.
int RunHelperDirectly(const std::string& helper, const std::string& mode,
                      const std::string& name, const std::string& dir,
                      DWORD creation_flags) {
  auto command_line = win::BuildCommandLine(
      Utf8ToWide(helper),
      {Utf8ToWide(mode), Utf8ToWide(name), Utf8ToWide(dir)});
  EXPECT_TRUE(command_line.ok());
  STARTUPINFOW startup{};
  startup.cb = sizeof(startup);
  PROCESS_INFORMATION process{};
  if (!::CreateProcessW(nullptr, command_line->data(), nullptr, nullptr, FALSE,
                        creation_flags, nullptr, nullptr, &startup, &process)) {
    ADD_FAILURE() << "CreateProcessW failed: " << ::GetLastError();
    return -1;
  }
  win::UniqueHandle process_handle(process.hProcess);
  win::UniqueHandle thread_handle(process.hThread);
  if (::WaitForSingleObject(process.hProcess, 30000) != WAIT_OBJECT_0) {
    ::TerminateProcess(process.hProcess, 99);
    return -1;
  }
  DWORD exit_code = 0;
  ::GetExitCodeProcess(process.hProcess, &exit_code);
  return static_cast<int>(exit_code);
}

TEST_F(ServiceControlTest, RunOutsideTheServiceControlManagerIsRefused) {
  EXPECT_EQ(
      RunHelperDirectly(helper_, "ok", name_, dir_.path(), CREATE_NO_WINDOW),
      2);
  EXPECT_CONTAINS(Log(), "ERROR_FAILED_SERVICE_CONTROLLER_CONNECT");
  EXPECT_CONTAINS(Log(), "use `console` to run in the foreground");
  EXPECT_FALSE(Exists(Marker("prepared")));
}

TEST_F(ServiceControlTest, ConsoleModeStopsOnCtrlCAndRotatesItsLog) {
  // An old log above the helper's 4 KiB limit is moved to service.log.1.
  {
    std::ofstream old(Marker("service.log"), std::ios::binary);
    old << std::string(5000, 'x');
  }
  // A console of its own, where the helper presses Ctrl+C once it runs.
  EXPECT_EQ(RunHelperDirectly(helper_, "console", name_, dir_.path(),
                              CREATE_NEW_CONSOLE),
            0)
      << Log();
  EXPECT_TRUE(Exists(Marker("stopped")));
  EXPECT_EQ(FileContents(Marker("service.log.1")), std::string(5000, 'x'));
  EXPECT_CONTAINS(Log(), "Ctrl+C; stopping");
  EXPECT_CONTAINS(Log(), "exit: OK");
}

TEST(ServiceInstaller, RefusesAnIncompleteDefinition) {
  ServiceDefinition d;
  d.executable = "";
  EXPECT_TRUE(absl::IsInvalidArgument(InstallService(d).status()));
}

}  // namespace
}  // namespace mdefleet::runner::service_win
