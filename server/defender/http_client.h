// The one HTTP operation the Defender API client needs, behind an interface
// so that the worker is testable. CurlHttpClient (curl_http_client.h) is the
// real one.
#ifndef MDEFLEET_SERVER_DEFENDER_HTTP_CLIENT_H_
#define MDEFLEET_SERVER_DEFENDER_HTTP_CLIENT_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mdefleet::defender {

struct HttpRequest {
  std::string method;  // GET or POST
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  absl::Duration timeout = absl::Seconds(30);
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lowercase
  std::string body;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends the request and returns the answer, whatever its status.
  // Unavailable when no answer came back (connection refused, TLS failure,
  // timeout): the server may or may not have received the request. The
  // error names the host, never headers or bodies (they carry secrets).
  [[nodiscard]] virtual absl::StatusOr<HttpResponse> Send(
      const HttpRequest& request) = 0;
};

}  // namespace mdefleet::defender

#endif  // MDEFLEET_SERVER_DEFENDER_HTTP_CLIENT_H_
