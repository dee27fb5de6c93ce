#include "runner/executor/maps_connection.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/mde_constants.h"

namespace mdefleet::runner {
namespace {

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t nanos = absl::ToUnixNanos(t);
  ts.set_seconds(nanos / 1000000000);
  ts.set_nanos(static_cast<int32_t>(nanos % 1000000000));
  return ts;
}

// "0x80508015" from the 8 hex digits starting at `text` (after an optional
// "0x"), or "".
std::string HexAt(absl::string_view text) {
  text = absl::StripLeadingAsciiWhitespace(text);
  if (absl::StartsWithIgnoreCase(text, "0x")) text.remove_prefix(2);
  size_t n = 0;
  while (n < text.size() && n < 8 &&
         absl::ascii_isxdigit(static_cast<unsigned char>(text[n]))) {
    ++n;
  }
  if (n != 8) return "";
  return absl::StrCat("0x", absl::AsciiStrToUpper(text.substr(0, 8)));
}

// The output line that mentions `hresult` (for the verbatim report).
std::string LineWith(absl::string_view output, absl::string_view hresult) {
  const std::string digits(absl::StripPrefix(hresult, "0x"));
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StrContains(absl::AsciiStrToUpper(line), digits)) {
      return std::string(absl::StripAsciiWhitespace(line));
    }
  }
  return "";
}

}  // namespace

std::string FindHresult(absl::string_view output) {
  // The forms MpCmdRun prints, most specific first.
  for (absl::string_view marker : {"(hr=", "hr = ", "hr=", "failed ("}) {
    size_t at = 0;
    while ((at = output.find(marker, at)) != absl::string_view::npos) {
      at += marker.size();
      std::string hr = HexAt(output.substr(at));
      if (!hr.empty()) return hr;
    }
  }
  return "";
}

v1::CloudConnectionCheck InterpretValidateMapsConnection(
    const ProcessResult& result, absl::Time checked_at) {
  v1::CloudConnectionCheck check;
  *check.mutable_checked_at() = ToProto(checked_at);
  const std::string output =
      absl::StrCat(result.stdout_text, "\n", result.stderr_text);
  if (result.timed_out) {
    check.set_error_code("timeout");
    check.set_message(
        "MpCmdRun.exe -ValidateMapsConnection did not finish in time: the "
        "cloud protection service (MAPS) may be unreachable; check the "
        "firewall and the system-wide WinHTTP proxy");
    return check;
  }
  if (result.exit_code == 0 &&
      absl::StrContains(output, mde::kMapsConnectionOk)) {
    check.set_ok(true);
    check.set_message(std::string(mde::kMapsConnectionOk));
    return check;
  }
  const std::string hr = FindHresult(output);
  check.set_error_code(hr.empty() ? absl::StrCat("exit ", result.exit_code)
                                  : hr);
  if (hr == mde::kHresultAccessDenied) {
    check.set_message(
        "0x80070005: MpCmdRun was not elevated (access denied); the runner "
        "must run as LocalSystem or an administrator");
  } else if (hr == mde::kHresultMapsDisabled) {
    check.set_message(
        "0x80508015: cloud-delivered protection is disabled; check "
        "MAPSReporting (Get-MpPreference; Group Policy \"Join Microsoft "
        "MAPS\") and turn it on");
  } else if (hr == mde::kHresultServiceDisabled) {
    check.set_message(
        "0x800106BA: the Defender Antivirus service is disabled or not "
        "running; enable it (a policy left by a removed antivirus may "
        "disable it) and run health_check again");
  } else if (hr == mde::kHresultUnsupportedCommand) {
    check.set_message(
        "0x80070667: this Defender Antivirus platform does not support "
        "-ValidateMapsConnection (Windows Server 2016 and earlier without "
        "the unified agent); install md4ws.msi or update the platform");
  } else {
    const std::string line = hr.empty() ? "" : LineWith(output, hr);
    check.set_message(absl::StrCat(
        hr.empty() ? absl::StrCat("MpCmdRun.exe exit ", result.exit_code) : hr,
        ": ValidateMapsConnection failed",
        line.empty() ? "" : absl::StrCat(" (\"", line, "\")"),
        "; check that the device reaches *.wdcp.microsoft.com and "
        "*.wd.microsoft.com, that the system-wide WinHTTP proxy is set when "
        "a proxy is needed, and that no TLS inspection breaks the "
        "connection"));
  }
  return check;
}

}  // namespace mdefleet::runner
