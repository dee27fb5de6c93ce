#include "server/metrics/store_collector.h"

#include <google/protobuf/descriptor.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "mdefleet/v1/jobs.pb.h"
#include "mdefleet/v1/types.pb.h"
#include "server/store/time_util.h"

namespace mdefleet::metrics {
namespace {

using Labels = std::vector<prometheus::ClientMetric::Label>;

// The proto's values of `type` but its zero (UNSPECIFIED) one.
std::vector<int> NamedValues(const google::protobuf::EnumDescriptor& type) {
  std::vector<int> values;
  for (int i = 0; i < type.value_count(); ++i) {
    if (type.value(i)->number() != 0) values.push_back(type.value(i)->number());
  }
  return values;
}

prometheus::MetricFamily Gauges(std::string name, std::string help) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = prometheus::MetricType::Gauge;
  return f;
}

void Add(prometheus::MetricFamily& family, Labels labels, double value) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  family.metric.push_back(std::move(metric));
}

}  // namespace

std::string EnumLabel(const google::protobuf::EnumDescriptor& type, int value) {
  const google::protobuf::EnumValueDescriptor* v =
      type.FindValueByNumber(value);
  if (v == nullptr) return absl::StrCat(value);
  // Every value of a type shares its prefix: the name of its zero value
  // minus "UNSPECIFIED" ("OS_FAMILY_UNSPECIFIED" -> "OS_FAMILY_").
  absl::string_view name = v->name();
  const google::protobuf::EnumValueDescriptor* zero = type.FindValueByNumber(0);
  if (zero != nullptr) {
    absl::string_view prefix = zero->name();
    const size_t underscore = prefix.rfind('_');
    if (underscore != absl::string_view::npos) {
      prefix = prefix.substr(0, underscore + 1);
      absl::ConsumePrefix(&name, prefix);
    }
  }
  return absl::AsciiStrToLower(name);
}

std::vector<prometheus::MetricFamily> StoreFamilies(
    const store::MetricsCounts& counts) {
  const google::protobuf::EnumDescriptor& os = *v1::OsFamily_descriptor();
  const google::protobuf::EnumDescriptor& mde = *v1::MdeState_descriptor();
  const google::protobuf::EnumDescriptor& job = *v1::JobState_descriptor();
  const google::protobuf::EnumDescriptor& task = *v1::TaskState_descriptor();
  std::vector<prometheus::MetricFamily> out;

  prometheus::MetricFamily devices = Gauges(
      "mdefleet_devices",
      "Enrolled devices by OS family and MDE state (revoked ones included).");
  std::map<std::pair<v1::OsFamily, v1::MdeState>, int64_t> cells =
      counts.devices;
  // Known combinations with no device read as 0.
  for (int o : NamedValues(os)) {
    for (int m : NamedValues(mde)) {
      cells.try_emplace(
          {static_cast<v1::OsFamily>(o), static_cast<v1::MdeState>(m)}, 0);
    }
  }
  for (const auto& [key, n] : cells) {
    Add(devices,
        {{"os_family", EnumLabel(os, key.first)},
         {"mde_state", EnumLabel(mde, key.second)}},
        static_cast<double>(n));
  }
  out.push_back(std::move(devices));

  prometheus::MetricFamily runners =
      Gauges("mdefleet_runners",
             "Runners (enrolled devices) by whether they called in within "
             "the server's --online-window.");
  Add(runners, {{"status", "online"}},
      static_cast<double>(counts.runners_online));
  Add(runners, {{"status", "offline"}},
      static_cast<double>(counts.runners_offline));
  out.push_back(std::move(runners));

  prometheus::MetricFamily jobs =
      Gauges("mdefleet_jobs", "Jobs stored, by state.");
  std::map<v1::JobState, int64_t> job_counts = counts.jobs;
  for (int s : NamedValues(job)) {
    job_counts.try_emplace(static_cast<v1::JobState>(s), 0);
  }
  for (const auto& [state, n] : job_counts) {
    Add(jobs, {{"state", EnumLabel(job, state)}}, static_cast<double>(n));
  }
  out.push_back(std::move(jobs));

  prometheus::MetricFamily tasks = Gauges(
      "mdefleet_tasks", "Tasks stored, by the kind of their job and state.");
  for (const auto& [key, n] : counts.tasks) {
    Add(tasks,
        {{"job_kind", key.first}, {"state", EnumLabel(task, key.second)}},
        static_cast<double>(n));
  }
  out.push_back(std::move(tasks));

  prometheus::MetricFamily failures =
      Gauges("mdefleet_step_failures",
             "Failed step results stored (earlier attempts' included), by "
             "step name.");
  for (const auto& [step, n] : counts.step_failures) {
    Add(failures, {{"step", step}}, static_cast<double>(n));
  }
  out.push_back(std::move(failures));

  prometheus::MetricFamily queue =
      Gauges("mdefleet_api_offboard_queue_length",
             "api_offboard tasks not yet final (queued, leased or running).");
  Add(queue, {}, static_cast<double>(counts.api_offboard_queue));
  out.push_back(std::move(queue));
  return out;
}

std::vector<prometheus::MetricFamily> StoreCollector::Collect() const {
  const int64_t online_since = store::ToMicros(clock_.Now() - online_window_);
  absl::StatusOr<store::MetricsCounts> counts;
  absl::Status read = store_.Read([&](store::Connection& db) -> absl::Status {
    counts = store::CountForMetrics(db, online_since);
    return counts.status();
  });
  // A failed read leaves the store's families out of this scrape; the up
  // gauge says so instead of the scrape failing as a whole.
  std::vector<prometheus::MetricFamily> out;
  if (read.ok()) out = StoreFamilies(*counts);
  prometheus::MetricFamily up =
      Gauges(kCollectorUpName,
             "1 if the collector's metrics were read at this scrape, 0 if "
             "reading them failed (they are missing from this scrape).");
  Add(up, {{"collector", "store"}}, read.ok() ? 1 : 0);
  out.push_back(std::move(up));
  return out;
}

}  // namespace mdefleet::metrics
