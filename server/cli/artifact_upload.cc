#include "server/cli/artifact_upload.h"

#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace mdefleet::cli {

absl::StatusOr<v1::Artifact> UploadArtifactFile(const Connection& connection,
                                                const std::string& path,
                                                v1::ArtifactKind kind,
                                                const std::string& name) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read \"", path, "\""));
  }
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  // --timeout plus a second per MiB, so big MSIs on slow links still finish.
  const absl::Duration deadline =
      connection.timeout() +
      absl::Seconds(ec ? 0 : static_cast<int64_t>(size >> 20));

  auto context = connection.NewContextWithDeadline(deadline);
  v1::Artifact artifact;
  auto writer = connection.admin().UploadArtifact(context.get(), &artifact);

  v1::UploadArtifactRequest header;
  header.mutable_header()->set_kind(kind);
  header.mutable_header()->set_name(
      name.empty() ? std::filesystem::path(path).filename().string() : name);
  bool open = writer->Write(header);

  std::vector<char> buffer(kUploadChunkBytes);
  bool read_error = false;
  while (open) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize got = in.gcount();
    if (got > 0) {
      v1::UploadArtifactRequest chunk;
      chunk.set_chunk(std::string(buffer.data(), static_cast<size_t>(got)));
      open = writer->Write(chunk);
    }
    if (in.bad()) {
      read_error = true;
      break;
    }
    if (in.eof()) break;
  }
  if (read_error) {
    context->TryCancel();
    grpc::Status ignored = writer->Finish();
    (void)ignored;
    return absl::DataLossError(absl::StrCat("error reading \"", path, "\""));
  }
  if (open) writer->WritesDone();
  // When a write failed the server ended the call early; Finish carries why.
  grpc::Status status = writer->Finish();
  if (!status.ok()) return connection.Check(status);
  return artifact;
}

}  // namespace mdefleet::cli
