#include "runner/host/windows/files.h"

#include <windows.h>
// windows.h first: these need its types.
#include <aclapi.h>
#include <sddl.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "runner/host/windows/unique_handle.h"
#include "runner/host/windows/wide_string.h"
#include "runner/host/windows/win_error.h"

namespace mdefleet::runner::win {
namespace {

constexpr std::wstring_view kExtendedPrefix = L"\\\\?\\";
constexpr std::wstring_view kExtendedUncPrefix = L"\\\\?\\UNC\\";
constexpr DWORD kIoChunk = 1 << 20;
// Attempts at renaming over a target someone holds open (about 1.3 s).
constexpr int kReplaceAttempts = 10;

std::atomic<uint64_t> temp_counter{0};

bool IsNotFound(DWORD error) {
  return error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND ||
         error == ERROR_BAD_NETPATH || error == ERROR_BAD_NET_NAME ||
         error == ERROR_INVALID_DRIVE;
}

// `extended` as an operator writes it: without the \\?\ prefix.
std::string Display(std::wstring_view extended) {
  if (extended.substr(0, kExtendedUncPrefix.size()) == kExtendedUncPrefix) {
    return absl::StrCat("\\\\",
                        WideToUtf8(extended.substr(kExtendedUncPrefix.size())));
  }
  if (extended.substr(0, kExtendedPrefix.size()) == kExtendedPrefix) {
    return WideToUtf8(extended.substr(kExtendedPrefix.size()));
  }
  return WideToUtf8(extended);
}

// Length of the root of an extended path: "\\?\C:\" or
// "\\?\UNC\server\share\" (0 when it has none).
size_t RootLength(std::wstring_view extended) {
  if (extended.substr(0, kExtendedUncPrefix.size()) == kExtendedUncPrefix) {
    const size_t server_end = extended.find(L'\\', kExtendedUncPrefix.size());
    if (server_end == std::wstring_view::npos) return extended.size();
    const size_t share_end = extended.find(L'\\', server_end + 1);
    return share_end == std::wstring_view::npos ? extended.size()
                                                : share_end + 1;
  }
  if (extended.size() >= kExtendedPrefix.size() + 3 &&
      extended[kExtendedPrefix.size() + 1] == L':') {
    return kExtendedPrefix.size() + 3;
  }
  return 0;
}

bool IsRoot(std::wstring_view extended) {
  return extended.size() <= RootLength(extended);
}

// The directory holding `extended` (not a root): "\\?\C:\a" for
// "\\?\C:\a\b", "\\?\C:\" for "\\?\C:\a".
std::wstring ParentOf(const std::wstring& extended) {
  const size_t slash = extended.rfind(L'\\');
  const size_t root = RootLength(extended);
  if (slash == std::wstring::npos || slash < root) {
    return extended.substr(0, root);
  }
  return extended.substr(0, slash);
}

// `dir` + "\\" + `name`, for a `dir` that may be a root ending in "\\".
std::wstring Child(const std::wstring& dir, std::wstring_view name) {
  std::wstring out = dir;
  if (out.empty() || out.back() != L'\\') out.push_back(L'\\');
  out.append(name);
  return out;
}

// GetFileAttributesW, with "absent" as nullopt.
[[nodiscard]] absl::StatusOr<std::optional<DWORD>> Attributes(
    const std::wstring& path) {
  const DWORD attributes = GetFileAttributesW(path.c_str());
  if (attributes != INVALID_FILE_ATTRIBUTES) return attributes;
  const DWORD error = GetLastError();
  if (IsNotFound(error)) return std::nullopt;
  return Win32ErrorStatus(error, Display(path));
}

bool IsDirectory(DWORD attributes) {
  return (attributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
}

bool IsLink(DWORD attributes) {
  return (attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0;
}

// Counts deletion failures and keeps the first.
class DeleteErrors {
 public:
  void Add(absl::Status status) {
    if (status.ok()) return;
    if (count_++ == 0) first_ = std::move(status);
  }
  int count() const { return count_; }
  [[nodiscard]] absl::Status ToStatus(absl::string_view under) const {
    if (count_ == 0) return absl::OkStatus();
    return absl::Status(
        first_.code(),
        absl::StrCat("cannot delete ", count_,
                     count_ == 1 ? " entry" : " entries", " under ", under,
                     "; first: ", first_.message()));
  }

 private:
  int count_ = 0;
  absl::Status first_;
};

// Clears FILE_ATTRIBUTE_READONLY, which makes DeleteFileW and (on some
// versions) RemoveDirectoryW fail with ERROR_ACCESS_DENIED.
void ClearReadOnly(const std::wstring& path, DWORD attributes) {
  if (attributes & FILE_ATTRIBUTE_READONLY) {
    const DWORD rest =
        attributes & ~static_cast<DWORD>(FILE_ATTRIBUTE_READONLY);
    SetFileAttributesW(path.c_str(), rest == 0 ? FILE_ATTRIBUTE_NORMAL : rest);
  }
}

[[nodiscard]] absl::Status RemoveFile(const std::wstring& path,
                                      DWORD attributes) {
  ClearReadOnly(path, attributes);
  if (DeleteFileW(path.c_str()) || IsNotFound(GetLastError())) {
    return absl::OkStatus();
  }
  return LastErrorStatus(absl::StrCat("cannot delete ", Display(path)));
}

// Removes an empty directory, or a directory link without touching its
// target. `error`, when given, receives the Win32 error (0 on success).
[[nodiscard]] absl::Status RemoveDirectoryEntry(const std::wstring& path,
                                                DWORD attributes,
                                                DWORD* error = nullptr) {
  ClearReadOnly(path, attributes);
  const DWORD code = RemoveDirectoryW(path.c_str()) ? 0 : GetLastError();
  if (error != nullptr) *error = code;
  if (code == 0 || IsNotFound(code)) return absl::OkStatus();
  return Win32ErrorStatus(code, absl::StrCat("cannot delete ", Display(path)));
}

// Deletes everything under directory `root` (an extended path), depth first
// with an explicit stack (a deep tree must not overflow the thread's stack).
// Directory links are removed as entries, never entered.
void DeleteContents(const std::wstring& root, DeleteErrors* errors) {
  struct Frame {
    std::wstring path;
    DWORD attributes;
    bool listed;
  };
  std::vector<Frame> stack = {{root, FILE_ATTRIBUTE_DIRECTORY, false}};
  while (!stack.empty()) {
    if (stack.back().listed) {
      Frame done = std::move(stack.back());
      stack.pop_back();
      if (done.path != root) {
        DWORD error = 0;
        absl::Status s =
            RemoveDirectoryEntry(done.path, done.attributes, &error);
        // Not empty because something inside could not be deleted: that was
        // counted already.
        if (error != ERROR_DIR_NOT_EMPTY || errors->count() == 0) {
          errors->Add(std::move(s));
        }
      }
      continue;
    }
    stack.back().listed = true;
    const std::wstring dir = stack.back().path;
    WIN32_FIND_DATAW entry;
    UniqueFindHandle find(FindFirstFileExW(Child(dir, L"*").c_str(),
                                           FindExInfoBasic, &entry,
                                           FindExSearchNameMatch, nullptr, 0));
    if (find.get() == INVALID_HANDLE_VALUE) {
      const DWORD error = GetLastError();
      if (error != ERROR_FILE_NOT_FOUND) {
        errors->Add(Win32ErrorStatus(
            error, absl::StrCat("cannot list ", Display(dir))));
      }
      continue;
    }
    do {
      const std::wstring_view name = entry.cFileName;
      if (name == L"." || name == L"..") continue;
      std::wstring child = Child(dir, name);
      const DWORD attributes = entry.dwFileAttributes;
      if (IsDirectory(attributes) && !IsLink(attributes)) {
        stack.push_back({std::move(child), attributes, false});
      } else if (IsDirectory(attributes)) {
        errors->Add(RemoveDirectoryEntry(child, attributes));
      } else {
        errors->Add(RemoveFile(child, attributes));
      }
    } while (FindNextFileW(find.get(), &entry));
  }
}

[[nodiscard]] absl::StatusOr<UniqueLocal<void>> StateDirectoryDescriptor() {
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(
          kStateDirectorySddl, SDDL_REVISION_1, &descriptor, nullptr)) {
    return LastErrorStatus("state directory security descriptor");
  }
  return UniqueLocal<void>(descriptor);
}

}  // namespace

bool IsAbsoluteWindowsPath(absl::string_view path) {
  const bool drive = path.size() >= 3 && absl::ascii_isalpha(path[0]) &&
                     path[1] == ':' && (path[2] == '\\' || path[2] == '/');
  return drive || absl::StartsWith(path, "\\\\");
}

absl::StatusOr<std::wstring> ToExtendedPath(absl::string_view path) {
  RETURN_IF_ERROR(CheckNoNul(path, "path"));
  if (!IsAbsoluteWindowsPath(path) || absl::StartsWith(path, "\\\\.\\")) {
    return absl::InvalidArgumentError(
        absl::StrCat("path \"", path, "\" is not an absolute file path"));
  }
  const std::wstring wide = Utf8ToWide(path);
  if (absl::StartsWith(path, "\\\\?\\")) return wide;
  const DWORD needed = GetFullPathNameW(wide.c_str(), 0, nullptr, nullptr);
  if (needed == 0) return LastErrorStatus(absl::StrCat("path ", path));
  std::wstring full(needed, L'\0');
  const DWORD length =
      GetFullPathNameW(wide.c_str(), needed, full.data(), nullptr);
  if (length == 0 || length >= needed) {
    return LastErrorStatus(absl::StrCat("path ", path));
  }
  full.resize(length);
  std::wstring out;
  if (full.size() >= 2 && full[0] == L'\\' && full[1] == L'\\') {
    out = std::wstring(kExtendedUncPrefix) + full.substr(2);
  } else {
    out = std::wstring(kExtendedPrefix) + full;
  }
  while (out.size() > RootLength(out) && out.back() == L'\\') out.pop_back();
  return out;
}

absl::StatusOr<std::string> ReadWholeFile(absl::string_view path) {
  ASSIGN_OR_RETURN(std::wstring full, ToExtendedPath(path));
  ASSIGN_OR_RETURN(std::optional<DWORD> attributes, Attributes(full));
  if (!attributes.has_value()) {
    return absl::NotFoundError(absl::StrCat("file ", path, " does not exist"));
  }
  if (IsDirectory(*attributes)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is a directory, not a file"));
  }
  // Others may read, write or rename the file meanwhile; the executor checks
  // the hash of what it read.
  UniqueHandle file = AdoptHandle(
      CreateFileW(full.c_str(), GENERIC_READ,
                  FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                  nullptr, OPEN_EXISTING, FILE_FLAG_SEQUENTIAL_SCAN, nullptr));
  if (!file) {
    const DWORD error = GetLastError();
    if (IsNotFound(error)) {
      return absl::NotFoundError(
          absl::StrCat("file ", path, " does not exist"));
    }
    return Win32ErrorStatus(error, absl::StrCat("cannot open ", path));
  }
  std::string content;
  LARGE_INTEGER size;
  if (GetFileSizeEx(file.get(), &size) && size.QuadPart > 0) {
    content.reserve(static_cast<size_t>(size.QuadPart));
  }
  std::vector<char> buffer(kIoChunk);
  for (;;) {
    DWORD n = 0;
    if (!::ReadFile(file.get(), buffer.data(), kIoChunk, &n, nullptr)) {
      return LastErrorStatus(absl::StrCat("cannot read ", path));
    }
    if (n == 0) break;
    content.append(buffer.data(), n);
  }
  return content;
}

absl::Status WriteFileAtomically(absl::string_view path,
                                 absl::string_view content) {
  ASSIGN_OR_RETURN(std::wstring full, ToExtendedPath(path));
  if (IsRoot(full)) {
    return absl::InvalidArgumentError(
        absl::StrCat("path \"", path, "\" is not a file path"));
  }
  const std::wstring dir = ParentOf(full);
  ASSIGN_OR_RETURN(std::optional<DWORD> dir_attributes, Attributes(dir));
  if (!dir_attributes.has_value() || !IsDirectory(*dir_attributes)) {
    return absl::NotFoundError(
        absl::StrCat("directory ", Display(dir), " does not exist"));
  }
  ASSIGN_OR_RETURN(std::optional<DWORD> attributes, Attributes(full));
  if (attributes.has_value() && IsDirectory(*attributes)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is a directory, not a file"));
  }
  // A short temporary name beside the target (same volume, so the rename is
  // atomic; short, so a long target name does not push it past 255).
  const std::wstring temp =
      Child(dir, L".mdefleet-" + std::to_wstring(GetCurrentProcessId()) + L"-" +
                     std::to_wstring(temp_counter.fetch_add(1)) + L".tmp");
  {
    UniqueHandle file =
        AdoptHandle(CreateFileW(temp.c_str(), GENERIC_WRITE, 0, nullptr,
                                CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr));
    if (!file) {
      return LastErrorStatus(
          absl::StrCat("cannot create a temporary file in ", Display(dir)));
    }
    absl::Status status;
    for (absl::string_view rest = content; status.ok() && !rest.empty();) {
      const DWORD chunk =
          static_cast<DWORD>(std::min<size_t>(rest.size(), kIoChunk));
      DWORD written = 0;
      if (!::WriteFile(file.get(), rest.data(), chunk, &written, nullptr) ||
          written == 0) {
        status = LastErrorStatus(absl::StrCat("cannot write ", path));
      }
      rest.remove_prefix(written);
    }
    if (status.ok() && !FlushFileBuffers(file.get())) {
      status = LastErrorStatus(absl::StrCat("cannot flush ", path));
    }
    if (!status.ok()) {
      file.reset();
      DeleteFileW(temp.c_str());
      return status;
    }
  }
  // A virus scanner or indexer may hold the target open for a moment, which
  // makes the rename fail: retry for about a second before giving up.
  DWORD delay_ms = 20;
  for (int attempt = 1;; ++attempt) {
    if (MoveFileExW(temp.c_str(), full.c_str(),
                    MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
      break;
    }
    const DWORD error = GetLastError();
    const bool transient = error == ERROR_ACCESS_DENIED ||
                           error == ERROR_SHARING_VIOLATION ||
                           error == ERROR_LOCK_VIOLATION;
    if (!transient || attempt == kReplaceAttempts) {
      DeleteFileW(temp.c_str());
      return Win32ErrorStatus(error, absl::StrCat("cannot replace ", path));
    }
    Sleep(delay_ms);
    delay_ms = std::min<DWORD>(delay_ms * 2, 200);
  }
  return absl::OkStatus();
}

absl::Status CreateDirectoryTree(absl::string_view path) {
  ASSIGN_OR_RETURN(std::wstring full, ToExtendedPath(path));
  const size_t root = RootLength(full);
  if (root == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("path \"", path, "\" has no drive or share"));
  }
  for (size_t end = root; end < full.size() + 1;) {
    size_t next = full.find(L'\\', end);
    if (next == std::wstring::npos) next = full.size();
    const std::wstring prefix = full.substr(0, next);
    end = next + 1;
    ASSIGN_OR_RETURN(std::optional<DWORD> attributes, Attributes(prefix));
    if (attributes.has_value()) {
      if (IsDirectory(*attributes)) continue;
      return absl::FailedPreconditionError(
          absl::StrCat(Display(prefix), " exists and is not a directory"));
    }
    if (!CreateDirectoryW(prefix.c_str(), nullptr)) {
      const DWORD error = GetLastError();
      // Someone else made it meanwhile: fine if it is a directory.
      if (error == ERROR_ALREADY_EXISTS) {
        ASSIGN_OR_RETURN(attributes, Attributes(prefix));
        if (attributes.has_value() && IsDirectory(*attributes)) continue;
      }
      return Win32ErrorStatus(
          error, absl::StrCat("cannot create directory ", Display(prefix)));
    }
  }
  return absl::OkStatus();
}

absl::Status EmptyDirectory(absl::string_view path) {
  ASSIGN_OR_RETURN(std::wstring full, ToExtendedPath(path));
  if (IsRoot(full)) {
    return absl::InvalidArgumentError(
        absl::StrCat("refusing to empty the root ", path));
  }
  ASSIGN_OR_RETURN(std::optional<DWORD> attributes, Attributes(full));
  if (!attributes.has_value()) return absl::OkStatus();
  if (!IsDirectory(*attributes)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a directory"));
  }
  if (IsLink(*attributes)) {
    // Emptying a link would empty its target, which can be anywhere.
    return absl::FailedPreconditionError(absl::StrCat(
        path,
        " is a junction or symbolic link; the runner does not delete "
        "through links"));
  }
  DeleteErrors errors;
  DeleteContents(full, &errors);
  return errors.ToStatus(path);
}

absl::Status DeletePathTree(absl::string_view path) {
  ASSIGN_OR_RETURN(std::wstring full, ToExtendedPath(path));
  if (IsRoot(full)) {
    return absl::InvalidArgumentError(
        absl::StrCat("refusing to delete the root ", path));
  }
  ASSIGN_OR_RETURN(std::optional<DWORD> attributes, Attributes(full));
  if (!attributes.has_value()) return absl::OkStatus();
  if (!IsDirectory(*attributes)) return RemoveFile(full, *attributes);
  if (IsLink(*attributes)) return RemoveDirectoryEntry(full, *attributes);
  DeleteErrors errors;
  DeleteContents(full, &errors);
  RETURN_IF_ERROR(errors.ToStatus(path));
  return RemoveDirectoryEntry(full, *attributes);
}

absl::StatusOr<std::vector<std::string>> ListDirectoryNames(
    absl::string_view path) {
  ASSIGN_OR_RETURN(std::wstring full, ToExtendedPath(path));
  std::vector<std::string> names;
  WIN32_FIND_DATAW entry;
  UniqueFindHandle find(FindFirstFileExW(Child(full, L"*").c_str(),
                                         FindExInfoBasic, &entry,
                                         FindExSearchNameMatch, nullptr, 0));
  if (find.get() == INVALID_HANDLE_VALUE) {
    const DWORD error = GetLastError();
    if (error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND) {
      return names;
    }
    return Win32ErrorStatus(error, absl::StrCat("cannot list ", path));
  }
  do {
    const std::wstring_view name = entry.cFileName;
    if (name == L"." || name == L"..") continue;
    names.push_back(WideToUtf8(name));
  } while (FindNextFileW(find.get(), &entry));
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<bool> PathExists(absl::string_view path) {
  ASSIGN_OR_RETURN(std::wstring full, ToExtendedPath(path));
  ASSIGN_OR_RETURN(std::optional<DWORD> attributes, Attributes(full));
  return attributes.has_value();
}

absl::Status CreateProtectedDirectory(absl::string_view path) {
  ASSIGN_OR_RETURN(std::wstring full, ToExtendedPath(path));
  if (IsRoot(full)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the state directory cannot be the root ", path));
  }
  RETURN_IF_ERROR(CreateDirectoryTree(Display(ParentOf(full))));
  ASSIGN_OR_RETURN(UniqueLocal<void> descriptor, StateDirectoryDescriptor());
  SECURITY_ATTRIBUTES security = {sizeof(security), descriptor.get(), FALSE};
  if (CreateDirectoryW(full.c_str(), &security)) return absl::OkStatus();
  const DWORD error = GetLastError();
  if (error != ERROR_ALREADY_EXISTS) {
    return Win32ErrorStatus(
        error, absl::StrCat("cannot create the state directory ", path));
  }
  ASSIGN_OR_RETURN(std::optional<DWORD> attributes, Attributes(full));
  if (!attributes.has_value() || !IsDirectory(*attributes) ||
      IsLink(*attributes)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the state directory ", path,
        " exists but is not a plain directory (a file or a link)"));
  }
  BOOL present = FALSE;
  BOOL defaulted = FALSE;
  PACL dacl = nullptr;
  if (!GetSecurityDescriptorDacl(descriptor.get(), &present, &dacl,
                                 &defaulted)) {
    return LastErrorStatus("state directory security descriptor");
  }
  // SetNamedSecurityInfoW also pushes the inheritable entries down to what
  // the directory already holds.
  std::wstring plain = Utf8ToWide(Display(full));
  const DWORD rc = SetNamedSecurityInfoW(
      plain.data(), SE_FILE_OBJECT,
      DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, nullptr,
      nullptr, dacl, nullptr);
  if (rc != ERROR_SUCCESS) {
    return Win32ErrorStatus(
        rc, absl::StrCat("cannot protect the state directory ", path));
  }
  return absl::OkStatus();
}

}  // namespace mdefleet::runner::win
