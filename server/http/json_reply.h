// HTTP answers with JSON bodies: the protobuf JSON mapping of the gRPC API's
// messages (one source of truth, no hand-written JSON), and errors as
// v1.HttpError with the HTTP status their absl code maps to.
#ifndef MDEFLEET_SERVER_HTTP_JSON_REPLY_H_
#define MDEFLEET_SERVER_HTTP_JSON_REPLY_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "server/http/http_message.h"

namespace mdefleet::http {

// 200 with `message` as JSON: lowerCamelCase names, enums by name, every
// primitive field printed even when zero (a dashboard need not guess
// defaults). 500 when it cannot be printed.
HttpResponse JsonReply(const google::protobuf::Message& message);

// 400 for InvalidArgument/OutOfRange/FailedPrecondition, 401 (with
// "WWW-Authenticate: Bearer") for Unauthenticated, 403 PermissionDenied, 404
// NotFound, 429 ResourceExhausted, 503 Unavailable, else 500.
int HttpStatusFor(absl::StatusCode code);

// The error answer for `status` (not ok): {"code": "NOT_FOUND", "message":
// "job_id: no job \"x\""}. A 500's message is replaced by a generic one (the
// details go to the server log: they may describe the database).
HttpResponse ErrorReply(const absl::Status& status);

// An error HTTP has and gRPC does not (405 METHOD_NOT_ALLOWED).
HttpResponse ErrorReply(int http_status, absl::string_view code,
                        absl::string_view message);

}  // namespace mdefleet::http

#endif  // MDEFLEET_SERVER_HTTP_JSON_REPLY_H_
