// `mdefleetctl audit list` against the fake AdminService: the table and
// JSON output, flags turned into the request (durations counted back from
// the clock), paging up to --limit, usage errors before anything is sent,
// and the server's refusals.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "server/cli/app.h"
#include "server/cli/audit_cmd.h"
#include "tests/cli/cli_run.h"
#include "tests/cli/fake_admin_service.h"

namespace mdefleet::cli {
namespace {

using testing::FakeAdminService;
using testing::FakeServer;
using ::testing::HasSubstr;

constexpr int64_t kNow = 1714564800;  // 2024-05-01 12:00:00Z

using testing::Result;

v1::AuditEntry Entry(int64_t id, int64_t seconds_ago, const std::string& actor,
                     const std::string& action, const std::string& target,
                     const std::string& outcome, const std::string& detail) {
  v1::AuditEntry e;
  e.set_id(id);
  e.mutable_time()->set_seconds(kNow - seconds_ago);
  e.set_actor(actor);
  e.set_action(action);
  e.set_target(target);
  e.set_outcome(outcome);
  e.set_detail(detail);
  return e;
}

class AuditCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("MDEFLEET_SERVER");
    unsetenv("MDEFLEET_TOKEN");
  }
  Result Run(std::vector<std::string> args) {
    return testing::RunCliAgainst(server_, std::move(args));
  }
  FakeAdminService& fake() { return server_.service(); }
  std::vector<v1::ListAuditLogRequest> Requests() {
    std::lock_guard<std::mutex> lock(fake().mu);
    return fake().audit_requests;
  }
  void Serve(int n) {
    std::lock_guard<std::mutex> lock(fake().mu);
    for (int i = 0; i < n; ++i) {
      fake().audit_entries.push_back(Entry(n - i, i, "admin", "pause_job",
                                           "job-1", "ok", absl::StrCat(i)));
    }
  }

  FakeServer server_;
};

TEST_F(AuditCommandsTest, ListPrintsOneRowPerEntryNewestFirst) {
  {
    std::lock_guard<std::mutex> lock(fake().mu);
    fake().audit_entries = {
        Entry(4, 60, "ci-bot", "resume_job", "job-1f2e3d", "refused",
              "job_id: job job-1f2e3d already ended (cancelled); there is "
              "nothing to resume"),
        Entry(3, 3600, "admin", "cancel_job", "job-1f2e3d", "ok",
              "proxy misconfigured"),
        Entry(2, 7200, "admin", "pause_job", "job-1f2e3d", "ok", ""),
        Entry(1, 90000, "admin", "submit_job", "job-1f2e3d", "ok",
              "onboard on 10 devices"),
    };
  }
  Result r = Run({"audit", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "TIME                  ACTOR   ROLE  ACTION      TARGET      "
            "OUTCOME  DETAIL\n"
            "2024-05-01 11:59:00Z  ci-bot  -     resume_job  job-1f2e3d  "
            "refused  job_id: job job-1f2e3d already ended (cancelled); "
            "there is nothing to resume\n"
            "2024-05-01 11:00:00Z  admin   -     cancel_job  job-1f2e3d  "
            "ok       proxy misconfigured\n"
            "2024-05-01 10:00:00Z  admin   -     pause_job   job-1f2e3d  "
            "ok\n"
            "2024-04-30 11:00:00Z  admin   -     submit_job  job-1f2e3d  "
            "ok       onboard on 10 devices\n"
            "4 entries\n");
  const std::vector<v1::ListAuditLogRequest> requests = Requests();
  ASSERT_EQ(requests.size(), 1u);
  const v1::ListAuditLogRequest& sent = requests[0];
  EXPECT_EQ(sent.page_size(), kDefaultAuditLimit);
  EXPECT_FALSE(sent.has_since());
  EXPECT_FALSE(sent.has_until());
  EXPECT_EQ(sent.actor(), "");
  EXPECT_EQ(sent.outcome(), "");
  std::lock_guard<std::mutex> lock(fake().mu);
  EXPECT_EQ(fake().authorizations.back(),
            absl::StrCat("Bearer ", FakeAdminService::kToken));
}

TEST_F(AuditCommandsTest, FlagsBecomeTheRequest) {
  Result r = Run({"audit", "list", "--actor", "ci-bot", "--action",
                  "retry-failed", "--job", "job-1", "--outcome", "refused",
                  "--since", "24h", "--until", "2024-05-01T11:30:00Z"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "TIME  ACTOR  ROLE  ACTION  TARGET  OUTCOME  DETAIL\n0 entries\n");
  const std::vector<v1::ListAuditLogRequest> requests = Requests();
  ASSERT_EQ(requests.size(), 1u);
  const v1::ListAuditLogRequest& sent = requests[0];
  EXPECT_EQ(sent.actor(), "ci-bot");
  EXPECT_EQ(sent.action(), "retry_failed");
  EXPECT_EQ(sent.target(), "job-1");
  EXPECT_EQ(sent.outcome(), "refused");
  EXPECT_EQ(sent.since().seconds(), kNow - 86400);  // 24h before the clock
  EXPECT_EQ(sent.until().seconds(), kNow - 1800);

  // A verb is sent as typed; an RFC 3339 time with an offset is converted.
  ASSERT_EQ(Run({"audit", "list", "--action", "pause", "--since",
                 "2024-05-01T13:00:00+02:00", "--until", "30m"})
                .exit_code,
            0);
  const std::vector<v1::ListAuditLogRequest> again = Requests();
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[1].action(), "pause");
  EXPECT_EQ(again[1].since().seconds(), kNow - 3600);
  EXPECT_EQ(again[1].until().seconds(), kNow - 1800);
}

TEST_F(AuditCommandsTest, LimitStopsPagingAndSaysOlderOnesWereLeftOut) {
  Serve(7);
  Result r = Run({"audit", "list", "--limit", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\n5 entries, newest first; older ones left out "
                               "(raise --limit, 0 for all)\n"));
  ASSERT_EQ(Requests().size(), 1u);
  EXPECT_EQ(Requests()[0].page_size(), 5u);

  Result json = Run({"-o", "json", "audit", "list", "--limit", "5"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_THAT(json.out, HasSubstr("\"nextPageToken\": \"5\""));

  Result all = Run({"audit", "list", "--limit", "7"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_THAT(all.out, HasSubstr("\n7 entries\n"));
}

TEST_F(AuditCommandsTest, LimitZeroFollowsEveryPage) {
  Serve(2500);
  Result r = Run({"audit", "list", "--limit", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\n2500 entries\n"));
  std::vector<v1::ListAuditLogRequest> sent = Requests();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].page_size(), 1000u);  // the server's maximum
  EXPECT_EQ(sent[0].page_token(), "");
  EXPECT_EQ(sent[1].page_token(), "1000");
  EXPECT_EQ(sent[2].page_token(), "2000");
}

TEST_F(AuditCommandsTest, JsonIsTheProtobufMappingOfTheEntries) {
  {
    std::lock_guard<std::mutex> lock(fake().mu);
    fake().audit_entries = {Entry(9, 3600, "admin", "pause_job", "job-1",
                                  "refused",
                                  "job_id: job job-1 is already "
                                  "paused")};
  }
  Result r = Run({"-o", "json", "audit", "list", "--outcome", "refused"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"entries\": ["));
  EXPECT_THAT(r.out, HasSubstr("\"id\": \"9\""));
  EXPECT_THAT(r.out, HasSubstr("\"time\": \"2024-05-01T11:00:00Z\""));
  EXPECT_THAT(r.out, HasSubstr("\"actor\": \"admin\""));
  EXPECT_THAT(r.out, HasSubstr("\"action\": \"pause_job\""));
  EXPECT_THAT(r.out, HasSubstr("\"target\": \"job-1\""));
  EXPECT_THAT(r.out, HasSubstr("\"outcome\": \"refused\""));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("1 entry")));  // no footer
  EXPECT_EQ(r.err, "");
}

TEST_F(AuditCommandsTest, BadFlagsAreUsageErrorsAndSendNothing) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"--outcome", "maybe"},
       "--outcome \"maybe\": expected ok, refused or error"},
      {{"--since", "yesterday"},
       "--since \"yesterday\": expected a duration before now (24h, 7d) or "
       "an RFC 3339 time (2024-05-01T18:00:00Z)"},
      {{"--until", "2024-13-01T00:00:00Z"}, "--until \"2024-13-01T00:00:00Z\""},
      {{"--since", "1h", "--until", "2h"},
       "--since \"1h\" must be before --until \"2h\""},
      {{"--since", "2024-05-01T10:00:00Z", "--until", "2h"},
       "--since \"2024-05-01T10:00:00Z\" must be before --until \"2h\""},
      {{"--limit", "many"}, "Could not convert: --limit = many"},
  };
  for (const auto& [flags, message] : bad) {
    std::vector<std::string> args = {"audit", "list"};
    args.insert(args.end(), flags.begin(), flags.end());
    Result r = Run(args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(flags);
    EXPECT_THAT(r.err, HasSubstr("error: " + message))
        << ::testing::PrintToString(flags);
  }
  EXPECT_TRUE(Requests().empty()) << "nothing was sent";
}

TEST_F(AuditCommandsTest, ServerRefusalsExitOneWithTheServersMessage) {
  {
    std::lock_guard<std::mutex> lock(fake().mu);
    fake().audit_status =
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                     "action: \"paus\" is not an audited action; expected one "
                     "of submit_job, pause_job, resume_job, retry_failed, "
                     "cancel_job or the verb of one (pause)");
  }
  Result r = Run({"audit", "list", "--action", "paus"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: invalid request: action: \"paus\" is "
                               "not an audited action"));
  EXPECT_EQ(r.out, "");
}

TEST_F(AuditCommandsTest, AWrongTokenIsAnAuthenticationFailure) {
  Result r = testing::RunCliRaw({"--server", server_.address(), "--token",
                                 "mdf_admin_wrong", "audit", "list"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("authentication failed"));
}

}  // namespace
}  // namespace mdefleet::cli
