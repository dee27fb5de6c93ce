#include "server/defender/curl_http_client.h"

#include <curl/curl.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace mdefleet::defender {
namespace {

// curl_global_init is not thread-safe: done once, before the first handle.
void GlobalInit() {
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)init;
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

size_t AppendBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

size_t AppendHeader(char* data, size_t size, size_t count, void* out) {
  absl::string_view line(data, size * count);
  auto* headers = static_cast<std::map<std::string, std::string>*>(out);
  if (absl::StartsWith(line, "HTTP/")) {
    headers->clear();  // a new response (after a redirect or 100 Continue)
    return size * count;
  }
  const size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    (*headers)[absl::AsciiStrToLower(line.substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  return size * count;
}

// "https://host[:port]" of a URL, for errors (never the path or query).
std::string Origin(absl::string_view url) {
  const size_t scheme = url.find("://");
  const size_t path =
      url.find('/', scheme == absl::string_view::npos ? 0 : scheme + 3);
  return std::string(url.substr(0, path));
}

}  // namespace

struct CurlHttpClient::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

CurlHttpClient::CurlHttpClient() : handle_(std::make_unique<Handle>()) {
  GlobalInit();
  handle_->curl = curl_easy_init();
}

CurlHttpClient::~CurlHttpClient() = default;

absl::StatusOr<HttpResponse> CurlHttpClient::Send(const HttpRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  CURL* curl = handle_->curl;
  if (curl == nullptr) return absl::InternalError("libcurl: no handle");
  curl_easy_reset(curl);
  HttpResponse response;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const auto& [name, value] : request.headers) {
    const std::string line = absl::StrCat(name, ": ", value);
    curl_slist* appended = curl_slist_append(headers.get(), line.c_str());
    if (appended == nullptr) return absl::ResourceExhaustedError("libcurl");
    headers.release();
    headers.reset(appended);
  }
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(
      curl, CURLOPT_TIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(request.timeout)));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &AppendHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
  if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE,
                     static_cast<long>(request.body.size()));
  } else if (request.method != "GET") {
    return absl::InvalidArgumentError(
        absl::StrCat("method: ", request.method, " is not supported"));
  }
  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat("no answer from ",
                                               Origin(request.url), ": ",
                                               curl_easy_strerror(code)));
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace mdefleet::defender
