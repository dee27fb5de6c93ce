#include "server/http/json_reply.h"

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/inert_text.h"
#include "google/protobuf/util/json_util.h"
#include "mdefleet/v1/http_api.pb.h"
#include "server/service/log.h"

namespace mdefleet::http {
namespace {

// Used when an error's own JSON cannot be printed (it never should: messages
// are checked UTF-8); hand-written because it is constant.
constexpr char kUnprintableError[] =
    "{\"code\":\"INTERNAL\",\"message\":\"internal error; see the server "
    "log\"}";

[[nodiscard]] absl::StatusOr<std::string> ToJson(
    const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string out;
  const auto printed =
      google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!printed.ok()) {
    return absl::InternalError(absl::StrCat("JSON of ", message.GetTypeName(),
                                            ": ",
                                            std::string(printed.message())));
  }
  // Devices choose host names, messages and output tails: C1 controls,
  // U+2028/U+2029 and bidi characters go out as \uXXXX escapes (same
  // values), so neither `curl` on a terminal nor a naive consumer acts on them.
  return InertJson(std::move(out));
}

}  // namespace

int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

HttpResponse JsonReply(const google::protobuf::Message& message) {
  absl::StatusOr<std::string> json = ToJson(message);
  if (!json.ok()) return ErrorReply(json.status());
  return {.status = 200, .content_type = kJsonContentType, .body = *json};
}

HttpResponse ErrorReply(int http_status, absl::string_view code,
                        absl::string_view message) {
  v1::HttpError error;
  error.set_code(std::string(code));
  error.set_message(std::string(message));
  HttpResponse response{.status = http_status,
                        .content_type = kJsonContentType};
  absl::StatusOr<std::string> json = ToJson(error);
  response.body = json.ok() ? *json : kUnprintableError;
  if (!json.ok()) LogEvent(absl::StrCat("http: ", json.status().message()));
  if (http_status == 401)
    response.headers.push_back({"WWW-Authenticate", "Bearer"});
  return response;
}

HttpResponse ErrorReply(const absl::Status& status) {
  const int http_status = HttpStatusFor(status.code());
  if (http_status == 500) {
    LogEvent(absl::StrCat("http: internal error: ", status.ToString()));
    return ErrorReply(500, absl::StatusCodeToString(status.code()),
                      "internal error; see the server log");
  }
  return ErrorReply(http_status, absl::StatusCodeToString(status.code()),
                    status.message());
}

}  // namespace mdefleet::http
