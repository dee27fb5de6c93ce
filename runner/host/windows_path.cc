#include "runner/host/windows_path.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace mdefleet::runner {

std::string NormalizeWindowsPath(absl::string_view path) {
  std::string out;
  out.reserve(path.size());
  const bool unc =
      absl::StartsWith(path, "\\\\") || absl::StartsWith(path, "//");
  for (char c : path) {
    if (c == '/') c = '\\';
    if (c == '\\' && !out.empty() && out.back() == '\\' &&
        !(unc && out.size() == 1)) {
      continue;
    }
    out.push_back(c);
  }
  while (out.size() > 1 && out.back() == '\\' &&
         !(out.size() == 3 && out[1] == ':')) {
    out.pop_back();
  }
  return out;
}

std::string JoinWindowsPath(absl::string_view dir, absl::string_view name) {
  if (dir.empty()) return NormalizeWindowsPath(name);
  return NormalizeWindowsPath(absl::StrCat(dir, "\\", name));
}

std::string WindowsBaseName(absl::string_view path) {
  std::string n = NormalizeWindowsPath(path);
  size_t pos = n.find_last_of('\\');
  return pos == std::string::npos ? n : n.substr(pos + 1);
}

std::string WindowsDirName(absl::string_view path) {
  std::string n = NormalizeWindowsPath(path);
  size_t pos = n.find_last_of('\\');
  if (pos == std::string::npos) return "";
  if (pos == 2 && n[1] == ':') return n.substr(0, 3);
  return n.substr(0, pos);
}

bool SameWindowsPath(absl::string_view a, absl::string_view b) {
  return absl::EqualsIgnoreCase(NormalizeWindowsPath(a),
                                NormalizeWindowsPath(b));
}

bool IsWithinWindowsDirectory(absl::string_view path, absl::string_view dir) {
  std::vector<std::string> p =
      absl::StrSplit(NormalizeWindowsPath(path), '\\', absl::SkipEmpty());
  std::vector<std::string> d =
      absl::StrSplit(NormalizeWindowsPath(dir), '\\', absl::SkipEmpty());
  if (d.empty() || p.size() < d.size()) return false;
  for (const std::string& part : p) {
    if (part == ".." || part == ".") return false;
  }
  for (size_t i = 0; i < d.size(); ++i) {
    if (!absl::EqualsIgnoreCase(p[i], d[i])) return false;
  }
  return true;
}

}  // namespace mdefleet::runner
