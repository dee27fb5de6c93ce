#include "runner/journal/journal.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runner/host/windows_path.h"

namespace mdefleet::runner {
namespace {

constexpr absl::string_view kHeader = "mdefleet-journal";

absl::string_view PhaseName(StepPhase p) {
  switch (p) {
    case StepPhase::kStarted:
      return "started";
    case StepPhase::kExecuted:
      return "executed";
    case StepPhase::kAcknowledged:
      return "acknowledged";
  }
  return "started";
}

std::optional<StepPhase> ParsePhase(absl::string_view s) {
  for (StepPhase p :
       {StepPhase::kStarted, StepPhase::kExecuted, StepPhase::kAcknowledged}) {
    if (PhaseName(p) == s) return p;
  }
  return std::nullopt;
}

constexpr absl::string_view kRebootRecord = "reboot";

absl::string_view RebootPhaseName(RebootPhase p) {
  switch (p) {
    case RebootPhase::kWaiting:
      return "waiting";
    case RebootPhase::kRequested:
      return "requested";
    case RebootPhase::kScheduled:
      return "scheduled";
    case RebootPhase::kDone:
      return "done";
  }
  return "done";
}

std::optional<RebootPhase> ParseRebootPhase(absl::string_view s) {
  for (RebootPhase p : {RebootPhase::kWaiting, RebootPhase::kRequested,
                        RebootPhase::kScheduled, RebootPhase::kDone}) {
    if (RebootPhaseName(p) == s) return p;
  }
  return std::nullopt;
}

int64_t TimeField(absl::Time t) {
  return t == absl::InfinitePast() ? 0 : absl::ToUnixNanos(t);
}

absl::Time FromTimeField(int64_t nanos) {
  return nanos == 0 ? absl::InfinitePast() : absl::FromUnixNanos(nanos);
}

// "reboot <step> <phase> <boot ns> <requested ns> <delay ns> <count>
// <base64 reason>[ completes]" (the last field only when set, so journals
// without it read as before).
std::string FormatReboot(const JournalReboot& r) {
  return absl::StrCat(
      kRebootRecord, " ", r.step_index, " ", RebootPhaseName(r.phase), " ",
      TimeField(r.boot_time_before), " ", TimeField(r.requested_at), " ",
      absl::ToInt64Nanoseconds(r.delay), " ", r.count, " ",
      absl::Base64Escape(r.reason), r.completes_step ? " completes" : "", "\n");
}

std::optional<JournalReboot> ParseReboot(
    const std::vector<absl::string_view>& f) {
  JournalReboot r;
  int64_t boot = 0;
  int64_t requested = 0;
  int64_t delay = 0;
  const bool completes = f.size() == 9 && f[8] == "completes";
  auto phase =
      f.size() == 8 || completes ? ParseRebootPhase(f[2]) : std::nullopt;
  if (!phase || !absl::SimpleAtoi(f[1], &r.step_index) ||
      !absl::SimpleAtoi(f[3], &boot) || !absl::SimpleAtoi(f[4], &requested) ||
      !absl::SimpleAtoi(f[5], &delay) || !absl::SimpleAtoi(f[6], &r.count) ||
      !absl::Base64Unescape(f[7], &r.reason)) {
    return std::nullopt;
  }
  r.phase = *phase;
  r.completes_step = completes;
  r.boot_time_before = FromTimeField(boot);
  r.requested_at = FromTimeField(requested);
  r.delay = absl::Nanoseconds(delay);
  return r;
}

bool IsPlainName(absl::string_view s) {
  if (s.empty() || s == "." || s == "..") return false;
  for (char c : s) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
          c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string JournalDirectory(const Host& host) {
  return JoinWindowsPath(host.StateDirectory(), "journal");
}

absl::StatusOr<TaskJournal> TaskJournal::Open(Host& host,
                                              absl::string_view task_id,
                                              uint32_t attempt) {
  if (!IsPlainName(task_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("task id \"", task_id, "\" is not a plain name"));
  }
  const std::string dir = JournalDirectory(host);
  if (absl::Status s = host.CreateDirectories(dir); !s.ok()) return s;
  TaskJournal journal(
      host,
      JoinWindowsPath(dir, absl::StrCat(task_id, ".", attempt, ".journal")),
      std::string(task_id), attempt);
  auto text = host.ReadFile(journal.path_);
  if (absl::IsNotFound(text.status())) return journal;
  if (!text.ok()) return text.status();
  auto corrupt = [&](absl::string_view why) {
    return absl::DataLossError(
        absl::StrCat("journal ", journal.path_, " is corrupt: ", why));
  };
  bool header = false;
  for (absl::string_view line :
       absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    if (!header) {
      if (f.size() != 4 || f[0] != kHeader || f[1] != "1" || f[2] != task_id ||
          f[3] != absl::StrCat(attempt)) {
        return corrupt("bad header");
      }
      header = true;
      continue;
    }
    if (!f.empty() && f[0] == kRebootRecord) {
      journal.reboot_ = ParseReboot(f);
      if (!journal.reboot_) {
        return corrupt(absl::StrCat("bad record \"", line.substr(0, 40), "\""));
      }
      continue;
    }
    uint32_t index = 0;
    std::string bytes;
    auto phase = f.size() == 3 ? ParsePhase(f[1]) : std::nullopt;
    JournalEntry entry;
    if (!phase || !absl::SimpleAtoi(f[0], &index) ||
        !absl::Base64Unescape(f[2], &bytes) ||
        !entry.report.ParseFromString(bytes)) {
      return corrupt(absl::StrCat("bad record \"", line.substr(0, 40), "\""));
    }
    entry.phase = *phase;
    journal.entries_[index] = std::move(entry);
  }
  if (!header) return corrupt("empty");
  return journal;
}

std::optional<JournalEntry> TaskJournal::Get(uint32_t index) const {
  auto it = entries_.find(index);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

absl::Status TaskJournal::Save() {
  std::string out = absl::StrCat(kHeader, " 1 ", task_id_, " ", attempt_, "\n");
  for (const auto& [index, entry] : entries_) {
    absl::StrAppend(&out, index, " ", PhaseName(entry.phase), " ",
                    absl::Base64Escape(entry.report.SerializeAsString()), "\n");
  }
  if (reboot_) absl::StrAppend(&out, FormatReboot(*reboot_));
  return host_->WriteFile(path_, out);
}

absl::Status TaskJournal::MarkStarted(uint32_t index,
                                      const v1::ReportStepRequest& running) {
  JournalEntry& e = entries_[index];
  e.phase = StepPhase::kStarted;
  e.report = running;
  e.report.clear_facts();
  return Save();
}

absl::Status TaskJournal::MarkExecuted(uint32_t index,
                                       const v1::ReportStepRequest& final) {
  JournalEntry& e = entries_[index];
  e.phase = StepPhase::kExecuted;
  e.report = final;
  e.report.clear_facts();
  return Save();
}

absl::Status TaskJournal::MarkAcknowledged(uint32_t index) {
  auto it = entries_.find(index);
  if (it == entries_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("journal: step ", index, " acknowledged before it ran"));
  }
  it->second.phase = StepPhase::kAcknowledged;
  return Save();
}

absl::Status TaskJournal::SetReboot(const JournalReboot& reboot) {
  reboot_ = reboot;
  return Save();
}

absl::Status TaskJournal::Remove() { return host_->DeletePath(path_); }

}  // namespace mdefleet::runner
