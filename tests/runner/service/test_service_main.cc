// runner_service_test_svc: a service built on the real glue
// (runner/service/windows) with a fake body, for service_control_test.cc.
//
//   runner_service_test_svc <mode> <service-name> <marker-dir>
//
// mode: "ok" (runs until stopped), "fail-prepare" (Prepare fails with
// InvalidArgument), "fail-run" (Run fails with Unavailable), "console" (in
// the foreground; once running it presses Ctrl+C on its own console). The body
// writes marker files "prepared", "running" and "stopped" into <marker-dir>,
// and logs to <marker-dir>\service.log (rotated beyond 4 KiB): with LogFile as
// a service, through RedirectStderrToFile in console mode. Exit code: 0 when
// the service ran and stopped, 1 when its body failed, 2 when it could not be
// hosted (e.g. not started by the service control manager).
#include <windows.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <stop_token>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "runner/service/service_body.h"
#include "runner/service/windows/service_host.h"
#include "runner/service/windows/service_log.h"

namespace mdefleet::runner {
namespace {

// Where log lines go: the LogFile in service mode (a service has no stderr,
// and Wine's C runtime cannot reopen a missing one), else stderr, which
// RedirectStderrToFile sent to the same file.
service_win::LogFile* g_log_file = nullptr;

void Log(absl::string_view line) {
  if (g_log_file != nullptr) {
    g_log_file->Write(line);
    return;
  }
  static absl::Mutex mu(absl::kConstInit);
  const std::string text = absl::StrCat(
      absl::FormatTime("%H:%M:%E3S ", absl::Now(), absl::UTCTimeZone()), line,
      "\n");
  absl::MutexLock lock(&mu);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

class TestBody : public ServiceBody {
 public:
  TestBody(std::string mode, std::string marker_dir)
      : mode_(std::move(mode)), marker_dir_(std::move(marker_dir)) {}

  absl::Status Prepare() override {
    Mark("prepared");
    if (mode_ == "fail-prepare") {
      return absl::InvalidArgumentError(
          "test: GPO setting ServerAddress is missing");
    }
    return absl::OkStatus();
  }

  absl::Status Run(std::stop_token stop) override {
    Mark("running");
    if (mode_ == "console") {
      // Press Ctrl+C on our own console (the test starts this mode with a
      // console of its own): the event reaches RunInConsole's handler the
      // way a user's key press does. Wine delivers Ctrl+C, not Ctrl+Break,
      // this way.
      if (!::GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0)) {
        return absl::InternalError(absl::StrCat(
            "GenerateConsoleCtrlEvent failed: ", ::GetLastError()));
      }
    }
    if (mode_ == "fail-run") {
      return absl::UnavailableError("test: the server is unreachable");
    }
    // absl::Notification, not condition_variable_any::wait(stop_token):
    // the latter hangs now and then with mingw-w64's libstdc++ under Wine.
    absl::Notification stopped;
    std::stop_callback on_stop(stop, [&stopped] { stopped.Notify(); });
    stopped.WaitForNotification();
    absl::SleepFor(absl::Milliseconds(300));  // finishing a step
    Mark("stopped");
    return absl::OkStatus();
  }

 private:
  void Mark(const std::string& name) {
    std::ofstream(absl::StrCat(marker_dir_, "\\", name)) << name << "\n";
    Log(absl::StrCat("marker ", name));
  }

  const std::string mode_;
  const std::string marker_dir_;
};

int Main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr,
                 "usage: runner_service_test_svc ok|fail-prepare|fail-run|"
                 "console <service-name> <marker-dir>\n");
    return 2;
  }
  const std::string mode = argv[1];
  const std::string name = argv[2];
  const std::string marker_dir = argv[3];
  const std::string log_path = absl::StrCat(marker_dir, "\\service.log");
  std::unique_ptr<service_win::LogFile> log_file;
  if (mode == "console") {
    if (absl::Status s =
            service_win::RedirectStderrToFile(log_path, /*max_bytes=*/4096);
        !s.ok()) {
      std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
      return 2;
    }
  } else {
    auto opened = service_win::LogFile::Open(log_path, /*max_bytes=*/4096);
    if (!opened.ok()) {
      std::fprintf(stderr, "%s\n",
                   std::string(opened.status().message()).c_str());
      return 2;
    }
    log_file = *std::move(opened);
    g_log_file = log_file.get();
  }
  Log(absl::StrCat("starting in mode ", mode, " as ", name));

  TestBody body(mode, marker_dir);
  ServiceLifecycleOptions options;
  options.log = &Log;
  options.pending_interval = absl::Milliseconds(100);
  absl::Status result = mode == "console"
                            ? service_win::RunInConsole(body, options)
                            : service_win::RunAsService(name, body, options);
  Log(absl::StrCat("exit: ", result.ToString()));
  if (result.ok()) return 0;
  return absl::IsFailedPrecondition(result) ? 2 : 1;
}

}  // namespace
}  // namespace mdefleet::runner

int main(int argc, char** argv) { return mdefleet::runner::Main(argc, argv); }
