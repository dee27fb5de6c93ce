#include "server/http/dashboard_assets.h"

namespace mdefleet::http {

const DashboardAsset* FindDashboardAsset(absl::string_view path) {
  if (path == "/") path = "/index.html";
  for (const DashboardAsset& asset : EmbeddedDashboardAssets()) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

}  // namespace mdefleet::http
