#include "common/job_spec_validation.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kArtifact(64, 'e');
constexpr char kWorkspace[] = "11111111-2222-3333-4444-555555555555";

v1::JobSpec Valid(const std::string& kind) {
  v1::JobSpec spec;
  spec.set_kind(kind);
  if (kind == "onboard" || kind == "migrate_mma") {
    spec.mutable_parameters()->set_onboarding_script_id(kArtifact);
  }
  if (kind == "offboard") {
    spec.mutable_parameters()->set_offboarding_script_id(kArtifact);
  }
  if (kind == "migrate_mma")
    spec.mutable_parameters()->set_workspace_id(kWorkspace);
  if (kind == "api_offboard") {
    spec.mutable_parameters()->set_comment("decommissioned, CHG0042");
  }
  spec.mutable_target()->set_all(true);
  return spec;
}

// The error for `spec`, which must be InvalidArgument starting with `field`.
std::string ErrorOn(const v1::JobSpec& spec, const std::string& field) {
  absl::Status status = ValidateJobSpec(spec);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), StartsWith(field + ": "));
  return std::string(status.message());
}

TEST(ValidateJobSpecTest, AcceptsEachKindWithItsParameters) {
  for (const char* kind :
       {"install", "onboard", "migrate_mma", "offboard", "api_offboard"}) {
    EXPECT_TRUE(ValidateJobSpec(Valid(kind)).ok()) << kind;
  }
}

TEST(ValidateJobSpecTest, UnknownKind) {
  v1::JobSpec spec = Valid("install");
  spec.set_kind("foo");
  EXPECT_THAT(
      ErrorOn(spec, "kind"),
      StartsWith("kind: unknown job kind \"foo\"; expected one of "
                 "install, onboard, migrate_mma, offboard, "
                 "uninstall, api_offboard, image_prep, configure_proxy, "
                 "set_passive_mode, health_check, connectivity_test"));
  spec.set_kind("");
  ErrorOn(spec, "kind");
  spec.set_kind("Onboard");
  ErrorOn(spec, "kind");
}

TEST(ValidateJobSpecTest, OnboardNeedsItsScript) {
  v1::JobSpec spec = Valid("onboard");
  spec.mutable_parameters()->clear_onboarding_script_id();
  EXPECT_EQ(ErrorOn(spec, "parameters.onboarding_script_id"),
            "parameters.onboarding_script_id: required for onboard "
            "(--onboarding-script)");
  spec = Valid("migrate_mma");
  spec.mutable_parameters()->clear_onboarding_script_id();
  EXPECT_THAT(ErrorOn(spec, "parameters.onboarding_script_id"),
              HasSubstr("required for migrate_mma"));
}

TEST(ValidateJobSpecTest, OffboardNeedsItsScript) {
  v1::JobSpec spec = Valid("offboard");
  spec.mutable_parameters()->clear_offboarding_script_id();
  EXPECT_THAT(ErrorOn(spec, "parameters.offboarding_script_id"),
              StartsWith("parameters.offboarding_script_id: required for "
                         "offboard"));
}

TEST(ValidateJobSpecTest, DefenderKindsNeedNoParameters) {
  for (const char* kind : {"image_prep", "set_passive_mode", "health_check"}) {
    EXPECT_TRUE(ValidateJobSpec(Valid(kind)).ok()) << kind;
  }
}

TEST(ValidateJobSpecTest, ImagePrepMayTakeAnOffboardingScript) {
  v1::JobSpec spec = Valid("image_prep");
  spec.mutable_parameters()->set_offboarding_script_id(kArtifact);
  EXPECT_TRUE(ValidateJobSpec(spec).ok());
  spec.mutable_parameters()->set_offboarding_script_id("x.cmd");
  EXPECT_THAT(ErrorOn(spec, "parameters.offboarding_script_id"),
              HasSubstr("not an artifact id"));
  for (const char* kind : {"set_passive_mode", "health_check"}) {
    spec = Valid(kind);
    spec.mutable_parameters()->set_offboarding_script_id(kArtifact);
    EXPECT_THAT(ErrorOn(spec, "parameters.offboarding_script_id"),
                HasSubstr("only used by offboard and image_prep"))
        << kind;
  }
}

TEST(ValidateJobSpecTest, ScriptsOnlyWhereUsed) {
  v1::JobSpec spec = Valid("install");
  spec.mutable_parameters()->set_onboarding_script_id(kArtifact);
  EXPECT_THAT(
      ErrorOn(spec, "parameters.onboarding_script_id"),
      HasSubstr("only used by onboard, migrate_mma and connectivity_test"));
  spec = Valid("onboard");
  spec.mutable_parameters()->set_offboarding_script_id(kArtifact);
  EXPECT_THAT(ErrorOn(spec, "parameters.offboarding_script_id"),
              HasSubstr("only used by offboard"));
}

TEST(ValidateJobSpecTest, ArtifactIdsAreSha256Hex) {
  for (const std::string& bad :
       {std::string("abc"), std::string(64, 'E'), std::string(63, 'a'),
        std::string(65, 'a'), std::string(64, 'g'),
        std::string("onboarding.cmd")}) {
    v1::JobSpec spec = Valid("onboard");
    spec.mutable_parameters()->set_onboarding_script_id(bad);
    EXPECT_EQ(ErrorOn(spec, "parameters.onboarding_script_id"),
              "parameters.onboarding_script_id: not an artifact id (64 hex "
              "characters)")
        << bad;
  }
  v1::JobSpec spec = Valid("install");
  spec.mutable_parameters()->set_install_script_id("x");
  ErrorOn(spec, "parameters.install_script_id");
  spec = Valid("install");
  spec.mutable_parameters()->set_installer_msi_id("x");
  ErrorOn(spec, "parameters.installer_msi_id");
  spec = Valid("offboard");
  spec.mutable_parameters()->set_install_script_id(kArtifact);
  spec.mutable_parameters()->set_installer_msi_id(std::string(64, '0'));
  EXPECT_TRUE(ValidateJobSpec(spec).ok());
}

TEST(ValidateJobSpecTest, WorkspaceId) {
  v1::JobSpec spec = Valid("migrate_mma");
  spec.mutable_parameters()->set_workspace_id("xyz");
  EXPECT_EQ(ErrorOn(spec, "parameters.workspace_id"),
            "parameters.workspace_id: malformed GUID \"xyz\"; expected "
            "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx");
  spec.mutable_parameters()->clear_workspace_id();
  EXPECT_THAT(ErrorOn(spec, "parameters.workspace_id"),
              HasSubstr("required for migrate_mma (--workspace-id)"));
  spec = Valid("onboard");
  spec.mutable_parameters()->set_workspace_id(kWorkspace);
  EXPECT_EQ(ErrorOn(spec, "parameters.workspace_id"),
            "parameters.workspace_id: only used by migrate_mma");
  spec = Valid("migrate_mma");
  spec.mutable_parameters()->set_workspace_id(
      "{ABCDEF01-2222-3333-4444-555555555555}");
  EXPECT_TRUE(ValidateJobSpec(spec).ok());
}

TEST(ValidateJobSpecTest, EmptySelector) {
  v1::JobSpec spec = Valid("install");
  spec.clear_target();
  EXPECT_EQ(ErrorOn(spec, "target"),
            "target: empty selector; set all or at least one of device_ids, "
            "hostname_glob, labels, os_families");
}

TEST(ValidateJobSpecTest, AllCannotBeCombined) {
  v1::JobSpec spec = Valid("install");
  spec.mutable_target()->set_hostname_glob("web-*");
  EXPECT_EQ(ErrorOn(spec, "target.all"),
            "target.all: cannot be combined with other criteria");
  spec = Valid("install");
  spec.mutable_target()->add_os_families(v1::OS_FAMILY_WS2016);
  ErrorOn(spec, "target.all");
}

TEST(ValidateJobSpecTest, CriteriaAlone) {
  v1::JobSpec spec = Valid("install");
  spec.mutable_target()->set_all(false);
  spec.mutable_target()->add_device_ids("dev-1");
  EXPECT_TRUE(ValidateJobSpec(spec).ok());
  spec.mutable_target()->add_device_ids(" ");
  EXPECT_THAT(ErrorOn(spec, "target.device_ids[1]"),
              HasSubstr("empty device id"));

  spec = Valid("install");
  spec.mutable_target()->set_all(false);
  (*spec.mutable_target()->mutable_labels())["site"] = "tokyo";
  spec.mutable_target()->add_os_families(v1::OS_FAMILY_WS2019);
  spec.mutable_target()->set_hostname_glob("SIM-*");
  EXPECT_TRUE(ValidateJobSpec(spec).ok());
}

TEST(ValidateJobSpecTest, EmptyLabelKey) {
  v1::JobSpec spec = Valid("install");
  spec.mutable_target()->set_all(false);
  (*spec.mutable_target()->mutable_labels())[""] = "tokyo";
  EXPECT_THAT(ErrorOn(spec, "target.labels"), HasSubstr("empty label key"));
}

TEST(ValidateJobSpecTest, UnspecifiedOsFamily) {
  v1::JobSpec spec = Valid("install");
  spec.mutable_target()->set_all(false);
  spec.mutable_target()->add_os_families(v1::OS_FAMILY_WS2019);
  spec.mutable_target()->add_os_families(v1::OS_FAMILY_UNSPECIFIED);
  EXPECT_THAT(ErrorOn(spec, "target.os_families[1]"),
              HasSubstr("OS_FAMILY_UNSPECIFIED"));
  spec.mutable_target()->set_os_families(1, static_cast<v1::OsFamily>(42));
  EXPECT_THAT(ErrorOn(spec, "target.os_families[1]"), HasSubstr("42"));
}

TEST(ValidateJobSpecTest, MaxInFlight) {
  v1::JobSpec spec = Valid("install");
  spec.mutable_policy()->set_max_in_flight(100000);
  EXPECT_TRUE(ValidateJobSpec(spec).ok());
  spec.mutable_policy()->set_max_in_flight(0);
  EXPECT_TRUE(ValidateJobSpec(spec).ok());
  spec.mutable_policy()->set_max_in_flight(100001);
  EXPECT_THAT(ErrorOn(spec, "policy.max_in_flight"),
              StartsWith("policy.max_in_flight: must be at most 100000"));
}

TEST(IsGuidTest, Forms) {
  EXPECT_TRUE(IsGuid("11111111-2222-3333-4444-555555555555"));
  EXPECT_TRUE(IsGuid("abcdefAB-CDEF-0123-4567-89abcdefABCD"));
  EXPECT_TRUE(IsGuid("{11111111-2222-3333-4444-555555555555}"));
  EXPECT_FALSE(IsGuid(""));
  EXPECT_FALSE(IsGuid("{}"));
  EXPECT_FALSE(IsGuid("{11111111-2222-3333-4444-555555555555"));
  EXPECT_FALSE(IsGuid("11111111-2222-3333-4444-555555555555}"));
  EXPECT_FALSE(IsGuid("11111111222233334444555555555555"));
  EXPECT_FALSE(IsGuid("11111111-2222-3333-4444-55555555555"));
  EXPECT_FALSE(IsGuid("11111111-2222-3333-4444-5555555555555"));
  EXPECT_FALSE(IsGuid("g1111111-2222-3333-4444-555555555555"));
  EXPECT_FALSE(IsGuid("11111111-2222-3333-4444_555555555555"));
  EXPECT_FALSE(IsGuid(" 11111111-2222-3333-4444-55555555555"));
}

TEST(IsArtifactIdTest, LowercaseSha256Hex) {
  EXPECT_TRUE(IsArtifactId(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  EXPECT_FALSE(IsArtifactId(
      "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
  EXPECT_FALSE(IsArtifactId(""));
  EXPECT_FALSE(IsArtifactId(std::string(64, 'z')));
}

TEST(GlobMatchesTest, Patterns) {
  EXPECT_TRUE(GlobMatches("web-*", "web-01"));
  EXPECT_TRUE(GlobMatches("web-*", "WEB-01"));
  EXPECT_TRUE(GlobMatches("WEB-*", "web-"));
  EXPECT_FALSE(GlobMatches("web-*", "db-01"));
  EXPECT_TRUE(GlobMatches("*", ""));
  EXPECT_TRUE(GlobMatches("*", "anything"));
  EXPECT_TRUE(GlobMatches("", ""));
  EXPECT_FALSE(GlobMatches("", "x"));
  EXPECT_TRUE(GlobMatches("SIM-2019-00?7", "sim-2019-0007"));
  EXPECT_FALSE(GlobMatches("SIM-2019-00?7", "sim-2019-007"));
  EXPECT_TRUE(GlobMatches("*-2019-*", "SIM-2019-0007"));
  EXPECT_TRUE(GlobMatches("a*b*c", "aXXbYYbZZc"));
  EXPECT_FALSE(GlobMatches("a*b*c", "aXXbYYbZZ"));
  EXPECT_TRUE(GlobMatches("**a", "bbba"));
  EXPECT_FALSE(GlobMatches("?", ""));
  EXPECT_FALSE(GlobMatches("web", "web-01"));
  EXPECT_FALSE(GlobMatches("web-01", "web"));
  // No catastrophic backtracking.
  EXPECT_FALSE(GlobMatches("*a*a*a*a*a*a*a*a*b", std::string(2000, 'a')));
}

TEST(ValidateJobSpecTest, ApiOffboardNeedsAComment) {
  v1::JobSpec spec = Valid("api_offboard");
  spec.mutable_parameters()->clear_comment();
  EXPECT_THAT(ErrorOn(spec, "parameters.comment"),
              HasSubstr("required for api_offboard (--comment)"));
  spec.mutable_parameters()->set_comment("   ");
  ErrorOn(spec, "parameters.comment");
}

TEST(ValidateJobSpecTest, ApiOffboardCommentIsBounded) {
  v1::JobSpec spec = Valid("api_offboard");
  spec.mutable_parameters()->set_comment(std::string(1000, 'x'));
  EXPECT_TRUE(ValidateJobSpec(spec).ok());
  spec.mutable_parameters()->set_comment(std::string(1001, 'x'));
  EXPECT_EQ(ErrorOn(spec, "parameters.comment"),
            "parameters.comment: 1001 characters; at most 1000");
  spec.mutable_parameters()->set_comment("line one\nline two");
  EXPECT_THAT(ErrorOn(spec, "parameters.comment"),
              HasSubstr("control characters"));
}

TEST(ValidateJobSpecTest, CommentOnlyForApiOffboard) {
  v1::JobSpec spec = Valid("offboard");
  spec.mutable_parameters()->set_comment("why");
  EXPECT_EQ(ErrorOn(spec, "parameters.comment"),
            "parameters.comment: only used by api_offboard");
}

}  // namespace
}  // namespace mdefleet
