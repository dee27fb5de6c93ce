// Argument quoting: exact forms, an in-process round trip through
// CommandLineToArgvW over many generated arguments, and real child processes
// (the echo helper, directly and through cmd.exe) printing what they got.
#include "runner/host/windows/command_line.h"

#include <windows.h>
// windows.h first: this needs its types.
#include <shellapi.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/host/windows/windows_host.h"
#include "tests/runner/windows/windows_test_support.h"
#include "tests/testing/windows_host_test.h"

namespace mdefleet::runner::win {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using testing::HelperPath;

using testing::kCmd;

// The arguments CommandLineToArgvW makes of `line` (argv[0] dropped).
std::vector<std::wstring> Split(const std::wstring& line) {
  int argc = 0;
  wchar_t** argv = CommandLineToArgvW(line.c_str(), &argc);
  std::vector<std::wstring> out;
  if (argv == nullptr) return out;
  for (int i = 1; i < argc; ++i) out.push_back(argv[i]);
  LocalFree(argv);
  return out;
}

// The quoting edge cases, as UTF-8.
const std::vector<std::string>& EdgeCases() {
  static const auto* cases = new std::vector<std::string>{
      "plain",
      "",
      "with space",
      "tab\there",
      "multiple   spaces",
      "quote\"inside",
      "\"",
      "\"quoted at both ends\"",
      "trailing-backslash\\",
      "C:\\Program Files\\Windows Defender\\",
      "two trailing backslashes\\\\",
      "back\\\\\"quote",
      "\\",
      "\\\"",
      "a\\\\b c",
      "\\\\server\\share\\path with space\\Install.ps1",
      "\\\\server\\share\\",
      "-OnboardingScript",
      "C:\\ProgramData\\mdefleet\\work\\t-"
      "1\\WindowsDefenderATPOnboardingScript.cmd",
      "%PATH%",
      "&|<>^()",
      "日本語 パス\\スクリプト.cmd",
  };
  return *cases;
}

TEST(QuoteArgument, LeavesSimpleArgumentsBare) {
  EXPECT_EQ(QuoteArgument(L"plain"), L"plain");
  EXPECT_EQ(QuoteArgument(L"C:\\dir\\file.cmd"), L"C:\\dir\\file.cmd");
  EXPECT_EQ(QuoteArgument(L"trailing\\"), L"trailing\\");
}

TEST(QuoteArgument, QuotesAndEscapesTheRest) {
  EXPECT_EQ(QuoteArgument(L""), L"\"\"");
  EXPECT_EQ(QuoteArgument(L"a b"), L"\"a b\"");
  EXPECT_EQ(QuoteArgument(L"a\"b"), L"\"a\\\"b\"");
  // A trailing backslash before the closing quote is doubled.
  EXPECT_EQ(QuoteArgument(L"C:\\a b\\"), L"\"C:\\a b\\\\\"");
  // Backslashes before a quote are doubled, plus one for the quote.
  EXPECT_EQ(QuoteArgument(L"a\\\"b"), L"\"a\\\\\\\"b\"");
  // Backslashes elsewhere are literal.
  EXPECT_EQ(QuoteArgument(L"\\\\s\\x y"), L"\"\\\\s\\x y\"");
}

TEST(BuildCommandLine, QuotesTheProgramAndRejectsAQuoteInIt) {
  auto line = BuildCommandLine(L"C:\\Program Files\\x.exe", {L"a", L"b c"});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(*line, L"\"C:\\Program Files\\x.exe\" a \"b c\"");
  EXPECT_EQ(BuildCommandLine(L"C:\\a\"b.exe", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BuildCommandLine, EdgeCasesRoundTripThroughCommandLineToArgvW) {
  std::vector<std::wstring> args;
  for (const std::string& a : EdgeCases()) args.push_back(Utf8ToWide(a));
  auto line = BuildCommandLine(L"C:\\x.exe", args);
  ASSERT_TRUE(line.ok());
  EXPECT_THAT(Split(*line), ElementsAreArray(args));
}

TEST(BuildCommandLine, GeneratedArgumentsRoundTrip) {
  // Arguments built from the characters that matter to the rules.
  const std::wstring alphabet = L" \t\"\\a";
  std::mt19937 rng(20240601);
  std::uniform_int_distribution<size_t> length(0, 8);
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  for (int round = 0; round < 500; ++round) {
    std::vector<std::wstring> args(3);
    for (std::wstring& arg : args) {
      const size_t n = length(rng);
      for (size_t i = 0; i < n; ++i) arg.push_back(alphabet[pick(rng)]);
    }
    auto line = BuildCommandLine(L"C:\\x.exe", args);
    ASSERT_TRUE(line.ok());
    ASSERT_THAT(Split(*line), ElementsAreArray(args))
        << "command line: " << WideToUtf8(*line);
  }
}

TEST(BuildCmdCommandLine, WrapsTheCommandForSlashS) {
  auto line = BuildCmdCommandLine(L"C:\\Windows\\System32\\cmd.exe",
                                  {L"C:\\w\\a b.cmd", L"x&y"});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(*line,
            L"\"C:\\Windows\\System32\\cmd.exe\" /d /s /c "
            L"\"\"C:\\w\\a b.cmd\" \"x&y\"\"");
}

TEST(BuildCmdCommandLine, RefusesWhatCmdWouldInterpret) {
  for (const wchar_t* bad : {L"%PATH%", L"a\"b", L"!x!", L"a\r\nb"}) {
    auto line = BuildCmdCommandLine(L"C:\\Windows\\System32\\cmd.exe", {bad});
    EXPECT_EQ(line.status().code(), absl::StatusCode::kInvalidArgument)
        << WideToUtf8(bad);
  }
  EXPECT_EQ(BuildCmdCommandLine(L"C:\\Windows\\System32\\cmd.exe", {})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

class QuotingThroughProcesses : public ::mdefleet::testing::WindowsHostTest {
 protected:
  // Lines the echo helper printed for a run of `program` with `args`.
  std::vector<std::string> Echo(const std::string& program,
                                const std::vector<std::string>& args) {
    ProcessRequest request;
    request.program = program;
    request.args = args;
    request.timeout = absl::Seconds(60);
    auto result = host_->RunProcess(request);
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return {};
    EXPECT_EQ(result->exit_code, 0) << result->stderr_text;
    std::vector<std::string> lines = absl::StrSplit(
        absl::StrReplaceAll(result->stdout_text, {{"\r\n", "\n"}}), '\n');
    if (!lines.empty() && lines.back().empty()) lines.pop_back();
    return lines;
  }
};

TEST_F(QuotingThroughProcesses, EchoHelperGetsEveryEdgeCaseBack) {
  EXPECT_THAT(Echo(HelperPath("windows_host_test_echo_args.exe"), EdgeCases()),
              ElementsAreArray(EdgeCases()));
}

TEST_F(QuotingThroughProcesses, CmdPassesSpecialCharactersLiterally) {
  // cmd.exe /c <program> <args>: each argument reaches the program as it was,
  // & | < > ^ ( ) included, because it stays inside quotes.
  const std::vector<std::string> args = {"a b", "x&y", "(paren)", "^caret",
                                         "pipe|less<more>"};
  std::vector<std::string> request = {
      "/c", HelperPath("windows_host_test_echo_args.exe")};
  request.insert(request.end(), args.begin(), args.end());
  EXPECT_THAT(Echo(kCmd, request), ElementsAreArray(args));
}

TEST_F(QuotingThroughProcesses, CmdRefusesAPercentSignAndRunsNothing) {
  ProcessRequest request;
  request.program = kCmd;
  request.args = {"/c", HelperPath("windows_host_test_echo_args.exe"),
                  "%COMSPEC%"};
  auto result = host_->RunProcess(request);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("cmd.exe"));
}

}  // namespace
}  // namespace mdefleet::runner::win
