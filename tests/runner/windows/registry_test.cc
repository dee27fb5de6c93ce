// Registry round trips through WindowsHost on the real registry, under a
// test-unique key HKLM\SOFTWARE\mdefleet-test\<unique> removed afterwards.
#include "runner/host/windows/registry.h"

#include <windows.h>

#include <memory>
#include <string>
#include <variant>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/host/windows/win_error.h"
#include "runner/host/windows/windows_host.h"
#include "tests/runner/windows/windows_test_support.h"
#include "tests/testing/windows_host_test.h"

namespace mdefleet::runner::win {
namespace {

using ::testing::HasSubstr;
using testing::TestKey;
using ::testing::UnorderedElementsAre;

class RegistryTest : public ::mdefleet::testing::WindowsHostTest {
 protected:
  std::optional<RegistryData> Read(const std::string& key,
                                   const std::string& name) {
    auto value = host_->ReadValue(key, name);
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? *value : std::nullopt;
  }

  // Sets a value of any type with the raw API, as another program would.
  void SetRaw(const std::string& name, DWORD type, const void* data,
              DWORD size) {
    HKEY raw = nullptr;
    ASSERT_EQ(
        RegCreateKeyExW(HKEY_LOCAL_MACHINE, Utf8ToWide(key_.key()).c_str(), 0,
                        nullptr, 0, KEY_SET_VALUE | KEY_WOW64_64KEY, nullptr,
                        &raw, nullptr),
        ERROR_SUCCESS);
    EXPECT_EQ(RegSetValueExW(raw, Utf8ToWide(name).c_str(), 0, type,
                             static_cast<const BYTE*>(data), size),
              ERROR_SUCCESS);
    RegCloseKey(raw);
  }

  TestKey key_;
};

TEST_F(RegistryTest, StringAndDwordRoundTrip) {
  ASSERT_TRUE(host_->WriteValue(key_.key(), "Sz", std::string("hello")).ok());
  ASSERT_TRUE(host_->WriteValue(key_.key(), "Dword", uint32_t{1}).ok());
  ASSERT_TRUE(host_->WriteValue(key_.key(), "Max", uint32_t{0xFFFFFFFFu}).ok());
  ASSERT_TRUE(
      host_->WriteValue(key_.key(), "Unicode", std::string("プロキシ:8080"))
          .ok());
  ASSERT_TRUE(host_->WriteValue(key_.key(), "Empty", std::string()).ok());
  ASSERT_TRUE(host_->WriteValue(key_.key(), "", std::string("default")).ok());

  EXPECT_EQ(Read(key_.key(), "Sz"), RegistryData(std::string("hello")));
  EXPECT_EQ(Read(key_.key(), "Dword"), RegistryData(uint32_t{1}));
  EXPECT_EQ(Read(key_.key(), "Max"), RegistryData(uint32_t{0xFFFFFFFFu}));
  EXPECT_EQ(Read(key_.key(), "Unicode"),
            RegistryData(std::string("プロキシ:8080")));
  EXPECT_EQ(Read(key_.key(), "Empty"), RegistryData(std::string()));
  EXPECT_EQ(Read(key_.key(), ""), RegistryData(std::string("default")));
}

TEST_F(RegistryTest, WritesTheTypeTheVariantHolds) {
  ASSERT_TRUE(host_->WriteValue(key_.key(), "V", std::string("1")).ok());
  ASSERT_TRUE(host_->WriteValue(key_.key(), "V", uint32_t{1}).ok());
  EXPECT_EQ(Read(key_.key(), "V"), RegistryData(uint32_t{1}));
}

TEST_F(RegistryTest, NamesAreCaseInsensitive) {
  ASSERT_TRUE(
      host_->WriteValue(key_.Sub("MixedCase"), "OnboardingState", uint32_t{1})
          .ok());
  EXPECT_EQ(Read(key_.Sub("MIXEDCASE"), "onboardingstate"),
            RegistryData(uint32_t{1}));
}

TEST_F(RegistryTest, AbsentIsNulloptNotAnError) {
  EXPECT_EQ(Read(key_.key(), "Nothing"), std::nullopt);  // absent key
  ASSERT_TRUE(host_->WriteValue(key_.key(), "Other", uint32_t{0}).ok());
  EXPECT_EQ(Read(key_.key(), "Nothing"), std::nullopt);  // absent value
  EXPECT_FALSE(*host_->KeyExists(key_.Sub("missing")));
  auto subkeys = host_->ListSubkeys(key_.Sub("missing"));
  ASSERT_TRUE(subkeys.ok());
  EXPECT_TRUE(subkeys->empty());
}

TEST_F(RegistryTest, CreatesParentsAndListsSubkeysInTheirSpelling) {
  ASSERT_TRUE(
      host_
          ->WriteValue(key_.Sub("Management Groups\\AOI-One"), "x", uint32_t{1})
          .ok());
  ASSERT_TRUE(
      host_
          ->WriteValue(key_.Sub("Management Groups\\aoi-Two"), "x", uint32_t{1})
          .ok());
  EXPECT_TRUE(*host_->KeyExists(key_.Sub("Management Groups")));
  auto subkeys = host_->ListSubkeys(key_.Sub("management groups"));
  ASSERT_TRUE(subkeys.ok()) << subkeys.status();
  EXPECT_THAT(*subkeys, UnorderedElementsAre("AOI-One", "aoi-Two"));
}

TEST_F(RegistryTest, DeleteValueAndAbsentDeletesSucceed) {
  ASSERT_TRUE(
      host_->WriteValue(key_.key(), "senseGuid", std::string("g")).ok());
  EXPECT_TRUE(host_->DeleteValue(key_.key(), "senseGuid").ok());
  EXPECT_EQ(Read(key_.key(), "senseGuid"), std::nullopt);
  // Absent value, absent key: the postcondition holds, so success.
  EXPECT_TRUE(host_->DeleteValue(key_.key(), "senseGuid").ok());
  EXPECT_TRUE(host_->DeleteValue(key_.Sub("missing"), "x").ok());
  EXPECT_TRUE(host_->DeleteKey(key_.Sub("missing")).ok());
}

TEST_F(RegistryTest, DeleteKeyRemovesTheWholeTree) {
  ASSERT_TRUE(host_->WriteValue(key_.Sub("a\\b\\c"), "v", uint32_t{1}).ok());
  ASSERT_TRUE(host_->WriteValue(key_.Sub("a"), "v", std::string("x")).ok());
  ASSERT_TRUE(host_->WriteValue(key_.Sub("keep"), "v", uint32_t{2}).ok());
  ASSERT_TRUE(host_->DeleteKey(key_.Sub("a")).ok());
  EXPECT_FALSE(*host_->KeyExists(key_.Sub("a")));
  EXPECT_FALSE(*host_->KeyExists(key_.Sub("a\\b\\c")));
  EXPECT_EQ(Read(key_.Sub("keep"), "v"), RegistryData(uint32_t{2}));
}

TEST_F(RegistryTest, WritesTheSixtyFourBitView) {
  ASSERT_TRUE(host_->WriteValue(key_.key(), "v", uint32_t{1}).ok());
  // The 32-bit view (SOFTWARE\WOW6432Node) does not see the key.
  HKEY raw = nullptr;
  EXPECT_EQ(RegOpenKeyExW(HKEY_LOCAL_MACHINE, Utf8ToWide(key_.key()).c_str(), 0,
                          KEY_QUERY_VALUE | KEY_WOW64_32KEY, &raw),
            ERROR_FILE_NOT_FOUND);
  if (raw != nullptr) RegCloseKey(raw);
}

TEST_F(RegistryTest, ExpandSzIsReadUnexpanded) {
  const std::wstring text = L"%SystemRoot%\\System32";
  SetRaw("Expand", REG_EXPAND_SZ, text.c_str(),
         static_cast<DWORD>((text.size() + 1) * sizeof(wchar_t)));
  EXPECT_EQ(Read(key_.key(), "Expand"),
            RegistryData(std::string("%SystemRoot%\\System32")));
}

TEST_F(RegistryTest, OtherTypesAreErrorsNamingTheType) {
  const char binary[] = {1, 2, 3};
  SetRaw("Binary", REG_BINARY, binary, sizeof(binary));
  const wchar_t multi[] = L"a\0b\0";
  SetRaw("Multi", REG_MULTI_SZ, multi, sizeof(multi));
  const uint64_t qword = 5;
  SetRaw("Qword", REG_QWORD, &qword, sizeof(qword));
  for (const auto& [name, type] :
       {std::pair{"Binary", "REG_BINARY"}, std::pair{"Multi", "REG_MULTI_SZ"},
        std::pair{"Qword", "REG_QWORD"}}) {
    auto value = host_->ReadValue(key_.key(), name);
    EXPECT_EQ(value.status().code(), absl::StatusCode::kUnimplemented) << name;
    EXPECT_THAT(value.status().message(), HasSubstr(type));
    EXPECT_THAT(value.status().message(), HasSubstr(key_.key()));
  }
}

TEST_F(RegistryTest, MalformedDwordIsDataLoss) {
  const uint16_t two_bytes = 7;
  SetRaw("Short", REG_DWORD, &two_bytes, sizeof(two_bytes));
  EXPECT_EQ(host_->ReadValue(key_.key(), "Short").status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(RegistryTest, ValueHasDataSeesAnyType) {
  const wchar_t multi[] = L"\\??\\C:\\old\0\0";
  SetRaw("Renames", REG_MULTI_SZ, multi, sizeof(multi));
  const wchar_t empty[] = L"\0";
  SetRaw("EmptyMulti", REG_MULTI_SZ, empty, sizeof(empty));
  EXPECT_TRUE(*RegistryValueHasData(key_.key(), "Renames"));
  EXPECT_FALSE(*RegistryValueHasData(key_.key(), "EmptyMulti"));
  EXPECT_FALSE(*RegistryValueHasData(key_.key(), "Missing"));
}

TEST_F(RegistryTest, RefusesMalformedKeysAndTopLevelDeletes) {
  for (const char* bad : {"", "SOFTWARE\\\\x", "\\SOFTWARE", "SOFTWARE\\"}) {
    EXPECT_EQ(host_->ReadValue(bad, "v").status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(
      host_->WriteValue(key_.key(), std::string("a\0b", 3), uint32_t{1}).code(),
      absl::StatusCode::kInvalidArgument);
  absl::Status s = host_->DeleteKey("SOFTWARE");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(*host_->KeyExists("SOFTWARE"));
}

TEST(RegistryErrors, AccessDeniedIsPermissionDeniedNamingTheKey) {
  // Wine does not enforce registry ACLs (a key created with a deny-all DACL
  // opens anyway), so the real ERROR_ACCESS_DENIED cannot be provoked here;
  // the mapping the registry code applies to it is checked instead.
  absl::Status s = Win32ErrorStatus(
      ERROR_ACCESS_DENIED,
      "registry key HKLM\\SOFTWARE\\Microsoft\\Windows Advanced Threat "
      "Protection\\Status");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("Threat Protection\\Status"));
  EXPECT_THAT(s.message(), HasSubstr("ERROR_ACCESS_DENIED"));
}

}  // namespace
}  // namespace mdefleet::runner::win
