#include "server/service/certificate_info_cache.h"

#include <utility>

#include "common/sha256.h"

namespace mdefleet::service {

std::optional<tls::ClientCertificateInfo> CertificateInfoCache::Read(
    absl::string_view pem) {
  std::string key = Sha256Hex(pem);
  {
    absl::MutexLock lock(&mu_);
    auto found = by_pem_sha256_.find(key);
    if (found != by_pem_sha256_.end()) {
      ++stats_.hits;
      return found->second;
    }
    ++stats_.misses;
  }
  // Read outside the lock: concurrent first calls may both read; the same
  // bytes give the same answer.
  absl::StatusOr<tls::ClientCertificateInfo> info =
      tls::ReadClientCertificate(pem);
  if (!info.ok()) return std::nullopt;
  absl::MutexLock lock(&mu_);
  if (by_pem_sha256_.size() >= capacity_) by_pem_sha256_.clear();
  by_pem_sha256_.insert_or_assign(std::move(key), *info);
  return *std::move(info);
}

CertificateInfoCache::Stats CertificateInfoCache::stats() const {
  absl::MutexLock lock(&mu_);
  Stats stats = stats_;
  stats.entries = by_pem_sha256_.size();
  return stats;
}

}  // namespace mdefleet::service
