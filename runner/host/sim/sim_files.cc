#include "runner/host/sim/sim_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runner/host/windows_path.h"

namespace mdefleet::runner::sim {
namespace fs = std::filesystem;
namespace {

[[nodiscard]] absl::Status FromErrorCode(const std::error_code& ec,
                                         absl::string_view what,
                                         absl::string_view path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", ec.message()));
}

}  // namespace

absl::StatusOr<std::string> SimFiles::Map(absl::string_view path) const {
  std::string n = NormalizeWindowsPath(path);
  if (n.size() < 2 || n[1] != ':' ||
      !absl::ascii_isalpha(static_cast<unsigned char>(n[0])) ||
      (n.size() > 2 && n[2] != '\\')) {
    return absl::InvalidArgumentError(absl::StrCat(
        "path \"", path, "\" is not an absolute Windows path (X:\\...)"));
  }
  std::string out =
      absl::StrCat(root_, "/", std::string(1, absl::ascii_toupper(n[0])));
  for (absl::string_view part : absl::StrSplit(absl::string_view(n).substr(2),
                                               '\\', absl::SkipEmpty())) {
    if (part == ".." || part == ".") {
      return absl::InvalidArgumentError(
          absl::StrCat("path \"", path, "\" contains \"", part, "\""));
    }
    absl::StrAppend(&out, "/", part);
  }
  return out;
}

absl::StatusOr<std::string> SimFiles::Read(absl::string_view path) const {
  auto mapped = Map(path);
  if (!mapped.ok()) return mapped.status();
  std::ifstream in(*mapped, std::ios::binary);
  if (!in) {
    if (!fs::exists(*mapped)) {
      return absl::NotFoundError(absl::StrCat("file ", path, " not found"));
    }
    return absl::PermissionDeniedError(absl::StrCat("cannot open ", path));
  }
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

absl::Status SimFiles::Write(absl::string_view path,
                             absl::string_view content) const {
  auto mapped = Map(path);
  if (!mapped.ok()) return mapped.status();
  if (!fs::is_directory(fs::path(*mapped).parent_path())) {
    return absl::NotFoundError(
        absl::StrCat("directory of ", path, " does not exist"));
  }
  const std::string tmp = *mapped + ".tmp-write";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return absl::InternalError(
          absl::StrCat("cannot write ", path, ": ", std::strerror(err)));
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot flush ", path));
  }
  if (::rename(tmp.c_str(), mapped->c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return absl::InternalError(
        absl::StrCat("cannot replace ", path, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

absl::Status SimFiles::CreateDirectories(absl::string_view path) const {
  auto mapped = Map(path);
  if (!mapped.ok()) return mapped.status();
  std::error_code ec;
  fs::create_directories(*mapped, ec);
  if (ec) return FromErrorCode(ec, "cannot create directory", path);
  return absl::OkStatus();
}

absl::Status SimFiles::DeleteContents(absl::string_view path) const {
  auto mapped = Map(path);
  if (!mapped.ok()) return mapped.status();
  std::error_code ec;
  if (!fs::exists(*mapped, ec)) return absl::OkStatus();
  if (!fs::is_directory(*mapped, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a directory"));
  }
  for (const auto& entry : fs::directory_iterator(*mapped, ec)) {
    fs::remove_all(entry.path(), ec);
    if (ec) return FromErrorCode(ec, "cannot delete", entry.path().string());
  }
  if (ec) return FromErrorCode(ec, "cannot list", path);
  return absl::OkStatus();
}

absl::Status SimFiles::Delete(absl::string_view path) const {
  auto mapped = Map(path);
  if (!mapped.ok()) return mapped.status();
  std::error_code ec;
  fs::remove_all(*mapped, ec);
  if (ec) return FromErrorCode(ec, "cannot delete", path);
  return absl::OkStatus();
}

absl::StatusOr<bool> SimFiles::Exists(absl::string_view path) const {
  auto mapped = Map(path);
  if (!mapped.ok()) return mapped.status();
  std::error_code ec;
  bool exists = fs::exists(*mapped, ec);
  if (ec) return FromErrorCode(ec, "cannot stat", path);
  return exists;
}

absl::StatusOr<std::vector<std::string>> SimFiles::List(
    absl::string_view path) const {
  auto mapped = Map(path);
  if (!mapped.ok()) return mapped.status();
  std::vector<std::string> names;
  std::error_code ec;
  if (!fs::exists(*mapped, ec)) return names;
  for (const auto& entry : fs::directory_iterator(*mapped, ec)) {
    names.push_back(entry.path().filename().string());
  }
  if (ec) return FromErrorCode(ec, "cannot list", path);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace mdefleet::runner::sim
