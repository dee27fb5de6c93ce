// The Win32 pieces of the service glue that need no running service: status
// mapping, failure actions, command line, event log source registration.
#include <windows.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runner/host/windows/wide_string.h"
#include "runner/service/service_lifecycle.h"
#include "runner/service/windows/service_host.h"
#include "runner/service/windows/service_installer.h"
#include "runner/service/windows/service_log.h"

namespace mdefleet::runner::service_win {
namespace {

using win::Utf8ToWide;

TEST(ServiceWin, ToServiceStatus) {
  ServiceStatusReport r;
  r.state = v1::SERVICE_STATE_START_PENDING;
  r.checkpoint = 2;
  r.wait_hint = absl::Seconds(60);
  SERVICE_STATUS s = ToServiceStatus(r);
  EXPECT_EQ(s.dwServiceType, static_cast<DWORD>(SERVICE_WIN32_OWN_PROCESS));
  EXPECT_EQ(s.dwCurrentState, static_cast<DWORD>(SERVICE_START_PENDING));
  EXPECT_EQ(s.dwControlsAccepted, 0u);
  EXPECT_EQ(s.dwCheckPoint, 2u);
  EXPECT_EQ(s.dwWaitHint, 60000u);

  r = ServiceStatusReport{};
  r.state = v1::SERVICE_STATE_RUNNING;
  r.accepts_stop = true;
  s = ToServiceStatus(r);
  EXPECT_EQ(s.dwCurrentState, static_cast<DWORD>(SERVICE_RUNNING));
  EXPECT_EQ(s.dwControlsAccepted,
            static_cast<DWORD>(SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN));
  EXPECT_EQ(s.dwCheckPoint, 0u);
  EXPECT_EQ(s.dwWaitHint, 0u);

  r = ServiceStatusReport{};
  r.state = v1::SERVICE_STATE_STOP_PENDING;
  r.checkpoint = 5;
  r.wait_hint = absl::Seconds(30);
  s = ToServiceStatus(r);
  EXPECT_EQ(s.dwCurrentState, static_cast<DWORD>(SERVICE_STOP_PENDING));
  EXPECT_EQ(s.dwCheckPoint, 5u);
  EXPECT_EQ(s.dwWaitHint, 30000u);

  r = ServiceStatusReport{};
  r.state = v1::SERVICE_STATE_STOPPED;
  s = ToServiceStatus(r);
  EXPECT_EQ(s.dwCurrentState, static_cast<DWORD>(SERVICE_STOPPED));
  EXPECT_EQ(s.dwWin32ExitCode, static_cast<DWORD>(NO_ERROR));
  EXPECT_EQ(s.dwServiceSpecificExitCode, 0u);

  r.exit_status = absl::InvalidArgumentError("bad configuration");
  s = ToServiceStatus(r);
  EXPECT_EQ(s.dwWin32ExitCode,
            static_cast<DWORD>(ERROR_SERVICE_SPECIFIC_ERROR));
  EXPECT_EQ(s.dwServiceSpecificExitCode, 3u);
}

TEST(ServiceWin, FailureActions) {
  const ServiceDefinition definition;
  const FailureActions actions = FailureActionsFor(definition);
  EXPECT_EQ(actions.reset_period_seconds, 86400u);  // one day
  ASSERT_EQ(actions.actions.size(), 3u);
  EXPECT_EQ(actions.actions[0].Type, SC_ACTION_RESTART);
  EXPECT_EQ(actions.actions[0].Delay, 10000u);
  EXPECT_EQ(actions.actions[1].Type, SC_ACTION_RESTART);
  EXPECT_EQ(actions.actions[1].Delay, 30000u);
  EXPECT_EQ(actions.actions[2].Type, SC_ACTION_RESTART);
  EXPECT_EQ(actions.actions[2].Delay, 60000u);
  EXPECT_TRUE(definition.delayed_auto_start);
  EXPECT_TRUE(definition.failure_actions_on_non_crash_failures);
  EXPECT_EQ(definition.name, "mdefleet-runner");
}

TEST(ServiceWin, CommandLineIsQuoted) {
  ServiceDefinition d;
  d.executable = "C:\\Program Files\\mdefleet\\mdefleet-runner.exe";
  EXPECT_EQ(*ServiceCommandLine(d),
            L"\"C:\\Program Files\\mdefleet\\mdefleet-runner.exe\" run");
  d.arguments = {"run", "C:\\a dir\\", ""};
  EXPECT_EQ(*ServiceCommandLine(d),
            L"\"C:\\Program Files\\mdefleet\\mdefleet-runner.exe\" run "
            L"\"C:\\a dir\\\\\" \"\"");
  d.executable = "C:\\bad\"name.exe";
  EXPECT_TRUE(absl::IsInvalidArgument(ServiceCommandLine(d).status()));
}

TEST(ServiceWin, ServiceStateText) {
  EXPECT_EQ(ServiceStateText(SERVICE_RUNNING), "RUNNING");
  EXPECT_EQ(ServiceStateText(SERVICE_STOP_PENDING), "STOP_PENDING");
  EXPECT_EQ(ServiceStateText(77), "state 77");
}

TEST(ServiceWin, EventLogSourceRegistration) {
  const std::string source =
      absl::StrCat("mdefleet-test-source-", ::GetCurrentProcessId());
  const std::wstring key = Utf8ToWide(EventSourceKey(source));
  ASSERT_TRUE(InstallEventLogSource(source).ok());
  ASSERT_TRUE(InstallEventLogSource(source).ok());  // idempotent

  wchar_t file[512] = {};
  DWORD size = sizeof(file);
  ASSERT_EQ(
      ::RegGetValueW(HKEY_LOCAL_MACHINE, key.c_str(), L"EventMessageFile",
                     RRF_RT_REG_EXPAND_SZ | RRF_NOEXPAND, nullptr, file, &size),
      ERROR_SUCCESS);
  EXPECT_EQ(std::wstring(file), Utf8ToWide(kEventMessageFile));
  DWORD types = 0;
  size = sizeof(types);
  ASSERT_EQ(::RegGetValueW(HKEY_LOCAL_MACHINE, key.c_str(), L"TypesSupported",
                           RRF_RT_REG_DWORD, nullptr, &types, &size),
            ERROR_SUCCESS);
  EXPECT_EQ(types, 7u);

  auto writer = EventLogWriter::Open(source);
  ASSERT_TRUE(writer.ok()) << writer.status();
  (*writer)->Write(EventLogWriter::Severity::kInformation,
                   "runner_service_test: information");
  (*writer)->Write(EventLogWriter::Severity::kError,
                   "runner_service_test: error");

  ASSERT_TRUE(RemoveEventLogSource(source).ok());
  HKEY opened = nullptr;
  EXPECT_EQ(
      ::RegOpenKeyExW(HKEY_LOCAL_MACHINE, key.c_str(), 0, KEY_READ, &opened),
      ERROR_FILE_NOT_FOUND);
  EXPECT_TRUE(RemoveEventLogSource(source).ok());  // absent: fine
}

}  // namespace
}  // namespace mdefleet::runner::service_win
