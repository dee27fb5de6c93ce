// Win32 errors as statuses, and UTF-8 <-> UTF-16.
#include "runner/host/windows/win_error.h"

#include <windows.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/host/windows/wide_string.h"

namespace mdefleet::runner::win {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(Win32Error, NamesKnownErrors) {
  EXPECT_EQ(Win32ErrorName(ERROR_ACCESS_DENIED), "ERROR_ACCESS_DENIED");
  EXPECT_EQ(Win32ErrorName(ERROR_SERVICE_DOES_NOT_EXIST),
            "ERROR_SERVICE_DOES_NOT_EXIST");
  EXPECT_EQ(Win32ErrorName(12029), "ERROR_WINHTTP_CANNOT_CONNECT");
  EXPECT_EQ(Win32ErrorName(54321), "Win32 error 54321");
  EXPECT_EQ(Win32ErrorName(0x80070005u), "HRESULT 0x80070005");
}

TEST(Win32Error, StatusNamesTheObjectTheErrorAndItsText) {
  absl::Status s =
      Win32ErrorStatus(ERROR_ACCESS_DENIED, "registry key HKLM\\SOFTWARE\\x");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(
      std::string(s.message()),
      StartsWith("registry key HKLM\\SOFTWARE\\x: ERROR_ACCESS_DENIED"));
  // The system's own text follows in parentheses when it has one.
  if (!Win32ErrorText(ERROR_ACCESS_DENIED).empty()) {
    EXPECT_THAT(s.message(), HasSubstr(" ("));
  }
}

TEST(Win32Error, MapsCodes) {
  EXPECT_EQ(Win32ErrorToStatusCode(ERROR_FILE_NOT_FOUND),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Win32ErrorToStatusCode(ERROR_PATH_NOT_FOUND),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Win32ErrorToStatusCode(ERROR_SERVICE_DOES_NOT_EXIST),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Win32ErrorToStatusCode(ERROR_ACCESS_DENIED),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Win32ErrorToStatusCode(ERROR_PRIVILEGE_NOT_HELD),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Win32ErrorToStatusCode(ERROR_SHARING_VIOLATION),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(Win32ErrorToStatusCode(ERROR_INVALID_NAME),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Win32ErrorToStatusCode(ERROR_DISK_FULL),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Win32ErrorToStatusCode(ERROR_INVALID_DATA),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(Win32ErrorToStatusCode(12007), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Win32ErrorToStatusCode(12005), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Win32ErrorToStatusCode(54321), absl::StatusCode::kInternal);
}

TEST(Win32Error, LastErrorStatusReadsTheThreadsError) {
  SetLastError(ERROR_FILE_NOT_FOUND);
  absl::Status s = LastErrorStatus("file C:\\x");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("file C:\\x: ERROR_FILE_NOT_FOUND"));
  // A failure that left no error is still a failure.
  SetLastError(0);
  EXPECT_FALSE(LastErrorStatus("x").ok());
}

TEST(WideString, RoundTripsUnicode) {
  for (const std::string& s :
       {std::string(""), std::string("ascii"),
        std::string("日本語のパス\\オンボーディング.cmd"),
        std::string("emoji \xF0\x9F\x9B\xA1 shield")}) {
    EXPECT_EQ(WideToUtf8(Utf8ToWide(s)), s);
  }
  EXPECT_EQ(Utf8ToWide("\xE6\x97\xA5"), std::wstring(L"\x65E5"));
}

TEST(WideString, ReplacesInvalidInput) {
  // A lone continuation byte and an unpaired surrogate become U+FFFD.
  EXPECT_EQ(Utf8ToWide("a\x80z"), std::wstring(L"a\xFFFDz"));
  EXPECT_EQ(WideToUtf8(std::wstring(L"a\xD800z")), "a\xEF\xBF\xBDz");
}

TEST(WideString, ValidatesUtf8) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("日本語"));
  EXPECT_FALSE(IsValidUtf8("\x82\xA0"));      // CP932 "あ"
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));      // overlong "/"
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(IsValidUtf8("\xE6\x97"));      // cut short
}

TEST(WideString, ChecksForNul) {
  EXPECT_TRUE(CheckNoNul("abc", "key").ok());
  absl::Status s = CheckNoNul(absl::string_view("a\0b", 3), "registry key");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("registry key"));
}

}  // namespace
}  // namespace mdefleet::runner::win
