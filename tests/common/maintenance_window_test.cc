#include "common/maintenance_window.h"

#include "absl/time/civil_time.h"
#include "common/rollout_policy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mdefleet {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// 2024-03-02 is a Saturday.
absl::Time Utc(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi),
                         absl::UTCTimeZone());
}

MaintenanceWindowSpec Parse(absl::string_view text) {
  auto w = ParseMaintenanceWindow(text, "--maintenance-window");
  EXPECT_TRUE(w.ok()) << text << ": " << w.status();
  return w.ok() ? *w : MaintenanceWindowSpec{};
}

TEST(MaintenanceWindowParse, CanonicalForms) {
  EXPECT_EQ(FormatMaintenanceWindow(Parse("Sat 01:00-05:00")),
            "Sat 01:00-05:00");
  EXPECT_EQ(FormatMaintenanceWindow(Parse("  saturday   01:00-05:00 ")),
            "Sat 01:00-05:00");
  EXPECT_EQ(FormatMaintenanceWindow(Parse("mon-FRI 22:00-02:00")),
            "Mon-Fri 22:00-02:00");
  EXPECT_EQ(FormatMaintenanceWindow(Parse("Fri-Mon 00:00-24:00")),
            "Fri-Mon 00:00-24:00");
  EXPECT_EQ(FormatMaintenanceWindow(Parse("daily 03:00-04:00")),
            "daily 03:00-04:00");
  EXPECT_EQ(FormatMaintenanceWindow(Parse("* 03:00-04:00")),
            "daily 03:00-04:00");
  EXPECT_EQ(FormatMaintenanceWindow(Parse("Sun-Sat 03:00-04:00")),
            "daily 03:00-04:00");
  const MaintenanceWindowSpec cross = Parse("Sun 23:00-02:00");
  EXPECT_EQ(cross.start_minute, 23 * 60);
  EXPECT_EQ(cross.length_minutes, 180);
  EXPECT_EQ(FormatMaintenanceWindow(cross), "Sun 23:00-02:00");
}

TEST(MaintenanceWindowParse, BadSyntaxNamesTheFlagAndTheSyntax) {
  for (absl::string_view bad :
       {"", "Sat", "01:00-05:00", "Sat 1:00-05:00", "Sat 01:00", "Sat 01:00-",
        "Sat 25:00-26:00", "Sat 01:60-02:00", "Sat 24:00-02:00",
        "Caturday 01:00-02:00", "Mon-Fri-Sat 01:00-02:00",
        "Sat 01:00-05:00 extra", "Sat 03:00-03:00", "Sat 0a:00-05:00"}) {
    auto w = ParseMaintenanceWindow(bad, "--maintenance-window");
    ASSERT_FALSE(w.ok()) << "accepted \"" << bad << "\"";
    EXPECT_TRUE(absl::IsInvalidArgument(w.status()));
    EXPECT_THAT(w.status().message(), AllOf(HasSubstr("--maintenance-window"),
                                            HasSubstr("\"Sat 01:00-05:00\"")))
        << bad;
  }
  EXPECT_THAT(
      ParseMaintenanceWindow("Caturday 01:00-02:00", "--maintenance-window")
          .status()
          .message(),
      HasSubstr("unknown day \"Caturday\""));
  EXPECT_THAT(ParseMaintenanceWindow("Sat 03:00-03:00", "--maintenance-window")
                  .status()
                  .message(),
              HasSubstr("starts and ends at the same time"));
}

TEST(MaintenanceWindowEval, InsideAndOutside) {
  const MaintenanceWindowSpec sat = Parse("Sat 01:00-05:00");
  EXPECT_FALSE(InMaintenanceWindow(sat, Utc(2024, 3, 2, 0, 59), 0));
  EXPECT_TRUE(InMaintenanceWindow(sat, Utc(2024, 3, 2, 1, 0), 0));
  EXPECT_TRUE(InMaintenanceWindow(sat, Utc(2024, 3, 2, 4, 59), 0));
  EXPECT_FALSE(InMaintenanceWindow(sat, Utc(2024, 3, 2, 5, 0), 0));
  EXPECT_FALSE(InMaintenanceWindow(sat, Utc(2024, 3, 9 - 1, 2, 0), 0));  // Fri
}

TEST(MaintenanceWindowEval, UsesTheDeviceLocalTime) {
  const MaintenanceWindowSpec sat = Parse("Sat 01:00-05:00");
  // Fri 17:00 UTC is Sat 02:00 in UTC+9, Fri 12:00 in UTC-5.
  const absl::Time t = Utc(2024, 3, 1, 17, 0);
  EXPECT_FALSE(InMaintenanceWindow(sat, t, 0));
  EXPECT_TRUE(InMaintenanceWindow(sat, t, 9 * 60));
  EXPECT_FALSE(InMaintenanceWindow(sat, t, -5 * 60));
  // Sat 06:00 UTC is Sat 01:00 in UTC-5.
  EXPECT_TRUE(InMaintenanceWindow(sat, Utc(2024, 3, 2, 6, 0), -5 * 60));
}

TEST(MaintenanceWindowEval, CrossingMidnightAndTheWeekEnd) {
  const MaintenanceWindowSpec sun = Parse("Sun 23:00-02:00");
  // Sunday 2024-03-03 23:30 and Monday 01:59 are in; Sunday 01:00 is not
  // (that belongs to a Saturday-night window).
  EXPECT_TRUE(InMaintenanceWindow(sun, Utc(2024, 3, 3, 23, 30), 0));
  EXPECT_TRUE(InMaintenanceWindow(sun, Utc(2024, 3, 4, 1, 59), 0));
  EXPECT_FALSE(InMaintenanceWindow(sun, Utc(2024, 3, 4, 2, 0), 0));
  EXPECT_FALSE(InMaintenanceWindow(sun, Utc(2024, 3, 3, 1, 0), 0));
  // Saturday 23:00 to Sunday 02:00 wraps the week's end (Sat = day 6).
  const MaintenanceWindowSpec sat = Parse("Sat 23:00-02:00");
  EXPECT_TRUE(InMaintenanceWindow(sat, Utc(2024, 3, 3, 1, 0), 0));
  const MaintenanceWindowSpec weekdays = Parse("Mon-Fri 22:00-02:00");
  EXPECT_TRUE(InMaintenanceWindow(weekdays, Utc(2024, 3, 2, 1, 0), 0))
      << "Friday's window runs into Saturday";
  EXPECT_FALSE(InMaintenanceWindow(weekdays, Utc(2024, 3, 2, 23, 0), 0));
}

TEST(MaintenanceWindowEval, NextOpening) {
  const std::vector<MaintenanceWindowSpec> windows = {Parse("Sat 01:00-05:00"),
                                                      Parse("Wed 12:00-13:00")};
  // Friday 2024-03-01 10:30:20 -> Saturday 01:00.
  auto next = NextMaintenanceOpening(
      windows, Utc(2024, 3, 1, 10, 30) + absl::Seconds(20), 0);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->at, Utc(2024, 3, 2, 1, 0));
  EXPECT_EQ(next->index, 0u);
  // Inside: now.
  const absl::Time inside = Utc(2024, 3, 2, 2, 0);
  EXPECT_EQ(NextMaintenanceOpening(windows, inside, 0)->at, inside);
  // Saturday 05:00 (just closed) -> Wednesday 12:00.
  next = NextMaintenanceOpening(windows, Utc(2024, 3, 2, 5, 0), 0);
  EXPECT_EQ(next->at, Utc(2024, 3, 6, 12, 0));
  EXPECT_EQ(next->index, 1u);
  // In UTC+9, Sat 01:00 local is Fri 16:00 UTC.
  next = NextMaintenanceOpening(windows, Utc(2024, 3, 1, 10, 0), 9 * 60);
  EXPECT_EQ(next->at, Utc(2024, 3, 1, 16, 0));
  // Half-hour offsets: UTC-03:30.
  next = NextMaintenanceOpening(windows, Utc(2024, 3, 1, 10, 0), -210);
  EXPECT_EQ(next->at, Utc(2024, 3, 2, 4, 30));
  EXPECT_FALSE(NextMaintenanceOpening({}, inside, 0).has_value());
}

TEST(MaintenanceWindowPolicy, ValidatedWithThePolicy) {
  v1::RolloutPolicy policy;
  policy.add_maintenance_windows()->set_spec("Sat 01:00-05:00");
  EXPECT_TRUE(ValidateRolloutPolicy(policy).ok());
  policy.add_maintenance_windows()->set_spec("Sat 1-5");
  absl::Status s = ValidateRolloutPolicy(policy);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("policy.maintenance_windows[1]"));
  EXPECT_THAT(s.message(), HasSubstr("--maintenance-window"));

  v1::RolloutPolicy task_scope;
  task_scope.set_maintenance_scope(v1::MAINTENANCE_SCOPE_WHOLE_TASK);
  s = ValidateRolloutPolicy(task_scope);
  EXPECT_THAT(s.message(), HasSubstr("--maintenance-window-scope"));
}

TEST(MaintenanceWindowPolicy, ResolveStoresTheCanonicalForm) {
  v1::RolloutPolicy policy;
  policy.add_maintenance_windows()->set_spec("saturday 01:00-05:00");
  auto resolved =
      ResolveRolloutPolicy(&policy, 3, Utc(2024, 3, 1, 0, 0), std::nullopt);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(policy.maintenance_windows(0).spec(), "Sat 01:00-05:00");
}

TEST(MaintenanceWindowPolicy, TaskMayStartNow) {
  v1::RolloutPolicy policy;
  policy.add_maintenance_windows()->set_spec("Sat 01:00-05:00");
  const absl::Time fri = Utc(2024, 3, 1, 12, 0);
  EXPECT_TRUE(TaskMayStartNow(policy, fri, 0)) << "reboot scope: any time";
  policy.set_maintenance_scope(v1::MAINTENANCE_SCOPE_WHOLE_TASK);
  EXPECT_FALSE(TaskMayStartNow(policy, fri, 0));
  EXPECT_TRUE(TaskMayStartNow(policy, fri, 14 * 60));  // Sat 02:00 at +14
}

TEST(MaintenanceWindowPolicy, FormatUtcOffset) {
  EXPECT_EQ(FormatUtcOffset(540), "+09:00");
  EXPECT_EQ(FormatUtcOffset(-210), "-03:30");
  EXPECT_EQ(FormatUtcOffset(0), "+00:00");
}

}  // namespace
}  // namespace mdefleet
