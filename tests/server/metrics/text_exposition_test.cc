// RenderText: prometheus-cpp's registry and TextSerializer together with a
// collectable of our own, always accepted by the strict parser; families and
// series in a stable order.
#include "server/metrics/text_exposition.h"

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/server/metrics/exposition_parser.h"

namespace mdefleet::metrics {
namespace {

using ::mdefleet::testing::Exposition;
using ::mdefleet::testing::ParseExposition;

Exposition Parsed(const std::string& text) {
  absl::StatusOr<Exposition> parsed = ParseExposition(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
  return parsed.ok() ? *parsed : Exposition{};
}

// A family computed at scrape time, the way the store gauges are.
class Computed final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::MetricFamily f;
    f.name = "a_computed";
    f.help = "Computed.";
    f.type = prometheus::MetricType::Gauge;
    for (const char* v : {"z", "a"}) {
      prometheus::ClientMetric m;
      m.label = {{"k", v}};
      m.gauge.value = 1;
      f.metric.push_back(m);
    }
    prometheus::MetricFamily empty;
    empty.name = "m_empty";
    empty.help = "No series yet.";
    empty.type = prometheus::MetricType::Gauge;
    return {f, empty};
  }
};

TEST(RenderTextTest, RendersCountersGaugesHistogramsAndCollectables) {
  prometheus::Registry registry;
  auto& calls = prometheus::BuildCounter()
                    .Name("calls_total")
                    .Help("Calls.")
                    .Register(registry);
  auto& held =
      prometheus::BuildGauge().Name("held").Help("Held.").Register(registry);
  auto& seconds = prometheus::BuildHistogram()
                      .Name("write_seconds")
                      .Help("Writes.")
                      .Register(registry)
                      .Add({}, std::vector<double>{0.001, 0.01, 0.1});
  for (const char* code : {"OK", "NOT_FOUND", "OK", "OK"}) {
    calls.Add({{"method", "Get"}, {"code", code}}).Increment();
  }
  calls.Add({{"method", "Put"}, {"code", "OK"}}).Increment(1000000);
  held.Add({}).Increment();
  for (double v : {0.0005, 0.001, 0.05, 3.0}) seconds.Observe(v);
  const Computed computed;

  const std::string text = RenderText({&registry, &computed});
  Exposition e = Parsed(text);
  EXPECT_EQ(e.Family("calls_total")->type, "counter");
  EXPECT_EQ(e.Value("calls_total", {{"method", "Get"}, {"code", "OK"}}), 3);
  EXPECT_EQ(e.Value("calls_total", {{"method", "Get"}, {"code", "NOT_FOUND"}}),
            1);
  // Whole numbers are written without an exponent.
  EXPECT_NE(text.find("} 1000000\n"), std::string::npos) << text;
  EXPECT_EQ(e.Value("held"), 1);
  // le is inclusive: 0.001 counts in the 0.001 bucket.
  EXPECT_EQ(e.Value("write_seconds_bucket", {{"le", "0.001"}}), 2);
  EXPECT_EQ(e.Value("write_seconds_bucket", {{"le", "0.1"}}), 3);
  EXPECT_EQ(e.Value("write_seconds_bucket", {{"le", "+Inf"}}), 4);
  EXPECT_EQ(e.Value("write_seconds_count"), 4);
  EXPECT_DOUBLE_EQ(*e.Value("write_seconds_sum"), 3.0515);
  EXPECT_EQ(e.Value("a_computed", {{"k", "a"}}), 1);
  // A collectable's family without series keeps its HELP and TYPE.
  ASSERT_NE(e.Family("m_empty"), nullptr);
  EXPECT_EQ(e.Family("m_empty")->type, "gauge");

  // Families by name, series by labels, whatever the registration order.
  std::vector<std::string> names;
  for (const auto& f : e.families) names.push_back(f.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"a_computed", "calls_total", "held",
                                      "m_empty", "write_seconds"}));
  EXPECT_EQ(e.Family("a_computed")->samples[0].labels.at("k"), "a");
  EXPECT_EQ(RenderText({&registry, &computed}), text);
}

TEST(RenderTextTest, LabelValuesRoundTripThroughTheParser) {
  const std::vector<std::string> values = {"",
                                           "plain",
                                           "quote \" inside",
                                           "back\\slash",
                                           "new\nline",
                                           "\\\"\n\\n",
                                           "trailing \\",
                                           "{}=,\" x=\"y",
                                           "日本語",
                                           "<script>alert(1)</script>"};
  prometheus::Registry registry;
  auto& family = prometheus::BuildGauge()
                     .Name("odd_labels")
                     .Help("Odd labels.")
                     .Register(registry);
  for (size_t i = 0; i < values.size(); ++i) {
    family.Add({{"v", values[i]}, {"i", std::to_string(i)}})
        .Set(static_cast<double>(i));
  }
  Exposition e = Parsed(RenderText({&registry}));
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(
        e.Value("odd_labels", {{"v", values[i]}, {"i", std::to_string(i)}}),
        static_cast<double>(i))
        << values[i];
  }
}

TEST(RenderTextTest, FractionsReadBack) {
  prometheus::Registry registry;
  auto& family =
      prometheus::BuildGauge().Name("x").Help("X.").Register(registry);
  const std::vector<double> values = {0.1,  0.001,   0.0025,   2.5,
                                      1e-7, 123.456, -3.25e-9, 1e20};
  for (size_t i = 0; i < values.size(); ++i) {
    family.Add({{"i", std::to_string(i)}}).Set(values[i]);
  }
  Exposition e = Parsed(RenderText({&registry}));
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_DOUBLE_EQ(*e.Value("x", {{"i", std::to_string(i)}}), values[i]);
  }
}

}  // namespace
}  // namespace mdefleet::metrics
