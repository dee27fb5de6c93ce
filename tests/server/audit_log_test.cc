// The audit log's reading side: store::QueryAudit (every filter, newest
// first, pages by row id that neither skip nor repeat rows) and
// AuditHandlers::ListAuditLog (job controls listed with who, when and
// outcome; bad filters refused naming the field; the admin token required;
// listing writes nothing).
#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "server/store/audit_query.h"
#include "server/store/time_util.h"
#include "tests/server/rollout_fixture.h"

namespace mdefleet::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

int64_t Micros(absl::Duration after_epoch) {
  return absl::ToUnixMicros(TestEpoch() + after_epoch);
}

class AuditLogTest : public RolloutTest {
 protected:
  void Append(const store::AuditEntry& entry) {
    ASSERT_TRUE(env_.store()
                    .Write([&](store::Connection& db) {
                      return store::AppendAudit(db, entry);
                    })
                    .ok());
  }

  // Eight rows a minute apart: two actors, every action, every outcome.
  void AppendSample() {
    const struct {
      const char* actor;
      const char* action;
      const char* target;
      const char* outcome;
      const char* detail;
    } rows[] = {
        {"admin", "submit_job", "job-a", "ok", "onboard on 3 devices"},
        {"admin", "pause_job", "job-a", "ok", "change freeze"},
        {"ci-bot", "pause_job", "job-a", "refused", "already paused"},
        {"admin", "resume_job", "job-a", "ok", ""},
        {"ci-bot", "submit_job", "job-b", "ok", "offboard on 1 device"},
        {"admin", "retry_failed", "job-b", "ok", "1 task queued again"},
        {"admin", "cancel_job", "job-b", "error", "disk I/O error"},
        {"ci-bot", "cancel_job", "job-x", "refused", "no job \"job-x\""},
    };
    int minute = 0;
    for (const auto& r : rows) {
      Append({.at = Micros(absl::Minutes(minute++)),
              .actor = r.actor,
              .action = r.action,
              .target = r.target,
              .outcome = r.outcome,
              .detail = r.detail,
              .role = "admin"});
    }
  }

  store::AuditPage Query(const store::AuditFilter& filter,
                         int64_t before_id = 0, int64_t limit = 100) {
    store::AuditPage page;
    absl::Status read =
        env_.store().Read([&](store::Connection& db) -> absl::Status {
          auto result = store::QueryAudit(db, filter, before_id, limit);
          if (!result.ok()) return result.status();
          page = *std::move(result);
          return absl::OkStatus();
        });
    EXPECT_TRUE(read.ok()) << read;
    return page;
  }

  // "action target outcome" of each row matching the filter that `set`
  // fills in, in the order returned. (Designated initializers would warn
  // about the fields left out.)
  std::vector<std::string> Rows(
      absl::FunctionRef<void(store::AuditFilter&)> set) {
    store::AuditFilter filter;
    set(filter);
    std::vector<std::string> out;
    for (const store::AuditRow& row : Query(filter).rows) {
      out.push_back(absl::StrCat(row.entry.action, " ", row.entry.target, " ",
                                 row.entry.outcome));
    }
    return out;
  }

  absl::StatusOr<v1::ListAuditLogResponse> List(
      const v1::ListAuditLogRequest& request) {
    return env_.admin().audit().ListAuditLog(env_.admin_bearer(), request);
  }
};

TEST_F(AuditLogTest, NewestFirstWithEveryColumn) {
  AppendSample();
  store::AuditPage page = Query(store::AuditFilter());
  ASSERT_EQ(page.rows.size(), 8u);
  EXPECT_EQ(page.next_before_id, 0);
  for (size_t i = 1; i < page.rows.size(); ++i) {
    EXPECT_GT(page.rows[i - 1].id, page.rows[i].id);
  }
  const store::AuditEntry& newest = page.rows[0].entry;
  EXPECT_EQ(newest.at, Micros(absl::Minutes(7)));
  EXPECT_EQ(newest.actor, "ci-bot");
  EXPECT_EQ(newest.action, "cancel_job");
  EXPECT_EQ(newest.target, "job-x");
  EXPECT_EQ(newest.outcome, "refused");
  EXPECT_EQ(newest.detail, "no job \"job-x\"");
}

TEST_F(AuditLogTest, EachFilterAndTheirCombination) {
  AppendSample();
  EXPECT_THAT(Rows([](store::AuditFilter& f) { f.actor = "ci-bot"; }),
              ElementsAre("cancel_job job-x refused", "submit_job job-b ok",
                          "pause_job job-a refused"));
  EXPECT_THAT(Rows([](store::AuditFilter& f) { f.action = "pause_job"; }),
              ElementsAre("pause_job job-a refused", "pause_job job-a ok"));
  // A verb matches the actions it starts followed by '_', and nothing else.
  EXPECT_THAT(Rows([](store::AuditFilter& f) { f.action = "pause"; }),
              ElementsAre("pause_job job-a refused", "pause_job job-a ok"));
  EXPECT_THAT(Rows([](store::AuditFilter& f) { f.action = "retry"; }),
              ElementsAre("retry_failed job-b ok"));
  EXPECT_THAT(Rows([](store::AuditFilter& f) { f.action = "pause_j"; }),
              ElementsAre());
  EXPECT_THAT(Rows([](store::AuditFilter& f) { f.target = "job-b"; }),
              ElementsAre("cancel_job job-b error", "retry_failed job-b ok",
                          "submit_job job-b ok"));
  EXPECT_THAT(
      Rows([](store::AuditFilter& f) { f.outcome = "refused"; }),
      ElementsAre("cancel_job job-x refused", "pause_job job-a refused"));
  EXPECT_THAT(Rows([](store::AuditFilter& f) { f.outcome = "error"; }),
              ElementsAre("cancel_job job-b error"));
  // since is inclusive, until exclusive: minutes 2, 3 and 4.
  EXPECT_THAT(Rows([](store::AuditFilter& f) {
                f.since = Micros(absl::Minutes(2));
                f.until = Micros(absl::Minutes(5));
              }),
              ElementsAre("submit_job job-b ok", "resume_job job-a ok",
                          "pause_job job-a refused"));
  EXPECT_THAT(
      Rows([](store::AuditFilter& f) { f.since = Micros(absl::Minutes(7)); }),
      ElementsAre("cancel_job job-x refused"));
  EXPECT_THAT(
      Rows([](store::AuditFilter& f) { f.until = Micros(absl::Minutes(1)); }),
      ElementsAre("submit_job job-a ok"));
  EXPECT_THAT(Rows([](store::AuditFilter& f) {
                f.actor = "admin";
                f.action = "pause";
                f.target = "job-a";
                f.outcome = "ok";
                f.since = Micros(absl::ZeroDuration());
              }),
              ElementsAre("pause_job job-a ok"));
  EXPECT_THAT(Rows([](store::AuditFilter& f) { f.actor = "nobody"; }),
              ElementsAre());
}

TEST_F(AuditLogTest, PagesNeitherSkipNorRepeatRows) {
  for (int i = 0; i < 25; ++i) {
    Append({.at = Micros(absl::Seconds(i)),
            .actor = "admin",
            .action = "pause_job",
            .target = i % 2 == 0 ? "job-even" : "job-odd",
            .outcome = "ok",
            .detail = absl::StrCat(i),
            .role = "admin"});
  }
  for (const char* target_name : {"", "job-even"}) {
    const std::string target = target_name;
    std::vector<std::string> seen;
    std::vector<size_t> sizes;
    int64_t before = 0;
    do {
      store::AuditFilter filter;
      filter.target = target;
      store::AuditPage page = Query(filter, before, 10);
      sizes.push_back(page.rows.size());
      for (const store::AuditRow& row : page.rows) {
        seen.push_back(row.entry.detail);
      }
      before = page.next_before_id;
      // Rows appended meanwhile are newer: they never appear in later pages.
      if (sizes.size() == 1) {
        Append({.at = Micros(absl::Minutes(10)),
                .actor = "admin",
                .action = "resume_job",
                .target = target.empty() ? "job-odd" : target,
                .outcome = "ok",
                .detail = "appended while paging",
                .role = "admin"});
      }
    } while (before != 0);
    std::vector<std::string> expected;
    for (int i = 24; i >= 0; --i) {
      if (target.empty() || i % 2 == 0) expected.push_back(absl::StrCat(i));
    }
    if (target.empty()) {
      EXPECT_THAT(sizes, ElementsAre(10, 10, 5));
    } else {
      EXPECT_THAT(sizes, ElementsAre(10, 3));
    }
    EXPECT_EQ(seen, expected) << "target " << target;
  }
  // An exactly full last page says there is nothing after it.
  store::AuditPage all = Query(store::AuditFilter(), 0, 27);
  EXPECT_EQ(all.rows.size(), 27u);
  EXPECT_EQ(all.next_before_id, 0);
}

TEST_F(AuditLogTest, JobControlsAreListedWithWhoWhenAndOutcome) {
  Fleet(2);
  const std::string job = Submit({});
  v1::PauseJobRequest pause;
  pause.set_job_id(job);
  pause.set_reason("change freeze");
  env_.clock().Advance(absl::Minutes(1));
  ASSERT_TRUE(env_.admin().jobs().PauseJob(env_.admin_bearer(), pause).ok());
  env_.clock().Advance(absl::Minutes(1));
  EXPECT_FALSE(env_.admin().jobs().PauseJob(env_.admin_bearer(), pause).ok());
  v1::CancelJobRequest cancel;
  cancel.set_job_id(job);
  env_.clock().Advance(absl::Minutes(1));
  ASSERT_TRUE(env_.admin().jobs().CancelJob(env_.admin_bearer(), cancel).ok());

  auto listed = List({});
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->entries_size(), 4);
  EXPECT_TRUE(listed->next_page_token().empty());
  std::vector<std::string> rows;
  for (const v1::AuditEntry& e : listed->entries()) {
    EXPECT_EQ(e.actor(), "admin");
    EXPECT_EQ(e.target(), job);
    rows.push_back(
        absl::StrCat(e.action(), " ", e.outcome(), " ",
                     e.time().seconds() - absl::ToUnixSeconds(TestEpoch())));
  }
  EXPECT_THAT(rows, ElementsAre("cancel_job ok 180", "pause_job refused 120",
                                "pause_job ok 60", "submit_job ok 0"));
  EXPECT_GT(listed->entries(0).id(), listed->entries(1).id());
  EXPECT_THAT(listed->entries(1).detail(), HasSubstr("is already paused"));
  EXPECT_EQ(listed->entries(2).detail(), "change freeze");
  EXPECT_EQ(listed->entries(3).detail(), "onboard on 2 devices");

  v1::ListAuditLogRequest refused;
  refused.set_target(job);
  refused.set_outcome("refused");
  refused.set_action("pause");
  refused.mutable_since()->set_seconds(absl::ToUnixSeconds(TestEpoch()) + 120);
  auto only = List(refused);
  ASSERT_TRUE(only.ok()) << only.status();
  ASSERT_EQ(only->entries_size(), 1);
  EXPECT_EQ(only->entries(0).action(), "pause_job");
  EXPECT_EQ(only->entries(0).time().seconds(),
            absl::ToUnixSeconds(TestEpoch()) + 120);
}

TEST_F(AuditLogTest, PageTokensLeadThroughEveryRowOnce) {
  for (int i = 0; i < 7; ++i) {
    Append({.at = Micros(absl::Seconds(i)),
            .actor = "admin",
            .action = "submit_job",
            .target = absl::StrCat("job-", i),
            .outcome = "ok",
            .detail = "",
            .role = "admin"});
  }
  v1::ListAuditLogRequest request;
  request.set_page_size(3);
  std::vector<std::string> targets;
  int pages = 0;
  while (true) {
    auto page = List(request);
    ASSERT_TRUE(page.ok()) << page.status();
    ++pages;
    for (const v1::AuditEntry& e : page->entries()) {
      targets.push_back(e.target());
    }
    if (page->next_page_token().empty()) break;
    // Opaque: not the bare row id.
    int64_t bare = 0;
    EXPECT_FALSE(absl::SimpleAtoi(page->next_page_token(), &bare));
    request.set_page_token(page->next_page_token());
  }
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(targets, ElementsAre("job-6", "job-5", "job-4", "job-3", "job-2",
                                   "job-1", "job-0"));
  // The default page holds 100.
  for (int i = 0; i < 120; ++i) {
    Append({.at = 0,
            .actor = "admin",
            .action = "cancel_job",
            .target = "job-z",
            .outcome = "ok",
            .detail = "",
            .role = "admin"});
  }
  auto first = List({});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->entries_size(), 100);
  EXPECT_FALSE(first->next_page_token().empty());
}

TEST_F(AuditLogTest, BadFiltersAreRefusedNamingTheField) {
  const int64_t epoch = absl::ToUnixSeconds(TestEpoch());
  auto with = [](auto set) {
    v1::ListAuditLogRequest r;
    set(r);
    return r;
  };
  const std::vector<std::pair<v1::ListAuditLogRequest, std::string>> bad = {
      {with([](auto& r) { r.set_outcome("maybe"); }),
       "outcome: expected ok, refused or error, got \"maybe\""},
      {with([](auto& r) { r.set_outcome("OK"); }), "outcome: expected ok"},
      {with([](auto& r) { r.set_action("paus"); }),
       "action: \"paus\" is not an audited action; expected one of "
       "submit_job, pause_job, resume_job, retry_failed, cancel_job"},
      {with([](auto& r) { r.set_action("pause_"); }), "action: "},
      {with([&](auto& r) {
         r.mutable_since()->set_seconds(epoch);
         r.mutable_until()->set_seconds(epoch);
       }),
       "since: must be before until"},
      {with([&](auto& r) {
         r.mutable_since()->set_seconds(epoch + 1);
         r.mutable_until()->set_seconds(epoch);
       }),
       "since: must be before until"},
      {with([](auto& r) { r.mutable_since()->set_nanos(-1); }),
       "since: not a valid timestamp"},
      {with([](auto& r) { r.mutable_until()->set_seconds(1LL << 40); }),
       "until: not a valid timestamp"},
      {with([](auto& r) { r.set_page_size(1001); }), "page_size: at most 1000"},
      {with([](auto& r) { r.set_page_token("not a token"); }),
       "page_token: malformed"},
      {with([](auto& r) {
         r.set_page_token(absl::WebSafeBase64Escape("audit-before:-3"));
       }),
       "page_token: malformed"},
      {with([](auto& r) { r.set_page_token(absl::WebSafeBase64Escape("42")); }),
       "page_token: malformed"},
      {with([](auto& r) { r.set_actor(std::string(300, 'a')); }),
       "actor: at most 256 characters"},
      {with([](auto& r) { r.set_target(std::string(300, 'j')); }),
       "target: at most 256 characters"},
  };
  for (const auto& [request, message] : bad) {
    auto result = List(request);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument)
        << request.ShortDebugString();
    EXPECT_THAT(std::string(result.status().message()), StartsWith(message))
        << request.ShortDebugString();
  }
  // The limits themselves are fine.
  v1::ListAuditLogRequest edge;
  edge.set_page_size(1000);
  edge.set_action("retry_failed");
  edge.set_outcome("error");
  edge.mutable_since()->set_seconds(0);  // the epoch itself is a time
  EXPECT_TRUE(List(edge).ok());
}

TEST_F(AuditLogTest, RequiresTheAdminTokenAndIsNotItselfAudited) {
  AppendSample();
  const std::string before = env_.Snapshot();
  const int64_t rows = env_.Count("audit_log");
  for (const char* wrong :
       {"", "Bearer mdf_admin_wrong", "Bearer mdf_enroll_x"}) {
    EXPECT_EQ(env_.admin().audit().ListAuditLog(wrong, {}).status().code(),
              absl::StatusCode::kUnauthenticated)
        << wrong;
  }
  ASSERT_TRUE(List({}).ok());
  EXPECT_EQ(env_.Count("audit_log"), rows);
  EXPECT_EQ(env_.Snapshot(), before);
}

}  // namespace
}  // namespace mdefleet::testing
