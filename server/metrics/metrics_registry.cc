#include "server/metrics/metrics_registry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/metrics/text_format.h"

namespace mdefleet::metrics {

MetricsRegistry::MetricsRegistry() {
  absl::MutexLock lock(&mu_);
  taken_.insert(kCollectorUpName);
}

std::vector<std::string> MetricsRegistry::SampleNames(const std::string& name,
                                                      bool histogram) {
  if (!histogram) return {name};
  return {name, absl::StrCat(name, "_bucket"), absl::StrCat(name, "_sum"),
          absl::StrCat(name, "_count")};
}

absl::Status MetricsRegistry::Reserve(const std::string& name,
                                      const std::vector<std::string>& labels,
                                      bool histogram) {
  if (absl::Status s = CheckNames(name, labels, histogram); !s.ok()) return s;
  const std::vector<std::string> names = SampleNames(name, histogram);
  for (const std::string& n : names) {
    if (taken_.count(n) != 0) {
      return absl::AlreadyExistsError(absl::StrCat(
          "metric ", name, ": the name ", n, " is already registered"));
    }
  }
  taken_.insert(names.begin(), names.end());
  return absl::OkStatus();
}

absl::StatusOr<Counter*> MetricsRegistry::AddCounter(std::string name,
                                                     std::string help) {
  absl::StatusOr<Family<Counter, 0>*> family =
      AddCounterFamily<0>(std::move(name), std::move(help), {});
  if (!family.ok()) return family.status();
  return &(*family)->With({});
}

absl::StatusOr<Gauge*> MetricsRegistry::AddGauge(std::string name,
                                                 std::string help) {
  absl::StatusOr<Family<Gauge, 0>*> family =
      AddGaugeFamily<0>(std::move(name), std::move(help), {});
  if (!family.ok()) return family.status();
  return &(*family)->With({});
}

absl::StatusOr<Histogram*> MetricsRegistry::AddHistogram(
    std::string name, std::string help, std::vector<double> bounds) {
  absl::StatusOr<Family<Histogram, 0>*> family = AddHistogramFamily<0>(
      std::move(name), std::move(help), {}, std::move(bounds));
  if (!family.ok()) return family.status();
  return &(*family)->With({});
}

absl::Status MetricsRegistry::AddCollector(std::string name,
                                           Collector collector) {
  absl::MutexLock lock(&mu_);
  for (const auto& [existing, unused] : collectors_) {
    if (existing == name) {
      return absl::AlreadyExistsError(
          absl::StrCat("metrics collector \"", name, "\" already added"));
    }
  }
  collectors_.emplace_back(std::move(name), std::move(collector));
  return absl::OkStatus();
}

namespace {

// A collector's output is used only when every name is valid and none is
// taken (by a registered family or an earlier family of any collector).
bool AcceptCollected(const std::vector<FamilySnapshot>& families,
                     std::set<std::string>& taken) {
  std::set<std::string> mine;
  for (const FamilySnapshot& f : families) {
    const bool histogram = f.type == MetricType::kHistogram;
    std::vector<std::string> names = {f.name};
    if (histogram) {
      names.push_back(absl::StrCat(f.name, "_bucket"));
      names.push_back(absl::StrCat(f.name, "_sum"));
      names.push_back(absl::StrCat(f.name, "_count"));
    }
    for (const std::string& n : names) {
      if (taken.count(n) != 0 || !mine.insert(n).second) return false;
    }
    // Valid, distinct label names; no two series with the same labels.
    std::set<Labels> series;
    const auto check_labels = [&](const Labels& labels) {
      std::vector<std::string> label_names;
      for (const auto& [label, unused] : labels) label_names.push_back(label);
      Labels sorted = labels;
      std::sort(sorted.begin(), sorted.end());
      return CheckNames(f.name, label_names, histogram).ok() &&
             series.insert(std::move(sorted)).second;
    };
    if (!CheckNames(f.name, {}, histogram).ok()) return false;
    if (histogram ? !f.samples.empty() : !f.histograms.empty()) return false;
    for (const Sample& s : f.samples) {
      if (!check_labels(s.labels)) return false;
    }
    for (const HistogramSample& h : f.histograms) {
      if (!check_labels(h.labels)) return false;
      std::vector<double> bounds;
      uint64_t previous = 0;
      for (const auto& [bound, count] : h.buckets) {
        if (count < previous) return false;  // not cumulative
        previous = count;
        bounds.push_back(bound);
      }
      if (!CheckBucketBounds(bounds).ok() || h.count < previous) return false;
    }
  }
  taken.insert(mine.begin(), mine.end());
  return true;
}

}  // namespace

std::vector<FamilySnapshot> MetricsRegistry::Collect() const {
  std::vector<FamilySnapshot> out;
  std::vector<std::pair<std::string, Collector>> collectors;
  std::set<std::string> taken;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& family : families_) out.push_back(family->Snapshot());
    collectors = collectors_;
    taken = taken_;
  }
  // Collectors run outside the lock: they query the store and may be slow.
  if (!collectors.empty()) {
    FamilySnapshot up;
    up.name = kCollectorUpName;
    up.help =
        "1 if the collector's metrics were read at this scrape, 0 if reading "
        "them failed (they are missing from this scrape).";
    up.type = MetricType::kGauge;
    for (const auto& [name, collector] : collectors) {
      absl::StatusOr<std::vector<FamilySnapshot>> families = collector();
      const bool ok = families.ok() && AcceptCollected(*families, taken);
      up.samples.push_back({{{"collector", name}}, ok ? 1.0 : 0.0});
      if (!ok) continue;
      for (FamilySnapshot& f : *families) out.push_back(std::move(f));
    }
    out.push_back(std::move(up));
  }
  std::sort(out.begin(), out.end(),
            [](const FamilySnapshot& a, const FamilySnapshot& b) {
              return a.name < b.name;
            });
  return out;
}

std::string MetricsRegistry::Render() const {
  return WriteTextFormat(Collect());
}

}  // namespace mdefleet::metrics
