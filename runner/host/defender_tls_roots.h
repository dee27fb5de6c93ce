// The public root certificates Microsoft's Defender endpoints chain to, by
// SHA-1 thumbprint, for telling a Defender answer from one re-signed by a
// TLS-inspecting proxy (seeds 001 and 003: Defender does not support TLS
// inspection). Platform-neutral: WindowsHost compares the root of the chain
// WinHTTP validated; the runner configuration adds roots (DefenderTlsRoots).
#ifndef MDEFLEET_RUNNER_HOST_DEFENDER_TLS_ROOTS_H_
#define MDEFLEET_RUNNER_HOST_DEFENDER_TLS_ROOTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace mdefleet::runner {

struct PublicRoot {
  absl::string_view sha1;  // upper-case hex, 40 characters
  absl::string_view name;  // subject common name
};

// Sources: the Defender endpoints' own root as Microsoft's client analyzer
// pins it (Microsoft Root Certificate Authority 2011, the issuer of
// "Microsoft Secure Server CA 2011" in the XMDEClientAnalyzer connectivity
// test); the roots of Microsoft Learn "Azure Certificate Authority details"
// (MicrosoftDocs/azure-docs, articles/security/fundamentals/
// azure-CA-details.md) that are still valid, which Azure-hosted endpoints
// (blob storage, events.data) chain to. Thumbprints checked against Debian's
// ca-certificates where it carries the root.
inline constexpr PublicRoot kDefenderPublicRoots[] = {
    {"8F43288AD272F3103B6FB1428485EA3014C0BCFE",
     "Microsoft Root Certificate Authority 2011"},
    {"73A5E64A3BFF8316FF0EDCCC618A906E4EAE4D74",
     "Microsoft RSA Root Certificate Authority 2017"},
    {"999A64C37FF47D9FAB95F14769891460EEC4C3C5",
     "Microsoft ECC Root Certificate Authority 2017"},
    {"DF3C24F9BFD666761B268073FE06D1CC8D4F82A4", "DigiCert Global Root G2"},
    {"7E04DE896A3E666D00E687D33FFAD93BE83D349E", "DigiCert Global Root G3"},
    {"A8985D3A65E5E5C4B2D7D66D40C6DD2FB19C5436", "DigiCert Global Root CA"},
};

// "8F:43:28:..." or "8f43 28..." (colons and spaces between digits allowed,
// as certutil and openssl print them) to 40 upper-case hex digits;
// InvalidArgument saying what is wrong otherwise.
[[nodiscard]] absl::StatusOr<std::string> NormalizeThumbprint(
    absl::string_view text);

// A list of thumbprints separated by commas or semicolons (the
// DefenderTlsRoots setting); empty text is an empty list.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ParseThumbprintList(
    absl::string_view text);

// Whether a chain ending in root `sha1` (upper-case hex) reached a root
// Microsoft's endpoints use: one of kDefenderPublicRoots or of `extra`.
bool IsDefenderPublicRoot(absl::string_view sha1,
                          absl::Span<const std::string> extra);

}  // namespace mdefleet::runner

#endif  // MDEFLEET_RUNNER_HOST_DEFENDER_TLS_ROOTS_H_
