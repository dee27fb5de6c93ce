#include "runner/executor/step_executor.h"

#include <algorithm>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/client_analyzer.h"
#include "common/enum_names.h"
#include "common/mde_constants.h"
#include "common/sha256.h"
#include "runner/executor/action_policy.h"
#include "runner/executor/configured_proxy.h"
#include "runner/executor/failure_log.h"
#include "runner/executor/maps_connection.h"
#include "runner/facts/cloud_connection_record.h"
#include "runner/host/windows_path.h"

namespace mdefleet::runner {
namespace {

StepResult Succeeded(std::string message) {
  StepResult r;
  r.state = v1::STEP_STATE_SUCCEEDED;
  r.message = std::move(message);
  return r;
}

StepResult Failed(std::string message, std::string detail = "") {
  StepResult r;
  r.state = v1::STEP_STATE_FAILED;
  r.message = std::move(message);
  r.output_tail = std::move(detail);
  return r;
}

StepResult Mismatch(v1::OnMismatch on_mismatch, absl::string_view configured,
                    std::string fallback, std::string detail) {
  StepResult r;
  r.message =
      configured.empty() ? std::move(fallback) : std::string(configured);
  r.output_tail = std::move(detail);
  if (on_mismatch == v1::ON_MISMATCH_SKIP_TASK) {
    r.state = v1::STEP_STATE_SKIPPED;
    r.skips_task = true;
  } else {
    r.state = v1::STEP_STATE_FAILED;
  }
  return r;
}

std::string RegistryName(absl::string_view key, absl::string_view name) {
  return name.empty() ? absl::StrCat("HKLM\\", key)
                      : absl::StrCat("HKLM\\", key, "\\", name);
}

absl::Duration FromProto(const google::protobuf::Duration& d,
                         absl::Duration fallback) {
  const absl::Duration out =
      absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
  return out > absl::ZeroDuration() ? out : fallback;
}

// Length of the UTF-8 sequence starting with `c`, 0 if `c` cannot start one.
size_t Utf8Length(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return c >= 0xC2 ? 2 : 0;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return c <= 0xF4 ? 4 : 0;
  return 0;
}

}  // namespace

std::string TailUtf8(absl::string_view text, size_t max_bytes) {
  if (text.size() > max_bytes) {
    text = text.substr(text.size() - max_bytes);
    // Skip continuation bytes of a sequence cut at the front.
    while (!text.empty() &&
           (static_cast<unsigned char>(text[0]) & 0xC0) == 0x80) {
      text.remove_prefix(1);
    }
  }
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t len = Utf8Length(static_cast<unsigned char>(text[i]));
    bool ok = len > 0 && i + len <= text.size();
    for (size_t j = 1; ok && j < len; ++j) {
      ok = (static_cast<unsigned char>(text[i + j]) & 0xC0) == 0x80;
    }
    if (ok) {
      out.append(text.data() + i, len);
      i += len;
    } else {
      out.push_back('?');
      ++i;
    }
  }
  return out;
}

StepResult StepExecutor::Execute(const v1::PlannedStep& step) {
  const absl::Time started = clock_.Now();
  const v1::Action& action = step.action();
  StepResult r;
  switch (action.kind_case()) {
    case v1::Action::kRunProcess:
      r = RunProcess(action.run_process());
      break;
    case v1::Action::kSetRegistryValue:
      r = SetRegistryValue(action.set_registry_value());
      break;
    case v1::Action::kDeleteRegistryValue:
      r = DeleteRegistryValue(action.delete_registry_value());
      break;
    case v1::Action::kCheckRegistry:
      r = CheckRegistry(action.check_registry());
      break;
    case v1::Action::kCheckService:
      r = CheckService(action.check_service());
      break;
    case v1::Action::kWaitServiceState:
      r = WaitServiceState(action.wait_service_state());
      break;
    case v1::Action::kFetchArtifact:
      r = FetchArtifact(action.fetch_artifact());
      break;
    case v1::Action::kCheckUrl:
      r = CheckUrl(action.check_url());
      break;
    case v1::Action::kCheckWinhttpProxy:
      r = CheckWinHttpProxy(action.check_winhttp_proxy());
      break;
    case v1::Action::kDeleteDirectoryContents:
      r = DeleteDirectoryContents(action.delete_directory_contents());
      break;
    case v1::Action::kReboot:
      r = Reboot(action.reboot());
      break;
    case v1::Action::kCheckCloudConnection:
      r = CheckCloudConnection(action.check_cloud_connection());
      break;
    case v1::Action::kCheckDirectoryEmpty:
      r = CheckDirectoryEmpty(action.check_directory_empty());
      break;
    case v1::Action::kExtractZip:
      r = ExtractZip(action.extract_zip());
      break;
    case v1::Action::kUploadDiagnosticsBundle:
      r = UploadDiagnosticsBundle(action.upload_diagnostics_bundle());
      break;
    case v1::Action::kSkip:
      r.state = v1::STEP_STATE_SKIPPED;
      r.message = action.skip().reason();
      break;
    case v1::Action::KIND_NOT_SET:
      r = Failed(absl::StrCat(
          "step \"", step.name(),
          "\" has no action this runner knows (a newer plan?); nothing run"));
      break;
  }
  r.output_tail = TailUtf8(r.output_tail, kOutputTailBytes);
  r.message = TailUtf8(r.message, kOutputTailBytes);
  r.started_at = started;
  r.finished_at = clock_.Now();
  return r;
}

StepResult StepExecutor::RunProcess(const v1::RunProcessAction& a) {
  auto program = ProgramPath(a.program());
  const std::string display =
      !a.display_name().empty()
          ? a.display_name()
          : (program.ok() ? WindowsBaseName(*program) : "program");
  auto request = BuildProcessRequest(a, work_dir_);
  if (!request.ok()) {
    return Failed(absl::StrCat(display, ": ", request.status().message()));
  }
  auto result = host_.RunProcess(*request);
  if (!result.ok()) {
    return Failed(absl::StrCat(
        display, " could not be started: ", result.status().message()));
  }
  StepResult r;
  r.output_tail = TailUtf8(
      absl::StrCat(result->stdout_text, result->stderr_text), kOutputTailBytes);
  if (result->timed_out) {
    r.state = v1::STEP_STATE_FAILED;
    r.message =
        absl::StrCat(display, " timed out after ",
                     absl::FormatDuration(request->timeout), " and was killed");
    r.evidence = CollectProcessEvidence(host_, a, work_dir_, *result);
    return r;
  }
  const int code = result->exit_code;
  r.exit_code = code;
  bool success = a.success_exit_codes().empty() ? code == 0 : false;
  for (int ok_code : a.success_exit_codes()) success |= ok_code == code;
  // "Succeeded, a restart finishes it": the reboot flow restarts the machine
  // and reports the step once it is back.
  for (int ok_code : a.restart_after_exit_codes()) success |= ok_code == code;
  auto meaning = a.exit_code_meanings().find(code);
  r.message = absl::StrCat(display, " exit ", code);
  if (code != 0 && meaning != a.exit_code_meanings().end()) {
    absl::StrAppend(&r.message, ": ", meaning->second);
  }
  if (!success) {
    if (std::optional<std::string> log =
            ReadFailureLog(host_, a.failure_logs(), work_dir_, code)) {
      absl::StrAppend(&r.message, "; ", *log);
    }
  }
  r.state = success ? v1::STEP_STATE_SUCCEEDED : v1::STEP_STATE_FAILED;
  if (!success)
    r.evidence = CollectProcessEvidence(host_, a, work_dir_, *result);
  return r;
}

StepResult StepExecutor::SetRegistryValue(const v1::SetRegistryValueAction& a) {
  if (absl::Status s = CheckRegistryKeyAllowed(a.key()); !s.ok()) {
    return Failed(std::string(s.message()));
  }
  RegistryData data;
  switch (a.value().value_case()) {
    case v1::RegistryValue::kSz:
      data = a.value().sz();
      break;
    case v1::RegistryValue::kDword:
      data = a.value().dword();
      break;
    case v1::RegistryValue::VALUE_NOT_SET:
      return Failed(absl::StrCat("set ", RegistryName(a.key(), a.name()),
                                 ": the plan gives no value"));
  }
  if (absl::Status s = host_.WriteValue(a.key(), a.name(), data); !s.ok()) {
    return Failed(absl::StrCat("cannot set ", RegistryName(a.key(), a.name()),
                               ": ", s.message()));
  }
  return Succeeded(absl::StrCat("set ", RegistryName(a.key(), a.name()), " = ",
                                DescribeRegistryData(data)));
}

StepResult StepExecutor::DeleteRegistryValue(
    const v1::DeleteRegistryValueAction& a) {
  if (absl::Status s = CheckRegistryKeyAllowed(a.key()); !s.ok()) {
    return Failed(std::string(s.message()));
  }
  auto before = host_.ReadValue(a.key(), a.name());
  if (!before.ok()) {
    return Failed(absl::StrCat("cannot read ", RegistryName(a.key(), a.name()),
                               ": ", before.status().message()));
  }
  if (absl::Status s = host_.DeleteValue(a.key(), a.name()); !s.ok()) {
    return Failed(absl::StrCat(
        "cannot delete ", RegistryName(a.key(), a.name()), ": ", s.message()));
  }
  return Succeeded(
      absl::StrCat(before->has_value() ? "deleted " : "already absent: ",
                   RegistryName(a.key(), a.name())));
}

StepResult StepExecutor::CheckRegistry(const v1::CheckRegistryAction& a) {
  if (absl::Status s = CheckRegistryReadAllowed(a.key()); !s.ok()) {
    return Failed(std::string(s.message()));
  }
  if (!a.fallback_key().empty()) {
    if (absl::Status s = CheckRegistryReadAllowed(a.fallback_key()); !s.ok()) {
      return Failed(std::string(s.message()));
    }
  }
  std::string where = RegistryName(a.key(), a.name());
  bool present = false;
  std::optional<RegistryData> data;
  if (a.name().empty()) {
    auto exists = host_.KeyExists(a.key());
    if (!exists.ok()) {
      return Failed(
          absl::StrCat("cannot read ", where, ": ", exists.status().message()));
    }
    present = *exists;
  } else {
    auto value = host_.ReadValue(a.key(), a.name());
    if (!value.ok()) {
      return Failed(
          absl::StrCat("cannot read ", where, ": ", value.status().message()));
    }
    data = *value;
    if (!data.has_value() && !a.fallback_key().empty()) {
      // The policy value is absent: the local preference applies.
      auto local = host_.ReadValue(a.fallback_key(), a.name());
      if (!local.ok()) {
        return Failed(absl::StrCat("cannot read ",
                                   RegistryName(a.fallback_key(), a.name()),
                                   ": ", local.status().message()));
      }
      data = *local;
      where = absl::StrCat(where, " (absent; ",
                           RegistryName(a.fallback_key(), a.name()), ")");
    }
    present = data.has_value();
  }
  const std::string found =
      data ? DescribeRegistryData(*data) : (present ? "present" : "absent");
  const uint32_t* raw = data ? std::get_if<uint32_t>(&*data) : nullptr;
  // dword_mask: compare only those bits (TamperProtection bit 0).
  const uint32_t masked =
      raw == nullptr ? 0 : (a.dword_mask() != 0 ? *raw & a.dword_mask() : *raw);
  const uint32_t* dword = raw == nullptr ? nullptr : &masked;
  const std::string mask_note =
      a.dword_mask() != 0
          ? absl::StrCat(" (bits 0x", absl::Hex(a.dword_mask()), ")")
          : "";
  const std::string* sz = data ? std::get_if<std::string>(&*data) : nullptr;
  bool match = false;
  std::string expected;
  switch (a.expect_case()) {
    case v1::CheckRegistryAction::kAbsent:
      match = !present;
      expected = "absent";
      break;
    case v1::CheckRegistryAction::kPresent:
      match = present;
      expected = "present";
      break;
    case v1::CheckRegistryAction::kDwordEquals:
      match = dword && *dword == a.dword_equals();
      expected = absl::StrCat("REG_DWORD ", a.dword_equals(), mask_note);
      break;
    case v1::CheckRegistryAction::kDwordNotEquals:
      match = !(dword && *dword == a.dword_not_equals());
      expected =
          absl::StrCat("not REG_DWORD ", a.dword_not_equals(), mask_note);
      break;
    case v1::CheckRegistryAction::kSzEquals:
      match = sz && *sz == a.sz_equals();
      expected = absl::StrCat("REG_SZ \"", a.sz_equals(), "\"");
      break;
    case v1::CheckRegistryAction::EXPECT_NOT_SET:
      return Failed(
          absl::StrCat("check ", where, ": the plan gives no expectation"));
  }
  const std::string observed = absl::StrCat(where, " is ", found);
  if (match) return Succeeded(observed);
  return Mismatch(a.on_mismatch(), a.mismatch_message(),
                  absl::StrCat(observed, ", expected ", expected), observed);
}

StepResult StepExecutor::CheckService(const v1::CheckServiceAction& a) {
  auto state = host_.QueryService(a.name());
  if (!state.ok()) {
    return Failed(absl::StrCat("cannot query service ", a.name(), ": ",
                               state.status().message()));
  }
  const std::string observed =
      absl::StrCat("service ", a.name(), " is ", ServiceStateName(*state));
  for (int accepted : a.accept()) {
    if (accepted == *state) return Succeeded(observed);
  }
  std::vector<std::string> accepted;
  for (int s : a.accept()) {
    accepted.push_back(ServiceStateName(static_cast<v1::ServiceState>(s)));
  }
  return Mismatch(
      a.on_mismatch(), a.mismatch_message(),
      absl::StrCat(observed, ", expected ", absl::StrJoin(accepted, " or ")),
      observed);
}

StepResult StepExecutor::WaitServiceState(const v1::WaitServiceStateAction& a) {
  const absl::Duration timeout = FromProto(a.timeout(), absl::Minutes(2));
  auto state = host_.WaitServiceState(a.name(), a.state(), timeout);
  if (state.ok()) {
    return Succeeded(
        absl::StrCat("service ", a.name(), " is ", ServiceStateName(*state)));
  }
  const std::string detail(state.status().message());
  if (!a.mismatch_message().empty() &&
      absl::IsDeadlineExceeded(state.status())) {
    return Failed(a.mismatch_message(), detail);
  }
  return Failed(absl::StrCat("service ", a.name(), " did not reach ",
                             ServiceStateName(a.state()), ": ", detail),
                detail);
}

StepResult StepExecutor::FetchArtifact(const v1::FetchArtifactAction& a) {
  if (absl::Status s = CheckArtifactFileName(a.file_name()); !s.ok()) {
    return Failed(std::string(s.message()));
  }
  const std::string expected = absl::AsciiStrToLower(a.artifact_id());
  const std::string path = JoinWindowsPath(work_dir_, a.file_name());
  auto content = fetcher_.Fetch(a.artifact_id());
  if (!content.ok()) {
    return Failed(absl::StrCat("cannot fetch ", a.file_name(), " (artifact ",
                               a.artifact_id(),
                               "): ", content.status().message()));
  }
  if (absl::Status s = host_.WriteFile(path, *content); !s.ok()) {
    return Failed(absl::StrCat("cannot write ", path, ": ", s.message()));
  }
  content->clear();
  // Verify what is on disk: that is what the next steps will use.
  auto on_disk = host_.ReadFile(path);
  const std::string actual = on_disk.ok() ? Sha256Hex(*on_disk) : "";
  if (!on_disk.ok() || actual != expected) {
    absl::Status deleted = host_.DeletePath(path);
    return Failed(absl::StrCat(
        "artifact ", a.file_name(), ": SHA-256 mismatch (expected ", expected,
        ", got ",
        on_disk.ok() ? actual : std::string(on_disk.status().message()), "); ",
        deleted.ok() ? "file deleted" : "file could NOT be deleted",
        ", not used"));
  }
  return Succeeded(absl::StrCat("fetched ", a.file_name(), " (",
                                on_disk->size(), " bytes, SHA-256 verified)"));
}

StepResult StepExecutor::CheckUrl(const v1::CheckUrlAction& a) {
  std::string proxy;
  std::string how;
  if (a.via_configured_proxy()) {
    auto configured = ResolveConfiguredProxy(host_, a.url());
    if (!configured.ok()) {
      return Failed(absl::StrCat("cannot check ", a.url(), ": ",
                                 configured.status().message()));
    }
    proxy = configured->check_url_proxy;
    how = configured->description;
  }
  absl::Status s = host_.CheckUrl(a.url(), proxy);
  if (s.ok()) {
    return Succeeded(how.empty()
                         ? absl::StrCat(a.url(), " is reachable")
                         : absl::StrCat(a.url(), " is reachable ", how));
  }
  const std::string detail(s.message());
  if (!a.mismatch_message().empty()) {
    return Failed(absl::StrCat(a.mismatch_message(), ": ", detail), detail);
  }
  if (!how.empty()) {
    // The host's message starts with the same "cannot reach <url>: ".
    absl::string_view why = detail;
    absl::ConsumePrefix(&why, absl::StrCat("cannot reach ", a.url(), ": "));
    return Failed(absl::StrCat("cannot reach ", a.url(), " ", how, ": ", why),
                  detail);
  }
  return Failed(absl::StrCat("cannot reach ", a.url(), ": ", detail), detail);
}

StepResult StepExecutor::CheckWinHttpProxy(
    const v1::CheckWinHttpProxyAction& a) {
  auto current = host_.GetWinHttpProxy();
  if (!current.ok()) {
    return Failed(absl::StrCat("cannot read the system WinHTTP proxy: ",
                               current.status().message()));
  }
  auto describe = [](absl::string_view proxy, absl::string_view bypass) {
    if (proxy.empty()) return std::string("direct access");
    return absl::StrCat(proxy, bypass.empty() ? "" : " (bypass ", bypass,
                        bypass.empty() ? "" : ")");
  };
  const std::string observed = absl::StrCat(
      "system WinHTTP proxy: ", describe(current->proxy, current->bypass));
  // Windows compares host names case-insensitively; netsh keeps the case.
  const bool match = absl::EqualsIgnoreCase(current->proxy, a.proxy()) &&
                     (a.proxy().empty() ||
                      absl::EqualsIgnoreCase(current->bypass, a.bypass()));
  if (match) return Succeeded(observed);
  if (!a.mismatch_message().empty()) {
    return Failed(absl::StrCat(a.mismatch_message(), " (", observed, ")"),
                  observed);
  }
  return Failed(
      absl::StrCat(observed, ", expected ", describe(a.proxy(), a.bypass())),
      observed);
}

StepResult StepExecutor::DeleteDirectoryContents(
    const v1::DeleteDirectoryContentsAction& a) {
  const std::string path = ExpandWorkDir(a.path(), work_dir_);
  if (absl::Status s = CheckDeletablePath(path, work_dir_); !s.ok()) {
    return Failed(std::string(s.message()));
  }
  if (absl::Status s = host_.DeleteDirectoryContents(path); !s.ok()) {
    return Failed(absl::StrCat("cannot delete the contents of ", path, ": ",
                               s.message()));
  }
  return Succeeded(absl::StrCat("deleted the contents of ", path));
}

StepResult StepExecutor::ExtractZip(const v1::ExtractZipAction& a) {
  const std::string archive = ExpandWorkDir(a.archive(), work_dir_);
  const std::string destination = ExpandWorkDir(a.destination(), work_dir_);
  for (const std::string* path : {&archive, &destination}) {
    if (absl::Status s = CheckWorkDirPath(*path, work_dir_); !s.ok()) {
      return Failed(std::string(s.message()));
    }
  }
  // A run after a crash starts from an empty folder: ZipFile does not
  // overwrite what an earlier run extracted.
  if (absl::Status s = host_.DeletePath(destination); !s.ok()) {
    return Failed(
        absl::StrCat("cannot clear ", destination, ": ", s.message()));
  }
  if (absl::Status s = host_.ExtractZip(archive, destination); !s.ok()) {
    return Failed(absl::StrCat("cannot extract ", archive, ": ", s.message()));
  }
  return Succeeded(absl::StrCat("extracted ", archive, " into ", destination));
}

StepResult StepExecutor::UploadDiagnosticsBundle(
    const v1::UploadDiagnosticsBundleAction& a) {
  std::vector<std::string> looked;
  for (const std::string& candidate : a.candidates()) {
    const std::string path = ExpandWorkDir(candidate, work_dir_);
    if (absl::Status s = CheckBundlePath(path, work_dir_); !s.ok()) {
      return Failed(std::string(s.message()));
    }
    absl::StatusOr<bool> exists = host_.FileExists(path);
    if (!exists.ok()) {
      return Failed(absl::StrCat("cannot look for ", path, ": ",
                                 exists.status().message()));
    }
    looked.push_back(path);
    if (!*exists) continue;
    absl::StatusOr<std::string> content = host_.ReadFile(path);
    if (!content.ok()) {
      return Failed(
          absl::StrCat("cannot read ", path, ": ", content.status().message()));
    }
    if (content->size() > client_analyzer::kMaxBundleBytes) {
      return Failed(absl::StrCat(
          path, " is ", content->size(), " bytes, over the ",
          client_analyzer::kMaxBundleBytes >> 20,
          " MiB the server keeps; nothing sent (fetch it from the device)"));
    }
    StepResult r = Succeeded(
        absl::StrCat("found ", path, " (", content->size(), " bytes)"));
    r.bundle = StepResult::Bundle{path, *std::move(content)};
    return r;
  }
  return Failed(absl::StrCat(
      "no ", client_analyzer::kResultZipName, " was written (looked in ",
      absl::StrJoin(looked, " and "), "); see run_client_analyzer's output"));
}

StepResult StepExecutor::Reboot(const v1::RebootAction& a) {
  const absl::Duration delay = FromProto(a.delay(), absl::ZeroDuration());
  if (absl::Status s = host_.Reboot(a.reason(), delay); !s.ok()) {
    return Failed(absl::StrCat("cannot schedule a reboot: ", s.message()));
  }
  return Succeeded(absl::StrCat("reboot scheduled in ",
                                absl::FormatDuration(delay), ": ", a.reason()));
}

StepResult StepExecutor::CheckCloudConnection(
    const v1::CheckCloudConnectionAction& a) {
  ProcessRequest request;
  request.program = *ProgramPath(v1::PROGRAM_MPCMDRUN);
  request.args = {std::string(mde::kValidateMapsSwitch)};
  request.timeout = FromProto(a.timeout(), absl::Minutes(2));
  request.working_directory = work_dir_;
  v1::CloudConnectionCheck check;
  std::string output;
  std::optional<int> exit_code;
  auto result = host_.RunProcess(request);
  if (result.ok()) {
    check = InterpretValidateMapsConnection(*result, clock_.Now());
    output = absl::StrCat(result->stdout_text, result->stderr_text);
    if (!result->timed_out) exit_code = result->exit_code;
  } else {
    // No MpCmdRun.exe: no Defender Antivirus (2012 R2 before md4ws.msi).
    const int64_t nanos = absl::ToUnixNanos(clock_.Now());
    check.mutable_checked_at()->set_seconds(nanos / 1000000000);
    check.mutable_checked_at()->set_nanos(
        static_cast<int32_t>(nanos % 1000000000));
    check.set_error_code(absl::IsNotFound(result.status()) ? "not installed"
                                                           : "not started");
    check.set_message(absl::StrCat(
        "MpCmdRun.exe could not be started (", result.status().message(),
        "): Defender Antivirus is not installed or is damaged"));
  }
  // The device's cloud_connection fact, also when the check failed.
  absl::Status saved = SaveCloudConnection(host_, check);
  StepResult r;
  r.state = check.ok() ? v1::STEP_STATE_SUCCEEDED : v1::STEP_STATE_FAILED;
  r.exit_code = exit_code;
  r.message = check.message();
  if (!saved.ok()) {
    absl::StrAppend(&r.message, " (not recorded as a fact: ", saved.message(),
                    ")");
  }
  r.output_tail = TailUtf8(output, kOutputTailBytes);
  return r;
}

StepResult StepExecutor::CheckDirectoryEmpty(
    const v1::CheckDirectoryEmptyAction& a) {
  const std::string path = ExpandWorkDir(a.path(), work_dir_);
  auto entries = host_.ListDirectory(path);
  if (!entries.ok()) {
    return Failed(
        absl::StrCat("cannot list ", path, ": ", entries.status().message()));
  }
  if (entries->empty()) return Succeeded(absl::StrCat(path, " is empty"));
  std::vector<std::string> shown(
      entries->begin(),
      entries->begin() + std::min<size_t>(entries->size(), 5));
  const std::string observed =
      absl::StrCat(path, " holds ", entries->size(),
                   entries->size() == 1 ? " entry: " : " entries: ",
                   absl::StrJoin(shown, ", "),
                   entries->size() > shown.size() ? ", ..." : "");
  return Mismatch(a.on_mismatch(), a.mismatch_message(),
                  absl::StrCat(observed, ", expected it empty"), observed);
}

}  // namespace mdefleet::runner
