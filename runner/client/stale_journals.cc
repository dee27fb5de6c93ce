#include "runner/client/stale_journals.h"

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runner/executor/action_policy.h"
#include "runner/host/windows_path.h"
#include "runner/journal/journal.h"

namespace mdefleet::runner {
namespace {

constexpr absl::string_view kSuffix = ".journal";

// "<task>.<attempt>.journal" -> (task, attempt).
std::optional<LiveAttempt> ParseJournalName(absl::string_view name) {
  if (!absl::ConsumeSuffix(&name, kSuffix)) return std::nullopt;
  const size_t dot = name.rfind('.');
  uint32_t attempt = 0;
  if (dot == absl::string_view::npos || dot == 0 ||
      !absl::SimpleAtoi(name.substr(dot + 1), &attempt)) {
    return std::nullopt;
  }
  return LiveAttempt{std::string(name.substr(0, dot)), attempt};
}

void Discard(Host& host, TaskJournal& journal, absl::string_view task_id) {
  journal.Remove().IgnoreError();
  auto work_dir = TaskWorkDirectory(host.StateDirectory(), task_id);
  if (work_dir.ok()) host.DeletePath(*work_dir).IgnoreError();
}

}  // namespace

std::vector<std::string> SettleStaleJournals(
    Host& host, StepReporter& reporter, const std::set<LiveAttempt>& live) {
  std::vector<std::string> lines;
  auto names = host.ListDirectory(JournalDirectory(host));
  if (!names.ok()) {
    lines.push_back(absl::StrCat("cannot list the journal directory: ",
                                 names.status().message()));
    return lines;
  }
  for (const std::string& name : *names) {
    std::optional<LiveAttempt> attempt = ParseJournalName(name);
    if (!attempt || live.count(*attempt) > 0) continue;
    const std::string label =
        absl::StrCat("task ", attempt->first, " attempt ", attempt->second);
    auto journal = TaskJournal::Open(host, attempt->first, attempt->second);
    if (!journal.ok()) {
      lines.push_back(absl::StrCat(label, ": unreadable journal deleted (",
                                   journal.status().message(), ")"));
      host.DeletePath(JoinWindowsPath(JournalDirectory(host), name))
          .IgnoreError();
      continue;
    }
    std::string refused;
    int delivered = 0;
    bool keep = false;
    for (const auto& [index, entry] : journal->entries()) {
      if (entry.phase != StepPhase::kExecuted) continue;
      auto response = reporter.ReportStep(entry.report);
      if (response.ok()) {
        ++delivered;
        journal->MarkAcknowledged(index).IgnoreError();
      } else if (absl::IsFailedPrecondition(response.status())) {
        refused = std::string(response.status().message());
        break;
      } else {
        keep = true;  // unreachable again: try at the next poll
        break;
      }
    }
    if (keep) continue;
    Discard(host, *journal, attempt->first);
    if (!refused.empty()) {
      lines.push_back(absl::StrCat(
          label, ": the server took the task back while this runner was away (",
          refused, "); its buffered result was not accepted; abandoned"));
    } else if (delivered > 0) {
      lines.push_back(absl::StrCat(label, ": delivered ", delivered,
                                   " buffered result(s); journal closed"));
    } else {
      lines.push_back(absl::StrCat(
          label, ": no longer delivered by the server (lease expired or task "
                 "ended); journal closed"));
    }
  }
  return lines;
}

}  // namespace mdefleet::runner
