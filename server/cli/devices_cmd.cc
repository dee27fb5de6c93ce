#include "server/cli/devices_cmd.h"

#include <algorithm>
#include <map>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/enum_names.h"
#include "common/labels.h"
#include "common/os_family.h"
#include "server/cli/duration.h"
#include "server/cli/errors.h"
#include "server/cli/format.h"
#include "server/cli/table.h"

namespace mdefleet::cli {
namespace {

constexpr uint32_t kPageSize = 500;

std::string Labels(const v1::DeviceFacts& facts) {
  std::map<std::string, std::string> sorted(facts.labels().begin(),
                                            facts.labels().end());
  std::vector<std::string> parts;
  for (const auto& [key, value] : sorted) {
    parts.push_back(absl::StrCat(key, "=", value));
  }
  return absl::StrJoin(parts, ",");
}

// "running", "stopped", ...: the table's lower-case words.
std::string ServiceStateWord(v1::ServiceState state) {
  return absl::AsciiStrToLower(ServiceStateName(state));
}

std::string OrDash(const std::string& text) {
  return text.empty() ? "-" : text;
}

std::string NeedIds(const v1::Device& device) {
  std::vector<std::string> ids;
  for (const v1::DeviceNeed& need : device.needs()) ids.push_back(need.need());
  return absl::StrJoin(ids, ",");
}

std::string FeatureStateName(v1::FeatureState state) {
  switch (state) {
    case v1::FEATURE_STATE_ON:
      return "on";
    case v1::FEATURE_STATE_OFF:
      return "off";
    default:
      return "unknown";
  }
}

std::string AvModeName(v1::AvMode mode) {
  switch (mode) {
    case v1::AV_MODE_ACTIVE:
      return "active";
    case v1::AV_MODE_PASSIVE:
      return "passive";
    case v1::AV_MODE_DISABLED:
      return "disabled (WinDefend not running)";
    case v1::AV_MODE_NOT_INSTALLED:
      return "not installed";
    default:
      return "unknown";
  }
}

// The enrollment history rows of `devices get`.
void AddEnrollmentRows(const v1::DeviceEnrollment& e, Table& table) {
  std::string enrollments = absl::StrCat(e.enrollments());
  if (e.has_last_reenrolled_at()) {
    absl::StrAppend(&enrollments, " (last re-enrolled ",
                    FormatTimestamp(e.last_reenrolled_at()), ", by ",
                    e.last_reenrolled_by(), ")");
  }
  table.AddRow({"enrollments", enrollments});
  if (!e.duplicate_of().empty()) {
    table.AddRow({"duplicate of",
                  absl::StrCat(e.duplicate_of(),
                               " (enrolled with its host identity without "
                               "proof; see NEEDS)")});
  }
  if (e.has_pending_identity_reset()) {
    const v1::IdentityReset& reset = e.pending_identity_reset();
    table.AddRow(
        {"identity reset",
         absl::StrCat("by ", reset.reset_by(), " at ",
                      FormatTimestamp(reset.reset_at()), ": ", reset.reason(),
                      " (the next enrollment with this host identity takes "
                      "the device over)")});
  }
  table.AddRow({"refused claims",
                e.refused_claims() == 0
                    ? std::string("0")
                    : absl::StrCat(e.refused_claims(), " (latest below)")});
}

std::string CloudConnection(const v1::CloudConnectionCheck& check) {
  if (!check.has_checked_at()) return "never checked (run health_check)";
  return absl::StrCat(
      check.ok() ? "ok" : "FAILED",
      check.error_code().empty() ? "" : absl::StrCat(" ", check.error_code()),
      check.message().empty() ? "" : absl::StrCat(": ", check.message()), " (",
      FormatTimestamp(check.checked_at()), ")");
}

}  // namespace

absl::StatusOr<v1::ListDevicesRequest> BuildListDevicesRequest(
    const DevicesListOptions& options) {
  v1::ListDevicesRequest request;
  if (!options.os.empty()) {
    auto family = ParseOsFamily(options.os);
    if (!family.ok() || *family == v1::OS_FAMILY_UNSPECIFIED) {
      return UsageError(absl::StrCat("--os \"", options.os,
                                     "\": expected one of 2012r2, 2016, "
                                     "2019, 2022, 2025"));
    }
    request.set_os_family(*family);
  }
  if (!options.label.empty()) {
    absl::StatusOr<Label> label = ParseLabel(options.label, "--label");
    if (!label.ok()) return UsageError(label.status().message());
    request.set_label(absl::StrCat(label->key, "=", label->value));
  }
  if (!options.mde_state.empty()) {
    auto state = ParseMdeState(options.mde_state);
    if (!state.ok() || *state == v1::MDE_STATE_UNSPECIFIED) {
      return UsageError(absl::StrCat(
          "--mde-state \"", options.mde_state,
          "\": expected one of not_installed, not_onboarded, onboarded, "
          "sense_not_running"));
    }
    request.set_mde_state(*state);
  }
  if (!options.seen_within.empty()) {
    auto d = ParseCliDuration(options.seen_within, "--seen-within");
    if (!d.ok()) return d.status();
    *request.mutable_seen_within() = ToProtoDuration(*d);
  }
  if (!options.unseen_for.empty()) {
    auto d = ParseCliDuration(options.unseen_for, "--unseen-for");
    if (!d.ok()) return d.status();
    *request.mutable_unseen_for() = ToProtoDuration(*d);
  }
  request.set_hostname_glob(options.hostname);
  request.set_needs(options.needs);
  if (!options.offline_for.empty()) {
    auto d = ParseCliDuration(options.offline_for, "--offline-for");
    if (!d.ok()) return d.status();
    *request.mutable_offline_for() = ToProtoDuration(*d);
  }
  request.set_page_size(options.limit > 0 ? std::min(options.limit, kPageSize)
                                          : kPageSize);
  return request;
}

absl::Status RunDevicesList(CommandEnv& env,
                            const DevicesListOptions& options) {
  auto request = BuildListDevicesRequest(options);
  if (!request.ok()) return request.status();
  auto connection = env.connection();
  if (!connection.ok()) return connection.status();
  const Connection& conn = **connection;

  v1::ListDevicesResponse all;
  bool first = true;
  while (true) {
    if (options.limit > 0) {
      const uint32_t left = options.limit - all.devices_size();
      request->set_page_size(std::min(left, kPageSize));
    }
    v1::ListDevicesResponse page;
    auto context = conn.NewContext();
    absl::Status status =
        conn.Check(conn.admin().ListDevices(context.get(), *request, &page));
    if (!status.ok()) return status;
    if (first) all.set_total(page.total());
    first = false;
    for (auto& device : *page.mutable_devices()) {
      if (options.limit > 0 &&
          static_cast<uint32_t>(all.devices_size()) >= options.limit) {
        break;
      }
      *all.add_devices() = std::move(device);
    }
    if (page.next_page_token().empty() || page.devices_size() == 0) break;
    if (options.limit > 0 &&
        static_cast<uint32_t>(all.devices_size()) >= options.limit) {
      all.set_next_page_token(page.next_page_token());
      break;
    }
    request->set_page_token(page.next_page_token());
  }

  if (env.json()) {
    env.PrintJson(all);
    return absl::OkStatus();
  }
  const absl::Time now = env.clock().Now();
  Table table({"ID", "HOSTNAME", "OS", "MDE STATE", "MMA", "THIRD-PARTY AV",
               "LAST SEEN", "NEEDS", "LABELS"});
  for (const v1::Device& device : all.devices()) {
    const v1::DeviceFacts& f = device.facts();
    table.AddRow({device.id(), f.hostname(), OsFamilyName(f.os_family()),
                  MdeStateName(f.mde_state()),
                  f.mma_workspaces_size() > 0
                      ? absl::StrJoin(f.mma_workspaces(), ",")
                      : "-",
                  OrDash(f.third_party_av()),
                  absl::StrCat(FormatAgo(device.last_seen_at(), now),
                               device.online() ? "" : " (offline)"),
                  OrDash(NeedIds(device)), Labels(f)});
  }
  env.out() << table.Render();
  const uint32_t total = std::max<uint32_t>(all.total(), all.devices_size());
  if (total > static_cast<uint32_t>(all.devices_size())) {
    env.out() << all.devices_size() << " of " << total << " devices\n";
  } else {
    env.out() << all.devices_size()
              << (all.devices_size() == 1 ? " device\n" : " devices\n");
  }
  return absl::OkStatus();
}

absl::Status RunDevicesGet(CommandEnv& env, const std::string& device_id) {
  if (device_id.empty()) return UsageError("device ID is empty");
  auto connection = env.connection();
  if (!connection.ok()) return connection.status();
  const Connection& conn = **connection;
  v1::GetDeviceRequest request;
  request.set_device_id(device_id);
  v1::Device device;
  auto context = conn.NewContext();
  absl::Status status =
      conn.Check(conn.admin().GetDevice(context.get(), request, &device));
  if (!status.ok()) return status;
  if (env.json()) {
    env.PrintJson(device);
    return absl::OkStatus();
  }
  const v1::DeviceFacts& f = device.facts();
  const absl::Time now = env.clock().Now();
  Table table({"FIELD", "VALUE"});
  table.AddRow({"id", device.id()});
  table.AddRow({"hostname", f.hostname()});
  table.AddRow({"domain", OrDash(f.domain())});
  table.AddRow({"os", absl::StrCat(OsFamilyName(f.os_family()), " (",
                                   OrDash(f.os_product()), ", ",
                                   OrDash(f.os_version()), ")")});
  table.AddRow({"labels", OrDash(Labels(f))});
  table.AddRow({"mde state", MdeStateName(f.mde_state())});
  table.AddRow({"sensor installed", f.sensor_installed() ? "yes" : "no"});
  table.AddRow({"sense service", ServiceStateWord(f.sense_state())});
  table.AddRow({"onboarding state", f.onboarding_state() < 0
                                        ? "absent"
                                        : absl::StrCat(f.onboarding_state())});
  table.AddRow({"mma installed", f.mma_installed() ? "yes" : "no"});
  table.AddRow({"mma workspaces", f.mma_workspaces_size() > 0
                                      ? absl::StrJoin(f.mma_workspaces(), ", ")
                                      : "-"});
  table.AddRow({"third-party av", OrDash(f.third_party_av())});
  table.AddRow({"passive mode forced", f.passive_mode_forced() ? "yes" : "no"});
  table.AddRow({"reboot pending", f.reboot_pending() ? "yes" : "no"});
  table.AddRow({"senseGuid sha256", OrDash(f.sense_guid_sha256())});
  table.AddRow({"host identity hash", OrDash(f.host_identity_sha256())});
  if (device.has_revoked_at()) {
    table.AddRow(
        {"revoked",
         absl::StrCat(FormatTimestamp(device.revoked_at()),
                      device.revoked_reason().empty()
                          ? ""
                          : absl::StrCat(": ", device.revoked_reason()))});
  }
  if (device.has_runner_clone_seen_at()) {
    table.AddRow({"runner copied",
                  absl::StrCat("its token came from another host, last at ",
                               FormatTimestamp(device.runner_clone_seen_at()),
                               " (refused)")});
  }
  table.AddRow({"clone of", device.clone_of_size() > 0
                                ? absl::StrJoin(device.clone_of(), ", ")
                                : "-"});
  if (device.hostname_shared_with_size() > 0) {
    table.AddRow({"host name also reported by",
                  absl::StrJoin(device.hostname_shared_with(), ", ")});
  }
  table.AddRow({"mde machine id", OrDash(f.mde_machine_id())});
  table.AddRow({"org id", OrDash(f.org_id())});
  table.AddRow({"defender av",
                absl::StrCat(AvModeName(f.av_mode()),
                             f.am_running_mode().empty()
                                 ? ""
                                 : absl::StrCat(" (AMRunningMode ",
                                                f.am_running_mode(), ")"))});
  table.AddRow(
      {"tamper protection",
       absl::StrCat(FeatureStateName(f.tamper_protection()),
                    f.tamper_protection_source().empty()
                        ? ""
                        : absl::StrCat(" (source ",
                                       f.tamper_protection_source(), ")"))});
  table.AddRow({"cloud protection", FeatureStateName(f.cloud_protection())});
  table.AddRow({"cloud connection", CloudConnection(f.cloud_connection())});
  const v1::ProxySettings& proxy = f.proxy();
  table.AddRow({"edr proxy", OrDash(proxy.edr_proxy())});
  table.AddRow({"av proxy", OrDash(proxy.av_proxy())});
  table.AddRow({"winhttp proxy", proxy.winhttp_proxy().empty()
                                     ? "direct"
                                     : proxy.winhttp_proxy()});
  table.AddRow({"runner version", OrDash(f.runner_version())});
  table.AddRow({"enrolled", FormatTimestamp(device.enrolled_at())});
  AddEnrollmentRows(device.enrollment(), table);
  table.AddRow(
      {"last seen", absl::StrCat(FormatTimestamp(device.last_seen_at()), " (",
                                 FormatAgo(device.last_seen_at(), now), ")")});
  table.AddRow({"online", device.online() ? "yes" : "no"});
  env.out() << table.Render();
  if (device.needs_size() > 0) {
    Table needs({"NEEDS", "JOB", "WHAT TO DO"});
    for (const v1::DeviceNeed& need : device.needs()) {
      needs.AddRow({need.need(), OrDash(need.job_kind()), need.advice()});
    }
    env.out() << "\n" << needs.Render();
  }
  const v1::DeviceEnrollment& enrollment = device.enrollment();
  if (enrollment.recent_refused_claims_size() > 0) {
    Table claims({"REFUSED CLAIM", "ENROLLMENT SECRET", "HOST", "GOT", "WHY"});
    for (const v1::RefusedClaim& claim : enrollment.recent_refused_claims()) {
      claims.AddRow({FormatTimestamp(claim.at()), claim.enrollment_secret(),
                     claim.hostname(),
                     claim.new_device_id().empty()
                         ? "nothing (refused)"
                         : absl::StrCat("new device ", claim.new_device_id()),
                     claim.reason()});
    }
    env.out() << "\n" << claims.Render();
    if (enrollment.refused_claims() >
        static_cast<uint32_t>(enrollment.recent_refused_claims_size())) {
      env.out() << enrollment.recent_refused_claims_size() << " of "
                << enrollment.refused_claims()
                << " refused claims shown (newest first); all are in "
                   "`mdefleetctl audit list --target "
                << device.id() << "`\n";
    }
  }
  return absl::OkStatus();
}

absl::Status RunDevicesResetIdentity(CommandEnv& env,
                                     const std::string& device_id,
                                     const std::string& reason) {
  if (device_id.empty()) return UsageError("device ID is empty");
  if (absl::StripAsciiWhitespace(reason).empty()) {
    return UsageError(
        "--reason is required: say why this device's host may enroll as it "
        "again without proof (e.g. --reason \"server reinstalled\"); it is "
        "kept in the audit log");
  }
  auto connection = env.connection();
  if (!connection.ok()) return connection.status();
  const Connection& conn = **connection;
  v1::ResetDeviceIdentityRequest request;
  request.set_device_id(device_id);
  request.set_reason(reason);
  v1::Device device;
  auto context = conn.NewContext();
  absl::Status status = conn.Check(
      conn.admin().ResetDeviceIdentity(context.get(), request, &device));
  if (!status.ok()) return status;
  if (env.json()) {
    env.PrintJson(device);
    return absl::OkStatus();
  }
  env.out() << "reset the identity of device " << device.id() << " ("
            << device.facts().hostname()
            << "): the next enrollment reporting its host identity takes it "
               "over (same device id, a new token; once).\n"
            << "Next: start the runner on the reinstalled server with an "
               "empty state directory (or delete its identity and client.* "
               "files) so that it enrolls; until then "
            << device.id()
            << " keeps working with its current runner.\n"
               "Check with `mdefleetctl devices get "
            << device.id() << "` (enrollments, identity reset).\n";
  return absl::OkStatus();
}

void AddDevicesCommands(CLI::App& app, Command* selected) {
  CLI::App* devices =
      app.add_subcommand("devices", "Inventory of enrolled servers");
  devices->require_subcommand(1);

  auto list_options = std::make_shared<DevicesListOptions>();
  CLI::App* list = devices->add_subcommand("list", "List devices (all pages)");
  list->add_option("--os", list_options->os,
                   "OS family: 2012r2, 2016, 2019, 2022, 2025");
  list->add_option("--label", list_options->label, "Label key=value");
  list->add_option(
      "--mde-state", list_options->mde_state,
      "not_installed, not_onboarded, onboarded, sense_not_running");
  list->add_option("--seen-within", list_options->seen_within,
                   "Last seen at most this long ago (e.g. 90s, 10m, 1d)");
  list->add_option("--unseen-for", list_options->unseen_for,
                   "Last seen at least this long ago (e.g. 1h, 7d)");
  list->add_option("--hostname", list_options->hostname,
                   "Hostname glob, case-insensitive (e.g. 'WEB-*')");
  list->add_option("--needs", list_options->needs,
                   "Only devices this job kind would help (see `fleet "
                   "summary`): install, onboard, migrate_mma, health_check, "
                   "set_passive_mode, configure_proxy, image_prep, "
                   "api_offboard; or with this need (e.g. "
                   "duplicate_identity, duplicate_hostname)");
  list->add_option("--offline-for", list_options->offline_for,
                   "With --needs api_offboard: unseen at least this long "
                   "(default 7d)");
  list->add_option("--limit", list_options->limit,
                   "At most N devices (default: all)");
  list->callback([list_options, selected] {
    *selected = [list_options](CommandEnv& env) {
      return RunDevicesList(env, *list_options);
    };
  });

  auto device_id = std::make_shared<std::string>();
  CLI::App* get =
      devices->add_subcommand("get", "Show one device and its facts");
  get->add_option("ID", *device_id, "Device id")->required();
  get->callback([device_id, selected] {
    *selected = [device_id](CommandEnv& env) {
      return RunDevicesGet(env, *device_id);
    };
  });
  struct RevokeOptions {
    std::string device_id;
    std::string reason;
  };
  auto revoke = std::make_shared<RevokeOptions>();
  CLI::App* rev = devices->add_subcommand(
      "revoke",
      "Revoke a device (admin): its token stops working, its host cannot "
      "enroll again, its unfinished tasks are cancelled");
  rev->add_option("ID", revoke->device_id, "Device id")->required();
  rev->add_option("--reason", revoke->reason, "Why (kept in the audit log)");
  rev->callback([revoke, selected] {
    *selected = [revoke](CommandEnv& env) -> absl::Status {
      if (revoke->device_id.empty()) return UsageError("device ID is empty");
      auto connection = env.connection();
      if (!connection.ok()) return connection.status();
      const Connection& conn = **connection;
      v1::RevokeDeviceRequest request;
      request.set_device_id(revoke->device_id);
      request.set_reason(revoke->reason);
      v1::Device device;
      auto context = conn.NewContext();
      absl::Status status = conn.Check(
          conn.admin().RevokeDevice(context.get(), request, &device));
      if (!status.ok()) return status;
      if (env.json()) {
        env.PrintJson(device);
        return absl::OkStatus();
      }
      env.out() << "revoked device " << Inert(device.id()) << " ("
                << Inert(device.facts().hostname()) << ")\n";
      return absl::OkStatus();
    };
  });

  auto reset = std::make_shared<RevokeOptions>();
  CLI::App* reset_identity = devices->add_subcommand(
      "reset-identity",
      "Let the next enrollment with the device's host identity take the "
      "device over (admin; one use): for a reinstalled server, whose new "
      "runner cannot prove it holds the device");
  reset_identity->add_option("ID", reset->device_id, "Device id")->required();
  reset_identity->add_option(
      "--reason", reset->reason,
      "Why (required; kept in the audit log), e.g. \"reinstalled\"");
  reset_identity->callback([reset, selected] {
    *selected = [reset](CommandEnv& env) {
      return RunDevicesResetIdentity(env, reset->device_id, reset->reason);
    };
  });
}

}  // namespace mdefleet::cli
