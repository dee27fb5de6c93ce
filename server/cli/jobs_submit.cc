#include "server/cli/jobs_submit.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/artifact_validation.h"
#include "common/os_family.h"
#include "server/cli/artifact_upload.h"
#include "server/cli/format.h"
#include "server/cli/jobs_watch.h"
#include "server/cli/table.h"
#include "server/cli/target_parser.h"

namespace mdefleet::cli {
namespace {

std::string Indent(const std::string& text, absl::string_view prefix) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty()) continue;
    absl::StrAppend(&out, prefix, line, "\n");
  }
  return out;
}

struct ArtifactFlag {
  const char* flag;
  const std::string* value;
  v1::ArtifactKind kind;
  std::string* (v1::JobParameters::*field)();
};

}  // namespace

absl::StatusOr<v1::SubmitJobRequest> BuildSubmitRequest(
    const JobsSubmitOptions& options, const ArtifactUploader& upload) {
  v1::SubmitJobRequest request;
  v1::JobSpec& spec = *request.mutable_spec();
  spec.set_kind(options.kind);
  auto target = ParseTargets(options.targets);
  if (!target.ok()) return target.status();
  *spec.mutable_target() = *std::move(target);
  auto policy = BuildRolloutPolicy(options.policy);
  if (!policy.ok()) return policy.status();
  *spec.mutable_policy() = *std::move(policy);
  spec.mutable_parameters()->set_workspace_id(options.workspace_id);
  spec.mutable_parameters()->set_comment(options.comment);
  request.set_dry_run(options.dry_run);
  auto proxy = BuildProxyConfig(options.proxy);
  if (!proxy.ok()) return proxy.status();
  if (proxy->has_value()) *spec.mutable_parameters()->mutable_proxy() = **proxy;

  const ArtifactFlag flags[] = {
      {"--onboarding-script", &options.onboarding_script,
       v1::ARTIFACT_KIND_ONBOARDING_SCRIPT,
       &v1::JobParameters::mutable_onboarding_script_id},
      {"--offboarding-script", &options.offboarding_script,
       v1::ARTIFACT_KIND_OFFBOARDING_SCRIPT,
       &v1::JobParameters::mutable_offboarding_script_id},
      {"--install-script", &options.install_script,
       v1::ARTIFACT_KIND_INSTALL_SCRIPT,
       &v1::JobParameters::mutable_install_script_id},
      {"--installer", &options.installer, v1::ARTIFACT_KIND_INSTALLER_MSI,
       &v1::JobParameters::mutable_installer_msi_id},
      {"--url-list", &options.url_list, v1::ARTIFACT_KIND_URL_LIST,
       &v1::JobParameters::mutable_url_list_id},
      {"--client-analyzer", &options.client_analyzer,
       v1::ARTIFACT_KIND_CLIENT_ANALYZER,
       &v1::JobParameters::mutable_client_analyzer_id},
  };
  for (const ArtifactFlag& flag : flags) {
    if (flag.value->empty()) continue;
    auto id = ResolveArtifactRef(flag.flag, *flag.value, flag.kind, upload);
    if (!id.ok()) return id.status();
    *(spec.mutable_parameters()->*flag.field)() = *std::move(id);
  }
  return request;
}

std::string RenderDryRun(const v1::SubmitJobRequest& request,
                         const v1::SubmitJobResponse& response) {
  std::string out = absl::StrCat(
      "dry run: ", Inert(request.spec().kind()), " would target ",
      response.targeted(), response.targeted() == 1 ? " device" : " devices",
      " (target: ", Inert(DescribeTarget(request.spec().target())),
      "); nothing was stored\n");
  for (const v1::DevicePlan& plan : response.plans()) {
    absl::StrAppend(&out, "\n", Inert(plan.hostname()), "  (",
                    OsFamilyName(plan.os_family()), ", id ",
                    Inert(plan.device_id()), ")\n");
    if (plan.plan().steps_size() == 0) {
      absl::StrAppend(&out, "  no steps\n");
    } else {
      Table steps({"#", "STEP", "DESCRIPTION"});
      steps.SetAlign(0, Table::Align::kRight);
      int index = 1;
      for (const v1::PlannedStep& step : plan.plan().steps()) {
        steps.AddRow({absl::StrCat(index++), step.name(), step.description()});
      }
      absl::StrAppend(&out, Indent(steps.Render(), "  "));
    }
    for (const std::string& warning : plan.plan().warnings()) {
      absl::StrAppend(&out, "  warning: ", Inert(warning), "\n");
    }
  }
  if (response.plans_size() < static_cast<int>(response.targeted())) {
    absl::StrAppend(&out, "\n(plans shown for ", response.plans_size(), " of ",
                    response.targeted(), " devices)\n");
  }
  const std::string conflicts = RenderHostnameConflicts(response);
  if (!conflicts.empty()) absl::StrAppend(&out, "\n", conflicts);
  return out;
}

std::string RenderHostnameConflicts(const v1::SubmitJobResponse& response) {
  std::string out;
  for (const v1::HostnameConflict& c : response.hostname_conflicts()) {
    absl::StrAppend(
        &out, "warning: host name \"", Inert(c.hostname()),
        "\" is reported by ", c.device_ids_size(), " devices (",
        Inert(absl::StrJoin(c.device_ids(), ", ")),
        "): a device can report any name; check them with `mdefleetctl "
        "devices get ID` (need duplicate_hostname)\n");
  }
  return out;
}

absl::Status RunJobsSubmit(CommandEnv& env, const JobsSubmitOptions& options) {
  // Local checks first: a bad --target or policy flag must not need a
  // server or a token.
  if (auto target = ParseTargets(options.targets); !target.ok()) {
    return target.status();
  }
  if (auto policy = BuildRolloutPolicy(options.policy); !policy.ok()) {
    return policy.status();
  }
  ArtifactUploader upload =
      [&env](const std::string& path,
             v1::ArtifactKind kind) -> absl::StatusOr<v1::Artifact> {
    auto connection = env.connection();
    if (!connection.ok()) return connection.status();
    auto artifact = UploadArtifactFile(**connection, path, kind, "");
    if (!artifact.ok()) {
      return absl::Status(
          artifact.status().code(),
          absl::StrCat("uploading \"", path, "\" as ", ArtifactKindName(kind),
                       ": ", artifact.status().message()));
    }
    env.err() << "uploaded " << path << " as " << ArtifactKindName(kind)
              << " artifact " << artifact->id() << "\n";
    return artifact;
  };
  auto request = BuildSubmitRequest(options, upload);
  if (!request.ok()) return request.status();

  auto connection = env.connection();
  if (!connection.ok()) return connection.status();
  const Connection& conn = **connection;
  v1::SubmitJobResponse response;
  auto context = conn.NewContext();
  absl::Status status =
      conn.Check(conn.admin().SubmitJob(context.get(), *request, &response));
  if (!status.ok()) return status;

  if (options.dry_run) {
    if (options.watch) env.err() << "--watch ignored: dry run\n";
    if (env.json()) {
      env.PrintJson(response);
      env.err() << RenderHostnameConflicts(response);
    } else {
      env.out() << RenderDryRun(*request, response);
    }
    return absl::OkStatus();
  }
  const v1::Job& job = response.job();
  if (!options.watch) {
    if (env.json()) {
      env.PrintJson(response);
    } else {
      env.out() << "submitted job " << Inert(job.id()) << ": "
                << Inert(request->spec().kind()) << " on "
                << response.targeted()
                << (response.targeted() == 1 ? " device" : " devices")
                << " (target: "
                << Inert(DescribeTarget(request->spec().target())) << ")\n"
                << RenderHostnameConflicts(response);
    }
    // In JSON the warnings are in the document (hostnameConflicts); a human
    // watching still reads them on stderr.
    if (env.json()) env.err() << RenderHostnameConflicts(response);
    return absl::OkStatus();
  }
  if (!env.json()) {
    env.out() << "submitted job " << Inert(job.id()) << ": "
              << Inert(request->spec().kind()) << " on " << response.targeted()
              << (response.targeted() == 1 ? " device" : " devices") << "\n"
              << RenderHostnameConflicts(response);
  } else {
    env.err() << RenderHostnameConflicts(response);
  }
  return WatchJobAndReport(env, job.id());
}

}  // namespace mdefleet::cli
