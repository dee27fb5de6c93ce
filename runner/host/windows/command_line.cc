#include "runner/host/windows/command_line.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runner/host/windows/wide_string.h"

namespace mdefleet::runner::win {

std::wstring QuoteArgument(std::wstring_view arg) {
  if (!arg.empty() && arg.find_first_of(L" \t\n\v\"") == std::wstring::npos) {
    return std::wstring(arg);
  }
  std::wstring out = L"\"";
  for (auto it = arg.begin();; ++it) {
    size_t backslashes = 0;
    while (it != arg.end() && *it == L'\\') {
      ++it;
      ++backslashes;
    }
    if (it == arg.end()) {
      // Before the closing quote every backslash must be doubled, or the last
      // one would escape it.
      out.append(backslashes * 2, L'\\');
      break;
    }
    if (*it == L'"') {
      out.append(backslashes * 2 + 1, L'\\');
      out.push_back(L'"');
    } else {
      // Backslashes not followed by a quote are literal.
      out.append(backslashes, L'\\');
      out.push_back(*it);
    }
  }
  out.push_back(L'"');
  return out;
}

absl::StatusOr<std::wstring> BuildCommandLine(
    std::wstring_view program, const std::vector<std::wstring>& args) {
  if (program.find(L'"') != std::wstring_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "program path \"", WideToUtf8(program), "\" contains a double quote"));
  }
  std::wstring line = L"\"";
  line.append(program);
  line.push_back(L'"');
  for (const std::wstring& arg : args) {
    line.push_back(L' ');
    line.append(QuoteArgument(arg));
  }
  return line;
}

absl::StatusOr<std::wstring> BuildCmdCommandLine(
    std::wstring_view cmd_path, const std::vector<std::wstring>& command) {
  if (command.empty()) {
    return absl::InvalidArgumentError("cmd.exe /c needs a command to run");
  }
  if (cmd_path.find(L'"') != std::wstring_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "program path \"", WideToUtf8(cmd_path), "\" contains a double quote"));
  }
  std::wstring inner;
  for (const std::wstring& arg : command) {
    if (arg.find_first_of(L"\"%!\r\n") != std::wstring::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "argument \"", WideToUtf8(arg),
          "\" cannot be passed safely to cmd.exe (it contains a quote, %, ! "
          "or a line break)"));
    }
    if (!inner.empty()) inner.push_back(L' ');
    inner.push_back(L'"');
    inner.append(arg);
    inner.push_back(L'"');
  }
  std::wstring line = L"\"";
  line.append(cmd_path);
  line.append(L"\" /d /s /c \"");
  line.append(inner);
  line.push_back(L'"');
  return line;
}

}  // namespace mdefleet::runner::win
