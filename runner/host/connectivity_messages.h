// The words both hosts (WindowsHost and the simulator) use for the ways a
// Defender URL answers without being reachable the way the sensor needs:
// a proxy that wants credentials or refuses, and TLS inspection. Shared so
// the simulator's messages are the product's.
#ifndef MDEFLEET_RUNNER_HOST_CONNECTIVITY_MESSAGES_H_
#define MDEFLEET_RUNNER_HOST_CONNECTIVITY_MESSAGES_H_

#include <string>

#include "absl/strings/string_view.h"

namespace mdefleet::runner {

// HTTP 407 from `proxy`: the sensor runs as LocalSystem and sends no proxy
// credentials (seed 004).
std::string ProxyAuthenticationMessage(absl::string_view url,
                                       absl::string_view proxy);

// HTTP 403 from `proxy` for `url`.
std::string ProxyRefusedMessage(absl::string_view url, absl::string_view proxy);

// The certificate `host` presented chains to `root`, which is not one of the
// public roots Microsoft's endpoints use: something decrypted the
// connection (seeds 001 and 003: exclude Defender's URLs from TLS
// inspection).
std::string TlsInspectionMessage(absl::string_view url, absl::string_view root,
                                 absl::string_view via);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_HOST_CONNECTIVITY_MESSAGES_H_
