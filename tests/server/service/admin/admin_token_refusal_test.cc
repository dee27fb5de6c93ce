// Every AdminService method refuses a missing or wrong token (none, an
// unknown one, the enrollment secret, a device's token) before it reads
// or writes anything.
#include <string>

#include "gtest/gtest.h"
#include "tests/server/service/admin/admin_handlers_fixture.h"

namespace mdefleet::testing {
namespace {

TEST_F(AdminHandlersTest, EveryMethodRefusesAMissingOrWrongToken) {
  const std::string before = env_.Snapshot();
  for (const std::string& bad :
       {std::string(), std::string("Bearer mdf_admin_wrong"),
        env_.enroll_bearer(), web19_.bearer}) {
    auto& a = env_.admin();
    EXPECT_EQ(a.inventory().ListDevices(bad, {}).status().code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(a.inventory().GetDevice(bad, {}).status().code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(a.jobs().SubmitJob(bad, Onboard()).status().code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(a.jobs().GetJob(bad, {}).status().code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(a.jobs().ListJobs(bad, {}).status().code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(a.jobs().ListTasks(bad, {}).status().code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(a.jobs().CancelJob(bad, {}).status().code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(a.artifacts().ListArtifacts(bad, {}).status().code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(a.jobs()
                  .WatchJob(
                      bad, {}, [](const v1::Job&) { return true; },
                      [] { return false; })
                  .code(),
              absl::StatusCode::kUnauthenticated);
    bool read_called = false;
    EXPECT_EQ(a.artifacts()
                  .UploadArtifact(bad,
                                  [&](v1::UploadArtifactRequest*) {
                                    read_called = true;
                                    return false;
                                  })
                  .status()
                  .code(),
              absl::StatusCode::kUnauthenticated);
    EXPECT_FALSE(read_called);
  }
  EXPECT_EQ(env_.Snapshot(), before);
}

}  // namespace
}  // namespace mdefleet::testing
