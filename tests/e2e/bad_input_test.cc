// Every failure an operator can cause gets a clear error naming the field, a
// non-zero exit from mdefleetctl, and changes nothing on the server.
#include <fstream>
#include <string>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "mdefleet/v1/admin.grpc.pb.h"
#include "tests/e2e/e2e_environment.h"
#include "tests/e2e/e2e_helpers.h"

namespace mdefleet::testing {
namespace {

using ::testing::HasSubstr;

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = E2eEnvironment::Start();
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = std::move(*env);
    ASSERT_TRUE(env_->StartRunner("ws2019").ok());
    ASSERT_TRUE(env_->WaitForDevices(1, absl::Seconds(60)).ok());
    auto onboarding = env_->UploadOnboardingArtifacts();
    ASSERT_TRUE(onboarding.ok()) << onboarding.status();
    onboarding_id_ = *onboarding;
  }

  // Runs mdefleetctl, expects it to fail with `field` in its error, and checks
  // that no job was stored and the artifact list did not change.
  void ExpectRefused(const std::vector<std::string>& args,
                     const std::string& field) {
    v1::ListArtifactsResponse before;
    ASSERT_TRUE(env_->CtlJson({"artifacts", "list"}, &before).ok());
    ProcessOutput out = env_->Ctl(args);
    EXPECT_NE(out.exit_code, 0) << absl::StrJoin(args, " ");
    EXPECT_THAT(out.err, HasSubstr(field)) << absl::StrJoin(args, " ");
    EXPECT_THAT(out.err, HasSubstr("error")) << absl::StrJoin(args, " ");
    v1::ListJobsResponse jobs;
    ASSERT_TRUE(env_->CtlJson({"jobs", "list"}, &jobs).ok());
    EXPECT_EQ(jobs.jobs_size(), 0) << absl::StrJoin(args, " ");
    v1::ListArtifactsResponse after;
    ASSERT_TRUE(env_->CtlJson({"artifacts", "list"}, &after).ok());
    EXPECT_EQ(after.artifacts_size(), before.artifacts_size())
        << absl::StrJoin(args, " ");
  }

  std::string WriteFile(const std::string& name, const std::string& content) {
    std::string path = env_->dir() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  std::unique_ptr<E2eEnvironment> env_;
  std::string onboarding_id_;
};

TEST_F(BadInputTest, UnknownJobKind) {
  ExpectRefused({"jobs", "submit", "frobnicate", "--target", "all"}, "kind");
}

TEST_F(BadInputTest, MalformedWorkspaceGuid) {
  ExpectRefused(
      {"jobs", "submit", "migrate_mma", "--target", "all", "--workspace-id",
       "not-a-guid", "--onboarding-script", onboarding_id_},
      "workspace_id");
}

TEST_F(BadInputTest, TargetMatchingNoDevice) {
  ExpectRefused({"jobs", "submit", "onboard", "--target", "host:NO-SUCH-*",
                 "--onboarding-script", onboarding_id_},
                "target");
}

TEST_F(BadInputTest, NonOnboardingFileUploadedAsOnboardingScript) {
  std::string path = WriteFile("WindowsDefenderATPOnboardingScript.cmd",
                               "@echo off\r\necho hello\r\n");
  ExpectRefused({"artifacts", "upload", path, "--kind", "onboarding_script"},
                "content");
}

TEST_F(BadInputTest, ExpiredOffboardingScript) {
  std::string path = env_->WriteOffboardingScript(DatePlusDays(-1));
  ExpectRefused({"artifacts", "upload", path, "--kind", "offboarding_script"},
                "expired");
}

TEST_F(BadInputTest, MissingArtifactId) {
  ExpectRefused({"jobs", "submit", "onboard", "--target", "all",
                 "--onboarding-script", std::string(64, 'a')},
                "onboarding_script_id");
}

TEST_F(BadInputTest, WrongToken) {
  ProcessOutput out =
      env_->Ctl({"jobs", "list"}, {"MDEFLEET_TOKEN=mdf_admin_wrong"});
  EXPECT_NE(out.exit_code, 0);
  EXPECT_THAT(out.err, HasSubstr("authentication"));
  ExpectRefused(
      {"jobs", "submit", "onboard", "--target", "all", "--onboarding-script",
       onboarding_id_, "--token", "mdf_admin_wrong"},
      "authentication");
}

TEST_F(BadInputTest, OversizedMessageIsRefused) {
  auto channel = grpc::CreateChannel(env_->server_address(),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::AdminService::NewStub(channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + env_->admin_token());
  v1::ListDevicesRequest request;
  request.set_hostname_glob(std::string(5 << 20, 'x'));
  v1::ListDevicesResponse response;
  grpc::Status status = stub->ListDevices(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << status.error_message();
  v1::ListJobsResponse jobs;
  ASSERT_TRUE(env_->CtlJson({"jobs", "list"}, &jobs).ok());
  EXPECT_EQ(jobs.jobs_size(), 0);
}

// One duration grammar for every command (common/duration_text.h): serve's
// flags take days as mdefleetctl's do, and a bad one names the flag and the
// unit. `serve` then stops at the missing database, which shows the flag was
// accepted.
TEST(ServeFlagsTest, DurationsUseTheCommonGrammar) {
  const std::string dir = ::testing::TempDir();
  ProcessOutput days = RunCommand(
      {MDEFLEET_SERVER_BIN, "serve", "--db", dir + "/absent.db", "--listen",
       "127.0.0.1:0", "--lease-duration", "1d", "--poll-timeout", "1m30s"},
      dir + "/serve-days");
  EXPECT_NE(days.exit_code, 0);
  EXPECT_THAT(days.err, HasSubstr("no such database"));
  ProcessOutput bad =
      RunCommand({MDEFLEET_SERVER_BIN, "serve", "--db", dir + "/absent.db",
                  "--listen", "127.0.0.1:0", "--lease-duration", "1x"},
                 dir + "/serve-bad");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("--lease-duration: duration \"1x\": "
                                 "unknown unit \"x\""));
  ProcessOutput zero =
      RunCommand({MDEFLEET_SERVER_BIN, "serve", "--db", dir + "/absent.db",
                  "--listen", "127.0.0.1:0", "--poll-timeout", "0"},
                 dir + "/serve-zero");
  EXPECT_NE(zero.exit_code, 0);
  EXPECT_THAT(zero.err, HasSubstr("expected a positive duration"));
}

}  // namespace
}  // namespace mdefleet::testing
