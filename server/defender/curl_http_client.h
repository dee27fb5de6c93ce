// HttpClient over libcurl (Debian's libcurl4-openssl-dev), with TLS peer and
// host verification on.
#ifndef MDEFLEET_SERVER_DEFENDER_CURL_HTTP_CLIENT_H_
#define MDEFLEET_SERVER_DEFENDER_CURL_HTTP_CLIENT_H_

#include <memory>
#include <mutex>

#include "server/defender/http_client.h"

namespace mdefleet::defender {

class CurlHttpClient : public HttpClient {
 public:
  CurlHttpClient();
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  // Thread-safe (calls are serialised: one connection is reused).
  [[nodiscard]] absl::StatusOr<HttpResponse> Send(
      const HttpRequest& request) override;

 private:
  struct Handle;
  std::mutex mu_;
  std::unique_ptr<Handle> handle_;
};

}  // namespace mdefleet::defender

#endif  // MDEFLEET_SERVER_DEFENDER_CURL_HTTP_CLIENT_H_
