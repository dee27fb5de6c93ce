// Files through WindowsHost on the real file system: atomic replacement,
// reads, directory trees, deletion that keeps the folder or never follows a
// link, long paths, and the protected state directory.
#include "runner/host/windows/files.h"

#include <windows.h>
// windows.h first: these need its types.
#include <aclapi.h>
#include <sddl.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runner/host/windows/unique_handle.h"
#include "runner/host/windows/windows_host.h"
#include "tests/runner/windows/windows_test_support.h"
#include "tests/testing/windows_host_test.h"

namespace mdefleet::runner::win {
namespace {

using ::mdefleet::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE (Windows 10 developer mode),
// which the mingw-w64 headers do not name.
constexpr DWORD kAllowUnprivilegedCreate = 0x2;

// Names of the entries of directory `dir`.
std::vector<std::string> List(const std::string& dir) {
  std::vector<std::string> names;
  WIN32_FIND_DATAW entry;
  HANDLE find = FindFirstFileW(Utf8ToWide(dir + "\\*").c_str(), &entry);
  if (find == INVALID_HANDLE_VALUE) return names;
  do {
    const std::wstring name = entry.cFileName;
    if (name != L"." && name != L"..") names.push_back(WideToUtf8(name));
  } while (FindNextFileW(find, &entry));
  FindClose(find);
  return names;
}

class FilesTest : public ::mdefleet::testing::WindowsHostTest {
 protected:
  void SetUp() override {
    WindowsHostTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(host_->CreateDirectories(dir_.Join("data")).ok());
  }

  std::string Data(absl::string_view name = "") const {
    return name.empty() ? dir_.Join("data")
                        : absl::StrCat(dir_.Join("data"), "\\", name);
  }
};

TEST_F(FilesTest, WriteThenReadBinaryContent) {
  std::string content(3 << 20, '\0');
  for (size_t i = 0; i < content.size(); ++i) {
    content[i] = static_cast<char>(i * 7);
  }
  ASSERT_TRUE(host_->WriteFile(Data("md4ws.msi"), content).ok());
  auto back = host_->ReadFile(Data("md4ws.msi"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, content);
  ASSERT_TRUE(host_->WriteFile(Data("empty"), "").ok());
  EXPECT_EQ(*host_->ReadFile(Data("empty")), "");
}

TEST_F(FilesTest, WriteReplacesAtomicallyAndLeavesNoTemporaryFile) {
  ASSERT_TRUE(host_->WriteFile(Data("journal"), "old content").ok());
  ASSERT_TRUE(host_->WriteFile(Data("journal"), "new").ok());
  EXPECT_EQ(*host_->ReadFile(Data("journal")), "new");
  EXPECT_THAT(List(Data()), ElementsAre("journal"));
}

TEST_F(FilesTest, ATargetHeldOpenKeepsItsOldContent) {
  ASSERT_TRUE(host_->WriteFile(Data("journal"), "old content").ok());
  // Windows (and Wine) cannot rename over an open file, even one opened
  // with FILE_SHARE_DELETE. After its retries the write fails naming the
  // file, and the file still holds the whole old content.
  UniqueHandle reader = AdoptHandle(
      CreateFileW(Utf8ToWide(Data("journal")).c_str(), GENERIC_READ,
                  FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                  nullptr, OPEN_EXISTING, 0, nullptr));
  ASSERT_TRUE(reader);
  absl::Status s = host_->WriteFile(Data("journal"), "new");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("journal"));
  reader.reset();
  EXPECT_EQ(*host_->ReadFile(Data("journal")), "old content");
  EXPECT_THAT(List(Data()), ElementsAre("journal"));
  // Once it is closed, the replacement goes through.
  ASSERT_TRUE(host_->WriteFile(Data("journal"), "new").ok());
  EXPECT_EQ(*host_->ReadFile(Data("journal")), "new");
}

TEST_F(FilesTest, WriteNeedsAnExistingDirectory) {
  absl::Status s = host_->WriteFile(Data("missing\\file"), "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("missing"));
  ASSERT_TRUE(host_->CreateDirectories(Data("a dir")).ok());
  EXPECT_EQ(host_->WriteFile(Data("a dir"), "x").code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(FilesTest, ReadErrors) {
  EXPECT_EQ(host_->ReadFile(Data("missing")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(host_->ReadFile(Data()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(host_->ReadFile("relative\\path").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FilesTest, CreateDirectoriesMakesParentsAndIsIdempotent) {
  const std::string deep = Data("work\\task-1\\sub");
  ASSERT_TRUE(host_->CreateDirectories(deep).ok());
  EXPECT_TRUE(*host_->FileExists(deep));
  EXPECT_TRUE(host_->CreateDirectories(deep).ok());
  EXPECT_TRUE(host_->CreateDirectories(deep + "\\").ok());
  ASSERT_TRUE(host_->WriteFile(Data("file"), "x").ok());
  EXPECT_EQ(host_->CreateDirectories(Data("file\\sub")).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(FilesTest, ListDirectoryNamesEntriesSortedAndAbsentIsEmpty) {
  // The journal directory's shape: "<task>.<attempt>.journal" files.
  ASSERT_TRUE(host_->WriteFile(Data("t-2.1.journal"), "x").ok());
  ASSERT_TRUE(host_->WriteFile(Data("t-1.3.journal"), "y").ok());
  ASSERT_TRUE(host_->CreateDirectories(Data("sub")).ok());
  auto names = host_->ListDirectory(Data());
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_EQ(*names, (std::vector<std::string>{"sub", "t-1.3.journal",
                                              "t-2.1.journal"}));
  auto absent = host_->ListDirectory(Data("missing"));
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_TRUE(absent->empty());
}

TEST_F(FilesTest, DeleteDirectoryContentsKeepsTheFolder) {
  // The shape of ...\Windows Defender Advanced Threat Protection\Cyber.
  const std::string cyber = Data("Cyber");
  ASSERT_TRUE(host_->CreateDirectories(cyber + "\\a\\b\\c").ok());
  ASSERT_TRUE(host_->CreateDirectories(cyber + "\\empty").ok());
  ASSERT_TRUE(host_->WriteFile(cyber + "\\top.bin", "1").ok());
  ASSERT_TRUE(host_->WriteFile(cyber + "\\a\\b\\c\\deep.bin", "2").ok());
  ASSERT_TRUE(host_->WriteFile(cyber + "\\readonly.bin", "3").ok());
  ASSERT_TRUE(SetFileAttributesW(Utf8ToWide(cyber + "\\readonly.bin").c_str(),
                                 FILE_ATTRIBUTE_READONLY));
  ASSERT_TRUE(host_->DeleteDirectoryContents(cyber).ok());
  EXPECT_TRUE(*host_->FileExists(cyber));
  EXPECT_TRUE(List(cyber).empty());
  // Absent: success; a file: refused.
  EXPECT_TRUE(host_->DeleteDirectoryContents(Data("missing")).ok());
  ASSERT_TRUE(host_->WriteFile(Data("file"), "x").ok());
  EXPECT_EQ(host_->DeleteDirectoryContents(Data("file")).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(FilesTest, DeletingContentsNeverFollowsALink) {
  const std::string outside = dir_.Join("outside");
  ASSERT_TRUE(host_->CreateDirectories(outside).ok());
  ASSERT_TRUE(host_->WriteFile(outside + "\\precious.txt", "keep me").ok());
  const std::string link = Data("link-to-outside");
  CreateSymbolicLinkW(Utf8ToWide(link).c_str(), Utf8ToWide(outside).c_str(),
                      SYMBOLIC_LINK_FLAG_DIRECTORY | kAllowUnprivilegedCreate);
  const DWORD attributes = GetFileAttributesW(Utf8ToWide(link).c_str());
  if (attributes == INVALID_FILE_ATTRIBUTES ||
      !(attributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
    // Wine 8's CreateSymbolicLinkW reports success without making a link;
    // on Windows (developer mode or elevated) this test runs.
    GTEST_SKIP() << "this system cannot create a directory symbolic link";
  }
  ASSERT_TRUE(host_->DeleteDirectoryContents(Data()).ok());
  EXPECT_TRUE(List(Data()).empty());
  EXPECT_EQ(*host_->ReadFile(outside + "\\precious.txt"), "keep me");
}

TEST_F(FilesTest, DeletePathRemovesFilesAndTrees) {
  ASSERT_TRUE(host_->WriteFile(Data("f"), "x").ok());
  ASSERT_TRUE(host_->DeletePath(Data("f")).ok());
  EXPECT_FALSE(*host_->FileExists(Data("f")));
  ASSERT_TRUE(host_->CreateDirectories(Data("t\\u\\v")).ok());
  ASSERT_TRUE(host_->WriteFile(Data("t\\u\\v\\w"), "x").ok());
  ASSERT_TRUE(host_->DeletePath(Data("t")).ok());
  EXPECT_FALSE(*host_->FileExists(Data("t")));
  EXPECT_TRUE(host_->DeletePath(Data("t")).ok());  // absent: success
  EXPECT_EQ(host_->DeletePath("C:\\").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FilesTest, PathsLongerThanMaxPathWork) {
  std::string deep = Data();
  while (deep.size() < 400) {
    deep += "\\a-directory-name-of-forty-characters-xx";
  }
  ASSERT_TRUE(host_->CreateDirectories(deep).ok());
  ASSERT_TRUE(host_->WriteFile(deep + "\\file.txt", "deep").ok());
  EXPECT_EQ(*host_->ReadFile(deep + "\\file.txt"), "deep");
  ASSERT_TRUE(host_->DeleteDirectoryContents(Data()).ok());
  EXPECT_TRUE(List(Data()).empty());
}

TEST(ToExtendedPath, CanonicalisesAndPrefixes) {
  EXPECT_EQ(*ToExtendedPath("C:\\a\\..\\b\\.\\c"), L"\\\\?\\C:\\b\\c");
  EXPECT_EQ(*ToExtendedPath("C:/a/b/"), L"\\\\?\\C:\\a\\b");
  EXPECT_EQ(*ToExtendedPath("C:\\"), L"\\\\?\\C:\\");
  EXPECT_EQ(*ToExtendedPath("\\\\server\\share\\x"),
            L"\\\\?\\UNC\\server\\share\\x");
  for (const char* bad : {"relative", "C:relative", "\\\\.\\pipe\\x", ""}) {
    EXPECT_EQ(ToExtendedPath(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

// The access control entries of `path`'s DACL, as SDDL ACE strings.
std::vector<std::string> AceStrings(const std::string& path, bool* protect) {
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR raw = nullptr;
  EXPECT_EQ(GetNamedSecurityInfoW(Utf8ToWide(path).c_str(), SE_FILE_OBJECT,
                                  DACL_SECURITY_INFORMATION, nullptr, nullptr,
                                  &dacl, nullptr, &raw),
            ERROR_SUCCESS);
  UniqueLocal<void> descriptor(raw);
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision = 0;
  GetSecurityDescriptorControl(raw, &control, &revision);
  *protect = (control & SE_DACL_PROTECTED) != 0;
  wchar_t* sddl = nullptr;
  ConvertSecurityDescriptorToStringSecurityDescriptorW(
      raw, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &sddl, nullptr);
  UniqueLocal<wchar_t> owned(sddl);
  // "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)" -> {"A;OICI;FA;;;SY", ...}
  std::vector<std::string> aces;
  std::string text = sddl == nullptr ? "" : WideToUtf8(sddl);
  for (size_t open = text.find('('); open != std::string::npos;
       open = text.find('(', open + 1)) {
    aces.push_back(text.substr(open + 1, text.find(')', open) - open - 1));
  }
  return aces;
}

TEST(StateDirectory, DescriptorAllowsOnlySystemAndAdministrators) {
  // The descriptor the directory is created with, parsed back: exactly two
  // allow entries, inherited by files and folders, and no inheritance from
  // the parent.
  PSECURITY_DESCRIPTOR raw = nullptr;
  ASSERT_TRUE(ConvertStringSecurityDescriptorToSecurityDescriptorW(
      kStateDirectorySddl, SDDL_REVISION_1, &raw, nullptr));
  UniqueLocal<void> descriptor(raw);
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision = 0;
  ASSERT_TRUE(GetSecurityDescriptorControl(raw, &control, &revision));
  EXPECT_TRUE(control & SE_DACL_PROTECTED);
  BOOL present = FALSE;
  BOOL defaulted = FALSE;
  PACL dacl = nullptr;
  ASSERT_TRUE(GetSecurityDescriptorDacl(raw, &present, &dacl, &defaulted));
  ASSERT_TRUE(present);
  ASSERT_EQ(dacl->AceCount, 2);
  const WELL_KNOWN_SID_TYPE expected[] = {WinLocalSystemSid,
                                          WinBuiltinAdministratorsSid};
  for (DWORD i = 0; i < dacl->AceCount; ++i) {
    ACCESS_ALLOWED_ACE* ace = nullptr;
    ASSERT_TRUE(GetAce(dacl, i, reinterpret_cast<void**>(&ace)));
    EXPECT_EQ(ace->Header.AceType, ACCESS_ALLOWED_ACE_TYPE);
    EXPECT_EQ(ace->Header.AceFlags, OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE);
    EXPECT_EQ(ace->Mask, static_cast<DWORD>(FILE_ALL_ACCESS));
    EXPECT_TRUE(IsWellKnownSid(&ace->SidStart, expected[i])) << i;
  }
}

TEST(StateDirectory, CreatedProtectedByTheHost) {
  TempDir dir;
  WindowsHostOptions options;
  options.state_directory = dir.Join("ProgramData\\mdefleet");
  auto host = WindowsHost::Create(options);
  ASSERT_TRUE(host.ok()) << host.status();
  EXPECT_EQ((*host)->StateDirectory(), options.state_directory);
  EXPECT_TRUE(*(*host)->FileExists(options.state_directory));

  bool protect = false;
  const std::vector<std::string> aces =
      AceStrings(options.state_directory, &protect);
  // Nobody but privileged accounts may even read it.
  for (const std::string& ace : aces) {
    for (const char* broad : {";;;WD", ";;;BU", ";;;AU", ";;;IU"}) {
      EXPECT_THAT(ace, ::testing::Not(HasSubstr(broad))) << ace;
    }
  }
  EXPECT_THAT(aces, ::testing::Contains("A;OICI;FA;;;SY"));
  if (testing::RunningUnderWine()) {
    // Wine keeps no ACLs on files: it maps the DACL onto Unix permission
    // bits and rebuilds a DACL from them (owner and SYSTEM). What it shows
    // is that Everyone lost access (a plain directory there has an Everyone
    // entry); the exact DACL is checked on Windows.
    return;
  }
  EXPECT_TRUE(protect);
  EXPECT_THAT(aces, ElementsAre("A;OICI;FA;;;SY", "A;OICI;FA;;;BA"));
}

TEST(StateDirectory, ExistingDirectoryIsAcceptedAndAFileIsNot) {
  TempDir dir;
  WindowsHostOptions options;
  options.state_directory = dir.Join("state");
  ASSERT_TRUE(CreateDirectoryTree(options.state_directory).ok());
  // Already there (made with default rights): the protected DACL is applied
  // again. (Wine does not persist it; Windows does.)
  EXPECT_TRUE(WindowsHost::Create(options).ok());
  options.state_directory = dir.Join("file");
  ASSERT_TRUE(WriteFileAtomically(options.state_directory, "x").ok());
  EXPECT_EQ(WindowsHost::Create(options).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(StateDirectory, DefaultIsUnderProgramData) {
  auto dir = DefaultStateDirectory();
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_THAT(*dir, ::testing::EndsWith("\\mdefleet"));
  EXPECT_THAT(absl::AsciiStrToLower(*dir), HasSubstr("programdata"));
}

}  // namespace
}  // namespace mdefleet::runner::win
