// How long a /metrics scrape takes at fleet scale: RenderText() of a registry
// holding 10k devices' worth of label series, and the store-derived gauges'
// SQL on a 10k-device database (with and without the metrics indexes).
// Prints the numbers; not a pass/fail test. Usage:
//   metrics_bench [devices=10000] [jobs=3] [runs=20]
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/clock.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "server/metrics/server_metrics.h"
#include "server/metrics/store_collector.h"
#include "server/metrics/text_exposition.h"
#include "server/store/metrics_queries.h"
#include "server/store/store.h"

namespace mdefleet {
namespace {

using Steady = std::chrono::steady_clock;

// Median milliseconds of `runs` calls.
double MedianMs(int runs, const std::function<void()>& fn) {
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto start = Steady::now();
    fn();
    ms.push_back(
        std::chrono::duration<double, std::milli>(Steady::now() - start)
            .count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

void BenchRender(int devices, int runs) {
  prometheus::Registry registry;
  auto m = metrics::ServerMetrics::Register(registry);
  if (!m.ok()) std::abort();
  prometheus::Family<prometheus::Gauge>& per_device =
      prometheus::BuildGauge()
          .Name("bench_device_last_seen_seconds")
          .Help("One series per device.")
          .Register(registry);
  const char* os[] = {"ws2012r2", "ws2016", "ws2019", "ws2022"};
  const char* mde[] = {"not_installed", "not_onboarded", "onboarded"};
  for (int i = 0; i < devices; ++i) {
    per_device
        .Add({{"device", absl::StrCat("dev-", i, "-\"quoted\"\\name")},
              {"os_family", os[i % 4]},
              {"mde_state", mde[i % 3]}})
        .Set(1700000000 + i);
  }
  // Every RPC method with a few codes, each with observations.
  for (int method = 0; method < 30; ++method) {
    const std::string name = absl::StrCat("Method", method);
    for (const char* code : {"OK", "NOT_FOUND", "UNAUTHENTICATED"}) {
      m->rpc_requests
          ->Add({{"service", "mdefleet.v1.AdminService"},
                 {"method", name},
                 {"code", code}})
          .Increment(method + 1);
    }
    for (int i = 0; i < 100; ++i) {
      m->rpc_duration
          ->Add({{"service", "mdefleet.v1.AdminService"}, {"method", name}},
                metrics::RpcLatencyBuckets())
          .Observe(0.0001 * i * (method + 1));
    }
  }
  size_t bytes = 0;
  const double ms =
      MedianMs(runs, [&] { bytes = metrics::RenderText({&registry}).size(); });
  std::printf(
      "RenderText(): %d per-device series + 30 RPC methods: %.2f ms median, "
      "%zu bytes\n",
      devices, ms, bytes);
}

absl::Status Populate(store::Store& db, int devices, int jobs) {
  return db.Write([&](store::Connection& c) -> absl::Status {
    ASSIGN_OR_RETURN(
        auto dev,
        c.PrepareOnce(
            "INSERT INTO devices (id, token_hash, host_identity_sha256, "
            "hostname, os_family, mde_state, facts, enrolled_at, "
            "last_seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, "
            "?8)"));
    const std::string facts(1500, 'f');  // a serialized DeviceFacts' size
    for (int i = 0; i < devices; ++i) {
      const std::string id = absl::StrCat("dev", i);
      dev->Bind(1, id);
      dev->Bind(2, absl::StrCat("hash", i));
      dev->Bind(3, Sha256Hex(absl::StrCat("host", i)));
      dev->Bind(4, absl::StrCat("SRV-", i));
      dev->Bind(5, int64_t{1 + i % 5});
      dev->Bind(6, int64_t{1 + i % 4});
      dev->BindBlob(7, facts);
      dev->Bind(8, int64_t{i % 2 == 0 ? 2000000000000000 : 0});
      RETURN_IF_ERROR(dev->Run());
      dev->Reset();
    }
    ASSIGN_OR_RETURN(auto job,
                     c.PrepareOnce("INSERT INTO jobs (id, kind, spec, state, "
                                   "created_by, created_at, total, failed, "
                                   "succeeded) VALUES (?1, ?2, x'', 4, "
                                   "'bench', 0, ?3, ?4, ?5)"));
    ASSIGN_OR_RETURN(auto task,
                     c.PrepareOnce("INSERT INTO tasks (id, job_id, device_id, "
                                   "state, created_at) VALUES (?1, ?2, ?3, "
                                   "?4, 0)"));
    ASSIGN_OR_RETURN(
        auto step,
        c.PrepareOnce(
            "INSERT INTO steps (task_id, job_id, attempt, idx, name, "
            "state, output_tail) VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6)"));
    const std::string output(300, 'o');
    for (int j = 0; j < jobs; ++j) {
      const std::string job_id = absl::StrCat("job", j);
      const int failed = devices / 20;  // 5% fail at some step
      job->Bind(1, job_id);
      job->Bind(2, j % 2 == 0 ? "onboard" : "health_check");
      job->Bind(3, int64_t{devices});
      job->Bind(4, int64_t{failed});
      job->Bind(5, int64_t{devices - failed});
      RETURN_IF_ERROR(job->Run());
      job->Reset();
      for (int i = 0; i < devices; ++i) {
        const std::string task_id = absl::StrCat(job_id, "-", i);
        const bool fails = i % 20 == 0;
        task->Bind(1, task_id);
        task->Bind(2, job_id);
        task->Bind(3, absl::StrCat("dev", i));
        task->Bind(4, int64_t{fails ? 5 : 4});
        RETURN_IF_ERROR(task->Run());
        task->Reset();
        for (int s = 0; s < 8; ++s) {
          step->Bind(1, task_id);
          step->Bind(2, job_id);
          step->Bind(3, int64_t{s});
          step->Bind(4, absl::StrCat("step_", s));
          step->Bind(5, int64_t{fails && s == i % 8 ? 4 : 3});
          step->Bind(6, output);
          RETURN_IF_ERROR(step->Run());
          step->Reset();
        }
      }
    }
    return absl::OkStatus();
  });
}

// SQLite's plan, "; "-joined ("SCAN steps USING INDEX ...").
std::string Plan(store::Store& db, const std::string& sql) {
  std::string plan;
  absl::Status s = db.Read([&](store::Connection& c) -> absl::Status {
    ASSIGN_OR_RETURN(auto st,
                     c.PrepareOnce(absl::StrCat("EXPLAIN QUERY PLAN ", sql)));
    while (true) {
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      absl::StrAppend(&plan, plan.empty() ? "" : "; ", st->ColumnText(3));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) std::abort();
  return plan;
}

double QueryMs(store::Store& db, const std::string& sql, int runs) {
  return MedianMs(runs, [&] {
    absl::Status s = db.Read([&](store::Connection& c) -> absl::Status {
      ASSIGN_OR_RETURN(auto st, c.PrepareOnce(sql));
      while (true) {
        ASSIGN_OR_RETURN(bool row, st->Step());
        if (!row) break;
      }
      return absl::OkStatus();
    });
    if (!s.ok()) std::abort();
  });
}

int Main(int argc, char** argv) {
  const int devices = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int jobs = argc > 2 ? std::atoi(argv[2]) : 3;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 20;
  BenchRender(devices, runs);

  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      absl::StrCat("mdefleet-metrics-bench-", ::getpid());
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "bench.db").string();
  auto db = store::Store::Open(path, store::OpenMode::kCreate, *Clock::Real());
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", db.status().ToString().c_str());
    return 1;
  }
  const auto start = Steady::now();
  if (absl::Status s = Populate(**db, devices, jobs); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  std::printf(
      "database: %d devices, %d jobs, %d tasks, %d steps (%.1f s to "
      "fill, %.1f MB)\n",
      devices, jobs, devices * jobs, devices * jobs * 8,
      std::chrono::duration<double>(Steady::now() - start).count(),
      std::filesystem::file_size(path) / 1e6);

  const metrics::StoreCollector store_gauges(**db, *Clock::Real(),
                                             absl::Seconds(90));
  std::printf(
      "whole scrape (store collector + RenderText): %.2f ms median\n",
      MedianMs(runs, [&] { (void)metrics::RenderText({&store_gauges}); }));
  struct Query {
    const char* what;
    std::string sql;
  };
  const std::vector<Query> queries = {
      {"devices (covering index)", store::kMetricsDevicesSql},
      {"devices (table scan, for comparison)",
       absl::StrReplaceAll(store::kMetricsDevicesSql,
                           {{"FROM devices", "FROM devices NOT INDEXED"}})},
      {"runners online (devices_by_last_seen)",
       absl::StrReplaceAll(store::kMetricsOnlineSql,
                           {{"?1", "1000000000000000"}})},
      {"jobs", store::kMetricsJobsSql},
      {"tasks (job counters)", store::kMetricsTasksSql},
      {"tasks (GROUP BY over tasks, for comparison)",
       "SELECT j.kind, t.state, count(*) FROM tasks t JOIN jobs j ON j.id = "
       "t.job_id GROUP BY 1, 2"},
      {"step failures (partial index)", store::kMetricsStepFailuresSql},
      {"step failures (table scan, for comparison)",
       absl::StrReplaceAll(store::kMetricsStepFailuresSql,
                           {{"WHERE state", "WHERE +state"}})},
  };
  for (const Query& q : queries) {
    std::printf("  %-45s %8.2f ms  [%s]\n", q.what, QueryMs(**db, q.sql, runs),
                Plan(**db, q.sql).c_str());
  }
  db->reset();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace mdefleet

int main(int argc, char** argv) { return mdefleet::Main(argc, argv); }
