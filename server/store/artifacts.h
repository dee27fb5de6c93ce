// Content-addressed artifacts (id = lowercase hex SHA-256 of the content).
#ifndef MDEFLEET_SERVER_STORE_ARTIFACTS_H_
#define MDEFLEET_SERVER_STORE_ARTIFACTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mdefleet/v1/types.pb.h"
#include "server/store/sqlite.h"

namespace mdefleet::store {

// Metadata of one artifact (content not loaded).
[[nodiscard]] absl::StatusOr<std::optional<v1::Artifact>> GetArtifact(
    Connection& db, absl::string_view id);

// The most recently uploaded artifact of `kind`, nullopt when none.
[[nodiscard]] absl::StatusOr<std::optional<v1::Artifact>> NewestArtifact(
    Connection& db, v1::ArtifactKind kind);

// Stores metadata and content. The caller checked it is not stored yet.
[[nodiscard]] absl::Status InsertArtifact(Connection& db,
                                          const v1::Artifact& artifact,
                                          absl::string_view content);

// All artifacts (of `kind` unless UNSPECIFIED), newest first.
[[nodiscard]] absl::StatusOr<std::vector<v1::Artifact>> ListArtifacts(
    Connection& db, v1::ArtifactKind kind);

struct ArtifactLocation {
  int64_t rowid = 0;
  int64_t size = 0;
};
[[nodiscard]] absl::StatusOr<std::optional<ArtifactLocation>> LocateArtifact(
    Connection& db, absl::string_view id);

// Reads up to `length` bytes at `offset` of the content without loading the
// rest: SQLite's incremental blob I/O, PostgreSQL's substr of an uncompressed
// (EXTERNAL) bytea.
[[nodiscard]] absl::StatusOr<std::string> ReadArtifactBytes(
    Connection& db, const ArtifactLocation& where, int64_t offset,
    int64_t length);

}  // namespace mdefleet::store

#endif  // MDEFLEET_SERVER_STORE_ARTIFACTS_H_
