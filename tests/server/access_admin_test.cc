// Tokens with roles, enrollment secrets (scope labels, expiry, revocation)
// and device revocation through AccessHandlers and RunnerHandlers.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/store/audit.h"
#include "server/store/audit_query.h"
#include "tests/server/test_env.h"

namespace mdefleet::testing {
namespace {

using ::testing::HasSubstr;

class AccessAdminTest : public ::testing::Test {
 protected:
  v1::CreateTokenResponse CreateToken(const std::string& name, v1::Role role) {
    v1::CreateTokenRequest request;
    request.set_name(name);
    request.set_role(role);
    auto created =
        env_.admin().access().CreateToken(env_.admin_bearer(), request);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : v1::CreateTokenResponse();
  }

  v1::CreateEnrollmentSecretResponse CreateSecret(
      const std::string& name, std::map<std::string, std::string> labels = {}) {
    v1::CreateEnrollmentSecretRequest request;
    request.set_name(name);
    for (const auto& [k, v] : labels) (*request.mutable_labels())[k] = v;
    auto created = env_.admin().access().CreateEnrollmentSecret(
        env_.admin_bearer(), request);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : v1::CreateEnrollmentSecretResponse();
  }

  std::vector<store::AuditEntry> Audit(absl::string_view target) {
    std::vector<store::AuditEntry> out;
    EXPECT_TRUE(env_.store()
                    .Read([&](store::Connection& db) -> absl::Status {
                      auto rows = store::AuditForTarget(db, target);
                      if (!rows.ok()) return rows.status();
                      out = *rows;
                      return absl::OkStatus();
                    })
                    .ok());
    return out;
  }

  TestEnv env_;
};

TEST_F(AccessAdminTest, AViewerTokenReadsButCannotChangeAnything) {
  const v1::CreateTokenResponse viewer =
      CreateToken("dashboard", v1::ROLE_VIEWER);
  EXPECT_THAT(viewer.value(), ::testing::StartsWith("mdf_api_"));
  EXPECT_EQ(viewer.token().state(), "active");
  const std::string bearer = absl::StrCat("Bearer ", viewer.value());
  EXPECT_TRUE(env_.admin().inventory().ListDevices(bearer, {}).ok());
  const std::string before = env_.Snapshot();
  v1::SubmitJobRequest submit;
  submit.mutable_spec()->set_kind("health_check");
  submit.mutable_spec()->mutable_target()->set_all(true);
  absl::StatusOr<v1::SubmitJobResponse> refused =
      env_.admin().jobs().SubmitJob(bearer, submit);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("SubmitJob needs the operator role"));
  EXPECT_EQ(env_.Snapshot(), before);
  v1::CreateTokenRequest escalate;
  escalate.set_name("mine");
  escalate.set_role(v1::ROLE_ADMIN);
  EXPECT_EQ(env_.admin().access().CreateToken(bearer, escalate).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(AccessAdminTest, TokensAreListedWithoutValuesAndNamesAreUnique) {
  CreateToken("ops", v1::ROLE_OPERATOR);
  v1::CreateTokenRequest again;
  again.set_name("ops");
  again.set_role(v1::ROLE_VIEWER);
  auto dup = env_.admin().access().CreateToken(env_.admin_bearer(), again);
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(dup.status().message(), HasSubstr("name"));
  v1::CreateTokenRequest bad;
  bad.set_name("has space");
  bad.set_role(v1::ROLE_VIEWER);
  EXPECT_THAT(env_.admin()
                  .access()
                  .CreateToken(env_.admin_bearer(), bad)
                  .status()
                  .message(),
              HasSubstr("name:"));
  bad.set_name("ok");
  bad.set_role(v1::ROLE_UNSPECIFIED);
  EXPECT_THAT(env_.admin()
                  .access()
                  .CreateToken(env_.admin_bearer(), bad)
                  .status()
                  .message(),
              HasSubstr("role:"));
  auto list = env_.admin().access().ListTokens(env_.admin_bearer(), {});
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->tokens_size(), 2);  // admin (init) + ops
  EXPECT_EQ(list->tokens(0).name(), "admin");
  EXPECT_EQ(list->tokens(1).role(), v1::ROLE_OPERATOR);
  EXPECT_THAT(list->DebugString(), ::testing::Not(HasSubstr("mdf_api_")));
}

TEST_F(AccessAdminTest, ExpiredTokensStopWorking) {
  v1::CreateTokenRequest request;
  request.set_name("short");
  request.set_role(v1::ROLE_VIEWER);
  request.mutable_expires_in()->set_seconds(60);
  auto created =
      env_.admin().access().CreateToken(env_.admin_bearer(), request);
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string bearer = absl::StrCat("Bearer ", created->value());
  EXPECT_TRUE(env_.admin().inventory().ListDevices(bearer, {}).ok());
  env_.clock().Advance(absl::Seconds(61));
  EXPECT_EQ(env_.admin().inventory().ListDevices(bearer, {}).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(AccessAdminTest, TheLastAdminTokenCannotBeRevokedButRotates) {
  v1::RevokeTokenRequest revoke;
  revoke.set_token("admin");
  auto refused = env_.admin().access().RevokeToken(env_.admin_bearer(), revoke);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("last admin token"));
  v1::RotateTokenRequest rotate;
  rotate.set_token("admin");
  auto rotated = env_.admin().access().RotateToken(env_.admin_bearer(), rotate);
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  EXPECT_EQ(env_.admin()
                .inventory()
                .ListDevices(env_.admin_bearer(), {})
                .status()
                .code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(env_.admin()
                  .inventory()
                  .ListDevices(absl::StrCat("Bearer ", rotated->value()), {})
                  .ok());
  const auto audit = Audit("admin");
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].action, "revoke_token");
  EXPECT_EQ(audit[0].outcome, "refused");
  EXPECT_EQ(audit[1].action, "rotate_token");
  EXPECT_EQ(audit[1].outcome, "ok");
  EXPECT_EQ(audit[1].role, "admin");
  EXPECT_THAT(audit[1].detail, ::testing::Not(HasSubstr(rotated->value())));
}

TEST_F(AccessAdminTest, AScopedSecretFixesLabels) {
  const auto secret = CreateSecret("paris", {{"zone", "paris"}});
  const std::string bearer = absl::StrCat("Bearer ", secret.value());
  v1::EnrollRequest enroll;
  *enroll.mutable_facts() = MakeFacts("PAR-01", "2019");
  auto enrolled = env_.runner().Enroll(bearer, enroll);
  ASSERT_TRUE(enrolled.ok()) << enrolled.status();
  v1::GetDeviceRequest get;
  get.set_device_id(enrolled->device_id());
  auto device = env_.admin().inventory().GetDevice(env_.admin_bearer(), get);
  ASSERT_TRUE(device.ok());
  EXPECT_EQ(device->facts().labels().at("zone"), "paris");

  // A later poll claiming another site keeps the scoped one.
  v1::PollTasksRequest poll;
  *poll.mutable_facts() = enroll.facts();
  (*poll.mutable_facts()->mutable_labels())["zone"] = "london";
  ASSERT_TRUE(env_.runner().PollOnce(enrolled->device_id(), poll).ok());
  device = env_.admin().inventory().GetDevice(env_.admin_bearer(), get);
  EXPECT_EQ(device->facts().labels().at("zone"), "paris");

  // Enrolling while claiming another site is refused, naming the label.
  v1::EnrollRequest other;
  *other.mutable_facts() = MakeFacts("LON-01", "2019");
  (*other.mutable_facts()->mutable_labels())["zone"] = "london";
  auto refused = env_.runner().Enroll(bearer, other);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(refused.status().message(), HasSubstr("facts.labels[zone]"));
}

TEST_F(AccessAdminTest, ExpiredAndRevokedSecretsStopEnrolling) {
  const auto secret = CreateSecret("batch-1");
  const std::string bearer = absl::StrCat("Bearer ", secret.value());
  v1::EnrollRequest enroll;
  *enroll.mutable_facts() = MakeFacts("SRV-01", "2022");
  ASSERT_TRUE(env_.runner().Enroll(bearer, enroll).ok());
  v1::ExpireEnrollmentSecretRequest expire;
  expire.set_secret("batch-1");
  expire.mutable_after()->set_seconds(3600);
  auto expiring =
      env_.admin().access().ExpireEnrollmentSecret(env_.admin_bearer(), expire);
  ASSERT_TRUE(expiring.ok()) << expiring.status();
  EXPECT_EQ(expiring->state(), "active");
  env_.clock().Advance(absl::Hours(2));
  *enroll.mutable_facts() = MakeFacts("SRV-02", "2022");
  EXPECT_EQ(env_.runner().Enroll(bearer, enroll).status().code(),
            absl::StatusCode::kUnauthenticated);

  const auto second = CreateSecret("batch-2");
  v1::RevokeEnrollmentSecretRequest revoke;
  revoke.set_secret(absl::StrCat(second.secret().id()));
  ASSERT_TRUE(env_.admin()
                  .access()
                  .RevokeEnrollmentSecret(env_.admin_bearer(), revoke)
                  .ok());
  EXPECT_EQ(env_.runner()
                .Enroll(absl::StrCat("Bearer ", second.value()), enroll)
                .status()
                .code(),
            absl::StatusCode::kUnauthenticated);
  auto list =
      env_.admin().access().ListEnrollmentSecrets(env_.admin_bearer(), {});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->secrets_size(), 2);  // runners + batch-1 (expired)
  EXPECT_EQ(list->secrets(1).state(), "expired");
  EXPECT_THAT(list->DebugString(), ::testing::Not(HasSubstr("mdf_enroll_")));
}

TEST_F(AccessAdminTest, RevokingADeviceCancelsItsTasksAndRefusesItsToken) {
  const EnrolledDevice device = env_.Enroll(MakeFacts("SRV-01", "2019"));
  v1::SubmitJobRequest submit;
  submit.mutable_spec()->set_kind("health_check");
  submit.mutable_spec()->mutable_target()->set_all(true);
  auto job = env_.admin().jobs().SubmitJob(env_.admin_bearer(), submit);
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_EQ(env_.Poll(device).tasks_size(), 1);  // leased

  v1::RevokeDeviceRequest revoke;
  revoke.set_device_id(device.id);
  revoke.set_reason("stolen disk image");
  auto revoked =
      env_.admin().access().RevokeDevice(env_.admin_bearer(), revoke);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_TRUE(revoked->has_revoked_at());
  EXPECT_EQ(revoked->revoked_reason(), "stolen disk image");
  v1::GetJobRequest get;
  get.set_job_id(job->job().id());
  auto after = env_.admin().jobs().GetJob(env_.admin_bearer(), get);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->counts().cancelled(), 1u);
  env_.ExpectCountersMatchTasks(job->job().id());

  v1::HeartbeatRequest heartbeat;
  EXPECT_EQ(env_.runner().Heartbeat(device.bearer, heartbeat).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(env_.admin()
                .access()
                .RevokeDevice(env_.admin_bearer(), revoke)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  const auto audit = Audit(device.id);
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].outcome, "ok");
  EXPECT_THAT(audit[0].detail, HasSubstr("1 task cancelled"));
  EXPECT_EQ(audit[1].outcome, "refused");
}

}  // namespace
}  // namespace mdefleet::testing
