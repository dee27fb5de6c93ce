// ServerMetrics::Register: every instrument of docs/metrics.md, and a refused
// registration as a Status rather than prometheus-cpp's exception.
#include "server/metrics/server_metrics.h"

#include <prometheus/registry.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/metrics/text_exposition.h"
#include "tests/server/metrics/exposition_parser.h"

namespace mdefleet::metrics {
namespace {

using ::mdefleet::testing::ParseExposition;
using ::testing::HasSubstr;

TEST(ServerMetricsTest, UnlabelledInstrumentsAreExportedFromTheStart) {
  prometheus::Registry registry;
  absl::StatusOr<ServerMetrics> m = ServerMetrics::Register(registry);
  ASSERT_TRUE(m.ok()) << m.status();
  const std::string text = RenderText({&registry});
  absl::StatusOr<::mdefleet::testing::Exposition> e = ParseExposition(text);
  ASSERT_TRUE(e.ok()) << e.status() << "\n" << text;
  EXPECT_EQ(e->Value("mdefleet_long_polls_held"), 0);
  EXPECT_EQ(e->Value("mdefleet_client_certificate_renewals_total"), 0);
  EXPECT_EQ(e->Value("mdefleet_sqlite_write_batch_size_count"), 0);
  EXPECT_EQ(e->Value("mdefleet_sqlite_write_seconds_bucket", {{"le", "5"}}), 0);
  EXPECT_EQ(e->Family("mdefleet_sqlite_write_batch_size")->help,
            "Writes carried by one group-commit transaction.");
}

TEST(ServerMetricsTest, ATakenNameIsAnErrorNamingIt) {
  prometheus::Registry registry(prometheus::Registry::InsertBehavior::Throw);
  prometheus::BuildGauge()
      .Name("mdefleet_http_requests_total")
      .Help("Taken.")
      .Register(registry);
  absl::StatusOr<ServerMetrics> m = ServerMetrics::Register(registry);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr("mdefleet_http_requests_total"));
}

}  // namespace
}  // namespace mdefleet::metrics
