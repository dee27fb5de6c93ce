// The dashboard's static files (server/http/dashboard/), embedded in the
// binary at build time by embed_dashboard.cmake: the page works with nothing
// fetched from anywhere else and nothing to install next to the server.
#ifndef MDEFLEET_SERVER_HTTP_DASHBOARD_ASSETS_H_
#define MDEFLEET_SERVER_HTTP_DASHBOARD_ASSETS_H_

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace mdefleet::http {

struct DashboardAsset {
  absl::string_view path;          // URL path: "/index.html", "/app.js"
  absl::string_view content_type;  // "text/javascript; charset=utf-8"
  absl::string_view bytes;
};

// Every embedded file, sorted by path (generated: dashboard_assets_data.cc).
absl::Span<const DashboardAsset> EmbeddedDashboardAssets();

// The file served at `path`; "/" is "/index.html". nullptr when there is
// none.
const DashboardAsset* FindDashboardAsset(absl::string_view path);

}  // namespace mdefleet::http

#endif  // MDEFLEET_SERVER_HTTP_DASHBOARD_ASSETS_H_
