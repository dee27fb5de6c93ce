// The artifact store (store/artifacts.h) on both backends: metadata, order,
// and the content read back in chunks, bytes intact.
#include <string>

#include "gtest/gtest.h"
#include "server/store/artifacts.h"
#include "tests/server/store/postgres/both_backends.h"

namespace mdefleet::testing {
namespace {

class ArtifactsOnBothTest : public BothBackendsTest {};

v1::Artifact Meta(const std::string& id, v1::ArtifactKind kind,
                  int64_t uploaded_seconds) {
  v1::Artifact a;
  a.set_id(id);
  a.set_kind(kind);
  a.set_name(id + ".bin");
  a.mutable_uploaded_at()->set_seconds(uploaded_seconds);
  return a;
}

TEST_P(ArtifactsOnBothTest, StoredListedAndReadBackInChunks) {
  std::string content(1 << 20, '\0');
  for (size_t i = 0; i < content.size(); ++i) {
    content[i] = static_cast<char>((i * 131) ^ (i >> 8));
  }
  v1::Artifact msi = Meta("msi", v1::ARTIFACT_KIND_INSTALLER_MSI, 100);
  msi.set_valid_until("2030-01-31");
  msi.set_secret(true);
  ASSERT_TRUE(store::InsertArtifact(db(), msi, content).ok());
  ASSERT_TRUE(store::InsertArtifact(
                  db(), Meta("old", v1::ARTIFACT_KIND_INSTALLER_MSI, 100), "x")
                  .ok());
  ASSERT_TRUE(store::InsertArtifact(
                  db(), Meta("ps1", v1::ARTIFACT_KIND_INSTALL_SCRIPT, 50), "y")
                  .ok());

  auto got = store::GetArtifact(db(), "msi");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->size(), content.size());
  EXPECT_EQ((*got)->valid_until(), "2030-01-31");
  EXPECT_TRUE((*got)->secret());
  EXPECT_EQ((*got)->uploaded_at().seconds(), 100);
  auto none = store::GetArtifact(db(), "nope");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  // Newest first; the same upload time: the later insert first.
  auto all = store::ListArtifacts(db(), v1::ARTIFACT_KIND_UNSPECIFIED);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id(), "old");
  EXPECT_EQ((*all)[1].id(), "msi");
  EXPECT_EQ((*all)[2].id(), "ps1");
  auto scripts = store::ListArtifacts(db(), v1::ARTIFACT_KIND_INSTALL_SCRIPT);
  ASSERT_TRUE(scripts.ok());
  ASSERT_EQ(scripts->size(), 1u);
  auto newest = store::NewestArtifact(db(), v1::ARTIFACT_KIND_INSTALLER_MSI);
  ASSERT_TRUE(newest.ok() && newest->has_value());
  EXPECT_EQ((*newest)->id(), "old");

  auto where = store::LocateArtifact(db(), "msi");
  ASSERT_TRUE(where.ok() && where->has_value());
  EXPECT_EQ((*where)->size, static_cast<int64_t>(content.size()));
  std::string read;
  for (int64_t offset = 0; offset < (*where)->size; offset += 300000) {
    auto chunk = store::ReadArtifactBytes(db(), **where, offset, 300000);
    ASSERT_TRUE(chunk.ok()) << chunk.status();
    read += *chunk;
  }
  EXPECT_TRUE(read == content) << "bytes differ";
  auto past = store::ReadArtifactBytes(db(), **where, (*where)->size + 1, 10);
  EXPECT_EQ(past.status().code(), absl::StatusCode::kOutOfRange);
}

MDEFLEET_ON_BOTH_BACKENDS(ArtifactsOnBothTest);

}  // namespace
}  // namespace mdefleet::testing
