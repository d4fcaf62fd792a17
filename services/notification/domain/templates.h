#pragma once

// Message templates: {{placeholder}} syntax, rendering, and the language fallback.
//
// A placeholder is "{{name}}" with name 1 to 40 characters of [a-z0-9_] (the keys of a
// reminder's template_parameters). "{{" always opens a placeholder; there is no escape.
// The built-in placeholders are filled by the service from the reminder itself, the
// others from its template_parameters.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace clinic::notification::domain {

// Built-in placeholders: the reminder's event_time in the clinic's zone, e.g.
// {{event_date}} "Tue 4 Jun 2024", {{event_time}} "09:30". A reminder without
// event_time cannot fill them.
inline constexpr std::string_view kEventDatePlaceholder = "event_date";
inline constexpr std::string_view kEventTimePlaceholder = "event_time";
bool IsBuiltinPlaceholder(std::string_view name);

// A template parameter key: 1 to 40 characters of [a-z0-9_].
bool IsValidParameterName(std::string_view name);

// The distinct placeholders of `text` in order of first use; INVALID_ARGUMENT naming the
// problem (an unclosed "{{", a malformed name) at its byte offset.
absl::StatusOr<std::vector<std::string>> Placeholders(std::string_view text);

// The values of the built-in placeholders for an event at `event_time` in `zone`.
std::map<std::string, std::string> BuiltinParameters(absl::Time event_time, absl::TimeZone zone);

struct Rendered {
  std::string text;
  // Placeholders with no value in the parameters, in order of first use; when not
  // empty, `text` must not be sent.
  std::vector<std::string> missing;
};

// Fills every placeholder of `text` (which Placeholders() accepts) from `parameters`.
Rendered Render(std::string_view text, const std::map<std::string, std::string>& parameters);

// The language every reminder falls back to.
inline constexpr std::string_view kDefaultLanguage = "en-GB";

// A BCP-47 tag in canonical case ("EN-gb" -> "en-GB", "zh-hant-tw" -> "zh-Hant-TW"), or
// nullopt when it is not well formed: subtags of 1-8 letters or digits separated by
// "-", the first 2-3 (or 5-8) letters; at most 35 characters.
std::optional<std::string> CanonicalLanguage(std::string_view tag);

// The languages to try for a reminder in `language` (canonical), best first: itself,
// then its shorter prefixes ("en-GB" -> "en"), then kDefaultLanguage. No duplicates.
std::vector<std::string> LanguageFallbacks(std::string_view language);

// The index in `available` of the best language for `wanted` by LanguageFallbacks, or
// nullopt when none fits.
std::optional<size_t> PickLanguage(const std::vector<std::string>& available, std::string_view wanted);

}  // namespace clinic::notification::domain
