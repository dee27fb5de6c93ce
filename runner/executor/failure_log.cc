#include "runner/executor/failure_log.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runner/executor/action_policy.h"
#include "runner/executor/step_executor.h"

namespace mdefleet::runner {
namespace {

// Bytes read from the end of a log: MSI logs of a failed install run to
// megabytes, the explanation is near the end.
constexpr size_t kMaxLogRead = 256 * 1024;
constexpr int kExcerptLines = 8;
constexpr size_t kExcerptBytes = 1500;

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool LooksUtf16Le(absl::string_view bytes) {
  if (absl::StartsWith(bytes, "\xFF\xFE")) return true;
  const size_t n = std::min<size_t>(bytes.size() & ~size_t{1}, 64);
  if (n < 4) return false;
  for (size_t i = 1; i < n; i += 2) {
    if (bytes[i] != '\0') return false;
  }
  return true;
}

}  // namespace

bool MatchesLogPattern(absl::string_view name, absl::string_view pattern) {
  const std::string n = absl::AsciiStrToLower(name);
  const std::string p = absl::AsciiStrToLower(pattern);
  // Each "*" takes one or more characters other than '.' and '\\'; the
  // patterns are short, so trying every split is cheap.
  std::function<bool(size_t, size_t)> match = [&](size_t i, size_t j) {
    if (j == p.size()) return i == n.size();
    if (p[j] != '*') return i < n.size() && n[i] == p[j] && match(i + 1, j + 1);
    for (size_t k = i; k < n.size() && n[k] != '.' && n[k] != '\\'; ++k) {
      if (match(k + 1, j + 1)) return true;
    }
    return false;
  };
  return match(0, 0);
}

std::string DecodeLogText(absl::string_view bytes) {
  if (!LooksUtf16Le(bytes)) return std::string(bytes);
  absl::ConsumePrefix(&bytes, "\xFF\xFE");
  std::string out;
  out.reserve(bytes.size() / 2);
  for (size_t i = 0; i + 1 < bytes.size(); i += 2) {
    uint32_t unit = static_cast<unsigned char>(bytes[i]) |
                    (static_cast<unsigned char>(bytes[i + 1]) << 8);
    if (unit >= 0xD800 && unit < 0xDC00 && i + 3 < bytes.size()) {
      const uint32_t low = static_cast<unsigned char>(bytes[i + 2]) |
                           (static_cast<unsigned char>(bytes[i + 3]) << 8);
      if (low >= 0xDC00 && low < 0xE000) {
        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
        i += 2;
      }
    }
    if (unit >= 0xD800 && unit < 0xE000) unit = '?';  // lone surrogate
    AppendUtf8(unit, &out);
  }
  return out;
}

std::string LogExcerpt(absl::string_view text, int max_lines,
                       size_t max_bytes) {
  std::vector<absl::string_view> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) lines.push_back(line);
  }
  size_t end = lines.size();
  for (size_t i = lines.size(); i > 0; --i) {
    if (absl::StrContains(lines[i - 1], "Return value 3")) {
      end = i;
      break;
    }
  }
  const size_t begin =
      end > static_cast<size_t>(max_lines) ? end - max_lines : 0;
  const std::string joined =
      absl::StrJoin(std::vector<absl::string_view>(lines.begin() + begin,
                                                   lines.begin() + end),
                    " | ");
  return TailUtf8(joined, max_bytes);
}

std::optional<std::string> ReadFailureLog(
    Host& host, const google::protobuf::RepeatedPtrField<v1::FailureLog>& logs,
    absl::string_view work_dir, int exit_code) {
  for (const v1::FailureLog& log : logs) {
    if (std::find(log.exit_codes().begin(), log.exit_codes().end(),
                  exit_code) == log.exit_codes().end()) {
      continue;
    }
    absl::string_view pattern = log.path();
    if (!absl::ConsumePrefix(&pattern, kWorkDirVariable) ||
        !absl::ConsumePrefix(&pattern, "\\") ||
        absl::StrContains(pattern, '\\') || pattern.empty()) {
      return absl::StrCat("log \"", log.path(),
                          "\" not read: only files directly in ${work_dir} "
                          "are");
    }
    absl::StatusOr<std::vector<std::string>> names =
        host.ListDirectory(work_dir);
    if (!names.ok()) {
      return absl::StrCat("cannot list ", work_dir, " for ", pattern, ": ",
                          names.status().message());
    }
    std::optional<std::string> found;
    for (const std::string& name : *names) {  // sorted: keeps the last
      if (MatchesLogPattern(name, pattern)) found = name;
    }
    if (!found) return absl::StrCat("no ", pattern, " was written");
    const std::string path = absl::StrCat(work_dir, "\\", *found);
    absl::StatusOr<std::string> bytes = host.ReadFile(path);
    if (!bytes.ok()) {
      return absl::StrCat("cannot read ", *found, ": ",
                          bytes.status().message());
    }
    absl::string_view tail = *bytes;
    if (tail.size() > kMaxLogRead) {
      tail.remove_prefix((tail.size() - kMaxLogRead) & ~size_t{1});
    }
    return absl::StrCat(
        *found, ": ",
        LogExcerpt(DecodeLogText(tail), kExcerptLines, kExcerptBytes));
  }
  return std::nullopt;
}

}  // namespace mdefleet::runner
