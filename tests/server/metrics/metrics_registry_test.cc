// The registry: registration checks, labelled families, collectors and the
// rendered text (always accepted by the strict parser).
#include "server/metrics/metrics_registry.h"

#include <cmath>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "server/metrics/text_format.h"
#include "tests/server/metrics/exposition_parser.h"

namespace mdefleet::metrics {
namespace {

using ::mdefleet::testing::Exposition;
using ::mdefleet::testing::ParseExposition;

Exposition Parsed(const MetricsRegistry& registry) {
  const std::string text = registry.Render();
  absl::StatusOr<Exposition> parsed = ParseExposition(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
  return parsed.ok() ? *parsed : Exposition{};
}

TEST(MetricsRegistryTest, RendersCountersGaugesAndHistograms) {
  MetricsRegistry registry;
  auto calls =
      registry.AddCounterFamily<2>("calls_total", "Calls.", {"method", "code"});
  ASSERT_TRUE(calls.ok()) << calls.status();
  auto held = registry.AddGauge("held", "Held.");
  ASSERT_TRUE(held.ok());
  auto seconds =
      registry.AddHistogram("write_seconds", "Writes.", {0.001, 0.01, 0.1});
  ASSERT_TRUE(seconds.ok());

  (*calls)->With({"Get", "OK"}).Increment();
  (*calls)->With({"Get", "OK"}).Increment(2);
  (*calls)->With({"Get", "NOT_FOUND"}).Increment();
  (*held)->Increment();
  (*held)->Increment();
  (*held)->Decrement();
  for (double v : {0.0005, 0.001, 0.05, 3.0}) (*seconds)->Observe(v);

  Exposition e = Parsed(registry);
  EXPECT_EQ(e.Family("calls_total")->type, "counter");
  EXPECT_EQ(e.Value("calls_total", {{"method", "Get"}, {"code", "OK"}}), 3);
  EXPECT_EQ(e.Value("calls_total", {{"method", "Get"}, {"code", "NOT_FOUND"}}),
            1);
  EXPECT_EQ(e.Value("held"), 1);
  // le is inclusive: 0.001 counts in the 0.001 bucket.
  EXPECT_EQ(e.Value("write_seconds_bucket", {{"le", "0.001"}}), 2);
  EXPECT_EQ(e.Value("write_seconds_bucket", {{"le", "0.01"}}), 2);
  EXPECT_EQ(e.Value("write_seconds_bucket", {{"le", "0.1"}}), 3);
  EXPECT_EQ(e.Value("write_seconds_bucket", {{"le", "+Inf"}}), 4);
  EXPECT_EQ(e.Value("write_seconds_count"), 4);
  EXPECT_DOUBLE_EQ(*e.Value("write_seconds_sum"), 3.0515);
  // Sorted by name, no collector -> no mdefleet_collector_up.
  ASSERT_EQ(e.families.size(), 3u);
  EXPECT_EQ(e.families[0].name, "calls_total");
  EXPECT_EQ(e.families[2].name, "write_seconds");
}

TEST(MetricsRegistryTest, HistogramEdgesLandInTheRightBuckets) {
  MetricsRegistry registry;
  auto h = registry.AddHistogram("h", "", {1, 2});
  ASSERT_TRUE(h.ok());
  for (double v : {-5.0, 1.0, 1.5, 2.0, 2.5, std::nan("")}) (*h)->Observe(v);
  const std::string text = registry.Render();
  EXPECT_NE(text.find("h_bucket{le=\"1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_bucket{le=\"2\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_bucket{le=\"+Inf\"} 6\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_sum NaN\n"), std::string::npos) << text;
  EXPECT_TRUE(ParseExposition(text).ok()) << text;
}

TEST(MetricsRegistryTest, RefusesBadAndTakenNames) {
  MetricsRegistry registry;
  EXPECT_EQ(registry.AddGauge("bad-name", "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddGaugeFamily<1>("g", "", {"__reserved"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddGaugeFamily<2>("g", "", {"a", "a"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      registry.AddHistogramFamily<1>("h", "", {"le"}, {1}).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddHistogram("h", "", {2, 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.AddHistogram("h", "", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(registry.AddHistogram("h", "", {1}).ok());
  EXPECT_EQ(registry.AddGauge("h", "").status().code(),
            absl::StatusCode::kAlreadyExists);
  // A histogram's sample names are taken too.
  EXPECT_EQ(registry.AddCounter("h_count", "").status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(
      registry.AddGauge(MetricsRegistry::kCollectorUpName, "").status().code(),
      absl::StatusCode::kAlreadyExists);
}

TEST(MetricsRegistryTest, CollectorsRunAtEveryScrape) {
  MetricsRegistry registry;
  int scrapes = 0;
  ASSERT_TRUE(registry
                  .AddCollector(
                      "store",
                      [&]() -> absl::StatusOr<std::vector<FamilySnapshot>> {
                        ++scrapes;
                        FamilySnapshot f;
                        f.name = "scrapes";
                        f.help = "Scrapes so far.";
                        f.type = MetricType::kGauge;
                        f.samples.push_back({{}, static_cast<double>(scrapes)});
                        return std::vector<FamilySnapshot>{f};
                      })
                  .ok());
  EXPECT_EQ(registry.AddCollector("store", nullptr).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Parsed(registry).Value("scrapes"), 1);
  Exposition e = Parsed(registry);
  EXPECT_EQ(e.Value("scrapes"), 2);
  EXPECT_EQ(e.Value("mdefleet_collector_up", {{"collector", "store"}}), 1);
}

TEST(MetricsRegistryTest, FailedOrMalformedCollectorsAreMarkedDown) {
  MetricsRegistry registry;
  ASSERT_TRUE(registry.AddGauge("taken", "").ok());
  const auto one = [](std::string name, Labels labels) {
    return [name, labels]() -> absl::StatusOr<std::vector<FamilySnapshot>> {
      FamilySnapshot f;
      f.name = name;
      f.type = MetricType::kGauge;
      f.samples.push_back({labels, 1});
      return std::vector<FamilySnapshot>{f};
    };
  };
  ASSERT_TRUE(
      registry
          .AddCollector("broken",
                        []() -> absl::StatusOr<std::vector<FamilySnapshot>> {
                          return absl::UnavailableError("db locked");
                        })
          .ok());
  ASSERT_TRUE(registry.AddCollector("clash", one("taken", {})).ok());
  ASSERT_TRUE(registry.AddCollector("badname", one("a-b", {})).ok());
  ASSERT_TRUE(registry.AddCollector("badlabel", one("c", {{"1x", "v"}})).ok());
  ASSERT_TRUE(registry.AddCollector("good", one("d", {{"k", "v"}})).ok());
  Exposition e = Parsed(registry);
  for (const char* down : {"broken", "clash", "badname", "badlabel"}) {
    EXPECT_EQ(e.Value("mdefleet_collector_up", {{"collector", down}}), 0)
        << down;
  }
  EXPECT_EQ(e.Value("mdefleet_collector_up", {{"collector", "good"}}), 1);
  EXPECT_EQ(e.Value("d", {{"k", "v"}}), 1);
  EXPECT_EQ(e.Family("c"), nullptr);
}

TEST(MetricsRegistryTest, DuplicateSeriesFromACollectorAreRefused) {
  MetricsRegistry registry;
  ASSERT_TRUE(
      registry
          .AddCollector("dup",
                        []() -> absl::StatusOr<std::vector<FamilySnapshot>> {
                          FamilySnapshot f;
                          f.name = "g";
                          f.type = MetricType::kGauge;
                          f.samples.push_back({{{"a", "1"}}, 1});
                          f.samples.push_back({{{"a", "1"}}, 2});
                          return std::vector<FamilySnapshot>{f};
                        })
          .ok());
  Exposition e = Parsed(registry);
  EXPECT_EQ(e.Value("mdefleet_collector_up", {{"collector", "dup"}}), 0);
  EXPECT_EQ(e.Family("g"), nullptr);
}

TEST(MetricsRegistryTest, ConcurrentUpdatesAreAllCounted) {
  MetricsRegistry registry;
  auto calls = registry.AddCounterFamily<1>("calls_total", "", {"t"});
  auto latency = registry.AddHistogram("latency", "", {0.5});
  ASSERT_TRUE(calls.ok() && latency.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        (*calls)->With({std::to_string(t % 2)}).Increment();
        (*latency)->Observe(i % 2 == 0 ? 0.1 : 1.0);
        if (i % 100 == 0) (void)registry.Render();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  Exposition e = Parsed(registry);
  EXPECT_EQ(e.Value("calls_total", {{"t", "0"}}), 2000);
  EXPECT_EQ(e.Value("calls_total", {{"t", "1"}}), 2000);
  EXPECT_EQ(e.Value("latency_bucket", {{"le", "0.5"}}), 2000);
  EXPECT_EQ(e.Value("latency_count"), 4000);
}

}  // namespace
}  // namespace mdefleet::metrics
