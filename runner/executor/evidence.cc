#include "runner/executor/evidence.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/evidence_limits.h"
#include "common/gzip.h"
#include "runner/executor/action_policy.h"
#include "runner/executor/failure_log.h"
#include "runner/executor/step_executor.h"

namespace mdefleet::runner {
namespace {

// The last kMaxEvidenceFileBytes of `text` as valid UTF-8.
EvidenceItem Item(std::string name, absl::string_view text,
                  uint64_t original_size) {
  EvidenceItem item;
  item.name = std::move(name);
  item.original_size = original_size;
  item.truncated = text.size() > kMaxEvidenceFileBytes;
  item.content = TailUtf8(text, kMaxEvidenceFileBytes);
  return item;
}

}  // namespace

std::vector<EvidenceItem> CollectProcessEvidence(
    Host& host, const v1::RunProcessAction& action, absl::string_view work_dir,
    const ProcessResult& result) {
  std::vector<EvidenceItem> items;
  if (!result.stdout_text.empty()) {
    items.push_back(
        Item("stdout.txt", result.stdout_text, result.stdout_text.size()));
  }
  if (!result.stderr_text.empty()) {
    items.push_back(
        Item("stderr.txt", result.stderr_text, result.stderr_text.size()));
  }
  std::vector<std::string> notes;
  absl::StatusOr<std::vector<std::string>> names = host.ListDirectory(work_dir);
  if (!names.ok()) {
    notes.push_back(
        absl::StrCat("cannot list ", work_dir, ": ", names.status().message()));
  }
  for (const v1::FailureLog& log : action.failure_logs()) {
    absl::string_view pattern = log.path();
    // Only files directly in the work directory, as ReadFailureLog.
    if (!names.ok() || !absl::ConsumePrefix(&pattern, kWorkDirVariable) ||
        !absl::ConsumePrefix(&pattern, "\\") ||
        absl::StrContains(pattern, '\\') || pattern.empty()) {
      continue;
    }
    for (const std::string& name : *names) {
      if (!MatchesLogPattern(name, pattern) || !IsValidEvidenceName(name)) {
        continue;
      }
      if (static_cast<int>(items.size()) >= kMaxEvidenceFiles - 1) {
        notes.push_back(absl::StrCat(name, ": not kept (at most ",
                                     kMaxEvidenceFiles, " files)"));
        continue;
      }
      const std::string path = absl::StrCat(work_dir, "\\", name);
      absl::StatusOr<std::string> bytes = host.ReadFile(path);
      if (!bytes.ok()) {
        notes.push_back(
            absl::StrCat("cannot read ", name, ": ", bytes.status().message()));
        continue;
      }
      items.push_back(Item(name, DecodeLogText(*bytes), bytes->size()));
    }
  }
  if (!notes.empty()) {
    const std::string text = absl::StrJoin(notes, "\r\n");
    items.push_back(Item("evidence-notes.txt", text, text.size()));
  }
  return items;
}

absl::StatusOr<v1::UploadEvidenceRequest> PackEvidence(
    const std::vector<EvidenceItem>& items) {
  v1::UploadEvidenceRequest request;
  size_t total = 0;
  std::vector<std::string> omitted;
  // Room for the note naming what did not fit.
  const size_t budget = kMaxEvidenceUploadBytes - 4096;
  for (const EvidenceItem& item : items) {
    if (request.files_size() >= kMaxEvidenceFiles - 1) {
      omitted.push_back(item.name);
      continue;
    }
    absl::StatusOr<std::string> gz = GzipCompress(item.content);
    if (!gz.ok()) return gz.status();
    if (total + gz->size() > budget) {
      omitted.push_back(item.name);
      continue;
    }
    total += gz->size();
    v1::EvidenceFile* f = request.add_files();
    f->set_name(item.name);
    f->set_gzip_content(*std::move(gz));
    f->set_original_size(item.original_size);
    f->set_truncated(item.truncated);
  }
  if (!omitted.empty()) {
    const std::string text = absl::StrCat(
        "not uploaded (over ", kMaxEvidenceUploadBytes,
        " bytes compressed per step): ", absl::StrJoin(omitted, ", "));
    absl::StatusOr<std::string> gz = GzipCompress(text);
    if (!gz.ok()) return gz.status();
    v1::EvidenceFile* f = request.add_files();
    f->set_name("omitted.txt");
    f->set_gzip_content(*std::move(gz));
    f->set_original_size(text.size());
  }
  return request;
}

}  // namespace mdefleet::runner
