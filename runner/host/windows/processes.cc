#include "runner/host/windows/processes.h"

#include <windows.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "runner/host/windows/command_line.h"
#include "runner/host/windows/files.h"
#include "runner/host/windows/unique_handle.h"
#include "runner/host/windows/wide_string.h"
#include "runner/host/windows/win_error.h"
#include "runner/host/windows_path.h"

namespace mdefleet::runner::win {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr DWORD kPipeBufferBytes = 64 * 1024;
// Exit status given to processes the runner ends (visible in event logs).
constexpr UINT kKilledExitCode = ERROR_TIMEOUT;
// CreateProcessW's limit on the command line, in characters with the NUL.
constexpr size_t kMaxCommandLine = 32767;
// How long a terminated process may take to go.
constexpr DWORD kTerminateWaitMs = 10000;

std::atomic<uint64_t> pipe_counter{0};

bool IsNotFoundError(DWORD error) {
  return error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND ||
         error == ERROR_INVALID_NAME || error == ERROR_BAD_NETPATH ||
         error == ERROR_BAD_NET_NAME || error == ERROR_INVALID_DRIVE;
}

// Milliseconds from now until `deadline` for a Win32 wait, 0 when passed.
DWORD MillisUntil(SteadyClock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - SteadyClock::now())
                        .count();
  if (left <= 0) return 0;
  // Round up so a wait does not wake just before the deadline and spin.
  return static_cast<DWORD>(std::min<long long>(left + 1, INFINITE - 1));
}

// One captured stream: the runner's end of an overlapped named pipe (the
// child gets a synchronous write end) and the read in flight on it. Not
// movable: the system writes into `overlapped_` and `buffer_`.
class PipeReader {
 public:
  explicit PipeReader(size_t capacity) : tail_(capacity) {}
  PipeReader(const PipeReader&) = delete;
  PipeReader& operator=(const PipeReader&) = delete;
  ~PipeReader() { Cancel(); }

  // Creates the pipe; `child_end` gets the inheritable write end.
  [[nodiscard]] absl::Status Create(absl::string_view stream,
                                    UniqueHandle* child_end) {
    // A fresh name per pipe; FILE_FLAG_FIRST_PIPE_INSTANCE makes creation
    // fail rather than join a pipe someone else made under that name.
    const std::wstring name = L"\\\\.\\pipe\\mdefleet-runner-" +
                              std::to_wstring(GetCurrentProcessId()) + L"-" +
                              std::to_wstring(pipe_counter.fetch_add(1)) +
                              L"-" + std::to_wstring(GetTickCount64());
    pipe_ = AdoptHandle(
        CreateNamedPipeW(name.c_str(),
                         PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED |
                             FILE_FLAG_FIRST_PIPE_INSTANCE,
                         PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT |
                             PIPE_REJECT_REMOTE_CLIENTS,
                         1, 0, kPipeBufferBytes, 0, nullptr));
    if (!pipe_) return LastErrorStatus(absl::StrCat(stream, " pipe"));
    SECURITY_ATTRIBUTES inherit = {sizeof(inherit), nullptr, TRUE};
    *child_end =
        AdoptHandle(CreateFileW(name.c_str(), GENERIC_WRITE, 0, &inherit,
                                OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
    if (!*child_end) return LastErrorStatus(absl::StrCat(stream, " pipe"));
    event_.reset(CreateEventW(nullptr, TRUE, FALSE, nullptr));
    if (!event_) return LastErrorStatus(absl::StrCat(stream, " pipe event"));
    return absl::OkStatus();
  }

  // Issues the next read. A read that completes at once still signals the
  // event, so Complete() collects every read the same way.
  void StartRead() {
    overlapped_ = {};
    overlapped_.hEvent = event_.get();
    ResetEvent(event_.get());
    if (ReadFile(pipe_.get(), buffer_.data(), kPipeBufferBytes, nullptr,
                 &overlapped_) ||
        GetLastError() == ERROR_IO_PENDING) {
      pending_ = true;
      return;
    }
    // ERROR_BROKEN_PIPE: every writer is gone. Any other error ends the
    // capture of this stream too.
    pending_ = false;
  }

  // Takes the data of the completed read and starts the next one.
  void Complete() {
    DWORD n = 0;
    if (GetOverlappedResult(pipe_.get(), &overlapped_, &n, FALSE)) {
      tail_.Append(absl::string_view(buffer_.data(), n));
      StartRead();
    } else {
      pending_ = false;
    }
  }

  // Abandons the read in flight, keeping whatever it delivered.
  void Cancel() {
    if (!pending_) return;
    CancelIoEx(pipe_.get(), &overlapped_);
    DWORD n = 0;
    if (GetOverlappedResult(pipe_.get(), &overlapped_, &n, TRUE)) {
      tail_.Append(absl::string_view(buffer_.data(), n));
    }
    pending_ = false;
  }

  bool pending() const { return pending_; }
  HANDLE event() const { return event_.get(); }
  // The captured tail as UTF-8.
  std::string TakeText() && {
    const bool truncated = tail_.truncated();
    return ConsoleOutputToUtf8(std::move(tail_).Take(), truncated);
  }

 private:
  UniqueHandle pipe_;
  UniqueHandle event_;
  OVERLAPPED overlapped_ = {};
  std::vector<char> buffer_ = std::vector<char>(kPipeBufferBytes);
  bool pending_ = false;
  BoundedTail tail_;
};

// PROC_THREAD_ATTRIBUTE_HANDLE_LIST: the child inherits these handles and no
// others, even if the runner has other inheritable handles open.
class InheritList {
 public:
  InheritList() = default;
  InheritList(const InheritList&) = delete;
  InheritList& operator=(const InheritList&) = delete;
  ~InheritList() {
    if (initialized_) DeleteProcThreadAttributeList(list());
  }

  [[nodiscard]] absl::Status Init(std::vector<HANDLE> handles) {
    handles_ = std::move(handles);
    SIZE_T size = 0;
    InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
    storage_.resize(size);
    if (!InitializeProcThreadAttributeList(list(), 1, 0, &size)) {
      return LastErrorStatus("process attribute list");
    }
    initialized_ = true;
    if (!UpdateProcThreadAttribute(
            list(), 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handles_.data(),
            handles_.size() * sizeof(HANDLE), nullptr, nullptr)) {
      return LastErrorStatus("process handle list");
    }
    return absl::OkStatus();
  }

  LPPROC_THREAD_ATTRIBUTE_LIST list() {
    return reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(storage_.data());
  }

 private:
  std::vector<HANDLE> handles_;
  std::vector<char> storage_;
  bool initialized_ = false;
};

[[nodiscard]] absl::StatusOr<UniqueHandle> CreateKillOnCloseJob() {
  UniqueHandle job(CreateJobObjectW(nullptr, nullptr));
  if (!job) return LastErrorStatus("job object");
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits = {};
  // Closing the job (the runner returning or dying) ends the tree; a crash
  // in the tree ends the crashed process instead of waiting on an error
  // dialog nobody sees in session 0.
  limits.BasicLimitInformation.LimitFlags =
      JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE |
      JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
  if (!SetInformationJobObject(job.get(), JobObjectExtendedLimitInformation,
                               &limits, sizeof(limits))) {
    return LastErrorStatus("job object limits");
  }
  return job;
}

[[nodiscard]] absl::StatusOr<std::wstring> CommandLineFor(
    const ProcessRequest& request, const std::wstring& program) {
  std::vector<std::wstring> args;
  args.reserve(request.args.size());
  for (const std::string& arg : request.args) args.push_back(Utf8ToWide(arg));
  absl::StatusOr<std::wstring> line;
  if (absl::EqualsIgnoreCase(WindowsBaseName(request.program), "cmd.exe") &&
      !args.empty() && absl::EqualsIgnoreCase(request.args[0], "/c")) {
    line = BuildCmdCommandLine(
        program, std::vector<std::wstring>(args.begin() + 1, args.end()));
  } else {
    line = BuildCommandLine(program, args);
  }
  if (line.ok() && line->size() >= kMaxCommandLine) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the command line for ", request.program, " is ", line->size(),
        " characters; Windows allows ", kMaxCommandLine - 1));
  }
  return line;
}

[[nodiscard]] absl::Status ValidateRequest(const ProcessRequest& request) {
  RETURN_IF_ERROR(CheckNoNul(request.program, "program path"));
  for (const std::string& arg : request.args) {
    RETURN_IF_ERROR(
        CheckNoNul(arg, absl::StrCat("an argument of ", request.program)));
  }
  RETURN_IF_ERROR(CheckNoNul(request.working_directory, "working directory"));
  if (!IsAbsoluteWindowsPath(request.program)) {
    return absl::InvalidArgumentError(
        absl::StrCat("program \"", request.program,
                     "\" is not an absolute path; the runner does not search "
                     "for programs"));
  }
  if (request.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("timeout for ", request.program, " is not positive"));
  }
  const DWORD attributes =
      GetFileAttributesW(Utf8ToWide(request.program).c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES) {
    const DWORD error = GetLastError();
    if (IsNotFoundError(error)) {
      return absl::NotFoundError(
          absl::StrCat("program ", request.program, " does not exist"));
    }
    return Win32ErrorStatus(error, absl::StrCat("program ", request.program));
  }
  if (attributes & FILE_ATTRIBUTE_DIRECTORY) {
    return absl::NotFoundError(absl::StrCat("program ", request.program,
                                            " is a directory, not a program"));
  }
  if (!request.working_directory.empty()) {
    const DWORD wd =
        GetFileAttributesW(Utf8ToWide(request.working_directory).c_str());
    if (wd == INVALID_FILE_ATTRIBUTES || !(wd & FILE_ATTRIBUTE_DIRECTORY)) {
      return absl::NotFoundError(absl::StrCat(
          "working directory ", request.working_directory, " does not exist"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

void BoundedTail::Append(absl::string_view data) {
  total_bytes_ += data.size();
  if (data.size() >= capacity_) {
    buffer_ = std::string(data.substr(data.size() - capacity_));
    return;
  }
  buffer_.append(data.data(), data.size());
  // Trim in bulk, not per append, so a long output costs O(n) overall.
  if (buffer_.size() > 2 * capacity_) {
    buffer_.erase(0, buffer_.size() - capacity_);
  }
}

std::string BoundedTail::Take() && {
  if (buffer_.size() > capacity_) {
    buffer_.erase(0, buffer_.size() - capacity_);
  }
  return std::move(buffer_);
}

std::string ConsoleOutputToUtf8(absl::string_view bytes, bool cut_at_front) {
  // A tail may start inside a UTF-8 sequence: skip its continuation bytes.
  absl::string_view trimmed = bytes;
  for (int i = 0; cut_at_front && i < 3 && !trimmed.empty() &&
                  (static_cast<unsigned char>(trimmed[0]) & 0xC0) == 0x80;
       ++i) {
    trimmed.remove_prefix(1);
  }
  if (IsValidUtf8(trimmed)) return std::string(trimmed);
  return CodePageToUtf8(bytes, GetOEMCP());
}

absl::StatusOr<ProcessResult> RunProcessInJob(const ProcessRequest& request,
                                              const ProcessLimits& limits) {
  RETURN_IF_ERROR(ValidateRequest(request));
  const std::wstring program = Utf8ToWide(request.program);
  ASSIGN_OR_RETURN(std::wstring command_line, CommandLineFor(request, program));
  const std::wstring working_directory = Utf8ToWide(request.working_directory);

  PipeReader out(limits.max_output_bytes);
  PipeReader err(limits.max_output_bytes);
  UniqueHandle out_child;
  UniqueHandle err_child;
  RETURN_IF_ERROR(out.Create("stdout", &out_child));
  RETURN_IF_ERROR(err.Create("stderr", &err_child));
  // stdin is the NUL device: a program that reads it sees end-of-file at
  // once instead of waiting for a console nobody types into.
  SECURITY_ATTRIBUTES inherit = {sizeof(inherit), nullptr, TRUE};
  UniqueHandle in_child = AdoptHandle(
      CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE,
                  &inherit, OPEN_EXISTING, 0, nullptr));
  if (!in_child) return LastErrorStatus("NUL device");
  ASSIGN_OR_RETURN(UniqueHandle job, CreateKillOnCloseJob());

  InheritList inherit_list;
  RETURN_IF_ERROR(
      inherit_list.Init({in_child.get(), out_child.get(), err_child.get()}));
  STARTUPINFOEXW startup = {};
  startup.StartupInfo.cb = sizeof(startup);
  startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  startup.StartupInfo.hStdInput = in_child.get();
  startup.StartupInfo.hStdOutput = out_child.get();
  startup.StartupInfo.hStdError = err_child.get();
  startup.lpAttributeList = inherit_list.list();

  // Suspended until it is in the job, so nothing it starts can escape.
  PROCESS_INFORMATION info = {};
  if (!CreateProcessW(
          program.c_str(), command_line.data(), nullptr, nullptr, TRUE,
          CREATE_SUSPENDED | CREATE_NO_WINDOW | CREATE_UNICODE_ENVIRONMENT |
              EXTENDED_STARTUPINFO_PRESENT,
          nullptr,
          working_directory.empty() ? nullptr : working_directory.c_str(),
          &startup.StartupInfo, &info)) {
    const DWORD error = GetLastError();
    if (IsNotFoundError(error)) {
      return absl::NotFoundError(
          absl::StrCat("program ", request.program, " does not exist"));
    }
    return Win32ErrorStatus(error,
                            absl::StrCat("cannot start ", request.program));
  }
  UniqueHandle process(info.hProcess);
  UniqueHandle thread(info.hThread);
  if (!AssignProcessToJobObject(job.get(), process.get())) {
    absl::Status status = LastErrorStatus(
        absl::StrCat("cannot put ", request.program, " in a job object"));
    TerminateProcess(process.get(), kKilledExitCode);
    WaitForSingleObject(process.get(), kTerminateWaitMs);
    return status;
  }
  // The runner's copies of the child's ends must go, or the pipes would
  // never report end-of-file.
  in_child.reset();
  out_child.reset();
  err_child.reset();
  if (ResumeThread(thread.get()) == static_cast<DWORD>(-1)) {
    absl::Status status =
        LastErrorStatus(absl::StrCat("cannot resume ", request.program));
    TerminateJobObject(job.get(), kKilledExitCode);
    return status;
  }
  thread.reset();

  out.StartRead();
  err.StartRead();
  ProcessResult result;
  // Beyond a year is "no limit" (and keeps the time arithmetic in range).
  const bool unlimited = request.timeout > absl::Hours(24 * 365);
  const SteadyClock::time_point deadline =
      unlimited ? SteadyClock::time_point::max()
                : SteadyClock::now() +
                      std::chrono::duration_cast<SteadyClock::duration>(
                          absl::ToChronoNanoseconds(request.timeout));
  const auto drain = std::chrono::duration_cast<SteadyClock::duration>(
      absl::ToChronoNanoseconds(limits.drain_timeout));
  bool exited = false;
  SteadyClock::time_point drain_deadline;
  for (;;) {
    if (!exited && SteadyClock::now() >= deadline) {
      TerminateJobObject(job.get(), kKilledExitCode);
      WaitForSingleObject(process.get(), kTerminateWaitMs);
      exited = true;
      result.timed_out = true;
      result.exit_code = -1;
      drain_deadline = SteadyClock::now() + drain;
    }
    HANDLE waits[3];
    DWORD count = 0;
    if (!exited) waits[count++] = process.get();
    if (out.pending()) waits[count++] = out.event();
    if (err.pending()) waits[count++] = err.event();
    if (exited && count == 0) break;
    const DWORD wait_ms = exited      ? MillisUntil(drain_deadline)
                          : unlimited ? INFINITE
                                      : MillisUntil(deadline);
    const DWORD r = WaitForMultipleObjects(count, waits, FALSE, wait_ms);
    if (r == WAIT_TIMEOUT) {
      if (exited) break;  // the pipes did not close in time: give up on them
      continue;           // the deadline check above kills the tree
    }
    if (r >= WAIT_OBJECT_0 + count) {
      absl::Status status =
          LastErrorStatus(absl::StrCat("waiting for ", request.program));
      TerminateJobObject(job.get(), kKilledExitCode);
      return status;
    }
    const HANDLE signaled = waits[r - WAIT_OBJECT_0];
    if (signaled == process.get()) {
      DWORD code = 0;
      GetExitCodeProcess(process.get(), &code);
      result.exit_code = static_cast<int>(code);
      exited = true;
      // Whatever the program left running in its job ends with it (closing
      // the job would end it anyway); that also closes their copies of the
      // pipes.
      TerminateJobObject(job.get(), kKilledExitCode);
      drain_deadline = SteadyClock::now() + drain;
    } else if (signaled == out.event()) {
      out.Complete();
    } else {
      err.Complete();
    }
  }
  out.Cancel();
  err.Cancel();
  result.stdout_text = std::move(out).TakeText();
  result.stderr_text = std::move(err).TakeText();
  return result;
}

}  // namespace mdefleet::runner::win
