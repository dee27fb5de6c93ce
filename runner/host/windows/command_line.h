// Command lines for CreateProcessW. Windows passes a program one string; the
// program splits it. Most programs (the MSVC runtime, CommandLineToArgvW,
// PowerShell) split by the MSVCRT rules, which QuoteArgument inverts. cmd.exe
// has rules of its own (quotes, & | < > ^ %), handled by BuildCmdCommandLine.
#ifndef MDEFLEET_RUNNER_HOST_WINDOWS_COMMAND_LINE_H_
#define MDEFLEET_RUNNER_HOST_WINDOWS_COMMAND_LINE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mdefleet::runner::win {

// `arg` quoted so that the MSVCRT / CommandLineToArgvW rules give back exactly
// `arg`: left bare when it has no space, tab, newline or quote and is not
// empty; otherwise in double quotes, with quotes escaped as \" and the
// backslashes before a quote (or before the closing quote) doubled.
std::wstring QuoteArgument(std::wstring_view arg);

// `"program" arg1 arg2 ...` with each argument quoted by QuoteArgument. The
// program (argv[0]) is parsed without escapes, so it is always quoted and may
// not contain a double quote: InvalidArgument then.
[[nodiscard]] absl::StatusOr<std::wstring> BuildCommandLine(
    std::wstring_view program, const std::vector<std::wstring>& args);

// `"cmd" /d /s /c ""arg1" "arg2" ..."` for running `command` (a script and its
// arguments) with cmd.exe. /s makes cmd strip exactly the outer pair of
// quotes, so each argument stays quoted and & | < > ( ) ^ in it are literal;
// /d skips the AutoRun commands of the registry, which are not part of the
// step. cmd expands %VAR% even inside quotes and cannot escape a quote, so an
// argument containing '"', '%', '!' or a line break is InvalidArgument.
[[nodiscard]] absl::StatusOr<std::wstring> BuildCmdCommandLine(
    std::wstring_view cmd_path, const std::vector<std::wstring>& command);

}  // namespace mdefleet::runner::win

#endif  // MDEFLEET_RUNNER_HOST_WINDOWS_COMMAND_LINE_H_
