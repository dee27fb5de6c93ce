#include "server/cli/progress.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "server/cli/format.h"
#include "server/cli/table.h"

namespace mdefleet::cli {
namespace {

constexpr size_t kMaxBarWidth = 30;
constexpr size_t kMinBarWidth = 10;

std::string FailureLine(const v1::StepFailure& failure) {
  return absl::StrCat("  ", Inert(failure.step_name()), " (", failure.count(),
                      failure.count() == 1 ? " device" : " devices",
                      "): ", Inert(failure.message()));
}

std::string Truncate(std::string text, size_t columns) {
  if (columns == 0 || DisplayWidth(text) <= columns) return text;
  // Cut on a code point boundary, leaving room for "...".
  size_t keep = columns > 3 ? columns - 3 : 0;
  size_t width = 0;
  size_t i = 0;
  for (; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (width == keep) break;
      ++width;
    }
  }
  text.resize(i);
  text.append(std::string(std::min<size_t>(3, columns), '.'));
  return text;
}

}  // namespace

uint32_t FinishedTasks(const v1::TaskCounts& c) {
  return c.succeeded() + c.failed() + c.skipped() + c.cancelled() +
         c.timed_out() + c.expired();
}

std::string RenderCounts(const v1::TaskCounts& c) {
  if (c.total() == 0) return "no tasks";
  const std::pair<const char*, uint32_t> states[] = {
      {"succeeded", c.succeeded()}, {"failed", c.failed()},
      {"skipped", c.skipped()},     {"timed_out", c.timed_out()},
      {"expired", c.expired()},     {"cancelled", c.cancelled()},
      {"running", c.running()},     {"leased", c.leased()},
      {"queued", c.queued()},
  };
  std::vector<std::string> parts;
  for (const auto& [name, count] : states) {
    if (count > 0) parts.push_back(absl::StrCat(name, " ", count));
  }
  if (parts.empty()) return absl::StrCat("total ", c.total());
  return absl::StrJoin(parts, ", ");
}

std::string RenderProgressLine(const v1::Job& job, size_t columns) {
  const v1::TaskCounts& c = job.counts();
  const uint32_t done = FinishedTasks(c);
  const uint32_t total = c.total();
  const int percent =
      total == 0 ? (IsFinal(job.state()) ? 100 : 0)
                 : static_cast<int>(static_cast<uint64_t>(done) * 100 / total);
  const std::string state = JobStateName(job.state());
  const std::string numbers =
      absl::StrFormat("%3d%%  %u/%u  ", percent, done, total);
  const std::string counts = RenderCounts(c);

  // state + " [" + bar + "] " + numbers + counts
  const size_t fixed = DisplayWidth(state) + 3 + DisplayWidth(numbers);
  size_t bar_width = kMaxBarWidth;
  if (columns > 0) {
    const size_t room = columns > fixed + DisplayWidth(counts)
                            ? columns - fixed - DisplayWidth(counts)
                            : 0;
    bar_width = std::clamp(room, kMinBarWidth, kMaxBarWidth);
  }
  const size_t filled = total == 0
                            ? (percent == 100 ? bar_width : 0)
                            : static_cast<size_t>(static_cast<uint64_t>(done) *
                                                  bar_width / total);
  std::string bar(filled, '#');
  bar.append(bar_width - filled, '.');
  return Truncate(absl::StrCat(state, " [", bar, "] ", numbers, counts),
                  columns);
}

std::string RenderStepSummary(const v1::Job& job) {
  if (job.step_summary_size() == 0) return "";
  Table table({"STEP", "SUCCEEDED", "FAILED", "SKIPPED", "RUNNING", "PENDING"});
  for (size_t i = 1; i <= 5; ++i) table.SetAlign(i, Table::Align::kRight);
  for (const v1::StepSummary& s : job.step_summary()) {
    table.AddRow({s.step_name(), absl::StrCat(s.succeeded()),
                  absl::StrCat(s.failed()), absl::StrCat(s.skipped()),
                  absl::StrCat(s.running()), absl::StrCat(s.pending())});
  }
  return table.Render();
}

std::string RenderFailingSteps(const v1::Job& job) {
  std::string out;
  for (const v1::StepFailure& failure : job.failing_steps()) {
    absl::StrAppend(&out, FailureLine(failure), "\n");
  }
  return out;
}

std::vector<std::string> FailureTracker::NewFailures(const v1::Job& job) {
  std::vector<std::string> lines;
  for (const v1::StepFailure& failure : job.failing_steps()) {
    if (seen_.emplace(failure.step_name(), failure.message()).second) {
      lines.push_back(absl::StrCat("failed:", FailureLine(failure).substr(1)));
    }
  }
  return lines;
}

}  // namespace mdefleet::cli
