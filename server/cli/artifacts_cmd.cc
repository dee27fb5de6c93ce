#include "server/cli/artifacts_cmd.h"

#include <filesystem>
#include <memory>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "common/artifact_validation.h"
#include "server/cli/artifact_upload.h"
#include "server/cli/errors.h"
#include "server/cli/format.h"
#include "server/cli/table.h"

namespace mdefleet::cli {
namespace {

constexpr absl::string_view kKinds =
    "onboarding_script, offboarding_script, install_script, installer_msi, "
    "url_list, client_analyzer";

[[nodiscard]] absl::StatusOr<v1::ArtifactKind> KindFromFlag(
    const std::string& kind) {
  auto parsed = ParseArtifactKind(kind);
  if (!parsed.ok() || *parsed == v1::ARTIFACT_KIND_UNSPECIFIED) {
    return UsageError(
        absl::StrCat("--kind \"", kind, "\": expected one of ", kKinds));
  }
  return *parsed;
}

}  // namespace

absl::Status RunArtifactsUpload(CommandEnv& env, const std::string& file,
                                const std::string& kind,
                                const std::string& name) {
  auto parsed_kind = KindFromFlag(kind);
  if (!parsed_kind.ok()) return parsed_kind.status();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return UsageError(absl::StrCat("FILE \"", file,
                                   "\": no such file (or not a regular file)"));
  }
  auto connection = env.connection();
  if (!connection.ok()) return connection.status();
  auto artifact = UploadArtifactFile(**connection, file, *parsed_kind, name);
  if (!artifact.ok()) return artifact.status();
  if (env.json()) {
    env.PrintJson(*artifact);
    return absl::OkStatus();
  }
  env.out() << "uploaded " << Inert(artifact->name()) << " as "
            << ArtifactKindName(artifact->kind()) << " ("
            << FormatBytes(artifact->size()) << ")";
  if (!artifact->valid_until().empty()) {
    env.out() << ", valid until " << artifact->valid_until();
  }
  env.out() << "\nid " << artifact->id() << "\n";
  return absl::OkStatus();
}

absl::Status RunArtifactsList(CommandEnv& env, const std::string& kind) {
  v1::ListArtifactsRequest request;
  if (!kind.empty()) {
    auto parsed = KindFromFlag(kind);
    if (!parsed.ok()) return parsed.status();
    request.set_kind(*parsed);
  }
  auto connection = env.connection();
  if (!connection.ok()) return connection.status();
  const Connection& conn = **connection;
  v1::ListArtifactsResponse response;
  auto context = conn.NewContext();
  absl::Status status =
      conn.Check(conn.admin().ListArtifacts(context.get(), request, &response));
  if (!status.ok()) return status;
  if (env.json()) {
    env.PrintJson(response);
    return absl::OkStatus();
  }
  Table table({"ID", "KIND", "NAME", "SIZE", "VALID UNTIL", "UPLOADED"});
  table.SetAlign(3, Table::Align::kRight);
  for (const v1::Artifact& a : response.artifacts()) {
    table.AddRow({a.id(),
                  absl::StrCat(ArtifactKindName(a.kind()),
                               a.secret() ? " (secret)" : ""),
                  a.name(), FormatBytes(a.size()),
                  a.valid_until().empty() ? "-" : a.valid_until(),
                  FormatTimestamp(a.uploaded_at())});
  }
  env.out() << table.Render();
  return absl::OkStatus();
}

void AddArtifactsCommands(CLI::App& app, Command* selected) {
  CLI::App* artifacts = app.add_subcommand(
      "artifacts", "Scripts and installers served to runners");
  artifacts->require_subcommand(1);

  struct UploadArgs {
    std::string file;
    std::string kind;
    std::string name;
  };
  auto upload_args = std::make_shared<UploadArgs>();
  CLI::App* upload = artifacts->add_subcommand(
      "upload", "Upload a file (validated by the server for its kind)");
  upload->add_option("FILE", upload_args->file, "File to upload")->required();
  upload->add_option("--kind", upload_args->kind, std::string(kKinds))
      ->required();
  upload->add_option("--name", upload_args->name,
                     "Name to store (default: the file's name; an offboarding "
                     "script's expiry is read from it)");
  upload->callback([upload_args, selected] {
    *selected = [upload_args](CommandEnv& env) {
      return RunArtifactsUpload(env, upload_args->file, upload_args->kind,
                                upload_args->name);
    };
  });

  auto list_kind = std::make_shared<std::string>();
  CLI::App* list = artifacts->add_subcommand("list", "List artifacts");
  list->add_option("--kind", *list_kind, std::string(kKinds));
  list->callback([list_kind, selected] {
    *selected = [list_kind](CommandEnv& env) {
      return RunArtifactsList(env, *list_kind);
    };
  });
}

}  // namespace mdefleet::cli
