// Evidence of failed steps (runner.proto UploadEvidence, admin.proto
// GetTaskEvidence): what a device may upload, for which task, within which
// bounds, and who may read it.
#include <string>

#include "absl/strings/str_cat.h"
#include "common/evidence_limits.h"
#include "common/gzip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {
namespace {

using ::testing::HasSubstr;

class EvidenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::SubmitJobRequest r;
    r.mutable_spec()->set_kind("onboard");
    r.mutable_spec()->mutable_parameters()->set_onboarding_script_id(
        script_.id());
    r.mutable_spec()->mutable_target()->set_all(true);
    auto job = env_.admin().jobs().SubmitJob(env_.admin_bearer(), r);
    ASSERT_TRUE(job.ok()) << job.status();
    job_id_ = job->job().id();
    v1::PollTasksResponse poll = env_.Poll(device_);
    ASSERT_EQ(poll.tasks_size(), 1);
    task_ = poll.tasks(0);
    // The step is reported RUNNING before its program runs.
    ASSERT_TRUE(env_.runner()
                    .ReportStep(device_.bearer,
                                Report(task_, 0, v1::STEP_STATE_RUNNING))
                    .ok());
  }

  v1::UploadEvidenceRequest Upload(const std::string& name,
                                   const std::string& text) {
    v1::UploadEvidenceRequest r;
    r.set_task_id(task_.task_id());
    r.set_attempt(task_.attempt());
    r.set_lease_id(task_.lease_id());
    r.set_step_index(0);
    v1::EvidenceFile* f = r.add_files();
    f->set_name(name);
    f->set_gzip_content(*GzipCompress(text));
    f->set_original_size(text.size());
    return r;
  }
  absl::StatusOr<v1::GetTaskEvidenceResponse> Read(const std::string& bearer) {
    v1::GetTaskEvidenceRequest r;
    r.set_job_id(job_id_);
    r.set_device_id(device_.id);
    return env_.admin().jobs().GetTaskEvidence(bearer, r);
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

  TestEnv env_;
  v1::Artifact script_ =
      env_.Upload(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                  "WindowsDefenderATPOnboardingScript.cmd", OnboardingScript());
  EnrolledDevice device_ = env_.Enroll(MakeFacts("WEB-2019-01", "2019"));
  EnrolledDevice other_ = env_.Enroll(MakeFacts("WEB-2019-02", "2019"));
  std::string job_id_;
  v1::LeasedTask task_;
};

TEST_F(EvidenceTest, TheHolderUploadsAnOperatorReadsIt) {
  const std::string log = "MSI (s) (A4:B8) ... Return value 3.\r\n";
  v1::UploadEvidenceRequest three = Upload("stdout.txt", "out");
  *three.add_files() = Upload("stderr.txt", "err").files(0);
  *three.add_files() = Upload("install-X.log", log).files(0);
  ASSERT_TRUE(env_.runner().UploadEvidence(device_.bearer, three).ok());
  absl::StatusOr<v1::GetTaskEvidenceResponse> first = Read(env_.admin_bearer());
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->steps_size(), 1);
  ASSERT_EQ(first->steps(0).files_size(), 3);
  EXPECT_EQ(first->steps(0).files(2).name(), "install-X.log");
  // A repeat of the step's upload replaces it.
  ASSERT_TRUE(env_.runner()
                  .UploadEvidence(device_.bearer, Upload("install-X.log", log))
                  .ok());
  absl::StatusOr<v1::GetTaskEvidenceResponse> read =
      Read(Bearer(v1::ROLE_OPERATOR));
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->steps_size(), 1);
  EXPECT_EQ(read->steps(0).step_name(), task_.plan().steps(0).name());
  ASSERT_EQ(read->steps(0).files_size(), 1);
  EXPECT_EQ(*GzipDecompress(read->steps(0).files(0).gzip_content(), 1 << 20),
            log);
  EXPECT_EQ(read->retention().seconds(), 30 * 24 * 3600);
}

// Logs name hosts, accounts and paths: a dashboard's viewer token does not
// read them.
TEST_F(EvidenceTest, AViewerCannotReadEvidence) {
  ASSERT_TRUE(
      env_.runner().UploadEvidence(device_.bearer, Upload("a.log", "x")).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(Read(Bearer(v1::ROLE_VIEWER)).status()));
}

// Another device's token, or a stale lease, stores nothing.
TEST_F(EvidenceTest, OnlyTheLeaseHolderUploads) {
  const std::string before = env_.Snapshot();
  absl::Status foreign =
      env_.runner()
          .UploadEvidence(other_.bearer, Upload("a.log", "x"))
          .status();
  EXPECT_TRUE(absl::IsFailedPrecondition(foreign)) << foreign;
  v1::UploadEvidenceRequest stale = Upload("a.log", "x");
  stale.set_lease_id("not-the-lease");
  EXPECT_TRUE(absl::IsFailedPrecondition(
      env_.runner().UploadEvidence(device_.bearer, stale).status()));
  v1::UploadEvidenceRequest no_step = Upload("a.log", "x");
  no_step.set_step_index(999);
  absl::Status step =
      env_.runner().UploadEvidence(device_.bearer, no_step).status();
  EXPECT_TRUE(absl::IsInvalidArgument(step));
  EXPECT_THAT(step.message(), HasSubstr("step_index"));
  EXPECT_EQ(env_.Snapshot(), before);
}

TEST_F(EvidenceTest, OutOfBoundsIsRefusedNamingTheField) {
  const std::string before = env_.Snapshot();
  auto refused = [&](const v1::UploadEvidenceRequest& r) {
    absl::Status s = env_.runner().UploadEvidence(device_.bearer, r).status();
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
    return std::string(s.message());
  };
  EXPECT_THAT(refused(Upload("../../etc/passwd", "x")),
              HasSubstr("files[0].name"));
  EXPECT_THAT(refused(Upload("C:\\x.log", "x")), HasSubstr("files[0].name"));
  v1::UploadEvidenceRequest corrupt = Upload("a.log", "x");
  corrupt.mutable_files(0)->set_gzip_content("not gzip at all");
  EXPECT_THAT(refused(corrupt), HasSubstr("files[0].gzip_content"));
  // A small upload that would inflate past the bound (a "zip bomb").
  const std::string bomb(kMaxEvidenceFileBytes + 1, '\0');
  v1::UploadEvidenceRequest inflated = Upload("a.log", bomb);
  EXPECT_LT(inflated.files(0).gzip_content().size(), 64u << 10);
  EXPECT_THAT(refused(inflated),
              HasSubstr("files[0].gzip_content: holds more than"));
  v1::UploadEvidenceRequest many = Upload("a0.log", "x");
  for (int i = 1; i <= kMaxEvidenceFiles; ++i) {
    *many.add_files() = many.files(0);
    many.mutable_files(i)->set_name(absl::StrCat("a", i, ".log"));
  }
  EXPECT_THAT(refused(many), HasSubstr("files: 17 files"));
  v1::UploadEvidenceRequest twice = Upload("a.log", "x");
  *twice.add_files() = twice.files(0);
  twice.mutable_files(1)->set_name("A.LOG");
  EXPECT_THAT(refused(twice), HasSubstr("appears twice"));
  EXPECT_EQ(env_.Snapshot(), before);
}

TEST_F(EvidenceTest, TheRetentionSweepDeletesOldEvidence) {
  ASSERT_TRUE(
      env_.runner().UploadEvidence(device_.bearer, Upload("a.log", "x")).ok());
  env_.reaper().set_evidence_retention(absl::Hours(24));
  EXPECT_EQ(*env_.reaper().DeleteOldEvidenceOnce(), 0);
  env_.clock().Advance(absl::Hours(25));
  EXPECT_EQ(*env_.reaper().DeleteOldEvidenceOnce(), 1);
  EXPECT_EQ(Read(env_.admin_bearer())->steps_size(), 0);
}

TEST_F(EvidenceTest, ReadingNeedsAJobAndADeviceWithATask) {
  v1::GetTaskEvidenceRequest r;
  r.set_job_id(job_id_);
  EXPECT_THAT(env_.admin()
                  .jobs()
                  .GetTaskEvidence(env_.admin_bearer(), r)
                  .status()
                  .message(),
              HasSubstr("device_id: required"));
  r.set_device_id("no-such-device");
  EXPECT_TRUE(absl::IsNotFound(
      env_.admin().jobs().GetTaskEvidence(env_.admin_bearer(), r).status()));
}

}  // namespace
}  // namespace mdefleet::testing
