// collect_diagnostics' MDEClientAnalyzer bundles (runner.proto
// UploadDiagnosticsChunk, admin.proto GetDiagnosticsBundle, Task.diagnostics):
// the analyzer upload check, who may upload a bundle for which task, the
// bounds (nothing kept over them), who may read it, and the retention sweep.
#include <string>

#include "absl/strings/str_cat.h"
#include "common/client_analyzer.h"
#include "common/sha256.h"
#include "common/zip/zip_archive.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {
namespace {

using ::testing::HasSubstr;
namespace ca = client_analyzer;

std::string AnalyzerZip() {
  return *zip::WriteArchive({{"MDEClientAnalyzer.cmd", "@echo off"},
                             {"MDEClientAnalyzer.ps1", "param()"}});
}

// A result bundle with one error and one warning among its findings.
std::string ResultBundle(size_t padding = 0) {
  const std::string xml =
      "<MDEResults><events>"
      "<event id=\"1\"><severity>Error</severity><category>Services</category>"
      "<check>Sense</check><checkresult>stopped</checkresult></event>"
      "<event id=\"2\"><severity>Warning</severity><category>AV</category>"
      "<check>Signatures</check><checkresult>old</checkresult></event>"
      "<event id=\"3\"><severity>Informational</severity></event>"
      "</events></MDEResults>";
  std::vector<std::pair<std::string, std::string>> files = {
      {"MDEClientAnalyzer.htm", "<html></html>"},
      {"SystemInfoLogs\\MDEClientAnalyzer.xml", xml}};
  if (padding > 0) {
    std::string noise(padding, '\0');
    uint32_t x = 12345;
    for (char& c : noise) {
      x = x * 1103515245u + 12345u;
      c = static_cast<char>(x >> 24);
    }
    files.emplace_back("EventLogs\\sense.evtx", noise);
  }
  return *zip::WriteArchive(files);
}

std::string Hex(const std::string& data) {
  Sha256 h;
  h.Update(data);
  return h.FinishHex();
}

class DiagnosticsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::SubmitJobRequest r;
    r.mutable_spec()->set_kind("collect_diagnostics");
    r.mutable_spec()->mutable_parameters()->set_client_analyzer_id(
        analyzer_.id());
    r.mutable_spec()->mutable_target()->add_device_ids(device_.id);
    auto job = env_.admin().jobs().SubmitJob(env_.admin_bearer(), r);
    ASSERT_TRUE(job.ok()) << job.status();
    job_id_ = job->job().id();
    v1::PollTasksResponse poll = env_.Poll(device_);
    ASSERT_EQ(poll.tasks_size(), 1);
    task_ = poll.tasks(0);
    for (int i = 0; i < task_.plan().steps_size(); ++i) {
      if (task_.plan().steps(i).name() == ca::kBundleStepName) step_ = i;
    }
    ASSERT_GT(step_, 0);
  }

  v1::UploadDiagnosticsChunkRequest Chunk(const std::string& bundle,
                                          size_t offset, size_t n) {
    v1::UploadDiagnosticsChunkRequest r;
    r.set_task_id(task_.task_id());
    r.set_attempt(task_.attempt());
    r.set_lease_id(task_.lease_id());
    r.set_step_index(step_);
    r.set_total_size(bundle.size());
    r.set_offset(offset);
    r.set_data(bundle.substr(offset, n));
    if (offset + n >= bundle.size()) r.set_sha256(Hex(bundle));
    return r;
  }
  // Sends `bundle` in chunks of `n`; the last answer.
  absl::StatusOr<v1::UploadDiagnosticsChunkResponse> Send(
      const std::string& bundle, size_t n, const EnrolledDevice& device) {
    absl::StatusOr<v1::UploadDiagnosticsChunkResponse> last;
    for (size_t at = 0; at < bundle.size(); at += n) {
      last = env_.runner().UploadDiagnosticsChunk(device.bearer,
                                                  Chunk(bundle, at, n));
      if (!last.ok()) return last;
    }
    return last;
  }
  absl::StatusOr<std::string> Read(const std::string& bearer,
                                   v1::DiagnosticsBundleChunk* first) {
    v1::GetDiagnosticsBundleRequest r;
    r.set_job_id(job_id_);
    r.set_device_id(device_.id);
    std::string out;
    bool seen = false;
    absl::Status s = env_.admin().jobs().GetDiagnosticsBundle(
        bearer, r, [&](const v1::DiagnosticsBundleChunk& chunk) {
          if (!seen && first != nullptr) *first = chunk;
          seen = true;
          out.append(chunk.data());
          return true;
        });
    if (!s.ok()) return s;
    return out;
  }
  std::string Bearer(v1::Role role) {
    v1::CreateTokenRequest request;
    request.set_name(absl::StrCat("t", static_cast<int>(role)));
    request.set_role(role);
    auto created =
        env_.admin().access().CreateToken(env_.admin_bearer(), request);
    EXPECT_TRUE(created.ok()) << created.status();
    return absl::StrCat("Bearer ", created->value());
  }
  int64_t Kept() {
    return env_.Count("diagnostics_bundles") + env_.Count("diagnostics_chunks");
  }

  TestEnv env_;
  v1::Artifact analyzer_ = env_.Upload(v1::ARTIFACT_KIND_CLIENT_ANALYZER,
                                       "MDEClientAnalyzer.zip", AnalyzerZip());
  EnrolledDevice device_ = env_.Enroll(MakeFacts("WEB-2016-01", "2016"));
  EnrolledDevice other_ = env_.Enroll(MakeFacts("WEB-2016-02", "2016"));
  std::string job_id_;
  v1::LeasedTask task_;
  int step_ = -1;
};

TEST_F(DiagnosticsTest, ThePlanFetchesExtractsRunsAndUploads) {
  std::vector<std::string> names;
  for (const auto& s : task_.plan().steps()) names.push_back(s.name());
  EXPECT_THAT(names, ::testing::ElementsAre(
                         "fetch_client_analyzer", "extract_client_analyzer",
                         "run_client_analyzer", "upload_diagnostics_bundle"));
  const v1::RunProcessAction& run =
      task_.plan().steps(2).action().run_process();
  EXPECT_EQ(run.program(), v1::PROGRAM_CMD_SCRIPT);
  EXPECT_THAT(run.args(),
              ::testing::ElementsAre("${work_dir}\\MDEClientAnalyzer\\"
                                     "MDEClientAnalyzer.cmd",
                                     "-r"));
}

TEST_F(DiagnosticsTest, TheHolderUploadsInChunksAndAnOperatorReadsIt) {
  const std::string bundle = ResultBundle(3 << 20);  // > 1 chunk
  ASSERT_GT(bundle.size(), ca::kMaxChunkBytes * 2);
  auto done = Send(bundle, ca::kMaxChunkBytes, device_);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_TRUE(done->complete());
  EXPECT_EQ(done->received(), bundle.size());
  EXPECT_EQ(env_.Count("diagnostics_chunks"), 0);

  v1::DiagnosticsBundleChunk first;
  auto read = Read(Bearer(v1::ROLE_OPERATOR), &first);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, bundle);
  EXPECT_EQ(first.sha256(), Hex(bundle));
  EXPECT_EQ(first.summary().errors(), 1u);
  EXPECT_EQ(first.summary().warnings(), 1u);
  EXPECT_EQ(first.summary().step_name(), ca::kBundleStepName);

  // The task view carries the summary (jobs get, jobs tasks, HTTP).
  v1::ListTasksRequest list;
  list.set_job_id(job_id_);
  auto tasks = env_.admin().jobs().ListTasks(Bearer(v1::ROLE_VIEWER), list);
  ASSERT_TRUE(tasks.ok()) << tasks.status();
  ASSERT_EQ(tasks->tasks_size(), 1);
  const v1::DiagnosticsSummary& s = tasks->tasks(0).diagnostics();
  EXPECT_EQ(s.errors(), 1u);
  ASSERT_EQ(s.findings_size(), 2);
  EXPECT_EQ(s.findings(0).check(), "Sense");
  EXPECT_EQ(s.findings(1).severity(), "Warning");
}

// The bundle holds the device's configuration and event logs.
TEST_F(DiagnosticsTest, AViewerCannotReadTheBundle) {
  ASSERT_TRUE(Send(ResultBundle(), ca::kMaxChunkBytes, device_).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(
      Read(Bearer(v1::ROLE_VIEWER), nullptr).status()));
}

TEST_F(DiagnosticsTest, OnlyTheLeaseHolderUploadsForItsTask) {
  const std::string bundle = ResultBundle();
  absl::Status foreign = Send(bundle, ca::kMaxChunkBytes, other_).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(foreign)) << foreign;
  v1::UploadDiagnosticsChunkRequest stale = Chunk(bundle, 0, bundle.size());
  stale.set_lease_id("not-the-lease");
  EXPECT_TRUE(absl::IsFailedPrecondition(
      env_.runner().UploadDiagnosticsChunk(device_.bearer, stale).status()));
  v1::UploadDiagnosticsChunkRequest no_step = Chunk(bundle, 0, bundle.size());
  no_step.set_step_index(999);
  absl::Status step =
      env_.runner().UploadDiagnosticsChunk(device_.bearer, no_step).status();
  EXPECT_THAT(step.message(), HasSubstr("step_index"));
  EXPECT_EQ(Kept(), 0);
}

TEST_F(DiagnosticsTest, OverTheBoundsNothingIsKept) {
  auto refused = [&](const v1::UploadDiagnosticsChunkRequest& r) {
    absl::Status s =
        env_.runner().UploadDiagnosticsChunk(device_.bearer, r).status();
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
    return std::string(s.message());
  };
  const std::string bundle = ResultBundle();
  v1::UploadDiagnosticsChunkRequest huge = Chunk(bundle, 0, 100);
  huge.set_total_size(ca::kMaxBundleBytes + 1);
  EXPECT_THAT(refused(huge), HasSubstr("total_size: the bundle is"));
  v1::UploadDiagnosticsChunkRequest big_chunk = Chunk(bundle, 0, 0);
  big_chunk.set_total_size(ca::kMaxChunkBytes + 1);
  big_chunk.set_data(std::string(ca::kMaxChunkBytes + 1, 'x'));
  EXPECT_THAT(refused(big_chunk), HasSubstr("data: "));
  v1::UploadDiagnosticsChunkRequest past = Chunk(bundle, 0, bundle.size());
  past.set_offset(5);
  EXPECT_THAT(refused(past), HasSubstr("offset: "));
  EXPECT_EQ(Kept(), 0);

  // A wrong SHA-256 or a bundle that is not a ZIP: refused at the end and
  // the chunks already received are dropped.
  v1::UploadDiagnosticsChunkRequest half = Chunk(bundle, 0, 10);
  ASSERT_TRUE(env_.runner().UploadDiagnosticsChunk(device_.bearer, half).ok());
  EXPECT_EQ(env_.Count("diagnostics_chunks"), 1);
  v1::UploadDiagnosticsChunkRequest rest =
      Chunk(bundle, 10, bundle.size() - 10);
  rest.set_sha256(std::string(64, '0'));
  EXPECT_THAT(refused(rest), HasSubstr("sha256: "));
  EXPECT_EQ(Kept(), 0);
  const std::string not_zip(5000, 'z');
  auto sent = Send(not_zip, 4000, device_);
  EXPECT_TRUE(absl::IsInvalidArgument(sent.status()));
  EXPECT_THAT(sent.status().message(),
              HasSubstr("data: the bundle is not MDEClientAnalyzerResult.zip"));
  EXPECT_EQ(Kept(), 0);
  EXPECT_TRUE(absl::IsNotFound(Read(env_.admin_bearer(), nullptr).status()));
}

TEST_F(DiagnosticsTest, ARepeatedChunkChangesNothing) {
  const std::string bundle = ResultBundle(100000);
  v1::UploadDiagnosticsChunkRequest first = Chunk(bundle, 0, 1000);
  ASSERT_TRUE(env_.runner().UploadDiagnosticsChunk(device_.bearer, first).ok());
  auto again = env_.runner().UploadDiagnosticsChunk(device_.bearer, first);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->received(), 1000u);
  auto rest = env_.runner().UploadDiagnosticsChunk(
      device_.bearer, Chunk(bundle, 1000, bundle.size() - 1000));
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_TRUE(rest->complete());
  EXPECT_EQ(*Read(env_.admin_bearer(), nullptr), bundle);
  // The last chunk again (its answer lost): still complete, nothing changes.
  auto last = env_.runner().UploadDiagnosticsChunk(
      device_.bearer, Chunk(bundle, 1000, bundle.size() - 1000));
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_TRUE(last->complete());
  EXPECT_EQ(env_.Count("diagnostics_bundles"), 1);
  EXPECT_EQ(env_.Count("diagnostics_chunks"), 0);
}

TEST_F(DiagnosticsTest, TheRetentionSweepDeletesBundles) {
  ASSERT_TRUE(Send(ResultBundle(), ca::kMaxChunkBytes, device_).ok());
  env_.reaper().set_evidence_retention(absl::Hours(24));
  EXPECT_EQ(*env_.reaper().DeleteOldEvidenceOnce(), 0);
  env_.clock().Advance(absl::Hours(25));
  EXPECT_EQ(*env_.reaper().DeleteOldEvidenceOnce(), 1);
  EXPECT_TRUE(absl::IsNotFound(Read(env_.admin_bearer(), nullptr).status()));
}

TEST(ClientAnalyzerUploadTest, AnUploadThatIsNotTheAnalyzerIsRefused) {
  TestEnv env;
  const std::string before = env.Snapshot();
  auto wrong =
      env.TryUpload(v1::ARTIFACT_KIND_CLIENT_ANALYZER, "MDEClientAnalyzer.zip",
                    *zip::WriteArchive({{"readme.txt", "hi"}}));
  EXPECT_TRUE(absl::IsInvalidArgument(wrong.status()));
  EXPECT_THAT(wrong.status().message(), HasSubstr("content: not Microsoft's"));
  auto not_zip = env.TryUpload(v1::ARTIFACT_KIND_CLIENT_ANALYZER,
                               "MDEClientAnalyzer.zip", "@echo off");
  EXPECT_THAT(not_zip.status().message(), HasSubstr("content: not a ZIP"));
  EXPECT_EQ(env.Snapshot(), before);
}

}  // namespace
}  // namespace mdefleet::testing
