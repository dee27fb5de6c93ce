#include "server/cli/jobs_bundle.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/client_analyzer.h"
#include "common/sha256.h"
#include "server/cli/format.h"

namespace mdefleet::cli {

namespace ca = client_analyzer;

absl::Status FetchDiagnosticsBundle(CommandEnv& env, const Connection& conn,
                                    const std::string& job_id,
                                    const std::string& device_id,
                                    const std::string& out_dir) {
  if (out_dir.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--out: required with --step ", ca::kBundleStepName,
                     " (the bundle is "
                     "a ZIP, written as DIR/",
                     ca::kResultZipName, ")"));
  }
  v1::GetDiagnosticsBundleRequest request;
  request.set_job_id(job_id);
  request.set_device_id(device_id);
  auto context = conn.NewContext();
  auto reader = conn.admin().GetDiagnosticsBundle(context.get(), request);
  v1::DiagnosticsBundleChunk chunk;
  v1::DiagnosticsBundleChunk first;
  std::string content;
  bool have_first = false;
  while (reader->Read(&chunk)) {
    if (!have_first) {
      first = chunk;
      have_first = true;
    }
    if (content.size() + chunk.data().size() > ca::kMaxBundleBytes) {
      context->TryCancel();
      return absl::DataLossError("the server sent more than the bundle bound");
    }
    content.append(chunk.data());
  }
  absl::Status status = conn.Check(reader->Finish());
  if (!status.ok()) return status;
  Sha256 hash;
  hash.Update(content);
  if (content.size() != first.total_size() ||
      hash.FinishHex() != first.sha256()) {
    return absl::DataLossError(absl::StrCat(
        "the bundle received (", content.size(),
        " bytes) does not match the size and SHA-256 the server announced; "
        "nothing written"));
  }
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  const std::filesystem::path path =
      std::filesystem::path(out_dir) / std::string(ca::kResultZipName);
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << content;
  if (ec || !file.flush()) {
    return absl::InternalError(
        absl::StrCat("--out: cannot write ", path.string()));
  }
  if (env.json()) {
    first.clear_data();
    env.PrintJson(first);
    return absl::OkStatus();
  }
  const v1::DiagnosticsSummary& s = first.summary();
  env.out() << path.string() << " (" << content.size() << " bytes, SHA-256 "
            << first.sha256() << ", uploaded "
            << FormatTimestamp(first.uploaded_at()) << "): " << s.errors()
            << " errors, " << s.warnings() << " warnings\n";
  return absl::OkStatus();
}

std::string RenderDiagnostics(const v1::ListTasksResponse& tasks) {
  if (tasks.tasks_size() == 0) return "";
  std::string out = "diagnostics (MDEClientAnalyzer findings):\n";
  for (const v1::Task& task : tasks.tasks()) {
    const std::string who =
        Inert(task.hostname().empty() ? task.device_id() : task.hostname());
    if (!task.has_diagnostics()) {
      absl::StrAppend(&out, "  ", who, ": no result bundle kept\n");
      continue;
    }
    const v1::DiagnosticsSummary& s = task.diagnostics();
    absl::StrAppend(&out, "  ", who, ": ", s.errors(), " errors, ",
                    s.warnings(), " warnings, ", s.informational(),
                    " informational (bundle ", s.bundle_size(), " bytes)\n");
    if (!s.note().empty()) absl::StrAppend(&out, "    ", Inert(s.note()), "\n");
    for (const v1::AnalyzerFinding& f : s.findings()) {
      absl::StrAppend(&out, "    ", Inert(f.severity()), " ", Inert(f.id()),
                      " ", Inert(f.category()), "/", Inert(f.check()), ": ",
                      Inert(f.result()), "\n");
    }
    const uint32_t shown = static_cast<uint32_t>(s.findings_size());
    if (s.errors() + s.warnings() > shown) {
      absl::StrAppend(&out, "    (", s.errors() + s.warnings() - shown,
                      " more in MDEClientAnalyzer.htm of the bundle)\n");
    }
  }
  return out;
}

}  // namespace mdefleet::cli
