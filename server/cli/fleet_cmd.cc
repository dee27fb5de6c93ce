#include "server/cli/fleet_cmd.h"

#include <map>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/os_family.h"
#include "server/cli/duration.h"
#include "server/cli/format.h"
#include "server/cli/table.h"

namespace mdefleet::cli {
namespace {

// MDE states in the order an operator reads them: worst first.
constexpr v1::MdeState kStates[] = {
    v1::MDE_STATE_NOT_INSTALLED, v1::MDE_STATE_NOT_ONBOARDED,
    v1::MDE_STATE_SENSE_NOT_RUNNING, v1::MDE_STATE_ONBOARDED};

std::string StateHeader(v1::MdeState state) {
  std::string name = MdeStateName(state);
  for (char& c : name) {
    c = c == '_' ? ' ' : static_cast<char>(std::toupper(c));
  }
  return name;
}

std::string Days(const google::protobuf::Duration& d) {
  const int64_t seconds = d.seconds();
  if (seconds > 0 && seconds % 86400 == 0) return absl::StrCat(seconds / 86400, "d");
  return absl::FormatDuration(absl::Seconds(seconds));
}

}  // namespace

std::string RenderFleetSummary(const v1::FleetSummary& summary) {
  std::string out = absl::StrCat(
      "Fleet: ", summary.total(), summary.total() == 1 ? " device" : " devices",
      ", ", summary.online(), " online\n\n");
  std::vector<std::string> headers = {"OS"};
  for (v1::MdeState s : kStates) headers.push_back(StateHeader(s));
  headers.push_back("TOTAL");
  Table by_os(headers);
  for (size_t i = 1; i < headers.size(); ++i) {
    by_os.SetAlign(i, Table::Align::kRight);
  }
  std::map<v1::OsFamily, std::map<v1::MdeState, uint32_t>> cells;
  for (const v1::FleetSummary::Cell& cell : summary.cells()) {
    cells[cell.os_family()][cell.mde_state()] += cell.devices();
  }
  std::map<v1::MdeState, uint32_t> column_totals;
  for (const auto& [family, states] : cells) {
    std::vector<std::string> row = {OsFamilyName(family)};
    uint32_t total = 0;
    for (v1::MdeState s : kStates) {
      auto it = states.find(s);
      const uint32_t n = it == states.end() ? 0 : it->second;
      row.push_back(absl::StrCat(n));
      column_totals[s] += n;
      total += n;
    }
    row.push_back(absl::StrCat(total));
    by_os.AddRow(std::move(row));
  }
  std::vector<std::string> totals = {"all"};
  for (v1::MdeState s : kStates) totals.push_back(absl::StrCat(column_totals[s]));
  totals.push_back(absl::StrCat(summary.total()));
  by_os.AddRow(std::move(totals));
  absl::StrAppend(&out, by_os.Render(), "\n");

  Table needs({"NEEDS ACTION", "DEVICES", "JOB", "WHAT TO DO"});
  needs.SetAlign(1, Table::Align::kRight);
  std::vector<std::string> jobless;  // needs listed by their id
  for (const v1::FleetSummary::NeedCount& need : summary.needs()) {
    if (need.devices() == 0) continue;
    if (need.need().job_kind().empty()) jobless.push_back(need.need().need());
    std::string description = need.description();
    if (need.need().need() == "offline") {
      description = absl::StrCat(description, " (", Days(summary.offline_for()),
                                 ")");
    }
    needs.AddRow({description, absl::StrCat(need.devices()),
                  need.need().job_kind().empty() ? "-" : need.need().job_kind(),
                  need.need().advice()});
  }
  if (needs.rows() == 0) {
    absl::StrAppend(&out, "No device needs action.\n");
  } else {
    absl::StrAppend(&out, needs.Render(),
                    "\nList them: mdefleetctl devices list --needs <JOB>\n");
    for (const std::string& id : jobless) {
      absl::StrAppend(&out, "No job fixes ", Inert(id),
                      ": mdefleetctl devices list --needs ", Inert(id), "\n");
    }
  }
  return out;
}

absl::Status RunFleetSummary(CommandEnv& env, const std::string& offline_for) {
  v1::GetFleetSummaryRequest request;
  if (!offline_for.empty()) {
    auto d = ParseCliDuration(offline_for, "--offline-for");
    if (!d.ok()) return d.status();
    *request.mutable_offline_for() = ToProtoDuration(*d);
  }
  auto connection = env.connection();
  if (!connection.ok()) return connection.status();
  const Connection& conn = **connection;
  v1::FleetSummary summary;
  auto context = conn.NewContext();
  absl::Status status = conn.Check(
      conn.admin().GetFleetSummary(context.get(), request, &summary));
  if (!status.ok()) return status;
  if (env.json()) {
    env.PrintJson(summary);
    return absl::OkStatus();
  }
  env.out() << RenderFleetSummary(summary);
  return absl::OkStatus();
}

void AddFleetCommands(CLI::App& app, Command* selected) {
  CLI::App* fleet = app.add_subcommand(
      "fleet", "The fleet at a glance: MDE state and what needs doing");
  fleet->require_subcommand(1);
  auto offline_for = std::make_shared<std::string>();
  CLI::App* summary = fleet->add_subcommand(
      "summary",
      "Devices by OS family x MDE state, and devices needing action with the "
      "job that fixes each");
  summary->add_option("--offline-for", *offline_for,
                      "An onboarded device unseen this long needs "
                      "api_offboard (default 7d)");
  summary->callback([offline_for, selected] {
    *selected = [offline_for](CommandEnv& env) {
      return RunFleetSummary(env, *offline_for);
    };
  });
}

}  // namespace mdefleet::cli
