// ArtifactHandlers without gRPC: uploads are validated and content-addressed,
// a stream without its header is refused, listing by kind.
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/server/service/admin/admin_handlers_fixture.h"

namespace mdefleet::testing {
namespace {

TEST_F(AdminHandlersTest, UploadValidatesAndIsContentAddressed) {
  const std::string before = env_.Snapshot();
  auto wrong = env_.TryUpload(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                              "WindowsDefenderATPOnboardingScript.cmd",
                              "@echo off\r\necho hello\r\n");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(wrong.status().message(), "content"))
      << wrong.status();
  EXPECT_EQ(env_.Snapshot(), before);

  v1::Artifact again = env_.Upload(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
                                   "copy.cmd", OnboardingScript());
  EXPECT_EQ(again.id(), onboarding_.id());
  EXPECT_EQ(again.name(), onboarding_.name());
  EXPECT_TRUE(again.secret());
  EXPECT_EQ(env_.Count("artifacts"), 1);

  size_t calls = 0;
  auto no_header = env_.admin().artifacts().UploadArtifact(
      env_.admin_bearer(), [&](v1::UploadArtifactRequest* m) {
        m->set_chunk("x");
        return calls++ == 0;
      });
  EXPECT_TRUE(absl::StartsWith(no_header.status().message(), "header"));

  v1::ListArtifactsRequest list;
  list.set_kind(v1::ARTIFACT_KIND_ONBOARDING_SCRIPT);
  auto listed =
      env_.admin().artifacts().ListArtifacts(env_.admin_bearer(), list);
  ASSERT_EQ(listed->artifacts_size(), 1);
  EXPECT_EQ(listed->artifacts(0).size(), OnboardingScript().size());
}

}  // namespace
}  // namespace mdefleet::testing
