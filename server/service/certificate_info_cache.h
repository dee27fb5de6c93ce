// A memo of tls::ReadClientCertificate for the certificate every runner call
// presents. Reading one (PEM decode, X.509 parse, two DER encodings through
// OpenSSL 3's provider lookups, each behind process-wide locks) cost about
// 160 us, on every call of every connection; the answer depends on the bytes
// alone, so it is kept, keyed by the SHA-256 of the PEM (a few
// microseconds). Nothing that can change is kept: revocation, the device's
// current certificate and expiry against the clock are checked per call by
// the callers, as before.
#ifndef MDEFLEET_SERVER_SERVICE_CERTIFICATE_INFO_CACHE_H_
#define MDEFLEET_SERVER_SERVICE_CERTIFICATE_INFO_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/tls/client_certificate.h"

namespace mdefleet::service {

class CertificateInfoCache {
 public:
  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    size_t entries = 0;
  };

  // At most `capacity` certificates are kept (about 400 bytes each); when
  // full, the cache starts again empty: cheap, and with one certificate per
  // connected runner a server below its connection cap never gets there.
  explicit CertificateInfoCache(size_t capacity) : capacity_(capacity) {}

  // ReadClientCertificate(pem), from the cache when these bytes were read
  // before. nullopt when the certificate cannot be read (not kept).
  std::optional<tls::ClientCertificateInfo> Read(absl::string_view pem);

  Stats stats() const;

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, tls::ClientCertificateInfo> by_pem_sha256_
      ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mdefleet::service

#endif  // MDEFLEET_SERVER_SERVICE_CERTIFICATE_INFO_CACHE_H_
