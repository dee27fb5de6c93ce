// Device-supplied text made inert: host names, labels, step names, messages
// and output tails come from runners, and a compromised runner chooses every
// byte of them. Shown raw, an ESC or OSC sequence retitles or rewrites the
// operator's terminal, a CR or LF forges a line in a table or a log, a C1
// control acts like ESC on some terminals, U+2028/U+2029 break lines in
// JavaScript and some viewers, and bidirectional overrides make a name read
// as another ("Trojan Source", CVE-2021-42574).
//
// InertText is the one place that decides how such text is shown, by the
// CLI (tables, detail views, errors, JSON), the server log and, mirrored in
// JavaScript (server/http/dashboard/app.js, `inert`), the dashboard.
// Everything it does not list passes untouched: letters of every script,
// punctuation, and the backslash (so Windows paths stay readable; an escape
// in the output is therefore not proof that the device sent a control, only
// that nothing in the output acts as one).
#ifndef MDEFLEET_COMMON_INERT_TEXT_H_
#define MDEFLEET_COMMON_INERT_TEXT_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace mdefleet {

enum class InertLayout {
  // One line (a table cell, a log line, a message): every control is
  // escaped, LF and TAB included.
  kLine,
  // A block of lines (a step's output tail in a detail view): LF and TAB
  // stay, CR LF becomes LF, a lone CR and every other control is escaped.
  kBlock,
};

// `text` with these shown as visible escapes:
// - C0 controls and DEL: "\n", "\r", "\t", else "\x1b" (two hex digits);
// - C1 controls U+0080-U+009F: "\u009b";
// - U+2028, U+2029 (line and paragraph separators): "\u2028";
// - bidirectional formatting: U+202A-U+202E (embeddings, overrides),
//   U+2066-U+2069 (isolates), U+200E, U+200F, U+061C (marks): "\u202e";
// - bytes that are not UTF-8 (also overlong forms, surrogates, > U+10FFFF):
//   "\xff", one per byte.
// The result is valid UTF-8 and holds none of the above raw.
std::string InertText(absl::string_view text,
                      InertLayout layout = InertLayout::kLine);

// True for a code point InertText escapes in either layout (LF and TAB are
// kept by kBlock only).
bool IsInertEscaped(char32_t code_point);

// True for the characters that facts, labels and other device-reported
// strings may not hold whatever the field: C1 controls, U+2028, U+2029 and
// the bidirectional formatting characters above.
bool IsRefusedFormatCharacter(char32_t code_point);

// The first code point of `text` a device-reported string may not hold:
// invalid UTF-8, a C0 control or DEL (LF, CR and TAB are allowed when
// `allow_line_breaks`), or a character IsRefusedFormatCharacter names.
// Described for an error message, e.g. "\u202e (bidirectional formatting
// character) at byte 3"; nullopt when `text` is acceptable.
std::optional<std::string> FirstRefusedCharacter(absl::string_view text,
                                                 bool allow_line_breaks);

// A JSON document (as protobuf's JSON printer writes it: valid UTF-8) with
// every DEL, C1 control, U+2028/U+2029 and bidirectional formatting character
// written as a \uXXXX escape. Such characters can only occur inside string
// literals, where the escape is valid and decodes to the same value, so the
// document parses to exactly what it did before.
std::string InertJson(std::string json);

}  // namespace mdefleet

#endif  // MDEFLEET_COMMON_INERT_TEXT_H_
